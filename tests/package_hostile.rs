//! Hand-made hostile archives given to the built binary as `--chart`: each is rejected with an
//! error naming the archive and the entry and saying what to do, and nothing is written
//! anywhere, not in the output directory, not beside the archive, not at an absolute path.
//!
//! The archives are built from raw tar headers because tar's own builder refuses `..` and
//! absolute paths, which is exactly what we need to produce here.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use assert_cmd::Command;

const CHART_YAML: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";

/// A ustar header block with `name` and `link` written byte for byte.
fn header(name: &[u8], kind: u8, size: u64, link: &[u8]) -> [u8; 512] {
    assert!(
        name.len() <= 100 && link.len() <= 100,
        "fixture name too long"
    );
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

/// One entry: name, type flag, data (a reader, so bombs need no memory), declared size, link.
struct Raw {
    name: Vec<u8>,
    kind: u8,
    data: Box<dyn Read>,
    size: u64,
    link: Vec<u8>,
}

fn file(name: &str, data: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind: b'0',
        data: Box::new(std::io::Cursor::new(data.to_vec())),
        size: data.len() as u64,
        link: vec![],
    }
}

fn link(name: &str, kind: u8, target: &str) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind,
        data: Box::new(std::io::empty()),
        size: 0,
        link: target.as_bytes().to_vec(),
    }
}

fn zeros(name: &str, size: u64) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind: b'0',
        data: Box::new(std::io::repeat(0).take(size)),
        size,
        link: vec![],
    }
}

/// Stream the entries through gzip into `path`.
fn write_tgz(path: &Path, entries: Vec<Raw>) {
    let out = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    for mut e in entries {
        gz.write_all(&header(&e.name, e.kind, e.size, &e.link))
            .unwrap();
        let n = std::io::copy(&mut e.data, &mut gz).unwrap();
        assert_eq!(n, e.size);
        let pad = (512 - (n % 512)) % 512;
        gz.write_all(&vec![0; pad as usize]).unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap();
}

/// Every path under `root`, relative, sorted.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"));
    cmd.env_remove("BSCOPE_CHART")
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// Give `evil.tgz` to `template --output-dir`, `package` and `verify` from an empty working
/// directory next to it; each must fail with exit 1 and a message containing every string of
/// `want`, and the whole temporary tree must be unchanged afterwards.
fn assert_rejected(root: &Path, want: &[&str]) {
    let work = root.join("work");
    std::fs::create_dir(&work).unwrap();
    let before = tree(root);
    let runs: [&[&str]; 4] = [
        &["template", "--chart", "../evil.tgz", "--output-dir", "out"],
        &["template", "--chart", "../evil.tgz"],
        &["package", "--chart", "../evil.tgz", "-d", "out"],
        &["show", "values", "--chart", "../evil.tgz"],
    ];
    for args in runs {
        let out = bin().current_dir(&work).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} did not fail: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed output");
        for w in want.iter().chain(&["evil.tgz", "help:"]) {
            assert!(stderr.contains(w), "{args:?}: want {w:?} in:\n{stderr}");
        }
    }
    let sha = sha256_of(&root.join("evil.tgz"));
    let out = bin()
        .current_dir(&work)
        .args(["verify", "../evil.tgz", "--sha256", &sha])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(tree(root), before, "something was written");
    assert!(!root.join("x").exists() && !work.join("x").exists());
}

fn sha256_of(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

fn setup(entries: Vec<Raw>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    write_tgz(&root.join("evil.tgz"), entries);
    (dir, root)
}

#[test]
fn dot_dot_entry() {
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        file("../x", b"pwned"),
    ]);
    assert_rejected(&root, &["\"../x\"", "'..'"]);
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        file("demo/../../x", b"pwned"),
    ]);
    assert_rejected(&root, &["\"demo/../../x\"", "'..'"]);
}

#[test]
fn absolute_path() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    let target_str = target.to_str().unwrap();
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        file(target_str, b"pwned"),
    ]);
    assert_rejected(&root, &[target_str, "absolute"]);
    assert!(!target.exists());
}

#[test]
fn symlink_pointing_outside() {
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        link("demo/templates/cm.yaml.j2", b'2', "../../x"),
    ]);
    assert_rejected(
        &root,
        &["demo/templates/cm.yaml.j2", "symbolic link", "../../x"],
    );
}

#[test]
fn hard_link() {
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        link("demo/values.yaml", b'1', "/etc/passwd"),
    ]);
    assert_rejected(&root, &["demo/values.yaml", "hard link", "/etc/passwd"]);
}

#[test]
fn device_and_fifo() {
    for (kind, what) in [(b'3', "device"), (b'4', "device"), (b'6', "named pipe")] {
        let (_d, root) = setup(vec![
            file("demo/Chart.yaml", CHART_YAML),
            link("demo/dev", kind, ""),
        ]);
        assert_rejected(&root, &["demo/dev", what]);
    }
}

#[test]
fn entry_outside_the_chart_directory() {
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        file("other/x", b"x"),
    ]);
    assert_rejected(
        &root,
        &["\"other/x\"", "outside the chart directory \"demo/\""],
    );
    let (_d, root) = setup(vec![file("demo/Chart.yaml", CHART_YAML), file("x", b"x")]);
    assert_rejected(&root, &["\"x\"", "outside the chart directory"]);
    // A file beside the directory, before it.
    let (_d, root) = setup(vec![file("x", b"x"), file("demo/Chart.yaml", CHART_YAML)]);
    assert_rejected(&root, &["\"x\"", "top level"]);
    // A directory that is not the chart's name.
    let (_d, root) = setup(vec![file("evil/Chart.yaml", CHART_YAML)]);
    assert_rejected(
        &root,
        &["\"evil/\"", "does not match the chart name \"demo\""],
    );
}

#[test]
fn duplicate_entry() {
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        file("demo/values.yaml", b"a: 1\n"),
        file("demo/values.yaml", b"a: 2\n"),
    ]);
    assert_rejected(&root, &["\"demo/values.yaml\"", "appears twice"]);
}

#[test]
fn gzip_bomb_single_file() {
    // 200 MiB of zeros compress to a few hundred KiB; the header alone says it is too big, so
    // the reader stops before decompressing the data.
    let (_d, root) = setup(vec![
        file("demo/Chart.yaml", CHART_YAML),
        zeros("demo/values.yaml", 200 << 20),
    ]);
    let size = std::fs::metadata(root.join("evil.tgz")).unwrap().len();
    assert!(size < 1 << 20, "bomb is {size} bytes");
    let t = Instant::now();
    assert_rejected(
        &root,
        &["\"demo/values.yaml\"", "209715200 bytes", "limit per file"],
    );
    eprintln!("single-file bomb rejected 4 times in {:?}", t.elapsed());
}

#[test]
fn gzip_bomb_many_files() {
    // 21 files of 5 MiB each: every one is under the per-file limit, together they exceed the
    // 100 MiB total.
    let mut entries = vec![file("demo/Chart.yaml", CHART_YAML)];
    for i in 0..21 {
        entries.push(zeros(&format!("demo/files/{i:02}"), 5 << 20));
    }
    let (_d, root) = setup(entries);
    assert_rejected(&root, &["more than 104857600 bytes", "gzip bomb"]);
}
