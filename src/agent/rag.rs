//! `client.retrieve_and_generate(kb, model)` and its stream and
//! external-sources variants.

use std::marker::PhantomData;
use std::sync::Arc;

use agent_sdk::operation::retrieve_and_generate::builders::RetrieveAndGenerateInputBuilder;
use agent_sdk::operation::retrieve_and_generate_stream::builders::RetrieveAndGenerateStreamInputBuilder;
use agent_sdk::types::{
    ByteContentDoc, ExternalSource, ExternalSourceType, ExternalSourcesGenerationConfiguration,
    ExternalSourcesRetrieveAndGenerateConfiguration, GenerationConfiguration, GuardrailConfiguration, InferenceConfig,
    KnowledgeBaseRetrievalConfiguration, KnowledgeBaseRetrieveAndGenerateConfiguration,
    KnowledgeBaseVectorSearchConfiguration, OrchestrationConfiguration, PerformanceConfiguration, PromptTemplate,
    RetrieveAndGenerateConfiguration, RetrieveAndGenerateSessionConfiguration, RetrieveAndGenerateType, S3ObjectDoc,
    TextInferenceConfig,
};
use aws_sdk_bedrockagentruntime as agent_sdk;

use super::response::{AgentResponse, citations_of};
use super::send::{AgentInput, SdkConfigMap, send};
use super::stream::RetrieveAndGenerateStream;
use super::{AgentSide, BedrockAgentRuntimeApi, model_arn, performance_config};
use crate::call::{Call, Escape, Question, escape_hatch, invalid};
use crate::check::Plan;
use crate::model_id::ModelId;
use crate::models::{SupportsOptimized, op};
use crate::telemetry::{Input, RequestInfo};
use crate::vocab::{LatencyPolicy, Operation};
use crate::{Error, Result};

/// The answer to a [`RetrieveAndGenerateRequest`]: the same shape as a
/// collected agent stream.
pub type RetrieveAndGenerateResponse = AgentResponse;

/// Marks a RetrieveAndGenerate request over a knowledge base.
#[derive(Debug, Clone, Copy, Default)]
pub struct FromKnowledgeBase;

/// Marks a RetrieveAndGenerate request over documents given in the request
/// (`EXTERNAL_SOURCES`).
#[derive(Debug, Clone, Copy, Default)]
pub struct FromExternalSources;

/// What both RetrieveAndGenerate builders keep.
#[derive(Default)]
struct RagParts {
    query: Option<String>,
    session_id: Option<String>,
    kms_key_arn: Option<String>,
    knowledge_base_id: Option<String>,
    retrieval: Option<KnowledgeBaseRetrievalConfiguration>,
    orchestration: Option<OrchestrationConfiguration>,
    sources: Vec<ExternalSource>,
    prompt_template: Option<String>,
    guardrail: Option<GuardrailConfiguration>,
    inference: Option<TextInferenceConfig>,
    policy: LatencyPolicy,
    error: Option<Error>,
}

impl RagParts {
    fn fail(&mut self, e: impl std::fmt::Display) {
        self.error.get_or_insert(invalid(e));
    }

    /// The configuration to send, as the plan says.
    fn configuration(&mut self, plan: &Plan, region: &str) -> Result<RetrieveAndGenerateConfiguration> {
        let arn = model_arn(plan.model_id.as_deref().unwrap_or_default(), region);
        let inference = self
            .inference
            .take()
            .map(|t| InferenceConfig::builder().text_inference_config(t).build());
        let template = self
            .prompt_template
            .take()
            .map(|t| PromptTemplate::builder().text_prompt_template(t).build());
        let config = match self.knowledge_base_id.take() {
            Some(kb) => {
                let generation = GenerationConfiguration::builder()
                    .set_prompt_template(template)
                    .set_guardrail_configuration(self.guardrail.take())
                    .set_inference_config(inference)
                    .build();
                let kb = KnowledgeBaseRetrieveAndGenerateConfiguration::builder()
                    .knowledge_base_id(kb)
                    .model_arn(&arn)
                    .set_retrieval_configuration(self.retrieval.take())
                    .set_generation_configuration(
                        (generation != GenerationConfiguration::builder().build()).then_some(generation),
                    )
                    .set_orchestration_configuration(self.orchestration.take())
                    .build()
                    .map_err(invalid)?;
                RetrieveAndGenerateConfiguration::builder()
                    .r#type(RetrieveAndGenerateType::KnowledgeBase)
                    .knowledge_base_configuration(kb)
                    .build()
                    .map_err(invalid)?
            }
            None => {
                let generation = ExternalSourcesGenerationConfiguration::builder()
                    .set_prompt_template(template)
                    .set_guardrail_configuration(self.guardrail.take())
                    .set_inference_config(inference)
                    .build();
                let ext = ExternalSourcesRetrieveAndGenerateConfiguration::builder()
                    .model_arn(&arn)
                    .set_sources(Some(std::mem::take(&mut self.sources)))
                    .set_generation_configuration(
                        (generation != ExternalSourcesGenerationConfiguration::builder().build()).then_some(generation),
                    )
                    .build()
                    .map_err(invalid)?;
                RetrieveAndGenerateConfiguration::builder()
                    .r#type(RetrieveAndGenerateType::ExternalSources)
                    .external_sources_configuration(ext)
                    .build()
                    .map_err(invalid)?
            }
        };
        Ok(config)
    }

    fn input(&mut self) -> Result<agent_sdk::types::RetrieveAndGenerateInput> {
        agent_sdk::types::RetrieveAndGenerateInput::builder()
            .set_text(self.query.take())
            .build()
            .map_err(invalid)
    }

    fn session_configuration(&mut self) -> Result<Option<RetrieveAndGenerateSessionConfiguration>> {
        self.kms_key_arn
            .take()
            .map(|k| {
                RetrieveAndGenerateSessionConfiguration::builder()
                    .kms_key_arn(k)
                    .build()
            })
            .transpose()
            .map_err(invalid)
    }
}

/// Puts the plan's model and latency into a configuration, whatever a
/// `map_input` closure did to it: the generation configuration carries the
/// plan's `performanceConfig` (none for standard), and so does an
/// orchestration configuration when there is one.
fn enforce(
    config: Option<RetrieveAndGenerateConfiguration>,
    arn: &str,
    perf: Option<PerformanceConfiguration>,
) -> Option<RetrieveAndGenerateConfiguration> {
    let mut c = config?;
    if let Some(kb) = c.knowledge_base_configuration.as_mut() {
        kb.model_arn = arn.to_owned();
        match kb.generation_configuration.as_mut() {
            Some(g) => g.performance_config = perf.clone(),
            None if perf.is_some() => {
                kb.generation_configuration = Some(
                    GenerationConfiguration::builder()
                        .set_performance_config(perf.clone())
                        .build(),
                )
            }
            None => {}
        }
        if let Some(o) = kb.orchestration_configuration.as_mut() {
            o.performance_config = perf.clone();
        }
    }
    if let Some(ext) = c.external_sources_configuration.as_mut() {
        ext.model_arn = arn.to_owned();
        match ext.generation_configuration.as_mut() {
            Some(g) => g.performance_config = perf,
            None if perf.is_some() => {
                ext.generation_configuration = Some(
                    ExternalSourcesGenerationConfiguration::builder()
                        .set_performance_config(perf)
                        .build(),
                )
            }
            None => {}
        }
    }
    Some(c)
}

macro_rules! rag_common {
    ($builder:ident, $op:ty, $sdk_builder:ty) => {
        impl<A: BedrockAgentRuntimeApi, M> $builder<A, M, FromKnowledgeBase> {
            pub(crate) fn knowledge_base(client: Arc<AgentSide<A>>, kb: String, model: ModelId) -> Self {
                Self::with_parts(
                    client,
                    model,
                    RagParts {
                        knowledge_base_id: Some(kb),
                        ..RagParts::default()
                    },
                )
            }

            /// How many results to retrieve (vector search).
            pub fn number_of_results(mut self, n: u32) -> Self {
                let vector = KnowledgeBaseVectorSearchConfiguration::builder()
                    .number_of_results(i32::try_from(n).unwrap_or(i32::MAX))
                    .build();
                self.parts.retrieval = Some(
                    KnowledgeBaseRetrievalConfiguration::builder()
                        .vector_search_configuration(vector)
                        .build(),
                );
                self
            }

            /// Sets the whole retrieval configuration (filters, reranking,
            /// search type ...).
            pub fn retrieval_configuration(mut self, config: KnowledgeBaseRetrievalConfiguration) -> Self {
                self.parts.retrieval = Some(config);
                self
            }

            /// Sets the query orchestration configuration (query
            /// decomposition, its prompt and inference settings). When one is
            /// set, the plan's latency goes into
            /// `orchestrationConfiguration.performanceConfig` too.
            pub fn orchestration(mut self, config: OrchestrationConfiguration) -> Self {
                self.parts.orchestration = Some(config);
                self
            }

            /// Sets the prompt template of query orchestration.
            pub fn orchestration_prompt_template(mut self, template: impl Into<String>) -> Self {
                let mut o = self
                    .parts
                    .orchestration
                    .take()
                    .unwrap_or_else(|| OrchestrationConfiguration::builder().build());
                o.prompt_template = Some(PromptTemplate::builder().text_prompt_template(template).build());
                self.parts.orchestration = Some(o);
                self
            }
        }

        impl<A: BedrockAgentRuntimeApi, M> $builder<A, M, FromExternalSources> {
            pub(crate) fn external(client: Arc<AgentSide<A>>, model: ModelId) -> Self {
                Self::with_parts(client, model, RagParts::default())
            }

            /// Adds a document in S3 (`s3://bucket/key`).
            pub fn source_s3(mut self, uri: impl Into<String>) -> Self {
                match S3ObjectDoc::builder().uri(uri).build().and_then(|doc| {
                    ExternalSource::builder()
                        .source_type(ExternalSourceType::S3)
                        .s3_location(doc)
                        .build()
                }) {
                    Ok(s) => self.parts.sources.push(s),
                    Err(e) => self.parts.fail(e),
                }
                self
            }

            /// Adds a document given as bytes (`content_type` such as
            /// `text/plain` or `application/pdf`).
            pub fn source_bytes(
                mut self,
                identifier: impl Into<String>,
                content_type: impl Into<String>,
                data: impl Into<Vec<u8>>,
            ) -> Self {
                match ByteContentDoc::builder()
                    .identifier(identifier)
                    .content_type(content_type)
                    .data(aws_smithy_types::Blob::new(data.into()))
                    .build()
                    .and_then(|doc| {
                        ExternalSource::builder()
                            .source_type(ExternalSourceType::ByteContent)
                            .byte_content(doc)
                            .build()
                    }) {
                    Ok(s) => self.parts.sources.push(s),
                    Err(e) => self.parts.fail(e),
                }
                self
            }

            /// Adds any SDK external source.
            pub fn source(mut self, source: ExternalSource) -> Self {
                self.parts.sources.push(source);
                self
            }
        }

        escape_hatch!(
            [A: BedrockAgentRuntimeApi, M, S] $builder<A, M, S>,
            $sdk_builder,
            agent_sdk::config::Builder,
            "The model ARN and every `performanceConfig` are set after it, from the checked plan.",
            escape
        );

        impl<A: BedrockAgentRuntimeApi, M, S> $builder<A, M, S> {
            fn with_parts(client: Arc<AgentSide<A>>, model: ModelId, parts: RagParts) -> Self {
                Self {
                    client,
                    model,
                    parts,
                    escape: Escape::default(),
                    marker: PhantomData,
                }
            }

            /// The question.
            pub fn query(mut self, text: impl Into<String>) -> Self {
                self.parts.query = Some(text.into());
                self
            }

            /// Continues a session (the session id of an earlier answer).
            /// Without it, the service starts one.
            pub fn session_id(mut self, id: impl Into<String>) -> Self {
                self.parts.session_id = Some(id.into());
                self
            }

            /// Encrypts the session with this KMS key.
            pub fn session_kms_key(mut self, arn: impl Into<String>) -> Self {
                self.parts.kms_key_arn = Some(arn.into());
                self
            }

            /// The generation prompt template (`$search_results$` marks where
            /// the retrieved text goes).
            pub fn prompt_template(mut self, template: impl Into<String>) -> Self {
                self.parts.prompt_template = Some(template.into());
                self
            }

            /// Applies a guardrail to generation.
            pub fn guardrail(mut self, id: impl Into<String>, version: impl Into<String>) -> Self {
                match GuardrailConfiguration::builder()
                    .guardrail_id(id)
                    .guardrail_version(version)
                    .build()
                {
                    Ok(g) => self.parts.guardrail = Some(g),
                    Err(e) => self.parts.fail(e),
                }
                self
            }

            /// Sets the generation's inference settings.
            pub fn inference_config(mut self, config: TextInferenceConfig) -> Self {
                self.parts.inference = Some(config);
                self
            }

            /// Sets the maximum number of generated tokens.
            pub fn max_tokens(mut self, n: u32) -> Self {
                let mut c = self
                    .parts
                    .inference
                    .take()
                    .unwrap_or_else(|| TextInferenceConfig::builder().build());
                c.max_tokens = Some(i32::try_from(n).unwrap_or(i32::MAX));
                self.parts.inference = Some(c);
                self
            }

            /// Sets the sampling temperature.
            pub fn temperature(mut self, t: f32) -> Self {
                let mut c = self
                    .parts
                    .inference
                    .take()
                    .unwrap_or_else(|| TextInferenceConfig::builder().build());
                c.temperature = Some(t);
                self.parts.inference = Some(c);
                self
            }

            /// Sets the latency policy (checked against the catalog before
            /// sending). Typed models that honor it also have `.optimized()`.
            pub fn latency(mut self, policy: LatencyPolicy) -> Self {
                self.parts.policy = policy;
                self
            }

            /// Asks for latency-optimized inference. Compiles only for typed
            /// models that offer it on this operation; the client's region is
            /// still checked before sending.
            pub fn optimized(self) -> Self
            where
                M: SupportsOptimized<$op>,
            {
                self.latency(LatencyPolicy::Optimized)
            }

            /// The model ID as given.
            pub fn model_id(&self) -> &ModelId {
                &self.model
            }

            /// Checks, then fills the SDK input builder.
            fn prepare(mut self, operation: Operation) -> Result<Prepared<$sdk_builder, A>> {
                if let Some(e) = self.parts.error.take() {
                    return Err(e);
                }
                let (plan, _) = self
                    .client
                    .plan(Question::model(&self.model, operation, self.parts.policy))?;
                let region = self.client.region().to_owned();
                let p = &mut self.parts;
                let b = <$sdk_builder>::default()
                    .input(p.input()?)
                    .set_session_id(p.session_id.take())
                    .set_session_configuration(p.session_configuration()?)
                    .retrieve_and_generate_configuration(p.configuration(&plan, &region)?);
                let (b, sdk_config) = self.escape.apply(b);
                let config = enforce(
                    b.get_retrieve_and_generate_configuration().clone(),
                    &model_arn(plan.model_id.as_deref().unwrap_or_default(), &region),
                    performance_config(plan.latency),
                );
                let input = b.set_retrieve_and_generate_configuration(config);
                let mut call = Call::start(&plan, self.client.origin(), None);
                call.request(|| {
                    rag_info(
                        input.get_retrieve_and_generate_configuration().as_ref(),
                        input.get_session_id().as_deref(),
                    )
                });
                call.capture_input(|max| Input::text(input.get_input().as_ref().map(|i| i.text()), None, max));
                Ok(Prepared {
                    input,
                    config: sdk_config,
                    client: self.client,
                    call,
                })
            }
        }

        impl<A, M, S> std::fmt::Debug for $builder<A, M, S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.parts.debug(f.debug_struct(stringify!($builder)).field("model", &self.model))
            }
        }
    };
}

/// What the spans say of a RetrieveAndGenerate request: the knowledge base
/// and the session.
fn rag_info(config: Option<&RetrieveAndGenerateConfiguration>, session: Option<&str>) -> RequestInfo {
    RequestInfo {
        knowledge_base_id: config
            .and_then(|c| c.knowledge_base_configuration())
            .map(|k| k.knowledge_base_id().to_owned()),
        conversation_id: session.map(str::to_owned),
        ..RequestInfo::default()
    }
}

impl RagParts {
    /// Ends a request's `Debug` with what it asks (never the query text).
    fn debug(&self, d: &mut std::fmt::DebugStruct<'_, '_>) -> std::fmt::Result {
        d.field("knowledge_base_id", &self.knowledge_base_id)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A checked request, ready to send, its call started.
struct Prepared<B, A> {
    input: B,
    config: Option<SdkConfigMap>,
    client: Arc<AgentSide<A>>,
    call: Call,
}

impl<B: AgentInput<A>, A: BedrockAgentRuntimeApi> Prepared<B, A> {
    /// Sends the input inside the call's span.
    async fn send(self) -> Result<(B::Output, Call)> {
        let Self {
            input,
            config,
            client,
            mut call,
        } = self;
        let out = send(client.service()?, input, config, &call.span)
            .await
            .map_err(|e| call.failed(e))?;
        Ok((out, call))
    }
}

/// A `RetrieveAndGenerate` request:
/// `client.retrieve_and_generate(kb_id, model).query("...").send().await`.
///
/// Optimized latency goes in
/// `knowledgeBaseConfiguration.generationConfiguration.performanceConfig`
/// (and `orchestrationConfiguration.performanceConfig` when query
/// orchestration is configured), or in
/// `externalSourcesConfiguration.generationConfiguration.performanceConfig`
/// for the external-sources variant. The model is sent as `modelArn`: a
/// foundation-model ARN for standard requests, the inference profile ID for
/// optimized ones (see the crate's `agent` module docs).
///
/// The answer ([`RetrieveAndGenerateResponse`]) says `served: not
/// reported` in its report, since the service does not say (see
/// [`AgentResponse`]).
#[must_use = "a request does nothing until `.send().await`"]
pub struct RetrieveAndGenerateRequest<A, M, S = FromKnowledgeBase> {
    client: Arc<AgentSide<A>>,
    model: ModelId,
    parts: RagParts,
    escape: Escape<RetrieveAndGenerateInputBuilder, agent_sdk::config::Builder>,
    marker: PhantomData<fn() -> (M, S)>,
}

rag_common!(
    RetrieveAndGenerateRequest,
    op::RetrieveAndGenerateOp,
    RetrieveAndGenerateInputBuilder
);

impl<A: BedrockAgentRuntimeApi, M, S> RetrieveAndGenerateRequest<A, M, S> {
    /// Checks the request against the catalog, sends it, and returns the
    /// answer with its citations. A refused request sends nothing.
    pub async fn send(self) -> Result<RetrieveAndGenerateResponse> {
        let (out, mut call) = self.prepare(Operation::RetrieveAndGenerate)?.send().await?;
        let request_id = out.request_id.clone();
        let o = out.output;
        let text = o.output().map(|x| x.text().to_owned()).unwrap_or_default();
        call.capture_output(|| text.clone());
        let report = call.finish_with(|r| r.request_id = request_id);
        Ok(AgentResponse {
            text,
            citations: citations_of(o.citations()),
            session_id: (!o.session_id().is_empty()).then(|| o.session_id().to_owned()),
            memory_id: None,
            guardrail_action: o.guardrail_action().map(|g| g.as_str().to_owned()),
            completion_reason: None,
            report,
        })
    }
}

/// A `RetrieveAndGenerateStream` request:
/// `client.retrieve_and_generate_stream(kb_id, model).query("...").send().await`.
///
/// Same settings as [`RetrieveAndGenerateRequest`]; the answer is a stream
/// ([`RetrieveAndGenerateStream`]) with time to first token.
#[must_use = "a request does nothing until `.send().await`"]
pub struct RetrieveAndGenerateStreamRequest<A, M, S = FromKnowledgeBase> {
    client: Arc<AgentSide<A>>,
    model: ModelId,
    parts: RagParts,
    escape: Escape<RetrieveAndGenerateStreamInputBuilder, agent_sdk::config::Builder>,
    marker: PhantomData<fn() -> (M, S)>,
}

rag_common!(
    RetrieveAndGenerateStreamRequest,
    op::RetrieveAndGenerateStreamOp,
    RetrieveAndGenerateStreamInputBuilder
);

impl<A: BedrockAgentRuntimeApi, M, S> RetrieveAndGenerateStreamRequest<A, M, S> {
    /// Checks, sends, and returns the stream of events once the response
    /// headers arrive. A refused request sends nothing.
    pub async fn send(self) -> Result<RetrieveAndGenerateStream> {
        let p = self.prepare(Operation::RetrieveAndGenerateStream)?;
        let sent_session = p.input.get_session_id().clone();
        let (mut raw, call) = p.send().await?;
        if raw.session_id.is_none() {
            raw.session_id = sent_session;
        }
        Ok(RetrieveAndGenerateStream::new(raw, call))
    }
}
