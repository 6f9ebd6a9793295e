//! The InvokeModel response headers that the SDK does not model.
//!
//! A successful InvokeModel answer carries its server latency and token
//! counts only as headers: `X-Amzn-Bedrock-Invocation-Latency`,
//! `X-Amzn-Bedrock-Input-Token-Count` and `X-Amzn-Bedrock-Output-Token-Count`
//! (all three in the real capture
//! shared/fixtures/aws-captures/invoke-model-nova-micro.response-meta.json,
//! us-east-1, April 2026). The SDK's `InvokeModelOutput` keeps none of them,
//! so InvokeModel calls go through a second SDK client that shares the first
//! one's configuration (and HTTP client, so its connections) and carries a
//! [`HeaderReader`]: an interceptor on the one client would be consulted at
//! each of the ~20 hooks of every call, Converse included. The reader hands
//! the headers back through a task-local slot that [`capture`] opens around
//! one call.

use std::cell::Cell;
use std::future::Future;

use aws_sdk_bedrockruntime as sdk;
use sdk::config::interceptors::BeforeDeserializationInterceptorContextRef;
use sdk::config::{ConfigBag, Intercept, RuntimeComponents};
use sdk::error::BoxError;

use crate::report::Usage;

/// What the headers of one InvokeModel answer said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct InvocationHeaders {
    /// `X-Amzn-Bedrock-Invocation-Latency`, in milliseconds.
    pub(crate) latency_ms: Option<u64>,
    /// `X-Amzn-Bedrock-Input-Token-Count`.
    pub(crate) input_tokens: Option<u32>,
    /// `X-Amzn-Bedrock-Output-Token-Count`.
    pub(crate) output_tokens: Option<u32>,
}

impl InvocationHeaders {
    /// Reads the headers of one response; anything absent or not a number
    /// stays `None`.
    fn read(response: &sdk::config::http::HttpResponse) -> Self {
        let n = |name: &str| response.headers().get(name).and_then(|v| v.trim().parse::<u64>().ok());
        let tokens = |name: &str| n(name).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        InvocationHeaders {
            latency_ms: n("x-amzn-bedrock-invocation-latency"),
            input_tokens: tokens("x-amzn-bedrock-input-token-count"),
            output_tokens: tokens("x-amzn-bedrock-output-token-count"),
        }
    }

    /// The token counts, when both are present.
    pub(crate) fn usage(&self) -> Option<Usage> {
        Some(Usage {
            input_tokens: self.input_tokens?,
            output_tokens: self.output_tokens?,
        })
    }
}

tokio::task_local! {
    /// The headers of the call under way (the last attempt's, when the SDK
    /// retried).
    static HEADERS: Cell<Option<InvocationHeaders>>;
}

/// Reads [`InvocationHeaders`] into the slot of the call under way, if one
/// is open (a call made without [`capture`] is left alone).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeaderReader;

impl Intercept for HeaderReader {
    fn name(&self) -> &'static str {
        "bedrock_latency::InvocationHeaders"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let _ = HEADERS.try_with(|slot| slot.set(Some(InvocationHeaders::read(context.response()))));
        Ok(())
    }
}

/// Runs one call with a slot open for its headers.
pub(crate) async fn capture<F: Future>(call: F) -> (F::Output, Option<InvocationHeaders>) {
    HEADERS
        .scope(Cell::new(None), async move {
            let out = call.await;
            (out, HEADERS.with(Cell::get))
        })
        .await
}

/// The SDK client for InvokeModel: the same configuration, plus the reader.
pub(crate) fn with_reader(client: &sdk::Client) -> sdk::Client {
    sdk::Client::from_conf(client.config().to_builder().interceptor(HeaderReader).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_leniently() {
        let resp = |pairs: &[(&str, &str)]| {
            let mut b = http::Response::builder().status(200);
            for (k, v) in pairs {
                b = b.header(*k, *v);
            }
            sdk::config::http::HttpResponse::try_from(b.body(aws_smithy_types::body::SdkBody::empty()).unwrap())
                .unwrap()
        };
        let h = InvocationHeaders::read(&resp(&[
            ("X-Amzn-Bedrock-Invocation-Latency", "265"),
            ("X-Amzn-Bedrock-Input-Token-Count", "13"),
            ("X-Amzn-Bedrock-Output-Token-Count", "3"),
        ]));
        assert_eq!(
            h,
            InvocationHeaders {
                latency_ms: Some(265),
                input_tokens: Some(13),
                output_tokens: Some(3)
            }
        );
        assert_eq!(h.usage().map(|u| (u.input_tokens, u.output_tokens)), Some((13, 3)));
        let h = InvocationHeaders::read(&resp(&[
            ("X-Amzn-Bedrock-Invocation-Latency", "soon"),
            ("X-Amzn-Bedrock-Input-Token-Count", "99999999999"),
        ]));
        assert_eq!(h.latency_ms, None);
        assert_eq!(h.input_tokens, Some(u32::MAX));
        assert_eq!(h.usage(), None, "no output count");
    }
}
