//! The diff of two composes, tree by tree: for each variant and arch, which
//! packages were added, removed, upgraded or downgraded (by rpm's version
//! order) and which images were added, removed or changed size. Every tree of
//! either compose is listed, also when nothing in it changed, so a tool can
//! see that the XFCE tree is as it was and skip rebuilding its live image.
//!
//! [`diff`] is pure and linear in the number of rows: one hash index of the
//! packages per tree (small enough to stay in cache while that tree's rows go
//! by), one over the images. The store hands it the rows of the two composes,
//! after dropping in SQL the rpms both share (their count per tree comes in
//! `common`); the result is the same whether it does or not. [`render_text`]
//! writes the result for people.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::productmd::Nevra;

/// One rpm of one tree of a compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmRow {
    pub variant: String,
    pub arch: String,
    pub nevra: Nevra,
}

/// One image of one tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub variant: String,
    pub arch: String,
    /// `dvd`, `live`, `qcow2`, ...
    pub image_type: String,
    /// `iso`, `qcow2`, `raw.xz`, ...
    pub format: String,
    /// `Server`, `KDE`, ...; may be empty.
    pub subvariant: String,
    pub file_name: String,
    pub size: u64,
}

/// One side of the diff.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub compose_id: &'a str,
    pub rpms: &'a [RpmRow],
    pub images: &'a [ImageRow],
    /// Trees (variant, arch) the compose has even if empty.
    pub trees: &'a [(String, String)],
}

/// What changed between two composes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeDiff {
    /// The old compose's id.
    pub old: String,
    /// The new compose's id.
    pub new: String,
    /// The sum of every tree's counts.
    pub totals: Counts,
    /// Every tree of either compose, sorted by variant and arch.
    pub trees: Vec<TreeDiff>,
}

/// How many packages and images of a tree (or of the whole compose) went
/// which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub added: u64,
    pub removed: u64,
    pub upgraded: u64,
    pub downgraded: u64,
    /// Rpms with the same NEVRA on both sides, including those the caller
    /// left out through `common`.
    pub unchanged: u64,
    pub images_added: u64,
    pub images_removed: u64,
    pub images_resized: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.added += other.added;
        self.removed += other.removed;
        self.upgraded += other.upgraded;
        self.downgraded += other.downgraded;
        self.unchanged += other.unchanged;
        self.images_added += other.images_added;
        self.images_removed += other.images_removed;
        self.images_resized += other.images_resized;
    }
}

/// The changes of one tree: one variant on one arch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeDiff {
    pub variant: String,
    pub arch: String,
    /// Whether any package or image was added, removed, upgraded,
    /// downgraded or resized.
    pub changed: bool,
    pub counts: Counts,
    /// NEVRAs (`name-epoch:version-release.arch`), sorted.
    pub added: Vec<String>,
    /// NEVRAs, sorted.
    pub removed: Vec<String>,
    /// Sorted by name and arch.
    pub upgraded: Vec<PackageChange>,
    /// Sorted by name and arch.
    pub downgraded: Vec<PackageChange>,
    /// Sorted by type, format, subvariant and file name.
    pub images_added: Vec<ImageInfo>,
    /// Sorted by type, format, subvariant and file name.
    pub images_removed: Vec<ImageInfo>,
    /// Sorted by type, format, subvariant and new file name.
    pub images_resized: Vec<ImageResize>,
}

/// A package (name and rpm arch) whose version moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    pub name: String,
    /// The rpm's arch (`x86_64`, `i686`, `noarch`, `src`), not the tree's.
    pub arch: String,
    /// The old NEVRA.
    pub old: String,
    /// The new NEVRA.
    pub new: String,
}

/// An image present on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub image_type: String,
    pub format: String,
    pub subvariant: String,
    pub file_name: String,
    pub size: u64,
}

/// An image on both sides (same type, format and subvariant) whose size
/// changed. The percentage is left to the renderer so the type stays `Eq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageResize {
    pub image_type: String,
    pub format: String,
    pub subvariant: String,
    pub old_file_name: String,
    pub new_file_name: String,
    pub old_size: u64,
    pub new_size: u64,
    /// `new_size - old_size`, saturated to the range of `i64`.
    pub delta: i64,
}

/// Diffs two composes tree by tree.
///
/// A package is a name and an rpm arch inside one tree, so `bash.x86_64` and
/// its multilib `bash.i686` are two packages. Each rpm row is counted exactly
/// once: rows with the same NEVRA on both sides are unchanged; of the rest,
/// the highest EVR left on each side are paired as an upgrade or a
/// downgrade, and whatever is still left (several EVRs of an installonly
/// package) is added or removed. Shared NEVRAs go first because that is what
/// the store's filter does: `kernel` 6.10 and 6.11 becoming 6.11 and 6.12
/// reads the same with or without the 6.11 rows, unchanged 6.11 and an
/// upgrade 6.10 -> 6.12. Two NEVRAs that differ in text but that rpm
/// orders as equal (`1.01` and `1.1`) are neither newer nor older: the old is
/// removed and the new added. The same NEVRA twice on one side counts once.
///
/// An image is a type, format and subvariant inside one tree (file names
/// carry dates). Images of one identity are paired by equal file name first,
/// then in file-name order; a pair with different sizes is resized, the
/// unpaired ones are added or removed.
///
/// `common` gives, per tree, how many rpms identical on both sides the
/// caller left out of the rows; they count as unchanged.
pub fn diff(old: Side<'_>, new: Side<'_>, common: &[((String, String), u64)]) -> ComposeDiff {
    let mut trees = TreeIds::default();
    for side in [&old, &new] {
        for row in side.rpms {
            trees.id(&row.variant, &row.arch);
        }
        for row in side.images {
            trees.id(&row.variant, &row.arch);
        }
        for (variant, arch) in side.trees {
            trees.id(variant, arch);
        }
    }
    for ((variant, arch), _) in common {
        trees.id(variant, arch);
    }

    let mut out: Vec<TreeDiff> = trees
        .keys
        .iter()
        .map(|(variant, arch)| TreeDiff {
            variant: variant.to_string(),
            arch: arch.to_string(),
            changed: false,
            counts: Counts::default(),
            added: Vec::new(),
            removed: Vec::new(),
            upgraded: Vec::new(),
            downgraded: Vec::new(),
            images_added: Vec::new(),
            images_removed: Vec::new(),
            images_resized: Vec::new(),
        })
        .collect();
    for ((variant, arch), count) in common {
        let tree = trees.id(variant, arch);
        out[tree].counts.unchanged += count;
    }

    diff_packages(&mut trees, old.rpms, new.rpms, &mut out);
    diff_images(&mut trees, old.images, new.images, &mut out);

    let mut totals = Counts::default();
    for tree in &mut out {
        tree.added.sort_unstable();
        tree.removed.sort_unstable();
        let by_package = |a: &PackageChange, b: &PackageChange| {
            (&a.name, &a.arch, &a.old).cmp(&(&b.name, &b.arch, &b.old))
        };
        tree.upgraded.sort_unstable_by(by_package);
        tree.downgraded.sort_unstable_by(by_package);
        let by_image = |a: &ImageInfo, b: &ImageInfo| {
            (&a.image_type, &a.format, &a.subvariant, &a.file_name).cmp(&(
                &b.image_type,
                &b.format,
                &b.subvariant,
                &b.file_name,
            ))
        };
        tree.images_added.sort_unstable_by(by_image);
        tree.images_removed.sort_unstable_by(by_image);
        tree.images_resized.sort_unstable_by(|a, b| {
            (&a.image_type, &a.format, &a.subvariant, &a.new_file_name).cmp(&(
                &b.image_type,
                &b.format,
                &b.subvariant,
                &b.new_file_name,
            ))
        });

        let c = &mut tree.counts;
        c.added = tree.added.len() as u64;
        c.removed = tree.removed.len() as u64;
        c.upgraded = tree.upgraded.len() as u64;
        c.downgraded = tree.downgraded.len() as u64;
        c.images_added = tree.images_added.len() as u64;
        c.images_removed = tree.images_removed.len() as u64;
        c.images_resized = tree.images_resized.len() as u64;
        tree.changed = c.added + c.removed + c.upgraded + c.downgraded > 0
            || c.images_added + c.images_removed + c.images_resized > 0;
        totals.add(c);
    }
    out.sort_unstable_by(|a, b| (&a.variant, &a.arch).cmp(&(&b.variant, &b.arch)));

    ComposeDiff {
        old: old.compose_id.to_string(),
        new: new.compose_id.to_string(),
        totals,
        trees: out,
    }
}

/// Numbers the trees (variant, arch) in the order they are first seen, so
/// per-tree tables are plain vectors. Rows come grouped by tree, so the last
/// tree is remembered and most rows cost two string comparisons, not a hash.
#[derive(Default)]
struct TreeIds<'a> {
    index: HashMap<(&'a str, &'a str), usize>,
    keys: Vec<(&'a str, &'a str)>,
    last: Option<(&'a str, &'a str, usize)>,
}

impl<'a> TreeIds<'a> {
    fn id(&mut self, variant: &'a str, arch: &'a str) -> usize {
        if let Some((_, _, id)) = self.last.filter(|(v, a, _)| *v == variant && *a == arch) {
            return id;
        }
        let next = self.keys.len();
        let id = *self.index.entry((variant, arch)).or_insert(next);
        if id == next {
            self.keys.push((variant, arch));
        }
        self.last = Some((variant, arch, id));
        id
    }
}

/// A package inside one tree, as a hash key: a row of it, hashed and
/// compared by name and rpm arch only. One word, so the index stays small.
#[derive(Clone, Copy)]
struct PackageKey<'a>(&'a Nevra);

impl Hash for PackageKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name().hash(state);
        self.0.arch().hash(state);
    }
}

impl PartialEq for PackageKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name() && self.0.arch() == other.0.arch()
    }
}

impl Eq for PackageKey<'_> {}

/// No row on this side.
const NONE: usize = usize::MAX;

/// One package: the first row of it on each side (an index, or [`NONE`]).
/// `several` says more NEVRAs of it wait in the extras.
struct Slot {
    tree: usize,
    old: usize,
    new: usize,
    several: bool,
}

/// Which side an extra NEVRA is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Old,
    New,
}

fn diff_packages<'a>(
    trees: &mut TreeIds<'a>,
    old: &'a [RpmRow],
    new: &'a [RpmRow],
    out: &mut [TreeDiff],
) {
    // Slots in the order of the rows, so the classifying pass below reads
    // both sides nearly in order (the store lists both by name) instead of
    // jumping around as a walk over the hash map would.
    let mut slots: Vec<Slot> = Vec::with_capacity(old.len().max(new.len()));
    let mut extras: Vec<(usize, Which, &'a Nevra)> = Vec::new();
    let mut index: Vec<HashMap<PackageKey<'a>, usize>> = {
        let mut sizes = vec![0usize; out.len()];
        for row in old {
            sizes[trees.id(&row.variant, &row.arch)] += 1;
        }
        sizes.into_iter().map(HashMap::with_capacity).collect()
    };
    for (i, row) in old.iter().enumerate() {
        let tree = trees.id(&row.variant, &row.arch);
        let key = PackageKey(&row.nevra);
        match index[tree].entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(slots.len());
                slots.push(Slot {
                    tree,
                    old: i,
                    new: NONE,
                    several: false,
                });
            }
            Entry::Occupied(entry) => {
                let at = *entry.get();
                let slot = &mut slots[at];
                if old[slot.old].nevra != row.nevra {
                    slot.several = true;
                    extras.push((at, Which::Old, &row.nevra));
                }
            }
        }
    }
    for (i, row) in new.iter().enumerate() {
        let tree = trees.id(&row.variant, &row.arch);
        let key = PackageKey(&row.nevra);
        match index[tree].entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(slots.len());
                slots.push(Slot {
                    tree,
                    old: NONE,
                    new: i,
                    several: false,
                });
            }
            Entry::Occupied(entry) => {
                let at = *entry.get();
                let slot = &mut slots[at];
                if slot.new == NONE {
                    slot.new = i;
                } else if new[slot.new].nevra != row.nevra {
                    slot.several = true;
                    extras.push((at, Which::New, &row.nevra));
                }
            }
        }
    }
    drop(index);
    extras.sort_by_key(|(at, _, _)| *at);
    let mut extras = extras.into_iter().peekable();

    for (at, slot) in slots.iter().enumerate() {
        let tree = &mut out[slot.tree];
        let o = old.get(slot.old).map(|row| &row.nevra);
        let n = new.get(slot.new).map(|row| &row.nevra);
        if slot.several {
            let mut olds: Vec<&Nevra> = o.into_iter().collect();
            let mut news: Vec<&Nevra> = n.into_iter().collect();
            while let Some((_, which, nevra)) = extras.next_if(|(e, _, _)| *e == at) {
                let list = if which == Which::Old {
                    &mut olds
                } else {
                    &mut news
                };
                if !list.contains(&nevra) {
                    list.push(nevra);
                }
            }
            several(olds, news, tree);
            continue;
        }
        match (o, n) {
            (Some(o), Some(n)) if o == n => tree.counts.unchanged += 1,
            (Some(o), Some(n)) => pair(o, n, tree),
            (Some(o), None) => tree.removed.push(nevra_string(o)),
            (None, Some(n)) => tree.added.push(nevra_string(n)),
            (None, None) => {}
        }
    }
}

/// A package with more than one NEVRA on a side (the lists are short).
fn several(old: Vec<&Nevra>, new: Vec<&Nevra>, tree: &mut TreeDiff) {
    let (shared, mut old): (Vec<&Nevra>, Vec<&Nevra>) =
        old.into_iter().partition(|o| new.contains(o));
    let mut new: Vec<&Nevra> = new.into_iter().filter(|n| !shared.contains(n)).collect();
    tree.counts.unchanged += shared.len() as u64;

    // Highest first; EVRs rpm finds equal but spelt differently are ordered
    // by text, so the result does not depend on the order of the rows.
    let highest_first =
        |a: &&Nevra, b: &&Nevra| b.cmp_evr(a).then_with(|| b.to_string().cmp(&a.to_string()));
    old.sort_by(highest_first);
    new.sort_by(highest_first);
    let mut old = old.into_iter();
    let mut new = new.into_iter();
    match (old.next(), new.next()) {
        (Some(o), Some(n)) => pair(o, n, tree),
        (Some(o), None) => tree.removed.push(nevra_string(o)),
        (None, Some(n)) => tree.added.push(nevra_string(n)),
        (None, None) => {}
    }
    tree.removed.extend(old.map(nevra_string));
    tree.added.extend(new.map(nevra_string));
}

/// One NEVRA on each side, different: which way did it move?
fn pair(old: &Nevra, new: &Nevra, tree: &mut TreeDiff) {
    let change = || PackageChange {
        name: new.name().to_string(),
        arch: new.arch().to_string(),
        old: nevra_string(old),
        new: nevra_string(new),
    };
    match new.cmp_evr(old) {
        Ordering::Greater => tree.upgraded.push(change()),
        Ordering::Less => tree.downgraded.push(change()),
        Ordering::Equal => {
            tree.removed.push(nevra_string(old));
            tree.added.push(nevra_string(new));
        }
    }
}

/// `Nevra`'s `Display` (`name-epoch:version-release.arch`) in one exact
/// allocation and without the formatting machinery: a mass rebuild makes a
/// quarter of a million of these.
fn nevra_string(n: &Nevra) -> String {
    let mut epoch_buf = [0u8; 20];
    let epoch = decimal(n.epoch(), &mut epoch_buf);
    let parts = [
        n.name(),
        "-",
        epoch,
        ":",
        n.version(),
        "-",
        n.release(),
        ".",
        n.arch(),
    ];
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        s.push_str(part);
    }
    s
}

/// `value` in decimal, written into the end of `buf`.
fn decimal(mut value: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or("0")
}

#[derive(Default)]
struct ImageGroup<'a> {
    old: Vec<&'a ImageRow>,
    new: Vec<&'a ImageRow>,
}

fn diff_images<'a>(
    trees: &mut TreeIds<'a>,
    old: &'a [ImageRow],
    new: &'a [ImageRow],
    out: &mut [TreeDiff],
) {
    type Key<'k> = (usize, &'k str, &'k str, &'k str);
    let mut groups: HashMap<Key<'a>, ImageGroup<'a>> = HashMap::new();
    for row in old {
        let tree = trees.id(&row.variant, &row.arch);
        let key = (tree, &*row.image_type, &*row.format, &*row.subvariant);
        groups.entry(key).or_default().old.push(row);
    }
    for row in new {
        let tree = trees.id(&row.variant, &row.arch);
        let key = (tree, &*row.image_type, &*row.format, &*row.subvariant);
        groups.entry(key).or_default().new.push(row);
    }

    for ((tree, _, _, _), mut group) in groups {
        let tree = &mut out[tree];
        group.old.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        group.new.sort_by(|a, b| a.file_name.cmp(&b.file_name));

        // Pair equal file names first (both lists are sorted: one merge walk).
        let (mut old_left, mut new_left) = (Vec::new(), Vec::new());
        let (mut i, mut j) = (0, 0);
        while i < group.old.len() && j < group.new.len() {
            let (o, n) = (group.old[i], group.new[j]);
            match o.file_name.cmp(&n.file_name) {
                Ordering::Equal => {
                    pair_images(o, n, tree);
                    i += 1;
                    j += 1;
                }
                Ordering::Less => {
                    old_left.push(o);
                    i += 1;
                }
                Ordering::Greater => {
                    new_left.push(n);
                    j += 1;
                }
            }
        }
        old_left.extend_from_slice(&group.old[i..]);
        new_left.extend_from_slice(&group.new[j..]);

        // Then the rest in file-name order.
        let paired = old_left.len().min(new_left.len());
        for (o, n) in old_left.iter().zip(&new_left) {
            pair_images(o, n, tree);
        }
        tree.images_removed
            .extend(old_left[paired..].iter().map(|o| image_info(o)));
        tree.images_added
            .extend(new_left[paired..].iter().map(|n| image_info(n)));
    }
}

fn pair_images(old: &ImageRow, new: &ImageRow, tree: &mut TreeDiff) {
    if old.size == new.size {
        return;
    }
    let delta = i128::from(new.size) - i128::from(old.size);
    let delta = i64::try_from(delta).unwrap_or(if delta < 0 { i64::MIN } else { i64::MAX });
    tree.images_resized.push(ImageResize {
        image_type: new.image_type.clone(),
        format: new.format.clone(),
        subvariant: new.subvariant.clone(),
        old_file_name: old.file_name.clone(),
        new_file_name: new.file_name.clone(),
        old_size: old.size,
        new_size: new.size,
        delta,
    });
}

fn image_info(row: &ImageRow) -> ImageInfo {
    ImageInfo {
        image_type: row.image_type.clone(),
        format: row.format.clone(),
        subvariant: row.subvariant.clone(),
        file_name: row.file_name.clone(),
        size: row.size,
    }
}

/// How many lines of each list [`render_text`] shows when not verbose.
pub const TEXT_LIST_LIMIT: usize = 20;

/// The diff for people: a first line with the totals, then each changed tree
/// with its counts and lines (`+` added, `-` removed, `^` upgraded, `v`
/// downgraded, `~` resized image), then one line naming the unchanged trees.
/// Unless `verbose`, each list stops after [`TEXT_LIST_LIMIT`] lines with
/// `... and N more`.
pub fn render_text(d: &ComposeDiff, verbose: bool) -> String {
    let mut out = String::new();
    line(
        &mut out,
        format_args!("{} -> {}: {}", d.old, d.new, summary(&d.totals)),
    );
    for tree in d.trees.iter().filter(|t| t.changed) {
        line(
            &mut out,
            format_args!("{}/{}: {}", tree.variant, tree.arch, summary(&tree.counts)),
        );
        list(&mut out, &tree.added, verbose, |n| format!("+ {n}"));
        list(&mut out, &tree.removed, verbose, |n| format!("- {n}"));
        list(&mut out, &tree.upgraded, verbose, |c| change_line('^', c));
        list(&mut out, &tree.downgraded, verbose, |c| change_line('v', c));
        list(&mut out, &tree.images_added, verbose, |i| {
            format!(
                "+ image {}: {} ({})",
                identity(i),
                i.file_name,
                human_size(i.size)
            )
        });
        list(&mut out, &tree.images_removed, verbose, |i| {
            format!(
                "- image {}: {} ({})",
                identity(i),
                i.file_name,
                human_size(i.size)
            )
        });
        list(&mut out, &tree.images_resized, verbose, resize_line);
    }
    let unchanged: Vec<String> = d
        .trees
        .iter()
        .filter(|t| !t.changed)
        .map(|t| format!("{}/{}", t.variant, t.arch))
        .collect();
    if !unchanged.is_empty() {
        line(
            &mut out,
            format_args!("unchanged: {}", unchanged.join(", ")),
        );
    }
    out
}

fn line(out: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    let _ = out.write_fmt(args);
    out.push('\n');
}

fn list<T>(out: &mut String, items: &[T], verbose: bool, show: impl Fn(&T) -> String) {
    let shown = if verbose {
        items.len()
    } else {
        items.len().min(TEXT_LIST_LIMIT)
    };
    for item in &items[..shown] {
        line(out, format_args!("  {}", show(item)));
    }
    if shown < items.len() {
        line(out, format_args!("  ... and {} more", items.len() - shown));
    }
}

/// `12 added, 3 removed, 40 upgraded, 1 downgraded`, then the image counts
/// that are not zero.
fn summary(c: &Counts) -> String {
    let mut s = format!(
        "{} added, {} removed, {} upgraded, {} downgraded",
        c.added, c.removed, c.upgraded, c.downgraded
    );
    for (n, what) in [
        (c.images_added, "added"),
        (c.images_removed, "removed"),
        (c.images_resized, "resized"),
    ] {
        if n > 0 {
            let noun = if n == 1 { "image" } else { "images" };
            s.push_str(&format!(", {n} {noun} {what}"));
        }
    }
    s
}

/// `^ bash.x86_64 0:5.2.26-3.fc41 -> 0:5.2.37-1.fc41`
fn change_line(mark: char, c: &PackageChange) -> String {
    format!(
        "{mark} {}.{} {} -> {}",
        c.name,
        c.arch,
        evr_of(&c.old, c),
        evr_of(&c.new, c)
    )
}

/// The `epoch:version-release` part of a NEVRA string.
fn evr_of<'s>(nevra: &'s str, c: &PackageChange) -> &'s str {
    nevra
        .strip_prefix(c.name.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(c.arch.as_str()))
        .and_then(|rest| rest.strip_suffix('.'))
        .unwrap_or(nevra)
}

/// `dvd iso Server`, leaving out empty parts.
fn identity(i: &ImageInfo) -> String {
    join_nonempty(&[&i.image_type, &i.format, &i.subvariant])
}

fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `~ image dvd iso Server: 1.9 GiB (+12.4 MiB, +0.6%): old.iso -> new.iso`
fn resize_line(r: &ImageResize) -> String {
    let sign = if r.delta < 0 { '-' } else { '+' };
    let mut change = format!("{sign}{}", human_size(r.delta.unsigned_abs()));
    if r.old_size > 0 {
        let percent = r.delta as f64 / r.old_size as f64 * 100.0;
        change.push_str(&format!(", {percent:+.1}%"));
    }
    let files = if r.old_file_name == r.new_file_name {
        r.new_file_name.clone()
    } else {
        format!("{} -> {}", r.old_file_name, r.new_file_name)
    };
    format!(
        "~ image {}: {} ({change}): {files}",
        join_nonempty(&[&r.image_type, &r.format, &r.subvariant]),
        human_size(r.new_size)
    )
}

/// A size in binary units with one decimal (`512 B`, `12.4 MiB`,
/// `1.9 GiB`), as the diff and the size chart print sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    // 1023.95 would print as 1024.0 of the smaller unit.
    while value >= 1023.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpm(tree: &str, nevra: &str) -> RpmRow {
        let (variant, arch) = tree.split_once('/').unwrap();
        RpmRow {
            variant: variant.to_string(),
            arch: arch.to_string(),
            nevra: Nevra::parse(nevra).unwrap(),
        }
    }

    fn image(tree: &str, kind: &str, file_name: &str, size: u64) -> ImageRow {
        let (variant, arch) = tree.split_once('/').unwrap();
        let mut kind = kind.split(' ');
        ImageRow {
            variant: variant.to_string(),
            arch: arch.to_string(),
            image_type: kind.next().unwrap().to_string(),
            format: kind.next().unwrap().to_string(),
            subvariant: kind.next().unwrap_or("").to_string(),
            file_name: file_name.to_string(),
            size,
        }
    }

    fn side<'a>(
        compose_id: &'a str,
        rpms: &'a [RpmRow],
        images: &'a [ImageRow],
        trees: &'a [(String, String)],
    ) -> Side<'a> {
        Side {
            compose_id,
            rpms,
            images,
            trees,
        }
    }

    const OLD: &str = "Fedora-41-20261101.n.0";
    const NEW: &str = "Fedora-41-20261102.n.0";

    fn rpms_diff(old: &[RpmRow], new: &[RpmRow]) -> ComposeDiff {
        diff(side(OLD, old, &[], &[]), side(NEW, new, &[], &[]), &[])
    }

    fn images_diff(old: &[ImageRow], new: &[ImageRow]) -> ComposeDiff {
        diff(side(OLD, &[], old, &[]), side(NEW, &[], new, &[]), &[])
    }

    fn tree<'d>(d: &'d ComposeDiff, name: &str) -> &'d TreeDiff {
        d.trees
            .iter()
            .find(|t| format!("{}/{}", t.variant, t.arch) == name)
            .unwrap_or_else(|| panic!("no tree {name} in {d:#?}"))
    }

    fn change(name: &str, arch: &str, old: &str, new: &str) -> PackageChange {
        PackageChange {
            name: name.to_string(),
            arch: arch.to_string(),
            old: old.to_string(),
            new: new.to_string(),
        }
    }

    fn counts(added: u64, removed: u64, upgraded: u64, downgraded: u64, unchanged: u64) -> Counts {
        Counts {
            added,
            removed,
            upgraded,
            downgraded,
            unchanged,
            ..Counts::default()
        }
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_higher_epoch_beats_a_higher_version() {
        let old = [rpm("Server/x86_64", "foo-0:9.9-1.fc41.x86_64")];
        let new = [rpm("Server/x86_64", "foo-1:1.0-1.fc41.x86_64")];

        let up = rpms_diff(&old, &new);
        let t = tree(&up, "Server/x86_64");
        assert_eq!(
            t.upgraded,
            [change(
                "foo",
                "x86_64",
                "foo-0:9.9-1.fc41.x86_64",
                "foo-1:1.0-1.fc41.x86_64"
            )]
        );
        assert_eq!(t.counts, counts(0, 0, 1, 0, 0));

        let down = rpms_diff(&new, &old);
        let t = tree(&down, "Server/x86_64");
        assert_eq!(
            t.downgraded,
            [change(
                "foo",
                "x86_64",
                "foo-1:1.0-1.fc41.x86_64",
                "foo-0:9.9-1.fc41.x86_64"
            )]
        );
        assert_eq!(t.counts, counts(0, 0, 0, 1, 0));
    }

    #[test]
    fn tilde_and_caret_versions_follow_rpm_order() {
        let old = [
            rpm("Server/x86_64", "pre-1.0~rc1-1.fc41.x86_64"),
            rpm("Server/x86_64", "snap-1.0^git1-1.fc41.x86_64"),
            rpm("Server/x86_64", "post-1.0-1.fc41.x86_64"),
        ];
        let new = [
            rpm("Server/x86_64", "pre-1.0-1.fc41.x86_64"),
            rpm("Server/x86_64", "snap-1.0-1.fc41.x86_64"),
            rpm("Server/x86_64", "post-1.0^git1-1.fc41.x86_64"),
        ];
        let d = rpms_diff(&old, &new);
        let t = tree(&d, "Server/x86_64");
        assert_eq!(
            t.upgraded,
            [
                change(
                    "post",
                    "x86_64",
                    "post-0:1.0-1.fc41.x86_64",
                    "post-0:1.0^git1-1.fc41.x86_64"
                ),
                change(
                    "pre",
                    "x86_64",
                    "pre-0:1.0~rc1-1.fc41.x86_64",
                    "pre-0:1.0-1.fc41.x86_64"
                ),
            ]
        );
        assert_eq!(
            t.downgraded,
            [change(
                "snap",
                "x86_64",
                "snap-0:1.0^git1-1.fc41.x86_64",
                "snap-0:1.0-1.fc41.x86_64"
            )]
        );
        assert_eq!(t.counts, counts(0, 0, 2, 1, 0));
    }

    #[test]
    fn multilib_and_source_rpms_are_separate_packages() {
        let old = [
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.x86_64"),
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.i686"),
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.src"),
        ];
        let new = [
            rpm("Everything/x86_64", "bash-5.2.37-1.fc41.x86_64"),
            rpm("Everything/x86_64", "bash-5.2.37-1.fc41.src"),
            rpm("Everything/x86_64", "glibc-2.40-9.fc41.i686"),
        ];
        let d = rpms_diff(&old, &new);
        let t = tree(&d, "Everything/x86_64");
        assert_eq!(
            t.upgraded,
            [
                change(
                    "bash",
                    "src",
                    "bash-0:5.2.26-3.fc41.src",
                    "bash-0:5.2.37-1.fc41.src"
                ),
                change(
                    "bash",
                    "x86_64",
                    "bash-0:5.2.26-3.fc41.x86_64",
                    "bash-0:5.2.37-1.fc41.x86_64"
                ),
            ]
        );
        assert_eq!(t.removed, strings(&["bash-0:5.2.26-3.fc41.i686"]));
        assert_eq!(t.added, strings(&["glibc-0:2.40-9.fc41.i686"]));
        assert_eq!(t.counts, counts(1, 1, 2, 0, 0));
    }

    #[test]
    fn every_kind_of_package_change_is_counted_per_tree_and_in_total() {
        let old = [
            rpm("Server/x86_64", "zsh-5.9-1.fc41.x86_64"),
            rpm("Server/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("Server/x86_64", "curl-8.9-1.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
            rpm("Server/x86_64", "gzip-1.13-2.fc41.x86_64"),
            rpm("Server/aarch64", "tar-1.35-4.fc41.aarch64"),
        ];
        let new = [
            rpm("Server/x86_64", "gzip-1.13-2.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
            rpm("Server/x86_64", "vim-9.1-2.fc41.x86_64"),
            rpm("Server/x86_64", "curl-8.8-1.fc41.x86_64"),
            rpm("Server/x86_64", "nano-8.2-1.fc41.x86_64"),
            rpm("Server/x86_64", "htop-3.3-1.fc41.x86_64"),
            rpm("Server/aarch64", "tar-1.35-5.fc41.aarch64"),
        ];
        let d = rpms_diff(&old, &new);
        assert_eq!((d.old.as_str(), d.new.as_str()), (OLD, NEW));

        let t = tree(&d, "Server/x86_64");
        assert_eq!(
            t.added,
            strings(&["htop-0:3.3-1.fc41.x86_64", "nano-0:8.2-1.fc41.x86_64"])
        );
        assert_eq!(t.removed, strings(&["zsh-0:5.9-1.fc41.x86_64"]));
        assert_eq!(
            t.upgraded,
            [change(
                "vim",
                "x86_64",
                "vim-0:9.1-1.fc41.x86_64",
                "vim-0:9.1-2.fc41.x86_64"
            )]
        );
        assert_eq!(
            t.downgraded,
            [change(
                "curl",
                "x86_64",
                "curl-0:8.9-1.fc41.x86_64",
                "curl-0:8.8-1.fc41.x86_64"
            )]
        );
        assert_eq!(t.counts, counts(2, 1, 1, 1, 2));
        assert!(t.changed);

        assert_eq!(tree(&d, "Server/aarch64").counts, counts(0, 0, 1, 0, 0));
        assert_eq!(d.totals, counts(2, 1, 2, 1, 2));
    }

    #[test]
    fn trees_without_changes_are_listed_with_changed_false() {
        let trees_old = [("Server".to_string(), "s390x".to_string())];
        let rows = [
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.x86_64"),
            rpm("Server/x86_64", "bash-5.2.26-3.fc41.x86_64"),
        ];
        let new_rows = [
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.x86_64"),
            rpm("Server/x86_64", "bash-5.2.37-1.fc41.x86_64"),
        ];
        let images = [image(
            "XFCE/aarch64",
            "raw-xz raw.xz XFCE",
            "Fedora-XFCE-41.raw.xz",
            900,
        )];
        let d = diff(
            side(OLD, &rows, &images, &trees_old),
            side(NEW, &new_rows, &images, &[]),
            &[],
        );
        let listed: Vec<(&str, &str, bool)> = d
            .trees
            .iter()
            .map(|t| (t.variant.as_str(), t.arch.as_str(), t.changed))
            .collect();
        assert_eq!(
            listed,
            [
                ("Everything", "x86_64", false),
                ("Server", "s390x", false),
                ("Server", "x86_64", true),
                ("XFCE", "aarch64", false),
            ]
        );
        assert_eq!(tree(&d, "Everything/x86_64").counts, counts(0, 0, 0, 0, 1));
        assert_eq!(tree(&d, "Server/s390x").counts, Counts::default());
        assert_eq!(tree(&d, "XFCE/aarch64").counts, Counts::default());
    }

    #[test]
    fn rows_left_out_as_common_count_as_unchanged() {
        let common = [
            (("Everything".to_string(), "x86_64".to_string()), 250_000),
            (("Server".to_string(), "x86_64".to_string()), 10),
        ];
        let old = [rpm("Server/x86_64", "vim-9.1-1.fc41.x86_64")];
        let new = [rpm("Server/x86_64", "vim-9.1-2.fc41.x86_64")];
        let d = diff(
            side(OLD, &old, &[], &[]),
            side(NEW, &new, &[], &[]),
            &common,
        );

        let everything = tree(&d, "Everything/x86_64");
        assert_eq!(everything.counts, counts(0, 0, 0, 0, 250_000));
        assert!(!everything.changed);
        assert_eq!(tree(&d, "Server/x86_64").counts, counts(0, 0, 1, 0, 10));
        assert_eq!(d.totals, counts(0, 0, 1, 0, 250_010));
    }

    #[test]
    fn several_evrs_drop_the_shared_then_pair_the_highest_and_list_the_rest() {
        let k = |v: &str| rpm("Everything/x86_64", &format!("kernel-{v}.fc41.x86_64"));
        let old = [k("6.10.1-200"), k("6.11.2-300"), k("6.9.0-100")];
        let new = [k("6.11.2-300"), k("6.12.0-100")];
        let d = rpms_diff(&old, &new);
        let t = tree(&d, "Everything/x86_64");
        assert_eq!(t.counts, counts(0, 1, 1, 0, 1));
        assert_eq!(
            t.upgraded,
            [change(
                "kernel",
                "x86_64",
                "kernel-0:6.10.1-200.fc41.x86_64",
                "kernel-0:6.12.0-100.fc41.x86_64"
            )]
        );
        assert_eq!(t.removed, strings(&["kernel-0:6.9.0-100.fc41.x86_64"]));

        // One kernel kept, one more appearing: the new one is added.
        let d = rpms_diff(&old[1..2], &new);
        let t = tree(&d, "Everything/x86_64");
        assert_eq!(t.counts, counts(1, 0, 0, 0, 1));
        assert_eq!(t.added, strings(&["kernel-0:6.12.0-100.fc41.x86_64"]));

        // Two kernels become one older one: the highest pair is a downgrade.
        let d = rpms_diff(&new, &old[2..]);
        let t = tree(&d, "Everything/x86_64");
        assert_eq!(t.counts, counts(0, 1, 0, 1, 0));
        assert_eq!(
            t.downgraded,
            [change(
                "kernel",
                "x86_64",
                "kernel-0:6.12.0-100.fc41.x86_64",
                "kernel-0:6.9.0-100.fc41.x86_64"
            )]
        );
        assert_eq!(t.removed, strings(&["kernel-0:6.11.2-300.fc41.x86_64"]));
    }

    #[test]
    fn the_diff_is_the_same_whether_shared_rows_come_as_rows_or_as_common() {
        let k = |v: &str| rpm("Everything/x86_64", &format!("kernel-{v}.fc41.x86_64"));
        let old = [
            k("6.10.1-200"),
            k("6.11.2-300"),
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.x86_64"),
        ];
        let new = [
            k("6.11.2-300"),
            k("6.12.0-100"),
            rpm("Everything/x86_64", "bash-5.2.26-3.fc41.x86_64"),
        ];
        let full = rpms_diff(&old, &new);

        let common = [(("Everything".to_string(), "x86_64".to_string()), 2)];
        let filtered = diff(
            side(OLD, &old[..1], &[], &[]),
            side(NEW, &new[1..2], &[], &[]),
            &common,
        );
        assert_eq!(full, filtered);
        assert_eq!(full.totals, counts(0, 0, 1, 0, 2));
    }

    #[test]
    fn the_same_nevra_twice_on_a_side_counts_once() {
        let old = [
            rpm("Server/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("Server/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
        ];
        let new = [
            rpm("Server/x86_64", "vim-9.1-2.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
        ];
        let d = rpms_diff(&old, &new);
        assert_eq!(d.totals, counts(0, 0, 1, 0, 1));
    }

    #[test]
    fn evrs_rpm_finds_equal_but_spelt_differently_are_removed_and_added() {
        let old = [rpm("Server/x86_64", "foo-1.01-1.fc41.noarch")];
        let new = [rpm("Server/x86_64", "foo-1.1-1.fc41.noarch")];
        let d = rpms_diff(&old, &new);
        let t = tree(&d, "Server/x86_64");
        assert_eq!(t.counts, counts(1, 1, 0, 0, 0));
        assert_eq!(t.removed, strings(&["foo-0:1.01-1.fc41.noarch"]));
        assert_eq!(t.added, strings(&["foo-0:1.1-1.fc41.noarch"]));
    }

    #[test]
    fn images_are_matched_by_type_format_and_subvariant() {
        let s = "Server/x86_64";
        let old = [
            image(
                s,
                "dvd iso Server",
                "Fedora-Server-dvd-x86_64-20261101.iso",
                2_040_109_465,
            ),
            image(
                s,
                "boot iso Server",
                "Fedora-Server-netinst-x86_64-41.iso",
                800,
            ),
            image(s, "qcow2 qcow2 Cloud", "Fedora-Cloud-20261101.qcow2", 500),
        ];
        let new = [
            image(
                s,
                "boot iso Server",
                "Fedora-Server-netinst-x86_64-41.iso",
                800,
            ),
            image(
                s,
                "dvd iso Server",
                "Fedora-Server-dvd-x86_64-20261102.iso",
                2_053_111_807,
            ),
            image(
                s,
                "raw-xz raw.xz Server",
                "Fedora-Server-20261102.raw.xz",
                700,
            ),
        ];
        let d = images_diff(&old, &new);
        let t = tree(&d, s);
        assert_eq!(
            t.images_resized,
            [ImageResize {
                image_type: "dvd".to_string(),
                format: "iso".to_string(),
                subvariant: "Server".to_string(),
                old_file_name: "Fedora-Server-dvd-x86_64-20261101.iso".to_string(),
                new_file_name: "Fedora-Server-dvd-x86_64-20261102.iso".to_string(),
                old_size: 2_040_109_465,
                new_size: 2_053_111_807,
                delta: 13_002_342,
            }]
        );
        assert_eq!(
            t.images_removed,
            [ImageInfo {
                image_type: "qcow2".to_string(),
                format: "qcow2".to_string(),
                subvariant: "Cloud".to_string(),
                file_name: "Fedora-Cloud-20261101.qcow2".to_string(),
                size: 500,
            }]
        );
        assert_eq!(
            t.images_added,
            [ImageInfo {
                image_type: "raw-xz".to_string(),
                format: "raw.xz".to_string(),
                subvariant: "Server".to_string(),
                file_name: "Fedora-Server-20261102.raw.xz".to_string(),
                size: 700,
            }]
        );
        assert_eq!(
            t.counts,
            Counts {
                images_added: 1,
                images_removed: 1,
                images_resized: 1,
                ..Counts::default()
            }
        );
        assert!(t.changed);
        assert_eq!(d.totals, t.counts);
    }

    #[test]
    fn images_sharing_an_identity_pair_by_file_name_then_by_order() {
        let s = "Labs/x86_64";
        let sizes = |t: &TreeDiff| -> Vec<(String, String, i64)> {
            t.images_resized
                .iter()
                .map(|r| (r.old_file_name.clone(), r.new_file_name.clone(), r.delta))
                .collect()
        };

        // b.iso is on both sides: it pairs with itself, a.iso is removed.
        let old = [
            image(s, "live iso Games", "b.iso", 200),
            image(s, "live iso Games", "a.iso", 100),
        ];
        let new = [image(s, "live iso Games", "b.iso", 150)];
        let d = images_diff(&old, &new);
        let t = tree(&d, s);
        assert_eq!(sizes(t), [("b.iso".into(), "b.iso".into(), -50)]);
        let removed: Vec<&str> = t.images_removed.iter().map(|i| &*i.file_name).collect();
        assert_eq!(removed, ["a.iso"]);
        assert!(t.images_added.is_empty());

        // No equal names: paired in file-name order; the same size is no change.
        let old = [
            image(s, "live iso Games", "x-1101-2.iso", 20),
            image(s, "live iso Games", "x-1101-1.iso", 10),
        ];
        let new = [
            image(s, "live iso Games", "x-1102-1.iso", 11),
            image(s, "live iso Games", "x-1102-2.iso", 20),
            image(s, "live iso Games", "x-1102-3.iso", 30),
        ];
        let d = images_diff(&old, &new);
        let t = tree(&d, s);
        assert_eq!(
            sizes(t),
            [("x-1101-1.iso".into(), "x-1102-1.iso".into(), 1)]
        );
        let added: Vec<&str> = t.images_added.iter().map(|i| &*i.file_name).collect();
        assert_eq!(added, ["x-1102-3.iso"]);
        assert!(t.images_removed.is_empty());

        // Same identity, same size, new file name: unchanged.
        let d = images_diff(&old[..1], &new[1..2]);
        assert!(!tree(&d, s).changed);
    }

    fn sample() -> ComposeDiff {
        let old = [
            rpm("Server/x86_64", "bash-5.2.26-3.fc41.x86_64"),
            rpm("Server/x86_64", "curl-8.9-1.fc41.x86_64"),
            rpm("Server/x86_64", "zsh-5.9-1.fc41.x86_64"),
            rpm("Everything/x86_64", "tar-1.35-4.fc41.x86_64"),
        ];
        let new = [
            rpm("Server/x86_64", "bash-5.2.37-1.fc41.x86_64"),
            rpm("Server/x86_64", "curl-8.8-1.fc41.x86_64"),
            rpm("Server/x86_64", "nano-8.2-1.fc41.x86_64"),
            rpm("Everything/x86_64", "tar-1.35-4.fc41.x86_64"),
        ];
        let s = "Server/x86_64";
        let old_images = [
            image(
                s,
                "dvd iso Server",
                "Server-dvd-20261101.iso",
                2_040_109_465,
            ),
            image(
                s,
                "boot iso Server",
                "Server-netinst-20261101.iso",
                1_048_576,
            ),
        ];
        let new_images = [
            image(
                s,
                "dvd iso Server",
                "Server-dvd-20261102.iso",
                2_053_111_807,
            ),
            image(s, "live iso KDE", "KDE-live-20261102.iso", 2_684_354_560),
        ];
        let trees = [("XFCE".to_string(), "aarch64".to_string())];
        diff(
            side(OLD, &old, &old_images, &trees),
            side(NEW, &new, &new_images, &trees),
            &[],
        )
    }

    #[test]
    fn text_shows_the_totals_each_changed_tree_and_the_unchanged_ones() {
        let expected = "\
Fedora-41-20261101.n.0 -> Fedora-41-20261102.n.0: 1 added, 1 removed, 1 upgraded, 1 downgraded, 1 image added, 1 image removed, 1 image resized
Server/x86_64: 1 added, 1 removed, 1 upgraded, 1 downgraded, 1 image added, 1 image removed, 1 image resized
  + nano-0:8.2-1.fc41.x86_64
  - zsh-0:5.9-1.fc41.x86_64
  ^ bash.x86_64 0:5.2.26-3.fc41 -> 0:5.2.37-1.fc41
  v curl.x86_64 0:8.9-1.fc41 -> 0:8.8-1.fc41
  + image live iso KDE: KDE-live-20261102.iso (2.5 GiB)
  - image boot iso Server: Server-netinst-20261101.iso (1.0 MiB)
  ~ image dvd iso Server: 1.9 GiB (+12.4 MiB, +0.6%): Server-dvd-20261101.iso -> Server-dvd-20261102.iso
unchanged: Everything/x86_64, XFCE/aarch64
";
        assert_eq!(render_text(&sample(), false), expected);
    }

    #[test]
    fn text_cuts_long_lists_after_twenty_lines_unless_verbose() {
        let new: Vec<RpmRow> = (0..25)
            .map(|i| rpm("Server/x86_64", &format!("pkg{i:02}-1.0-1.fc41.noarch")))
            .collect();
        let d = rpms_diff(&[], &new);
        assert_eq!(d.totals.added, 25);

        let short = render_text(&d, false);
        assert_eq!(short.lines().filter(|l| l.starts_with("  + ")).count(), 20);
        assert!(short.contains("  + pkg19-0:1.0-1.fc41.noarch\n  ... and 5 more\n"));
        assert!(!short.contains("pkg20"));
        assert!(short.starts_with(
            "Fedora-41-20261101.n.0 -> Fedora-41-20261102.n.0: 25 added, 0 removed, 0 upgraded, 0 downgraded\n"
        ));

        let long = render_text(&d, true);
        assert_eq!(long.lines().filter(|l| l.starts_with("  + ")).count(), 25);
        assert!(!long.contains("more"));
    }

    #[test]
    fn a_shrunk_image_shows_a_negative_change() {
        let s = "Cloud/x86_64";
        let d = images_diff(
            &[image(s, "qcow2 qcow2", "c.qcow2", 2_147_483_648)],
            &[image(s, "qcow2 qcow2", "c.qcow2", 1_073_741_824)],
        );
        assert!(
            render_text(&d, false)
                .contains("  ~ image qcow2 qcow2: 1.0 GiB (-1.0 GiB, -50.0%): c.qcow2\n")
        );
    }

    #[test]
    fn sizes_are_written_in_binary_units() {
        for (bytes, text) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (1_048_575, "1.0 MiB"),
            (13_002_342, "12.4 MiB"),
            (2_040_109_465, "1.9 GiB"),
            (u64::MAX, "16.0 EiB"),
        ] {
            assert_eq!(human_size(bytes), text, "{bytes}");
        }
    }

    #[test]
    fn the_diff_serializes_to_json_and_back() {
        let d = sample();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["totals"]["upgraded"], 1);
        assert_eq!(json["trees"][1]["variant"], "Server");
        assert_eq!(
            json["trees"][1]["upgraded"][0]["new"],
            "bash-0:5.2.37-1.fc41.x86_64"
        );
        assert_eq!(json["trees"][1]["images_resized"][0]["delta"], 13_002_342);
        assert_eq!(json["trees"][0]["changed"], false);
        let back: ComposeDiff = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn nevra_strings_are_written_as_nevra_displays_them() {
        for text in [
            "bash-0:5.2.26-3.fc41.x86_64",
            "openssl-1:3.2.2-3.fc41.src",
            "perl-Foo-Bar-10:1.0~rc1^git2-0.1.fc41.noarch",
            "x-18446744073709551615:1-1.a",
        ] {
            let nevra = Nevra::parse(text).unwrap();
            assert_eq!(nevra_string(&nevra), nevra.to_string());
            assert_eq!(nevra_string(&nevra), text);
        }
    }

    #[test]
    fn rows_of_trees_mixed_together_diff_as_grouped_rows() {
        let grouped_old = [
            rpm("Server/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("Server/x86_64", "tar-1.35-4.fc41.x86_64"),
            rpm("KDE/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("KDE/x86_64", "kernel-6.11.2-300.fc41.x86_64"),
        ];
        let grouped_new = [
            rpm("Server/x86_64", "vim-9.1-2.fc41.x86_64"),
            rpm("KDE/x86_64", "vim-9.1-1.fc41.x86_64"),
            rpm("KDE/x86_64", "kernel-6.11.2-300.fc41.x86_64"),
            rpm("KDE/x86_64", "kernel-6.12.0-100.fc41.x86_64"),
        ];
        let mixed = |rows: &[RpmRow]| -> Vec<RpmRow> {
            let mut rows = rows.to_vec();
            rows.reverse();
            rows.swap(0, 2);
            rows
        };
        let grouped = rpms_diff(&grouped_old, &grouped_new);
        assert_eq!(
            grouped,
            rpms_diff(&mixed(&grouped_old), &mixed(&grouped_new))
        );
        assert_eq!(
            tree(&grouped, "Server/x86_64").counts,
            counts(0, 1, 1, 0, 0)
        );
        assert_eq!(tree(&grouped, "KDE/x86_64").counts, counts(1, 0, 0, 0, 2));
    }
}
