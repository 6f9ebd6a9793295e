//! Standard vs optimized cost: the built-in prices are those of
//! shared/bedrock-facts.md section 6, and a user catalog file overrides them.

use crate::shared_fixtures;

use std::path::PathBuf;

use bedrock_latency::{Catalog, Date, Latency, cost, logs};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// USD per 1,000 input and output tokens.
type Price = (f64, f64);

/// Section 6, per 1,000 tokens (input / output), us regions: standard, optimized.
const TABLE: [(&str, Price, Price); 4] = [
    ("us.amazon.nova-pro-v1:0", (0.0008, 0.0032), (0.001, 0.004)),
    (
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        (0.0008, 0.004),
        (0.001, 0.005),
    ),
    (
        "us.meta.llama3-1-70b-instruct-v1:0",
        (0.00072, 0.00072),
        (0.0009, 0.0009),
    ),
    ("us.meta.llama3-1-405b-instruct-v1:0", (0.0024, 0.0024), (0.003, 0.003)),
];

#[test]
fn builtin_prices_are_the_published_ones() {
    for (model, (si, so), (oi, oo)) in TABLE {
        let c = cost::compare_costs(Catalog::builtin(), model, 2_000, 500).expect(model);
        assert_eq!(c.standard.latency, Latency::Standard);
        assert!(
            close(c.standard.price.input_per_1k, si) && close(c.standard.price.output_per_1k, so),
            "{model}"
        );
        assert!(
            close(c.standard.cost_usd, 2.0 * si + 0.5 * so),
            "{model}: {}",
            c.standard.cost_usd
        );
        let o = c.optimized.expect("offered");
        assert!(close(o.cost_usd, 2.0 * oi + 0.5 * oo), "{model}: {}", o.cost_usd);
        assert!(close(
            c.difference_usd.unwrap_or_default(),
            o.cost_usd - c.standard.cost_usd
        ));
        // "Optimized costs about 25% more."
        let pct = c.difference_percent.unwrap_or_default();
        assert!((pct - 25.0).abs() < 1e-6, "{model}: {pct}");
        assert_eq!(c.as_of, Date::new(2026, 11, 26).expect("date"));
        assert!(
            c.source.url.contains("aws.amazon.com/bedrock/pricing"),
            "{}",
            c.source.url
        );
    }
}

#[test]
fn any_id_form_prices_the_same_model() {
    let arn = "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0";
    let by_arn = cost::compare_costs(Catalog::builtin(), arn, 235, 194).expect("arn");
    let by_base =
        cost::compare_costs(Catalog::builtin(), "anthropic.claude-3-5-haiku-20241022-v1:0", 235, 194).expect("base");
    assert_eq!(by_arn.standard, by_base.standard);
    assert_eq!(by_arn.model_name, "Anthropic Claude 3.5 Haiku");
    assert!(close(
        by_arn.optimized.map(|o| o.cost_usd).unwrap_or_default(),
        0.001205
    ));
}

#[test]
fn models_without_optimized_latency_have_no_optimized_price() {
    let c = cost::compare_costs(
        Catalog::builtin(),
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        1_000,
        1_000,
    )
    .expect("priced");
    assert_eq!(c.optimized, None);
    assert_eq!(c.difference_usd, None);
    assert!(c.standard.cost_usd > 0.0);
}

#[test]
fn unknown_models_are_errors() {
    let err = cost::compare_costs(Catalog::builtin(), "acme.rocket-v9:0", 1, 1).unwrap_err();
    assert!(err.to_string().contains("unknown model"), "{err}");
    let err = cost::compare_costs(Catalog::builtin(), "not a model id", 1, 1).unwrap_err();
    assert!(err.to_string().contains("invalid model identifier"), "{err}");
}

fn override_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("bedrock-latency-{}-{name}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{
  "as_of": "2027-01-15",
  "models": [{
    "id": "anthropic.claude-3-5-haiku-20241022-v1:0",
    "prices": {
      "standard": { "input_per_1k": 0.002, "output_per_1k": 0.01 },
      "optimized": { "input_per_1k": 0.003, "output_per_1k": 0.02 },
      "source": { "url": "our negotiated rate card", "as_of": "2027-01-15" }
    }
  }]
}"#,
    )
    .expect("temp file");
    path
}

#[test]
fn a_catalog_file_overrides_prices() {
    let path = override_file("cost");
    let catalog = Catalog::load(&path).expect("valid catalog");
    let c = cost::compare_costs(&catalog, "us.anthropic.claude-3-5-haiku-20241022-v1:0", 1_000, 1_000).expect("priced");
    assert!(close(c.standard.cost_usd, 0.012), "{}", c.standard.cost_usd);
    assert!(close(c.optimized.map(|o| o.cost_usd).unwrap_or_default(), 0.023));
    assert_eq!(c.as_of, Date::new(2027, 1, 15).expect("date"));
    assert_eq!(c.source.url, "our negotiated rate card");
    // Other models keep the built-in prices.
    let nova = cost::compare_costs(&catalog, "amazon.nova-pro-v1:0", 1_000, 1_000).expect("priced");
    assert!(close(nova.standard.cost_usd, 0.004));

    // The log analyzer prices records with the same catalog.
    let fixture = shared_fixtures::shared_fixture("invocation-log-sample.json");
    let a = logs::analyze_files(&catalog, [fixture]).expect("readable");
    // 235 x 0.003 + 194 x 0.02 per 1,000.
    assert!(close(a.records[0].cost_usd.unwrap_or_default(), 0.004585));
    std::fs::remove_file(path).ok();
}
