//! Sending one bedrock-agent-runtime input: the six operations' rows of
//! the generic send (`call::send`), over the SDK's input builders.

use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::operation::retrieve_and_generate::RetrieveAndGenerateOutput;
use agent_sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use agent_sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionOutput;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use aws_sdk_bedrockagentruntime as agent_sdk;

use agent_sdk::config::http::HttpResponse;
use agent_sdk::error::{ProvideErrorMetadata, SdkError};
use agent_sdk::operation::RequestId;
use agent_sdk::primitives::event_stream::EventReceiver;
use async_trait::async_trait;

use super::api::{
    BedrockAgentRuntimeApi, RawAgentStream, RawFlowStream, RawInlineAgentStream, RawInvokeAgentStream,
    RawRetrieveAndGenerateStream, SdkAgentRuntime, as_sdk,
};
use crate::Result;
use crate::call::{ConfigChange, SendInput, WithRequestId, receiver_stream, sdk_client, send_input};
use crate::error::ServiceError;
use crate::vocab::Operation;

pub(crate) use crate::call::send;

/// A per-call change to the SDK client's configuration, applied to a copy
/// of it for one call.
pub(crate) type SdkConfigMap = ConfigChange<agent_sdk::config::Builder>;

sdk_client!(agent_sdk);

/// A bedrock-agent-runtime input that [`send`] sends through any
/// [`BedrockAgentRuntimeApi`] `A`.
pub(crate) trait AgentInput<A>: SendInput<A, Config = SdkConfigMap> {}

impl<A, I: SendInput<A, Config = SdkConfigMap>> AgentInput<A> for I {}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The session (for flows, execution) id, the memory id and the events of a
/// streamed agent-runtime SDK output: the four outputs differ only in the
/// names of these fields.
type StreamParts<T, E> = (Option<String>, Option<String>, EventReceiver<T, E>);

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

/// The crate's InvokeInlineAgent stream from what the SDK sent (also for
/// the request's [`direct`] path).
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

/// One row per operation: the input builder, what the crate gets back, the
/// [`BedrockAgentRuntimeApi`] method, and how what the SDK's future gave
/// becomes it (`from_sdk`, called by the generic send after its one await):
/// [`answered`], or [`streamed`] with the output's session id, memory id and
/// events. The rows give the generic send's
/// [`SendInput`], and [`BedrockAgentRuntimeApi`] for [`SdkAgentRuntime`]
/// and for `Arc<T>`.
macro_rules! agent_input {
    ($($input:ty => $out:ty, $api:ident, $from_sdk:expr;)*) => {
        $(
            send_input!(
                $input => $out,
                BedrockAgentRuntimeApi, $api,
                SdkAgentRuntime, SdkConfigMap, as_sdk,
                client: SdkAgentRuntime::sdk,
                from_sdk: $from_sdk,
                from_api: std::convert::identity,
            );
        )*

        #[async_trait]
        impl BedrockAgentRuntimeApi for SdkAgentRuntime {
            $(
                async fn $api(&self, input: $input) -> Result<$out> {
                    <$input as SendInput<Self>>::send_sdk(input, self, None).await
                }
            )*
        }

        #[async_trait]
        impl<T: BedrockAgentRuntimeApi + ?Sized> BedrockAgentRuntimeApi for std::sync::Arc<T> {
            $(
                async fn $api(&self, input: $input) -> Result<$out> {
                    (**self).$api(input).await
                }
            )*
        }
    };
}

agent_input! {
    InvokeInlineAgentInputBuilder => RawInlineAgentStream, invoke_inline_agent, inline_agent_output;
    RetrieveAndGenerateInputBuilder => WithRequestId<RetrieveAndGenerateOutput>, retrieve_and_generate,
        |r| answered(Operation::RetrieveAndGenerate, r);
    RetrieveAndGenerateStreamInputBuilder => RawRetrieveAndGenerateStream, retrieve_and_generate_stream,
        |r| streamed(Operation::RetrieveAndGenerateStream, r, |o| (non_empty(o.session_id), None, o.stream));
    InvokeAgentInputBuilder => RawInvokeAgentStream, invoke_agent,
        |r| streamed(Operation::InvokeAgent, r, |o| (non_empty(o.session_id), o.memory_id, o.completion));
    InvokeFlowInputBuilder => RawFlowStream, invoke_flow,
        |r| streamed(Operation::InvokeFlow, r, |o| (o.execution_id, None, o.response_stream));
    StartFlowExecutionInputBuilder => WithRequestId<StartFlowExecutionOutput>, start_flow_execution,
        |r| answered(Operation::StartFlowExecution, r);
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
