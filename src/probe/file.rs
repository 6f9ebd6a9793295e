//! What a probe means for the catalog: the differences from the catalog in
//! use, and a catalog file (the format of [`Catalog::merge_toml`]) whose
//! facts cite `probed on DATE`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::{Asked, Combination, ProbeReport, Verdict};
use crate::catalog::{Catalog, ModelEntry, Source};
use crate::check::CheckRequest;
use crate::date::Date;
use crate::vocab::{Latency, LatencyPolicy, Operation, ServiceTier, Treatment};

/// What the catalog in use says of a probed combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prediction {
    /// The check sends it: served.
    Served,
    /// Only secondary sources report it.
    Unverified,
    /// The check refuses it: not served.
    NotServed,
}

impl Prediction {
    /// What the catalog says, for a combination that asks something the
    /// catalog has an opinion on (optimized latency, a tier other than
    /// default); its own check decides.
    pub fn of(catalog: &Catalog, c: &Combination) -> Option<Prediction> {
        let req = CheckRequest::new(&c.model, &c.region, c.operation, LatencyPolicy::Standard);
        let req = match c.asked {
            Asked::Latency(Latency::Optimized) => {
                CheckRequest::new(&c.model, &c.region, c.operation, LatencyPolicy::Optimized)
            }
            Asked::Tier(t) if t != ServiceTier::Default => req.service_tier(t),
            _ => return None,
        };
        Some(match catalog.check(&req) {
            Ok(_) => Prediction::Served,
            Err(r) if r.is_unverified() => Prediction::Unverified,
            Err(_) => Prediction::NotServed,
        })
    }
}

impl fmt::Display for Prediction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prediction::Served => "served",
            Prediction::Unverified => "unverified (secondary sources only)",
            Prediction::NotServed => "not served",
        })
    }
}

/// A probed combination whose answer differs from what the catalog in use
/// says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// What was probed.
    pub combination: Combination,
    /// The model's name, when the catalog knows it.
    pub model_name: Option<String>,
    /// What the catalog says.
    pub catalog: Prediction,
    /// What the service answered: [`Verdict::Served`] or [`Verdict::Rejected`].
    pub probed: Verdict,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.combination;
        let name = self.model_name.as_deref().unwrap_or(c.model.as_str());
        let found = if self.probed == Verdict::Served {
            "served"
        } else {
            "not served"
        };
        write!(
            f,
            "{name}: {} on {} from {}: the catalog says {}, the probe found it {found}",
            c.asked, c.operation, c.region, self.catalog
        )
    }
}

impl ProbeReport {
    /// The conclusive answers (served, or rejected by the service) that
    /// differ from the catalog's word, in probe order.
    pub fn differences(&self, catalog: &Catalog) -> Vec<Difference> {
        let mut out = Vec::new();
        for o in &self.observations {
            if !matches!(o.verdict, Verdict::Served | Verdict::Rejected) {
                continue;
            }
            let Some(prediction) = Prediction::of(catalog, &o.combination) else {
                continue;
            };
            let agrees = matches!(
                (prediction, o.verdict),
                (Prediction::Served, Verdict::Served) | (Prediction::NotServed, Verdict::Rejected)
            );
            if !agrees {
                out.push(Difference {
                    combination: o.combination.clone(),
                    model_name: catalog.model(&o.combination.model).map(|e| e.name.clone()),
                    catalog: prediction,
                    probed: o.verdict,
                });
            }
        }
        out
    }

    /// The catalog file of what was probed: for every model with a
    /// conclusive answer, its optimized regions and tier regions as the
    /// catalog in use has them, with the regions probed served added and
    /// those the service rejected (on every operation probed) removed; a
    /// fact left with no region is removed (`false`). Each fact's source is
    /// `probed on DATE against TARGET`. Merged into `catalog` (as
    /// `--catalog` does), the check agrees with every conclusive answer.
    pub fn catalog_file(&self, catalog: &Catalog, target: &str) -> ProbedCatalog {
        let mut facts: BTreeMap<(String, Fact), Evidence> = BTreeMap::new();
        for o in &self.observations {
            let fact = match o.combination.asked {
                Asked::Latency(Latency::Optimized) => Fact::Optimized,
                Asked::Tier(t) if t != ServiceTier::Default => Fact::Tier(t),
                _ => continue,
            };
            let key = (o.combination.model.base_model_id().to_owned(), fact);
            let evidence = facts.entry(key).or_default();
            evidence.add(o);
        }
        let mut models: BTreeMap<String, ProbedModel> = BTreeMap::new();
        for ((id, fact), evidence) in facts {
            if evidence.served.is_empty() && evidence.rejected().is_empty() {
                continue;
            }
            let entry = catalog.lookup(&id).ok().map(|(e, _)| e);
            let known = match (entry, fact) {
                (Some(e), Fact::Optimized) => e.optimized.is_some(),
                (Some(e), Fact::Tier(t)) => e.service_tiers.contains_key(&t),
                (None, _) => false,
            };
            if evidence.served.is_empty() && !known {
                // Rejected where the catalog says nothing: nothing to change.
                continue;
            }
            let source = evidence.source(self.date, target, entry, fact);
            let model = models.entry(id.clone()).or_insert_with(|| ProbedModel {
                id,
                optimized: None,
                service_tiers: BTreeMap::new(),
            });
            match fact {
                Fact::Optimized => model.optimized = Some(optimized_doc(entry, &evidence, source)),
                Fact::Tier(t) => {
                    model.service_tiers.insert(t, tier_doc(entry, t, &evidence, source));
                }
            }
        }
        ProbedCatalog {
            as_of: self.date,
            models: models.into_values().collect(),
        }
    }
}

/// A fact of the catalog a probe can confirm or refute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    Optimized,
    Tier(ServiceTier),
}

/// The conclusive answers about one fact of one model.
#[derive(Debug, Default)]
struct Evidence {
    /// Regions where some operation served it.
    served: Vec<String>,
    /// Regions where some operation was rejected.
    rejected_any: Vec<String>,
    /// Operations probed.
    operations: Vec<Operation>,
    /// The profile sent for optimized latency, when served.
    profile: Option<String>,
}

impl Evidence {
    fn add(&mut self, o: &super::Observation) {
        let region = &o.combination.region;
        let push = |v: &mut Vec<String>| {
            if !v.contains(region) {
                v.push(region.clone());
            }
        };
        match o.verdict {
            Verdict::Served => {
                push(&mut self.served);
                if self.profile.is_none() {
                    self.profile.clone_from(&o.sent_model_id);
                }
            }
            Verdict::Rejected => push(&mut self.rejected_any),
            _ => return,
        }
        if !self.operations.contains(&o.combination.operation) {
            self.operations.push(o.combination.operation);
        }
    }

    /// Regions rejected on every operation probed there (none served).
    fn rejected(&self) -> Vec<String> {
        self.rejected_any
            .iter()
            .filter(|r| !self.served.contains(r))
            .cloned()
            .collect()
    }

    /// `existing` with the served regions added and the rejected removed.
    fn regions(&self, existing: &[String]) -> Vec<String> {
        let rejected = self.rejected();
        let mut out: Vec<String> = existing.iter().filter(|r| !rejected.contains(r)).cloned().collect();
        for r in &self.served {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    fn source(&self, date: Date, target: &str, entry: Option<&ModelEntry>, fact: Fact) -> Source {
        let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
        let ops: Vec<String> = self.operations.iter().map(ToString::to_string).collect();
        let earlier = match (entry, fact) {
            (Some(e), Fact::Optimized) => e.optimized.as_ref().map(|o| o.source.url.clone()),
            (Some(e), Fact::Tier(t)) => e.service_tiers.get(&t).map(|o| o.source.url.clone()),
            (None, _) => None,
        };
        let mut note = format!(
            "Probed on {}: served from {}; rejected from {}.",
            ops.join(", "),
            list(&self.served),
            list(&self.rejected())
        );
        match earlier {
            Some(url) => note += &format!(" Regions not probed are the catalog's (source: {url})."),
            None => note += " The catalog had no such fact.",
        }
        Source {
            url: format!("probed on {date} against {target}"),
            as_of: date,
            note: Some(note),
        }
    }
}

fn optimized_doc(entry: Option<&ModelEntry>, evidence: &Evidence, source: Source) -> Removable<OptimizedDoc> {
    let existing = entry.and_then(|e| e.optimized.as_ref());
    let regions = evidence.regions(existing.map(|o| o.regions.as_slice()).unwrap_or_default());
    let profile = existing.map(|o| o.profile.clone()).or_else(|| evidence.profile.clone());
    match (regions.is_empty(), profile) {
        (false, Some(profile)) => Removable::Set(OptimizedDoc {
            profile,
            regions,
            operations: existing.map(|o| o.operations.clone()),
            max_total_tokens: existing.and_then(|o| o.max_total_tokens),
            source,
        }),
        _ => Removable::Removed(false),
    }
}

fn tier_doc(entry: Option<&ModelEntry>, tier: ServiceTier, evidence: &Evidence, source: Source) -> Removable<TierDoc> {
    let existing = entry
        .and_then(|e| e.service_tiers.get(&tier))
        .and_then(|o| o.regions.as_deref())
        .unwrap_or_default();
    let regions = evidence.regions(existing);
    if regions.is_empty() {
        return Removable::Removed(false);
    }
    Removable::Set(TierDoc {
        treatment: Treatment::Honored,
        regions,
        source,
    })
}

/// A catalog document of probed facts: merge it with `--catalog FILE`,
/// [`Catalog::load`] or [`Catalog::merge_toml`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbedCatalog {
    as_of: Date,
    models: Vec<ProbedModel>,
}

impl ProbedCatalog {
    /// Whether no model had a conclusive answer.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The document as JSON (the catalog file format).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The document as TOML (the catalog file format).
    #[cfg(feature = "toml")]
    pub fn to_toml(&self) -> crate::Result<String> {
        toml::to_string(self).map_err(|e| crate::Error::Catalog {
            origin: "probed catalog".to_owned(),
            reason: e.to_string(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ProbedModel {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    optimized: Option<Removable<OptimizedDoc>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    service_tiers: BTreeMap<ServiceTier, Removable<TierDoc>>,
}

/// A fact set, or removed (`false`: TOML has no null).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Removable<T> {
    Set(T),
    Removed(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct OptimizedDoc {
    profile: String,
    regions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operations: Option<BTreeMap<Operation, Treatment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_total_tokens: Option<u32>,
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TierDoc {
    treatment: Treatment,
    regions: Vec<String>,
    source: Source,
}
