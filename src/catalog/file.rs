//! The catalog file format (JSON or TOML) and how a file is merged.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Catalog, Lifecycle, LifecycleStatus, ModelEntry, OptimizedSupport, Prices, Source, TokenPrice};
use crate::date::Date;
use crate::model_id::{IdForm, ModelId, is_region_like};
use crate::vocab::{Operation, Treatment};
use crate::{Error, Result};

/// A catalog document: every field optional but each model's `id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) schema_version: Option<u32>,
    #[serde(default)]
    pub(crate) as_of: Option<Date>,
    #[serde(default)]
    pub(crate) operations: Option<OperationsFile>,
    #[serde(default)]
    pub(crate) models: Vec<ModelPatch>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperationsFile {
    treatments: BTreeMap<Operation, Treatment>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelPatch {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    inference_profiles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    optimized: Option<Option<OptimizedPatch>>,
    #[serde(default)]
    lifecycle: Option<LifecyclePatch>,
    #[serde(default, deserialize_with = "nullable")]
    prices: Option<Option<PricesPatch>>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptimizedPatch {
    #[serde(default)]
    profile: Option<String>,
    regions: Vec<String>,
    #[serde(default)]
    operations: Option<BTreeMap<Operation, Treatment>>,
    #[serde(default)]
    max_total_tokens: Option<u32>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecyclePatch {
    status: LifecycleStatus,
    #[serde(default)]
    legacy_since: Option<Date>,
    #[serde(default)]
    end_of_life: Option<Date>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesPatch {
    standard: TokenPrice,
    #[serde(default)]
    optimized: Option<TokenPrice>,
    #[serde(default)]
    source: Option<Source>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The operation table of the built-in catalog, read without building it.
pub(super) fn builtin_operations() -> (BTreeMap<Operation, Treatment>, Source) {
    let file: CatalogFile = serde_json::from_str(super::BUILTIN_JSON).expect("builtin.json is valid (tested)");
    let ops = file.operations.expect("builtin.json has an operation table (tested)");
    (
        ops.treatments,
        ops.source.expect("builtin operation table has a source (tested)"),
    )
}

impl Catalog {
    /// Merges a parsed file; on error the catalog is left unchanged.
    pub(super) fn apply(&mut self, file: CatalogFile, origin: &str) -> Result<()> {
        let bad = |reason: String| Error::Catalog {
            origin: origin.to_owned(),
            reason,
        };
        let file_date = file.as_of.unwrap_or_else(Date::today);
        let default_source = Source::new(origin, file_date);
        let mut next = self.clone();
        if let Some(ops) = file.operations {
            for op in Operation::ALL {
                next.operations
                    .insert(op, ops.treatments.get(&op).copied().unwrap_or(Treatment::Unverified));
            }
            next.operations_source = ops.source.unwrap_or_else(|| default_source.clone());
        }
        for patch in file.models {
            let id = ModelId::parse(&patch.id).map_err(|e| bad(format!("model {:?}: {e}", patch.id)))?;
            if id.form() != IdForm::BaseModel {
                return Err(bad(format!(
                    "model {:?}: `id` must be a base model ID such as `amazon.nova-pro-v1:0`, not a profile or ARN",
                    patch.id
                )));
            }
            let existing = next.index.get(id.as_str()).map(|&i| next.models[i].clone());
            let entry = patch_entry(existing, patch, &default_source, &next.operations);
            validate_entry(&entry, origin)?;
            match next.index.get(&entry.id) {
                Some(&i) => next.models[i] = entry,
                None => {
                    next.index.insert(entry.id.clone(), next.models.len());
                    next.models.push(entry);
                }
            }
        }
        next.as_of = next.as_of.max(file_date);
        *self = next;
        Ok(())
    }

    /// The catalog as a JSON document in the file format (what
    /// `bedrock-latency matrix --json` prints); it merges back unchanged.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema_version": 1,
            "as_of": self.as_of,
            "operations": { "treatments": self.operations, "source": self.operations_source },
            "models": self.models,
        })
    }
}

fn patch_entry(
    existing: Option<ModelEntry>,
    p: ModelPatch,
    default_source: &Source,
    operations: &BTreeMap<Operation, Treatment>,
) -> ModelEntry {
    let source = p.source.clone().unwrap_or_else(|| default_source.clone());
    let mut e = existing.unwrap_or_else(|| ModelEntry {
        id: p.id.trim().to_owned(),
        name: p.id.trim().to_owned(),
        provider: p.id.split('.').next().unwrap_or_default().to_owned(),
        inference_profiles: Vec::new(),
        optimized: None,
        lifecycle: Lifecycle {
            status: LifecycleStatus::Active,
            legacy_since: None,
            end_of_life: None,
            source: source.clone(),
        },
        prices: None,
        source: source.clone(),
    });
    if let Some(n) = p.name {
        e.name = n;
    }
    if let Some(v) = p.provider {
        e.provider = v;
    }
    if let Some(v) = p.inference_profiles {
        e.inference_profiles = v;
    }
    if let Some(s) = p.source {
        e.source = s;
    }
    if let Some(l) = p.lifecycle {
        e.lifecycle = Lifecycle {
            status: l.status,
            legacy_since: l.legacy_since,
            end_of_life: l.end_of_life,
            source: l.source.unwrap_or_else(|| source.clone()),
        };
    }
    match p.prices {
        None => {}
        Some(None) => e.prices = None,
        Some(Some(pr)) => {
            e.prices = Some(Prices {
                standard: pr.standard,
                optimized: pr.optimized,
                source: pr.source.unwrap_or_else(|| source.clone()),
            })
        }
    }
    match p.optimized {
        None => {}
        Some(None) => e.optimized = None,
        Some(Some(o)) => {
            let profile = o.profile.or_else(|| {
                o.regions
                    .first()
                    .and_then(|r| e.profile_for_region(r))
                    .map(str::to_owned)
            });
            let profile = profile.unwrap_or_default();
            if !profile.is_empty() && !e.inference_profiles.contains(&profile) {
                e.inference_profiles.push(profile.clone());
            }
            e.optimized = Some(OptimizedSupport {
                profile,
                regions: o.regions,
                operations: o.operations.unwrap_or_else(|| operations.clone()),
                max_total_tokens: o.max_total_tokens,
                source: o.source.unwrap_or_else(|| source.clone()),
            });
        }
    }
    e
}

/// Checks one entry: IDs well formed and consistent, regions, prices, sources.
pub(super) fn validate_entry(e: &ModelEntry, origin: &str) -> Result<()> {
    let bad = |reason: String| Error::Catalog {
        origin: origin.to_owned(),
        reason: format!("model {:?}: {reason}", e.id),
    };
    let id = ModelId::parse(&e.id).map_err(|x| bad(x.to_string()))?;
    if id.form() != IdForm::BaseModel {
        return Err(bad("`id` must be a base model ID".into()));
    }
    for p in &e.inference_profiles {
        let pid = ModelId::parse(p).map_err(|x| bad(x.to_string()))?;
        if pid.form() != IdForm::InferenceProfile || pid.base_model_id() != e.id {
            return Err(bad(format!("{p:?} is not an inference profile of this model")));
        }
    }
    let sources = [Some(&e.source), Some(&e.lifecycle.source)].into_iter().chain([
        e.optimized.as_ref().map(|o| &o.source),
        e.prices.as_ref().map(|p| &p.source),
    ]);
    for s in sources.flatten() {
        if s.url.trim().is_empty() {
            return Err(bad("a source has an empty `url`".into()));
        }
    }
    if let Some(o) = &e.optimized {
        if o.regions.is_empty() {
            return Err(bad("`optimized.regions` is empty".into()));
        }
        if let Some(r) = o.regions.iter().find(|r| !is_region_like(r)) {
            return Err(bad(format!("{r:?} is not a region name like us-east-2")));
        }
        if o.profile.is_empty() {
            return Err(bad(
                "`optimized.profile` is missing and no inference profile matches its first region".into(),
            ));
        }
        if !e.inference_profiles.contains(&o.profile) {
            return Err(bad(format!(
                "optimized profile {:?} is not among its inference profiles",
                o.profile
            )));
        }
    }
    if let Some(p) = &e.prices {
        let all = [Some(p.standard), p.optimized];
        if all.iter().flatten().any(|t| {
            !(t.input_per_1k.is_finite()
                && t.output_per_1k.is_finite()
                && t.input_per_1k >= 0.0
                && t.output_per_1k >= 0.0)
        }) {
            return Err(bad("prices must be finite and not negative".into()));
        }
    }
    Ok(())
}
