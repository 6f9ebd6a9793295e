//! Hedged requests against a heavy tail, offline: the local endpoint draws
//! each time to first token from a seeded log-normal body (median 20 ms)
//! with a 3 % tail around 300 ms; the same requests go out unhedged and
//! hedged (a backup once a request has waited longer than the observed
//! p95, at most 10 % extra requests), interleaved, in one run.
//!
//! `cargo run --example tail_latency --features testkit`
//!
//! The last line reads `p50 A ms -> B ms, p99 C ms -> D ms, extra requests E %`
//! (unhedged -> hedged).

use std::time::Duration;

use bedrock_latency::models::NovaPro;
use bedrock_latency::tail::Hedge;
use bedrock_latency::testkit::{Distribution, LatencyRule, LocalBedrock};
use bedrock_latency::{Client, LatencyReport};

/// Measured requests per arm, after the warm-up.
const REQUESTS: usize = 300;
/// Unmeasured requests per arm first (the hedge learns its p95 from them).
const WARMUP: usize = 40;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tail = Distribution::heavy_tail(Duration::from_millis(20), 0.25, 0.03, Duration::from_millis(300));
    let server = LocalBedrock::builder()
        .seed(7)
        .latency(LatencyRule::new(tail.clone()))
        .answer_tokens(8)
        .start()
        .await?;
    let conf = server.sdk_config("us-east-1");
    let plain = Client::new(&conf);
    let hedged = Client::builder()
        .sdk_config(&conf)
        .hedge(Hedge::at_percentile(95.0).max_extra(0.10))
        .build()?;
    println!(
        "local endpoint {}, time to first token (ms) drawn from {tail}, seed 7",
        server.endpoint_url()
    );
    println!("{REQUESTS} requests per arm after {WARMUP} warm-up requests, interleaved\n");

    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut backups = 0;
    for i in 0..(WARMUP + REQUESTS) {
        let a = ttft(&plain).await?;
        let b = ttft(&hedged).await?;
        if i >= WARMUP {
            before.push(a.timing.time_to_first_token.unwrap_or(a.timing.total));
            after.push(b.timing.time_to_first_token.unwrap_or(b.timing.total));
            let sent = b
                .tail
                .as_ref()
                .and_then(|t| t.hedge.as_ref())
                .is_some_and(|h| h.backup_sent());
            backups += usize::from(sent);
        }
    }
    let (p50a, p99a) = percentiles(&mut before);
    let (p50b, p99b) = percentiles(&mut after);
    println!("{:<10} {:>8} {:>8}", "ARM", "p50 ms", "p99 ms");
    println!("{:<10} {p50a:>8} {p99a:>8}", "unhedged");
    println!("{:<10} {p50b:>8} {p99b:>8}", "hedged");
    println!("p99/p50 without hedging: {:.1}", p99a as f64 / p50a.max(1) as f64);
    println!(
        "p50 {p50a} ms -> {p50b} ms, p99 {p99a} ms -> {p99b} ms, extra requests {:.1} %",
        100.0 * backups as f64 / REQUESTS as f64
    );
    Ok(())
}

/// One ConverseStream call, read to its end; its report.
async fn ttft(client: &Client) -> Result<LatencyReport, bedrock_latency::Error> {
    let answer = client
        .converse_stream(NovaPro)
        .user("Name three rivers.")
        .send()
        .await?
        .collect_response()
        .await?;
    Ok(answer.report)
}

/// Nearest-rank p50 and p99, in whole milliseconds.
fn percentiles(v: &mut [Duration]) -> (u128, u128) {
    v.sort();
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1].as_millis();
    (at(0.50), at(0.99))
}
