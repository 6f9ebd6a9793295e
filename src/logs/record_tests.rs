//! Unit tests of the record parsers (`record.rs`).

use proptest::prelude::*;
use serde_json::Value;

use super::super::{Location, LogRecord};
use super::*;
use crate::catalog::Catalog;

fn location() -> Location {
    Location {
        file: "t".to_owned(),
        line: 1,
    }
}

/// This reader's record, or its reason for refusing.
fn typed(json: &[u8]) -> Option<Result<LogRecord, String>> {
    let object = Object::parse(json).ok()?;
    match object.shape() {
        Shape::Record(fields) => Some(fields.map(|f| f.into_record(Catalog::builtin(), location()))),
        Shape::EventList(_) | Shape::Event(_) => None,
    }
}

/// Where both read an object as a record (or refuse it), they agree.
fn same(json: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        assert!(Object::parse(json).is_err(), "{}", String::from_utf8_lossy(json));
        return;
    };
    let Some(obj) = value.as_object() else { return };
    let list = !obj.contains_key("modelId")
        && (obj.get("events").is_some_and(Value::is_array) || obj.get("logEvents").is_some_and(Value::is_array));
    let event = !obj.contains_key("modelId") && obj.get("message").is_some_and(Value::is_string);
    let got = typed(json);
    if list || event {
        assert!(got.is_none(), "{}", String::from_utf8_lossy(json));
        return;
    }
    let want = LogRecord::from_json(&value, Catalog::builtin(), location());
    match (got, want) {
        (Some(Ok(got)), Ok(want)) => assert_eq!(got, want, "{}", String::from_utf8_lossy(json)),
        (Some(Err(_)), Err(_)) => {}
        (got, want) => panic!("{}: {got:?} vs {want:?}", String::from_utf8_lossy(json)),
    }
}

const CLEAN: &str = include_str!("../../tests/data/logs/clean.jsonl");

#[test]
fn the_test_records_agree() {
    for line in CLEAN.lines() {
        assert!(matches!(typed(line.as_bytes()), Some(Ok(_))), "{line}");
        same(line.as_bytes());
    }
}

#[test]
fn a_wrongly_typed_performance_config_is_a_bad_field() {
    let base = r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":"#;
    for (perf, field) in [
        (r#""OPTIMIZED""#, "performanceConfig: a string"),
        ("7", "performanceConfig: a number"),
        (r#"["OPTIMIZED"]"#, "performanceConfig: an array"),
        (r#"{"latency":7}"#, "performanceConfig.latency: a number"),
        (
            r#"{"latency":{"value":"OPTIMIZED"}}"#,
            "performanceConfig.latency: an object",
        ),
    ] {
        let json = format!("{base}{perf}}}");
        let Some(Err(reason)) = typed(json.as_bytes()) else {
            panic!("{json}: read as a record")
        };
        assert!(reason.starts_with(&format!("bad field {field}")), "{json}: {reason}");
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            LogRecord::from_json(&value, Catalog::builtin(), location()),
            Err(reason)
        );
    }
    for perf in ["null", "{}", r#"{"latency":null}"#] {
        let json = format!("{base}{perf}}}");
        let Some(Ok(record)) = typed(json.as_bytes()) else {
            panic!("{json}")
        };
        assert_eq!(record.latency_as_logged, None, "{json}");
    }
}

/// Values that records hold, of every type, in the places the reader looks.
fn json_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("\"OPTIMIZED\"".to_owned()),
        Just("\"standard\"".to_owned()),
        Just("\"ModelInvocationLog\"".to_owned()),
        Just("\"us.amazon.nova-pro-v1:0\"".to_owned()),
        Just("\"\\u0075s-east-2\"".to_owned()),
        Just("\" \"".to_owned()),
        Just("7".to_owned()),
        Just("-1".to_owned()),
        Just("2.5".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("[]".to_owned()),
        Just("[{\"metadata\":{\"metrics\":{\"latencyMs\":5}}}]".to_owned()),
        Just("[{\"metrics\":{\"latencyMs\":5}},{\"metadata\":3,\"amazon-bedrock-invocationMetrics\":{\"invocationLatency\":6}}]".to_owned()),
        Just("{}".to_owned()),
        Just("true".to_owned()),
        Just("{\"latency\":\"Optimized\"}".to_owned()),
        Just("{\"inputTokenCount\":3,\"outputTokenCount\":4}".to_owned()),
        Just("{\"metrics\":{\"latencyMs\":9},\"usage\":{\"input_tokens\":1,\"outputTokens\":2}}".to_owned()),
        Just("{\"amazon-bedrock-invocationMetrics\":{\"invocationLatency\":8,\"inputTokenCount\":5}}".to_owned()),
        Just(
            "{\"outputBodyJson\":{\"metadata\":{\"usage\":{\"inputTokens\":6}}},\"outputTokenCount\":null}"
                .to_owned()
        ),
    ]
}

const KEYS: [&str; 17] = [
    "schemaType",
    "requestId",
    "modelId",
    "timestamp",
    "operation",
    "region",
    "inferenceRegion",
    "performanceConfig",
    "latency",
    "input",
    "inputTokenCount",
    "output",
    "outputTokenCount",
    "outputBodyJson",
    "metrics",
    "latencyMs",
    "usage",
];
const MORE_KEYS: [&str; 10] = [
    "metadata",
    "amazon-bedrock-invocationMetrics",
    "invocationLatency",
    "inputTokens",
    "output_tokens",
    "outputTokens",
    "input_tokens",
    "events",
    "logEvents",
    "message",
];

/// Objects nested up to three deep with the keys the reader knows, each
/// key once per object (duplicate keys are refused by this reader and
/// read last-wins by `Value`: a difference on purpose).
fn object() -> impl Strategy<Value = String> {
    let key = prop_oneof![prop::sample::select(&KEYS[..]), prop::sample::select(&MORE_KEYS[..]),];
    let leaf = json_value();
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop::collection::vec((key.clone(), inner), 0..6).prop_map(|fields| {
            let mut seen = std::collections::HashSet::new();
            let body: Vec<String> = fields
                .iter()
                .filter(|(k, _)| seen.insert(*k))
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn typed_and_value_readings_agree(json in object(), model in json_value()) {
        same(json.as_bytes());
        // With a modelId, so that the reading gets further.
        let with_model = match json.strip_prefix('{') {
            Some("}") => format!("{{\"modelId\":{model}}}"),
            Some(rest) if !rest.contains("\"modelId\"") => format!("{{\"modelId\":{model},{rest}"),
            _ => json.clone(),
        };
        same(with_model.as_bytes());
    }
}
