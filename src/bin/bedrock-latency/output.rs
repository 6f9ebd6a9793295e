//! What the subcommands share: writing to standard output without panicking
//! (`println!` panics when the write fails), ending on errors, and escaping
//! anything echoed from input (arguments, catalog files) in text output.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bedrock_latency::{Error, Result};

/// The exit code for a closed pipe: what a shell reports for a process killed
/// by SIGPIPE (128 + 13), as `cat` or `yes` are in `... | head`.
const BROKEN_PIPE: u8 = 141;

/// The exit code for errors: usage, invalid input, unreadable files, output
/// that cannot be written.
const ERROR: u8 = 2;

/// Longest error message printed, in characters.
const MAX_ERROR_CHARS: usize = 2000;

/// Writes `text` to standard output and flushes it.
pub(crate) fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            path: "standard output".to_owned(),
            source,
        })
}

/// Writes `text` and a newline to standard output.
pub(crate) fn println(text: &str) -> Result<()> {
    print(&format!("{text}\n"))
}

/// Writes one line to standard error, escaped; a failed write is ignored
/// (standard error is where failures would be reported).
pub(crate) fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", line(text));
}

/// Writes a JSON document (pretty) and a newline to standard output.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::InvalidRequest {
        reason: format!("cannot write the answer as JSON: {e}"),
    })?;
    println(&text)
}

/// Whether `e` is a write to a pipe whose reader has gone (`| head`).
fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Ends the program on `e`: quietly for a closed pipe, else with one line on
/// standard error (if even that fails, only the exit code tells).
pub(crate) fn fail(e: &Error) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::from(BROKEN_PIPE);
    }
    let line = clean(&format!("error: {e}"), MAX_ERROR_CHARS);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    ExitCode::from(ERROR)
}

/// Prints clap's help, version or usage error and ends with clap's exit
/// code; a failed write ends as [`fail`] does.
pub(crate) fn clap_exit(e: &clap::Error) -> ExitCode {
    match e.print() {
        Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(ERROR)),
        Err(source) => fail(&Error::Io {
            path: if e.use_stderr() {
                "standard error"
            } else {
                "standard output"
            }
            .to_owned(),
            source,
        }),
    }
}

/// `s` made safe to print on one line of a terminal: control characters
/// (newlines, escape sequences) and bidirectional overrides written as
/// `\u{..}`, and at most `max` characters kept.
pub(crate) fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push_str("...");
            break;
        }
        let invisible = matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || invisible {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `s` (then `...`), not escaped.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// A value from input (a name from a catalog file, a path) for a table cell
/// or a message: [`clean`], at most 200 characters.
pub(crate) fn field(s: &str) -> String {
    clean(s, 200)
}

/// A message line built from input: [`clean`], at most 4000 characters.
pub(crate) fn line(s: &str) -> String {
    clean(s, 4000)
}

/// A file a subcommand writes its result to (`compare --chart`, `probe
/// --out`), opened before the first request so that a path that cannot be
/// written is found before any request is made (and billed).
pub(crate) struct OutputFile {
    file: File,
    path: PathBuf,
    created: bool,
}

impl OutputFile {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let created = !path.exists();
        // Not truncated yet: an existing file survives a failed run.
        let file = File::options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        Ok(Self {
            file,
            path: path.to_owned(),
            created,
        })
    }

    /// The path, as given.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file's content with `text`.
    pub(crate) fn write(mut self, text: &str) -> Result<()> {
        let io = |source| Error::Io {
            path: self.path.display().to_string(),
            source,
        };
        self.file.set_len(0).map_err(io)?;
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(io)
    }

    /// Removes the file if this run created it.
    pub(crate) fn abandon(self) {
        if self.created {
            drop(self.file);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_and_shortens() {
        assert_eq!(clean("us-east-2", 20), "us-east-2");
        assert_eq!(clean("a\nb", 20), "a\\u{a}b");
        assert_eq!(clean("\x1b[2J", 20), "\\u{1b}[2J");
        assert_eq!(clean("\u{202e}txt", 20), "\\u{202e}txt");
        assert_eq!(clean(&"x".repeat(100_000), 5), "xxxxx...");
        assert_eq!(clean("ééé", 2), "éé...");
    }

    #[test]
    fn broken_pipe_is_quiet() {
        let pipe = Error::Io {
            path: "standard output".into(),
            source: std::io::ErrorKind::BrokenPipe.into(),
        };
        assert!(is_broken_pipe(&pipe));
        let full = Error::Io {
            path: "standard output".into(),
            source: std::io::Error::from_raw_os_error(28),
        };
        assert!(!is_broken_pipe(&full));
    }
}
