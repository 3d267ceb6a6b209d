//! Composes: what release engineering produced, and when (PDC's `composes/`,
//! its trees and their published locations), with the reads built on them:
//! a compose's rpms and images as productmd manifests, the rows a diff of
//! two composes needs, an image's size across composes, and which composes
//! hold an rpm. Importing lives in [`crate::compose_import`].
//!
//! Lists are one count, one page query and one query per kind of child for
//! the whole page; a compose's counts and signing keys are kept on its row at
//! import, so a list reads no rpm rows.

use crate::changes::Change;
use crate::compose_import::TreeLocation;
use crate::db::{Conn, Row, Sql, Value};
use crate::error::{StoreError, StoreResult};
use crate::listing::{Listing, order_by};
use crate::products::record;
use almanac_model::ModelError;
use almanac_model::Timestamp;
use almanac_model::productmd::{ImageEntry, Nevra, RpmEntry};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// PDC's acceptance testing states of a compose.
pub const ACCEPTANCE_STATES: [&str; 3] = ["untested", "passed", "failed"];
/// PDC's states of a tree's (or an image's) release testing.
pub const RTT_STATES: [&str; 3] = ["untested", "passed", "failed"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compose {
    #[serde(skip)]
    pub pk: i64,
    pub compose_id: String,
    pub compose_date: String,
    pub compose_type: String,
    pub compose_respin: i64,
    pub release: String,
    pub compose_label: Option<String>,
    pub deleted: bool,
    /// Every key an rpm of the compose is signed with; `null` for unsigned.
    pub sigkeys: Vec<Option<String>>,
    pub acceptance_testing: String,
    pub linked_releases: Vec<String>,
    /// Variant uid to arch to release testing state.
    pub rtt_tested_architectures: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(skip)]
    pub rpm_count: i64,
    #[serde(skip)]
    pub image_count: i64,
    #[serde(skip)]
    pub imported_at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct ComposeFilter {
    pub releases: Vec<String>,
    pub compose_ids: Vec<String>,
    pub compose_types: Vec<String>,
    pub acceptance_testing: Vec<String>,
    pub deleted: Option<bool>,
    pub compose_dates: Vec<String>,
    pub compose_respins: Vec<String>,
    pub compose_labels: Vec<String>,
    /// Composes holding an rpm of any of these `name-version-release`.
    pub rpm_nvrs: Vec<(String, String, String)>,
    /// ... or of these `name-version-release.arch`.
    pub rpm_nvras: Vec<(String, String, String, String)>,
    /// Composes holding an rpm matching all of these.
    pub srpm_name: Option<String>,
    pub rpm_name: Option<String>,
    pub rpm_version: Option<String>,
    pub rpm_release: Option<String>,
    pub rpm_arch: Option<String>,
    /// Dates `YYYY-MM-DD`, both ends included.
    pub date_after: Option<String>,
    pub date_before: Option<String>,
}

const SELECT: &str = "c.id, c.compose_id, c.compose_date, c.compose_type, c.compose_respin, rel.release_id, \
     c.compose_label, c.deleted, c.sigkeys, c.acceptance_testing, c.rpm_count, c.image_count, c.imported_at";

const RPM_IN_COMPOSE: &str = "c.id IN (SELECT t.compose_id FROM rpms r JOIN compose_rpms cr ON cr.rpm_id = r.id \
     JOIN compose_trees t ON t.id = cr.tree_id WHERE ";

pub fn list_composes(
    conn: &mut dyn Conn,
    f: &ComposeFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<Compose>)> {
    let mut l = Listing::new("composes c JOIN releases rel ON rel.id = c.release_id");
    l.any_of("rel.release_id", &f.releases)
        .any_of("c.compose_id", &f.compose_ids)
        .any_of_ci("c.compose_type", &f.compose_types)
        .any_of_ci("c.acceptance_testing", &f.acceptance_testing)
        .boolean("c.deleted", f.deleted)
        .any_of("c.compose_date", &f.compose_dates)
        .any_of("c.compose_label", &f.compose_labels);
    if !f.compose_respins.is_empty() {
        let respins = int_values("compose_respin", &f.compose_respins)?;
        let p = l.sql.bind(respins);
        l.condition(format!("c.compose_respin = ANY({p})"));
    }
    if let Some(d) = &f.date_after {
        let p = l.sql.bind(d.clone());
        l.condition(format!("c.compose_date >= {p}"));
    }
    if let Some(d) = &f.date_before {
        let p = l.sql.bind(d.clone());
        l.condition(format!("c.compose_date <= {p}"));
    }
    let mut alternatives = Vec::new();
    for (n, v, r) in &f.rpm_nvrs {
        let (pn, pv, pr) = (l.sql.bind(n), l.sql.bind(v), l.sql.bind(r));
        alternatives.push(format!(
            "(r.name = {pn} AND r.version = {pv} AND r.release = {pr})"
        ));
    }
    for (n, v, r, a) in &f.rpm_nvras {
        let (pn, pv, pr, pa) = (l.sql.bind(n), l.sql.bind(v), l.sql.bind(r), l.sql.bind(a));
        alternatives.push(format!(
            "(r.name = {pn} AND r.version = {pv} AND r.release = {pr} AND r.arch = {pa})"
        ));
    }
    if !alternatives.is_empty() {
        l.condition(format!("{RPM_IN_COMPOSE}{})", alternatives.join(" OR ")));
    }
    let mut all = Vec::new();
    for (column, value) in [
        ("r.srpm_name", &f.srpm_name),
        ("r.name", &f.rpm_name),
        ("r.version", &f.rpm_version),
        ("r.release", &f.rpm_release),
        ("r.arch", &f.rpm_arch),
    ] {
        if let Some(v) = value {
            let p = l.sql.bind(v.clone());
            all.push(format!("{column} = {p}"));
        }
    }
    if !all.is_empty() {
        l.condition(format!("{RPM_IN_COMPOSE}{})", all.join(" AND ")));
    }
    let order = order_by(
        ordering,
        &[
            ("id", "c.id"),
            ("compose_id", "c.compose_id"),
            ("compose_date", "c.compose_date"),
            ("compose_type", "c.compose_type"),
            ("compose_respin", "c.compose_respin"),
            ("compose_label", "c.compose_label"),
            ("release", "rel.sort_key"),
            ("acceptance_testing", "c.acceptance_testing"),
            ("deleted", "c.deleted"),
        ],
        "rel.sort_key, c.sort_key, c.id",
    );
    let (count, rows) = l.run(conn, SELECT, &order, page)?;
    Ok((count, read_composes(conn, rows)?))
}

fn int_values(field: &str, values: &[String]) -> StoreResult<Vec<i64>> {
    values
        .iter()
        .map(|v| {
            v.parse().map_err(|_| {
                StoreError::Invalid(ModelError::new(
                    field,
                    format!("Value [{v}] of {field} is not an integer"),
                ))
            })
        })
        .collect()
}

fn read_composes(conn: &mut dyn Conn, rows: Vec<Row>) -> StoreResult<Vec<Compose>> {
    let mut composes = rows
        .into_iter()
        .map(|mut r| {
            Ok(Compose {
                pk: r.int(0)?,
                compose_id: r.text(1)?,
                compose_date: r.text(2)?,
                compose_type: r.text(3)?,
                compose_respin: r.int(4)?,
                release: r.text(5)?,
                compose_label: r.opt_text(6)?,
                deleted: r.bool(7)?,
                sigkeys: serde_json::from_str(&r.text(8)?).unwrap_or_default(),
                acceptance_testing: r.text(9)?,
                rpm_count: r.int(10)?,
                image_count: r.int(11)?,
                imported_at: Timestamp::from_micros(r.int(12)?),
                linked_releases: Vec::new(),
                rtt_tested_architectures: BTreeMap::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if composes.is_empty() {
        return Ok(composes);
    }
    let ids: Vec<i64> = composes.iter().map(|c| c.pk).collect();
    let mut linked: HashMap<i64, Vec<String>> = HashMap::new();
    for mut r in conn.query(
        "SELECT l.compose_id, rel.release_id FROM compose_linked_releases l JOIN releases rel ON rel.id = l.release_id
          WHERE l.compose_id = ANY($1) ORDER BY rel.sort_key",
        &[Value::IntList(ids.clone())],
    )? {
        linked.entry(r.int(0)?).or_default().push(r.text(1)?);
    }
    let mut rtt: HashMap<i64, BTreeMap<String, BTreeMap<String, String>>> = HashMap::new();
    for mut r in conn.query(
        "SELECT t.compose_id, v.uid, t.arch, t.rtt_testing_status FROM compose_trees t
           JOIN compose_variants v ON v.id = t.variant_id WHERE t.compose_id = ANY($1)",
        &[Value::IntList(ids)],
    )? {
        rtt.entry(r.int(0)?)
            .or_default()
            .entry(r.text(1)?)
            .or_default()
            .insert(r.text(2)?, r.text(3)?);
    }
    for c in &mut composes {
        c.linked_releases = linked.remove(&c.pk).unwrap_or_default();
        c.rtt_tested_architectures = rtt.remove(&c.pk).unwrap_or_default();
    }
    Ok(composes)
}

pub fn get_compose(conn: &mut dyn Conn, compose_id: &str) -> StoreResult<Option<Compose>> {
    let f = ComposeFilter {
        compose_ids: vec![compose_id.to_string()],
        ..Default::default()
    };
    Ok(list_composes(conn, &f, &[], None)?.1.pop())
}

fn get_by_pk(conn: &mut dyn Conn, pk: i64) -> StoreResult<Compose> {
    let rows = conn.query(
        &format!(
            "SELECT {SELECT} FROM composes c JOIN releases rel ON rel.id = c.release_id WHERE c.id = $1"
        ),
        &[pk.into()],
    )?;
    read_composes(conn, rows)?
        .pop()
        .ok_or_else(|| StoreError::Internal(format!("compose {pk} vanished")))
}

/// Stores what an import counted on the compose row; answers the compose.
pub(crate) fn refresh_counts(
    conn: &mut dyn Conn,
    pk: i64,
    new_sigkeys: &BTreeSet<Option<String>>,
) -> StoreResult<Compose> {
    let current = get_by_pk(conn, pk)?;
    let mut keys: BTreeSet<Option<String>> = current.sigkeys.iter().cloned().collect();
    keys.extend(new_sigkeys.iter().cloned());
    // PDC lists the keys first and `null` (unsigned) last.
    let mut sigkeys: Vec<Option<String>> = keys.iter().filter(|k| k.is_some()).cloned().collect();
    if keys.contains(&None) {
        sigkeys.push(None);
    }
    conn.execute(
        "UPDATE composes SET sigkeys = $1,
            rpm_count = (SELECT count(*) FROM compose_rpms cr JOIN compose_trees t ON t.id = cr.tree_id WHERE t.compose_id = $2),
            image_count = (SELECT count(*) FROM compose_images ci JOIN compose_trees t ON t.id = ci.tree_id WHERE t.compose_id = $2)
          WHERE id = $2",
        &[
            serde_json::to_string(&sigkeys)
                .expect("serializes")
                .into(),
            pk.into(),
        ],
    )?;
    get_by_pk(conn, pk)
}

/// What a PATCH of a compose may change (PDC allows no other field).
#[derive(Debug, Clone, Default)]
pub struct ComposePatch {
    pub acceptance_testing: Option<String>,
    pub linked_releases: Option<Vec<String>>,
    /// Merged into the stored states: variant uid to arch to state.
    pub rtt_tested_architectures: Option<BTreeMap<String, BTreeMap<String, String>>>,
}

pub fn update_compose(
    conn: &mut dyn Conn,
    old: &Compose,
    patch: &ComposePatch,
    changes: &mut Vec<Change>,
) -> StoreResult<Compose> {
    let invalid =
        |field: &str, message: String| StoreError::Invalid(ModelError::new(field, message));
    if let Some(state) = &patch.acceptance_testing {
        if !ACCEPTANCE_STATES.contains(&state.as_str()) {
            return Err(invalid(
                "acceptance_testing",
                format!(
                    "'{state}' is not allowed value. Use one of {}.",
                    quoted(&ACCEPTANCE_STATES)
                ),
            ));
        }
        conn.execute(
            "UPDATE composes SET acceptance_testing = $1 WHERE id = $2",
            &[state.clone().into(), old.pk.into()],
        )?;
    }
    if let Some(linked) = &patch.linked_releases {
        let mut ids = Vec::new();
        for release in linked {
            if *release == old.release {
                return Err(invalid(
                    "linked_releases",
                    format!(
                        "Compose {} is of release {release}: it cannot be linked to it as well.",
                        old.compose_id
                    ),
                ));
            }
            let id = crate::releases::id_of(conn, "releases", "release_id", release)?.ok_or_else(
                || {
                    invalid(
                        "linked_releases",
                        format!("Object with release_id={release} does not exist."),
                    )
                },
            )?;
            ids.push(id);
        }
        conn.execute(
            "DELETE FROM compose_linked_releases WHERE compose_id = $1",
            &[old.pk.into()],
        )?;
        for id in ids {
            conn.execute(
                "INSERT INTO compose_linked_releases (compose_id, release_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[old.pk.into(), id.into()],
            )?;
        }
    }
    if let Some(rtt) = &patch.rtt_tested_architectures {
        for (variant, arches) in rtt {
            let known = old.rtt_tested_architectures.get(variant).ok_or_else(|| {
                invalid(
                    "rtt_tested_architectures",
                    format!("The compose has no variant {variant}."),
                )
            })?;
            for (arch, state) in arches {
                if !known.contains_key(arch) {
                    return Err(invalid(
                        "rtt_tested_architectures",
                        format!("Variant {variant} of the compose has no arch {arch}."),
                    ));
                }
                set_tree_rtt(conn, old.pk, variant, arch, state)?;
            }
        }
    }
    let new = get_by_pk(conn, old.pk)?;
    record(changes, "compose", old.pk, Some(old), Some(&new));
    Ok(new)
}

fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_tree_rtt(
    conn: &mut dyn Conn,
    compose: i64,
    variant: &str,
    arch: &str,
    state: &str,
) -> StoreResult<()> {
    if !RTT_STATES.contains(&state) {
        return Err(StoreError::Invalid(ModelError::new(
            "test_result",
            format!(
                "'{state}' is not allowed value. Use one of {}.",
                quoted(&RTT_STATES)
            ),
        )));
    }
    conn.execute(
        "UPDATE compose_trees SET rtt_testing_status = $1 WHERE compose_id = $2 AND arch = $3
            AND variant_id = (SELECT id FROM compose_variants WHERE compose_id = $2 AND uid = $4)",
        &[state.into(), compose.into(), arch.into(), variant.into()],
    )?;
    Ok(())
}

/// PDC's DELETE: the compose is marked deleted, never removed. Answers
/// `false` when it was marked already.
pub fn mark_deleted(
    conn: &mut dyn Conn,
    old: &Compose,
    changes: &mut Vec<Change>,
) -> StoreResult<bool> {
    if old.deleted {
        return Ok(false);
    }
    conn.execute(
        "UPDATE composes SET deleted = TRUE WHERE id = $1",
        &[old.pk.into()],
    )?;
    let new = get_by_pk(conn, old.pk)?;
    record(changes, "compose", old.pk, Some(old), Some(&new));
    Ok(true)
}

// --- trees and their locations ----------------------------------------------

/// One variant of a compose on one arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub pk: i64,
    pub variant: String,
    pub arch: String,
    pub rtt_testing_status: String,
}

/// A compose's trees, by variant uid then arch.
pub fn trees(conn: &mut dyn Conn, compose: i64) -> StoreResult<Vec<Tree>> {
    conn.query(
        "SELECT t.id, v.uid, t.arch, t.rtt_testing_status FROM compose_trees t
           JOIN compose_variants v ON v.id = t.variant_id WHERE t.compose_id = $1 ORDER BY v.uid, t.arch",
        &[compose.into()],
    )?
    .into_iter()
    .map(|mut r| {
        Ok(Tree {
            pk: r.int(0)?,
            variant: r.text(1)?,
            arch: r.text(2)?,
            rtt_testing_status: r.text(3)?,
        })
    })
    .collect()
}

/// Sets (or replaces the url of) a tree's location; answers 1 when
/// something changed.
pub(crate) fn set_tree_location(
    conn: &mut dyn Conn,
    tree: i64,
    loc: &TreeLocation,
) -> StoreResult<u64> {
    let existing = conn.query_opt(
        "SELECT id, url FROM compose_tree_locations WHERE tree_id = $1 AND location = $2 AND scheme = $3",
        &[tree.into(), loc.location.clone().into(), loc.scheme.clone().into()],
    )?;
    match existing {
        Some(mut r) => {
            if r.text(1)? == loc.url {
                return Ok(0);
            }
            Ok(conn.execute(
                "UPDATE compose_tree_locations SET url = $1 WHERE id = $2",
                &[loc.url.clone().into(), r.int(0)?.into()],
            )?)
        }
        None => Ok(conn.execute(
            "INSERT INTO compose_tree_locations (tree_id, location, scheme, url) VALUES ($1, $2, $3, $4)",
            &[
                tree.into(),
                loc.location.clone().into(),
                loc.scheme.clone().into(),
                loc.url.clone().into(),
            ],
        )?),
    }
}

/// A published copy of a compose tree (`compose-tree-locations/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeLocationRow {
    #[serde(skip)]
    pub pk: i64,
    pub compose: String,
    pub variant: String,
    pub arch: String,
    pub location: String,
    pub scheme: String,
    pub url: String,
    pub synced_content: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LocationFilter {
    pub composes: Vec<String>,
    pub variants: Vec<String>,
    pub arches: Vec<String>,
    pub locations: Vec<String>,
    pub schemes: Vec<String>,
}

pub fn list_locations(
    conn: &mut dyn Conn,
    f: &LocationFilter,
    ordering: &[String],
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<TreeLocationRow>)> {
    let mut l = Listing::new(
        "compose_tree_locations l JOIN compose_trees t ON t.id = l.tree_id
         JOIN compose_variants v ON v.id = t.variant_id JOIN composes c ON c.id = t.compose_id",
    );
    l.any_of("c.compose_id", &f.composes)
        .any_of("v.uid", &f.variants)
        .any_of("t.arch", &f.arches)
        .any_of_ci("l.location", &f.locations)
        .any_of_ci("l.scheme", &f.schemes);
    let order = order_by(
        ordering,
        &[
            ("id", "l.id"),
            ("compose", "c.compose_id"),
            ("variant", "v.uid"),
            ("arch", "t.arch"),
            ("location", "l.location"),
            ("scheme", "l.scheme"),
        ],
        "l.id",
    );
    let (count, rows) = l.run(
        conn,
        "l.id, c.compose_id, v.uid, t.arch, l.location, l.scheme, l.url, l.synced_content",
        &order,
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(TreeLocationRow {
                pk: r.int(0)?,
                compose: r.text(1)?,
                variant: r.text(2)?,
                arch: r.text(3)?,
                location: r.text(4)?,
                scheme: r.text(5)?,
                url: r.text(6)?,
                synced_content: serde_json::from_str(&r.text(7)?).unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((count, items))
}

/// One location by its PDC lookup: compose, variant, arch, location, scheme.
pub fn get_location(conn: &mut dyn Conn, key: [&str; 5]) -> StoreResult<Option<TreeLocationRow>> {
    let f = LocationFilter {
        composes: vec![key[0].into()],
        variants: vec![key[1].into()],
        arches: vec![key[2].into()],
        locations: vec![key[3].into()],
        schemes: vec![key[4].into()],
    };
    Ok(list_locations(conn, &f, &[], None)?.1.pop())
}

/// The content categories a location may sync.
pub const CONTENT_CATEGORIES: [&str; 3] = ["binary", "debug", "source"];

/// Creates or replaces a location (its url and synced content).
pub fn save_location(
    conn: &mut dyn Conn,
    old: Option<&TreeLocationRow>,
    new: &TreeLocationRow,
    changes: &mut Vec<Change>,
) -> StoreResult<TreeLocationRow> {
    for c in &new.synced_content {
        if !CONTENT_CATEGORIES.contains(&c.as_str()) {
            return Err(StoreError::Invalid(ModelError::new(
                "synced_content",
                format!(
                    "'{c}' is not allowed value. Use one of {}.",
                    quoted(&CONTENT_CATEGORIES)
                ),
            )));
        }
    }
    let tree = conn
        .query_opt(
            "SELECT t.id FROM compose_trees t JOIN compose_variants v ON v.id = t.variant_id
               JOIN composes c ON c.id = t.compose_id WHERE c.compose_id = $1 AND v.uid = $2 AND t.arch = $3",
            &[new.compose.clone().into(), new.variant.clone().into(), new.arch.clone().into()],
        )?
        .ok_or_else(|| {
            StoreError::Invalid(ModelError::new(
                "variant",
                format!(
                    "Compose {} has no tree {}.{}.",
                    new.compose, new.variant, new.arch
                ),
            ))
        })?
        .int(0)?;
    let content = serde_json::to_string(&new.synced_content).expect("serializes");
    let values = vec![
        tree.into(),
        new.location.clone().into(),
        new.scheme.clone().into(),
        new.url.clone().into(),
        content.into(),
    ];
    let pk = crate::db::save_row(
        conn,
        "compose_tree_locations",
        &["tree_id", "location", "scheme", "url", "synced_content"],
        values,
        old.map(|o| o.pk),
    )?;
    let saved = TreeLocationRow { pk, ..new.clone() };
    record(changes, "composetree", pk, old, Some(&saved));
    Ok(saved)
}

pub fn delete_location(
    conn: &mut dyn Conn,
    old: &TreeLocationRow,
    changes: &mut Vec<Change>,
) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM compose_tree_locations WHERE id = $1",
        &[old.pk.into()],
    )?;
    record(changes, "composetree", old.pk, Some(old), None);
    Ok(())
}

// --- manifests ---------------------------------------------------------------

/// Hands every rpm entry of the compose to `f`, tree by tree, grouped by
/// source rpm as `rpms.json` lists them; one tree's rows in memory at a time.
pub fn for_each_rpm(
    conn: &mut dyn Conn,
    compose: i64,
    mut f: impl FnMut(RpmEntry) -> StoreResult<()>,
) -> StoreResult<()> {
    for tree in trees(conn, compose)? {
        let rows = conn.query(
            "SELECT COALESCE(r.srpm_nevra, r.nevra), r.nevra, p.path, r.filename, cr.sigkey, cr.category
               FROM compose_rpms cr JOIN rpms r ON r.id = cr.rpm_id JOIN rpm_paths p ON p.id = cr.path_id
              WHERE cr.tree_id = $1 ORDER BY 1, 2",
            &[tree.pk.into()],
        )?;
        for mut r in rows {
            let srpm = parse_nevra(&r.text(0)?)?;
            let rpm = parse_nevra(&r.text(1)?)?;
            let dir = r.text(2)?;
            let file = r.text(3)?;
            f(RpmEntry {
                variant: tree.variant.clone(),
                arch: tree.arch.clone(),
                srpm,
                rpm,
                path: if dir.is_empty() {
                    file
                } else {
                    format!("{dir}/{file}")
                },
                sigkey: r.opt_text(4)?,
                category: r.text(5)?,
            })?;
        }
    }
    Ok(())
}

fn parse_nevra(s: &str) -> StoreResult<Nevra> {
    Nevra::parse(s).map_err(|e| StoreError::Internal(format!("stored NEVRA: {e}")))
}

/// The compose's images as `images.json` lists them.
pub fn compose_images(conn: &mut dyn Conn, compose: i64) -> StoreResult<Vec<ImageEntry>> {
    let rows = conn.query(
        "SELECT v.uid, t.arch, i.arch, ci.path, i.file_name, i.size, i.mtime, i.volume_id, i.image_type,
                i.image_format, i.disc_number, i.disc_count, i.sha256, i.md5, i.sha1, i.implant_md5,
                i.bootable, i.subvariant
           FROM compose_images ci JOIN images i ON i.id = ci.image_id
           JOIN compose_trees t ON t.id = ci.tree_id JOIN compose_variants v ON v.id = t.variant_id
          WHERE t.compose_id = $1 ORDER BY v.uid, t.arch, ci.path",
        &[compose.into()],
    )?;
    rows.into_iter()
        .map(|mut r| {
            let mut checksums = BTreeMap::new();
            checksums.insert("sha256".to_string(), r.text(12)?);
            if let Some(md5) = r.opt_text(13)? {
                checksums.insert("md5".to_string(), md5);
            }
            if let Some(sha1) = r.opt_text(14)? {
                checksums.insert("sha1".to_string(), sha1);
            }
            Ok(ImageEntry {
                variant: r.text(0)?,
                arch: r.text(1)?,
                image_arch: r.text(2)?,
                path: r.text(3)?,
                file_name: r.text(4)?,
                size: r.int(5)? as u64,
                mtime: r.int(6)?,
                volume_id: r.opt_text(7)?,
                image_type: r.text(8)?,
                format: r.text(9)?,
                disc_number: r.int(10)? as u32,
                disc_count: r.int(11)? as u32,
                checksums,
                implant_md5: r.opt_text(15)?,
                bootable: r.bool(16)?,
                subvariant: r.text(17)?,
                unified: false,
                additional_variants: Vec::new(),
            })
        })
        .collect()
}

/// The compose header productmd files carry, rebuilt from the stored
/// composeinfo.
pub fn compose_header(
    conn: &mut dyn Conn,
    compose: i64,
) -> StoreResult<almanac_model::productmd::ComposeHeader> {
    let mut row = conn
        .query_opt(
            "SELECT composeinfo FROM composes WHERE id = $1",
            &[compose.into()],
        )?
        .ok_or_else(|| StoreError::Internal(format!("compose {compose} vanished")))?;
    let text = row.text(0)?;
    let info = almanac_model::productmd::parse_composeinfo(text.as_bytes())?;
    Ok(info.compose)
}

// --- diffs -------------------------------------------------------------------

/// What a diff of two composes needs from the store: the rows that are not
/// the same rpm in the same tree on both sides (those are only counted), and
/// every image.
#[derive(Debug, Clone, Default)]
pub struct DiffRows {
    pub old_rpms: Vec<almanac_model::compose_diff::RpmRow>,
    pub new_rpms: Vec<almanac_model::compose_diff::RpmRow>,
    pub old_images: Vec<almanac_model::compose_diff::ImageRow>,
    pub new_images: Vec<almanac_model::compose_diff::ImageRow>,
    pub old_trees: Vec<(String, String)>,
    pub new_trees: Vec<(String, String)>,
    /// Per tree, how many rpms both composes hold.
    pub common: Vec<((String, String), u64)>,
}

/// A tree's id in the old and in the new compose.
type TreePair = (Option<i64>, Option<i64>);

pub fn diff_rows(conn: &mut dyn Conn, old: i64, new: i64) -> StoreResult<DiffRows> {
    let old_trees = trees(conn, old)?;
    let new_trees = trees(conn, new)?;
    let mut out = DiffRows {
        old_trees: old_trees
            .iter()
            .map(|t| (t.variant.clone(), t.arch.clone()))
            .collect(),
        new_trees: new_trees
            .iter()
            .map(|t| (t.variant.clone(), t.arch.clone()))
            .collect(),
        ..Default::default()
    };
    let mut only_old: Vec<(usize, i64)> = Vec::new();
    let mut only_new: Vec<(usize, i64)> = Vec::new();
    // Each tree key, with its tree in the old and in the new compose.
    let mut pairs: BTreeMap<(String, String), TreePair> = BTreeMap::new();
    for t in &old_trees {
        pairs
            .entry((t.variant.clone(), t.arch.clone()))
            .or_default()
            .0 = Some(t.pk);
    }
    for t in &new_trees {
        pairs
            .entry((t.variant.clone(), t.arch.clone()))
            .or_default()
            .1 = Some(t.pk);
    }
    let keys: Vec<(String, String)> = pairs.keys().cloned().collect();
    for (i, (o, n)) in pairs.into_values().enumerate() {
        let a = match o {
            Some(t) => tree_rpm_ids(conn, t)?,
            None => Vec::new(),
        };
        let b = match n {
            Some(t) => tree_rpm_ids(conn, t)?,
            None => Vec::new(),
        };
        let (mut x, mut y, mut same) = (0, 0, 0u64);
        while x < a.len() || y < b.len() {
            match (a.get(x), b.get(y)) {
                (Some(p), Some(q)) if p == q => {
                    same += 1;
                    x += 1;
                    y += 1;
                }
                (Some(p), Some(q)) if p < q => {
                    only_old.push((i, *p));
                    x += 1;
                }
                (Some(_), Some(q)) => {
                    only_new.push((i, *q));
                    y += 1;
                }
                (Some(p), None) => {
                    only_old.push((i, *p));
                    x += 1;
                }
                (None, Some(q)) => {
                    only_new.push((i, *q));
                    y += 1;
                }
                (None, None) => break,
            }
        }
        if same > 0 {
            out.common.push((keys[i].clone(), same));
        }
    }
    let mut ids: Vec<i64> = only_old
        .iter()
        .chain(&only_new)
        .map(|(_, id)| *id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut nevras: HashMap<i64, Nevra> = HashMap::new();
    for chunk in ids.chunks(20_000) {
        for mut r in conn.query(
            "SELECT id, nevra FROM rpms WHERE id = ANY($1)",
            &[Value::IntList(chunk.to_vec())],
        )? {
            let id = r.int(0)?;
            nevras.insert(id, parse_nevra(&r.text(1)?)?);
        }
    }
    let row = |(i, id): &(usize, i64)| -> StoreResult<almanac_model::compose_diff::RpmRow> {
        Ok(almanac_model::compose_diff::RpmRow {
            variant: keys[*i].0.clone(),
            arch: keys[*i].1.clone(),
            nevra: nevras
                .get(id)
                .cloned()
                .ok_or_else(|| StoreError::Internal(format!("rpm {id} vanished")))?,
        })
    };
    out.old_rpms = only_old.iter().map(row).collect::<StoreResult<_>>()?;
    out.new_rpms = only_new.iter().map(row).collect::<StoreResult<_>>()?;
    out.old_images = image_rows(conn, old)?;
    out.new_images = image_rows(conn, new)?;
    Ok(out)
}

fn tree_rpm_ids(conn: &mut dyn Conn, tree: i64) -> StoreResult<Vec<i64>> {
    conn.query(
        "SELECT rpm_id FROM compose_rpms WHERE tree_id = $1 ORDER BY rpm_id",
        &[tree.into()],
    )?
    .into_iter()
    .map(|r| Ok(r.int(0)?))
    .collect()
}

fn image_rows(
    conn: &mut dyn Conn,
    compose: i64,
) -> StoreResult<Vec<almanac_model::compose_diff::ImageRow>> {
    conn.query(
        "SELECT v.uid, t.arch, i.image_type, i.image_format, i.subvariant, i.file_name, i.size
           FROM compose_images ci JOIN images i ON i.id = ci.image_id
           JOIN compose_trees t ON t.id = ci.tree_id JOIN compose_variants v ON v.id = t.variant_id
          WHERE t.compose_id = $1",
        &[compose.into()],
    )?
    .into_iter()
    .map(|mut r| {
        Ok(almanac_model::compose_diff::ImageRow {
            variant: r.text(0)?,
            arch: r.text(1)?,
            image_type: r.text(2)?,
            format: r.text(3)?,
            subvariant: r.text(4)?,
            file_name: r.text(5)?,
            size: r.int(6)? as u64,
        })
    })
    .collect()
}

/// The compose before `compose` in its release (productmd's order), not
/// deleted; `None` for the first.
pub fn previous_compose(conn: &mut dyn Conn, compose: &Compose) -> StoreResult<Option<String>> {
    let row = conn.query_opt(
        "SELECT p.compose_id FROM composes c JOIN composes p ON p.release_id = c.release_id
          WHERE c.id = $1 AND p.sort_key < c.sort_key AND p.deleted = FALSE
          ORDER BY p.sort_key DESC LIMIT 1",
        &[compose.pk.into()],
    )?;
    row.map(|mut r| r.text(0)).transpose().map_err(Into::into)
}

/// One rpm entry of a compose: the tree it is in, and the rpm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRpm {
    pub variant: String,
    pub arch: String,
    pub nevra: String,
    pub sigkey: Option<String>,
    pub category: String,
}

/// A page of a compose's rpm entries (of `trees`, the compose's, from
/// [`trees`]): tree by tree along `compose_rpms`' primary key, so a page deep
/// in a 250,000-entry compose costs its offset, not a sort of all; or those
/// whose name starts with `prefix`, by name, from the name index. Answers
/// up to `limit` entries after `offset`.
pub fn tree_rpms(
    conn: &mut dyn Conn,
    trees: &[Tree],
    prefix: Option<&str>,
    offset: u64,
    limit: u64,
) -> StoreResult<Vec<TreeRpm>> {
    if trees.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = trees.iter().map(|t| t.pk).collect();
    let (lo, hi) = (
        ids.iter().copied().min().unwrap_or(0),
        ids.iter().copied().max().unwrap_or(0),
    );
    let rows = match prefix.filter(|p| !p.is_empty()) {
        // The range on the key's first column lets both planners walk the
        // primary key in order; ANY keeps the trees of this compose.
        None => conn.query_uncached(
            "SELECT cr.tree_id, r.nevra, cr.sigkey, cr.category FROM compose_rpms cr JOIN rpms r ON r.id = cr.rpm_id
              WHERE cr.tree_id >= $1 AND cr.tree_id <= $2 AND cr.tree_id = ANY($3)
              ORDER BY cr.tree_id, cr.rpm_id LIMIT $4 OFFSET $5",
            &[
                lo.into(),
                hi.into(),
                Value::IntList(ids),
                (limit as i64).into(),
                (offset as i64).into(),
            ],
        )?,
        // `+` keeps the planners from taking the compose's trees (all its
        // entries) as the way in instead of the name index.
        Some(p) => {
            let like = format!(
                "{}%",
                p.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
            );
            conn.query_uncached(
                "SELECT cr.tree_id, r.nevra, cr.sigkey, cr.category FROM rpms r JOIN compose_rpms cr ON cr.rpm_id = r.id
                  WHERE r.name >= $1 AND r.name < $2 AND r.name LIKE $3 ESCAPE '\\' AND +cr.tree_id = ANY($4)
                  ORDER BY r.name, r.nevra, cr.tree_id LIMIT $5 OFFSET $6",
                &[
                    p.into(),
                    format!("{p}\u{10FFFF}").into(),
                    like.into(),
                    Value::IntList(ids),
                    (limit as i64).into(),
                    (offset as i64).into(),
                ],
            )?
        }
    };
    let by_id: HashMap<i64, &Tree> = trees.iter().map(|t| (t.pk, t)).collect();
    rows.into_iter()
        .map(|mut r| {
            let tree = by_id
                .get(&r.int(0)?)
                .ok_or_else(|| StoreError::Internal("an entry of another tree".into()))?;
            Ok(TreeRpm {
                variant: tree.variant.clone(),
                arch: tree.arch.clone(),
                nevra: r.text(1)?,
                sigkey: r.opt_text(2)?,
                category: r.text(3)?,
            })
        })
        .collect()
}

// --- history -----------------------------------------------------------------

/// One image's size in one compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizePoint {
    pub compose_id: String,
    pub compose_date: String,
    pub file_name: String,
    pub size: i64,
}

/// Which image to follow across a release's composes.
#[derive(Debug, Clone, Default)]
pub struct SizeQuery {
    pub release: String,
    pub variant: String,
    pub arch: String,
    pub image_type: String,
    pub format: Option<String>,
    pub subvariant: Option<String>,
}

/// The size of one kind of image across the release's composes, oldest first.
pub fn image_size_history(conn: &mut dyn Conn, q: &SizeQuery) -> StoreResult<Vec<SizePoint>> {
    let mut sql = Sql::new(
        "SELECT c.compose_id, c.compose_date, i.file_name, i.size
           FROM composes c JOIN releases rel ON rel.id = c.release_id
           JOIN compose_trees t ON t.compose_id = c.id JOIN compose_variants v ON v.id = t.variant_id
           JOIN compose_images ci ON ci.tree_id = t.id JOIN images i ON i.id = ci.image_id
          WHERE c.deleted = FALSE",
    );
    let release = sql.bind(q.release.clone());
    let variant = sql.bind(q.variant.clone());
    let arch = sql.bind(q.arch.clone());
    let image_type = sql.bind(q.image_type.clone());
    sql.text.push_str(&format!(
        " AND rel.release_id = {release} AND v.uid = {variant} AND t.arch = {arch} AND i.image_type = {image_type}"
    ));
    if let Some(format) = &q.format {
        let p = sql.bind(format.clone());
        sql.text.push_str(&format!(" AND i.image_format = {p}"));
    }
    if let Some(sub) = &q.subvariant {
        let p = sql.bind(sub.clone());
        sql.text.push_str(&format!(" AND i.subvariant = {p}"));
    }
    sql.text.push_str(" ORDER BY c.sort_key, i.file_name");
    conn.query(&sql.text, &sql.params)?
        .into_iter()
        .map(|mut r| {
            Ok(SizePoint {
                compose_id: r.text(0)?,
                compose_date: r.text(1)?,
                file_name: r.text(2)?,
                size: r.int(3)?,
            })
        })
        .collect()
}

// --- finders -----------------------------------------------------------------

/// Which composes of `releases` hold an rpm called `rpm_name`, with the
/// rpms of that name each holds (`nevra.rpm`), in compose order.
#[derive(Debug, Clone, Default)]
pub struct RpmFinder {
    pub releases: Vec<String>,
    pub rpm_name: String,
    pub included_types: Vec<String>,
    pub excluded_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComposeRpms {
    pub compose: String,
    pub packages: Vec<String>,
}

pub fn find_composes_by_rpm(conn: &mut dyn Conn, f: &RpmFinder) -> StoreResult<Vec<ComposeRpms>> {
    let mut sql = Sql::new(
        "SELECT DISTINCT c.compose_id, r.nevra, rel.sort_key, c.sort_key
           FROM rpms r JOIN compose_rpms cr ON cr.rpm_id = r.id JOIN compose_trees t ON t.id = cr.tree_id
           JOIN composes c ON c.id = t.compose_id JOIN releases rel ON rel.id = c.release_id
          WHERE c.deleted = FALSE",
    );
    let name = sql.bind(f.rpm_name.clone());
    let releases = sql.bind(f.releases.clone());
    sql.text.push_str(&format!(
        " AND r.name = {name} AND rel.release_id = ANY({releases})"
    ));
    if !f.included_types.is_empty() {
        let p = sql.bind(f.included_types.clone());
        sql.text
            .push_str(&format!(" AND c.compose_type = ANY({p})"));
    }
    if !f.excluded_types.is_empty() {
        let p = sql.bind(f.excluded_types.clone());
        sql.text
            .push_str(&format!(" AND NOT (c.compose_type = ANY({p}))"));
    }
    sql.text
        .push_str(" ORDER BY rel.sort_key, c.sort_key, r.nevra");
    let mut out: Vec<ComposeRpms> = Vec::new();
    for mut r in conn.query(&sql.text, &sql.params)? {
        let compose = r.text(0)?;
        let package = format!("{}.rpm", r.text(1)?);
        match out.last_mut() {
            Some(last) if last.compose == compose => last.packages.push(package),
            _ => out.push(ComposeRpms {
                compose,
                packages: vec![package],
            }),
        }
    }
    Ok(out)
}

/// The release ids of a product version (`fedora-41`: every Fedora 41 release).
pub fn releases_of_product_version(
    conn: &mut dyn Conn,
    product_version: &str,
) -> StoreResult<Option<Vec<String>>> {
    if crate::releases::id_of(
        conn,
        "product_versions",
        "product_version_id",
        product_version,
    )?
    .is_none()
    {
        return Ok(None);
    }
    let rows = conn.query(
        "SELECT rel.release_id FROM releases rel JOIN product_versions pv ON pv.id = rel.product_version_id
          WHERE pv.product_version_id = $1 ORDER BY rel.sort_key",
        &[product_version.into()],
    )?;
    rows.into_iter()
        .map(|mut r| r.text(0).map_err(Into::into))
        .collect::<StoreResult<Vec<_>>>()
        .map(Some)
}

/// The newest compose older than `compose`, of the same release short name
/// (the same release, or a GA one), holding a different version of
/// `rpm_name` than `compose` does (PDC's find-older-compose-by-compose-rpm).
pub fn find_older_compose_with_rpm(
    conn: &mut dyn Conn,
    compose: &Compose,
    rpm_name: &str,
) -> StoreResult<Option<ComposeRpms>> {
    let mine: BTreeSet<String> = find_composes_by_rpm(
        conn,
        &RpmFinder {
            releases: vec![compose.release.clone()],
            rpm_name: rpm_name.to_string(),
            ..Default::default()
        },
    )?
    .into_iter()
    .find(|c| c.compose == compose.compose_id)
    .map(|c| c.packages.into_iter().collect())
    .unwrap_or_default();
    let rows = conn.query(
        "SELECT rel.release_id FROM releases rel JOIN releases mine ON mine.short = rel.short
           JOIN release_types rt ON rt.id = rel.release_type_id
          WHERE mine.release_id = $1 AND (rel.id = mine.id OR rt.short = 'ga')",
        &[compose.release.clone().into()],
    )?;
    let releases = rows
        .into_iter()
        .map(|mut r| r.text(0).map_err(Into::into))
        .collect::<StoreResult<Vec<String>>>()?;
    let found = find_composes_by_rpm(
        conn,
        &RpmFinder {
            releases,
            rpm_name: rpm_name.to_string(),
            ..Default::default()
        },
    )?;
    let mut older = Vec::new();
    for c in found {
        if c.compose == compose.compose_id {
            break;
        }
        older.push(c);
    }
    // The list is in compose order, cut at this compose: what is left is older.
    let older: Vec<ComposeRpms> = older
        .into_iter()
        .filter(|c| c.packages.iter().collect::<BTreeSet<_>>() != mine.iter().collect())
        .collect();
    Ok(older.into_iter().next_back())
}

/// The diff of two composes, named by their ids; `None` names the one that
/// does not exist.
pub fn diff(
    conn: &mut dyn Conn,
    old: &str,
    new: &str,
) -> StoreResult<Result<almanac_model::compose_diff::ComposeDiff, String>> {
    let Some(a) = get_compose(conn, old)? else {
        return Ok(Err(old.to_string()));
    };
    let Some(b) = get_compose(conn, new)? else {
        return Ok(Err(new.to_string()));
    };
    let rows = diff_rows(conn, a.pk, b.pk)?;
    Ok(Ok(almanac_model::compose_diff::diff(
        almanac_model::compose_diff::Side {
            compose_id: &a.compose_id,
            rpms: &rows.old_rpms,
            images: &rows.old_images,
            trees: &rows.old_trees,
        },
        almanac_model::compose_diff::Side {
            compose_id: &b.compose_id,
            rpms: &rows.new_rpms,
            images: &rows.new_images,
            trees: &rows.new_trees,
        },
        &rows.common,
    )))
}

// --- release testing of images -------------------------------------------------

/// The release testing state of one image of a compose
/// (`compose-image-rtt-tests/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageTest {
    pub compose: String,
    pub variant: String,
    pub arch: String,
    pub file_name: String,
    pub test_result: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImageTestFilter {
    pub composes: Vec<String>,
    pub variants: Vec<String>,
    pub arches: Vec<String>,
    pub file_names: Vec<String>,
    pub test_results: Vec<String>,
}

const IMAGE_TEST_FROM: &str = "compose_images ci JOIN images i ON i.id = ci.image_id
     JOIN compose_trees t ON t.id = ci.tree_id JOIN compose_variants v ON v.id = t.variant_id
     JOIN composes c ON c.id = t.compose_id";

pub fn list_image_tests(
    conn: &mut dyn Conn,
    f: &ImageTestFilter,
    page: Option<(u64, u64)>,
) -> StoreResult<(i64, Vec<ImageTest>)> {
    let mut l = Listing::new(IMAGE_TEST_FROM);
    l.any_of("c.compose_id", &f.composes)
        .any_of("v.uid", &f.variants)
        .any_of("t.arch", &f.arches)
        .any_of("i.file_name", &f.file_names)
        .any_of("ci.rtt_test_result", &f.test_results);
    let (count, rows) = l.run(
        conn,
        "c.compose_id, v.uid, t.arch, i.file_name, ci.rtt_test_result",
        "c.sort_key, v.uid, t.arch, i.file_name",
        page,
    )?;
    let items = rows
        .into_iter()
        .map(|mut r| {
            Ok(ImageTest {
                compose: r.text(0)?,
                variant: r.text(1)?,
                arch: r.text(2)?,
                file_name: r.text(3)?,
                test_result: r.text(4)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((count, items))
}

/// Sets one image's release testing state (`old` as read from
/// [`list_image_tests`]).
pub fn set_image_test(
    conn: &mut dyn Conn,
    old: &ImageTest,
    state: &str,
    changes: &mut Vec<Change>,
) -> StoreResult<ImageTest> {
    if !RTT_STATES.contains(&state) {
        return Err(StoreError::Invalid(ModelError::new(
            "test_result",
            format!(
                "'{state}' is not allowed value. Use one of {}.",
                quoted(&RTT_STATES)
            ),
        )));
    }
    let row = conn
        .query_opt(
            &format!(
                "SELECT ci.tree_id, ci.image_id FROM {IMAGE_TEST_FROM}
                  WHERE c.compose_id = $1 AND v.uid = $2 AND t.arch = $3 AND i.file_name = $4"
            ),
            &[
                old.compose.clone().into(),
                old.variant.clone().into(),
                old.arch.clone().into(),
                old.file_name.clone().into(),
            ],
        )?
        .ok_or_else(|| StoreError::Internal("image test vanished".into()))?;
    let (tree, image) = (row.int(0)?, row.int(1)?);
    conn.execute(
        "UPDATE compose_images SET rtt_test_result = $1 WHERE tree_id = $2 AND image_id = $3",
        &[state.into(), tree.into(), image.into()],
    )?;
    let new = ImageTest {
        test_result: state.to_string(),
        ..old.clone()
    };
    record(changes, "composeimage", image, Some(old), Some(&new));
    Ok(new)
}
