//! Signing in to the web UI with an API token: the token goes into an
//! HttpOnly, SameSite=Strict cookie; every form that changes something
//! carries a CSRF value derived from it (a page of another site can
//! neither read the cookie nor compute the value), checked on POST.

use super::UiError;
use super::html::{esc, page};
use crate::AppState;
use crate::auth::{self, Caller};
use almanac_store::tokens::User;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const COOKIE: &str = "almanac_token";

/// The token in the session cookie.
pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The CSRF value of a session's token.
pub fn csrf(token: &str) -> String {
    hex::encode(Sha256::digest(format!("almanac-csrf:{token}").as_bytes()))
}

/// The signed-in user, if any (a stale cookie counts as signed out).
pub async fn user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(User, String)>, UiError> {
    let Some(t) = token(headers) else {
        return Ok(None);
    };
    Ok(match auth::identify(state, Some(t.clone())).await? {
        Caller::User(u) => Some((u, t)),
        _ => None,
    })
}

/// A form body's fields.
pub fn form(body: &Bytes) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The signed-in user of a POST whose CSRF value matches; refused otherwise.
pub async fn poster(
    state: &AppState,
    headers: &HeaderMap,
    fields: &BTreeMap<String, String>,
) -> Result<User, UiError> {
    let Some((user, t)) = user(state, headers).await? else {
        return Err(UiError::status(
            StatusCode::UNAUTHORIZED,
            "sign in first (with an API token)",
        ));
    };
    if fields.get("csrf").map(String::as_str) != Some(csrf(&t).as_str()) {
        return Err(UiError::status(
            StatusCode::FORBIDDEN,
            "the form is stale or not from this site (CSRF check failed): reload the page",
        ));
    }
    Ok(user)
}

/// A local path to go back to (never another site).
pub fn back(fields: &BTreeMap<String, String>) -> String {
    fields
        .get("back")
        .filter(|b| b.starts_with("/ui/") && !b.starts_with("//"))
        .cloned()
        .unwrap_or_else(|| "/ui/".into())
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Html<String>, UiError> {
    let who = user(&state, &headers).await?;
    let body = match who {
        Some((u, t)) => format!(
            "<p>Signed in as <strong>{}</strong>.</p><form method=\"post\" action=\"/ui/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
            esc(&u.username),
            csrf(&t)
        ),
        None => "<p>Writes (waivers) need an API token, as the APIs do (<code>almanac token create USER</code>).</p>\
<form method=\"post\" action=\"/ui/sign-in\"><label>Token <input name=\"token\" type=\"password\" autocomplete=\"off\" required></label> <button type=\"submit\">Sign in</button></form>".to_string(),
    };
    Ok(Html(page("Sign in", "/ui/sign-in", &body)))
}

pub async fn sign_in(State(state): State<AppState>, body: Bytes) -> Result<Response, UiError> {
    let fields = form(&body);
    let t = fields
        .get("token")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    if t.is_empty() || t.contains([';', ',', ' ']) {
        return Err(UiError::bad("a token is needed"));
    }
    match auth::identify(&state, Some(t.clone())).await? {
        Caller::User(_) => {
            let mut r = Redirect::to("/ui/sign-in").into_response();
            let cookie = format!("{COOKIE}={t}; Path=/ui; HttpOnly; SameSite=Strict");
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(|_| UiError::bad("a token is text"))?,
            );
            Ok(r)
        }
        _ => Err(UiError::status(
            StatusCode::UNAUTHORIZED,
            "that token is not valid",
        )),
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    poster(&state, &headers, &form(&body)).await?;
    let mut r = Redirect::to("/ui/sign-in").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("almanac_token=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}
