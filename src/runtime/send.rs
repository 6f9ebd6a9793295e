//! Sending one bedrock-runtime input: one generic path for the four
//! operations, over a small private trait on the SDK's input builders.

use std::future::Future;

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use tracing::Instrument;

use super::api::{BedrockRuntimeApi, RawConverseStream, RawInvokeModelStream, SdkRuntime, as_sdk};
use crate::Result;
use crate::call::WithRequestId;

/// A per-call change to the SDK client's configuration (operation timeout,
/// retries, interceptors ...), applied to a copy of it for one call.
pub(crate) type SdkConfigMap = Box<dyn FnOnce(sdk::config::Builder) -> sdk::config::Builder + Send>;

/// An SDK input builder this crate sends: through the SDK client itself, or
/// through any [`BedrockRuntimeApi`].
pub(crate) trait RuntimeInput: Sized + Send + 'static {
    /// What the crate gets back.
    type Output: Send;
    /// Sends with the SDK client (`send_with`: the input goes out as built).
    fn send_sdk(self, client: &sdk::Client) -> impl Future<Output = Result<Self::Output>> + Send;
    /// Sends through a service implementation (mocks, wrappers).
    fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> impl Future<Output = Result<Self::Output>> + Send;
}

impl RuntimeInput for ConverseInputBuilder {
    type Output = WithRequestId<ConverseOutput>;
    async fn send_sdk(self, client: &sdk::Client) -> Result<Self::Output> {
        SdkRuntime::converse_output(self.send_with(client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.converse(self).await
    }
}

impl RuntimeInput for ConverseStreamInputBuilder {
    type Output = RawConverseStream;
    async fn send_sdk(self, client: &sdk::Client) -> Result<Self::Output> {
        SdkRuntime::converse_stream_output(self.send_with(client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.converse_stream(self).await
    }
}

impl RuntimeInput for InvokeModelInputBuilder {
    type Output = WithRequestId<InvokeModelOutput>;
    async fn send_sdk(self, client: &sdk::Client) -> Result<Self::Output> {
        SdkRuntime::invoke_model_output(self.send_with(client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.invoke_model(self).await
    }
}

impl RuntimeInput for InvokeModelWithResponseStreamInputBuilder {
    type Output = RawInvokeModelStream;
    async fn send_sdk(self, client: &sdk::Client) -> Result<Self::Output> {
        SdkRuntime::invoke_model_stream_output(self.send_with(client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.invoke_model_stream(self).await
    }
}

/// Sends `input` inside the call's span. With the AWS SDK as the service the
/// SDK's future is awaited in place (see [`as_sdk`]); a configuration
/// change gets a client built from a copy of the SDK client's configuration
/// (same HTTP client, so the same connection pool).
pub(crate) async fn send<R: BedrockRuntimeApi, I: RuntimeInput>(
    api: &R,
    input: I,
    config: Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Result<I::Output> {
    match (as_sdk(api), config) {
        (Some(sdk), None) => in_span(span, input.send_sdk(sdk.sdk())).await,
        (Some(sdk), Some(f)) => {
            let client = sdk::Client::from_conf(f(sdk.sdk().config().to_builder()).build());
            in_span(span, input.send_sdk(&client)).await
        }
        (None, _) => in_span(span, input.send_api(api)).await,
    }
}

/// Awaits a future inside the span, or as it is when no subscriber wants
/// the span (the wrapper would then only move the SDK's large future).
async fn in_span<F: Future>(span: &tracing::Span, fut: F) -> F::Output {
    if span.is_disabled() {
        fut.await
    } else {
        fut.instrument(span.clone()).await
    }
}
