//! `verify`: check a packaged chart's checksum and structure.

use std::path::{Path, PathBuf};

use crate::chart::Chart;
use crate::error::{Error, Problem, Result};
use crate::package::{read_archive, sha256_hex};

/// A verified archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `name-version` of the chart inside.
    pub chart_id: String,
    /// Lower-case hex sha256 of the archive (equal to the expected one).
    pub sha256: String,
}

/// Verify `archive`: its sha256 must equal `expected` if given, else the one listed in
/// `ARCHIVE.sha256` next to it (`sha256sum` format); then it must pass the safe reader and hold a
/// valid chart. The checksum is checked first because a mismatch is the most useful thing to
/// report: the file is not the one that was published, whatever else is wrong with it.
pub fn verify(archive: &Path, expected: Option<&str>) -> Result<Verified> {
    let shown = archive.display().to_string();
    let bytes = std::fs::read(archive).map_err(|e| Error::io("read", archive, e))?;
    let (expected, source) = match expected {
        Some(hex) => (hex.trim().to_ascii_lowercase(), "--sha256".to_string()),
        None => {
            let file = checksum_path(archive);
            (
                expected_from_file(archive, &file)?,
                file.display().to_string(),
            )
        }
    };
    if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::problem(
            Problem::new(format!(
                "{source}: {expected:?} is not a sha256 (64 hexadecimal digits)"
            ))
            .help("give the sha256 as printed by `sha256sum` or `bscope-chart package`"),
        ));
    }
    let actual = sha256_hex(&bytes);
    if actual != expected {
        return Err(Error::problem(
            Problem::new(format!(
                "{shown}: sha256 mismatch: expected {expected} (from {source}), found {actual}"
            ))
            .help(
                "the file is damaged or is not the one that was published; download it again \
                 or re-create it with `bscope-chart package`",
            ),
        ));
    }
    let files = read_archive(&bytes, &shown)?;
    let chart = Chart::from_files(files, shown)?;
    Ok(Verified {
        chart_id: chart.id(),
        sha256: actual,
    })
}

/// `FILE.tgz` → `FILE.tgz.sha256`.
fn checksum_path(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_os_string();
    s.push(".sha256");
    PathBuf::from(s)
}

/// The sha256 that `file` (`sha256sum` output: `HEX  NAME` or `HEX *NAME` lines) lists for
/// `archive`. A line for another file name is an error rather than ignored: it usually means
/// the archive was renamed, and `sha256sum -c` would not check it either.
fn expected_from_file(archive: &Path, file: &Path) -> Result<String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::problem(
                Problem::new(format!("{}: no checksum file", file.display())).help(
                    "put the .sha256 written by `bscope-chart package` next to the archive, or \
                     pass --sha256 HEX",
                ),
            )
        } else {
            Error::io("read", file, e)
        }
    })?;
    let base = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut listed = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (hex, rest) = line.split_once(' ').unwrap_or((line, ""));
        let name = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .unwrap_or(rest);
        if name == base {
            return Ok(hex.to_ascii_lowercase());
        }
        listed.push(name.to_string());
    }
    Err(Error::problem(
        Problem::new(format!(
            "{}: no checksum for {base:?} (it lists {listed:?})",
            file.display()
        ))
        .help("use the .sha256 that was published with this archive, or pass --sha256 HEX"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sha256sum_lines() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.tgz");
        let f = dir.path().join("a.tgz.sha256");
        std::fs::write(&f, "ABC  other.tgz\nDEF *a.tgz\n").unwrap();
        assert_eq!(expected_from_file(&a, &f).unwrap(), "def");
        std::fs::write(&f, "abc  b.tgz\n").unwrap();
        let e = expected_from_file(&a, &f).unwrap_err().to_string();
        assert!(e.contains("no checksum for \"a.tgz\""), "{e}");
        assert!(checksum_path(&a).ends_with("a.tgz.sha256"));
    }
}
