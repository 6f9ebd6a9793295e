//! `bedrock-latency probe`: check the catalog against an account, or an
//! endpoint, with the smallest requests that show what serves them. The
//! probing itself is `bedrock_latency::probe`; this module reads the
//! arguments, asks for confirmation before billed requests, prints and
//! writes what was found.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bedrock_latency::probe::{self, Observation, ProbeConfig, ProbePlan, ProbeReport, Stopped};
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{Catalog, Client, Error, Latency, ModelId, Operation, Result, ServiceTier};

use crate::output::{self, OutputFile, field, line};

/// Arguments of `probe`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProbeArgs {
    /// Model ID in any form (repeatable).
    #[arg(long = "model", value_name = "ID", required = true)]
    models: Vec<String>,
    /// Source region of the calls (repeatable).
    #[arg(long = "region", value_name = "REGION", required = true)]
    regions: Vec<String>,
    /// converse (default), converse-stream, invoke-model, invoke-model-stream (repeatable).
    #[arg(long = "operation", value_name = "OP")]
    operations: Vec<Operation>,
    /// Latency to ask for, with no tier (repeatable; default: optimized, or
    /// none when --service-tier is given).
    #[arg(long = "latency", value_name = "LATENCY")]
    latencies: Vec<Latency>,
    /// Service tier to ask for, at standard latency (repeatable).
    #[arg(long = "service-tier", value_name = "TIER")]
    tiers: Vec<ServiceTier>,
    /// Against the embedded local endpoint (serving the catalog in use), or
    /// with --endpoint-url one started elsewhere: no AWS request, no cost.
    #[arg(long)]
    local: bool,
    /// With --local: the endpoint's URL (http://127.0.0.1:PORT, loopback only).
    #[arg(long, value_name = "URL", requires = "local")]
    endpoint_url: Option<String>,
    /// The catalog in use (default: the built-in one, extended by FILE).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Write the probed facts as a catalog file (TOML) to FILE.
    #[arg(long, value_name = "FILE.toml")]
    out: Option<PathBuf>,
    /// Send the requests to AWS (billed): without it, the probe only says
    /// how many it would send and what they may cost.
    #[arg(long)]
    yes: bool,
    /// Most requests to send (1 to 1000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    max_requests: u64,
    /// Longest time for the whole probe, in seconds (1 to 3600; each
    /// request gets at most 30).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Where the probe's requests go.
enum Target {
    Aws,
    Embedded,
    Endpoint(String),
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::Aws => "Amazon Bedrock".to_owned(),
            Target::Embedded => "the embedded local endpoint".to_owned(),
            Target::Endpoint(url) => format!("the local endpoint {url}"),
        }
    }
}

pub(crate) fn run(args: ProbeArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog.clone())?;
    let target = target(&args)?;
    let config = config(&args)?;
    let plan = probe::plan(&catalog, &config)?;
    if matches!(target, Target::Aws) {
        if !args.yes {
            output::print(&confirmation(&plan, &config))?;
            return Ok(ExitCode::from(2));
        }
        // Said before the first request even with --yes (on standard error,
        // so that --json output stays one document).
        output::note(&format!(
            "sending {} requests to Amazon Bedrock; {}",
            plan.requests(),
            cost_line(&plan).trim_end()
        ));
    }
    let out = args.out.as_deref().map(OutputFile::open).transpose()?;
    let path = out.as_ref().map(|o| o.path().to_owned());
    let probed = probe_and_write(&catalog, &plan, &config, &target, out);
    let (report, toml) = probed?;
    let differences = report.differences(&catalog);
    if args.json {
        output::print_json(&serde_json::json!({
            "target": target.describe(),
            "planned": plan.requests(),
            "sent": report.observations.len(),
            "cost_upper_bound_usd": plan.cost_upper_bound_usd(),
            "stopped": report.stopped,
            "observations": report.observations,
            "differences": differences.iter().map(|d| serde_json::json!({
                "difference": d, "message": d.to_string(),
            })).collect::<Vec<_>>(),
            "catalog_file": path.as_ref().map(|p| p.display().to_string()),
            "catalog_toml": toml,
        }))?;
    } else {
        output::print(&text(&report, &differences, path.as_deref()))?;
    }
    Ok(ExitCode::from(if report.stopped.is_some() { 1 } else { 0 }))
}

/// Probes, and writes the probed catalog to `out` (removed again if this
/// run created it and the probe fails).
fn probe_and_write(
    catalog: &Catalog,
    plan: &ProbePlan,
    config: &ProbeConfig,
    target: &Target,
    out: Option<OutputFile>,
) -> Result<(ProbeReport, String)> {
    let probed = tokio::runtime::Runtime::new()
        .map_err(|source| Error::Io {
            path: "tokio runtime".to_owned(),
            source,
        })
        .and_then(|rt| rt.block_on(probe_with(catalog, plan, config, target)))
        .and_then(|report| {
            let toml = report.catalog_file(catalog, &target.describe()).to_toml()?;
            Ok((report, toml))
        });
    match (probed, out) {
        (Ok((report, toml)), Some(out)) => {
            let header = format!(
                "# Written by `bedrock-latency probe` on {} against {}.\n# Load it with `--catalog {}` (or Catalog::load).\n",
                report.date,
                target.describe(),
                out.path().display()
            );
            out.write(&(header + &toml))?;
            Ok((report, toml))
        }
        (Err(e), Some(out)) => {
            out.abandon();
            Err(e)
        }
        (probed, None) => probed,
    }
}

fn target(args: &ProbeArgs) -> Result<Target> {
    match (&args.endpoint_url, args.local) {
        (Some(url), _) => loopback(url).map(|()| Target::Endpoint(url.trim_end_matches('/').to_owned())),
        (None, true) => Ok(Target::Embedded),
        (None, false) => Ok(Target::Aws),
    }
}

/// `--endpoint-url` must name this machine: the probe sends test
/// credentials, and tests reach 127.0.0.1 only.
fn loopback(url: &str) -> Result<()> {
    let rest = url.strip_prefix("http://").unwrap_or_default();
    let host_port = rest.split('/').next().unwrap_or_default();
    let port_ok = |p: &str| p.parse::<u16>().is_ok_and(|p| p > 0);
    let ok = ["127.0.0.1:", "localhost:", "[::1]:"]
        .iter()
        .any(|h| host_port.strip_prefix(h).is_some_and(port_ok));
    if ok {
        Ok(())
    } else {
        Err(Error::Parse {
            what: "endpoint URL",
            value: output::shorten(url, 80),
            expected: "http://127.0.0.1:PORT (or localhost, [::1]): a local endpoint on this machine",
        })
    }
}

fn config(args: &ProbeArgs) -> Result<ProbeConfig> {
    let models = args
        .models
        .iter()
        .map(|m| ModelId::parse(m))
        .collect::<Result<Vec<_>>>()?;
    if let Some(first) = models.first() {
        for region in &args.regions {
            crate::check::require_region(first, region)?;
        }
    }
    let latencies = match (args.latencies.is_empty(), args.tiers.is_empty()) {
        (true, true) => vec![Latency::Optimized],
        _ => args.latencies.clone(),
    };
    let operations = if args.operations.is_empty() {
        vec![Operation::Converse]
    } else {
        args.operations.clone()
    };
    Ok(ProbeConfig {
        models,
        regions: args.regions.clone(),
        operations,
        latencies,
        tiers: args.tiers.clone(),
        // Range-checked by clap.
        max_requests: usize::try_from(args.max_requests).unwrap_or(1000),
        request_timeout: Duration::from_secs(30),
        deadline: Duration::from_secs(args.timeout),
    })
}

/// What a probe of AWS would send and cost, and how to send it.
fn confirmation(plan: &ProbePlan, config: &ProbeConfig) -> String {
    let mut out = format!(
        "The probe would send {} requests to Amazon Bedrock from {} (default credential chain), one at a time, \
         within {} s, stopping at the first throttling answer.\n",
        plan.requests(),
        field(&config.regions.join(", ")),
        config.deadline.as_secs()
    );
    out += &cost_line(plan);
    out += "Nothing was sent. Add --yes to send them (they are billed), or --local to rehearse offline.\n";
    out
}

fn cost_line(plan: &ProbePlan) -> String {
    let mut out = match plan.cost_upper_bound_usd() {
        Some(c) => format!(
            "Cost: at most {c:.6} USD (at most {} input tokens and 1 output token per request, at the catalog's \
             prices; priority and reserved at +{:.0}%)",
            probe::ASSUMED_INPUT_TOKENS,
            (probe::PREMIUM_TIER_MULTIPLIER - 1.0) * 100.0
        ),
        None => "Cost: unknown".to_owned(),
    };
    if !plan.unpriced().is_empty() {
        out += &format!("; no price in the catalog for {}", field(&plan.unpriced().join(", ")));
    }
    out + ".\n"
}

async fn probe_with(catalog: &Catalog, plan: &ProbePlan, config: &ProbeConfig, target: &Target) -> Result<ProbeReport> {
    let server = match target {
        Target::Embedded => Some(
            LocalBedrock::builder()
                .catalog(std::sync::Arc::new(catalog.clone()))
                .start()
                .await
                .map_err(|source| Error::Io {
                    path: "local endpoint".to_owned(),
                    source,
                })?,
        ),
        _ => None,
    };
    let url = match (target, &server) {
        (Target::Endpoint(url), _) => Some(url.clone()),
        (_, Some(s)) => Some(s.endpoint_url()),
        _ => None,
    };
    // One attempt per request: a probe counts what it sends, and stops on
    // the first throttling answer rather than retrying it.
    let retry = aws_config::retry::RetryConfig::standard().with_max_attempts(1);
    let connect = |region: String, hypothesis: Catalog| {
        let url = url.clone();
        let retry = retry.clone();
        async move {
            let conf = match url {
                Some(url) => LocalBedrock::sdk_config_at(&url, &region),
                None => {
                    aws_config::defaults(aws_config::BehaviorVersion::latest())
                        .region(aws_config::Region::new(region))
                        .load()
                        .await
                }
            };
            let conf = conf.to_builder().retry_config(retry).build();
            Client::builder().sdk_config(&conf).catalog(hypothesis).build()
        }
    };
    let report = probe::run(catalog, plan, config, connect, |_, _| {}).await;
    if let Some(s) = server {
        s.shutdown().await;
    }
    Ok(report)
}

fn text(report: &ProbeReport, differences: &[probe::Difference], out: Option<&Path>) -> String {
    let mut t = format!(
        "{:<45} {:<15} {:<20} {:<18} {:<14} {:<10} {:<9} {:<6} {}\n",
        "MODEL", "REGION", "OPERATION", "ASKED", "RESULT", "LATENCY", "TIER", "MS", "ERROR"
    );
    for o in &report.observations {
        t += &row(o);
    }
    match report.stopped {
        Some(Stopped::Throttled) => {
            t += &format!(
                "\nSTOPPED: throttled after {} of {} requests; the result is partial.\n",
                report.observations.len(),
                report.planned
            );
        }
        Some(Stopped::Deadline) => {
            t += &format!(
                "\nSTOPPED: out of time after {} of {} requests; the result is partial.\n",
                report.observations.len(),
                report.planned
            );
        }
        None => {}
    }
    t += "\nDifferences from the catalog in use:\n";
    if differences.is_empty() {
        t += "  none\n";
    }
    for d in differences {
        t += &line(&format!("  {d}"));
        t.push('\n');
    }
    match out {
        Some(p) => t += &format!("\nprobed catalog: {}\n", field(&p.display().to_string())),
        None => t += "\nprobed catalog not written (give --out FILE.toml)\n",
    }
    t
}

/// One row; the model and the error come from input and from the service:
/// escaped and shortened.
fn row(o: &Observation) -> String {
    let c = &o.combination;
    let asked = c.asked.to_string();
    let latency = o.served_latency.map_or("-", Latency::as_str);
    let tier = o.served_tier.map_or("-", ServiceTier::as_str);
    let ms = o.server_latency_ms.map_or_else(|| "-".to_owned(), |m| m.to_string());
    let error = o.error.as_deref().map(|e| output::clean(e, 160)).unwrap_or_default();
    format!(
        "{:<45} {:<15} {:<20} {:<18} {:<14} {:<10} {:<9} {:<6} {error}\n",
        output::clean(c.model.as_str(), 45),
        c.region,
        c.operation.as_str(),
        asked,
        o.verdict.as_str(),
        latency,
        tier,
        ms
    )
}
