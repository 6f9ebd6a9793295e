//! bedrock-agent-runtime operations: InvokeInlineAgent, InvokeAgent,
//! RetrieveAndGenerate(Stream), InvokeFlow and StartFlowExecution (parsing and
//! rendering).
//!
//! Shapes follow the AWS captures in `shared/fixtures/aws-captures`
//! (`invoke-agent-kb-citations`, `invoke-inline-agent`,
//! `retrieve-and-generate-kb`, `retrieve-and-generate-stream`) and, for
//! flows, the aws-sdk-bedrockagentruntime 1.151.0 deserializers
//! (`shape_flow_output_event.rs`, `shape_flow_completion_event.rs`,
//! `shape_start_flow_execution.rs`): no flow capture exists.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};

use super::behaviour;
use super::eventstream;
use super::parse::{body_object, eligibility, enum_error, perf_latency, positive_u32, required_str, valid_model};
use super::prepared::{AgentShape, Answer, Call, FlowShape, Prepared, RagShape, RagSource, Shape, TierPlan};
use super::wire::{ApiError, Reply, TimedFrame, schedule};
use crate::{Latency, Operation};

/// How an agent answer is rendered, from the request body.
fn agent_shape(body: &Value, session_id: &str, agent: Option<(String, String)>) -> AgentShape {
    AgentShape {
        session_id: session_id.to_owned(),
        stream_final: body
            .pointer("/streamingConfigurations/streamFinalResponse")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        trace: body.get("enableTrace").and_then(Value::as_bool).unwrap_or(false),
        agent,
    }
}

fn model_configuration_latency(body: &Value) -> Result<Option<Latency>, ApiError> {
    perf_latency(
        body.get("bedrockModelConfigurations")
            .and_then(|c| c.get("performanceConfig")),
        "bedrockModelConfigurations.performanceConfig",
    )
}

fn input_text(body: &Value) -> String {
    body.get("inputText")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn prepare_inline_agent(session: &str, call: &Call<'_>) -> Result<Prepared, ApiError> {
    let body = body_object(call.json, call.raw)?;
    let model = required_str(&body, "foundationModel")?.to_owned();
    let instruction = required_str(&body, "instruction")?.chars().count();
    valid_model(&model)?;
    let input = input_text(&body);
    let requested = model_configuration_latency(&body)?;
    let optimized_cap = eligibility(call.catalog, requested, &model, call.region)?;
    let chars = input.chars().count() + instruction;
    let shape = Shape::InlineAgent(agent_shape(&body, session, None));
    let p = agent_request(Operation::InlineAgent, requested, input, chars, shape);
    Ok(on_model(p, model, optimized_cap))
}

/// An agent-runtime request (these carry no service tier) that names no model
/// and ignores the latency setting; [`on_model`] for one that does.
fn agent_request(
    operation: Operation,
    requested: Option<Latency>,
    prompt: String,
    input_chars: usize,
    shape: Shape,
) -> Prepared {
    Prepared {
        operation,
        model_id: None,
        requested,
        optimized_cap: None,
        honours_latency: false,
        service_tier: None,
        tier_plan: TierPlan::Unasked,
        input_tokens: behaviour::estimate_tokens(input_chars),
        max_tokens: None,
        prompt,
        shape,
    }
}

/// `p` run on `model`, honouring the latency setting.
fn on_model(p: Prepared, model: String, optimized_cap: Option<Option<u32>>) -> Prepared {
    Prepared {
        model_id: Some(model),
        optimized_cap,
        honours_latency: true,
        ..p
    }
}

pub(crate) fn prepare_invoke_agent(
    agent_id: &str,
    alias_id: &str,
    session_id: &str,
    call: &Call<'_>,
) -> Result<Prepared, ApiError> {
    let body = body_object(call.json, call.raw)?;
    let requested = model_configuration_latency(&body)?;
    let input = input_text(&body);
    let agent = Some((agent_id.to_owned(), alias_id.to_owned()));
    let shape = Shape::Agent(agent_shape(&body, session_id, agent));
    let chars = input.chars().count();
    Ok(agent_request(Operation::InvokeAgent, requested, input, chars, shape))
}

pub(crate) fn prepare_rag(operation: Operation, call: &Call<'_>) -> Result<Prepared, ApiError> {
    let body = body_object(call.json, call.raw)?;
    let Some(text) = body.pointer("/input/text").and_then(Value::as_str) else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'input' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let Some(config) = body.get("retrieveAndGenerateConfiguration") else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'retrieveAndGenerateConfiguration' \
             failed to satisfy constraint: Member must not be null",
        ));
    };
    let kind = config.get("type").and_then(Value::as_str).unwrap_or_default();
    let (inner, inner_name) = match kind {
        "KNOWLEDGE_BASE" => (config.get("knowledgeBaseConfiguration"), "knowledgeBaseConfiguration"),
        "EXTERNAL_SOURCES" => (
            config.get("externalSourcesConfiguration"),
            "externalSourcesConfiguration",
        ),
        other => {
            return Err(enum_error(
                other,
                "retrieveAndGenerateConfiguration.type",
                "KNOWLEDGE_BASE, EXTERNAL_SOURCES",
            ));
        }
    };
    let Some(inner) = inner else {
        return Err(ApiError::validation(format!(
            "{inner_name} must be provided when type is {kind}"
        )));
    };
    let model = required_str(inner, "modelArn")?.to_owned();
    valid_model(&model)?;
    // The latency of the `performanceConfig` of configuration `name`.
    let latency_of = |name: &str| {
        perf_latency(
            inner.get(name).and_then(|g| g.get("performanceConfig")),
            &format!("retrieveAndGenerateConfiguration.{inner_name}.{name}.performanceConfig"),
        )
    };
    let generation = latency_of("generationConfiguration")?;
    let orchestration = latency_of("orchestrationConfiguration")?;
    // Both configurations run on `modelArn`; either asking optimized must be servable.
    eligibility(call.catalog, orchestration, &model, call.region)?;
    let requested = generation.or(orchestration);
    let optimized_cap = eligibility(call.catalog, requested, &model, call.region)?;
    let rag = RagShape {
        session_id: body.get("sessionId").and_then(Value::as_str).map(str::to_owned),
        source: rag_source(kind, inner),
    };
    let max_tokens = positive_u32(
        inner.pointer("/generationConfiguration/inferenceConfig/textInferenceConfig/maxTokens"),
        "maxTokens",
    )?;
    let shape = if operation == Operation::RetrieveAndGenerate {
        Shape::Rag(rag)
    } else {
        Shape::RagStream(rag)
    };
    let p = agent_request(operation, requested, text.to_owned(), text.chars().count(), shape);
    Ok(Prepared {
        max_tokens,
        ..on_model(p, model, optimized_cap)
    })
}

fn rag_source(kind: &str, inner: &Value) -> RagSource {
    if kind == "KNOWLEDGE_BASE" {
        let id = inner
            .get("knowledgeBaseId")
            .and_then(Value::as_str)
            .unwrap_or("LOCALKB");
        RagSource::KnowledgeBase {
            knowledge_base_id: id.to_owned(),
        }
    } else {
        let uri = inner
            .pointer("/sources/0/s3Location/uri")
            .and_then(Value::as_str)
            .unwrap_or("s3://bedrock-latency-local/external/document.txt");
        RagSource::External { uri: uri.to_owned() }
    }
}

/// A retrieved reference as the AWS captures show it: `content.text`,
/// `location` (S3) and, for knowledge bases, `metadata` with the source URI
/// and data source ID.
fn retrieved_reference(source: &RagSource, prompt: &str) -> Value {
    let quoted: Vec<&str> = prompt.split_whitespace().take(6).collect();
    let text = format!(
        "Reference passage about \"{}\" retrieved by bedrock-latency-local.",
        quoted.join(" ")
    );
    match source {
        RagSource::KnowledgeBase { knowledge_base_id } => {
            let uri = format!("s3://bedrock-latency-local/{knowledge_base_id}/document-1.txt");
            json!({
                "content": { "text": text },
                "location": { "s3Location": { "uri": uri }, "type": "S3" },
                "metadata": {
                    "x-amz-bedrock-kb-source-uri": uri,
                    "x-amz-bedrock-kb-data-source-id": "LOCALDATASRC",
                },
            })
        }
        RagSource::External { uri } => json!({
            "content": { "text": text },
            "location": { "s3Location": { "uri": uri }, "type": "S3" },
        }),
    }
}

/// One citation covering the whole generated text (span end inclusive, in
/// characters, as in the `retrieve-and-generate-kb` capture).
fn citation(text: &str, references: Vec<Value>) -> Value {
    let end = text.chars().count().saturating_sub(1);
    json!({
        "generatedResponsePart": {
            "textResponsePart": { "span": { "end": end, "start": 0 }, "text": text }
        },
        "retrievedReferences": references,
    })
}

pub(crate) fn render_rag(p: &Prepared, rag: &RagShape, a: &Answer<'_>) -> Reply {
    let session = rag.session_id.clone().unwrap_or_else(|| a.request_id.to_owned());
    let reference = retrieved_reference(&rag.source, &p.prompt);
    let body = json!({
        "citations": [citation(&a.text, vec![reference])],
        "output": { "text": a.text },
        "sessionId": session,
    });
    Reply::json(&body, Vec::new(), a.latency)
}

pub(crate) fn render_rag_stream(p: &Prepared, rag: &RagShape, a: &Answer<'_>) -> Reply {
    let session = rag.session_id.clone().unwrap_or_else(|| a.request_id.to_owned());
    let deltas = a
        .tokens
        .iter()
        .map(|t| eventstream::event("output", &json!({ "text": t })))
        .collect();
    // The `citation` event carries the citation twice, nested (deprecated
    // `citation`) and flat, as in the `retrieve-and-generate-stream` capture.
    let cited = citation(&a.text, vec![retrieved_reference(&rag.source, &p.prompt)]);
    let mut event = cited.clone();
    event["citation"] = cited;
    Reply::Stream {
        headers: vec![
            ("content-type", "application/vnd.amazon.eventstream".to_owned()),
            ("x-amzn-bedrock-knowledge-base-session-id", session),
        ],
        frames: schedule(
            Vec::new(),
            deltas,
            vec![eventstream::event("citation", &event)],
            a.timing,
        ),
        stream_error_type: "dependencyFailedException",
    }
}

/// RFC 3339 UTC timestamp of now, for trace `eventTime`.
fn event_time() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = crate::Date::from_days_since_epoch(i64::try_from(secs / 86_400).unwrap_or(0));
    let rest = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", rest / 3600, (rest / 60) % 60, rest % 60)
}

/// `trace` events of an agent answer with `enableTrace` (the orchestration
/// model input, then the final response), keyed as in the AWS captures.
fn agent_traces(agent: &AgentShape, a: &Answer<'_>) -> Vec<Bytes> {
    let (alias_arn, ids) = match &agent.agent {
        Some((agent_id, alias_id)) => (
            format!("arn:aws:bedrock:us-east-1:000000000000:agent-alias/{agent_id}/{alias_id}"),
            Some((agent_id, alias_id)),
        ),
        None => (
            "arn:aws:bedrock:us-east-1:000000000000:agent-alias/INLINE_AGENT/TSTALIASID".to_owned(),
            None,
        ),
    };
    let trace_id = format!("{}-0", a.request_id);
    let mut model_input = json!({ "text": "(prompt not recorded)", "traceId": trace_id, "type": "ORCHESTRATION" });
    if ids.is_none() {
        model_input["foundationModel"] = json!(a.model);
    }
    let steps = [
        json!({ "modelInvocationInput": model_input }),
        json!({ "observation": { "finalResponse": { "text": a.text }, "traceId": trace_id, "type": "FINISH" } }),
    ];
    steps
        .into_iter()
        .map(|step| {
            let mut event = json!({
                "callerChain": [ { "agentAliasArn": alias_arn } ],
                "eventTime": event_time(),
                "sessionId": agent.session_id,
                "trace": { "orchestrationTrace": step },
            });
            if let Some((agent_id, alias_id)) = ids {
                event["agentAliasId"] = json!(alias_id);
                event["agentId"] = json!(agent_id);
                event["agentVersion"] = json!("1");
            }
            eventstream::event("trace", &event)
        })
        .collect()
}

fn agent_chunk(text: &str, attribution: Option<&Value>) -> Bytes {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut payload = json!({ "bytes": encoded });
    if let Some(citations) = attribution {
        payload["attribution"] = json!({ "citations": [citations] });
    }
    eventstream::event("chunk", &payload)
}

pub(crate) fn render_agent(p: &Prepared, agent: &AgentShape, a: &Answer<'_>) -> Reply {
    // InvokeAgent answers come from an agent with a knowledge base: the last
    // chunk carries `attribution.citations` (capture
    // `invoke-agent-kb-citations`); inline agents have none.
    let attribution = agent.agent.as_ref().map(|(agent_id, _)| {
        let source = RagSource::KnowledgeBase {
            knowledge_base_id: format!("{agent_id}KB"),
        };
        citation(&a.text, vec![retrieved_reference(&source, &p.prompt)])
    });
    let traces = if agent.trace {
        agent_traces(agent, a)
    } else {
        Vec::new()
    };
    let frames = if agent.stream_final {
        let n = a.tokens.len();
        let chunks = a
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| agent_chunk(t, attribution.as_ref().filter(|_| i + 1 == n)))
            .collect();
        schedule(traces, chunks, Vec::new(), a.timing)
    } else {
        let mut frames: Vec<TimedFrame> = traces
            .into_iter()
            .map(|bytes| TimedFrame {
                delay: std::time::Duration::ZERO,
                bytes,
            })
            .collect();
        frames.push(TimedFrame {
            delay: a.latency,
            bytes: agent_chunk(&a.text, attribution.as_ref()),
        });
        frames
    };
    Reply::Stream {
        headers: vec![
            ("content-type", "application/vnd.amazon.eventstream".to_owned()),
            ("x-amzn-bedrock-agent-content-type", "application/json".to_owned()),
            ("x-amz-bedrock-agent-session-id", agent.session_id.clone()),
        ],
        frames,
        stream_error_type: "dependencyFailedException",
    }
}

/// Reads `modelPerformanceConfiguration.performanceConfig` of a flow call.
fn flow_latency(body: &Value) -> Result<Option<Latency>, ApiError> {
    perf_latency(
        body.get("modelPerformanceConfiguration")
            .and_then(|c| c.get("performanceConfig")),
        "modelPerformanceConfiguration.performanceConfig",
    )
}

/// The text of the first flow input (`content.document`: a string, or any
/// JSON document rendered as text).
fn flow_input(body: &Value) -> Result<String, ApiError> {
    let Some(inputs) = body.get("inputs").and_then(Value::as_array).filter(|i| !i.is_empty()) else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'inputs' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let first = inputs.first().unwrap_or(&Value::Null);
    required_str(first, "nodeName")?;
    Ok(match first.pointer("/content/document") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    })
}

/// InvokeFlow (`execution == false`) or StartFlowExecution. The flow's
/// `modelPerformanceConfiguration` is recorded; whether Bedrock honours it is
/// unverified (bedrock-facts.md section 2), so the endpoint serves standard
/// and reports nothing.
pub(crate) fn prepare_flow(
    flow_id: &str,
    alias_id: &str,
    execution: bool,
    call: &Call<'_>,
) -> Result<Prepared, ApiError> {
    let body = body_object(call.json, call.raw)?;
    let requested = flow_latency(&body)?;
    let prompt = flow_input(&body)?;
    let execution_id = body.get("executionId").and_then(Value::as_str).map(str::to_owned);
    let flow = FlowShape {
        flow_id: flow_id.to_owned(),
        alias_id: alias_id.to_owned(),
        execution_id,
        region: call.region.to_owned(),
    };
    let (operation, shape) = if execution {
        (Operation::StartFlowExecution, Shape::FlowExecution(flow))
    } else {
        (Operation::InvokeFlow, Shape::Flow(flow))
    };
    let chars = prompt.chars().count();
    Ok(agent_request(operation, requested, prompt, chars, shape))
}

fn execution_id(flow: &FlowShape, a: &Answer<'_>) -> String {
    flow.execution_id.clone().unwrap_or_else(|| a.request_id.to_owned())
}

pub(crate) fn render_flow(flow: &FlowShape, a: &Answer<'_>) -> Reply {
    let output = json!({
        "content": { "document": a.text },
        "nodeName": "FlowOutputNode",
        "nodeType": "FlowOutputNode",
    });
    let frames = vec![
        TimedFrame {
            delay: a.latency,
            bytes: eventstream::event("flowOutputEvent", &output),
        },
        TimedFrame {
            delay: std::time::Duration::ZERO,
            bytes: eventstream::event("flowCompletionEvent", &json!({ "completionReason": "SUCCESS" })),
        },
    ];
    Reply::Stream {
        headers: vec![
            ("content-type", "application/vnd.amazon.eventstream".to_owned()),
            ("x-amz-bedrock-flow-execution-id", execution_id(flow, a)),
        ],
        frames,
        stream_error_type: "dependencyFailedException",
    }
}

pub(crate) fn render_flow_execution(flow: &FlowShape, a: &Answer<'_>) -> Reply {
    let arn = format!(
        "arn:aws:bedrock:{}:000000000000:flow/{}/alias/{}/execution/{}",
        flow.region,
        flow.flow_id,
        flow.alias_id,
        execution_id(flow, a)
    );
    Reply::json(&json!({ "executionArn": arn }), Vec::new(), std::time::Duration::ZERO)
}
