//! `GET /api/almanac/v1/audit`: the last audit of each source (when, its
//! status, what it found and repaired), as `almanac audit` recorded it;
//! `/metrics` (beside it, at the root) says the same to Prometheus.

use super::{NativeError, ROOT};
use crate::AppState;
use crate::routes::Routes;
use almanac_store::audits;
use axum::Json;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::fmt::Write;

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{ROOT}/audit"), get(last))
        .route("/metrics", get(metrics))
}

async fn last(State(state): State<AppState>) -> Result<Json<Value>, NativeError> {
    let runs = state.store.read(audits::last_runs).await?;
    Ok(Json(json!({ "sources": runs })))
}

/// nagios' codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
fn code(status: &str) -> u8 {
    match status {
        "OK" => 0,
        "WARNING" => 1,
        "CRITICAL" => 2,
        _ => 3,
    }
}

/// A gauge: its name, its help, its value for a run.
type Gauge = (&'static str, &'static str, fn(&audits::Run) -> f64);

/// The Prometheus text exposition of the last audits.
pub fn exposition(runs: &[audits::Run]) -> String {
    let mut out = String::new();
    let gauges: [Gauge; 7] = [
        (
            "almanac_audit_status",
            "The last audit's status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
            |r| f64::from(code(&r.status)),
        ),
        (
            "almanac_audit_last_run_timestamp_seconds",
            "When the last audit finished.",
            |r| r.finished_micros as f64 / 1e6,
        ),
        ("almanac_audit_checked", "Items the source listed.", |r| {
            r.checked as f64
        }),
        (
            "almanac_audit_missing",
            "Items missing from Almanac.",
            |r| r.missing as f64,
        ),
        (
            "almanac_audit_extra",
            "Items in Almanac the source lacks.",
            |r| r.extra as f64,
        ),
        (
            "almanac_audit_different",
            "Items whose values differ.",
            |r| r.differ as f64,
        ),
        (
            "almanac_audit_repaired",
            "Items the last audit repaired.",
            |r| r.repaired as f64,
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for r in runs {
            let _ = writeln!(out, "{name}{{source=\"{}\"}} {}", r.source, value(r));
        }
    }
    out
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, NativeError> {
    let runs = state.store.read(audits::last_runs).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exposition(&runs),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_a_gauge_per_source() {
        let run = audits::Run {
            source: "koji".into(),
            finished_at: String::new(),
            finished_micros: 1_796_119_200_000_000,
            status: "WARNING".into(),
            checked: 80,
            missing: 3,
            extra: 1,
            differ: 0,
            repaired: 0,
            error: None,
        };
        let text = exposition(&[run]);
        assert!(
            text.contains(
                "# TYPE almanac_audit_status gauge\nalmanac_audit_status{source=\"koji\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("almanac_audit_missing{source=\"koji\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("almanac_audit_last_run_timestamp_seconds{source=\"koji\"} 1796119200\n"),
            "{text}"
        );
    }
}
