//! Sending one bedrock-runtime input: one generic path for the four
//! operations, over a small private trait on the SDK's input builders.

use std::borrow::Cow;
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
use super::headers::{InvocationHeaders, capture};
use crate::Result;
use crate::call::{WithRequestId, same_region};

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
    /// The SDK client that sends this input (InvokeModel has its own, which
    /// keeps the response headers the SDK drops).
    fn sdk_client(sdk: &SdkRuntime) -> &sdk::Client;
    /// Sends with the SDK (`send_with`: the input goes out as built).
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
/// The region must stay the client's (see [`same_region`]).
fn client_for(base: &sdk::Client, config: Option<SdkConfigMap>) -> Result<Cow<'_, sdk::Client>> {
    match config {
        None => Ok(Cow::Borrowed(base)),
        Some(f) => {
            let conf = f(base.config().to_builder()).build();
            same_region(
                base.config().region().map(|r| r.as_ref()),
                conf.region().map(|r| r.as_ref()),
            )?;
            Ok(Cow::Owned(sdk::Client::from_conf(conf)))
        }
    }
}

/// One row per operation: the input builder, what the crate gets back, the
/// [`BedrockRuntimeApi`] method, the [`SdkRuntime`] client that sends it,
/// how the SDK's future (`sent`, of `send_with`) becomes the crate's result,
/// and how the service's answer (`got`, the method's future) does. The rows
/// give [`RuntimeInput`].
macro_rules! runtime_input {
    ($($input:ty => $out:ty, $api:ident, $client:ident, |$sent:ident| $from_sdk:expr, |$got:ident| $from_api:expr;)*) => {
        $(
            impl RuntimeInput for $input {
                type Output = $out;
                fn sdk_client(sdk: &SdkRuntime) -> &sdk::Client {
                    sdk.$client()
                }
                async fn send_sdk(self, sdk: &SdkRuntime, config: Option<SdkConfigMap>) -> Result<$out> {
                    let client = client_for(Self::sdk_client(sdk), config)?;
                    let $sent = self.send_with(&client);
                    $from_sdk
                }
                async fn send_api<R: BedrockRuntimeApi>(self, api: &R) -> Result<$out> {
                    let $got = api.$api(self);
                    $from_api
                }
            }
        )*
    };
}

runtime_input! {
    ConverseInputBuilder => WithRequestId<ConverseOutput>, converse, sdk,
        |sent| SdkRuntime::converse_output(sent.await), |got| got.await;
    ConverseStreamInputBuilder => RawConverseStream, converse_stream, sdk,
        |sent| SdkRuntime::converse_stream_output(sent.await), |got| got.await;
    // InvokeModel's own client keeps the response headers the SDK drops.
    InvokeModelInputBuilder => InvokeModelSent, invoke_model, invoke_model_client,
        |sent| {
            let (out, headers) = capture(sent).await;
            Ok((SdkRuntime::invoke_model_output(out)?, headers))
        },
        |got| Ok((got.await?, None));
    InvokeModelWithResponseStreamInputBuilder => RawInvokeModelStream, invoke_model_stream, sdk,
        |sent| SdkRuntime::invoke_model_stream_output(sent.await), |got| got.await;
}

/// Sends `input` inside the call's span. With the AWS SDK as the service the
/// SDK's future is awaited in place (see [`as_sdk`]); `config` applies only
/// then (a mock has no SDK configuration).
pub(crate) async fn send<R: BedrockRuntimeApi, I: RuntimeInput>(
    api: &R,
    input: I,
    config: Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Result<I::Output> {
    // The span is entered only when a subscriber wants it: the wrapper
    // would otherwise only move the SDK's large future once more.
    match (as_sdk(api), span.is_disabled()) {
        (Some(sdk), true) => input.send_sdk(sdk, config).await,
        (Some(sdk), false) => input.send_sdk(sdk, config).instrument(span.clone()).await,
        (None, _) => input.send_api(api).instrument(span.clone()).await,
    }
}

/// The SDK client to send with when the call needs nothing of [`send`]:
/// the service is the AWS SDK, there is no per-call configuration and no
/// subscriber wants the span. The request then awaits the SDK's future
/// itself, with no layer of ours between: each async layer copies the
/// SDK's future (7 KB and more) once more (callgrind of the overhead bench).
pub(crate) fn direct<'a, R: BedrockRuntimeApi, I: RuntimeInput>(
    api: &'a R,
    config: &Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Option<&'a sdk::Client> {
    let sdk = as_sdk(api).filter(|_| config.is_none() && span.is_disabled())?;
    Some(I::sdk_client(sdk))
}
