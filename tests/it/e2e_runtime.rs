//! End to end, offline: the crate -> the real AWS SDK client -> HTTP ->
//! the local Bedrock-compatible endpoint, for every bedrock-runtime
//! operation, with faults, quotas and the 405B token cap.

use crate::sdk_clients::ms_timing;
use crate::support::{Collected as _, Request as _};

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::models::{Claude35Haiku, Llama31Instruct405b, NovaMicro, NovaPro};
use bedrock_latency::runtime::StreamEvent;
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock};
use bedrock_latency::{
    Client, DowngradeReason, Error, Latency, Operation, RefusalReason, ServedLatency, ServiceErrorKind, ServiceTier,
};
use futures::StreamExt;

fn conf(server: &LocalBedrock, region: &str) -> sdk::config::Builder {
    sdk::config::Builder::from(&server.sdk_config(region))
        .retry_config(
            sdk::config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .timeout_config(
            sdk::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(1500))
                .build(),
        )
}

fn client(server: &LocalBedrock, region: &str) -> Client {
    Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(
            conf(server, region).build(),
        )))
        .build()
        .unwrap()
}

async fn server() -> LocalBedrock {
    LocalBedrock::start().await.unwrap()
}

#[tokio::test]
async fn converse_optimized_end_to_end() {
    let s = server().await;
    let c = client(&s, "us-east-1");
    // How priority combines with optimized latency is unverified: opted in.
    let r = c
        .converse(NovaPro)
        .optimized()
        .service_tier(ServiceTier::Priority)
        .allow_unverified_tier()
        .system("Be brief.")
        .user("What is the capital of France?")
        .max_tokens(64)
        .answer()
        .await;
    // What the endpoint received.
    let req = s.last_request().unwrap();
    assert_eq!(req.path, "/model/us.amazon.nova-pro-v1%3A0/converse");
    assert_eq!(req.region, "us-east-1");
    let body = req.body.unwrap();
    assert_eq!(body["performanceConfig"]["latency"], "optimized");
    assert_eq!(body["serviceTier"]["type"], "priority");
    assert_eq!(body["inferenceConfig"]["maxTokens"], 64);
    // What the crate parsed.
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(r.report.served_tier, Some(ServiceTier::Priority));
    assert_eq!(r.report.request_id.as_deref(), Some(req.request_id.as_str()));
    assert!(!r.text.is_empty());
    assert!(r.report.usage.unwrap().output_tokens > 0);
    assert!(r.report.timing.server_latency.is_some());
}

#[tokio::test]
async fn converse_stream_end_to_end_with_ttft() {
    let s = LocalBedrock::builder()
        .timing(Latency::Optimized, ms_timing(40, 1))
        .start()
        .await
        .unwrap();
    let c = client(&s, "us-east-2");
    let mut stream = c
        .converse_stream(Claude35Haiku)
        .optimized()
        .user("Hello")
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let mut meta = false;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::TextDelta(t) => text.push_str(&t),
            StreamEvent::Metadata { served, .. } => {
                assert_eq!(served, ServedLatency::Reported(Latency::Optimized));
                meta = true;
            }
            _ => {}
        }
    }
    assert!(meta);
    let r = stream.report();
    assert!(!text.is_empty());
    let ttft = r.timing.time_to_first_token.unwrap();
    assert!(ttft >= Duration::from_millis(40), "{ttft:?}");
    assert!(r.timing.total >= ttft);
    let req = s.last_request().unwrap();
    assert_eq!(
        req.path,
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream"
    );
    assert_eq!(req.body.unwrap()["performanceConfig"]["latency"], "optimized");
}

#[tokio::test]
async fn invoke_model_and_its_stream_end_to_end() {
    let s = server().await;
    let c = client(&s, "us-west-2");
    let r = c
        .invoke_model(Claude35Haiku)
        .optimized()
        .prompt("Hi", 50)
        .answer()
        .await;
    let req = s.last_request().unwrap();
    assert_eq!(req.path, "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke");
    assert_eq!(
        req.header("x-amzn-bedrock-performanceconfig-latency"),
        Some("optimized")
    );
    assert_eq!(req.body.unwrap()["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    // Read from the X-Amzn-Bedrock-Invocation-Latency header, over real HTTP.
    assert!(r.report.timing.server_latency.is_some(), "{}", r.report);
    assert!(r.text.as_deref().is_some_and(|t| !t.is_empty()), "{:?}", r.text);

    let stream = c
        .invoke_model_stream(Claude35Haiku)
        .optimized()
        .prompt("Hi", 50)
        .send()
        .await
        .unwrap();
    let collected = stream.collect_response().await.unwrap();
    let req = s.last_request().unwrap();
    assert_eq!(
        req.path,
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream"
    );
    assert_eq!(collected.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(collected.text.as_deref(), r.text.as_deref(), "deterministic answers");
    assert!(collected.report.usage.is_some());
    assert!(collected.report.timing.time_to_first_token.is_some());

    // Standard on a model without optimized latency: nothing asked, header says standard.
    let r = c.invoke_model(NovaMicro).prompt("Hi", 20).answer().await;
    assert_eq!(
        s.last_request()
            .unwrap()
            .header("x-amzn-bedrock-performanceconfig-latency"),
        Some("standard")
    );
    assert!(!r.report.downgraded());
}

#[tokio::test]
async fn quota_exhaustion_is_flagged_downgraded() {
    let s = LocalBedrock::builder()
        .optimized_quota("amazon.nova-pro-v1:0", 2)
        .start()
        .await
        .unwrap();
    let c = client(&s, "us-east-1");
    let mut downgraded = 0;
    for _ in 0..4 {
        let r = c.converse(NovaPro).optimized().user("q").answer().await;
        if r.report.downgraded() {
            assert_eq!(r.report.downgrade, Some(DowngradeReason::ServedStandard));
            assert!(r.report.downgrade.as_ref().unwrap().to_string().contains("quota"));
            downgraded += 1;
        }
    }
    assert_eq!(downgraded, 2);
    // Streams say so in their metadata event.
    let r = c.converse_stream(NovaPro).optimized().user("q").answer().await;
    assert_eq!(r.report.downgrade, Some(DowngradeReason::ServedStandard));
}

#[tokio::test]
async fn the_405b_token_cap_is_the_reason_given() {
    let s = server().await;
    let c = client(&s, "us-east-2");
    let long = "word ".repeat(12_000); // ~15K tokens by the endpoint's estimate
    let r = c
        .converse(Llama31Instruct405b)
        .optimized()
        .user(long)
        .max_tokens(100)
        .answer()
        .await;
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Standard));
    assert!(
        matches!(
            r.report.downgrade,
            Some(DowngradeReason::TokenCap {
                max_total_tokens: 11_000,
                ..
            })
        ),
        "{:?}",
        r.report.downgrade
    );
    let short = c.converse(Llama31Instruct405b).optimized().user("hi").answer().await;
    assert!(!short.report.downgraded());
}

#[tokio::test]
async fn refused_calls_never_reach_the_endpoint() {
    let s = server().await;
    let c = client(&s, "us-east-1");
    // Claude 3.5 Haiku is not served optimized from us-east-1, nor Llama 3.1 405B.
    let haiku = c.converse(Claude35Haiku).optimized().user("q").refusal().await;
    let llama = c
        .invoke_model_stream(Llama31Instruct405b)
        .optimized()
        .prompt("q", 5)
        .refusal()
        .await;
    for (refusal, operation) in [(haiku, Operation::Converse), (llama, Operation::InvokeModelStream)] {
        assert!(
            matches!(refusal.reason, RefusalReason::RegionNotServed { .. }),
            "{refusal}"
        );
        assert_eq!(refusal.operation, operation, "{refusal}");
    }
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn throttling_and_503_are_retried_then_succeed() {
    let s = server().await;
    let c = client(&s, "us-east-1");
    for fault in [Fault::Throttling, Fault::ServiceUnavailable] {
        s.clear_requests();
        s.inject(FaultRule::new(fault.clone()).times(2));
        let r = c.converse(NovaPro).optimized().user("q").answer().await;
        assert!(!r.text.is_empty());
        let statuses: Vec<u16> = s.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses.len(), 3, "{fault:?}: {statuses:?}");
        assert_eq!(statuses[2], 200);
    }
}

#[tokio::test]
async fn throttling_past_the_attempts_is_a_typed_error() {
    let s = server().await;
    let c = client(&s, "us-east-1");
    s.inject(FaultRule::new(Fault::Throttling).times(3));
    let err = c.converse(NovaPro).optimized().user("q").error().await;
    assert!(err.is_throttling(), "{err:?}");
    assert!(err.request_id().is_some());
    assert_eq!(err.service_error().unwrap().status(), Some(429));
    s.inject(FaultRule::new(Fault::ServiceUnavailable).times(3));
    let err = c.converse(NovaPro).user("q").error().await;
    assert_eq!(
        err.service_error().unwrap().kind(),
        ServiceErrorKind::ServiceUnavailable,
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn reset_and_stall_give_typed_errors_within_the_timeout() {
    let s = server().await;
    // No retries: a reset and a stall should each fail once, fast.
    let c = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(
            conf(&s, "us-east-1")
                .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
                .timeout_config(
                    aws_sdk_bedrockruntime::config::timeout::TimeoutConfig::builder()
                        .operation_timeout(Duration::from_millis(300))
                        .build(),
                )
                .build(),
        )))
        .build()
        .unwrap();
    s.inject(Fault::ConnectionReset);
    let err = c.converse(NovaPro).user("q").error().await;
    let kind = err.service_error().map(|e| e.kind());
    assert!(
        matches!(kind, Some(ServiceErrorKind::Connection | ServiceErrorKind::Response)),
        "{err:?}"
    );

    s.inject(Fault::Stall(Duration::from_secs(5)));
    let t = Instant::now();
    let err = c.converse(NovaPro).user("q").error().await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn broken_streams_keep_the_partial_text() {
    let s = server().await;
    let c = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(
            conf(&s, "us-east-2")
                .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
                .build(),
        )))
        .build()
        .unwrap();
    for fault in [
        Fault::CutStream { after_frames: 6 },
        Fault::MalformedFrame { after_frames: 6 },
        Fault::ModelStreamError { after_frames: 6 },
    ] {
        s.inject(FaultRule::new(fault.clone()).on(Operation::ConverseStream));
        let stream = c
            .converse_stream(NovaPro)
            .optimized()
            .user("tell me a story")
            .send()
            .await;
        let err = match stream {
            Ok(st) => st.collect_response().await.unwrap_err(),
            Err(e) => panic!("{fault:?}: the headers should arrive before the fault: {e:?}"),
        };
        match &err {
            Error::StreamInterrupted {
                partial_text,
                operation,
                ..
            } => {
                assert_eq!(*operation, Operation::ConverseStream);
                assert!(!partial_text.is_empty(), "{fault:?}: no partial text");
            }
            other => panic!("{fault:?}: {other:?}"),
        }
        if matches!(fault, Fault::ModelStreamError { .. }) {
            let se = err.service_error().unwrap();
            assert_eq!(se.kind(), ServiceErrorKind::ModelError, "{se:?}");
        }
    }
    // InvokeModel streams too.
    s.inject(FaultRule::new(Fault::CutStream { after_frames: 3 }).on(Operation::InvokeModelStream));
    let err = c
        .invoke_model_stream(NovaPro)
        .optimized()
        .prompt("tell me a story", 100)
        .send()
        .collected()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::StreamInterrupted { partial_text, .. } if !partial_text.is_empty()),
        "{err:?}"
    );
}

/// A caller's own wrapper around the SDK service: the client cannot see the
/// SDK through it, so every call goes through `BedrockRuntimeApi`.
struct Wrapped {
    inner: bedrock_latency::runtime::SdkRuntime,
    calls: std::sync::atomic::AtomicUsize,
}

impl Wrapped {
    /// The wrapped service, one call counted.
    fn counted(&self) -> &bedrock_latency::runtime::SdkRuntime {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        &self.inner
    }
}

#[async_trait::async_trait]
impl bedrock_latency::runtime::BedrockRuntimeApi for Wrapped {
    async fn converse(
        &self,
        input: sdk::operation::converse::builders::ConverseInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::converse::ConverseOutput>>
    {
        self.counted().converse(input).await
    }
    async fn converse_stream(
        &self,
        input: sdk::operation::converse_stream::builders::ConverseStreamInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawConverseStream> {
        self.counted().converse_stream(input).await
    }
    async fn invoke_model(
        &self,
        input: sdk::operation::invoke_model::builders::InvokeModelInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::invoke_model::InvokeModelOutput>>
    {
        self.counted().invoke_model(input).await
    }
    async fn invoke_model_stream(
        &self,
        input: sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawInvokeModelStream> {
        self.counted().invoke_model_stream(input).await
    }
}

/// What must be equal between two requests: everything but the signature,
/// the date and the per-request ids.
fn essence(
    r: &bedrock_latency::testkit::RecordedRequest,
) -> (String, String, Option<serde_json::Value>, Vec<(String, String)>) {
    let headers = r
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "authorization" | "x-amz-date" | "amz-sdk-invocation-id"))
        .cloned()
        .collect();
    (r.method.clone(), r.path.clone(), r.body.clone(), headers)
}

#[tokio::test]
async fn the_trait_path_and_the_direct_sdk_path_send_the_same_requests() {
    // The client awaits the SDK directly when its service is `SdkRuntime`;
    // through a wrapper it goes through the trait. Both must send the same
    // bytes and report the same things, for all four operations.
    use bedrock_latency::runtime::{BedrockRuntimeApi, SdkRuntime};
    let s = server().await;
    let sdk_client = sdk::Client::from_conf(conf(&s, "us-east-1").build());
    let direct = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk_client.clone()))
        .build()
        .unwrap();
    let wrapped = Client::builder()
        .runtime(Wrapped {
            inner: SdkRuntime::new(sdk_client.clone()),
            calls: Default::default(),
        })
        .region("us-east-1")
        .build()
        .unwrap();

    macro_rules! both {
        ($c:ident => $call:expr) => {{
            let $c = &direct;
            let a = $call;
            let ra = s.last_request().unwrap();
            let $c = &wrapped;
            let b = $call;
            let rb = s.last_request().unwrap();
            assert_eq!(essence(&ra), essence(&rb));
            (a, b, ra)
        }};
    }

    let (a, b, req) = both!(c => c
        .converse(NovaPro)
        .optimized()
        .service_tier(ServiceTier::Priority)
        .allow_unverified_tier()
        .system("Be brief.")
        .user("What is the capital of France?")
        .max_tokens(64)
        .map_input(|b| b.request_metadata("team", "search"))
        .answer().await);
    let body = req.body.unwrap();
    assert_eq!(body["requestMetadata"]["team"], "search", "{body}");
    assert_eq!(body["performanceConfig"]["latency"], "optimized");
    assert_eq!(body["serviceTier"]["type"], "priority");
    assert_eq!(a.text, b.text);
    assert_eq!(a.report.served, b.report.served);
    assert_eq!(a.report.served_tier, b.report.served_tier);
    assert_eq!(a.report.usage, b.report.usage);
    assert!(a.report.request_id.is_some() && b.report.request_id.is_some());

    let (a, b, _) = both!(c => c
        .converse_stream(NovaPro)
        .optimized()
        .user("Hello")
        .answer().await);
    assert_eq!(a.text, b.text);
    assert_eq!(a.report.served, ServedLatency::Reported(Latency::Optimized));
    assert_eq!(a.report.served, b.report.served);

    let (a, b, req) = both!(c => c
        .invoke_model(NovaPro)
        .optimized()
        .service_tier(ServiceTier::Flex)
        .allow_unverified_tier()
        .prompt("Hi", 50)
        .answer().await);
    assert_eq!(
        req.header("x-amzn-bedrock-performanceconfig-latency"),
        Some("optimized")
    );
    assert_eq!(req.header("x-amzn-bedrock-service-tier"), Some("flex"));
    assert_eq!(a.text, b.text);
    assert_eq!(a.report.served, b.report.served);
    assert_eq!(a.report.served_tier, b.report.served_tier);

    let (a, b, _) = both!(c => c
        .invoke_model_stream(NovaPro)
        .optimized()
        .prompt("Hi", 50)
        .answer().await);
    assert_eq!(a.text, b.text);
    assert_eq!(a.report.served, b.report.served);

    let calls = wrapped
        .runtime_api()
        .unwrap()
        .calls
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(calls, 4, "every wrapped call went through the trait");
    // And the SDK service's own trait methods work when called directly.
    let out = SdkRuntime::new(sdk_client)
        .converse(
            sdk::operation::converse::ConverseInput::builder()
                .model_id("amazon.nova-micro-v1:0")
                .messages(
                    sdk::types::Message::builder()
                        .role(sdk::types::ConversationRole::User)
                        .content(sdk::types::ContentBlock::Text("hi".into()))
                        .build()
                        .unwrap(),
                ),
        )
        .await
        .unwrap();
    assert!(out.request_id.is_some());
    assert_eq!(
        s.last_request().unwrap().path,
        "/model/amazon.nova-micro-v1%3A0/converse"
    );
}

#[tokio::test]
async fn a_client_built_with_an_extended_catalog_plans_with_it() {
    let mut extended = bedrock_latency::Catalog::builtin().clone();
    extended
        .merge_toml(include_str!("../data/catalog/nova-premier.toml"))
        .unwrap();
    let s = LocalBedrock::builder()
        .catalog(std::sync::Arc::new(extended.clone()))
        .start()
        .await
        .unwrap();
    let premier: bedrock_latency::ModelId = "amazon.nova-premier-v1:0".parse().unwrap();
    let ask = |c: &Client| {
        c.converse(&premier)
            .latency(bedrock_latency::LatencyPolicy::PreferOptimized)
            .user("hi")
            .send()
    };
    // The built-in catalog does not know the model: sent as given, standard.
    let c = client(&s, "us-east-2");
    for _ in 0..2 {
        let r = ask(&c).await.unwrap();
        assert_eq!(r.report.sent, Latency::Standard);
        assert_eq!(
            s.last_request().unwrap().path,
            "/model/amazon.nova-premier-v1%3A0/converse"
        );
    }
    // A client built with the extended catalog sends the same request
    // optimized, to the profile.
    let c = Client::builder()
        .runtime(c.runtime_api().unwrap().clone())
        .catalog(extended)
        .build()
        .unwrap();
    let r = ask(&c).await.unwrap();
    assert_eq!(r.report.sent, Latency::Optimized);
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    let req = s.last_request().unwrap();
    assert_eq!(req.path, "/model/us.amazon.nova-premier-v1%3A0/converse");
    assert_eq!(req.body.unwrap()["performanceConfig"]["latency"], "optimized");
}
