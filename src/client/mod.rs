//! The crate's [`Client`] and its [`ClientBuilder`]: one value for both
//! Bedrock runtime services.

use std::sync::Arc;

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;

use crate::Result;
use crate::agent::{
    AgentSide, BedrockAgentRuntimeApi, FromExternalSources, FromKnowledgeBase, InlineAgentRequest, InvokeAgentRequest,
    InvokeFlowRequest, RetrieveAndGenerateRequest, RetrieveAndGenerateStreamRequest, SdkAgentRuntime,
    StartFlowExecutionRequest,
};
use crate::call::{Planner, Question, TailShared};
use crate::catalog::Catalog;
use crate::check::Plan;
use crate::model_id::ModelId;
use crate::models::IntoModel;
use crate::runtime::{
    BedrockRuntimeApi, ConverseRequest, ConverseStreamRequest, InvokeModelRequest, InvokeModelStreamRequest,
    RuntimeSide, SdkRuntime,
};
use crate::tail::PrewarmReport;
use crate::telemetry::Telemetry;
use crate::vocab::{LatencyPolicy, LifecyclePolicy, Operation, TierPolicy};

mod builder;

pub use builder::ClientBuilder;

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
    /// fail with [`Error::Config`](crate::Error::Config) before sending.
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
