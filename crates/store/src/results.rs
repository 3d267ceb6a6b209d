//! Results, testcases and groups: ResultsDB's aggregate.
//!
//! A batch of new results is written with a fixed number of statements however
//! large it is (one bulk insert per table), which is what lets the writer
//! commit many concurrent submissions together.

use crate::changes::{self, Actor, Change};
use crate::db::{BulkInsert, ColType, Conn, Row, Sql, Value};
use crate::error::{StoreError, StoreResult};
use crate::outbox::{self, Event};
use almanac_model::Timestamp;
use almanac_model::results::{
    Group, GroupInput, GroupQuery, NameFilter, NewResult, ResultQuery, SortOrder, StoredResult,
    Testcase, TestcaseInput, TestcaseQuery,
};
use serde_json::json;
use std::collections::HashMap;

/// The topic of the event each new result writes to the outbox.
pub const RESULT_NEW_TOPIC: &str = "resultsdb.result.new";

const RESULT_COLUMNS: &str =
    "r.id, t.name, t.ref_url, r.submit_time, r.outcome, r.note, r.ref_url, r.data, r.group_uuids";

fn read_result(mut row: Row) -> StoreResult<StoredResult> {
    let groups_json = row.text(8)?;
    Ok(StoredResult {
        id: row.int(0)?,
        testcase: Testcase {
            name: row.text(1)?,
            ref_url: row.opt_text(2)?,
        },
        submit_time: Timestamp(row.int(3)?),
        outcome: row.text(4)?,
        note: row.opt_text(5)?,
        ref_url: row.opt_text(6)?,
        data_json: row.text(7)?,
        groups: serde_json::from_str(&groups_json)
            .map_err(|e| StoreError::Internal(format!("result group list is not JSON: {e}")))?,
    })
}

/// Stores `items` as new results, creating or updating the testcases and
/// groups they name, and writes one `resultsdb.result.new` event per result.
/// `api_url` is the absolute URL of `/api/v2.0`, for the events' links.
pub fn insert_batch(
    conn: &mut dyn Conn,
    items: Vec<NewResult>,
    actor: &Actor,
    api_url: &str,
) -> StoreResult<Vec<StoredResult>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut change_list = Vec::new();
    let testcases = ensure_testcases(conn, items.iter().map(|r| &r.testcase), &mut change_list)?;

    // Give every group without a uuid a fresh one, then create or update groups.
    let mut items = items;
    for item in &mut items {
        for g in &mut item.groups {
            if g.uuid.is_none() {
                g.uuid = Some(uuid::Uuid::new_v4().to_string());
            }
        }
    }
    let group_ids = ensure_groups(
        conn,
        items.iter().flat_map(|r| r.groups.iter()),
        &mut change_list,
    )?;

    let ids = conn.next_ids("results", items.len())?;
    let mut result_rows = Vec::with_capacity(items.len());
    let mut data_rows = Vec::new();
    let mut group_rows = Vec::new();
    let mut stored = Vec::with_capacity(items.len());
    for (item, id) in items.into_iter().zip(ids) {
        let tc = &testcases[item.testcase.name.as_str()];
        let submit_time = item.submit_time.unwrap_or_else(Timestamp::now);
        let data_json = item.data_json();
        let mut uuids: Vec<String> = Vec::with_capacity(item.groups.len());
        for g in &item.groups {
            let uuid = g.uuid.clone().expect("uuids were filled in above");
            if !uuids.contains(&uuid) {
                group_rows.push(vec![group_ids[&uuid].into(), id.into()]);
                uuids.push(uuid);
            }
        }
        for (k, v) in &item.data {
            data_rows.push(vec![id.into(), k.into(), v.into()]);
        }
        result_rows.push(vec![
            id.into(),
            tc.0.into(),
            submit_time.micros().into(),
            item.outcome.as_str().into(),
            item.note.clone().into(),
            item.ref_url.clone().into(),
            data_json.clone().into(),
            serde_json::to_string(&uuids)
                .expect("strings serialize")
                .into(),
        ]);
        stored.push(StoredResult {
            id,
            testcase: Testcase {
                name: item.testcase.name.as_str().to_string(),
                ref_url: tc.1.clone(),
            },
            submit_time,
            outcome: item.outcome.into_string(),
            note: item.note,
            ref_url: item.ref_url,
            data_json,
            groups: uuids,
        });
    }
    conn.insert_rows(BulkInsert {
        table: "results",
        columns: &[
            ("id", ColType::Int),
            ("testcase_id", ColType::Int),
            ("submit_time", ColType::Int),
            ("outcome", ColType::Text),
            ("note", ColType::Text),
            ("ref_url", ColType::Text),
            ("data", ColType::Text),
            ("group_uuids", ColType::Text),
        ],
        rows: result_rows,
        skip_conflicts: false,
    })?;
    conn.insert_rows(BulkInsert {
        table: "result_data",
        columns: &[
            ("result_id", ColType::Int),
            ("key", ColType::Text),
            ("value", ColType::Text),
        ],
        rows: data_rows,
        skip_conflicts: false,
    })?;
    conn.insert_rows(BulkInsert {
        table: "group_results",
        columns: &[("group_id", ColType::Int), ("result_id", ColType::Int)],
        rows: group_rows,
        skip_conflicts: false,
    })?;
    let events = stored
        .iter()
        .map(|r| Event {
            topic: RESULT_NEW_TOPIC.to_string(),
            payload: serde_json::to_string(&r.to_json(api_url)).expect("a result serializes"),
        })
        .collect();
    outbox::enqueue(conn, events)?;
    changes::record(conn, actor, change_list)?;
    Ok(stored)
}

/// Creates or updates testcases; answers name -> (id, ref_url) for all named.
fn ensure_testcases<'a>(
    conn: &mut dyn Conn,
    inputs: impl Iterator<Item = &'a TestcaseInput>,
    change_list: &mut Vec<Change>,
) -> StoreResult<HashMap<String, (i64, Option<String>)>> {
    // The last ref_url given for a name wins, as if the inputs came one by one.
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for t in inputs {
        let name = t.name.as_str();
        match index.get(name) {
            Some(&i) => {
                if t.ref_url.is_some() {
                    wanted[i].1 = t.ref_url.clone();
                }
            }
            None => {
                index.insert(name.to_string(), wanted.len());
                wanted.push((name.to_string(), t.ref_url.clone()));
            }
        }
    }
    // Sorted, so concurrent writers lock rows in the same order.
    wanted.sort();
    let names: Vec<String> = wanted.iter().map(|(n, _)| n.clone()).collect();
    let mut known = select_testcases(conn, &names)?;
    let missing: Vec<&(String, Option<String>)> = wanted
        .iter()
        .filter(|(n, _)| !known.contains_key(n))
        .collect();
    if !missing.is_empty() {
        conn.insert_rows(BulkInsert {
            table: "testcases",
            columns: &[("name", ColType::Text), ("ref_url", ColType::Text)],
            rows: missing
                .iter()
                .map(|(n, u)| vec![n.into(), u.clone().into()])
                .collect(),
            skip_conflicts: true,
        })?;
        let missing_names: Vec<String> = missing.iter().map(|(n, _)| n.clone()).collect();
        for (name, (id, ref_url)) in select_testcases(conn, &missing_names)? {
            change_list.push(Change {
                target_class: "testcase",
                target_id: id,
                old: None,
                new: Some(json!({"name": name, "ref_url": ref_url})),
            });
            known.insert(name, (id, ref_url));
        }
    }
    for (name, ref_url) in &wanted {
        let Some(new_url) = ref_url else { continue };
        let entry = known
            .get_mut(name)
            .ok_or_else(|| StoreError::Internal(format!("testcase {name} vanished")))?;
        if entry.1.as_ref() != Some(new_url) {
            conn.execute(
                "UPDATE testcases SET ref_url = $1 WHERE id = $2",
                &[new_url.into(), entry.0.into()],
            )?;
            change_list.push(Change {
                target_class: "testcase",
                target_id: entry.0,
                old: Some(json!({"name": name, "ref_url": entry.1})),
                new: Some(json!({"name": name, "ref_url": new_url})),
            });
            entry.1 = Some(new_url.clone());
        }
    }
    Ok(known)
}

fn select_testcases(
    conn: &mut dyn Conn,
    names: &[String],
) -> StoreResult<HashMap<String, (i64, Option<String>)>> {
    let rows = conn.query(
        "SELECT id, name, ref_url FROM testcases WHERE name = ANY($1)",
        &[Value::TextList(names.to_vec())],
    )?;
    rows.into_iter()
        .map(|mut r| Ok((r.text(1)?, (r.int(0)?, r.opt_text(2)?))))
        .collect()
}

type GroupRow = (i64, Option<String>, Option<String>);

/// Creates or updates groups (each input has a uuid); answers uuid -> id.
fn ensure_groups<'a>(
    conn: &mut dyn Conn,
    inputs: impl Iterator<Item = &'a GroupInput>,
    change_list: &mut Vec<Change>,
) -> StoreResult<HashMap<String, i64>> {
    // The last description and ref_url given for a uuid win.
    let mut wanted: Vec<GroupInput> = Vec::new();
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    for g in inputs {
        match index.get(&g.uuid) {
            Some(&i) => {
                let w = &mut wanted[i];
                if g.description.is_some() {
                    w.description = g.description.clone();
                }
                if g.ref_url.is_some() {
                    w.ref_url = g.ref_url.clone();
                }
            }
            None => {
                index.insert(g.uuid.clone(), wanted.len());
                wanted.push(g.clone());
            }
        }
    }
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    wanted.sort_by(|a, b| a.uuid.cmp(&b.uuid));
    let uuids: Vec<String> = wanted.iter().filter_map(|g| g.uuid.clone()).collect();
    let mut known = select_groups(conn, &uuids)?;
    let missing: Vec<&GroupInput> = wanted
        .iter()
        .filter(|g| !known.contains_key(g.uuid.as_deref().unwrap_or_default()))
        .collect();
    if !missing.is_empty() {
        conn.insert_rows(BulkInsert {
            table: "result_groups",
            columns: &[
                ("uuid", ColType::Text),
                ("description", ColType::Text),
                ("ref_url", ColType::Text),
            ],
            rows: missing
                .iter()
                .map(|g| {
                    vec![
                        g.uuid.clone().into(),
                        g.description.clone().into(),
                        g.ref_url.clone().into(),
                    ]
                })
                .collect(),
            skip_conflicts: true,
        })?;
        let missing_uuids: Vec<String> = missing.iter().filter_map(|g| g.uuid.clone()).collect();
        for (uuid, row) in select_groups(conn, &missing_uuids)? {
            change_list.push(Change {
                target_class: "group",
                target_id: row.0,
                old: None,
                new: Some(json!({"uuid": uuid, "description": row.1, "ref_url": row.2})),
            });
            known.insert(uuid, row);
        }
    }
    for g in &wanted {
        let uuid = g.uuid.clone().unwrap_or_default();
        let row = known
            .get_mut(&uuid)
            .ok_or_else(|| StoreError::Internal(format!("group {uuid} vanished")))?;
        let description = g.description.clone().or_else(|| row.1.clone());
        let ref_url = g.ref_url.clone().or_else(|| row.2.clone());
        if description != row.1 || ref_url != row.2 {
            conn.execute(
                "UPDATE result_groups SET description = $1, ref_url = $2 WHERE id = $3",
                &[
                    description.clone().into(),
                    ref_url.clone().into(),
                    row.0.into(),
                ],
            )?;
            change_list.push(Change {
                target_class: "group",
                target_id: row.0,
                old: Some(json!({"uuid": uuid, "description": row.1, "ref_url": row.2})),
                new: Some(json!({"uuid": uuid, "description": description, "ref_url": ref_url})),
            });
            *row = (row.0, description, ref_url);
        }
    }
    Ok(known.into_iter().map(|(uuid, row)| (uuid, row.0)).collect())
}

fn select_groups(conn: &mut dyn Conn, uuids: &[String]) -> StoreResult<HashMap<String, GroupRow>> {
    let rows = conn.query(
        "SELECT id, uuid, description, ref_url FROM result_groups WHERE uuid = ANY($1)",
        &[Value::TextList(uuids.to_vec())],
    )?;
    rows.into_iter()
        .map(|mut r| Ok((r.text(1)?, (r.int(0)?, r.opt_text(2)?, r.opt_text(3)?))))
        .collect()
}

/// Creates or updates one testcase (`POST /testcases`).
pub fn upsert_testcase(
    conn: &mut dyn Conn,
    input: &TestcaseInput,
    actor: &Actor,
) -> StoreResult<Testcase> {
    let mut change_list = Vec::new();
    let map = ensure_testcases(conn, std::iter::once(input), &mut change_list)?;
    changes::record(conn, actor, change_list)?;
    let (_, ref_url) = map[input.name.as_str()].clone();
    Ok(Testcase {
        name: input.name.as_str().to_string(),
        ref_url,
    })
}

/// Creates or updates one group (`POST /groups`); a missing uuid makes a new one.
pub fn upsert_group(conn: &mut dyn Conn, input: &GroupInput, actor: &Actor) -> StoreResult<Group> {
    let mut input = input.clone();
    let uuid = input
        .uuid
        .get_or_insert_with(|| uuid::Uuid::new_v4().to_string())
        .clone();
    let mut change_list = Vec::new();
    ensure_groups(conn, std::iter::once(&input), &mut change_list)?;
    changes::record(conn, actor, change_list)?;
    get_group(conn, &uuid)?.ok_or_else(|| StoreError::Internal(format!("group {uuid} vanished")))
}

// ---------------------------------------------------------------------------
// Reads.

pub fn get(conn: &mut dyn Conn, id: i64) -> StoreResult<Option<StoredResult>> {
    let sql = format!(
        "SELECT {RESULT_COLUMNS} FROM results r JOIN testcases t ON t.id = r.testcase_id WHERE r.id = $1"
    );
    conn.query_opt(&sql, &[id.into()])?
        .map(read_result)
        .transpose()
}

fn name_condition(sql: &mut Sql, column: &str, filter: &NameFilter) -> String {
    let mut alternatives = Vec::new();
    if !filter.exact.is_empty() {
        alternatives.push(format!(
            "{column} = ANY({})",
            sql.bind(filter.exact.clone())
        ));
    }
    for like in &filter.likes {
        alternatives.push(format!("{column} LIKE {}", sql.bind(like)));
    }
    format!("({})", alternatives.join(" OR "))
}

/// The ids of the testcases a query names, or `None` when it names none.
/// Resolved first, so the planners see a plain list of ids to weigh against
/// the indexes (a subquery's size is a guess), and a query naming no existing
/// testcase is answered without touching the results.
fn resolve_testcases(conn: &mut dyn Conn, q: &ResultQuery) -> StoreResult<Option<Vec<i64>>> {
    if q.testcases.is_empty() {
        return Ok(None);
    }
    let mut sql = Sql::default();
    let names = name_condition(&mut sql, "name", &q.testcases);
    sql.text = format!("SELECT id FROM testcases WHERE {names}");
    let ids = conn
        .query(&sql.text, &sql.params)?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    Ok(Some(ids))
}

/// The WHERE conditions of a result query, over `results r`.
fn result_conditions(
    sql: &mut Sql,
    q: &ResultQuery,
    testcase_ids: Option<&Vec<i64>>,
) -> Vec<String> {
    let mut conds = Vec::new();
    if !q.outcomes.is_empty() {
        conds.push(format!("r.outcome = ANY({})", sql.bind(q.outcomes.clone())));
    }
    if let Some(ids) = testcase_ids {
        conds.push(format!("r.testcase_id = ANY({})", sql.bind(ids.clone())));
    }
    if !q.groups.is_empty() {
        conds.push(format!(
            "r.id IN (SELECT gr.result_id FROM group_results gr JOIN result_groups g ON g.id = gr.group_id
                       WHERE g.uuid = ANY({}))",
            sql.bind(q.groups.clone())
        ));
    }
    if let Some((start, end)) = q.since {
        conds.push(format!("r.submit_time >= {}", sql.bind(start.micros())));
        if let Some(end) = end {
            conds.push(format!("r.submit_time <= {}", sql.bind(end.micros())));
        }
    }
    // One data filter finds the candidates through the (key, value) index;
    // the others are checked on each candidate through (result_id, key). Two
    // IN lists would let the planner start from `type=koji_build`, which
    // every result matches. `item` is the one that narrows, when given. The
    // checks are scalar subqueries, not EXISTS: PostgreSQL's generic plan
    // turns an EXISTS into a hash of every `type=koji_build` row (130 ms at
    // 200,000 results, against 0.5 ms so).
    let mut filters: Vec<_> = q.data.iter().collect();
    filters.sort_by_key(|f| f.key != "item");
    for (i, f) in filters.into_iter().enumerate() {
        let key = sql.bind(&f.key);
        let values = name_condition(
            sql,
            "d.value",
            &NameFilter {
                exact: f.values.clone(),
                likes: f.likes.clone(),
            },
        );
        conds.push(if i == 0 {
            format!("r.id IN (SELECT d.result_id FROM result_data d WHERE d.key = {key} AND {values})")
        } else {
            format!(
                "(SELECT 1 FROM result_data d WHERE d.result_id = r.id AND d.key = {key} AND {values} LIMIT 1) = 1"
            )
        });
    }
    conds
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    }
}

/// One page of results, newest first (or oldest first), ties broken by id.
/// Answers up to `limit + 1` rows so the caller knows whether a next page exists.
pub fn list(conn: &mut dyn Conn, q: &ResultQuery) -> StoreResult<Vec<StoredResult>> {
    match list_statement(conn, q)? {
        Some(sql) => run_query(conn, q, &sql)?
            .into_iter()
            .map(read_result)
            .collect(),
        None => Ok(Vec::new()),
    }
}

/// Whether a query is planned for its bound values: one anchored on exact
/// data values or on groups selects few results whatever the values, and runs
/// from a plan cached for any values; one without such an anchor (an outcome,
/// a testcase, a pattern or a time range alone) is planned for its values.
pub fn planned_for_values(q: &ResultQuery) -> bool {
    let anchored = !q.groups.is_empty()
        || q.data
            .iter()
            .any(|f| !f.values.is_empty() && f.likes.is_empty());
    !anchored
}

fn run_query(conn: &mut dyn Conn, q: &ResultQuery, sql: &Sql) -> StoreResult<Vec<Row>> {
    Ok(if planned_for_values(q) {
        conn.query_uncached(&sql.text, &sql.params)?
    } else {
        conn.query(&sql.text, &sql.params)?
    })
}

pub fn list_statement(conn: &mut dyn Conn, q: &ResultQuery) -> StoreResult<Option<Sql>> {
    let testcase_ids = resolve_testcases(conn, q)?;
    if testcase_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(None);
    }
    let mut sql = Sql::default();
    let conds = result_conditions(&mut sql, q, testcase_ids.as_ref());
    let order = match q.sort {
        SortOrder::NewestFirst => "r.submit_time DESC, r.id DESC",
        SortOrder::OldestFirst => "r.submit_time ASC, r.id ASC",
    };
    let limit = sql.bind(q.page.limit as i64 + 1);
    let offset = sql.bind(q.page.offset() as i64);
    sql.text = format!(
        "SELECT {RESULT_COLUMNS} FROM results r JOIN testcases t ON t.id = r.testcase_id{} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        where_clause(&conds)
    );
    Ok(Some(sql))
}

/// The latest result of each testcase among those the query selects; with
/// `distinct_on` keys, the latest of each testcase and combination of those
/// data values (a missing key counts as one value). Newest first.
pub fn latest(conn: &mut dyn Conn, q: &ResultQuery) -> StoreResult<Vec<StoredResult>> {
    let testcase_ids = resolve_testcases(conn, q)?;
    if testcase_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let conds = result_conditions(&mut sql, q, testcase_ids.as_ref());
    let mut partition = vec!["r.testcase_id".to_string()];
    for key in &q.distinct_on {
        partition.push(format!(
            "(SELECT min(d.value) FROM result_data d WHERE d.result_id = r.id AND d.key = {})",
            sql.bind(key)
        ));
    }
    sql.text = format!(
        "SELECT {RESULT_COLUMNS} FROM (
             SELECT r.*, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY r.submit_time DESC, r.id DESC) AS rn
               FROM results r{}
         ) r JOIN testcases t ON t.id = r.testcase_id
         WHERE r.rn = 1 ORDER BY r.submit_time DESC, r.id DESC",
        partition.join(", "),
        where_clause(&conds)
    );
    run_query(conn, q, &sql)?
        .into_iter()
        .map(read_result)
        .collect()
}

pub fn get_testcase(conn: &mut dyn Conn, name: &str) -> StoreResult<Option<Testcase>> {
    conn.query_opt(
        "SELECT name, ref_url FROM testcases WHERE name = $1",
        &[name.into()],
    )?
    .map(|mut r| {
        Ok(Testcase {
            name: r.text(0)?,
            ref_url: r.opt_text(1)?,
        })
    })
    .transpose()
}

/// One page of testcases by name (`limit + 1` rows, as [`list`]).
pub fn list_testcases(conn: &mut dyn Conn, q: &TestcaseQuery) -> StoreResult<Vec<Testcase>> {
    let mut sql = Sql::default();
    let mut conds = Vec::new();
    if !q.names.is_empty() {
        conds.push(name_condition(&mut sql, "name", &q.names));
    }
    let limit = sql.bind(q.page.limit as i64 + 1);
    let offset = sql.bind(q.page.offset() as i64);
    sql.text = format!(
        "SELECT name, ref_url FROM testcases{} ORDER BY name LIMIT {limit} OFFSET {offset}",
        where_clause(&conds)
    );
    conn.query(&sql.text, &sql.params)?
        .into_iter()
        .map(|mut r| {
            Ok(Testcase {
                name: r.text(0)?,
                ref_url: r.opt_text(1)?,
            })
        })
        .collect()
}

const GROUP_COLUMNS: &str = "g.uuid, g.description, g.ref_url, (SELECT count(*) FROM group_results gr WHERE gr.group_id = g.id)";

fn read_group(mut r: Row) -> StoreResult<Group> {
    Ok(Group {
        uuid: r.text(0)?,
        description: r.opt_text(1)?,
        ref_url: r.opt_text(2)?,
        results_count: r.int(3)?,
    })
}

pub fn get_group(conn: &mut dyn Conn, uuid: &str) -> StoreResult<Option<Group>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM result_groups g WHERE g.uuid = $1");
    conn.query_opt(&sql, &[uuid.into()])?
        .map(read_group)
        .transpose()
}

/// One page of groups, newest first (`limit + 1` rows, as [`list`]); each
/// with its result count from the index, not by loading its results.
/// The uuid of the newest group `description` describes, if any.
pub fn newest_group_described(
    conn: &mut dyn Conn,
    description: &str,
) -> StoreResult<Option<String>> {
    Ok(conn
        .query_opt(
            "SELECT uuid FROM result_groups WHERE description = $1 ORDER BY id DESC LIMIT 1",
            &[description.into()],
        )?
        .map(|mut r| r.text(0))
        .transpose()?)
}

pub fn list_groups(conn: &mut dyn Conn, q: &GroupQuery) -> StoreResult<Vec<Group>> {
    let mut sql = Sql::default();
    let mut conds = Vec::new();
    if !q.uuids.is_empty() {
        conds.push(format!("g.uuid = ANY({})", sql.bind(q.uuids.clone())));
    }
    if !q.descriptions.is_empty() {
        conds.push(name_condition(&mut sql, "g.description", &q.descriptions));
    }
    let limit = sql.bind(q.page.limit as i64 + 1);
    let offset = sql.bind(q.page.offset() as i64);
    sql.text = format!(
        "SELECT {GROUP_COLUMNS} FROM result_groups g{} ORDER BY g.id DESC LIMIT {limit} OFFSET {offset}",
        where_clause(&conds)
    );
    conn.query(&sql.text, &sql.params)?
        .into_iter()
        .map(read_group)
        .collect()
}
