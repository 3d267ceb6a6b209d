//! The bus: messages in, one domain operation each, every message
//! journalled. [`message`] reads a message from AMQP or a datagrepper
//! export, [`route`] picks its handler, [`ci`] maps CI messages to results
//! as resultsdb-updater did, [`apply`] writes it with its journal row.
//! [`from_lines`] applies a JSON-lines file (`almanac listen --from`), the
//! one-machine default that needs no broker.

pub mod amqp;
pub mod apply;
pub mod ci;
pub mod message;
pub mod route;

use apply::{Applied, Context, Unavailable, apply};
use message::Message;
use std::io::BufRead;

/// What a run of messages did, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub applied: usize,
    pub duplicate: usize,
    pub ignored: usize,
    pub failed: usize,
}

impl Tally {
    pub fn add(&mut self, a: &Applied) {
        match a {
            Applied::Applied { .. } => self.applied += 1,
            Applied::Duplicate(_) => self.duplicate += 1,
            Applied::Ignored(_) => self.ignored += 1,
            Applied::Failed(_) => self.failed += 1,
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} applied, {} duplicate, {} ignored, {} failed",
            self.applied, self.duplicate, self.ignored, self.failed
        )
    }
}

/// Applies every message of a JSON-lines file in order (blank lines are
/// skipped; a line that is not a message is journalled as failed). Stops
/// at the first message the store cannot take, with its line number.
pub fn from_lines(
    store: &almanac_store::Store,
    input: impl BufRead,
    ctx: &Context,
) -> Result<Tally, (usize, Unavailable)> {
    let mut tally = Tally::default();
    for (n, line) in input.lines().enumerate() {
        let line =
            line.map_err(|e| (n + 1, Unavailable(format!("reading line {}: {e}", n + 1))))?;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = match Message::from_datagrepper(&line) {
            Ok(m) => apply(store, &m, ctx).map_err(|e| (n + 1, e))?,
            Err(e) => {
                let why = format!("line {}: {e}", n + 1);
                apply::unreadable(store, "unknown", None, line.as_bytes(), &why)
                    .map_err(|e| (n + 1, e))?;
                Applied::Failed(why)
            }
        };
        tally.add(&outcome);
    }
    Ok(tally)
}
