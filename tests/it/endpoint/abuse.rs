//! Regression tests for issue 12's endpoint findings, against the
//! standalone binary: its peak RSS (`VmHWM`) stays bounded, and a valid
//! Converse is answered correctly after each abuse.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::support::{LocalProcess, NOVA, assert_converse_ok};

const MB: usize = 1024 * 1024;

/// Sends `len` bytes of body after `head` in 1 MiB writes, ignoring write
/// errors (the endpoint may answer and close early), then reads the status.
async fn send_big(addr: std::net::SocketAddr, path: String, len: usize) -> Option<u16> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    let head =
        format!("POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.ok()?;
    // A valid JSON document of `len` bytes: {"messages":[...,"text":"xxxx"}]}]}
    let prefix = br#"{"messages":[{"role":"user","content":[{"text":""#;
    let suffix = br#""}]}]}"#;
    let chunk = vec![b'x'; MB];
    let mut sent = 0;
    let _ = tcp.write_all(prefix).await;
    sent += prefix.len();
    while sent + suffix.len() < len {
        let n = (len - suffix.len() - sent).min(MB);
        if tcp.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        sent += n;
    }
    let _ = tcp.write_all(suffix).await;
    let mut buf = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(20), tcp.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&buf[..n]).split(' ').nth(1)?.parse().ok()
}

/// `8 * batches` 24 MB bodies, eight at a time.
async fn big_bodies(addr: std::net::SocketAddr, path: &str, batches: usize) -> Vec<Option<u16>> {
    let mut statuses = Vec::new();
    for _ in 0..batches {
        let batch: Vec<_> = (0..8)
            .map(|_| tokio::spawn(send_big(addr, path.to_owned(), 24 * 1000 * 1000)))
            .collect();
        for task in batch {
            statuses.push(task.await.expect("task"));
        }
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_24_mb_bodies_to_an_unknown_path_are_not_kept() {
    let p = LocalProcess::start(&["--no-delay"]);
    let statuses = big_bodies(p.addr, "/nothing/here", 5).await;
    assert!(statuses.iter().all(|s| matches!(s, None | Some(404))), "{statuses:?}");
    assert_converse_ok(p.addr).await;
    let rss = p.peak_rss_kib();
    eprintln!(
        "peak RSS after forty 24 MB bodies to an unknown path: {} MiB",
        rss / 1024
    );
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    let records = p
        .request("GET", "/_bedrock_latency/requests?limit=1000", &[], b"")
        .await
        .json();
    let records = records["requests"].as_array().expect("list");
    let unknown: Vec<_> = records.iter().filter(|r| r["path"] == "/nothing/here").collect();
    assert_eq!(unknown.len(), 40);
    assert!(
        unknown
            .iter()
            .all(|r| r["body"].is_null() && r["bodyLen"] == 24_000_000)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_24_mb_bodies_to_converse_stay_within_the_budgets() {
    let p = LocalProcess::start(&["--no-delay", "--read-timeout", "60000"]);
    let path = format!("/model/{NOVA}/converse");
    let statuses = big_bodies(p.addr, &path, 2).await;
    // Served (200), or refused while the body budget is in use (503; the
    // client may then see the connection closed mid-upload: None).
    assert!(
        statuses.iter().all(|s| matches!(s, None | Some(200 | 503))),
        "{statuses:?}"
    );
    assert!(statuses.contains(&Some(200)));
    assert_converse_ok(p.addr).await;
    let rss = p.peak_rss_kib();
    eprintln!("peak RSS after sixteen 24 MB bodies to Converse: {} MiB", rss / 1024);
    assert!(rss < 300 * 1024, "peak RSS {rss} KiB");
    let state = p.request("GET", "/_bedrock_latency/state", &[], b"").await.json();
    assert!(state["recordBytes"].as_u64() < Some(64 * MB as u64));
}

#[tokio::test]
async fn a_trickling_body_times_out() {
    let p = LocalProcess::start(&["--no-delay", "--read-timeout", "1000"]);
    let mut tcp = TcpStream::connect(p.addr).await.expect("connect");
    let head = format!("POST /model/{NOVA}/converse HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.expect("head");
    let start = Instant::now();
    let trickle = async {
        for _ in 0..100 {
            if tcp.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), trickle).await;
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(2), tcp.read(&mut buf))
        .await
        .expect("answer")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(start.elapsed() < Duration::from_secs(4));
    assert_converse_ok(p.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_held_connections_do_not_lock_out_valid_calls() {
    let p = LocalProcess::start(&[
        "--no-delay",
        "--max-connections",
        "32",
        "--idle-timeout",
        "1000",
        "--read-timeout",
        "1000",
    ]);
    let mut held = Vec::new();
    // 150 silent connections, 30 with half a request head, 20 with 10 MB of
    // a 24 MB body: more than the connection limit.
    for i in 0..200 {
        let mut tcp = TcpStream::connect(p.addr).await.expect("connect");
        if i % 10 == 1 {
            let _ = tcp.write_all(b"POST /model/x/converse HTTP/1.1\r\nhost: x\r\n").await;
        }
        held.push(tcp);
    }
    let heavy: Vec<_> = (0..20)
        .map(|_| {
            let addr = p.addr;
            tokio::spawn(async move {
                let mut tcp = TcpStream::connect(addr).await.ok()?;
                let head =
                    format!("POST /model/{NOVA}/converse HTTP/1.1\r\nhost: x\r\ncontent-length: 24000000\r\n\r\n");
                tcp.write_all(head.as_bytes()).await.ok()?;
                let chunk = vec![b'x'; MB];
                for _ in 0..10 {
                    tcp.write_all(&chunk).await.ok()?;
                }
                Some(tcp)
            })
        })
        .collect();
    let start = Instant::now();
    assert_converse_ok(p.addr).await;
    let waited = start.elapsed();
    let rss = p.peak_rss_kib();
    eprintln!(
        "peak RSS with 220 held connections: {} MiB; valid Converse answered after {waited:?}",
        rss / 1024
    );
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
    for task in heavy {
        drop(task.await);
    }
    drop(held);
}
