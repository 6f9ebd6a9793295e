//! `bedrock-latency check`: would a request be honored, before sending it.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{
    Catalog, CheckRequest, Date, Error, Latency, LatencyPolicy, LifecyclePolicy, LifecycleStatus, ModelId, Operation,
    Plan, Refusal, RefusalReason, Result, TierPolicy, Warning,
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
    /// A service tier: priority, default, flex or reserved (refused where
    /// the catalog says it is not honored), or prefer-TIER (sent where
    /// honored, otherwise none). Flex is the slow, cheap tier.
    #[arg(long, value_name = "TIER", default_value = "none")]
    service_tier: TierPolicy,
    /// warn (default): a model past its end-of-life date is checked with a
    /// warning; strict: refused (exit 1).
    #[arg(long, value_name = "POLICY", default_value = "warn")]
    lifecycle: LifecyclePolicy,
    /// Opt in to what only secondary sources report (a tier, a tier with
    /// optimized latency) or nobody has shown (optimized on flows): checked
    /// as honored instead of exit 3.
    #[arg(long)]
    allow_unverified: bool,
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
    let mut req = CheckRequest::new(&model, &args.region, args.operation, args.latency)
        .service_tier(args.service_tier)
        .lifecycle(args.lifecycle);
    if let Some(n) = args.total_tokens {
        req = req.total_tokens(n);
    }
    if args.allow_unverified {
        req = req.allow_unverified().allow_unverified_tier();
    }
    let answer = catalog.check(&req);
    let (outcome, code) = outcome(&answer);
    let eol = past_end_of_life(&catalog, &model, &answer);
    if args.json {
        output::print_json(&json(&answer, outcome, code, eol.as_ref()))?;
    } else {
        output::print(&text(&answer, outcome, eol.as_ref()))?;
    }
    Ok(ExitCode::from(code))
}

/// The outcome's name and exit code: 0 honored (fallbacks included), 1
/// refused, 3 unverified.
fn outcome(answer: &std::result::Result<Plan, Refusal>) -> (&'static str, u8) {
    match answer {
        Ok(p) if p.latency == Latency::Optimized => ("optimized", 0),
        Ok(p) if p.fallback.is_some() => ("fallback-to-standard", 0),
        Ok(_) => ("standard", 0),
        Err(r) if r.is_unverified() => ("unverified", 3),
        Err(_) => ("refused", 1),
    }
}

/// What the catalog says of a model past its end-of-life date.
struct PastEndOfLife {
    model_name: String,
    end_of_life: Option<Date>,
    source: String,
}

/// The model's end of life, when the check found it past (a warning, or a
/// refusal under `--lifecycle strict`).
fn past_end_of_life(
    catalog: &Catalog,
    model: &ModelId,
    answer: &std::result::Result<Plan, Refusal>,
) -> Option<PastEndOfLife> {
    let past = match answer {
        Ok(p) => p.past_end_of_life(),
        Err(r) => matches!(r.reason, RefusalReason::PastEndOfLife { .. }),
    };
    let entry = catalog.model(model).filter(|_| past)?;
    Some(PastEndOfLife {
        model_name: entry.name.clone(),
        end_of_life: entry.lifecycle.end_of_life,
        source: entry.lifecycle.source.url.clone(),
    })
}

fn json(
    answer: &std::result::Result<Plan, Refusal>,
    outcome: &str,
    code: u8,
    eol: Option<&PastEndOfLife>,
) -> serde_json::Value {
    serde_json::json!({
        "outcome": outcome,
        "exit_code": code,
        "past_end_of_life": eol.is_some(),
        "lifecycle": eol.map(|e| serde_json::json!({
            "status": LifecycleStatus::EndOfLife,
            "end_of_life": e.end_of_life,
            "source": e.source,
        })),
        "service_tier": answer.as_ref().ok().and_then(|p| p.service_tier),
        "plan": answer.as_ref().ok(),
        "refusal": answer.as_ref().err(),
        "message": match answer { Ok(p) => p.to_string(), Err(r) => r.to_string() },
        "warnings": answer
            .as_ref()
            .map(|p| p.warnings.iter().map(ToString::to_string).collect::<Vec<_>>())
            .unwrap_or_default(),
    })
}

/// A model past its end of life first, in capitals; then one line for the
/// answer and one per other warning; each escaped, since model names and
/// notes come from catalog files.
fn text(answer: &std::result::Result<Plan, Refusal>, outcome: &str, eol: Option<&PastEndOfLife>) -> String {
    let mut out = String::new();
    if let Some(e) = eol {
        let date = e
            .end_of_life
            .map_or_else(|| "an unknown date".to_owned(), |d| d.to_string());
        out += &line(&format!(
            "PAST END OF LIFE: {} reached its end-of-life date on {date}; AWS may no longer serve it (source: {})",
            e.model_name, e.source
        ));
        out.push('\n');
    }
    match answer {
        Ok(p) => {
            out += &line(&format!("{outcome}: {p}"));
            out.push('\n');
            for w in p
                .warnings
                .iter()
                .filter(|w| !matches!(w, Warning::PastEndOfLife { .. }))
            {
                out += &line(&format!("warning: {w}"));
                out.push('\n');
            }
            if eol.is_some() {
                out += "warning: `--lifecycle strict` refuses requests for models past their end-of-life date\n";
            }
        }
        Err(r) => {
            out += &line(&format!("{outcome}: {r}"));
            out.push('\n');
        }
    }
    out
}
