//! Why a check refuses (or a prefer policy falls back): [`RefusalReason`]
//! and its text, with or without the advice on what would work.

use std::fmt;

use serde::Serialize;

use crate::date::Date;
use crate::vocab::{Operation, ServiceTier};

/// Why a request would not be honored as asked: optimized latency, the
/// service tier, or (under [`LifecyclePolicy::Strict`](crate::LifecyclePolicy::Strict))
/// the model's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RefusalReason {
    /// The catalog does not know the model.
    UnknownModel {
        /// Known IDs that resemble it.
        suggestions: Vec<String>,
    },
    /// The model has no latency-optimized inference.
    NoOptimizedLatency {
        /// The model's name.
        model_name: String,
        /// Models that do offer it.
        alternatives: Vec<String>,
    },
    /// The model is served optimized, but not from this region.
    RegionNotServed {
        /// The model's name.
        model_name: String,
        /// Source regions that serve it.
        served_from: Vec<String>,
    },
    /// The operation accepts the setting but the service ignores it.
    OperationIgnores {
        /// Operations that do honor it for this model.
        honored_by: Vec<Operation>,
    },
    /// Nobody has shown whether the operation honors it.
    OperationUnverified,
    /// The region is not an AWS region name.
    InvalidRegion,
    /// The operation honors the setting only for a model named in the
    /// request, and none was given.
    ModelRequired,
    /// The catalog lists no such service tier for the model.
    TierNotOffered {
        /// The tier asked for.
        tier: ServiceTier,
        /// The model's name.
        model_name: String,
        /// The tiers the catalog lists for the model (besides `default`).
        offered: Vec<ServiceTier>,
    },
    /// The model offers the tier, but not from this region.
    TierRegionNotServed {
        /// The tier asked for.
        tier: ServiceTier,
        /// The model's name.
        model_name: String,
        /// Source regions that serve the tier.
        served_from: Vec<String>,
    },
    /// Only secondary sources report the tier for the model, or nobody has
    /// shown how it combines with latency-optimized inference
    /// (`with_optimized`): sent only with an explicit opt-in.
    TierUnverified {
        /// The tier asked for.
        tier: ServiceTier,
        /// The model's name.
        model_name: String,
        /// Whether it is the combination with optimized latency that is
        /// unverified.
        with_optimized: bool,
    },
    /// The service accepts the tier for the model (or with optimized
    /// latency: `with_optimized`) and serves another.
    TierIgnored {
        /// The tier asked for.
        tier: ServiceTier,
        /// The model's name.
        model_name: String,
        /// Whether it is the combination with optimized latency that is ignored.
        with_optimized: bool,
    },
    /// The operation has no service-tier field (tiers are bedrock-runtime only).
    TierNotOnOperation {
        /// The tier asked for.
        tier: ServiceTier,
    },
    /// The model is past its end-of-life date and the lifecycle policy is
    /// strict.
    PastEndOfLife {
        /// The model's name.
        model_name: String,
        /// Its end-of-life date.
        end_of_life: Option<Date>,
        /// The page the date comes from.
        source: String,
    },
}

/// What a refusal is about: it decides the first words of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Latency,
    Tier(ServiceTier),
    Lifecycle,
}

pub(crate) fn list<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl RefusalReason {
    /// Why, without the advice on what to do instead: for reports of a
    /// prefer-optimized request that was sent standard, where the advice
    /// "request standard latency" would read wrong.
    pub fn why(&self) -> impl fmt::Display + '_ {
        Why(self, false)
    }

    /// Whether the refusal is only for lack of evidence (exit code 3 of
    /// `bedrock-latency check`): an operation or a tier whose treatment is
    /// unverified.
    pub fn is_unverified(&self) -> bool {
        matches!(
            self,
            RefusalReason::OperationUnverified | RefusalReason::TierUnverified { .. }
        )
    }

    pub(crate) fn subject(&self) -> Subject {
        match self {
            RefusalReason::TierNotOffered { tier, .. }
            | RefusalReason::TierRegionNotServed { tier, .. }
            | RefusalReason::TierUnverified { tier, .. }
            | RefusalReason::TierIgnored { tier, .. }
            | RefusalReason::TierNotOnOperation { tier } => Subject::Tier(*tier),
            RefusalReason::PastEndOfLife { .. } => Subject::Lifecycle,
            _ => Subject::Latency,
        }
    }
}

/// A reason, with (`true`) or without the advice that follows it.
struct Why<'a>(&'a RefusalReason, bool);

/// The advice after a tier that would not be honored.
fn fallback(f: &mut fmt::Formatter<'_>, tier: &ServiceTier) -> fmt::Result {
    write!(
        f,
        "; send no tier (the default), or `prefer-{tier}` to fall back to it when {tier} is not honored"
    )
}

impl Why<'_> {
    /// The reasons about latency-optimized inference.
    fn latency(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advise = self.1;
        match self.0 {
            RefusalReason::UnknownModel { suggestions } if suggestions.is_empty() => {
                f.write_str("the model is not in the catalog")?;
                if advise {
                    f.write_str(
                        "; run `bedrock-latency matrix` for the known models, add it with a catalog file \
                         if AWS serves it optimized, or request standard latency",
                    )?;
                }
                Ok(())
            }
            RefusalReason::UnknownModel { suggestions } => write!(
                f,
                "the model is not in the catalog (did you mean {}?)",
                suggestions.join(" or ")
            ),
            RefusalReason::NoOptimizedLatency {
                model_name,
                alternatives,
            } => {
                write!(f, "{model_name} has no latency-optimized inference")?;
                if advise {
                    write!(
                        f,
                        "; request standard latency, or use a model that has it: {}",
                        list(alternatives)
                    )?;
                }
                Ok(())
            }
            RefusalReason::RegionNotServed {
                model_name,
                served_from,
            } => {
                write!(
                    f,
                    "{model_name} is served latency-optimized only from {}",
                    list(served_from)
                )?;
                if advise {
                    f.write_str(
                        "; call from one of those regions, allow routing there \
                         (`ClientBuilder::route_optimized_to`), or request standard latency",
                    )?;
                }
                Ok(())
            }
            RefusalReason::OperationIgnores { honored_by } => write!(
                f,
                "the service accepts the setting on this operation but does not honor it (requests are served standard); \
                 operations that honor it: {}",
                list(honored_by)
            ),
            RefusalReason::OperationUnverified => {
                f.write_str("whether this operation honors the setting is unverified")?;
                if advise {
                    f.write_str(
                        "; opt in explicitly and verify in the model invocation logs, or request standard latency",
                    )?;
                }
                Ok(())
            }
            RefusalReason::InvalidRegion => f.write_str("the region is not an AWS region name such as us-east-2"),
            RefusalReason::ModelRequired => f.write_str("the operation needs a model to check latency against"),
            // The others are not about latency: see `tier`.
            _ => Ok(()),
        }
    }

    /// The reasons about which model offers which tier from where.
    fn tier(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advise = self.1;
        match self.0 {
            RefusalReason::TierNotOffered {
                tier,
                model_name,
                offered,
            } => {
                write!(f, "the catalog lists no {tier} service tier for {model_name}")?;
                match offered.as_slice() {
                    [] => f.write_str(" (it lists none but default)")?,
                    some => write!(f, " (it lists {})", list(some))?,
                }
                if advise {
                    fallback(f, tier)?;
                    f.write_str(
                        "; if your account has it, add it with a catalog file (`bedrock-latency probe` writes one)",
                    )?;
                }
                Ok(())
            }
            RefusalReason::TierRegionNotServed {
                tier,
                model_name,
                served_from,
            } => {
                write!(f, "{model_name} offers the {tier} tier only from {}", list(served_from))?;
                if advise {
                    f.write_str("; call from one of those regions")?;
                    fallback(f, tier)?;
                }
                Ok(())
            }
            RefusalReason::TierUnverified {
                tier,
                model_name,
                with_optimized: false,
            } => {
                write!(f, "only secondary sources report the {tier} tier for {model_name}")?;
                if advise {
                    f.write_str(
                        "; opt in explicitly (`allow_unverified_tier`, `--allow-unverified`) and check the served \
                         tier in the report",
                    )?;
                    fallback(f, tier)?;
                }
                Ok(())
            }
            // The others: see `other`.
            _ => self.other(f),
        }
    }

    /// Tiers with optimized latency or on operations without them, and
    /// lifecycle.
    fn other(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advise = self.1;
        match self.0 {
            RefusalReason::TierUnverified { tier, .. } => {
                write!(
                    f,
                    "whether the {tier} tier and latency-optimized inference are honored together is unverified"
                )?;
                if advise {
                    f.write_str(
                        "; opt in explicitly (`allow_unverified_tier`, `--allow-unverified`) and check the served \
                         latency and tier in the report, or ask for one of them with a prefer policy",
                    )?;
                }
                Ok(())
            }
            RefusalReason::TierIgnored {
                tier,
                model_name,
                with_optimized,
            } => {
                let with = if *with_optimized { " with optimized latency" } else { "" };
                write!(
                    f,
                    "the service accepts the {tier} tier for {model_name}{with} but serves another tier"
                )
            }
            RefusalReason::TierNotOnOperation { tier } => write!(
                f,
                "the operation has no service-tier field ({tier} asked): tiers exist on bedrock-runtime only \
                 (converse, converse-stream, invoke-model, invoke-model-stream)"
            ),
            RefusalReason::PastEndOfLife {
                model_name,
                end_of_life,
                source,
            } => {
                let date = end_of_life.map_or_else(|| "no date".to_owned(), |d| d.to_string());
                write!(f, "{model_name} is past its end-of-life date ({date}; {source})")?;
                if advise {
                    f.write_str(
                        "; use an active model, or the `warn` lifecycle policy if AWS still serves it \
                         (AWS sometimes extends dates)",
                    )?;
                }
                Ok(())
            }
            // The others are about latency: see `latency`.
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.subject() {
            Subject::Latency => self.latency(f),
            Subject::Tier(_) | Subject::Lifecycle => self.tier(f),
        }
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Why(self, true).fmt(f)
    }
}
