//! Model families and their native InvokeModel bodies.

use serde_json::{Value, json};

use crate::model_id::ModelId;
use crate::report::Usage;

/// The body dialect of a model family, for InvokeModel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFamily {
    /// `anthropic.*`: the Messages API (`anthropic_version: bedrock-2023-05-31`).
    Anthropic,
    /// `amazon.nova*`: `messages-v1`.
    Nova,
    /// `meta.llama*`: `prompt` / `generation`.
    Llama,
    /// Anything else: bring your own body.
    Other,
}

impl ModelFamily {
    /// The family of a model ID.
    pub fn of(model: &ModelId) -> Self {
        let base = model.base_model_id();
        if base.starts_with("anthropic.") {
            ModelFamily::Anthropic
        } else if base.starts_with("amazon.nova") {
            ModelFamily::Nova
        } else if base.starts_with("meta.llama") {
            ModelFamily::Llama
        } else {
            ModelFamily::Other
        }
    }

    /// A single-turn request body in the family's dialect, or `None` for
    /// [`ModelFamily::Other`].
    pub fn request_body(self, prompt: &str, max_tokens: u32) -> Option<Value> {
        Some(match self {
            ModelFamily::Anthropic => json!({
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
            }),
            ModelFamily::Nova => json!({
                "schemaVersion": "messages-v1",
                "messages": [{"role": "user", "content": [{"text": prompt}]}],
                "inferenceConfig": {"maxTokens": max_tokens},
            }),
            ModelFamily::Llama => json!({
                "prompt": format!(
                    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                ),
                "max_gen_len": max_tokens,
            }),
            ModelFamily::Other => return None,
        })
    }

    /// The answer's text in a response body.
    pub fn response_text(self, body: &Value) -> Option<String> {
        let join = |blocks: &Vec<Value>| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<String>()
        };
        match self {
            ModelFamily::Anthropic => body.get("content").and_then(Value::as_array).map(join),
            ModelFamily::Nova => body
                .pointer("/output/message/content")
                .and_then(Value::as_array)
                .map(join),
            ModelFamily::Llama => body.get("generation").and_then(Value::as_str).map(str::to_owned),
            ModelFamily::Other => None,
        }
    }

    /// Token usage in a response body.
    pub fn response_usage(self, body: &Value) -> Option<Usage> {
        let pick = |i: &str, o: &str| {
            let n = |p: &str| {
                body.pointer(p)
                    .and_then(Value::as_u64)
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            };
            Some(Usage {
                input_tokens: n(i)?,
                output_tokens: n(o)?,
            })
        };
        match self {
            ModelFamily::Anthropic => pick("/usage/input_tokens", "/usage/output_tokens"),
            ModelFamily::Nova => pick("/usage/inputTokens", "/usage/outputTokens"),
            ModelFamily::Llama => pick("/prompt_token_count", "/generation_token_count"),
            ModelFamily::Other => None,
        }
    }

    /// The requested maximum of output tokens in a request body
    /// (`max_tokens`, `inferenceConfig.maxTokens`, `max_gen_len`).
    pub fn request_max_tokens(self, body: &Value) -> Option<u32> {
        let n = match self {
            ModelFamily::Anthropic => body.get("max_tokens"),
            ModelFamily::Nova => body.pointer("/inferenceConfig/maxTokens"),
            ModelFamily::Llama => body.get("max_gen_len"),
            ModelFamily::Other => None,
        };
        n.and_then(Value::as_u64).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Why the model stopped, in a response body or a stream chunk.
    pub fn stop_reason(self, body: &Value) -> Option<String> {
        let s = match self {
            ModelFamily::Anthropic => body.get("stop_reason").or_else(|| body.pointer("/delta/stop_reason")),
            ModelFamily::Nova => body
                .get("stopReason")
                .or_else(|| body.pointer("/messageStop/stopReason")),
            ModelFamily::Llama => body.get("stop_reason"),
            ModelFamily::Other => None,
        };
        s.and_then(Value::as_str).map(str::to_owned)
    }

    /// The text in one stream chunk.
    pub fn stream_text(self, chunk: &Value) -> Option<String> {
        let s = match self {
            ModelFamily::Anthropic => chunk.pointer("/delta/text"),
            ModelFamily::Nova => chunk.pointer("/contentBlockDelta/delta/text"),
            ModelFamily::Llama => chunk.get("generation"),
            ModelFamily::Other => None,
        };
        s.and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_owned)
    }

    pub(crate) fn stream_stop_reason(self, chunk: &Value) -> Option<String> {
        self.stop_reason(chunk)
    }
}
