//! Hedging and failover through the real SDK against the local endpoint,
//! with small, far-apart delays (so that which request wins is not a
//! matter of timing): the winner, the report, the requests the endpoint
//! saw, and the loser's connection.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use bedrock_latency::models::NovaPro;
use bedrock_latency::tail::{Failover, Hedge, HedgeSkipped, HedgeTarget, HedgeWinner};
use bedrock_latency::testkit::{Distribution, LatencyRule, LocalBedrock, Outage, OutageKind, ThrottleWindow};
use bedrock_latency::{Client, Error};
use futures::StreamExt;

use crate::support::Request as _;

/// us-east-1 answers after 400 ms, us-east-2 after 5 ms.
async fn slow_home() -> LocalBedrock {
    LocalBedrock::builder()
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(400))).region("us-east-1"))
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(5))).region("us-east-2"))
        .start()
        .await
        .unwrap()
}

/// A client in us-east-1 that may route to us-east-2, with quick SDK retries.
fn client(
    server: &LocalBedrock,
    b: impl FnOnce(bedrock_latency::ClientBuilder) -> bedrock_latency::ClientBuilder,
) -> Client {
    let conf = server
        .sdk_config("us-east-1")
        .to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .build();
    b(Client::builder().sdk_config(&conf).route_optimized_to(["us-east-2"]))
        .build()
        .unwrap()
}

fn hedge() -> Hedge {
    Hedge::after(Duration::from_millis(30)).max_extra(1.0)
}

#[tokio::test]
async fn a_slow_first_request_loses_to_a_backup_in_another_permitted_region() {
    let s = slow_home().await;
    let c = client(&s, |b| b.hedge(hedge()));
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(r.report.region, "us-east-2");
    assert_eq!(r.report.routed_from.as_deref(), Some("us-east-1"));
    let tail = r.report.tail.as_ref().expect("tail report");
    let h = tail.hedge.as_ref().unwrap();
    assert_eq!(h.winner, HedgeWinner::Backup);
    assert_eq!(h.backup_region.as_deref(), Some("us-east-2"));
    assert_eq!(h.delay, Some(Duration::from_millis(30)));
    let extra = h.extra_tokens.expect("extra tokens estimated");
    assert_eq!(Some(extra.input_tokens), r.report.usage.map(|u| u.input_tokens));
    assert!(h.extra_cost_usd.unwrap() > 0.0, "Nova Pro has catalog prices");
    assert_eq!(tail.backups_sent, 1);
    assert_eq!(tail.served_region(), Some("us-east-2"));
    assert!(
        r.report.timing.total < Duration::from_millis(300),
        "{:?}",
        r.report.timing
    );
    let regions: Vec<String> = s.requests().into_iter().map(|q| q.region).collect();
    assert_eq!(regions, vec!["us-east-1", "us-east-2"]);
    // The loser was dropped: the endpoint sees its request abandoned.
    for _ in 0..100 {
        if s.connection_stats().abandoned == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = s.connection_stats();
    assert_eq!((stats.abandoned, stats.requests_in_flight), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn a_stream_is_won_at_its_first_token_and_reads_to_its_end() {
    let s = slow_home().await;
    let c = client(&s, |b| b.hedge(hedge().target(HedgeTarget::PreferOtherRegion)));
    let mut stream = c.converse_stream(NovaPro).optimized().user("Hi").send().await.unwrap();
    let mut text = String::new();
    while let Some(ev) = stream.next().await {
        if let bedrock_latency::runtime::StreamEvent::TextDelta(t) = ev.unwrap() {
            text.push_str(&t);
        }
    }
    let report = stream.report();
    assert!(text.starts_with("Local answer"), "{text}");
    assert_eq!(report.region, "us-east-2");
    assert!(report.timing.time_to_first_token.unwrap() < Duration::from_millis(300));
    let h = report.tail.as_ref().unwrap().hedge.as_ref().unwrap();
    assert_eq!(h.winner, HedgeWinner::Backup);
    assert!(h.extra_tokens.is_some(), "priced once the stream's usage came");
}

#[tokio::test]
async fn hedging_to_the_same_region_and_answers_in_time_and_the_cap() {
    let s = slow_home().await;
    // Same region: the backup is slow too; the first answer still wins.
    let c = client(&s, |b| b.hedge(hedge().target(HedgeTarget::SameRegion)));
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(r.report.region, "us-east-1");
    let h = r.report.tail.unwrap().hedge.unwrap();
    assert_eq!(h.backup_region.as_deref(), Some("us-east-1"));
    // A fast region answers before the delay: no backup.
    let fast = LocalBedrock::start().await.unwrap();
    let c = client(&fast, |b| b.hedge(Hedge::after(Duration::from_secs(5)).max_extra(1.0)));
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    let h = r.report.tail.unwrap().hedge.unwrap();
    assert_eq!(
        (h.skipped, h.backup_sent()),
        (Some(HedgeSkipped::AnsweredInTime), false)
    );
    assert_eq!(fast.requests().len(), 1);
    // The default cap (10 %) allows no backup for a first request.
    let c = client(&s, |b| b.hedge(Hedge::after(Duration::from_millis(30))));
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(
        r.report.tail.unwrap().hedge.unwrap().skipped,
        Some(HedgeSkipped::Capped)
    );
    // A percentile delay waits for enough observed times.
    let c = client(&fast, |b| b.hedge(Hedge::at_percentile(95.0).max_extra(1.0)));
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(
        r.report.tail.unwrap().hedge.unwrap().skipped,
        Some(HedgeSkipped::TooFewSamples)
    );
    // Per call: off.
    let c = client(&s, |b| b.hedge(hedge()));
    let r = c.converse(NovaPro).optimized().user("Hi").no_hedge().answer().await;
    assert!(r.report.tail.is_none());
}

#[tokio::test]
async fn a_throttled_region_fails_over_and_without_failover_the_error_is_typed() {
    let s = LocalBedrock::builder()
        .throttle(ThrottleWindow::new("us-east-1").lasting(Duration::from_secs(10)))
        .start()
        .await
        .unwrap();
    let c = client(&s, |b| {
        b.failover(Failover::new().backoff(Duration::from_millis(1), Duration::from_millis(5)))
    });
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(r.report.region, "us-east-2");
    let tail = r.report.tail.unwrap();
    assert_eq!(tail.attempts.len(), 2);
    assert_eq!(tail.attempts[0].region, "us-east-1");
    assert!(tail.failed_over());
    // One SDK attempt per region: two requests in all.
    assert_eq!(s.requests().len(), 2);

    // Without failover: the SDK retries (twice here) and the error says 429.
    s.clear_requests();
    let e = client(&s, |b| b).converse(NovaPro).optimized().user("Hi").error().await;
    assert!(e.is_throttling(), "{e}");
    assert_eq!(e.service_error().and_then(|s| s.status()), Some(429));
    assert_eq!(s.requests().len(), 2);

    // Standard requests fail over too, to any permitted region.
    let r = c.converse(NovaPro).user("Hi").answer().await;
    assert_eq!(r.report.region, "us-east-2");
}

#[tokio::test]
async fn every_region_down_gives_a_typed_error_that_names_the_regions() {
    let s = LocalBedrock::builder()
        .outage(Outage::new("us-east-1"))
        .outage(Outage::new("us-east-2").kind(OutageKind::Reset))
        .start()
        .await
        .unwrap();
    let f = Failover::new()
        .attempts(4)
        .backoff(Duration::from_millis(1), Duration::from_millis(2));
    let c = client(&s, |b| b.failover(f));
    let e = c.converse(NovaPro).optimized().user("Hi").error().await;
    let Error::FailedOver { regions, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(regions, &["us-east-1", "us-east-2", "us-east-1", "us-east-2"]);
    assert!(e.is_retryable(), "{e}");
    assert_eq!(s.requests().len(), 4, "bounded: one SDK attempt per region");
    assert!(e.to_string().contains("Converse"), "{e}");
}

#[tokio::test]
async fn prewarm_opens_one_connection_per_permitted_region_that_later_calls_reuse() {
    let s = LocalBedrock::start().await.unwrap();
    let c = client(&s, |b| b);
    let warmed = c.prewarm().await;
    let regions: Vec<(&str, usize)> = warmed.regions.iter().map(|r| (r.region.as_str(), r.opened)).collect();
    assert_eq!(regions, vec![("us-east-1", 1), ("us-east-2", 1)], "{warmed:?}");
    let seen: Vec<(String, String)> = s.requests().into_iter().map(|r| (r.path, r.region)).collect();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|(p, _)| p == "/async-invoke"), "{seen:?}");
    assert_eq!(s.connection_stats().accepted, 2);
    // Optimized Nova Pro from us-east-1 stays home; routed elsewhere it would use us-east-2's.
    c.converse(NovaPro).optimized().user("Hi").answer().await;
    assert_eq!(s.connection_stats().accepted, 2, "the warm connection was reused");
    // Several at once.
    let warmed = c.prewarm_connections(3).await;
    assert_eq!(warmed.opened(), 6);
    // A client over mocks has nothing to warm, and says so.
    let mock = Client::builder()
        .runtime(bedrock_latency::runtime::MockBedrockRuntimeApi::new())
        .region("us-east-1")
        .build()
        .unwrap();
    let warmed = mock.prewarm().await;
    assert_eq!(warmed.opened(), 0);
    assert!(warmed.regions[0].error.as_deref().unwrap().contains("not the AWS SDK"));
}

/// `map_sdk_config` applies on the hedged path too, to both legs: with an
/// operation timeout shorter than the endpoint's 400 ms, the first request
/// and its same-region backup both time out; without it the call is served.
#[tokio::test]
async fn a_per_call_sdk_configuration_applies_to_both_legs_of_a_hedge() {
    let s = slow_home().await;
    let c = client(&s, |b| b.hedge(hedge().target(HedgeTarget::SameRegion)));
    let short = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(Duration::from_millis(100))
        .build();
    let e = c
        .converse(NovaPro)
        .optimized()
        .user("Hi")
        .map_sdk_config(move |b| b.timeout_config(short))
        .error()
        .await;
    assert!(e.is_timeout(), "{e:?}");
    let r = c.converse(NovaPro).optimized().user("Hi").answer().await;
    let h = r.report.tail.unwrap().hedge.unwrap();
    assert_eq!(h.backup_region.as_deref(), Some("us-east-1"));
}
