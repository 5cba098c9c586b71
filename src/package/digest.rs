//! Chart digests: one sha256 that identifies a chart's content, whatever it was loaded from.

use sha2::{Digest as _, Sha256};

use super::write::archive_bytes;
use crate::chart::Chart;

/// Lower-case hex sha256 of `bytes` (sha2 0.11's digest has no `LowerHex`, hence `hex`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The chart's digest, recorded in release records: the sha256 of its reproducible archive with
/// mtime 0, computed in memory.
///
/// Hashing the archive rather than, say, the concatenated files means the digest is exactly the
/// `.sha256` of `bscope-chart package` run without `SOURCE_DATE_EPOCH`, so users can compare the
/// two. The mtime is pinned to 0 (not read from the environment) so that a chart's identity does
/// not depend on how it was built; and because directory, `.tgz` and embedded charts all reduce
/// to the same [`crate::chart::ChartFiles`], they all give the same digest.
pub fn digest(chart: &Chart) -> String {
    sha256_hex(&archive_bytes(&chart.files, &chart.metadata.name, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::read_archive;

    #[test]
    fn known_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn same_digest_from_directory_and_archive() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/cm.yaml.j2"), "kind: ConfigMap\n").unwrap();
        let from_dir = Chart::load(dir.path()).unwrap();
        let tgz = archive_bytes(&from_dir.files, "demo", 0);
        assert_eq!(digest(&from_dir), sha256_hex(&tgz));
        let files = read_archive(&tgz, "demo-1.0.0.tgz").unwrap();
        let from_tgz = Chart::from_files(files, "demo-1.0.0.tgz".into()).unwrap();
        assert_eq!(digest(&from_dir), digest(&from_tgz));
        // The digest ignores SOURCE_DATE_EPOCH: a chart packaged with another mtime has the
        // same content, so the same identity.
        let other = archive_bytes(&from_dir.files, "demo", 1_700_000_000);
        let again = Chart::from_files(read_archive(&other, "x").unwrap(), "x".into()).unwrap();
        assert_eq!(digest(&again), digest(&from_dir));
    }

    #[test]
    fn embedded_chart_has_a_stable_digest() {
        let chart = Chart::embedded().unwrap();
        let d = digest(&chart);
        assert_eq!(d.len(), 64);
        assert_eq!(d, digest(&Chart::embedded().unwrap()));
    }
}
