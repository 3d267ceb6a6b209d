//! `composes/` (with `composes/{id}/rpm-mapping/{package}/`) and
//! `compose-tree-locations/`. Composes come into
//! being by import (`compose-rpms/`, `compose-images/`,
//! `rpc/compose-full-import/`): here they are read, patched (acceptance
//! testing, linked releases, release testing per tree) and marked deleted.

use super::to_json;
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, string_list, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::composes::{
    self as store, ComposeFilter, ComposePatch, LocationFilter, TreeLocationRow,
};
use almanac_store::overrides::{self, OverrideAction};
use almanac_store::packages;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub struct Composes;

/// `name-version-release`, split at its last two dashes.
fn split_nvr(field: &str, nvr: &str) -> Result<(String, String, String), PdcError> {
    let bad = || PdcError::bad_request(format!("{field}: '{nvr}' is not name-version-release."));
    let (rest, release) = nvr.rsplit_once('-').ok_or_else(bad)?;
    let (name, version) = rest.rsplit_once('-').ok_or_else(bad)?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return Err(bad());
    }
    Ok((name.into(), version.into(), release.into()))
}

fn single(q: &ListQuery, name: &str) -> Option<String> {
    q.values(name).first().cloned()
}

fn compose_json(c: &store::Compose, base_url: &str) -> Value {
    let mut v = to_json(c);
    v["rpm_mapping_template"] = Value::String(format!(
        "{base_url}/rest_api/v1/composes/{}/rpm-mapping/{{{{package}}}}/",
        c.compose_id
    ));
    v
}

impl Resource for Composes {
    fn prefix(&self) -> &'static str {
        "composes"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release",
            "compose_id",
            "compose_type",
            "acceptance_testing",
            "deleted",
            "compose_date",
            "compose_respin",
            "compose_label",
            "rpm_nvr",
            "rpm_nvra",
            "srpm_name",
            "rpm_name",
            "rpm_version",
            "rpm_release",
            "rpm_arch",
            // Beyond PDC: what was produced between two dates.
            "compose_date_after",
            "compose_date_before",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "compose_id",
            "compose_date",
            "compose_type",
            "compose_respin",
            "compose_label",
            "release",
            "acceptance_testing",
            "deleted",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "compose_id",
            "compose_date",
            "compose_type",
            "compose_respin",
            "release",
            "compose_label",
            "deleted",
            "rpm_mapping_template",
            "sigkeys",
            "acceptance_testing",
            "linked_releases",
            "rtt_tested_architectures",
        ]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: false,
            update: true,
            delete: true,
        }
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let nvrs = q
            .values("rpm_nvr")
            .iter()
            .map(|v| split_nvr("rpm_nvr", v))
            .collect::<Result<Vec<_>, _>>()?;
        let nvras = q
            .values("rpm_nvra")
            .iter()
            .map(|v| {
                let (nvr, arch) = v.rsplit_once('.').ok_or_else(|| {
                    PdcError::bad_request(format!(
                        "rpm_nvra: '{v}' is not name-version-release.arch."
                    ))
                })?;
                let (n, ver, rel) = split_nvr("rpm_nvra", nvr)?;
                Ok((n, ver, rel, arch.to_string()))
            })
            .collect::<Result<Vec<_>, PdcError>>()?;
        let date = |name: &str| -> Result<Option<String>, PdcError> {
            match single(q, name) {
                None => Ok(None),
                Some(d) if is_date(&d) => Ok(Some(d)),
                Some(d) => Err(PdcError::bad_request(format!(
                    "{name}: '{d}' is not a date YYYY-MM-DD."
                ))),
            }
        };
        let f = ComposeFilter {
            releases: q.values("release").to_vec(),
            compose_ids: q.values("compose_id").to_vec(),
            compose_types: q.values("compose_type").to_vec(),
            acceptance_testing: q.values("acceptance_testing").to_vec(),
            deleted: q.boolean("deleted")?,
            compose_dates: q.values("compose_date").to_vec(),
            compose_respins: q.values("compose_respin").to_vec(),
            compose_labels: q.values("compose_label").to_vec(),
            rpm_nvrs: nvrs,
            rpm_nvras: nvras,
            srpm_name: single(q, "srpm_name"),
            rpm_name: single(q, "rpm_name"),
            rpm_version: single(q, "rpm_version"),
            rpm_release: single(q, "rpm_release"),
            rpm_arch: single(q, "rpm_arch"),
            date_after: date("compose_date_after")?,
            date_before: date("compose_date_before")?,
        };
        let (count, items) = store::list_composes(conn, &f, &q.ordering, q.page)?;
        Ok((
            count,
            items.iter().map(|c| compose_json(c, &q.base_url)).collect(),
        ))
    }

    fn history_class(&self) -> Option<&'static str> {
        Some("compose")
    }
    fn history_id(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<i64>, PdcError> {
        Ok(store::get_compose(conn, key)?.map(|c| c.pk))
    }

    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        self.get_with(conn, key, &ListQuery::default())
    }

    fn detail_params(&self) -> &'static [&'static str] {
        &["disable_overrides"]
    }

    fn get_with(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        q: &ListQuery,
    ) -> Result<Option<Value>, PdcError> {
        // `composes/{id}/rpm-mapping/{package}`: the compose's rpms built
        // from that source package, per variant and arch of its release,
        // with the release's overrides unless `disable_overrides`.
        if let Some((id, package)) = key.split_once("/rpm-mapping/") {
            let Some(compose) = store::get_compose(conn, id)? else {
                return Ok(None);
            };
            return rpm_mapping(conn, compose.pk, &compose.release, package, q);
        }
        Ok(store::get_compose(conn, key)?
            .as_ref()
            .map(|c| compose_json(c, &q.base_url)))
    }

    /// `composes/{id}/rpm-mapping/{package}/`: PUT a whole mapping to get
    /// the override changes that would make it (`?perform=1` makes them);
    /// PATCH a list of changes to make them (204).
    fn update_under(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Value,
        partial: bool,
        query: &[(String, String)],
        changes: &mut Vec<Change>,
    ) -> Result<Option<(StatusCode, Value)>, PdcError> {
        let Some((id, package)) = key.split_once("/rpm-mapping/") else {
            return Ok(None);
        };
        crate::pdc::query::check_known(query, &["perform"])?;
        let compose = store::get_compose(conn, id)?.ok_or_else(PdcError::not_found)?;
        if partial {
            let actions: Vec<OverrideAction> = serde_json::from_value(body.clone()).map_err(|e| {
                PdcError::bad_request(format!(
                    "Expected a list of {{\"action\", \"variant\", \"arch\", \"srpm_name\", \"rpm_name\", \"rpm_arch\", \"include\"}}: {e}"
                ))
            })?;
            overrides::apply_actions(conn, &compose.release, &actions, changes)?;
            return Ok(Some((StatusCode::NO_CONTENT, Value::Null)));
        }
        let desired: overrides::RpmMapping =
            serde_json::from_value(body.clone()).map_err(|_| {
                PdcError::bad_request(
                    "Expected a mapping {\"Variant\": {\"arch\": {\"rpm_name\": [\"rpm_arch\"]}}}.",
                )
            })?;
        let raw = packages::rpm_mapping(conn, compose.pk, package)?;
        let current = overrides::list_overrides(
            conn,
            &overrides::OverrideFilter {
                releases: vec![compose.release.clone()],
                srpm_names: vec![package.to_string()],
                ..Default::default()
            },
            &[],
            None,
        )?
        .1;
        let actions =
            overrides::compute_changes(&compose.release, package, &raw, &current, &desired);
        let perform = query
            .iter()
            .any(|(k, v)| k == "perform" && crate::pdc::query::parse_bool(v) == Some(true));
        if perform {
            overrides::apply_actions(conn, &compose.release, &actions, changes)?;
        }
        Ok(Some((StatusCode::OK, to_json(&actions))))
    }

    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        if !partial {
            return Err(PdcError::method_not_allowed("PUT"));
        }
        let old = store::get_compose(conn, key)?.ok_or_else(PdcError::not_found)?;
        let allowed = [
            "acceptance_testing",
            "linked_releases",
            "rtt_tested_architectures",
        ];
        if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(PdcError::bad_request(format!(
                "Only these properties can be updated: {}; not \"{k}\".",
                allowed.join(", ")
            )));
        }
        let rtt = match body.get("rtt_tested_architectures") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<BTreeMap<String, BTreeMap<String, String>>>(v.clone())
                    .map_err(|_| {
                        PdcError::field(
                            "rtt_tested_architectures",
                            "Expected {\"Variant\": {\"arch\": \"untested|passed|failed\"}}.",
                        )
                    })?,
            ),
        };
        let patch = ComposePatch {
            acceptance_testing: text(body, "acceptance_testing")?,
            linked_releases: string_list(body, "linked_releases")?,
            rtt_tested_architectures: rtt,
        };
        Ok(compose_json(
            &store::update_compose(conn, &old, &patch, changes)?,
            "",
        ))
    }

    fn delete_warning(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<Option<String>, PdcError> {
        let old = store::get_compose(conn, key)?.ok_or_else(PdcError::not_found)?;
        let marked = store::mark_deleted(conn, &old, changes)?;
        Ok((!marked).then(|| "No change. This compose was marked as deleted already.".to_string()))
    }
}

/// PDC's rpm mapping of one source package; `None` (404) when the compose
/// has none of its rpms.
pub fn rpm_mapping(
    conn: &mut dyn Conn,
    compose: i64,
    release: &str,
    package: &str,
    q: &ListQuery,
) -> Result<Option<Value>, PdcError> {
    let mapping = if q.boolean("disable_overrides")?.unwrap_or(false) {
        packages::rpm_mapping(conn, compose, package)?
    } else {
        almanac_store::overrides::mapping_with_overrides(conn, compose, release, package)?
    };
    Ok((!mapping.is_empty()).then(|| to_json(&mapping)))
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

// ---------------------------------------------------------------------------

pub struct ComposeTreeLocations;

fn location_key(key: &str) -> Option<[&str; 5]> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [c, v, a, l, s] => Some([c, v, a, l, s]),
        _ => None,
    }
}

impl Resource for ComposeTreeLocations {
    fn prefix(&self) -> &'static str {
        "compose-tree-locations"
    }
    fn filters(&self) -> &'static [&'static str] {
        &["compose", "variant", "arch", "location", "scheme"]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &["id", "compose", "variant", "arch", "location", "scheme"]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "compose",
            "variant",
            "arch",
            "location",
            "scheme",
            "url",
            "synced_content",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::ALL
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = LocationFilter {
            composes: q.values("compose").to_vec(),
            variants: q.values("variant").to_vec(),
            arches: q.values("arch").to_vec(),
            locations: q.values("location").to_vec(),
            schemes: q.values("scheme").to_vec(),
        };
        let (count, items) = store::list_locations(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(k) = location_key(key) else {
            return Ok(None);
        };
        Ok(store::get_location(conn, k)?.as_ref().map(to_json))
    }

    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        check_body(
            body,
            &[
                "compose",
                "variant",
                "arch",
                "location",
                "scheme",
                "url",
                "synced_content",
            ],
            &[],
        )?;
        let new = TreeLocationRow {
            pk: 0,
            compose: required_text(body, "compose")?,
            variant: required_text(body, "variant")?,
            arch: required_text(body, "arch")?,
            location: required_text(body, "location")?,
            scheme: required_text(body, "scheme")?,
            url: required_text(body, "url")?,
            synced_content: string_list(body, "synced_content")?.unwrap_or_else(|| {
                store::CONTENT_CATEGORIES
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }),
        };
        if store::get_compose(conn, &new.compose)?.is_none() {
            return Err(PdcError::no_such("compose", "Compose", &new.compose));
        }
        let key = [
            new.compose.as_str(),
            &new.variant,
            &new.arch,
            &new.location,
            &new.scheme,
        ];
        if store::get_location(conn, key)?.is_some() {
            return Err(PdcError::unique_set(&[
                "compose", "variant", "arch", "location", "scheme",
            ]));
        }
        Ok(to_json(&store::save_location(conn, None, &new, changes)?))
    }

    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        if !partial {
            return Err(PdcError::method_not_allowed("PUT"));
        }
        let k = location_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::get_location(conn, k)?.ok_or_else(PdcError::not_found)?;
        check_body(
            body,
            &["scheme", "url", "synced_content"],
            &["compose", "variant", "arch", "location"],
        )?;
        let new = TreeLocationRow {
            scheme: text(body, "scheme")?.unwrap_or_else(|| old.scheme.clone()),
            url: text(body, "url")?.unwrap_or_else(|| old.url.clone()),
            synced_content: string_list(body, "synced_content")?
                .unwrap_or_else(|| old.synced_content.clone()),
            ..old.clone()
        };
        Ok(to_json(&store::save_location(
            conn,
            Some(&old),
            &new,
            changes,
        )?))
    }

    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let k = location_key(key).ok_or_else(PdcError::not_found)?;
        let old = store::get_location(conn, k)?.ok_or_else(PdcError::not_found)?;
        store::delete_location(conn, &old, changes)?;
        Ok(())
    }
}
