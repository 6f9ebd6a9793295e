//! Streamed agent-runtime answers: completion chunks reassembled into text,
//! with citations, the session id and client-side timing.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use agent_sdk::types::{
    FlowOutputContent, FlowResponseStream, InlineAgentResponseStream, ResponseStream,
    RetrieveAndGenerateStreamResponseOutput,
};
use aws_sdk_bedrockagentruntime as agent_sdk;
use futures_core::Stream;

use super::api::RawAgentStream;
use super::response::{AgentResponse, Citation, citations_of, document_text};
use crate::call::{Call, EventStream, StreamCore};
use crate::report::LatencyReport;
use crate::{Error, Result};

/// An agent-runtime event type of the AWS SDK that the crate's streams
/// read: the events of InvokeInlineAgent, InvokeAgent,
/// RetrieveAndGenerateStream and InvokeFlow. Sealed.
pub trait AgentStreamEvent: parts::EventParts + Send + 'static {}

/// What the stream reads from one SDK event (sealed: no other crate can
/// name it, so none can implement [`AgentStreamEvent`]).
pub(crate) mod parts {
    use aws_sdk_bedrockagentruntime::primitives::Blob;
    use aws_sdk_bedrockagentruntime::types::Attribution;

    use super::{Citation, citations_of};

    /// What the stream needs to know about one SDK event.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an agent-runtime event type of the AWS SDK: `AgentStreamEvent` is sealed",
        label = "agent streams read the SDK's own event types",
        note = "script a stream for a mock with the SDK's event types (`bedrock_latency::agent::sdk::types`) and `RawAgentStream::new`, or with a canned answer: `bedrock_latency::mock::Answer`"
    )]
    pub trait EventParts {
        /// The completion chunk this event is, in the agents' streams
        /// (InvokeInlineAgent, InvokeAgent); the other methods read a chunk
        /// unless an event type says otherwise.
        fn chunk(&self) -> Option<Chunk<'_>> {
            None
        }
        /// The answer text (or bytes of it) this event carries.
        fn text_bytes(&self) -> Option<&[u8]> {
            self.chunk()?.bytes
        }
        /// The citations this event carries.
        fn citations(&self) -> Vec<Citation> {
            let attribution = self.chunk().and_then(|c| c.attribution);
            attribution.map(|a| citations_of(a.citations())).unwrap_or_default()
        }
        /// A guardrail action or flow completion reason, if this event is one.
        fn outcome(&self) -> Option<Outcome> {
            None
        }
        /// Whether the event is consumed into text and citations (not passed on).
        fn consumed(&self) -> bool {
            self.chunk().is_some()
        }
        /// Text that is not raw bytes (flow outputs).
        fn owned_text(&self) -> Option<String> {
            None
        }
    }

    /// A completion chunk: its bytes and its citations. The two agents'
    /// payload types (`InlineAgentPayloadPart`, `PayloadPart`) differ only
    /// by name.
    #[derive(Debug, Clone, Copy)]
    pub struct Chunk<'a> {
        bytes: Option<&'a [u8]>,
        attribution: Option<&'a Attribution>,
    }

    impl<'a> Chunk<'a> {
        /// A chunk of these parts.
        pub(crate) fn of(bytes: Option<&'a Blob>, attribution: Option<&'a Attribution>) -> Self {
            Chunk {
                bytes: bytes.map(Blob::as_ref),
                attribution,
            }
        }
    }

    /// A non-text outcome carried by an event.
    #[derive(Debug, Clone)]
    pub enum Outcome {
        /// A guardrail action (RetrieveAndGenerateStream).
        Guardrail(String),
        /// Why a flow completed (InvokeFlow).
        FlowCompleted(String),
    }
}

use parts::{Chunk, EventParts, Outcome};

impl AgentStreamEvent for InlineAgentResponseStream {}
impl AgentStreamEvent for ResponseStream {}
impl AgentStreamEvent for RetrieveAndGenerateStreamResponseOutput {}
impl AgentStreamEvent for FlowResponseStream {}

impl EventParts for InlineAgentResponseStream {
    fn chunk(&self) -> Option<Chunk<'_>> {
        self.as_chunk().ok().map(|c| Chunk::of(c.bytes(), c.attribution()))
    }
}

impl EventParts for ResponseStream {
    fn chunk(&self) -> Option<Chunk<'_>> {
        self.as_chunk().ok().map(|c| Chunk::of(c.bytes(), c.attribution()))
    }
}

impl EventParts for RetrieveAndGenerateStreamResponseOutput {
    fn text_bytes(&self) -> Option<&[u8]> {
        match self {
            RetrieveAndGenerateStreamResponseOutput::Output(o) => Some(o.text().as_bytes()),
            _ => None,
        }
    }
    fn citations(&self) -> Vec<Citation> {
        match self {
            RetrieveAndGenerateStreamResponseOutput::Citation(c) => {
                let mut out = Vec::new();
                // The event carries its citation flat; older services nest it.
                if c.generated_response_part().is_some() || !c.retrieved_references().is_empty() {
                    out.push(Citation::from_parts(
                        c.generated_response_part(),
                        c.retrieved_references(),
                    ));
                } else {
                    #[allow(deprecated)]
                    if let Some(nested) = c.citation() {
                        out.push(Citation::from_sdk(nested));
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }
    fn outcome(&self) -> Option<Outcome> {
        match self {
            RetrieveAndGenerateStreamResponseOutput::Guardrail(g) => {
                g.action().map(|a| Outcome::Guardrail(a.as_str().to_owned()))
            }
            _ => None,
        }
    }
    fn consumed(&self) -> bool {
        matches!(
            self,
            RetrieveAndGenerateStreamResponseOutput::Output(_) | RetrieveAndGenerateStreamResponseOutput::Citation(_)
        )
    }
}

impl EventParts for FlowResponseStream {
    fn outcome(&self) -> Option<Outcome> {
        match self {
            FlowResponseStream::FlowCompletionEvent(c) => {
                Some(Outcome::FlowCompleted(c.completion_reason().as_str().to_owned()))
            }
            _ => None,
        }
    }
    fn consumed(&self) -> bool {
        matches!(self, FlowResponseStream::FlowOutputEvent(_))
    }
    fn owned_text(&self) -> Option<String> {
        flow_output_text(self)
    }
}

/// The text of a flow output event (a string document as is, anything else
/// as JSON).
fn flow_output_text(ev: &FlowResponseStream) -> Option<String> {
    match ev {
        FlowResponseStream::FlowOutputEvent(o) => match o.content() {
            Some(FlowOutputContent::Document(d)) => Some(document_text(d)),
            _ => None,
        },
        _ => None,
    }
}

/// One event of a streamed agent-runtime answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AgentEvent<E> {
    /// A piece of the answer's text (a completion chunk, a
    /// RetrieveAndGenerateStream output event, or a flow output).
    Text(String),
    /// A citation: the generated text it supports and the retrieved
    /// references behind it.
    Citation(Citation),
    /// Any other event, as the SDK parsed it: traces (with
    /// `.enable_trace(true)`), return-control requests, files, guardrail
    /// actions, flow completion.
    Event(E),
}

/// Joins UTF-8 text that may be split across chunks at any byte.
#[derive(Debug, Default)]
struct Utf8Joiner {
    pending: Vec<u8>,
}

impl Utf8Joiner {
    /// Decodes what can be decoded; keeps an incomplete trailing character.
    fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // Safe split: `valid` is a char boundary by construction.
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete character at the end: wait for more.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + n);
                        }
                    }
                }
            }
        }
    }

    /// What is left at the end of the stream (an incomplete character).
    fn finish(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }
}

/// A streamed agent-runtime answer (InvokeInlineAgent, InvokeAgent,
/// RetrieveAndGenerateStream, InvokeFlow).
///
/// Poll it as a `Stream` of [`AgentEvent`]s, or call
/// [`collect_response`](Self::collect_response). Time to first token is
/// measured from sending the request to the first non-empty text chunk. If
/// the stream fails midway, the error ([`Error::StreamInterrupted`]) carries
/// the text received so far.
///
/// The report's `served` is always
/// [`ServedLatency::NotReported`](crate::ServedLatency::NotReported): no
/// agent-runtime response says which latency served it. To verify, enable
/// Bedrock model invocation logging and look for
/// `performanceConfig.latency == "OPTIMIZED"` in the records of the
/// underlying model calls.
#[must_use = "streams do nothing unless polled"]
pub struct AgentStream<E> {
    inner: EventStream<E>,
    core: StreamCore,
    utf8: Utf8Joiner,
    citations: Vec<Citation>,
    session_id: Option<String>,
    memory_id: Option<String>,
    guardrail_action: Option<String>,
    completion_reason: Option<String>,
    queue: VecDeque<AgentEvent<E>>,
}

impl<E> std::fmt::Debug for AgentStream<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentStream")
            .field("session_id", &self.session_id)
            .field("received_chars", &self.core.text().chars().count())
            .field("citations", &self.citations.len())
            .field("report", self.core.report())
            .finish_non_exhaustive()
    }
}

/// A streamed InvokeInlineAgent answer.
pub type InlineAgentStream = AgentStream<InlineAgentResponseStream>;
/// A streamed InvokeAgent answer.
pub type InvokeAgentStream = AgentStream<ResponseStream>;
/// A streamed RetrieveAndGenerateStream answer.
pub type RetrieveAndGenerateStream = AgentStream<RetrieveAndGenerateStreamResponseOutput>;
/// A streamed InvokeFlow answer.
pub type InvokeFlowStream = AgentStream<FlowResponseStream>;

impl<E: AgentStreamEvent> AgentStream<E> {
    pub(crate) fn new(raw: RawAgentStream<E>, call: Call) -> Self {
        Self {
            inner: raw.events,
            core: call.into_stream(raw.request_id),
            utf8: Utf8Joiner::default(),
            citations: Vec::new(),
            session_id: raw.session_id,
            memory_id: raw.memory_id,
            guardrail_action: None,
            completion_reason: None,
            queue: VecDeque::new(),
        }
    }

    /// The report: complete once the stream has ended.
    pub fn report(&self) -> &LatencyReport {
        self.core.report()
    }

    /// The text received so far.
    pub fn text(&self) -> &str {
        self.core.text()
    }

    /// The citations received so far.
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// The session id (for flows, the execution id), from the response headers.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// Reads the stream to its end and returns the whole answer.
    pub async fn collect_response(mut self) -> Result<AgentResponse> {
        // Events are read in place and dropped: none is queued, and none
        // (an SDK event is about a kilobyte) is moved again on its way out,
        // which showed in a profile of the overhead bench. Text and
        // citations already queued by `next` are in the core and the list.
        // Each event is absorbed where the stream's poll puts it: awaiting
        // `next()` moved every event (about a kilobyte) through the
        // `Next` future and into this one (callgrind of the overhead bench's
        // inline agent: 15,700 instructions of copies a call).
        self.queue.clear();
        std::future::poll_fn(|cx| {
            while !self.core.is_done() {
                match std::task::ready!(self.inner.as_mut().poll_next(cx)) {
                    None => self.finish(),
                    Some(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                    Some(Ok(ev)) => self.absorb(&ev, false),
                }
            }
            Poll::Ready(Ok(()))
        })
        .await?;
        let (text, report) = self.core.into_answer();
        Ok(AgentResponse {
            text,
            citations: self.citations,
            session_id: self.session_id,
            memory_id: self.memory_id,
            guardrail_action: self.guardrail_action,
            completion_reason: self.completion_reason,
            report,
        })
    }

    /// Adds text to the answer; `emit`: also queues it as an event.
    fn on_text(&mut self, t: String, emit: bool) {
        if t.is_empty() {
            return;
        }
        self.core.on_text(&t);
        if emit {
            self.queue.push_back(AgentEvent::Text(t));
        }
    }

    /// Takes what an event says into the answer (text, citations,
    /// outcome); `emit`: also queues text and citations as events.
    fn absorb(&mut self, ev: &E, emit: bool) {
        if let Some(bytes) = ev.text_bytes() {
            let t = self.utf8.push(bytes);
            self.on_text(t, emit);
        }
        if let Some(t) = ev.owned_text() {
            self.on_text(t, emit);
        }
        for c in ev.citations() {
            if emit {
                self.citations.push(c.clone());
                self.queue.push_back(AgentEvent::Citation(c));
            } else {
                self.citations.push(c);
            }
        }
        match ev.outcome() {
            Some(Outcome::Guardrail(a)) => self.guardrail_action = Some(a),
            Some(Outcome::FlowCompleted(r)) => self.completion_reason = Some(r),
            None => {}
        }
    }

    /// An event read by `next`: absorbed, and queued with what it carries.
    fn map(&mut self, ev: E) {
        self.absorb(&ev, true);
        if !ev.consumed() {
            self.queue.push_back(AgentEvent::Event(ev));
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        let rest = self.utf8.finish();
        self.core.on_text(&rest);
        self.core.fail(e)
    }

    fn finish(&mut self) {
        let rest = self.utf8.finish();
        self.on_text(rest, true);
        self.core.finish();
    }
}

impl<E: AgentStreamEvent> Stream for AgentStream<E> {
    type Item = Result<AgentEvent<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(ev) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(ev)));
            }
            if this.core.is_done() {
                return Poll::Ready(None);
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.finish(),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(this.fail(e)))),
                Poll::Ready(Some(Ok(ev))) => this.map(ev),
            }
        }
    }
}

impl<E> Unpin for AgentStream<E> {}

#[cfg(test)]
mod tests {
    use super::Utf8Joiner;

    #[test]
    fn utf8_split_anywhere_is_joined_and_bad_bytes_do_not_panic() {
        let text = "桃太郎は岡山で生まれました。";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            let mut j = Utf8Joiner::default();
            let mut out = j.push(&bytes[..cut]);
            out.push_str(&j.push(&bytes[cut..]));
            out.push_str(&j.finish());
            assert_eq!(out, text, "cut at {cut}");
        }
        let mut j = Utf8Joiner::default();
        let mut out = j.push(b"a\xffb\xe6\xa1");
        out.push_str(&j.finish());
        assert_eq!(out, "a\u{fffd}b\u{fffd}");
        let mut j = Utf8Joiner::default();
        assert_eq!(j.push(b"\xe6\x00x"), "\u{fffd}\u{0}x");
    }
}
