//! `bedrock_latency::probe` against the local endpoint: bounded, stopped by
//! throttling with a partial result, every answer recorded.

use std::time::Duration;

use bedrock_latency::probe::{self, Asked, ProbeConfig, Stopped, Verdict};
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock};
use bedrock_latency::{Catalog, Client, Latency, Operation, ServiceTier};

fn config(models: &[&str], regions: &[&str]) -> ProbeConfig {
    ProbeConfig {
        models: models.iter().map(|m| m.parse().unwrap()).collect(),
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        ..ProbeConfig::default()
    }
}

async fn probe_local(server: &LocalBedrock, config: &ProbeConfig) -> probe::ProbeReport {
    let catalog = Catalog::builtin();
    let plan = probe::plan(catalog, config).unwrap();
    let url = server.endpoint_url();
    probe::run(
        catalog,
        &plan,
        config,
        |region, hypothesis| {
            let conf = LocalBedrock::sdk_config_at(&url, &region)
                .to_builder()
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
                .build();
            async move { Client::builder().sdk_config(&conf).catalog(hypothesis).build() }
        },
        |_, _| {},
    )
    .await
}

#[tokio::test]
async fn one_token_requests_show_what_serves_each_combination() {
    let server = LocalBedrock::start().await.unwrap();
    let mut cfg = config(&["amazon.nova-pro-v1:0"], &["us-east-1", "us-west-2"]);
    cfg.operations = vec![Operation::Converse, Operation::InvokeModelStream];
    cfg.tiers = vec![ServiceTier::Priority];
    let report = probe_local(&server, &cfg).await;
    assert_eq!(report.stopped, None);
    assert_eq!(report.observations.len(), 8);
    assert_eq!(server.requests().len(), 8, "one request per combination, no retries");
    for r in server.requests() {
        let one_token = r.body.as_ref().and_then(|b| {
            b.pointer("/inferenceConfig/maxTokens")
                .or_else(|| b.pointer("/inferenceConfig/max_new_tokens"))
                .cloned()
        });
        assert_eq!(one_token, Some(serde_json::json!(1)), "{:?}", r.body);
    }
    let verdict = |region: &str, op: Operation, asked: Asked| {
        report
            .observations
            .iter()
            .find(|o| o.combination.region == region && o.combination.operation == op && o.combination.asked == asked)
            .map(|o| o.verdict)
    };
    let optimized = Asked::Latency(Latency::Optimized);
    assert_eq!(
        verdict("us-east-1", Operation::Converse, optimized),
        Some(Verdict::Served)
    );
    assert_eq!(
        verdict("us-west-2", Operation::InvokeModelStream, optimized),
        Some(Verdict::Rejected)
    );
    let o = report
        .observations
        .iter()
        .find(|o| o.combination.region == "us-west-2" && o.combination.asked == optimized)
        .unwrap();
    assert!(
        o.error
            .as_deref()
            .is_some_and(|e| e.contains("Latency performance configuration is not supported")),
        "the exact error: {o:?}"
    );
    assert_eq!(o.sent_model_id, None);
    let served = report
        .observations
        .iter()
        .find(|o| o.verdict == Verdict::Served)
        .unwrap();
    assert_eq!(served.sent_model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"));
    assert!(served.request_id.is_some());
    assert_eq!(
        verdict("us-west-2", Operation::Converse, Asked::Tier(ServiceTier::Priority)),
        Some(Verdict::Served)
    );
    // The endpoint serves the built-in catalog: no differences.
    assert_eq!(report.differences(Catalog::builtin()), vec![]);
}

#[tokio::test]
async fn throttling_stops_the_probe_with_a_partial_result() {
    // The first Converse is answered, the first ConverseStream throttled.
    let server = LocalBedrock::builder()
        .fault(FaultRule::new(Fault::Throttling).on(Operation::ConverseStream))
        .start()
        .await
        .unwrap();
    let mut cfg = config(&["amazon.nova-pro-v1:0"], &["us-east-1", "us-east-2"]);
    cfg.operations = vec![Operation::Converse, Operation::ConverseStream];
    let report = probe_local(&server, &cfg).await;
    assert_eq!(report.planned, 4);
    assert_eq!(report.stopped, Some(Stopped::Throttled));
    assert_eq!(report.observations.len(), 2, "stopped at the throttled request");
    assert_eq!(report.observations[0].verdict, Verdict::Served);
    assert_eq!(report.observations[1].verdict, Verdict::Inconclusive);
    assert!(
        report.observations[1]
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("ThrottlingException"))
    );
    assert_eq!(server.requests().len(), 2, "nothing sent after the throttling answer");
    // The partial result still makes a catalog file of what it saw.
    let file = report.catalog_file(Catalog::builtin(), "the local endpoint");
    assert!(!file.is_empty());
}

#[tokio::test]
async fn a_probe_is_bounded_in_time_and_requests() {
    let server = LocalBedrock::builder()
        .fault(FaultRule::new(Fault::Stall(Duration::from_secs(5))))
        .start()
        .await
        .unwrap();
    let mut cfg = config(&["amazon.nova-pro-v1:0"], &["us-east-1"]);
    cfg.latencies = vec![Latency::Optimized, Latency::Standard];
    cfg.request_timeout = Duration::from_millis(200);
    let report = probe_local(&server, &cfg).await;
    let first = &report.observations[0];
    assert_eq!(first.verdict, Verdict::Inconclusive);
    assert_eq!(first.error.as_deref(), Some("no answer within 200 ms"));
    assert_eq!(
        report.observations[1].verdict,
        Verdict::Served,
        "the next one is answered"
    );
    // No time left: nothing is sent.
    cfg.deadline = Duration::ZERO;
    let before = server.requests().len();
    let report = probe_local(&server, &cfg).await;
    assert_eq!(
        (report.stopped, report.observations.len()),
        (Some(Stopped::Deadline), 0)
    );
    assert_eq!(server.requests().len(), before);
    // More combinations than allowed: refused before anything is sent.
    cfg.max_requests = 1;
    let e = probe::plan(Catalog::builtin(), &cfg).unwrap_err();
    assert!(e.to_string().contains("more than the limit of 1"), "{e}");
}

#[test]
fn the_plan_counts_and_prices_before_sending() {
    let mut cfg = config(
        &["amazon.nova-pro-v1:0", "example.unknown-model-v1:0"],
        &["us-east-1", "us-east-1"],
    );
    cfg.tiers = vec![ServiceTier::Priority, ServiceTier::Flex];
    let plan = probe::plan(Catalog::builtin(), &cfg).unwrap();
    assert_eq!(
        plan.requests(),
        6,
        "duplicates dropped: 2 models x 1 region x (1 latency + 2 tiers)"
    );
    // Nova Pro: optimized (0.001 in, 0.004 out per 1K), priority at +75%, flex at standard (0.0008, 0.0032).
    let optimized = (100.0 * 0.001 + 0.004) / 1000.0;
    let standard = (100.0 * 0.0008 + 0.0032) / 1000.0;
    let want = optimized + standard * 1.75 + standard;
    let got = plan.cost_upper_bound_usd().unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    assert_eq!(plan.unpriced(), ["example.unknown-model-v1:0"]);
}
