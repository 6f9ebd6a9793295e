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
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("circle")).count(), 16);
    std::fs::remove_file(chart).ok();
}

#[test]
fn downgrades_when_the_quota_runs_out() {
    // One warm-up and two measured optimized requests fit in the quota.
    let v = compare(&["--requests", "5", "--warmup", "1", "--local-quota", "3"]);
    let optimized = v["arms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["arm"] == "optimized")
        .unwrap();
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
