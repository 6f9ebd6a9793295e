//! What bedrock-runtime calls answer: whole responses, also what a
//! collected stream becomes.

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::invoke_model::InvokeModelOutput;
use serde_json::Value;

use crate::report::{LatencyReport, Usage};
use crate::{Error, Result};

/// The answer to a [`ConverseRequest`](super::ConverseRequest) (or a
/// collected [`ConverseStream`](super::ConverseStream)).
#[derive(Debug, Clone)]
pub struct ConverseResponse {
    /// The answer's text (all text blocks, concatenated).
    pub text: String,
    /// Why the model stopped (`end_turn`, `max_tokens`, `tool_use` ...).
    pub stop_reason: Option<String>,
    /// What was requested, what served it and how long it took.
    pub report: LatencyReport,
    /// The SDK output (Converse only; `None` for a collected stream).
    pub raw: Option<ConverseOutput>,
}

/// The answer to an [`InvokeModelRequest`](super::InvokeModelRequest) (or a
/// collected [`InvokeModelStream`](super::InvokeModelStream)).
#[derive(Debug, Clone)]
pub struct InvokeModelResponse {
    /// The raw response body (empty for a collected stream).
    pub body: Vec<u8>,
    /// The response content type.
    pub content_type: Option<String>,
    /// The answer's text, for the families this crate knows.
    pub text: Option<String>,
    /// Why the model stopped, when the body says.
    pub stop_reason: Option<String>,
    /// What was requested, what served it and how long it took.
    pub report: LatencyReport,
    /// The SDK output (InvokeModel only).
    pub raw: Option<InvokeModelOutput>,
}

impl InvokeModelResponse {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| Error::InvalidRequest {
            reason: format!("the response body is not JSON: {e}"),
        })
    }
}

pub(crate) fn usage_of(u: &sdk::types::TokenUsage) -> Usage {
    Usage {
        input_tokens: u.input_tokens().max(0) as u32,
        output_tokens: u.output_tokens().max(0) as u32,
    }
}
