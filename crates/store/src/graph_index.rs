//! The artifact graph kept in memory, following the store's commits.
//!
//! Every graph write logs the edges it adds and removes in its own
//! transaction ([`crate::graph`]); before answering, the index reads the
//! log's head (one indexed lookup) and applies what it has not seen, so an
//! answer includes every write committed before the question, whichever
//! process made it. A bulk write logs "reload" instead, and the index reads
//! the graph anew. Why memory and not recursive SQL: `almanac bench graph`
//! measures both (README).

use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::graph::{self, LogEntry};
use almanac_model::graph::Graph;
use std::sync::{Arc, Mutex, RwLock};

/// How many log entries one refresh reads at a time.
const LOG_PAGE: i64 = 50_000;

#[derive(Default)]
pub struct GraphIndex {
    loaded: RwLock<Option<Loaded>>,
    /// The tiers of the whole graph (no edge-kind filter), for one log head.
    tiers: Mutex<Option<(i64, Arc<Vec<u32>>)>>,
}

struct Loaded {
    graph: Graph,
    seq: i64,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Internal("the graph index lock is poisoned".into())
}

impl GraphIndex {
    pub fn new() -> GraphIndex {
        GraphIndex::default()
    }

    /// Answers `f` over the graph as of the store's last commit; `f` also
    /// gets the connection back and the log head the graph stands at.
    pub fn query<R>(
        &self,
        conn: &mut dyn Conn,
        f: impl FnOnce(&mut dyn Conn, &Graph, i64) -> R,
    ) -> StoreResult<R> {
        let head = graph::log_head(conn)?;
        {
            let loaded = self.loaded.read().map_err(poisoned)?;
            if let Some(l) = loaded.as_ref().filter(|l| l.seq >= head) {
                return Ok(f(conn, &l.graph, l.seq));
            }
        }
        {
            let mut loaded = self.loaded.write().map_err(poisoned)?;
            refresh(conn, &mut loaded, head)?;
        }
        let loaded = self.loaded.read().map_err(poisoned)?;
        let l = loaded
            .as_ref()
            .ok_or_else(|| StoreError::Internal("graph index empty after refresh".into()))?;
        Ok(f(conn, &l.graph, l.seq))
    }

    /// Each node's tier (by node number) in the whole graph, computed once
    /// per log head.
    pub fn tiers(&self, graph: &Graph, seq: i64) -> StoreResult<Arc<Vec<u32>>> {
        let mut cache = self.tiers.lock().map_err(poisoned)?;
        if let Some((at, tiers)) = cache.as_ref()
            && *at == seq
        {
            return Ok(tiers.clone());
        }
        let tiers = Arc::new(graph.tier_numbers(&[]));
        *cache = Some((seq, tiers.clone()));
        Ok(tiers)
    }
}

/// Brings `loaded` to `head` or later.
fn refresh(conn: &mut dyn Conn, loaded: &mut Option<Loaded>, head: i64) -> StoreResult<()> {
    loop {
        let Some(l) = loaded.as_mut() else {
            let (graph, seq) = graph::load(conn)?;
            *loaded = Some(Loaded { graph, seq });
            return Ok(());
        };
        if l.seq >= head {
            return Ok(());
        }
        let entries = graph::log_after(conn, l.seq, LOG_PAGE)?;
        if entries.is_empty() {
            // The head moved back (the log was emptied): read it all anew.
            *loaded = None;
            continue;
        }
        for (seq, entry) in entries {
            match entry {
                LogEntry::Add(e) => {
                    l.graph.insert_edge(&e.input, &e.artifact, &e.kind);
                }
                LogEntry::Remove(e) => {
                    l.graph.remove_edge(&e.input, &e.artifact, &e.kind);
                }
                LogEntry::Reload => {
                    *loaded = None;
                    break;
                }
            }
            l.seq = seq;
        }
    }
}
