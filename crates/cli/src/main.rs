//! The `almanac` binary: a thin shell over the library crates. It reads the
//! settings, opens the store, and runs one command: `serve`, `migrate`,
//! `demo`, `import`, `compose`, `token create`, `config show` or `bench`.

mod allocator;
mod audit;
mod bench;
mod composes;
mod config;
mod demo;
mod demo_graph;
mod demo_products;
mod graph;
mod listen;
mod sample;
mod sample_composes;
mod serve;

use almanac_store::{Actor, Store, tokens};
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use config::{LogFormat, Origin, Overrides, Settings};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "almanac",
    version,
    about = "Release engineering's model of what is made, what went into it, and whether it is good enough to ship."
)]
pub struct Cli {
    /// TOML configuration file (default: ./almanac.toml when it exists).
    #[arg(long, global = true, env = "ALMANAC_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite://FILE (the default, sqlite://almanac.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "ALMANAC_DATABASE_URL")]
    database_url: Option<String>,
    /// A PostgreSQL read replica for read-only queries (`[store] replica_url`).
    #[arg(long, global = true, env = "ALMANAC_REPLICA_URL")]
    replica_url: Option<String>,
    /// Log lines as text or JSON (on standard error).
    #[arg(long, global = true, env = "ALMANAC_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Address to serve on (port 0 picks a free port, printed at start).
    #[arg(long, global = true, env = "ALMANAC_BIND")]
    bind: Option<String>,
    /// The URL clients reach Almanac at, for links (default: from each request's Host).
    #[arg(long, global = true, env = "ALMANAC_PUBLIC_URL")]
    public_url: Option<String>,
    /// Require a token for ResultsDB writes (upstream leaves them open).
    #[arg(long, global = true, env = "ALMANAC_RESULTS_REQUIRE_TOKEN")]
    results_require_token: Option<bool>,
    /// The directory of Greenwave policy files (`*.yaml`) gating decisions use.
    #[arg(long, global = true, env = "ALMANAC_POLICIES")]
    policies: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (migrations run first).
    Serve(ServeArgs),
    /// Apply pending schema migrations and exit.
    Migrate,
    /// A fresh SQLite store with sample data, served on 127.0.0.1:8080.
    Demo(DemoArgs),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Per-group write permissions on PDC resources.
    #[command(subcommand)]
    Permission(PermissionCommand),
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Benchmarks that print figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Fills Almanac from the sources themselves: every configured source
    /// (or those named: composes, koji, dist-git, accounts), or one compose
    /// (`import compose LOCATION`).
    Import(ImportArgs),
    /// Compares Almanac with the sources; nagios' exit codes (0 OK, 1
    /// WARNING, 2 CRITICAL, 3 UNKNOWN); --repair writes what is missing.
    Audit(audit::AuditArgs),
    /// Questions about composes.
    #[command(subcommand)]
    Compose(composes::ComposeCommand),
    /// The artifact graph: inputs, consumers, paths, tiers, rebuild plans, SBOMs.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Apply bus messages as they come (RabbitMQ), or from a JSON-lines file.
    Listen(listen::ListenArgs),
    /// Apply again the messages the journal holds as failed.
    Replay(listen::ReplayArgs),
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    command: Option<composes::ImportCommand>,
    /// The sources (default: every configured one).
    sources: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Run the bus listener in the same process (`[bus]`, ALMANAC_AMQP_URL).
    #[arg(long)]
    listen: bool,
    /// The broker, for `--listen` (default: `[bus] amqp_url`).
    #[arg(long, env = "ALMANAC_AMQP_URL")]
    amqp_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Builds to make results for.
    #[arg(long, default_value_t = 300)]
    builds: usize,
    /// Fill the store and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a user if needed and print a new token for them (on the last line).
    Create {
        user: String,
        /// A group the user belongs to (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Give the user every permission.
        #[arg(long)]
        superuser: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PermissionCommand {
    /// Let GROUP do ACTION (create, update, delete) on RESOURCE (a PDC prefix such as `products`).
    Grant {
        group: String,
        resource: String,
        action: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Every setting, its value and where it came from (secrets hidden).
    Show,
}

fn origin(matches: &ArgMatches, id: &str) -> Origin {
    match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Origin::Env,
        _ => Origin::Flag,
    }
}

fn sub_matches(matches: &ArgMatches) -> &ArgMatches {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

fn overrides(cli: &Cli, matches: &ArgMatches) -> Overrides {
    let leaf = sub_matches(matches);
    let with = |v: Option<String>, id: &str| v.map(|v| (v, origin(leaf, id)));
    Overrides {
        database_url: with(cli.database_url.clone(), "database_url"),
        replica_url: with(cli.replica_url.clone(), "replica_url"),
        log_format: cli.log_format.map(|f| (f, origin(leaf, "log_format"))),
        bind: with(cli.bind.clone(), "bind"),
        public_url: with(cli.public_url.clone(), "public_url"),
        require_token: cli
            .results_require_token
            .map(|v| (v, origin(leaf, "results_require_token"))),
        policies_dir: cli.policies.clone().map(|v| (v, origin(leaf, "policies"))),
        amqp_url: match &cli.command {
            Command::Listen(listen::ListenArgs { amqp_url, .. })
            | Command::Serve(ServeArgs { amqp_url, .. }) => {
                amqp_url.clone().map(|v| (v, origin(leaf, "amqp_url")))
            }
            // `config show` and the rest read the same variable.
            _ => std::env::var("ALMANAC_AMQP_URL")
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (v, Origin::Env)),
        },
    }
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_level.value)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format.value {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Opens the store and applies migrations (before any async runtime starts).
fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    open_store_with(settings, settings.store_options())
}

/// [`open_store`] for a process that runs until stopped (`serve`, `listen`,
/// `demo`): on SQLite, its page buffers come from a pool set aside at start,
/// and the allocator is set up for a long run (see docs/production.md#memory).
fn open_long_running_store(settings: &Settings) -> anyhow::Result<Store> {
    allocator::for_a_long_run();
    let options = almanac_store::StoreOptions {
        sqlite_page_pool: true,
        ..settings.store_options()
    };
    open_store_with(settings, options)
}

fn open_store_with(
    settings: &Settings,
    options: almanac_store::StoreOptions,
) -> anyhow::Result<Store> {
    let store = Store::open(&settings.database_url.value, options).with_context(|| {
        format!(
            "cannot open the store at {}",
            almanac_store::db::redact_url(&settings.database_url.value)
        )
    })?;
    let applied = store
        .migrate()
        .context("cannot apply the schema migrations")?;
    if !applied.is_empty() {
        tracing::info!(?applied, "schema migrated");
    }
    for warning in store
        .server_warnings()
        .context("cannot read the database server's settings")?
    {
        tracing::warn!("{warning}");
    }
    Ok(store)
}

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli, &matches) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("almanac: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref(), overrides(&cli, matches))?;
    match cli.command {
        Command::Config(ConfigCommand::Show) => {
            print!("{}", settings.show());
            Ok(())
        }
        Command::Migrate => {
            init_logging(&settings);
            let store = Store::open(&settings.database_url.value, settings.store_options())?;
            let applied = store.migrate()?;
            println!(
                "schema at version {} ({} migration(s) applied now)",
                almanac_store::migrate::latest_version(),
                applied.len()
            );
            Ok(())
        }
        Command::Serve(args) => {
            init_logging(&settings);
            let store = open_long_running_store(&settings)?;
            let bus = args
                .listen
                .then(|| listen::in_serve(&settings))
                .transpose()?;
            serve::serve(&settings, store, bus, |addr| {
                println!("almanac listening on http://{addr}")
            })
        }
        Command::Demo(args) => {
            init_logging(&settings);
            if settings.database_url.origin == Origin::Default {
                settings.database_url.value = demo::DEMO_DATABASE_URL.to_string();
            }
            demo::run(&settings, args.builds, !args.no_serve)
        }
        Command::Import(args) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            match args.command {
                Some(cmd) => composes::import(&store, cmd),
                None => audit::import(&settings, &store, &args.sources),
            }
        }
        Command::Audit(args) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            let code = audit::audit(&settings, &store, &args)?;
            std::process::exit(code);
        }
        Command::Compose(cmd) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            composes::compose(&store, cmd)
        }
        Command::Token(TokenCommand::Create {
            user,
            groups,
            superuser,
        }) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            let token = store.write_blocking(move |c| {
                tokens::create_token(c, &user, &groups, superuser, &Actor::anonymous("cli"))
            })?;
            println!("{token}");
            Ok(())
        }
        Command::Permission(PermissionCommand::Grant {
            group,
            resource,
            action,
        }) => {
            if !almanac_store::permissions::ACTIONS.contains(&action.as_str()) {
                anyhow::bail!(
                    "action '{action}' is not one of {}",
                    almanac_store::permissions::ACTIONS.join(", ")
                );
            }
            init_logging(&settings);
            let store = open_store(&settings)?;
            let (g, r, a) = (group.clone(), resource.clone(), action.clone());
            store.write_blocking(move |c| almanac_store::permissions::grant(c, &g, &r, &a))?;
            println!("group {group} may {action} {resource}");
            Ok(())
        }
        Command::Graph(cmd) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            graph::run(&store, &settings, cmd)
        }
        Command::Listen(args) => {
            init_logging(&settings);
            let store = open_long_running_store(&settings)?;
            listen::listen(&settings, store, args)
        }
        Command::Replay(args) => {
            init_logging(&settings);
            let store = open_store(&settings)?;
            listen::replay(&settings, &store, args)
        }
        Command::Bench(cmd) => bench::run(cmd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
