//! What every response says about itself: what was requested, what served
//! it, whether it was downgraded, and how long it took.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::check::{RefusalReason, Warning};
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
    /// The request exceeded the model's token cap for optimized latency
    /// (Llama 3.1 405B: 11K input + output tokens).
    TokenCap {
        /// The cap.
        max_total_tokens: u32,
        /// The request's input + output tokens.
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
                "{total_tokens} input + output tokens exceed the {max_total_tokens}-token cap of optimized latency"
            ),
            DowngradeReason::NotSent(r) => write!(f, "sent standard because {r}"),
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
    /// The service's own latency (`metrics.latencyMs`, or
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

/// What was requested, what served it and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyReport {
    /// The operation.
    pub operation: Operation,
    /// The model ID sent.
    pub model_id: String,
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
    /// The latency that served the request, as reported.
    pub served: ServedLatency,
    /// The service tier that served the request, as reported.
    pub served_tier: Option<ServiceTier>,
    /// Why optimized was asked and standard served, if it was.
    pub downgrade: Option<DowngradeReason>,
    /// Timing.
    pub timing: Timing,
    /// Token usage, when reported.
    pub usage: Option<Usage>,
    /// The AWS request id.
    pub request_id: Option<String>,
    /// Warnings from the pre-send check.
    pub warnings: Vec<Warning>,
}

impl LatencyReport {
    /// Whether optimized latency was asked for and standard served.
    pub fn downgraded(&self) -> bool {
        self.downgrade.is_some()
    }

    /// Works out the downgrade from what was sent and what was reported.
    pub(crate) fn judge_downgrade(&mut self, fallback: Option<RefusalReason>, token_cap: Option<u32>) {
        self.downgrade = match (fallback, self.sent, self.served) {
            (Some(r), _, _) => Some(DowngradeReason::NotSent(r)),
            (None, Latency::Optimized, ServedLatency::Reported(Latency::Standard)) => {
                let total = self.usage.map(|u| u.total_tokens());
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
        write!(
            f,
            "{} {} in {}: requested {}, sent {}, served {}",
            self.operation, self.model_id, self.region, self.requested, self.sent, self.served
        )?;
        if let Some(t) = self.served_tier {
            write!(f, " (tier {t})")?;
        }
        if let Some(d) = &self.downgrade {
            write!(f, "; DOWNGRADED: {d}")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(sent: Latency, served: ServedLatency, usage: Option<Usage>) -> LatencyReport {
        LatencyReport {
            operation: Operation::Converse,
            model_id: "us.meta.llama3-1-405b-instruct-v1:0".into(),
            region: "us-east-2".into(),
            routed_from: None,
            requested: LatencyPolicy::Optimized,
            sent,
            requested_tier: None,
            served,
            served_tier: None,
            downgrade: None,
            timing: Timing::default(),
            usage,
            request_id: None,
            warnings: vec![],
        }
    }

    #[test]
    fn downgrades() {
        let mut r = report(Latency::Optimized, ServedLatency::Reported(Latency::Standard), None);
        r.judge_downgrade(None, Some(11_000));
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
        r.judge_downgrade(None, Some(11_000));
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
        r.judge_downgrade(None, Some(11_000));
        assert!(!r.downgraded());

        let mut r = report(Latency::Optimized, ServedLatency::NotReported, None);
        r.judge_downgrade(None, None);
        assert!(!r.downgraded());

        let mut r = report(Latency::Standard, ServedLatency::Reported(Latency::Standard), None);
        r.judge_downgrade(Some(RefusalReason::OperationUnverified), None);
        assert!(r.downgraded());
        assert!(r.to_string().contains("DOWNGRADED"), "{r}");
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
