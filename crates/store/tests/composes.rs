//! Composes on both engines: import of productmd files written by the real
//! productmd library (crates/model/tests/data/productmd), re-import, bad
//! files refused with nothing written, diffs, finders and size history.

use almanac_model::productmd::{
    ComposeInfo, ImagesManifest, Nevra, RpmEntry, RpmsWriter, parse_composeinfo, parse_images,
    parse_rpms,
};
use almanac_store::compose_import::{ComposeImport, ImportSummary, import_compose};
use almanac_store::composes::{self, ComposeFilter, RpmFinder, SizeQuery};
use almanac_store::db::Conn;
use almanac_store::{Actor, Store, StoreError, both_engines, changes};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../model/tests/data/productmd")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn count(c: &mut dyn Conn, table: &str) -> i64 {
    c.query_opt(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap()
}

fn counts(store: &Store) -> Vec<i64> {
    store
        .read_blocking(|c| {
            Ok([
                "composes",
                "compose_trees",
                "rpms",
                "compose_rpms",
                "images",
                "compose_images",
                "changesets",
                "outbox",
                "releases",
            ]
            .iter()
            .map(|t| count(c, t))
            .collect())
        })
        .unwrap()
}

/// Imports a compose as the endpoints and the CLI do: one transaction, one changeset.
fn import(
    store: &Store,
    composeinfo: Vec<u8>,
    release_id: Option<&str>,
    rpms: Option<Vec<u8>>,
    images: Option<Vec<u8>>,
) -> Result<ImportSummary, StoreError> {
    let info: ComposeInfo = parse_composeinfo(&composeinfo[..])?;
    let images: Option<ImagesManifest> = images.map(|b| parse_images(&b[..])).transpose()?;
    let text = String::from_utf8(composeinfo).unwrap();
    let release_id = release_id.map(str::to_string);
    store.write_blocking(move |c| {
        let mut changes = Vec::new();
        let mut reader = rpms.as_deref();
        let s = import_compose(
            c,
            ComposeImport {
                info: &info,
                composeinfo_json: &text,
                release_id: release_id.as_deref(),
                rpms: reader.as_mut().map(|r| r as &mut dyn std::io::Read),
                images: images.as_ref(),
                location: None,
            },
            &mut changes,
        )?;
        changes::record(c, &Actor::anonymous("test"), changes)?;
        Ok(s)
    })
}

fn fixture_entries() -> Vec<RpmEntry> {
    let mut out = Vec::new();
    parse_rpms(&fixture("rpms.json")[..], |e| {
        out.push(e);
        Ok::<_, std::convert::Infallible>(())
    })
    .map_err(|e| e.into_productmd())
    .unwrap();
    out
}

both_engines!(fn a_productmd_compose_imports_with_its_release_and_again_changes_nothing(db) {
    let store = db.store();
    let s = import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), Some(fixture("images.json"))).unwrap();
    let entries = fixture_entries();
    assert!(s.created);
    assert_eq!(s.rpms, entries.len() as u64);
    assert_eq!(s.new_rpms, entries.len() as u64);
    assert_eq!(s.images, 6);
    assert_eq!(s.compose.compose_id, "Fedora-41-20261101.0");
    assert_eq!(s.compose.release, "fedora-41");
    assert_eq!(s.compose.compose_date, "2026-11-01");
    assert_eq!(s.compose.compose_type, "production");
    assert_eq!(s.compose.compose_label.as_deref(), Some("RC-1.0"));
    // Signed keys first, unsigned (debuginfo) last, as PDC shows them.
    assert_eq!(s.compose.sigkeys, vec![Some("a15b79cc".to_string()), None]);
    // Three variants on two arches each.
    let arches = |v: &str| s.compose.rtt_tested_architectures[v].keys().cloned().collect::<Vec<_>>();
    assert_eq!(arches("Server"), ["aarch64", "x86_64"]);
    assert_eq!(arches("Server-optional"), ["aarch64", "x86_64"]);
    assert_eq!(arches("Workstation"), ["aarch64", "x86_64"]);
    assert_eq!(s.compose.rpm_count, entries.len() as i64);
    // The release was created from composeinfo, with its variants.
    let release = store.read_blocking(|c| almanac_store::releases::get_release(c, "fedora-41")).unwrap().unwrap();
    assert_eq!(release.compose_set, ["Fedora-41-20261101.0"]);

    let before = counts(&store);
    let again = import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), Some(fixture("images.json"))).unwrap();
    assert!(!again.created);
    assert_eq!((again.new_rpms, again.new_images), (0, 0));
    assert_eq!(counts(&store), before, "a second import wrote something");

    // The manifest read back is the one imported.
    let mut read = Vec::new();
    store.read_blocking(move |c| {
        let mut got = Vec::new();
        composes::for_each_rpm(c, s.compose.pk, |e| { got.push(e); Ok(()) })?;
        Ok(got)
    }).unwrap().into_iter().for_each(|e| read.push(e));
    let key = |e: &RpmEntry| (e.variant.clone(), e.arch.clone(), e.rpm.to_string());
    let mut want = entries;
    want.sort_by_key(key);
    read.sort_by_key(key);
    assert_eq!(read, want);
});

both_engines!(fn a_truncated_or_inconsistent_file_is_refused_with_its_place_and_nothing_written(db) {
    let store = db.store();
    let empty = counts(&store);
    let rpms = fixture("rpms.json");
    let truncated = rpms[..rpms.len() * 2 / 3].to_vec();
    let err = import(&store, fixture("composeinfo.json"), None, Some(truncated), None).unwrap_err();
    let StoreError::Metadata(m) = err else { panic!("{err:?}") };
    assert_eq!(m.file, "rpms.json");
    assert!(m.place.contains("line"), "{m}");
    assert!(m.message.contains("ends too early"), "{m}");
    assert_eq!(counts(&store), empty, "a refused import left rows behind");

    // rpms.json of another compose.
    let other = String::from_utf8(rpms).unwrap().replace("Fedora-41-20261101.0", "Fedora-41-20261102.0");
    let err = import(&store, fixture("composeinfo.json"), None, Some(other.into_bytes()), None).unwrap_err();
    let StoreError::Metadata(m) = err else { panic!("{err:?}") };
    assert_eq!((m.file.as_str(), m.place.as_str()), ("rpms.json", "payload.compose.id"));
    assert!(m.message.contains("Inconsistent data"), "{m}");
    assert_eq!(counts(&store), empty);

    // A release that does not exist and that composeinfo does not describe.
    let err = import(&store, fixture("composeinfo.json"), Some("fedora-99"), Some(fixture("rpms.json")), None).unwrap_err();
    let StoreError::Invalid(m) = err else { panic!("{err:?}") };
    assert_eq!(m.field, "release_id");
    assert!(m.message.contains("'fedora-99' does not exist") && m.message.contains("fedora-41"), "{m}");
    assert_eq!(counts(&store), empty);
});

both_engines!(fn an_arch_almanac_has_not_seen_is_added_and_named(db) {
    let store = db.store();
    let info = String::from_utf8(fixture("composeinfo.json")).unwrap()
        .replacen("\"arches\": [\n                    \"aarch64\",", "\"arches\": [\n                    \"aarch64\", \"loongarch64\",", 1);
    assert!(info.contains("loongarch64"), "the fixture's layout changed");
    let s = import(&store, info.into_bytes(), None, None, None).unwrap();
    assert_eq!(s.new_arches, ["loongarch64"]);
    let trees: usize = s.compose.rtt_tested_architectures.values().map(|a| a.len()).sum();
    assert_eq!(trees, 7);
});

both_engines!(fn an_import_announces_itself_once_in_the_outbox(db) {
    let store = db.store();
    let events = |store: &Store| store.read_blocking(|c| almanac_store::outbox::unpublished(c, 100)).unwrap()
        .into_iter().filter(|e| e.topic == "almanac.compose.import").collect::<Vec<_>>();
    import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), None).unwrap();
    import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), None).unwrap();
    let events = events(&store);
    assert_eq!(events.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(body["compose_id"], "Fedora-41-20261101.0");
    assert_eq!(body["created"], true);
    // A reference, not the rpm list itself.
    assert!(events[0].payload.len() < 300, "{}", events[0].payload);
});

both_engines!(fn a_ci_compose_of_a_layered_release_is_accepted(db) {
    let store = db.store();
    let s = import(&store, fixture("composeinfo-layered.json"), None, None, None).unwrap();
    assert_eq!(s.compose.compose_type, "ci");
    assert_eq!(s.compose.release, "epel-9-updates@rhel-9");
    assert_eq!(s.compose.compose_respin, 2);
});

/// The fixture's rpms with bash upgraded, kernel-core dropped in Server and
/// a new package added: the rpms.json of a later compose.
fn later_rpms(id: &str) -> Vec<u8> {
    let info = parse_composeinfo(&fixture("composeinfo.json")[..]).unwrap();
    let mut header = info.compose.clone();
    header.id = id.to_string();
    let mut entries: Vec<RpmEntry> = fixture_entries()
        .into_iter()
        .filter(|e| !(e.variant == "Server" && e.rpm.name() == "kernel-core"))
        .map(|mut e| {
            if e.srpm.name() == "bash" {
                let bump = |n: &Nevra| {
                    Nevra::parse(&n.to_string().replace("5.2.26-3", "5.2.37-1")).unwrap()
                };
                e.rpm = bump(&e.rpm);
                e.srpm = bump(&e.srpm);
            }
            e
        })
        .collect();
    let src = Nevra::parse("zsh-0:5.9-14.fc41.src").unwrap();
    entries.push(RpmEntry {
        variant: "Workstation".into(),
        arch: "x86_64".into(),
        srpm: src.clone(),
        rpm: Nevra::parse("zsh-0:5.9-14.fc41.x86_64").unwrap(),
        path: "Workstation/x86_64/os/Packages/z/zsh-5.9-14.fc41.x86_64.rpm".into(),
        sigkey: Some("a15b79cc".into()),
        category: "binary".into(),
    });
    entries.sort_by_key(|e| {
        (
            e.variant.clone(),
            e.arch.clone(),
            e.srpm.to_string(),
            e.rpm.to_string(),
        )
    });
    let mut w = RpmsWriter::new(Vec::new(), &header).unwrap();
    for e in &entries {
        w.push(e).unwrap();
    }
    w.finish().unwrap()
}

fn later_compose(id: &str, date: &str) -> Vec<u8> {
    String::from_utf8(fixture("composeinfo.json"))
        .unwrap()
        .replace("Fedora-41-20261101.0", id)
        .replace("20261101", date)
        .replace("RC-1.0", "RC-1.1")
        .into_bytes()
}

both_engines!(fn the_diff_of_two_composes_names_each_change_per_tree(db) {
    let store = db.store();
    import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), Some(fixture("images.json"))).unwrap();
    let images = String::from_utf8(fixture("images.json")).unwrap()
        .replace("Fedora-41-20261101.0", "Fedora-41-20261108.0")
        .replace("20261101", "20261108")
        .replace("2463006720", "2473006720")
        .replace("e8c7a5f1", "e8c7a5f2");
    import(&store, later_compose("Fedora-41-20261108.0", "20261108"), None, Some(later_rpms("Fedora-41-20261108.0")), Some(images.into_bytes())).unwrap();

    let d = store.read_blocking(|c| composes::diff(c, "Fedora-41-20261101.0", "Fedora-41-20261108.0")).unwrap().unwrap();
    let tree = |v: &str, a: &str| d.trees.iter().find(|t| t.variant == v && t.arch == a).unwrap_or_else(|| panic!("{v}/{a}"));
    let server = tree("Server", "x86_64");
    assert!(server.changed);
    assert_eq!(server.removed, ["kernel-core-2:6.11.4-301.fc41.x86_64"]);
    let mut upgraded: Vec<(&str, &str, &str)> = server.upgraded.iter().map(|u| (u.name.as_str(), u.old.as_str(), u.new.as_str())).collect();
    upgraded.sort_unstable();
    assert_eq!(upgraded, [
        ("bash", "bash-0:5.2.26-3.fc41.src", "bash-0:5.2.37-1.fc41.src"),
        ("bash", "bash-0:5.2.26-3.fc41.x86_64", "bash-0:5.2.37-1.fc41.x86_64"),
        ("bash-debuginfo", "bash-debuginfo-0:5.2.26-3.fc41.x86_64", "bash-debuginfo-0:5.2.37-1.fc41.x86_64"),
    ]);
    assert_eq!(server.counts.upgraded, 3);
    assert_eq!(server.images_resized.len(), 1);
    assert_eq!(server.images_resized[0].new_size - server.images_resized[0].old_size, 10_000_000);
    let ws = tree("Workstation", "x86_64");
    assert_eq!(ws.added, ["zsh-0:5.9-14.fc41.x86_64"]);
    assert_eq!(ws.counts.removed, 0);
    // kernel-core stays in Workstation: unchanged there.
    assert_eq!(ws.counts.unchanged, 1);
    assert_eq!(d.totals.added, 1);
    assert_eq!(d.totals.removed, 1);
    assert_eq!(d.totals.downgraded, 0);
    // Every tree of both composes is listed, changed or not.
    assert_eq!(d.trees.len(), 6);

    // Upgraded against, the other way round, is downgraded.
    let back = store.read_blocking(|c| composes::diff(c, "Fedora-41-20261108.0", "Fedora-41-20261101.0")).unwrap().unwrap();
    assert_eq!(back.totals.downgraded, d.totals.upgraded);
    assert_eq!(back.totals.added, d.totals.removed);

    // Which composes hold bash, in compose order; the older one with another bash.
    let found = store.read_blocking(|c| composes::find_composes_by_rpm(c, &RpmFinder {
        releases: vec!["fedora-41".into()], rpm_name: "bash".into(), ..Default::default()
    })).unwrap();
    assert_eq!(found.iter().map(|f| f.compose.as_str()).collect::<Vec<_>>(), ["Fedora-41-20261101.0", "Fedora-41-20261108.0"]);
    assert_eq!(found[1].packages, ["bash-0:5.2.37-1.fc41.aarch64.rpm", "bash-0:5.2.37-1.fc41.src.rpm", "bash-0:5.2.37-1.fc41.x86_64.rpm"]);
    let older = store.read_blocking(|c| {
        let newest = composes::get_compose(c, "Fedora-41-20261108.0")?.unwrap();
        composes::find_older_compose_with_rpm(c, &newest, "bash")
    }).unwrap().unwrap();
    assert_eq!(older.compose, "Fedora-41-20261101.0");

    // The DVD's size across the composes; the previous compose of the newest.
    let sizes = store.read_blocking(|c| composes::image_size_history(c, &SizeQuery {
        release: "fedora-41".into(), variant: "Server".into(), arch: "x86_64".into(),
        image_type: "dvd".into(), format: Some("iso".into()), subvariant: None,
    })).unwrap();
    assert_eq!(sizes.iter().map(|p| p.size).collect::<Vec<_>>(), [2_463_006_720, 2_473_006_720]);
    let prev = store.read_blocking(|c| {
        let newest = composes::get_compose(c, "Fedora-41-20261108.0")?.unwrap();
        composes::previous_compose(c, &newest)
    }).unwrap();
    assert_eq!(prev.as_deref(), Some("Fedora-41-20261101.0"));

    // Filters: by rpm, by date range.
    let by = |f: ComposeFilter| store.read_blocking(move |c| composes::list_composes(c, &f, &[], None)).unwrap().1
        .into_iter().map(|c| c.compose_id).collect::<Vec<_>>();
    assert_eq!(by(ComposeFilter { rpm_name: Some("zsh".into()), ..Default::default() }), ["Fedora-41-20261108.0"]);
    assert_eq!(by(ComposeFilter { rpm_nvrs: vec![("bash".into(), "5.2.26".into(), "3.fc41".into())], ..Default::default() }), ["Fedora-41-20261101.0"]);
    assert_eq!(by(ComposeFilter { date_after: Some("2026-11-02".into()), ..Default::default() }), ["Fedora-41-20261108.0"]);
    assert_eq!(by(ComposeFilter { date_before: Some("2026-11-08".into()), ..Default::default() }).len(), 2);
});

both_engines!(fn a_compose_is_patched_and_marked_deleted_with_its_changes_recorded(db) {
    let store = db.store();
    import(&store, fixture("composeinfo.json"), None, Some(fixture("rpms.json")), None).unwrap();
    let updated = store.write_blocking(|c| {
        let old = composes::get_compose(c, "Fedora-41-20261101.0")?.unwrap();
        let mut ch = Vec::new();
        let mut rtt = std::collections::BTreeMap::new();
        rtt.insert("Server".to_string(), [("x86_64".to_string(), "passed".to_string())].into());
        let new = composes::update_compose(c, &old, &composes::ComposePatch {
            acceptance_testing: Some("passed".into()),
            rtt_tested_architectures: Some(rtt),
            ..Default::default()
        }, &mut ch)?;
        assert_eq!(ch.len(), 1);
        changes::record(c, &Actor::anonymous("test"), ch)?;
        Ok::<_, StoreError>(new)
    }).unwrap();
    assert_eq!(updated.acceptance_testing, "passed");
    assert_eq!(updated.rtt_tested_architectures["Server"]["x86_64"], "passed");
    assert_eq!(updated.rtt_tested_architectures["Server"]["aarch64"], "untested");
    let err = store.write_blocking(|c| {
        let old = composes::get_compose(c, "Fedora-41-20261101.0")?.unwrap();
        composes::update_compose(c, &old, &composes::ComposePatch { acceptance_testing: Some("maybe".into()), ..Default::default() }, &mut Vec::new())
    }).unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(m) if m.field == "acceptance_testing"), "{err:?}");
    let first = store.write_blocking(|c| {
        let old = composes::get_compose(c, "Fedora-41-20261101.0")?.unwrap();
        composes::mark_deleted(c, &old, &mut Vec::new())
    }).unwrap();
    let second = store.write_blocking(|c| {
        let old = composes::get_compose(c, "Fedora-41-20261101.0")?.unwrap();
        composes::mark_deleted(c, &old, &mut Vec::new())
    }).unwrap();
    assert!(first && !second);
    let c = store.read_blocking(|c| composes::get_compose(c, "Fedora-41-20261101.0")).unwrap().unwrap();
    assert!(c.deleted);
});
