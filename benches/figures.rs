//! `make bench`: the performance figures of DESIGN.md ("Performance targets"), as medians.
//!
//! Not a timed test: it prints what it measures, with the target beside it, and never fails
//! because a figure is over its target (a loaded machine is not a regression). It measures
//!
//! * render + validate of the real chart in-process, with `values/minikube.yaml`: the full
//!   offline pipeline as `template` runs it (load chart, read values, render and validate with
//!   the schema check on a thread of its own, order) and the render step alone (values
//!   precomputed);
//! * a synthetic 1,000-object chart generated into a temporary directory;
//! * the whole `bscope-chart template -f values/minikube.yaml` process (the release binary
//!   Cargo builds for benches), 30 runs;
//! * that process's peak resident set size, from `getrusage(RUSAGE_CHILDREN)` after the runs
//!   (the kernel's own high-water mark of every waited-for child: no sampling race), measured
//!   before anything else so that this benchmark's own memory does not count.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bscope_chart::chart::Chart;
use bscope_chart::ops::{self, DEFAULT_NAMESPACE, DEFAULT_RELEASE, RenderOptions};
use bscope_chart::render::{self, Capabilities, ReleaseInfo, RenderRequest};
use bscope_chart::values::ValueOptions;

/// The allocator the binary uses (src/main.rs), so that in-process figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BINARY: &str = env!("CARGO_BIN_EXE_bscope-chart");

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported, everything runs.
    let root = Path::new(ROOT);
    println!("bscope-chart performance figures (medians)");
    println!();
    // The whole process first: a child's `ru_maxrss` starts from the high-water mark of the
    // address space it was spawned from (Linux carries it across vfork + exec), so measured
    // after the in-process figures it would report this benchmark's own peak, not the child's.
    whole_process(root);
    chart_in_process(root);
    synthetic_chart();
}

/// Median of `runs` timings of `f`, after `warmup` untimed runs.
fn median(warmup: usize, runs: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One result line: `what: median 1.23 ms (target ≤ 2 ms) ok`.
fn report(what: &str, d: Duration, target_ms: f64) {
    let verdict = if ms(d) <= target_ms {
        "ok"
    } else {
        "OVER TARGET"
    };
    println!(
        "{what}: median {:.2} ms (target ≤ {target_ms} ms) {verdict}",
        ms(d)
    );
}

fn minikube_options(root: &Path, chart: Option<PathBuf>) -> RenderOptions {
    RenderOptions {
        chart,
        release: DEFAULT_RELEASE.into(),
        namespace: DEFAULT_NAMESPACE.into(),
        values: ValueOptions {
            files: vec![root.join("values/minikube.yaml")],
            ..ValueOptions::default()
        },
    }
}

/// (a) The observability chart, in-process.
fn chart_in_process(root: &Path) {
    let opts = minikube_options(root, Some(root.join("chart")));
    let objects = match ops::render_offline(&opts) {
        Ok((_, _, rendered)) => rendered.objects.len(),
        Err(e) => {
            println!(
                "render+validate (observability chart): skipped, the chart does not render:\n{e}"
            );
            return;
        }
    };
    let full = median(20, 200, || {
        let _ = std::hint::black_box(ops::render_offline(&opts));
    });
    report(
        &format!(
            "render+validate, full pipeline (observability chart from chart/, minikube, {objects} objects)"
        ),
        full,
        2.0,
    );

    let embedded = minikube_options(root, None);
    let full_embedded = median(20, 200, || {
        let _ = std::hint::black_box(ops::render_offline(&embedded));
    });
    report(
        "render+validate, full pipeline (embedded chart, minikube)",
        full_embedded,
        2.0,
    );
    let Ok(chart) = Chart::load(&root.join("chart")) else {
        return;
    };
    let Ok(layers) = opts.values.layers() else {
        return;
    };
    let Ok(values) = ops::compute_values(&chart, &layers) else {
        return;
    };
    let release = ReleaseInfo::install(DEFAULT_RELEASE, DEFAULT_NAMESPACE);
    let capabilities = Capabilities::default();
    let request = RenderRequest {
        chart: &chart,
        values: &values.merged,
        release: &release,
        capabilities: &capabilities,
        lookup: None,
    };
    let render_only = median(20, 200, || {
        let _ = std::hint::black_box(render::render(&request));
    });
    report(
        "render+validate, render step only (values precomputed)",
        render_only,
        2.0,
    );
    let values_only = median(20, 200, || {
        let _ = std::hint::black_box(ops::compute_values(&chart, &layers));
    });
    println!(
        "  of which values (merge + schema check): median {:.2} ms",
        ms(values_only)
    );
    let manifest = median(20, 200, || {
        if let Ok(r) = render::render(&request) {
            let _ = std::hint::black_box(r.manifest());
        }
    });
    println!(
        "  render + YAML output of the manifest: median {:.2} ms",
        ms(manifest)
    );
}

/// (b) A generated chart with 500 ConfigMaps and 500 Deployments.
fn synthetic_chart() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            println!("synthetic chart: skipped, no temporary directory: {e}");
            return;
        }
    };
    if let Err(e) = write_synthetic_chart(dir.path(), 500) {
        println!("synthetic chart: skipped, cannot write it: {e}");
        return;
    }
    let opts = RenderOptions {
        chart: Some(dir.path().to_path_buf()),
        release: DEFAULT_RELEASE.into(),
        namespace: DEFAULT_NAMESPACE.into(),
        values: ValueOptions::default(),
    };
    let objects = match ops::render_offline(&opts) {
        Ok((_, _, r)) => r.objects.len(),
        Err(e) => {
            println!("synthetic chart: does not render:\n{e}");
            return;
        }
    };
    let d = median(2, 20, || {
        let _ = std::hint::black_box(ops::render_offline(&opts));
    });
    report(
        &format!("render+validate, synthetic chart ({objects} objects)"),
        d,
        100.0,
    );
}

fn write_synthetic_chart(dir: &Path, pairs: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("templates"))?;
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: synthetic\nversion: 0.1.0\n",
    )?;
    std::fs::write(
        dir.join("values.yaml"),
        format!("count: {pairs}\nimage: nginx:1.27\nreplicas: 2\n"),
    )?;
    std::fs::write(
        dir.join("values.schema.json"),
        r#"{"type": "object", "additionalProperties": false,
            "properties": {"count": {"type": "integer"}, "image": {"type": "string"},
                           "replicas": {"type": "integer"}}}"#,
    )?;
    std::fs::write(
        dir.join("templates/objects.yaml.j2"),
        r#"{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{{ i }}
  labels:
    app: app-{{ i }}
data:
  app.conf: |
    listen = 8080
    name = app-{{ i }}
  mode: "0644"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ i }}
  labels:
    app: app-{{ i }}
spec:
  replicas: {{ values.replicas }}
  selector:
    matchLabels:
      app: app-{{ i }}
  template:
    metadata:
      labels:
        app: app-{{ i }}
      annotations:
        checksum/config: {{ ("config-" ~ i) | sha256 }}
    spec:
      containers:
        - name: app
          image: {{ values.image }}
          ports:
            - containerPort: 8080
              name: http
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {memory: 64Mi}
          volumeMounts:
            - name: config
              mountPath: /etc/app
      volumes:
        - name: config
          configMap:
            name: config-{{ i }}
{% endfor %}
"#,
    )
}

/// (c) and (d): the release binary as a user runs it.
fn whole_process(root: &Path) {
    let run = || {
        Command::new(BINARY)
            .args(["template", "-f", "values/minikube.yaml"])
            .current_dir(root)
            .env_remove("BSCOPE_CHART")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    match run() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            println!(
                "whole process: skipped, `{BINARY} template -f values/minikube.yaml` exited {s}"
            );
            return;
        }
        Err(e) => {
            println!("whole process: skipped, cannot run {BINARY}: {e}");
            return;
        }
    }
    let d = median(3, 30, || {
        let _ = run();
    });
    report(
        "whole process `bscope-chart template -f values/minikube.yaml` (release build, 30 runs)",
        d,
        10.0,
    );
    match peak_rss_of_children_kib() {
        Some(kib) => {
            let mib = kib as f64 / 1024.0;
            let verdict = if mib <= 50.0 { "ok" } else { "OVER TARGET" };
            println!(
                "peak RSS of `template` (getrusage RUSAGE_CHILDREN, max over the runs): {mib:.1} MB (target ≤ 50 MB) {verdict}"
            );
        }
        None => println!("peak RSS: not available on this platform"),
    }
}

/// The largest peak resident set size among the waited-for children, in KiB.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn peak_rss_of_children_kib() -> Option<i64> {
    /// `struct rusage` on 64-bit Linux: two `timeval`s, then 14 `long`s starting with
    /// `ru_maxrss` (KiB).
    #[repr(C)]
    struct Rusage {
        utime: [i64; 2],
        stime: [i64; 2],
        maxrss: i64,
        rest: [i64; 13],
    }
    unsafe extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    const RUSAGE_CHILDREN: i32 = -1;
    let mut usage = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        maxrss: 0,
        rest: [0; 13],
    };
    // SAFETY: `usage` is a valid, writable `struct rusage` for this platform; getrusage only
    // writes into it.
    let rc = unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) };
    (rc == 0).then_some(usage.maxrss)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn peak_rss_of_children_kib() -> Option<i64> {
    None
}
