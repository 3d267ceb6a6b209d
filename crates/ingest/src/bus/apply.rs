//! One message, one domain operation: the message is routed, mapped and
//! written with its journal row in one transaction (results), or imported
//! and then journalled (a compose, whose import is idempotent). A message
//! id already in the journal changes nothing.

use super::handler::handle;
use super::message::Message;
use super::route::{Route, route};
use super::{builds, ci, packages, people};
use crate::compose_source::SourceError;
use crate::composes::{FINISHED, ImportError, ImportOptions, import_compose_from};
use crate::koji::Koji;
use almanac_model::Outcomes;
use almanac_model::results::NewResult;
use almanac_store::journal::{self, Outcome, Seen, Status};
use almanac_store::{Actor, Conn, Store, StoreError, results};
use serde_json::Value;

/// What applying a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written: the handler and what it wrote.
    Applied {
        handler: &'static str,
        detail: String,
    },
    /// The message id was seen before (with this outcome): nothing changed.
    Duplicate(Status),
    /// Nothing to do, and why.
    Ignored(String),
    /// The message cannot be applied, and why: it is journalled, and the
    /// listener dead-letters it.
    Failed(String),
}

/// The store or a source is down: the message was not applied, nor
/// journalled; try it again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

#[derive(Debug, Clone, Default)]
pub struct Context {
    pub outcomes: Outcomes,
    /// Re-apply a message the journal holds as failed (`almanac replay`).
    pub replay: bool,
    /// The koji hub builds are asked of (none: koji messages fail, saying so).
    pub koji: Option<Koji>,
    /// The domain of new people's addresses (default: Fedora's).
    pub email_domain: Option<String>,
}

fn seen(m: &Message) -> Seen<'_> {
    Seen {
        message_id: &m.id,
        topic: &m.topic,
        sent_at: m.sent_at,
        headers: &m.headers,
        body: &m.body,
    }
}

fn unavailable(e: StoreError) -> Result<Applied, Unavailable> {
    match e {
        StoreError::Unavailable(cause) => {
            Err(Unavailable(format!("the database is unavailable: {cause}")))
        }
        other => Err(Unavailable(format!("unexpected store error: {other}"))),
    }
}

/// The journal's word on a message seen before, if it was (a failed one
/// is tried again when replaying).
fn seen_before(
    conn: &mut dyn Conn,
    m: &Message,
    replay: bool,
) -> Result<Option<Applied>, StoreError> {
    match journal::redelivered(conn, &m.id)? {
        None => Ok(None),
        Some(Status::Failed) if replay => Ok(None),
        Some(status) => Ok(Some(Applied::Duplicate(status))),
    }
}

fn outcome(status: Status, handler: Option<&str>, reason: String) -> Outcome {
    Outcome {
        status,
        handler: handler.map(str::to_string),
        reason: Some(reason),
    }
}

pub(super) fn record(
    conn: &mut dyn Conn,
    m: &Message,
    status: Status,
    handler: Option<&str>,
    reason: Option<String>,
) -> Result<(), StoreError> {
    journal::record(
        conn,
        &seen(m),
        &Outcome {
            status,
            handler: handler.map(str::to_string),
            reason,
        },
    )
}

/// Applies one message.
pub fn apply(store: &Store, m: &Message, ctx: &Context) -> Result<Applied, Unavailable> {
    let mut out = apply_batch(store, std::slice::from_ref(m), ctx)?;
    Ok(out
        .pop()
        .unwrap_or(Applied::Ignored("nothing to apply".into())))
}

/// Applies messages in their order, answering each one's outcome. A run
/// of messages that write results (or are ignored) is written in one
/// transaction with their journal rows, so a burst costs one commit; a
/// compose is imported on its own. When the store is down, the batch from
/// the failing run on is not applied (nothing of that run is written).
pub fn apply_batch(
    store: &Store,
    batch: &[Message],
    ctx: &Context,
) -> Result<Vec<Applied>, Unavailable> {
    let mut out = Vec::with_capacity(batch.len());
    let mut run: Vec<(Message, Route)> = Vec::new();
    for m in batch {
        let r = route(&m.topic, &m.body);
        if of_a_source(&r) {
            if !run.is_empty() {
                out.extend(in_one_transaction(store, std::mem::take(&mut run), ctx)?);
            }
            out.push(from_a_source(store, m, &r, ctx)?);
        } else {
            run.push((m.clone(), r));
        }
    }
    if !run.is_empty() {
        out.extend(in_one_transaction(store, run, ctx)?);
    }
    Ok(out)
}

/// Whether a message is about the model's sources (applied on its own,
/// after asking the source), not a result.
fn of_a_source(r: &Route) -> bool {
    matches!(
        r,
        Route::ComposeStatus | Route::KojiTag | Route::KojiBuild | Route::Package | Route::Account
    )
}

/// The journal's word on a message seen before, read on the writer.
fn before(store: &Store, m: &Message, replay: bool) -> Result<Option<Applied>, Unavailable> {
    let msg = m.clone();
    store
        .write_blocking(move |c| seen_before(c, &msg, replay))
        .or_else(|e| unavailable(e).map(|_| None))
}

fn from_a_source(
    store: &Store,
    m: &Message,
    r: &Route,
    ctx: &Context,
) -> Result<Applied, Unavailable> {
    if *r == Route::ComposeStatus {
        return compose(store, m, ctx);
    }
    if let Some(seen) = before(store, m, ctx.replay)? {
        return Ok(seen);
    }
    let handler = r.handler().unwrap_or("sources");
    let koji = ctx.koji.as_ref();
    handle(store, m, handler, || match r {
        Route::KojiTag => builds::tagged(&m.body, koji),
        Route::KojiBuild => builds::finished(&m.body, koji),
        Route::Package => packages::new_package(&m.topic, &m.body),
        _ => people::new_user(
            &m.body,
            ctx.email_domain
                .as_deref()
                .unwrap_or(people::DEFAULT_EMAIL_DOMAIN),
        ),
    })
}

/// Messages that make results or are ignored, in one transaction: each
/// mapped, checked as ResultsDB checks a POST, and journalled; the results
/// of all of them inserted together.
fn in_one_transaction(
    store: &Store,
    run: Vec<(Message, Route)>,
    ctx: &Context,
) -> Result<Vec<Applied>, Unavailable> {
    let (outcomes, replay) = (ctx.outcomes.clone(), ctx.replay);
    let api_url = store.options().results_api_url.clone();
    let written = store.write_blocking(move |c| {
        let mut out = Vec::with_capacity(run.len());
        let mut items = Vec::new();
        let mut here = std::collections::HashSet::new();
        // Groups made earlier in this batch, by description (not yet in the store).
        let mut described = std::collections::HashMap::new();
        // The journal in a few statements for the lot: what it holds of the
        // batch, read at once; the new rows written at once after.
        let ids: Vec<String> = run.iter().map(|(m, _)| m.id.clone()).collect();
        let known = journal::redelivered_many(c, &ids)?;
        let mut fresh: Vec<(&Message, Outcome)> = Vec::with_capacity(run.len());
        let mut replayed: Vec<(&Message, Outcome)> = Vec::new();
        let mut again: Vec<&str> = Vec::new();
        for (msg, r) in &run {
            if !here.insert(msg.id.as_str()) {
                again.push(&msg.id);
                out.push(Applied::Duplicate(Status::Applied));
                continue;
            }
            let rerun = match known.get(&msg.id) {
                None => false,
                Some(Status::Failed) if replay => true,
                Some(status) => {
                    out.push(Applied::Duplicate(*status));
                    continue;
                }
            };
            let (outcome, applied) = match r {
                Route::Ignored(why) => (
                    outcome(Status::Ignored, None, why.clone()),
                    Applied::Ignored(why.clone()),
                ),
                _ => {
                    let handler = r.handler().unwrap_or("results");
                    match results_of(c, msg, r, &outcomes, &mut described)? {
                        Ok(mut made) => {
                            let detail = format!("{} results", made.len());
                            items.append(&mut made);
                            (
                                outcome(Status::Applied, Some(handler), detail.clone()),
                                Applied::Applied { handler, detail },
                            )
                        }
                        Err(reason) => (
                            outcome(Status::Failed, Some(handler), reason.clone()),
                            Applied::Failed(reason),
                        ),
                    }
                }
            };
            if rerun {
                replayed.push((msg, outcome));
            } else {
                fresh.push((msg, outcome));
            }
            out.push(applied);
        }
        // One actor for the lot: the changesets say the bus made them.
        let actor = Actor::user("bus", &format!("bus messages on {}", run[0].0.topic));
        results::insert_batch(c, items, &actor, &api_url)?;
        let rows: Vec<(Seen, Outcome)> = fresh.into_iter().map(|(m, o)| (seen(m), o)).collect();
        journal::record_new(c, &rows)?;
        for (m, o) in replayed {
            journal::record(c, &seen(m), &o)?;
        }
        // A message twice in one batch: its second delivery counted.
        for id in again {
            journal::redelivered(c, id)?;
        }
        Ok::<_, StoreError>(out)
    });
    written.or_else(|e| unavailable(e).map(|_| Vec::new()))
}

/// The results one message makes, or why it cannot be applied.
fn results_of(
    c: &mut dyn Conn,
    msg: &Message,
    r: &Route,
    outcomes: &Outcomes,
    described: &mut std::collections::HashMap<String, String>,
) -> Result<Result<Vec<NewResult>, String>, StoreError> {
    let mut uuid = || uuid::Uuid::new_v4().to_string();
    let mapped = match r {
        Route::CiMetrics => ci::ci_metrics(msg, &mut uuid),
        Route::CiUmb => ci::ci_umb(msg, &mut uuid),
        _ => ci::resultsdb_format(msg, &mut uuid),
    };
    let mut mapped = match mapped {
        Ok(m) => m,
        Err(reason) => return Ok(Err(reason)),
    };
    if let Some(description) = &mapped.group_by_description
        && let Some(g) = mapped.bodies[0].pointer_mut("/groups/0/uuid")
    {
        let known = match described.get(description) {
            Some(u) => Some(u.clone()),
            None => results::newest_group_described(c, description)?,
        };
        if let Some(uuid) = known {
            *g = Value::String(uuid);
        }
        if let Some(u) = g.as_str() {
            described.insert(description.clone(), u.to_string());
        }
    }
    let mut items = Vec::with_capacity(mapped.bodies.len());
    for body in &mapped.bodies {
        match NewResult::from_json(body, outcomes) {
            Ok(r) => items.push(r),
            // resultsdb-updater's words for ResultsDB's 400.
            Err(e) => {
                return Ok(Err(format!(
                    "Failed to create result: {}; Payload: {body}",
                    e.message
                )));
            }
        }
    }
    Ok(Ok(items))
}

/// pungi's `compose.status.change`: a finished compose is imported from
/// its location (the import changes nothing when it is already there).
fn compose(store: &Store, m: &Message, ctx: &Context) -> Result<Applied, Unavailable> {
    let status = m
        .body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let compose_id = m
        .body
        .get("compose_id")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    if let Some(seen) = before(store, m, ctx.replay)? {
        return Ok(seen);
    }
    let finish = |status: Status, reason: String, out: Applied| -> Result<Applied, Unavailable> {
        let msg = m.clone();
        store
            .write_blocking(move |c| record(c, &msg, status, Some("compose"), Some(reason)))
            .or_else(|e| unavailable(e).map(|_| ()))?;
        Ok(out)
    };
    if !FINISHED.contains(&status.as_str()) {
        let why = format!("compose {compose_id} is {status}, not finished");
        return finish(Status::Ignored, why.clone(), Applied::Ignored(why));
    }
    let Some(location) = m
        .body
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
    else {
        let why = format!("Missing field \"location\" (compose {compose_id})");
        return finish(Status::Failed, why.clone(), Applied::Failed(why));
    };
    match import_compose_from(store, location, &ImportOptions::default()) {
        Ok(s) => {
            let detail = format!(
                "compose {} imported from {location}: {} rpm entries, {} images",
                s.compose.compose_id, s.rpms, s.images
            );
            finish(
                Status::Applied,
                detail.clone(),
                Applied::Applied {
                    handler: "compose",
                    detail,
                },
            )
        }
        // The source may be down: not applied, not journalled; tried again.
        Err(ImportError::Source(SourceError::Unreadable { location, message })) => {
            Err(Unavailable(format!("{location}: {message}")))
        }
        Err(ImportError::Store(StoreError::Unavailable(cause))) => {
            Err(Unavailable(format!("the database is unavailable: {cause}")))
        }
        Err(other) => {
            let why = other.to_string();
            finish(Status::Failed, why.clone(), Applied::Failed(why))
        }
    }
}

/// Journals a message that could not even be read (not JSON, no id):
/// under a made-up id when it has none, so the journal still shows it.
pub fn unreadable(
    store: &Store,
    topic: &str,
    id: Option<&str>,
    raw: &[u8],
    why: &str,
) -> Result<(), Unavailable> {
    let id = id.filter(|i| !i.is_empty()).map_or_else(
        || format!("unreadable-{}", uuid::Uuid::new_v4()),
        str::to_string,
    );
    let m = Message {
        id,
        topic: topic.to_string(),
        headers: Value::Object(Default::default()),
        body: Value::String(String::from_utf8_lossy(raw).chars().take(100_000).collect()),
        sent_at: None,
    };
    let why = why.to_string();
    store
        .write_blocking(move |c| {
            if journal::redelivered(c, &m.id)?.is_some() {
                return Ok(());
            }
            record(c, &m, Status::Failed, None, Some(why))
        })
        .or_else(|e| unavailable(e).map(|_| ()))
}
