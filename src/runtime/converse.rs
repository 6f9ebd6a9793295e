//! `client.converse(model)` and `client.converse_stream(model)`.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock, ToolConfiguration,
};
use tracing::Instrument;

use super::stream::ConverseStream;
use super::{
    BedrockRuntimeApi, Handle, RuntimeSide, WithRequestId, from_sdk_latency, from_sdk_tier, performance_config,
    sdk_tier,
};
use crate::check::Plan;
use crate::models::{SupportsOptimized, op};
use crate::report::{LatencyReport, ServedLatency, Timing, Usage};
use crate::vocab::{LatencyPolicy, Operation, ServiceTier};
use crate::{Error, Result};

/// Fills a Converse or ConverseStream input builder (the same fields on two
/// SDK types) from the request's parts, its `customize` closures and the
/// plan; evaluates to the builder and the requested tier. Only the fields
/// that are set are touched: each builder call moves the whole builder.
macro_rules! converse_input {
    ($builder:expr, $parts:expr, $customize:expr, $plan:expr) => {{
        let p = $parts;
        let mut b = $builder.set_messages(Some(p.messages));
        if !p.system.is_empty() {
            b = b.set_system(Some(p.system));
        }
        if let Some(c) = inference_config(p.inference) {
            b = b.inference_config(c);
        }
        if let Some(t) = p.tool_config {
            b = b.tool_config(t);
        }
        for f in $customize {
            b = f(b);
        }
        b = b
            .model_id(&$plan.model_id)
            .performance_config(performance_config($plan.latency));
        if let Some(t) = tier_config(p.tier)? {
            b = b.service_tier(t);
        }
        (b, p.tier)
    }};
}

/// The parts shared by Converse and ConverseStream requests.
#[derive(Debug, Default)]
pub(crate) struct ConverseParts {
    pub(crate) messages: Vec<Message>,
    pub(crate) system: Vec<SystemContentBlock>,
    pub(crate) inference: sdk::types::builders::InferenceConfigurationBuilder,
    pub(crate) tool_config: Option<ToolConfiguration>,
    pub(crate) policy: LatencyPolicy,
    pub(crate) tier: Option<ServiceTier>,
}

impl ConverseParts {
    fn push(&mut self, role: ConversationRole, text: String) -> Result<()> {
        let m = Message::builder()
            .role(role)
            .content(ContentBlock::Text(text))
            .build()
            .map_err(|e| Error::InvalidRequest { reason: e.to_string() })?;
        self.messages.push(m);
        Ok(())
    }
}

/// Starts the per-call tracing span; no prompt or completion text in it.
pub(crate) fn call_span(plan: &Plan, tier: Option<ServiceTier>) -> tracing::Span {
    tracing::info_span!(
        "bedrock_call",
        operation = %plan.operation,
        model = %plan.model_id,
        region = %plan.region,
        requested = %plan.policy,
        sent = %plan.latency,
        requested_tier = tier.map(ServiceTier::as_str),
        served = tracing::field::Empty,
        served_tier = tracing::field::Empty,
        downgraded = tracing::field::Empty,
        total_ms = tracing::field::Empty,
        ttft_ms = tracing::field::Empty,
        server_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    )
}

/// Records the outcome on the span and logs one event.
pub(crate) fn record(span: &tracing::Span, r: &LatencyReport) {
    if !span.is_disabled() {
        record_fields(span, r);
    }
    span.in_scope(|| {
        if let Some(d) = &r.downgrade {
            tracing::warn!(reason = %d, "optimized latency requested, standard served");
        } else {
            tracing::debug!("bedrock call finished");
        }
    });
}

/// The outcome's span fields (looked up by name: skipped when no
/// subscriber wants the span).
fn record_fields(span: &tracing::Span, r: &LatencyReport) {
    span.record("served", tracing::field::display(r.served));
    if let Some(t) = r.served_tier {
        span.record("served_tier", t.as_str());
    }
    span.record("downgraded", r.downgraded());
    span.record("total_ms", r.timing.total.as_secs_f64() * 1e3);
    if let Some(t) = r.timing.time_to_first_token {
        span.record("ttft_ms", t.as_secs_f64() * 1e3);
    }
    if let Some(t) = r.timing.server_latency {
        span.record("server_ms", t.as_secs_f64() * 1e3);
    }
    if let Some(id) = &r.request_id {
        span.record("request_id", id.as_str());
    }
}

/// The report of a request about to be sent; the served fields are filled
/// in when the answer arrives.
pub(crate) fn base_report(plan: &Plan, client_region: &str, tier: Option<ServiceTier>) -> LatencyReport {
    LatencyReport {
        operation: plan.operation,
        model_id: plan.model_id.clone(),
        region: plan.region.clone(),
        routed_from: (plan.region != client_region).then(|| client_region.to_owned()),
        requested: plan.policy,
        sent: plan.latency,
        requested_tier: tier,
        served: ServedLatency::NotReported,
        served_tier: None,
        downgrade: None,
        timing: Timing::default(),
        usage: None,
        request_id: None,
        warnings: plan.warnings.clone(),
    }
}

pub(crate) fn usage_of(u: &sdk::types::TokenUsage) -> Usage {
    Usage {
        input_tokens: u.input_tokens().max(0) as u32,
        output_tokens: u.output_tokens().max(0) as u32,
    }
}

pub(crate) fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

macro_rules! converse_common {
    ($builder:ident, $op:ty) => {
        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            pub(crate) fn new(client: Handle<RuntimeSide<R>>, model: crate::model_id::ModelId) -> Self {
                Self {
                    client,
                    model,
                    parts: ConverseParts::default(),
                    customize: Vec::new(),
                    error: None,
                    marker: PhantomData,
                }
            }

            fn push(mut self, role: ConversationRole, text: impl Into<String>) -> Self {
                if let Err(e) = self.parts.push(role, text.into()) {
                    self.error.get_or_insert(e);
                }
                self
            }

            /// Appends a user message.
            pub fn user(self, text: impl Into<String>) -> Self {
                self.push(ConversationRole::User, text)
            }

            /// Appends an assistant message (for multi-turn conversations).
            pub fn assistant(self, text: impl Into<String>) -> Self {
                self.push(ConversationRole::Assistant, text)
            }

            /// Appends any SDK message (images, documents, tool results ...).
            pub fn message(mut self, message: Message) -> Self {
                self.parts.messages.push(message);
                self
            }

            /// Adds a system prompt.
            pub fn system(mut self, text: impl Into<String>) -> Self {
                self.parts.system.push(SystemContentBlock::Text(text.into()));
                self
            }

            /// Sets the maximum number of output tokens.
            pub fn max_tokens(mut self, n: u32) -> Self {
                self.parts.inference =
                    std::mem::take(&mut self.parts.inference).max_tokens(i32::try_from(n).unwrap_or(i32::MAX));
                self
            }

            /// Sets the sampling temperature.
            pub fn temperature(mut self, t: f32) -> Self {
                self.parts.inference = std::mem::take(&mut self.parts.inference).temperature(t);
                self
            }

            /// Sets nucleus sampling.
            pub fn top_p(mut self, p: f32) -> Self {
                self.parts.inference = std::mem::take(&mut self.parts.inference).top_p(p);
                self
            }

            /// Adds a stop sequence.
            pub fn stop_sequence(mut self, s: impl Into<String>) -> Self {
                self.parts.inference = std::mem::take(&mut self.parts.inference).stop_sequences(s);
                self
            }

            /// Sets the whole inference configuration.
            pub fn inference_config(mut self, config: InferenceConfiguration) -> Self {
                self.parts.inference = InferenceConfiguration::builder()
                    .set_max_tokens(config.max_tokens)
                    .set_temperature(config.temperature)
                    .set_top_p(config.top_p)
                    .set_stop_sequences(config.stop_sequences);
                self
            }

            /// Sets the tool configuration.
            pub fn tool_config(mut self, config: ToolConfiguration) -> Self {
                self.parts.tool_config = Some(config);
                self
            }

            /// Sets the latency policy (checked against the catalog before
            /// sending). Typed models that honor it also have `.optimized()`.
            pub fn latency(mut self, policy: LatencyPolicy) -> Self {
                self.parts.policy = policy;
                self
            }

            /// Asks for a service tier. **`Flex` is the slow, cheap tier**;
            /// `Priority` is the fast one, at a premium.
            pub fn service_tier(mut self, tier: ServiceTier) -> Self {
                self.parts.tier = Some(tier);
                self
            }

            /// The model ID as given.
            pub fn model_id(&self) -> &crate::model_id::ModelId {
                &self.model
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
    };
}

/// A `Converse` request: `client.converse(model).user("...").send().await`.
#[must_use = "a request does nothing until `.send().await`"]
pub struct Converse<R, M> {
    client: Handle<RuntimeSide<R>>,
    model: crate::model_id::ModelId,
    parts: ConverseParts,
    customize: Vec<Box<dyn FnOnce(ConverseInputBuilder) -> ConverseInputBuilder + Send>>,
    error: Option<Error>,
    marker: PhantomData<fn() -> M>,
}

impl<R, M> std::fmt::Debug for Converse<R, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converse")
            .field("model", &self.model)
            .field("policy", &self.parts.policy)
            .field("tier", &self.parts.tier)
            .finish_non_exhaustive()
    }
}

converse_common!(Converse, op::Converse);

impl<R: BedrockRuntimeApi, M> Converse<R, M> {
    /// Sets anything this builder does not model on the SDK input builder.
    /// The model ID and performance configuration are set after it, from
    /// the checked plan.
    pub fn customize(mut self, f: impl FnOnce(ConverseInputBuilder) -> ConverseInputBuilder + Send + 'static) -> Self {
        self.customize.push(Box::new(f));
        self
    }

    /// Checks the request against the catalog, sends it, and reports what
    /// served it. A refused request sends nothing.
    pub async fn send(self) -> Result<ConverseResponse> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let (plan, api) = self
            .client
            .plan(&self.model, Operation::Converse, self.parts.policy, None)?;
        let (b, tier) = converse_input!(
            sdk::operation::converse::ConverseInput::builder(),
            self.parts,
            self.customize,
            plan
        );
        let span = call_span(&plan, tier);
        let start = Instant::now();
        let out = send_checked!(api, span, b, converse, converse_output);
        let total = start.elapsed();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        // The report is made after the call so that it is not carried
        // across the await (a smaller future, fewer copies).
        let mut report = base_report(&plan, self.client.region(), tier);
        let WithRequestId { output, request_id } = out;
        let o = &output;
        report.request_id = request_id;
        report.usage = o.usage().map(usage_of);
        report.served = o
            .performance_config()
            .and_then(|pc| from_sdk_latency(pc.latency()))
            .map_or(ServedLatency::NotReported, ServedLatency::Reported);
        report.served_tier = o.service_tier().and_then(|t| from_sdk_tier(t.r#type()));
        report.timing = Timing::finish(
            total,
            None,
            o.metrics().map(|m| millis(m.latency_ms())),
            report.usage.map(|u| u.output_tokens),
        );
        report.judge_downgrade(plan.fallback.clone(), plan.token_cap());
        record(&span, &report);
        Ok(ConverseResponse {
            text: text_of(&output),
            stop_reason: Some(output.stop_reason().as_str().to_owned()),
            report,
            raw: Some(output),
        })
    }
}

/// The inference configuration, or `None` when nothing was set (so the
/// request carries no empty `inferenceConfig`).
fn inference_config(b: sdk::types::builders::InferenceConfigurationBuilder) -> Option<InferenceConfiguration> {
    (b != sdk::types::builders::InferenceConfigurationBuilder::default()).then(|| b.build())
}

/// The SDK's service tier structure for an optional tier.
pub(crate) fn tier_config(tier: Option<ServiceTier>) -> Result<Option<sdk::types::ServiceTier>> {
    tier.map(|t| sdk::types::ServiceTier::builder().r#type(sdk_tier(t)).build())
        .transpose()
        .map_err(|e| Error::InvalidRequest { reason: e.to_string() })
}

fn text_of(o: &ConverseOutput) -> String {
    let mut text = String::new();
    if let Some(sdk::types::ConverseOutput::Message(m)) = o.output() {
        for block in m.content() {
            if let ContentBlock::Text(t) = block {
                text.push_str(t);
            }
        }
    }
    text
}

/// The answer to a Converse request (or a collected ConverseStream).
#[derive(Debug, Clone)]
pub struct ConverseResponse {
    /// The answer's text (all text blocks, concatenated).
    pub text: String,
    /// Why the model stopped (`end_turn`, `max_tokens`, `tool_use` ...).
    pub stop_reason: Option<String>,
    /// What was requested, what served it and how long it took.
    pub report: LatencyReport,
    /// The SDK output (Converse only; `None` for a collected stream).
    pub raw: Option<ConverseOutput>,
}

/// A `ConverseStream` request: `client.converse_stream(model).user("...").send().await`.
#[must_use = "a request does nothing until `.send().await`"]
pub struct ConverseStreamRequest<R, M> {
    client: Handle<RuntimeSide<R>>,
    model: crate::model_id::ModelId,
    parts: ConverseParts,
    customize: Vec<Box<dyn FnOnce(ConverseStreamInputBuilder) -> ConverseStreamInputBuilder + Send>>,
    error: Option<Error>,
    marker: PhantomData<fn() -> M>,
}

impl<R, M> std::fmt::Debug for ConverseStreamRequest<R, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConverseStreamRequest")
            .field("model", &self.model)
            .field("policy", &self.parts.policy)
            .field("tier", &self.parts.tier)
            .finish_non_exhaustive()
    }
}

converse_common!(ConverseStreamRequest, op::ConverseStream);

impl<R: BedrockRuntimeApi, M> ConverseStreamRequest<R, M> {
    /// Sets anything this builder does not model on the SDK input builder.
    pub fn customize(
        mut self,
        f: impl FnOnce(ConverseStreamInputBuilder) -> ConverseStreamInputBuilder + Send + 'static,
    ) -> Self {
        self.customize.push(Box::new(f));
        self
    }

    /// Checks, sends, and returns the stream of events once the response
    /// headers arrive. A refused request sends nothing.
    pub async fn send(self) -> Result<ConverseStream> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let (plan, api) = self
            .client
            .plan(&self.model, Operation::ConverseStream, self.parts.policy, None)?;
        let (b, tier) = converse_input!(
            sdk::operation::converse_stream::ConverseStreamInput::builder(),
            self.parts,
            self.customize,
            plan
        );
        let span = call_span(&plan, tier);
        let mut report = base_report(&plan, self.client.region(), tier);
        let start = Instant::now();
        let raw = match send_checked!(api, span, b, converse_stream, converse_stream_output) {
            Ok(r) => r,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        report.request_id = raw.request_id.clone();
        Ok(ConverseStream::new(
            raw.events,
            start,
            report,
            plan.fallback.clone(),
            plan.token_cap(),
            span,
        ))
    }
}
