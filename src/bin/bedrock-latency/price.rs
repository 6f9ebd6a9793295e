//! `bedrock-latency price`: tokens priced at standard and optimized latency.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::Result;
use bedrock_latency::cost::{CostComparison, TierCost, compare_costs};

use crate::output::{self, field};

/// The most tokens priced at once: a trillion, far beyond any bill, so that
/// every figure printed stays exact enough to read.
const MAX_TOKENS: u64 = 1_000_000_000_000;

/// Arguments of `price`.
#[derive(Debug, clap::Args)]
pub(crate) struct PriceArgs {
    /// Model ID in any form: base ID, inference profile ID, or ARN.
    #[arg(long)]
    model: String,
    /// Input tokens (at most a trillion).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_TOKENS))]
    input_tokens: u64,
    /// Output tokens (at most a trillion).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_TOKENS))]
    output_tokens: u64,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
    /// A JSON or TOML catalog file that adds models or overrides prices.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

pub(crate) fn run(args: PriceArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog)?;
    let c = compare_costs(&catalog, &args.model, args.input_tokens, args.output_tokens)?;
    if args.json {
        output::print_json(&c)?;
    } else {
        output::print(&text(&c))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The table. Names, sources and notes may come from a catalog file, so
/// they are escaped.
fn text(c: &CostComparison) -> String {
    let mut out = format!(
        "{} ({}): {} input + {} output tokens\n\n{:<10} {:>14} {:>14} {:>12}\n",
        field(&c.model_name),
        c.base_model_id,
        c.input_tokens,
        c.output_tokens,
        "LATENCY",
        "INPUT $/1K",
        "OUTPUT $/1K",
        "COST USD"
    );
    let row = |name: &str, t: &TierCost| {
        format!(
            "{name:<10} {:>14} {:>14} {:>12.6}\n",
            t.price.input_per_1k, t.price.output_per_1k, t.cost_usd
        )
    };
    out += &row("standard", &c.standard);
    match &c.optimized {
        Some(o) => {
            out += &row("optimized", o);
            if let (Some(d), Some(p)) = (c.difference_usd, c.difference_percent) {
                out += &format!("\ndifference, optimized - standard: {d:+.6} USD ({p:+.1}%)\n");
            }
        }
        None => out += &format!("{:<10} {:>14}\n", "optimized", "not offered"),
    }
    out += &format!("\nprices as of {} ({}", c.as_of, field(&c.source.url));
    if let Some(note) = &c.source.note {
        out += &format!("; {}", field(note));
    }
    out += ")\n";
    out
}
