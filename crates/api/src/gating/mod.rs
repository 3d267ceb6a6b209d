//! Greenwave's decision API under `/api/v1.0/`: `POST decision`,
//! `GET policies`, `GET subject_types`. Where Greenwave asked ResultsDB and
//! WaiverDB over HTTP for every decision, Almanac reads the subjects' latest
//! results, their waivers in force and their component groups from its own
//! store, on one connection, and decides with
//! [`almanac_model::decision::decide`]. Errors are `{"message": ...}`.

use crate::AppState;
use crate::routes::Routes;
use almanac_model::decision::{
    RemoteGating, ResultFact, SUBJECT_TYPES, Subject, SubjectFacts, WaiverFact, canonical_type,
    decide, is_nvr, package_of,
};
use almanac_model::policies::{Policy, Rule};
use almanac_model::results::ResultQuery;
use almanac_model::waivers::subject_of;
use almanac_store::{Conn, StoreError, StoreResult};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub mod watch;

/// What a deployment gates with.
#[derive(Debug, Clone, Default)]
pub struct GatingSettings {
    pub policies: Arc<Vec<Policy>>,
    /// Where a `!RemoteRule` finds a package's `gating.yaml`: path templates
    /// with `{pkg_name}` and `{pkg_namespace}` (`rpms/`), tried in order.
    pub remote_rule_sources: Vec<String>,
}

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1.0/decision", post(decision))
        .route("/api/v1.0/policies", get(policies))
        .route("/api/v1.0/subject_types", get(subject_types))
}

/// A refusal in Greenwave's shape, `{"message": ...}`.
#[derive(Debug)]
pub struct GateError(StatusCode, String);

impl IntoResponse for GateError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "message": self.1 }))).into_response()
    }
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    GateError(status, message.into()).into_response()
}

fn bad(message: impl Into<String>) -> GateError {
    GateError(StatusCode::BAD_REQUEST, message.into())
}

fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Invalid(m) => bad(m.message).into_response(),
        StoreError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            refuse(StatusCode::SERVICE_UNAVAILABLE, cause.client_message())
        }
        other => {
            tracing::error!(error = %other, "internal error");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
        }
    }
}

async fn policies(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "policies": state.settings.gating.policies.iter().map(Policy::to_json).collect::<Vec<_>>()
    }))
}

async fn subject_types() -> Json<Value> {
    let types: Vec<Value> = SUBJECT_TYPES
        .iter()
        .map(|(id, aliases)| {
            json!({
                "id": id, "aliases": aliases, "is_nvr": is_nvr(id),
                "is_koji_build": *id == "koji_build",
                "supports_remote_rule": *id == "koji_build",
                "ignore_missing_policy": *id == "bodhi_update",
                "item_key": if *id == "compose" { "productmd.compose.id" } else { "item" },
            })
        })
        .collect();
    Json(json!({ "subject_types": types }))
}

/// A decision request, read as Greenwave reads it.
struct Request {
    contexts: Vec<String>,
    product_version: String,
    subjects: Vec<Subject>,
    verbose: bool,
    /// Results and waivers after this are not counted.
    when: Option<almanac_model::Timestamp>,
    /// An on-demand policy (`rules` instead of `decision_context`).
    on_demand: Option<Policy>,
}

fn read_request(body: &Value) -> Result<Request, GateError> {
    let o = body
        .as_object()
        .ok_or_else(|| bad("The request body must be a JSON object"))?;
    let product_version = match o.get("product_version") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(bad("Missing required product version"));
        }
        Some(_) => return Err(bad("product_version must be a string")),
    };
    let contexts: Vec<String> = match o.get("decision_context") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("decision_context must be a string or a list of strings"))?,
        Some(_) => {
            return Err(bad(
                "decision_context must be a string or a list of strings",
            ));
        }
    };
    let rules = o.get("rules").filter(|r| !r.is_null());
    match (contexts.is_empty(), rules.is_some()) {
        (true, false) => return Err(bad("Either decision_context or rules is required.")),
        (false, true) => return Err(bad("Cannot have both decision_context and rules")),
        _ => {}
    }
    let mut subjects = Vec::new();
    match (
        o.get("subject"),
        o.get("subject_type"),
        o.get("subject_identifier"),
    ) {
        (Some(Value::Array(list)), _, _) if !list.is_empty() => {
            for s in list {
                if !s.is_object() {
                    return Err(bad("Invalid subject, must be a list of dicts"));
                }
                let (t, id) =
                    subject_of(s).map_err(|_| bad("Could not detect subject_identifier."))?;
                subjects.push(Subject {
                    subject_type: t,
                    identifier: id,
                });
            }
        }
        (Some(_), _, _) => return Err(bad("Invalid subject, must be a list of dicts")),
        (None, Some(Value::String(t)), Some(Value::String(id))) => subjects.push(Subject {
            subject_type: canonical_type(t).to_string(),
            identifier: id.clone(),
        }),
        (None, None, _) => return Err(bad("Missing required \"subject_type\" parameter")),
        (None, Some(t), _) if !t.is_string() => {
            return Err(bad("subject_type must be a string"));
        }
        (None, _, Some(id)) if !id.is_string() => {
            return Err(bad("subject_identifier must be a string"));
        }
        (None, _, _) => return Err(bad("Missing required \"subject_identifier\" parameter")),
    }
    let verbose = match o.get("verbose") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("Invalid verbose flag, must be a bool")),
    };
    let when = match o.get("when") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            almanac_model::Timestamp::parse_iso8601(s)
                .ok_or_else(|| bad("Invalid \"when\" parameter, must be in ISO8601 format"))?,
        ),
        Some(_) => return Err(bad("Invalid \"when\" parameter, must be in ISO8601 format")),
    };
    let on_demand = match rules {
        None => None,
        Some(rules) => Some(on_demand_policy(rules, o, &product_version, &subjects)?),
    };
    Ok(Request {
        contexts,
        product_version,
        subjects,
        verbose,
        when,
        on_demand,
    })
}

/// `rules` given in the request: a policy of id `on-demand-policy` for the
/// subjects' type.
fn on_demand_policy(
    rules: &Value,
    o: &serde_json::Map<String, Value>,
    product_version: &str,
    subjects: &[Subject],
) -> Result<Policy, GateError> {
    let list = rules
        .as_array()
        .ok_or_else(|| bad("rules must be a list"))?;
    let mut parsed = Vec::new();
    for r in list {
        let kind = r.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "PassingTestCaseRule" => parsed.push(Rule::PassingTestCaseRule {
                test_case_name: r
                    .get("test_case_name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("a PassingTestCaseRule needs test_case_name"))?
                    .to_string(),
                scenario: r
                    .get("scenario")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            "RemoteRule" => parsed.push(Rule::RemoteRule {
                required: r.get("required").and_then(Value::as_bool).unwrap_or(false),
                sources: None,
            }),
            other => {
                return Err(bad(format!(
                    "Unknown rule type {other}: use PassingTestCaseRule or RemoteRule"
                )));
            }
        }
    }
    let strings = |k: &str| -> Vec<String> {
        o.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Policy {
        id: "on-demand-policy".into(),
        product_versions: vec![product_version.to_string()],
        decision_contexts: vec!["on-demand".into()],
        subject_type: subjects
            .first()
            .map_or("koji_build".into(), |s| s.subject_type.clone()),
        rules: parsed,
        excluded_packages: strings("excluded_packages"),
        packages: strings("packages"),
        relevance_key: None,
        relevance_value: None,
        component_groups: Vec::new(),
        source: "on-demand".into(),
    })
}

/// `POST /api/v1.0/decision`.
async fn decision(State(state): State<AppState>, _headers: HeaderMap, body: Body) -> Response {
    let body = match crate::body::read_json(body, state.settings.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return bad(e.to_string()).into_response(),
    };
    let req = match read_request(&body) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let api = format!("{}/api/v2.0", state.base_url(&_headers));
    let gating = state.settings.gating.clone();
    let outcomes = state.settings.outcomes.clone();
    let limits = state.settings.page_limits;
    let subjects = req.subjects.clone();
    let (pv, when) = (req.product_version.clone(), req.when);
    let remote_wanted = req.on_demand.as_ref().map_or_else(
        || gating.policies.iter().any(has_remote_rule),
        has_remote_rule,
    );
    let sources = gating.remote_rule_sources.clone();
    // On-demand policies name no component groups.
    let groups = req.on_demand.is_none() && Ask::new(&gating.policies, &outcomes, limits).groups;
    let gathered = state
        .store
        .read(move |c| {
            let ask = Ask {
                outcomes: &outcomes,
                limits,
                groups,
            };
            let mut all = Vec::new();
            for s in &subjects {
                all.push(gather(c, s, &pv, when, &ask)?);
            }
            Ok(all)
        })
        .await;
    let gathered = match gathered {
        Ok(g) => g,
        Err(e) => return store_error(e),
    };
    // gating.yaml files are read (or fetched) off the async threads.
    let packages: Vec<Option<String>> = gathered
        .iter()
        .map(|(f, _, _)| {
            (remote_wanted && is_nvr(&f.subject.subject_type))
                .then(|| package_of(&f.subject.identifier).to_string())
        })
        .collect();
    // Only a decision that reads them leaves the async threads: one per
    // decision would make tokio's blocking pool as large as the decisions
    // in flight.
    let wanted: Vec<bool> = packages.iter().map(Option::is_some).collect();
    let remote = if wanted.contains(&true) {
        let looked_in = sources.clone();
        tokio::task::spawn_blocking(move || {
            packages
                .iter()
                .map(|p| p.as_ref().map(|p| find_gating_yaml(&sources, p)))
                .collect::<Vec<_>>()
        })
        .await
        // A lookup that panicked is a failed fetch (not waivable) for every
        // subject that wanted one, never a subject dropped from the decision.
        .unwrap_or_else(|e| {
            wanted
                .iter()
                .map(|&w| {
                    w.then(|| RemoteGating::FailedFetch {
                        sources: looked_in.clone(),
                        error: format!("the gating.yaml lookup failed: {e}"),
                    })
                })
                .collect()
        })
    } else {
        vec![None; wanted.len()]
    };
    let mut facts = Vec::new();
    let mut verbose_results = Vec::new();
    let mut verbose_waivers = Vec::new();
    for ((mut f, results, waivers), remote) in gathered.into_iter().zip(remote) {
        f.remote = remote;
        verbose_results.extend(
            results
                .iter()
                .map(|r| serde_json::to_value(r.to_json(&api)).unwrap_or(Value::Null)),
        );
        verbose_waivers.extend(waivers.iter().map(almanac_store::waivers::Waiver::to_json));
        facts.push(f);
    }
    let on_demand: Vec<Policy> = req.on_demand.iter().cloned().collect();
    let (policies, contexts): (&[Policy], &[String]) = match &req.on_demand {
        Some(p) => (&on_demand, &p.decision_contexts),
        None => (&gating.policies, &req.contexts),
    };
    let decision = match decide(policies, contexts, &req.product_version, &facts) {
        Ok(d) => d,
        Err(message) => return refuse(StatusCode::NOT_FOUND, message),
    };
    let mut answer = decision.to_json();
    if req.on_demand.is_some()
        && let Some(o) = answer.as_object_mut()
    {
        o.remove("applicable_policies");
    }
    if req.verbose {
        dedup_by_id(&mut verbose_results);
        dedup_by_id(&mut verbose_waivers);
        answer["results"] = Value::Array(verbose_results);
        answer["waivers"] = Value::Array(verbose_waivers);
    }
    Json(answer).into_response()
}

fn has_remote_rule(p: &Policy) -> bool {
    p.rules.iter().any(|r| matches!(r, Rule::RemoteRule { .. }))
}

fn dedup_by_id(items: &mut Vec<Value>) {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|v| seen.insert(v.get("id").and_then(Value::as_i64)));
}

/// The decision for `subjects` under `contexts`, read from the store on
/// `c` (remote rules left out); `Ok(Err(message))` when no policy applies.
pub fn decide_subjects(
    c: &mut dyn Conn,
    gating: &GatingSettings,
    outcomes: &almanac_model::Outcomes,
    limits: almanac_model::results::PageLimits,
    subjects: &[Subject],
    product_version: &str,
    contexts: &[String],
) -> StoreResult<Result<almanac_model::decision::Decision, String>> {
    let ask = Ask::new(&gating.policies, outcomes, limits);
    let mut facts = Vec::new();
    for s in subjects {
        facts.push(gather(c, s, product_version, None, &ask)?.0);
    }
    Ok(decide(&gating.policies, contexts, product_version, &facts))
}

/// A data filter for the store, and the result types to keep of what it finds.
type ResultLookup = (Vec<(String, String)>, &'static [&'static str]);

/// The queries that find a subject's results, as Greenwave's subject types
/// define them: the data filter for the store, and the `type` values a
/// result found by it must have (checked here: `type` matches nearly every
/// result, so it is no filter for the database to start from).
fn result_queries(s: &Subject) -> Vec<ResultLookup> {
    let id = s.identifier.clone();
    match canonical_type(&s.subject_type) {
        "koji_build" => vec![
            (
                vec![("item".into(), id.clone())],
                &["koji_build", "brew-build"],
            ),
            (vec![("original_spec_nvr".into(), id)], &[]),
        ],
        "compose" => vec![
            (vec![("productmd.compose.id".into(), id.clone())], &[]),
            (vec![("item".into(), id)], &["compose"]),
        ],
        "bodhi_update" => vec![(vec![("item".into(), id)], &["bodhi_update"])],
        "redhat-container-image" => vec![(vec![("item".into(), id)], &["redhat-container-image"])],
        "redhat-module" => vec![(vec![("item".into(), id)], &["redhat-module"])],
        "image" => vec![(vec![("item".into(), id)], &["image"])],
        // A type Almanac does not know: results of that type (checked below).
        _ => vec![(vec![("item".into(), id)], &[])],
    }
}

type Gathered = (
    SubjectFacts,
    Vec<almanac_model::results::StoredResult>,
    Vec<almanac_store::waivers::Waiver>,
);

/// How to read a subject's facts: the result query rules, and whether its
/// component groups matter (only when some policy names groups: a query
/// saved on every decision otherwise).
pub(crate) struct Ask<'a> {
    pub outcomes: &'a almanac_model::Outcomes,
    pub limits: almanac_model::results::PageLimits,
    pub groups: bool,
}

impl<'a> Ask<'a> {
    pub fn new(
        policies: &[Policy],
        outcomes: &'a almanac_model::Outcomes,
        limits: almanac_model::results::PageLimits,
    ) -> Ask<'a> {
        Ask {
            outcomes,
            limits,
            groups: policies.iter().any(|p| !p.component_groups.is_empty()),
        }
    }
}

/// What makes a result the latest of its kind: testcase, scenario, arch, variant.
type ResultKey = (String, Option<String>, Option<String>, Option<String>);

/// A subject's latest results, waivers in force and component groups.
fn gather(
    c: &mut dyn Conn,
    s: &Subject,
    product_version: &str,
    when: Option<almanac_model::Timestamp>,
    ask: &Ask<'_>,
) -> StoreResult<Gathered> {
    let (outcomes, limits) = (ask.outcomes, ask.limits);
    let mut latest: BTreeMap<ResultKey, (ResultFact, almanac_model::results::StoredResult)> =
        BTreeMap::new();
    for (mut pairs, types) in result_queries(s) {
        pairs.push((
            "_distinct_on".into(),
            "scenario,system_architecture,system_variant".into(),
        ));
        if let Some(w) = when {
            pairs.push((
                "since".into(),
                format!("1900-01-01T00:00:00,{}", w.to_python_iso()),
            ));
        }
        let q = ResultQuery::from_pairs(&pairs, outcomes, limits)?;
        for r in almanac_store::results::latest(c, &q)? {
            let data: Value = serde_json::from_str(&r.data_json).unwrap_or(Value::Null);
            let first = |k: &str| {
                data.get(k)
                    .and_then(|v| v.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let result_type = first("type");
            let wanted = if types.is_empty() && pairs[0].0 == "item" {
                result_type.as_deref() == Some(s.subject_type.as_str())
            } else {
                types.is_empty() || result_type.as_deref().is_some_and(|t| types.contains(&t))
            };
            if !wanted {
                continue;
            }
            let fact = ResultFact {
                id: r.id,
                testcase: r.testcase.name.clone(),
                outcome: r.outcome.clone(),
                scenario: first("scenario"),
                system_architecture: first("system_architecture"),
                system_variant: first("system_variant"),
                error_reason: first("error_reason"),
            };
            let key = (
                fact.testcase.clone(),
                fact.scenario.clone(),
                fact.system_architecture.clone(),
                fact.system_variant.clone(),
            );
            let newer = latest
                .get(&key)
                .is_none_or(|(_, old)| (r.submit_time, r.id) > (old.submit_time, old.id));
            if newer {
                latest.insert(key, (fact, r));
            }
        }
    }
    let mut waivers = almanac_store::waivers::latest_for_subjects(
        c,
        &[(s.subject_type.clone(), s.identifier.clone())],
        product_version,
    )?;
    if let Some(w) = when {
        waivers.retain(|x| x.timestamp <= w);
    }
    let groups = if ask.groups && is_nvr(&s.subject_type) {
        almanac_store::components::groups_of_component(
            c,
            product_version,
            package_of(&s.identifier),
        )?
    } else {
        Vec::new()
    };
    let (facts, results): (Vec<ResultFact>, Vec<_>) = latest.into_values().unzip();
    Ok((
        SubjectFacts {
            subject: s.clone(),
            results: facts,
            waivers: waivers
                .iter()
                .map(|w| WaiverFact {
                    id: w.id,
                    testcase: w.testcase.clone(),
                    scenario: w.scenario.clone(),
                    waived: w.waived,
                })
                .collect(),
            groups,
            remote: None,
        },
        results,
        waivers,
    ))
}

/// A package's `gating.yaml` from the first source template that has it:
/// a path, or an `http://` URL (a 404 is "not there"; any other failure is
/// a failed fetch, which blocks as Greenwave's does).
fn find_gating_yaml(sources: &[String], package: &str) -> RemoteGating {
    let places: Vec<String> = sources
        .iter()
        .map(|t| {
            t.replace("{pkg_name}", package)
                .replace("{pkg_namespace}", "rpms/")
        })
        .collect();
    for place in &places {
        if place.starts_with("http://") || place.starts_with("https://") {
            match fetch(place) {
                Ok(Some(text)) => {
                    return RemoteGating::Found {
                        source: place.clone(),
                        text,
                    };
                }
                Ok(None) => continue,
                Err(error) => {
                    return RemoteGating::FailedFetch {
                        sources: places.clone(),
                        error,
                    };
                }
            }
        }
        match std::fs::read_to_string(PathBuf::from(place)) {
            Ok(text) => {
                return RemoteGating::Found {
                    source: place.clone(),
                    text,
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return RemoteGating::Invalid {
                    source: place.clone(),
                    details: e.to_string(),
                };
            }
        }
    }
    RemoteGating::Missing { sources: places }
}

/// GETs a gating.yaml: `Ok(None)` for a 404, bounded in time and size.
fn fetch(url: &str) -> Result<Option<String>, String> {
    use std::sync::OnceLock;
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .build()
            .into()
    });
    let response = agent.get(url).call().map_err(|e| format!("{url}: {e}"))?;
    match response.status().as_u16() {
        200 => response
            .into_body()
            .with_config()
            .limit(1024 * 1024)
            .read_to_string()
            .map(Some)
            .map_err(|e| format!("{url}: {e}")),
        404 => Ok(None),
        other => Err(format!("{url}: the server answered HTTP {other}")),
    }
}
