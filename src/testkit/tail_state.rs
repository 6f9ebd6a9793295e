//! The tail behaviour while serving: the configured rules (latency
//! distributions, throttling windows, outages, connect delays), their clock
//! and their seeded random streams.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::Fault;
use super::tails::{LatencyRule, Outage, OutageKind, ThrottleWindow};
use crate::Latency;
use crate::stats::Rng;

/// Most random streams kept (one per region and tier seen); regions come
/// from requests, so past this the streams are shared.
const MAX_STREAMS: usize = 256;

/// The tail behaviour as configured (what a reset goes back to).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tails {
    pub(crate) latency: Vec<LatencyRule>,
    pub(crate) throttle: Vec<ThrottleWindow>,
    pub(crate) outage: Vec<Outage>,
    /// Per region (`None`: every other region).
    pub(crate) connect_delay: Vec<(Option<String>, Duration)>,
}

impl Tails {
    /// The delay the first request of a connection pays in `region`.
    pub(crate) fn connect_delay(&self, region: &str) -> Duration {
        let find = |want: Option<&str>| {
            self.connect_delay
                .iter()
                .find(|(r, _)| r.as_deref() == want)
                .map(|(_, d)| *d)
        };
        find(Some(region)).or_else(|| find(None)).unwrap_or_default()
    }

    /// Whether any rule needs a clock or random numbers.
    fn is_empty(&self) -> bool {
        self.latency.is_empty() && self.throttle.is_empty() && self.outage.is_empty()
    }
}

/// The tail behaviour while serving: the rules, their clock and their
/// random streams.
#[derive(Debug)]
pub(crate) struct TailState {
    pub(crate) rules: Tails,
    seed: u64,
    started: Instant,
    streams: HashMap<String, Rng>,
}

impl TailState {
    pub(crate) fn new(rules: Tails, seed: u64) -> Self {
        TailState {
            rules,
            seed,
            started: Instant::now(),
            streams: HashMap::new(),
        }
    }

    /// Back to the start: the clock and the random streams restart.
    pub(crate) fn reset(&mut self, rules: &Tails) {
        self.rules.clone_from(rules);
        self.started = Instant::now();
        self.streams.clear();
    }

    /// The random stream named `key` (seeded from the endpoint's seed and
    /// the key, so that one region's draws do not shift another's).
    fn stream(&mut self, key: String) -> &mut Rng {
        let key = if self.streams.len() >= MAX_STREAMS && !self.streams.contains_key(&key) {
            "(shared)".to_owned()
        } else {
            key
        };
        let seed = self.seed;
        self.streams.entry(key).or_insert_with_key(|k| {
            let h = k.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            Rng::seeded(seed ^ h)
        })
    }

    /// The fault an outage or a throttling window gives a request to
    /// `region` now, if any.
    pub(crate) fn refusal(&mut self, region: &str) -> Option<Fault> {
        if self.rules.is_empty() {
            return None;
        }
        let now = self.started.elapsed();
        if let Some(o) = self
            .rules
            .outage
            .iter()
            .find(|o| o.region == region && o.window.contains(now))
        {
            return Some(match o.kind {
                OutageKind::Unavailable => Fault::ServiceUnavailable,
                OutageKind::Reset => Fault::ConnectionReset,
            });
        }
        let fraction = self
            .rules
            .throttle
            .iter()
            .find(|t| t.region == region && t.window.contains(now))
            .map(|t| t.fraction)?;
        let draw = self.stream(format!("{region}/throttle")).unit();
        (fraction >= 1.0 || draw < fraction).then_some(Fault::Throttling)
    }

    /// A sampled time to first token for a request served `tier` in
    /// `region`, when a rule gives one.
    pub(crate) fn ttft(&mut self, region: &str, tier: Latency) -> Option<Duration> {
        let dist = self
            .rules
            .latency
            .iter()
            .find(|r| r.applies(region, tier))?
            .ttft
            .clone();
        Some(dist.sample(self.stream(format!("{region}/{tier}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_fractions() {
        let rules = Tails {
            throttle: vec![ThrottleWindow::new("us-east-1").fraction(0.25)],
            outage: vec![Outage::new("us-west-2").from(Duration::from_secs(3600))],
            ..Tails::default()
        };
        let mut s = TailState::new(rules, 42);
        let n = (0..4000).filter(|_| s.refusal("us-east-1").is_some()).count();
        assert!((800..1200).contains(&n), "{n}");
        assert_eq!(s.refusal("us-west-2"), None, "not started yet");
        assert_eq!(s.refusal("us-east-2"), None);
    }
}
