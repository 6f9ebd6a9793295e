//! `client.invoke_model(model)` and `client.invoke_model_stream(model)`:
//! model-native JSON bodies.

use std::marker::PhantomData;
use std::time::Instant;

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use sdk::primitives::Blob;
use serde_json::{Value, json};
use tracing::Instrument;

use super::converse::{base_report, call_span, record};
use super::stream::InvokeModelStream;
use super::{BedrockRuntimeApi, Handle, RuntimeSide, from_sdk_latency, from_sdk_tier, sdk_latency, sdk_tier};
use crate::model_id::ModelId;
use crate::models::{SupportsOptimized, op};
use crate::report::{LatencyReport, ServedLatency, Timing, Usage};
use crate::vocab::{LatencyPolicy, Operation, ServiceTier};
use crate::{Error, Result};

/// The body dialect of a model family, for InvokeModel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFamily {
    /// `anthropic.*`: the Messages API (`anthropic_version: bedrock-2023-05-31`).
    Anthropic,
    /// `amazon.nova*`: `messages-v1`.
    Nova,
    /// `meta.llama*`: `prompt` / `generation`.
    Llama,
    /// Anything else: bring your own body.
    Other,
}

impl ModelFamily {
    /// The family of a model ID.
    pub fn of(model: &ModelId) -> Self {
        let base = model.base_model_id();
        if base.starts_with("anthropic.") {
            ModelFamily::Anthropic
        } else if base.starts_with("amazon.nova") {
            ModelFamily::Nova
        } else if base.starts_with("meta.llama") {
            ModelFamily::Llama
        } else {
            ModelFamily::Other
        }
    }

    /// A single-turn request body in the family's dialect, or `None` for
    /// [`ModelFamily::Other`].
    pub fn request_body(self, prompt: &str, max_tokens: u32) -> Option<Value> {
        Some(match self {
            ModelFamily::Anthropic => json!({
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
            }),
            ModelFamily::Nova => json!({
                "schemaVersion": "messages-v1",
                "messages": [{"role": "user", "content": [{"text": prompt}]}],
                "inferenceConfig": {"maxTokens": max_tokens},
            }),
            ModelFamily::Llama => json!({
                "prompt": format!(
                    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                ),
                "max_gen_len": max_tokens,
            }),
            ModelFamily::Other => return None,
        })
    }

    /// The answer's text in a response body.
    pub fn response_text(self, body: &Value) -> Option<String> {
        let join = |blocks: &Vec<Value>| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<String>()
        };
        match self {
            ModelFamily::Anthropic => body.get("content").and_then(Value::as_array).map(join),
            ModelFamily::Nova => body
                .pointer("/output/message/content")
                .and_then(Value::as_array)
                .map(join),
            ModelFamily::Llama => body.get("generation").and_then(Value::as_str).map(str::to_owned),
            ModelFamily::Other => None,
        }
    }

    /// Token usage in a response body.
    pub fn response_usage(self, body: &Value) -> Option<Usage> {
        let pick = |i: &str, o: &str| {
            let n = |p: &str| {
                body.pointer(p)
                    .and_then(Value::as_u64)
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            };
            Some(Usage {
                input_tokens: n(i)?,
                output_tokens: n(o)?,
            })
        };
        match self {
            ModelFamily::Anthropic => pick("/usage/input_tokens", "/usage/output_tokens"),
            ModelFamily::Nova => pick("/usage/inputTokens", "/usage/outputTokens"),
            ModelFamily::Llama => pick("/prompt_token_count", "/generation_token_count"),
            ModelFamily::Other => None,
        }
    }

    /// Why the model stopped, in a response body or a stream chunk.
    pub fn stop_reason(self, body: &Value) -> Option<String> {
        let s = match self {
            ModelFamily::Anthropic => body.get("stop_reason").or_else(|| body.pointer("/delta/stop_reason")),
            ModelFamily::Nova => body
                .get("stopReason")
                .or_else(|| body.pointer("/messageStop/stopReason")),
            ModelFamily::Llama => body.get("stop_reason"),
            ModelFamily::Other => None,
        };
        s.and_then(Value::as_str).map(str::to_owned)
    }

    /// The text in one stream chunk.
    pub fn stream_text(self, chunk: &Value) -> Option<String> {
        let s = match self {
            ModelFamily::Anthropic => chunk.pointer("/delta/text"),
            ModelFamily::Nova => chunk.pointer("/contentBlockDelta/delta/text"),
            ModelFamily::Llama => chunk.get("generation"),
            ModelFamily::Other => None,
        };
        s.and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_owned)
    }

    pub(crate) fn stream_stop_reason(self, chunk: &Value) -> Option<String> {
        self.stop_reason(chunk)
    }
}

macro_rules! invoke_common {
    ($builder:ident, $op:ty, $sdkb:ty) => {
        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            pub(crate) fn new(client: Handle<RuntimeSide<R>>, model: ModelId) -> Self {
                Self {
                    client,
                    model,
                    body: None,
                    policy: LatencyPolicy::Standard,
                    tier: None,
                    customize: Vec::new(),
                    error: None,
                    marker: PhantomData,
                }
            }

            /// The raw request body (JSON in the model's native format).
            pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
                self.body = Some(body.into());
                self
            }

            /// The request body as a JSON value.
            pub fn body_json(mut self, body: &Value) -> Self {
                match serde_json::to_vec(body) {
                    Ok(b) => self.body = Some(b),
                    Err(e) => {
                        self.error.get_or_insert(Error::InvalidRequest {
                            reason: e.to_string(),
                        });
                    }
                }
                self
            }

            /// A single-turn body in the model family's dialect (Anthropic,
            /// Nova, Llama); other families need [`body`](Self::body).
            pub fn prompt(mut self, prompt: &str, max_tokens: u32) -> Self {
                match ModelFamily::of(&self.model).request_body(prompt, max_tokens) {
                    Some(v) => self.body_json(&v),
                    None => {
                        self.error.get_or_insert(Error::InvalidRequest {
                            reason: format!(
                                "no built-in body format for {}; set one with `.body(...)`",
                                self.model
                            ),
                        });
                        self
                    }
                }
            }

            /// Sets the latency policy (checked before sending).
            pub fn latency(mut self, policy: LatencyPolicy) -> Self {
                self.policy = policy;
                self
            }

            /// Asks for a service tier. **`Flex` is the slow, cheap tier**.
            pub fn service_tier(mut self, tier: ServiceTier) -> Self {
                self.tier = Some(tier);
                self
            }

            /// Sets anything this builder does not model on the SDK input
            /// builder (guardrails, trace, accept ...). Model ID, latency and
            /// tier are set after it, from the checked plan.
            pub fn customize(mut self, f: impl FnOnce($sdkb) -> $sdkb + Send + 'static) -> Self {
                self.customize.push(Box::new(f));
                self
            }
        }

        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            /// Asks for latency-optimized inference. Compiles only for typed
            /// models that offer it on this operation; the client's region is
            /// still checked before sending.
            pub fn optimized(self) -> Self
            where
                M: SupportsOptimized<$op>,
            {
                self.latency(LatencyPolicy::Optimized)
            }
        }

        impl<R, M> std::fmt::Debug for $builder<R, M> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($builder))
                    .field("model", &self.model)
                    .field("policy", &self.policy)
                    .field("tier", &self.tier)
                    .field("body_bytes", &self.body.as_ref().map(Vec::len))
                    .finish_non_exhaustive()
            }
        }
    };
}

/// An `InvokeModel` request.
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeModel<R, M> {
    client: Handle<RuntimeSide<R>>,
    model: ModelId,
    body: Option<Vec<u8>>,
    policy: LatencyPolicy,
    tier: Option<ServiceTier>,
    customize: Vec<Box<dyn FnOnce(InvokeModelInputBuilder) -> InvokeModelInputBuilder + Send>>,
    error: Option<Error>,
    marker: PhantomData<fn() -> M>,
}

invoke_common!(InvokeModel, op::InvokeModel, InvokeModelInputBuilder);

fn estimate_tokens(body: &[u8]) -> u32 {
    u32::try_from(body.len().div_ceil(4)).unwrap_or(u32::MAX)
}

impl<R: BedrockRuntimeApi, M> InvokeModel<R, M> {
    /// Checks, sends and reports.
    pub async fn send(self) -> Result<InvokeModelResponse> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let body = self.body.ok_or_else(|| Error::InvalidRequest {
            reason: "InvokeModel needs a body: use `.prompt(...)`, `.body_json(...)` or `.body(...)`".to_owned(),
        })?;
        let (plan, api) = self.client.plan(
            &self.model,
            Operation::InvokeModel,
            self.policy,
            Some(estimate_tokens(&body)),
        )?;
        let mut b = sdk::operation::invoke_model::InvokeModelInput::builder()
            .body(Blob::new(body))
            .content_type("application/json")
            .accept("application/json");
        for f in self.customize {
            b = f(b);
        }
        b = b
            .model_id(&plan.model_id)
            .performance_config_latency(sdk_latency(plan.latency));
        if let Some(t) = self.tier {
            b = b.service_tier(sdk_tier(t));
        }
        let span = call_span(&plan, self.tier);
        let mut report = base_report(&plan, self.client.region(), self.tier);
        let start = Instant::now();
        let out = match send_checked!(api, span, b, invoke_model, invoke_model_output) {
            Ok(o) => o,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        let total = start.elapsed();
        let family = ModelFamily::of(&self.model);
        let o = out.output;
        let json: Option<Value> = serde_json::from_slice(o.body().as_ref()).ok();
        report.request_id = out.request_id;
        report.usage = json.as_ref().and_then(|v| family.response_usage(v));
        report.served = o
            .performance_config_latency()
            .and_then(from_sdk_latency)
            .map_or(ServedLatency::NotReported, ServedLatency::Reported);
        report.served_tier = o.service_tier().and_then(from_sdk_tier);
        report.timing = Timing::finish(total, None, None, report.usage.map(|u| u.output_tokens));
        report.judge_downgrade(plan.fallback.clone(), plan.token_cap());
        record(&span, &report);
        Ok(InvokeModelResponse {
            body: o.body().as_ref().to_vec(),
            content_type: Some(o.content_type().to_owned()),
            text: json.as_ref().and_then(|v| family.response_text(v)),
            stop_reason: json.as_ref().and_then(|v| family.stop_reason(v)),
            report,
            raw: Some(o),
        })
    }
}

/// The answer to an InvokeModel request (or a collected stream).
#[derive(Debug, Clone)]
pub struct InvokeModelResponse {
    /// The raw response body (empty for a collected stream).
    pub body: Vec<u8>,
    /// The response content type.
    pub content_type: Option<String>,
    /// The answer's text, for the families this crate knows.
    pub text: Option<String>,
    /// Why the model stopped, when the body says.
    pub stop_reason: Option<String>,
    /// What was requested, what served it and how long it took.
    pub report: LatencyReport,
    /// The SDK output (InvokeModel only).
    pub raw: Option<InvokeModelOutput>,
}

impl InvokeModelResponse {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| Error::InvalidRequest {
            reason: format!("the response body is not JSON: {e}"),
        })
    }
}

/// An `InvokeModelWithResponseStream` request.
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeModelStreamRequest<R, M> {
    client: Handle<RuntimeSide<R>>,
    model: ModelId,
    body: Option<Vec<u8>>,
    policy: LatencyPolicy,
    tier: Option<ServiceTier>,
    customize: Vec<
        Box<dyn FnOnce(InvokeModelWithResponseStreamInputBuilder) -> InvokeModelWithResponseStreamInputBuilder + Send>,
    >,
    error: Option<Error>,
    marker: PhantomData<fn() -> M>,
}

invoke_common!(
    InvokeModelStreamRequest,
    op::InvokeModelStream,
    InvokeModelWithResponseStreamInputBuilder
);

impl<R: BedrockRuntimeApi, M> InvokeModelStreamRequest<R, M> {
    /// Checks, sends, and returns the stream once the headers arrive.
    pub async fn send(self) -> Result<InvokeModelStream> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let body = self.body.ok_or_else(|| Error::InvalidRequest {
            reason: "InvokeModelWithResponseStream needs a body: use `.prompt(...)`, `.body_json(...)` or `.body(...)`"
                .to_owned(),
        })?;
        let (plan, api) = self.client.plan(
            &self.model,
            Operation::InvokeModelStream,
            self.policy,
            Some(estimate_tokens(&body)),
        )?;
        let mut b = sdk::operation::invoke_model_with_response_stream::InvokeModelWithResponseStreamInput::builder()
            .body(Blob::new(body))
            .content_type("application/json")
            .accept("application/json");
        for f in self.customize {
            b = f(b);
        }
        b = b
            .model_id(&plan.model_id)
            .performance_config_latency(sdk_latency(plan.latency));
        if let Some(t) = self.tier {
            b = b.service_tier(sdk_tier(t));
        }
        let span = call_span(&plan, self.tier);
        let report: LatencyReport = base_report(&plan, self.client.region(), self.tier);
        let start = Instant::now();
        let raw = match send_checked!(api, span, b, invoke_model_stream, invoke_model_stream_output) {
            Ok(r) => r,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        Ok(InvokeModelStream::new(
            raw,
            start,
            report,
            plan.fallback.clone(),
            plan.token_cap(),
            ModelFamily::of(&self.model),
            span,
        ))
    }
}
