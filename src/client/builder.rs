//! [`ClientBuilder`]: the services, region, catalog, routes, telemetry and
//! tail settings of a [`Client`], checked once at `build`.

use std::sync::Arc;

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;

use super::{Client, DynClient};
use crate::agent::{AgentSide, BedrockAgentRuntimeApi, SdkAgentRuntime};
use crate::call::{Planner, TailShared};
use crate::catalog::Catalog;
use crate::model_id::is_region_like;
use crate::runtime::{BedrockRuntimeApi, RuntimeSide, SdkRuntime};
use crate::tail::{Failover, Hedge};
use crate::telemetry::Telemetry;
use crate::vocab::LifecyclePolicy;
use crate::{Error, Result};

/// Builds a [`Client`]: `Client::builder().sdk_config(&conf).build()?`.
///
/// - `.sdk_config(&conf)`: both services from an AWS SDK configuration; its
///   region is the client's region.
/// - `.runtime(api)` / `.agent_runtime(api)`: your own implementations
///   (mocks, wrappers, `Arc<dyn ...>`); `.region(..)` then says which region
///   they stand for. For AWS SDK services the SDK client's own region is
///   the client's region, and a different `.region(..)` is an error: the
///   region a request is checked against is always the region it is sent to.
/// - `.catalog(catalog)`: a catalog extended with [`Catalog::load`].
/// - `.route_optimized_to(["us-east-2"])`: where the client's region does not
///   serve a model optimized, bedrock-runtime requests that ask for it go to
///   the first of these regions that does (SDK services only; each region
///   gets an SDK client from the same configuration). `.route(region, api)`
///   does the same with your own implementation.
/// - `.lifecycle(LifecyclePolicy::Strict)`: refuse requests for models past
///   their end-of-life date (the default, `Warn`, sends them with a warning).
///
/// Configuration errors surface at [`build`](Self::build), never later.
#[must_use = "a builder does nothing until `.build()`"]
pub struct ClientBuilder<R = SdkRuntime, A = SdkAgentRuntime> {
    conf: Option<aws_config::SdkConfig>,
    runtime: Option<R>,
    agent: Option<A>,
    region: Option<String>,
    catalog: Option<Catalog>,
    lifecycle: LifecyclePolicy,
    routes: Vec<(String, Option<R>)>,
    telemetry: Option<Telemetry>,
    tail: (Option<Hedge>, Option<Failover>),
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            conf: None,
            runtime: None,
            agent: None,
            region: None,
            catalog: None,
            lifecycle: LifecyclePolicy::Warn,
            routes: Vec::new(),
            telemetry: None,
            tail: (None, None),
        }
    }
}

impl<R, A> std::fmt::Debug for ClientBuilder<R, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("sdk_config", &self.conf.is_some())
            .field("runtime", &self.runtime.is_some())
            .field("agent_runtime", &self.agent.is_some())
            .field("region", &self.region)
            .field("lifecycle", &self.lifecycle)
            .field("routes", &self.routes.iter().map(|r| &r.0).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<R, A> ClientBuilder<R, A> {
    /// The region your own service implementations stand for. Not needed
    /// with `.sdk_config(..)`, whose region it must equal if given.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Uses `catalog` instead of the built-in one (e.g. one extended with
    /// [`Catalog::load`]).
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// What to do with models past their end-of-life date: warn (the
    /// default: AWS sometimes extends dates, and the catalog may lag) or,
    /// with [`LifecyclePolicy::Strict`], refuse before sending.
    pub fn lifecycle(mut self, policy: LifecyclePolicy) -> Self {
        self.lifecycle = policy;
        self
    }

    /// How calls are recorded: the GenAI conventions' version, content
    /// capture (off by default), and with feature `otel` the OpenTelemetry
    /// tracer and meter to record on. Without it, calls are `tracing` spans
    /// only, following `OTEL_SEMCONV_STABILITY_OPT_IN`
    /// ([`Telemetry::default`]).
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// Hedges every bedrock-runtime request (a call can turn it off with
    /// `.no_hedge()` or set its own with `.hedge(..)`): see [`crate::tail`].
    /// Backups go only where the planner says the request is served as
    /// asked: the client's region and its routes.
    pub fn hedge(mut self, hedge: Hedge) -> Self {
        self.tail.0 = Some(hedge);
        self
    }

    /// Fails bedrock-runtime requests over to the client's other permitted
    /// regions on throttling, 5xx or connection failures (a call can turn
    /// it off with `.no_failover()`): see [`crate::tail`].
    pub fn failover(mut self, failover: Failover) -> Self {
        self.tail.1 = Some(failover);
        self
    }

    /// Allows optimized bedrock-runtime requests to go to `region` through
    /// `api` when the client's own region does not serve the model
    /// optimized. With hedging or failover on, backups and retries of any
    /// request may go there too, where the catalog says it is served as
    /// asked.
    pub fn route(mut self, region: impl Into<String>, api: R) -> Self {
        self.routes.push((region.into(), Some(api)));
        self
    }

    /// Uses `api` for bedrock-runtime (a mock, a wrapper, an
    /// `Arc<dyn BedrockRuntimeApi>`). Call it before `.route(..)`: routes
    /// given earlier keep their region but not their service.
    pub fn runtime<R2>(self, api: R2) -> ClientBuilder<R2, A> {
        ClientBuilder {
            conf: self.conf,
            runtime: Some(api),
            agent: self.agent,
            region: self.region,
            catalog: self.catalog,
            lifecycle: self.lifecycle,
            routes: self.routes.into_iter().map(|(r, _)| (r, None)).collect(),
            telemetry: self.telemetry,
            tail: self.tail,
        }
    }

    /// Uses `api` for bedrock-agent-runtime.
    pub fn agent_runtime<A2>(self, api: A2) -> ClientBuilder<R, A2> {
        ClientBuilder {
            conf: self.conf,
            runtime: self.runtime,
            agent: Some(api),
            region: self.region,
            catalog: self.catalog,
            lifecycle: self.lifecycle,
            routes: self.routes,
            telemetry: self.telemetry,
            tail: self.tail,
        }
    }
}

impl<R, A> ClientBuilder<R, A> {
    /// Both services from an AWS SDK configuration (credentials, retries,
    /// endpoint, region). Services given with `.runtime(..)` or
    /// `.agent_runtime(..)` are kept.
    pub fn sdk_config(mut self, conf: &aws_config::SdkConfig) -> Self {
        self.conf = Some(conf.clone());
        self
    }

    /// Allows optimized bedrock-runtime requests to go to each of `regions`,
    /// in order, when the client's own region does not serve the model
    /// optimized; with hedging or failover on, backups and retries of any
    /// request may go there too, where the catalog says it is served as
    /// asked. Each region gets an SDK client built from the SDK
    /// configuration (needs `.sdk_config(..)`, and a bedrock-runtime service
    /// that is the SDK or an `Arc<dyn BedrockRuntimeApi>`).
    pub fn route_optimized_to<S: Into<String>>(mut self, regions: impl IntoIterator<Item = S>) -> Self {
        self.routes.extend(regions.into_iter().map(|r| (r.into(), None)));
        self
    }
}

/// `value` as an `R`, when `R` is `T` itself or `Arc<dyn D>` (for the SDK
/// services a builder makes from an SDK configuration).
fn as_service<R: 'static, T: 'static>(value: T, as_dyn: impl FnOnce(T) -> Box<dyn std::any::Any>) -> Option<R> {
    let direct: Box<dyn std::any::Any> = Box::new(value);
    match direct.downcast::<R>() {
        Ok(r) => Some(*r),
        Err(v) => {
            let v = *v.downcast::<T>().ok()?;
            as_dyn(v).downcast::<R>().ok().map(|r| *r)
        }
    }
}

fn sdk_runtime<R: 'static>(c: &sdk::Client) -> Option<R> {
    as_service(SdkRuntime::new(c.clone()), |s| {
        Box::new(Arc::new(s) as Arc<dyn BedrockRuntimeApi>)
    })
}

fn sdk_agent_runtime<A: 'static>(c: &agent_sdk::Client) -> Option<A> {
    as_service(SdkAgentRuntime::new(c.clone()), |s| {
        Box::new(Arc::new(s) as Arc<dyn BedrockAgentRuntimeApi>)
    })
}

/// A service's own region, when it is the AWS SDK.
trait OwnRegion {
    fn own_region(&self) -> Option<String>;
}

impl<R: BedrockRuntimeApi> OwnRegion for R {
    fn own_region(&self) -> Option<String> {
        crate::runtime::as_sdk(self).and_then(|s| s.region().map(str::to_owned))
    }
}

fn agent_region<A: BedrockAgentRuntimeApi>(a: &A) -> Option<String> {
    crate::agent::as_sdk(a).and_then(|s| s.region().map(str::to_owned))
}

/// The regions and services of the routes: each given with its service, or
/// an SDK client for the region made from the SDK configuration `conf`.
/// An SDK client must be for its route's region.
fn routes<R: BedrockRuntimeApi>(
    routes: Vec<(String, Option<R>)>,
    conf: Option<&aws_config::SdkConfig>,
) -> Result<(Vec<String>, Vec<R>)> {
    let mut route_regions = Vec::new();
    let mut route_apis = Vec::new();
    for (region, api) in routes {
        checked_region(&region)?;
        let api = match (api, conf) {
            (Some(api), _) => api,
            (None, Some(c)) => {
                let c = sdk::config::Builder::from(c)
                    .region(sdk::config::Region::new(region.clone()))
                    .build();
                sdk_runtime(&sdk::Client::from_conf(c)).ok_or_else(|| Error::Config {
                    reason: format!(
                        "routing to {region} from an SDK configuration needs the AWS SDK as the \
                         bedrock-runtime service; give your own with `.route(region, api)`"
                    ),
                })?
            }
            (None, None) => {
                return Err(Error::Config {
                    reason: format!("routing to {region} needs `.sdk_config(..)` or `.route(region, api)`"),
                });
            }
        };
        if let Some(own) = api.own_region().filter(|own| *own != region) {
            return Err(Error::Config {
                reason: format!("the route to {region} has an SDK client for {own}"),
            });
        }
        route_regions.push(region);
        route_apis.push(api);
    }
    Ok((route_regions, route_apis))
}

impl<R: BedrockRuntimeApi, A: BedrockAgentRuntimeApi> ClientBuilder<R, A> {
    /// Builds the client. Errors: a region that is not an AWS region name,
    /// an explicit region that differs from the SDK configuration's or an
    /// SDK client's, a route that needs an SDK configuration and has none,
    /// a route whose SDK client is for another region.
    pub fn build(self) -> Result<Client<R, A>> {
        let conf = self.conf;
        let runtime = self.runtime.or_else(|| sdk_runtime(&sdk::Client::new(conf.as_ref()?)));
        let agent = self
            .agent
            .or_else(|| sdk_agent_runtime(&agent_sdk::Client::new(conf.as_ref()?)));
        // Every region the services stand for must be one.
        let known = [
            ("`.region(..)`", self.region.clone()),
            (
                "the SDK configuration",
                conf.as_ref().and_then(|c| c.region()).map(|r| r.as_ref().to_owned()),
            ),
            (
                "the bedrock-runtime SDK client",
                runtime.as_ref().and_then(OwnRegion::own_region),
            ),
            (
                "the bedrock-agent-runtime SDK client",
                agent.as_ref().and_then(agent_region),
            ),
        ];
        let known: Vec<(&str, String)> = known.into_iter().filter_map(|(who, r)| Some((who, r?))).collect();
        let region = one_region(&known)?;
        let (route_regions, route_apis) = routes(self.routes, conf.as_ref())?;
        let catalog = Arc::new(self.catalog.unwrap_or_else(|| Catalog::builtin().clone()));
        let planner = Arc::new(Planner::new(catalog, region, route_regions).with_lifecycle(self.lifecycle));
        let telemetry = self.telemetry.unwrap_or_default();
        let (hedge, failover) = self.tail;
        Ok(Client {
            rt: Arc::new(RuntimeSide {
                api: runtime,
                routes: route_apis,
                planner: Arc::clone(&planner),
                telemetry: telemetry.clone(),
                tail: TailShared {
                    hedge,
                    failover,
                    ..TailShared::default()
                },
            }),
            ag: Arc::new(AgentSide {
                api: agent,
                planner,
                telemetry,
            }),
        })
    }
}

impl<R: BedrockRuntimeApi, A: BedrockAgentRuntimeApi> ClientBuilder<R, A> {
    /// Builds a [`DynClient`]: the services as trait objects, so that a
    /// real client and one over mocks have the same type.
    pub fn build_dyn(self) -> Result<DynClient> {
        let c = self.build()?;
        let (rt, ag) = (
            Arc::into_inner(c.rt).ok_or_else(shared)?,
            Arc::into_inner(c.ag).ok_or_else(shared)?,
        );
        let dyn_rt = |r: R| Arc::new(r) as Arc<dyn BedrockRuntimeApi>;
        Ok(Client {
            rt: Arc::new(RuntimeSide {
                api: rt.api.map(dyn_rt),
                routes: rt.routes.into_iter().map(dyn_rt).collect(),
                planner: rt.planner,
                telemetry: rt.telemetry,
                tail: rt.tail,
            }),
            ag: Arc::new(AgentSide {
                api: ag.api.map(|a| Arc::new(a) as Arc<dyn BedrockAgentRuntimeApi>),
                planner: ag.planner,
                telemetry: ag.telemetry,
            }),
        })
    }
}

fn shared() -> Error {
    Error::Config {
        reason: "internal: a freshly built client is shared".to_owned(),
    }
}

/// The one region all sources agree on (none given is fine: requests then
/// fail before sending).
fn one_region(known: &[(&str, String)]) -> Result<Option<String>> {
    let Some((_, first)) = known.first() else {
        return Ok(None);
    };
    checked_region(first)?;
    if let Some((who, other)) = known.iter().find(|(_, r)| r != first) {
        return Err(Error::Config {
            reason: format!(
                "{} says region {first} but {who} says {other}: a request is checked against the region it is \
                 sent to, so they must agree",
                known[0].0
            ),
        });
    }
    Ok(Some(first.clone()))
}

fn checked_region(region: &str) -> Result<()> {
    if is_region_like(region) {
        Ok(())
    } else {
        Err(Error::parse("region", region, "an AWS region name such as us-east-2"))
    }
}
