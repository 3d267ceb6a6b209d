//! The bus: messages in, one domain operation each, every message
//! journalled. [`message`] reads a message from AMQP or a datagrepper
//! export, [`route`] picks its handler, [`ci`] maps CI messages to results
//! as resultsdb-updater did, [`apply`] writes it with its journal row.
//! [`from_lines`] applies a JSON-lines file (`almanac listen --from`), the
//! one-machine default that needs no broker.

pub mod amqp;
pub mod apply;
pub mod builds;
pub mod ci;
pub mod handler;
pub mod message;
pub mod packages;
pub mod people;
pub mod relay;
pub mod route;

use apply::{Applied, Context, Unavailable, apply_batch};
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

/// Applies every message of a JSON-lines file in order, 500 lines to a
/// transaction (blank lines are skipped; a line that is not a message is
/// journalled as failed). Stops at the first batch the store cannot take,
/// with the number of the line it starts at.
pub fn from_lines(
    store: &almanac_store::Store,
    input: impl BufRead,
    ctx: &Context,
) -> Result<Tally, (usize, Unavailable)> {
    const BATCH: usize = 500;
    let mut tally = Tally::default();
    let mut batch: Vec<Message> = Vec::with_capacity(BATCH);
    let mut batch_start = 1;
    let flush = |batch: &mut Vec<Message>,
                 tally: &mut Tally,
                 start: usize|
     -> Result<(), (usize, Unavailable)> {
        if batch.is_empty() {
            return Ok(());
        }
        for outcome in apply_batch(store, batch, ctx).map_err(|e| (start, e))? {
            tally.add(&outcome);
        }
        batch.clear();
        Ok(())
    };
    for (n, line) in input.lines().enumerate() {
        let line =
            line.map_err(|e| (n + 1, Unavailable(format!("reading line {}: {e}", n + 1))))?;
        if line.trim().is_empty() {
            continue;
        }
        match Message::from_datagrepper(&line) {
            Ok(m) => {
                if batch.is_empty() {
                    batch_start = n + 1;
                }
                batch.push(m);
                if batch.len() == BATCH {
                    flush(&mut batch, &mut tally, batch_start)?;
                }
            }
            Err(e) => {
                flush(&mut batch, &mut tally, batch_start)?;
                let why = format!("line {}: {e}", n + 1);
                apply::unreadable(store, "unknown", None, line.as_bytes(), &why)
                    .map_err(|e| (n + 1, e))?;
                tally.add(&Applied::Failed(why));
            }
        }
    }
    flush(&mut batch, &mut tally, batch_start)?;
    Ok(tally)
}
