//! The package database and dist-git (pdc-updater's package handlers, done
//! idempotently): a new package makes its global component; a new package
//! or branch on a release's dist-git branch makes the release component
//! (type from the namespace, brew package the name, active), with its
//! bugzilla component. What exists already is left as it is, so a re-sent
//! message changes nothing.
//!
//! Shapes read: pkgdb's `pkgdb.package.new` / `pkgdb.package.branch.new`
//! (`package_listing.package.name`, `.namespace`, `.upstream_url`,
//! `package_listing.collection.branchname`), and dist-git's (pagure's)
//! `pagure.project.new` (`project.name`, `project.namespace`) and
//! `pagure.git.branch.creation` (`repo.name`, `repo.namespace`, `branch`).

use super::handler::{HandlerError, Prepared, Write, text};
use almanac_store::Conn;
use almanac_store::components;
use almanac_store::releases::{self, ReleaseFilter};
use serde_json::Value;

/// A package, and the branch it was created on (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPackage {
    pub name: String,
    pub namespace: String,
    pub branch: Option<String>,
}

/// The component type of a dist-git namespace.
pub fn component_type(namespace: &str) -> Option<&'static str> {
    match namespace {
        "rpms" | "rpm" => Some("rpm"),
        "container" | "containers" => Some("container"),
        "modules" | "module" => Some("module"),
        "flatpaks" | "flatpak" => Some("flatpak"),
        _ => None,
    }
}

/// Reads the package out of either shape.
pub fn read(topic: &str, body: &Value) -> Result<NewPackage, HandlerError> {
    let (name, namespace, branch) = if topic.contains(".pkgdb.") || topic.starts_with("pkgdb.") {
        (
            text(body, "/package_listing/package/name"),
            text(body, "/package_listing/package/namespace"),
            text(body, "/package_listing/collection/branchname"),
        )
    } else if topic.ends_with("project.new") {
        (
            text(body, "/project/name"),
            text(body, "/project/namespace"),
            None,
        )
    } else {
        (
            text(body, "/repo/name"),
            text(body, "/repo/namespace"),
            text(body, "/branch"),
        )
    };
    let name = name
        .ok_or_else(|| HandlerError::Failed(format!("no package name in this {topic} message")))?;
    Ok(NewPackage {
        name: name.to_string(),
        namespace: namespace.unwrap_or("rpms").to_string(),
        branch: branch.map(str::to_string),
    })
}

pub fn new_package(topic: &str, body: &Value) -> Result<Prepared, HandlerError> {
    let p = read(topic, body)?;
    let Some(ctype) = component_type(&p.namespace) else {
        return Ok(Prepared::Ignore(format!(
            "dist-git namespace {} holds no components",
            p.namespace
        )));
    };
    let write: Write = Box::new(move |c, changes| {
        let releases = match &p.branch {
            None => Vec::new(),
            Some(branch) => {
                let on_branch = releases_on_branch(c, branch)?;
                if on_branch.is_empty() {
                    return Err(HandlerError::Failed(format!(
                        "no active release has dist-git branch {branch} (package {})",
                        p.name
                    )));
                }
                on_branch
            }
        };
        let before = changes.len();
        ensure_package(c, &p.name, ctype, &releases, changes)?;
        let made: Vec<String> = changes[before..]
            .iter()
            .map(|ch| format!("{} {}", ch.target_class, ch.target_id))
            .collect();
        Ok(if made.is_empty() {
            format!("package {}: everything was there already", p.name)
        } else {
            format!("package {}: made {}", p.name, made.join(", "))
        })
    });
    Ok(Prepared::Write(write))
}

/// Makes what is missing of a package (the store's
/// [`components::ensure_packages`], the import's path too); answers
/// whether anything was written.
pub(crate) fn ensure_package(
    c: &mut dyn Conn,
    name: &str,
    ctype: &str,
    releases: &[String],
    changes: &mut Vec<almanac_store::changes::Change>,
) -> Result<bool, HandlerError> {
    let p = components::PackageInput {
        name: name.to_string(),
        component_type: ctype.to_string(),
        releases: releases.to_vec(),
    };
    Ok(!components::ensure_packages(c, &[p], changes)?.is_empty())
}

/// The active releases whose dist-git branch is `branch`.
pub(crate) fn releases_on_branch(
    c: &mut dyn Conn,
    branch: &str,
) -> Result<Vec<String>, HandlerError> {
    let f = ReleaseFilter {
        dist_git_branches: vec![branch.to_string()],
        active: Some(true),
        ..Default::default()
    };
    Ok(releases::list_releases(c, &f, &[], None)?
        .1
        .into_iter()
        .map(|r| r.release_id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_shapes_name_the_package_and_its_branch() {
        let pkgdb = json!({"package_listing": {
            "collection": {"branchname": "f41", "koji_name": "f41"},
            "package": {"name": "python-foo", "namespace": "rpms"}}});
        assert_eq!(
            read("org.fedoraproject.prod.pkgdb.package.branch.new", &pkgdb).unwrap(),
            NewPackage {
                name: "python-foo".into(),
                namespace: "rpms".into(),
                branch: Some("f41".into())
            }
        );
        let project = json!({"project": {"name": "toolbox", "namespace": "container"}});
        let p = read("org.fedoraproject.prod.pagure.project.new", &project).unwrap();
        assert_eq!((p.namespace.as_str(), p.branch), ("container", None));
        let branch = json!({"repo": {"name": "bash", "namespace": "rpms"}, "branch": "rawhide"});
        let p = read("org.fedoraproject.prod.pagure.git.branch.creation", &branch).unwrap();
        assert_eq!(p.branch.as_deref(), Some("rawhide"));
        assert!(matches!(
            read("org.fedoraproject.prod.pkgdb.package.new", &json!({})),
            Err(HandlerError::Failed(_))
        ));
        assert_eq!(component_type("rpms"), Some("rpm"));
        assert_eq!(component_type("tests"), None);
    }
}
