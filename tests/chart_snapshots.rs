//! Snapshots of the full renders of both values files: any change to the
//! chart's output shows up as a reviewable diff (`cargo insta review`).

use assert_cmd::Command;

fn render(values_file: &str) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BSCOPE_CHART")
        .env_remove("BSCOPE_NAMESPACE")
        .args(["template", "--chart", "chart", "-f", values_file])
        .output()
        .expect("run bscope-chart");
    assert!(
        out.status.success(),
        "template -f {values_file} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("manifest is UTF-8")
}

#[test]
fn minikube_render() {
    insta::assert_snapshot!("minikube", render("values/minikube.yaml"));
}

#[test]
fn prod_render() {
    // prod.yaml leaves the Grafana admin password to be generated at the first
    // install (offline: a new random one per render), so its value is masked.
    let manifest = render("values/prod.yaml");
    let mut masked = 0;
    let stable: Vec<String> = manifest
        .lines()
        .map(|line| match line.strip_prefix("  admin-password: ") {
            Some(_) => {
                masked += 1;
                "  admin-password: '[generated at first install]'".to_owned()
            }
            None => line.to_owned(),
        })
        .collect();
    assert_eq!(
        masked, 1,
        "exactly one generated password in the prod render"
    );
    insta::assert_snapshot!("prod", stable.join("\n"));
}
