//! Hedged requests, SDK-free: the race of a first request and its backup,
//! the times observed per model, region, latency and tier (bounded), and
//! the budget that caps backups over a sliding window.
//!
//! The race runs both requests inside the caller's task (no task is
//! spawned): when it returns, the loser's future is dropped, and with it
//! its HTTP exchange, which closes its connection.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::{Either, select};
use tokio::time::Instant;

use crate::Result;
use crate::tail::{HedgeSkipped, HedgeWinner};
use crate::vocab::{Latency, ServiceTier};

/// Most keys (model x region x latency x tier x kind) whose times are kept.
const MAX_KEYS: usize = 64;
/// Times kept per key (the most recent).
const PER_KEY: usize = 512;

/// What observed times are kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeKey {
    pub(crate) model: String,
    pub(crate) region: String,
    pub(crate) latency: Latency,
    pub(crate) tier: Option<ServiceTier>,
    /// Time to first token of a stream, or total time of a unary call.
    pub(crate) stream: bool,
}

/// Recently observed times, bounded: at most [`MAX_KEYS`] keys (the least
/// recently used dropped) of at most [`PER_KEY`] times each.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    keys: Mutex<Vec<(TimeKey, VecDeque<Duration>)>>,
}

impl Observed {
    /// Records one time under `key`.
    pub(crate) fn record(&self, key: &TimeKey, time: Duration) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let i = match keys.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                if keys.len() >= MAX_KEYS {
                    keys.remove(0);
                }
                keys.push((key.clone(), VecDeque::with_capacity(32)));
                keys.len() - 1
            }
        };
        // Most recently used last.
        let mut entry = keys.remove(i);
        if entry.1.len() >= PER_KEY {
            entry.1.pop_front();
        }
        entry.1.push_back(time);
        keys.push(entry);
    }

    /// The nearest-rank `percentile` of the times kept under `key`, once at
    /// least `min` were seen.
    pub(crate) fn percentile(&self, key: &TimeKey, percentile: f64, min: usize) -> Option<Duration> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, times) = keys.iter().find(|(k, _)| k == key)?;
        if times.len() < min.max(1) {
            return None;
        }
        let mut v: Vec<Duration> = times.iter().copied().collect();
        drop(keys);
        let rank = ((percentile / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len());
        let (_, nth, _) = v.select_nth_unstable(rank - 1);
        Some(*nth)
    }
}

/// Width of one bucket of the budget's sliding window.
const BUCKET: Duration = Duration::from_millis(100);
/// Buckets kept: the longest window is 60 s.
const BUCKETS: usize = 600;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    epoch: u64,
    requests: u32,
    backups: u32,
}

/// Requests and backups over a sliding window, in 100 ms buckets.
#[derive(Debug)]
pub(crate) struct Budget {
    start: Instant,
    buckets: Mutex<Vec<Bucket>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            start: Instant::now(),
            buckets: Mutex::new(vec![Bucket::default(); BUCKETS]),
        }
    }
}

impl Budget {
    fn epoch(&self) -> u64 {
        (self.start.elapsed().as_nanos() / BUCKET.as_nanos()) as u64
    }

    /// The current bucket, emptied if it last held another epoch.
    fn current(buckets: &mut [Bucket], epoch: u64) -> &mut Bucket {
        let b = &mut buckets[(epoch % BUCKETS as u64) as usize];
        if b.epoch != epoch {
            *b = Bucket {
                epoch,
                ..Bucket::default()
            };
        }
        b
    }

    /// Counts one request (a first request, not a backup).
    pub(crate) fn request(&self) {
        let epoch = self.epoch();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let b = Self::current(&mut buckets, epoch);
        b.requests = b.requests.saturating_add(1);
    }

    /// Takes a backup if, with it, backups stay within `max_fraction` of
    /// the requests over the last `window`.
    pub(crate) fn try_backup(&self, window: Duration, max_fraction: f64) -> bool {
        let epoch = self.epoch();
        let span = (window.as_nanos() / BUCKET.as_nanos()).clamp(1, BUCKETS as u128) as u64;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut requests, mut backups) = (0u64, 0u64);
        for b in buckets.iter().filter(|b| b.epoch + span > epoch && b.epoch <= epoch) {
            requests += u64::from(b.requests);
            backups += u64::from(b.backups);
        }
        if (backups + 1) as f64 > max_fraction * requests as f64 {
            return false;
        }
        let b = Self::current(&mut buckets, epoch);
        b.backups = b.backups.saturating_add(1);
        true
    }
}

/// How a race ended.
#[derive(Debug)]
pub(crate) struct Raced<T> {
    pub(crate) result: Result<T>,
    pub(crate) winner: HedgeWinner,
    pub(crate) backup_sent: bool,
    pub(crate) skipped: Option<HedgeSkipped>,
    /// The first request's time when it finished, or the time at which it
    /// was dropped (a lower bound, above the delay); `None` when it failed.
    pub(crate) primary_time: Option<Duration>,
}

/// What a race may do once the delay has passed: send the backup, if the
/// budget admits it.
pub(crate) struct Backup<F, A> {
    pub(crate) delay: Duration,
    pub(crate) send: F,
    pub(crate) admit: A,
}

/// Runs `primary`; if it has not answered after the backup's delay (and
/// the budget admits one), sends the backup and takes whichever answers
/// first. An error is not an answer: if one fails, the other is awaited.
pub(crate) async fn race<T, P, B, F, A>(primary: P, backup: Option<Backup<F, A>>) -> Raced<T>
where
    P: Future<Output = Result<T>>,
    F: FnOnce() -> B,
    B: Future<Output = Result<T>>,
    A: FnOnce() -> bool,
{
    let start = Instant::now();
    let mut primary = pin!(primary);
    let done = |result: Result<T>, skipped, start: Instant| Raced {
        primary_time: result.is_ok().then(|| start.elapsed()),
        result,
        winner: HedgeWinner::Primary,
        backup_sent: false,
        skipped,
    };
    let Some(backup) = backup else {
        let r = primary.await;
        return done(r, None, start);
    };
    let timer = pin!(tokio::time::sleep(backup.delay));
    if let Either::Left((r, _)) = select(primary.as_mut(), timer).await {
        return done(r, Some(HedgeSkipped::AnsweredInTime), start);
    }
    if !(backup.admit)() {
        let r = primary.await;
        return done(r, Some(HedgeSkipped::Capped), start);
    }
    let mut second = pin!((backup.send)());
    let raced = |result, winner, primary_time| Raced {
        result,
        winner,
        backup_sent: true,
        skipped: None,
        primary_time,
    };
    match select(primary.as_mut(), second.as_mut()).await {
        Either::Left((Ok(v), _)) => raced(Ok(v), HedgeWinner::Primary, Some(start.elapsed())),
        Either::Right((Ok(v), _)) => raced(Ok(v), HedgeWinner::Backup, Some(start.elapsed())),
        Either::Left((Err(first), _)) => match second.await {
            Ok(v) => raced(Ok(v), HedgeWinner::Backup, None),
            Err(_) => raced(Err(first), HedgeWinner::Primary, None),
        },
        Either::Right((Err(e), _)) => {
            let r = primary.await;
            let time = r.is_ok().then(|| start.elapsed());
            raced(r.or(Err(e)), HedgeWinner::Primary, time)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Operation, ServiceError, ServiceErrorKind};

    fn key() -> TimeKey {
        TimeKey {
            model: "m".into(),
            region: "us-east-1".into(),
            latency: Latency::Standard,
            tier: None,
            stream: true,
        }
    }

    #[test]
    fn observed_times_are_bounded_and_ranked() {
        let o = Observed::default();
        for ms in 1..=100 {
            o.record(&key(), Duration::from_millis(ms));
        }
        assert_eq!(o.percentile(&key(), 95.0, 20), Some(Duration::from_millis(95)));
        assert_eq!(o.percentile(&key(), 95.0, 200), None, "too few");
        for ms in 0..2000 {
            o.record(&key(), Duration::from_millis(1000 + ms % 7));
        }
        assert!(
            o.percentile(&key(), 50.0, 1).unwrap() >= Duration::from_millis(1000),
            "old times left"
        );
        for i in 0..(MAX_KEYS + 5) {
            let mut k = key();
            k.region = format!("r{i}");
            o.record(&k, Duration::from_millis(1));
        }
        assert_eq!(o.keys.lock().unwrap().len(), MAX_KEYS);
        assert_eq!(o.percentile(&key(), 50.0, 1), None, "least recently used dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_caps_backups_over_the_window() {
        let b = Budget::default();
        let w = Duration::from_secs(1);
        for _ in 0..9 {
            b.request();
        }
        assert!(!b.try_backup(w, 0.1), "one backup in nine requests is over 10 %");
        b.request();
        assert!(b.try_backup(w, 0.1));
        assert!(!b.try_backup(w, 0.1));
        tokio::time::advance(Duration::from_millis(1100)).await;
        for _ in 0..10 {
            b.request();
        }
        assert!(b.try_backup(w, 0.1), "the old backup left the window");
    }

    fn failed() -> Error {
        ServiceError::new(Operation::Converse, ServiceErrorKind::Throttling).into()
    }

    async fn after(ms: u64, r: Result<u32>) -> Result<u32> {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        r
    }

    type Boxed = std::pin::Pin<Box<dyn Future<Output = Result<u32>>>>;

    fn backup(ms: u64, r: Result<u32>, admit: bool) -> Option<Backup<impl FnOnce() -> Boxed, impl FnOnce() -> bool>> {
        Some(Backup {
            delay: Duration::from_millis(10),
            send: move || Box::pin(after(ms, r)) as Boxed,
            admit: move || admit,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn first_answer_wins_and_errors_are_not_answers() {
        let r = race(after(5, Ok(1)), backup(1, Ok(2), true)).await;
        assert_eq!(
            (r.result.unwrap(), r.backup_sent, r.skipped),
            (1, false, Some(HedgeSkipped::AnsweredInTime))
        );
        let r = race(after(100, Ok(1)), backup(5, Ok(2), true)).await;
        assert_eq!(
            (r.result.unwrap(), r.winner, r.backup_sent),
            (2, HedgeWinner::Backup, true)
        );
        assert_eq!(r.primary_time, Some(Duration::from_millis(15)), "censored when dropped");
        let r = race(after(100, Ok(1)), backup(5, Ok(2), false)).await;
        assert_eq!((r.result.unwrap(), r.skipped), (1, Some(HedgeSkipped::Capped)));
        let r = race(after(100, Ok(1)), backup(5, Err(failed()), true)).await;
        assert_eq!((r.result.unwrap(), r.winner), (1, HedgeWinner::Primary));
        let r = race(after(20, Err(failed())), backup(50, Ok(2), true)).await;
        assert_eq!((r.result.unwrap(), r.winner), (2, HedgeWinner::Backup));
        let r = race(after(20, Err(failed())), backup(50, Err(failed()), true)).await;
        assert!(r.result.unwrap_err().is_throttling());
    }
}
