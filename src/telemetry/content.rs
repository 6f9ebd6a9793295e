//! Captured content (opt-in) in the conventions' JSON message schemas
//! (`gen-ai-input-messages.json`, `gen-ai-output-messages.json`,
//! `gen-ai-system-instructions.json`, semantic-conventions v1.41.0): on
//! spans "it MAY be recorded as a JSON string if structured format is not
//! supported", which is the case for both `tracing` and the Rust
//! OpenTelemetry API.

use serde::Serialize;

/// One message part.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Part {
    /// Text.
    Text {
        /// The text (cut to the configured length).
        content: String,
    },
    /// A part that is not text (image, document, tool use ...): its kind
    /// only, the conventions' generic part.
    #[serde(untagged)]
    Other {
        /// The part's kind.
        r#type: &'static str,
    },
}

impl Part {
    /// A text part, cut to `max` characters.
    pub(crate) fn text(t: &str, max: usize) -> Part {
        Part::Text {
            content: match t.char_indices().nth(max) {
                Some((i, _)) => t[..i].to_owned(),
                None => t.to_owned(),
            },
        }
    }
}

/// One message of the chat history, or of the answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Message {
    pub(crate) role: &'static str,
    pub(crate) parts: Vec<Part>,
    /// Only on output messages (required there by the schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) finish_reason: Option<String>,
}

impl Message {
    /// An input message.
    pub(crate) fn input(role: &'static str, parts: Vec<Part>) -> Self {
        Message {
            role,
            parts,
            finish_reason: None,
        }
    }
}

/// What is captured of one call's request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input {
    pub(crate) messages: Vec<Message>,
    pub(crate) system: Vec<Part>,
}

impl Input {
    /// One user message of text, and a system instruction (agents,
    /// RetrieveAndGenerate).
    pub(crate) fn text(user: Option<&str>, system: Option<&str>, max: usize) -> Input {
        Input {
            messages: user
                .map(|t| Message::input("user", vec![Part::text(t, max)]))
                .into_iter()
                .collect(),
            system: system.map(|t| Part::text(t, max)).into_iter().collect(),
        }
    }
}

/// JSON text of a value (the schemas' shapes never fail to serialize).
pub(crate) fn json(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The output messages of an answer: one assistant message.
pub(crate) fn output(text: &str, finish_reason: Option<&str>, max: usize) -> String {
    json(&[Message {
        role: "assistant",
        parts: vec![Part::text(text, max)],
        // The schema requires one; Bedrock's own word, or "stop" when the
        // operation gives none (agents).
        finish_reason: Some(finish_reason.unwrap_or("stop").to_owned()),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_shapes() {
        let m = [Message::input(
            "user",
            vec![Part::text("Weather in Paris?", 100), Part::Other { r#type: "image" }],
        )];
        assert_eq!(
            json(&m),
            r#"[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"},{"type":"image"}]}]"#
        );
        assert_eq!(
            output("Rainy.", Some("end_turn"), 100),
            r#"[{"role":"assistant","parts":[{"type":"text","content":"Rainy."}],"finish_reason":"end_turn"}]"#
        );
        // Cut by characters, not bytes.
        assert_eq!(json(&[Part::text("héllo", 2)]), r#"[{"type":"text","content":"hé"}]"#);
    }
}
