//! `client.inline_agent(model)`: InvokeInlineAgent.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::types::{
    AgentActionGroup, GuardrailConfigurationWithArn, InlineBedrockModelConfigurations, KnowledgeBase,
};
use aws_sdk_bedrockagentruntime as agent_sdk;

use super::send::{direct, inline_agent_output, send};
use super::session::{SessionParts, session_setters, with_session_id};
use super::stream::InlineAgentStream;
use super::{AgentSide, BedrockAgentRuntimeApi, performance_config};
use crate::call::{Call, Escape, Question, escape_hatch, invalid};
use crate::model_id::ModelId;
use crate::models::{SupportsOptimized, op};
use crate::telemetry::{Input, RequestInfo};
use crate::vocab::{LatencyPolicy, Operation};
use crate::{Error, Result};

/// An `InvokeInlineAgent` request:
/// `client.inline_agent(model).instruction("...").input_text("...").send().await`.
///
/// Optimized latency goes in `bedrockModelConfigurations.performanceConfig`
/// with the model's inference profile as `foundationModel`. The answer is a
/// stream ([`InlineAgentStream`]); its report says `served: not reported`,
/// since the service does not say (see [`AgentResponse`](super::AgentResponse)).
#[must_use = "a request does nothing until `.send().await`"]
pub struct InlineAgentRequest<A, M> {
    client: Arc<AgentSide<A>>,
    model: ModelId,
    instruction: Option<String>,
    session: SessionParts,
    idle_ttl: Option<i32>,
    action_groups: Vec<AgentActionGroup>,
    knowledge_bases: Vec<KnowledgeBase>,
    guardrail: Option<GuardrailConfigurationWithArn>,
    policy: LatencyPolicy,
    escape: Escape<InvokeInlineAgentInputBuilder, agent_sdk::config::Builder>,
    error: Option<Error>,
    marker: PhantomData<fn() -> M>,
}

impl<A, M> std::fmt::Debug for InlineAgentRequest<A, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineAgentRequest")
            .field("model", &self.model)
            .field("policy", &self.policy)
            .field("session_id", &self.session.session_id)
            .finish_non_exhaustive()
    }
}

impl<A: BedrockAgentRuntimeApi, M> InlineAgentRequest<A, M> {
    pub(crate) fn new(client: Arc<AgentSide<A>>, model: ModelId) -> Self {
        Self {
            client,
            model,
            instruction: None,
            session: SessionParts::default(),
            idle_ttl: None,
            action_groups: Vec::new(),
            knowledge_bases: Vec::new(),
            guardrail: None,
            policy: LatencyPolicy::Standard,
            escape: Escape::default(),
            error: None,
            marker: PhantomData,
        }
    }

    /// The agent's instructions (required by the service).
    pub fn instruction(mut self, text: impl Into<String>) -> Self {
        self.instruction = Some(text.into());
        self
    }

    session_setters!();

    /// How long an idle session is kept (the service allows 60 s to 1 h).
    pub fn idle_session_ttl(mut self, ttl: Duration) -> Self {
        self.idle_ttl = Some(i32::try_from(ttl.as_secs()).unwrap_or(i32::MAX));
        self
    }

    /// Adds an action group.
    pub fn action_group(mut self, group: AgentActionGroup) -> Self {
        self.action_groups.push(group);
        self
    }

    /// Adds a knowledge base (any SDK configuration).
    pub fn knowledge_base(mut self, kb: KnowledgeBase) -> Self {
        self.knowledge_bases.push(kb);
        self
    }

    /// Adds a knowledge base by id, with the description the agent uses to
    /// decide when to query it.
    pub fn knowledge_base_id(mut self, id: impl Into<String>, description: impl Into<String>) -> Self {
        match KnowledgeBase::builder()
            .knowledge_base_id(id)
            .description(description)
            .build()
        {
            Ok(kb) => self.knowledge_bases.push(kb),
            Err(e) => {
                self.error.get_or_insert(invalid(e));
            }
        }
        self
    }

    /// Applies a guardrail.
    pub fn guardrail(mut self, identifier: impl Into<String>, version: impl Into<String>) -> Self {
        match GuardrailConfigurationWithArn::builder()
            .guardrail_identifier(identifier)
            .guardrail_version(version)
            .build()
        {
            Ok(g) => self.guardrail = Some(g),
            Err(e) => {
                self.error.get_or_insert(invalid(e));
            }
        }
        self
    }

    /// Sets the latency policy (checked against the catalog before
    /// sending). Typed models that honor it also have `.optimized()`.
    pub fn latency(mut self, policy: LatencyPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Asks for latency-optimized inference. Compiles only for typed models
    /// that offer it on InvokeInlineAgent; the client's region is still
    /// checked before sending.
    pub fn optimized(self) -> Self
    where
        M: SupportsOptimized<op::InlineAgentOp>,
    {
        self.latency(LatencyPolicy::Optimized)
    }

    /// The model ID as given.
    pub fn model_id(&self) -> &ModelId {
        &self.model
    }

    /// Checks the request against the catalog, sends it, and returns the
    /// answer's stream once the response headers arrive. A refused request
    /// sends nothing.
    pub async fn send(self) -> Result<InlineAgentStream> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let (plan, api) = self
            .client
            .plan(Question::model(&self.model, Operation::InlineAgent, self.policy))?;
        let b = self
            .session
            .fill(InvokeInlineAgentInputBuilder::default())
            .set_instruction(self.instruction)
            .set_idle_session_ttl_in_seconds(self.idle_ttl)
            .set_action_groups((!self.action_groups.is_empty()).then_some(self.action_groups))
            .set_knowledge_bases((!self.knowledge_bases.is_empty()).then_some(self.knowledge_bases))
            .set_guardrail_configuration(self.guardrail);
        let (b, config) = self.escape.apply(b);
        let (b, sent_session) = with_session_id(b);
        let b = b
            .foundation_model(plan.model_id.as_deref().unwrap_or_default())
            .set_bedrock_model_configurations(performance_config(plan.latency).map(|pc| {
                InlineBedrockModelConfigurations::builder()
                    .performance_config(pc)
                    .build()
            }));
        let mut call = Call::start(&plan, self.client.origin(), None);
        call.request(|| RequestInfo {
            agent_name: b.get_agent_name().clone(),
            conversation_id: sent_session.clone(),
            guardrail_id: b
                .get_guardrail_configuration()
                .as_ref()
                .map(|g| g.guardrail_identifier().to_owned()),
            ..RequestInfo::default()
        });
        call.capture_input(|max| Input::text(b.get_input_text().as_deref(), b.get_instruction().as_deref(), max));
        let raw = match direct(api, &config, &call.span) {
            Some(sdk) => inline_agent_output(b.send_with(sdk).await),
            None => send(api, b, config, &call.span).await,
        };
        let mut raw = raw.map_err(|e| call.failed(e))?;
        if raw.session_id.is_none() {
            raw.session_id = sent_session;
        }
        Ok(InlineAgentStream::new(raw, call))
    }
}

escape_hatch!(
    [A: BedrockAgentRuntimeApi, M] InlineAgentRequest<A, M>,
    InvokeInlineAgentInputBuilder,
    agent_sdk::config::Builder,
    "`foundationModel` and `bedrockModelConfigurations` are set after it, from the checked plan.",
    escape
);
