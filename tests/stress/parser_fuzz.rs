//! Generated-input tests of the model-ID/ARN parser and the catalog loader:
//! a million inputs each per run (in a release build), no panic, and what
//! comes back is consistent (parsed parts agree; errors are one short line;
//! a loaded catalog has sane prices).
//!
//! Run as CI does:
//! `cargo test --release --all-features --test parser_fuzz`
//! (about 1,000,000 model IDs and 1,000,000 catalog documents). A debug build
//! runs 20,000 of each, so that `cargo test` stays quick; set
//! `PARSER_FUZZ_CASES` to choose the count and `PARSER_FUZZ_SEED` the seed.
//!
//! The inputs are generated from the pieces of real identifiers and catalog
//! files (partitions, accounts, regions, profiles, prices ...) and then
//! mutated byte by byte, so that most of them are near misses rather than
//! noise the parsers reject on the first character.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use bedrock_latency::{Catalog, CheckRequest, Date, IdForm, LatencyPolicy, ModelId, Operation};
use serde_json::{Value, json};

use crate::support;

/// splitmix64: small, fast and good enough to pick pieces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Mostly (3 times in 4) one of the first `valid` items, else any.
    fn mostly<T: Copy>(&mut self, items: &[T], valid: usize) -> T {
        if self.chance(4) {
            self.pick(items)
        } else {
            self.pick(&items[..valid.min(items.len())])
        }
    }
}

fn cases() -> usize {
    support::env_or("PARSER_FUZZ_CASES", support::by_build(20_000, 1_000_000))
}

fn seed() -> u64 {
    support::env_or("PARSER_FUZZ_SEED", 0x0BED_0C4E)
}

// The seven valid partitions first (`mostly(PARTITIONS, 7)`), then near misses.
#[rustfmt::skip]
const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "awsevil", "", "AWS", "aws-iso-z"];
const SERVICES: &[&str] = &["bedrock", "s3", "", "Bedrock", "bedrock-runtime"];
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "us-gov-west-1",
    "eu-west-1",
    "ap-northeast-1",
    "ca-central-1",
    "us-isof-south-1",
    "nowhere",
    "",
    "us-east",
    "US-EAST-1",
    "us--1",
    "a-b-c-d-e-f-g-h-i-j-1",
];
const ACCOUNTS: &[&str] = &[
    "",
    "123456789012",
    "12345",
    "1234567890123",
    "12345678901a",
    "000000000000",
    "-",
];
const KINDS: &[&str] = &[
    "foundation-model/",
    "inference-profile/",
    "application-inference-profile/",
    "provisioned-model/",
    "custom-model/",
    "",
    "/",
    "foundation-model",
];
const GEOS: &[&str] = &[
    "", "us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.", "", "mars.", "US.",
];
const BASES: &[&str] = &[
    "amazon.nova-pro-v1:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "meta.llama3-1-405b-instruct-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "amazon.nova-lite-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0:28k",
    "x.y",
    ":",
    "::",
    "a",
    ".",
    "Amazon.nova",
    "amazon..nova",
    "amazon.nova-pro-v1%3A0",
    "amazon.nova-pro-v1%3a0",
    "-a.b",
    "0.x",
];
/// Characters mutations insert: separators, escapes, multi-byte and
/// invisible characters.
const CHARS: &[char] = &[
    ':',
    '.',
    '/',
    '-',
    '_',
    '%',
    ' ',
    '\n',
    '\u{1b}',
    '\0',
    'a',
    'Z',
    '9',
    'é',
    '\u{feff}',
    '\u{202e}',
    '\u{10ffff}',
    '"',
    '\\',
    '[',
    ']',
    '{',
    '}',
    '=',
    ',',
    '#',
    '\'',
];

/// A model identifier: an ARN or a plain ID, assembled from pieces.
fn model_id(rng: &mut Rng) -> String {
    let geo = if rng.chance(2) { "" } else { rng.mostly(GEOS, 10) };
    let resource = format!("{geo}{}", rng.mostly(BASES, 7));
    let mut s = if rng.chance(2) {
        let kind = rng.mostly(KINDS, 2);
        let account = match kind {
            "foundation-model/" => rng.mostly(ACCOUNTS, 1),
            _ => rng.mostly(&ACCOUNTS[1..], 1),
        };
        format!(
            "arn:{}:{}:{}:{account}:{kind}{resource}",
            rng.mostly(PARTITIONS, 7),
            rng.mostly(SERVICES, 1),
            rng.mostly(REGIONS, 8),
        )
    } else {
        resource
    };
    if rng.chance(50) {
        s = "x".repeat(rng.below(3000)) + &s;
    }
    if rng.chance(2) { s } else { mutate(rng, s) }
}

/// One to three edits: insert, delete or replace a character, or cut.
fn mutate(rng: &mut Rng, s: String) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..=rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 => chars.insert(at, CHARS[rng.below(CHARS.len())]),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            2 if at < chars.len() => chars[at] = CHARS[rng.below(CHARS.len())],
            3 => chars.truncate(at),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Checks what the parser says about one input.
fn check_id(input: &str, region: &str) -> Result<(), String> {
    let id = match ModelId::parse(input) {
        Ok(id) => id,
        Err(e) => {
            let message = e.to_string();
            if message.contains('\n') || message.len() > 1000 {
                return Err(format!("error message not one short line: {message:.300}"));
            }
            return Ok(());
        }
    };
    let raw = id.as_str();
    let base = id.base_model_id();
    if !raw.ends_with(base) || id.profile_id().is_some_and(|p| !p.ends_with(base)) {
        return Err(format!("parts disagree: {id:?}"));
    }
    if !base.starts_with(|c: char| c.is_ascii_alphanumeric()) || base.ends_with(':') {
        return Err(format!("a base ID without a name: {id:?}"));
    }
    if let Some(rest) = raw.strip_prefix("arn:") {
        let mut parts = rest.splitn(5, ':');
        let partition = parts.next().unwrap_or_default();
        let account = parts.nth(2).unwrap_or_default();
        if !PARTITIONS[..7].contains(&partition) {
            return Err(format!("partition {partition:?} accepted: {id:?}"));
        }
        let twelve = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        match id.form() {
            IdForm::InferenceProfileArn if !twelve => return Err(format!("account {account:?} accepted: {id:?}")),
            IdForm::FoundationModelArn if !account.is_empty() => {
                return Err(format!("account {account:?} accepted: {id:?}"));
            }
            IdForm::BaseModel | IdForm::InferenceProfile => return Err(format!("an ARN not parsed as one: {id:?}")),
            _ => {}
        }
        if id.arn_region().is_none_or(|r| r.is_empty() || r.len() > 20) {
            return Err(format!("ARN region: {id:?}"));
        }
    }
    match ModelId::parse(raw) {
        Ok(again) if again == id => {}
        other => return Err(format!("not idempotent: {id:?} -> {other:?}")),
    }
    let req = CheckRequest::new(&id, region, Operation::Converse, LatencyPolicy::PreferOptimized);
    let _ = Catalog::builtin().check(&req).map(|p| p.to_string());
    Ok(())
}

/// Runs `one` on `n` generated cases over every core; returns the failures
/// (panics included) with their inputs.
fn run_cases(n: usize, name: &str, one: fn(&mut Rng) -> (String, Result<(), String>)) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8);
    let failures = Mutex::new(Vec::new());
    let seed = seed();
    std::thread::scope(|s| {
        for t in 0..threads {
            let failures = &failures;
            s.spawn(move || {
                let mut rng = Rng(seed ^ (t as u64).wrapping_mul(0xA076_1D64_78BD_642F));
                for _ in (t..n).step_by(threads) {
                    let mut case_rng = Rng(rng.next());
                    let outcome = catch_unwind(AssertUnwindSafe(|| one(&mut case_rng)));
                    let failure = match outcome {
                        Ok((_, Ok(()))) => continue,
                        Ok((input, Err(why))) => format!("{why}\n  input: {input:.400?}"),
                        Err(_) => "panicked (input: see the panic message above)".to_owned(),
                    };
                    let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                    if f.len() < 20 {
                        f.push(failure);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    eprintln!(
        "{name}: {n} generated inputs (seed {seed}), {} failures",
        failures.len()
    );
    failures
}

#[test]
fn model_ids_and_arns() {
    let failures = run_cases(cases(), "model IDs", |rng| {
        let input = model_id(rng);
        let region = rng.pick(REGIONS).to_owned();
        let region = mutate(rng, region);
        let result = check_id(&input, &region);
        (input, result)
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- Catalog documents.

fn price(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => json!(1e308),
        1 => json!(-1.0),
        2 => json!(1000.5),
        3 => json!("0.1"),
        4 => json!(u64::MAX),
        _ => json!(rng.below(2000) as f64 / 1000.0),
    }
}

fn source(rng: &mut Rng) -> Value {
    let url = rng.mostly(&["https://example.com/x", "", "catalog file x\n\u{1b}[2J"], 1);
    let as_of = rng.mostly(&["2026-12-01", "2026-13-01", "yesterday", "0000-00-00"], 1);
    json!({"url": url, "as_of": as_of, "note": "n"})
}

/// One field of a model entry, mostly valid.
fn model_field(rng: &mut Rng, id: &str) -> (&'static str, Value) {
    const FIELDS: &[&str] = &[
        "name",
        "provider",
        "profiles",
        "optimized",
        "lifecycle",
        "prices",
        "source",
        "null",
        "colour",
    ];
    match rng.mostly(FIELDS, 8) {
        "name" => ("name", json!(mutate(rng, "Amazon Nova".to_owned()))),
        "provider" => ("provider", json!("amazon")),
        "profiles" => {
            let geo = rng.mostly(GEOS, 9);
            let other = if rng.chance(4) {
                model_id(rng)
            } else {
                format!("global.{id}")
            };
            ("inference_profiles", json!([format!("{geo}{id}"), other]))
        }
        "optimized" => (
            "optimized",
            json!({
                "regions": [rng.mostly(REGIONS, 8), rng.mostly(REGIONS, 8)],
                "profile": format!("{}{id}", rng.mostly(&GEOS[1..], 8)),
                "max_total_tokens": rng.below(20_000),
                "operations": {"converse": rng.mostly(&["honored", "ignored", "maybe"], 2)},
            }),
        ),
        "lifecycle" => (
            "lifecycle",
            json!({"status": rng.mostly(&["active", "legacy", "end-of-life", "gone"], 3), "end_of_life": "2027-01-01"}),
        ),
        "prices" => (
            "prices",
            json!({
                "standard": {"input_per_1k": price(rng), "output_per_1k": price(rng)},
                "optimized": {"input_per_1k": price(rng), "output_per_1k": price(rng)},
            }),
        ),
        "source" => ("source", source(rng)),
        "null" => ("optimized", Value::Null),
        _ => ("colour", json!("red")),
    }
}

fn model_entry(rng: &mut Rng) -> Value {
    let id = if rng.chance(4) {
        model_id(rng)
    } else {
        rng.mostly(BASES, 7).to_owned()
    };
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(id));
    for _ in 0..rng.below(5) {
        let (key, value) = model_field(rng, &id);
        m.insert(key.into(), value);
    }
    Value::Object(m)
}

fn document(rng: &mut Rng) -> Value {
    let mut doc = serde_json::Map::new();
    if rng.chance(2) {
        doc.insert(
            "as_of".into(),
            json!(rng.mostly(&["2026-12-01", "2026-02-30", "soon"], 1)),
        );
    }
    if rng.chance(4) {
        doc.insert("schema_version".into(), json!(rng.mostly(&[1, 2, -1], 2)));
    }
    if rng.chance(8) {
        doc.insert("operations".into(), json!({"treatments": {"converse": "honored"}}));
    }
    let models: Vec<Value> = (0..=rng.below(3)).map(|_| model_entry(rng)).collect();
    doc.insert("models".into(), Value::Array(models));
    Value::Object(doc)
}

/// A document as JSON or TOML text, sometimes with a BOM, sometimes mutated.
fn catalog_text(rng: &mut Rng) -> (String, bool) {
    let doc = document(rng);
    let toml = cfg!(feature = "toml") && rng.chance(2);
    let mut text = if toml {
        to_toml(&doc).unwrap_or_default()
    } else {
        doc.to_string()
    };
    if rng.chance(10) {
        text.insert(0, '\u{feff}');
    }
    if rng.chance(3) {
        text = mutate(rng, text);
    }
    (text, toml)
}

#[cfg(feature = "toml")]
fn to_toml(doc: &Value) -> Option<String> {
    toml::to_string(doc).ok()
}

#[cfg(not(feature = "toml"))]
fn to_toml(_: &Value) -> Option<String> {
    None
}

fn check_catalog(text: &str, toml: bool) -> Result<(), String> {
    let mut c = Catalog::empty(Date::new(2026, 12, 1).expect("a valid date"));
    let before = c.clone();
    #[cfg(feature = "toml")]
    let result = if toml {
        c.merge_toml(text).map(|_| ())
    } else {
        c.merge_json(text).map(|_| ())
    };
    #[cfg(not(feature = "toml"))]
    let result = {
        let _ = toml;
        c.merge_json(text).map(|_| ())
    };
    match result {
        Err(e) => {
            let message = e.to_string();
            if message.contains('\n') || message.chars().any(char::is_control) || message.len() > 4000 {
                return Err(format!("error message not one short line: {message:.300?}"));
            }
            if message.starts_with("catalog catalog") || !message.starts_with("catalog ") {
                return Err(format!("error message: {message:.300?}"));
            }
            if c != before {
                return Err("a failed merge changed the catalog".to_owned());
            }
        }
        Ok(()) => {
            let sane = |v: f64| (0.0..=1000.0).contains(&v);
            for m in c.models() {
                let prices = m.prices.iter().flat_map(|p| [Some(p.standard), p.optimized]).flatten();
                if prices
                    .into_iter()
                    .any(|t| !(sane(t.input_per_1k) && sane(t.output_per_1k)))
                {
                    return Err(format!("insane price accepted for {}", m.id));
                }
                if ModelId::parse(&m.id).map(|id| id.form()).ok() != Some(IdForm::BaseModel) {
                    return Err(format!("entry id {:?} is not a base model ID", m.id));
                }
            }
            let mut ids: Vec<&str> = c.models().iter().map(|m| m.id.as_str()).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() != n {
                return Err("duplicate models after a merge".to_owned());
            }
        }
    }
    Ok(())
}

#[test]
fn catalog_documents() {
    // Parsed once here, so that `Catalog::empty` copies its operation table
    // instead of parsing the built-in JSON for every case.
    let _ = Catalog::builtin();
    let failures = run_cases(cases(), "catalog documents", |rng| {
        let (text, toml) = catalog_text(rng);
        let result = check_catalog(&text, toml);
        (text, result)
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_generators_reach_both_outcomes() {
    // A generator that only produced rejects (or only accepts) would test
    // little: both outcomes must be common.
    let mut rng = Rng(seed());
    let ids: Vec<bool> = (0..2000).map(|_| ModelId::parse(&model_id(&mut rng)).is_ok()).collect();
    let ok = ids.iter().filter(|&&ok| ok).count();
    assert!((200..1800).contains(&ok), "{ok} of 2000 IDs parsed");
    let arns = (0..2000)
        .filter(|_| {
            let id = model_id(&mut rng);
            id.starts_with("arn:") && ModelId::parse(&id).is_ok()
        })
        .count();
    assert!(arns >= 50, "{arns} of 2000 ARNs parsed");
    let loaded = (0..2000)
        .filter(|_| {
            let (text, toml) = catalog_text(&mut rng);
            let mut c = Catalog::empty(Date::today());
            #[cfg(feature = "toml")]
            if toml {
                return c.merge_toml(&text).is_ok_and(|c| !c.models().is_empty());
            }
            let _ = toml;
            c.merge_json(&text).is_ok_and(|c| !c.models().is_empty())
        })
        .count();
    assert!(
        (100..1900).contains(&loaded),
        "{loaded} of 2000 catalog documents loaded"
    );
}
