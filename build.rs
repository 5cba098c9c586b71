//! Embeds `chart/` into the binary.
//!
//! We generate one `include_bytes!` per file instead of using a directory-embedding macro because
//! Cargo then tracks every file, and `rerun-if-changed=chart` (which scans the whole tree) catches
//! files that are added or removed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let chart = root.join("chart");
    println!("cargo:rerun-if-changed=chart");
    let mut files = Vec::new();
    if chart.is_dir() {
        collect(&chart, &chart, &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// Files of the embedded chart: (path relative to `chart/`, bytes), sorted.\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        writeln!(
            out,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_chart.rs");
    std::fs::write(dest, out).expect("write embedded_chart.rs");
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect(base, &path, out);
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
}
