//! A compose tree: the directory (or HTTP URL, as kojipkgs serves an
//! Apache index) where pungi writes one directory per compose. A compose
//! counts when its `STATUS` says it finished.

use super::super::composes::FINISHED;
use crate::compose_source::SourceError;

/// A finished compose of the tree: its directory name (pungi names it by
/// the compose id) and its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeCompose {
    pub compose_id: String,
    pub location: String,
}

/// Whether a directory name may be a compose's (not `latest-...` links,
/// not parents or files).
fn candidate(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.starts_with("latest-")
        && name.contains('-')
        && !name.contains('/')
}

/// The hrefs of an HTML index that name subdirectories (`NAME/`).
pub fn index_dirs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        rest = &rest[at + 6..];
        let Some(end) = rest.find('"') else { break };
        let href = &rest[..end];
        rest = &rest[end..];
        if let Some(name) = href.strip_suffix('/')
            && candidate(name)
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// The finished composes under `tree`, sorted by id.
pub fn finished(tree: &str) -> Result<Vec<TreeCompose>, SourceError> {
    let mut out = Vec::new();
    if tree.starts_with("http://") || tree.starts_with("https://") {
        if tree.starts_with("https://") {
            return Err(SourceError::NoTls { url: tree.into() });
        }
        let base = format!("{}/", tree.trim_end_matches('/'));
        let index = crate::http::get_small(&base)?.ok_or_else(|| SourceError::Unreadable {
            location: base.clone(),
            message: "the server answered 404".into(),
        })?;
        for name in index_dirs(&String::from_utf8_lossy(&index)) {
            let location = format!("{base}{name}");
            let Some(status) = crate::http::get_small(&format!("{location}/STATUS"))? else {
                continue;
            };
            if FINISHED.contains(&String::from_utf8_lossy(&status).trim()) {
                out.push(TreeCompose {
                    compose_id: name,
                    location,
                });
            }
        }
    } else {
        let entries = std::fs::read_dir(tree).map_err(|e| SourceError::Unreadable {
            location: tree.to_string(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !candidate(&name) || !entry.path().is_dir() {
                continue;
            }
            let Ok(status) = std::fs::read_to_string(entry.path().join("STATUS")) else {
                continue;
            };
            if FINISHED.contains(&status.trim()) {
                out.push(TreeCompose {
                    compose_id: name,
                    location: entry.path().display().to_string(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.compose_id.cmp(&b.compose_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apache_index_names_its_compose_directories() {
        let html = r#"<html><body><h1>Index of /compose</h1><pre>
<a href="?C=N;O=D">Name</a> <a href="/">Parent Directory</a>
<a href="Fedora-41-20261201.n.0/">Fedora-41-20261201.n.0/</a> 2026-12-01 10:00 -
<a href="Fedora-41-20261202.n.0/">Fedora-41-20261202.n.0/</a> 2026-12-02 10:00 -
<a href="latest-Fedora-41/">latest-Fedora-41/</a> 2026-12-02 10:00 -
<a href="README">README</a>
</pre></body></html>"#;
        assert_eq!(
            index_dirs(html),
            ["Fedora-41-20261201.n.0", "Fedora-41-20261202.n.0"]
        );
    }
}
