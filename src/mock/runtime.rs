//! Canned bedrock-runtime answers: Converse, ConverseStream, InvokeModel and
//! its stream.

use aws_sdk_bedrockruntime as sdk;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::primitives::Blob;
use sdk::types::{
    ContentBlock, ContentBlockDelta, ContentBlockDeltaEvent, ConversationRole, ConverseMetrics,
    ConverseStreamMetadataEvent, ConverseStreamMetrics, ConverseStreamOutput, Message, MessageStopEvent, PayloadPart,
    ResponseStream, StopReason, TokenUsage,
};
use serde_json::{Value, json};

use super::{Answer, built};
use crate::call::WithRequestId;
use crate::runtime::{ModelFamily, RawConverseStream, RawInvokeModelStream, performance_config, sdk_latency, sdk_tier};
use crate::vocab::Operation;
use crate::{Error, Result};

/// Content type of InvokeModel answers.
const JSON: &str = "application/json";

impl Answer {
    /// A Converse answer, as `MockBedrockRuntimeApi::expect_converse`'s
    /// `returning` closure returns it: the text as one assistant message,
    /// with the usage, server latency, served latency and tier you set.
    pub fn converse(&self) -> Result<WithRequestId<ConverseOutput>> {
        let message = built(
            Message::builder()
                .role(ConversationRole::Assistant)
                .content(ContentBlock::Text(self.full_text()))
                .build(),
        )?;
        let out = ConverseOutput::builder()
            .output(sdk::types::ConverseOutput::Message(message))
            .stop_reason(StopReason::from(self.stop_or("end_turn").as_str()))
            .set_usage(self.token_usage()?)
            .set_metrics(
                self.server_latency_i64()
                    .map(|ms| built(ConverseMetrics::builder().latency_ms(ms).build()))
                    .transpose()?,
            )
            .set_performance_config(self.served.map(performance_config))
            .set_service_tier(self.service_tier()?)
            .build();
        Ok(WithRequestId::new(built(out)?, self.request_id.clone()))
    }

    /// The events of a ConverseStream answer: one text delta per chunk, the
    /// stop, and the metadata (usage, server latency, served latency and
    /// tier).
    pub fn converse_stream_events(&self) -> Result<Vec<ConverseStreamOutput>> {
        let mut events = Vec::with_capacity(self.chunks.len() + 2);
        for chunk in &self.chunks {
            let delta = ContentBlockDeltaEvent::builder()
                .content_block_index(0)
                .delta(ContentBlockDelta::Text(chunk.clone()))
                .build();
            events.push(ConverseStreamOutput::ContentBlockDelta(built(delta)?));
        }
        let stop = MessageStopEvent::builder()
            .stop_reason(StopReason::from(self.stop_or("end_turn").as_str()))
            .build();
        events.push(ConverseStreamOutput::MessageStop(built(stop)?));
        let metrics = self
            .server_latency_i64()
            .map(|ms| built(ConverseStreamMetrics::builder().latency_ms(ms).build()))
            .transpose()?;
        let metadata = ConverseStreamMetadataEvent::builder()
            .set_usage(self.token_usage()?)
            .set_metrics(metrics)
            .set_performance_config(self.served.map(performance_config))
            .set_service_tier(self.service_tier()?)
            .build();
        events.push(ConverseStreamOutput::Metadata(metadata));
        Ok(events)
    }

    /// A ConverseStream answer (`expect_converse_stream`): the events of
    /// [`converse_stream_events`](Self::converse_stream_events), ending
    /// with the interruption if one was set.
    pub fn converse_stream(&self) -> Result<RawConverseStream> {
        let events = self.converse_stream_events()?;
        Ok(RawConverseStream::new(
            self.stream_of(Operation::ConverseStream, events),
            self.request_id.clone(),
        ))
    }

    /// An InvokeModel answer (`expect_invoke_model`): a body in `family`'s
    /// dialect (Anthropic Messages, Nova, Llama) with the text, stop reason
    /// and usage, and the served latency and tier as the response headers
    /// report them. [`ModelFamily::Other`] has no built-in body: return
    /// your own `InvokeModelOutput`.
    pub fn invoke_model(&self, family: ModelFamily) -> Result<WithRequestId<InvokeModelOutput>> {
        let body = self.invoke_body(family)?;
        let out = InvokeModelOutput::builder()
            .body(Blob::new(body.to_string()))
            .content_type(JSON)
            .set_performance_config_latency(self.served.map(sdk_latency))
            .set_service_tier(self.served_tier.map(sdk_tier))
            .build();
        Ok(WithRequestId::new(built(out)?, self.request_id.clone()))
    }

    /// The events of an InvokeModelWithResponseStream answer: one chunk per
    /// text chunk in `family`'s dialect, then a last chunk with the stop
    /// reason and the `amazon-bedrock-invocationMetrics` (usage, server
    /// latency).
    pub fn invoke_model_stream_events(&self, family: ModelFamily) -> Result<Vec<ResponseStream>> {
        let mut chunks = Vec::with_capacity(self.chunks.len() + 1);
        for text in &self.chunks {
            chunks.push(stream_text_chunk(family, text)?);
        }
        let mut last = stream_stop_chunk(family, &self.stop_or(family_stop(family)))?;
        last["amazon-bedrock-invocationMetrics"] = self.invocation_metrics();
        chunks.push(last);
        Ok(chunks
            .iter()
            .map(|c| ResponseStream::Chunk(PayloadPart::builder().bytes(Blob::new(c.to_string())).build()))
            .collect())
    }

    /// An InvokeModelWithResponseStream answer (`expect_invoke_model_stream`):
    /// the events of [`invoke_model_stream_events`](Self::invoke_model_stream_events)
    /// and the served latency and tier as its response headers.
    pub fn invoke_model_stream(&self, family: ModelFamily) -> Result<RawInvokeModelStream> {
        let events = self.invoke_model_stream_events(family)?;
        let mut raw = RawInvokeModelStream::new(
            self.stream_of(Operation::InvokeModelStream, events),
            self.request_id.clone(),
        );
        raw.content_type = Some(JSON.to_owned());
        raw.performance_config_latency = self.served.map(sdk_latency);
        raw.service_tier = self.served_tier.map(sdk_tier);
        Ok(raw)
    }

    fn stop_or(&self, default: &str) -> String {
        self.stop_reason.clone().unwrap_or_else(|| default.to_owned())
    }

    fn server_latency_i64(&self) -> Option<i64> {
        self.server_latency
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    fn token_usage(&self) -> Result<Option<TokenUsage>> {
        self.usage
            .map(|u| {
                let n = |x: u32| i32::try_from(x).unwrap_or(i32::MAX);
                built(
                    TokenUsage::builder()
                        .input_tokens(n(u.input_tokens))
                        .output_tokens(n(u.output_tokens))
                        .total_tokens(n(u.total_tokens()))
                        .build(),
                )
            })
            .transpose()
    }

    fn service_tier(&self) -> Result<Option<sdk::types::ServiceTier>> {
        self.served_tier
            .map(|t| built(sdk::types::ServiceTier::builder().r#type(sdk_tier(t)).build()))
            .transpose()
    }

    /// The whole InvokeModel body in `family`'s dialect.
    fn invoke_body(&self, family: ModelFamily) -> Result<Value> {
        let text = self.full_text();
        let stop = self.stop_or(family_stop(family));
        let (i, o) = self.usage.map(|u| (u.input_tokens, u.output_tokens)).unzip();
        let mut body = match family {
            ModelFamily::Anthropic => json!({
                "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": text}], "stop_reason": stop,
            }),
            ModelFamily::Nova => json!({
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": stop,
            }),
            ModelFamily::Llama => json!({"generation": text, "stop_reason": stop}),
            _ => return Err(no_body(family)),
        };
        if let (Some(i), Some(o)) = (i, o) {
            match family {
                ModelFamily::Anthropic => body["usage"] = json!({"input_tokens": i, "output_tokens": o}),
                ModelFamily::Nova => body["usage"] = json!({"inputTokens": i, "outputTokens": o}),
                _ => {
                    body["prompt_token_count"] = json!(i);
                    body["generation_token_count"] = json!(o);
                }
            }
        }
        Ok(body)
    }

    /// `amazon-bedrock-invocationMetrics` of the last stream chunk.
    fn invocation_metrics(&self) -> Value {
        let mut m = json!({});
        if let Some(u) = self.usage {
            m["inputTokenCount"] = json!(u.input_tokens);
            m["outputTokenCount"] = json!(u.output_tokens);
        }
        if let Some(ms) = self.server_latency_i64() {
            m["invocationLatency"] = json!(ms);
        }
        m
    }
}

/// The stop reason a family's bodies carry by default.
fn family_stop(family: ModelFamily) -> &'static str {
    match family {
        ModelFamily::Llama => "stop",
        _ => "end_turn",
    }
}

fn no_body(family: ModelFamily) -> Error {
    Error::InvalidRequest {
        reason: format!(
            "canned answer: no built-in InvokeModel body for {family:?}; return your own InvokeModelOutput"
        ),
    }
}

/// A stream chunk carrying `text`, in `family`'s dialect.
fn stream_text_chunk(family: ModelFamily, text: &str) -> Result<Value> {
    Ok(match family {
        ModelFamily::Anthropic => {
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})
        }
        ModelFamily::Nova => json!({"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}}),
        ModelFamily::Llama => json!({"generation": text}),
        _ => return Err(no_body(family)),
    })
}

/// The last stream chunk, with the stop reason.
fn stream_stop_chunk(family: ModelFamily, stop: &str) -> Result<Value> {
    Ok(match family {
        ModelFamily::Anthropic => json!({"type": "message_delta", "delta": {"stop_reason": stop}}),
        ModelFamily::Nova => json!({"messageStop": {"stopReason": stop}}),
        ModelFamily::Llama => json!({"generation": "", "stop_reason": stop}),
        _ => return Err(no_body(family)),
    })
}
