//! `component-sla-types/`, `component-branches/`, `component-branch-slas/`
//! and `release-schedules/`: the lifecycle endpoints Fedora's tools read most.

use super::{int_key, must_exist, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, boolean, check_body, required_text, text};
use almanac_model::Timestamp;
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::lifecycle::{self as store, Branch};
use serde_json::{Map, Value, json};

fn today() -> String {
    Timestamp::now().date()
}

fn date_filter(q: &ListQuery, name: &str) -> Result<Option<String>, PdcError> {
    q.values(name)
        .first()
        .map(|v| Timestamp::parse_date(name, v).map_err(PdcError::from))
        .transpose()
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------

pub struct ComponentBranches;

impl Resource for ComponentBranches {
    fn prefix(&self) -> &'static str {
        "component-branches"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "name",
            "global_component",
            "type",
            "active",
            "critical_path",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "name", "global_component", "type", "critical_path"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "global_component",
            "name",
            "slas",
            "type",
            "active",
            "critical_path",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::BranchFilter {
            names: q.values("name").to_vec(),
            global_components: q.values("global_component").to_vec(),
            types: q.values("type").to_vec(),
            active: q.boolean("active")?,
            critical_path: q.boolean("critical_path")?,
            ..Default::default()
        };
        let (count, items) = store::list_branches(conn, &f, &today(), &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("componentbranch")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::get_branch(conn, id, &today())?.as_ref().map(to_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["global_component", "name", "type", "critical_path"],
            &["id", "slas", "active"],
        )?;
        let gc = required_text(body, "global_component")?;
        must_exist(conn, "global_component", &gc, "global_components", "name")?;
        let name = required_text(body, "name")?;
        let branch_type = required_text(body, "type")?;
        must_exist(
            conn,
            "type",
            &branch_type,
            "release_component_types",
            "name",
        )?;
        if store::find_branch(conn, &gc, &name, &branch_type, &today())?.is_some() {
            return Err(PdcError::unique_set(&["global_component", "name", "type"]));
        }
        let critical_path = boolean(body, "critical_path")?.unwrap_or(false);
        let saved = store::save_branch(
            conn,
            None,
            &store::BranchInput {
                global_component: gc.clone(),
                name: name.clone(),
                branch_type: branch_type.clone(),
                critical_path,
            },
            &today(),
            changes,
        )?;
        Ok(to_json(&saved))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["global_component", "name", "type", "critical_path"],
            &["id", "slas", "active"],
        )?;
        let old = int_key(key)
            .map(|id| store::get_branch(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        if text(body, "name")?.is_some_and(|n| n != old.name) {
            return Err(PdcError::field(
                "name",
                "The name of a branch can not be changed.",
            ));
        }
        if text(body, "global_component")?.is_some_and(|g| g != old.global_component) {
            return Err(PdcError::field(
                "global_component",
                "The component of a branch can not be changed.",
            ));
        }
        let branch_type = match text(body, "type")? {
            Some(t) => t,
            None if partial => old.branch_type.clone(),
            None => return Err(PdcError::required("type")),
        };
        must_exist(
            conn,
            "type",
            &branch_type,
            "release_component_types",
            "name",
        )?;
        let critical_path = boolean(body, "critical_path")?.unwrap_or(if partial {
            old.critical_path
        } else {
            false
        });
        let saved = store::save_branch(
            conn,
            Some(&old),
            &store::BranchInput {
                global_component: old.global_component.clone(),
                name: old.name.clone(),
                branch_type,
                critical_path,
            },
            &today(),
            changes,
        )?;
        Ok(to_json(&saved))
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = int_key(key)
            .map(|id| store::get_branch(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        Ok(store::delete_branch(conn, &old, changes)?)
    }
}

// ---------------------------------------------------------------------------

pub struct BranchSlas;

impl Resource for BranchSlas {
    fn prefix(&self) -> &'static str {
        "component-branch-slas"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "sla",
            "branch",
            "global_component",
            "branch_type",
            "branch_active",
            "branch_critical_path",
            "eol",
            "eol_after",
            "eol_before",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[]
    }
    fn fields(&self) -> &'static [&'static str] {
        &["id", "sla", "branch", "eol"]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::SlaToBranchFilter {
            slas: q.values("sla").to_vec(),
            branches: q.values("branch").to_vec(),
            global_components: q.values("global_component").to_vec(),
            branch_types: q.values("branch_type").to_vec(),
            branch_active: q.boolean("branch_active")?,
            branch_critical_path: q.boolean("branch_critical_path")?,
            eols: q.values("eol").to_vec(),
            eol_after: date_filter(q, "eol_after")?,
            eol_before: date_filter(q, "eol_before")?,
            ..Default::default()
        };
        let (count, items) = store::list_slas_to_branches(conn, &f, &today(), q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("slatocomponentbranch")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::get_sla_to_branch(conn, id, &today())?
            .as_ref()
            .map(to_json))
    }
    /// Creates the branch too when it does not exist yet, as PDC does.
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["sla", "branch", "eol"], &["id"])?;
        let sla = required_text(body, "sla")?;
        must_exist(conn, "sla", &sla, "component_sla_types", "name")?;
        let eol = Timestamp::parse_date("eol", &required_text(body, "eol")?)?;
        let Some(Value::Object(b)) = body.get("branch") else {
            return Err(PdcError::required("branch"));
        };
        let get = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(name), Some(gc), Some(branch_type)) =
            (get("name"), get("global_component"), get("type"))
        else {
            return Err(PdcError::field(
                "branch",
                "A branch needs name, global_component and type.",
            ));
        };
        must_exist(conn, "branch", &gc, "global_components", "name")?;
        must_exist(
            conn,
            "branch",
            &branch_type,
            "release_component_types",
            "name",
        )?;
        let critical = b.get("critical_path").and_then(Value::as_bool);
        let branch: Branch = match store::find_branch(conn, &gc, &name, &branch_type, &today())? {
            Some(existing) => {
                if critical.is_some_and(|c| c != existing.critical_path) {
                    return Err(PdcError::field(
                        "branch.critical_path",
                        "The critical_path field does not match the existing branch.",
                    ));
                }
                existing
            }
            None => store::save_branch(
                conn,
                None,
                &store::BranchInput {
                    global_component: gc.clone(),
                    name: name.clone(),
                    branch_type: branch_type.clone(),
                    critical_path: critical.unwrap_or(false),
                },
                &today(),
                changes,
            )?,
        };
        if branch.slas.iter().any(|s| s.sla == sla) {
            return Err(PdcError::unique_set(&["sla", "branch"]));
        }
        Ok(to_json(&store::save_sla_to_branch(
            conn,
            None,
            &sla,
            branch.id,
            &eol,
            &today(),
            changes,
        )?))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(body, &["sla", "branch", "eol"], &["id"])?;
        let old = int_key(key)
            .map(|id| store::get_sla_to_branch(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        if body.get("branch").is_some_and(|b| {
            b.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n != old.branch.name)
        }) {
            return Err(PdcError::field(
                "branch",
                "The branch of an SLA can not be changed.",
            ));
        }
        let sla = match text(body, "sla")? {
            Some(s) => s,
            None if partial => old.sla.clone(),
            None => return Err(PdcError::required("sla")),
        };
        must_exist(conn, "sla", &sla, "component_sla_types", "name")?;
        let eol = match text(body, "eol")? {
            Some(e) => Timestamp::parse_date("eol", &e)?,
            None if partial => old.eol.clone(),
            None => return Err(PdcError::required("eol")),
        };
        Ok(to_json(&store::save_sla_to_branch(
            conn,
            Some(&old),
            &sla,
            old.branch.id,
            &eol,
            &today(),
            changes,
        )?))
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = int_key(key)
            .map(|id| store::get_sla_to_branch(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        Ok(store::delete_sla_to_branch(conn, &old, changes)?)
    }
}

// ---------------------------------------------------------------------------

pub struct ReleaseSchedules;

fn schedule_json(s: &store::Schedule) -> Value {
    let mut v = to_json(s);
    v["release_url"] = json!(format!("/rest_api/v1/releases/{}/", s.release));
    v["sla_url"] = json!(format!("/rest_api/v1/component-sla-types/?name={}", s.sla));
    v
}

impl Resource for ReleaseSchedules {
    fn prefix(&self) -> &'static str {
        "release-schedules"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release",
            "product_version",
            "sla",
            "active",
            "date",
            "date_after",
            "date_before",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "date", "release", "sla"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "release",
            "sla",
            "date",
            "active",
            "release_url",
            "sla_url",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }
    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = store::ScheduleFilter {
            releases: q.values("release").to_vec(),
            product_versions: q.values("product_version").to_vec(),
            slas: q.values("sla").to_vec(),
            active: q.boolean("active")?,
            dates: q.values("date").to_vec(),
            date_after: date_filter(q, "date_after")?,
            date_before: date_filter(q, "date_before")?,
            ..Default::default()
        };
        let (count, items) = store::list_schedules(conn, &f, &today(), &q.ordering, q.page)?;
        Ok((count, items.iter().map(schedule_json).collect()))
    }
    fn history_class(&self) -> Option<&'static str> {
        Some("releaseschedule")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(store::get_schedule(conn, id, &today())?
            .as_ref()
            .map(schedule_json))
    }
    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["release", "sla", "date"],
            &["id", "active", "release_url", "sla_url"],
        )?;
        let release = required_text(body, "release")?;
        must_exist(conn, "release", &release, "releases", "release_id")?;
        let sla = required_text(body, "sla")?;
        must_exist(conn, "sla", &sla, "component_sla_types", "name")?;
        let date = Timestamp::parse_date("date", &required_text(body, "date")?)?;
        let f = store::ScheduleFilter {
            releases: vec![release.clone()],
            slas: vec![sla.clone()],
            ..Default::default()
        };
        if store::list_schedules(conn, &f, &today(), &[], None)?.0 > 0 {
            return Err(PdcError::unique_set(&["release", "sla"]));
        }
        Ok(schedule_json(&store::save_schedule(
            conn,
            None,
            &release,
            &sla,
            &date,
            &today(),
            changes,
        )?))
    }
    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &["release", "sla", "date"],
            &["id", "active", "release_url", "sla_url"],
        )?;
        let old = int_key(key)
            .map(|id| store::get_schedule(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        let pick = |field: &str, old_value: &str| -> Result<String, PdcError> {
            match text(body, field)? {
                Some(v) => Ok(v),
                None if partial => Ok(old_value.to_string()),
                None => Err(PdcError::required(field)),
            }
        };
        let release = pick("release", &old.release)?;
        must_exist(conn, "release", &release, "releases", "release_id")?;
        let sla = pick("sla", &old.sla)?;
        must_exist(conn, "sla", &sla, "component_sla_types", "name")?;
        let date = Timestamp::parse_date("date", &pick("date", &old.date)?)?;
        Ok(schedule_json(&store::save_schedule(
            conn,
            Some(&old),
            &release,
            &sla,
            &date,
            &today(),
            changes,
        )?))
    }
    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let old = int_key(key)
            .map(|id| store::get_schedule(conn, id, &today()))
            .transpose()?
            .flatten()
            .ok_or_else(PdcError::not_found)?;
        Ok(store::delete_schedule(conn, &old, changes)?)
    }
}
