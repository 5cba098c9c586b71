//! The release record: one per revision, stored gzip-compressed JSON in a Secret.
//!
//! The record carries a `format` number. A reader refuses formats it does not know instead of
//! guessing, and every format has a golden file under `tests/fixtures/release/` that must keep
//! decoding forever.

use std::io::{Read as _, Write as _};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::manifest::ObjectRef;

/// Current record format.
pub const FORMAT_VERSION: u32 = 1;

/// Decoded records larger than this are refused (defends against a hostile Secret).
const MAX_DECODED: u64 = 64 * 1024 * 1024;

/// Status of a revision (Helm's state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Install in progress.
    PendingInstall,
    /// Upgrade in progress.
    PendingUpgrade,
    /// Rollback in progress.
    PendingRollback,
    /// The revision currently on the cluster.
    Deployed,
    /// Replaced by a later successful revision.
    Superseded,
    /// The operation failed (or was interrupted).
    Failed,
    /// Uninstall in progress.
    Uninstalling,
    /// Uninstalled with `--keep-history`.
    Uninstalled,
}

impl Status {
    /// The label/JSON spelling (`pending-upgrade`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
            Status::Deployed => "deployed",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::Uninstalled => "uninstalled",
        }
    }

    /// True for the in-progress states.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall
                | Status::PendingUpgrade
                | Status::PendingRollback
                | Status::Uninstalling
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which chart a revision was rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartRef {
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// App version.
    pub app_version: String,
    /// sha256 of the chart's reproducible package.
    pub digest: String,
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    /// Record format ([`FORMAT_VERSION`]).
    pub format: u32,
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision number, from 1.
    pub revision: u32,
    /// Status.
    pub status: Status,
    /// When revision 1 was deployed.
    pub first_deployed: jiff::Timestamp,
    /// When this revision was created or last changed state.
    pub last_deployed: jiff::Timestamp,
    /// Human log line (`Install complete`, `Upgrade failed: …`).
    pub description: String,
    /// Chart identity.
    pub chart: ChartRef,
    /// Values the user supplied (nulls kept).
    pub user_values: Map<String, Value>,
    /// Values the templates saw.
    pub values: Map<String, Value>,
    /// Rendered manifest, as `template` prints it.
    pub manifest: String,
    /// Rendered NOTES.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Every object of the manifest.
    pub inventory: Vec<ObjectRef>,
}

impl ReleaseRecord {
    /// gzip(JSON): what goes into the Secret's `release` key.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(self)
            .map_err(|e| Error::msg(format!("encode release record: {e}")))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&json)
            .map_err(|e| Error::msg(format!("compress release record: {e}")))?;
        gz.finish()
            .map_err(|e| Error::msg(format!("compress release record: {e}")))
    }

    /// Inverse of [`encode`](Self::encode); `what` names the Secret in errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<ReleaseRecord> {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_DECODED)
            .read_to_end(&mut json)
            .map_err(|e| Error::msg(format!("{what}: release record is not valid gzip: {e}")))?;
        let raw: Value = serde_json::from_slice(&json)
            .map_err(|e| Error::msg(format!("{what}: release record is not valid JSON: {e}")))?;
        let format = raw.get("format").and_then(Value::as_u64).unwrap_or(0);
        if format != u64::from(FORMAT_VERSION) {
            return Err(Error::msg(format!(
                "{what}: release record format {format} is not supported (this bscope-chart reads format {FORMAT_VERSION})"
            )));
        }
        serde_json::from_value(raw)
            .map_err(|e| Error::msg(format!("{what}: release record is malformed: {e}")))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sample(revision: u32, status: Status) -> ReleaseRecord {
        let ts: jiff::Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        ReleaseRecord {
            format: FORMAT_VERSION,
            name: "observability".into(),
            namespace: "battlescope".into(),
            revision,
            status,
            first_deployed: ts,
            last_deployed: ts,
            description: "Install complete".into(),
            chart: ChartRef {
                name: "battlescope-observability".into(),
                version: "0.1.0".into(),
                app_version: "3.0.0".into(),
                digest: "ab".repeat(32),
            },
            user_values: json!({"grafana": {"adminPassword": null}}).as_object().cloned().unwrap(),
            values: json!({"prometheus": {"retention": "15d"}}).as_object().cloned().unwrap(),
            manifest: "---\n# Source: templates/a.yaml.j2\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n".into(),
            notes: Some("hello".into()),
            inventory: vec![ObjectRef {
                group: String::new(),
                version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("battlescope".into()),
                name: "a".into(),
            }],
        }
    }

    #[test]
    fn roundtrip() {
        let r = sample(3, Status::Deployed);
        assert_eq!(ReleaseRecord::decode(&r.encode().unwrap(), "t").unwrap(), r);
    }

    /// The v1 golden file must decode forever; regenerate only with a new format version.
    #[test]
    fn golden_v1_decodes() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/release/v1.json"
        );
        let text = std::fs::read_to_string(path).expect("golden file present");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let decoded = ReleaseRecord::decode(&gz.finish().unwrap(), "golden").unwrap();
        assert_eq!(decoded, sample(3, Status::Deployed));
    }

    #[test]
    fn unknown_format_is_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"format": 99}"#).unwrap();
        let e = ReleaseRecord::decode(&gz.finish().unwrap(), "s")
            .unwrap_err()
            .to_string();
        assert!(e.contains("format 99"), "{e}");
        assert!(ReleaseRecord::decode(b"not gzip", "s").is_err());
    }

    #[test]
    fn statuses_spell_like_helm() {
        assert_eq!(
            serde_json::to_value(Status::PendingUpgrade).unwrap(),
            json!("pending-upgrade")
        );
        assert!(Status::PendingRollback.is_pending() && !Status::Failed.is_pending());
    }
}
