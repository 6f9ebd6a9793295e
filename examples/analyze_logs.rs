//! Were my requests really served latency-optimized? Reads Bedrock model
//! invocation logs and prints what served them, how fast and at what cost.
//!
//! `cargo run --example analyze_logs` reads the real log record in the
//! shared fixtures, `fixtures/invocation-log-sample.json` (offline; where
//! they are: `tests/shared_fixtures/mod.rs`);
//! `cargo run --example analyze_logs --features gzip -- FILE...` reads your
//! own: JSON, JSON Lines, `aws logs filter-log-events` output, CloudWatch
//! Logs exports to S3 and S3 deliveries (gzip needs the `gzip` feature),
//! streamed: files of any size are read in bounded memory.

use std::path::PathBuf;

use bedrock_latency::{Catalog, cost, logs};

// The tests' rule for finding the shared fixtures, so that this example
// reads the same record they do.
#[path = "../tests/shared_fixtures/mod.rs"]
mod shared_fixtures;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        paths.push(shared_fixtures::shared_fixture("invocation-log-sample.json"));
    }
    let catalog = Catalog::builtin();
    // Streams: each record is printed as it is read, in bounded memory
    // whatever the size of the files; the summary comes at the end.
    let mut reader = logs::LogReader::new(catalog);
    for path in &paths {
        reader.read_file(path, |entry| {
            match entry {
                logs::LogEntry::Record(r) => print_record(catalog, &r),
                logs::LogEntry::BadLine(b) => println!("  bad line {b}"),
            }
            Ok(())
        })?;
    }
    let summary = reader.summary();
    println!(
        "{} records: {} optimized, {} standard, {} unspecified ({} bad lines)",
        summary.total, summary.optimized, summary.standard, summary.unspecified, summary.bad_lines
    );
    for l in &summary.latency {
        println!(
            "  {} {}: p50 {} ms, p90 {} ms, p99 {} ms over {} records",
            l.model, l.latency, l.p50_ms, l.p90_ms, l.p99_ms, l.count
        );
    }
    for c in &summary.cross_region {
        println!(
            "  {} ran in {} although called from {}",
            c.request_id.as_deref().unwrap_or("?"),
            c.inference_region,
            c.region
        );
    }
    println!("estimated cost: {:.6} USD", summary.cost_usd);
    Ok(())
}

fn print_record(catalog: &Catalog, r: &logs::LogRecord) {
    println!(
        "  {} {} {} from {} ran in {}: {} ({} in / {} out tokens, server latency {}, cost {})",
        r.timestamp.as_deref().unwrap_or("?"),
        r.operation.as_deref().unwrap_or("?"),
        r.model_name.as_deref().unwrap_or(&r.model_id),
        r.region.as_deref().unwrap_or("?"),
        r.inference_region.as_deref().unwrap_or("?"),
        r.latency,
        r.input_tokens.map_or("?".to_owned(), |n| n.to_string()),
        r.output_tokens.map_or("?".to_owned(), |n| n.to_string()),
        r.latency_ms.map_or("not logged".to_owned(), |ms| format!("{ms} ms")),
        r.cost_usd.map_or("unknown".to_owned(), |c| format!("{c:.6} USD")),
    );
    // What the same tokens cost at the other tier.
    if let (Some(i), Some(o)) = (r.input_tokens, r.output_tokens)
        && let Ok(c) = cost::compare_costs(catalog, &r.model_id, i, o)
        && let Some(opt) = c.optimized
    {
        println!(
            "    standard {:.6} USD vs optimized {:.6} USD (prices as of {})",
            c.standard.cost_usd, opt.cost_usd, c.as_of
        );
    }
}
