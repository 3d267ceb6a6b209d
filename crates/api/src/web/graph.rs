//! The artifact graph in the web UI: an artifact's inputs and consumers
//! drawn by tier (up to a depth), the cycles among them marked, and the
//! rebuild plan if it changes, from the in-memory index the graph API
//! answers with.

use super::UiError;
use super::html::{a, esc, page, table, url};
use crate::AppState;
use almanac_model::graph::{Direction, Rebuild, Walk};
use almanac_model::svg::{Box_, tier_drawing};
use axum::extract::{Query, State};
use axum::response::Html;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

/// Most boxes a column of the drawing shows.
const PER_COLUMN: usize = 40;

struct View {
    found: bool,
    boxes: Vec<Box_>,
    edges: Vec<(String, String)>,
    cycles: Vec<Vec<String>>,
    hidden: usize,
    plan: Vec<Vec<Rebuild>>,
    names: Vec<String>,
    total: usize,
}

fn href(name: &str, depth: u32) -> String {
    url(
        "/ui/graph",
        &[("artifact", name), ("depth", &depth.to_string())],
    )
}

pub async fn view(
    State(state): State<AppState>,
    Query(p): Query<BTreeMap<String, String>>,
) -> Result<Html<String>, UiError> {
    let artifact = p.get("artifact").cloned().unwrap_or_default();
    let depth: u32 = match p.get("depth").map(String::as_str) {
        None | Some("") => 2,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| (1..=10).contains(d))
            .ok_or_else(|| UiError::bad(format!("depth '{d}' is not 1 to 10")))?,
    };
    let index = state.graph.clone();
    let name = artifact.clone();
    let v = state
        .store
        .read(move |c| {
            index.query(c, |_, g, _| {
                let mut v = View {
                    found: false,
                    boxes: Vec::new(),
                    edges: Vec::new(),
                    cycles: Vec::new(),
                    hidden: 0,
                    plan: Vec::new(),
                    names: Vec::new(),
                    total: g.len(),
                };
                if name.is_empty() {
                    let mut names: Vec<String> =
                        (0..g.len() as u32).map(|n| g.name(n).to_string()).collect();
                    names.sort();
                    names.truncate(300);
                    v.names = names;
                    return v;
                }
                let walk = Walk {
                    max_depth: Some(depth),
                    kinds: Vec::new(),
                };
                let (Some(ins), Some(outs)) = (
                    g.walk(&name, Direction::Inputs, &walk),
                    g.walk(&name, Direction::Consumers, &walk),
                ) else {
                    return v;
                };
                v.found = true;
                let mut cycles = ins.cycles.clone();
                cycles.extend(outs.cycles.iter().cloned());
                cycles.sort();
                cycles.dedup();
                let on_cycle: HashSet<String> = cycles.iter().flatten().cloned().collect();
                let mut per: BTreeMap<i32, usize> = BTreeMap::new();
                let mut push = |v: &mut View, column: i32, n: &str| {
                    let c = per.entry(column).or_default();
                    if *c >= PER_COLUMN {
                        v.hidden += 1;
                        return;
                    }
                    *c += 1;
                    v.boxes.push(Box_ {
                        column,
                        name: n.to_string(),
                        href: href(n, depth),
                        on_cycle: on_cycle.contains(n),
                    });
                };
                push(&mut v, 0, &name);
                for (n, d) in &ins.nodes {
                    push(&mut v, -(*d as i32), n);
                }
                for (n, d) in &outs.nodes {
                    if !ins.nodes.iter().any(|(m, _)| m == n) {
                        push(&mut v, *d as i32, n);
                    }
                }
                let drawn: HashSet<&str> = v.boxes.iter().map(|b| b.name.as_str()).collect();
                let mut edges = Vec::new();
                for b in &v.boxes {
                    for (input, _) in g.inputs_of(&b.name) {
                        if drawn.contains(input) {
                            edges.push((input.to_string(), b.name.clone()));
                        }
                    }
                }
                v.edges = edges;
                v.cycles = cycles;
                v.plan = g.rebuild_plan(&[name.as_str()], &[]);
                v
            })
        })
        .await?;
    let mut body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/ui/graph\"><label>artifact <input name=\"artifact\" value=\"{}\" size=\"40\"></label>\
<label>depth <input name=\"depth\" value=\"{depth}\" size=\"3\"></label><button type=\"submit\">Show</button></form>",
        esc(&artifact)
    );
    if artifact.is_empty() {
        let _ = write!(
            body,
            "<p class=\"muted\">{} artifacts; the first {} by name:</p><ul>",
            v.total,
            v.names.len()
        );
        for n in &v.names {
            let _ = write!(body, "<li>{}</li>", a(&href(n, depth), n));
        }
        body.push_str("</ul>");
        return Ok(Html(page("Artifact graph", "/ui/graph", &body)));
    }
    if !v.found {
        return Err(UiError::not_found(format!(
            "there is no artifact {artifact} in the graph"
        )));
    }
    let _ = write!(
        body,
        "<div class=\"drawing\">{}</div>",
        tier_drawing(&v.boxes, &v.edges)
    );
    if v.hidden > 0 {
        let _ = write!(
            body,
            "<p class=\"muted\">{} more not drawn (at most {PER_COLUMN} a column).</p>",
            v.hidden
        );
    }
    if !v.cycles.is_empty() {
        body.push_str("<h2>Cycles</h2><ul>");
        for c in &v.cycles {
            let _ = write!(
                body,
                "<li class=\"cycle\">{}</li>",
                c.iter()
                    .map(|n| a(&href(n, depth), n))
                    .collect::<Vec<_>>()
                    .join(" ↔ ")
            );
        }
        body.push_str("</ul>");
    }
    let _ = write!(
        body,
        "<h2>If {} changes: the rebuild plan</h2>",
        esc(&artifact)
    );
    let rows: Vec<Vec<String>> = v
        .plan
        .iter()
        .enumerate()
        .flat_map(|(i, step)| {
            step.iter().map(move |r| {
                vec![
                    (i + 1).to_string(),
                    a(&href(&r.artifact, depth), &r.artifact),
                ]
            })
        })
        .collect();
    body.push_str(&table(&["step", "rebuild"], &rows));
    Ok(Html(page(
        &format!("Graph: {artifact}"),
        "/ui/graph",
        &body,
    )))
}
