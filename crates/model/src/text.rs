//! Rules for free text that every store engine must be able to keep.

use crate::ModelError;

/// PostgreSQL cannot store a NUL character in `text`; refuse it at the edge so
/// both engines keep exactly the same data and no write fails half-way.
pub fn check_text(field: &str, value: &str) -> Result<(), ModelError> {
    if value.contains('\0') {
        return Err(ModelError::new(
            field,
            format!("{field} must not contain a NUL character"),
        ));
    }
    Ok(())
}

/// Turns a ResultsDB-style glob (`*` is any run of characters) into a SQL LIKE
/// pattern. As upstream, `%` and `_` keep their LIKE meaning.
pub fn glob_to_like(pattern: &str) -> String {
    pattern.replace('*', "%")
}

/// Python's `str()` of a JSON value, as ResultsDB stores non-string data values
/// (`True`, `None`, `{'a': 1}`), so results read back as they did upstream.
pub fn python_str(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                python_float(f)
            } else {
                n.to_string()
            }
        }
        Value::String(s) => python_quote(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_quote(k), python_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

fn python_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        let s = format!("{f:e}");
        // Rust writes 1e20 / 1.5e-7; Python writes 1e+20 / 1.5e-07.
        match s.split_once('e') {
            Some((mantissa, exp)) => {
                let (sign, digits) = match exp.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', exp),
                };
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

fn python_quote(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_str_matches_python_for_scalars_and_containers() {
        assert_eq!(python_str(&json!("x")), "x");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(5)), "5");
        assert_eq!(python_str(&json!(1.0)), "1.0");
        assert_eq!(python_str(&json!(1e20)), "1e+20");
        assert_eq!(
            python_str(&json!({"a": 1, "b": [true, "it's"]})),
            "{'a': 1, 'b': [True, \"it's\"]}"
        );
    }

    #[test]
    fn nul_is_refused_and_named() {
        let err = check_text("note", "a\0b").unwrap_err();
        assert_eq!(err.field, "note");
        assert!(err.message.contains("NUL"));
        assert!(check_text("note", "ordinary ☃").is_ok());
    }

    #[test]
    fn globs_become_like_patterns() {
        assert_eq!(glob_to_like("dist.*"), "dist.%");
        assert_eq!(glob_to_like("*.fc4*"), "%.fc4%");
    }
}
