//! Our call path against the raw AWS SDK call, for the same requests on the
//! local endpoint (loopback), in the same run: Converse (whole call),
//! ConverseStream (time to the first text event) and InvokeInlineAgent
//! (whole call, stream read to the end).
//!
//! Run: `cargo bench --bench overhead --features testkit`. Criterion times
//! the Converse paths (and our layer alone over a service that answers at
//! once). Criterion runs one benchmark after the other, and this machine's
//! speed drifts by more than the few percent being measured between two
//! windows of a few seconds, so the ratios that count come from paired runs:
//! raw and ours called alternately, each call timed on its own (20,000
//! Converse pairs, a quarter as many for the others; `OVERHEAD_PAIRS` to
//! change), with a 95 % bootstrap interval and an A/A control (raw against
//! raw, for each of the three) to show the method's own noise. The bench
//! fails when a ratio is above its target: 1.01 for Converse, 1.02 for the
//! other two. `OVERHEAD_PROFILE` runs one path alone, for instruction
//! counts (see [`profile`]).
//!
//! `OVERHEAD_COLD=1` runs, after the A/A control, raw against raw followed
//! by a call of our layer alone (over a service that answers at once): what
//! the layer costs with its code and data out of the caches, as they are
//! between two SDK calls, against what criterion times in a hot loop.
//!
//! With `--features testkit,otel` one more arm: Converse through a client
//! that records every call on the OpenTelemetry SDK (spans to an in-memory
//! exporter through the SDK's batch processor, the conventions' metrics to
//! an in-memory metric exporter on a periodic reader), against the raw SDK:
//! target 1.05. `OVERHEAD_ONLY_OTEL=1` runs that arm alone after the A/A
//! control.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::Instant;

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;
use bedrock_latency::Client;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::LocalBedrock;
use criterion::Criterion;
use sdk::types::{ContentBlock, ConversationRole, Message, PerformanceConfigLatency, PerformanceConfiguration};

const PROMPT: &str = "What is the capital of France?";

/// The most our Converse path may cost, as a ratio to the raw SDK call.
const TARGET: f64 = 1.01;
/// The most our ConverseStream (time to first text) and inline-agent paths
/// may cost.
const TARGET_STREAM: f64 = 1.02;
/// The most our Converse path may cost while it records spans and metrics on
/// the OpenTelemetry SDK (feature `otel`).
#[cfg(feature = "otel")]
const TARGET_OTEL: f64 = 1.05;

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
    raw_agent: agent_sdk::Client,
    ours: Client,
    layer_only: Client<Instant0>,
    #[cfg(feature = "otel")]
    otel: OtelArm,
}

/// A client recording on the OpenTelemetry SDK, and the SDK's providers.
#[cfg(feature = "otel")]
struct OtelArm {
    client: Client,
    /// Our layer alone (no I/O) with the same telemetry.
    layer_only: Client<Instant0>,
    spans: opentelemetry_sdk::trace::InMemorySpanExporter,
    tracer_provider: opentelemetry_sdk::trace::SdkTracerProvider,
    meter_provider: opentelemetry_sdk::metrics::SdkMeterProvider,
}

/// A span exporter that drops what it is given.
#[cfg(feature = "otel")]
#[derive(Debug)]
struct Discard;

#[cfg(feature = "otel")]
impl opentelemetry_sdk::trace::SpanExporter for Discard {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

#[cfg(feature = "otel")]
fn otel_arm(raw: &sdk::Client, raw_agent: &agent_sdk::Client, canned: Instant0) -> OtelArm {
    use bedrock_latency::telemetry::{Telemetry, instrumentation_scope};
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder().with_batch_exporter(spans.clone()).build();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(InMemoryMetricExporter::default()).build())
        .build();
    // `OVERHEAD_OTEL_SIGNALS=spans` or `=metrics`: one of the two only (to
    // see which costs what); both by default.
    let signals = std::env::var("OVERHEAD_OTEL_SIGNALS").unwrap_or_default();
    let mut builder = Telemetry::builder();
    if signals != "metrics" {
        builder = builder.tracer(tracer_provider.tracer_with_scope(instrumentation_scope()));
    }
    if signals != "spans" {
        builder = builder.meter(meter_provider.meter_with_scope(instrumentation_scope()));
    }
    let telemetry = builder.build();
    let client = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(raw.clone()))
        .agent_runtime(bedrock_latency::agent::SdkAgentRuntime::new(raw_agent.clone()))
        .telemetry(telemetry.clone())
        .build()
        .unwrap();
    // Criterion calls the layer alone millions of times: its spans are
    // dropped once exported (an in-memory exporter would keep them all),
    // synchronously (a batch processor's queue would overflow and drop).
    let discarding = SdkTracerProvider::builder().with_simple_exporter(Discard).build();
    let layer_telemetry = Telemetry::builder()
        .tracer(discarding.tracer_with_scope(instrumentation_scope()))
        .meter(meter_provider.meter_with_scope(instrumentation_scope()))
        .build();
    let layer_only = Client::builder()
        .runtime(canned)
        .region("us-east-1")
        .telemetry(layer_telemetry)
        .build()
        .unwrap();
    OtelArm {
        client,
        layer_only,
        spans,
        tracer_provider,
        meter_provider,
    }
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
    let conf = server.sdk_config("us-east-1");
    let raw = sdk::Client::new(&conf);
    let raw_agent = agent_sdk::Client::new(&conf);
    // The same SDK clients (and connection pools) under both paths.
    let ours = Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(raw.clone()))
        .agent_runtime(bedrock_latency::agent::SdkAgentRuntime::new(raw_agent.clone()))
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
        .runtime(Instant0(canned.clone()))
        .region("us-east-1")
        .build()
        .unwrap();
    Setup {
        rt,
        _server: server,
        #[cfg(feature = "otel")]
        otel: otel_arm(&raw, &raw_agent, Instant0(canned)),
        raw,
        raw_agent,
        ours,
        layer_only,
    }
}

async fn raw_call(c: &sdk::Client) {
    let out = c
        .converse()
        .model_id("us.amazon.nova-pro-v1:0")
        .messages(user_message())
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

/// A raw SDK call after a call of our layer alone: the layer's cost cold
/// (`OVERHEAD_COLD=1`).
async fn raw_after_layer_call(c: &sdk::Client, layer: &Client<Instant0>) {
    our_call(layer).await;
    raw_call(c).await;
}

/// Time to the first text event of a raw SDK ConverseStream; the rest is read
/// untimed.
async fn raw_stream_first(c: &sdk::Client) -> f64 {
    let t = Instant::now();
    let mut out = c
        .converse_stream()
        .model_id("us.amazon.nova-pro-v1:0")
        .messages(user_message())
        .performance_config(
            PerformanceConfiguration::builder()
                .latency(PerformanceConfigLatency::Optimized)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut first = None;
    while let Some(ev) = out.stream.recv().await.unwrap() {
        if first.is_none() && matches!(ev, sdk::types::ConverseStreamOutput::ContentBlockDelta(_)) {
            first = Some(t.elapsed().as_secs_f64());
        }
    }
    first.expect("a text event")
}

/// The same through this crate.
async fn our_stream_first(c: &Client) -> f64 {
    use futures::StreamExt;
    let t = Instant::now();
    let mut stream = c
        .converse_stream(NovaPro)
        .optimized()
        .user(PROMPT)
        .send()
        .await
        .unwrap();
    let mut first = None;
    while let Some(ev) = stream.next().await {
        if first.is_none() && matches!(ev.unwrap(), bedrock_latency::runtime::StreamEvent::TextDelta(_)) {
            first = Some(t.elapsed().as_secs_f64());
        }
    }
    first.expect("a text event")
}

const INSTRUCTION: &str = "You answer questions about geography briefly.";

/// A whole raw SDK InvokeInlineAgent call, its stream read to the end and
/// the answer's text kept.
async fn raw_agent_call(c: &agent_sdk::Client) -> f64 {
    use agent_sdk::types::{
        InlineBedrockModelConfigurations, PerformanceConfigLatency as L, PerformanceConfiguration as P,
    };
    let t = Instant::now();
    let mut out = c
        .invoke_inline_agent()
        .foundation_model("us.amazon.nova-pro-v1:0")
        .instruction(INSTRUCTION)
        .input_text(PROMPT)
        .session_id("bench-session")
        .bedrock_model_configurations(
            InlineBedrockModelConfigurations::builder()
                .performance_config(P::builder().latency(L::Optimized).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // What any caller does with the stream: keep the answer's bytes as
    // text (ours also joins UTF-8 split across chunks, keeps citations and
    // the report).
    let mut answer = Vec::new();
    while let Some(ev) = out.completion.recv().await.unwrap() {
        if let agent_sdk::types::InlineAgentResponseStream::Chunk(c) = &ev
            && let Some(b) = c.bytes()
        {
            answer.extend_from_slice(b.as_ref());
        }
        black_box(ev);
    }
    black_box(String::from_utf8_lossy(&answer));
    t.elapsed().as_secs_f64()
}

/// The same through this crate.
async fn our_agent_call(c: &Client) -> f64 {
    let t = Instant::now();
    let out = c
        .inline_agent(NovaPro)
        .optimized()
        .instruction(INSTRUCTION)
        .input_text(PROMPT)
        .session_id("bench-session")
        .send()
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    black_box(out);
    t.elapsed().as_secs_f64()
}

fn user_message() -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(PROMPT.to_owned()))
        .build()
        .unwrap()
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
    FA: std::future::Future<Output = f64>,
    FB: std::future::Future<Output = f64>,
{
    let (mut ta, mut tb) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    s.rt.block_on(async {
        for i in 0..pairs {
            if i % 2 == 0 {
                ta.push(a().await);
                tb.push(b().await);
            } else {
                tb.push(b().await);
                ta.push(a().await);
            }
        }
    });
    (ta, tb)
}

/// Times a whole call.
async fn timed(f: impl std::future::Future<Output = ()>) -> f64 {
    let t = Instant::now();
    f.await;
    t.elapsed().as_secs_f64()
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

/// `OVERHEAD_PROFILE=PATH:N`: after the warm-up, makes `N` calls of one
/// path and exits, for instruction counts of one path at a time (e.g.
/// `valgrind --tool=callgrind` of the bench binary, `N` = 0 for the
/// baseline). Paths: `raw`, `ours`, `layer`, `raw-stream`, `our-stream`,
/// `raw-agent`, `our-agent`, and with feature `otel` `otel` (Converse
/// recorded on the OpenTelemetry SDK).
fn profile(s: &Setup, spec: &str) {
    let (path, n) = spec.split_once(':').unwrap_or((spec, "1000"));
    let n: usize = n.parse().expect("OVERHEAD_PROFILE=PATH:N");
    s.rt.block_on(async {
        for _ in 0..n {
            match path {
                "raw" => raw_call(&s.raw).await,
                "ours" => our_call(&s.ours).await,
                "layer" => our_call(&s.layer_only).await,
                "raw-stream" => drop(raw_stream_first(&s.raw).await),
                "our-stream" => drop(our_stream_first(&s.ours).await),
                "raw-agent" => drop(raw_agent_call(&s.raw_agent).await),
                "our-agent" => drop(our_agent_call(&s.ours).await),
                #[cfg(feature = "otel")]
                "otel" => our_call(&s.otel.client).await,
                other => panic!("OVERHEAD_PROFILE: unknown path {other}"),
            }
        }
    });
}

fn main() {
    let s = setup();
    // Warm up connections and caches.
    s.rt.block_on(async {
        for _ in 0..200 {
            raw_call(&s.raw).await;
            our_call(&s.ours).await;
            raw_stream_first(&s.raw).await;
            our_stream_first(&s.ours).await;
            raw_agent_call(&s.raw_agent).await;
            our_agent_call(&s.ours).await;
        }
    });
    if let Ok(spec) = std::env::var("OVERHEAD_PROFILE") {
        profile(&s, &spec);
        return;
    }

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
        #[cfg(feature = "otel")]
        g.bench_function("bedrock_latency_layer_only_otel", |b| {
            b.to_async(&s.rt).iter(|| our_call(&s.otel.layer_only))
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
    #[cfg(feature = "otel")]
    if let (Some(raw), Some(layer)) = (
        criterion_median("raw_sdk_converse"),
        criterion_median("bedrock_latency_layer_only_otel"),
    ) {
        println!(
            "our layer alone with OpenTelemetry spans and metrics (no I/O): {:.2} us = {:.2}% of a raw SDK call",
            layer / 1e3,
            100.0 * layer / raw
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
    let (a1, a2) = paired(&s, pairs, || timed(raw_call(&s.raw)), || timed(raw_call(&s.raw)));
    report_pairs("A/A control, raw SDK vs raw SDK (Converse)", pairs, &a1, &a2);
    if std::env::var_os("OVERHEAD_COLD").is_some() {
        let (raw, both) = paired(
            &s,
            pairs,
            || timed(raw_call(&s.raw)),
            || timed(raw_after_layer_call(&s.raw, &s.layer_only)),
        );
        report_pairs(
            "raw SDK vs our layer alone followed by the raw SDK (Converse)",
            pairs,
            &raw,
            &both,
        );
        return;
    }
    let mut failed = false;
    // `OVERHEAD_ONLY_OTEL=1`: the OpenTelemetry arm alone (after the A/A control).
    if std::env::var_os("OVERHEAD_ONLY_OTEL").is_none() {
        failed |= !sdk_pairs(&s, pairs);
    }
    #[cfg(feature = "otel")]
    {
        failed |= !otel_pairs(&s, pairs);
    }
    if failed {
        std::process::exit(1);
    }
}

/// Raw SDK against ours for Converse, ConverseStream (time to first text)
/// and an inline agent; whether every ratio is within its target.
fn sdk_pairs(s: &Setup, pairs: usize) -> bool {
    let mut failed = false;
    let (raw, ours) = paired(s, pairs, || timed(raw_call(&s.raw)), || timed(our_call(&s.ours)));
    failed |= !within(
        report_pairs("A/B Converse, raw SDK vs bedrock-latency", pairs, &raw, &ours),
        TARGET,
    );
    let few = (pairs / 4).max(500);
    let (a1, a2) = paired(s, few, || raw_stream_first(&s.raw), || raw_stream_first(&s.raw));
    report_pairs(
        "A/A control, raw SDK vs raw SDK (ConverseStream time to first text)",
        few,
        &a1,
        &a2,
    );
    let (raw, ours) = paired(s, few, || raw_stream_first(&s.raw), || our_stream_first(&s.ours));
    failed |= !within(
        report_pairs(
            "A/B ConverseStream time to first text, raw SDK vs bedrock-latency",
            few,
            &raw,
            &ours,
        ),
        TARGET_STREAM,
    );
    let (a1, a2) = paired(s, few, || raw_agent_call(&s.raw_agent), || raw_agent_call(&s.raw_agent));
    report_pairs("A/A control, raw SDK vs raw SDK (InvokeInlineAgent)", few, &a1, &a2);
    let (raw, ours) = paired(s, few, || raw_agent_call(&s.raw_agent), || our_agent_call(&s.ours));
    failed |= !within(
        report_pairs("A/B InvokeInlineAgent, raw SDK vs bedrock-latency", few, &raw, &ours),
        TARGET_STREAM,
    );
    !failed
}

/// Raw SDK against our Converse recording on the OpenTelemetry SDK; checks
/// that every call was exported.
#[cfg(feature = "otel")]
fn otel_pairs(s: &Setup, pairs: usize) -> bool {
    let o = &s.otel;
    s.rt.block_on(async {
        for _ in 0..200 {
            our_call(&o.client).await;
        }
    });
    o.tracer_provider.force_flush().unwrap();
    o.spans.reset();
    let (raw, ours) = paired(s, pairs, || timed(raw_call(&s.raw)), || timed(our_call(&o.client)));
    o.tracer_provider.force_flush().unwrap();
    o.meter_provider.force_flush().unwrap();
    let exported = o.spans.get_finished_spans().unwrap().len();
    let signals = std::env::var("OVERHEAD_OTEL_SIGNALS").unwrap_or_else(|_| "spans and metrics".to_owned());
    println!("spans exported by the OpenTelemetry arm ({signals}): {exported} (calls: {pairs})");
    let ratio = report_pairs(
        "A/B Converse with OpenTelemetry spans and metrics (in-memory exporters), raw SDK vs bedrock-latency",
        pairs,
        &raw,
        &ours,
    );
    (exported == pairs || signals == "metrics") && within(ratio, TARGET_OTEL)
}

fn within(ratio: f64, target: f64) -> bool {
    if ratio > target {
        eprintln!("FAIL: bedrock-latency / raw SDK = {ratio:.4}, above the target {target}");
        false
    } else {
        println!("ratio {ratio:.4} is within the target {target}");
        true
    }
}
