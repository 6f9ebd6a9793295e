//! The bedrock-runtime service as a trait, so that it can be mocked.

use std::any::Any;
use std::fmt;

use async_trait::async_trait;
use aws_sdk_bedrockruntime as sdk;
use aws_sdk_bedrockruntime::operation::RequestId;
use futures_core::Stream;
use sdk::config::http::HttpResponse;
use sdk::error::SdkError;
use sdk::operation::converse::ConverseError;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::converse_stream::{ConverseStreamError, ConverseStreamOutput};
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use sdk::operation::invoke_model_with_response_stream::{
    InvokeModelWithResponseStreamError, InvokeModelWithResponseStreamOutput,
};
use sdk::types::{PerformanceConfigLatency, ServiceTierType};

use crate::Result;
use crate::call::{EventStream, WithRequestId, as_impl, receiver_stream};
use crate::error::ServiceError;
use crate::vocab::Operation;

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
/// Each method takes the SDK's own input builder, exactly as the crate
/// filled it (your `map_input` closures included), so no field is copied or
/// dropped on the way. [`SdkRuntime`] sends it with the AWS SDK
/// (`send_with`). With the `mock` feature, `MockBedrockRuntimeApi` (mockall)
/// implements it for unit tests of your own code: see
/// `examples/mock_testing.rs` for canned answers.
///
/// `Arc<T>` implements it for any implementation `T`, trait objects
/// included, so one client type can hold a real or a mock service:
/// see [`DynClient`](crate::DynClient).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BedrockRuntimeApi: Any + Send + Sync {
    /// `Converse`.
    async fn converse(&self, input: ConverseInputBuilder) -> Result<WithRequestId<ConverseOutput>>;
    /// `ConverseStream`.
    async fn converse_stream(&self, input: ConverseStreamInputBuilder) -> Result<RawConverseStream>;
    /// `InvokeModel`.
    async fn invoke_model(&self, input: InvokeModelInputBuilder) -> Result<WithRequestId<InvokeModelOutput>>;
    /// `InvokeModelWithResponseStream`.
    async fn invoke_model_stream(
        &self,
        input: InvokeModelWithResponseStreamInputBuilder,
    ) -> Result<RawInvokeModelStream>;
}

#[async_trait]
impl<T: BedrockRuntimeApi + ?Sized> BedrockRuntimeApi for std::sync::Arc<T> {
    async fn converse(&self, input: ConverseInputBuilder) -> Result<WithRequestId<ConverseOutput>> {
        (**self).converse(input).await
    }
    async fn converse_stream(&self, input: ConverseStreamInputBuilder) -> Result<RawConverseStream> {
        (**self).converse_stream(input).await
    }
    async fn invoke_model(&self, input: InvokeModelInputBuilder) -> Result<WithRequestId<InvokeModelOutput>> {
        (**self).invoke_model(input).await
    }
    async fn invoke_model_stream(
        &self,
        input: InvokeModelWithResponseStreamInputBuilder,
    ) -> Result<RawInvokeModelStream> {
        (**self).invoke_model_stream(input).await
    }
}

/// [`BedrockRuntimeApi`] over the AWS SDK client.
#[derive(Debug, Clone)]
pub struct SdkRuntime {
    client: sdk::Client,
    /// The client for InvokeModel: the same configuration plus a reader of
    /// the response headers the SDK does not model (made on first use).
    invoke_model: std::sync::Arc<std::sync::OnceLock<sdk::Client>>,
}

impl SdkRuntime {
    /// Wraps an SDK client.
    pub fn new(client: sdk::Client) -> Self {
        Self {
            client,
            invoke_model: Default::default(),
        }
    }

    pub(crate) fn invoke_model_client(&self) -> &sdk::Client {
        self.invoke_model
            .get_or_init(|| super::headers::with_reader(&self.client))
    }

    /// The SDK client.
    pub fn sdk(&self) -> &sdk::Client {
        &self.client
    }

    /// The region of the SDK client's configuration.
    pub fn region(&self) -> Option<&str> {
        self.client.config().region().map(|r| r.as_ref())
    }
}

impl SdkRuntime {
    // The crate's result from the SDK's, one per operation.

    pub(crate) fn converse_output(
        r: std::result::Result<ConverseOutput, SdkError<ConverseError, HttpResponse>>,
    ) -> Result<WithRequestId<ConverseOutput>> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::Converse, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
    }

    pub(crate) fn converse_stream_output(
        r: std::result::Result<ConverseStreamOutput, SdkError<ConverseStreamError, HttpResponse>>,
    ) -> Result<RawConverseStream> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::ConverseStream, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(RawConverseStream {
            request_id,
            events: receiver_stream(Operation::ConverseStream, out.stream, |mut rx| async move {
                (rx.recv().await, rx)
            }),
        })
    }

    pub(crate) fn invoke_model_output(
        r: std::result::Result<InvokeModelOutput, SdkError<InvokeModelError, HttpResponse>>,
    ) -> Result<WithRequestId<InvokeModelOutput>> {
        let out = r.map_err(|e| ServiceError::from_sdk(Operation::InvokeModel, e))?;
        let request_id = out.request_id().map(str::to_owned);
        Ok(WithRequestId::new(out, request_id))
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
            events: receiver_stream(Operation::InvokeModelStream, out.body, |mut rx| async move {
                (rx.recv().await, rx)
            }),
        })
    }
}

#[async_trait]
impl BedrockRuntimeApi for SdkRuntime {
    async fn converse(&self, i: ConverseInputBuilder) -> Result<WithRequestId<ConverseOutput>> {
        Self::converse_output(i.send_with(&self.client).await)
    }

    async fn converse_stream(&self, i: ConverseStreamInputBuilder) -> Result<RawConverseStream> {
        Self::converse_stream_output(i.send_with(&self.client).await)
    }

    async fn invoke_model(&self, i: InvokeModelInputBuilder) -> Result<WithRequestId<InvokeModelOutput>> {
        Self::invoke_model_output(i.send_with(&self.client).await)
    }

    async fn invoke_model_stream(&self, i: InvokeModelWithResponseStreamInputBuilder) -> Result<RawInvokeModelStream> {
        Self::invoke_model_stream_output(i.send_with(&self.client).await)
    }
}

/// The AWS SDK implementation, when `api` is it (or an `Arc` of it, trait
/// objects included): see [`as_impl`].
pub(crate) fn as_sdk<R: BedrockRuntimeApi>(api: &R) -> Option<&SdkRuntime> {
    as_impl::<SdkRuntime, dyn BedrockRuntimeApi, R>(api, |d| d)
}
