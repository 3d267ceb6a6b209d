//! Walking parsed JSON while keeping the path to where we are, so an error can
//! say `payload.variants.Server.arches` instead of "invalid type"; and the
//! `header` block that opens every productmd file.

use serde_json::{Map, Value};

use super::ProductmdError;

/// The header versions this reader understands. productmd 1.x wrote all
/// three; the payloads differ only in details handled where they matter.
pub(super) const VERSIONS: [&str; 3] = ["1.0", "1.1", "1.2"];

/// A JSON value and the path that leads to it in the file `file`.
#[derive(Debug, Clone)]
pub(super) struct Node<'a> {
    file: &'static str,
    path: String,
    value: &'a Value,
}

impl<'a> Node<'a> {
    /// The whole document.
    pub(super) fn root(file: &'static str, value: &'a Value) -> Node<'a> {
        Node {
            file,
            path: String::new(),
            value,
        }
    }

    /// A value found in the middle of a file (the rpms stream hands over the
    /// small objects it reads whole), named by its path.
    pub(super) fn at(file: &'static str, path: String, value: &'a Value) -> Node<'a> {
        Node { file, path, value }
    }

    /// An error about this value.
    pub(super) fn error(&self, message: impl Into<String>) -> ProductmdError {
        let place = if self.path.is_empty() {
            "top level".to_string()
        } else {
            self.path.clone()
        };
        ProductmdError::new(self.file, place, message)
    }

    fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        Node {
            file: self.file,
            path: join_key(&self.path, key),
            value,
        }
    }

    fn object(&self) -> Result<&'a Map<String, Value>, ProductmdError> {
        self.value
            .as_object()
            .ok_or_else(|| self.wrong_type("an object"))
    }

    /// A field that must be there and not be `null`.
    pub(super) fn field(&self, key: &str) -> Result<Node<'a>, ProductmdError> {
        self.opt_field(key)?.ok_or_else(|| {
            ProductmdError::new(
                self.file,
                join_key(&self.path, key),
                "required field is missing",
            )
        })
    }

    /// A field that may be absent; `null` counts as absent, as in productmd.
    pub(super) fn opt_field(&self, key: &str) -> Result<Option<Node<'a>>, ProductmdError> {
        Ok(self
            .object()?
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| self.child(key, v)))
    }

    /// The members of an object, in the file's order.
    pub(super) fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, ProductmdError> {
        Ok(self
            .object()?
            .iter()
            .map(|(k, v)| (k.as_str(), self.child(k, v)))
            .collect())
    }

    /// The items of an array.
    pub(super) fn items(&self) -> Result<Vec<Node<'a>>, ProductmdError> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.wrong_type("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Node {
                file: self.file,
                path: format!("{}[{i}]", self.path),
                value: v,
            })
            .collect())
    }

    pub(super) fn str(&self) -> Result<&'a str, ProductmdError> {
        self.value
            .as_str()
            .ok_or_else(|| self.wrong_type("a string"))
    }

    pub(super) fn string(&self) -> Result<String, ProductmdError> {
        self.str().map(str::to_string)
    }

    /// A string that must not be empty.
    pub(super) fn text(&self) -> Result<String, ProductmdError> {
        let s = self.str()?;
        if s.is_empty() {
            return Err(self.error("must not be empty"));
        }
        Ok(s.to_string())
    }

    pub(super) fn bool(&self) -> Result<bool, ProductmdError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.wrong_type("true or false"))
    }

    pub(super) fn u64(&self) -> Result<u64, ProductmdError> {
        self.value
            .as_u64()
            .ok_or_else(|| self.wrong_type("a whole number, 0 or more"))
    }

    pub(super) fn u32(&self) -> Result<u32, ProductmdError> {
        let n = self.u64()?;
        u32::try_from(n).map_err(|_| self.error(format!("{n} is too large")))
    }

    pub(super) fn i64(&self) -> Result<i64, ProductmdError> {
        self.value
            .as_i64()
            .ok_or_else(|| self.wrong_type("a whole number"))
    }

    /// A list of strings.
    pub(super) fn strings(&self) -> Result<Vec<String>, ProductmdError> {
        self.items()?.iter().map(Node::string).collect()
    }

    fn wrong_type(&self, expected: &str) -> ProductmdError {
        self.error(format!(
            "expected {expected}, found {}",
            describe(self.value)
        ))
    }
}

/// `payload.rpms`, then `payload.rpms.Server`, or `payload.rpms["bash-0:5.2-3.fc41.src"]`
/// for a key that is not a plain word, so the path reads back unambiguously.
pub(super) fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::from(key)),
    }
}

/// What a JSON value is, for "expected X, found Y".
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => "a string".to_string(),
        Value::String(s) => format!("the string {}", Value::from(s.as_str())),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Checks the `header` object: a version this reader knows and, from 1.1 on
/// (1.0 files may leave it out), the type of file it announces. Returns the
/// version.
pub(super) fn check_header(
    header: &Node<'_>,
    expected_type: &str,
) -> Result<String, ProductmdError> {
    let version_node = header.field("version")?;
    let version = version_node.string()?;
    if !VERSIONS.contains(&version.as_str()) {
        return Err(version_node.error(format!(
            "version '{version}' is not one this reader knows ({})",
            VERSIONS.join(", ")
        )));
    }
    let announced = if version == "1.0" {
        header.opt_field("type")?
    } else {
        Some(header.field("type")?)
    };
    if let Some(node) = announced {
        let found = node.str()?;
        if found != expected_type {
            return Err(node.error(format!(
                "this is a '{found}' file, expected '{expected_type}'"
            )));
        }
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_quote_keys_that_are_not_plain_words() {
        assert_eq!(join_key("", "payload"), "payload");
        assert_eq!(join_key("payload", "rpms"), "payload.rpms");
        assert_eq!(
            join_key("payload.rpms.Server.x86_64", "bash-0:5.2-3.fc41.src"),
            "payload.rpms.Server.x86_64[\"bash-0:5.2-3.fc41.src\"]"
        );
    }

    #[test]
    fn missing_fields_and_wrong_types_name_the_path() {
        let doc = json!({"payload": {"compose": {"respin": "0"}}});
        let root = Node::root("rpms.json", &doc);
        let compose = root.field("payload").unwrap().field("compose").unwrap();
        let err = compose.field("id").unwrap_err();
        assert_eq!(
            err.to_string(),
            "rpms.json: payload.compose.id: required field is missing"
        );
        let err = compose.field("respin").unwrap().u64().unwrap_err();
        assert_eq!(
            err.to_string(),
            "rpms.json: payload.compose.respin: expected a whole number, 0 or more, found the string \"0\""
        );
    }

    #[test]
    fn headers_must_announce_the_expected_type_from_1_1_on() {
        let ok = json!({"type": "productmd.rpms", "version": "1.2"});
        assert_eq!(
            check_header(&Node::root("rpms.json", &ok), "productmd.rpms").unwrap(),
            "1.2"
        );
        let untyped_1_0 = json!({"version": "1.0"});
        assert!(check_header(&Node::root("rpms.json", &untyped_1_0), "productmd.rpms").is_ok());
        let untyped_1_1 = json!({"version": "1.1"});
        assert!(check_header(&Node::root("rpms.json", &untyped_1_1), "productmd.rpms").is_err());
        let images = json!({"type": "productmd.images", "version": "1.2"});
        let err = check_header(&Node::root("rpms.json", &images), "productmd.rpms").unwrap_err();
        assert_eq!(err.place, "type");
        assert!(err.message.contains("'productmd.images'"), "{err}");
        let future = json!({"type": "productmd.rpms", "version": "2.0"});
        let err = check_header(&Node::root("rpms.json", &future), "productmd.rpms").unwrap_err();
        assert!(err.message.contains("'2.0'"), "{err}");
    }
}
