//! Sending one bedrock-runtime input: one generic path for the four
//! operations, over a small private trait on the SDK's input builders.

use std::borrow::Cow;
use std::future::Future;

use aws_sdk_bedrockruntime as sdk;
use futures_util::FutureExt as _;
use futures_util::future::Either;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use tracing::Instrument;

use super::api::{BedrockRuntimeApi, RawConverseStream, RawInvokeModelStream, SdkRuntime, as_sdk};
use super::headers::{InvocationHeaders, capture};
use crate::Result;
use crate::call::WithRequestId;

/// A per-call change to the SDK client's configuration (operation timeout,
/// retries, interceptors ...), applied to a copy of it for one call.
pub(crate) type SdkConfigMap = Box<dyn FnOnce(sdk::config::Builder) -> sdk::config::Builder + Send>;

/// What InvokeModel gives back: the output and the headers the SDK drops.
pub(crate) type InvokeModelSent = (WithRequestId<InvokeModelOutput>, Option<InvocationHeaders>);

/// An SDK input builder this crate sends: through the SDK client itself, or
/// through any [`BedrockRuntimeApi`].
pub(crate) trait RuntimeInput: Sized + Send + 'static {
    /// What the crate gets back.
    type Output: Send;
    /// Sends with the SDK client as it is: the SDK's own future, mapped to
    /// the crate's result, with no async layer around it (see [`send`]).
    fn send_direct(self, sdk: &SdkRuntime) -> impl Future<Output = Result<Self::Output>> + Send + '_;
    /// Sends with the SDK (`send_with`: the input goes out as built), with
    /// the call's own configuration when it has one.
    fn send_sdk(
        self,
        sdk: &SdkRuntime,
        config: Option<SdkConfigMap>,
    ) -> impl Future<Output = Result<Self::Output>> + Send;
    /// Sends through a service implementation (mocks, wrappers).
    fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// The SDK client for one call: `base`, or a copy with the call's own
/// configuration (same HTTP client, so the same connection pool).
fn client_for(base: &sdk::Client, config: Option<SdkConfigMap>) -> Cow<'_, sdk::Client> {
    match config {
        None => Cow::Borrowed(base),
        Some(f) => Cow::Owned(sdk::Client::from_conf(f(base.config().to_builder()).build())),
    }
}

impl RuntimeInput for ConverseInputBuilder {
    type Output = WithRequestId<ConverseOutput>;
    fn send_direct(self, sdk: &SdkRuntime) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        self.send_with(sdk.sdk()).map(SdkRuntime::converse_output)
    }
    async fn send_sdk(self, sdk: &SdkRuntime, config: Option<SdkConfigMap>) -> Result<Self::Output> {
        let client = client_for(sdk.sdk(), config);
        SdkRuntime::converse_output(self.send_with(&client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.converse(self).await
    }
}

impl RuntimeInput for ConverseStreamInputBuilder {
    type Output = RawConverseStream;
    fn send_direct(self, sdk: &SdkRuntime) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        self.send_with(sdk.sdk()).map(SdkRuntime::converse_stream_output)
    }
    async fn send_sdk(self, sdk: &SdkRuntime, config: Option<SdkConfigMap>) -> Result<Self::Output> {
        let client = client_for(sdk.sdk(), config);
        SdkRuntime::converse_stream_output(self.send_with(&client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.converse_stream(self).await
    }
}

impl RuntimeInput for InvokeModelInputBuilder {
    type Output = InvokeModelSent;
    fn send_direct(self, sdk: &SdkRuntime) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        capture(self.send_with(sdk.invoke_model_client()))
            .map(|(out, headers)| Ok((SdkRuntime::invoke_model_output(out)?, headers)))
    }
    async fn send_sdk(self, sdk: &SdkRuntime, config: Option<SdkConfigMap>) -> Result<Self::Output> {
        let client = client_for(sdk.invoke_model_client(), config);
        let (out, headers) = capture(self.send_with(&client)).await;
        Ok((SdkRuntime::invoke_model_output(out)?, headers))
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        Ok((api.invoke_model(self).await?, None))
    }
}

impl RuntimeInput for InvokeModelWithResponseStreamInputBuilder {
    type Output = RawInvokeModelStream;
    fn send_direct(self, sdk: &SdkRuntime) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        self.send_with(sdk.sdk()).map(SdkRuntime::invoke_model_stream_output)
    }
    async fn send_sdk(self, sdk: &SdkRuntime, config: Option<SdkConfigMap>) -> Result<Self::Output> {
        let client = client_for(sdk.sdk(), config);
        SdkRuntime::invoke_model_stream_output(self.send_with(&client).await)
    }
    async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<Self::Output> {
        api.invoke_model_stream(self).await
    }
}

/// Sends `input` inside the call's span. With the AWS SDK as the service the
/// SDK's future is awaited in place (see [`as_sdk`]); `config` applies only
/// then (a mock has no SDK configuration).
///
/// The common case (the SDK, no per-call configuration, no subscriber that
/// wants the span) is the SDK's future itself, mapped: no async layer of
/// ours around it. The SDK's future is several kilobytes, every async layer
/// around it is at least as large and is copied whole when it is moved, and
/// the layers this had before cost about 12,000 instructions of `memcpy` a
/// Converse call more than the raw SDK call (callgrind of one call on each
/// path, `OVERHEAD_PROFILE` of the overhead bench). The other cases are
/// boxed once.
pub(crate) fn send<'a, R: BedrockRuntimeApi, I: RuntimeInput>(
    api: &'a R,
    input: I,
    config: Option<SdkConfigMap>,
    span: &tracing::Span,
) -> impl Future<Output = Result<I::Output>> + Send + 'a {
    match (as_sdk(api), config) {
        (Some(sdk), None) if span.is_disabled() => Either::Left(input.send_direct(sdk)),
        (sdk, config) => {
            let span = span.clone();
            Either::Right(Box::pin(async move {
                match sdk {
                    Some(sdk) => input.send_sdk(sdk, config).instrument(span).await,
                    None => input.send_api(api).instrument(span).await,
                }
            }))
        }
    }
}
