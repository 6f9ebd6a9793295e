//! `bedrock-latency`: the command-line face of the crate.
//!
//! Exit codes of `check`: 0 honored (or standard requested), 1 optimized
//! would not be honored, 3 unverified (invoke-flow); 2 for usage errors,
//! invalid model IDs and unreadable catalog files.
//!
//! `logs` exits 0 once every file was read (lines that are not records are
//! reported, not fatal), 2 when a file cannot be read. `price` exits 0, or 2
//! for an unknown model or one without prices.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::Client;
use bedrock_latency::compare::{Arm, CompareConfig, Comparison, chart_svg, compare};
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
    /// Analyze model invocation logs: which requests were served optimized,
    /// how fast, at what cost.
    ///
    /// Reads JSON, JSON Lines, CloudWatch Logs exports (`aws logs
    /// filter-log-events` output, S3 exports) and S3 deliveries (gzip); the
    /// format is detected from the content. Exit 0: read (bad lines are
    /// reported); 2: a file cannot be read.
    Logs {
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
    },
    /// Measure standard against optimized (and optionally priority) on a
    /// prompt: interleaved requests after a warm-up, percentiles per arm, the
    /// speed-up with its 95% interval, downgrades and cost.
    ///
    /// With --local it runs against the embedded local endpoint (no AWS
    /// account); without it, against Amazon Bedrock with the default
    /// credential chain, and the requests are billed.
    Compare {
        /// Model ID in any form (optimized needs a model that offers it).
        #[arg(long)]
        model: String,
        /// The region the calls are made from (default: the SDK's region; us-east-2 with --local).
        #[arg(long)]
        region: Option<String>,
        /// The prompt.
        #[arg(long, default_value = "Summarize the tale of Momotaro in three sentences.")]
        prompt: String,
        /// Measured requests per arm.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        requests: u64,
        /// Unmeasured warm-up requests per arm.
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// max_tokens of every request.
        #[arg(long, default_value_t = 512)]
        max_tokens: u32,
        /// Add the priority service tier as a third arm.
        #[arg(long)]
        priority: bool,
        /// Run against the embedded local endpoint instead of AWS.
        #[arg(long)]
        local: bool,
        /// With --local: how many times faster optimized is served.
        #[arg(long, default_value_t = 2.0, requires = "local")]
        local_speedup: f64,
        /// With --local: optimized requests served before the quota runs out.
        #[arg(long, requires = "local")]
        local_quota: Option<u64>,
        /// Write an SVG chart of the latency distributions to FILE.
        #[arg(long, value_name = "FILE.svg")]
        chart: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Price tokens at standard and optimized latency, side by side.
    Price {
        /// Model ID in any form: base ID, inference profile ID, or ARN.
        #[arg(long)]
        model: String,
        /// Input tokens.
        #[arg(long, value_name = "N")]
        input_tokens: u64,
        /// Output tokens.
        #[arg(long, value_name = "N")]
        output_tokens: u64,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
        /// A JSON or TOML catalog file that adds models or overrides prices.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
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
        Command::Logs { files, json, catalog } => {
            let catalog = load(catalog)?;
            let format = if json {
                bedrock_latency::logs::OutputFormat::Json
            } else {
                bedrock_latency::logs::OutputFormat::Text
            };
            bedrock_latency::logs::write_report(&catalog, &files, format, std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare {
            model,
            region,
            prompt,
            requests,
            warmup,
            max_tokens,
            priority,
            local,
            local_speedup,
            local_quota,
            chart,
            json,
        } => {
            let model = bedrock_latency::ModelId::parse(&model)?;
            let mut arms = vec![Arm::Standard, Arm::Optimized];
            if priority {
                arms.push(Arm::Priority);
            }
            let config = CompareConfig {
                requests_per_arm: usize::try_from(requests).unwrap_or(usize::MAX),
                warmup_per_arm: usize::try_from(warmup).unwrap_or(usize::MAX),
                arms,
                max_tokens,
            };
            if !(local_speedup.is_finite() && local_speedup >= 0.1) {
                return Err(bedrock_latency::Error::InvalidRequest {
                    reason: "--local-speedup must be a number of at least 0.1".to_owned(),
                });
            }
            let rt = tokio::runtime::Runtime::new().map_err(|source| bedrock_latency::Error::Io {
                path: "tokio runtime".to_owned(),
                source,
            })?;
            let comparison = rt.block_on(run_compare(
                &model,
                region,
                &prompt,
                &config,
                local.then_some((local_speedup, local_quota)),
                json,
            ))?;
            if let Some(path) = &chart {
                std::fs::write(path, chart_svg(&comparison)).map_err(|source| bedrock_latency::Error::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            }
            if json {
                println!("{:#}", serde_json::json!(comparison));
            } else {
                print!("{}", compare_text(&comparison));
                if let Some(path) = &chart {
                    println!("chart: {}", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Price {
            model,
            input_tokens,
            output_tokens,
            json,
            catalog,
        } => {
            let catalog = load(catalog)?;
            let c = bedrock_latency::cost::compare_costs(&catalog, &model, input_tokens, output_tokens)?;
            if json {
                println!("{:#}", serde_json::json!(c));
            } else {
                print!("{}", price_text(&c));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn price_text(c: &bedrock_latency::cost::CostComparison) -> String {
    let mut out = format!(
        "{} ({}): {} input + {} output tokens\n\n{:<10} {:>14} {:>14} {:>12}\n",
        c.model_name,
        c.base_model_id,
        c.input_tokens,
        c.output_tokens,
        "LATENCY",
        "INPUT $/1K",
        "OUTPUT $/1K",
        "COST USD"
    );
    let row = |name: &str, t: &bedrock_latency::cost::TierCost| {
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
    out += &format!("\nprices as of {} ({}", c.as_of, c.source.url);
    if let Some(note) = &c.source.note {
        out += &format!("; {note}");
    }
    out += ")\n";
    out
}

async fn run_compare(
    model: &bedrock_latency::ModelId,
    region: Option<String>,
    prompt: &str,
    config: &CompareConfig,
    local: Option<(f64, Option<u64>)>,
    quiet: bool,
) -> bedrock_latency::Result<Comparison> {
    use bedrock_latency::testkit::{LocalBedrock, TokenTiming};
    use std::time::Duration;
    let io = |source| bedrock_latency::Error::Io {
        path: "local endpoint".to_owned(),
        source,
    };
    let (client, _server) = match local {
        Some((speedup, quota)) => {
            // Standard: 200 ms to the first token, then 8 ms a token; optimized
            // divides both by the speed-up.
            let standard = TokenTiming::new(Duration::from_millis(200), Duration::from_millis(8));
            let fast = TokenTiming::new(
                standard.time_to_first_token.div_f64(speedup),
                standard.per_token.div_f64(speedup),
            );
            let mut b = LocalBedrock::builder()
                .timing(bedrock_latency::Latency::Standard, standard)
                .timing(bedrock_latency::Latency::Optimized, fast)
                .answer_tokens(40);
            if let Some(q) = quota {
                b = b.optimized_quota(model.base_model_id(), q);
            }
            let server = b.start().await.map_err(io)?;
            let conf = server.sdk_config(region.as_deref().unwrap_or("us-east-2"));
            (Client::new(&conf), Some(server))
        }
        None => {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
            if let Some(r) = region {
                loader = loader.region(aws_config::Region::new(r));
            }
            (Client::new(&loader.load().await), None)
        }
    };
    let bar = if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::hidden()
    } else {
        let total = config.arms.len() * (config.requests_per_arm + config.warmup_per_arm);
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} requests, {elapsed} elapsed") {
            bar.set_style(style);
        }
        bar
    };
    let result = compare(&client, model, prompt, config, |done, _| bar.set_position(done as u64)).await;
    bar.finish_and_clear();
    result
}

fn compare_text(c: &Comparison) -> String {
    let ms = |d: std::time::Duration| format!("{:.0}", d.as_secs_f64() * 1e3);
    let mut out = format!(
        "{} from {}\n\n{:<10} {:>5} {:>6} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>8} {:>12}\n",
        c.model_id,
        c.region,
        "ARM",
        "N",
        "ERRORS",
        "TTFT p50",
        "TTFT p90",
        "TTFT p99",
        "TOTAL p50",
        "TOTAL p90",
        "TOTAL p99",
        "TOK/S",
        "DOWNGRADED"
    );
    for a in &c.arms {
        let p = |x: Option<bedrock_latency::compare::Percentiles>| {
            x.map_or(["-".to_owned(), "-".to_owned(), "-".to_owned()], |p| {
                [ms(p.p50), ms(p.p90), ms(p.p99)]
            })
        };
        let (t, tt) = (p(a.ttft), p(a.total));
        out += &format!(
            "{:<10} {:>5} {:>6} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>8} {:>12}\n",
            a.arm.as_str(),
            a.requests,
            a.errors,
            t[0],
            t[1],
            t[2],
            tt[0],
            tt[1],
            tt[2],
            a.output_tokens_per_second_p50
                .map_or("-".to_owned(), |v| format!("{v:.0}")),
            a.downgraded
        );
    }
    out += "(times in ms)\n\n";
    for a in &c.arms {
        if let Some(cost) = a.cost_usd {
            out += &format!("cost of the {} arm: ${cost:.6}\n", a.arm);
        }
    }
    for s in &c.speedups {
        out += &format!(
            "{} vs standard: {:.2}x at the median total (95% interval {:.2}-{:.2}){}\n",
            s.arm,
            s.total_p50,
            s.total_interval.0,
            s.total_interval.1,
            s.ttft_p50.map_or(String::new(), |t| format!(
                ", {t:.2}x at the median time to first token"
            ))
        );
    }
    out
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
