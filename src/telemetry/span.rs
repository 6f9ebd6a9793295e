//! The `tracing` spans of a call: `bedrock_call`, with the conventions'
//! attribute keys as field names and `otel.*` fields that
//! `tracing-opentelemetry` reads (span name, kind, status).
//!
//! A `tracing` span has at most 32 fields, all declared where it is made, so
//! there are three callsites: bedrock-runtime calls, bedrock-agent-runtime
//! calls (agent, session, knowledge base ids instead of sampling
//! parameters) and refusals. Fields start empty and are recorded only when a
//! subscriber wants the span ([`super::sink`]).

use tracing::field::Empty;

/// The target of the spans and their events (what it was before the spans
/// followed the conventions, so that `RUST_LOG` filters keep working).
pub(crate) const TARGET: &str = "bedrock_latency::call";

/// The fields every call span has, then `$extra`.
macro_rules! bedrock_call_span {
    ($($extra:tt)*) => {
        tracing::info_span!(
            target: TARGET,
            "bedrock_call",
            "otel.name" = Empty,
            "otel.kind" = "client",
            "otel.status_code" = Empty,
            "otel.status_description" = Empty,
            "gen_ai.operation.name" = Empty,
            "gen_ai.provider.name" = Empty,
            "gen_ai.request.model" = Empty,
            "cloud.region" = Empty,
            "gen_ai.request.stream" = Empty,
            "gen_ai.response.finish_reasons" = Empty,
            "gen_ai.usage.input_tokens" = Empty,
            "gen_ai.usage.output_tokens" = Empty,
            "gen_ai.response.time_to_first_chunk" = Empty,
            "error.type" = Empty,
            "aws.request_id" = Empty,
            "bedrock_latency.latency.requested" = Empty,
            "bedrock_latency.latency.sent" = Empty,
            "bedrock_latency.latency.served" = Empty,
            "bedrock_latency.service_tier.requested" = Empty,
            "bedrock_latency.service_tier.served" = Empty,
            "bedrock_latency.downgraded" = Empty,
            "bedrock_latency.downgrade.reason" = Empty,
            "bedrock_latency.routed_from" = Empty,
            "bedrock_latency.server_latency" = Empty,
            $($extra)*
        )
    };
}

/// A bedrock-runtime call (24 + 3 + 4 fields for hedging and failover:
/// one left of tracing's 32).
pub(crate) fn runtime() -> tracing::Span {
    bedrock_call_span!(
        "gen_ai.request.max_tokens" = Empty,
        "gen_ai.request.temperature" = Empty,
        "gen_ai.request.top_p" = Empty,
        "bedrock_latency.attempts" = Empty,
        "bedrock_latency.hedge.backup_region" = Empty,
        "bedrock_latency.hedge.winner" = Empty,
        "bedrock_latency.hedge.extra_cost_usd" = Empty,
    )
}

/// A bedrock-agent-runtime call (24 + 5 fields).
pub(crate) fn agent() -> tracing::Span {
    bedrock_call_span!(
        "gen_ai.agent.id" = Empty,
        "gen_ai.agent.name" = Empty,
        "gen_ai.conversation.id" = Empty,
        "aws.bedrock.knowledge_base.id" = Empty,
        "aws.bedrock.guardrail.id" = Empty,
    )
}

/// A request the check refused: nothing was sent (most fields stay empty).
pub(crate) fn refusal() -> tracing::Span {
    bedrock_call_span!("bedrock_latency.refusal.reason" = Empty)
}
