//! A property: whatever the latency policy, tier, routes, hedging and
//! failover settings, and whatever each region does (throttle, 503, drop
//! connections, refuse, or answer slowly), no request is ever sent to a
//! region, latency or operation that the catalog refuses for what was
//! asked. Services are recorders (one per region) answering on a paused
//! clock, so a case takes microseconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bedrock_latency::runtime::sdk;
use bedrock_latency::runtime::{BedrockRuntimeApi, RawConverseStream, RawInvokeModelStream, WithRequestId};
use bedrock_latency::tail::{Decision, Failover, Hedge, HedgeTarget};
use bedrock_latency::{
    Catalog, CheckRequest, Client, Latency, LatencyPolicy, ModelId, Operation, ServiceError, ServiceErrorKind,
    ServiceTier,
};
use proptest::prelude::*;
use sdk::operation::converse::ConverseOutput;
use sdk::operation::converse::builders::ConverseInputBuilder;
use sdk::operation::converse_stream::builders::ConverseStreamInputBuilder;
use sdk::operation::invoke_model::InvokeModelOutput;
use sdk::operation::invoke_model::builders::InvokeModelInputBuilder;
use sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder;
use sdk::types::{ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamOutput, PayloadPart, ResponseStream};

const REGIONS: [&str; 4] = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"];
const MODELS: [&str; 7] = [
    "us.amazon.nova-pro-v1:0",
    "amazon.nova-pro-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "us.meta.llama3-1-70b-instruct-v1:0",
    "us.meta.llama3-1-405b-instruct-v1:0",
    "us.amazon.nova-lite-v1:0",
    "example.unknown-model-v1:0",
];
const OPS: [Operation; 4] = [
    Operation::Converse,
    Operation::ConverseStream,
    Operation::InvokeModel,
    Operation::InvokeModelStream,
];

/// What one region does with every request.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    fail: Option<ServiceErrorKind>,
    delay_ms: u64,
}

/// One request as a service received it.
#[derive(Debug, Clone)]
struct Sent {
    region: String,
    operation: Operation,
    model: Option<String>,
    latency: Option<Latency>,
    tier: Option<String>,
}

#[derive(Debug, Clone)]
struct Recorder {
    region: &'static str,
    behaviour: Behaviour,
    log: Arc<Mutex<Vec<Sent>>>,
}

fn latency_of(l: Option<&sdk::types::PerformanceConfigLatency>) -> Option<Latency> {
    l.and_then(|l| l.as_str().parse().ok())
}

impl Recorder {
    /// Records what `operation` sent (model, latency and tier as the SDK
    /// input holds them), then answers as the behaviour says.
    async fn receive(
        &self,
        operation: Operation,
        model: &Option<String>,
        latency: Option<&sdk::types::PerformanceConfigLatency>,
        tier: Option<&str>,
    ) -> bedrock_latency::Result<()> {
        let op = operation;
        self.log.lock().unwrap().push(Sent {
            region: self.region.into(),
            operation,
            model: model.clone(),
            latency: latency_of(latency),
            tier: tier.map(str::to_owned),
        });
        tokio::time::sleep(Duration::from_millis(self.behaviour.delay_ms)).await;
        match self.behaviour.fail {
            None => Ok(()),
            Some(kind) => {
                let status = match kind {
                    ServiceErrorKind::Throttling => Some(429),
                    ServiceErrorKind::ServiceUnavailable => Some(503),
                    ServiceErrorKind::Validation => Some(400),
                    _ => None,
                };
                let mut e = ServiceError::new(op, kind);
                if let Some(s) = status {
                    e = e.with_status(s);
                }
                Err(e.into())
            }
        }
    }
}

fn converse_output() -> ConverseOutput {
    let message = sdk::types::Message::builder()
        .role(sdk::types::ConversationRole::Assistant)
        .content(sdk::types::ContentBlock::Text("ok".into()))
        .build()
        .unwrap();
    ConverseOutput::builder()
        .output(sdk::types::ConverseOutput::Message(message))
        .stop_reason(sdk::types::StopReason::EndTurn)
        .build()
        .unwrap()
}

fn text_delta() -> ConverseStreamOutput {
    ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder()
            .delta(ContentBlockDelta::Text("ok".into()))
            .content_block_index(0)
            .build()
            .unwrap(),
    )
}

#[async_trait]
impl BedrockRuntimeApi for Recorder {
    async fn converse(&self, i: ConverseInputBuilder) -> bedrock_latency::Result<WithRequestId<ConverseOutput>> {
        let (latency, tier) = (
            i.get_performance_config().as_ref().map(|p| p.latency()),
            i.get_service_tier().as_ref().map(|t| t.r#type().as_str()),
        );
        self.receive(Operation::Converse, i.get_model_id(), latency, tier)
            .await?;
        Ok(WithRequestId::new(converse_output(), None))
    }

    async fn converse_stream(&self, i: ConverseStreamInputBuilder) -> bedrock_latency::Result<RawConverseStream> {
        let (latency, tier) = (
            i.get_performance_config().as_ref().map(|p| p.latency()),
            i.get_service_tier().as_ref().map(|t| t.r#type().as_str()),
        );
        self.receive(Operation::ConverseStream, i.get_model_id(), latency, tier)
            .await?;
        Ok(RawConverseStream::new(futures::stream::iter([Ok(text_delta())]), None))
    }

    async fn invoke_model(
        &self,
        i: InvokeModelInputBuilder,
    ) -> bedrock_latency::Result<WithRequestId<InvokeModelOutput>> {
        let (latency, tier) = (
            i.get_performance_config_latency().as_ref(),
            i.get_service_tier().as_ref().map(|t| t.as_str()),
        );
        self.receive(Operation::InvokeModel, i.get_model_id(), latency, tier)
            .await?;
        let out = InvokeModelOutput::builder()
            .body(sdk::primitives::Blob::new(&b"{}"[..]))
            .content_type("application/json")
            .build()
            .unwrap();
        Ok(WithRequestId::new(out, None))
    }

    async fn invoke_model_stream(
        &self,
        i: InvokeModelWithResponseStreamInputBuilder,
    ) -> bedrock_latency::Result<RawInvokeModelStream> {
        let (latency, tier) = (
            i.get_performance_config_latency().as_ref(),
            i.get_service_tier().as_ref().map(|t| t.as_str()),
        );
        self.receive(Operation::InvokeModelStream, i.get_model_id(), latency, tier)
            .await?;
        let chunk = ResponseStream::Chunk(
            PayloadPart::builder()
                .bytes(sdk::primitives::Blob::new(&b"{}"[..]))
                .build(),
        );
        Ok(RawInvokeModelStream::new(futures::stream::iter([Ok(chunk)]), None))
    }
}

/// One generated case.
#[derive(Debug, Clone)]
struct Case {
    model: &'static str,
    operation: Operation,
    policy: LatencyPolicy,
    tier: Option<ServiceTier>,
    home: usize,
    routes: Vec<usize>,
    behaviours: Vec<Behaviour>,
    hedge: Option<(Option<u64>, bool)>,
    failover: Option<u32>,
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    let fail = prop_oneof![
        3 => Just(None),
        1 => Just(Some(ServiceErrorKind::Throttling)),
        1 => Just(Some(ServiceErrorKind::ServiceUnavailable)),
        1 => Just(Some(ServiceErrorKind::Connection)),
        1 => Just(Some(ServiceErrorKind::Validation)),
    ];
    (fail, 0u64..40).prop_map(|(fail, delay_ms)| Behaviour { fail, delay_ms })
}

fn case() -> impl Strategy<Value = Case> {
    let policy = prop_oneof![
        Just(LatencyPolicy::Standard),
        Just(LatencyPolicy::Optimized),
        Just(LatencyPolicy::PreferOptimized)
    ];
    let tier = prop_oneof![
        Just(None),
        Just(Some(ServiceTier::Priority)),
        Just(Some(ServiceTier::Flex))
    ];
    let hedge = proptest::option::of((proptest::option::of(0u64..30), any::<bool>()));
    (
        (0..MODELS.len(), 0..OPS.len(), policy, tier),
        (0..REGIONS.len(), proptest::collection::vec(0..REGIONS.len(), 0..4)),
        proptest::collection::vec(behaviour(), REGIONS.len()),
        hedge,
        proptest::option::of(1u32..5),
    )
        .prop_map(
            |((m, o, policy, tier), (home, mut routes), behaviours, hedge, failover)| {
                routes.retain(|r| *r != home);
                routes.dedup();
                Case {
                    model: MODELS[m],
                    operation: OPS[o],
                    policy,
                    tier,
                    home,
                    routes,
                    behaviours,
                    hedge,
                    failover,
                }
            },
        )
}

fn client(c: &Case, log: &Arc<Mutex<Vec<Sent>>>) -> Client<Recorder> {
    let rec = |i: usize| Recorder {
        region: REGIONS[i],
        behaviour: c.behaviours[i],
        log: Arc::clone(log),
    };
    let mut b = Client::builder().runtime(rec(c.home)).region(REGIONS[c.home]);
    for &r in &c.routes {
        b = b.route(REGIONS[r], rec(r));
    }
    b.build().unwrap()
}

/// Sends the case's request three times (so that percentile hedges get
/// observed times), each to its end.
async fn run(c: &Case, client: &Client<Recorder>) {
    let model = ModelId::parse(c.model).unwrap();
    for _ in 0..3 {
        let hedge = c.hedge.map(|(fixed, other)| {
            let h = match fixed {
                Some(ms) => Hedge::after(Duration::from_millis(ms)),
                None => Hedge::at_percentile(90.0).min_samples(1),
            };
            let target = if other {
                HedgeTarget::PreferOtherRegion
            } else {
                HedgeTarget::SameRegion
            };
            h.max_extra(1.0).target(target)
        });
        // Everything a request can be told, in one value.
        let d = Decision {
            latency: c.policy,
            tier: c.tier,
            hedge,
            failover: c.failover.map(|n| Failover::new().attempts(n)),
            reasons: Vec::new(),
        };
        let body = serde_json::json!({"prompt": "q"});
        let _ = match c.operation {
            Operation::Converse => client
                .converse(&model)
                .user("q")
                .with_decision(&d)
                .send()
                .await
                .map(|_| ()),
            Operation::ConverseStream => {
                match client.converse_stream(&model).user("q").with_decision(&d).send().await {
                    Ok(s) => s.collect_response().await.map(|_| ()),
                    Err(e) => Err(e),
                }
            }
            Operation::InvokeModel => client
                .invoke_model(&model)
                .body_json(&body)
                .with_decision(&d)
                .send()
                .await
                .map(|_| ()),
            _ => match client
                .invoke_model_stream(&model)
                .body_json(&body)
                .with_decision(&d)
                .send()
                .await
            {
                Ok(s) => s.collect_response().await.map(|_| ()),
                Err(e) => Err(e),
            },
        };
    }
}

/// The property, for every request a service received.
fn check(c: &Case, sent: &[Sent]) -> Result<(), TestCaseError> {
    let model = ModelId::parse(c.model).unwrap();
    let permitted: Vec<&str> = std::iter::once(c.home)
        .chain(c.routes.iter().copied())
        .map(|i| REGIONS[i])
        .collect();
    let mut per_region: HashMap<&str, usize> = HashMap::new();
    for s in sent {
        prop_assert!(
            permitted.contains(&s.region.as_str()),
            "sent to {} outside {permitted:?}",
            s.region
        );
        *per_region
            .entry(REGIONS.iter().find(|r| **r == s.region).unwrap())
            .or_default() += 1;
        prop_assert_eq!(s.operation, c.operation);
        let latency = s.latency.unwrap_or(Latency::Standard);
        if latency == Latency::Optimized {
            prop_assert!(
                c.policy != LatencyPolicy::Standard,
                "standard was asked, optimized sent"
            );
        }
        let policy = if latency == Latency::Optimized {
            LatencyPolicy::Optimized
        } else {
            LatencyPolicy::Standard
        };
        let plan = Catalog::builtin().check(&CheckRequest::new(&model, &s.region, s.operation, policy));
        let plan = plan.map_err(|r| TestCaseError::fail(format!("the catalog refuses {s:?}: {r}")))?;
        prop_assert_eq!(plan.latency, latency);
        prop_assert_eq!(
            plan.model_id.as_deref(),
            s.model.as_deref(),
            "the model ID the catalog plans"
        );
        prop_assert_eq!(s.tier.as_deref(), c.tier.map(ServiceTier::as_str), "the tier asked for");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn nothing_is_sent_where_the_catalog_refuses_it(c in case()) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        rt.block_on(run(&c, &client(&c, &log)));
        let sent = log.lock().unwrap().clone();
        check(&c, &sent)?;
    }
}
