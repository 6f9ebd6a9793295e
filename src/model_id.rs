//! Model identifiers in every form users paste: base model IDs, inference
//! profile IDs, foundation-model ARNs and inference-profile ARNs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// The geography prefix of a cross-region (system-defined) inference profile.
///
/// Source: docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html,
/// as of 2026-11-26.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Geography {
    /// `us.`: United States regions.
    Us,
    /// `us-gov.`: AWS GovCloud (US).
    UsGov,
    /// `eu.`: European regions.
    Eu,
    /// `apac.`: Asia Pacific regions.
    Apac,
    /// `jp.`: Japan regions.
    Jp,
    /// `au.`: Australia regions.
    Au,
    /// `ca.`: Canada regions.
    Ca,
    /// `global.`: global cross-region inference.
    Global,
}

impl Geography {
    /// Every geography, longest prefix first (so `us-gov.` wins over `us.`).
    pub const ALL: [Geography; 8] = [
        Geography::UsGov,
        Geography::Global,
        Geography::Apac,
        Geography::Us,
        Geography::Eu,
        Geography::Jp,
        Geography::Au,
        Geography::Ca,
    ];

    /// The prefix without its dot (`us`, `eu`, ...).
    pub const fn prefix(self) -> &'static str {
        match self {
            Geography::Us => "us",
            Geography::UsGov => "us-gov",
            Geography::Eu => "eu",
            Geography::Apac => "apac",
            Geography::Jp => "jp",
            Geography::Au => "au",
            Geography::Ca => "ca",
            Geography::Global => "global",
        }
    }

    /// The geographies whose profiles a call from `region` may use, most
    /// specific first (`ap-northeast-1` gives `jp` then `apac`); `global`
    /// is never listed, since it is a choice rather than a default.
    pub fn for_region(region: &str) -> &'static [Geography] {
        if region.starts_with("us-gov-") {
            &[Geography::UsGov]
        } else if region.starts_with("us-") {
            &[Geography::Us]
        } else if region.starts_with("eu-") {
            &[Geography::Eu]
        } else if region.starts_with("ap-northeast-1") || region.starts_with("ap-northeast-3") {
            &[Geography::Jp, Geography::Apac]
        } else if region.starts_with("ap-southeast-2") || region.starts_with("ap-southeast-4") {
            &[Geography::Au, Geography::Apac]
        } else if region.starts_with("ap-") {
            &[Geography::Apac]
        } else if region.starts_with("ca-") {
            &[Geography::Ca, Geography::Us]
        } else {
            &[]
        }
    }
}

crate::vocab::display_by_name!(Geography => write_str(prefix););

/// Which form a [`ModelId`] was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdForm {
    /// `meta.llama3-1-70b-instruct-v1:0`
    BaseModel,
    /// `us.meta.llama3-1-70b-instruct-v1:0`
    InferenceProfile,
    /// `arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0`
    FoundationModelArn,
    /// `arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.anthropic...`
    InferenceProfileArn,
}

/// The ARN partitions AWS has: commercial, China, GovCloud (US) and the
/// isolated (ISO) partitions.
/// Source: the partition table of the AWS SDKs' endpoint rules
/// (`partitions.json`: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e,
/// aws-iso-f), as of 2026-12-01.
const PARTITIONS: [&str; 7] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
];

/// The longest region name accepted: Bedrock's ARN patterns allow 1 to 20
/// characters (`[a-z0-9-]{1,20}`). It also keeps regions echoed in messages short.
/// Source: docs.aws.amazon.com/bedrock/latest/APIReference/API_InferenceProfileModel.html
/// (`modelArn` pattern), as of 2026-12-01.
const MAX_REGION_LEN: usize = 20;

/// The longest identifier accepted (AWS allows model IDs up to 2048 characters).
const MAX_LEN: usize = 2048;

/// A parsed Bedrock model identifier.
///
/// Parsing is syntactic and never panics: it splits off the ARN and the
/// inference-profile geography and checks the characters. Whether the model
/// exists is the [`Catalog`](crate::Catalog)'s question.
///
/// ```
/// use bedrock_latency::{IdForm, ModelId, Geography};
/// let id: ModelId = "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.meta.llama3-1-70b-instruct-v1:0".parse()?;
/// assert_eq!(id.form(), IdForm::InferenceProfileArn);
/// assert_eq!(id.base_model_id(), "meta.llama3-1-70b-instruct-v1:0");
/// assert_eq!(id.geography(), Some(Geography::Us));
/// assert_eq!(id.arn_region(), Some("us-east-2"));
/// assert_eq!(id.profile_id(), Some("us.meta.llama3-1-70b-instruct-v1:0"));
/// # Ok::<(), bedrock_latency::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ModelId {
    raw: std::sync::Arc<str>,
    /// Byte range of the resource ID (after `foundation-model/` etc.) in `raw`.
    resource_start: usize,
    /// Byte offset of the base model ID in `raw`.
    base_start: usize,
    geography: Option<Geography>,
    form: IdForm,
    arn_region: Option<(usize, usize)>,
}

impl ModelId {
    /// Parses any of the four forms. `%3A` is accepted for `:` (IDs copied
    /// from request paths).
    pub fn parse(input: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::InvalidModelId {
            input: truncate(input),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        if trimmed.len() > MAX_LEN {
            return Err(bad("it is longer than 2048 characters"));
        }
        let raw = if trimmed.contains('%') {
            trimmed.replace("%3A", ":").replace("%3a", ":")
        } else {
            trimmed.to_owned()
        };

        let arn = match raw.strip_prefix("arn:") {
            Some(rest) => Some(parse_arn(rest).map_err(|reason| bad(&reason))?),
            None => None,
        };
        // `arn:` + the offsets within the rest.
        let resource_start = arn.as_ref().map_or(0, |a| 4 + a.resource_start);
        let form_hint = arn.as_ref().map(|a| a.form);
        let arn_region = arn.as_ref().map(|a| (4 + a.region.0, 4 + a.region.1));

        let resource = &raw[resource_start..];
        let geography = check_resource(resource).map_err(|reason| bad(&reason))?;
        let base_start = resource_start + geography.map_or(0, |g| g.prefix().len() + 1);
        let form = match (form_hint, geography) {
            (Some(IdForm::FoundationModelArn), Some(_)) => {
                return Err(bad(
                    "a foundation-model ARN names a base model, not an inference profile",
                ));
            }
            (Some(IdForm::InferenceProfileArn), None) => {
                return Err(bad("an inference-profile ARN must name a profile such as `us.<model>`"));
            }
            (Some(f), _) => f,
            (None, Some(_)) => IdForm::InferenceProfile,
            (None, None) => IdForm::BaseModel,
        };
        Ok(Self {
            raw: raw.into(),
            resource_start,
            base_start,
            geography,
            form,
            arn_region,
        })
    }

    /// The identifier as given (trimmed, `%3A` decoded).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The base model ID, e.g. `meta.llama3-1-70b-instruct-v1:0`.
    pub fn base_model_id(&self) -> &str {
        &self.raw[self.base_start..]
    }

    /// The inference profile ID if this names one, e.g. `us.amazon.nova-pro-v1:0`.
    pub fn profile_id(&self) -> Option<&str> {
        self.geography.map(|_| &self.raw[self.resource_start..])
    }

    /// The inference profile geography, if this names a profile.
    pub fn geography(&self) -> Option<Geography> {
        self.geography
    }

    /// Which form the identifier was written in.
    pub fn form(&self) -> IdForm {
        self.form
    }

    /// Whether this names an inference profile (by ID or ARN).
    pub fn is_inference_profile(&self) -> bool {
        self.geography.is_some()
    }

    /// The region written in the ARN, if this is an ARN.
    pub fn arn_region(&self) -> Option<&str> {
        self.arn_region.map(|(a, b)| &self.raw[a..b])
    }
}

/// The parts of an ARN that [`ModelId`] keeps, as offsets after `arn:`.
struct Arn {
    form: IdForm,
    region: (usize, usize),
    resource_start: usize,
}

/// Parses `PARTITION:bedrock:REGION:ACCOUNT:RESOURCE-TYPE/RESOURCE-ID` (an
/// ARN after its `arn:`); the error is the reason.
fn parse_arn(rest: &str) -> Result<Arn, String> {
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next().unwrap_or("");
    let service = parts.next().unwrap_or("");
    let region = parts.next().unwrap_or("");
    let account = parts.next().unwrap_or("");
    let resource = parts.next().ok_or("an ARN needs six `:`-separated parts")?;
    if !PARTITIONS.contains(&partition) {
        return Err(
            "the ARN partition must be aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e or aws-iso-f".into(),
        );
    }
    if service != "bedrock" {
        return Err("it is an ARN, but not a Bedrock one".into());
    }
    if !is_region_like(region) {
        return Err("the ARN has no valid region".into());
    }
    const KINDS: &str = "the ARN resource must be `foundation-model/ID` or `inference-profile/ID`";
    let (kind, id) = resource.split_once('/').ok_or(KINDS)?;
    let form = match kind {
        "foundation-model" => IdForm::FoundationModelArn,
        "inference-profile" => IdForm::InferenceProfileArn,
        "application-inference-profile" => {
            return Err("application inference profile ARNs do not name their model; pass the \
                 model's base or inference profile ID instead"
                .into());
        }
        "provisioned-model" | "custom-model" | "imported-model" | "custom-model-deployment" => {
            return Err(
                "provisioned, custom and imported models cannot use latency-optimized inference; \
                 pass a foundation model or inference profile ID"
                    .into(),
            );
        }
        _ => return Err(KINDS.into()),
    };
    // Foundation-model ARNs have no account (`REGION::foundation-model/`);
    // inference-profile ARNs a 12-digit one. Source: the ARN patterns in
    // docs.aws.amazon.com/bedrock/latest/APIReference/API_InferenceProfileModel.html
    // and API_InferenceProfileSummary.html, as of 2026-12-01.
    let twelve_digits = account.len() == 12 && account.bytes().all(|c| c.is_ascii_digit());
    match form {
        IdForm::FoundationModelArn if !account.is_empty() => {
            return Err("a foundation-model ARN has no account: `arn:aws:bedrock:REGION::foundation-model/ID`".into());
        }
        IdForm::InferenceProfileArn if !twelve_digits => return Err("the ARN account must be 12 digits".into()),
        _ => {}
    }
    if id.is_empty() {
        return Err("the ARN resource ID (after the `/`) is empty".into());
    }
    let region_start = partition.len() + 1 + service.len() + 1;
    Ok(Arn {
        form,
        region: (region_start, region_start + region.len()),
        resource_start: rest.len() - id.len(),
    })
}

/// Checks a resource ID (a base model ID or an inference profile ID) and
/// returns its geography; the error is the reason.
fn check_resource(resource: &str) -> Result<Option<Geography>, String> {
    if let Some(c) = resource
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_')))
    {
        return Err(format!("it contains {c:?}; model IDs use letters, digits and . - : _"));
    }
    let geography = Geography::ALL.into_iter().find(|g| {
        resource.len() > g.prefix().len() + 1
            && resource.starts_with(g.prefix())
            && resource.as_bytes()[g.prefix().len()] == b'.'
    });
    let base = &resource[geography.map_or(0, |g| g.prefix().len() + 1)..];
    // Foundation models are `provider.model`; AWS also answers for IDs
    // without a provider part (with its own error), so those pass here.
    // A model ID starts with a letter or digit and has no empty part
    // between its `.` and `:` separators (`:` alone is not an ID).
    let empty_part = base.ends_with(['.', ':']) || ["..", "::", ".:", ":."].iter().any(|p| base.contains(p));
    if !base.starts_with(|c: char| c.is_ascii_alphanumeric()) || empty_part {
        return Err("a model ID looks like `provider.model-name-v1:0`".into());
    }
    if let Some((provider, _)) = base.split_once('.')
        && !provider
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err("the provider part (before the first `.`) must be lower-case letters and digits".into());
    }
    Ok(geography)
}

/// Whether `s` looks like an AWS region name (`us-east-2`, `us-gov-west-1`).
pub(crate) fn is_region_like(s: &str) -> bool {
    if s.len() > MAX_REGION_LEN {
        return false;
    }
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !first.is_empty()
        && first.bytes().all(|c| c.is_ascii_lowercase())
        && rest.len() >= 2
        && rest
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
}

/// Shortens user input quoted in an error message.
pub(crate) fn truncate(s: &str) -> String {
    truncate_to(s, 120)
}

/// `s` cut to at most `max` bytes (at a character boundary), `...` marking
/// a cut.
pub(crate) fn truncate_to(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `s` on one line for a message: control characters (newlines, terminal
/// escapes) written as escapes, and at most `max` characters kept.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push_str("...");
            break;
        }
        if c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

impl FromStr for ModelId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        ModelId::parse(s)
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ModelId").field(&self.raw).finish()
    }
}

impl Serialize for ModelId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for ModelId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ModelId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_forms() {
        let base = ModelId::parse("amazon.nova-pro-v1:0").unwrap();
        assert_eq!(base.form(), IdForm::BaseModel);
        assert_eq!(base.profile_id(), None);

        let p = ModelId::parse("us.amazon.nova-pro-v1:0").unwrap();
        assert_eq!(p.form(), IdForm::InferenceProfile);
        assert_eq!(p.base_model_id(), "amazon.nova-pro-v1:0");
        assert_eq!(p.geography(), Some(Geography::Us));

        let g = ModelId::parse("us-gov.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
        assert_eq!(g.geography(), Some(Geography::UsGov));
        assert_eq!(g.base_model_id(), "anthropic.claude-3-5-haiku-20241022-v1:0");

        for (s, geo) in [
            ("eu.x.y", Geography::Eu),
            ("apac.x.y", Geography::Apac),
            ("global.x.y", Geography::Global),
        ] {
            assert_eq!(ModelId::parse(s).unwrap().geography(), Some(geo), "{s}");
        }

        let fm = ModelId::parse("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0").unwrap();
        assert_eq!(fm.form(), IdForm::FoundationModelArn);
        assert_eq!(fm.base_model_id(), "amazon.nova-pro-v1:0");
        assert_eq!(fm.arn_region(), Some("us-east-1"));

        let pa = ModelId::parse(
            "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.meta.llama3-1-70b-instruct-v1:0",
        )
        .unwrap();
        assert_eq!(pa.form(), IdForm::InferenceProfileArn);
        assert_eq!(pa.profile_id(), Some("us.meta.llama3-1-70b-instruct-v1:0"));

        let enc = ModelId::parse("us.amazon.nova-pro-v1%3A0").unwrap();
        assert_eq!(enc.as_str(), "us.amazon.nova-pro-v1:0");
    }

    #[test]
    fn clear_errors() {
        for (input, needle) in [
            ("", "empty"),
            ("nova pro", "contains ' '"),
            ("amazon..nova", "provider.model"),
            ("Amazon.nova", "provider part"),
            ("arn:aws:s3:::bucket/x", "not a Bedrock"),
            (
                "arn:aws:bedrock:us-east-1:123:application-inference-profile/abc",
                "application inference",
            ),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/us.amazon.nova-pro-v1:0",
                "base model",
            ),
            (
                "arn:aws:bedrock:nowhere::foundation-model/amazon.nova-pro-v1:0",
                "region",
            ),
            ("us.", "provider.model"),
        ] {
            let e = ModelId::parse(input).unwrap_err().to_string();
            assert!(e.contains(needle), "{input:?}: {e}");
        }
    }

    #[test]
    fn strict_arns() {
        const PROFILE: &str = "inference-profile/us.amazon.nova-pro-v1:0";
        const MODEL: &str = "foundation-model/amazon.nova-pro-v1:0";
        // Written out again (not read from PARTITIONS), so that a partition
        // dropped from the list fails here.
        for partition in "aws aws-cn aws-us-gov aws-iso aws-iso-b aws-iso-e aws-iso-f".split(' ') {
            let arn = format!("arn:{partition}:bedrock:us-east-1:123456789012:{PROFILE}");
            assert!(ModelId::parse(&arn).is_ok(), "{arn}");
            let arn = format!("arn:{partition}:bedrock:us-east-1::{MODEL}");
            assert!(ModelId::parse(&arn).is_ok(), "{arn}");
        }
        for (input, needle) in [
            (format!("arn:awsevil:bedrock:us-east-1::{MODEL}"), "partition"),
            (format!("arn:aws-iso-z:bedrock:us-east-1::{MODEL}"), "partition"),
            (format!("arn::bedrock:us-east-1::{MODEL}"), "partition"),
            (format!("arn:aws:bedrock:us-east-1::{PROFILE}"), "12 digits"),
            (format!("arn:aws:bedrock:us-east-1:12345:{PROFILE}"), "12 digits"),
            (
                format!("arn:aws:bedrock:us-east-1:1234567890123:{PROFILE}"),
                "12 digits",
            ),
            (format!("arn:aws:bedrock:us-east-1:12345678901a:{PROFILE}"), "12 digits"),
            (format!("arn:aws:bedrock:us-east-1:123456789012:{MODEL}"), "no account"),
            ("arn:aws:bedrock:us-east-1::foundation-model/".to_owned(), "empty"),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/".to_owned(),
                "empty",
            ),
            (format!("arn:aws:bedrock:{}-1::{MODEL}", "a-".repeat(20)), "region"),
        ] {
            let e = ModelId::parse(&input).unwrap_err().to_string();
            assert!(e.contains(needle), "{input:?}: {e}");
        }
    }

    #[test]
    fn ids_without_a_name_are_rejected() {
        for input in [":", "::", "us.:", ":0", "a:", "a.b:", "a::0", "a.:0", "-a.b", "us.-x"] {
            assert!(ModelId::parse(input).is_err(), "{input:?} parsed");
        }
        for input in ["a", "a.b", "a.b-v1:0", "a.b-v1:0:28k", "0.x"] {
            assert!(ModelId::parse(input).is_ok(), "{input:?} rejected");
        }
    }

    #[test]
    fn regions() {
        assert!(is_region_like("us-east-2"));
        assert!(is_region_like("us-gov-west-1"));
        assert!(!is_region_like("us-east"));
        assert!(!is_region_like("US-EAST-1"));
        assert!(!is_region_like("us--1"));
        assert!(is_region_like("us-isof-south-1"));
        assert!(!is_region_like(&format!("us-{}-1", "a".repeat(100_000))));
        assert_eq!(
            Geography::for_region("ap-northeast-1"),
            &[Geography::Jp, Geography::Apac]
        );
    }
}
