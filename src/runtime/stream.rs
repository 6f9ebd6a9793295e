//! Streamed answers as `futures::Stream`s of the crate's own events.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_bedrockruntime as sdk;
use futures_core::Stream;
use futures_util::StreamExt;
use sdk::types::{ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ResponseStream};

use super::api::RawInvokeModelStream;
use super::family::ModelFamily;
use super::response::{ConverseResponse, InvokeModelResponse, usage_of};
use super::{from_sdk_latency, from_sdk_tier};
use crate::call::{Call, EventStream, EventStreamDebug, StreamCore, millis};
use crate::report::{LatencyReport, ServedLatency, Usage};
use crate::vocab::{Operation, ServiceTier};
use crate::{Error, Result};

/// One event of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A piece of the answer's text.
    TextDelta(String),
    /// A complete tool call (its input is the JSON text the model wrote).
    ToolUse {
        /// The tool use id.
        id: String,
        /// The tool's name.
        name: String,
        /// The input, as JSON text.
        input: String,
    },
    /// The model stopped.
    Stop {
        /// Why (`end_turn`, `max_tokens`, `tool_use` ...).
        reason: String,
    },
    /// The final metadata: usage, server latency and the served tier.
    Metadata {
        /// Token usage.
        usage: Option<Usage>,
        /// The service's latency.
        server_latency: Option<Duration>,
        /// The latency that served the request.
        served: ServedLatency,
        /// The service tier that served the request.
        served_tier: Option<ServiceTier>,
    },
}

/// Turns one SDK event into (at most) one crate event, with the stream's
/// own state next to the shared core (text, report, timing).
pub(crate) trait Mapper<T> {
    /// The whole answer (`collect_response`).
    type Response;
    /// Maps one event; an error ends the stream.
    fn map(&mut self, core: &mut StreamCore, ev: T) -> Result<Option<StreamEvent>>;
    /// The whole answer, once the stream has ended (the stream is consumed).
    fn response(self, core: StreamCore) -> Self::Response;
}

/// The methods and the `Stream` impl of a public stream type over its
/// SDK events `inner`, stream core `core` and [`Mapper`] state `st`, one row per stream type
/// with its whole answer's type.
macro_rules! stream_methods {
    ($($stream:ident => $response:ty),*) => {$(
        impl $stream {
            /// The report: complete once the stream has ended.
            pub fn report(&self) -> &LatencyReport {
                self.core.report()
            }

            /// The text received so far.
            pub fn text(&self) -> &str {
                self.core.text()
            }

            /// Reads the stream to its end and returns the whole answer.
            pub async fn collect_response(mut self) -> Result<$response> {
                while let Some(ev) = self.next().await {
                    ev?;
                }
                Ok(self.st.response(self.core))
            }
        }

        impl Stream for $stream {
            type Item = Result<StreamEvent>;

            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                let this = &mut *self;
                poll_mapped(&mut this.inner.0, &mut this.core, &mut this.st, cx)
            }
        }
    )*};
}

/// Polls `inner` through `m`: skips events that map to nothing, finishes the
/// report in `core` at the end, and turns errors into
/// [`Error::StreamInterrupted`].
pub(crate) fn poll_mapped<T, M: Mapper<T>>(
    inner: &mut EventStream<T>,
    core: &mut StreamCore,
    m: &mut M,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<StreamEvent>>> {
    if core.is_done() {
        return Poll::Ready(None);
    }
    loop {
        match inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {
                core.finish();
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(core.fail(e)))),
            Poll::Ready(Some(Ok(ev))) => match m.map(core, ev) {
                Ok(Some(out)) => return Poll::Ready(Some(Ok(out))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(core.fail(e)))),
            },
        }
    }
}

/// A streamed Converse answer. Poll it as a `Stream` of [`StreamEvent`]s,
/// or call [`collect_response`](Self::collect_response). If the stream fails
/// midway, the error ([`Error::StreamInterrupted`]) carries the text
/// received so far.
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct ConverseStream {
    inner: EventStreamDebug<ConverseStreamOutput>,
    core: StreamCore,
    st: ConverseState,
}

#[derive(Debug)]
struct ConverseState {
    stop_reason: Option<String>,
    tool: Option<(String, String, String)>,
}

impl ConverseStream {
    pub(crate) fn new(events: EventStream<ConverseStreamOutput>, core: StreamCore) -> Self {
        Self {
            inner: EventStreamDebug(events),
            core,
            st: ConverseState {
                stop_reason: None,
                tool: None,
            },
        }
    }
}

impl Mapper<ConverseStreamOutput> for ConverseState {
    type Response = ConverseResponse;

    fn response(self, core: StreamCore) -> ConverseResponse {
        let (text, report) = core.into_answer();
        ConverseResponse {
            text,
            stop_reason: self.stop_reason,
            report,
            raw: None,
        }
    }

    fn map(&mut self, core: &mut StreamCore, ev: ConverseStreamOutput) -> Result<Option<StreamEvent>> {
        Ok(match ev {
            ConverseStreamOutput::ContentBlockStart(s) => {
                if let Some(ContentBlockStart::ToolUse(t)) = s.start() {
                    self.tool = Some((t.tool_use_id().to_owned(), t.name().to_owned(), String::new()));
                }
                None
            }
            // The event's text is moved into ours, not copied: one
            // allocation less per text event.
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta {
                Some(ContentBlockDelta::Text(t)) => {
                    core.on_text(&t);
                    Some(StreamEvent::TextDelta(t))
                }
                Some(ContentBlockDelta::ToolUse(t)) => {
                    if let Some(tool) = &mut self.tool {
                        tool.2.push_str(t.input());
                    }
                    None
                }
                _ => None,
            },
            ConverseStreamOutput::ContentBlockStop(_) => self
                .tool
                .take()
                .map(|(id, name, input)| StreamEvent::ToolUse { id, name, input }),
            ConverseStreamOutput::MessageStop(m) => {
                let reason = m.stop_reason().as_str().to_owned();
                core.on_stop(&reason);
                self.stop_reason = Some(reason.clone());
                Some(StreamEvent::Stop { reason })
            }
            ConverseStreamOutput::Metadata(m) => {
                let r = core.report_mut();
                r.usage = m.usage().map(usage_of);
                r.timing.server_latency = m.metrics().map(|x| millis(x.latency_ms()));
                r.served = m
                    .performance_config()
                    .and_then(|pc| from_sdk_latency(pc.latency()))
                    .map_or(ServedLatency::NotReported, ServedLatency::Reported);
                r.served_tier = m.service_tier().and_then(|t| from_sdk_tier(t.r#type()));
                Some(StreamEvent::Metadata {
                    usage: r.usage,
                    server_latency: r.timing.server_latency,
                    served: r.served,
                    served_tier: r.served_tier,
                })
            }
            _ => None,
        })
    }
}

/// A streamed InvokeModel answer: model-native chunks turned into
/// [`StreamEvent`]s (text is extracted for Anthropic, Amazon Nova and Meta
/// Llama bodies; for the raw chunks, send the SDK call yourself, with the
/// input builder that `map_input` gets).
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct InvokeModelStream {
    inner: EventStreamDebug<ResponseStream>,
    core: StreamCore,
    st: InvokeState,
}

#[derive(Debug)]
struct InvokeState {
    stop_reason: Option<String>,
    family: ModelFamily,
    content_type: Option<String>,
}

impl InvokeModelStream {
    pub(crate) fn new(raw: RawInvokeModelStream, call: Call, family: ModelFamily) -> Self {
        let mut core = call.into_stream(raw.request_id);
        let report = core.report_mut();
        report.served = raw
            .performance_config_latency
            .as_ref()
            .and_then(from_sdk_latency)
            .map_or(ServedLatency::NotReported, ServedLatency::Reported);
        report.served_tier = raw.service_tier.as_ref().and_then(from_sdk_tier);
        Self {
            inner: EventStreamDebug(raw.events),
            core,
            st: InvokeState {
                stop_reason: None,
                family,
                content_type: raw.content_type,
            },
        }
    }
}

stream_methods!(ConverseStream => ConverseResponse, InvokeModelStream => InvokeModelResponse);

impl Mapper<ResponseStream> for InvokeState {
    type Response = InvokeModelResponse;

    fn response(self, core: StreamCore) -> InvokeModelResponse {
        let (text, report) = core.into_answer();
        InvokeModelResponse {
            body: Vec::new(),
            content_type: self.content_type,
            text: Some(text),
            stop_reason: self.stop_reason,
            report,
            raw: None,
        }
    }

    fn map(&mut self, core: &mut StreamCore, ev: ResponseStream) -> Result<Option<StreamEvent>> {
        let ResponseStream::Chunk(part) = ev else {
            return Ok(None);
        };
        let Some(bytes) = part.bytes() else {
            return Ok(None);
        };
        let chunk: serde_json::Value = serde_json::from_slice(bytes.as_ref()).map_err(|e| {
            Error::from(
                crate::error::ServiceError::new(Operation::InvokeModelStream, crate::ServiceErrorKind::Response)
                    .with_message(format!("a stream chunk is not JSON: {e}")),
            )
        })?;
        if let Some(m) = chunk.get("amazon-bedrock-invocationMetrics") {
            let n = |k: &str| m.get(k).and_then(serde_json::Value::as_u64);
            if let (Some(i), Some(o)) = (n("inputTokenCount"), n("outputTokenCount")) {
                core.report_mut().usage = Some(Usage {
                    input_tokens: u32::try_from(i).unwrap_or(u32::MAX),
                    output_tokens: u32::try_from(o).unwrap_or(u32::MAX),
                });
            }
            if let Some(ms) = n("invocationLatency") {
                core.report_mut().timing.server_latency = Some(Duration::from_millis(ms));
            }
        }
        if let Some(t) = self.family.stream_text(&chunk) {
            core.on_text(&t);
            return Ok(Some(StreamEvent::TextDelta(t)));
        }
        if let Some(reason) = self.family.stream_stop_reason(&chunk) {
            core.on_stop(&reason);
            self.stop_reason = Some(reason.clone());
            return Ok(Some(StreamEvent::Stop { reason }));
        }
        Ok(None)
    }
}
