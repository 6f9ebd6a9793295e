//! The names this crate emits: attribute keys, metric names, units and
//! advised bucket boundaries, as the OpenTelemetry GenAI semantic
//! conventions give them, and this crate's own attributes under
//! `bedrock_latency.*`.
//!
//! Sources (read 2026-12-01):
//! - semantic-conventions v1.41.0, the last release that carried the GenAI
//!   conventions (github.com/open-telemetry/semantic-conventions, tag
//!   v1.41.0): `docs/gen-ai/gen-ai-spans.md`, `gen-ai-agent-spans.md`,
//!   `gen-ai-metrics.md`, `aws-bedrock.md`, `docs/registry/attributes/`.
//! - the GenAI conventions' own repository, which has cut no release
//!   (github.com/open-telemetry/semantic-conventions-genai, schema
//!   `gen-ai-dev/1.42.0-dev`): `docs/gen-ai/client-inference.md` at
//!   024a4f944a1291fcb627c9c47da69e79868dd15e, `gen-ai-token-metrics.md` at
//!   066d4a7f356f8600de6f10c42874626ab88692fb and the migration guide
//!   `docs/gen-ai/non-normative/migration.md` at
//!   32c328e85013588c6fe32ebc30934ab5b1752b6a (renames since v1.41.0).

use crate::vocab::Operation;

/// `gen_ai.operation.name`.
pub const OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`; always [`PROVIDER`] here.
pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
/// The value of `gen_ai.provider.name` for Bedrock ("MUST be set to
/// `aws.bedrock`", aws-bedrock.md).
pub const PROVIDER: &str = "aws.bedrock";
/// `gen_ai.request.model`: the model ID as sent (an inference profile for
/// optimized latency).
pub const REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.request.max_tokens`.
pub const REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// `gen_ai.request.temperature`.
pub const REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// `gen_ai.request.top_p`.
pub const REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// `gen_ai.request.stream`: set (true) only for streamed operations.
pub const REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.response.finish_reasons`: Bedrock's stop reason as given
/// (`end_turn`, `max_tokens`, ...), as the boto3 and JavaScript SDK
/// instrumentations record it.
pub const RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `gen_ai.response.time_to_first_chunk` (seconds, streams).
pub const RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.usage.input_tokens`.
pub const USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens`.
pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.agent.id` (InvokeAgent).
pub const AGENT_ID: &str = "gen_ai.agent.id";
/// `gen_ai.agent.name` (an inline agent's `agentName`).
pub const AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.conversation.id`: the agent session id ("AWS Bedrock agent
/// sessions" is the conventions' own example).
pub const CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `aws.bedrock.knowledge_base.id` (RetrieveAndGenerate).
pub const KNOWLEDGE_BASE_ID: &str = "aws.bedrock.knowledge_base.id";
/// `aws.bedrock.guardrail.id`, when a request names a guardrail.
pub const GUARDRAIL_ID: &str = "aws.bedrock.guardrail.id";
/// `error.type` (see [`error_type`](crate::telemetry::error_type)).
pub const ERROR_TYPE: &str = "error.type";
/// `aws.request_id`: the `x-amzn-RequestId` of the answer. Bedrock returns
/// no completion id, so `gen_ai.response.id` is not set (nor do the boto3
/// and JavaScript SDK instrumentations set it).
pub const AWS_REQUEST_ID: &str = "aws.request_id";
/// `cloud.region`: "the region where the called destination is deployed"
/// (registry/attributes/cloud.md), i.e. the region the request was sent to.
pub const CLOUD_REGION: &str = "cloud.region";
/// `gen_ai.token.type` on `gen_ai.client.token.usage` (v1.41.0).
pub const TOKEN_TYPE: &str = "gen_ai.token.type";
/// `gen_ai.token.modality` on the latest token counters; Bedrock does not
/// split usage by modality, so the value is always `unknown`.
pub const TOKEN_MODALITY: &str = "gen_ai.token.modality";
/// `gen_ai.input.messages` (content capture, opt-in).
pub const INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// `gen_ai.output.messages` (content capture, opt-in).
pub const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
/// `gen_ai.system_instructions` (content capture, opt-in).
pub const SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// The event that carries captured content on the `tracing` path:
/// `gen_ai.client.inference.operation.details` (gen-ai-events.md).
pub const DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";

/// `bedrock_latency.latency.requested`: the policy asked for (`standard`,
/// `optimized`, `prefer-optimized`).
pub const LATENCY_REQUESTED: &str = "bedrock_latency.latency.requested";
/// `bedrock_latency.latency.sent`: what was sent (`standard`, `optimized`).
pub const LATENCY_SENT: &str = "bedrock_latency.latency.sent";
/// `bedrock_latency.latency.served`: what the service said served it
/// (`standard`, `optimized`, or `not-reported`: agent runtime operations).
pub const LATENCY_SERVED: &str = "bedrock_latency.latency.served";
/// `bedrock_latency.service_tier.requested` (`priority`, `default`, `flex`,
/// `reserved`), when one was asked for.
pub const SERVICE_TIER_REQUESTED: &str = "bedrock_latency.service_tier.requested";
/// `bedrock_latency.service_tier.served`, when the service reported one.
pub const SERVICE_TIER_SERVED: &str = "bedrock_latency.service_tier.served";
/// `bedrock_latency.downgraded`: optimized was asked for and standard
/// served (or sent, for `prefer-optimized`).
pub const DOWNGRADED: &str = "bedrock_latency.downgraded";
/// `bedrock_latency.downgrade.reason`: `served-standard`, `token-cap` or
/// `not-sent`.
pub const DOWNGRADE_REASON: &str = "bedrock_latency.downgrade.reason";
/// `bedrock_latency.routed_from`: the client's own region, when the request
/// was routed to another (`cloud.region`).
pub const ROUTED_FROM: &str = "bedrock_latency.routed_from";
/// `bedrock_latency.attempts`: how many regions were tried (more than one:
/// regional failover happened); set when failover or hedging was on.
pub const ATTEMPTS: &str = "bedrock_latency.attempts";
/// `bedrock_latency.hedge.backup_region`: where the hedge's backup went,
/// when one was sent.
pub const HEDGE_BACKUP_REGION: &str = "bedrock_latency.hedge.backup_region";
/// `bedrock_latency.hedge.winner`: `primary` or `backup`.
pub const HEDGE_WINNER: &str = "bedrock_latency.hedge.winner";
/// `bedrock_latency.hedge.extra_cost_usd`: the estimated cost of the
/// request that lost (an upper estimate; see `HedgeReport`).
pub const HEDGE_EXTRA_COST: &str = "bedrock_latency.hedge.extra_cost_usd";
/// `bedrock_latency.server_latency`: the service's own latency in seconds
/// (`metrics.latencyMs`, the invocation-latency header).
pub const SERVER_LATENCY: &str = "bedrock_latency.server_latency";
/// `bedrock_latency.refusal.reason`: why the check refused a request before
/// sending it (`region-not-served`, `operation-ignores`, ...).
pub const REFUSAL_REASON: &str = "bedrock_latency.refusal.reason";

/// The value of `error.type` for a request the check refused (nothing was
/// sent).
pub const ERROR_REFUSED: &str = "bedrock_latency.refused";
/// The conventions' fallback `error.type`.
pub const ERROR_OTHER: &str = "_OTHER";

/// Metric names, units and advised bucket boundaries.
pub mod metrics {
    /// `gen_ai.client.operation.duration` (s). v1.41.0: every operation;
    /// latest: operations that are not inference (agents, flows).
    pub const OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
    /// `gen_ai.client.token.usage` ({token}, histogram, with
    /// `gen_ai.token.type`), v1.41.0.
    pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";
    /// `gen_ai.client.operation.time_to_first_chunk` (s, streams), v1.41.0.
    pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";
    /// `gen_ai.client.operation.time_per_output_chunk` (s, one value per
    /// chunk after the first), v1.41.0.
    pub const TIME_PER_OUTPUT_CHUNK: &str = "gen_ai.client.operation.time_per_output_chunk";

    /// `gen_ai.client.inference.duration` (s): latest, inference operations.
    pub const INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
    /// `gen_ai.client.inference.time_to_first_chunk` (s): latest.
    pub const INFERENCE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.inference.time_to_first_chunk";
    /// `gen_ai.client.inference.time_per_output_chunk` (s): latest.
    pub const INFERENCE_TIME_PER_OUTPUT_CHUNK: &str = "gen_ai.client.inference.time_per_output_chunk";
    /// `gen_ai.client.inference.usage.input_tokens` ({token}, counter): latest.
    pub const INFERENCE_USAGE_INPUT_TOKENS: &str = "gen_ai.client.inference.usage.input_tokens";
    /// `gen_ai.client.inference.usage.output_tokens` ({token}, counter): latest.
    pub const INFERENCE_USAGE_OUTPUT_TOKENS: &str = "gen_ai.client.inference.usage.output_tokens";
    /// `gen_ai.client.inference.operation.input_tokens` ({token}, histogram): latest.
    pub const INFERENCE_OPERATION_INPUT_TOKENS: &str = "gen_ai.client.inference.operation.input_tokens";
    /// `gen_ai.client.inference.operation.output_tokens` ({token}, histogram): latest.
    pub const INFERENCE_OPERATION_OUTPUT_TOKENS: &str = "gen_ai.client.inference.operation.output_tokens";

    /// Seconds.
    pub const UNIT_SECONDS: &str = "s";
    /// Tokens (UCUM annotation).
    pub const UNIT_TOKENS: &str = "{token}";

    /// The advised boundaries of every duration histogram (s).
    pub const DURATION_BUCKETS: [f64; 14] = [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];
    /// The advised boundaries of every token histogram.
    pub const TOKEN_BUCKETS: [f64; 14] = [
        1.0,
        4.0,
        16.0,
        64.0,
        256.0,
        1024.0,
        4096.0,
        16384.0,
        65536.0,
        262_144.0,
        1_048_576.0,
        4_194_304.0,
        16_777_216.0,
        67_108_864.0,
    ];
}

/// What kind of GenAI operation an operation is, for the conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An inference span (`chat`, `text_completion`).
    Inference,
    /// An `invoke_agent` client span.
    Agent,
    /// A flow (`invoke_workflow`).
    Workflow,
}

/// The `gen_ai.operation.name` of an operation, and its kind.
///
/// Converse, ConverseStream, InvokeModel(+stream): `chat`, as the boto3 and
/// JavaScript SDK instrumentations name them (`text_completion` for Amazon
/// Titan text models on InvokeModel, as boto3 does). RetrieveAndGenerate
/// generates an answer from a prompt: `chat` too, with
/// `aws.bedrock.knowledge_base.id`. Inline agents and InvokeAgent:
/// `invoke_agent` (the conventions name "AWS Bedrock Agents" as an example).
/// Flows: `invoke_workflow`.
pub(crate) fn operation_name(op: Operation, model: Option<&str>) -> (&'static str, Kind) {
    match op {
        Operation::InvokeModel | Operation::InvokeModelStream
            if model.is_some_and(|m| m.contains("amazon.titan-text")) =>
        {
            ("text_completion", Kind::Inference)
        }
        Operation::Converse
        | Operation::ConverseStream
        | Operation::InvokeModel
        | Operation::InvokeModelStream
        | Operation::RetrieveAndGenerate
        | Operation::RetrieveAndGenerateStream => ("chat", Kind::Inference),
        Operation::InlineAgent | Operation::InvokeAgent => ("invoke_agent", Kind::Agent),
        Operation::InvokeFlow | Operation::StartFlowExecution => ("invoke_workflow", Kind::Workflow),
    }
}

/// Whether the operation answers with a stream of chunks.
pub(crate) fn is_stream(op: Operation) -> bool {
    matches!(
        op,
        Operation::ConverseStream
            | Operation::InvokeModelStream
            | Operation::RetrieveAndGenerateStream
            | Operation::InlineAgent
            | Operation::InvokeAgent
            | Operation::InvokeFlow
    )
}
