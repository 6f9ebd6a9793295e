//! No silently dropped fields: for each agent-runtime operation, every
//! member of the SDK's input (enumerated from the SDK's own `Debug` of its
//! input builder, so a field a newer SDK adds fails here until it is
//! listed) is set through `map_input` and found on the wire at the local
//! endpoint: in the body, the path or a header.
//!
//! The fields the crate owns are set after the closure and are checked to
//! hold the crate's value: the model and its latency setting (from the
//! checked plan), and InvokeAgent's `bedrockModelConfigurations` (never
//! sent: the service ignores it).

use crate::sdk_clients::agent_optimized;
use crate::support::{Collect, Request};

use std::collections::BTreeSet;

use bedrock_latency::agent::sdk;
use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::{LocalBedrock, RecordedRequest};
use bedrock_latency::{Client, Target};
use sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use sdk::operation::invoke_flow::builders::InvokeFlowInputBuilder;
use sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use sdk::operation::start_flow_execution::builders::StartFlowExecutionInputBuilder;
use sdk::types as t;
use serde_json::{Value, json};

const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/every-field";
const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:every-field";
const PROFILE: &str = "us.amazon.nova-pro-v1:0";

/// The top-level field names in the `{:#?}` of an SDK input builder.
fn sdk_fields(debug: &str) -> BTreeSet<String> {
    debug
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Every SDK field is listed, and every listed check holds.
fn assert_every_field(operation: &str, debug: String, checks: &[(&str, bool)]) {
    let listed: BTreeSet<String> = checks.iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(
        sdk_fields(&debug),
        listed,
        "{operation}: the SDK input's fields (left) and the fields this test sets (right) differ"
    );
    let missing: Vec<&str> = checks.iter().filter(|(_, ok)| !ok).map(|(f, _)| *f).collect();
    assert!(missing.is_empty(), "{operation}: not on the wire as set: {missing:?}");
}

/// A local endpoint and the crate's client pointed at it.
async fn local() -> (LocalBedrock, Client) {
    let server = LocalBedrock::start().await.unwrap();
    let client = Client::new(&server.sdk_config("us-east-1"));
    (server, client)
}

/// Starts a local endpoint, sends the request `build` makes on a client
/// pointed at it, reads the answer to its end, and returns it with the
/// request the endpoint got and that request's JSON body.
async fn sent<Q: Request>(
    build: impl FnOnce(&Client) -> Q,
) -> (<Q::Sent as Collect>::Response, RecordedRequest, Value) {
    let (server, client) = local().await;
    let answer = build(&client).answer().await;
    let r = server.last_request().unwrap();
    let b = r.body.clone().unwrap();
    (answer, r, b)
}

fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn guardrail_with_arn() -> t::GuardrailConfigurationWithArn {
    t::GuardrailConfigurationWithArn::builder()
        .guardrail_identifier("gr-every")
        .guardrail_version("7")
        .build()
        .unwrap()
}

fn inline_agent_input(b: InvokeInlineAgentInputBuilder) -> InvokeInlineAgentInputBuilder {
    let action_group = t::AgentActionGroup::builder()
        .action_group_name("ag-every")
        .action_group_executor(t::ActionGroupExecutor::CustomControl(
            t::CustomControlMethod::ReturnControl,
        ))
        .build()
        .unwrap();
    let kb = t::KnowledgeBase::builder()
        .knowledge_base_id("KBEVERY001")
        .description("kb-every")
        .build()
        .unwrap();
    let collaborator_config = t::CollaboratorConfiguration::builder()
        .collaborator_name("collab-every")
        .collaborator_instruction("help")
        .build()
        .unwrap();
    let collaborator = t::Collaborator::builder()
        .foundation_model("amazon.nova-micro-v1:0")
        .instruction("collaborate")
        .agent_name("collab-every")
        .build()
        .unwrap();
    let prompt_override = t::PromptOverrideConfiguration::builder()
        .set_prompt_configurations(Some(Vec::new()))
        .override_lambda(LAMBDA)
        .build()
        .unwrap();
    b.customer_encryption_key_arn(KMS)
        .foundation_model("amazon.nova-lite-v1:0") // replaced by the plan's
        .instruction("instruction-every")
        .idle_session_ttl_in_seconds(601)
        .action_groups(action_group)
        .knowledge_bases(kb)
        .guardrail_configuration(guardrail_with_arn())
        .prompt_override_configuration(prompt_override)
        .agent_collaboration(t::AgentCollaboration::Supervisor)
        .collaborator_configurations(collaborator_config)
        .agent_name("agent-every")
        .session_id("session-every")
        .end_session(true)
        .enable_trace(true)
        .input_text("input-every")
        .streaming_configurations(
            t::StreamingConfigurations::builder()
                .stream_final_response(true)
                .apply_guardrail_interval(77)
                .build(),
        )
        .prompt_creation_configurations(
            t::PromptCreationConfigurations::builder()
                .previous_conversation_turns_to_include(3)
                .build(),
        )
        .inline_session_state(
            t::InlineSessionState::builder()
                .session_attributes("k", "inline-every")
                .build(),
        )
        .collaborators(collaborator)
        .bedrock_model_configurations(t::InlineBedrockModelConfigurations::builder().build()) // replaced
        .orchestration_type(t::OrchestrationType::CustomOrchestration)
        .custom_orchestration(
            t::CustomOrchestration::builder()
                .executor(t::OrchestrationExecutor::Lambda(LAMBDA.to_owned()))
                .build(),
        )
}

#[tokio::test]
async fn inline_agent_every_input_field_reaches_the_wire() {
    let (_, r, b) = sent(|client| {
        client
            .inline_agent(NovaPro)
            .optimized()
            .instruction("replaced by the closure")
            .map_input(inline_agent_input)
    })
    .await;
    let checks = [
        ("customer_encryption_key_arn", b["customerEncryptionKeyArn"] == KMS),
        ("foundation_model", b["foundationModel"] == PROFILE),
        ("instruction", b["instruction"] == "instruction-every"),
        ("idle_session_ttl_in_seconds", b["idleSessionTTLInSeconds"] == 601),
        ("action_groups", b["actionGroups"][0]["actionGroupName"] == "ag-every"),
        (
            "knowledge_bases",
            b["knowledgeBases"][0]["knowledgeBaseId"] == "KBEVERY001",
        ),
        (
            "guardrail_configuration",
            b["guardrailConfiguration"] == json!({"guardrailIdentifier": "gr-every", "guardrailVersion": "7"}),
        ),
        (
            "prompt_override_configuration",
            b["promptOverrideConfiguration"]["overrideLambda"] == LAMBDA,
        ),
        ("agent_collaboration", b["agentCollaboration"] == "SUPERVISOR"),
        (
            "collaborator_configurations",
            b["collaboratorConfigurations"][0]["collaboratorName"] == "collab-every",
        ),
        ("agent_name", b["agentName"] == "agent-every"),
        ("session_id", r.path == "/agents/session-every"),
        ("end_session", b["endSession"] == true),
        ("enable_trace", b["enableTrace"] == true),
        ("input_text", b["inputText"] == "input-every"),
        (
            "streaming_configurations",
            b["streamingConfigurations"] == json!({"streamFinalResponse": true, "applyGuardrailInterval": 77}),
        ),
        (
            "prompt_creation_configurations",
            b["promptCreationConfigurations"]["previousConversationTurnsToInclude"] == 3,
        ),
        (
            "inline_session_state",
            b["inlineSessionState"]["sessionAttributes"]["k"] == "inline-every",
        ),
        ("collaborators", b["collaborators"][0]["agentName"] == "collab-every"),
        (
            "bedrock_model_configurations",
            b["bedrockModelConfigurations"] == json!({"performanceConfig": {"latency": "optimized"}}),
        ),
        ("orchestration_type", b["orchestrationType"] == "CUSTOM_ORCHESTRATION"),
        (
            "custom_orchestration",
            b["customOrchestration"]["executor"]["lambda"] == LAMBDA,
        ),
    ];
    let debug = format!("{:#?}", InvokeInlineAgentInputBuilder::default());
    assert_every_field("InvokeInlineAgent", debug, &checks);
}

/// A whole knowledge-base configuration: retrieval, generation and
/// orchestration settings (the model and latency are the crate's).
fn rag_configuration() -> t::RetrieveAndGenerateConfiguration {
    let template = || {
        t::PromptTemplate::builder()
            .text_prompt_template("$search_results$ every")
            .build()
    };
    let inference = || {
        t::InferenceConfig::builder()
            .text_inference_config(t::TextInferenceConfig::builder().max_tokens(321).build())
            .build()
    };
    let generation = t::GenerationConfiguration::builder()
        .prompt_template(template())
        .guardrail_configuration(
            t::GuardrailConfiguration::builder()
                .guardrail_id("gr-every")
                .guardrail_version("7")
                .build()
                .unwrap(),
        )
        .inference_config(inference())
        .additional_model_request_fields("top_k", aws_smithy_types::Document::from(5u64))
        .build();
    let orchestration = t::OrchestrationConfiguration::builder()
        .prompt_template(template())
        .inference_config(inference())
        .query_transformation_configuration(
            t::QueryTransformationConfiguration::builder()
                .r#type(t::QueryTransformationType::QueryDecomposition)
                .build()
                .unwrap(),
        )
        .build();
    let kb = t::KnowledgeBaseRetrieveAndGenerateConfiguration::builder()
        .knowledge_base_id("KBEVERY001")
        .model_arn("amazon.nova-lite-v1:0") // replaced by the plan's
        .retrieval_configuration(
            t::KnowledgeBaseRetrievalConfiguration::builder()
                .vector_search_configuration(
                    t::KnowledgeBaseVectorSearchConfiguration::builder()
                        .number_of_results(9)
                        .build(),
                )
                .build(),
        )
        .generation_configuration(generation)
        .orchestration_configuration(orchestration)
        .build()
        .unwrap();
    t::RetrieveAndGenerateConfiguration::builder()
        .r#type(t::RetrieveAndGenerateType::KnowledgeBase)
        .knowledge_base_configuration(kb)
        .build()
        .unwrap()
}

/// The RetrieveAndGenerate(Stream) checks, on the recorded request.
fn rag_checks(r: &RecordedRequest) -> Vec<(&'static str, bool)> {
    let b = r.body.clone().unwrap();
    let kb = &b["retrieveAndGenerateConfiguration"]["knowledgeBaseConfiguration"];
    let optimized = json!({"latency": "optimized"});
    vec![
        ("session_id", b["sessionId"] == "session-every"),
        ("input", b["input"] == json!({"text": "input-every"})),
        (
            "retrieve_and_generate_configuration",
            b["retrieveAndGenerateConfiguration"]["type"] == "KNOWLEDGE_BASE"
                && kb["knowledgeBaseId"] == "KBEVERY001"
                && kb["modelArn"] == PROFILE
                && kb["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"] == 9
                && kb["generationConfiguration"]["promptTemplate"]["textPromptTemplate"] == "$search_results$ every"
                && kb["generationConfiguration"]["guardrailConfiguration"]["guardrailId"] == "gr-every"
                && kb["generationConfiguration"]["inferenceConfig"]["textInferenceConfig"]["maxTokens"] == 321
                && kb["generationConfiguration"]["additionalModelRequestFields"]["top_k"] == 5
                && kb["generationConfiguration"]["performanceConfig"] == optimized
                && kb["orchestrationConfiguration"]["queryTransformationConfiguration"]["type"]
                    == "QUERY_DECOMPOSITION"
                && kb["orchestrationConfiguration"]["performanceConfig"] == optimized,
        ),
        (
            "session_configuration",
            b["sessionConfiguration"] == json!({"kmsKeyArn": KMS}),
        ),
        ("user_context", b["userContext"] == json!({"userId": "user-every"})),
    ]
}

fn session_configuration() -> t::RetrieveAndGenerateSessionConfiguration {
    t::RetrieveAndGenerateSessionConfiguration::builder()
        .kms_key_arn(KMS)
        .build()
        .unwrap()
}

fn user_context() -> t::UserContext {
    t::UserContext::builder().user_id("user-every").build().unwrap()
}

fn rag_input() -> t::RetrieveAndGenerateInput {
    t::RetrieveAndGenerateInput::builder()
        .text("input-every")
        .build()
        .unwrap()
}

/// RetrieveAndGenerate and its stream take the same input over two SDK
/// builder types: one test body, one test per operation.
macro_rules! rag_every_field_tests {
    ($($test:ident: $operation:ident, $builder:ty, $name:literal;)+) => {$(
        #[tokio::test]
        async fn $test() {
            let (_, r, _) = sent(|client| {
                client
                    .$operation("KBOTHER001", NovaPro)
                    .optimized()
                    .query("replaced by the closure")
                    .map_input(|b| {
                        b.session_id("session-every")
                            .input(rag_input())
                            .retrieve_and_generate_configuration(rag_configuration())
                            .session_configuration(session_configuration())
                            .user_context(user_context())
                    })
            })
            .await;
            let checks = rag_checks(&r);
            let debug = format!("{:#?}", <$builder>::default());
            assert_every_field($name, debug, &checks);
        }
    )+};
}

rag_every_field_tests! {
    retrieve_and_generate_every_input_field_reaches_the_wire:
        retrieve_and_generate, RetrieveAndGenerateInputBuilder, "RetrieveAndGenerate";
    retrieve_and_generate_stream_every_input_field_reaches_the_wire:
        retrieve_and_generate_stream, RetrieveAndGenerateStreamInputBuilder, "RetrieveAndGenerateStream";
}

#[tokio::test]
async fn invoke_agent_every_input_field_reaches_the_wire_but_the_latency_setting() {
    let (answer, r, b) = sent(|client| {
        client
            .invoke_agent("AGENTOTHER", "ALIASOTHER")
            .input_text("replaced by the closure")
            .map_input(|b| {
                b.session_state(
                    t::SessionState::builder()
                        .session_attributes("k", "state-every")
                        .invocation_id("inv-every")
                        .build(),
                )
                .agent_id("AGENTEVERY")
                .agent_alias_id("ALIASEVERY")
                .session_id("session-every")
                .end_session(true)
                .enable_trace(true)
                .input_text("input-every")
                .memory_id("memory-every")
                .bedrock_model_configurations(agent_optimized())
                .streaming_configurations(
                    t::StreamingConfigurations::builder()
                        .stream_final_response(true)
                        .build(),
                )
                .prompt_creation_configurations(
                    t::PromptCreationConfigurations::builder()
                        .exclude_previous_thinking_steps(true)
                        .build(),
                )
                .source_arn("arn:aws:bedrock:us-east-1:123456789012:agent/every")
            })
    })
    .await;
    let path = "/agents/AGENTEVERY/agentAliases/ALIASEVERY/sessions/session-every/text";
    let checks = [
        (
            "session_state",
            b["sessionState"]["sessionAttributes"]["k"] == "state-every",
        ),
        ("agent_id", r.path == path),
        ("agent_alias_id", r.path == path),
        ("session_id", r.path == path),
        ("end_session", b["endSession"] == true),
        ("enable_trace", b["enableTrace"] == true),
        ("input_text", b["inputText"] == "input-every"),
        ("memory_id", b["memoryId"] == "memory-every"),
        // The one field never sent: InvokeAgent accepts it and serves standard.
        (
            "bedrock_model_configurations",
            b.get("bedrockModelConfigurations").is_none(),
        ),
        (
            "streaming_configurations",
            b["streamingConfigurations"]["streamFinalResponse"] == true,
        ),
        (
            "prompt_creation_configurations",
            b["promptCreationConfigurations"]["excludePreviousThinkingSteps"] == true,
        ),
        (
            "source_arn",
            header(&r, "x-amz-source-arn") == Some("arn:aws:bedrock:us-east-1:123456789012:agent/every"),
        ),
    ];
    let debug = format!("{:#?}", InvokeAgentInputBuilder::default());
    assert_every_field("InvokeAgent", debug, &checks);
    // The report names the agent the request went to.
    assert_eq!(
        answer.report.target,
        Some(Target::Agent {
            agent_id: "AGENTEVERY".into(),
            alias_id: "ALIASEVERY".into()
        })
    );
}

fn flow_input() -> t::FlowInput {
    t::FlowInput::builder()
        .node_name("FlowInputNode")
        .node_output_name("document")
        .content(t::FlowInputContent::Document(aws_smithy_types::Document::from(
            "input-every",
        )))
        .build()
        .unwrap()
}

fn standard_model_performance() -> t::ModelPerformanceConfiguration {
    t::ModelPerformanceConfiguration::builder()
        .performance_config(
            t::PerformanceConfiguration::builder()
                .latency(t::PerformanceConfigLatency::Standard)
                .build(),
        )
        .build()
}

/// A flow request carries both of its ids in the path.
fn flow_path_checks(r: &RecordedRequest, path: &str) -> Vec<(&'static str, bool)> {
    let sent = r.path == path;
    vec![("flow_identifier", sent), ("flow_alias_identifier", sent)]
}

fn flow_target() -> Option<Target> {
    Some(Target::Flow {
        flow_id: "FLOWEVERY1".into(),
        alias_id: "ALIASEVERY".into(),
    })
}

#[tokio::test]
async fn invoke_flow_every_input_field_reaches_the_wire() {
    let (answer, r, b) = sent(|client| {
        client
            .invoke_flow("FLOWOTHER1", "ALIASOTHER")
            .text_input("replaced by the closure")
            .unverified_optimized_latency()
            .map_input(|b| {
                b.flow_identifier("FLOWEVERY1")
                    .flow_alias_identifier("ALIASEVERY")
                    .set_inputs(Some(vec![flow_input()]))
                    .enable_trace(true)
                    .model_performance_configuration(standard_model_performance()) // replaced by the plan's
                    .execution_id("exec-every")
            })
    })
    .await;
    let mut checks = flow_path_checks(&r, "/flows/FLOWEVERY1/aliases/ALIASEVERY");
    checks.extend([
        ("inputs", b["inputs"][0]["content"]["document"] == "input-every"),
        ("enable_trace", b["enableTrace"] == true),
        (
            "model_performance_configuration",
            b["modelPerformanceConfiguration"] == json!({"performanceConfig": {"latency": "optimized"}}),
        ),
        ("execution_id", b["executionId"] == "exec-every"),
    ]);
    let debug = format!("{:#?}", InvokeFlowInputBuilder::default());
    assert_every_field("InvokeFlow", debug, &checks);
    assert_eq!(answer.report.target, flow_target());
}

#[tokio::test]
async fn start_flow_execution_every_input_field_reaches_the_wire() {
    let (started, r, b) = sent(|client| {
        client
            .start_flow_execution("FLOWOTHER1", "ALIASOTHER")
            .text_input("replaced by the closure")
            .map_input(|b| {
                b.flow_identifier("FLOWEVERY1")
                    .flow_alias_identifier("ALIASEVERY")
                    .flow_execution_name("name-every")
                    .set_inputs(Some(vec![flow_input()]))
                    .model_performance_configuration(standard_model_performance()) // cleared: standard
            })
    })
    .await;
    let mut checks = flow_path_checks(&r, "/flows/FLOWEVERY1/aliases/ALIASEVERY/executions");
    checks.extend([
        ("flow_execution_name", b["flowExecutionName"] == "name-every"),
        ("inputs", b["inputs"][0]["content"]["document"] == "input-every"),
        // Standard requests carry no latency setting at all.
        (
            "model_performance_configuration",
            b.get("modelPerformanceConfiguration").is_none(),
        ),
    ]);
    let debug = format!("{:#?}", StartFlowExecutionInputBuilder::default());
    assert_every_field("StartFlowExecution", debug, &checks);
    assert_eq!(started.report.target, flow_target());
}

#[test]
fn the_field_list_reader_reads_what_the_sdk_prints() {
    let fields = sdk_fields(&format!("{:#?}", StartFlowExecutionInputBuilder::default()));
    assert!(
        fields.contains("flow_identifier") && fields.contains("inputs"),
        "{fields:?}"
    );
    assert!(!fields.iter().any(|f| f.contains(' ')), "{fields:?}");
}
