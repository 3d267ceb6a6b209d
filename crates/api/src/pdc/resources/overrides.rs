//! `overrides/rpm/`: rpms a release's mapping adds or hides.

use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, required_text, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use serde_json::{Map, Value};

/// `overrides/rpm/`: rpms a release's mapping adds (`include` true) or hides.
pub struct RpmOverrides;

impl Resource for RpmOverrides {
    fn prefix(&self) -> &'static str {
        "overrides/rpm"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "release",
            "variant",
            "arch",
            "srpm_name",
            "rpm_name",
            "rpm_arch",
            "comment",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "release",
            "variant",
            "arch",
            "srpm_name",
            "rpm_name",
            "rpm_arch",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "release",
            "variant",
            "arch",
            "srpm_name",
            "rpm_name",
            "rpm_arch",
            "include",
            "comment",
            "do_not_delete",
        ]
    }
    fn writes(&self) -> Writes {
        Writes {
            create: true,
            update: false,
            delete: true,
        }
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = almanac_store::overrides::OverrideFilter {
            ids: Vec::new(),
            releases: q.values("release").to_vec(),
            variants: q.values("variant").to_vec(),
            arches: q.values("arch").to_vec(),
            srpm_names: q.values("srpm_name").to_vec(),
            rpm_names: q.values("rpm_name").to_vec(),
            rpm_arches: q.values("rpm_arch").to_vec(),
            comments: q.values("comment").to_vec(),
        };
        let (count, items) =
            almanac_store::overrides::list_overrides(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn history_class(&self) -> Option<&'static str> {
        Some("overriderpm")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(almanac_store::overrides::get_override(conn, id)?
            .as_ref()
            .map(to_json))
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
                "release",
                "variant",
                "arch",
                "srpm_name",
                "rpm_name",
                "rpm_arch",
                "include",
                "comment",
                "do_not_delete",
            ],
            &["id"],
        )?;
        let o = almanac_store::overrides::Override {
            id: 0,
            release: required_text(body, "release")?,
            variant: required_text(body, "variant")?,
            arch: required_text(body, "arch")?,
            srpm_name: required_text(body, "srpm_name")?,
            rpm_name: required_text(body, "rpm_name")?,
            rpm_arch: required_text(body, "rpm_arch")?,
            include: crate::pdc::resource::boolean(body, "include")?
                .ok_or_else(|| PdcError::required("include"))?,
            comment: text(body, "comment")?.unwrap_or_default(),
            do_not_delete: crate::pdc::resource::boolean(body, "do_not_delete")?.unwrap_or(false),
        };
        Ok(to_json(&almanac_store::overrides::create_override(
            conn, &o, changes,
        )?))
    }

    fn delete(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        changes: &mut Vec<Change>,
    ) -> Result<(), PdcError> {
        let id = int_key(key).ok_or_else(PdcError::not_found)?;
        let old =
            almanac_store::overrides::get_override(conn, id)?.ok_or_else(PdcError::not_found)?;
        almanac_store::overrides::delete_override(conn, &old, changes)?;
        Ok(())
    }
}
