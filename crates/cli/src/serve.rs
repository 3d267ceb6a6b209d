//! `almanac serve`: the HTTP API until SIGINT or SIGTERM.

use crate::config::Settings;
use almanac_api::{AppState, launch, router};
use almanac_store::Store;
use anyhow::Context;
use std::net::SocketAddr;

/// The most threads tokio's blocking pool may hold (its default is 512).
/// It runs the bus listener's and the relay's batches, one at a time each,
/// and the `gating.yaml` lookups of decisions with remote rules; reads and
/// writes have threads of their own. Past the bound, blocking work waits
/// for a thread rather than adding one, so a burst cannot leave the
/// process holding more threads, each with its own stack and memory.
const MAX_BLOCKING_THREADS: usize = 64;

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .thread_name("almanac")
        .build()
        .context("cannot start the async runtime")
}

/// Serves until a shutdown signal; `ready` is told the bound address. With
/// `bus`, the listener runs in the same process (`almanac serve --listen`)
/// and stops with it.
pub fn serve(
    settings: &Settings,
    store: Store,
    bus: Option<(
        almanac_ingest::bus::amqp::Options,
        almanac_ingest::bus::apply::Context,
        Option<almanac_ingest::bus::relay::RelayOptions>,
    )>,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let state = AppState::new(store, settings.api_settings());
    let bind = settings.bind.value.clone();
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, database = %state.store.url_redacted(), "serving");
        spawn_decision_watch(&state);
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let bus_task = bus.map(|(opts, ctx, relay)| {
            tokio::spawn(crate::listen::run(
                state.store.clone(),
                opts,
                ctx,
                relay,
                stopping.clone(),
            ))
        });
        ready(addr);
        launch(listener, router(state), crate::listen::stopped(stopping))
            .await
            .context("the server stopped with an error")?;
        if let Some(t) = bus_task {
            let (tally, published) = t.await.context("the bus listener stopped with an error")?;
            tracing::info!(%tally, ?published, "the bus listener stopped");
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// Writes `greenwave.decision.update` events as new results and waivers
/// change decisions (when there are policies to decide by).
fn spawn_decision_watch(state: &AppState) {
    use almanac_api::gating::watch::{Watch, commit, plan};
    let settings = &state.settings;
    if settings.gating.policies.is_empty() {
        return;
    }
    let watch = Watch {
        gating: settings.gating.clone(),
        outcomes: settings.outcomes.clone(),
        limits: settings.page_limits,
    };
    let store = state.store.clone();
    tokio::spawn(async move {
        loop {
            let w = watch.clone();
            // The decisions on a reader; only the updates and the cursor
            // take the writer.
            let done = match store.read(move |c| plan(c, &w, 500)).await {
                Ok(planned) if planned.to_commit() => {
                    let events = planned.events;
                    store
                        .write(move |c| commit(c, planned))
                        .await
                        .map(|_| events)
                }
                Ok(_) => Ok(0),
                Err(e) => Err(e),
            };
            let pause = match done {
                Ok(0) => std::time::Duration::from_millis(500),
                Ok(_) => std::time::Duration::ZERO,
                Err(e) => {
                    tracing::warn!(error = %e, "decision watch: will try again");
                    std::time::Duration::from_secs(2)
                }
            };
            tokio::time::sleep(pause).await;
        }
    });
}

pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
