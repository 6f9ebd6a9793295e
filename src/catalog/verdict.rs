//! The check itself: [`Catalog::check`] decides latency, service tier and
//! lifecycle for one request, in that order, from the catalog alone.

use super::tiers::{TierSent, is_combination};
use super::{Catalog, LifecycleStatus, ModelEntry, OptimizedSupport};
use crate::check::{CheckRequest, Plan, Refusal, RefusalReason, Warning, unlisted_profile};
use crate::date::Date;
use crate::model_id::{IdForm, ModelId, is_region_like};
use crate::vocab::{Latency, LatencyPolicy, LifecyclePolicy, Operation, ServiceTier, Treatment};

/// The latency half of a plan: the model ID and latency to send, and what
/// the latency check had to say.
struct LatencyHalf {
    model_id: String,
    latency: Latency,
    treatment: Option<Treatment>,
    fallback: Option<RefusalReason>,
    warnings: Vec<Warning>,
}

/// The tier half of a plan.
struct TierHalf {
    sent: Option<ServiceTier>,
    treatment: Option<Treatment>,
    fallback: Option<RefusalReason>,
}

impl Catalog {
    /// Decides what to send: the plan, or a refusal that says why and what
    /// would work. Touches no network; allocation-light.
    ///
    /// Latency is decided first, then the service tier for the latency to be
    /// sent: a tier whose combination with optimized latency is unverified
    /// makes a prefer-optimized request send standard (a required tier wins
    /// over a preferred latency, a required latency over a preferred tier).
    /// Under [`LifecyclePolicy::Strict`] a model past its end-of-life date is
    /// refused whatever was asked.
    ///
    /// ```
    /// use bedrock_latency::{Catalog, CheckRequest, LatencyPolicy, ModelId, Operation};
    /// let model: ModelId = "amazon.nova-pro-v1:0".parse()?;
    /// let plan = Catalog::builtin()
    ///     .check(&CheckRequest::new(&model, "us-east-1", Operation::Converse, LatencyPolicy::Optimized))
    ///     .expect("honored");
    /// assert_eq!(plan.model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"));
    ///
    /// let refusal = Catalog::builtin()
    ///     .check(&CheckRequest::new(&model, "us-west-1", Operation::Converse, LatencyPolicy::Optimized))
    ///     .unwrap_err();
    /// assert!(refusal.to_string().contains("us-east-1, us-east-2"));
    /// # Ok::<(), bedrock_latency::Error>(())
    /// ```
    pub fn check(&self, req: &CheckRequest<'_>) -> std::result::Result<Plan, Refusal> {
        let Some(model) = req.model else {
            return self.check_without_model(req);
        };
        let refuse = |reason: RefusalReason| refusal(req, reason);
        if !is_region_like(req.region) {
            return Err(refuse(RefusalReason::InvalidRegion));
        }
        let entry = self.model(model);
        let mut warnings = Vec::new();
        if let Some(e) = entry {
            let past_eol = e.lifecycle.status_on(req.today.unwrap_or_else(Date::today)) == LifecycleStatus::EndOfLife;
            if past_eol && req.lifecycle == LifecyclePolicy::Strict {
                return Err(refuse(RefusalReason::PastEndOfLife {
                    model_name: e.name.clone(),
                    end_of_life: e.lifecycle.end_of_life,
                    source: e.lifecycle.source.url.clone(),
                }));
            }
            lifecycle_warnings(e, req.today.unwrap_or_else(Date::today), &mut warnings);
        }
        if let (Some(arn_region), false) = (model.arn_region(), model.arn_region() == Some(req.region)) {
            warnings.push(Warning::ArnRegionMismatch {
                arn_region: arn_region.to_owned(),
                region: req.region.to_owned(),
            });
        }
        let mut latency = self.latency_half(model, entry, req).map_err(refuse)?;
        let mut tier = self.tier_verdict(entry, req, latency.latency);
        // A required tier that does not combine with optimized latency wins
        // over a preferred latency.
        if let Err(reason) = &tier
            && is_combination(reason)
            && !req.tier.is_prefer()
            && req.policy == LatencyPolicy::PreferOptimized
        {
            latency = standard_half(model, entry, req, Some(reason.clone()));
            tier = self.tier_verdict(entry, req, Latency::Standard);
        }
        let tier = tier_half(req, tier).map_err(refuse)?;
        warnings.append(&mut latency.warnings);
        if let (Some(ServiceTier::Reserved), Some(e)) = (tier.sent, entry) {
            warnings.push(Warning::ReservationNeeded {
                model_name: e.name.clone(),
            });
        }
        Ok(Plan {
            model_id: Some(latency.model_id),
            base_model_id: Some(model.base_model_id().to_owned()),
            model_name: entry.map(|e| e.name.clone()),
            region: req.region.to_owned(),
            operation: req.operation,
            policy: req.policy,
            latency: latency.latency,
            treatment: latency.treatment,
            fallback: latency.fallback,
            tier_policy: req.tier,
            service_tier: tier.sent,
            tier_treatment: tier.treatment,
            tier_fallback: tier.fallback,
            warnings,
        })
    }

    /// What latency to send, or why optimized would not be honored (for a
    /// request that requires it).
    fn latency_half(
        &self,
        model: &ModelId,
        entry: Option<&ModelEntry>,
        req: &CheckRequest<'_>,
    ) -> Result<LatencyHalf, RefusalReason> {
        if req.policy == LatencyPolicy::Standard {
            return Ok(standard_half(model, entry, req, None));
        }
        let verdict = match entry {
            None => Err(RefusalReason::UnknownModel {
                suggestions: self.suggestions(model),
            }),
            Some(e) => self.optimized_verdict(e, req),
        };
        match verdict {
            Ok((opt, treatment)) => {
                let mut warnings = Vec::new();
                // A base ID becoming its profile is the normal case; only a
                // different profile or an ARN being replaced is worth a word.
                if model.form() != IdForm::BaseModel && model.profile_id() != Some(opt.profile.as_str()) {
                    warnings.push(Warning::ProfileSubstituted {
                        given: model.as_str().to_owned(),
                        sent: opt.profile.clone(),
                    });
                }
                if let Some(max) = opt.max_total_tokens {
                    warnings.push(Warning::TokenCap {
                        max_total_tokens: max,
                        expected: req.total_tokens,
                    });
                }
                Ok(LatencyHalf {
                    model_id: opt.profile.clone(),
                    latency: Latency::Optimized,
                    treatment: Some(treatment),
                    fallback: None,
                    warnings,
                })
            }
            Err(reason) if req.policy == LatencyPolicy::PreferOptimized => {
                Ok(standard_half(model, entry, req, Some(reason)))
            }
            Err(reason) => Err(reason),
        }
    }

    /// Whether optimized latency would be honored for this entry and request.
    fn optimized_verdict<'a>(
        &self,
        e: &'a ModelEntry,
        req: &CheckRequest<'_>,
    ) -> std::result::Result<(&'a OptimizedSupport, Treatment), RefusalReason> {
        let Some(opt) = &e.optimized else {
            return Err(RefusalReason::NoOptimizedLatency {
                model_name: e.name.clone(),
                alternatives: self
                    .optimized_models()
                    .filter(|m| {
                        m.lifecycle.status_on(req.today.unwrap_or_else(Date::today)) != LifecycleStatus::EndOfLife
                    })
                    .map(|m| m.name.clone())
                    .collect(),
            });
        };
        let treatment = opt.treatment(req.operation);
        match treatment {
            Treatment::Ignored => {
                return Err(RefusalReason::OperationIgnores {
                    honored_by: honored_ops(opt),
                });
            }
            Treatment::Unverified if !req.allow_unverified => return Err(RefusalReason::OperationUnverified),
            Treatment::Unverified | Treatment::Honored => {}
        }
        if !opt.serves_region(req.region) {
            return Err(RefusalReason::RegionNotServed {
                model_name: e.name.clone(),
                served_from: opt.regions.clone(),
            });
        }
        Ok((opt, treatment))
    }

    /// The check for operations whose request names no model (InvokeAgent,
    /// flows): the catalog-wide operation table decides.
    fn check_without_model(&self, req: &CheckRequest<'_>) -> std::result::Result<Plan, Refusal> {
        let refuse = |reason: RefusalReason| refusal(req, reason);
        if !is_region_like(req.region) {
            return Err(refuse(RefusalReason::InvalidRegion));
        }
        let (latency, treatment, fallback) = self.latency_without_model(req).map_err(refuse)?;
        let tier = tier_half(req, self.tier_verdict(None, req, latency)).map_err(refuse)?;
        Ok(Plan {
            model_id: None,
            base_model_id: None,
            model_name: None,
            region: req.region.to_owned(),
            operation: req.operation,
            policy: req.policy,
            latency,
            treatment,
            fallback,
            tier_policy: req.tier,
            service_tier: tier.sent,
            tier_treatment: tier.treatment,
            tier_fallback: tier.fallback,
            warnings: Vec::new(),
        })
    }

    /// Latency, treatment and fallback for a request that names no model.
    fn latency_without_model(
        &self,
        req: &CheckRequest<'_>,
    ) -> Result<(Latency, Option<Treatment>, Option<RefusalReason>), RefusalReason> {
        if req.policy == LatencyPolicy::Standard {
            return Ok((Latency::Standard, None, None));
        }
        let treatment = self
            .operations
            .get(&req.operation)
            .copied()
            .unwrap_or(Treatment::Unverified);
        let reason = match treatment {
            Treatment::Unverified if req.allow_unverified => {
                return Ok((Latency::Optimized, Some(Treatment::Unverified), None));
            }
            Treatment::Unverified => RefusalReason::OperationUnverified,
            Treatment::Ignored => RefusalReason::OperationIgnores {
                honored_by: self
                    .operations
                    .iter()
                    .filter(|(_, t)| **t == Treatment::Honored)
                    .map(|(op, _)| *op)
                    .collect(),
            },
            Treatment::Honored => RefusalReason::ModelRequired,
        };
        match req.policy {
            LatencyPolicy::PreferOptimized => Ok((Latency::Standard, None, Some(reason))),
            _ => Err(reason),
        }
    }
}

fn refusal(req: &CheckRequest<'_>, reason: RefusalReason) -> Refusal {
    Refusal {
        model: req.model.map(|m| m.as_str().to_owned()),
        region: req.region.to_owned(),
        operation: req.operation,
        policy: req.policy,
        tier: req.tier,
        reason,
    }
}

/// Standard latency for `model` as given, with the warnings a standard
/// request gets (not in the catalog, or a profile it does not list).
fn standard_half(
    model: &ModelId,
    entry: Option<&ModelEntry>,
    req: &CheckRequest<'_>,
    fallback: Option<RefusalReason>,
) -> LatencyHalf {
    let mut warnings = Vec::new();
    match entry {
        None => warnings.push(Warning::NotInCatalog),
        Some(e) => warnings.extend(unlisted_profile(model, &e.inference_profiles, req.region)),
    }
    LatencyHalf {
        model_id: model.as_str().to_owned(),
        latency: Latency::Standard,
        treatment: None,
        fallback,
        warnings,
    }
}

/// The tier verdict under the request's tier policy: a refusal only when
/// the tier is required.
fn tier_half(req: &CheckRequest<'_>, verdict: Result<TierSent, RefusalReason>) -> Result<TierHalf, RefusalReason> {
    match verdict {
        Ok((sent, treatment)) => Ok(TierHalf {
            sent,
            treatment,
            fallback: None,
        }),
        Err(reason) if req.tier.is_prefer() => Ok(TierHalf {
            sent: None,
            treatment: None,
            fallback: Some(reason),
        }),
        Err(reason) => Err(reason),
    }
}

fn honored_ops(opt: &OptimizedSupport) -> Vec<Operation> {
    opt.operations
        .iter()
        .filter(|(_, t)| **t == Treatment::Honored)
        .map(|(op, _)| *op)
        .collect()
}

fn lifecycle_warnings(e: &ModelEntry, today: Date, out: &mut Vec<Warning>) {
    match e.lifecycle.status_on(today) {
        LifecycleStatus::Active => {}
        LifecycleStatus::Legacy => out.push(Warning::Legacy {
            model_name: e.name.clone(),
            end_of_life: e.lifecycle.end_of_life,
        }),
        LifecycleStatus::EndOfLife => out.push(Warning::PastEndOfLife {
            model_name: e.name.clone(),
            end_of_life: e.lifecycle.end_of_life,
            source: e.lifecycle.source.url.clone(),
        }),
    }
}
