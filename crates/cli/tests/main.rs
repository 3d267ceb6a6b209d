//! End-to-end tests of the `almanac` binary: the real server on loopback,
//! driven by the real clients its ancestors' users run.

mod audit;
mod backup;
mod bus;
mod clients;
mod commands;
mod composes;
mod faults;
mod fuzz;
mod graph;
mod processes;
mod services;
mod sources;
mod support;
mod ui;
