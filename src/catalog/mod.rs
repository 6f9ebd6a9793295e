//! The latency support catalog: models x regions x operations x lifecycle,
//! every fact with its source and "as of" date.
//!
//! The built-in catalog is data (`src/catalog/builtin.json`), compiled in and
//! parsed once. Users extend or override it at run time with a JSON or TOML
//! file in the same format ([`Catalog::load`], [`Catalog::merge_json`],
//! [`Catalog::merge_toml`]) or in code ([`Catalog::insert`]), since AWS adds
//! models faster than crates release.
//!
//! # File format
//!
//! ```json
//! {
//!   "as_of": "2026-12-01",
//!   "models": [{
//!     "id": "amazon.nova-premier-v1:0",
//!     "name": "Amazon Nova Premier",
//!     "inference_profiles": ["us.amazon.nova-premier-v1:0"],
//!     "optimized": { "profile": "us.amazon.nova-premier-v1:0", "regions": ["us-east-2"] },
//!     "source": { "url": "https://example.com/our-test", "as_of": "2026-12-01" }
//!   }]
//! }
//! ```
//!
//! Every field but `id` is optional. A model whose `id` is already known is
//! updated field by field (so a file can change only `prices`, say); `null`
//! removes optional facts (`"optimized": null`). Missing `source`s default to
//! the file itself with the file's `as_of` date (or today). Missing
//! `optimized.operations` use the catalog-wide operation table.

mod file;
mod tiers;
mod validate;
mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::model_id::{Geography, ModelId};
use crate::vocab::{Latency, Operation, ServiceTier, Treatment};
use crate::{Error, Result};

pub(crate) use file::CatalogFile;
pub use tiers::{TierOffer, TierRules};

/// Where a fact comes from, and when it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// A URL, or a description such as `catalog file ./models.toml`.
    pub url: String,
    /// When the source was read.
    pub as_of: Date,
    /// Anything a reader should know (quotes, contradictions, UNCONFIRMED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Source {
    /// A source with no note.
    pub fn new(url: impl Into<String>, as_of: Date) -> Self {
        Self {
            url: url.into(),
            as_of,
            note: None,
        }
    }
}

/// A model's lifecycle stage on Bedrock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifecycleStatus {
    /// Available and not scheduled for retirement.
    Active,
    /// Still served, scheduled for end of life.
    Legacy,
    /// No longer served.
    EndOfLife,
}

/// A model's lifecycle, with dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The stage as the source states it.
    pub status: LifecycleStatus,
    /// When the model became legacy, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_since: Option<Date>,
    /// When the model stops (or stopped) being served, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life: Option<Date>,
    /// Where this comes from.
    pub source: Source,
}

impl Lifecycle {
    /// The stage on `today`: a model past its end-of-life date is
    /// [`LifecycleStatus::EndOfLife`] whatever the source said.
    pub fn status_on(&self, today: Date) -> LifecycleStatus {
        match self.end_of_life {
            Some(eol) if eol <= today => LifecycleStatus::EndOfLife,
            _ => self.status,
        }
    }
}

/// Where and how a model serves latency-optimized inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizedSupport {
    /// The inference profile ID that optimized requests must use.
    pub profile: String,
    /// Source regions (where the call is made) that serve it.
    pub regions: Vec<String>,
    /// How each operation treats the setting for this model.
    pub operations: BTreeMap<Operation, Treatment>,
    /// Above this many input + output tokens, requests are served standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_total_tokens: Option<u32>,
    /// Where this comes from.
    pub source: Source,
}

impl OptimizedSupport {
    /// How `op` treats the setting (unverified if the table lacks it).
    pub fn treatment(&self, op: Operation) -> Treatment {
        self.operations.get(&op).copied().unwrap_or(Treatment::Unverified)
    }

    /// Whether calls from `region` are served optimized.
    pub fn serves_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r == region)
    }
}

/// Price per 1,000 tokens, in USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenPrice {
    /// USD per 1,000 input tokens.
    pub input_per_1k: f64,
    /// USD per 1,000 output tokens.
    pub output_per_1k: f64,
}

impl TokenPrice {
    /// The cost in USD of `input` and `output` tokens.
    pub fn cost(&self, input: u64, output: u64) -> f64 {
        (input as f64 * self.input_per_1k + output as f64 * self.output_per_1k) / 1000.0
    }
}

/// A model's on-demand prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Standard latency.
    pub standard: TokenPrice,
    /// Latency-optimized, where offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimized: Option<TokenPrice>,
    /// Where this comes from.
    pub source: Source,
}

impl Prices {
    /// The price for `latency`, if known.
    pub fn for_latency(&self, latency: Latency) -> Option<TokenPrice> {
        match latency {
            Latency::Standard => Some(self.standard),
            Latency::Optimized => self.optimized,
        }
    }
}

/// Everything the catalog knows about one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// The base model ID (`anthropic.claude-3-5-haiku-20241022-v1:0`).
    pub id: String,
    /// A human name (`Anthropic Claude 3.5 Haiku`).
    pub name: String,
    /// The model provider.
    pub provider: String,
    /// Known cross-region inference profile IDs.
    pub inference_profiles: Vec<String>,
    /// Latency-optimized support; `None` means the model has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimized: Option<OptimizedSupport>,
    /// Lifecycle stage and dates.
    pub lifecycle: Lifecycle,
    /// On-demand prices, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Prices>,
    /// The service tiers the model offers besides `default` (which every
    /// model has), with their regions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_tiers: BTreeMap<ServiceTier, TierOffer>,
    /// Where the model facts come from.
    pub source: Source,
}

impl ModelEntry {
    /// An entry that knows only its base model ID (`id`, used as its name
    /// too), active, with every fact from `source`.
    pub(crate) fn bare(id: &str, source: Source) -> ModelEntry {
        ModelEntry {
            id: id.to_owned(),
            name: id.to_owned(),
            provider: id.split('.').next().unwrap_or_default().to_owned(),
            inference_profiles: Vec::new(),
            optimized: None,
            lifecycle: Lifecycle {
                status: LifecycleStatus::Active,
                legacy_since: None,
                end_of_life: None,
                source: source.clone(),
            },
            prices: None,
            service_tiers: BTreeMap::new(),
            source,
        }
    }

    /// The inference profile a call from `region` should use: the most
    /// specific geography first (`jp.` before `apac.` in Tokyo).
    pub fn profile_for_region(&self, region: &str) -> Option<&str> {
        Geography::for_region(region).iter().find_map(|g| {
            self.inference_profiles.iter().map(String::as_str).find(|p| {
                p.len() > g.prefix().len() && p.starts_with(g.prefix()) && p.as_bytes()[g.prefix().len()] == b'.'
            })
        })
    }
}

/// The catalog: models by base ID, plus the default operation table.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    as_of: Date,
    operations: BTreeMap<Operation, Treatment>,
    operations_source: Source,
    tier_rules: TierRules,
    models: Vec<ModelEntry>,
    /// Model entries by base model ID. Every request looks its model up
    /// here; foldhash instead of SipHash (the keys are the catalog's own,
    /// not the caller's to choose): callgrind of the overhead bench showed
    /// SipHash at about 250 instructions a call.
    index: HashMap<String, usize, foldhash::fast::RandomState>,
}

static BUILTIN: OnceLock<Catalog> = OnceLock::new();
const BUILTIN_JSON: &str = include_str!("builtin.json");

impl Catalog {
    /// The catalog compiled into this crate.
    pub fn builtin() -> &'static Catalog {
        BUILTIN.get_or_init(|| {
            let file: CatalogFile = serde_json::from_str(BUILTIN_JSON).expect("builtin.json is valid (tested)");
            let mut c = Catalog::empty(file.as_of.unwrap_or_else(Date::today));
            c.apply(file, "builtin").expect("builtin.json is complete (tested)");
            c
        })
    }

    /// The raw JSON of the built-in catalog.
    pub fn builtin_json() -> &'static str {
        BUILTIN_JSON
    }

    /// A catalog with no models, whose operation table is the built-in one.
    pub fn empty(as_of: Date) -> Catalog {
        let (operations, operations_source, tier_rules) = match BUILTIN.get() {
            Some(b) => (b.operations.clone(), b.operations_source.clone(), b.tier_rules.clone()),
            None => file::builtin_tables(),
        };
        Catalog {
            as_of,
            operations,
            operations_source,
            tier_rules,
            models: Vec::new(),
            index: HashMap::default(),
        }
    }

    /// The built-in catalog extended by a JSON or TOML file (by extension;
    /// `.toml` needs the `toml` feature, on by default).
    pub fn load(path: impl AsRef<Path>) -> Result<Catalog> {
        let mut c = Catalog::builtin().clone();
        c.merge_file(path)?;
        Ok(c)
    }

    /// Merges a JSON or TOML file into this catalog.
    pub fn merge_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        self.merge_path(path.as_ref())
    }

    /// Merges a catalog document in JSON.
    pub fn merge_json(&mut self, json: &str) -> Result<&mut Self> {
        self.merge_json_named(json, "JSON")
    }

    /// Merges a catalog document in TOML (same fields as the JSON form).
    #[cfg(feature = "toml")]
    pub fn merge_toml(&mut self, text: &str) -> Result<&mut Self> {
        self.merge_toml_named(text, "TOML")
    }

    /// Adds a model, or replaces the one with the same base ID.
    pub fn insert(&mut self, entry: ModelEntry) -> Result<&mut Self> {
        validate::validate_entry(&entry, "inserted model")?;
        match self.index.get(&entry.id) {
            Some(&i) => self.models[i] = entry,
            None => {
                self.index.insert(entry.id.clone(), self.models.len());
                self.models.push(entry);
            }
        }
        Ok(self)
    }

    /// When the catalog's facts were last checked (the newest file merged).
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// Every model, in catalog order.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The catalog-wide operation table (used where a model gives none).
    pub fn operations(&self) -> &BTreeMap<Operation, Treatment> {
        &self.operations
    }

    /// The source of the operation table.
    pub fn operations_source(&self) -> &Source {
        &self.operations_source
    }

    /// The entry for a parsed identifier, if known.
    pub fn model(&self, id: &ModelId) -> Option<&ModelEntry> {
        self.index.get(id.base_model_id()).map(|&i| &self.models[i])
    }

    /// Parses `id` (any form) and finds its entry.
    pub fn lookup(&self, id: &str) -> Result<(&ModelEntry, ModelId)> {
        let parsed = ModelId::parse(id)?;
        match self.model(&parsed) {
            Some(e) => Ok((e, parsed)),
            None => Err(Error::UnknownModel {
                id: parsed.as_str().to_owned(),
                suggestions: self.suggestions(&parsed),
            }),
        }
    }

    /// Known model IDs that resemble an unknown one (same provider, longest
    /// shared prefix), at most two.
    pub fn suggestions(&self, id: &ModelId) -> Vec<String> {
        let wanted = id.base_model_id();
        let provider_len = wanted.find('.').map_or(0, |i| i + 1);
        let mut scored: Vec<(usize, &str)> = self
            .models
            .iter()
            .map(|m| {
                let shared = m.id.bytes().zip(wanted.bytes()).take_while(|(a, b)| a == b).count();
                (shared, m.id.as_str())
            })
            .filter(|(shared, _)| *shared >= provider_len + 4)
            .collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        scored.into_iter().take(2).map(|(_, id)| id.to_owned()).collect()
    }

    /// Names of the models that offer latency-optimized inference at all.
    pub fn optimized_models(&self) -> impl Iterator<Item = &ModelEntry> {
        self.models.iter().filter(|m| m.optimized.is_some())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tier_tests;
