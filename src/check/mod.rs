//! The runtime check: (model, region, operation, latency policy, tier
//! policy, lifecycle policy) -> a [`Plan`] to send, or a [`Refusal`] that
//! says why and what would work.

mod reason;
mod warning;

use std::fmt;

use serde::Serialize;

use crate::date::Date;
use crate::model_id::ModelId;
use crate::vocab::{Latency, LatencyPolicy, LifecyclePolicy, Operation, ServiceTier, TierPolicy, Treatment};

pub use reason::RefusalReason;
pub(crate) use reason::Subject;
pub use warning::Warning;
pub(crate) use warning::unlisted_profile;

/// The question [`Catalog::check`](crate::Catalog::check) answers.
///
/// ```
/// use bedrock_latency::{Catalog, CheckRequest, LatencyPolicy, ModelId, Operation, ServiceTier, TierPolicy};
/// let nova: ModelId = "amazon.nova-pro-v1:0".parse()?;
/// let ask = CheckRequest::new(&nova, "us-east-1", Operation::Converse, LatencyPolicy::Standard);
/// // Nova Pro offers flex from us-east-1 (AWS's service-tier table).
/// let plan = Catalog::builtin().check(&ask.service_tier(ServiceTier::Flex)).expect("honored");
/// assert_eq!(plan.service_tier, Some(ServiceTier::Flex));
/// // Llama 3.1 70B has no flex tier: refused, or sent without a tier under prefer.
/// let llama: ModelId = "meta.llama3-1-70b-instruct-v1:0".parse()?;
/// let ask = CheckRequest::new(&llama, "us-east-2", Operation::Converse, LatencyPolicy::Standard);
/// assert!(Catalog::builtin().check(&ask.service_tier(ServiceTier::Flex)).is_err());
/// let plan = Catalog::builtin().check(&ask.service_tier(TierPolicy::Prefer(ServiceTier::Flex))).unwrap();
/// assert_eq!(plan.service_tier, None);
/// assert!(plan.tier_fallback.is_some());
/// # Ok::<(), bedrock_latency::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CheckRequest<'a> {
    pub(crate) model: Option<&'a ModelId>,
    pub(crate) region: &'a str,
    pub(crate) operation: Operation,
    pub(crate) policy: LatencyPolicy,
    pub(crate) tier: TierPolicy,
    pub(crate) lifecycle: LifecyclePolicy,
    pub(crate) today: Option<Date>,
    pub(crate) total_tokens: Option<u32>,
    pub(crate) allow_unverified: bool,
    pub(crate) allow_unverified_tier: bool,
}

impl<'a> CheckRequest<'a> {
    /// A request for `model`, called from `region`, on `operation`.
    pub fn new(model: &'a ModelId, region: &'a str, operation: Operation, policy: LatencyPolicy) -> Self {
        Self::with(Some(model), region, operation, policy)
    }

    /// A request that names no model: InvokeAgent and flows, whose model is
    /// part of the agent's or flow's definition.
    pub fn without_model(region: &'a str, operation: Operation, policy: LatencyPolicy) -> Self {
        Self::with(None, region, operation, policy)
    }

    fn with(model: Option<&'a ModelId>, region: &'a str, operation: Operation, policy: LatencyPolicy) -> Self {
        Self {
            model,
            region,
            operation,
            policy,
            tier: TierPolicy::Unset,
            lifecycle: LifecyclePolicy::Warn,
            today: None,
            total_tokens: None,
            allow_unverified: false,
            allow_unverified_tier: false,
        }
    }

    /// Asks for a service tier: a [`ServiceTier`] (required: refused where
    /// it would not be honored) or a [`TierPolicy`]
    /// (`TierPolicy::Prefer(..)` sends no tier there, and says why).
    pub fn service_tier(mut self, tier: impl Into<TierPolicy>) -> Self {
        self.tier = tier.into();
        self
    }

    /// What to do with a model past its end-of-life date (default:
    /// [`LifecyclePolicy::Warn`]).
    pub fn lifecycle(mut self, policy: LifecyclePolicy) -> Self {
        self.lifecycle = policy;
        self
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

    /// Sends a service tier that only secondary sources report for the
    /// model, or together with optimized latency where nobody has shown
    /// how the two combine, instead of refusing it: the caller has opted in
    /// and will read the served tier and latency in the report.
    pub fn allow_unverified_tier(mut self) -> Self {
        self.allow_unverified_tier = true;
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
    /// What was asked of the service tier.
    pub tier_policy: TierPolicy,
    /// The service tier to send (`None`: no tier, the service's default).
    pub service_tier: Option<ServiceTier>,
    /// How the catalog says the tier sent is treated (`unverified` only
    /// with [`CheckRequest::allow_unverified_tier`]).
    pub tier_treatment: Option<Treatment>,
    /// Why a prefer-tier request sends no tier.
    pub tier_fallback: Option<RefusalReason>,
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

    /// Whether the model is past its end-of-life date (a
    /// [`Warning::PastEndOfLife`] under the `warn` lifecycle policy).
    pub fn past_end_of_life(&self) -> bool {
        self.warnings.iter().any(|w| matches!(w, Warning::PastEndOfLife { .. }))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.model_id {
            Some(m) => write!(f, "send {m} with latency {}", self.latency)?,
            None => write!(f, "send latency {}", self.latency)?,
        }
        if let Some(t) = self.service_tier {
            write!(f, " and service tier {t}")?;
        }
        write!(f, " on {} from {}", self.operation, self.region)?;
        if let Some(reason) = &self.fallback {
            write!(f, " (fell back to standard: {})", reason.why())?;
        }
        if let (Some(reason), Some(tier)) = (&self.tier_fallback, self.tier_policy.tier()) {
            write!(f, " (no {tier} tier: {})", reason.why())?;
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
    /// What was asked of latency.
    pub policy: LatencyPolicy,
    /// What was asked of the service tier.
    pub tier: TierPolicy,
    /// Why, and what would work.
    pub reason: RefusalReason,
}

impl Refusal {
    /// Whether the refusal is only for lack of evidence (`invoke-flow`, a
    /// tier only secondary sources report).
    pub fn is_unverified(&self) -> bool {
        self.reason.is_unverified()
    }

    /// What the refusal is about. An unknown model asked for a tier with
    /// standard latency is refused for the tier.
    fn subject(&self) -> Subject {
        match (&self.reason, self.policy, self.tier.tier()) {
            (RefusalReason::UnknownModel { .. }, LatencyPolicy::Standard, Some(t)) => Subject::Tier(t),
            (r, _, _) => r.subject(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subject() {
            Subject::Latency => f.write_str("latency-optimized inference would not be honored for ")?,
            Subject::Tier(t) => write!(f, "service tier {t} would not be honored for ")?,
            Subject::Lifecycle => f.write_str("refused by the strict lifecycle policy: ")?,
        }
        if let Some(m) = &self.model {
            write!(f, "{m} on ")?;
        }
        write!(f, "{} from {}: {}", self.operation, self.region, self.reason)
    }
}

impl std::error::Error for Refusal {}
