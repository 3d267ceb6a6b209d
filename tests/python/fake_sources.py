"""The sources for the tests, on one port of 127.0.0.1:

- a koji hub at /kojihub: Python's own XML-RPC server (the protocol koji's
  hub speaks, with None as <nil/>, keyword arguments as a last struct marked
  "__starstar", and system.multicall), answering getBuild, listRPMs
  (buildID= or imageID=), listArchives (buildID=) and listTagged (tag,
  latest=, inherit=) in koji's documented shapes;
- dist-git's pagure API: GET /api/0/projects?namespace=&page=&per_page=
  (with pagination.next) and /api/0/<namespace>/<name>/git/branches;
- the account system's FASJSON: GET /fasjson/v1/users/?page_size=&page_number=.

The data are the builds below, or those of DATA_FILE (JSON: {"builds": [...],
"rpms": {build id: [...]}, "tags": {tag: [build ids]}, "projects": {namespace:
[{"name", "branches"}]}, "users": [usernames]}; missing keys keep the builtin).

    fake_sources.py CALLS_FILE [DATA_FILE]
        prints the port it listens on, then serves until its standard input
        closes (or 10 minutes pass); each koji call is appended to CALLS_FILE
        as a JSON line {"method", "args", "kwargs"}
"""

import json
import sys
import threading
from urllib.parse import parse_qs, urlsplit
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
PROJECTS = {"rpms": [{"name": "bash", "branches": ["rawhide", "f41"]}, {"name": "glibc", "branches": ["f41"]}]}
USERS = ["alice", "bob"]


def load(path):
    global BUILDS, RPMS, TAGS, PROJECTS, USERS
    with open(path) as f:
        data = json.load(f)
    if "builds" in data:
        BUILDS = {b["id"]: b for b in data["builds"]}
    if "rpms" in data:
        RPMS = {int(k): v for k, v in data["rpms"].items()}
    if "tags" in data:
        TAGS = data["tags"]
    if "projects" in data:
        PROJECTS = data["projects"]
    if "users" in data:
        USERS = data["users"]


def answer_get(path, query):
    """The JSON a GET answers, or None for a 404."""
    q = {k: v[0] for k, v in parse_qs(query).items()}
    parts = [p for p in path.split("/") if p]
    if parts[:3] == ["api", "0", "projects"]:
        ns = q.get("namespace", "rpms")
        per_page, page = int(q.get("per_page", 20)), int(q.get("page", 1))
        projects = PROJECTS.get(ns, [])
        pages = max(1, -(-len(projects) // per_page))
        chunk = projects[(page - 1) * per_page: page * per_page]
        nxt = None
        if page < pages:
            nxt = f"http://127.0.0.1:{PORT}/api/0/projects?namespace={ns}&fork=false&short=true&per_page={per_page}&page={page + 1}"
        return {"args": {"namespace": ns, "page": page, "per_page": per_page},
                "pagination": {"page": page, "pages": pages, "per_page": per_page, "next": nxt, "prev": None},
                "projects": [{"name": p["name"], "namespace": ns, "fullname": f"{ns}/{p['name']}",
                              "description": p["name"]} for p in chunk],
                "total_projects": len(projects)}
    if len(parts) == 6 and parts[:2] == ["api", "0"] and parts[4:] == ["git", "branches"]:
        ns, name = parts[2], parts[3]
        for p in PROJECTS.get(ns, []):
            if p["name"] == name:
                return {"branches": p["branches"], "total_branches": len(p["branches"])}
        return None
    if parts[:3] == ["fasjson", "v1", "users"]:
        size, number = int(q.get("page_size", 40)), int(q.get("page_number", 1))
        pages = max(1, -(-len(USERS) // size))
        chunk = USERS[(number - 1) * size: number * size]
        return {"result": [{"username": u, "emails": [f"{u}@example.org"], "human_name": u} for u in chunk],
                "page": {"total_results": len(USERS), "page_size": size, "page_number": number, "total_pages": pages}}
    return None


PORT = 0


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
    global PORT
    calls = sys.argv[1]
    if len(sys.argv) > 2:
        load(sys.argv[2])

    class Handler(SimpleXMLRPCRequestHandler):
        rpc_paths = ("/kojihub",)
        protocol_version = "HTTP/1.1"  # keep-alive, as a real hub's web server

        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            body = answer_get(url.path, url.query)
            data = json.dumps(body if body is not None else {"error": "Not found"}).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    from socketserver import ThreadingMixIn

    class Server(ThreadingMixIn, SimpleXMLRPCServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), requestHandler=Handler, allow_none=True, logRequests=False)
    PORT = server.server_address[1]
    server.register_instance(Hub(calls))
    server.register_multicall_functions()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(600)
    server.shutdown()


if __name__ == "__main__":
    main()
