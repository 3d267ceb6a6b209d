//! Settings, parsed once into one typed struct: built-in defaults, then the
//! TOML file, then environment variables, then flags; each value remembers
//! where it came from, for `almanac config show`.

use almanac_api::ApiSettings;
use almanac_model::Outcomes;
use almanac_model::results::PageLimits;
use almanac_store::{SqliteSync, StoreOptions};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://almanac.db";
pub const DEFAULT_CONFIG_FILE: &str = "almanac.toml";

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Default,
    File,
    Env,
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Default => "default",
            Origin::File => "config file",
            Origin::Env => "environment",
            Origin::Flag => "command line",
        })
    }
}

/// A value and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Default,
        }
    }
    fn set(&mut self, value: Option<T>, origin: Origin) {
        if let Some(v) = value {
            self.value = v;
            self.origin = origin;
        }
    }
}

/// The configuration file's shape; unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    #[serde(default)]
    pub results: ResultsFile,
    #[serde(default)]
    pub store: StoreFile,
    #[serde(default)]
    pub composes: ComposesFile,
    #[serde(default)]
    pub waivers: WaiversFile,
    #[serde(default)]
    pub gating: GatingFile,
    #[serde(default)]
    pub graph: GraphFile,
    #[serde(default)]
    pub bus: BusFile,
    #[serde(default)]
    pub sources: SourcesFile,
    #[serde(default)]
    pub audit: AuditFile,
}

/// `[sources]`: where `almanac import` and `almanac audit` read the sources
/// (koji is `[bus] koji_url`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesFile {
    /// A directory or http:// URL with one directory per compose.
    pub compose_tree: Option<String>,
    /// dist-git's pagure (its API under /api/0/).
    pub dist_git_url: Option<String>,
    pub dist_git_namespaces: Option<Vec<String>>,
    /// FASJSON (users under /v1/users/).
    pub accounts_url: Option<String>,
}

/// `[audit]`: the numbers of differences from which a source is WARNING
/// and CRITICAL, and per source (`[audit.koji]`...).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    pub warning: Option<usize>,
    pub critical: Option<usize>,
    pub composes: Option<ThresholdsFile>,
    pub koji: Option<ThresholdsFile>,
    #[serde(rename = "dist-git")]
    pub dist_git: Option<ThresholdsFile>,
    pub accounts: Option<ThresholdsFile>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsFile {
    pub warning: Option<usize>,
    pub critical: Option<usize>,
}

/// `[bus]`: where `almanac listen` reads messages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusFile {
    pub amqp_url: Option<String>,
    pub exchange: Option<String>,
    pub queue: Option<String>,
    pub topics: Option<Vec<String>>,
    pub prefetch: Option<u16>,
    pub publish: Option<bool>,
    pub publish_prefix: Option<String>,
    /// The koji hub builds are asked of (`.../kojihub`).
    pub koji_url: Option<String>,
    /// The domain of the addresses of people the account system announces.
    pub email_domain: Option<String>,
}

/// The broker on this machine, as fedora-messaging's default names it.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

/// The topics `almanac listen` binds by default: CI results (Fedora's,
/// CentOS's, the UMB ones, the legacy CI-metrics one), pungi's composes,
/// koji's tags and finished builds, new packages and branches (pkgdb,
/// dist-git) and new accounts.
pub const DEFAULT_TOPICS: &[&str] = &[
    "org.fedoraproject.prod.ci.#",
    "org.centos.prod.ci.#",
    "/topic/VirtualTopic.eng.ci.#",
    "/topic/VirtualTopic.eng.platformci.tier1.result",
    "org.fedoraproject.prod.pungi.compose.status.change",
    "org.fedoraproject.prod.buildsys.tag",
    "org.fedoraproject.prod.buildsys.build.state.change",
    "org.fedoraproject.prod.pkgdb.package.new",
    "org.fedoraproject.prod.pkgdb.package.branch.new",
    "org.fedoraproject.prod.pagure.project.new",
    "org.fedoraproject.prod.pagure.git.branch.creation",
    "org.fedoraproject.prod.fas.user.create",
];

/// `[graph]`: the artifact graph's extra edge kinds and limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphFile {
    pub edge_kinds: Option<Vec<String>>,
    pub max_edges_per_request: Option<usize>,
    pub purl_namespace: Option<String>,
}

/// `[gating]`: where the policies are, and where a `!RemoteRule` finds a
/// package's gating.yaml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatingFile {
    pub policies_dir: Option<PathBuf>,
    pub remote_rule_sources: Option<Vec<String>>,
}

/// `[waivers]`: who may waive which testcases (WaiverDB's permission
/// mapping), and who may waive on behalf of others.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiversFile {
    pub permissions: Option<Vec<almanac_model::waivers::Permission>>,
    pub superusers: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposesFile {
    pub max_import_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsFile {
    pub require_token: Option<bool>,
    pub extra_outcomes: Option<Vec<String>>,
    pub max_page_limit: Option<u64>,
    pub max_results_per_request: Option<usize>,
    pub max_body_bytes: Option<usize>,
    /// Who may write results of which testcases (ResultsDB 3's `PERMISSIONS`).
    pub permissions: Option<Vec<almanac_model::waivers::Permission>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    pub readers: Option<usize>,
    pub writers: Option<usize>,
    pub sqlite_sync: Option<SqliteSync>,
    pub sqlite_cache_mib: Option<u64>,
    pub sqlite_mmap_mib: Option<u64>,
    /// A PostgreSQL read replica: the readers connect to it.
    pub replica_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything the binary is told, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_file: Option<PathBuf>,
    pub bind: Setting<String>,
    pub database_url: Setting<String>,
    pub public_url: Setting<Option<String>>,
    pub log_format: Setting<LogFormat>,
    pub log_level: Setting<String>,
    pub results_require_token: Setting<bool>,
    pub results_permissions: Setting<Vec<almanac_model::waivers::Permission>>,
    pub extra_outcomes: Setting<Vec<String>>,
    pub max_page_limit: Setting<u64>,
    pub max_results_per_request: Setting<usize>,
    pub max_body_bytes: Setting<usize>,
    pub max_import_bytes: Setting<usize>,
    pub waiver_permissions: Setting<Vec<almanac_model::waivers::Permission>>,
    pub waiver_superusers: Setting<Vec<String>>,
    pub policies_dir: Setting<Option<PathBuf>>,
    pub remote_rule_sources: Setting<Vec<String>>,
    pub graph_edge_kinds: Setting<Vec<String>>,
    pub graph_max_edges: Setting<usize>,
    pub purl_namespace: Setting<String>,
    /// Read from `policies_dir` when the settings are loaded.
    pub policies: Vec<almanac_model::policies::Policy>,
    pub store_readers: Setting<usize>,
    pub store_writers: Setting<usize>,
    pub sqlite_sync: Setting<SqliteSync>,
    pub sqlite_cache_mib: Setting<u64>,
    pub sqlite_mmap_mib: Setting<u64>,
    pub replica_url: Setting<Option<String>>,
    pub amqp_url: Setting<String>,
    pub bus_exchange: Setting<String>,
    pub bus_queue: Setting<String>,
    pub bus_topics: Setting<Vec<String>>,
    pub bus_prefetch: Setting<u16>,
    pub bus_publish: Setting<bool>,
    pub bus_publish_prefix: Setting<String>,
    pub koji_url: Setting<Option<String>>,
    pub email_domain: Setting<String>,
    pub compose_tree: Setting<Option<String>>,
    pub dist_git_url: Setting<Option<String>>,
    pub dist_git_namespaces: Setting<Vec<String>>,
    pub accounts_url: Setting<Option<String>>,
    /// The default thresholds, then each source's (`composes`, `koji`...).
    pub audit_thresholds: Setting<almanac_model::audit::Thresholds>,
    pub audit_per_source: Vec<(String, ThresholdsFile)>,
}

/// Values given on the command line or in the environment (clap reads both
/// and says which).
#[derive(Debug, Default)]
pub struct Overrides {
    pub bind: Option<(String, Origin)>,
    pub database_url: Option<(String, Origin)>,
    pub public_url: Option<(String, Origin)>,
    pub log_format: Option<(LogFormat, Origin)>,
    pub require_token: Option<(bool, Origin)>,
    pub policies_dir: Option<(PathBuf, Origin)>,
    pub amqp_url: Option<(String, Origin)>,
    pub replica_url: Option<(String, Origin)>,
}

impl Settings {
    /// Defaults, then `file` (or `almanac.toml` if present), then `overrides`.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Settings> {
        let store_defaults = StoreOptions::default();
        let mut s = Settings {
            config_file: None,
            bind: Setting::default(DEFAULT_BIND.to_string()),
            database_url: Setting::default(DEFAULT_DATABASE_URL.to_string()),
            public_url: Setting::default(None),
            log_format: Setting::default(LogFormat::Text),
            log_level: Setting::default("info".to_string()),
            results_require_token: Setting::default(false),
            results_permissions: Setting::default(Vec::new()),
            extra_outcomes: Setting::default(
                almanac_model::outcome::DEFAULT_EXTRA_OUTCOMES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            max_page_limit: Setting::default(PageLimits::default().max),
            max_results_per_request: Setting::default(
                ApiSettings::default().max_results_per_request,
            ),
            max_body_bytes: Setting::default(ApiSettings::default().max_body_bytes),
            max_import_bytes: Setting::default(ApiSettings::default().max_import_bytes),
            waiver_permissions: Setting::default(Vec::new()),
            waiver_superusers: Setting::default(Vec::new()),
            policies_dir: Setting::default(None),
            remote_rule_sources: Setting::default(Vec::new()),
            policies: Vec::new(),
            graph_edge_kinds: Setting::default(Vec::new()),
            graph_max_edges: Setting::default(
                almanac_api::native::GraphSettings::default().max_edges_per_request,
            ),
            purl_namespace: Setting::default(
                almanac_api::native::GraphSettings::default().purl_namespace,
            ),
            store_readers: Setting::default(store_defaults.readers),
            store_writers: Setting::default(store_defaults.writers),
            sqlite_sync: Setting::default(store_defaults.sqlite_sync),
            sqlite_cache_mib: Setting::default(store_defaults.sqlite_cache_mib),
            sqlite_mmap_mib: Setting::default(store_defaults.sqlite_mmap_mib),
            replica_url: Setting::default(None),
            amqp_url: Setting::default(DEFAULT_AMQP_URL.to_string()),
            bus_exchange: Setting::default("amq.topic".to_string()),
            bus_queue: Setting::default("almanac".to_string()),
            bus_topics: Setting::default(DEFAULT_TOPICS.iter().map(|t| t.to_string()).collect()),
            bus_prefetch: Setting::default(100),
            bus_publish: Setting::default(true),
            bus_publish_prefix: Setting::default(String::new()),
            koji_url: Setting::default(None),
            email_domain: Setting::default(
                almanac_ingest::bus::people::DEFAULT_EMAIL_DOMAIN.to_string(),
            ),
            compose_tree: Setting::default(None),
            dist_git_url: Setting::default(None),
            dist_git_namespaces: Setting::default(vec!["rpms".into(), "container".into()]),
            accounts_url: Setting::default(None),
            audit_thresholds: Setting::default(almanac_model::audit::Thresholds::default()),
            audit_per_source: Vec::new(),
        };
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the config file {}", path.display()))?;
            let f: FileConfig = toml::from_str(&text)
                .with_context(|| format!("config file {} is not valid", path.display()))?;
            let o = Origin::File;
            s.bind.set(f.bind, o);
            s.database_url.set(f.database_url, o);
            s.public_url.set(f.public_url.map(Some), o);
            s.log_format.set(f.log_format, o);
            s.log_level.set(f.log_level, o);
            s.results_require_token.set(f.results.require_token, o);
            s.results_permissions.set(f.results.permissions, o);
            s.extra_outcomes.set(f.results.extra_outcomes, o);
            s.max_page_limit.set(f.results.max_page_limit, o);
            s.max_results_per_request
                .set(f.results.max_results_per_request, o);
            s.max_body_bytes.set(f.results.max_body_bytes, o);
            s.max_import_bytes.set(f.composes.max_import_bytes, o);
            s.waiver_permissions.set(f.waivers.permissions, o);
            s.waiver_superusers.set(f.waivers.superusers, o);
            s.policies_dir.set(f.gating.policies_dir.map(Some), o);
            s.remote_rule_sources.set(f.gating.remote_rule_sources, o);
            s.graph_edge_kinds.set(f.graph.edge_kinds, o);
            s.graph_max_edges.set(f.graph.max_edges_per_request, o);
            s.purl_namespace.set(f.graph.purl_namespace, o);
            s.store_readers.set(f.store.readers, o);
            s.store_writers.set(f.store.writers, o);
            s.sqlite_sync.set(f.store.sqlite_sync, o);
            s.sqlite_cache_mib.set(f.store.sqlite_cache_mib, o);
            s.sqlite_mmap_mib.set(f.store.sqlite_mmap_mib, o);
            s.replica_url.set(f.store.replica_url.map(Some), o);
            s.amqp_url.set(f.bus.amqp_url, o);
            s.bus_exchange.set(f.bus.exchange, o);
            s.bus_queue.set(f.bus.queue, o);
            s.bus_topics.set(f.bus.topics, o);
            s.bus_prefetch.set(f.bus.prefetch, o);
            s.bus_publish.set(f.bus.publish, o);
            s.bus_publish_prefix.set(f.bus.publish_prefix, o);
            s.koji_url.set(f.bus.koji_url.map(Some), o);
            s.email_domain.set(f.bus.email_domain, o);
            s.compose_tree.set(f.sources.compose_tree.map(Some), o);
            s.dist_git_url.set(f.sources.dist_git_url.map(Some), o);
            s.dist_git_namespaces.set(f.sources.dist_git_namespaces, o);
            s.accounts_url.set(f.sources.accounts_url.map(Some), o);
            if f.audit.warning.is_some() || f.audit.critical.is_some() {
                let d = almanac_model::audit::Thresholds::default();
                s.audit_thresholds.set(
                    Some(almanac_model::audit::Thresholds {
                        warning: f.audit.warning.unwrap_or(d.warning),
                        critical: f.audit.critical.unwrap_or(d.critical),
                    }),
                    o,
                );
            }
            for (name, t) in [
                ("composes", f.audit.composes),
                ("koji", f.audit.koji),
                ("dist-git", f.audit.dist_git),
                ("accounts", f.audit.accounts),
            ] {
                if let Some(t) = t {
                    s.audit_per_source.push((name.to_string(), t));
                }
            }
            s.config_file = Some(path);
        }
        if let Some((v, o)) = overrides.bind {
            s.bind.set(Some(v), o);
        }
        if let Some((v, o)) = overrides.database_url {
            s.database_url.set(Some(v), o);
        }
        if let Some((v, o)) = overrides.public_url {
            s.public_url.set(Some(Some(v)), o);
        }
        if let Some((v, o)) = overrides.log_format {
            s.log_format.set(Some(v), o);
        }
        if let Some((v, o)) = overrides.replica_url {
            s.replica_url.set(Some(Some(v)), o);
        }
        if let Some((v, o)) = overrides.require_token {
            s.results_require_token.set(Some(v), o);
        }
        if let Some((v, o)) = overrides.policies_dir {
            s.policies_dir.set(Some(Some(v)), o);
        }
        if let Some((v, o)) = overrides.amqp_url {
            s.amqp_url.set(Some(v), o);
        }
        if let Ok(url) = std::env::var("ALMANAC_KOJI_URL") {
            s.koji_url.set(Some(Some(url)), Origin::Env);
        }
        if let Ok(level) = std::env::var("ALMANAC_LOG") {
            s.log_level.set(Some(level), Origin::Env);
        }
        s.validate()?;
        if let Some(dir) = &s.policies_dir.value {
            s.policies = load_policies(dir)?;
        }
        Ok(s)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.max_page_limit.value == 0 {
            bail!("results.max_page_limit must be at least 1");
        }
        if self.store_readers.value == 0 {
            bail!("store.readers must be at least 1");
        }
        if self.sqlite_cache_mib.value < 2 {
            bail!(
                "store.sqlite_cache_mib must be at least 2 (half of it is the writer's page cache)"
            );
        }
        Outcomes::with_extra(&self.extra_outcomes.value)
            .map_err(|e| anyhow::anyhow!("results.extra_outcomes: {e}"))?;
        if self.bus_prefetch.value == 0 {
            bail!("bus.prefetch must be at least 1");
        }
        if let Some(url) = &self.koji_url.value
            && !url.starts_with("http://")
        {
            bail!("bus.koji_url: {url} is not an http:// URL (no TLS stack is built in yet)");
        }
        for (key, url) in [
            ("sources.dist_git_url", &self.dist_git_url.value),
            ("sources.accounts_url", &self.accounts_url.value),
        ] {
            if let Some(u) = url
                && !u.starts_with("http://")
            {
                bail!("{key}: {u} is not an http:// URL (no TLS stack is built in yet)");
            }
        }
        if self.bus_topics.value.is_empty() {
            bail!("bus.topics must name at least one topic");
        }
        almanac_ingest::bus::amqp::endpoint(&self.amqp_url.value)
            .map_err(|e| anyhow::anyhow!("bus.amqp_url: {e}"))?;
        if self.graph_max_edges.value == 0 {
            bail!("graph.max_edges_per_request must be at least 1");
        }
        for k in &self.graph_edge_kinds.value {
            let ok = !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                bail!(
                    "graph.edge_kinds: '{k}' is not a kind: use lower-case letters, digits and '-'"
                );
            }
        }
        Ok(())
    }

    pub fn api_settings(&self) -> ApiSettings {
        ApiSettings {
            outcomes: Outcomes::with_extra(&self.extra_outcomes.value).expect("validated at load"),
            page_limits: PageLimits {
                default: 20.min(self.max_page_limit.value),
                max: self.max_page_limit.value,
            },
            results_require_token: self.results_require_token.value,
            results_permissions: self.results_permissions.value.clone(),
            public_url: self.public_url.value.clone(),
            max_body_bytes: self.max_body_bytes.value,
            max_import_bytes: self.max_import_bytes.value,
            max_results_per_request: self.max_results_per_request.value,
            waivers: almanac_api::waivers::WaiverSettings {
                permissions: self.waiver_permissions.value.clone(),
                superusers: self.waiver_superusers.value.clone(),
            },
            gating: almanac_api::gating::GatingSettings {
                policies: std::sync::Arc::new(self.policies.clone()),
                remote_rule_sources: self.remote_rule_sources.value.clone(),
            },
            graph: almanac_api::native::GraphSettings {
                edge_kinds: almanac_model::artifacts::EdgeKinds::with(&self.graph_edge_kinds.value),
                max_edges_per_request: self.graph_max_edges.value,
                purl_namespace: self.purl_namespace.value.clone(),
            },
        }
    }

    /// `public_url` names where clients reach Almanac; otherwise the bind address.
    pub fn store_options(&self) -> StoreOptions {
        let base = self
            .public_url
            .value
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind.value));
        StoreOptions {
            readers: self.store_readers.value,
            writers: self.store_writers.value,
            sqlite_sync: self.sqlite_sync.value,
            sqlite_cache_mib: self.sqlite_cache_mib.value,
            sqlite_mmap_mib: self.sqlite_mmap_mib.value,
            replica_url: self.replica_url.value.clone(),
            results_api_url: format!("{}/api/v2.0", base.trim_end_matches('/')),
            ..StoreOptions::default()
        }
    }

    /// Every setting, its value (secrets hidden) and its origin.
    pub fn show(&self) -> String {
        let rows: Vec<(&str, String, Origin)> = vec![
            ("bind", self.bind.value.clone(), self.bind.origin),
            (
                "database_url",
                almanac_store::db::redact_url(&self.database_url.value),
                self.database_url.origin,
            ),
            (
                "public_url",
                self.public_url
                    .value
                    .clone()
                    .unwrap_or_else(|| "(from the request's Host)".into()),
                self.public_url.origin,
            ),
            (
                "log_format",
                format!("{:?}", self.log_format.value).to_lowercase(),
                self.log_format.origin,
            ),
            (
                "log_level",
                self.log_level.value.clone(),
                self.log_level.origin,
            ),
            (
                "results.require_token",
                self.results_require_token.value.to_string(),
                self.results_require_token.origin,
            ),
            (
                "results.permissions",
                permission_names(&self.results_permissions.value),
                self.results_permissions.origin,
            ),
            (
                "results.extra_outcomes",
                self.extra_outcomes.value.join(","),
                self.extra_outcomes.origin,
            ),
            (
                "results.max_page_limit",
                self.max_page_limit.value.to_string(),
                self.max_page_limit.origin,
            ),
            (
                "results.max_results_per_request",
                self.max_results_per_request.value.to_string(),
                self.max_results_per_request.origin,
            ),
            (
                "results.max_body_bytes",
                self.max_body_bytes.value.to_string(),
                self.max_body_bytes.origin,
            ),
            (
                "composes.max_import_bytes",
                self.max_import_bytes.value.to_string(),
                self.max_import_bytes.origin,
            ),
            (
                "waivers.permissions",
                permission_names(&self.waiver_permissions.value),
                self.waiver_permissions.origin,
            ),
            (
                "gating.policies_dir",
                self.policies_dir
                    .value
                    .as_ref()
                    .map(|d| format!("{} ({} policies)", d.display(), self.policies.len()))
                    .unwrap_or_default(),
                self.policies_dir.origin,
            ),
            (
                "gating.remote_rule_sources",
                self.remote_rule_sources.value.join(", "),
                self.remote_rule_sources.origin,
            ),
            (
                "bus.amqp_url",
                almanac_store::db::redact_url(&self.amqp_url.value),
                self.amqp_url.origin,
            ),
            (
                "bus.exchange",
                self.bus_exchange.value.clone(),
                self.bus_exchange.origin,
            ),
            (
                "bus.queue",
                self.bus_queue.value.clone(),
                self.bus_queue.origin,
            ),
            (
                "bus.topics",
                self.bus_topics.value.join(", "),
                self.bus_topics.origin,
            ),
            (
                "bus.prefetch",
                self.bus_prefetch.value.to_string(),
                self.bus_prefetch.origin,
            ),
            (
                "bus.publish",
                self.bus_publish.value.to_string(),
                self.bus_publish.origin,
            ),
            (
                "bus.publish_prefix",
                self.bus_publish_prefix.value.clone(),
                self.bus_publish_prefix.origin,
            ),
            (
                "bus.koji_url",
                self.koji_url.value.clone().unwrap_or_default(),
                self.koji_url.origin,
            ),
            (
                "bus.email_domain",
                self.email_domain.value.clone(),
                self.email_domain.origin,
            ),
            (
                "sources.compose_tree",
                self.compose_tree.value.clone().unwrap_or_default(),
                self.compose_tree.origin,
            ),
            (
                "sources.dist_git_url",
                self.dist_git_url.value.clone().unwrap_or_default(),
                self.dist_git_url.origin,
            ),
            (
                "sources.dist_git_namespaces",
                self.dist_git_namespaces.value.join(", "),
                self.dist_git_namespaces.origin,
            ),
            (
                "sources.accounts_url",
                self.accounts_url.value.clone().unwrap_or_default(),
                self.accounts_url.origin,
            ),
            (
                "audit.warning",
                self.audit_thresholds.value.warning.to_string(),
                self.audit_thresholds.origin,
            ),
            (
                "audit.critical",
                self.audit_thresholds.value.critical.to_string(),
                self.audit_thresholds.origin,
            ),
            (
                "graph.edge_kinds",
                almanac_model::artifacts::EdgeKinds::with(&self.graph_edge_kinds.value)
                    .names()
                    .join(", "),
                self.graph_edge_kinds.origin,
            ),
            (
                "graph.max_edges_per_request",
                self.graph_max_edges.value.to_string(),
                self.graph_max_edges.origin,
            ),
            (
                "graph.purl_namespace",
                self.purl_namespace.value.clone(),
                self.purl_namespace.origin,
            ),
            (
                "waivers.superusers",
                self.waiver_superusers.value.join(", "),
                self.waiver_superusers.origin,
            ),
            (
                "store.readers",
                self.store_readers.value.to_string(),
                self.store_readers.origin,
            ),
            (
                "store.writers",
                self.store_writers.value.to_string(),
                self.store_writers.origin,
            ),
            (
                "store.sqlite_sync",
                format!("{:?}", self.sqlite_sync.value).to_lowercase(),
                self.sqlite_sync.origin,
            ),
            (
                "store.sqlite_cache_mib",
                self.sqlite_cache_mib.value.to_string(),
                self.sqlite_cache_mib.origin,
            ),
            (
                "store.sqlite_mmap_mib",
                self.sqlite_mmap_mib.value.to_string(),
                self.sqlite_mmap_mib.origin,
            ),
            (
                "store.replica_url",
                self.replica_url
                    .value
                    .as_deref()
                    .map(almanac_store::db::redact_url)
                    .unwrap_or_default(),
                self.replica_url.origin,
            ),
        ];
        // Each source's own audit thresholds, where the file sets them.
        let defaults = &self.audit_thresholds.value;
        let mut per_source: Vec<(String, String, Origin)> = Vec::new();
        for (source, t) in &self.audit_per_source {
            for (name, value) in [("warning", t.warning), ("critical", t.critical)] {
                let fallback = if name == "warning" {
                    defaults.warning
                } else {
                    defaults.critical
                };
                let (value, origin) = match value {
                    Some(v) => (v, Origin::File),
                    None => (fallback, self.audit_thresholds.origin),
                };
                per_source.push((format!("audit.{source}.{name}"), value.to_string(), origin));
            }
        }
        let file = match &self.config_file {
            Some(p) => format!("# config file: {}\n", p.display()),
            None => "# config file: none\n".to_string(),
        };
        let rows = rows
            .into_iter()
            .map(|(name, value, origin)| (name.to_string(), value, origin))
            .chain(per_source);
        let rows: Vec<(String, String, Origin)> = rows.collect();
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut out = file;
        for (name, value, origin) in rows {
            out.push_str(&format!("{name:width$} = {value}    # {origin}\n"));
        }
        out
    }
}

/// Every policy of the `*.yaml` files in `dir`, checked: a file that does
/// not read names its line, and two policies may not share an id.
pub fn load_policies(dir: &Path) -> anyhow::Result<Vec<almanac_model::policies::Policy>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the policies directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut out: Vec<almanac_model::policies::Policy> = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .with_context(|| format!("cannot read the policy file {}", f.display()))?;
        let name = f.display().to_string();
        for p in almanac_model::policies::parse_policies(&name, &text)? {
            if let Some(other) = out.iter().find(|o| o.id == p.id) {
                bail!(
                    "{name}: policy {} is defined in {} already",
                    p.id,
                    other.source
                );
            }
            out.push(p);
        }
    }
    Ok(out)
}

impl Settings {
    /// Where the sources are, from `[sources]` and `[bus] koji_url`.
    pub fn locations(&self) -> almanac_ingest::reconcile::Locations {
        almanac_ingest::reconcile::Locations {
            compose_tree: self.compose_tree.value.clone(),
            koji: self
                .koji_url
                .value
                .as_deref()
                .map(almanac_ingest::koji::Koji::new),
            dist_git: self.dist_git_url.value.clone(),
            dist_git_namespaces: self.dist_git_namespaces.value.clone(),
            accounts: self.accounts_url.value.clone(),
            email_domain: self.email_domain.value.clone(),
        }
    }

    /// A source's thresholds: its own, over the defaults.
    pub fn thresholds(&self, source: &str) -> almanac_model::audit::Thresholds {
        let d = self.audit_thresholds.value;
        match self.audit_per_source.iter().find(|(n, _)| n == source) {
            Some((_, t)) => almanac_model::audit::Thresholds {
                warning: t.warning.unwrap_or(d.warning),
                critical: t.critical.unwrap_or(d.critical),
            },
            None => d,
        }
    }
}

/// A permission mapping as `config show` prints it: each entry's name and globs.
fn permission_names(mapping: &[almanac_model::waivers::Permission]) -> String {
    mapping
        .iter()
        .map(|p| format!("{} ({})", p.name, p.testcases.join(" ")))
        .collect::<Vec<_>>()
        .join(", ")
}
