//! The streaming reader: JSON Lines, JSON documents (arrays and CloudWatch
//! Logs event lists element by element), in memory bounded by the longest
//! line or element, never by the file. Reading the bytes (gzip, format
//! detection, the document scanner) is in `scan`.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

use serde_json::value::RawValue;

use super::record::{self, Object, Shape};
use super::scan::{BUFFER, Counting, Mode, Pos, ScanError, Scanner, detect, fill, gunzip, json_part};
use super::{BadLine, FileReport, Location, LogEntry, LogFormat};
use crate::catalog::Catalog;
use crate::{Error, Result};

/// How much of a file is looked at to tell JSON Lines from a JSON document.
const SAMPLE: usize = 1 << 20;

/// How deep arrays and event messages may nest inside one value.
const MAX_DEPTH: usize = 32;

/// The longest reason kept for a bad line, in characters.
const MAX_REASON: usize = 300;

/// What reading hands over, entry by entry.
pub(super) type Emit<'e> = dyn FnMut(LogEntry) -> Result<()> + 'e;

/// Why reading a file stopped early.
enum Stop {
    /// The caller's `emit` failed: give its error back.
    Emit(Error),
    /// The rest of the file cannot be read (reported already).
    Skip,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Emit(e)
    }
}

type Step<T = ()> = std::result::Result<T, Stop>;

/// Reads one file (any `Read`), handing every record and bad line to `emit`
/// as it is read. Fails only when `emit` does.
pub(super) fn read(
    catalog: &Catalog,
    name: &str,
    reader: &mut dyn Read,
    max_line: usize,
    emit: &mut Emit<'_>,
) -> Result<FileReport> {
    let mut sink = Sink {
        catalog,
        file: name,
        emit,
        max_line: max_line.max(1),
        records: 0,
        bad: 0,
        saw_events: false,
        saw_prefix: false,
        gzip: false,
        consumed: Rc::new(Cell::new(0)),
    };
    let format = match sink.run(reader) {
        Ok(format) => format,
        Err(Stop::Emit(e)) => return Err(e),
        Err(Stop::Skip) => sink.format(LogFormat::Json),
    };
    Ok(FileReport {
        file: name.to_owned(),
        gzip: sink.gzip,
        format,
        records: sink.records,
        bad_lines: sink.bad,
    })
}

/// Reads one file: counts, flags and the caller's `emit`.
struct Sink<'c, 'e> {
    catalog: &'c Catalog,
    file: &'c str,
    emit: &'c mut Emit<'e>,
    max_line: usize,
    records: usize,
    bad: usize,
    saw_events: bool,
    saw_prefix: bool,
    gzip: bool,
    /// Bytes read so far (decompressed), for the message of a read error.
    consumed: Rc<Cell<u64>>,
}

impl Sink<'_, '_> {
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

    fn bad(&mut self, line: usize, reason: impl Into<String>) -> Step {
        let mut reason = reason.into();
        if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON) {
            reason.truncate(cut);
            reason.push_str("...");
        }
        self.bad += 1;
        let location = Location {
            file: self.file.to_owned(),
            line,
        };
        (self.emit)(LogEntry::BadLine(BadLine { location, reason }))?;
        Ok(())
    }

    fn read_error(&mut self, e: &io::Error) -> Stop {
        let what = if self.gzip { "gzip stream broken" } else { "read error" };
        match self.bad(0, format!("{what} after {} bytes: {e}", self.consumed.get())) {
            Ok(()) => Stop::Skip,
            Err(stop) => stop,
        }
    }

    fn run(&mut self, reader: &mut dyn Read) -> Step<LogFormat> {
        let mut magic = Vec::with_capacity(2);
        if let Err(e) = fill(reader, &mut magic, 2) {
            return Err(self.read_error(&e));
        }
        self.gzip = magic == [0x1f, 0x8b];
        let raw: Box<dyn Read + '_> = Box::new(Cursor::new(magic).chain(reader));
        let source = if self.gzip {
            match gunzip(raw) {
                Ok(source) => source,
                Err(reason) => {
                    self.bad(0, reason)?;
                    return Ok(LogFormat::Empty);
                }
            }
        } else {
            raw
        };
        let mut counting = Counting {
            inner: source,
            count: Rc::clone(&self.consumed),
        };
        let mut sample = Vec::new();
        let (eof, error) = match fill(&mut counting, &mut sample, SAMPLE) {
            Ok(eof) => (eof, None),
            Err(e) => (true, Some(e)),
        };
        let start = if sample.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let mode = detect(&sample[start..], eof);
        let mut head = Cursor::new(sample);
        head.set_position(start as u64);
        // After a read error, only what came before it.
        let rest: Box<dyn Read + '_> = if error.is_some() {
            Box::new(io::empty())
        } else {
            Box::new(counting)
        };
        let mut input = BufReader::with_capacity(BUFFER, head.chain(rest));
        let (result, base) = match mode {
            Mode::Empty => (Ok(()), LogFormat::Empty),
            Mode::Lines => (self.lines(&mut input), LogFormat::JsonLines),
            Mode::Document => (self.document(&mut input), LogFormat::Json),
        };
        match result {
            Ok(()) | Err(Stop::Skip) => {}
            Err(stop) => return Err(stop),
        }
        if let Some(e) = error
            && let Stop::Emit(e) = self.read_error(&e)
        {
            return Err(Stop::Emit(e));
        }
        Ok(if mode == Mode::Empty { base } else { self.format(base) })
    }

    /// Line by line, each line capped at `max_line` bytes.
    fn lines(&mut self, input: &mut dyn BufRead) -> Step {
        let mut long: Vec<u8> = Vec::new();
        let mut overflow = false;
        let mut line = 0usize;
        loop {
            let buf = input.fill_buf().map_err(|e| self.read_error(&e))?;
            if buf.is_empty() {
                if !long.is_empty() || overflow {
                    line += 1;
                    self.long_line(&long, overflow, line)?;
                }
                return Ok(());
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    line += 1;
                    if long.is_empty() && !overflow {
                        self.long_line(&buf[..i], i > self.max_line, line)?;
                    } else {
                        if !overflow && long.len() + i > self.max_line {
                            overflow = true;
                        } else if !overflow {
                            long.extend_from_slice(&buf[..i]);
                        }
                        self.long_line(&long, overflow, line)?;
                        long.clear();
                        overflow = false;
                    }
                    input.consume(i + 1);
                }
                None => {
                    let n = buf.len();
                    if !overflow && long.len() + n > self.max_line {
                        overflow = true;
                        long = Vec::new();
                    } else if !overflow {
                        long.extend_from_slice(buf);
                    }
                    input.consume(n);
                }
            }
        }
    }

    fn long_line(&mut self, line: &[u8], overflow: bool, number: usize) -> Step {
        if overflow {
            self.bad(number, format!("line longer than {}: skipped", size(self.max_line)))
        } else {
            self.line(line, number)
        }
    }

    fn line(&mut self, line: &[u8], number: usize) -> Step {
        let line = line.trim_ascii();
        if line.is_empty() {
            return Ok(());
        }
        let (json, prefixed) = match json_part(line) {
            Ok(part) => part,
            Err(reason) => return self.bad(number, reason),
        };
        match self.value(json, &mut Pos::fixed(number), 0)? {
            None => {
                self.saw_prefix |= prefixed;
                Ok(())
            }
            Some(e) => self.bad(number, format!("invalid JSON: {e}")),
        }
    }

    /// One JSON value in memory: a record, an array of values, an event or
    /// an event list. Returns the syntax error if it is not JSON.
    fn value(&mut self, json: &[u8], pos: &mut Pos<'_>, depth: usize) -> Step<Option<serde_json::Error>> {
        let line = pos.at(json);
        if depth > MAX_DEPTH {
            self.bad(line, format!("nested more than {MAX_DEPTH} deep"))?;
            return Ok(None);
        }
        if json.first() == Some(&b'[') {
            let mut stop = None;
            let done = record::each_element(
                json,
                &mut |raw| match self.value(raw.get().as_bytes(), pos, depth + 1) {
                    Ok(_) => true,
                    Err(s) => {
                        stop = Some(s);
                        false
                    }
                },
            );
            if let Some(stop) = stop {
                return Err(stop);
            }
            return Ok(done.err());
        }
        let object = match Object::parse(json) {
            Ok(object) => object,
            Err(e) if e.is_data() && json.first() == Some(&b'{') => {
                self.bad(line, format!("not a record: {e}"))?;
                return Ok(None);
            }
            Err(e) if e.is_data() => {
                self.bad(line, "not a JSON object")?;
                return Ok(None);
            }
            Err(e) => return Ok(Some(e)),
        };
        match object.shape() {
            Shape::Record(Ok(fields)) => {
                let location = Location {
                    file: self.file.to_owned(),
                    line,
                };
                let record = fields.into_record(self.catalog, location);
                self.records += 1;
                (self.emit)(LogEntry::Record(record))?;
            }
            Shape::Record(Err(reason)) => self.bad(line, reason)?,
            Shape::Event(message) => {
                self.saw_events = true;
                self.message(message, line, depth)?;
            }
            Shape::EventList(arrays) => {
                self.saw_events = true;
                for events in arrays {
                    let mut stop = None;
                    // Valid JSON already: the elements parse.
                    let _ = record::each_element(events.get().as_bytes(), &mut |event| match self
                        .event(event, pos, depth)
                    {
                        Ok(()) => true,
                        Err(s) => {
                            stop = Some(s);
                            false
                        }
                    });
                    if let Some(stop) = stop {
                        return Err(stop);
                    }
                }
            }
        }
        Ok(None)
    }

    /// One CloudWatch Logs event of an event list.
    fn event(&mut self, event: &RawValue, pos: &mut Pos<'_>, depth: usize) -> Step {
        match record::event_message(event) {
            Some(message) => {
                let line = pos.at(message.get().as_bytes());
                self.message(message, line, depth)
            }
            None => {
                let line = pos.at(event.get().as_bytes());
                self.bad(line, "CloudWatch Logs event without a message")
            }
        }
    }

    /// A CloudWatch Logs event message: the record as a JSON string.
    fn message(&mut self, message: &RawValue, line: usize, depth: usize) -> Step {
        let Some(text) = record::string(message) else {
            return self.bad(line, "CloudWatch Logs event message is not a string");
        };
        match self.value(text.as_bytes(), &mut Pos::fixed(line), depth + 1)? {
            None => Ok(()),
            Some(e) => self.bad(line, format!("event message is not JSON: {e}")),
        }
    }

    /// JSON documents one after the other; the elements of a top-level
    /// array and of the event arrays of a top-level object one by one.
    fn document(&mut self, input: &mut dyn BufRead) -> Step {
        let mut s = Scanner { input, line: 1 };
        let mut buf = Vec::new();
        loop {
            let Some(first) = self.scan(s.skip_ws(None))? else {
                return Ok(());
            };
            let line = s.line;
            match first {
                b'[' => {
                    s.bump(None);
                    self.array(&mut s, &mut buf, Element::Value)?;
                }
                b'{' => self.object(&mut s, &mut buf)?,
                _ => {
                    buf.clear();
                    let overflow = self.scan(s.value(&mut buf, self.max_line))?;
                    self.element(&buf, overflow, line, Element::Value)?;
                }
            }
        }
    }

    /// A scanner result: a read error is reported (line 0) and a syntax
    /// error at its line; both end the file.
    fn scan<T>(&mut self, result: std::result::Result<T, ScanError>) -> Step<T> {
        match result {
            Ok(v) => Ok(v),
            Err(ScanError::Io(e)) => Err(self.read_error(&e)),
            Err(ScanError::Syntax(line, what)) => {
                self.bad(line, format!("invalid JSON ({what}); the rest of the file is skipped"))?;
                Err(Stop::Skip)
            }
        }
    }

    /// The elements of an array whose `[` was read.
    fn array(&mut self, s: &mut Scanner<'_>, buf: &mut Vec<u8>, kind: Element) -> Step {
        let mut first = true;
        loop {
            let Some(mut next) = self.scan(s.skip_ws(None))? else {
                return self.scan(Err(s.eof("a list")));
            };
            if next == b']' {
                s.bump(None);
                return Ok(());
            }
            if !first {
                if next != b',' {
                    return self.scan(Err(s.unexpected(next, "`,` or `]`")));
                }
                s.bump(None);
                next = match self.scan(s.skip_ws(None))? {
                    Some(b) => b,
                    None => return self.scan(Err(s.eof("a list"))),
                };
            }
            if next == b']' {
                return self.scan(Err(s.unexpected(next, "a value")));
            }
            first = false;
            let line = s.line;
            buf.clear();
            let overflow = self.scan(s.value(buf, self.max_line))?;
            self.element(buf, overflow, line, kind)?;
        }
    }

    /// A top-level object whose `{` is next: buffered whole (a record, or
    /// an event list), except for `events` / `logEvents` arrays, whose
    /// events are read one by one.
    fn object(&mut self, s: &mut Scanner<'_>, obj: &mut Vec<u8>) -> Step {
        let line = s.line;
        obj.clear();
        s.bump(Some(obj));
        let (mut key, mut skipped) = (Vec::new(), Vec::new());
        let (mut saw_model, mut streamed, mut overflow, mut first) = (false, false, false, true);
        loop {
            let keep = !streamed && !overflow;
            let Some(mut next) = self.scan(s.skip_ws(keep.then_some(&mut *obj)))? else {
                return self.scan(Err(s.eof("an object")));
            };
            if next == b'}' {
                s.bump(keep.then_some(&mut *obj));
                break;
            }
            if !first {
                if next != b',' {
                    return self.scan(Err(s.unexpected(next, "`,` or `}`")));
                }
                s.bump(keep.then_some(&mut *obj));
                next = match self.scan(s.skip_ws(keep.then_some(&mut *obj)))? {
                    Some(b) => b,
                    None => return self.scan(Err(s.eof("an object"))),
                };
            }
            first = false;
            if next != b'"' {
                return self.scan(Err(s.unexpected(next, "a key")));
            }
            key.clear();
            if self.scan(s.value(&mut key, self.max_line))? {
                overflow = true;
            }
            let name: Option<String> = serde_json::from_slice(&key).ok();
            match self.scan(s.skip_ws(None))? {
                Some(b':') => {}
                Some(other) => return self.scan(Err(s.unexpected(other, "`:`"))),
                None => return self.scan(Err(s.eof("an object"))),
            }
            s.bump(None);
            let value_start = self.scan(s.skip_ws(None))?;
            let name = name.as_deref().unwrap_or("");
            saw_model |= name == "modelId";
            if !saw_model && matches!(name, "events" | "logEvents") && value_start == Some(b'[') {
                // An event list: what was kept of the object is not needed.
                streamed = true;
                self.saw_events = true;
                s.bump(None);
                self.array(s, &mut skipped, Element::Event)?;
            } else if streamed || overflow {
                skipped.clear();
                self.scan(s.value(&mut skipped, 0))?;
            } else {
                obj.extend_from_slice(&key);
                obj.extend_from_slice(b":");
                overflow = self.scan(s.value(obj, self.max_line))?;
            }
            if !streamed && obj.len() > self.max_line {
                overflow = true;
            }
        }
        if streamed {
            Ok(())
        } else {
            self.element(obj, overflow, line, Element::Value)
        }
    }

    /// One buffered element of a document, starting on `line`.
    fn element(&mut self, buf: &[u8], overflow: bool, line: usize, kind: Element) -> Step {
        if overflow {
            return self.bad(line, format!("value longer than {}: skipped", size(self.max_line)));
        }
        let mut pos = Pos::new(buf, line);
        let error = match kind {
            Element::Value => self.value(buf, &mut pos, 0)?,
            Element::Event => match serde_json::from_slice::<&RawValue>(buf) {
                Ok(event) => {
                    self.event(event, &mut pos, 0)?;
                    None
                }
                Err(e) => Some(e),
            },
        };
        match error {
            None => Ok(()),
            Some(e) => {
                let at = line + e.line().saturating_sub(1);
                let what = e.to_string();
                let what = what.rsplit_once(" at line ").map_or(what.as_str(), |(msg, _)| msg);
                self.bad(
                    at,
                    format!("invalid JSON ({what} at line {at}); the rest of the file is skipped"),
                )?;
                Err(Stop::Skip)
            }
        }
    }
}

/// What the elements of a document array are.
#[derive(Debug, Clone, Copy)]
enum Element {
    /// Records, arrays, events or event lists.
    Value,
    /// CloudWatch Logs events.
    Event,
}

/// `n` bytes, in MiB when whole.
fn size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
