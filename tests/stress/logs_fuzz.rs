//! A million generated inputs through the invocation-log reader, with no
//! panic and consistent counts (issue 12, "property tests over at least
//! 1,000,000 generated inputs per run").
//!
//! ```text
//! cargo test --release --all-features --test logs_fuzz
//! ```
//!
//! A release build runs 1,000,000 inputs (about half a minute here); a debug
//! build (`cargo test` as usual) runs 20,000 so that the ordinary suite stays
//! quick. `LOGS_FUZZ_CASES=N` sets the count, `LOGS_FUZZ_SEED=N` the seed.
//! The inputs: random bytes (with and without a gzip header), lines built
//! from pieces of records and JSON punctuation, real inputs with bytes
//! changed, removed or inserted, records whose fields hold values of every
//! JSON type, and documents (arrays, event lists) of such records across
//! lines. Each is read with the default line cap and with a small one.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use bedrock_latency::Catalog;
use bedrock_latency::logs::{LogEntry, LogReader, escape_text};

use crate::support::{self, LOG_PIECES};

/// xorshift64*: the same seed gives the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CLEAN: &[u8] = include_bytes!("../data/logs/clean.jsonl");
const MIXED: &[u8] = include_bytes!("../data/logs/mixed.jsonl");
const RECORDS: &[u8] = include_bytes!("../data/logs/records.json");
const EVENTS: &[u8] = include_bytes!("../data/logs/cloudwatch-filter-log-events.json");
const GZIP: &[u8] = include_bytes!("../data/logs/s3-delivery-000");
const EXPORT: &[u8] = include_bytes!("../data/logs/cloudwatch-s3-export-000000.gz");

const REAL: [&[u8]; 6] = [CLEAN, MIXED, RECORDS, EVENTS, GZIP, EXPORT];

/// Values of every JSON type, for the fields a record has.
const VALUES: [&str; 24] = [
    "null",
    "true",
    "0",
    "-1",
    "2.5",
    "1e400",
    "18446744073709551616",
    "\"\"",
    "\" \"",
    "\"OPTIMIZED\"",
    "\"standard\"",
    "\"ModelInvocationLog\"",
    "\"us.amazon.nova-pro-v1:0\"",
    "\"arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0\"",
    "\"\\u001b[2J\\n\\ud800\"",
    "[]",
    "{}",
    "[{\"metadata\":{\"usage\":{\"inputTokens\":3},\"metrics\":{\"latencyMs\":4}}}]",
    "{\"latency\":\"Optimized\"}",
    "{\"latency\":[1]}",
    "{\"inputTokenCount\":3,\"outputTokenCount\":4}",
    "{\"metrics\":{\"latencyMs\":9},\"usage\":{\"input_tokens\":1,\"outputTokens\":2}}",
    "{\"outputBodyJson\":{\"amazon-bedrock-invocationMetrics\":{\"invocationLatency\":8}},\"outputTokenCount\":1}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

// Keys of real records (the invocation log schema), in one line.
#[rustfmt::skip]
const KEYS: [&str; 16] = ["schemaType", "requestId", "modelId", "timestamp", "operation", "region", "inferenceRegion", "performanceConfig", "input", "output", "outputBodyJson", "metadata", "usage", "events", "logEvents", "message"];

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let mut out = if rng.below(3) == 0 {
        vec![0x1f, 0x8b]
    } else {
        Vec::new()
    };
    let n = rng.below(300);
    out.extend((0..n).map(|_| rng.next() as u8));
    out
}

fn piece_lines(rng: &mut Rng) -> Vec<u8> {
    let mut out = String::new();
    for _ in 0..rng.below(8) {
        for _ in 0..rng.below(12) {
            if rng.below(5) == 0 {
                out.push(char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}'));
            } else {
                let piece: &str = *rng.pick::<&str>(&LOG_PIECES);
                out.push_str(piece);
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn mutated(rng: &mut Rng) -> Vec<u8> {
    let mut bytes = rng.pick(&REAL).to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(bytes.len().max(1)).min(bytes.len().saturating_sub(1));
        let byte = *rng.pick(b"{}[]\",:\\\n 0a\x00\xff\x1f\x8b") ^ if rng.below(4) == 0 { rng.next() as u8 } else { 0 };
        match rng.below(3) {
            0 if !bytes.is_empty() => bytes[at] = byte,
            1 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
    }
    // Sometimes only a prefix: a cut file.
    if rng.below(4) == 0 {
        let cut = rng.below(bytes.len() + 1);
        bytes.truncate(cut);
    }
    bytes
}

fn object(rng: &mut Rng, depth: usize) -> String {
    let fields: Vec<String> = (0..rng.below(7))
        .map(|_| {
            let key = rng.pick(&KEYS);
            let value = if depth < 3 && rng.below(3) == 0 {
                object(rng, depth + 1)
            } else {
                (*rng.pick(&VALUES)).to_owned()
            };
            format!("\"{key}\":{value}")
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn record_like(rng: &mut Rng) -> String {
    let body = object(rng, 0);
    match rng.below(3) {
        0 => body,
        _ => {
            let model = rng.pick(&VALUES);
            let rest = body.strip_prefix('{').unwrap_or("}");
            let sep = if rest == "}" { "" } else { "," };
            format!("{{\"modelId\":{model}{sep}{rest}")
        }
    }
}

fn records(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(6);
    let items: Vec<String> = (0..n).map(|_| record_like(rng)).collect();
    let text = match rng.below(5) {
        0 => format!("[\n  {}\n]", items.join(",\n  ")),
        1 => {
            let messages: Vec<String> = items
                .iter()
                .map(|r| format!("{{\n \"message\": {}\n}}", serde_json::to_string(r).unwrap_or_default()))
                .collect();
            format!("{{\n\"events\": [\n{}\n]\n}}", messages.join(",\n"))
        }
        2 => items.join("\n\n"),
        3 => items
            .iter()
            .map(|r| format!("2024-12-24T07:50:12.000Z {r}"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => items.join("\n"),
    };
    text.into_bytes()
}

fn input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 | 1 => random_bytes(rng),
        2 | 3 => piece_lines(rng),
        4..=6 => mutated(rng),
        _ => records(rng),
    }
}

/// Reads `input` and checks the counts agree with what was handed over.
fn check(input: &[u8], max_line: usize) {
    let mut reader = LogReader::new(Catalog::builtin()).max_line_bytes(max_line);
    let (mut records, mut bad, mut max_seen) = (0usize, 0usize, 0usize);
    let report = reader
        .read("fuzz", input, |entry| {
            match &entry {
                LogEntry::Record(r) => {
                    records += 1;
                    max_seen = max_seen.max(r.location.line);
                    assert!(!r.model_id.trim().is_empty());
                }
                LogEntry::BadLine(b) => {
                    bad += 1;
                    max_seen = max_seen.max(b.location.line);
                    assert!(b.reason.chars().count() <= 303, "{}", b.reason);
                }
            }
            Ok(())
        })
        .expect("the callback never fails");
    let (report_records, report_bad, gzip) = (report.records, report.bad_lines, report.gzip);
    assert_eq!((report_records, report_bad), (records, bad));
    let s = reader.summary();
    assert_eq!((s.total, s.bad_lines), (records, bad));
    assert_eq!(s.optimized + s.standard + s.unspecified, s.total);
    assert_eq!(s.models.iter().map(|m| m.records).sum::<usize>(), s.total);
    for l in &s.latency {
        assert!(l.p50_ms <= l.p90_ms && l.p90_ms <= l.p99_ms, "{l:?}");
    }
    if !gzip {
        let lines = input.split(|&b| b == b'\n').count();
        assert!(max_seen <= lines, "line {max_seen} of {lines}");
    }
}

#[test]
fn a_million_generated_inputs_never_panic() {
    let cases: u64 = support::env_or("LOGS_FUZZ_CASES", support::by_build(20_000, 1_000_000));
    let seed: u64 = support::env_or("LOGS_FUZZ_SEED", 0x5EED_1065_F022_0001);
    let mut rng = Rng(seed | 1);
    let started = std::time::Instant::now();
    let mut bytes = 0u64;
    for case in 0..cases {
        let input = input(&mut rng);
        let max_line = if rng.below(4) == 0 {
            16 + rng.below(256)
        } else {
            LogReader::DEFAULT_MAX_LINE
        };
        bytes += input.len() as u64;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
            check(&input, max_line);
            let text = String::from_utf8_lossy(&input);
            let shown = escape_text(&text, 64);
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
        })) {
            eprintln!(
                "case {case} (seed {seed}, max line {max_line}) panicked on {:?}",
                String::from_utf8_lossy(&input)
            );
            resume_unwind(panic);
        }
    }
    eprintln!(
        "logs_fuzz: {cases} inputs ({:.1} MB) in {:.1} s, 0 panics",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}
