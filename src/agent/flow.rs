//! `client.invoke_flow(..)` and `client.start_flow_execution(..)`: the
//! latency setting only through an explicit, unverified opt-in.

use std::time::Instant;

use agent_sdk::operation::invoke_flow::InvokeFlowInput;
use agent_sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionInput;
use agent_sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use agent_sdk::types::{FlowInput, FlowInputContent, ModelPerformanceConfiguration};
use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_smithy_types::Document;
use serde::Serialize;
use tracing::Instrument;

use super::stream::FlowStream;
use super::{BedrockAgentRuntimeApi, invalid, performance_config};
use crate::check::Plan;
use crate::client::{AgentSide, Handle};
use crate::report::{LatencyReport, Timing};
use crate::vocab::{Latency, LatencyPolicy, Operation, Treatment};
use crate::{Error, Result};

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

    fn latency(&self) -> Latency {
        if self.unverified_optimized {
            Latency::Optimized
        } else {
            Latency::Standard
        }
    }

    /// Flows carry no model (it is in the flow definition), so there is no
    /// catalog check: the plan is what the caller opted into.
    fn plan(&self, region: &str) -> Plan {
        let id = format!("flow/{}/{}", self.flow_id, self.alias_id);
        let latency = self.latency();
        Plan {
            model_id: id.clone(),
            base_model_id: id,
            model_name: None,
            region: region.to_owned(),
            operation: Operation::InvokeFlow,
            policy: LatencyPolicy::from(latency),
            latency,
            treatment: (latency == Latency::Optimized).then_some(Treatment::Unverified),
            fallback: None,
            warnings: Vec::new(),
        }
    }

    fn model_performance(&self) -> Option<ModelPerformanceConfiguration> {
        performance_config(self.latency())
            .map(|pc| ModelPerformanceConfiguration::builder().performance_config(pc).build())
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

            /// Sets anything this builder does not model on the SDK input
            /// builder. `modelPerformanceConfiguration` is set after it: only
            /// [`unverified_optimized_latency`](Self::unverified_optimized_latency)
            /// sends it.
            pub fn customize(mut self, f: impl FnOnce($sdk_builder) -> $sdk_builder + Send + 'static) -> Self {
                self.customize.push(Box::new(f));
                self
            }
        }

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

type FlowCustomize = Box<dyn FnOnce(InvokeFlowInputBuilder) -> InvokeFlowInputBuilder + Send>;
type StartCustomize = Box<dyn FnOnce(StartFlowExecutionInputBuilder) -> StartFlowExecutionInputBuilder + Send>;

/// An `InvokeFlow` request:
/// `client.invoke_flow(flow_id, alias_id).text_input("...").send().await`.
///
/// Standard latency unless you call
/// [`unverified_optimized_latency`](Self::unverified_optimized_latency).
/// The report's `model_id` is `flow/{flow_id}/{alias_id}`.
#[must_use = "a request does nothing until `.send().await`"]
pub struct InvokeFlow<A> {
    client: Handle<AgentSide<A>>,
    parts: FlowParts,
    enable_trace: Option<bool>,
    execution_id: Option<String>,
    customize: Vec<FlowCustomize>,
}

flow_common!(InvokeFlow, InvokeFlowInputBuilder);

impl<A: BedrockAgentRuntimeApi> InvokeFlow<A> {
    pub(crate) fn new(client: Handle<AgentSide<A>>, flow_id: String, alias_id: String) -> Self {
        Self {
            client,
            parts: FlowParts::new(flow_id, alias_id),
            enable_trace: None,
            execution_id: None,
            customize: Vec::new(),
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
    pub async fn send(self) -> Result<FlowStream> {
        if let Some(e) = self.parts.error {
            return Err(e);
        }
        let api = self.client.service()?;
        let plan = self.parts.plan(self.client.region());
        let mut b = InvokeFlowInput::builder()
            .flow_identifier(&self.parts.flow_id)
            .flow_alias_identifier(&self.parts.alias_id)
            .set_inputs(Some(self.parts.inputs.clone()))
            .set_enable_trace(self.enable_trace)
            .set_execution_id(self.execution_id);
        for f in self.customize {
            b = f(b);
        }
        let input = b
            .set_model_performance_configuration(self.parts.model_performance())
            .build()
            .map_err(invalid)?;
        let span = crate::runtime::call_span(&plan, None);
        let report = crate::runtime::base_report(&plan, self.client.region(), None);
        let start = Instant::now();
        let raw = match api.invoke_flow(input).instrument(span.clone()).await {
            Ok(r) => r,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        Ok(FlowStream::new(raw, start, report, None, span))
    }
}

/// A `StartFlowExecution` request (an asynchronous flow run):
/// `client.start_flow_execution(flow_id, alias_id).text_input("...").send().await`.
///
/// Standard latency unless you call
/// [`unverified_optimized_latency`](Self::unverified_optimized_latency).
#[must_use = "a request does nothing until `.send().await`"]
pub struct StartFlowExecution<A> {
    client: Handle<AgentSide<A>>,
    parts: FlowParts,
    name: Option<String>,
    customize: Vec<StartCustomize>,
}

flow_common!(StartFlowExecution, StartFlowExecutionInputBuilder);

/// A started flow execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowExecution {
    /// The execution's ARN (poll it with `GetFlowExecution`).
    pub execution_arn: Option<String>,
    /// What was requested and sent; served is not reported.
    pub report: LatencyReport,
}

impl<A: BedrockAgentRuntimeApi> StartFlowExecution<A> {
    pub(crate) fn new(client: Handle<AgentSide<A>>, flow_id: String, alias_id: String) -> Self {
        Self {
            client,
            parts: FlowParts::new(flow_id, alias_id),
            name: None,
            customize: Vec::new(),
        }
    }

    /// Names the execution.
    pub fn execution_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Starts the execution.
    pub async fn send(self) -> Result<FlowExecution> {
        if let Some(e) = self.parts.error {
            return Err(e);
        }
        let api = self.client.service()?;
        let plan = self.parts.plan(self.client.region());
        let mut b = StartFlowExecutionInput::builder()
            .flow_identifier(&self.parts.flow_id)
            .flow_alias_identifier(&self.parts.alias_id)
            .set_inputs(Some(self.parts.inputs.clone()))
            .set_flow_execution_name(self.name);
        for f in self.customize {
            b = f(b);
        }
        let input = b
            .set_model_performance_configuration(self.parts.model_performance())
            .build()
            .map_err(invalid)?;
        let span = crate::runtime::call_span(&plan, None);
        let mut report = crate::runtime::base_report(&plan, self.client.region(), None);
        let start = Instant::now();
        let out = match api.start_flow_execution(input).instrument(span.clone()).await {
            Ok(o) => o,
            Err(e) => {
                span.in_scope(|| tracing::warn!(error = %e, "bedrock call failed"));
                return Err(e);
            }
        };
        report.request_id = out.request_id.clone();
        report.timing = Timing::finish(start.elapsed(), None, None, None);
        crate::runtime::record(&span, &report);
        Ok(FlowExecution {
            execution_arn: out.output.execution_arn,
            report,
        })
    }
}
