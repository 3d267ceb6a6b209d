//! Importing a compose from its productmd metadata: the release (created
//! from `composeinfo.json` when it does not exist yet), the compose, its
//! variants and trees, and the rpms and images of every tree, in the
//! caller's transaction.
//!
//! `rpms.json` is streamed: entries are written in batches as they are read,
//! so a compose of a quarter of a million rpms never sits in memory whole.
//! What is kept for the length of one import is the compose's own distinct
//! rpms and directories (name to id), never the rpm table. Every write skips
//! what is already there, so importing the same files again adds nothing and
//! records nothing.

use crate::changes::Change;
use crate::composes::{self, Compose};
use crate::db::{BulkInsert, ColType, Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::release_import::import_release;
use crate::releases::{self, Release};
use almanac_model::ModelError;
use almanac_model::Timestamp;
use almanac_model::productmd::{
    ComposeHeader, ComposeInfo, ImagesManifest, ParseError, ProductmdError, RpmEntry, parse_rpms,
};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;

/// How many rpm entries are written at a time.
const BATCH: usize = 20_000;

/// What to import. The composeinfo is required; rpms and images are each
/// optional (PDC imports them through separate endpoints).
pub struct ComposeImport<'a> {
    pub info: &'a ComposeInfo,
    /// The file as received, kept beside the compose.
    pub composeinfo_json: &'a str,
    /// The release the caller names (PDC's `release_id`); `None` takes the
    /// one composeinfo describes.
    pub release_id: Option<&'a str>,
    pub rpms: Option<&'a mut dyn Read>,
    pub images: Option<&'a ImagesManifest>,
    /// Where each tree is published (PDC's full import): applied to every tree.
    pub location: Option<TreeLocation>,
}

/// A compose tree's published copy (`compose-tree-locations/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLocation {
    pub location: String,
    pub scheme: String,
    pub url: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub compose: Compose,
    /// Whether the compose itself is new.
    pub created: bool,
    /// Rpm entries read from `rpms.json`, and how many of them were new links.
    pub rpms: u64,
    pub new_rpms: u64,
    pub images: u64,
    pub new_images: u64,
    pub locations: u64,
    /// Arches Almanac had not known before this import.
    pub new_arches: Vec<String>,
}

pub fn import_compose(
    conn: &mut dyn Conn,
    imp: ComposeImport<'_>,
    changes: &mut Vec<Change>,
) -> StoreResult<ImportSummary> {
    let info = imp.info;
    let (release, new_arches) = resolve_release(conn, imp.release_id, info, changes)?;
    let (compose_pk, created) = ensure_compose(conn, info, &release, imp.composeinfo_json)?;
    let trees = ensure_trees(conn, compose_pk, info, changes)?;

    let mut rpms = 0;
    let mut new_rpms = 0;
    let mut sigkeys: BTreeSet<Option<String>> = BTreeSet::new();
    if let Some(reader) = imp.rpms {
        let mut writer = RpmBatches::new(&trees);
        let header = parse_rpms(reader, |entry| writer.push(conn, entry)).map_err(|e| match e {
            ParseError::Productmd(p) => StoreError::Metadata(p),
            ParseError::Callback(s) => s,
        })?;
        writer.flush(conn)?;
        same_compose("rpms.json", &header, &info.compose)?;
        rpms = writer.read;
        new_rpms = writer.added;
        sigkeys = writer.sigkeys;
    }
    let mut images = 0;
    let mut new_images = 0;
    if let Some(manifest) = imp.images {
        same_compose("images.json", &manifest.compose, &info.compose)?;
        images = manifest.images.len() as u64;
        new_images = write_images(conn, &trees, manifest)?;
    }
    let mut locations = 0;
    if let Some(loc) = &imp.location {
        for tree in trees.values() {
            locations += composes::set_tree_location(conn, *tree, loc)?;
        }
    }
    let compose = composes::refresh_counts(conn, compose_pk, &sigkeys)?;
    if created {
        changes.push(Change {
            target_class: "compose",
            target_id: compose_pk,
            old: None,
            new: Some(serde_json::to_value(&compose).expect("serializes")),
        });
    }
    if new_rpms + new_images + locations > 0 {
        changes.push(Change {
            target_class: "notice",
            target_id: 0,
            old: None,
            new: Some(serde_json::json!({
                "compose": compose.compose_id,
                "num_linked_rpms": new_rpms,
                "num_linked_images": new_images,
                "num_set_locations": locations,
            })),
        });
    }
    if created || new_rpms + new_images + locations > 0 {
        crate::outbox::enqueue(
            conn,
            vec![crate::outbox::Event {
                topic: "almanac.compose.import".into(),
                payload: serde_json::json!({
                    "compose_id": compose.compose_id,
                    "release": compose.release,
                    "created": created,
                    "new_rpms": new_rpms,
                    "new_images": new_images,
                })
                .to_string(),
            }],
        )?;
    }
    Ok(ImportSummary {
        compose,
        created,
        rpms,
        new_rpms,
        images,
        new_images,
        locations,
        new_arches,
    })
}

/// The release named by the caller when it exists; otherwise the one
/// composeinfo describes, got or created with its variants and arches.
fn resolve_release(
    conn: &mut dyn Conn,
    given: Option<&str>,
    info: &ComposeInfo,
    changes: &mut Vec<Change>,
) -> StoreResult<(Release, Vec<String>)> {
    let described = info.release_id();
    if let Some(id) = given {
        if let Some(r) = releases::get_release(conn, id)? {
            let imported = import_release_variants(conn, info, &r, changes)?;
            return Ok((r, imported));
        }
        if id != described {
            return Err(StoreError::Invalid(ModelError::new(
                "release_id",
                format!(
                    "Release '{id}' does not exist, and composeinfo.json describes release \
                     '{described}', not '{id}': create '{id}' first, or send '{described}'."
                ),
            )));
        }
    }
    let imported = import_release(conn, info, changes)?;
    Ok((imported.release, imported.new_arches))
}

/// A compose of a release other than the one composeinfo describes (PDC lets
/// the caller choose) still gets its variants and arches into that release.
fn import_release_variants(
    conn: &mut dyn Conn,
    info: &ComposeInfo,
    release: &Release,
    changes: &mut Vec<Change>,
) -> StoreResult<Vec<String>> {
    if release.release_id == info.release_id() {
        return Ok(import_release(conn, info, changes)?.new_arches);
    }
    crate::release_import::import_variants(conn, info, &release.release_id, changes)
}

fn same_compose(file: &str, header: &ComposeHeader, info: &ComposeHeader) -> StoreResult<()> {
    if header.id == info.id {
        return Ok(());
    }
    Err(StoreError::Metadata(ProductmdError::new(
        file,
        "payload.compose.id",
        format!(
            "Inconsistent data: different compose id in composeinfo and {file} ('{}' and '{}').",
            info.id, header.id
        ),
    )))
}

/// The compose row, created when new. An existing compose of the same id
/// must agree on what composeinfo says about it.
fn ensure_compose(
    conn: &mut dyn Conn,
    info: &ComposeInfo,
    release: &Release,
    composeinfo_json: &str,
) -> StoreResult<(i64, bool)> {
    let c = &info.compose;
    if let Some(existing) = composes::get_compose(conn, &c.id)? {
        let mut differ = Vec::new();
        if existing.release != release.release_id {
            differ.push(format!(
                "release {} (stored {})",
                release.release_id, existing.release
            ));
        }
        if existing.compose_date != c.iso_date() {
            differ.push(format!(
                "date {} (stored {})",
                c.iso_date(),
                existing.compose_date
            ));
        }
        if existing.compose_type != c.compose_type {
            differ.push(format!(
                "type {} (stored {})",
                c.compose_type, existing.compose_type
            ));
        }
        if existing.compose_respin != i64::from(c.respin) {
            differ.push(format!(
                "respin {} (stored {})",
                c.respin, existing.compose_respin
            ));
        }
        if existing.compose_label != c.label {
            differ.push(format!(
                "label {} (stored {})",
                c.label.as_deref().unwrap_or("none"),
                existing.compose_label.as_deref().unwrap_or("none")
            ));
        }
        if !differ.is_empty() {
            return Err(StoreError::Conflict(format!(
                "Compose {} exists with other attributes: {}.",
                c.id,
                differ.join(", ")
            )));
        }
        return Ok((existing.pk, false));
    }
    if let Some(label) = &c.label {
        let same_label = conn.query_opt(
            "SELECT compose_id FROM composes WHERE release_id = $1 AND compose_label = $2",
            &[release.id.into(), label.clone().into()],
        )?;
        if let Some(mut row) = same_label {
            return Err(StoreError::Conflict(format!(
                "Compose {} has label {label}, which compose {} of release {} has already.",
                c.id,
                row.text(0)?,
                release.release_id
            )));
        }
    }
    let clash = conn.query_opt(
        "SELECT compose_id FROM composes WHERE release_id = $1 AND compose_date = $2 AND compose_type = $3 AND compose_respin = $4",
        &[
            release.id.into(),
            c.iso_date().into(),
            c.compose_type.clone().into(),
            i64::from(c.respin).into(),
        ],
    )?;
    if let Some(mut row) = clash {
        return Err(StoreError::Conflict(format!(
            "Compose {} has the same release, date, type and respin as {}.",
            c.id,
            row.text(0)?
        )));
    }
    let row = conn
        .query_opt(
            "INSERT INTO composes (compose_id, release_id, compose_date, compose_type, compose_respin, compose_label, sort_key, imported_at, composeinfo)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                c.id.clone().into(),
                release.id.into(),
                c.iso_date().into(),
                c.compose_type.clone().into(),
                i64::from(c.respin).into(),
                c.label.clone().into(),
                c.sort_key().into(),
                Timestamp::now().micros().into(),
                composeinfo_json.into(),
            ],
        )?
        .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?;
    Ok((row.int(0)?, true))
}

/// Every variant and tree composeinfo lists, got or created; answers the
/// trees by (variant uid, arch).
fn ensure_trees(
    conn: &mut dyn Conn,
    compose: i64,
    info: &ComposeInfo,
    changes: &mut Vec<Change>,
) -> StoreResult<HashMap<(String, String), i64>> {
    let mut trees = HashMap::new();
    for v in info.all_variants() {
        let existing = conn.query_opt(
            "SELECT id FROM compose_variants WHERE compose_id = $1 AND uid = $2",
            &[compose.into(), v.uid.clone().into()],
        )?;
        let variant_pk = match existing {
            Some(r) => r.int(0)?,
            None => {
                let pk = conn
                    .query_opt(
                        "INSERT INTO compose_variants (compose_id, variant_id, uid, name, variant_type) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        &[
                            compose.into(),
                            v.id.clone().into(),
                            v.uid.clone().into(),
                            v.name.clone().into(),
                            v.variant_type.clone().into(),
                        ],
                    )?
                    .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?
                    .int(0)?;
                changes.push(Change {
                    target_class: "composevariant",
                    target_id: pk,
                    old: None,
                    new: Some(serde_json::json!({
                        "uid": v.uid, "id": v.id, "name": v.name, "type": v.variant_type,
                        "arches": v.arches,
                    })),
                });
                pk
            }
        };
        for arch in &v.arches {
            conn.execute(
                "INSERT INTO compose_trees (compose_id, variant_id, arch) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[compose.into(), variant_pk.into(), arch.clone().into()],
            )?;
        }
        for mut r in conn.query(
            "SELECT id, arch FROM compose_trees WHERE variant_id = $1",
            &[variant_pk.into()],
        )? {
            trees.insert((v.uid.clone(), r.text(1)?), r.int(0)?);
        }
    }
    Ok(trees)
}

/// Writes rpm entries in batches: the rpms themselves (global, by NEVRA),
/// the directories they sit in, and the tree links.
struct RpmBatches<'t> {
    trees: &'t HashMap<(String, String), i64>,
    pending: Vec<RpmEntry>,
    rpm_ids: HashMap<String, i64>,
    path_ids: HashMap<String, i64>,
    sigkeys: BTreeSet<Option<String>>,
    read: u64,
    added: u64,
}

impl<'t> RpmBatches<'t> {
    fn new(trees: &'t HashMap<(String, String), i64>) -> Self {
        RpmBatches {
            trees,
            pending: Vec::with_capacity(BATCH),
            rpm_ids: HashMap::new(),
            path_ids: HashMap::new(),
            sigkeys: BTreeSet::new(),
            read: 0,
            added: 0,
        }
    }

    fn push(&mut self, conn: &mut dyn Conn, entry: RpmEntry) -> StoreResult<()> {
        if !self
            .trees
            .contains_key(&(entry.variant.clone(), entry.arch.clone()))
        {
            return Err(StoreError::Metadata(ProductmdError::new(
                "rpms.json",
                format!("payload.rpms.{}.{}", entry.variant, entry.arch),
                format!(
                    "variant {} on {} is not in composeinfo.json",
                    entry.variant, entry.arch
                ),
            )));
        }
        self.read += 1;
        self.pending.push(entry);
        if self.pending.len() >= BATCH {
            self.flush(conn)?;
        }
        Ok(())
    }

    fn flush(&mut self, conn: &mut dyn Conn) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let nevras: Vec<String> = batch.iter().map(|e| e.rpm.to_string()).collect();
        self.resolve_rpms(conn, &batch, &nevras)?;
        let dirs: Vec<String> = batch.iter().map(|e| dir_of(&e.path).to_string()).collect();
        self.resolve_paths(conn, &dirs)?;
        let mut rows = Vec::with_capacity(batch.len());
        for ((e, nevra), dir) in batch.into_iter().zip(&nevras).zip(&dirs) {
            let tree = self.trees[&(e.variant, e.arch)];
            self.sigkeys.insert(e.sigkey.clone());
            rows.push(vec![
                Value::Int(tree),
                Value::Int(self.rpm_ids[nevra]),
                e.sigkey.into(),
                e.category.into(),
                Value::Int(self.path_ids[dir]),
            ]);
        }
        self.added += conn.insert_rows(BulkInsert {
            table: "compose_rpms",
            columns: &[
                ("tree_id", ColType::Int),
                ("rpm_id", ColType::Int),
                ("sigkey", ColType::Text),
                ("category", ColType::Text),
                ("path_id", ColType::Int),
            ],
            rows,
            skip_conflicts: true,
        })?;
        Ok(())
    }

    /// Ids for every rpm of the batch, inserting the ones Almanac lacks.
    fn resolve_rpms(
        &mut self,
        conn: &mut dyn Conn,
        batch: &[RpmEntry],
        nevras: &[String],
    ) -> StoreResult<()> {
        let mut wanted: Vec<String> = Vec::new();
        let mut asked: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for (e, nevra) in batch.iter().zip(nevras) {
            if self.rpm_ids.contains_key(nevra) || !asked.insert(nevra) {
                continue;
            }
            wanted.push(nevra.clone());
            let r = &e.rpm;
            let is_source = r.arch() == "src" || r.arch() == "nosrc";
            rows.push(vec![
                nevra.clone().into(),
                r.name().into(),
                Value::Int(r.epoch() as i64),
                r.version().into(),
                r.release().into(),
                r.arch().into(),
                e.srpm.name().into(),
                if is_source {
                    Value::Null
                } else {
                    e.srpm.to_string().into()
                },
                file_of(&e.path).into(),
            ]);
        }
        if wanted.is_empty() {
            return Ok(());
        }
        conn.insert_rows(BulkInsert {
            table: "rpms",
            columns: &[
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
            skip_conflicts: true,
        })?;
        for mut r in conn.query(
            "SELECT id, nevra FROM rpms WHERE nevra = ANY($1)",
            &[Value::TextList(wanted)],
        )? {
            let id = r.int(0)?;
            self.rpm_ids.insert(r.text(1)?, id);
        }
        Ok(())
    }

    fn resolve_paths(&mut self, conn: &mut dyn Conn, dirs: &[String]) -> StoreResult<()> {
        let mut wanted: Vec<String> = dirs
            .iter()
            .filter(|d| !self.path_ids.contains_key(*d))
            .cloned()
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        conn.insert_rows(BulkInsert {
            table: "rpm_paths",
            columns: &[("path", ColType::Text)],
            rows: wanted.iter().map(|p| vec![p.clone().into()]).collect(),
            skip_conflicts: true,
        })?;
        for mut r in conn.query(
            "SELECT id, path FROM rpm_paths WHERE path = ANY($1)",
            &[Value::TextList(wanted)],
        )? {
            let id = r.int(0)?;
            self.path_ids.insert(r.text(1)?, id);
        }
        Ok(())
    }
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, f)| f)
}

/// The images of the manifest, got or created by (file name, sha256), and
/// linked to their trees; answers how many links are new.
fn write_images(
    conn: &mut dyn Conn,
    trees: &HashMap<(String, String), i64>,
    manifest: &ImagesManifest,
) -> StoreResult<u64> {
    let mut seen: BTreeSet<(i64, &str)> = BTreeSet::new();
    let mut added = 0;
    for (i, img) in manifest.images.iter().enumerate() {
        let place = || format!("payload.images.{}.{}[{i}]", img.variant, img.arch);
        let tree = *trees
            .get(&(img.variant.clone(), img.arch.clone()))
            .ok_or_else(|| {
                StoreError::Metadata(ProductmdError::new(
                    "images.json",
                    place(),
                    format!(
                        "variant {} on {} is not in composeinfo.json",
                        img.variant, img.arch
                    ),
                ))
            })?;
        if !seen.insert((tree, img.file_name.as_str())) {
            return Err(StoreError::Metadata(ProductmdError::new(
                "images.json",
                place(),
                format!(
                    "{} is listed twice in {}/{}",
                    img.file_name, img.variant, img.arch
                ),
            )));
        }
        let sha256 = img.checksums.get("sha256").ok_or_else(|| {
            StoreError::Metadata(ProductmdError::new(
                "images.json",
                format!("{}.checksums", place()),
                "a sha256 checksum is required",
            ))
        })?;
        let image = image_id(conn, img, sha256)?;
        added += conn.execute(
            "INSERT INTO compose_images (tree_id, image_id, path) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[tree.into(), image.into(), img.path.clone().into()],
        )?;
    }
    Ok(added)
}

fn image_id(
    conn: &mut dyn Conn,
    img: &almanac_model::productmd::ImageEntry,
    sha256: &str,
) -> StoreResult<i64> {
    let find = |conn: &mut dyn Conn| {
        conn.query_opt(
            "SELECT id FROM images WHERE file_name = $1 AND sha256 = $2",
            &[img.file_name.clone().into(), sha256.into()],
        )
    };
    if let Some(r) = find(conn)? {
        return Ok(r.int(0)?);
    }
    let row = conn
        .query_opt(
            "INSERT INTO images (file_name, sha256, image_format, image_type, disc_number, disc_count, arch, mtime, size, bootable, implant_md5, volume_id, md5, sha1, subvariant)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            &[
                img.file_name.clone().into(),
                sha256.into(),
                img.format.clone().into(),
                img.image_type.clone().into(),
                i64::from(img.disc_number).into(),
                i64::from(img.disc_count).into(),
                img.image_arch.clone().into(),
                img.mtime.into(),
                (img.size as i64).into(),
                img.bootable.into(),
                img.implant_md5.clone().into(),
                img.volume_id.clone().into(),
                img.checksums.get("md5").cloned().into(),
                img.checksums.get("sha1").cloned().into(),
                img.subvariant.clone().into(),
            ],
        )?
        .ok_or_else(|| StoreError::Internal("INSERT RETURNING gave no row".into()))?;
    Ok(row.int(0)?)
}
