//! Our call path against the raw AWS SDK call, for the same Converse request
//! on the local endpoint (loopback), in the same run.
//!
//! Run: `cargo bench --bench overhead --features testkit`. Criterion times
//! each path (and our layer alone over a service that answers at once).
//! Criterion runs one benchmark after the other, and this machine's speed
//! drifts by more than the few percent being measured between two windows of
//! a few seconds, so the ratio that counts comes from a paired run: raw and
//! ours called alternately, each call timed on its own, 20,000 pairs
//! (`OVERHEAD_PAIRS` to change), with a 95 % bootstrap interval and an A/A
//! control (raw against raw) to show the method's own noise. The bench fails
//! when that ratio is above the target, 1.02.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::Instant;

use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;
use criterion::Criterion;
use sdk::types::{ContentBlock, ConversationRole, Message, PerformanceConfigLatency, PerformanceConfiguration};

const PROMPT: &str = "What is the capital of France?";

/// The most our path may cost, as a ratio to the raw SDK call.
const TARGET: f64 = 1.02;

/// A service that answers at once with a canned output: timing our layer
/// alone (check, request building, report) without any I/O.
struct Instant0(sdk::operation::converse::ConverseOutput);

#[async_trait::async_trait]
impl bedrock_latency::runtime::BedrockRuntimeApi for Instant0 {
    async fn converse(
        &self,
        input: sdk::operation::converse::builders::ConverseInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::converse::ConverseOutput>>
    {
        black_box(input);
        Ok(bedrock_latency::runtime::WithRequestId::new(self.0.clone(), None))
    }
    async fn converse_stream(
        &self,
        _: sdk::operation::converse_stream::builders::ConverseStreamInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawConverseStream> {
        unreachable!("not benchmarked")
    }
    async fn invoke_model(
        &self,
        _: sdk::operation::invoke_model::builders::InvokeModelInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::invoke_model::InvokeModelOutput>>
    {
        unreachable!("not benchmarked")
    }
    async fn invoke_model_stream(
        &self,
        _: sdk::operation::invoke_model_with_response_stream::builders::InvokeModelWithResponseStreamInputBuilder,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawInvokeModelStream> {
        unreachable!("not benchmarked")
    }
}

struct Setup {
    rt: tokio::runtime::Runtime,
    _server: LocalBedrock,
    raw: sdk::Client,
    ours: Client,
    layer_only: Client<Instant0>,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(
            LocalBedrock::builder()
                .region("us-east-1")
                // Recording costs the same on both paths; keeping few keeps memory flat.
                .record_limit(100)
                .start(),
        )
        .unwrap();
    let conf = sdk::Config::builder()
        .behavior_version(sdk::config::BehaviorVersion::latest())
        .region(sdk::config::Region::new("us-east-1"))
        .endpoint_url(server.endpoint_url())
        .credentials_provider(sdk::config::Credentials::new(
            "AKIDBENCH",
            "secret",
            None,
            None,
            "bench",
        ))
        .build();
    let raw = sdk::Client::from_conf(conf);
    // The same SDK client (and connection pool) under both paths.
    let ours = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(raw.clone()))
        .build()
        .unwrap();
    // The canned answer is a real one from the local endpoint.
    let canned = rt.block_on(async {
        ours.converse(NovaPro)
            .optimized()
            .user(PROMPT)
            .send()
            .await
            .unwrap()
            .raw
            .unwrap()
    });
    let layer_only = Client::builder()
        .runtime(Instant0(canned))
        .region("us-east-1")
        .build()
        .unwrap();
    Setup {
        rt,
        _server: server,
        raw,
        ours,
        layer_only,
    }
}

async fn raw_call(c: &sdk::Client) {
    let out = c
        .converse()
        .model_id("us.amazon.nova-pro-v1:0")
        .messages(
            Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text(PROMPT.to_owned()))
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
        .unwrap();
    black_box(out);
}

async fn our_call<R: bedrock_latency::runtime::BedrockRuntimeApi>(c: &Client<R>) {
    let out = c.converse(NovaPro).optimized().user(PROMPT).send().await.unwrap();
    assert!(!out.report.downgraded());
    black_box(out);
}

/// Calls `a` and `b` alternately, `pairs` times each, timing every call on
/// its own (which goes first alternates too). Drift of the machine over the
/// run then touches both sides alike, and the median of 10,000+ calls is
/// stable to a few tenths of a percent, unlike two criterion runs a few
/// seconds apart.
fn paired<A, B, FA, FB>(s: &Setup, pairs: usize, a: A, b: B) -> (Vec<f64>, Vec<f64>)
where
    A: Fn() -> FA,
    B: Fn() -> FB,
    FA: std::future::Future<Output = ()>,
    FB: std::future::Future<Output = ()>,
{
    let (mut ta, mut tb) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    s.rt.block_on(async {
        for i in 0..pairs {
            let t = Instant::now();
            if i % 2 == 0 {
                a().await;
                let m = Instant::now();
                b().await;
                ta.push((m - t).as_secs_f64());
                tb.push(m.elapsed().as_secs_f64());
            } else {
                b().await;
                let m = Instant::now();
                a().await;
                tb.push((m - t).as_secs_f64());
                ta.push(m.elapsed().as_secs_f64());
            }
        }
    });
    (ta, tb)
}

fn median(v: &mut [f64]) -> f64 {
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f64::total_cmp).1
}

/// The ratio of medians `b / a`, and a 95 % bootstrap interval over pairs.
fn ratio_of_medians(a: &[f64], b: &[f64]) -> (f64, f64, f64, f64, f64) {
    let (ma, mb) = (median(&mut a.to_vec()), median(&mut b.to_vec()));
    // xorshift64*: deterministic resampling, no extra dependency.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut below = |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    };
    let n = a.len();
    let (mut ra, mut rb) = (vec![0.0; n], vec![0.0; n]);
    let mut ratios: Vec<f64> = (0..400)
        .map(|_| {
            for k in 0..n {
                let j = below(n);
                ra[k] = a[j];
                rb[k] = b[j];
            }
            median(&mut rb) / median(&mut ra)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let lo = ratios[ratios.len() * 25 / 1000];
    let hi = ratios[ratios.len() * 975 / 1000];
    (ma, mb, mb / ma, lo, hi)
}

fn report_pairs(label: &str, pairs: usize, a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb, r, lo, hi) = ratio_of_medians(a, b);
    println!(
        "{label} ({pairs} alternating pairs): medians {:.1} us vs {:.1} us, ratio {r:.4} (95% interval {lo:.4}-{hi:.4})",
        ma * 1e6,
        mb * 1e6
    );
    r
}

fn criterion_median(id: &str) -> Option<f64> {
    let path = format!("{}/criterion/overhead/{id}/new/estimates.json", target_dir());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_owned())
}

fn main() {
    let s = setup();
    // Warm up connections and caches.
    s.rt.block_on(async {
        for _ in 0..200 {
            raw_call(&s.raw).await;
            our_call(&s.ours).await;
        }
    });

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("overhead");
        g.bench_function("raw_sdk_converse", |b| b.to_async(&s.rt).iter(|| raw_call(&s.raw)));
        g.bench_function("bedrock_latency_converse", |b| {
            b.to_async(&s.rt).iter(|| our_call(&s.ours))
        });
        g.bench_function("bedrock_latency_layer_only", |b| {
            b.to_async(&s.rt).iter(|| our_call(&s.layer_only))
        });
        g.finish();
    }
    c.final_summary();

    if let (Some(raw), Some(ours)) = (
        criterion_median("raw_sdk_converse"),
        criterion_median("bedrock_latency_converse"),
    ) {
        println!(
            "criterion medians (sequential windows, drift included): raw SDK {:.1} us, bedrock-latency {:.1} us, \
             ratio {:.4}",
            raw / 1e3,
            ours / 1e3,
            ours / raw
        );
    }
    if let (Some(raw), Some(layer)) = (
        criterion_median("raw_sdk_converse"),
        criterion_median("bedrock_latency_layer_only"),
    ) {
        println!(
            "our layer alone (check, build, report; no I/O): {:.2} us = {:.2}% of a raw SDK call on loopback, \
             so the expected ratio is {:.4}",
            layer / 1e3,
            100.0 * layer / raw,
            (raw + layer) / raw
        );
    }
    // A/A first: the same raw call on both sides shows the method's noise.
    let pairs: usize = std::env::var("OVERHEAD_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (a1, a2) = paired(&s, pairs, || raw_call(&s.raw), || raw_call(&s.raw));
    report_pairs("A/A control, raw SDK vs raw SDK", pairs, &a1, &a2);
    let (raw, ours) = paired(&s, pairs, || raw_call(&s.raw), || our_call(&s.ours));
    let ratio = report_pairs("A/B, raw SDK vs bedrock-latency", pairs, &raw, &ours);
    if ratio > TARGET {
        eprintln!("FAIL: bedrock-latency / raw SDK = {ratio:.4}, above the target {TARGET}");
        std::process::exit(1);
    }
    println!("ratio {ratio:.4} is within the target {TARGET}");
}
