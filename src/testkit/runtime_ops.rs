//! bedrock-runtime operations: Converse, ConverseStream, InvokeModel and
//! InvokeModelWithResponseStream (parsing and rendering).

use base64::Engine as _;
use hyper::HeaderMap;
use serde_json::{Value, json};

use super::behaviour::{self, ModelRef};
use super::eventstream;
use super::parse::{
    Texts, anthropic_text, body_object, converse_texts, eligibility, enum_error, malformed, perf_latency, positive_u32,
    tier_eligibility, tier_value, valid_model,
};
use super::prepared::{Answer, Call, Family, Prepared, Shape};
use super::wire::{ApiError, LATENCY_HEADER, Reply, TIER_HEADER, latency_from_wire, schedule};
use crate::{Latency, Operation};

fn family_of(model_id: &str) -> Option<Family> {
    let r = behaviour::parse_model_ref(model_id)?;
    let base = r.base()?;
    match r.provider()? {
        "anthropic" => Some(Family::Anthropic),
        "meta" => Some(Family::Llama),
        "amazon" if base.starts_with("amazon.nova") => Some(Family::Nova),
        _ => None,
    }
}

pub(crate) fn prepare_converse(operation: Operation, model: &str, call: &Call<'_>) -> Result<Prepared, ApiError> {
    valid_model(model)?;
    let body = body_object(call.json, call.raw)?;
    let texts = converse_texts(&body)?;
    let requested = perf_latency(body.get("performanceConfig"), "performanceConfig")?;
    let service_tier = match body.get("serviceTier") {
        None | Some(Value::Null) => None,
        Some(tier) => match tier.get("type") {
            Some(Value::String(t)) => Some(tier_value(t, "serviceTier.type")?),
            _ => return Err(ApiError::serialization("serviceTier.type must be a string")),
        },
    };
    let max_tokens = positive_u32(body.pointer("/inferenceConfig/maxTokens"), "inferenceConfig.maxTokens")?;
    let shape = if operation == Operation::Converse {
        Shape::Converse
    } else {
        Shape::ConverseStream
    };
    let asked = Asked {
        requested,
        service_tier,
        max_tokens,
    };
    model_request(operation, model, call, asked, texts, shape)
}

/// What a runtime request asked for, from its body or its headers.
struct Asked {
    requested: Option<Latency>,
    service_tier: Option<String>,
    max_tokens: Option<u32>,
}

/// The prepared request of a runtime operation, once the model's
/// eligibility for what was asked is checked.
fn model_request(
    operation: Operation,
    model: &str,
    call: &Call<'_>,
    asked: Asked,
    texts: Texts,
    shape: Shape,
) -> Result<Prepared, ApiError> {
    let optimized_cap = eligibility(call.catalog, asked.requested, model, call.region)?;
    let tier_plan = tier_eligibility(call.catalog, asked.service_tier.as_deref(), model, call.region)?;
    Ok(Prepared {
        operation,
        model_id: Some(model.to_owned()),
        requested: asked.requested,
        optimized_cap,
        honours_latency: true,
        service_tier: asked.service_tier,
        tier_plan,
        input_tokens: behaviour::estimate_tokens(texts.chars),
        max_tokens: asked.max_tokens,
        prompt: texts.last_user,
        shape,
    })
}

pub(crate) fn prepare_invoke(
    operation: Operation,
    model: &str,
    headers: &HeaderMap,
    call: &Call<'_>,
) -> Result<Prepared, ApiError> {
    valid_model(model)?;
    let requested = match headers.get(LATENCY_HEADER) {
        None => None,
        Some(v) => {
            let v = v.to_str().unwrap_or_default();
            Some(latency_from_wire(v).ok_or_else(|| enum_error(v, "performanceConfigLatency", "optimized, standard"))?)
        }
    };
    let service_tier = match headers.get(TIER_HEADER) {
        None => None,
        Some(v) => Some(tier_value(v.to_str().unwrap_or_default(), "serviceTier")?),
    };
    let family = family_of(model).ok_or_else(|| {
        ApiError::validation(format!(
            "bedrock-latency-local does not simulate the native InvokeModel body of {model} \
             (simulated: anthropic.*, amazon.nova*, meta.*); use Converse for other models"
        ))
    })?;
    let Some(body @ Value::Object(_)) = call.json else {
        return Err(malformed("#: expected type: JSONObject"));
    };
    let (texts, max_tokens) = invoke_texts(family, body)?;
    let shape = if operation == Operation::InvokeModel {
        Shape::Invoke(family)
    } else {
        Shape::InvokeStream(family)
    };
    let asked = Asked {
        requested,
        service_tier,
        max_tokens,
    };
    model_request(operation, model, call, asked, texts, shape)
}

/// The prompt texts and maximum output tokens of a native InvokeModel body.
fn invoke_texts(family: Family, body: &Value) -> Result<(Texts, Option<u32>), ApiError> {
    Ok(match family {
        Family::Anthropic => {
            if !body.get("anthropic_version").is_some_and(Value::is_string) {
                return Err(malformed("#: required key [anthropic_version] not found"));
            }
            let Some(max) = body.get("max_tokens") else {
                return Err(malformed("#: required key [max_tokens] not found"));
            };
            let max = positive_u32(Some(max), "max_tokens")?;
            let Some(messages) = body.get("messages").and_then(Value::as_array) else {
                return Err(malformed("#: required key [messages] not found"));
            };
            let mut texts = Texts::default();
            texts.add(&anthropic_text(body.get("system")));
            for m in messages {
                let text = anthropic_text(m.get("content"));
                texts.add(&text);
                if m.get("role").and_then(Value::as_str) == Some("user") {
                    texts.last_user = text;
                }
            }
            if messages.is_empty() {
                return Err(malformed("#/messages: expected minimum item count: 1, found: 0"));
            }
            (texts, max)
        }
        Family::Nova => {
            if !body.get("messages").is_some_and(Value::is_array) {
                return Err(malformed("#: required key [messages] not found"));
            }
            let texts = converse_texts(body)?;
            let max = match body.pointer("/inferenceConfig/max_new_tokens") {
                Some(v) => positive_u32(Some(v), "inferenceConfig.max_new_tokens")?,
                None => positive_u32(body.pointer("/inferenceConfig/maxTokens"), "inferenceConfig.maxTokens")?,
            };
            (texts, max)
        }
        Family::Llama => {
            let Some(prompt) = body.get("prompt").and_then(Value::as_str) else {
                return Err(malformed("#: required key [prompt] not found"));
            };
            let mut texts = Texts::default();
            texts.add(prompt);
            texts.last_user = prompt.to_owned();
            let max = positive_u32(body.get("max_gen_len"), "max_gen_len")?;
            (texts, max)
        }
    })
}

/// The response headers of InvokeModel(WithResponseStream) that report the
/// served latency and tier (only when requested): the SDK reads the served
/// tier of InvokeModel from `X-Amzn-Bedrock-Service-Tier` (aws-sdk-bedrockruntime
/// `InvokeModelOutput::service_tier`).
fn runtime_headers(a: &Answer<'_>) -> Vec<(&'static str, String)> {
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    if a.report_latency {
        headers.push((LATENCY_HEADER, a.served.to_owned()));
    }
    if let Some(tier) = a.served_tier {
        headers.push((TIER_HEADER, tier.to_owned()));
    }
    headers
}

/// Adds `performanceConfig` and `serviceTier` (the served ones) to a
/// Converse body or metadata event, when requested (as the AWS capture
/// converse-service-tier-flex shows).
fn report_tier(target: &mut Value, a: &Answer<'_>) {
    if a.report_latency {
        target["performanceConfig"] = json!({ "latency": a.served });
    }
    if let Some(tier) = a.served_tier {
        target["serviceTier"] = json!({ "type": tier });
    }
}

pub(crate) fn render_converse(a: &Answer<'_>) -> Reply {
    let mut body = json!({
        "metrics": { "latencyMs": a.latency_ms },
        "output": { "message": { "content": [ { "text": a.text } ], "role": "assistant" } },
        "stopReason": a.stop,
        "usage": a.usage,
    });
    report_tier(&mut body, a);
    Reply::json(&body, Vec::new(), a.latency)
}

pub(crate) fn render_converse_stream(a: &Answer<'_>) -> Reply {
    let preamble = vec![eventstream::padded_event(
        "messageStart",
        &json!({ "role": "assistant" }),
    )];
    let deltas = a
        .tokens
        .iter()
        .map(|t| {
            eventstream::padded_event(
                "contentBlockDelta",
                &json!({ "contentBlockIndex": 0, "delta": { "text": t } }),
            )
        })
        .collect();
    let mut metadata = json!({ "metrics": { "latencyMs": a.latency_ms }, "usage": a.usage });
    report_tier(&mut metadata, a);
    let trailer = vec![
        eventstream::padded_event("contentBlockStop", &json!({ "contentBlockIndex": 0 })),
        eventstream::padded_event("messageStop", &json!({ "stopReason": a.stop })),
        eventstream::padded_event("metadata", &metadata),
    ];
    Reply::Stream {
        headers: vec![("content-type", "application/vnd.amazon.eventstream".into())],
        frames: schedule(preamble, deltas, trailer, a.timing),
        stream_error_type: "modelStreamErrorException",
    }
}

/// `amazon-bedrock-invocationMetrics` of the last chunk of a stream.
fn invocation_metrics(a: &Answer<'_>) -> Value {
    json!({
        "inputTokenCount": a.input,
        "outputTokenCount": a.output_tokens,
        "invocationLatency": a.latency_ms,
        "firstByteLatency": super::wire::millis(a.timing.time_to_first_token),
    })
}

fn anthropic_id(a: &Answer<'_>) -> String {
    format!("msg_bdrk_{}", a.request_id.replace('-', ""))
}

pub(crate) fn render_invoke(family: Family, a: &Answer<'_>) -> Reply {
    let body = match family {
        Family::Anthropic => json!({
            "id": anthropic_id(a),
            "type": "message",
            "role": "assistant",
            "model": anthropic_model_name(a.model),
            "content": [ { "type": "text", "text": a.text } ],
            "stop_reason": a.stop,
            "stop_sequence": null,
            "usage": { "input_tokens": a.input, "output_tokens": a.output_tokens },
        }),
        Family::Nova => json!({
            "output": { "message": { "content": [ { "text": a.text } ], "role": "assistant" } },
            "stopReason": a.stop,
            "usage": {
                "inputTokens": a.input,
                "outputTokens": a.output_tokens,
                "totalTokens": u64::from(a.input) + u64::from(a.output_tokens),
                "cacheReadInputTokenCount": 0,
                "cacheWriteInputTokenCount": 0,
            },
        }),
        Family::Llama => json!({
            "generation": a.text,
            "prompt_token_count": a.input,
            "generation_token_count": a.output_tokens,
            "stop_reason": if a.truncated { "length" } else { "stop" },
        }),
    };
    let mut headers = runtime_headers(a);
    // Header names and order as in the AWS capture invoke-model-nova-micro.
    headers.push(("x-amzn-bedrock-cache-read-input-token-count", "0".to_owned()));
    headers.push(("x-amzn-bedrock-cache-write-input-token-count", "0".to_owned()));
    headers.push(("x-amzn-bedrock-input-token-count", a.input.to_string()));
    headers.push(("x-amzn-bedrock-invocation-latency", a.latency_ms.to_string()));
    headers.push(("x-amzn-bedrock-output-token-count", a.output_tokens.to_string()));
    Reply::json(&body, headers, a.latency)
}

/// A `chunk` event carrying one native JSON object, base64-encoded.
fn chunk(v: &Value) -> bytes::Bytes {
    let encoded = base64::engine::general_purpose::STANDARD.encode(v.to_string());
    eventstream::padded_event("chunk", &json!({ "bytes": encoded }))
}

type Frames = (Vec<bytes::Bytes>, Vec<bytes::Bytes>, Vec<bytes::Bytes>);

fn anthropic_stream(a: &Answer<'_>) -> Frames {
    let preamble = vec![
        chunk(&json!({
            "type": "message_start",
            "message": {
                "id": anthropic_id(a),
                "type": "message", "role": "assistant",
                "model": anthropic_model_name(a.model),
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": a.input, "output_tokens": 1 },
            }
        })),
        chunk(&json!({
            "type": "content_block_start", "index": 0,
            "content_block": { "type": "text", "text": "" }
        })),
    ];
    let deltas = a
        .tokens
        .iter()
        .map(|t| {
            chunk(&json!({
                "type": "content_block_delta", "index": 0,
                "delta": { "type": "text_delta", "text": t }
            }))
        })
        .collect();
    let trailer = vec![
        chunk(&json!({ "type": "content_block_stop", "index": 0 })),
        chunk(&json!({
            "type": "message_delta",
            "delta": { "stop_reason": a.stop, "stop_sequence": null },
            "usage": { "output_tokens": a.output_tokens }
        })),
        chunk(&json!({
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": invocation_metrics(a),
        })),
    ];
    (preamble, deltas, trailer)
}

fn nova_stream(a: &Answer<'_>) -> Frames {
    let deltas = a
        .tokens
        .iter()
        .map(|t| {
            chunk(&json!({
                "contentBlockDelta": { "delta": { "text": t }, "contentBlockIndex": 0 }
            }))
        })
        .collect();
    let trailer = vec![
        chunk(&json!({ "contentBlockStop": { "contentBlockIndex": 0 } })),
        chunk(&json!({ "messageStop": { "stopReason": a.stop } })),
        chunk(&json!({
            "metadata": { "usage": { "inputTokens": a.input, "outputTokens": a.output_tokens } },
            "amazon-bedrock-invocationMetrics": invocation_metrics(a),
        })),
    ];
    (
        vec![chunk(&json!({ "messageStart": { "role": "assistant" } }))],
        deltas,
        trailer,
    )
}

fn llama_stream(a: &Answer<'_>) -> Frames {
    let n = a.tokens.len();
    let deltas = a
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v = json!({
                "generation": t,
                "prompt_token_count": if i == 0 { json!(a.input) } else { Value::Null },
                "generation_token_count": i + 1,
                "stop_reason": null,
            });
            if i + 1 == n {
                v["stop_reason"] = json!(if a.truncated { "length" } else { "stop" });
                v["amazon-bedrock-invocationMetrics"] = invocation_metrics(a);
            }
            chunk(&v)
        })
        .collect();
    (Vec::new(), deltas, Vec::new())
}

pub(crate) fn render_invoke_stream(family: Family, a: &Answer<'_>) -> Reply {
    let (preamble, deltas, trailer) = match family {
        Family::Anthropic => anthropic_stream(a),
        Family::Nova => nova_stream(a),
        Family::Llama => llama_stream(a),
    };
    let mut headers = vec![
        ("content-type", "application/vnd.amazon.eventstream".to_owned()),
        ("x-amzn-bedrock-content-type", "application/json".to_owned()),
    ];
    headers.extend(runtime_headers(a));
    Reply::Stream {
        headers,
        frames: schedule(preamble, deltas, trailer, a.timing),
        stream_error_type: "modelStreamErrorException",
    }
}

/// `anthropic.claude-3-5-haiku-20241022-v1:0` → `claude-3-5-haiku-20241022`.
fn anthropic_model_name(model_id: &str) -> String {
    let base = behaviour::parse_model_ref(model_id)
        .and_then(|r| match r {
            ModelRef::Base { base } | ModelRef::Profile { base, .. } => Some(base),
            ModelRef::Application => None,
        })
        .unwrap_or_else(|| model_id.to_owned());
    let name = base.strip_prefix("anthropic.").unwrap_or(&base);
    match name.rsplit_once("-v") {
        Some((head, _)) => head.to_owned(),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_names() {
        assert_eq!(
            anthropic_model_name("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            "claude-3-5-haiku-20241022"
        );
    }
}
