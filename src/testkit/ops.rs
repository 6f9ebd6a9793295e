//! The dispatch of parsing (no side effects) and of rendering to the runtime
//! and agent operations; what they share is in `prepared`.

use hyper::HeaderMap;
use serde_json::Value;

use super::prepared::{Answer, Call, Prepared, RenderContext, Shape};
use super::wire::{ApiError, PathParams, Reply};
use super::{agent_ops, runtime_ops};
use crate::{Catalog, Operation};

/// Parses and validates a request. Pure: no quota, no faults.
pub(crate) fn prepare(
    operation: Operation,
    params: &PathParams,
    headers: &HeaderMap,
    raw: &[u8],
    json: Option<&Value>,
    region: &str,
    catalog: &Catalog,
) -> Result<Prepared, ApiError> {
    let call = Call {
        raw,
        json,
        region,
        catalog,
    };
    match (operation, params) {
        (Operation::Converse | Operation::ConverseStream, PathParams::Model(model)) => {
            runtime_ops::prepare_converse(operation, model, &call)
        }
        (Operation::InvokeModel | Operation::InvokeModelStream, PathParams::Model(m)) => {
            runtime_ops::prepare_invoke(operation, m, headers, &call)
        }
        (Operation::InlineAgent, PathParams::Session(session)) => agent_ops::prepare_inline_agent(session, &call),
        (
            Operation::InvokeAgent,
            PathParams::Agent {
                agent_id,
                alias_id,
                session_id,
            },
        ) => agent_ops::prepare_invoke_agent(agent_id, alias_id, session_id, &call),
        (Operation::RetrieveAndGenerate | Operation::RetrieveAndGenerateStream, _) => {
            agent_ops::prepare_rag(operation, &call)
        }
        (
            Operation::InvokeFlow | Operation::StartFlowExecution,
            PathParams::Flow {
                flow_id,
                alias_id,
                execution,
            },
        ) => agent_ops::prepare_flow(flow_id, alias_id, *execution, &call),
        _ => Err(ApiError::unknown_operation("POST", operation.aws_name())),
    }
}

/// Renders the successful answer of a prepared request.
pub(crate) fn render(p: &Prepared, ctx: &RenderContext<'_>) -> Reply {
    let answer = Answer::new(p, ctx);
    match &p.shape {
        Shape::Converse => runtime_ops::render_converse(&answer),
        Shape::ConverseStream => runtime_ops::render_converse_stream(&answer),
        Shape::Invoke(family) => runtime_ops::render_invoke(*family, &answer),
        Shape::InvokeStream(family) => runtime_ops::render_invoke_stream(*family, &answer),
        Shape::InlineAgent(agent) | Shape::Agent(agent) => agent_ops::render_agent(p, agent, &answer),
        Shape::Rag(rag) => agent_ops::render_rag(p, rag, &answer),
        Shape::RagStream(rag) => agent_ops::render_rag_stream(p, rag, &answer),
        Shape::Flow(flow) => agent_ops::render_flow(flow, &answer),
        Shape::FlowExecution(flow) => agent_ops::render_flow_execution(flow, &answer),
    }
}
