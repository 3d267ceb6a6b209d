//! Test results as ResultsDB defined them: what a client may submit, how a
//! stored result reads back, and ResultsDB's query language for finding them.

use crate::text::{check_text, glob_to_like, python_str};
use crate::{ModelError, Outcome, Outcomes, Timestamp};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A testcase name: non-empty text (it may contain `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TestcaseName(String);

impl TestcaseName {
    pub fn parse(raw: &str) -> Result<TestcaseName, ModelError> {
        if raw.is_empty() {
            return Err(ModelError::new(
                "testcase.name",
                "testcase name must be non-empty",
            ));
        }
        check_text("testcase.name", raw)?;
        Ok(TestcaseName(raw.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group a result belongs to, as submitted: an existing group's uuid, or a
/// group to create or update. `None` fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    /// `None` asks Almanac to make up a new uuid.
    pub uuid: Option<String>,
    pub description: Option<String>,
    pub ref_url: Option<String>,
}

/// A testcase to create or update (`POST /testcases`, or named by a result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestcaseInput {
    pub name: TestcaseName,
    /// `None` keeps the stored ref_url; `Some` replaces it.
    pub ref_url: Option<String>,
}

/// A result as submitted, checked against every rule; the store only adds the
/// id and, when absent, the submit time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResult {
    pub testcase: TestcaseInput,
    pub outcome: Outcome,
    pub note: Option<String>,
    pub ref_url: Option<String>,
    /// Key/value pairs in the order given; a key may repeat (ResultsDB's data is
    /// multi-valued).
    pub data: Vec<(String, String)>,
    pub groups: Vec<GroupInput>,
    pub submit_time: Option<Timestamp>,
}

fn optional_string(
    obj: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<String>, ModelError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_text(field, s)?;
            Ok(Some(s.clone()))
        }
        Some(other) => Err(ModelError::new(
            field,
            format!("{field} must be a string or null, got {}", json_type(other)),
        )),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl TestcaseInput {
    /// `{"name": ..., "ref_url": ...}` as POSTed to `/testcases`, or as the
    /// object form of a result's `testcase`.
    pub fn from_json(value: &Value, field: &str) -> Result<TestcaseInput, ModelError> {
        let obj = value.as_object().ok_or_else(|| {
            ModelError::new(
                field,
                format!("{field} must be an object, got {}", json_type(value)),
            )
        })?;
        let name = match obj.get("name") {
            Some(Value::String(s)) => TestcaseName::parse(s)?,
            None | Some(Value::Null) => {
                return Err(ModelError::new(
                    "testcase.name",
                    "testcase name must be non-empty",
                ));
            }
            Some(other) => {
                return Err(ModelError::new(
                    "testcase.name",
                    format!("testcase name must be a string, got {}", json_type(other)),
                ));
            }
        };
        Ok(TestcaseInput {
            name,
            ref_url: optional_string(obj, "ref_url")?,
        })
    }
}

impl GroupInput {
    /// `{"uuid": ..., "description": ..., "ref_url": ...}`, all optional.
    pub fn from_json(value: &Value, field: &str) -> Result<GroupInput, ModelError> {
        match value {
            Value::String(uuid) => Ok(GroupInput {
                uuid: Some(check_uuid(field, uuid)?),
                description: None,
                ref_url: None,
            }),
            Value::Object(obj) => Ok(GroupInput {
                uuid: match optional_string(obj, "uuid")? {
                    Some(u) => Some(check_uuid(field, &u)?),
                    None => None,
                },
                description: optional_string(obj, "description")?,
                ref_url: optional_string(obj, "ref_url")?,
            }),
            other => Err(ModelError::new(
                field,
                format!(
                    "{field} must be a group uuid or a group object, got {}",
                    json_type(other)
                ),
            )),
        }
    }
}

fn check_uuid(field: &str, uuid: &str) -> Result<String, ModelError> {
    if uuid.is_empty() {
        return Err(ModelError::new(
            field,
            format!("{field}: group uuid must not be empty"),
        ));
    }
    if uuid.contains('/') {
        return Err(ModelError::new(
            field,
            format!("{field}: group uuid '{uuid}' must not contain '/'"),
        ));
    }
    check_text(field, uuid)?;
    Ok(uuid.to_string())
}

impl NewResult {
    /// Reads a `POST /results` body with ResultsDB's rules: `testcase` as a
    /// name or an object, `outcome` checked against `outcomes`, `data` values
    /// stringified as Python does, `groups` as uuids or objects. Unknown keys
    /// (such as `_auth_token`, which `resultsdb-api` sends) are ignored.
    pub fn from_json(value: &Value, outcomes: &Outcomes) -> Result<NewResult, ModelError> {
        let obj = value.as_object().ok_or_else(|| {
            ModelError::new(
                "body",
                format!("a result must be a JSON object, got {}", json_type(value)),
            )
        })?;
        let testcase = match obj.get("testcase") {
            None | Some(Value::Null) => {
                return Err(ModelError::new("testcase", "testcase is required"));
            }
            Some(Value::String(name)) => TestcaseInput {
                name: TestcaseName::parse(name)?,
                ref_url: None,
            },
            Some(other) => TestcaseInput::from_json(other, "testcase")?,
        };
        let outcome = match obj.get("outcome") {
            None | Some(Value::Null) => {
                return Err(ModelError::new("outcome", "outcome is required"));
            }
            Some(Value::String(s)) => outcomes.parse(s)?,
            Some(other) => {
                return Err(ModelError::new(
                    "outcome",
                    format!("outcome must be a string, got {}", json_type(other)),
                ));
            }
        };
        let data = match obj.get("data") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => data_pairs(map)?,
            Some(other) => {
                return Err(ModelError::new(
                    "data",
                    format!("data must be an object, got {}", json_type(other)),
                ));
            }
        };
        let groups = match obj.get("groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, g)| GroupInput::from_json(g, &format!("groups[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(ModelError::new(
                    "groups",
                    format!("groups must be a list, got {}", json_type(other)),
                ));
            }
        };
        Ok(NewResult {
            testcase,
            outcome,
            note: optional_string(obj, "note")?,
            ref_url: optional_string(obj, "ref_url")?,
            data,
            groups,
            submit_time: Timestamp::parse_submit_time(
                obj.get("submit_time").unwrap_or(&Value::Null),
            )?,
        })
    }

    /// The data as stored and served: `{"key": ["value", ...]}`, keys sorted.
    pub fn data_json(&self) -> String {
        let mut map: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (k, v) in &self.data {
            map.entry(k).or_default().push(v);
        }
        serde_json::to_string(&map).expect("a map of strings serializes")
    }
}

fn data_pairs(map: &serde_json::Map<String, Value>) -> Result<Vec<(String, String)>, ModelError> {
    let colons: Vec<&String> = map.keys().filter(|k| k.contains(':')).collect();
    if !colons.is_empty() {
        let listed: Vec<String> = colons.iter().map(|k| format!("'{k}'")).collect();
        return Err(ModelError::new(
            "data",
            format!("Colon not allowed in key name: [{}]", listed.join(", ")),
        ));
    }
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        check_text("data key", key)?;
        let mut push = |v: String| -> Result<(), ModelError> {
            check_text(&format!("data.{key}"), &v)?;
            pairs.push((key.clone(), v));
            Ok(())
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    push(python_str(item))?;
                }
            }
            other => push(python_str(other))?,
        }
    }
    Ok(pairs)
}

// ---------------------------------------------------------------------------
// Stored results and how they read back.

/// A testcase as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Testcase {
    pub name: String,
    pub ref_url: Option<String>,
}

/// A group as stored, with the number of its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub uuid: String,
    pub description: Option<String>,
    pub ref_url: Option<String>,
    pub results_count: i64,
}

/// A result as stored. Results are immutable: once stored, never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub id: i64,
    pub testcase: Testcase,
    pub submit_time: Timestamp,
    pub outcome: String,
    pub note: Option<String>,
    pub ref_url: Option<String>,
    /// The data, already as its JSON object `{"key": ["value"]}`.
    pub data_json: String,
    pub groups: Vec<String>,
}

/// Percent-encodes a value for a URL path, as Flask's `url_for` does (`/` kept).
pub fn url_path_escape(s: &str) -> String {
    escape(s, b"-._~/")
}

/// Percent-encodes a value for a URL query.
pub fn url_query_escape(s: &str) -> String {
    escape(s, b"-._~")
}

fn escape(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
pub struct TestcaseJson<'a> {
    pub name: &'a str,
    pub ref_url: Option<&'a str>,
    pub href: String,
}

#[derive(Serialize)]
pub struct ResultJson<'a> {
    pub id: i64,
    pub groups: &'a [String],
    pub testcase: TestcaseJson<'a>,
    pub submit_time: String,
    pub outcome: &'a str,
    pub note: Option<&'a str>,
    pub ref_url: Option<&'a str>,
    pub data: &'a RawValue,
    pub href: String,
}

#[derive(Serialize)]
pub struct GroupJson<'a> {
    pub uuid: &'a str,
    pub description: Option<&'a str>,
    pub ref_url: Option<&'a str>,
    pub results: String,
    pub results_count: i64,
    pub href: String,
}

impl Testcase {
    /// ResultsDB's testcase serialization; `api` is the absolute URL of `/api/v2.0`.
    pub fn to_json<'a>(&'a self, api: &str) -> TestcaseJson<'a> {
        TestcaseJson {
            name: &self.name,
            ref_url: self.ref_url.as_deref(),
            href: format!("{api}/testcases/{}", url_path_escape(&self.name)),
        }
    }
}

impl Group {
    pub fn to_json<'a>(&'a self, api: &str) -> GroupJson<'a> {
        GroupJson {
            uuid: &self.uuid,
            description: self.description.as_deref(),
            ref_url: self.ref_url.as_deref(),
            results: format!("{api}/results?groups={}", url_query_escape(&self.uuid)),
            results_count: self.results_count,
            href: format!("{api}/groups/{}", url_path_escape(&self.uuid)),
        }
    }
}

impl StoredResult {
    /// ResultsDB's result serialization, the same for the API and for the
    /// `resultsdb.result.new` event.
    pub fn to_json<'a>(&'a self, api: &str) -> ResultJson<'a> {
        ResultJson {
            id: self.id,
            groups: &self.groups,
            testcase: self.testcase.to_json(api),
            submit_time: self.submit_time.to_python_iso(),
            outcome: &self.outcome,
            note: self.note.as_deref(),
            ref_url: self.ref_url.as_deref(),
            data: serde_json::from_str(&self.data_json).unwrap_or_else(|_| empty_object()),
            href: format!("{api}/results/{}", self.id),
        }
    }
}

fn empty_object() -> &'static RawValue {
    serde_json::from_str("{}").expect("{} is JSON")
}

// ---------------------------------------------------------------------------
// The query language of GET /results, /results/latest, /testcases, /groups.

/// Paging bounds of a deployment. Upstream had no cap on `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    pub default: u64,
    pub max: u64,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits {
            default: 20,
            max: 1000,
        }
    }
}

/// A page request: 0-based `page`, `limit` capped to the deployment's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub limit: u64,
}

impl Page {
    pub fn offset(&self) -> u64 {
        self.page.saturating_mul(self.limit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// A filter on one data key: exact values and LIKE patterns, OR'ed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataFilter {
    pub key: String,
    pub values: Vec<String>,
    pub likes: Vec<String>,
}

/// Names matched exactly or by LIKE pattern, OR'ed (testcases, descriptions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameFilter {
    pub exact: Vec<String>,
    pub likes: Vec<String>,
}

impl NameFilter {
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.likes.is_empty()
    }
}

/// `GET /results` and `/results/latest` parameters, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultQuery {
    pub outcomes: Vec<String>,
    pub testcases: NameFilter,
    pub groups: Vec<String>,
    /// `submit_time >= start` and, when given, `<= end`.
    pub since: Option<(Timestamp, Option<Timestamp>)>,
    /// One filter per data key, AND'ed, in key order.
    pub data: Vec<DataFilter>,
    pub sort: SortOrder,
    pub distinct_on: Vec<String>,
    pub page: Page,
}

impl ResultQuery {
    /// True when nothing narrows the results (`_distinct_on` needs a filter).
    pub fn has_filter(&self) -> bool {
        !self.outcomes.is_empty()
            || !self.testcases.is_empty()
            || !self.groups.is_empty()
            || self.since.is_some()
            || !self.data.is_empty()
    }

    /// Parses query pairs (repeated keys allowed) with ResultsDB's rules: comma
    /// means OR, so does a repeated key; `*` in `:like` values is a wildcard;
    /// any key that is not a known parameter filters on a data key.
    pub fn from_pairs(
        pairs: &[(String, String)],
        outcomes: &Outcomes,
        limits: PageLimits,
    ) -> Result<ResultQuery, ModelError> {
        let mut q = ResultQuery {
            outcomes: Vec::new(),
            testcases: NameFilter::default(),
            groups: Vec::new(),
            since: None,
            data: Vec::new(),
            sort: SortOrder::default(),
            distinct_on: Vec::new(),
            page: parse_page(pairs, limits)?,
        };
        for (key, value) in pairs {
            check_text(key, value)?;
            check_text("parameter name", key)?;
            let items = || value.split(',').map(str::to_string);
            match key.as_str() {
                "page" | "limit" | "callback" | "_" => {}
                "outcome" => {
                    for o in value.split(',') {
                        q.outcomes.push(outcomes.parse(o)?.into_string());
                    }
                }
                "groups" => q.groups.extend(items()),
                "testcases" => q.testcases.exact.extend(items()),
                "testcases:like" => q.testcases.likes.extend(items().map(|v| glob_to_like(&v))),
                "since" => q.since = Some(parse_since(value)?),
                "_sort" => {
                    q.sort = if value == "asc:submit_time" {
                        SortOrder::OldestFirst
                    } else {
                        SortOrder::NewestFirst
                    }
                }
                "_distinct_on" => q.distinct_on.extend(items().filter(|k| !k.is_empty())),
                other => {
                    let (data_key, like) = match other.strip_suffix(":like") {
                        Some(k) => (k, true),
                        None => (other, false),
                    };
                    let filter = match q.data.iter_mut().position(|f| f.key == data_key) {
                        Some(i) => &mut q.data[i],
                        None => {
                            q.data.push(DataFilter {
                                key: data_key.to_string(),
                                ..Default::default()
                            });
                            q.data.last_mut().expect("just pushed")
                        }
                    };
                    if like {
                        filter.likes.extend(items().map(|v| glob_to_like(&v)));
                    } else {
                        filter.values.extend(items());
                    }
                }
            }
        }
        q.data.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(q)
    }
}

/// `GET /testcases` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestcaseQuery {
    pub names: NameFilter,
    pub page: Page,
}

impl TestcaseQuery {
    pub fn from_pairs(
        pairs: &[(String, String)],
        limits: PageLimits,
    ) -> Result<TestcaseQuery, ModelError> {
        let mut names = NameFilter::default();
        for (key, value) in pairs {
            check_text(key, value)?;
            match key.as_str() {
                "name" => names.exact.extend(value.split(',').map(str::to_string)),
                "name:like" => names.likes.extend(value.split(',').map(glob_to_like)),
                _ => {}
            }
        }
        Ok(TestcaseQuery {
            names,
            page: parse_page(pairs, limits)?,
        })
    }
}

/// `GET /groups` parameters. As upstream, `description:like` counts only when
/// no exact `description` is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupQuery {
    pub uuids: Vec<String>,
    pub descriptions: NameFilter,
    pub page: Page,
}

impl GroupQuery {
    pub fn from_pairs(
        pairs: &[(String, String)],
        limits: PageLimits,
    ) -> Result<GroupQuery, ModelError> {
        let mut uuids = Vec::new();
        let mut descriptions = NameFilter::default();
        for (key, value) in pairs {
            check_text(key, value)?;
            match key.as_str() {
                "uuid" => uuids.extend(value.split(',').map(str::to_string)),
                "description" => descriptions
                    .exact
                    .extend(value.split(',').map(str::to_string)),
                "description:like" => descriptions
                    .likes
                    .extend(value.split(',').map(glob_to_like)),
                _ => {}
            }
        }
        if !descriptions.exact.is_empty() {
            descriptions.likes.clear();
        }
        Ok(GroupQuery {
            uuids,
            descriptions,
            page: parse_page(pairs, limits)?,
        })
    }
}

fn parse_page(pairs: &[(String, String)], limits: PageLimits) -> Result<Page, ModelError> {
    let mut page = Page {
        page: 0,
        limit: limits.default,
    };
    for (key, value) in pairs {
        let field = key.as_str();
        if field != "page" && field != "limit" {
            continue;
        }
        let n: u64 = value.trim().parse().map_err(|_| {
            ModelError::new(
                field,
                format!("{field} must be a whole number of 0 or more, got '{value}'"),
            )
        })?;
        if field == "page" {
            page.page = n;
        } else {
            page.limit = n.clamp(1, limits.max);
        }
    }
    // Keep OFFSET within what both engines accept.
    if page.page.saturating_mul(page.limit) > i64::MAX as u64 / 2 {
        return Err(ModelError::new(
            "page",
            format!("page {} is out of range", page.page),
        ));
    }
    Ok(page)
}

/// `since`: a time, or `start,end`.
pub fn parse_since(value: &str) -> Result<(Timestamp, Option<Timestamp>), ModelError> {
    let bad = || {
        ModelError::new(
            "since",
            format!(
                "'since' parameter not in ISO8601 format: '{value}' (give a time, or 'start,end')"
            ),
        )
    };
    let mut parts = value.split(',');
    let start = parts
        .next()
        .and_then(Timestamp::parse_iso8601)
        .ok_or_else(bad)?;
    let end = match parts.next() {
        None => None,
        Some(e) => Some(Timestamp::parse_iso8601(e).ok_or_else(bad)?),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn result_body_as_resultsdb_api_sends_it() {
        let body = json!({
            "outcome": "passed", "testcase": {"name": "dist.rpmlint", "ref_url": ""},
            "groups": [{"uuid": "g1", "description": "source.koji"}, "g2"],
            "note": null, "ref_url": "https://ci/1", "_auth_token": null,
            "data": {"item": "foo-1.0-1.fc40", "type": "koji_build", "arch": ["x86_64", "noarch"], "scratch": false, "n": 3}
        });
        let r = NewResult::from_json(&body, &Outcomes::default()).unwrap();
        assert_eq!(r.outcome.as_str(), "PASSED");
        assert_eq!(r.testcase.name.as_str(), "dist.rpmlint");
        assert_eq!(r.testcase.ref_url.as_deref(), Some(""));
        assert_eq!(r.groups.len(), 2);
        assert_eq!(r.groups[1].uuid.as_deref(), Some("g2"));
        assert_eq!(r.note, None);
        assert_eq!(
            r.data_json(),
            r#"{"arch":["x86_64","noarch"],"item":["foo-1.0-1.fc40"],"n":["3"],"scratch":["False"],"type":["koji_build"]}"#
        );
    }

    #[test]
    fn result_body_errors_name_the_field() {
        let o = Outcomes::default();
        let cases = [
            (
                json!({"outcome": "PASSED"}),
                "testcase",
                "testcase is required",
            ),
            (json!({"testcase": "t"}), "outcome", "outcome is required"),
            (
                json!({"testcase": "", "outcome": "PASSED"}),
                "testcase.name",
                "non-empty",
            ),
            (
                json!({"testcase": {"ref_url": "x"}, "outcome": "PASSED"}),
                "testcase.name",
                "non-empty",
            ),
            (
                json!({"testcase": "t", "outcome": "MAYBE"}),
                "outcome",
                "not one of",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "data": {"a:b": 1}}),
                "data",
                "Colon not allowed in key name: ['a:b']",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "data": [1]}),
                "data",
                "must be an object",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "groups": "g"}),
                "groups",
                "must be a list",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "groups": [3]}),
                "groups[0]",
                "group uuid",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "note": 5}),
                "note",
                "must be a string",
            ),
            (
                json!({"testcase": "t", "outcome": "PASSED", "submit_time": "soon"}),
                "submit_time",
                "Expected timestamp",
            ),
            (
                json!({"testcase": "t\u{0}", "outcome": "PASSED"}),
                "testcase.name",
                "NUL",
            ),
            (json!([1, 2]), "body", "must be a JSON object"),
        ];
        for (body, field, text) in cases {
            let err = NewResult::from_json(&body, &o).unwrap_err();
            assert_eq!(err.field, field, "{body}");
            assert!(err.message.contains(text), "{body}: {}", err.message);
        }
    }

    #[test]
    fn query_pairs_follow_resultsdb_rules() {
        let q = ResultQuery::from_pairs(
            &pairs(&[
                ("item", "a,b"),
                ("item", "c"),
                ("type:like", "koji*"),
                ("outcome", "passed,FAILED"),
                ("testcases", "t1"),
                ("testcases:like", "dist.*"),
                ("since", "2024-01-01,2024-02-01"),
                ("_sort", "asc:submit_time"),
                ("page", "2"),
                ("limit", "5"),
                ("callback", "x"),
            ]),
            &Outcomes::default(),
            PageLimits::default(),
        )
        .unwrap();
        assert_eq!(q.outcomes, vec!["PASSED", "FAILED"]);
        assert_eq!(q.testcases.exact, vec!["t1"]);
        assert_eq!(q.testcases.likes, vec!["dist.%"]);
        assert_eq!(q.data.len(), 2);
        assert_eq!(q.data[0].key, "item");
        assert_eq!(q.data[0].values, vec!["a", "b", "c"]);
        assert_eq!(q.data[1].key, "type");
        assert_eq!(q.data[1].likes, vec!["koji%"]);
        assert_eq!(q.sort, SortOrder::OldestFirst);
        assert_eq!(q.page, Page { page: 2, limit: 5 });
        assert!(q.since.unwrap().1.is_some());
    }

    #[test]
    fn limit_is_capped_and_bad_numbers_refused() {
        let limits = PageLimits {
            default: 20,
            max: 100,
        };
        let q =
            ResultQuery::from_pairs(&pairs(&[("limit", "100000")]), &Outcomes::default(), limits)
                .unwrap();
        assert_eq!(q.page.limit, 100);
        let err = ResultQuery::from_pairs(&pairs(&[("page", "-1")]), &Outcomes::default(), limits)
            .unwrap_err();
        assert_eq!(err.field, "page");
        let err =
            ResultQuery::from_pairs(&pairs(&[("since", "June")]), &Outcomes::default(), limits)
                .unwrap_err();
        assert_eq!(err.field, "since");
        let err = ResultQuery::from_pairs(
            &pairs(&[("outcome", "PASSED,NOPE")]),
            &Outcomes::default(),
            limits,
        )
        .unwrap_err();
        assert_eq!(err.field, "outcome");
    }

    #[test]
    fn group_description_like_yields_to_exact() {
        let q = GroupQuery::from_pairs(
            &pairs(&[("description", "a"), ("description:like", "b*")]),
            PageLimits::default(),
        )
        .unwrap();
        assert_eq!(q.descriptions.exact, vec!["a"]);
        assert!(q.descriptions.likes.is_empty());
    }

    #[test]
    fn result_serialization_matches_resultsdb() {
        let r = StoredResult {
            id: 7,
            testcase: Testcase {
                name: "dist.rpm lint".into(),
                ref_url: None,
            },
            submit_time: Timestamp::from_civil(2016, 6, 1, 12, 0, 0, 0).unwrap(),
            outcome: "PASSED".into(),
            note: Some("".into()),
            ref_url: None,
            data_json: r#"{"item":["x"]}"#.into(),
            groups: vec!["g1".into()],
        };
        let v = serde_json::to_value(r.to_json("http://h/api/v2.0")).unwrap();
        assert_eq!(
            v,
            json!({"id": 7, "groups": ["g1"], "testcase": {"name": "dist.rpm lint", "ref_url": null,
                   "href": "http://h/api/v2.0/testcases/dist.rpm%20lint"},
                   "submit_time": "2016-06-01T12:00:00", "outcome": "PASSED", "note": "", "ref_url": null,
                   "data": {"item": ["x"]}, "href": "http://h/api/v2.0/results/7"})
        );
    }

    proptest! {
        #[test]
        fn any_json_body_is_accepted_or_refused_without_panic(s in "\\PC{0,200}") {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                let _ = NewResult::from_json(&v, &Outcomes::default());
            }
        }

        #[test]
        fn data_round_trips_through_json(keys in proptest::collection::vec("[a-z._]{1,8}", 0..6), vals in proptest::collection::vec("\\PC{0,10}", 0..6)) {
            let mut data = serde_json::Map::new();
            for (k, v) in keys.iter().zip(vals.iter()) {
                data.insert(k.clone(), Value::String(v.clone()));
            }
            let body = json!({"testcase": "t", "outcome": "PASSED", "data": data});
            if let Ok(r) = NewResult::from_json(&body, &Outcomes::default()) {
                let back: std::collections::BTreeMap<String, Vec<String>> = serde_json::from_str(&r.data_json()).unwrap();
                prop_assert_eq!(back.len(), data.len());
            }
        }
    }
}
