//! The artifact graph's edges: written in bulk, one path for every write.
//!
//! - [`add_edges`] and [`remove_edges`] take a whole dependency list;
//! - [`ensure_inputs`] takes the complete set of inputs of some artifacts and
//!   adds what is new and removes what is gone (the form PDC lacked).
//!
//! Each write, in the caller's transaction, records per artifact touched a
//! change (`artifactinputs`: old holds the inputs removed, new the inputs
//! added), one `almanac.graph.change` event, and the graph log the in-memory
//! index ([`crate::graph_index`]) follows. Edges belong to a source: `native`
//! for the graph API, `pdc:<release>` for PDC relationships mirrored here, so
//! an ensure of one never removes the other's.
//!
//! [`closure_sql`] answers a transitive query with a recursive SQL query: the
//! alternative the index was measured against (`almanac bench graph`).

use crate::changes::Change;
use crate::db::{BulkInsert, ColType, Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::outbox::{self, Event};
use almanac_model::artifacts::Edge;
use almanac_model::graph::{Direction, Graph};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The source of the edges written through the graph API.
pub const NATIVE: &str = "native";

/// Past this many edges in one write, the log says "reload" instead of
/// listing them: indexes then rebuild from the edges (a bulk load).
const LOG_EDGES_UP_TO: usize = 20_000;

/// What a write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub added: usize,
    pub removed: usize,
    /// The artifacts whose inputs changed.
    pub artifacts: usize,
}

/// One artifact and the complete set of its inputs, for [`ensure_inputs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSet {
    pub artifact: String,
    /// (input, edge kind)
    pub inputs: Vec<(String, String)>,
}

/// An edge as stored: ids of its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Stored {
    id: i64,
    input: i64,
    artifact: i64,
}

/// The ids of these nodes, creating those missing.
fn node_ids(conn: &mut dyn Conn, names: &BTreeSet<&str>) -> StoreResult<HashMap<String, i64>> {
    let mut ids = existing_nodes(conn, names)?;
    let missing: Vec<Vec<Value>> = names
        .iter()
        .filter(|n| !ids.contains_key(**n))
        .map(|n| {
            let kind = n.split_once(':').map_or(*n, |(k, _)| k);
            vec![(*n).into(), kind.into()]
        })
        .collect();
    if !missing.is_empty() {
        conn.insert_rows(BulkInsert {
            table: "graph_nodes",
            columns: &[("name", ColType::Text), ("kind", ColType::Text)],
            rows: missing,
            skip_conflicts: true,
        })?;
        ids = existing_nodes(conn, names)?;
    }
    Ok(ids)
}

// The lookups by a list of names or ids below are planned for their values
// (`query_uncached`): a cached generic plan made while the graph was small
// scans it whole once it is not (an import grows it from nothing).

fn existing_nodes(
    conn: &mut dyn Conn,
    names: &BTreeSet<&str>,
) -> StoreResult<HashMap<String, i64>> {
    let list: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut out = HashMap::with_capacity(list.len());
    for chunk in list.chunks(50_000) {
        for mut r in conn.query_uncached(
            "SELECT id, name FROM graph_nodes WHERE name = ANY($1)",
            &[Value::TextList(chunk.to_vec())],
        )? {
            out.insert(r.text(1)?, r.int(0)?);
        }
    }
    Ok(out)
}

/// The names of these nodes.
fn names_of(conn: &mut dyn Conn, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(50_000) {
        for mut r in conn.query_uncached(
            "SELECT id, name FROM graph_nodes WHERE id = ANY($1)",
            &[Value::IntList(chunk.to_vec())],
        )? {
            out.insert(r.int(0)?, r.text(1)?);
        }
    }
    Ok(out)
}

/// The edges of `source` into `artifacts`, by (input id, kind) per artifact.
fn edges_into(
    conn: &mut dyn Conn,
    artifacts: &[i64],
    source: &str,
) -> StoreResult<HashMap<(i64, i64, String), i64>> {
    let mut out = HashMap::new();
    for chunk in artifacts.chunks(50_000) {
        for mut r in conn.query_uncached(
            "SELECT id, input_id, artifact_id, kind FROM graph_edges WHERE artifact_id = ANY($1) AND source = $2",
            &[Value::IntList(chunk.to_vec()), source.into()],
        )? {
            out.insert((r.int(1)?, r.int(2)?, r.text(3)?), r.int(0)?);
        }
    }
    Ok(out)
}

/// The same triples held by other sources: their going or coming does not
/// change the graph the index sees.
fn held_elsewhere(
    conn: &mut dyn Conn,
    artifacts: &[i64],
    source: &str,
) -> StoreResult<HashSet<(i64, i64, String)>> {
    let mut out = HashSet::new();
    for chunk in artifacts.chunks(50_000) {
        for mut r in conn.query_uncached(
            "SELECT input_id, artifact_id, kind FROM graph_edges WHERE artifact_id = ANY($1) AND source <> $2",
            &[Value::IntList(chunk.to_vec()), source.into()],
        )? {
            out.insert((r.int(0)?, r.int(1)?, r.text(2)?));
        }
    }
    Ok(out)
}

/// Adds the edges not there yet.
pub fn add_edges(
    conn: &mut dyn Conn,
    edges: &[Edge],
    source: &str,
    changes: Option<&mut Vec<Change>>,
) -> StoreResult<Applied> {
    write(conn, source, edges, &[], None, changes)
}

/// Removes the edges that are there.
pub fn remove_edges(
    conn: &mut dyn Conn,
    edges: &[Edge],
    source: &str,
    changes: Option<&mut Vec<Change>>,
) -> StoreResult<Applied> {
    write(conn, source, &[], edges, None, changes)
}

/// Makes each artifact's inputs (of `source`) exactly its set: adds what is
/// new, removes what is gone.
pub fn ensure_inputs(
    conn: &mut dyn Conn,
    sets: &[InputSet],
    source: &str,
    changes: Option<&mut Vec<Change>>,
) -> StoreResult<Applied> {
    let wanted: Vec<Edge> = sets
        .iter()
        .flat_map(|s| {
            s.inputs.iter().map(|(input, kind)| Edge {
                input: input.clone(),
                artifact: s.artifact.clone(),
                kind: kind.clone(),
            })
        })
        .collect();
    let whole: Vec<&str> = sets.iter().map(|s| s.artifact.as_str()).collect();
    write(conn, source, &wanted, &[], Some(&whole), changes)
}

/// The one path of every graph write. `add` are edges to have, `remove`
/// edges not to have; with `whole`, those artifacts' edges not in `add` go
/// too.
fn write(
    conn: &mut dyn Conn,
    source: &str,
    add: &[Edge],
    remove: &[Edge],
    whole: Option<&[&str]>,
    changes: Option<&mut Vec<Change>>,
) -> StoreResult<Applied> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for e in add.iter().chain(remove) {
        names.insert(&e.input);
        names.insert(&e.artifact);
    }
    names.extend(whole.unwrap_or_default().iter().copied());
    if names.is_empty() {
        return Ok(Applied::default());
    }
    let ids = node_ids(conn, &names)?;
    let id = |n: &str| {
        ids.get(n)
            .copied()
            .ok_or_else(|| StoreError::Internal(format!("node {n} has no id after insert")))
    };
    let mut artifacts: BTreeSet<i64> = BTreeSet::new();
    for e in add.iter().chain(remove) {
        artifacts.insert(id(&e.artifact)?);
    }
    for a in whole.unwrap_or_default() {
        artifacts.insert(id(a)?);
    }
    let artifacts: Vec<i64> = artifacts.into_iter().collect();
    let existing = edges_into(conn, &artifacts, source)?;

    let mut wanted: HashSet<(i64, i64, String)> = HashSet::with_capacity(add.len());
    let mut to_add: Vec<(i64, i64, String)> = Vec::new();
    for e in add {
        let key = (id(&e.input)?, id(&e.artifact)?, e.kind.clone());
        if !existing.contains_key(&key) && wanted.insert(key.clone()) {
            to_add.push(key);
        } else {
            wanted.insert(key);
        }
    }
    let mut to_remove: Vec<(Stored, String)> = Vec::new();
    if whole.is_some() {
        for ((input, artifact, kind), eid) in &existing {
            if !wanted.contains(&(*input, *artifact, kind.clone())) {
                let s = Stored {
                    id: *eid,
                    input: *input,
                    artifact: *artifact,
                };
                to_remove.push((s, kind.clone()));
            }
        }
    }
    for e in remove {
        let key = (id(&e.input)?, id(&e.artifact)?, e.kind.clone());
        if let Some(eid) = existing.get(&key) {
            let s = Stored {
                id: *eid,
                input: key.0,
                artifact: key.1,
            };
            to_remove.push((s, key.2));
        }
    }
    to_remove.sort_by_key(|(s, _)| s.id);
    to_remove.dedup_by_key(|(s, _)| s.id);
    if to_add.is_empty() && to_remove.is_empty() {
        return Ok(Applied::default());
    }

    conn.insert_rows(BulkInsert {
        table: "graph_edges",
        columns: &[
            ("input_id", ColType::Int),
            ("artifact_id", ColType::Int),
            ("kind", ColType::Text),
            ("source", ColType::Text),
        ],
        rows: to_add
            .iter()
            .map(|(i, a, k)| vec![(*i).into(), (*a).into(), k.into(), source.into()])
            .collect(),
        skip_conflicts: false,
    })?;
    let gone: Vec<i64> = to_remove.iter().map(|(s, _)| s.id).collect();
    for chunk in gone.chunks(50_000) {
        conn.execute(
            "DELETE FROM graph_edges WHERE id = ANY($1)",
            &[Value::IntList(chunk.to_vec())],
        )?;
    }

    // The inputs an ensure removes were not named by the caller: read them.
    let unnamed: BTreeSet<i64> = {
        let known: HashSet<i64> = ids.values().copied().collect();
        to_remove
            .iter()
            .map(|(s, _)| s.input)
            .filter(|i| !known.contains(i))
            .collect()
    };
    let read = names_of(conn, &unnamed.into_iter().collect::<Vec<_>>())?;
    let mut name_of: HashMap<i64, &str> = ids.iter().map(|(n, i)| (*i, n.as_str())).collect();
    name_of.extend(read.iter().map(|(i, n)| (*i, n.as_str())));
    let name = |i: i64| name_of.get(&i).copied().unwrap_or("?");
    log(conn, source, &artifacts, &to_add, &to_remove, &name)?;

    // Per artifact: the inputs added and removed.
    let mut per: BTreeMap<i64, (Vec<serde_json::Value>, Vec<serde_json::Value>)> = BTreeMap::new();
    for (i, a, k) in &to_add {
        per.entry(*a)
            .or_default()
            .1
            .push(json!({"input": name(*i), "kind": k}));
    }
    for (s, k) in &to_remove {
        per.entry(s.artifact)
            .or_default()
            .0
            .push(json!({"input": name(s.input), "kind": k}));
    }
    let applied = Applied {
        added: to_add.len(),
        removed: to_remove.len(),
        artifacts: per.len(),
    };
    let listed: Vec<&str> = per.keys().take(1000).map(|a| name(*a)).collect();
    outbox::enqueue(
        conn,
        vec![Event {
            topic: "almanac.graph.change".into(),
            payload: json!({
                "source": source,
                "added": applied.added,
                "removed": applied.removed,
                "artifact_count": applied.artifacts,
                "artifacts": listed,
            })
            .to_string(),
        }],
    )?;
    if let Some(changes) = changes {
        for (a, (removed, added)) in per {
            changes.push(Change {
                target_class: "artifactinputs",
                target_id: a,
                old: Some(json!({"artifact": name(a), "source": source, "inputs": removed})),
                new: Some(json!({"artifact": name(a), "source": source, "inputs": added})),
            });
        }
    }
    Ok(applied)
}

/// Writes the graph log: the edges that appeared in or left the graph the
/// index sees (an edge another source holds too neither comes nor goes).
fn log<'n>(
    conn: &mut dyn Conn,
    source: &str,
    artifacts: &[i64],
    added: &[(i64, i64, String)],
    removed: &[(Stored, String)],
    name: &dyn Fn(i64) -> &'n str,
) -> StoreResult<()> {
    let columns = &[
        ("op", ColType::Text),
        ("input", ColType::Text),
        ("artifact", ColType::Text),
        ("kind", ColType::Text),
    ];
    if added.len() + removed.len() > LOG_EDGES_UP_TO {
        conn.insert_rows(BulkInsert {
            table: "graph_log",
            columns,
            rows: vec![vec!["reload".into(), Value::Null, Value::Null, Value::Null]],
            skip_conflicts: false,
        })?;
        return Ok(());
    }
    let elsewhere = held_elsewhere(conn, artifacts, source)?;
    let mut rows = Vec::with_capacity(added.len() + removed.len());
    for (i, a, k) in added {
        if !elsewhere.contains(&(*i, *a, k.clone())) {
            rows.push(vec![
                "add".into(),
                name(*i).into(),
                name(*a).into(),
                k.into(),
            ]);
        }
    }
    for (s, k) in removed {
        if !elsewhere.contains(&(s.input, s.artifact, k.clone())) {
            rows.push(vec![
                "remove".into(),
                name(s.input).into(),
                name(s.artifact).into(),
                k.into(),
            ]);
        }
    }
    conn.insert_rows(BulkInsert {
        table: "graph_log",
        columns,
        rows,
        skip_conflicts: false,
    })?;
    Ok(())
}

/// The last log entry's number (0 when none): where the graph stands.
pub fn log_head(conn: &mut dyn Conn) -> StoreResult<i64> {
    let row = conn.query_opt("SELECT coalesce(max(seq), 0) FROM graph_log", &[])?;
    Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0))
}

/// One entry of the graph log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    Add(Edge),
    Remove(Edge),
    /// Too many edges changed to list: read the graph anew.
    Reload,
}

/// The log after `seq`, up to `limit` entries, with their numbers.
pub fn log_after(conn: &mut dyn Conn, seq: i64, limit: i64) -> StoreResult<Vec<(i64, LogEntry)>> {
    conn.query(
        "SELECT seq, op, input, artifact, kind FROM graph_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[seq.into(), limit.into()],
    )?
    .into_iter()
    .map(|mut r| {
        let seq = r.int(0)?;
        let op = r.text(1)?;
        if op == "reload" {
            return Ok((seq, LogEntry::Reload));
        }
        let edge = Edge {
            input: r.text(2)?,
            artifact: r.text(3)?,
            kind: r.text(4)?,
        };
        Ok((
            seq,
            if op == "add" {
                LogEntry::Add(edge)
            } else {
                LogEntry::Remove(edge)
            },
        ))
    })
    .collect()
}

/// The whole graph as it stands, and the log entry it stands at.
pub fn load(conn: &mut dyn Conn) -> StoreResult<(Graph, i64)> {
    // The head first: an entry committed while the edges are read is
    // applied again by the caller, and applying is idempotent.
    let head = log_head(conn)?;
    let mut graph = Graph::new();
    let mut node = HashMap::new();
    for mut r in conn.query("SELECT id, name FROM graph_nodes ORDER BY id", &[])? {
        let id = r.int(0)?;
        node.insert(id, graph.node(&r.text(1)?));
    }
    let at = |id: i64| {
        node.get(&id)
            .copied()
            .ok_or_else(|| StoreError::Internal(format!("edge to unknown node {id}")))
    };
    // Native edges are distinct; another source's may repeat them.
    for mut r in conn.query(
        "SELECT input_id, artifact_id, kind FROM graph_edges WHERE source = $1",
        &[NATIVE.into()],
    )? {
        graph.add_edge_between(at(r.int(0)?)?, at(r.int(1)?)?, &r.text(2)?);
    }
    for mut r in conn.query(
        "SELECT input_id, artifact_id, kind FROM graph_edges WHERE source <> $1",
        &[NATIVE.into()],
    )? {
        let (i, a, k) = (at(r.int(0)?)?, at(r.int(1)?)?, r.text(2)?);
        let (i, a) = (graph.name(i).to_string(), graph.name(a).to_string());
        graph.insert_edge(&i, &a, &k);
    }
    Ok((graph, head))
}

/// How many edges of each source the store holds.
pub fn counts(conn: &mut dyn Conn) -> StoreResult<Vec<(String, i64)>> {
    conn.query(
        "SELECT source, count(*) FROM graph_edges GROUP BY source ORDER BY source",
        &[],
    )?
    .into_iter()
    .map(|mut r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}

/// The transitive inputs (or consumers) of `start` by a recursive query:
/// each node once, at its least depth when `max_depth` bounds the walk.
/// Kept to compare with the in-memory index at scale; the API uses the index.
pub fn closure_sql(
    conn: &mut dyn Conn,
    start: &str,
    direction: Direction,
    max_depth: Option<u32>,
) -> StoreResult<Vec<(String, u32)>> {
    let (from, to) = match direction {
        Direction::Inputs => ("input_id", "artifact_id"),
        Direction::Consumers => ("artifact_id", "input_id"),
    };
    let sql = match max_depth {
        // UNION keeps each node once, so the walk ends on cycles.
        None => format!(
            "WITH RECURSIVE walk(id) AS (
                 SELECT id FROM graph_nodes WHERE name = $1
                 UNION
                 SELECT e.{from} FROM graph_edges e JOIN walk w ON e.{to} = w.id)
             SELECT n.name, 0 FROM walk w JOIN graph_nodes n ON n.id = w.id WHERE n.name <> $1"
        ),
        Some(_) => format!(
            "WITH RECURSIVE walk(id, depth) AS (
                 SELECT id, 0 FROM graph_nodes WHERE name = $1
                 UNION
                 SELECT e.{from}, w.depth + 1 FROM graph_edges e JOIN walk w ON e.{to} = w.id
                  WHERE w.depth < $2)
             SELECT n.name, min(w.depth) FROM walk w JOIN graph_nodes n ON n.id = w.id
              WHERE n.name <> $1 GROUP BY n.name"
        ),
    };
    let mut params: Vec<Value> = vec![start.into()];
    if let Some(d) = max_depth {
        params.push(i64::from(d).into());
    }
    conn.query(&sql, &params)?
        .into_iter()
        .map(|mut r| Ok((r.text(0)?, r.int(1)? as u32)))
        .collect()
}
