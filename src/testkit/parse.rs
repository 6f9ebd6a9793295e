//! Request parsing helpers shared by the runtime and agent operations: JSON
//! body access, enum and range checks with Bedrock's validation messages, and
//! the latency eligibility check against the catalog.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::behaviour::{self, OptimizedVerdict, TierVerdict};
use super::prepared::TierPlan;
use super::wire::{ApiError, latency_from_wire};
use crate::{Catalog, Latency, ServiceTier};

const SERVICE_TIERS: &[&str] = &["default", "flex", "priority", "reserved"];

/// What was extracted from a request body.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    pub(crate) chars: usize,
    pub(crate) last_user: String,
}

impl Texts {
    pub(crate) fn add(&mut self, text: &str) {
        self.chars += text.chars().count();
    }
}

pub(crate) fn enum_error(value: &str, at: &str, set: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: \
         Member must satisfy enum value set: [{set}]"
    ))
}

pub(crate) fn malformed(message: &str) -> ApiError {
    ApiError::validation(format!(
        "Malformed input request: {message}, please reformat your input and try again."
    ))
}

/// Reads `performanceConfig` (an object with an optional `latency`).
pub(crate) fn perf_latency(config: Option<&Value>, at: &str) -> Result<Option<Latency>, ApiError> {
    let Some(config) = config else {
        return Ok(None);
    };
    let Some(obj) = config.as_object() else {
        return Err(ApiError::serialization(format!("{at} must be an object")));
    };
    match obj.get("latency") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => latency_from_wire(s)
            .map(Some)
            .ok_or_else(|| enum_error(s, &format!("{at}.latency"), "optimized, standard")),
        Some(_) => Err(ApiError::serialization(format!("{at}.latency must be a string"))),
    }
}

pub(crate) fn tier_value(value: &str, at: &str) -> Result<String, ApiError> {
    if SERVICE_TIERS.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(enum_error(value, at, "priority, default, flex, reserved"))
    }
}

pub(crate) fn positive_u32(value: Option<&Value>, at: &str) -> Result<Option<u32>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Ok(Some(u32::try_from(n).unwrap_or(u32::MAX))),
            _ => Err(ApiError::validation(format!(
                "1 validation error detected: Value '{v}' at '{at}' failed to satisfy \
                 constraint: Member must have value greater than or equal to 1"
            ))),
        },
    }
}

/// Converse content blocks: the text of every `{"text": ...}` block.
pub(crate) fn converse_blocks_text(blocks: Option<&Value>) -> String {
    let mut text = String::new();
    if let Some(blocks) = blocks.and_then(Value::as_array) {
        for block in blocks {
            if let Some(t) = block.get("text").and_then(Value::as_str) {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(t);
            }
        }
    }
    text
}

/// Converse-style `messages` + `system` (also Nova's native body).
pub(crate) fn converse_texts(body: &Value) -> Result<Texts, ApiError> {
    let mut texts = Texts::default();
    if let Some(system) = body.get("system") {
        let Some(system) = system.as_array() else {
            return Err(ApiError::serialization("system must be a list"));
        };
        for block in system {
            if let Some(t) = block.get("text").and_then(Value::as_str) {
                texts.add(t);
            }
        }
    }
    let messages = match body.get("messages") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(m)) => m.as_slice(),
        Some(_) => return Err(ApiError::serialization("messages must be a list")),
    };
    let Some(first) = messages.first() else {
        return Err(ApiError::validation(
            "A conversation must start with a user message. Try again with a conversation that \
             starts with a user message.",
        ));
    };
    if first.get("role").and_then(Value::as_str) != Some("user") {
        return Err(ApiError::validation(
            "A conversation must start with a user message. Try again with a conversation that \
             starts with a user message.",
        ));
    }
    for message in messages {
        let role = message.get("role").and_then(Value::as_str);
        match role {
            Some("user" | "assistant") => {}
            Some(other) => return Err(enum_error(other, "messages.member.role", "user, assistant")),
            None => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'messages.member.role' failed \
                     to satisfy constraint: Member must not be null",
                ));
            }
        }
        let text = converse_blocks_text(message.get("content"));
        texts.add(&text);
        if role == Some("user") {
            texts.last_user = text;
        }
    }
    Ok(texts)
}

/// Anthropic Messages API content: a string or a list of `{"type":"text","text":...}`.
pub(crate) fn anthropic_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => {
            let parts: Vec<&str> = blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            parts.join("\n")
        }
        _ => String::new(),
    }
}

/// Checks a requested latency against THE decision function.
pub(crate) fn eligibility(
    catalog: &Catalog,
    requested: Option<Latency>,
    model_id: &str,
    region: &str,
) -> Result<Option<Option<u32>>, ApiError> {
    if requested != Some(Latency::Optimized) {
        return Ok(None);
    }
    match behaviour::optimized_verdict(catalog, model_id, region) {
        OptimizedVerdict::Available { max_total_tokens } => Ok(Some(max_total_tokens)),
        OptimizedVerdict::Unavailable => Err(ApiError::latency_not_supported(model_id, region)),
    }
}

/// Checks a requested tier against THE decision function.
///
/// Bedrock's answer to a tier the model does not offer is a
/// `ValidationException`; for reserved, its message "Reservation not found."
/// is reported (github.com/envoyproxy/ai-gateway/pull/1749, 2026-01-09;
/// github.com/NousResearch/hermes-agent/pull/34476, 2026-05-29: secondary
/// sources). For the other tiers AWS's wording was not found: the message
/// here follows the latency one and is the endpoint's own.
pub(crate) fn tier_eligibility(
    catalog: &Catalog,
    requested: Option<&str>,
    model_id: &str,
    region: &str,
) -> Result<TierPlan, ApiError> {
    let Some(tier) = requested.and_then(|t| t.parse::<ServiceTier>().ok()) else {
        return Ok(TierPlan::Unasked);
    };
    match behaviour::tier_verdict(catalog, model_id, region, tier) {
        TierVerdict::Serve(t) => Ok(TierPlan::Serve(t)),
        TierVerdict::ServeDefault => Ok(TierPlan::Serve(ServiceTier::Default)),
        TierVerdict::Reserved => Ok(TierPlan::Reserved),
        TierVerdict::Unavailable if tier == ServiceTier::Reserved => Err(ApiError::reservation_not_found()),
        TierVerdict::Unavailable => Err(ApiError::validation(format!(
            "Service tier {tier} is not supported for {model_id} in {region}"
        ))),
    }
}

/// The request body as a JSON object (borrowed: bodies can be large); an
/// empty body is `{}`.
pub(crate) fn body_object<'a>(json: Option<&'a Value>, raw: &[u8]) -> Result<Cow<'a, Value>, ApiError> {
    match json {
        Some(v @ Value::Object(_)) => Ok(Cow::Borrowed(v)),
        Some(_) => Err(ApiError::serialization(
            "Unable to parse request body: expected a JSON object",
        )),
        None if raw.iter().all(u8::is_ascii_whitespace) => Ok(Cow::Owned(json!({}))),
        None => Err(ApiError::serialization("Unable to parse request body: invalid JSON")),
    }
}

pub(crate) fn valid_model(model_id: &str) -> Result<(), ApiError> {
    behaviour::parse_model_ref(model_id)
        .map(|_| ())
        .ok_or_else(ApiError::invalid_model)
}

pub(crate) fn required_str<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '' at '{key}' failed to satisfy constraint: \
             Member must have length greater than or equal to 1"
        ))),
        Some(Value::Null) | None => Err(ApiError::validation(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: \
             Member must not be null"
        ))),
        Some(_) => Err(ApiError::serialization(format!("{key} must be a string"))),
    }
}
