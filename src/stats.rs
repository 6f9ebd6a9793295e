//! Statistics shared by the tools: nearest-rank percentiles of a sample,
//! percentiles from bounded state (an HDR histogram) for streams of any
//! length, medians and a bootstrap interval for a ratio of medians.
//!
//! SDK-free and below the tools: `compare` (a network benchmark) and `logs`
//! (an offline analyzer) both use it, and neither depends on the other.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// p50 / p90 / p99 of a set of durations (nearest-rank).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
}

impl Percentiles {
    /// Percentiles of `values` (`None` when empty).
    pub fn of(values: &[Duration]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort();
        Some(Self {
            p50: v[nearest_rank(0.50, v.len()) - 1],
            p90: v[nearest_rank(0.90, v.len()) - 1],
            p99: v[nearest_rank(0.99, v.len()) - 1],
        })
    }
}

/// The 1-based nearest rank of quantile `p` among `n` sorted values
/// (`ceil(p * n)`, at least 1 and at most `n`; `n` must be at least 1).
fn nearest_rank(p: f64, n: usize) -> usize {
    ((p * n as f64).ceil() as usize).clamp(1, n.max(1))
}

/// The median of `v` (the upper one for an even count), sorting `v`.
/// `v` must not be empty.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A small deterministic PRNG (xorshift64*) for the bootstrap and for
/// chart jitter: the same seed gives the same figures on every run.
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// A generator from any seed (a zero state would stay zero).
    pub(crate) fn seeded(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` must be at least 1).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `[0, 1)` (53 random bits).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal number (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The 95% bootstrap interval of `median(base) / median(fast)`: `resamples`
/// resamples of both sets (with replacement), from a fixed seed. Both sets
/// must be non-empty and `resamples` at least 1.
pub(crate) fn bootstrap_median_ratio(base: &[f64], fast: &[f64], resamples: usize, seed: u64) -> (f64, f64) {
    let mut rng = Rng(seed);
    let mut ratios: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            let mut b: Vec<f64> = (0..base.len()).map(|_| base[rng.below(base.len())]).collect();
            let mut f: Vec<f64> = (0..fast.len()).map(|_| fast[rng.below(fast.len())]).collect();
            median(&mut b) / median(&mut f).max(1e-12)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let lo = ratios[(0.025 * ratios.len() as f64) as usize];
    let hi = ratios[((0.975 * ratios.len() as f64) as usize).min(ratios.len() - 1)];
    (lo, hi)
}

/// Millisecond latencies of a stream of any length, in bounded memory: an
/// HDR histogram with 3 significant digits (values below 2,048 ms exact,
/// larger ones within 0.1%). It grows with the largest value recorded, up to
/// [`LatencyHistogram::MAX_MS`] (values above are counted as that), so one
/// histogram takes at most about 60 KB.
#[derive(Debug, Clone)]
pub(crate) struct LatencyHistogram {
    histogram: Histogram<u32>,
}

/// Nearest-rank p50 / p90 / p99 in milliseconds, and how many values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MsPercentiles {
    pub(crate) count: u64,
    pub(crate) p50: u64,
    pub(crate) p90: u64,
    pub(crate) p99: u64,
}

impl LatencyHistogram {
    /// The largest latency told apart: one day. Larger values count as this.
    pub(crate) const MAX_MS: u64 = 86_400_000;

    /// An empty histogram.
    pub(crate) fn new() -> Self {
        // Bounds 1..=4096 with auto-resize: starts at a few KB and grows
        // (up to MAX_MS) only if larger values come. The arguments are
        // constants that hdrhistogram accepts (low >= 1, high >= 2 * low,
        // sigfig <= 5): creation does not depend on any input.
        let mut histogram = Histogram::new_with_bounds(1, 4096, 3).expect("constant histogram bounds are valid");
        histogram.auto(true);
        Self { histogram }
    }

    /// Counts one value (clamped to `MAX_MS`).
    pub(crate) fn record(&mut self, ms: u64) {
        let ms = ms.min(Self::MAX_MS);
        if self.histogram.record(ms).is_err() {
            self.histogram.saturating_record(ms);
        }
    }

    /// Nearest-rank p50 / p90 / p99 (`None` when empty): the rank is
    /// `ceil(p * n)`, as in [`Percentiles::of`], and the value is the
    /// largest the histogram does not tell apart from the ranked one.
    pub(crate) fn percentiles(&self) -> Option<MsPercentiles> {
        let n = self.histogram.len();
        if n == 0 {
            return None;
        }
        let count = usize::try_from(n).unwrap_or(usize::MAX);
        let ranks = [0.50, 0.90, 0.99].map(|p| nearest_rank(p, count) as u64);
        let mut found = [0u64; 3];
        let mut seen = 0u64;
        let mut next = 0;
        for v in self.histogram.iter_recorded() {
            seen = seen.saturating_add(u64::from(v.count_at_value()));
            while next < ranks.len() && seen >= ranks[next] {
                found[next] = self.histogram.highest_equivalent(v.value_iterated_to());
                next += 1;
            }
            if next == ranks.len() {
                break;
            }
        }
        Some(MsPercentiles {
            count: n,
            p50: found[0],
            p90: found[1],
            p99: found[2],
        })
    }
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::of(&v).unwrap();
        assert_eq!(p.p50, Duration::from_millis(50));
        assert_eq!(p.p90, Duration::from_millis(90));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert!(Percentiles::of(&[]).is_none());
        assert_eq!(
            Percentiles::of(&[Duration::from_millis(7)]).unwrap().p99,
            Duration::from_millis(7)
        );
    }

    /// Below 2,048 ms the histogram gives exactly the nearest-rank values of
    /// a sort, in any order of arrival.
    #[test]
    fn histogram_matches_nearest_rank_below_2048() {
        let mut rng = Rng(7);
        for n in [1usize, 2, 3, 10, 99, 100, 101, 1000, 5000] {
            let values: Vec<u64> = (0..n).map(|_| rng.below(2048) as u64).collect();
            let mut h = LatencyHistogram::new();
            values.iter().for_each(|&v| h.record(v));
            let d: Vec<Duration> = values.iter().map(|&v| Duration::from_millis(v)).collect();
            let want = Percentiles::of(&d).unwrap();
            let got = h.percentiles().unwrap();
            let ms = |d: Duration| d.as_millis() as u64;
            assert_eq!(
                (got.count, got.p50, got.p90, got.p99),
                (n as u64, ms(want.p50), ms(want.p90), ms(want.p99)),
                "n = {n}"
            );
        }
        assert_eq!(LatencyHistogram::new().percentiles(), None);
    }

    /// Above 2,048 ms within 0.1%; huge values are clamped, not refused.
    #[test]
    fn histogram_is_within_a_thousandth_and_clamps() {
        let mut h = LatencyHistogram::new();
        for v in [2_049u64, 10_007, 123_457, 3_600_001] {
            h.record(v);
        }
        let p = h.percentiles().unwrap();
        assert!(p.p50.abs_diff(10_007) * 1000 <= 10_007, "{p:?}");
        assert!(p.p99.abs_diff(3_600_001) * 1000 <= 3_600_001, "{p:?}");
        h.record(u64::MAX);
        let p = h.percentiles().unwrap();
        assert_eq!(p.count, 5);
        assert!(
            p.p99.abs_diff(LatencyHistogram::MAX_MS) * 1000 <= LatencyHistogram::MAX_MS,
            "{p:?}"
        );
    }

    #[test]
    fn bootstrap_interval_brackets_the_point() {
        let base: Vec<f64> = (0..30).map(|i| 0.2 + f64::from(i) / 1000.0).collect();
        let fast: Vec<f64> = (0..30).map(|i| 0.1 + f64::from(i) / 2000.0).collect();
        let point = median(&mut base.clone()) / median(&mut fast.clone());
        let (lo, hi) = bootstrap_median_ratio(&base, &fast, 2000, 0x9E37_79B9_7F4A_7C15);
        assert!(lo <= point && point <= hi, "{lo} {point} {hi}");
        assert_eq!(
            (lo, hi),
            bootstrap_median_ratio(&base, &fast, 2000, 0x9E37_79B9_7F4A_7C15),
            "deterministic"
        );
    }
}
