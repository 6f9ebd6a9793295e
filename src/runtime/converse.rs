//! `client.converse(model)` and `client.converse_stream(model)`.

use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::types::builders::InferenceConfigurationBuilder;
use sdk::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock, ToolConfiguration,
};

use super::api::SdkRuntime;
use super::common::Common;
use super::response::{ConverseResponse, usage_of};
use super::send::{SdkConfigMap, direct, send};
use super::stream::ConverseStream;
use super::tail_send::{TailCall, send_for_call, tail_input};
use super::{
    BedrockRuntimeApi, RuntimeSide, converse_tier, estimate_tokens, from_sdk_latency, from_sdk_tier, performance_config,
};
use crate::Result;
use crate::call::{Call, Question, WithRequestId, invalid, millis};
use crate::check::Plan;
use crate::models::{SupportsOptimized, op};
use crate::report::ServedLatency;
use crate::telemetry::{Input, Message as TelMessage, Part, RequestInfo};
use crate::vocab::{LatencyPolicy, Operation};

/// The fields this crate sets on a Converse or ConverseStream input builder
/// (the same fields on two SDK types).
pub(crate) trait ConverseFields: Sized + Default {
    fn set_messages(self, v: Option<Vec<Message>>) -> Self;
    fn set_system(self, v: Option<Vec<SystemContentBlock>>) -> Self;
    fn set_inference_config(self, v: Option<InferenceConfiguration>) -> Self;
    fn set_tool_config(self, v: Option<ToolConfiguration>) -> Self;
    fn model_id(self, v: &str) -> Self;
    fn performance_config(self, v: sdk::types::PerformanceConfiguration) -> Self;
    fn service_tier(self, v: sdk::types::ServiceTier) -> Self;
    fn set_service_tier(self, v: Option<sdk::types::ServiceTier>) -> Self;
    fn get_messages(&self) -> &Option<Vec<Message>>;
    fn get_system(&self) -> &Option<Vec<SystemContentBlock>>;
    fn get_inference_config(&self) -> &Option<InferenceConfiguration>;
    fn guardrail_id(&self) -> Option<&str>;
}

macro_rules! converse_fields {
    ($($t:ty),*) => {$(
        impl ConverseFields for $t {
            fn set_messages(self, v: Option<Vec<Message>>) -> Self { <$t>::set_messages(self, v) }
            fn set_system(self, v: Option<Vec<SystemContentBlock>>) -> Self { <$t>::set_system(self, v) }
            fn set_inference_config(self, v: Option<InferenceConfiguration>) -> Self {
                <$t>::set_inference_config(self, v)
            }
            fn set_tool_config(self, v: Option<ToolConfiguration>) -> Self { <$t>::set_tool_config(self, v) }
            fn model_id(self, v: &str) -> Self { <$t>::model_id(self, v) }
            fn performance_config(self, v: sdk::types::PerformanceConfiguration) -> Self {
                <$t>::performance_config(self, v)
            }
            fn service_tier(self, v: sdk::types::ServiceTier) -> Self { <$t>::service_tier(self, v) }
            fn set_service_tier(self, v: Option<sdk::types::ServiceTier>) -> Self { <$t>::set_service_tier(self, v) }
            fn get_messages(&self) -> &Option<Vec<Message>> { <$t>::get_messages(self) }
            fn get_system(&self) -> &Option<Vec<SystemContentBlock>> { <$t>::get_system(self) }
            fn get_inference_config(&self) -> &Option<InferenceConfiguration> { <$t>::get_inference_config(self) }
            fn guardrail_id(&self) -> Option<&str> {
                <$t>::get_guardrail_config(self).as_ref().map(|g| g.guardrail_identifier())
            }
        }
    )*};
}

converse_fields!(ConverseInputBuilder, ConverseStreamInputBuilder);

/// What the spans say of a Converse request, from the input as it is sent
/// (after `map_input`).
fn request_info<B: ConverseFields>(b: &B) -> RequestInfo {
    let inference = b.get_inference_config().as_ref();
    RequestInfo {
        max_tokens: inference.and_then(|c| c.max_tokens()).map(i64::from),
        temperature: inference.and_then(|c| c.temperature()),
        top_p: inference.and_then(|c| c.top_p()),
        guardrail_id: b.guardrail_id().map(str::to_owned),
        ..RequestInfo::default()
    }
}

/// The request's content, for capture: messages and system prompt, text
/// cut to `max` characters, other blocks by kind.
fn captured<B: ConverseFields>(b: &B, max: usize) -> Input {
    let part = |block: &ContentBlock| match block {
        ContentBlock::Text(t) => Part::text(t, max),
        ContentBlock::Image(_) => Part::Other { r#type: "image" },
        ContentBlock::Document(_) => Part::Other { r#type: "document" },
        ContentBlock::Video(_) => Part::Other { r#type: "video" },
        ContentBlock::ToolUse(_) => Part::Other { r#type: "tool_call" },
        ContentBlock::ToolResult(_) => Part::Other {
            r#type: "tool_call_response",
        },
        _ => Part::Other { r#type: "unknown" },
    };
    let messages = b.get_messages().iter().flatten().map(|m| {
        let role = match m.role() {
            ConversationRole::Assistant => "assistant",
            _ => "user",
        };
        TelMessage::input(role, m.content().iter().map(part).collect())
    });
    let system = b.get_system().iter().flatten().filter_map(|s| match s {
        SystemContentBlock::Text(t) => Some(Part::text(t, max)),
        _ => None,
    });
    Input {
        messages: messages.collect(),
        system: system.collect(),
    }
}

/// The parts shared by Converse and ConverseStream requests.
pub(crate) struct ConverseParts<B> {
    messages: Vec<Message>,
    system: Vec<SystemContentBlock>,
    inference: InferenceConfigurationBuilder,
    tool_config: Option<ToolConfiguration>,
    pub(super) common: Common<B>,
}

impl<B> Default for ConverseParts<B> {
    fn default() -> Self {
        Self {
            messages: Vec::new(),
            system: Vec::new(),
            inference: InferenceConfigurationBuilder::default(),
            tool_config: None,
            common: Common::default(),
        }
    }
}

impl<B> ConverseParts<B> {
    /// The builder's own fields in its `Debug` output: none beyond the
    /// common ones (messages may hold prompts, which are never printed).
    pub(super) fn debug_fields(&self, _: &mut std::fmt::DebugStruct<'_, '_>) {}
}

impl<B: ConverseFields> ConverseParts<B> {
    fn push(&mut self, role: ConversationRole, text: String) {
        match Message::builder().role(role).content(ContentBlock::Text(text)).build() {
            Ok(m) => self.messages.push(m),
            Err(e) => self.common.fail(invalid(e)),
        }
    }

    /// Characters of text in the messages and system prompt, for the token
    /// estimate (counted only for models with a token cap).
    fn text_chars(&self) -> usize {
        let messages = self.messages.iter().flat_map(|m| m.content());
        let texts = messages.filter_map(|b| b.as_text().ok());
        let system = self.system.iter().filter_map(|s| s.as_text().ok());
        texts.chain(system).map(|t| t.chars().count()).sum()
    }

    /// The requested maximum of output tokens, if set.
    fn max_tokens(&self) -> Option<u32> {
        self.inference.get_max_tokens().and_then(|n| u32::try_from(n).ok())
    }

    /// The planner's question: with a token count only for models with a
    /// token cap (input estimate plus the requested maximum of output tokens).
    fn question<'a, R: BedrockRuntimeApi>(
        &self,
        side: &RuntimeSide<R>,
        model: &'a crate::ModelId,
        op: Operation,
    ) -> Question<'a> {
        let mut q = self.common.question(model, op);
        if side.token_cap(model).is_some() {
            let input = estimate_tokens(self.text_chars());
            q.total_tokens = Some(input.saturating_add(self.max_tokens().unwrap_or(0)));
        }
        q
    }

    /// Fills the SDK input builder from the request's parts, its `map_input`
    /// closures and the plan (whose fields are set last, so that no closure
    /// overrides them). Each SDK builder call moves the whole builder (584
    /// bytes for Converse), so the common case is one chain of three calls
    /// (callgrind of the overhead bench: seven copies of the builder before,
    /// in fresh stack lines each).
    fn fill(self, plan: &Plan) -> Result<(B, Option<SdkConfigMap>)> {
        let ConverseParts {
            messages,
            system,
            inference,
            tool_config,
            common,
        } = self;
        if let Some(e) = common.error {
            return Err(e);
        }
        let mut b = B::default().set_messages(Some(messages));
        if !system.is_empty() {
            b = b.set_system(Some(system));
        }
        if inference != InferenceConfigurationBuilder::default() {
            b = b.set_inference_config(Some(inference.build()));
        }
        if tool_config.is_some() {
            b = b.set_tool_config(tool_config);
        }
        let (b, config) = common.escape.apply(b);
        let b = b
            .model_id(plan.model_id.as_deref().unwrap_or_default())
            .performance_config(performance_config(plan.latency));
        Ok((
            match converse_tier(plan) {
                Some(t) => b.service_tier(t),
                None => b,
            },
            config,
        ))
    }
}

macro_rules! converse_common {
    ($builder:ident, $op:ty, $sdkb:ty) => {
        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            pub(crate) fn new(client: Arc<RuntimeSide<R>>, model: crate::model_id::ModelId) -> Self {
                Self {
                    client,
                    model,
                    parts: ConverseParts::default(),
                    marker: PhantomData,
                }
            }

            /// Appends a user message.
            pub fn user(mut self, text: impl Into<String>) -> Self {
                self.parts.push(ConversationRole::User, text.into());
                self
            }

            /// Appends an assistant message (for multi-turn conversations).
            pub fn assistant(mut self, text: impl Into<String>) -> Self {
                self.parts.push(ConversationRole::Assistant, text.into());
                self
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

            /// The model ID as given.
            pub fn model_id(&self) -> &crate::model_id::ModelId {
                &self.model
            }
        }

        super::request_methods!($builder, $op, $sdkb);
    };
}

/// A `Converse` request: `client.converse(model).user("...").send().await`,
/// answered by a [`ConverseResponse`].
#[must_use = "a request does nothing until `.send().await`"]
pub struct ConverseRequest<R, M> {
    client: Arc<RuntimeSide<R>>,
    model: crate::model_id::ModelId,
    parts: ConverseParts<ConverseInputBuilder>,
    marker: PhantomData<fn() -> M>,
}

converse_common!(ConverseRequest, op::ConverseOp, ConverseInputBuilder);

impl<R: BedrockRuntimeApi, M> ConverseRequest<R, M> {
    /// Checks the request against the catalog, sends it, and reports what
    /// served it. A refused request sends nothing.
    pub async fn send(self) -> Result<ConverseResponse> {
        let q = self.parts.question(&self.client, &self.model, Operation::Converse);
        let (plan, api) = self.client.plan(q)?;
        let max_tokens = self.parts.max_tokens();
        let settings = self.parts.common.tail.settings(&self.client.tail);
        let (b, config) = self.parts.fill(&plan)?;
        let mut call = Call::start(&plan, self.client.origin(), None);
        call.max_output_tokens(max_tokens);
        call.request(|| request_info(&b));
        call.capture_input(|max| captured(&b, max));
        let out = match (settings, direct::<_, ConverseInputBuilder>(api, &config, &call.span)) {
            (None, Some(sdk)) => SdkRuntime::converse_output(b.send_with(sdk).await),
            (None, None) => send(api, b, config, &call.span).await,
            (Some(settings), _) => send_for_call(TailCall::new(&self.client, q, settings), b, config, &mut call).await,
        };
        let WithRequestId { output, request_id } = out.map_err(|e| call.failed(e))?;
        call.stop_reason(Some(output.stop_reason().as_str()));
        call.capture_output(|| text_of(&output));
        let report = call.finish_with(|r| {
            let o = &output;
            r.request_id = request_id;
            r.usage = o.usage().map(usage_of);
            r.served = o
                .performance_config()
                .and_then(|pc| from_sdk_latency(pc.latency()))
                .map_or(ServedLatency::NotReported, ServedLatency::Reported);
            r.served_tier = o.service_tier().and_then(|t| from_sdk_tier(t.r#type()));
            r.timing.server_latency = o.metrics().map(|m| millis(m.latency_ms()));
        });
        Ok(ConverseResponse {
            text: text_of(&output),
            stop_reason: Some(output.stop_reason().as_str().to_owned()),
            report,
            raw: Some(output),
        })
    }
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

/// A `ConverseStream` request:
/// `client.converse_stream(model).user("...").send().await`, answered by a
/// [`ConverseStream`].
#[must_use = "a request does nothing until `.send().await`"]
pub struct ConverseStreamRequest<R, M> {
    client: Arc<RuntimeSide<R>>,
    model: crate::model_id::ModelId,
    parts: ConverseParts<ConverseStreamInputBuilder>,
    marker: PhantomData<fn() -> M>,
}

converse_common!(ConverseStreamRequest, op::ConverseStreamOp, ConverseStreamInputBuilder);

impl<R: BedrockRuntimeApi, M> ConverseStreamRequest<R, M> {
    /// Checks, sends, and returns the stream of events once the response
    /// headers arrive. A refused request sends nothing.
    pub async fn send(self) -> Result<ConverseStream> {
        let q = self
            .parts
            .question(&self.client, &self.model, Operation::ConverseStream);
        let (plan, api) = self.client.plan(q)?;
        let max_tokens = self.parts.max_tokens();
        let settings = self.parts.common.tail.settings(&self.client.tail);
        let (b, config) = self.parts.fill(&plan)?;
        let mut call = Call::start(&plan, self.client.origin(), None);
        call.max_output_tokens(max_tokens);
        call.request(|| request_info(&b));
        call.capture_input(|max| captured(&b, max));
        let raw = match (
            settings,
            direct::<_, ConverseStreamInputBuilder>(api, &config, &call.span),
        ) {
            (None, Some(sdk)) => SdkRuntime::converse_stream_output(b.send_with(sdk).await),
            (None, None) => send(api, b, config, &call.span).await,
            (Some(settings), _) => send_for_call(TailCall::new(&self.client, q, settings), b, config, &mut call).await,
        };
        let raw = raw.map_err(|e| call.failed(e))?;
        Ok(ConverseStream::new(raw.events, call.into_stream(raw.request_id)))
    }
}

/// [`TailInput::for_plan`] of the two Converse input builders.
fn converse_for_plan<B: ConverseFields>(b: B, plan: &Plan) -> B {
    b.model_id(plan.model_id.as_deref().unwrap_or_default())
        .performance_config(performance_config(plan.latency))
        .set_service_tier(converse_tier(plan))
}

tail_input!(converse_for_plan: ConverseInputBuilder, ConverseStreamInputBuilder);
