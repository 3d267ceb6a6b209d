"""The web UI in a real browser: headless Chromium driven by Selenium through
Debian's chromedriver, against an `almanac serve` on the demo data.

    ui_browser.py BASE SHOTS_DIR TOKEN

- crawls every /ui/ link from /ui/ once (plain HTTP, following each distinct
  URL once, up to 20,000 pages): every page answers 200 and every link in it
  (to /ui/ or /api/) too;
- loads in the browser the first pages of each kind (route shape), and
  reports the console's errors;
- the diff page shows the counts the diff API gives;
- the image size chart has one point per compose the sizes API lists;
- signed in with TOKEN, a waiver created from a gating page changes the
  decision the page shows;
- screenshots of the main pages into SHOTS_DIR.

Prints one JSON object: {"pages", "links", "loaded", "console_errors",
"broken", "diff", "chart", "waiver", "shots"}.
"""

import json
import re
import sys
import urllib.error
import urllib.request
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = sys.argv[1].rstrip("/")
SHOTS = sys.argv[2]
TOKEN = sys.argv[3]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace"), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, "", ""


def shape(path):
    """The route a path is an instance of: numbers and ids blanked."""
    parts = urlsplit(path).path.split("/")
    out = []
    for i, p in enumerate(parts):
        out.append("*" if i >= 3 and p not in ("diff",) else p)
    return "/".join(out) + ("?" if urlsplit(path).query else "")


def crawl():
    seen, checked, broken = set(), {}, []
    queue = deque(["/ui/"])
    seen.add("/ui/")
    while queue and len(seen) < 20000:
        path = queue.popleft()
        status, body, ctype = fetch(BASE + path)
        checked[path] = status
        if status != 200:
            broken.append({"url": path, "status": status})
            continue
        if "text/html" not in ctype:
            continue
        parser = Links()
        parser.feed(body)
        for href in parser.hrefs:
            target = urljoin(path, href)
            if target.startswith(BASE):
                target = target[len(BASE):]
            if not target.startswith("/"):
                continue
            target = target.split("#")[0]
            if target.startswith("/ui/") and target not in seen:
                seen.add(target)
                queue.append(target)
            elif target.startswith("/api/") and target not in checked:
                st, _, _ = fetch(BASE + target)
                checked[target] = st
                if st != 200:
                    broken.append({"url": target, "status": st, "from": path})
    return seen, checked, broken


def main():
    pages, checked, broken = crawl()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    errors, loaded, per_shape = [], 0, {}
    try:
        for path in sorted(pages):
            s = shape(path)
            if per_shape.get(s, 0) >= 3:
                continue
            per_shape[s] = per_shape.get(s, 0) + 1
            driver.get(BASE + path)
            loaded += 1
            for entry in driver.get_log("browser"):
                if entry.get("level") == "SEVERE":
                    errors.append({"url": path, "message": entry.get("message")})

        # The diff page against the diff API.
        composes = json.loads(fetch(BASE + "/rest_api/v1/composes/?page_size=-1&ordering=compose_date")[1])
        ids = [c["compose_id"] for c in composes]
        newest = ids[-1]
        api = json.loads(fetch(f"{BASE}/api/almanac/v1/composes/{newest}/diff")[1])
        driver.get(f"{BASE}/ui/composes/{newest}/diff")
        shown = {e.get_attribute("data-count"): int(e.text) for e in driver.find_elements(By.CSS_SELECTOR, "[data-count]")}
        totals = api["totals"]
        want = {"added": totals["added"], "removed": totals["removed"], "upgraded": totals["upgraded"],
                "downgraded": totals["downgraded"], "images_resized": totals["images_resized"],
                "images_added": totals["images_added"], "images_removed": totals["images_removed"]}
        diff = {"shown": shown, "api": want, "same": shown == want, "old": api["old"], "new": api["new"]}
        driver.save_screenshot(f"{SHOTS}/diff.png")

        # A compose's rpms by name prefix: only those, and some.
        html = fetch(f"{BASE}/ui/composes/{newest}?rpm=pkg-0042")[1]
        nevras = re.findall(r"<td>([^<]*-\d+:[^<]*)</td>", html)
        rpm_search = {"found": len(nevras), "all_match": all(n.startswith("pkg-0042") for n in nevras)}

        # The chart: one point per compose the sizes API lists.
        driver.get(f"{BASE}/ui/composes/{newest}")
        link = driver.find_element(By.PARTIAL_LINK_TEXT, "size over time").get_attribute("href")
        query = urlsplit(link).query
        sizes = json.loads(fetch(f"{BASE}/api/almanac/v1/image-sizes?{query}")[1])
        driver.save_screenshot(f"{SHOTS}/compose.png")
        driver.get(link)
        points = driver.find_elements(By.CSS_SELECTOR, "svg circle.point")
        chart = {"points": len(points), "api": len(sizes["points"]),
                 "composes": len(ids), "query": query}
        driver.save_screenshot(f"{SHOTS}/image-sizes.png")

        # A waiver from the gating page changes the decision shown.
        failed = json.loads(fetch(f"{BASE}/api/v2.0/results?outcome=FAILED&limit=100")[1])["data"]
        target = None
        for r in failed:
            item = (r["data"].get("item") or [""])[0]
            m = re.search(r"\.fc(\d+)$", item)
            if not m:
                continue
            gate = f"/ui/gating?subject_type=koji_build&subject={item}&product_version=fedora-{m.group(1)}"
            html = fetch(BASE + gate)[1]
            if 'data-satisfied="false"' in html and html.count('<td><span class="badge bad">unsatisfied</span></td>') == 1:
                target = gate
                break
        driver.get(BASE + "/ui/sign-in")
        driver.find_element(By.NAME, "token").send_keys(TOKEN)
        button = driver.find_element(By.CSS_SELECTOR, "form[action='/ui/sign-in'] button")
        button.click()
        WebDriverWait(driver, 20).until(EC.staleness_of(button))
        signed = "Signed in as" in driver.page_source
        driver.get(BASE + target)
        if not driver.find_elements(By.ID, "verdict"):
            raise SystemExit(f"no verdict on {target}: {driver.page_source[:3000]}")
        before = driver.find_element(By.ID, "verdict").get_attribute("data-satisfied")
        driver.save_screenshot(f"{SHOTS}/gating.png")
        form = driver.find_element(By.CSS_SELECTOR, "form.waive")
        form.find_element(By.NAME, "comment").send_keys("known flake, waived from the web UI test")
        button = form.find_element(By.CSS_SELECTOR, "button")
        button.click()
        WebDriverWait(driver, 20).until(EC.staleness_of(button))
        after = driver.find_element(By.ID, "verdict").get_attribute("data-satisfied")
        waived_rows = len(driver.find_elements(By.XPATH, "//td/span[contains(@class,'badge') and text()='waived']"))
        waiver = {"page": target, "signed_in": signed, "before": before, "after": after, "waived_rows": waived_rows,
                  "url_after": driver.current_url.replace(BASE, "")}
        # The graph: a bootstrap cycle of the demo (gcc and glibc build each other) marked.
        driver.get(f"{BASE}/ui/graph?artifact=build:gcc-2.11-1.fc42&depth=4")
        graph = {"boxes": len(driver.find_elements(By.CSS_SELECTOR, "svg.almanac-graph a")),
                 "on_cycle": len(driver.find_elements(By.CSS_SELECTOR, "svg.almanac-graph a.cycle")),
                 "plan_steps": len(driver.find_elements(By.XPATH, "//h2[contains(., 'rebuild plan')]/following-sibling::table[1]//tbody/tr"))}
        driver.save_screenshot(f"{SHOTS}/graph.png")
        shots = ["diff.png", "compose.png", "image-sizes.png", "gating.png", "graph.png"]
        for name, path in [("home.png", "/ui/"), ("composes.png", "/ui/composes"), ("release.png", "/ui/releases/fedora-41"),
                           ("results.png", "/ui/results"), ("journal.png", "/ui/journal")]:
            driver.get(BASE + path)
            driver.save_screenshot(f"{SHOTS}/{name}")
            shots.append(name)
        # Dark mode, as a reader's system asks for it: the page and the chart follow.
        light = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        driver.get(link)
        dark = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        chart_bg = driver.execute_script(
            "return getComputedStyle(document.querySelector('svg .bg')).fill")
        driver.save_screenshot(f"{SHOTS}/image-sizes-dark.png")
        driver.get(f"{BASE}/ui/graph?artifact=build:gcc-2.11-1.fc42&depth=2")
        driver.save_screenshot(f"{SHOTS}/graph-dark.png")
        shots += ["image-sizes-dark.png", "graph-dark.png"]
        modes = {"light": light, "dark": dark, "chart_dark": chart_bg}
    finally:
        driver.quit()
    print(json.dumps({"pages": len(pages), "links": len(checked), "loaded": loaded, "console_errors": errors,
                      "broken": broken[:50], "diff": diff, "chart": chart, "waiver": waiver, "graph": graph, "rpm_search": rpm_search, "modes": modes, "shots": shots}))


if __name__ == "__main__":
    main()
