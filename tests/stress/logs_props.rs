//! Property tests: the invocation-log reader never panics, whatever bytes or
//! lines it is given, and its counts stay consistent.

use bedrock_latency::Catalog;
use bedrock_latency::logs::{self, LogAnalysis};
use proptest::prelude::*;

use crate::support::{self, LOG_PIECES};

fn config() -> ProptestConfig {
    support::proptest_config(10_000)
}

const CLEAN: &[u8] = include_bytes!("../data/logs/clean.jsonl");
const GZIP: &[u8] = include_bytes!("../data/logs/s3-delivery-000");
const EVENTS: &[u8] = include_bytes!("../data/logs/cloudwatch-filter-log-events.json");

/// The invariants every analysis keeps.
fn check(a: &LogAnalysis, input: &[u8]) {
    let s = a.summary();
    assert_eq!(s.total, a.records.len());
    assert_eq!(s.optimized + s.standard + s.unspecified, s.total);
    assert_eq!(s.bad_lines, a.bad_lines.len());
    assert_eq!(a.files.len(), 1);
    assert_eq!(a.files[0].records, a.records.len());
    assert_eq!(a.files[0].bad_lines, a.bad_lines.len());
    assert_eq!(s.models.iter().map(|m| m.records).sum::<usize>(), s.total);
    if !a.files[0].gzip {
        let lines = input.split(|&b| b == b'\n').count();
        for r in &a.records {
            assert!((1..=lines).contains(&r.location.line), "{:?} of {lines}", r.location);
        }
        for b in &a.bad_lines {
            assert!((1..=lines).contains(&b.location.line), "{b} of {lines}");
        }
    }
    for l in &s.latency {
        assert!(l.p50_ms <= l.p90_ms && l.p90_ms <= l.p99_ms);
    }
}

/// Lines made of pieces of real records, JSON punctuation and noise.
fn line_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(&LOG_PIECES[..]).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// A real input with some bytes changed, removed or inserted.
fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((0..base.len(), any::<u8>(), 0u8..3), 0..6).prop_map(move |edits| {
        let mut bytes = base.to_vec();
        for (at, byte, kind) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match kind {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(gzip in any::<bool>(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut input = if gzip { vec![0x1f, 0x8b] } else { Vec::new() };
        input.extend_from_slice(&bytes);
        let a = logs::analyze_bytes(Catalog::builtin(), "bytes", &input);
        check(&a, &input);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec(line_like(), 0..8)) {
        let input = lines.join("\n");
        let a = logs::analyze_bytes(Catalog::builtin(), "lines", input.as_bytes());
        check(&a, input.as_bytes());
    }

    #[test]
    fn damaged_real_inputs_never_panic(input in prop_oneof![mutated(CLEAN), mutated(GZIP), mutated(EVENTS)]) {
        let a = logs::analyze_bytes(Catalog::builtin(), "damaged", &input);
        check(&a, &input);
    }
}
