//! Heavy tests, run on purpose (`test = false` in Cargo.toml, so the plain
//! `cargo test` leaves them out) by `.ci/run` in release mode, one at a
//! time: `cargo test --release --all-features --test stress -- --test-threads=1`.
//!
//! - `load`: thousands of concurrent calls through the crate and the raw SDK
//!   against the local endpoint;
//! - `compare_local`: the comparison's speed-up measured against a 2x
//!   faster endpoint (timing: wrong under a busy parallel test run);
//! - `tail`: hedging against a seeded heavy tail, failover from a throttled
//!   region, pre-warming against a connect delay, what 1,000 hedged calls
//!   leave behind (timing);
//! - `*_props`: property tests over a million generated inputs each.

mod support;

mod compare_local;
mod load;
mod logs_fuzz;
mod logs_props;
mod parser_fuzz;
mod parser_props;
mod tail;
mod testkit_parse_props;
