//! `modules/`: module builds by uid (`name:stream:version:context`), with
//! their runtime and build dependencies and their rpms. Rpms are written as
//! PDC takes them (`{"name", "epoch", "version", "release", "arch",
//! "srpm_name", ...}`, found by NEVRA or created) and read as
//! `name-epoch:version-release.arch.rpm`.

use super::packages::rpm_input;
use super::to_json;
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, boolean, check_body, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::modules::{self as store, Dependency, Module, ModuleFilter, ModuleInput};
use almanac_store::packages::{self, RpmFilter};
use serde_json::{Map, Value};

pub struct Modules;

const FIELDS: &[&str] = &[
    "uid",
    "name",
    "stream",
    "version",
    "context",
    "active",
    "koji_tag",
    "modulemd",
    "runtime_deps",
    "build_deps",
    "rpms",
];

/// PDC's default context, for modules built before contexts existed.
const DEFAULT_CONTEXT: &str = "00000000";

fn deps(body: &Map<String, Value>, field: &str) -> Result<Option<Vec<Dependency>>, PdcError> {
    let items = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(PdcError::field(
                field,
                "Expected a list of {\"dependency\", \"stream\"}.",
            ));
        }
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(o) = item else {
                return Err(PdcError::field(
                    field,
                    "Expected a list of {\"dependency\", \"stream\"}.",
                ));
            };
            for k in o.keys() {
                if k != "dependency" && k != "stream" {
                    return Err(PdcError::field(
                        field,
                        format!(
                            "Unknown key \"{k}\": a dependency has \"dependency\" and \"stream\"."
                        ),
                    ));
                }
            }
            let part = |key: &str| -> Result<String, PdcError> {
                match o.get(key) {
                    Some(Value::String(s)) if !s.trim().is_empty() => {
                        almanac_model::text::check_text(field, s)?;
                        Ok(s.clone())
                    }
                    _ => Err(PdcError::field(
                        field,
                        format!("Each dependency needs a non-empty \"{key}\" string."),
                    )),
                }
            };
            Ok(Dependency {
                dependency: part("dependency")?,
                stream: part("stream")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The ids of the rpms a body names, creating those not known yet.
fn rpm_ids(
    conn: &mut dyn Conn,
    body: &Map<String, Value>,
    changes: &mut Vec<Change>,
) -> Result<Option<Vec<i64>>, PdcError> {
    let items = match body.get("rpms") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(PdcError::field("rpms", "Expected a list of items.")),
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(PdcError::field(
                "rpms",
                format!("rpms[{n}]: Unsupported RPM input."),
            ));
        };
        // DRF's shape for a nested error: the item's errors in the list.
        inputs.push(
            rpm_input(o, None)
                .map_err(|e| PdcError::new(e.status, serde_json::json!({ "rpms": [e.body] })))?,
        );
    }
    // The known ones in one query; the others created.
    let f = RpmFilter {
        nevras: inputs.iter().map(|i| i.nevra()).collect(),
        ..Default::default()
    };
    let mut known: std::collections::HashMap<String, i64> =
        packages::list_rpms(conn, &f, &[], None)?
            .1
            .into_iter()
            .map(|r| (r.nevra(), r.id))
            .collect();
    let mut ids = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let id = match known.get(&input.nevra()) {
            Some(id) => *id,
            None => {
                let id = packages::save_rpm(conn, None, input, changes)?.id;
                known.insert(input.nevra(), id);
                id
            }
        };
        ids.push(id);
    }
    Ok(Some(ids))
}

impl Modules {
    fn save(
        &self,
        conn: &mut dyn Conn,
        old: Option<&Module>,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &FIELDS[1..], &["uid"])?;
        let keep = partial && old.is_some();
        let req = |field: &str, old: Option<&String>| -> Result<String, PdcError> {
            match (text(body, field)?, old) {
                (Some(v), _) => Ok(v),
                (None, Some(o)) if keep => Ok(o.clone()),
                _ => Err(PdcError::required(field)),
            }
        };
        let context = match (text(body, "context")?, old) {
            (Some(c), _) => c,
            (None, Some(o)) if keep => o.context.clone(),
            _ => DEFAULT_CONTEXT.to_string(),
        };
        let rpms = match rpm_ids(conn, body, changes)? {
            Some(ids) => ids,
            None if keep => {
                let names: Vec<String> = old
                    .map(|o| {
                        o.rpms
                            .iter()
                            .map(|r| r.trim_end_matches(".rpm").to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                let f = RpmFilter {
                    nevras: names,
                    ..Default::default()
                };
                if f.nevras.is_empty() {
                    Vec::new()
                } else {
                    packages::list_rpms(conn, &f, &[], None)?
                        .1
                        .iter()
                        .map(|r| r.id)
                        .collect()
                }
            }
            None => Vec::new(),
        };
        let kept_deps =
            |field: &str, old: Option<&Vec<Dependency>>| -> Result<Vec<Dependency>, PdcError> {
                Ok(match deps(body, field)? {
                    Some(d) => d,
                    None if keep => old.cloned().unwrap_or_default(),
                    None => Vec::new(),
                })
            };
        let input = ModuleInput {
            name: req("name", old.map(|o| &o.name))?,
            stream: req("stream", old.map(|o| &o.stream))?,
            version: req("version", old.map(|o| &o.version))?,
            context,
            active: match (boolean(body, "active")?, old) {
                (Some(a), _) => a,
                (None, Some(o)) if keep => o.active,
                _ => false,
            },
            koji_tag: req("koji_tag", old.map(|o| &o.koji_tag))?,
            modulemd: req("modulemd", old.map(|o| &o.modulemd))?,
            runtime_deps: kept_deps("runtime_deps", old.map(|o| &o.runtime_deps))?,
            build_deps: kept_deps("build_deps", old.map(|o| &o.build_deps))?,
            rpms,
        };
        if let Some(other) = store::get(conn, &input.uid())?
            && old.is_none_or(|o| o.id != other.id)
        {
            return Err(PdcError::unique_set(&[
                "name", "stream", "version", "context",
            ]));
        }
        Ok(to_json(&store::save(conn, old, &input, changes)?))
    }
}

impl Resource for Modules {
    fn prefix(&self) -> &'static str {
        "modules"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "uid",
            "name",
            "stream",
            "version",
            "context",
            "koji_tag",
            "active",
            "runtime_dep_name",
            "runtime_dep_stream",
            "build_dep_name",
            "build_dep_stream",
            "component_name",
            "component_branch",
            "component",
            "rpm_filename",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "uid", "name", "stream", "version", "context", "active", "koji_tag",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        FIELDS
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = ModuleFilter {
            uids: q.values("uid").to_vec(),
            names: q.values("name").to_vec(),
            streams: q.values("stream").to_vec(),
            versions: q.values("version").to_vec(),
            contexts: q.values("context").to_vec(),
            koji_tags: q.values("koji_tag").to_vec(),
            active: q.boolean("active")?,
            runtime_dep_names: q.values("runtime_dep_name").to_vec(),
            runtime_dep_streams: q.values("runtime_dep_stream").to_vec(),
            build_dep_names: q.values("build_dep_name").to_vec(),
            build_dep_streams: q.values("build_dep_stream").to_vec(),
            component_names: q.values("component_name").to_vec(),
            component_branches: q.values("component_branch").to_vec(),
            components: q.values("component").to_vec(),
            rpm_filenames: q.values("rpm_filename").to_vec(),
        };
        let (count, items) = store::list(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("module")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get(conn, key)?.map(|m| m.id))
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        Ok(store::get(conn, key)?.as_ref().map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        self.save(conn, None, body, false, changes)
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let old = store::get(conn, key)?.ok_or_else(PdcError::not_found)?;
        self.save(conn, Some(&old), body, partial, changes)
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = store::get(conn, key)?.ok_or_else(PdcError::not_found)?;
        Ok(store::delete(conn, &old, changes)?)
    }
}
