//! The core every streamed answer shares: text so far, time to first
//! token, the report under way, and how a stream ends or fails.

use std::time::{Duration, Instant};

use super::{EventStream, PendingTail, log_outcome};
use crate::Error;
use crate::check::RefusalReason;
use crate::report::{LatencyReport, Timing};
use crate::telemetry::CallTelemetry;

/// What every stream keeps while it is read.
#[derive(Debug)]
pub(crate) struct StreamCore {
    start: Instant,
    ttft: Option<Duration>,
    text: String,
    report: LatencyReport,
    fallback: Option<RefusalReason>,
    token_cap: Option<u32>,
    max_output_tokens: Option<u32>,
    tail: Option<Box<PendingTail>>,
    span: tracing::Span,
    tel: CallTelemetry,
    done: bool,
}

impl StreamCore {
    /// `judged`: the prefer-optimized fallback, the token cap and the
    /// requested maximum of output tokens, for the downgrade verdict.
    pub(super) fn new(
        start: Instant,
        report: LatencyReport,
        judged: (Option<RefusalReason>, Option<u32>, Option<u32>),
        tail: Option<Box<PendingTail>>,
        (span, tel): (tracing::Span, CallTelemetry),
    ) -> Self {
        let (fallback, token_cap, max_output_tokens) = judged;
        Self {
            start,
            ttft: None,
            text: String::new(),
            report,
            fallback,
            token_cap,
            max_output_tokens,
            tail,
            span,
            tel,
            done: false,
        }
    }

    /// Appends text; the first non-empty piece fixes time to first token.
    /// Every non-empty piece is a chunk (`time_per_output_chunk`).
    pub(crate) fn on_text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        // The clock is read for the first chunk, and for every chunk only
        // when telemetry records chunk times (a profile showed it per chunk).
        if self.ttft.is_none() || self.tel.wants_chunks() {
            let at = self.start.elapsed();
            self.ttft.get_or_insert(at);
            self.tel.chunk(at);
        }
        self.text.push_str(t);
    }

    /// Why the model stopped.
    pub(crate) fn on_stop(&mut self, reason: &str) {
        self.tel.finish_reason(&self.span, reason);
    }

    /// The text so far.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The text and the report, when the whole answer is taken out at the
    /// end (no copy of the report's strings).
    pub(crate) fn into_answer(self) -> (String, LatencyReport) {
        (self.text, self.report)
    }

    /// The report as it stands.
    pub(crate) fn report(&self) -> &LatencyReport {
        &self.report
    }

    /// The report, to fill in what an event says.
    pub(crate) fn report_mut(&mut self) -> &mut LatencyReport {
        &mut self.report
    }

    /// Whether the stream has ended (or failed).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Ends the stream with an error that keeps the text received so far.
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        self.done = true;
        let e = e.or_request_id(self.report.request_id.as_deref());
        let op = self.report.operation;
        self.span
            .in_scope(|| tracing::warn!(error = %e, received_chars = self.text.len(), "bedrock stream failed"));
        let e = Error::StreamInterrupted {
            operation: op,
            partial_text: self.text.clone(),
            source: Box::new(e),
        };
        self.report.timing = Timing::finish(self.start.elapsed(), self.ttft, self.report.timing.server_latency, None);
        self.tel.fail(&mut self.span, &e, &self.report);
        e
    }

    /// Ends the stream: timing, the downgrade verdict, the span.
    pub(crate) fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        self.report.timing = Timing::finish(
            self.start.elapsed(),
            self.ttft,
            self.report.timing.server_latency,
            self.report.usage.map(|u| u.output_tokens),
        );
        self.report
            .judge_downgrade(self.fallback.take(), self.token_cap, self.max_output_tokens);
        self.report.judge_tier();
        if let Some(t) = self.tail.take() {
            t.settle(&mut self.report);
        }
        let text = &self.text;
        self.tel.capture_output(|| text.clone());
        self.tel.finish(&mut self.span, &self.report);
        log_outcome(&self.span, &self.report);
    }
}

/// Wraps a boxed stream so the owning types can derive Debug.
pub(crate) struct EventStreamDebug<T>(pub(crate) EventStream<T>);

impl<T> std::fmt::Debug for EventStreamDebug<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}
