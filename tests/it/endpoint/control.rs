//! The `/_bedrock_latency/` control surface.

use bedrock_latency::testkit::LocalBedrock;

use super::support::converse;
use crate::sdk_clients::raw_request;

/// `POST /_bedrock_latency/faults` with `body`.
async fn post_faults(server: &LocalBedrock, body: &[u8]) -> crate::sdk_clients::RawResponse {
    raw_request(server, "POST", "/_bedrock_latency/faults", &[], body).await
}

#[tokio::test]
async fn control_paths_read_records_queue_faults_and_reset() {
    let server = LocalBedrock::start().await.expect("start");
    let addr = server.local_addr();
    for i in 0..3 {
        assert_eq!(converse(addr, &format!("prompt {i}"), None).await.status, 200);
    }
    let signed = [(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDX/20260101/us-east-1/bedrock/aws4_request, Signature=abc",
    )];
    let r = raw_request(&server, "GET", "/_bedrock_latency/requests?limit=2", &signed, b"").await;
    assert_eq!(r.status, 200);
    let json = r.json();
    assert_eq!((json["kept"].as_u64(), json["returned"].as_u64()), (Some(3), Some(2)));
    let last = &json["requests"][1];
    assert_eq!(last["operation"], "Converse");
    assert_eq!(last["body"]["messages"][0]["content"][0]["text"], "prompt 2");
    assert_eq!(last["servedLatency"], "standard");
    // Control requests are not recorded.
    assert_eq!(server.requests().len(), 3);

    // Credentials are not echoed.
    let path = format!("/model/{}/converse", super::support::NOVA);
    let body = super::support::converse_body("signed", None);
    raw_request(&server, "POST", &path, &signed, &body).await;
    let r = raw_request(&server, "GET", "/_bedrock_latency/requests?limit=1", &[], b"").await;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        !text.contains("Signature=abc") && text.contains("(not shown)"),
        "{text}"
    );

    let r = post_faults(&server, br#"{"faults": ["throttling@converse"]}"#).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(converse(addr, "throttled", None).await.status, 429);
    let r = post_faults(&server, br#"{"faults": ["nope"]}"#).await;
    assert_eq!(r.status, 400);

    let r = post_faults(&server, br#"{"faults": ["reset"]}"#).await;
    assert_eq!(r.status, 200);
    let r = raw_request(&server, "POST", "/_bedrock_latency/reset", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(server.requests().is_empty());
    assert!(server.pending_faults().is_empty());
    let state = raw_request(&server, "GET", "/_bedrock_latency/state", &[], b"")
        .await
        .json();
    assert_eq!(state["recordsKept"], 0);
    assert_eq!(
        raw_request(&server, "GET", "/_bedrock_latency/nothing", &[], b"")
            .await
            .status,
        404
    );
    server.shutdown().await;
}

#[tokio::test]
async fn control_answers_are_bounded() {
    let server = LocalBedrock::start().await.expect("start");
    let addr = server.local_addr();
    // 40 requests whose bodies are 100 KB: recorded as prefix + digest,
    // echoed without body.
    let big = "x".repeat(100_000);
    for _ in 0..40 {
        assert_eq!(converse(addr, &big, None).await.status, 200);
    }
    let last = server.last_request().expect("recorded");
    assert_eq!(last.raw_body.len(), 64 * 1024);
    assert!(last.body.is_none());
    assert_eq!(last.body_sha256.as_deref().map(str::len), Some(64));
    let r = raw_request(&server, "GET", "/_bedrock_latency/requests?limit=100000", &[], b"").await;
    assert!(r.body.len() <= 1024 * 1024, "{} bytes", r.body.len());
    let json = r.json();
    assert_eq!(json["returned"], 40);
    assert!(json["requests"][0]["body"].is_null());
    assert!(json["requests"][0]["bodyLen"].as_u64() > Some(100_000));
    server.shutdown().await;
}
