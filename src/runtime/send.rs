//! Sending one bedrock-runtime input: the four operations' rows of the
//! generic send (`call::send`), over the SDK's input builders.

use aws_sdk_bedrockruntime as sdk;
use sdk::config::http::HttpResponse;
use sdk::error::SdkError;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
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
/// and the generic send's functions (`call::send_input!`): optionally `wrap`
/// for the SDK's future, `from_sdk` for what it gives, `from_api` for the
/// method's future. The rows give [`RuntimeInput`] and [`SendInput`].
macro_rules! runtime_input {
    ($($input:ty => $out:ty, $api:ident, $client:ident,
        $(wrap: $wrap:path,)? from_sdk: $from_sdk:expr, from_api: $from_api:expr;)*) => {
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
                client: <$input as RuntimeInput>::sdk_client,
                $(wrap: $wrap,)?
                from_sdk: $from_sdk,
                from_api: $from_api,
            );
        )*
    };
}

runtime_input! {
    ConverseInputBuilder => WithRequestId<ConverseOutput>, converse, sdk,
        from_sdk: SdkRuntime::converse_output, from_api: std::convert::identity;
    ConverseStreamInputBuilder => RawConverseStream, converse_stream, sdk,
        from_sdk: SdkRuntime::converse_stream_output, from_api: std::convert::identity;
    // InvokeModel's own client keeps the response headers the SDK drops.
    InvokeModelInputBuilder => InvokeModelSent, invoke_model, invoke_model_client,
        wrap: capture, from_sdk: invoke_model_sent, from_api: without_headers;
    InvokeModelWithResponseStreamInputBuilder => RawInvokeModelStream, invoke_model_stream, sdk,
        from_sdk: SdkRuntime::invoke_model_stream_output, from_api: std::convert::identity;
}

/// What InvokeModel's SDK future gave, with the headers it kept, as the
/// crate's result.
fn invoke_model_sent(
    (out, headers): (
        std::result::Result<InvokeModelOutput, SdkError<InvokeModelError, HttpResponse>>,
        Option<InvocationHeaders>,
    ),
) -> crate::Result<InvokeModelSent> {
    Ok((SdkRuntime::invoke_model_output(out)?, headers))
}

/// InvokeModel through a service that is not the SDK: no headers.
async fn without_headers(
    got: impl std::future::Future<Output = crate::Result<WithRequestId<InvokeModelOutput>>>,
) -> crate::Result<InvokeModelSent> {
    Ok((got.await?, None))
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
