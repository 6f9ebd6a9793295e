//! The downstream crate's tests: its service unit-tested with both mocks,
//! the README's and examples' patterns against the local endpoint, and the
//! compile-fail suite.

use bedrock_latency::agent::MockBedrockAgentRuntimeApi;
use bedrock_latency::agent::sdk::types::PerformanceConfigLatency as AgentLatency;
use bedrock_latency::mock::Answer;
use bedrock_latency::runtime::MockBedrockRuntimeApi;
use bedrock_latency::runtime::sdk::types::PerformanceConfigLatency;
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{Client, DowngradeReason, Error, Latency, ServedLatency};

use crate::patterns;
use crate::service::{Assistant, Briefing, briefing};

const PROFILE: &str = "us.meta.llama3-1-70b-instruct-v1:0";

/// A knowledge base that cites one source, asserting it was asked optimized.
fn knowledge_base() -> MockBedrockAgentRuntimeApi {
    let mut agent = MockBedrockAgentRuntimeApi::new();
    let found = Answer::text("Momotaro was born from a peach in Okayama.")
        .session_id("s-1")
        .citation("Okayama", "s3://kb/momotaro.txt");
    agent
        .expect_retrieve_and_generate()
        .times(1)
        .withf(|input| {
            let generation = input
                .get_retrieve_and_generate_configuration()
                .as_ref()
                .and_then(|c| c.knowledge_base_configuration.as_ref())
                .and_then(|k| k.generation_configuration.as_ref())
                .and_then(|g| g.performance_config.as_ref());
            generation.map(|p| &p.latency) == Some(&AgentLatency::Optimized)
        })
        .returning(move |_| found.retrieve_and_generate());
    agent
}

/// A runtime that answers Converse with `served`, asserting what was sent.
fn runtime(sent: Latency, served: Latency) -> MockBedrockRuntimeApi {
    let mut rt = MockBedrockRuntimeApi::new();
    let short = Answer::text("Okayama.")
        .usage(30, 3)
        .server_latency_ms(120)
        .served(served);
    let want = match sent {
        Latency::Optimized => PerformanceConfigLatency::Optimized,
        Latency::Standard => PerformanceConfigLatency::Standard,
    };
    rt.expect_converse()
        .times(1)
        .withf(move |input| {
            input.get_model_id().as_deref() == Some(PROFILE)
                && input.get_performance_config().as_ref().map(|p| p.latency()) == Some(&want)
        })
        .returning(move |_| short.converse());
    rt
}

/// A client over both mocks, in `region`.
fn mocked(
    rt: MockBedrockRuntimeApi,
    agent: MockBedrockAgentRuntimeApi,
    region: &str,
) -> Client<MockBedrockRuntimeApi, MockBedrockAgentRuntimeApi> {
    Client::builder()
        .runtime(rt)
        .agent_runtime(agent)
        .region(region)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_service_with_both_mocks() {
    let client = mocked(
        runtime(Latency::Optimized, Latency::Optimized),
        knowledge_base(),
        "us-east-2",
    );
    let b = briefing(&client, "KB12345678", "Where was Momotaro born?")
        .await
        .unwrap();
    assert_eq!(
        b,
        Briefing {
            answer: "Okayama.".to_owned(),
            sources: vec!["s3://kb/momotaro.txt".to_owned()],
            fast: true,
        }
    );
}

#[tokio::test]
async fn the_service_when_the_quota_is_used_up() {
    let client = mocked(
        runtime(Latency::Optimized, Latency::Standard),
        knowledge_base(),
        "us-west-2",
    );
    let b = briefing(&client, "KB12345678", "q").await.unwrap();
    assert!(!b.fast);
}

#[tokio::test]
async fn a_region_that_does_not_serve_it_sends_nothing() {
    // Llama 3.1 70B is served optimized from us-east-2 and us-west-2 only:
    // from us-east-1, the knowledge base call is refused before sending.
    let mut agent = MockBedrockAgentRuntimeApi::new();
    agent.expect_retrieve_and_generate().times(0);
    let mut rt = MockBedrockRuntimeApi::new();
    rt.expect_converse().times(0);
    let client = mocked(rt, agent, "us-east-1");
    let e = briefing(&client, "KB12345678", "q").await.unwrap_err();
    let refusal = e.refusal().expect("a refusal");
    assert_eq!(refusal.region, "us-east-1");
    assert!(e.to_string().contains("us-east-2, us-west-2"), "{e}");
}

#[tokio::test]
async fn one_assistant_type_over_mocks_and_over_the_sdk() {
    // Over mocks.
    let mocked = Assistant::new(
        Client::builder()
            .runtime(runtime(Latency::Optimized, Latency::Optimized))
            .agent_runtime(knowledge_base())
            .region("us-east-2")
            .build_dyn()
            .unwrap(),
        "KB12345678",
    );
    assert!(mocked.ask("q").await.unwrap().fast);
    // Over the AWS SDK (at the local endpoint): the same type.
    let server = LocalBedrock::start().await.unwrap();
    let real: Assistant = Assistant::new(
        Client::builder()
            .sdk_config(&server.sdk_config("us-west-2"))
            .build_dyn()
            .unwrap(),
        "KB12345678",
    );
    assert_eq!(real.region(), Some("us-west-2"));
    let b = real.ask("Where was Momotaro born?").await.unwrap();
    assert!(b.fast, "{b:?}");
    assert!(!b.sources.is_empty(), "{b:?}");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn no_sdk_service_crate_of_our_own() {
    let manifest = include_str!("../Cargo.toml");
    for line in manifest.lines().filter(|l| !l.trim_start().starts_with('#')) {
        assert!(!line.contains("aws-sdk-"), "{line}");
        assert!(!line.contains("aws-smithy"), "{line}");
    }
}

#[tokio::test]
async fn readme_patterns_run_as_written() {
    let server = LocalBedrock::start().await.unwrap();
    let r = patterns::readme_first(&server.sdk_config("us-east-1")).await.unwrap();
    assert!(!r.text.is_empty());
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    // From us-west-2 the first example is refused, as the README says.
    let e = patterns::readme_first(&server.sdk_config("us-west-2"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");

    let r = patterns::readme_routing(&server.sdk_config("us-west-2")).await.unwrap();
    assert_eq!(r.region, "us-east-2");
    assert_eq!(r.routed_from.as_deref(), Some("us-west-2"));

    patterns::readme_escape_hatches(&server.sdk_config("us-east-1"))
        .await
        .unwrap();
    let body = server.last_request().unwrap().body.unwrap();
    assert_eq!(body["requestMetadata"]["team"], "search");

    let checked = patterns::readme_check().unwrap();
    assert_eq!(checked[0], PROFILE);
    assert!(checked[1].contains("only from us-east-2, us-west-2"), "{}", checked[1]);

    let record = br#"{"requestId":"r1","operation":"Converse","modelId":"us.amazon.nova-pro-v1:0",
      "region":"us-east-1","inferenceRegion":"us-east-2","performanceConfig":{"latency":"STANDARD"},
      "input":{"inputTokenCount":12},"output":{"outputTokenCount":40,"outputBodyJson":{"metrics":{"latencyMs":812}}}}"#;
    let (latencies, standard) = patterns::readme_logs(record).unwrap();
    assert_eq!(latencies, [Some(812)]);
    assert_eq!(standard, 1);
}

#[tokio::test]
async fn example_patterns_run_against_the_local_endpoint() {
    let (server, client) = patterns::testkit_shortest_path().await.unwrap();
    assert_eq!(client.region(), Some("us-east-2"));
    let conf = server.sdk_config("us-east-2");
    let arms = patterns::example_quickstart(&conf).await.unwrap();
    assert_eq!(arms.len(), 2);
    assert!(
        arms.iter()
            .all(|(text, r)| !text.is_empty() && r.timing.time_to_first_token.is_some())
    );
    assert_eq!(arms[1].1.served, ServedLatency::Reported(Latency::Optimized));

    let (whole, streamed) = patterns::example_invoke_model(&conf).await.unwrap();
    assert!(whole.is_some_and(|t| !t.is_empty()));
    assert!(streamed.is_some_and(|t| !t.is_empty()));

    let reports = patterns::example_agents(&conf).await.unwrap();
    let sent: Vec<_> = reports.iter().map(|r| r.sent).collect();
    // Inline agent and knowledge base optimized; InvokeAgent standard (with
    // the reason); the flow opted in.
    assert_eq!(
        sent,
        [
            Latency::Optimized,
            Latency::Optimized,
            Latency::Standard,
            Latency::Optimized
        ]
    );
    assert!(matches!(reports[2].downgrade, Some(DowngradeReason::NotSent(_))));
    let advice = reports[2].downgrade.as_ref().unwrap().to_string();
    assert!(!advice.contains("request standard latency"), "{advice}");

    let c = patterns::example_cost().unwrap();
    assert!(c.optimized.is_some());
}

/// What must compile does, and goes out as asked: `.optimized()` on typed
/// models that offer it, on all four runtime operations, and a policy on a
/// run-time `ModelId` (what the endpoint read off the wire: the Converse
/// body, the InvokeModel header).
#[tokio::test]
async fn optimized_compiles_where_honored_and_is_sent() {
    use bedrock_latency::models::{Llama31Instruct70b, NovaPro};
    use bedrock_latency::{LatencyPolicy, ModelId};
    let server = LocalBedrock::start().await.unwrap();
    let east1 = Client::new(&server.sdk_config("us-east-1"));
    let east2 = Client::new(&server.sdk_config("us-east-2"));
    let model: ModelId = "us.amazon.nova-pro-v1:0".parse().unwrap();
    let reports = [
        east1
            .converse(NovaPro)
            .optimized()
            .user("hi")
            .send()
            .await
            .unwrap()
            .report,
        east2
            .converse_stream(Llama31Instruct70b)
            .optimized()
            .user("hi")
            .send()
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap()
            .report,
        east1
            .invoke_model(NovaPro)
            .optimized()
            .prompt("hi", 10)
            .send()
            .await
            .unwrap()
            .report,
        east2
            .invoke_model_stream(Llama31Instruct70b)
            .optimized()
            .prompt("hi", 10)
            .send()
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap()
            .report,
        east1
            .converse(&model)
            .latency(LatencyPolicy::PreferOptimized)
            .user("hi")
            .send()
            .await
            .unwrap()
            .report,
    ];
    for r in &reports {
        assert_eq!(r.sent, Latency::Optimized, "{:?}", r.operation);
    }
    let sent: Vec<_> = server.requests().iter().map(|r| r.requested_latency).collect();
    assert_eq!(sent, vec![Some(Latency::Optimized); reports.len()]);
}

/// The compile-time guarantees, as a downstream crate meets them: each case
/// in `ui/` must fail to compile with the committed message
/// (`ui/*.stderr`; regenerate with `TRYBUILD=overwrite` after an intended
/// change, and read every message: it must say what to do instead).
#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
