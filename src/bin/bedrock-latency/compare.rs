//! `bedrock-latency compare`: standard against optimized (and priority),
//! measured on a prompt.
//!
//! Everything that can be checked is checked before the first request (the
//! requests may be billed): the arguments, the region, whether each arm
//! would be honored, and whether the chart file can be written.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bedrock_latency::compare::{Arm, CompareConfig, Comparison, Percentiles, chart_svg, compare};
use bedrock_latency::tail::Hedge;
use bedrock_latency::testkit::{Distribution, LatencyRule, LocalBedrock, TokenTiming};
use bedrock_latency::{Client, Error, Latency, ModelId, Result};

use crate::output::{self, OutputFile, field};

/// Most measured requests per arm.
const MAX_REQUESTS: u64 = 10_000;
/// Most warm-up requests per arm.
const MAX_WARMUP: u64 = 1_000;

/// Arguments of `compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
    /// Model ID in any form (optimized needs a model that offers it).
    #[arg(long)]
    model: String,
    /// The region the calls are made from (default: the SDK's region; us-east-2 with --local).
    #[arg(long)]
    region: Option<String>,
    /// The prompt.
    #[arg(long, default_value = "Summarize the tale of Momotaro in three sentences.")]
    prompt: String,
    /// Measured requests per arm (1 to 10000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=MAX_REQUESTS))]
    requests: u64,
    /// Unmeasured warm-up requests per arm (0 to 1000).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=MAX_WARMUP))]
    warmup: u64,
    /// max_tokens of every request (1 to 1000000; the model may allow fewer).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_tokens: u32,
    /// Add the priority service tier as an arm.
    #[arg(long)]
    priority: bool,
    /// Add a hedged arm: standard latency with hedged requests.
    #[arg(long)]
    hedged: bool,
    /// The hedged arm sends a backup at this percentile of the observed time
    /// to first token (50 to 99.9; default 95).
    #[arg(long, value_name = "PERCENTILE", requires = "hedged", conflicts_with = "hedge_after", value_parser = percentile)]
    hedge_at: Option<f64>,
    /// The hedged arm sends a backup after this many milliseconds instead.
    #[arg(long, value_name = "MS", requires = "hedged", value_parser = clap::value_parser!(u64).range(0..=600_000))]
    hedge_after: Option<u64>,
    /// The hedged arm sends at most this many extra requests, in percent (0 to 100; default 10).
    #[arg(long, value_name = "PERCENT", requires = "hedged", default_value_t = 10.0, value_parser = percent)]
    hedge_max_extra: f64,
    /// Run against the embedded local endpoint instead of AWS.
    #[arg(long)]
    local: bool,
    /// With --local: how many times faster optimized is served (0.1 to 100).
    #[arg(long, default_value_t = 2.0, requires = "local", value_parser = speedup)]
    local_speedup: f64,
    /// With --local: optimized requests served before the quota runs out.
    #[arg(long, requires = "local")]
    local_quota: Option<u64>,
    /// With --local: the standard tier's time to first token from this
    /// distribution (fixed:MS, lognormal:MEDIAN_MS:SIGMA, or a mixture such as
    /// 95*lognormal:200:0.2+5*lognormal:2000:0.2), seeded.
    #[arg(long, value_name = "DIST", requires = "local", value_parser = distribution)]
    local_ttft: Option<Distribution>,
    /// Write an SVG chart of the latency distributions to FILE.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Parses `--hedge-at`: a percentile from 50 to 99.9.
fn percentile(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (50.0..=99.9).contains(&v) => Ok(v),
        _ => Err("expected a percentile from 50 to 99.9".to_owned()),
    }
}

/// Parses `--hedge-max-extra`: a percentage from 0 to 100.
fn percent(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err("expected a percentage from 0 to 100".to_owned()),
    }
}

/// Parses `--local-ttft` (the testkit's text form).
fn distribution(s: &str) -> std::result::Result<Distribution, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

/// Parses `--local-speedup`: a finite number from 0.1 to 100.
fn speedup(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.1..=100.0).contains(&v) => Ok(v),
        _ => Err("expected a number from 0.1 to 100".to_owned()),
    }
}

pub(crate) fn run(args: CompareArgs) -> Result<ExitCode> {
    let model = ModelId::parse(&args.model)?;
    if let Some(region) = &args.region {
        crate::check::require_region(&model, region)?;
    }
    if args.prompt.trim().is_empty() {
        return Err(Error::InvalidRequest {
            reason: "--prompt is empty".to_owned(),
        });
    }
    let mut arms = vec![Arm::Standard, Arm::Optimized];
    if args.priority {
        arms.push(Arm::Priority);
    }
    if args.hedged {
        arms.push(Arm::Hedged);
    }
    let hedge = match args.hedge_after {
        Some(ms) => Hedge::after(Duration::from_millis(ms)),
        None => Hedge::at_percentile(args.hedge_at.unwrap_or(95.0)),
    }
    .max_extra(args.hedge_max_extra / 100.0);
    let config = CompareConfig {
        // Both fit: they were range-checked above.
        requests_per_arm: usize::try_from(args.requests).unwrap_or(usize::MAX),
        warmup_per_arm: usize::try_from(args.warmup).unwrap_or(usize::MAX),
        arms,
        max_tokens: args.max_tokens,
        hedge,
    };
    let chart = args.chart.as_deref().map(OutputFile::open).transpose()?;
    let rt = tokio::runtime::Runtime::new().map_err(|source| Error::Io {
        path: "tokio runtime".to_owned(),
        source,
    })?;
    let local = args.local.then_some(Local {
        speedup: args.local_speedup,
        quota: args.local_quota,
        ttft: args.local_ttft,
    });
    let comparison = rt.block_on(run_compare(
        &model,
        args.region,
        &args.prompt,
        &config,
        local,
        args.json,
    ));
    let comparison = match (comparison, chart) {
        (Ok(c), Some(chart)) => {
            chart.write(&chart_svg(&c))?;
            c
        }
        (Ok(c), None) => c,
        (Err(e), chart) => {
            if let Some(chart) = chart {
                chart.abandon();
            }
            return Err(e);
        }
    };
    if args.json {
        output::print_json(&comparison)?;
    } else {
        let mut text = compare_text(&comparison);
        if let Some(path) = &args.chart {
            text += &format!("chart: {}\n", field(&path.display().to_string()));
        }
        output::print(&text)?;
    }
    Ok(exit_code(&comparison))
}

/// 1 when an arm has no successful request: nothing was measured there, and
/// scripts must not take its empty row for a result.
fn exit_code(c: &Comparison) -> ExitCode {
    let failed: Vec<&str> = c
        .arms
        .iter()
        .filter(|a| a.requests == 0)
        .map(|a| a.arm.as_str())
        .collect();
    if failed.is_empty() {
        return ExitCode::SUCCESS;
    }
    let arms = if failed.len() == 1 { "arm" } else { "arms" };
    let message = format!("error: every request of the {} {arms} failed\n", failed.join(" and "));
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), message.as_bytes());
    ExitCode::from(1)
}

/// How the embedded endpoint behaves (`--local-*`).
struct Local {
    speedup: f64,
    quota: Option<u64>,
    ttft: Option<Distribution>,
}

async fn run_compare(
    model: &ModelId,
    region: Option<String>,
    prompt: &str,
    config: &CompareConfig,
    local: Option<Local>,
    quiet: bool,
) -> Result<Comparison> {
    let (client, _server) = match local {
        Some(local) => {
            let server = local_endpoint(model, local).await?;
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
    let bar = progress_bar(config, quiet);
    let result = compare(&client, model, prompt, config, |done, _| bar.set_position(done as u64)).await;
    bar.finish_and_clear();
    result
}

/// The embedded endpoint. Standard: 200 ms to the first token (or the
/// `--local-ttft` distribution), then 8 ms a token; optimized divides both
/// by the speed-up.
async fn local_endpoint(model: &ModelId, local: Local) -> Result<LocalBedrock> {
    let Local { speedup, quota, ttft } = local;
    let standard = TokenTiming::new(Duration::from_millis(200), Duration::from_millis(8));
    let fast = TokenTiming::new(
        standard.time_to_first_token.div_f64(speedup),
        standard.per_token.div_f64(speedup),
    );
    let mut b = LocalBedrock::builder()
        .timing(Latency::Standard, standard)
        .timing(Latency::Optimized, fast)
        .answer_tokens(40);
    if let Some(q) = quota {
        b = b.optimized_quota(model.base_model_id(), q);
    }
    if let Some(d) = ttft {
        b = b.latency(LatencyRule::new(d).tier(Latency::Standard)).seed(7);
    }
    b.start().await.map_err(|source| Error::Io {
        path: "local endpoint".to_owned(),
        source,
    })
}

fn progress_bar(config: &CompareConfig, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let per_arm = config.requests_per_arm.saturating_add(config.warmup_per_arm);
    let bar = indicatif::ProgressBar::new(config.arms.len().saturating_mul(per_arm) as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} requests, {elapsed} elapsed") {
        bar.set_style(style);
    }
    bar
}

fn compare_text(c: &Comparison) -> String {
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
        let (t, tt) = (cells(a.ttft), cells(a.total));
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
    for a in c.arms.iter().filter(|a| a.arm == Arm::Hedged) {
        let total = a.requests + a.errors;
        let pct = if total == 0 {
            0.0
        } else {
            100.0 * a.backups as f64 / total as f64
        };
        out += &format!("hedged arm: {} backups ({pct:.1} % extra requests)\n", a.backups);
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

/// p50, p90, p99 in milliseconds, or dashes.
fn cells(p: Option<Percentiles>) -> [String; 3] {
    let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1e3);
    p.map_or(["-".to_owned(), "-".to_owned(), "-".to_owned()], |p| {
        [ms(p.p50), ms(p.p90), ms(p.p99)]
    })
}
