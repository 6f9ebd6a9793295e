//! OpenTelemetry SDK in-memory exporters behind a `Telemetry`, and what
//! the tests read from them.

use std::collections::BTreeMap;
use std::time::Duration;

use bedrock_latency::Client;
use bedrock_latency::Latency;
use bedrock_latency::telemetry::{Conventions, Telemetry};
use bedrock_latency::testkit::{LocalBedrock, TokenTiming};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Histogram, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

/// The exporters and the telemetry that records on them.
pub(crate) struct Otel {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    pub(crate) telemetry: Telemetry,
}

impl Otel {
    pub(crate) fn new(conventions: Conventions, capture_content: bool) -> Self {
        let spans = InMemorySpanExporter::default();
        let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        let telemetry = Telemetry::builder()
            .conventions(conventions)
            .capture_content(capture_content)
            .tracer(tracer_provider.tracer_with_scope(conventions.instrumentation_scope()))
            .meter(meter_provider.meter_with_scope(conventions.instrumentation_scope()))
            .build();
        Otel {
            spans,
            metrics,
            tracer_provider,
            meter_provider,
            telemetry,
        }
    }

    /// The finished spans.
    pub(crate) fn spans(&self) -> Vec<SpanData> {
        self.tracer_provider.force_flush().unwrap();
        self.spans.get_finished_spans().unwrap()
    }

    /// Every metric point collected so far (cumulative): one per series.
    pub(crate) fn points(&self) -> Vec<Point> {
        self.meter_provider.force_flush().unwrap();
        let all = self.metrics.get_finished_metrics().unwrap();
        let Some(last) = all.last() else { return Vec::new() };
        let mut out = Vec::new();
        for scope in last.scope_metrics() {
            assert_eq!(scope.scope().name(), "bedrock-latency");
            for m in scope.metrics() {
                out.extend(points_of(m.name(), m.unit(), m.data()));
            }
        }
        out
    }
}

/// One metric series.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub(crate) name: String,
    pub(crate) unit: String,
    pub(crate) kind: &'static str,
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) bounds: Vec<f64>,
}

fn attrs<'a>(kv: impl Iterator<Item = &'a KeyValue>) -> BTreeMap<String, String> {
    kv.map(|kv| (kv.key.to_string(), kv.value.to_string())).collect()
}

fn points_of(name: &str, unit: &str, data: &AggregatedMetrics) -> Vec<Point> {
    let p = |kind, attributes, count, sum, bounds| Point {
        name: name.to_owned(),
        unit: unit.to_owned(),
        kind,
        attributes,
        count,
        sum,
        bounds,
    };
    match data {
        AggregatedMetrics::F64(MetricData::Histogram(h)) => histogram(h, |s| s, p),
        AggregatedMetrics::U64(MetricData::Histogram(h)) => histogram(h, |s| s as f64, p),
        AggregatedMetrics::U64(MetricData::Sum(s)) => s
            .data_points()
            .map(|d| p("counter", attrs(d.attributes()), 1, d.value() as f64, Vec::new()))
            .collect(),
        other => panic!("unexpected metric data for {name}: {other:?}"),
    }
}

/// The points of histogram `h` (its sums as `f64` by `sum`), made by `p`.
fn histogram<T: Copy>(
    h: &Histogram<T>,
    sum: fn(T) -> f64,
    p: impl Fn(&'static str, BTreeMap<String, String>, u64, f64, Vec<f64>) -> Point,
) -> Vec<Point> {
    h.data_points()
        .map(|d| {
            p(
                "histogram",
                attrs(d.attributes()),
                d.count(),
                sum(d.sum()),
                d.bounds().collect(),
            )
        })
        .collect()
}

/// A span's attributes as `key -> value` text (lists as `[a,b]`).
pub(crate) fn span_attrs(s: &SpanData) -> BTreeMap<String, String> {
    s.attributes
        .iter()
        .map(|kv| {
            let v = match &kv.value {
                Value::Array(a) => format!("{a}"),
                v => v.to_string(),
            };
            (kv.key.to_string(), v)
        })
        .collect()
}

/// A local endpoint in `region` with fast timing (3 ms to the first token,
/// 1 ms per token), 8 answer tokens.
pub(crate) async fn fast_endpoint(region: &str) -> LocalBedrock {
    let t = TokenTiming::new(Duration::from_millis(3), Duration::from_millis(1));
    LocalBedrock::builder()
        .region(region)
        .timing(Latency::Standard, t)
        .timing(Latency::Optimized, t)
        .answer_tokens(8)
        .start()
        .await
        .unwrap()
}

/// A client of `server` from `region`, SDK retries off, recording on `otel`.
pub(crate) fn client(server: &LocalBedrock, region: &str, telemetry: &Telemetry) -> Client {
    let conf = server
        .sdk_config(region)
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    Client::builder()
        .sdk_config(&conf)
        .telemetry(telemetry.clone())
        .build()
        .unwrap()
}

/// The usual setup: telemetry with `conventions` (content not captured), a
/// [`fast_endpoint`] serving `region`, and a [`client`] there.
pub(crate) async fn otel_setup(conventions: Conventions, region: &str) -> (Otel, LocalBedrock, Client) {
    let otel = Otel::new(conventions, false);
    let server = fast_endpoint(region).await;
    let c = client(&server, region, &otel.telemetry);
    (otel, server, c)
}
