//! PDC modules on both engines: saved with their dependencies and rpms,
//! found by PDC's filters, and mirrored into the artifact graph, which
//! follows every update and delete.

use almanac_model::graph::{Direction, Walk};
use almanac_store::graph_index::GraphIndex;
use almanac_store::modules::{self, Dependency, Module, ModuleFilter, ModuleInput};
use almanac_store::packages::{self, RpmInput};
use almanac_store::{Actor, Store, StoreError, both_engines, changes};

fn rpm(store: &Store, name: &str, epoch: i64) -> i64 {
    let input = RpmInput {
        name: name.into(),
        epoch,
        version: "20.1".into(),
        release: "1.module_f41".into(),
        arch: "x86_64".into(),
        srpm_name: "nodejs".into(),
        srpm_nevra: Some("nodejs-20.1-1.module_f41.src".into()),
        srpm_commit_branch: Some("20".into()),
        ..Default::default()
    };
    store
        .write_blocking(move |c| {
            let mut ch = Vec::new();
            Ok::<_, StoreError>(packages::save_rpm(c, None, &input, &mut ch)?.id)
        })
        .unwrap()
}

fn dep(name: &str, stream: &str) -> Dependency {
    Dependency {
        dependency: name.into(),
        stream: stream.into(),
    }
}

fn save(store: &Store, old: Option<Module>, input: ModuleInput) -> Result<Module, StoreError> {
    store.write_blocking(move |c| {
        let mut ch = Vec::new();
        let m = modules::save(c, old.as_ref(), &input, &mut ch)?;
        changes::record(c, &Actor::anonymous("test"), ch)?;
        Ok::<_, StoreError>(m)
    })
}

fn direct_inputs(store: &Store, index: &GraphIndex, node: &str) -> Vec<String> {
    let node = node.to_string();
    let walk = Walk {
        max_depth: Some(1),
        kinds: Vec::new(),
    };
    let mut got: Vec<String> = store
        .read_blocking(|c| {
            index.query(c, |_, g, _| {
                g.walk(&node, Direction::Inputs, &walk)
                    .map(|r| r.nodes.into_iter().map(|(n, _)| n).collect())
                    .unwrap_or_default()
            })
        })
        .unwrap();
    got.sort();
    got
}

both_engines!(fn modules_are_saved_filtered_and_mirrored_into_the_graph(db) {
    let store = db.store();
    let index = GraphIndex::new();
    let nodejs = rpm(&store, "nodejs", 1);
    let npm = rpm(&store, "npm", 0);
    let input = ModuleInput {
        name: "nodejs".into(),
        stream: "20".into(),
        version: "4120241201".into(),
        context: "f41a".into(),
        koji_tag: "module-nodejs-20".into(),
        modulemd: "document: modulemd".into(),
        runtime_deps: vec![dep("platform", "f41")],
        build_deps: vec![dep("platform", "f41"), dep("nodejs", "20")],
        rpms: vec![nodejs, npm],
        ..Default::default()
    };
    let m = save(&store, None, input.clone()).unwrap();
    assert_eq!(m.uid, "nodejs:20:4120241201:f41a");
    assert_eq!(m.rpms, vec!["nodejs-1:20.1-1.module_f41.x86_64.rpm", "npm-0:20.1-1.module_f41.x86_64.rpm"]);
    assert_eq!(m.build_deps, vec![dep("platform", "f41"), dep("nodejs", "20")], "in the order given");
    assert!(matches!(save(&store, None, input.clone()), Err(StoreError::Invalid(_))), "the uid is unique");
    assert!(matches!(save(&store, None, ModuleInput { name: "a:b".into(), ..input.clone() }), Err(StoreError::Invalid(_))));

    let find = |f: ModuleFilter| -> Vec<String> {
        store.read_blocking(move |c| Ok(modules::list(c, &f, &[], None)?.1.into_iter().map(|m| m.uid).collect())).unwrap()
    };
    let uid = vec![m.uid.clone()];
    assert_eq!(find(ModuleFilter { koji_tags: vec!["MODULE-NODEJS-20".into()], ..Default::default() }), uid);
    assert_eq!(find(ModuleFilter { build_dep_names: vec!["platform".into()], ..Default::default() }), uid);
    assert_eq!(find(ModuleFilter { runtime_dep_names: vec!["nodejs".into()], ..Default::default() }), Vec::<String>::new(), "runtime and build are apart");
    assert_eq!(find(ModuleFilter { components: vec!["nodejs/20".into()], ..Default::default() }), uid);
    assert_eq!(find(ModuleFilter { components: vec!["nodejs/19".into()], ..Default::default() }), Vec::<String>::new());
    assert_eq!(find(ModuleFilter { rpm_filenames: vec!["npm-20.1-1.module_f41.x86_64.rpm".into()], ..Default::default() }), uid);
    assert_eq!(find(ModuleFilter { active: Some(true), ..Default::default() }), Vec::<String>::new());

    let node = "module:nodejs:20:4120241201:f41a";
    // Its own stream is not an input of itself.
    assert_eq!(direct_inputs(&store, &index, node), vec![
        "module:platform:f41", "rpm:nodejs-1:20.1-1.module_f41.x86_64", "rpm:npm-20.1-1.module_f41.x86_64",
    ]);
    assert_eq!(direct_inputs(&store, &index, "module:nodejs:20"), vec![node]);

    // An update: one rpm fewer, another stream to run on; the graph follows.
    let updated = save(&store, Some(m.clone()), ModuleInput {
        rpms: vec![nodejs],
        runtime_deps: vec![dep("platform", "f41"), dep("icu", "74")],
        active: true,
        ..input.clone()
    }).unwrap();
    assert!(updated.active);
    assert_eq!(direct_inputs(&store, &index, node), vec![
        "module:icu:74", "module:platform:f41", "rpm:nodejs-1:20.1-1.module_f41.x86_64",
    ]);
    let history = store.read_blocking(move |c| changes::history(c, "module", updated.id)).unwrap();
    assert_eq!(history.len(), 2, "created, then updated");

    let gone = modules::get;
    let current = store.read_blocking(|c| gone(c, "nodejs:20:4120241201:f41a")).unwrap().unwrap();
    store.write_blocking(move |c| {
        let mut ch = Vec::new();
        modules::delete(c, &current, &mut ch)?;
        changes::record(c, &Actor::anonymous("test"), ch)
    }).unwrap();
    assert!(store.read_blocking(|c| modules::get(c, "nodejs:20:4120241201:f41a")).unwrap().is_none());
    assert_eq!(direct_inputs(&store, &index, node), Vec::<String>::new());
    assert_eq!(direct_inputs(&store, &index, "module:nodejs:20"), Vec::<String>::new());
});
