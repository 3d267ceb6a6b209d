//! XML-RPC, as koji's hub speaks it: a call encoded from JSON values, and a
//! response (or fault) decoded into JSON values. Pure: the transport is
//! the caller's.
//!
//! Koji's dialect: `<nil/>` for None (it runs with `allow_none`), `<i8>`
//! for large integers, and keyword arguments passed as a last struct
//! holding `"__starstar": true` (see [`kwargs`]).

use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// A fault the server answered, or a response that is not XML-RPC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    #[error("fault {code}: {message}")]
    Fault { code: i64, message: String },
    #[error("not an XML-RPC response: {0}")]
    Malformed(String),
}

/// Keyword arguments in koji's encoding: a struct marked `__starstar`.
pub fn kwargs(pairs: &[(&str, Value)]) -> Value {
    let mut m: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    m.insert("__starstar".into(), Value::Bool(true));
    Value::Object(m)
}

/// The body of a call of `method` with `params`.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    escape_into(&mut out, method);
    out.push_str("</methodName><params>");
    for p in params {
        out.push_str("<param>");
        encode_value(&mut out, p);
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    out
}

/// The body of a response answering `value` (what a server sends; the
/// tests' servers and this module's round trips use it).
pub fn encode_response(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse><params><param>");
    encode_value(&mut out, value);
    out.push_str("</param></params></methodResponse>\n");
    out
}

fn encode_value(out: &mut String, v: &Value) {
    out.push_str("<value>");
    match v {
        Value::Null => out.push_str("<nil/>"),
        Value::Bool(b) => {
            let _ = write!(out, "<boolean>{}</boolean>", u8::from(*b));
        }
        Value::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => {
                let _ = write!(out, "<int>{i}</int>");
            }
            Some(i) => {
                let _ = write!(out, "<i8>{i}</i8>");
            }
            None => {
                let _ = write!(out, "<double>{}</double>", n.as_f64().unwrap_or(0.0));
            }
        },
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for i in items {
                encode_value(out, i);
            }
            out.push_str("</data></array>");
        }
        Value::Object(m) => {
            out.push_str("<struct>");
            for (k, v) in m {
                out.push_str("<member><name>");
                escape_into(out, k);
                out.push_str("</name>");
                encode_value(out, v);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>");
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The value a response answers, or its fault.
pub fn decode_response(xml: &str) -> Result<Value, RpcError> {
    let bad = |m: &str| RpcError::Malformed(m.to_string());
    let doc = roxmltree::Document::parse(xml).map_err(|e| RpcError::Malformed(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "methodResponse" {
        return Err(bad("the root element is not methodResponse"));
    }
    let first = elements(root)
        .next()
        .ok_or_else(|| bad("an empty methodResponse"))?;
    match first.tag_name().name() {
        "params" => {
            let value = elements(first)
                .next()
                .and_then(|param| elements(param).next())
                .ok_or_else(|| bad("a response without a value"))?;
            decode_value(value)
        }
        "fault" => {
            let value = elements(first)
                .next()
                .ok_or_else(|| bad("a fault without a value"))?;
            let fault = decode_value(value)?;
            Err(RpcError::Fault {
                code: fault.get("faultCode").and_then(Value::as_i64).unwrap_or(0),
                message: fault
                    .get("faultString")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        other => Err(RpcError::Malformed(format!("unexpected <{other}>"))),
    }
}

/// The method and params of a call (what a server reads).
pub fn decode_call(xml: &str) -> Result<(String, Vec<Value>), RpcError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| RpcError::Malformed(e.to_string()))?;
    let root = doc.root_element();
    let mut method = None;
    let mut params = Vec::new();
    for e in elements(root) {
        match e.tag_name().name() {
            "methodName" => method = Some(e.text().unwrap_or_default().trim().to_string()),
            "params" => {
                for p in elements(e) {
                    if let Some(v) = elements(p).next() {
                        params.push(decode_value(v)?);
                    }
                }
            }
            _ => {}
        }
    }
    Ok((
        method.ok_or_else(|| RpcError::Malformed("a call without a methodName".into()))?,
        params,
    ))
}

fn elements<'a>(
    node: roxmltree::Node<'a, 'a>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> + 'a {
    node.children().filter(roxmltree::Node::is_element)
}

/// All the text under a node (a string may be split by entities).
fn text(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(roxmltree::Node::is_text)
        .filter_map(|t| t.text())
        .collect()
}

fn decode_value(value: roxmltree::Node) -> Result<Value, RpcError> {
    let Some(typed) = elements(value).next() else {
        // A bare <value>text</value> is a string.
        return Ok(Value::String(text(value)));
    };
    let malformed = |what: &str, got: &str| RpcError::Malformed(format!("bad {what}: {got:?}"));
    let name = typed.tag_name().name();
    Ok(match name {
        "string" => Value::String(text(typed)),
        "int" | "i4" | "i8" => {
            let t = text(typed);
            Value::Number(
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| malformed(name, &t))?
                    .into(),
            )
        }
        "boolean" => Value::Bool(matches!(text(typed).trim(), "1" | "true")),
        "double" => {
            let t = text(typed);
            let f: f64 = t.trim().parse().map_err(|_| malformed(name, &t))?;
            Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        "nil" => Value::Null,
        "dateTime.iso8601" | "base64" => Value::String(text(typed).trim().to_string()),
        "array" => {
            let data = elements(typed).next();
            let mut items = Vec::new();
            if let Some(data) = data {
                for v in elements(data) {
                    items.push(decode_value(v)?);
                }
            }
            Value::Array(items)
        }
        "struct" => {
            let mut m = Map::new();
            for member in elements(typed) {
                let mut key = None;
                let mut val = Value::Null;
                for part in elements(member) {
                    match part.tag_name().name() {
                        "name" => key = Some(text(part)),
                        "value" => val = decode_value(part)?,
                        _ => {}
                    }
                }
                if let Some(k) = key {
                    m.insert(k, val);
                }
            }
            Value::Object(m)
        }
        other => return Err(RpcError::Malformed(format!("unknown type <{other}>"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_call_and_its_values_round_trip() {
        let params = vec![
            json!(123),
            json!(5_000_000_000i64),
            json!("a <b> & c"),
            json!(null),
            json!(true),
            json!(1.5),
            json!([1, "two", {"three": [3]}]),
            kwargs(&[("buildID", json!(42))]),
        ];
        let xml = encode_call("listRPMs", &params);
        assert!(xml.contains("<i8>5000000000</i8>"), "{xml}");
        assert!(xml.contains("a &lt;b&gt; &amp; c"), "{xml}");
        let (method, back) = decode_call(&xml).unwrap();
        assert_eq!(method, "listRPMs");
        assert_eq!(back, params);
        assert_eq!(back[7]["__starstar"], json!(true));
    }

    #[test]
    fn responses_decode_as_python_xmlrpc_writes_them() {
        // The shape Python's xmlrpc.client.dumps writes (koji's hub uses it).
        let xml = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>id</name>\n<value><int>7</int></value>\n</member>\n<member>\n<name>name</name>\n<value><string>bash</string></value>\n</member>\n<member>\n<name>epoch</name>\n<value><nil/></value></member>\n<member>\n<name>bare</name>\n<value>text &amp; more</value></member>\n<member>\n<name>size</name>\n<value><i8>8589934592</i8></value></member>\n<member>\n<name>when</name>\n<value><dateTime.iso8601>20240101T12:00:00</dateTime.iso8601></value></member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let v = decode_response(xml).unwrap();
        assert_eq!(
            v,
            json!([{"id": 7, "name": "bash", "epoch": null, "bare": "text & more",
                    "size": 8_589_934_592i64, "when": "20240101T12:00:00"}])
        );
        assert_eq!(decode_response(&encode_response(&v)).unwrap(), v);
    }

    #[test]
    fn a_fault_is_an_error_with_its_code_and_text() {
        let xml = "<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1000</int></value></member><member><name>faultString</name><value><string>koji.GenericError: No such build</string></value></member></struct></value></fault></methodResponse>";
        assert_eq!(
            decode_response(xml),
            Err(RpcError::Fault {
                code: 1000,
                message: "koji.GenericError: No such build".into()
            })
        );
        assert!(matches!(
            decode_response("<html>502</html>"),
            Err(RpcError::Malformed(_))
        ));
        assert!(matches!(
            decode_response("not xml"),
            Err(RpcError::Malformed(_))
        ));
    }
}
