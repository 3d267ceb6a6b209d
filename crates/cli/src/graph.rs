//! `almanac graph ...`: the artifact graph's questions from the shell.
//!
//! Each question is asked of the same handlers the HTTP API serves, in
//! process (no server needed), so the CLI and `/api/almanac/v1/graph/...`
//! cannot disagree. `--json` prints the API's answer; otherwise a text for
//! people. `almanac graph load FILE` writes input sets (the ensure form).

use crate::config::Settings;
use almanac_api::{AppState, router};
use almanac_model::artifacts::EdgeKinds;
use almanac_store::graph::{InputSet, NATIVE};
use almanac_store::{Actor, Store, changes};
use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::Value;
use tower::ServiceExt;

#[derive(Debug, clap::Subcommand)]
pub enum GraphCommand {
    /// What went into ARTIFACT (kind:name, e.g. image:fedora-httpd), transitively.
    Inputs {
        artifact: String,
        #[command(flatten)]
        walk: WalkArgs,
    },
    /// What is made from INPUT, transitively.
    Consumers {
        input: String,
        #[command(flatten)]
        walk: WalkArgs,
    },
    /// Why ARTIFACT depends on INPUT: the shortest chain of edges.
    Path {
        input: String,
        artifact: String,
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// The tier of ARTIFACT and of each of its inputs in its layered build.
    Tiers {
        artifact: String,
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// What to rebuild, in order, when CHANGED change.
    RebuildPlan {
        #[arg(required = true)]
        changed: Vec<String>,
        #[arg(long = "kind")]
        kinds: Vec<String>,
        /// Name the component groups of this release only.
        #[arg(long)]
        release: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// ARTIFACT's transitive inputs as an SBOM.
    Sbom {
        artifact: String,
        #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
        format: SbomFormat,
    },
    /// Makes artifacts' inputs exactly those in FILE: JSON, a list of
    /// {"artifact": ..., "inputs": [{"input": ..., "kind": ...}]}.
    Load { file: std::path::PathBuf },
}

#[derive(Debug, clap::Args)]
pub struct WalkArgs {
    /// How deep to walk (1: direct only).
    #[arg(long)]
    depth: Option<u32>,
    /// Follow only these edge kinds (repeatable).
    #[arg(long = "kind")]
    kinds: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
}

/// `?k=v&...`, the values percent-encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("?{}", q.join("&"))
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Asks the API's handlers in process; the answer's JSON, or its message.
fn ask(
    store: &Store,
    settings: &Settings,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let app = router(AppState::new(store.clone(), settings.api_settings()));
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, bytes) = rt.block_on(async {
        let response = app.oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok::<_, anyhow::Error>((status, bytes))
    })?;
    let v: Value = serde_json::from_slice(&bytes).context("the API's answer is not JSON")?;
    if !status.is_success() {
        bail!(
            "{}",
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or("refused")
        );
    }
    Ok(v)
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_cycles(v: &Value) {
    for c in v["cycles"].as_array().into_iter().flatten() {
        let members: Vec<&str> = c
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!("cycle ({}): {}", members.len(), members.join(" "));
    }
}

pub fn run(store: &Store, settings: &Settings, cmd: GraphCommand) -> anyhow::Result<()> {
    const API: &str = "/api/almanac/v1/graph";
    match cmd {
        GraphCommand::Inputs { artifact, walk } => {
            walk_cmd(store, settings, "inputs", "artifact", &artifact, walk)
        }
        GraphCommand::Consumers { input, walk } => {
            walk_cmd(store, settings, "consumers", "input", &input, walk)
        }
        GraphCommand::Path {
            input,
            artifact,
            kinds,
            json,
        } => {
            let mut p = vec![("input", input.as_str()), ("artifact", artifact.as_str())];
            p.extend(kinds.iter().map(|k| ("kind", k.as_str())));
            let v = ask(
                store,
                settings,
                Method::GET,
                &format!("{API}/path{}", query(&p)),
                None,
            )?;
            if json {
                return print_json(&v);
            }
            for s in v["steps"].as_array().into_iter().flatten() {
                println!(
                    "{} -> {} ({})",
                    s["input"].as_str().unwrap_or(""),
                    s["artifact"].as_str().unwrap_or(""),
                    s["kinds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(())
        }
        GraphCommand::Tiers {
            artifact,
            kinds,
            json,
        } => {
            let mut p = vec![("artifact", artifact.as_str())];
            p.extend(kinds.iter().map(|k| ("kind", k.as_str())));
            let v = ask(
                store,
                settings,
                Method::GET,
                &format!("{API}/tiers{}", query(&p)),
                None,
            )?;
            if json {
                return print_json(&v);
            }
            println!("{} is in tier {}", artifact, v["tier"]);
            for t in v["tiers"].as_array().into_iter().flatten() {
                let names: Vec<&str> = t["artifacts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                println!("tier {} ({}): {}", t["tier"], names.len(), names.join(" "));
            }
            print_cycles(&v);
            Ok(())
        }
        GraphCommand::RebuildPlan {
            changed,
            kinds,
            release,
            json,
        } => {
            let body = serde_json::json!({"changed": changed, "kinds": kinds, "release": release});
            let v = ask(
                store,
                settings,
                Method::POST,
                &format!("{API}/rebuild-plan"),
                Some(body),
            )?;
            if json {
                return print_json(&v);
            }
            println!(
                "{} artifacts to rebuild in {} steps",
                v["count"],
                v["steps"].as_array().map_or(0, Vec::len)
            );
            for s in v["steps"].as_array().into_iter().flatten() {
                println!("step {}:", s["step"]);
                for a in s["artifacts"].as_array().into_iter().flatten() {
                    let by: Vec<&str> = a["triggered_by"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let groups: Vec<String> = a["component_groups"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|g| {
                            format!(
                                "{}/{}",
                                g["release"].as_str().unwrap_or(""),
                                g["description"].as_str().unwrap_or("")
                            )
                        })
                        .collect();
                    let groups = if groups.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", groups.join(", "))
                    };
                    println!(
                        "  {} (by {}){groups}",
                        a["artifact"].as_str().unwrap_or(""),
                        by.join(", ")
                    );
                }
            }
            for u in v["unknown"].as_array().into_iter().flatten() {
                println!("not in the graph: {}", u.as_str().unwrap_or(""));
            }
            Ok(())
        }
        GraphCommand::Sbom { artifact, format } => {
            let f = match format {
                SbomFormat::Cyclonedx => "cyclonedx",
                SbomFormat::Spdx => "spdx",
            };
            let p = [("artifact", artifact.as_str()), ("format", f)];
            print_json(&ask(
                store,
                settings,
                Method::GET,
                &format!("{API}/sbom{}", query(&p)),
                None,
            )?)
        }
        GraphCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let kinds = settings.api_settings().graph.edge_kinds;
            let sets = input_sets(&v, &kinds).with_context(|| format!("in {}", file.display()))?;
            let a = load(store, sets)?;
            println!(
                "{} edges added, {} removed, over {} artifacts",
                a.added, a.removed, a.artifacts
            );
            Ok(())
        }
    }
}

fn walk_cmd(
    store: &Store,
    settings: &Settings,
    what: &str,
    key: &str,
    node: &str,
    w: WalkArgs,
) -> anyhow::Result<()> {
    let depth = w.depth.map(|d| d.to_string());
    let mut p = vec![(key, node)];
    if let Some(d) = &depth {
        p.push(("max_depth", d.as_str()));
    }
    p.extend(w.kinds.iter().map(|k| ("kind", k.as_str())));
    let v = ask(
        store,
        settings,
        Method::GET,
        &format!("/api/almanac/v1/graph/{what}{}", query(&p)),
        None,
    )?;
    if w.json {
        return print_json(&v);
    }
    for n in v["nodes"].as_array().into_iter().flatten() {
        println!("{}\t{}", n["depth"], n["artifact"].as_str().unwrap_or(""));
    }
    print_cycles(&v);
    if v["truncated"].as_bool() == Some(true) {
        println!("(stopped at depth {})", v["max_depth"]);
    }
    Ok(())
}

/// The input sets of a load file, checked.
pub fn input_sets(v: &Value, kinds: &EdgeKinds) -> anyhow::Result<Vec<InputSet>> {
    let Some(items) = v.as_array() else {
        bail!("expected a list of {{\"artifact\", \"inputs\"}}");
    };
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let artifact = item["artifact"]
                .as_str()
                .with_context(|| format!("[{n}].artifact is missing"))?;
            let inputs = item["inputs"]
                .as_array()
                .with_context(|| format!("[{n}].inputs is missing"))?;
            let inputs = inputs
                .iter()
                .enumerate()
                .map(|(m, i)| {
                    let e = almanac_model::artifacts::Edge {
                        input: i["input"]
                            .as_str()
                            .with_context(|| format!("[{n}].inputs[{m}].input is missing"))?
                            .to_string(),
                        artifact: artifact.to_string(),
                        kind: i["kind"]
                            .as_str()
                            .with_context(|| format!("[{n}].inputs[{m}].kind is missing"))?
                            .to_string(),
                    };
                    kinds.check_edge(&format!("[{n}].inputs[{m}]"), &e)?;
                    Ok((e.input, e.kind))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(InputSet {
                artifact: artifact.to_string(),
                inputs,
            })
        })
        .collect()
}

/// Writes input sets in one transaction, with their changeset.
pub fn load(store: &Store, sets: Vec<InputSet>) -> anyhow::Result<almanac_store::graph::Applied> {
    Ok(store.write_blocking(move |c| {
        let mut ch = Vec::new();
        let a = almanac_store::graph::ensure_inputs(c, &sets, NATIVE, Some(&mut ch))?;
        changes::record(c, &Actor::anonymous("cli"), ch)?;
        Ok::<_, almanac_store::StoreError>(a)
    })?)
}
