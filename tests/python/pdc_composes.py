"""Drives the real `pdc-client`, `productmd` and `resultsdb-api` libraries
against a running Almanac (ALMANAC_URL) for composes and what is in them, and
checks the answers against PDC's documented behaviour and against the compose
files themselves.

Environment:
    ALMANAC_URL   the server, e.g. http://127.0.0.1:8080
    PDC_TOKEN     a superuser's token
    COMPOSES_DIR  a series written by make_composes.py (with expected.json),
                  every finished compose of which is already imported
    FIXTURES_DIR  crates/model/tests/data/productmd (compose Fedora-41-20261101.0,
                  imported here through the REST API, and a layered ci compose)

What the server answers is compared with what the files say, read with
productmd: nothing is hard-coded about the series but its layout. The checks
that need the series alone (lists, filters, finders, diffs, image sizes) run
before the REST imports add the fixture compose to fedora-41, and the one
DELETE runs last. Prints one line per failed check, then 'N passed, M failed';
exits 1 if any failed.
"""

import functools
import json
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

import productmd.common
import productmd.images
import productmd.rpms
from beanbag import BeanBagException
from pdc_client import PDCClient
from resultsdb_api import ResultsDBapi

BASE = os.environ["ALMANAC_URL"].rstrip("/")
API = BASE + "/rest_api/v1/"
NATIVE = "/api/almanac/v1/"
TOKEN = os.environ["PDC_TOKEN"]
COMPOSES_DIR = os.environ["COMPOSES_DIR"]
FIXTURES_DIR = os.environ["FIXTURES_DIR"]
TIMEOUT = 30
RELEASE = "fedora-41"
SIGKEY = "e99d6ad1"
FIXTURE_ID = "Fedora-41-20261101.0"
LAYERED_RELEASE = "epel-9-updates@rhel-9"


def with_timeout(session):
    """Every request of a requests session gets TIMEOUT unless it names one."""
    session.request = functools.partial(session.request, timeout=TIMEOUT)
    return session


pdc = PDCClient(API, token=TOKEN, ssl_verify=False)
anonymous = PDCClient(API, develop=True, ssl_verify=False)
with_timeout(pdc.session)
with_timeout(anonymous.session)

passed = 0
failed = 0


def short(value, limit=300):
    """A value as one bounded line, for failure messages."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {short(what, 600)}", file=sys.stderr, flush=True)
    return bool(condition)


def section(func):
    """Runs a group of checks; an exception inside counts as one failed check."""
    try:
        func()
    except Exception as e:  # noqa: BLE001 - report and go on with the next group
        where = traceback.extract_tb(e.__traceback__)[-1]
        body = getattr(getattr(e, "response", None), "text", "")
        check(False, f"{func.__name__}: {type(e).__name__}: {e} (line {where.lineno}) {body}")
    return func


# --- HTTP -------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def try_json(self):
        try:
            return self.json()
        except ValueError:
            return None


def http(method, path, body=None, params=None, token=TOKEN, accept="application/json"):
    """A raw request to ALMANAC_URL (path absolute or relative to it) with urllib."""
    url = path if path.startswith("http") else BASE + path
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", accept)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Token " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def rest(method, resource, body=None, params=None, token=TOKEN):
    return http(method, "/rest_api/v1/" + resource, body, params, token)


def native(path, params=None, accept="application/json"):
    return http("GET", NATIVE + path, params=params, accept=accept)


def refused(call, status, body=None, what=""):
    """A pdc_client call must fail with status (and exactly body if given)."""
    try:
        got = call()
    except BeanBagException as e:
        ok = check(e.response.status_code == status,
                   f"{what}: status {e.response.status_code}, expected {status}: {e.response.text}")
        if ok and body is not None:
            check(e.response.json() == body, f"{what}: body {e.response.text} != {body}")
        return e.response
    check(False, f"{what}: expected HTTP {status}, got {short(got)}")
    return None


def expect(resp, status, what):
    return check(resp.status == status, f"{what}: HTTP {resp.status}, expected {status}: {resp.text}")


# --- What the files say -----------------------------------------------------------------------

def metadata_path(cid, name):
    return os.path.join(COMPOSES_DIR, cid, "compose", "metadata", name)


def load(cls, path):
    obj = cls()
    obj.load(path)
    return obj


def loads(cls, value):
    """A productmd object from a JSON value (what the server answered)."""
    obj = cls()
    obj.loads(json.dumps(value))
    return obj


def read_json(path):
    with open(path) as f:
        return json.load(f)


def nvra(nevra):
    return productmd.common.parse_nvra(nevra)


def rpm_entries(rpms):
    """[(variant, arch, srpm_nevra, nevra, entry)] of a productmd Rpms."""
    return [(v, a, s, n, e) for v, arches in sorted(rpms.rpms.items()) for a, srpms in sorted(arches.items())
            for s, entries in sorted(srpms.items()) for n, e in sorted(entries.items())]


def image_set(images):
    """{(variant, arch): {(path, size, type, format, sha256, subvariant)}} of a productmd Images."""
    return {(v, a): {(i.path, i.size, i.type, i.format, i.checksums.get("sha256"), i.subvariant) for i in imgs}
            for v, arches in images.images.items() for a, imgs in arches.items()}


EXPECTED = read_json(os.path.join(COMPOSES_DIR, "expected.json"))
FINISHED = EXPECTED["finished"]
STEPS = EXPECTED["steps"]
TREES = sorted(STEPS[0]["trees"]) if STEPS else []
RPMS = {cid: load(productmd.rpms.Rpms, metadata_path(cid, "rpms.json")) for cid in FINISHED}
IMAGES = {cid: load(productmd.images.Images, metadata_path(cid, "images.json")) for cid in FINISHED}
ENTRIES = {cid: rpm_entries(r) for cid, r in RPMS.items()}
NEVRAS = {cid: {e[3] for e in entries} for cid, entries in ENTRIES.items()}
FIRST, LAST = FINISHED[0], FINISHED[-1]
QE_ID = FINISHED[1] if len(FINISHED) > 1 else FIRST


def compose_date(cid):
    d = RPMS[cid].compose.date
    return f"{d[:4]}-{d[4:6]}-{d[6:]}"


def holders(pred):
    """The composes (in order) holding an rpm entry that satisfies pred(parsed nevra, srpm name)."""
    return [cid for cid in FINISHED
            if any(pred(nvra(n), nvra(s)["name"]) for _, _, s, n, _ in ENTRIES[cid])]


def packages_of(cid, name):
    return sorted({n + ".rpm" for _, _, _, n, _ in ENTRIES[cid] if nvra(n)["name"] == name})


def is_binary(nevra):
    d = nvra(nevra)
    return d["arch"] != "src" and not d["name"].endswith("-debuginfo")


def pick_partial_name():
    """A binary rpm name that some steps added or removed: in some composes, not all."""
    for step in STEPS:
        for tree in sorted(step["trees"]):
            t = step["trees"][tree]
            for nevra in t["added"] + t["removed"]:
                name = nvra(nevra)["name"]
                found = holders(lambda d, s: d["name"] == name)
                if is_binary(nevra) and 0 < len(found) < len(FINISHED):
                    return name
    raise RuntimeError("no step adds or removes a package")


PARTIAL_NAME = pick_partial_name()
PARTIAL_SRPM = next(nvra(s)["name"] for c in FINISHED for _, _, s, n, _ in ENTRIES[c] if nvra(n)["name"] == PARTIAL_NAME)
UPGRADED_OLD = next(nvra(old) for step in STEPS for t in (step["trees"][k] for k in sorted(step["trees"]))
                    for old, _ in t["upgraded"] if is_binary(old))
LAST_UPGRADED = next(nvra(old)["name"] for k in sorted(STEPS[-1]["trees"])
                     for old, _ in STEPS[-1]["trees"][k]["upgraded"] if is_binary(old))


def nvr_of(d):
    return "%s-%s-%s" % (d["name"], d["version"], d["release"])


# --- 1. composes/: list, filters, detail ------------------------------------------------------

def compose_ids(**params):
    return [c["compose_id"] for c in pdc.composes._(page_size=-1, **params)]


@section
def composes_list():
    page = pdc.composes._()
    check(set(page) == {"count", "next", "previous", "results"}, f"composes/ envelope: {sorted(page)}")
    check(page["count"] == len(FINISHED), f"composes/ count {page['count']}, expected {len(FINISHED)}")
    check(compose_ids() == FINISHED, f"page_size=-1: a bare list in compose order: {compose_ids()}")
    paged = [c["compose_id"] for c in pdc.get_paged(pdc.composes._, page_size=2)]
    check(paged == FINISHED, f"get_paged page_size=2: {paged}")
    first = pdc.composes._(page_size=2)
    check(first["previous"] is None and len(first["results"]) == 2 and first["next"] is not None
          and "page=2" in first["next"] and "page_size=2" in first["next"], f"pages: {short(first)}")
    check(anonymous.composes._()["count"] == len(FINISHED), "composes/ without a token")

    def filtered(expected, **params):
        got = compose_ids(**params)
        check(got == expected, f"composes/?{urllib.parse.urlencode(params)}: {got}, expected {expected}")

    filtered(FINISHED, release=RELEASE)
    filtered([], release="fedora-40")
    filtered(FINISHED, compose_type="nightly")
    filtered(FINISHED, compose_type="NIGHTLY")
    filtered([], compose_type="production")
    filtered([FINISHED[1]], compose_date=compose_date(FINISHED[1]))
    filtered(holders(lambda d, s: d["name"] == PARTIAL_NAME), rpm_name=PARTIAL_NAME)
    filtered(holders(lambda d, s: s == PARTIAL_SRPM), srpm_name=PARTIAL_SRPM)
    filtered(holders(lambda d, s: nvr_of(d) == nvr_of(UPGRADED_OLD)), rpm_nvr=nvr_of(UPGRADED_OLD))
    arch_nvra = nvr_of(UPGRADED_OLD) + "." + UPGRADED_OLD["arch"]
    filtered(holders(lambda d, s: nvr_of(d) + "." + d["arch"] == arch_nvra), rpm_nvra=arch_nvra)
    filtered(FINISHED, deleted="false")
    filtered([], deleted="true")
    if len(FINISHED) >= 3:
        lo, hi = compose_date(FINISHED[1]), compose_date(FINISHED[-2])
        filtered(FINISHED[1:-1], compose_date_after=lo, compose_date_before=hi)
        filtered(FINISHED[1:], compose_date_after=lo)
        filtered(FINISHED[:-1], compose_date_before=hi)
    refused(lambda: pdc.composes._(x="1"), 400, {"detail": "Unknown query params: x."}, "composes/?x=1")


@section
def compose_detail():
    got = pdc.composes[FIRST]._()
    rtt = {}
    for tree in TREES:
        variant, arch = tree.split("/")
        rtt.setdefault(variant, {})[arch] = "untested"
    want = {"compose_id": FIRST, "compose_date": compose_date(FIRST), "compose_type": "nightly", "compose_respin": 0,
            "release": RELEASE, "compose_label": None, "deleted": False,
            "rpm_mapping_template": f"{API}composes/{FIRST}/rpm-mapping/{{{{package}}}}/",
            "sigkeys": [SIGKEY, None], "acceptance_testing": "untested", "linked_releases": [],
            "rtt_tested_architectures": rtt}
    check(set(got) == set(want), f"composes/{FIRST}/ fields: {sorted(got)}")
    for key, value in want.items():
        check(got.get(key) == value, f"composes/{FIRST}/ {key}: {short(got.get(key))}, expected {short(value)}")
    check(pdc.composes._(compose_id=FIRST)["results"] == [got], "the list item equals the detail")
    refused(lambda: pdc.composes["Fedora-41-20000101.n.0"]._(), 404, {"detail": "Not found."}, "an unknown compose")
    for cid, status in sorted(EXPECTED["status"].items()):
        if cid not in FINISHED:
            refused(lambda: pdc.composes[cid]._(), 404, what=f"the {status} compose {cid} was not imported")


# --- 3. compose-rpms/, compose-images/ are the manifests --------------------------------------

def diff_rpms(a, b):
    """The first difference between two Rpms, for a message."""
    ea, eb = set(map(repr, rpm_entries(a))), set(map(repr, rpm_entries(b)))
    return f"{len(ea)} vs {len(eb)} entries; only served: {sorted(ea - eb)[:2]}; only in file: {sorted(eb - ea)[:2]}"


@section
def manifests():
    for cid in (FIRST, LAST):
        got = loads(productmd.rpms.Rpms, pdc["compose-rpms"][cid]._())
        check(got.compose.id == cid and got.compose.date == RPMS[cid].compose.date
              and got.compose.type == "nightly" and got.compose.respin == 0, f"compose-rpms/{cid}/ header: {got.compose}")
        check(got.rpms == RPMS[cid].rpms, f"compose-rpms/{cid}/ is rpms.json: {diff_rpms(got, RPMS[cid])}")
        images = loads(productmd.images.Images, pdc["compose-images"][cid]._())
        check(images.compose.id == cid, f"compose-images/{cid}/ header: {images.compose}")
        check(image_set(images) == image_set(IMAGES[cid]), f"compose-images/{cid}/ is images.json: "
              f"{sorted(image_set(images).items())[:1]} vs {sorted(image_set(IMAGES[cid]).items())[:1]}")
    refused(lambda: pdc["compose-rpms"]["nope"]._(), 404, what="compose-rpms/nope/")


# --- 5. rpms/ ---------------------------------------------------------------------------------

def all_nevras():
    return set().union(*NEVRAS.values())


def rpm_nevra(r):
    return "%s-%d:%s-%s.%s" % (r["name"], r["epoch"], r["version"], r["release"], r["arch"])


def linked(nevra):
    return [cid for cid in FINISHED if nevra in NEVRAS[cid]]


@section
def rpms_list():
    glibc = pdc.rpms._(name="^glibc$", page_size=-1)
    want = sorted(n for n in all_nevras() if nvra(n)["name"] == "glibc")
    check(sorted(map(rpm_nevra, glibc)) == want, f"rpms/?name=^glibc$: {sorted(map(rpm_nevra, glibc))}, expected {want}")
    prefix = pdc.rpms._(name="^glibc", page_size=-1)
    check({r["name"] for r in prefix} >= {"glibc", "glibc-common", "glibc-langpack-en", "glibc-debuginfo"},
          f"rpms/?name=^glibc is a regex: {sorted({r['name'] for r in prefix})}")
    both = pdc.rpms._(name=["^bash$", "^zsh$"], page_size=-1)
    check({r["name"] for r in both} == {"bash", "zsh"}, "rpms/?name=..&name=.. is OR")
    refused(lambda: pdc.rpms._(name="(unclosed"), 400, what="rpms/?name=(unclosed: an invalid regex")

    src = pdc.rpms._(arch="src")
    want_src = sum(1 for n in all_nevras() if nvra(n)["arch"] == "src")
    check(src["count"] == want_src, f"rpms/?arch=src count {src['count']}, expected {want_src}")
    check(all(r["arch"] == "src" and r["srpm_nevra"] is None for r in src["results"]), "src rpms have no srpm_nevra")

    in_first = pdc.rpms._(compose=FIRST, page_size=-1)
    check(sorted(map(rpm_nevra, in_first)) == sorted(NEVRAS[FIRST]),
          f"rpms/?compose={FIRST}: {len(in_first)} rpms, expected {len(NEVRAS[FIRST])}")
    check(all(FIRST in r["linked_composes"] for r in in_first), "each rpm of a compose links it")
    wrong = [rpm_nevra(r) for r in in_first if r["linked_composes"] != linked(rpm_nevra(r))]
    check(not wrong, f"linked_composes are the composes holding each rpm, in compose order: {wrong[:3]}")

    by_srpm = pdc.rpms._(srpm_name=PARTIAL_SRPM, page_size=-1)
    want = sorted(n for c in FINISHED for _, _, s, n, _ in ENTRIES[c] if nvra(s)["name"] == PARTIAL_SRPM)
    check(sorted(map(rpm_nevra, by_srpm)) == sorted(set(want)), f"rpms/?srpm_name={PARTIAL_SRPM}: {short(by_srpm)}")

    binary = next(r for r in glibc if r["arch"] != "src")
    source = next(r for r in glibc if r["arch"] == "src")
    got = pdc.rpms[str(binary["id"])]._()
    fields = {"id", "name", "version", "epoch", "release", "arch", "srpm_name", "srpm_nevra", "filename",
              "linked_releases", "linked_composes", "dependencies", "built_for_release",
              "srpm_commit_hash", "srpm_commit_branch"}
    check(set(got) == fields, f"rpms/<id>/ fields: {sorted(got)}")
    d = nvra(rpm_nevra(got))
    check(got["filename"] == "%s-%s-%s.%s.rpm" % (d["name"], d["version"], d["release"], d["arch"]),
          f"rpms/<id>/ filename: {got['filename']}")
    check(got["srpm_name"] == "glibc" and isinstance(got["epoch"], int)
          and got["srpm_nevra"] == "glibc-%d:%s-%s.src" % (got["epoch"], got["version"], got["release"]),
          f"rpms/<id>/ srpm_name, srpm_nevra, epoch: {short(got)}")
    check(got["linked_composes"] == linked(rpm_nevra(got)), f"rpms/<id>/ linked_composes: {got['linked_composes']}")
    check(pdc.rpms[str(source["id"])]._()["srpm_nevra"] is None, "a src rpm's srpm_nevra is null")


# --- 6. images/ -------------------------------------------------------------------------------

IMAGE_FIELDS = {"file_name", "image_format", "image_type", "disc_number", "disc_count", "arch", "mtime", "size",
                "bootable", "implant_md5", "volume_id", "md5", "sha1", "sha256", "composes", "subvariant"}


def file_images(cid, pred=lambda i: True):
    """{(file name, sha256, size, type, format, arch)} of a compose's images.json."""
    return {(os.path.basename(i.path), i.checksums["sha256"], i.size, i.type, i.format, i.arch)
            for arches in IMAGES[cid].images.values() for imgs in arches.values() for i in imgs if pred(i)}


def served_images(items):
    return {(i["file_name"], i["sha256"], i["size"], i["image_type"], i["image_format"], i["arch"]) for i in items}


@section
def images_list():
    dvd = pdc.images._(image_type="dvd", page_size=-1)
    want = set().union(*(file_images(c, lambda i: i.type == "dvd") for c in FINISHED))
    check(served_images(dvd) == want, f"images/?image_type=dvd: {len(dvd)} images, expected {len(want)}")
    mine = pdc.images._(compose=FIRST, page_size=-1)
    check(served_images(mine) == file_images(FIRST) and len(mine) == EXPECTED["image_counts"][FIRST],
          f"images/?compose={FIRST}: {len(mine)} images, expected {EXPECTED['image_counts'][FIRST]}")
    check(all(set(i) == IMAGE_FIELDS for i in mine), f"images/ fields: {sorted(mine[0]) if mine else None}")
    check(all(i["composes"] == [FIRST] for i in mine), f"each image lists its compose: {[i['composes'] for i in mine][:3]}")
    x86 = pdc.images._(compose=FIRST, arch="x86_64", page_size=-1)
    check(served_images(x86) == file_images(FIRST, lambda i: i.arch == "x86_64"), f"images/?compose=&arch=x86_64: {len(x86)}")


# --- 7. finders, 8. rpm-mapping ---------------------------------------------------------------

def finder_want(name):
    """What the finders answer for an rpm name: the composes holding it, in order, with its rpms there."""
    return [{"compose": c, "packages": packages_of(c, name)} for c in FINISHED if packages_of(c, name)]


def sorted_packages(found):
    return [{"compose": x["compose"], "packages": sorted(x["packages"])} for x in found]


@section
def finders():
    by_release = pdc.rpc["find-compose-by-release-rpm"][RELEASE][PARTIAL_NAME]._()
    want = finder_want(PARTIAL_NAME)
    check(sorted_packages(by_release) == want, f"find-compose-by-release-rpm/{RELEASE}/{PARTIAL_NAME}/: "
          f"{short(by_release)}, expected {short(want)}")
    check([x["compose"] for x in by_release] == [x["compose"] for x in want], "the finder's compose order")
    latest = pdc.rpc["find-compose-by-release-rpm"][RELEASE][PARTIAL_NAME]._(latest="true")
    check(sorted_packages(latest) == want[-1:], f"?latest=true: {short(latest)}")
    as_dicts = pdc.rpc["find-compose-by-release-rpm"][RELEASE][PARTIAL_NAME]._(to_dict="true")
    check([x["compose"] for x in as_dicts] == [x["compose"] for x in want]
          and all(isinstance(p, dict) and p.get("name") == PARTIAL_NAME for x in as_dicts for p in x["packages"])
          and [sorted(rpm_nevra(p) + ".rpm" for p in x["packages"]) for x in as_dicts] == [x["packages"] for x in want],
          f"?to_dict=true: {short(as_dicts)}")
    refused(lambda: pdc.rpc["find-compose-by-release-rpm"]["nope-1"][PARTIAL_NAME]._(), 404, what="an unknown release")

    by_version = pdc.rpc["find-composes-by-product-version-rpm"][RELEASE][PARTIAL_NAME]._()
    check(sorted_packages(by_version) == want, f"find-composes-by-product-version-rpm: {short(by_version)}")

    older = pdc.rpc["find-older-compose-by-compose-rpm"][LAST][LAST_UPGRADED]._()
    previous = STEPS[-1]["old"]
    check(isinstance(older, dict) and older.get("compose") == previous
          and sorted(older.get("packages", [])) == packages_of(previous, LAST_UPGRADED),
          f"find-older-compose-by-compose-rpm/{LAST}/{LAST_UPGRADED}/: {short(older)}, expected {previous} "
          f"{packages_of(previous, LAST_UPGRADED)}")
    refused(lambda: pdc.rpc["find-older-compose-by-compose-rpm"][FIRST][LAST_UPGRADED]._(), 404,
            what="no compose older than the first")


def server_only_source():
    """A source package of FIRST in Server/x86_64 but not in Workstation/x86_64."""
    def sources(variant):
        return {nvra(s)["name"] for v, a, s, _, _ in ENTRIES[FIRST] if (v, a) == (variant, "x86_64")}
    return sorted(sources("Server") - sources("Workstation"))[0]


@section
def rpm_mapping():
    package = server_only_source()
    want = {}
    for variant, arch, srpm, nevra, _ in ENTRIES[FIRST]:
        if nvra(srpm)["name"] == package:
            d = nvra(nevra)
            arches = want.setdefault(variant, {}).setdefault(arch, {}).setdefault(d["name"], [])
            arches.append(d["arch"])
    for variant in want.values():
        for names in variant.values():
            for name in names:
                names[name] = sorted(set(names[name]))
    got = pdc.composes[FIRST]["rpm-mapping"][package]._()
    normalized = {v: {a: {n: sorted(x) for n, x in names.items()} for a, names in arches.items()}
                  for v, arches in got.items()} if isinstance(got, dict) else got
    check(normalized == want, f"composes/{FIRST}/rpm-mapping/{package}/: {short(got)}, expected {short(want)}")
    check("Server" in got and "Workstation" not in got, f"rpm-mapping of a Server package: {sorted(got)}")


@section
def mapping_writes_and_overrides():
    """rpm-mapping PUT (the override changes a wanted mapping needs; ?perform=1
    makes them), PATCH (a list of changes), overrides/rpm/ and its clone RPC."""
    package = server_only_source()
    path = f"composes/{FIRST}/rpm-mapping/{package}/"
    mapping = pdc.composes[FIRST]["rpm-mapping"][package]._()
    variant = "Server"
    arch = "x86_64" if "x86_64" in mapping.get(variant, {}) else sorted(mapping[variant])[0]
    names = mapping[variant][arch]
    dropped = sorted(names)[0]
    wanted = json.loads(json.dumps(mapping))
    del wanted[variant][arch][dropped]
    wanted[variant][arch]["%s-extra" % package] = ["noarch"]
    preview = rest("PUT", path, wanted)
    if expect(preview, 200, f"PUT {path}"):
        got = sorted((a["action"], a["rpm_name"], a["include"], a["release_id"], a["srpm_name"]) for a in preview.json())
        want = sorted([("create", dropped, False, RELEASE, package)] * len(names[dropped])
                      + [("create", "%s-extra" % package, True, RELEASE, package)])
        check(got == want, f"the changes a wanted mapping needs: {got} != {want}")
    check(pdc.composes[FIRST]["rpm-mapping"][package]._() == mapping, "PUT without perform changes nothing")
    expect(rest("PUT", path, wanted, params={"perform": "1"}), 200, f"PUT {path}?perform=1")
    after = pdc.composes[FIRST]["rpm-mapping"][package]._()
    check(dropped not in after[variant][arch] and after[variant][arch].get("%s-extra" % package) == ["noarch"],
          f"the mapping after perform: {short(after)}")
    raw = pdc.composes[FIRST]["rpm-mapping"][package]._(disable_overrides=1)
    check(raw == mapping, "disable_overrides shows the compose's own mapping")
    listed = pdc["overrides/rpm"]._(release=RELEASE, srpm_name=package, page_size=-1)
    check(len(listed) == len(names[dropped]) + 1 and all(o["srpm_name"] == package for o in listed),
          f"overrides/rpm/?release=&srpm_name=: {short(listed)}")
    # PATCH takes changes: delete the inclusion again.
    patch = [{"action": "delete", "variant": variant, "arch": arch, "srpm_name": package,
              "rpm_name": "%s-extra" % package, "rpm_arch": "noarch"}]
    expect(rest("PATCH", path, patch), 204, f"PATCH {path}")
    check("%s-extra" % package not in pdc.composes[FIRST]["rpm-mapping"][package]._()[variant][arch],
          "PATCH delete removed the inclusion")
    bad = rest("PATCH", path, [dict(patch[0], action="maybe")])
    check(bad.status == 400 and "maybe" in bad.text, f"PATCH with a bad action: {bad.status} {bad.text}")
    nothing = rest("PATCH", path, patch)
    check(nothing.status == 400, f"PATCH deleting an override that is not there: {nothing.status} {nothing.text}")
    # Overrides directly, then cloned into another release.
    created = pdc["overrides/rpm"]._({"release": RELEASE, "variant": variant, "arch": arch, "srpm_name": package,
                                      "rpm_name": "%s-more" % package, "rpm_arch": "x86_64", "include": True,
                                      "comment": "wanted by QA"})
    check(created.get("include") is True and created.get("comment") == "wanted by QA" and created.get("do_not_delete") is False,
          f"POST overrides/rpm/: {short(created)}")
    refused(lambda: pdc["overrides/rpm"]._({"release": RELEASE, "variant": variant, "arch": arch, "srpm_name": package,
                                             "rpm_name": "%s-more" % package, "rpm_arch": "x86_64", "include": True}),
            400, what="the same override twice")
    refused(lambda: anonymous["overrides/rpm"]._({"release": RELEASE}), 401, what="overrides without a token")
    check([o["id"] for o in pdc["overrides/rpm"]._(comment="QA", page_size=-1)] == [created["id"]], "comment filter")
    pdc.releases._({"short": "fedora", "version": "42", "name": "Fedora", "release_type": "ga"})
    clone = rest("POST", "rpc/overrides-rpm/clone/", {"source_release_id": RELEASE, "target_release_id": "fedora-42"})
    if expect(clone, 201, "rpc/overrides-rpm/clone/"):
        check(len(clone.json()) == len(pdc["overrides/rpm"]._(release=RELEASE, page_size=-1))
              and {o["release"] for o in clone.json()} == {"fedora-42"}, f"cloned overrides: {short(clone.json())}")
    again = rest("POST", "rpc/overrides-rpm/clone/", {"source_release_id": RELEASE, "target_release_id": "fedora-42"})
    check(again.status == 200 and "existed" in again.text, f"cloning again: {again.status} {again.text}")
    pdc["overrides/rpm"][created["id"]]._("DELETE", {})
    check(pdc["overrides/rpm"]._(comment="QA", release=RELEASE, page_size=-1) == [], "DELETE overrides/rpm/<id>/")
    # The release's mapping is its newest compose's.
    rel = pdc.releases[RELEASE]["rpm-mapping"][package]._(disable_overrides=1)
    newest = pdc.composes[LAST]["rpm-mapping"][package]._(disable_overrides=1)
    check(rel == newest, "releases/<id>/rpm-mapping/ follows the newest compose")


@section
def rtt_tests():
    """compose-tree-rtt-tests/ and compose-image-rtt-tests/."""
    trees = pdc["compose-tree-rtt-tests"]._(compose=FIRST, page_size=-1)
    check(len(trees) == 12 and {t["test_result"] for t in trees} <= {"untested", "passed"},
          f"compose-tree-rtt-tests/?compose=: {len(trees)} trees")
    pdc["compose-tree-rtt-tests"][FIRST]["Everything"]["aarch64"]._("PATCH", {"test_result": "failed"})
    check(pdc.composes[FIRST]._()["rtt_tested_architectures"]["Everything"]["aarch64"] == "failed",
          "a tree's test result shows on the compose")
    images = pdc["compose-image-rtt-tests"]._(compose=FIRST, page_size=-1)
    check(len(images) == EXPECTED["image_counts"][FIRST], f"compose-image-rtt-tests/?compose=: {len(images)}")
    one = images[0]
    key = [one["compose"], one["variant"], one["arch"], one["file_name"]]
    got = pdc["compose-image-rtt-tests"][key[0]][key[1]][key[2]][key[3]]._("PATCH", {"test_result": "passed"})
    check(got.get("test_result") == "passed", f"PATCH an image's test result: {short(got)}")
    check([i["file_name"] for i in pdc["compose-image-rtt-tests"]._(compose=FIRST, test_result="passed", page_size=-1)]
          == [one["file_name"]], "test_result filter")
    refused(lambda: pdc["compose-image-rtt-tests"][key[0]][key[1]][key[2]][key[3]]._("PATCH", {"test_result": "maybe"}),
            400, what="a bad test result")


# --- 9. diff, 10. image sizes, 11. produced ---------------------------------------------------

def tree_packages(cid, tree):
    """{(name, arch): nevra} of one tree ("Server/x86_64") of a compose, from its rpms.json."""
    variant, arch = tree.split("/")
    return {(nvra(n)["name"], nvra(n)["arch"]): n for v, a, _, n, _ in ENTRIES[cid] if (v, a) == (variant, arch)}


def unchanged(old, new, tree):
    before, after = tree_packages(old, tree), tree_packages(new, tree)
    return sum(1 for k in before if after.get(k) == before[k])


def served_tree(tree):
    return {"changed": tree.get("changed"),
            "added": sorted(tree.get("added", [])),
            "removed": sorted(tree.get("removed", [])),
            "upgraded": sorted([u["old"], u["new"]] for u in tree.get("upgraded", [])),
            "downgraded": sorted([u["old"], u["new"]] for u in tree.get("downgraded", [])),
            "images_resized": sorted([i["old_file_name"], i["new_file_name"], i["old_size"], i["new_size"]]
                                     for i in tree.get("images_resized", [])),
            "images_added": tree.get("images_added"), "images_removed": tree.get("images_removed")}


def expected_tree(tree):
    return {"changed": tree["changed"], "added": tree["added"], "removed": tree["removed"],
            "upgraded": sorted(tree["upgraded"]), "downgraded": sorted(tree["downgraded"]),
            "images_resized": sorted([os.path.basename(a), os.path.basename(b), x, y]
                                     for a, b, x, y in tree["images_resized"]),
            "images_added": [], "images_removed": []}


@section
def diffs():
    for step in STEPS:
        old, new = step["old"], step["new"]
        resp = native(f"composes/{new}/diff", {"against": old})
        if not expect(resp, 200, f"diff {new} against {old}"):
            continue
        got = resp.json()
        check(got.get("old") == old and got.get("new") == new, f"diff {old} -> {new}: old/new {got.get('old')} {got.get('new')}")
        trees = {"%s/%s" % (t["variant"], t["arch"]): t for t in got.get("trees", [])}
        check(sorted(trees) == sorted(step["trees"]), f"diff {old} -> {new}: trees {sorted(trees)}")
        for key in sorted(step["trees"]):
            have, want = served_tree(trees.get(key, {})), expected_tree(step["trees"][key])
            have["unchanged"] = trees.get(key, {}).get("counts", {}).get("unchanged")
            want["unchanged"] = unchanged(old, new, key)
            wrong = [f for f in want if have[f] != want[f]]
            check(not wrong, f"diff {old} -> {new} {key}: " +
                  "; ".join(f"{f} {short(have[f], 150)} != {short(want[f], 150)}" for f in wrong))
        totals = got.get("totals", {})
        for field in ("added", "removed", "upgraded", "downgraded", "images_resized"):
            want = sum(len(t[field]) for t in step["trees"].values())
            check(totals.get(field) == want, f"diff {old} -> {new} totals.{field}: {totals.get(field)}, expected {want}")
        want = sum(unchanged(old, new, key) for key in step["trees"])
        check(totals.get("unchanged") == want, f"diff {old} -> {new} totals.unchanged: {totals.get('unchanged')}, expected {want}")
        check(totals.get("images_added") == 0 and totals.get("images_removed") == 0,
              f"diff {old} -> {new}: no image added or removed: {short(totals)}")
        counts_ok = all(t.get("counts", {}).get(f) == len(t.get(f, [])) for t in got.get("trees", [])
                        for f in ("added", "removed", "upgraded", "downgraded", "images_resized"))
        check(counts_ok, f"diff {old} -> {new}: each tree's counts are its lists' lengths")

    if not STEPS:
        return
    last = STEPS[-1]
    explicit = native(f"composes/{last['new']}/diff", {"against": last["old"]}).try_json()
    implicit = native(f"composes/{last['new']}/diff")
    check(implicit.status == 200 and implicit.try_json() == explicit,
          f"diff without against compares with the previous compose: {implicit.status} {short(implicit.text)}")
    quiet = next((s for s in STEPS if not all(t["changed"] for t in s["trees"].values())), last)
    text = native(f"composes/{quiet['new']}/diff", {"against": quiet["old"], "format": "text"}, accept="*/*")
    check(text.status == 200 and text.headers.get("Content-Type", "").startswith("text/plain"),
          f"diff format=text: {text.status} {text.headers.get('Content-Type')}")
    check(text.text.startswith(f"{quiet['old']} -> {quiet['new']}:"), f"diff text starts: {text.text[:120]}")
    quiet_trees = sorted(k for k, t in quiet["trees"].items() if not t["changed"])
    noted = " ".join(line for line in text.text.splitlines() if "unchanged" in line)
    check(quiet_trees and all(k in noted for k in quiet_trees), f"diff text names the unchanged trees {quiet_trees}: {noted!r}")
    headed = {line.split(": ")[0] for line in text.text.splitlines()[1:] if not line.startswith(" ")}
    changed = sorted(k for k, t in quiet["trees"].items() if t["changed"])
    check(set(changed) <= headed, f"diff text has a line for each changed tree: {sorted(set(changed) - headed)}")
    for path, params in ((f"composes/Fedora-41-20000101.n.0/diff", None),
                         (f"composes/{LAST}/diff", {"against": "Fedora-41-20000101.n.0"})):
        missing = native(path, params)
        body = missing.try_json()
        check(missing.status == 404 and isinstance(body, dict) and isinstance(body.get("message"), str),
              f"{path} {params}: {missing.status} {missing.text}")


SIZE_KEY = "Server/x86_64/dvd/iso/Server"
SIZE_PARAMS = {"release": RELEASE, "variant": "Server", "arch": "x86_64", "image_type": "dvd", "format": "iso",
               "subvariant": "Server"}


def dvd_file_name(cid):
    return next(os.path.basename(i.path) for i in IMAGES[cid].images["Server"]["x86_64"] if i.type == "dvd")


@section
def image_sizes():
    resp = native("image-sizes", SIZE_PARAMS)
    if expect(resp, 200, "image-sizes"):
        got = resp.json()
        points = got.get("points", [])
        query = got.get("query")
        check(isinstance(query, dict) and all(query.get(k) == v for k, v in SIZE_PARAMS.items()),
              f"image-sizes query echoes the parameters: {short(query)}")
        check([[p["compose_id"], p["size"]] for p in points] == EXPECTED["image_sizes"][SIZE_KEY],
              f"image-sizes points: {short(points)}")
        check(all(p["compose_date"] == compose_date(p["compose_id"]) and p["file_name"] == dvd_file_name(p["compose_id"])
                  for p in points if p["compose_id"] in IMAGES), f"image-sizes dates and file names: {short(points)}")
    svg = native("image-sizes.svg", SIZE_PARAMS, accept="image/svg+xml")
    check(svg.status == 200 and svg.headers.get("Content-Type", "").startswith("image/svg+xml"),
          f"image-sizes.svg: {svg.status} {svg.headers.get('Content-Type')}")
    check(svg.text.startswith("<svg"), f"image-sizes.svg starts: {svg.text[:80]}")
    points = svg.text.count('class="point"')
    check(points == len(FINISHED), f"image-sizes.svg: {points} points, expected {len(FINISHED)}")
    for drop in ("release", "arch"):
        params = {k: v for k, v in SIZE_PARAMS.items() if k != drop}
        missing = native("image-sizes", params)
        check(missing.status == 400, f"image-sizes without {drop}: {missing.status} {missing.text}")


@section
def produced():
    if len(FINISHED) < 3:
        return
    after, before = compose_date(FINISHED[1]), compose_date(FINISHED[-2])
    resp = native("produced", {"after": after, "before": before})
    if not expect(resp, 200, "produced"):
        return
    got = resp.json()
    ids = [c.get("compose_id") for c in got.get("composes", [])]
    check(got.get("count") == len(FINISHED) - 2 and ids == FINISHED[1:-1], f"produced {after}..{before}: {ids}")
    for c in got.get("composes", []):
        cid = c.get("compose_id")
        check(c.get("compose_date") == compose_date(cid), f"produced {cid}: date {c.get('compose_date')}")
        have = sorted((i.get("variant"), i.get("arch"), i.get("file_name"), i.get("size"), i.get("type"), i.get("format"))
                      for i in c.get("images", []))
        want = sorted((v, a, os.path.basename(i.path), i.size, i.type, i.format)
                      for v, arches in IMAGES[cid].images.items() for a, imgs in arches.items() for i in imgs)
        check(have == want, f"produced {cid}: its images {short(have)}")


@section
def openapi():
    resp = native("openapi.json")
    doc = resp.try_json() if resp.status == 200 else None
    check(isinstance(doc, dict) and "openapi" in doc, f"openapi.json: {resp.status} {resp.text[:200]}")
    paths = set((doc or {}).get("paths", {}))
    want = {NATIVE + p for p in ("composes/{compose_id}/diff", "composes/{compose_id}/qe", "image-sizes",
                                  "image-sizes.svg", "produced")}
    check(want <= paths, f"openapi.json lacks {sorted(want - paths)}")


# --- 2. PATCH composes/ -----------------------------------------------------------------------

@section
def compose_patch():
    compose = pdc.composes[QE_ID]
    got = compose._("PATCH", {"acceptance_testing": "passed"})
    check(got.get("acceptance_testing") == "passed", f"PATCH acceptance_testing: {short(got)}")
    check(compose._()["acceptance_testing"] == "passed", "the PATCH is kept")
    refused(lambda: compose._("PATCH", {"acceptance_testing": "maybe"}), 400, what="PATCH acceptance_testing=maybe")
    refused(lambda: compose._("PATCH", {"compose_type": "production"}), 400, what="PATCH compose_type")
    refused(lambda: compose._("PATCH", {}), 400,
            {"detail": "Partial update with no changes does not make much sense."}, "an empty PATCH")
    refused(lambda: compose._("PUT", {"acceptance_testing": "passed"}), 405, what="PUT composes/<id>/")
    refused(lambda: anonymous.composes[QE_ID]._("PATCH", {"acceptance_testing": "failed"}), 401, what="PATCH without a token")
    check(compose._()["acceptance_testing"] == "passed", "refused PATCHes change nothing")
    before = compose._()["rtt_tested_architectures"]
    got = compose._("PATCH", {"rtt_tested_architectures": {"Server": {"x86_64": "passed"}}})
    want = json.loads(json.dumps(before))
    want["Server"]["x86_64"] = "passed"
    check(got.get("rtt_tested_architectures") == want, f"PATCH rtt_tested_architectures merges: {short(got)}")
    refused(lambda: compose._("PATCH", {"rtt_tested_architectures": {"Nope": {"x86_64": "passed"}}}), 400,
            what="PATCH rtt of an unknown variant")
    refused(lambda: compose._("PATCH", {"rtt_tested_architectures": {"Server": {"x86_64": "maybe"}}}), 400,
            what="PATCH rtt with an unknown status")


# --- 4. imports through REST ------------------------------------------------------------------

COMPOSEINFO = read_json(os.path.join(FIXTURES_DIR, "composeinfo.json"))
RPM_MANIFEST = read_json(os.path.join(FIXTURES_DIR, "rpms.json"))
IMAGE_MANIFEST = read_json(os.path.join(FIXTURES_DIR, "images.json"))
FIXTURE_RPMS = load(productmd.rpms.Rpms, os.path.join(FIXTURES_DIR, "rpms.json"))
FIXTURE_IMAGES = load(productmd.images.Images, os.path.join(FIXTURES_DIR, "images.json"))


def release_count():
    return pdc.composes._(release=RELEASE)["count"]


def copy(value):
    return json.loads(json.dumps(value))


def rpm_import(**change):
    body = {"release_id": RELEASE, "composeinfo": COMPOSEINFO, "rpm_manifest": RPM_MANIFEST}
    body.update(change)
    return rest("POST", "compose-rpms/", {k: v for k, v in body.items() if v is not None})


def answers(resp, want):
    """A 201 whose body holds want's keys and values (Almanac may add keys of its own)."""
    body = resp.try_json()
    return resp.status == 201 and isinstance(body, dict) and all(body.get(k) == v for k, v in want.items())


def parse_error(resp, what, *names):
    body = resp.try_json() or {}
    reason = body.get("reason")
    check(resp.status == 400 and body.get("detail") == "Error parsing productmd metadata.",
          f"{what}: {resp.status} {resp.text}")
    check(isinstance(reason, str) and all(n in reason for n in names), f"{what}: the reason names {names}: {reason!r}")


@section
def import_refusals():
    count = release_count()
    extra = rpm_import(extra=1)
    check(extra.status == 400 and extra.try_json() == {"extra": ["This field is illegal"]}, f"an extra key: {extra.status} {extra.text}")
    missing = rpm_import(rpm_manifest=None)
    check(missing.status == 400 and missing.try_json() == {"rpm_manifest": ["This field is required"]},
          f"a missing key: {missing.status} {missing.text}")
    no_info = rest("POST", "compose-images/", {"release_id": RELEASE, "image_manifest": IMAGE_MANIFEST})
    check(no_info.status == 400 and no_info.try_json() == {"composeinfo": ["This field is required"]},
          f"compose-images/ without composeinfo: {no_info.status} {no_info.text}")

    broken = copy(RPM_MANIFEST)
    entries = broken["payload"]["rpms"]["Server"]["x86_64"]
    srpm = sorted(entries)[0]
    del entries[srpm][sorted(entries[srpm])[0]]["path"]
    parse_error(rpm_import(rpm_manifest=broken), "an rpm entry without path", "rpms.json", "payload.rpms.Server.x86_64")
    truncated = copy(RPM_MANIFEST)
    truncated["payload"]["rpms"]["Server"] = {"x86_64": "truncated"}
    parse_error(rpm_import(rpm_manifest=truncated), "a truncated rpm_manifest", "rpms.json", "payload.rpms.Server")
    no_release = copy(COMPOSEINFO)
    del no_release["payload"]["release"]
    parse_error(rpm_import(composeinfo=no_release), "a composeinfo without payload.release", "composeinfo.json",
                "payload.release")
    other_id = copy(RPM_MANIFEST)
    other_id["payload"]["compose"]["id"] = "Fedora-41-20261102.0"
    clash = rpm_import(rpm_manifest=other_id)
    check(clash.status == 400 and "Inconsistent data" in clash.text, f"rpm_manifest of another compose: {clash.status} {clash.text}")

    unknown = rpm_import(release_id="nope-7")
    check(unknown.status == 400 and "nope-7" in unknown.text, f"an unknown release_id: {unknown.status} {unknown.text}")
    anon = http("POST", "/rest_api/v1/compose-rpms/",
                {"release_id": RELEASE, "composeinfo": COMPOSEINFO, "rpm_manifest": RPM_MANIFEST}, token=None)
    check(anon.status == 401, f"an import without a token: {anon.status}")

    check(release_count() == count, f"refused imports wrote no compose: {release_count()} != {count}")
    check(rest("GET", f"composes/{FIXTURE_ID}/").status == 404, "refused imports wrote nothing")
    check(pdc.rpms._(name="^kernel-core$", version="6.11.4", release="301.fc41")["count"] == 0, "refused imports wrote no rpm")


def manifest_entries(manifest):
    return sum(len(entries) for arches in manifest["payload"]["rpms"].values()
               for srpms in arches.values() for entries in srpms.values())


def manifest_images(manifest):
    return sum(len(imgs) for arches in manifest["payload"]["images"].values() for imgs in arches.values())


@section
def rest_imports():
    count = release_count()
    first = rpm_import()
    want = {"compose": FIXTURE_ID, "imported rpms": manifest_entries(RPM_MANIFEST)}
    check(answers(first, want), f"POST compose-rpms/: {first.status} {first.text}, expected {want}")
    check(release_count() == count + 1, f"the import made one compose: {release_count()} (was {count})")
    detail = pdc.composes[FIXTURE_ID]._()
    check((detail["compose_type"], detail["compose_label"], detail["compose_date"], detail["release"])
          == ("production", "RC-1.0", "2026-11-01", RELEASE), f"the imported compose: {short(detail)}")
    check(detail["sigkeys"] == ["a15b79cc", None], f"the imported compose's sigkeys: {detail['sigkeys']}")
    served = pdc["compose-rpms"][FIXTURE_ID]._()
    check(loads(productmd.rpms.Rpms, served).rpms == FIXTURE_RPMS.rpms, "compose-rpms/ GET is what was POSTed")

    again = rpm_import()
    check(answers(again, want), f"POST compose-rpms/ again: {again.status} {again.text}")
    check(release_count() == count + 1, "importing again makes no compose")
    check(pdc["compose-rpms"][FIXTURE_ID]._() == served, "importing again changes no rpm")

    images = rest("POST", "compose-images/", {"release_id": RELEASE, "composeinfo": COMPOSEINFO, "image_manifest": IMAGE_MANIFEST})
    want = {"compose": FIXTURE_ID, "imported images": manifest_images(IMAGE_MANIFEST)}
    check(answers(images, want), f"POST compose-images/: {images.status} {images.text}, expected {want}")
    got = loads(productmd.images.Images, pdc["compose-images"][FIXTURE_ID]._())
    check(image_set(got) == image_set(FIXTURE_IMAGES), "compose-images/ GET is what was POSTed")

    url = f"http://kojipkgs.example/compose/{FIXTURE_ID}/compose/"
    full = rest("POST", "rpc/compose-full-import/", {
        "release_id": RELEASE, "composeinfo": COMPOSEINFO, "rpm_manifest": RPM_MANIFEST,
        "image_manifest": IMAGE_MANIFEST, "location": "PDX", "scheme": "http", "url": url})
    trees = sorted((v, a) for v, arches in RPM_MANIFEST["payload"]["rpms"].items() for a in arches)
    want = {"compose": FIXTURE_ID, "imported rpms": manifest_entries(RPM_MANIFEST),
            "imported images": manifest_images(IMAGE_MANIFEST), "set_locations": len(trees)}
    check(answers(full, want), f"rpc/compose-full-import/: {full.status} {full.text}, expected {want}")
    locations = pdc["compose-tree-locations"]._(compose=FIXTURE_ID, page_size=-1)
    check(sorted((x.get("variant"), x.get("arch")) for x in locations) == trees,
          f"compose-tree-locations/?compose=: {short(locations)}")
    fields = {"compose", "variant", "arch", "location", "scheme", "url", "synced_content"}
    check(all(set(x) >= fields and x["compose"] == FIXTURE_ID and x["location"] == "PDX" and x["scheme"] == "http"
              and x["url"] == url and sorted(x["synced_content"]) == ["binary", "debug", "source"] for x in locations),
          f"compose-tree-locations items: {short(locations[:1])}")
    check(release_count() == count + 1, "the full import makes no other compose")


def layered_images(info):
    """An images.json for the layered compose, made with productmd: one image in Everything/x86_64."""
    compose = info["payload"]["compose"]
    im = productmd.images.Images()
    im.compose.id, im.compose.type = compose["id"], compose["type"]
    im.compose.date, im.compose.respin = compose["date"], compose["respin"]
    img = productmd.images.Image(im)
    img.path = "Everything/x86_64/images/EPEL-9-Everything-%s.x86_64.qcow2" % compose["date"]
    img.mtime, img.size, img.volume_id = 1793491200, 104857600, None
    img.type, img.format, img.arch, img.subvariant = "qcow2", "qcow2", "x86_64", "Everything"
    img.disc_number = img.disc_count = 1
    img.bootable, img.implant_md5 = False, None
    img.add_checksum(None, "sha256", "5eed" * 16)
    im.add("Everything", "x86_64", img)
    return json.loads(im.dumps())


@section
def layered_import():
    info = read_json(os.path.join(FIXTURES_DIR, "composeinfo-layered.json"))
    cid = info["payload"]["compose"]["id"]
    resp = rest("POST", "compose-images/", {"release_id": LAYERED_RELEASE, "composeinfo": info,
                                            "image_manifest": layered_images(info)})
    check(answers(resp, {"compose": cid, "imported images": 1}),
          f"POST compose-images/ of a layered ci compose: {resp.status} {resp.text}")
    release = rest("GET", f"releases/{LAYERED_RELEASE}/").try_json() or {}
    check(release.get("release_id") == LAYERED_RELEASE and release.get("base_product") == "rhel-9"
          and release.get("release_type") == "updates", f"the release made from composeinfo: {short(release)}")
    compose = rest("GET", f"composes/{cid}/").try_json() or {}
    check(compose.get("compose_type") == "ci" and compose.get("release") == LAYERED_RELEASE
          and compose.get("compose_respin") == 2, f"the layered compose: {short(compose)}")
    check(compose_ids(compose_type="ci") == [cid], "composes/?compose_type=ci")
    images = pdc.images._(compose=cid, page_size=-1)
    check([i["file_name"] for i in images] == ["EPEL-9-Everything-20261101.x86_64.qcow2"], f"its image: {short(images)}")


# --- 5. rpms/ writes --------------------------------------------------------------------------

NEWPKG = {"name": "newpkg", "version": "1.0", "epoch": 0, "release": "1.fc41", "arch": "x86_64",
          "srpm_name": "newpkg", "srpm_nevra": "newpkg-0:1.0-1.fc41.src"}


@section
def rpms_create():
    made = rest("POST", "rpms/", NEWPKG)
    body = made.try_json() or {}
    check(made.status == 201 and all(body.get(k) == v for k, v in NEWPKG.items()), f"POST rpms/: {made.status} {made.text}")
    check(body.get("filename") == "newpkg-1.0-1.fc41.x86_64.rpm" and body.get("linked_composes") == [],
          f"a new rpm's filename and composes: {short(body)}")
    again = rest("POST", "rpms/", NEWPKG)
    check(again.status == 400 and "unique" in again.text, f"POST rpms/ again: {again.status} {again.text}")
    src = dict(NEWPKG, arch="src")
    bad = rest("POST", "rpms/", src)
    check(bad.status == 400, f"a src rpm with srpm_nevra: {bad.status} {bad.text}")
    binary = dict(NEWPKG, version="1.1", srpm_nevra=None)
    bad = rest("POST", "rpms/", binary)
    check(bad.status == 400, f"a binary rpm without srpm_nevra: {bad.status} {bad.text}")
    anon = http("POST", "/rest_api/v1/rpms/", dict(NEWPKG, version="1.2"), token=None)
    check(anon.status == 401, f"POST rpms/ without a token: {anon.status}")
    check(pdc.rpms._(name="^newpkg$")["count"] == 1, "refused creates made nothing")


# --- 12. QE results on a compose --------------------------------------------------------------

@section
def qe():
    rdb = ResultsDBapi(BASE + "/api/v2.0", max_retries=0)
    with_timeout(rdb.session)
    image = dvd_file_name(QE_ID)
    posted = [
        rdb.create_result("PASSED", "compose.install", item=QE_ID, type="compose"),
        rdb.create_result("FAILED", "image.boot", item=image, type="image"),
        rdb.create_result("PASSED", "compose.upgrade", item="other", **{"productmd.compose.id": QE_ID}),
    ]
    resp = native(f"composes/{QE_ID}/qe")
    if not expect(resp, 200, f"composes/{QE_ID}/qe"):
        return
    got = resp.json()
    check((got.get("compose_id"), got.get("release"), got.get("acceptance_testing")) == (QE_ID, RELEASE, "passed"),
          f"qe header: {short({k: v for k, v in got.items() if k not in ('results', 'latest')})}")
    check((got.get("rtt_tested_architectures") or {}).get("Server", {}).get("x86_64") == "passed",
          f"qe rtt_tested_architectures: {short(got.get('rtt_tested_architectures'))}")
    check(got.get("summary") == {"PASSED": 2, "FAILED": 1}, f"qe summary: {got.get('summary')}")
    latest = {(x.get("item"), x.get("testcase"), x.get("outcome")) for x in got.get("latest", [])}
    want = {(QE_ID, "compose.install", "PASSED"), (image, "image.boot", "FAILED"), ("other", "compose.upgrade", "PASSED")}
    check(latest == want, f"qe latest: {sorted(latest)}")
    ids = {r.get("id") for r in got.get("results", [])}
    check(ids == {r["id"] for r in posted}, f"qe results: {sorted(ids)} != {sorted(r['id'] for r in posted)}")
    missing = native("composes/Fedora-41-20000101.n.0/qe")
    check(missing.status == 404, f"qe of an unknown compose: {missing.status}")
    other = native(f"composes/{FIRST}/qe").try_json() or {}
    check(other.get("summary", {}) == {} and other.get("results") == [], f"qe of a compose without results: {short(other)}")


# --- 2. DELETE, last --------------------------------------------------------------------------

@section
def compose_delete():
    only_last = sorted(n for n in NEVRAS[LAST] if linked(n) == [LAST])
    refused(lambda: anonymous.composes[LAST]._("DELETE"), 401, what="DELETE without a token")
    gone = rest("DELETE", f"composes/{LAST}/")
    expect(gone, 204, f"DELETE composes/{LAST}/")
    got = pdc.composes[LAST]._()
    check(got["deleted"] is True and got["compose_id"] == LAST, f"a deleted compose is still readable: {short(got)}")
    check(LAST not in compose_ids(deleted="false", release=RELEASE), "deleted=false leaves it out")
    check(compose_ids(deleted="true") == [LAST], f"deleted=true: {compose_ids(deleted='true')}")
    again = rest("DELETE", f"composes/{LAST}/")
    warning = "No change. This compose was marked as deleted already."
    check(again.status == 204 and again.headers.get("pdc-warning") == warning,
          f"DELETE again: 204 with pdc-warning {warning!r}: {again.status} {dict(again.headers)}")
    if only_last:
        nevra = only_last[0]
        d = nvra(nevra)
        found = [r for r in pdc.rpms._(version=d["version"], release=d["release"], arch=d["arch"], page_size=-1)
                 if rpm_nevra(r) == nevra]
        check(len(found) == 1 and found[0]["linked_composes"] == [],
              f"linked_composes leaves deleted composes out: {nevra}: {short(found)}")


print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
