//! `bedrock_latency::mock`: every canned answer through the client: what the mock returns is what
//! the crate reads, field by field.

use crate::support::{Collected as _, Request as _};

use std::time::Duration;

use bedrock_latency::agent::{AgentEvent, MockBedrockAgentRuntimeApi, RawAgentStream};
use bedrock_latency::mock::{Answer, start_flow_execution};
use bedrock_latency::models::{Llama31Instruct70b, NovaPro};
use bedrock_latency::runtime::StreamEvent::TextDelta;
use bedrock_latency::runtime::{MockBedrockRuntimeApi, ModelFamily, SdkRuntime};
use bedrock_latency::{
    Client, Error, Latency, ModelId, Operation, ServedLatency, ServiceErrorKind, ServiceTier, Usage,
};
use futures::StreamExt;

fn answer() -> Answer {
    Answer::chunks(["Oka", "yama."])
        .usage(12, 3)
        .server_latency_ms(180)
        .served(Latency::Optimized)
        .served_tier(ServiceTier::Priority)
        .request_id("req-1")
}

fn runtime_client(mock: MockBedrockRuntimeApi) -> Client<MockBedrockRuntimeApi> {
    Client::builder().runtime(mock).region("us-east-2").build().unwrap()
}

fn agent_client(mock: MockBedrockAgentRuntimeApi) -> Client<SdkRuntime, MockBedrockAgentRuntimeApi> {
    Client::builder()
        .agent_runtime(mock)
        .region("us-east-2")
        .build()
        .unwrap()
}

const USAGE: Usage = Usage {
    input_tokens: 12,
    output_tokens: 3,
};

/// The text pieces of a stream, in order (an error fails the test).
async fn texts<T, S>(stream: &mut S, text: impl Fn(T) -> Option<String>) -> Vec<String>
where
    S: futures::Stream<Item = bedrock_latency::Result<T>> + Unpin,
{
    let mut texts = Vec::new();
    while let Some(ev) = stream.next().await {
        texts.extend(text(ev.unwrap()));
    }
    texts
}

#[tokio::test]
async fn converse_reports_every_canned_fact() {
    let mut m = MockBedrockRuntimeApi::new();
    let a = answer();
    m.expect_converse().times(1).returning(move |_| a.converse());
    let r = runtime_client(m).converse(NovaPro).optimized().user("q").answer().await;
    assert_eq!(r.text, "Okayama.");
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(r.report.usage, Some(USAGE));
    assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(180)));
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(r.report.served_tier, Some(ServiceTier::Priority));
    assert_eq!(r.report.request_id.as_deref(), Some("req-1"));
}

#[tokio::test]
async fn unset_facts_are_not_reported() {
    let mut m = MockBedrockRuntimeApi::new();
    m.expect_converse().returning(|_| Answer::text("hi").converse());
    let r = runtime_client(m).converse(NovaPro).user("q").answer().await;
    assert_eq!(r.text, "hi");
    assert_eq!(r.report.usage, None);
    assert_eq!(r.report.timing.server_latency, None);
    assert_eq!(r.report.served, ServedLatency::NotReported);
    assert_eq!(r.report.served_tier, None);
}

#[tokio::test]
async fn converse_stream_sends_one_delta_per_chunk_then_the_metadata() {
    let mut m = MockBedrockRuntimeApi::new();
    let a = answer();
    m.expect_converse_stream().returning(move |_| a.converse_stream());
    let mut s = runtime_client(m)
        .converse_stream(NovaPro)
        .optimized()
        .user("q")
        .send()
        .await
        .unwrap();
    let delta = |e| if let TextDelta(t) = e { Some(t) } else { None };
    let texts = texts(&mut s, delta).await;
    assert_eq!(texts, ["Oka", "yama."]);
    let r = s.report();
    assert_eq!(r.usage, Some(USAGE));
    assert_eq!(r.timing.server_latency, Some(Duration::from_millis(180)));
    assert_eq!(r.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(r.served_tier, Some(ServiceTier::Priority));
    assert!(r.timing.time_to_first_token.is_some());
}

#[tokio::test]
async fn invoke_model_bodies_in_each_family_dialect() {
    for (family, model) in [
        (ModelFamily::Llama, "us.meta.llama3-1-70b-instruct-v1:0"),
        (ModelFamily::Nova, "us.amazon.nova-pro-v1:0"),
        (ModelFamily::Anthropic, "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ] {
        let mut m = MockBedrockRuntimeApi::new();
        let a = answer();
        m.expect_invoke_model().returning(move |_| a.invoke_model(family));
        let a = answer();
        m.expect_invoke_model_stream()
            .returning(move |_| a.invoke_model_stream(family));
        let c = runtime_client(m);
        let model: ModelId = model.parse().unwrap();
        let r = c.invoke_model(&model).prompt("q", 10).answer().await;
        assert_eq!(r.text.as_deref(), Some("Okayama."), "{family:?}");
        assert_eq!(r.report.usage, Some(USAGE), "{family:?}");
        assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
        assert_eq!(r.report.served_tier, Some(ServiceTier::Priority));
        assert!(r.stop_reason.is_some(), "{family:?}");
        let r = c.invoke_model_stream(&model).prompt("q", 10).answer().await;
        assert_eq!(r.text.as_deref(), Some("Okayama."), "{family:?}");
        assert_eq!(r.report.usage, Some(USAGE), "{family:?}");
        assert_eq!(r.report.timing.server_latency, Some(Duration::from_millis(180)));
        assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
        assert!(r.stop_reason.is_some(), "{family:?}");
    }
    assert!(matches!(
        answer().invoke_model(ModelFamily::Other),
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn an_interrupted_stream_keeps_the_text_and_names_the_operation() {
    let mut m = MockBedrockRuntimeApi::new();
    m.expect_converse_stream().returning(|_| {
        Answer::chunks(["Oka"])
            .interrupted(ServiceErrorKind::ModelError)
            .converse_stream()
    });
    let e = runtime_client(m)
        .converse_stream(NovaPro)
        .user("q")
        .send()
        .collected()
        .await
        .unwrap_err();
    match &e {
        Error::StreamInterrupted {
            partial_text,
            operation,
            ..
        } => {
            assert_eq!(partial_text, "Oka");
            assert_eq!(*operation, Operation::ConverseStream);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn agent_streams_carry_text_citations_and_session() {
    let mut m = MockBedrockAgentRuntimeApi::new();
    let a = answer().session_id("s-1").citation("Okayama", "s3://kb/momotaro.txt");
    let b = a.clone();
    let c = a.clone();
    m.expect_invoke_inline_agent().returning(move |_| a.inline_agent());
    m.expect_invoke_agent().returning(move |_| b.invoke_agent());
    m.expect_retrieve_and_generate_stream()
        .returning(move |_| c.retrieve_and_generate_stream());
    let client = agent_client(m);
    let inline = client
        .inline_agent(Llama31Instruct70b)
        .optimized()
        .instruction("i")
        .input_text("q")
        .answer()
        .await;
    let agent = client
        .invoke_agent("AGENT12345", "ALIAS12345")
        .input_text("q")
        .answer()
        .await;
    let rag = client
        .retrieve_and_generate_stream("KB12345678", Llama31Instruct70b)
        .optimized()
        .query("q")
        .answer()
        .await;
    for r in [&inline, &agent, &rag] {
        assert_eq!(r.text, "Okayama.", "{:?}", r.report.operation);
        assert_eq!(r.session_id.as_deref(), Some("s-1"));
        assert_eq!(r.citations.len(), 1, "{:?}", r.report.operation);
        assert_eq!(r.citations[0].text.as_deref(), Some("Okayama"));
        assert_eq!(
            r.citations[0].references[0].uri.as_deref(),
            Some("s3://kb/momotaro.txt")
        );
        assert_eq!(r.report.request_id.as_deref(), Some("req-1"));
        assert_eq!(r.report.served, ServedLatency::NotReported);
    }
}

#[tokio::test]
async fn retrieve_and_generate_and_flows() {
    let mut m = MockBedrockAgentRuntimeApi::new();
    let a = Answer::text("Okayama.")
        .session_id("s-2")
        .citation("Okayama", "s3://kb/a.txt");
    let b = Answer::chunks(["{\"a\":", "1}"]).session_id("exec-1");
    m.expect_retrieve_and_generate()
        .returning(move |_| a.retrieve_and_generate());
    m.expect_invoke_flow().returning(move |_| b.invoke_flow());
    m.expect_start_flow_execution()
        .returning(|_| start_flow_execution("arn:aws:bedrock:us-east-2:123456789012:flow/F/alias/A/execution/e1"));
    let client = agent_client(m);
    let r = client
        .retrieve_and_generate("KB12345678", Llama31Instruct70b)
        .query("q")
        .answer()
        .await;
    assert_eq!(r.text, "Okayama.");
    assert_eq!(r.session_id.as_deref(), Some("s-2"));
    assert_eq!(r.citations[0].references[0].uri.as_deref(), Some("s3://kb/a.txt"));
    let mut flow = client
        .invoke_flow("FLOW123456", "ALIAS12345")
        .text_input("q")
        .send()
        .await
        .unwrap();
    let text = |e| if let AgentEvent::Text(t) = e { Some(t) } else { None };
    let texts = texts(&mut flow, text).await;
    assert_eq!(texts, ["{\"a\":", "1}"]);
    let started = client
        .start_flow_execution("FLOW123456", "ALIAS12345")
        .text_input("q")
        .answer()
        .await;
    assert!(started.execution_arn.unwrap().ends_with("/execution/e1"));
}

#[tokio::test]
async fn events_can_be_scripted_with_delays() {
    let mut m = MockBedrockAgentRuntimeApi::new();
    m.expect_invoke_inline_agent().returning(|_| {
        let events = Answer::chunks(["Oka", "yama."]).inline_agent_events()?;
        let timed = futures::stream::iter(events).then(|ev| async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            Ok(ev)
        });
        Ok(RawAgentStream::new(timed, Some("s-3".into()), None))
    });
    let r = agent_client(m)
        .inline_agent(NovaPro)
        .instruction("i")
        .input_text("q")
        .answer()
        .await;
    assert_eq!(r.text, "Okayama.");
    let ttft = r.report.timing.time_to_first_token.unwrap();
    assert!(ttft >= Duration::from_millis(40), "{ttft:?}");
    assert!(
        r.report.timing.total >= Duration::from_millis(80),
        "{:?}",
        r.report.timing
    );
}
