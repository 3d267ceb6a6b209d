//! The audit's arithmetic: what a source says against what Almanac holds,
//! both as maps from a normalised key to a normalised value, and the status
//! the differences earn under thresholds (nagios' codes).

use serde::Serialize;
use std::collections::BTreeMap;

/// How a source's drift is judged, nagios-style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    /// The source did not answer: nothing is known of it.
    Unknown,
}

impl Status {
    /// nagios' exit code.
    pub fn code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// The worst of several: what a whole report exits with (UNKNOWN only
    /// when nothing worse is known, as nagios ranks it below CRITICAL).
    pub fn worst(all: impl IntoIterator<Item = Status>) -> Status {
        let rank = |s: Status| match s {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        };
        all.into_iter()
            .max_by_key(|s| rank(*s))
            .unwrap_or(Status::Ok)
    }
}

/// One value that differs: the key, the field, and both sides' values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub key: String,
    pub field: String,
    pub almanac: String,
    pub source: String,
}

/// What differs between a source and Almanac.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// In the source, not in Almanac.
    pub missing: Vec<String>,
    /// In Almanac, not in the source.
    pub extra: Vec<String>,
    /// In both, with different values.
    pub differ: Vec<Difference>,
}

impl Drift {
    /// Compares the two sides key by key (both sorted, so the lists are
    /// too); the values are those of `field`.
    pub fn between(
        field: &str,
        source: &BTreeMap<String, String>,
        almanac: &BTreeMap<String, String>,
    ) -> Drift {
        let mut d = Drift::default();
        for (k, v) in source {
            match almanac.get(k) {
                None => d.missing.push(k.clone()),
                Some(ours) if ours != v => d.differ.push(Difference {
                    key: k.clone(),
                    field: field.to_string(),
                    almanac: ours.clone(),
                    source: v.clone(),
                }),
                Some(_) => {}
            }
        }
        d.extra = almanac
            .keys()
            .filter(|k| !source.contains_key(*k))
            .cloned()
            .collect();
        d
    }

    pub fn count(&self) -> usize {
        self.missing.len() + self.extra.len() + self.differ.len()
    }
}

/// The numbers of differences from which a source is WARNING and CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub warning: usize,
    pub critical: usize,
}

impl Default for Thresholds {
    /// Any difference warns; a hundred are critical.
    fn default() -> Self {
        Thresholds {
            warning: 1,
            critical: 100,
        }
    }
}

impl Thresholds {
    pub fn status(&self, differences: usize) -> Status {
        if differences >= self.critical.max(1) {
            Status::Critical
        } else if differences >= self.warning.max(1) {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn drift_is_missing_extra_and_different_values() {
        let source = map(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let ours = map(&[("b", "2"), ("c", "30"), ("d", "4")]);
        let d = Drift::between("n", &source, &ours);
        assert_eq!(d.missing, ["a"]);
        assert_eq!(d.extra, ["d"]);
        assert_eq!(
            d.differ,
            [Difference {
                key: "c".into(),
                field: "n".into(),
                almanac: "30".into(),
                source: "3".into()
            }]
        );
        assert_eq!(d.count(), 3);
        assert_eq!(Drift::between("n", &source, &source).count(), 0);
    }

    #[test]
    fn thresholds_and_the_worst_status() {
        let t = Thresholds {
            warning: 2,
            critical: 5,
        };
        assert_eq!(t.status(0), Status::Ok);
        assert_eq!(t.status(1), Status::Ok);
        assert_eq!(t.status(2), Status::Warning);
        assert_eq!(t.status(5), Status::Critical);
        assert_eq!(Thresholds::default().status(1), Status::Warning);
        assert_eq!(
            Status::worst([Status::Ok, Status::Unknown]),
            Status::Unknown
        );
        assert_eq!(
            Status::worst([Status::Unknown, Status::Warning]),
            Status::Warning
        );
        assert_eq!(Status::worst([]), Status::Ok);
        assert_eq!(Status::Critical.code(), 2);
    }
}
