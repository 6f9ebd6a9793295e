//! `client.invoke_model(model)` and `client.invoke_model_stream(model)`:
//! model-native JSON bodies.

use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use sdk::primitives::Blob;
use serde_json::Value;

use super::common::Common;
use super::family::ModelFamily;
use super::response::InvokeModelResponse;
use super::send::{RuntimeInput, RuntimeSend, SdkConfigMap, send};
use super::stream::InvokeModelStream;
use super::tail_send::{TailCall, TailInput, send_for_call, tail_input};
use super::{BedrockRuntimeApi, RuntimeSide, estimate_tokens, from_sdk_latency, from_sdk_tier, sdk_latency, sdk_tier};
use crate::call::{Call, Question, TailSettings};
use crate::check::Plan;
use crate::model_id::ModelId;
use crate::models::{SupportsOptimized, op};
use crate::report::ServedLatency;
use crate::telemetry::RequestInfo;
use crate::vocab::{LatencyPolicy, Operation};
use crate::{Error, Result};

/// The fields this crate sets on an InvokeModel or
/// InvokeModelWithResponseStream input builder.
pub(crate) trait InvokeFields: Sized + Default {
    fn body(self, v: Blob) -> Self;
    fn content_type(self, v: &str) -> Self;
    fn accept(self, v: &str) -> Self;
    fn model_id(self, v: &str) -> Self;
    fn performance_config_latency(self, v: sdk::types::PerformanceConfigLatency) -> Self;
    fn service_tier(self, v: sdk::types::ServiceTierType) -> Self;
    fn set_service_tier(self, v: Option<sdk::types::ServiceTierType>) -> Self;
}

macro_rules! invoke_fields {
    ($($t:ty),*) => {$(
        impl InvokeFields for $t {
            fn body(self, v: Blob) -> Self { <$t>::body(self, v) }
            fn content_type(self, v: &str) -> Self { <$t>::content_type(self, v) }
            fn accept(self, v: &str) -> Self { <$t>::accept(self, v) }
            fn model_id(self, v: &str) -> Self { <$t>::model_id(self, v) }
            fn performance_config_latency(self, v: sdk::types::PerformanceConfigLatency) -> Self {
                <$t>::performance_config_latency(self, v)
            }
            fn service_tier(self, v: sdk::types::ServiceTierType) -> Self { <$t>::service_tier(self, v) }
            fn set_service_tier(self, v: Option<sdk::types::ServiceTierType>) -> Self {
                <$t>::set_service_tier(self, v)
            }
        }
    )*};
}

invoke_fields!(InvokeModelInputBuilder, InvokeModelWithResponseStreamInputBuilder);

/// The parts shared by the two InvokeModel builders.
pub(crate) struct InvokeParts<B> {
    body: Option<Vec<u8>>,
    pub(super) common: Common<B>,
}

impl<B> Default for InvokeParts<B> {
    fn default() -> Self {
        Self {
            body: None,
            common: Common::default(),
        }
    }
}

/// What an InvokeModel request is about to send, checked.
struct Prepared<'m, B> {
    plan: Arc<Plan>,
    input: B,
    config: Option<SdkConfigMap>,
    max_tokens: Option<u32>,
    question: Question<'m>,
    tail: Option<TailSettings>,
}

impl<B: TailInput> Prepared<'_, B> {
    /// Sends on the plain path, or with hedging and failover when on.
    async fn send<R: BedrockRuntimeApi>(self, side: &RuntimeSide<R>, api: &R, call: &mut Call) -> Result<B::Output>
    where
        B: RuntimeSend<R>,
    {
        let Some(settings) = self.tail else {
            return send(api, self.input, self.config, &call.span).await;
        };
        let tc = TailCall::new(side, self.question, settings);
        send_for_call(tc, self.input, self.config, call).await
    }
}

impl<B: RuntimeInput> std::fmt::Debug for Prepared<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

impl<B> InvokeParts<B> {
    /// The builder's own fields in its `Debug` output: the body's length
    /// (never the body, which holds the prompt).
    pub(super) fn debug_fields(&self, d: &mut std::fmt::DebugStruct<'_, '_>) {
        d.field("body_bytes", &self.body.as_ref().map(Vec::len));
    }
}

impl<B: InvokeFields> InvokeParts<B> {
    /// Checks the request and fills the SDK input builder: the body, the
    /// `map_input` closures, then the plan's model ID, latency and tier.
    fn prepare<'s, 'm, R: BedrockRuntimeApi>(
        self,
        side: &'s RuntimeSide<R>,
        model: &'m ModelId,
        op: Operation,
    ) -> Result<(Prepared<'m, B>, &'s R)> {
        if let Some(e) = self.common.error {
            return Err(e);
        }
        let body = self.body.ok_or_else(|| Error::InvalidRequest {
            reason: format!(
                "{} needs a body: use `.prompt(...)`, `.body_json(...)` or `.body(...)`",
                op.aws_name()
            ),
        })?;
        let mut q = self.common.question(model, op);
        // The token cap counts input plus the requested output: estimated
        // only for models that have a cap (it means parsing the body).
        let mut max_tokens = None;
        if side.token_cap(model).is_some() {
            max_tokens = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| ModelFamily::of(model).request_max_tokens(&v));
            let input = estimate_tokens(String::from_utf8_lossy(&body).chars().count());
            q.total_tokens = Some(input.saturating_add(max_tokens.unwrap_or(0)));
        }
        let (plan, api) = side.plan(q)?;
        let b = B::default()
            .body(Blob::new(body))
            .content_type("application/json")
            .accept("application/json");
        let (mut b, config) = self.common.escape.apply(b);
        b = b
            .model_id(plan.model_id.as_deref().unwrap_or_default())
            .performance_config_latency(sdk_latency(plan.latency));
        if let Some(t) = plan.service_tier {
            b = b.service_tier(sdk_tier(t));
        }
        Ok((
            Prepared {
                plan,
                input: b,
                config,
                max_tokens,
                question: q,
                tail: self.common.tail.settings(&side.tail),
            },
            api,
        ))
    }
}

macro_rules! invoke_common {
    ($builder:ident, $op:ty, $sdkb:ty) => {
        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            pub(crate) fn new(client: Arc<RuntimeSide<R>>, model: ModelId) -> Self {
                Self {
                    client,
                    model,
                    parts: InvokeParts::default(),
                    marker: PhantomData,
                }
            }

            /// The raw request body (JSON in the model's native format).
            pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
                self.parts.body = Some(body.into());
                self
            }

            /// The request body as a JSON value.
            pub fn body_json(mut self, body: &Value) -> Self {
                match serde_json::to_vec(body) {
                    Ok(b) => self.parts.body = Some(b),
                    Err(e) => self.parts.common.fail(crate::call::invalid(e)),
                }
                self
            }

            /// A single-turn body in the model family's dialect (Anthropic,
            /// Nova, Llama); other families need [`body`](Self::body).
            pub fn prompt(mut self, prompt: &str, max_tokens: u32) -> Self {
                match ModelFamily::of(&self.model).request_body(prompt, max_tokens) {
                    Some(v) => self.body_json(&v),
                    None => {
                        let reason = format!(
                            "no built-in body format for {}; set one with `.body(...)`",
                            self.model
                        );
                        self.parts.common.fail(Error::InvalidRequest { reason });
                        self
                    }
                }
            }
        }

        super::request_methods!($builder, $op, $sdkb);
    };
}

/// An `InvokeModel` request, answered by an [`InvokeModelResponse`].
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeModelRequest<R, M> {
    client: Arc<RuntimeSide<R>>,
    model: ModelId,
    parts: InvokeParts<InvokeModelInputBuilder>,
    marker: PhantomData<fn() -> M>,
}

invoke_common!(InvokeModelRequest, op::InvokeModelOp, InvokeModelInputBuilder);

impl<R: BedrockRuntimeApi, M> InvokeModelRequest<R, M> {
    /// Checks, sends and reports.
    pub async fn send(self) -> Result<InvokeModelResponse> {
        let (p, api) = self.parts.prepare(&self.client, &self.model, Operation::InvokeModel)?;
        let mut call = Call::start(&p.plan, self.client.origin(), None);
        call.max_output_tokens(p.max_tokens);
        call.request(|| max_tokens_info(p.max_tokens));
        let (out, headers) = p.send(&self.client, api, &mut call).await.map_err(|e| call.failed(e))?;
        let family = ModelFamily::of(&self.model);
        let o = out.output;
        let json: Option<Value> = serde_json::from_slice(o.body().as_ref()).ok();
        let stop_reason = json.as_ref().and_then(|v| family.stop_reason(v));
        call.stop_reason(stop_reason.as_deref());
        let report = call.finish_with(|r| {
            r.request_id = out.request_id;
            // The body's own count where the crate reads the family's body,
            // else the headers' (X-Amzn-Bedrock-Input/Output-Token-Count).
            r.usage = json
                .as_ref()
                .and_then(|v| family.response_usage(v))
                .or_else(|| headers.and_then(|h| h.usage()));
            r.timing.server_latency = headers.and_then(|h| h.latency_ms).map(std::time::Duration::from_millis);
            r.served = o
                .performance_config_latency()
                .and_then(from_sdk_latency)
                .map_or(ServedLatency::NotReported, ServedLatency::Reported);
            r.served_tier = o.service_tier().and_then(from_sdk_tier);
        });
        Ok(InvokeModelResponse {
            body: o.body().as_ref().to_vec(),
            content_type: Some(o.content_type().to_owned()),
            text: json.as_ref().and_then(|v| family.response_text(v)),
            stop_reason,
            report,
            raw: Some(o),
        })
    }
}

/// An `InvokeModelWithResponseStream` request, answered by an
/// [`InvokeModelStream`].
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeModelStreamRequest<R, M> {
    client: Arc<RuntimeSide<R>>,
    model: ModelId,
    parts: InvokeParts<InvokeModelWithResponseStreamInputBuilder>,
    marker: PhantomData<fn() -> M>,
}

invoke_common!(
    InvokeModelStreamRequest,
    op::InvokeModelStreamOp,
    InvokeModelWithResponseStreamInputBuilder
);

impl<R: BedrockRuntimeApi, M> InvokeModelStreamRequest<R, M> {
    /// Checks, sends, and returns the stream once the headers arrive.
    pub async fn send(self) -> Result<InvokeModelStream> {
        let (p, api) = self
            .parts
            .prepare(&self.client, &self.model, Operation::InvokeModelStream)?;
        let mut call = Call::start(&p.plan, self.client.origin(), None);
        call.max_output_tokens(p.max_tokens);
        call.request(|| max_tokens_info(p.max_tokens));
        let raw = p.send(&self.client, api, &mut call).await.map_err(|e| call.failed(e))?;
        Ok(InvokeModelStream::new(raw, call, ModelFamily::of(&self.model)))
    }
}

/// What the spans say of an InvokeModel request: the body is the model's
/// own JSON, so only the maximum of output tokens the crate knows.
fn max_tokens_info(max_tokens: Option<u32>) -> RequestInfo {
    RequestInfo {
        max_tokens: max_tokens.map(i64::from),
        ..RequestInfo::default()
    }
}

/// [`TailInput::for_plan`] of the two InvokeModel input builders.
fn invoke_for_plan<B: InvokeFields>(b: B, plan: &Plan) -> B {
    b.model_id(plan.model_id.as_deref().unwrap_or_default())
        .performance_config_latency(sdk_latency(plan.latency))
        .set_service_tier(plan.service_tier.map(sdk_tier))
}

tail_input!(invoke_for_plan: InvokeModelInputBuilder, InvokeModelWithResponseStreamInputBuilder);
