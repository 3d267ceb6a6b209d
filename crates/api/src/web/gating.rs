//! Gating in the web UI: a subject's decision under a decision context,
//! each requirement satisfied, unsatisfied or waived with the result or
//! waiver behind it; the subject's waivers; and, signed in with the
//! permission, waiving (or revoking) a testcase from the page (a POST with
//! the CSRF guard, through the API's own permission check and write).

use super::html::{a, badge, esc, page, table, url};
use super::session;
use super::{UiError, param};
use crate::AppState;
use crate::gating::decide_subjects;
use almanac_model::decision::Subject;
use almanac_model::waivers::NewWaiver;
use almanac_store::waivers::{self as store, WaiverFilter};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

async fn render(
    state: AppState,
    headers: HeaderMap,
    p: BTreeMap<String, String>,
) -> Result<Html<String>, UiError> {
    let subject_type = match param(&p, "subject_type") {
        "" => "koji_build".to_string(),
        t => t.to_string(),
    };
    let subject = param(&p, "subject").to_string();
    let product_version = param(&p, "product_version").to_string();
    let mut contexts: Vec<String> = state
        .settings
        .gating
        .policies
        .iter()
        .flat_map(|pol| pol.decision_contexts.iter().cloned())
        .collect();
    contexts.sort();
    contexts.dedup();
    let context = match param(&p, "decision_context") {
        "" => contexts.first().cloned().unwrap_or_default(),
        c => c.to_string(),
    };
    let signed = session::user(&state, &headers).await?;
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/ui/gating\">\
<label>subject type <input name=\"subject_type\" value=\"{}\"></label>\
<label>subject <input name=\"subject\" value=\"{}\" size=\"32\"></label>\
<label>product version <input name=\"product_version\" value=\"{}\"></label>\
<label>decision context <select name=\"decision_context\">",
        esc(&subject_type),
        esc(&subject),
        esc(&product_version)
    );
    for c in &contexts {
        let sel = if *c == context { " selected" } else { "" };
        let _ = write!(body, "<option{sel}>{}</option>", esc(c));
    }
    body.push_str("</select></label><button type=\"submit\">Decide</button></form>");
    let here = url(
        "/ui/gating",
        &[
            ("subject_type", &subject_type),
            ("subject", &subject),
            ("product_version", &product_version),
            ("decision_context", &context),
        ],
    );
    if subject.is_empty() || product_version.is_empty() {
        body.push_str(
            "<p class=\"muted\">Name a subject and a product version. Recent waivers:</p>",
        );
        let recent = state
            .store
            .read(|c| store::list(c, &WaiverFilter::default(), false, 1, 20))
            .await?
            .1;
        body.push_str(&waiver_table(&recent, None, &here));
        return Ok(Html(page("Gating", "/ui/gating", &body)));
    }
    let gating = state.settings.gating.clone();
    let outcomes = state.settings.outcomes.clone();
    let limits = state.settings.page_limits;
    let s = Subject {
        subject_type: subject_type.clone(),
        identifier: subject.clone(),
    };
    let (pv, ctx) = (product_version.clone(), context.clone());
    let (decision, waivers) = state
        .store
        .read(move |c| {
            let d = decide_subjects(
                c,
                &gating,
                &outcomes,
                limits,
                std::slice::from_ref(&s),
                &pv,
                std::slice::from_ref(&ctx),
            )?;
            let f = WaiverFilter {
                subject_identifier: Some(s.identifier.clone()),
                ..Default::default()
            };
            Ok((d, store::list(c, &f, true, 1, 100)?.1))
        })
        .await?;
    let csrf = signed.as_ref().map(|(_, t)| session::csrf(t));
    match decision {
        Err(why) => {
            let _ = write!(body, "<p>{}</p>", esc(&why));
        }
        Ok(d) => {
            let _ = write!(
                body,
                "<p id=\"verdict\" data-satisfied=\"{}\">{} {}</p><p class=\"muted\">policies: {}</p>",
                d.policies_satisfied,
                badge(if d.policies_satisfied {
                    "satisfied"
                } else {
                    "unsatisfied"
                }),
                esc(&d.summary),
                esc(&d.applicable_policies.join(", "))
            );
            let mut rows = Vec::new();
            for (r, satisfied) in d
                .unsatisfied_requirements
                .iter()
                .map(|r| (r, false))
                .chain(d.satisfied_requirements.iter().map(|r| (r, true)))
            {
                let kind = r["type"].as_str().unwrap_or("");
                let testcase = r["testcase"].as_str().unwrap_or("");
                let state_word = if kind.ends_with("-waived") {
                    "waived"
                } else if satisfied {
                    "satisfied"
                } else {
                    "unsatisfied"
                };
                let mut behind = String::new();
                if let Some(id) = r["result_id"].as_i64() {
                    behind.push_str(&a(&format!("/ui/results/{id}"), &format!("result {id}")));
                }
                if let Some(id) = r["waiver_id"].as_i64() {
                    let _ = write!(behind, " <a href=\"#waiver-{id}\">waiver {id}</a>");
                }
                let action = match (&csrf, satisfied) {
                    (Some(token), false) if !testcase.is_empty() => waive_form(
                        token,
                        &subject_type,
                        &subject,
                        &product_version,
                        testcase,
                        true,
                        &here,
                    ),
                    _ => String::new(),
                };
                rows.push(vec![
                    badge(state_word),
                    esc(kind),
                    esc(testcase),
                    behind,
                    action,
                ]);
            }
            body.push_str(&table(
                &["", "requirement", "testcase", "behind it", ""],
                &rows,
            ));
        }
    }
    body.push_str("<h2>Waivers</h2>");
    body.push_str(&waiver_table(&waivers, csrf.as_deref(), &here));
    if signed.is_none() {
        body.push_str(&format!(
            "<p class=\"muted\">{} to waive from this page.</p>",
            a("/ui/sign-in", "Sign in")
        ));
    }
    Ok(Html(page(
        &format!("Gating: {subject}"),
        "/ui/gating",
        &body,
    )))
}

pub async fn decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<BTreeMap<String, String>>,
) -> Result<Html<String>, UiError> {
    render(state, headers, p).await
}

fn waive_form(
    csrf: &str,
    subject_type: &str,
    subject: &str,
    pv: &str,
    testcase: &str,
    waived: bool,
    back: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"/ui/waivers\" class=\"waive\">\
<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"subject_type\" value=\"{}\">\
<input type=\"hidden\" name=\"subject_identifier\" value=\"{}\"><input type=\"hidden\" name=\"product_version\" value=\"{}\">\
<input type=\"hidden\" name=\"testcase\" value=\"{}\"><input type=\"hidden\" name=\"waived\" value=\"{}\">\
<input type=\"hidden\" name=\"back\" value=\"{}\">{}<button type=\"submit\">{}</button></form>",
        esc(csrf),
        esc(subject_type),
        esc(subject),
        esc(pv),
        esc(testcase),
        waived,
        esc(back),
        if waived {
            "<input name=\"comment\" placeholder=\"why\" required> "
        } else {
            ""
        },
        if waived { "Waive" } else { "Revoke" }
    )
}

fn waiver_table(list: &[store::Waiver], csrf: Option<&str>, back: &str) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|w| {
            let gate = url(
                "/ui/gating",
                &[
                    ("subject_type", &w.subject_type),
                    ("subject", &w.subject_identifier),
                    ("product_version", &w.product_version),
                ],
            );
            let revoke = match csrf {
                Some(t) if w.waived => waive_form(
                    t,
                    &w.subject_type,
                    &w.subject_identifier,
                    &w.product_version,
                    &w.testcase,
                    false,
                    back,
                ),
                _ => String::new(),
            };
            vec![
                format!("<span id=\"waiver-{}\">{}</span>", w.id, w.id),
                a(&gate, &w.subject_identifier),
                esc(&w.testcase),
                badge(if w.waived { "waived" } else { "revoked" }),
                esc(&w.username),
                esc(&w.comment),
                esc(&w.timestamp.to_string()),
                revoke,
            ]
        })
        .collect();
    table(
        &["id", "subject", "testcase", "", "by", "comment", "when", ""],
        &rows,
    )
}

/// `POST /ui/waivers`: a waiver (or its revocation) from a gating page.
pub async fn waive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = session::form(&body);
    let user = session::poster(&state, &headers, &fields).await?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let waived = get("waived") != "false";
    let comment = match get("comment").trim() {
        "" if waived => return Err(UiError::bad("a waiver needs a comment saying why")),
        "" => "revoked from the web UI".to_string(),
        c => c.to_string(),
    };
    let body: Value = json!({
        "subject_type": get("subject_type"),
        "subject_identifier": get("subject_identifier"),
        "testcase": get("testcase"),
        "product_version": get("product_version"),
        "waived": waived,
        "comment": comment,
    });
    let w = NewWaiver::from_json(&body).map_err(|e| UiError::bad(e.message))?;
    let waivers = vec![w];
    crate::waivers::authorize(&state, &user, &waivers)
        .await
        .map_err(|e| UiError::status(e.0, e.1))?;
    let actor = almanac_store::Actor::user(&user.username, "web");
    let username = user.username.clone();
    state
        .store
        .write(move |c| store::create(c, &waivers, &username, &actor))
        .await?;
    Ok(Redirect::to(&session::back(&fields)).into_response())
}
