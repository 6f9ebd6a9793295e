//! Requests in flight on one connection, what the accept loop reads to pick
//! a connection to close at the limit, and the shutdown signal.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::counters::{Counters, Event};

/// Resolves once shutdown is asked for (or the server handle is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Requests in flight on one connection and when it was last busy.
#[derive(Debug)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    /// Requests begun on this connection so far.
    requests: AtomicUsize,
    counters: Arc<Counters>,
    last: Mutex<Instant>,
    /// Set once the accept loop asked this connection to make room.
    pub(crate) evicted: AtomicBool,
    /// Wakes the connection's task to close it.
    pub(crate) evict: Notify,
}

impl Activity {
    pub(crate) fn new(counters: Arc<Counters>) -> Arc<Activity> {
        Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            counters,
            last: Mutex::new(Instant::now()),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        })
    }

    fn touch(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// How long the connection has been without a request in flight.
    pub(crate) fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.last.lock().unwrap_or_else(PoisonError::into_inner).elapsed())
    }

    /// Counts a request in flight until the guard is dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> ActiveGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let first = self.requests.fetch_add(1, Ordering::AcqRel) == 0;
        self.touch();
        self.counters.note(Event::RequestStarted);
        ActiveGuard {
            activity: Arc::clone(self),
            first,
            completed: false,
        }
    }
}

/// Counts a request as in flight until its response body is done; dropped
/// before [`complete`](Self::complete), it counts the request as abandoned.
#[derive(Debug)]
pub(crate) struct ActiveGuard {
    activity: Arc<Activity>,
    first: bool,
    completed: bool,
}

impl ActiveGuard {
    /// Whether this is the first request of its connection (the one that
    /// pays the simulated connect delay).
    pub(crate) fn first_on_connection(&self) -> bool {
        self.first
    }

    /// The response went out whole (or was cut on purpose).
    pub(crate) fn complete(&mut self) {
        self.completed = true;
    }

    /// The endpoint's connection and request counters.
    pub(crate) fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.activity.counters)
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.activity.touch();
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.activity.counters.note(Event::RequestEnded {
            completed: self.completed,
        });
    }
}
