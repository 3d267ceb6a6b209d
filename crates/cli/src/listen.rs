//! `almanac listen`: the bus listener (pdc-updater's and resultsdb-updater's
//! roles). From RabbitMQ (`--amqp-url`, `ALMANAC_AMQP_URL`, `[bus]`), or
//! from a JSON-lines file of messages (`--from FILE`, the datagrepper export
//! shape) on a machine without a broker. `almanac replay` applies again the
//! messages the journal holds as failed, after a fix.

use crate::config::Settings;
use almanac_ingest::bus::amqp::{self, Options};
use almanac_ingest::bus::apply::{Applied, Context, apply};
use almanac_ingest::bus::message::Message;
use almanac_ingest::bus::relay::RelayOptions;
use almanac_ingest::bus::{Tally, from_lines};
use almanac_store::Store;
use almanac_store::journal::{self, Filter, Status};
use anyhow::{Context as _, bail};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// The broker (default: the one on this machine, guest/guest).
    #[arg(long, env = "ALMANAC_AMQP_URL")]
    pub amqp_url: Option<String>,
    /// Read messages from this JSON-lines file instead of a broker ("-": standard input).
    #[arg(long)]
    pub from: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Only these message ids (default: every failed message).
    #[arg(long = "id")]
    pub ids: Vec<String>,
}

fn context(settings: &Settings) -> anyhow::Result<Context> {
    Ok(Context {
        outcomes: almanac_model::Outcomes::with_extra(&settings.extra_outcomes.value)
            .map_err(|e| anyhow::anyhow!("results.extra_outcomes: {e}"))?,
        replay: false,
        koji: settings
            .koji_url
            .value
            .as_deref()
            .map(almanac_ingest::koji::Koji::new),
        email_domain: Some(settings.email_domain.value.clone()),
    })
}

pub fn listen(settings: &Settings, store: Store, args: ListenArgs) -> anyhow::Result<()> {
    let ctx = context(settings)?;
    if let Some(path) = args.from {
        let tally = if path.as_os_str() == "-" {
            from_lines(&store, std::io::stdin().lock(), &ctx)
        } else {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            from_lines(&store, std::io::BufReader::new(file), &ctx)
        };
        return match tally {
            Ok(t) => {
                println!("{t}");
                Ok(())
            }
            Err((line, e)) => bail!(
                "stopped at line {line}: {e} (the lines before it are applied; run again to go on)"
            ),
        };
    }
    let opts = options(settings, args.amqp_url)?;
    tracing::info!(broker = %almanac_store::db::redact_url(&opts.url), queue = %opts.queue, "starting the listener");
    let relay = relay_options(settings, &opts);
    let (tally, published) = crate::serve::runtime()?.block_on(async move {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            crate::serve::shutdown_signal().await;
            let _ = stop.send(true);
        });
        run(store, opts, ctx, relay, stopping).await
    });
    println!("{tally}");
    if let Some(n) = published {
        tracing::info!(published = n, "the relay stopped");
    }
    Ok(())
}

/// The listener's options from the settings (`[bus]`, `ALMANAC_AMQP_URL`).
pub fn options(settings: &Settings, url: Option<String>) -> anyhow::Result<Options> {
    let url = url.unwrap_or_else(|| settings.amqp_url.value.clone());
    amqp::endpoint(&url).map_err(|e| anyhow::anyhow!("--amqp-url: {e}"))?;
    Ok(Options {
        url,
        exchange: settings.bus_exchange.value.clone(),
        queue: settings.bus_queue.value.clone(),
        topics: settings.bus_topics.value.clone(),
        prefetch: settings.bus_prefetch.value,
    })
}

/// The relay's options, when `[bus] publish` is on.
pub fn relay_options(settings: &Settings, opts: &Options) -> Option<RelayOptions> {
    settings.bus_publish.value.then(|| RelayOptions {
        url: opts.url.clone(),
        exchange: opts.exchange.clone(),
        topic_prefix: settings.bus_publish_prefix.value.clone(),
    })
}

/// Completes when `stopping` turns true.
pub async fn stopped(mut stopping: tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

/// The listener, and the outbox relay beside it, until `stopping`.
pub async fn run(
    store: Store,
    opts: Options,
    ctx: Context,
    relay: Option<RelayOptions>,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> (Tally, Option<usize>) {
    let relay = relay.map(|r| {
        tokio::spawn(almanac_ingest::bus::relay::relay(
            store.clone(),
            r,
            stopped(stopping.clone()),
        ))
    });
    let tally = amqp::listen(store, opts, ctx, stopped(stopping)).await;
    let published = match relay {
        Some(t) => t.await.ok(),
        None => None,
    };
    (tally, published)
}

/// What `serve --listen` runs beside the server.
pub fn in_serve(settings: &Settings) -> anyhow::Result<(Options, Context, Option<RelayOptions>)> {
    let opts = options(settings, None)?;
    let relay = relay_options(settings, &opts);
    Ok((opts, context(settings)?, relay))
}

pub fn replay(settings: &Settings, store: &Store, args: ReplayArgs) -> anyhow::Result<()> {
    let ctx = Context {
        replay: true,
        ..context(settings)?
    };
    let mut tally = Tally::default();
    let mut after = 0;
    loop {
        let f = Filter {
            status: Some(Status::Failed),
            after: Some(after),
            limit: 500,
            ..Default::default()
        };
        let page = store.read_blocking(move |c| journal::list(c, &f))?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in page {
            if !args.ids.is_empty() && !args.ids.contains(&e.message_id) {
                continue;
            }
            let m = Message {
                id: e.message_id.clone(),
                topic: e.topic.clone(),
                headers: e.headers.clone(),
                body: e.body.clone(),
                sent_at: e
                    .sent_at
                    .as_deref()
                    .and_then(almanac_model::Timestamp::parse_iso8601),
            };
            let outcome =
                apply(store, &m, &ctx).map_err(|u| anyhow::anyhow!("{}: {u}", e.message_id))?;
            match &outcome {
                Applied::Failed(why) => println!("{} still fails: {why}", e.message_id),
                other => println!("{}: {other:?}", e.message_id),
            }
            tally.add(&outcome);
        }
    }
    println!("{tally}");
    Ok(())
}
