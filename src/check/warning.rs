//! What a plan says besides what to send: [`Warning`]s that do not stop
//! the call.

use std::fmt;

use serde::Serialize;

use super::reason::list;
use crate::date::Date;
use crate::model_id::{Geography, ModelId};

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
        /// The page the date comes from.
        source: String,
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
    /// The reserved tier serves only an account with a reservation for the
    /// model; beyond the reserved capacity, requests overflow to the default
    /// tier (reported as a tier downgrade).
    ReservationNeeded {
        /// The model's name.
        model_name: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = |d: &Option<Date>| d.map_or_else(|| "no date announced".to_owned(), |d| d.to_string());
        match self {
            Warning::PastEndOfLife {
                model_name,
                end_of_life,
                source,
            } => write!(
                f,
                "{model_name} is past its end-of-life date ({}); AWS may no longer serve it (source: {source}; \
                 the `strict` lifecycle policy refuses such requests)",
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
            // "Reservation not found." is what Bedrock answers without one
            // (reported in github.com/NousResearch/hermes-agent/pull/34476,
            // 2026-05-29, and github.com/envoyproxy/ai-gateway/pull/1749,
            // 2026-01-09: secondary sources). Overflow to the default tier:
            // docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html.
            Warning::ReservationNeeded { model_name } => write!(
                f,
                "the reserved tier needs a reservation for {model_name} on your account (AWS answers \
                 \"Reservation not found.\" without one); beyond it, requests overflow to the default tier"
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
