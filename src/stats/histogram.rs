//! Percentiles from bounded state: an HDR histogram of millisecond
//! latencies.

use hdrhistogram::Histogram;

use super::nearest_rank;

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

    /// Below 2,048 ms the histogram gives exactly the nearest-rank values of
    /// a sort, in any order of arrival (checked against the sample's
    /// percentiles, which `compare` has).
    #[cfg(feature = "compare")]
    #[test]
    fn histogram_matches_nearest_rank_below_2048() {
        use super::super::Rng;
        use super::super::sample::Percentiles;
        use std::time::Duration;

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
}
