//! Writing byte-reproducible archives, and putting them on disk atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::{Compression, GzBuilder};
use tar::{Builder, EntryType, Header};

use super::{COMPRESSION_LEVEL, MAX_ENTRIES, MAX_FILE_SIZE, MAX_TOTAL_SIZE, path_problem};
use crate::chart::{Chart, ChartFiles};
use crate::error::{Error, Problem, Result};

/// Tar block size; every header and every file's padded data is a multiple of it.
const BLOCK: u64 = 512;
/// Length of the name field of a tar header; longer paths get a GNU long-name entry.
const NAME_FIELD: usize = 100;

/// `NAME-VERSION.tgz`, the file name `package` writes and Helm users expect.
pub fn archive_file_name(chart: &Chart) -> String {
    format!("{}.tgz", chart.id())
}

/// One `sha256sum` line for `file`: `<hex>  <file>\n` (two spaces: text mode), so that
/// `sha256sum -c NAME-VERSION.tgz.sha256` works next to the archive.
pub fn checksum_line(sha256_hex: &str, file: &str) -> String {
    format!("{sha256_hex}  {file}\n")
}

/// The entry mtime: `SOURCE_DATE_EPOCH` (the reproducible-builds convention) if set, else 0.
///
/// 0 rather than "now" because a timestamp would make every package of the same source differ.
pub fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(std::env::VarError::NotPresent) => Ok(0),
        Ok(v) if v.trim().is_empty() => Ok(0),
        Ok(v) => v.trim().parse::<u64>().map_err(|_| {
            Error::problem(
                Problem::new(format!(
                    "SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds since 1970"
                ))
                .help("unset it, or set it to e.g. the last commit's time: $(git log -1 --format=%ct)"),
            )
        }),
        Err(std::env::VarError::NotUnicode(v)) => Err(Error::msg(format!(
            "SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds since 1970"
        ))),
    }
}

/// The archive `package` writes, after checking that the safe reader will accept it again:
/// every path valid, no more than [`MAX_ENTRIES`] files, none over [`MAX_FILE_SIZE`], the whole
/// under [`MAX_TOTAL_SIZE`]. Refusing here is kinder than shipping a chart nobody can load.
pub fn package_bytes(chart: &Chart, mtime: u64) -> Result<Vec<u8>> {
    let mut problems = Vec::new();
    let name = &chart.metadata.name;
    if chart.files.len() > MAX_ENTRIES {
        problems.push(
            Problem::new(format!(
                "{}: {} files, more than the {MAX_ENTRIES} a chart archive may hold",
                chart.origin,
                chart.files.len()
            ))
            .help("list generated or unneeded files in .bscopeignore"),
        );
    }
    for (path, data) in &chart.files {
        if let Some(why) = path_problem(path) {
            problems.push(Problem::new(format!(
                "{}: cannot package {path:?}: {why}",
                chart.origin
            )));
        }
        if data.len() as u64 > MAX_FILE_SIZE {
            problems.push(
                Problem::new(format!(
                    "{}: {path} is {} bytes, more than the {MAX_FILE_SIZE}-byte limit per file",
                    chart.origin,
                    data.len()
                ))
                .help("make the file smaller, or list it in .bscopeignore"),
            );
        }
    }
    let total = tar_len(&chart.files, name);
    if total > MAX_TOTAL_SIZE {
        problems.push(
            Problem::new(format!(
                "{}: the archive would be {total} bytes uncompressed, more than the \
                 {MAX_TOTAL_SIZE}-byte limit",
                chart.origin
            ))
            .help("list large or unneeded files in .bscopeignore"),
        );
    }
    if !problems.is_empty() {
        return Err(Error::Problems(problems));
    }
    Ok(archive_bytes(&chart.files, name, mtime))
}

/// The reproducible `.tgz` bytes of `files` under `NAME/`, with every entry's mtime set to
/// `mtime`. No validation (see [`package_bytes`]); infallible so that [`super::digest`] is too.
///
/// Entries are regular files only, in `files`' (sorted) order, with GNU headers: mode 0644,
/// uid/gid 0, empty user and group names. Directory entries are left out: readers create
/// directories from file paths, and fewer entry kinds means fewer ways to differ. Paths longer
/// than the 100-byte header field get a GNU `././@LongLink` entry, exactly like `tar` does.
/// The gzip header has mtime 0, no file name, and the OS byte flate2 always writes (255).
pub fn archive_bytes(files: &ChartFiles, name: &str, mtime: u64) -> Vec<u8> {
    let mut builder = Builder::new(Vec::new());
    for (path, data) in files {
        let full = format!("{name}/{path}");
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        if full.len() > NAME_FIELD {
            let mut long = Header::new_gnu();
            let marker = b"././@LongLink";
            long.as_old_mut().name[..marker.len()].copy_from_slice(marker);
            long.set_entry_type(EntryType::GNULongName);
            long.set_size(full.len() as u64 + 1); // NUL-terminated, as GNU tar writes it
            long.set_mode(0o644);
            long.set_uid(0);
            long.set_gid(0);
            long.set_mtime(0);
            long.set_cksum();
            let mut name_data = full.as_bytes().to_vec();
            name_data.push(0);
            in_memory(builder.append(&long, name_data.as_slice()));
        }
        let short = truncate_at_char(&full, NAME_FIELD);
        header.as_old_mut().name[..short.len()].copy_from_slice(short.as_bytes());
        header.set_cksum();
        in_memory(builder.append(&header, &data[..]));
    }
    let tar = in_memory(builder.into_inner());
    let mut gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::new(COMPRESSION_LEVEL));
    in_memory(gz.write_all(&tar));
    in_memory(gz.finish())
}

/// Exact uncompressed length of [`archive_bytes`]' tar stream, computed without building it.
fn tar_len(files: &ChartFiles, name: &str) -> u64 {
    let padded = |n: u64| n.div_ceil(BLOCK) * BLOCK;
    let entries: u64 = files
        .iter()
        .map(|(path, data)| {
            let full = name.len() as u64 + 1 + path.len() as u64;
            let long = if full > NAME_FIELD as u64 {
                BLOCK + padded(full + 1)
            } else {
                0
            };
            long + BLOCK + padded(data.len() as u64)
        })
        .sum();
    // Builder::finish writes two zero blocks.
    entries + 2 * BLOCK
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_at_char(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Writing into a `Vec<u8>` cannot fail (allocation failure aborts instead), so the
/// `io::Result`s of tar and flate2 over a `Vec` carry no information.
fn in_memory<T>(r: io::Result<T>) -> T {
    r.expect("writing to memory cannot fail")
}

/// Write several files into `dir` so that each appears whole or not at all: each is written
/// to a fresh temporary file in `dir` (same file system), flushed to disk, then renamed over
/// its final name. If anything fails, the temporary files are removed, and so are final files
/// this call already renamed, so no `.tgz` is ever left beside a stale `.sha256`.
///
/// Creates `dir` if missing. Returns the final paths, in order.
pub fn write_atomically(dir: &Path, files: &[(&str, &[u8])]) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let result = (|| {
        for (name, bytes) in files {
            let (path, mut file) = create_temp(dir, name)?;
            temps.push(path.clone());
            file.write_all(bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io("write", &path, e))?;
        }
        let mut done = Vec::new();
        for ((name, _), temp) in files.iter().zip(&temps) {
            let dest = dir.join(name);
            if let Err(e) = fs::rename(temp, &dest) {
                for d in &done {
                    let _ = fs::remove_file(d);
                }
                return Err(Error::io("rename into place", &dest, e));
            }
            done.push(dest);
        }
        // Persist the renames themselves; best effort, as not every platform can open a
        // directory for syncing.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(done)
    })();
    if result.is_err() {
        for t in &temps {
            let _ = fs::remove_file(t);
        }
    }
    result
}

/// A new, exclusively created temporary file `.NAME.tmp-PID-N` in `dir`.
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last = None;
    for attempt in 0..16u32 {
        let path = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            seed.wrapping_add(attempt)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some((path, e)),
            Err(e) => return Err(Error::io("create", &path, e)),
        }
    }
    let (path, e) = last.unwrap_or_else(|| {
        (
            dir.join(name),
            io::Error::from(io::ErrorKind::AlreadyExists),
        )
    });
    Err(Error::io("create", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn files(entries: &[(&str, &str)]) -> ChartFiles {
        entries
            .iter()
            .map(|(p, b)| ((*p).to_string(), Bytes::copy_from_slice(b.as_bytes())))
            .collect()
    }

    #[test]
    fn tar_len_matches_the_real_stream() {
        let long = format!("templates/{}.yaml.j2", "x".repeat(150));
        let f = files(&[("Chart.yaml", "a"), (&long, "bb"), ("empty", "")]);
        let gz = archive_bytes(&f, "demo", 0);
        let mut tar = Vec::new();
        io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut tar).unwrap();
        assert_eq!(tar.len() as u64, tar_len(&f, "demo"));
    }

    #[test]
    fn gzip_header_has_no_time_or_name() {
        let gz = archive_bytes(&files(&[("a", "b")]), "demo", 12345);
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        assert_eq!(gz[3], 0, "no FNAME or other flags");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip mtime");
    }

    #[test]
    fn headers_are_fixed() {
        let gz = archive_bytes(&files(&[("b", "2"), ("a", "1")]), "demo", 77);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
        let mut seen = Vec::new();
        for e in archive.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!(h.mode().unwrap(), 0o644);
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.mtime().unwrap(), 77);
            assert_eq!(h.username_bytes(), Some(&b""[..]));
            seen.push(String::from_utf8(e.path_bytes().to_vec()).unwrap());
        }
        assert_eq!(seen, ["demo/a", "demo/b"]);
    }

    #[test]
    fn atomic_write_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let paths = write_atomically(&out, &[("a.tgz", b"1"), ("a.tgz.sha256", b"2")]).unwrap();
        assert_eq!(paths, [out.join("a.tgz"), out.join("a.tgz.sha256")]);
        let mut names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.tgz", "a.tgz.sha256"]);
    }

    #[test]
    fn failed_atomic_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The second destination is an existing directory, so its rename fails.
        fs::create_dir(dir.path().join("b")).unwrap();
        fs::write(dir.path().join("b/keep"), "x").unwrap();
        let e = write_atomically(dir.path(), &[("a", b"1"), ("b", b"2")]).unwrap_err();
        assert!(e.to_string().contains("rename"), "{e}");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["b"]);
    }
}
