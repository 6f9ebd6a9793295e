//! Response bodies: complete, or event-stream frames fed on a schedule by a
//! producer task with their faults (cut, malformed frame, model stream
//! error). A body holds its connection's in-flight guard until it is done.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::Response;
use hyper::body::{Frame, SizeHint};
use tokio::sync::{mpsc, watch};

use super::Fault;
use super::activity::{ActiveGuard, stopped};
use super::counters::Event;
use super::eventstream;
use super::wire::{self, Reply, TimedFrame};

/// A failure the endpoint injects on purpose.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Injected {
    /// Returned by the handler to close the connection without a response.
    #[error("connection reset (injected by bedrock-latency-local)")]
    ConnectionReset,
    /// Ends a response body abruptly.
    #[error("stream cut (injected by bedrock-latency-local)")]
    StreamAborted,
}

pub(crate) use Injected::{ConnectionReset, StreamAborted};

/// Response body: complete bytes, or frames fed by a producer task. Holds the
/// connection's in-flight guard until it is dropped.
#[derive(Debug)]
pub(crate) struct ResponseBody {
    kind: BodyKind,
    guard: Option<ActiveGuard>,
}

#[derive(Debug)]
enum BodyKind {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Result<Bytes, Injected>>),
}

impl ResponseBody {
    pub(crate) fn full(bytes: Bytes, guard: Option<ActiveGuard>) -> ResponseBody {
        ResponseBody {
            kind: BodyKind::Full(Some(bytes)),
            guard,
        }
    }
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Injected;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Injected>>> {
        let this = self.get_mut();
        let next = match &mut this.kind {
            BodyKind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            BodyKind::Channel(rx) => rx.poll_recv(cx).map(|next| next.map(|r| r.map(Frame::data))),
        };
        // The body is done once its last frame is handed over, or it ends.
        let done = matches!(
            (&next, &this.kind),
            (Poll::Ready(None | Some(Err(_))), _) | (Poll::Ready(Some(Ok(_))), BodyKind::Full(None))
        );
        if done && let Some(g) = &mut this.guard {
            g.complete();
        }
        next
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, BodyKind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            BodyKind::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            BodyKind::Full(None) => SizeHint::with_exact(0),
            BodyKind::Channel(_) => SizeHint::default(),
        }
    }
}

/// A complete response (errors, control answers).
pub(crate) fn full_response(reply: Reply, request_id: &str, guard: Option<ActiveGuard>) -> Response<ResponseBody> {
    let (status, headers, body) = match reply {
        Reply::Full {
            status, headers, body, ..
        } => (status, headers, body),
        Reply::Stream { headers, .. } => (200, headers, Bytes::new()),
    };
    build_response(status, &headers, request_id, ResponseBody::full(body, guard))
}

fn build_response(
    status: u16,
    headers: &[(&'static str, String)],
    request_id: &str,
    body: ResponseBody,
) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    if let Ok(v) = hyper::header::HeaderValue::from_str(request_id) {
        map.insert("x-amzn-requestid", v);
    }
    for (name, value) in headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
            map.append(*name, v);
        }
    }
    response
}

/// Sends a rendered reply: a complete body after its delay, or a stream fed
/// by a producer task.
pub(crate) async fn respond(
    reply: Reply,
    request_id: &str,
    stream_fault: Option<Fault>,
    mut shutdown: watch::Receiver<bool>,
    guard: ActiveGuard,
) -> Result<Response<ResponseBody>, Injected> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stopped(&mut shutdown) => return Err(ConnectionReset),
                }
            }
            Ok(build_response(
                status,
                &headers,
                request_id,
                ResponseBody::full(body, Some(guard)),
            ))
        }
        Reply::Stream {
            headers,
            frames,
            stream_error_type,
        } => {
            let (tx, rx) = mpsc::channel(4);
            let counters = guard.counters();
            tokio::spawn(async move {
                counters.note(Event::StreamStarted);
                produce(frames, stream_fault, stream_error_type, tx, shutdown).await;
                counters.note(Event::StreamEnded);
            });
            let body = ResponseBody {
                kind: BodyKind::Channel(rx),
                guard: Some(guard),
            };
            Ok(build_response(200, &headers, request_id, body))
        }
    }
}

/// Waits until hyper has taken every queued frame, then a little more.
///
/// hyper drops its unflushed write buffer when a body fails while more frames
/// are ready, so a cut must come only after the frames before it went out:
/// hyper flushes as soon as the body has nothing ready. Bounded to about 1 s.
async fn flushed(tx: &mpsc::Sender<Result<Bytes, Injected>>) {
    for _ in 0..1000 {
        if tx.capacity() == tx.max_capacity() || tx.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Feeds a stream's frames, applying its delays and its fault.
async fn produce(
    frames: Vec<TimedFrame>,
    fault: Option<Fault>,
    stream_error_type: &'static str,
    tx: mpsc::Sender<Result<Bytes, Injected>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let count = frames.len();
    let mut frames = frames.into_iter();
    // Frame times are kept against one clock (deadline = start + the sum of
    // the delays so far), so that timer granularity does not add up over
    // many short per-token delays.
    let mut deadline = tokio::time::Instant::now();
    for index in 0..=count {
        let frame = frames.next();
        if let Some(frame) = &frame
            && !frame.delay.is_zero()
        {
            deadline += frame.delay;
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = stopped(&mut shutdown) => {
                    let _ = tx.send(Err(StreamAborted)).await;
                    return;
                }
                // The client went away (a cancelled stream): stop now, not
                // at the next frame.
                () = tx.closed() => return,
            }
        }
        let due = |after: usize| after == index || (index == count && after > count);
        match (&fault, &frame) {
            (Some(Fault::CutStream { after_frames }), _) if due(*after_frames) => {
                if let Some(frame) = &frame {
                    let half = frame.bytes.slice(..frame.bytes.len() / 2);
                    let _ = tx.send(Ok(half)).await;
                }
                flushed(&tx).await;
                let _ = tx.send(Err(StreamAborted)).await;
                return;
            }
            (Some(Fault::MalformedFrame { after_frames }), _) if due(*after_frames) => {
                let bad = match &frame {
                    Some(frame) => eventstream::corrupt(&frame.bytes),
                    None => eventstream::corrupt(&eventstream::event("malformed", &serde_json::json!({}))),
                };
                let _ = tx.send(Ok(bad)).await;
                return;
            }
            (Some(Fault::ModelStreamError { after_frames }), _) if due(*after_frames) => {
                let payload = wire::stream_error_payload(stream_error_type);
                let _ = tx.send(Ok(eventstream::exception(stream_error_type, &payload))).await;
                return;
            }
            _ => {}
        }
        let Some(frame) = frame else { return };
        if tx.send(Ok(frame.bytes)).await.is_err() {
            return; // the client went away
        }
    }
}
