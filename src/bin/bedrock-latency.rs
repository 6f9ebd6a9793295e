//! `bedrock-latency`: the command-line face of the crate.
//!
//! Exit codes of `check`: 0 honored (or standard requested), 1 optimized
//! would not be honored, 3 unverified (invoke-flow); 2 for usage errors,
//! invalid model IDs and unreadable catalog files.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{Catalog, CheckRequest, Latency, LatencyPolicy, ModelId, Operation, Treatment};
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
    Matrix {
        /// Print the whole catalog as JSON (the catalog file format).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the table as Markdown (as in the README).
        #[arg(long)]
        markdown: bool,
        /// A JSON or TOML catalog file that adds or overrides models.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
    },
    /// Check whether a request would be honored, before sending it.
    ///
    /// Exit 0: honored, or standard requested; 1: optimized would not be
    /// honored; 3: unverified (invoke-flow); 2: invalid input.
    Check {
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
        #[arg(long, value_name = "N")]
        total_tokens: Option<u32>,
        /// A JSON or TOML catalog file that adds or overrides models.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(catalog: Option<PathBuf>) -> bedrock_latency::Result<std::borrow::Cow<'static, Catalog>> {
    Ok(match catalog {
        Some(path) => std::borrow::Cow::Owned(Catalog::load(path)?),
        None => std::borrow::Cow::Borrowed(Catalog::builtin()),
    })
}

fn run(cli: Cli) -> bedrock_latency::Result<ExitCode> {
    match cli.command {
        Command::Matrix {
            json,
            markdown,
            catalog,
        } => {
            let catalog = load(catalog)?;
            if json {
                println!("{:#}", catalog.to_json());
            } else if markdown {
                print!("{}", markdown_table(&catalog));
            } else {
                print!("{}", text_table(&catalog));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            model,
            region,
            operation,
            latency,
            total_tokens,
            catalog,
            json,
        } => {
            let catalog = load(catalog)?;
            let model = ModelId::parse(&model)?;
            let mut req = CheckRequest::new(&model, &region, operation, latency);
            if let Some(n) = total_tokens {
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
            if json {
                let out = serde_json::json!({
                    "outcome": outcome,
                    "exit_code": code,
                    "plan": answer.as_ref().ok(),
                    "refusal": answer.as_ref().err(),
                    "message": match &answer { Ok(p) => p.to_string(), Err(r) => r.to_string() },
                    "warnings": answer.as_ref().map(|p| p.warnings.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_default(),
                });
                println!("{out:#}");
            } else {
                match &answer {
                    Ok(p) => {
                        println!("{outcome}: {p}");
                        for w in &p.warnings {
                            println!("warning: {w}");
                        }
                    }
                    Err(r) => println!("{outcome}: {r}"),
                }
            }
            Ok(ExitCode::from(code))
        }
    }
}

fn lifecycle(m: &bedrock_latency::ModelEntry) -> String {
    let today = bedrock_latency::Date::today();
    let status = m.lifecycle.status_on(today);
    let name = match status {
        bedrock_latency::LifecycleStatus::Active => "active",
        bedrock_latency::LifecycleStatus::Legacy => "legacy",
        bedrock_latency::LifecycleStatus::EndOfLife => "end of life",
    };
    match m.lifecycle.end_of_life {
        Some(d) => format!("{name} (EOL {d})"),
        None => name.to_owned(),
    }
}

fn optimized_cells(m: &bedrock_latency::ModelEntry) -> (String, String, String) {
    match &m.optimized {
        Some(o) => {
            let mut limits = String::new();
            if let Some(t) = o.max_total_tokens {
                limits = format!("standard above {t} tokens");
            }
            (o.profile.clone(), o.regions.join(", "), limits)
        }
        None => ("-".into(), "not offered".into(), String::new()),
    }
}

fn operation_lines(catalog: &Catalog) -> Vec<String> {
    Operation::ALL
        .iter()
        .map(|op| {
            let t = catalog.operations().get(op).copied().unwrap_or(Treatment::Unverified);
            format!("{:<30} {:<30} {t}", op.as_str(), op.aws_name())
        })
        .collect()
}

fn text_table(catalog: &Catalog) -> String {
    let mut out = format!(
        "Latency-optimized inference on Amazon Bedrock (catalog as of {})\n\n",
        catalog.as_of()
    );
    out += &format!(
        "{:<30} {:<45} {:<22} {:<30} {}\n",
        "MODEL", "OPTIMIZED PROFILE", "OPTIMIZED FROM", "LIFECYCLE", "LIMITS"
    );
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        out += &format!(
            "{:<30} {:<45} {:<22} {:<30} {limits}\n",
            m.name,
            profile,
            regions,
            lifecycle(m)
        );
    }
    out += "\nOperations (for models that offer optimized latency):\n";
    for line in operation_lines(catalog) {
        out += &format!("  {line}\n");
    }
    for m in catalog.optimized_models() {
        if let Some(o) = &m.optimized
            && &o.operations != catalog.operations()
        {
            out += &format!("  ({} differs: {:?})\n", m.name, o.operations);
        }
    }
    out += "\nSources: `bedrock-latency matrix --json`.\n";
    out
}

fn markdown_table(catalog: &Catalog) -> String {
    let mut out =
        String::from("| Model | Optimized profile | Optimized from | Lifecycle | Limits |\n|---|---|---|---|---|\n");
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        let profile = if profile == "-" {
            profile
        } else {
            format!("`{profile}`")
        };
        out += &format!("| {} | {profile} | {regions} | {} | {limits} |\n", m.name, lifecycle(m));
    }
    out += "\n| Operation | AWS API | Optimized latency |\n|---|---|---|\n";
    for op in Operation::ALL {
        let t = catalog.operations().get(&op).copied().unwrap_or(Treatment::Unverified);
        out += &format!("| `{}` | {} | {t} |\n", op.as_str(), op.aws_name());
    }
    out
}
