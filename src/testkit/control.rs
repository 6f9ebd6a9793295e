//! The control surface for tests written in other languages, on the same port
//! under `/_bedrock_latency/` (no AWS operation path starts with `/_`):
//!
//! - `GET /_bedrock_latency/requests?limit=N`: the most recent N recorded
//!   requests (default 100, at most 1,000), oldest first, as JSON; bodies
//!   are included up to 16 KiB each and the answer is capped at 1 MiB.
//! - `POST /_bedrock_latency/reset`: back to the configured state (no
//!   records; faults, quotas, caps, timing, region as configured).
//! - `POST /_bedrock_latency/faults` with `{"faults": ["throttling@converse*2"]}`:
//!   queues fault rules (text form of [`FaultRule`](super::FaultRule)).
//! - `GET /_bedrock_latency/state`: timing, pending faults, record count.
//!
//! Control requests are not recorded. Header values that carry credentials
//! (`authorization`, `x-amz-security-token`) are not echoed.

use bytes::Bytes;
use hyper::Response;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use serde_json::{Value, json};

use super::activity::ActiveGuard;
use super::body::read_body;
use super::response::{self, ResponseBody};
use super::state::Shared;
use super::wire::{ApiError, Reply, millis};
use super::{FaultRule, RecordedRequest, TierTiming};

/// Path prefix of the control surface.
pub(crate) const PREFIX: &str = "/_bedrock_latency/";
/// Default and largest `limit` of `GET requests`.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;
/// Largest answer (bytes) and body echoed per record.
const MAX_ANSWER: usize = 1024 * 1024;
const MAX_ECHOED_BODY: usize = 16 * 1024;
/// Largest control request body.
const MAX_CONTROL_BODY: usize = 64 * 1024;

pub(crate) fn is_control(path: &str) -> bool {
    path.starts_with(PREFIX) || path == PREFIX.trim_end_matches('/')
}

fn json_reply(status: u16, value: &Value) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: Bytes::from(value.to_string()),
        delay: std::time::Duration::ZERO,
    }
}

fn not_found(method: &str, path: &str) -> Reply {
    Reply::error(&ApiError {
        status: 404,
        error_type: "UnknownOperationException",
        message: format!(
            "bedrock-latency-local: no control operation at {method} {} (served: GET {PREFIX}requests, \
             GET {PREFIX}state, POST {PREFIX}reset, POST {PREFIX}faults)",
            path.chars().take(200).collect::<String>()
        ),
    })
}

pub(crate) async fn handle(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
    guard: ActiveGuard,
) -> Response<ResponseBody> {
    let path = parts.uri.path();
    let action = path.strip_prefix(PREFIX).unwrap_or_default();
    let reply = match (parts.method.as_str(), action) {
        ("GET", "requests") => json_reply(200, &requests(shared, parts.uri.query())),
        ("GET", "state") => json_reply(200, &state(shared)),
        ("POST", "reset") => {
            let mut state = shared.lock();
            state.reset(&shared.initial);
            json_reply(200, &json!({ "reset": true }))
        }
        ("POST", "faults") => match read_body(shared, body, MAX_CONTROL_BODY).await {
            Ok((raw, _permit)) => faults(shared, &raw),
            Err(e) => Reply::error(&e.api_error()),
        },
        (method, _) => not_found(method, path),
    };
    response::full_response(reply, "bedrock-latency-local-control", Some(guard))
}

fn limit_of(query: Option<&str>) -> usize {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("limit="))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT)
}

fn requests(shared: &Shared, query: Option<&str>) -> Value {
    let limit = limit_of(query);
    let state = shared.lock();
    let total = state.records.iter().len();
    let mut out: Vec<Value> = Vec::new();
    let mut size = 0;
    for r in state.records.iter().rev().take(limit) {
        let v = record_json(r);
        size += v.to_string().len();
        if size > MAX_ANSWER {
            break;
        }
        out.push(v);
    }
    out.reverse();
    json!({ "kept": total, "returned": out.len(), "requests": out })
}

fn record_json(r: &RecordedRequest) -> Value {
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|(n, v)| {
            let secret = matches!(n.as_str(), "authorization" | "x-amz-security-token");
            json!([n, if secret { "(not shown)" } else { v.as_str() }])
        })
        .collect();
    let body = match &r.body {
        Some(b) if r.raw_body.len() <= MAX_ECHOED_BODY => b.clone(),
        _ => Value::Null,
    };
    json!({
        "method": r.method,
        "httpVersion": r.http_version,
        "path": r.path,
        "query": r.query,
        "operation": r.operation.map(|o| o.aws_name()),
        "modelId": r.model_id,
        "region": r.region,
        "headers": headers,
        "body": body,
        "bodyLen": r.body_len,
        "bodySha256": r.body_sha256,
        "requestedLatency": r.requested_latency.map(|l| l.as_str()),
        "servedLatency": r.served_latency.map(|l| l.as_str()),
        "fallback": r.fallback.map(|f| format!("{f:?}")),
        "serviceTier": r.service_tier,
        "servedTier": r.served_tier,
        "status": r.status,
        "errorType": r.error_type,
        "fault": r.fault.as_ref().map(|f| format!("{f:?}")),
        "requestId": r.request_id,
    })
}

fn timing_json(t: &TierTiming) -> Value {
    let one = |t: super::TokenTiming| {
        json!({
            "time_to_first_token_ms": millis(t.time_to_first_token),
            "per_token_ms": millis(t.per_token),
        })
    };
    json!({ "standard": one(t.standard), "optimized": one(t.optimized) })
}

fn state(shared: &Shared) -> Value {
    let state = shared.lock();
    json!({
        "timing": timing_json(&state.settings.timing),
        "answerTokens": state.settings.answer_tokens,
        "region": state.settings.region,
        "pendingFaults": state.faults.pending().len(),
        "optimizedQuota": state.settings.quotas,
        "reservations": state.settings.reservations,
        "recordsKept": state.records.iter().len(),
        "recordBytes": state.records.bytes(),
    })
}

fn faults(shared: &Shared, raw: &[u8]) -> Reply {
    let texts: Option<Vec<String>> = serde_json::from_slice::<Value>(raw)
        .ok()
        .and_then(|v| v.get("faults").cloned())
        .and_then(|v| serde_json::from_value(v).ok());
    let Some(texts) = texts else {
        return Reply::error(&ApiError::validation(
            "bedrock-latency-local: expected {\"faults\": [\"FAULT[@OPERATION][*TIMES]\", ...]}",
        ));
    };
    let mut rules = Vec::with_capacity(texts.len());
    for text in &texts {
        match text.parse::<FaultRule>() {
            Ok(rule) => rules.push(rule),
            Err(e) => return Reply::error(&ApiError::validation(e.to_string())),
        }
    }
    let mut state = shared.lock();
    for rule in rules {
        state.faults.push(rule);
    }
    json_reply(
        200,
        &json!({ "queued": texts.len(), "pending": state.faults.pending().len() }),
    )
}
