//! The request handler: control paths, routing, recording, faults and the
//! answer. The body is read by `body`, the response written by `response`.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::sync::watch;

use super::activity::{ActiveGuard, stopped};
use super::behaviour;
use super::body::{BodyError, read_body};
use super::control;
use super::ops;
use super::prepared::{Prepared, RenderContext};
use super::response::{self, ConnectionReset, Injected, ResponseBody};
use super::state::{RECORD_BODY_PREFIX, Shared};
use super::wire::{self, ApiError, PathParams, Reply};
use super::{Fault, RecordedRequest};
use crate::Operation;

type Answer = Result<Response<ResponseBody>, Injected>;

fn lower_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The caller's region: the override, else the SigV4 credential scope, else
/// the default.
fn caller_region(shared: &Shared, headers: &hyper::HeaderMap) -> String {
    let state = shared.lock();
    state
        .settings
        .region
        .clone()
        .or_else(|| {
            headers
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(behaviour::region_from_authorization)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| state.default_region.clone())
}

fn announced_len(headers: &hyper::HeaderMap) -> Option<u64> {
    wire::header_str(headers, "content-length").and_then(|v| v.parse().ok())
}

fn finish_error(shared: &Shared, mut record: RecordedRequest, error: &ApiError, guard: ActiveGuard) -> Answer {
    record.status = error.status;
    record.error_type = Some(error.error_type.to_owned());
    let request_id = record.request_id.clone();
    shared.record(record);
    Ok(response::full_response(Reply::error(error), &request_id, Some(guard)))
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    request: Request<Incoming>,
    guard: ActiveGuard,
) -> Answer {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if control::is_control(&path) {
        return Ok(control::handle(&shared, &parts, body, guard).await);
    }
    let request_id = shared.next_request_id();
    let region = caller_region(&shared, &parts.headers);
    if guard.first_on_connection() {
        let delay = shared.lock().tails.rules.connect_delay(&region);
        if !delay.is_zero() {
            let mut shutdown = shutdown.clone();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stopped(&mut shutdown) => return Err(ConnectionReset),
            }
        }
    }
    let mut record = RecordedRequest::new(parts.method.as_str(), &path, &region, &request_id);
    record.http_version = format!("{:?}", parts.version);
    record.query = parts.uri.query().map(str::to_owned);
    record.headers = lower_headers(&parts.headers);
    record.body_len = announced_len(&parts.headers).unwrap_or(0);

    // ListAsyncInvokes: what `Client::prewarm` asks (a cheap call that opens
    // the connection); no async invocations are simulated.
    if parts.method == hyper::Method::GET && path == "/async-invoke" {
        record.status = 200;
        shared.record(record);
        let reply = Reply::Full {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: bytes::Bytes::from_static(br#"{"asyncInvokeSummaries":[]}"#),
            delay: std::time::Duration::ZERO,
        };
        return Ok(response::full_response(reply, &request_id, Some(guard)));
    }
    // Unknown paths are answered without reading (or keeping) the body.
    let Some((operation, params)) = wire::route(parts.method.as_str(), &path) else {
        let error = ApiError::unknown_operation(parts.method.as_str(), &path);
        return finish_error(&shared, record, &error, guard);
    };
    record.operation = Some(operation);
    if let PathParams::Model(model) = &params {
        record.model_id = Some(model.clone());
    }
    let cap = shared.limits.max_body;
    if record.body_len > cap as u64 {
        return finish_error(&shared, record, &ApiError::too_large(), guard);
    }
    let (raw, permit) = match read_body(&shared, body, cap).await {
        Ok(read) => read,
        Err(BodyError::Gone) => return Err(ConnectionReset),
        Err(e) => return finish_error(&shared, record, &e.api_error(), guard),
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&raw).ok();
    record.set_body(&raw, json.as_ref(), RECORD_BODY_PREFIX);
    let prepared = ops::prepare(
        operation,
        &params,
        &parts.headers,
        &raw,
        json.as_ref(),
        &region,
        shared.catalog.get(),
    );
    // The permit is held until the answer is rendered: the prompt lives on
    // in `prepared`.
    drop((json, raw));
    note_request(&mut record, &prepared, &parts.headers);
    let answer = answer(&shared, record, prepared, shutdown, guard).await;
    drop(permit);
    answer
}

/// Copies what parsing found into the record.
fn note_request(record: &mut RecordedRequest, prepared: &Result<Prepared, ApiError>, headers: &hyper::HeaderMap) {
    match prepared {
        Ok(p) => {
            record.model_id.clone_from(&p.model_id);
            record.requested_latency = p.requested;
            record.service_tier.clone_from(&p.service_tier);
        }
        Err(_)
            if matches!(
                record.operation,
                Some(Operation::InvokeModel | Operation::InvokeModelStream)
            ) =>
        {
            record.requested_latency =
                wire::header_str(headers, wire::LATENCY_HEADER).and_then(wire::latency_from_wire);
        }
        Err(_) => {}
    }
}

/// Applies faults, decides the served latency and answers.
async fn answer(
    shared: &Shared,
    mut record: RecordedRequest,
    prepared: Result<Prepared, ApiError>,
    mut shutdown: watch::Receiver<bool>,
    mut guard: ActiveGuard,
) -> Answer {
    let operation = record.operation.unwrap_or(Operation::Converse);
    let stream_ok = prepared.as_ref().is_ok_and(|p| p.shape.is_stream());
    // Outages and throttling windows first, then queued faults (a throttled
    // request is not validated), except that stream faults only go to
    // streams that will succeed.
    let fault = {
        let mut state = shared.lock();
        let region = record.region.clone();
        state
            .tails
            .refusal(&region)
            .or_else(|| state.faults.take(operation, stream_ok))
    };
    record.fault.clone_from(&fault);
    let (stall, stream_fault) = match fault {
        Some(Fault::Throttling) => return finish_error(shared, record, &ApiError::throttling(), guard),
        Some(Fault::ServiceUnavailable) => return finish_error(shared, record, &ApiError::unavailable(), guard),
        Some(Fault::ConnectionReset) => {
            shared.record(record);
            guard.complete();
            return Err(ConnectionReset);
        }
        Some(Fault::Stall(d)) => (Some(d), None),
        Some(f) => (None, Some(f)),
        None => (None, None),
    };
    let request_id = record.request_id.clone();
    let reply = match prepared {
        Err(error) => {
            record.status = error.status;
            record.error_type = Some(error.error_type.to_owned());
            shared.record(record);
            Reply::error(&error)
        }
        Ok(p) => {
            let decided = {
                let mut state = shared.lock();
                state.decide_tier(&p).map(|tier| {
                    let (served, fallback) = state.decide(&p);
                    let mut timing = state.settings.timing.of(served);
                    if let Some(ttft) = state.tails.ttft(&record.region, served) {
                        timing.time_to_first_token = ttft;
                    }
                    (tier, served, fallback, timing, state.settings.answer_tokens)
                })
            };
            let (served_tier, served, fallback, timing, answer_len) = match decided {
                Ok(d) => d,
                Err(error) => return finish_error(shared, record, &error, guard),
            };
            record.served_latency = Some(served);
            record.served_tier = served_tier.map(|t| t.as_str().to_owned());
            record.fallback = fallback;
            record.status = 200;
            shared.record(record);
            let ctx = RenderContext {
                served,
                served_tier,
                answer_len,
                timing,
                request_id: &request_id,
            };
            ops::render(&p, &ctx)
        }
    };
    if let Some(d) = stall {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = stopped(&mut shutdown) => return Err(ConnectionReset),
        }
    }
    response::respond(reply, &request_id, stream_fault, shutdown, guard).await
}
