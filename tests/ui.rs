//! Compile-fail tests: each rejected combination has its own file and the
//! compiler message the user sees, committed next to it (`*.stderr`).
//! Regenerate after an intended change with `TRYBUILD=overwrite`.
//!
//! What must compile is compiled here, as part of this test binary, rather
//! than as a trybuild pass case: a pass case makes trybuild link a whole
//! second build of the dependency tree.

use bedrock_latency::models::{Claude35Haiku, NovaPro};
use bedrock_latency::{Client, LatencyPolicy, ModelId};

#[test]
fn markers_reject_what_cannot_be_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/markers/*.rs");
}

#[test]
fn runtime_builders_offer_optimized_only_where_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/runtime/*.rs");
}

#[test]
fn agent_builders_offer_optimized_only_where_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/agent/*.rs");
}

/// What must compile: optimized on a typed model that offers it, on all four
/// operations, and a policy on a run-time model. Sent to the local endpoint
/// so the test also shows each one went out as optimized, in the crate's
/// report and on the wire.
#[tokio::test]
async fn optimized_compiles_where_honored_and_is_sent() {
    use bedrock_latency::testkit::LocalBedrock;
    let server = LocalBedrock::start().await.unwrap();
    let client = Client::new(&server.sdk_config("us-east-1"));
    // Claude 3.5 Haiku is served optimized from us-east-2, not us-east-1.
    let east2 = Client::new(&server.sdk_config("us-east-2"));
    let model: ModelId = "us.amazon.nova-pro-v1:0".parse().unwrap();

    let reports = [
        client
            .converse(NovaPro)
            .optimized()
            .user("hi")
            .send()
            .await
            .unwrap()
            .report,
        east2
            .converse_stream(Claude35Haiku)
            .optimized()
            .user("hi")
            .send()
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap()
            .report,
        client
            .invoke_model(NovaPro)
            .optimized()
            .prompt("hi", 10)
            .send()
            .await
            .unwrap()
            .report,
        east2
            .invoke_model_stream(Claude35Haiku)
            .optimized()
            .prompt("hi", 10)
            .send()
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap()
            .report,
        client
            .converse(model)
            .latency(LatencyPolicy::PreferOptimized)
            .user("hi")
            .send()
            .await
            .unwrap()
            .report,
    ];
    for r in &reports {
        assert_eq!(
            r.sent,
            bedrock_latency::Latency::Optimized,
            "{:?} {}",
            r.operation,
            r.model_id.as_deref().unwrap_or("-")
        );
    }
    // What the endpoint read off the wire (Converse body, InvokeModel header).
    let sent: Vec<_> = server.requests().iter().map(|r| r.requested_latency).collect();
    assert_eq!(sent, vec![Some(bedrock_latency::Latency::Optimized); reports.len()]);
}
