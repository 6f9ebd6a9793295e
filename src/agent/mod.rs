//! bedrock-agent-runtime: inline agents, knowledge bases
//! (RetrieveAndGenerate), InvokeAgent and flows.
//!
//! | Builder | `.optimized()` | Where the setting goes |
//! |---|---|---|
//! | [`client.inline_agent(model)`](crate::Client::inline_agent) | yes, for models that offer it | `bedrockModelConfigurations.performanceConfig` |
//! | [`client.retrieve_and_generate(kb, model)`](crate::Client::retrieve_and_generate) and its stream | yes | `knowledgeBaseConfiguration.generationConfiguration.performanceConfig`, and `orchestrationConfiguration.performanceConfig` when an orchestration configuration is given |
//! | [`client.retrieve_and_generate_external(model)`](crate::Client::retrieve_and_generate_external) and its stream | yes | `externalSourcesConfiguration.generationConfiguration.performanceConfig` |
//! | [`client.invoke_agent(agent, alias)`](crate::Client::invoke_agent) | **no** (does not compile): the service accepts the field and serves standard | never sent |
//! | [`client.invoke_flow(flow, alias)`](crate::Client::invoke_flow), [`start_flow_execution`](crate::Client::start_flow_execution) | no; `.unverified_optimized_latency()` opts in | `modelPerformanceConfiguration.performanceConfig` |
//!
//! No agent-runtime response says which latency served it: every report
//! says [`ServedLatency::NotReported`](crate::ServedLatency::NotReported).
//! Verify in the Bedrock model invocation logs, where a record served
//! optimized carries `"performanceConfig": {"latency": "OPTIMIZED"}`.
//!
//! ```no_run
//! # async fn demo() -> bedrock_latency::Result<()> {
//! use bedrock_latency::Client;
//! use bedrock_latency::models::NovaPro;
//!
//! let client = Client::from_env().await?; // us-east-1 or us-east-2 for Nova Pro optimized
//! let answer = client
//!     .retrieve_and_generate("KBID123456", NovaPro)
//!     .optimized()
//!     .query("桃太郎はどこで生まれましたか?")
//!     .send()
//!     .await?;
//! println!("{} [{} citations] ({})", answer.text, answer.citations.len(), answer.report);
//! # Ok(()) }
//! ```

mod api;
mod flow;
mod inline;
mod invoke_agent;
mod rag;
mod response;
mod stream;

use aws_sdk_bedrockagentruntime as agent_sdk;

#[cfg(feature = "mock")]
pub use api::MockBedrockAgentRuntimeApi;
pub use api::{
    BedrockAgentRuntimeApi, RawAgentStream, RawFlowStream, RawInlineAgentStream, RawInvokeAgentStream,
    RawRetrieveAndGenerateStream, SdkAgentRuntime,
};
pub use flow::{FlowExecution, InvokeFlow, StartFlowExecution};
pub use inline::InlineAgent;
pub use invoke_agent::InvokeAgent;
#[doc(hidden)]
pub use invoke_agent::InvokeAgentHonorsOptimized;
pub use rag::{FromExternalSources, FromKnowledgeBase, RetrieveAndGenerate, RetrieveAndGenerateStreamRequest};
pub use response::{AgentResponse, Citation, Reference};
pub use stream::{
    AgentEvent, AgentStream, AgentStreamEvent, FlowStream, InlineAgentStream, InvokeAgentStream,
    RetrieveAndGenerateStream,
};

use crate::check::{CheckRequest, Plan};
use crate::client::{AgentSide, Client};
use crate::model_id::{IdForm, ModelId};
use crate::runtime::IntoModel;
use crate::vocab::{Latency, LatencyPolicy, Operation};
use crate::{Error, Result};

impl<R, A: BedrockAgentRuntimeApi> Client<R, A> {
    /// Starts an `InvokeInlineAgent` request: an agent defined in the
    /// request itself, on `model`. Typed models that offer it have
    /// `.optimized()`.
    pub fn inline_agent<M: IntoModel>(&self, model: M) -> InlineAgent<A, M::Marker> {
        InlineAgent::new(self.ag.clone(), model.into_model_id())
    }

    /// Starts a `RetrieveAndGenerate` request on knowledge base
    /// `knowledge_base_id`, generating with `model`.
    pub fn retrieve_and_generate<M: IntoModel>(
        &self,
        knowledge_base_id: impl Into<String>,
        model: M,
    ) -> RetrieveAndGenerate<A, M::Marker, FromKnowledgeBase> {
        RetrieveAndGenerate::knowledge_base(self.ag.clone(), knowledge_base_id.into(), model.into_model_id())
    }

    /// Starts a `RetrieveAndGenerateStream` request on knowledge base
    /// `knowledge_base_id`, generating with `model`.
    pub fn retrieve_and_generate_stream<M: IntoModel>(
        &self,
        knowledge_base_id: impl Into<String>,
        model: M,
    ) -> RetrieveAndGenerateStreamRequest<A, M::Marker, FromKnowledgeBase> {
        RetrieveAndGenerateStreamRequest::knowledge_base(
            self.ag.clone(),
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
    ) -> RetrieveAndGenerate<A, M::Marker, FromExternalSources> {
        RetrieveAndGenerate::external(self.ag.clone(), model.into_model_id())
    }

    /// The streamed variant of
    /// [`retrieve_and_generate_external`](Self::retrieve_and_generate_external).
    pub fn retrieve_and_generate_external_stream<M: IntoModel>(
        &self,
        model: M,
    ) -> RetrieveAndGenerateStreamRequest<A, M::Marker, FromExternalSources> {
        RetrieveAndGenerateStreamRequest::external(self.ag.clone(), model.into_model_id())
    }

    /// Starts an `InvokeAgent` request to agent `agent_id` through alias
    /// `alias_id`. Standard latency only: the service accepts
    /// `performanceConfig` on InvokeAgent and serves standard anyway, so
    /// this builder never sends it.
    pub fn invoke_agent(&self, agent_id: impl Into<String>, alias_id: impl Into<String>) -> InvokeAgent<A> {
        InvokeAgent::new(self.ag.clone(), agent_id.into(), alias_id.into())
    }

    /// Starts an `InvokeFlow` request.
    pub fn invoke_flow(&self, flow_id: impl Into<String>, alias_id: impl Into<String>) -> InvokeFlow<A> {
        InvokeFlow::new(self.ag.clone(), flow_id.into(), alias_id.into())
    }

    /// Starts a `StartFlowExecution` request (an asynchronous flow run).
    pub fn start_flow_execution(
        &self,
        flow_id: impl Into<String>,
        alias_id: impl Into<String>,
    ) -> StartFlowExecution<A> {
        StartFlowExecution::new(self.ag.clone(), flow_id.into(), alias_id.into())
    }
}

impl<A: BedrockAgentRuntimeApi> AgentSide<A> {
    /// The service, or a configuration error.
    pub(crate) fn service(&self) -> Result<&A> {
        self.api().ok_or_else(|| Error::Config {
            reason: "this client has no bedrock-agent-runtime service configured (use Client::from_conf, \
                     with_agent_sdk or with_agent_api)"
                .to_owned(),
        })
    }

    /// Checks a request against the catalog: a plan to send, or a refusal.
    pub(crate) fn plan(&self, model: &ModelId, op: Operation, policy: LatencyPolicy) -> Result<(Plan, &A)> {
        let plan = self
            .catalog()
            .check(&CheckRequest::new(model, self.region(), op, policy))?;
        Ok((plan, self.service()?))
    }
}

/// The agent-runtime `PerformanceConfiguration` for a planned latency:
/// `None` for standard (the service default), so that standard requests
/// carry no `performanceConfig` at all.
pub(crate) fn performance_config(l: Latency) -> Option<agent_sdk::types::PerformanceConfiguration> {
    match l {
        Latency::Standard => None,
        Latency::Optimized => Some(
            agent_sdk::types::PerformanceConfiguration::builder()
                .latency(agent_sdk::types::PerformanceConfigLatency::Optimized)
                .build(),
        ),
    }
}

/// The `modelArn` that RetrieveAndGenerate takes for a planned model ID.
///
/// - A base model ID becomes the foundation-model ARN of the client's
///   region, `arn:aws:bedrock:{region}::foundation-model/{id}`.
/// - An inference profile ID (what optimized latency requires, e.g.
///   `us.anthropic.claude-3-5-haiku-20241022-v1:0`) is sent as the ID
///   itself: the profile's ARN needs the caller's account ID, which the
///   client does not know, and the API accepts the bare ID. The field is
///   documented as "the ARN of the foundation model or inference profile",
///   and its pattern makes the ARN prefix optional:
///   `(arn:aws(-[^:]+)?:(bedrock|sagemaker):[a-z0-9-]{1,20}:([0-9]{12})?:([a-z-]+/)?)?([a-zA-Z0-9.-]{1,63}){0,2}(([:][a-z0-9-]{1,63}){0,2})?(/[a-z0-9]{1,12})?`
///   (docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_KnowledgeBaseRetrieveAndGenerateConfiguration.html,
///   read 2026-11-26). The service resolves a bare profile ID to the
///   caller's profile ARN: a RetrieveAndGenerate call that passed
///   `global.anthropic.claude-haiku-4-5-v1:0` (a misspelt ID) was answered
///   "The specified inference profile
///   arn:aws:bedrock:eu-west-1:XXXXXXXXXX:inference-profile/global.anthropic.claude-haiku-4-5-v1:0
///   does not exist" (github.com/aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws
///   issue 286, April 2026).
/// - ARNs are sent as given.
pub(crate) fn model_arn(model_id: &str, region: &str) -> String {
    match ModelId::parse(model_id).map(|m| m.form()) {
        Ok(IdForm::BaseModel) => format!(
            "arn:{}:bedrock:{region}::foundation-model/{model_id}",
            partition(region)
        ),
        _ => model_id.to_owned(),
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// A fresh session id: 128 random bits in UUID form (the agent runtime
/// takes `[0-9a-zA-Z._:-]+`, 2 to 100 characters).
pub(crate) fn new_session_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let word = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(nanos);
        h.finish()
    };
    let (a, b) = (word(1), word(2));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Builds an SDK input, turning a build error into [`Error::InvalidRequest`].
pub(crate) fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidRequest { reason: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_arns() {
        assert_eq!(
            model_arn("amazon.nova-pro-v1:0", "us-east-1"),
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
        );
        assert_eq!(
            model_arn("us.anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-2"),
            "us.anthropic.claude-3-5-haiku-20241022-v1:0"
        );
        let arn = "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.amazon.nova-pro-v1:0";
        assert_eq!(model_arn(arn, "us-east-2"), arn);
        assert_eq!(
            model_arn("amazon.nova-pro-v1:0", "cn-north-1"),
            "arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.nova-pro-v1:0"
        );
    }

    #[test]
    fn session_ids_are_fresh_and_valid() {
        let a = new_session_id();
        let b = new_session_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "{a}");
    }
}
