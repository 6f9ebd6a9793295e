//! The operations: routing from method + path, request parsing and validation
//! (no side effects), and rendering of the wire responses.
//!
//! Paths, JSON shapes, headers and event types follow the serializers and
//! deserializers of aws-sdk-bedrockruntime 1.153.0 and
//! aws-sdk-bedrockagentruntime 1.151.0 (`src/protocol_serde/`,
//! `src/event_stream_serde.rs`).

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hyper::HeaderMap;
use serde_json::{Value, json};

use super::Timing;
use super::behaviour::{self, ModelRef, OptimizedVerdict};
use super::eventstream;
use crate::{Catalog, Latency, Operation};

/// Header carrying the requested/served latency of InvokeModel(WithResponseStream).
pub(crate) const LATENCY_HEADER: &str = "x-amzn-bedrock-performanceconfig-latency";
/// Header carrying the requested/served service tier of InvokeModel(WithResponseStream).
pub(crate) const TIER_HEADER: &str = "x-amzn-bedrock-service-tier";

const SERVICE_TIERS: &[&str] = &["default", "flex", "priority", "reserved"];

/// An error answer: HTTP status, `x-amzn-ErrorType` and `{"message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn validation(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            error_type: "ValidationException",
            message: message.into(),
        }
    }

    pub(crate) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            error_type: "SerializationException",
            message: message.into(),
        }
    }

    pub(crate) fn invalid_model() -> ApiError {
        ApiError::validation("The provided model identifier is invalid.")
    }

    pub(crate) fn latency_not_supported(model_id: &str, region: &str) -> ApiError {
        ApiError::validation(format!(
            "Latency performance configuration is not supported for {model_id} in {region}"
        ))
    }

    pub(crate) fn throttling() -> ApiError {
        ApiError {
            status: 429,
            error_type: "ThrottlingException",
            message: "Too many requests, please wait before trying your request again.".into(),
        }
    }

    pub(crate) fn unavailable() -> ApiError {
        ApiError {
            status: 503,
            error_type: "ServiceUnavailableException",
            message: "The service is temporarily unable to handle the request. Try again later.".into(),
        }
    }

    pub(crate) fn unknown_operation(method: &str, path: &str) -> ApiError {
        ApiError {
            status: 404,
            error_type: "UnknownOperationException",
            message: format!(
                "bedrock-latency-local: no Bedrock operation at {method} {path} (served: POST \
                 /model/{{modelId}}/converse, /model/{{modelId}}/converse-stream, \
                 /model/{{modelId}}/invoke, /model/{{modelId}}/invoke-with-response-stream, \
                 /agents/{{sessionId}}, \
                 /agents/{{agentId}}/agentAliases/{{agentAliasId}}/sessions/{{sessionId}}/text, \
                 /retrieveAndGenerate, /retrieveAndGenerateStream)"
            ),
        }
    }

    pub(crate) fn too_large() -> ApiError {
        ApiError {
            status: 413,
            error_type: "ValidationException",
            message: "Request body too large.".into(),
        }
    }
}

/// Parses a wire latency value exactly (lower case), as the service does.
pub(crate) fn latency_from_wire(value: &str) -> Option<Latency> {
    match value {
        "standard" => Some(Latency::Standard),
        "optimized" => Some(Latency::Optimized),
        _ => None,
    }
}

/// Labels taken from the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathParams {
    Model(String),
    Session(String),
    Agent {
        agent_id: String,
        alias_id: String,
        session_id: String,
    },
    None,
}

/// Percent-decodes a path label. `None` if the result is not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = ((*h as char).to_digit(16), (*l as char).to_digit(16))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Recognises the operation from method and raw (percent-encoded) path.
pub(crate) fn route(method: &str, path: &str) -> Option<(Operation, PathParams)> {
    if method != "POST" {
        return None;
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let label = |s: &str| percent_decode(s).filter(|v| !v.is_empty());
    match segments.as_slice() {
        ["model", model, action] => {
            let op = match *action {
                "converse" => Operation::Converse,
                "converse-stream" => Operation::ConverseStream,
                "invoke" => Operation::InvokeModel,
                "invoke-with-response-stream" => Operation::InvokeModelStream,
                _ => return None,
            };
            Some((op, PathParams::Model(label(model)?)))
        }
        ["agents", session] => Some((Operation::InlineAgent, PathParams::Session(label(session)?))),
        ["agents", agent, "agentAliases", alias, "sessions", session, "text"] => Some((
            Operation::InvokeAgent,
            PathParams::Agent {
                agent_id: label(agent)?,
                alias_id: label(alias)?,
                session_id: label(session)?,
            },
        )),
        ["retrieveAndGenerate"] => Some((Operation::RetrieveAndGenerate, PathParams::None)),
        ["retrieveAndGenerateStream"] => Some((Operation::RetrieveAndGenerateStream, PathParams::None)),
        _ => None,
    }
}

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
    InlineAgent { session_id: String, stream_final: bool },
    Agent { session_id: String, stream_final: bool },
    Rag { session_id: Option<String> },
    RagStream { session_id: Option<String> },
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
    pub(crate) service_tier: Option<String>,
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

/// What was extracted from a request body.
#[derive(Debug, Default)]
struct Texts {
    chars: usize,
    last_user: String,
}

impl Texts {
    fn add(&mut self, text: &str) {
        self.chars += text.chars().count();
    }
}

fn enum_error(value: &str, at: &str, set: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: \
         Member must satisfy enum value set: [{set}]"
    ))
}

fn malformed(message: &str) -> ApiError {
    ApiError::validation(format!(
        "Malformed input request: {message}, please reformat your input and try again."
    ))
}

/// Reads `performanceConfig` (an object with an optional `latency`).
fn perf_latency(config: Option<&Value>, at: &str) -> Result<Option<Latency>, ApiError> {
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

fn tier_value(value: &str, at: &str) -> Result<String, ApiError> {
    if SERVICE_TIERS.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(enum_error(value, at, "priority, default, flex, reserved"))
    }
}

fn positive_u32(value: Option<&Value>, at: &str) -> Result<Option<u32>, ApiError> {
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

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Converse content blocks: the text of every `{"text": ...}` block.
fn converse_blocks_text(blocks: Option<&Value>) -> String {
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
fn converse_texts(body: &Value) -> Result<Texts, ApiError> {
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
fn anthropic_text(content: Option<&Value>) -> String {
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

/// Checks a requested latency against THE decision function.
fn eligibility(
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

fn body_object(json: Option<&Value>, raw: &[u8]) -> Result<Value, ApiError> {
    match json {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(_) => Err(ApiError::serialization(
            "Unable to parse request body: expected a JSON object",
        )),
        None if raw.iter().all(u8::is_ascii_whitespace) => Ok(json!({})),
        None => Err(ApiError::serialization("Unable to parse request body: invalid JSON")),
    }
}

fn valid_model(model_id: &str) -> Result<(), ApiError> {
    behaviour::parse_model_ref(model_id)
        .map(|_| ())
        .ok_or_else(ApiError::invalid_model)
}

fn required_str<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
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

/// Parses and validates a request. Pure: no quota, no faults.
pub(crate) fn prepare(
    operation: Operation,
    params: &PathParams,
    headers: &HeaderMap,
    raw: &[u8],
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
) -> Result<Prepared, ApiError> {
    match (operation, params) {
        (Operation::Converse | Operation::ConverseStream, PathParams::Model(model)) => {
            prepare_converse(operation, model, raw, json, region, catalog)
        }
        (Operation::InvokeModel | Operation::InvokeModelStream, PathParams::Model(m)) => {
            prepare_invoke(operation, m, headers, json, region, catalog)
        }
        (Operation::InlineAgent, PathParams::Session(session)) => {
            prepare_inline_agent(session, raw, json, region, catalog)
        }
        (Operation::InvokeAgent, PathParams::Agent { session_id, .. }) => {
            let body = body_object(json, raw)?;
            let requested = perf_latency(
                body.get("bedrockModelConfigurations")
                    .and_then(|c| c.get("performanceConfig")),
                "bedrockModelConfigurations.performanceConfig",
            )?;
            let input = body
                .get("inputText")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let stream_final = body
                .pointer("/streamingConfigurations/streamFinalResponse")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Ok(Prepared {
                operation,
                model_id: None,
                requested,
                optimized_cap: None,
                honours_latency: false,
                service_tier: None,
                input_tokens: behaviour::estimate_tokens(input.chars().count()),
                max_tokens: None,
                prompt: input,
                shape: Shape::Agent {
                    session_id: session_id.clone(),
                    stream_final,
                },
            })
        }
        (Operation::RetrieveAndGenerate | Operation::RetrieveAndGenerateStream, _) => {
            prepare_rag(operation, raw, json, region, catalog)
        }
        _ => Err(ApiError::unknown_operation("POST", operation.aws_name())),
    }
}

fn prepare_converse(
    operation: Operation,
    model: &str,
    raw: &[u8],
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
) -> Result<Prepared, ApiError> {
    valid_model(model)?;
    let body = body_object(json, raw)?;
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
    let optimized_cap = eligibility(catalog, requested, model, region)?;
    Ok(Prepared {
        operation,
        model_id: Some(model.to_owned()),
        requested,
        optimized_cap,
        honours_latency: true,
        service_tier,
        input_tokens: behaviour::estimate_tokens(texts.chars),
        max_tokens,
        prompt: texts.last_user,
        shape: if operation == Operation::Converse {
            Shape::Converse
        } else {
            Shape::ConverseStream
        },
    })
}

fn prepare_invoke(
    operation: Operation,
    model: &str,
    headers: &HeaderMap,
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
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
    let Some(body @ Value::Object(_)) = json else {
        return Err(malformed("#: expected type: JSONObject"));
    };
    let (texts, max_tokens) = match family {
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
    };
    let optimized_cap = eligibility(catalog, requested, model, region)?;
    Ok(Prepared {
        operation,
        model_id: Some(model.to_owned()),
        requested,
        optimized_cap,
        honours_latency: true,
        service_tier,
        input_tokens: behaviour::estimate_tokens(texts.chars),
        max_tokens,
        prompt: texts.last_user,
        shape: if operation == Operation::InvokeModel {
            Shape::Invoke(family)
        } else {
            Shape::InvokeStream(family)
        },
    })
}

fn prepare_inline_agent(
    session: &str,
    raw: &[u8],
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
) -> Result<Prepared, ApiError> {
    let body = body_object(json, raw)?;
    let model = required_str(&body, "foundationModel")?.to_owned();
    required_str(&body, "instruction")?;
    valid_model(&model)?;
    let input = body
        .get("inputText")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let instruction = body.get("instruction").and_then(Value::as_str).unwrap_or_default();
    let requested = perf_latency(
        body.get("bedrockModelConfigurations")
            .and_then(|c| c.get("performanceConfig")),
        "bedrockModelConfigurations.performanceConfig",
    )?;
    let stream_final = body
        .pointer("/streamingConfigurations/streamFinalResponse")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let optimized_cap = eligibility(catalog, requested, &model, region)?;
    Ok(Prepared {
        operation: Operation::InlineAgent,
        model_id: Some(model),
        requested,
        optimized_cap,
        honours_latency: true,
        service_tier: None,
        input_tokens: behaviour::estimate_tokens(input.chars().count() + instruction.chars().count()),
        max_tokens: None,
        prompt: input,
        shape: Shape::InlineAgent {
            session_id: session.to_owned(),
            stream_final,
        },
    })
}

fn prepare_rag(
    operation: Operation,
    raw: &[u8],
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
) -> Result<Prepared, ApiError> {
    let body = body_object(json, raw)?;
    let Some(text) = body.pointer("/input/text").and_then(Value::as_str) else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'input' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let Some(config) = body.get("retrieveAndGenerateConfiguration") else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'retrieveAndGenerateConfiguration' \
             failed to satisfy constraint: Member must not be null",
        ));
    };
    let kind = config.get("type").and_then(Value::as_str).unwrap_or_default();
    let (inner, inner_name) = match kind {
        "KNOWLEDGE_BASE" => (config.get("knowledgeBaseConfiguration"), "knowledgeBaseConfiguration"),
        "EXTERNAL_SOURCES" => (
            config.get("externalSourcesConfiguration"),
            "externalSourcesConfiguration",
        ),
        other => {
            return Err(enum_error(
                other,
                "retrieveAndGenerateConfiguration.type",
                "KNOWLEDGE_BASE, EXTERNAL_SOURCES",
            ));
        }
    };
    let Some(inner) = inner else {
        return Err(ApiError::validation(format!(
            "{inner_name} must be provided when type is {kind}"
        )));
    };
    let model = required_str(inner, "modelArn")?.to_owned();
    valid_model(&model)?;
    let generation = perf_latency(
        inner
            .get("generationConfiguration")
            .and_then(|g| g.get("performanceConfig")),
        &format!("retrieveAndGenerateConfiguration.{inner_name}.generationConfiguration.performanceConfig"),
    )?;
    let orchestration = perf_latency(
        inner
            .get("orchestrationConfiguration")
            .and_then(|g| g.get("performanceConfig")),
        &format!("retrieveAndGenerateConfiguration.{inner_name}.orchestrationConfiguration.performanceConfig"),
    )?;
    // Both configurations run on `modelArn`; either asking optimized must be servable.
    eligibility(catalog, orchestration, &model, region)?;
    let requested = generation.or(orchestration);
    let optimized_cap = eligibility(catalog, requested, &model, region)?;
    let session_id = body.get("sessionId").and_then(Value::as_str).map(str::to_owned);
    Ok(Prepared {
        operation,
        model_id: Some(model),
        requested,
        optimized_cap,
        honours_latency: true,
        service_tier: None,
        input_tokens: behaviour::estimate_tokens(text.chars().count()),
        max_tokens: positive_u32(
            inner.pointer("/generationConfiguration/inferenceConfig/textInferenceConfig/maxTokens"),
            "maxTokens",
        )?,
        prompt: text.to_owned(),
        shape: if operation == Operation::RetrieveAndGenerate {
            Shape::Rag { session_id }
        } else {
            Shape::RagStream { session_id }
        },
    })
}

/// One frame of a stream and the delay before it.
#[derive(Debug, Clone)]
pub(crate) struct TimedFrame {
    pub(crate) delay: Duration,
    pub(crate) bytes: Bytes,
}

/// A rendered answer.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A complete body, sent after `delay`.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
        delay: Duration,
    },
    /// An event stream.
    Stream {
        headers: Vec<(&'static str, String)>,
        frames: Vec<TimedFrame>,
        /// `:exception-type` used by the model-stream-error fault.
        stream_error_type: &'static str,
    },
}

impl Reply {
    pub(crate) fn error(error: &ApiError) -> Reply {
        Reply::Full {
            status: error.status,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                (
                    "x-amzn-errortype",
                    format!(
                        "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                        error.error_type
                    ),
                ),
            ],
            body: Bytes::from(json!({ "message": error.message }).to_string()),
            delay: Duration::ZERO,
        }
    }

    fn json(value: &Value, mut headers: Vec<(&'static str, String)>, delay: Duration) -> Reply {
        headers.insert(0, ("content-type", "application/json".to_owned()));
        Reply::Full {
            status: 200,
            headers,
            body: Bytes::from(value.to_string()),
            delay,
        }
    }
}

/// Everything rendering needs besides the request.
#[derive(Debug, Clone)]
pub(crate) struct RenderContext<'a> {
    pub(crate) served: Latency,
    pub(crate) answer_len: u32,
    pub(crate) timing: Timing,
    pub(crate) request_id: &'a str,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Puts a frame per token on a schedule: the first after `ttft`, then
/// `per_token` apart; `preamble` frames go out with the first token and
/// `trailer` frames right after the last.
fn schedule(preamble: Vec<Bytes>, tokens: Vec<Bytes>, trailer: Vec<Bytes>, timing: Timing) -> Vec<TimedFrame> {
    let mut frames = Vec::with_capacity(preamble.len() + tokens.len() + trailer.len());
    let had_preamble = !preamble.is_empty();
    for (i, bytes) in preamble.into_iter().enumerate() {
        let delay = if i == 0 {
            timing.time_to_first_token
        } else {
            Duration::ZERO
        };
        frames.push(TimedFrame { delay, bytes });
    }
    for (i, bytes) in tokens.into_iter().enumerate() {
        let delay = match (i, had_preamble) {
            (0, true) => Duration::ZERO,
            (0, false) => timing.time_to_first_token,
            _ => timing.per_token,
        };
        frames.push(TimedFrame { delay, bytes });
    }
    frames.extend(trailer.into_iter().map(|bytes| TimedFrame {
        delay: Duration::ZERO,
        bytes,
    }));
    frames
}

/// Renders the successful answer of a prepared request.
pub(crate) fn render(p: &Prepared, ctx: &RenderContext<'_>) -> Reply {
    let model = p.model_id.as_deref().unwrap_or("agent");
    let output_tokens = p.output_tokens(ctx.answer_len);
    let truncated = output_tokens < ctx.answer_len.max(1);
    let tokens = behaviour::answer_tokens(model, &p.prompt, output_tokens);
    let text = tokens.concat();
    let latency = ctx.timing.total(output_tokens);
    let latency_ms = millis(latency);
    let input = p.input_tokens;
    let usage = json!({
        "inputTokens": input,
        "outputTokens": output_tokens,
        "totalTokens": u64::from(input) + u64::from(output_tokens),
    });
    let stop = if truncated { "max_tokens" } else { "end_turn" };
    let report_latency = p.requested.is_some() && p.honours_latency;
    let served = ctx.served.as_str();
    let invocation_metrics = json!({
        "inputTokenCount": input,
        "outputTokenCount": output_tokens,
        "invocationLatency": latency_ms,
        "firstByteLatency": millis(ctx.timing.time_to_first_token),
    });
    let mut runtime_headers: Vec<(&'static str, String)> = Vec::new();
    if report_latency {
        runtime_headers.push(("x-amzn-bedrock-performanceconfig-latency", served.to_owned()));
    }
    if let Some(tier) = &p.service_tier {
        runtime_headers.push(("x-amzn-bedrock-service-tier", tier.clone()));
    }
    match &p.shape {
        Shape::Converse => {
            let mut body = json!({
                "metrics": { "latencyMs": latency_ms },
                "output": { "message": { "content": [ { "text": text } ], "role": "assistant" } },
                "stopReason": stop,
                "usage": usage,
            });
            if report_latency {
                body["performanceConfig"] = json!({ "latency": served });
            }
            if let Some(tier) = &p.service_tier {
                body["serviceTier"] = json!({ "type": tier });
            }
            Reply::json(&body, Vec::new(), latency)
        }
        Shape::ConverseStream => {
            let preamble = vec![eventstream::event("messageStart", &json!({ "role": "assistant" }))];
            let deltas = tokens
                .iter()
                .map(|t| {
                    eventstream::event(
                        "contentBlockDelta",
                        &json!({ "contentBlockIndex": 0, "delta": { "text": t } }),
                    )
                })
                .collect();
            let mut metadata = json!({ "metrics": { "latencyMs": latency_ms }, "usage": usage });
            if report_latency {
                metadata["performanceConfig"] = json!({ "latency": served });
            }
            if let Some(tier) = &p.service_tier {
                metadata["serviceTier"] = json!({ "type": tier });
            }
            let trailer = vec![
                eventstream::event("contentBlockStop", &json!({ "contentBlockIndex": 0 })),
                eventstream::event("messageStop", &json!({ "stopReason": stop })),
                eventstream::event("metadata", &metadata),
            ];
            Reply::Stream {
                headers: vec![("content-type", "application/vnd.amazon.eventstream".into())],
                frames: schedule(preamble, deltas, trailer, ctx.timing),
                stream_error_type: "modelStreamErrorException",
            }
        }
        Shape::Invoke(family) => {
            let body = match family {
                Family::Anthropic => json!({
                    "id": format!("msg_bdrk_{}", ctx.request_id.replace('-', "")),
                    "type": "message",
                    "role": "assistant",
                    "model": anthropic_model_name(model),
                    "content": [ { "type": "text", "text": text } ],
                    "stop_reason": stop,
                    "stop_sequence": null,
                    "usage": { "input_tokens": input, "output_tokens": output_tokens },
                }),
                Family::Nova => json!({
                    "output": { "message": { "content": [ { "text": text } ], "role": "assistant" } },
                    "stopReason": stop,
                    "usage": usage,
                }),
                Family::Llama => json!({
                    "generation": text,
                    "prompt_token_count": input,
                    "generation_token_count": output_tokens,
                    "stop_reason": if truncated { "length" } else { "stop" },
                }),
            };
            let mut headers = runtime_headers;
            headers.push(("x-amzn-bedrock-input-token-count", input.to_string()));
            headers.push(("x-amzn-bedrock-output-token-count", output_tokens.to_string()));
            headers.push(("x-amzn-bedrock-invocation-latency", latency_ms.to_string()));
            Reply::json(&body, headers, latency)
        }
        Shape::InvokeStream(family) => {
            let chunk = |v: Value| {
                let encoded = base64::engine::general_purpose::STANDARD.encode(v.to_string());
                eventstream::event("chunk", &json!({ "bytes": encoded }))
            };
            let (preamble, deltas, trailer) = match family {
                Family::Anthropic => (
                    vec![
                        chunk(json!({
                            "type": "message_start",
                            "message": {
                                "id": format!("msg_bdrk_{}", ctx.request_id.replace('-', "")),
                                "type": "message", "role": "assistant",
                                "model": anthropic_model_name(model),
                                "content": [], "stop_reason": null, "stop_sequence": null,
                                "usage": { "input_tokens": input, "output_tokens": 1 },
                            }
                        })),
                        chunk(json!({
                            "type": "content_block_start", "index": 0,
                            "content_block": { "type": "text", "text": "" }
                        })),
                    ],
                    tokens
                        .iter()
                        .map(|t| {
                            chunk(json!({
                                "type": "content_block_delta", "index": 0,
                                "delta": { "type": "text_delta", "text": t }
                            }))
                        })
                        .collect(),
                    vec![
                        chunk(json!({ "type": "content_block_stop", "index": 0 })),
                        chunk(json!({
                            "type": "message_delta",
                            "delta": { "stop_reason": stop, "stop_sequence": null },
                            "usage": { "output_tokens": output_tokens }
                        })),
                        chunk(json!({
                            "type": "message_stop",
                            "amazon-bedrock-invocationMetrics": invocation_metrics,
                        })),
                    ],
                ),
                Family::Nova => (
                    vec![chunk(json!({ "messageStart": { "role": "assistant" } }))],
                    tokens
                        .iter()
                        .map(|t| {
                            chunk(json!({
                                "contentBlockDelta": { "delta": { "text": t }, "contentBlockIndex": 0 }
                            }))
                        })
                        .collect(),
                    vec![
                        chunk(json!({ "contentBlockStop": { "contentBlockIndex": 0 } })),
                        chunk(json!({ "messageStop": { "stopReason": stop } })),
                        chunk(json!({
                            "metadata": { "usage": { "inputTokens": input, "outputTokens": output_tokens } },
                            "amazon-bedrock-invocationMetrics": invocation_metrics,
                        })),
                    ],
                ),
                Family::Llama => {
                    let n = tokens.len();
                    let deltas = tokens
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let mut v = json!({
                                "generation": t,
                                "prompt_token_count": if i == 0 { json!(input) } else { Value::Null },
                                "generation_token_count": i + 1,
                                "stop_reason": null,
                            });
                            if i + 1 == n {
                                v["stop_reason"] = json!(if truncated { "length" } else { "stop" });
                                v["amazon-bedrock-invocationMetrics"] = invocation_metrics.clone();
                            }
                            chunk(v)
                        })
                        .collect();
                    (Vec::new(), deltas, Vec::new())
                }
            };
            let mut headers = vec![
                ("content-type", "application/vnd.amazon.eventstream".to_owned()),
                ("x-amzn-bedrock-content-type", "application/json".to_owned()),
            ];
            headers.extend(runtime_headers);
            Reply::Stream {
                headers,
                frames: schedule(preamble, deltas, trailer, ctx.timing),
                stream_error_type: "modelStreamErrorException",
            }
        }
        Shape::InlineAgent {
            session_id,
            stream_final,
        }
        | Shape::Agent {
            session_id,
            stream_final,
        } => {
            let chunk = |t: &str| {
                let encoded = base64::engine::general_purpose::STANDARD.encode(t);
                eventstream::event("chunk", &json!({ "bytes": encoded }))
            };
            let frames = if *stream_final {
                schedule(
                    Vec::new(),
                    tokens.iter().map(|t| chunk(t)).collect(),
                    Vec::new(),
                    ctx.timing,
                )
            } else {
                vec![TimedFrame {
                    delay: latency,
                    bytes: chunk(&text),
                }]
            };
            Reply::Stream {
                headers: vec![
                    ("content-type", "application/vnd.amazon.eventstream".to_owned()),
                    ("x-amzn-bedrock-agent-content-type", "application/json".to_owned()),
                    ("x-amz-bedrock-agent-session-id", session_id.clone()),
                ],
                frames,
                stream_error_type: "dependencyFailedException",
            }
        }
        Shape::Rag { session_id } => {
            let session = session_id.clone().unwrap_or_else(|| ctx.request_id.to_owned());
            let body = json!({
                "sessionId": session,
                "output": { "text": text },
                "citations": [],
            });
            Reply::json(&body, Vec::new(), latency)
        }
        Shape::RagStream { session_id } => {
            let session = session_id.clone().unwrap_or_else(|| ctx.request_id.to_owned());
            let deltas = tokens
                .iter()
                .map(|t| eventstream::event("output", &json!({ "text": t })))
                .collect();
            Reply::Stream {
                headers: vec![
                    ("content-type", "application/vnd.amazon.eventstream".to_owned()),
                    ("x-amzn-bedrock-knowledge-base-session-id", session),
                ],
                frames: schedule(Vec::new(), deltas, Vec::new(), ctx.timing),
                stream_error_type: "dependencyFailedException",
            }
        }
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

/// The JSON payload of an exception frame.
pub(crate) fn stream_error_payload(exception_type: &str) -> Value {
    if exception_type == "modelStreamErrorException" {
        json!({
            "message": "The model encountered an error while streaming (injected by bedrock-latency-local).",
            "originalStatusCode": 500,
            "originalMessage": "injected model stream error",
        })
    } else {
        json!({
            "message": "A dependency failed while streaming (injected by bedrock-latency-local).",
            "resourceName": "model",
        })
    }
}

/// Reads `name` from headers, for the record.
pub(crate) fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    header_str(headers, name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("POST", "/model/us.amazon.nova-pro-v1%3A0/converse"),
            Some((Operation::Converse, PathParams::Model("us.amazon.nova-pro-v1:0".into())))
        );
        assert_eq!(
            route(
                "POST",
                "/model/arn%3Aaws%3Abedrock%3Aus-east-2%3A1%3Ainference-profile%2Fus.x/invoke"
            ),
            Some((
                Operation::InvokeModel,
                PathParams::Model("arn:aws:bedrock:us-east-2:1:inference-profile/us.x".into())
            ))
        );
        assert_eq!(route("GET", "/model/x/converse"), None);
        assert_eq!(route("POST", "/model//converse"), None);
        assert_eq!(route("POST", "/nope"), None);
        assert_eq!(
            route("POST", "/agents/a/agentAliases/b/sessions/c/text").map(|r| r.0),
            Some(Operation::InvokeAgent)
        );
        assert_eq!(percent_decode("%zz%4"), Some("%zz%4".into()));
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn schedule_puts_first_token_after_ttft() {
        let t = Timing::new(Duration::from_millis(100), Duration::from_millis(10));
        let b = Bytes::from_static(b"x");
        let frames = schedule(
            vec![b.clone()],
            vec![b.clone(), b.clone(), b.clone()],
            vec![b.clone()],
            t,
        );
        let delays: Vec<u128> = frames.iter().map(|f| f.delay.as_millis()).collect();
        assert_eq!(delays, vec![100, 0, 10, 10, 0]);
        let frames = schedule(Vec::new(), vec![b.clone(), b.clone()], Vec::new(), t);
        let delays: Vec<u128> = frames.iter().map(|f| f.delay.as_millis()).collect();
        assert_eq!(delays, vec![100, 10]);
        let total: Duration = schedule(Vec::new(), vec![b.clone(); 4], Vec::new(), t)
            .iter()
            .map(|f| f.delay)
            .sum();
        assert_eq!(total, t.total(4));
    }

    #[test]
    fn anthropic_names() {
        assert_eq!(
            anthropic_model_name("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            "claude-3-5-haiku-20241022"
        );
    }
}
