//! Result outcomes: ResultsDB's four preset outcomes plus those a deployment adds.

use crate::ModelError;

/// The outcomes every ResultsDB knows.
pub const PRESET_OUTCOMES: [&str; 4] = ["PASSED", "INFO", "FAILED", "NEEDS_INSPECTION"];
/// Added by default: CI reports queued, running and errored tests with them, and
/// gating (Greenwave's rules) tells them apart from failures.
pub const DEFAULT_EXTRA_OUTCOMES: [&str; 3] = ["QUEUED", "RUNNING", "ERROR"];

/// A valid outcome, upper-case, one of the configured set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Outcome(String);

impl Outcome {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The set of outcomes this deployment accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcomes {
    all: Vec<String>,
}

impl Default for Outcomes {
    fn default() -> Self {
        let extra: Vec<String> = DEFAULT_EXTRA_OUTCOMES
            .iter()
            .map(|s| s.to_string())
            .collect();
        Outcomes::with_extra(&extra).expect("default outcomes are valid")
    }
}

impl Outcomes {
    /// The presets plus `extra`; each extra must be upper-case letters, digits
    /// and underscores.
    pub fn with_extra(extra: &[String]) -> Result<Outcomes, ModelError> {
        let mut all: Vec<String> = PRESET_OUTCOMES.iter().map(|s| s.to_string()).collect();
        for o in extra {
            let valid = !o.is_empty()
                && o.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(ModelError::new(
                    "outcomes",
                    format!("extra outcome '{o}' must be upper-case letters, digits or '_'"),
                ));
            }
            if !all.contains(o) {
                all.push(o.clone());
            }
        }
        Ok(Outcomes { all })
    }

    pub fn all(&self) -> &[String] {
        &self.all
    }

    /// Parses as ResultsDB does: surrounding white space is dropped and the
    /// value upper-cased before it is checked.
    pub fn parse(&self, raw: &str) -> Result<Outcome, ModelError> {
        let candidate = raw.trim().to_uppercase();
        if candidate.is_empty() {
            return Err(ModelError::new("outcome", "outcome must not be empty"));
        }
        if self.all.contains(&candidate) {
            Ok(Outcome(candidate))
        } else {
            Err(ModelError::new(
                "outcome",
                format!(
                    "outcome '{}' is not one of {}",
                    raw.trim(),
                    self.all.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_trimmed_and_upper_cased() {
        let o = Outcomes::default();
        assert_eq!(o.parse(" passed ").unwrap().as_str(), "PASSED");
        assert_eq!(
            o.parse("Needs_Inspection").unwrap().as_str(),
            "NEEDS_INSPECTION"
        );
        assert_eq!(o.parse("error").unwrap().as_str(), "ERROR");
    }

    #[test]
    fn unknown_outcome_names_value_and_choices() {
        let err = Outcomes::default().parse("MAYBE").unwrap_err();
        assert_eq!(err.field, "outcome");
        assert_eq!(
            err.message,
            "outcome 'MAYBE' is not one of PASSED, INFO, FAILED, NEEDS_INSPECTION, QUEUED, RUNNING, ERROR"
        );
    }

    #[test]
    fn extra_outcomes_are_configurable_and_checked() {
        let o = Outcomes::with_extra(&["ABORTED".into()]).unwrap();
        assert!(o.parse("aborted").is_ok());
        assert!(o.parse("queued").is_err());
        assert!(Outcomes::with_extra(&["bad one".into()]).is_err());
    }
}
