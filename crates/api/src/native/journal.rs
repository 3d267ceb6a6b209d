//! `GET /api/almanac/v1/journal`: the bus messages the listener saw, oldest
//! first, with what became of each (applied, ignored, failed: why), and the
//! count in each status. Filters: `status`, `topic`, `message_id`; pages
//! with `after` (the last id seen) and `limit` (at most 1,000).

use super::query::{one, pairs};
use super::{NativeError, ROOT};
use crate::AppState;
use crate::routes::Routes;
use almanac_store::journal::{self, Filter, Status};
use axum::Json;

use axum::extract::{OriginalUri, State};
use axum::routing::get;
use serde_json::{Value, json};

const MAX_LIMIT: i64 = 1_000;

pub fn routes() -> Routes {
    Routes::new().route(&format!("{ROOT}/journal"), get(list))
}

fn number(
    p: &std::collections::BTreeMap<String, Vec<String>>,
    name: &str,
) -> Result<Option<i64>, NativeError> {
    one(p, name)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| NativeError::bad(name, format!("'{v}' is not a whole number")))
        })
        .transpose()
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, NativeError> {
    let p = pairs(
        &uri,
        &["status", "topic", "message_id", "after", "limit"],
        &[],
    )?;
    let status = one(&p, "status")
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                NativeError::bad("status", format!("'{s}' is not applied, ignored or failed"))
            })
        })
        .transpose()?;
    let limit = number(&p, "limit")?.unwrap_or(100);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(NativeError::bad(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let f = Filter {
        status,
        topic: one(&p, "topic").map(str::to_string),
        message_id: one(&p, "message_id").map(str::to_string),
        after: number(&p, "after")?,
        limit,
    };
    let (entries, counts) = state
        .store
        .read(move |c| Ok((journal::list(c, &f)?, journal::counts(c)?)))
        .await?;
    let next_after = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let counts: serde_json::Map<String, Value> =
        counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(Json(json!({
        "data": entries,
        "counts": counts,
        "next_after": next_after,
    })))
}
