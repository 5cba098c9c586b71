//! bscope-chart: a strict, fast Helm-equivalent for the BattleScope observability stack.
//!
//! The library is layered so that everything but [`cluster`]-facing code is pure and testable
//! offline:
//!
//! * [`chart`] loads a chart (directory, `.tgz`, or the copy embedded in the binary);
//! * [`values`] layers and validates values;
//! * [`render`] runs the minijinja templates and turns their output into [`manifest`] objects;
//! * [`package`] writes and reads reproducible chart archives;
//! * [`ops`] composes these into one function per command; [`cli`] only parses and prints.

pub mod chart;
pub mod cli;
pub mod cluster;
pub mod diff;
pub mod error;
pub mod manifest;
pub mod ops;
pub mod package;
pub mod release;
pub mod render;
pub mod values;

pub use error::{Error, Result};
