//! The public handle: [`LocalBedrock`] and its builder.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::behaviour::{self, CatalogRef};
use super::counters::ConnectionStats;
use super::state::{Initial, Limits, RecordStore, Settings, Shared, State};
use super::tail_state::Tails;
use super::tails::{LatencyRule, Outage, ThrottleWindow};
use super::transport::{self, DRAIN_TIMEOUT};
use super::{FaultRule, RecordedRequest, TierTiming, TokenTiming};
use crate::{Catalog, Latency};

/// Default number of output tokens of an answer.
const DEFAULT_ANSWER_TOKENS: u32 = 16;
/// Default number of recorded requests kept (the most recent ones).
pub const DEFAULT_RECORD_LIMIT: usize = 10_000;
/// Default byte budget of the recorded requests (an estimate of their heap
/// size, parsed JSON included).
pub const DEFAULT_RECORD_BUDGET: usize = 64 * 1024 * 1024;

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
    record_budget: usize,
    token_caps: Vec<(String, u32)>,
    reservations: Vec<(String, u64)>,
    seed: Option<u64>,
    limits: Limits,
    tails: Tails,
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
            record_budget: DEFAULT_RECORD_BUDGET,
            token_caps: Vec::new(),
            reservations: Vec::new(),
            seed: None,
            limits: Limits::default(),
            tails: Tails::default(),
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
    pub fn timing(mut self, tier: Latency, timing: TokenTiming) -> Self {
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

    /// Gives a model (any form of its ID) a reservation of the reserved
    /// service tier for `requests` requests; past them, reserved requests
    /// overflow to the default tier and report it. Without a reservation a
    /// reserved request gets `ValidationException` "Reservation not found.".
    /// Whether the model offers the reserved tier from the caller's region
    /// is the catalog's word.
    pub fn reservation(mut self, model_id: impl Into<String>, requests: u64) -> Self {
        self.reservations.push((model_id.into(), requests));
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

    /// Replaces the optimized token cap of a model (any form of its ID;
    /// estimated input tokens + max tokens, or the answer length): past it,
    /// optimized requests are served standard with
    /// [`StandardFallback::TokenCap`](super::StandardFallback::TokenCap).
    /// The catalog's cap (Llama 3.1 405B: 11,000) applies otherwise.
    pub fn token_cap(mut self, model_id: impl Into<String>, max_total_tokens: u32) -> Self {
        self.token_caps.push((model_id.into(), max_total_tokens));
        self
    }

    /// Seed of the request IDs and of the latency samples and throttled
    /// fractions (default: from the clock). Same seed, same IDs and samples
    /// in the same order of arrival.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Byte budget of the recorded requests (default
    /// [`DEFAULT_RECORD_BUDGET`]): the oldest are dropped past it. Bodies
    /// longer than 64 KiB are kept as a prefix, length and SHA-256.
    pub fn record_budget_bytes(mut self, bytes: usize) -> Self {
        self.record_budget = bytes;
        self
    }

    /// Largest request body in bytes (default 25 MiB), enforced while
    /// reading: longer bodies get HTTP 413.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_body = bytes;
        self
    }

    /// Time allowed for a request's headers, and then for its body (default
    /// 10 s); a body that does not arrive in time gets HTTP 408.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// A connection with no request in flight for this long is closed
    /// (default 120 s, longer than the SDKs' pool idle timeouts).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Connections served at once (default 256, at least 1); further ones
    /// wait in the listen backlog.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.limits.max_connections = n.max(1);
        self
    }

    /// Samples the time to first token of requests that `rule` covers from
    /// its distribution (in place of the tier's fixed
    /// [`TokenTiming::time_to_first_token`]; the per-token delay stays).
    /// The first rule that matches a request's region and served tier wins.
    pub fn latency(mut self, rule: LatencyRule) -> Self {
        self.tails.latency.push(rule);
        self
    }

    /// Throttles a region for a period, or a fraction of its requests.
    pub fn throttle(mut self, window: ThrottleWindow) -> Self {
        self.tails.throttle.push(window);
        self
    }

    /// Takes a region out for a period.
    pub fn outage(mut self, outage: Outage) -> Self {
        self.tails.outage.push(outage);
        self
    }

    /// The first request of every new connection waits this long before it
    /// is read, as a TCP and TLS handshake would make it wait (per region:
    /// [`connect_delay_in`](Self::connect_delay_in)).
    pub fn connect_delay(mut self, delay: Duration) -> Self {
        self.tails.connect_delay.retain(|(r, _)| r.is_some());
        self.tails.connect_delay.push((None, delay));
        self
    }

    /// The connect delay of calls made from `region` (in place of
    /// [`connect_delay`](Self::connect_delay)).
    pub fn connect_delay_in(mut self, region: impl Into<String>, delay: Duration) -> Self {
        let region = region.into();
        self.tails
            .connect_delay
            .retain(|(r, _)| r.as_deref() != Some(region.as_str()));
        self.tails.connect_delay.push((Some(region), delay));
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current Tokio runtime.
    pub async fn start(self) -> std::io::Result<LocalBedrock> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let initial = Initial {
            faults: self.faults,
            settings: Settings {
                quotas: by_base_model(self.quotas),
                caps: by_base_model(self.token_caps),
                reservations: by_base_model(self.reservations),
                timing: self.timing,
                answer_tokens: self.answer_tokens,
                region: self.region,
            },
            tails: self.tails,
        };
        let seed = self.seed.unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::from(d.subsec_nanos()) ^ d.as_secs());
            nanos.rotate_left(17) ^ (u64::from(addr.port()) << 40)
        });
        let records = RecordStore::new(self.record_limit, self.record_budget);
        let budget = self.limits.body_budget.min(Semaphore::MAX_PERMITS);
        let shared = Arc::new(Shared {
            catalog: self.catalog,
            state: Mutex::new(State::new(&initial, records, self.default_region, seed)),
            initial,
            limits: self.limits,
            body_budget: Semaphore::new(budget),
            counter: AtomicU64::new(1),
            seed,
            counters: Arc::default(),
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(transport::accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        Ok(LocalBedrock {
            addr,
            shared,
            shutdown_tx,
            task: Some(task),
        })
    }
}

/// Keys per-model settings by base model ID, so that every form of a model's
/// ID shares them.
fn by_base_model<T>(pairs: Vec<(String, T)>) -> HashMap<String, T> {
    pairs
        .into_iter()
        .map(|(model, n)| (behaviour::quota_key(&model), n))
        .collect()
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
    /// [`Client::new`](crate::Client::new) or to the SDK clients.
    pub fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        Self::sdk_config_at(&self.endpoint_url(), region)
    }

    /// [`sdk_config`](Self::sdk_config) for an endpoint at `url` started
    /// elsewhere (a `bedrock-latency-local` process, say).
    pub fn sdk_config_at(url: &str, region: &str) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(url)
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
        self.shared.lock().records.iter().next_back().cloned()
    }

    /// Connections, requests in flight and stream tasks now, and requests
    /// abandoned by their client so far.
    pub fn connection_stats(&self) -> ConnectionStats {
        self.shared.counters.snapshot()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().records.clear();
    }

    /// Queues a fault for the next matching request (a [`Fault`](super::Fault) applies once
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
                state.settings.quotas.insert(key, n);
            }
            None => {
                state.settings.quotas.remove(&key);
            }
        }
    }

    /// Remaining optimized quota of a model; `None` if unlimited.
    pub fn optimized_quota_remaining(&self, model_id: &str) -> Option<u64> {
        let key = behaviour::quota_key(model_id);
        self.shared.lock().settings.quotas.get(&key).copied()
    }

    /// Sets the timing of one tier, for the next requests.
    pub fn set_timing(&self, tier: Latency, timing: TokenTiming) {
        let mut state = self.shared.lock();
        match tier {
            Latency::Standard => state.settings.timing.standard = timing,
            Latency::Optimized => state.settings.timing.optimized = timing,
        }
    }

    /// The timing of both tiers.
    pub fn timing(&self) -> TierTiming {
        self.shared.lock().settings.timing
    }

    /// Overrides (`Some`) the caller region, or goes back (`None`) to the
    /// SigV4 credential scope.
    pub fn set_region(&self, region: Option<String>) {
        self.shared.lock().settings.region = region;
    }

    /// Sets the number of output tokens of an answer (at least 1).
    pub fn set_answer_tokens(&self, tokens: u32) {
        self.shared.lock().settings.answer_tokens = tokens.max(1);
    }

    /// Back to the configured state: no recorded requests, and the faults,
    /// quotas, caps, timing, region and answer length the builder set (also
    /// `POST /_bedrock_latency/reset`).
    pub fn reset(&self) {
        self.shared.lock().reset(&self.shared.initial);
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
