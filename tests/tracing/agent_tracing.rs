//! The tracing span of an agent call: operation, model, region, requested
//! and sent latency, timing; never the prompt or the answer. (Its own test
//! binary: a scoped subscriber and another test's thread would race for the
//! callsites' cached interest.)

use crate::collect::Request as _;

use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;

use crate::support::capture;

#[tokio::test]
async fn an_agent_call_has_a_span_without_its_text() {
    let (buf, _guard) = capture(tracing::Level::INFO);

    let server = LocalBedrock::builder().region("us-east-2").start().await.unwrap();
    let client = Client::new(&server.sdk_config("us-east-2"));
    let secret = "my-secret-question-4d1e";
    let r = client
        .inline_agent(NovaPro)
        .optimized()
        .instruction("Answer briefly.")
        .input_text(secret)
        .answer()
        .await;
    drop(client);
    let logs = buf.text();
    assert!(logs.contains("bedrock_call"), "{logs}");
    for field in [
        r#"otel.name="invoke_agent""#,
        r#"gen_ai.operation.name="invoke_agent""#,
        r#"gen_ai.request.model="us.amazon.nova-pro-v1:0""#,
        r#"cloud.region="us-east-2""#,
        r#"bedrock_latency.latency.sent="optimized""#,
        r#"bedrock_latency.latency.served="not-reported""#,
        "gen_ai.request.stream=true",
        "gen_ai.conversation.id=",
    ] {
        assert!(logs.contains(field), "{field} missing: {logs}");
    }
    assert!(!logs.contains(secret), "{logs}");
    // The local endpoint echoes the question in its answer.
    assert!(r.text.contains(secret));
    let first_words: String = r.text.chars().take(20).collect();
    assert!(!logs.contains(&first_words), "{logs}");
}
