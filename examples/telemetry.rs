//! OpenTelemetry spans and metrics, split by the latency that served each
//! call, exported to in-memory exporters and summed up at the end.
//!
//! Offline: the crate's local Bedrock-compatible endpoint serves Converse,
//! ConverseStream and an inline agent, standard and optimized (optimized
//! made faster, with made-up timings: not measurements of Bedrock). The
//! OpenTelemetry SDK's in-memory exporters stand in for an OTLP collector
//! (README "Telemetry" shows the OTLP set-up).
//!
//! ```sh
//! cargo run --example telemetry --features testkit,otel
//! ```
//!
//! It prints a few spans, then one line per metric series: name,
//! attributes, count and p50 (estimated from the histogram's buckets, as a
//! dashboard's `histogram_quantile` would).

use std::time::Duration;

use bedrock_latency::models::NovaPro;
use bedrock_latency::telemetry::{Telemetry, instrumentation_scope};
use bedrock_latency::testkit::{LocalBedrock, TokenTiming};
use bedrock_latency::{Client, Latency, LatencyPolicy};
use futures::StreamExt;
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Histogram, HistogramDataPoint, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

const CALLS_PER_TIER: usize = 4;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Your application's OpenTelemetry SDK: here with in-memory exporters.
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
    let metrics = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics.clone()).build())
        .build();

    // The crate records on a tracer and meter with its own scope.
    let telemetry = Telemetry::builder()
        .tracer(tracer_provider.tracer_with_scope(instrumentation_scope()))
        .meter(meter_provider.meter_with_scope(instrumentation_scope()))
        .build();

    let ms = Duration::from_millis;
    let server = LocalBedrock::builder()
        .timing(Latency::Standard, TokenTiming::new(ms(60), ms(4)))
        .timing(Latency::Optimized, TokenTiming::new(ms(25), ms(2)))
        .answer_tokens(12)
        .start()
        .await?;
    let client = Client::builder()
        .sdk_config(&server.sdk_config("us-east-1"))
        .telemetry(telemetry)
        .build()?;
    println!("Offline: local endpoint at {}\n", server.endpoint_url());

    for policy in [LatencyPolicy::Standard, LatencyPolicy::Optimized] {
        for _ in 0..CALLS_PER_TIER {
            client.converse(NovaPro).latency(policy).user("Hello").send().await?;
            let mut stream = client
                .converse_stream(NovaPro)
                .latency(policy)
                .user("Hello")
                .send()
                .await?;
            while let Some(event) = stream.next().await {
                event?;
            }
        }
        client
            .inline_agent(NovaPro)
            .latency(policy)
            .instruction("Answer briefly.")
            .input_text("Where is Paris?")
            .send()
            .await?
            .collect_response()
            .await?;
    }

    tracer_provider.force_flush()?;
    let finished = spans.get_finished_spans()?;
    println!("{} spans; the first of each kind:", finished.len());
    let mut seen = Vec::new();
    for s in &finished {
        let op = attr(&s.attributes, "gen_ai.operation.name");
        let stream = attr(&s.attributes, "gen_ai.request.stream");
        if seen.contains(&(op.clone(), stream.clone())) {
            continue;
        }
        seen.push((op, stream));
        println!("  {:?} {:?}", s.name, s.span_kind);
        for kv in &s.attributes {
            println!("      {} = {}", kv.key, kv.value);
        }
    }

    meter_provider.force_flush()?;
    let collected = metrics.get_finished_metrics()?;
    let last = collected.last().ok_or("no metrics were exported")?;
    println!("\nMetric series (name, attributes, count, p50):");
    for scope in last.scope_metrics() {
        for m in scope.metrics() {
            print_series(m.name(), m.unit(), m.data());
        }
    }
    Ok(())
}

fn attr(kvs: &[KeyValue], key: &str) -> String {
    kvs.iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
        .unwrap_or_default()
}

/// The attributes a dashboard splits by, in a line.
fn series_attrs<'a>(kvs: impl Iterator<Item = &'a KeyValue>) -> String {
    let mut parts: Vec<String> = kvs
        .filter(|kv| kv.key.as_str() != "gen_ai.provider.name")
        .map(|kv| format!("{}={}", kv.key, kv.value))
        .collect();
    parts.sort();
    parts.join(" ")
}

fn print_series(name: &str, unit: &str, data: &AggregatedMetrics) {
    match data {
        AggregatedMetrics::F64(MetricData::Histogram(h)) => print_histogram(name, unit, h, |v| v, 3),
        AggregatedMetrics::U64(MetricData::Histogram(h)) => print_histogram(name, unit, h, |v| v as f64, 1),
        AggregatedMetrics::U64(MetricData::Sum(s)) => {
            for d in s.data_points() {
                println!(
                    "{name} [{unit}] {{{}}} total={}",
                    series_attrs(d.attributes()),
                    d.value()
                );
            }
        }
        _ => println!("{name}: (not summarized here)"),
    }
}

/// Each series of histogram `h`: its count and median (`to_f64` reads its
/// values; `decimals` of the median shown).
fn print_histogram<T: Copy>(name: &str, unit: &str, h: &Histogram<T>, to_f64: fn(T) -> f64, decimals: usize) {
    for d in h.data_points() {
        let p50 = p50(d, to_f64);
        let series = series_attrs(d.attributes());
        println!("{name} [{unit}] {{{series}}} count={} p50={p50:.decimals$}", d.count());
    }
}

/// The median from a histogram's buckets: linear within the bucket that
/// holds it, bounded by the observed min and max.
fn p50<T: Copy>(d: &HistogramDataPoint<T>, f: impl Fn(T) -> f64) -> f64 {
    let bounds: Vec<f64> = d.bounds().collect();
    let counts: Vec<u64> = d.bucket_counts().collect();
    let (min, max) = (d.min().map(&f).unwrap_or(0.0), d.max().map(&f).unwrap_or(0.0));
    let rank = d.count() as f64 / 2.0;
    let mut seen = 0.0;
    for (i, c) in counts.iter().enumerate() {
        let c = *c as f64;
        if c > 0.0 && seen + c >= rank {
            let lo = if i == 0 { min } else { bounds[i - 1].max(min) };
            let hi = bounds.get(i).copied().unwrap_or(max).min(max);
            return lo + (hi - lo) * ((rank - seen) / c);
        }
        seen += c;
    }
    max
}
