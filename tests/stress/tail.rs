//! Tail latency, measured against the local endpoint (release build, one
//! test at a time): hedging against a seeded heavy tail, failover from a
//! region throttled for 10 s, pre-warming against a connect delay, and what
//! 1,000 hedged calls leave behind. Figures are ratios from one run; each
//! test prints its own.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use bedrock_latency::models::NovaPro;
use bedrock_latency::tail::{Failover, Hedge, HedgeTarget};
use bedrock_latency::testkit::{Distribution, LatencyRule, LocalBedrock, ThrottleWindow, TokenTiming};
use bedrock_latency::{
    Catalog, CheckRequest, Client, ClientBuilder, IntoModel as _, LatencyPolicy, LatencyReport, Operation,
};
use futures::StreamExt;

/// A client in `region` on the endpoint, with `attempts` SDK attempts
/// (quick backoff) and these routes.
fn builder(server: &LocalBedrock, region: &str, attempts: u32, routes: &[&str]) -> ClientBuilder {
    let conf = server
        .sdk_config(region)
        .to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .build();
    Client::builder()
        .sdk_config(&conf)
        .route_optimized_to(routes.iter().copied())
}

async fn stream_call(c: &Client, hedged: bool) -> bedrock_latency::Result<LatencyReport> {
    let req = c.converse_stream(NovaPro).user("Name three rivers.");
    let req = if hedged { req } else { req.no_hedge() };
    Ok(req.send().await?.collect_response().await?.report)
}

fn nearest_rank(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

#[tokio::test]
async fn hedging_at_the_observed_p95_cuts_the_p99_by_40_percent_with_at_most_10_percent_extra() {
    let tail = Distribution::heavy_tail(Duration::from_millis(10), 0.2, 0.03, Duration::from_millis(150));
    let server = LocalBedrock::builder()
        .seed(11)
        .latency(LatencyRule::new(tail))
        .answer_tokens(4)
        .start()
        .await
        .unwrap();
    let c = builder(&server, "us-east-1", 1, &[])
        .hedge(Hedge::at_percentile(95.0).max_extra(0.10))
        .build()
        .unwrap();
    let (warmup, n) = (40, 400);
    let (mut plain, mut hedged, mut backups) = (Vec::new(), Vec::new(), 0usize);
    for i in 0..(warmup + n) {
        let a = stream_call(&c, false).await.unwrap();
        let b = stream_call(&c, true).await.unwrap();
        if i >= warmup {
            plain.push(a.timing.time_to_first_token.unwrap());
            hedged.push(b.timing.time_to_first_token.unwrap());
            backups += b.tail.unwrap().backups_sent as usize;
        }
    }
    let (p50, p99) = (nearest_rank(&mut plain, 0.5), nearest_rank(&mut plain, 0.99));
    let (h50, h99) = (nearest_rank(&mut hedged, 0.5), nearest_rank(&mut hedged, 0.99));
    let ratio = p99.as_secs_f64() / p50.as_secs_f64();
    let cut = 1.0 - h99.as_secs_f64() / p99.as_secs_f64();
    let extra = backups as f64 / n as f64;
    eprintln!(
        "hedging: unhedged p50 {p50:?} p99 {p99:?} (p99/p50 {ratio:.1}); hedged p50 {h50:?} p99 {h99:?}; \
         p99 cut {:.0} %, extra requests {:.1} %",
        cut * 100.0,
        extra * 100.0
    );
    assert!(
        ratio >= 5.0,
        "the distribution must have a heavy tail: p99/p50 {ratio:.1}"
    );
    assert!(cut >= 0.40, "p99 cut only {:.0} %", cut * 100.0);
    assert!(extra <= 0.10, "extra requests {:.1} %", extra * 100.0);
}

/// Whether the catalog serves Nova Pro optimized on `op` from `region`.
fn permitted(region: &str, op: Operation) -> bool {
    let model = NovaPro.into_model_id();
    Catalog::builtin()
        .check(&CheckRequest::new(&model, region, op, LatencyPolicy::Optimized))
        .is_ok()
}

#[tokio::test]
async fn a_region_throttled_for_10_s_fails_over_all_500_calls_and_without_failover_errors_are_typed() {
    let server = LocalBedrock::builder()
        .throttle(ThrottleWindow::new("us-east-1").lasting(Duration::from_secs(10)))
        .start()
        .await
        .unwrap();
    // us-west-2 is a route too, but does not serve Nova Pro optimized.
    let routes = ["us-west-2", "us-east-2"];
    let f = Failover::new().backoff(Duration::from_millis(1), Duration::from_millis(10));
    let with = builder(&server, "us-east-1", 1, &routes).failover(f).build().unwrap();
    let without = builder(&server, "us-east-1", 1, &routes).build().unwrap();
    let started = std::time::Instant::now();
    let call = |c: &Client, i: usize| {
        let c = c.clone();
        async move {
            if i % 2 == 0 {
                c.converse(NovaPro)
                    .optimized()
                    .user("Hi")
                    .send()
                    .await
                    .map(|r| r.report)
            } else {
                let s = c.converse_stream(NovaPro).optimized().user("Hi").send().await?;
                s.collect_response().await.map(|r| r.report)
            }
        }
    };
    let served: Vec<_> = futures::stream::iter(0..500)
        .map(|i| call(&with, i))
        .buffer_unordered(25)
        .collect()
        .await;
    let failed = served.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "{:?}", served.iter().find(|r| r.is_err()));
    for r in served.iter().flatten() {
        assert!(permitted(&r.region, r.operation), "served in {}", r.region);
        assert_ne!(r.region, "us-east-1");
        assert!(r.tail.as_ref().unwrap().failed_over());
    }
    // The endpoint agrees: every answer came from a permitted region, and
    // nothing was sent where the catalog refuses optimized Nova Pro.
    let records = server.requests();
    assert!(records.iter().all(|q| q.region != "us-west-2"));
    assert!(
        records
            .iter()
            .filter(|q| q.status == 200)
            .all(|q| permitted(&q.region, q.operation.unwrap()))
    );
    let answered = records.iter().filter(|q| q.status == 200).count();
    assert_eq!(answered, 500);

    let errors: Vec<_> = futures::stream::iter(0..500)
        .map(|i| call(&without, i))
        .buffer_unordered(25)
        .collect()
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "both runs inside the window"
    );
    for e in &errors {
        let e = e.as_ref().unwrap_err();
        assert!(e.is_throttling(), "{e}");
        let s = e.service_error().unwrap();
        assert_eq!(s.status(), Some(429));
        assert!(matches!(s.operation(), Operation::Converse | Operation::ConverseStream));
    }
    eprintln!(
        "failover: 500/500 served (us-east-2), {} requests in all; without: 500/500 typed 429 errors; {:?}",
        records.len(),
        started.elapsed()
    );
}

#[tokio::test]
async fn prewarm_takes_a_200_ms_connect_delay_off_the_first_call() {
    let server = LocalBedrock::builder()
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(20))))
        .connect_delay(Duration::from_millis(200))
        .answer_tokens(4)
        .start()
        .await
        .unwrap();
    let total = |r: LatencyReport| r.timing.total;
    // A fresh client: its first call opens a connection.
    let cold_client = builder(&server, "us-east-1", 1, &[]).build().unwrap();
    let accepted = server.connection_stats().accepted;
    let cold = total(stream_call(&cold_client, false).await.unwrap());
    assert_eq!(
        server.connection_stats().accepted,
        accepted + 1,
        "a fresh client opens its own connection"
    );
    let mut steady = Vec::new();
    for _ in 0..9 {
        steady.push(total(stream_call(&cold_client, false).await.unwrap()));
    }
    let steady = nearest_rank(&mut steady, 0.5);
    // Another fresh client, pre-warmed.
    let warm_client = builder(&server, "us-east-1", 1, &[]).build().unwrap();
    let warmed = warm_client.prewarm().await;
    assert_eq!(warmed.opened(), 1, "{warmed:?}");
    let accepted = server.connection_stats().accepted;
    let warm = total(stream_call(&warm_client, false).await.unwrap());
    assert_eq!(
        server.connection_stats().accepted,
        accepted,
        "the first call used the warm connection"
    );
    let (ratio, extra) = (warm.as_secs_f64() / steady.as_secs_f64(), cold.saturating_sub(steady));
    eprintln!(
        "prewarm: steady {steady:?}; first call after prewarm {warm:?} ({ratio:.2}x); cold first call {cold:?} (+{extra:?})"
    );
    assert!(ratio <= 1.2, "first call after prewarm {ratio:.2}x a steady call");
    assert!(
        (Duration::from_millis(160)..=Duration::from_millis(300)).contains(&extra),
        "a cold first call is slower by about the 200 ms delay: +{extra:?}"
    );
}

/// 1,000 hedged calls (half unary, half streams) against an endpoint on a
/// runtime of its own, so that the client's runtime holds only the
/// client's tasks: the losers' requests end at the endpoint, no stream task
/// is left there, and the client's tasks go back to none once it is dropped.
#[test]
fn after_1000_hedged_calls_the_losers_are_closed_and_no_task_is_left() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let slow_or_fast = Distribution::Mixture(vec![
        (1.0, Distribution::Fixed(Duration::from_millis(1))),
        (1.0, Distribution::Fixed(Duration::from_millis(40))),
    ]);
    // Tokens 3 ms apart: a stream cut under the endpoint fails its next
    // write, so the endpoint sees it abandoned (with no gaps, a whole short
    // stream fits in the socket buffer before the client's reset arrives).
    let per_token = TokenTiming::new(Duration::ZERO, Duration::from_millis(3));
    let server = server_rt.block_on(async {
        LocalBedrock::builder()
            .seed(3)
            .latency(LatencyRule::new(slow_or_fast))
            .timing(bedrock_latency::Latency::Standard, per_token)
            .answer_tokens(8)
            .start()
            .await
            .unwrap()
    });
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let baseline = client_rt.metrics().num_alive_tasks();
    let (backups, client_tasks) = client_rt.block_on(async {
        let hedge = Hedge::after(Duration::from_millis(10))
            .max_extra(1.0)
            .target(HedgeTarget::SameRegion);
        let c = builder(&server, "us-east-1", 1, &[]).hedge(hedge).build().unwrap();
        let calls = futures::stream::iter(0..1000).map(|i| {
            let c = c.clone();
            async move {
                if i % 2 == 0 {
                    c.converse(NovaPro).user("Hi").send().await.map(|r| r.report)
                } else {
                    stream_call(&c, true).await
                }
            }
        });
        let reports: Vec<_> = calls.buffer_unordered(10).collect().await;
        let backups: u64 = reports
            .iter()
            .map(|r| u64::from(r.as_ref().unwrap().tail.as_ref().unwrap().backups_sent))
            .sum();
        let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
        drop(c);
        (backups, tasks)
    });
    let settled = |f: &dyn Fn() -> bool| {
        for _ in 0..200 {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    };
    let done = settled(&|| {
        let s = server.connection_stats();
        s.requests_in_flight == 0 && s.stream_tasks == 0
    });
    let stats = server.connection_stats();
    eprintln!(
        "1000 hedged calls: {backups} backups; endpoint {stats:?}; client tasks alive after the calls {client_tasks}"
    );
    assert!(done, "requests or stream tasks left at the endpoint: {stats:?}");
    assert!(
        backups >= 300,
        "the mixture makes about half the calls hedge: {backups}"
    );
    // The losers closed their connections: the endpoint saw them close and
    // the requests on them cut. A loser whose whole answer arrived before
    // its connection task saw it dropped (a scheduling race: a few in a
    // thousand on a quiet machine, a few percent on a busy one) leaves the
    // connection in the SDK's pool for reuse instead. Nothing else stays:
    // what is open is the pool, bounded by the concurrency.
    let closed = stats.accepted - stats.open;
    assert!(
        closed as f64 >= 0.9 * backups as f64,
        "{closed} closed for {backups} losers"
    );
    assert!(stats.abandoned as f64 >= 0.9 * backups as f64, "{stats:?}");
    assert!(stats.open <= 20, "the pool of 10 concurrent calls: {stats:?}");
    // Every task left on the client's runtime is a pooled connection's
    // (plus the pool's idle timer): none is a call's.
    assert!(
        client_tasks as u64 <= stats.open + 1,
        "{client_tasks} tasks for {} connections",
        stats.open
    );
    // Once the endpoint closes those connections, no client task is left.
    server_rt.block_on(server.shutdown());
    let left = client_rt.block_on(async {
        for _ in 0..200 {
            if tokio::runtime::Handle::current().metrics().num_alive_tasks() == baseline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::runtime::Handle::current().metrics().num_alive_tasks()
    });
    assert_eq!(left, baseline, "a client task was left running");
    eprintln!("losers' connections closed {closed}/{backups}, client tasks left after the endpoint closed: {left}");
}
