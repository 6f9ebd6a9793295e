//! The attributes of a call, written once for every destination: the
//! `tracing` span's fields, an OpenTelemetry span, metric attributes.
//! Adding an attribute is one line here, and every destination gets it.

use super::names as n;
use crate::check::Plan;
use crate::report::{HedgeWinner, LatencyReport, ServedLatency, TailReport};
use crate::vocab::ServiceTier;

/// Where attributes go.
pub(crate) trait Sink {
    /// A value known at compile time (no copy needed).
    fn word(&mut self, key: &'static str, value: &'static str);
    /// Any text.
    fn text(&mut self, key: &'static str, value: &str);
    /// An integer.
    fn int(&mut self, key: &'static str, value: i64);
    /// A float.
    fn float(&mut self, key: &'static str, value: f64);
    /// A flag.
    fn flag(&mut self, key: &'static str, value: bool);
    /// A list of text (`gen_ai.response.finish_reasons`).
    fn list(&mut self, key: &'static str, values: &[&str]);
}

/// What a span knows when it starts: the operation, the model sent, the
/// region sent to, what was asked and sent.
pub(crate) fn start(
    s: &mut impl Sink,
    op_name: &'static str,
    plan: &Plan,
    tier: Option<ServiceTier>,
    from: Option<&str>,
) {
    s.word(n::OPERATION_NAME, op_name);
    s.word(n::PROVIDER_NAME, n::PROVIDER);
    if let Some(m) = plan.model_id.as_deref() {
        s.text(n::REQUEST_MODEL, m);
    }
    s.text(n::CLOUD_REGION, &plan.region);
    if n::is_stream(plan.operation) {
        s.flag(n::REQUEST_STREAM, true);
    }
    s.word(n::LATENCY_REQUESTED, plan.policy.as_str());
    s.word(n::LATENCY_SENT, plan.latency.as_str());
    if let Some(t) = tier {
        s.word(n::SERVICE_TIER_REQUESTED, t.as_str());
    }
    if let Some(f) = from {
        s.text(n::ROUTED_FROM, f);
    }
}

/// The request's parameters and targets, as far as the operation has them.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestInfo {
    pub(crate) max_tokens: Option<i64>,
    pub(crate) temperature: Option<f32>,
    pub(crate) top_p: Option<f32>,
    pub(crate) agent_id: Option<String>,
    pub(crate) agent_name: Option<String>,
    pub(crate) conversation_id: Option<String>,
    pub(crate) knowledge_base_id: Option<String>,
    pub(crate) guardrail_id: Option<String>,
}

pub(crate) fn request(s: &mut impl Sink, r: &RequestInfo) {
    if let Some(v) = r.max_tokens {
        s.int(n::REQUEST_MAX_TOKENS, v);
    }
    if let Some(v) = r.temperature {
        s.float(n::REQUEST_TEMPERATURE, f64::from(v));
    }
    if let Some(v) = r.top_p {
        s.float(n::REQUEST_TOP_P, f64::from(v));
    }
    let ids = [
        (n::AGENT_ID, &r.agent_id),
        (n::AGENT_NAME, &r.agent_name),
        (n::CONVERSATION_ID, &r.conversation_id),
        (n::KNOWLEDGE_BASE_ID, &r.knowledge_base_id),
        (n::GUARDRAIL_ID, &r.guardrail_id),
    ];
    for (key, value) in ids {
        if let Some(v) = value {
            s.text(key, v);
        }
    }
}

/// What the answer said, on the span.
pub(crate) fn outcome(s: &mut impl Sink, r: &LatencyReport, finish_reason: Option<&str>) {
    served(s, r);
    if let Some(u) = r.usage {
        s.int(n::USAGE_INPUT_TOKENS, i64::from(u.input_tokens));
        s.int(n::USAGE_OUTPUT_TOKENS, i64::from(u.output_tokens));
    }
    if let Some(t) = r.timing.time_to_first_token {
        s.float(n::RESPONSE_TIME_TO_FIRST_CHUNK, t.as_secs_f64());
    }
    if let Some(t) = r.timing.server_latency {
        s.float(n::SERVER_LATENCY, t.as_secs_f64());
    }
    if let Some(id) = r.request_id.as_deref() {
        s.text(n::AWS_REQUEST_ID, id);
    }
    if let Some(f) = finish_reason {
        s.list(n::RESPONSE_FINISH_REASONS, &[f]);
    }
    if let Some(d) = &r.downgrade {
        s.text(n::DOWNGRADE_REASON, &kind_of(d));
    }
    if let Some(t) = &r.tail {
        tail(s, r, t);
    }
}

/// Hedging and failover, when either was on for the call. The request that
/// served may have gone to another region than the one the span started
/// with: what the span said at the start is written again from the report.
fn tail(s: &mut impl Sink, r: &LatencyReport, t: &TailReport) {
    s.text(n::CLOUD_REGION, &r.region);
    if let Some(f) = r.routed_from.as_deref() {
        s.text(n::ROUTED_FROM, f);
    }
    if let Some(m) = r.model_id.as_deref() {
        s.text(n::REQUEST_MODEL, m);
    }
    s.word(n::LATENCY_SENT, r.sent.as_str());
    s.int(n::ATTEMPTS, i64::try_from(t.attempts.len()).unwrap_or(i64::MAX));
    let Some(h) = &t.hedge else { return };
    s.word(
        n::HEDGE_WINNER,
        match h.winner {
            HedgeWinner::Primary => "primary",
            HedgeWinner::Backup => "backup",
        },
    );
    if let Some(region) = h.backup_region.as_deref() {
        s.text(n::HEDGE_BACKUP_REGION, region);
    }
    if let Some(c) = h.extra_cost_usd {
        s.float(n::HEDGE_EXTRA_COST, c);
    }
}

/// What served the call: on the span and on every metric.
pub(crate) fn served(s: &mut impl Sink, r: &LatencyReport) {
    s.word(
        n::LATENCY_SERVED,
        match r.served {
            ServedLatency::Reported(l) => l.as_str(),
            ServedLatency::NotReported => "not-reported",
        },
    );
    if let Some(t) = r.served_tier {
        s.word(n::SERVICE_TIER_SERVED, t.as_str());
    }
    s.flag(n::DOWNGRADED, r.downgraded());
}

/// The attributes of every metric point: the conventions' (operation,
/// provider, model) and what a dashboard splits by (region, latency sent
/// and served, service tier served, downgraded).
#[cfg(feature = "otel")]
pub(crate) fn metric(s: &mut impl Sink, op_name: &'static str, r: &LatencyReport) {
    s.word(n::OPERATION_NAME, op_name);
    s.word(n::PROVIDER_NAME, n::PROVIDER);
    if let Some(m) = r.model_id.as_deref() {
        s.text(n::REQUEST_MODEL, m);
    }
    s.text(n::CLOUD_REGION, &r.region);
    s.word(n::LATENCY_SENT, r.sent.as_str());
    served(s, r);
}

/// The `kind` of a serde-tagged enum (`DowngradeReason`, `RefusalReason`):
/// `token-cap`, `region-not-served`, ... (new variants get their name
/// without a change here).
pub(crate) fn kind_of(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| n::ERROR_OTHER.to_owned())
}

/// Fields of a `tracing` span, recorded by name (a span without the field
/// ignores it; a disabled span costs nothing more than the check).
impl Sink for tracing::Span {
    fn word(&mut self, key: &'static str, value: &'static str) {
        self.record(key, value);
    }
    fn text(&mut self, key: &'static str, value: &str) {
        self.record(key, value);
    }
    fn int(&mut self, key: &'static str, value: i64) {
        self.record(key, value);
    }
    fn float(&mut self, key: &'static str, value: f64) {
        self.record(key, value);
    }
    fn flag(&mut self, key: &'static str, value: bool) {
        self.record(key, value);
    }
    fn list(&mut self, key: &'static str, values: &[&str]) {
        // `tracing` has no list values: a JSON array as text.
        let json = serde_json::to_string(values).unwrap_or_default();
        self.record(key, json.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::DowngradeReason;

    #[test]
    fn kinds_are_the_serde_tags() {
        assert_eq!(kind_of(&DowngradeReason::ServedStandard), "served-standard");
        assert_eq!(
            kind_of(&DowngradeReason::TokenCap {
                max_total_tokens: 1,
                total_tokens: 2
            }),
            "token-cap"
        );
        assert_eq!(
            kind_of(&crate::check::RefusalReason::OperationUnverified),
            "operation-unverified"
        );
    }
}
