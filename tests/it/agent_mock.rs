//! The agent-runtime trait, mocked: scripted chunks and trace events, and
//! time to first token measured from the first chunk.

use std::time::Duration;

use agent_sdk::types::{
    InlineAgentPayloadPart, InlineAgentResponseStream, InlineAgentTracePart, PayloadPart, ResponseStream,
};
use aws_sdk_bedrockagentruntime as agent_sdk;
use bedrock_latency::agent::{AgentEvent, MockBedrockAgentRuntimeApi, RawAgentStream};
use bedrock_latency::models::Llama31Instruct70b;
use bedrock_latency::{Client, Error, Latency, LatencyPolicy, ServedLatency};
use futures::StreamExt;

use crate::support::Request as _;

fn chunk(text: &str) -> InlineAgentResponseStream {
    InlineAgentResponseStream::Chunk(
        InlineAgentPayloadPart::builder()
            .bytes(aws_smithy_types::Blob::new(text.as_bytes().to_vec()))
            .build(),
    )
}

fn trace() -> InlineAgentResponseStream {
    InlineAgentResponseStream::Trace(InlineAgentTracePart::builder().session_id("s-1").build())
}

#[tokio::test]
async fn inline_agent_through_the_mock_with_ttft_from_the_first_chunk() {
    let mut mock = MockBedrockAgentRuntimeApi::new();
    mock.expect_invoke_inline_agent()
        .withf(|input| {
            input.get_foundation_model().as_deref() == Some("us.meta.llama3-1-70b-instruct-v1:0")
                && input
                    .get_bedrock_model_configurations()
                    .as_ref()
                    .and_then(|c| c.performance_config.as_ref())
                    .map(|p| p.latency.as_str())
                    == Some("optimized")
                && input.get_session_id().as_deref() == Some("s-1")
        })
        .times(1)
        .returning(|_| {
            // A trace at once, the first chunk after 60 ms, the rest 100 ms later.
            let script: Vec<(u64, InlineAgentResponseStream)> =
                vec![(0, trace()), (60, chunk("Okayama")), (100, chunk(", Japan."))];
            let events = futures::stream::iter(script).then(|(ms, ev)| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(ev)
            });
            Ok(RawAgentStream::new(events, Some("s-1".into()), Some("req-mock".into())))
        });
    let client = Client::builder()
        .agent_runtime(mock)
        .region("us-west-2")
        .build()
        .unwrap();
    let mut stream = client
        .inline_agent(Llama31Instruct70b)
        .optimized()
        .instruction("Answer briefly.")
        .input_text("Where was Momotaro born?")
        .session_id("s-1")
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(ev) = stream.next().await {
        seen.push(match ev.unwrap() {
            AgentEvent::Event(InlineAgentResponseStream::Trace(_)) => "trace".to_owned(),
            AgentEvent::Text(t) => t,
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(seen, ["trace", "Okayama", ", Japan."]);
    let r = stream.report();
    assert_eq!(r.sent, Latency::Optimized);
    assert_eq!(r.served, ServedLatency::NotReported);
    assert_eq!(r.request_id.as_deref(), Some("req-mock"));
    let ttft = r.timing.time_to_first_token.unwrap();
    // From sending to the first chunk (after 60 ms), not to the trace (at
    // once) nor to the end (100 ms after the first chunk). Sleeps never end
    // early, so these bounds hold on a loaded machine too.
    assert!(ttft >= Duration::from_millis(55), "{ttft:?}");
    assert!(
        r.timing.total >= ttft + Duration::from_millis(95),
        "{ttft:?} {:?}",
        r.timing.total
    );
    assert_eq!(stream.text(), "Okayama, Japan.");
}

#[tokio::test]
async fn invoke_agent_prefer_optimized_sends_nothing_and_a_midway_error_keeps_the_text() {
    let mut mock = MockBedrockAgentRuntimeApi::new();
    mock.expect_invoke_agent()
        .withf(|input| {
            input.get_bedrock_model_configurations().is_none() && input.get_agent_id().as_deref() == Some("A1")
        })
        .returning(|_| {
            let events = vec![
                Ok(ResponseStream::Chunk(
                    PayloadPart::builder()
                        .bytes(aws_smithy_types::Blob::new("岡山".as_bytes().to_vec()))
                        .build(),
                )),
                Err(Error::InvalidRequest {
                    reason: "scripted failure".into(),
                }),
            ];
            Ok(RawAgentStream::new(futures::stream::iter(events), None, None))
        });
    let client = Client::builder()
        .agent_runtime(mock)
        .region("us-east-2")
        .build()
        .unwrap();
    let stream = client
        .invoke_agent("A1", "ALIAS1")
        .latency(LatencyPolicy::PreferOptimized)
        .input_text("桃太郎はどこで生まれましたか?")
        .session_id("sess")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream.session_id(),
        Some("sess"),
        "the sent id when the service gives none"
    );
    match stream.collect_response().await.unwrap_err() {
        Error::StreamInterrupted { partial_text, .. } => assert_eq!(partial_text, "岡山"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_refused_request_never_reaches_the_mock() {
    // No expectations: any call would panic.
    let client = Client::builder()
        .agent_runtime(MockBedrockAgentRuntimeApi::new())
        .region("us-east-1")
        .build()
        .unwrap();
    let err = client
        .retrieve_and_generate("KB1", Llama31Instruct70b)
        .optimized()
        .query("q")
        .error()
        .await;
    assert!(err.refusal().is_some(), "{err:?}");
}
