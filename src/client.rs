//! The crate's [`Client`] and its [`ClientBuilder`]: one value for both
//! Bedrock runtime services.

use std::sync::Arc;

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;

use crate::agent::{
    AgentSide, BedrockAgentRuntimeApi, FromExternalSources, FromKnowledgeBase, InlineAgentRequest, InvokeAgentRequest,
    InvokeFlowRequest, RetrieveAndGenerateRequest, RetrieveAndGenerateStreamRequest, SdkAgentRuntime,
    StartFlowExecutionRequest,
};
use crate::call::{Planner, Question, TailShared};
use crate::catalog::Catalog;
use crate::check::Plan;
use crate::model_id::{ModelId, is_region_like};
use crate::models::IntoModel;
use crate::runtime::{
    BedrockRuntimeApi, ConverseRequest, ConverseStreamRequest, InvokeModelRequest, InvokeModelStreamRequest,
    RuntimeSide, SdkRuntime,
};
use crate::tail::{Failover, Hedge, PrewarmReport};
use crate::telemetry::Telemetry;
use crate::vocab::{LatencyPolicy, LifecyclePolicy, Operation, TierPolicy};
use crate::{Error, Result};

/// The crate's client: checks every request against the catalog before
/// sending it, and reports what served it.
///
/// Generic over the two services it calls, `R` for bedrock-runtime
/// ([`BedrockRuntimeApi`]) and `A` for bedrock-agent-runtime
/// ([`BedrockAgentRuntimeApi`]): the AWS SDK by default, mocks in unit
/// tests (feature `mock`), or trait objects ([`DynClient`]) to hold either
/// in one type. A built client is immutable and cheap to clone (clones
/// share one configuration).
///
/// ```no_run
/// # async fn demo() -> bedrock_latency::Result<()> {
/// use bedrock_latency::Client;
/// use bedrock_latency::models::NovaPro;
///
/// let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let client = Client::new(&conf); // the region of `conf` is the region of every call
/// let answer = client.converse(NovaPro).optimized().user("Hello").send().await?;
/// println!("{} ({})", answer.text, answer.report);
/// # Ok(()) }
/// ```
pub struct Client<R = SdkRuntime, A = SdkAgentRuntime> {
    rt: Arc<RuntimeSide<R>>,
    ag: Arc<AgentSide<A>>,
}

/// What the client is configured with; the services are not printed, so
/// that a client over trait objects ([`DynClient`]) is `Debug` too.
impl<R, A> std::fmt::Debug for Client<R, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("region", &self.rt.planner.region())
            .field("optimized_routes", &self.rt.planner.routes())
            .field("runtime", &self.rt.api.is_some())
            .field("agent_runtime", &self.ag.api.is_some())
            .finish_non_exhaustive()
    }
}

impl<R, A> Clone for Client<R, A> {
    fn clone(&self) -> Self {
        Self {
            rt: Arc::clone(&self.rt),
            ag: Arc::clone(&self.ag),
        }
    }
}

/// A client over trait objects: one type whether the services are the AWS
/// SDK or mocks. Build it with [`ClientBuilder::build_dyn`].
pub type DynClient = Client<Arc<dyn BedrockRuntimeApi>, Arc<dyn BedrockAgentRuntimeApi>>;

impl Client<SdkRuntime, SdkAgentRuntime> {
    /// A client for both services from an AWS SDK configuration: the region
    /// of `conf` is the region every request is checked against and sent
    /// to. A configuration without a region gives a client whose requests
    /// fail with [`Error::Config`] before sending.
    pub fn new(conf: &aws_config::SdkConfig) -> Self {
        let region = conf.region().map(|r| r.as_ref().to_owned());
        let planner = Arc::new(Planner::new(Arc::new(Catalog::builtin().clone()), region, Vec::new()));
        let telemetry = Telemetry::default();
        Client {
            rt: Arc::new(RuntimeSide {
                api: Some(SdkRuntime::new(sdk::Client::new(conf))),
                routes: Vec::new(),
                planner: Arc::clone(&planner),
                telemetry: telemetry.clone(),
                tail: TailShared::default(),
            }),
            ag: Arc::new(AgentSide {
                api: Some(SdkAgentRuntime::new(agent_sdk::Client::new(conf))),
                planner,
                telemetry,
            }),
        }
    }

    /// A builder for everything else: another catalog, regions to route
    /// optimized requests to, your own service implementations.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl<R, A> Client<R, A> {
    /// The region calls are made from (`None` when the configuration named
    /// none).
    pub fn region(&self) -> Option<&str> {
        self.rt.planner.region()
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        self.rt.planner.catalog()
    }

    /// The regions optimized bedrock-runtime requests may be routed to.
    pub fn optimized_routes(&self) -> &[String] {
        self.rt.planner.routes()
    }

    /// The bedrock-runtime implementation, if configured.
    pub fn runtime_api(&self) -> Option<&R> {
        self.rt.api.as_ref()
    }

    /// The bedrock-agent-runtime implementation, if configured.
    pub fn agent_api(&self) -> Option<&A> {
        self.ag.api.as_ref()
    }

    /// The lifecycle policy every request is checked under.
    pub fn lifecycle(&self) -> LifecyclePolicy {
        self.rt.planner.lifecycle()
    }

    /// What this client would send for `model` on `operation` under
    /// `policy`, with its catalog, region, lifecycle policy and routes: the
    /// very check every request goes through. Sends nothing.
    pub fn plan(&self, model: &ModelId, operation: Operation, policy: LatencyPolicy) -> Result<Plan> {
        self.plan_with_tier(model, operation, policy, TierPolicy::Unset)
    }

    /// [`plan`](Self::plan) with a service tier asked for too (a
    /// [`ServiceTier`](crate::ServiceTier) is required,
    /// `TierPolicy::Prefer(..)` falls back to none): what
    /// `.service_tier(..)` / `.tier_policy(..)` on a request would send.
    pub fn plan_with_tier(
        &self,
        model: &ModelId,
        operation: Operation,
        policy: LatencyPolicy,
        tier: impl Into<TierPolicy>,
    ) -> Result<Plan> {
        let q = Question::model(model, operation, policy).tier(tier.into());
        let planned = self.rt.planner.plan(q)?;
        Ok(Plan::clone(&planned.plan))
    }
}

impl<R: BedrockRuntimeApi, A> Client<R, A> {
    /// Opens a connection (TCP, and TLS on AWS) to every region this
    /// client's bedrock-runtime requests may go to (its own and its
    /// routes), so that the first real request there pays no connection
    /// setup. Sends one `ListAsyncInvokes` per connection (no model runs,
    /// nothing is billed); the SDK's pool keeps idle connections about 90 s.
    /// Services that are not the AWS SDK are skipped (the report says so).
    pub async fn prewarm(&self) -> PrewarmReport {
        self.rt.prewarm(1).await
    }

    /// [`prewarm`](Self::prewarm) with `per_region` connections (1 to 64)
    /// in each region, for as many concurrent first requests.
    pub async fn prewarm_connections(&self, per_region: usize) -> PrewarmReport {
        self.rt.prewarm(per_region).await
    }

    /// Starts a `Converse` request.
    pub fn converse<M: IntoModel>(&self, model: M) -> ConverseRequest<R, M::Marker> {
        ConverseRequest::new(Arc::clone(&self.rt), model.into_model_id())
    }

    /// Starts a `ConverseStream` request.
    pub fn converse_stream<M: IntoModel>(&self, model: M) -> ConverseStreamRequest<R, M::Marker> {
        ConverseStreamRequest::new(Arc::clone(&self.rt), model.into_model_id())
    }

    /// Starts an `InvokeModel` request (model-native JSON body).
    pub fn invoke_model<M: IntoModel>(&self, model: M) -> InvokeModelRequest<R, M::Marker> {
        InvokeModelRequest::new(Arc::clone(&self.rt), model.into_model_id())
    }

    /// Starts an `InvokeModelWithResponseStream` request.
    pub fn invoke_model_stream<M: IntoModel>(&self, model: M) -> InvokeModelStreamRequest<R, M::Marker> {
        InvokeModelStreamRequest::new(Arc::clone(&self.rt), model.into_model_id())
    }
}

impl<R, A: BedrockAgentRuntimeApi> Client<R, A> {
    /// Starts an `InvokeInlineAgent` request: an agent defined in the
    /// request itself, on `model`. Typed models that offer it have
    /// `.optimized()`.
    pub fn inline_agent<M: IntoModel>(&self, model: M) -> InlineAgentRequest<A, M::Marker> {
        InlineAgentRequest::new(Arc::clone(&self.ag), model.into_model_id())
    }

    /// Starts a `RetrieveAndGenerate` request on knowledge base
    /// `knowledge_base_id`, generating with `model`.
    pub fn retrieve_and_generate<M: IntoModel>(
        &self,
        knowledge_base_id: impl Into<String>,
        model: M,
    ) -> RetrieveAndGenerateRequest<A, M::Marker, FromKnowledgeBase> {
        RetrieveAndGenerateRequest::knowledge_base(
            Arc::clone(&self.ag),
            knowledge_base_id.into(),
            model.into_model_id(),
        )
    }

    /// Starts a `RetrieveAndGenerateStream` request on knowledge base
    /// `knowledge_base_id`, generating with `model`.
    pub fn retrieve_and_generate_stream<M: IntoModel>(
        &self,
        knowledge_base_id: impl Into<String>,
        model: M,
    ) -> RetrieveAndGenerateStreamRequest<A, M::Marker, FromKnowledgeBase> {
        RetrieveAndGenerateStreamRequest::knowledge_base(
            Arc::clone(&self.ag),
            knowledge_base_id.into(),
            model.into_model_id(),
        )
    }

    /// Starts a `RetrieveAndGenerate` request over documents given in the
    /// request (S3 objects or bytes: the external-sources variant),
    /// generating with `model`.
    pub fn retrieve_and_generate_external<M: IntoModel>(
        &self,
        model: M,
    ) -> RetrieveAndGenerateRequest<A, M::Marker, FromExternalSources> {
        RetrieveAndGenerateRequest::external(Arc::clone(&self.ag), model.into_model_id())
    }

    /// The streamed variant of
    /// [`retrieve_and_generate_external`](Self::retrieve_and_generate_external).
    pub fn retrieve_and_generate_external_stream<M: IntoModel>(
        &self,
        model: M,
    ) -> RetrieveAndGenerateStreamRequest<A, M::Marker, FromExternalSources> {
        RetrieveAndGenerateStreamRequest::external(Arc::clone(&self.ag), model.into_model_id())
    }

    /// Starts an `InvokeAgent` request to agent `agent_id` through alias
    /// `alias_id`. Standard latency only: the service accepts
    /// `performanceConfig` on InvokeAgent and serves standard anyway, so
    /// this builder never sends it.
    pub fn invoke_agent(&self, agent_id: impl Into<String>, alias_id: impl Into<String>) -> InvokeAgentRequest<A> {
        InvokeAgentRequest::new(Arc::clone(&self.ag), agent_id.into(), alias_id.into())
    }

    /// Starts an `InvokeFlow` request.
    pub fn invoke_flow(&self, flow_id: impl Into<String>, alias_id: impl Into<String>) -> InvokeFlowRequest<A> {
        InvokeFlowRequest::new(Arc::clone(&self.ag), flow_id.into(), alias_id.into())
    }

    /// Starts a `StartFlowExecution` request (an asynchronous flow run).
    pub fn start_flow_execution(
        &self,
        flow_id: impl Into<String>,
        alias_id: impl Into<String>,
    ) -> StartFlowExecutionRequest<A> {
        StartFlowExecutionRequest::new(Arc::clone(&self.ag), flow_id.into(), alias_id.into())
    }
}

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

impl<R: BedrockRuntimeApi, A: BedrockAgentRuntimeApi> ClientBuilder<R, A> {
    /// Builds the client. Errors: a region that is not an AWS region name,
    /// an explicit region that differs from the SDK configuration's or an
    /// SDK client's, a route that needs an SDK configuration and has none,
    /// a route whose SDK client is for another region.
    pub fn build(self) -> Result<Client<R, A>> {
        let conf = self.conf;
        let runtime = match (self.runtime, &conf) {
            (Some(r), _) => Some(r),
            (None, Some(c)) => sdk_runtime(&sdk::Client::new(c)),
            (None, None) => None,
        };
        let agent = match (self.agent, &conf) {
            (Some(a), _) => Some(a),
            (None, Some(c)) => sdk_agent_runtime(&agent_sdk::Client::new(c)),
            (None, None) => None,
        };
        // Every region the services stand for must be one.
        let mut known: Vec<(&str, String)> = Vec::new();
        if let Some(r) = &self.region {
            known.push(("`.region(..)`", r.clone()));
        }
        if let Some(r) = conf.as_ref().and_then(|c| c.region()) {
            known.push(("the SDK configuration", r.as_ref().to_owned()));
        }
        if let Some(r) = runtime.as_ref().and_then(OwnRegion::own_region) {
            known.push(("the bedrock-runtime SDK client", r));
        }
        if let Some(r) = agent.as_ref().and_then(agent_region) {
            known.push(("the bedrock-agent-runtime SDK client", r));
        }
        let region = one_region(&known)?;
        let mut route_regions = Vec::new();
        let mut route_apis = Vec::new();
        for (region, api) in self.routes {
            checked_region(&region)?;
            let api = match (api, &conf) {
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
