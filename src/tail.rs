//! Tail latency: hedged requests and regional failover (both opt-in), and
//! what they did for one call ([`TailReport`], in
//! [`LatencyReport::tail`](crate::LatencyReport::tail)).
//!
//! **Hedging** ("The Tail at Scale", Dean and Barroso, CACM 2013): once a
//! request has been outstanding longer than a delay (fixed, or a percentile
//! of the times recently observed for the same model, region, latency and
//! tier), a backup copy is sent, in the same region or another permitted
//! one; the first answer wins (the first token, for streams) and the other
//! is dropped, which closes its connection. A budget caps the backups at a
//! fraction of the requests over a sliding window.
//!
//! **Failover**: when a region throttles (429), fails (5xx) or cannot be
//! reached, the request is retried in another permitted region that serves
//! it as asked, with backoff and a bound on the attempts.
//!
//! Both only ever send where the client's planner (the catalog check every
//! request goes through) says the request is served as asked: a backup or
//! a retry of an optimized request goes only to regions that serve the
//! model optimized. The regions a client may use are its own and its routes
//! ([`ClientBuilder::route_optimized_to`](crate::ClientBuilder::route_optimized_to),
//! [`ClientBuilder::route`](crate::ClientBuilder::route)).
//!
//! Turn them on for every request of a client
//! ([`ClientBuilder::hedge`](crate::ClientBuilder::hedge),
//! [`ClientBuilder::failover`](crate::ClientBuilder::failover)) or per call
//! (`.hedge(..)`, `.failover(..)`, `.no_hedge()`, `.no_failover()` on the
//! bedrock-runtime request builders).

use std::time::Duration;

pub use crate::report::{Attempt, AttemptOutcome, HedgeReport, HedgeSkipped, HedgeWinner, TailReport};

/// When to send a hedge's backup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HedgeDelay {
    /// After this long.
    Fixed(Duration),
    /// After the given percentile (e.g. `95.0`) of the time to first token
    /// recently observed for the same model, region, latency and tier (total
    /// time for unary calls).
    Percentile(f64),
}

/// Where a hedge's backup goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HedgeTarget {
    /// The same region as the first request.
    SameRegion,
    /// Another permitted region that serves the request as asked, or the
    /// same region when there is none (the default: a slow region is often
    /// a busy one).
    PreferOtherRegion,
}

/// Hedged requests: when, where, and how many.
///
/// ```
/// use std::time::Duration;
/// use bedrock_latency::tail::Hedge;
/// let hedge = Hedge::at_percentile(95.0).max_extra(0.05).window(Duration::from_secs(30));
/// assert_eq!(hedge.max_extra_fraction(), 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Hedge {
    delay: HedgeDelay,
    target: HedgeTarget,
    max_extra: f64,
    window: Duration,
    min_samples: usize,
}

impl Hedge {
    /// A backup after a fixed delay.
    pub fn after(delay: Duration) -> Self {
        Self::with(HedgeDelay::Fixed(delay))
    }

    /// A backup after the `percentile` (clamped to 50-99.9) of recently
    /// observed times; none until [`min_samples`](Self::min_samples) times
    /// were observed.
    pub fn at_percentile(percentile: f64) -> Self {
        let p = if percentile.is_finite() {
            percentile.clamp(50.0, 99.9)
        } else {
            95.0
        };
        Self::with(HedgeDelay::Percentile(p))
    }

    fn with(delay: HedgeDelay) -> Self {
        Hedge {
            delay,
            target: HedgeTarget::PreferOtherRegion,
            max_extra: 0.10,
            window: Duration::from_secs(10),
            min_samples: 20,
        }
    }

    /// Where backups go (default [`HedgeTarget::PreferOtherRegion`]).
    pub fn target(mut self, target: HedgeTarget) -> Self {
        self.target = target;
        self
    }

    /// At most this fraction (0 to 1) of extra requests over the sliding
    /// window (default 0.10: at most one backup per ten requests).
    pub fn max_extra(mut self, fraction: f64) -> Self {
        self.max_extra = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The sliding window of the cap (default 10 s; at least 100 ms).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_millis(100));
        self
    }

    /// Times to observe before a percentile delay is trusted (default 20,
    /// at least 1).
    pub fn min_samples(mut self, n: usize) -> Self {
        self.min_samples = n.max(1);
        self
    }

    /// The delay rule.
    pub fn delay(&self) -> HedgeDelay {
        self.delay
    }

    /// Where backups go.
    pub fn hedge_target(&self) -> HedgeTarget {
        self.target
    }

    /// The cap on extra requests, as a fraction of requests.
    pub fn max_extra_fraction(&self) -> f64 {
        self.max_extra
    }

    /// The cap's sliding window.
    pub fn cap_window(&self) -> Duration {
        self.window
    }

    /// Times observed before a percentile delay applies.
    pub fn samples_needed(&self) -> usize {
        self.min_samples
    }
}

/// Regional failover: on throttling (HTTP 429), a server error (5xx) or a
/// connection failure, the request is retried in the next permitted region
/// that serves it as asked (cycling through them), after a backoff.
///
/// **Layering with the SDK's retries.** Each attempt is one SDK call whose
/// own retries are bounded to
/// [`sdk_attempts_per_region`](Self::sdk_attempts_per_region) (default 1:
/// failover does the retrying, with its own backoff), so one call makes at
/// most `attempts x sdk_attempts_per_region` HTTP requests, plus at most one
/// hedge backup per attempt when hedging is on, and never a storm. A
/// validation error, a refusal or an error inside a stream that has begun
/// is not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    attempts: u32,
    backoff: Duration,
    max_backoff: Duration,
    sdk_attempts: u32,
}

impl Default for Failover {
    fn default() -> Self {
        Failover {
            attempts: 3,
            backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            sdk_attempts: 1,
        }
    }
}

impl Failover {
    /// Three attempts, 50 ms backoff doubling up to 1 s, one SDK attempt
    /// per region.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attempts in all, the first included (1 to 10).
    pub fn attempts(mut self, n: u32) -> Self {
        self.attempts = n.clamp(1, 10);
        self
    }

    /// The backoff before the second attempt, doubled for each further one
    /// up to `max`, with jitter (up to half of it).
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// The SDK's own attempts inside each region (1 to 5; default 1).
    pub fn sdk_attempts_per_region(mut self, n: u32) -> Self {
        self.sdk_attempts = n.clamp(1, 5);
        self
    }

    /// Attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.attempts
    }

    /// The SDK's attempts per region.
    pub fn sdk_attempts(&self) -> u32 {
        self.sdk_attempts
    }

    /// The backoff before attempt `n` (2 and later), before jitter.
    pub fn backoff_before(&self, n: u32) -> Duration {
        let doublings = n.saturating_sub(2).min(20);
        self.backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_max() {
        let f = Failover::new().backoff(Duration::from_millis(10), Duration::from_millis(35));
        let b: Vec<u128> = (2..=5).map(|n| f.backoff_before(n).as_millis()).collect();
        assert_eq!(b, vec![10, 20, 35, 35]);
        assert_eq!(Failover::new().attempts(0).max_attempts(), 1);
        assert_eq!(Failover::new().attempts(99).max_attempts(), 10);
    }

    #[test]
    fn hedge_settings_are_clamped() {
        assert_eq!(Hedge::at_percentile(200.0).delay(), HedgeDelay::Percentile(99.9));
        assert_eq!(Hedge::at_percentile(f64::NAN).delay(), HedgeDelay::Percentile(95.0));
        assert_eq!(Hedge::after(Duration::ZERO).max_extra(7.0).max_extra_fraction(), 1.0);
        assert_eq!(Hedge::after(Duration::ZERO).min_samples(0).samples_needed(), 1);
    }
}

/// What [`Client::prewarm`](crate::Client::prewarm) did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PrewarmReport {
    /// One entry per region the client may send bedrock-runtime requests
    /// to: its own first, then its routes.
    pub regions: Vec<RegionWarmth>,
}

impl PrewarmReport {
    /// Connections opened in all.
    pub fn opened(&self) -> usize {
        self.regions.iter().map(|r| r.opened).sum()
    }
}

/// What pre-warming did in one region.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegionWarmth {
    /// The region.
    pub region: String,
    /// Connections asked for.
    pub wanted: usize,
    /// Connections that got an answer (and so are open and in the pool).
    pub opened: usize,
    /// How long the region took.
    pub elapsed: Duration,
    /// Why a connection could not be opened (the first such error), or why
    /// nothing was tried (a service that is not the AWS SDK).
    pub error: Option<String>,
}

/// What to send for one model and operation, as a
/// [`TailPolicy`](crate::policy::TailPolicy) decided it: apply it to a
/// request with `.with_decision(&decision)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The latency policy to ask for.
    pub latency: crate::vocab::LatencyPolicy,
    /// The service tier to ask for, if any.
    pub tier: Option<crate::vocab::ServiceTier>,
    /// Hedging, if on.
    pub hedge: Option<Hedge>,
    /// Failover, if on.
    pub failover: Option<Failover>,
    /// Why each lever is on or off, in plain words.
    pub reasons: Vec<String>,
}
