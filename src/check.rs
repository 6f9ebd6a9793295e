//! The runtime check: (model, region, operation, latency policy) -> a
//! [`Plan`] to send, or a [`Refusal`] that says why and what would work.

use std::fmt;

use serde::Serialize;

use crate::date::Date;
use crate::model_id::{Geography, ModelId};
use crate::vocab::{Latency, LatencyPolicy, Operation, Treatment};

/// The question [`Catalog::check`](crate::Catalog::check) answers.
#[derive(Debug, Clone, Copy)]
pub struct CheckRequest<'a> {
    pub(crate) model: Option<&'a ModelId>,
    pub(crate) region: &'a str,
    pub(crate) operation: Operation,
    pub(crate) policy: LatencyPolicy,
    pub(crate) today: Option<Date>,
    pub(crate) total_tokens: Option<u32>,
    pub(crate) allow_unverified: bool,
}

impl<'a> CheckRequest<'a> {
    /// A request for `model`, called from `region`, on `operation`.
    pub fn new(model: &'a ModelId, region: &'a str, operation: Operation, policy: LatencyPolicy) -> Self {
        Self {
            model: Some(model),
            region,
            operation,
            policy,
            today: None,
            total_tokens: None,
            allow_unverified: false,
        }
    }

    /// A request that names no model: InvokeAgent and flows, whose model is
    /// part of the agent's or flow's definition.
    pub fn without_model(region: &'a str, operation: Operation, policy: LatencyPolicy) -> Self {
        Self {
            model: None,
            region,
            operation,
            policy,
            today: None,
            total_tokens: None,
            allow_unverified: false,
        }
    }

    /// Judges lifecycle dates as of `date` instead of today.
    pub fn on(mut self, date: Date) -> Self {
        self.today = Some(date);
        self
    }

    /// The expected input + output token count, for models with a token cap.
    pub fn total_tokens(mut self, tokens: u32) -> Self {
        self.total_tokens = Some(tokens);
        self
    }

    /// Sends optimized latency on an operation whose treatment is
    /// [`Treatment::Unverified`] (flows) instead of refusing it: the
    /// caller has opted in and will verify in the invocation logs.
    pub fn allow_unverified(mut self) -> Self {
        self.allow_unverified = true;
        self
    }
}

/// What to send: the result of a successful check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The exact model ID to send (the inference profile for optimized);
    /// `None` for operations whose request names no model (InvokeAgent,
    /// flows).
    pub model_id: Option<String>,
    /// The base model ID, when a model is sent.
    pub base_model_id: Option<String>,
    /// The model's name, if the catalog knows it.
    pub model_name: Option<String>,
    /// The region the call is made from.
    pub region: String,
    /// The operation.
    pub operation: Operation,
    /// What was asked.
    pub policy: LatencyPolicy,
    /// The latency to send.
    pub latency: Latency,
    /// How the operation treats optimized latency, when it is sent.
    pub treatment: Option<Treatment>,
    /// Why a prefer-optimized request falls back to standard.
    pub fallback: Option<RefusalReason>,
    /// Things worth knowing that do not stop the call.
    pub warnings: Vec<Warning>,
}

impl Plan {
    /// The token cap of optimized latency for this model, when the plan
    /// sends optimized and the model has one (the check notes it as a
    /// [`Warning::TokenCap`]).
    pub(crate) fn token_cap(&self) -> Option<u32> {
        self.warnings.iter().find_map(|w| match w {
            Warning::TokenCap { max_total_tokens, .. } => Some(*max_total_tokens),
            _ => None,
        })
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.model_id {
            Some(m) => write!(f, "send {m} with latency {}", self.latency)?,
            None => write!(f, "send latency {}", self.latency)?,
        }
        write!(f, " on {} from {}", self.operation, self.region)?;
        if let Some(reason) = &self.fallback {
            write!(f, " (fell back to standard: {reason})")?;
        }
        Ok(())
    }
}

/// A request refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// The model ID as given (`None` for operations that name no model).
    pub model: Option<String>,
    /// The region of the call.
    pub region: String,
    /// The operation.
    pub operation: Operation,
    /// What was asked.
    pub policy: LatencyPolicy,
    /// Why, and what would work.
    pub reason: RefusalReason,
}

impl Refusal {
    /// Whether the refusal is only for lack of evidence (`invoke-flow`).
    pub fn is_unverified(&self) -> bool {
        matches!(self.reason, RefusalReason::OperationUnverified)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("latency-optimized inference would not be honored for ")?;
        if let Some(m) = &self.model {
            write!(f, "{m} on ")?;
        }
        write!(f, "{} from {}: {}", self.operation, self.region, self.reason)
    }
}

impl std::error::Error for Refusal {}

/// Why optimized latency would not be honored.
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
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl RefusalReason {
    /// Why, without the advice on what to do instead: for reports of a
    /// prefer-optimized request that was sent standard, where the advice
    /// "request standard latency" would read wrong.
    pub fn why(&self) -> impl fmt::Display + '_ {
        Why(self, false)
    }
}

/// A reason, with (`true`) or without the advice that follows it.
struct Why<'a>(&'a RefusalReason, bool);

impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        }
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Why(self, true).fmt(f)
    }
}

/// Something worth knowing about a plan that does not stop the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Warning {
    /// The model is past its end-of-life date (a warning, not a refusal:
    /// the catalog may be behind AWS).
    PastEndOfLife {
        /// The model's name.
        model_name: String,
        /// Its end-of-life date.
        end_of_life: Option<Date>,
    },
    /// The model is legacy.
    Legacy {
        /// The model's name.
        model_name: String,
        /// Its end-of-life date, if announced.
        end_of_life: Option<Date>,
    },
    /// The ID given was replaced by the inference profile that optimized
    /// latency requires.
    ProfileSubstituted {
        /// What was given.
        given: String,
        /// What will be sent.
        sent: String,
    },
    /// Above this many input + output tokens the service serves standard.
    TokenCap {
        /// The cap.
        max_total_tokens: u32,
        /// The expected count, if the caller gave one.
        expected: Option<u32>,
    },
    /// The model is not in the catalog; it is sent as given.
    NotInCatalog,
    /// The inference profile given is not one the catalog lists for the
    /// model and for calls from this region (a profile of another geography,
    /// or one AWS does not offer for the model); AWS is likely to reject it.
    ProfileNotListed {
        /// The profile given.
        profile: String,
        /// The call's region.
        region: String,
        /// The model's profiles that calls from `region` may use.
        usable: Vec<String>,
    },
    /// The ARN names another region than the one the call is made from.
    ArnRegionMismatch {
        /// The ARN's region.
        arn_region: String,
        /// The call's region.
        region: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = |d: &Option<Date>| d.map_or_else(|| "no date announced".to_owned(), |d| d.to_string());
        match self {
            Warning::PastEndOfLife {
                model_name,
                end_of_life,
            } => write!(
                f,
                "{model_name} is past its end-of-life date ({}); AWS may no longer serve it",
                date(end_of_life)
            ),
            Warning::Legacy {
                model_name,
                end_of_life,
            } => write!(f, "{model_name} is legacy (end of life: {})", date(end_of_life)),
            Warning::ProfileSubstituted { given, sent } => write!(
                f,
                "optimized latency needs the inference profile: sending {sent} instead of {given}"
            ),
            Warning::TokenCap {
                max_total_tokens,
                expected: Some(n),
            } if n > max_total_tokens => write!(
                f,
                "{n} tokens exceed the {max_total_tokens}-token cap for optimized latency: this request will be served standard"
            ),
            Warning::TokenCap { max_total_tokens, .. } => write!(
                f,
                "requests above {max_total_tokens} input + output tokens are served standard"
            ),
            Warning::NotInCatalog => f.write_str("the model is not in the catalog; it is sent as given"),
            Warning::ProfileNotListed {
                profile,
                region,
                usable,
            } => {
                write!(
                    f,
                    "the catalog does not list inference profile {profile} for calls from {region}; AWS is likely to reject it"
                )?;
                if !usable.is_empty() {
                    write!(f, " (profiles usable from {region}: {})", list(usable))?;
                }
                Ok(())
            }
            Warning::ArnRegionMismatch { arn_region, region } => write!(
                f,
                "the ARN names region {arn_region} but the call is made from {region}"
            ),
        }
    }
}

/// The [`Warning::ProfileNotListed`] for `model` called from `region`, when
/// it names an inference profile that is not among `listed` (the profiles the
/// catalog gives for the model) or whose geography calls from `region` may not
/// use. A `global.` profile is usable from any region that lists it.
///
/// Source: geographies per source region, docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html,
/// as of 2026-11-26 (see [`Geography::for_region`]).
pub(crate) fn unlisted_profile(model: &ModelId, listed: &[String], region: &str) -> Option<Warning> {
    let profile = model.profile_id()?;
    let usable_geo = |p: &str| {
        ModelId::parse(p).is_ok_and(|id| {
            id.geography()
                .is_some_and(|g| g == Geography::Global || Geography::for_region(region).contains(&g))
        })
    };
    let usable: Vec<String> = listed.iter().filter(|p| usable_geo(p)).cloned().collect();
    if usable.iter().any(|p| p == profile) {
        return None;
    }
    Some(Warning::ProfileNotListed {
        profile: profile.to_owned(),
        region: region.to_owned(),
        usable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(model: &str, listed: &[&str], region: &str) -> Option<Warning> {
        let listed: Vec<String> = listed.iter().map(|s| (*s).to_owned()).collect();
        unlisted_profile(&ModelId::parse(model).unwrap(), &listed, region)
    }

    #[test]
    fn profiles_the_catalog_does_not_list_for_the_region_are_flagged() {
        const LISTED: &[&str] = &["us.a.b", "eu.a.b", "global.a.b"];
        assert_eq!(warn("a.b", LISTED, "us-east-1"), None, "a base ID is not a profile");
        assert_eq!(warn("us.a.b", LISTED, "us-east-1"), None);
        assert_eq!(warn("global.a.b", LISTED, "ap-south-1"), None);
        assert_eq!(
            warn("us.a.b", LISTED, "ca-central-1"),
            None,
            "ca- regions may use us. profiles"
        );
        let w = warn("eu.a.b", LISTED, "us-east-1").unwrap();
        assert_eq!(
            w,
            Warning::ProfileNotListed {
                profile: "eu.a.b".into(),
                region: "us-east-1".into(),
                usable: vec!["us.a.b".into(), "global.a.b".into()],
            }
        );
        assert!(
            w.to_string()
                .contains("(profiles usable from us-east-1: us.a.b, global.a.b)"),
            "{w}"
        );
        let w = warn("apac.a.b", &["us.a.b"], "ap-south-1").unwrap();
        assert!(w.to_string().ends_with("AWS is likely to reject it"), "{w}");
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.a.b";
        assert!(warn(arn, LISTED, "us-east-1").is_some());
    }
}
