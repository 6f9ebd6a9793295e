//! `bedrock-latency check`: would a request be honored, before sending it.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{
    CheckRequest, Error, Latency, LatencyPolicy, ModelId, Operation, Plan, Refusal, RefusalReason, Result,
};

use crate::output::{self, line};

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Model ID in any form: base ID, inference profile ID, or ARN.
    #[arg(long)]
    model: String,
    /// The region the call is made from (e.g. us-east-2).
    #[arg(long)]
    region: String,
    /// converse, converse-stream, invoke-model, invoke-model-stream,
    /// inline-agent, retrieve-and-generate, retrieve-and-generate-stream,
    /// invoke-agent, invoke-flow.
    #[arg(long)]
    operation: Operation,
    /// standard, optimized or prefer-optimized.
    #[arg(long, default_value = "optimized")]
    latency: LatencyPolicy,
    /// Expected input + output tokens (for models with a token cap).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    total_tokens: Option<u32>,
    /// A JSON or TOML catalog file that adds or overrides models.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

/// An invalid region as invalid input (exit 2), whatever the latency asked:
/// the check refuses it, and only for that reason with standard latency.
pub(crate) fn require_region(model: &ModelId, region: &str) -> Result<()> {
    let req = CheckRequest::new(model, region, Operation::Converse, LatencyPolicy::Standard);
    match bedrock_latency::Catalog::builtin().check(&req) {
        Err(r) if r.reason == RefusalReason::InvalidRegion => Err(Error::Parse {
            what: "region",
            // Shortened only: the message quotes it with `{:?}`, which escapes.
            value: output::shorten(region, 40),
            expected: "an AWS region name such as us-east-2 (lower-case letters, digits and dashes, at most 20 characters)",
        }),
        _ => Ok(()),
    }
}

pub(crate) fn run(args: CheckArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog)?;
    let model = ModelId::parse(&args.model)?;
    require_region(&model, &args.region)?;
    let mut req = CheckRequest::new(&model, &args.region, args.operation, args.latency);
    if let Some(n) = args.total_tokens {
        req = req.total_tokens(n);
    }
    let answer = catalog.check(&req);
    let (outcome, code) = match &answer {
        Ok(p) if p.latency == Latency::Optimized => ("optimized", 0),
        Ok(p) if p.fallback.is_some() => ("fallback-to-standard", 0),
        Ok(_) => ("standard", 0),
        Err(r) if r.is_unverified() => ("unverified", 3),
        Err(_) => ("refused", 1),
    };
    if args.json {
        output::print_json(&json(&answer, outcome, code))?;
    } else {
        output::print(&text(&answer, outcome))?;
    }
    Ok(ExitCode::from(code))
}

fn json(answer: &std::result::Result<Plan, Refusal>, outcome: &str, code: u8) -> serde_json::Value {
    serde_json::json!({
        "outcome": outcome,
        "exit_code": code,
        "plan": answer.as_ref().ok(),
        "refusal": answer.as_ref().err(),
        "message": match answer { Ok(p) => p.to_string(), Err(r) => r.to_string() },
        "warnings": answer
            .as_ref()
            .map(|p| p.warnings.iter().map(ToString::to_string).collect::<Vec<_>>())
            .unwrap_or_default(),
    })
}

/// One line for the answer and one per warning; each escaped, since model
/// names and notes come from catalog files.
fn text(answer: &std::result::Result<Plan, Refusal>, outcome: &str) -> String {
    match answer {
        Ok(p) => {
            let mut out = line(&format!("{outcome}: {p}")) + "\n";
            for w in &p.warnings {
                out += &line(&format!("warning: {w}"));
                out.push('\n');
            }
            out
        }
        Err(r) => line(&format!("{outcome}: {r}")) + "\n",
    }
}
