//! Property tests of what reads bus messages: a message from AMQP bytes or a
//! datagrepper line, its route, and each handler's reading of the body
//! (CI results in every form, koji tags and builds, packages, accounts).
//! Any body, or a real one with any value anywhere, is mapped or refused
//! with a reason; none panics.

use almanac_ingest::bus::message::Message;
use almanac_ingest::bus::{builds, ci, packages, people, route};
#[path = "../../model/tests/support/json_strategy.rs"]
mod json_strategy;

use json_strategy::{any_json, replace_one};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Real bodies, one a topic.
fn bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "org.fedoraproject.prod.ci.koji-build.test.complete",
            json!({
                "version": "0.2.1",
                "contact": {"name": "Fedora CI", "team": "fedora-ci", "email": "ci@example.org", "docs": "https://docs"},
                "run": {"url": "https://ci/2", "log": "https://ci/2/log"},
                "artifact": {"type": "koji-build", "id": 55, "nvr": "glibc-2.40-1.fc41", "component": "glibc",
                             "scratch": false, "issuer": "alice", "baseline": "glibc-2.39-1.fc41"},
                "test": {"namespace": "fedora-ci.koji-build", "type": "tier0", "category": "functional",
                         "result": "passed", "note": "fine", "xunit": "https://ci/2/xunit"},
                "pipeline": {"id": "p-1", "name": "tier0"},
                "system": [{"os": "fedora-41", "provider": "openstack", "architecture": "x86_64"}],
                "generated_at": "2026-11-01T10:00:00Z"
            }),
        ),
        (
            "/topic/VirtualTopic.eng.ci.baseos-ci.brew-build.tier1.complete",
            json!({
                "ci": {"name": "BaseOS CI", "team": "BaseOS", "email": "qa@example.com"},
                "run": {"url": "https://ci/run/1", "log": "https://ci/run/1/log"},
                "artifact": {"type": "brew-build", "id": 123, "nvr": "bash-5.2-1.el9", "component": "bash", "scratch": "false"},
                "namespace": "baseos-ci", "type": "tier1", "category": "functional", "status": "pass"
            }),
        ),
        (
            "org.fedoraproject.prod.resultsdb.result.new",
            json!({
                "testcase": {"name": "dist.rpmlint"}, "outcome": "PASSED", "ref_url": "https://ci/3",
                "data": {"item": ["foo-1.0-1.fc41"], "type": ["koji_build"]}, "note": ""
            }),
        ),
        (
            "org.fedoraproject.prod.resultsdb.result.new",
            json!({
                "ref_url": "https://ci/4",
                "results": [{"testcase": "dist.abicheck", "outcome": "FAILED", "data": {"item": "foo-1.0-1.fc41"}}]
            }),
        ),
        (
            "/topic/VirtualTopic.eng.platformci.tier1.result",
            json!({
                "job_name": "ci-rhel", "build_url": "https://jenkins/1", "build_number": 1,
                "CI_NAME": "tier1", "CI_TYPE": "koji-build", "brew_task_id": 7, "nvr": "bash-5.2-1.el9",
                "status": "SUCCESS", "team": "os", "recipients": "alice"
            }),
        ),
        (
            "org.fedoraproject.prod.buildsys.tag",
            json!({
                "build_id": 42, "name": "bash", "version": "5.2.26", "release": "3.fc41", "tag": "f41-updates", "owner": "bodhi"
            }),
        ),
        (
            "org.fedoraproject.prod.buildsys.build.state.change",
            json!({
                "build_id": 43, "name": "fedora-container", "version": "41", "release": "1", "new": 1, "old": 0,
                "owner": "releng", "task_id": 9, "instance": "primary"
            }),
        ),
        (
            "org.fedoraproject.prod.pagure.project.new",
            json!({
                "project": {"name": "bash", "namespace": "rpms", "fullname": "rpms/bash",
                            "description": "The GNU Bourne Again shell", "url_path": "rpms/bash"},
                "agent": "alice"
            }),
        ),
        (
            "org.fedoraproject.prod.pkgdb.package.new",
            json!({
                "package_name": "bash", "package_listing": {"package": {"name": "bash", "namespace": "rpms"},
                                                             "collection": {"branchname": "f41"}}, "agent": "alice"
            }),
        ),
        (
            "org.fedoraproject.prod.fas.user.create",
            json!({"user": "alice", "agent": "alice"}),
        ),
    ]
}

fn message(topic: &str, body: Value) -> Message {
    Message {
        id: "m-1".into(),
        topic: topic.into(),
        headers: json!({}),
        body,
        sent_at: None,
    }
}

fn uuids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("00000000-0000-4000-8000-{n:012}")
    }
}

/// Every reading of `body` on `topic`; each answers, none panics.
fn read_every_way(topic: &str, body: &Value) {
    let _ = route::route(topic, body);
    let m = message(topic, body.clone());
    let _ = ci::ci_umb(&m, &mut uuids());
    let _ = ci::resultsdb_format(&m, &mut uuids());
    let _ = ci::ci_metrics(&m, &mut uuids());
    let _ = builds::tagged(body, None);
    let _ = builds::finished(body, None);
    let _ = packages::read(topic, body);
    let _ = people::new_user(body, "fedoraproject.org");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_body_on_any_topic_is_mapped_or_refused(topic in prop::sample::select(bodies().into_iter().map(|(t, _)| t).collect::<Vec<_>>()), body in any_json()) {
        read_every_way(topic, &body);
    }

    #[test]
    fn a_real_body_with_any_value_anywhere_is_mapped_or_refused(which in 0usize..10, pick in 0usize..40, with in any_json()) {
        let (topic, body) = bodies().swap_remove(which);
        read_every_way(topic, &replace_one(&body, pick, &with));
    }

    #[test]
    fn a_message_from_any_bytes_is_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..300), line in "\\PC{0,200}") {
        let _ = Message::from_amqp("org.fedoraproject.prod.buildsys.tag", Some("id-1"), Map::new(), &bytes);
        let _ = Message::from_datagrepper(&line);
    }

    #[test]
    fn a_datagrepper_line_with_any_body_reads_its_id_and_topic(id in "[a-z0-9-]{1,20}", body in any_json()) {
        let line = json!({"msg_id": id, "topic": "org.fedoraproject.prod.fas.user.create", "msg": body}).to_string();
        let m = Message::from_datagrepper(&line).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.id, id);
    }
}

#[test]
fn the_real_bodies_are_each_mapped() {
    for (topic, body) in bodies() {
        let route = route::route(topic, &body);
        assert!(route.handler().is_some(), "{topic}: {route:?}");
    }
    let (topic, body) = &bodies()[0];
    let mapped = ci::ci_umb(&message(topic, body.clone()), &mut uuids()).unwrap();
    assert_eq!(mapped.bodies[0]["outcome"], "PASSED");
}
