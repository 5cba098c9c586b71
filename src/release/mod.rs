//! Releases: the record stored for every revision, its encoding, and the rules of history.
//!
//! Pure code: nothing here talks to a cluster. [`crate::cluster::store`] persists records as
//! Secrets; this module decides what goes in them and how revisions relate.

pub mod history;
pub mod record;

pub use record::{ChartRef, FORMAT_VERSION, ReleaseRecord, Status};
