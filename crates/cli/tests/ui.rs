//! The web UI in a real browser (headless Chromium through Debian's
//! chromedriver, driven by Selenium: `tests/python/ui_browser.py`) against
//! `almanac demo` data: every page and link answers, no console errors,
//! the diff page shows the diff API's counts, the size chart one point per
//! compose, and a waiver made from a gating page (signed in with a token)
//! changes the decision shown; screenshots of the main pages go to
//! `docs/screenshots/`.

use crate::support::{Server, demo, repo_root, venv_python};
use serde_json::Value;
use std::process::Command;

#[test]
fn every_page_of_the_demo_loads_in_a_browser_and_shows_what_the_api_says() {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: apt-get install chromium chromium-driver (.ci/run does)"
        );
    }
    let dir = std::env::temp_dir().join(format!("almanac-ui-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let token = demo(&db, 300);
    // The demo's gating policies, as `almanac demo` serves them.
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::copy(
        repo_root().join("crates/cli/src/demo_data/policies.yaml"),
        policies.join("policies.yaml"),
    )
    .unwrap();
    let server = Server::start(&db, &["--policies", policies.to_str().unwrap()]);
    let shots = repo_root().join("docs/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new(venv_python())
        .arg(repo_root().join("tests/python/ui_browser.py"))
        .arg(&server.url)
        .arg(&shots)
        .arg(&token)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ui_browser.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert!(
        r["pages"].as_u64().unwrap() > 100,
        "the crawl reached few pages: {r}"
    );
    assert_eq!(r["broken"], serde_json::json!([]), "broken links: {r}");
    assert_eq!(
        r["console_errors"],
        serde_json::json!([]),
        "console errors: {r}"
    );
    assert!(r["loaded"].as_u64().unwrap() >= 10, "{r}");
    assert_eq!(
        r["diff"]["same"], true,
        "the diff page's counts are the API's: {r}"
    );
    assert!(
        r["diff"]["api"]["upgraded"].as_u64().unwrap() > 0,
        "the demo's newest compose upgrades something: {r}"
    );
    let chart = &r["chart"];
    assert_eq!(
        chart["points"], chart["api"],
        "one point per compose the sizes API lists: {r}"
    );
    assert_eq!(
        chart["points"], chart["composes"],
        "every demo compose has that image: {r}"
    );
    let w = &r["waiver"];
    assert_eq!(w["signed_in"], true, "{r}");
    assert_eq!(
        (w["before"].as_str(), w["after"].as_str()),
        (Some("false"), Some("true")),
        "the waiver made from the page satisfies the decision: {r}"
    );
    assert!(
        w["url_after"].as_str().unwrap().starts_with("/ui/gating?"),
        "back on the gating page: {r}"
    );
    assert!(
        r["rpm_search"]["found"].as_u64().unwrap() > 0 && r["rpm_search"]["all_match"] == true,
        "a compose's rpms by name prefix: {r}"
    );
    let m = &r["modes"];
    assert_eq!(m["light"], "rgb(255, 255, 255)", "{r}");
    assert_eq!(
        m["dark"], "rgb(13, 17, 23)",
        "the page follows a dark scheme: {r}"
    );
    assert_eq!(
        m["chart_dark"], "rgb(13, 17, 23)",
        "and so does the chart: {r}"
    );
    let g = &r["graph"];
    assert!(
        g["on_cycle"].as_u64().unwrap() >= 2,
        "gcc and glibc's bootstrap cycle is marked: {r}"
    );
    assert!(
        g["boxes"].as_u64().unwrap() > g["on_cycle"].as_u64().unwrap(),
        "{r}"
    );
    assert!(g["plan_steps"].as_u64().unwrap() > 0, "a rebuild plan: {r}");
    for shot in r["shots"].as_array().unwrap() {
        let f = shots.join(shot.as_str().unwrap());
        assert!(
            std::fs::metadata(&f)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "{} is not a screenshot",
            f.display()
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
