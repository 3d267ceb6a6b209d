//! Reading the metadata a compose tool (pungi, through productmd 1.x) writes
//! beside a compose: `composeinfo.json` (release, variants, arches),
//! `rpms.json` (every RPM by variant, arch and source RPM) and `images.json`
//! (ISOs and disk images). Header versions 1.0, 1.1 and 1.2 are read.
//!
//! The readers take any `std::io::Read` and do no other I/O. `rpms.json` is
//! streamed, one callback per RPM, because a distribution compose lists a
//! quarter of a million of them; the two other files are small and are read
//! whole. Every error names the file and the place in it: a line and column
//! for broken JSON, a path such as `payload.variants.Server.arches` for
//! content that breaks a rule.

mod composeinfo;
mod images;
mod nevra;
mod rpms;
mod walk;
mod write;

use std::fmt;

pub use composeinfo::{
    COMPOSE_TYPES, ComposeHeader, ComposeInfo, ProductInfo, VARIANT_TYPES, Variant,
    parse_composeinfo,
};
pub use images::{ImageEntry, ImagesManifest, parse_images};
pub use nevra::{Nevra, rpmvercmp};
pub use rpms::{RPM_CATEGORIES, RpmEntry, parse_rpms};
pub use write::{RpmsWriter, images_json};

/// A productmd file that could not be read: which file, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {place}: {message}")]
pub struct ProductmdError {
    /// `composeinfo.json`, `rpms.json` or `images.json`.
    pub file: String,
    /// `line 3 column 17` for JSON that does not parse, or the path of the
    /// value at fault (`payload.variants.Server.arches`), followed by the line
    /// and column when the file was streamed.
    pub place: String,
    /// What is wrong, for people.
    pub message: String,
}

impl ProductmdError {
    pub fn new(
        file: impl Into<String>,
        place: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ProductmdError {
            file: file.into(),
            place: place.into(),
            message: message.into(),
        }
    }

    /// An error from serde_json, placed by its line and column (its message
    /// without the " at line L column C" that serde_json appends).
    pub(crate) fn from_json(file: &str, err: &serde_json::Error) -> Self {
        ProductmdError::new(file, line_column(err), json_message(err))
    }

    /// A read error of the input itself.
    pub(crate) fn from_io(file: &str, err: &std::io::Error) -> Self {
        ProductmdError::new(file, "input", format!("could not be read: {err}"))
    }
}

fn line_column(err: &serde_json::Error) -> String {
    format!("line {} column {}", err.line(), err.column())
}

fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    match err.classify() {
        serde_json::error::Category::Eof => format!("the file ends too early ({message})"),
        serde_json::error::Category::Syntax => format!("not valid JSON ({message})"),
        _ => message.to_string(),
    }
}

/// Why a streamed read stopped: the file was at fault, or the caller's own
/// callback returned an error, which is handed back unchanged.
#[derive(Debug)]
pub enum ParseError<E> {
    /// The file is broken or breaks productmd's rules.
    Productmd(ProductmdError),
    /// The callback's own error; the read stopped at that entry.
    Callback(E),
}

impl<E> From<ProductmdError> for ParseError<E> {
    fn from(err: ProductmdError) -> Self {
        ParseError::Productmd(err)
    }
}

impl<E: fmt::Display> fmt::Display for ParseError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Productmd(err) => err.fmt(f),
            ParseError::Callback(err) => err.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ParseError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ParseError::Productmd(err) => Some(err),
            ParseError::Callback(err) => Some(err),
        }
    }
}

impl ParseError<std::convert::Infallible> {
    /// For a callback that cannot fail: the only error left is the file's.
    pub fn into_productmd(self) -> ProductmdError {
        match self {
            ParseError::Productmd(err) => err,
            ParseError::Callback(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_are_placed_by_line_and_column() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": [1,\n").unwrap_err();
        let err = ProductmdError::from_json("images.json", &err);
        assert_eq!(err.place, "line 3 column 0");
        assert!(err.message.starts_with("the file ends too early"), "{err}");
        assert!(!err.message.contains(" at line"), "{err}");
        assert!(
            err.to_string()
                .starts_with("images.json: line 3 column 0: ")
        );

        let err = serde_json::from_str::<serde_json::Value>("{\"a\" 1}").unwrap_err();
        let err = ProductmdError::from_json("rpms.json", &err);
        assert_eq!(err.place, "line 1 column 6");
        assert!(err.message.starts_with("not valid JSON"), "{err}");
    }

    #[test]
    fn callback_errors_display_as_themselves() {
        let err: ParseError<std::io::Error> =
            ParseError::Callback(std::io::Error::other("disk full"));
        assert_eq!(err.to_string(), "disk full");
        let err: ParseError<std::io::Error> =
            ProductmdError::new("rpms.json", "payload", "required field is missing").into();
        assert_eq!(
            err.to_string(),
            "rpms.json: payload: required field is missing"
        );
    }
}
