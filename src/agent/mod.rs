//! bedrock-agent-runtime: inline agents, knowledge bases
//! (RetrieveAndGenerate), InvokeAgent and flows.
//!
//! | Builder | `.optimized()` | Where the setting goes |
//! |---|---|---|
//! | [`client.inline_agent(model)`](crate::Client::inline_agent) -> [`InlineAgentStream`] | yes, for models that offer it | `bedrockModelConfigurations.performanceConfig` |
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
//! let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let client = Client::new(&conf); // us-east-1 or us-east-2 for Nova Pro optimized
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
mod send;
mod session;
mod stream;

/// The AWS SDK for bedrock-agent-runtime, as this crate uses it: build
/// inputs, outputs and events for mocks and `map_input` closures without a
/// dependency of your own (and without version skew).
pub use aws_sdk_bedrockagentruntime as sdk;

use aws_sdk_bedrockagentruntime as agent_sdk;

#[cfg(feature = "mock")]
pub use api::MockBedrockAgentRuntimeApi;
pub use api::{
    BedrockAgentRuntimeApi, RawAgentStream, RawFlowStream, RawInlineAgentStream, RawInvokeAgentStream,
    RawRetrieveAndGenerateStream, SdkAgentRuntime,
};
pub use flow::{FlowHonorsOptimized, InvokeFlowRequest, StartFlowExecutionRequest, StartFlowExecutionResponse};
pub use inline::InlineAgentRequest;
pub use invoke_agent::{InvokeAgentHonorsOptimized, InvokeAgentRequest};
pub use rag::{
    FromExternalSources, FromKnowledgeBase, RetrieveAndGenerateRequest, RetrieveAndGenerateResponse,
    RetrieveAndGenerateStreamRequest,
};
pub use response::{AgentResponse, Citation, Reference};
pub use stream::{
    AgentEvent, AgentStream, AgentStreamEvent, InlineAgentStream, InvokeAgentStream, InvokeFlowStream,
    RetrieveAndGenerateStream,
};

pub use crate::call::{EventStream, WithRequestId};

pub(crate) use api::as_sdk;

use std::sync::Arc;

use crate::call::{Origin, Planner, Question};
use crate::check::Plan;
use crate::model_id::{IdForm, ModelId};
use crate::telemetry::Telemetry;
use crate::vocab::Latency;
use crate::{Error, Result};

/// The bedrock-agent-runtime half of a client.
#[derive(Debug)]
pub(crate) struct AgentSide<A> {
    pub(crate) api: Option<A>,
    pub(crate) planner: Arc<Planner>,
    pub(crate) telemetry: Telemetry,
}

impl<A: BedrockAgentRuntimeApi> AgentSide<A> {
    /// The client's region.
    pub(crate) fn region(&self) -> &str {
        self.planner.region().unwrap_or_default()
    }

    /// The client's region and telemetry, for a call.
    pub(crate) fn origin(&self) -> Origin<'_> {
        Origin::new(&self.planner, &self.telemetry)
    }

    /// Checks a request against the catalog: a plan to send and the service
    /// to send it to, or a refusal (nothing is sent, and a span says why).
    pub(crate) fn plan(&self, q: Question<'_>) -> Result<(Arc<Plan>, &A)> {
        let planned = self
            .service()
            .and_then(|api| Ok((self.planner.plan(q)?.plan, api)))
            .map_err(|e| crate::call::refused(self.origin(), q, e))?;
        Ok(planned)
    }

    /// The service, or the configuration error of a client without one.
    pub(crate) fn service(&self) -> Result<&A> {
        self.api.as_ref().ok_or_else(|| Error::Config {
            reason: "this client has no bedrock-agent-runtime service configured (build it with \
                     `Client::new(&sdk_config)` or `Client::builder().agent_runtime(..)`)"
                .to_owned(),
        })
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
