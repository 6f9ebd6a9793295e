//! Bytes of a log file: reading (counting, retrying interrupted reads,
//! gzip), telling JSON Lines from a JSON document, line positions, and the
//! document scanner that finds the bounds of JSON values in a stream.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// The read buffers (below the usual allocator's mmap threshold, so that
/// many small files cost no system calls).
pub(super) const BUFFER: usize = 64 << 10;

/// Counts the bytes read through it (decompressed bytes, for gzip), and
/// reads again when a read is interrupted, so that the buffered reader the
/// parsers take never reports one.
pub(super) struct Counting<'r> {
    pub(super) inner: Box<dyn Read + 'r>,
    pub(super) count: Rc<Cell<u64>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads until `buf` holds `want` bytes or the input ends; `Ok(true)` at the end.
pub(super) fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    while buf.len() < want {
        let start = buf.len();
        // Grow step by step: a small file zeroes a small buffer.
        buf.resize(want.min(start.max(4096) * 2), 0);
        match reader.read(&mut buf[start..]) {
            Ok(0) => {
                buf.truncate(start);
                return Ok(true);
            }
            Ok(n) => buf.truncate(start + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(start),
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(false)
}

#[cfg(feature = "gzip")]
pub(super) fn gunzip<'r>(compressed: Box<dyn Read + 'r>) -> std::result::Result<Box<dyn Read + 'r>, &'static str> {
    // Several members in a row, as S3 deliveries may be.
    Ok(Box::new(flate2::read::MultiGzDecoder::new(
        io::BufReader::with_capacity(BUFFER, compressed),
    )))
}

#[cfg(not(feature = "gzip"))]
pub(super) fn gunzip<'r>(_compressed: Box<dyn Read + 'r>) -> std::result::Result<Box<dyn Read + 'r>, &'static str> {
    Err("gzip-compressed: reading it needs the `gzip` feature of bedrock-latency")
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Empty,
    Lines,
    Document,
}

/// Tells JSON Lines from a JSON document by the start of a file: JSON
/// Lines when the first non-blank line is a JSON value (or `TIMESTAMP
/// JSON`) on its own, or when the sample breaks as a document and most of
/// its lines stand alone.
pub(super) fn detect(sample: &[u8], eof: bool) -> Mode {
    if sample.trim_ascii().is_empty() {
        return if eof { Mode::Empty } else { Mode::Lines };
    }
    // Whole lines only, unless the file ends within the sample.
    let whole = if eof {
        sample
    } else {
        match memchr::memrchr(b'\n', sample) {
            Some(i) => &sample[..i],
            // A first line longer than the sample: a long record, not pretty-printed JSON.
            None => return Mode::Lines,
        }
    };
    let mut lines = whole
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty());
    match lines.next() {
        None => return Mode::Lines,
        Some(first) if stands_alone(first) => return Mode::Lines,
        Some(_) => {}
    }
    let mut broken = false;
    for item in serde_json::Deserializer::from_slice(whole).into_iter::<serde::de::IgnoredAny>() {
        if let Err(e) = item {
            broken = !e.is_eof();
            break;
        }
    }
    if !broken {
        return Mode::Document;
    }
    let (mut good, mut total) = (0usize, 0usize);
    for line in whole
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
    {
        total += 1;
        good += usize::from(stands_alone(line));
    }
    if good * 2 >= total { Mode::Lines } else { Mode::Document }
}

/// Whether a line is a JSON value (or `TIMESTAMP JSON`) on its own.
pub(super) fn stands_alone(line: &[u8]) -> bool {
    json_part(line).is_ok_and(|(json, _)| serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok())
}

/// The JSON of a line: the line itself, or what follows `TIMESTAMP ` in a
/// CloudWatch Logs export. The flag says whether a prefix was skipped.
pub(super) fn json_part(line: &[u8]) -> std::result::Result<(&[u8], bool), &'static str> {
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

/// Line numbers of parts of a buffer that starts on line `base`, found by
/// counting newlines forward from the last part asked about.
pub(super) struct Pos<'b> {
    buf: &'b [u8],
    base: usize,
    cursor: usize,
    line: usize,
}

impl<'b> Pos<'b> {
    pub(super) fn new(buf: &'b [u8], base: usize) -> Self {
        Self {
            buf,
            base,
            cursor: 0,
            line: base,
        }
    }

    /// Everything on one line.
    pub(super) fn fixed(line: usize) -> Pos<'static> {
        Pos::new(&[], line)
    }

    /// The line `part` (a slice of the buffer) starts on.
    pub(super) fn at(&mut self, part: &[u8]) -> usize {
        let start = self.buf.as_ptr() as usize;
        let offset = (part.as_ptr() as usize).saturating_sub(start).min(self.buf.len());
        if offset < self.cursor {
            self.cursor = 0;
            self.line = self.base;
        }
        self.line += memchr::memchr_iter(b'\n', &self.buf[self.cursor..offset]).count();
        self.cursor = offset;
        self.line
    }
}

/// A structural error found while scanning a document.
pub(super) enum ScanError {
    Io(io::Error),
    /// The line and what was wrong.
    Syntax(usize, String),
}

/// Finds the bounds of JSON values in a stream, counting lines. It checks
/// only structure (strings, brackets, separators between elements);
/// serde_json checks each value it hands over.
pub(super) struct Scanner<'i> {
    pub(super) input: &'i mut dyn BufRead,
    pub(super) line: usize,
}

impl Scanner<'_> {
    pub(super) fn eof(&self, what: &str) -> ScanError {
        ScanError::Syntax(self.line, format!("EOF while parsing {what} at line {}", self.line))
    }

    pub(super) fn unexpected(&self, byte: u8, wanted: &str) -> ScanError {
        let found = if byte.is_ascii_graphic() {
            format!("`{}`", char::from(byte))
        } else {
            format!("byte 0x{byte:02x}")
        };
        ScanError::Syntax(
            self.line,
            format!("expected {wanted}, found {found} at line {}", self.line),
        )
    }

    /// Skips whitespace (keeping it in `keep`); the next byte, not consumed.
    pub(super) fn skip_ws(&mut self, mut keep: Option<&mut Vec<u8>>) -> std::result::Result<Option<u8>, ScanError> {
        loop {
            let buf = self.input.fill_buf().map_err(ScanError::Io)?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(buf.len());
            self.line += memchr::memchr_iter(b'\n', &buf[..n]).count();
            let next = buf.get(n).copied();
            if let Some(keep) = keep.as_deref_mut() {
                keep.extend_from_slice(&buf[..n]);
            }
            self.input.consume(n);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Consumes one byte (keeping it in `keep`).
    pub(super) fn bump(&mut self, keep: Option<&mut Vec<u8>>) {
        if let Ok(buf) = self.input.fill_buf()
            && let Some(&b) = buf.first()
        {
            if let Some(keep) = keep {
                keep.push(b);
            }
            self.line += usize::from(b == b'\n');
            self.input.consume(1);
        }
    }

    /// Consumes one value (the next byte starts it), appending it to `out`
    /// while `out` holds at most `cap` bytes. `Ok(true)`: it did not fit.
    pub(super) fn value(&mut self, out: &mut Vec<u8>, cap: usize) -> std::result::Result<bool, ScanError> {
        let (mut depth, mut in_string, mut escaped, mut started) = (0usize, false, false, false);
        let mut scalar = false;
        let mut overflow = false;
        loop {
            let buf = self.input.fill_buf().map_err(ScanError::Io)?;
            if buf.is_empty() {
                if scalar && depth == 0 && !in_string {
                    return Ok(overflow);
                }
                return Err(self.eof("a value"));
            }
            let mut i = 0;
            let mut done = false;
            while i < buf.len() {
                let b = buf[i];
                if !started {
                    started = true;
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth = 1,
                        b'}' | b']' | b',' | b':' => {
                            return Err(self.unexpected(b, "a value"));
                        }
                        _ => scalar = true,
                    }
                    i += 1;
                    continue;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    } else if b == b'\n' {
                        self.line += 1;
                    }
                } else if scalar {
                    if b.is_ascii_whitespace() || matches!(b, b',' | b']' | b'}' | b'[' | b'{' | b'"' | b':') {
                        done = true;
                        break;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        b'\n' => self.line += 1,
                        _ => {}
                    }
                }
                i += 1;
            }
            if !overflow {
                if out.len() + i > cap {
                    overflow = true;
                } else {
                    out.extend_from_slice(&buf[..i]);
                }
            }
            self.input.consume(i);
            if done {
                return Ok(overflow);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(detect(b"  \n", true), Mode::Empty);
        assert_eq!(detect(b"{\"a\":1}\n{", true), Mode::Lines);
        assert_eq!(detect(b"{\n  \"a\": 1\n}\n", true), Mode::Document);
        assert_eq!(detect(b"[\n  {\"a\": 1},\n", false), Mode::Document);
        assert_eq!(detect(b"2024-12-24T07:50:12.000Z {\"a\":1}\n", true), Mode::Lines);
        // A broken first line, then lines that stand alone.
        assert_eq!(detect(b"{\"a\": \"b\n{\"a\":1}\n{\"a\":2}\n", true), Mode::Lines);
        // A first line longer than the sample.
        assert_eq!(detect(b"{\"a\": \"bbbbbbbb", false), Mode::Lines);
    }

    #[test]
    fn positions() {
        let buf = b"[\n{},\n\n{}]";
        let mut pos = Pos::new(buf, 10);
        assert_eq!(pos.at(&buf[0..]), 10);
        assert_eq!(pos.at(&buf[2..]), 11);
        assert_eq!(pos.at(&buf[7..]), 13);
        assert_eq!(pos.at(&buf[1..]), 10);
        assert_eq!(Pos::fixed(4).at(b"x"), 4);
    }
}
