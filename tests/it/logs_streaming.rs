//! The invocation-log reader streams (issue 12): records are handed over
//! while the input is still being read, whatever its layout or compression;
//! lines, bad-line reports and the summary are bounded; a wrongly typed
//! `performanceConfig` is a reported bad field. Every input is generated
//! here, most of them by a `Read` that makes bytes as they are asked for.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

use bedrock_latency::Catalog;
use bedrock_latency::logs::{self, LogEntry, LogFormat, LogReader, LoggedLatency, OutputFormat};

fn record(i: usize) -> String {
    format!(
        r#"{{"schemaType":"ModelInvocationLog","requestId":"req-{i:08}","operation":"Converse","modelId":"us.amazon.nova-pro-v1:0","region":"us-east-1","inferenceRegion":"us-east-2","performanceConfig":{{"latency":"STANDARD"}},"input":{{"inputTokenCount":12,"inputBodyJson":{{"messages":[{{"role":"user","content":[{{"text":"Where was Momotaro born?"}}]}}]}}}},"output":{{"outputTokenCount":40,"outputBodyJson":{{"usage":{{"inputTokens":12,"outputTokens":40}},"metrics":{{"latencyMs":{}}}}}}}}}"#,
        800 + i % 100
    )
}

/// Makes `head`, then `count` items (`item(i)` and `sep` after all but the
/// last), then `tail`, as the bytes are read; `served` counts them.
struct Generated {
    head: Vec<u8>,
    item: fn(usize) -> String,
    sep: &'static [u8],
    tail: Vec<u8>,
    count: usize,
    next: usize,
    pending: Vec<u8>,
    at: usize,
    tail_done: bool,
    served: Rc<Cell<u64>>,
}

impl Generated {
    fn new(head: &str, item: fn(usize) -> String, sep: &'static [u8], tail: &str, count: usize) -> Self {
        Self {
            head: head.as_bytes().to_vec(),
            item,
            sep,
            tail: tail.as_bytes().to_vec(),
            count,
            next: 0,
            pending: Vec::new(),
            at: 0,
            tail_done: false,
            served: Rc::new(Cell::new(0)),
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            if !self.head.is_empty() {
                self.pending = std::mem::take(&mut self.head);
            } else if self.next < self.count {
                self.pending.extend_from_slice((self.item)(self.next).as_bytes());
                if self.next + 1 < self.count {
                    self.pending.extend_from_slice(self.sep);
                }
                self.next += 1;
            } else if !self.tail_done {
                self.tail_done = true;
                self.pending = std::mem::take(&mut self.tail);
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.served.set(self.served.get() + n as u64);
        Ok(n)
    }
}

/// How far reading may run ahead of the record handed over (the format
/// sample, the read buffers): far less than the inputs below.
const LOOKAHEAD: u64 = 2 << 20;

/// Reads `input` (of `items` records, `per_record` bytes each) and checks
/// that every record came while reading was at most `LOOKAHEAD` ahead.
fn streams(name: &str, input: Generated, items: usize, per_record: u64) -> LogFormat {
    let served = Rc::clone(&input.served);
    let mut reader = LogReader::new(Catalog::builtin());
    let (mut seen, mut worst) = (0u64, 0u64);
    let format = reader
        .read(name, input, |entry| {
            match entry {
                LogEntry::Record(_) => seen += 1,
                LogEntry::BadLine(b) => panic!("{b}"),
            }
            worst = worst.max(served.get().saturating_sub(seen * per_record));
            Ok(())
        })
        .expect("reads")
        .format;
    assert_eq!(seen, items as u64, "{name}");
    assert!(
        served.get() > 4 * LOOKAHEAD,
        "{name}: the input ({} bytes) should dwarf the lookahead",
        served.get()
    );
    assert!(worst <= LOOKAHEAD, "{name}: read {worst} bytes ahead of a record");
    assert_eq!(reader.summary().standard, items, "{name}");
    format
}

const ITEMS: usize = 24_000;

fn per_record(sep: usize) -> u64 {
    (record(0).len() + sep) as u64
}

#[test]
fn json_lines_stream() {
    let input = Generated::new("", record, b"\n", "\n", ITEMS);
    assert_eq!(streams("lines", input, ITEMS, per_record(1)), LogFormat::JsonLines);
}

#[test]
fn a_top_level_array_streams_element_by_element() {
    let input = Generated::new("[\n  ", record, b",\n  ", "\n]\n", ITEMS);
    assert_eq!(streams("array", input, ITEMS, per_record(4)), LogFormat::Json);
}

fn event(i: usize) -> String {
    let message = serde_json::to_string(&record(i)).expect("a string");
    format!("{{\n      \"logStreamName\": \"s\",\n      \"timestamp\": {i},\n      \"message\": {message}\n    }}")
}

#[test]
fn a_cloudwatch_event_list_streams_event_by_event() {
    let input = Generated::new(
        "{\n  \"events\": [\n    ",
        event,
        b",\n    ",
        "\n  ],\n  \"searchedLogStreams\": []\n}\n",
        ITEMS,
    );
    let per = (event(0).len() + 6) as u64;
    assert_eq!(streams("events", input, ITEMS, per), LogFormat::CloudWatchEvents);
}

#[test]
fn gzip_is_inflated_as_it_is_read() {
    let input = Generated::new("", record, b"\n", "\n", ITEMS);
    let served = Rc::clone(&input.served);
    // Compressed as it is read, too: `served` counts the inflated bytes.
    let gz = flate2::read::GzEncoder::new(input, flate2::Compression::fast());
    let mut reader = LogReader::new(Catalog::builtin());
    let (mut seen, mut worst) = (0u64, 0u64);
    let report = reader
        .read("gz", gz, |entry| {
            assert!(matches!(entry, LogEntry::Record(_)));
            seen += 1;
            // The encoder reads ahead of the decoder by its own buffers too.
            worst = worst.max(served.get().saturating_sub(seen * per_record(1)));
            Ok(())
        })
        .expect("reads");
    assert!(report.gzip);
    assert_eq!(report.records, ITEMS);
    assert!(worst <= LOOKAHEAD, "read {worst} bytes ahead");
}

#[test]
fn a_line_longer_than_the_cap_is_reported_and_reading_goes_on() {
    let long = format!(
        r#"{{"modelId":"us.amazon.nova-pro-v1:0","input":{{"inputBodyJson":"{}"}}}}"#,
        "x".repeat(10_000)
    );
    for (name, text) in [
        ("middle", format!("{}\n{long}\n{}\n", record(1), record(2))),
        ("last, no newline", format!("{}\n{long}", record(1))),
    ] {
        let mut reader = LogReader::new(Catalog::builtin()).max_line_bytes(4096);
        let mut records = 0;
        reader
            .read(name, text.as_bytes(), |e| {
                records += usize::from(matches!(e, LogEntry::Record(_)));
                Ok(())
            })
            .expect("reads");
        let bad = reader.bad_lines();
        assert_eq!(bad.len(), 1, "{name}: {bad:?}");
        assert_eq!(bad[0].location.line, 2, "{name}");
        assert_eq!(bad[0].reason, "line longer than 4096 bytes: skipped", "{name}");
        assert_eq!(records, text.lines().count() - 1, "{name}");
    }
    // The default cap is 64 MiB.
    assert_eq!(LogReader::DEFAULT_MAX_LINE, 64 << 20);
    // In a document, an element longer than the cap is skipped the same way.
    let text = format!("[{},\n{long},\n{}]", record(1), record(2));
    let mut reader = LogReader::new(Catalog::builtin()).max_line_bytes(4096);
    reader.read("doc", text.as_bytes(), |_| Ok(())).expect("reads");
    assert_eq!(reader.summary().total, 2);
    assert_eq!(reader.bad_lines()[0].reason, "value longer than 4096 bytes: skipped");
    assert_eq!(reader.bad_lines()[0].location.line, 2);
}

#[test]
fn bad_lines_are_all_counted_and_the_first_100_kept() {
    let input = Generated::new("", |i| format!(r#"{{"not":"a record {i}"}}"#), b"\n", "\n", 10_000);
    let mut reader = LogReader::new(Catalog::builtin());
    let mut handed = 0;
    reader
        .read("garbage", input, |_| {
            handed += 1;
            Ok(())
        })
        .expect("reads");
    assert_eq!(handed, 10_000, "each one is handed over");
    assert_eq!(reader.bad_line_count(), 10_000);
    assert_eq!(reader.bad_lines().len(), LogReader::MAX_BAD_LINES_KEPT);
    assert_eq!(reader.bad_lines()[99].location.line, 100);
    assert_eq!(reader.summary().bad_lines, 10_000);
}

#[test]
fn the_summary_is_bounded() {
    fn many(i: usize) -> String {
        format!(
            r#"{{"modelId":"acme.model-{i}-v1:0","requestId":"{i}","region":"us-east-1","inferenceRegion":"us-west-2","output":{{"outputBodyJson":{{"metrics":{{"latencyMs":{i}}}}}}}}}"#
        )
    }
    let input = Generated::new("", many, b"\n", "", 2_000);
    let mut reader = LogReader::new(Catalog::builtin());
    reader.read("many", input, |_| Ok(())).expect("reads");
    let s = reader.summary();
    assert_eq!(s.total, 2_000);
    assert_eq!(s.models.len(), logs::MAX_MODELS + 1);
    let other = s.models.last().expect("a row");
    assert_eq!(other.model, logs::OTHER_MODELS);
    assert_eq!(other.records, 2_000 - logs::MAX_MODELS);
    assert_eq!(s.cross_region.len(), logs::MAX_CROSS_REGION);
    assert_eq!(s.cross_region_count, 2_000);
    assert_eq!(s.latency.len(), logs::MAX_MODELS + 1);
    // Long logged values are cut in what the summary keeps.
    let long = format!(r#"{{"modelId":"{}"}}"#, "m".repeat(100_000));
    let s = logs::analyze_bytes(Catalog::builtin(), "long", long.as_bytes()).summary();
    assert!(s.models[0].model.len() < 300, "{}", s.models[0].model.len());
}

#[test]
fn a_wrongly_typed_performance_config_is_a_bad_field_not_unspecified() {
    let text = [
        r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":{"latency":"OPTIMIZED"}}"#,
        r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":"OPTIMIZED"}"#,
        r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":{"latency":1}}"#,
        r#"{"modelId":"us.amazon.nova-pro-v1:0"}"#,
    ]
    .join("\n");
    let a = logs::analyze_bytes(Catalog::builtin(), "typed", text.as_bytes());
    let s = a.summary();
    assert_eq!((s.total, s.optimized, s.unspecified, s.bad_lines), (2, 1, 1, 2));
    assert_eq!(a.records[1].latency, LoggedLatency::Unspecified);
    assert_eq!(a.records[1].location.line, 4);
    let bad: Vec<(usize, &str)> = a
        .bad_lines
        .iter()
        .map(|b| (b.location.line, b.reason.as_str()))
        .collect();
    assert_eq!(bad[0].0, 2);
    assert!(
        bad[0].1.starts_with("bad field performanceConfig: a string"),
        "{}",
        bad[0].1
    );
    assert_eq!(bad[1].0, 3);
    assert!(
        bad[1].1.starts_with("bad field performanceConfig.latency: a number"),
        "{}",
        bad[1].1
    );
}

#[test]
fn deep_nesting_and_odd_values_are_reported_not_fatal() {
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let message_in_message = serde_json::to_string(&format!(
        r#"{{"message":{}}}"#,
        serde_json::to_string(&record(1)).expect("string")
    ))
    .expect("string");
    let text = format!("{}\n{deep}\n{{\"message\":{message_in_message}}}\n", record(0));
    let a = logs::analyze_bytes(Catalog::builtin(), "deep", text.as_bytes());
    assert_eq!(a.records.len(), 2, "{:?}", a.bad_lines);
    assert_eq!(a.records[1].location.line, 3);
    assert_eq!(a.bad_lines.len(), 1, "{:?}", a.bad_lines);
    assert_eq!(a.bad_lines[0].location.line, 2);
}

/// A writer that fails once `limit` bytes were written.
struct Full {
    written: usize,
    limit: usize,
    kind: std::io::ErrorKind,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written >= self.limit {
            return Err(std::io::Error::from(self.kind));
        }
        let n = buf.len().min(self.limit - self.written);
        self.written += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn temp(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("bedrock-latency-logs-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("temp file");
    path
}

#[test]
fn write_errors_end_the_report_with_an_error() {
    let mut text = String::new();
    for i in 0..5_000 {
        text += &record(i);
        text.push('\n');
    }
    let path = temp("write-errors.jsonl", text.as_bytes());
    for format in [OutputFormat::Json, OutputFormat::Text] {
        for kind in [std::io::ErrorKind::BrokenPipe, std::io::ErrorKind::StorageFull] {
            let out = Full {
                written: 0,
                limit: 100,
                kind,
            };
            let err = logs::write_report(Catalog::builtin(), &[&path], format, out).expect_err("the writer fails");
            match err {
                bedrock_latency::Error::Io { path, source } => {
                    assert_eq!(path, "output");
                    assert_eq!(source.kind(), kind);
                }
                other => panic!("{other}"),
            }
        }
    }
    std::fs::remove_file(path).ok();
}

#[test]
fn json_output_is_one_document_with_records_first() {
    let text = format!("{}\nnot json\n{}\n", record(0), record(1));
    let path = temp("doc.jsonl", text.as_bytes());
    let mut out = Vec::new();
    logs::write_report(Catalog::builtin(), &[&path], OutputFormat::Json, &mut out).expect("written");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON document");
    assert_eq!(v["records"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["bad_lines"][0]["line"], 2);
    assert_eq!(v["bad_lines_total"], 1);
    assert_eq!(v["total"], 2);
    assert_eq!(v["summary"]["standard"], 2);
    assert_eq!(v["files"][0]["format"], "json-lines");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.starts_with("{\"records\":[\n{"), "{text}");
    // An unreadable file fails before anything is written.
    let mut out = Vec::new();
    let err = logs::write_report(
        Catalog::builtin(),
        &[path.as_path(), std::path::Path::new("/nonexistent/x.json")],
        OutputFormat::Json,
        &mut out,
    )
    .expect_err("unreadable");
    assert!(err.to_string().contains("/nonexistent/x.json"), "{err}");
    assert!(out.is_empty());
    std::fs::remove_file(path).ok();
}

#[test]
fn text_output_escapes_what_the_logs_say() {
    let evil = r#"{"modelId":"evil\u001b[2J\u001b]0;title\u0007","requestId":"r1\nFORGED ROW\r","region":"us-east-1\u202e","inferenceRegion":"us-west-2","operation":"Converse\u009b31m","timestamp":"t"}"#;
    let long = format!(
        r#"{{"modelId":"{}","requestId":"{}"}}"#,
        "m".repeat(5_000),
        "r".repeat(5_000)
    );
    let path = temp("evil.jsonl", format!("{evil}\n{long}\n\u{1b}[31mnot json\n").as_bytes());
    let mut out = Vec::new();
    logs::write_report(Catalog::builtin(), &[&path], OutputFormat::Text, &mut out).expect("written");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "a control character got through: {text:?}"
    );
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert!(!text.lines().any(|l| l.starts_with("FORGED")), "{text}");
    assert!(text.contains(r"evil\u{1b}[2J\u{1b}]0;title\u{7}"), "{text}");
    assert!(text.contains(r"r1\u{a}FORGED ROW\u{d}"), "{text}");
    // Long values are cut.
    assert!(text.lines().all(|l| l.chars().count() < 1_000), "{text}");
    assert!(text.contains(&format!("{}...", "m".repeat(120))), "{text}");
    std::fs::remove_file(path).ok();
}
