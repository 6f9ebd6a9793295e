//! The `tracing` path into OpenTelemetry: a `tracing-opentelemetry` layer
//! turns the `bedrock_call` span into the conventions' span (name, kind,
//! status, attributes), with no `otel` feature and no tracer given to the
//! crate.

use std::collections::BTreeMap;
use std::time::Duration;

use bedrock_latency::models::NovaPro;
use bedrock_latency::telemetry::Telemetry;
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock, TokenTiming};
use bedrock_latency::{Client, Latency, Operation};
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

use crate::collect::Request as _;

const SECRET: &str = "my-secret-prompt-c0ffee";

fn attrs(s: &SpanData) -> BTreeMap<String, String> {
    s.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect()
}

/// Runs `calls` under a tracing-opentelemetry subscriber; the spans it made.
async fn spans_of(
    telemetry: Telemetry,
    region: &str,
    calls: impl AsyncFnOnce(&Client, &LocalBedrock),
) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("app")));
    let guard = tracing::subscriber::set_default(subscriber);
    let t = TokenTiming::new(Duration::from_millis(2), Duration::from_millis(1));
    let server = LocalBedrock::builder()
        .region(region)
        .timing(Latency::Optimized, t)
        .timing(Latency::Standard, t)
        .start()
        .await
        .unwrap();
    let conf = server
        .sdk_config(region)
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let client = Client::builder()
        .sdk_config(&conf)
        .telemetry(telemetry)
        .build()
        .unwrap();
    calls(&client, &server).await;
    drop(guard);
    provider.force_flush().unwrap();
    // The SDK's own spans are there too: keep the crate's.
    exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| attrs(s).contains_key("gen_ai.operation.name"))
        .collect()
}

#[tokio::test]
async fn tracing_opentelemetry_gets_the_conventions_span() {
    let spans = spans_of(Telemetry::default(), "us-east-1", async |c, server| {
        c.converse(NovaPro)
            .optimized()
            .user(SECRET)
            .max_tokens(32)
            .answer()
            .await;
        server.inject(FaultRule::new(Fault::Throttling).on(Operation::Converse));
        c.converse(NovaPro).optimized().user(SECRET).error().await;
    })
    .await;
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let (ok, failed) = (&spans[0], &spans[1]);
    assert_eq!(ok.name, "chat us.amazon.nova-pro-v1:0");
    assert_eq!(ok.span_kind, SpanKind::Client);
    let a = attrs(ok);
    for (k, v) in [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "aws.bedrock"),
        ("gen_ai.request.model", "us.amazon.nova-pro-v1:0"),
        ("gen_ai.request.max_tokens", "32"),
        ("cloud.region", "us-east-1"),
        ("bedrock_latency.latency.sent", "optimized"),
        ("bedrock_latency.latency.served", "optimized"),
        ("bedrock_latency.downgraded", "false"),
    ] {
        assert_eq!(a.get(k).map(String::as_str), Some(v), "{k} in {a:#?}");
    }
    // Integers stay integers through the layer.
    let usage = ok
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "gen_ai.usage.output_tokens")
        .unwrap();
    assert!(
        matches!(usage.value, opentelemetry::Value::I64(n) if n > 0),
        "{usage:?}"
    );
    assert_eq!(attrs(failed)["error.type"], "ThrottlingException");
    assert!(matches!(failed.status, Status::Error { .. }), "{:?}", failed.status);
    let everything = format!("{spans:?}");
    assert!(!everything.contains(SECRET), "the prompt leaked: {everything}");
}

#[tokio::test]
async fn captured_content_is_the_details_event_on_the_tracing_path() {
    let telemetry = Telemetry::builder().capture_content(true).build();
    let spans = spans_of(telemetry, "us-east-1", async |c, _| {
        c.converse(NovaPro).optimized().user(SECRET).answer().await;
    })
    .await;
    let events: Vec<_> = spans[0].events.iter().collect();
    let details = events
        .iter()
        .find(|e| e.name == "gen_ai.client.inference.operation.details")
        .unwrap_or_else(|| panic!("no details event: {events:#?}"));
    let input = details
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "gen_ai.input.messages")
        .unwrap();
    assert!(input.value.to_string().contains(SECRET));
}

#[tokio::test]
async fn a_refusal_is_a_span_on_the_tracing_path() {
    let spans = spans_of(Telemetry::default(), "eu-west-1", async |c, server| {
        c.converse(NovaPro).optimized().user("Hi").refusal().await;
        assert!(server.requests().is_empty());
    })
    .await;
    assert_eq!(spans.len(), 1);
    let a = attrs(&spans[0]);
    assert_eq!(a["bedrock_latency.refusal.reason"], "region-not-served");
    assert_eq!(a["error.type"], "bedrock_latency.refused");
    assert_eq!(spans[0].span_kind, SpanKind::Client);
    assert!(matches!(spans[0].status, Status::Error { .. }));
}
