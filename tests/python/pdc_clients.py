"""Drives the real `pdc-client` library and `pdc` CLI against a running
Almanac (ALMANAC_URL) for the product-model resources served so far, and
checks their answers against PDC's. Tokens: PDC_TOKEN (superuser),
PDC_LIMITED_TOKEN (a user without permissions), PDC_PRODUCTS_TOKEN (a user
whose group may create products). Prints 'N passed, 0 failed'."""

import json
import os
import subprocess
import sys
import tempfile
import time

from beanbag import BeanBagException
from pdc_client import PDCClient

BASE = os.environ["ALMANAC_URL"].rstrip("/")
API = BASE + "/rest_api/v1/"
admin = PDCClient(API, token=os.environ["PDC_TOKEN"], ssl_verify=False)
limited = PDCClient(API, token=os.environ["PDC_LIMITED_TOKEN"], ssl_verify=False)
producer = PDCClient(API, token=os.environ["PDC_PRODUCTS_TOKEN"], ssl_verify=False)
anonymous = PDCClient(API, develop=True, ssl_verify=False)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1


def refused(call, status, body=None):
    try:
        call()
    except BeanBagException as e:
        check(e.response.status_code == status, f"status {e.response.status_code}, expected {status}: {e.response.text}")
        if body is not None:
            check(e.response.json() == body, f"body {e.response.text} != {body}")
        return e.response.json()
    check(False, f"expected HTTP {status}")


# Products: create, read, list and filter, update, refusals.
admin.set_comment("bootstrap the product model")
p = admin.products._({"name": "Fedora", "short": "fedora"})
check(p == {"name": "Fedora", "short": "fedora", "active": False, "product_versions": [], "allowed_push_targets": []}, f"create: {p}")
check(admin.products.fedora._() == p, "retrieve by short")
admin.products._([{"name": "Fedora EPEL", "short": "epel"}, {"name": "CentOS Stream", "short": "centos-stream"}])
listed = admin.products._()
check(listed["count"] == 3 and listed["next"] is None and listed["previous"] is None, f"list envelope: {listed}")
check([x["short"] for x in listed["results"]] == ["fedora", "epel", "centos-stream"], "default order is creation order")
check([x["short"] for x in admin.products._(ordering="-short")["results"]] == ["fedora", "epel", "centos-stream"], "ordering=-short")
check([x["short"] for x in admin.products._(ordering="short")["results"]] == ["centos-stream", "epel", "fedora"], "ordering=short")
check([x["short"] for x in admin.products._(short=["fedora", "epel"])["results"]] == ["fedora", "epel"], "repeated param is OR")
check(admin.products._(name="Fedora")["count"] == 1, "filter by name")
check(admin.products._(page_size=-1) == listed["results"], "page_size=-1 is a bare list")
first = admin.products._(page_size=2)
check(len(first["results"]) == 2 and first["next"].endswith("page=2") and first["count"] == 3, f"pages: {first}")
check(admin.products._(fields=["short"])["results"][0] == {"short": "fedora"}, "fields=")
check("name" not in admin.products._(exclude_fields="name")["results"][0], "exclude_fields=")
refused(lambda: admin.products._(bogus="1"), 400, {"detail": "Unknown query params: bogus."})
refused(lambda: admin.products._({"name": "Again", "short": "fedora"}), 400, {"short": ["This field must be unique."]})
refused(lambda: admin.products._({"name": "Bad", "short": "1bad"}), 400)
refused(lambda: admin.products._({"name": "X", "short": "x", "color": "red"}), 400, {"detail": "Unknown fields: \"color\"."})
refused(lambda: admin.products._({"name": "X", "short": "x", "active": True}), 400, {"detail": "Can not update read only fields: \"active\"."})
refused(lambda: admin.products._({"short": "x"}), 400, {"name": ["This field is required."]})
refused(lambda: admin.products.nope._(), 404, {"detail": "Not found."})
updated = admin.products.fedora._("PATCH", {"name": "Fedora Linux"})
check(updated["name"] == "Fedora Linux" and updated["short"] == "fedora", "PATCH keeps what it does not name")
refused(lambda: admin.products.fedora._("PATCH", {}), 400, {"detail": "Partial update with no changes does not make much sense."})
put = admin.products.epel._("PUT", {"name": "EPEL", "short": "epel"})
check(put["name"] == "EPEL", "PUT")

# Writes need a token and a permission; reads are open.
refused(lambda: anonymous.products._({"name": "Anon", "short": "anon"}), 401, {"detail": "Authentication credentials were not provided."})
refused(lambda: limited.products._({"name": "Nope", "short": "nope"}), 403, {"detail": "You do not have permission to perform this action."})
check(producer.products._({"name": "Granted", "short": "granted"})["short"] == "granted", "a group permission allows create")
refused(lambda: producer.products.granted._("PATCH", {"name": "Not allowed"}), 403)
check(anonymous.products._()["count"] == 4, "anonymous reads")

# Product versions: short defaults to the product's, product must exist, unique set.
pv = admin["product-versions"]._({"name": "Fedora 40", "version": "40", "product": "fedora"})
check(pv == {"name": "Fedora 40", "short": "fedora", "version": "40", "product_version_id": "fedora-40", "active": False,
             "product": "fedora", "releases": [], "allowed_push_targets": []}, f"product version: {pv}")
admin["product-versions"]._([{"name": "Fedora 41", "version": "41", "product": "fedora"},
                             {"name": "Fedora 42", "version": "42", "product": "fedora"},
                             {"name": "EPEL 9", "version": "9", "product": "epel"}])
check(admin.products.fedora._()["product_versions"] == ["fedora-40", "fedora-41", "fedora-42"], "product lists its versions")
check(admin["product-versions"]["fedora-41"]._()["name"] == "Fedora 41", "retrieve by product_version_id")
check(admin["product-versions"]._(short="epel")["count"] == 1, "filter by short")
check(admin["product-versions"]._(active="false")["count"] == 4, "filter by active")
refused(lambda: admin["product-versions"]._({"name": "Again", "version": "40", "product": "fedora"}), 400,
        {"detail": ["The fields short, version must make a unique set."]})
refused(lambda: admin["product-versions"]._({"name": "X", "version": "1", "product": "nope"}), 400,
        {"product": ["Object with short=nope does not exist."]})

# Bulk operations are atomic and name the bad item.
err = refused(lambda: admin["product-versions"]._([{"name": "Fedora 43", "version": "43", "product": "fedora"},
                                                   {"name": "Bad", "version": "43", "product": "nope"}]), 400)
check(err["id_of_invalid_data"] == 1 and err["invalid_data"]["product"] == "nope", f"bulk error shape: {err}")
refused(lambda: admin["product-versions"]["fedora-43"]._(), 404)
bulk = admin["product-versions"]._("PATCH", {"fedora-41": {"name": "Fedora Linux 41"}, "fedora-42": {"name": "Fedora Linux 42"}})
check(bulk["fedora-41"]["name"] == "Fedora Linux 41" and bulk["fedora-42"]["name"] == "Fedora Linux 42", f"bulk PATCH: {bulk}")
refused(lambda: admin["product-versions"]._("PATCH", [1, 2]), 400, {"detail": "Bulk update needs a mapping."})
refused(lambda: admin.products._("DELETE", ["fedora"]), 405)

# Paging through everything as the client does.
everything = list(admin.get_paged(admin["product-versions"]._, page_size=2))
check(len(everything) == 4, f"get_paged: {everything}")

# Changesets: author, comment, old and new values; per-object history.
sets = admin.changesets._(resource="product", page_size=-1)
check(all(s["author"] == "admin" or s["author"] == "producer" for s in sets), "authors")
first_set = sets[-1]
check(first_set["comment"] == "bootstrap the product model", f"the comment header: {first_set}")
check(first_set["changes"][0]["old_value"] == "null" and json.loads(first_set["changes"][0]["new_value"])["short"] == "fedora", "creation")
fedora_id = first_set["changes"][0]["resource_id"]
history = admin.changesets._(resource="product", resource_id=fedora_id, page_size=-1)
check(len(history) == 2, f"fedora's history: create and rename ({len(history)})")
rename = json.loads(history[0]["changes"][0]["new_value"])
check(rename["name"] == "Fedora Linux" and json.loads(history[0]["changes"][0]["old_value"])["name"] == "Fedora", "old and new")
check(admin.changesets[str(history[0]["id"])]._()["id"] == history[0]["id"], "changeset by id")
check(admin.changesets._(author="producer")["count"] == 1, "filter by author")

# "As of" reads: an object as each of its changesets left it.
created_at, renamed_at = history[-1]["committed_on"], history[0]["committed_on"]
check(admin.products.fedora._(as_of=created_at)["name"] == "Fedora", f"fedora as created ({created_at})")
check(admin.products.fedora._(as_of=renamed_at)["name"] == "Fedora Linux", "fedora as renamed")
was = admin.session.get(API + "products/fedora/", params={"as_of": created_at})
check(was.headers.get("almanac-as-of-changeset") == str(history[-1]["id"]), f"the changeset it comes from: {was.headers}")
refused(lambda: admin.products.fedora._(as_of="2001-01-01"), 404)
refused(lambda: admin.products.fedora._(as_of="last tuesday"), 400)
refused(lambda: admin.arches.x86_64._(as_of=created_at), 400)

# Reference data, seeded as PDC seeds it.
types = admin["release-types"]._(page_size=-1)
check([t["short"] for t in types] == ["ga", "updates", "eus", "aus", "els", "fast"], f"release types: {types}")
check(admin["release-types"]._(name="update")["results"][0]["short"] == "updates", "release-types name contains")
arches = [a["name"] for a in admin.arches._(page_size=-1)]
check(len(arches) == 48 and "x86_64" in arches and "aarch64" in arches and "armhfp" not in arches, f"{len(arches)} arches")
check(admin.arches._({"name": "riscv64"}) == {"name": "riscv64"}, "a new arch")
refused(lambda: admin.arches._({"name": "riscv64"}), 400, {"name": ["This field must be unique."]})

# Sigkeys and base products.
key = admin.sigkeys._({"key_id": "A15B79CC", "name": "fedora-40", "description": "Fedora 40"})
check(key == {"key_id": "a15b79cc", "name": "fedora-40", "description": "Fedora 40"}, f"sigkey: {key}")
refused(lambda: admin.sigkeys._({"key_id": "xyz"}), 400)
check(admin.sigkeys["a15b79cc"]._("PATCH", {"description": "F40"})["description"] == "F40", "PATCH sigkey")
bp = admin["base-products"]._({"short": "rhel", "version": "9", "name": "RHEL", "release_type": "ga"})
check(bp == {"base_product_id": "rhel-9", "short": "rhel", "version": "9", "name": "RHEL", "release_type": "ga"}, f"base product: {bp}")
refused(lambda: admin["base-products"]._({"short": "rhel", "version": "9", "name": "Other", "release_type": "ga"}), 400,
        {"detail": ["The fields short, version, release_type must make a unique set."]})
refused(lambda: admin["base-products"]._({"short": "x", "version": "1", "name": "X", "release_type": "nope"}), 400,
        {"release_type": ["'nope' is not allowed value. Use one of 'ga', 'updates', 'eus', 'aus', 'els', 'fast'."]})

# Releases: derived release_id, bindings, filters, PDC's order, PATCH vs PUT.
r = admin.releases._({"short": "fedora", "version": "40", "name": "Fedora", "release_type": "ga",
                      "product_version": "fedora-40", "sigkey": "a15b79cc",
                      "bugzilla": {"product": "Fedora"}, "dist_git": {"branch": "f40"}})
check(r == {"release_id": "fedora-40", "short": "fedora", "version": "40", "name": "Fedora", "base_product": None,
            "active": True, "product_version": "fedora-40", "release_type": "ga", "compose_set": [], "integrated_with": None,
            "sigkey": "a15b79cc", "allow_buildroot_push": False, "allowed_debuginfo_services": [], "allowed_push_targets": [],
            "bugzilla": {"product": "Fedora"}, "dist_git": {"branch": "f40"}}, f"release: {r}")
admin.releases._([
    {"short": "fedora", "version": "40", "name": "Fedora Updates", "release_type": "updates", "product_version": "fedora-40",
     "dist_git": {"branch": "f40"}},
    {"short": "fedora", "version": "9", "name": "Fedora", "release_type": "ga", "active": False},
    {"short": "fedora", "version": "41", "name": "Fedora", "release_type": "ga", "product_version": "fedora-41",
     "allowed_debuginfo_services": ["ftp"]},
    {"short": "sat", "version": "6.0", "name": "Satellite", "release_type": "ga", "base_product": "rhel-9"},
])
check(admin.releases["fedora-40-updates"]._()["release_type"] == "updates", "release_id with the type")
check(admin.releases["sat-6.0@rhel-9"]._()["base_product"] == "rhel-9", "release_id with the base product")
ids = [x["release_id"] for x in admin.releases._(page_size=-1)]
check(ids == ["fedora-9", "fedora-40", "fedora-40-updates", "fedora-41", "sat-6.0@rhel-9"], f"PDC's order (short, numeric version): {ids}")
check([x["release_id"] for x in admin.releases._(active=True, short="fedora", page_size=-1)] == ["fedora-40", "fedora-40-updates", "fedora-41"], "active")
check(admin.releases._(release_type="updates")["count"] == 1, "release_type filter")
check(admin.releases._(product_version="fedora-40")["count"] == 2, "product_version filter")
check(admin.releases._(has_base_product="True")["count"] == 1, "has_base_product")
check(admin.releases._(dist_git_branch="null")["count"] == 3, "null dist_git_branch")
check(admin.releases._(bugzilla_product="Fedora")["count"] == 1, "bugzilla_product")
check(admin.releases._(allowed_debuginfo_services="ftp")["count"] == 1, "allowed_debuginfo_services")
check(admin.products.fedora._()["active"] is True, "a product with an active release is active")
check(admin["product-versions"]["fedora-40"]._()["releases"] == ["fedora-40", "fedora-40-updates"], "a version lists its releases")
refused(lambda: admin.releases._({"short": "fedora", "version": "40", "name": "Again", "release_type": "ga"}), 400,
        {"detail": ["The fields short, version, release_type, base_product must make a unique set."]})
refused(lambda: admin.releases._({"short": "fedora", "version": "42", "name": "F", "release_type": "ga", "product_version": "nope"}), 400,
        {"product_version": ["Object with product_version_id=nope does not exist."]})
patched = admin.releases["fedora-40"]._("PATCH", {"active": False})
check(patched["active"] is False and patched["dist_git"] == {"branch": "f40"}, "PATCH keeps the bindings")
put = admin.releases["fedora-40"]._("PUT", {"short": "fedora", "version": "40", "name": "Fedora", "release_type": "ga"})
check(put["dist_git"] is None and put["bugzilla"] is None and put["product_version"] is None and put["active"] is True,
      f"PUT erases what it does not name: {put}")

# Release variants: lookup release/uid, arches added and removed.
v = admin["release-variants"]._({"release": "fedora-41", "id": "Server", "uid": "Server", "name": "Server", "type": "variant",
                                 "arches": ["x86_64", "aarch64"]})
check(v == {"release": "fedora-41", "id": "Server", "uid": "Server", "name": "Server", "type": "variant",
            "arches": ["aarch64", "x86_64"], "variant_version": None, "variant_release": None, "allowed_push_targets": []}, f"variant: {v}")
admin["release-variants"]._({"release": "fedora-41", "id": "Everything", "uid": "Everything", "name": "Everything",
                             "type": "variant", "arches": ["x86_64"]})
check(admin["release-variants"]["fedora-41"]["Server"]._()["name"] == "Server", "retrieve release/uid")
grown = admin["release-variants"]["fedora-41"]["Server"]._("PATCH", {"add_arches": ["ppc64le", "s390x"], "remove_arches": ["aarch64"]})
check(grown["arches"] == ["ppc64le", "s390x", "x86_64"], f"add_arches/remove_arches: {grown['arches']}")
refused(lambda: admin["release-variants"]._({"release": "fedora-41", "id": "X", "uid": "X", "name": "X", "type": "variant",
                                            "arches": ["vax"]}), 400)
check([x["uid"] for x in admin["release-variants"]._(release="fedora-41", ordering="release,variant_uid", page_size=-1)]
      == ["Everything", "Server"], "variants ordered by uid")
admin["release-variants"]["fedora-41"]["Everything"]._("DELETE", {})
refused(lambda: admin["release-variants"]["fedora-41"]["Everything"]._(), 404)

# Global and release components: the shapes and error texts pdc-updater relies on.
bash = admin["global-components"]._({"name": "bash", "dist_git_path": "rpms/bash",
                                     "upstream": {"homepage": "https://www.gnu.org/software/bash", "scm_type": "git", "scm_url": "https://git.savannah.gnu.org/git/bash.git"}})
check(bash["name"] == "bash" and bash["upstream"]["scm_type"] == "git" and bash["labels"] == [], f"global component: {bash}")
admin["global-components"]._([{"name": "glibc"}, {"name": "python3"}, {"name": "firefox"}])
refused(lambda: admin["global-components"]._({"name": "bash"}), 400, {"name": ["This field must be unique."]})
check(admin["global-components"]._(name="glibc")["results"][0]["upstream"] is None, "no upstream")
check(admin["global-components"][str(bash["id"])]._()["dist_git_path"] == "rpms/bash", "retrieve by id")
types = admin["release-component-types"]._(page_size=-1)
check([t["name"] for t in types] == ["rpm", "container", "zip", "iso", "composite"], f"component types: {types}")
rc = admin["release-components"]._({"release": "fedora-41", "global_component": "bash", "name": "bash", "brew_package": "bash",
                                    "srpm": {"name": "bash"}})
check(rc["release"] == {"release_id": "fedora-41", "active": True} and rc["type"] == "rpm" and rc["active"] is True, f"release component: {rc}")
check(rc["srpm"] == {"name": "bash"} and rc["dist_git_branch"] is None, "srpm binding, no branch on fedora-41")
inherited = admin["release-components"]._({"release": "fedora-40-updates", "global_component": "bash", "name": "bash"})
check(inherited["dist_git_branch"] == "f40", f"dist_git_branch inherited from the release: {inherited}")
own = admin["release-components"]._({"release": "fedora-40-updates", "global_component": "glibc", "name": "glibc", "dist_git_branch": "rawhide"})
check(own["dist_git_branch"] == "rawhide", "an explicit branch wins")
refused(lambda: admin["release-components"]._({"release": "fedora-41", "global_component": "bash", "name": "bash"}), 400,
        {"detail": ["The fields release, name, type must make a unique set."]})
also = admin["release-components"]._({"release": "fedora-41", "global_component": "bash", "name": "bash", "type": "container"})
check(also["type"] == "container", "the same name with another type is another component")
refused(lambda: admin["release-components"]._({"release": "fedora-9", "global_component": "bash", "name": "bash"}), 400)
refused(lambda: admin["release-components"]._({"release": "fedora-41", "global_component": "nope", "name": "nope"}), 400,
        {"global_component": ["Object with name=nope does not exist."]})
admin["release-components"]._([{"release": "fedora-41", "global_component": g, "name": g} for g in ("glibc", "python3", "firefox")])
bad = admin.session.post(API + "release-components/", json=[{"release": "fedora-41", "global_component": "bash", "name": "newone"},
                                                          {"release": "fedora-41", "global_component": "glibc", "name": "glibc"}])
check(bad.status_code == 400 and bad.json()["id_of_invalid_data"] == 1 and bad.json()["detail"] == ["The fields release, name, type must make a unique set."],
      f"a bulk POST names its bad item: {bad.text}")
check(admin["release-components"]._(name="newone")["count"] == 0, "and writes none of them")
check(admin["release-components"]._(release="fedora-41", type="rpm")["count"] == 4, "filter by release and type")
check(admin["release-components"]._(dist_git_branch="f40")["count"] == 1, "filter by inherited branch")
check(admin["release-components"]._(global_component="bash")["count"] == 3, "filter by global component")
check(admin["release-components"]._(srpm_name="bash")["count"] == 1, "filter by srpm name")
flipped = admin["release-components"][str(rc["id"])]._("PATCH", {"active": False})
check(flipped["active"] is False and flipped["brew_package"] == "bash", "PATCH active")
check(admin["release-components"]._(release="fedora-41", active=False)["count"] == 1, "filter by active")
rc_history = admin.changesets._(resource="releasecomponent", resource_id=rc["id"], page_size=-1)
check(len(rc_history) == 2, f"bash's history: {rc_history}")
check(admin["release-components"][str(rc["id"])]._(as_of=rc_history[-1]["committed_on"])["active"] is True, "bash as it was when created")
check(admin["release-components"][str(rc["id"])]._(as_of=rc_history[0]["committed_on"])["active"] is False, "bash as of its PATCH")
refused(lambda: admin["global-components"][str(bash["id"])]._("DELETE", {}), 400)

# Component groups: rings are groups of one release's components.
ring = admin["component-group-types"]._({"name": "ring", "description": "critical path rings"})
check(ring["name"] == "ring", f"group type: {ring}")
refused(lambda: admin["component-group-types"]._({"name": "ring"}), 400, {"name": ["This field must be unique."]})
ring0 = admin["component-groups"]._({"group_type": "ring", "release": "fedora-41", "description": "ring 0",
                                     "components": [{"release": "fedora-41", "name": "glibc"}, {"id": rc["id"]}]})
check(ring0["group_type"] == "ring" and sorted(c["name"] for c in ring0["components"]) == ["bash", "glibc"], f"ring 0: {ring0}")
refused(lambda: admin["component-groups"]._({"group_type": "ring", "release": "fedora-41", "description": "ring 0"}), 400,
        {"detail": ["The fields group_type, release, description must make a unique set."]})
refused(lambda: admin["component-groups"]._({"group_type": "ring", "release": "fedora-41", "description": "ring 1",
                                             "components": [{"id": inherited["id"]}]}), 400)
admin["component-groups"]._({"group_type": "ring", "release": "fedora-41", "description": "ring 1",
                             "components": [{"release": "fedora-41", "name": "firefox"}]})
check(admin["component-groups"]._(release_component="glibc")["count"] == 1, "groups holding a component")
check(admin["component-groups"]._(group_type="ring", release="fedora-41")["count"] == 2, "filter by type and release")
grown = admin["component-groups"][str(ring0["id"])]._("PATCH", {"components": [{"release": "fedora-41", "name": "python3"}]})
check([c["name"] for c in grown["components"]] == ["python3"], "PATCH replaces the members")

# Labels, on global components as a sub-collection.
lbl = admin.labels._({"name": "critical", "description": "on the critical path"})
check(lbl == {"id": lbl["id"], "name": "critical", "description": "on the critical path"}, f"label: {lbl}")
admin.labels._([{"name": "deprecated", "description": "going away"}])
refused(lambda: admin.labels._({"name": "critical"}), 400, {"name": ["This field must be unique."]})
refused(lambda: anonymous.labels._({"name": "anon"}), 401)
put_on = admin["global-components"][str(bash["id"])].labels._({"name": "critical"})
check(put_on["name"] == "critical", f"label put on: {put_on}")
refused(lambda: admin["global-components"][str(bash["id"])].labels._({"name": "nope"}), 400)
on_bash = admin["global-components"][str(bash["id"])].labels._()
check([x["name"] for x in on_bash["results"]] == ["critical"], f"labels of bash: {on_bash}")
check(admin["global-components"][str(bash["id"])]._()["labels"][0]["name"] == "critical", "labels in the component")
check([x["name"] for x in admin["global-components"]._(label="critical")["results"]] == ["bash"], "filter by label")
refused(lambda: admin.labels[str(lbl["id"])]._("DELETE", {}), 400)
admin["global-components"][str(bash["id"])].labels[str(lbl["id"])]._("DELETE", {})
check(admin["global-components"]._(label="critical")["count"] == 0, "label taken off")
check(admin.labels[str(lbl["id"])]._("PATCH", {"description": "ring 0"})["description"] == "ring 0", "label PATCH")
dep = admin.labels._(name="deprecated")["results"][0]
admin.labels._("DELETE", [dep["id"]])
check(admin.labels._()["count"] == 1, "label bulk delete")

# Bugzilla components: a tree; release components point into it.
kernel = admin["bugzilla-components"]._({"name": "kernel", "parent_pk": None})
drivers = admin["bugzilla-components"]._({"name": "drivers", "parent_pk": kernel["id"]})
net = admin["bugzilla-components"]._({"name": "net", "parent_pk": drivers["id"]})
check(drivers["parent_component"] == "kernel" and net["subcomponents"] == [], f"tree: {drivers} {net}")
check(admin["bugzilla-components"][str(kernel["id"])]._()["subcomponents"] == ["drivers", "drivers/net"], "subcomponents are paths")
again = admin.session.post(API + "bugzilla-components/", json={"name": "drivers", "parent_pk": kernel["id"]})
check(again.status_code == 200 and again.json()["id"] == drivers["id"] and "already exists" in again.headers.get("pdc-warning", ""),
      f"an existing node is answered, with a warning: {again.status_code} {again.text}")
refused(lambda: admin["bugzilla-components"]._({"name": "a/b", "parent_pk": None}), 400)
refused(lambda: admin["bugzilla-components"][str(kernel["id"])]._("PATCH", {"parent_pk": net["id"]}), 400)
refused(lambda: admin["bugzilla-components"][str(kernel["id"])]._("PUT", {"name": "kernel"}), 400, {"parent_pk": ["This field is required."]})
check(admin["bugzilla-components"]._(parent_component="kernel")["count"] == 1, "filter by parent")
filed = admin["release-components"][str(rc["id"])]._("PATCH", {"bugzilla_component": "kernel/drivers/net"})
check(filed["bugzilla_component"]["name"] == "net" and filed["bugzilla_component"]["parent_component"] == "drivers",
      f"a release component filed under a path: {filed['bugzilla_component']}")
refused(lambda: admin["release-components"][str(rc["id"])]._("PATCH", {"bugzilla_component": "kernel/nope"}), 400)
check(admin["release-components"]._(bugzilla_component="net")["count"] == 1, "release components by bugzilla component")
admin["bugzilla-components"][str(drivers["id"])]._("DELETE", {})
check(admin["bugzilla-components"]._(page_size=-1) == [dict(kernel, subcomponents=[])], "delete takes the subtree")
check(admin["release-components"][str(rc["id"])]._()["bugzilla_component"] is None, "and unfiles the components")

# Relationships between release components, and their types.
rtypes = [t["name"] for t in admin["component-relationship-types"]._(page_size=-1)]
check(rtypes == ["RPMRequires", "RPMBuildRequires", "RPMBuildRoot", "ContainerIncludesRPM"], f"relationship types: {rtypes}")
admin["component-relationship-types"]._({"name": "ModuleIncludes"})
edges = admin["release-component-relationships"]._([
    {"type": "RPMRequires", "from_component": {"release": "fedora-41", "name": "python3"}, "to_component": {"release": "fedora-41", "name": "glibc"}},
    {"type": "RPMBuildRequires", "from_component": {"id": rc["id"]}, "to_component": {"release": "fedora-41", "name": "glibc"}},
])
check(edges[0]["from_component"] == {"id": edges[0]["from_component"]["id"], "name": "python3", "release": "fedora-41"}
      and edges[0]["type"] == "RPMRequires", f"relationship: {edges[0]}")
refused(lambda: admin["release-component-relationships"]._({"type": "RPMRequires", "from_component": {"release": "fedora-41", "name": "python3"},
                                                            "to_component": {"release": "fedora-41", "name": "glibc"}}), 400,
        {"detail": ["The fields relation_type, from_component, to_component must make a unique set."]})
refused(lambda: admin["release-component-relationships"]._({"type": "Loves", "from_component": {"id": rc["id"]}, "to_component": {"id": rc["id"]}}), 400)
check(admin["release-component-relationships"]._(to_component_name="glibc")["count"] == 2, "filter by target")
check(admin["release-component-relationships"]._(from_component_name=["python3", "firefox"], type="RPMRequires")["count"] == 1, "filter by source and type")
moved = admin["release-component-relationships"][str(edges[1]["id"])]._("PATCH", {"type": "RPMBuildRoot"})
check(moved["type"] == "RPMBuildRoot", "relationship PATCH")
admin["release-component-relationships"]._("DELETE", [e["id"] for e in edges])
check(admin["release-component-relationships"]._()["count"] == 0, "relationships bulk delete")
refused(lambda: limited["release-component-relationships"]._({"type": "RPMRequires", "from_component": {"id": rc["id"]}, "to_component": {"id": rc["id"]}}), 403)

# Contacts: people, mailing lists, roles, and who holds which role for a component.
jdoe = admin["contacts/people"]._({"username": "jdoe", "email": "jdoe@example.com"})
check(jdoe == {"id": jdoe["id"], "username": "jdoe", "email": "jdoe@example.com"}, f"person: {jdoe}")
refused(lambda: admin["contacts/people"]._({"username": "jdoe", "email": "other@example.com"}), 400, {"username": ["This field must be unique."]})
refused(lambda: admin["contacts/people"]._({"username": "bad", "email": "not-an-email"}), 400, {"email": ["Enter a valid email address."]})
ml = admin["contacts/mailing-lists"]._({"mail_name": "devel", "email": "devel@lists.example.com"})
check(ml == {"id": ml["id"], "mail_name": "devel", "email": "devel@lists.example.com"}, f"mailing list: {ml}")
check(admin["contacts/people"]._(email="jdoe@example.com")["count"] == 1 and admin["contacts/mailing-lists"]._(mail_name="devel")["count"] == 1,
      "contact filters")
check(admin["contacts/people"][str(jdoe["id"])]._("PATCH", {"email": "john@example.com"})["email"] == "john@example.com", "person PATCH")
roles = admin["contact-roles"]._(page_size=-1)
check({"name": "Watcher", "count_limit": "unlimited"} in roles and {"name": "QE_Owner", "count_limit": 1} in roles, f"roles: {roles}")
check(admin["contact-roles"]._({"name": "Security", "count_limit": 2}) == {"name": "Security", "count_limit": 2}, "role create")
check(admin["contact-roles"].Security._() == {"name": "Security", "count_limit": 2}, "role lookup by name")
gcc = admin["global-component-contacts"]._({"component": "bash", "role": "Devel_Owner", "contact": {"username": "jdoe", "email": "john@example.com"}})
check(gcc == {"id": gcc["id"], "component": "bash", "role": "Devel_Owner",
              "contact": {"id": jdoe["id"], "username": "jdoe", "email": "john@example.com"}}, f"global component contact: {gcc}")
made = admin["global-component-contacts"]._({"component": "bash", "role": "Watcher", "contact": {"mail_name": "bash-maint", "email": "bash-maint@lists.example.com"}})
check(admin["contacts/mailing-lists"]._(mail_name="bash-maint")["count"] == 1, f"a new contact is created on the way: {made}")
refused(lambda: admin["global-component-contacts"]._({"component": "bash", "role": "Devel_Owner", "contact": {"mail_name": "devel"}}), 400,
        {"detail": ["Exceed contact role limit for Devel_Owner. 1 allowed."]})
refused(lambda: admin["global-component-contacts"]._({"component": "bash", "role": "Watcher", "contact": {"mail_name": "bash-maint"}}), 400,
        {"detail": ["The fields role, component, contact must make a unique set."]})
refused(lambda: admin["global-component-contacts"]._({"component": "nope", "role": "Watcher", "contact": {"mail_name": "devel"}}), 400)
check(admin["global-component-contacts"]._(component="^ba")["count"] == 2, "component is a regular expression")
refused(lambda: admin["global-component-contacts"]._(component="(unclosed"), 400)
check(admin["global-component-contacts"]._(contact="jdoe", role="Devel_Owner")["count"] == 1, "filter by contact and role")
admin["global-component-contacts"]._({"component": "glibc", "role": "Watcher", "contact": {"username": "jdoe"}})
admin["global-component-contacts"]._({"component": "glibc", "role": "Watcher", "contact": {"mail_name": "devel"}})
refused(lambda: admin["contact-roles"].Watcher._("PATCH", {"count_limit": 1}), 400)
refused(lambda: admin["contacts/people"][str(jdoe["id"])]._("DELETE", {}), 400)
rcc = admin["release-component-contacts"]._({"component": {"release": "fedora-41", "name": "glibc"}, "role": "QE_Owner",
                                             "contact": {"username": "jdoe"}})
check(rcc["component"] == {"id": rcc["component"]["id"], "name": "glibc", "release": "fedora-41"} and rcc["role"] == "QE_Owner", f"release component contact: {rcc}")
check(admin["release-component-contacts"]._(release="fedora-41", global_component="glibc")["count"] == 1, "release contact filters")
check(admin["release-component-contacts"]._(release="fedora-40")["count"] == 0, "release filter excludes")
swapped = admin["release-component-contacts"][str(rcc["id"])]._("PATCH", {"contact": {"mail_name": "devel"}})
check(swapped["contact"]["mail_name"] == "devel", "PATCH the contact")
refused(lambda: anonymous["release-component-contacts"]._({"component": {"id": rc["id"]}, "role": "QE_Owner", "contact": {"username": "jdoe"}}), 401)
time.sleep(0.01)  # as_of reads to the millisecond: keep the PATCH and the DELETE apart
admin["release-component-contacts"][str(rcc["id"])]._("DELETE", {})
check(admin["release-component-contacts"]._()["count"] == 0, "release component contact deleted")
gone = admin.changesets._(resource="releasecomponentcontact", resource_id=rcc["id"], page_size=-1)
check(admin["release-component-contacts"][str(rcc["id"])]._(as_of=gone[1]["committed_on"])["contact"]["mail_name"] == "devel",
      "a deleted object as it was before its deletion")
refused(lambda: admin["release-component-contacts"][str(rcc["id"])]._(as_of=gone[0]["committed_on"]), 404)
history = admin.changesets._(resource="globalcomponentcontact", page_size=-1)
check(any(c["changes"][0]["new_value"] and '"Devel_Owner"' in c["changes"][0]["new_value"] for c in history), f"contacts changesets: {history[:1]}")

# Groups: members and what they may do.
groups = admin["auth/groups"]._(page_size=-1)
producers = [x for x in groups if x["name"] == "producers"][0]
check(producers["members"] == ["producer"] and "products:create" in producers["permissions"], f"groups: {groups}")
refused(lambda: admin["auth/groups"][str(producers["id"])]._("PATCH", {"members": ["nobody-at-all"]}), 400)
grown = admin["auth/groups"][str(producers["id"])]._("PATCH", {"members": ["producer", "limited"]})
check(grown["members"] == ["limited", "producer"], f"group members set: {grown}")
check(limited.products._({"name": "Now allowed", "short": "allowed"})["short"] == "allowed", "a new member has the group's permission")
admin["auth/groups"][str(producers["id"])]._("PATCH", {"members": ["producer"]})
refused(lambda: limited.products._({"name": "No more", "short": "nomore"}), 403)
refused(lambda: producer["auth/groups"][str(producers["id"])]._("PATCH", {"members": []}), 403)

# Lifecycles: SLA types, branches with SLAs (active while an SLA has not ended), schedules.
for name in ("bug_fixes", "security_fixes"):
    admin["component-sla-types"]._({"name": name, "description": name.replace("_", " ")})
refused(lambda: admin["component-sla-types"]._({"name": "bug_fixes"}), 400, {"name": ["This field must be unique."]})
sla = admin["component-branch-slas"]._({"sla": "bug_fixes", "eol": "2099-12-01",
                                        "branch": {"name": "f41", "global_component": "bash", "type": "rpm", "critical_path": True}})
check(sla["branch"]["name"] == "f41" and sla["branch"]["active"] is True and sla["branch"]["critical_path"] is True, f"sla creates its branch: {sla}")
admin["component-branch-slas"]._({"sla": "security_fixes", "eol": "2099-12-01",
                                  "branch": {"name": "f41", "global_component": "bash", "type": "rpm"}})
refused(lambda: admin["component-branch-slas"]._({"sla": "bug_fixes", "eol": "2099-12-01",
                                                   "branch": {"name": "f41", "global_component": "bash", "type": "rpm"}}), 400,
        {"detail": ["The fields sla, branch must make a unique set."]})
refused(lambda: admin["component-branch-slas"]._({"sla": "bug_fixes", "eol": "2099-12-01",
                                                   "branch": {"name": "f41", "global_component": "bash", "type": "rpm", "critical_path": False}}), 400)
old = admin["component-branch-slas"]._({"sla": "bug_fixes", "eol": "2010-06-01",
                                        "branch": {"name": "f12", "global_component": "bash", "type": "rpm"}})
check(old["branch"]["active"] is False, "an SLA in the past leaves its branch inactive")
branches = admin["component-branches"]._(global_component="bash", page_size=-1)
check([b["name"] for b in branches] == ["f12", "f41"], f"branches ordered by component, name: {branches}")
f41 = [b for b in branches if b["name"] == "f41"][0]
check([x["sla"] for x in f41["slas"]] == ["bug_fixes", "security_fixes"] and f41["slas"][0]["eol"] == "2099-12-01", f"slas: {f41}")
check([b["name"] for b in admin["component-branches"]._(global_component="bash", active=True, page_size=-1)] == ["f41"], "active=true")
check([b["name"] for b in admin["component-branches"]._(active=False, page_size=-1)] == ["f12"], "active=false")
check(admin["component-branches"]._(critical_path=True)["count"] == 1, "critical_path")
check(admin["component-branch-slas"]._(branch_active=True)["count"] == 2, "branch_active")
check(admin["component-branch-slas"]._(eol_before="2020-01-01")["count"] == 1, "eol_before")
check(admin["component-branch-slas"]._(eol_after="2020-01-01", sla="bug_fixes")["count"] == 1, "eol_after and sla")
# Retiring a branch as pdc-updater does: every future SLA ends today... here, yesterday.
for x in admin["component-branch-slas"]._(branch="f41", global_component="bash", page_size=-1):
    admin["component-branch-slas"][str(x["id"])]._("PATCH", {"eol": "2020-01-01"})
check(admin["component-branches"][str(f41["id"])]._()["active"] is False, "a retired branch is inactive")
refused(lambda: admin["component-branches"][str(f41["id"])]._("PATCH", {"name": "other"}), 400)
sched = admin["release-schedules"]._({"release": "fedora-41", "sla": "bug_fixes", "date": "2099-05-01"})
check(sched["active"] is True and sched["release_url"].endswith("/releases/fedora-41/"), f"schedule: {sched}")
admin["release-schedules"]._({"release": "fedora-9", "sla": "bug_fixes", "date": "2010-01-01"})
refused(lambda: admin["release-schedules"]._({"release": "fedora-41", "sla": "bug_fixes", "date": "2099-06-01"}), 400,
        {"detail": ["The fields release, sla must make a unique set."]})
refused(lambda: admin["release-schedules"]._({"release": "fedora-41", "sla": "security_fixes", "date": "next year"}), 400)
covered = admin["release-schedules"]._(sla="bug_fixes", active=True, fields="release", page_size=-1)
check(covered == [{"release": "fedora-41"}], f"which releases bug_fixes covers (PDC issue 294): {covered}")
check(admin["release-schedules"]._(product_version="fedora-41")["count"] == 1, "filter by product version")
check(admin["release-schedules"]._(date_before="2050-01-01")["count"] == 1, "date_before")

# Group permissions as an API: a grant takes effect at once, a revoked one is gone.
grants = admin["auth/group-resource-permissions"]._(page_size=-1)
check(grants == [{"id": grants[0]["id"], "group": "producers", "resource": "products", "permission": "create"}], f"grants: {grants}")
g = admin["auth/group-resource-permissions"]._({"group": "producers", "resource": "products", "permission": "update"})
check(producer.products.granted._("PATCH", {"name": "Granted and renamed"})["name"] == "Granted and renamed", "a new grant allows update")
refused(lambda: admin["auth/group-resource-permissions"]._({"group": "producers", "resource": "products", "permission": "update"}), 400,
        {"detail": ["The fields group, resource, permission must make a unique set."]})
refused(lambda: admin["auth/group-resource-permissions"]._({"group": "x", "resource": "nowhere", "permission": "update"}), 400)
refused(lambda: admin["auth/group-resource-permissions"]._({"group": "x", "resource": "products", "permission": "fly"}), 400)
refused(lambda: producer["auth/group-resource-permissions"]._({"group": "producers", "resource": "releases", "permission": "create"}), 403)
admin["auth/group-resource-permissions"]._("DELETE", [g["id"]])
refused(lambda: producer.products.granted._("PATCH", {"name": "Not any more"}), 403)
me = producer["auth/current-user"]._()
check(me["username"] == "producer" and me["groups"] == ["producers"] and me["resource_permissions"] == [{"resource": "products", "permission": "create"}], f"current user: {me}")

# Release RPCs: clone a release with its trees, components and rings; clone components into another release.
cloned = admin.rpc.release.clone._({"old_release_id": "fedora-41", "version": "42", "dist_git": {"branch": "f42"}})
check(cloned["release_id"] == "fedora-42" and cloned["dist_git"] == {"branch": "f42"} and cloned["name"] == "Fedora", f"clone: {cloned}")
check([(v["uid"], v["arches"]) for v in admin["release-variants"]._(release="fedora-42", page_size=-1)]
      == [(v["uid"], v["arches"]) for v in admin["release-variants"]._(release="fedora-41", page_size=-1)], "variants and arches cloned")
def components_of(release, **kw):
    return sorted((c["name"], c["type"], c["active"]) for c in admin["release-components"]._(release=release, page_size=-1, **kw))
check(components_of("fedora-42") == components_of("fedora-41") and len(components_of("fedora-42")) == 5, f"components cloned: {components_of('fedora-42')}")
check({c["dist_git_branch"] for c in admin["release-components"]._(release="fedora-42", page_size=-1)} == {"f42"}, "clones inherit the new branch")
check(sorted(g["description"] for g in admin["component-groups"]._(release="fedora-42", page_size=-1)) == ["ring 0", "ring 1"], "rings cloned")
ring1 = [g for g in admin["component-groups"]._(release="fedora-42", page_size=-1) if g["description"] == "ring 1"][0]
check([(c["name"], admin["release-components"][str(c["id"])]._()["release"]["release_id"]) for c in ring1["components"]]
      == [("firefox", "fedora-42")], f"ring members are the clones: {ring1}")
clone_sets = admin.changesets._(resource="releasecomponent", page_size=-1)
check(any(sum(1 for ch in cs["changes"] if ch["resource"] == "releasecomponent") == 5 for cs in clone_sets), "one changeset holds the cloned components")
refused(lambda: admin.rpc.release.clone._({"version": "43"}), 400, {"__all__": "Missing old_release_id"})
refused(lambda: admin.rpc.release.clone._({"old_release_id": "fedora-41", "version": "42"}), 400,
        {"detail": ["The fields short, version, release_type, base_product must make a unique set."]})
refused(lambda: admin.rpc.release.clone._({"old_release_id": "fedora-41", "version": "44", "include_trees": ["Nope.x86_64"]}), 400)
check(admin.releases._(version="44")["count"] == 0, "a refused clone leaves nothing behind")
refused(lambda: limited.rpc.release.clone._({"old_release_id": "fedora-41", "version": "45"}), 403)
trees = admin.rpc.release.clone._({"old_release_id": "fedora-41", "version": "46", "include_trees": ["Server.x86_64"],
                                    "include_inactive": False, "component_dist_git_branch": "stable"})
check(admin["release-variants"]["fedora-46"]["Server"]._()["arches"] == ["x86_64"], "include_trees keeps the trees asked for")
check(components_of("fedora-46") == [c for c in components_of("fedora-41") if c[2]], f"include_inactive=False: {components_of('fedora-46')}")
check({c["dist_git_branch"] for c in admin["release-components"]._(release="fedora-46", page_size=-1)} == {"stable"}, "component_dist_git_branch")
admin.releases._({"short": "fedora", "version": "47", "name": "Fedora", "release_type": "ga"})
into = admin.rpc.release["clone-components"]._({"source_release_id": "fedora-41", "target_release_id": "fedora-47"})
check(into["url"].endswith("/release-components/?release=fedora-47"), f"clone-components: {into}")
check(components_of("fedora-47") == components_of("fedora-41"), "components cloned into an existing release")
again = admin.rpc.release["clone-components"]._({"source_release_id": "fedora-41", "target_release_id": "fedora-47"})
check(components_of("fedora-47") == components_of("fedora-41"), "cloning again adds nothing")
refused(lambda: admin.rpc.release["clone-components"]._({"source_release_id": "fedora-41"}), 400, {"target_release_id": ["This field is required."]})
refused(lambda: admin.rpc.release["clone-components"]._({"source_release_id": "fedora-47", "target_release_id": "nope-1"}), 400)
refused(lambda: anonymous.rpc.release["clone-components"]._({"source_release_id": "fedora-41", "target_release_id": "fedora-47"}), 401)

# rpc/release/import-from-composeinfo, with a composeinfo.json written by productmd itself.
import productmd.composeinfo as composeinfo

def compose_info(short, version, variants, layered_on=None):
    ci = composeinfo.ComposeInfo()
    ci.compose.id, ci.compose.type, ci.compose.date, ci.compose.respin = f"{short}-{version}-20261101.0", "production", "20261101", 0
    ci.release.name, ci.release.short, ci.release.version, ci.release.type = short.capitalize(), short, version, "ga"
    ci.release.is_layered = layered_on is not None
    if layered_on:
        ci.base_product.name, ci.base_product.short, ci.base_product.version, ci.base_product.type = layered_on
    for uid, vtype, arches, children in variants:
        v = composeinfo.Variant(ci)
        v.id = v.uid = v.name = uid
        v.type, v.arches = vtype, set(arches)
        for cid, carches in children:
            c = composeinfo.Variant(ci)
            c.id, c.uid, c.name, c.type, c.arches, c.parent = cid, f"{uid}-{cid}", cid, "optional", set(carches), v
            v.add(c)
        ci.variants.add(v)
    with tempfile.NamedTemporaryFile("r", suffix=".json") as f:
        ci.dump(f.name)
        return f.read()

info = compose_info("Rocket", "3.1", [("Server", "variant", ["x86_64", "ppc64le"], [("optional", ["x86_64"])]),
                                      ("Everything", "variant", ["x86_64", "riscv128"], [])])
imported = admin.session.post(API + "rpc/release/import-from-composeinfo/", data=info, headers={"Content-Type": "application/json"})
check(imported.status_code == 201 and imported.json()["url"].endswith("/rest_api/v1/releases/rocket-3.1/")
      and imported.json()["new_arches"] == ["riscv128"], f"import: {imported.status_code} {imported.text}")
rocket = admin.releases["rocket-3.1"]._()
check(rocket["product_version"] == "rocket-3" and rocket["active"] is True and rocket["name"] == "Rocket", f"the release: {rocket}")
check(admin.products.rocket._()["product_versions"] == ["rocket-3"], "product and product version (the major version) made on the way")
check([(v["uid"], v["type"], v["arches"]) for v in admin["release-variants"]._(release="rocket-3.1", ordering="variant_uid", page_size=-1)]
      == [("Everything", "variant", ["riscv128", "x86_64"]), ("Server", "variant", ["ppc64le", "x86_64"]), ("Server-optional", "optional", ["x86_64"])],
      "variants, children and arches")
again = admin.session.post(API + "rpc/release/import-from-composeinfo/", data=info)
check(again.status_code == 201 and again.json()["created"] is False, f"importing again: {again.text}")
check(admin.changesets._(resource="release", resource_id=admin.changesets._(resource="release", page_size=-1)[0]["changes"][0]["resource_id"])["count"] == 1,
      "importing again changes nothing")
grown = compose_info("Rocket", "3.1", [("Server", "variant", ["x86_64", "ppc64le", "s390x"], [])])
admin.session.post(API + "rpc/release/import-from-composeinfo/", data=grown)
check(admin["release-variants"]["rocket-3.1"]["Server"]._()["arches"] == ["ppc64le", "s390x", "x86_64"], "a new arch in a later compose is added")
layered = compose_info("Addon", "9", [("Extras", "variant", ["x86_64"], [])], layered_on=("RHEL", "RHEL", "9", "ga"))
made = admin.session.post(API + "rpc/release/import-from-composeinfo/", data=layered).json()
check(made["url"].endswith("/releases/addon-9@rhel-9/") and admin["base-products"]["rhel-9"]._()["name"] == "RHEL", f"layered: {made}")
broken = admin.session.post(API + "rpc/release/import-from-composeinfo/", data=info[: len(info) // 2])
check(broken.status_code == 400 and broken.json()["detail"] == "Error parsing productmd metadata." and "line" in broken.json()["place"],
      f"a truncated composeinfo: {broken.text}")
wrong = admin.session.post(API + "rpc/release/import-from-composeinfo/", data=json.dumps({"header": {"type": "productmd.rpms", "version": "1.2"}, "payload": {}}))
check(wrong.status_code == 400 and "productmd.composeinfo" in wrong.json()["reason"], f"not a composeinfo: {wrong.text}")
check(admin.releases._(short="rocket")["count"] == 1, "nothing half-written")
refused(lambda: anonymous.rpc.release["import-from-composeinfo"]._(json.loads(info)), 401)

# Beyond PDC: what a release is supposed to produce, its variants x arches x deliverable types.
dtypes = admin["deliverable-types"]._(page_size=-1)
check([t["name"] for t in dtypes] == ["os-repository", "debug-repository", "boot-iso", "dvd-iso", "cloud-qcow2"], f"seeded types: {dtypes}")
raw = admin["deliverable-types"]._({"name": "server-raw", "artifact": "image", "format": "raw.xz", "variants": ["Server"],
                                    "arches": ["aarch64"], "pattern": "{name}-{variant}-{version}.{arch}.raw.xz"})
check(raw == {"name": "server-raw", "artifact": "image", "format": "raw.xz", "variant_types": [], "variants": ["Server"],
              "arches": ["aarch64"], "pattern": "{name}-{variant}-{version}.{arch}.raw.xz"}, f"deliverable type: {raw}")
refused(lambda: admin["deliverable-types"]._({"name": "bad", "artifact": "image", "format": "iso", "pattern": "{colour}.iso"}), 400)
refused(lambda: admin["deliverable-types"]._({"name": "bad", "artifact": "rpm", "format": "iso", "pattern": "{arch}.iso"}), 400)
refused(lambda: admin["deliverable-types"]._(dict(raw)), 400, {"name": ["This field must be unique."]})
refused(lambda: anonymous["deliverable-types"]._({"name": "anon", "artifact": "image", "format": "iso", "pattern": "{arch}.iso"}), 401)
server_arches = admin["release-variants"]["fedora-41"]["Server"]._()["arches"]
out = admin["release-deliverables"]._(release="fedora-41", page_size=-1)
check(len(out) == 4 * len(server_arches), f"4 types apply to each Server tree of fedora-41 ({server_arches}): {out}")
check({"release": "fedora-41", "variant": "Server", "arch": "x86_64", "deliverable_type": "dvd-iso", "artifact": "image", "format": "iso",
       "path": "Fedora-Server-dvd-x86_64-41.iso"} in out, f"a dvd: {out}")
check({"release": "fedora-41", "variant": "Server", "arch": "x86_64", "deliverable_type": "os-repository", "artifact": "repository",
       "format": "rpm", "path": "Server/x86_64/os"} in out, "an os repository")
admin["release-variants"]["fedora-41"]["Server"]._("PATCH", {"add_arches": ["aarch64"]})
images = admin["release-deliverables"]._(release="fedora-41", arch="aarch64", artifact="image", page_size=-1)
check([(d["deliverable_type"], d["path"]) for d in images] == [("boot-iso", "Fedora-Server-netinst-aarch64-41.iso"),
      ("dvd-iso", "Fedora-Server-dvd-aarch64-41.iso"), ("server-raw", "Fedora-Server-41.aarch64.raw.xz")], f"a new tree, a new type: {images}")
admin["deliverable-types"]["server-raw"]._("PATCH", {"pattern": "{short}/{release_id}/{variant}.{arch}.raw.xz"})
check(admin["release-deliverables"]._(release="fedora-41", deliverable_type="server-raw", page_size=-1)[0]["path"]
      == "fedora/fedora-41/Server.aarch64.raw.xz", "a type's new pattern")
paged = admin["release-deliverables"]._(release=["fedora-41", "fedora-42"], page_size=3)
check(paged["count"] == 4 * (len(server_arches) + 1) + 1 + 4 * len(server_arches) and len(paged["results"]) == 3, f"two releases, paged: {paged['count']}")
refused(lambda: admin["release-deliverables"]._(), 400)
refused(lambda: admin["release-deliverables"]._(release="nope-1"), 400)
admin["deliverable-types"]["server-raw"]._("DELETE", {})
check(admin["release-deliverables"]._(release="fedora-41", deliverable_type="server-raw")["count"] == 0, "a deleted type produces nothing")
admin["release-variants"]["fedora-41"]["Server"]._("PATCH", {"remove_arches": ["aarch64"]})

# Filters too long for a URL (PDC issue 421): the same list, asked by POST.
many = [f"no-such-component-{i:05d}" for i in range(3000)] + ["bash", "glibc"]
found = admin.session.post(API + "release-components/query/", json={"name": many, "release": "fedora-41", "page_size": -1})
check(found.status_code == 200 and sorted(x["name"] for x in found.json()) == ["bash", "bash", "glibc"], f"POST query: {found.text[:300]}")
paged = admin.session.post(API + "release-components/query/", json={"release": "fedora-41", "page_size": 2, "page": 2}).json()
check(paged["count"] == 5 and len(paged["results"]) == 2 and paged["next"] is None, f"POST query pages: {paged}")
bad = admin.session.post(API + "release-components/query/", json={"colour": "red"})
check(bad.status_code == 400 and bad.json() == {"detail": "Unknown query params: colour."}, f"strict as GET: {bad.text}")

# The pdc CLI, configured the way deployments configure it.
with tempfile.TemporaryDirectory() as home:
    os.makedirs(os.path.join(home, ".config", "pdc"))
    with open(os.path.join(home, ".config", "pdc", "client_config.json"), "w") as f:
        json.dump({"almanac": {"host": API, "token": os.environ["PDC_TOKEN"], "ssl-verify": False}}, f)
    env = dict(os.environ, HOME=home)
    pdc = [os.path.join(os.path.dirname(sys.executable), "pdc"), "-s", "almanac"]

    def cli(*args):
        out = subprocess.run(pdc + list(args), env=env, capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"pdc {' '.join(args)}: {out.stdout} {out.stderr}")
        return out.stdout

    created = json.loads(cli("--json", "product", "create", "--name", "Rocky", "--short", "rocky"))
    check(created["short"] == "rocky", f"pdc product create: {created}")
    shown = json.loads(cli("--json", "product", "info", "rocky"))
    check(shown["name"] == "Rocky", f"pdc product info: {shown}")
    listed = json.loads(cli("--json", "product", "list", "--all"))
    check(len(listed) == 8, f"pdc product list --all: {listed}")
    cli("product", "update", "rocky", "--name", "Rocky Linux")
    check(admin.products.rocky._()["name"] == "Rocky Linux", "pdc product update")
    versions = json.loads(cli("--json", "product-version", "list", "--all"))
    check(len(versions) == 6, f"pdc product-version list: {versions}")
    made = json.loads(cli("--json", "release", "create", "--short", "rocky", "--version", "9", "--release-type", "ga",
                          "--name", "Rocky Linux", "--dist-git-branch", "r9", "--bugzilla-product", "Rocky"))
    check(made["release_id"] == "rocky-9" and made["dist_git"] == {"branch": "r9"}, f"pdc release create: {made}")
    info = json.loads(cli("--json", "release", "info", "fedora-41"))
    check(info["release_id"] == "fedora-41" and [x["uid"] for x in info["variants"]] == ["Server"], f"pdc release info: {info}")
    active = json.loads(cli("--json", "release", "list"))
    check(sorted(x["release_id"] for x in active) == ["addon-9@rhel-9", "fedora-40", "fedora-40-updates", "fedora-41", "fedora-42", "fedora-46",
                                                          "fedora-47", "rocket-3.1", "rocky-9", "sat-6.0@rhel-9"],
          f"pdc release list: {active}")
    cli("release", "update", "rocky-9", "--deactivate")
    check(admin.releases["rocky-9"]._()["active"] is False, "pdc release update --deactivate")
    made = json.loads(cli("--json", "release", "clone", "rocky-9", "--version", "10", "--dist-git-branch", "r10"))
    check(made["release_id"] == "rocky-10" and made["dist_git"] == {"branch": "r10"}, f"pdc release clone: {made}")
    variants = json.loads(cli("--json", "release-variant", "list"))
    check(len(variants) == 7, f"pdc release-variant list: {variants}")
    cli("release-variant", "create", "--release", "rocky-9", "--uid", "BaseOS", "--id", "BaseOS", "--name", "BaseOS",
        "--type", "variant", "--arch", "x86_64", "--arch", "aarch64")
    check(admin["release-variants"]["rocky-9"]["BaseOS"]._()["arches"] == ["aarch64", "x86_64"], "pdc release-variant create")
    made = json.loads(cli("--json", "global-component-contact", "create", "--component", "python3", "--role", "Devel_Owner",
                          "--username", "pyowner", "--email", "pyowner@example.com"))
    check(made["contact"]["username"] == "pyowner", f"pdc global-component-contact create: {made}")
    shown = json.loads(cli("--json", "global-component", "info", "python3"))
    check(shown["contacts"][0]["role"] == "Devel_Owner" and shown["contacts"][0]["contact"]["username"] == "pyowner", f"pdc global-component info: {shown}")
    listed = json.loads(cli("--json", "global-component-contact", "list", "--role", "Devel_Owner"))
    check(sorted(x["component"] for x in listed) == ["bash", "python3"], f"pdc global-component-contact list: {listed}")
    cli("global-component-contact", "delete-match", "--component", "^python3$", "--role", "Devel_Owner")
    check(admin["global-component-contacts"]._(component="^python3$")["count"] == 0, "pdc global-component-contact delete-match")
    made = json.loads(cli("--json", "release-component-contact", "create", "--release", "fedora-41", "--component", "firefox",
                          "--role", "QE_Owner", "--mail-name", "devel", "--email", "devel@lists.example.com"))
    check(made["component"]["name"] == "firefox", f"pdc release-component-contact create: {made}")
    shown = json.loads(cli("--json", "release-component", "info", "fedora-41", "firefox"))
    check(shown["contacts"][0]["contact"]["mail_name"] == "devel", f"pdc release-component info: {shown}")

# Modules: a build with its dependencies and rpms (found by NEVRA or created), PDC's filters, the uid
# made of its parts, and the artifact graph seeing what it is made of.
nodejs_rpm = {"name": "nodejs", "epoch": 1, "version": "20.18.1", "release": "1.module_f41+1234", "arch": "x86_64",
              "srpm_name": "nodejs", "srpm_nevra": "nodejs-1:20.18.1-1.module_f41+1234.src"}
npm_rpm = dict(nodejs_rpm, name="npm", epoch=0, version="10.8.2")
mod = admin.modules._({"name": "nodejs", "stream": "20", "version": "4120241201", "context": "f41a",
                       "koji_tag": "module-nodejs-20-4120241201-f41a", "modulemd": "document: modulemd\nversion: 2\n",
                       "runtime_deps": [{"dependency": "platform", "stream": "f41"}],
                       "build_deps": [{"dependency": "platform", "stream": "f41"}, {"dependency": "nodejs-build", "stream": "20"}],
                       "rpms": [nodejs_rpm, npm_rpm]})
check(mod["uid"] == "nodejs:20:4120241201:f41a" and mod["active"] is False, f"module create: {mod}")
check(sorted(mod["rpms"]) == ["nodejs-1:20.18.1-1.module_f41+1234.x86_64.rpm", "npm-0:10.8.2-1.module_f41+1234.x86_64.rpm"],
      f"module rpms read as nevra.rpm: {mod['rpms']}")
check(admin.modules["nodejs:20:4120241201:f41a"]._() == mod, "module by uid")
check(admin.rpms._(name="npm")["count"] == 1, "a module's unknown rpm is created")
old = admin.modules._({"name": "nodejs", "stream": "18", "version": "4120230601", "koji_tag": "module-nodejs-18",
                       "modulemd": "document: modulemd\n", "runtime_deps": [{"dependency": "platform", "stream": "f41"}], "rpms": [nodejs_rpm]})
check(old["context"] == "00000000" and old["build_deps"] == [], f"module defaults: {old}")
refused(lambda: admin.modules._({"name": "nodejs", "stream": "20", "version": "4120241201", "context": "f41a",
                                  "koji_tag": "t", "modulemd": "m"}), 400,
        {"detail": ["The fields name, stream, version, context must make a unique set."]})
refused(lambda: admin.modules._({"name": "x", "stream": "1", "version": "1", "koji_tag": "t"}), 400, {"modulemd": ["This field is required."]})
refused(lambda: admin.modules._({"name": "x", "stream": "1", "version": "1", "koji_tag": "t", "modulemd": "m",
                                  "rpms": [{"name": "x"}]}), 400)
refused(lambda: admin.modules._({"name": "x", "stream": "1", "version": "1", "koji_tag": "t", "modulemd": "m", "uid": "a:b:c:d"}), 400)
refused(lambda: limited.modules._({"name": "x", "stream": "1", "version": "1", "koji_tag": "t", "modulemd": "m"}), 403)
uids = lambda **kw: sorted(m["uid"] for m in admin.modules._(page_size=-1, **kw))
check(uids(name="nodejs") == ["nodejs:18:4120230601:00000000", "nodejs:20:4120241201:f41a"], "modules by name")
check(uids(stream="20") == ["nodejs:20:4120241201:f41a"], "by stream")
check(uids(koji_tag="MODULE-NODEJS-18") == ["nodejs:18:4120230601:00000000"], "koji_tag is case-insensitive")
check(uids(build_dep_name="nodejs-build") == ["nodejs:20:4120241201:f41a"], "by build_dep_name")
check(uids(runtime_dep_stream="f41") == uids(name="nodejs"), "by runtime_dep_stream")
check(uids(rpm_filename="npm-10.8.2-1.module_f41+1234.x86_64.rpm") == ["nodejs:20:4120241201:f41a"], "by rpm_filename")
check(uids(component_name="nodejs") == uids(name="nodejs"), "by component_name (the rpms' srpm_name)")
check(uids(component="nodejs") == uids(name="nodejs") and uids(component="nodejs/f41") == [], "by component[/branch]")
check(uids(active=True) == [], "by active")
import requests
inputs = requests.get(BASE + "/api/almanac/v1/graph/inputs",
                      params={"artifact": "module:nodejs:20:4120241201:f41a", "direct": "true"}).json()
got = sorted((n["artifact"], sorted(n["kinds"])) for n in inputs["nodes"])
check(got == [("module:nodejs-build:20", ["build-requires"]), ("module:platform:f41", ["build-requires", "requires"]),
              ("rpm:nodejs-1:20.18.1-1.module_f41+1234.x86_64", ["includes"]), ("rpm:npm-10.8.2-1.module_f41+1234.x86_64", ["includes"])],
      f"the graph holds the module's inputs: {got}")
patched = admin.modules["nodejs:20:4120241201:f41a"]._("PATCH", {"active": True, "rpms": [nodejs_rpm]})
check(patched["active"] is True and len(patched["rpms"]) == 1 and patched["build_deps"] == mod["build_deps"], f"module PATCH: {patched}")
consumers = requests.get(BASE + "/api/almanac/v1/graph/consumers", params={"input": "rpm:npm-10.8.2-1.module_f41+1234.x86_64"}).json()
check(consumers["count"] == 0, f"the dropped rpm left the module's inputs: {consumers}")
stream = requests.get(BASE + "/api/almanac/v1/graph/inputs", params={"artifact": "module:nodejs:20", "direct": "true"}).json()
check([n["artifact"] for n in stream["nodes"]] == ["module:nodejs:20:4120241201:f41a"], f"a module build is an input of its stream: {stream}")
admin.modules._("DELETE", ["nodejs:18:4120230601:00000000"])
check(uids(name="nodejs") == ["nodejs:20:4120241201:f41a"], "module DELETE")

# Every writable resource through the same motions: a write without a token refused; a bulk create;
# read back; found by a filter; PATCH, PUT where PDC has it, bulk PATCH; delete and bulk delete where PDC
# allows them (405 where it does not); each step in the object's changesets.
import requests

def sweep(prefix, cls, make, key, flt, patch, delete=True, put=None):
    url = API + prefix + "/"
    before = admin.changesets._(resource=cls)["count"]
    anon = requests.post(url, json=make(0))
    check(anon.status_code == 401, f"{prefix}: a write without a token: {anon.status_code}")
    made = admin.session.post(url, json=[make(0), make(1)])
    check(made.status_code == 201 and len(made.json()) == 2, f"{prefix}: bulk create: {made.status_code} {made.text[:300]}")
    a, b = made.json()
    ka, kb = key(a), key(b)
    check(admin.session.get(url + ka + "/").json() == a, f"{prefix}: read back {ka}")
    name, value = flt(a)
    listed = admin.session.get(url, params={name: value, "page_size": -1}).json()
    check(a in listed and b not in listed, f"{prefix}: filter {name}={value}: {listed}")
    change = patch if callable(patch) else (lambda i: patch)
    patched = admin.session.patch(url + ka + "/", json=change(0))
    check(patched.status_code == 200 and all(patched.json().get(k, v) == v for k, v in change(0).items() if not isinstance(v, dict)),
          f"{prefix}: PATCH {change(0)}: {patched.text[:300]}")
    if put is not None:
        whole = admin.session.put(url + ka + "/", json=put(a))
        check(whole.status_code == 200, f"{prefix}: PUT: {whole.status_code} {whole.text[:300]}")
    bulk = admin.session.patch(url, json={kb: change(1)})
    check(bulk.status_code == 200 and kb in bulk.json(), f"{prefix}: bulk PATCH: {bulk.status_code} {bulk.text[:300]}")
    steps = 3 if put is None else 4  # one changeset a request: bulk create, PATCH, (PUT), bulk PATCH
    if delete:
        check(admin.session.delete(url + ka + "/").status_code == 204, f"{prefix}: DELETE")
        check(admin.session.get(url + ka + "/").status_code == 404, f"{prefix}: deleted")
        check(admin.session.delete(url, json=[kb]).status_code == 204 and admin.session.get(url + kb + "/").status_code == 404,
              f"{prefix}: bulk DELETE")
        steps += 2
    else:
        check(admin.session.delete(url + ka + "/").status_code == 405, f"{prefix}: no DELETE in PDC")
    after = admin.changesets._(resource=cls)["count"]
    check(after - before >= steps, f"{prefix}: {after - before} changesets for {steps} writes")

ident = lambda o: str(o["id"])
sweep("products", "product", lambda i: {"name": f"Sweep {i}", "short": f"sweep{i}"}, lambda o: o["short"],
      lambda o: ("short", o["short"]), {"name": "Swept"}, delete=False, put=lambda o: {"name": "Put", "short": o["short"]})
sweep("product-versions", "productversion", lambda i: {"name": f"Sweep {i}", "version": f"9{i}", "product": "fedora"},
      lambda o: o["product_version_id"], lambda o: ("version", o["version"]), {"name": "Swept"}, delete=False)
sweep("releases", "release", lambda i: {"short": "sweep", "version": str(i + 1), "name": "Sweep", "release_type": "ga"},
      lambda o: o["release_id"], lambda o: ("version", o["version"]), {"name": "Swept"}, delete=False,
      put=lambda o: {"short": "sweep", "version": o["version"], "name": "Put", "release_type": "ga"})
sweep("release-variants", "variant", lambda i: {"release": "sweep-1", "id": f"V{i}", "uid": f"V{i}", "name": f"V{i}", "type": "variant", "arches": ["x86_64"]},
      lambda o: o["release"] + "/" + o["uid"], lambda o: ("uid", o["uid"]), {"name": "Swept"})
sweep("sigkeys", "sigkey", lambda i: {"key_id": f"5eed{i:04x}", "name": f"sweep-{i}", "description": "d"}, lambda o: o["key_id"],
      lambda o: ("name", o["name"]), {"description": "swept"}, delete=False)
sweep("global-components", "globalcomponent", lambda i: {"name": f"sweep-gc-{i}"}, ident, lambda o: ("name", o["name"]),
      {"dist_git_path": "rpms/swept"})
sweep("release-components", "releasecomponent", lambda i: {"release": "fedora-41", "global_component": "glibc", "name": f"sweep-rc-{i}"}, ident,
      lambda o: ("name", o["name"]), {"active": False})
sweep("bugzilla-components", "bugzillacomponent", lambda i: {"name": f"sweepbz{i}", "parent_pk": None}, ident,
      lambda o: ("name", o["name"]), {"parent_pk": kernel["id"]})
sweep("component-group-types", "releasecomponentgrouptype", lambda i: {"name": f"sweep-gt-{i}", "description": "d"}, ident,
      lambda o: ("name", o["name"]), {"description": "swept"})
sweep("component-groups", "releasecomponentgroup", lambda i: {"group_type": "ring", "release": "fedora-4" + str(6 + i), "description": "sweep"}, ident,
      lambda o: ("release", o["release"]), {"description": "swept"})
sweep("component-branches", "componentbranch", lambda i: {"name": f"sweep{i}", "global_component": "bash", "type": "rpm"}, ident,
      lambda o: ("name", o["name"]), {"critical_path": True})
sweep("component-sla-types", "sla", lambda i: {"name": f"sweep_sla_{i}", "description": "d"}, ident,
      lambda o: ("name", o["name"]), {"description": "swept"})
sweep("component-branch-slas", "slatocomponentbranch",
      lambda i: {"sla": "bug_fixes", "eol": "2099-01-01", "branch": {"name": f"sweepb{i}", "global_component": "bash", "type": "rpm"}}, ident,
      lambda o: ("branch", o["branch"]["name"]), {"eol": "2098-01-01"})
sweep("release-schedules", "releaseschedule", lambda i: {"release": f"sweep-{i + 1}", "sla": "security_fixes", "date": "2099-01-01"}, ident,
      lambda o: ("release", o["release"]), {"date": "2099-02-02"})
sweep("contacts/people", "person", lambda i: {"username": f"sweeper{i}", "email": f"s{i}@example.com"}, ident,
      lambda o: ("username", o["username"]), {"email": "swept@example.com"})
sweep("contacts/mailing-lists", "maillist", lambda i: {"mail_name": f"sweep-list-{i}", "email": f"l{i}@example.com"}, ident,
      lambda o: ("mail_name", o["mail_name"]), {"email": "swept@example.com"})
sweep("contact-roles", "contactrole", lambda i: {"name": f"SweepRole{i}", "count_limit": 3}, lambda o: o["name"],
      lambda o: ("name", o["name"]), {"count_limit": 4})
sweep("global-component-contacts", "globalcomponentcontact",
      lambda i: {"component": "glibc", "role": "Watcher", "contact": {"username": f"sweepc{i}", "email": f"c{i}@example.com"}}, ident,
      lambda o: ("contact", o["contact"]["username"]), lambda i: {"contact": {"mail_name": f"gsweep-{i}", "email": f"g{i}@lists.example.com"}})
sweep("release-component-contacts", "releasecomponentcontact",
      lambda i: {"component": {"release": "fedora-41", "name": "glibc"}, "role": "Watcher", "contact": {"username": f"sweepc{i}"}}, ident,
      lambda o: ("contact", o["contact"]["username"]), lambda i: {"contact": {"mail_name": f"rsweep-{i}", "email": f"r{i}@lists.example.com"}})
sweep("labels", "label", lambda i: {"name": f"sweep-label-{i}", "description": "d"}, ident, lambda o: ("name", o["name"]), {"description": "swept"})
sweep("component-relationship-types", "releasecomponentrelationshiptype", lambda i: {"name": f"SweepRel{i}"}, ident,
      lambda o: ("name", o["name"]), lambda i: {"name": f"SweptRel{i}"})
sweep("release-component-relationships", "releasecomponentrelationship",
      lambda i: {"type": ["RPMBuildRoot", "ContainerIncludesRPM"][i], "from_component": {"release": "fedora-41", "name": "python3"},
                 "to_component": {"release": "fedora-41", "name": "firefox"}}, ident,
      lambda o: ("type", o["type"]), {"to_component": {"release": "fedora-41", "name": "glibc"}})
sweep("modules", "module", lambda i: {"name": f"sweep-mod-{i}", "stream": "1", "version": "1", "koji_tag": "t", "modulemd": "m"},
      lambda o: o["uid"], lambda o: ("name", o["name"]), {"active": True},
      put=lambda o: {"name": o["name"], "stream": "1", "version": "1", "koji_tag": "t2", "modulemd": "m2"})
sweep("auth/group-resource-permissions", "groupresourcepermission",
      lambda i: {"group": "producers", "resource": "labels", "permission": ["create", "update"][i]}, ident,
      lambda o: ("permission", o["permission"]), lambda i: {"permission": ["delete", "create"][i]})
sweep("deliverable-types", "deliverabletype", lambda i: {"name": f"sweep-dt-{i}", "artifact": "image", "format": "iso", "pattern": "{variant}.iso"},
      lambda o: o["name"], lambda o: ("name", o["name"]), {"pattern": "{variant}-{arch}.iso"})
for prefix, status in (("arches", 401), ("base-products", 401), ("auth/groups", 405)):
    got = requests.post(API + prefix + "/", json={"name": "x"}).status_code
    check(got == status, f"{prefix}: a write without a token: {got}")

print(f"{passed} passed, 0 failed")
