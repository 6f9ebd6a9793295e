//! What a request costs, standard vs latency-optimized, from the catalog's
//! price table.
//!
//! Prices are data with a source and an "as of" date (the built-in table:
//! AWS pricing page, US regions, on-demand), and change over time: a user
//! catalog file overrides them ([`Catalog::load`], [`Catalog::merge_file`],
//! field `prices`).
//!
//! ```
//! use bedrock_latency::{Catalog, cost};
//! let c = cost::compare_costs(Catalog::builtin(), "us.meta.llama3-1-70b-instruct-v1:0", 1_000, 1_000)?;
//! assert!((c.standard.cost_usd - 0.00144).abs() < 1e-12);
//! assert!((c.optimized.as_ref().map(|o| o.cost_usd).unwrap_or_default() - 0.0018).abs() < 1e-12);
//! assert!((c.difference_usd.unwrap_or_default() - 0.00036).abs() < 1e-12);
//! # Ok::<(), bedrock_latency::Error>(())
//! ```

use serde::Serialize;

use crate::catalog::{Catalog, ModelEntry, Source, TokenPrice};
use crate::date::Date;
use crate::vocab::Latency;
use crate::{Error, Result};

/// The cost of some tokens at one latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TierCost {
    /// The latency these prices are for.
    pub latency: Latency,
    /// USD per 1,000 input and output tokens.
    pub price: TokenPrice,
    /// The cost in USD.
    pub cost_usd: f64,
}

/// Standard and latency-optimized cost of the same tokens on one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostComparison {
    /// The model ID as given.
    pub model_id: String,
    /// The base model ID it names.
    pub base_model_id: String,
    /// The model's name.
    pub model_name: String,
    /// Input tokens priced.
    pub input_tokens: u64,
    /// Output tokens priced.
    pub output_tokens: u64,
    /// At standard latency.
    pub standard: TierCost,
    /// At optimized latency; `None` when the model does not offer it (or the
    /// catalog has no optimized price for it).
    pub optimized: Option<TierCost>,
    /// Optimized minus standard, in USD.
    pub difference_usd: Option<f64>,
    /// Optimized over standard minus one, in percent (`25.0` = 25% more).
    pub difference_percent: Option<f64>,
    /// When the prices were read.
    pub as_of: Date,
    /// Where the prices come from.
    pub source: Source,
}

/// The cost in USD of `input` and `output` tokens on `entry` at `latency`;
/// `None` when the catalog has no price for it.
pub fn cost(entry: &ModelEntry, latency: Latency, input: u64, output: u64) -> Option<f64> {
    Some(entry.prices.as_ref()?.for_latency(latency)?.cost(input, output))
}

/// Prices `input_tokens` and `output_tokens` on `model` (any ID form: base
/// ID, inference profile, ARN) at standard and optimized latency.
///
/// Fails when the ID is invalid, the model is not in the catalog, or the
/// catalog has no prices for it.
pub fn compare_costs(catalog: &Catalog, model: &str, input_tokens: u64, output_tokens: u64) -> Result<CostComparison> {
    let (entry, id) = catalog.lookup(model)?;
    let prices = entry.prices.as_ref().ok_or_else(|| Error::Catalog {
        origin: "prices".to_owned(),
        reason: format!(
            "no prices for {} ({}); add them with a catalog file (`prices`)",
            entry.name, entry.id
        ),
    })?;
    let tier = |latency: Latency, price: TokenPrice| TierCost {
        latency,
        price,
        cost_usd: price.cost(input_tokens, output_tokens),
    };
    let standard = tier(Latency::Standard, prices.standard);
    let optimized = match (&entry.optimized, prices.optimized) {
        (Some(_), Some(p)) => Some(tier(Latency::Optimized, p)),
        _ => None,
    };
    let difference_usd = optimized.map(|o| o.cost_usd - standard.cost_usd);
    let difference_percent = optimized
        .filter(|_| standard.cost_usd > 0.0)
        .map(|o| (o.cost_usd / standard.cost_usd - 1.0) * 100.0);
    Ok(CostComparison {
        model_id: id.as_str().to_owned(),
        base_model_id: entry.id.clone(),
        model_name: entry.name.clone(),
        input_tokens,
        output_tokens,
        standard,
        optimized,
        difference_usd,
        difference_percent,
        as_of: prices.source.as_of,
        source: prices.source.clone(),
    })
}
