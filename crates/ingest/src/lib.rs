//! Filling Almanac from its sources, not from its API: reading what the
//! sources publish ([`compose_source`]: a compose's productmd metadata from a
//! directory or over HTTP, through [`http`]) and applying it through the
//! store's own domain operations ([`composes`]), so an import, the bus
//! listener and the HTTP API write the same way.

pub mod bus;
pub mod compose_source;
pub mod composes;
pub mod http;
pub mod koji;
pub mod reconcile;
pub mod sources;
pub mod xmlrpc;
