//! Regional failover, SDK-free: which failures move a call to another
//! region, the backoff between attempts, and the loop over the permitted
//! regions.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, ServiceErrorKind};
use crate::stats::Rng;
use crate::tail::{Attempt, AttemptOutcome, Failover};
use crate::vocab::Latency;

/// Whether `e` moves a call to another region: throttling, a server error
/// (5xx) or a connection failure. Refusals, validation errors and errors
/// inside a stream that has begun stay where they are.
pub(crate) fn fails_over(e: &Error) -> bool {
    let Error::Service(s) = e else {
        return false;
    };
    matches!(
        s.kind(),
        ServiceErrorKind::Throttling
            | ServiceErrorKind::ServiceUnavailable
            | ServiceErrorKind::InternalServer
            | ServiceErrorKind::ModelNotReady
            | ServiceErrorKind::Connection
    ) || s.status().is_some_and(|st| st >= 500)
}

/// One failed attempt, as the report tells it.
fn failed(region: &str, latency: Latency, e: &Error, start: Instant) -> Attempt {
    let s = e.service_error();
    Attempt {
        region: region.to_owned(),
        latency,
        outcome: AttemptOutcome::Failed {
            error: s.map_or(ServiceErrorKind::Other, |s| s.kind()),
            status: s.and_then(|s| s.status()),
            request_id: e.request_id().map(str::to_owned),
        },
        elapsed: start.elapsed(),
    }
}

/// The backoff before attempt `n` (2 and later): the policy's, plus up to
/// half of it again as jitter, so that many callers do not retry in step.
fn backoff(policy: &Failover, n: u32, rng: &mut Rng) -> Duration {
    let base = policy.backoff_before(n);
    base + base.mul_f64(rng.unit() / 2.0)
}

/// How a call with failover ended.
pub(crate) struct Ended<T> {
    pub(crate) result: Result<(T, usize), Error>,
    /// The failed attempts, in order.
    pub(crate) failures: Vec<Attempt>,
}

/// Runs `attempt(i)` on the targets in order, cycling (`targets[i]` is its
/// region and latency), until one succeeds, an error that does not fail
/// over comes, or `policy` allows no more attempts. Without a policy, one
/// attempt on the first target.
pub(crate) async fn run<T, F, Fut>(policy: Option<&Failover>, targets: &[(&str, Latency)], mut attempt: F) -> Ended<T>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let start = Instant::now();
    let max = policy.map_or(1, Failover::max_attempts);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let mut rng = Rng::seeded(clock ^ u64::from(std::process::id()));
    let mut failures = Vec::new();
    let mut n = 0u32;
    loop {
        let i = n as usize % targets.len().max(1);
        n += 1;
        match attempt(i).await {
            Ok(v) => {
                return Ended {
                    result: Ok((v, i)),
                    failures,
                };
            }
            Err(e) => {
                let last = n >= max || !fails_over(&e);
                if let Some((region, latency)) = targets.get(i) {
                    failures.push(failed(region, *latency, &e, start));
                }
                if last {
                    return Ended {
                        result: Err(e),
                        failures,
                    };
                }
                if let Some(p) = policy {
                    tokio::time::sleep(backoff(p, n + 1, &mut rng)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Operation, ServiceError};

    fn err(kind: ServiceErrorKind) -> Error {
        ServiceError::new(Operation::Converse, kind).with_status(429).into()
    }

    #[tokio::test(start_paused = true)]
    async fn cycles_through_regions_within_the_bound() {
        let targets = [("us-east-1", Latency::Optimized), ("us-east-2", Latency::Optimized)];
        let policy = Failover::new().attempts(3);
        let mut seen = Vec::new();
        let ended = run(Some(&policy), &targets, |i| {
            seen.push(i);
            async move { Err::<(), _>(err(ServiceErrorKind::Throttling)) }
        })
        .await;
        assert_eq!(seen, vec![0, 1, 0]);
        assert_eq!(ended.failures.len(), 3);
        assert!(ended.result.unwrap_err().is_throttling());

        let mut calls = 0;
        let ended = run(Some(&policy), &targets, |i| {
            calls += 1;
            async move {
                if i == 0 {
                    Err(err(ServiceErrorKind::Throttling))
                } else {
                    Ok(i)
                }
            }
        })
        .await;
        assert_eq!((ended.result.unwrap(), calls), ((1, 1), 2));
        assert_eq!(ended.failures[0].region, "us-east-1");
    }

    #[tokio::test(start_paused = true)]
    async fn validation_errors_and_calls_without_a_policy_do_not_move() {
        let targets = [("us-east-1", Latency::Standard), ("us-east-2", Latency::Standard)];
        let mut calls = 0;
        let policy = Failover::new();
        let ended = run(Some(&policy), &targets, |_| {
            calls += 1;
            async { Err::<(), _>(err(ServiceErrorKind::Validation)) }
        })
        .await;
        assert_eq!(calls, 1);
        assert!(ended.result.is_err());
        let mut calls = 0;
        let _ = run(None, &targets, |_| {
            calls += 1;
            async { Err::<(), _>(err(ServiceErrorKind::Throttling)) }
        })
        .await;
        assert_eq!(calls, 1);
    }
}
