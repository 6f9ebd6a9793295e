//! `check --service-tier`, `check --lifecycle`, and the tiers in `matrix`.

use crate::support::{assert_says, check_args, outcome as run};

/// `check` of a Converse request at standard latency with extra flags.
fn check(model: &str, region: &str, extra: &[&str]) -> (i32, String) {
    check_with(model, region, ("converse", "standard"), extra)
}

/// `check` of `operation` at `latency` with extra flags.
fn check_with(model: &str, region: &str, (operation, latency): (&str, &str), extra: &[&str]) -> (i32, String) {
    run(&[&check_args(model, region, operation, latency)[..], extra].concat())
}

const NOVA: &str = "amazon.nova-pro-v1:0";
const LLAMA: &str = "us.meta.llama3-1-70b-instruct-v1:0";
const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU_35: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

/// One `check` run: model, region, (operation, latency), extra flags; and
/// its answer: exit code, how the text starts and what it says ("" for
/// anything).
#[rustfmt::skip]
type Check<'a> = (&'a str, &'a str, (&'a str, &'a str), &'a [&'a str], i32, &'a str, &'a str);

/// Runs each `check` and asserts its answer.
fn assert_checks(rows: &[Check<'_>]) {
    for &(model, region, request, flags, exit, starts, says) in rows {
        let (code, text) = check_with(model, region, request, flags);
        assert_eq!(code, exit, "{model} from {region}, {request:?} {flags:?}: {text}");
        assert!(text.starts_with(starts), "{starts:?} first: {text}");
        assert!(text.contains(says), "{says:?} missing: {text}");
    }
}

const CONVERSE: (&str, &str) = ("converse", "standard");
const FLEX: &[&str] = &["--service-tier", "flex"];
const PRIORITY: &[&str] = &["--service-tier", "priority"];

#[test]
fn service_tier_exit_codes_are_those_of_latency() {
    #[rustfmt::skip]
    let rows: &[Check<'_>] = &[
        // 0: honored.
        (NOVA, "us-east-1", CONVERSE, FLEX, 0, "", "and service tier flex on converse from us-east-1"),
        // 1: refused, with what would work.
        (LLAMA, "us-east-2", CONVERSE, FLEX, 1, "refused: service tier flex would not be honored", ""),
        (NOVA, "sa-east-1", CONVERSE, PRIORITY, 1, "", "offers the priority tier only from us-east-1"),
        // 3: only secondary sources; 0 with the opt-in.
        (SONNET, "us-east-1", CONVERSE, PRIORITY, 3, "unverified: service tier priority", ""),
        (SONNET, "us-east-1", CONVERSE, &["--service-tier", "priority", "--allow-unverified"], 0, "", ""),
        // 2: invalid input.
        (NOVA, "us-east-1", CONVERSE, &["--service-tier", "turbo"], 2, "", "prefer-priority"),
        // prefer-TIER falls back, exit 0, and says why.
        (LLAMA, "us-east-2", CONVERSE, &["--service-tier", "prefer-flex"], 0, "", "(no flex tier: the catalog lists no flex service tier"),
    ];
    assert_checks(rows);
}

#[test]
fn tiers_with_optimized_latency_are_unverified_and_agents_have_none() {
    #[rustfmt::skip]
    let rows: &[Check<'_>] = &[
        (NOVA, "us-east-1", ("converse", "optimized"), FLEX, 3, "", ""),
        (HAIKU_35, "us-east-2", ("inline-agent", "optimized"), PRIORITY, 1, "", "no service-tier field"),
    ];
    assert_checks(rows);
}

#[test]
fn service_tier_json_says_what_is_sent() {
    let (code, text) = check(NOVA, "us-east-1", &["--service-tier", "prefer-priority", "--json"]);
    assert_eq!(code, 0, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["service_tier"], "priority");
    assert_eq!(v["plan"]["tier_policy"], "prefer-priority");
    assert_eq!(v["plan"]["service_tier"], "priority");
    let (code, text) = check(LLAMA, "us-east-2", &["--service-tier", "reserved", "--json"]);
    assert_eq!(code, 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["refusal"]["reason"]["kind"], "tier-not-offered");
    assert_eq!(v["refusal"]["tier"], "reserved");
}

#[test]
fn strict_lifecycle_refuses_past_end_of_life_and_the_default_warns_prominently() {
    let headline = "PAST END OF LIFE: Anthropic Claude 3.5 Haiku";
    let strict: &[&str] = &["--lifecycle", "strict"];
    #[rustfmt::skip]
    let rows: &[Check<'_>] = &[
        (HAIKU_35, "us-east-2", CONVERSE, strict, 1, headline, "refused: refused by the strict lifecycle policy"),
        // The default: honored, with the same headline first.
        (HAIKU_35, "us-east-2", CONVERSE, &[], 0, &format!("{headline} reached its end-of-life date on 2026-06-19"), "`--lifecycle strict` refuses"),
        // An active model: no headline, strict or not.
        (NOVA, "us-east-1", CONVERSE, strict, 0, "standard:", ""),
        // Invalid input.
        (NOVA, "us-east-1", CONVERSE, &["--lifecycle", "refuse"], 2, "", ""),
    ];
    assert_checks(rows);
    // The headline line links the lifecycle page.
    let (_, text) = check(HAIKU_35, "us-east-2", strict);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.contains("model-lifecycle-legacy.html"), "{text}");
    let (code, text) = check(HAIKU_35, "us-east-2", &["--lifecycle", "warn", "--json"]);
    assert_eq!(code, 0, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["past_end_of_life"], true);
    assert_eq!(v["lifecycle"]["end_of_life"], "2026-06-19");
}

#[test]
fn matrix_shows_tiers() {
    let (code, text) = run(&["matrix"]);
    assert_eq!(code, 0);
    assert_says(&text, &["SERVICE TIERS", "priority?, flex?, reserved"]);
    assert!(
        text.contains("with optimized latency: priority unverified, flex unverified"),
        "{text}"
    );
    let (_, md) = run(&["matrix", "--markdown"]);
    assert!(
        md.contains("| Amazon Nova Pro | `flex` | us-east-1, us-east-2,"),
        "{md}"
    );
    assert!(md.contains("| `flex` | unverified |"), "{md}");
    let (_, json) = run(&["matrix", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["service_tiers"]["with_optimized"]["flex"], "unverified");
    let nova = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == NOVA)
        .unwrap();
    assert_eq!(nova["service_tiers"]["flex"]["treatment"], "honored");
    assert!(
        nova["service_tiers"]["flex"]["source"]["url"]
            .as_str()
            .unwrap()
            .ends_with("service-tiers-inference.html")
    );
}

#[test]
fn compare_refuses_a_priority_arm_the_model_does_not_offer_before_sending() {
    let (code, text) = run(&[
        "compare",
        "--local",
        "--model",
        LLAMA,
        "--priority",
        "--requests",
        "1",
        "--warmup",
        "0",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("service tier priority would not be honored"), "{text}");
}
