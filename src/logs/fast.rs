//! The fast path: a record of the usual shape, read straight into borrowed
//! fields, skipping the request body instead of building a
//! `serde_json::Value` of it.
//!
//! It gives up (`None`) on anything unusual (a type it does not expect, a
//! missing `modelId`, an output body that is not an object, an event list),
//! and the caller then reads the same bytes through the `Value` path, which
//! decides. Where both read a record they give the same one (tested below).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::{Fields, LatencySource, Location, LogRecord};
use crate::catalog::Catalog;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "schemaType", default, borrow, deserialize_with = "present")]
    schema_type: Option<Option<Cow<'a, str>>>,
    #[serde(rename = "requestId", default, borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    operation: Option<Cow<'a, str>>,
    #[serde(rename = "modelId", default, borrow)]
    model_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(rename = "inferenceRegion", default, borrow)]
    inference_region: Option<Cow<'a, str>>,
    #[serde(rename = "performanceConfig", default, borrow)]
    performance_config: Option<Performance<'a>>,
    #[serde(default)]
    input: Option<Input>,
    #[serde(default, borrow)]
    output: Option<Output<'a>>,
}

/// `Some(None)` for an explicit `null`, which the `Value` path rejects.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct Performance<'a> {
    #[serde(default, borrow)]
    latency: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Input {
    #[serde(rename = "inputTokenCount", default)]
    input_token_count: Option<u64>,
}

#[derive(Deserialize)]
struct Output<'a> {
    #[serde(rename = "outputTokenCount", default)]
    output_token_count: Option<u64>,
    #[serde(rename = "outputBodyJson", default, borrow)]
    body: Option<&'a RawValue>,
}

/// The parts of a response body that carry metrics and usage.
#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    metrics: Option<Metrics>,
    #[serde(default)]
    usage: Option<Counts>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(rename = "amazon-bedrock-invocationMetrics", default)]
    invocation: Option<Counts>,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(rename = "latencyMs", default)]
    latency_ms: Option<u64>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    usage: Option<Counts>,
}

/// Token counts under every name they go by, and the stream latency.
#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Counts {
    #[serde(default)]
    inputTokens: Option<u64>,
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    inputTokenCount: Option<u64>,
    #[serde(default)]
    outputTokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    outputTokenCount: Option<u64>,
    #[serde(default)]
    invocationLatency: Option<u64>,
}

impl Counts {
    fn input(&self) -> Option<u64> {
        self.inputTokens.or(self.input_tokens).or(self.inputTokenCount)
    }
    fn output(&self) -> Option<u64> {
        self.outputTokens.or(self.output_tokens).or(self.outputTokenCount)
    }
}

/// Reads a record of the usual shape, or gives up.
pub(super) fn read(json: &[u8], catalog: &Catalog, location: Location) -> Option<LogRecord> {
    if json.first() != Some(&b'{') {
        return None;
    }
    let r: Record<'_> = serde_json::from_slice(json).ok()?;
    match &r.schema_type {
        None => {}
        Some(Some(t)) if t == "ModelInvocationLog" => {}
        Some(_) => return None,
    }
    let model_id = r.model_id.as_deref().filter(|s| !s.trim().is_empty())?;
    let body = match r.output.as_ref().and_then(|o| o.body) {
        Some(raw) if raw.get().starts_with('{') => Some(serde_json::from_str::<Body>(raw.get()).ok()?),
        Some(raw) if raw.get() != "null" => return None,
        _ => None,
    };
    let latency_ms = body.as_ref().and_then(|b| {
        let converse = b.metrics.as_ref().and_then(|m| m.latency_ms);
        converse.map(|ms| (ms, LatencySource::ConverseMetrics)).or_else(|| {
            let ms = b.invocation.as_ref()?.invocationLatency?;
            Some((ms, LatencySource::InvocationMetrics))
        })
    });
    let usage = |pick: fn(&Counts) -> Option<u64>| {
        let b = body.as_ref()?;
        let metadata = b.metadata.as_ref().and_then(|m| m.usage.as_ref());
        [b.usage.as_ref(), metadata, b.invocation.as_ref()]
            .into_iter()
            .flatten()
            .find_map(pick)
    };
    let fields = Fields {
        request_id: r.request_id.as_deref(),
        timestamp: r.timestamp.as_deref(),
        operation: r.operation.as_deref(),
        model_id,
        region: r.region.as_deref(),
        inference_region: r.inference_region.as_deref(),
        latency_as_logged: r.performance_config.as_ref().and_then(|p| p.latency.as_deref()),
        latency_ms,
        input_tokens: r
            .input
            .as_ref()
            .and_then(|i| i.input_token_count)
            .or_else(|| usage(Counts::input)),
        output_tokens: r
            .output
            .as_ref()
            .and_then(|o| o.output_token_count)
            .or_else(|| usage(Counts::output)),
    };
    Some(fields.into_record(catalog, location))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn location() -> Location {
        Location {
            file: "t".to_owned(),
            line: 1,
        }
    }

    /// Where the fast path reads a record, the `Value` path reads the same.
    fn same(json: &[u8]) {
        if let Some(fast) = read(json, Catalog::builtin(), location()) {
            let value: serde_json::Value = serde_json::from_slice(json).expect("the fast path read valid JSON");
            let slow = LogRecord::from_json(&value, Catalog::builtin(), location());
            assert_eq!(Ok(fast), slow, "{}", String::from_utf8_lossy(json));
        }
    }

    const CLEAN: &str = include_str!("../../tests/data/logs/clean.jsonl");

    #[test]
    fn the_test_records_take_the_fast_path() {
        for line in CLEAN.lines() {
            assert!(
                read(line.as_bytes(), Catalog::builtin(), location()).is_some(),
                "{line}"
            );
            same(line.as_bytes());
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
    const MORE_KEYS: [&str; 8] = [
        "metadata",
        "amazon-bedrock-invocationMetrics",
        "invocationLatency",
        "inputTokens",
        "output_tokens",
        "outputTokens",
        "input_tokens",
        "events",
    ];

    /// Objects nested up to three deep with the keys the reader knows.
    fn object() -> impl Strategy<Value = String> {
        let key = prop_oneof![prop::sample::select(&KEYS[..]), prop::sample::select(&MORE_KEYS[..]),];
        let leaf = json_value();
        leaf.prop_recursive(3, 24, 6, move |inner| {
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|fields| {
                let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn fast_and_value_paths_agree(json in object(), model in json_value()) {
            same(json.as_bytes());
            // With a modelId, so that the fast path gets further.
            let with_model = match json.strip_prefix('{') {
                Some("}") => format!("{{\"modelId\":{model}}}"),
                Some(rest) => format!("{{\"modelId\":{model},{rest}"),
                None => json.clone(),
            };
            same(with_model.as_bytes());
        }
    }
}
