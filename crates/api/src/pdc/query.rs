//! PDC's query conventions: strict parameters (an unknown one is a 400),
//! repeated parameters OR'ed, `ordering`, `page` (1-based) and `page_size`
//! (`-1`: everything, unpaginated), `fields` and `exclude_fields`.

use super::error::PdcError;
use axum::http::Uri;

/// PDC's page size cap. Almanac keeps it, so a client sees the same pages.
pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// A list request, parsed and checked against what the resource accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Filter name and its values (OR'ed), in the order first given.
    pub filters: Vec<(String, Vec<String>)>,
    /// Ordering keys, `-` for descending.
    pub ordering: Vec<String>,
    /// `None` when `page_size` is 0 or less: the whole list, bare.
    pub page: Option<(u64, u64)>,
    pub fields: Vec<String>,
    pub exclude_fields: Vec<String>,
    /// Almanac's root URL as the client sees it, for absolute links in
    /// objects (`rpm_mapping_template`); empty gives relative ones.
    pub base_url: String,
}

impl ListQuery {
    /// The values of one filter (empty when not given).
    pub fn values(&self, name: &str) -> &[String] {
        self.filters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// A boolean filter: `true/t/1`, `false/f/0`, any case.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, PdcError> {
        match self.values(name).first() {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| PdcError::bad_request(format!("{v} is not a valid boolean value"))),
        }
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// Query pairs, decoded, in order.
pub fn pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Parameters any list accepts besides the resource's filters.
const COMMON: [&str; 5] = ["ordering", "page", "page_size", "fields", "exclude_fields"];

/// Checks every parameter against `filters` and `ordering_keys` and parses
/// the list request.
pub fn parse_list(
    pairs: &[(String, String)],
    filters: &[&str],
    ordering_keys: &[&str],
) -> Result<ListQuery, PdcError> {
    check_known(pairs, filters)?;
    let mut q = ListQuery::default();
    let mut page = 1u64;
    let mut size = DEFAULT_PAGE_SIZE as i64;
    for (key, value) in pairs {
        match key.as_str() {
            "page" => {
                page = value.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
                    PdcError::detail(axum::http::StatusCode::NOT_FOUND, "Invalid page.")
                })?;
            }
            // A page size that is not a number means the default, as in PDC.
            "page_size" => size = value.trim().parse().unwrap_or(DEFAULT_PAGE_SIZE as i64),
            "ordering" => {
                for k in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    let bare = k.trim_start_matches('-');
                    if !ordering_keys.contains(&bare) {
                        return Err(PdcError::bad_request(format!(
                            "Unknown query key: ['{bare}'] not in fields: [{}]",
                            ordering_keys
                                .iter()
                                .map(|k| format!("'{k}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    q.ordering.push(k.to_string());
                }
            }
            "fields" => q.fields.extend(
                value
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            ),
            "exclude_fields" => q.exclude_fields.extend(
                value
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            ),
            name => {
                if value.is_empty() {
                    continue;
                }
                match q.filters.iter_mut().find(|(n, _)| n == name) {
                    Some((_, values)) => values.push(value.clone()),
                    None => q.filters.push((name.to_string(), vec![value.clone()])),
                }
            }
        }
    }
    q.page = (size > 0).then(|| (page, (size as u64).min(MAX_PAGE_SIZE)));
    Ok(q)
}

/// Refuses parameters the endpoint does not know, as PDC does.
pub fn check_known(pairs: &[(String, String)], filters: &[&str]) -> Result<(), PdcError> {
    let mut unknown: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !filters.contains(k) && !COMMON.contains(k))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(PdcError::bad_request(format!(
            "Unknown query params: {}.",
            unknown.join(", ")
        )))
    }
}

/// Keeps the `fields` and drops the `exclude_fields` of each object.
pub fn select_fields(
    items: &mut [serde_json::Value],
    q: &ListQuery,
    known: &[&str],
) -> Result<(), PdcError> {
    for (param, names) in [("fields", &q.fields), ("exclude_fields", &q.exclude_fields)] {
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| !known.contains(n))
            .collect();
        if !unknown.is_empty() {
            return Err(PdcError::bad_request(format!(
                "Unknown fields in \"{param}\" filter: {}",
                unknown.join(", ")
            )));
        }
    }
    if q.fields.is_empty() && q.exclude_fields.is_empty() {
        return Ok(());
    }
    for item in items {
        if let Some(obj) = item.as_object_mut() {
            if !q.fields.is_empty() {
                obj.retain(|k, _| q.fields.iter().any(|f| f == k));
            }
            for f in &q.exclude_fields {
                obj.remove(f);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unknown_params_are_refused_sorted() {
        let err = parse_list(
            &p(&[("zeta", "1"), ("name", "x"), ("alpha", "2")]),
            &["name"],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err.body,
            serde_json::json!({"detail": "Unknown query params: alpha, zeta."})
        );
    }

    #[test]
    fn repeated_params_are_ored_and_pages_parsed() {
        let q = parse_list(
            &p(&[
                ("name", "a"),
                ("name", "b"),
                ("page", "2"),
                ("page_size", "500"),
                ("ordering", "-name"),
            ]),
            &["name"],
            &["name"],
        )
        .unwrap();
        assert_eq!(q.values("name"), ["a", "b"]);
        assert_eq!(q.page, Some((2, MAX_PAGE_SIZE)));
        assert_eq!(q.ordering, vec!["-name"]);
        assert_eq!(
            parse_list(&p(&[("page_size", "-1")]), &[], &[])
                .unwrap()
                .page,
            None
        );
        assert_eq!(
            parse_list(&p(&[("page_size", "x")]), &[], &[])
                .unwrap()
                .page,
            Some((1, 20))
        );
        assert!(parse_list(&p(&[("ordering", "nope")]), &[], &["name"]).is_err());
    }

    #[test]
    fn booleans_parse_as_pdc_does() {
        let q = parse_list(&p(&[("active", "T")]), &["active"], &[]).unwrap();
        assert_eq!(q.boolean("active").unwrap(), Some(true));
        let q = parse_list(&p(&[("active", "maybe")]), &["active"], &[]).unwrap();
        assert_eq!(
            q.boolean("active").unwrap_err().body,
            serde_json::json!({"detail": "maybe is not a valid boolean value"})
        );
    }
}
