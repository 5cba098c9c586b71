//! Reproducible chart archives (`.tgz`): writing, safe reading and digests.
//!
//! A packaged chart is trusted by its bytes: the `.sha256` next to it, the digest recorded in a
//! release. So [`write`] produces the same bytes for the same files every time (sorted entries,
//! fixed mtime, owner and mode, no gzip timestamp or file name, a pinned compression level), and
//! [`digest`] hashes exactly those bytes.
//!
//! Reading is the dangerous direction: an archive may come from anywhere. [`read_archive`] never
//! touches the disk. It decompresses in memory under hard limits ([`MAX_TOTAL_SIZE`],
//! [`MAX_ENTRIES`], [`MAX_FILE_SIZE`]) and rejects, before any byte is used, everything a chart
//! never needs and an attacker would: absolute paths, `..`, links, devices, entries outside the
//! single `NAME/` directory, duplicates. This follows Helm's own loader (`pkg/chart/loader`),
//! which also reads archives in memory with a 100 MiB / 5 MiB cap.

mod digest;
mod read;
mod write;

pub use digest::{digest, sha256_hex};
pub use read::read_archive;
pub use write::{
    archive_bytes, archive_file_name, checksum_line, package_bytes, source_date_epoch,
    write_atomically,
};

/// Largest total uncompressed size of an archive (headers included): 100 MiB, Helm's limit.
/// Guards against gzip bombs, which expand a few hundred KiB into gigabytes.
pub const MAX_TOTAL_SIZE: u64 = 100 * 1024 * 1024;

/// Largest number of entries in an archive. A chart has tens of files; ten thousand tiny
/// entries are an attack on time and memory, not a chart.
pub const MAX_ENTRIES: usize = 10_000;

/// Largest single file in an archive: 5 MiB, Helm's limit. Also the largest allocation the
/// reader makes for one entry, since sizes are checked before reading.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// The deflate level used by [`package_bytes`]. Pinned because the compressed bytes (and so the
/// digest) depend on it; changing it changes every chart's sha256.
pub const COMPRESSION_LEVEL: u32 = 6;

/// Why a path inside a chart is not acceptable, or `None` if it is.
///
/// `path` is relative to the chart (no `NAME/` prefix). The same rule serves the reader (reject
/// hostile entries) and the writer (never produce an archive the reader would reject).
pub(crate) fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("the path is empty");
    }
    if path.starts_with('/') {
        return Some("absolute paths are not allowed");
    }
    if path.contains('\\') {
        return Some("backslashes are not allowed in paths (use '/')");
    }
    if path.contains('\0') {
        return Some("NUL bytes are not allowed in paths");
    }
    for component in path.split('/') {
        match component {
            "" => return Some("empty path components ('//') are not allowed"),
            "." => return Some("'.' path components are not allowed"),
            ".." => return Some("'..' would escape the chart directory"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules() {
        assert_eq!(path_problem("templates/a.yaml.j2"), None);
        assert_eq!(path_problem(".bscopeignore"), None);
        for bad in [
            "", "/etc/x", "../x", "a/../x", "a/..", "./a", "a//b", "a\\..\\x", "a\0b",
        ] {
            assert!(path_problem(bad).is_some(), "{bad:?} accepted");
        }
    }
}
