//! Reading log files: [`LogReader`] (streams, bounded state) and
//! [`LogAnalysis`] (everything in memory, for small inputs).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::parse;
use super::summary::SummaryBuilder;
use super::{BadLine, FileReport, LogEntry, LogFormat, LogRecord, LogSummary};
use crate::catalog::Catalog;
use crate::{Error, Result};

/// Opens a log file: its name for locations, and the file.
fn open(path: &Path) -> Result<(String, File)> {
    let name = path.display().to_string();
    match File::open(path) {
        Ok(file) => Ok((name, file)),
        Err(source) => Err(Error::Io { path: name, source }),
    }
}

/// Reads invocation logs as streams: every record and bad line is handed to
/// a callback as it is read, and only bounded state is kept (the summary,
/// one report per file, the first [`LogReader::MAX_BAD_LINES_KEPT`] bad
/// lines). See the [module docs](super) for the formats.
#[derive(Debug)]
pub struct LogReader<'c> {
    catalog: &'c Catalog,
    max_line: usize,
    summary: SummaryBuilder,
    files: Vec<FileReport>,
    bad_lines: Vec<BadLine>,
    bad_line_count: usize,
}

impl<'c> LogReader<'c> {
    /// The longest line (or element of a JSON document) read by default:
    /// 64 MiB. A longer one is a bad line, and reading goes on after it.
    pub const DEFAULT_MAX_LINE: usize = 64 << 20;

    /// How many bad lines [`LogReader::bad_lines`] keeps (all are counted).
    pub const MAX_BAD_LINES_KEPT: usize = 100;

    /// A reader that resolves models and prices with `catalog`.
    pub fn new(catalog: &'c Catalog) -> Self {
        Self {
            catalog,
            max_line: Self::DEFAULT_MAX_LINE,
            summary: SummaryBuilder::default(),
            files: Vec::new(),
            bad_lines: Vec::new(),
            bad_line_count: 0,
        }
    }

    /// Sets the longest line (or document element) read, in bytes (at least 1).
    #[must_use]
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line = bytes.max(1);
        self
    }

    /// Reads a file, handing each record and bad line to `on_entry` as it is
    /// read. Fails when the file cannot be opened, or with the first error
    /// of `on_entry` (reading stops there); a file that breaks off (a
    /// damaged gzip stream, a read error) is a bad line 0.
    pub fn read_file<F>(&mut self, path: impl AsRef<Path>, on_entry: F) -> Result<&FileReport>
    where
        F: FnMut(LogEntry) -> Result<()>,
    {
        let (path, file) = open(path.as_ref())?;
        self.read(&path, file, on_entry)
    }

    /// Reads from any `Read` (`name` is used in locations), as
    /// [`LogReader::read_file`] does.
    pub fn read<R, F>(&mut self, name: &str, mut reader: R, mut on_entry: F) -> Result<&FileReport>
    where
        R: Read,
        F: FnMut(LogEntry) -> Result<()>,
    {
        let (summary, bad_lines, count) = (&mut self.summary, &mut self.bad_lines, &mut self.bad_line_count);
        let mut emit = |entry: LogEntry| {
            match &entry {
                LogEntry::Record(r) => summary.add(r),
                LogEntry::BadLine(b) => {
                    *count += 1;
                    if bad_lines.len() < Self::MAX_BAD_LINES_KEPT {
                        bad_lines.push(b.clone());
                    }
                }
            }
            on_entry(entry)
        };
        let report = parse::read(self.catalog, name, &mut reader, self.max_line, &mut emit)?;
        self.files.push(report);
        Ok(&self.files[self.files.len() - 1])
    }

    /// Counts, per-model figures, latency percentiles and cross-region
    /// calls of everything read so far.
    pub fn summary(&self) -> LogSummary {
        self.summary.summary(self.bad_line_count)
    }

    /// One report per file read.
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// The first [`LogReader::MAX_BAD_LINES_KEPT`] bad lines.
    pub fn bad_lines(&self) -> &[BadLine] {
        &self.bad_lines
    }

    /// All bad lines read so far.
    pub fn bad_line_count(&self) -> usize {
        self.bad_line_count
    }
}

/// Records read from one or more files, with what could not be read, all
/// kept in memory: for small inputs (use [`LogReader`] for large ones).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogAnalysis {
    /// Every record, in file and line order.
    pub records: Vec<LogRecord>,
    /// Every line that was not a record, in the order read.
    pub bad_lines: Vec<BadLine>,
    /// One report per file read.
    pub files: Vec<FileReport>,
}

impl LogAnalysis {
    /// Counts, per-model figures, latency percentiles and cross-region calls.
    pub fn summary(&self) -> LogSummary {
        LogSummary::of(&self.records, self.bad_lines.len())
    }

    /// Reads a file's contents (`name` is used in locations). Never fails:
    /// what cannot be read lands in [`LogAnalysis::bad_lines`].
    pub fn add_bytes(&mut self, catalog: &Catalog, name: &str, bytes: &[u8]) -> &FileReport {
        self.add_reader(catalog, name, bytes)
    }

    /// Reads a file. Fails only when the file cannot be opened.
    pub fn add_file(&mut self, catalog: &Catalog, path: impl AsRef<Path>) -> Result<&FileReport> {
        let (path, file) = open(path.as_ref())?;
        Ok(self.add_reader(catalog, &path, file))
    }

    fn add_reader(&mut self, catalog: &Catalog, name: &str, reader: impl Read) -> &FileReport {
        let (records, bad_lines) = (&mut self.records, &mut self.bad_lines);
        let mut reader_state = LogReader::new(catalog);
        let read = reader_state.read(name, reader, |entry| {
            match entry {
                LogEntry::Record(r) => records.push(r),
                LogEntry::BadLine(b) => bad_lines.push(b),
            }
            Ok(())
        });
        // The callback never fails, so neither does reading.
        let report = match read {
            Ok(report) => report.clone(),
            Err(_) => FileReport {
                file: name.to_owned(),
                gzip: false,
                format: LogFormat::Empty,
                records: 0,
                bad_lines: 0,
            },
        };
        self.files.push(report);
        &self.files[self.files.len() - 1]
    }
}

/// Reads every file in `paths`, in order, into memory. Fails on the first
/// file that cannot be opened; bad lines are reported, not errors.
pub fn analyze_files<P: AsRef<Path>>(catalog: &Catalog, paths: impl IntoIterator<Item = P>) -> Result<LogAnalysis> {
    let mut analysis = LogAnalysis::default();
    for path in paths {
        analysis.add_file(catalog, path)?;
    }
    Ok(analysis)
}

/// Reads one file's contents, already in memory (`name` is used in locations).
pub fn analyze_bytes(catalog: &Catalog, name: &str, bytes: &[u8]) -> LogAnalysis {
    let mut analysis = LogAnalysis::default();
    analysis.add_bytes(catalog, name, bytes);
    analysis
}
