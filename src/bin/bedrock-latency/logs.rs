//! `bedrock-latency logs`: invocation logs analyzed, streamed by the
//! library's log reader (`bedrock_latency::logs::write_report`).

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::Result;
use bedrock_latency::logs::OutputFormat;

/// Arguments of `logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct LogsArgs {
    /// Log files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON object, records first (written as they are read),
    /// then bad lines, files, counts and the summary.
    #[arg(long)]
    json: bool,
    /// A JSON or TOML catalog file that adds models or overrides prices.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

pub(crate) fn run(args: LogsArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog)?;
    let format = if args.json {
        OutputFormat::Json
    } else {
        OutputFormat::Text
    };
    // A write error (a closed pipe included) comes back as `Error::Io` on
    // "output", which `main` ends quietly or with one line.
    bedrock_latency::logs::write_report(&catalog, &args.files, format, std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
