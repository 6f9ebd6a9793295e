//! What every response says about itself: what was requested, what served
//! it, whether it was downgraded, and how long it took.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::check::{RefusalReason, Warning};
use crate::error::ServiceErrorKind;
use crate::vocab::{Latency, LatencyPolicy, Operation, ServiceTier};

/// The latency tier as the service reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "latency")]
pub enum ServedLatency {
    /// The service said which latency served the request.
    Reported(Latency),
    /// The service says nothing (agent runtime operations; InvokeModel
    /// without the header). Verify in the model invocation logs.
    NotReported,
}

impl ServedLatency {
    /// The reported latency, if any.
    pub fn latency(self) -> Option<Latency> {
        match self {
            ServedLatency::Reported(l) => Some(l),
            ServedLatency::NotReported => None,
        }
    }
}

impl fmt::Display for ServedLatency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServedLatency::Reported(l) => l.fmt(f),
            ServedLatency::NotReported => f.write_str("not reported"),
        }
    }
}

/// Why optimized latency was asked for and standard served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum DowngradeReason {
    /// The service served standard. AWS documents this for an exhausted
    /// latency-optimized quota ("the request will be charged at Standard
    /// latency rates").
    ServedStandard,
    /// The request could exceed the model's token cap for optimized
    /// latency (Llama 3.1 405B: 11K input + output tokens).
    TokenCap {
        /// The cap.
        max_total_tokens: u32,
        /// The request's input tokens plus its requested maximum of output
        /// tokens (or the tokens used, when larger or when no maximum was
        /// given).
        total_tokens: u32,
    },
    /// `prefer-optimized` sent standard, since optimized would not have been
    /// honored (decided before sending).
    NotSent(RefusalReason),
}

impl fmt::Display for DowngradeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DowngradeReason::ServedStandard => f.write_str(
                "the service served standard latency (the latency-optimized quota is likely used up; \
                 charged at standard rates)",
            ),
            DowngradeReason::TokenCap {
                max_total_tokens,
                total_tokens,
            } => write!(
                f,
                "up to {total_tokens} input + output tokens exceed the {max_total_tokens}-token cap of optimized latency"
            ),
            DowngradeReason::NotSent(r) => write!(f, "sent standard because {}", r.why()),
        }
    }
}

/// Why the tier that served a request is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum TierDowngrade {
    /// The service reported another tier than the one sent: reserved
    /// capacity used up overflows to the default tier, for instance
    /// (docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html).
    ServedOther {
        /// The tier sent.
        sent: ServiceTier,
        /// The tier the service reported.
        served: ServiceTier,
    },
    /// A prefer-tier request was sent without the tier, since it would not
    /// have been honored (decided before sending).
    NotSent(RefusalReason),
}

impl fmt::Display for TierDowngrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierDowngrade::ServedOther { sent, served } => {
                write!(f, "sent the {sent} tier, served by the {served} tier")
            }
            TierDowngrade::NotSent(r) => write!(f, "sent no tier because {}", r.why()),
        }
    }
}

/// Client- and server-side timing of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timing {
    /// Wall time from sending the request to the end of the answer.
    pub total: Duration,
    /// Wall time from sending the request to the first text (streams only:
    /// no API reports it).
    pub time_to_first_token: Option<Duration>,
    /// The service's own latency (`metrics.latencyMs` for Converse, the
    /// `X-Amzn-Bedrock-Invocation-Latency` header for InvokeModel, or
    /// `invocationLatency` for InvokeModel streams), when reported.
    pub server_latency: Option<Duration>,
    /// Output tokens per second of generation (after the first token for
    /// streams, over the whole call otherwise).
    pub output_tokens_per_second: Option<f64>,
}

impl Timing {
    pub(crate) fn finish(
        total: Duration,
        ttft: Option<Duration>,
        server: Option<Duration>,
        output_tokens: Option<u32>,
    ) -> Self {
        let gen_time = match ttft {
            Some(t) if total > t => total - t,
            _ => total,
        };
        let tps = output_tokens
            .filter(|n| *n > 0)
            .map(|n| f64::from(n) / gen_time.as_secs_f64().max(1e-9));
        Timing {
            total,
            time_to_first_token: ttft,
            server_latency: server,
            output_tokens_per_second: tps,
        }
    }
}

/// Token usage as the service reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
}

impl Usage {
    /// Input + output tokens.
    pub fn total_tokens(&self) -> u32 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// The agent or flow a call was made to, for operations whose request
/// names no model (the model is in the agent's or flow's definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Target {
    /// An agent (InvokeAgent).
    Agent {
        /// The agent id.
        agent_id: String,
        /// The alias id.
        alias_id: String,
    },
    /// A flow (InvokeFlow, StartFlowExecution).
    Flow {
        /// The flow id.
        flow_id: String,
        /// The alias id.
        alias_id: String,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Agent { agent_id, alias_id } => write!(f, "agent {agent_id} (alias {alias_id})"),
            Target::Flow { flow_id, alias_id } => write!(f, "flow {flow_id} (alias {alias_id})"),
        }
    }
}

/// What was requested, what served it and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyReport {
    /// The operation.
    pub operation: Operation,
    /// The model ID sent; `None` for InvokeAgent and flows, whose request
    /// names no model (see [`target`](Self::target)).
    pub model_id: Option<String>,
    /// The agent or flow called, for InvokeAgent and flows.
    pub target: Option<Target>,
    /// The region the request was sent to.
    pub region: String,
    /// The client's own region, when the request was routed elsewhere.
    pub routed_from: Option<String>,
    /// What the caller asked for.
    pub requested: LatencyPolicy,
    /// The latency setting sent.
    pub sent: Latency,
    /// The service tier asked for, if any.
    pub requested_tier: Option<ServiceTier>,
    /// The service tier sent (`None`: none, the service's default).
    pub sent_tier: Option<ServiceTier>,
    /// The latency that served the request, as reported.
    pub served: ServedLatency,
    /// The service tier that served the request, as reported.
    pub served_tier: Option<ServiceTier>,
    /// Why optimized was asked and standard served, if it was.
    pub downgrade: Option<DowngradeReason>,
    /// Why the tier asked for did not serve the request, if it did not.
    pub tier_downgrade: Option<TierDowngrade>,
    /// Timing.
    pub timing: Timing,
    /// Token usage, when reported.
    pub usage: Option<Usage>,
    /// The AWS request id.
    pub request_id: Option<String>,
    /// Warnings from the pre-send check.
    pub warnings: Vec<Warning>,
    /// What hedging and failover did, when either was on for the call:
    /// the attempts (regions tried), the hedge's backup, the winner and the
    /// extra tokens and cost.
    pub tail: Option<TailReport>,
}

impl LatencyReport {
    /// Whether optimized latency was asked for and standard served.
    pub fn downgraded(&self) -> bool {
        self.downgrade.is_some()
    }

    /// Whether the tier asked for did not serve the request: sent and
    /// served by another, or not sent under a prefer policy.
    pub fn tier_downgraded(&self) -> bool {
        self.tier_downgrade.is_some()
    }

    /// Flags a served tier that differs from the one sent (a tier not sent
    /// under a prefer policy is flagged from the plan, before sending).
    pub(crate) fn judge_tier(&mut self) {
        if self.tier_downgrade.is_some() {
            return;
        }
        if let (Some(sent), Some(served)) = (self.sent_tier, self.served_tier)
            && sent != served
        {
            self.tier_downgrade = Some(TierDowngrade::ServedOther { sent, served });
        }
    }

    /// Works out the downgrade from what was sent and what was reported.
    ///
    /// A model's token cap counts input plus output tokens ("total input
    /// and output token count up to 11K" for Llama 3.1 405B, AWS
    /// latency-optimized-inference.html, read 2026-11-26). The service
    /// decides before generating, so the bound is the input plus the
    /// requested maximum of output tokens, not the tokens that came back:
    /// an answer served standard whose request could exceed the cap is the
    /// cap, not an exhausted quota.
    pub(crate) fn judge_downgrade(
        &mut self,
        fallback: Option<RefusalReason>,
        token_cap: Option<u32>,
        max_output_tokens: Option<u32>,
    ) {
        self.downgrade = match (fallback, self.sent, self.served) {
            (Some(r), _, _) => Some(DowngradeReason::NotSent(r)),
            (None, Latency::Optimized, ServedLatency::Reported(Latency::Standard)) => {
                let used = self.usage.map(|u| u.total_tokens());
                let bound = match (self.usage, max_output_tokens) {
                    (Some(u), Some(max)) => Some(u.input_tokens.saturating_add(max)),
                    _ => None,
                };
                let total = used.max(bound);
                Some(match (token_cap, total) {
                    (Some(max), Some(total)) if total > max => DowngradeReason::TokenCap {
                        max_total_tokens: max,
                        total_tokens: total,
                    },
                    _ => DowngradeReason::ServedStandard,
                })
            }
            _ => None,
        };
    }
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.operation)?;
        match (&self.model_id, &self.target) {
            (Some(m), _) => write!(f, "{m} ")?,
            (None, Some(t)) => write!(f, "{t} ")?,
            (None, None) => {}
        }
        write!(
            f,
            "in {}: requested {}, sent {}, served {}",
            self.region, self.requested, self.sent, self.served
        )?;
        if let Some(t) = self.served_tier {
            write!(f, " (tier {t})")?;
        }
        if let Some(d) = &self.downgrade {
            write!(f, "; DOWNGRADED: {d}")?;
        }
        if let Some(d) = &self.tier_downgrade {
            write!(f, "; TIER DOWNGRADED: {d}")?;
        }
        write!(f, "; total {:?}", self.timing.total)?;
        if let Some(t) = self.timing.time_to_first_token {
            write!(f, ", first token {t:?}")?;
        }
        if let Some(t) = self.timing.server_latency {
            write!(f, ", server {t:?}")?;
        }
        Ok(())
    }
}

// What hedging and failover did (see `crate::tail` for the settings).

/// What the tail machinery did for one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailReport {
    /// Every attempt, in order; the last one served the answer (when the
    /// call succeeded). More than one means failover happened.
    pub attempts: Vec<Attempt>,
    /// The hedge of the attempt that served, when hedging was on.
    pub hedge: Option<HedgeReport>,
    /// Backups sent over all attempts.
    pub backups_sent: u32,
}

impl TailReport {
    /// The region that served the answer.
    pub fn served_region(&self) -> Option<&str> {
        self.attempts
            .iter()
            .rev()
            .find(|a| a.outcome == AttemptOutcome::Served)
            .map(|a| a.region.as_str())
    }

    /// Whether failover happened (more than one attempt).
    pub fn failed_over(&self) -> bool {
        self.attempts.len() > 1
    }
}

/// One attempt of a call (one region).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// The region it was sent to.
    pub region: String,
    /// The latency setting it was sent with.
    pub latency: Latency,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// From the start of the call to the end of the attempt.
    pub elapsed: Duration,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum AttemptOutcome {
    /// It served the answer.
    Served,
    /// It failed in a way failover retries elsewhere.
    Failed {
        /// What kind of failure.
        error: ServiceErrorKind,
        /// The HTTP status, when a response arrived.
        status: Option<u16>,
        /// The AWS request id, when the service answered.
        request_id: Option<String>,
    },
}

/// Which request of a hedge answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HedgeWinner {
    /// The first request.
    Primary,
    /// The backup.
    Backup,
}

/// Why a hedge sent no backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HedgeSkipped {
    /// The first request answered before the delay.
    AnsweredInTime,
    /// The cap on extra requests was reached.
    Capped,
    /// Too few times observed yet for a percentile delay.
    TooFewSamples,
}

/// What a hedge did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HedgeReport {
    /// The delay after which a backup was (or would have been) sent.
    pub delay: Option<Duration>,
    /// The backup's region, when one was sent.
    pub backup_region: Option<String>,
    /// Why no backup was sent, when none was.
    pub skipped: Option<HedgeSkipped>,
    /// Which request answered.
    pub winner: HedgeWinner,
    /// The tokens of the request that lost, estimated: its input (the
    /// winner's input count) and at most the winner's output count. Whether
    /// Bedrock bills a request cancelled midway is not documented, so this
    /// is an upper estimate.
    pub extra_tokens: Option<Usage>,
    /// `extra_tokens` at the catalog's prices for the loser's latency, when
    /// the catalog has them.
    pub extra_cost_usd: Option<f64>,
}

impl HedgeReport {
    /// Whether a backup was sent.
    pub fn backup_sent(&self) -> bool {
        self.backup_region.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(sent: Latency, served: ServedLatency, usage: Option<Usage>) -> LatencyReport {
        LatencyReport {
            operation: Operation::Converse,
            model_id: Some("us.meta.llama3-1-405b-instruct-v1:0".into()),
            target: None,
            region: "us-east-2".into(),
            routed_from: None,
            requested: LatencyPolicy::Optimized,
            sent,
            requested_tier: None,
            sent_tier: None,
            served,
            served_tier: None,
            downgrade: None,
            tier_downgrade: None,
            timing: Timing::default(),
            usage,
            request_id: None,
            warnings: vec![],
            tail: None,
        }
    }

    #[test]
    fn downgrades() {
        let mut r = report(Latency::Optimized, ServedLatency::Reported(Latency::Standard), None);
        r.judge_downgrade(None, Some(11_000), None);
        assert_eq!(r.downgrade, Some(DowngradeReason::ServedStandard));

        let big = Usage {
            input_tokens: 10_000,
            output_tokens: 2_000,
        };
        let mut r = report(
            Latency::Optimized,
            ServedLatency::Reported(Latency::Standard),
            Some(big),
        );
        r.judge_downgrade(None, Some(11_000), None);
        assert!(matches!(
            r.downgrade,
            Some(DowngradeReason::TokenCap {
                total_tokens: 12_000,
                ..
            })
        ));

        let mut r = report(
            Latency::Optimized,
            ServedLatency::Reported(Latency::Optimized),
            Some(big),
        );
        r.judge_downgrade(None, Some(11_000), None);
        assert!(!r.downgraded());

        let mut r = report(Latency::Optimized, ServedLatency::NotReported, None);
        r.judge_downgrade(None, None, None);
        assert!(!r.downgraded());

        let mut r = report(Latency::Standard, ServedLatency::Reported(Latency::Standard), None);
        r.judge_downgrade(Some(RefusalReason::OperationUnverified), None, None);
        assert!(r.downgraded());
        assert!(r.to_string().contains("DOWNGRADED"), "{r}");
    }

    #[test]
    fn the_token_cap_counts_the_requested_maximum_not_the_tokens_used() {
        // 10K in, 500 out: under the cap as used, but the request allowed
        // 2K more output tokens, so the service served it standard for the cap.
        let small = Usage {
            input_tokens: 10_000,
            output_tokens: 500,
        };
        let mut r = report(
            Latency::Optimized,
            ServedLatency::Reported(Latency::Standard),
            Some(small),
        );
        r.judge_downgrade(None, Some(11_000), Some(2_000));
        assert_eq!(
            r.downgrade,
            Some(DowngradeReason::TokenCap {
                max_total_tokens: 11_000,
                total_tokens: 12_000
            })
        );
        assert!(!r.to_string().contains("quota"), "{r}");
        // Within the cap either way: the quota.
        let mut r = report(
            Latency::Optimized,
            ServedLatency::Reported(Latency::Standard),
            Some(small),
        );
        r.judge_downgrade(None, Some(11_000), Some(400));
        assert_eq!(r.downgrade, Some(DowngradeReason::ServedStandard));
    }

    #[test]
    fn a_served_tier_other_than_the_one_sent_is_a_tier_downgrade() {
        let mut r = report(Latency::Standard, ServedLatency::NotReported, None);
        r.requested_tier = Some(ServiceTier::Reserved);
        r.sent_tier = Some(ServiceTier::Reserved);
        r.served_tier = Some(ServiceTier::Default);
        r.judge_tier();
        assert_eq!(
            r.tier_downgrade,
            Some(TierDowngrade::ServedOther {
                sent: ServiceTier::Reserved,
                served: ServiceTier::Default
            })
        );
        assert!(r.tier_downgraded());
        assert!(
            r.to_string()
                .contains("TIER DOWNGRADED: sent the reserved tier, served by the default tier"),
            "{r}"
        );
        // The same tier, or none reported: no flag.
        for served in [Some(ServiceTier::Reserved), None] {
            let mut r = report(Latency::Standard, ServedLatency::NotReported, None);
            r.sent_tier = Some(ServiceTier::Reserved);
            r.served_tier = served;
            r.judge_tier();
            assert!(!r.tier_downgraded(), "{served:?}");
        }
    }

    #[test]
    fn tokens_per_second() {
        let t = Timing::finish(Duration::from_secs(3), Some(Duration::from_secs(1)), None, Some(100));
        assert_eq!(t.output_tokens_per_second, Some(50.0));
        let t = Timing::finish(Duration::from_secs(2), None, None, Some(100));
        assert_eq!(t.output_tokens_per_second, Some(50.0));
        assert_eq!(
            Timing::finish(Duration::ZERO, None, None, Some(0)).output_tokens_per_second,
            None
        );
    }
}
