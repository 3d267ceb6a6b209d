//! Query strings of the native API: strict, as the compatible APIs are.

use super::NativeError;
use axum::http::Uri;
use std::collections::BTreeMap;

/// A query string's pairs, refusing names not in `allowed` and repeats of
/// any but the `repeatable`.
pub fn pairs(
    uri: &Uri,
    allowed: &[&str],
    repeatable: &[&str],
) -> Result<BTreeMap<String, Vec<String>>, NativeError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(NativeError::bad(
                &k,
                format!("unknown parameter '{k}': use {}", allowed.join(", ")),
            ));
        }
        let values = out.entry(k.to_string()).or_default();
        if !values.is_empty() && !repeatable.contains(&k.as_ref()) {
            return Err(NativeError::bad(&k, format!("'{k}' is given twice")));
        }
        values.push(v.to_string());
    }
    Ok(out)
}

pub fn one<'a>(p: &'a BTreeMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    p.get(name).and_then(|v| v.first()).map(String::as_str)
}
