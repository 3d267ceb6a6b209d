//! dist-git's package list over pagure's API (`/api/0/`): the projects of a
//! namespace, page by page, and each one's branches.

use super::get_json;
use crate::compose_source::SourceError;
use serde_json::Value;

/// A package and its branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub namespace: String,
    pub branches: Vec<String>,
}

/// The projects of `namespace` (`rpms`, `container`...), as pagure lists them.
pub fn projects(base: &str, namespace: &str) -> Result<Vec<(String, String)>, SourceError> {
    let base = base.trim_end_matches('/');
    let mut url = Some(format!(
        "{base}/api/0/projects?namespace={namespace}&fork=false&short=true&per_page=100&page=1"
    ));
    let mut out = Vec::new();
    while let Some(u) = url.take() {
        let page = get_json(&u)?;
        let bad = |what: &str| SourceError::Unreadable {
            location: u.clone(),
            message: format!("not a pagure projects page: {what}"),
        };
        let projects = page["projects"]
            .as_array()
            .ok_or_else(|| bad("no projects"))?;
        for p in projects {
            let name = p["name"]
                .as_str()
                .ok_or_else(|| bad("a project without a name"))?;
            let ns = p["namespace"].as_str().unwrap_or(namespace);
            out.push((name.to_string(), ns.to_string()));
        }
        url = page
            .pointer("/pagination/next")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(out)
}

/// A project's branches.
pub fn branches(base: &str, namespace: &str, name: &str) -> Result<Vec<String>, SourceError> {
    let url = format!(
        "{}/api/0/{namespace}/{name}/git/branches",
        base.trim_end_matches('/')
    );
    let page = get_json(&url)?;
    let list = page["branches"]
        .as_array()
        .ok_or_else(|| SourceError::Unreadable {
            location: url.clone(),
            message: "no branches in the answer".into(),
        })?;
    Ok(list
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

/// Every package of `namespace` with its branches.
pub fn packages(
    base: &str,
    namespace: &str,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<Package>, SourceError> {
    let projects = projects(base, namespace)?;
    let mut out = Vec::with_capacity(projects.len());
    for (i, (name, ns)) in projects.iter().enumerate() {
        out.push(Package {
            branches: branches(base, ns, name)?,
            name: name.clone(),
            namespace: ns.clone(),
        });
        progress(i + 1, projects.len());
    }
    Ok(out)
}
