//! Bedrock model invocation logs: which requests were really served
//! latency-optimized, how fast, and at what cost.
//!
//! Model invocation logging writes one JSON record per model call, to
//! CloudWatch Logs or S3. This module reads those records from every form
//! they are usually found in, detecting the form from the content (a `.gz`
//! name is not needed, nor trusted):
//!
//! - a JSON file holding one record, an array of records, or several
//!   records one after the other;
//! - JSON Lines (one record per line);
//! - the output of `aws logs filter-log-events` / `get-log-events`
//!   (`events[].message` holds each record as a JSON string), and CloudWatch
//!   Logs subscription payloads (`logEvents[].message`);
//! - CloudWatch Logs exports to S3: gzip text, one `TIMESTAMP MESSAGE` per line;
//! - S3 deliveries of invocation logging: gzip JSON Lines.
//!
//! Gzip input needs the `gzip` feature (on with `cli`). Reading never
//! panics: lines that are not records are reported as [`BadLine`]s with
//! their file and line number (line numbers of gzip files count lines of
//! the decompressed text), and so is a record whose `performanceConfig` is
//! not an object (e.g. the string `"OPTIMIZED"`): a bad field, not an
//! unspecified tier.
//!
//! # Streaming, in bounded memory
//!
//! [`LogReader`] reads a file of any size (a gzip file is inflated as it is
//! read) and hands over each record and bad line as it comes; memory is
//! bounded by the longest line (or element of a JSON document), at most
//! [`LogReader::DEFAULT_MAX_LINE`] bytes unless set otherwise: a longer one
//! is reported ("line longer than 64 MiB: skipped") and reading goes on.
//! Its [`LogSummary`] is built from bounded state (counts, an HDR histogram
//! per model and tier, the first cross-region calls) and it keeps the first
//! [`LogReader::MAX_BAD_LINES_KEPT`] bad lines plus a count. JSON Lines or
//! a JSON document is told from the first line (or, when the first line is
//! broken, from the first MiB); a JSON document is read value by value, and
//! the elements of a top-level array or of an event list one by one.
//! [`write_report`] is the `bedrock-latency logs` output on top of it,
//! text or JSON, written as the records are read. The JSON output is one
//! valid JSON document, records first:
//! `{"records": [...], "bad_lines": [...], "bad_lines_total", "files": [...],
//! "total", "optimized", "standard", "unspecified", "summary": {...}}`; each
//! record is written as soon as it is read, the totals after the last one.
//!
//! [`LogAnalysis`] keeps every record in memory, for small inputs and tests.
//!
//! ```
//! use bedrock_latency::{Catalog, logs::{self, LoggedLatency}};
//! let line = br#"{"schemaType":"ModelInvocationLog","requestId":"r1","operation":"Converse",
//!   "modelId":"us.amazon.nova-pro-v1:0","region":"us-east-1","inferenceRegion":"us-east-2",
//!   "input":{"inputTokenCount":10},"output":{"outputTokenCount":20,"outputBodyJson":{"metrics":{"latencyMs":640}}},
//!   "performanceConfig":{"latency":"OPTIMIZED"}}"#;
//! let analysis = logs::analyze_bytes(Catalog::builtin(), "example.json", line);
//! let r = &analysis.records[0];
//! assert_eq!(r.latency, LoggedLatency::Optimized);
//! assert_eq!(r.latency_ms, Some(640));
//! assert_eq!(r.model_name.as_deref(), Some("Amazon Nova Pro"));
//! assert!(r.cross_region());
//! assert_eq!(analysis.summary().optimized, 1);
//! ```
//!
//! Streaming, with the summary at the end:
//!
//! ```
//! use bedrock_latency::{Catalog, logs::{LogEntry, LogReader}};
//! let jsonl = "{\"modelId\":\"us.amazon.nova-pro-v1:0\",\"performanceConfig\":{\"latency\":\"STANDARD\"}}\n\
//!              {\"modelId\":\"us.amazon.nova-pro-v1:0\",\"performanceConfig\":\"OPTIMIZED\"}\n";
//! let mut reader = LogReader::new(Catalog::builtin());
//! let mut seen = 0;
//! reader.read("invocations.jsonl", jsonl.as_bytes(), |entry| {
//!     if let LogEntry::Record(_) = entry { seen += 1 }
//!     Ok(())
//! })?;
//! let summary = reader.summary();
//! assert_eq!((seen, summary.standard, summary.bad_lines), (1, 1, 1));
//! assert!(reader.bad_lines()[0].reason.starts_with("bad field performanceConfig"));
//! # Ok::<(), bedrock_latency::Error>(())
//! ```

mod output;
mod parse;
mod reader;
mod record;
mod scan;
mod summary;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Catalog;
use crate::model_id::ModelId;
use crate::vocab::{Latency, Operation};

pub use output::{OutputFormat, escape_text, write_report};
pub use reader::{LogAnalysis, LogReader, analyze_bytes, analyze_files};
pub use summary::{
    CrossRegion, LatencyPercentiles, LogSummary, MAX_CROSS_REGION, MAX_MODELS, ModelSummary, OTHER_MODELS,
};

/// The latency tier a record shows (`performanceConfig.latency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggedLatency {
    /// `OPTIMIZED`: the request was served latency-optimized.
    Optimized,
    /// `STANDARD`: standard latency was asked, or optimized was asked and
    /// the request was served standard (quota, token cap).
    Standard,
    /// No `performanceConfig` in the record (the caller set none, or the
    /// operation dropped it, as InvokeAgent does), or a value this crate does
    /// not know ([`LogRecord::latency_as_logged`] keeps it).
    Unspecified,
}

impl LoggedLatency {
    /// The three tiers, in report order.
    pub const ALL: [LoggedLatency; 3] = [
        LoggedLatency::Optimized,
        LoggedLatency::Standard,
        LoggedLatency::Unspecified,
    ];

    /// `optimized`, `standard` or `unspecified`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoggedLatency::Optimized => "optimized",
            LoggedLatency::Standard => "standard",
            LoggedLatency::Unspecified => "unspecified",
        }
    }

    /// Classifies the logged value (case-insensitive; `None` when absent).
    pub fn from_logged(value: Option<&str>) -> Self {
        match value.map(str::parse::<Latency>) {
            Some(Ok(Latency::Optimized)) => LoggedLatency::Optimized,
            Some(Ok(Latency::Standard)) => LoggedLatency::Standard,
            _ => LoggedLatency::Unspecified,
        }
    }

    /// The latency the request is billed at: optimized only when the record
    /// says so (AWS charges requests that fell back at standard rates).
    pub const fn billed(self) -> Latency {
        match self {
            LoggedLatency::Optimized => Latency::Optimized,
            LoggedLatency::Standard | LoggedLatency::Unspecified => Latency::Standard,
        }
    }
}

crate::vocab::display_by_name!(LoggedLatency => pad(as_str););

/// Where a record's server latency was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatencySource {
    /// `output.outputBodyJson.metrics.latencyMs` (Converse).
    ConverseMetrics,
    /// `metadata.metrics.latencyMs` of the last event of a logged stream
    /// (ConverseStream's metadata event).
    StreamMetadata,
    /// `amazon-bedrock-invocationMetrics.invocationLatency` (the last chunk of
    /// InvokeModelWithResponseStream).
    InvocationMetrics,
}

/// Where something was read: a file (as given) and a 1-based line number;
/// line 0 stands for the file as a whole (e.g. a corrupt gzip stream).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file, as given (or the name passed to [`analyze_bytes`]).
    pub file: String,
    /// The line, counted from 1 (0: the whole file).
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One model invocation log record, as far as latency and cost go.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRecord {
    /// `requestId`.
    pub request_id: Option<String>,
    /// `timestamp`, as logged (ISO 8601, UTC).
    pub timestamp: Option<String>,
    /// `operation`, as logged (`InvokeModel`, `Converse`, ...); see
    /// [`LogRecord::operation_kind`].
    pub operation: Option<String>,
    /// `modelId`, as logged (often an inference-profile ARN).
    pub model_id: String,
    /// The base model ID `model_id` names, when it parses.
    pub base_model_id: Option<String>,
    /// The model's name, when the catalog knows it.
    pub model_name: Option<String>,
    /// `region`: where the call was made.
    pub region: Option<String>,
    /// `inferenceRegion`: where the model ran.
    pub inference_region: Option<String>,
    /// The latency tier the record shows.
    pub latency: LoggedLatency,
    /// `performanceConfig.latency` exactly as logged (`OPTIMIZED`).
    pub latency_as_logged: Option<String>,
    /// Server-side latency in milliseconds, when the record has it.
    pub latency_ms: Option<u64>,
    /// Where `latency_ms` was found.
    pub latency_ms_source: Option<LatencySource>,
    /// `input.inputTokenCount` (or the response's usage).
    pub input_tokens: Option<u64>,
    /// `output.outputTokenCount` (or the response's usage).
    pub output_tokens: Option<u64>,
    /// Estimated cost in USD at the catalog price of the billed tier; `None`
    /// when the model, its price or a token count is unknown.
    pub cost_usd: Option<f64>,
    /// Where the record was read.
    #[serde(flatten)]
    pub location: Location,
}

impl LogRecord {
    /// Reads one record from its JSON value. Fails (with the reason) when the
    /// value is not a model invocation log record: not an object, another
    /// `schemaType`, or no `modelId`; or when `performanceConfig` is there
    /// and is not an object, or its `latency` is not a string (a bad field).
    /// Every other field is optional, and read as absent when of another type.
    pub fn from_json(value: &Value, catalog: &Catalog, location: Location) -> std::result::Result<Self, String> {
        let obj = value.as_object().ok_or("not a JSON object")?;
        if let Some(t) = obj.get("schemaType")
            && t.as_str() != Some("ModelInvocationLog")
        {
            return Err(format!("schemaType {t} is not \"ModelInvocationLog\""));
        }
        let model_id = obj
            .get("modelId")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or(record::NO_MODEL_ID)?;
        let latency_as_logged = match obj.get("performanceConfig") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => match p.get("latency") {
                None | Some(Value::Null) => None,
                Some(Value::String(l)) => Some(l.as_str()),
                Some(other) => return Err(record::bad_latency(json_type(other))),
            },
            Some(other) => return Err(record::bad_performance(json_type(other))),
        };
        let text = |key: &str| obj.get(key).and_then(Value::as_str);
        let latency_ms = server_latency(value);
        let fields = Fields {
            request_id: text("requestId"),
            timestamp: text("timestamp"),
            operation: text("operation"),
            model_id,
            region: text("region"),
            inference_region: text("inferenceRegion"),
            latency_as_logged,
            latency_ms,
            input_tokens: value
                .pointer("/input/inputTokenCount")
                .and_then(Value::as_u64)
                .or_else(|| usage(value, &["inputTokens", "input_tokens", "inputTokenCount"])),
            output_tokens: value
                .pointer("/output/outputTokenCount")
                .and_then(Value::as_u64)
                .or_else(|| usage(value, &["outputTokens", "output_tokens", "outputTokenCount"])),
        };
        Ok(fields.into_record(catalog, location))
    }

    /// The operation as this crate's [`Operation`], when it is one of them.
    pub fn operation_kind(&self) -> Option<Operation> {
        self.operation.as_deref()?.parse().ok()
    }

    /// Whether the model ran in another region than the call was made from
    /// (both must be logged).
    pub fn cross_region(&self) -> bool {
        matches!((&self.region, &self.inference_region), (Some(r), Some(i)) if r != i)
    }

    /// The key the summary groups models by: the base model ID, or the
    /// logged ID when it does not parse.
    pub fn model_key(&self) -> &str {
        self.base_model_id.as_deref().unwrap_or(&self.model_id)
    }
}

/// "a string", "a number", ...: a JSON value's type, in a reason.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The fields of a record, borrowed from wherever they were read.
#[derive(Debug, PartialEq)]
struct Fields<'a> {
    request_id: Option<&'a str>,
    timestamp: Option<&'a str>,
    operation: Option<&'a str>,
    model_id: &'a str,
    region: Option<&'a str>,
    inference_region: Option<&'a str>,
    latency_as_logged: Option<&'a str>,
    latency_ms: Option<(u64, LatencySource)>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

impl Fields<'_> {
    /// The record: the model resolved through the catalog, the cost estimated.
    fn into_record(self, catalog: &Catalog, location: Location) -> LogRecord {
        let latency = LoggedLatency::from_logged(self.latency_as_logged);
        let parsed = ModelId::parse(self.model_id).ok();
        let entry = parsed.as_ref().and_then(|id| catalog.model(id));
        let cost_usd = match (entry, self.input_tokens, self.output_tokens) {
            (Some(e), Some(i), Some(o)) => crate::cost::cost(e, latency.billed(), i, o),
            _ => None,
        };
        let own = |s: Option<&str>| s.map(str::to_owned);
        LogRecord {
            request_id: own(self.request_id),
            timestamp: own(self.timestamp),
            operation: own(self.operation),
            model_id: self.model_id.to_owned(),
            base_model_id: parsed.as_ref().map(|id| id.base_model_id().to_owned()),
            model_name: entry.map(|e| e.name.clone()),
            region: own(self.region),
            inference_region: own(self.inference_region),
            latency,
            latency_as_logged: own(self.latency_as_logged),
            latency_ms: self.latency_ms.map(|l| l.0),
            latency_ms_source: self.latency_ms.map(|l| l.1),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd,
            location,
        }
    }
}

/// The metrics object of InvokeModelWithResponseStream's last chunk.
const INVOCATION_METRICS: &str = "amazon-bedrock-invocationMetrics";

/// The server latency of a record and where it was found.
fn server_latency(record: &Value) -> Option<(u64, LatencySource)> {
    let body = record.pointer("/output/outputBodyJson")?;
    if let Some(ms) = body.pointer("/metrics/latencyMs").and_then(Value::as_u64) {
        return Some((ms, LatencySource::ConverseMetrics));
    }
    let invocation = |v: &Value| v.get(INVOCATION_METRICS)?.get("invocationLatency")?.as_u64();
    if let Some(ms) = invocation(body) {
        return Some((ms, LatencySource::InvocationMetrics));
    }
    // A logged stream: an array of events or chunks; the metrics come last.
    body.as_array()?.iter().rev().find_map(|event| {
        let metadata = event.get("metadata").unwrap_or(event);
        match metadata.pointer("/metrics/latencyMs").and_then(Value::as_u64) {
            Some(ms) => Some((ms, LatencySource::StreamMetadata)),
            None => invocation(event).map(|ms| (ms, LatencySource::InvocationMetrics)),
        }
    })
}

/// A token count from the response: `usage` (Converse: `inputTokens`;
/// Anthropic messages: `input_tokens`), or for a logged stream the last
/// event's `metadata.usage` or `amazon-bedrock-invocationMetrics`.
fn usage(record: &Value, keys: &[&str]) -> Option<u64> {
    let body = record.pointer("/output/outputBodyJson")?;
    let from = |v: &Value| {
        [v.get("usage"), v.pointer("/metadata/usage"), v.get(INVOCATION_METRICS)]
            .into_iter()
            .flatten()
            .find_map(|u| keys.iter().find_map(|k| u.get(*k)?.as_u64()))
    };
    from(body).or_else(|| body.as_array()?.iter().rev().find_map(from))
}

/// A line (or element) that is not a record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadLine {
    /// Where it is.
    #[serde(flatten)]
    pub location: Location,
    /// Why it was not read as a record.
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// The layout a file was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Nothing but whitespace.
    Empty,
    /// JSON documents: one record, an array of records, or several in a row.
    Json,
    /// One JSON value per line.
    JsonLines,
    /// CloudWatch Logs events (`events[].message` or `logEvents[].message`).
    CloudWatchEvents,
    /// A CloudWatch Logs export to S3: `TIMESTAMP MESSAGE` lines.
    CloudWatchS3Export,
}

impl LogFormat {
    /// The kebab-case name (`json-lines`, `cloud-watch-events`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            LogFormat::Empty => "empty",
            LogFormat::Json => "json",
            LogFormat::JsonLines => "json-lines",
            LogFormat::CloudWatchEvents => "cloud-watch-events",
            LogFormat::CloudWatchS3Export => "cloud-watch-s3-export",
        }
    }
}

crate::vocab::display_by_name!(LogFormat => pad(as_str););

/// What was read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file, as given.
    pub file: String,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// The layout found.
    pub format: LogFormat,
    /// Records read.
    pub records: usize,
    /// Lines that were not records.
    pub bad_lines: usize,
}

/// One thing read from a log, handed over by [`LogReader`] as it is read.
// Entries are handed to the callback one at a time and never stored in bulk,
// so the size difference between the variants costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LogEntry {
    /// A record.
    Record(LogRecord),
    /// A line (or element) that is not a record.
    BadLine(BadLine),
}
