//! `rpms/` and `images/`: the artifacts composes are made of, global (one
//! row per NEVRA, one per file name and checksum). Rpms may also be posted
//! directly, as pdc-updater does for builds no compose has yet.

use super::{int_key, to_json};
use crate::pdc::error::PdcError;
use crate::pdc::query::ListQuery;
use crate::pdc::resource::{Resource, Writes, check_body, string_list, text};
use almanac_store::Conn;
use almanac_store::changes::Change;
use almanac_store::packages::{self, ImageFilter, RpmFilter, RpmInput};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub struct Rpms;

fn ints(q: &ListQuery, name: &str) -> Result<Vec<i64>, PdcError> {
    q.values(name)
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                PdcError::bad_request(format!("Value [{v}] of {name} is not an integer"))
            })
        })
        .collect()
}

impl Resource for Rpms {
    fn prefix(&self) -> &'static str {
        "rpms"
    }
    fn filters(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "version",
            "epoch",
            "release",
            "arch",
            "srpm_name",
            "srpm_nevra",
            "filename",
            "compose",
            "linked_release",
            "built_for_release",
            "srpm_commit_hash",
            "srpm_commit_branch",
            "has_no_deps",
        ]
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "version",
            "epoch",
            "release",
            "arch",
            "srpm_name",
            "filename",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "id",
            "name",
            "version",
            "epoch",
            "release",
            "arch",
            "srpm_name",
            "srpm_nevra",
            "filename",
            "linked_releases",
            "linked_composes",
            "dependencies",
            "built_for_release",
            "srpm_commit_hash",
            "srpm_commit_branch",
        ]
    }
    fn writes(&self) -> Writes {
        Writes::NO_DELETE
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let f = RpmFilter {
            ids: ints(q, "id")?,
            nevras: Vec::new(),
            names: q.values("name").to_vec(),
            versions: q.values("version").to_vec(),
            epochs: ints(q, "epoch")?,
            releases: q.values("release").to_vec(),
            arches: q.values("arch").to_vec(),
            srpm_names: q.values("srpm_name").to_vec(),
            srpm_nevras: q.values("srpm_nevra").to_vec(),
            filenames: q.values("filename").to_vec(),
            composes: q.values("compose").to_vec(),
            linked_releases: q.values("linked_release").to_vec(),
            built_for_releases: q.values("built_for_release").to_vec(),
            srpm_commit_hashes: q.values("srpm_commit_hash").to_vec(),
            srpm_commit_branches: q.values("srpm_commit_branch").to_vec(),
            has_no_deps: q.boolean("has_no_deps")?,
        };
        let (count, items) = packages::list_rpms(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn history_class(&self) -> Option<&'static str> {
        Some("rpm")
    }
    fn get(&self, conn: &mut dyn Conn, key: &str) -> Result<Option<Value>, PdcError> {
        let Some(id) = int_key(key) else {
            return Ok(None);
        };
        Ok(packages::get_rpm(conn, id)?.as_ref().map(to_json))
    }

    fn create(
        &self,
        conn: &mut dyn Conn,
        body: &Map<String, Value>,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let input = rpm_input(body, None)?;
        Ok(to_json(&packages::save_rpm(conn, None, &input, changes)?))
    }

    fn update(
        &self,
        conn: &mut dyn Conn,
        key: &str,
        body: &Map<String, Value>,
        partial: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Value, PdcError> {
        let id = int_key(key).ok_or_else(PdcError::not_found)?;
        let old = packages::get_rpm(conn, id)?.ok_or_else(PdcError::not_found)?;
        let input = rpm_input(body, partial.then_some(&old))?;
        // PUT erases the dependencies it does not name, as PDC does.
        let input = if !partial && !body.contains_key("dependencies") {
            RpmInput {
                dependencies: BTreeMap::new(),
                ..input
            }
        } else {
            input
        };
        Ok(to_json(&packages::save_rpm(
            conn,
            Some(&old),
            &input,
            changes,
        )?))
    }
}

/// An rpm from a POST, PUT or PATCH body; `old` fills what a PATCH leaves out.
pub fn rpm_input(
    body: &Map<String, Value>,
    old: Option<&packages::Rpm>,
) -> Result<RpmInput, PdcError> {
    check_body(
        body,
        &[
            "name",
            "version",
            "epoch",
            "release",
            "arch",
            "srpm_name",
            "srpm_nevra",
            "filename",
            "linked_releases",
            "dependencies",
            "built_for_release",
            "srpm_commit_hash",
            "srpm_commit_branch",
        ],
        &["id", "linked_composes"],
    )?;
    let req = |field: &str, old: Option<String>| -> Result<String, PdcError> {
        match (text(body, field)?, old) {
            (Some(v), _) => Ok(v),
            (None, Some(v)) => Ok(v),
            (None, None) => Err(PdcError::required(field)),
        }
    };
    let epoch = match body.get("epoch") {
        None | Some(Value::Null) => old.map_or(0, |o| o.epoch),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|e| *e >= 0)
            .ok_or_else(|| PdcError::field("epoch", "A valid integer is required."))?,
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| PdcError::field("epoch", "A valid integer is required."))?,
        Some(_) => return Err(PdcError::field("epoch", "A valid integer is required.")),
    };
    let dependencies = match body.get("dependencies") {
        None | Some(Value::Null) => old.map(|o| o.dependencies.clone()).unwrap_or_default(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            PdcError::field(
                "dependencies",
                "Expected {\"requires\": [\"name\", \"name >= version\"], ...}.",
            )
        })?,
    };
    let opt = |field: &str, old: Option<Option<String>>| -> Result<Option<String>, PdcError> {
        if body.contains_key(field) {
            text(body, field)
        } else {
            Ok(old.flatten())
        }
    };
    Ok(RpmInput {
        name: req("name", old.map(|o| o.name.clone()))?,
        epoch,
        version: req("version", old.map(|o| o.version.clone()))?,
        release: req("release", old.map(|o| o.release.clone()))?,
        arch: req("arch", old.map(|o| o.arch.clone()))?,
        srpm_name: req("srpm_name", old.map(|o| o.srpm_name.clone()))?,
        srpm_nevra: opt("srpm_nevra", old.map(|o| o.srpm_nevra.clone()))?,
        filename: opt("filename", old.map(|o| Some(o.filename.clone())))?,
        linked_releases: match string_list(body, "linked_releases")? {
            Some(l) => l,
            None => old.map(|o| o.linked_releases.clone()).unwrap_or_default(),
        },
        dependencies,
        built_for_release: opt(
            "built_for_release",
            old.map(|o| o.built_for_release.clone()),
        )?,
        srpm_commit_hash: opt("srpm_commit_hash", old.map(|o| o.srpm_commit_hash.clone()))?,
        srpm_commit_branch: opt(
            "srpm_commit_branch",
            old.map(|o| o.srpm_commit_branch.clone()),
        )?,
    })
}

// ---------------------------------------------------------------------------

pub struct Images;

const IMAGE_FIELDS: [&str; 16] = [
    "file_name",
    "image_format",
    "image_type",
    "disc_number",
    "disc_count",
    "arch",
    "mtime",
    "size",
    "bootable",
    "implant_md5",
    "volume_id",
    "md5",
    "sha1",
    "sha256",
    "composes",
    "subvariant",
];
const IMAGE_FILTERS: [&str; 16] = {
    let mut f = IMAGE_FIELDS;
    f[14] = "compose";
    f
};

impl Resource for Images {
    fn prefix(&self) -> &'static str {
        "images"
    }
    /// Every field filters, `composes` as `compose`.
    fn filters(&self) -> &'static [&'static str] {
        &IMAGE_FILTERS
    }
    fn ordering(&self) -> &'static [&'static str] {
        &[
            "id",
            "file_name",
            "image_format",
            "image_type",
            "arch",
            "size",
            "mtime",
        ]
    }
    fn fields(&self) -> &'static [&'static str] {
        &IMAGE_FIELDS
    }
    fn writes(&self) -> Writes {
        Writes::NONE
    }

    fn list(&self, conn: &mut dyn Conn, q: &ListQuery) -> Result<(i64, Vec<Value>), PdcError> {
        let mut f = ImageFilter {
            bootable: q.boolean("bootable")?,
            composes: q.values("compose").to_vec(),
            ..Default::default()
        };
        for field in packages::IMAGE_TEXT_FIELDS {
            f.text.push((field, q.values(field).to_vec()));
        }
        for field in packages::IMAGE_INT_FIELDS {
            f.ints.push((field, ints(q, field)?));
        }
        let (count, items) = packages::list_images(conn, &f, &q.ordering, q.page)?;
        Ok((count, items.iter().map(to_json).collect()))
    }

    fn get(&self, _conn: &mut dyn Conn, _key: &str) -> Result<Option<Value>, PdcError> {
        Ok(None)
    }
}
