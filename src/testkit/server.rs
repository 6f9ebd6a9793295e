//! The HTTP/1.1 server: `LocalBedrock`, its builder, the accept loop and the
//! request handler.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::behaviour::{self, CatalogRef};
use super::eventstream;
use super::faults::FaultQueue;
use super::ops::{self, ApiError, PathParams, Prepared, RenderContext, Reply, TimedFrame};
use super::{Fault, FaultRule, RecordedRequest, StandardFallback, TierTiming, Timing};
use crate::{Catalog, Latency, Operation};

/// Largest request body accepted (bytes); larger bodies get HTTP 413.
const MAX_BODY: usize = 25 * 1024 * 1024;
/// Default number of output tokens of an answer.
const DEFAULT_ANSWER_TOKENS: u32 = 16;
/// How long `shutdown` waits for open connections before dropping them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// Default number of recorded requests kept (the most recent ones).
pub const DEFAULT_RECORD_LIMIT: usize = 10_000;

#[derive(Debug)]
struct State {
    records: VecDeque<RecordedRequest>,
    record_limit: usize,
    faults: FaultQueue,
    /// Remaining optimized requests per base model ID; absent = unlimited.
    quotas: HashMap<String, u64>,
    timing: TierTiming,
    answer_tokens: u32,
    region: Option<String>,
    default_region: String,
}

#[derive(Debug)]
struct Shared {
    catalog: CatalogRef,
    state: Mutex<State>,
    counter: AtomicU64,
    seed: u64,
}

impl State {
    /// Keeps `r`, dropping the oldest record past the limit.
    fn record(&mut self, r: RecordedRequest) {
        if self.record_limit == 0 {
            return;
        }
        if self.records.len() >= self.record_limit {
            self.records.pop_front();
        }
        self.records.push_back(r);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let s = self.seed;
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            s & 0xffff_ffff,
            (s >> 32) & 0xffff,
            (s >> 48) & 0xfff,
            (n >> 48) & 0xfff,
            n & 0xffff_ffff_ffff
        )
    }
}

/// Builder of a [`LocalBedrock`]; see [`LocalBedrock::builder`].
#[derive(Debug, Clone)]
pub struct LocalBedrockBuilder {
    port: u16,
    region: Option<String>,
    default_region: String,
    timing: TierTiming,
    quotas: Vec<(String, u64)>,
    faults: Vec<FaultRule>,
    answer_tokens: u32,
    catalog: CatalogRef,
    record_limit: usize,
}

impl Default for LocalBedrockBuilder {
    fn default() -> Self {
        LocalBedrockBuilder {
            port: 0,
            region: None,
            default_region: behaviour::DEFAULT_REGION.to_owned(),
            timing: TierTiming::default(),
            quotas: Vec::new(),
            faults: Vec::new(),
            answer_tokens: DEFAULT_ANSWER_TOKENS,
            catalog: CatalogRef::Builtin,
            record_limit: DEFAULT_RECORD_LIMIT,
        }
    }
}

impl LocalBedrockBuilder {
    /// Port to bind on 127.0.0.1; `0` (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Treat every call as made from `region`, whatever its SigV4 credential
    /// scope says.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Region of calls without a SigV4 `Authorization` header (default
    /// `us-east-1`).
    pub fn default_region(mut self, region: impl Into<String>) -> Self {
        self.default_region = region.into();
        self
    }

    /// Timing of requests served with `tier` (default: no delay).
    pub fn timing(mut self, tier: Latency, timing: Timing) -> Self {
        match tier {
            Latency::Standard => self.timing.standard = timing,
            Latency::Optimized => self.timing.optimized = timing,
        }
        self
    }

    /// Allow `remaining` more optimized requests for a model (any form of its
    /// ID: base, `us.` profile, ARN); later optimized requests are served
    /// standard and say so. Default: unlimited.
    pub fn optimized_quota(mut self, model_id: impl Into<String>, remaining: u64) -> Self {
        self.quotas.push((model_id.into(), remaining));
        self
    }

    /// Queue a fault (see [`LocalBedrock::inject`]).
    pub fn fault(mut self, rule: impl Into<FaultRule>) -> Self {
        self.faults.push(rule.into());
        self
    }

    /// Number of output tokens of an answer before `maxTokens` (default 16).
    pub fn answer_tokens(mut self, tokens: u32) -> Self {
        self.answer_tokens = tokens.max(1);
        self
    }

    /// Decide which model serves latency-optimized inference from which
    /// region with this catalog instead of [`Catalog::builtin`].
    pub fn catalog(mut self, catalog: Arc<Catalog>) -> Self {
        self.catalog = CatalogRef::Custom(catalog);
        self
    }

    /// How many requests [`LocalBedrock::requests`] keeps: the most recent
    /// `limit` (default [`DEFAULT_RECORD_LIMIT`]); older ones are dropped, so
    /// that load tests and a long-running endpoint use bounded memory. `0`
    /// records nothing.
    pub fn record_limit(mut self, limit: usize) -> Self {
        self.record_limit = limit;
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current Tokio runtime.
    pub async fn start(self) -> std::io::Result<LocalBedrock> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let mut faults = FaultQueue::default();
        for rule in self.faults {
            faults.push(rule);
        }
        let quotas = self
            .quotas
            .into_iter()
            .map(|(model, n)| (behaviour::quota_key(&model), n))
            .collect();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()) ^ d.as_secs());
        let shared = Arc::new(Shared {
            catalog: self.catalog,
            state: Mutex::new(State {
                records: VecDeque::new(),
                record_limit: self.record_limit,
                faults,
                quotas,
                timing: self.timing,
                answer_tokens: self.answer_tokens,
                region: self.region,
                default_region: self.default_region,
            }),
            counter: AtomicU64::new(1),
            seed: nanos.rotate_left(17) ^ (u64::from(addr.port()) << 40),
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        Ok(LocalBedrock {
            addr,
            shared,
            shutdown_tx,
            task: Some(task),
        })
    }
}

/// A local Bedrock-compatible endpoint (bedrock-runtime and
/// bedrock-agent-runtime) on 127.0.0.1, for tests. Point a real AWS SDK client
/// at [`LocalBedrock::endpoint_url`].
///
/// Dropping it stops the server (open connections end); [`LocalBedrock::shutdown`]
/// also waits for them.
pub struct LocalBedrock {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for LocalBedrock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBedrock")
            .field("addr", &self.addr)
            .field("running", &self.task.as_ref().is_some_and(|t| !t.is_finished()))
            .finish_non_exhaustive()
    }
}

impl LocalBedrock {
    /// Starts a server with the defaults (free port, region from SigV4, no
    /// delays, no quota, no faults).
    pub async fn start() -> std::io::Result<LocalBedrock> {
        LocalBedrockBuilder::default().start().await
    }

    /// A builder for a configured server.
    pub fn builder() -> LocalBedrockBuilder {
        LocalBedrockBuilder::default()
    }

    /// `http://127.0.0.1:PORT`, for the SDK's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An AWS SDK configuration for calls to this endpoint made from
    /// `region`, with static test credentials; give it to
    /// [`Client::from_conf`](crate::Client::from_conf) or to the SDK clients.
    pub fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(self.endpoint_url())
            .credentials_provider(aws_sdk_bedrockruntime::config::SharedCredentialsProvider::new(
                aws_sdk_bedrockruntime::config::Credentials::new(
                    "AKIDLOCAL",
                    "local",
                    None,
                    None,
                    "bedrock-latency-testkit",
                ),
            ))
            .build()
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests received so far, in arrival order: all of them, or the
    /// most recent ones past the record limit
    /// ([`LocalBedrockBuilder::record_limit`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().records.iter().cloned().collect()
    }

    /// The most recent request, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().records.back().cloned()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().records.clear();
    }

    /// Queues a fault for the next matching request (a [`Fault`] applies once
    /// to any operation; a [`FaultRule`] can filter and repeat).
    pub fn inject(&self, rule: impl Into<FaultRule>) {
        self.shared.lock().faults.push(rule.into());
    }

    /// Queues several faults, consumed in order by the next matching requests.
    pub fn inject_sequence<I>(&self, rules: I)
    where
        I: IntoIterator,
        I::Item: Into<FaultRule>,
    {
        let mut state = self.shared.lock();
        for rule in rules {
            state.faults.push(rule.into());
        }
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> Vec<FaultRule> {
        self.shared.lock().faults.pending()
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Sets (`Some`) or removes (`None`, unlimited) the remaining optimized
    /// quota of a model (any form of its ID).
    pub fn set_optimized_quota(&self, model_id: &str, remaining: Option<u64>) {
        let key = behaviour::quota_key(model_id);
        let mut state = self.shared.lock();
        match remaining {
            Some(n) => {
                state.quotas.insert(key, n);
            }
            None => {
                state.quotas.remove(&key);
            }
        }
    }

    /// Remaining optimized quota of a model; `None` if unlimited.
    pub fn optimized_quota_remaining(&self, model_id: &str) -> Option<u64> {
        let key = behaviour::quota_key(model_id);
        self.shared.lock().quotas.get(&key).copied()
    }

    /// Sets the timing of one tier, for the next requests.
    pub fn set_timing(&self, tier: Latency, timing: Timing) {
        let mut state = self.shared.lock();
        match tier {
            Latency::Standard => state.timing.standard = timing,
            Latency::Optimized => state.timing.optimized = timing,
        }
    }

    /// The timing of both tiers.
    pub fn timing(&self) -> TierTiming {
        self.shared.lock().timing
    }

    /// Overrides (`Some`) the caller region, or goes back (`None`) to the
    /// SigV4 credential scope.
    pub fn set_region(&self, region: Option<String>) {
        self.shared.lock().region = region;
    }

    /// Sets the number of output tokens of an answer (at least 1).
    pub fn set_answer_tokens(&self, tokens: u32) {
        self.shared.lock().answer_tokens = tokens.max(1);
    }

    /// Stops accepting, ends open connections gracefully (in-flight streams
    /// and stalls are cut) and waits for them, at most about two seconds.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(mut task) = self.task.take() {
            let waited = tokio::time::timeout(DRAIN_TIMEOUT + Duration::from_secs(1), &mut task).await;
            if waited.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for LocalBedrock {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Resolves once shutdown is asked for (or the server handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared), shutdown.clone()));
                }
                // e.g. too many open files: back off instead of spinning
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let handler_shutdown = shutdown.clone();
    let service = service_fn(move |request| handle(Arc::clone(&shared), handler_shutdown.clone(), request));
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), connection.as_mut()).await;
        }
    }
}

/// Returned by the handler to close the connection without a response.
#[derive(Debug)]
struct ConnectionReset;

impl fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset (injected by bedrock-latency-local)")
    }
}

impl std::error::Error for ConnectionReset {}

/// Ends a response body abruptly.
#[derive(Debug)]
struct StreamAborted;

impl fmt::Display for StreamAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stream cut (injected by bedrock-latency-local)")
    }
}

impl std::error::Error for StreamAborted {}

/// Response body: complete bytes, or frames fed by a producer task.
#[derive(Debug)]
enum ResponseBody {
    Full(Option<Bytes>),
    Channel(mpsc::Receiver<Result<Bytes, StreamAborted>>),
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = StreamAborted;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, StreamAborted>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Channel(rx) => rx.poll_recv(cx).map(|next| next.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Channel(_) => SizeHint::default(),
        }
    }
}

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

async fn handle(
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, ConnectionReset> {
    let (parts, body) = request.into_parts();
    let request_id = shared.next_request_id();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let (raw, too_large) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => (Bytes::new(), true),
        // The client went away mid-body: nobody to answer.
        Err(_) => return Err(ConnectionReset),
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&raw).ok();
    let (region, timing, answer_tokens) = {
        let state = shared.lock();
        let region = state
            .region
            .clone()
            .or_else(|| {
                parts
                    .headers
                    .get(hyper::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(behaviour::region_from_authorization)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| state.default_region.clone());
        (region, state.timing, state.answer_tokens)
    };
    let mut record = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        operation: None,
        model_id: None,
        region: region.clone(),
        headers: lower_headers(&parts.headers),
        body: json.clone(),
        raw_body: raw.to_vec(),
        requested_latency: None,
        served_latency: None,
        fallback: None,
        service_tier: None,
        status: 0,
        error_type: None,
        fault: None,
        request_id: request_id.clone(),
    };

    let routed = ops::route(&method, &path);
    let Some((operation, params)) = routed else {
        let error = ApiError::unknown_operation(&method, &path);
        return Ok(finish_error(&shared, record, &error, &request_id));
    };
    record.operation = Some(operation);
    if let PathParams::Model(model) = &params {
        record.model_id = Some(model.clone());
    }
    if too_large {
        return Ok(finish_error(&shared, record, &ApiError::too_large(), &request_id));
    }
    let prepared = ops::prepare(
        operation,
        &params,
        &parts.headers,
        &raw,
        json.as_ref(),
        &region,
        shared.catalog.get(),
    );
    if let Ok(p) = &prepared {
        record.model_id.clone_from(&p.model_id);
        record.requested_latency = p.requested;
        record.service_tier.clone_from(&p.service_tier);
    } else if matches!(operation, Operation::InvokeModel | Operation::InvokeModelStream) {
        record.requested_latency = ops::header_value(&parts.headers, ops::LATENCY_HEADER)
            .as_deref()
            .and_then(ops::latency_from_wire);
    }

    // Faults first (a throttled request is not validated), except that stream
    // faults only go to streams that will succeed.
    let fault = shared.lock().faults.take(operation, prepared.is_ok());
    record.fault.clone_from(&fault);
    let mut stall = None;
    let mut stream_fault = None;
    match fault {
        Some(Fault::Throttling) => {
            return Ok(finish_error(&shared, record, &ApiError::throttling(), &request_id));
        }
        Some(Fault::ServiceUnavailable) => {
            return Ok(finish_error(&shared, record, &ApiError::unavailable(), &request_id));
        }
        Some(Fault::ConnectionReset) => {
            shared.lock().record(record);
            return Err(ConnectionReset);
        }
        Some(Fault::Stall(d)) => stall = Some(d),
        Some(f) => stream_fault = Some(f),
        None => {}
    }

    let reply = match prepared {
        Err(error) => {
            record.status = error.status;
            record.error_type = Some(error.error_type.to_owned());
            shared.lock().record(record);
            Reply::error(&error)
        }
        Ok(p) => {
            let (served, fallback) = decide(&mut shared.lock(), &p, answer_tokens);
            record.served_latency = Some(served);
            record.fallback = fallback;
            record.status = 200;
            shared.lock().record(record);
            ops::render(
                &p,
                &RenderContext {
                    served,
                    answer_len: answer_tokens,
                    timing: timing.of(served),
                    request_id: &request_id,
                },
            )
        }
    };

    if let Some(d) = stall {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = stopped(&mut shutdown) => return Err(ConnectionReset),
        }
    }
    respond(reply, &request_id, stream_fault, shutdown).await
}

/// Served latency of a valid request, consuming quota.
fn decide(state: &mut State, p: &Prepared, answer_tokens: u32) -> (Latency, Option<StandardFallback>) {
    if !p.honours_latency {
        let fallback = (p.requested == Some(Latency::Optimized)).then_some(StandardFallback::NotHonoured);
        return (Latency::Standard, fallback);
    }
    let Some(cap) = p.optimized_cap else {
        return (Latency::Standard, None);
    };
    if let Some(cap) = cap
        && p.exceeds_cap(cap, answer_tokens)
    {
        return (Latency::Standard, Some(StandardFallback::TokenCap));
    }
    let key = p.model_id.as_deref().map(behaviour::quota_key).unwrap_or_default();
    if let Some(remaining) = state.quotas.get_mut(&key) {
        if *remaining == 0 {
            return (Latency::Standard, Some(StandardFallback::QuotaExhausted));
        }
        *remaining -= 1;
    }
    (Latency::Optimized, None)
}

fn finish_error(
    shared: &Shared,
    mut record: RecordedRequest,
    error: &ApiError,
    request_id: &str,
) -> Response<ResponseBody> {
    record.status = error.status;
    record.error_type = Some(error.error_type.to_owned());
    shared.lock().record(record);
    full_response(Reply::error(error), request_id)
}

fn full_response(reply: Reply, request_id: &str) -> Response<ResponseBody> {
    let (status, headers, body) = match reply {
        Reply::Full {
            status, headers, body, ..
        } => (status, headers, ResponseBody::Full(Some(body))),
        Reply::Stream { headers, .. } => (200, headers, ResponseBody::Full(None)),
    };
    build_response(status, &headers, request_id, body)
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

async fn respond(
    reply: Reply,
    request_id: &str,
    stream_fault: Option<Fault>,
    mut shutdown: watch::Receiver<bool>,
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
                ResponseBody::Full(Some(body)),
            ))
        }
        Reply::Stream {
            headers,
            frames,
            stream_error_type,
        } => {
            let (tx, rx) = mpsc::channel(4);
            tokio::spawn(produce(frames, stream_fault, stream_error_type, tx, shutdown));
            Ok(build_response(200, &headers, request_id, ResponseBody::Channel(rx)))
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
                let payload = ops::stream_error_payload(stream_error_type);
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
