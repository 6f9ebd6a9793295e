//! The invocation-log analyzer on the real record and on every input format,
//! with bad lines where the test data puts them (tests/data/logs/generate.py).

use crate::shared_fixtures;

use std::path::{Path, PathBuf};

use bedrock_latency::logs::{self, LatencySource, Location, LogFormat, LogRecord, LoggedLatency};
use bedrock_latency::{Catalog, Operation};

fn fixture() -> PathBuf {
    shared_fixtures::shared_fixture("invocation-log-sample.json")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs").join(name)
}

/// The records without where they were read, to compare formats.
fn content(records: &[LogRecord]) -> Vec<LogRecord> {
    records
        .iter()
        .map(|r| LogRecord {
            location: Location {
                file: String::new(),
                line: 0,
            },
            ..r.clone()
        })
        .collect()
}

const HAIKU_PROFILE_ARN: &str =
    "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0";

#[test]
fn the_real_record_is_optimized_invoke_model_from_ohio() {
    let a = logs::analyze_files(Catalog::builtin(), [fixture()]).expect("fixture readable");
    assert!(a.bad_lines.is_empty(), "{:?}", a.bad_lines);
    assert_eq!(a.files[0].format, LogFormat::Json);
    assert!(!a.files[0].gzip);
    let [r] = a.records.as_slice() else {
        panic!("one record expected, got {:?}", a.records)
    };
    assert_eq!(r.latency, LoggedLatency::Optimized);
    assert_eq!(r.latency_as_logged.as_deref(), Some("OPTIMIZED"));
    assert_eq!(r.operation.as_deref(), Some("InvokeModel"));
    assert_eq!(r.operation_kind(), Some(Operation::InvokeModel));
    assert_eq!(r.region.as_deref(), Some("us-east-2"));
    assert_eq!(r.inference_region.as_deref(), Some("us-east-2"));
    assert!(!r.cross_region());
    assert_eq!(r.input_tokens, Some(235));
    assert_eq!(r.output_tokens, Some(194));
    assert_eq!(r.model_id, HAIKU_PROFILE_ARN);
    assert_eq!(
        r.base_model_id.as_deref(),
        Some("anthropic.claude-3-5-haiku-20241022-v1:0")
    );
    assert_eq!(r.model_name.as_deref(), Some("Anthropic Claude 3.5 Haiku"));
    assert_eq!(r.request_id.as_deref(), Some("cf693734-8d8d-4791-a0d8-addaf5598397"));
    assert_eq!(r.timestamp.as_deref(), Some("2024-12-24T07:50:12Z"));
    // InvokeModel logs no server latency.
    assert_eq!(r.latency_ms, None);
    // Served optimized: billed at the optimized price, 235 x 0.001 + 194 x 0.005 per 1,000.
    let cost = r.cost_usd.expect("Haiku has prices");
    assert!((cost - 0.001205).abs() < 1e-12, "{cost}");
    assert_eq!(r.location.line, 1);

    let s = a.summary();
    assert_eq!((s.total, s.optimized, s.standard, s.unspecified), (1, 1, 0, 0));
    assert!(s.cross_region.is_empty());
}

/// What the four generated records are, read from clean JSON Lines.
fn clean() -> Vec<LogRecord> {
    let a = logs::analyze_files(Catalog::builtin(), [data("clean.jsonl")]).expect("readable");
    assert!(a.bad_lines.is_empty(), "{:?}", a.bad_lines);
    assert_eq!(a.files[0].format, LogFormat::JsonLines);
    a.records
}

#[test]
fn clean_records_are_classified() {
    let records = clean();
    let real = logs::analyze_files(Catalog::builtin(), [fixture()]).expect("readable");
    assert_eq!(
        content(&records[..1]),
        content(&real.records),
        "line 1 is the real record"
    );

    let tiers: Vec<_> = records.iter().map(|r| r.latency).collect();
    assert_eq!(
        tiers,
        [
            LoggedLatency::Optimized,
            LoggedLatency::Standard,
            LoggedLatency::Unspecified,
            LoggedLatency::Optimized
        ]
    );
    let converse = &records[1];
    assert_eq!(converse.operation_kind(), Some(Operation::Converse));
    assert_eq!(converse.latency_ms, Some(812));
    assert_eq!(converse.latency_ms_source, Some(LatencySource::ConverseMetrics));
    assert_eq!(converse.base_model_id.as_deref(), Some("amazon.nova-pro-v1:0"));
    assert!(converse.cross_region());
    // Standard: 12 x 0.0008 + 40 x 0.0032 per 1,000.
    assert!((converse.cost_usd.unwrap_or_default() - 0.0001376).abs() < 1e-12);

    let plain = &records[2];
    assert_eq!(plain.latency_as_logged, None);
    // No performanceConfig is billed standard: 1000 x 0.00072 + 500 x 0.00072 per 1,000.
    assert!((plain.cost_usd.unwrap_or_default() - 0.00108).abs() < 1e-12);

    // "optimized" in lower case counts too.
    assert_eq!(records[3].latency_as_logged.as_deref(), Some("optimized"));
    assert_eq!(records[3].latency_ms, Some(402));
}

#[test]
fn every_format_gives_the_same_records() {
    let want = content(&clean());
    for (name, format, gzip) in [
        ("records.json", LogFormat::Json, false),
        ("s3-delivery-000", LogFormat::JsonLines, true),
        ("cloudwatch-s3-export-000000.gz", LogFormat::CloudWatchS3Export, true),
        ("cloudwatch-filter-log-events.json", LogFormat::CloudWatchEvents, false),
        ("mixed.jsonl", LogFormat::JsonLines, false),
    ] {
        let a = logs::analyze_files(Catalog::builtin(), [data(name)]).expect("readable");
        assert_eq!(content(&a.records), want, "{name}");
        assert_eq!((a.files[0].format, a.files[0].gzip), (format, gzip), "{name}");
    }
}

#[test]
fn mixed_inputs_give_the_clean_records_plus_the_bad_line_report() {
    let files = [
        data("mixed.jsonl"),
        data("s3-delivery-000"),
        data("cloudwatch-filter-log-events.json"),
    ];
    let a = logs::analyze_files(Catalog::builtin(), &files).expect("readable");
    let clean = content(&clean());
    let want: Vec<_> = clean.iter().cycle().take(12).cloned().collect();
    assert_eq!(content(&a.records), want);

    let bad: Vec<(String, usize)> = a
        .bad_lines
        .iter()
        .map(|b| (b.location.file.clone(), b.location.line))
        .collect();
    let f = |i: usize| files[i].display().to_string();
    assert_eq!(bad, [(f(0), 2), (f(0), 5), (f(0), 7), (f(2), 20)], "{:#?}", a.bad_lines);
    assert!(a.bad_lines[0].reason.contains("invalid JSON"), "{}", a.bad_lines[0]);
    assert!(a.bad_lines[2].reason.contains("no modelId"), "{}", a.bad_lines[2]);
    assert!(
        a.bad_lines[3].reason.contains("message is not JSON"),
        "{}",
        a.bad_lines[3]
    );

    // Records keep their own lines: the real record on line 1 of each file,
    // in the CloudWatch export on the line of its event's message.
    let lines: Vec<usize> = a.records.iter().map(|r| r.location.line).collect();
    assert_eq!(lines, [1, 3, 6, 8, 1, 2, 3, 4, 6, 13, 27, 34]);

    let s = a.summary();
    assert_eq!(
        (s.total, s.optimized, s.standard, s.unspecified, s.bad_lines),
        (12, 6, 3, 3, 4)
    );
    let per_model: Vec<_> = s
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.records, m.optimized, m.standard, m.unspecified))
        .collect();
    assert_eq!(
        per_model,
        [
            ("amazon.nova-pro-v1:0", 3, 0, 3, 0),
            ("anthropic.claude-3-5-haiku-20241022-v1:0", 6, 6, 0, 0),
            ("meta.llama3-1-70b-instruct-v1:0", 3, 0, 0, 3),
        ]
    );
    let latency: Vec<_> = s
        .latency
        .iter()
        .map(|l| (l.model.as_str(), l.latency, l.count, l.p50_ms, l.p99_ms))
        .collect();
    assert_eq!(
        latency,
        [
            ("amazon.nova-pro-v1:0", LoggedLatency::Standard, 3, 812, 812),
            (
                "anthropic.claude-3-5-haiku-20241022-v1:0",
                LoggedLatency::Optimized,
                3,
                402,
                402
            ),
        ]
    );
    let cross: Vec<_> = s
        .cross_region
        .iter()
        .map(|c| (c.region.as_str(), c.inference_region.as_str()))
        .collect();
    assert_eq!(
        cross,
        [("us-east-1", "us-east-2"), ("us-east-2", "us-west-2")].repeat(3)
    );
    assert_eq!(s.cross_region_count, 6);
}

fn record(request_id: &str, latency: Option<&str>, latency_ms: Option<u64>) -> String {
    let perf = latency.map_or(String::new(), |l| {
        format!(r#","performanceConfig":{{"latency":"{l}"}}"#)
    });
    let metrics = latency_ms.map_or(String::new(), |ms| format!(r#","metrics":{{"latencyMs":{ms}}}"#));
    format!(
        r#"{{"schemaType":"ModelInvocationLog","requestId":"{request_id}","operation":"Converse","modelId":"us.amazon.nova-pro-v1:0","region":"us-east-1","inferenceRegion":"us-east-1","input":{{"inputTokenCount":10}},"output":{{"outputTokenCount":5,"outputBodyJson":{{"usage":{{}}{metrics}}}}}{perf}}}"#
    )
}

#[test]
fn percentiles_per_model_and_tier() {
    let mut text = String::new();
    for i in 1..=100u64 {
        text += &record(&format!("o{i}"), Some("OPTIMIZED"), Some(i * 10));
        text.push('\n');
        text += &record(&format!("s{i}"), Some("Standard"), Some(1000 + i));
        text.push('\n');
    }
    text += &record("none", None, None);
    let a = logs::analyze_bytes(Catalog::builtin(), "generated", text.as_bytes());
    assert!(a.bad_lines.is_empty(), "{:?}", a.bad_lines);
    let s = a.summary();
    assert_eq!((s.optimized, s.standard, s.unspecified), (100, 100, 1));
    let p: Vec<_> = s
        .latency
        .iter()
        .map(|l| (l.latency, l.count, l.p50_ms, l.p90_ms, l.p99_ms))
        .collect();
    assert_eq!(
        p,
        [
            (LoggedLatency::Optimized, 100, 500, 900, 990),
            (LoggedLatency::Standard, 100, 1050, 1090, 1099)
        ]
    );
}

#[test]
fn stream_latency_is_found_in_the_last_event() {
    let converse_stream = r#"{"modelId":"us.amazon.nova-pro-v1:0","operation":"ConverseStream","output":{"outputBodyJson":[{"contentBlockDelta":{"delta":{"text":"hi"}}},{"metadata":{"usage":{"inputTokens":3,"outputTokens":7},"metrics":{"latencyMs":522}}}]}}"#;
    let invoke_stream = r#"{"modelId":"us.anthropic.claude-3-5-haiku-20241022-v1:0","operation":"InvokeModelWithResponseStream","output":{"outputBodyJson":[{"type":"message_start"},{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":7,"invocationLatency":1234,"firstByteLatency":300}}]}}"#;
    let a = logs::analyze_bytes(
        Catalog::builtin(),
        "streams",
        format!("{converse_stream}\n{invoke_stream}\n").as_bytes(),
    );
    assert!(a.bad_lines.is_empty(), "{:?}", a.bad_lines);
    let got: Vec<_> = a.records.iter().map(|r| (r.latency_ms, r.latency_ms_source)).collect();
    assert_eq!(
        got,
        [
            (Some(522), Some(LatencySource::StreamMetadata)),
            (Some(1234), Some(LatencySource::InvocationMetrics))
        ]
    );
    // Token counts fall back to the response's usage.
    assert_eq!(
        (a.records[0].input_tokens, a.records[0].output_tokens),
        (Some(3), Some(7))
    );
    assert_eq!(a.records[0].latency, LoggedLatency::Unspecified);
}

#[test]
fn json_lines_whose_first_line_is_broken_are_still_read_line_by_line() {
    let clean = std::fs::read_to_string(data("clean.jsonl")).expect("readable");
    let text = format!("{{\"schemaType\": \"Model\n{clean}");
    let a = logs::analyze_bytes(Catalog::builtin(), "broken-first", text.as_bytes());
    assert_eq!(a.records.len(), 4);
    assert_eq!(a.files[0].format, LogFormat::JsonLines);
    let lines: Vec<_> = a.bad_lines.iter().map(|b| b.location.line).collect();
    assert_eq!(lines, [1]);
}

#[test]
fn a_truncated_document_keeps_what_came_before_and_says_where_it_broke() {
    let text = std::fs::read_to_string(data("records.json")).expect("readable");
    // Cut inside the third record of the array.
    let cut = text.find("7f3c9a10").expect("third record");
    let a = logs::analyze_bytes(Catalog::builtin(), "cut.json", &text.as_bytes()[..cut]);
    // The array is read element by element: the two records before the cut
    // are kept, then the cut is reported where the text ends.
    assert_eq!(content(&a.records), content(&clean()[..2]));
    let [bad] = a.bad_lines.as_slice() else {
        panic!("{:?}", a.bad_lines)
    };
    assert_eq!(bad.location.line, text[..cut].lines().count());
    assert!(bad.reason.contains("EOF"), "{bad}");
    assert!(bad.reason.contains("the rest of the file is skipped"), "{bad}");

    // Two documents in a row, the second cut: the first is kept.
    let real = std::fs::read(fixture()).expect("readable");
    let mut two = real.clone();
    two.extend_from_slice(b"\n");
    two.extend_from_slice(&real[..500]);
    let a = logs::analyze_bytes(Catalog::builtin(), "two.json", &two);
    assert_eq!(a.records.len(), 1);
    assert_eq!(a.bad_lines.len(), 1);
}

#[test]
fn gzip_is_detected_from_content_and_damage_is_reported() {
    let gz = std::fs::read(data("s3-delivery-000")).expect("readable");
    let a = logs::analyze_bytes(Catalog::builtin(), "no-extension", &gz);
    assert!(a.files[0].gzip);
    assert_eq!(a.records.len(), 4);

    // Cut the stream: what came before the damage is kept, the damage is line 0.
    let a = logs::analyze_bytes(Catalog::builtin(), "cut.gz", &gz[..gz.len() / 2]);
    assert!(a.files[0].gzip);
    assert!(a.bad_lines.iter().any(|b| b.location.line == 0), "{:?}", a.bad_lines);

    // Two gzip members in a row (concatenated deliveries) are both read.
    let mut two = gz.clone();
    two.extend_from_slice(&gz);
    let a = logs::analyze_bytes(Catalog::builtin(), "two.gz", &two);
    assert_eq!(a.records.len(), 8);
    assert!(a.bad_lines.is_empty());
}

#[test]
fn other_shapes_are_read_or_reported() {
    let line = record("r1", Some("OPTIMIZED"), Some(100));
    let message = serde_json::to_string(&line).expect("string");
    let cases: [(&str, String, usize, usize); 7] = [
        ("empty", "  \n\n".to_owned(), 0, 0),
        ("array on one line", format!("[{line},{line}]"), 2, 0),
        (
            "events on one line",
            format!(r#"{{"events":[{{"message":{message}}}]}}"#),
            1,
            0,
        ),
        (
            "subscription payload",
            format!(
                r#"{{"messageType":"DATA_MESSAGE","logEvents":[{{"id":"1","timestamp":1,"message":{message}}},{{"id":"2"}}]}}"#
            ),
            1,
            1,
        ),
        (
            "one event per line",
            format!("{{\"timestamp\":1,\"message\":{message}}}\n{{\"message\":5}}"),
            1,
            1,
        ),
        (
            "another schema",
            r#"{"schemaType":"Other","modelId":"x"}"#.to_owned(),
            0,
            1,
        ),
        ("scalars", "1\n\"text\"\nnull\n".to_owned(), 0, 3),
    ];
    for (name, text, records, bad) in cases {
        let a = logs::analyze_bytes(Catalog::builtin(), name, text.as_bytes());
        assert_eq!(
            (a.records.len(), a.bad_lines.len()),
            (records, bad),
            "{name}: {:?}",
            a.bad_lines
        );
    }
    let a = logs::analyze_bytes(Catalog::builtin(), "bom", format!("\u{feff}{line}").as_bytes());
    assert_eq!(a.records.len(), 1);
    let a = logs::analyze_bytes(Catalog::builtin(), "latin1", b"{\"modelId\":\"caf\xe9\"}\n");
    assert_eq!(a.bad_lines.len(), 1);
}

#[test]
fn unknown_models_and_values_are_kept_without_a_cost() {
    let text = r#"{"modelId":"acme.rocket-v9:0","performanceConfig":{"latency":"TURBO"},"input":{"inputTokenCount":1},"output":{"outputTokenCount":1}}"#;
    let a = logs::analyze_bytes(Catalog::builtin(), "unknown", text.as_bytes());
    let r = &a.records[0];
    assert_eq!(r.base_model_id.as_deref(), Some("acme.rocket-v9:0"));
    assert_eq!(r.model_name, None);
    assert_eq!(r.cost_usd, None);
    assert_eq!(r.latency, LoggedLatency::Unspecified);
    assert_eq!(r.latency_as_logged.as_deref(), Some("TURBO"));
    assert_eq!(a.summary().records_without_cost, 1);
}

#[test]
fn an_unreadable_file_is_an_error() {
    let err = logs::analyze_files(Catalog::builtin(), [data("no-such-file")]).unwrap_err();
    assert!(err.to_string().contains("no-such-file"), "{err}");
}
