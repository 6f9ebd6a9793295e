//! Heavy tests, run on purpose (`test = false` in Cargo.toml, so the plain
//! `cargo test` leaves them out) by `.ci/run` in release mode, one at a
//! time: `cargo test --release --all-features --test stress -- --test-threads=1`.
//!
//! - `load`: thousands of concurrent calls through the crate and the raw SDK
//!   against the local endpoint;
//! - `*_props`: property tests over a million generated inputs each.

mod load;
mod logs_props;
mod parser_props;
