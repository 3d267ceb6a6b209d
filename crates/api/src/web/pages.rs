//! The pages: each reads through the store's own queries (the ones the
//! APIs answer with) and renders with [`super::html`]. Filters come from
//! the query string and go back into every link, so a URL can be pasted.

use super::html::{a, badge, esc, filters, page, pager, seg, table, url};
use super::{UiError, param};
use crate::AppState;
use almanac_model::compose_diff::human_size;
use almanac_model::results::{PageLimits, ResultQuery};
use almanac_model::svg::{Point, size_chart};
use almanac_store::composes::{self, ComposeFilter, SizeQuery};
use almanac_store::journal::{self, Filter, Status};
use almanac_store::releases::{ReleaseFilter, list_releases};
use almanac_store::{audits, results};
use axum::extract::{Path, Query, State};
use axum::response::Html;
use std::collections::BTreeMap;
use std::fmt::Write as _;

type Params = Query<BTreeMap<String, String>>;

fn page_no(p: &BTreeMap<String, String>) -> Result<u64, UiError> {
    match p.get("page").filter(|v| !v.is_empty()) {
        None => Ok(1),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| UiError::bad(format!("page '{v}' is not a page number"))),
    }
}

const PER_PAGE: u64 = 50;

pub async fn home(State(state): State<AppState>) -> Result<Html<String>, UiError> {
    let (counts, latest, journal_counts, runs, bus) = state
        .store
        .read(|c| {
            let mut counts = Vec::new();
            // The big tables (never deleted from) by their newest id, which a
            // count would read whole for.
            for (label, table, how) in [
                ("releases", "releases", "count(*)"),
                ("composes", "composes", "count(*)"),
                ("rpms", "rpms", "coalesce(max(id), 0)"),
                ("components", "release_components", "count(*)"),
                ("results", "results", "coalesce(max(id), 0)"),
                ("waivers", "waivers", "count(*)"),
            ] {
                let n = c
                    .query_opt(&format!("SELECT {how} FROM {table}"), &[])?
                    .map(|r| r.int(0))
                    .transpose()?
                    .unwrap_or(0);
                counts.push((label, n));
            }
            let f = ComposeFilter {
                deleted: Some(false),
                ..Default::default()
            };
            let latest = composes::list_composes(
                c,
                &f,
                &["-compose_date".into(), "-id".into()],
                Some((1, 10)),
            )?
            .1;
            let bus = (
                journal::last_received(c)?,
                almanac_store::outbox::backlog(c)?,
            );
            Ok((
                counts,
                latest,
                journal::counts(c)?,
                audits::last_runs(c)?,
                bus,
            ))
        })
        .await?;
    let (last_message, (backlog, oldest)) = bus;
    let mut body = String::from("<div class=\"cards\">");
    for (label, n) in &counts {
        let _ = write!(
            body,
            "<div class=\"card\"><div class=\"n\">{n}</div><div class=\"muted\">{label}</div></div>"
        );
    }
    body.push_str("</div><h2>Latest composes</h2>");
    body.push_str(&compose_table(&latest));
    body.push_str("<h2>Bus</h2>");
    let now = almanac_model::Timestamp::now().micros();
    let _ = write!(
        body,
        "<p>Last message received: {}. Events waiting to be published: {}{}.</p>",
        last_message.map_or("none yet".to_string(), |t| format!(
            "{} ({} s ago)",
            t,
            (now - t.micros()) / 1_000_000
        )),
        if backlog > almanac_store::outbox::BACKLOG_COUNTED {
            format!("more than {}", almanac_store::outbox::BACKLOG_COUNTED)
        } else {
            backlog.to_string()
        },
        oldest.map_or(String::new(), |t| format!(
            ", the oldest committed {} s ago",
            (now - t.micros()) / 1_000_000
        ))
    );
    let rows: Vec<Vec<String>> = journal_counts
        .iter()
        .map(|(status, n)| {
            vec![
                badge(status),
                a(&url("/ui/journal", &[("status", status)]), &n.to_string()),
            ]
        })
        .collect();
    body.push_str(&table(&["messages", "count"], &rows));
    body.push_str("<h2>Last audit</h2>");
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                esc(&r.source),
                badge(&r.status),
                esc(&r.finished_at),
                r.missing.to_string(),
                r.extra.to_string(),
                r.differ.to_string(),
                esc(r.error.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "source",
            "status",
            "finished",
            "missing",
            "extra",
            "different",
            "error",
        ],
        &rows,
    ));
    Ok(Html(page("Almanac", "/ui/", &body)))
}

fn compose_table(list: &[composes::Compose]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                a(
                    &format!("/ui/composes/{}", seg(&c.compose_id)),
                    &c.compose_id,
                ),
                a(&format!("/ui/releases/{}", seg(&c.release)), &c.release),
                esc(&c.compose_date),
                esc(&c.compose_type),
                badge(&c.acceptance_testing),
                c.rpm_count.to_string(),
                c.image_count.to_string(),
                a(&format!("/ui/composes/{}/diff", seg(&c.compose_id)), "diff"),
                a(
                    &format!("/api/almanac/v1/composes/{}/qe", seg(&c.compose_id)),
                    "QE status",
                ),
            ]
        })
        .collect();
    table(
        &[
            "compose",
            "release",
            "date",
            "type",
            "acceptance",
            "rpms",
            "images",
            "",
            "",
        ],
        &rows,
    )
}

pub async fn composes(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let release = param(&p, "release").to_string();
    let rel = release.clone();
    let (total, list) = state
        .store
        .read(move |c| {
            let f = ComposeFilter {
                releases: if rel.is_empty() {
                    Vec::new()
                } else {
                    vec![rel.clone()]
                },
                deleted: Some(false),
                ..Default::default()
            };
            composes::list_composes(
                c,
                &f,
                &["-compose_date".into(), "-id".into()],
                Some((n, PER_PAGE)),
            )
        })
        .await?;
    let mut body = filters("/ui/composes", &[("release", "release", &release)]);
    let _ = write!(body, "<p class=\"muted\">{total} composes</p>");
    body.push_str(&compose_table(&list));
    body.push_str(&pager(n, n * PER_PAGE < total as u64, |k| {
        url(
            "/ui/composes",
            &[("release", &release), ("page", &k.to_string())],
        )
    }));
    Ok(Html(page("Composes", "/ui/composes", &body)))
}

pub async fn compose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let rpm = param(&p, "rpm").to_string();
    let (cid, q) = (id.clone(), rpm.clone());
    let found = state
        .store
        .read(move |c| {
            let Some(compose) = composes::get_compose(c, &cid)? else {
                return Ok(None);
            };
            let trees = composes::trees(c, compose.pk)?;
            let images = composes::compose_images(c, compose.pk)?;
            let previous = composes::previous_compose(c, &compose)?;
            let rpms = composes::tree_rpms(
                c,
                &trees,
                Some(q.as_str()),
                (n - 1) * PER_PAGE,
                PER_PAGE + 1,
            )?;
            Ok(Some((compose, trees, images, previous, rpms)))
        })
        .await?;
    let Some((compose, trees, images, previous, mut rpms)) = found else {
        return Err(UiError::not_found(format!("there is no compose {id}")));
    };
    let state2 = state.clone();
    // The compose's own results, and its images' (by file name).
    let mut items = vec![id.clone()];
    items.extend(
        images
            .iter()
            .map(|i| i.file_name.clone())
            .filter(|f| !f.contains(',')),
    );
    let item = items.join(",");
    let tests = state2
        .store
        .read(move |c| {
            let pairs = vec![
                ("item".to_string(), item.clone()),
                ("limit".to_string(), "50".to_string()),
            ];
            let q = ResultQuery::from_pairs(&pairs, &Default::default(), PageLimits::default())
                .map_err(almanac_store::StoreError::Invalid)?;
            results::list(c, &q)
        })
        .await?;
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Release {} · {} · {} respin {} · acceptance {} · {} rpms · {} images</p>",
        a(
            &format!("/ui/releases/{}", seg(&compose.release)),
            &compose.release
        ),
        esc(&compose.compose_date),
        esc(&compose.compose_type),
        compose.compose_respin,
        badge(&compose.acceptance_testing),
        compose.rpm_count,
        compose.image_count
    );
    if let Some(prev) = &previous {
        let _ = write!(
            body,
            "<p>{} · previous: {}</p>",
            a(
                &url(
                    &format!("/ui/composes/{}/diff", seg(&id)),
                    &[("against", prev)]
                ),
                "what changed since the previous compose"
            ),
            a(&format!("/ui/composes/{}", seg(prev)), prev)
        );
    }
    body.push_str("<h2>Variants and arches</h2>");
    let rows: Vec<Vec<String>> = trees
        .iter()
        .map(|t| vec![esc(&t.variant), esc(&t.arch), badge(&t.rtt_testing_status)])
        .collect();
    body.push_str(&table(&["variant", "arch", "release testing"], &rows));
    body.push_str("<h2>Images</h2>");
    let rows: Vec<Vec<String>> = images
        .iter()
        .map(|i| {
            let chart = url(
                "/ui/image-sizes",
                &[
                    ("release", &compose.release),
                    ("variant", &i.variant),
                    ("arch", &i.arch),
                    ("image_type", &i.image_type),
                ],
            );
            vec![
                esc(&i.variant),
                esc(&i.arch),
                esc(&i.image_type),
                esc(&i.file_name),
                format!(
                    "<span title=\"{} bytes\">{}</span>",
                    i.size,
                    esc(&human_size(i.size))
                ),
                a(&chart, "size over time"),
            ]
        })
        .collect();
    body.push_str(&table(
        &["variant", "arch", "type", "file", "size", ""],
        &rows,
    ));
    body.push_str("<h2>Tests on this compose and its images</h2>");
    body.push_str(&result_table(&tests));
    let _ = write!(
        body,
        "<p>{}</p>",
        a(
            &url("/ui/results", &[("item", &id)]),
            "all results for this compose"
        )
    );
    let _ = write!(body, "<h2>Rpms</h2>");
    body.push_str(&filters(
        &format!("/ui/composes/{}", seg(&id)),
        &[("rpm", "name starts with", &rpm)],
    ));
    if rpm.is_empty() {
        let _ = write!(
            body,
            "<p class=\"muted\">{} rpm entries, tree by tree</p>",
            compose.rpm_count
        );
    }
    let more = rpms.len() as u64 > PER_PAGE;
    rpms.truncate(PER_PAGE as usize);
    let rows: Vec<Vec<String>> = rpms
        .iter()
        .map(|r| {
            vec![
                esc(&r.variant),
                esc(&r.arch),
                esc(&r.nevra),
                esc(&r.category),
                esc(r.sigkey.as_deref().unwrap_or("(unsigned)")),
            ]
        })
        .collect();
    body.push_str(&table(
        &["variant", "arch", "nevra", "category", "sigkey"],
        &rows,
    ));
    body.push_str(&pager(n, more, |k| {
        url(
            &format!("/ui/composes/{}", seg(&id)),
            &[("rpm", &rpm), ("page", &k.to_string())],
        )
    }));
    Ok(Html(page(&id, "/ui/composes", &body)))
}

pub async fn diff(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let against = param(&p, "against").to_string();
    let (new, old) = (id.clone(), against.clone());
    let (d, others) = state
        .store
        .read(move |c| {
            let Some(compose) = composes::get_compose(c, &new)? else {
                return Ok(None);
            };
            let f = ComposeFilter {
                releases: vec![compose.release.clone()],
                deleted: Some(false),
                ..Default::default()
            };
            let others: Vec<String> = composes::list_composes(
                c,
                &f,
                &["-compose_date".into(), "-id".into()],
                Some((1, 200)),
            )?
            .1
            .into_iter()
            .map(|c| c.compose_id)
            .filter(|c| *c != new)
            .collect();
            let old = if old.is_empty() {
                match composes::previous_compose(c, &compose)? {
                    Some(p) => p,
                    None => return Ok(Some((None, others))),
                }
            } else {
                old.clone()
            };
            Ok(Some((Some(old), others)))
        })
        .await?
        .ok_or_else(|| UiError::not_found(format!("there is no compose {id}")))?;
    let mut picker = format!(
        "<form class=\"filters\" method=\"get\" action=\"/ui/composes/{}/diff\"><label>compare with <select name=\"against\">",
        esc(&seg(&id))
    );
    for o in &others {
        let selected = if *o == against { " selected" } else { "" };
        let _ = write!(picker, "<option{selected}>{}</option>", esc(o));
    }
    picker.push_str("</select></label><button type=\"submit\">Compare</button></form>");
    let Some(d) = d else {
        let body = format!(
            "<p>{} is the first compose of its release: there is none before it to compare with.</p>{}",
            a(&format!("/ui/composes/{}", seg(&id)), &id),
            if others.is_empty() {
                String::new()
            } else {
                picker
            }
        );
        return Ok(Html(page(
            &format!("What changed in {id}"),
            "/ui/composes",
            &body,
        )));
    };
    let d = diff_of(&state, &d, &id).await?;
    let t = &d.totals;
    let mut body = picker;
    let _ = write!(
        body,
        "<p>From {} to {}.</p><div class=\"cards\" id=\"totals\">",
        a(&format!("/ui/composes/{}", seg(&d.old)), &d.old),
        a(&format!("/ui/composes/{}", seg(&d.new)), &d.new)
    );
    for (label, n) in [
        ("added", t.added),
        ("removed", t.removed),
        ("upgraded", t.upgraded),
        ("downgraded", t.downgraded),
        ("images resized", t.images_resized),
        ("images added", t.images_added),
        ("images removed", t.images_removed),
    ] {
        let _ = write!(
            body,
            "<div class=\"card\"><div class=\"n\" data-count=\"{}\">{n}</div><div class=\"muted\">{label}</div></div>",
            label.replace(' ', "_")
        );
    }
    body.push_str("</div>");
    for tree in d.trees.iter().filter(|t| t.changed) {
        let c = &tree.counts;
        let _ = write!(
            body,
            "<h2>{} / {}</h2><p class=\"muted\">{} added, {} removed, {} upgraded, {} downgraded, {} images resized</p>",
            esc(&tree.variant),
            esc(&tree.arch),
            c.added,
            c.removed,
            c.upgraded,
            c.downgraded,
            c.images_resized
        );
        let mut rows: Vec<Vec<String>> = Vec::new();
        rows.extend(
            tree.added
                .iter()
                .map(|n| vec![badge("added"), esc(n), String::new()]),
        );
        rows.extend(
            tree.removed
                .iter()
                .map(|n| vec![badge("removed"), esc(n), String::new()]),
        );
        rows.extend(
            tree.upgraded
                .iter()
                .map(|u| vec![badge("upgraded"), esc(&u.old), esc(&u.new)]),
        );
        rows.extend(
            tree.downgraded
                .iter()
                .map(|u| vec![badge("downgraded"), esc(&u.old), esc(&u.new)]),
        );
        let listed = rows.len();
        rows.truncate(DIFF_ROWS);
        rows.extend(tree.images_resized.iter().map(|i| {
            vec![
                badge("resized"),
                format!("{} {}", esc(&i.old_file_name), esc(&human_size(i.old_size))),
                format!(
                    "{} {} ({:+})",
                    esc(&i.new_file_name),
                    esc(&human_size(i.new_size)),
                    i.delta
                ),
            ]
        }));
        body.push_str(&table(&["", "old", "new"], &rows));
        if listed > DIFF_ROWS {
            let _ = write!(
                body,
                "<p class=\"muted\">... and {} more: {}</p>",
                listed - DIFF_ROWS,
                a(
                    &url(
                        &format!("/api/almanac/v1/composes/{}/diff", seg(&d.new)),
                        &[("against", &d.old), ("format", "text"), ("verbose", "true")]
                    ),
                    "every change, as text"
                )
            );
        }
    }
    Ok(Html(page(
        &format!("What changed in {}", d.new),
        "/ui/composes",
        &body,
    )))
}

/// Package changes a tree's table lists before "and N more".
const DIFF_ROWS: usize = 200;

/// The diff of two composes, from the cache (composes do not change once
/// imported) or computed and kept.
async fn diff_of(
    state: &AppState,
    old: &str,
    new: &str,
) -> Result<std::sync::Arc<almanac_model::compose_diff::ComposeDiff>, UiError> {
    let key = (old.to_string(), new.to_string());
    if let Some(d) = state.ui.diff(&key) {
        return Ok(d);
    }
    let (o, n) = key.clone();
    let d = state
        .store
        .read(move |c| composes::diff(c, &o, &n))
        .await?
        .map_err(|missing| UiError::not_found(format!("there is no compose {missing}")))?;
    Ok(state.ui.keep_diff(key, d))
}

pub async fn image_sizes(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let q = SizeQuery {
        release: param(&p, "release").to_string(),
        variant: param(&p, "variant").to_string(),
        arch: param(&p, "arch").to_string(),
        image_type: param(&p, "image_type").to_string(),
        format: None,
        subvariant: None,
    };
    let mut body = filters(
        "/ui/image-sizes",
        &[
            ("release", "release", &q.release),
            ("variant", "variant", &q.variant),
            ("arch", "arch", &q.arch),
            ("image_type", "image type", &q.image_type),
        ],
    );
    if q.release.is_empty() || q.variant.is_empty() || q.arch.is_empty() || q.image_type.is_empty()
    {
        body.push_str("<p class=\"muted\">Name a release, a variant, an arch and an image type (a compose's page links here with them).</p>");
        return Ok(Html(page("Image size over time", "/ui/composes", &body)));
    }
    let title = format!("{} {} {} {}", q.release, q.variant, q.arch, q.image_type);
    let qq = q.clone();
    let history = state
        .store
        .read(move |c| composes::image_size_history(c, &qq))
        .await?;
    let points: Vec<Point> = history
        .iter()
        .map(|h| Point {
            label: h.compose_id.clone(),
            date: h.compose_date.clone(),
            value: h.size.max(0) as u64,
            href: format!("/ui/composes/{}", seg(&h.compose_id)),
        })
        .collect();
    let _ = write!(
        body,
        "<div class=\"chart\">{}</div>",
        size_chart(&title, &points)
    );
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|h| {
            vec![
                a(
                    &format!("/ui/composes/{}", seg(&h.compose_id)),
                    &h.compose_id,
                ),
                esc(&h.compose_date),
                esc(&h.file_name),
                format!(
                    "<span title=\"{} bytes\">{}</span>",
                    h.size,
                    esc(&human_size(h.size.max(0) as u64))
                ),
            ]
        })
        .collect();
    body.push_str(&table(&["compose", "date", "file", "size"], &rows));
    Ok(Html(page(
        &format!("Image size: {title}"),
        "/ui/composes",
        &body,
    )))
}

fn result_table(list: &[almanac_model::results::StoredResult]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            let data: serde_json::Value = serde_json::from_str(&r.data_json).unwrap_or_default();
            let item = data["item"][0].as_str().unwrap_or("").to_string();
            vec![
                a(&format!("/ui/results/{}", r.id), &r.id.to_string()),
                a(
                    &url("/ui/results", &[("testcase", &r.testcase.name)]),
                    &r.testcase.name,
                ),
                if item.is_empty() {
                    String::new()
                } else {
                    a(&url("/ui/results", &[("item", &item)]), &item)
                },
                badge(&r.outcome),
                esc(&r.submit_time.to_string()),
            ]
        })
        .collect();
    table(
        &["result", "testcase", "item", "outcome", "submitted"],
        &rows,
    )
}

pub async fn results_page(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let keep = ["item", "testcase", "outcome", "since"];
    let mut pairs: Vec<(String, String)> = Vec::new();
    for k in keep {
        let v = param(&p, k);
        if !v.is_empty() {
            let key = if k == "testcase" { "testcases" } else { k };
            pairs.push((key.to_string(), v.to_string()));
        }
    }
    pairs.push(("limit".into(), PER_PAGE.to_string()));
    pairs.push(("page".into(), (n - 1).to_string()));
    let outcomes = state.settings.outcomes.clone();
    let q = ResultQuery::from_pairs(&pairs, &outcomes, PageLimits::default())
        .map_err(|e| UiError::bad(e.message))?;
    let list = state.store.read(move |c| results::list(c, &q)).await?;
    let values: Vec<(&str, String)> = keep
        .iter()
        .map(|k| (*k, param(&p, k).to_string()))
        .collect();
    let mut body = filters(
        "/ui/results",
        &[
            ("item", "item", &values[0].1),
            ("testcase", "testcase", &values[1].1),
            ("outcome", "outcome", &values[2].1),
            ("since", "since", &values[3].1),
        ],
    );
    let more = list.len() as u64 > PER_PAGE;
    let shown: Vec<_> = list.into_iter().take(PER_PAGE as usize).collect();
    body.push_str(&result_table(&shown));
    body.push_str(&pager(n, more, |k| {
        let mut all: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ks = k.to_string();
        all.push(("page", &ks));
        url("/ui/results", &all)
    }));
    Ok(Html(page("Results", "/ui/results", &body)))
}

pub async fn result(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, UiError> {
    let rid: i64 = id
        .parse()
        .map_err(|_| UiError::not_found(format!("there is no result {id}")))?;
    let r = state
        .store
        .read(move |c| results::get(c, rid))
        .await?
        .ok_or_else(|| UiError::not_found(format!("there is no result {id}")))?;
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r.data_json).unwrap_or_default();
    let mut body = format!(
        "<p>{} · {} · submitted {}</p>",
        a(
            &url("/ui/results", &[("testcase", &r.testcase.name)]),
            &r.testcase.name
        ),
        badge(&r.outcome),
        esc(&r.submit_time.to_string())
    );
    if let Some(u) = &r.ref_url {
        let _ = write!(body, "<p>Log: <code>{}</code></p>", esc(u));
    }
    if let Some(note) = r.note.as_deref().filter(|n| !n.is_empty()) {
        let _ = write!(body, "<p>{}</p>", esc(note));
    }
    body.push_str("<h2>Data</h2>");
    let rows: Vec<Vec<String>> = data
        .iter()
        .map(|(k, v)| {
            let values: Vec<String> = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .map(esc)
                .collect();
            vec![esc(k), values.join("<br>")]
        })
        .collect();
    body.push_str(&table(&["key", "value"], &rows));
    body.push_str("<h2>Groups</h2>");
    let rows: Vec<Vec<String>> = r
        .groups
        .iter()
        .map(|g| vec![a(&url("/ui/results", &[]), g)])
        .collect();
    body.push_str(&table(&["group"], &rows));
    Ok(Html(page(&format!("Result {id}"), "/ui/results", &body)))
}

pub async fn journal_page(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let status = param(&p, "status").to_string();
    let st =
        if status.is_empty() {
            None
        } else {
            Some(Status::parse(&status).ok_or_else(|| {
                UiError::bad(format!("'{status}' is not applied, ignored or failed"))
            })?)
        };
    let after: i64 = match param(&p, "after") {
        "" => 0,
        v => v
            .parse()
            .map_err(|_| UiError::bad(format!("after '{v}' is not a number")))?,
    };
    let f = Filter {
        status: st,
        after: Some(after),
        limit: PER_PAGE as i64,
        ..Default::default()
    };
    let (entries, counts) = state
        .store
        .read(move |c| Ok((journal::list(c, &f)?, journal::counts(c)?)))
        .await?;
    let mut body = String::from("<p>");
    let _ = write!(body, "{} ", a("/ui/journal", "all"));
    for (s, n) in &counts {
        let _ = write!(
            body,
            "· {} ",
            a(&url("/ui/journal", &[("status", s)]), &format!("{s} ({n})"))
        );
    }
    body.push_str("</p>");
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                esc(&e.message_id),
                esc(&e.topic),
                badge(e.status.as_str()),
                esc(e.handler.as_deref().unwrap_or("")),
                esc(e.reason.as_deref().unwrap_or("")),
                e.deliveries.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "message",
            "topic",
            "status",
            "handler",
            "reason",
            "deliveries",
        ],
        &rows,
    ));
    if let Some(last) = entries.last().filter(|_| entries.len() as u64 == PER_PAGE) {
        let _ = write!(
            body,
            "<p>{}</p>",
            a(
                &url(
                    "/ui/journal",
                    &[("status", &status), ("after", &last.id.to_string())]
                ),
                "more →"
            )
        );
    }
    Ok(Html(page("Bus journal", "/ui/journal", &body)))
}

pub async fn changesets(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let (total, list) = state
        .store
        .read(move |c| almanac_store::changes::summaries(c, (n - 1) * PER_PAGE, PER_PAGE))
        .await?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|cs| {
            let what = &cs.classes;
            vec![
                cs.id.to_string(),
                esc(&cs.committed_on.to_string()),
                esc(cs.author.as_deref().unwrap_or("")),
                esc(&cs.source),
                esc(cs.comment.as_deref().unwrap_or("")),
                esc(&what
                    .iter()
                    .map(|(k, v)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")),
            ]
        })
        .collect();
    let mut body = format!("<p class=\"muted\">{total} changesets</p>");
    body.push_str(&table(
        &["id", "when", "author", "door", "comment", "changes"],
        &rows,
    ));
    body.push_str(&pager(n, n * PER_PAGE < total as u64, |k| {
        url("/ui/changesets", &[("page", &k.to_string())])
    }));
    Ok(Html(page("Changesets", "/ui/changesets", &body)))
}

pub async fn releases(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let q = param(&p, "q").to_string();
    let qq = q.clone();
    let list = state
        .store
        .read(move |c| {
            let f = ReleaseFilter::default();
            Ok(list_releases(c, &f, &[], None)?
                .1
                .into_iter()
                .filter(|r| qq.is_empty() || r.release_id.contains(&qq) || r.name.contains(&qq))
                .collect::<Vec<_>>())
        })
        .await?;
    let mut body = filters("/ui/releases", &[("q", "release contains", &q)]);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            vec![
                a(
                    &format!("/ui/releases/{}", seg(&r.release_id)),
                    &r.release_id,
                ),
                esc(&r.name),
                esc(&r.release_type),
                badge(if r.active { "active" } else { "inactive" }),
                esc(r.product_version.as_deref().unwrap_or("")),
                esc(r.dist_git.as_ref().map(|d| d.branch.as_str()).unwrap_or("")),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "release",
            "name",
            "type",
            "state",
            "product version",
            "dist-git branch",
        ],
        &rows,
    ));
    Ok(Html(page("Releases", "/ui/releases", &body)))
}

pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let q = param(&p, "component").to_string();
    let (rid, qq) = (id.clone(), q.clone());
    let found = state
        .store
        .read(move |c| {
            let Some(r) = almanac_store::releases::get_release(c, &rid)? else {
                return Ok(None);
            };
            let vf = almanac_store::releases::VariantFilter {
                releases: vec![rid.clone()],
                ..Default::default()
            };
            let variants = almanac_store::releases::list_variants(c, &vf, &[], None)?.1;
            let cf = almanac_store::components::ReleaseComponentFilter {
                releases: vec![rid.clone()],
                names: if qq.is_empty() {
                    Vec::new()
                } else {
                    vec![qq.clone()]
                },
                include_inactive_release: true,
                ..Default::default()
            };
            let comps = almanac_store::components::list_release_components(
                c,
                &cf,
                &["name".into()],
                Some((n, PER_PAGE)),
            )?;
            let gf = almanac_store::components::GroupFilter {
                releases: vec![rid.clone()],
                ..Default::default()
            };
            let groups = almanac_store::components::list_groups(c, &gf, &[], None)?.1;
            let f = ComposeFilter {
                releases: vec![rid.clone()],
                deleted: Some(false),
                ..Default::default()
            };
            let composes = composes::list_composes(
                c,
                &f,
                &["-compose_date".into(), "-id".into()],
                Some((1, 10)),
            )?
            .1;
            Ok(Some((r, variants, comps, groups, composes)))
        })
        .await?;
    let Some((r, variants, (comp_total, comps), groups, recent)) = found else {
        return Err(UiError::not_found(format!("there is no release {id}")));
    };
    let mut body = format!(
        "<p>{} · {} · {}</p>",
        esc(&r.name),
        esc(&r.release_type),
        badge(if r.active { "active" } else { "inactive" })
    );
    body.push_str("<h2>Variants</h2>");
    let rows: Vec<Vec<String>> = variants
        .iter()
        .map(|v| {
            vec![
                esc(&v.uid),
                esc(&v.name),
                esc(&v.variant_type),
                esc(&v.arches.join(", ")),
            ]
        })
        .collect();
    body.push_str(&table(&["uid", "name", "type", "arches"], &rows));
    body.push_str("<h2>Component groups</h2>");
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            vec![
                esc(&g.group_type),
                esc(&g.description),
                g.components.len().to_string(),
            ]
        })
        .collect();
    body.push_str(&table(&["type", "description", "components"], &rows));
    body.push_str("<h2>Latest composes</h2>");
    body.push_str(&compose_table(&recent));
    let _ = write!(
        body,
        "<p>{}</p>",
        a(
            &url("/ui/composes", &[("release", &id)]),
            "all composes of this release"
        )
    );
    body.push_str("<h2>Components</h2>");
    body.push_str(&filters(
        &format!("/ui/releases/{}", seg(&id)),
        &[("component", "name", &q)],
    ));
    let _ = write!(body, "<p class=\"muted\">{comp_total} components</p>");
    let rows: Vec<Vec<String>> = comps
        .iter()
        .map(|c| {
            vec![
                esc(&c.name),
                esc(&c.component_type),
                esc(c.dist_git_branch.as_deref().unwrap_or("")),
                esc(c
                    .bugzilla_component
                    .as_ref()
                    .map(|b| b.name.as_str())
                    .unwrap_or("")),
                badge(if c.active { "active" } else { "inactive" }),
            ]
        })
        .collect();
    body.push_str(&table(
        &["name", "type", "dist-git branch", "bugzilla", "state"],
        &rows,
    ));
    body.push_str(&pager(n, n * PER_PAGE < comp_total as u64, |k| {
        url(
            &format!("/ui/releases/{}", seg(&id)),
            &[("component", &q), ("page", &k.to_string())],
        )
    }));
    Ok(Html(page(&id, "/ui/releases", &body)))
}

pub async fn products(State(state): State<AppState>) -> Result<Html<String>, UiError> {
    let (products, versions) = state
        .store
        .read(|c| {
            use almanac_store::products::{
                ProductFilter, ProductVersionFilter, list_product_versions, list_products,
            };
            Ok((
                list_products(c, &ProductFilter::default(), &[], None)?.1,
                list_product_versions(c, &ProductVersionFilter::default(), &[], None)?.1,
            ))
        })
        .await?;
    let releases = state
        .store
        .read(|c| Ok(list_releases(c, &ReleaseFilter::default(), &[], None)?.1))
        .await?;
    let rows: Vec<Vec<String>> = products
        .iter()
        .map(|p| {
            let pvs: Vec<String> = versions
                .iter()
                .filter(|v| v.product == p.short)
                .map(|v| {
                    let rels: Vec<String> = releases
                        .iter()
                        .filter(|r| {
                            r.product_version.as_deref() == Some(v.product_version_id.as_str())
                        })
                        .map(|r| {
                            a(
                                &format!("/ui/releases/{}", seg(&r.release_id)),
                                &r.release_id,
                            )
                        })
                        .collect();
                    format!("{}: {}", esc(&v.product_version_id), rels.join(", "))
                })
                .collect();
            vec![
                esc(&p.name),
                esc(&p.short),
                badge(if p.active { "active" } else { "inactive" }),
                pvs.join("<br>"),
            ]
        })
        .collect();
    let body = table(
        &["product", "short", "state", "versions and their releases"],
        &rows,
    );
    Ok(Html(page("Products", "/ui/products", &body)))
}

pub async fn components(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Html<String>, UiError> {
    let n = page_no(&p)?;
    let q = param(&p, "name").to_string();
    let qq = q.clone();
    let (total, list) = state
        .store
        .read(move |c| {
            let f = almanac_store::components::GlobalComponentFilter {
                name_contains: if qq.is_empty() {
                    Vec::new()
                } else {
                    vec![qq.clone()]
                },
                ..Default::default()
            };
            almanac_store::components::list_global_components(
                c,
                &f,
                &["name".into()],
                Some((n, PER_PAGE)),
            )
        })
        .await?;
    let mut body = filters("/ui/components", &[("name", "name contains", &q)]);
    let _ = write!(body, "<p class=\"muted\">{total} global components</p>");
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|g| {
            vec![
                esc(&g.name),
                esc(g.dist_git_path.as_deref().unwrap_or("")),
                esc(g
                    .upstream
                    .as_ref()
                    .map(|u| u.homepage.as_str())
                    .unwrap_or("")),
            ]
        })
        .collect();
    body.push_str(&table(&["name", "dist-git path", "upstream"], &rows));
    body.push_str(&pager(n, n * PER_PAGE < total as u64, |k| {
        url("/ui/components", &[("name", &q), ("page", &k.to_string())])
    }));
    Ok(Html(page("Components", "/ui/components", &body)))
}
