//! Spans and metrics recorded on an OpenTelemetry SDK (in-memory
//! exporters), checked against the GenAI semantic conventions v1.41.0:
//! names, units, bucket boundaries, span kind, attribute keys and values.

use crate::collect::Request as _;

use std::collections::{BTreeMap, BTreeSet};

use bedrock_latency::models::NovaPro;
use bedrock_latency::telemetry::Conventions;
use bedrock_latency::telemetry::names::metrics::{DURATION_BUCKETS, TOKEN_BUCKETS};
use bedrock_latency::testkit::{Fault, FaultRule};
use bedrock_latency::{LatencyPolicy, Operation};
use futures::StreamExt;
use opentelemetry::trace::{SpanKind, Status};

use super::otel_support::{Otel, Point, client, fast_endpoint, otel_setup, span_attrs};

const MODEL: &str = "us.amazon.nova-pro-v1:0";

/// The model ID sent: the inference profile for optimized, the base model
/// ID for standard.
fn model(tier: &str) -> &'static str {
    if tier == "optimized" {
        MODEL
    } else {
        "amazon.nova-pro-v1:0"
    }
}

fn keys(m: &BTreeMap<String, String>) -> BTreeSet<&str> {
    m.keys().map(String::as_str).collect()
}

fn set<'a>(k: &[&'a str]) -> BTreeSet<&'a str> {
    k.iter().copied().collect()
}

/// The attribute keys every call span has: the operation and model first,
/// where and how it was sent and served last.
const GEN_AI_KEYS: [&str; 3] = ["gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model"];
const LATENCY_KEYS: [&str; 6] = [
    "cloud.region",
    "aws.request_id",
    "bedrock_latency.latency.requested",
    "bedrock_latency.latency.sent",
    "bedrock_latency.latency.served",
    "bedrock_latency.downgraded",
];

/// A call span's attribute keys: the ones every call span has, and `own`.
fn span_keys<'a>(own: &[&'a str]) -> BTreeSet<&'a str> {
    GEN_AI_KEYS.iter().chain(own).chain(&LATENCY_KEYS).copied().collect()
}

/// The series of `name` whose attribute `key` is `value`.
fn series<'a>(points: &'a [Point], name: &str, key: &str, value: &str) -> Vec<&'a Point> {
    points
        .iter()
        .filter(|p| p.name == name && p.attributes.get(key).map(String::as_str) == Some(value))
        .collect()
}

/// The one point of metric `name` with attribute `key` = `value`.
fn one<'a>(points: &'a [Point], name: &str, key: &str, value: &str) -> &'a Point {
    let found = series(points, name, key, value);
    assert_eq!(found.len(), 1, "one {name} with {key}={value}: {points:#?}");
    found[0]
}

/// What every metric point of a `chat` call says, plus `served`.
fn chat_metric_attrs(served: &str) -> BTreeMap<String, String> {
    [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "aws.bedrock"),
        ("gen_ai.request.model", model(served)),
        ("cloud.region", "us-east-1"),
        ("bedrock_latency.latency.sent", served),
        ("bedrock_latency.latency.served", served),
        ("bedrock_latency.downgraded", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::test]
async fn converse_optimized_and_standard() {
    let (otel, _server, c) = otel_setup(Conventions::V1_41, "us-east-1").await;
    for policy in [LatencyPolicy::Optimized, LatencyPolicy::Standard] {
        let r = c
            .converse(NovaPro)
            .latency(policy)
            .user("Hello")
            .max_tokens(64)
            .temperature(0.5)
            .answer()
            .await;
        assert!(!r.report.downgraded());
    }

    let spans = otel.spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    for (s, tier) in spans.iter().zip(["optimized", "standard"]) {
        check_converse_span(s, tier);
    }
    let points = otel.points();
    let names: BTreeSet<&str> = points.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        set(&["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]),
        "a unary call has no chunk metrics: {points:#?}"
    );
    for tier in ["optimized", "standard"] {
        check_converse_metrics(&points, tier);
    }
}

/// One Converse span: name, kind, status, scope, every attribute key and
/// the values that do not vary.
fn check_converse_span(s: &opentelemetry_sdk::trace::SpanData, tier: &str) {
    assert_eq!(s.name, format!("chat {}", model(tier)));
    assert_eq!(s.span_kind, SpanKind::Client);
    assert_eq!(s.status, Status::Unset);
    assert_eq!(s.instrumentation_scope.name(), "bedrock-latency");
    assert_eq!(
        s.instrumentation_scope.schema_url(),
        Some("https://opentelemetry.io/schemas/1.41.0")
    );
    let a = span_attrs(s);
    assert_eq!(
        keys(&a),
        span_keys(&[
            "gen_ai.request.max_tokens",
            "gen_ai.request.temperature",
            "gen_ai.response.finish_reasons",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "bedrock_latency.server_latency",
        ]),
        "{a:#?}"
    );
    for (k, v) in [
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "aws.bedrock"),
        ("gen_ai.request.model", model(tier)),
        ("gen_ai.request.max_tokens", "64"),
        ("gen_ai.request.temperature", "0.5"),
        ("gen_ai.response.finish_reasons", r#"["end_turn"]"#),
        ("gen_ai.usage.output_tokens", "8"),
        ("cloud.region", "us-east-1"),
        ("bedrock_latency.latency.requested", tier),
        ("bedrock_latency.latency.sent", tier),
        ("bedrock_latency.latency.served", tier),
        ("bedrock_latency.downgraded", "false"),
    ] {
        assert_eq!(a[k], v, "{k}");
    }
    assert!(a["aws.request_id"].len() > 8, "{a:#?}");
}

/// The duration and token series of the Converse calls served `tier`.
fn check_converse_metrics(points: &[Point], tier: &str) {
    let d = one(
        points,
        "gen_ai.client.operation.duration",
        "bedrock_latency.latency.served",
        tier,
    );
    assert_eq!((d.unit.as_str(), d.kind, d.count), ("s", "histogram", 1));
    assert_eq!(d.bounds, DURATION_BUCKETS);
    assert_eq!(d.attributes, chat_metric_attrs(tier));
    assert!(d.sum > 0.0);
    let t = series(
        points,
        "gen_ai.client.token.usage",
        "bedrock_latency.latency.served",
        tier,
    );
    let by_type: BTreeMap<&str, &Point> = t
        .iter()
        .map(|p| (p.attributes["gen_ai.token.type"].as_str(), *p))
        .collect();
    assert_eq!(by_type.keys().copied().collect::<Vec<_>>(), ["input", "output"]);
    let out = by_type["output"];
    assert_eq!((out.unit.as_str(), out.count, out.sum), ("{token}", 1, 8.0));
    assert_eq!(out.bounds, TOKEN_BUCKETS);
}

#[tokio::test]
async fn converse_stream_records_time_to_first_chunk() {
    let (otel, _server, c) = otel_setup(Conventions::V1_41, "us-east-1").await;
    let mut chunks = Vec::new();
    for policy in [LatencyPolicy::Optimized, LatencyPolicy::Standard] {
        let mut s = c
            .converse_stream(NovaPro)
            .latency(policy)
            .user("Hello")
            .send()
            .await
            .unwrap();
        let mut n = 0;
        while let Some(ev) = s.next().await {
            if matches!(ev.unwrap(), bedrock_latency::runtime::StreamEvent::TextDelta(_)) {
                n += 1;
            }
        }
        assert!(s.report().timing.time_to_first_token.is_some());
        chunks.push(n);
    }

    let spans = otel.spans();
    assert_eq!(spans.len(), 2);
    for (s, tier) in spans.iter().zip(["optimized", "standard"]) {
        assert_eq!(s.name, format!("chat {}", model(tier)));
        assert_eq!(s.span_kind, SpanKind::Client);
        let a = span_attrs(s);
        assert_eq!(a["gen_ai.request.stream"], "true");
        assert_eq!(a["bedrock_latency.latency.served"], tier);
        assert_eq!(a["gen_ai.response.finish_reasons"], r#"["end_turn"]"#);
        let ttfc: f64 = a["gen_ai.response.time_to_first_chunk"].parse().unwrap();
        assert!(ttfc > 0.0 && ttfc < 5.0, "{ttfc}");
    }

    let points = otel.points();
    for (tier, n) in ["optimized", "standard"].into_iter().zip(chunks) {
        let first = one(
            &points,
            "gen_ai.client.operation.time_to_first_chunk",
            "bedrock_latency.latency.served",
            tier,
        );
        assert_eq!((first.unit.as_str(), first.count), ("s", 1));
        assert_eq!(first.bounds, DURATION_BUCKETS);
        assert_eq!(first.attributes, chat_metric_attrs(tier));
        let per = series(
            &points,
            "gen_ai.client.operation.time_per_output_chunk",
            "bedrock_latency.latency.served",
            tier,
        );
        assert!(n > 1, "the endpoint sends one chunk per token");
        assert_eq!(
            (per[0].unit.as_str(), per[0].count),
            ("s", n - 1),
            "one value per chunk after the first"
        );
        assert_eq!(per[0].bounds, DURATION_BUCKETS);
    }
}

#[tokio::test]
async fn an_inline_agent_is_an_invoke_agent_span() {
    let (otel, _server, c) = otel_setup(Conventions::V1_41, "us-east-1").await;
    for policy in [LatencyPolicy::Optimized, LatencyPolicy::Standard] {
        c.inline_agent(NovaPro)
            .latency(policy)
            .instruction("Answer briefly.")
            .input_text("Where is Paris?")
            .session_id("session-42")
            .answer()
            .await;
    }

    let spans = otel.spans();
    assert_eq!(spans.len(), 2);
    for (s, tier) in spans.iter().zip(["optimized", "standard"]) {
        assert_eq!(s.name, "invoke_agent");
        assert_eq!(s.span_kind, SpanKind::Client);
        let a = span_attrs(s);
        assert_eq!(
            keys(&a),
            span_keys(&[
                "gen_ai.request.stream",
                "gen_ai.conversation.id",
                "gen_ai.response.time_to_first_chunk",
            ]),
            "{a:#?}"
        );
        assert_eq!(a["gen_ai.operation.name"], "invoke_agent");
        assert_eq!(a["gen_ai.conversation.id"], "session-42");
        assert_eq!(a["gen_ai.request.model"], model(tier));
        assert_eq!(a["bedrock_latency.latency.sent"], tier);
        // The agent runtime does not say which latency served it.
        assert_eq!(a["bedrock_latency.latency.served"], "not-reported");
    }

    let points = otel.points();
    for tier in ["optimized", "standard"] {
        let d = one(
            &points,
            "gen_ai.client.operation.duration",
            "bedrock_latency.latency.sent",
            tier,
        );
        assert_eq!(d.attributes["gen_ai.operation.name"], "invoke_agent");
        assert_eq!(d.attributes["bedrock_latency.latency.served"], "not-reported");
        assert_eq!((d.unit.as_str(), d.count), ("s", 1));
    }
    assert!(
        !points.iter().any(|p| p.name == "gen_ai.client.token.usage"),
        "no usage reported, no token metric"
    );
}

#[tokio::test]
async fn an_error_sets_error_type_and_status() {
    let otel = Otel::new(Conventions::V1_41, false);
    let server = fast_endpoint("us-east-1").await;
    server.inject(FaultRule::new(Fault::Throttling).on(Operation::Converse));
    let c = client(&server, "us-east-1", &otel.telemetry);
    let e = c.converse(NovaPro).optimized().user("Hello").error().await;
    assert!(e.is_throttling(), "{e}");

    let spans = otel.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.name, format!("chat {MODEL}"));
    assert!(
        matches!(&s.status, Status::Error { description } if !description.is_empty()),
        "{:?}",
        s.status
    );
    assert_eq!(span_attrs(s)["error.type"], "ThrottlingException");

    let points = otel.points();
    let d = one(
        &points,
        "gen_ai.client.operation.duration",
        "error.type",
        "ThrottlingException",
    );
    assert_eq!(d.count, 1);
}

#[tokio::test]
async fn a_refusal_is_a_span_and_sends_nothing() {
    let (otel, server, c) = otel_setup(Conventions::V1_41, "eu-west-1").await;
    let e = c.converse(NovaPro).optimized().user("Hello").error().await;
    assert!(e.refusal().is_some(), "{e}");
    assert!(server.requests().is_empty(), "a refusal sends nothing");

    let spans = otel.spans();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(s.span_kind, SpanKind::Client);
    assert!(matches!(&s.status, Status::Error { .. }));
    let a = span_attrs(s);
    assert_eq!(a["error.type"], "bedrock_latency.refused");
    assert_eq!(a["bedrock_latency.refusal.reason"], "region-not-served");
    assert_eq!(a["bedrock_latency.latency.requested"], "optimized");
    assert_eq!(a["cloud.region"], "eu-west-1");
    assert!(otel.points().is_empty(), "nothing was sent: no metric");
}

#[tokio::test]
async fn a_downgrade_is_on_the_span_and_the_metrics() {
    let otel = Otel::new(Conventions::V1_41, false);
    let server = fast_endpoint("us-east-1").await;
    server.set_optimized_quota(MODEL, Some(0));
    let c = client(&server, "us-east-1", &otel.telemetry);
    let r = c.converse(NovaPro).optimized().user("Hello").answer().await;
    assert!(r.report.downgraded());

    let a = span_attrs(&otel.spans()[0]);
    assert_eq!(a["bedrock_latency.latency.sent"], "optimized");
    assert_eq!(a["bedrock_latency.latency.served"], "standard");
    assert_eq!(a["bedrock_latency.downgraded"], "true");
    assert_eq!(a["bedrock_latency.downgrade.reason"], "served-standard");
    let points = otel.points();
    let d = one(
        &points,
        "gen_ai.client.operation.duration",
        "bedrock_latency.downgraded",
        "true",
    );
    assert_eq!(d.attributes["bedrock_latency.latency.served"], "standard");
}

const SECRET_PROMPT: &str = "my-secret-prompt-5e1d";
const SECRET_SYSTEM: &str = "my-secret-system-77aa";

async fn secret_calls(otel: &Otel) -> String {
    let server = fast_endpoint("us-east-1").await;
    let c = client(&server, "us-east-1", &otel.telemetry);
    let r = c
        .converse(NovaPro)
        .optimized()
        .system(SECRET_SYSTEM)
        .user(SECRET_PROMPT)
        .answer()
        .await;
    c.inline_agent(NovaPro)
        .optimized()
        .instruction(SECRET_SYSTEM)
        .input_text(SECRET_PROMPT)
        .answer()
        .await;
    r.text
}

fn everything(otel: &Otel) -> String {
    let mut all = String::new();
    for s in otel.spans() {
        all.push_str(&format!("{} {:?} {:?}\n", s.name, s.attributes, s.events));
    }
    for p in otel.points() {
        all.push_str(&format!("{p:?}\n"));
    }
    all
}

#[tokio::test]
async fn no_prompt_or_completion_without_the_opt_in() {
    let otel = Otel::new(Conventions::V1_41, false);
    let answer = secret_calls(&otel).await;
    // The local endpoint's answer starts with the question: a completion
    // in the telemetry would show it.
    assert!(answer.contains(SECRET_PROMPT), "{answer}");
    let all = everything(&otel);
    assert!(all.contains("chat us.amazon.nova-pro-v1:0"), "{all}");
    for secret in [SECRET_PROMPT, SECRET_SYSTEM] {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
    for key in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
    ] {
        assert!(!all.contains(key), "{key} without the opt-in:\n{all}");
    }
}

#[tokio::test]
async fn content_with_the_opt_in_follows_the_message_schema() {
    let otel = Otel::new(Conventions::V1_41, true);
    secret_calls(&otel).await;
    let spans = otel.spans();
    assert_eq!(spans.len(), 2);
    for s in &spans {
        let a = span_attrs(s);
        let input: serde_json::Value = serde_json::from_str(&a["gen_ai.input.messages"]).unwrap();
        assert_eq!(input[0]["role"], "user");
        assert_eq!(input[0]["parts"][0]["type"], "text");
        assert_eq!(input[0]["parts"][0]["content"], SECRET_PROMPT);
        let system: serde_json::Value = serde_json::from_str(&a["gen_ai.system_instructions"]).unwrap();
        assert_eq!(system[0]["content"], SECRET_SYSTEM);
        let output: serde_json::Value = serde_json::from_str(&a["gen_ai.output.messages"]).unwrap();
        assert_eq!(output[0]["role"], "assistant");
        assert!(
            output[0]["parts"][0]["content"]
                .as_str()
                .unwrap()
                .contains(SECRET_PROMPT)
        );
        assert!(output[0]["finish_reason"].is_string());
    }
    // Content stays off the metrics.
    assert!(!format!("{:?}", otel.points()).contains(SECRET_PROMPT));
}

#[tokio::test]
async fn latest_experimental_names() {
    let (otel, _server, c) = otel_setup(Conventions::LatestExperimental, "us-east-1").await;
    c.converse(NovaPro).optimized().user("Hello").answer().await;
    let mut s = c
        .converse_stream(NovaPro)
        .optimized()
        .user("Hello")
        .send()
        .await
        .unwrap();
    while s.next().await.is_some() {}
    c.inline_agent(NovaPro)
        .optimized()
        .instruction("Be brief.")
        .input_text("Hi")
        .answer()
        .await;

    let points = otel.points();
    let names: BTreeSet<&str> = points.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        set(&[
            "gen_ai.client.inference.duration",
            "gen_ai.client.inference.time_to_first_chunk",
            "gen_ai.client.inference.time_per_output_chunk",
            "gen_ai.client.inference.usage.input_tokens",
            "gen_ai.client.inference.usage.output_tokens",
            "gen_ai.client.inference.operation.input_tokens",
            "gen_ai.client.inference.operation.output_tokens",
            // Agents are not inference: the operation duration stays.
            "gen_ai.client.operation.duration",
        ]),
        "{points:#?}"
    );
    // The agent's one duration point.
    one(
        &points,
        "gen_ai.client.operation.duration",
        "gen_ai.operation.name",
        "invoke_agent",
    );
    let first_chunk = series(
        &points,
        "gen_ai.client.inference.time_to_first_chunk",
        "gen_ai.operation.name",
        "chat",
    );
    assert_eq!(first_chunk.len(), 1, "the stream's, not the agent's: {points:#?}");
    assert_eq!(first_chunk[0].count, 1);
    assert!(
        !points
            .iter()
            .any(|p| p.name.starts_with("gen_ai.client.inference.time_")
                && p.attributes["gen_ai.operation.name"] == "invoke_agent"),
        "an agent is not inference: {points:#?}"
    );
    let counter = series(
        &points,
        "gen_ai.client.inference.usage.output_tokens",
        "gen_ai.token.modality",
        "unknown",
    );
    assert_eq!(
        (counter[0].kind, counter[0].unit.as_str(), counter[0].sum),
        ("counter", "{token}", 16.0)
    );
    let chat = series(
        &points,
        "gen_ai.client.inference.duration",
        "gen_ai.operation.name",
        "chat",
    );
    assert_eq!(chat.iter().map(|p| p.count).sum::<u64>(), 2);
    assert_eq!(
        otel.spans()[0].instrumentation_scope.schema_url(),
        Some("https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev")
    );
}

/// A hedged call whose backup in the permitted route won: the span names the
/// region that served (not the one planned first), the attempts, the backup's
/// region and the winner.
#[tokio::test]
async fn a_hedged_call_says_where_it_was_served_and_who_won() {
    use bedrock_latency::tail::Hedge;
    use bedrock_latency::testkit::{Distribution, LatencyRule, LocalBedrock};
    use std::time::Duration;
    let otel = Otel::new(Conventions::V1_41, false);
    let server = LocalBedrock::builder()
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(400))).region("us-east-1"))
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(5))).region("us-east-2"))
        .start()
        .await
        .unwrap();
    let conf = server
        .sdk_config("us-east-1")
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let c = bedrock_latency::Client::builder()
        .sdk_config(&conf)
        .route_optimized_to(["us-east-2"])
        .hedge(Hedge::after(Duration::from_millis(30)).max_extra(1.0))
        .telemetry(otel.telemetry.clone())
        .build()
        .unwrap();
    let r = c.converse(NovaPro).optimized().user("Hello").answer().await;
    assert_eq!(r.report.region, "us-east-2");
    let spans = otel.spans();
    assert_eq!(spans.len(), 1, "one call, one span: {spans:#?}");
    let a = span_attrs(&spans[0]);
    assert_eq!(a["cloud.region"], "us-east-2");
    assert_eq!(a["bedrock_latency.routed_from"], "us-east-1");
    assert_eq!(a["bedrock_latency.attempts"], "1");
    assert_eq!(a["bedrock_latency.hedge.winner"], "backup");
    assert_eq!(a["bedrock_latency.hedge.backup_region"], "us-east-2");
    assert!(a.contains_key("bedrock_latency.hedge.extra_cost_usd"), "{a:#?}");
}
