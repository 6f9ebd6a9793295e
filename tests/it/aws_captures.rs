//! The newer real AWS captures (../shared/fixtures/aws-captures, recorded by
//! other projects' test suites against AWS; see the README there), replayed
//! unedited into the real SDK clients under the crate's `Client`, one test
//! per capture. Every expected value is read from the capture itself (the
//! recorded headers, the JSON body, or the event-stream frames decoded here
//! with aws-smithy-eventstream, independently of the SDK and of the crate)
//! and, where it identifies the capture, also written out literally.

use crate::shared_fixtures;
use crate::support::{Collected as _, Request as _};

use std::time::Duration;

use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use base64::Engine as _;
use bedrock_latency::agent::{AgentEvent, AgentStream, AgentStreamEvent, Citation, Reference};
use bedrock_latency::models::{NovaMicro, NovaPro};
use bedrock_latency::runtime::StreamEvent;
use bedrock_latency::{Error, LatencyReport, ModelId, Operation, ServedLatency, ServiceErrorKind, ServiceTier};
use futures::StreamExt;
use serde_json::Value;

use crate::replay::{agent_client, replay, runtime_client, sent, sent_to};

// ---------------------------------------------------------------------------
// Reading the captures
// ---------------------------------------------------------------------------

fn read(name: &str) -> Vec<u8> {
    let path = shared_fixtures::shared_fixture("aws-captures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_json(name: &str) -> Value {
    serde_json::from_slice(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The recorded response headers of a `*.response-meta.json`, whichever of
/// the three shapes the recording tool wrote: `{name: value}`,
/// `{name: [value, ...]}` or `[{"name": .., "value": ..}]`.
fn recorded_headers(meta: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match &meta["headers"] {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => out.push((k.clone(), s.clone())),
                    Value::Array(vs) => {
                        out.extend(vs.iter().map(|s| (k.clone(), s.as_str().unwrap().to_owned())));
                    }
                    other => panic!("header {k}: {other}"),
                }
            }
        }
        Value::Array(list) => {
            for h in list {
                out.push((
                    h["name"].as_str().unwrap().to_owned(),
                    h["value"].as_str().unwrap().to_owned(),
                ));
            }
        }
        other => panic!("headers: {other}"),
    }
    out
}

/// The recorded status (`200` or `{"code": 200, ...}`).
fn recorded_status(meta: &Value) -> u16 {
    let s = meta["status"].as_u64().or_else(|| meta["status"]["code"].as_u64());
    u16::try_from(s.expect("a recorded status")).unwrap()
}

/// One recorded header's value (names compare case-insensitively).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the capture has no {name} header"))
}

/// The recorded response of a capture, as recorded: status, every header
/// (from `{capture}.response-meta.json`), body bytes (`{capture}.body.json`
/// or `{capture}.body.bin`). (`transfer-encoding: chunked` described the
/// original transfer; the recording kept the de-chunked body, so that one
/// header is left out.)
fn recorded_response(capture: &str) -> (http::Response<SdkBody>, Vec<(String, String)>) {
    let meta = read_json(&format!("{capture}.response-meta.json"));
    let headers = recorded_headers(&meta);
    let json_body = format!("{capture}.body.json");
    let body_name = if shared_fixtures::shared_fixture("aws-captures")
        .join(&json_body)
        .exists()
    {
        json_body
    } else {
        format!("{capture}.body.bin")
    };
    let body = read(&body_name);
    let mut b = http::Response::builder().status(recorded_status(&meta));
    for (k, v) in &headers {
        if k.eq_ignore_ascii_case("content-length") {
            assert_eq!(v.parse::<usize>().unwrap(), body.len(), "{body_name} is whole");
        }
        if !k.eq_ignore_ascii_case("transfer-encoding") {
            b = b.header(k.as_str(), v.as_str());
        }
    }
    (b.body(SdkBody::from(body)).unwrap(), headers)
}

// ---------------------------------------------------------------------------
// Decoding the event streams independently of the SDK
// ---------------------------------------------------------------------------

/// Every frame of a recorded event stream (checksums verified by the decoder).
/// The report's usage is what the capture recorded (input, output), and
/// that is `expected`.
fn assert_usage(report: &LatencyReport, recorded: (u64, u64), expected: (u32, u32)) {
    let usage = report.usage.map(|u| (u.input_tokens, u.output_tokens));
    assert_eq!(usage.map(|(i, o)| (u64::from(i), u64::from(o))), Some(recorded));
    assert_eq!(usage, Some(expected));
}

/// Reads an agent stream to its end (an error fails the test): what it
/// gave, in order, by kind: texts, citations, SDK events.
async fn drain<E: AgentStreamEvent + std::fmt::Debug>(
    stream: &mut AgentStream<E>,
) -> (Vec<String>, Vec<Citation>, Vec<E>) {
    let mut d = (Vec::new(), Vec::new(), Vec::new());
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            AgentEvent::Text(t) => d.0.push(t),
            AgentEvent::Citation(c) => d.1.push(c),
            AgentEvent::Event(e) => d.2.push(e),
            other => panic!("unexpected {other:?}"),
        }
    }
    d
}

/// The event-stream frames of a recorded body.
fn capture_frames(name: &str) -> Vec<Message> {
    let bytes = read(name);
    let mut buf = bytes.as_slice();
    let mut out = Vec::new();
    while !buf.is_empty() {
        out.push(read_message_from(&mut buf).expect("a valid event-stream frame"));
    }
    out
}

fn frame_header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

fn event_type(m: &Message) -> &str {
    frame_header(m, ":event-type")
        .or_else(|| frame_header(m, ":exception-type"))
        .expect("a typed frame")
}

fn payload(m: &Message) -> Value {
    serde_json::from_slice(m.payload()).expect("a JSON payload")
}

/// The base64 `bytes` of a chunk frame, decoded.
fn chunk_bytes(m: &Message) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(payload(m)["bytes"].as_str().expect("a chunk with bytes"))
        .unwrap()
}

/// The crate's citation, built from the wire JSON of one (text, span,
/// references with a type, a URI or id, and text content).
fn citation_from_json(c: &Value) -> Citation {
    let part = &c["generatedResponsePart"]["textResponsePart"];
    let span = &part["span"];
    let location_uri = |l: &Value| {
        ["s3Location/uri", "webLocation/url", "customDocumentLocation/id"]
            .iter()
            .find_map(|p| l.pointer(&format!("/{p}")).and_then(Value::as_str))
            .map(str::to_owned)
    };
    Citation {
        text: part["text"].as_str().map(str::to_owned),
        span: Some(span["start"].as_u64().unwrap() as usize..span["end"].as_u64().unwrap() as usize),
        references: c["retrievedReferences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| Reference {
                location_type: r["location"]["type"].as_str().map(str::to_owned),
                uri: location_uri(&r["location"]),
                content: r["content"]["text"].as_str().map(str::to_owned),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// bedrock-runtime
// ---------------------------------------------------------------------------

/// InvokeModel with the full set of response headers: the text from the
/// body, usage and server latency from the `X-Amzn-Bedrock-*` headers, the
/// request id.
#[tokio::test]
async fn invoke_model_nova_micro() {
    let meta = read_json("invoke-model-nova-micro.response-meta.json");
    let body: Value = read_json("invoke-model-nova-micro.body.json");
    let expected_text = body["output"]["message"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(expected_text, "4");

    let (resp, headers) = recorded_response("invoke-model-nova-micro");
    let n = |name: &str| header(&headers, name).parse::<u64>().unwrap();
    assert_eq!(n("X-Amzn-Bedrock-Invocation-Latency"), 265);
    let request_id = header(&headers, "x-amzn-RequestId");
    assert_eq!(request_id, "a5bf5c28-d0e5-44f8-b89d-52059af0c60c");

    let rp = replay(resp);
    let model = ModelId::parse("amazon.nova-micro-v1:0").unwrap();
    let r = runtime_client("us-east-1", &rp)
        .invoke_model(&model)
        .body(meta["request"]["body"].as_str().unwrap())
        .answer()
        .await;

    assert_eq!(r.text.as_deref(), Some(expected_text));
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        r.body,
        read("invoke-model-nova-micro.body.json"),
        "the raw body is kept"
    );
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let report = &r.report;
    assert_eq!(report.operation, Operation::InvokeModel);
    assert_eq!(report.request_id.as_deref(), Some(request_id));
    assert_eq!(report.timing.server_latency, Some(Duration::from_millis(265)));
    let recorded = (
        n("X-Amzn-Bedrock-Input-Token-Count"),
        n("X-Amzn-Bedrock-Output-Token-Count"),
    );
    assert_usage(report, recorded, (13, 3));
    // Nothing was asked, and no latency or tier header came back.
    assert_eq!(report.served, ServedLatency::NotReported);
    assert_eq!(report.served_tier, None);
    assert!(!report.downgraded());
    assert!(report.to_string().contains("server 265ms"), "{report}");

    let sent_body = sent_to(&rp, "/model/amazon.nova-micro-v1%3A0/invoke");
    assert_eq!(
        sent_body,
        serde_json::from_str::<Value>(meta["request"]["body"].as_str().unwrap()).unwrap()
    );
}

/// The same recorded bytes, asked for with a model whose body format the
/// crate does not know: the usage can then only come from the
/// `X-Amzn-Bedrock-Input/Output-Token-Count` headers.
#[tokio::test]
async fn invoke_model_nova_micro_usage_from_the_headers_alone() {
    let (resp, headers) = recorded_response("invoke-model-nova-micro");
    let rp = replay(resp);
    let unknown_family = ModelId::parse("cohere.command-r-v1:0").unwrap();
    let r = runtime_client("us-east-1", &rp)
        .invoke_model(&unknown_family)
        .body(r#"{"message":"What is 2+2?"}"#)
        .answer()
        .await;
    assert_eq!(
        r.text, None,
        "the crate reads no text from a body format it does not know"
    );
    let usage = r.report.usage.expect("usage from the headers");
    assert_eq!(
        (usage.input_tokens.to_string(), usage.output_tokens.to_string()),
        (
            header(&headers, "X-Amzn-Bedrock-Input-Token-Count").to_owned(),
            header(&headers, "X-Amzn-Bedrock-Output-Token-Count").to_owned()
        )
    );
    assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(265)));
}

/// InvokeModelWithResponseStream: 11 chunk frames; the text of the
/// `contentBlockDelta` chunks, the stop reason, and the usage and latency of
/// the last chunk's `amazon-bedrock-invocationMetrics`.
#[tokio::test]
async fn invoke_model_stream_nova_micro() {
    let fs = capture_frames("invoke-model-stream-nova-micro.body.bin");
    assert_eq!(fs.len(), 11);
    assert!(fs.iter().all(|m| event_type(m) == "chunk"));
    let chunks: Vec<Value> = fs
        .iter()
        .map(|m| serde_json::from_slice(&chunk_bytes(m)).unwrap())
        .collect();
    let deltas: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c.pointer("/contentBlockDelta/delta/text").and_then(Value::as_str))
        .collect();
    let expected_text: String = deltas.concat();
    assert_eq!(expected_text, "The three primary colors are red, blue, and yellow.");
    let metrics = &chunks[10]["amazon-bedrock-invocationMetrics"];
    assert!(metrics.is_object(), "the last chunk carries the invocation metrics");
    let m = |k: &str| metrics[k].as_u64().unwrap();

    let (resp, headers) = recorded_response("invoke-model-stream-nova-micro");
    let meta = read_json("invoke-model-stream-nova-micro.response-meta.json");
    let rp = replay(resp);
    let mut stream = runtime_client("us-east-1", &rp)
        .invoke_model_stream(NovaMicro)
        .body(meta["request"]["body"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(ev) = stream.next().await {
        events.push(ev.unwrap());
    }
    let mut want: Vec<StreamEvent> = deltas.iter().map(|t| StreamEvent::TextDelta((*t).to_owned())).collect();
    want.push(StreamEvent::Stop {
        reason: "end_turn".to_owned(),
    });
    assert_eq!(events, want);
    assert_eq!(stream.text(), expected_text);

    let report = stream.report();
    assert_eq!(report.operation, Operation::InvokeModelStream);
    assert_eq!(report.request_id.as_deref(), Some(header(&headers, "x-amzn-RequestId")));
    assert_eq!(
        report.request_id.as_deref(),
        Some("0c62afd7-cb58-45a7-9d78-49cddc10fca3")
    );
    assert_usage(report, (m("inputTokenCount"), m("outputTokenCount")), (12, 13));
    assert_eq!(
        report.timing.server_latency,
        Some(Duration::from_millis(m("invocationLatency")))
    );
    assert_eq!(report.timing.server_latency, Some(Duration::from_millis(244)));
    assert!(report.timing.time_to_first_token.is_some());
    assert_eq!(report.served, ServedLatency::NotReported);

    // The same capture collected in one go.
    let rp = replay(recorded_response("invoke-model-stream-nova-micro").0);
    let r = runtime_client("us-east-1", &rp)
        .invoke_model_stream(NovaMicro)
        .body(meta["request"]["body"].as_str().unwrap())
        .answer()
        .await;
    assert_eq!(r.text.as_deref(), Some(expected_text.as_str()));
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        r.content_type.as_deref(),
        Some(header(&headers, "X-Amzn-Bedrock-Content-Type"))
    );
    sent_to(&rp, "/model/amazon.nova-micro-v1%3A0/invoke-with-response-stream");
}

/// ConverseStream answered HTTP 200 whose stream holds a single
/// `:message-type exception` frame (`validationException`): the crate's
/// typed error, kind validation, with the service's message and the
/// request id of the HTTP response.
#[tokio::test]
async fn error_converse_stream_validation_exception() {
    let fs = capture_frames("error-converse-stream-validation-exception.body.bin");
    assert_eq!(fs.len(), 1);
    assert_eq!(frame_header(&fs[0], ":message-type"), Some("exception"));
    assert_eq!(frame_header(&fs[0], ":exception-type"), Some("validationException"));
    let message = payload(&fs[0])["message"].as_str().unwrap().to_owned();
    assert_eq!(
        message,
        "The model returned the following errors: The detected file MIME type text/plain does not match \
         the expected type image/png. Reformat your input and try again."
    );

    let lite = ModelId::parse("amazon.nova-lite-v1:0").unwrap();
    let check = |err: &Error, headers: &[(String, String)]| {
        let se = err
            .service_error()
            .unwrap_or_else(|| panic!("a service error: {err:?}"));
        assert_eq!(se.kind(), ServiceErrorKind::Validation, "{err:?}");
        assert_eq!(se.code(), Some("ValidationException"), "{err:?}");
        assert_eq!(se.message(), Some(message.as_str()));
        assert_eq!(se.operation(), Operation::ConverseStream);
        assert_eq!(err.service_message(), Some(message.as_str()));
        assert_eq!(err.request_id(), Some(header(headers, "x-amzn-requestid")));
        assert_eq!(err.request_id(), Some("17a5a84f-f42a-4729-81da-bc9a19335fa0"));
        assert!(!err.is_retryable());
        assert!(!err.is_throttling());
        assert_eq!(
            err.to_string(),
            format!(
                "converse-stream stream failed after 0 characters of text: ConverseStream failed with \
                 ValidationException: {message} (request id 17a5a84f-f42a-4729-81da-bc9a19335fa0)"
            )
        );
        // Every error met while reading a stream is `StreamInterrupted`
        // (with the text so far: none here), its source the typed error.
        match err {
            Error::StreamInterrupted {
                operation,
                partial_text,
                source,
            } => {
                assert_eq!(*operation, Operation::ConverseStream);
                assert_eq!(partial_text, "");
                assert!(matches!(**source, Error::Service(_)), "{source:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
    };

    // Polled as a stream: the first item is the error, and it is the last.
    let (resp, headers) = recorded_response("error-converse-stream-validation-exception");
    let rp = replay(resp);
    // (The recorded request held an image whose bytes were not a PNG; the
    // request sent here does not matter to the replayed answer.)
    let mut stream = runtime_client("us-east-1", &rp)
        .converse_stream(&lite)
        .user("Describe the image.")
        .send()
        .await
        .expect("the HTTP answer is 200: the error is in the stream");
    assert_eq!(
        stream.report().request_id.as_deref(),
        Some(header(&headers, "x-amzn-requestid"))
    );
    let first = stream.next().await.expect("one item");
    check(&first.unwrap_err(), &headers);
    assert!(stream.next().await.is_none());
    sent_to(&rp, "/model/amazon.nova-lite-v1%3A0/converse-stream");

    // Collected: the same error.
    let rp = replay(recorded_response("error-converse-stream-validation-exception").0);
    let err = runtime_client("us-east-1", &rp)
        .converse_stream(&lite)
        .user("Describe the image.")
        .send()
        .collected()
        .await
        .unwrap_err();
    check(&err, &headers);
}

/// Converse with `serviceTier.type = flex` asked: the answer's
/// `"serviceTier":{"type":"flex"}` is the served tier in the report.
/// (The body was re-serialised from a parsed recording: see the README.)
#[tokio::test]
async fn converse_service_tier_flex() {
    let raw = read("converse-service-tier-flex.body.reconstructed.json");
    let body: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(body["serviceTier"]["type"], "flex");
    let rp = replay(
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(SdkBody::from(raw))
            .unwrap(),
    );
    let r = runtime_client("us-east-1", &rp)
        .converse(NovaPro)
        .service_tier(ServiceTier::Flex)
        .user("What is the capital of France?")
        .answer()
        .await;
    assert_eq!(r.report.requested_tier, Some(ServiceTier::Flex));
    // The catalog lists flex for Nova Pro from us-east-1: sent as asked,
    // served as sent.
    assert_eq!(r.report.sent_tier, Some(ServiceTier::Flex));
    assert_eq!(r.report.served_tier, Some(ServiceTier::Flex));
    assert!(!r.report.tier_downgraded(), "{}", r.report);
    assert!(r.report.to_string().contains("(tier flex)"), "{}", r.report);
    assert_eq!(
        r.text,
        body["output"]["message"]["content"][0]["text"].as_str().unwrap()
    );
    assert!(r.text.starts_with("The capital of France is Paris."), "{}", r.text);
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    let count = |k: &str| body["usage"][k].as_u64().unwrap();
    assert_usage(&r.report, (count("inputTokens"), count("outputTokens")), (13, 70));
    assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(727)));
    // No performanceConfig in the answer: the latency is not reported.
    assert_eq!(r.report.served, ServedLatency::NotReported);
    let json = serde_json::to_value(&r.report).unwrap();
    assert_eq!(json["served_tier"], "flex", "{json}");

    let sent_body = sent_to(&rp, "/model/amazon.nova-pro-v1%3A0/converse");
    assert_eq!(sent_body["serviceTier"]["type"], "flex");
}

// ---------------------------------------------------------------------------
// bedrock-agent-runtime
// ---------------------------------------------------------------------------

/// RetrieveAndGenerate over a knowledge base (no response headers were
/// recorded): the output text, both citations with their retrieved
/// references, the session id.
#[tokio::test]
async fn retrieve_and_generate_kb() {
    let body = read_json("retrieve-and-generate-kb.body.json");
    let meta = read_json("retrieve-and-generate-kb.response-meta.json");
    let request: Value = serde_json::from_str(meta["request"]["body"].as_str().unwrap()).unwrap();
    let (resp, headers) = recorded_response("retrieve-and-generate-kb");
    assert!(headers.is_empty(), "none were recorded");
    let rp = replay(resp);
    let kb = request["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"]["knowledgeBaseId"]
        .as_str()
        .unwrap();
    let haiku = ModelId::parse("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
    let r = agent_client("ap-south-1", &rp)
        .retrieve_and_generate(kb, &haiku)
        .query(request["input"]["text"].as_str().unwrap())
        .answer()
        .await;

    assert_eq!(r.text, body["output"]["text"].as_str().unwrap());
    assert!(
        r.text
            .starts_with("Task Decomposition is a technique used in LLM-powered autonomous agent systems"),
        "{}",
        r.text
    );
    assert_eq!(r.session_id.as_deref(), body["sessionId"].as_str());
    assert_eq!(r.session_id.as_deref(), Some("c86b69be-2f93-43c7-8b87-402acc8ebe6d"));
    let want: Vec<Citation> = body["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(citation_from_json)
        .collect();
    assert_eq!(want.len(), 2);
    assert_eq!(r.citations, want);
    assert_eq!(r.citations[0].span, Some(0..209));
    assert_eq!(r.citations[1].span, Some(211..644));
    for c in &r.citations {
        // The span is where its text sits in the answer, and this answer's
        // `end` is the offset of the last character (inclusive).
        let span = c.span.clone().unwrap();
        assert_eq!(Some(&r.text[span.start..=span.end]), c.text.as_deref());
        assert_eq!(c.references.len(), 1);
        let reference = &c.references[0];
        assert_eq!(reference.location_type.as_deref(), Some("CUSTOM"));
        assert_eq!(reference.uri.as_deref(), Some("2222"));
        assert!(
            reference
                .content
                .as_deref()
                .unwrap()
                .starts_with("Fig. 1. Overview of a LLM-powered autonomous agent system.")
        );
    }
    assert_eq!(r.guardrail_action, None);
    assert_eq!(r.report.operation, Operation::RetrieveAndGenerate);
    assert_eq!(r.report.served, ServedLatency::NotReported);
    assert_eq!(r.report.request_id, None, "no headers were recorded");

    let sent_body = sent_to(&rp, "/retrieveAndGenerate");
    assert_eq!(sent_body["input"], request["input"]);
    assert_eq!(sent_body["retrieveAndGenerateConfiguration"]["type"], "KNOWLEDGE_BASE");
    assert_eq!(
        sent_body["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"]["knowledgeBaseId"],
        "SSGLURQ9A5"
    );
}

/// RetrieveAndGenerateStream over an S3 document: 196 frames, 193 `output`
/// and 3 `citation`. The whole text equals the frames' texts joined; the
/// three citations, with their spans, texts and S3 references.
#[tokio::test]
async fn retrieve_and_generate_stream() {
    let fs = capture_frames("retrieve-and-generate-stream.body.bin");
    assert_eq!(fs.len(), 196);
    let outputs: Vec<String> = fs
        .iter()
        .filter(|m| event_type(m) == "output")
        .map(|m| payload(m)["text"].as_str().unwrap().to_owned())
        .collect();
    let cited: Vec<Value> = fs
        .iter()
        .filter(|m| event_type(m) == "citation")
        .map(|m| payload(m)["citation"].clone())
        .collect();
    assert_eq!((outputs.len(), cited.len()), (193, 3));
    let expected_text = outputs.concat();
    assert!(
        expected_text.starts_with("\nTelos is a knowledge representation language"),
        "{expected_text}"
    );
    let want: Vec<Citation> = cited.iter().map(citation_from_json).collect();

    let meta = read_json("retrieve-and-generate-stream.response-meta.json");
    let request: Value = serde_json::from_str(meta["request"]["body"].as_str().unwrap()).unwrap();
    let s3 =
        request["retrieveAndGenerateConfiguration"]["externalSourcesConfiguration"]["sources"][0]["s3Location"]["uri"]
            .as_str()
            .unwrap();
    let haiku = ModelId::parse("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
    let (resp, _) = recorded_response("retrieve-and-generate-stream");
    let rp = replay(resp);
    let mut stream = agent_client("ap-south-1", &rp)
        .retrieve_and_generate_external_stream(&haiku)
        .source_s3(s3)
        .query(request["input"]["text"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let (texts, citations, events) = drain(&mut stream).await;
    assert!(events.is_empty(), "unexpected {events:?}");
    assert_eq!(texts, outputs, "one text event per output frame, in order");
    assert_eq!(stream.text(), expected_text);
    assert_eq!(citations, want);
    assert_eq!(stream.citations(), want.as_slice());
    let spans: Vec<_> = citations.iter().map(|c| c.span.clone().unwrap()).collect();
    assert_eq!(spans, vec![0..401, 402..752, 753..1139]);
    for c in &citations {
        // Here `end` is exclusive (one past the last character): the
        // streamed answer counts differently from the unary one above.
        assert_eq!(Some(&expected_text[c.span.clone().unwrap()]), c.text.as_deref());
        assert_eq!(c.references.len(), 3);
        for reference in &c.references {
            assert_eq!(reference.location_type.as_deref(), Some("S3"));
            assert_eq!(reference.uri.as_deref(), Some(s3));
        }
    }
    let report = stream.report();
    assert_eq!(report.operation, Operation::RetrieveAndGenerateStream);
    assert!(report.timing.time_to_first_token.is_some());
    assert_eq!(report.served, ServedLatency::NotReported);
    // No response headers were recorded, so no session id came back.
    assert_eq!(stream.session_id(), None);

    let sent_body = sent_to(&rp, "/retrieveAndGenerateStream");
    assert_eq!(sent_body["input"], request["input"]);
    assert_eq!(
        sent_body["retrieveAndGenerateConfiguration"]["externalSourcesConfiguration"]["sources"],
        request["retrieveAndGenerateConfiguration"]["externalSourcesConfiguration"]["sources"]
    );
}

/// InvokeAgent with trace over a knowledge base: 5 `trace` frames and one
/// `chunk` whose `attribution.citations` cite the retrieved references; the
/// request id and session id from the recorded headers.
#[tokio::test]
async fn invoke_agent_kb_citations() {
    let fs = capture_frames("invoke-agent-kb-citations.body.bin");
    let kinds: Vec<&str> = fs.iter().map(event_type).collect();
    assert_eq!(kinds, ["trace", "trace", "trace", "trace", "trace", "chunk"]);
    let chunk = payload(&fs[5]);
    let expected_text = String::from_utf8(chunk_bytes(&fs[5])).unwrap();
    assert!(expected_text.starts_with("Task decomposition is a technique used to break down complex tasks"));
    let want: Vec<Citation> = chunk["attribution"]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(citation_from_json)
        .collect();
    assert_eq!(want.len(), 1);
    assert_eq!(want[0].span, Some(0..1468));
    assert_eq!(want[0].references.len(), 1);
    assert_eq!(want[0].references[0].location_type.as_deref(), Some("CUSTOM"));
    assert_eq!(want[0].references[0].uri.as_deref(), Some("2222"));

    let meta = read_json("invoke-agent-kb-citations.response-meta.json");
    let (resp, headers) = recorded_response("invoke-agent-kb-citations");
    let request: Value = serde_json::from_str(meta["request"]["body"].as_str().unwrap()).unwrap();
    let rp = replay(resp);
    // No session id is given: the one reported is the header's.
    let mut stream = agent_client("ap-south-1", &rp)
        .invoke_agent("G0OUMYARBX", "YYTTVM7BYE")
        .enable_trace(true)
        .input_text(request["inputText"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream.session_id(),
        Some(header(&headers, "x-amz-bedrock-agent-session-id"))
    );
    assert_eq!(stream.session_id(), Some("default-session1_1234567891"));
    let (texts, citations, events) = drain(&mut stream).await;
    let traces: Vec<_> = events.iter().map(|e| e.as_trace().expect("only traces")).collect();
    assert_eq!(traces.len(), 5);
    for t in &traces {
        assert_eq!(t.session_id(), Some("default-session1_1234567891"));
        assert_eq!(t.agent_id(), Some("G0OUMYARBX"));
    }
    assert_eq!(texts.concat(), expected_text);
    assert_eq!(stream.text(), expected_text);
    assert_eq!(citations, want);
    for c in &citations {
        // As in RetrieveAndGenerate, `end` is inclusive.
        let span = c.span.clone().unwrap();
        assert_eq!(Some(&expected_text[span.start..=span.end]), c.text.as_deref());
    }
    let report = stream.report();
    assert_eq!(report.operation, Operation::InvokeAgent);
    assert_eq!(report.request_id.as_deref(), Some(header(&headers, "x-amzn-requestid")));
    assert_eq!(
        report.request_id.as_deref(),
        Some("d7a3f421-997f-4a7d-8f2f-f2ef032f1154")
    );
    assert_eq!(report.model_id, None);
    assert_eq!(
        report.target,
        Some(bedrock_latency::Target::Agent {
            agent_id: "G0OUMYARBX".into(),
            alias_id: "YYTTVM7BYE".into()
        })
    );
    assert_eq!(report.served, ServedLatency::NotReported);

    let (uri, sent_body) = sent(&rp);
    assert!(
        uri.contains("/agents/G0OUMYARBX/agentAliases/YYTTVM7BYE/sessions/"),
        "{uri}"
    );
    assert_eq!(sent_body, request);
}

/// InvokeInlineAgent with trace (no response headers were recorded): 4
/// `trace` frames and 1 `chunk`.
#[tokio::test]
async fn invoke_inline_agent() {
    let fs = capture_frames("invoke-inline-agent.body.bin");
    let kinds: Vec<&str> = fs.iter().map(event_type).collect();
    assert_eq!(kinds, ["trace", "trace", "trace", "trace", "chunk"]);
    let expected_text = String::from_utf8(chunk_bytes(&fs[4])).unwrap();
    assert_eq!(
        expected_text,
        "The President of the United States in 2001 was George W. Bush."
    );

    let meta = read_json("invoke-inline-agent.response-meta.json");
    let request: Value = serde_json::from_str(meta["request"]["body"].as_str().unwrap()).unwrap();
    let session = meta["request"]["uri"].as_str().unwrap().rsplit('/').next().unwrap();
    assert_eq!(session, "default_session_id2");
    let (resp, headers) = recorded_response("invoke-inline-agent");
    assert!(headers.is_empty(), "none were recorded");
    let rp = replay(resp);
    let sonnet = ModelId::parse(request["foundationModel"].as_str().unwrap()).unwrap();
    let mut stream = agent_client("us-east-1", &rp)
        .inline_agent(&sonnet)
        .instruction(request["instruction"].as_str().unwrap())
        .input_text(request["inputText"].as_str().unwrap())
        .enable_trace(true)
        .session_id(session)
        .send()
        .await
        .unwrap();
    let (texts, citations, events) = drain(&mut stream).await;
    assert!(citations.is_empty(), "{citations:?}");
    let traces: Vec<_> = events.iter().map(|e| e.as_trace().expect("only traces")).collect();
    assert_eq!(traces.len(), 4);
    for t in &traces {
        assert_eq!(t.session_id(), Some(session));
        assert!(t.trace().is_some());
    }
    assert_eq!(texts, [expected_text.as_str()]);
    assert_eq!(stream.text(), expected_text);
    assert!(stream.citations().is_empty());
    assert_eq!(stream.session_id(), Some(session));
    let report = stream.report();
    assert_eq!(report.operation, Operation::InlineAgent);
    assert_eq!(
        report.model_id.as_deref(),
        Some("anthropic.claude-3-5-sonnet-20240620-v1:0")
    );
    assert_eq!(report.served, ServedLatency::NotReported);
    assert!(report.timing.time_to_first_token.is_some());

    let sent_body = sent_to(&rp, "/agents/default_session_id2");
    for key in ["foundationModel", "instruction", "inputText", "enableTrace"] {
        assert_eq!(sent_body[key], request[key], "{key}");
    }
}
