//! Who is calling: `Authorization: Token <token>`, checked against the store.

use crate::AppState;
use almanac_store::tokens::{self, User};
use almanac_store::{Actor, StoreError};
use axum::http::HeaderMap;

/// The outcome of reading a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    User(User),
    /// A token was given and is not valid: refused even where anonymous
    /// callers are welcome, so a typo is noticed.
    BadToken,
}

impl Caller {
    pub fn actor(&self, source: &str) -> Actor {
        match self {
            Caller::User(u) => Actor::user(&u.username, source),
            _ => Actor::anonymous(source),
        }
    }
}

/// The token in `Authorization: Token <t>` (or `Bearer <t>`), if any.
pub fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Identifies the caller from a token (from the header, or from a body field
/// such as `resultsdb-api`'s `_auth_token`).
pub async fn identify(state: &AppState, token: Option<String>) -> Result<Caller, StoreError> {
    let Some(token) = token else {
        return Ok(Caller::Anonymous);
    };
    let user = state
        .store
        .read(move |c| tokens::authenticate(c, &token))
        .await?;
    Ok(user.map_or(Caller::BadToken, Caller::User))
}
