//! `almanac import compose PATH|URL...` and `almanac compose diff OLD NEW`.

use almanac_ingest::composes::{ImportOptions, import_compose_from};
use almanac_store::Store;
use anyhow::Context;
use std::time::Instant;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Imports composes from their productmd metadata, on disk or over HTTP:
    /// each LOCATION is a compose's top directory (holding STATUS and
    /// compose/metadata/), its compose/ directory, or its metadata directory.
    Compose {
        #[arg(required = true)]
        locations: Vec<String>,
        /// File the composes under this release (by default the one each
        /// composeinfo.json describes, created when missing).
        #[arg(long)]
        release_id: Option<String>,
        /// Import composes whose STATUS is not FINISHED or FINISHED_INCOMPLETE.
        #[arg(long)]
        any_status: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ComposeCommand {
    /// What changed from compose OLD to compose NEW, per variant and arch.
    Diff {
        old: String,
        new: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Every line (the text form cuts each list after 20).
        #[arg(long)]
        verbose: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

pub fn import(store: &Store, cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Compose {
        locations,
        release_id,
        any_status,
    } = cmd;
    let opts = ImportOptions {
        release_id,
        any_status,
    };
    let mut failed = 0;
    for location in &locations {
        let started = Instant::now();
        match import_compose_from(store, location, &opts) {
            Ok(s) => println!(
                "{}: {} ({} rpms, {} new; {} images, {} new; {:.2} s){}",
                s.compose.compose_id,
                if s.created {
                    "imported"
                } else {
                    "already there"
                },
                s.rpms,
                s.new_rpms,
                s.images,
                s.new_images,
                started.elapsed().as_secs_f64(),
                if s.new_arches.is_empty() {
                    String::new()
                } else {
                    format!("; new arches: {}", s.new_arches.join(", "))
                }
            ),
            Err(e) => {
                failed += 1;
                eprintln!("almanac: {location}: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} compose(s) could not be imported",
            locations.len()
        );
    }
    Ok(())
}

pub fn compose(store: &Store, cmd: ComposeCommand) -> anyhow::Result<()> {
    let ComposeCommand::Diff {
        old,
        new,
        format,
        verbose,
    } = cmd;
    let started = Instant::now();
    let (o, n) = (old.clone(), new.clone());
    let diff = store
        .read_blocking(move |c| almanac_store::composes::diff(c, &o, &n))
        .context("cannot read the composes")?
        .map_err(|missing| anyhow::anyhow!("there is no compose {missing}"))?;
    match format {
        DiffFormat::Text => print!(
            "{}",
            almanac_model::compose_diff::render_text(&diff, verbose)
        ),
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&diff)?),
    }
    tracing::debug!(took_ms = started.elapsed().as_millis() as u64, "diff");
    Ok(())
}
