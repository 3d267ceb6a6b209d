"""Bodhi's gating calls, made as Bodhi makes them, against a running Almanac.

Bodhi talks to ResultsDB, WaiverDB and Greenwave with `requests`: JSON bodies,
`Accept: application/json`, its service token for WaiverDB (it waives on
behalf of the packager who asked, `username`), nothing for Greenwave. Here a
CI system posts results, Bodhi asks Greenwave whether the update may go to
testing and to stable, a packager waives a failure through Bodhi, and Bodhi
asks again.

    ALMANAC_URL=http://127.0.0.1:PORT BODHI_TOKEN=... python bodhi_gating.py

The server runs with tests/python/bodhi-policies/ as its policies and
`[waivers] superusers = ["bodhi"]`. Ends with `N passed, M failed`.
"""

import os
import sys

import requests

BASE = os.environ["ALMANAC_URL"].rstrip("/")
TOKEN = os.environ["BODHI_TOKEN"]
RESULTSDB = BASE + "/api/v2.0"
WAIVERDB = BASE + "/api/v1.0"
GREENWAVE = BASE + "/api/v1.0"
TIMEOUT = 30

passed = failed = 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", file=sys.stderr, flush=True)
    return bool(condition)


session = requests.Session()
session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})


def greenwave_api_post(url, data):
    """As bodhi.server.util.greenwave_api_post: a JSON POST, the JSON answer."""
    r = session.post(url, json=data, timeout=TIMEOUT)
    return r.status_code, r.json()


def waiverdb_api_post(url, data):
    """As bodhi.server.util.waiverdb_api_post: with Bodhi's own credentials."""
    r = session.post(url, json=data, timeout=TIMEOUT, headers={"Authorization": "Bearer " + TOKEN})
    return r.status_code, r.json()


UPDATE = "FEDORA-2026-7a1b2c3d4e"
BUILDS = ["bash-5.2.37-1.fc41", "readline-8.2-11.fc41"]


def result(nvr, testcase, outcome):
    r = session.post(RESULTSDB + "/results", json={
        "testcase": {"name": testcase}, "outcome": outcome,
        "data": {"item": nvr, "type": "koji_build"}}, timeout=TIMEOUT)
    check(r.status_code == 201, f"POST a result: {r.status_code} {r.text}")


def decision(context):
    """The request Bodhi makes for an update (Update.get_test_gating_info)."""
    data = {
        "product_version": "fedora-41",
        "decision_context": context,
        "subject": [{"item": b, "type": "koji_build"} for b in BUILDS]
        + [{"item": UPDATE, "type": "bodhi_update"}],
        "verbose": True,
    }
    return greenwave_api_post(GREENWAVE + "/decision", data)


# CI reports: rpmdeplint passes for both builds, upgradepath fails for bash.
for b in BUILDS:
    result(b, "dist.rpmdeplint", "PASSED")
result(BUILDS[0], "dist.upgradepath", "FAILED")
result(BUILDS[1], "dist.upgradepath", "PASSED")

status, testing = decision("bodhi_update_push_testing")
check(status == 200 and testing["policies_satisfied"] is True, f"testing: {status} {testing}")
check(testing["summary"] == "All required tests passed", f"testing summary: {testing.get('summary')}")

status, stable = decision("bodhi_update_push_stable")
check(status == 200 and stable["policies_satisfied"] is False, f"stable: {status} {stable}")
check(stable["summary"] == "1 of 4 required tests failed", f"stable summary: {stable.get('summary')}")
unsatisfied = stable.get("unsatisfied_requirements", [])
check([(u["type"], u["subject_identifier"], u["testcase"]) for u in unsatisfied]
      == [("test-result-failed", BUILDS[0], "dist.upgradepath")], f"unsatisfied: {unsatisfied}")
check(unsatisfied and unsatisfied[0].get("item") == {"type": "koji_build", "item": BUILDS[0]},
      f"the legacy item Bodhi shows: {unsatisfied}")
check(sorted(stable.get("applicable_policies", [])) == ["bodhi_stable"], f"applicable: {stable.get('applicable_policies')}")
check(len(stable.get("results", [])) == 4 and stable.get("waivers") == [], "verbose results and waivers")

# The packager waives the failure through Bodhi (Update.waive_test_results):
# one waiver per unsatisfied requirement, Bodhi's token, the packager's name.
waivers = [{
    "subject_type": u["subject_type"],
    "subject_identifier": u["subject_identifier"],
    "testcase": u["testcase"],
    "product_version": "fedora-41",
    "waived": True,
    "username": "packager",
    "comment": "upgradepath is wrong about bash: the old version is retired",
    "scenario": u.get("scenario"),
} for u in unsatisfied]
status, created = waiverdb_api_post(WAIVERDB + "/waivers/", waivers)
check(status == 201 and isinstance(created, list) and len(created) == 1, f"waivers: {status} {created}")
if created and isinstance(created, list):
    w = created[0]
    check((w["username"], w["proxied_by"], w["waived"]) == ("packager", "bodhi", True), f"the waiver: {w}")

status, stable = decision("bodhi_update_push_stable")
check(status == 200 and stable["policies_satisfied"] is True, f"stable after the waiver: {stable}")
check(stable["summary"] == "All required tests passed", f"summary after the waiver: {stable.get('summary')}")
waived = [s for s in stable.get("satisfied_requirements", []) if s["type"] == "test-result-failed-waived"]
check(len(waived) == 1 and waived[0].get("waiver_id") == created[0]["id"], f"waived requirement: {waived}")
check(len(stable.get("waivers", [])) == 1, "the waiver in the verbose answer")

# Without Bodhi's token, or on behalf of someone by a user who may not.
r = session.post(WAIVERDB + "/waivers/", json=waivers, timeout=TIMEOUT)
check(r.status_code == 401, f"no token: {r.status_code}")
# Waivers Bodhi reads back for the update's builds.
r = session.get(WAIVERDB + "/waivers/", params={"subject_identifier": BUILDS[0], "product_version": "fedora-41"},
                timeout=TIMEOUT)
check(r.status_code == 200 and [w["id"] for w in r.json()["data"]] == [created[0]["id"]], f"GET waivers: {r.text}")
r = session.post(WAIVERDB + "/waivers/+filtered", json={"filters": [
    {"subject_type": "koji_build", "subject_identifier": b, "product_version": "fedora-41"} for b in BUILDS]},
    timeout=TIMEOUT)
check(r.status_code == 200 and len(r.json()["data"]) == 1, f"+filtered as Greenwave asks: {r.text}")
# Policies and subject types, as Bodhi's and Greenwave's tooling list them.
r = session.get(GREENWAVE + "/policies", timeout=TIMEOUT)
check(r.status_code == 200 and {p["id"] for p in r.json()["policies"]} == {"bodhi_testing", "bodhi_stable"},
      f"policies: {r.text}")
r = session.get(GREENWAVE + "/subject_types", timeout=TIMEOUT)
check(r.status_code == 200 and any(t["id"] == "bodhi_update" for t in r.json()["subject_types"]), "subject types")
# A decision Greenwave cannot make is a 404 with a message, as Bodhi expects.
status, body = greenwave_api_post(GREENWAVE + "/decision", {
    "product_version": "rhel-9", "decision_context": "bodhi_update_push_stable",
    "subject_type": "koji_build", "subject_identifier": "bash-5.1-7.el9"})
check(status == 404 and "no applicable policies" in body.get("message", ""), f"no policy: {status} {body}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
