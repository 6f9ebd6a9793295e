//! `bedrock-latency logs` and `bedrock-latency price`, run as a user would.

use crate::shared_fixtures;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{assert_cost, assert_says, run};

fn path(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel).display().to_string()
}

fn fixture() -> String {
    shared_fixtures::shared_fixture("invocation-log-sample.json")
        .display()
        .to_string()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[test]
fn logs_json_on_the_real_record() {
    let v = json(&run(&["logs", &fixture(), "--json"]));
    assert_eq!(
        (&v["total"], &v["optimized"], &v["standard"], &v["unspecified"]),
        (&Value::from(1), &Value::from(1), &Value::from(0), &Value::from(0))
    );
    let r = &v["records"][0];
    assert_eq!(r["request_id"], "cf693734-8d8d-4791-a0d8-addaf5598397");
    assert_eq!(r["timestamp"], "2024-12-24T07:50:12Z");
    assert_eq!(r["operation"], "InvokeModel");
    assert_eq!(
        r["model_id"],
        "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
    );
    assert_eq!(r["base_model_id"], "anthropic.claude-3-5-haiku-20241022-v1:0");
    assert_eq!(r["model_name"], "Anthropic Claude 3.5 Haiku");
    assert_eq!(r["region"], "us-east-2");
    assert_eq!(r["inference_region"], "us-east-2");
    assert_eq!(r["latency"], "optimized");
    assert!(r.get("latency_ms").is_some_and(Value::is_null), "{r}");
    assert_eq!(r["input_tokens"], 235);
    assert_eq!(r["output_tokens"], 194);
    assert!((r["cost_usd"].as_f64().unwrap_or_default() - 0.001205).abs() < 1e-12);
    assert_eq!(v["bad_lines"], Value::Array(vec![]));
}

#[test]
fn logs_text_on_the_real_record() {
    let out = run(&["logs", &fixture()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("1 records in 1 files: 1 optimized, 0 standard, 0 unspecified; 0 bad lines"),
        "{text}"
    );
    assert!(text.contains("Anthropic Claude 3.5 Haiku"), "{text}");
    assert!(
        text.contains("cf693734-8d8d-4791-a0d8-addaf5598397   2024-12-24T07:50:12Z   InvokeModel     us-east-2    us-east-2    optimized"),
        "{text}"
    );
}

#[test]
fn logs_on_mixed_inputs_reports_bad_lines_and_exits_0() {
    let files = [
        path("tests/data/logs/mixed.jsonl"),
        path("tests/data/logs/s3-delivery-000"),
        path("tests/data/logs/cloudwatch-filter-log-events.json"),
        path("tests/data/logs/cloudwatch-s3-export-000000.gz"),
    ];
    let mut args = vec!["logs", "--json"];
    args.extend(files.iter().map(String::as_str));
    let v = json(&run(&args));
    assert_eq!(v["total"], 16);
    assert_eq!(
        (&v["optimized"], &v["standard"], &v["unspecified"]),
        (&8.into(), &4.into(), &4.into())
    );
    let bad: Vec<(String, u64)> = v["bad_lines"]
        .as_array()
        .expect("array")
        .iter()
        .map(|b| {
            (
                b["file"].as_str().unwrap_or("").to_owned(),
                b["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        bad,
        [
            (files[0].clone(), 2),
            (files[0].clone(), 5),
            (files[0].clone(), 7),
            (files[2].clone(), 20)
        ]
    );
    let latency_ms: Vec<&Value> = v["records"].as_array().expect("array")[..4]
        .iter()
        .map(|r| &r["latency_ms"])
        .collect();
    assert_eq!(latency_ms, [&Value::Null, &812.into(), &Value::Null, &402.into()]);
    assert_eq!(v["summary"]["cross_region"].as_array().map(Vec::len), Some(8));

    let out = run(&["logs", &files[0]]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!("{}:5: not JSON", files[0])), "{text}");
    assert!(text.contains("us-east-1 -> us-east-2"), "{text}");
}

#[test]
fn logs_on_an_unreadable_file_exits_2() {
    let out = run(&["logs", &fixture(), "/nonexistent/invocations.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/invocations.json"));
    assert_eq!(run(&["logs"]).status.code(), Some(2), "FILE is required");
}

#[test]
fn price_side_by_side() {
    let out = run(&[
        "price",
        "--model",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "1000",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("standard           0.0008          0.004     0.004800"),
        "{text}"
    );
    assert!(
        text.contains("optimized           0.001          0.005     0.006000"),
        "{text}"
    );
    assert_says(&text, &["+0.001200 USD (+25.0%)", "prices as of 2026-11-26"]);

    let v = json(&run(&[
        "price",
        "--model",
        "meta.llama3-1-405b-instruct-v1:0",
        "--input-tokens",
        "10000",
        "--output-tokens",
        "0",
        "--json",
    ]));
    assert_cost(&v, "standard", 0.024);
    assert_cost(&v, "optimized", 0.03);
    assert_eq!(v["as_of"], "2026-11-26");
}

#[test]
fn price_says_not_offered_and_rejects_unknown_models() {
    let out = run(&[
        "price",
        "--model",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "--input-tokens",
        "1",
        "--output-tokens",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("optimized     not offered"), "{text}");

    let out = run(&[
        "price",
        "--model",
        "acme.rocket-v9:0",
        "--input-tokens",
        "1",
        "--output-tokens",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "price",
        "--model",
        "amazon.nova-pro-v1:0",
        "--input-tokens",
        "-1",
        "--output-tokens",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

fn override_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("bedrock-latency-cli-{}-prices.toml", std::process::id()));
    std::fs::write(
        &path,
        r#"as_of = "2027-01-15"

[[models]]
id = "anthropic.claude-3-5-haiku-20241022-v1:0"

[models.prices]
standard = { input_per_1k = 0.002, output_per_1k = 0.01 }
optimized = { input_per_1k = 0.003, output_per_1k = 0.02 }
"#,
    )
    .expect("temp file");
    path
}

#[test]
fn a_catalog_file_overrides_prices_in_price_and_logs() {
    let catalog = override_file();
    let catalog = catalog.display().to_string();
    let v = json(&run(&[
        "price",
        "--model",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "1000",
        "--json",
        "--catalog",
        &catalog,
    ]));
    assert_cost(&v, "standard", 0.012);
    assert_cost(&v, "optimized", 0.023);
    assert_eq!(v["as_of"], "2027-01-15");

    let v = json(&run(&["logs", &fixture(), "--json", "--catalog", &catalog]));
    assert!(
        (v["records"][0]["cost_usd"].as_f64().unwrap_or_default() - 0.004585).abs() < 1e-12,
        "{v}"
    );
    std::fs::remove_file(&catalog).ok();
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("bedrock-latency-cli-logs-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("temp file");
    path
}

/// Issue 12: a log record could clear the screen or forge table rows.
#[test]
fn logs_text_escapes_what_it_echoes_from_the_logs() {
    let evil = r#"{"modelId":"evil\u001b[2J","requestId":"r1\nFORGED 1 optimized","region":"us-east-1","inferenceRegion":"us-west-2\u009b"}"#;
    let path = temp_file("evil.jsonl", evil.as_bytes());
    let out = run(&["logs", &path.display().to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}'), "{text:?}");
    assert!(!text.lines().any(|l| l.starts_with("FORGED")), "{text}");
    assert!(text.contains(r"evil\u{1b}[2J"), "{text}");
    assert!(text.contains(r"r1\u{a}FORGED 1 optimized"), "{text}");
    std::fs::remove_file(path).ok();
}

/// Issue 12: `"performanceConfig":"OPTIMIZED"` was counted as unspecified.
#[test]
fn logs_reports_a_wrongly_typed_performance_config() {
    let text = concat!(
        r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":"OPTIMIZED"}"#,
        "\n",
        r#"{"modelId":"us.amazon.nova-pro-v1:0","performanceConfig":{"latency":"OPTIMIZED"}}"#,
        "\n"
    );
    let path = temp_file("typed.jsonl", text.as_bytes());
    let v = json(&run(&["logs", "--json", &path.display().to_string()]));
    assert_eq!(
        (&v["total"], &v["optimized"], &v["unspecified"]),
        (&1.into(), &1.into(), &0.into())
    );
    assert_eq!(v["bad_lines"][0]["line"], 1);
    assert!(
        v["bad_lines"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("bad field performanceConfig: a string")),
        "{v}"
    );
    std::fs::remove_file(path).ok();
}

/// Issue 12: `logs big.jsonl --json | head -c 100` panicked on the broken pipe.
#[test]
fn logs_into_a_closed_pipe_does_not_panic() {
    use std::io::Read;
    let line = std::fs::read_to_string(fixture()).expect("fixture");
    let one: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let one = one.to_string();
    let mut text = String::with_capacity(4 << 20);
    while text.len() < 4 << 20 {
        text += &one;
        text.push('\n');
    }
    let path = temp_file("pipe.jsonl", text.as_bytes());
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args(["logs", "--json", &path.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut head = [0u8; 100];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("100 bytes");
    // The read end is closed here (dropped).
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(head.starts_with(b"{\"records\":["));
    std::fs::remove_file(path).ok();
}
