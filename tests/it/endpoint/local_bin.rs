//! Every flag of `bedrock-latency-local` changes the behaviour it names (one
//! case each), against the binary itself.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::support::{LocalProcess, NOVA, ScratchFile, converse, converse_body};

fn text_of(body: &serde_json::Value) -> String {
    body["output"]["message"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn latency_ms(body: &serde_json::Value) -> u64 {
    body["metrics"]["latencyMs"].as_u64().expect("latencyMs")
}

async fn control(p: &LocalProcess, path: &str) -> serde_json::Value {
    p.request("GET", path, &[], b"").await.json()
}

#[test]
fn help_documents_every_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-latency-local"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--port",
        "--region",
        "--default-region",
        "--catalog",
        "--seed",
        "--answer-tokens",
        "--standard-ttft",
        "--standard-per-token",
        "--optimized-ttft",
        "--optimized-per-token",
        "--no-delay",
        "--quota",
        "--token-cap",
        "--fault",
        "--record-limit",
        "--record-budget",
        "--max-body",
        "--read-timeout",
        "--idle-timeout",
        "--max-connections",
        "--ttft",
        "--throttle",
        "--outage",
        "--connect-delay",
        "/_bedrock_latency/",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let bad = LocalProcess::try_start(&["--fault", "nope"]).expect_err("bad fault");
    assert!(bad.contains("exit Some(2)") && bad.contains("invalid fault"), "{bad}");
}

#[tokio::test]
async fn default_timing_makes_optimized_measurably_faster() {
    let p = LocalProcess::start(&[]);
    let t = Instant::now();
    let std_body = converse(p.addr, "timing", None).await.json();
    let standard_wall = t.elapsed();
    let t = Instant::now();
    let opt_body = converse(p.addr, "timing", Some("optimized")).await.json();
    let optimized_wall = t.elapsed();
    // 16 tokens: 250 + 15 * 12 = 430 ms against 100 + 15 * 5 = 175 ms.
    assert_eq!((latency_ms(&std_body), latency_ms(&opt_body)), (430, 175));
    assert!(
        optimized_wall + Duration::from_millis(150) < standard_wall,
        "{optimized_wall:?} vs {standard_wall:?}"
    );
}

#[tokio::test]
async fn timing_flags_set_each_tier_value() {
    let p = LocalProcess::start(&[
        "--standard-ttft",
        "40",
        "--standard-per-token",
        "2",
        "--answer-tokens",
        "4",
    ]);
    assert_eq!(latency_ms(&converse(p.addr, "t", None).await.json()), 40 + 3 * 2);
    let p = LocalProcess::start(&[
        "--optimized-ttft",
        "30",
        "--optimized-per-token",
        "1",
        "--answer-tokens",
        "4",
    ]);
    assert_eq!(
        latency_ms(&converse(p.addr, "t", Some("optimized")).await.json()),
        30 + 3
    );
    let p = LocalProcess::start(&["--no-delay"]);
    assert_eq!(latency_ms(&converse(p.addr, "t", None).await.json()), 0);
}

#[tokio::test]
async fn answer_tokens_sets_the_answer_length() {
    let p = LocalProcess::start(&["--no-delay", "--answer-tokens", "5"]);
    let body = converse(p.addr, "count", None).await.json();
    assert_eq!(body["usage"]["outputTokens"], 5);
}

#[tokio::test]
async fn port_binds_the_given_port() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let p = LocalProcess::start(&["--port", &free.to_string(), "--no-delay"]);
    assert_eq!(p.addr.port(), free);
}

#[tokio::test]
async fn region_and_default_region_decide_where_optimized_is_served() {
    let p = LocalProcess::start(&["--no-delay"]);
    assert_eq!(converse(p.addr, "r", Some("optimized")).await.status, 200);
    // Nova Pro is not latency-optimized from eu-west-1.
    let p = LocalProcess::start(&["--no-delay", "--default-region", "eu-west-1"]);
    assert_eq!(converse(p.addr, "r", Some("optimized")).await.status, 400);
    // --region wins over the request's SigV4 scope.
    let p = LocalProcess::start(&["--no-delay", "--region", "eu-west-1"]);
    let auth = [(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request",
    )];
    let r = p
        .request(
            "POST",
            &format!("/model/{NOVA}/converse"),
            &auth,
            &converse_body("r", Some("optimized")),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("in eu-west-1"));
}

#[tokio::test]
async fn catalog_file_decides_which_model_serves_optimized() {
    let file = ScratchFile::new(
        "catalog",
        "models.json",
        r#"{"as_of": "2026-12-01", "models": [{"id": "amazon.nova-premier-v1:0", "name": "Amazon Nova Premier",
            "inference_profiles": ["us.amazon.nova-premier-v1:0"], "optimized": {"regions": ["us-east-1"]},
            "source": {"url": "https://example.com/test", "as_of": "2026-12-01"}}]}"#,
    );
    let path = "/model/us.amazon.nova-premier-v1%3A0/converse";
    let body = converse_body("premier", Some("optimized"));
    let without = LocalProcess::start(&["--no-delay"]);
    assert_eq!(without.request("POST", path, &[], &body).await.status, 400);
    let with = LocalProcess::start(&["--no-delay", "--catalog", file.arg()]);
    let r = with.request("POST", path, &[], &body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["performanceConfig"]["latency"], "optimized");
}

#[tokio::test]
async fn seed_makes_request_ids_deterministic() {
    let a = LocalProcess::start(&["--no-delay", "--seed", "42"]);
    let b = LocalProcess::start(&["--no-delay", "--seed", "42"]);
    let c = LocalProcess::start(&["--no-delay", "--seed", "43"]);
    let id = |r: crate::sdk_clients::RawResponse| r.header("x-amzn-requestid").expect("id").to_owned();
    let (ia, ib, ic) = (
        id(converse(a.addr, "s", None).await),
        id(converse(b.addr, "s", None).await),
        id(converse(c.addr, "s", None).await),
    );
    assert_eq!(ia, ib);
    assert_ne!(ia, ic);
}

#[tokio::test]
async fn quota_serves_standard_once_used_up() {
    let p = LocalProcess::start(&["--no-delay", "--quota", "us.amazon.nova-pro-v1:0=1"]);
    let first = converse(p.addr, "q", Some("optimized")).await.json();
    let second = converse(p.addr, "q", Some("optimized")).await.json();
    assert_eq!(first["performanceConfig"]["latency"], "optimized");
    assert_eq!(second["performanceConfig"]["latency"], "standard");
}

#[tokio::test]
async fn token_cap_serves_standard_past_the_cap() {
    let p = LocalProcess::start(&["--no-delay", "--token-cap", "amazon.nova-pro-v1:0=10"]);
    let body = converse(
        p.addr,
        "a prompt that is long enough to pass ten tokens with the answer",
        Some("optimized"),
    )
    .await;
    assert_eq!(body.json()["performanceConfig"]["latency"], "standard");
    let records = control(&p, "/_bedrock_latency/requests").await;
    assert_eq!(records["requests"][0]["fallback"], "TokenCap");
}

#[tokio::test]
async fn fault_flags_inject_each_fault() {
    let p = LocalProcess::start(&["--no-delay", "--fault", "throttling", "--fault", "unavailable@converse"]);
    assert_eq!(converse(p.addr, "f", None).await.status, 429);
    assert_eq!(converse(p.addr, "f", None).await.status, 503);
    assert_eq!(converse(p.addr, "f", None).await.status, 200);

    let p = LocalProcess::start(&["--no-delay", "--fault", "reset"]);
    let mut tcp = tokio::net::TcpStream::connect(p.addr).await.expect("connect");
    let body = converse_body("f", None);
    let head = format!(
        "POST /model/{NOVA}/converse HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.expect("write");
    tcp.write_all(&body).await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), tcp.read_to_end(&mut buf))
        .await
        .expect("closed");
    assert!(buf.is_empty(), "a reset answers nothing");

    let p = LocalProcess::start(&["--no-delay", "--fault", "stall:600"]);
    let t = Instant::now();
    assert_eq!(converse(p.addr, "f", None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(600));

    // Stream faults: the first ConverseStream is cut; records say so.
    let p = LocalProcess::start(&[
        "--no-delay",
        "--fault",
        "cut-stream:1",
        "--fault",
        "stream-error:1",
        "--fault",
        "malformed-frame:1",
    ]);
    let state = control(&p, "/_bedrock_latency/state").await;
    assert_eq!(state["pendingFaults"], 3);
}

#[tokio::test]
async fn record_limit_and_budget_bound_the_records() {
    let p = LocalProcess::start(&["--no-delay", "--record-limit", "2"]);
    for _ in 0..4 {
        converse(p.addr, "r", None).await;
    }
    assert_eq!(control(&p, "/_bedrock_latency/requests").await["kept"], 2);
    let p = LocalProcess::start(&["--no-delay", "--record-budget", "20000"]);
    for _ in 0..10 {
        converse(p.addr, &"y".repeat(3_000), None).await;
    }
    let kept = control(&p, "/_bedrock_latency/requests").await["kept"]
        .as_u64()
        .expect("kept");
    assert!((1..10).contains(&kept), "{kept}");
}

#[tokio::test]
async fn max_body_rejects_longer_bodies() {
    let p = LocalProcess::start(&["--no-delay", "--max-body", "1000"]);
    assert_eq!(converse(p.addr, &"z".repeat(2_000), None).await.status, 413);
    assert_eq!(converse(p.addr, "short", None).await.status, 200);
}

#[tokio::test]
async fn read_timeout_ends_a_trickling_body() {
    let p = LocalProcess::start(&["--no-delay", "--read-timeout", "300"]);
    let mut tcp = tokio::net::TcpStream::connect(p.addr).await.expect("connect");
    let head = format!("POST /model/{NOVA}/converse HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{{");
    tcp.write_all(head.as_bytes()).await.expect("write");
    let t = Instant::now();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut buf))
        .await
        .expect("answer")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn idle_timeout_closes_idle_connections() {
    let p = LocalProcess::start(&["--no-delay", "--idle-timeout", "300"]);
    let mut tcp = tokio::net::TcpStream::connect(p.addr).await.expect("connect");
    let t = Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut buf))
        .await
        .expect("closed")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(t.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn max_connections_makes_room_by_closing_the_idle_connection() {
    let p = LocalProcess::start(&["--no-delay", "--max-connections", "1", "--idle-timeout", "5000"]);
    let mut held = tokio::net::TcpStream::connect(p.addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The second connection is served once the held, silent one has been
    // idle past the grace period, long before the idle timeout; the held
    // one is closed to make room.
    let t = Instant::now();
    assert_eq!(converse(p.addr, "queued", None).await.status, 200);
    let waited = t.elapsed();
    assert!(waited < Duration::from_millis(2500), "{waited:?}");
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(2), held.read(&mut buf))
        .await
        .expect("the held connection is closed")
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
}

#[tokio::test]
async fn config_file_sets_behaviour_and_flags_override_it() {
    let file = ScratchFile::new(
        "config",
        "local.toml",
        "answer_tokens = 3\nfaults = [\"throttling\"]\n[timing.standard]\ntime_to_first_token_ms = 20\nper_token_ms = 1\n",
    );
    let p = LocalProcess::start(&["--config", file.arg()]);
    assert_eq!(converse(p.addr, "c", None).await.status, 429);
    let body = converse(p.addr, "c", None).await.json();
    assert_eq!(
        (latency_ms(&body), body["usage"]["outputTokens"].as_u64()),
        (22, Some(3))
    );
    let p = LocalProcess::start(&["--config", file.arg(), "--answer-tokens", "2"]);
    let _ = converse(p.addr, "c", None).await;
    assert!(text_of(&converse(p.addr, "c", None).await.json()).split(' ').count() == 2);
}

#[tokio::test]
async fn tail_flags_and_keys_throttle_take_out_sample_and_delay() {
    // Unsigned requests come from the default region, us-east-1.
    let p = LocalProcess::start(&[
        "--no-delay",
        "--throttle",
        "us-east-1,for=60000",
        "--throttle",
        "us-west-2",
    ]);
    assert_eq!(converse(p.addr, "t", None).await.status, 429);
    let p = LocalProcess::start(&["--no-delay", "--outage", "us-east-1,kind=unavailable"]);
    assert_eq!(converse(p.addr, "t", None).await.status, 503);
    let p = LocalProcess::start(&["--no-delay", "--outage", "us-west-2"]);
    assert_eq!(converse(p.addr, "t", None).await.status, 200, "another region's outage");
    let p = LocalProcess::start(&["--no-delay", "--ttft", "*/standard=fixed:150"]);
    assert_eq!(latency_ms(&converse(p.addr, "t", None).await.json()), 150);
    let p = LocalProcess::start(&["--no-delay", "--connect-delay", "300"]);
    let t = Instant::now();
    assert_eq!(converse(p.addr, "t", None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300), "a new connection waits");
    let bad = LocalProcess::try_start(&["--ttft", "*=lognormal:20"]).expect_err("bad distribution");
    assert!(bad.contains("exit Some(2)"), "{bad}");

    let file = ScratchFile::new(
        "tails",
        "tails.toml",
        "latency = [\"us-east-1=fixed:40\"]\nthrottle = [\"us-east-1,from=0,for=60000,fraction=1\"]\n\
         [connect_delay_ms]\n\"*\" = 0\n",
    );
    let p = LocalProcess::start(&["--no-delay", "--config", file.arg()]);
    assert_eq!(converse(p.addr, "t", None).await.status, 429);
}
