//! Helpers shared by the CLI tests: running the binary and reading what it
//! said.

use std::process::{Command, Output};

/// The `bedrock-latency` binary, to run.
pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
}

/// Runs the binary with `args`.
pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Standard output, then standard error, as text.
pub(crate) fn text_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Runs the binary with `args`: its exit code and [`text_of`] its output.
pub(crate) fn outcome(args: &[&str]) -> (i32, String) {
    outcome_of(bin().args(args))
}

/// Runs `cmd`: its exit code and [`text_of`] its output.
pub(crate) fn outcome_of(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("the binary runs");
    (out.status.code().expect("exited"), text_of(&out))
}

/// The arguments of `check` for `operation` on `model` from `region` at
/// `latency`.
pub(crate) fn check_args<'a>(model: &'a str, region: &'a str, operation: &'a str, latency: &'a str) -> [&'a str; 9] {
    [
        "check",
        "--model",
        model,
        "--region",
        region,
        "--operation",
        operation,
        "--latency",
        latency,
    ]
}

/// Asserts that `text` says each of `needles`, naming the first one missing.
pub(crate) fn assert_says(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing: {text}");
    }
}

/// Asserts that the number at `v[field]["cost_usd"]` is `expected` USD
/// (within 1e-12).
pub(crate) fn assert_cost(v: &serde_json::Value, field: &str, expected: f64) {
    let got = v[field]["cost_usd"].as_f64().unwrap_or_default();
    assert!((got - expected).abs() < 1e-12, "{field}: {got} for {expected}: {v}");
}

/// Asserts that a refusal came within 10 s of `start` (before any request
/// was sent).
pub(crate) fn assert_quick(start: std::time::Instant) {
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}
