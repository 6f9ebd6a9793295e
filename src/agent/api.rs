//! The bedrock-agent-runtime service behind a trait, so that it can be mocked.

use std::fmt;

use std::any::Any;

use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::operation::retrieve_and_generate::RetrieveAndGenerateOutput;
use agent_sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use agent_sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionOutput;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use agent_sdk::types::{
    FlowResponseStream, InlineAgentResponseStream, ResponseStream, RetrieveAndGenerateStreamResponseOutput,
};
use async_trait::async_trait;
use aws_sdk_bedrockagentruntime as agent_sdk;
use futures_core::Stream;

use crate::Result;
use crate::call::{EventStream, WithRequestId, as_impl};

/// The start of a streamed agent-runtime answer: the ids from the response
/// headers and the events, as the SDK parsed them.
///
/// A mock builds one from any stream of SDK events:
/// `RawAgentStream::new(futures::stream::iter(events), Some("session-1".into()), None)`.
pub struct RawAgentStream<T> {
    /// The AWS request id.
    pub request_id: Option<String>,
    /// The session id (`x-amz-bedrock-agent-session-id`, or
    /// `x-amzn-bedrock-knowledge-base-session-id`); for flows, the
    /// execution id (`x-amz-bedrock-flow-execution-id`).
    pub session_id: Option<String>,
    /// The agent memory id (InvokeAgent only).
    pub memory_id: Option<String>,
    /// The events.
    pub events: EventStream<T>,
}

impl<T> RawAgentStream<T> {
    /// Wraps a stream of SDK events.
    pub fn new(
        events: impl Stream<Item = Result<T>> + Send + 'static,
        session_id: Option<String>,
        request_id: Option<String>,
    ) -> Self {
        Self {
            request_id,
            session_id,
            memory_id: None,
            events: Box::pin(events),
        }
    }
}

impl<T> fmt::Debug for RawAgentStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAgentStream")
            .field("request_id", &self.request_id)
            .field("session_id", &self.session_id)
            .field("memory_id", &self.memory_id)
            .finish_non_exhaustive()
    }
}

/// An `InvokeInlineAgent` answer: chunks, traces, return-control and files.
pub type RawInlineAgentStream = RawAgentStream<InlineAgentResponseStream>;
/// A `RetrieveAndGenerateStream` answer: output text, citations, guardrail.
pub type RawRetrieveAndGenerateStream = RawAgentStream<RetrieveAndGenerateStreamResponseOutput>;
/// An `InvokeAgent` answer: chunks, traces, return-control and files.
pub type RawInvokeAgentStream = RawAgentStream<ResponseStream>;
/// An `InvokeFlow` answer: flow outputs, completion, traces.
pub type RawFlowStream = RawAgentStream<FlowResponseStream>;

/// The bedrock-agent-runtime operations this crate calls, one method each.
///
/// Each method takes the SDK's own input builder, exactly as the crate
/// filled it (your `map_input` closures included), so no field is copied or
/// dropped on the way. [`SdkAgentRuntime`] sends it with the AWS SDK
/// (`send_with`). With the `mock` feature, `MockBedrockAgentRuntimeApi`
/// (mockall) implements it for unit tests of your own code; streamed answers
/// are scripted with [`RawAgentStream::new`] and canned events (feature
/// `mock`).
///
/// `Arc<T>` implements it for any implementation `T`, trait objects
/// included (see [`DynClient`](crate::DynClient)).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BedrockAgentRuntimeApi: Any + Send + Sync {
    /// `InvokeInlineAgent`.
    async fn invoke_inline_agent(&self, input: InvokeInlineAgentInputBuilder) -> Result<RawInlineAgentStream>;
    /// `RetrieveAndGenerate`.
    async fn retrieve_and_generate(
        &self,
        input: RetrieveAndGenerateInputBuilder,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>>;
    /// `RetrieveAndGenerateStream`.
    async fn retrieve_and_generate_stream(
        &self,
        input: RetrieveAndGenerateStreamInputBuilder,
    ) -> Result<RawRetrieveAndGenerateStream>;
    /// `InvokeAgent`.
    async fn invoke_agent(&self, input: InvokeAgentInputBuilder) -> Result<RawInvokeAgentStream>;
    /// `InvokeFlow`.
    async fn invoke_flow(&self, input: InvokeFlowInputBuilder) -> Result<RawFlowStream>;
    /// `StartFlowExecution`.
    async fn start_flow_execution(
        &self,
        input: StartFlowExecutionInputBuilder,
    ) -> Result<WithRequestId<StartFlowExecutionOutput>>;
}

/// [`BedrockAgentRuntimeApi`] over the AWS SDK client.
#[derive(Debug, Clone)]
pub struct SdkAgentRuntime {
    client: agent_sdk::Client,
}

impl SdkAgentRuntime {
    /// Wraps an SDK client.
    pub fn new(client: agent_sdk::Client) -> Self {
        Self { client }
    }

    /// The SDK client.
    pub fn sdk(&self) -> &agent_sdk::Client {
        &self.client
    }

    /// The region of the SDK client's configuration.
    pub fn region(&self) -> Option<&str> {
        self.client.config().region().map(|r| r.as_ref())
    }
}

/// The AWS SDK implementation, when `api` is it (or an `Arc` of it, trait
/// objects included): its futures are then awaited in place, unboxed (see
/// [`as_impl`]).
pub(crate) fn as_sdk<A: BedrockAgentRuntimeApi>(api: &A) -> Option<&SdkAgentRuntime> {
    as_impl::<SdkAgentRuntime, dyn BedrockAgentRuntimeApi, A>(api, |d| d)
}
