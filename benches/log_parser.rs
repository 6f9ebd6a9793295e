//! The invocation-log reader in MB/s (streaming, and keeping every record),
//! against a plain `serde_json` pass over the same JSON Lines (each line to a
//! `serde_json::Value`), in the same run.
//!
//! ```text
//! cargo bench --bench log_parser -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The input is generated: the four records of `tests/data/logs/clean.jsonl`
//! (the real record and variations of it), repeated with distinct request IDs
//! to about 4 MB. After criterion's figures, the bench prints its own medians
//! of alternating runs and the ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bedrock_latency::{Catalog, logs};
use criterion::{Criterion, Throughput};

const TARGET_BYTES: usize = 4 << 20;

fn input() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/logs/clean.jsonl");
    let clean = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<&str> = clean.lines().filter(|l| !l.is_empty()).collect();
    let mut out = String::with_capacity(TARGET_BYTES + 8192);
    let mut n = 0usize;
    while out.len() < TARGET_BYTES {
        let line = lines[n % lines.len()];
        // Distinct request IDs, as in a real log.
        let line = match line.find("\"requestId\":\"") {
            Some(i) => {
                let start = i + "\"requestId\":\"".len();
                format!("{}{n:08x}{}", &line[..start], &line[start + 8..])
            }
            None => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
        n += 1;
    }
    out.into_bytes()
}

/// The streaming reader, as `bedrock-latency logs` uses it: every record
/// handed over, the summary built, nothing kept.
fn analyzer(data: &[u8]) -> usize {
    let mut reader = logs::LogReader::new(Catalog::builtin());
    let mut records = 0;
    reader
        .read("bench.jsonl", data, |entry| {
            records += usize::from(matches!(entry, logs::LogEntry::Record(_)));
            Ok(())
        })
        .expect("the callback never fails");
    assert_eq!(reader.bad_line_count(), 0);
    black_box(reader.summary());
    records
}

/// Everything kept in memory (`LogAnalysis`).
fn analyze_bytes(data: &[u8]) -> usize {
    let a = logs::analyze_bytes(Catalog::builtin(), "bench.jsonl", data);
    assert!(a.bad_lines.is_empty());
    a.records.len()
}

fn serde_json_values(data: &[u8]) -> usize {
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).map(black_box).is_ok() as usize)
        .sum()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let data = input();
    let records = analyzer(&data);
    assert_eq!(records, serde_json_values(&data), "both read every line");
    assert_eq!(records, analyze_bytes(&data));

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("log_parser");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("bedrock_latency::logs::LogReader", |b| {
        b.iter(|| analyzer(black_box(&data)))
    });
    group.bench_function("bedrock_latency::logs::analyze_bytes", |b| {
        b.iter(|| analyze_bytes(black_box(&data)))
    });
    group.bench_function("serde_json::Value per line", |b| {
        b.iter(|| serde_json_values(black_box(&data)))
    });
    group.finish();
    c.final_summary();

    // Our own medians, alternating the two so that both see the same machine.
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let t = Instant::now();
        black_box(analyzer(&data));
        ours.push(t.elapsed());
        let t = Instant::now();
        black_box(serde_json_values(&data));
        plain.push(t.elapsed());
    }
    let mb = data.len() as f64 / 1e6;
    let (ours, plain) = (median(ours), median(plain));
    let (ours_mbs, plain_mbs) = (mb / ours.as_secs_f64(), mb / plain.as_secs_f64());
    println!(
        "\nlog_parser: {mb:.2} MB, {records} records\n  analyzer          median {:>8.2} ms  {ours_mbs:>7.1} MB/s\n  serde_json Value  median {:>8.2} ms  {plain_mbs:>7.1} MB/s\n  ratio analyzer / serde_json throughput: {:.2}",
        ours.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3,
        ours_mbs / plain_mbs
    );
}
