//! Gating decisions as Greenwave makes them, pure: given the policies, the
//! subjects with their latest results, their waivers and their component
//! groups, which policies apply, each requirement satisfied or not (and why:
//! the result or waiver behind it), and Greenwave's summary sentence.

use crate::policies::{Policy, Rule, parse_remote_policies};
use crate::waivers::glob_match;
use serde_json::{Value, json};

/// A subject of a decision: a Koji build (NVR), a compose, an update...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub subject_type: String,
    pub identifier: String,
}

/// One latest result of a subject (per testcase, scenario, arch, variant).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultFact {
    pub id: i64,
    pub testcase: String,
    pub outcome: String,
    pub scenario: Option<String>,
    pub system_architecture: Option<String>,
    pub system_variant: Option<String>,
    pub error_reason: Option<String>,
}

/// One waiver in force (the newest of its subject, testcase and scenario).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverFact {
    pub id: i64,
    pub testcase: String,
    pub scenario: Option<String>,
    pub waived: bool,
}

/// What a `!RemoteRule` found for a subject (its package's `gating.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteGating {
    /// No gating.yaml (or none looked for).
    Missing { sources: Vec<String> },
    /// One was found but could not be read.
    Invalid { source: String, details: String },
    /// A source did not answer (a server error, a time-out): not waivable.
    FailedFetch { sources: Vec<String>, error: String },
    /// Its text, and where it came from.
    Found { source: String, text: String },
}

/// Everything known of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFacts {
    pub subject: Subject,
    pub results: Vec<ResultFact>,
    pub waivers: Vec<WaiverFact>,
    /// The component groups (descriptions) its package is in, in the
    /// release of the product version asked about.
    pub groups: Vec<String>,
    pub remote: Option<RemoteGating>,
}

/// What a decision answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub policies_satisfied: bool,
    pub summary: String,
    pub applicable_policies: Vec<String>,
    pub satisfied_requirements: Vec<Value>,
    pub unsatisfied_requirements: Vec<Value>,
}

impl Decision {
    pub fn to_json(&self) -> Value {
        json!({
            "policies_satisfied": self.policies_satisfied,
            "summary": self.summary,
            "applicable_policies": self.applicable_policies,
            "satisfied_requirements": self.satisfied_requirements,
            "unsatisfied_requirements": self.unsatisfied_requirements,
        })
    }
}

/// The subject types Almanac knows, Greenwave's and its own `image` (an
/// image of a compose, by file name: results with `item` the file name and
/// `type` `image`): `(id, aliases)`.
pub const SUBJECT_TYPES: [(&str, &[&str]); 6] = [
    ("bodhi_update", &[]),
    ("compose", &[]),
    ("image", &[]),
    ("koji_build", &["brew-build"]),
    ("redhat-container-image", &[]),
    ("redhat-module", &[]),
];

/// The type's canonical id (`brew-build` is `koji_build`).
pub fn canonical_type(t: &str) -> &str {
    SUBJECT_TYPES
        .iter()
        .find(|(id, aliases)| *id == t || aliases.contains(&t))
        .map_or(t, |(id, _)| id)
}

/// Whether a type's subjects are NVRs (their package name gates packages lists).
pub fn is_nvr(t: &str) -> bool {
    matches!(canonical_type(t), "koji_build" | "redhat-container-image")
}

/// A type whose subjects need no policy (Greenwave's `ignore_missing_policy`).
pub fn ignores_missing_policy(t: &str) -> bool {
    canonical_type(t) == "bodhi_update"
}

/// The package name of an NVR: all but its last two dash-separated parts.
pub fn package_of(nvr: &str) -> &str {
    nvr.rsplitn(3, '-').nth(2).unwrap_or(nvr)
}

/// The legacy `item` of a subject, as Greenwave shows it.
pub fn item_of(s: &Subject) -> Value {
    match canonical_type(&s.subject_type) {
        "compose" => json!({"productmd.compose.id": s.identifier}),
        "koji_build" => json!({"type": "koji_build", "item": s.identifier}),
        t => json!({"type": t, "item": s.identifier}),
    }
}

/// The policies that apply to `subject` for these contexts and product version.
fn applicable<'p>(
    policies: &'p [Policy],
    contexts: &[String],
    product_version: &str,
    facts: &SubjectFacts,
) -> Vec<&'p Policy> {
    let t = canonical_type(&facts.subject.subject_type);
    policies
        .iter()
        .filter(|p| p.decision_contexts.iter().any(|c| contexts.contains(c)))
        .filter(|p| {
            p.product_versions
                .iter()
                .any(|g| glob_match(g, product_version))
        })
        .filter(|p| canonical_type(&p.subject_type) == t)
        .filter(|p| {
            p.component_groups.is_empty()
                || p.component_groups.iter().any(|g| facts.groups.contains(g))
        })
        // A `packages` allowlist: the policy is for those packages only.
        .filter(|p| {
            p.packages.is_empty()
                || !is_nvr(t)
                || p.packages
                    .iter()
                    .any(|g| glob_match(g, package_of(&facts.subject.identifier)))
        })
        .collect()
}

/// A decision for `subjects`; `Err` names what had no applicable policy.
pub fn decide(
    policies: &[Policy],
    contexts: &[String],
    product_version: &str,
    subjects: &[SubjectFacts],
) -> Result<Decision, String> {
    let mut applicable_ids: Vec<String> = Vec::new();
    let mut answers: Vec<Answer> = Vec::new();
    for facts in subjects {
        let found = applicable(policies, contexts, product_version, facts);
        if found.is_empty() && !ignores_missing_policy(&facts.subject.subject_type) {
            return Err(format!(
                "Found no applicable policies for {} subjects at gating point(s) {} in {}",
                facts.subject.subject_type,
                contexts.join(", "),
                product_version
            ));
        }
        for p in found {
            if !applicable_ids.contains(&p.id) {
                applicable_ids.push(p.id.clone());
            }
            answers.extend(policy_answers(p, contexts, product_version, facts));
        }
    }
    let satisfied: Vec<Value> = answers
        .iter()
        .filter(|a| a.satisfied)
        .map(|a| a.json.clone())
        .collect();
    let unsatisfied: Vec<Value> = answers
        .iter()
        .filter(|a| !a.satisfied)
        .map(|a| a.json.clone())
        .collect();
    Ok(Decision {
        policies_satisfied: unsatisfied.is_empty(),
        summary: summarize(&answers),
        applicable_policies: applicable_ids,
        satisfied_requirements: satisfied,
        unsatisfied_requirements: unsatisfied,
    })
}

#[derive(Debug, Clone)]
struct Answer {
    satisfied: bool,
    /// Counts as a required test (not an exclusion or a fetched gating.yaml).
    test: bool,
    kind: &'static str,
    json: Value,
}

fn policy_answers(
    p: &Policy,
    contexts: &[String],
    product_version: &str,
    facts: &SubjectFacts,
) -> Vec<Answer> {
    let s = &facts.subject;
    if is_nvr(&s.subject_type) {
        let package = package_of(&s.identifier);
        if p.excluded_packages.iter().any(|g| glob_match(g, package)) {
            return vec![Answer {
                satisfied: true,
                test: false,
                kind: "excluded",
                json: json!({"type": "excluded", "subject_identifier": s.identifier, "policy": p.id, "source": p.source}),
            }];
        }
    }
    let mut out = Vec::new();
    for rule in &p.rules {
        match rule {
            Rule::PassingTestCaseRule {
                test_case_name,
                scenario,
            } => out.extend(test_answers(
                test_case_name,
                scenario.as_deref(),
                &p.source,
                facts,
            )),
            Rule::RemoteRule { required, .. } => {
                out.extend(remote_answers(*required, contexts, product_version, facts))
            }
        }
    }
    out
}

fn remote_answers(
    required: bool,
    contexts: &[String],
    product_version: &str,
    facts: &SubjectFacts,
) -> Vec<Answer> {
    let s = &facts.subject;
    match &facts.remote {
        None => Vec::new(),
        Some(RemoteGating::Missing { sources }) if required => vec![Answer {
            satisfied: false,
            test: true,
            kind: "missing-gating-yaml",
            json: json!({"type": "missing-gating-yaml", "testcase": "missing-gating-yaml",
                         "subject_type": s.subject_type, "subject_identifier": s.identifier,
                         "scenario": null, "sources": sources, "item": item_of(s)}),
        }],
        Some(RemoteGating::Missing { .. }) => Vec::new(),
        Some(RemoteGating::Invalid { source, details }) => vec![invalid(s, source, details)],
        Some(RemoteGating::FailedFetch { sources, error }) => vec![Answer {
            satisfied: false,
            test: true,
            kind: "failed-fetch-gating-yaml",
            json: json!({"type": "failed-fetch-gating-yaml", "testcase": "failed-fetch-gating-yaml",
                         "subject_type": s.subject_type, "subject_identifier": s.identifier,
                         "scenario": null, "sources": sources, "error": error}),
        }],
        Some(RemoteGating::Found { source, text }) => match parse_remote_policies(source, text) {
            Err(e) => vec![invalid(s, source, &e.to_string())],
            Ok(remote) => {
                let mut out = vec![Answer {
                    satisfied: true,
                    test: false,
                    kind: "fetched-gating-yaml",
                    json: json!({"type": "fetched-gating-yaml", "testcase": "fetched-gating-yaml",
                                 "subject_type": s.subject_type, "subject_identifier": s.identifier,
                                 "source": source}),
                }];
                for p in remote.iter().filter(|p| {
                    p.decision_contexts.iter().any(|c| contexts.contains(c))
                        && p.product_versions
                            .iter()
                            .any(|g| glob_match(g, product_version))
                }) {
                    for rule in &p.rules {
                        if let Rule::PassingTestCaseRule {
                            test_case_name,
                            scenario,
                        } = rule
                        {
                            out.extend(test_answers(
                                test_case_name,
                                scenario.as_deref(),
                                source,
                                facts,
                            ));
                        }
                    }
                }
                out
            }
        },
    }
}

fn invalid(s: &Subject, source: &str, details: &str) -> Answer {
    Answer {
        satisfied: false,
        test: true,
        kind: "invalid-gating-yaml",
        json: json!({"type": "invalid-gating-yaml", "testcase": "invalid-gating-yaml",
                     "subject_type": s.subject_type, "subject_identifier": s.identifier,
                     "scenario": null, "source": source, "details": details}),
    }
}

fn test_answers(
    testcase: &str,
    scenario: Option<&str>,
    source: &str,
    facts: &SubjectFacts,
) -> Vec<Answer> {
    let s = &facts.subject;
    let matching: Vec<&ResultFact> = facts
        .results
        .iter()
        .filter(|r| r.testcase == testcase)
        .filter(|r| scenario.is_none_or(|sc| r.scenario.as_deref() == Some(sc)))
        .collect();
    let base = |scenario: Option<&str>| {
        json!({"testcase": testcase, "subject_type": s.subject_type,
               "subject_identifier": s.identifier, "source": source, "scenario": scenario})
    };
    let mut out = Vec::new();
    if matching.is_empty() {
        let mut j = base(scenario);
        j["type"] = json!("test-result-missing");
        j["item"] = item_of(s);
        out.push(waivable(
            j,
            "test-result-missing",
            testcase,
            scenario,
            facts,
        ));
    }
    for r in matching {
        let mut j = base(r.scenario.as_deref());
        j["result_id"] = json!(r.id);
        j["system_architecture"] = json!(r.system_architecture);
        j["system_variant"] = json!(r.system_variant);
        let kind = match r.outcome.as_str() {
            "PASSED" | "INFO" => {
                j["type"] = json!("test-result-passed");
                out.push(Answer {
                    satisfied: true,
                    test: true,
                    kind: "test-result-passed",
                    json: j,
                });
                continue;
            }
            "QUEUED" | "RUNNING" => "test-result-missing",
            "ERROR" => {
                j["error_reason"] = json!(r.error_reason);
                "test-result-errored"
            }
            _ => "test-result-failed",
        };
        j["type"] = json!(kind);
        j["item"] = item_of(s);
        out.push(waivable(j, kind, testcase, r.scenario.as_deref(), facts));
    }
    out
}

/// An unsatisfied answer, or its waived form when a waiver in force covers it.
fn waivable(
    mut j: Value,
    kind: &'static str,
    testcase: &str,
    scenario: Option<&str>,
    facts: &SubjectFacts,
) -> Answer {
    let waiver = facts.waivers.iter().find(|w| {
        w.waived
            && w.testcase == testcase
            && (w.scenario.is_none() || w.scenario.as_deref() == scenario)
    });
    match waiver {
        Some(w) => {
            j["type"] = json!(format!("{kind}-waived"));
            j["waiver_id"] = json!(w.id);
            if let Some(o) = j.as_object_mut() {
                o.remove("item");
            }
            Answer {
                satisfied: true,
                test: true,
                kind,
                json: j,
            }
        }
        None => Answer {
            satisfied: false,
            test: true,
            kind,
            json: j,
        },
    }
}

/// Greenwave's summary sentence.
fn summarize(answers: &[Answer]) -> String {
    let tests: Vec<&Answer> = answers.iter().filter(|a| a.test).collect();
    if tests.is_empty() {
        return "no tests are required".into();
    }
    if answers.iter().all(|a| a.satisfied) {
        return "All required tests passed".into();
    }
    let open: Vec<&&Answer> = tests.iter().filter(|a| !a.satisfied).collect();
    let count = |kinds: &[&str]| open.iter().filter(|a| kinds.contains(&a.kind)).count();
    let errored = count(&["test-result-errored"]);
    let failed = count(&[
        "test-result-failed",
        "invalid-gating-yaml",
        "failed-fetch-gating-yaml",
    ]) + errored;
    let missing = count(&["test-result-missing", "missing-gating-yaml"]);
    let total = tests.len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut summary = match (failed, missing) {
        (0, 0) => return "inexplicable result".into(),
        (f, 0) => format!("{f} of {total} required tests failed"),
        (0, m) => format!("{m} of {total} required test results missing"),
        (f, m) => format!(
            "{f} of {total} required tests failed, {m} result{} missing",
            plural(m)
        ),
    };
    if errored > 0 {
        summary.push_str(&format!(" ({errored} error{})", plural(errored)));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies() -> Vec<Policy> {
        crate::policies::parse_policies(
            "fedora.yaml",
            r#"
--- !Policy
id: all-builds
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
excluded_packages: [python2-*]
rules:
  - !PassingTestCaseRule {test_case_name: dist.abicheck}
--- !Policy
id: ring0
product_versions: [fedora-41]
decision_context: bodhi_update_push_stable
subject_type: koji_build
component_groups: [ring 0]
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
--- !Policy
id: remote
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
packages: [systemd]
rules:
  - !RemoteRule {required: true}
"#,
        )
        .unwrap()
    }

    fn facts(nvr: &str, results: &[(&str, &str)]) -> SubjectFacts {
        SubjectFacts {
            subject: Subject {
                subject_type: "koji_build".into(),
                identifier: nvr.into(),
            },
            results: results
                .iter()
                .enumerate()
                .map(|(i, (t, o))| ResultFact {
                    id: i as i64 + 1,
                    testcase: t.to_string(),
                    outcome: o.to_string(),
                    ..Default::default()
                })
                .collect(),
            waivers: Vec::new(),
            groups: Vec::new(),
            remote: None,
        }
    }

    fn ctx() -> Vec<String> {
        vec!["bodhi_update_push_stable".into()]
    }

    fn types(d: &Decision) -> Vec<String> {
        d.unsatisfied_requirements
            .iter()
            .chain(&d.satisfied_requirements)
            .map(|a| a["type"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn missing_failed_errored_and_passing_answers_with_greenwave_summaries() {
        let p = policies();
        let d = decide(&p, &ctx(), "fedora-41", &[facts("bash-5.2-1.fc41", &[])]).unwrap();
        assert!(!d.policies_satisfied);
        assert_eq!(d.summary, "1 of 1 required test results missing");
        assert_eq!(d.applicable_policies, ["all-builds"]);
        assert_eq!(
            d.unsatisfied_requirements[0]["item"],
            json!({"type": "koji_build", "item": "bash-5.2-1.fc41"})
        );
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[facts("bash-5.2-1.fc41", &[("dist.abicheck", "FAILED")])],
        )
        .unwrap();
        assert_eq!(
            (d.summary.as_str(), types(&d)[0].as_str()),
            ("1 of 1 required tests failed", "test-result-failed")
        );
        assert_eq!(d.unsatisfied_requirements[0]["result_id"], 1);
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[facts("bash-5.2-1.fc41", &[("dist.abicheck", "ERROR")])],
        )
        .unwrap();
        assert_eq!(d.summary, "1 of 1 required tests failed (1 error)");
        assert_eq!(types(&d), ["test-result-errored"]);
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[facts("bash-5.2-1.fc41", &[("dist.abicheck", "RUNNING")])],
        )
        .unwrap();
        assert_eq!(types(&d), ["test-result-missing"]);
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[facts("bash-5.2-1.fc41", &[("dist.abicheck", "PASSED")])],
        )
        .unwrap();
        assert!(d.policies_satisfied);
        assert_eq!(d.summary, "All required tests passed");
        assert_eq!(types(&d), ["test-result-passed"]);
    }

    #[test]
    fn a_waiver_in_force_satisfies_and_a_revoked_one_does_not() {
        let p = policies();
        let mut f = facts("bash-5.2-1.fc41", &[("dist.abicheck", "FAILED")]);
        f.waivers.push(WaiverFact {
            id: 7,
            testcase: "dist.abicheck".into(),
            scenario: None,
            waived: true,
        });
        let d = decide(&p, &ctx(), "fedora-41", std::slice::from_ref(&f)).unwrap();
        assert!(d.policies_satisfied);
        assert_eq!(
            d.satisfied_requirements[0]["type"],
            "test-result-failed-waived"
        );
        assert_eq!(d.satisfied_requirements[0]["waiver_id"], 7);
        assert!(d.satisfied_requirements[0].get("item").is_none());
        f.waivers[0].waived = false;
        assert!(
            !decide(&p, &ctx(), "fedora-41", &[f])
                .unwrap()
                .policies_satisfied
        );
    }

    #[test]
    fn wildcards_rings_exclusions_and_several_subjects() {
        let p = policies();
        // fedora-* covers fedora-42; ring0's policy names fedora-41 only.
        let mut core = facts("glibc-2.40-1.fc41", &[("dist.abicheck", "PASSED")]);
        core.groups.push("ring 0".into());
        let d = decide(&p, &ctx(), "fedora-41", std::slice::from_ref(&core)).unwrap();
        assert_eq!(d.applicable_policies, ["all-builds", "ring0"]);
        assert_eq!(d.summary, "1 of 2 required test results missing");
        let d = decide(&p, &ctx(), "fedora-42", &[core]).unwrap();
        assert_eq!(d.applicable_policies, ["all-builds"]);
        // Excluded packages are satisfied as such.
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[facts("python2-six-1.16-1.fc41", &[])],
        )
        .unwrap();
        assert!(d.policies_satisfied);
        assert_eq!(types(&d), ["excluded"]);
        assert_eq!(d.summary, "no tests are required");
        // Several subjects: every one's requirements.
        let d = decide(
            &p,
            &ctx(),
            "fedora-41",
            &[
                facts("bash-5.2-1.fc41", &[("dist.abicheck", "PASSED")]),
                facts("zsh-5.9-1.fc41", &[("dist.abicheck", "FAILED")]),
            ],
        )
        .unwrap();
        assert_eq!(d.satisfied_requirements.len(), 1);
        assert_eq!(
            d.unsatisfied_requirements[0]["subject_identifier"],
            "zsh-5.9-1.fc41"
        );
        // No policy for composes in this context.
        let compose = SubjectFacts {
            subject: Subject {
                subject_type: "compose".into(),
                identifier: "Fedora-41-20261101.n.0".into(),
            },
            ..facts("x-1-1", &[])
        };
        assert_eq!(
            decide(&p, &ctx(), "fedora-41", &[compose]).unwrap_err(),
            "Found no applicable policies for compose subjects at gating point(s) bodhi_update_push_stable in fedora-41"
        );
        // A type that needs none.
        let update = SubjectFacts {
            subject: Subject {
                subject_type: "bodhi_update".into(),
                identifier: "FEDORA-2026-1".into(),
            },
            ..facts("x-1-1", &[])
        };
        let d = decide(&p, &ctx(), "fedora-41", &[update]).unwrap();
        assert_eq!(
            (d.policies_satisfied, d.summary.as_str()),
            (true, "no tests are required")
        );
    }

    #[test]
    fn remote_rules_read_the_package_gating_yaml() {
        let p = policies();
        let mut f = facts("systemd-256-1.fc41", &[("dist.abicheck", "PASSED")]);
        f.remote = Some(RemoteGating::Missing {
            sources: vec!["/srv/gating/systemd.yaml".into()],
        });
        let d = decide(&p, &ctx(), "fedora-41", std::slice::from_ref(&f)).unwrap();
        assert_eq!(d.unsatisfied_requirements[0]["type"], "missing-gating-yaml");
        f.remote = Some(RemoteGating::Found {
            source: "systemd.yaml".into(),
            text: "--- !Policy\ndecision_context: bodhi_update_push_stable\nrules:\n  - !PassingTestCaseRule {test_case_name: systemd.unit}\n".into(),
        });
        let d = decide(&p, &ctx(), "fedora-41", std::slice::from_ref(&f)).unwrap();
        let t = types(&d);
        assert!(
            t.contains(&"fetched-gating-yaml".to_string())
                && t.contains(&"test-result-missing".to_string()),
            "{t:?}"
        );
        assert_eq!(d.summary, "1 of 2 required test results missing");
        f.remote = Some(RemoteGating::Found {
            source: "systemd.yaml".into(),
            text: "--- !Policy\nid: [\n".into(),
        });
        let d = decide(&p, &ctx(), "fedora-41", &[f]).unwrap();
        assert_eq!(d.unsatisfied_requirements[0]["type"], "invalid-gating-yaml");
    }

    #[test]
    fn package_names_come_from_nvrs() {
        assert_eq!(
            package_of("python-requests-2.32.3-1.fc41"),
            "python-requests"
        );
        assert_eq!(package_of("bash"), "bash");
        assert_eq!(canonical_type("brew-build"), "koji_build");
    }
}

/// The subject a result is about, as Greenwave reads it from the result's
/// data (`{"key": ["value"]}`): a compose by `productmd.compose.id`, a build
/// by `original_spec_nvr` or by `item` and `type`.
pub fn subject_of_result(data: &Value) -> Option<Subject> {
    let first = |k: &str| data.get(k).and_then(|v| v.get(0)).and_then(Value::as_str);
    if let Some(id) = first("productmd.compose.id") {
        return Some(Subject {
            subject_type: "compose".into(),
            identifier: id.into(),
        });
    }
    if let Some(nvr) = first("original_spec_nvr") {
        return Some(Subject {
            subject_type: "koji_build".into(),
            identifier: nvr.into(),
        });
    }
    match (first("item"), first("type")) {
        (Some(item), Some(t)) => Some(Subject {
            subject_type: canonical_type(t).to_string(),
            identifier: item.into(),
        }),
        _ => None,
    }
}

/// The product version a subject belongs to, guessed as Greenwave guesses
/// it: `.fc41` builds are `fedora-41`, `.el9` ones `rhel-9`, compose
/// `Fedora-41-...` is `fedora-41`.
pub fn product_version_of(s: &Subject) -> Option<String> {
    if canonical_type(&s.subject_type) == "compose" {
        let mut parts = s.identifier.split('-');
        let (name, version) = (parts.next()?, parts.next()?);
        return Some(format!(
            "{}-{}",
            name.to_lowercase(),
            version.to_lowercase()
        ));
    }
    let release = s.identifier.rsplit('-').next()?;
    let dist = release.rsplit('.').next()?;
    if let Some(v) = dist
        .strip_prefix("fc")
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty())
    {
        return Some(format!("fedora-{v}"));
    }
    if let Some(v) = dist
        .strip_prefix("el")
        .filter(|v| !v.is_empty() && v.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    {
        let major: String = v.chars().take_while(char::is_ascii_digit).collect();
        return Some(format!("rhel-{major}"));
    }
    None
}

/// The decision contexts of the policies that could apply to a subject of
/// this type in this product version.
pub fn contexts_for(policies: &[Policy], subject_type: &str, product_version: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in policies {
        if canonical_type(&p.subject_type) == canonical_type(subject_type)
            && p.product_versions
                .iter()
                .any(|g| glob_match(g, product_version))
        {
            for c in &p.decision_contexts {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
    }
    out
}

/// Whether two decisions differ in what a consumer acts on: satisfied or
/// not, the summary, and which requirements are unsatisfied.
pub fn changed(before: &Decision, after: &Decision) -> bool {
    let key = |d: &Decision| {
        d.unsatisfied_requirements
            .iter()
            .map(|r| {
                (
                    r["type"].to_string(),
                    r["testcase"].to_string(),
                    r["scenario"].to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    before.policies_satisfied != after.policies_satisfied
        || before.summary != after.summary
        || key(before) != key(after)
}

#[cfg(test)]
mod guess_tests {
    use super::*;

    fn s(t: &str, id: &str) -> Subject {
        Subject {
            subject_type: t.into(),
            identifier: id.into(),
        }
    }

    #[test]
    fn subjects_and_product_versions_are_guessed_as_greenwave_does() {
        assert_eq!(
            product_version_of(&s("koji_build", "bash-5.2-1.fc41")).as_deref(),
            Some("fedora-41")
        );
        assert_eq!(
            product_version_of(&s("koji_build", "bash-5.1-7.el9_4")).as_deref(),
            Some("rhel-9")
        );
        assert_eq!(
            product_version_of(&s("compose", "Fedora-41-20261101.n.0")).as_deref(),
            Some("fedora-41")
        );
        assert_eq!(product_version_of(&s("koji_build", "foo-1-1")), None);
        let data = json!({"item": ["bash-5.2-1.fc41"], "type": ["brew-build"]});
        assert_eq!(
            subject_of_result(&data),
            Some(s("koji_build", "bash-5.2-1.fc41"))
        );
        let data = json!({"productmd.compose.id": ["Fedora-41-20261101.n.0"], "item": ["x"]});
        assert_eq!(subject_of_result(&data).unwrap().subject_type, "compose");
        assert_eq!(subject_of_result(&json!({"item": ["x"]})), None);
    }
}
