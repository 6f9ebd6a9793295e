//! Call plumbing shared by the bedrock-runtime and bedrock-agent-runtime
//! halves: the planner, the per-call span and report, the request-id
//! wrapper and the common core of every streamed answer.
//!
//! This module sits below [`crate::runtime`] and [`crate::agent`] and knows
//! neither: it speaks the crate's own vocabulary (plans, reports, errors)
//! and no SDK type. See ARCHITECTURE.md for the layers.

mod escape;
mod plan;
mod stream;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_core::Stream;

use crate::check::{Plan, RefusalReason};
use crate::report::{LatencyReport, ServedLatency, Target, TierDowngrade, Timing};
use crate::vocab::ServiceTier;
use crate::{Error, Result};

pub(crate) use escape::{Escape, escape_hatch};
pub(crate) use plan::{Planner, Question, Route};
pub(crate) use stream::{EventStreamDebug, StreamCore};

/// A boxed stream of service events.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// An SDK output and the AWS request id that came with it.
#[derive(Debug, Clone)]
pub struct WithRequestId<T> {
    /// The SDK output.
    pub output: T,
    /// The AWS request id (`x-amzn-RequestId`).
    pub request_id: Option<String>,
}

impl<T> WithRequestId<T> {
    /// Wraps an output with a request id (for mocks).
    pub fn new(output: T, request_id: Option<String>) -> Self {
        Self { output, request_id }
    }
}

/// One call under way: its span, its start, and what the report needs from
/// the plan. Made after the check, before anything is sent.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) span: tracing::Span,
    pub(crate) start: Instant,
    /// Why a prefer-optimized request was sent standard.
    pub(crate) fallback: Option<RefusalReason>,
    /// The model's token cap for optimized latency, when the plan sends
    /// optimized and the model has one.
    pub(crate) token_cap: Option<u32>,
    /// The requested maximum of output tokens, when known.
    pub(crate) max_output_tokens: Option<u32>,
    // What the report is made of once the answer is in: the report itself is
    // made after the await, so that it is not carried across it (a smaller
    // future around the SDK's, fewer copies).
    plan: Arc<Plan>,
    routed_from: Option<String>,
    target: Option<Target>,
}

impl Call {
    /// Starts a call for `plan`, sent from `client_region`.
    pub(crate) fn start(plan: &Arc<Plan>, client_region: &str, target: Option<Target>) -> Self {
        let span = call_span(plan);
        Call {
            span,
            start: Instant::now(),
            fallback: plan.fallback.clone(),
            token_cap: plan.token_cap(),
            max_output_tokens: None,
            routed_from: (plan.region != client_region).then(|| client_region.to_owned()),
            plan: Arc::clone(plan),
            target,
        }
    }

    /// The report of what was asked and sent; what served it is filled in
    /// from the answer.
    fn base_report(&mut self) -> LatencyReport {
        base_report(&self.plan, self.routed_from.take(), self.target.take())
    }

    /// Records the requested maximum of output tokens (for the token cap).
    pub(crate) fn max_output_tokens(mut self, n: Option<u32>) -> Self {
        self.max_output_tokens = n;
        self
    }

    /// Logs a failed send on the span and hands the error back.
    pub(crate) fn failed(&self, e: Error) -> Error {
        self.span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
        e
    }

    /// Finishes a unary call: fills `report` (already carrying what the
    /// answer said) with timing and the downgrade verdict, records it on the
    /// span, and returns it.
    pub(crate) fn finish_with(mut self, f: impl FnOnce(&mut LatencyReport)) -> LatencyReport {
        let total = self.start.elapsed();
        let mut report = self.base_report();
        f(&mut report);
        report.timing = Timing::finish(
            total,
            None,
            report.timing.server_latency,
            report.usage.map(|u| u.output_tokens),
        );
        report.judge_downgrade(self.fallback, self.token_cap, self.max_output_tokens);
        report.judge_tier();
        record(&self.span, &report);
        report
    }

    /// Turns the call into the core of a streamed answer.
    pub(crate) fn into_stream(mut self, request_id: Option<String>) -> StreamCore {
        let mut report = self.base_report();
        report.request_id = request_id;
        StreamCore::new(
            self.start,
            report,
            self.fallback,
            self.token_cap,
            self.max_output_tokens,
            self.span,
        )
    }
}

/// Starts the per-call tracing span; no prompt or completion text in it.
pub(crate) fn call_span(plan: &Plan) -> tracing::Span {
    tracing::info_span!(
        "bedrock_call",
        operation = %plan.operation,
        model = plan.model_id.as_deref().map(tracing::field::display),
        region = %plan.region,
        requested = %plan.policy,
        sent = %plan.latency,
        requested_tier = plan.tier_policy.tier().map(ServiceTier::as_str),
        sent_tier = plan.service_tier.map(ServiceTier::as_str),
        served = tracing::field::Empty,
        served_tier = tracing::field::Empty,
        downgraded = tracing::field::Empty,
        total_ms = tracing::field::Empty,
        ttft_ms = tracing::field::Empty,
        server_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    )
}

/// Records the outcome on the span and logs one event.
pub(crate) fn record(span: &tracing::Span, r: &LatencyReport) {
    if !span.is_disabled() {
        record_fields(span, r);
    }
    span.in_scope(|| {
        if let Some(d) = &r.downgrade {
            tracing::warn!(reason = %d, "optimized latency requested, standard served");
        } else if let Some(d) = &r.tier_downgrade {
            tracing::warn!(reason = %d, "service tier requested, another served");
        } else {
            tracing::debug!("bedrock call finished");
        }
    });
}

/// The outcome's span fields (looked up by name: skipped when no
/// subscriber wants the span).
fn record_fields(span: &tracing::Span, r: &LatencyReport) {
    span.record("served", tracing::field::display(r.served));
    if let Some(t) = r.served_tier {
        span.record("served_tier", t.as_str());
    }
    span.record("downgraded", r.downgraded());
    span.record("total_ms", r.timing.total.as_secs_f64() * 1e3);
    if let Some(t) = r.timing.time_to_first_token {
        span.record("ttft_ms", t.as_secs_f64() * 1e3);
    }
    if let Some(t) = r.timing.server_latency {
        span.record("server_ms", t.as_secs_f64() * 1e3);
    }
    if let Some(id) = &r.request_id {
        span.record("request_id", id.as_str());
    }
}

/// The report of a request about to be sent; the served fields are filled
/// in when the answer arrives.
fn base_report(plan: &Plan, routed_from: Option<String>, target: Option<Target>) -> LatencyReport {
    LatencyReport {
        operation: plan.operation,
        model_id: plan.model_id.clone(),
        target,
        region: plan.region.clone(),
        routed_from,
        requested: plan.policy,
        sent: plan.latency,
        requested_tier: plan.tier_policy.tier(),
        sent_tier: plan.service_tier,
        served: ServedLatency::NotReported,
        served_tier: None,
        downgrade: None,
        tier_downgrade: plan.tier_fallback.clone().map(TierDowngrade::NotSent),
        timing: Timing::default(),
        usage: None,
        request_id: None,
        warnings: plan.warnings.clone(),
    }
}

/// Milliseconds as the services report them (never negative) as a duration.
pub(crate) fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// A request-building error as [`Error::InvalidRequest`].
pub(crate) fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidRequest { reason: e.to_string() }
}
