//! Load: one client, 256 requests in flight, 5,000 requests, zero errors,
//! through the crate and through the raw SDK on the same endpoint in the same
//! run. Prints throughput and peak memory (`-- --nocapture` to see them;
//! also written to `target/load-report.txt`).

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;
use futures::StreamExt;
use sdk::types::{ContentBlock, ConversationRole, Message, PerformanceConfigLatency, PerformanceConfiguration};

const TOTAL: usize = 5_000;
const IN_FLIGHT: usize = 256;

/// Peak resident set size of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn run<F, Fut>(call: F) -> (usize, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    let errors = futures::stream::iter(0..TOTAL)
        .map(|_| call())
        .buffer_unordered(IN_FLIGHT)
        .filter(|ok| std::future::ready(!ok))
        .count()
        .await;
    (errors, start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_requests_256_in_flight() {
    let server = LocalBedrock::builder().region("us-east-1").start().await.unwrap();
    let raw = sdk::Client::new(&server.sdk_config("us-east-1"));
    let ours = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(raw.clone()))
        .build()
        .unwrap();
    let rss_start = peak_rss_kib();

    let raw_call = || {
        let raw = raw.clone();
        async move {
            raw.converse()
                .model_id("us.amazon.nova-pro-v1:0")
                .messages(
                    Message::builder()
                        .role(ConversationRole::User)
                        .content(ContentBlock::Text("What is the capital of France?".into()))
                        .build()
                        .unwrap(),
                )
                .performance_config(
                    PerformanceConfiguration::builder()
                        .latency(PerformanceConfigLatency::Optimized)
                        .build(),
                )
                .send()
                .await
                .is_ok()
        }
    };
    let our_call = || {
        let c = ours.clone();
        async move {
            match c
                .converse(NovaPro)
                .optimized()
                .user("What is the capital of France?")
                .send()
                .await
            {
                Ok(r) => !r.report.downgraded(),
                Err(_) => false,
            }
        }
    };

    // Warm up both paths (connections), then alternate raw / ours twice.
    let (e, _) = run(raw_call).await;
    assert_eq!(e, 0);
    server.clear_requests();
    let mut raw_times = Vec::new();
    let mut our_times = Vec::new();
    // Debug builds are slow; release runs more rounds for a steadier median.
    let rounds = if cfg!(debug_assertions) { 2 } else { 7 };
    for _ in 0..rounds {
        let (errors, t) = run(raw_call).await;
        assert_eq!(errors, 0, "raw SDK errors");
        raw_times.push(t);
        server.clear_requests();
        let (errors, t) = run(our_call).await;
        assert_eq!(errors, 0, "bedrock-latency errors (or downgrades)");
        our_times.push(t);
        server.clear_requests();
    }
    let rss_end = peak_rss_kib();

    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let (raw_t, our_t) = (median(&raw_times), median(&our_times));
    let rps = |t: Duration| TOTAL as f64 / t.as_secs_f64();
    let report = format!(
        "load: {TOTAL} Converse requests, {IN_FLIGHT} in flight, one client, 0 errors on both paths\n\
         raw SDK:         {:.0} req/s (median of {rounds} alternating runs: {:?})\n\
         bedrock-latency: {:.0} req/s (median of {rounds} alternating runs: {:?})\n\
         throughput ratio (ours / raw): {:.3}\n\
         peak RSS of the test process (client + endpoint): {} KiB at start, {} KiB at end\n\
         build: {}\n",
        rps(raw_t),
        raw_times,
        rps(our_t),
        our_times,
        rps(our_t) / rps(raw_t),
        rss_start.map_or("?".into(), |k| k.to_string()),
        rss_end.map_or("?".into(), |k| k.to_string()),
        if cfg!(debug_assertions) { "debug" } else { "release" },
    );
    println!("{report}");
    let _ = std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/target/load-report.txt"), &report);
}
