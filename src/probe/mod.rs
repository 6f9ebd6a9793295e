//! Probing the catalog against your own account and regions: for each
//! selected model, region, operation, latency and service tier, the
//! smallest request that shows what serves it (one output token), what came
//! back (served latency and tier, server latency, or the exact error), the
//! differences from the catalog in use, and a catalog file of what was
//! probed (see [`ProbeReport::catalog_file`]).
//!
//! A probe asks what the catalog may refuse, so it cannot be checked against
//! the catalog in use. Each region's requests go through the crate's own
//! request path with a *hypothesis* catalog: the catalog in use, amended to
//! say that every probed combination is served from that region. What the
//! service answers is the evidence; the hypothesis is never reported.
//!
//! Bounded: the combinations are counted and priced before anything is sent
//! ([`plan`]), at most [`ProbeConfig::max_requests`] are sent, each within
//! [`ProbeConfig::request_timeout`] and all within [`ProbeConfig::deadline`],
//! and the first throttling answer stops the probe with a partial result.
//!
//! ```no_run
//! # async fn demo() -> bedrock_latency::Result<()> {
//! use bedrock_latency::probe::{self, ProbeConfig};
//! use bedrock_latency::{Catalog, Client, ServiceTier};
//! let config = ProbeConfig {
//!     models: vec!["amazon.nova-pro-v1:0".parse()?],
//!     regions: vec!["us-east-1".into(), "us-west-2".into()],
//!     tiers: vec![ServiceTier::Flex],
//!     ..ProbeConfig::default()
//! };
//! let catalog = Catalog::builtin();
//! let plan = probe::plan(catalog, &config)?;
//! println!("{} requests, at most {:?} USD", plan.requests(), plan.cost_upper_bound_usd());
//! let report = probe::run(catalog, &plan, &config, |region, hypothesis| async move {
//!     let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
//!         .region(aws_config::Region::new(region))
//!         .load()
//!         .await;
//!     Client::builder().sdk_config(&conf).catalog(hypothesis).build()
//! }, |_, _| {})
//! .await;
//! for d in report.differences(catalog) {
//!     println!("{d}");
//! }
//! # Ok(()) }
//! ```

mod file;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use file::{Difference, Prediction, ProbedCatalog};

use crate::catalog::{Catalog, ModelEntry, OptimizedSupport, Source, TierOffer};
use crate::client::Client;
use crate::date::Date;
use crate::error::ServiceErrorKind;
use crate::model_id::{ModelId, is_region_like};
use crate::report::{LatencyReport, ServedLatency};
use crate::runtime::BedrockRuntimeApi;
use crate::vocab::{Latency, LatencyPolicy, Operation, Service, ServiceTier, TierPolicy, Treatment};
use crate::{Error, Result};

/// Most requests a probe may plan (whatever [`ProbeConfig::max_requests`] says).
pub const MAX_REQUESTS: usize = 1000;

/// Input tokens assumed per request for the cost bound: the one-word prompt
/// and the model's chat template stay far below it.
pub const ASSUMED_INPUT_TOKENS: u64 = 100;

/// The price multiplier assumed for the priority and reserved tiers in the
/// cost bound: priority is reported at about +75 % (secondary sources, e.g.
/// startdebugging.net/2026/04/claude-code-2-1-122-bedrock-service-tier/,
/// UNCONFIRMED); reserved capacity is billed per reservation, and its
/// overflow at standard rates, so the priority premium bounds it too.
pub const PREMIUM_TIER_MULTIPLIER: f64 = 1.75;

/// What to probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Models, in any form of their ID.
    pub models: Vec<ModelId>,
    /// Source regions (where the calls are made).
    pub regions: Vec<String>,
    /// bedrock-runtime operations (agent operations report no served
    /// latency or tier).
    pub operations: Vec<Operation>,
    /// Latencies to ask for, each with no tier (optimized shows where it is
    /// served; standard only that the model answers).
    pub latencies: Vec<Latency>,
    /// Service tiers to ask for, each at standard latency.
    pub tiers: Vec<ServiceTier>,
    /// Most requests to send (at most [`MAX_REQUESTS`]).
    pub max_requests: usize,
    /// Longest wait for one answer.
    pub request_timeout: Duration,
    /// Longest time for the whole probe.
    pub deadline: Duration,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            models: Vec::new(),
            regions: Vec::new(),
            operations: vec![Operation::Converse],
            latencies: vec![Latency::Optimized],
            tiers: Vec::new(),
            max_requests: 100,
            request_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(300),
        }
    }
}

/// What one request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Asked {
    /// A latency, with no tier.
    Latency(Latency),
    /// A service tier, at standard latency.
    Tier(ServiceTier),
}

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Asked::Latency(l) => write!(f, "{l} latency"),
            Asked::Tier(t) => write!(f, "{t} tier"),
        }
    }
}

/// One request of a probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combination {
    /// The model as given.
    pub model: ModelId,
    /// The source region.
    pub region: String,
    /// The operation.
    pub operation: Operation,
    /// What it asks for.
    pub asked: Asked,
}

/// The requests of a probe, counted and priced before any is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbePlan {
    combinations: Vec<Combination>,
    cost_upper_bound_usd: Option<f64>,
    unpriced: Vec<String>,
}

impl ProbePlan {
    /// The requests, in the order they are sent.
    pub fn combinations(&self) -> &[Combination] {
        &self.combinations
    }

    /// How many requests will be sent.
    pub fn requests(&self) -> usize {
        self.combinations.len()
    }

    /// An upper bound of the cost in USD, from the catalog's prices
    /// ([`ASSUMED_INPUT_TOKENS`] in and one token out per request, the
    /// optimized price for optimized requests, [`PREMIUM_TIER_MULTIPLIER`]
    /// for priority and reserved); `None` when no probed model has prices.
    pub fn cost_upper_bound_usd(&self) -> Option<f64> {
        self.cost_upper_bound_usd
    }

    /// Probed models whose prices the catalog lacks (not in the bound).
    pub fn unpriced(&self) -> &[String] {
        &self.unpriced
    }
}

/// Checks the configuration and lists the requests: every model x region x
/// operation, one request per latency and one per tier. Sends nothing.
pub fn plan(catalog: &Catalog, config: &ProbeConfig) -> Result<ProbePlan> {
    let invalid = |reason: String| Error::InvalidRequest { reason };
    if config.models.is_empty() || config.regions.is_empty() || config.operations.is_empty() {
        return Err(invalid("a probe needs at least one model, region and operation".into()));
    }
    if config.latencies.is_empty() && config.tiers.is_empty() {
        return Err(invalid(
            "a probe needs at least one latency or service tier to ask for".into(),
        ));
    }
    if let Some(r) = config.regions.iter().find(|r| !is_region_like(r)) {
        return Err(Error::parse("region", r, "an AWS region name such as us-east-2"));
    }
    if let Some(op) = config
        .operations
        .iter()
        .find(|op| op.service() != Service::BedrockRuntime)
    {
        return Err(invalid(format!(
            "{op} reports no served latency or tier: probe converse, converse-stream, invoke-model or invoke-model-stream"
        )));
    }
    let asks: Vec<Asked> = dedup(config.latencies.iter().map(|l| Asked::Latency(*l)))
        .chain(dedup(config.tiers.iter().map(|t| Asked::Tier(*t))))
        .collect();
    let mut combinations = Vec::new();
    for model in dedup(config.models.iter().cloned()) {
        for region in dedup(config.regions.iter().cloned()) {
            for operation in dedup(config.operations.iter().copied()) {
                combinations.extend(asks.iter().map(|asked| Combination {
                    model: model.clone(),
                    region: region.clone(),
                    operation,
                    asked: *asked,
                }));
            }
        }
    }
    let max = config.max_requests.min(MAX_REQUESTS);
    if combinations.len() > max {
        return Err(invalid(format!(
            "the probe would send {} requests, more than the limit of {max}: probe fewer combinations",
            combinations.len()
        )));
    }
    let (cost, unpriced) = cost_bound(catalog, &combinations);
    Ok(ProbePlan {
        combinations,
        cost_upper_bound_usd: cost,
        unpriced,
    })
}

/// The distinct items, in first-seen order.
fn dedup<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> impl Iterator<Item = T> {
    let mut seen: Vec<T> = Vec::new();
    items.filter(move |i| {
        let new = !seen.contains(i);
        if new {
            seen.push(i.clone());
        }
        new
    })
}

fn cost_bound(catalog: &Catalog, combinations: &[Combination]) -> (Option<f64>, Vec<String>) {
    let mut total: Option<f64> = None;
    let mut unpriced: Vec<String> = Vec::new();
    for c in combinations {
        let prices = catalog.model(&c.model).and_then(|e| e.prices.as_ref());
        let Some(prices) = prices else {
            let name = c.model.as_str().to_owned();
            if !unpriced.contains(&name) {
                unpriced.push(name);
            }
            continue;
        };
        let (price, multiplier) = match c.asked {
            Asked::Latency(Latency::Optimized) => (prices.optimized.unwrap_or(prices.standard), 1.0),
            Asked::Latency(Latency::Standard) => (prices.standard, 1.0),
            Asked::Tier(ServiceTier::Priority | ServiceTier::Reserved) => (prices.standard, PREMIUM_TIER_MULTIPLIER),
            Asked::Tier(ServiceTier::Flex | ServiceTier::Default) => (prices.standard, 1.0),
        };
        *total.get_or_insert(0.0) += price.cost(ASSUMED_INPUT_TOKENS, 1) * multiplier;
    }
    (total, unpriced)
}

/// What a probe made of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Served as asked.
    Served,
    /// Answered, but served by another latency or tier (a quota, a token
    /// cap, reserved capacity used up): says nothing against the catalog.
    ServedOther,
    /// Answered without saying what served it.
    NotReported,
    /// Refused by the service (`ValidationException`, `ResourceNotFoundException`):
    /// not served from this region.
    Rejected,
    /// The reserved tier answered "Reservation not found.": offered, but
    /// the account has no reservation.
    NoReservation,
    /// No evidence either way (throttled, timed out, no model access, a
    /// network failure, a model without a one-token body for the operation).
    Inconclusive,
}

impl Verdict {
    /// The kebab-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Served => "served",
            Verdict::ServedOther => "served-other",
            Verdict::NotReported => "not-reported",
            Verdict::Rejected => "rejected",
            Verdict::NoReservation => "no-reservation",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// What one probed request sent and got back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// What was asked.
    pub combination: Combination,
    /// The verdict.
    pub verdict: Verdict,
    /// The model ID sent (the inference profile for optimized latency).
    pub sent_model_id: Option<String>,
    /// The latency that served it, as reported.
    pub served_latency: Option<Latency>,
    /// The tier that served it, as reported.
    pub served_tier: Option<ServiceTier>,
    /// The service's own latency, in milliseconds, when reported.
    pub server_latency_ms: Option<u64>,
    /// Wall time of the request, in milliseconds.
    pub total_ms: u64,
    /// The AWS request id.
    pub request_id: Option<String>,
    /// The exact error: code (`ValidationException`) and message, when the
    /// request failed.
    pub error: Option<String>,
}

/// Why a probe stopped before its last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stopped {
    /// The service throttled a request.
    Throttled,
    /// The probe's deadline passed.
    Deadline,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReport {
    /// One per request sent, in order.
    pub observations: Vec<Observation>,
    /// The requests planned.
    pub planned: usize,
    /// Why it stopped early, if it did (the observations are a partial
    /// result).
    pub stopped: Option<Stopped>,
    /// The day of the probe.
    pub date: Date,
}

/// Sends the planned requests, one at a time, in order. `connect` makes
/// the client for one region from the hypothesis catalog of that region
/// (its SDK client should not retry: a probe counts its requests, and stops
/// on throttling); `progress` is called after each request with (done,
/// planned).
pub async fn run<R, A, F, Fut>(
    catalog: &Catalog,
    plan: &ProbePlan,
    config: &ProbeConfig,
    mut connect: F,
    mut progress: impl FnMut(usize, usize),
) -> ProbeReport
where
    R: BedrockRuntimeApi,
    F: FnMut(String, Catalog) -> Fut,
    Fut: Future<Output = Result<Client<R, A>>>,
{
    let start = Instant::now();
    let mut report = ProbeReport {
        observations: Vec::new(),
        planned: plan.requests(),
        stopped: None,
        date: Date::today(),
    };
    let mut clients: Vec<(String, Result<Client<R, A>>)> = Vec::new();
    for c in &plan.combinations {
        let left = config.deadline.saturating_sub(start.elapsed());
        if left.is_zero() {
            report.stopped = Some(Stopped::Deadline);
            break;
        }
        if !clients.iter().any(|(r, _)| *r == c.region) {
            let hypothesis = hypothesis(catalog, plan, &c.region);
            clients.push((c.region.clone(), connect(c.region.clone(), hypothesis).await));
        }
        let client = clients.iter().find(|(r, _)| *r == c.region).map(|(_, cl)| cl);
        let wait = config.request_timeout.min(left);
        let (observation, throttled) = match client {
            Some(Ok(client)) => observe(client, c, wait).await,
            Some(Err(e)) => (failed(c, e, Duration::ZERO), false),
            None => continue,
        };
        report.observations.push(observation);
        progress(report.observations.len(), plan.requests());
        if throttled {
            report.stopped = Some(Stopped::Throttled);
            break;
        }
    }
    report
}

/// The catalog in use, amended to say that every combination the plan
/// probes from `region` is served there: optimized latency (with the
/// inference profile a call from the region uses) and each tier.
fn hypothesis(catalog: &Catalog, plan: &ProbePlan, region: &str) -> Catalog {
    // Each amendment builds on the previous ones for the same model.
    let mut c = catalog.clone();
    let hypothesis_source = || Source::new("probe hypothesis (never reported)", Date::today());
    for combination in plan.combinations.iter().filter(|x| x.region == region) {
        let model = &combination.model;
        let mut entry = c.model(model).cloned().unwrap_or_else(|| new_entry(model));
        match combination.asked {
            Asked::Latency(Latency::Optimized) => {
                let profile = optimized_profile(&entry, model, region);
                if let Some(p) = &profile
                    && !entry.inference_profiles.contains(p)
                {
                    entry.inference_profiles.push(p.clone());
                }
                entry.optimized = profile.map(|profile| OptimizedSupport {
                    profile,
                    regions: vec![region.to_owned()],
                    operations: Operation::ALL.iter().map(|op| (*op, Treatment::Honored)).collect(),
                    max_total_tokens: None,
                    source: hypothesis_source(),
                });
            }
            Asked::Latency(Latency::Standard) | Asked::Tier(ServiceTier::Default) => {}
            Asked::Tier(tier) => {
                entry.service_tiers.insert(
                    tier,
                    TierOffer {
                        treatment: Treatment::Honored,
                        regions: Some(vec![region.to_owned()]),
                        source: hypothesis_source(),
                    },
                );
            }
        }
        // A hypothesis the catalog's own rules reject is left out: the
        // request then shows what the catalog in use says.
        let _ = c.insert(entry);
    }
    c
}

/// The inference profile an optimized request from `region` sends: the one
/// given, else the model's optimized profile, else the catalog's profile for
/// the region.
fn optimized_profile(entry: &ModelEntry, model: &ModelId, region: &str) -> Option<String> {
    model
        .profile_id()
        .map(str::to_owned)
        .or_else(|| entry.profile_for_region(region).map(str::to_owned))
        .or_else(|| entry.optimized.as_ref().map(|o| o.profile.clone()))
}

/// An entry for a model the catalog does not know.
fn new_entry(model: &ModelId) -> ModelEntry {
    let source = Source::new("probe hypothesis (never reported)", Date::today());
    let mut entry = ModelEntry::bare(model.base_model_id(), source);
    entry.inference_profiles.extend(model.profile_id().map(str::to_owned));
    entry
}

/// Sends one combination; the observation, and whether it was throttled.
async fn observe<R: BedrockRuntimeApi, A>(
    client: &Client<R, A>,
    c: &Combination,
    wait: Duration,
) -> (Observation, bool) {
    let start = Instant::now();
    let sent = tokio::time::timeout(wait, send(client, c)).await;
    let elapsed = start.elapsed();
    match sent {
        Ok(Ok(report)) => (from_report(c, &report, elapsed), false),
        Ok(Err(e)) => (failed(c, &e, elapsed), e.is_throttling()),
        Err(_) => {
            let mut o = blank(c, elapsed);
            o.error = Some(format!("no answer within {} ms", wait.as_millis()));
            (o, false)
        }
    }
}

/// The smallest request of `c.operation` that shows what served it: a
/// one-word prompt, one output token.
async fn send<R: BedrockRuntimeApi, A>(client: &Client<R, A>, c: &Combination) -> Result<LatencyReport> {
    let model = c.model.clone();
    let (policy, tier) = match c.asked {
        Asked::Latency(l) => (LatencyPolicy::from(l), TierPolicy::Unset),
        Asked::Tier(t) => (LatencyPolicy::Standard, TierPolicy::Require(t)),
    };
    Ok(match c.operation {
        Operation::Converse => {
            let b = client.converse(model).latency(policy).tier_policy(tier);
            b.user("Hi").max_tokens(1).send().await?.report
        }
        Operation::ConverseStream => {
            let b = client.converse_stream(model).latency(policy).tier_policy(tier);
            b.user("Hi")
                .max_tokens(1)
                .send()
                .await?
                .collect_response()
                .await?
                .report
        }
        Operation::InvokeModel => {
            let b = client.invoke_model(model).latency(policy).tier_policy(tier);
            b.prompt("Hi", 1).send().await?.report
        }
        _ => {
            let b = client.invoke_model_stream(model).latency(policy).tier_policy(tier);
            b.prompt("Hi", 1).send().await?.collect_response().await?.report
        }
    })
}

fn blank(c: &Combination, elapsed: Duration) -> Observation {
    Observation {
        combination: c.clone(),
        verdict: Verdict::Inconclusive,
        sent_model_id: None,
        served_latency: None,
        served_tier: None,
        server_latency_ms: None,
        total_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        request_id: None,
        error: None,
    }
}

fn from_report(c: &Combination, r: &LatencyReport, elapsed: Duration) -> Observation {
    let verdict = match (c.asked, r.served, r.served_tier) {
        (Asked::Latency(Latency::Standard), _, _) => Verdict::Served,
        (Asked::Latency(l), ServedLatency::Reported(s), _) if s == l => Verdict::Served,
        (Asked::Latency(_), ServedLatency::Reported(_), _) => Verdict::ServedOther,
        (Asked::Tier(t), _, Some(s)) if s == t => Verdict::Served,
        (Asked::Tier(_), _, Some(_)) => Verdict::ServedOther,
        _ => Verdict::NotReported,
    };
    Observation {
        verdict,
        sent_model_id: r.model_id.clone(),
        served_latency: r.served.latency(),
        served_tier: r.served_tier,
        server_latency_ms: r
            .timing
            .server_latency
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        request_id: r.request_id.clone(),
        ..blank(c, elapsed)
    }
}

fn failed(c: &Combination, e: &Error, elapsed: Duration) -> Observation {
    let service = e.service_error();
    let verdict = match service.map(|s| (s.kind(), s.message())) {
        Some((ServiceErrorKind::Validation, Some("Reservation not found."))) => Verdict::NoReservation,
        Some((ServiceErrorKind::Validation | ServiceErrorKind::ResourceNotFound, _)) => Verdict::Rejected,
        _ => Verdict::Inconclusive,
    };
    let error = match service {
        Some(s) => format!("{}: {}", s.code().unwrap_or("error"), s.message().unwrap_or_default()),
        None => e.to_string(),
    };
    Observation {
        verdict,
        request_id: e.request_id().map(str::to_owned),
        error: Some(error),
        ..blank(c, elapsed)
    }
}
