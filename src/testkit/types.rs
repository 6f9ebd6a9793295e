//! Public value types of the local endpoint: timing, fallbacks and the record
//! kept for every request.

use std::time::Duration;

use crate::{Latency, Operation};

/// Why an optimized request was served with standard latency (no error, like
/// the service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StandardFallback {
    /// The configured optimized quota of the model was used up.
    QuotaExhausted,
    /// The request exceeded the model's latency-optimized token cap (Llama 3.1
    /// 405B: estimated input tokens + max tokens > 11,000).
    TokenCap,
    /// The operation does not honour the setting (InvokeAgent).
    NotHonoured,
    /// Whether the operation honours the setting is unverified (InvokeFlow,
    /// StartFlowExecution): the endpoint records the request and serves
    /// standard without reporting a tier.
    Unverified,
}

/// Simulated timing of one latency tier (formerly `Timing`: renamed so that it
/// is not confused with the crate's [`crate::Timing`] report).
///
/// A response of `n` output tokens takes `time_to_first_token + (n - 1) *
/// per_token`: the first token comes after `time_to_first_token`, each further
/// token `per_token` later. Streams send their first content frame after
/// `time_to_first_token` and one frame per further token; non-streaming calls
/// wait the whole time before answering. `metrics.latencyMs` and the
/// `amazon-bedrock-invocationMetrics` report this simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenTiming {
    /// Delay before the first output token.
    pub time_to_first_token: Duration,
    /// Delay between two consecutive output tokens.
    pub per_token: Duration,
}

impl TokenTiming {
    /// No delay at all (the default, so tests stay fast).
    pub const ZERO: TokenTiming = TokenTiming {
        time_to_first_token: Duration::ZERO,
        per_token: Duration::ZERO,
    };

    /// A timing with the given time to first token and per-token delay.
    pub fn new(time_to_first_token: Duration, per_token: Duration) -> TokenTiming {
        TokenTiming {
            time_to_first_token,
            per_token,
        }
    }

    /// The simulated duration of a response of `output_tokens` tokens.
    pub fn total(&self, output_tokens: u32) -> Duration {
        let gaps = output_tokens.saturating_sub(1);
        self.time_to_first_token
            .saturating_add(self.per_token.saturating_mul(gaps))
    }
}

/// Timing of both tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TierTiming {
    /// Timing of requests served standard.
    pub standard: TokenTiming,
    /// Timing of requests served optimized.
    pub optimized: TokenTiming,
}

impl TierTiming {
    /// The timing of `tier`.
    pub fn of(&self, tier: Latency) -> TokenTiming {
        match tier {
            Latency::Standard => self.standard,
            Latency::Optimized => self.optimized,
        }
    }
}

/// What the endpoint saw and decided for one HTTP request. Every request is
/// recorded, including unknown paths, malformed bodies and injected faults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"POST"`.
    pub method: String,
    /// HTTP version of the request: `"HTTP/1.1"` or `"HTTP/2.0"`.
    pub http_version: String,
    /// The path exactly as received (model IDs stay percent-encoded, e.g.
    /// `/model/us.amazon.nova-pro-v1%3A0/converse`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The operation recognised from method and path; `None` for unknown paths.
    pub operation: Option<Operation>,
    /// The model the request names, percent-decoded: the path label of the
    /// bedrock-runtime operations, `foundationModel` of InvokeInlineAgent, the
    /// `modelArn` of RetrieveAndGenerate(Stream). `None` for InvokeAgent.
    pub model_id: Option<String>,
    /// The region the call was made in: the builder override if set, else the
    /// SigV4 credential scope of the `Authorization` header, else the default.
    pub region: String,
    /// Request headers in arrival order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` if empty, not JSON, not kept (unknown
    /// paths) or longer than the kept prefix.
    pub body: Option<serde_json::Value>,
    /// The raw body bytes: all of them, or the first 64 KiB of a longer body
    /// (see [`body_sha256`](Self::body_sha256)). Empty for unknown paths,
    /// whose bodies are not read.
    pub raw_body: Vec<u8>,
    /// Length of the whole body in bytes (as read, or as announced by
    /// `content-length` when the body was not read).
    pub body_len: u64,
    /// Lower-case hex SHA-256 of the whole body, when only a prefix was kept.
    pub body_sha256: Option<String>,
    /// The latency the request asked for (body field or header), if any.
    pub requested_latency: Option<Latency>,
    /// The latency the endpoint served; `None` when no model answer was given
    /// (errors, faults, unknown paths).
    pub served_latency: Option<Latency>,
    /// Why an optimized request was served standard, if it was.
    pub fallback: Option<StandardFallback>,
    /// The service tier asked for (`serviceTier.type` or the
    /// `X-Amzn-Bedrock-Service-Tier` header), if any.
    pub service_tier: Option<String>,
    /// The service tier that served the request (echoed in the answer's
    /// `serviceTier` or `X-Amzn-Bedrock-Service-Tier`), when one was asked
    /// for and a model answer was given: the reserved tier overflows to
    /// `default` once the model's reservation is used up.
    pub served_tier: Option<String>,
    /// The HTTP status of the response (`0` for a reset connection).
    pub status: u16,
    /// The `x-amzn-ErrorType` of an error response.
    pub error_type: Option<String>,
    /// The fault injected into this request, if any.
    pub fault: Option<super::Fault>,
    /// The `x-amzn-RequestId` sent back.
    pub request_id: String,
}

impl RecordedRequest {
    /// A record with no body, operation or answer yet.
    pub(crate) fn new(method: &str, path: &str, region: &str, request_id: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.to_owned(),
            http_version: "HTTP/1.1".to_owned(),
            path: path.to_owned(),
            query: None,
            operation: None,
            model_id: None,
            region: region.to_owned(),
            headers: Vec::new(),
            body: None,
            raw_body: Vec::new(),
            body_len: 0,
            body_sha256: None,
            requested_latency: None,
            served_latency: None,
            fallback: None,
            service_tier: None,
            served_tier: None,
            status: 0,
            error_type: None,
            fault: None,
            request_id: request_id.to_owned(),
        }
    }

    /// Keeps the body: whole when it fits the record prefix, else its prefix,
    /// length and digest.
    pub(crate) fn set_body(&mut self, raw: &[u8], json: Option<&serde_json::Value>, prefix: usize) {
        self.body_len = raw.len() as u64;
        if raw.len() <= prefix {
            self.raw_body = raw.to_vec();
            self.body = json.cloned();
        } else {
            use sha2::Digest as _;
            self.raw_body = raw.get(..prefix).unwrap_or_default().to_vec();
            let digest = sha2::Sha256::digest(raw);
            self.body_sha256 = Some(digest.iter().map(|b| format!("{b:02x}")).collect());
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
