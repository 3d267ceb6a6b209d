//! `almanac bench gating`: decisions at distribution scale. Loads 1,000,000
//! results (12 a build) and 100,000 waivers through the store's write paths,
//! reads 20 policies in Greenwave's YAML, then measures `POST
//! /api/v1.0/decision` over HTTP for one subject and for 50 subjects (as
//! Bodhi asks for an update's builds).

use super::results::load_results;
use super::{Engines, engines, run_phase};
use crate::sample::{CI_CHECKS, OPENQA_TESTS, Rng, build_nvr};
use almanac_api::gating::GatingSettings;
use almanac_api::{ApiSettings, AppState, launch, router};
use almanac_model::waivers::NewWaiver;
use almanac_store::testing::TestDb;
use almanac_store::{Actor, Engine, StoreError};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct GatingArgs {
    /// Which engines (PostgreSQL: a throw-away database on ALMANAC_TEST_POSTGRES_URL's server).
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    #[arg(long, default_value_t = 1_000_000)]
    results: usize,
    #[arg(long, default_value_t = 100_000)]
    waivers: usize,
    /// Policies to gate with (`--policies` names a directory of them elsewhere).
    #[arg(long, default_value_t = 20)]
    policy_count: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

pub fn run(args: &GatingArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench gating --engine {:?} --results {} --waivers {} --policy-count {} --clients {} --seconds {}",
        args.engine, args.results, args.waivers, args.policy_count, args.clients, args.seconds
    );
    for engine in engines(args.engine) {
        bench(engine, args)?;
    }
    Ok(())
}

/// `n` policies over the sample testcases: most for every Fedora, some for
/// one version or one ring, in two gating points.
pub fn policies_yaml(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let versions = if i % 3 == 0 {
            "[fedora-41]"
        } else {
            "[fedora-*]"
        };
        let context = if i % 2 == 0 {
            "bodhi_update_push_stable"
        } else {
            "bodhi_update_push_testing"
        };
        let check = CI_CHECKS[i % CI_CHECKS.len()];
        let test = OPENQA_TESTS[i % OPENQA_TESTS.len()];
        let rings = if i % 5 == 4 {
            "component_groups: [ring 0]\n"
        } else {
            ""
        };
        out.push_str(&format!(
            "--- !Policy\nid: policy-{i}\nproduct_versions: {versions}\ndecision_context: {context}\n\
             subject_type: koji_build\nexcluded_packages: [python2-*]\n{rings}rules:\n  \
             - !PassingTestCaseRule {{test_case_name: {check}}}\n  \
             - !PassingTestCaseRule {{test_case_name: {test}, scenario: fedora.updates-everything-boot-iso.x86_64.64bit}}\n"
        ));
    }
    out
}

fn bench(engine: Engine, args: &GatingArgs) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let builds = load_results(&store, engine, args.results)?;

    let t = Instant::now();
    let mut rng = Rng::new(99);
    let mut left = args.waivers;
    while left > 0 {
        let n = left.min(5_000);
        left -= n;
        let batch: Vec<NewWaiver> = (0..n)
            .map(|_| NewWaiver {
                subject_type: "koji_build".into(),
                subject_identifier: build_nvr(rng.below(builds)),
                testcase: CI_CHECKS[rng.below(CI_CHECKS.len() as u64) as usize].into(),
                scenario: None,
                product_version: format!("fedora-{}", 40 + rng.below(3)),
                waived: rng.below(10) != 0,
                comment: "bench".into(),
                username: None,
            })
            .collect();
        store.write_blocking(move |c| {
            almanac_store::waivers::create(c, &batch, "bench", &Actor::anonymous("bench"))
                .map(|_| ())
        })?;
    }
    if engine == Engine::Postgres {
        store.read_blocking(|c| Ok(c.batch("VACUUM ANALYZE waivers")?))?;
    } else {
        store.write_blocking(|c| Ok::<_, StoreError>(c.batch("ANALYZE")?))?;
    }
    println!(
        "{engine:8} {} waivers: {:.1} s ({:.0}/s)",
        args.waivers,
        t.elapsed().as_secs_f64(),
        args.waivers as f64 / t.elapsed().as_secs_f64()
    );
    let policies =
        almanac_model::policies::parse_policies("bench.yaml", &policies_yaml(args.policy_count))?;
    let settings = ApiSettings {
        gating: GatingSettings {
            policies: Arc::new(policies),
            remote_rule_sources: Vec::new(),
        },
        ..ApiSettings::default()
    };
    let runtime = crate::serve::runtime()?;
    let duration = Duration::from_secs(args.seconds);
    let clients = args.clients;
    let phases = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(launch(listener, router(AppState::new(store, settings)), async {
            let _ = stopped.await;
        }));
        let one_subject = move |rng: &mut Rng| {
            let nvr = build_nvr(rng.below(builds));
            let body = json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
                              "subject_type": "koji_build", "subject_identifier": nvr});
            ("POST", "/api/v1.0/decision".to_string(), Some(body.to_string()), 200)
        };
        // Latency alone (one client), then under load.
        let alone = run_phase("POST /api/v1.0/decision, 1 subject, 1 client", addr, 1, duration, one_subject).await?;
        let one = run_phase(&format!("POST /api/v1.0/decision, 1 subject, {clients} clients"), addr, clients, duration, one_subject).await?;
        let fifty = run_phase("POST /api/v1.0/decision, 50 subjects (verbose)", addr, clients, duration, move |rng| {
            let subject: Vec<_> = (0..50)
                .map(|_| json!({"type": "koji_build", "item": build_nvr(rng.below(builds))}))
                .collect();
            let body = json!({"product_version": "fedora-41", "decision_context": "bodhi_update_push_stable",
                              "subject": subject, "verbose": true});
            ("POST", "/api/v1.0/decision".to_string(), Some(body.to_string()), 200)
        })
        .await?;
        let _ = stop.send(());
        let _ = server.await;
        anyhow::Ok(vec![alone, one, fifty])
    })?;
    for mut p in phases {
        p.print(engine);
    }
    Ok(())
}
