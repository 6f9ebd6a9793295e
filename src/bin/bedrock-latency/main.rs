//! `bedrock-latency`: the command-line face of the crate.
//!
//! One module per subcommand, each with its clap `Args` struct and a `run`
//! function; `output` holds what they share: writing to standard output
//! (a closed pipe ends the program quietly, other write errors are reported)
//! and escaping what is echoed from input. The binary stays outside the
//! library so that clap and indicatif are never part of the library's API.
//!
//! Exit codes of `check`: 0 honored (or standard requested, or a prefer
//! policy's fallback), 1 optimized latency or the service tier would not be
//! honored, or the model is past its end of life under `--lifecycle strict`,
//! 3 unverified (invoke-flow, a tier only secondary sources report); 2 for
//! usage errors, invalid model IDs or regions and unreadable catalog files.
//!
//! `probe` exits 0 once every planned request was sent, 1 when it stopped
//! early (throttled or out of time; the result is partial), 2 for invalid
//! input and for requests to AWS without `--yes`.
//!
//! `logs` exits 0 once every file was read (lines that are not records are
//! reported, not fatal), 2 when a file cannot be read. `price` exits 0, or 2
//! for an unknown model or one without prices. `compare` exits 0, 1 when
//! every request of an arm failed, 2 for invalid input or a failed setup.
//!
//! Every subcommand exits 2 when its output cannot be written (one line on
//! standard error), and 141 (128 + SIGPIPE, what a shell reports for a Unix
//! tool killed by a closed pipe) without a message when standard output is a
//! pipe closed early (`| head`).

mod check;
mod compare;
mod logs;
mod matrix;
mod output;
mod price;
mod probe;

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{Catalog, Result};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-latency",
    version,
    about = "Amazon Bedrock latency-optimized inference: what is honored where"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the support table: models x regions x operations x lifecycle.
    Matrix(matrix::MatrixArgs),
    /// Check whether a request would be honored (latency, service tier,
    /// lifecycle), before sending it.
    ///
    /// Exit 0: honored, standard requested, or a prefer policy fell back;
    /// 1: optimized latency or the service tier would not be honored, or the
    /// model is past its end of life under --lifecycle strict; 3: unverified
    /// (invoke-flow, a tier only secondary sources report); 2: invalid input.
    Check(check::CheckArgs),
    /// Analyze model invocation logs: which requests were served optimized,
    /// how fast, at what cost.
    ///
    /// Reads JSON, JSON Lines, CloudWatch Logs exports (`aws logs
    /// filter-log-events` output, S3 exports) and S3 deliveries (gzip); the
    /// format is detected from the content. Exit 0: read (bad lines are
    /// reported); 2: a file cannot be read.
    Logs(logs::LogsArgs),
    /// Measure standard against optimized (and optionally priority) on a
    /// prompt: interleaved requests after a warm-up, percentiles per arm, the
    /// speed-up with its 95% interval, downgrades and cost.
    ///
    /// With --local it runs against the embedded local endpoint (no AWS
    /// account); without it, against Amazon Bedrock with the default
    /// credential chain, and the requests are billed. Exit 0: measured;
    /// 1: every request of an arm failed; 2: invalid input or setup failed.
    Compare(compare::CompareArgs),
    /// Price tokens at standard and optimized latency, side by side.
    Price(price::PriceArgs),
    /// Check the catalog against your account: for each model, region,
    /// operation, latency and service tier, the smallest request that shows
    /// what serves it (one output token), a table, the differences from the
    /// catalog in use, and (--out) a catalog file of what was probed.
    ///
    /// Against AWS it prints the number of requests and a cost bound first
    /// and sends them only with --yes (billed). --local runs against the
    /// embedded endpoint, or --endpoint-url one started elsewhere. Exit 0:
    /// probed; 1: stopped early (throttled, out of time: partial result);
    /// 2: invalid input, or requests to AWS without --yes.
    Probe(probe::ProbeArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_exit(&e),
    };
    let result = match cli.command {
        Command::Matrix(args) => matrix::run(args),
        Command::Check(args) => check::run(args),
        Command::Logs(args) => logs::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Price(args) => price::run(args),
        Command::Probe(args) => probe::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}

/// The built-in catalog, extended by `file` when one is given.
fn load_catalog(file: Option<PathBuf>) -> Result<Cow<'static, Catalog>> {
    Ok(match file {
        Some(path) => Cow::Owned(Catalog::load(path)?),
        None => Cow::Borrowed(Catalog::builtin()),
    })
}
