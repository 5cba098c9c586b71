//! `package` and `verify` through the built binary: reproducible bytes whatever the files'
//! mtimes or creation order, `sha256sum -c` compatibility, identical rendering from a directory
//! and from its `.tgz`, tamper detection, and Chart.yaml validation before anything is written.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"));
    cmd.env_remove("BSCOPE_CHART")
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

const TEMPLATE: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ release.name }}-settings
  namespace: {{ release.namespace }}
data:
  greeting: {{ values.greeting | tojson }}
  replicas: \"{{ values.replicas }}\"
  chart: \"{{ chart.name }}-{{ chart.version }}\"
";

/// A long path, so the archive needs a GNU long-name entry.
fn long_name() -> String {
    format!("files/{}.txt", "long-name-".repeat(12))
}

/// The fixture chart's files, in the order given (tests create them in different orders).
fn fixture_files() -> Vec<(String, String)> {
    vec![
        (
            "Chart.yaml".into(),
            "apiVersion: v2\nname: demo\nversion: 0.3.0\ndescription: fixture\n".into(),
        ),
        (
            "values.yaml".into(),
            "greeting: hello\nreplicas: 2\n".into(),
        ),
        ("templates/cm.yaml.j2".into(), TEMPLATE.into()),
        ("files/dashboards/a.json".into(), "{\"a\": 1}\n".into()),
        (long_name(), "long\n".into()),
        (".bscopeignore".into(), "*.bak\n".into()),
        ("notes.bak".into(), "not packaged\n".into()),
    ]
}

fn write_fixture(dir: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path(), &fixture_files());
    dir
}

/// Run `package --chart CHART -d OUT`, check it printed the two paths, return the `.tgz` path.
fn package(chart: Option<&Path>, out: &Path, epoch: Option<&str>) -> PathBuf {
    let mut cmd = bin();
    if let Some(c) = chart {
        cmd.arg("--chart").arg(c);
    }
    if let Some(e) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", e);
    }
    let output = cmd.arg("package").arg("-d").arg(out).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "package failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].ends_with(".tgz") && lines[1] == format!("{}.sha256", lines[0]));
    PathBuf::from(lines[0])
}

/// Set every file's (and directory's) mtime under `dir` to `when`.
fn touch_all(dir: &Path, when: SystemTime) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            touch_all(&p, when);
        } else {
            fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
}

/// (path, mtime, mode, uid, gid) of every entry.
fn entries(tgz: &[u8]) -> Vec<(String, u64, u32, u64, u64)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8(e.path_bytes().to_vec()).unwrap(),
                h.mtime().unwrap(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
            )
        })
        .collect()
}

fn sha256sum_check(dir: &Path, checksum_file: &str) {
    let out = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg(checksum_file)
        .current_dir(dir)
        .output()
        .expect("run sha256sum");
    assert!(
        out.status.success(),
        "sha256sum -c failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": OK"));
}

#[test]
fn packaging_is_byte_reproducible() {
    let chart = fixture();
    let out1 = tempfile::tempdir().unwrap();
    let out2 = tempfile::tempdir().unwrap();
    let first = package(Some(chart.path()), out1.path(), None);
    assert_eq!(first, out1.path().join("demo-0.3.0.tgz"));

    touch_all(
        chart.path(),
        SystemTime::now() + Duration::from_secs(3 * 3600),
    );
    let second = package(Some(chart.path()), out2.path(), None);
    let (a, b) = (fs::read(&first).unwrap(), fs::read(&second).unwrap());
    assert!(a == b, "archives differ after touching the files");
    assert_eq!(
        fs::read(out1.path().join("demo-0.3.0.tgz.sha256")).unwrap(),
        fs::read(out2.path().join("demo-0.3.0.tgz.sha256")).unwrap()
    );
    sha256sum_check(out1.path(), "demo-0.3.0.tgz.sha256");

    // The same files created in the opposite order give the same bytes too.
    let reversed = tempfile::tempdir().unwrap();
    let mut files = fixture_files();
    files.reverse();
    write_fixture(reversed.path(), &files);
    let out3 = tempfile::tempdir().unwrap();
    assert!(fs::read(package(Some(reversed.path()), out3.path(), None)).unwrap() == a);

    // Sorted, under demo/, fixed metadata, ignored file left out.
    let list = entries(&a);
    let mut expected: Vec<String> = fixture_files()
        .into_iter()
        .map(|(p, _)| format!("demo/{p}"))
        .filter(|p| !p.ends_with(".bak"))
        .collect();
    expected.sort();
    assert_eq!(
        list.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(
        list.iter()
            .all(|e| (e.1, e.2, e.3, e.4) == (0, 0o644, 0, 0))
    );
}

#[test]
fn source_date_epoch_sets_the_mtime_reproducibly() {
    let chart = fixture();
    let (o1, o2, o3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let a = fs::read(package(Some(chart.path()), o1.path(), Some("1700000000"))).unwrap();
    let b = fs::read(package(Some(chart.path()), o2.path(), Some("1700000000"))).unwrap();
    let zero = fs::read(package(Some(chart.path()), o3.path(), None)).unwrap();
    assert!(a == b);
    assert!(a != zero);
    assert!(entries(&a).iter().all(|e| e.1 == 1_700_000_000));
    sha256sum_check(o1.path(), "demo-0.3.0.tgz.sha256");

    let out = bin()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .arg("--chart")
        .arg(chart.path())
        .args(["package", "-d"])
        .arg(o3.path().join("new"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SOURCE_DATE_EPOCH"));
    assert!(!o3.path().join("new").exists());
}

#[test]
fn embedded_chart_packages_reproducibly() {
    let (o1, o2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start = std::time::Instant::now();
    let first = package(None, o1.path(), None);
    eprintln!(
        "package (embedded chart, whole process): {:?}",
        start.elapsed()
    );
    let second = package(None, o2.path(), None);
    assert!(fs::read(&first).unwrap() == fs::read(&second).unwrap());
    let name = first.file_name().unwrap().to_str().unwrap();
    sha256sum_check(o1.path(), &format!("{name}.sha256"));
    let out = bin().arg("verify").arg(&first).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_stdout(args: &[&std::ffi::OsStr]) -> (Option<i32>, Vec<u8>) {
    let out = bin().args(args).output().unwrap();
    (out.status.code(), out.stdout)
}

#[test]
fn template_from_tgz_equals_template_from_directory() {
    let chart = fixture();
    let out = tempfile::tempdir().unwrap();
    let tgz = package(Some(chart.path()), out.path(), None);
    let values = out.path().join("override.yaml");
    fs::write(&values, "greeting: bonjour\n").unwrap();
    let variants: [Vec<&std::ffi::OsStr>; 3] = [
        vec!["template".as_ref()],
        vec![
            "template".as_ref(),
            "rel".as_ref(),
            "-f".as_ref(),
            values.as_os_str(),
            "--set".as_ref(),
            "replicas=5".as_ref(),
        ],
        vec!["show".as_ref(), "values".as_ref()],
    ];
    for args in variants {
        let mut from_dir = vec!["--chart".as_ref(), chart.path().as_os_str()];
        from_dir.extend(&args);
        let mut from_tgz = vec!["--chart".as_ref(), tgz.as_os_str()];
        from_tgz.extend(&args);
        let (dir_code, dir_out) = run_stdout(&from_dir);
        let (tgz_code, tgz_out) = run_stdout(&from_tgz);
        assert_eq!(dir_code, Some(0), "{args:?}");
        assert_eq!(tgz_code, Some(0), "{args:?}");
        assert!(!dir_out.is_empty());
        assert!(
            dir_out == tgz_out,
            "{args:?}:\n{}\n---\n{}",
            String::from_utf8_lossy(&dir_out),
            String::from_utf8_lossy(&tgz_out)
        );
    }
    let (_, text) = run_stdout(&["--chart".as_ref(), tgz.as_os_str(), "template".as_ref()]);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("greeting: hello") && text.contains("demo-0.3.0"),
        "{text}"
    );
}

/// The project's own `chart/` (still being written, so a render failure is only reported:
/// the two sources must then fail alike). The Grafana password is pinned because the chart
/// generates a random one on install, which would differ between any two renders.
#[test]
fn template_of_the_real_chart_from_tgz_equals_directory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("chart");
    let out = tempfile::tempdir().unwrap();
    let tgz = package(Some(&dir), out.path(), None);
    let render = |chart: &std::ffi::OsStr| {
        run_stdout(&[
            "--chart".as_ref(),
            chart,
            "template".as_ref(),
            "--set".as_ref(),
            "grafana.admin.password=pinned-for-this-test".as_ref(),
        ])
    };
    let (dir_code, dir_out) = render(dir.as_os_str());
    let (tgz_code, tgz_out) = render(tgz.as_os_str());
    if dir_code != Some(0) {
        eprintln!("note: chart/ does not render at the moment; compared the failures only");
    }
    assert_eq!(dir_code, tgz_code);
    assert!(
        dir_out == tgz_out,
        "rendering differs between chart/ and its .tgz"
    );
}

#[test]
fn verify_accepts_the_package_and_rejects_a_flipped_byte() {
    let chart = fixture();
    let out = tempfile::tempdir().unwrap();
    let tgz = package(Some(chart.path()), out.path(), None);
    let good = fs::read(&tgz).unwrap();
    let sha =
        fs::read_to_string(out.path().join("demo-0.3.0.tgz.sha256")).unwrap()[..64].to_string();

    let ok = bin().arg("verify").arg(&tgz).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8(ok.stdout).unwrap(),
        format!("{}: OK (demo-0.3.0, sha256 {sha})\n", tgz.display())
    );

    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x01;
    fs::write(&tgz, &bad).unwrap();
    let fail = bin().arg("verify").arg(&tgz).output().unwrap();
    assert_eq!(fail.status.code(), Some(1));
    let err = String::from_utf8_lossy(&fail.stderr);
    assert!(
        err.contains("sha256 mismatch") && err.contains(&sha),
        "{err}"
    );

    // Even when the checksum given matches the damaged file, the structure check catches it.
    let mut bad_sha = String::new();
    {
        use sha2::Digest as _;
        bad_sha.push_str(&hex::encode(sha2::Sha256::digest(&bad)));
    }
    let fail = bin()
        .arg("verify")
        .arg(&tgz)
        .args(["--sha256", &bad_sha])
        .output()
        .unwrap();
    assert_eq!(fail.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&fail.stderr).contains("not a valid chart archive"),
        "{}",
        String::from_utf8_lossy(&fail.stderr)
    );

    // --sha256 overrides the file; no .sha256 and no flag is an error, not a pass.
    fs::write(&tgz, &good).unwrap();
    let ok = bin()
        .arg("verify")
        .arg(&tgz)
        .args(["--sha256", &sha.to_uppercase()])
        .output()
        .unwrap();
    assert!(ok.status.success());
    fs::remove_file(out.path().join("demo-0.3.0.tgz.sha256")).unwrap();
    let fail = bin().arg("verify").arg(&tgz).output().unwrap();
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stderr).contains("no checksum file"));
    let fail = bin()
        .arg("verify")
        .arg(&tgz)
        .args(["--sha256", "abc"])
        .output()
        .unwrap();
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stderr).contains("64 hexadecimal digits"));
}

/// A gzipped tar of `files` under `demo/`, built with the tar crate (normal paths only).
fn tgz_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, text) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("demo/{path}"), text.as_bytes())
            .unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn bad_chart_yaml_fails_naming_it_and_writes_nothing() {
    let cases = [
        ("apiVersion: v2\nname: demo\n", "version"),
        ("apiVersion: v2\nname: demo\nversion: \"1.2\"\n", "SemVer"),
        ("apiVersion: v2\nname: demo\nversion: one\n", "SemVer"),
    ];
    for (chart_yaml, want) in cases {
        let chart = tempfile::tempdir().unwrap();
        fs::write(chart.path().join("Chart.yaml"), chart_yaml).unwrap();
        fs::write(chart.path().join("values.yaml"), "a: 1\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dist");
        let run = bin()
            .arg("--chart")
            .arg(chart.path())
            .args(["package", "-d"])
            .arg(&dest)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1), "{chart_yaml:?} was packaged");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("Chart.yaml") && err.contains(want), "{err}");
        assert!(!dest.exists(), "package wrote something for {chart_yaml:?}");

        // The same Chart.yaml inside an archive is refused the same way.
        let tgz = out.path().join("demo.tgz");
        fs::write(
            &tgz,
            tgz_of(&[("Chart.yaml", chart_yaml), ("values.yaml", "a: 1\n")]),
        )
        .unwrap();
        let run = bin()
            .arg("--chart")
            .arg(&tgz)
            .arg("template")
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1));
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("Chart.yaml") && err.contains(want), "{err}");
    }
}

#[test]
fn package_reads_a_tgz_chart_too() {
    let chart = fixture();
    let (o1, o2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let tgz = package(Some(chart.path()), o1.path(), None);
    let again = package(Some(&tgz), o2.path(), None);
    let mut a = Vec::new();
    fs::File::open(&tgz).unwrap().read_to_end(&mut a).unwrap();
    assert!(
        a == fs::read(again).unwrap(),
        "repackaging a .tgz changed its bytes"
    );
}
