//! CI messages to results, as resultsdb-updater maps them: the bodies it
//! would have POSTed to ResultsDB for the same message, or the reason it
//! would have refused the message. Pure: the group uuids come from the
//! caller, and the one lookup the single resultsdb form needs (the group
//! already holding results of that `ref_url`) is left to the caller.
//!
//! - [`ci_umb`]: the CI messages spec, versions 0.1.x (`ci`, top-level
//!   `namespace`/`type`/`category`/`status`), 0.2.0 (a `test` block,
//!   `error.reason`, `notification.recipients`) and 0.2.1 on (`contact`);
//!   artifacts `brew-build` (and Fedora's `koji-build`), `productmd-compose`,
//!   `container-image`, `redhat-module`, `redhat-container-image`,
//!   `redhat-advisory`, `brew-build-group`, `product-build`,
//!   `product-scenario`, `component-version`;
//! - [`resultsdb_format`]: a result as ResultsDB takes it, single or bulk;
//! - [`ci_metrics`]: the legacy CI-metrics form.

use super::message::Message;
use serde_json::{Map, Value, json};

/// The results a message makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// `POST /api/v2.0/results` bodies.
    pub bodies: Vec<Value>,
    /// For the single resultsdb form: the group is the first one whose
    /// description is this `ref_url`, when there is one (the first body's
    /// first group holds a fresh uuid otherwise).
    pub group_by_description: Option<String>,
}

/// Why resultsdb-updater would refuse a message, in its words.
pub type Refusal = String;

fn missing(path: &[&str]) -> Refusal {
    format!("Missing field \"{}\"", path.join("."))
}

/// The value at `path`, `None` when a step is missing or not an object
/// (a present `null` is `Some(Null)`, as Python's `dict.get` sees it).
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.as_object()?.get(*p)?;
    }
    Some(cur)
}

fn req<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, Refusal> {
    at(v, path).ok_or_else(|| missing(path))
}

/// A present, non-null value, or `None`.
fn opt<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    at(v, path).filter(|x| !x.is_null())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn req_text(v: &Value, path: &[&str]) -> Result<String, Refusal> {
    match req(v, path)? {
        Value::Null => Err(missing(path)),
        other => Ok(text(other)),
    }
}

/// Which reading of the spec a message's `version` calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// < 0.2.0
    V1,
    /// < 0.2.1
    V2,
    /// >= 0.2.1
    V21,
}

fn version_of(raw: &str) -> Version {
    let parts: Vec<u64> = raw
        .split(['.', '-', '+'])
        .take(3)
        .map_while(|p| p.parse().ok())
        .collect();
    if parts.len() < 3 {
        return Version::V1; // unparsable: resultsdb-updater falls back to the first reading
    }
    match (parts[0], parts[1], parts[2]) {
        (0, minor, _) if minor < 2 => Version::V1,
        (0, 2, 0) => Version::V2,
        _ => Version::V21,
    }
}

/// The reading of one CI message.
struct Ci<'a> {
    body: &'a Value,
    version: Version,
}

impl Ci<'_> {
    /// A field of the test: top-level in 0.1.x, under `test` after.
    fn test(&self, field: &str) -> Option<&Value> {
        match self.version {
            Version::V1 => at(self.body, &[field]),
            _ => at(self.body, &["test", field]),
        }
    }

    fn test_req(&self, field: &str) -> Result<String, Refusal> {
        match self.test(field) {
            Some(v) if !v.is_null() => Ok(text(v)),
            _ => Err(match self.version {
                Version::V1 => missing(&[field]),
                _ => missing(&["test", field]),
            }),
        }
    }

    fn testcase(&self) -> Result<String, Refusal> {
        Ok(format!(
            "{}.{}.{}",
            self.test_req("namespace")?,
            self.test_req("type")?,
            self.test_req("category")?
        ))
    }

    /// The outcome the test reported (only asked of complete messages).
    fn reported(&self) -> Result<String, Refusal> {
        match self.version {
            Version::V1 => self.test_req("status"),
            _ => self.test_req("result"),
        }
    }

    fn contact_block(&self) -> &'static str {
        if self.version == Version::V21 {
            "contact"
        } else {
            "ci"
        }
    }

    fn contact(&self) -> Result<Map<String, Value>, Refusal> {
        let b = self.contact_block();
        let field = |f: &str, default: Option<&str>| -> Result<Value, Refusal> {
            match (at(self.body, &[b, f]), default) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(d)) => Ok(Value::String(d.into())),
                (None, None) => Err(missing(&[b, f])),
            }
        };
        let mut out = Map::new();
        out.insert("ci_name".into(), field("name", None)?);
        out.insert("ci_team".into(), field("team", None)?);
        out.insert("ci_url".into(), field("url", Some("not available"))?);
        out.insert("ci_irc".into(), field("irc", Some("not available"))?);
        out.insert("ci_email".into(), field("email", None)?);
        Ok(out)
    }

    fn recipients(&self) -> Value {
        let v = match self.version {
            Version::V1 => at(self.body, &["recipients"]),
            _ => at(self.body, &["notification", "recipients"]),
        };
        v.cloned().unwrap_or_else(|| json!([]))
    }

    /// A field of the system: a dict, or a list of one.
    fn system(&self, field: &str) -> Option<&Value> {
        let system = match at(self.body, &["system"]) {
            Some(Value::Array(list)) => list.first()?,
            Some(s) => s,
            None => return None,
        };
        at(system, &[field])
    }

    fn system_req(&self, field: &str) -> Result<&Value, Refusal> {
        self.system(field)
            .ok_or_else(|| missing(&["system", field]))
    }

    fn error_reason(&self) -> Result<String, Refusal> {
        match self.version {
            Version::V1 => req_text(self.body, &["reason"]),
            _ => req_text(self.body, &["error", "reason"]),
        }
    }
}

/// Keeps the pairs whose value is present and not null.
fn present(pairs: Vec<(&str, Option<Value>)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.filter(|v| !v.is_null())?)))
        .collect()
}

/// Every pair, a missing value as null (resultsdb-updater sends `None`).
fn all(pairs: Vec<(&str, Option<Value>)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.unwrap_or(Value::Null)))
        .collect()
}

fn publisher_id(m: &Message, data: &mut Map<String, Value>) {
    if let Some(p) = m.header("JMSXUserID").filter(|p| !p.is_empty()) {
        data.insert("publisher_id".into(), Value::String(p.into()));
    }
}

/// The namespace a new-style UMB topic carries, if it is one.
fn topic_namespace(topic: &str) -> Option<&str> {
    if !topic.starts_with("/topic/VirtualTopic.eng.ci.") {
        return None;
    }
    let parts: Vec<&str> = topic.split('.').collect();
    (parts.len() == 7).then(|| parts[3])
}

fn outcome_of(
    topic: &str,
    reported: impl FnOnce() -> Result<String, Refusal>,
) -> Result<String, Refusal> {
    Ok(if topic.ends_with(".error") {
        "ERROR".into()
    } else if topic.ends_with(".queued") {
        "QUEUED".into()
    } else if topic.ends_with(".running") {
        "RUNNING".into()
    } else {
        let r = reported()?;
        match r.to_lowercase().as_str() {
            "pass" => "PASSED".into(),
            "fail" | "failure" => "FAILED".into(),
            _ => r.to_uppercase(),
        }
    })
}

/// A message in the CI messages spec.
pub fn ci_umb(m: &Message, uuid: &mut dyn FnMut() -> String) -> Result<Mapped, Refusal> {
    let body = &m.body;
    let raw_version = match at(body, &["version"]) {
        Some(Value::String(s)) => s.clone(),
        _ => "0.1.0".into(),
    };
    if !raw_version.is_empty() && !raw_version.starts_with("0.") {
        return Err(format!(
            "Unsupported version: {raw_version} (supported are only versions less than 1.0.0)"
        ));
    }
    let ci = Ci {
        body,
        version: version_of(&raw_version),
    };
    let item_type = req_text(body, &["artifact", "type"])?;
    let run_url = req_text(body, &["run", "url"])?;
    let outcome = outcome_of(&m.topic, || ci.reported())?;
    let art = |f: &str| at(body, &["artifact", f]).cloned();
    let art_req = |f: &str| req(body, &["artifact", f]).cloned();
    let run = |f: &str| at(body, &["run", f]).cloned();
    let log = req(body, &["run", "log"])?.clone();
    let category = Some(Value::String(ci.test_req("category")?));
    let sys = |f: &str| ci.system(f).cloned();

    let mut data = match item_type.as_str() {
        "productmd-compose" => {
            let architecture = ci.system_req("architecture")?.clone();
            let variant = sys("variant").filter(|v| !v.is_null());
            let compose_id = match opt(body, &["artifact", "id"]) {
                Some(id) if id.as_str() != Some("") => id.clone(),
                _ => art_req("compose_id")?,
            };
            let item = format!(
                "{}/{}/{}",
                text(&compose_id),
                variant.as_ref().map_or("unknown".to_string(), text),
                text(&architecture)
            );
            present(vec![
                ("item", Some(Value::String(item))),
                ("log", Some(log)),
                ("type", Some(Value::String(item_type.clone()))),
                ("productmd.compose.id", Some(compose_id)),
                ("system_provider", Some(ci.system_req("provider")?.clone())),
                ("system_architecture", Some(architecture)),
                ("system_variant", variant),
                ("category", category),
            ])
        }
        "product-build" => {
            let (name, version, release) =
                (art_req("name")?, art_req("version")?, art_req("release")?);
            let item = format!("{}-{}-{}", text(&name), text(&version), text(&release));
            present(vec![
                ("item", Some(Value::String(item))),
                ("product", Some(name)),
                ("version", Some(version)),
                ("release", Some(release)),
                ("log", Some(log)),
                ("type", Some(Value::String(item_type.clone()))),
                (
                    "system_architecture",
                    Some(ci.system_req("architecture")?.clone()),
                ),
                ("category", category),
            ])
        }
        "component-version" => {
            let (component, version) = (art_req("component")?, art_req("version")?);
            let item = format!("{}-{}", text(&component), text(&version));
            present(vec![
                ("item", Some(Value::String(item))),
                ("log", Some(log)),
                ("type", Some(Value::String(item_type.clone()))),
                ("component", Some(component)),
                ("version", Some(version)),
                ("category", category),
            ])
        }
        "container-image" => {
            let item = format!(
                "{}@{}",
                text(&art_req("repository")?),
                text(&art_req("digest")?)
            );
            present(vec![
                ("item", Some(Value::String(item))),
                ("log", Some(log)),
                ("rebuild", run("rebuild")),
                ("xunit", ci.test("xunit").cloned()),
                ("type", Some(Value::String(item_type.clone()))),
                ("repository", art("repository")),
                ("digest", art("digest")),
                ("format", art("format")),
                ("pull_ref", art("pull_ref")),
                ("scratch", art("scratch")),
                ("nvr", art("nvr")),
                ("issuer", art("issuer")),
                ("system_os", sys("os")),
                ("system_provider", sys("provider")),
                ("system_architecture", sys("architecture")),
                ("category", category),
            ])
        }
        "redhat-container-image" => all(vec![
            ("item", Some(art_req("id")?)),
            ("type", Some(Value::String(item_type.clone()))),
            ("brew_task_id", art("task_id")),
            ("brew_build_id", art("build_id")),
            ("category", category.clone()),
            ("full_names", Some(art_req("full_names")?)),
            ("registry_url", art("registry_url")),
            ("tag", art("tag")),
            ("issuer", Some(art_req("issuer")?)),
            ("component", Some(art_req("component")?)),
            ("name", Some(art_req("name")?)),
            ("namespace", Some(art_req("namespace")?)),
            ("scratch", Some(art_req("scratch")?)),
            ("nvr", Some(art_req("nvr")?)),
            ("source", Some(art_req("source")?)),
            ("rebuild", run("rebuild")),
            ("log", Some(log)),
        ]),
        "redhat-module" => {
            let nsvc = req_text(body, &["artifact", "nsvc"])?;
            let parts: Vec<&str> = nsvc.rsplitn(4, ':').collect();
            if parts.len() != 4 {
                return Err(format!("Invalid nsvc \"{nsvc}\" encountered"));
            }
            let (context, version, stream, name) = (parts[0], parts[1], parts[2], parts[3]);
            let item = format!("{name}-{}-{version}.{context}", stream.replace('-', "_"));
            all(vec![
                ("item", Some(Value::String(item.clone()))),
                ("type", Some(Value::String(item_type.clone()))),
                ("mbs_id", art("id")),
                ("category", category.clone()),
                ("context", Some(art_req("context")?)),
                ("name", Some(art_req("name")?)),
                ("nsvc", Some(Value::String(item))),
                ("stream", Some(art_req("stream")?)),
                ("version", Some(art_req("version")?)),
                ("issuer", art("issuer")),
                ("rebuild", run("rebuild")),
                ("log", Some(log)),
                ("system_os", sys("os")),
                ("system_provider", sys("provider")),
            ])
        }
        "redhat-advisory" => all(vec![
            ("item", Some(art_req("id")?)),
            ("type", Some(Value::String(item_type.clone()))),
            ("category", category.clone()),
            ("numeric_id", art("numeric_id")),
            ("pipeline_id", Some(req(body, &["pipeline", "id"])?.clone())),
            (
                "pipeline_name",
                Some(req(body, &["pipeline", "name"])?.clone()),
            ),
            ("pipeline_build", at(body, &["pipeline", "build"]).cloned()),
            (
                "pipeline_stage",
                at(body, &["pipeline", "stage", "name"]).cloned(),
            ),
            ("log", Some(log)),
            ("log_raw", run("log_raw")),
            ("log_stream", run("log_stream")),
            ("system_os", sys("os")),
            ("system_provider", sys("provider")),
        ]),
        "brew-build" | "koji-build" => {
            let scratch = match at(body, &["artifact", "scratch"]) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
                _ => false,
            };
            // Fedora's koji builds are gated as `koji_build` subjects.
            let base = if item_type == "koji-build" {
                "koji_build"
            } else {
                "brew-build"
            };
            let kind = if scratch {
                format!("{base}_scratch")
            } else {
                base.to_string()
            };
            all(vec![
                ("item", Some(art_req("nvr")?)),
                ("type", Some(Value::String(kind))),
                ("brew_task_id", art("id")),
                ("category", category.clone()),
                ("component", Some(art_req("component")?)),
                ("scratch", Some(Value::Bool(scratch))),
                ("issuer", art("issuer")),
                ("rebuild", run("rebuild")),
                ("log", Some(log)),
                ("system_os", sys("os")),
                ("system_provider", sys("provider")),
            ])
        }
        "brew-build-group" => all(vec![
            ("item", Some(art_req("id")?)),
            ("type", Some(Value::String(item_type.clone()))),
            ("category", category.clone()),
            ("repository", Some(art_req("repository")?)),
            ("builds", Some(art_req("builds")?)),
            ("rebuild", run("rebuild")),
            ("log", Some(log)),
            ("system_os", sys("os")),
            ("system_provider", sys("provider")),
        ]),
        "product-scenario" => {
            let scenario = art_req("id")?;
            let products = match art_req("products")? {
                Value::Array(p) => p,
                _ => return Err(missing(&["artifact", "products"])),
            };
            let mut item = vec![scenario];
            let mut products_data = Vec::new();
            for p in &products {
                let id = match opt(p, &["nvr"]).or_else(|| opt(p, &["id"])) {
                    Some(v) => v.clone(),
                    None => return Err(missing(&["artifact", "products", "id"])),
                };
                item.push(id);
                products_data.push(Value::String(p.to_string()));
            }
            all(vec![
                ("item", Some(Value::Array(item))),
                ("type", Some(Value::String(item_type.clone()))),
                ("rebuild", run("rebuild")),
                ("log", Some(log)),
                ("system_os", sys("os")),
                ("system_provider", sys("provider")),
                ("products", Some(Value::Array(products_data))),
            ])
        }
        other => return Err(format!("Unknown artifact type \"{other}\"")),
    };
    data.extend(ci.contact()?);
    data.insert("recipients".into(), ci.recipients());
    publisher_id(m, &mut data);
    if ci.version != Version::V1
        && let Some(s) = opt(body, &["test", "scenario"])
    {
        data.insert("scenario".into(), s.clone());
    }
    let testcase = ci.testcase()?;
    if let Some(ns) = topic_namespace(&m.topic) {
        let mine = testcase.split('.').next().unwrap_or_default();
        if mine != ns {
            return Err(format!(
                "Test case \"{testcase}\" namespace \"{mine}\" does not match message topic \"{}\" namespace \"{ns}\"",
                m.topic
            ));
        }
    }
    if outcome == "ERROR" {
        let reason: String = ci.error_reason()?.chars().take(256).collect();
        data.insert("error_reason".into(), Value::String(reason));
        if let Some(url) = opt(body, &["error", "issue_url"]) {
            data.insert("issue_url".into(), url.clone());
        }
    }
    let note = match ci.version {
        Version::V1 => String::new(),
        _ => opt(body, &["test", "note"]).map(text).unwrap_or_default(),
    };
    Ok(Mapped {
        bodies: vec![json!({
            "testcase": {"name": testcase, "ref_url": run_url},
            "groups": [{"uuid": uuid(), "url": run_url}],
            "outcome": outcome,
            "ref_url": run_url,
            "note": note,
            "data": data,
        })],
        group_by_description: None,
    })
}

/// A result as ResultsDB takes it, single (`testcase`, `outcome`, `data`,
/// `ref_url`) or bulk (`results` by testcase, `ref_url`).
pub fn resultsdb_format(m: &Message, uuid: &mut dyn FnMut() -> String) -> Result<Mapped, Refusal> {
    let body = &m.body;
    let mut group_ref_url = req_text(body, &["ref_url"])?;
    let testcase_name = match at(body, &["testcase", "name"]) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    if testcase_name.starts_with("dist.rpmdiff") {
        group_ref_url = rpmdiff_run(&group_ref_url).ok_or_else(|| {
            format!("The ref_url \"{group_ref_url}\" did not match the rpmdiff URL scheme")
        })?;
    }
    if let Some(Value::Object(results)) =
        opt(body, &["results"]).filter(|r| r.as_object().is_some_and(|o| !o.is_empty()))
    {
        let groups = json!([{"uuid": uuid(), "ref_url": group_ref_url}]);
        let mut bodies = Vec::with_capacity(results.len());
        for (testcase, result) in results {
            let outcome = req(result, &["outcome"])?.clone();
            let mut data = match at(result, &["data"]) {
                Some(Value::Object(d)) => d.clone(),
                _ => Map::new(),
            };
            publisher_id(m, &mut data);
            bodies.push(json!({
                "testcase": testcase,
                "groups": groups,
                "outcome": outcome,
                "ref_url": at(result, &["ref_url"]).cloned().unwrap_or_else(|| json!("")),
                "note": at(result, &["note"]).cloned().filter(|n| !n.is_null()).unwrap_or_else(|| json!("")),
                "data": data,
            }));
        }
        return Ok(Mapped {
            bodies,
            group_by_description: None,
        });
    }
    let mut data = match req(body, &["data"])? {
        Value::Object(d) => d.clone(),
        _ => return Err("The message's data must be an object".into()),
    };
    publisher_id(m, &mut data);
    Ok(Mapped {
        bodies: vec![json!({
            "testcase": req(body, &["testcase"])?,
            "groups": [{"uuid": uuid(), "ref_url": group_ref_url, "description": group_ref_url}],
            "outcome": req(body, &["outcome"])?,
            "ref_url": req(body, &["ref_url"])?,
            "note": opt(body, &["note"]).cloned().unwrap_or_else(|| json!("")),
            "data": data,
        })],
        group_by_description: Some(group_ref_url),
    })
}

/// `http.../run/<id>[/<result>]` -> `http.../run/<id>`.
fn rpmdiff_run(url: &str) -> Option<String> {
    if !url.starts_with("http") {
        return None;
    }
    let at = url.rfind("/run/")?;
    let (prefix, rest) = url.split_at(at + "/run/".len());
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut parts = rest.split('/');
    let run = parts
        .next()
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))?;
    match (parts.next(), parts.next()) {
        (None, None) => {}
        (Some(r), None) if !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => return None,
    }
    Some(format!("{prefix}{run}"))
}

/// The legacy CI-metrics form (`/topic/VirtualTopic.eng.platformci.tier1.result`).
pub fn ci_metrics(m: &Message, uuid: &mut dyn FnMut() -> String) -> Result<Mapped, Refusal> {
    let body = &m.body;
    let or = |k: &str, d: &str| at(body, &[k]).map_or(d.to_string(), text);
    let team = or("team", "unassigned");
    let test_name = match at(body, &["job_name"]).filter(|v| !v.is_null()) {
        Some(v) => text(v),
        None => req_text(body, &["job_names"])?,
    };
    let testcase_url = req_text(body, &["jenkins_job_url"])?;
    let group_ref_url = req_text(body, &["jenkins_build_url"])?;
    let build_type = or("build_type", "unknown");
    let artifact = at(body, &["artifact"])
        .cloned()
        .unwrap_or_else(|| json!("unknown"));
    let brew_task_id = at(body, &["brew_task_id"])
        .cloned()
        .unwrap_or_else(|| json!("unknown"));
    let tests = match req(body, &["tests"])? {
        Value::Array(t) => t,
        _ => return Err("The message's tests must be a list".into()),
    };
    let ref_url = format!("{}/console", group_ref_url.trim_end_matches('/'));
    let component = at(body, &["component"])
        .cloned()
        .unwrap_or_else(|| json!("unknown"));
    let recipients: Vec<Value> = or("recipients", "unknown")
        .split(',')
        .map(|r| json!(r))
        .collect();
    let ci_tier = at(body, &["CI_tier"])
        .cloned()
        .unwrap_or_else(|| json!(["unknown"]));
    let mut test_type = if brew_task_id != json!("unknown") {
        "koji_build".to_string()
    } else {
        "unknown".to_string()
    };
    if build_type == "scratch" {
        test_type.push_str("_scratch");
    }
    let groups = json!([{"uuid": uuid(), "ref_url": group_ref_url}]);
    let common = |mut d: Map<String, Value>| {
        d.insert("item".into(), component.clone());
        d.insert("type".into(), json!(test_type));
        d.insert("recipients".into(), Value::Array(recipients.clone()));
        d.insert("CI_tier".into(), ci_tier.clone());
        d.insert("job_name".into(), json!(test_name));
        d.insert("artifact".into(), artifact.clone());
        d.insert("brew_task_id".into(), brew_task_id.clone());
        publisher_id(m, &mut d);
        d
    };
    let mut overall = "PASSED";
    let mut bodies = Vec::with_capacity(tests.len() + 1);
    for test in tests {
        let Value::Object(t) = test else {
            return Err("Each of the message's tests must be an object".into());
        };
        let passed = match t.get("failed") {
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok() == Some(0),
            _ => false,
        };
        if !passed {
            overall = "FAILED";
        }
        let executor = t.get("executor").map_or("unknown".to_string(), text);
        bodies.push(json!({
            "testcase": {"name": format!("{team}.{test_name}.{executor}"), "ref_url": testcase_url},
            "groups": groups,
            "outcome": if passed { "PASSED" } else { "FAILED" },
            "ref_url": ref_url,
            "note": "",
            "data": common(t.clone()),
        }));
    }
    bodies.push(json!({
        "testcase": {"name": format!("{team}.{test_name}"), "ref_url": testcase_url},
        "groups": groups,
        "outcome": overall,
        "ref_url": ref_url,
        "note": "",
        "data": common(Map::new()),
    }));
    Ok(Mapped {
        bodies,
        group_by_description: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(topic: &str, body: Value) -> Message {
        Message {
            id: "m-1".into(),
            topic: topic.into(),
            headers: json!({"JMSXUserID": "ci-bot"}),
            body,
            sent_at: None,
        }
    }

    fn fixed() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("uuid-{n}")
        }
    }

    #[test]
    fn a_v01_brew_build_message_maps_as_resultsdb_updater_did() {
        let m = msg(
            "/topic/VirtualTopic.eng.ci.baseos-ci.brew-build.tier1.complete",
            json!({
                "ci": {"name": "BaseOS CI", "team": "BaseOS", "email": "qa@example.com"},
                "run": {"url": "https://ci/run/1", "log": "https://ci/run/1/log", "rebuild": "https://ci/run/1/rebuild"},
                "artifact": {"type": "brew-build", "id": 123, "nvr": "bash-5.2-1.el9", "component": "bash", "scratch": "false", "issuer": "alice"},
                "system": [{"os": "rhel-9", "provider": "openstack"}],
                "namespace": "baseos-ci", "type": "tier1", "category": "functional", "status": "pass",
                "recipients": ["alice"]
            }),
        );
        let out = ci_umb(&m, &mut fixed()).unwrap();
        assert_eq!(out.bodies.len(), 1);
        let b = &out.bodies[0];
        assert_eq!(
            b["testcase"],
            json!({"name": "baseos-ci.tier1.functional", "ref_url": "https://ci/run/1"})
        );
        assert_eq!(b["outcome"], "PASSED");
        assert_eq!(
            b["groups"],
            json!([{"uuid": "uuid-1", "url": "https://ci/run/1"}])
        );
        assert_eq!(b["note"], "");
        let d = &b["data"];
        assert_eq!(d["item"], "bash-5.2-1.el9");
        assert_eq!(d["type"], "brew-build");
        assert_eq!(d["brew_task_id"], 123);
        assert_eq!(d["scratch"], false);
        assert_eq!(
            d["ci_url"], "not available",
            "defaults as resultsdb-updater's"
        );
        assert_eq!(d["ci_irc"], "not available");
        assert_eq!(d["system_os"], "rhel-9", "a list of one system");
        assert_eq!(d["publisher_id"], "ci-bot", "from the JMSXUserID header");
        assert_eq!(d["recipients"], json!(["alice"]));
        assert!(d.get("error_reason").is_none());
    }

    #[test]
    fn v02_messages_read_the_test_block_errors_and_contact() {
        let error = msg(
            "org.fedoraproject.prod.ci.koji-build.test.error",
            json!({
                "version": "0.2.0",
                "ci": {"name": "Fedora CI", "team": "fedora-ci", "email": "ci@example.org", "url": "https://ci"},
                "run": {"url": "https://ci/2", "log": "https://ci/2/log"},
                "artifact": {"type": "koji-build", "id": 55, "nvr": "glibc-2.40-1.fc41", "component": "glibc", "scratch": true},
                "test": {"namespace": "fedora-ci.koji-build", "type": "tier0", "category": "functional"},
                "error": {"reason": "x".repeat(300), "issue_url": "https://issues/1"},
                "notification": {"recipients": ["bob"]}
            }),
        );
        let b = &ci_umb(&error, &mut fixed()).unwrap().bodies[0];
        assert_eq!(b["outcome"], "ERROR");
        assert_eq!(
            b["testcase"]["name"],
            "fedora-ci.koji-build.tier0.functional"
        );
        assert_eq!(b["data"]["type"], "koji_build_scratch");
        assert_eq!(
            b["data"]["error_reason"].as_str().unwrap().len(),
            256,
            "cut at 256"
        );
        assert_eq!(b["data"]["issue_url"], "https://issues/1");
        assert_eq!(b["data"]["recipients"], json!(["bob"]));
        assert_eq!(b["data"]["ci_url"], "https://ci");

        let queued = msg(
            "org.centos.prod.ci.productmd-compose.test.queued",
            json!({
                "version": "0.2.1",
                "contact": {"name": "OSCI", "team": "osci", "email": "osci@example.com"},
                "run": {"url": "https://ci/3", "log": "https://ci/3/log"},
                "artifact": {"type": "productmd-compose", "id": "Fedora-41-20261201.n.0"},
                "system": {"architecture": "x86_64", "provider": "aws", "variant": "Server"},
                "test": {"namespace": "osci", "type": "compose", "category": "validation", "scenario": "bios", "note": "waiting"}
            }),
        );
        let b = &ci_umb(&queued, &mut fixed()).unwrap().bodies[0];
        assert_eq!(
            b["outcome"], "QUEUED",
            "the topic says so; a queued message has no result"
        );
        assert_eq!(b["data"]["item"], "Fedora-41-20261201.n.0/Server/x86_64");
        assert_eq!(b["data"]["productmd.compose.id"], "Fedora-41-20261201.n.0");
        assert_eq!(
            b["data"]["ci_name"], "OSCI",
            "0.2.1 reads the contact block"
        );
        assert_eq!(b["data"]["scenario"], "bios");
        assert_eq!(b["note"], "waiting");
    }

    #[test]
    fn modules_and_containers_get_their_items() {
        let base = |artifact: Value| {
            msg(
                "/topic/VirtualTopic.eng.ci.osci.x.test.complete",
                json!({
                    "version": "0.2.1",
                    "contact": {"name": "OSCI", "team": "osci", "email": "e"},
                    "run": {"url": "u", "log": "l"},
                    "artifact": artifact,
                    "test": {"namespace": "osci", "type": "t", "category": "c", "result": "failed"}
                }),
            )
        };
        let module = base(
            json!({"type": "redhat-module", "id": 9, "nsvc": "nodejs:20-el9:9040020240101:abcd",
                                 "name": "nodejs", "stream": "20-el9", "version": "9040020240101", "context": "abcd"}),
        );
        let b = &ci_umb(&module, &mut fixed()).unwrap().bodies[0];
        assert_eq!(b["data"]["item"], "nodejs-20_el9-9040020240101.abcd");
        assert_eq!(b["outcome"], "FAILED");
        let image = base(
            json!({"type": "container-image", "repository": "fedora/httpd", "digest": "sha256:ab"}),
        );
        assert_eq!(
            ci_umb(&image, &mut fixed()).unwrap().bodies[0]["data"]["item"],
            "fedora/httpd@sha256:ab"
        );
        let bad = base(json!({"type": "redhat-module", "nsvc": "nodejs"}));
        assert_eq!(
            ci_umb(&bad, &mut fixed()).unwrap_err(),
            "Invalid nsvc \"nodejs\" encountered"
        );
    }

    #[test]
    fn refusals_use_resultsdb_updaters_words() {
        let body = json!({
            "version": "0.2.1",
            "contact": {"name": "n", "team": "t", "email": "e"},
            "run": {"url": "u", "log": "l"},
            "artifact": {"type": "brew-build", "nvr": "a-1-1", "component": "a"},
            "test": {"namespace": "other", "type": "t", "category": "c", "result": "passed"}
        });
        let mismatch = msg(
            "/topic/VirtualTopic.eng.ci.osci.brew-build.test.complete",
            body.clone(),
        );
        assert_eq!(
            ci_umb(&mismatch, &mut fixed()).unwrap_err(),
            "Test case \"other.t.c\" namespace \"other\" does not match message topic \"/topic/VirtualTopic.eng.ci.osci.brew-build.test.complete\" namespace \"osci\""
        );
        let mut unknown = body.clone();
        unknown["artifact"]["type"] = json!("tarball");
        assert_eq!(
            ci_umb(&msg("t.complete", unknown), &mut fixed()).unwrap_err(),
            "Unknown artifact type \"tarball\""
        );
        let mut v1 = body.clone();
        v1["version"] = json!("1.0.0");
        assert!(
            ci_umb(&msg("t.complete", v1), &mut fixed())
                .unwrap_err()
                .starts_with("Unsupported version: 1.0.0")
        );
        let mut no_nvr = body;
        no_nvr["artifact"].as_object_mut().unwrap().remove("nvr");
        assert_eq!(
            ci_umb(&msg("t.complete", no_nvr), &mut fixed()).unwrap_err(),
            "Missing field \"artifact.nvr\""
        );
    }

    #[test]
    fn the_resultsdb_form_single_bulk_and_rpmdiff() {
        let single = msg(
            "x",
            json!({"testcase": {"name": "dist.rpmdiff.comparison.x"}, "outcome": "PASSED",
                                    "ref_url": "https://rpmdiff/run/123/45", "data": {"item": "a-1-1"}}),
        );
        let out = resultsdb_format(&single, &mut fixed()).unwrap();
        assert_eq!(
            out.group_by_description.as_deref(),
            Some("https://rpmdiff/run/123")
        );
        assert_eq!(
            out.bodies[0]["groups"][0]["description"],
            "https://rpmdiff/run/123"
        );
        assert_eq!(out.bodies[0]["ref_url"], "https://rpmdiff/run/123/45");
        assert_eq!(out.bodies[0]["data"]["publisher_id"], "ci-bot");
        let bad = msg(
            "x",
            json!({"testcase": {"name": "dist.rpmdiff.x"}, "outcome": "PASSED", "ref_url": "https://rpmdiff/elsewhere", "data": {}}),
        );
        assert_eq!(
            resultsdb_format(&bad, &mut fixed()).unwrap_err(),
            "The ref_url \"https://rpmdiff/elsewhere\" did not match the rpmdiff URL scheme"
        );
        let bulk = msg(
            "x",
            json!({"ref_url": "https://ci/9", "results": {
            "a.one": {"outcome": "PASSED", "data": {"item": "x"}},
            "a.two": {"outcome": "FAILED", "ref_url": "https://ci/9/2", "note": "n"}}}),
        );
        let out = resultsdb_format(&bulk, &mut fixed()).unwrap();
        assert_eq!(out.bodies.len(), 2);
        assert_eq!(
            out.bodies[0]["groups"], out.bodies[1]["groups"],
            "one new group for the lot"
        );
        assert_eq!(out.bodies[1]["note"], "n");
        assert!(out.group_by_description.is_none());
    }

    #[test]
    fn ci_metrics_make_one_result_a_test_and_an_overall_one() {
        let m = msg(
            "/topic/VirtualTopic.eng.platformci.tier1.result",
            json!({
            "team": "platform", "job_name": "tier1", "jenkins_job_url": "https://j/job", "jenkins_build_url": "https://j/job/7/",
            "brew_task_id": 77, "build_type": "scratch", "component": "bash", "recipients": "a,b",
            "tests": [{"executor": "beaker", "failed": 0}, {"executor": "docker", "failed": "2"}]}),
        );
        let out = ci_metrics(&m, &mut fixed()).unwrap();
        let names: Vec<&str> = out
            .bodies
            .iter()
            .map(|b| b["testcase"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "platform.tier1.beaker",
                "platform.tier1.docker",
                "platform.tier1"
            ]
        );
        let outcomes: Vec<&str> = out
            .bodies
            .iter()
            .map(|b| b["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["PASSED", "FAILED", "FAILED"]);
        assert_eq!(out.bodies[2]["ref_url"], "https://j/job/7/console");
        assert_eq!(out.bodies[2]["data"]["type"], "koji_build_scratch");
        assert_eq!(out.bodies[2]["data"]["recipients"], json!(["a", "b"]));
    }
}
