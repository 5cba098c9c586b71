//! Chart copies for tests and benchmarks that share one cluster.
//!
//! The chart's ClusterRoles/ClusterRoleBindings have fixed, cluster-wide names (as in the seed),
//! so only one release of the real chart fits per cluster. Tests and benchmarks install a copy
//! whose cluster-scoped names carry a per-run suffix. Included with `#[path]` by
//! `tests/common/mod.rs` and the `examples/*_figures.rs` programs.
#![allow(dead_code)]

use std::path::Path;

/// Four random bytes as hex.
pub fn random_id() -> String {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).expect("random bytes");
    hex::encode(b)
}

/// Copy the chart to `to`, suffixing the fixed names of its cluster-scoped objects with `-id`
/// (ClusterRole/ClusterRoleBinding names and the binding's roleRef, nothing else).
pub fn copy_chart(from: &Path, to: &Path, id: &str) {
    copy_dir(from, to);
    let mut renamed = 0;
    for component in ["prometheus", "promtail"] {
        let path = to.join(format!("templates/{component}.yaml.j2"));
        let text = std::fs::read_to_string(&path).expect("chart template");
        let docs: Vec<String> = text
            .split("\n---\n")
            .map(|doc| {
                let cluster_scoped = doc
                    .lines()
                    .any(|l| l == "kind: ClusterRole" || l == "kind: ClusterRoleBinding");
                if !cluster_scoped {
                    return doc.to_string();
                }
                doc.lines()
                    .map(|l| {
                        if l == format!("  name: {component}") {
                            renamed += 1;
                            format!("  name: {component}-{id}")
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        std::fs::write(&path, docs.join("\n---\n")).expect("write chart template");
    }
    // ClusterRole name + ClusterRoleBinding name + roleRef name, for each of the two.
    assert_eq!(
        renamed, 6,
        "the chart's ClusterRole/ClusterRoleBinding layout changed; update tests/support/chart_copy.rs"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create chart copy");
    for entry in std::fs::read_dir(from).expect("read chart") {
        let entry = entry.expect("chart entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy chart file");
        }
    }
}
