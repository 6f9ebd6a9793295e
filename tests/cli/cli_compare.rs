//! `bedrock-latency compare --local`: against the embedded endpoint told to
//! serve optimized 2x faster, the reported speed-up lands near 2; with a
//! small quota, downgrades are counted; the chart is a valid SVG.

use std::process::Command;

fn compare(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args(["compare", "--model", "us.amazon.nova-pro-v1:0", "--local", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn two_x_local_endpoint_reports_about_two() {
    let chart = std::env::temp_dir().join(format!("bedrock-latency-compare-{}.svg", std::process::id()));
    let v = compare(&["--requests", "8", "--warmup", "1", "--chart", chart.to_str().unwrap()]);
    let s = &v["speedups"][0];
    assert_eq!(s["arm"], "optimized");
    let speedup = s["total_p50"].as_f64().unwrap();
    assert!((1.8..=2.2).contains(&speedup), "{v:#}");
    for arm in v["arms"].as_array().unwrap() {
        assert_eq!(arm["requests"], 8);
        assert_eq!(arm["errors"], 0);
        assert_eq!(arm["downgraded"], 0);
        assert!(
            arm["total"]["p99"].is_object() || arm["total"]["p99"].is_number(),
            "{arm}"
        );
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    // Each sample twice: time to first token and total time.
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("circle")).count(), 32);
    std::fs::remove_file(chart).ok();
}

#[test]
fn downgrades_when_the_quota_runs_out() {
    // One warm-up and two measured optimized requests fit in the quota.
    let v = compare(&["--requests", "5", "--warmup", "1", "--local-quota", "3"]);
    let optimized = arm(&v, "optimized");
    assert_eq!(optimized["downgraded"], 3, "{v:#}");
}

#[test]
fn refuses_a_model_that_cannot_be_served_optimized() {
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args([
            "compare",
            "--model",
            "amazon.nova-lite-v1:0",
            "--local",
            "--requests",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no latency-optimized inference"));
}

// ---- Hardening (issue 12): arguments checked before the first request.

fn compare_raw(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args(["compare", "--model", "us.amazon.nova-pro-v1:0"])
        .args(args)
        .output()
        .unwrap()
}

use crate::support::{assert_quick, outcome_of, text_of as text};

/// The arm named `name` of `compare --json` output.
fn arm<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["arms"].as_array().unwrap().iter().find(|a| a["arm"] == name).unwrap()
}

#[test]
fn bad_arguments_exit_2_before_any_request() {
    for args in [
        &["--local", "--warmup", "18446744073709551615"][..],
        &["--local", "--warmup", "1001"],
        &["--local", "--requests", "0"],
        &["--local", "--max-tokens", "0"],
        &["--local", "--max-tokens", "4294967296"],
        &["--local", "--local-speedup", "inf"],
        &["--local", "--local-speedup", "NaN"],
        &["--local", "--local-speedup", "0"],
        &["--local", "--local-quota", "-1"],
        &["--local", "--prompt", " "],
        &["--local", "--region", "nowhere"],
        &["--local", "--region", "us-east-1\u{1b}[2J"],
    ] {
        let start = std::time::Instant::now();
        let out = compare_raw(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains('\u{1b}'), "{args:?}: {}", text(&out));
        // Refused up front: 10,000 local requests would take minutes.
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "{args:?}");
    }
}

#[test]
fn an_unwritable_chart_path_fails_before_the_first_request() {
    let dir = std::env::temp_dir().join(format!("bedrock-latency-no-such-dir-{}", std::process::id()));
    let chart = dir.join("chart.svg");
    let start = std::time::Instant::now();
    let out = compare_raw(&["--local", "--requests", "10000", "--chart", chart.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("chart.svg"), "{}", text(&out));
    assert_quick(start);

    // A refused comparison does not leave an empty chart behind.
    let chart = std::env::temp_dir().join(format!("bedrock-latency-refused-{}.svg", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args(["compare", "--model", "amazon.nova-lite-v1:0", "--local", "--chart"])
        .arg(&chart)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!chart.exists());
}

#[test]
fn an_arm_whose_every_request_failed_exits_1_without_a_negative_cost() {
    // An endpoint nobody listens on: every request fails to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, text) = outcome_of(
        Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
            .args([
                "compare",
                "--model",
                "us.amazon.nova-pro-v1:0",
                "--requests",
                "2",
                "--warmup",
                "0",
            ])
            .env_clear()
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-2")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("every request of the standard and optimized arms failed"),
        "{text}"
    );
    assert!(!text.contains("$-"), "{text}");
    assert!(text.contains("standard       0      2"), "{text}");
}

#[test]
fn a_hedged_arm_against_a_heavy_tail_sends_backups_and_is_charted() {
    let chart = std::env::temp_dir().join(format!("bedrock-latency-compare-hedged-{}.svg", std::process::id()));
    let v = compare(&[
        "--requests",
        "12",
        "--warmup",
        "0",
        "--hedged",
        "--hedge-after",
        "30",
        "--hedge-max-extra",
        "100",
        "--local-ttft",
        "50*fixed:5+50*fixed:300",
        "--max-tokens",
        "4",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    let hedged = arm(&v, "hedged");
    assert_eq!(hedged["errors"], 0, "{v:#}");
    assert!(hedged["backups"].as_u64().unwrap() >= 1, "{v:#}");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(
        svg.contains("#8172B3") && svg.contains("time to first token"),
        "the hedged arm is drawn"
    );
    std::fs::remove_file(chart).ok();
    // Bad hedge settings are refused before any request.
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args([
            "compare",
            "--model",
            "us.amazon.nova-pro-v1:0",
            "--local",
            "--hedged",
            "--hedge-at",
            "20",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
