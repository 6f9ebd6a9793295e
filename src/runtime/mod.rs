//! bedrock-runtime: Converse, ConverseStream, InvokeModel and
//! InvokeModelWithResponseStream, checked before sending and reporting what
//! served them.
//!
//! | Request builder | Answer |
//! |---|---|
//! | [`ConverseRequest`] (`client.converse(model)`) | [`ConverseResponse`] |
//! | [`ConverseStreamRequest`] (`client.converse_stream(model)`) | [`ConverseStream`] |
//! | [`InvokeModelRequest`] (`client.invoke_model(model)`) | [`InvokeModelResponse`] |
//! | [`InvokeModelStreamRequest`] (`client.invoke_model_stream(model)`) | [`InvokeModelStream`] |

/// The methods every bedrock-runtime request builder has alike: latency
/// policy, service tier, `.optimized()` where the model offers it on `$op`,
/// the escape hatch and `Debug` (model, policy, tier and the parts' own
/// `debug_fields`). The builder keeps them in `self.parts`.
macro_rules! request_methods {
    ($builder:ident, $op:ty, $sdkb:ty) => {
        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            /// Sets the latency policy (checked against the catalog before
            /// sending). Typed models that honor it also have `.optimized()`.
            pub fn latency(mut self, policy: LatencyPolicy) -> Self {
                self.parts.common.policy = policy;
                self
            }

            /// Asks for a service tier, checked against the catalog before
            /// sending like latency: refused where the model does not offer
            /// it from the client's region. **`Flex` is the slow, cheap
            /// tier**; `Priority` is the fast one, at a premium.
            pub fn service_tier(self, tier: crate::vocab::ServiceTier) -> Self {
                self.tier_policy(crate::vocab::TierPolicy::Require(tier))
            }

            /// Sets the tier policy: `TierPolicy::Prefer(tier)` sends the
            /// tier where the catalog says it is honored and none elsewhere,
            /// and the report says why ([`LatencyReport::tier_downgrade`](crate::LatencyReport::tier_downgrade)).
            pub fn tier_policy(mut self, policy: crate::vocab::TierPolicy) -> Self {
                self.parts.common.tier = policy;
                self
            }

            /// Sends a tier that only secondary sources report for the
            /// model (or together with optimized latency, where how the two
            /// combine is unverified) instead of refusing it; read the
            /// served tier and latency in the report.
            pub fn allow_unverified_tier(mut self) -> Self {
                self.parts.common.allow_unverified_tier = true;
                self
            }

            /// Hedges this call (in place of the client's setting): see
            /// [`crate::tail`].
            pub fn hedge(mut self, hedge: crate::tail::Hedge) -> Self {
                self.parts.common.tail.hedge = Some(Some(hedge));
                self
            }

            /// Does not hedge this call, whatever the client's setting.
            pub fn no_hedge(mut self) -> Self {
                self.parts.common.tail.hedge = Some(None);
                self
            }

            /// Fails this call over to other permitted regions (in place of
            /// the client's setting): see [`crate::tail`].
            pub fn failover(mut self, failover: crate::tail::Failover) -> Self {
                self.parts.common.tail.failover = Some(Some(failover));
                self
            }

            /// Does not fail this call over, whatever the client's setting.
            pub fn no_failover(mut self) -> Self {
                self.parts.common.tail.failover = Some(None);
                self
            }

            /// Applies what a [`TailPolicy`](crate::policy::TailPolicy)
            /// decided: latency policy, service tier, hedging and failover
            /// (each still checked by the catalog before sending).
            pub fn with_decision(mut self, d: &crate::tail::Decision) -> Self {
                self.parts.common.policy = d.latency;
                self.parts.common.tier = d.tier.into();
                self.parts.common.tail.hedge = Some(d.hedge.clone());
                self.parts.common.tail.failover = Some(d.failover.clone());
                self
            }
        }

        impl<R: BedrockRuntimeApi, M> $builder<R, M> {
            /// Asks for latency-optimized inference. Compiles only for typed
            /// models that offer it on this operation; the client's region is
            /// still checked before sending.
            pub fn optimized(self) -> Self
            where
                M: SupportsOptimized<$op>,
            {
                self.latency(LatencyPolicy::Optimized)
            }
        }

        impl<R, M> std::fmt::Debug for $builder<R, M> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut d = f.debug_struct(stringify!($builder));
                d.field("model", &self.model)
                    .field("policy", &self.parts.common.policy)
                    .field("tier", &self.parts.common.tier);
                self.parts.debug_fields(&mut d);
                d.finish_non_exhaustive()
            }
        }

        crate::call::escape_hatch!(
            [R: BedrockRuntimeApi, M] $builder<R, M>,
            $sdkb,
            sdk::config::Builder,
            "The model ID, latency setting and service tier are set after it, from the checked plan.",
            parts.common.escape
        );
    };
}

pub(crate) use request_methods;

mod api;
mod common;
mod converse;
mod family;
mod headers;
mod invoke;
mod prewarm;
mod response;
mod send;
mod stream;
mod tail_send;

/// The AWS SDK for bedrock-runtime, as this crate uses it: build inputs,
/// outputs and events for mocks and `map_input` closures without a
/// dependency of your own (and without version skew).
pub use aws_sdk_bedrockruntime as sdk;

#[cfg(feature = "mock")]
pub use api::MockBedrockRuntimeApi;
pub use api::{BedrockRuntimeApi, RawConverseStream, RawInvokeModelStream, SdkRuntime};
pub use converse::{ConverseRequest, ConverseStreamRequest};
pub use family::ModelFamily;
pub use invoke::{InvokeModelRequest, InvokeModelStreamRequest};
pub use response::{ConverseResponse, InvokeModelResponse};
pub use stream::{ConverseStream, InvokeModelStream, StreamEvent};

pub use crate::call::{EventStream, WithRequestId};

pub(crate) use api::as_sdk;

use std::sync::Arc;

use crate::call::{Origin, Planner, Question, Route, TailShared};
use crate::check::Plan;
use crate::telemetry::Telemetry;
use crate::vocab::{Latency, ServiceTier};
use crate::{Error, Result};

/// The bedrock-runtime half of a client.
#[derive(Debug)]
pub(crate) struct RuntimeSide<R> {
    pub(crate) api: Option<R>,
    /// The services of the permitted routes, in the planner's order.
    pub(crate) routes: Vec<R>,
    pub(crate) planner: Arc<Planner>,
    pub(crate) telemetry: Telemetry,
    /// Hedging and failover: the client's defaults, observed times, budget.
    pub(crate) tail: TailShared,
}

impl<R: BedrockRuntimeApi> RuntimeSide<R> {
    /// Checks a request and picks the service to send it to: the client's
    /// own region, or a permitted route where optimized is served. A request
    /// that cannot be sent records a span that says why.
    pub(crate) fn plan(&self, q: Question<'_>) -> Result<(Arc<Plan>, &R)> {
        self.try_plan(q).map_err(|e| crate::call::refused(self.origin(), q, e))
    }

    fn try_plan(&self, q: Question<'_>) -> Result<(Arc<Plan>, &R)> {
        let home = self.api.as_ref().ok_or_else(|| Error::Config {
            reason: "this client has no bedrock-runtime service configured (built with an agent runtime only)"
                .to_owned(),
        })?;
        let planned = self.planner.plan(q)?;
        Ok((Arc::clone(&planned.plan), self.api_for(planned.route, home)?))
    }

    fn api_for<'a>(&'a self, route: Route, home: &'a R) -> Result<&'a R> {
        match route {
            Route::Home => Ok(home),
            Route::Routed(i) => self.routes.get(i).ok_or_else(|| Error::Config {
                reason: "a route has no service".to_owned(),
            }),
        }
    }

    /// Where hedging and failover may send a request: its plan first, then
    /// every other permitted region the planner says serves it the same way.
    pub(crate) fn targets(&self, q: Question<'_>) -> Result<Vec<(Arc<Plan>, &R)>> {
        let home = self.api.as_ref().ok_or_else(|| Error::Config {
            reason: "this client has no bedrock-runtime service configured (built with an agent runtime only)"
                .to_owned(),
        })?;
        let planned = self.planner.plan(q)?;
        let mut targets = vec![(Arc::clone(&planned.plan), self.api_for(planned.route, home)?)];
        for alt in self.planner.alternatives(q, &planned) {
            targets.push((alt.plan, self.api_for(alt.route, home)?));
        }
        Ok(targets)
    }

    /// The client's region (where un-routed requests go).
    pub(crate) fn region(&self) -> &str {
        self.planner.region().unwrap_or_default()
    }

    /// The client's region and telemetry, for a call.
    pub(crate) fn origin(&self) -> Origin<'_> {
        Origin::new(&self.planner, &self.telemetry)
    }

    /// The model's token cap for optimized latency, if it has one: only then
    /// is a request's token count worth estimating.
    pub(crate) fn token_cap(&self, model: &crate::ModelId) -> Option<u32> {
        self.planner
            .catalog()
            .model(model)
            .and_then(|e| e.optimized.as_ref())
            .and_then(|o| o.max_total_tokens)
    }
}

pub(crate) fn sdk_latency(l: Latency) -> sdk::types::PerformanceConfigLatency {
    match l {
        Latency::Standard => sdk::types::PerformanceConfigLatency::Standard,
        Latency::Optimized => sdk::types::PerformanceConfigLatency::Optimized,
    }
}

pub(crate) fn from_sdk_latency(l: &sdk::types::PerformanceConfigLatency) -> Option<Latency> {
    use sdk::types::PerformanceConfigLatency as L;
    match l {
        L::Optimized => Some(Latency::Optimized),
        L::Standard => Some(Latency::Standard),
        other => other.as_str().parse().ok(),
    }
}

pub(crate) fn sdk_tier(t: ServiceTier) -> sdk::types::ServiceTierType {
    sdk::types::ServiceTierType::from(t.as_str())
}

/// The plan's service tier as Converse and ConverseStream send it
/// (`serviceTier.type`); `None` when the plan sends no tier.
pub(crate) fn converse_tier(plan: &crate::check::Plan) -> Option<sdk::types::ServiceTier> {
    let t = plan.service_tier?;
    // `build` fails only without a type, which is set here.
    sdk::types::ServiceTier::builder().r#type(sdk_tier(t)).build().ok()
}

pub(crate) fn from_sdk_tier(t: &sdk::types::ServiceTierType) -> Option<ServiceTier> {
    t.as_str().parse().ok()
}

pub(crate) fn performance_config(l: Latency) -> sdk::types::PerformanceConfiguration {
    sdk::types::PerformanceConfiguration::builder()
        .latency(sdk_latency(l))
        .build()
}

/// Tokens in `chars` characters of text, as the service's quota and cap
/// decisions are estimated here: one token per 4 characters, rounded up.
pub(crate) fn estimate_tokens(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}
