//! The standalone binary as a child process, and raw requests to it.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::{Buf as _, Bytes};
use serde_json::Value;

use crate::sdk_clients::{RawResponse, raw_request_at};

/// The Nova Pro inference profile, optimized in us-east-1 (catalog).
pub(crate) const NOVA: &str = "us.amazon.nova-pro-v1%3A0";

/// A `bedrock-latency-local` process, killed on drop.
#[derive(Debug)]
pub(crate) struct LocalProcess {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl LocalProcess {
    /// Starts the binary with `args` and waits (10 s at most) for its URL.
    pub(crate) fn start(args: &[&str]) -> LocalProcess {
        Self::try_start(args).unwrap_or_else(|e| panic!("bedrock-latency-local {args:?}: {e}"))
    }

    /// Starts the binary; `Err` with its stderr if it printed no URL.
    pub(crate) fn try_start(args: &[&str]) -> Result<LocalProcess, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-latency-local"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        let url = line.trim().to_owned();
        let Some(addr) = url.strip_prefix("http://").and_then(|a| a.parse().ok()) else {
            let _ = child.kill();
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            return Err(format!(
                "exit {:?}, stderr {:?}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        };
        Ok(LocalProcess { child, addr })
    }

    /// Peak resident set size of the process (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// Raw request to the process.
    pub(crate) async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
        raw_request_at(self.addr, method, path, headers, body).await
    }
}

impl Drop for LocalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Converse body; `latency` sets `performanceConfig.latency`.
pub(crate) fn converse_body(prompt: &str, latency: Option<&str>) -> Vec<u8> {
    let mut body = serde_json::json!({
        "messages": [ { "role": "user", "content": [ { "text": prompt } ] } ],
    });
    if let Some(l) = latency {
        body["performanceConfig"] = serde_json::json!({ "latency": l });
    }
    body.to_string().into_bytes()
}

/// Sends an unsigned Converse (region: the endpoint's default) for Nova Pro.
pub(crate) async fn converse(addr: SocketAddr, prompt: &str, latency: Option<&str>) -> RawResponse {
    let path = format!("/model/{NOVA}/converse");
    raw_request_at(
        addr,
        "POST",
        &path,
        &[("content-type", "application/json")],
        &converse_body(prompt, latency),
    )
    .await
}

/// Asserts that the endpoint answers a valid optimized Converse correctly.
pub(crate) async fn assert_converse_ok(addr: SocketAddr) {
    let r = converse(addr, "What is the capital of France?", Some("optimized")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    let text = body["output"]["message"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.starts_with("Local answer to \"What is the capital of France?\":"),
        "{text}"
    );
    assert_eq!(body["performanceConfig"]["latency"], "optimized");
}

/// A file `name` holding `contents`, in a scratch directory of its own
/// (`tag` and the process id name it); removed on drop.
pub(crate) struct ScratchFile {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl ScratchFile {
    pub(crate) fn new(tag: &str, name: &str, contents: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("bl-local-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("write");
        ScratchFile { dir, path }
    }

    /// The path, as a command-line argument.
    pub(crate) fn arg(&self) -> &str {
        self.path.to_str().expect("utf-8")
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One event-stream frame: its string headers and JSON payload.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) payload: Value,
}

impl Event {
    pub(crate) fn kind(&self) -> &str {
        self.headers
            .get(":event-type")
            .or_else(|| self.headers.get(":exception-type"))
            .map_or("", String::as_str)
    }
}

pub(crate) fn events(mut bytes: Bytes) -> Vec<Event> {
    let mut out = Vec::new();
    while bytes.has_remaining() {
        let m = aws_smithy_eventstream::frame::read_message_from(&mut bytes).expect("valid frame");
        let headers = m
            .headers()
            .iter()
            .filter_map(|h| {
                Some((
                    h.name().as_str().to_owned(),
                    h.value().as_string().ok()?.as_str().to_owned(),
                ))
            })
            .collect();
        let payload = serde_json::from_slice(m.payload()).expect("JSON payload");
        out.push(Event { headers, payload });
    }
    out
}
