//! PDC's modules: a module build (`name:stream:version:context`), the
//! streams of other modules it needs to build and to run, and the rpms it
//! ships. Every write keeps the artifact graph's copy (source
//! `pdc:modules`): the module's rpms and dependencies are its inputs, and
//! each build is an input of its stream (`module:nodejs:20`), which the
//! modules depending on that stream consume, so a changed rpm reaches the
//! modules built on it.

use crate::changes::Change;
use crate::db::{BulkInsert, ColType, Conn, Value, save_row};
use crate::error::{StoreError, StoreResult};
use crate::graph::{self, InputSet};
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::ModelError;
use almanac_model::artifacts::{Edge, rpm_node};
use serde::Serialize;
use std::collections::HashMap;

/// The graph source of the edges mirrored from modules.
pub const GRAPH_SOURCE: &str = "pdc:modules";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub dependency: String,
    pub stream: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    #[serde(skip)]
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub stream: String,
    pub version: String,
    pub context: String,
    pub active: bool,
    pub koji_tag: String,
    pub modulemd: String,
    pub runtime_deps: Vec<Dependency>,
    pub build_deps: Vec<Dependency>,
    /// `name-epoch:version-release.arch.rpm`, as PDC shows them.
    pub rpms: Vec<String>,
}

/// A module's writable fields; `rpms` are rpm ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModuleInput {
    pub name: String,
    pub stream: String,
    pub version: String,
    pub context: String,
    pub active: bool,
    pub koji_tag: String,
    pub modulemd: String,
    pub runtime_deps: Vec<Dependency>,
    pub build_deps: Vec<Dependency>,
    pub rpms: Vec<i64>,
}

impl ModuleInput {
    pub fn uid(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.name, self.stream, self.version, self.context
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct ModuleFilter {
    pub uids: Vec<String>,
    pub names: Vec<String>,
    pub streams: Vec<String>,
    pub versions: Vec<String>,
    pub contexts: Vec<String>,
    /// Case-insensitive.
    pub koji_tags: Vec<String>,
    pub active: Option<bool>,
    pub runtime_dep_names: Vec<String>,
    pub runtime_dep_streams: Vec<String>,
    pub build_dep_names: Vec<String>,
    pub build_dep_streams: Vec<String>,
    /// Modules shipping an rpm built from one of these source packages.
    pub component_names: Vec<String>,
    pub component_branches: Vec<String>,
    /// `name` or `name/branch`, matched on one rpm.
    pub components: Vec<String>,
    pub rpm_filenames: Vec<String>,
}

fn dep_condition(l: &mut Listing, kind: &str, column: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    let k = l.sql.bind(kind);
    let p = l.sql.bind(values.to_vec());
    l.condition(format!(
        "EXISTS (SELECT 1 FROM module_deps d WHERE d.module_id = m.id AND d.kind = {k} AND d.{column} = ANY({p}))"
    ));
}

fn rpm_condition(l: &mut Listing, condition: String) {
    l.condition(format!(
        "EXISTS (SELECT 1 FROM module_rpms mr JOIN rpms r ON r.id = mr.rpm_id WHERE mr.module_id = m.id AND {condition})"
    ));
}

pub fn list(
    conn: &mut dyn Conn,
    f: &ModuleFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Module>)> {
    let mut l = Listing::new("modules m");
    l.any_of("m.uid", &f.uids)
        .any_of("m.name", &f.names)
        .any_of("m.stream", &f.streams)
        .any_of("m.version", &f.versions)
        .any_of("m.context", &f.contexts)
        .any_of_ci("m.koji_tag", &f.koji_tags)
        .boolean("m.active", f.active);
    dep_condition(&mut l, "runtime", "dependency", &f.runtime_dep_names);
    dep_condition(&mut l, "runtime", "stream", &f.runtime_dep_streams);
    dep_condition(&mut l, "build", "dependency", &f.build_dep_names);
    dep_condition(&mut l, "build", "stream", &f.build_dep_streams);
    if !f.component_names.is_empty() {
        let p = l.sql.bind(f.component_names.clone());
        rpm_condition(&mut l, format!("r.srpm_name = ANY({p})"));
    }
    if !f.component_branches.is_empty() {
        let p = l.sql.bind(f.component_branches.clone());
        rpm_condition(&mut l, format!("r.srpm_commit_branch = ANY({p})"));
    }
    if !f.rpm_filenames.is_empty() {
        let p = l.sql.bind(f.rpm_filenames.clone());
        rpm_condition(&mut l, format!("r.filename = ANY({p})"));
    }
    // Repeated `component` values: any of them, each on one rpm.
    let mut alternatives = Vec::new();
    for c in &f.components {
        let alternative = match c.split_once('/') {
            Some((name, branch)) => {
                let (n, b) = (l.sql.bind(name), l.sql.bind(branch));
                format!("(r.srpm_name = {n} AND r.srpm_commit_branch = {b})")
            }
            None => format!("r.srpm_name = {}", l.sql.bind(c.as_str())),
        };
        alternatives.push(alternative);
    }
    if !alternatives.is_empty() {
        rpm_condition(&mut l, format!("({})", alternatives.join(" OR ")));
    }
    let order = order_by(
        ordering,
        &[
            ("uid", "m.uid"),
            ("name", "m.name"),
            ("stream", "m.stream"),
            ("version", "m.version"),
            ("context", "m.context"),
            ("active", "m.active"),
            ("koji_tag", "m.koji_tag"),
        ],
        "m.id",
    );
    let (count, rows) = l.run(
        conn,
        "m.id, m.uid, m.name, m.stream, m.version, m.context, m.active, m.koji_tag, m.modulemd",
        &order,
        page,
    )?;
    let mut modules = rows
        .into_iter()
        .map(|mut r| {
            Ok(Module {
                id: r.int(0)?,
                uid: r.text(1)?,
                name: r.text(2)?,
                stream: r.text(3)?,
                version: r.text(4)?,
                context: r.text(5)?,
                active: r.bool(6)?,
                koji_tag: r.text(7)?,
                modulemd: r.text(8)?,
                runtime_deps: Vec::new(),
                build_deps: Vec::new(),
                rpms: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    fill_parts(conn, &mut modules)?;
    Ok((count, modules))
}

/// Reads the dependencies and rpms of a page of modules: two queries.
fn fill_parts(conn: &mut dyn Conn, modules: &mut [Module]) -> StoreResult<()> {
    if modules.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = modules.iter().map(|m| m.id).collect();
    let at: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for mut r in conn.query(
        "SELECT module_id, kind, dependency, stream FROM module_deps WHERE module_id = ANY($1) ORDER BY module_id, kind, position",
        &[Value::IntList(ids.clone())],
    )? {
        let m = &mut modules[at[&r.int(0)?]];
        let dep = Dependency {
            dependency: r.text(2)?,
            stream: r.text(3)?,
        };
        if r.text(1)? == "runtime" {
            m.runtime_deps.push(dep);
        } else {
            m.build_deps.push(dep);
        }
    }
    for mut r in conn.query(
        "SELECT mr.module_id, r.nevra FROM module_rpms mr JOIN rpms r ON r.id = mr.rpm_id WHERE mr.module_id = ANY($1) ORDER BY mr.module_id, r.nevra",
        &[Value::IntList(ids)],
    )? {
        let m = &mut modules[at[&r.int(0)?]];
        m.rpms.push(format!("{}.rpm", r.text(1)?));
    }
    Ok(())
}

pub fn get(conn: &mut dyn Conn, uid: &str) -> StoreResult<Option<Module>> {
    let f = ModuleFilter {
        uids: vec![uid.to_string()],
        ..Default::default()
    };
    Ok(list(conn, &f, &[], None)?.1.pop())
}

fn check(input: &ModuleInput) -> StoreResult<()> {
    let invalid = |field: &str, m: &str| StoreError::Invalid(ModelError::new(field, m));
    for (field, value) in [
        ("name", &input.name),
        ("stream", &input.stream),
        ("version", &input.version),
        ("context", &input.context),
        ("koji_tag", &input.koji_tag),
        ("modulemd", &input.modulemd),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(field, "This field may not be blank."));
        }
    }
    for (field, value) in [
        ("name", &input.name),
        ("stream", &input.stream),
        ("version", &input.version),
        ("context", &input.context),
    ] {
        if value.contains(':') {
            return Err(invalid(
                field,
                "A module's name, stream, version and context may not contain ':' (they make its uid).",
            ));
        }
    }
    for (field, deps) in [
        ("runtime_deps", &input.runtime_deps),
        ("build_deps", &input.build_deps),
    ] {
        if deps.iter().any(|d| d.dependency.trim().is_empty()) {
            return Err(invalid(field, "A dependency needs a module name."));
        }
    }
    Ok(())
}

/// Creates a module or replaces one (its dependencies and rpms become
/// those given).
pub fn save(
    conn: &mut dyn Conn,
    existing: Option<&Module>,
    input: &ModuleInput,
    changes: &mut Vec<Change>,
) -> StoreResult<Module> {
    check(input)?;
    let uid = input.uid();
    let other = conn
        .query_opt(
            "SELECT id FROM modules WHERE uid = $1",
            &[uid.as_str().into()],
        )?
        .map(|r| r.int(0))
        .transpose()?;
    if other.is_some_and(|o| existing.is_none_or(|e| e.id != o)) {
        return Err(StoreError::Invalid(ModelError::new(
            "non_field_errors",
            "The fields name, stream, version, context must make a unique set.",
        )));
    }
    if let Some(old) = existing {
        mirror(conn, old, false)?;
    }
    let id = save_row(
        conn,
        "modules",
        &[
            "uid", "name", "stream", "version", "context", "active", "koji_tag", "modulemd",
        ],
        vec![
            uid.as_str().into(),
            input.name.as_str().into(),
            input.stream.as_str().into(),
            input.version.as_str().into(),
            input.context.as_str().into(),
            input.active.into(),
            input.koji_tag.as_str().into(),
            input.modulemd.as_str().into(),
        ],
        existing.map(|e| e.id),
    )?;
    conn.execute("DELETE FROM module_deps WHERE module_id = $1", &[id.into()])?;
    conn.execute("DELETE FROM module_rpms WHERE module_id = $1", &[id.into()])?;
    let deps: Vec<Vec<Value>> = [
        ("runtime", &input.runtime_deps),
        ("build", &input.build_deps),
    ]
    .into_iter()
    .flat_map(|(kind, deps)| {
        deps.iter().enumerate().map(move |(i, d)| {
            vec![
                id.into(),
                kind.into(),
                d.dependency.as_str().into(),
                d.stream.as_str().into(),
                (i as i64).into(),
            ]
        })
    })
    .collect();
    conn.insert_rows(BulkInsert {
        table: "module_deps",
        columns: &[
            ("module_id", ColType::Int),
            ("kind", ColType::Text),
            ("dependency", ColType::Text),
            ("stream", ColType::Text),
            ("position", ColType::Int),
        ],
        rows: deps,
        skip_conflicts: false,
    })?;
    conn.insert_rows(BulkInsert {
        table: "module_rpms",
        columns: &[("module_id", ColType::Int), ("rpm_id", ColType::Int)],
        rows: input
            .rpms
            .iter()
            .map(|r| vec![id.into(), (*r).into()])
            .collect(),
        skip_conflicts: true,
    })?;
    let saved =
        get(conn, &uid)?.ok_or_else(|| StoreError::Internal("saved module vanished".into()))?;
    mirror(conn, &saved, true)?;
    record(changes, "module", id, existing, Some(&saved));
    Ok(saved)
}

pub fn delete(
    conn: &mut dyn Conn,
    existing: &Module,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    mirror(conn, existing, false)?;
    for table in ["module_deps", "module_rpms"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE module_id = $1"),
            &[existing.id.into()],
        )?;
    }
    conn.execute("DELETE FROM modules WHERE id = $1", &[existing.id.into()])?;
    record(changes, "module", existing.id, Some(existing), None);
    Ok(())
}

/// The graph node of a module build, and of a module stream.
pub fn module_node(uid: &str) -> String {
    format!("module:{uid}")
}

/// The module's edges in the artifact graph: its rpms (includes), the
/// streams it builds and runs on (build-requires, requires), and itself as
/// an input of its own stream (includes).
pub fn graph_edges(m: &Module) -> (InputSet, Edge) {
    let node = module_node(&m.uid);
    let mut inputs: Vec<(String, String)> = m
        .rpms
        .iter()
        .filter_map(|f| {
            let n = almanac_model::productmd::Nevra::parse(f.trim_end_matches(".rpm")).ok()?;
            Some((
                rpm_node(
                    n.name(),
                    n.epoch() as i64,
                    n.version(),
                    n.release(),
                    n.arch(),
                ),
                "includes".to_string(),
            ))
        })
        .collect();
    for (deps, kind) in [
        (&m.build_deps, "build-requires"),
        (&m.runtime_deps, "requires"),
    ] {
        for d in deps {
            if d.dependency == m.name && (d.stream.is_empty() || d.stream == m.stream) {
                continue; // its own stream: not an input of itself
            }
            let stream = if d.stream.is_empty() {
                module_node(&d.dependency)
            } else {
                module_node(&format!("{}:{}", d.dependency, d.stream))
            };
            inputs.push((stream, kind.to_string()));
        }
    }
    inputs.sort();
    inputs.dedup();
    let stream = Edge {
        input: node.clone(),
        artifact: module_node(&format!("{}:{}", m.name, m.stream)),
        kind: "includes".into(),
    };
    (
        InputSet {
            artifact: node,
            inputs,
        },
        stream,
    )
}

/// Keeps the graph's copy of a module: its inputs exactly as the module
/// says when `present`, none when not. The module's own change is the
/// changeset's record.
fn mirror(conn: &mut dyn Conn, m: &Module, present: bool) -> StoreResult<()> {
    let (mut set, stream) = graph_edges(m);
    if present {
        graph::ensure_inputs(conn, &[set], GRAPH_SOURCE, None)?;
        graph::add_edges(conn, &[stream], GRAPH_SOURCE, None)?;
    } else {
        set.inputs.clear();
        graph::ensure_inputs(conn, &[set], GRAPH_SOURCE, None)?;
        graph::remove_edges(conn, &[stream], GRAPH_SOURCE, None)?;
    }
    Ok(())
}
