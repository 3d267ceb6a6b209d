//! The artifact graph on both engines: bulk writes with the ensure form,
//! their changesets and events, the in-memory index following every commit,
//! and the recursive-SQL closure agreeing with it.

use almanac_model::artifacts::Edge;
use almanac_model::graph::{Direction, Walk};
use almanac_store::graph::{self, InputSet, NATIVE};
use almanac_store::graph_index::GraphIndex;
use almanac_store::{Actor, Store, StoreError, both_engines, changes};

fn edge(input: &str, artifact: &str, kind: &str) -> Edge {
    Edge {
        input: input.into(),
        artifact: artifact.into(),
        kind: kind.into(),
    }
}

fn set(artifact: &str, inputs: &[(&str, &str)]) -> InputSet {
    InputSet {
        artifact: artifact.into(),
        inputs: inputs
            .iter()
            .map(|(i, k)| (i.to_string(), k.to_string()))
            .collect(),
    }
}

fn ensure(store: &Store, sets: Vec<InputSet>) -> graph::Applied {
    store
        .write_blocking(move |c| {
            let mut ch = Vec::new();
            let a = graph::ensure_inputs(c, &sets, NATIVE, Some(&mut ch))?;
            changes::record(c, &Actor::anonymous("test"), ch)?;
            Ok::<_, StoreError>(a)
        })
        .unwrap()
}

/// Three tiers: glibc and gcc build each other (a cycle), bash and its
/// rpm are built from them, a base image includes the rpm, a layered
/// image is built on the base.
fn distro(store: &Store) {
    ensure(
        store,
        vec![
            set("component:gcc", &[("component:glibc", "build-requires")]),
            set("component:glibc", &[("component:gcc", "build-requires")]),
            set(
                "rpm:bash-5.2-1.fc40.x86_64",
                &[
                    ("component:bash", "built-from"),
                    ("component:glibc", "build-requires"),
                ],
            ),
            set(
                "container:base:40",
                &[("rpm:bash-5.2-1.fc40.x86_64", "includes")],
            ),
            set("container:httpd:40", &[("container:base:40", "base-image")]),
        ],
    );
}

fn count(store: &Store, sql: &'static str) -> i64 {
    store
        .read_blocking(move |c| Ok(c.query_opt(sql, &[])?.unwrap().int(0)?))
        .unwrap()
}

both_engines!(fn ensure_adds_what_is_new_removes_what_is_gone_and_records_it(db) {
    let store = db.store();
    distro(&store);
    assert_eq!(count(&store, "SELECT count(*) FROM graph_edges"), 6);
    let changesets = count(&store, "SELECT count(*) FROM changesets");
    // The same sets again change nothing and record nothing.
    let again = ensure(&store, vec![set("container:httpd:40", &[("container:base:40", "base-image")])]);
    assert_eq!(again, graph::Applied::default());
    assert_eq!(count(&store, "SELECT count(*) FROM changesets"), changesets);
    // The rpm loses a build dependency and gains one.
    let a = ensure(
        &store,
        vec![set(
            "rpm:bash-5.2-1.fc40.x86_64",
            &[("component:bash", "built-from"), ("component:gcc", "build-requires")],
        )],
    );
    assert_eq!((a.added, a.removed, a.artifacts), (1, 1, 1));
    let (old, change): (String, String) = store
        .read_blocking(|c| {
            let mut r = c.query_opt(
                "SELECT old_value, new_value FROM changes WHERE target_class = 'artifactinputs' ORDER BY id DESC LIMIT 1",
                &[],
            )?
            .unwrap();
            Ok((r.text(0)?, r.text(1)?))
        })
        .unwrap();
    assert!(change.contains("component:gcc"), "{change}");
    // The input that went was not named in the request: the change still names it.
    assert!(old.contains("component:glibc") && !old.contains('?'), "{old}");
    assert!(count(&store, "SELECT count(*) FROM outbox WHERE topic = 'almanac.graph.change'") >= 2);
    // Plain removal, and removal of what is not there.
    let gone = store
        .write_blocking(|c| {
            graph::remove_edges(
                c,
                &[
                    edge("container:base:40", "container:httpd:40", "base-image"),
                    edge("component:x", "container:httpd:40", "includes"),
                ],
                NATIVE,
                None,
            )
        })
        .unwrap();
    assert_eq!(gone.removed, 1);
});

both_engines!(fn the_index_follows_commits_and_answers_with_cycles_depths_and_a_three_tier_plan(db) {
    let store = db.store();
    let index = GraphIndex::new();
    distro(&store);
    let reach = store
        .read_blocking(|c| {
            index.query(c, |_, g, _| {
                g.walk("container:httpd:40", Direction::Inputs, &Walk::default())
            })
        })
        .unwrap()
        .unwrap();
    let mut names: Vec<&str> = reach.nodes.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["component:bash", "component:gcc", "component:glibc", "container:base:40", "rpm:bash-5.2-1.fc40.x86_64"]
    );
    assert_eq!(reach.cycles, [vec!["component:gcc", "component:glibc"]]);
    // A depth limit.
    let shallow = store
        .read_blocking(|c| {
            index.query(c, |_, g, _| {
                g.walk(
                    "container:httpd:40",
                    Direction::Inputs,
                    &Walk { max_depth: Some(2), kinds: vec![] },
                )
            })
        })
        .unwrap()
        .unwrap();
    assert_eq!(shallow.nodes.len(), 2);
    assert!(shallow.truncated);
    // The rebuild plan of glibc: the rpm, then the base, then httpd.
    let plan = store
        .read_blocking(|c| index.query(c, |_, g, _| g.rebuild_plan(&["component:glibc"], &[])))
        .unwrap();
    let steps: Vec<Vec<&str>> = plan
        .iter()
        .map(|s| s.iter().map(|r| r.artifact.as_str()).collect())
        .collect();
    assert_eq!(
        steps,
        [
            vec!["component:gcc", "rpm:bash-5.2-1.fc40.x86_64"],
            vec!["container:base:40"],
            vec!["container:httpd:40"]
        ]
    );
    // A write after the index loaded is seen at the next question.
    store
        .write_blocking(|c| {
            graph::add_edges(c, &[edge("rpm:httpd-2.4-1.fc40.x86_64", "container:httpd:40", "includes")], NATIVE, None)
        })
        .unwrap();
    let direct = store
        .read_blocking(|c| index.query(c, |_, g, _| g.inputs_of("container:httpd:40").len()))
        .unwrap();
    assert_eq!(direct, 2);
    // The recursive SQL closure agrees with the index.
    let mut sql: Vec<String> = store
        .read_blocking(|c| graph::closure_sql(c, "container:httpd:40", Direction::Inputs, None))
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    sql.sort_unstable();
    let mut mem: Vec<String> = store
        .read_blocking(|c| {
            index.query(c, |_, g, _| {
                g.walk("container:httpd:40", Direction::Inputs, &Walk::default())
                    .unwrap()
                    .nodes
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>()
            })
        })
        .unwrap();
    mem.sort_unstable();
    assert_eq!(sql, mem);
    let depth2 = store
        .read_blocking(|c| graph::closure_sql(c, "container:httpd:40", Direction::Inputs, Some(1)))
        .unwrap();
    assert_eq!(depth2.len(), 2);
});
