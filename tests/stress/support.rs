//! What several stress tests share.

use std::time::Duration;

use bedrock_latency::testkit::TokenTiming;

/// Pieces of real records and JSON punctuation.
pub(crate) const LOG_PIECES: [&str; 30] = [
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\\"",
    " ",
    "2024-12-24T07:50:12.000Z ",
    r#""modelId":"us.anthropic.claude-3-5-haiku-20241022-v1:0""#,
    r#""modelId":"arn:aws:bedrock:us-east-2:1:inference-profile/us.x""#,
    r#""performanceConfig":{"latency":"OPTIMIZED"}"#,
    r#""performanceConfig":"OPTIMIZED""#,
    r#""performanceConfig":{"latency":7}"#,
    r#""schemaType":"ModelInvocationLog""#,
    r#""input":{"inputTokenCount":18446744073709551615}"#,
    r#""output":{"outputBodyJson":{"metrics":{"latencyMs":-1}}}"#,
    r#""output":{"outputBodyJson":[{"metadata":{"metrics":{"latencyMs":5}}}]}"#,
    r#""output":{"outputBodyJson":[{"amazon-bedrock-invocationMetrics":{"invocationLatency":99999999999}}]}"#,
    r#""events":[{"message":"{\"modelId\":\"m\"}"}]"#,
    r#""logEvents":[{"message":1}]"#,
    r#""message":"#,
    r#""region":"us-east-1","inferenceRegion":"us-west-2""#,
    "\u{feff}",
    "\u{1b}[2J",
    "\r",
    "\n",
    "\u{0}",
    "\\u0000",
];

/// The environment variable `name` parsed, else `default` (unset or not a
/// number).
pub(crate) fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `debug` in a debug build, `release` in an optimised one.
pub(crate) fn by_build<T>(debug: T, release: T) -> T {
    if cfg!(debug_assertions) { debug } else { release }
}

/// A proptest configuration of `cases` cases that writes no failure files
/// (regressions are kept by hand in `tests/proptest-regressions`).
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// A token timing in whole milliseconds: `first` to the first token, then
/// `per_token` a token.
pub(crate) fn ms_timing(first: u64, per_token: u64) -> TokenTiming {
    TokenTiming::new(Duration::from_millis(first), Duration::from_millis(per_token))
}

/// Strings glued from 0 to `most - 1` pieces, each one of `pieces` or
/// (as often as any one of them) a string matching the regex `wild`.
pub(crate) fn glued(
    pieces: &'static [&'static str],
    wild: &'static str,
    most: usize,
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let weight = u32::try_from(pieces.len()).unwrap_or(u32::MAX);
    let piece = prop_oneof![
        weight => prop::sample::select(pieces).prop_map(str::to_owned),
        1 => wild,
    ];
    prop::collection::vec(piece, 0..most).prop_map(|v| v.concat())
}
