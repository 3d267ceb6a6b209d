//! `almanac bench graph`: the artifact graph at distribution scale. A
//! generated distribution (25,000 components, each with a build; 80,000
//! rpms; base, platform and application containers; cloud images; a
//! compose; 1,000,000 edges in all) is loaded through `POST graph/ensure`
//! over HTTP, then the questions release engineering asks are timed two
//! ways: the in-memory index the API answers from, and the recursive SQL
//! query it was measured against; and end to end over HTTP, JSON included.
//!
//! Fan-in is skewed as in a distribution: a dependency is drawn from the
//! packages before the one that needs it with probability falling as 1/rank,
//! so glibc (rank 0) is a direct input of most builds and reaches nearly
//! everything. One package in 500 also build-requires a later one: small
//! cycles, as bootstrap cycles are.

use super::http::Client;
use super::{Engines, engines};
use crate::sample::Rng;
use almanac_api::{ApiSettings, AppState, launch, router};
use almanac_model::graph::{Direction, Graph, Walk};
use almanac_store::testing::TestDb;
use almanac_store::{Actor, Engine, StoreError, graph as store_graph, tokens};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Which engines (PostgreSQL: a throw-away database on ALMANAC_TEST_POSTGRES_URL's server).
    #[arg(long, value_enum, default_value = "both")]
    engine: Engines,
    /// Source packages (components), each with one build.
    #[arg(long, default_value_t = 25_000)]
    components: usize,
    /// Binary rpms, spread over the builds.
    #[arg(long, default_value_t = 80_000)]
    rpms: usize,
    /// Edges in all (build-requires fill what the others leave).
    #[arg(long, default_value_t = 1_000_000)]
    edges: usize,
    /// Artifacts per `POST graph/ensure` during the load.
    #[arg(long, default_value_t = 2_000)]
    batch: usize,
    /// Times each query is asked (p50/p99 over them).
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Times each recursive SQL query is run (they are slow).
    #[arg(long, default_value_t = 3)]
    sql_runs: usize,
}

/// Well-known names for the most depended-on packages.
const CORE: &[&str] = &[
    "glibc",
    "gcc",
    "bash",
    "coreutils",
    "zlib",
    "openssl",
    "python3",
    "perl",
    "systemd",
    "rpm",
    "ncurses",
    "xz",
    "libffi",
    "util-linux",
    "glib2",
    "readline",
    "sqlite",
    "krb5",
    "curl",
    "libxml2",
];

/// The platform containers layered on the base, the applications on them.
const PLATFORMS: usize = 20;
const APPLICATIONS: usize = 180;
const CLOUD_IMAGES: usize = 10;

/// A generated distribution: each artifact with the complete set of its
/// inputs, the form `graph/ensure` takes.
pub struct Distribution {
    pub sets: Vec<(String, Vec<(String, &'static str)>)>,
    pub edges: usize,
    pub builds: Vec<String>,
    pub applications: Vec<String>,
    pub glibc: String,
    /// An rpm of middling popularity (rank 1,000).
    pub middling: String,
}

fn package(i: usize) -> String {
    CORE.get(i)
        .map_or_else(|| format!("pkg{i:05}"), |n| (*n).to_string())
}

/// A package before `i`, more likely the lower its rank: P(j) ~ 1/(j+1).
fn earlier(rng: &mut Rng, i: usize) -> usize {
    let u = rng.below(1 << 30) as f64 / f64::from(1u32 << 30);
    (((i as f64 + 1.0).powf(u)) as usize)
        .saturating_sub(1)
        .min(i - 1)
}

pub fn generate(components: usize, rpms: usize, edges: usize) -> Distribution {
    let mut rng = Rng::new(5);
    let components = components.max(2);
    let rpms = rpms.max(components);
    // Rpms per package: an even share, the rest one more each.
    let (share, extra) = (rpms / components, rpms % components);
    let mut rpm_names: Vec<Vec<String>> = Vec::with_capacity(components);
    let suffixes = ["", "-libs", "-devel", "-doc", "-tools", "-data"];
    for i in 0..components {
        let n = share + usize::from(i < extra);
        let name = package(i);
        rpm_names.push(
            (0..n)
                .map(|s| {
                    let suffix = suffixes
                        .get(s)
                        .map_or_else(|| format!("-sub{s}"), |x| (*x).to_string());
                    format!("rpm:{name}{suffix}-1.0-1.fc41.x86_64")
                })
                .collect(),
        );
    }
    let build = |i: usize| format!("build:{}-1.0-1.fc41", package(i));
    // An rpm of a package before `i`.
    let pick_rpm = |rng: &mut Rng, i: usize| -> String {
        let r = &rpm_names[earlier(rng, i)];
        r[rng.below(r.len() as u64) as usize].clone()
    };
    let mut sets: Vec<(String, Vec<(String, &'static str)>)> = Vec::new();
    let mut count = 0usize;
    // Builds from their components; rpms from their builds and what they require.
    for (i, names) in rpm_names.iter().enumerate() {
        for (s, rpm) in names.iter().enumerate() {
            let mut inputs = vec![(build(i), "built-from")];
            if i > 0 {
                let mut seen = HashSet::new();
                for _ in 0..5 {
                    let dep = pick_rpm(&mut rng, i);
                    if seen.insert(dep.clone()) {
                        inputs.push((dep, "requires"));
                    }
                }
            }
            if s > 0 {
                inputs.push((names[0].clone(), "requires"));
            }
            count += inputs.len();
            sets.push((rpm.clone(), inputs));
        }
    }
    // Images: a base container, platforms on it, applications on those;
    // cloud images; and a compose of every rpm and image.
    let base = "container:fedora:41".to_string();
    let includes = |rng: &mut Rng, n: usize, top: usize| -> Vec<(String, &'static str)> {
        let mut seen = HashSet::new();
        (0..n)
            .map(|_| pick_rpm(rng, top.min(components - 1).max(1)))
            .filter(|r| seen.insert(r.clone()))
            .map(|r| (r, "includes"))
            .collect()
    };
    let mut images = Vec::new();
    let base_inputs = includes(&mut rng, 200, 400);
    count += base_inputs.len();
    sets.push((base.clone(), base_inputs));
    images.push(base.clone());
    let mut platforms = Vec::new();
    for p in 0..PLATFORMS {
        let name = format!("container:platform-{p:02}:41");
        let mut inputs = includes(&mut rng, 100, 5_000);
        inputs.push((base.clone(), "base-image"));
        count += inputs.len();
        sets.push((name.clone(), inputs));
        platforms.push(name.clone());
        images.push(name);
    }
    let mut applications = Vec::new();
    for a in 0..APPLICATIONS {
        let name = format!("container:app-{a:03}:41");
        let n = 60 + rng.below(200) as usize;
        let mut inputs = includes(&mut rng, n, components);
        inputs.push((platforms[a % PLATFORMS].clone(), "base-image"));
        count += inputs.len();
        sets.push((name.clone(), inputs));
        applications.push(name.clone());
        images.push(name);
    }
    for c in 0..CLOUD_IMAGES {
        let name = format!("image:Fedora-Cloud-Base-{c}-41.x86_64.qcow2");
        let inputs = includes(&mut rng, 400, 3_000);
        count += inputs.len();
        sets.push((name.clone(), inputs));
        images.push(name);
    }
    let compose: Vec<(String, &'static str)> = rpm_names
        .iter()
        .flatten()
        .cloned()
        .chain(images.iter().cloned())
        .map(|n| (n, "includes"))
        .collect();
    count += compose.len();
    sets.push(("compose:Fedora-41-20261201.n.0".into(), compose));
    // Builds: their component, and build-requires for the rest of the edges.
    let left = edges.saturating_sub(count + components);
    let mut builds = Vec::with_capacity(components);
    for i in 0..components {
        let mut inputs = vec![(format!("component:{}", package(i)), "built-from")];
        if i > 0 {
            // An even share of what is left, a little more for later
            // packages (they need more to build).
            let want = (left * 2 * i / (components * components)).max(1);
            let mut seen = HashSet::new();
            for _ in 0..want * 2 {
                if seen.len() == want {
                    break;
                }
                let dep = pick_rpm(&mut rng, i);
                if seen.insert(dep.clone()) {
                    inputs.push((dep, "build-requires"));
                }
            }
        }
        if i % 500 == 250 && i + 3 < components {
            // A bootstrap cycle: this build needs a later package's rpm,
            // whose build needs this one's (a direct input, through
            // build-requires drawn above or added here).
            inputs.push((rpm_names[i + 2][0].clone(), "build-requires"));
        }
        count += inputs.len();
        builds.push(build(i));
        sets.push((build(i), inputs));
    }
    // Close the bootstrap cycles: the later build needs this one's rpm.
    for set in sets.iter_mut() {
        if let Some(rest) = set.0.strip_prefix("build:pkg")
            && let Some(i) = rest.split('-').next().and_then(|n| n.parse::<usize>().ok())
            && i % 500 == 252
        {
            let back = rpm_names[i - 2][0].clone();
            if !set.1.iter().any(|(n, _)| *n == back) {
                set.1.push((back, "build-requires"));
                count += 1;
            }
        }
    }
    // Top up to the edges asked for: what dropped out as duplicates above.
    let first_build = sets.len() - components;
    let mut attempts = 0;
    while count < edges && components > 1 && attempts < edges * 4 {
        attempts += 1;
        let i = 1 + rng.below(components as u64 - 1) as usize;
        let dep = pick_rpm(&mut rng, i);
        let inputs = &mut sets[first_build + i].1;
        if !inputs.iter().any(|(n, _)| *n == dep) {
            inputs.push((dep, "build-requires"));
            count += 1;
        }
    }
    Distribution {
        sets,
        edges: count,
        builds,
        glibc: rpm_names[0][0].clone(),
        middling: rpm_names[1_000.min(components - 1)][0].clone(),
        applications,
    }
}

pub fn run(args: &GraphArgs) -> anyhow::Result<()> {
    println!(
        "# almanac bench graph --engine {:?} --components {} --rpms {} --edges {} --batch {} --runs {} --sql-runs {}",
        args.engine, args.components, args.rpms, args.edges, args.batch, args.runs, args.sql_runs
    );
    let t = Instant::now();
    let d = generate(args.components, args.rpms, args.edges);
    println!(
        "generated {} artifacts with {} edges in {:.2} s",
        d.sets.len(),
        d.edges,
        t.elapsed().as_secs_f64()
    );
    for engine in engines(args.engine) {
        bench(engine, args, &d)?;
    }
    Ok(())
}

/// Latencies in ms, summarised.
struct Timings(Vec<f64>);

impl Timings {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort_by(f64::total_cmp);
        let i = ((self.0.len() as f64 * p).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[i]
    }

    fn line(&mut self, engine: Engine, what: &str, detail: &str) {
        println!(
            "{engine:8} {what:58} p50 {:>8.2} ms  p99 {:>8.2} ms  ({} runs{detail})",
            self.pct(0.5),
            self.pct(0.99),
            self.0.len()
        );
    }
}

fn timed<R>(
    runs: usize,
    mut f: impl FnMut(usize) -> anyhow::Result<R>,
) -> anyhow::Result<(Timings, R)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for i in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f(i)?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok((Timings(times), last.context("one run at least")?))
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn bench(engine: Engine, args: &GraphArgs, d: &Distribution) -> anyhow::Result<()> {
    let db = TestDb::new(engine);
    let store = db.store();
    let token = store.write_blocking(|c| {
        tokens::create_token(c, "bench", &[], true, &Actor::anonymous("bench"))
    })?;
    let state = AppState::new(store.clone(), ApiSettings::default());
    let index = state.graph.clone();
    let runtime = crate::serve::runtime()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(launch(listener, router(state), async {
        let _ = stopped.await;
    }));
    let mut client = runtime
        .block_on(Client::connect(addr))?
        .with_header("Authorization", &format!("Token {token}"));
    // The answer's bytes: parsing them is the client's time, not timed.
    let mut raw = |method: &str, path: &str, body: Option<String>| -> anyhow::Result<Vec<u8>> {
        let (status, answer) =
            runtime.block_on(client.request(method, path, body.as_deref().map(str::as_bytes)))?;
        if status != 200 {
            bail!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(answer)
    };
    let parse = |b: Vec<u8>| -> anyhow::Result<Value> { Ok(serde_json::from_slice(&b)?) };

    // The load, through the API.
    let t = Instant::now();
    let mut added = 0;
    for chunk in d.sets.chunks(args.batch.max(1)) {
        let body: Vec<Value> = chunk
            .iter()
            .map(|(artifact, inputs)| {
                let inputs: Vec<Value> = inputs
                    .iter()
                    .map(|(i, k)| json!({"input": i, "kind": k}))
                    .collect();
                json!({"artifact": artifact, "inputs": inputs})
            })
            .collect();
        let a = parse(raw(
            "POST",
            "/api/almanac/v1/graph/ensure",
            Some(Value::Array(body).to_string()),
        )?)?;
        added += a["added"].as_u64().unwrap_or(0);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{engine:8} {:58} {secs:>8.1} s     {:>8.0} edges/s  ({added} edges, {} artifacts, {} per request, changesets included)",
        "bulk load over HTTP (POST graph/ensure)",
        added as f64 / secs,
        d.sets.len(),
        args.batch
    );
    if added as usize != d.edges {
        bail!("loaded {added} edges of {}", d.edges);
    }
    if engine == Engine::Postgres {
        store.read_blocking(|c| Ok(c.batch("VACUUM ANALYZE graph_edges, graph_nodes")?))?;
    } else {
        store.write_blocking(|c| Ok::<_, StoreError>(c.batch("ANALYZE")?))?;
    }
    let again = Instant::now();
    let first = d.sets[..args.batch.min(d.sets.len())].to_vec();
    let body: Vec<Value> = first
        .iter()
        .map(|(artifact, inputs)| {
            let inputs: Vec<Value> = inputs
                .iter()
                .map(|(i, k)| json!({"input": i, "kind": k}))
                .collect();
            json!({"artifact": artifact, "inputs": inputs})
        })
        .collect();
    let a = parse(raw(
        "POST",
        "/api/almanac/v1/graph/ensure",
        Some(Value::Array(body).to_string()),
    )?)?;
    println!(
        "{engine:8} {:58} {:>8.1} ms    ({} added, {} removed)",
        format!("ensure of {} artifacts again (nothing new)", first.len()),
        again.elapsed().as_secs_f64() * 1e3,
        a["added"],
        a["removed"]
    );

    // The index: read once, then it follows the log.
    let rss = rss_mib();
    let t = Instant::now();
    let (nodes, edges) =
        store.read_blocking(|c| index.query(c, |_, g, _| (g.len(), g.edge_count())))?;
    println!(
        "{engine:8} {:58} {:>8.1} ms    ({nodes} nodes, {edges} edges, +{:.0} MiB resident)",
        "index: first read of the whole graph",
        t.elapsed().as_secs_f64() * 1e3,
        rss_mib() - rss
    );

    let ask = |start: String, direction: Direction, kinds: &[&str], depth: Option<u32>| {
        let index = index.clone();
        let walk = Walk {
            max_depth: depth,
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
        };
        let reached = store.read_blocking(move |c| {
            index.query(c, |_, g: &Graph, _| {
                g.walk(&start, direction, &walk)
                    .map(|r| (r.nodes.len(), r.cycles.len()))
            })
        })?;
        reached.context("the start is not in the graph")
    };
    let runs = args.runs;
    let apps = &d.applications;
    let mut rng = Rng::new(11);
    let app = |rng: &mut Rng| apps[rng.below(apps.len() as u64) as usize].clone();

    let (mut t, n) = timed(runs, |_| ask(app(&mut rng), Direction::Inputs, &[], None))?;
    t.line(
        engine,
        "index: transitive inputs of a leaf image",
        &format!(", {} nodes, {} cycles", n.0, n.1),
    );
    let runtime_kinds = ["includes", "requires", "base-image"];
    let (mut t, n) = timed(runs, |_| {
        ask(app(&mut rng), Direction::Inputs, &runtime_kinds, None)
    })?;
    t.line(
        engine,
        "index: runtime inputs of a leaf image (includes, requires)",
        &format!(", {} nodes", n.0),
    );
    let (mut t, n) = timed(runs, |_| {
        ask(app(&mut rng), Direction::Inputs, &[], Some(2))
    })?;
    t.line(
        engine,
        "index: inputs of a leaf image, max_depth 2",
        &format!(", {} nodes", n.0),
    );
    let (mut t, n) = timed(runs, |_| {
        ask(d.glibc.clone(), Direction::Consumers, &[], None)
    })?;
    t.line(
        engine,
        "index: transitive consumers of glibc",
        &format!(", {} nodes, {} cycles", n.0, n.1),
    );
    let (mut t, n) = timed(runs, |_| {
        ask(d.middling.clone(), Direction::Consumers, &[], None)
    })?;
    t.line(
        engine,
        "index: transitive consumers of a rank-1000 rpm",
        &format!(", {} nodes", n.0),
    );
    let builds = &d.builds;
    let (mut t, n) = timed(runs, |_| {
        let b = builds[rng.below(builds.len() as u64) as usize].clone();
        ask(b, Direction::Inputs, &[], Some(1))
    })?;
    t.line(
        engine,
        "index: direct inputs of a build",
        &format!(", {} nodes", n.0),
    );

    // A plan's steps and artifacts.
    let plan = |changed: Vec<String>| -> anyhow::Result<(usize, usize)> {
        let index = index.clone();
        Ok(store.read_blocking(move |c| {
            index.query(c, |_, g, _| {
                let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
                let plan = g.rebuild_plan(&changed, &[]);
                (plan.len(), plan.iter().map(Vec::len).sum::<usize>())
            })
        })?)
    };
    let (mut t, n) = timed(runs, |_| {
        plan(
            (0..10)
                .map(|_| builds[rng.below(builds.len() as u64) as usize].clone())
                .collect(),
        )
    })?;
    t.line(
        engine,
        "index: rebuild plan for 10 changed builds",
        &format!(", last {} steps, {} artifacts", n.0, n.1),
    );
    let (mut t, n) = timed(runs.min(20), |_| plan(vec![d.builds[0].clone()]))?;
    t.line(
        engine,
        "index: rebuild plan for glibc's build",
        &format!(", {} steps, {} artifacts", n.0, n.1),
    );

    // The same over recursive SQL.
    let sql = |start: &str, direction: Direction| {
        let start = start.to_string();
        store.read_blocking(move |c| store_graph::closure_sql(c, &start, direction, None))
    };
    let leaf = apps[0].clone();
    let (mut t, n) = timed(args.sql_runs, |_| Ok(sql(&leaf, Direction::Inputs)?.len()))?;
    t.line(
        engine,
        "recursive SQL: transitive inputs of a leaf image",
        &format!(", {n} nodes"),
    );
    let (mut t, n) = timed(args.sql_runs, |_| {
        Ok(sql(&d.glibc, Direction::Consumers)?.len())
    })?;
    t.line(
        engine,
        "recursive SQL: transitive consumers of glibc",
        &format!(", {n} nodes"),
    );
    let (mut t, n) = timed(args.sql_runs, |_| {
        Ok(sql(&d.middling, Direction::Consumers)?.len())
    })?;
    t.line(
        engine,
        "recursive SQL: transitive consumers of a rank-1000 rpm",
        &format!(", {n} nodes"),
    );

    // End to end over HTTP: the answer's JSON included.
    let encode = |s: &str| s.replace(':', "%3A");
    let few = runs.min(30);
    let (mut t, b) = timed(few, |_| {
        raw(
            "GET",
            &format!(
                "/api/almanac/v1/graph/inputs?artifact={}",
                encode(&app(&mut rng))
            ),
            None,
        )
    })?;
    let detail = format!(
        ", last {} nodes, {:.1} MiB",
        parse(b.clone())?["count"],
        b.len() as f64 / 1048576.0
    );
    t.line(
        engine,
        "HTTP: GET graph/inputs of a leaf image (whole answer)",
        &detail,
    );
    let (mut t, b) = timed(few, |_| {
        raw(
            "GET",
            &format!("/api/almanac/v1/graph/consumers?input={}", encode(&d.glibc)),
            None,
        )
    })?;
    let detail = format!(
        ", {} nodes, {:.1} MiB",
        parse(b.clone())?["count"],
        b.len() as f64 / 1048576.0
    );
    t.line(
        engine,
        "HTTP: GET graph/consumers of glibc (whole answer)",
        &detail,
    );
    let (mut t, b) = timed(runs, |_| {
        let b = &builds[rng.below(builds.len() as u64) as usize];
        raw(
            "GET",
            &format!(
                "/api/almanac/v1/graph/inputs?artifact={}&direct=true",
                encode(b)
            ),
            None,
        )
    })?;
    t.line(
        engine,
        "HTTP: GET graph/inputs of a build, direct",
        &format!(", last {} nodes", parse(b)?["count"]),
    );
    let (mut t, b) = timed(few, |_| {
        let changed: Vec<String> = (0..10)
            .map(|_| builds[rng.below(builds.len() as u64) as usize].clone())
            .collect();
        raw(
            "POST",
            "/api/almanac/v1/graph/rebuild-plan",
            Some(json!({"changed": changed}).to_string()),
        )
    })?;
    let v = parse(b)?;
    let detail = format!(
        ", last {} artifacts, {:.1} ms of it in the server",
        v["count"],
        v["took_ms"].as_f64().unwrap_or(0.0)
    );
    t.line(
        engine,
        "HTTP: POST graph/rebuild-plan, 10 changed builds",
        &detail,
    );
    let (mut t, b) = timed(few, |_| {
        raw(
            "GET",
            &format!(
                "/api/almanac/v1/graph/path?input={}&artifact={}",
                encode(&d.glibc),
                encode(&app(&mut rng))
            ),
            None,
        )
    })?;
    let path = parse(b)?["path"].as_array().map_or(0, Vec::len);
    t.line(
        engine,
        "HTTP: GET graph/path glibc -> a leaf image",
        &format!(", last {path} nodes"),
    );

    // A write, then a query that must see it: the index follows the log.
    let (mut t, _) = timed(few, |i| {
        let artifact = format!("container:late-{i}:41");
        let body =
            json!({"artifact": artifact, "inputs": [{"input": apps[0], "kind": "base-image"}]});
        raw(
            "POST",
            "/api/almanac/v1/graph/ensure",
            Some(body.to_string()),
        )?;
        let v = parse(raw(
            "GET",
            &format!(
                "/api/almanac/v1/graph/inputs?artifact={}&direct=true",
                encode(&artifact)
            ),
            None,
        )?)?;
        if v["count"] != 1 {
            bail!("the new edge is not seen: {v}");
        }
        Ok(())
    })?;
    t.line(
        engine,
        "HTTP: ensure one artifact, then its inputs (seen at once)",
        "",
    );

    let _ = stop.send(());
    let _ = runtime.block_on(server);
    Ok(())
}
