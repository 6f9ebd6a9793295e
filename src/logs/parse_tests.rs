//! Unit tests of the file reader (`parse.rs`).

use super::*;

/// Hands out at most 7 bytes a read, and says "interrupted" before each.
struct Interrupting<'a> {
    rest: &'a [u8],
    interrupt: bool,
}

impl Read for Interrupting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.rest.len()).min(7);
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

fn records_of(bytes: &[u8]) -> (FileReport, usize) {
    let mut records = 0;
    let mut reader = Interrupting {
        rest: bytes,
        interrupt: false,
    };
    let mut emit = |e: LogEntry| {
        records += usize::from(matches!(e, LogEntry::Record(_)));
        Ok(())
    };
    let report = read(Catalog::builtin(), "f", &mut reader, 1 << 20, &mut emit).unwrap();
    (report, records)
}

#[test]
fn interrupted_reads_are_read_again() {
    let line = r#"{"timestamp": "2024-12-24T07:50:12Z", "region": "us-east-2", "operation": "Converse", "modelId": "amazon.nova-micro-v1:0", "input": {"inputTokenCount": 3}, "output": {"outputTokenCount": 4}}"#;
    let doc = format!("[\n  {}\n]\n", line.replace(", ", ",\n  "));
    let lines = format!("{line}\n{line}\n");
    for (bytes, format, want) in [
        (doc.as_bytes(), LogFormat::Json, 1),
        (lines.as_bytes(), LogFormat::JsonLines, 2),
    ] {
        let (report, records) = records_of(bytes);
        assert_eq!(
            (report.format, report.records, report.bad_lines, records),
            (format, want, 0, want)
        );
    }
}
