//! How clients are built, and what follows from it: one region, checked as
//! sent; routes that must be what they say; the Llama 3.1 405B token cap
//! counted as AWS states it.

use bedrock_latency::models::{Llama31Instruct405b, NovaPro, TypedModel};
use bedrock_latency::runtime::SdkRuntime;
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{
    Client, DowngradeReason, Error, Latency, LatencyPolicy, LatencyReport, Operation, ServedLatency, Warning,
};

use crate::support::Request as _;

/// The local endpoint's SDK configuration for `region`.
async fn local() -> LocalBedrock {
    LocalBedrock::start().await.unwrap()
}

/// A local endpoint and a client there from us-east-2 (where Llama 3.1
/// 405B is served optimized).
async fn ohio() -> (LocalBedrock, Client) {
    let s = local().await;
    let c = Client::new(&s.sdk_config("us-east-2"));
    (s, c)
}

fn sdk_runtime(server: &LocalBedrock, region: &str) -> SdkRuntime {
    SdkRuntime::new(aws_sdk_bedrockruntime::Client::new(&server.sdk_config(region)))
}

#[tokio::test]
async fn a_client_built_from_an_sdk_config_checks_against_that_region_only() {
    let s = local().await;
    let oregon = s.sdk_config("us-west-2");
    let c = Client::new(&oregon);
    assert_eq!(c.region(), Some("us-west-2"));
    // Nova Pro is not served optimized from us-west-2: refused, nothing sent.
    let e = c.converse(NovaPro).optimized().user("q").error().await;
    assert_eq!(e.refusal().map(|r| r.region.as_str()), Some("us-west-2"), "{e}");
    assert!(s.requests().is_empty());
    let plan = c.plan(&NovaPro.model_id(), Operation::Converse, LatencyPolicy::PreferOptimized);
    assert_eq!(plan.unwrap().region, "us-west-2");

    // No other region can be put beside the SDK's: every way is refused at build.
    let e = Client::builder()
        .sdk_config(&oregon)
        .region("us-east-1")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    assert!(
        e.to_string().contains("us-west-2") && e.to_string().contains("us-east-1"),
        "{e}"
    );
    let e = Client::builder()
        .runtime(sdk_runtime(&s, "us-west-2"))
        .region("us-east-1")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    let e = Client::builder()
        .sdk_config(&s.sdk_config("us-east-1"))
        .runtime(sdk_runtime(&s, "us-west-2"))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    // A route must be served by an SDK client of that region.
    let e = Client::builder()
        .runtime(sdk_runtime(&s, "us-west-2"))
        .route("us-east-2", sdk_runtime(&s, "us-east-1"))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("route to us-east-2"), "{e}");
    // The SDK's own region is taken when no other is given.
    let c = Client::builder().runtime(sdk_runtime(&s, "us-east-2")).build().unwrap();
    assert_eq!(c.region(), Some("us-east-2"));
    assert!(s.requests().is_empty(), "building sends nothing");
}

#[tokio::test]
async fn a_client_without_a_region_sends_nothing() {
    let s = local().await;
    let conf = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .endpoint_url(s.endpoint_url())
        .build();
    let c = Client::new(&conf);
    assert_eq!(c.region(), None);
    let e = c.converse(NovaPro).user("q").error().await;
    assert!(matches!(e, Error::Config { .. }), "{e}");
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn routed_requests_go_where_the_plan_says_and_say_so() {
    let s = local().await;
    let c = Client::builder()
        .sdk_config(&s.sdk_config("us-west-2"))
        .route_optimized_to(["us-east-2"])
        .build()
        .unwrap();
    assert_eq!(c.optimized_routes(), ["us-east-2"]);
    let r = c.converse(NovaPro).optimized().user("q").answer().await;
    assert_eq!(r.report.region, "us-east-2");
    assert_eq!(r.report.routed_from.as_deref(), Some("us-west-2"));
    assert_eq!(r.report.served, ServedLatency::Reported(Latency::Optimized));
    // The endpoint read the region from the request's signature.
    assert_eq!(s.last_request().unwrap().region, "us-east-2");
    // Standard stays home.
    let r = c.converse(NovaPro).user("q").answer().await;
    assert_eq!(r.report.region, "us-west-2");
    assert_eq!(s.last_request().unwrap().region, "us-west-2");
}

/// About 10,000 tokens by the endpoint's estimate (one per 4 characters):
/// under the 11K cap alone, over it with 2,000 output tokens allowed.
fn ten_thousand_tokens() -> String {
    "abcd".repeat(10_000)
}

/// Llama 3.1 405B, optimized, asked [`ten_thousand_tokens`] allowing `max`
/// output tokens, on `op` (Converse or InvokeModel): the report.
async fn ten_thousand_tokens_and(c: &Client, op: Operation, max: u32) -> LatencyReport {
    let (model, input) = (Llama31Instruct405b, ten_thousand_tokens());
    match op {
        Operation::Converse => {
            c.converse(model)
                .optimized()
                .user(input)
                .max_tokens(max)
                .answer()
                .await
                .report
        }
        Operation::InvokeModel => {
            c.invoke_model(model)
                .optimized()
                .prompt(&input, max)
                .answer()
                .await
                .report
        }
        other => panic!("{other} is not asked here"),
    }
}

fn cap_warning(warnings: &[Warning]) -> Option<Option<u32>> {
    warnings.iter().find_map(|w| match w {
        Warning::TokenCap { expected, .. } => Some(*expected),
        _ => None,
    })
}

/// Warned before sending (an estimate over 11,000 tokens, returned) and
/// served standard by the endpoint: a token-cap downgrade.
fn assert_capped(report: &LatencyReport) -> u32 {
    let expected = cap_warning(&report.warnings).expect("a token-cap warning").unwrap();
    assert!(expected > 11_000, "{expected}");
    assert_eq!(report.served, ServedLatency::Reported(Latency::Standard), "{report}");
    assert!(
        matches!(
            report.downgrade,
            Some(DowngradeReason::TokenCap {
                max_total_tokens: 11_000,
                total_tokens
            }) if total_tokens > 11_000
        ),
        "{:?}",
        report.downgrade
    );
    expected
}

/// Under the cap: served optimized.
fn assert_under_cap(report: &LatencyReport) {
    assert_eq!(report.served, ServedLatency::Reported(Latency::Optimized), "{report}");
    assert!(!report.downgraded(), "{report}");
}

#[tokio::test]
async fn the_405b_cap_counts_the_requested_maximum_on_converse() {
    let (_s, c) = ohio().await;
    let report = ten_thousand_tokens_and(&c, Operation::Converse, 2_000).await;
    // Warned before sending: the plan's estimate is input + requested maximum.
    let expected = assert_capped(&report);
    assert!((11_001..13_000).contains(&expected), "{expected}");
    let warning = report.warnings.iter().find(|w| matches!(w, Warning::TokenCap { .. }));
    let warning = warning.expect("a token-cap warning");
    assert!(warning.to_string().contains("will be served standard"), "{warning}");
    // Reported as the cap, not the quota.
    let usage = report.usage.unwrap();
    assert!(
        usage.total_tokens() < 11_000,
        "the tokens used stay under the cap: {usage:?}"
    );
    assert!(!report.to_string().contains("quota"), "{report}");

    // The same input with a small maximum: under the cap, served optimized.
    assert_under_cap(&ten_thousand_tokens_and(&c, Operation::Converse, 200).await);
}

/// The pre-send estimate counts every text the request carries: a system
/// prompt and messages given as SDK values, not only `.user(...)`.
#[tokio::test]
async fn the_405b_estimate_counts_system_prompts_and_sdk_messages() {
    use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
    let (_s, c) = ohio().await;
    let half = "abcd".repeat(5_000);
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(half.clone()))
        .build()
        .unwrap();
    let r = c
        .converse(Llama31Instruct405b)
        .optimized()
        .system(half)
        .message(message)
        .max_tokens(2_000)
        .answer()
        .await;
    let expected = cap_warning(&r.report.warnings).expect("a token-cap warning").unwrap();
    assert!((11_001..13_000).contains(&expected), "{expected}");
}

#[tokio::test]
async fn the_405b_cap_counts_the_requested_maximum_on_invoke_model() {
    let (_s, c) = ohio().await;
    assert_capped(&ten_thousand_tokens_and(&c, Operation::InvokeModel, 2_000).await);
    assert_under_cap(&ten_thousand_tokens_and(&c, Operation::InvokeModel, 200).await);
}
