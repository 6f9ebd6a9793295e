//! bedrock-agent-runtime at the HTTP boundary: the real SDK client over a
//! replay connector. What goes over the wire (the exact JSON paths of
//! `performanceConfig`), what a refused call sends (nothing), and how
//! event-stream frames are reassembled into answers.

use crate::support::{Collected as _, Request as _};

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_http_client::test_util::StaticReplayClient;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;
use bedrock_latency::agent::{AgentEvent, Citation, Reference};
use bedrock_latency::models::{Claude35Haiku, NovaLite, NovaPro};
use bedrock_latency::{
    Client, DowngradeReason, Error, Latency, LatencyPolicy, ModelId, Operation, RefusalReason, ServedLatency,
    ServiceErrorKind,
};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::replay::{agent_client, replay, response, sent, sent_to};
use crate::sdk_clients::{agent_optimized, agent_perf, inline_optimized};

const QUESTION: &str = "桃太郎はどこで生まれましたか?";

/// Every path in `body` that holds a `performanceConfig`.
fn performance_paths(v: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{k}");
                if k == "performanceConfig" {
                    out.push((p.clone(), x.clone()));
                }
                performance_paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                performance_paths(x, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn perf_paths(body: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    performance_paths(body, "", &mut out);
    out
}

/// `body` asks for optimized latency at exactly these JSON paths.
fn assert_optimized_at(body: &Value, paths: &[&str]) {
    let want: Vec<(String, Value)> = paths
        .iter()
        .map(|p| ((*p).to_owned(), json!({"latency": "optimized"})))
        .collect();
    assert_eq!(perf_paths(body), want, "{body}");
}

/// One request was sent, asking for no latency anywhere in its body.
fn assert_sent_without_performance_config(rp: &StaticReplayClient) {
    let (_, body) = sent(rp);
    assert!(perf_paths(&body).is_empty(), "{body}");
}

fn frame(message_type: &str, type_header: &'static str, kind: &str, payload: &Value) -> Vec<u8> {
    let h = |n: &'static str, v: &str| Header::new(n, HeaderValue::String(v.to_owned().into()));
    let msg = Message::new(bytes::Bytes::from(payload.to_string()))
        .add_header(h(type_header, kind))
        .add_header(h(":content-type", "application/json"))
        .add_header(h(":message-type", message_type));
    let mut buf = Vec::new();
    write_message_to(&msg, &mut buf).unwrap();
    buf
}

fn event(kind: &str, payload: &Value) -> Vec<u8> {
    frame("event", ":event-type", kind, payload)
}

fn exception(kind: &str, message: &str) -> Vec<u8> {
    frame("exception", ":exception-type", kind, &json!({ "message": message }))
}

fn chunk(bytes: &[u8]) -> Vec<u8> {
    event(
        "chunk",
        &json!({ "bytes": base64::engine::general_purpose::STANDARD.encode(bytes) }),
    )
}

fn stream_response(session_header: &str, session: &str, frames: Vec<Vec<u8>>) -> http::Response<SdkBody> {
    response(
        200,
        &[
            ("content-type", "application/vnd.amazon.eventstream"),
            (session_header, session),
            ("x-amzn-requestid", "req-agent-1"),
        ],
        frames.concat(),
    )
}

const AGENT_SESSION: &str = "x-amz-bedrock-agent-session-id";
const KB_SESSION: &str = "x-amzn-bedrock-knowledge-base-session-id";

/// The answer, split so that a multi-byte character straddles two chunks.
fn answer_chunks() -> (String, Vec<Vec<u8>>) {
    let answer = "桃太郎は岡山で生まれました。";
    let bytes = answer.as_bytes();
    // 4 is inside the second character (each is 3 bytes).
    let frames = vec![chunk(&bytes[..4]), chunk(&bytes[4..20]), chunk(&bytes[20..])];
    (answer.to_owned(), frames)
}

// ---------------------------------------------------------------- inline agent

#[tokio::test]
async fn inline_agent_optimized_sends_bedrock_model_configurations_and_reassembles_chunks() {
    let (answer, frames) = answer_chunks();
    let rp = replay(stream_response(AGENT_SESSION, "sess-42", frames));
    let stream = agent_client("us-east-2", &rp)
        .inline_agent(Claude35Haiku)
        .optimized()
        .instruction("You answer questions about Japanese folk tales.")
        .input_text(QUESTION)
        .session_id("sess-42")
        .stream_final_response(true)
        .send()
        .await
        .unwrap();
    let r = stream.collect_response().await.unwrap();
    assert_eq!(r.text, answer);
    assert_eq!(r.session_id.as_deref(), Some("sess-42"));
    assert_eq!(r.report.request_id.as_deref(), Some("req-agent-1"));
    assert_eq!(r.report.served, ServedLatency::NotReported);
    assert_eq!(r.report.sent, Latency::Optimized);
    assert_eq!(r.report.operation, Operation::InlineAgent);
    assert!(!r.report.downgraded());
    let ttft = r.report.timing.time_to_first_token.expect("TTFT measured");
    assert!(ttft <= r.report.timing.total);

    let (uri, body) = sent(&rp);
    assert!(uri.contains("/agents/sess-42"), "{uri}");
    assert_eq!(body["foundationModel"], "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    assert_eq!(
        body.pointer("/bedrockModelConfigurations/performanceConfig"),
        Some(&json!({"latency": "optimized"}))
    );
    assert_eq!(body["inputText"], QUESTION);
    assert_eq!(body["streamingConfigurations"]["streamFinalResponse"], true);
    assert_optimized_at(&body, &["/bedrockModelConfigurations/performanceConfig"]);
}

#[tokio::test]
async fn inline_agent_standard_carries_no_performance_config_and_gets_a_session_id() {
    let (_, frames) = answer_chunks();
    let rp = replay(stream_response(AGENT_SESSION, "server-session", frames));
    let r = agent_client("us-east-2", &rp)
        .inline_agent(Claude35Haiku)
        .instruction("Answer briefly.")
        .input_text(QUESTION)
        .answer()
        .await;
    assert_eq!(r.report.sent, Latency::Standard);
    let (uri, body) = sent(&rp);
    assert_eq!(body["foundationModel"], "anthropic.claude-3-5-haiku-20241022-v1:0");
    assert!(body.get("bedrockModelConfigurations").is_none(), "{body}");
    assert!(perf_paths(&body).is_empty(), "{body}");
    // A session id was generated and is in the path.
    let generated = uri.rsplit("/agents/").next().unwrap().trim_end_matches('/');
    assert_eq!(generated.len(), 36, "{uri}");
    // The answer's session id is what the service said.
    assert_eq!(r.session_id.as_deref(), Some("server-session"));
}

#[tokio::test]
async fn customize_cannot_sneak_optimized_past_the_check() {
    let (_, frames) = answer_chunks();
    let rp = replay(stream_response(AGENT_SESSION, "s", frames));
    agent_client("us-east-2", &rp)
        .inline_agent(NovaLite)
        .instruction("x")
        .input_text("y")
        .map_input(|b| b.bedrock_model_configurations(inline_optimized()))
        .answer()
        .await;
    assert_sent_without_performance_config(&rp);
}

#[tokio::test]
async fn a_mid_stream_exception_keeps_the_partial_text() {
    let frames = vec![
        chunk("桃太郎は".as_bytes()),
        chunk("岡山".as_bytes()),
        exception("internalServerException", "the agent failed"),
        chunk("で生まれました。".as_bytes()),
    ];
    let rp = replay(stream_response(AGENT_SESSION, "s", frames));
    let mut stream = agent_client("us-east-2", &rp)
        .inline_agent(Claude35Haiku)
        .optimized()
        .instruction("x")
        .input_text(QUESTION)
        .send()
        .await
        .unwrap();
    let mut texts = Vec::new();
    let err = loop {
        match stream.next().await {
            Some(Ok(AgentEvent::Text(t))) => texts.push(t),
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(e)) => break e,
            None => panic!("the stream should fail"),
        }
    };
    assert_eq!(texts, ["桃太郎は", "岡山"]);
    match &err {
        Error::StreamInterrupted {
            operation,
            partial_text,
            ..
        } => {
            assert_eq!(*operation, Operation::InlineAgent);
            assert_eq!(partial_text, "桃太郎は岡山");
        }
        other => panic!("expected StreamInterrupted, got {other:?}"),
    }
    let se = err.service_error().expect("the service error is kept");
    assert_eq!(se.message(), Some("the agent failed"));
    assert_eq!(se.code(), Some("InternalServerException"));
    // The frame has no request id of its own: the response's is given it.
    assert_eq!(err.request_id(), Some("req-agent-1"));
    assert!(stream.next().await.is_none(), "a failed stream ends");
}

#[tokio::test]
async fn a_truncated_stream_keeps_the_partial_text() {
    let mut bytes = [chunk("桃太郎は".as_bytes()), chunk("岡山".as_bytes())].concat();
    let last = chunk("で生まれました。".as_bytes());
    bytes.extend_from_slice(&last[..last.len() / 2]);
    let rp = replay(response(
        200,
        &[
            ("content-type", "application/vnd.amazon.eventstream"),
            (AGENT_SESSION, "s"),
        ],
        bytes,
    ));
    let err = agent_client("us-east-2", &rp)
        .inline_agent(Claude35Haiku)
        .instruction("x")
        .input_text(QUESTION)
        .send()
        .collected()
        .await
        .unwrap_err();
    match &err {
        Error::StreamInterrupted { partial_text, .. } => assert_eq!(partial_text, "桃太郎は岡山"),
        other => panic!("expected StreamInterrupted, got {other:?}"),
    }
}

#[tokio::test]
async fn trace_events_pass_through_and_chunk_attributions_become_citations() {
    let frames = vec![
        event(
            "trace",
            &json!({"sessionId": "s", "trace": {"orchestrationTrace": {"rationale": {"text": "look it up", "traceId": "t1"}}}}),
        ),
        event(
            "chunk",
            &json!({
                "bytes": base64::engine::general_purpose::STANDARD.encode("岡山です。"),
                "attribution": {"citations": [{
                    "generatedResponsePart": {"textResponsePart": {"text": "岡山です。", "span": {"start": 0, "end": 4}}},
                    "retrievedReferences": [{
                        "content": {"text": "桃太郎は岡山の物語"},
                        "location": {"type": "S3", "s3Location": {"uri": "s3://tales/momotaro.txt"}}
                    }]
                }]}
            }),
        ),
    ];
    let rp = replay(stream_response(AGENT_SESSION, "s", frames));
    let mut stream = agent_client("us-east-2", &rp)
        .inline_agent(Claude35Haiku)
        .instruction("x")
        .input_text(QUESTION)
        .enable_trace(true)
        .send()
        .await
        .unwrap();
    let mut kinds = Vec::new();
    while let Some(ev) = stream.next().await {
        kinds.push(match ev.unwrap() {
            AgentEvent::Event(agent_sdk::types::InlineAgentResponseStream::Trace(t)) => {
                assert_eq!(t.session_id(), Some("s"));
                "trace"
            }
            AgentEvent::Text(t) => {
                assert_eq!(t, "岡山です。");
                "text"
            }
            AgentEvent::Citation(_) => "citation",
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(kinds, ["trace", "text", "citation"]);
    assert_eq!(
        stream.citations(),
        [Citation {
            text: Some("岡山です。".into()),
            span: Some(0..4),
            references: vec![Reference {
                location_type: Some("S3".into()),
                uri: Some("s3://tales/momotaro.txt".into()),
                content: Some("桃太郎は岡山の物語".into()),
            }],
        }]
    );
    let (_, body) = sent(&rp);
    assert_eq!(body["enableTrace"], true);
}

// ---------------------------------------------------------------- RetrieveAndGenerate

fn rag_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "sessionId": "kb-session-1",
        "output": {"text": "桃太郎は岡山で生まれました。"},
        "citations": [{
            "generatedResponsePart": {"textResponsePart": {"text": "桃太郎は岡山で生まれました。", "span": {"start": 0, "end": 13}}},
            "retrievedReferences": [
                {"content": {"text": "むかしむかし、岡山に..."}, "location": {"type": "S3", "s3Location": {"uri": "s3://tales/momotaro.txt"}}},
                {"content": {"text": "Momotaro"}, "location": {"type": "WEB", "webLocation": {"url": "https://example.org/momotaro"}}}
            ]
        }],
        "guardrailAction": "NONE"
    }))
    .unwrap()
}

fn rag_ok() -> StaticReplayClient {
    replay(response(
        200,
        &[("content-type", "application/json"), ("x-amzn-requestid", "req-rag-1")],
        rag_body(),
    ))
}

#[tokio::test]
async fn retrieve_and_generate_optimized_sets_the_generation_configuration() {
    let rp = rag_ok();
    let r = agent_client("us-east-2", &rp)
        .retrieve_and_generate("KB12345678", Claude35Haiku)
        .optimized()
        .query(QUESTION)
        .number_of_results(5)
        .answer()
        .await;
    assert_eq!(r.text, "桃太郎は岡山で生まれました。");
    assert_eq!(r.session_id.as_deref(), Some("kb-session-1"));
    assert_eq!(r.guardrail_action.as_deref(), Some("NONE"));
    assert_eq!(r.report.request_id.as_deref(), Some("req-rag-1"));
    assert_eq!(r.report.served, ServedLatency::NotReported);
    assert_eq!(r.report.sent, Latency::Optimized);
    assert_eq!(r.citations.len(), 1);
    let c = &r.citations[0];
    assert_eq!(c.span, Some(0..13));
    let uris: Vec<_> = c.references.iter().map(|x| x.uri.as_deref().unwrap()).collect();
    assert_eq!(uris, ["s3://tales/momotaro.txt", "https://example.org/momotaro"]);

    let body = sent_to(&rp, "/retrieveAndGenerate");
    let kb = &body["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"];
    assert_eq!(body["retrieveAndGenerateConfiguration"]["type"], "KNOWLEDGE_BASE");
    assert_eq!(kb["knowledgeBaseId"], "KB12345678");
    assert_eq!(kb["modelArn"], "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    assert_eq!(
        kb["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"],
        5
    );
    assert_eq!(body["input"]["text"], QUESTION);
    assert_optimized_at(
        &body,
        &["/retrieveAndGenerateConfiguration/knowledgeBaseConfiguration/generationConfiguration/performanceConfig"],
    );
}

#[tokio::test]
async fn retrieve_and_generate_with_orchestration_sets_both_configurations() {
    let rp = rag_ok();
    agent_client("us-east-2", &rp)
        .retrieve_and_generate("KB12345678", NovaPro)
        .optimized()
        .query(QUESTION)
        .prompt_template("Answer from $search_results$ only.")
        .orchestration(
            agent_sdk::types::OrchestrationConfiguration::builder()
                .query_transformation_configuration(
                    agent_sdk::types::QueryTransformationConfiguration::builder()
                        .r#type(agent_sdk::types::QueryTransformationType::QueryDecomposition)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (_, body) = sent(&rp);
    let kb = "/retrieveAndGenerateConfiguration/knowledgeBaseConfiguration";
    assert_optimized_at(
        &body,
        &[
            &format!("{kb}/generationConfiguration/performanceConfig"),
            &format!("{kb}/orchestrationConfiguration/performanceConfig"),
        ],
    );
    assert_eq!(
        body.pointer(&format!(
            "{kb}/generationConfiguration/promptTemplate/textPromptTemplate"
        )),
        Some(&json!("Answer from $search_results$ only."))
    );
    assert_eq!(
        body.pointer(&format!("{kb}/modelArn")),
        Some(&json!("us.amazon.nova-pro-v1:0"))
    );
}

#[tokio::test]
async fn retrieve_and_generate_standard_never_carries_it() {
    let rp = rag_ok();
    agent_client("us-east-1", &rp)
        .retrieve_and_generate("KB12345678", NovaLite)
        .query(QUESTION)
        .orchestration_prompt_template("Rewrite: $query$")
        .guardrail("gr-1", "1")
        // A customize closure that asks for optimized is overridden by the plan.
        .map_input(|b| {
            let mut c = b.get_retrieve_and_generate_configuration().clone().unwrap();
            let g = c
                .knowledge_base_configuration
                .as_mut()
                .and_then(|kb| kb.generation_configuration.as_mut())
                .unwrap();
            g.performance_config = Some(agent_perf(agent_sdk::types::PerformanceConfigLatency::Optimized));
            b.retrieve_and_generate_configuration(c)
        })
        .send()
        .await
        .unwrap();
    let (_, body) = sent(&rp);
    assert!(perf_paths(&body).is_empty(), "{body}");
    let kb = &body["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"];
    assert_eq!(
        kb["modelArn"],
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    );
    assert_eq!(
        kb["generationConfiguration"]["guardrailConfiguration"],
        json!({"guardrailId": "gr-1", "guardrailVersion": "1"})
    );
    assert_eq!(
        kb["orchestrationConfiguration"]["promptTemplate"]["textPromptTemplate"],
        "Rewrite: $query$"
    );
}

#[tokio::test]
async fn external_sources_optimized_sets_their_generation_configuration() {
    let rp = rag_ok();
    let r = agent_client("us-west-2", &rp)
        .retrieve_and_generate_external(Claude35Haiku)
        .optimized()
        .query(QUESTION)
        .source_s3("s3://tales/momotaro.pdf")
        .source_bytes("note", "text/plain", "桃太郎は岡山の話です。".as_bytes())
        .answer()
        .await;
    assert_eq!(r.report.sent, Latency::Optimized);
    let (_, body) = sent(&rp);
    let ext = &body["retrieveAndGenerateConfiguration"]["externalSourcesConfiguration"];
    assert_eq!(body["retrieveAndGenerateConfiguration"]["type"], "EXTERNAL_SOURCES");
    assert_eq!(ext["modelArn"], "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    assert_eq!(ext["sources"][0]["sourceType"], "S3");
    assert_eq!(ext["sources"][0]["s3Location"]["uri"], "s3://tales/momotaro.pdf");
    assert_eq!(ext["sources"][1]["sourceType"], "BYTE_CONTENT");
    assert_eq!(ext["sources"][1]["byteContent"]["contentType"], "text/plain");
    assert_optimized_at(
        &body,
        &["/retrieveAndGenerateConfiguration/externalSourcesConfiguration/generationConfiguration/performanceConfig"],
    );

    // And standard never.
    let rp = rag_ok();
    agent_client("us-west-2", &rp)
        .retrieve_and_generate_external(Claude35Haiku)
        .query(QUESTION)
        .source_s3("s3://tales/momotaro.pdf")
        .max_tokens(200)
        .answer()
        .await;
    assert_sent_without_performance_config(&rp);
}

#[tokio::test]
async fn retrieve_and_generate_stream_reassembles_output_and_citations() {
    let frames = vec![
        event("output", &json!({"text": "桃太郎は"})),
        event("output", &json!({"text": "岡山で生まれました。"})),
        event(
            "citation",
            &json!({
                "generatedResponsePart": {"textResponsePart": {"text": "桃太郎は岡山で生まれました。", "span": {"start": 0, "end": 13}}},
                "retrievedReferences": [{"location": {"type": "WEB", "webLocation": {"url": "https://example.org/momotaro"}}}]
            }),
        ),
        event("guardrail", &json!({"action": "NONE"})),
    ];
    let rp = replay(stream_response(KB_SESSION, "kb-session-2", frames));
    let mut stream = agent_client("us-east-2", &rp)
        .retrieve_and_generate_stream("KB12345678", Claude35Haiku)
        .optimized()
        .query(QUESTION)
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let mut saw = (0, 0);
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            AgentEvent::Text(t) => {
                text.push_str(&t);
                saw.0 += 1;
            }
            AgentEvent::Citation(c) => {
                assert_eq!(c.references[0].uri.as_deref(), Some("https://example.org/momotaro"));
                saw.1 += 1;
            }
            AgentEvent::Event(agent_sdk::types::RetrieveAndGenerateStreamResponseOutput::Guardrail(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(text, "桃太郎は岡山で生まれました。");
    assert_eq!(saw, (2, 1));
    assert_eq!(stream.session_id(), Some("kb-session-2"));
    let report = stream.report();
    assert_eq!(report.operation, Operation::RetrieveAndGenerateStream);
    assert_eq!(report.served, ServedLatency::NotReported);
    assert!(report.timing.time_to_first_token.is_some());
    assert!(report.timing.time_to_first_token <= Some(report.timing.total));

    let body = sent_to(&rp, "/retrieveAndGenerateStream");
    assert_optimized_at(
        &body,
        &["/retrieveAndGenerateConfiguration/knowledgeBaseConfiguration/generationConfiguration/performanceConfig"],
    );
}

#[tokio::test]
async fn a_service_error_is_typed_with_its_message() {
    let rp = replay(response(
        400,
        &[
            ("content-type", "application/json"),
            ("x-amzn-errortype", "ValidationException"),
            ("x-amzn-requestid", "req-bad"),
        ],
        br#"{"message":"Latency performance configuration is not supported for us.amazon.nova-pro-v1:0 in us-east-2"}"#
            .to_vec(),
    ));
    let err = agent_client("us-east-2", &rp)
        .retrieve_and_generate("KB12345678", NovaPro)
        .optimized()
        .query(QUESTION)
        .error()
        .await;
    let se = err.service_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(se.kind(), ServiceErrorKind::Validation);
    assert_eq!(se.status(), Some(400));
    assert_eq!(se.request_id(), Some("req-bad"));
    assert!(se.message().unwrap().contains("not supported"), "{se}");
    assert_eq!(se.operation(), Operation::RetrieveAndGenerate);
}

// ---------------------------------------------------------------- refusals

#[tokio::test]
async fn refused_calls_send_nothing() {
    let rp = StaticReplayClient::new(vec![]);
    let c = agent_client("us-east-1", &rp);
    // Claude 3.5 Haiku is not served optimized from us-east-1.
    let not_here = [
        c.inline_agent(Claude35Haiku)
            .optimized()
            .instruction("x")
            .input_text(QUESTION)
            .refusal()
            .await,
        c.retrieve_and_generate("KB12345678", Claude35Haiku)
            .optimized()
            .query(QUESTION)
            .refusal()
            .await,
        c.retrieve_and_generate_stream("KB12345678", Claude35Haiku)
            .optimized()
            .query(QUESTION)
            .refusal()
            .await,
    ];
    let called = [
        Operation::InlineAgent,
        Operation::RetrieveAndGenerate,
        Operation::RetrieveAndGenerateStream,
    ];
    for (refusal, operation) in not_here.into_iter().zip(called) {
        assert!(
            matches!(refusal.reason, RefusalReason::RegionNotServed { .. }),
            "{refusal}"
        );
        assert_eq!(refusal.operation, operation, "{refusal}");
    }
    // A model with no optimized latency, known only at run time.
    let lite = ModelId::parse("amazon.nova-lite-v1:0").unwrap();
    let refusal = c
        .retrieve_and_generate_external(&lite)
        .latency(LatencyPolicy::Optimized)
        .query(QUESTION)
        .source_s3("s3://b/k")
        .refusal()
        .await;
    assert!(
        matches!(refusal.reason, RefusalReason::NoOptimizedLatency { .. }),
        "{refusal}"
    );
    let refusal = c
        .invoke_agent("AGENT12345", "ALIAS12345")
        .latency(LatencyPolicy::Optimized)
        .input_text(QUESTION);
    let refusal = refusal.refusal().await;
    assert!(
        matches!(refusal.reason, RefusalReason::OperationIgnores { .. }),
        "{refusal}"
    );
    assert!(refusal.to_string().contains("does not honor"), "{refusal}");
    assert_eq!(rp.actual_requests().count(), 0);
}

// ---------------------------------------------------------------- InvokeAgent

#[tokio::test]
async fn invoke_agent_never_carries_the_setting() {
    for policy in [LatencyPolicy::Standard, LatencyPolicy::PreferOptimized] {
        let (answer, frames) = answer_chunks();
        let rp = replay(stream_response(AGENT_SESSION, "agent-session", frames));
        let r = agent_client("us-east-2", &rp)
            .invoke_agent("AGENT12345", "ALIAS12345")
            .latency(policy)
            .input_text(QUESTION)
            // Even a customize closure cannot add it.
            .map_input(|b| b.bedrock_model_configurations(agent_optimized()))
            .answer()
            .await;
        assert_eq!(r.text, answer);
        assert_eq!(r.session_id.as_deref(), Some("agent-session"));
        assert_eq!(r.report.sent, Latency::Standard);
        assert_eq!(r.report.served, ServedLatency::NotReported);
        assert_eq!(r.report.model_id, None, "InvokeAgent names no model");
        assert_eq!(
            r.report.target,
            Some(bedrock_latency::Target::Agent {
                agent_id: "AGENT12345".into(),
                alias_id: "ALIAS12345".into()
            })
        );
        if policy == LatencyPolicy::PreferOptimized {
            assert!(
                matches!(
                    r.report.downgrade,
                    Some(DowngradeReason::NotSent(RefusalReason::OperationIgnores { .. }))
                ),
                "{:?}",
                r.report.downgrade
            );
        } else {
            assert!(!r.report.downgraded());
        }
        let (uri, body) = sent(&rp);
        assert!(
            uri.contains("/agents/AGENT12345/agentAliases/ALIAS12345/sessions/"),
            "{uri}"
        );
        assert!(body.get("bedrockModelConfigurations").is_none(), "{body}");
        assert!(perf_paths(&body).is_empty(), "{body}");
        assert_eq!(body["inputText"], QUESTION);
    }
}

// ---------------------------------------------------------------- flows

#[tokio::test]
async fn flows_send_the_setting_only_when_opted_in() {
    let flow_frames = || {
        vec![
            event(
                "flowOutputEvent",
                &json!({"nodeName": "FlowOutputNode", "nodeType": "Output", "content": {"document": "岡山です。"}}),
            ),
            event("flowCompletionEvent", &json!({"completionReason": "SUCCESS"})),
        ]
    };
    for opt_in in [false, true] {
        let rp = replay(stream_response(
            "x-amz-bedrock-flow-execution-id",
            "exec-1",
            flow_frames(),
        ));
        let mut req = agent_client("us-east-2", &rp)
            .invoke_flow("FLOW123456", "ALIAS12345")
            .text_input(QUESTION);
        if opt_in {
            req = req.unverified_optimized_latency();
        }
        let r = req.send().await.unwrap().collect_response().await.unwrap();
        assert_eq!(r.text, "岡山です。");
        assert_eq!(r.completion_reason.as_deref(), Some("SUCCESS"));
        assert_eq!(r.session_id.as_deref(), Some("exec-1"));
        assert_eq!(r.report.served, ServedLatency::NotReported);
        let (_, body) = sent(&rp);
        assert_eq!(body["inputs"][0]["nodeName"], "FlowInputNode");
        assert_eq!(body["inputs"][0]["content"]["document"], QUESTION);
        if opt_in {
            assert_eq!(r.report.sent, Latency::Optimized);
            assert_optimized_at(&body, &["/modelPerformanceConfiguration/performanceConfig"]);
        } else {
            assert_eq!(r.report.sent, Latency::Standard);
            assert!(perf_paths(&body).is_empty(), "{body}");
        }
    }

    let rp = replay(response(
        200,
        &[("content-type", "application/json")],
        br#"{"executionArn":"arn:aws:bedrock:us-east-2:123456789012:flow/FLOW123456/alias/ALIAS12345/execution/e1"}"#
            .to_vec(),
    ));
    let started = agent_client("us-east-2", &rp)
        .start_flow_execution("FLOW123456", "ALIAS12345")
        .text_input(QUESTION)
        .unverified_optimized_latency()
        .answer()
        .await;
    assert!(started.execution_arn.unwrap().ends_with("/execution/e1"));
    let (_, body) = sent(&rp);
    assert_eq!(
        body.pointer("/modelPerformanceConfiguration/performanceConfig"),
        Some(&json!({"latency": "optimized"}))
    );
}

#[tokio::test]
async fn a_client_without_an_agent_runtime_says_so() {
    let c = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(
            aws_sdk_bedrockruntime::Client::from_conf(
                aws_sdk_bedrockruntime::Config::builder()
                    .behavior_version(aws_sdk_bedrockruntime::config::BehaviorVersion::latest())
                    .region(aws_sdk_bedrockruntime::config::Region::new("us-east-2"))
                    .build(),
            ),
        ))
        .region("us-east-2")
        .build()
        .unwrap();
    let err = c
        .inline_agent(Claude35Haiku)
        .instruction("x")
        .input_text("y")
        .error()
        .await;
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
}
