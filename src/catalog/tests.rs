use super::*;
use crate::check::{CheckRequest, Plan, Refusal, RefusalReason, Warning};
use crate::vocab::LatencyPolicy;

fn id(s: &str) -> ModelId {
    ModelId::parse(s).unwrap()
}

fn check(model: &str, region: &str, op: Operation, policy: LatencyPolicy) -> std::result::Result<Plan, Refusal> {
    let m = id(model);
    Catalog::builtin().check(&CheckRequest::new(&m, region, op, policy).on(Date::new(2026, 11, 26).unwrap()))
}

#[test]
fn builtin_parses_and_has_the_four_optimized_models() {
    let c = Catalog::builtin();
    let optimized: Vec<&str> = c.optimized_models().map(|m| m.id.as_str()).collect();
    assert_eq!(
        optimized,
        [
            "amazon.nova-pro-v1:0",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "meta.llama3-1-405b-instruct-v1:0",
            "meta.llama3-1-70b-instruct-v1:0"
        ]
    );
    assert!(c.models().iter().filter(|m| m.optimized.is_none()).count() >= 4);
}

#[test]
fn every_builtin_fact_has_a_source_and_date_in_the_json_itself() {
    // Read the raw JSON: defaults filled in at load time must not hide a
    // missing source.
    let raw: serde_json::Value = serde_json::from_str(Catalog::builtin_json()).unwrap();
    let has_source = |v: &serde_json::Value, what: &str| {
        let s = v.get("source").unwrap_or_else(|| panic!("{what}: no source"));
        let url = s["url"].as_str().unwrap_or_else(|| panic!("{what}: no url"));
        assert!(url.starts_with("https://"), "{what}: url {url:?}");
        let date: Date = s["as_of"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no as_of"))
            .parse()
            .unwrap();
        assert!(date >= Date::new(2024, 12, 1).unwrap(), "{what}: {date}");
    };
    has_source(&raw["operations"], "operations");
    for m in raw["models"].as_array().unwrap() {
        let name = m["id"].as_str().unwrap();
        has_source(m, name);
        has_source(&m["lifecycle"], &format!("{name} lifecycle"));
        if !m["optimized"].is_null() {
            has_source(&m["optimized"], &format!("{name} optimized"));
        }
        if !m["prices"].is_null() {
            has_source(&m["prices"], &format!("{name} prices"));
        }
    }
    // And the loaded catalog agrees.
    for m in Catalog::builtin().models() {
        assert!(
            !m.source.url.is_empty() && !m.lifecycle.source.url.is_empty(),
            "{}",
            m.id
        );
    }
}

#[test]
fn typed_markers_agree_with_the_catalog() {
    use crate::models::TYPED_MODELS;
    for t in TYPED_MODELS {
        let (entry, _) = Catalog::builtin().lookup(t.base_model_id).unwrap();
        let honored: Vec<Operation> = entry
            .optimized
            .as_ref()
            .map(|o| {
                o.operations
                    .iter()
                    .filter(|(_, t)| **t == Treatment::Honored)
                    .map(|(op, _)| *op)
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(t.optimized_operations, honored.as_slice(), "{}", t.type_name);
    }
    assert_eq!(TYPED_MODELS.len(), Catalog::builtin().models().len());
}

#[test]
fn the_checks_the_issue_names() {
    use LatencyPolicy::*;
    use Operation::*;
    let haiku = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
    let plan = check(haiku, "us-east-2", Converse, Optimized).unwrap();
    assert_eq!(plan.latency, Latency::Optimized);
    assert_eq!(plan.model_id.as_deref(), Some(haiku));

    let r = check(haiku, "us-east-1", Converse, Optimized).unwrap_err();
    assert!(matches!(r.reason, RefusalReason::RegionNotServed { .. }));
    assert!(r.to_string().contains("us-east-2, us-west-2"), "{r}");

    assert!(check("us.meta.llama3-1-405b-instruct-v1:0", "us-west-2", Converse, Optimized).is_err());

    let nova = check("amazon.nova-pro-v1:0", "us-east-1", Converse, Optimized).unwrap();
    assert_eq!(nova.model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"));
    assert!(nova.warnings.is_empty(), "{:?}", nova.warnings);
    let eu = check("eu.amazon.nova-pro-v1:0", "us-east-1", Converse, Optimized).unwrap();
    assert_eq!(eu.model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"));
    assert!(
        eu.warnings
            .iter()
            .any(|w| matches!(w, Warning::ProfileSubstituted { .. }))
    );

    let r = check(haiku, "us-east-2", InvokeAgent, Optimized).unwrap_err();
    assert!(matches!(r.reason, RefusalReason::OperationIgnores { .. }), "{r}");
    assert!(check(haiku, "us-east-2", RetrieveAndGenerate, Optimized).is_ok());
    assert!(check(haiku, "us-east-2", InlineAgent, Optimized).is_ok());
    assert!(
        check(haiku, "us-east-2", InvokeFlow, Optimized)
            .unwrap_err()
            .is_unverified()
    );

    let r = check(
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us-east-1",
        Converse,
        Optimized,
    )
    .unwrap_err();
    assert!(r.to_string().contains("Amazon Nova Pro"), "{r}");

    for op in Operation::ALL {
        let p = check("amazon.nova-lite-v1:0", "eu-west-1", op, Standard).unwrap();
        assert_eq!(p.latency, Latency::Standard);
        assert_eq!(p.model_id.as_deref(), Some("amazon.nova-lite-v1:0"));
    }
}

#[test]
fn prefer_optimized_falls_back_and_says_why() {
    let p = check(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "eu-west-1",
        Operation::Converse,
        LatencyPolicy::PreferOptimized,
    )
    .unwrap();
    assert_eq!(p.latency, Latency::Standard);
    assert!(matches!(p.fallback, Some(RefusalReason::RegionNotServed { .. })));
}

#[test]
fn lifecycle_warns_but_does_not_refuse() {
    // Claude 3.5 Haiku's end of life (2026-06-19) is before the check date.
    let p = check(
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "us-west-2",
        Operation::ConverseStream,
        LatencyPolicy::Optimized,
    )
    .unwrap();
    assert!(
        p.warnings.iter().any(|w| matches!(w, Warning::PastEndOfLife { .. })),
        "{:?}",
        p.warnings
    );
    let m = id("us.meta.llama3-1-70b-instruct-v1:0");
    let before = Catalog::builtin()
        .check(
            &CheckRequest::new(&m, "us-east-2", Operation::Converse, LatencyPolicy::Optimized)
                .on(Date::new(2025, 1, 1).unwrap()),
        )
        .unwrap();
    assert!(before.warnings.is_empty(), "{:?}", before.warnings);
}

/// The first of `p`'s warnings that `which` picks (the test fails without one).
pub(super) fn warning(p: &Plan, which: fn(&Warning) -> bool) -> &Warning {
    p.warnings.iter().find(|w| which(w)).expect("the warning")
}

#[test]
fn token_cap_is_reported() {
    let m = id("us.meta.llama3-1-405b-instruct-v1:0");
    let p = Catalog::builtin()
        .check(&CheckRequest::new(&m, "us-east-2", Operation::Converse, LatencyPolicy::Optimized).total_tokens(12_000))
        .unwrap();
    let w = warning(&p, |w| matches!(w, Warning::TokenCap { .. }));
    assert!(w.to_string().contains("served standard"), "{w}");
}

#[test]
fn unknown_models() {
    let r = check(
        "anthropic.claude-3-5-haiku-20241022-v2:0",
        "us-east-2",
        Operation::Converse,
        LatencyPolicy::Optimized,
    )
    .unwrap_err();
    match &r.reason {
        RefusalReason::UnknownModel { suggestions } => {
            assert_eq!(suggestions[0], "anthropic.claude-3-5-haiku-20241022-v1:0")
        }
        other => panic!("{other:?}"),
    }
    let p = check(
        "writer.palmyra-x5-v1:0",
        "us-west-2",
        Operation::Converse,
        LatencyPolicy::Standard,
    )
    .unwrap();
    assert_eq!(p.warnings, [Warning::NotInCatalog]);
    let e = Catalog::builtin()
        .lookup("writer.palmyra-x5-v1:0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not in the latency catalog"), "{e}");
}

#[test]
fn user_catalog_adds_and_overrides() {
    let mut c = Catalog::builtin().clone();
    c.merge_json(
        r#"{"as_of": "2026-12-01", "models": [
            {"id": "amazon.nova-premier-v1:0", "name": "Amazon Nova Premier",
             "inference_profiles": ["us.amazon.nova-premier-v1:0"],
             "optimized": {"regions": ["us-east-2"]}},
            {"id": "amazon.nova-pro-v1:0", "prices": {"standard": {"input_per_1k": 0.5, "output_per_1k": 1.0}}},
            {"id": "meta.llama3-1-70b-instruct-v1:0", "optimized": null}
        ]}"#,
    )
    .unwrap();
    let m = id("amazon.nova-premier-v1:0");
    let p = c
        .check(&CheckRequest::new(
            &m,
            "us-east-2",
            Operation::Converse,
            LatencyPolicy::Optimized,
        ))
        .unwrap();
    assert_eq!(p.model_id.as_deref(), Some("us.amazon.nova-premier-v1:0"));
    let (premier, _) = c.lookup("amazon.nova-premier-v1:0").unwrap();
    assert_eq!(premier.source.url, "catalog JSON");
    assert_eq!(premier.source.as_of.to_string(), "2026-12-01");
    assert_eq!(
        premier.optimized.as_ref().unwrap().treatment(Operation::InvokeAgent),
        Treatment::Ignored
    );

    let (pro, _) = c.lookup("amazon.nova-pro-v1:0").unwrap();
    assert_eq!(pro.prices.as_ref().unwrap().standard.input_per_1k, 0.5);
    assert!(pro.optimized.is_some(), "fields not in the patch are kept");
    let (l70, _) = c.lookup("meta.llama3-1-70b-instruct-v1:0").unwrap();
    assert!(l70.optimized.is_none());
    assert_eq!(c.as_of().to_string(), "2026-12-01");
}

#[test]
fn bad_user_catalogs_are_clear_errors() {
    for (json, needle) in [
        ("{", "EOF"),
        (r#"{"models": [{"id": "us.amazon.nova-pro-v1:0"}]}"#, "base model ID"),
        (
            r#"{"models": [{"id": "x.y", "optimized": {"regions": ["mars"]}, "inference_profiles": ["us.x.y"]}]}"#,
            "mars",
        ),
        (
            r#"{"models": [{"id": "x.y", "optimized": {"regions": ["eu-west-1"]}}]}"#,
            "optimized.profile",
        ),
        (
            r#"{"models": [{"id": "x.y", "inference_profiles": ["us.x.z"]}]}"#,
            "not an inference profile",
        ),
        (r#"{"models": [{"id": "x.y", "colour": "red"}]}"#, "colour"),
        (
            r#"{"models": [{"id": "x.y", "prices": {"standard": {"input_per_1k": -1, "output_per_1k": 0}}}]}"#,
            "negative",
        ),
    ] {
        let mut c = Catalog::builtin().clone();
        let e = c.merge_json(json).unwrap_err().to_string();
        assert!(e.contains(needle), "{json}: {e}");
        assert_eq!(&c, Catalog::builtin(), "a failed merge leaves the catalog unchanged");
    }
}

#[cfg(feature = "toml")]
#[test]
fn toml_catalogs() {
    let mut c = Catalog::builtin().clone();
    c.merge_toml(
        r#"
as_of = 2026-12-01
[[models]]
id = "amazon.nova-premier-v1:0"
inference_profiles = ["us.amazon.nova-premier-v1:0"]
optimized = { regions = ["us-east-2"] }
lifecycle = { status = "legacy", end_of_life = "2027-01-01" }
"#,
    )
    .unwrap();
    let (m, _) = c.lookup("us.amazon.nova-premier-v1:0").unwrap();
    assert_eq!(m.lifecycle.status, LifecycleStatus::Legacy);
    assert_eq!(m.source.as_of.to_string(), "2026-12-01");
}

#[test]
fn json_output_round_trips() {
    let json = Catalog::builtin().to_json().to_string();
    let mut c = Catalog::empty(Catalog::builtin().as_of());
    c.merge_json(&json).unwrap();
    assert_eq!(&c, Catalog::builtin());
}

#[test]
fn profile_for_region_prefers_specific_geographies() {
    let (s45, _) = Catalog::builtin()
        .lookup("anthropic.claude-sonnet-4-5-20250929-v1:0")
        .unwrap();
    assert_eq!(
        s45.profile_for_region("ap-northeast-1"),
        Some("jp.anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    let (s4, _) = Catalog::builtin()
        .lookup("anthropic.claude-sonnet-4-20250514-v1:0")
        .unwrap();
    assert_eq!(
        s4.profile_for_region("ap-northeast-1"),
        Some("apac.anthropic.claude-sonnet-4-20250514-v1:0")
    );
    assert_eq!(s4.profile_for_region("sa-east-1"), None);
}
