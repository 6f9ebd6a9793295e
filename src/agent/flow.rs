//! `client.invoke_flow(..)` and `client.start_flow_execution(..)`: the
//! latency setting only through an explicit, unverified opt-in.

use std::sync::Arc;

use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use agent_sdk::types::{FlowInput, FlowInputContent, ModelPerformanceConfiguration};
use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_smithy_types::Document;
use serde::Serialize;

use super::send::{AgentInput, send};
use super::stream::InvokeFlowStream;
use super::{AgentSide, BedrockAgentRuntimeApi, performance_config};
use crate::call::{Call, Escape, Question, escape_hatch, invalid};
use crate::check::Plan;
use crate::models::sealed;
use crate::report::{LatencyReport, Target};
use crate::vocab::{LatencyPolicy, Operation};
use crate::{Error, Result};

/// Never implemented, and sealed: the flow builders' `.optimized()` exists
/// only so that the compiler points to the explicit opt-in.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "flows offer no `.optimized()`: whether they honor latency-optimized inference is unverified",
    label = "use `.unverified_optimized_latency()` to opt in explicitly",
    note = "`.unverified_optimized_latency()` sends `modelPerformanceConfiguration.performanceConfig.latency = optimized`; verify in the model invocation logs of the flow's model calls before relying on it"
)]
pub trait FlowHonorsOptimized<A>: sealed::BuilderMarker {}

/// The node and output names of a flow's input node as the Bedrock console
/// creates it.
const INPUT_NODE: &str = "FlowInputNode";
const INPUT_OUTPUT: &str = "document";

/// What both flow builders keep.
#[derive(Debug)]
struct FlowParts {
    flow_id: String,
    alias_id: String,
    inputs: Vec<FlowInput>,
    unverified_optimized: bool,
    error: Option<Error>,
}

impl FlowParts {
    fn new(flow_id: String, alias_id: String) -> Self {
        Self {
            flow_id,
            alias_id,
            inputs: Vec::new(),
            unverified_optimized: false,
            error: None,
        }
    }

    fn push(&mut self, node: String, output: String, doc: Document) {
        match FlowInput::builder()
            .node_name(node)
            .node_output_name(output)
            .content(FlowInputContent::Document(doc))
            .build()
        {
            Ok(i) => self.inputs.push(i),
            Err(e) => {
                self.error.get_or_insert(invalid(e));
            }
        }
    }

    /// The planner's question: flows name no model (it is in the flow
    /// definition), so the operation's treatment decides; optimized only
    /// with the explicit unverified opt-in.
    fn question(&self, op: Operation) -> Question<'static> {
        let policy = if self.unverified_optimized {
            LatencyPolicy::Optimized
        } else {
            LatencyPolicy::Standard
        };
        let mut q = Question::without_model(op, policy);
        q.allow_unverified = self.unverified_optimized;
        q
    }

    /// The flow a request goes to, from its input as sent (a `map_input`
    /// closure may change it).
    fn target(flow_id: &Option<String>, alias_id: &Option<String>) -> Target {
        Target::Flow {
            flow_id: flow_id.clone().unwrap_or_default(),
            alias_id: alias_id.clone().unwrap_or_default(),
        }
    }
}

fn model_performance(plan: &Plan) -> Option<ModelPerformanceConfiguration> {
    performance_config(plan.latency).map(|pc| ModelPerformanceConfiguration::builder().performance_config(pc).build())
}

/// The two flow operations' SDK input builders: the fields they share.
trait FlowBuilder: Sized {
    /// Sets the flow, its alias and the inputs.
    fn flow(self, parts: &FlowParts) -> Self;
    /// Sets the plan's latency (`modelPerformanceConfiguration`).
    fn planned(self, plan: &Plan) -> Self;
    /// The flow the input goes to, as it will be sent.
    fn target(&self) -> Target;
}

impl FlowParts {
    /// Plans `op`, builds its input (`own`: the operation's own fields set)
    /// with the caller's `map_input` closures applied before the plan's
    /// latency, and sends it. A refused request, or one with a bad input,
    /// sends nothing.
    async fn send<A: BedrockAgentRuntimeApi, B: FlowBuilder + AgentInput<A>>(
        mut self,
        client: &AgentSide<A>,
        op: Operation,
        own: B,
        escape: Escape<B, agent_sdk::config::Builder>,
    ) -> Result<(B::Output, Call)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let (plan, api) = client.plan(self.question(op))?;
        let (b, config) = escape.apply(own.flow(&self));
        let input = b.planned(&plan);
        let mut call = Call::start(&plan, client.origin(), Some(input.target()));
        let out = send(api, input, config, &call.span).await.map_err(|e| call.failed(e))?;
        Ok((out, call))
    }
}

macro_rules! flow_common {
    ($builder:ident, $sdk_builder:ty) => {
        impl<A: BedrockAgentRuntimeApi> $builder<A> {
            /// Sends `text` to the flow's input node (`FlowInputNode`, output
            /// `document`, as the console names them).
            pub fn text_input(self, text: impl Into<String>) -> Self {
                self.input(INPUT_NODE, INPUT_OUTPUT, Document::String(text.into()))
            }

            /// Sends a document to an input node's output.
            pub fn input(
                mut self,
                node_name: impl Into<String>,
                output_name: impl Into<String>,
                doc: Document,
            ) -> Self {
                self.parts.push(node_name.into(), output_name.into(), doc);
                self
            }

            /// Adds any SDK flow input.
            pub fn flow_input(mut self, input: FlowInput) -> Self {
                self.parts.inputs.push(input);
                self
            }

            /// Sends `modelPerformanceConfiguration.performanceConfig.latency
            /// = optimized`.
            ///
            /// **Unverified**: the API accepts the field, but nobody has shown
            /// whether the service honors it for the model calls of a flow
            /// (it does not on InvokeAgent). No response says which latency
            /// served; check the model invocation logs of the flow's model
            /// calls for `performanceConfig.latency == "OPTIMIZED"` before
            /// relying on it. There is no catalog check either: the model is
            /// in the flow definition, not in the request.
            pub fn unverified_optimized_latency(mut self) -> Self {
                self.parts.unverified_optimized = true;
                self
            }

            /// Does not compile: flows offer no `.optimized()`, since whether
            /// they honor it is unverified. It exists only so that the
            /// compiler points to
            /// [`unverified_optimized_latency`](Self::unverified_optimized_latency).
            #[doc(hidden)]
            pub fn optimized(self) -> Self
            where
                Self: FlowHonorsOptimized<A>,
            {
                self.unverified_optimized_latency()
            }

        }

        impl FlowBuilder for $sdk_builder {
            fn flow(self, parts: &FlowParts) -> Self {
                self.flow_identifier(&parts.flow_id)
                    .flow_alias_identifier(&parts.alias_id)
                    .set_inputs(Some(parts.inputs.clone()))
            }
            fn planned(self, plan: &Plan) -> Self {
                self.set_model_performance_configuration(model_performance(plan))
            }
            fn target(&self) -> Target {
                FlowParts::target(self.get_flow_identifier(), self.get_flow_alias_identifier())
            }
        }

        escape_hatch!(
            [A: BedrockAgentRuntimeApi] $builder<A>,
            $sdk_builder,
            agent_sdk::config::Builder,
            "`modelPerformanceConfiguration` is set after it: only `unverified_optimized_latency()` sends it.",
            escape
        );

        impl<A> std::fmt::Debug for $builder<A> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($builder))
                    .field("flow_id", &self.parts.flow_id)
                    .field("alias_id", &self.parts.alias_id)
                    .field("unverified_optimized", &self.parts.unverified_optimized)
                    .finish_non_exhaustive()
            }
        }
    };
}

/// An `InvokeFlow` request:
/// `client.invoke_flow(flow_id, alias_id).text_input("...").send().await`,
/// answered by an [`InvokeFlowStream`].
///
/// Standard latency unless you call
/// [`unverified_optimized_latency`](Self::unverified_optimized_latency).
/// The report's `model_id` is `None` and its `target` names the flow.
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeFlowRequest<A> {
    client: Arc<AgentSide<A>>,
    parts: FlowParts,
    enable_trace: Option<bool>,
    execution_id: Option<String>,
    escape: Escape<InvokeFlowInputBuilder, agent_sdk::config::Builder>,
}

flow_common!(InvokeFlowRequest, InvokeFlowInputBuilder);

impl<A: BedrockAgentRuntimeApi> InvokeFlowRequest<A> {
    pub(crate) fn new(client: Arc<AgentSide<A>>, flow_id: String, alias_id: String) -> Self {
        Self {
            client,
            parts: FlowParts::new(flow_id, alias_id),
            enable_trace: None,
            execution_id: None,
            escape: Escape::default(),
        }
    }

    /// Asks for flow trace events.
    pub fn enable_trace(mut self, enable: bool) -> Self {
        self.enable_trace = Some(enable);
        self
    }

    /// Continues a multi-turn execution.
    pub fn execution_id(mut self, id: impl Into<String>) -> Self {
        self.execution_id = Some(id.into());
        self
    }

    /// Sends the request and returns the flow's output stream once the
    /// response headers arrive (outputs as [`AgentEvent::Text`](super::AgentEvent::Text)).
    pub async fn send(self) -> Result<InvokeFlowStream> {
        let own = InvokeFlowInputBuilder::default()
            .set_enable_trace(self.enable_trace)
            .set_execution_id(self.execution_id);
        let (raw, call) = (self.parts)
            .send(&self.client, Operation::InvokeFlow, own, self.escape)
            .await?;
        Ok(InvokeFlowStream::new(raw, call))
    }
}

/// A `StartFlowExecution` request (an asynchronous flow run):
/// `client.start_flow_execution(flow_id, alias_id).text_input("...").send().await`,
/// answered by a [`StartFlowExecutionResponse`].
///
/// Standard latency unless you call
/// [`unverified_optimized_latency`](Self::unverified_optimized_latency).
#[must_use = "a request does nothing until `.send().await`"]
pub struct StartFlowExecutionRequest<A> {
    client: Arc<AgentSide<A>>,
    parts: FlowParts,
    name: Option<String>,
    escape: Escape<StartFlowExecutionInputBuilder, agent_sdk::config::Builder>,
}

flow_common!(StartFlowExecutionRequest, StartFlowExecutionInputBuilder);

/// A started flow execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartFlowExecutionResponse {
    /// The execution's ARN (poll it with `GetFlowExecution`).
    pub execution_arn: Option<String>,
    /// What was requested and sent; served is not reported.
    pub report: LatencyReport,
}

impl<A: BedrockAgentRuntimeApi> StartFlowExecutionRequest<A> {
    pub(crate) fn new(client: Arc<AgentSide<A>>, flow_id: String, alias_id: String) -> Self {
        Self {
            client,
            parts: FlowParts::new(flow_id, alias_id),
            name: None,
            escape: Escape::default(),
        }
    }

    /// Names the execution.
    pub fn execution_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Starts the execution.
    pub async fn send(self) -> Result<StartFlowExecutionResponse> {
        let own = StartFlowExecutionInputBuilder::default().set_flow_execution_name(self.name);
        let (out, call) = (self.parts)
            .send(&self.client, Operation::StartFlowExecution, own, self.escape)
            .await?;
        let request_id = out.request_id.clone();
        let report = call.finish_with(|r| r.request_id = request_id);
        Ok(StartFlowExecutionResponse {
            execution_arn: out.output.execution_arn,
            report,
        })
    }
}
