//! Waivers, as WaiverDB API v1.0 takes and shows them: a person's statement
//! that a test result of a subject does not block it (or, with `waived`
//! false, no longer does). Waivers are never edited: a newer one for the same
//! subject, testcase and scenario supersedes the older.
//!
//! Also the rules of who may waive what: WaiverDB's permission mapping,
//! testcase globs to users and groups.

use crate::ModelError;
use crate::text::check_text;
use serde_json::{Map, Value, json};

/// A waiver as a client sends it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWaiver {
    pub subject_type: String,
    pub subject_identifier: String,
    pub testcase: String,
    pub scenario: Option<String>,
    pub product_version: String,
    pub waived: bool,
    pub comment: String,
    /// Set when the caller waives on behalf of this user (`proxied_by` is the caller).
    pub username: Option<String>,
}

fn string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ModelError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_text(field, s)?;
            Ok(Some(s.clone()))
        }
        Some(other) => Err(ModelError::new(
            field,
            format!("{field} must be a string, not {other}"),
        )),
    }
}

fn required(body: &Map<String, Value>, field: &str) -> Result<String, ModelError> {
    match string(body, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ModelError::new(
            field,
            format!("Missing required parameter: {field}"),
        )),
    }
}

/// `brew-build` is the same subject type as `koji_build`, as WaiverDB has it.
pub fn normalize_subject_type(t: &str) -> String {
    match t {
        "brew-build" => "koji_build".to_string(),
        other => other.to_string(),
    }
}

/// The (type, identifier) a legacy `subject` object names.
pub fn subject_of(subject: &Value) -> Result<(String, String), ModelError> {
    let bad = || {
        ModelError::new(
            "subject",
            "subject must be an object with type and item, original_spec_nvr, or productmd.compose.id",
        )
    };
    let o = subject.as_object().ok_or_else(bad)?;
    let get = |k: &str| o.get(k).and_then(Value::as_str);
    if let Some(id) = get("productmd.compose.id") {
        return Ok(("compose".into(), id.into()));
    }
    if let Some(nvr) = get("original_spec_nvr") {
        return Ok(("koji_build".into(), nvr.into()));
    }
    match (get("type"), get("item")) {
        (Some(t), Some(item)) => Ok((normalize_subject_type(t), item.into())),
        _ => Err(bad()),
    }
}

/// The legacy `subject` object of a (type, identifier), as WaiverDB derives it.
pub fn subject_json(subject_type: &str, identifier: &str) -> Value {
    if subject_type == "compose" {
        json!({ "productmd.compose.id": identifier })
    } else {
        json!({ "type": subject_type, "item": identifier })
    }
}

impl NewWaiver {
    /// Reads one waiver of a `POST /waivers/` body.
    pub fn from_json(value: &Value) -> Result<NewWaiver, ModelError> {
        let body = value
            .as_object()
            .ok_or_else(|| ModelError::new("body", "a waiver must be a JSON object"))?;
        if body.contains_key("result_id") {
            return Err(ModelError::new(
                "result_id",
                "result_id is resolved by the API before a waiver is read",
            ));
        }
        let (subject_type, subject_identifier) = match body.get("subject").filter(|s| !s.is_null())
        {
            Some(subject) => {
                if body.contains_key("subject_type") || body.contains_key("subject_identifier") {
                    return Err(ModelError::new(
                        "subject",
                        "give either subject or subject_type and subject_identifier, not both",
                    ));
                }
                subject_of(subject)?
            }
            None => (
                normalize_subject_type(&required(body, "subject_type")?),
                required(body, "subject_identifier")?,
            ),
        };
        let testcase = match string(body, "testcase")? {
            Some(t) if !t.is_empty() => t,
            _ => return Err(ModelError::new("testcase", "Argument testcase is missing")),
        };
        let waived = match body.get("waived") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(ModelError::new(
                    "waived",
                    format!("waived must be true or false, not {other}"),
                ));
            }
        };
        for key in body.keys() {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                return Err(ModelError::new(
                    key,
                    format!("unknown field {key}: use {}", KNOWN_FIELDS.join(", ")),
                ));
            }
        }
        Ok(NewWaiver {
            subject_type,
            subject_identifier,
            testcase,
            scenario: string(body, "scenario")?.filter(|s| !s.is_empty()),
            product_version: required(body, "product_version")?,
            waived,
            comment: required(body, "comment")?,
            username: string(body, "username")?.filter(|s| !s.is_empty()),
        })
    }
}

const KNOWN_FIELDS: [&str; 10] = [
    "subject_type",
    "subject_identifier",
    "subject",
    "testcase",
    "scenario",
    "product_version",
    "waived",
    "comment",
    "username",
    "proxied_by",
];

/// One entry of the permission mapping: who may waive the testcases its
/// globs match.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub name: String,
    #[serde(default)]
    pub maintainers: Vec<String>,
    pub testcases: Vec<String>,
    #[serde(default)]
    pub testcases_ignore: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
}

impl Permission {
    /// Whether this entry speaks of `testcase`.
    pub fn covers(&self, testcase: &str) -> bool {
        self.testcases.iter().any(|g| glob_match(g, testcase))
            && !self
                .testcases_ignore
                .iter()
                .any(|g| glob_match(g, testcase))
    }
}

/// Whether `user` (in `groups`) may waive `testcase` under `mapping`. An
/// empty mapping lets anyone who is signed in waive anything, as WaiverDB
/// does when no permissions are configured.
pub fn may_waive(mapping: &[Permission], testcase: &str, user: &str, groups: &[String]) -> bool {
    if mapping.is_empty() {
        return true;
    }
    mapping
        .iter()
        .filter(|p| p.covers(testcase))
        .any(|p| p.users.iter().any(|u| u == user) || p.groups.iter().any(|g| groups.contains(g)))
}

/// fnmatch: `*` any run, `?` one character, `[abc]` / `[!abc]` / `[a-z]` a set.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, t[ti])
                        && matched
                    {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A `[...]` class at `p[start]`: whether `c` is in it, and where the
/// pattern goes on; `None` when the bracket does not close (a literal `[`).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        return if p[start] == c {
            Some((true, start + 1))
        } else {
            None
        };
    }
    Some((matched != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiver_is_read_from_its_fields_or_a_legacy_subject() {
        let w = NewWaiver::from_json(&json!({
            "subject_type": "brew-build", "subject_identifier": "bash-5.2-1.fc41",
            "testcase": "dist.rpmdeplint", "product_version": "fedora-41", "comment": "flaky",
        }))
        .unwrap();
        assert_eq!(w.subject_type, "koji_build");
        assert!(w.waived, "waived defaults to true");
        assert_eq!(w.scenario, None);
        let w = NewWaiver::from_json(&json!({
            "subject": {"productmd.compose.id": "Fedora-41-20261101.n.0"},
            "testcase": "compose.install", "product_version": "fedora-41", "comment": "known",
            "waived": false, "scenario": "fedora.Server.x86_64",
        }))
        .unwrap();
        assert_eq!(
            (
                w.subject_type.as_str(),
                w.subject_identifier.as_str(),
                w.waived
            ),
            ("compose", "Fedora-41-20261101.n.0", false)
        );
        assert_eq!(
            subject_json("compose", "X"),
            json!({"productmd.compose.id": "X"})
        );
    }

    #[test]
    fn a_bad_waiver_names_its_field() {
        let field = |v: Value| NewWaiver::from_json(&v).unwrap_err().field;
        let base = json!({"subject_type": "koji_build", "subject_identifier": "a-1-1",
                          "testcase": "t", "product_version": "fedora-41", "comment": "c"});
        let without = |k: &str| {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove(k);
            v
        };
        assert_eq!(field(without("testcase")), "testcase");
        assert_eq!(field(without("product_version")), "product_version");
        assert_eq!(field(without("comment")), "comment");
        assert_eq!(field(without("subject_type")), "subject_type");
        assert_eq!(field(without("subject_identifier")), "subject_identifier");
        let mut v = base.clone();
        v["waived"] = json!("yes");
        assert_eq!(field(v), "waived");
        let mut v = base.clone();
        v["subject"] = json!({"type": "koji_build", "item": "a-1-1"});
        assert_eq!(field(v), "subject");
        let mut v = base;
        v["colour"] = json!("red");
        assert_eq!(field(v), "colour");
    }

    #[test]
    fn globs_match_as_fnmatch() {
        assert!(glob_match("dist.*", "dist.rpmdeplint"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("dist.*", "fedora-ci.koji-build"));
        assert!(glob_match(
            "fedora-ci.koji-build.tier?.functional",
            "fedora-ci.koji-build.tier0.functional"
        ));
        assert!(glob_match("compose.[a-c]*", "compose.base_selinux"));
        assert!(!glob_match("compose.[!a-c]*", "compose.base_selinux"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("[", "["));
    }

    #[test]
    fn permissions_follow_testcase_globs_users_and_groups() {
        let mapping = vec![
            Permission {
                name: "QA".into(),
                testcases: vec!["dist.*".into(), "compose.*".into()],
                testcases_ignore: vec!["compose.secret".into()],
                groups: vec!["qa".into()],
                ..Default::default()
            },
            Permission {
                name: "CI".into(),
                testcases: vec!["fedora-ci.*".into()],
                users: vec!["ci-bot".into()],
                ..Default::default()
            },
        ];
        assert!(may_waive(
            &mapping,
            "dist.abicheck",
            "alice",
            &["qa".into()]
        ));
        assert!(!may_waive(
            &mapping,
            "dist.abicheck",
            "bob",
            &["packager".into()]
        ));
        assert!(!may_waive(
            &mapping,
            "compose.secret",
            "alice",
            &["qa".into()]
        ));
        assert!(may_waive(&mapping, "fedora-ci.koji-build", "ci-bot", &[]));
        assert!(!may_waive(&mapping, "other.test", "alice", &["qa".into()]));
        assert!(may_waive(&[], "anything", "anyone", &[]));
    }
}
