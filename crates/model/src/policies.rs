//! Gating policies in Greenwave's YAML format: documents tagged `!Policy`,
//! with `!PassingTestCaseRule` and `!RemoteRule` rules. Errors name the
//! file and the line of the document (or of the YAML fault).
//!
//! Beyond Greenwave, a policy may say `component_groups: [ring 0, ring 1]`:
//! it then applies only to subjects whose package is a component of one of
//! those groups in the release the decision is asked for (rings).

use serde_norway::Value;
use std::fmt;

/// A policy file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    pub id: String,
    pub product_versions: Vec<String>,
    /// Greenwave shows the first under `decision_context` too.
    pub decision_contexts: Vec<String>,
    pub subject_type: String,
    pub rules: Vec<Rule>,
    pub excluded_packages: Vec<String>,
    pub packages: Vec<String>,
    pub relevance_key: Option<String>,
    pub relevance_value: Option<String>,
    /// Almanac's: the component groups (by description) the policy is for.
    pub component_groups: Vec<String>,
    /// The file it came from.
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "rule")]
pub enum Rule {
    PassingTestCaseRule {
        test_case_name: String,
        scenario: Option<String>,
    },
    RemoteRule {
        required: bool,
        sources: Option<Vec<String>>,
    },
}

impl Policy {
    /// Greenwave's JSON of a policy (`GET /api/v1.0/policies`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "product_versions": self.product_versions,
            "decision_context": self.decision_contexts.first(),
            "decision_contexts": self.decision_contexts,
            "subject_type": self.subject_type,
            "rules": self.rules,
            "excluded_packages": self.excluded_packages,
            "packages": self.packages,
            "relevance_key": self.relevance_key,
            "relevance_value": self.relevance_value,
            "component_groups": self.component_groups,
        })
    }
}

/// Reads every `!Policy` document of one policy file.
pub fn parse_policies(file: &str, text: &str) -> Result<Vec<Policy>, PolicyError> {
    parse(file, text, false)
}

/// Reads a package's `gating.yaml` (a `!RemoteRule`'s policies): `id`,
/// `product_versions` (`*`) and `subject_type` (`koji_build`) may be left
/// out, and a `!RemoteRule` may not appear.
pub fn parse_remote_policies(file: &str, text: &str) -> Result<Vec<Policy>, PolicyError> {
    parse(file, text, true)
}

fn parse(file: &str, text: &str, remote: bool) -> Result<Vec<Policy>, PolicyError> {
    let mut out = Vec::new();
    for (line, doc) in documents(text) {
        let err = |offset: usize, message: String| PolicyError {
            file: file.to_string(),
            line: line + offset,
            message,
        };
        let blank = |l: &str| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---"
        };
        if doc.lines().all(blank) {
            continue;
        }
        let value: Value = serde_norway::from_str(&doc).map_err(|e| {
            let offset = e.location().map_or(0, |l| l.line().saturating_sub(1));
            err(offset, format!("not valid YAML: {e}"))
        })?;
        let Value::Tagged(tagged) = value else {
            return Err(err(0, "a policy document must be tagged !Policy".into()));
        };
        if tagged.tag != "Policy" {
            return Err(err(
                0,
                format!("unknown document tag {}: use !Policy", tagged.tag),
            ));
        }
        out.push(policy(&tagged.value, file, remote).map_err(|m| err(0, m))?);
    }
    Ok(out)
}

/// The documents of a YAML stream, each with the line (1-based) its `---`
/// stands on (1 for text before the first).
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs: Vec<(usize, String)> = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            docs.push((i + 1, String::new()));
        }
        if let Some((_, doc)) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs
}

const POLICY_KEYS: [&str; 11] = [
    "id",
    "product_versions",
    "decision_context",
    "decision_contexts",
    "subject_type",
    "rules",
    "excluded_packages",
    "packages",
    "relevance_key",
    "relevance_value",
    "component_groups",
];

fn text(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{what} must be a string, not {}", kind(other))),
    }
}

fn list(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items.iter().map(|i| text(i, what)).collect(),
        Some(other) => Err(format!("{what} must be a list, not {}", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn policy(v: &Value, file: &str, remote: bool) -> Result<Policy, String> {
    let Value::Mapping(m) = v else {
        return Err("a !Policy must be a mapping".into());
    };
    let mut keys = Vec::new();
    for k in m.keys() {
        let k = text(k, "a key")?;
        if !POLICY_KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown key {k} in a policy: use {}",
                POLICY_KEYS.join(", ")
            ));
        }
        keys.push(k);
    }
    let get = |k: &str| m.get(Value::String(k.to_string()));
    let id = match get("id") {
        Some(v) => text(v, "id")?,
        None if remote => "remote".to_string(),
        None => return Err("a policy needs an id".into()),
    };
    let named = |m: String| format!("policy {id}: {m}");
    let mut product_versions = list(get("product_versions"), "product_versions").map_err(named)?;
    if product_versions.is_empty() && remote {
        product_versions.push("*".into());
    }
    if product_versions.is_empty() {
        return Err(named("product_versions is required".into()));
    }
    let decision_contexts = match (get("decision_context"), get("decision_contexts")) {
        (Some(one), None) => vec![text(one, "decision_context").map_err(named)?],
        (None, Some(many)) => list(Some(many), "decision_contexts").map_err(named)?,
        (Some(_), Some(_)) => {
            return Err(named(
                "give decision_context or decision_contexts, not both".into(),
            ));
        }
        (None, None) => {
            return Err(named(
                "decision_context (or decision_contexts) is required".into(),
            ));
        }
    };
    let subject_type = match get("subject_type") {
        Some(v) => text(v, "subject_type").map_err(named)?,
        None if remote => "koji_build".to_string(),
        None => return Err(named("subject_type is required".into())),
    };
    let rules = match get("rules") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let r = rule(r).map_err(|m| named(format!("rule {}: {m}", i + 1)))?;
                if remote && matches!(r, Rule::RemoteRule { .. }) {
                    return Err(named(format!(
                        "rule {}: a gating.yaml may not hold a !RemoteRule",
                        i + 1
                    )));
                }
                Ok(r)
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(named(format!("rules must be a list, not {}", kind(other)))),
    };
    let opt = |k: &str| -> Result<Option<String>, String> {
        get(k)
            .filter(|v| !v.is_null())
            .map(|v| text(v, k))
            .transpose()
    };
    Ok(Policy {
        product_versions,
        decision_contexts,
        subject_type,
        rules,
        excluded_packages: list(get("excluded_packages"), "excluded_packages").map_err(named)?,
        packages: list(get("packages"), "packages").map_err(named)?,
        relevance_key: opt("relevance_key").map_err(named)?,
        relevance_value: opt("relevance_value").map_err(named)?,
        component_groups: list(get("component_groups"), "component_groups").map_err(named)?,
        source: file.to_string(),
        id,
    })
}

fn rule(v: &Value) -> Result<Rule, String> {
    let Value::Tagged(t) = v else {
        return Err("a rule must be tagged !PassingTestCaseRule or !RemoteRule".into());
    };
    let empty = serde_norway::Mapping::new();
    let m = match &t.value {
        Value::Mapping(m) => m,
        Value::Null => &empty,
        other => return Err(format!("a rule must be a mapping, not {}", kind(other))),
    };
    let get = |k: &str| m.get(Value::String(k.to_string()));
    let allow = |allowed: &[&str]| -> Result<(), String> {
        for k in m.keys() {
            let k = text(k, "a key")?;
            if !allowed.contains(&k.as_str()) {
                return Err(format!("unknown key {k}: use {}", allowed.join(", ")));
            }
        }
        Ok(())
    };
    if t.tag == "PassingTestCaseRule" {
        allow(&["test_case_name", "scenario", "valid_since", "valid_until"])?;
        Ok(Rule::PassingTestCaseRule {
            test_case_name: text(
                get("test_case_name").ok_or("test_case_name is required")?,
                "test_case_name",
            )?,
            scenario: get("scenario")
                .filter(|v| !v.is_null())
                .map(|v| text(v, "scenario"))
                .transpose()?,
        })
    } else if t.tag == "RemoteRule" {
        allow(&["required", "sources"])?;
        let required = match get("required") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "required must be true or false, not {}",
                    kind(other)
                ));
            }
        };
        let sources = match get("sources") {
            None | Some(Value::Null) => None,
            some => Some(list(some, "sources")?),
        };
        Ok(Rule::RemoteRule { required, sources })
    } else {
        Err(format!(
            "unknown rule {}: use !PassingTestCaseRule or !RemoteRule",
            t.tag
        ))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::PassingTestCaseRule { test_case_name, .. } => {
                write!(f, "PassingTestCaseRule({test_case_name})")
            }
            Rule::RemoteRule { .. } => f.write_str("RemoteRule"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
--- !Policy
id: "taskotron_release_critical_tasks"
product_versions:
  - fedora-*
decision_context: bodhi_update_push_stable
subject_type: koji_build
excluded_packages: [python2-*]
rules:
  - !PassingTestCaseRule {test_case_name: dist.abicheck}
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint, scenario: null}
--- !Policy
id: ring0
product_versions: [fedora-41]
decision_contexts: [bodhi_update_push_testing, bodhi_update_push_stable]
subject_type: koji_build
component_groups: [ring 0]
rules:
  - !RemoteRule {required: true}
"#;

    #[test]
    fn greenwave_policies_are_read() {
        let p = parse_policies("fedora.yaml", FILE).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id, "taskotron_release_critical_tasks");
        assert_eq!(p[0].decision_contexts, ["bodhi_update_push_stable"]);
        assert_eq!(p[0].excluded_packages, ["python2-*"]);
        assert_eq!(
            p[0].rules[1],
            Rule::PassingTestCaseRule {
                test_case_name: "dist.rpmdeplint".into(),
                scenario: None
            }
        );
        assert_eq!(p[1].component_groups, ["ring 0"]);
        assert_eq!(
            p[1].rules,
            [Rule::RemoteRule {
                required: true,
                sources: None
            }]
        );
        assert_eq!(p[1].to_json()["rules"][0]["rule"], "RemoteRule");
    }

    #[test]
    fn a_bad_policy_names_its_file_and_line() {
        let bad = FILE.replace(
            "subject_type: koji_build\ncomponent_groups",
            "subject_typo: koji_build\ncomponent_groups",
        );
        let err = parse_policies("fedora.yaml", &bad).unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("fedora.yaml", 12));
        assert!(err.message.contains("unknown key subject_typo"), "{err}");
        let err = parse_policies("x.yaml", "--- !Policy\nid: a\n  bad: [indent\n").unwrap_err();
        assert_eq!(err.file, "x.yaml");
        assert!(err.message.starts_with("not valid YAML"), "{err}");
        assert!(err.line >= 2, "{err}");
        let err = parse_policies("x.yaml", "--- !Policy\nid: a\nproduct_versions: [f]\ndecision_context: c\nsubject_type: s\nrules:\n  - !PackageSpecificBuild {}\n").unwrap_err();
        assert!(
            err.message.contains("unknown rule !PackageSpecificBuild"),
            "{err}"
        );
        let err = parse_policies("x.yaml", "--- !Nope\nid: a\n").unwrap_err();
        assert!(err.message.contains("unknown document tag"), "{err}");
        let err = parse_policies(
            "x.yaml",
            "--- !Policy\nid: a\nproduct_versions: [f]\nsubject_type: s\n",
        )
        .unwrap_err();
        assert!(err.message.contains("decision_context"), "{err}");
    }
}
