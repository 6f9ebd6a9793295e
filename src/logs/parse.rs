//! Format detection and the reader: gzip, JSON documents, JSON Lines,
//! CloudWatch Logs events and exports.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{BadLine, FileReport, Location, LogFormat, LogRecord};
use crate::catalog::Catalog;

/// The most a gzip file may expand to (a guard against gzip bombs).
#[cfg(feature = "gzip")]
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Reads one file's bytes, appending its records and bad lines.
pub(super) fn read(
    catalog: &Catalog,
    name: &str,
    bytes: &[u8],
    records: &mut Vec<LogRecord>,
    bad: &mut Vec<BadLine>,
) -> FileReport {
    let mut sink = Sink::new(catalog, name);
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let decompressed;
    let mut data = bytes;
    if gzip {
        let (text, error) = gunzip(bytes);
        if let Some(reason) = error {
            sink.bad(0, reason);
        }
        decompressed = text;
        data = &decompressed;
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);

    let format = if data.trim_ascii().is_empty() {
        LogFormat::Empty
    } else if first_line_stands_alone(data) {
        sink.lines(data);
        sink.format(LogFormat::JsonLines)
    } else {
        // A JSON document that breaks off, or JSON Lines whose first line is
        // broken: the lines decide. Most lines readable on their own means
        // JSON Lines, and the other lines are reported one by one.
        if let Some((line, error)) = sink.document(data) {
            let mut by_line = Sink::new(catalog, name);
            let (good, total) = by_line.lines(data);
            if good * 2 >= total {
                by_line
                    .bad
                    .splice(0..0, sink.bad.drain(..).filter(|b| b.location.line == 0));
                sink = by_line;
                sink.format(LogFormat::JsonLines)
            } else {
                sink.bad(line, format!("invalid JSON ({error}); the rest of the file is skipped"));
                sink.format(LogFormat::Json)
            }
        } else {
            sink.format(LogFormat::Json)
        }
    };
    sink.bad.sort_by_key(|b| b.location.line);
    let report = FileReport {
        file: name.to_owned(),
        gzip,
        format,
        records: sink.records.len(),
        bad_lines: sink.bad.len(),
    };
    records.append(&mut sink.records);
    bad.append(&mut sink.bad);
    report
}

/// Decompresses gzip (several members in a row, as S3 deliveries may be).
/// On a corrupt stream, keeps what came before the damage and says why.
#[cfg(feature = "gzip")]
fn gunzip(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(MAX_DECOMPRESSED + 1);
    let error = match reader.read_to_end(&mut out) {
        Err(e) => Some(format!("gzip stream broken after {} bytes: {e}", out.len())),
        Ok(_) if out.len() as u64 > MAX_DECOMPRESSED => {
            out.truncate(MAX_DECOMPRESSED as usize);
            Some(format!(
                "gzip content larger than {MAX_DECOMPRESSED} bytes; the rest is skipped"
            ))
        }
        Ok(_) => None,
    };
    (out, error)
}

#[cfg(not(feature = "gzip"))]
fn gunzip(_bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    (
        Vec::new(),
        Some("gzip-compressed: reading it needs the `gzip` feature of bedrock-latency".to_owned()),
    )
}

/// Whether the first non-blank line is a JSON value (or `TIMESTAMP JSON`) on
/// its own: then the file is read line by line.
fn first_line_stands_alone(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty())
        .and_then(|l| json_part(l).ok())
        .is_some_and(|(json, _)| serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok())
}

/// The JSON of a line: the line itself, or what follows `TIMESTAMP ` in a
/// CloudWatch Logs export. The flag says whether a prefix was skipped.
fn json_part(line: &[u8]) -> Result<(&[u8], bool), &'static str> {
    match line.first() {
        Some(b'{' | b'[') => Ok((line, false)),
        _ => line
            .iter()
            .position(u8::is_ascii_whitespace)
            .map(|i| line[i..].trim_ascii_start())
            .filter(|rest| rest.first() == Some(&b'{'))
            .map(|rest| (rest, true))
            .ok_or("not JSON, nor a `TIMESTAMP JSON` line"),
    }
}

/// A CloudWatch Logs event list: `filter-log-events` / `get-log-events`
/// output (`events`), or a subscription payload (`logEvents`).
#[derive(Deserialize)]
struct Events<'a> {
    #[serde(borrow, default)]
    events: Option<Vec<Event<'a>>>,
    #[serde(borrow, default, rename = "logEvents")]
    log_events: Option<Vec<Event<'a>>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

fn is_event_list(obj: &serde_json::Map<String, Value>) -> bool {
    !obj.contains_key("modelId")
        && (obj.get("events").is_some_and(Value::is_array) || obj.get("logEvents").is_some_and(Value::is_array))
}

fn is_event(obj: &serde_json::Map<String, Value>) -> bool {
    !obj.contains_key("modelId") && obj.get("message").is_some_and(Value::is_string)
}

/// Collects one file's records and bad lines.
struct Sink<'c> {
    catalog: &'c Catalog,
    file: &'c str,
    records: Vec<LogRecord>,
    bad: Vec<BadLine>,
    saw_events: bool,
    saw_prefix: bool,
}

impl<'c> Sink<'c> {
    fn new(catalog: &'c Catalog, file: &'c str) -> Self {
        Self {
            catalog,
            file,
            records: Vec::new(),
            bad: Vec::new(),
            saw_events: false,
            saw_prefix: false,
        }
    }

    fn location(&self, line: usize) -> Location {
        Location {
            file: self.file.to_owned(),
            line,
        }
    }

    fn bad(&mut self, line: usize, reason: impl Into<String>) {
        let location = self.location(line);
        self.bad.push(BadLine {
            location,
            reason: reason.into(),
        });
    }

    /// The format, refined by what was seen.
    fn format(&self, base: LogFormat) -> LogFormat {
        if self.saw_events {
            LogFormat::CloudWatchEvents
        } else if self.saw_prefix {
            LogFormat::CloudWatchS3Export
        } else {
            base
        }
    }

    /// A record of the usual shape, read without building a `Value`.
    fn fast(&mut self, json: &[u8], line: usize) -> bool {
        match super::fast::read(json, self.catalog, self.location(line)) {
            Some(record) => {
                self.records.push(record);
                true
            }
            None => false,
        }
    }

    /// Line by line. Returns (lines read without error, non-blank lines).
    fn lines(&mut self, data: &[u8]) -> (usize, usize) {
        let (mut good, mut total) = (0, 0);
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            total += 1;
            let (json, prefixed) = match json_part(line) {
                Ok(part) => part,
                Err(reason) => {
                    self.bad(i + 1, reason);
                    continue;
                }
            };
            if self.fast(json, i + 1) {
                good += 1;
                self.saw_prefix |= prefixed;
                continue;
            }
            match serde_json::from_slice::<Value>(json) {
                Ok(value) => {
                    good += 1;
                    self.saw_prefix |= prefixed;
                    self.value(value, i + 1);
                }
                Err(e) => self.bad(i + 1, format!("invalid JSON: {e}")),
            }
        }
        (good, total)
    }

    /// JSON values one after the other (pretty-printed documents). Returns
    /// the line of the first syntax error and the error, if any.
    fn document(&mut self, data: &[u8]) -> Option<(usize, String)> {
        let lines = LineIndex::new(data);
        let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<&RawValue>();
        for item in stream.by_ref() {
            match item {
                Ok(raw) => self.raw(data, &lines, raw),
                Err(e) => return Some((e.line().max(1), e.to_string())),
            }
        }
        None
    }

    /// One value of a document, whose position in `data` gives line numbers
    /// to the elements of arrays and event lists.
    fn raw(&mut self, data: &[u8], lines: &LineIndex, raw: &RawValue) {
        let line = lines.line_of(offset(data, raw.get()));
        match raw.get().as_bytes().first() {
            Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                Ok(items) => items.into_iter().for_each(|item| self.raw(data, lines, item)),
                Err(e) => self.bad(line, format!("invalid JSON array: {e}")),
            },
            _ if self.fast(raw.get().as_bytes(), line) => {}
            _ => match serde_json::from_str::<Value>(raw.get()) {
                Ok(Value::Object(obj)) if is_event_list(&obj) => match serde_json::from_str::<Events<'_>>(raw.get()) {
                    Ok(list) => {
                        self.saw_events = true;
                        for event in list.events.into_iter().chain(list.log_events).flatten() {
                            match event.message {
                                Some(m) => self.message(m, lines.line_of(offset(data, m.get()))),
                                None => self.bad(line, "CloudWatch Logs event without a message"),
                            }
                        }
                    }
                    // Odd event shapes: read them without per-event lines.
                    Err(_) => self.value(Value::Object(obj), line),
                },
                Ok(value) => self.value(value, line),
                Err(e) => self.bad(line, format!("invalid JSON: {e}")),
            },
        }
    }

    /// A CloudWatch Logs event message: the record as a JSON string.
    fn message(&mut self, message: &RawValue, line: usize) {
        let Ok(text) = serde_json::from_str::<String>(message.get()) else {
            return self.bad(line, "CloudWatch Logs event message is not a string");
        };
        if self.fast(text.as_bytes(), line) {
            return;
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => self.value(value, line),
            Err(e) => self.bad(line, format!("event message is not JSON: {e}")),
        }
    }

    /// A parsed value: a record, an array of them, an event or event list.
    fn value(&mut self, value: Value, line: usize) {
        match value {
            Value::Array(items) => items.into_iter().for_each(|item| self.value(item, line)),
            Value::Object(obj) if is_event_list(&obj) => {
                self.saw_events = true;
                let events = [obj.get("events"), obj.get("logEvents")];
                for event in events.into_iter().flatten().filter_map(Value::as_array).flatten() {
                    match event.get("message") {
                        Some(m) => self.message_value(m, line),
                        None => self.bad(line, "CloudWatch Logs event without a message"),
                    }
                }
            }
            Value::Object(obj) if is_event(&obj) => {
                self.saw_events = true;
                if let Some(m) = obj.get("message") {
                    self.message_value(m, line);
                }
            }
            value => match LogRecord::from_json(&value, self.catalog, self.location(line)) {
                Ok(record) => self.records.push(record),
                Err(reason) => self.bad(line, reason),
            },
        }
    }

    fn message_value(&mut self, message: &Value, line: usize) {
        match message.as_str().map(serde_json::from_str::<Value>) {
            Some(Ok(value)) => self.value(value, line),
            Some(Err(e)) => self.bad(line, format!("event message is not JSON: {e}")),
            None => self.bad(line, "CloudWatch Logs event message is not a string"),
        }
    }
}

/// The byte offset of `part` in `data` (`part` borrows from `data`).
fn offset(data: &[u8], part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(data.as_ptr() as usize)
        .min(data.len())
}

/// Line numbers from byte offsets.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(data: &[u8]) -> Self {
        Self(
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}
