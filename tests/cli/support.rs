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
    let out = run(args);
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
