//! Service tiers in the catalog: which model offers which tier from which
//! region, how a tier combines with latency-optimized inference, and the
//! check's verdict on a requested tier.
//!
//! Sources (see `builtin.json` for each fact's): the AWS table "Models and
//! regions supported by Priority and Flex service tiers" and the Reserved
//! table on docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html
//! (read from a copy of the page fetched 2026-02-15); the `default` tier is
//! "Available across all foundation models" (aws.amazon.com/bedrock/service-tiers,
//! read 2026-12-01) and is what a request without a tier gets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Catalog, ModelEntry, Source};
use crate::check::{CheckRequest, RefusalReason};
use crate::vocab::{Latency, Service, ServiceTier, Treatment};

/// Where and how a model serves one service tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierOffer {
    /// How the model treats a request for the tier: `honored` (a primary
    /// source or a probe says so), `unverified` (only secondary sources
    /// report it: sent only with an explicit opt-in), or `ignored` (the
    /// service accepts the tier and serves another).
    pub treatment: Treatment,
    /// Source regions (where the call is made) that serve the tier; `None`
    /// when the source names none (allowed for `unverified` offers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// Where this comes from.
    pub source: Source,
}

impl TierOffer {
    /// Whether calls from `region` are served (a source that names no
    /// regions says nothing against any).
    pub fn serves_region(&self, region: &str) -> bool {
        self.regions.as_ref().is_none_or(|rs| rs.iter().any(|r| r == region))
    }
}

/// Catalog-wide rules of service tiers: how each tier combines with
/// latency-optimized inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierRules {
    /// How a request that sends both optimized latency and the tier is
    /// treated. A tier missing here is `unverified`; `default` is always
    /// honored (it is what a request without a tier gets).
    pub with_optimized: BTreeMap<ServiceTier, Treatment>,
    /// Where this comes from.
    pub source: Source,
}

impl TierRules {
    /// How `tier` combines with optimized latency.
    pub fn with_optimized(&self, tier: ServiceTier) -> Treatment {
        if tier == ServiceTier::Default {
            return Treatment::Honored;
        }
        self.with_optimized.get(&tier).copied().unwrap_or(Treatment::Unverified)
    }
}

/// The tier a check sends, and how the catalog says it is treated.
pub(super) type TierSent = (Option<ServiceTier>, Option<Treatment>);

impl Catalog {
    /// The catalog-wide tier rules.
    pub fn tier_rules(&self) -> &TierRules {
        &self.tier_rules
    }

    /// Whether the tier `req` asks for would be honored for `entry` (`None`:
    /// not in the catalog) when sent with `latency`: the tier to send, or
    /// why not.
    pub(super) fn tier_verdict(
        &self,
        entry: Option<&ModelEntry>,
        req: &CheckRequest<'_>,
        latency: Latency,
    ) -> Result<TierSent, RefusalReason> {
        let Some(tier) = req.tier.tier() else {
            return Ok((None, None));
        };
        if req.operation.service() != Service::BedrockRuntime {
            return Err(RefusalReason::TierNotOnOperation { tier });
        }
        if tier == ServiceTier::Default {
            return Ok((Some(tier), Some(Treatment::Honored)));
        }
        let Some(e) = entry else {
            return Err(RefusalReason::UnknownModel {
                suggestions: req.model.map(|m| self.suggestions(m)).unwrap_or_default(),
            });
        };
        let Some(offer) = e.service_tiers.get(&tier) else {
            return Err(RefusalReason::TierNotOffered {
                tier,
                model_name: e.name.clone(),
                offered: e.service_tiers.keys().copied().collect(),
            });
        };
        if offer.treatment == Treatment::Ignored {
            return Err(RefusalReason::TierIgnored {
                tier,
                model_name: e.name.clone(),
                with_optimized: false,
            });
        }
        if !offer.serves_region(req.region) {
            return Err(RefusalReason::TierRegionNotServed {
                tier,
                model_name: e.name.clone(),
                served_from: offer.regions.clone().unwrap_or_default(),
            });
        }
        let unverified = |with_optimized| RefusalReason::TierUnverified {
            tier,
            model_name: e.name.clone(),
            with_optimized,
        };
        if offer.treatment == Treatment::Unverified && !req.allow_unverified_tier {
            return Err(unverified(false));
        }
        let mut treatment = offer.treatment;
        if latency == Latency::Optimized {
            match self.tier_rules.with_optimized(tier) {
                Treatment::Honored => {}
                Treatment::Unverified if req.allow_unverified_tier => treatment = Treatment::Unverified,
                Treatment::Unverified => return Err(unverified(true)),
                Treatment::Ignored => {
                    return Err(RefusalReason::TierIgnored {
                        tier,
                        model_name: e.name.clone(),
                        with_optimized: true,
                    });
                }
            }
        }
        Ok((Some(tier), Some(treatment)))
    }
}

/// Whether `reason` is about sending the tier together with optimized
/// latency (so that a prefer-optimized request can give way to the tier).
pub(super) fn is_combination(reason: &RefusalReason) -> bool {
    matches!(
        reason,
        RefusalReason::TierUnverified {
            with_optimized: true,
            ..
        } | RefusalReason::TierIgnored {
            with_optimized: true,
            ..
        }
    )
}
