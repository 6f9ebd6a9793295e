//! The wire: routing from method + path, error answers, rendered replies and
//! the frame schedule of streams.
//!
//! Paths, JSON shapes, headers and event types follow the serializers and
//! deserializers of aws-sdk-bedrockruntime 1.153.0 and
//! aws-sdk-bedrockagentruntime 1.151.0 (`src/protocol_serde/`,
//! `src/event_stream_serde.rs`).

use std::time::Duration;

use bytes::Bytes;
use hyper::HeaderMap;
use serde_json::{Value, json};

use super::TokenTiming;
use crate::{Latency, Operation};

/// Header carrying the requested/served latency of InvokeModel(WithResponseStream).
pub(crate) const LATENCY_HEADER: &str = "x-amzn-bedrock-performanceconfig-latency";
/// Header carrying the requested/served service tier of InvokeModel(WithResponseStream).
pub(crate) const TIER_HEADER: &str = "x-amzn-bedrock-service-tier";

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

    /// The answer to the reserved tier without a reservation (secondary
    /// sources: see `parse::tier_eligibility`).
    pub(crate) fn reservation_not_found() -> ApiError {
        ApiError::validation("Reservation not found.")
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
                 /retrieveAndGenerate, /retrieveAndGenerateStream, \
                 /flows/{{flowId}}/aliases/{{aliasId}}, /flows/{{flowId}}/aliases/{{aliasId}}/executions)"
            ),
        }
    }

    pub(crate) fn read_timeout() -> ApiError {
        ApiError {
            status: 408,
            error_type: "RequestTimeoutException",
            message: "bedrock-latency-local: the request body did not arrive within the read timeout.".into(),
        }
    }

    pub(crate) fn busy() -> ApiError {
        ApiError {
            status: 503,
            error_type: "ServiceUnavailableException",
            message: "bedrock-latency-local: too many request bytes in flight; try again.".into(),
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
    Flow {
        flow_id: String,
        alias_id: String,
        /// StartFlowExecution (`.../executions`) rather than InvokeFlow.
        execution: bool,
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
        ["flows", flow, "aliases", alias] => Some((
            Operation::InvokeFlow,
            PathParams::Flow {
                flow_id: label(flow)?,
                alias_id: label(alias)?,
                execution: false,
            },
        )),
        ["flows", flow, "aliases", alias, "executions"] => Some((
            Operation::StartFlowExecution,
            PathParams::Flow {
                flow_id: label(flow)?,
                alias_id: label(alias)?,
                execution: true,
            },
        )),
        ["retrieveAndGenerate"] => Some((Operation::RetrieveAndGenerate, PathParams::None)),
        ["retrieveAndGenerateStream"] => Some((Operation::RetrieveAndGenerateStream, PathParams::None)),
        _ => None,
    }
}

/// Reads `name` from headers as text.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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

    pub(crate) fn json(value: &Value, mut headers: Vec<(&'static str, String)>, delay: Duration) -> Reply {
        headers.insert(0, ("content-type", "application/json".to_owned()));
        Reply::Full {
            status: 200,
            headers,
            body: Bytes::from(value.to_string()),
            delay,
        }
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Puts a frame per token on a schedule: the first after `ttft`, then
/// `per_token` apart; `preamble` frames go out with the first token and
/// `trailer` frames right after the last.
pub(crate) fn schedule(
    preamble: Vec<Bytes>,
    tokens: Vec<Bytes>,
    trailer: Vec<Bytes>,
    timing: TokenTiming,
) -> Vec<TimedFrame> {
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
        assert_eq!(
            route("POST", "/flows/F1/aliases/A1/executions"),
            Some((
                Operation::StartFlowExecution,
                PathParams::Flow {
                    flow_id: "F1".into(),
                    alias_id: "A1".into(),
                    execution: true
                }
            ))
        );
        assert_eq!(percent_decode("%zz%4"), Some("%zz%4".into()));
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn schedule_puts_first_token_after_ttft() {
        let t = TokenTiming::new(Duration::from_millis(100), Duration::from_millis(10));
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
}
