//! How `LocalBedrock` behaves like the service: unsupported model/region,
//! quota fallback, the Llama 3.1 405B token cap, the caller region, timing,
//! bad input, and the AWS captures in the shared `fixtures/aws-captures`.

use crate::sdk_clients::ms_timing;
use crate::shared_fixtures;

use crate::sdk_clients as testkit_common;

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime as brt;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use bedrock_latency::testkit::{LocalBedrock, StandardFallback, TokenTiming};
use bedrock_latency::{Latency, Operation};
use brt::types::{ContentBlockDelta, ConverseStreamOutput as Event, InferenceConfiguration, PerformanceConfigLatency};
use serde_json::{Value, json};
use testkit_common::{
    agent_client, inline_optimized, invoke_model, invoked, nova_body, perf, raw_request, runtime_client,
};

const NOVA_PRO: &str = "us.amazon.nova-pro-v1:0";
const HAIKU: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
const LLAMA_405B: &str = "us.meta.llama3-1-405b-instruct-v1:0";

async fn converse_optimized(
    client: &brt::Client,
    model: &str,
    prompt: &str,
    max_tokens: Option<i32>,
) -> Result<brt::operation::converse::ConverseOutput, brt::error::SdkError<brt::operation::converse::ConverseError>> {
    let mut request =
        testkit_common::converse(client, model, prompt).performance_config(perf(PerformanceConfigLatency::Optimized));
    if let Some(max) = max_tokens {
        request = request.inference_config(InferenceConfiguration::builder().max_tokens(max).build());
    }
    request.send().await
}

/// The service's ValidationException for a latency setting `model` does
/// not have in `region`, with its exact message.
fn assert_not_supported(service: &impl ProvideErrorMetadata, model: &str, region: &str) {
    let message = service.message();
    assert_eq!(service.code(), Some("ValidationException"), "{message:?}");
    let expected = format!("Latency performance configuration is not supported for {model} in {region}");
    assert_eq!(message, Some(expected.as_str()));
}

fn served(out: &brt::operation::converse::ConverseOutput) -> Option<&PerformanceConfigLatency> {
    out.performance_config().map(|p| p.latency())
}

#[tokio::test]
async fn unsupported_model_or_region_is_a_400_validation_exception_with_the_exact_message() {
    let server = LocalBedrock::start().await.expect("start");

    // Nova Pro is not served optimized from us-west-2.
    let client = runtime_client(&server, "us-west-2");
    let err = converse_optimized(&client, NOVA_PRO, "hi", None)
        .await
        .expect_err("400");
    let service = err.into_service_error();
    assert!(service.is_validation_exception());
    assert_not_supported(&service, NOVA_PRO, "us-west-2");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "a 400 is not retried");
    assert_eq!(requests[0].status, 400);
    assert_eq!(requests[0].error_type.as_deref(), Some("ValidationException"));
    assert_eq!(requests[0].served_latency, None);

    // The base model ID instead of the `us.` profile, from a served region.
    let client = runtime_client(&server, "us-east-2");
    let base = "anthropic.claude-3-5-haiku-20241022-v1:0";
    let err = converse_optimized(&client, base, "hi", None).await.expect_err("400");
    assert_not_supported(&err.into_service_error(), base, "us-east-2");

    // A model without latency-optimized inference, through InvokeModel.
    let err = invoke_model(
        &client,
        "us.amazon.nova-micro-v1:0",
        &nova_body("hi"),
        Some(PerformanceConfigLatency::Optimized),
    )
    .send()
    .await
    .expect_err("400");
    let service = err.into_service_error();
    assert!(service.is_validation_exception());
    assert_not_supported(&service, "us.amazon.nova-micro-v1:0", "us-east-2");

    // Inline agent from an unserved region.
    let agents = agent_client(&server, "eu-west-1");
    let err = agents
        .invoke_inline_agent()
        .session_id("s")
        .foundation_model(HAIKU)
        .instruction("You answer questions about capitals, briefly and politely.")
        .input_text("hi")
        .bedrock_model_configurations(inline_optimized())
        .send()
        .await
        .expect_err("400");
    let service = err.into_service_error();
    assert!(service.is_validation_exception());
    assert_not_supported(&service, HAIKU, "eu-west-1");
}

/// An endpoint where `model` has `quota` optimized requests, and a client
/// calling it from us-east-2.
async fn with_quota(model: &str, quota: u64) -> (LocalBedrock, brt::Client) {
    let server = LocalBedrock::builder()
        .optimized_quota(model, quota)
        .start()
        .await
        .expect("start");
    let client = runtime_client(&server, "us-east-2");
    (server, client)
}

#[tokio::test]
async fn quota_exhaustion_serves_standard_and_says_so() {
    let (server, client) = with_quota(HAIKU, 2).await;
    let mut latencies = Vec::new();
    for _ in 0..3 {
        let out = converse_optimized(&client, HAIKU, "hello", None)
            .await
            .expect("converse");
        latencies.push(served(&out).cloned());
    }
    assert_eq!(
        latencies,
        [
            Some(PerformanceConfigLatency::Optimized),
            Some(PerformanceConfigLatency::Optimized),
            Some(PerformanceConfigLatency::Standard)
        ]
    );
    assert_eq!(server.optimized_quota_remaining(HAIKU), Some(0));
    let last = server.last_request().expect("recorded");
    assert_eq!(last.served_latency, Some(Latency::Standard));
    assert_eq!(last.fallback, Some(StandardFallback::QuotaExhausted));

    // The quota is per model, whatever the form of the ID; streams say it in metadata.
    let arn = format!("arn:aws:bedrock:us-east-2:123456789012:inference-profile/{HAIKU}");
    let out = testkit_common::converse_stream(&client, &arn, "hello")
        .performance_config(perf(PerformanceConfigLatency::Optimized))
        .send()
        .await
        .expect("stream");
    let mut stream = out.stream;
    let mut meta_latency = None;
    while let Some(event) = stream.recv().await.expect("event") {
        if let Event::Metadata(m) = event {
            meta_latency = m.performance_config().map(|p| p.latency().clone());
        }
    }
    assert_eq!(meta_latency, Some(PerformanceConfigLatency::Standard));

    // Raising the quota at run time serves optimized again; other models are unaffected.
    server.set_optimized_quota(HAIKU, None);
    let out = converse_optimized(&client, HAIKU, "hello", None)
        .await
        .expect("converse");
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Optimized));
    assert_eq!(server.optimized_quota_remaining(HAIKU), None);
}

#[tokio::test]
async fn llama_405b_over_11k_tokens_is_served_standard() {
    let (server, client) = with_quota(LLAMA_405B, 10).await;
    // 40,000 characters = 10,000 estimated input tokens (chars / 4, rounded up).
    let long = "abcd".repeat(10_000);

    let out = converse_optimized(&client, LLAMA_405B, &long, Some(1_000))
        .await
        .expect("exactly 11k");
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Optimized));
    assert_eq!(out.usage().map(|u| u.input_tokens()), Some(10_000));

    let out = converse_optimized(&client, LLAMA_405B, &long, Some(1_001))
        .await
        .expect("over 11k");
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Standard));
    let r = server.last_request().expect("recorded");
    assert_eq!(r.fallback, Some(StandardFallback::TokenCap));

    // Without maxTokens the answer length (16) counts: 11,001 tokens.
    let longer = format!("{long}{}", "x".repeat(3_940));
    let out = converse_optimized(&client, LLAMA_405B, &longer, None)
        .await
        .expect("no max");
    assert_eq!(out.usage().map(|u| u.input_tokens()), Some(10_985));
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Standard));

    // InvokeModel: prompt + max_gen_len.
    let body = json!({"prompt": long, "max_gen_len": 2048});
    let out = invoked(&client, LLAMA_405B, &body, Some(PerformanceConfigLatency::Optimized)).await;
    let echoed = out.performance_config_latency();
    assert_eq!(echoed, Some(&PerformanceConfigLatency::Standard));

    // Only the one optimized request used quota.
    assert_eq!(server.optimized_quota_remaining(LLAMA_405B), Some(9));
}

#[tokio::test]
async fn region_comes_from_sigv4_unless_overridden() {
    let server = LocalBedrock::builder()
        .region("us-east-2")
        .start()
        .await
        .expect("start");
    // The client signs for us-east-1, where Haiku is not served optimized,
    // but the server is told the calls come from us-east-2.
    let client = runtime_client(&server, "us-east-1");
    let out = converse_optimized(&client, HAIKU, "hi", None).await.expect("served");
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Optimized));
    assert_eq!(server.last_request().map(|r| r.region), Some("us-east-2".to_owned()));

    server.set_region(None);
    let err = converse_optimized(&client, HAIKU, "hi", None).await.expect_err("400");
    assert!(
        err.into_service_error()
            .message()
            .is_some_and(|m| m.ends_with("in us-east-1"))
    );

    // Without any Authorization header: the default region (us-east-1).
    let body = nova_body("hi").to_string();
    let response = raw_request(
        &server,
        "POST",
        "/model/amazon.nova-micro-v1%3A0/converse",
        &[],
        body.as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(server.last_request().map(|r| r.region), Some("us-east-1".to_owned()));
}

#[tokio::test]
async fn the_record_keeps_the_most_recent_requests_up_to_its_limit() {
    let server = LocalBedrock::builder().record_limit(3).start().await.expect("start");
    let client = runtime_client(&server, "us-east-1");
    for i in 0..5 {
        converse_optimized(&client, NOVA_PRO, &format!("question {i}"), None)
            .await
            .expect("served");
    }
    let kept: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.body.as_ref().expect("json")["messages"][0]["content"][0]["text"].to_string())
        .collect();
    assert_eq!(kept, ["\"question 2\"", "\"question 3\"", "\"question 4\""]);
    assert!(
        server
            .last_request()
            .is_some_and(|r| r.raw_body.windows(10).any(|w| w == b"question 4"))
    );

    // 0 records nothing; serving is unchanged.
    let silent = LocalBedrock::builder().record_limit(0).start().await.expect("start");
    let out = converse_optimized(&runtime_client(&silent, "us-east-1"), NOVA_PRO, "hi", None)
        .await
        .expect("served");
    assert_eq!(served(&out), Some(&PerformanceConfigLatency::Optimized));
    assert!(silent.requests().is_empty());
    assert!(silent.last_request().is_none());
}

#[tokio::test]
async fn timing_per_tier_is_applied_and_reported() {
    let server = LocalBedrock::builder()
        .timing(Latency::Standard, ms_timing(200, 20))
        .timing(Latency::Optimized, ms_timing(100, 10))
        .answer_tokens(6)
        .start()
        .await
        .expect("start");
    let client = runtime_client(&server, "us-east-2");

    let start = Instant::now();
    let out = converse_optimized(&client, HAIKU, "hi", None).await.expect("converse");
    let elapsed = start.elapsed();
    // 100 ms to the first token, then 5 gaps of 10 ms.
    assert_eq!(out.metrics().map(|m| m.latency_ms()), Some(150));
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");

    let start = Instant::now();
    let out = testkit_common::converse_stream(&client, HAIKU, "hi")
        .send()
        .await
        .expect("stream");
    let mut stream = out.stream;
    let mut first_token = None;
    let mut latency_ms = None;
    while let Some(event) = stream.recv().await.expect("event") {
        match event {
            Event::ContentBlockDelta(d) if first_token.is_none() => {
                assert!(matches!(d.delta(), Some(ContentBlockDelta::Text(_))));
                first_token = Some(start.elapsed());
            }
            Event::Metadata(m) => latency_ms = m.metrics().map(|x| x.latency_ms()),
            _ => {}
        }
    }
    let total = start.elapsed();
    // Standard: 200 ms to the first token, then 5 gaps of 20 ms.
    assert_eq!(latency_ms, Some(300));
    let first_token = first_token.expect("a delta");
    assert!(first_token >= Duration::from_millis(200), "{first_token:?}");
    assert!(total >= Duration::from_millis(300), "{total:?}");
    // 5 gaps of 20 ms after the first token; both instants are taken on the
    // client, so allow some slack.
    assert!(
        total - first_token >= Duration::from_millis(80),
        "{first_token:?} {total:?}"
    );

    // Changed at run time.
    server.set_timing(Latency::Optimized, TokenTiming::ZERO);
    let out = converse_optimized(&client, HAIKU, "hi", None).await.expect("converse");
    assert_eq!(out.metrics().map(|m| m.latency_ms()), Some(0));
}

#[tokio::test]
async fn bad_input_gets_aws_style_errors_and_never_a_panic() {
    let server = LocalBedrock::start().await.expect("start");
    let converse = "/model/us.amazon.nova-pro-v1%3A0/converse";

    let r = raw_request(&server, "POST", converse, &[], b"{not json").await;
    assert_eq!(r.status, 400);
    assert!(
        r.header("x-amzn-errortype")
            .is_some_and(|t| t.starts_with("SerializationException"))
    );
    assert!(r.header("x-amzn-requestid").is_some());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.json()["message"].is_string());

    let bad_enum =
        json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "performanceConfig": {"latency": "fast"}});
    let r = raw_request(&server, "POST", converse, &[], bad_enum.to_string().as_bytes()).await;
    assert_eq!(r.status, 400);
    assert!(
        r.header("x-amzn-errortype")
            .is_some_and(|t| t.starts_with("ValidationException"))
    );
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("Member must satisfy enum value set: [optimized, standard]")),
        "{:?}",
        r.json()
    );

    let r = raw_request(&server, "POST", converse, &[], br#"{"messages": []}"#).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("A conversation must start with a user message"))
    );

    let r = raw_request(
        &server,
        "POST",
        converse,
        &[],
        br#"{"messages": 7, "inferenceConfig": {"maxTokens": -1}}"#,
    )
    .await;
    assert_eq!(r.status, 400);

    let r = raw_request(&server, "POST", converse, &[], br#"[1, 2, 3]"#).await;
    assert_eq!(r.status, 400);

    let invoke = "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke";
    let r = raw_request(
        &server,
        "POST",
        invoke,
        &[],
        br#"{"anthropic_version": "bedrock-2023-05-31", "messages": []}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."
    );
    let r = raw_request(
        &server,
        "POST",
        invoke,
        &[("x-amzn-bedrock-performanceconfig-latency", "OPTIMIZED")],
        br#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}"#,
    )
    .await;
    assert_eq!(r.status, 400, "the wire value is lower case");
    let r = raw_request(&server, "POST", "/model/cohere.command-r-v1%3A0/invoke", &[], b"{}").await;
    assert_eq!(r.status, 400);

    let r = raw_request(&server, "POST", "/model/x/unknown-action", &[], b"{}").await;
    assert_eq!(r.status, 404);
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("POST /model/x/unknown-action"))
    );
    let r = raw_request(&server, "GET", converse, &[], b"").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("GET /model/")));

    let r = raw_request(
        &server,
        "POST",
        "/retrieveAndGenerate",
        &[],
        br#"{"input": {"text": "q"}}"#,
    )
    .await;
    assert_eq!(r.status, 400);
    let r = raw_request(&server, "POST", "/agents/s1", &[], br#"{"instruction": "x"}"#).await;
    assert_eq!(r.status, 400);
    let r = raw_request(&server, "POST", "/model/%FF/converse", &[], b"{}").await;
    assert_eq!(r.status, 404);

    // Every request was recorded, the unknown ones without an operation.
    let requests = server.requests();
    assert_eq!(requests.len(), 13);
    assert!(requests.iter().all(|r| r.status >= 400));
    assert_eq!(requests[8].operation, None);
    assert_eq!(requests[5].operation, Some(Operation::InvokeModel));
    assert_eq!(
        requests[6].requested_latency, None,
        "invalid value recorded as not understood"
    );
    server.clear_requests();
    assert!(server.requests().is_empty());

    // Still serving.
    let client = runtime_client(&server, "us-east-1");
    converse_optimized(&client, NOVA_PRO, "still alive?", None)
        .await
        .expect("served");
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(shared_fixtures::shared_fixture("aws-captures").join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[tokio::test]
async fn aws_captures_get_the_same_shape_of_answer() {
    let server = LocalBedrock::start().await.expect("start");

    // Unknown model: same status and message as AWS.
    for name in ["converse-error.json", "converse-stream-invalid-model.json"] {
        let capture = fixture(name);
        let path = capture["request"]["path"].as_str().expect("path");
        let body = capture["request"]["body"].to_string();
        let r = raw_request(&server, "POST", path, &[], body.as_bytes()).await;
        assert_eq!(
            u64::from(r.status),
            capture["response"]["status"].as_u64().expect("status"),
            "{name}"
        );
        assert_eq!(r.json(), capture["response"]["body"], "{name}");
    }

    // Optimized Nova Pro from us-east-1: the same members, the same served latency.
    let capture = fixture("converse-optimized-nova-pro.json");
    let path = capture["request"]["path"].as_str().expect("path");
    let body = capture["request"]["body"].to_string();
    let r = raw_request(&server, "POST", path, &[], body.as_bytes()).await;
    assert_eq!(r.status, 200);
    let ours = r.json();
    let theirs = &capture["response"]["body"];
    // Compare member sets (serde_json may or may not preserve key order).
    let keys = |v: &Value| {
        let mut keys = v
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        keys.sort();
        keys
    };
    assert_eq!(keys(&ours), keys(theirs));
    assert_eq!(ours["performanceConfig"], theirs["performanceConfig"]);
    assert_eq!(ours["stopReason"], theirs["stopReason"]);
    assert_eq!(ours["output"]["message"]["role"], theirs["output"]["message"]["role"]);
    assert_eq!(ours["usage"]["inputTokens"], 14);
}

/// Decodes an HTTP/1.1 chunked body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).expect("hex").trim(), 16).expect("size");
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[tokio::test]
async fn stream_frames_carry_the_same_headers_as_the_aws_capture() {
    use aws_smithy_eventstream::frame::read_message_from;

    let capture = std::fs::read(shared_fixtures::shared_fixture(
        "aws-captures/converse-stream-nova-micro.bin",
    ))
    .expect("capture");
    let theirs = read_message_from(&capture[..]).expect("AWS frame");

    let server = LocalBedrock::start().await.expect("start");
    let request = fixture("converse-stream-nova-micro.json")["request"].clone();
    let r = raw_request(
        &server,
        "POST",
        request["path"].as_str().expect("path"),
        &[],
        request["body"].to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/vnd.amazon.eventstream"));
    let body = dechunk(&r.body);
    let mut rest = &body[..];
    let mut ours = Vec::new();
    while !rest.is_empty() {
        let total = u32::from_be_bytes(rest[..4].try_into().expect("prelude")) as usize;
        ours.push(read_message_from(&rest[..total]).expect("our frame decodes"));
        rest = &rest[total..];
    }
    assert_eq!(ours.len(), 20);
    let names = |m: &aws_smithy_types::event_stream::Message| {
        m.headers()
            .iter()
            .map(|h| (h.name().as_str().to_owned(), h.value().clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&ours[0]),
        names(&theirs),
        "messageStart headers, in the AWS order"
    );
    let last: Value = serde_json::from_slice(ours[19].payload()).expect("metadata JSON");
    assert!(
        last.get("performanceConfig").is_none(),
        "not requested, not reported (like the capture)"
    );
    assert_eq!(last["usage"]["inputTokens"], 14);
}
