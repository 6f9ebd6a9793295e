//! The agent builders end to end: the real AWS SDK client against the
//! crate's local Bedrock-compatible endpoint (loopback only).

use crate::support::Request as _;

use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{Client, Latency, LatencyPolicy, Operation, ServedLatency};

const QUESTION: &str = "桃太郎はどこで生まれましたか?";

#[tokio::test]
async fn the_three_operations_against_the_local_endpoint() {
    let server = LocalBedrock::builder().region("us-east-2").start().await.unwrap();
    let client = Client::new(&server.sdk_config("us-east-2"));

    // InvokeAgent: standard, nothing about latency on the wire.
    let agent = client
        .invoke_agent("AGENT12345", "ALIAS12345")
        .latency(LatencyPolicy::PreferOptimized)
        .input_text(QUESTION)
        .answer()
        .await;
    assert!(!agent.text.is_empty());
    assert!(agent.session_id.is_some());
    assert_eq!(agent.report.sent, Latency::Standard);
    assert!(agent.report.downgraded());

    // Inline agent, optimized.
    let inline = client
        .inline_agent(NovaPro)
        .optimized()
        .instruction("Answer briefly.")
        .input_text(QUESTION)
        .answer()
        .await;
    assert!(!inline.text.is_empty());
    assert_eq!(inline.report.served, ServedLatency::NotReported);
    assert!(inline.report.timing.time_to_first_token.is_some());

    // Knowledge base, optimized, and its stream.
    let rag = client
        .retrieve_and_generate("KB12345678", NovaPro)
        .optimized()
        .query(QUESTION)
        .answer()
        .await;
    assert!(!rag.text.is_empty());
    assert!(rag.session_id.is_some());
    let stream = client
        .retrieve_and_generate_stream("KB12345678", NovaPro)
        .optimized()
        .query(QUESTION)
        .answer()
        .await;
    assert!(!stream.text.is_empty());
    assert!(stream.report.timing.time_to_first_token.is_some());

    let reqs = server.requests();
    let ops: Vec<_> = reqs.iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [
            Some(Operation::InvokeAgent),
            Some(Operation::InlineAgent),
            Some(Operation::RetrieveAndGenerate),
            Some(Operation::RetrieveAndGenerateStream)
        ]
    );
    assert_eq!(reqs[0].requested_latency, None);
    for r in &reqs[1..] {
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.requested_latency, Some(Latency::Optimized), "{}", r.path);
        assert_eq!(r.served_latency, Some(Latency::Optimized), "{}", r.path);
        assert_eq!(r.model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"), "{}", r.path);
    }
    // The request ids the endpoint sent back are the ones reported.
    assert_eq!(inline.report.request_id.as_deref(), Some(reqs[1].request_id.as_str()));
    assert_eq!(rag.report.request_id.as_deref(), Some(reqs[2].request_id.as_str()));
}
