//! HTTP/2 with prior knowledge (what an SDK whose default transport is
//! HTTP/2 sends to an `http://` endpoint), on the port that also serves
//! HTTP/1.1.

use bedrock_latency::testkit::LocalBedrock;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::support::{Event, NOVA, converse_body, events};

type H2 = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

/// An HTTP/2-only client connection (no HTTP/1.1 fallback).
async fn h2_connect(server: &LocalBedrock) -> H2 {
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .expect("h2 handshake");
    tokio::spawn(conn);
    send
}

async fn post(h2: &mut H2, server: &LocalBedrock, path: &str, body: Vec<u8>) -> (hyper::http::response::Parts, Bytes) {
    let request = hyper::Request::post(format!("{}{path}", server.endpoint_url()))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), h2.send_request(request))
        .await
        .expect("answer within 5 s")
        .expect("h2 response");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts, bytes)
}

#[tokio::test]
async fn http2_prior_knowledge_serves_unary_and_event_stream_operations() {
    let server = LocalBedrock::start().await.expect("start");
    let mut h2 = h2_connect(&server).await;

    let hello = || converse_body("Hello over h2", Some("optimized"));
    let (parts, body) = post(&mut h2, &server, &format!("/model/{NOVA}/converse"), hello()).await;
    assert_eq!(parts.version, hyper::Version::HTTP_2);
    assert_eq!(parts.status, 200, "{}", String::from_utf8_lossy(&body));
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json["performanceConfig"]["latency"], "optimized");
    assert!(parts.headers.contains_key("x-amzn-requestid"));

    // A stream on the same HTTP/2 connection.
    let path = format!("/model/{NOVA}/converse-stream");
    let (parts, body) = post(&mut h2, &server, &path, hello()).await;
    assert_eq!(parts.version, hyper::Version::HTTP_2);
    assert_eq!(parts.headers["content-type"], "application/vnd.amazon.eventstream");
    let mut types = Vec::new();
    let mut text = String::new();
    for Event { mut headers, payload } in events(body) {
        let kind = headers.remove(":event-type").expect(":event-type");
        if kind == "contentBlockDelta" {
            text.push_str(payload["delta"]["text"].as_str().unwrap_or_default());
        }
        if kind == "metadata" {
            assert_eq!(payload["performanceConfig"]["latency"], "optimized");
        }
        types.push(kind);
    }
    assert_eq!(types.first().map(String::as_str), Some("messageStart"));
    assert_eq!(types.last().map(String::as_str), Some("metadata"));
    assert!(text.starts_with("Local answer to \"Hello over h2\":"), "{text}");

    // An agent-runtime stream too.
    let inline = serde_json::json!({
        "foundationModel": "us.amazon.nova-pro-v1:0",
        "instruction": "You are a helpful assistant for tests.",
        "inputText": "Hi agent",
    });
    let (parts, body) = post(&mut h2, &server, "/agents/session-h2", inline.to_string().into_bytes()).await;
    assert_eq!((parts.version, parts.status.as_u16()), (hyper::Version::HTTP_2, 200));
    assert!(!body.is_empty());
    let versions: Vec<String> = server.requests().into_iter().map(|r| r.http_version).collect();
    assert_eq!(versions, ["HTTP/2.0"; 3]);
    server.shutdown().await;
}
