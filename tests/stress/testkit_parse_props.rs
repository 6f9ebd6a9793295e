//! Property test: the local endpoint's request parsing (routing, header and
//! body parsing, validation) never panics, over generated requests that
//! mix valid templates, mutated fields and random bytes. Calls the parsing
//! functions directly (no TCP).
//!
//! Cases: 1,000,000 in an optimised build (`cargo test --release --features
//! testkit --test testkit_parse_props`), 5,000
//! in a debug build; `BEDROCK_LATENCY_PROP_CASES` overrides both.

use bedrock_latency::testkit::fuzz::parse_request;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support;

fn config() -> ProptestConfig {
    let cases = support::env_or("BEDROCK_LATENCY_PROP_CASES", support::by_build(5_000, 1_000_000));
    support::proptest_config(cases)
}

/// Model-ID-like labels, sometimes percent-encoded.
fn model_label() -> impl Strategy<Value = String> {
    support::glued(MODEL_LABEL_PIECES, "\\PC{0,8}", 5)
}

#[rustfmt::skip]
const MODEL_LABEL_PIECES: &[&str] = &[
    "us.", "amazon.nova-pro-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
    "meta.llama3-1-405b-instruct-v1:0", "arn:aws:bedrock:us-east-2:123456789012:inference-profile/",
    "%3A", "%2F", "%", "%ff"
];

fn path() -> impl Strategy<Value = String> {
    let label = "[A-Za-z0-9%_.-]{0,12}";
    prop_oneof![
        (
            model_label(),
            prop::sample::select(vec![
                "converse",
                "converse-stream",
                "invoke",
                "invoke-with-response-stream",
                "x"
            ])
        )
            .prop_map(|(m, a)| format!("/model/{m}/{a}")),
        label.prop_map(|s| format!("/agents/{s}")),
        (label, label, label).prop_map(|(a, b, c)| format!("/agents/{a}/agentAliases/{b}/sessions/{c}/text")),
        (label, label).prop_map(|(f, a)| format!("/flows/{f}/aliases/{a}")),
        (label, label).prop_map(|(f, a)| format!("/flows/{f}/aliases/{a}/executions")),
        Just("/retrieveAndGenerate".to_owned()),
        Just("/retrieveAndGenerateStream".to_owned()),
        "/\\PC{0,40}",
    ]
}

/// Arbitrary JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "optimized",
            "standard",
            "flex",
            "user",
            "assistant",
            "KNOWLEDGE_BASE",
            "EXTERNAL_SOURCES",
            ""
        ])
        .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "messages",
                    "role",
                    "content",
                    "text",
                    "system",
                    "performanceConfig",
                    "latency",
                    "serviceTier",
                    "type",
                    "inferenceConfig",
                    "maxTokens",
                    "max_tokens",
                    "anthropic_version",
                    "prompt",
                    "max_gen_len",
                    "foundationModel",
                    "instruction",
                    "inputText",
                    "bedrockModelConfigurations",
                    "input",
                    "retrieveAndGenerateConfiguration",
                    "knowledgeBaseConfiguration",
                    "modelArn",
                    "generationConfiguration",
                    "inputs",
                    "nodeName",
                    "document",
                    "modelPerformanceConfiguration",
                ]),
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// Valid bodies of each operation, with one field replaced by arbitrary JSON.
fn mutated_template() -> impl Strategy<Value = Vec<u8>> {
    let templates = vec![
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "performanceConfig": {"latency": "optimized"}, "inferenceConfig": {"maxTokens": 5}}),
        json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}),
        json!({"prompt": "hi", "max_gen_len": 5}),
        json!({"foundationModel": "us.amazon.nova-pro-v1:0", "instruction": "be brief", "inputText": "hi", "bedrockModelConfigurations": {"performanceConfig": {"latency": "optimized"}}}),
        json!({"input": {"text": "hi"}, "retrieveAndGenerateConfiguration": {"type": "KNOWLEDGE_BASE", "knowledgeBaseConfiguration": {"knowledgeBaseId": "KB", "modelArn": "us.amazon.nova-pro-v1:0", "generationConfiguration": {"performanceConfig": {"latency": "optimized"}}}}}),
        json!({"inputs": [{"nodeName": "In", "content": {"document": "hi"}}], "modelPerformanceConfiguration": {"performanceConfig": {"latency": "optimized"}}}),
    ];
    (
        prop::sample::select(templates),
        any::<prop::sample::Index>(),
        any_json(),
    )
        .prop_map(|(mut t, at, v)| {
            // Replace the value at one JSON pointer of the template.
            let mut pointers = Vec::new();
            collect_pointers(&t, String::new(), &mut pointers);
            if let Some(p) = pointers.get(at.index(pointers.len().max(1)))
                && let Some(slot) = t.pointer_mut(p)
            {
                *slot = v;
            }
            t.to_string().into_bytes()
        })
}

fn collect_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| collect_pointers(v, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| collect_pointers(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => mutated_template(),
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => mutated_template().prop_flat_map(|b| {
            let len = b.len();
            (Just(b), 0..=len).prop_map(|(b, cut)| b[..cut].to_vec())
        }),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = prop_oneof![
        Just("optimized".to_owned()),
        Just("standard".to_owned()),
        Just("flex".to_owned()),
        "\\PC{0,12}",
    ];
    let name = prop::sample::select(vec![
        "authorization",
        "x-amzn-bedrock-performanceconfig-latency",
        "x-amzn-bedrock-service-tier",
        "content-type",
    ]);
    prop::collection::vec((name.prop_map(str::to_owned), value), 0..3)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn request_parsing_never_panics(
        method in prop::sample::select(vec!["POST", "GET", "PUT", "post"]),
        path in path(),
        headers in headers(),
        body in body(),
        region in prop::sample::select(vec!["us-east-1", "us-east-2", "eu-west-1", "", "\u{1F600}"]),
    ) {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let accepted = parse_request(method, &path, &headers, &body, region);
        // Only POST routes to an operation.
        prop_assert!(!accepted || method == "POST");
    }
}

#[test]
fn valid_templates_are_accepted() {
    let body = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}).to_string();
    assert!(parse_request(
        "POST",
        "/model/us.amazon.nova-pro-v1%3A0/converse",
        &[],
        body.as_bytes(),
        "us-east-1"
    ));
    assert!(!parse_request(
        "POST",
        "/model/us.amazon.nova-pro-v1%3A0/converse",
        &[],
        b"{",
        "us-east-1"
    ));
}
