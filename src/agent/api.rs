//! The bedrock-agent-runtime service behind a trait, so that it can be mocked.

use std::fmt;

use std::any::Any;

use agent_sdk::config::http::HttpResponse;
use agent_sdk::error::{ProvideErrorMetadata, SdkError};
use agent_sdk::operation::RequestId;
use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::operation::retrieve_and_generate::RetrieveAndGenerateOutput;
use agent_sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use agent_sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionOutput;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use agent_sdk::primitives::event_stream::EventReceiver;
use agent_sdk::types::{
    FlowResponseStream, InlineAgentResponseStream, ResponseStream, RetrieveAndGenerateStreamResponseOutput,
};
use async_trait::async_trait;
use aws_sdk_bedrockagentruntime as agent_sdk;
use futures_core::Stream;

use crate::Result;
use crate::call::{EventStream, WithRequestId, receiver_stream};
use crate::error::ServiceError;
use crate::vocab::Operation;

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

#[async_trait]
impl<T: BedrockAgentRuntimeApi + ?Sized> BedrockAgentRuntimeApi for std::sync::Arc<T> {
    async fn invoke_inline_agent(&self, input: InvokeInlineAgentInputBuilder) -> Result<RawInlineAgentStream> {
        (**self).invoke_inline_agent(input).await
    }
    async fn retrieve_and_generate(
        &self,
        input: RetrieveAndGenerateInputBuilder,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>> {
        (**self).retrieve_and_generate(input).await
    }
    async fn retrieve_and_generate_stream(
        &self,
        input: RetrieveAndGenerateStreamInputBuilder,
    ) -> Result<RawRetrieveAndGenerateStream> {
        (**self).retrieve_and_generate_stream(input).await
    }
    async fn invoke_agent(&self, input: InvokeAgentInputBuilder) -> Result<RawInvokeAgentStream> {
        (**self).invoke_agent(input).await
    }
    async fn invoke_flow(&self, input: InvokeFlowInputBuilder) -> Result<RawFlowStream> {
        (**self).invoke_flow(input).await
    }
    async fn start_flow_execution(
        &self,
        input: StartFlowExecutionInputBuilder,
    ) -> Result<WithRequestId<StartFlowExecutionOutput>> {
        (**self).start_flow_execution(input).await
    }
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

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The session (for flows, execution) id, the memory id and the events of a
/// streamed agent-runtime SDK output: the four outputs differ only in the
/// names of these fields.
type StreamParts<T, E> = (Option<String>, Option<String>, EventReceiver<T, E>);

/// Sends SDK input builders with an SDK client: the crate's results from
/// the SDK's, one function per operation.
pub(crate) mod sdk_send {
    use super::*;

    /// The crate's stream from what `op` sent: the SDK's error typed, the
    /// request id, the output's `parts`, the events read one at a time.
    fn streamed<O: RequestId, T, E, F>(
        op: Operation,
        sent: std::result::Result<O, SdkError<F, HttpResponse>>,
        parts: impl FnOnce(O) -> StreamParts<T, E>,
    ) -> Result<RawAgentStream<T>>
    where
        T: Send + 'static,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let out = sent.map_err(|e| ServiceError::from_sdk(op, e))?;
        let request_id = out.request_id().map(str::to_owned);
        let (session_id, memory_id, rx) = parts(out);
        Ok(RawAgentStream {
            request_id,
            session_id,
            memory_id,
            events: receiver_stream(op, rx, |mut rx| async move { (rx.recv().await, rx) }),
        })
    }

    /// The output of what `op` sent with its request id, or the SDK's error
    /// typed.
    fn answered<O: RequestId, E>(
        op: Operation,
        sent: std::result::Result<O, SdkError<E, HttpResponse>>,
    ) -> Result<WithRequestId<O>>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let out = sent.map_err(|e| ServiceError::from_sdk(op, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }

    pub(crate) async fn inline_agent(
        i: InvokeInlineAgentInputBuilder,
        c: &agent_sdk::Client,
    ) -> Result<RawInlineAgentStream> {
        inline_agent_output(i.send_with(c).await)
    }

    /// The crate's InvokeInlineAgent stream from what the SDK sent.
    pub(crate) fn inline_agent_output(
        sent: std::result::Result<
            agent_sdk::operation::invoke_inline_agent::InvokeInlineAgentOutput,
            SdkError<agent_sdk::operation::invoke_inline_agent::InvokeInlineAgentError, HttpResponse>,
        >,
    ) -> Result<RawInlineAgentStream> {
        streamed(Operation::InlineAgent, sent, |o| {
            (non_empty(o.session_id), None, o.completion)
        })
    }

    pub(crate) async fn retrieve_and_generate(
        i: RetrieveAndGenerateInputBuilder,
        c: &agent_sdk::Client,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>> {
        answered(Operation::RetrieveAndGenerate, i.send_with(c).await)
    }

    pub(crate) async fn retrieve_and_generate_stream(
        i: RetrieveAndGenerateStreamInputBuilder,
        c: &agent_sdk::Client,
    ) -> Result<RawRetrieveAndGenerateStream> {
        let sent = i.send_with(c).await;
        streamed(Operation::RetrieveAndGenerateStream, sent, |o| {
            (non_empty(o.session_id), None, o.stream)
        })
    }

    pub(crate) async fn invoke_agent(
        i: InvokeAgentInputBuilder,
        c: &agent_sdk::Client,
    ) -> Result<RawInvokeAgentStream> {
        let sent = i.send_with(c).await;
        streamed(Operation::InvokeAgent, sent, |o| {
            (non_empty(o.session_id), o.memory_id, o.completion)
        })
    }

    pub(crate) async fn invoke_flow(i: InvokeFlowInputBuilder, c: &agent_sdk::Client) -> Result<RawFlowStream> {
        let sent = i.send_with(c).await;
        streamed(Operation::InvokeFlow, sent, |o| {
            (o.execution_id, None, o.response_stream)
        })
    }

    pub(crate) async fn start_flow_execution(
        i: StartFlowExecutionInputBuilder,
        c: &agent_sdk::Client,
    ) -> Result<WithRequestId<StartFlowExecutionOutput>> {
        answered(Operation::StartFlowExecution, i.send_with(c).await)
    }
}

#[async_trait]
impl BedrockAgentRuntimeApi for SdkAgentRuntime {
    async fn invoke_inline_agent(&self, i: InvokeInlineAgentInputBuilder) -> Result<RawInlineAgentStream> {
        sdk_send::inline_agent(i, &self.client).await
    }

    async fn retrieve_and_generate(
        &self,
        i: RetrieveAndGenerateInputBuilder,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>> {
        sdk_send::retrieve_and_generate(i, &self.client).await
    }

    async fn retrieve_and_generate_stream(
        &self,
        i: RetrieveAndGenerateStreamInputBuilder,
    ) -> Result<RawRetrieveAndGenerateStream> {
        sdk_send::retrieve_and_generate_stream(i, &self.client).await
    }

    async fn invoke_agent(&self, i: InvokeAgentInputBuilder) -> Result<RawInvokeAgentStream> {
        sdk_send::invoke_agent(i, &self.client).await
    }

    async fn invoke_flow(&self, i: InvokeFlowInputBuilder) -> Result<RawFlowStream> {
        sdk_send::invoke_flow(i, &self.client).await
    }

    async fn start_flow_execution(
        &self,
        i: StartFlowExecutionInputBuilder,
    ) -> Result<WithRequestId<StartFlowExecutionOutput>> {
        sdk_send::start_flow_execution(i, &self.client).await
    }
}

/// The AWS SDK implementation, when `api` is it (or an `Arc` of it, trait
/// objects included): its futures are then awaited in place, unboxed.
pub(crate) fn as_sdk<A: BedrockAgentRuntimeApi>(api: &A) -> Option<&SdkAgentRuntime> {
    let any: &dyn Any = api;
    if let Some(sdk) = any.downcast_ref::<SdkAgentRuntime>() {
        return Some(sdk);
    }
    let inner: &dyn Any = &**any.downcast_ref::<std::sync::Arc<dyn BedrockAgentRuntimeApi>>()?;
    inner.downcast_ref::<SdkAgentRuntime>()
}
