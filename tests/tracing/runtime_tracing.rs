//! One tracing span per call, with the GenAI conventions' field names
//! (model, region, requested and served latency, usage); never the prompt
//! or the completion.

use aws_sdk_bedrockruntime as sdk;
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;

use crate::collect::Request as _;
use crate::support::capture;

const SECRET_PROMPT: &str = "my-secret-prompt-7f3a";
const SECRET_ANSWER: &str = "my-secret-answer-91bc";

/// A client whose SDK answers once from a canned Converse response.
fn replay_client() -> Client {
    let body = serde_json::json!({
        "output": {"message": {"role": "assistant", "content": [{"text": SECRET_ANSWER}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
        "metrics": {"latencyMs": 42},
        "performanceConfig": {"latency": "optimized"}
    });
    let replay = StaticReplayClient::new(vec![ReplayEvent::new(
        http::Request::builder()
            .uri("https://x/")
            .body(SdkBody::empty())
            .unwrap(),
        http::Response::builder()
            .status(200)
            .body(SdkBody::from(body.to_string()))
            .unwrap(),
    )]);
    let conf = sdk::Config::builder()
        .behavior_version(sdk::config::BehaviorVersion::latest())
        .region(sdk::config::Region::new("us-east-1"))
        .credentials_provider(sdk::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(replay)
        .build();
    Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(conf)))
        .build()
        .unwrap()
}

/// One optimized Converse call of the secret prompt, replayed; checks the
/// secret answer came back.
async fn converse_secret() {
    let r = replay_client()
        .converse(NovaPro)
        .optimized()
        .user(SECRET_PROMPT)
        .answer()
        .await;
    assert_eq!(r.text, SECRET_ANSWER);
}

#[tokio::test]
async fn a_span_per_call_without_prompt_or_completion() {
    // INFO: what a service typically runs with (the AWS SDK itself dumps
    // bodies at TRACE).
    let (buf, _guard) = capture(tracing::Level::INFO);

    converse_secret().await;

    let logs = buf.text();
    assert!(logs.contains("bedrock_call"), "{logs}");
    for field in [
        r#"otel.name="chat us.amazon.nova-pro-v1:0""#,
        r#"otel.kind="client""#,
        r#"gen_ai.operation.name="chat""#,
        r#"gen_ai.provider.name="aws.bedrock""#,
        r#"gen_ai.request.model="us.amazon.nova-pro-v1:0""#,
        r#"cloud.region="us-east-1""#,
        r#"bedrock_latency.latency.requested="optimized""#,
        r#"bedrock_latency.latency.sent="optimized""#,
        r#"bedrock_latency.latency.served="optimized""#,
        "bedrock_latency.server_latency=0.042",
        "bedrock_latency.downgraded=false",
        "gen_ai.usage.input_tokens=3",
        "gen_ai.usage.output_tokens=4",
        r#"gen_ai.response.finish_reasons="[\"end_turn\"]""#,
    ] {
        assert!(logs.contains(field), "missing {field:?} in:\n{logs}");
    }
    assert!(
        !logs.contains(SECRET_PROMPT),
        "the prompt leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains(SECRET_ANSWER),
        "the completion leaked into the logs:\n{logs}"
    );
}

#[tokio::test]
async fn the_sdk_works_inside_the_call_span() {
    // With a subscriber that wants the SDK's own (DEBUG) spans, they nest
    // under `bedrock_call`: the call's span is entered while the SDK runs.
    let (buf, _guard) = capture(tracing::Level::DEBUG);
    converse_secret().await;
    let logs = buf.text();
    let nested = logs
        .lines()
        .any(|l| l.contains("bedrock_call{") && l.contains("}:Bedrock Runtime.Converse{"));
    assert!(nested, "no SDK span inside `bedrock_call`:\n{logs}");
}
