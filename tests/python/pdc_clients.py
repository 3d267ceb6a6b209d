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
    check(len(listed) == 5, f"pdc product list --all: {listed}")
    cli("product", "update", "rocky", "--name", "Rocky Linux")
    check(admin.products.rocky._()["name"] == "Rocky Linux", "pdc product update")
    versions = json.loads(cli("--json", "product-version", "list", "--all"))
    check(len(versions) == 4, f"pdc product-version list: {versions}")

print(f"{passed} passed, 0 failed")
