//! `bedrock-latency probe`: against a `bedrock-latency-local` process that
//! serves a changed catalog, it reports exactly the changes, and the catalog
//! file it writes makes `check` agree with what was probed.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{assert_says, bin, check_args, outcome_of, text_of};

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("bedrock-latency-probe-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `bedrock-latency-local` process, killed on drop.
struct Endpoint {
    child: Child,
    url: String,
}

impl Endpoint {
    fn start(args: &[&str]) -> Endpoint {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-latency-local"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bedrock-latency-local starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let url = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default()
            .trim()
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "no endpoint URL: {url:?}");
        Endpoint { child, url }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const LLAMA: &str = "us.meta.llama3-1-70b-instruct-v1:0";
const NOVA: &str = "amazon.nova-pro-v1:0";

/// The endpoint's catalog: Llama 3.1 70B served optimized from us-east-1
/// too (a region added), Nova Pro without flex (a tier removed).
const CHANGED: &str = r#"
as_of = "2026-12-01"

[[models]]
id = "meta.llama3-1-70b-instruct-v1:0"
optimized = { regions = ["us-east-1", "us-east-2", "us-west-2"] }

[[models]]
id = "amazon.nova-pro-v1:0"
service_tiers = { flex = false }
"#;

fn check(catalog: Option<&Path>, model: &str, region: &str, latency: &str, tier: &str) -> i32 {
    let mut cmd = bin();
    cmd.args(check_args(model, region, "converse", latency))
        .args(["--service-tier", tier]);
    if let Some(c) = catalog {
        cmd.arg("--catalog").arg(c);
    }
    let out = cmd.output().unwrap();
    out.status.code().expect("exited")
}

#[test]
fn probe_reports_exactly_the_changes_and_its_catalog_makes_check_agree() {
    let dir = Scratch::new("changes");
    let changed = dir.file("changed.toml", CHANGED);
    let endpoint = Endpoint::start(&["--no-delay", "--catalog", changed.to_str().unwrap()]);
    let probed = dir.0.join("probed.toml");
    let out = bin()
        .args([
            "probe",
            "--local",
            "--endpoint-url",
            &endpoint.url,
            "--model",
            LLAMA,
            "--model",
            NOVA,
            "--region",
            "us-east-1",
            "--region",
            "us-east-2",
            "--latency",
            "optimized",
            "--service-tier",
            "flex",
            "--out",
        ])
        .arg(&probed)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["planned"], 8);
    assert_eq!(v["sent"], 8);
    let mut found: Vec<String> = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "Amazon Nova Pro: flex tier on converse from us-east-1: the catalog says served, the probe found it not served",
            "Amazon Nova Pro: flex tier on converse from us-east-2: the catalog says served, the probe found it not served",
            "Meta Llama 3.1 70B Instruct: optimized latency on converse from us-east-1: the catalog says not served, the probe found it served",
        ],
        "{}",
        text_of(&out)
    );

    // The file cites the probe, and `check` with it agrees with every answer.
    let file = std::fs::read_to_string(&probed).unwrap();
    assert!(file.contains("url = \"probed on "), "{file}");
    for o in v["observations"].as_array().unwrap() {
        let c = &o["combination"];
        let (model, region) = (c["model"].as_str().unwrap(), c["region"].as_str().unwrap());
        let (latency, tier) = match c["asked"]["kind"].as_str().unwrap() {
            "latency" => (c["asked"]["value"].as_str().unwrap(), "none"),
            _ => ("standard", c["asked"]["value"].as_str().unwrap()),
        };
        let want = match o["verdict"].as_str().unwrap() {
            "served" => 0,
            "rejected" => 1,
            other => panic!("{other}: {o}"),
        };
        assert_eq!(check(Some(&probed), model, region, latency, tier), want, "{o}");
    }
    // Without the file, the built-in catalog still says otherwise.
    assert_eq!(check(None, LLAMA, "us-east-1", "optimized", "none"), 1);
    assert_eq!(check(None, NOVA, "us-east-1", "standard", "flex"), 0);
    // Regions not probed keep the catalog's word.
    assert_eq!(check(Some(&probed), LLAMA, "us-west-2", "optimized", "none"), 0);
    assert_eq!(check(Some(&probed), NOVA, "eu-west-2", "standard", "priority"), 0);
}

#[test]
fn probe_text_is_a_table_with_the_differences_and_escapes_input() {
    let (code, text) = outcome_of(bin().args([
        "probe",
        "--local",
        "--model",
        NOVA,
        "--model",
        "meta.llama3-1-70b-instruct-v1:0",
        "--region",
        "us-east-1",
        "--service-tier",
        "flex",
    ]));
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("MODEL "), "{text}");
    assert_says(&text, &["flex tier          served", "rejected"]);
    assert!(
        text.contains("ValidationException: Service tier flex is not supported"),
        "{text}"
    );
    assert_says(
        &text,
        &[
            "Differences from the catalog in use:\n  none",
            "probed catalog not written",
        ],
    );
}

#[test]
fn probing_aws_needs_yes_and_says_what_it_would_send() {
    let (code, text) = outcome_of(
        bin()
            .args([
                "probe",
                "--model",
                NOVA,
                "--region",
                "us-east-1",
                "--region",
                "us-west-2",
                "--latency",
                "optimized",
                "--service-tier",
                "priority",
            ])
            .env("AWS_ACCESS_KEY_ID", "AKIDNOTUSED")
            .env("AWS_SECRET_ACCESS_KEY", "not-used"),
    );
    assert_eq!(code, 2, "{text}");
    assert_says(
        &text,
        &[
            "would send 4 requests to Amazon Bedrock",
            "Cost: at most 0.000",
            "Nothing was sent. Add --yes",
        ],
    );
}

#[test]
fn probe_input_is_checked_before_anything_is_sent() {
    let local = ["probe", "--local", "--model", NOVA];
    // (what is wrong, the arguments after `probe --local --model NOVA`, what
    // the refusal says: `None` when only the exit code is checked).
    let cases: [(&str, &[&str], Option<&str>); 5] = [
        (
            "agent operations report nothing to probe",
            &["--region", "us-east-1", "--operation", "inline-agent"],
            Some("reports no served latency or tier"),
        ),
        (
            "an endpoint that is not this machine",
            &[
                "--endpoint-url",
                "https://bedrock-runtime.us-east-1.amazonaws.com",
                "--region",
                "us-east-1",
            ],
            Some("http://127.0.0.1:PORT"),
        ),
        (
            "too many requests for the limit",
            &["--region", "us-east-1", "--region", "us-east-2", "--max-requests", "1"],
            Some("more than the limit of 1"),
        ),
        ("a bad region", &["--region", "Mars"], None),
        (
            "an unwritable file",
            &["--region", "us-east-1", "--out", "/nonexistent-dir/probed.toml"],
            None,
        ),
    ];
    for (what, args, says) in cases {
        let out = bin().args(local).args(args).output().unwrap();
        let text = text_of(&out);
        assert_eq!(out.status.code().unwrap_or(-1), 2, "{what}: {text}");
        if let Some(says) = says {
            assert!(text.contains(says), "{what}: {text}");
        }
    }
}
