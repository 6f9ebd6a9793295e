//! What agent-runtime answers carry: text, citations, session id, report.

use std::ops::Range;

use agent_sdk::types::{GeneratedResponsePart, RetrievalResultLocation, RetrievedReference};
use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_smithy_types::Document;
use serde::Serialize;

use crate::report::LatencyReport;

/// A whole agent-runtime answer.
///
/// `report.served` is always
/// [`ServedLatency::NotReported`](crate::ServedLatency::NotReported): no
/// bedrock-agent-runtime response says which latency served the request.
/// To verify that an optimized request really ran optimized, enable Bedrock
/// model invocation logging (CloudWatch Logs or S3) and look at the records
/// of the model calls the agent or knowledge base made: a record served
/// optimized carries `"performanceConfig": {"latency": "OPTIMIZED"}`; one
/// served standard carries `STANDARD` or no `performanceConfig` at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentResponse {
    /// The answer's text (all chunks, in order).
    pub text: String,
    /// Citations: which parts of the answer rest on which retrieved sources.
    pub citations: Vec<Citation>,
    /// The session id (pass it back to continue the conversation); for
    /// flows, the execution id.
    pub session_id: Option<String>,
    /// The agent memory id (InvokeAgent).
    pub memory_id: Option<String>,
    /// The guardrail action (`INTERVENED` / `NONE`), when reported
    /// (RetrieveAndGenerate).
    pub guardrail_action: Option<String>,
    /// Why a flow completed (InvokeFlow).
    pub completion_reason: Option<String>,
    /// What was requested, what was sent, and how long it took.
    pub report: LatencyReport,
}

/// A citation: a span of the generated answer and the retrieved sources
/// behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The cited part of the generated text.
    pub text: Option<String>,
    /// Where that part sits in the generated text: the `start` and `end`
    /// offsets exactly as the service gives them. The service does not
    /// count `end` the same way everywhere: in real captures
    /// (shared/fixtures/aws-captures) RetrieveAndGenerate and InvokeAgent
    /// give the offset of the last character (`text[start..=end]`), and
    /// RetrieveAndGenerateStream one past it (`text[start..end]`).
    pub span: Option<Range<usize>>,
    /// The retrieved sources behind it.
    pub references: Vec<Reference>,
}

/// One retrieved source of a [`Citation`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The location type (`S3`, `WEB`, `CONFLUENCE`, `SALESFORCE`,
    /// `SHAREPOINT`, `CUSTOM`, `KENDRA`, `SQL`, ...).
    pub location_type: Option<String>,
    /// The URI or URL of the source (for custom documents, its id; for SQL,
    /// the query).
    pub uri: Option<String>,
    /// The retrieved text.
    pub content: Option<String>,
}

impl Citation {
    pub(crate) fn from_parts(part: Option<&GeneratedResponsePart>, refs: &[RetrievedReference]) -> Self {
        let text_part = part.and_then(GeneratedResponsePart::text_response_part);
        let span = text_part
            .and_then(|t| t.span())
            .and_then(|s| match (s.start(), s.end()) {
                (Some(a), Some(b)) if a >= 0 && b >= a => Some(a as usize..b as usize),
                _ => None,
            });
        Citation {
            text: text_part.and_then(|t| t.text()).map(str::to_owned),
            span,
            references: refs.iter().map(Reference::from_sdk).collect(),
        }
    }

    pub(crate) fn from_sdk(c: &agent_sdk::types::Citation) -> Self {
        Self::from_parts(c.generated_response_part(), c.retrieved_references())
    }
}

impl Reference {
    fn from_sdk(r: &RetrievedReference) -> Self {
        Reference {
            location_type: r.location().map(|l| l.r#type().as_str().to_owned()),
            uri: r.location().and_then(location_uri),
            content: r.content().map(|c| c.text().to_owned()).filter(|t| !t.is_empty()),
        }
    }
}

fn location_uri(l: &RetrievalResultLocation) -> Option<String> {
    l.s3_location()
        .and_then(|x| x.uri())
        .or_else(|| l.web_location().and_then(|x| x.url()))
        .or_else(|| l.confluence_location().and_then(|x| x.url()))
        .or_else(|| l.salesforce_location().and_then(|x| x.url()))
        .or_else(|| l.share_point_location().and_then(|x| x.url()))
        .or_else(|| l.kendra_document_location().and_then(|x| x.uri()))
        .or_else(|| l.custom_document_location().and_then(|x| x.id()))
        .or_else(|| l.one_drive_location().and_then(|x| x.url()))
        .or_else(|| l.google_drive_location().and_then(|x| x.url()))
        .or_else(|| l.sql_location().and_then(|x| x.query()))
        .map(str::to_owned)
}

pub(crate) fn citations_of(cs: &[agent_sdk::types::Citation]) -> Vec<Citation> {
    cs.iter().map(Citation::from_sdk).collect()
}

/// A document as text: strings as they are, anything else as JSON.
pub(crate) fn document_text(d: &Document) -> String {
    match d {
        Document::String(s) => s.clone(),
        other => document_json(other).to_string(),
    }
}

fn document_json(d: &Document) -> serde_json::Value {
    use serde_json::Value;
    match d {
        Document::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), document_json(v))).collect()),
        Document::Array(a) => Value::Array(a.iter().map(document_json).collect()),
        Document::Number(n) => match *n {
            aws_smithy_types::Number::PosInt(u) => Value::from(u),
            aws_smithy_types::Number::NegInt(i) => Value::from(i),
            aws_smithy_types::Number::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        },
        Document::String(s) => Value::String(s.clone()),
        Document::Bool(b) => Value::Bool(*b),
        Document::Null => Value::Null,
    }
}
