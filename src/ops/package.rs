//! `package`: write `NAME-VERSION.tgz` and its `.sha256`, reproducibly and atomically.

use std::path::{Path, PathBuf};

use crate::chart::Chart;
use crate::error::Result;
use crate::package::{
    archive_file_name, checksum_line, package_bytes, sha256_hex, write_atomically,
};

/// What `package` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// `name-version` of the chart.
    pub chart_id: String,
    /// The `.tgz`.
    pub archive: PathBuf,
    /// The `.tgz.sha256` next to it.
    pub checksum_file: PathBuf,
    /// Lower-case hex sha256 of the archive.
    pub sha256: String,
}

/// Package `chart` (a directory or `.tgz`; `None` = the embedded chart) into `out_dir`, with
/// every entry's mtime set to `mtime` (see [`crate::package::source_date_epoch`]).
///
/// The chart is loaded, and so `Chart.yaml` validated, before anything is written; the two
/// files are then written atomically, so a failure leaves `out_dir` as it was.
pub fn package(chart: Option<&Path>, out_dir: &Path, mtime: u64) -> Result<Packaged> {
    let chart = Chart::load_or_embedded(chart)?;
    let bytes = package_bytes(&chart, mtime)?;
    let sha256 = sha256_hex(&bytes);
    let name = archive_file_name(&chart);
    let checksum_name = format!("{name}.sha256");
    let line = checksum_line(&sha256, &name);
    let written = write_atomically(
        out_dir,
        &[(&name, &bytes), (&checksum_name, line.as_bytes())],
    )?;
    Ok(Packaged {
        chart_id: chart.id(),
        archive: written[0].clone(),
        checksum_file: written[1].clone(),
        sha256,
    })
}
