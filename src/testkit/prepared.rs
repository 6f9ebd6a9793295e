//! A parsed request ([`Prepared`]) and its per-operation [`Shape`], the
//! context every parser and renderer is given, and the deterministic
//! [`Answer`]: what the runtime and agent operations share, below both and
//! below the dispatch in `ops`.

use std::time::Duration;

use serde_json::{Value, json};

use super::TokenTiming;
use super::behaviour;
use super::wire::millis;
use crate::{Catalog, Latency, Operation, ServiceTier};

/// The native InvokeModel body family of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Anthropic Messages API (`anthropic.*`).
    Anthropic,
    /// Amazon Nova (`amazon.nova*`): `output.message`.
    Nova,
    /// Meta Llama (`meta.*`): `generation`.
    Llama,
}

/// Per-operation rendering details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Converse,
    ConverseStream,
    Invoke(Family),
    InvokeStream(Family),
    InlineAgent(AgentShape),
    Agent(AgentShape),
    Rag(RagShape),
    RagStream(RagShape),
    /// InvokeFlow: an event stream of flow output events.
    Flow(FlowShape),
    /// StartFlowExecution: an execution ARN.
    FlowExecution(FlowShape),
}

impl Shape {
    /// Whether the successful answer is an event stream.
    pub(crate) fn is_stream(&self) -> bool {
        !matches!(
            self,
            Shape::Converse | Shape::Invoke(_) | Shape::Rag(_) | Shape::FlowExecution(_)
        )
    }
}

/// How a request's service tier will be served, once it is known to be
/// valid: decided from the catalog when the request is parsed, from the
/// reservations left when it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TierPlan {
    /// No tier asked: none reported.
    Unasked,
    /// Served by this tier.
    Serve(ServiceTier),
    /// Reserved while the model's reservation lasts.
    Reserved,
}

/// A parsed, validated request, before quota and faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared {
    pub(crate) operation: Operation,
    pub(crate) model_id: Option<String>,
    pub(crate) requested: Option<Latency>,
    /// `Some(cap)` when optimized was requested and is available.
    pub(crate) optimized_cap: Option<Option<u32>>,
    /// `false` for InvokeAgent, which ignores the setting.
    pub(crate) honours_latency: bool,
    /// The tier asked for, as sent.
    pub(crate) service_tier: Option<String>,
    /// How the tier asked for will be served.
    pub(crate) tier_plan: TierPlan,
    pub(crate) input_tokens: u32,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) prompt: String,
    pub(crate) shape: Shape,
}

impl Prepared {
    /// How many tokens the answer has, given the configured answer length.
    pub(crate) fn output_tokens(&self, answer_len: u32) -> u32 {
        let n = answer_len.max(1);
        self.max_tokens.map_or(n, |max| n.min(max))
    }

    /// Whether the request exceeds `cap` (estimated input tokens + requested
    /// max tokens, or the output when no maximum was asked).
    pub(crate) fn exceeds_cap(&self, cap: u32, answer_len: u32) -> bool {
        let out = self.max_tokens.unwrap_or_else(|| self.output_tokens(answer_len));
        u64::from(self.input_tokens) + u64::from(out) > u64::from(cap)
    }
}

/// What every parser needs besides the path labels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) json: Option<&'a Value>,
    pub(crate) region: &'a str,
    pub(crate) catalog: &'a Catalog,
}

/// Everything rendering needs besides the request.
#[derive(Debug, Clone)]
pub(crate) struct RenderContext<'a> {
    pub(crate) served: Latency,
    /// The tier that serves the request, when one was asked for.
    pub(crate) served_tier: Option<ServiceTier>,
    pub(crate) answer_len: u32,
    pub(crate) timing: TokenTiming,
    pub(crate) request_id: &'a str,
}

/// The deterministic answer of a prepared request and its figures, common to
/// every operation.
#[derive(Debug, Clone)]
pub(crate) struct Answer<'a> {
    pub(crate) model: &'a str,
    pub(crate) output_tokens: u32,
    pub(crate) truncated: bool,
    pub(crate) tokens: Vec<String>,
    pub(crate) text: String,
    pub(crate) latency: Duration,
    pub(crate) latency_ms: u64,
    pub(crate) input: u32,
    /// Converse-style `usage`.
    pub(crate) usage: Value,
    /// `end_turn` or `max_tokens`.
    pub(crate) stop: &'static str,
    /// Whether the served latency is echoed (only when it was requested and
    /// the operation honours it, as the AWS captures show).
    pub(crate) report_latency: bool,
    pub(crate) served: &'static str,
    /// The served tier, echoed only when a tier was asked for.
    pub(crate) served_tier: Option<&'static str>,
    pub(crate) timing: TokenTiming,
    pub(crate) request_id: &'a str,
}

impl<'a> Answer<'a> {
    pub(crate) fn new(p: &'a Prepared, ctx: &RenderContext<'a>) -> Answer<'a> {
        let model = p.model_id.as_deref().unwrap_or("agent");
        let output_tokens = p.output_tokens(ctx.answer_len);
        let tokens = behaviour::answer_tokens(model, &p.prompt, output_tokens);
        let latency = ctx.timing.total(output_tokens);
        let input = p.input_tokens;
        let truncated = output_tokens < ctx.answer_len.max(1);
        Answer {
            model,
            output_tokens,
            truncated,
            text: tokens.concat(),
            tokens,
            latency,
            latency_ms: millis(latency),
            input,
            // `serverToolUsage` is empty unless server-side tools ran (AWS
            // captures converse-optimized-nova-pro, converse-stream-nova-micro).
            usage: json!({
                "inputTokens": input,
                "outputTokens": output_tokens,
                "serverToolUsage": {},
                "totalTokens": u64::from(input) + u64::from(output_tokens),
            }),
            stop: if truncated { "max_tokens" } else { "end_turn" },
            report_latency: p.requested.is_some() && p.honours_latency,
            served: ctx.served.as_str(),
            served_tier: ctx.served_tier.map(ServiceTier::as_str),
            timing: ctx.timing,
            request_id: ctx.request_id,
        }
    }
}

/// How an agent answer is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentShape {
    pub(crate) session_id: String,
    /// `streamingConfigurations.streamFinalResponse`: one chunk per token.
    pub(crate) stream_final: bool,
    /// `enableTrace`: `trace` events before the answer.
    pub(crate) trace: bool,
    /// InvokeAgent's agent and alias IDs; `None` for an inline agent.
    pub(crate) agent: Option<(String, String)>,
}

/// A flow call: its identifiers and the latency its
/// `modelPerformanceConfiguration` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlowShape {
    pub(crate) flow_id: String,
    pub(crate) alias_id: String,
    pub(crate) execution_id: Option<String>,
    pub(crate) region: String,
}

/// How a RetrieveAndGenerate answer is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RagShape {
    pub(crate) session_id: Option<String>,
    pub(crate) source: RagSource,
}

/// Where the retrieved reference comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RagSource {
    /// A knowledge base: a document in its (simulated) S3 data source.
    KnowledgeBase { knowledge_base_id: String },
    /// The first S3 source of `externalSourcesConfiguration.sources`.
    External { uri: String },
}
