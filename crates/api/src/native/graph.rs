//! The artifact graph over HTTP: what went into what, both ways.
//!
//! Reads (`GET`, or `POST .../query` when the filters do not fit in a URL):
//! - `graph/inputs?artifact=X` and `graph/consumers?input=X`, transitive,
//!   with `max_depth` (`direct=true` is depth 1) and `kind` filters;
//! - `graph/path?input=A&artifact=B`: why B is made from A;
//! - `graph/tiers?artifact=X`: the tier of X and of each of its inputs;
//! - `graph/rebuild-plan?changed=A&changed=B`: what to rebuild, in order,
//!   with the triggers and the component groups (rings) touched;
//! - `graph/sbom?artifact=X&format=cyclonedx|spdx`;
//! - `graph/edges/query`: the direct edges of many artifacts at once.
//!
//! Writes (a token; superusers or the `graph` resource permission):
//! `POST graph/edges` adds, `DELETE graph/edges` removes, `POST graph/ensure`
//! makes artifacts' input sets exactly what is sent.
//!
//! Answers come from the in-memory index ([`almanac_store::graph_index`]),
//! which follows every commit before it answers.

use super::query::{one, pairs};
use super::{NativeError, ROOT};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::body::{read_bytes, read_json};
use crate::routes::Routes;
use almanac_model::ModelError;
use almanac_model::artifacts::{Edge, EdgeKinds, component_of, node_kind};
use almanac_model::graph::{Direction, Graph, Walk};
use almanac_model::sbom::{self, SbomInput};
use almanac_store::components::GroupOfComponent;
use almanac_store::graph::{self as store, InputSet, NATIVE};
use almanac_store::{Actor, Conn, StoreResult, changes, components, packages, permissions};
use axum::Json;

use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// What a deployment's graph accepts.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    pub edge_kinds: EdgeKinds,
    /// Most edges one write may carry (a whole build's dependency list fits).
    pub max_edges_per_request: usize,
    /// The purl namespace of the distribution's rpms (`pkg:rpm/fedora/...`).
    pub purl_namespace: String,
}

impl Default for GraphSettings {
    fn default() -> Self {
        GraphSettings {
            edge_kinds: EdgeKinds::default(),
            max_edges_per_request: 200_000,
            purl_namespace: "fedora".into(),
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .route(&format!("{ROOT}/graph"), get(stats))
        .route(&format!("{ROOT}/graph/inputs"), get(inputs))
        .route(&format!("{ROOT}/graph/consumers"), get(consumers))
        .route(&format!("{ROOT}/graph/query"), post(query_post))
        .route(&format!("{ROOT}/graph/path"), get(path))
        .route(&format!("{ROOT}/graph/tiers"), get(tiers))
        .route(
            &format!("{ROOT}/graph/rebuild-plan"),
            get(plan_get).post(plan_post),
        )
        .route(&format!("{ROOT}/graph/sbom"), get(sbom_get))
        .route(
            &format!("{ROOT}/graph/edges"),
            post(edges_add).delete(edges_remove),
        )
        .route(&format!("{ROOT}/graph/edges/query"), post(edges_query))
        .route(&format!("{ROOT}/graph/ensure"), post(ensure))
}

fn model(e: ModelError) -> NativeError {
    NativeError::bad(&e.field, e.message)
}

fn required<'a>(p: &'a BTreeMap<String, Vec<String>>, name: &str) -> Result<&'a str, NativeError> {
    one(p, name).ok_or_else(|| NativeError::bad(name, format!("'{name}' is required")))
}

/// The values of a repeatable parameter, also comma-separated.
fn many(p: &BTreeMap<String, Vec<String>>, name: &str) -> Vec<String> {
    p.get(name)
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn kinds(state: &AppState, field: &str, kinds: Vec<String>) -> Result<Vec<String>, NativeError> {
    for k in &kinds {
        state
            .settings
            .graph
            .edge_kinds
            .check(field, k)
            .map_err(model)?;
    }
    Ok(kinds)
}

fn node(field: &str, value: &str) -> Result<String, NativeError> {
    node_kind(field, value).map_err(model)?;
    Ok(value.to_string())
}

fn depth(field: &str, v: Option<&Value>) -> Result<Option<u32>, NativeError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|d| *d >= 1 && *d <= u32::MAX as u64)
            .map(|d| Some(d as u32))
            .ok_or_else(|| NativeError::bad(field, format!("'{n}' is not a depth of 1 or more"))),
        Some(Value::String(s)) => s
            .parse::<u32>()
            .ok()
            .filter(|d| *d >= 1)
            .map(Some)
            .ok_or_else(|| NativeError::bad(field, format!("'{s}' is not a depth of 1 or more"))),
        Some(other) => Err(NativeError::bad(
            field,
            format!("{other} is not a depth of 1 or more"),
        )),
    }
}

fn unknown(name: &str) -> NativeError {
    NativeError::not_found(format!("There is no artifact {name} in the graph."))
}

/// Runs `f` over the graph as of the last commit, on a reader; `f` may
/// also read the store (ring lookups).
async fn with_graph<R, F>(state: &AppState, f: F) -> Result<R, NativeError>
where
    R: Send + 'static,
    F: Fn(&mut dyn Conn, &Graph, i64) -> Result<R, NativeError> + Send + Sync + 'static,
{
    let index = state.graph.clone();
    state
        .store
        .read(move |c| index.query(c, |c, g, seq| f(c, g, seq)))
        .await?
}

/// A walk's question, from a query string or a JSON body.
struct WalkAsk {
    node: String,
    direction: Direction,
    walk: Walk,
}

/// An answer serialized where it is made, inside the graph read: a walk may
/// reach 100,000 nodes, and a `Value` per node costs more than the walk.
struct Encoded(Vec<u8>);

impl IntoResponse for Encoded {
    fn into_response(self) -> Response {
        ([(CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

fn encode(v: &impl Serialize) -> Result<Encoded, NativeError> {
    serde_json::to_vec(v)
        .map(Encoded)
        .map_err(|e| almanac_store::StoreError::Internal(format!("encoding an answer: {e}")).into())
}

#[derive(Serialize)]
struct Reached<'a> {
    artifact: &'a str,
    depth: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    kinds: Option<&'a [&'a str]>,
}

#[derive(Serialize)]
struct WalkAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
    direction: &'static str,
    max_depth: Option<u32>,
    kinds: &'a [String],
    count: usize,
    truncated: bool,
    nodes: Vec<Reached<'a>>,
    cycles: &'a [Vec<String>],
    graph_seq: i64,
    took_ms: f64,
}

fn walk_answer(
    g: &Graph,
    seq: i64,
    ask: &WalkAsk,
    started: Instant,
) -> Result<Encoded, NativeError> {
    let reach = g
        .walk(&ask.node, ask.direction, &ask.walk)
        .ok_or_else(|| unknown(&ask.node))?;
    // The kinds of the direct edges, from the start's own adjacency.
    let mut direct: HashMap<&str, Vec<&str>> = HashMap::new();
    let first = match ask.direction {
        Direction::Inputs => g.inputs_of(&ask.node),
        Direction::Consumers => g.consumers_of(&ask.node),
    };
    for (n, k) in first {
        direct.entry(n).or_default().push(k);
    }
    let nodes: Vec<Reached> = reach
        .nodes
        .iter()
        .map(|(n, d)| Reached {
            artifact: n,
            depth: *d,
            kinds: direct
                .get(n.as_str())
                .filter(|_| *d == 1)
                .map(Vec::as_slice),
        })
        .collect();
    let (artifact, input, direction) = match ask.direction {
        Direction::Inputs => (Some(ask.node.as_str()), None, "inputs"),
        Direction::Consumers => (None, Some(ask.node.as_str()), "consumers"),
    };
    encode(&WalkAnswer {
        artifact,
        input,
        direction,
        max_depth: ask.walk.max_depth,
        kinds: &ask.walk.kinds,
        count: nodes.len(),
        truncated: reach.truncated,
        nodes,
        cycles: &reach.cycles,
        graph_seq: seq,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

async fn walk_get(state: AppState, uri: Uri, direction: Direction) -> Result<Encoded, NativeError> {
    let key = match direction {
        Direction::Inputs => "artifact",
        Direction::Consumers => "input",
    };
    let p = pairs(&uri, &[key, "max_depth", "direct", "kind"], &["kind"])?;
    let node = node(key, required(&p, key)?)?;
    let direct = match one(&p, "direct") {
        None => false,
        Some(v) => crate::pdc::query::parse_bool(v)
            .ok_or_else(|| NativeError::bad("direct", format!("'{v}' is not true or false")))?,
    };
    let max_depth = if direct {
        Some(1)
    } else {
        depth(
            "max_depth",
            one(&p, "max_depth")
                .map(|s| Value::String(s.to_string()))
                .as_ref(),
        )?
    };
    let ask = WalkAsk {
        node,
        direction,
        walk: Walk {
            max_depth,
            kinds: kinds(&state, "kind", many(&p, "kind"))?,
        },
    };
    let started = Instant::now();
    let ask = std::sync::Arc::new(ask);
    with_graph(&state, move |_, g, seq| walk_answer(g, seq, &ask, started)).await
}

/// `GET graph/inputs?artifact=X[&max_depth=N|&direct=true][&kind=K...]`
async fn inputs(State(state): State<AppState>, OriginalUri(uri): OriginalUri) -> Response {
    walk_get(state, uri, Direction::Inputs)
        .await
        .into_response()
}

/// `GET graph/consumers?input=X[&max_depth=N|&direct=true][&kind=K...]`
async fn consumers(State(state): State<AppState>, OriginalUri(uri): OriginalUri) -> Response {
    walk_get(state, uri, Direction::Consumers)
        .await
        .into_response()
}

async fn json_body(state: &AppState, body: Body) -> Result<Value, NativeError> {
    read_json(body, state.settings.max_body_bytes)
        .await
        .map_err(|e| NativeError::bad("body", e.to_string()))
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a serde_json::Map<String, Value>, NativeError> {
    v.as_object()
        .ok_or_else(|| NativeError::bad(at, format!("{at} must be a JSON object")))
}

fn only_keys(
    o: &serde_json::Map<String, Value>,
    at: &str,
    keys: &[&str],
) -> Result<(), NativeError> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(NativeError::bad(
            &format!("{at}{k}"),
            format!("unknown field '{k}': use {}", keys.join(", ")),
        )),
        None => Ok(()),
    }
}

fn text_field(
    o: &serde_json::Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<String, NativeError> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(NativeError::bad(
            &format!("{at}{key}"),
            format!("'{key}' must be a string"),
        )),
        None => Err(NativeError::bad(
            &format!("{at}{key}"),
            format!("'{key}' is required"),
        )),
    }
}

fn text_list(o: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<String>, NativeError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| NativeError::bad(key, format!("'{key}' must list strings")))
            })
            .collect(),
        Some(_) => Err(NativeError::bad(
            key,
            format!("'{key}' must be a list of strings"),
        )),
    }
}

/// `POST graph/query {"direction": "inputs"|"consumers", "artifact": X,
/// "max_depth": N, "kinds": [...]}`: a walk whose filters do not fit in a URL.
async fn query_post(State(state): State<AppState>, body: Body) -> Result<Encoded, NativeError> {
    let v = json_body(&state, body).await?;
    let o = object(&v, "the body")?;
    only_keys(o, "", &["direction", "artifact", "max_depth", "kinds"])?;
    let direction = match text_field(o, "", "direction")?.as_str() {
        "inputs" => Direction::Inputs,
        "consumers" => Direction::Consumers,
        other => {
            return Err(NativeError::bad(
                "direction",
                format!("'{other}' is not inputs or consumers"),
            ));
        }
    };
    let ask = WalkAsk {
        node: node("artifact", &text_field(o, "", "artifact")?)?,
        direction,
        walk: Walk {
            max_depth: depth("max_depth", o.get("max_depth"))?,
            kinds: kinds(&state, "kinds", text_list(o, "kinds")?)?,
        },
    };
    let started = Instant::now();
    let ask = std::sync::Arc::new(ask);
    with_graph(&state, move |_, g, seq| walk_answer(g, seq, &ask, started)).await
}

/// Every transitive input of `artifact` along `kinds` (all when empty).
fn all_inputs(
    g: &Graph,
    artifact: &str,
    kinds: &[String],
) -> Result<almanac_model::graph::Reach, NativeError> {
    let walk = Walk {
        max_depth: None,
        kinds: kinds.to_vec(),
    };
    g.walk(artifact, Direction::Inputs, &walk)
        .ok_or_else(|| unknown(artifact))
}

/// `GET graph/path?input=A&artifact=B[&kind=K...]`: the shortest chain of
/// edges by which B is made from A, each step with its edge kinds.
async fn path(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, NativeError> {
    let p = pairs(&uri, &["input", "artifact", "kind"], &["kind"])?;
    let input = node("input", required(&p, "input")?)?;
    let artifact = node("artifact", required(&p, "artifact")?)?;
    let kinds = kinds(&state, "kind", many(&p, "kind"))?;
    let out = with_graph(&state, move |_, g, seq| {
        for n in [&input, &artifact] {
            if g.id(n).is_none() {
                return Err(unknown(n));
            }
        }
        let Some(chain) = g.path(&input, &artifact, &kinds) else {
            return Err(NativeError::not_found(format!(
                "{artifact} is not made from {input}."
            )));
        };
        let steps: Vec<Value> = chain
            .windows(2)
            .map(|w| json!({"input": w[0], "artifact": w[1], "kinds": g.kinds_between(&w[0], &w[1])}))
            .collect();
        Ok(json!({"input": input, "artifact": artifact, "path": chain, "steps": steps, "graph_seq": seq}))
    })
    .await?;
    Ok(Json(out))
}

/// `GET graph/tiers?artifact=X[&kind=K...]`: the tier of X and of each of
/// its transitive inputs in X's layered build (0: made from nothing the
/// graph knows); the members of a cycle share a tier.
async fn tiers(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, NativeError> {
    let p = pairs(&uri, &["artifact", "kind"], &["kind"])?;
    let artifact = node("artifact", required(&p, "artifact")?)?;
    let kinds = kinds(&state, "kind", many(&p, "kind"))?;
    let index = state.graph.clone();
    let out = with_graph(&state, move |_, g, seq| {
        let reach = all_inputs(g, &artifact, &kinds)?;
        let numbers = if kinds.is_empty() {
            index.tiers(g, seq)?
        } else {
            std::sync::Arc::new(g.tier_numbers(&kinds))
        };
        let tier = |n: &str| g.id(n).map_or(0, |id| numbers[id as usize]);
        let mut rows: Vec<(u32, &str)> = reach
            .nodes
            .iter()
            .map(|(n, _)| (tier(n), n.as_str()))
            .collect();
        rows.sort_unstable();
        let mut by_tier: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
        for (t, n) in &rows {
            by_tier.entry(*t).or_default().push(n);
        }
        let tiers: Vec<Value> = by_tier
            .into_iter()
            .map(|(t, nodes)| json!({"tier": t, "count": nodes.len(), "artifacts": nodes}))
            .collect();
        Ok(json!({
            "artifact": artifact,
            "tier": tier(&artifact),
            "tiers": tiers,
            "cycles": reach.cycles,
            "graph_seq": seq,
        }))
    })
    .await?;
    Ok(Json(out))
}

struct PlanAsk {
    changed: Vec<String>,
    kinds: Vec<String>,
    release: Option<String>,
}

async fn plan(state: AppState, ask: PlanAsk) -> Result<Encoded, NativeError> {
    if ask.changed.is_empty() {
        return Err(NativeError::bad(
            "changed",
            "name at least one changed artifact",
        ));
    }
    for c in &ask.changed {
        node("changed", c)?;
    }
    let started = Instant::now();
    let ask = std::sync::Arc::new(ask);
    with_graph(&state, move |conn, g, seq| {
        let changed: Vec<&str> = ask.changed.iter().map(String::as_str).collect();
        let unknown: Vec<&str> = changed
            .iter()
            .copied()
            .filter(|c| g.id(c).is_none())
            .collect();
        let plan = g.rebuild_plan(&changed, &ask.kinds);
        let groups = rings(
            conn,
            plan.iter().flatten().map(|r| r.artifact.as_str()),
            ask.release.as_deref(),
        )?;
        let mut touched: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        let steps: Vec<PlanStep> = plan
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let artifacts: Vec<PlanArtifact> = step
                    .iter()
                    .map(|r| {
                        let mine = groups
                            .get(r.artifact.as_str())
                            .map_or(&[][..], Vec::as_slice);
                        for g in mine {
                            *touched
                                .entry((&g.release, &g.group_type, &g.description))
                                .or_default() += 1;
                        }
                        PlanArtifact {
                            artifact: &r.artifact,
                            triggered_by: &r.triggered_by,
                            component_groups: mine.iter().map(GroupOut::of).collect(),
                        }
                    })
                    .collect();
                PlanStep {
                    step: i + 1,
                    count: artifacts.len(),
                    artifacts,
                }
            })
            .collect();
        let component_groups: Vec<Touched> = touched
            .into_iter()
            .map(|((release, group_type, description), artifacts)| Touched {
                group: GroupOut {
                    release,
                    group_type,
                    description,
                },
                artifacts,
            })
            .collect();
        encode(&PlanAnswer {
            changed: &ask.changed,
            unknown,
            kinds: &ask.kinds,
            count: steps.iter().map(|s| s.count).sum(),
            steps,
            component_groups,
            graph_seq: seq,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    })
    .await
}

#[derive(Serialize)]
struct PlanAnswer<'a> {
    changed: &'a [String],
    unknown: Vec<&'a str>,
    kinds: &'a [String],
    count: usize,
    steps: Vec<PlanStep<'a>>,
    component_groups: Vec<Touched<'a>>,
    graph_seq: i64,
    took_ms: f64,
}

#[derive(Serialize)]
struct PlanStep<'a> {
    step: usize,
    count: usize,
    artifacts: Vec<PlanArtifact<'a>>,
}

#[derive(Serialize)]
struct PlanArtifact<'a> {
    artifact: &'a str,
    triggered_by: &'a [String],
    component_groups: Vec<GroupOut<'a>>,
}

#[derive(Serialize)]
struct GroupOut<'a> {
    release: &'a str,
    group_type: &'a str,
    description: &'a str,
}

impl GroupOut<'_> {
    fn of(g: &GroupOfComponent) -> GroupOut<'_> {
        GroupOut {
            release: &g.release,
            group_type: &g.group_type,
            description: &g.description,
        }
    }
}

#[derive(Serialize)]
struct Touched<'a> {
    #[serde(flatten)]
    group: GroupOut<'a>,
    artifacts: usize,
}

/// The component groups of each artifact, by the component it comes from.
fn rings<'a>(
    conn: &mut dyn Conn,
    artifacts: impl Iterator<Item = &'a str>,
    release: Option<&str>,
) -> StoreResult<HashMap<&'a str, Vec<components::GroupOfComponent>>> {
    let artifacts: Vec<&str> = artifacts.collect();
    let rpm_names: Vec<String> = artifacts
        .iter()
        .filter_map(|a| a.strip_prefix("rpm:"))
        .filter_map(|n| almanac_model::productmd::Nevra::parse(n).ok())
        .map(|n| n.name().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let srpms = packages::srpm_names(conn, &rpm_names)?;
    let component: Vec<(&str, Option<String>)> = artifacts
        .iter()
        .map(|a| {
            let c = component_of(a, |nevra| {
                almanac_model::productmd::Nevra::parse(nevra)
                    .ok()
                    .and_then(|n| srpms.get(n.name()).cloned())
            });
            (*a, c)
        })
        .collect();
    let names: Vec<String> = component
        .iter()
        .filter_map(|(_, c)| c.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_component: HashMap<String, Vec<components::GroupOfComponent>> = HashMap::new();
    for g in components::groups_of_components(conn, &names, release)? {
        by_component.entry(g.component.clone()).or_default().push(g);
    }
    Ok(component
        .into_iter()
        .filter_map(|(a, c)| Some((a, by_component.get(&c?)?.clone())))
        .collect())
}

/// `GET graph/rebuild-plan?changed=A&changed=B[&kind=K...][&release=R]`
async fn plan_get(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Encoded, NativeError> {
    let p = pairs(&uri, &["changed", "kind", "release"], &["changed", "kind"])?;
    let ask = PlanAsk {
        changed: many(&p, "changed"),
        kinds: kinds(&state, "kind", many(&p, "kind"))?,
        release: one(&p, "release").map(str::to_string),
    };
    plan(state, ask).await
}

/// `POST graph/rebuild-plan {"changed": [...], "kinds": [...], "release": R}`
async fn plan_post(State(state): State<AppState>, body: Body) -> Result<Encoded, NativeError> {
    let v = json_body(&state, body).await?;
    let o = object(&v, "the body")?;
    only_keys(o, "", &["changed", "kinds", "release"])?;
    let release = match o.get("release") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(NativeError::bad("release", "'release' must be a string")),
    };
    let ask = PlanAsk {
        changed: text_list(o, "changed")?,
        kinds: kinds(&state, "kinds", text_list(o, "kinds")?)?,
        release,
    };
    plan(state, ask).await
}

/// `GET graph/sbom?artifact=X[&format=cyclonedx|spdx][&kind=K...]`: X's
/// transitive inputs as a CycloneDX 1.5 or SPDX 2.3 JSON document.
async fn sbom_get(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Json<Value>, NativeError> {
    let p = pairs(&uri, &["artifact", "format", "kind"], &["kind"])?;
    let artifact = node("artifact", required(&p, "artifact")?)?;
    let spdx = match one(&p, "format") {
        None | Some("cyclonedx") => false,
        Some("spdx") => true,
        Some(other) => {
            return Err(NativeError::bad(
                "format",
                format!("'{other}' is not cyclonedx or spdx"),
            ));
        }
    };
    let kinds = kinds(&state, "kind", many(&p, "kind"))?;
    let document_url = format!("{}{ROOT}/graph/sbom", state.base_url(&headers));
    let purl_namespace = state.settings.graph.purl_namespace.clone();
    let out = with_graph(&state, move |_, g, _| {
        let reach = all_inputs(g, &artifact, &kinds)?;
        let nodes: Vec<String> = reach.nodes.into_iter().map(|(n, _)| n).collect();
        let within: BTreeSet<&str> = nodes
            .iter()
            .map(String::as_str)
            .chain([artifact.as_str()])
            .collect();
        let mut edges = Vec::new();
        for a in &within {
            for (i, k) in g.inputs_of(a) {
                if within.contains(i) && (kinds.is_empty() || kinds.iter().any(|x| x == k)) {
                    edges.push((i.to_string(), a.to_string(), k.to_string()));
                }
            }
        }
        let serial = uuid::Uuid::new_v4().to_string();
        let (y, mo, d, h, mi, s, _) = almanac_model::Timestamp::now().to_civil();
        let created = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
        let input = SbomInput {
            root: &artifact,
            nodes: &nodes,
            edges: &edges,
            tool_version: env!("CARGO_PKG_VERSION"),
            created: &created,
            serial: &serial,
            document_url: &document_url,
            purl_namespace: &purl_namespace,
        };
        Ok(if spdx {
            sbom::spdx(&input)
        } else {
            sbom::cyclonedx(&input)
        })
    })
    .await?;
    Ok(Json(out))
}

/// `POST graph/edges/query {"artifacts": [...], "inputs": [...], "kinds":
/// [...]}`: the direct edges into any of `artifacts` or out of any of
/// `inputs` (both given: edges between them), of `kinds` when given; the
/// form of PDC's relationship filters that outgrew a URL (PDC issue 421).
async fn edges_query(
    State(state): State<AppState>,
    body: Body,
) -> Result<Json<Value>, NativeError> {
    let v = json_body(&state, body).await?;
    let o = object(&v, "the body")?;
    only_keys(o, "", &["artifacts", "inputs", "kinds"])?;
    let artifacts = text_list(o, "artifacts")?;
    let inputs = text_list(o, "inputs")?;
    let kinds = kinds(&state, "kinds", text_list(o, "kinds")?)?;
    if artifacts.is_empty() && inputs.is_empty() {
        return Err(NativeError::bad(
            "artifacts",
            "name some artifacts or inputs",
        ));
    }
    for a in &artifacts {
        node("artifacts", a)?;
    }
    for i in &inputs {
        node("inputs", i)?;
    }
    let out = with_graph(&state, move |_, g, seq| {
        let kind_ok = |k: &str| kinds.is_empty() || kinds.iter().any(|x| x == k);
        let input_set: BTreeSet<&str> = inputs.iter().map(String::as_str).collect();
        let mut edges: BTreeSet<(String, String, String)> = BTreeSet::new();
        if !artifacts.is_empty() {
            for a in &artifacts {
                for (i, k) in g.inputs_of(a) {
                    if kind_ok(k) && (input_set.is_empty() || input_set.contains(i)) {
                        edges.insert((i.to_string(), a.clone(), k.to_string()));
                    }
                }
            }
        } else {
            for i in &inputs {
                for (a, k) in g.consumers_of(i) {
                    if kind_ok(k) {
                        edges.insert((i.clone(), a.to_string(), k.to_string()));
                    }
                }
            }
        }
        let list: Vec<Value> = edges
            .iter()
            .map(|(i, a, k)| json!({"input": i, "artifact": a, "kind": k}))
            .collect();
        Ok(json!({"count": list.len(), "results": list, "graph_seq": seq}))
    })
    .await?;
    Ok(Json(out))
}

/// `GET graph`: how big the graph is.
async fn stats(State(state): State<AppState>) -> Result<Json<Value>, NativeError> {
    let kinds = state.settings.graph.edge_kinds.names().to_vec();
    let out = with_graph(&state, move |conn, g, seq| {
        let sources: BTreeMap<String, i64> = store::counts(conn)?.into_iter().collect();
        Ok(json!({
            "artifacts": g.len(),
            "edges": g.edge_count(),
            "edges_by_source": sources,
            "edge_kinds": kinds,
            "graph_seq": seq,
        }))
    })
    .await?;
    Ok(Json(out))
}

/// The caller of a write, when allowed to `action` the graph.
async fn writer(
    state: &AppState,
    headers: &HeaderMap,
    action: &'static str,
) -> Result<Actor, NativeError> {
    let caller = auth::identify(state, auth::header_token(headers)).await?;
    let user = match caller {
        Caller::Anonymous => {
            return Err(NativeError {
                status: StatusCode::UNAUTHORIZED,
                message: "Authentication credentials were not provided: send Authorization: Token <token>.".into(),
                field: None,
            });
        }
        Caller::BadToken => {
            return Err(NativeError {
                status: StatusCode::UNAUTHORIZED,
                message: "Invalid token.".into(),
                field: None,
            });
        }
        Caller::User(u) => u,
    };
    if !user.is_superuser {
        let groups = user.groups.clone();
        let allowed = state
            .store
            .read(move |c| permissions::allows(c, &groups, "graph", action))
            .await?;
        if !allowed {
            return Err(NativeError {
                status: StatusCode::FORBIDDEN,
                message: format!(
                    "{} may not {action} graph edges: a superuser grants it with `almanac permission grant GROUP graph {action}`.",
                    user.username
                ),
                field: None,
            });
        }
    }
    Ok(Actor::user(&user.username, "http"))
}

/// The body of a write as a list: `[...]` or `{"<key>": [...]}`.
async fn write_list(state: &AppState, body: Body, key: &str) -> Result<Vec<Value>, NativeError> {
    let bytes = read_bytes(body, state.settings.max_import_bytes)
        .await
        .map_err(|e| NativeError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: e.to_string(),
            field: None,
        })?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| NativeError::bad("body", format!("the body is not valid JSON: {e}")))?;
    let list = match v {
        Value::Array(items) => items,
        Value::Object(mut o) if o.len() == 1 && o.contains_key(key) => match o.remove(key) {
            Some(Value::Array(items)) => items,
            _ => return Err(NativeError::bad(key, format!("'{key}' must be a list"))),
        },
        Value::Object(o) if key == "sets" && o.contains_key("artifact") => vec![Value::Object(o)],
        _ => {
            return Err(NativeError::bad(
                "body",
                format!("send a list, or {{\"{key}\": [...]}}"),
            ));
        }
    };
    if list.is_empty() {
        return Err(NativeError::bad(key, "the list is empty"));
    }
    Ok(list)
}

fn edges_of(state: &AppState, list: &[Value]) -> Result<Vec<Edge>, NativeError> {
    let max = state.settings.graph.max_edges_per_request;
    if list.len() > max {
        return Err(NativeError::bad(
            "edges",
            format!(
                "{} edges in one request; the limit is {max}: split them",
                list.len()
            ),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(n, v)| {
            let at = format!("edges[{n}].");
            let o = object(v, &format!("edges[{n}]"))?;
            only_keys(o, &at, &["input", "artifact", "kind"])?;
            let e = Edge {
                input: text_field(o, &at, "input")?,
                artifact: text_field(o, &at, "artifact")?,
                kind: text_field(o, &at, "kind")?,
            };
            state
                .settings
                .graph
                .edge_kinds
                .check_edge(&format!("edges[{n}]"), &e)
                .map_err(model)?;
            Ok(e)
        })
        .collect()
}

fn applied(a: &store::Applied) -> Value {
    json!({"added": a.added, "removed": a.removed, "artifacts": a.artifacts})
}

/// Writes through the one store path, with the changeset, in one transaction.
async fn commit<F>(state: &AppState, actor: Actor, f: F) -> Result<Value, NativeError>
where
    F: FnOnce(&mut dyn Conn, &mut Vec<changes::Change>) -> StoreResult<store::Applied>
        + Send
        + 'static,
{
    let a = state
        .store
        .write(move |c| {
            let mut ch = Vec::new();
            let a = f(c, &mut ch)?;
            changes::record(c, &actor, ch)?;
            Ok::<_, almanac_store::StoreError>(a)
        })
        .await?;
    Ok(applied(&a))
}

/// `POST graph/edges [{"input", "artifact", "kind"}, ...]`: adds the edges
/// not there yet; answers how many were added.
async fn edges_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, NativeError> {
    let actor = writer(&state, &headers, "create").await?;
    let edges = edges_of(&state, &write_list(&state, body, "edges").await?)?;
    let out = commit(&state, actor, move |c, ch| {
        store::add_edges(c, &edges, NATIVE, Some(ch))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `DELETE graph/edges [{"input", "artifact", "kind"}, ...]`: removes them.
async fn edges_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, NativeError> {
    let actor = writer(&state, &headers, "delete").await?;
    let edges = edges_of(&state, &write_list(&state, body, "edges").await?)?;
    Ok(Json(
        commit(&state, actor, move |c, ch| {
            store::remove_edges(c, &edges, NATIVE, Some(ch))
        })
        .await?,
    ))
}

/// `POST graph/ensure [{"artifact": X, "inputs": [{"input", "kind"}, ...]}, ...]`
/// (or one such object): each artifact's inputs become exactly those sent,
/// all in one transaction; answers what was added and removed.
async fn ensure(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, NativeError> {
    let actor = writer(&state, &headers, "update").await?;
    let list = write_list(&state, body, "sets").await?;
    let mut sets = Vec::with_capacity(list.len());
    let mut total = 0usize;
    let mut seen = BTreeSet::new();
    for (n, v) in list.iter().enumerate() {
        let at = format!("sets[{n}].");
        let o = object(v, &format!("sets[{n}]"))?;
        only_keys(o, &at, &["artifact", "inputs"])?;
        let artifact = text_field(o, &at, "artifact")?;
        node(&format!("{at}artifact"), &artifact)?;
        if !seen.insert(artifact.clone()) {
            return Err(NativeError::bad(
                &format!("{at}artifact"),
                format!("{artifact} is listed twice"),
            ));
        }
        let Some(Value::Array(items)) = o.get("inputs") else {
            return Err(NativeError::bad(
                &format!("{at}inputs"),
                "'inputs' must be a list (empty to remove every input)",
            ));
        };
        total += items.len();
        let mut inputs = Vec::with_capacity(items.len());
        for (m, item) in items.iter().enumerate() {
            let at = format!("{at}inputs[{m}].");
            let io = object(item, &at)?;
            only_keys(io, &at, &["input", "kind"])?;
            let e = Edge {
                input: text_field(io, &at, "input")?,
                artifact: artifact.clone(),
                kind: text_field(io, &at, "kind")?,
            };
            state
                .settings
                .graph
                .edge_kinds
                .check_edge(at.trim_end_matches('.'), &e)
                .map_err(model)?;
            inputs.push((e.input, e.kind));
        }
        sets.push(InputSet { artifact, inputs });
    }
    let max = state.settings.graph.max_edges_per_request;
    if total > max {
        return Err(NativeError::bad(
            "sets",
            format!("{total} edges in one request; the limit is {max}: split them"),
        ));
    }
    Ok(Json(
        commit(&state, actor, move |c, ch| {
            store::ensure_inputs(c, &sets, NATIVE, Some(ch))
        })
        .await?,
    ))
}
