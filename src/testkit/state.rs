//! The endpoint's shared state: configuration limits, the bounded request
//! record, quotas, caps, faults and timing, and the served-latency decision.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::behaviour::{self, CatalogRef};
use super::counters::Counters;
use super::faults::FaultQueue;
use super::prepared::{Prepared, TierPlan};
use super::tail_state::{TailState, Tails};
use super::wire::ApiError;
use super::{FaultRule, RecordedRequest, StandardFallback, TierTiming};
use crate::{Latency, Operation, ServiceTier};

/// Bytes of a request body kept in its record; the rest is summarised by
/// length and SHA-256.
pub(crate) const RECORD_BODY_PREFIX: usize = 64 * 1024;

/// Limits that keep the endpoint's memory and tasks bounded under abuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Largest request body (bytes), enforced while reading.
    pub(crate) max_body: usize,
    /// Time allowed to receive a request's headers, and then its body.
    pub(crate) read_timeout: Duration,
    /// Connections served at once; at the limit the longest-idle one is
    /// closed to make room, and when none is idle further ones wait in the
    /// listen backlog.
    pub(crate) max_connections: usize,
    /// A connection with no request in flight for this long is closed (also
    /// bounds a connection that never sends its first bytes).
    pub(crate) idle_timeout: Duration,
    /// Request body bytes being read or parsed at once, over all
    /// connections, counted three times (raw, parsed, prompt text); past it, requests get
    /// HTTP 503.
    pub(crate) body_budget: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 25 * 1024 * 1024,
            read_timeout: Duration::from_secs(10),
            max_connections: 256,
            idle_timeout: Duration::from_secs(120),
            body_budget: 128 * 1024 * 1024,
        }
    }
}

/// The recorded requests, bounded by count and by an estimate of their size.
#[derive(Debug)]
pub(crate) struct RecordStore {
    records: VecDeque<(RecordedRequest, usize)>,
    bytes: usize,
    pub(crate) limit: usize,
    pub(crate) budget: usize,
}

impl RecordStore {
    pub(crate) fn new(limit: usize, budget: usize) -> RecordStore {
        RecordStore {
            records: VecDeque::new(),
            bytes: 0,
            limit,
            budget,
        }
    }

    /// Keeps `r`, dropping the oldest records past the count limit or the
    /// byte budget.
    pub(crate) fn push(&mut self, r: RecordedRequest) {
        let size = estimated_size(&r);
        if self.limit == 0 || size > self.budget {
            return;
        }
        while !self.records.is_empty() && (self.records.len() >= self.limit || self.bytes + size > self.budget) {
            if let Some((_, old)) = self.records.pop_front() {
                self.bytes -= old;
            }
        }
        self.bytes += size;
        self.records.push_back((r, size));
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &RecordedRequest> + ExactSizeIterator {
        self.records.iter().map(|(r, _)| r)
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.bytes = 0;
    }

    /// Estimated bytes held by the records.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// A conservative estimate of the heap bytes of a record: parsed JSON is
/// counted at four times its text.
fn estimated_size(r: &RecordedRequest) -> usize {
    let headers: usize = r.headers.iter().map(|(n, v)| n.len() + v.len() + 48).sum();
    let json = if r.body.is_some() { 4 * r.raw_body.len() } else { 0 };
    512 + r.path.len() + r.query.as_ref().map_or(0, String::len) + headers + r.raw_body.len() + json
}

/// The endpoint's settings that the control API and the test's handle can
/// change while it runs, and that a reset sets back.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Remaining optimized requests per base model ID; absent = unlimited.
    pub(crate) quotas: HashMap<String, u64>,
    /// Optimized token caps set by the builder, per base model ID; they
    /// replace the catalog's.
    pub(crate) caps: HashMap<String, u32>,
    /// Reserved-tier requests left per base model ID (absent: no
    /// reservation); at 0 they overflow to the default tier.
    pub(crate) reservations: HashMap<String, u64>,
    pub(crate) timing: TierTiming,
    pub(crate) answer_tokens: u32,
    /// Treat every call as made from this region.
    pub(crate) region: Option<String>,
}

/// What the state starts with, and goes back to on reset.
#[derive(Debug, Clone)]
pub(crate) struct Initial {
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) settings: Settings,
    pub(crate) tails: Tails,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) records: RecordStore,
    pub(crate) faults: FaultQueue,
    pub(crate) settings: Settings,
    pub(crate) default_region: String,
    /// Latency distributions, throttling windows, outages, connect delays.
    pub(crate) tails: TailState,
}

impl State {
    pub(crate) fn new(initial: &Initial, records: RecordStore, default_region: String, seed: u64) -> State {
        let mut state = State {
            records,
            faults: FaultQueue::default(),
            settings: initial.settings.clone(),
            default_region,
            tails: TailState::new(initial.tails.clone(), seed),
        };
        state.reset(initial);
        state
    }

    /// Back to the configured state, with no recorded requests.
    pub(crate) fn reset(&mut self, initial: &Initial) {
        self.records.clear();
        self.faults.clear();
        for rule in &initial.faults {
            self.faults.push(rule.clone());
        }
        self.settings.clone_from(&initial.settings);
        self.tails.reset(&initial.tails);
    }

    /// Served tier of a valid request, consuming reserved capacity: the
    /// reserved tier while the model's reservation lasts, then the default
    /// tier ("When your application needs more tokens-per-minute capacity
    /// than what you reserved, the service automatically overflows to the
    /// Standard tier", docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html);
    /// without a reservation, "Reservation not found.".
    pub(crate) fn decide_tier(&mut self, p: &Prepared) -> Result<Option<ServiceTier>, ApiError> {
        match p.tier_plan {
            TierPlan::Unasked => Ok(None),
            TierPlan::Serve(t) => Ok(Some(t)),
            TierPlan::Reserved => {
                let key = p.model_id.as_deref().map(behaviour::quota_key).unwrap_or_default();
                match self.settings.reservations.get_mut(&key) {
                    None => Err(ApiError::reservation_not_found()),
                    Some(0) => Ok(Some(ServiceTier::Default)),
                    Some(left) => {
                        *left -= 1;
                        Ok(Some(ServiceTier::Reserved))
                    }
                }
            }
        }
    }

    /// Served latency of a valid request, consuming quota.
    pub(crate) fn decide(&mut self, p: &Prepared) -> (Latency, Option<StandardFallback>) {
        if !p.honours_latency {
            let fallback = (p.requested == Some(Latency::Optimized)).then_some(
                if matches!(p.operation, Operation::InvokeFlow | Operation::StartFlowExecution) {
                    StandardFallback::Unverified
                } else {
                    StandardFallback::NotHonoured
                },
            );
            return (Latency::Standard, fallback);
        }
        let Some(catalog_cap) = p.optimized_cap else {
            return (Latency::Standard, None);
        };
        let key = p.model_id.as_deref().map(behaviour::quota_key).unwrap_or_default();
        let cap = self.settings.caps.get(&key).copied().or(catalog_cap);
        if let Some(cap) = cap
            && p.exceeds_cap(cap, self.settings.answer_tokens)
        {
            return (Latency::Standard, Some(StandardFallback::TokenCap));
        }
        if let Some(remaining) = self.settings.quotas.get_mut(&key) {
            if *remaining == 0 {
                return (Latency::Standard, Some(StandardFallback::QuotaExhausted));
            }
            *remaining -= 1;
        }
        (Latency::Optimized, None)
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) catalog: CatalogRef,
    pub(crate) state: Mutex<State>,
    pub(crate) initial: Initial,
    pub(crate) limits: Limits,
    /// Permits = request body bytes that may be held at once.
    pub(crate) body_budget: Semaphore,
    pub(crate) counter: AtomicU64,
    pub(crate) seed: u64,
    /// Connections, requests in flight, stream tasks.
    pub(crate) counters: std::sync::Arc<Counters>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, r: RecordedRequest) {
        self.lock().records.push(r);
    }

    /// A request ID in the UUID shape of `x-amzn-RequestId`: the seed in the
    /// first groups, the request counter in the last.
    pub(crate) fn next_request_id(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: usize) -> RecordedRequest {
        let mut r = RecordedRequest::new("POST", "/x", "us-east-1", "id");
        r.raw_body = vec![b'a'; body];
        r
    }

    #[test]
    fn store_keeps_count_and_byte_budget() {
        let mut store = RecordStore::new(3, 10_000);
        for _ in 0..5 {
            store.push(record(10));
        }
        assert_eq!(store.iter().len(), 3);
        let mut store = RecordStore::new(100, 10_000);
        for _ in 0..10 {
            store.push(record(3_000));
        }
        assert!(store.bytes() <= 10_000, "{}", store.bytes());
        assert_eq!(store.iter().len(), 2);
        store.push(record(20_000));
        assert_eq!(store.iter().len(), 2, "a record over the whole budget is not kept");
    }
}
