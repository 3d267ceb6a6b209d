//! `almanac demo`: a fresh SQLite store with sample data, served.

use crate::config::Settings;
use crate::sample::{Rng, build_nvr, build_results, days_ago_ms};
use crate::{open_long_running_store, serve};
use almanac_store::db::sqlite;
use almanac_store::{Actor, Engine, tokens};

pub const DEMO_DATABASE_URL: &str = "sqlite://almanac-demo.db";

/// The demo's gating policies, used when no `--policies` directory is given.
const DEMO_POLICIES: &str = include_str!("demo_data/policies.yaml");

pub fn run(settings: &Settings, builds: usize, then_serve: bool) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    if settings.policies.is_empty() {
        settings.policies =
            almanac_model::policies::parse_policies("demo policies", DEMO_POLICIES)?;
    }
    let settings = &settings;
    let url = &settings.database_url.value;
    if almanac_store::db::engine_of(url) == Some(Engine::Sqlite) {
        let path = sqlite::path_of(url);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    let store = open_long_running_store(settings)?;
    let mut rng = Rng::new(2026);
    let mut total = 0;
    let mut items = Vec::new();
    for i in 0..builds {
        let nvr = build_nvr(i as u64);
        // Spread the builds over the last 30 days, oldest first.
        let start = days_ago_ms(30.0 * (builds - i) as f64 / builds as f64);
        let batch = build_results(&mut rng, &nvr, start);
        total += batch.len();
        store.submit_results_blocking(batch, Actor::anonymous("demo"))?;
        items.push(nvr);
    }
    let components = crate::demo_products::fill_product_model(&store)?;
    let composes = crate::sample_composes::fill_composes(&store, 8)?;
    let (graph_artifacts, graph_edges) =
        crate::demo_graph::fill_graph(&store, composes.last().map(String::as_str))?;
    let waived = waive_failures(&store, &items)?;
    let token = store.write_blocking(|c| {
        tokens::create_token(
            c,
            "demo",
            &["releng".into()],
            true,
            &Actor::anonymous("demo"),
        )
    })?;
    println!(
        "Almanac demo: {total} results for {builds} builds in {}",
        store.url_redacted()
    );
    println!(
        "              3 products, 11 releases, {components} release components, rings, branches with SLAs"
    );
    println!(
        "              {} weekly composes of Fedora 41 ({} .. {})",
        composes.len(),
        composes.first().map_or("", String::as_str),
        composes.last().map_or("", String::as_str)
    );
    println!(
        "              an artifact graph: {graph_artifacts} artifacts, {graph_edges} edges (layered containers, bootstrap cycles)"
    );
    println!(
        "              {} gating policies; {} waivers of failed dist.rpmdeplint results",
        settings.policies.len(),
        waived.waived.len()
    );
    if !then_serve {
        println!("write token (user demo, superuser): {token}");
        return Ok(());
    }
    let example = items.last().cloned().unwrap_or_default();
    let newest = composes.last().cloned().unwrap_or_default();
    serve::serve(settings, store, None, move |addr| {
        let base = format!("http://{addr}");
        println!("Open:");
        println!("  {base}/api/v2.0/results?item={example}");
        println!("  {base}/api/v2.0/results/latest?item={example}&_distinct_on=scenario");
        println!("  {base}/api/v2.0/results?testcases:like=dist.*&outcome=FAILED");
        println!("  {base}/api/v2.0/testcases");
        println!("  {base}/api/v2.0/groups");
        println!("  {base}/rest_api/v1/releases/?active=true");
        println!("  {base}/rest_api/v1/release-components/?release=fedora-42&name=bash");
        println!(
            "  {base}/rest_api/v1/component-groups/?group_type=ring&release=fedora-42&fields=description"
        );
        println!("  {base}/rest_api/v1/component-branches/?global_component=bash&active=true");
        println!("  {base}/rest_api/v1/composes/?release=fedora-41");
        println!("  {base}/api/almanac/v1/composes/{newest}/diff?format=text");
        println!(
            "  {base}/api/almanac/v1/image-sizes.svg?release=fedora-41&variant=Workstation&arch=x86_64&image_type=live"
        );
        println!("  {base}/api/almanac/v1/composes/{newest}/qe");
        let leaf = crate::demo_graph::LEAF_CONTAINER;
        println!("  {base}/api/almanac/v1/graph/inputs?artifact={leaf}");
        println!("  {base}/api/almanac/v1/graph/tiers?artifact={leaf}");
        println!(
            "  {base}/api/almanac/v1/graph/consumers?input={}&max_depth=2",
            crate::demo_graph::glibc_rpm()
        );
        println!(
            "  {base}/api/almanac/v1/graph/rebuild-plan?changed={}&release=fedora-42",
            crate::demo_graph::glibc_build()
        );
        println!("  {base}/api/almanac/v1/graph/sbom?artifact={leaf}&format=cyclonedx");
        println!("  {base}/rest_api/v1/changesets/");
        println!("  {base}/healthz");
        let curl = |nvr: &str| {
            format!(
                "  curl -s {base}/api/v1.0/decision -d '{{\"product_version\": \"{}\", \"decision_context\": \"bodhi_update_push_testing\", \"subject_type\": \"koji_build\", \"subject_identifier\": \"{nvr}\"}}'",
                product_version_of(nvr)
            )
        };
        println!("Gating decisions (bodhi_update_push_testing):");
        for (what, nvr) in [
            ("passes", waived.passing.as_deref()),
            ("fails", waived.failing.as_deref()),
            (
                "passes thanks to a waiver",
                waived.waived.first().map(String::as_str),
            ),
        ] {
            if let Some(nvr) = nvr {
                println!("  # {nvr} {what}");
                println!("{}", curl(nvr));
            }
        }
        println!("  {base}/api/v1.0/waivers/");
        println!("  {base}/api/v1.0/policies");
        println!("write token (user demo, superuser): {token}");
        println!("Stop with Ctrl-C.");
    })
}

/// Builds whose testing decision shows each case.
struct GatingExamples {
    /// Failed `dist.rpmdeplint`, waived: passes thanks to the waiver.
    waived: Vec<String>,
    /// Failed, not waived: fails.
    failing: Option<String>,
    /// Passed: passes.
    passing: Option<String>,
}

/// Waives the failed `dist.rpmdeplint` result of a few builds (their
/// testing decision passes thanks to the waiver) and finds a build that
/// fails and one that passes.
fn waive_failures(
    store: &almanac_store::Store,
    builds: &[String],
) -> anyhow::Result<GatingExamples> {
    let builds = builds.to_vec();
    let mut examples = store.read_blocking(move |c| {
        let mut out = GatingExamples {
            waived: Vec::new(),
            failing: None,
            passing: None,
        };
        for nvr in &builds {
            let pairs = vec![
                ("item".to_string(), nvr.clone()),
                ("testcases".to_string(), "dist.rpmdeplint".to_string()),
            ];
            let q = almanac_model::results::ResultQuery::from_pairs(
                &pairs,
                &almanac_model::Outcomes::default(),
                Default::default(),
            )?;
            let latest = almanac_store::results::latest(c, &q)?;
            match latest.first().map(|r| r.outcome.as_str()) {
                Some("FAILED") if out.waived.len() < 5 => out.waived.push(nvr.clone()),
                Some("FAILED") if out.failing.is_none() => out.failing = Some(nvr.clone()),
                Some("PASSED") if out.passing.is_none() => out.passing = Some(nvr.clone()),
                _ => {}
            }
        }
        Ok(out)
    })?;
    let waivers: Vec<almanac_model::waivers::NewWaiver> = examples
        .waived
        .iter()
        .map(|nvr| almanac_model::waivers::NewWaiver {
            subject_type: "koji_build".into(),
            subject_identifier: nvr.clone(),
            testcase: "dist.rpmdeplint".into(),
            scenario: None,
            product_version: product_version_of(nvr),
            waived: true,
            comment: "The dependency problem is in the buildroot, not this build.".into(),
            username: None,
        })
        .collect();
    store.write_blocking(move |c| {
        almanac_store::waivers::create(c, &waivers, "demo", &Actor::anonymous("demo"))
    })?;
    examples.waived.truncate(5);
    Ok(examples)
}

/// `fedora-42` for a build of `.fc42`.
fn product_version_of(nvr: &str) -> String {
    format!("fedora-{}", nvr.rsplit(".fc").next().unwrap_or("42"))
}
