//! `template`: render the chart offline.

use std::path::Path;

use super::RenderOptions;
use crate::error::{Error, Result};
use crate::manifest::Object;
use crate::render::{Rendered, toyaml};

/// Render, optionally keeping only the objects of one template (`templates/x.yaml.j2` or
/// `x.yaml.j2`) or one object (`Kind/name`).
pub fn template(opts: &RenderOptions, show_only: Option<&str>) -> Result<Rendered> {
    let (_, _, mut rendered) = super::render_offline(opts)?;
    if let Some(filter) = show_only {
        let keep = |o: &Object| {
            o.source == filter
                || o.source.strip_prefix("templates/") == Some(filter)
                || format!("{}/{}", o.kind(), o.name()).eq_ignore_ascii_case(filter)
        };
        rendered.objects.retain(keep);
        if rendered.objects.is_empty() {
            return Err(Error::msg(format!(
                "--show-only {filter}: no template or object matches (use templates/NAME.yaml.j2 or Kind/name)"
            )));
        }
    }
    Ok(rendered)
}

/// Write one file per template under `dir` (`dir/<template>.yaml`), after a successful render.
pub fn write_output_dir(rendered: &Rendered, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut by_source: std::collections::BTreeMap<&str, String> = Default::default();
    for obj in &rendered.objects {
        let text = by_source.entry(obj.source.as_str()).or_default();
        text.push_str("---\n");
        toyaml::push_yaml(text, &obj.body);
        text.push('\n');
    }
    let mut written = Vec::new();
    for (source, text) in by_source {
        let rel = source.strip_suffix(".j2").unwrap_or(source);
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("create directory", parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
        written.push(path);
    }
    Ok(written)
}
