//! The tracing span of an agent call: operation, model, region, requested
//! and sent latency, timing; never the prompt or the answer. (Its own test
//! binary: a scoped subscriber and another test's thread would race for the
//! callsites' cached interest.)

use std::io::Write;
use std::sync::{Arc, Mutex};

use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;

fn local_client(server: &LocalBedrock, region: &str) -> Client {
    let conf = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(server.endpoint_url())
        .credentials_provider(aws_sdk_bedrockagentruntime::config::SharedCredentialsProvider::new(
            aws_sdk_bedrockagentruntime::config::Credentials::new("AKIDLOCAL", "local", None, None, "tests"),
        ))
        .build();
    Client::new(&conf)
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_agent_call_has_a_span_without_its_text() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = LocalBedrock::builder().region("us-east-2").start().await.unwrap();
    let client = local_client(&server, "us-east-2");
    let secret = "my-secret-question-4d1e";
    let r = client
        .inline_agent(NovaPro)
        .optimized()
        .instruction("Answer briefly.")
        .input_text(secret)
        .send()
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    drop(client);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
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
