//! The endpoint's own answers have the shape of the real AWS captures in
//! `shared/fixtures/aws-captures` (same JSON keys, event types and headers)
//! for the same operations and requests.

use std::collections::{BTreeMap, BTreeSet};

use bedrock_latency::Operation;
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::support::{Event, events};
use crate::shared_fixtures::shared_fixture;

fn capture(name: &str) -> Vec<u8> {
    let path = shared_fixture(&format!("aws-captures/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn capture_json(name: &str) -> Value {
    serde_json::from_slice(&capture(name)).expect("capture JSON")
}

/// Request body recorded in a `*.response-meta.json` (a JSON string).
fn recorded_request_body(meta: &str) -> Vec<u8> {
    capture_json(meta)["request"]["body"]
        .as_str()
        .expect("request body")
        .as_bytes()
        .to_vec()
}

/// Lower-case header names of a capture's `headers` (map of lists, map of
/// strings or list of name/value objects), without hop-by-hop ones.
fn capture_header_names(meta: &Value) -> BTreeSet<String> {
    let names: Vec<String> = match &meta["headers"] {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(|h| h["name"].as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    names
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .filter(|n| !matches!(n.as_str(), "connection" | "transfer-encoding" | "content-length"))
        .collect()
}

/// The key structure of a JSON value: objects keep their keys, arrays the
/// shape of their first element, scalars become `"scalar"`.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        _ => Value::from("scalar"),
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// Per event type, the union of payload key sets.
fn event_keys(events: &[Event]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in events {
        out.entry(e.kind().to_owned()).or_default().extend(keys(&e.payload));
    }
    out
}

/// POST over HTTP/1.1 (hyper's client, so chunked streams are read whole).
async fn post(server: &LocalBedrock, path: &str, body: Vec<u8>) -> (hyper::http::response::Parts, Bytes) {
    post_with(server, path, &[], body).await
}

/// [`post`], which must answer 200 (the body is shown when it does not).
async fn post_ok(server: &LocalBedrock, path: &str, body: Vec<u8>) -> (hyper::http::response::Parts, Bytes) {
    let (parts, bytes) = post(server, path, body).await;
    assert_eq!(parts.status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
    (parts, bytes)
}

/// [`post_ok`], its body read as JSON.
async fn post_json(server: &LocalBedrock, path: &str, body: Vec<u8>) -> Value {
    let (_, bytes) = post_ok(server, path, body).await;
    serde_json::from_slice(&bytes).expect("JSON")
}

async fn post_with(
    server: &LocalBedrock,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (hyper::http::response::Parts, Bytes) {
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut request = hyper::Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json");
    for (n, v) in headers {
        request = request.header(*n, *v);
    }
    let request = request.body(Full::new(Bytes::from(body))).expect("request");
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), send.send_request(request))
        .await
        .expect("answer within 5 s")
        .expect("response");
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.expect("body").to_bytes())
}

fn assert_has_headers(parts: &hyper::http::response::Parts, expected: &BTreeSet<String>, what: &str) {
    let ours: BTreeSet<String> = parts.headers.keys().map(|n| n.as_str().to_owned()).collect();
    let missing: Vec<&String> = expected.difference(&ours).collect();
    assert!(missing.is_empty(), "{what}: headers {missing:?} missing; ours {ours:?}");
}

#[tokio::test]
async fn invoke_model_and_its_stream_are_shaped_like_the_captures() {
    let server = LocalBedrock::start().await.expect("start");
    let meta = capture_json("invoke-model-nova-micro.response-meta.json");
    let body = recorded_request_body("invoke-model-nova-micro.response-meta.json");
    let (parts, bytes) = post_ok(&server, "/model/amazon.nova-micro-v1%3A0/invoke", body).await;
    assert_has_headers(&parts, &capture_header_names(&meta), "InvokeModel");
    let ours: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(shape(&ours), shape(&capture_json("invoke-model-nova-micro.body.json")));

    let meta = capture_json("invoke-model-stream-nova-micro.response-meta.json");
    let body = recorded_request_body("invoke-model-stream-nova-micro.response-meta.json");
    let (parts, bytes) = post(
        &server,
        "/model/amazon.nova-micro-v1%3A0/invoke-with-response-stream",
        body,
    )
    .await;
    assert_has_headers(&parts, &capture_header_names(&meta), "InvokeModelWithResponseStream");
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture("invoke-model-stream-nova-micro.body.bin")));
    assert_eq!(event_keys(&ours), event_keys(&theirs));
    let inner = |evs: &[Event]| -> BTreeSet<BTreeSet<String>> {
        evs.iter()
            .map(|e| {
                let b64 = e.payload["bytes"].as_str().expect("bytes");
                let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).expect("base64");
                keys(&serde_json::from_slice(&raw).expect("chunk JSON"))
            })
            .collect()
    };
    assert_eq!(inner(&ours), inner(&theirs));
    server.shutdown().await;
}

#[tokio::test]
async fn converse_answers_are_shaped_like_the_captures() {
    let server = LocalBedrock::start().await.expect("start");
    let cap = capture_json("converse-optimized-nova-pro.json");
    let body = serde_json::to_vec(&cap["request"]["body"]).expect("body");
    let ours = post_json(&server, "/model/us.amazon.nova-pro-v1%3A0/converse", body).await;
    assert_eq!(shape(&ours), shape(&cap["response"]["body"]));

    // serviceTier flex (request as described in the capture's README row).
    let body = serde_json::json!({
        "messages": [ { "role": "user", "content": [ { "text": "What is the capital of France?" } ] } ],
        "serviceTier": { "type": "flex" },
    });
    let (_, bytes) = post(
        &server,
        "/model/amazon.nova-pro-v1%3A0/converse",
        body.to_string().into_bytes(),
    )
    .await;
    let ours: Value = serde_json::from_slice(&bytes).expect("JSON");
    let theirs: Value =
        serde_json::from_slice(&capture("converse-service-tier-flex.body.reconstructed.json")).expect("JSON");
    assert_eq!(shape(&ours), shape(&theirs));

    let cap = capture_json("converse-stream-nova-micro.json");
    let body = serde_json::to_vec(&cap["request"]["body"]).expect("body");
    let (parts, bytes) = post(&server, "/model/us.amazon.nova-micro-v1%3A0/converse-stream", body).await;
    assert_eq!(parts.headers["content-type"], "application/vnd.amazon.eventstream");
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture("converse-stream-nova-micro.bin")));
    assert_eq!(event_keys(&ours), event_keys(&theirs));
    let header_names =
        |evs: &[Event]| -> BTreeSet<Vec<String>> { evs.iter().map(|e| e.headers.keys().cloned().collect()).collect() };
    assert_eq!(header_names(&ours), header_names(&theirs));

    // An in-stream exception frame carries the same headers as the
    // validationException capture.
    server.inject(FaultRule::new(Fault::ModelStreamError { after_frames: 1 }).on(Operation::ConverseStream));
    let body = serde_json::to_vec(&cap["request"]["body"]).expect("body");
    let (_, bytes) = post(&server, "/model/us.amazon.nova-micro-v1%3A0/converse-stream", body).await;
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture(
        "error-converse-stream-validation-exception.body.bin",
    )));
    let exception = |evs: &[Event]| -> (Vec<String>, bool) {
        let e = evs
            .iter()
            .find(|e| e.headers.get(":message-type").map(String::as_str) == Some("exception"))
            .expect("exception frame");
        (e.headers.keys().cloned().collect(), e.payload["message"].is_string())
    };
    assert_eq!(exception(&ours), exception(&theirs));
    server.shutdown().await;
}

#[tokio::test]
async fn retrieve_and_generate_and_its_stream_carry_citations_like_the_captures() {
    let server = LocalBedrock::start().await.expect("start");
    let body = recorded_request_body("retrieve-and-generate-kb.response-meta.json");
    let ours = post_json(&server, "/retrieveAndGenerate", body).await;
    let theirs = capture_json("retrieve-and-generate-kb.body.json");
    assert_eq!(keys(&ours), keys(&theirs));
    let (c_ours, c_theirs) = (&ours["citations"][0], &theirs["citations"][0]);
    assert_eq!(keys(c_ours), keys(c_theirs));
    assert_eq!(
        shape(&c_ours["generatedResponsePart"]),
        shape(&c_theirs["generatedResponsePart"])
    );
    let (r_ours, r_theirs) = (&c_ours["retrievedReferences"][0], &c_theirs["retrievedReferences"][0]);
    assert_eq!(keys(r_ours), keys(r_theirs));
    assert_eq!(keys(&r_ours["metadata"]), keys(&r_theirs["metadata"]));
    assert!(r_ours["location"]["type"].is_string() && r_ours["content"]["text"].is_string());
    let text = ours["output"]["text"].as_str().expect("text");
    assert_eq!(c_ours["generatedResponsePart"]["textResponsePart"]["text"], text);

    let body = recorded_request_body("retrieve-and-generate-stream.response-meta.json");
    let (_, bytes) = post(&server, "/retrieveAndGenerateStream", body).await;
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture("retrieve-and-generate-stream.body.bin")));
    assert_eq!(event_keys(&ours), event_keys(&theirs));
    let citation = |evs: &[Event]| -> Value {
        let e = evs.iter().find(|e| e.kind() == "citation").expect("citation event");
        shape(&e.payload["retrievedReferences"][0])
            .as_object()
            .map(|m| Value::from(m.keys().cloned().collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    assert_eq!(citation(&ours), citation(&theirs));
    // The same uri as the request's external source.
    let e = ours.iter().find(|e| e.kind() == "citation").expect("citation");
    assert_eq!(
        e.payload["retrievedReferences"][0]["location"]["s3Location"]["uri"],
        "s3://bedrock-az-kb/knowledge_bases/VLDBJ96.pdf"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn agents_with_trace_are_shaped_like_the_captures() {
    let server = LocalBedrock::start().await.expect("start");
    let meta = capture_json("invoke-agent-kb-citations.response-meta.json");
    let url = meta["request"]["url"].as_str().expect("url");
    let path = &url[url.find("/agents/").expect("path")..];
    let body = recorded_request_body("invoke-agent-kb-citations.response-meta.json");
    let (parts, bytes) = post_ok(&server, path, body).await;
    assert_has_headers(&parts, &capture_header_names(&meta), "InvokeAgent");
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture("invoke-agent-kb-citations.body.bin")));
    assert_eq!(event_keys(&ours), event_keys(&theirs));
    let chunk = |evs: &[Event]| -> Value {
        let e = evs.iter().find(|e| e.kind() == "chunk").expect("chunk");
        shape(&e.payload["attribution"]["citations"][0])
            .as_object()
            .map(|m| Value::from(m.keys().cloned().collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    assert_eq!(chunk(&ours), chunk(&theirs));

    let body = recorded_request_body("invoke-inline-agent.response-meta.json");
    let (_, bytes) = post_ok(&server, "/agents/default_session_id2", body).await;
    let ours = events(bytes);
    let theirs = events(Bytes::from(capture("invoke-inline-agent.body.bin")));
    assert_eq!(event_keys(&ours), event_keys(&theirs));
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn flows_stream_output_events_and_record_the_performance_configuration() {
    let server = LocalBedrock::start().await.expect("start");
    let body = serde_json::json!({
        "inputs": [ { "nodeName": "FlowInputNode", "nodeOutputName": "document", "content": { "document": "Summarise latency" } } ],
        "modelPerformanceConfiguration": { "performanceConfig": { "latency": "optimized" } },
    });
    let (parts, bytes) = post_ok(&server, "/flows/FLOW1/aliases/ALIAS1", body.to_string().into_bytes()).await;
    assert!(parts.headers.contains_key("x-amz-bedrock-flow-execution-id"));
    let evs = events(bytes);
    let kinds: Vec<&str> = evs.iter().map(Event::kind).collect();
    assert_eq!(kinds, ["flowOutputEvent", "flowCompletionEvent"]);
    assert_eq!(
        keys(&evs[0].payload),
        BTreeSet::from(["content".into(), "nodeName".into(), "nodeType".into()])
    );
    assert!(
        evs[0].payload["content"]["document"]
            .as_str()
            .is_some_and(|t| t.starts_with("Local answer to"))
    );
    assert_eq!(evs[1].payload["completionReason"], "SUCCESS");
    let r = server.last_request().expect("recorded");
    assert_eq!(r.operation, Some(Operation::InvokeFlow));
    assert_eq!(r.requested_latency, Some(bedrock_latency::Latency::Optimized));
    assert_eq!(r.served_latency, Some(bedrock_latency::Latency::Standard));
    assert_eq!(r.fallback, Some(bedrock_latency::testkit::StandardFallback::Unverified));

    let (parts, bytes) = post_with(
        &server,
        "/flows/FLOW1/aliases/ALIAS1/executions",
        &[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/bedrock/aws4_request",
        )],
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(parts.status, 200);
    let json: Value = serde_json::from_slice(&bytes).expect("JSON");
    let arn = json["executionArn"].as_str().expect("executionArn");
    assert!(
        arn.starts_with("arn:aws:bedrock:us-west-2:000000000000:flow/FLOW1/alias/ALIAS1/execution/"),
        "{arn}"
    );
    assert_eq!(
        server.last_request().expect("recorded").operation,
        Some(Operation::StartFlowExecution)
    );
    let (parts, _) = post(&server, "/flows/FLOW1/aliases/ALIAS1", br#"{"inputs": []}"#.to_vec()).await;
    assert_eq!(parts.status, 400);
    server.shutdown().await;
}
