//! Reading a chart archive safely: in memory, with limits, rejecting hostile entries.
//!
//! Nothing here writes to disk: the result is a [`ChartFiles`] map, the same thing
//! [`crate::chart::read_dir`] produces, so `..` or a symlink can never reach the file system and
//! the classic tar extraction bugs (RUSTSEC-2018-0002, -2021-0080, -2026-0067) do not apply.
//! What remains is resource exhaustion, handled by [`Limits`], and checking every entry before
//! its bytes are used.

use std::cell::Cell;
use std::io::{self, Read};

use flate2::bufread::GzDecoder;
use tar::{Archive, EntryType};

use super::{MAX_ENTRIES, MAX_FILE_SIZE, MAX_TOTAL_SIZE, path_problem};
use crate::chart::{ChartFiles, ChartMetadata};
use crate::error::{Error, Problem, Result};

/// Advice for archives that are malformed or crafted: there is nothing to fix in them.
const REBUILD: &str = "do not use this archive; re-create it from the chart directory with \
                       `bscope-chart package`, or download it again from a source you trust";

/// Advice for archives that are merely too big.
const SHRINK: &str = "a chart is small text; if this is really your chart, list large or \
                      generated files in .bscopeignore and package it again";

/// The limits [`read_archive`] enforces; a parameter so tests can use small ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Total decompressed bytes (tar headers and padding included).
    pub total: u64,
    /// Number of tar entries (after GNU long-name and PAX headers are merged into theirs).
    pub entries: usize,
    /// Bytes of one file.
    pub file: u64,
}

impl Limits {
    /// [`MAX_TOTAL_SIZE`], [`MAX_ENTRIES`], [`MAX_FILE_SIZE`].
    pub const DEFAULT: Limits = Limits {
        total: MAX_TOTAL_SIZE,
        entries: MAX_ENTRIES,
        file: MAX_FILE_SIZE,
    };
}

/// Read a packaged chart (`NAME-VERSION.tgz`) from memory into the files of the chart, with
/// the `NAME/` prefix stripped, so the result equals what reading the chart's directory gives.
///
/// `origin` names the archive in errors. Every error names the entry at fault and says what to
/// do. The archive is rejected as a whole, before any file is used, if it:
/// * is not a single gzip stream holding a tar archive, or its gzip checksum is wrong, or data
///   follows the gzip stream;
/// * decompresses to more than [`MAX_TOTAL_SIZE`], has more than [`MAX_ENTRIES`] entries, or a
///   file over [`MAX_FILE_SIZE`] (checked from the header, before reading the data);
/// * has an absolute path, a `..`, `.` or empty path component, a backslash, or a path that is
///   not UTF-8;
/// * has a symlink, hard link, device, FIFO, sparse file or any entry that is neither a regular
///   file nor a directory (PAX global headers, which `git archive` writes, are skipped);
/// * has entries outside one top-level directory, or that directory is not the chart's `name`
///   from its `Chart.yaml`;
/// * has the same file twice, or a file that is also the parent of another file.
pub fn read_archive(bytes: &[u8], origin: &str) -> Result<ChartFiles> {
    read_with_limits(bytes, origin, Limits::DEFAULT)
}

/// [`read_archive`] with explicit limits.
pub(crate) fn read_with_limits(bytes: &[u8], origin: &str, limits: Limits) -> Result<ChartFiles> {
    let exceeded = Cell::new(false);
    let capped = Capped {
        inner: GzDecoder::new(bytes),
        remaining: limits.total,
        exceeded: &exceeded,
    };
    let mut archive = Archive::new(capped);
    let io_error = |e: io::Error| {
        if exceeded.get() {
            Error::problem(
                Problem::new(format!(
                    "{origin}: the archive decompresses to more than {} bytes (the limit); \
                     it may be a gzip bomb",
                    limits.total
                ))
                .help(SHRINK),
            )
        } else {
            Error::problem(
                Problem::new(format!(
                    "{origin}: not a valid chart archive (a gzip-compressed tar file): {e}"
                ))
                .help(REBUILD),
            )
        }
    };
    let (top, files) = match collect(&mut archive, origin, limits) {
        Ok(r) => r,
        Err(ReadError::Io(e)) => return Err(io_error(e)),
        Err(ReadError::Rejected(e)) => return Err(e),
    };
    // Read to the end of the gzip stream: the tar reader stops at the end-of-archive marker, but
    // only the gzip trailer's CRC proves the data was not damaged. Still capped.
    let mut capped = archive.into_inner();
    io::copy(&mut capped, &mut io::sink()).map_err(io_error)?;
    let trailing = capped.inner.into_inner().len();
    if trailing > 0 {
        return Err(Error::problem(
            Problem::new(format!(
                "{origin}: {trailing} bytes of unexpected data after the end of the gzip stream"
            ))
            .help(REBUILD),
        ));
    }
    let Some(top) = top else {
        return Err(Error::problem(
            Problem::new(format!("{origin}: the archive contains no files"))
                .help("package a chart directory with `bscope-chart package`"),
        ));
    };
    check_name(&files, &top, origin)?;
    check_file_dir_conflicts(&files, &top, origin)?;
    Ok(files)
}

/// Why reading stopped: an I/O-level failure (corrupt data, or the size cap, told apart by the
/// [`Capped`] flag), or an entry we refused.
enum ReadError {
    Io(io::Error),
    Rejected(Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Walk the entries, checking each before reading its data. Returns the top-level directory
/// name (if any entry was seen) and the files with that prefix removed.
fn collect<R: Read>(
    archive: &mut Archive<R>,
    origin: &str,
    limits: Limits,
) -> std::result::Result<(Option<String>, ChartFiles), ReadError> {
    let reject = |entry: &str, what: String| {
        ReadError::Rejected(Error::problem(
            Problem::new(format!("{origin}: entry {entry:?} {what}")).help(REBUILD),
        ))
    };
    let too_big = |what: String| {
        ReadError::Rejected(Error::problem(
            Problem::new(format!("{origin}: {what}")).help(SHRINK),
        ))
    };
    let mut top: Option<String> = None;
    let mut files = ChartFiles::new();
    let mut count = 0usize;
    let mut total_data = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        count += 1;
        if count > limits.entries {
            return Err(too_big(format!(
                "more than {} entries in the archive (the limit)",
                limits.entries
            )));
        }
        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let kind = entry.header().entry_type();
        let link = || {
            entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default()
        };
        let is_dir = match kind {
            EntryType::Regular => false,
            EntryType::Directory => true,
            // Archive-wide metadata, e.g. the commit id `git archive` records; not a file.
            EntryType::XGlobalHeader => continue,
            EntryType::Symlink => {
                return Err(reject(
                    &shown,
                    format!(
                        "is a symbolic link (to {:?}); links are not allowed in a chart",
                        link()
                    ),
                ));
            }
            EntryType::Link => {
                return Err(reject(
                    &shown,
                    format!(
                        "is a hard link (to {:?}); links are not allowed in a chart",
                        link()
                    ),
                ));
            }
            EntryType::Char | EntryType::Block => {
                return Err(reject(
                    &shown,
                    "is a device file; a chart holds only regular files".into(),
                ));
            }
            EntryType::Fifo => {
                return Err(reject(
                    &shown,
                    "is a named pipe (FIFO); a chart holds only regular files".into(),
                ));
            }
            other => {
                return Err(reject(
                    &shown,
                    format!(
                        "has entry type {:?} ({other:?}); a chart holds only regular files \
                         and directories",
                        char::from(other.as_byte())
                    ),
                ));
            }
        };
        let Ok(path) = std::str::from_utf8(&raw_path) else {
            return Err(reject(&shown, "has a path that is not valid UTF-8".into()));
        };
        let path = if is_dir {
            path.strip_suffix('/').unwrap_or(path)
        } else {
            path
        };
        if let Some(why) = path_problem(path) {
            return Err(reject(&shown, format!("is rejected: {why}")));
        }
        let (dir, rest) = path.split_once('/').unwrap_or((path, ""));
        match &top {
            None => top = Some(dir.to_string()),
            Some(t) if t != dir => {
                return Err(reject(
                    &shown,
                    format!(
                        "is outside the chart directory \"{t}/\"; a chart archive holds \
                         exactly one top-level directory"
                    ),
                ));
            }
            Some(_) => {}
        }
        if is_dir {
            continue;
        }
        if rest.is_empty() {
            return Err(reject(
                &shown,
                "is a file at the top level; a chart archive holds exactly one top-level \
                 directory, NAME/"
                    .into(),
            ));
        }
        let size = entry.size();
        if size > limits.file {
            return Err(too_big(format!(
                "entry {shown:?} is {size} bytes, more than the {}-byte limit per file",
                limits.file
            )));
        }
        total_data = total_data.saturating_add(size);
        if total_data > limits.total {
            return Err(too_big(format!(
                "the files add up to more than {} bytes (the limit); the archive may be a \
                 gzip bomb",
                limits.total
            )));
        }
        if files.contains_key(rest) {
            return Err(reject(
                &shown,
                "appears twice in the archive; which copy is meant is ambiguous".into(),
            ));
        }
        // `size` was checked above, so this allocation is bounded by the per-file limit.
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut entry).take(limits.file).read_to_end(&mut data)?;
        if data.len() as u64 != size {
            return Err(ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("entry {shown:?} is truncated"),
            )));
        }
        files.insert(rest.to_string(), data.into());
    }
    Ok((top, files))
}

/// The top-level directory must be the chart's name, as Helm requires: otherwise the same
/// archive would be one chart by its Chart.yaml and another by its layout.
fn check_name(files: &ChartFiles, top: &str, origin: &str) -> Result<()> {
    let Some(bytes) = files.get("Chart.yaml") else {
        return Err(Error::problem(
            Problem::new(format!("{origin}: no {top}/Chart.yaml in the archive")).help(
                "a chart archive holds NAME/Chart.yaml; create it with `bscope-chart package`",
            ),
        ));
    };
    let file = format!("{origin}/Chart.yaml");
    let text =
        std::str::from_utf8(bytes).map_err(|_| Error::msg(format!("{file}: not valid UTF-8")))?;
    let meta = ChartMetadata::parse(text, &file)?;
    if meta.name != top {
        return Err(Error::problem(
            Problem::new(format!(
                "{origin}: the archive's directory \"{top}/\" does not match the chart name \
                 {:?} in Chart.yaml",
                meta.name
            ))
            .help(REBUILD),
        ));
    }
    Ok(())
}

/// A path that is a file and also the parent of another file cannot exist on disk; two tools
/// would disagree about which one wins, so refuse it like a duplicate.
fn check_file_dir_conflicts(files: &ChartFiles, top: &str, origin: &str) -> Result<()> {
    for path in files.keys() {
        for (i, _) in path.match_indices('/') {
            let parent = &path[..i];
            if files.contains_key(parent) {
                return Err(Error::problem(
                    Problem::new(format!(
                        "{origin}: entry \"{top}/{parent}\" is a file but also the directory of \
                         \"{top}/{path}\""
                    ))
                    .help(REBUILD),
                ));
            }
        }
    }
    Ok(())
}

/// A reader that fails once more than `remaining` bytes have come out of `inner`, and records
/// that it did, so the caller can tell "too big" from "corrupt" whatever tar makes of the error.
struct Capped<'a, R> {
    inner: R,
    remaining: u64,
    exceeded: &'a Cell<bool>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(io::Error::other("size limit exceeded"));
        }
        let max = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        let len = buf.len().min(max);
        let n = self.inner.read(&mut buf[..len])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::archive_bytes;
    use bytes::Bytes;
    use proptest::prelude::*;
    use std::io::Write as _;

    const CHART_YAML: &str = "apiVersion: v2\nname: demo\nversion: 0.1.0\n";

    fn chart_files(extra: &[(&str, &[u8])]) -> ChartFiles {
        let mut f = ChartFiles::new();
        f.insert(
            "Chart.yaml".into(),
            Bytes::from_static(CHART_YAML.as_bytes()),
        );
        for (p, b) in extra {
            f.insert((*p).into(), Bytes::copy_from_slice(b));
        }
        f
    }

    /// A raw ustar header; tar's own builder refuses most of what these tests need.
    fn header(name: &[u8], kind: u8, size: u64, link: &[u8]) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    /// One hand-made entry: (name, type flag, data, link target).
    type RawEntry<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

    /// Gzipped tar of hand-made entries.
    fn raw_tgz(entries: &[RawEntry]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (name, kind, data, link) in entries {
            tar.extend_from_slice(&header(name, *kind, data.len() as u64, link));
            tar.extend_from_slice(data);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.extend_from_slice(&[0u8; 1024]);
        gzip(&tar)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn err(bytes: &[u8]) -> String {
        read_archive(bytes, "evil.tgz").unwrap_err().to_string()
    }

    const Y: &[u8] = CHART_YAML.as_bytes();

    #[test]
    fn round_trip_strips_the_prefix() {
        let long = format!("templates/{}.yaml.j2", "é".repeat(80));
        let files = chart_files(&[("values.yaml", b"a: 1\n"), (long.as_str(), b"x")]);
        let tgz = archive_bytes(&files, "demo", 0);
        assert_eq!(read_archive(&tgz, "demo.tgz").unwrap(), files);
    }

    #[test]
    fn accepts_directory_entries_and_pax_global_headers() {
        let tgz = raw_tgz(&[
            (
                b"pax_global_header",
                b'g',
                b"52 comment=0123456789abcdef0123456789abcdef01234567\n",
                b"",
            ),
            (b"demo/", b'5', b"", b""),
            (b"demo/Chart.yaml", b'0', Y, b""),
            (b"demo/templates/", b'5', b"", b""),
        ]);
        assert_eq!(read_archive(&tgz, "x").unwrap(), chart_files(&[]));
    }

    #[test]
    fn rejects_hostile_entries() {
        let cases: &[(&[RawEntry], &str)] = &[
            (
                &[
                    (b"demo/Chart.yaml", b'0', Y, b""),
                    (b"demo/../x", b'0', b"x", b""),
                ],
                "'..'",
            ),
            (&[(b"../x", b'0', b"x", b"")], "'..'"),
            (&[(b"/etc/x", b'0', b"x", b"")], "absolute"),
            (
                &[(b"demo/l", b'2', b"", b"../../etc/passwd")],
                "symbolic link",
            ),
            (&[(b"demo/h", b'1', b"", b"/etc/passwd")], "hard link"),
            (&[(b"demo/d", b'3', b"", b"")], "device"),
            (&[(b"demo/d", b'4', b"", b"")], "device"),
            (&[(b"demo/p", b'6', b"", b"")], "named pipe"),
            (&[(b"demo/c", b'7', b"", b"")], "entry type"),
            (&[(b"demo/s", b'S', b"", b"")], "not a valid chart archive"),
            (
                &[
                    (b"demo/Chart.yaml", b'0', Y, b""),
                    (b"other/x", b'0', b"x", b""),
                ],
                "outside the chart directory",
            ),
            (&[(b"Chart.yaml", b'0', Y, b"")], "top level"),
            (
                &[
                    (b"demo/Chart.yaml", b'0', Y, b""),
                    (b"demo/Chart.yaml", b'0', Y, b""),
                ],
                "appears twice",
            ),
            (&[(b"demo/a\xff", b'0', b"x", b"")], "UTF-8"),
            (&[(b"demo/a\\..\\x", b'0', b"x", b"")], "backslash"),
            (&[(b"demo/./a", b'0', b"x", b"")], "'.'"),
            (
                &[
                    (b"demo/Chart.yaml", b'0', Y, b""),
                    (b"demo/a", b'0', b"x", b""),
                    (b"demo/a/b", b'0', b"x", b""),
                ],
                "also the directory",
            ),
            (
                &[(b"other/Chart.yaml", b'0', Y, b"")],
                "does not match the chart name",
            ),
            (
                &[(b"demo/values.yaml", b'0', b"", b"")],
                "no demo/Chart.yaml",
            ),
            (&[], "contains no files"),
        ];
        for (entries, want) in cases {
            let text = err(&raw_tgz(entries));
            assert!(text.contains(want), "want {want:?} in: {text}");
            assert!(text.contains("evil.tgz"), "archive not named: {text}");
            assert!(text.contains("help:"), "no advice: {text}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let small = Limits {
            total: 64 * 1024,
            entries: 3,
            file: 1024,
        };
        let read = |f: &ChartFiles| read_with_limits(&archive_bytes(f, "demo", 0), "x", small);
        assert!(read(&chart_files(&[("a", &[0; 1024])])).is_ok());
        let e = read(&chart_files(&[("a", &[0; 1025])]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"demo/a\" is 1025 bytes"), "{e}");
        let e = read(&chart_files(&[("a", b""), ("b", b""), ("c", b"")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 3 entries"), "{e}");
        // Headers alone (a long-name entry per file) count against the total.
        let many: Vec<(String, Bytes)> = (0..2)
            .map(|i| (format!("{i}{}", "n".repeat(40_000)), Bytes::new()))
            .collect();
        let mut f = chart_files(&[]);
        f.extend(many);
        let e = read(&f).unwrap_err().to_string();
        assert!(e.contains("more than 65536 bytes"), "{e}");
    }

    #[test]
    fn rejects_corruption_and_trailing_data() {
        let tgz = archive_bytes(&chart_files(&[("values.yaml", &[b'v'; 3000])]), "demo", 0);
        let mut flipped = tgz.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x40;
        assert!(err(&flipped).contains("not a valid chart archive"));
        let mut trailing = tgz.clone();
        trailing.extend_from_slice(b"junk");
        assert!(err(&trailing).contains("4 bytes of unexpected data"));
        let mut crc = tgz;
        let n = crc.len();
        crc[n - 8] ^= 1;
        assert!(err(&crc).contains("not a valid chart archive"));
        assert!(err(b"").contains("not a valid chart archive"));
        assert!(err(b"plain text").contains("not a valid chart archive"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read_archive(&bytes, "r.tgz");
            let _ = read_archive(&gzip(&bytes), "r.tgz");
        }

        #[test]
        fn random_entries_never_panic(
            entries in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        prop_oneof![Just(b'/'), Just(b'.'), Just(b'd'), Just(b'\\'), any::<u8>()],
                        0..100,
                    ),
                    prop_oneof![Just(b'0'), Just(b'5'), Just(b'2'), Just(b'L'), Just(b'x'), any::<u8>()],
                    proptest::collection::vec(any::<u8>(), 0..600),
                    proptest::collection::vec(any::<u8>(), 0..100),
                ),
                0..6,
            ),
            with_chart in any::<bool>(),
        ) {
            let mut list: Vec<RawEntry> = Vec::new();
            if with_chart {
                list.push((b"demo/Chart.yaml", b'0', Y, b""));
            }
            for (name, kind, data, link) in &entries {
                list.push((name, *kind, data, link));
            }
            let tgz = raw_tgz(&list);
            let _ = read_archive(&tgz, "r.tgz");
            let small = Limits { total: 4096, entries: 4, file: 300 };
            let _ = read_with_limits(&tgz, "r.tgz", small);
        }
    }
}
