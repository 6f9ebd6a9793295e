//! bedrock-runtime: Converse, ConverseStream, InvokeModel and
//! InvokeModelWithResponseStream, checked before sending and reporting what
//! served them.

mod api;
mod converse;
mod invoke;
mod stream;

use std::sync::Arc;

use aws_sdk_bedrockruntime as sdk;

#[cfg(feature = "mock")]
pub use api::MockBedrockRuntimeApi;
pub use api::{BedrockRuntimeApi, EventStream, RawConverseStream, RawInvokeModelStream, SdkRuntime, WithRequestId};
pub use converse::{Converse, ConverseResponse, ConverseStreamRequest};
pub use invoke::{InvokeModel, InvokeModelResponse, InvokeModelStreamRequest, ModelFamily};
pub use stream::{ConverseStream, InvokeModelStream, StreamEvent};

use crate::catalog::Catalog;
use crate::check::{CheckRequest, Plan, RefusalReason};
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

/// The crate's client: checks every request against the catalog before
/// sending it, and reports what served it.
///
/// Generic over the service ([`BedrockRuntimeApi`]): the AWS SDK by
/// default, a mock in unit tests. Cheap to clone.
#[derive(Debug)]
pub struct Client<R = SdkRuntime> {
    inner: Arc<Inner<R>>,
}

impl<R> Clone for Client<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct Inner<R> {
    runtime: R,
    region: String,
    catalog: Arc<Catalog>,
    routes: Vec<(String, R)>,
}

impl Client<SdkRuntime> {
    /// A client from an AWS SDK configuration (its region is the region of
    /// every call).
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Result<Self> {
        Self::from_sdk(sdk::Client::new(conf))
    }

    /// A client from the default credential and region chain.
    pub async fn from_env() -> Result<Self> {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        Self::from_conf(&conf)
    }

    /// A client around an existing SDK client.
    pub fn from_sdk(client: sdk::Client) -> Result<Self> {
        let region = client
            .config()
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| Error::Config {
                reason: "the AWS configuration has no region; set AWS_REGION or configure one".to_owned(),
            })?;
        Self::with_api(SdkRuntime::new(client), region)
    }

    /// Allows optimized requests to be sent to `regions` when the client's
    /// own region does not serve the model optimized. Each region gets an
    /// SDK client built from `conf` (credentials, retries, endpoint).
    pub fn route_optimized_to(self, conf: &aws_config::SdkConfig, regions: &[&str]) -> Result<Self> {
        let mut this = self;
        for region in regions {
            let c = sdk::config::Builder::from(conf)
                .region(sdk::config::Region::new(region.to_string()))
                .build();
            this = this.with_route(*region, SdkRuntime::new(sdk::Client::from_conf(c)))?;
        }
        Ok(this)
    }
}

impl<R: BedrockRuntimeApi> Client<R> {
    /// A client over any implementation of the service (a mock, say),
    /// making calls from `region`.
    pub fn with_api(runtime: R, region: impl Into<String>) -> Result<Self> {
        let region = region.into();
        if !is_region_like(&region) {
            return Err(Error::parse("region", region, "an AWS region name such as us-east-2"));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                runtime,
                region,
                catalog: Arc::new(Catalog::builtin().clone()),
                routes: Vec::new(),
            }),
        })
    }

    fn inner_mut(&mut self) -> Result<&mut Inner<R>> {
        Arc::get_mut(&mut self.inner).ok_or_else(|| Error::Config {
            reason: "configure the client before cloning it".to_owned(),
        })
    }

    /// Allows optimized requests to go to `region` through `api` when the
    /// client's own region does not serve the model optimized.
    pub fn with_route(mut self, region: impl Into<String>, api: R) -> Result<Self> {
        let region = region.into();
        if !is_region_like(&region) {
            return Err(Error::parse("region", region, "an AWS region name such as us-east-2"));
        }
        self.inner_mut()?.routes.push((region, api));
        Ok(self)
    }

    /// Uses `catalog` instead of the built-in one (e.g. one extended with
    /// [`Catalog::load`]).
    pub fn with_catalog(mut self, catalog: Catalog) -> Result<Self> {
        self.inner_mut()?.catalog = Arc::new(catalog);
        Ok(self)
    }

    /// The region calls are made from.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The service implementation.
    pub fn api(&self) -> &R {
        &self.inner.runtime
    }

    /// Starts a `Converse` request.
    pub fn converse<M: IntoModel>(&self, model: M) -> Converse<R, M::Marker> {
        Converse::new(self.clone(), model.into_model_id())
    }

    /// Starts a `ConverseStream` request.
    pub fn converse_stream<M: IntoModel>(&self, model: M) -> ConverseStreamRequest<R, M::Marker> {
        ConverseStreamRequest::new(self.clone(), model.into_model_id())
    }

    /// Starts an `InvokeModel` request (model-native JSON body).
    pub fn invoke_model<M: IntoModel>(&self, model: M) -> InvokeModel<R, M::Marker> {
        InvokeModel::new(self.clone(), model.into_model_id())
    }

    /// Starts an `InvokeModelWithResponseStream` request.
    pub fn invoke_model_stream<M: IntoModel>(&self, model: M) -> InvokeModelStreamRequest<R, M::Marker> {
        InvokeModelStreamRequest::new(self.clone(), model.into_model_id())
    }

    /// Checks a request and picks the service to send it to: the client's
    /// own region, or a permitted route where optimized is served.
    pub(crate) fn plan(
        &self,
        model: &ModelId,
        op: Operation,
        policy: LatencyPolicy,
        total_tokens: Option<u32>,
    ) -> Result<(Plan, &R)> {
        let catalog = &self.inner.catalog;
        let check = |region: &str, policy: LatencyPolicy| {
            let mut req = CheckRequest::new(model, region, op, policy);
            if let Some(n) = total_tokens {
                req = req.total_tokens(n);
            }
            catalog.check(&req)
        };
        match check(&self.inner.region, policy) {
            Ok(plan) if plan.fallback.is_none() || self.inner.routes.is_empty() => Ok((plan, &self.inner.runtime)),
            own => {
                // Optimized is not served from here: try the permitted routes.
                let region_refused = match &own {
                    Ok(p) => matches!(p.fallback, Some(RefusalReason::RegionNotServed { .. })),
                    Err(r) => matches!(r.reason, RefusalReason::RegionNotServed { .. }),
                };
                if region_refused {
                    for (region, api) in &self.inner.routes {
                        if let Ok(plan) = check(region, LatencyPolicy::Optimized) {
                            return Ok((plan, api));
                        }
                    }
                }
                match own {
                    Ok(plan) => Ok((plan, &self.inner.runtime)),
                    Err(refusal) => Err(refusal.into()),
                }
            }
        }
    }

    pub(crate) fn token_cap(&self, model: &ModelId) -> Option<u32> {
        self.inner
            .catalog
            .model(model)
            .and_then(|m| m.optimized.as_ref())
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
    l.as_str().parse().ok()
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
