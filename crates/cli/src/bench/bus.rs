//! `almanac bench bus`: messages applied per second from RabbitMQ. A mix of
//! 100,000 messages (CI results complete, queued and errored on koji
//! builds, ResultsDB-shaped results, composes' CI, legacy CI metrics, and
//! messages no handler takes) is published to a fresh queue on the broker
//! first; then `almanac listen`'s own loop drains it, and the time from its
//! start to the last message journalled is measured, on each engine.

use super::{Engines, engines};
use almanac_ingest::bus::amqp::{self, Options};
use almanac_ingest::bus::apply::Context;
use almanac_store::Engine;
use almanac_store::testing::TestDb;
use amqprs::BasicProperties;
use amqprs::channel::{BasicPublishArguments, ExchangeDeleteArguments, QueueDeleteArguments};
use anyhow::Context as _;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BusArgs {
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// Messages to publish and apply.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// The broker.
    #[arg(long, default_value = crate::config::DEFAULT_AMQP_URL)]
    amqp_url: String,
    /// Messages the listener may hold unacknowledged (and apply in one transaction).
    #[arg(long, default_value_t = 500)]
    prefetch: u16,
}

/// The `n`th message of the mix: (topic, body).
pub(crate) fn message(n: usize, prefix: &str) -> (String, Value) {
    let contact = json!({"name": "Fedora CI", "team": "fedora-ci", "email": "ci@example.org"});
    let run = json!({"url": format!("https://ci.example.org/run/{n}"), "log": format!("https://ci.example.org/run/{n}/log")});
    let build = json!({"type": "koji-build", "id": n, "nvr": format!("pkg{}-1.0-1.fc41", n % 5_000), "component": format!("pkg{}", n % 5_000)});
    let test = |result: Option<&str>| {
        let mut t =
            json!({"namespace": "fedora-ci.koji-build", "type": "tier0", "category": "functional"});
        if let Some(r) = result {
            t["result"] = json!(r);
        }
        t
    };
    let ci = |state: &str, result: Option<&str>| {
        let mut body = json!({"version": "0.2.1", "contact": contact, "run": run, "artifact": build, "test": test(result)});
        if state == "error" {
            body["error"] = json!({"reason": "the test machine went away"});
        }
        (
            format!("org.centos.{prefix}.ci.koji-build.test.{state}"),
            body,
        )
    };
    match n % 20 {
        0..=9 => ci(
            "complete",
            Some(if n.is_multiple_of(7) {
                "failed"
            } else {
                "passed"
            }),
        ),
        10 | 11 => ci("queued", None),
        12 | 13 => ci("running", None),
        14 => ci("error", None),
        15 | 16 => (
            format!("org.centos.{prefix}.ci.resultsdb.result"),
            json!({"testcase": {"name": "dist.rpmlint"}, "outcome": "PASSED", "ref_url": format!("https://ci.example.org/rpmlint/{n}"),
                   "data": {"item": format!("pkg{}-1.0-1.fc41", n % 5_000), "type": "koji_build"}}),
        ),
        17 => (
            format!("org.centos.{prefix}.ci.productmd-compose.test.complete"),
            json!({"version": "0.2.1", "contact": contact, "run": run,
                   "artifact": {"type": "productmd-compose", "id": format!("Fedora-41-2026{:04}.n.0", n % 1000)},
                   "system": {"architecture": "x86_64", "provider": "openstack", "variant": "Server"},
                   "test": {"namespace": "fedora-ci.productmd-compose", "type": "openqa", "category": "validation", "result": "passed"}}),
        ),
        18 => (
            format!("org.centos.{prefix}.ci.metrics"),
            json!({"results": {"dist.abicheck": {"outcome": "PASSED", "data": {"item": format!("pkg{}-1.0-1.fc41", n % 5_000)}}}, "ref_url": format!("https://ci.example.org/abi/{n}")}),
        ),
        _ => (
            format!("org.centos.{prefix}.ci.heartbeat"),
            json!({"alive": true}),
        ),
    }
}

pub fn run(args: &BusArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench bus --engine {:?} --messages {} --prefetch {}",
        args.engine, args.messages, args.prefetch
    );
    for engine in engines(args.engine) {
        bench(engine, args)?;
    }
    Ok(())
}

fn bench(engine: Engine, args: &BusArgs) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let prefix = format!(
        "bench{}{}",
        std::process::id(),
        engine.to_string().to_lowercase()
    );
    let opts = Options {
        url: args.amqp_url.clone(),
        exchange: "amq.topic".into(),
        queue: format!("almanac-{prefix}"),
        topics: vec![format!("org.centos.{prefix}.#")],
        prefetch: args.prefetch,
    };
    let runtime = crate::serve::runtime()?;
    // Fill the queue first: the figure is the listener's, not the publisher's.
    let t = Instant::now();
    runtime.block_on(async {
        let (conn, ch) = amqp::open(&opts).await.map_err(|e| anyhow::anyhow!(e))?;
        for n in 0..args.messages {
            let (topic, body) = message(n, &prefix);
            let mut props = BasicProperties::default();
            props
                .with_message_id(&format!("{prefix}-{n}"))
                .with_content_type("application/json")
                .with_persistence(true);
            ch.basic_publish(
                props,
                body.to_string().into_bytes(),
                BasicPublishArguments::new("amq.topic", &topic),
            )
            .await
            .context("publishing")?;
        }
        ch.close().await.ok();
        conn.close().await.ok();
        anyhow::Ok(())
    })?;
    println!(
        "{engine:8} published {} messages in {:.1} s",
        args.messages,
        t.elapsed().as_secs_f64()
    );
    let want = args.messages as i64;
    let journalled = |store: &almanac_store::Store| {
        store
            .read_blocking(|c| {
                Ok(c.query_opt("SELECT count(*) FROM bus_journal", &[])?
                    .unwrap()
                    .int(0)?)
            })
            .unwrap_or(0)
    };
    let t = Instant::now();
    let watch = store.clone();
    let tally = runtime.block_on(amqp::listen(
        store.clone(),
        opts.clone(),
        Context::default(),
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let w = watch.clone();
                let n = tokio::task::spawn_blocking(move || journalled(&w))
                    .await
                    .unwrap_or(0);
                if n >= want {
                    break;
                }
            }
        },
    ));
    let secs = t.elapsed().as_secs_f64();
    let results = store.read_blocking(|c| {
        Ok(c.query_opt("SELECT count(*) FROM results", &[])?
            .unwrap()
            .int(0)?)
    })?;
    println!(
        "{engine:8} applied {} messages in {secs:.1} s: {:.0} messages/s ({tally}; {results} results)",
        args.messages,
        args.messages as f64 / secs
    );
    runtime.block_on(async {
        if let Ok((conn, ch)) = amqp::open(&opts).await {
            for q in [opts.queue.clone(), amqp::dead_letter_queue(&opts.queue)] {
                let _ = ch.queue_delete(QueueDeleteArguments::new(&q)).await;
            }
            let _ = ch
                .exchange_delete(ExchangeDeleteArguments::new(&format!("{}.dlx", opts.queue)))
                .await;
            ch.close().await.ok();
            conn.close().await.ok();
        }
    });
    Ok(())
}
