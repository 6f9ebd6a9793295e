//! Sending one bedrock-runtime input: the four operations' rows of the
//! generic send (`call::send`), over the SDK's input builders.

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;

use super::api::{BedrockRuntimeApi, RawConverseStream, RawInvokeModelStream, SdkRuntime, as_sdk};
use super::headers::{InvocationHeaders, capture};
use crate::call::{ConfigChange, SendInput, Sent, WithRequestId, sdk_client, send_input};

pub(crate) use crate::call::send;

/// A per-call change to the SDK client's configuration (operation timeout,
/// retries, interceptors ...), applied to a copy of it for one call.
pub(crate) type SdkConfigMap = ConfigChange<sdk::config::Builder>;

/// What InvokeModel gives back: the output and the headers the SDK drops.
pub(crate) type InvokeModelSent = (WithRequestId<InvokeModelOutput>, Option<InvocationHeaders>);

sdk_client!(sdk);

/// An SDK input builder of bedrock-runtime.
pub(crate) trait RuntimeInput: Sent + Sized + Send + 'static {
    /// The SDK client that sends this input (InvokeModel has its own, which
    /// keeps the response headers the SDK drops).
    fn sdk_client(sdk: &SdkRuntime) -> &sdk::Client;
}

/// A bedrock-runtime input that [`send`] sends through any
/// [`BedrockRuntimeApi`] `R`.
pub(crate) trait RuntimeSend<R>: RuntimeInput + SendInput<R, Config = SdkConfigMap> {}

impl<R, I: RuntimeInput + SendInput<R, Config = SdkConfigMap>> RuntimeSend<R> for I {}

/// One row per operation: the input builder, what the crate gets back, the
/// [`BedrockRuntimeApi`] method, the [`SdkRuntime`] client that sends it,
/// how the SDK's future (`sent`, of `send_with`) becomes the crate's result,
/// and the future (from `got`, the method's) that gives it through the
/// service. The rows give [`RuntimeInput`] and the generic send's
/// [`SendInput`] (`call::send_input!`).
macro_rules! runtime_input {
    ($($input:ty => $out:ty, $api:ident, $client:ident, |$sent:ident| $from_sdk:expr, |$got:ident| $from_api:expr;)*) => {
        $(
            impl RuntimeInput for $input {
                fn sdk_client(sdk: &SdkRuntime) -> &sdk::Client {
                    sdk.$client()
                }
            }

            send_input!(
                $input => $out,
                BedrockRuntimeApi, $api,
                SdkRuntime, SdkConfigMap, as_sdk,
                |sdk| <$input as RuntimeInput>::sdk_client(sdk),
                |$sent| $from_sdk,
                |$got| $from_api,
            );
        )*
    };
}

runtime_input! {
    ConverseInputBuilder => WithRequestId<ConverseOutput>, converse, sdk,
        |sent| SdkRuntime::converse_output(sent.await), |got| got;
    ConverseStreamInputBuilder => RawConverseStream, converse_stream, sdk,
        |sent| SdkRuntime::converse_stream_output(sent.await), |got| got;
    // InvokeModel's own client keeps the response headers the SDK drops.
    InvokeModelInputBuilder => InvokeModelSent, invoke_model, invoke_model_client,
        |sent| {
            let (out, headers) = capture(sent).await;
            Ok((SdkRuntime::invoke_model_output(out)?, headers))
        },
        |got| async move { Ok((got.await?, None)) };
    InvokeModelWithResponseStreamInputBuilder => RawInvokeModelStream, invoke_model_stream, sdk,
        |sent| SdkRuntime::invoke_model_stream_output(sent.await), |got| got;
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
