//! `client.invoke_agent(agent_id, alias_id)`: InvokeAgent, standard only.

use std::sync::Arc;

use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::types::SessionState;
use aws_sdk_bedrockagentruntime as agent_sdk;

use super::send::send;
use super::session::{SessionParts, session_setters, with_session_id};
use super::stream::InvokeAgentStream;
use super::{AgentSide, BedrockAgentRuntimeApi};
use crate::Result;
use crate::call::{Call, Escape, Question, escape_hatch};
use crate::models::sealed;
use crate::report::Target;
use crate::telemetry::{Input, RequestInfo};
use crate::vocab::{LatencyPolicy, Operation};

/// Never implemented, and sealed so that no other crate can: InvokeAgent's
/// `.optimized()` exists only so that the compiler explains why it cannot
/// be called. (Generic over the builder's service so that the bound is
/// checked where the method is called.)
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`InvokeAgent` does not honor latency-optimized inference",
    label = "Bedrock accepts `performanceConfig` on InvokeAgent but serves standard",
    note = "use an inline agent for optimized latency: `client.inline_agent(model).optimized()` (InvokeInlineAgent)",
    note = "a `LatencyPolicy` from configuration goes through `.latency(policy)`: optimized is refused before sending, prefer-optimized is sent standard with the reason in the report"
)]
pub trait InvokeAgentHonorsOptimized<A>: sealed::BuilderMarker {}

/// An `InvokeAgent` request:
/// `client.invoke_agent(agent_id, alias_id).input_text("...").send().await`.
///
/// **Standard latency only.** The InvokeAgent API accepts
/// `bedrockModelConfigurations.performanceConfig`, but the service does not
/// honor it: in a published hands-on test (December 2024) optimized
/// InvokeAgent calls were served standard and their invocation logs carried
/// no `performanceConfig`. This builder therefore never sends it (not even
/// through [`map_input`](Self::map_input)). `.optimized()` does not compile;
/// a [`LatencyPolicy`] from configuration is refused before sending when it
/// is [`Optimized`](LatencyPolicy::Optimized), and sent standard with the
/// reason in the report when it is
/// [`PreferOptimized`](LatencyPolicy::PreferOptimized). Use an inline agent
/// ([`Client::inline_agent`](crate::Client::inline_agent)) for optimized
/// latency.
///
/// The model is part of the agent's configuration, not of the request: the
/// report's `model_id` is `None` and its `target` names the agent.
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeAgentRequest<A> {
    client: Arc<AgentSide<A>>,
    agent_id: String,
    alias_id: String,
    session: SessionParts,
    memory_id: Option<String>,
    session_state: Option<SessionState>,
    policy: LatencyPolicy,
    escape: Escape<InvokeAgentInputBuilder, agent_sdk::config::Builder>,
}

impl<A> std::fmt::Debug for InvokeAgentRequest<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeAgentRequest")
            .field("agent_id", &self.agent_id)
            .field("alias_id", &self.alias_id)
            .field("policy", &self.policy)
            .field("session_id", &self.session.session_id)
            .finish_non_exhaustive()
    }
}

impl<A: BedrockAgentRuntimeApi> InvokeAgentRequest<A> {
    pub(crate) fn new(client: Arc<AgentSide<A>>, agent_id: String, alias_id: String) -> Self {
        Self {
            client,
            agent_id,
            alias_id,
            session: SessionParts::default(),
            memory_id: None,
            session_state: None,
            policy: LatencyPolicy::Standard,
            escape: Escape::default(),
        }
    }

    session_setters!();

    /// The agent memory to use.
    pub fn memory_id(mut self, id: impl Into<String>) -> Self {
        self.memory_id = Some(id.into());
        self
    }

    /// Session attributes, prompt attributes, return-control results ...
    pub fn session_state(mut self, state: SessionState) -> Self {
        self.session_state = Some(state);
        self
    }

    /// Sets the latency policy, for policies that come from configuration.
    /// InvokeAgent does not honor optimized latency:
    /// [`LatencyPolicy::Optimized`] is refused before sending, and
    /// [`LatencyPolicy::PreferOptimized`] sends standard and records why.
    pub fn latency(mut self, policy: LatencyPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Does not compile: the service does not honor optimized latency on
    /// InvokeAgent. It exists only so that the compiler explains why; use
    /// [`Client::inline_agent`](crate::Client::inline_agent) instead.
    #[doc(hidden)]
    pub fn optimized(self) -> Self
    where
        Self: InvokeAgentHonorsOptimized<A>,
    {
        self.latency(LatencyPolicy::Optimized)
    }

    /// Sends the request (standard latency) and returns the answer's stream
    /// once the response headers arrive. A refused request sends nothing.
    pub async fn send(self) -> Result<InvokeAgentStream> {
        let (plan, api) = self
            .client
            .plan(Question::without_model(Operation::InvokeAgent, self.policy))?;
        let b = self
            .session
            .fill(InvokeAgentInputBuilder::default())
            .agent_id(&self.agent_id)
            .agent_alias_id(&self.alias_id)
            .set_memory_id(self.memory_id)
            .set_session_state(self.session_state);
        let (b, config) = self.escape.apply(b);
        let (b, sent_session) = with_session_id(b);
        // Whatever the plan or a closure says: the service does not honor it.
        let b = b.set_bedrock_model_configurations(None);
        // The agent the request goes to (a `map_input` closure may change it).
        let target = Target::Agent {
            agent_id: b.get_agent_id().clone().unwrap_or_default(),
            alias_id: b.get_agent_alias_id().clone().unwrap_or_default(),
        };
        let agent_id = b.get_agent_id().clone();
        let mut call = Call::start(&plan, self.client.origin(), None);
        call.request(|| RequestInfo {
            agent_id,
            conversation_id: sent_session.clone(),
            ..RequestInfo::default()
        });
        call.capture_input(|max| Input::text(b.get_input_text().as_deref(), None, max));
        call.target(target);
        let mut raw = send(api, b, config, &call.span).await.map_err(|e| call.failed(e))?;
        if raw.session_id.is_none() {
            raw.session_id = sent_session;
        }
        Ok(InvokeAgentStream::new(raw, call))
    }
}

escape_hatch!(
    [A: BedrockAgentRuntimeApi] InvokeAgentRequest<A>,
    InvokeAgentInputBuilder,
    agent_sdk::config::Builder,
    "`bedrockModelConfigurations` is cleared after it: InvokeAgent requests never carry a latency setting.",
    escape
);
