//! `bedrock-latency logs`: invocation logs analyzed.
//!
//! Kept thin and apart: the streaming analyzer replaces how records are read
//! and printed here.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::Result;
use bedrock_latency::logs::{LogAnalysis, LogSummary};

use crate::output;

/// Arguments of `logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct LogsArgs {
    /// Log files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON object: counts, records, bad lines, summary.
    #[arg(long)]
    json: bool,
    /// A JSON or TOML catalog file that adds models or overrides prices.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

pub(crate) fn run(args: LogsArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog)?;
    let analysis = bedrock_latency::logs::analyze_files(&catalog, &args.files)?;
    if args.json {
        output::print_json(&logs_json(&analysis))?;
    } else {
        output::print(&logs_text(&analysis))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn logs_json(a: &LogAnalysis) -> serde_json::Value {
    let summary = a.summary();
    serde_json::json!({
        "total": summary.total,
        "optimized": summary.optimized,
        "standard": summary.standard,
        "unspecified": summary.unspecified,
        "records": a.records,
        "bad_lines": a.bad_lines,
        "files": a.files,
        "summary": summary,
    })
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Records listed by `logs` without `--json`.
const MAX_LISTED: usize = 20;

fn logs_text(a: &LogAnalysis) -> String {
    let s = a.summary();
    let mut out = files_text(a, &s);
    out += &models_text(&s);
    out += &latency_text(&s);
    out += &cross_region_text(&s);
    if !a.bad_lines.is_empty() {
        out += "\nBad lines\n";
        for b in &a.bad_lines {
            out += &format!("  {b}\n");
        }
    }
    out += &records_text(a);
    out
}

fn files_text(a: &LogAnalysis, s: &LogSummary) -> String {
    let mut out = format!(
        "{} records in {} files: {} optimized, {} standard, {} unspecified; {} bad lines\n",
        s.total,
        a.files.len(),
        s.optimized,
        s.standard,
        s.unspecified,
        s.bad_lines
    );
    for f in &a.files {
        let gz = if f.gzip { "gzip " } else { "" };
        out += &format!(
            "  {}: {gz}{}, {} records, {} bad lines\n",
            f.file, f.format, f.records, f.bad_lines
        );
    }
    out
}

fn models_text(s: &LogSummary) -> String {
    if s.models.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{:<45} {:>7} {:>9} {:>8} {:>11} {:>10} {:>10} {:>10}\n",
        "MODEL", "RECORDS", "OPTIMIZED", "STANDARD", "UNSPECIFIED", "INPUT", "OUTPUT", "COST USD"
    );
    for m in &s.models {
        out += &format!(
            "{:<45} {:>7} {:>9} {:>8} {:>11} {:>10} {:>10} {:>10}\n",
            m.name.as_deref().unwrap_or(&m.model),
            m.records,
            m.optimized,
            m.standard,
            m.unspecified,
            m.input_tokens,
            m.output_tokens,
            opt(m.cost_usd.map(|c| format!("{c:.6}")))
        );
    }
    out += &format!(
        "estimated cost: {:.6} USD ({} records without a known price)\n",
        s.cost_usd, s.records_without_cost
    );
    out
}

fn latency_text(s: &LogSummary) -> String {
    if s.latency.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nServer latency (ms)\n{:<45} {:<12} {:>5} {:>7} {:>7} {:>7}\n",
        "MODEL", "LATENCY", "N", "P50", "P90", "P99"
    );
    for l in &s.latency {
        out += &format!(
            "{:<45} {:<12} {:>5} {:>7} {:>7} {:>7}\n",
            l.model, l.latency, l.count, l.p50_ms, l.p90_ms, l.p99_ms
        );
    }
    out
}

fn cross_region_text(s: &LogSummary) -> String {
    if s.cross_region.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nRan in another region than the call was made from\n");
    for c in &s.cross_region {
        out += &format!(
            "  {} {} {}: {} -> {} ({})\n",
            opt(c.request_id.as_deref()),
            c.model,
            c.latency,
            c.region,
            c.inference_region,
            c.location
        );
    }
    out
}

fn records_text(a: &LogAnalysis) -> String {
    if a.records.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nRecords{}\n",
        if a.records.len() > MAX_LISTED {
            format!(" (the first {MAX_LISTED}; --json lists all)")
        } else {
            String::new()
        }
    );
    out += &format!(
        "{:<38} {:<22} {:<15} {:<12} {:<12} {:<12} {:>8} {:>7} {:>7}  MODEL\n",
        "REQUEST ID", "TIMESTAMP", "OPERATION", "REGION", "INFERENCE", "LATENCY", "MS", "IN", "OUT"
    );
    for r in a.records.iter().take(MAX_LISTED) {
        out += &format!(
            "{:<38} {:<22} {:<15} {:<12} {:<12} {:<12} {:>8} {:>7} {:>7}  {}\n",
            opt(r.request_id.as_deref()),
            opt(r.timestamp.as_deref()),
            opt(r.operation.as_deref()),
            opt(r.region.as_deref()),
            opt(r.inference_region.as_deref()),
            r.latency,
            opt(r.latency_ms),
            opt(r.input_tokens),
            opt(r.output_tokens),
            r.model_id
        );
    }
    out
}
