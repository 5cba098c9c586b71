//! Embeds `chart/` into the binary, and links the binary as a fixed-address executable.
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
    link_binary_without_pie();
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

/// On Linux, link `bscope-chart` without PIE. A PIE image must be relocated at every start: the
/// dynamic loader patches ~33,000 pointers (vtables, string tables), which copies some 175 pages
/// of read-only data to fresh memory, about half a millisecond of a `template` run that lasts
/// ten. A fixed-address image has those pointers resolved at link time. The cost is that the
/// binary's own code is not at a random address (ASLR still covers the stack, the heap and the
/// shared libraries); for a memory-safe, short-lived CLI we take the start-up time. Only the
/// binary: the library, tests and examples link as usual.
fn link_binary_without_pie() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
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
