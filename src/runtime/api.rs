//! The bedrock-runtime service as a trait, so that it can be mocked.

use std::any::Any;
use std::fmt;
use std::pin::Pin;

use async_trait::async_trait;
use aws_sdk_bedrockruntime as sdk;
use aws_sdk_bedrockruntime::operation::RequestId;
use futures_core::Stream;
use sdk::config::http::HttpResponse;
use sdk::error::SdkError;
use sdk::operation::converse::builders::ConverseFluentBuilder;
use sdk::operation::converse::{ConverseError, ConverseInput, ConverseOutput};
use sdk::operation::converse_stream::builders::ConverseStreamFluentBuilder;
use sdk::operation::converse_stream::{ConverseStreamError, ConverseStreamInput, ConverseStreamOutput};
use sdk::operation::invoke_model::builders::InvokeModelFluentBuilder;
use sdk::operation::invoke_model::{InvokeModelError, InvokeModelInput, InvokeModelOutput};
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamFluentBuilder;
use sdk::operation::invoke_model_with_response_stream::{
    InvokeModelWithResponseStreamError, InvokeModelWithResponseStreamInput, InvokeModelWithResponseStreamOutput,
};
use sdk::types::{PerformanceConfigLatency, ServiceTierType};

use crate::error::ServiceError;
use crate::vocab::Operation;
use crate::{Error, Result};

/// A boxed stream of service events.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// An SDK output and the AWS request id that came with it.
#[derive(Debug, Clone)]
pub struct WithRequestId<T> {
    /// The SDK output.
    pub output: T,
    /// The AWS request id (`x-amzn-RequestId`).
    pub request_id: Option<String>,
}

impl<T> WithRequestId<T> {
    /// Wraps an output with a request id (for mocks).
    pub fn new(output: T, request_id: Option<String>) -> Self {
        Self { output, request_id }
    }
}

/// The start of a ConverseStream answer: the request id and the events.
///
/// A mock builds one from any stream of SDK events:
/// `RawConverseStream::new(futures::stream::iter(events), None)`.
pub struct RawConverseStream {
    /// The AWS request id.
    pub request_id: Option<String>,
    /// The events, as the SDK parsed them.
    pub events: EventStream<sdk::types::ConverseStreamOutput>,
}

impl RawConverseStream {
    /// Wraps a stream of SDK events.
    pub fn new(
        events: impl Stream<Item = Result<sdk::types::ConverseStreamOutput>> + Send + 'static,
        request_id: Option<String>,
    ) -> Self {
        Self {
            request_id,
            events: Box::pin(events),
        }
    }
}

impl fmt::Debug for RawConverseStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawConverseStream")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// The start of an InvokeModelWithResponseStream answer: headers and events.
pub struct RawInvokeModelStream {
    /// The AWS request id.
    pub request_id: Option<String>,
    /// The response content type.
    pub content_type: Option<String>,
    /// The served latency (`X-Amzn-Bedrock-PerformanceConfig-Latency`).
    pub performance_config_latency: Option<PerformanceConfigLatency>,
    /// The served tier (`X-Amzn-Bedrock-Service-Tier`).
    pub service_tier: Option<ServiceTierType>,
    /// The events, as the SDK parsed them.
    pub events: EventStream<sdk::types::ResponseStream>,
}

impl RawInvokeModelStream {
    /// Wraps a stream of SDK events, with no headers (set the fields after).
    pub fn new(
        events: impl Stream<Item = Result<sdk::types::ResponseStream>> + Send + 'static,
        request_id: Option<String>,
    ) -> Self {
        Self {
            request_id,
            content_type: None,
            performance_config_latency: None,
            service_tier: None,
            events: Box::pin(events),
        }
    }
}

impl fmt::Debug for RawInvokeModelStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawInvokeModelStream")
            .field("request_id", &self.request_id)
            .field("content_type", &self.content_type)
            .field("performance_config_latency", &self.performance_config_latency)
            .field("service_tier", &self.service_tier)
            .finish_non_exhaustive()
    }
}

/// The bedrock-runtime operations this crate calls, one method each.
///
/// [`SdkRuntime`] implements it with the AWS SDK. With the `mock` feature,
/// `MockBedrockRuntimeApi` (mockall) implements it for unit tests of your
/// own code: see `examples/mock_testing.rs`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BedrockRuntimeApi: Send + Sync + 'static {
    /// `Converse`.
    async fn converse(&self, input: ConverseInput) -> Result<WithRequestId<ConverseOutput>>;
    /// `ConverseStream`.
    async fn converse_stream(&self, input: ConverseStreamInput) -> Result<RawConverseStream>;
    /// `InvokeModel`.
    async fn invoke_model(&self, input: InvokeModelInput) -> Result<WithRequestId<InvokeModelOutput>>;
    /// `InvokeModelWithResponseStream`.
    async fn invoke_model_stream(&self, input: InvokeModelWithResponseStreamInput) -> Result<RawInvokeModelStream>;
}

/// [`BedrockRuntimeApi`] over the AWS SDK client.
#[derive(Debug, Clone)]
pub struct SdkRuntime {
    client: sdk::Client,
}

impl SdkRuntime {
    /// Wraps an SDK client.
    pub fn new(client: sdk::Client) -> Self {
        Self { client }
    }

    /// The SDK client.
    pub fn sdk(&self) -> &sdk::Client {
        &self.client
    }
}

fn receiver_stream<T, E>(op: Operation, rx: sdk::primitives::event_stream::EventReceiver<T, E>) -> EventStream<T>
where
    T: Send + 'static,
    E: sdk::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
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

/// Calls the setters of a fluent builder for the fields that are set. Each
/// fluent setter moves the whole builder (about a kilobyte), so skipping the
/// unset fields keeps our path as cheap as a hand-written SDK call.
macro_rules! set_present {
    ($b:ident; $($setter:ident($value:expr)),+ $(,)?) => {
        $(
            if let v @ Some(_) = $value {
                $b = $b.$setter(v);
            }
        )+
    };
}

/// Copies the fields of a Converse or ConverseStream input into its fluent builder.
macro_rules! converse_fields {
    ($b:ident, $i:ident) => {
        set_present!($b;
            set_model_id($i.model_id),
            set_messages($i.messages),
            set_system($i.system),
            set_inference_config($i.inference_config),
            set_tool_config($i.tool_config),
            set_guardrail_config($i.guardrail_config),
            set_additional_model_request_fields($i.additional_model_request_fields),
            set_prompt_variables($i.prompt_variables),
            set_additional_model_response_field_paths($i.additional_model_response_field_paths),
            set_request_metadata($i.request_metadata),
            set_performance_config($i.performance_config),
            set_service_tier($i.service_tier),
            set_output_config($i.output_config),
        )
    };
}

/// Copies the fields of an InvokeModel or InvokeModelWithResponseStream input into its fluent builder.
macro_rules! invoke_fields {
    ($b:ident, $i:ident) => {
        set_present!($b;
            set_body($i.body),
            set_content_type($i.content_type),
            set_accept($i.accept),
            set_model_id($i.model_id),
            set_trace($i.trace),
            set_guardrail_identifier($i.guardrail_identifier),
            set_guardrail_version($i.guardrail_version),
            set_performance_config_latency($i.performance_config_latency),
            set_service_tier($i.service_tier),
            set_request_metadata($i.request_metadata),
        )
    };
}

impl SdkRuntime {
    // Each operation in two halves: the fluent builder from the input, and
    // the crate's result from the SDK's. The trait impl below joins them.
    // `Client` uses only the second half when its service is this type (see
    // `as_sdk` and `send_checked!`): it sends its input builder with
    // `send_with`.

    fn converse_builder(&self, i: ConverseInput) -> ConverseFluentBuilder {
        let mut b = self.client.converse();
        converse_fields!(b, i);
        b
    }

    #[inline]
    pub(crate) fn converse_output(
        r: std::result::Result<ConverseOutput, SdkError<ConverseError, HttpResponse>>,
    ) -> Result<WithRequestId<ConverseOutput>> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::Converse, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }

    fn converse_stream_builder(&self, i: ConverseStreamInput) -> ConverseStreamFluentBuilder {
        let mut b = self.client.converse_stream();
        converse_fields!(b, i);
        b
    }

    pub(crate) fn converse_stream_output(
        r: std::result::Result<ConverseStreamOutput, SdkError<ConverseStreamError, HttpResponse>>,
    ) -> Result<RawConverseStream> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::ConverseStream, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawConverseStream {
            request_id,
            events: receiver_stream(Operation::ConverseStream, out.stream),
        })
    }

    fn invoke_model_builder(&self, i: InvokeModelInput) -> InvokeModelFluentBuilder {
        let mut b = self.client.invoke_model();
        invoke_fields!(b, i);
        b
    }

    pub(crate) fn invoke_model_output(
        r: std::result::Result<InvokeModelOutput, SdkError<InvokeModelError, HttpResponse>>,
    ) -> Result<WithRequestId<InvokeModelOutput>> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::InvokeModel, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }

    fn invoke_model_stream_builder(
        &self,
        i: InvokeModelWithResponseStreamInput,
    ) -> InvokeModelWithResponseStreamFluentBuilder {
        let mut b = self.client.invoke_model_with_response_stream();
        invoke_fields!(b, i);
        b
    }

    pub(crate) fn invoke_model_stream_output(
        r: std::result::Result<
            InvokeModelWithResponseStreamOutput,
            SdkError<InvokeModelWithResponseStreamError, HttpResponse>,
        >,
    ) -> Result<RawInvokeModelStream> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::InvokeModelStream, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawInvokeModelStream {
            request_id,
            content_type: Some(out.content_type.clone()),
            performance_config_latency: out.performance_config_latency.clone(),
            service_tier: out.service_tier.clone(),
            events: receiver_stream(Operation::InvokeModelStream, out.body),
        })
    }
}

#[async_trait]
impl BedrockRuntimeApi for SdkRuntime {
    async fn converse(&self, i: ConverseInput) -> Result<WithRequestId<ConverseOutput>> {
        Self::converse_output(self.converse_builder(i).send().await)
    }

    async fn converse_stream(&self, i: ConverseStreamInput) -> Result<RawConverseStream> {
        Self::converse_stream_output(self.converse_stream_builder(i).send().await)
    }

    async fn invoke_model(&self, i: InvokeModelInput) -> Result<WithRequestId<InvokeModelOutput>> {
        Self::invoke_model_output(self.invoke_model_builder(i).send().await)
    }

    async fn invoke_model_stream(&self, i: InvokeModelWithResponseStreamInput) -> Result<RawInvokeModelStream> {
        Self::invoke_model_stream_output(self.invoke_model_stream_builder(i).send().await)
    }
}

/// The AWS SDK implementation, when `api` is it.
///
/// async-trait boxes every call's future, and the AWS SDK's own future is
/// about 7 KB: boxing it (a large allocation and copy per call), the extra
/// layers of futures around it, and copying the input field by field into a
/// fluent builder cost a measurable share of a loopback call
/// (`benches/overhead.rs`). So when the service is the SDK itself, `Client`
/// sends its input builder with the SDK's `send_with` and awaits that future
/// in place; any other implementation (mocks, wrappers) goes through the
/// trait. The trait requires `'static`, so this is a type-id comparison
/// that the compiler resolves per instantiation.
pub(crate) fn as_sdk<R: BedrockRuntimeApi>(api: &R) -> Option<&SdkRuntime> {
    (api as &dyn Any).downcast_ref::<SdkRuntime>()
}
