//! Statistics shared by the tools: nearest-rank percentiles of a sample,
//! medians and a bootstrap interval for a ratio of medians (`sample`, for
//! `compare`), and percentiles from bounded state, an HDR histogram, for
//! streams of any length (`histogram`, for `logs`).
//!
//! SDK-free and below the tools: `compare` (a network benchmark) and `logs`
//! (an offline analyzer) both use it, and neither depends on the other.

#[cfg(feature = "logs")]
mod histogram;
mod rng;
#[cfg(feature = "compare")]
mod sample;

#[cfg(feature = "logs")]
pub(crate) use histogram::LatencyHistogram;
#[cfg(feature = "compare")]
pub use sample::Percentiles;
#[cfg(feature = "compare")]
pub(crate) use sample::{bootstrap_median_ratio, median};

pub(crate) use rng::Rng;

/// The 1-based nearest rank of quantile `p` among `n` sorted values
/// (`ceil(p * n)`, at least 1 and at most `n`; `n` must be at least 1).
#[cfg(any(feature = "logs", feature = "compare"))]
fn nearest_rank(p: f64, n: usize) -> usize {
    ((p * n as f64).ceil() as usize).clamp(1, n.max(1))
}
