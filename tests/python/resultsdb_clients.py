"""Drives the real `resultsdb-api` client and `resultsdb-conventions` reporters
against a running Almanac (ALMANAC_URL) and checks every call's answer against
what ResultsDB answers. Prints 'N passed, 0 failed' or exits non-zero."""

import datetime
import os
import re
import sys
import uuid

from resultsdb_api import ResultsDBapi, ResultsDBapiException
from resultsdb_conventions.base import Result
from resultsdb_conventions.fedora import FedoraBodhiResult

BASE = os.environ["ALMANAC_URL"].rstrip("/")
API = BASE + "/api/v2.0"
api = ResultsDBapi(API, max_retries=0)
passed = 0
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1


def refused(call, status, text):
    try:
        call()
    except ResultsDBapiException as e:
        check(e.response is not None and e.response.status_code == status, f"status {status} for {text!r}: {e}")
        check(text in e.message, f"message {e.message!r} names {text!r}")
        return
    check(False, f"expected HTTP {status} ({text})")


# Testcases: create, update (with and without a URL), get, list with filters and pages.
tc = api.create_testcase("compat.testcase", ref_url="https://docs.example/compat")
check(tc == {"name": "compat.testcase", "ref_url": "https://docs.example/compat",
             "href": API + "/testcases/compat.testcase"}, f"create_testcase answers the testcase: {tc}")
tc = api.update_testcase("compat.testcase", url="https://docs.example/compat2")
check(tc["ref_url"] == "https://docs.example/compat2", "update_testcase changes ref_url")
check(api.update_testcase("compat.testcase") == tc, "update_testcase without url reads the testcase back")
check(api.get_testcase("compat.testcase") == tc, "get_testcase")
api.create_testcase("compat.other")
listed = api.get_testcases(name="compat.testcase")
check(listed["data"] == [tc] and listed["prev"] is None and listed["next"] is None, f"get_testcases(name=): {listed}")
check(len(api.get_testcases(name_like="compat.*")["data"]) == 2, "get_testcases(name_like=)")
first = api.get_testcases(limit=1)
check(len(first["data"]) == 1 and first["data"][0]["name"] == "compat.other", "testcases are ordered by name")
check(first["next"] is not None and "page=1" in first["next"] and first["prev"] is None, f"next link: {first}")
second = api.session.get(first["next"]).json()
check(second["data"][0]["name"] == "compat.testcase" and "page=0" in second["prev"], f"following next: {second}")

# Groups: create (uuid made up), create with uuid, update keeps what is not given, get, list.
g = api.create_group(description="compat run", ref_url="https://ci.example/run/1")
check(len(g["uuid"]) == 36 and g["results_count"] == 0, f"create_group makes a uuid: {g}")
check(g["href"] == API + "/groups/" + g["uuid"] and g["results"] == API + "/results?groups=" + g["uuid"], "group links")
g2_uuid = str(uuid.uuid4())
g2 = api.create_group(uuid=g2_uuid, description="second run")
check(g2["uuid"] == g2_uuid, "create_group with a uuid keeps it")
g = api.update_group(g["uuid"], description="compat run updated")
check(g["description"] == "compat run updated" and g["ref_url"] == "https://ci.example/run/1", f"update_group: {g}")
check(api.update_group(g2_uuid) == api.get_group(g2_uuid), "update_group without changes reads the group back")
check(api.get_group(g["uuid"]) == g, "get_group")
check([x["uuid"] for x in api.get_groups(description="compat run updated")["data"]] == [g["uuid"]], "get_groups(description=)")
check(len(api.get_groups(description_like="compat*")["data"]) == 1, "get_groups(description_like=)")
check({x["uuid"] for x in api.get_groups(uuid=[g["uuid"], g2_uuid])["data"]} == {g["uuid"], g2_uuid}, "get_groups(uuid=[..])")
check(api.get_groups(limit=1)["data"][0]["uuid"] == g2_uuid, "groups are listed newest first")

# Results: create with every argument, read back, list with each filter.
before = (datetime.datetime.utcnow() - datetime.timedelta(minutes=1)).isoformat()
r = api.create_result("passed", "compat.testcase", groups=[g["uuid"]], note="all good", ref_url="https://ci.example/1",
                      item="foo-1.0-1.fc40", type="koji_build", arch=["x86_64", "noarch"], scratch=False)
check(r["outcome"] == "PASSED", "outcome is upper-cased")
check(r["testcase"] == tc, f"result's testcase: {r['testcase']}")
check(r["data"] == {"item": ["foo-1.0-1.fc40"], "type": ["koji_build"], "arch": ["x86_64", "noarch"], "scratch": ["False"]},
      f"data values are lists of strings: {r['data']}")
check(r["groups"] == [g["uuid"]] and r["note"] == "all good" and r["ref_url"] == "https://ci.example/1", "groups, note, ref_url")
check(TIME.match(r["submit_time"]) is not None, f"submit_time in Python's isoformat: {r['submit_time']}")
check(r["href"] == f"{API}/results/{r['id']}", "result href")
check(set(r) == {"id", "groups", "testcase", "submit_time", "outcome", "note", "ref_url", "data", "href"}, f"fields: {sorted(r)}")
r2 = api.create_result("FAILED", {"name": "compat.third", "ref_url": "https://docs.example/third"},
                       item="foo-1.0-1.fc40", type="koji_build")
check(r2["testcase"]["ref_url"] == "https://docs.example/third", "a testcase object creates the testcase")
r3 = api.create_result("NEEDS_INSPECTION", "compat.testcase", item="bar-2.0-1.fc40", type="koji_build")
check(api.get_result(r["id"]) == r, "get_result")
by_item = api.get_results(item="foo-1.0-1.fc40")
check([x["id"] for x in by_item["data"]] == [r2["id"], r["id"]], f"get_results(item=) newest first: {by_item}")
check(by_item["prev"] is None and by_item["next"] is None, "one page")
check([x["id"] for x in api.get_results(testcases="compat.testcase")["data"]] == [r3["id"], r["id"]], "testcases=")
check(len(api.get_results(testcases_like="compat.t*")["data"]) == 3, "testcases_like=")
check([x["id"] for x in api.get_results(outcome=["FAILED", "NEEDS_INSPECTION"])["data"]] == [r3["id"], r2["id"]], "outcome=[..]")
check([x["id"] for x in api.get_results(groups=[g["uuid"]])["data"]] == [r["id"]], "groups=")
check(len(api.get_results(since=before)["data"]) == 3, "since=start")
check(len(api.get_results(since="2000-01-01T00:00:00.000000,2001-01-01T00:00:00.000000")["data"]) == 0, "since=start,end")
check([x["id"] for x in api.get_results(arch="noarch")["data"]] == [r["id"]], "any data key is a filter (**kwargs)")
check(len(api.get_results(raw_params={"item:like": "foo-*"})["data"]) == 2, "raw_params with :like")
check(len(api.get_results(item=["foo-1.0-1.fc40", "bar-2.0-1.fc40"])["data"]) == 3, "a list is OR")
paged = api.get_results(limit=2, page=0)
check(len(paged["data"]) == 2 and paged["next"] is not None, "limit and next")
check(len(api.get_results(limit=2, page=1)["data"]) == 1, "page 1")
check(api.get_group(g["uuid"])["results_count"] == 1, "the group counts its result")
latest = api.session.get(API + "/results/latest", params={"item": "foo-1.0-1.fc40"}).json()
check({x["id"] for x in latest["data"]} == {r["id"], r2["id"]}, f"results/latest: {latest}")

# Errors, as the client reports them.
refused(lambda: api.get_result(987654321), 404, "Result not found (HTTP 404)")
refused(lambda: api.get_testcase("no.such.testcase"), 404, "Testcase not found (HTTP 404)")
refused(lambda: api.get_group("no-such-group"), 404, "Group not found (HTTP 404)")
refused(lambda: api.create_result("MAYBE", "compat.testcase"), 400, "MAYBE")
refused(lambda: api.create_result("PASSED", ""), 400, "testcase name must be non-empty")
refused(lambda: api.get_results(since="last week"), 400, "since")
check(len(api.get_results(testcases="compat.testcase")["data"]) == 2, "refused writes left nothing")

# resultsdb-conventions: a generic result and a Fedora Bodhi update result.
res = Result("PASSED", "compat.conventions", source="almanac-test", ref_url="https://ci.example/2",
             tc_url="https://docs.example/conventions")
res.extradata.update({"item": "baz-3.0-1.fc41", "type": "koji_build"})
out = res.report(api)
check(out["outcome"] == "PASSED" and out["testcase"]["ref_url"] == "https://docs.example/conventions", f"report: {out}")
check(out["data"]["meta.conventions"] == ["result"] and out["data"]["source"] == ["almanac-test"], f"extradata: {out['data']}")
source_group = api.get_group(out["groups"][0])
check(source_group["description"] == "source.almanac-test", f"the source group: {source_group}")
bodhi = FedoraBodhiResult("FEDORA-2026-0123456789", "FAILED", "compat.bodhi", source="openqa", ref_url="https://openqa.example/1")
out = bodhi.report(api)
check(out["data"]["item"] == ["FEDORA-2026-0123456789"] and out["data"]["type"] == ["bodhi_update"], f"bodhi data: {out['data']}")
check(out["data"]["meta.conventions"] == ["result fedora.bodhi"], "conventions list")
groups = [api.get_group(u) for u in out["groups"]]
check(sorted(x["description"] for x in groups) == ["bodhi.FEDORA-2026-0123456789", "openqa.FEDORA-2026-0123456789",
                                                    "source.openqa"], f"bodhi groups: {groups}")
check(any(x["ref_url"] == "https://bodhi.fedoraproject.org/updates/FEDORA-2026-0123456789" for x in groups), "group ref_url")
again = FedoraBodhiResult("FEDORA-2026-0123456789", "PASSED", "compat.bodhi", source="openqa").report(api)
check(sorted(again["groups"]) == sorted(out["groups"]), "conventions' uuids are stable: a rerun joins the same groups")
check(api.get_group(again["groups"][0])["results_count"] == 2, "and the groups count both results")

print(f"{passed} passed, 0 failed")
