//! Charts: loading one from a directory, a packaged `.tgz` or the copy embedded in the binary.
//!
//! Every source is first reduced to the same thing, a sorted map of relative path → bytes
//! ([`ChartFiles`]), and only then parsed. So the three sources cannot disagree about what a chart
//! is, and the `.tgz` reader (which must be paranoid) stays separate from the parsing.

pub mod metadata;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;

pub use metadata::ChartMetadata;

use crate::error::{Error, Problem, Result};

/// Relative path (with `/` separators, no leading `NAME/`) → file contents, sorted by path.
///
/// [`Bytes`] rather than `Vec<u8>`: the embedded chart's files stay in the binary's read-only
/// data instead of being copied to the heap at every start (a `template` run is short enough
/// that first-touching those heap pages showed in its time), and clones share.
pub type ChartFiles = BTreeMap<String, Bytes>;

/// Name of the ignore file (gitignore syntax) honoured when reading a chart directory.
pub const IGNORE_FILE: &str = ".bscopeignore";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_chart.rs"));
}

/// A loaded chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Parsed `Chart.yaml`.
    pub metadata: ChartMetadata,
    /// Every file of the chart, including `Chart.yaml`, `values.yaml` and the templates.
    pub files: ChartFiles,
    /// Where it came from, for messages: a directory, a `.tgz`, or `<embedded>`.
    pub origin: String,
}

impl Chart {
    /// Load from a directory or a `.tgz` file.
    pub fn load(path: &Path) -> Result<Chart> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("read chart", path, e))?;
        if meta.is_dir() {
            Chart::from_files(read_dir(path)?, path.display().to_string())
        } else {
            let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
            let files = crate::package::read_archive(&bytes, &path.display().to_string())?;
            Chart::from_files(files, path.display().to_string())
        }
    }

    /// The chart compiled into this binary.
    pub fn embedded() -> Result<Chart> {
        let files = embedded::FILES
            .iter()
            .map(|(p, b)| ((*p).to_string(), Bytes::from_static(b)))
            .collect();
        Chart::from_files(files, "<embedded>".to_string())
    }

    /// Load from `--chart` if given, else the embedded chart.
    pub fn load_or_embedded(path: Option<&Path>) -> Result<Chart> {
        match path {
            Some(p) => Chart::load(p),
            None => Chart::embedded(),
        }
    }

    /// Build a chart from its files, checking the parts every chart needs.
    pub fn from_files(files: ChartFiles, origin: String) -> Result<Chart> {
        let chart_yaml = files.get("Chart.yaml").ok_or_else(|| {
            Error::problem(
                Problem::new(format!("{origin}: Chart.yaml is missing"))
                    .help("a chart needs Chart.yaml with apiVersion, name and version"),
            )
        })?;
        let metadata = ChartMetadata::parse(
            utf8(chart_yaml, "Chart.yaml")?,
            &format!("{origin}/Chart.yaml"),
        )?;
        Ok(Chart {
            metadata,
            files,
            origin,
        })
    }

    /// A file as UTF-8 text, if present.
    pub fn text(&self, path: &str) -> Result<Option<&str>> {
        self.files.get(path).map(|b| utf8(b, path)).transpose()
    }

    /// The chart's `values.yaml` text (empty if the chart has none).
    pub fn values_yaml(&self) -> Result<&str> {
        Ok(self.text("values.yaml")?.unwrap_or_default())
    }

    /// The chart's `values.schema.json` text, if any.
    pub fn schema_json(&self) -> Result<Option<&str>> {
        self.text("values.schema.json")
    }

    /// Templates (`templates/…`) as (path, source), sorted by path.
    pub fn templates(&self) -> Result<Vec<(&str, &str)>> {
        self.files_under("templates/")
            .map(|(p, b)| Ok((p, utf8(b, p)?)))
            .collect()
    }

    /// Files whose path starts with `dir` (e.g. `"files/"`), as (path, bytes), sorted by path.
    pub fn files_under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a Bytes)> {
        self.files
            .range::<str, _>((std::ops::Bound::Included(dir), std::ops::Bound::Unbounded))
            .take_while(move |(p, _)| p.starts_with(dir))
            .map(|(p, b)| (p.as_str(), b))
    }

    /// Name used for this chart in messages: `name-version`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.metadata.name, self.metadata.version)
    }
}

fn utf8<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::msg(format!(
            "{path}: not valid UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })
}

/// Read every regular file under `root`, honouring `.bscopeignore`. Symlinks are refused: a chart
/// is data we may package and ship, and a link could smuggle in files from outside it.
pub fn read_dir(root: &Path) -> Result<ChartFiles> {
    let ignore = {
        let mut b = ignore::gitignore::GitignoreBuilder::new(root);
        let path = root.join(IGNORE_FILE);
        if path.is_file()
            && let Some(e) = b.add(&path)
        {
            return Err(Error::msg(format!("{}: {e}", path.display())));
        }
        b.build()
            .map_err(|e| Error::msg(format!("{}: {e}", root.join(IGNORE_FILE).display())))?
    };
    let mut files = ChartFiles::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("read directory", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read directory", &dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io("stat", &path, e))?;
            let rel = path
                .strip_prefix(root)
                .map_err(|_| Error::msg(format!("{}: outside chart", path.display())))?
                .to_string_lossy()
                .replace('\\', "/");
            if ignore
                .matched_path_or_any_parents(&path, kind.is_dir())
                .is_ignore()
            {
                continue;
            }
            if kind.is_symlink() {
                return Err(Error::problem(
                    Problem::new(format!(
                        "{}: symbolic links are not allowed in a chart",
                        path.display()
                    ))
                    .help("copy the file into the chart, or list it in .bscopeignore"),
                ));
            } else if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
                files.insert(rel, bytes.into());
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directory_with_ignore_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: t\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/a.yaml.j2"), "x").unwrap();
        std::fs::write(dir.path().join("notes.bak"), "x").unwrap();
        std::fs::write(dir.path().join(IGNORE_FILE), "*.bak\n").unwrap();
        let chart = Chart::load(dir.path()).unwrap();
        let names: Vec<_> = chart.files.keys().cloned().collect();
        assert_eq!(
            names,
            vec![IGNORE_FILE, "Chart.yaml", "templates/a.yaml.j2"]
        );
    }

    #[test]
    fn missing_chart_yaml_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = Chart::load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("Chart.yaml is missing"));
    }

    #[test]
    fn embedded_chart_loads() {
        let chart = Chart::embedded().unwrap();
        assert!(!chart.metadata.name.is_empty());
    }
}
