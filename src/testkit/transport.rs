//! The transport: the accept loop (bounded number of connections; at the
//! limit the longest-idle one makes room), HTTP/1.1 and HTTP/2 (h2c with
//! prior knowledge) on the same port through hyper-util's auto connection
//! builder, and idle connections closed. Each request goes to the handler,
//! which sits below; response bodies are in `response`.
//!
//! HTTP/2 over cleartext is detected from the client's connection preface
//! (RFC 9113 section 3.3, "prior knowledge"), which is what HTTP/2 clients
//! do on an `http://` endpoint. The HTTP/1.1 `Upgrade: h2c` dance (removed
//! from RFC 9113) is not offered: such a request is answered over HTTP/1.1.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::activity::{Activity, stopped};
use super::counters::Event;
use super::handler;
use super::state::Shared;

/// How long `shutdown` waits for open connections before dropping them.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a connection is kept from eviction after it was last busy (or
/// accepted): a caller that has just connected, or whose request head is
/// still on its way to the parser, is not closed under it to make room for
/// another. Held connections become evictable once it has passed.
const EVICT_GRACE: Duration = Duration::from_millis(200);

/// Concurrent HTTP/2 streams per connection.
const MAX_H2_STREAMS: u32 = 64;

/// The live connections of the accept loop.
#[derive(Debug, Default)]
struct Live {
    next_id: u64,
    connections: HashMap<u64, Arc<Activity>>,
}

impl Live {
    /// At the limit, asks the connection idle the longest (no request in
    /// flight: silent, or sending a request head slowly) to close, so that a
    /// new caller is not locked out by held connections. `false` when none
    /// is idle.
    fn evict_idlest(&self) -> bool {
        let idlest = self
            .connections
            .values()
            .filter(|a| !a.evicted.load(Ordering::Acquire))
            .filter_map(|a| a.idle_for().map(|idle| (idle, a)))
            .filter(|(idle, _)| *idle >= EVICT_GRACE)
            .max_by_key(|(idle, _)| *idle);
        match idlest {
            Some((_, activity)) => {
                activity.evicted.store(true, Ordering::Release);
                activity.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let max = shared.limits.max_connections.max(1);
    let mut live = Live::default();
    let mut connections: JoinSet<u64> = JoinSet::new();
    loop {
        // At the limit, an idle connection makes room; when none is idle (or
        // evicted ones have not closed yet), new connections wait in the
        // listen backlog until a served one ends or one becomes evictable.
        let full = live.connections.len() >= max && (live.connections.len() >= 2 * max || !live.evict_idlest());
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept(), if !full => match accepted {
                Ok((stream, _)) => {
                    let id = live.next_id;
                    live.next_id += 1;
                    let activity = Activity::new(Arc::clone(&shared.counters));
                    live.connections.insert(id, Arc::clone(&activity));
                    let shared = Arc::clone(&shared);
                    let shutdown = shutdown.clone();
                    connections.spawn(async move {
                        serve_connection(stream, shared, shutdown, activity).await;
                        id
                    });
                }
                // e.g. too many open files: back off instead of spinning
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                if let Ok(id) = ended {
                    live.connections.remove(&id);
                }
            }
            // Full: look again once a held connection may have become evictable.
            () = tokio::time::sleep(EVICT_GRACE / 2), if full => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        connections.abort_all();
    }
}

fn connection_builder(shared: &Shared) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(shared.limits.read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_H2_STREAMS)
        .max_header_list_size(64 * 1024);
    builder
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    activity: Arc<Activity>,
) {
    let counters = Arc::clone(&shared.counters);
    counters.note(Event::Accepted);
    serve(stream, shared, shutdown, activity).await;
    counters.note(Event::Closed);
}

async fn serve(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>, activity: Arc<Activity>) {
    let _ = stream.set_nodelay(true);
    let idle_timeout = shared.limits.idle_timeout;
    let builder = connection_builder(&shared);
    let handler_shutdown = shutdown.clone();
    let service_activity = Arc::clone(&activity);
    let service = service_fn(move |request| {
        let guard = service_activity.begin();
        handler::handle(Arc::clone(&shared), handler_shutdown.clone(), request, guard)
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut ticker = tokio::time::interval((idle_timeout / 4).max(Duration::from_millis(10)));
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = stopped(&mut shutdown) => break,
            () = activity.evict.notified() => break,
            _ = ticker.tick() => {
                if activity.idle_for().is_some_and(|idle| idle >= idle_timeout) {
                    break;
                }
            }
        }
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(1), connection.as_mut()).await;
}
