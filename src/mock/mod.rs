//! Canned answers for unit tests with the mocks (feature `mock`).
//!
//! [`MockBedrockRuntimeApi`](crate::runtime::MockBedrockRuntimeApi) and
//! [`MockBedrockAgentRuntimeApi`](crate::agent::MockBedrockAgentRuntimeApi)
//! return what the AWS SDK would: SDK output types and event streams. An
//! [`Answer`] makes them from a few facts (text, usage, server latency,
//! served latency and tier, request and session ids), so a test needs no SDK
//! types and no SDK dependency of its own: one line per canned answer.
//!
//! ```
//! use bedrock_latency::mock::Answer;
//! use bedrock_latency::runtime::MockBedrockRuntimeApi;
//! use bedrock_latency::{Client, Latency, ServedLatency};
//! use bedrock_latency::models::Llama31Instruct70b;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> bedrock_latency::Result<()> {
//! let answer = Answer::text("Okayama.").usage(12, 3).server_latency_ms(180).served(Latency::Optimized);
//! let mut runtime = MockBedrockRuntimeApi::new();
//! runtime.expect_converse().returning(move |_| answer.converse());
//!
//! let client = Client::builder().runtime(runtime).region("us-east-2").build()?;
//! let r = client.converse(Llama31Instruct70b).optimized().user("Where?").send().await?;
//! assert_eq!(r.text, "Okayama.");
//! assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
//! # Ok(()) }
//! ```
//!
//! Each method is named after the service trait's method it answers, and
//! returns what that method returns:
//!
//! | Mock method | Canned answer |
//! |---|---|
//! | `expect_converse` | [`Answer::converse`] |
//! | `expect_converse_stream` | [`Answer::converse_stream`] (events: [`Answer::converse_stream_events`]) |
//! | `expect_invoke_model` | [`Answer::invoke_model`] (a body in the model family's dialect) |
//! | `expect_invoke_model_stream` | [`Answer::invoke_model_stream`] (events: [`Answer::invoke_model_stream_events`]) |
//! | `expect_invoke_inline_agent` | [`Answer::inline_agent`] (events: [`Answer::inline_agent_events`]) |
//! | `expect_invoke_agent` | [`Answer::invoke_agent`] (events: [`Answer::invoke_agent_events`]) |
//! | `expect_retrieve_and_generate` | [`Answer::retrieve_and_generate`] |
//! | `expect_retrieve_and_generate_stream` | [`Answer::retrieve_and_generate_stream`] (events: [`Answer::retrieve_and_generate_stream_events`]) |
//! | `expect_invoke_flow` | [`Answer::invoke_flow`] (events: [`Answer::invoke_flow_events`]) |
//! | `expect_start_flow_execution` | [`start_flow_execution`] |
//!
//! Streams send one event per chunk ([`Answer::chunks`]); with
//! [`Answer::interrupted`] the stream fails after its chunks, as a model
//! stream error would, so the code under test sees
//! [`Error::StreamInterrupted`] with the
//! text received so far. To script timing (a delay before the first
//! chunk), wrap the events of an `*_events` method in your own stream and
//! give it to [`RawConverseStream::new`](crate::runtime::RawConverseStream::new),
//! [`RawInvokeModelStream::new`](crate::runtime::RawInvokeModelStream::new) or
//! [`RawAgentStream::new`](crate::agent::RawAgentStream::new).

mod agent;
mod runtime;

pub use agent::start_flow_execution;

use std::time::Duration;

use crate::error::{ServiceError, ServiceErrorKind};
use crate::report::Usage;
use crate::vocab::{Latency, Operation, ServiceTier};
use crate::{Error, Result};

/// A canned answer: what the service said, for any operation's mock.
///
/// Only what you set is reported: an answer without
/// [`usage`](Self::usage) reports no usage, one without
/// [`served`](Self::served) reports the served latency as not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    chunks: Vec<String>,
    usage: Option<Usage>,
    server_latency: Option<Duration>,
    served: Option<Latency>,
    served_tier: Option<ServiceTier>,
    request_id: Option<String>,
    session_id: Option<String>,
    stop_reason: Option<String>,
    citations: Vec<Cited>,
    interrupted: Option<ServiceErrorKind>,
}

/// A cited part of the answer and the source behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cited {
    text: String,
    uri: String,
}

impl Answer {
    /// An answer of `text`, streamed as one chunk.
    pub fn text(text: impl Into<String>) -> Self {
        Self::chunks([text.into()])
    }

    /// An answer streamed as `chunks`, in order (its text is their
    /// concatenation).
    pub fn chunks<S: Into<String>>(chunks: impl IntoIterator<Item = S>) -> Self {
        Answer {
            chunks: chunks.into_iter().map(Into::into).collect(),
            usage: None,
            server_latency: None,
            served: None,
            served_tier: None,
            request_id: None,
            session_id: None,
            stop_reason: None,
            citations: Vec::new(),
            interrupted: None,
        }
    }

    /// Token usage (Converse `usage`, the InvokeModel body's counts, the
    /// stream's invocation metrics).
    pub fn usage(self, input_tokens: u32, output_tokens: u32) -> Self {
        let usage = Some(Usage {
            input_tokens,
            output_tokens,
        });
        Answer { usage, ..self }
    }

    /// The service's own latency (Converse `metrics.latencyMs`, the
    /// InvokeModel stream's `invocationLatency`), in milliseconds.
    pub fn server_latency_ms(self, ms: u64) -> Self {
        let server_latency = Some(Duration::from_millis(ms));
        Answer { server_latency, ..self }
    }

    /// The latency that served the request, as bedrock-runtime reports it
    /// (agent-runtime answers never report it).
    pub fn served(self, latency: Latency) -> Self {
        let served = Some(latency);
        Answer { served, ..self }
    }

    /// The service tier that served the request (bedrock-runtime).
    pub fn served_tier(self, tier: ServiceTier) -> Self {
        let served_tier = Some(tier);
        Answer { served_tier, ..self }
    }

    /// The AWS request id.
    pub fn request_id(self, id: impl Into<String>) -> Self {
        let request_id = Some(id.into());
        Answer { request_id, ..self }
    }

    /// The session id the service answers with (agent runtime; for flows,
    /// the execution id).
    pub fn session_id(self, id: impl Into<String>) -> Self {
        let session_id = Some(id.into());
        Answer { session_id, ..self }
    }

    /// Why the model stopped (default `end_turn`, `stop` for Llama bodies).
    pub fn stop_reason(self, reason: impl Into<String>) -> Self {
        let stop_reason = Some(reason.into());
        Answer { stop_reason, ..self }
    }

    /// A citation: `text` (a part of the answer) rests on the S3 object
    /// `uri` (RetrieveAndGenerate and its stream, inline agents, InvokeAgent).
    pub fn citation(mut self, text: impl Into<String>, uri: impl Into<String>) -> Self {
        self.citations.push(Cited {
            text: text.into(),
            uri: uri.into(),
        });
        self
    }

    /// Ends a streamed answer with a service error of `kind` after its
    /// chunks, instead of a clean end (non-streamed answers ignore it).
    pub fn interrupted(self, kind: ServiceErrorKind) -> Self {
        let interrupted = Some(kind);
        Answer { interrupted, ..self }
    }

    /// The whole text.
    fn full_text(&self) -> String {
        self.chunks.concat()
    }

    /// The error that ends an interrupted stream of `operation`, if any.
    fn interruption(&self, operation: Operation) -> Option<Error> {
        self.interrupted.map(|kind| {
            Error::from(
                ServiceError::new(operation, kind)
                    .with_message("the stream was interrupted (canned answer)")
                    .with_status(400),
            )
        })
    }

    /// `events` as a stream of results, ending with the interruption if any.
    fn stream_of<T: Send + 'static>(
        &self,
        operation: Operation,
        events: Vec<T>,
    ) -> impl futures_core::Stream<Item = Result<T>> + Send + 'static {
        let tail = self.interruption(operation).map(Err);
        futures_util::stream::iter(events.into_iter().map(Ok).chain(tail))
    }
}

/// An SDK builder's error as the crate's: a canned answer the SDK would not
/// accept (a required field without a value).
fn built<T>(r: std::result::Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T> {
    r.map_err(|e| Error::InvalidRequest {
        reason: format!("canned answer: {e}"),
    })
}
