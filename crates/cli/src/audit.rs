//! `almanac import SOURCE...` (fill Almanac from the sources themselves)
//! and `almanac audit [SOURCE...]` (compare, report nagios-style or as
//! JSON, repair), on [`almanac_ingest::reconcile`].

use crate::config::Settings;
use almanac_ingest::reconcile::{self, Locations, Progress, Report, SourceName};
use almanac_model::Timestamp;
use almanac_model::audit::{Status, Thresholds};
use almanac_store::Store;
use almanac_store::audits::{self, Run};
use anyhow::bail;
use std::io::{IsTerminal, Write};
use std::time::Instant;

fn sources_named(names: &[String]) -> anyhow::Result<Vec<SourceName>> {
    if names.is_empty() {
        return Ok(SourceName::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            SourceName::parse(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "'{n}' is not a source: use {}",
                    SourceName::ALL.map(|s| s.as_str()).join(", ")
                )
            })
        })
        .collect()
}

/// Progress on standard error: a bar redrawn in place on a terminal,
/// plain lines (every 10%, and at the end) otherwise.
pub struct Shown {
    terminal: bool,
    started: Instant,
    phase: String,
    last_tenth: usize,
}

impl Shown {
    pub fn new() -> Shown {
        Shown {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            phase: String::new(),
            last_tenth: usize::MAX,
        }
    }
}

impl Progress for Shown {
    fn step(&mut self, source: SourceName, what: &str, done: usize, total: Option<usize>) {
        let phase = format!("{source} {what}");
        if phase != self.phase {
            self.phase = phase.clone();
            self.started = Instant::now();
            self.last_tenth = usize::MAX;
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let mut err = std::io::stderr().lock();
        match total {
            Some(total) if total > 0 => {
                let eta = if rate > 0.0 {
                    (total.saturating_sub(done)) as f64 / rate
                } else {
                    0.0
                };
                if self.terminal {
                    let filled = done * 30 / total;
                    let _ = write!(
                        err,
                        "\r{phase:24} [{}{}] {done}/{total} {rate:.0}/s ETA {eta:.0}s ",
                        "=".repeat(filled),
                        " ".repeat(30 - filled)
                    );
                } else {
                    let tenth = done * 10 / total;
                    if tenth != self.last_tenth {
                        self.last_tenth = tenth;
                        let _ =
                            writeln!(err, "{phase}: {done}/{total} ({rate:.0}/s, ETA {eta:.0} s)");
                    }
                }
            }
            _ => {
                if self.terminal {
                    let _ = write!(err, "\r{phase:24} {done} ");
                } else if self.last_tenth != 0 {
                    self.last_tenth = 0;
                    let _ = writeln!(err, "{phase}...");
                }
            }
        }
    }

    fn done(&mut self, _source: SourceName, _what: &str) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// `almanac import SOURCE...`: what each source holds that Almanac does
/// not, written; errors listed at the end and the exit code non-zero.
pub fn import(settings: &Settings, store: &Store, names: &[String]) -> anyhow::Result<()> {
    let sources = sources_named(names)?;
    let locations = settings.locations();
    let explicit = !names.is_empty();
    let mut progress = Shown::new();
    let mut errors: Vec<(SourceName, String, String)> = Vec::new();
    for source in sources {
        let Some(at) = locations.of(source) else {
            if explicit {
                errors.push((
                    source,
                    "configuration".into(),
                    format!("{source} is not configured"),
                ));
            }
            continue;
        };
        let started = Instant::now();
        let imported = match reconcile::import(store, &locations, source, &mut progress) {
            Ok(i) => i,
            Err(e) => {
                errors.push((source, at.clone(), e));
                continue;
            }
        };
        let w = imported.written;
        println!(
            "{source}: {} items in the source, {} already here, {} written, {} errors ({:.1} s)",
            imported.checked,
            imported.already,
            w.written.len(),
            w.errors.len(),
            started.elapsed().as_secs_f64()
        );
        errors.extend(w.errors.into_iter().map(|(what, why)| (source, what, why)));
    }
    if !errors.is_empty() {
        eprintln!("{} errors:", errors.len());
        for (source, what, why) in &errors {
            eprintln!("  {source}: {what}: {why}");
        }
        bail!("the import met {} errors (listed above)", errors.len());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The sources to audit (default: every configured one).
    pub sources: Vec<String>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Every entry (the text form shows 20 of each list).
    #[arg(long)]
    pub verbose: bool,
    /// Differences from which a source is WARNING (over the config file's).
    #[arg(long)]
    pub warning: Option<usize>,
    /// Differences from which a source is CRITICAL.
    #[arg(long)]
    pub critical: Option<usize>,
    /// Write what is missing or different.
    #[arg(long)]
    pub repair: bool,
    /// With --repair: show what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the audit; answers nagios' exit code.
pub fn audit(settings: &Settings, store: &Store, args: &AuditArgs) -> anyhow::Result<i32> {
    if args.dry_run && !args.repair {
        bail!("--dry-run goes with --repair");
    }
    let locations: Locations = settings.locations();
    let explicit = !args.sources.is_empty();
    let sources: Vec<SourceName> = sources_named(&args.sources)?
        .into_iter()
        .filter(|s| explicit || locations.of(*s).is_some())
        .collect();
    if sources.is_empty() {
        bail!("no source is configured ([sources], [bus] koji_url): nothing to audit");
    }
    let mut progress = Shown::new();
    let mut reports = Vec::new();
    for source in sources {
        let mut t = settings.thresholds(source.as_str());
        if let Some(w) = args.warning {
            t.warning = w;
        }
        if let Some(c) = args.critical {
            t.critical = c;
        }
        let r = reconcile::audit(
            store,
            &locations,
            source,
            t,
            args.repair,
            args.dry_run,
            &mut progress,
        );
        if !args.dry_run {
            let run = Run {
                source: source.as_str().into(),
                finished_at: String::new(),
                finished_micros: Timestamp::now().micros(),
                status: r.status.as_str().into(),
                checked: r.checked as i64,
                missing: r.drift.missing.len() as i64,
                extra: r.drift.extra.len() as i64,
                differ: r.drift.differ.len() as i64,
                repaired: r.repairs.len() as i64,
                error: r.error.clone(),
            };
            store.write_blocking(move |c| audits::record_run(c, &run))?;
        }
        reports.push(r);
    }
    let status = Status::worst(reports.iter().map(|r| r.status));
    match args.format {
        AuditFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "status": status,
                "sources": reports,
            }))?
        ),
        AuditFormat::Text => print!("{}", render(status, &reports, args.verbose, args.dry_run)),
    }
    Ok(status.code())
}

fn headline(r: &Report) -> String {
    match r.status {
        Status::Ok => format!("{}: OK", r.source),
        Status::Unknown => format!("{}: UNKNOWN", r.source),
        _ => {
            let d = &r.drift;
            let mut parts = Vec::new();
            for (n, what) in [
                (d.missing.len(), "missing"),
                (d.extra.len(), "extra"),
                (d.differ.len(), "different"),
            ] {
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            format!("{}: {}", r.source, parts.join(", "))
        }
    }
}

fn listed(out: &mut String, title: &str, items: &[String], verbose: bool) {
    use std::fmt::Write;
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title} ({}):", items.len());
    let shown = if verbose { items.len() } else { 20 };
    for i in items.iter().take(shown) {
        let _ = writeln!(out, "    - {i}");
    }
    if items.len() > shown {
        let _ = writeln!(out, "    ... and {} more", items.len() - shown);
    }
}

/// The nagios plugin form: the status line, a summary per source, details.
pub fn render(status: Status, reports: &[Report], verbose: bool, dry_run: bool) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "ALMANAC AUDIT {} - {}\n\nSummary\n",
        status.as_str(),
        reports.iter().map(headline).collect::<Vec<_>>().join(", ")
    );
    for r in reports {
        let Thresholds { warning, critical } = r.thresholds;
        let _ = writeln!(
            out,
            "  [{}] {}: {} in the source, {} missing, {} extra, {} different (warning at {warning}, critical at {critical}){}",
            r.status.as_str(),
            r.source,
            r.checked,
            r.drift.missing.len(),
            r.drift.extra.len(),
            r.drift.differ.len(),
            r.error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    for r in reports
        .iter()
        .filter(|r| r.drift.count() > 0 || !r.repairs.is_empty())
    {
        let _ = writeln!(out, "\n{}", r.source);
        listed(&mut out, "missing from Almanac", &r.drift.missing, verbose);
        listed(
            &mut out,
            "in Almanac, not in the source",
            &r.drift.extra,
            verbose,
        );
        let differ: Vec<String> = r
            .drift
            .differ
            .iter()
            .map(|d| {
                format!(
                    "{}: {} is {:?} here, {:?} in the source",
                    d.key, d.field, d.almanac, d.source
                )
            })
            .collect();
        listed(&mut out, "different", &differ, verbose);
        let title = if dry_run { "would repair" } else { "repaired" };
        listed(&mut out, title, &r.repairs, verbose);
        let errors: Vec<String> = r
            .repair_errors
            .iter()
            .map(|(w, why)| format!("{w}: {why}"))
            .collect();
        listed(&mut out, "repairs that failed", &errors, verbose);
    }
    out
}
