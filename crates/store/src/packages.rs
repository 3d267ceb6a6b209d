//! Rpms and images, the artifacts composes are made of (PDC's `rpms/` and
//! `images/`). Both are global: one row per NEVRA, one per (file name,
//! sha256); composes link them. Rpms may also be created directly (builds
//! that no compose has yet, as pdc-updater posts them).

use crate::changes::Change;
use crate::db::{BulkInsert, ColType, Conn, Row, Value};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::ModelError;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rpm {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub epoch: i64,
    pub release: String,
    pub arch: String,
    pub srpm_name: String,
    pub srpm_nevra: Option<String>,
    pub filename: String,
    pub linked_releases: Vec<String>,
    /// Composes (not deleted) that hold it.
    pub linked_composes: Vec<String>,
    pub dependencies: BTreeMap<String, Vec<String>>,
    pub built_for_release: Option<String>,
    pub srpm_commit_hash: Option<String>,
    pub srpm_commit_branch: Option<String>,
}

impl Rpm {
    /// `name-epoch:version-release.arch`, the rpms' natural key.
    pub fn nevra(&self) -> String {
        format!(
            "{}-{}:{}-{}.{}",
            self.name, self.epoch, self.version, self.release, self.arch
        )
    }
}

/// The kinds of dependency PDC keeps per rpm.
pub const DEPENDENCY_KINDS: [&str; 6] = [
    "provides",
    "requires",
    "obsoletes",
    "conflicts",
    "recommends",
    "suggests",
];

#[derive(Debug, Clone, Default)]
pub struct RpmFilter {
    pub ids: Vec<i64>,
    /// `name-epoch:version-release.arch`.
    pub nevras: Vec<String>,
    /// Regular expressions, any of which the name matches.
    pub names: Vec<String>,
    pub versions: Vec<String>,
    pub epochs: Vec<i64>,
    pub releases: Vec<String>,
    pub arches: Vec<String>,
    pub srpm_names: Vec<String>,
    /// `null` selects source rpms.
    pub srpm_nevras: Vec<String>,
    pub filenames: Vec<String>,
    pub composes: Vec<String>,
    pub linked_releases: Vec<String>,
    pub built_for_releases: Vec<String>,
    pub srpm_commit_hashes: Vec<String>,
    pub srpm_commit_branches: Vec<String>,
    pub has_no_deps: Option<bool>,
}

const RPM_SELECT: &str = "r.id, r.name, r.version, r.epoch, r.release, r.arch, r.srpm_name, r.srpm_nevra, \
     r.filename, r.dependencies, b.release_id, r.srpm_commit_hash, r.srpm_commit_branch";

pub fn list_rpms(
    conn: &mut dyn Conn,
    f: &RpmFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Rpm>)> {
    let mut l = Listing::new("rpms r LEFT JOIN releases b ON b.id = r.built_for_release_id");
    if !f.ids.is_empty() {
        let p = l.sql.bind(f.ids.clone());
        l.condition(format!("r.id = ANY({p})"));
    }
    if !f.names.is_empty() {
        let mut alternatives = Vec::new();
        for n in &f.names {
            regex_lite::Regex::new(n).map_err(|e| {
                StoreError::Invalid(ModelError::new(
                    "name",
                    format!("Invalid regular expression {n}: {e}"),
                ))
            })?;
            let p = l.sql.bind(n.clone());
            alternatives.push(format!("r.name ~ {p}"));
        }
        l.condition(format!("({})", alternatives.join(" OR ")));
    }
    l.any_of("r.nevra", &f.nevras)
        .any_of("r.version", &f.versions)
        .any_of("r.release", &f.releases)
        .any_of("r.arch", &f.arches)
        .any_of("r.srpm_name", &f.srpm_names)
        .nullable("r.srpm_nevra", &f.srpm_nevras)
        .any_of("r.filename", &f.filenames)
        .any_of("r.srpm_commit_hash", &f.srpm_commit_hashes)
        .any_of("r.srpm_commit_branch", &f.srpm_commit_branches)
        .any_of("b.release_id", &f.built_for_releases)
        .boolean("r.dependencies = '{}'", f.has_no_deps);
    if !f.epochs.is_empty() {
        let p = l.sql.bind(f.epochs.clone());
        l.condition(format!("r.epoch = ANY({p})"));
    }
    if !f.composes.is_empty() {
        let p = l.sql.bind(f.composes.clone());
        l.condition(format!(
            "r.id IN (SELECT cr.rpm_id FROM composes c JOIN compose_trees t ON t.compose_id = c.id \
             JOIN compose_rpms cr ON cr.tree_id = t.id WHERE c.compose_id = ANY({p}))"
        ));
    }
    if !f.linked_releases.is_empty() {
        let p = l.sql.bind(f.linked_releases.clone());
        l.condition(format!(
            "r.id IN (SELECT lr.rpm_id FROM rpm_linked_releases lr JOIN releases rel ON rel.id = lr.release_id \
             WHERE rel.release_id = ANY({p}))"
        ));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "r.id"),
            ("name", "r.name"),
            ("version", "r.version"),
            ("epoch", "r.epoch"),
            ("release", "r.release"),
            ("arch", "r.arch"),
            ("srpm_name", "r.srpm_name"),
            ("filename", "r.filename"),
        ],
        "r.id",
    );
    let (count, rows) = l.run(conn, RPM_SELECT, &order, page)?;
    Ok((count, read_rpms(conn, rows)?))
}

fn read_rpms(conn: &mut dyn Conn, rows: Vec<Row>) -> StoreResult<Vec<Rpm>> {
    let mut rpms = rows
        .into_iter()
        .map(|mut r| {
            Ok(Rpm {
                id: r.int(0)?,
                name: r.text(1)?,
                version: r.text(2)?,
                epoch: r.int(3)?,
                release: r.text(4)?,
                arch: r.text(5)?,
                srpm_name: r.text(6)?,
                srpm_nevra: r.opt_text(7)?,
                filename: r.text(8)?,
                dependencies: serde_json::from_str(&r.text(9)?).unwrap_or_default(),
                built_for_release: r.opt_text(10)?,
                srpm_commit_hash: r.opt_text(11)?,
                srpm_commit_branch: r.opt_text(12)?,
                linked_releases: Vec::new(),
                linked_composes: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if rpms.is_empty() {
        return Ok(rpms);
    }
    let ids: Vec<i64> = rpms.iter().map(|r| r.id).collect();
    let mut releases: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT lr.rpm_id, rel.release_id FROM rpm_linked_releases lr JOIN releases rel ON rel.id = lr.release_id
          WHERE lr.rpm_id = ANY($1) ORDER BY rel.sort_key",
        &[Value::IntList(ids.clone())],
    )? {
        releases.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    let mut composes: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT DISTINCT cr.rpm_id, c.compose_id, c.sort_key FROM compose_rpms cr JOIN compose_trees t ON t.id = cr.tree_id
           JOIN composes c ON c.id = t.compose_id WHERE cr.rpm_id = ANY($1) AND c.deleted = FALSE ORDER BY c.sort_key",
        &[Value::IntList(ids)],
    )? {
        composes.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    for rpm in &mut rpms {
        rpm.linked_releases = releases.remove(&rpm.id).unwrap_or_default();
        rpm.linked_composes = composes.remove(&rpm.id).unwrap_or_default();
    }
    Ok(rpms)
}

pub fn get_rpm(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<Rpm>> {
    let f = RpmFilter {
        ids: vec![id],
        ..Default::default()
    };
    Ok(list_rpms(conn, &f, &[], None)?.1.pop())
}

/// The rpm of that NEVRA (`name-epoch:version-release.arch`), if any.
pub fn rpm_by_nevra(conn: &mut dyn Conn, nevra: &str) -> StoreResult<Option<Rpm>> {
    let f = RpmFilter {
        nevras: vec![nevra.to_string()],
        ..Default::default()
    };
    Ok(list_rpms(conn, &f, &[], None)?.1.pop())
}

/// An rpm's writable fields, as PDC's `POST rpms/` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RpmInput {
    pub name: String,
    pub epoch: i64,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub srpm_name: String,
    pub srpm_nevra: Option<String>,
    pub filename: Option<String>,
    pub linked_releases: Vec<String>,
    pub dependencies: BTreeMap<String, Vec<String>>,
    pub built_for_release: Option<String>,
    pub srpm_commit_hash: Option<String>,
    pub srpm_commit_branch: Option<String>,
}

impl RpmInput {
    /// The given file name, or `name-version-release.arch.rpm`.
    pub fn file_name(&self) -> String {
        self.filename.clone().unwrap_or_else(|| {
            format!(
                "{}-{}-{}.{}.rpm",
                self.name, self.version, self.release, self.arch
            )
        })
    }

    pub fn nevra(&self) -> String {
        format!(
            "{}-{}:{}-{}.{}",
            self.name, self.epoch, self.version, self.release, self.arch
        )
    }
}

/// Creates or replaces an rpm. The rules PDC enforces: `srpm_nevra` is
/// empty exactly for source rpms; the NEVRA is unique.
pub fn save_rpm(
    conn: &mut dyn Conn,
    old: Option<&Rpm>,
    input: &RpmInput,
    changes: &mut Vec<Change>,
) -> StoreResult<Rpm> {
    let invalid = |field: &str, m: String| StoreError::Invalid(ModelError::new(field, m));
    let is_source = input.arch == "src" || input.arch == "nosrc";
    match (&input.srpm_nevra, is_source) {
        (Some(_), true) => {
            return Err(invalid(
                "srpm_nevra",
                "srpm_nevra must be empty if and only if arch is src.".into(),
            ));
        }
        (None, false) => {
            return Err(invalid(
                "srpm_nevra",
                "srpm_nevra must be empty if and only if arch is src.".into(),
            ));
        }
        _ => {}
    }
    for kind in input.dependencies.keys() {
        if !DEPENDENCY_KINDS.contains(&kind.as_str()) {
            return Err(invalid(
                "dependencies",
                format!(
                    "Unknown dependency type {kind}: use {}.",
                    DEPENDENCY_KINDS.join(", ")
                ),
            ));
        }
    }
    let nevra = input.nevra();
    let clash = conn.query_opt(
        "SELECT id FROM rpms WHERE nevra = $1",
        &[nevra.clone().into()],
    )?;
    if let Some(r) = clash
        && old.is_none_or(|o| o.id != r.int(0).unwrap_or(-1))
    {
        return Err(StoreError::Invalid(ModelError::new(
            "detail",
            "The fields name, epoch, version, release, arch must make a unique set.",
        )));
    }
    let built_for = match &input.built_for_release {
        Some(r) => Some(release_pk(conn, "built_for_release", r)?),
        None => None,
    };
    let mut linked = Vec::new();
    for r in &input.linked_releases {
        linked.push(release_pk(conn, "linked_releases", r)?);
    }
    let filename = input.file_name();
    let id = crate::db::save_row(
        conn,
        "rpms",
        &[
            "nevra",
            "name",
            "epoch",
            "version",
            "release",
            "arch",
            "srpm_name",
            "srpm_nevra",
            "filename",
            "built_for_release_id",
            "srpm_commit_hash",
            "srpm_commit_branch",
            "dependencies",
        ],
        vec![
            nevra.into(),
            input.name.clone().into(),
            input.epoch.into(),
            input.version.clone().into(),
            input.release.clone().into(),
            input.arch.clone().into(),
            input.srpm_name.clone().into(),
            input.srpm_nevra.clone().into(),
            filename.into(),
            built_for.into(),
            input.srpm_commit_hash.clone().into(),
            input.srpm_commit_branch.clone().into(),
            serde_json::to_string(&input.dependencies)
                .expect("serializes")
                .into(),
        ],
        old.map(|o| o.id),
    )?;
    conn.execute(
        "DELETE FROM rpm_linked_releases WHERE rpm_id = $1",
        &[id.into()],
    )?;
    for r in linked {
        conn.execute(
            "INSERT INTO rpm_linked_releases (rpm_id, release_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[id.into(), r.into()],
        )?;
    }
    let saved =
        get_rpm(conn, id)?.ok_or_else(|| StoreError::Internal("saved rpm vanished".into()))?;
    record(changes, "rpm", id, old, Some(&saved));
    Ok(saved)
}

/// Links many rpms to releases in a handful of statements whatever their
/// number (a koji import's path; [`save_rpm`] is one rpm's): each input
/// names its releases in `linked_releases`; the rpms not there are created
/// (under the rules [`save_rpm`] enforces), the links not there added.
/// Answers the NEVRAs that got a new link.
pub fn link_many(
    conn: &mut dyn Conn,
    inputs: &[RpmInput],
    changes: &mut Vec<Change>,
) -> StoreResult<HashSet<String>> {
    let invalid = |field: &str, m: String| StoreError::Invalid(ModelError::new(field, m));
    // One input per NEVRA, its releases merged.
    let mut wanted: BTreeMap<String, RpmInput> = BTreeMap::new();
    for i in inputs {
        let is_source = i.arch == "src" || i.arch == "nosrc";
        if i.srpm_nevra.is_some() == is_source {
            return Err(invalid(
                "srpm_nevra",
                format!(
                    "{}: srpm_nevra must be empty if and only if arch is src.",
                    i.nevra()
                ),
            ));
        }
        match wanted.get_mut(&i.nevra()) {
            Some(w) => {
                for r in &i.linked_releases {
                    if !w.linked_releases.contains(r) {
                        w.linked_releases.push(r.clone());
                    }
                }
            }
            None => {
                wanted.insert(i.nevra(), i.clone());
            }
        }
    }
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    let mut release_ids: HashMap<String, i64> = HashMap::new();
    for w in wanted.values() {
        for r in &w.linked_releases {
            if !release_ids.contains_key(r) {
                release_ids.insert(r.clone(), release_pk(conn, "linked_releases", r)?);
            }
        }
    }
    let nevras: Vec<String> = wanted.keys().cloned().collect();
    // Lookups by lists are planned for their values: the tables grow from
    // nothing during an import, and a generic plan made early scans them.
    let mut ids: HashMap<String, i64> = HashMap::new();
    for mut r in conn.query_uncached(
        "SELECT id, nevra FROM rpms WHERE nevra = ANY($1)",
        &[Value::TextList(nevras.clone())],
    )? {
        ids.insert(r.text(1)?, r.int(0)?);
    }
    let existing: Vec<i64> = ids.values().copied().collect();
    let missing: Vec<&RpmInput> = wanted
        .values()
        .filter(|w| !ids.contains_key(&w.nevra()))
        .collect();
    if !missing.is_empty() {
        let new_ids = conn.next_ids("rpms", missing.len())?;
        let rows = missing
            .iter()
            .zip(&new_ids)
            .map(|(m, id)| {
                ids.insert(m.nevra(), *id);
                vec![
                    (*id).into(),
                    m.nevra().into(),
                    m.name.clone().into(),
                    m.epoch.into(),
                    m.version.clone().into(),
                    m.release.clone().into(),
                    m.arch.clone().into(),
                    m.srpm_name.clone().into(),
                    m.srpm_nevra.clone().into(),
                    m.file_name().into(),
                ]
            })
            .collect();
        conn.insert_rows(BulkInsert {
            table: "rpms",
            columns: &[
                ("id", ColType::Int),
                ("nevra", ColType::Text),
                ("name", ColType::Text),
                ("epoch", ColType::Int),
                ("version", ColType::Text),
                ("release", ColType::Text),
                ("arch", ColType::Text),
                ("srpm_name", ColType::Text),
                ("srpm_nevra", ColType::Text),
                ("filename", ColType::Text),
            ],
            rows,
            skip_conflicts: false,
        })?;
    }
    let mut linked: HashSet<(i64, i64)> = HashSet::new();
    if !existing.is_empty() {
        for r in conn.query_uncached(
            "SELECT rpm_id, release_id FROM rpm_linked_releases WHERE rpm_id = ANY($1)",
            &[Value::IntList(existing.clone())],
        )? {
            linked.insert((r.int(0)?, r.int(1)?));
        }
    }
    let was_there: HashSet<i64> = existing.iter().copied().collect();
    let mut new_links = Vec::new();
    let mut newly = HashSet::new();
    // The rpms that were there and get a link: their old state, for history.
    let mut touched = Vec::new();
    for w in wanted.values() {
        let id = ids[&w.nevra()];
        for r in &w.linked_releases {
            let pair = (id, release_ids[r]);
            if linked.insert(pair) {
                new_links.push(vec![pair.0.into(), pair.1.into()]);
                if newly.insert(w.nevra()) && was_there.contains(&id) {
                    touched.push(id);
                }
            }
        }
    }
    let before = rpms_by_id(conn, &touched)?;
    if !new_links.is_empty() {
        conn.insert_rows(BulkInsert {
            table: "rpm_linked_releases",
            columns: &[("rpm_id", ColType::Int), ("release_id", ColType::Int)],
            rows: new_links,
            skip_conflicts: true,
        })?;
    }
    let created: Vec<i64> = missing.iter().map(|m| ids[&m.nevra()]).collect();
    let mut after = rpms_by_id(conn, &[touched.clone(), created.clone()].concat())?;
    for id in touched.iter().chain(&created) {
        if let Some(new) = after.remove(id) {
            record(changes, "rpm", *id, before.get(id), Some(&new));
        }
    }
    Ok(newly)
}

fn rpms_by_id(conn: &mut dyn Conn, ids: &[i64]) -> StoreResult<HashMap<i64, Rpm>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let f = RpmFilter {
        ids: ids.to_vec(),
        ..Default::default()
    };
    Ok(list_rpms(conn, &f, &[], None)?
        .1
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

fn release_pk(conn: &mut dyn Conn, field: &str, release: &str) -> StoreResult<i64> {
    crate::releases::id_of(conn, "releases", "release_id", release)?.ok_or_else(|| {
        StoreError::Invalid(ModelError::new(
            field,
            format!("Object with release_id={release} does not exist."),
        ))
    })
}

// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    #[serde(skip)]
    pub id: i64,
    pub file_name: String,
    pub image_format: String,
    pub image_type: String,
    pub disc_number: i64,
    pub disc_count: i64,
    pub arch: String,
    pub mtime: i64,
    pub size: i64,
    pub bootable: bool,
    pub implant_md5: Option<String>,
    pub volume_id: Option<String>,
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: String,
    pub composes: Vec<String>,
    pub subvariant: String,
}

/// Every filter of `images/`: field name to the values any of which match.
#[derive(Debug, Clone, Default)]
pub struct ImageFilter {
    pub text: Vec<(&'static str, Vec<String>)>,
    pub ints: Vec<(&'static str, Vec<i64>)>,
    pub bootable: Option<bool>,
    pub composes: Vec<String>,
}

/// The text and integer columns `images/` filters on.
pub const IMAGE_TEXT_FIELDS: [&str; 10] = [
    "file_name",
    "image_format",
    "image_type",
    "arch",
    "implant_md5",
    "volume_id",
    "md5",
    "sha1",
    "sha256",
    "subvariant",
];
pub const IMAGE_INT_FIELDS: [&str; 4] = ["disc_number", "disc_count", "mtime", "size"];

pub fn list_images(
    conn: &mut dyn Conn,
    f: &ImageFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Image>)> {
    let mut l = Listing::new("images i");
    for (field, values) in &f.text {
        if IMAGE_TEXT_FIELDS.contains(field) {
            l.any_of(&format!("i.{field}"), values);
        }
    }
    for (field, values) in &f.ints {
        if IMAGE_INT_FIELDS.contains(field) && !values.is_empty() {
            let p = l.sql.bind(values.clone());
            l.condition(format!("i.{field} = ANY({p})"));
        }
    }
    l.boolean("i.bootable", f.bootable);
    if !f.composes.is_empty() {
        let p = l.sql.bind(f.composes.clone());
        l.condition(format!(
            "i.id IN (SELECT ci.image_id FROM composes c JOIN compose_trees t ON t.compose_id = c.id \
             JOIN compose_images ci ON ci.tree_id = t.id WHERE c.compose_id = ANY({p}))"
        ));
    }
    let columns: Vec<(&str, String)> = IMAGE_TEXT_FIELDS
        .iter()
        .chain(IMAGE_INT_FIELDS.iter())
        .map(|f| (*f, format!("i.{f}")))
        .chain([("id", "i.id".to_string())])
        .collect();
    let columns: Vec<(&str, &str)> = columns.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let order = order_by(ordering, &columns, "i.id");
    let (count, rows) = l.run(
        conn,
        "i.id, i.file_name, i.image_format, i.image_type, i.disc_number, i.disc_count, i.arch, i.mtime, i.size, \
         i.bootable, i.implant_md5, i.volume_id, i.md5, i.sha1, i.sha256, i.subvariant",
        &order,
        page,
    )?;
    let mut images = rows
        .into_iter()
        .map(|mut r| {
            Ok(Image {
                id: r.int(0)?,
                file_name: r.text(1)?,
                image_format: r.text(2)?,
                image_type: r.text(3)?,
                disc_number: r.int(4)?,
                disc_count: r.int(5)?,
                arch: r.text(6)?,
                mtime: r.int(7)?,
                size: r.int(8)?,
                bootable: r.bool(9)?,
                implant_md5: r.opt_text(10)?,
                volume_id: r.opt_text(11)?,
                md5: r.opt_text(12)?,
                sha1: r.opt_text(13)?,
                sha256: r.text(14)?,
                subvariant: r.text(15)?,
                composes: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if !images.is_empty() {
        let ids: Vec<i64> = images.iter().map(|i| i.id).collect();
        let mut composes: HashMap<i64, Vec<String>> = HashMap::new();
        for mut r in conn.query(
            "SELECT DISTINCT ci.image_id, c.compose_id, c.sort_key FROM compose_images ci JOIN compose_trees t ON t.id = ci.tree_id
               JOIN composes c ON c.id = t.compose_id WHERE ci.image_id = ANY($1) ORDER BY c.sort_key",
            &[Value::IntList(ids)],
        )? {
            composes.entry(r.int(0)?).or_default().push(r.text(1)?);
        }
        for i in &mut images {
            i.composes = composes.remove(&i.id).unwrap_or_default();
        }
    }
    Ok((count, images))
}

// ---------------------------------------------------------------------------

/// Variant to arch to binary rpm name to the arches it ships for.
pub type RpmMapping = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<String>>>>;

/// PDC's rpm mapping of one source package in one compose: variant to arch
/// to binary rpm name to the arches it is shipped for, limited to the trees
/// the compose's release has.
pub fn rpm_mapping(conn: &mut dyn Conn, compose: i64, package: &str) -> StoreResult<RpmMapping> {
    let rows = conn.query(
        "SELECT DISTINCT v.uid, t.arch, r.name, r.arch
           FROM compose_trees t JOIN compose_variants v ON v.id = t.variant_id
           JOIN compose_rpms cr ON cr.tree_id = t.id JOIN rpms r ON r.id = cr.rpm_id
           JOIN composes c ON c.id = t.compose_id
           JOIN release_variants rv ON rv.release_id = c.release_id AND rv.variant_uid = v.uid
           JOIN release_variant_arches rva ON rva.variant_id = rv.id
           JOIN arches a ON a.id = rva.arch_id AND a.name = t.arch
          WHERE t.compose_id = $1 AND r.srpm_name = $2
          ORDER BY 1, 2, 3, 4",
        &[compose.into(), package.into()],
    )?;
    let mut out = RpmMapping::new();
    for mut r in rows {
        out.entry(r.text(0)?)
            .or_default()
            .entry(r.text(1)?)
            .or_default()
            .entry(r.text(2)?)
            .or_default()
            .push(r.text(3)?);
    }
    Ok(out)
}

/// The source package of each binary rpm name the store knows.
pub fn srpm_names(conn: &mut dyn Conn, names: &[String]) -> StoreResult<HashMap<String, String>> {
    if names.is_empty() {
        return Ok(Default::default());
    }
    conn.query(
        "SELECT DISTINCT name, srpm_name FROM rpms WHERE name = ANY($1)",
        &[names.to_vec().into()],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}
