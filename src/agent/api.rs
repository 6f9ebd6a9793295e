//! The bedrock-agent-runtime service behind a trait, so that it can be mocked.

use std::fmt;

use agent_sdk::operation::RequestId;
use agent_sdk::operation::invoke_agent::InvokeAgentInput;
use agent_sdk::operation::invoke_flow::InvokeFlowInput;
use agent_sdk::operation::invoke_inline_agent::InvokeInlineAgentInput;
use agent_sdk::operation::retrieve_and_generate::{RetrieveAndGenerateInput, RetrieveAndGenerateOutput};
use agent_sdk::operation::retrieve_and_generate_stream::RetrieveAndGenerateStreamInput;
use agent_sdk::operation::start_flow_execution::{StartFlowExecutionInput, StartFlowExecutionOutput};
use agent_sdk::types::{
    FlowResponseStream, InlineAgentResponseStream, ResponseStream, RetrieveAndGenerateStreamResponseOutput,
};
use async_trait::async_trait;
use aws_sdk_bedrockagentruntime as agent_sdk;
use futures_core::Stream;

use crate::error::ServiceError;
use crate::runtime::{EventStream, WithRequestId};
use crate::vocab::Operation;
use crate::{Error, Result};

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
/// [`SdkAgentRuntime`] implements it with the AWS SDK. With the `mock`
/// feature, `MockBedrockAgentRuntimeApi` (mockall) implements it for unit
/// tests of your own code; streamed answers are scripted with
/// [`RawAgentStream::new`].
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BedrockAgentRuntimeApi: Send + Sync + 'static {
    /// `InvokeInlineAgent`.
    async fn invoke_inline_agent(&self, input: InvokeInlineAgentInput) -> Result<RawInlineAgentStream>;
    /// `RetrieveAndGenerate`.
    async fn retrieve_and_generate(
        &self,
        input: RetrieveAndGenerateInput,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>>;
    /// `RetrieveAndGenerateStream`.
    async fn retrieve_and_generate_stream(
        &self,
        input: RetrieveAndGenerateStreamInput,
    ) -> Result<RawRetrieveAndGenerateStream>;
    /// `InvokeAgent`.
    async fn invoke_agent(&self, input: InvokeAgentInput) -> Result<RawInvokeAgentStream>;
    /// `InvokeFlow`.
    async fn invoke_flow(&self, input: InvokeFlowInput) -> Result<RawFlowStream>;
    /// `StartFlowExecution`.
    async fn start_flow_execution(
        &self,
        input: StartFlowExecutionInput,
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
}

fn receiver_stream<T, E>(op: Operation, rx: agent_sdk::primitives::event_stream::EventReceiver<T, E>) -> EventStream<T>
where
    T: Send + 'static,
    E: agent_sdk::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Box::pin(futures_util::stream::unfold(Some(rx), move |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Ok(Some(ev)) => Some((Ok(ev), Some(rx))),
            Ok(None) => None,
            Err(e) => Some((Err(Error::from(ServiceError::from_sdk(op, e))), None)),
        }
    }))
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[async_trait]
impl BedrockAgentRuntimeApi for SdkAgentRuntime {
    async fn invoke_inline_agent(&self, i: InvokeInlineAgentInput) -> Result<RawInlineAgentStream> {
        let out = self
            .client
            .invoke_inline_agent()
            .set_customer_encryption_key_arn(i.customer_encryption_key_arn)
            .set_foundation_model(i.foundation_model)
            .set_instruction(i.instruction)
            .set_idle_session_ttl_in_seconds(i.idle_session_ttl_in_seconds)
            .set_action_groups(i.action_groups)
            .set_knowledge_bases(i.knowledge_bases)
            .set_guardrail_configuration(i.guardrail_configuration)
            .set_prompt_override_configuration(i.prompt_override_configuration)
            .set_agent_collaboration(i.agent_collaboration)
            .set_collaborator_configurations(i.collaborator_configurations)
            .set_agent_name(i.agent_name)
            .set_session_id(i.session_id)
            .set_end_session(i.end_session)
            .set_enable_trace(i.enable_trace)
            .set_input_text(i.input_text)
            .set_streaming_configurations(i.streaming_configurations)
            .set_prompt_creation_configurations(i.prompt_creation_configurations)
            .set_inline_session_state(i.inline_session_state)
            .set_collaborators(i.collaborators)
            .set_bedrock_model_configurations(i.bedrock_model_configurations)
            .set_orchestration_type(i.orchestration_type)
            .set_custom_orchestration(i.custom_orchestration)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::InlineAgent, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawAgentStream {
            request_id,
            session_id: non_empty(out.session_id),
            memory_id: None,
            events: receiver_stream(Operation::InlineAgent, out.completion),
        })
    }

    async fn retrieve_and_generate(
        &self,
        i: RetrieveAndGenerateInput,
    ) -> Result<WithRequestId<RetrieveAndGenerateOutput>> {
        let out = self
            .client
            .retrieve_and_generate()
            .set_session_id(i.session_id)
            .set_input(i.input)
            .set_retrieve_and_generate_configuration(i.retrieve_and_generate_configuration)
            .set_session_configuration(i.session_configuration)
            .set_user_context(i.user_context)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::RetrieveAndGenerate, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }

    async fn retrieve_and_generate_stream(
        &self,
        i: RetrieveAndGenerateStreamInput,
    ) -> Result<RawRetrieveAndGenerateStream> {
        let out = self
            .client
            .retrieve_and_generate_stream()
            .set_session_id(i.session_id)
            .set_input(i.input)
            .set_retrieve_and_generate_configuration(i.retrieve_and_generate_configuration)
            .set_session_configuration(i.session_configuration)
            .set_user_context(i.user_context)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::RetrieveAndGenerateStream, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawAgentStream {
            request_id,
            session_id: non_empty(out.session_id),
            memory_id: None,
            events: receiver_stream(Operation::RetrieveAndGenerateStream, out.stream),
        })
    }

    async fn invoke_agent(&self, i: InvokeAgentInput) -> Result<RawInvokeAgentStream> {
        let out = self
            .client
            .invoke_agent()
            .set_session_state(i.session_state)
            .set_agent_id(i.agent_id)
            .set_agent_alias_id(i.agent_alias_id)
            .set_session_id(i.session_id)
            .set_end_session(i.end_session)
            .set_enable_trace(i.enable_trace)
            .set_input_text(i.input_text)
            .set_memory_id(i.memory_id)
            .set_bedrock_model_configurations(i.bedrock_model_configurations)
            .set_streaming_configurations(i.streaming_configurations)
            .set_prompt_creation_configurations(i.prompt_creation_configurations)
            .set_source_arn(i.source_arn)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::InvokeAgent, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawAgentStream {
            request_id,
            session_id: non_empty(out.session_id),
            memory_id: out.memory_id,
            events: receiver_stream(Operation::InvokeAgent, out.completion),
        })
    }

    async fn invoke_flow(&self, i: InvokeFlowInput) -> Result<RawFlowStream> {
        let out = self
            .client
            .invoke_flow()
            .set_flow_identifier(i.flow_identifier)
            .set_flow_alias_identifier(i.flow_alias_identifier)
            .set_inputs(i.inputs)
            .set_enable_trace(i.enable_trace)
            .set_model_performance_configuration(i.model_performance_configuration)
            .set_execution_id(i.execution_id)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::InvokeFlow, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawAgentStream {
            request_id,
            session_id: out.execution_id,
            memory_id: None,
            events: receiver_stream(Operation::InvokeFlow, out.response_stream),
        })
    }

    async fn start_flow_execution(
        &self,
        i: StartFlowExecutionInput,
    ) -> Result<WithRequestId<StartFlowExecutionOutput>> {
        let out = self
            .client
            .start_flow_execution()
            .set_flow_identifier(i.flow_identifier)
            .set_flow_alias_identifier(i.flow_alias_identifier)
            .set_flow_execution_name(i.flow_execution_name)
            .set_inputs(i.inputs)
            .set_model_performance_configuration(i.model_performance_configuration)
            .send()
            .await
            .map_err(|e| ServiceError::from_sdk(Operation::InvokeFlow, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }
}
