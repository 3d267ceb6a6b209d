//! Almanac's domain model: the types and rules every door into Almanac shares.
//!
//! Identifiers with a grammar are parsed into newtypes once, at the edge, and are
//! valid from then on ("parse, don't validate"). Nothing here does I/O: the store
//! persists these types, the API and the ingest handlers build them from their
//! inputs, and the rules (outcome sets, ResultsDB's query language, time formats)
//! are unit-tested without a database.

pub mod artifacts;
pub mod audit;
pub mod compose_diff;
pub mod decision;
pub mod deliverables;
pub mod error;
pub mod graph;
pub mod outcome;
pub mod policies;
pub mod product;
pub mod productmd;
pub mod results;
pub mod sbom;

pub mod svg;
pub mod text;
pub mod time;
pub mod waivers;

pub use error::ModelError;
pub use outcome::{Outcome, Outcomes};
pub use time::Timestamp;
