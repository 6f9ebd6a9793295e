//! The `bedrock-latency` command line, run as a user would run it.

use std::process::{Command, Output};

use crate::support::{assert_quick, assert_says, check_args, outcome, run, text_of};

fn check(model: &str, region: &str, operation: &str, latency: &str) -> (i32, String) {
    outcome(&check_args(model, region, operation, latency))
}

/// Runs `check` and asserts that it exits with `code` and says `needle`.
fn check_says(model: &str, region: &str, operation: &str, latency: &str, code: i32, needle: &str) {
    let (got, text) = check(model, region, operation, latency);
    assert_eq!(got, code, "{text}");
    assert!(text.contains(needle), "{needle:?} missing: {text}");
}

const HAIKU: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

/// The answer line of `check`'s text output: after the headline a model
/// past its end of life gets.
fn answer(text: &str) -> &str {
    text.lines()
        .find(|l| !l.starts_with("PAST END OF LIFE:"))
        .unwrap_or_default()
}

#[test]
fn haiku_from_ohio_is_honored() {
    let (code, text) = check(HAIKU, "us-east-2", "converse", "optimized");
    assert_eq!(code, 0, "{text}");
    assert!(
        answer(&text).starts_with("optimized: send us.anthropic.claude-3-5-haiku"),
        "{text}"
    );
}

#[test]
fn haiku_from_virginia_is_refused_naming_the_regions_that_work() {
    check_says(HAIKU, "us-east-1", "converse", "optimized", 1, "us-east-2, us-west-2");
}

#[test]
fn llama_405b_from_oregon_is_refused() {
    check_says(
        "us.meta.llama3-1-405b-instruct-v1:0",
        "us-west-2",
        "converse",
        "optimized",
        1,
        "only from us-east-2",
    );
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
    check_says(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us-east-2",
        "converse",
        "optimized",
        1,
        "has no latency-optimized inference",
    );
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
        assert!(answer(&text).starts_with("standard:"), "{text}");
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
    check_says(
        "not a model",
        "us-east-1",
        "converse",
        "optimized",
        2,
        "invalid model identifier",
    );
}

#[test]
fn a_user_catalog_file_adds_a_model() {
    let dir = std::env::temp_dir().join(format!("bedrock-latency-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("extra.toml");
    std::fs::write(&file, include_str!("../data/catalog/nova-premier.toml")).unwrap();
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
    check_says(
        "amazon.nova-premier-v1:0",
        "us-east-2",
        "converse",
        "optimized",
        1,
        "not in the catalog",
    );

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
    assert_says(&text, &["Anthropic Claude 3.5 Haiku", "us-east-2, us-west-2"]);
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

// ---- Hardening (issue 12): invalid input, escaping, output errors, catalog files.

#[test]
fn an_invalid_region_is_invalid_input_whatever_the_latency() {
    for latency in ["standard", "optimized", "prefer-optimized"] {
        let out = run(&check_args("amazon.nova-pro-v1:0", "nowhere", "converse", latency));
        assert_eq!(out.status.code(), Some(2), "{latency}: {}", text_of(&out));
        assert!(out.stdout.is_empty(), "{latency}");
        assert!(
            text_of(&out).contains("invalid region \"nowhere\""),
            "{}",
            text_of(&out)
        );
    }
}

#[test]
fn echoed_regions_are_escaped_and_shortened() {
    let forged = "us-east-1\nstandard: send forged";
    let out = run(&check_args("amazon.nova-pro-v1:0", forged, "converse", "standard"));
    assert_eq!(out.status.code(), Some(2));
    let text = text_of(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(!text.contains("\nstandard: send forged"), "{text}");

    let escape = "us-east-1\u{1b}[2J";
    let out = run(&check_args("amazon.nova-pro-v1:0", escape, "converse", "standard"));
    assert_eq!(out.status.code(), Some(2));
    assert!(!text_of(&out).contains('\u{1b}'), "{}", text_of(&out));

    let huge = format!("us-{}-1", "a".repeat(100_000));
    let out = run(&check_args("amazon.nova-pro-v1:0", &huge, "converse", "standard"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text_of(&out).len() < 500, "{} bytes of output", text_of(&out).len());
}

#[test]
fn arns_are_parsed_strictly() {
    const PROFILE: &str = "inference-profile/us.amazon.nova-pro-v1:0";
    for model in [
        format!("arn:awsevil:bedrock:us-east-1:123456789012:{PROFILE}"),
        format!("arn:aws:bedrock:us-east-1::{PROFILE}"),
        format!("arn:aws:bedrock:us-east-1:12345:{PROFILE}"),
        "arn:aws:bedrock:us-east-1::foundation-model/".to_owned(),
        ":".to_owned(),
    ] {
        let out = run(&check_args(&model, "us-east-1", "converse", "standard"));
        assert_eq!(out.status.code(), Some(2), "{model}: {}", text_of(&out));
        assert!(text_of(&out).contains("invalid model identifier"), "{}", text_of(&out));
    }
    let ok = format!("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:{PROFILE}");
    let out = run(&check_args(&ok, "us-gov-west-1", "converse", "standard"));
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
}

#[test]
fn profiles_the_catalog_does_not_list_are_warned_about_with_standard_latency() {
    for (model, region) in [
        ("eu.meta.llama3-1-405b-instruct-v1:0", "us-east-1"),
        ("apac.amazon.nova-pro-v1:0", "us-east-1"),
        ("eu.amazon.nova-lite-v1:0", "us-east-1"),
    ] {
        let (code, text) = check(model, region, "converse", "standard");
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains(&format!(
                "warning: the catalog does not list inference profile {model} for calls from {region}"
            )),
            "{text}"
        );
        let mut args = check_args(model, region, "converse", "standard").to_vec();
        args.push("--json");
        let v: serde_json::Value = serde_json::from_slice(&run(&args).stdout).unwrap();
        let kinds: Vec<&str> = v["plan"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"profile-not-listed"), "{v:#}");
    }
    let (code, text) = check("us.amazon.nova-lite-v1:0", "us-east-1", "converse", "standard");
    assert_eq!(code, 0);
    assert!(!text.contains("warning"), "{text}");
}

/// Runs the binary with standard output a pipe whose reader is already gone.
fn run_into_closed_pipe(bin: &str, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(bin)
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// Runs the binary with standard output `/dev/full` (every write fails).
fn run_into_full_device(bin: &str, args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    Command::new(bin)
        .args(args)
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs")
}

const BIN: &str = env!("CARGO_BIN_EXE_bedrock-latency");

/// `check` of Converse on Claude 3.5 Haiku from us-east-2 (its latency flag
/// left to the default).
const HAIKU_FROM_OHIO: [&str; 7] = [
    "check",
    "--model",
    HAIKU,
    "--region",
    "us-east-2",
    "--operation",
    "converse",
];

#[test]
fn a_closed_pipe_ends_quietly() {
    let log = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/logs/mixed.jsonl");
    for args in [
        &["matrix", "--json"][..],
        &["matrix"],
        &HAIKU_FROM_OHIO,
        &["logs", log, "--json"],
        &["logs", log],
        &["price", "--model", HAIKU, "--input-tokens", "1", "--output-tokens", "1"],
        &["--help"],
    ] {
        let out = run_into_closed_pipe(BIN, args);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", text_of(&out));
        assert!(out.stderr.is_empty(), "{args:?}: {}", text_of(&out));
    }
}

#[test]
fn a_full_device_is_one_line_on_stderr_and_a_failure() {
    for args in [
        &["matrix", "--json"][..],
        &["matrix", "--markdown"],
        &["--help"],
        &["--version"],
    ] {
        let out = run_into_full_device(BIN, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: standard output: "), "{args:?}: {stderr}");
    }
}

#[test]
fn the_local_endpoint_survives_a_full_or_closed_stdout() {
    let local = env!("CARGO_BIN_EXE_bedrock-latency-local");
    let out = run_into_full_device(local, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot write the endpoint URL"), "{stderr}");
    let out = run_into_closed_pipe(local, &[]);
    assert_eq!(out.status.code(), Some(141), "{}", text_of(&out));
    assert!(out.stderr.is_empty(), "{}", text_of(&out));
}

#[test]
fn numeric_flags_are_range_checked() {
    let price = ["price", "--model", HAIKU];
    let check = HAIKU_FROM_OHIO;
    for (command, flags) in [
        (
            &price[..],
            ["--input-tokens", "1000000000001", "--output-tokens", "1"].as_slice(),
        ),
        (&price, &["--input-tokens", "-1", "--output-tokens", "1"]),
        (
            &price,
            &["--input-tokens", "1", "--output-tokens", "18446744073709551616"],
        ),
        (&check, &["--total-tokens", "0"]),
        (&check, &["--total-tokens", "4294967296"]),
    ] {
        let args = [command, flags].concat();
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text_of(&out));
    }
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("bedrock-latency-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[test]
fn an_endless_catalog_file_is_refused_quickly() {
    let start = std::time::Instant::now();
    let out = run(&["matrix", "--catalog", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", text_of(&out));
    assert!(text_of(&out).contains("larger than 16 MiB"), "{}", text_of(&out));
    assert_quick(start);

    let dir = Scratch::new("big");
    let big = dir.file("big.json", vec![b' '; (16 << 20) + 1]);
    let out = run(&["matrix", "--catalog", &big]);
    assert_eq!(out.status.code(), Some(2), "{}", text_of(&out));
    assert!(text_of(&out).contains("larger than 16 MiB"), "{}", text_of(&out));
}

#[test]
fn catalog_files_bom_duplicates_prices_and_errors() {
    let dir = Scratch::new("catalogs");
    let premier = r#"{"models": [{"id": "amazon.nova-premier-v1:0", "name": "Amazon Nova Premier"}]}"#;
    let bom = dir.file("bom.json", format!("\u{feff}{premier}"));
    let out = run(&["matrix", "--catalog", &bom]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert!(text_of(&out).contains("Amazon Nova Premier"));

    let dup = dir.file(
        "dup.toml",
        "[[models]]\nid = \"amazon.nova-premier-v1:0\"\n[[models]]\nid = \"amazon.nova-premier-v1:0\"\n",
    );
    let out = run(&["matrix", "--catalog", &dup]);
    assert_eq!(out.status.code(), Some(2));
    let text = text_of(&out);
    assert!(
        text.contains("models[0] \"amazon.nova-premier-v1:0\" and models[1]"),
        "{text}"
    );

    let costly = dir.file(
        "costly.json",
        r#"{"models": [{"id": "amazon.nova-pro-v1:0", "prices": {"standard": {"input_per_1k": 1e308, "output_per_1k": 1}}}]}"#,
    );
    let out = run(&[
        "price",
        "--model",
        "amazon.nova-pro-v1:0",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "1",
        "--catalog",
        &costly,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text_of(&out));
    assert!(!text_of(&out).contains("inf"), "{}", text_of(&out));
    assert!(text_of(&out).contains("at most 1000 USD"), "{}", text_of(&out));

    let long = dir.file(
        "long.toml",
        format!("as_of = \"2026-12-01\"\nbogus = \"{}\"\n", "z".repeat(200_000)),
    );
    let out = run(&["matrix", "--catalog", &long]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 1000, "{} bytes of stderr", stderr.len());
    assert_eq!(stderr.lines().count(), 1, "{stderr:.500}");
    assert!(
        stderr.contains(&format!("catalog file {long}: line 2, column 1: ")),
        "{stderr:.500}"
    );
    assert!(!stderr.contains("catalog catalog"), "{stderr:.500}");
}

#[test]
fn names_from_catalog_files_cannot_send_terminal_escapes() {
    let dir = Scratch::new("escapes");
    let file = dir.file(
        "names.json",
        r#"{"models": [{"id": "amazon.nova-pro-v1:0", "name": "Nova\u001b[2J\nFORGED ROW"}]}"#,
    );
    for args in [
        &["matrix", "--catalog", &file][..],
        &["matrix", "--markdown", "--catalog", &file],
        &[
            "price",
            "--model",
            "amazon.nova-pro-v1:0",
            "--input-tokens",
            "1",
            "--output-tokens",
            "1",
            "--catalog",
            &file,
        ],
        &[
            "check",
            "--model",
            "amazon.nova-pro-v1:0",
            "--region",
            "us-west-1",
            "--operation",
            "converse",
            "--catalog",
            &file,
        ],
    ] {
        let out = run(args);
        let text = text_of(&out);
        assert!(!text.contains('\u{1b}'), "{args:?}: {text}");
        assert!(!text.lines().any(|l| l.starts_with("FORGED ROW")), "{args:?}: {text}");
        assert!(text.contains("Nova\\u{1b}[2J\\u{a}FORGED ROW"), "{args:?}: {text}");
    }
}
