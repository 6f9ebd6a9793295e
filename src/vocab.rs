//! The vocabulary shared by the catalog, the request builders and the CLI:
//! operations, latency settings, policies and service tiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The AWS service an [`Operation`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// `bedrock-runtime` (Converse, InvokeModel and their streams).
    BedrockRuntime,
    /// `bedrock-agent-runtime` (agents, knowledge bases, flows).
    BedrockAgentRuntime,
}

/// A Bedrock operation that can carry a latency setting.
///
/// The kebab-case names (`converse`, `invoke-model-stream`, ...) are what the
/// CLI and configuration files use; [`FromStr`] also accepts the AWS API
/// names (`Converse`, `InvokeModelWithResponseStream`, `InvokeInlineAgent`,
/// `StartFlowExecution`, ...), case-insensitively.
///
/// Source for which operations take `performanceConfig`: the AWS SDK for
/// Rust models (aws-sdk-bedrockruntime 1.153.0, aws-sdk-bedrockagentruntime
/// 1.151.0), as of 2026-11-26; see `shared/bedrock-facts.md` section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// bedrock-runtime `Converse`.
    Converse,
    /// bedrock-runtime `ConverseStream`.
    ConverseStream,
    /// bedrock-runtime `InvokeModel`.
    InvokeModel,
    /// bedrock-runtime `InvokeModelWithResponseStream`.
    InvokeModelStream,
    /// bedrock-agent-runtime `InvokeInlineAgent`.
    InlineAgent,
    /// bedrock-agent-runtime `RetrieveAndGenerate`.
    RetrieveAndGenerate,
    /// bedrock-agent-runtime `RetrieveAndGenerateStream`.
    RetrieveAndGenerateStream,
    /// bedrock-agent-runtime `InvokeAgent`: the API accepts the setting but
    /// the service does not honor it.
    InvokeAgent,
    /// bedrock-agent-runtime `InvokeFlow`: whether the setting is honored
    /// is unverified.
    InvokeFlow,
    /// bedrock-agent-runtime `StartFlowExecution` (an asynchronous flow
    /// run): whether the setting is honored is unverified.
    StartFlowExecution,
}

impl Operation {
    /// Every operation, in a stable order.
    pub const ALL: [Operation; 10] = [
        Operation::Converse,
        Operation::ConverseStream,
        Operation::InvokeModel,
        Operation::InvokeModelStream,
        Operation::InlineAgent,
        Operation::RetrieveAndGenerate,
        Operation::RetrieveAndGenerateStream,
        Operation::InvokeAgent,
        Operation::InvokeFlow,
        Operation::StartFlowExecution,
    ];

    /// The kebab-case name used by the CLI and configuration files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Converse => "converse",
            Operation::ConverseStream => "converse-stream",
            Operation::InvokeModel => "invoke-model",
            Operation::InvokeModelStream => "invoke-model-stream",
            Operation::InlineAgent => "inline-agent",
            Operation::RetrieveAndGenerate => "retrieve-and-generate",
            Operation::RetrieveAndGenerateStream => "retrieve-and-generate-stream",
            Operation::InvokeAgent => "invoke-agent",
            Operation::InvokeFlow => "invoke-flow",
            Operation::StartFlowExecution => "start-flow-execution",
        }
    }

    /// The AWS API operation name.
    pub const fn aws_name(self) -> &'static str {
        match self {
            Operation::Converse => "Converse",
            Operation::ConverseStream => "ConverseStream",
            Operation::InvokeModel => "InvokeModel",
            Operation::InvokeModelStream => "InvokeModelWithResponseStream",
            Operation::InlineAgent => "InvokeInlineAgent",
            Operation::RetrieveAndGenerate => "RetrieveAndGenerate",
            Operation::RetrieveAndGenerateStream => "RetrieveAndGenerateStream",
            Operation::InvokeAgent => "InvokeAgent",
            Operation::InvokeFlow => "InvokeFlow",
            Operation::StartFlowExecution => "StartFlowExecution",
        }
    }

    /// The service that serves this operation.
    pub const fn service(self) -> Service {
        match self {
            Operation::Converse | Operation::ConverseStream | Operation::InvokeModel | Operation::InvokeModelStream => {
                Service::BedrockRuntime
            }
            _ => Service::BedrockAgentRuntime,
        }
    }

    /// Whether the response arrives as an event stream.
    pub const fn is_stream(self) -> bool {
        matches!(
            self,
            Operation::ConverseStream
                | Operation::InvokeModelStream
                | Operation::InlineAgent
                | Operation::RetrieveAndGenerateStream
                | Operation::InvokeAgent
        )
    }
}

/// How an operation treats `performanceConfig.latency = optimized`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Treatment {
    /// The service serves the request latency-optimized (quota permitting).
    Honored,
    /// The API accepts the field, the service serves standard anyway.
    Ignored,
    /// Nobody has shown either way.
    Unverified,
}

impl fmt::Display for Treatment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Treatment::Honored => "honored",
            Treatment::Ignored => "ignored",
            Treatment::Unverified => "unverified",
        })
    }
}

/// The value of `performanceConfig.latency` on the wire.
///
/// Parsing is case-insensitive, since invocation logs write `OPTIMIZED`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Latency {
    /// The default latency.
    #[default]
    Standard,
    /// Latency-optimized inference (AWS preview feature).
    Optimized,
}

impl Latency {
    /// The wire value: `standard` or `optimized`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Latency::Standard => "standard",
            Latency::Optimized => "optimized",
        }
    }
}

/// What a caller wants, for requests whose model is known only at run time.
///
/// Services can keep it in their configuration files:
///
/// ```
/// use bedrock_latency::LatencyPolicy;
/// #[derive(serde::Deserialize)]
/// struct Config { latency: LatencyPolicy }
/// let cfg: Config = serde_json::from_str(r#"{"latency": "prefer-optimized"}"#)?;
/// assert_eq!(cfg.latency, LatencyPolicy::PreferOptimized);
/// assert_eq!("optimized".parse::<LatencyPolicy>()?, LatencyPolicy::Optimized);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatencyPolicy {
    /// Send standard latency.
    #[default]
    Standard,
    /// Send optimized latency; refuse before sending if it would not be
    /// honored for this model, region and operation.
    Optimized,
    /// Send optimized latency where it is honored, otherwise send standard
    /// and record why.
    #[serde(alias = "prefer_optimized")]
    PreferOptimized,
}

impl LatencyPolicy {
    /// The name used in configuration files.
    pub const fn as_str(self) -> &'static str {
        match self {
            LatencyPolicy::Standard => "standard",
            LatencyPolicy::Optimized => "optimized",
            LatencyPolicy::PreferOptimized => "prefer-optimized",
        }
    }

    /// Whether this policy asks for optimized latency at all.
    pub const fn wants_optimized(self) -> bool {
        !matches!(self, LatencyPolicy::Standard)
    }
}

impl From<Latency> for LatencyPolicy {
    fn from(l: Latency) -> Self {
        match l {
            Latency::Standard => LatencyPolicy::Standard,
            Latency::Optimized => LatencyPolicy::Optimized,
        }
    }
}

/// A Bedrock service tier (bedrock-runtime only, from November 2025).
///
/// Tiers are independent of [`Latency`]. Source:
/// docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html,
/// as of 2026-11-26.
///
/// Beware the names: **`Flex` is the slow, cheap tier** for work that can
/// wait, not a fast one. `Priority` is the fast one, at a price premium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    /// Fastest response times, for a price premium.
    Priority,
    /// The default tier.
    Default,
    /// Discounted, for work that can wait: slower, not faster.
    Flex,
    /// Reserved capacity that overflows to the default tier.
    Reserved,
}

impl ServiceTier {
    /// Every tier, in a stable order.
    pub const ALL: [ServiceTier; 4] = [
        ServiceTier::Priority,
        ServiceTier::Default,
        ServiceTier::Flex,
        ServiceTier::Reserved,
    ];

    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Priority => "priority",
            ServiceTier::Default => "default",
            ServiceTier::Flex => "flex",
            ServiceTier::Reserved => "reserved",
        }
    }
}

/// What a caller wants of the service tier: the tier's counterpart of
/// [`LatencyPolicy`], checked against the catalog before sending.
///
/// The text form (CLI flags, configuration files) is the tier's name for
/// [`Require`](TierPolicy::Require) (`flex`), `prefer-` and the name for
/// [`Prefer`](TierPolicy::Prefer) (`prefer-priority`), and `none` for
/// [`Unset`](TierPolicy::Unset):
///
/// ```
/// use bedrock_latency::{ServiceTier, TierPolicy};
/// assert_eq!("flex".parse::<TierPolicy>()?, TierPolicy::Require(ServiceTier::Flex));
/// assert_eq!("prefer-priority".parse::<TierPolicy>()?, TierPolicy::Prefer(ServiceTier::Priority));
/// assert_eq!(TierPolicy::from(ServiceTier::Reserved).to_string(), "reserved");
/// #[derive(serde::Deserialize)]
/// struct Config { tier: TierPolicy }
/// let cfg: Config = serde_json::from_str(r#"{"tier": "prefer-flex"}"#)?;
/// assert_eq!(cfg.tier, TierPolicy::Prefer(ServiceTier::Flex));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Tiers exist on bedrock-runtime only: the runtime builders take one,
///
/// ```
/// # fn demo(client: &bedrock_latency::Client) {
/// use bedrock_latency::{ServiceTier, TierPolicy, models::NovaPro};
/// let _ = client.converse(NovaPro).service_tier(ServiceTier::Flex);
/// let _ = client.invoke_model(NovaPro).tier_policy(TierPolicy::Prefer(ServiceTier::Priority));
/// # }
/// ```
///
/// and the agent-runtime builders, whose APIs have no tier field, do not:
///
/// ```compile_fail
/// # fn demo(client: &bedrock_latency::Client) {
/// use bedrock_latency::{ServiceTier, models::NovaPro};
/// let _ = client.inline_agent(NovaPro).service_tier(ServiceTier::Flex); // no method `service_tier`
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TierPolicy {
    /// Send no tier: the service serves its default (standard) tier.
    #[default]
    Unset,
    /// Send this tier; refuse before sending where the catalog says it
    /// would not be honored for the model, region and operation.
    Require(ServiceTier),
    /// Send this tier where it would be honored; otherwise send none and
    /// record why.
    Prefer(ServiceTier),
}

impl TierPolicy {
    /// The tier asked for, if any.
    pub const fn tier(self) -> Option<ServiceTier> {
        match self {
            TierPolicy::Unset => None,
            TierPolicy::Require(t) | TierPolicy::Prefer(t) => Some(t),
        }
    }

    /// Whether a tier that would not be honored falls back to none.
    pub const fn is_prefer(self) -> bool {
        matches!(self, TierPolicy::Prefer(_))
    }
}

impl From<ServiceTier> for TierPolicy {
    fn from(t: ServiceTier) -> Self {
        TierPolicy::Require(t)
    }
}

impl From<Option<ServiceTier>> for TierPolicy {
    fn from(t: Option<ServiceTier>) -> Self {
        t.map_or(TierPolicy::Unset, TierPolicy::Require)
    }
}

impl fmt::Display for TierPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierPolicy::Unset => f.write_str("none"),
            TierPolicy::Require(t) => t.fmt(f),
            TierPolicy::Prefer(t) => write!(f, "prefer-{t}"),
        }
    }
}

impl FromStr for TierPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let bad = || {
            Error::parse(
                "service tier policy",
                s,
                "priority, default, flex, reserved, prefer-priority, prefer-flex, prefer-reserved or none",
            )
        };
        if t.eq_ignore_ascii_case("none") {
            return Ok(TierPolicy::Unset);
        }
        let prefer = t
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("prefer-") || p.eq_ignore_ascii_case("prefer_"))
            .map(|_| &t[7..]);
        match prefer {
            Some(rest) => rest.parse().map(TierPolicy::Prefer).map_err(|_| bad()),
            None => t.parse().map(TierPolicy::Require).map_err(|_| bad()),
        }
    }
}

impl Serialize for TierPolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TierPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What to do with a model past its end-of-life date.
///
/// Warning is the default: AWS sometimes extends dates, and the catalog
/// may lag behind AWS. A service that must never call a retired model asks
/// for [`Strict`](LifecyclePolicy::Strict), which refuses before sending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifecyclePolicy {
    /// Send, with a [`Warning::PastEndOfLife`](crate::Warning::PastEndOfLife).
    #[default]
    Warn,
    /// Refuse requests for a model past its end-of-life date.
    Strict,
}

impl LifecyclePolicy {
    /// The name used by the CLI and configuration files.
    pub const fn as_str(self) -> &'static str {
        match self {
            LifecyclePolicy::Warn => "warn",
            LifecyclePolicy::Strict => "strict",
        }
    }
}

/// `Display` of enums whose text form is one fixed name per value, given
/// by a method: `Type => write_str(as_str)` (`pad` to honour width and
/// alignment).
macro_rules! display_by_name {
    ($($ty:ty => $write:ident($name:ident);)*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.$write(self.$name())
            }
        }
    )*};
}

pub(crate) use display_by_name;

display_by_name! {
    Operation => write_str(as_str);
    Latency => write_str(as_str);
    LatencyPolicy => write_str(as_str);
    ServiceTier => write_str(as_str);
    LifecyclePolicy => write_str(as_str);
}

/// The value of `values` of which `text` is one of the `names`, ASCII case
/// ignored.
fn by_name<T: Copy, const N: usize>(text: &str, values: &[T], names: impl Fn(T) -> [&'static str; N]) -> Option<T> {
    values
        .iter()
        .copied()
        .find(|&v| names(v).iter().any(|n| n.eq_ignore_ascii_case(text)))
}

/// `FromStr` of the vocabulary enums, one row each: what a value is (for
/// the error), the names the error lists, every value, the names each value
/// is read by, and `trim` where surrounding whitespace is ignored. Any other
/// text is an [`Error::Parse`] quoting it as given.
macro_rules! from_name {
    ($($ty:ty: $what:literal, $expected:literal, $values:expr, |$v:ident| $names:expr $(, $trim:ident)?;)*) => {$(
        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let text = s $(.$trim())?;
                by_name(text, $values, |$v: $ty| $names).ok_or_else(|| Error::parse($what, s, $expected))
            }
        }
    )*};
}

from_name! {
    Operation: "operation",
        "converse, converse-stream, invoke-model, invoke-model-stream, inline-agent, \
         retrieve-and-generate, retrieve-and-generate-stream, invoke-agent, invoke-flow, start-flow-execution",
        &Operation::ALL, |op| [op.as_str(), op.aws_name()];
    Latency: "latency", "standard, optimized", &[Latency::Standard, Latency::Optimized], |l| [l.as_str()];
    LatencyPolicy: "latency policy", "standard, optimized, prefer-optimized",
        &[LatencyPolicy::Standard, LatencyPolicy::Optimized, LatencyPolicy::PreferOptimized],
        |p| match p {
            LatencyPolicy::PreferOptimized => ["prefer-optimized", "prefer_optimized"],
            p => [p.as_str(); 2],
        }, trim;
    ServiceTier: "service tier", "priority, default, flex, reserved", &ServiceTier::ALL, |t| [t.as_str()];
    LifecyclePolicy: "lifecycle policy", "warn, strict", &[LifecyclePolicy::Warn, LifecyclePolicy::Strict],
        |p| [p.as_str()], trim;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), op);
            assert_eq!(op.aws_name().parse::<Operation>().unwrap(), op);
            let json = serde_json::to_string(&op).unwrap();
            assert_eq!(json, format!("\"{}\"", op.as_str()));
        }
        assert_eq!(
            "StartFlowExecution".parse::<Operation>().unwrap(),
            Operation::StartFlowExecution
        );
        let err = "converse_stream".parse::<Operation>().unwrap_err().to_string();
        assert!(err.contains("converse-stream"), "{err}");
    }

    #[test]
    fn policies_parse() {
        assert_eq!(
            "Prefer_Optimized".parse::<LatencyPolicy>().unwrap(),
            LatencyPolicy::PreferOptimized
        );
        assert!("fast".parse::<LatencyPolicy>().is_err());
        assert_eq!("OPTIMIZED".parse::<Latency>().unwrap(), Latency::Optimized);
        assert_eq!("Flex".parse::<ServiceTier>().unwrap(), ServiceTier::Flex);
    }

    #[test]
    fn names_round_trip_and_errors_quote_the_text_as_given() {
        for l in [Latency::Standard, Latency::Optimized] {
            assert_eq!(l.to_string().parse::<Latency>().unwrap(), l);
            assert_eq!(
                LatencyPolicy::from(l).to_string().parse::<LatencyPolicy>().unwrap(),
                l.into()
            );
        }
        for t in ServiceTier::ALL {
            assert_eq!(t.to_string().to_uppercase().parse::<ServiceTier>().unwrap(), t);
        }
        // The policies ignore surrounding whitespace; the wire values do not.
        assert_eq!(" warn ".parse::<LifecyclePolicy>().unwrap(), LifecyclePolicy::Warn);
        assert_eq!(
            " prefer-optimized\n".parse::<LatencyPolicy>().unwrap(),
            LatencyPolicy::PreferOptimized
        );
        for (e, want) in [
            (" standard".parse::<Latency>().unwrap_err(), "latency"),
            (" flex".parse::<ServiceTier>().unwrap_err(), "service tier"),
            (" converse".parse::<Operation>().unwrap_err(), "operation"),
            (" fast ".parse::<LatencyPolicy>().unwrap_err(), "latency policy"),
            ("refuse".parse::<LifecyclePolicy>().unwrap_err(), "lifecycle policy"),
        ] {
            let Error::Parse { what, .. } = &e else { panic!("{e:?}") };
            assert_eq!(*what, want);
        }
        let e = " fast ".parse::<LatencyPolicy>().unwrap_err().to_string();
        assert!(
            e.contains("\" fast \"") && e.contains("standard, optimized, prefer-optimized"),
            "{e}"
        );
    }

    #[test]
    fn tier_policies_round_trip() {
        let all = ServiceTier::ALL
            .into_iter()
            .flat_map(|t| [TierPolicy::Require(t), TierPolicy::Prefer(t)])
            .chain([TierPolicy::Unset]);
        for p in all {
            assert_eq!(p.to_string().parse::<TierPolicy>().unwrap(), p, "{p}");
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<TierPolicy>(&json).unwrap(), p, "{json}");
        }
        assert_eq!(
            "Prefer_Flex".parse::<TierPolicy>().unwrap(),
            TierPolicy::Prefer(ServiceTier::Flex)
        );
        for bad in ["", "fast", "prefer-", "prefer-fast", "prefer", "flexx"] {
            let e = bad.parse::<TierPolicy>().unwrap_err().to_string();
            assert!(e.contains("prefer-priority"), "{bad:?}: {e}");
        }
        assert_eq!("STRICT".parse::<LifecyclePolicy>().unwrap(), LifecyclePolicy::Strict);
        assert!("refuse".parse::<LifecyclePolicy>().is_err());
        assert_eq!(LifecyclePolicy::default(), LifecyclePolicy::Warn);
    }
}
