//! The comparison against the local endpoint told to make optimized exactly
//! 2x faster: the measured speed-up must land near 2, and quota exhaustion
//! must show up as downgrades.

use crate::support::ms_timing;

use std::time::Duration;

use bedrock_latency::compare::{Arm, CompareConfig, chart_svg, compare};
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{Client, Latency, ModelId};

fn client(server: &LocalBedrock) -> Client {
    Client::new(&server.sdk_config("us-east-1"))
}

async fn two_x_server(quota: Option<u64>) -> LocalBedrock {
    let mut b = LocalBedrock::builder()
        .timing(Latency::Standard, ms_timing(40, 2))
        .timing(Latency::Optimized, ms_timing(20, 1))
        .answer_tokens(21);
    if let Some(q) = quota {
        b = b.optimized_quota("amazon.nova-pro-v1:0", q);
    }
    b.start().await.unwrap()
}

/// Standard against optimized: `requests` measured after `warmup` a arm,
/// answers of at most 64 tokens.
fn standard_vs_optimized(requests: usize, warmup: usize) -> CompareConfig {
    CompareConfig {
        requests_per_arm: requests,
        warmup_per_arm: warmup,
        arms: vec![Arm::Standard, Arm::Optimized],
        max_tokens: 64,
        ..CompareConfig::default()
    }
}

#[tokio::test]
async fn two_x_faster_endpoint_measures_about_two() {
    let server = two_x_server(None).await;
    let model = ModelId::parse("us.amazon.nova-pro-v1:0").unwrap();
    let config = standard_vs_optimized(15, 2);
    let mut calls = 0;
    let c = compare(
        &client(&server),
        &model,
        "What is the capital of France?",
        &config,
        |_, _| calls += 1,
    )
    .await
    .unwrap();
    assert_eq!(calls, 34);
    let s = c.speedup(Arm::Optimized).unwrap();
    assert!((1.8..=2.2).contains(&s.total_p50), "{s:?}");
    assert!(s.total_interval.0 <= s.total_p50 && s.total_p50 <= s.total_interval.1);
    let ttft = s.ttft_p50.unwrap();
    assert!((1.6..=2.4).contains(&ttft), "{s:?}");
    let opt = c.arm(Arm::Optimized).unwrap();
    assert_eq!((opt.requests, opt.errors, opt.downgraded), (15, 0, 0));
    assert!(opt.cost_usd.unwrap() > 0.0);
    let std = c.arm(Arm::Standard).unwrap();
    assert!(std.total.unwrap().p50 >= Duration::from_millis(80), "{std:?}");
    // Optimized costs more per token (0.001/0.004 against 0.0008/0.0032).
    assert!(opt.cost_usd.unwrap() > std.cost_usd.unwrap());

    // Every sample is drawn; the document is well-formed XML with an svg root.
    let svg = chart_svg(&c);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    // Every sample is drawn twice: time to first token and total time.
    let dots = doc.descendants().filter(|n| n.has_tag_name("circle")).count();
    assert_eq!(dots, 60);
    // p50, p90 and p99 are marked in both panels of both arms.
    let marks = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.text().is_some_and(|t| t.contains(" ms, p99 ")))
        .count();
    assert_eq!(marks, 4);
}

#[tokio::test]
async fn quota_exhaustion_shows_as_downgrades() {
    let server = two_x_server(Some(6)).await;
    let model = ModelId::parse("amazon.nova-pro-v1:0").unwrap();
    let config = standard_vs_optimized(8, 1);
    let c = compare(&client(&server), &model, "q", &config, |_, _| {})
        .await
        .unwrap();
    // 1 warm-up + 5 measured optimized requests used the quota of 6.
    assert_eq!(c.arm(Arm::Optimized).unwrap().downgraded, 3);
    assert_eq!(c.arm(Arm::Standard).unwrap().downgraded, 0);
}

#[tokio::test]
async fn an_arm_that_cannot_be_served_is_refused_before_sending() {
    let server = two_x_server(None).await;
    let model = ModelId::parse("us.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
    let err = compare(&client(&server), &model, "q", &CompareConfig::default(), |_, _| {})
        .await
        .unwrap_err();
    assert!(err.refusal().is_some(), "{err}");
    assert!(server.requests().is_empty());
}
