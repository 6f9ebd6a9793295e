//! What every catalog entry must satisfy, whether it comes from the
//! built-in catalog, a file or [`Catalog::insert`](super::Catalog::insert).

use super::{ModelEntry, TierOffer};
use crate::model_id::{IdForm, ModelId, is_region_like, one_line};
use crate::vocab::{ServiceTier, Treatment};
use crate::{Error, Result};

/// The highest price accepted, in USD per 1,000 tokens: far above any
/// Bedrock model's (the most expensive list output price is below 0.1 USD),
/// low enough that costs of any token count stay finite.
const MAX_PRICE_PER_1K: f64 = 1000.0;

/// Checks one entry: IDs well formed and consistent, regions, prices,
/// service tiers, sources.
pub(super) fn validate_entry(e: &ModelEntry, origin: &str) -> Result<()> {
    let checks = [ids, sources, optimized, prices, tiers];
    for check in checks {
        check(e).map_err(|reason| Error::Catalog {
            origin: origin.to_owned(),
            reason: one_line(&format!("model {:?}: {reason}", e.id), 600),
        })?;
    }
    Ok(())
}

type Checked = std::result::Result<(), String>;

fn ids(e: &ModelEntry) -> Checked {
    let id = ModelId::parse(&e.id).map_err(|x| x.to_string())?;
    if id.form() != IdForm::BaseModel {
        return Err("`id` must be a base model ID".into());
    }
    for p in &e.inference_profiles {
        let pid = ModelId::parse(p).map_err(|x| x.to_string())?;
        if pid.form() != IdForm::InferenceProfile || pid.base_model_id() != e.id {
            return Err(format!("{p:?} is not an inference profile of this model"));
        }
    }
    Ok(())
}

fn sources(e: &ModelEntry) -> Checked {
    let sources = [Some(&e.source), Some(&e.lifecycle.source)]
        .into_iter()
        .chain([
            e.optimized.as_ref().map(|o| &o.source),
            e.prices.as_ref().map(|p| &p.source),
        ])
        .chain(e.service_tiers.values().map(|t| Some(&t.source)));
    for s in sources.flatten() {
        if s.url.trim().is_empty() {
            return Err("a source has an empty `url`".into());
        }
    }
    Ok(())
}

fn regions(what: &str, regions: &[String]) -> Checked {
    if regions.is_empty() {
        return Err(format!("`{what}` is empty"));
    }
    match regions.iter().find(|r| !is_region_like(r)) {
        Some(r) => Err(format!("{r:?} is not a region name like us-east-2")),
        None => Ok(()),
    }
}

fn optimized(e: &ModelEntry) -> Checked {
    let Some(o) = &e.optimized else {
        return Ok(());
    };
    regions("optimized.regions", &o.regions)?;
    if o.profile.is_empty() {
        return Err("`optimized.profile` is missing and no inference profile matches its first region".into());
    }
    if !e.inference_profiles.contains(&o.profile) {
        return Err(format!(
            "optimized profile {:?} is not among its inference profiles",
            o.profile
        ));
    }
    Ok(())
}

fn prices(e: &ModelEntry) -> Checked {
    let Some(p) = &e.prices else {
        return Ok(());
    };
    let sane = |v: f64| (0.0..=MAX_PRICE_PER_1K).contains(&v);
    let all = [Some(p.standard), p.optimized];
    if all
        .iter()
        .flatten()
        .any(|t| !(sane(t.input_per_1k) && sane(t.output_per_1k)))
    {
        return Err(format!(
            "prices must be finite, not negative and at most {MAX_PRICE_PER_1K} USD per 1,000 tokens"
        ));
    }
    Ok(())
}

/// Tiers: `default` is every model's and is not listed; an offer the
/// check relies on (`honored`, `ignored`) names its regions.
fn tiers(e: &ModelEntry) -> Checked {
    for (tier, offer) in &e.service_tiers {
        tier_offer(*tier, offer)?;
    }
    Ok(())
}

fn tier_offer(tier: ServiceTier, offer: &TierOffer) -> Checked {
    if tier == ServiceTier::Default {
        return Err(
            "`service_tiers.default` is not listed: every model serves the default tier everywhere it is served".into(),
        );
    }
    match (&offer.regions, offer.treatment) {
        (Some(rs), _) => regions(&format!("service_tiers.{tier}.regions"), rs),
        (None, Treatment::Unverified) => Ok(()),
        (None, t) => Err(format!(
            "`service_tiers.{tier}` is {t} but names no `regions` (only an unverified offer may leave them out)"
        )),
    }
}
