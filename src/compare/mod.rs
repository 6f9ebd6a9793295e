//! Standard vs optimized (and optionally the priority tier), measured on your
//! own prompt: interleaved requests after a warm-up, percentiles per arm, the
//! speed-up with its spread, downgrades and cost.
//!
//! AWS claims "up to 60% faster" for Claude 3.5 Haiku; a published hands-on
//! test tried each setting once and said more tries were needed. This module
//! makes the tries.

use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;

use crate::client::Client;
use crate::model_id::ModelId;
use crate::report::LatencyReport;
use crate::runtime::{BedrockRuntimeApi, StreamEvent};
pub use crate::stats::Percentiles;
use crate::stats::{bootstrap_median_ratio, median};
use crate::tail::Hedge;

mod chart;

use crate::vocab::{Latency, LatencyPolicy, ServiceTier};
use crate::{Error, Result};
pub use chart::chart_svg;

/// One arm of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arm {
    /// Standard latency, default tier.
    Standard,
    /// Latency-optimized inference.
    Optimized,
    /// Standard latency on the priority service tier.
    Priority,
    /// Standard latency, hedged ([`CompareConfig::hedge`]).
    Hedged,
}

impl Arm {
    /// The arm's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Arm::Standard => "standard",
            Arm::Optimized => "optimized",
            Arm::Priority => "priority",
            Arm::Hedged => "hedged",
        }
    }
}

crate::vocab::display_by_name!(Arm => write_str(as_str););

/// How to run a comparison.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Measured requests per arm.
    pub requests_per_arm: usize,
    /// Unmeasured requests per arm first (connections, caches).
    pub warmup_per_arm: usize,
    /// The arms, in the order they are interleaved.
    pub arms: Vec<Arm>,
    /// `max_tokens` of every request.
    pub max_tokens: u32,
    /// The hedge of the [`Arm::Hedged`] arm (default: at the observed p95,
    /// at most 10 % extra requests). The other arms are never hedged.
    pub hedge: Hedge,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            requests_per_arm: 20,
            warmup_per_arm: 2,
            arms: vec![Arm::Standard, Arm::Optimized],
            max_tokens: 512,
            hedge: Hedge::at_percentile(95.0),
        }
    }
}

/// One measured request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// The arm.
    pub arm: Arm,
    /// Time to first token.
    pub ttft: Option<Duration>,
    /// Total time.
    pub total: Duration,
    /// Output tokens per second.
    pub output_tokens_per_second: Option<f64>,
    /// Whether optimized was asked and standard served.
    pub downgraded: bool,
    /// Input and output tokens.
    pub tokens: Option<(u32, u32)>,
    /// Whether a hedge's backup was sent.
    pub backup_sent: bool,
    /// The estimated cost of the hedge's loser, in USD.
    pub extra_cost_usd: Option<f64>,
}

/// What one arm measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmStats {
    /// The arm.
    pub arm: Arm,
    /// Measured requests that succeeded.
    pub requests: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Requests flagged downgraded (optimized asked, standard served).
    pub downgraded: usize,
    /// Hedge backups sent (extra requests).
    pub backups: usize,
    /// Time to first token.
    pub ttft: Option<Percentiles>,
    /// Total time.
    pub total: Option<Percentiles>,
    /// Median output tokens per second.
    pub output_tokens_per_second_p50: Option<f64>,
    /// Estimated cost of the measured requests in USD, from the catalog's
    /// prices for the latency that served each request.
    pub cost_usd: Option<f64>,
}

/// The speed-up of one arm over standard: the ratio of medians, with a 95%
/// bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Speedup {
    /// The faster arm.
    pub arm: Arm,
    /// standard p50 total / arm p50 total.
    pub total_p50: f64,
    /// 95% bootstrap interval of `total_p50`.
    pub total_interval: (f64, f64),
    /// standard p50 TTFT / arm p50 TTFT.
    pub ttft_p50: Option<f64>,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The model ID as given.
    pub model_id: String,
    /// The region of the calls.
    pub region: String,
    /// Per arm.
    pub arms: Vec<ArmStats>,
    /// Speed-ups of each non-standard arm over standard.
    pub speedups: Vec<Speedup>,
    /// Every measured request, in the order made.
    pub samples: Vec<Sample>,
}

impl Comparison {
    /// The stats of `arm`.
    pub fn arm(&self, arm: Arm) -> Option<&ArmStats> {
        self.arms.iter().find(|a| a.arm == arm)
    }

    /// The speed-up of `arm` over standard.
    pub fn speedup(&self, arm: Arm) -> Option<&Speedup> {
        self.speedups.iter().find(|s| s.arm == arm)
    }
}

/// Runs a comparison with ConverseStream (so that time to first token is
/// measured). `progress` is called after every request with (done, total).
///
/// Fails before sending anything if an arm cannot be served as asked (e.g.
/// optimized from a region that does not serve the model).
pub async fn compare<R, A>(
    client: &Client<R, A>,
    model: &ModelId,
    prompt: &str,
    config: &CompareConfig,
    mut progress: impl FnMut(usize, usize),
) -> Result<Comparison>
where
    R: BedrockRuntimeApi,
{
    let (rounds, total_requests) = rounds(config)?;
    // Refuse up front rather than after the standard arm has run.
    for arm in &config.arms {
        let (policy, tier) = match arm {
            Arm::Optimized => (LatencyPolicy::Optimized, None),
            Arm::Standard | Arm::Hedged => (LatencyPolicy::Standard, None),
            Arm::Priority => (LatencyPolicy::Standard, Some(ServiceTier::Priority)),
        };
        // The client's own planner, routes and service tier included: what
        // it refuses here it would refuse on sending.
        client.plan_with_tier(model, crate::Operation::ConverseStream, policy, tier)?;
    }
    let mut done = 0;
    let mut samples = Vec::new();
    let mut errors = vec![0usize; config.arms.len()];
    for round in 0..rounds {
        let measured = round >= config.warmup_per_arm;
        // Rotate the order each round so that no arm always goes first.
        for k in 0..config.arms.len() {
            let i = (k + round % config.arms.len()) % config.arms.len();
            let arm = config.arms[i];
            match one(client, model, prompt, arm, config).await {
                Ok(report) if measured => samples.push(Sample::of(arm, &report)),
                Ok(_) => {}
                Err(e) if measured => {
                    tracing::warn!(arm = %arm, error = %e, "comparison request failed");
                    errors[i] += 1;
                }
                Err(e) => return Err(e),
            }
            done += 1;
            progress(done, total_requests);
        }
    }
    let priced = client.catalog().model(model).filter(|m| m.prices.is_some());
    let arms: Vec<ArmStats> = config
        .arms
        .iter()
        .zip(errors)
        .map(|(&arm, errors)| arm_stats(arm, errors, &samples, priced))
        .collect();
    let speedups = config
        .arms
        .iter()
        .filter(|a| **a != Arm::Standard && config.arms.contains(&Arm::Standard))
        .filter_map(|&arm| speedup(&samples, arm))
        .collect();
    Ok(Comparison {
        model_id: model.as_str().to_owned(),
        region: client.region().unwrap_or_default().to_owned(),
        arms,
        speedups,
        samples,
    })
}

/// The rounds of a comparison (warm-up and measured) and the requests they
/// send in all, or why it cannot run.
fn rounds(config: &CompareConfig) -> Result<(usize, usize)> {
    if config.arms.is_empty() || config.requests_per_arm == 0 {
        return Err(Error::InvalidRequest {
            reason: "a comparison needs at least one arm and one request per arm".to_owned(),
        });
    }
    let rounds = config.warmup_per_arm.checked_add(config.requests_per_arm);
    rounds
        .and_then(|r| Some((r, r.checked_mul(config.arms.len())?)))
        .ok_or_else(|| Error::InvalidRequest {
            reason: "too many requests: arms x (warm-up + measured requests) does not fit in a usize".to_owned(),
        })
}

impl Sample {
    /// What `report` measured for `arm`.
    fn of(arm: Arm, report: &LatencyReport) -> Self {
        Sample {
            arm,
            ttft: report.timing.time_to_first_token,
            total: report.timing.total,
            output_tokens_per_second: report.timing.output_tokens_per_second,
            downgraded: report.downgraded(),
            tokens: report.usage.map(|u| (u.input_tokens, u.output_tokens)),
            backup_sent: hedge_of(report).is_some_and(|h| h.backup_sent()),
            extra_cost_usd: hedge_of(report).and_then(|h| h.extra_cost_usd),
        }
    }
}

/// One arm's figures from its samples; its cost at the catalog's prices
/// (`priced`), when every sample has token counts.
fn arm_stats(arm: Arm, errors: usize, samples: &[Sample], priced: Option<&crate::ModelEntry>) -> ArmStats {
    let mine: Vec<&Sample> = samples.iter().filter(|s| s.arm == arm).collect();
    let totals: Vec<Duration> = mine.iter().map(|s| s.total).collect();
    let ttfts: Vec<Duration> = mine.iter().filter_map(|s| s.ttft).collect();
    let mut tps: Vec<f64> = mine.iter().filter_map(|s| s.output_tokens_per_second).collect();
    tps.sort_by(f64::total_cmp);
    // No cost for an arm with no successful request (a sum of no
    // floats is -0.0, which printed as "$-0.000000").
    let cost = priced.filter(|_| !mine.is_empty()).and_then(|entry| {
        mine.iter()
            .map(|s| {
                let served = if arm == Arm::Optimized && !s.downgraded {
                    Latency::Optimized
                } else {
                    Latency::Standard
                };
                let (i, o) = s.tokens?;
                let extra = s.extra_cost_usd.unwrap_or(0.0);
                crate::cost::cost(entry, served, u64::from(i), u64::from(o)).map(|c| c + extra)
            })
            .try_fold(0.0, |sum, c| Some(sum + c?))
    });
    ArmStats {
        arm,
        requests: mine.len(),
        errors,
        downgraded: mine.iter().filter(|s| s.downgraded).count(),
        backups: mine.iter().filter(|s| s.backup_sent).count(),
        ttft: Percentiles::of(&ttfts),
        total: Percentiles::of(&totals),
        output_tokens_per_second_p50: tps.get(tps.len() / 2).copied(),
        cost_usd: cost,
    }
}

fn hedge_of(r: &LatencyReport) -> Option<&crate::tail::HedgeReport> {
    r.tail.as_ref().and_then(|t| t.hedge.as_ref())
}

async fn one<R: BedrockRuntimeApi, A>(
    client: &Client<R, A>,
    model: &ModelId,
    prompt: &str,
    arm: Arm,
    config: &CompareConfig,
) -> Result<LatencyReport> {
    let mut req = client
        .converse_stream(model)
        .user(prompt)
        .max_tokens(config.max_tokens)
        .no_hedge();
    req = match arm {
        Arm::Standard => req.latency(LatencyPolicy::Standard),
        Arm::Optimized => req.latency(LatencyPolicy::Optimized),
        Arm::Priority => req.latency(LatencyPolicy::Standard).service_tier(ServiceTier::Priority),
        Arm::Hedged => req.latency(LatencyPolicy::Standard).hedge(config.hedge.clone()),
    };
    let mut stream = req.send().await?;
    while let Some(ev) = stream.next().await {
        if let StreamEvent::Metadata { .. } = ev? {}
    }
    Ok(stream.report().clone())
}

fn speedup(samples: &[Sample], arm: Arm) -> Option<Speedup> {
    let secs = |a: Arm| -> Vec<f64> {
        samples
            .iter()
            .filter(|s| s.arm == a)
            .map(|s| s.total.as_secs_f64())
            .collect()
    };
    let ttft = |a: Arm| -> Vec<f64> {
        samples
            .iter()
            .filter(|s| s.arm == a)
            .filter_map(|s| s.ttft.map(|t| t.as_secs_f64()))
            .collect()
    };
    let (base, fast) = (secs(Arm::Standard), secs(arm));
    if base.is_empty() || fast.is_empty() {
        return None;
    }
    let point = median(&mut base.clone()) / median(&mut fast.clone()).max(1e-12);
    let (lo, hi) = bootstrap_median_ratio(&base, &fast, 2000, 0x9E37_79B9_7F4A_7C15);
    let (mut tb, mut tf) = (ttft(Arm::Standard), ttft(arm));
    let ttft_ratio = (!tb.is_empty() && !tf.is_empty()).then(|| median(&mut tb) / median(&mut tf).max(1e-12));
    Some(Speedup {
        arm,
        total_p50: point,
        total_interval: (lo, hi),
        ttft_p50: ttft_ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(arm: Arm, ms: u64) -> Sample {
        Sample {
            arm,
            ttft: Some(Duration::from_millis(ms / 4)),
            total: Duration::from_millis(ms),
            output_tokens_per_second: None,
            downgraded: false,
            tokens: None,
            backup_sent: false,
            extra_cost_usd: None,
        }
    }

    #[test]
    fn speedup_and_interval() {
        let mut s = Vec::new();
        for i in 0..30 {
            s.push(sample(Arm::Standard, 200 + i));
            s.push(sample(Arm::Optimized, 100 + i / 2));
        }
        let sp = speedup(&s, Arm::Optimized).unwrap();
        assert!((1.9..2.1).contains(&sp.total_p50), "{sp:?}");
        assert!(
            sp.total_interval.0 <= sp.total_p50 && sp.total_p50 <= sp.total_interval.1,
            "{sp:?}"
        );
        assert!(sp.ttft_p50.unwrap() > 1.5);
    }
}
