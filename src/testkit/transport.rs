//! Server and transport: the accept loop (bounded number of connections; at
//! the limit the longest-idle one makes room),
//! HTTP/1.1 and HTTP/2 (h2c with prior knowledge) on the same port through
//! hyper-util's auto connection builder, idle connections closed, and the
//! response bodies (complete, or event-stream frames fed on a schedule with
//! their faults).
//!
//! HTTP/2 over cleartext is detected from the client's connection preface
//! (RFC 9113 section 3.3, "prior knowledge"), which is what HTTP/2 clients
//! do on an `http://` endpoint. The HTTP/1.1 `Upgrade: h2c` dance (removed
//! from RFC 9113) is not offered: such a request is answered over HTTP/1.1.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::Response;
use hyper::body::{Frame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::Fault;
use super::counters::{Counters, Event};
use super::eventstream;
use super::handler;
use super::state::Shared;
use super::wire::{self, Reply, TimedFrame};

/// How long `shutdown` waits for open connections before dropping them.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a connection is kept from eviction after it was last busy (or
/// accepted): a caller that has just connected, or whose request head is
/// still on its way to the parser, is not closed under it to make room for
/// another. Held connections become evictable once it has passed.
const EVICT_GRACE: Duration = Duration::from_millis(200);

/// Concurrent HTTP/2 streams per connection.
const MAX_H2_STREAMS: u32 = 64;

/// Resolves once shutdown is asked for (or the server handle is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// The live connections of the accept loop.
#[derive(Debug, Default)]
struct Live {
    next_id: u64,
    connections: HashMap<u64, Arc<Activity>>,
}

impl Live {
    /// At the limit, asks the connection idle the longest (no request in
    /// flight: silent, or sending a request head slowly) to close, so that a
    /// new caller is not locked out by held connections. `false` when none
    /// is idle.
    fn evict_idlest(&self) -> bool {
        let idlest = self
            .connections
            .values()
            .filter(|a| !a.evicted.load(Ordering::Acquire))
            .filter_map(|a| a.idle_for().map(|idle| (idle, a)))
            .filter(|(idle, _)| *idle >= EVICT_GRACE)
            .max_by_key(|(idle, _)| *idle);
        match idlest {
            Some((_, activity)) => {
                activity.evicted.store(true, Ordering::Release);
                activity.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let max = shared.limits.max_connections.max(1);
    let mut live = Live::default();
    let mut connections: JoinSet<u64> = JoinSet::new();
    loop {
        // At the limit, an idle connection makes room; when none is idle (or
        // evicted ones have not closed yet), new connections wait in the
        // listen backlog until a served one ends or one becomes evictable.
        let full = live.connections.len() >= max && (live.connections.len() >= 2 * max || !live.evict_idlest());
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept(), if !full => match accepted {
                Ok((stream, _)) => {
                    let id = live.next_id;
                    live.next_id += 1;
                    let activity = Activity::new(Arc::clone(&shared.counters));
                    live.connections.insert(id, Arc::clone(&activity));
                    let shared = Arc::clone(&shared);
                    let shutdown = shutdown.clone();
                    connections.spawn(async move {
                        serve_connection(stream, shared, shutdown, activity).await;
                        id
                    });
                }
                // e.g. too many open files: back off instead of spinning
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                if let Ok(id) = ended {
                    live.connections.remove(&id);
                }
            }
            // Full: look again once a held connection may have become evictable.
            () = tokio::time::sleep(EVICT_GRACE / 2), if full => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        connections.abort_all();
    }
}

/// Requests in flight on one connection and when it was last busy.
#[derive(Debug)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    /// Requests begun on this connection so far.
    requests: AtomicUsize,
    counters: Arc<Counters>,
    last: Mutex<Instant>,
    /// Set once the accept loop asked this connection to make room.
    evicted: AtomicBool,
    evict: Notify,
}

impl Activity {
    fn new(counters: Arc<Counters>) -> Arc<Activity> {
        Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            counters,
            last: Mutex::new(Instant::now()),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        })
    }

    fn touch(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// How long the connection has been without a request in flight.
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.last.lock().unwrap_or_else(PoisonError::into_inner).elapsed())
    }

    fn begin(self: &Arc<Self>) -> ActiveGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let first = self.requests.fetch_add(1, Ordering::AcqRel) == 0;
        self.touch();
        self.counters.note(Event::RequestStarted);
        ActiveGuard {
            activity: Arc::clone(self),
            first,
            completed: false,
        }
    }
}

/// Counts a request as in flight until its response body is done; dropped
/// before [`complete`](Self::complete), it counts the request as abandoned.
#[derive(Debug)]
pub(crate) struct ActiveGuard {
    activity: Arc<Activity>,
    first: bool,
    completed: bool,
}

impl ActiveGuard {
    /// Whether this is the first request of its connection (the one that
    /// pays the simulated connect delay).
    pub(crate) fn first_on_connection(&self) -> bool {
        self.first
    }

    /// The response went out whole (or was cut on purpose).
    pub(crate) fn complete(&mut self) {
        self.completed = true;
    }

    fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.activity.counters)
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.activity.touch();
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.activity.counters.note(Event::RequestEnded {
            completed: self.completed,
        });
    }
}

fn connection_builder(shared: &Shared) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(shared.limits.read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_H2_STREAMS)
        .max_header_list_size(64 * 1024);
    builder
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    activity: Arc<Activity>,
) {
    let counters = Arc::clone(&shared.counters);
    counters.note(Event::Accepted);
    serve(stream, shared, shutdown, activity).await;
    counters.note(Event::Closed);
}

async fn serve(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>, activity: Arc<Activity>) {
    let _ = stream.set_nodelay(true);
    let idle_timeout = shared.limits.idle_timeout;
    let builder = connection_builder(&shared);
    let handler_shutdown = shutdown.clone();
    let service_activity = Arc::clone(&activity);
    let service = service_fn(move |request| {
        let guard = service_activity.begin();
        handler::handle(Arc::clone(&shared), handler_shutdown.clone(), request, guard)
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut ticker = tokio::time::interval((idle_timeout / 4).max(Duration::from_millis(10)));
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = stopped(&mut shutdown) => break,
            () = activity.evict.notified() => break,
            _ = ticker.tick() => {
                if activity.idle_for().is_some_and(|idle| idle >= idle_timeout) {
                    break;
                }
            }
        }
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(1), connection.as_mut()).await;
}

/// Returned by the handler to close the connection without a response.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset (injected by bedrock-latency-local)")
    }
}

impl std::error::Error for ConnectionReset {}

/// Ends a response body abruptly.
#[derive(Debug)]
pub(crate) struct StreamAborted;

impl fmt::Display for StreamAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stream cut (injected by bedrock-latency-local)")
    }
}

impl std::error::Error for StreamAborted {}

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
    Channel(mpsc::Receiver<Result<Bytes, StreamAborted>>),
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
    type Error = StreamAborted;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, StreamAborted>>> {
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
) -> Result<Response<ResponseBody>, ConnectionReset> {
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
async fn flushed(tx: &mpsc::Sender<Result<Bytes, StreamAborted>>) {
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
    tx: mpsc::Sender<Result<Bytes, StreamAborted>>,
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
