//! Helpers shared by the integration tests that use the AWS SDKs directly
//! (`testkit_*` above all): real SDK clients pointed at a `LocalBedrock`,
//! the SDK requests and values they send (Converse, InvokeModel, service
//! tiers, optimized model configurations), and a tiny raw HTTP/1.1 client
//! for requests the SDKs would never send.

use std::time::Duration;

use aws_sdk_bedrockagentruntime as bar;
use aws_sdk_bedrockruntime as brt;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use bedrock_latency::testkit::{LocalBedrock, TokenTiming};
use brt::operation::converse::builders::ConverseFluentBuilder;
use brt::operation::converse_stream::builders::ConverseStreamFluentBuilder;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Operation timeout of the test clients: every test call ends within it.
pub(crate) const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// A bedrock-runtime client for `region`, with `max_attempts` attempts, a
/// 5 ms initial backoff and `timeout` as operation timeout.
pub(crate) fn runtime_client_with(
    server: &LocalBedrock,
    region: &str,
    max_attempts: u32,
    timeout: Duration,
) -> brt::Client {
    runtime_client_at(&server.endpoint_url(), region, max_attempts, timeout)
}

/// A bedrock-runtime client for the endpoint at `url` (e.g. a
/// `bedrock-latency-local` process).
pub(crate) fn runtime_client_at(url: &str, region: &str, max_attempts: u32, timeout: Duration) -> brt::Client {
    brt::Client::new(&sdk_config(url, region, max_attempts, timeout))
}

/// The test clients' configuration: the testkit's for `url` and `region`,
/// with `max_attempts` attempts, a 5 ms initial backoff and `timeout` as
/// operation timeout.
fn sdk_config(url: &str, region: &str, max_attempts: u32, timeout: Duration) -> aws_config::SdkConfig {
    LocalBedrock::sdk_config_at(url, region)
        .into_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
        .build()
}

/// A bedrock-runtime client for `region` (3 attempts, 5 s timeout).
pub(crate) fn runtime_client(server: &LocalBedrock, region: &str) -> brt::Client {
    runtime_client_with(server, region, 3, OPERATION_TIMEOUT)
}

/// A bedrock-agent-runtime client for `region`.
pub(crate) fn agent_client_with(
    server: &LocalBedrock,
    region: &str,
    max_attempts: u32,
    timeout: Duration,
) -> bar::Client {
    bar::Client::new(&sdk_config(&server.endpoint_url(), region, max_attempts, timeout))
}

/// A bedrock-agent-runtime client for `region` (3 attempts, 5 s timeout).
pub(crate) fn agent_client(server: &LocalBedrock, region: &str) -> bar::Client {
    agent_client_with(server, region, 3, OPERATION_TIMEOUT)
}

/// A local endpoint with its default settings, and a `client` of it for
/// `region` (e.g. `local("us-east-2", agent_client)`).
pub(crate) async fn local<C>(region: &str, client: fn(&LocalBedrock, &str) -> C) -> (LocalBedrock, C) {
    let server = LocalBedrock::start().await.expect("start");
    let client = client(&server, region);
    (server, client)
}

/// A token timing in whole milliseconds: `first` to the first token, then
/// `per_token` a token.
pub(crate) fn ms_timing(first: u64, per_token: u64) -> TokenTiming {
    TokenTiming::new(Duration::from_millis(first), Duration::from_millis(per_token))
}

/// A user text message for Converse.
pub(crate) fn user_message(text: &str) -> brt::types::Message {
    brt::types::Message::builder()
        .role(brt::types::ConversationRole::User)
        .content(brt::types::ContentBlock::Text(text.to_owned()))
        .build()
        .expect("valid message")
}

/// A Converse request for `model` with one user text message (more
/// settings may follow before `send`).
pub(crate) fn converse(client: &brt::Client, model: &str, text: &str) -> ConverseFluentBuilder {
    client.converse().model_id(model).messages(user_message(text))
}

/// A ConverseStream request for `model` with one user text message.
pub(crate) fn converse_stream(client: &brt::Client, model: &str, text: &str) -> ConverseStreamFluentBuilder {
    client.converse_stream().model_id(model).messages(user_message(text))
}

/// An Amazon Nova native request body: one user text message.
pub(crate) fn nova_body(text: &str) -> serde_json::Value {
    serde_json::json!({"messages": [{"role": "user", "content": [{"text": text}]}]})
}

/// An InvokeModel request for `model` with this JSON body and, when given,
/// the latency asked for (more settings may follow before `send`).
pub(crate) fn invoke_model(
    client: &brt::Client,
    model: &str,
    body: &serde_json::Value,
    latency: Option<brt::types::PerformanceConfigLatency>,
) -> brt::operation::invoke_model::builders::InvokeModelFluentBuilder {
    client
        .invoke_model()
        .model_id(model)
        .body(aws_smithy_types::Blob::new(body.to_string()))
        .set_performance_config_latency(latency)
}

/// [`invoke_model`], sent: the output, or a panic naming `model`.
pub(crate) async fn invoked(
    client: &brt::Client,
    model: &str,
    body: &serde_json::Value,
    latency: Option<brt::types::PerformanceConfigLatency>,
) -> brt::operation::invoke_model::InvokeModelOutput {
    let sent = invoke_model(client, model, body, latency).send().await;
    sent.unwrap_or_else(|e| panic!("InvokeModel {model}: {e:?}"))
}

/// A `serviceTier` of the given type.
pub(crate) fn tier(r#type: brt::types::ServiceTierType) -> brt::types::ServiceTier {
    brt::types::ServiceTier::builder().r#type(r#type).build().expect("tier")
}

/// `performanceConfig` with the given latency.
pub(crate) fn perf(latency: brt::types::PerformanceConfigLatency) -> brt::types::PerformanceConfiguration {
    brt::types::PerformanceConfiguration::builder().latency(latency).build()
}

/// An agent-runtime `performanceConfig` with the given latency.
pub(crate) fn agent_perf(latency: bar::types::PerformanceConfigLatency) -> bar::types::PerformanceConfiguration {
    bar::types::PerformanceConfiguration::builder().latency(latency).build()
}

/// InvokeInlineAgent's `bedrockModelConfigurations` asking for optimized.
pub(crate) fn inline_optimized() -> bar::types::InlineBedrockModelConfigurations {
    let perf = agent_perf(bar::types::PerformanceConfigLatency::Optimized);
    bar::types::InlineBedrockModelConfigurations::builder()
        .performance_config(perf)
        .build()
}

/// InvokeAgent's `bedrockModelConfigurations` asking for optimized.
pub(crate) fn agent_optimized() -> bar::types::BedrockModelConfigurations {
    let perf = agent_perf(bar::types::PerformanceConfigLatency::Optimized);
    bar::types::BedrockModelConfigurations::builder()
        .performance_config(perf)
        .build()
}

/// A raw HTTP response.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole
/// response (2 s limit). Bodies must not be chunked by the server, which
/// holds for every non-stream answer.
pub(crate) async fn raw_request(
    server: &LocalBedrock,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    raw_request_at(server.local_addr(), method, path, headers, body).await
}

/// [`raw_request`] to any address.
pub(crate) async fn raw_request_at(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut buf))
        .await
        .expect("response within 2 s")
        .expect("read");
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    }
}
