//! Strategies shared by the property tests of the parsers (model) and of
//! the bus bodies (ingest, which includes this file by path).

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, a few levels deep.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `doc` with the value at one place (the `pick`th, depth first) replaced.
pub fn replace_one(doc: &Value, pick: usize, with: &Value) -> Value {
    fn walk(v: &mut Value, n: &mut usize, with: &Value) -> bool {
        if *n == 0 {
            *v = with.clone();
            return true;
        }
        *n -= 1;
        match v {
            Value::Object(o) => o.values_mut().any(|c| walk(c, n, with)),
            Value::Array(a) => a.iter_mut().any(|c| walk(c, n, with)),
            _ => false,
        }
    }
    let mut out = doc.clone();
    let mut n = pick;
    walk(&mut out, &mut n, with);
    out
}
