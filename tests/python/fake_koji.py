"""A koji hub for the tests: Python's own XML-RPC server (the protocol koji's
hub speaks, with None as <nil/> and keyword arguments as a last struct marked
"__starstar"), answering getBuild, listRPMs (buildID= or imageID=),
listArchives (buildID=) and listTagged (tag, latest=, inherit=) in koji's
documented shapes, from the builds below.

    fake_koji.py CALLS_FILE    prints the port it listens on (127.0.0.1), then
                               serves until its standard input closes (or 10
                               minutes pass); each call is appended to
                               CALLS_FILE as a JSON line {"method", "args", "kwargs"}
"""

import json
import sys
import threading
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer
from xmlrpc.client import Fault


def build(id, name, version, release, extra=None, owner="packager"):
    nvr = f"{name}-{version}-{release}"
    return {
        "build_id": id, "id": id, "package_id": 100 + id, "package_name": name, "name": name,
        "version": version, "release": release, "epoch": None, "nvr": nvr, "state": 1,
        "task_id": 9000 + id, "owner_id": 7, "owner_name": owner, "volume_id": 0, "volume_name": "DEFAULT",
        "creation_event_id": 50000 + id, "creation_time": "2026-12-01 10:00:00.000000+00:00",
        "creation_ts": 1796119200.0, "start_time": "2026-12-01 09:50:00.000000+00:00",
        "completion_time": "2026-12-01 10:00:00.000000+00:00", "completion_ts": 1796119200.0,
        "source": f"git+https://src.example.org/rpms/{name}.git#abc{id}", "extra": extra,
        "cg_id": None, "cg_name": None,
    }


def rpm(id, build, name, arch):
    return {
        "id": id, "name": name, "version": build["version"], "release": build["release"],
        "nvr": f"{name}-{build['version']}-{build['release']}", "arch": arch, "epoch": None,
        "payloadhash": f"{id:032x}", "size": 1000 + id, "buildtime": 1796119000,
        "build_id": build["id"], "buildroot_id": 3000 + build["id"], "external_repo_id": 0,
        "external_repo_name": "INTERNAL", "metadata_only": False, "extra": None,
    }


def archive(id, build, filename, type_name, btype="image"):
    return {
        "id": id, "build_id": build["id"], "filename": filename, "type_name": type_name,
        "type_id": 1, "btype": btype, "btype_id": 4, "buildroot_id": None, "checksum": f"{id:064x}",
        "checksum_type": 2, "size": 10 ** 6, "metadata_only": False, "extra": None,
    }


BASH = build(1, "bash", "5.2.26", "1.fc41")
GLIBC = build(2, "glibc", "2.40", "1.fc41")
TOOLBOX = build(3, "fedora-toolbox", "41", "1", extra={
    "container_koji_task_id": 777, "image": {"parent_build_id": 4, "parent_builds": {
        "registry.example.org/fedora:41": {"id": 4, "nvr": "fedora-container-base-41-1"}}}})
BASE = build(4, "fedora-container-base", "41", "1", extra={"container_koji_task_id": 776, "image": {}})
CLOUD = build(5, "Fedora-Cloud-Base", "41", "20261201.0", extra={"typeinfo": {"image": {}}})
BUILDS = {b["id"]: b for b in (BASH, GLIBC, TOOLBOX, BASE, CLOUD)}

RPMS = {
    1: [rpm(11, BASH, "bash", "x86_64"), rpm(12, BASH, "bash-doc", "noarch"), rpm(13, BASH, "bash", "src")],
    2: [rpm(21, GLIBC, "glibc", "x86_64"), rpm(22, GLIBC, "glibc", "src")],
}
ARCHIVES = {
    3: [archive(31, TOOLBOX, "docker-image-x86_64.tar.gz", "tar"), archive(32, TOOLBOX, "x86_64.log", "log", "log")],
    4: [archive(41, BASE, "docker-image-base-x86_64.tar.gz", "tar")],
    5: [archive(51, CLOUD, "Fedora-Cloud-Base-41.x86_64.qcow2", "qcow2"), archive(52, CLOUD, "cloud.ks", "ks")],
}
IMAGE_RPMS = {31: [RPMS[1][0], RPMS[2][0]], 41: [RPMS[2][0]], 51: [RPMS[1][0], RPMS[1][1], RPMS[2][0]]}
TAGS = {"f41-updates": [1, 2], "f41": [1]}


class Hub:
    def __init__(self, calls):
        self.calls = calls
        self.lock = threading.Lock()

    def _dispatch(self, method, params):
        params = list(params)
        kwargs = {}
        if params and isinstance(params[-1], dict) and params[-1].get("__starstar"):
            kwargs = dict(params.pop())
            del kwargs["__starstar"]
        with self.lock, open(self.calls, "a") as f:
            f.write(json.dumps({"method": method, "args": params, "kwargs": kwargs}) + "\n")
        handler = getattr(self, "do_" + method, None)
        if handler is None:
            raise Fault(1, f"koji.GenericError: Invalid method: {method}")
        return handler(*params, **kwargs)

    def do_getBuild(self, info, strict=False):
        b = BUILDS.get(info) if isinstance(info, int) else next(
            (b for b in BUILDS.values() if b["nvr"] == info), None)
        if b is None and strict:
            raise Fault(1000, f"koji.GenericError: No such build: {info!r}")
        return b

    def do_listRPMs(self, buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None,
                    hostID=None, arches=None, queryOpts=None, draft=None):
        if buildID is not None:
            return RPMS.get(buildID, [])
        if imageID is not None:
            return IMAGE_RPMS.get(imageID, [])
        return []

    def do_listArchives(self, buildID=None, buildrootID=None, componentBuildrootID=None, hostID=None,
                        type=None, filename=None, size=None, checksum=None, typeInfo=None,
                        queryOpts=None, imageID=None, archiveID=None, strict=False):
        return ARCHIVES.get(buildID, [])

    def do_listTagged(self, tag, event=None, inherit=False, prefix=None, latest=False, package=None,
                      owner=None, type=None, strict=True, extra=False, draft=None):
        if tag not in TAGS:
            raise Fault(1000, f"koji.GenericError: No such tagInfo: {tag!r}")
        return [dict(BUILDS[i], tag_name=tag, tag_id=41) for i in TAGS[tag]]


def main():
    calls = sys.argv[1]

    class Quiet(SimpleXMLRPCRequestHandler):
        rpc_paths = ("/kojihub",)

        def log_message(self, *args):
            pass

    server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=Quiet, allow_none=True, logRequests=False)
    server.register_instance(Hub(calls))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(600)
    server.shutdown()


if __name__ == "__main__":
    main()
