//! Sending one bedrock-agent-runtime input: one generic path for the six
//! operations, over a small private trait on the SDK's input builders.

use std::future::Future;

use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::operation::retrieve_and_generate::RetrieveAndGenerateOutput;
use agent_sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use agent_sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionOutput;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use aws_sdk_bedrockagentruntime as agent_sdk;
use tracing::Instrument;

use super::api::{
    BedrockAgentRuntimeApi, RawFlowStream, RawInlineAgentStream, RawInvokeAgentStream, RawRetrieveAndGenerateStream,
    as_sdk, sdk_send,
};
use crate::Result;
use crate::call::{WithRequestId, same_region};

/// A per-call change to the SDK client's configuration, applied to a copy
/// of it for one call.
pub(crate) type SdkConfigMap = Box<dyn FnOnce(agent_sdk::config::Builder) -> agent_sdk::config::Builder + Send>;

/// An SDK input builder this crate sends: through the SDK client itself, or
/// through any [`BedrockAgentRuntimeApi`].
pub(crate) trait AgentInput: Sized + Send + 'static {
    /// What the crate gets back.
    type Output: Send;
    /// Sends with the SDK client (`send_with`: the input goes out as built).
    fn send_sdk(self, client: &agent_sdk::Client) -> impl Future<Output = Result<Self::Output>> + Send;
    /// Sends through a service implementation (mocks, wrappers).
    fn send_api<A: BedrockAgentRuntimeApi>(self, api: &A) -> impl Future<Output = Result<Self::Output>> + Send;
}

macro_rules! agent_input {
    ($($input:ty => $out:ty, $sdk:ident, $api:ident;)*) => {$(
        impl AgentInput for $input {
            type Output = $out;
            fn send_sdk(self, client: &agent_sdk::Client) -> impl Future<Output = Result<$out>> + Send {
                sdk_send::$sdk(self, client)
            }
            fn send_api<A: BedrockAgentRuntimeApi>(self, api: &A) -> impl Future<Output = Result<$out>> + Send {
                api.$api(self)
            }
        }
    )*};
}

agent_input! {
    InvokeInlineAgentInputBuilder => RawInlineAgentStream, inline_agent, invoke_inline_agent;
    RetrieveAndGenerateInputBuilder => WithRequestId<RetrieveAndGenerateOutput>, retrieve_and_generate, retrieve_and_generate;
    RetrieveAndGenerateStreamInputBuilder => RawRetrieveAndGenerateStream, retrieve_and_generate_stream, retrieve_and_generate_stream;
    InvokeAgentInputBuilder => RawInvokeAgentStream, invoke_agent, invoke_agent;
    InvokeFlowInputBuilder => RawFlowStream, invoke_flow, invoke_flow;
    StartFlowExecutionInputBuilder => WithRequestId<StartFlowExecutionOutput>, start_flow_execution, start_flow_execution;
}

/// Sends `input` inside the call's span (see the runtime's `send`).
pub(crate) async fn send<A: BedrockAgentRuntimeApi, I: AgentInput>(
    api: &A,
    input: I,
    config: Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Result<I::Output> {
    let span = span.clone();
    match (as_sdk(api), config) {
        // As on the runtime side: the span is entered only when a subscriber
        // wants it, or the wrapper only moves the SDK's large future once more.
        (Some(sdk), None) if span.is_disabled() => input.send_sdk(sdk.sdk()).await,
        (Some(sdk), None) => input.send_sdk(sdk.sdk()).instrument(span).await,
        (Some(sdk), Some(f)) => {
            let conf = f(sdk.sdk().config().to_builder()).build();
            same_region(
                sdk.sdk().config().region().map(|r| r.as_ref()),
                conf.region().map(|r| r.as_ref()),
            )?;
            input
                .send_sdk(&agent_sdk::Client::from_conf(conf))
                .instrument(span)
                .await
        }
        (None, _) => input.send_api(api).instrument(span).await,
    }
}

/// The SDK client to send with when the call needs nothing of [`send`] (the
/// service is the AWS SDK, no per-call configuration, no subscriber wants
/// the span): the request then awaits the SDK's future itself, with no
/// layer of ours between (see the runtime's `direct`).
pub(crate) fn direct<'a, A: BedrockAgentRuntimeApi>(
    api: &'a A,
    config: &Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Option<&'a agent_sdk::Client> {
    as_sdk(api)
        .filter(|_| config.is_none() && span.is_disabled())
        .map(|s| s.sdk())
}
