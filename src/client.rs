//! The crate's [`Client`]: one value for both Bedrock runtime services.

use std::sync::Arc;

use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_sdk_bedrockruntime as sdk;

use crate::agent::SdkAgentRuntime;
use crate::catalog::Catalog;
use crate::model_id::is_region_like;
use crate::runtime::SdkRuntime;
use crate::{Error, Result};

/// The crate's client: checks every request against the catalog before
/// sending it, and reports what served it.
///
/// Generic over the two services it calls, `R` for bedrock-runtime
/// ([`BedrockRuntimeApi`](crate::runtime::BedrockRuntimeApi)) and `A` for
/// bedrock-agent-runtime: the AWS SDK by default, mocks in unit tests
/// (feature `mock`). Cheap to clone: clones share one configuration.
///
/// ```no_run
/// # async fn demo() -> bedrock_latency::Result<()> {
/// use bedrock_latency::Client;
/// use bedrock_latency::models::NovaPro;
///
/// let client = Client::from_env().await?; // region from the default chain
/// let answer = client.converse(NovaPro).optimized().user("Hello").send().await?;
/// println!("{} ({})", answer.text, answer.report);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client<R = SdkRuntime, A = SdkAgentRuntime> {
    pub(crate) rt: Handle<RuntimeSide<R>>,
    pub(crate) ag: Handle<AgentSide<A>>,
}

impl<R, A> Clone for Client<R, A> {
    fn clone(&self) -> Self {
        Self {
            rt: self.rt.clone(),
            ag: self.ag.clone(),
        }
    }
}

/// A shared, cheaply cloned half of a [`Client`]; request builders hold the
/// half of the service they call.
#[derive(Debug)]
pub(crate) struct Handle<T>(pub(crate) Arc<T>);

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle(Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What both halves know.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) region: String,
    pub(crate) catalog: Arc<Catalog>,
}

/// The bedrock-runtime half of a client.
#[derive(Debug)]
pub(crate) struct RuntimeSide<R> {
    pub(crate) api: Option<R>,
    pub(crate) routes: Vec<(String, R)>,
    pub(crate) shared: Shared,
    /// Plans already made with `shared.catalog`.
    pub(crate) plans: crate::runtime::PlanCache,
}

/// The bedrock-agent-runtime half of a client.
#[derive(Debug)]
pub(crate) struct AgentSide<A> {
    pub(crate) api: Option<A>,
    pub(crate) shared: Shared,
}

impl<R> RuntimeSide<R> {
    /// The region calls are made from.
    pub(crate) fn region(&self) -> &str {
        &self.shared.region
    }
}

impl<A> AgentSide<A> {
    /// The region calls are made from.
    pub(crate) fn region(&self) -> &str {
        &self.shared.region
    }
    /// The catalog in use.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }
    /// The service implementation, if configured.
    pub(crate) fn api(&self) -> Option<&A> {
        self.api.as_ref()
    }
}

fn checked_region(region: String) -> Result<String> {
    if is_region_like(&region) {
        Ok(region)
    } else {
        Err(Error::parse("region", region, "an AWS region name such as us-east-2"))
    }
}

impl Client<SdkRuntime, SdkAgentRuntime> {
    /// A client for both services from an AWS SDK configuration; its region
    /// is the region of every call.
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Result<Self> {
        let region = conf.region().map(|r| r.as_ref().to_owned()).ok_or_else(no_region)?;
        Self::with_apis(
            Some(SdkRuntime::new(sdk::Client::new(conf))),
            Some(SdkAgentRuntime::new(agent_sdk::Client::new(conf))),
            region,
        )
    }

    /// A client from the default credential and region chain.
    pub async fn from_env() -> Result<Self> {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        Self::from_conf(&conf)
    }

    /// A client around an existing bedrock-runtime SDK client (agent
    /// operations need [`with_agent_sdk`](Self::with_agent_sdk) too).
    pub fn from_sdk(client: sdk::Client) -> Result<Self> {
        let region = client
            .config()
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(no_region)?;
        Self::with_apis(Some(SdkRuntime::new(client)), None, region)
    }

    /// Adds (or replaces) the bedrock-agent-runtime SDK client.
    pub fn with_agent_sdk(mut self, client: agent_sdk::Client) -> Result<Self> {
        Arc::get_mut(&mut self.ag.0).ok_or_else(cloned)?.api = Some(SdkAgentRuntime::new(client));
        Ok(self)
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

fn cloned() -> Error {
    Error::Config {
        reason: "configure the client before cloning it".to_owned(),
    }
}

fn no_region() -> Error {
    Error::Config {
        reason: "the AWS configuration has no region; set AWS_REGION or configure one".to_owned(),
    }
}

impl<R> Client<R, SdkAgentRuntime> {
    /// A client over any bedrock-runtime implementation (a mock, say),
    /// making calls from `region`. It has no agent runtime.
    pub fn with_api(runtime: R, region: impl Into<String>) -> Result<Self> {
        Self::with_apis(Some(runtime), None, region)
    }
}

impl<A> Client<SdkRuntime, A> {
    /// A client over any bedrock-agent-runtime implementation (a mock, say),
    /// making calls from `region`. It has no bedrock-runtime.
    pub fn with_agent_api(agent: A, region: impl Into<String>) -> Result<Self> {
        Self::with_apis(None, Some(agent), region)
    }
}

impl<R, A> Client<R, A> {
    /// A client over any implementations of the two services.
    pub fn with_apis(runtime: Option<R>, agent: Option<A>, region: impl Into<String>) -> Result<Self> {
        let shared = Shared {
            region: checked_region(region.into())?,
            catalog: Arc::new(Catalog::builtin().clone()),
        };
        Ok(Self {
            rt: Handle(Arc::new(RuntimeSide {
                api: runtime,
                routes: Vec::new(),
                shared: shared.clone(),
                plans: Default::default(),
            })),
            ag: Handle(Arc::new(AgentSide { api: agent, shared })),
        })
    }

    pub(crate) fn runtime_mut(&mut self) -> Result<&mut RuntimeSide<R>> {
        Arc::get_mut(&mut self.rt.0).ok_or_else(cloned)
    }

    /// Uses `catalog` instead of the built-in one (e.g. one extended with
    /// [`Catalog::load`]).
    pub fn with_catalog(mut self, catalog: Catalog) -> Result<Self> {
        let catalog = Arc::new(catalog);
        let rt = self.runtime_mut()?;
        rt.shared.catalog = Arc::clone(&catalog);
        rt.plans.clear();
        Arc::get_mut(&mut self.ag.0).ok_or_else(cloned)?.shared.catalog = catalog;
        Ok(self)
    }

    /// The region calls are made from.
    pub fn region(&self) -> &str {
        &self.rt.shared.region
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.rt.shared.catalog
    }

    /// The bedrock-agent-runtime implementation, if configured.
    pub fn agent_api(&self) -> Option<&A> {
        self.ag.api.as_ref()
    }
}
