//! `rpms.json`, streamed: every RPM of a compose, by variant, arch and source
//! RPM, handed to a callback one at a time while the file is read, so a
//! quarter of a million entries never sit in memory together.
//!
//! The layout is `payload.rpms.VARIANT.ARCH.SRPM_NEVRA.RPM_NEVRA = {path,
//! sigkey, category}`; serde visitors walk the four nested objects and only
//! the small objects (`header`, `payload.compose`, one RPM's fields) are read
//! whole.

use std::fmt;
use std::io::{BufReader, Read};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::composeinfo::{ComposeHeader, compose_header};
use super::walk::{Node, check_header, join_key};
use super::{Nevra, ParseError, ProductmdError};

const FILE: &str = "rpms.json";

/// The categories productmd files an RPM under.
pub const RPM_CATEGORIES: [&str; 3] = ["binary", "debug", "source"];

/// One RPM of the compose, as listed in `rpms.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmEntry {
    /// The variant's uid (`Server`, `Server-optional`).
    pub variant: String,
    /// The compose arch it is listed under; source RPMs are listed under each
    /// binary arch they were built for.
    pub arch: String,
    /// The source RPM it was built from (itself, for a source RPM).
    pub srpm: Nevra,
    pub rpm: Nevra,
    /// Relative to the compose's top directory.
    pub path: String,
    /// The short id of the key it is signed with; `None` if unsigned.
    pub sigkey: Option<String>,
    /// One of [`RPM_CATEGORIES`].
    pub category: String,
}

/// Reads `rpms.json`, calling `on_entry` for each RPM in the file's order,
/// and returns the file's compose header.
///
/// An error returned by `on_entry` stops the read and comes back as
/// [`ParseError::Callback`]. The `header` object is checked where it stands:
/// when a file puts it after `payload` (productmd writes it first), entries
/// have already been handed over before a wrong header is seen, so a caller
/// that stores entries should do so in a transaction it commits only on `Ok`.
pub fn parse_rpms<E>(
    reader: impl Read,
    mut on_entry: impl FnMut(RpmEntry) -> Result<(), E>,
) -> Result<ComposeHeader, ParseError<E>> {
    let mut state = State {
        on_entry: &mut on_entry,
        stop: None,
        at: None,
        header_seen: false,
        compose: None,
    };
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let read = Root(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(err) = read {
        return Err(state.into_error(&err));
    }
    match state.compose {
        Some(compose) => Ok(compose),
        // The root visitor refuses a file without one; kept total all the same.
        None => {
            Err(ProductmdError::new(FILE, "payload.compose", "required field is missing").into())
        }
    }
}

/// What the visitors share: the callback, and why the read stopped when it
/// was not serde_json's own doing.
struct State<'f, F, E> {
    on_entry: &'f mut F,
    /// Set before a visitor returns an error of its own making.
    stop: Option<Stop<E>>,
    /// The innermost path a serde_json error passed through.
    at: Option<String>,
    header_seen: bool,
    compose: Option<ComposeHeader>,
}

enum Stop<E> {
    Invalid(ProductmdError),
    Callback(E),
}

impl<F, E> State<'_, F, E> {
    /// Records a rule broken by the file and returns the error that unwinds
    /// serde_json, which adds where it was.
    fn invalid<Er: de::Error>(&mut self, err: ProductmdError) -> Er {
        self.stop = Some(Stop::Invalid(err));
        Er::custom("invalid productmd content")
    }

    /// Notes where a serde_json error passed, the innermost place first.
    fn passing<T, Er>(
        &mut self,
        result: Result<T, Er>,
        path: impl FnOnce() -> String,
    ) -> Result<T, Er> {
        if result.is_err() && self.stop.is_none() && self.at.is_none() {
            self.at = Some(path());
        }
        result
    }

    fn into_error(self, err: &serde_json::Error) -> ParseError<E> {
        let line_column = format!("line {} column {}", err.line(), err.column());
        match self.stop {
            Some(Stop::Callback(e)) => ParseError::Callback(e),
            Some(Stop::Invalid(mut e)) => {
                e.place = format!("{} ({line_column})", e.place);
                ParseError::Productmd(e)
            }
            None if err.is_data() => {
                let mut e = ProductmdError::from_json(FILE, err);
                if let Some(at) = self.at {
                    e.place = format!("{at} ({line_column})");
                }
                ParseError::Productmd(e)
            }
            None if err.is_io() => ParseError::Productmd(ProductmdError::new(
                FILE,
                "input",
                format!("could not be read: {err}"),
            )),
            None => ParseError::Productmd(ProductmdError::from_json(FILE, err)),
        }
    }
}

/// The top-level object: `header` and `payload`, in either order.
struct Root<'s, 'f, F, E>(&'s mut State<'f, F, E>);

impl<'de, F, E> DeserializeSeed<'de> for Root<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Root<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a productmd rpms object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut payload_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "header" => {
                    // Small: read whole, checked by the rules the other files use.
                    let value = map.next_value::<serde_json::Value>();
                    let value = state.passing(value, || "header".to_string())?;
                    let node = Node::at(FILE, "header".to_string(), &value);
                    if let Err(e) = check_header(&node, "productmd.rpms") {
                        return Err(state.invalid(e));
                    }
                    state.header_seen = true;
                }
                "payload" => {
                    map.next_value_seed(Payload(&mut *state))?;
                    payload_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = if !state.header_seen {
            "header"
        } else if !payload_seen {
            "payload"
        } else {
            return Ok(());
        };
        Err(state.invalid(ProductmdError::new(
            FILE,
            missing,
            "required field is missing",
        )))
    }
}

/// `payload`: `compose` and `rpms`, in either order.
struct Payload<'s, 'f, F, E>(&'s mut State<'f, F, E>);

impl<'de, F, E> DeserializeSeed<'de> for Payload<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Payload<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the payload object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut rpms_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "compose" => {
                    let value = map.next_value::<serde_json::Value>();
                    let value = state.passing(value, || "payload.compose".to_string())?;
                    let node = Node::at(FILE, "payload.compose".to_string(), &value);
                    match compose_header(&node) {
                        Ok(compose) => state.compose = Some(compose),
                        Err(e) => return Err(state.invalid(e)),
                    }
                }
                "rpms" => {
                    let read = map.next_value_seed(Variants(&mut *state));
                    state.passing(read, || "payload.rpms".to_string())?;
                    rpms_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = if state.compose.is_none() {
            "payload.compose"
        } else if !rpms_seen {
            "payload.rpms"
        } else {
            return Ok(());
        };
        Err(state.invalid(ProductmdError::new(
            FILE,
            missing,
            "required field is missing",
        )))
    }
}

/// `payload.rpms`: variant uid to arches.
struct Variants<'s, 'f, F, E>(&'s mut State<'f, F, E>);

impl<'de, F, E> DeserializeSeed<'de> for Variants<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Variants<'_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of variants")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(variant) = map.next_key::<String>()? {
            let read = map.next_value_seed(Arches {
                state: &mut *state,
                variant: &variant,
            });
            state.passing(read, || join_key("payload.rpms", &variant))?;
        }
        Ok(())
    }
}

/// `payload.rpms.VARIANT`: arch to source RPMs.
struct Arches<'s, 'f, 'v, F, E> {
    state: &'s mut State<'f, F, E>,
    variant: &'v str,
}

impl<'de, F, E> DeserializeSeed<'de> for Arches<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Arches<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of arches")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(arch) = map.next_key::<String>()? {
            let read = map.next_value_seed(Srpms {
                state: &mut *state,
                variant: self.variant,
                arch: &arch,
            });
            state.passing(read, || {
                join_key(&join_key("payload.rpms", self.variant), &arch)
            })?;
        }
        Ok(())
    }
}

/// `payload.rpms.VARIANT.ARCH`: source RPM to the RPMs built from it.
struct Srpms<'s, 'f, 'v, F, E> {
    state: &'s mut State<'f, F, E>,
    variant: &'v str,
    arch: &'v str,
}

impl<'de, F, E> DeserializeSeed<'de> for Srpms<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Srpms<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of source RPMs")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        let here = || join_key(&join_key("payload.rpms", self.variant), self.arch);
        while let Some(key) = map.next_key::<String>()? {
            let srpm = match Nevra::parse(&key) {
                Ok(srpm) => srpm,
                Err(e) => {
                    let place = join_key(&here(), &key);
                    return Err(state.invalid(ProductmdError::new(FILE, place, e.message)));
                }
            };
            let read = map.next_value_seed(Rpms {
                state: &mut *state,
                variant: self.variant,
                arch: self.arch,
                srpm_key: &key,
                srpm: &srpm,
            });
            state.passing(read, || join_key(&here(), &key))?;
        }
        Ok(())
    }
}

/// `payload.rpms.VARIANT.ARCH.SRPM`: RPM to its fields. Each entry goes to
/// the callback as soon as it is read.
struct Rpms<'s, 'f, 'v, F, E> {
    state: &'s mut State<'f, F, E>,
    variant: &'v str,
    arch: &'v str,
    srpm_key: &'v str,
    srpm: &'v Nevra,
}

/// One RPM's fields as written; unknown fields are skipped.
#[derive(Deserialize)]
struct RawRpm {
    path: String,
    sigkey: Option<String>,
    category: String,
}

impl<'de, F, E> DeserializeSeed<'de> for Rpms<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> Visitor<'de> for Rpms<'_, '_, '_, F, E>
where
    F: FnMut(RpmEntry) -> Result<(), E>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of RPMs")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        let here = |key: &str| {
            let srpm = join_key(&join_key("payload.rpms", self.variant), self.arch);
            join_key(&join_key(&srpm, self.srpm_key), key)
        };
        while let Some(key) = map.next_key::<String>()? {
            let raw = map.next_value::<RawRpm>();
            let raw = state.passing(raw, || here(&key))?;
            let rpm = match Nevra::parse(&key) {
                Ok(rpm) => rpm,
                Err(e) => {
                    return Err(state.invalid(ProductmdError::new(FILE, here(&key), e.message)));
                }
            };
            if !RPM_CATEGORIES.contains(&raw.category.as_str()) {
                let message = format!(
                    "category '{}' is not one of {}",
                    raw.category,
                    RPM_CATEGORIES.join(", ")
                );
                let place = format!("{}.category", here(&key));
                return Err(state.invalid(ProductmdError::new(FILE, place, message)));
            }
            if raw.path.is_empty() || raw.path.starts_with('/') {
                let message = format!("path '{}' must be relative to the compose", raw.path);
                let place = format!("{}.path", here(&key));
                return Err(state.invalid(ProductmdError::new(FILE, place, message)));
            }
            let entry = RpmEntry {
                variant: self.variant.to_string(),
                arch: self.arch.to_string(),
                srpm: self.srpm.clone(),
                rpm,
                path: raw.path,
                sigkey: raw.sigkey,
                category: raw.category,
            };
            if let Err(e) = (state.on_entry)(entry) {
                state.stop = Some(Stop::Callback(e));
                return Err(de::Error::custom("stopped by the callback"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    const HEADER: &str = r#""header": {"type": "productmd.rpms", "version": "1.2"}"#;
    const COMPOSE: &str = r#""compose": {"id": "F-41-20261101.0", "date": "20261101", "type": "production", "respin": 0}"#;

    fn rpms(body: &str) -> String {
        format!(r#"{{{HEADER}, "payload": {{{COMPOSE}, "rpms": {body}}}}}"#)
    }

    const BASH: &str = r#"{"Server": {"x86_64": {"bash-0:5.2.26-3.fc41.src": {
        "bash-0:5.2.26-3.fc41.x86_64": {"path": "Server/x86_64/os/Packages/b/bash-5.2.26-3.fc41.x86_64.rpm", "sigkey": "a15b79cc", "category": "binary"},
        "bash-0:5.2.26-3.fc41.src": {"path": "Server/source/tree/Packages/b/bash-5.2.26-3.fc41.src.rpm", "sigkey": null, "category": "source"}
    }}}}"#;

    fn collect(text: &str) -> Result<(ComposeHeader, Vec<RpmEntry>), ProductmdError> {
        let mut entries = Vec::new();
        let compose = parse_rpms(text.as_bytes(), |e| {
            entries.push(e);
            Ok::<(), Infallible>(())
        })
        .map_err(ParseError::into_productmd)?;
        Ok((compose, entries))
    }

    #[test]
    fn entries_come_with_their_variant_arch_and_srpm() {
        let (compose, entries) = collect(&rpms(BASH)).unwrap();
        assert_eq!(compose.id, "F-41-20261101.0");
        assert_eq!(entries.len(), 2);
        let bin = &entries[0];
        assert_eq!(
            (bin.variant.as_str(), bin.arch.as_str()),
            ("Server", "x86_64")
        );
        assert_eq!(bin.srpm.to_string(), "bash-0:5.2.26-3.fc41.src");
        assert_eq!(bin.rpm.arch(), "x86_64");
        assert_eq!(bin.sigkey.as_deref(), Some("a15b79cc"));
        assert_eq!(bin.category, "binary");
        assert_eq!(entries[1].sigkey, None);
        assert_eq!(entries[1].rpm, entries[1].srpm);
    }

    #[test]
    fn header_and_compose_may_come_last() {
        let text =
            format!(r#"{{"payload": {{"rpms": {BASH}, {COMPOSE}, "extra": [1, 2]}}, {HEADER}}}"#);
        let (compose, entries) = collect(&text).unwrap();
        assert_eq!(compose.respin, 0);
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let text = rpms(BASH).replace("productmd.rpms", "productmd.images");
        let err = collect(&text).unwrap_err();
        assert!(
            err.place.starts_with("header.type (line 1 column "),
            "{err}"
        );
        assert!(err.message.contains("'productmd.images'"), "{err}");
    }

    #[test]
    fn missing_parts_are_named() {
        let err = collect(&format!(r#"{{{HEADER}}}"#)).unwrap_err();
        assert!(err.place.starts_with("payload "), "{err}");
        let err = collect(&format!(r#"{{"payload": {{{COMPOSE}, "rpms": {{}}}}}}"#)).unwrap_err();
        assert!(err.place.starts_with("header "), "{err}");
        let err = collect(&format!(r#"{{{HEADER}, "payload": {{"rpms": {{}}}}}}"#)).unwrap_err();
        assert!(err.place.starts_with("payload.compose "), "{err}");
        let without_path = BASH.replace(
            r#""path": "Server/source/tree/Packages/b/bash-5.2.26-3.fc41.src.rpm", "#,
            "",
        );
        let err = collect(&rpms(&without_path)).unwrap_err();
        assert!(
            err.place.starts_with(
                "payload.rpms.Server.x86_64[\"bash-0:5.2.26-3.fc41.src\"][\"bash-0:5.2.26-3.fc41.src\"] (line "
            ),
            "{err}"
        );
        assert!(err.message.contains("missing field `path`"), "{err}");
    }

    #[test]
    fn broken_entries_are_named_by_path() {
        let err = collect(&rpms(&BASH.replace("\"binary\"", "\"docs\""))).unwrap_err();
        assert!(
            err.place.contains(".x86_64\"].category (line 2 column "),
            "{err}"
        );
        assert!(err.message.contains("'docs'"), "{err}");

        let err = collect(&rpms(&BASH.replace("bash-0:5.2.26-3.fc41.x86_64", "bash"))).unwrap_err();
        assert!(err.place.contains("\"].bash (line 2 column "), "{err}");
        assert!(err.message.contains("'bash' is not name-"), "{err}");

        let err = collect(&rpms(r#"{"Server": {"x86_64": []}}"#)).unwrap_err();
        assert!(
            err.place.starts_with("payload.rpms.Server.x86_64 (line 1"),
            "{err}"
        );
        assert!(
            err.message.contains("expected an object of source RPMs"),
            "{err}"
        );
    }

    #[test]
    fn broken_json_is_placed_by_line_and_column() {
        let text = rpms(BASH);
        let err = collect(&text[..text.len() - 40]).unwrap_err();
        assert!(err.place.starts_with("line "), "{err}");
        assert!(err.message.starts_with("the file ends too early"), "{err}");
        let err = collect(&format!("{text} []")).unwrap_err();
        assert!(err.message.contains("trailing characters"), "{err}");
    }

    #[test]
    fn read_errors_are_reported_as_such() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("connection reset"))
            }
        }
        let err = parse_rpms(Failing, |_| Ok::<(), Infallible>(()))
            .map_err(ParseError::into_productmd)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rpms.json: input: could not be read: connection reset"
        );
    }

    #[test]
    fn the_callback_error_stops_the_read_and_comes_back() {
        let mut seen = 0;
        let err = parse_rpms(rpms(BASH).as_bytes(), |_| {
            seen += 1;
            Err("store is full")
        })
        .unwrap_err();
        assert_eq!(seen, 1);
        assert!(matches!(err, ParseError::Callback("store is full")));
    }
}
