//! Injected faults, seen through the real AWS SDK clients: retries, errors
//! within the operation timeout, partial streams, and no panics.

use crate::sdk_clients as testkit_common;

use std::time::{Duration, Instant};

use aws_sdk_bedrockagentruntime as bar;
use aws_sdk_bedrockruntime as brt;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata as _;
use aws_smithy_types::Blob;
use bedrock_latency::Operation;
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock};
use brt::types::error::ConverseStreamOutputError;
use serde_json::json;
use testkit_common::{agent_client_with, invoke_model, local, nova_body, runtime_client, runtime_client_with};

const NOVA_PRO: &str = "us.amazon.nova-pro-v1:0";

async fn converse(
    client: &brt::Client,
) -> Result<String, brt::error::SdkError<brt::operation::converse::ConverseError>> {
    let out = testkit_common::converse(client, NOVA_PRO, "hi").send().await?;
    Ok(format!("{:?}", out.output()))
}

/// Reads a ConverseStream to its end: (events received, final result).
async fn drain(
    client: &brt::Client,
) -> (
    usize,
    Result<(), brt::error::SdkError<ConverseStreamOutputError, aws_smithy_types::event_stream::RawMessage>>,
) {
    let out = testkit_common::converse_stream(client, NOVA_PRO, "hi")
        .send()
        .await
        .expect("stream starts");
    let mut stream = out.stream;
    let mut events = 0;
    loop {
        match stream.recv().await {
            Ok(Some(_)) => events += 1,
            Ok(None) => return (events, Ok(())),
            Err(e) => return (events, Err(e)),
        }
    }
}

/// A local endpoint with `fault` injected, and a us-east-1 client of it.
async fn started_with(fault: impl Into<FaultRule>) -> (LocalBedrock, brt::Client) {
    let (server, client) = local("us-east-1", runtime_client).await;
    server.inject(fault);
    (server, client)
}

#[tokio::test]
async fn throttling_and_503_are_retried_then_succeed() {
    let (server, client) = started_with(FaultRule::new(Fault::Throttling).times(2)).await;
    converse(&client).await.expect("third attempt succeeds");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].status, 429);
    assert_eq!(requests[0].error_type.as_deref(), Some("ThrottlingException"));
    assert_eq!(requests[0].fault, Some(Fault::Throttling));
    assert_eq!(requests[2].status, 200);
    assert_eq!(requests[2].fault, None);

    // 503 on a stream, before it starts.
    server.clear_requests();
    server.inject(Fault::ServiceUnavailable);
    let (events, end) = drain(&client).await;
    assert!(end.is_ok());
    assert_eq!(events, 20);
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 200]);
}

#[tokio::test]
async fn throttling_gives_an_error_once_attempts_run_out() {
    let server = LocalBedrock::start().await.expect("start");
    let client = runtime_client_with(&server, "us-east-1", 2, Duration::from_secs(5));
    server.inject(FaultRule::new(Fault::Throttling).times(5));
    let err = converse(&client).await.expect_err("throttled");
    let service = err.into_service_error();
    assert!(service.is_throttling_exception(), "{service:?}");
    assert_eq!(
        service.message(),
        Some("Too many requests, please wait before trying your request again.")
    );
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.pending_faults().first().map(FaultRule::remaining), Some(3));
    server.clear_faults();
    assert!(server.pending_faults().is_empty());

    let err = {
        server.inject(FaultRule::new(Fault::ServiceUnavailable).times(2));
        converse(&client).await.expect_err("unavailable")
    };
    assert!(err.into_service_error().is_service_unavailable_exception());
}

#[tokio::test]
async fn faults_can_target_one_operation_and_run_as_a_sequence() {
    let server = LocalBedrock::start().await.expect("start");
    let client = runtime_client_with(&server, "us-east-1", 1, Duration::from_secs(5));
    server.inject_sequence([
        FaultRule::new(Fault::Throttling).on(Operation::InvokeModel),
        FaultRule::new(Fault::ServiceUnavailable).on(Operation::Converse),
        FaultRule::new(Fault::ModelStreamError { after_frames: 0 }),
    ]);
    // Converse takes the second rule, not the first.
    let err = converse(&client).await.expect_err("503");
    assert!(err.into_service_error().is_service_unavailable_exception());
    // The stream fault waits for a stream; the InvokeModel one for InvokeModel.
    converse(&client).await.expect("no fault left for converse");
    let err = invoke_model(&client, "us.amazon.nova-pro-v1:0", &nova_body("hi"), None)
        .send()
        .await
        .expect_err("429");
    assert!(err.into_service_error().is_throttling_exception());
    // A stream rejected with a 400 does not consume the stream fault.
    let err = testkit_common::converse_stream(&client, "us.does-not-exist-v1:0", "hi")
        .send()
        .await
        .expect_err("400");
    assert!(err.into_service_error().is_validation_exception());
    assert_eq!(server.pending_faults().len(), 1);
    let (events, end) = drain(&client).await;
    assert_eq!(events, 0);
    assert!(end.is_err());
    assert!(server.pending_faults().is_empty());
}

#[tokio::test]
async fn connection_reset_is_an_error_or_a_retry() {
    let server = LocalBedrock::start().await.expect("start");
    let once = runtime_client_with(&server, "us-east-1", 1, Duration::from_secs(5));
    server.inject(Fault::ConnectionReset);
    let start = Instant::now();
    let err = converse(&once).await.expect_err("reset");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            err,
            brt::error::SdkError::DispatchFailure(_) | brt::error::SdkError::ResponseError(_)
        ),
        "{err:?}"
    );
    let r = server.last_request().expect("recorded");
    assert_eq!((r.status, r.fault.clone()), (0, Some(Fault::ConnectionReset)));

    // With retries, the SDK tries again on a new connection.
    let retrying = runtime_client(&server, "us-east-1");
    server.inject(Fault::ConnectionReset);
    converse(&retrying).await.expect("retried");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_stall_ends_in_a_timeout_error_within_the_operation_timeout() {
    let server = LocalBedrock::start().await.expect("start");
    let client = runtime_client_with(&server, "us-east-1", 1, Duration::from_millis(300));
    server.inject(Fault::Stall(Duration::from_secs(30)));
    let start = Instant::now();
    let err = converse(&client).await.expect_err("timeout");
    let elapsed = start.elapsed();
    assert!(matches!(err, brt::error::SdkError::TimeoutError(_)), "{err:?}");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    // The server is not blocked by the stalled connection.
    converse(&client).await.expect("next request served");
    // Shutting down ends the stall at once.
    server.inject(Fault::Stall(Duration::from_secs(30)));
    let slow = runtime_client_with(&server, "us-east-1", 1, Duration::from_secs(20));
    let pending = tokio::spawn(async move { converse(&slow).await.is_err() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    server.shutdown().await;
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(pending.await.expect("no panic"), "the stalled call fails");
}

#[tokio::test]
async fn a_cut_stream_gives_an_error_after_the_partial_events() {
    let (server, client) = started_with(Fault::CutStream { after_frames: 3 }).await;
    let (events, end) = drain(&client).await;
    assert_eq!(events, 3);
    assert!(end.is_err(), "{end:?}");
    // Only one attempt: a stream that has started is not retried.
    assert_eq!(server.requests().len(), 1);

    // InvokeModelWithResponseStream too.
    server.inject(Fault::CutStream { after_frames: 1 });
    let mut out = client
        .invoke_model_with_response_stream()
        .model_id("us.meta.llama3-1-70b-instruct-v1:0")
        .body(Blob::new(json!({"prompt": "hi"}).to_string()))
        .send()
        .await
        .expect("stream starts");
    let first = out.body.recv().await;
    assert!(matches!(first, Ok(Some(_))), "{first:?}");
    assert!(out.body.recv().await.is_err());
}

#[tokio::test]
async fn a_malformed_frame_is_an_error() {
    let (_server, client) = started_with(Fault::MalformedFrame { after_frames: 2 }).await;
    let (events, end) = drain(&client).await;
    assert_eq!(events, 2);
    let err = end.expect_err("bad CRC");
    assert!(format!("{err:?}").to_lowercase().contains("checksum"), "{err:?}");
}

#[tokio::test]
async fn a_model_stream_error_event_is_a_modelled_error() {
    let (server, client) = started_with(Fault::ModelStreamError { after_frames: 4 }).await;
    let (events, end) = drain(&client).await;
    assert_eq!(events, 4);
    let err = end.expect_err("model stream error").into_service_error();
    assert!(
        matches!(err, ConverseStreamOutputError::ModelStreamErrorException(_)),
        "{err:?}"
    );
    assert!(err.message().is_some_and(|m| m.contains("injected")));

    // Agent streams get a dependencyFailedException.
    let agents = agent_client_with(&server, "us-east-1", 1, Duration::from_secs(5));
    server.inject(FaultRule::new(Fault::ModelStreamError { after_frames: 0 }).on(Operation::InvokeAgent));
    let out = agents
        .invoke_agent()
        .agent_id("A")
        .agent_alias_id("B")
        .session_id("C")
        .input_text("hi")
        .send()
        .await
        .expect("stream starts");
    let mut completion = out.completion;
    let err = completion.recv().await.expect_err("stream error").into_service_error();
    assert!(
        matches!(
            err,
            bar::types::error::ResponseStreamError::DependencyFailedException(_)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = LocalBedrock::start().await.expect("start");
    let addr = server.local_addr();
    assert!(format!("{server:?}").contains("LocalBedrock"));
    drop(server);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "still accepting after drop");
}
