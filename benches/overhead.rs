//! Our call path against the raw AWS SDK call, for the same Converse request
//! on the local endpoint (loopback), in the same run.
//!
//! Run: `cargo bench --bench overhead`. Besides criterion's own report, the
//! bench prints the ratio of medians (ours / raw) twice: from criterion's
//! estimates, and from an interleaved A/B run (batches of raw and ours
//! alternating, so that drift affects both alike). It also times our layer
//! alone over a service that answers at once, which bounds the overhead
//! without the loopback noise.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;
use criterion::Criterion;
use sdk::types::{ContentBlock, ConversationRole, Message, PerformanceConfigLatency, PerformanceConfiguration};

const PROMPT: &str = "What is the capital of France?";

/// A service that answers at once with a canned output: timing our layer
/// alone (check, request building, report) without any I/O.
struct Instant0(sdk::operation::converse::ConverseOutput);

#[async_trait::async_trait]
impl bedrock_latency::runtime::BedrockRuntimeApi for Instant0 {
    async fn converse(
        &self,
        input: sdk::operation::converse::ConverseInput,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::converse::ConverseOutput>>
    {
        black_box(input);
        Ok(bedrock_latency::runtime::WithRequestId::new(self.0.clone(), None))
    }
    async fn converse_stream(
        &self,
        _: sdk::operation::converse_stream::ConverseStreamInput,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawConverseStream> {
        unreachable!("not benchmarked")
    }
    async fn invoke_model(
        &self,
        _: sdk::operation::invoke_model::InvokeModelInput,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::WithRequestId<sdk::operation::invoke_model::InvokeModelOutput>>
    {
        unreachable!("not benchmarked")
    }
    async fn invoke_model_stream(
        &self,
        _: sdk::operation::invoke_model_with_response_stream::InvokeModelWithResponseStreamInput,
    ) -> bedrock_latency::Result<bedrock_latency::runtime::RawInvokeModelStream> {
        unreachable!("not benchmarked")
    }
}

struct Setup {
    rt: tokio::runtime::Runtime,
    server: LocalBedrock,
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
        .block_on(LocalBedrock::builder().region("us-east-1").start())
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
    let ours = Client::from_sdk(raw.clone()).unwrap();
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
    let layer_only = Client::with_api(Instant0(canned), "us-east-1").unwrap();
    Setup {
        rt,
        server,
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Alternating batches of `a` and `b`; returns the medians of per-call time.
fn interleaved<A, B, FA, FB>(s: &Setup, rounds: usize, batch: usize, a: A, b: B) -> (Duration, Duration)
where
    A: Fn() -> FA,
    B: Fn() -> FB,
    FA: std::future::Future<Output = ()>,
    FB: std::future::Future<Output = ()>,
{
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed() / batch as u32
    };
    let run_a = || {
        s.rt.block_on(async {
            for _ in 0..batch {
                a().await;
            }
        })
    };
    let run_b = || {
        s.rt.block_on(async {
            for _ in 0..batch {
                b().await;
            }
        })
    };
    for round in 0..rounds {
        // Alternate which goes first, so neither always follows the other.
        if round % 2 == 0 {
            ta.push(time(&run_a));
            tb.push(time(&run_b));
        } else {
            tb.push(time(&run_b));
            ta.push(time(&run_a));
        }
    }
    (median(ta), median(tb))
}

fn criterion_median(id: &str) -> Option<f64> {
    let path = format!("{}/criterion/overhead/{id}/new/estimates.json", target_dir());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn target_dir() -> String {
    std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_owned())
}

/// The endpoint records every request; keep the list short between runs.
fn clear_recorded(s: &Setup) {
    s.server.clear_requests();
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
    clear_recorded(&s);

    if let (Some(raw), Some(ours)) = (
        criterion_median("raw_sdk_converse"),
        criterion_median("bedrock_latency_converse"),
    ) {
        println!(
            "criterion medians: raw SDK {:.1} us, bedrock-latency {:.1} us, ratio {:.4}",
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
    let (a1, a2) = interleaved(&s, 41, 200, || raw_call(&s.raw), || raw_call(&s.raw));
    println!(
        "interleaved A/A control (raw vs raw, 41 rounds x 200 calls): {:.1} us vs {:.1} us, ratio {:.4}",
        a1.as_secs_f64() * 1e6,
        a2.as_secs_f64() * 1e6,
        a2.as_secs_f64() / a1.as_secs_f64()
    );
    clear_recorded(&s);
    let (raw, ours) = interleaved(&s, 41, 200, || raw_call(&s.raw), || our_call(&s.ours));
    println!(
        "interleaved A/B (raw vs bedrock-latency, 41 rounds x 200 calls): {:.1} us vs {:.1} us, ratio {:.4}",
        raw.as_secs_f64() * 1e6,
        ours.as_secs_f64() * 1e6,
        ours.as_secs_f64() / raw.as_secs_f64()
    );
}
