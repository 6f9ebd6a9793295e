//! One call's telemetry, from the check to the end of the answer: the
//! `tracing` span's fields, the OpenTelemetry span and the metrics.

use std::borrow::Cow;
use std::time::Duration;

use super::content::{self, Input};
use super::names::{self as n, Kind, operation_name};
use super::sink::{self, Sink};
use super::{Telemetry, error_type, span};
use crate::check::Plan;
use crate::error::Error;
use crate::report::LatencyReport;
use crate::vocab::{LatencyPolicy, Operation, Service, ServiceTier};

pub(crate) use super::sink::RequestInfo;

/// What a call records besides its `tracing` span (which the call keeps,
/// to run the SDK inside it).
///
/// Small on the default path (no subscriber, no OpenTelemetry, no
/// content): what only a recording call needs is boxed in [`Extra`], made
/// when something records. A call's future carries this across the SDK's
/// await.
#[derive(Debug)]
pub(crate) struct CallTelemetry {
    op_name: &'static str,
    kind: Kind,
    extra: Option<Box<Extra>>,
}

#[derive(Debug, Default)]
struct Extra {
    /// The most characters of a text part kept, when content is captured.
    capture: Option<usize>,
    finish_reason: Option<String>,
    input: Option<Input>,
    output: Option<String>,
    /// The OpenTelemetry span and stream timing, and the telemetry that
    /// holds the instruments (only when a tracer or meter is set).
    #[cfg(feature = "otel")]
    otel: Option<(super::otel::OtelCall, Telemetry)>,
}

/// The room made for an OpenTelemetry span's attributes: a Converse call has
/// 13 to 17, so no push reallocates the list (callgrind of the overhead bench
/// showed a realloc from 12 to 24 on every call). 17 attributes of 56 bytes
/// are 952 bytes: glibc's blocks from 1,024 bytes up are "large", and each
/// large allocation first consolidates the small free blocks, which
/// callgrind showed on every call, as the SDK frees spans on its export
/// thread.
#[cfg(feature = "otel")]
const SPAN_ATTRIBUTES: usize = 17;

/// The span name: `{operation} {model}` for inference, `invoke_agent
/// {agent name}` (or `invoke_agent`), `invoke_workflow`.
fn span_name(op_name: &'static str, kind: Kind, model: Option<&str>, agent: Option<&str>) -> Cow<'static, str> {
    match (kind, model, agent) {
        (Kind::Inference, Some(m), _) => Cow::Owned(format!("{op_name} {m}")),
        (Kind::Agent, _, Some(a)) => Cow::Owned(format!("{op_name} {a}")),
        _ => Cow::Borrowed(op_name),
    }
}

impl CallTelemetry {
    /// Starts the spans of a call about to be sent.
    pub(crate) fn start(
        telemetry: &Telemetry,
        plan: &Plan,
        tier: Option<ServiceTier>,
        routed_from: Option<&str>,
    ) -> (tracing::Span, Self) {
        let (op_name, kind) = operation_name(plan.operation, plan.model_id.as_deref());
        let mut span = match plan.operation.service() {
            Service::BedrockRuntime => span::runtime(),
            Service::BedrockAgentRuntime => span::agent(),
        };
        if !span.is_disabled() {
            span.record(
                "otel.name",
                span_name(op_name, kind, plan.model_id.as_deref(), None).as_ref(),
            );
            sink::start(&mut span, op_name, plan, tier, routed_from);
        }
        let capture = telemetry.captures_content().then_some(super::MAX_CONTENT_CHARS);
        #[cfg(feature = "otel")]
        let otel = telemetry.otel().map(|o| {
            // The span's attribute list, kept by the SDK: room for the
            // start's, the request's and the answer's (see SPAN_ATTRIBUTES).
            let mut attrs = Vec::with_capacity(SPAN_ATTRIBUTES);
            if o.has_tracer() {
                sink::start(&mut attrs, op_name, plan, tier, routed_from);
            }
            let call = o.start(span_name(op_name, kind, plan.model_id.as_deref(), None), attrs);
            (call, telemetry.clone())
        });
        #[cfg(feature = "otel")]
        let needed = capture.is_some() || otel.is_some();
        #[cfg(not(feature = "otel"))]
        let needed = capture.is_some();
        let extra = needed.then(|| {
            Box::new(Extra {
                capture,
                #[cfg(feature = "otel")]
                otel,
                ..Extra::default()
            })
        });
        (span, CallTelemetry { op_name, kind, extra })
    }

    /// Whether anything will be recorded (a subscriber wants the span, or
    /// an OpenTelemetry tracer or meter is set).
    fn active(&self, span: &tracing::Span) -> bool {
        #[cfg(feature = "otel")]
        if self.extra.as_ref().is_some_and(|x| x.otel.is_some()) {
            return true;
        }
        !span.is_disabled()
    }

    /// The extras, made when first needed.
    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    #[cfg(feature = "otel")]
    fn otel(&mut self) -> Option<&mut (super::otel::OtelCall, Telemetry)> {
        self.extra.as_mut().and_then(|x| x.otel.as_mut())
    }

    /// Records the request's parameters and targets (`f` runs only when
    /// something records them).
    pub(crate) fn request(&mut self, span: &mut tracing::Span, f: impl FnOnce() -> RequestInfo) {
        if !self.active(span) {
            return;
        }
        let info = f();
        let agent = info.agent_name.as_deref();
        if !span.is_disabled() {
            sink::request(span, &info);
            if agent.is_some() {
                span.record("otel.name", span_name(self.op_name, self.kind, None, agent).as_ref());
            }
        }
        #[cfg(feature = "otel")]
        if agent.is_some() || self.otel().is_some() {
            let name = span_name(self.op_name, self.kind, None, agent);
            if let Some(s) = self.otel().and_then(|(o, _)| o.span()) {
                use opentelemetry::trace::Span as _;
                sink::request(s, &info);
                if agent.is_some() {
                    s.update_name(name);
                }
            }
        }
    }

    /// Keeps what the request said, when content capture is on: `f` gets
    /// the most characters of a text part to keep.
    pub(crate) fn capture_input(&mut self, f: impl FnOnce(usize) -> Input) {
        if let Some(x) = self.extra.as_mut()
            && let Some(max) = x.capture
        {
            x.input = Some(f(max));
        }
    }

    /// Keeps the answer's text, when content capture is on.
    pub(crate) fn capture_output(&mut self, f: impl FnOnce() -> String) {
        if let Some(x) = self.extra.as_mut().filter(|x| x.capture.is_some()) {
            x.output = Some(f());
        }
    }

    /// Why the model stopped (`gen_ai.response.finish_reasons`).
    pub(crate) fn finish_reason(&mut self, span: &tracing::Span, reason: &str) {
        if self.active(span) {
            self.extra().finish_reason = Some(reason.to_owned());
        }
    }

    /// Whether [`chunk`](Self::chunk) records anything (OpenTelemetry
    /// metrics are on), so a stream reads the clock for every chunk only then.
    pub(crate) fn wants_chunks(&self) -> bool {
        #[cfg(feature = "otel")]
        return self
            .extra
            .as_ref()
            .and_then(|x| x.otel.as_ref())
            .is_some_and(|(o, _)| o.wants_chunks());
        #[cfg(not(feature = "otel"))]
        false
    }

    /// A chunk of a streamed answer arrived `at` after the start.
    pub(crate) fn chunk(&mut self, at: Duration) {
        #[cfg(feature = "otel")]
        if let Some((o, _)) = self.otel() {
            o.chunk(at);
        }
        #[cfg(not(feature = "otel"))]
        let _ = at;
    }

    /// Records the outcome, ends the OpenTelemetry span, records metrics.
    pub(crate) fn finish(&mut self, span: &mut tracing::Span, r: &LatencyReport) {
        self.end(span, r, None);
    }

    /// Records a failure: `error.type`, status ERROR, the duration metric
    /// with `error.type`. `r` is the report as far as it got (its total
    /// time is the time to the failure).
    pub(crate) fn fail(&mut self, span: &mut tracing::Span, e: &Error, r: &LatencyReport) {
        self.end(span, r, Some(e));
    }

    fn end(&mut self, span: &mut tracing::Span, r: &LatencyReport, e: Option<&Error>) {
        if !self.active(span) {
            return;
        }
        let op_name = self.op_name;
        #[cfg(feature = "otel")]
        let kind = self.kind;
        let x = self.extra();
        let error = e.map(|e| (error_type(e), e.to_string()));
        let content = x.content();
        let reason = x.finish_reason.as_deref();
        if !span.is_disabled() {
            sink::outcome(span, r, reason);
            if let Some((ty, message)) = &error {
                span.text(n::ERROR_TYPE, ty);
                span.record("otel.status_code", "error");
                span.record("otel.status_description", message.as_str());
            }
            if let Some(c) = &content {
                content_event(span, op_name, c);
            }
        }
        #[cfg(feature = "otel")]
        if let Some((o, otel)) = x.otel.as_mut().and_then(|(o, t)| Some((o, t.otel()?))) {
            if let Some(s) = o.span() {
                sink::outcome(s, r, reason);
                if let Some((ty, _)) = &error {
                    s.text(n::ERROR_TYPE, ty);
                }
                if let Some(c) = &content {
                    c.write(s);
                }
            }
            o.end(error.as_ref().map(|(_, m)| m.as_str()));
            otel.record(o, kind, op_name, r, error.as_ref().map(|(t, _)| t.as_ref()));
        }
    }
}

impl Extra {
    /// The captured content as JSON, when capture is on.
    fn content(&mut self) -> Option<Captured> {
        let max = self.capture?;
        let input = self.input.take().unwrap_or_default();
        Some(Captured {
            input: (!input.messages.is_empty()).then(|| content::json(&input.messages)),
            system: (!input.system.is_empty()).then(|| content::json(&input.system)),
            output: self
                .output
                .take()
                .map(|t| content::output(&t, self.finish_reason.as_deref(), max)),
        })
    }
}

/// Captured content, as JSON text.
struct Captured {
    input: Option<String>,
    system: Option<String>,
    output: Option<String>,
}

impl Captured {
    #[cfg(feature = "otel")]
    fn write(&self, s: &mut impl Sink) {
        for (key, v) in [
            (n::INPUT_MESSAGES, &self.input),
            (n::SYSTEM_INSTRUCTIONS, &self.system),
            (n::OUTPUT_MESSAGES, &self.output),
        ] {
            if let Some(v) = v {
                s.text(key, v);
            }
        }
    }
}

/// Captured content on the `tracing` path: the conventions' details event,
/// inside the call's span (`tracing-opentelemetry` makes it a span event).
fn content_event(span: &tracing::Span, op_name: &'static str, c: &Captured) {
    tracing::event!(
        name: "gen_ai.client.inference.operation.details",
        target: span::TARGET,
        parent: span,
        tracing::Level::INFO,
        {
            "gen_ai.operation.name" = op_name,
            "gen_ai.input.messages" = c.input.as_deref(),
            "gen_ai.system_instructions" = c.system.as_deref(),
            "gen_ai.output.messages" = c.output.as_deref(),
        }
    );
}

/// What a refused request was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refused<'a> {
    pub(crate) operation: Operation,
    pub(crate) model: Option<&'a str>,
    pub(crate) region: &'a str,
    pub(crate) policy: LatencyPolicy,
}

/// Records a request the check refused (or could not plan): a span with
/// the refusal, ERROR status, `error.type`; nothing was sent, so no metric.
pub(crate) fn refused(telemetry: &Telemetry, q: Refused<'_>, e: &Error) {
    let (op_name, kind) = operation_name(q.operation, q.model);
    let ty = error_type(e);
    let reason = e.refusal().map(|r| sink::kind_of(&r.reason));
    let attrs = |s: &mut dyn FnMut(&'static str, &str)| {
        s(n::OPERATION_NAME, op_name);
        s(n::PROVIDER_NAME, n::PROVIDER);
        if let Some(m) = q.model {
            s(n::REQUEST_MODEL, m);
        }
        s(n::CLOUD_REGION, q.region);
        s(n::LATENCY_REQUESTED, q.policy.as_str());
        s(n::ERROR_TYPE, &ty);
        if let Some(r) = &reason {
            s(n::REFUSAL_REASON, r);
        }
    };
    let name = span_name(op_name, kind, q.model, None);
    let message = e.to_string();
    let span = span::refusal();
    if !span.is_disabled() {
        span.record("otel.name", name.as_ref());
        attrs(&mut |k, v| {
            span.record(k, v);
        });
        span.record("otel.status_code", "error");
        span.record("otel.status_description", message.as_str());
    }
    #[cfg(feature = "otel")]
    if let Some(o) = telemetry.otel().filter(|o| o.has_tracer()) {
        let mut kv = Vec::new();
        attrs(&mut |k, v| kv.text(k, v));
        o.start(name, kv).end(Some(&message));
    }
    #[cfg(not(feature = "otel"))]
    let _ = telemetry;
}
