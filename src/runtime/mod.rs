//! bedrock-runtime: Converse, ConverseStream, InvokeModel and
//! InvokeModelWithResponseStream, checked before sending and reporting what
//! served them.

/// Awaits a future inside the call's span, or as it is when no subscriber
/// wants the span (the wrapper would then do nothing but move the SDK's
/// large future once more).
macro_rules! in_span {
    ($span:expr, $fut:expr) => {
        if $span.is_disabled() {
            $fut.await
        } else {
            $fut.instrument($span.clone()).await
        }
    };
}

/// Sends a checked request inside the call's span. With the AWS SDK as the
/// service, the input builder goes out through the SDK's own `send_with`
/// and its future is awaited in place (see `api::as_sdk`); any other service
/// gets the built input through [`BedrockRuntimeApi`]. `$op` is the trait
/// method, `$output` the `SdkRuntime` function that turns the SDK's result
/// into the trait's.
macro_rules! send_checked {
    ($api:expr, $span:expr, $builder:ident, $op:ident, $output:ident) => {
        match super::api::as_sdk($api) {
            Some(sdk) => super::SdkRuntime::$output(in_span!($span, $builder.send_with(sdk.sdk()))),
            None => match $builder.build() {
                Ok(input) => in_span!($span, $api.$op(input)),
                Err(e) => Err(Error::InvalidRequest { reason: e.to_string() }),
            },
        }
    };
}

mod api;
mod converse;
mod invoke;
mod plans;
mod stream;

use aws_sdk_bedrockruntime as sdk;

#[cfg(feature = "mock")]
pub use api::MockBedrockRuntimeApi;
pub use api::{BedrockRuntimeApi, EventStream, RawConverseStream, RawInvokeModelStream, SdkRuntime, WithRequestId};
pub use converse::{Converse, ConverseResponse, ConverseStreamRequest};
pub use invoke::{InvokeModel, InvokeModelResponse, InvokeModelStreamRequest, ModelFamily};
pub use stream::{ConverseStream, InvokeModelStream, StreamEvent};

pub(crate) use converse::{base_report, call_span, record};
pub(crate) use plans::PlanCache;

use std::sync::Arc;

use crate::check::{Plan, RefusalReason};
use crate::client::{Client, Handle, RuntimeSide};
use crate::model_id::{ModelId, is_region_like};
use crate::models::TypedModel;
use crate::vocab::{Latency, LatencyPolicy, Operation, ServiceTier};
use crate::{Error, Result};

/// A model for a request builder: a typed model (checked at compile time)
/// or a [`ModelId`] known only at run time (checked before sending).
pub trait IntoModel {
    /// The compile-time marker: the typed model, or [`RuntimeModel`].
    type Marker;
    /// The model ID.
    fn into_model_id(self) -> ModelId;
}

/// The marker of models known only at run time: they take a
/// [`LatencyPolicy`] instead of `.optimized()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeModel;

impl<M: TypedModel> IntoModel for M {
    type Marker = M;
    fn into_model_id(self) -> ModelId {
        self.model_id()
    }
}

impl IntoModel for ModelId {
    type Marker = RuntimeModel;
    fn into_model_id(self) -> ModelId {
        self
    }
}

impl IntoModel for &ModelId {
    type Marker = RuntimeModel;
    fn into_model_id(self) -> ModelId {
        self.clone()
    }
}

impl<R: BedrockRuntimeApi, A> Client<R, A> {
    /// Allows optimized requests to go to `region` through `api` when the
    /// client's own region does not serve the model optimized.
    pub fn with_route(mut self, region: impl Into<String>, api: R) -> Result<Self> {
        let region = region.into();
        if !is_region_like(&region) {
            return Err(Error::parse("region", region, "an AWS region name such as us-east-2"));
        }
        self.runtime_mut()?.routes.push((region, api));
        Ok(self)
    }

    /// The bedrock-runtime service implementation, if configured.
    pub fn runtime_api(&self) -> Option<&R> {
        self.rt.api.as_ref()
    }

    /// Starts a `Converse` request.
    pub fn converse<M: IntoModel>(&self, model: M) -> Converse<R, M::Marker> {
        Converse::new(self.rt.clone(), model.into_model_id())
    }

    /// Starts a `ConverseStream` request.
    pub fn converse_stream<M: IntoModel>(&self, model: M) -> ConverseStreamRequest<R, M::Marker> {
        ConverseStreamRequest::new(self.rt.clone(), model.into_model_id())
    }

    /// Starts an `InvokeModel` request (model-native JSON body).
    pub fn invoke_model<M: IntoModel>(&self, model: M) -> InvokeModel<R, M::Marker> {
        InvokeModel::new(self.rt.clone(), model.into_model_id())
    }

    /// Starts an `InvokeModelWithResponseStream` request.
    pub fn invoke_model_stream<M: IntoModel>(&self, model: M) -> InvokeModelStreamRequest<R, M::Marker> {
        InvokeModelStreamRequest::new(self.rt.clone(), model.into_model_id())
    }
}

impl<R: BedrockRuntimeApi> RuntimeSide<R> {
    /// Checks a request and picks the service to send it to: the client's
    /// own region, or a permitted route where optimized is served.
    pub(crate) fn plan(
        &self,
        model: &ModelId,
        op: Operation,
        policy: LatencyPolicy,
        total_tokens: Option<u32>,
    ) -> Result<(Arc<Plan>, &R)> {
        let catalog = &self.shared.catalog;
        let check =
            |region: &str, policy: LatencyPolicy| self.plans.check(catalog, model, region, op, policy, total_tokens);
        let home = self.api.as_ref().ok_or_else(|| Error::Config {
            reason: "this client has no bedrock-runtime service configured (built with an agent runtime only)"
                .to_owned(),
        })?;
        match check(&self.shared.region, policy) {
            Ok(plan) if plan.fallback.is_none() || self.routes.is_empty() => Ok((plan, home)),
            own => {
                // Optimized is not served from here: try the permitted routes.
                let region_refused = match &own {
                    Ok(p) => matches!(p.fallback, Some(RefusalReason::RegionNotServed { .. })),
                    Err(r) => matches!(r.reason, RefusalReason::RegionNotServed { .. }),
                };
                if region_refused {
                    for (region, api) in &self.routes {
                        if let Ok(plan) = check(region, LatencyPolicy::Optimized) {
                            return Ok((plan, api));
                        }
                    }
                }
                match own {
                    Ok(plan) => Ok((plan, home)),
                    Err(refusal) => Err(refusal.into()),
                }
            }
        }
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

pub(crate) fn from_sdk_tier(t: &sdk::types::ServiceTierType) -> Option<ServiceTier> {
    t.as_str().parse().ok()
}

pub(crate) fn performance_config(l: Latency) -> sdk::types::PerformanceConfiguration {
    sdk::types::PerformanceConfiguration::builder()
        .latency(sdk_latency(l))
        .build()
}
