//! The `bedrock-latency logs` report, written as the files are read: text
//! (the summary, then the first records and bad lines, every logged value
//! escaped and cut) or one JSON document whose records are written as they
//! are read.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{LogEntry, LogReader, LogRecord, LogSummary};
use crate::catalog::Catalog;
use crate::{Error, Result};

/// The shape of [`write_report`]'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// A table for people: counts, models, latency, cross-region calls, the
    /// first bad lines and records. Everything echoed from the logs is
    /// escaped ([`escape_text`]).
    Text,
    /// One JSON document, written as the files are read:
    /// `{"records": [...], "bad_lines": [...], "bad_lines_total", "files":
    /// [...], "total", "optimized", "standard", "unspecified", "summary":
    /// {...}}`. `records` lists every record, each written as soon as it is
    /// read; `bad_lines` the first [`LogReader::MAX_BAD_LINES_KEPT`] (all are
    /// counted in `bad_lines_total`); the totals come after the records.
    Json,
}

/// Records listed in text output.
const MAX_LISTED: usize = 20;

/// The longest logged value shown in text output, in characters.
const MAX_SHOWN: usize = 120;

/// `s` made safe to print on a terminal, at most `max_chars` characters of
/// it: control characters (C0, DEL, C1, so terminal escape sequences),
/// bidirectional overrides and line or paragraph separators are written as
/// `\u{..}` escapes (`\` itself as `\\`), and a longer text is cut and ends
/// with `...`.
///
/// ```
/// use bedrock_latency::logs::escape_text;
/// assert_eq!(escape_text("us-east-1", 20), "us-east-1");
/// assert_eq!(escape_text("a\u{1b}[2Jb\nc", 20), "a\\u{1b}[2Jb\\u{a}c");
/// assert_eq!(escape_text("abcdef", 3), "abc...");
/// ```
pub fn escape_text(s: &str, max_chars: usize) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || c == '\\'
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    let long = s.char_indices().nth(max_chars).map(|(i, _)| i);
    if long.is_none() && !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let shown = &s[..long.unwrap_or(s.len())];
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if long.is_some() {
        out.push_str("...");
    }
    Cow::Owned(out)
}

fn shown(s: &str) -> Cow<'_, str> {
    escape_text(s, MAX_SHOWN)
}

/// An optional logged value, shown (`-` when absent).
fn field(v: &Option<String>) -> Cow<'_, str> {
    v.as_deref().map_or(Cow::Borrowed("-"), shown)
}

/// Reads `paths` in order and writes the report to `out` as it reads,
/// through a buffer. Checks first that every file can be opened, so that
/// an unreadable one fails before any output. Fails with [`Error::Io`] when
/// a file cannot be opened, or when writing fails (`path` is then
/// "output"; a closed pipe has the kind [`io::ErrorKind::BrokenPipe`]).
pub fn write_report<P: AsRef<Path>>(
    catalog: &Catalog,
    paths: &[P],
    format: OutputFormat,
    out: impl Write,
) -> Result<()> {
    for path in paths {
        let path = path.as_ref();
        std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    let mut out = BufWriter::with_capacity(64 << 10, out);
    let mut reader = LogReader::new(catalog);
    match format {
        OutputFormat::Json => json(&mut reader, paths, &mut out)?,
        OutputFormat::Text => text(&mut reader, paths, &mut out)?,
    }
    out.flush().map_err(output_error)
}

fn output_error(source: io::Error) -> Error {
    Error::Io {
        path: "output".to_owned(),
        source,
    }
}

fn json<P: AsRef<Path>>(reader: &mut LogReader<'_>, paths: &[P], out: &mut impl Write) -> Result<()> {
    out.write_all(b"{\"records\":[").map_err(output_error)?;
    let mut first = true;
    for path in paths {
        reader.read_file(path, |entry| {
            let LogEntry::Record(record) = entry else {
                return Ok(());
            };
            out.write_all(if first { b"\n" } else { b",\n" })
                .map_err(output_error)?;
            first = false;
            serde_json::to_writer(&mut *out, &record).map_err(|e| output_error(e.into()))
        })?;
    }
    let summary = reader.summary();
    let tail = serde_json::json!({
        "bad_lines": reader.bad_lines(),
        "bad_lines_total": reader.bad_line_count(),
        "files": reader.files(),
        "total": summary.total,
        "optimized": summary.optimized,
        "standard": summary.standard,
        "unspecified": summary.unspecified,
        "summary": summary,
    });
    // The rest of the object, after the records' array.
    let tail = tail.to_string();
    let rest = tail.strip_prefix('{').unwrap_or(&tail);
    write!(out, "\n],{rest}\n").map_err(output_error)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn text<P: AsRef<Path>>(reader: &mut LogReader<'_>, paths: &[P], out: &mut impl Write) -> Result<()> {
    let mut listed: Vec<LogRecord> = Vec::new();
    for path in paths {
        reader.read_file(path, |entry| {
            if let LogEntry::Record(r) = entry
                && listed.len() < MAX_LISTED
            {
                listed.push(r);
            }
            Ok(())
        })?;
    }
    let s = reader.summary();
    let mut page = String::new();
    summary_text(&mut page, reader, &s);
    if !listed.is_empty() {
        let _ = writeln!(
            page,
            "\nRecords{}",
            if s.total > MAX_LISTED {
                format!(" (the first {MAX_LISTED} of {}; --json lists all)", s.total)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            page,
            "{:<38} {:<22} {:<15} {:<12} {:<12} {:<12} {:>8} {:>7} {:>7}  MODEL",
            "REQUEST ID", "TIMESTAMP", "OPERATION", "REGION", "INFERENCE", "LATENCY", "MS", "IN", "OUT"
        );
        for r in &listed {
            let _ = writeln!(
                page,
                "{:<38} {:<22} {:<15} {:<12} {:<12} {:<12} {:>8} {:>7} {:>7}  {}",
                field(&r.request_id),
                field(&r.timestamp),
                field(&r.operation),
                field(&r.region),
                field(&r.inference_region),
                r.latency,
                opt(r.latency_ms),
                opt(r.input_tokens),
                opt(r.output_tokens),
                shown(&r.model_id)
            );
        }
    }
    out.write_all(page.as_bytes()).map_err(output_error)
}

fn summary_text(page: &mut String, reader: &LogReader<'_>, s: &LogSummary) {
    let _ = writeln!(
        page,
        "{} records in {} files: {} optimized, {} standard, {} unspecified; {} bad lines",
        s.total,
        reader.files().len(),
        s.optimized,
        s.standard,
        s.unspecified,
        s.bad_lines
    );
    for f in reader.files() {
        let gz = if f.gzip { "gzip " } else { "" };
        let _ = writeln!(
            page,
            "  {}: {gz}{}, {} records, {} bad lines",
            shown(&f.file),
            f.format,
            f.records,
            f.bad_lines
        );
    }
    models_text(page, s);
    latency_text(page, s);
    cross_region_text(page, s);
    bad_lines_text(page, reader);
}

/// The per-model table and the estimated cost.
fn models_text(page: &mut String, s: &LogSummary) {
    if !s.models.is_empty() {
        let _ = writeln!(
            page,
            "\n{:<45} {:>7} {:>9} {:>8} {:>11} {:>10} {:>10} {:>10}",
            "MODEL", "RECORDS", "OPTIMIZED", "STANDARD", "UNSPECIFIED", "INPUT", "OUTPUT", "COST USD"
        );
        for m in &s.models {
            let _ = writeln!(
                page,
                "{:<45} {:>7} {:>9} {:>8} {:>11} {:>10} {:>10} {:>10}",
                shown(m.name.as_deref().unwrap_or(&m.model)),
                m.records,
                m.optimized,
                m.standard,
                m.unspecified,
                m.input_tokens,
                m.output_tokens,
                opt(m.cost_usd.map(|c| format!("{c:.6}")))
            );
        }
        let _ = writeln!(
            page,
            "estimated cost: {:.6} USD ({} records without a known price)",
            s.cost_usd, s.records_without_cost
        );
    }
}

/// The server latency percentiles per model and tier.
fn latency_text(page: &mut String, s: &LogSummary) {
    if !s.latency.is_empty() {
        let _ = writeln!(
            page,
            "\nServer latency (ms)\n{:<45} {:<12} {:>5} {:>7} {:>7} {:>7}",
            "MODEL", "LATENCY", "N", "P50", "P90", "P99"
        );
        for l in &s.latency {
            let _ = writeln!(
                page,
                "{:<45} {:<12} {:>5} {:>7} {:>7} {:>7}",
                shown(&l.model),
                l.latency,
                l.count,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms
            );
        }
    }
}

/// The records that ran in another region than the call was made from.
fn cross_region_text(page: &mut String, s: &LogSummary) {
    if !s.cross_region.is_empty() {
        let more = first_of(s.cross_region.len(), s.cross_region_count);
        let _ = writeln!(page, "\nRan in another region than the call was made from{more}");
        for c in &s.cross_region {
            let _ = writeln!(
                page,
                "  {} {} {}: {} -> {} ({}:{})",
                c.request_id.as_deref().map_or(Cow::Borrowed("-"), shown),
                shown(&c.model),
                c.latency,
                shown(&c.region),
                shown(&c.inference_region),
                shown(&c.location.file),
                c.location.line
            );
        }
    }
}

/// The lines that were not records.
fn bad_lines_text(page: &mut String, reader: &LogReader<'_>) {
    if reader.bad_line_count() > 0 {
        let more = first_of(reader.bad_lines().len(), reader.bad_line_count());
        let _ = writeln!(page, "\nBad lines{more}");
        for b in reader.bad_lines() {
            let _ = writeln!(
                page,
                "  {}:{}: {}",
                shown(&b.location.file),
                b.location.line,
                escape_text(&b.reason, 400)
            );
        }
    }
}

/// ` (the first SHOWN of TOTAL)` when a list was cut, else nothing.
fn first_of(shown: usize, total: usize) -> String {
    if total > shown {
        format!(" (the first {shown} of {total})")
    } else {
        String::new()
    }
}
