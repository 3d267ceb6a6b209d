"""Publishes CI messages to RabbitMQ with the real fedora-messaging library
(messages built as ci-messages' CIMessageV1, validated by fedora-messaging's
own schemas before they go: ci-messages reads the CI spec's JSON schemas from
/usr/share/message-schemas/ci, which no PyPI package ships), and reads a
dead-letter queue back with pika.

    bus_messages.py publish N PREFIX   N results messages on the topic
                                       org.centos.PREFIX.ci.koji-build.test.complete
                                       (a test's own), one of them twice
                                       (same message id), and two poisons
    bus_messages.py bulk N PREFIX      N results messages, fast (built by
                                       fedora-messaging, sent with pika)
    bus_messages.py dead QUEUE         the dead-lettered messages as JSON lines
    bus_messages.py collect PATTERN N [QUIET]
                                       binds a queue of its own to PATTERN,
                                       prints "ready", then the first N
                                       messages as JSON lines, stopping when
                                       none came for QUIET seconds (60)
    bus_messages.py drop QUEUE...      deletes the queues
    bus_messages.py sources PREFIX     the model's sources' messages on
                                       org.fedoraproject.PREFIX.*: koji's
                                       (koji-fedoramessaging-messages' TagV1
                                       and BuildStateChangeV1), dist-git's
                                       (pagure-messages), accounts' (noggin-
                                       messages), each validated by its own
                                       schema; pkgdb's in its historical shape
                                       (pkgdb was retired: no schema package)

The broker is ALMANAC_TEST_AMQP_URL (default: guest on 127.0.0.1).
Prints one JSON object per published message: {"id", "topic", "poison"}.
"""

import json
import os
import sys
import tempfile

URL = os.environ.get("ALMANAC_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

conf = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
conf.write(f'amqp_url = "{URL}"\npublish_exchange = "amq.topic"\ntopic_prefix = ""\n'
           '[client_properties]\napp = "almanac tests"\n')
conf.close()
os.environ["FEDORA_MESSAGING_CONF"] = conf.name

import pika  # noqa: E402
from ci_messages.schema import CIMessageV1  # noqa: E402
from fedora_messaging import api  # noqa: E402
from fedora_messaging import message as fm_message  # noqa: E402


# ci-messages' class (registered with fedora-messaging), with the base body
# schema in place of the spec's files, which are not installable here.
CIMessageV1.body_schema = fm_message.Message.body_schema
CIMessage = CIMessageV1


def ci_body(n, artifact_type="koji-build"):
    return {
        "version": "0.2.1",
        "contact": {"name": "Fedora CI", "team": "fedora-ci", "email": "ci@example.org", "docs": "https://docs"},
        "run": {"url": f"https://ci.example.org/run/{n}", "log": f"https://ci.example.org/run/{n}/log"},
        "artifact": {"type": artifact_type, "id": 1000 + n, "nvr": f"pkg{n}-1.0-1.fc41", "component": f"pkg{n}",
                     "issuer": "packager", "scratch": False},
        "test": {"namespace": "fedora-ci.koji-build", "type": "tier0", "category": "functional",
                 "result": "passed" if n % 4 else "failed"},
        "pipeline": {"id": f"p-{n}", "name": "tier0"},
        "generated_at": "2026-12-01T10:00:00Z",
    }


def topic_of(prefix):
    return f"org.centos.{prefix}.ci.koji-build.test.complete"


def publish(count, prefix):
    topic = topic_of(prefix)
    sent = []
    for n in range(count):
        msg = CIMessage(topic=topic, body=ci_body(n))
        msg.id = f"{prefix}-{n}"
        msg.validate()
        api.publish(msg)
        sent.append({"id": msg.id, "topic": topic, "poison": False})
    # The same message id again: a redelivery, which must change nothing.
    again = CIMessage(topic=topic, body=ci_body(0))
    again.id = f"{prefix}-0"
    api.publish(again)
    sent.append({"id": again.id, "topic": topic, "poison": False, "duplicate": True})
    # A message its handler refuses: an artifact type resultsdb-updater does not know.
    bad = CIMessage(topic=topic, body=ci_body(99, artifact_type="tarball"))
    bad.id = f"{prefix}-unknown-artifact"
    api.publish(bad)
    sent.append({"id": bad.id, "topic": topic, "poison": True})
    # A body that is not JSON at all, published with pika.
    conn = pika.BlockingConnection(pika.URLParameters(URL))
    ch = conn.channel()
    ch.basic_publish("amq.topic", topic, b"\x00 this is not json",
                     pika.BasicProperties(message_id=f"{prefix}-not-json", content_type="application/json"))
    conn.close()
    sent.append({"id": f"{prefix}-not-json", "topic": topic, "poison": True})
    for s in sent:
        print(json.dumps(s))


def bulk(count, prefix, start=0):
    """Messages built and validated by fedora-messaging, published in one
    pika connection with publisher confirms (each basic_publish returns once
    the broker has the message); ids from `start` on."""
    topic = topic_of(prefix)
    conn = pika.BlockingConnection(pika.URLParameters(URL))
    ch = conn.channel()
    ch.confirm_delivery()
    for n in range(start, start + count):
        msg = CIMessage(topic=topic, body=ci_body(n))
        msg.id = f"{prefix}-{n}"
        msg.validate()
        ch.basic_publish("amq.topic", topic, json.dumps(msg.body).encode(),
                         pika.BasicProperties(message_id=msg.id, headers=msg._headers,
                                              content_type="application/json", delivery_mode=2))
    conn.close()
    print(count)


def dead(queue):
    conn = pika.BlockingConnection(pika.URLParameters(URL))
    ch = conn.channel()
    while True:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            break
        print(json.dumps({"id": props.message_id, "headers": {k: str(v) for k, v in (props.headers or {}).items()},
                          "routing_key": method.routing_key}))
    conn.close()


def collect(pattern, count, quiet=60):
    conn = pika.BlockingConnection(pika.URLParameters(URL))
    ch = conn.channel()
    queue = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(queue, "amq.topic", pattern)
    print("ready", flush=True)
    got = 0
    for method, props, body in ch.consume(queue, auto_ack=True, inactivity_timeout=quiet):
        if method is None:
            break
        print(json.dumps({"id": props.message_id, "topic": method.routing_key, "body": json.loads(body),
                          "headers": {k: str(v) for k, v in (props.headers or {}).items()}}), flush=True)
        got += 1
        if got == count:
            break
    conn.close()


def sources(prefix):
    from koji_fedoramessaging_messages.build import BuildStateChangeV1
    from koji_fedoramessaging_messages.tag import TagV1
    from noggin_messages import UserCreateV1
    from pagure_messages.git_schema import GitBranchCreationV1
    from pagure_messages.project_schema import ProjectNewV1

    def topic(suffix):
        return f"org.fedoraproject.{prefix}.{suffix}"

    def tag(build_id, name, tag_name, instance="primary"):
        return {"build_id": build_id, "name": name, "tag_id": 41, "instance": instance, "tag": tag_name,
                "user": "bodhi", "version": "1", "owner": "packager", "release": "1.fc41"}

    def state(build_id, name, new):
        return {"name": name, "version": "1", "release": "1", "epoch": None, "attribute": "state",
                "old": 0, "new": new, "build_id": build_id, "task_id": 9000 + build_id, "task": None,
                "request": None, "owner": "packager", "instance": "primary",
                "url": f"https://koji.example.org/koji/buildinfo?buildID={build_id}",
                "creation_time": "2026-12-01T10:00:00+00:00", "completion_time": "2026-12-01T10:10:00+00:00"}

    def project(name):
        return {"id": 1, "name": name, "fullname": f"rpms/{name}", "url_path": f"rpms/{name}",
                "full_url": f"https://src.example.org/rpms/{name}", "description": name, "namespace": "rpms",
                "date_created": "1796119200", "date_modified": "1796119200",
                "user": {"name": "packager", "fullname": "A Packager", "url_path": "user/packager"},
                "tags": [], "close_status": [], "milestones": None}

    def branch(name, branch_name):
        return {"agent": "releng", "repo": project(name), "branch": branch_name, "rev": "abc123", "authors": []}

    pkgdb = {"agent": "releng", "package_listing": {
        "collection": {"branchname": "f41", "koji_name": "f41", "name": "Fedora", "version": "41"},
        "package": {"name": "nano", "namespace": "rpms", "summary": "A small text editor"}}}
    messages = [
        ("tag-bash", TagV1, "buildsys.tag", tag(1, "bash", "f41-updates")),
        ("tag-bash", TagV1, "buildsys.tag", tag(1, "bash", "f41-updates")),
        ("tag-bash-again", TagV1, "buildsys.tag", tag(1, "bash", "f41-updates")),
        ("tag-glibc", TagV1, "buildsys.tag", tag(2, "glibc", "f41-updates")),
        ("tag-testing", TagV1, "buildsys.tag", tag(1, "bash", "f41-updates-testing")),
        ("tag-secondary", TagV1, "buildsys.tag", tag(1, "bash", "f41-updates", "ppc")),
        ("tag-no-build", TagV1, "buildsys.tag", tag(99, "ghost", "f41-updates")),
        ("tag-no-release", TagV1, "buildsys.tag", tag(1, "bash", "f77-updates")),
        ("build-base", BuildStateChangeV1, "buildsys.build.state.change", state(4, "fedora-container-base", 1)),
        ("build-toolbox", BuildStateChangeV1, "buildsys.build.state.change", state(3, "fedora-toolbox", 1)),
        ("build-cloud", BuildStateChangeV1, "buildsys.build.state.change", state(5, "Fedora-Cloud-Base", 1)),
        ("build-failed", BuildStateChangeV1, "buildsys.build.state.change", state(3, "fedora-toolbox", 3)),
        ("build-rpm", BuildStateChangeV1, "buildsys.build.state.change", state(1, "bash", 1)),
        ("project-new", ProjectNewV1, "pagure.project.new", {"agent": "releng", "project": project("python-newpkg")}),
        ("branch-new", GitBranchCreationV1, "pagure.git.branch.creation", branch("python-newpkg", "f41")),
        ("branch-unknown", GitBranchCreationV1, "pagure.git.branch.creation", branch("python-newpkg", "f99")),
        ("pkgdb-new", fm_message.Message, "pkgdb.package.new", pkgdb),
        ("user-new", UserCreateV1, "fas.user.create", {"msg": {"agent": "admin", "user": "alice"}}),
        ("user-again", UserCreateV1, "fas.user.create", {"msg": {"agent": "admin", "user": "alice"}}),
        ("user-bad", UserCreateV1, "fas.user.create", {"msg": {"agent": "admin", "user": "not a name"}}),
    ]
    for key, cls, suffix, body in messages:
        msg = cls(topic=topic(suffix), body=body)
        msg.id = f"{prefix}-{key}"
        msg.validate()
        api.publish(msg)
        print(json.dumps({"id": msg.id, "topic": msg.topic, "class": cls.__name__}), flush=True)


def drop(queues):
    conn = pika.BlockingConnection(pika.URLParameters(URL))
    ch = conn.channel()
    for q in queues:
        ch.queue_delete(q)
    for q in queues:
        if not q.endswith(".dead"):
            ch.exchange_delete(q + ".dlx")
    conn.close()


if __name__ == "__main__":
    try:
        if sys.argv[1] == "publish":
            publish(int(sys.argv[2]), sys.argv[3])
        elif sys.argv[1] == "bulk":
            bulk(int(sys.argv[2]), sys.argv[3], *(int(a) for a in sys.argv[4:5]))
        elif sys.argv[1] == "dead":
            dead(sys.argv[2])
        elif sys.argv[1] == "collect":
            collect(sys.argv[2], int(sys.argv[3]), *(float(a) for a in sys.argv[4:5]))
        elif sys.argv[1] == "sources":
            sources(sys.argv[2])
        elif sys.argv[1] == "drop":
            drop(sys.argv[2:])
    finally:
        os.unlink(conf.name)
