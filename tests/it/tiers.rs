//! Service tiers and lifecycle, end to end: the crate's client against the
//! local endpoint (real SDK clients underneath), and the endpoint's own
//! answers on the wire.

use crate::sdk_clients::{RawResponse, raw_request, runtime_client, user_message};
use crate::support::Request as _;

use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::models::{Claude35Haiku, NovaPro};
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{
    Client, Error, IntoModel as _, LatencyPolicy, LatencyReport, LifecyclePolicy, ModelId, Operation, RefusalReason,
    Result, ServiceErrorKind, ServiceTier, TierDowngrade, TierPolicy, Warning,
};
use serde_json::json;

const LLAMA_70B: &str = "us.meta.llama3-1-70b-instruct-v1:0";
const SONNET_45: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn client(server: &LocalBedrock, region: &str) -> Client {
    client_with(server, region, LifecyclePolicy::Warn)
}

fn client_with(server: &LocalBedrock, region: &str, lifecycle: LifecyclePolicy) -> Client {
    Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(runtime_client(
            server, region,
        )))
        .lifecycle(lifecycle)
        .build()
        .unwrap()
}

fn id(s: &str) -> ModelId {
    s.parse().unwrap()
}

/// `model` asked for `tier` on one runtime operation, saying "Hi" (at most
/// 5 tokens on InvokeModel): the report, streams read to their end.
async fn at_tier(c: &Client, op: Operation, model: &ModelId, tier: ServiceTier) -> Result<LatencyReport> {
    Ok(match op {
        Operation::Converse => c.converse(model).service_tier(tier).user("Hi").send().await?.report,
        Operation::ConverseStream => {
            let stream = c.converse_stream(model).service_tier(tier).user("Hi").send().await?;
            stream.collect_response().await?.report
        }
        Operation::InvokeModel => {
            c.invoke_model(model)
                .service_tier(tier)
                .prompt("Hi", 5)
                .send()
                .await?
                .report
        }
        Operation::InvokeModelStream => {
            let stream = c
                .invoke_model_stream(model)
                .service_tier(tier)
                .prompt("Hi", 5)
                .send()
                .await?;
            stream.collect_response().await?.report
        }
        other => panic!("{other} is not a runtime operation"),
    })
}

#[tokio::test]
async fn a_tier_refusal_sends_zero_requests() {
    let server = LocalBedrock::start().await.unwrap();
    let c = client(&server, "us-east-2");
    // Llama 3.1 70B offers no flex tier (catalog): refused on every operation.
    let llama = id(LLAMA_70B);
    let e = at_tier(&c, Operation::Converse, &llama, ServiceTier::Flex)
        .await
        .unwrap_err();
    let r = e.refusal().expect("a refusal");
    assert!(
        matches!(
            r.reason,
            RefusalReason::TierNotOffered {
                tier: ServiceTier::Flex,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().starts_with("service tier flex would not be honored"),
        "{e}"
    );
    let e = at_tier(&c, Operation::InvokeModel, &llama, ServiceTier::Priority)
        .await
        .unwrap_err();
    assert!(e.refusal().is_some(), "{e}");
    // Nova Pro offers priority, but not from sa-east-1.
    let (nova_pro, priority) = (NovaPro.into_model_id(), ServiceTier::Priority);
    let sa_east_1 = client(&server, "sa-east-1");
    let e = at_tier(&sa_east_1, Operation::ConverseStream, &nova_pro, priority)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.refusal().map(|r| &r.reason),
            Some(RefusalReason::TierRegionNotServed { .. })
        ),
        "{e}"
    );
    // Sonnet 4.5 priority is only reported by secondary sources: refused as unverified.
    let us_east_1 = client(&server, "us-east-1");
    let e = at_tier(&us_east_1, Operation::Converse, &id(SONNET_45), priority)
        .await
        .unwrap_err();
    assert!(e.refusal().is_some_and(|r| r.is_unverified()), "{e}");
    assert_eq!(server.requests().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_prefer_policy_records_the_fallback_and_sends_no_tier() {
    let server = LocalBedrock::start().await.unwrap();
    // Nova Pro with the priority tier preferred, from `region`.
    let prefer_priority = |region: &'static str| {
        client(&server, region)
            .converse(NovaPro)
            .tier_policy(TierPolicy::Prefer(ServiceTier::Priority))
            .user("Hi")
            .send()
    };
    let r = prefer_priority("sa-east-1").await.unwrap();
    assert_eq!(r.report.requested_tier, Some(ServiceTier::Priority));
    assert_eq!(r.report.sent_tier, None);
    assert_eq!(r.report.served_tier, None, "no tier asked on the wire: none echoed");
    assert!(
        matches!(
            &r.report.tier_downgrade,
            Some(TierDowngrade::NotSent(RefusalReason::TierRegionNotServed {
                tier: ServiceTier::Priority,
                ..
            }))
        ),
        "{:?}",
        r.report.tier_downgrade
    );
    assert!(r.report.tier_downgraded());
    assert!(
        r.report
            .to_string()
            .contains("TIER DOWNGRADED: sent no tier because Amazon Nova Pro offers"),
        "{}",
        r.report
    );
    let sent = server.last_request().unwrap();
    assert!(sent.body.unwrap().get("serviceTier").is_none());
    assert_eq!(sent.service_tier, None);

    // Where it is served, the same policy sends it.
    let r = prefer_priority("us-east-1").await.unwrap();
    assert_eq!(
        (r.report.sent_tier, r.report.served_tier),
        (Some(ServiceTier::Priority), Some(ServiceTier::Priority))
    );
    assert!(!r.report.tier_downgraded());
    let json = serde_json::to_value(&r.report).unwrap();
    assert_eq!(json["sent_tier"], "priority");
    assert_eq!(json["tier_downgrade"], serde_json::Value::Null);
}

/// Authorization header whose SigV4 scope names `region` (the endpoint reads
/// the caller's region from it).
fn signed(region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261201/{region}/bedrock/aws4_request, SignedHeaders=host, Signature=0"
    )
}

async fn converse_raw(server: &LocalBedrock, model: &str, region: &str, tier: &str) -> RawResponse {
    let body = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "serviceTier": {"type": tier}});
    let auth = signed(region);
    let path = format!("/model/{}/converse", model.replace(':', "%3A"));
    raw_request(
        server,
        "POST",
        &path,
        &[("authorization", &auth)],
        body.to_string().as_bytes(),
    )
    .await
}

async fn invoke_raw(server: &LocalBedrock, model: &str, region: &str, tier: &str) -> RawResponse {
    let body =
        json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "inferenceConfig": {"max_new_tokens": 3}});
    let auth = signed(region);
    let path = format!("/model/{}/invoke", model.replace(':', "%3A"));
    let headers = [("authorization", auth.as_str()), ("x-amzn-bedrock-service-tier", tier)];
    raw_request(server, "POST", &path, &headers, body.to_string().as_bytes()).await
}

#[tokio::test]
async fn the_endpoint_echoes_the_served_tier_both_ways() {
    let server = LocalBedrock::builder().reservation(SONNET_45, 1).start().await.unwrap();
    // Converse: in the body (as the AWS capture converse-service-tier-flex).
    let r = converse_raw(&server, "amazon.nova-pro-v1:0", "us-east-1", "flex").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["serviceTier"], json!({"type": "flex"}));
    assert_eq!(
        r.header("x-amzn-bedrock-service-tier"),
        None,
        "Converse reports it in the body"
    );
    // InvokeModel: in the response header.
    let r = invoke_raw(&server, "us.amazon.nova-pro-v1:0", "us-east-2", "priority").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-amzn-bedrock-service-tier"), Some("priority"));
    assert!(
        r.json().get("serviceTier").is_none(),
        "InvokeModel bodies are the model's own"
    );
    // The served tier, not the one asked for: reserved overflows once the
    // reservation is used up.
    let r = converse_raw(&server, SONNET_45, "us-east-1", "reserved").await;
    assert_eq!(r.json()["serviceTier"], json!({"type": "reserved"}));
    let r = converse_raw(&server, SONNET_45, "us-east-1", "reserved").await;
    assert_eq!(r.json()["serviceTier"], json!({"type": "default"}));
    let last = server.last_request().unwrap();
    assert_eq!(
        (last.service_tier.as_deref(), last.served_tier.as_deref()),
        (Some("reserved"), Some("default"))
    );
    // Through the crate: the report says what served it, on every operation.
    let c = client(&server, "us-east-1");
    for (op, tier) in [
        (Operation::InvokeModel, ServiceTier::Flex),
        (Operation::ConverseStream, ServiceTier::Priority),
        (Operation::InvokeModelStream, ServiceTier::Flex),
    ] {
        let report = at_tier(&c, op, &NovaPro.into_model_id(), tier)
            .await
            .unwrap_or_else(|e| panic!("{op} at {tier:?}: {e}"));
        assert_eq!(report.sent_tier, Some(tier), "{op}");
        assert_eq!(report.served_tier, Some(tier), "{op}");
    }
}

#[tokio::test]
async fn reserved_overflow_is_a_tier_downgrade_and_no_reservation_is_an_error() {
    let server = LocalBedrock::builder()
        .reservation("anthropic.claude-sonnet-4-5-20250929-v1:0", 1)
        .start()
        .await
        .unwrap();
    let c = client(&server, "us-east-1");
    let (sonnet, reserved) = (id(SONNET_45), ServiceTier::Reserved);
    let send = || at_tier(&c, Operation::Converse, &sonnet, reserved);
    let first = send().await.unwrap();
    assert_eq!(first.served_tier, Some(ServiceTier::Reserved));
    assert!(!first.tier_downgraded());
    assert!(
        first
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::ReservationNeeded { .. }))
    );
    let second = send().await.unwrap();
    assert_eq!(
        second.tier_downgrade,
        Some(TierDowngrade::ServedOther {
            sent: ServiceTier::Reserved,
            served: ServiceTier::Default
        })
    );
    // Haiku 4.5 offers reserved too, but this account has no reservation for it.
    let haiku_45 = id("us.anthropic.claude-haiku-4-5-20251001-v1:0");
    let e = at_tier(&c, Operation::Converse, &haiku_45, reserved).await.unwrap_err();
    let service = e.service_error().expect("the service answered");
    assert_eq!(service.kind(), ServiceErrorKind::Validation);
    assert_eq!(service.message(), Some("Reservation not found."));
}

#[tokio::test]
async fn the_endpoint_refuses_tiers_its_catalog_does_not_list() {
    let server = LocalBedrock::start().await.unwrap();
    let raw = runtime_client(&server, "us-east-2");
    let err = raw
        .converse()
        .model_id(LLAMA_70B)
        .messages(user_message("Hi"))
        .service_tier(
            sdk::types::ServiceTier::builder()
                .r#type(sdk::types::ServiceTierType::Flex)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    let r = converse_raw(&server, "amazon.nova-pro-v1:0", "sa-east-1", "priority").await;
    assert_eq!(r.status, 400);
    assert!(
        r.header("x-amzn-errortype")
            .is_some_and(|t| t.starts_with("ValidationException"))
    );
    assert_eq!(
        r.json()["message"],
        "Service tier priority is not supported for amazon.nova-pro-v1:0 in sa-east-1"
    );
    // The default tier is every model's; an unverified offer is served.
    let r = converse_raw(&server, LLAMA_70B, "us-east-2", "default").await;
    assert_eq!(r.json()["serviceTier"], json!({"type": "default"}));
    let r = converse_raw(&server, SONNET_45, "us-east-1", "flex").await;
    assert_eq!(r.json()["serviceTier"], json!({"type": "flex"}));
    // A catalog file decides: remove Nova Pro's flex, and it is refused.
    let mut catalog = bedrock_latency::Catalog::builtin().clone();
    catalog
        .merge_json(r#"{"models": [{"id": "amazon.nova-pro-v1:0", "service_tiers": {"flex": false}}]}"#)
        .unwrap();
    let server = LocalBedrock::builder()
        .catalog(std::sync::Arc::new(catalog))
        .start()
        .await
        .unwrap();
    let r = converse_raw(&server, "amazon.nova-pro-v1:0", "us-east-1", "flex").await;
    assert_eq!(r.status, 400);
    let r = converse_raw(&server, "amazon.nova-pro-v1:0", "us-east-1", "priority").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn strict_lifecycle_refuses_a_past_eol_model_and_the_default_warns() {
    let server = LocalBedrock::start().await.unwrap();
    let strict = client_with(&server, "us-east-2", LifecyclePolicy::Strict);
    assert_eq!(strict.lifecycle(), LifecyclePolicy::Strict);
    for policy in [LatencyPolicy::Standard, LatencyPolicy::Optimized] {
        let e = strict.converse(Claude35Haiku).latency(policy).user("Hi").error().await;
        assert!(matches!(e, Error::Refused(_)), "{e}");
        assert!(
            matches!(
                e.refusal().map(|r| &r.reason),
                Some(RefusalReason::PastEndOfLife { .. })
            ),
            "{e}"
        );
    }
    let plan = strict.plan(&id(LLAMA_70B), Operation::Converse, LatencyPolicy::Optimized);
    assert!(plan.is_ok(), "an active model is sent");
    assert_eq!(server.requests().len(), 0);

    let warned = client(&server, "us-east-2")
        .converse(Claude35Haiku)
        .optimized()
        .user("Hi")
        .answer()
        .await;
    let w = warned
        .report
        .warnings
        .iter()
        .find(|w| matches!(w, Warning::PastEndOfLife { .. }))
        .expect("a past end-of-life warning");
    assert!(w.to_string().contains("model-lifecycle-legacy.html"), "{w}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn client_plan_exposes_the_tier_check() {
    let server = LocalBedrock::start().await.unwrap();
    let c = client(&server, "us-east-1");
    let nova = id("amazon.nova-pro-v1:0");
    let plan = c
        .plan_with_tier(&nova, Operation::Converse, LatencyPolicy::Standard, ServiceTier::Flex)
        .unwrap();
    assert_eq!(plan.service_tier, Some(ServiceTier::Flex));
    let e = c
        .plan_with_tier(&nova, Operation::Converse, LatencyPolicy::Optimized, ServiceTier::Flex)
        .unwrap_err();
    assert!(e.refusal().is_some_and(|r| r.is_unverified()), "{e}");
    let plan = c
        .plan_with_tier(
            &nova,
            Operation::Converse,
            LatencyPolicy::PreferOptimized,
            ServiceTier::Flex,
        )
        .unwrap();
    assert_eq!(
        (plan.latency, plan.service_tier),
        (bedrock_latency::Latency::Standard, Some(ServiceTier::Flex))
    );
    assert_eq!(
        c.plan(&nova, Operation::Converse, LatencyPolicy::Standard)
            .unwrap()
            .service_tier,
        None
    );
    assert_eq!(server.requests().len(), 0);
}

/// A client in us-east-1 that may route to us-east-2 and fails over there,
/// with `catalog`.
fn failover_client(server: &LocalBedrock, catalog: bedrock_latency::Catalog) -> Client {
    use std::time::Duration;
    let conf = server
        .sdk_config("us-east-1")
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    Client::builder()
        .sdk_config(&conf)
        .catalog(catalog)
        .route_optimized_to(["us-east-2"])
        .failover(bedrock_latency::tail::Failover::new().backoff(Duration::from_millis(1), Duration::from_millis(5)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn failover_sends_the_tier_and_only_where_it_is_served() {
    use bedrock_latency::testkit::ThrottleWindow;
    let server = LocalBedrock::builder()
        .throttle(ThrottleWindow::new("us-east-1").lasting(std::time::Duration::from_secs(10)))
        .start()
        .await
        .unwrap();
    // Nova Pro offers priority from both regions: the failover attempt asks it too.
    let c = failover_client(&server, bedrock_latency::Catalog::builtin().clone());
    let r = at_tier(&c, Operation::Converse, &NovaPro.into_model_id(), ServiceTier::Priority)
        .await
        .unwrap();
    assert_eq!(r.region, "us-east-2");
    assert_eq!(
        (r.sent_tier, r.served_tier),
        (Some(ServiceTier::Priority), Some(ServiceTier::Priority))
    );
    let sent: Vec<_> = server
        .requests()
        .iter()
        .map(|q| (q.region.clone(), q.service_tier.clone()))
        .collect();
    assert_eq!(
        sent,
        [
            ("us-east-1".to_owned(), Some("priority".to_owned())),
            ("us-east-2".to_owned(), Some("priority".to_owned()))
        ]
    );
    // Where the catalog says us-east-2 has no priority, it is no failover
    // target: required, or preferred (it would be sent there without it).
    let mut catalog = bedrock_latency::Catalog::builtin().clone();
    catalog
        .merge_json(r#"{"models": [{"id": "amazon.nova-pro-v1:0", "service_tiers": {"priority": {"regions": ["us-east-1"]}}}]}"#)
        .unwrap();
    let c = failover_client(&server, catalog);
    for policy in [
        TierPolicy::Require(ServiceTier::Priority),
        TierPolicy::Prefer(ServiceTier::Priority),
    ] {
        server.clear_requests();
        let e = c.converse(NovaPro).tier_policy(policy).user("Hi").error().await;
        assert!(e.is_throttling(), "{policy}: {e}");
        assert!(server.requests().iter().all(|q| q.region == "us-east-1"), "{policy}");
    }
}
