//! Real AWS wire captures (../shared/fixtures/aws-captures, unedited)
//! replayed into the real SDK client under the crate's Client, plus the
//! request boundary: what is sent, and that a refused call sends nothing.

use crate::shared_fixtures;
use crate::support::{Collected as _, Request as _};

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_bedrockruntime as sdk;
use aws_smithy_http_client::test_util::StaticReplayClient;
use aws_smithy_types::body::SdkBody;
use bedrock_latency::models::{
    Claude35Haiku, Llama31Instruct405b, NovaMicro, NovaPro, SupportsOptimized, TypedModel, op,
};
use bedrock_latency::runtime::StreamEvent;
use bedrock_latency::{
    Client, DowngradeReason, Error, Latency, LatencyPolicy, LatencyReport, ModelId, Operation, RefusalReason,
    ServedLatency, ServiceErrorKind,
};
use futures::StreamExt;
use serde_json::Value;

use crate::replay::{replay_event, response, runtime_client, runtime_sdk_config, sent_json};

fn fixtures() -> PathBuf {
    let dir = shared_fixtures::shared_fixture("aws-captures");
    assert!(dir.is_dir(), "the shared fixtures are missing at {}", dir.display());
    dir
}

fn capture(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap()
}

#[tokio::test]
async fn nova_pro_optimized_capture() {
    let cap = capture("converse-optimized-nova-pro.json");
    let body = serde_json::to_vec(&cap["response"]["body"]).unwrap();
    let replay = StaticReplayClient::new(vec![replay_event(response(
        200,
        &[("content-type", "application/json")],
        body,
    ))]);
    let c = runtime_client("us-east-1", &replay);

    let r = c
        .converse(NovaPro)
        .optimized()
        .system("You are a helpful chatbot.")
        .user("What is the capital of France?")
        .answer()
        .await;

    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(624)));
    assert!(!r.report.downgraded());
    assert!(r.text.starts_with("The capital of France is Paris."), "{}", r.text);
    let usage = r.report.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (13, 67));
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert!(r.report.timing.output_tokens_per_second.unwrap() > 0.0);

    // What went over the wire is what the capture recorded.
    let (uri, sent, _) = sent_json(&replay);
    assert!(uri.ends_with(cap["request"]["path"].as_str().unwrap()), "{uri}");
    for key in ["messages", "system", "performanceConfig"] {
        assert_eq!(sent[key], cap["request"]["body"][key], "{key}");
    }
}

/// Decodes the capture's frames independently of the SDK.
fn capture_stream_text(bytes: &[u8]) -> (String, usize) {
    let mut buf = bytes;
    let mut text = String::new();
    let mut frames = 0;
    while !buf.is_empty() {
        let msg = aws_smithy_eventstream::frame::read_message_from(&mut buf).unwrap();
        frames += 1;
        let payload: Value = serde_json::from_slice(msg.payload()).unwrap();
        if let Some(t) = payload.pointer("/delta/text").and_then(Value::as_str) {
            text.push_str(t);
        }
    }
    (text, frames)
}

fn stream_response(bytes: Vec<u8>) -> http::Response<SdkBody> {
    response(200, &[("content-type", "application/vnd.amazon.eventstream")], bytes)
}

#[tokio::test]
async fn converse_stream_capture_yields_the_whole_answer() {
    let bytes = std::fs::read(fixtures().join("converse-stream-nova-micro.bin")).unwrap();
    let (expected, frames) = capture_stream_text(&bytes);
    assert_eq!(frames, 33);
    let replay = StaticReplayClient::new(vec![replay_event(stream_response(bytes))]);
    let c = runtime_client("us-east-1", &replay);

    let mut stream = c
        .converse_stream(NovaMicro)
        .system("You are a helpful chatbot.")
        .user("What is the capital of France?")
        .temperature(0.0)
        .send()
        .await
        .unwrap();
    let mut deltas = String::new();
    let mut saw_stop = false;
    let mut metadata = None;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::TextDelta(t) => deltas.push_str(&t),
            StreamEvent::Stop { reason } => {
                assert_eq!(reason, "end_turn");
                saw_stop = true;
            }
            m @ StreamEvent::Metadata { .. } => metadata = Some(m),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(deltas, expected);
    assert!(saw_stop);
    let report = stream.report();
    assert_eq!(report.timing.server_latency, Some(Duration::from_millis(522)));
    assert!(report.usage.is_some());
    assert!(report.timing.time_to_first_token.is_some());
    assert!(report.timing.time_to_first_token <= Some(report.timing.total));
    // This capture's metadata carries no performanceConfig.
    assert_eq!(report.served, ServedLatency::NotReported);
    assert!(matches!(
        metadata,
        Some(StreamEvent::Metadata {
            served: ServedLatency::NotReported,
            ..
        })
    ));

    let (uri, _, _) = sent_json(&replay);
    assert!(
        uri.ends_with("/model/us.amazon.nova-micro-v1%3A0/converse-stream") || uri.contains("nova-micro"),
        "{uri}"
    );
}

#[tokio::test]
async fn collect_response_on_the_capture() {
    let bytes = std::fs::read(fixtures().join("converse-stream-nova-micro.bin")).unwrap();
    let (expected, _) = capture_stream_text(&bytes);
    let replay = StaticReplayClient::new(vec![replay_event(stream_response(bytes))]);
    let r = runtime_client("us-east-1", &replay)
        .converse_stream(NovaMicro)
        .user("What is the capital of France?")
        .answer()
        .await;
    assert_eq!(r.text, expected);
    assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(522)));
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
}

#[tokio::test]
async fn a_stream_cut_midway_keeps_the_partial_text() {
    let bytes = std::fs::read(fixtures().join("converse-stream-nova-micro.bin")).unwrap();
    // The first ten whole frames, then half of the eleventh.
    let mut cut = 0;
    let mut buf = &bytes[..];
    for _ in 0..10 {
        let before = buf.len();
        aws_smithy_eventstream::frame::read_message_from(&mut buf).unwrap();
        cut += before - buf.len();
    }
    let (partial_expected, _) = capture_stream_text(&bytes[..cut]);
    let truncated = bytes[..cut + 20].to_vec();
    let replay = StaticReplayClient::new(vec![replay_event(stream_response(truncated))]);
    let err = runtime_client("us-east-1", &replay)
        .converse_stream(NovaMicro)
        .user("What is the capital of France?")
        .send()
        .collected()
        .await
        .unwrap_err();
    match &err {
        Error::StreamInterrupted { partial_text, .. } => {
            assert!(!partial_text.is_empty());
            assert_eq!(partial_text, &partial_expected);
        }
        other => panic!("expected StreamInterrupted, got {other:?}"),
    }
}

#[tokio::test]
async fn the_400_captures_give_a_typed_error_with_the_service_message() {
    for (name, stream) in [
        ("converse-error.json", false),
        ("converse-stream-invalid-model.json", true),
    ] {
        let cap = capture(name);
        let body = serde_json::to_vec(&cap["response"]["body"]).unwrap();
        let replay = StaticReplayClient::new(vec![replay_event(response(
            400,
            &[("content-type", "application/json"), ("connection", "keep-alive")],
            body,
        ))]);
        let c = runtime_client("us-east-1", &replay);
        let model = ModelId::parse("us.does-not-exist-model-v1:0").unwrap();
        let err = if stream {
            c.converse_stream(&model).user("hello").error().await
        } else {
            c.converse(&model).user("hello").error().await
        };
        let se = err.service_error().unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert_eq!(se.status(), Some(400), "{name}");
        assert_eq!(se.kind(), ServiceErrorKind::Validation, "{name}");
        assert_eq!(
            err.service_message(),
            Some("The provided model identifier is invalid."),
            "{name}"
        );
        assert!(
            err.to_string().contains("The provided model identifier is invalid."),
            "{name}: {err}"
        );
        assert!(
            std::error::Error::source(se).is_some(),
            "the SDK error is kept as the source"
        );
        let (uri, _, _) = sent_json(&replay);
        assert!(uri.ends_with(cap["request"]["path"].as_str().unwrap()), "{uri}");
    }
}

fn converse_body(latency: &str, input: u32, output: u32) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
        "metrics": {"latencyMs": 100},
        "performanceConfig": {"latency": latency}
    }))
    .unwrap()
}

/// A replay connector answering one Converse call: 200, served `latency`,
/// with these token counts.
fn converse_replay(latency: &str, input: u32, output: u32) -> StaticReplayClient {
    StaticReplayClient::new(vec![replay_event(response(
        200,
        &[],
        converse_body(latency, input, output),
    ))])
}

/// `model` asked optimized from us-east-2 for `prompt`, and served `latency`
/// with `tokens` (input, output) by a replay: the report.
async fn optimized_from_ohio<M>(model: M, prompt: &str, latency: &str, tokens: (u32, u32)) -> LatencyReport
where
    M: TypedModel + SupportsOptimized<op::ConverseOp>,
{
    let replay = converse_replay(latency, tokens.0, tokens.1);
    runtime_client("us-east-2", &replay)
        .converse(model)
        .optimized()
        .user(prompt)
        .answer()
        .await
        .report
}

#[tokio::test]
async fn standard_served_after_optimized_asked_is_flagged_downgraded() {
    let report = optimized_from_ohio(Claude35Haiku, "hi", "standard", (10, 5)).await;
    assert_eq!(report.sent, Latency::Optimized);
    assert_eq!(report.served, ServedLatency::Reported(Latency::Standard));
    assert_eq!(report.downgrade, Some(DowngradeReason::ServedStandard));

    // Llama 3.1 405B above its 11K-token cap: the reason says so.
    let report = optimized_from_ohio(Llama31Instruct405b, "long", "standard", (10_500, 900)).await;
    assert!(matches!(
        report.downgrade,
        Some(DowngradeReason::TokenCap {
            max_total_tokens: 11_000,
            total_tokens: 11_400
        })
    ));
}

#[tokio::test]
async fn optimized_is_sent_exactly_when_asked() {
    for (policy, want) in [
        (LatencyPolicy::Standard, "standard"),
        (LatencyPolicy::Optimized, "optimized"),
    ] {
        let replay = converse_replay(want, 1, 1);
        let id = ModelId::parse("anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
        runtime_client("us-west-2", &replay)
            .converse(&id)
            .latency(policy)
            .user("hi")
            .answer()
            .await;
        let (uri, body, _) = sent_json(&replay);
        assert_eq!(body["performanceConfig"]["latency"], want);
        if policy == LatencyPolicy::Optimized {
            assert!(
                uri.ends_with("/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"),
                "{uri}"
            );
        } else {
            assert!(
                uri.ends_with("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"),
                "{uri}"
            );
        }
    }
}

#[tokio::test]
async fn a_refused_call_sends_nothing() {
    let replay = StaticReplayClient::new(vec![]);
    let c = runtime_client("us-east-1", &replay);
    let refusal = c.converse(Claude35Haiku).optimized().user("hi").refusal().await;
    assert!(refusal.to_string().contains("us-east-2, us-west-2"), "{refusal}");
    let sonnet = ModelId::parse("us.anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
    let refusal = c.converse_stream(&sonnet).latency(LatencyPolicy::Optimized).user("hi");
    let refusal = refusal.refusal().await;
    assert!(
        matches!(refusal.reason, RefusalReason::NoOptimizedLatency { .. }),
        "{refusal}"
    );
    let invokes = [
        c.invoke_model(Claude35Haiku)
            .optimized()
            .prompt("hi", 10)
            .refusal()
            .await,
        c.invoke_model_stream(Claude35Haiku)
            .optimized()
            .prompt("hi", 10)
            .refusal()
            .await,
    ];
    for (refusal, operation) in invokes
        .into_iter()
        .zip([Operation::InvokeModel, Operation::InvokeModelStream])
    {
        assert!(
            matches!(refusal.reason, RefusalReason::RegionNotServed { .. }),
            "{refusal}"
        );
        assert_eq!(refusal.operation, operation, "{refusal}");
    }
    assert_eq!(replay.actual_requests().count(), 0);
}

#[tokio::test]
async fn prefer_optimized_sends_standard_and_says_why() {
    let replay = converse_replay("standard", 1, 1);
    let r = runtime_client("us-east-1", &replay)
        .converse(Claude35Haiku)
        .latency(LatencyPolicy::PreferOptimized)
        .user("hi")
        .answer()
        .await;
    assert_eq!(r.report.sent, Latency::Standard);
    assert!(
        matches!(r.report.downgrade, Some(DowngradeReason::NotSent(_))),
        "{:?}",
        r.report.downgrade
    );
    let (_, body, _) = sent_json(&replay);
    assert_eq!(body["performanceConfig"]["latency"], "standard");
}

#[tokio::test]
async fn routing_sends_optimized_to_a_permitted_region() {
    let home = StaticReplayClient::new(vec![]);
    let ohio = converse_replay("optimized", 1, 1);
    let ohio_api =
        bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(runtime_sdk_config("us-east-2", &ohio)));
    let home_api = runtime_client("us-east-1", &home).runtime_api().unwrap().clone();
    let c = Client::builder()
        .runtime(home_api)
        .route("us-east-2", ohio_api)
        .build()
        .unwrap();
    let r = c.converse(Claude35Haiku).optimized().user("hi").answer().await;
    assert_eq!(r.report.region, "us-east-2");
    assert_eq!(r.report.routed_from.as_deref(), Some("us-east-1"));
    assert_eq!(home.actual_requests().count(), 0);
    assert_eq!(ohio.actual_requests().count(), 1);
    // Standard requests stay home.
    let err = c.converse(NovaMicro).user("hi").error().await;
    assert!(
        err.service_error().is_some(),
        "sent from home, which has nothing to replay: {err:?}"
    );
}

#[tokio::test]
async fn invoke_model_header_in_and_out() {
    let body = serde_json::to_vec(&serde_json::json!({
        "content": [{"type": "text", "text": "Okayama."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 20, "output_tokens": 4}
    }))
    .unwrap();
    let replay = StaticReplayClient::new(vec![replay_event(response(
        200,
        &[
            ("content-type", "application/json"),
            ("x-amzn-bedrock-performanceconfig-latency", "optimized"),
            ("x-amzn-bedrock-service-tier", "priority"),
            ("x-amzn-requestid", "req-123"),
        ],
        body,
    ))]);
    // The built-in catalog lists no priority tier for Claude 3.5 Haiku, nor
    // how priority combines with optimized latency: this replay tests the
    // headers, so a catalog document says both are served.
    let mut catalog = bedrock_latency::Catalog::builtin().clone();
    catalog
        .merge_json(
            r#"{"service_tiers": {"with_optimized": {"priority": "honored"}},
                "models": [{"id": "anthropic.claude-3-5-haiku-20241022-v1:0",
                            "service_tiers": {"priority": {"regions": ["us-east-2"]}}}]}"#,
        )
        .unwrap();
    let r = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(
            runtime_sdk_config("us-east-2", &replay),
        )))
        .catalog(catalog)
        .build()
        .unwrap()
        .invoke_model(Claude35Haiku)
        .optimized()
        .service_tier(bedrock_latency::ServiceTier::Priority)
        .prompt("桃太郎はどこで生まれましたか?", 100)
        .answer()
        .await;
    assert_eq!(r.text.as_deref(), Some("Okayama."));
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(r.report.served_tier, Some(bedrock_latency::ServiceTier::Priority));
    assert_eq!(r.report.request_id.as_deref(), Some("req-123"));
    assert_eq!(r.report.usage.unwrap().output_tokens, 4);
    let (uri, body, headers) = sent_json(&replay);
    assert!(
        uri.ends_with("/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke"),
        "{uri}"
    );
    assert_eq!(headers["x-amzn-bedrock-performanceconfig-latency"], "optimized");
    assert_eq!(headers["x-amzn-bedrock-service-tier"], "priority");
    assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
}
