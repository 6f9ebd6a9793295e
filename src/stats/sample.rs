//! Statistics of a sample held in memory: nearest-rank percentiles, the
//! median, and a bootstrap interval for a ratio of medians.

use std::time::Duration;

use serde::Serialize;

use super::{Rng, nearest_rank};

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

/// The median of `v` (the upper one for an even count), sorting `v`.
/// `v` must not be empty.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
