//! The command-line tools, run as built binaries (feature `cli`).
#![cfg(feature = "cli")]

#[path = "../shared_fixtures/mod.rs"]
mod shared_fixtures;
mod support;

mod cli;
mod cli_compare;
mod cli_logs;
mod cli_probe;
mod cli_tiers;
