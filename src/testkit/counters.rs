//! What the endpoint's connections and tasks are doing, counted as they
//! open and close: tests read it to show that cancelled requests (a hedge's
//! loser) close their connection and leave no task behind.

use std::sync::atomic::{AtomicU64, Ordering};

/// Connections, requests and tasks of a [`LocalBedrock`](super::LocalBedrock)
/// at one moment ([`LocalBedrock::connection_stats`](super::LocalBedrock::connection_stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectionStats {
    /// Connections accepted since the start.
    pub accepted: u64,
    /// Connections open now.
    pub open: u64,
    /// Requests being served now (from the request head to the end of the
    /// response body).
    pub requests_in_flight: u64,
    /// Requests whose client went away before the end of the response (the
    /// connection was closed, or the stream dropped, under them).
    pub abandoned: u64,
    /// Tasks feeding event streams now.
    pub stream_tasks: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    closed: AtomicU64,
    in_flight: AtomicU64,
    abandoned: AtomicU64,
    streams: AtomicU64,
}

/// Which counter an event moves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Accepted,
    Closed,
    RequestStarted,
    RequestEnded { completed: bool },
    StreamStarted,
    StreamEnded,
}

impl Counters {
    pub(crate) fn note(&self, e: Event) {
        let (counter, up) = match e {
            Event::Accepted => (&self.accepted, true),
            Event::Closed => (&self.closed, true),
            Event::RequestStarted => (&self.in_flight, true),
            Event::RequestEnded { completed } => {
                if !completed {
                    self.abandoned.fetch_add(1, Ordering::AcqRel);
                }
                (&self.in_flight, false)
            }
            Event::StreamStarted => (&self.streams, true),
            Event::StreamEnded => (&self.streams, false),
        };
        if up {
            counter.fetch_add(1, Ordering::AcqRel);
        } else {
            counter.fetch_sub(1, Ordering::AcqRel);
        }
    }

    pub(crate) fn snapshot(&self) -> ConnectionStats {
        let accepted = self.accepted.load(Ordering::Acquire);
        ConnectionStats {
            accepted,
            open: accepted.saturating_sub(self.closed.load(Ordering::Acquire)),
            requests_in_flight: self.in_flight.load(Ordering::Acquire),
            abandoned: self.abandoned.load(Ordering::Acquire),
            stream_tasks: self.streams.load(Ordering::Acquire),
        }
    }
}
