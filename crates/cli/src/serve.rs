//! `almanac serve`: the HTTP API until SIGINT or SIGTERM.

use crate::config::Settings;
use almanac_api::{AppState, launch, router};
use almanac_store::Store;
use anyhow::Context;
use std::net::SocketAddr;

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("almanac")
        .build()
        .context("cannot start the async runtime")
}

/// Serves until a shutdown signal; `ready` is told the bound address.
pub fn serve(
    settings: &Settings,
    store: Store,
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
        ready(addr);
        launch(listener, router(state), shutdown_signal())
            .await
            .context("the server stopped with an error")?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
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
