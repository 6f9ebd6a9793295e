//! The check of service tiers and lifecycle against the built-in catalog
//! and catalog files.

use super::tests::warning;
use super::*;
use crate::check::{CheckRequest, Plan, Refusal, RefusalReason, Warning};
use crate::vocab::{LatencyPolicy, LifecyclePolicy, TierPolicy};

use LatencyPolicy::{Optimized, PreferOptimized, Standard};
use ServiceTier::{Default as DefaultTier, Flex, Priority, Reserved};

const NOVA: &str = "amazon.nova-pro-v1:0";
const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const LLAMA70: &str = "meta.llama3-1-70b-instruct-v1:0";
const HAIKU35: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

/// The tier and whether optimized latency was asked with it, when `r` refuses
/// a tier as unverified.
fn tier_unverified(r: &Refusal) -> Option<(ServiceTier, bool)> {
    match r.reason {
        RefusalReason::TierUnverified {
            tier, with_optimized, ..
        } => Some((tier, with_optimized)),
        _ => None,
    }
}

/// What a test adds to a request.
#[derive(Clone, Copy, PartialEq)]
enum Extra {
    Nothing,
    UnverifiedTier,
    Strict,
}

/// A request for `model` from `region` on Converse, judged on 2026-12-01.
fn ask(
    catalog: &Catalog,
    model: &str,
    region: &str,
    policy: LatencyPolicy,
    tier: impl Into<TierPolicy>,
    extra: Extra,
) -> std::result::Result<Plan, Refusal> {
    let m = ModelId::parse(model).unwrap();
    let mut req = CheckRequest::new(&m, region, Operation::Converse, policy)
        .service_tier(tier)
        .on(Date::new(2026, 12, 1).unwrap());
    match extra {
        Extra::Nothing => {}
        Extra::UnverifiedTier => req = req.allow_unverified_tier(),
        Extra::Strict => req = req.lifecycle(LifecyclePolicy::Strict),
    }
    catalog.check(&req)
}

fn builtin(
    model: &str,
    region: &str,
    policy: LatencyPolicy,
    tier: impl Into<TierPolicy>,
) -> std::result::Result<Plan, Refusal> {
    ask(Catalog::builtin(), model, region, policy, tier, Extra::Nothing)
}

/// The refusal of `tier` for `model` from `region` at `policy`, which
/// must say `says`.
fn refused(model: &str, region: &str, policy: LatencyPolicy, tier: impl Into<TierPolicy>, says: &str) -> Refusal {
    let r = builtin(model, region, policy, tier).unwrap_err();
    assert!(r.to_string().contains(says), "{says:?} missing: {r}");
    r
}

#[test]
fn a_tier_the_model_offers_from_the_region_is_sent() {
    let p = builtin(NOVA, "us-east-1", Standard, Flex).unwrap();
    assert_eq!(p.service_tier, Some(Flex));
    assert_eq!(p.tier_treatment, Some(Treatment::Honored));
    assert_eq!(p.tier_policy, TierPolicy::Require(Flex));
    assert_eq!(
        p.model_id.as_deref(),
        Some(NOVA),
        "standard latency sends the ID as given"
    );
    assert!(p.to_string().contains("and service tier flex"), "{p}");
    let p = builtin(NOVA, "eu-west-2", Standard, Priority).unwrap();
    assert_eq!(p.service_tier, Some(Priority));
}

#[test]
fn a_tier_not_served_from_the_region_is_refused_or_falls_back() {
    let r = refused(
        NOVA,
        "sa-east-1",
        Standard,
        Priority,
        "offers the priority tier only from us-east-1, us-east-2",
    );
    assert!(
        matches!(r.reason, RefusalReason::TierRegionNotServed { tier: Priority, .. }),
        "{r}"
    );
    let text = r.to_string();
    assert!(
        text.starts_with("service tier priority would not be honored for amazon.nova-pro-v1:0"),
        "{text}"
    );
    assert!(!r.is_unverified());

    let p = builtin(NOVA, "sa-east-1", Standard, TierPolicy::Prefer(Priority)).unwrap();
    assert_eq!(p.service_tier, None);
    assert!(matches!(
        p.tier_fallback,
        Some(RefusalReason::TierRegionNotServed { .. })
    ));
    assert!(
        p.to_string().contains("(no priority tier: Amazon Nova Pro offers"),
        "{p}"
    );
}

#[test]
fn a_tier_the_model_does_not_offer_is_refused() {
    let says = "lists no flex service tier for Meta Llama 3.1 70B Instruct (it lists none but default)";
    let r = refused(LLAMA70, "us-east-2", Standard, Flex, says);
    assert!(
        matches!(r.reason, RefusalReason::TierNotOffered { tier: Flex, .. }),
        "{r}"
    );
    let r = builtin(SONNET, "us-east-1", Standard, TierPolicy::Require(Flex)).unwrap_err();
    // Sonnet 4.5 has flex only from a secondary source: unverified, not "not offered".
    assert!(r.is_unverified(), "{r}");
}

#[test]
fn the_default_tier_is_every_models() {
    for model in [NOVA, LLAMA70, "example.unknown-model-v1:0"] {
        let p = builtin(model, "ap-south-1", Standard, DefaultTier).unwrap();
        assert_eq!(p.service_tier, Some(DefaultTier), "{model}");
    }
    let p = builtin(NOVA, "us-east-1", Optimized, DefaultTier).unwrap();
    assert_eq!((p.latency, p.service_tier), (Latency::Optimized, Some(DefaultTier)));
}

#[test]
fn a_tier_only_secondary_sources_report_needs_an_opt_in() {
    let says = "only secondary sources report the priority tier";
    let r = refused(SONNET, "us-east-1", Standard, Priority, says);
    assert_eq!(tier_unverified(&r), Some((Priority, false)), "{r}");
    assert!(r.is_unverified());
    let p = ask(
        Catalog::builtin(),
        SONNET,
        "us-east-1",
        Standard,
        Priority,
        Extra::UnverifiedTier,
    )
    .unwrap();
    assert_eq!(p.service_tier, Some(Priority));
    assert_eq!(p.tier_treatment, Some(Treatment::Unverified));
}

#[test]
fn reserved_warns_that_it_needs_a_reservation() {
    let p = builtin(SONNET, "us-east-1", Standard, Reserved).unwrap();
    assert_eq!(p.service_tier, Some(Reserved));
    let w = warning(&p, |w| matches!(w, Warning::ReservationNeeded { .. }));
    assert!(w.to_string().contains("\"Reservation not found.\""), "{w}");
    assert!(
        builtin(SONNET, "me-central-1", Standard, Reserved).is_err(),
        "not in the Reserved table's regions"
    );
}

#[test]
fn tiers_with_optimized_latency_follow_the_combination_rule() {
    // flex + optimized: accepted by report, honored unverified.
    let r = refused(NOVA, "us-east-1", Optimized, Flex, "honored together is unverified");
    assert_eq!(tier_unverified(&r), Some((Flex, true)), "{r}");
    assert!(r.is_unverified());
    // A required tier wins over a preferred latency.
    let p = builtin(NOVA, "us-east-1", PreferOptimized, Flex).unwrap();
    assert_eq!((p.latency, p.service_tier), (Latency::Standard, Some(Flex)));
    assert!(matches!(
        p.fallback,
        Some(RefusalReason::TierUnverified {
            with_optimized: true,
            ..
        })
    ));
    assert_eq!(p.model_id.as_deref(), Some(NOVA));
    // A required latency wins over a preferred tier; both preferred: latency.
    for policy in [Optimized, PreferOptimized] {
        let p = builtin(NOVA, "us-east-1", policy, TierPolicy::Prefer(Flex)).unwrap();
        assert_eq!((p.latency, p.service_tier), (Latency::Optimized, None), "{policy}");
        assert!(p.tier_fallback.is_some());
    }
    // Opted in: both are sent, the tier marked unverified.
    let p = ask(
        Catalog::builtin(),
        NOVA,
        "us-east-1",
        Optimized,
        Flex,
        Extra::UnverifiedTier,
    )
    .unwrap();
    assert_eq!((p.latency, p.service_tier), (Latency::Optimized, Some(Flex)));
    assert_eq!(p.tier_treatment, Some(Treatment::Unverified));
    // A catalog file that says the combination is honored.
    let mut c = Catalog::builtin().clone();
    c.merge_json(r#"{"service_tiers": {"with_optimized": {"flex": "honored"}}}"#)
        .unwrap();
    let p = ask(&c, NOVA, "us-east-1", Optimized, Flex, Extra::Nothing).unwrap();
    assert_eq!(
        (p.latency, p.service_tier, p.tier_treatment),
        (Latency::Optimized, Some(Flex), Some(Treatment::Honored))
    );
    assert_eq!(
        c.tier_rules().with_optimized(Priority),
        Treatment::Unverified,
        "the others are kept"
    );
}

#[test]
fn agent_operations_have_no_tier() {
    let m = ModelId::parse(HAIKU35).unwrap();
    let r = Catalog::builtin()
        .check(&CheckRequest::new(&m, "us-east-2", Operation::InlineAgent, Standard).service_tier(DefaultTier))
        .unwrap_err();
    assert!(
        matches!(r.reason, RefusalReason::TierNotOnOperation { tier: DefaultTier }),
        "{r}"
    );
    assert!(r.to_string().contains("tiers exist on bedrock-runtime only"), "{r}");
    let p = Catalog::builtin()
        .check(
            &CheckRequest::without_model("us-east-2", Operation::InvokeAgent, Standard)
                .service_tier(TierPolicy::Prefer(Flex)),
        )
        .unwrap();
    assert_eq!(p.service_tier, None);
    assert!(matches!(
        p.tier_fallback,
        Some(RefusalReason::TierNotOnOperation { .. })
    ));
    assert!(
        Catalog::builtin()
            .check(&CheckRequest::without_model("us-east-2", Operation::InvokeFlow, Standard).service_tier(Flex))
            .is_err()
    );
}

#[test]
fn strict_lifecycle_refuses_past_end_of_life_and_warn_warns() {
    let strict = Extra::Strict;
    for policy in [Standard, Optimized] {
        let r = ask(
            Catalog::builtin(),
            HAIKU35,
            "us-east-2",
            policy,
            TierPolicy::Unset,
            strict,
        )
        .unwrap_err();
        let RefusalReason::PastEndOfLife {
            end_of_life, source, ..
        } = &r.reason
        else {
            panic!("{r}");
        };
        assert_eq!(end_of_life.map(|d| d.to_string()).as_deref(), Some("2026-06-19"));
        assert!(source.ends_with("/model-lifecycle-legacy.html"), "{source}");
        assert!(
            r.to_string().starts_with("refused by the strict lifecycle policy: "),
            "{r}"
        );
    }
    let p = builtin(HAIKU35, "us-east-2", Optimized, TierPolicy::Unset).unwrap();
    assert!(p.past_end_of_life());
    let w = warning(&p, |w| matches!(w, Warning::PastEndOfLife { .. }));
    assert!(w.to_string().contains("model-lifecycle-legacy.html"), "{w}");
    // Before the date, strict sends it; an active model is never refused.
    let m = ModelId::parse(HAIKU35).unwrap();
    let early = CheckRequest::new(&m, "us-east-2", Operation::Converse, Optimized)
        .lifecycle(LifecyclePolicy::Strict)
        .on(Date::new(2026, 6, 1).unwrap());
    assert!(Catalog::builtin().check(&early).is_ok());
    assert!(
        ask(
            Catalog::builtin(),
            NOVA,
            "us-east-1",
            Optimized,
            TierPolicy::Unset,
            strict
        )
        .is_ok()
    );
}

#[test]
fn every_builtin_lifecycle_cites_the_legacy_lifecycle_page() {
    // Every model in the catalog was launched before 2026-09-07.
    for m in Catalog::builtin().models() {
        assert_eq!(
            m.lifecycle.source.url, "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html",
            "{}",
            m.id
        );
    }
}

#[cfg(feature = "toml")]
#[test]
fn catalog_files_add_change_and_remove_tiers() {
    let mut c = Catalog::builtin().clone();
    c.merge_toml(
        r#"
as_of = "2026-12-05"
[[models]]
id = "meta.llama3-1-70b-instruct-v1:0"
service_tiers.flex = { regions = ["us-east-2"] }
[[models]]
id = "amazon.nova-pro-v1:0"
optimized = false
service_tiers = { flex = false, priority = { regions = ["us-east-1"] } }
"#,
    )
    .unwrap();
    let p = ask(&c, LLAMA70, "us-east-2", Standard, Flex, Extra::Nothing).unwrap();
    assert_eq!(p.service_tier, Some(Flex));
    let offer = &c.lookup(LLAMA70).unwrap().0.service_tiers[&Flex];
    assert_eq!(
        offer.treatment,
        Treatment::Honored,
        "a new offer is honored unless it says otherwise"
    );
    assert_eq!(offer.source.url, "catalog TOML");
    let nova = c.lookup(NOVA).unwrap().0;
    assert!(nova.optimized.is_none(), "`optimized = false` removes it");
    assert!(!nova.service_tiers.contains_key(&Flex));
    assert_eq!(
        nova.service_tiers[&Priority].regions.as_deref(),
        Some(&["us-east-1".to_owned()][..])
    );
    assert!(ask(&c, NOVA, "us-east-2", Standard, Priority, Extra::Nothing).is_err());
}

#[test]
fn bad_tier_entries_are_clear_errors() {
    let merge = |json: &str| {
        let mut c = Catalog::builtin().clone();
        c.merge_json(json).map(|_| ()).unwrap_err().to_string()
    };
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": {}}}]}"#);
    assert!(
        e.contains("`service_tiers.flex` is honored but names no `regions`"),
        "{e}"
    );
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"default": {"regions": ["us-east-1"]}}}]}"#);
    assert!(e.contains("`service_tiers.default` is not listed"), "{e}");
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": {"regions": ["Mars"]}}}]}"#);
    assert!(e.contains("\"Mars\" is not a region name"), "{e}");
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": {"regions": []}}}]}"#);
    assert!(e.contains("`service_tiers.flex.regions` is empty"), "{e}");
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": true}}]}"#);
    assert!(e.contains("`false` to remove it"), "{e}");
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"turbo": false}}]}"#);
    assert!(e.contains("turbo"), "{e}");
    let e = merge(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": {"regions": ["us-east-1"], "colour": 1}}}]}"#);
    assert!(e.contains("unknown field `colour`"), "{e}");
    // An unverified offer may leave the regions out.
    let mut c = Catalog::builtin().clone();
    c.merge_json(r#"{"models": [{"id": "x.y", "service_tiers": {"flex": {"treatment": "unverified"}}}]}"#)
        .unwrap();
}

#[test]
fn the_json_form_of_tiers_merges_back_unchanged() {
    let json = serde_json::to_string(&Catalog::builtin().to_json()).unwrap();
    let mut c = Catalog::empty(Catalog::builtin().as_of());
    c.merge_json(&json).unwrap();
    assert_eq!(c.models(), Catalog::builtin().models());
    assert_eq!(c.tier_rules(), Catalog::builtin().tier_rules());
}
