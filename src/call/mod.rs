//! Call plumbing shared by the bedrock-runtime and bedrock-agent-runtime
//! halves: the planner, the per-call span and report, the request-id
//! wrapper, the one generic send (`send.rs`) and the common core of every
//! streamed answer.
//!
//! This module sits below [`crate::runtime`] and [`crate::agent`] and knows
//! neither: it speaks the crate's own vocabulary (plans, reports, errors)
//! and no SDK type. See ARCHITECTURE.md for the layers.

mod escape;
mod events;
mod failover;
mod hedge;
mod plan;
mod send;
mod stream;
mod tail;

use std::any::Any;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_core::Stream;

use crate::check::{Plan, RefusalReason};
use crate::report::{LatencyReport, ServedLatency, Target, TierDowngrade, Timing};
use crate::telemetry::{CallTelemetry, Input, RequestInfo, Telemetry};
use crate::{Error, Result};

pub(crate) use escape::{ConfigChange, Escape, escape_hatch, same_region};
pub(crate) use events::receiver_stream;
pub(crate) use failover::run as run_with_failover;
pub(crate) use hedge::{Backup, TimeKey, race};
pub(crate) use plan::{Planner, Question, Route};
pub(crate) use send::{SdkClient, SendInput, Sent, apply, client_for, sdk_client, send, send_input};
pub(crate) use stream::{EventStreamDebug, StreamCore};
pub(crate) use tail::{PendingTail, TailChoice, TailSettings, TailShared};

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

/// `api` as the implementation `S` (the AWS SDK one), when it is `S` itself,
/// an `Arc<S>`, or an `Arc<D>` (`D` the service's trait object) of it;
/// `upcast` turns a `&D` into a `&dyn Any`.
///
/// async-trait boxes every call's future, and the AWS SDK's own future is
/// about 7 KB: so when the service is the SDK itself, a request awaits the
/// SDK's future in place instead of going through the trait (see [`send`];
/// `benches/overhead.rs` measures it). Type-id comparisons the compiler
/// resolves per instantiation of `T`, plus one for `Arc<D>`.
#[inline]
pub(crate) fn as_impl<S: Any, D: ?Sized + 'static, T: Any>(api: &T, upcast: fn(&D) -> &dyn Any) -> Option<&S> {
    let any: &dyn Any = api;
    if let Some(s) = any.downcast_ref::<S>() {
        return Some(s);
    }
    if let Some(s) = any.downcast_ref::<Arc<S>>() {
        return Some(s);
    }
    upcast(&**any.downcast_ref::<Arc<D>>()?).downcast_ref::<S>()
}

/// Where a call is made from: the client's region and how it records calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The client's own region.
    pub(crate) region: &'a str,
    /// The client's telemetry.
    pub(crate) telemetry: &'a Telemetry,
}

impl<'a> Origin<'a> {
    /// The origin of a client side with `planner` and `telemetry`: the
    /// planner's region (empty when it has none).
    pub(crate) fn new(planner: &'a plan::Planner, telemetry: &'a Telemetry) -> Self {
        Origin {
            region: planner.region().unwrap_or_default(),
            telemetry,
        }
    }
}

/// One call under way: its span, its start, and what the report needs from
/// the plan. Made after the check, before anything is sent.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) span: tracing::Span,
    pub(crate) start: Instant,
    /// The requested maximum of output tokens, when known.
    pub(crate) max_output_tokens: Option<u32>,
    tel: CallTelemetry,
    // What the report is made of once the answer is in: the report itself is
    // made after the await, so that it is not carried across it (a smaller
    // future around the SDK's, fewer copies). The plan also gives the
    // prefer-optimized fallback and the token cap. The agent's target and
    // the tail's report are boxed: a `Call` lives in every request's future
    // and is moved with it (callgrind of the overhead bench: 376 bytes
    // moved five times a Converse call before, 144 now).
    plan: Arc<Plan>,
    routed_from: Option<String>,
    target: Option<Box<Target>>,
    tail: Option<Box<PendingTail>>,
}

impl Call {
    /// Starts a call for `plan`, sent from `origin`'s region (the tier asked
    /// for and sent are the plan's).
    pub(crate) fn start(plan: &Arc<Plan>, origin: Origin<'_>, target: Option<Target>) -> Self {
        let routed_from = (plan.region != origin.region).then(|| origin.region.to_owned());
        let tier = plan.tier_policy.tier();
        let (span, tel) = CallTelemetry::start(origin.telemetry, plan, tier, routed_from.as_deref());
        Call {
            span,
            start: Instant::now(),
            max_output_tokens: None,
            tel,
            routed_from,
            plan: Arc::clone(plan),
            target: target.map(Box::new),
            tail: None,
        }
    }

    /// Hedging or failover served the call with `plan` (perhaps another
    /// region than the one planned first): the report says so.
    pub(crate) fn served_by(&mut self, plan: &Arc<Plan>, client_region: &str, tail: PendingTail) {
        // The span's `cloud.region` is written from the report when the call
        // finishes, so it names the region that served.
        self.routed_from = (plan.region != client_region).then(|| client_region.to_owned());
        self.plan = Arc::clone(plan);
        self.tail = Some(Box::new(tail));
    }

    /// The report of what was asked and sent; what served it is filled in
    /// from the answer.
    fn base_report(&mut self) -> LatencyReport {
        base_report(&self.plan, self.routed_from.take(), self.target.take().map(|t| *t))
    }

    /// What the downgrade verdict needs: the prefer-optimized fallback, the
    /// model's token cap and the requested maximum of output tokens.
    fn judged(&self) -> (Option<RefusalReason>, Option<u32>, Option<u32>) {
        (
            self.plan.fallback.clone(),
            self.plan.token_cap(),
            self.max_output_tokens,
        )
    }

    /// Sets the agent or flow called (for the report).
    pub(crate) fn target(&mut self, target: Target) {
        self.target = Some(Box::new(target));
    }

    /// Records the requested maximum of output tokens (for the token cap).
    pub(crate) fn max_output_tokens(&mut self, n: Option<u32>) {
        self.max_output_tokens = n;
    }

    /// Records the request's parameters and targets on the spans (`f` runs
    /// only when something records them).
    pub(crate) fn request(&mut self, f: impl FnOnce() -> RequestInfo) {
        self.tel.request(&mut self.span, f);
    }

    /// Keeps the request's content for the spans, when capture is on (`f`
    /// runs only then; it gets the most characters of a text part to keep).
    pub(crate) fn capture_input(&mut self, f: impl FnOnce(usize) -> Input) {
        self.tel.capture_input(f);
    }

    /// The answer's stop reason, before [`finish_with`](Self::finish_with).
    pub(crate) fn stop_reason(&mut self, reason: Option<&str>) {
        if let Some(r) = reason {
            self.tel.finish_reason(&self.span, r);
        }
    }

    /// The answer's text for the spans, when capture is on (`f` runs only
    /// then), before [`finish_with`](Self::finish_with).
    pub(crate) fn capture_output(&mut self, f: impl FnOnce() -> String) {
        self.tel.capture_output(f);
    }

    /// Records a failed send on the spans and hands the error back.
    pub(crate) fn failed(&mut self, e: Error) -> Error {
        self.span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
        let target = self.target.as_deref().cloned();
        let mut report = base_report(&self.plan, self.routed_from.clone(), target);
        report.timing.total = self.start.elapsed();
        self.tel.fail(&mut self.span, &e, &report);
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
        let (fallback, token_cap, max_output_tokens) = self.judged();
        report.judge_downgrade(fallback, token_cap, max_output_tokens);
        report.judge_tier();
        if let Some(t) = self.tail.take() {
            t.settle(&mut report);
        }
        self.tel.finish(&mut self.span, &report);
        log_outcome(&self.span, &report);
        report
    }

    /// Turns the call into the core of a streamed answer.
    pub(crate) fn into_stream(mut self, request_id: Option<String>) -> StreamCore {
        let mut report = self.base_report();
        report.request_id = request_id;
        StreamCore::new(self.start, report, self.judged(), self.tail, (self.span, self.tel))
    }
}

/// Records a request that cannot be sent (refused by the check, or not
/// plannable) and hands the error back.
pub(crate) fn refused(origin: Origin<'_>, q: Question<'_>, e: Error) -> Error {
    let r = crate::telemetry::Refused {
        operation: q.operation,
        model: q.model.map(crate::model_id::ModelId::as_str),
        region: origin.region,
        policy: q.policy,
    };
    crate::telemetry::refused(origin.telemetry, r, &e);
    e
}

/// Logs one event for the outcome (the span's fields are recorded by the
/// telemetry).
pub(crate) fn log_outcome(span: &tracing::Span, r: &LatencyReport) {
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
        tail: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    trait Service: Any {}
    struct Real;
    struct Other;
    impl Service for Real {}
    impl Service for Other {}

    #[test]
    fn as_impl_sees_the_implementation_itself_and_behind_an_arc_of_it_or_of_the_trait_object() {
        let up: fn(&dyn Service) -> &dyn Any = |d| d;
        let (real, other): (Arc<dyn Service>, Arc<dyn Service>) = (Arc::new(Real), Arc::new(Other));
        assert!(as_impl::<Real, dyn Service, _>(&Real, up).is_some());
        assert!(as_impl::<Real, dyn Service, _>(&Arc::new(Real), up).is_some());
        assert!(as_impl::<Real, dyn Service, _>(&Arc::new(Other), up).is_none());
        assert!(as_impl::<Real, dyn Service, _>(&real, up).is_some());
        assert!(as_impl::<Real, dyn Service, _>(&Other, up).is_none());
        assert!(as_impl::<Real, dyn Service, _>(&other, up).is_none());
    }
}
