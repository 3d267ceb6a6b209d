//! Decision changes: every new result (`resultsdb.result.new`) and waiver
//! (`waiverdb.waiver.new`) in the outbox is looked at, in commit order, and
//! when it changes the decision its subject had under some decision context
//! (satisfied or not, the summary, the unsatisfied requirements), a
//! `greenwave.decision.update` event with the new decision and the
//! `previous` one is written to the outbox.
//!
//! [`plan`] reads the next batch after the watcher's cursor and works out
//! the decisions on a reader, off the single writer (a decision reads many
//! results, twice for each context); [`commit`] then writes the updates and
//! moves the cursor in one short write transaction, if the cursor is still
//! where the plan started (PostgreSQL `FOR UPDATE`): a restart goes on
//! where it stopped, and when two processes plan the same batch one of them
//! commits it, so no event is handled twice. [`step`] is both at once.

use super::{Ask, GatingSettings, gather};
use almanac_model::Timestamp;
use almanac_model::decision::{
    Decision, Subject, changed, contexts_for, decide, item_of, product_version_of,
    subject_of_result,
};
use almanac_model::results::PageLimits;
use almanac_model::{Outcomes, waivers::normalize_subject_type};
use almanac_store::outbox::{self, Event};
use almanac_store::{Conn, StoreResult};
use serde_json::{Value, json};

/// The cursor's name in `outbox_cursors`.
pub const CURSOR: &str = "greenwave.decision.update";
const TOPICS: [&str; 2] = ["resultsdb.result.new", "waiverdb.waiver.new"];

/// What the watcher needs besides the store.
#[derive(Debug, Clone)]
pub struct Watch {
    pub gating: GatingSettings,
    pub outcomes: Outcomes,
    pub limits: PageLimits,
}

/// The work of one batch, planned on a reader.
#[derive(Debug)]
pub struct Plan {
    /// Where the cursor stood (`None`: the watcher has no cursor yet).
    from: Option<i64>,
    /// The last event looked at.
    last: i64,
    /// How many events were looked at.
    pub events: usize,
    updates: Vec<Event>,
}

impl Plan {
    /// Whether [`commit`] has anything to write: updates and a cursor to
    /// move, or the cursor to make.
    pub fn to_commit(&self) -> bool {
        self.from.is_none() || self.events > 0
    }
}

/// Handles up to `limit` events in one transaction; answers how many it
/// looked at (0: caught up).
pub fn step(conn: &mut dyn Conn, w: &Watch, limit: i64) -> StoreResult<usize> {
    let planned = plan(conn, w, limit)?;
    let events = planned.events;
    commit(conn, planned)?;
    Ok(events)
}

/// Reads up to `limit` events after the cursor and the decision updates
/// they cause; writes nothing.
pub fn plan(conn: &mut dyn Conn, w: &Watch, limit: i64) -> StoreResult<Plan> {
    let Some(cursor) = outbox::cursor_value(conn, CURSOR)? else {
        return Ok(Plan {
            from: None,
            last: 0,
            events: 0,
            updates: Vec::new(),
        });
    };
    let events = outbox::after(conn, cursor, &TOPICS, limit)?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(Plan {
            from: Some(cursor),
            last: cursor,
            events: 0,
            updates: Vec::new(),
        });
    };
    let mut updates = Vec::new();
    for e in &events {
        let Ok(body) = serde_json::from_str::<Value>(&e.payload) else {
            continue;
        };
        let Some((subject, product_version, at, testcase)) = what_changed(&e.topic, &body) else {
            continue;
        };
        for context in contexts_for(&w.gating.policies, &subject.subject_type, &product_version) {
            let before = decision(
                conn,
                w,
                &subject,
                &product_version,
                &context,
                Some(Timestamp(at.0 - 1)),
            )?;
            let after = decision(conn, w, &subject, &product_version, &context, None)?;
            let (Some(before), Some(after)) = (before, after) else {
                continue;
            };
            if !changed(&before, &after) {
                continue;
            }
            let mut msg = after.to_json();
            msg["subject_type"] = json!(subject.subject_type);
            msg["subject_identifier"] = json!(subject.identifier);
            msg["subject"] = json!([item_of(&subject)]);
            msg["decision_context"] = json!(context);
            msg["product_version"] = json!(product_version);
            msg["previous"] = before.to_json();
            msg["testcase"] = json!(testcase);
            updates.push(Event {
                topic: "greenwave.decision.update".into(),
                payload: msg.to_string(),
            });
        }
    }
    Ok(Plan {
        from: Some(cursor),
        last,
        events: events.len(),
        updates,
    })
}

/// Writes a plan's updates and moves the cursor past its events, unless the
/// cursor moved since the plan was made (another process committed that
/// batch): answers whether it did. Without a cursor, it makes one at the
/// outbox's end, as a new reader starts from now.
pub fn commit(conn: &mut dyn Conn, plan: Plan) -> StoreResult<bool> {
    let now = outbox::cursor(conn, CURSOR)?;
    if plan.from != Some(now) || plan.events == 0 {
        return Ok(false);
    }
    outbox::enqueue(conn, plan.updates)?;
    outbox::set_cursor(conn, CURSOR, plan.last)?;
    Ok(true)
}

/// The subject, product version, time and testcase an event is about.
fn what_changed(topic: &str, body: &Value) -> Option<(Subject, String, Timestamp, String)> {
    match topic {
        "resultsdb.result.new" => {
            let subject = subject_of_result(body.get("data")?)?;
            let pv = product_version_of(&subject)?;
            let at = Timestamp::parse_iso8601(body.get("submit_time")?.as_str()?)?;
            let testcase = body.get("testcase")?.get("name")?.as_str()?.to_string();
            Some((subject, pv, at, testcase))
        }
        "waiverdb.waiver.new" => {
            let subject = Subject {
                subject_type: normalize_subject_type(body.get("subject_type")?.as_str()?),
                identifier: body.get("subject_identifier")?.as_str()?.to_string(),
            };
            let pv = body.get("product_version")?.as_str()?.to_string();
            let at = Timestamp::parse_iso8601(body.get("timestamp")?.as_str()?)?;
            let testcase = body.get("testcase")?.as_str()?.to_string();
            Some((subject, pv, at, testcase))
        }
        _ => None,
    }
}

/// The subject's decision under one context, as it was at `when` (now when
/// `None`); `None` when no policy applies.
fn decision(
    conn: &mut dyn Conn,
    w: &Watch,
    subject: &Subject,
    product_version: &str,
    context: &str,
    when: Option<Timestamp>,
) -> StoreResult<Option<Decision>> {
    let ask = Ask::new(&w.gating.policies, &w.outcomes, w.limits);
    let (facts, _, _) = gather(conn, subject, product_version, when, &ask)?;
    Ok(decide(
        &w.gating.policies,
        &[context.to_string()],
        product_version,
        &[facts],
    )
    .ok())
}
