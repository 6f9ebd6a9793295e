//! The `bedrock-latency` command line, run as a user would run it.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bedrock-latency"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn check(model: &str, region: &str, operation: &str, latency: &str) -> (i32, String) {
    let out = run(&[
        "check",
        "--model",
        model,
        "--region",
        region,
        "--operation",
        operation,
        "--latency",
        latency,
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().expect("exited"), text)
}

const HAIKU: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

#[test]
fn haiku_from_ohio_is_honored() {
    let (code, text) = check(HAIKU, "us-east-2", "converse", "optimized");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("optimized: send us.anthropic.claude-3-5-haiku"),
        "{text}"
    );
}

#[test]
fn haiku_from_virginia_is_refused_naming_the_regions_that_work() {
    let (code, text) = check(HAIKU, "us-east-1", "converse", "optimized");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("us-east-2, us-west-2"), "{text}");
}

#[test]
fn llama_405b_from_oregon_is_refused() {
    let (code, text) = check(
        "us.meta.llama3-1-405b-instruct-v1:0",
        "us-west-2",
        "converse",
        "optimized",
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("only from us-east-2"), "{text}");
}

#[test]
fn nova_pro_by_base_id_gets_the_us_profile() {
    let (code, text) = check("amazon.nova-pro-v1:0", "us-east-1", "converse", "optimized");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("send us.amazon.nova-pro-v1:0 with latency optimized"),
        "{text}"
    );

    let out = run(&[
        "check",
        "--model",
        "amazon.nova-pro-v1:0",
        "--region",
        "us-east-1",
        "--operation",
        "converse",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"]["model_id"], "us.amazon.nova-pro-v1:0");
    assert_eq!(v["plan"]["latency"], "optimized");
    assert_eq!(v["exit_code"], 0);
}

#[test]
fn every_optimized_model_is_refused_on_invoke_agent() {
    for (model, region) in [
        (HAIKU, "us-east-2"),
        ("us.amazon.nova-pro-v1:0", "us-east-1"),
        ("us.meta.llama3-1-70b-instruct-v1:0", "us-west-2"),
        ("us.meta.llama3-1-405b-instruct-v1:0", "us-east-2"),
    ] {
        let (code, text) = check(model, region, "invoke-agent", "optimized");
        assert_eq!(code, 1, "{model}: {text}");
        assert!(text.contains("does not honor it"), "{text}");
    }
}

#[test]
fn agents_and_knowledge_bases_are_honored() {
    for op in ["retrieve-and-generate", "retrieve-and-generate-stream", "inline-agent"] {
        let (code, text) = check(HAIKU, "us-west-2", op, "optimized");
        assert_eq!(code, 0, "{op}: {text}");
    }
}

#[test]
fn invoke_flow_is_unverified() {
    let (code, text) = check(HAIKU, "us-east-2", "invoke-flow", "optimized");
    assert_eq!(code, 3, "{text}");
    assert!(text.starts_with("unverified:"), "{text}");
}

#[test]
fn a_model_without_optimized_latency_is_refused() {
    let (code, text) = check(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us-east-2",
        "converse",
        "optimized",
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("has no latency-optimized inference"), "{text}");
}

#[test]
fn standard_is_fine_anywhere_valid() {
    for (model, region, op) in [
        (HAIKU, "us-east-1", "converse"),
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us-west-2",
            "invoke-model",
        ),
        ("amazon.nova-lite-v1:0", "eu-west-1", "invoke-agent"),
        ("us.meta.llama3-1-405b-instruct-v1:0", "us-west-2", "invoke-flow"),
    ] {
        let (code, text) = check(model, region, op, "standard");
        assert_eq!(code, 0, "{model} {op}: {text}");
        assert!(text.starts_with("standard:"), "{text}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        run(&["check", "--model", "x.y", "--region", "us-east-1"]).status.code(),
        Some(2)
    );
    let (code, text) = check(HAIKU, "us-east-1", "talk", "optimized");
    assert_eq!(code, 2, "{text}");
    let (code, text) = check("not a model", "us-east-1", "converse", "optimized");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("invalid model identifier"), "{text}");
}

#[test]
fn a_user_catalog_file_adds_a_model() {
    let dir = std::env::temp_dir().join(format!("bedrock-latency-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("extra.toml");
    std::fs::write(
        &file,
        r#"
as_of = "2026-12-01"
[[models]]
id = "amazon.nova-premier-v1:0"
name = "Amazon Nova Premier"
inference_profiles = ["us.amazon.nova-premier-v1:0"]
optimized = { regions = ["us-east-2"] }
"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let args = |region: &'static str| {
        [
            "check",
            "--model",
            "amazon.nova-premier-v1:0",
            "--region",
            region,
            "--operation",
            "converse",
            "--catalog",
            file,
        ]
    };
    let out = run(&args("us-east-2"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("us.amazon.nova-premier-v1:0"));
    let out = run(&args("us-east-1"));
    assert_eq!(out.status.code(), Some(1));

    // Without the file the model is unknown.
    let (code, text) = check("amazon.nova-premier-v1:0", "us-east-2", "converse", "optimized");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not in the catalog"), "{text}");

    let json = dir.join("broken.json");
    std::fs::write(&json, "{\"models\": [}").unwrap();
    let out = run(&["matrix", "--catalog", json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn matrix_prints_the_table_and_json() {
    let out = run(&["matrix"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Anthropic Claude 3.5 Haiku"), "{text}");
    assert!(text.contains("us-east-2, us-west-2"), "{text}");
    assert!(text.contains("invoke-agent") && text.contains("ignored"), "{text}");

    let out = run(&["matrix", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["models"].as_array().unwrap().len() >= 8);
    assert_eq!(v["operations"]["treatments"]["invoke-flow"], "unverified");
}

#[test]
fn the_readme_table_is_the_matrix() {
    let out = run(&["matrix", "--markdown"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The lifecycle column depends on today's date; compare the rest.
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| {
                l.split('|')
                    .enumerate()
                    .filter(|(i, _)| *i != 4)
                    .map(|(_, c)| c.trim().to_owned())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    let want = strip(&table);
    let have = strip(&readme);
    for line in &want {
        assert!(
            have.contains(line),
            "README lacks the matrix row {line:?}; regenerate with `cargo run --features cli -- matrix --markdown`"
        );
    }
}
