//! Almanac's store: every fact Almanac keeps, on SQLite (one file, the
//! default) or PostgreSQL (production), from one code.
//!
//! - [`db`] is the seam: the [`db::Conn`] trait and one small module per engine.
//! - [`migrate`] applies the schema, kept as SQL files per engine.
//! - One module per aggregate holds its domain operations, each a function over
//!   `&mut dyn Conn` so the caller decides what commits together:
//!   [`results`] (results, testcases, groups), [`tokens`] (users and API tokens),
//!   [`composes`] (what was produced; [`compose_import`] reads productmd into it).
//! - [`changes`] records who changed what; [`outbox`] holds the events every
//!   write emits, in the same transaction.
//! - [`Store`] is the running handle: reader pool, writer threads, group commit.

pub mod audits;
pub mod bugzilla;
pub mod changes;
pub mod components;
pub mod compose_import;
pub mod composes;
pub mod contacts;
pub mod db;
pub mod deliverables;
pub mod error;
pub mod graph;
pub mod graph_index;
pub mod journal;
pub mod lifecycle;
pub mod listing;
pub mod migrate;
pub mod modules;
pub mod named_types;
pub mod outbox;
pub mod overrides;
pub mod packages;
pub mod permissions;
pub mod products;
pub mod relationships;
pub mod release_import;
pub mod releases;
pub mod results;
mod store;
pub mod testing;
pub mod tokens;
pub mod waivers;

pub use changes::Actor;
pub use db::sqlite::SqliteSync;
pub use db::{Conn, DbError, Engine};
pub use error::{StoreError, StoreResult};
pub use store::{Store, StoreOptions};
