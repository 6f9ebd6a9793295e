//! The crate's client over the real AWS SDK clients with a replay
//! connector (`StaticReplayClient`): canned responses in, the requests the
//! SDK sent out.

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use bedrock_latency::Client;
use serde_json::Value;

/// An HTTP response with `headers` and `body`.
pub(crate) fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> http::Response<SdkBody> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(SdkBody::from(body)).unwrap()
}

/// One replayed exchange answered by `resp` (the request side is not
/// compared: tests read what was sent with [`sent`]).
pub(crate) fn replay_event(resp: http::Response<SdkBody>) -> ReplayEvent {
    ReplayEvent::new(
        http::Request::builder()
            .uri("https://bedrock-runtime.us-east-1.amazonaws.com/")
            .body(SdkBody::empty())
            .unwrap(),
        resp,
    )
}

/// A connector that answers one request with `resp`.
pub(crate) fn replay(resp: http::Response<SdkBody>) -> StaticReplayClient {
    StaticReplayClient::new(vec![replay_event(resp)])
}

/// The bedrock-runtime SDK configuration for `region` over `replay`.
pub(crate) fn runtime_sdk_config(region: &str, replay: &StaticReplayClient) -> sdk::Config {
    sdk::Config::builder()
        .behavior_version(sdk::config::BehaviorVersion::latest())
        .region(sdk::config::Region::new(region.to_owned()))
        .credentials_provider(sdk::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(replay.clone())
        .build()
}

/// The crate's client over the real bedrock-runtime SDK client.
pub(crate) fn runtime_client(region: &str, replay: &StaticReplayClient) -> Client {
    Client::builder()
        .runtime(bedrock_latency::runtime::SdkRuntime::new(sdk::Client::from_conf(
            runtime_sdk_config(region, replay),
        )))
        .build()
        .unwrap()
}

/// The crate's client over the real bedrock-agent-runtime SDK client.
pub(crate) fn agent_client(region: &str, replay: &StaticReplayClient) -> Client {
    let conf = agent_sdk::Config::builder()
        .behavior_version(agent_sdk::config::BehaviorVersion::latest())
        .region(agent_sdk::config::Region::new(region.to_owned()))
        .credentials_provider(agent_sdk::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .http_client(replay.clone())
        .build();
    Client::builder()
        .agent_runtime(bedrock_latency::agent::SdkAgentRuntime::new(
            agent_sdk::Client::from_conf(conf),
        ))
        .region(region)
        .build()
        .unwrap()
}

/// The one request sent: its URI and JSON body.
pub(crate) fn sent(replay: &StaticReplayClient) -> (String, Value) {
    let (uri, body, _) = sent_json(replay);
    let count = replay.actual_requests().count();
    assert_eq!(count, 1, "exactly one request was sent");
    (uri, body)
}

/// The one request sent, which went to a URI ending in `path`: its JSON body.
pub(crate) fn sent_to(replay: &StaticReplayClient, path: &str) -> Value {
    let (uri, body) = sent(replay);
    assert!(uri.ends_with(path), "{uri} does not end in {path}");
    body
}

/// The first request sent: its URI, JSON body and headers.
pub(crate) fn sent_json(replay: &StaticReplayClient) -> (String, Value, http::HeaderMap) {
    let req = replay.actual_requests().next().expect("one request was sent");
    let body: Value = serde_json::from_slice(req.body().bytes().unwrap_or_default()).unwrap_or(Value::Null);
    let mut headers = http::HeaderMap::new();
    for (k, v) in req.headers() {
        headers.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    (req.uri().to_owned(), body, headers)
}
