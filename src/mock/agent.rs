//! Canned bedrock-agent-runtime answers: inline agents, InvokeAgent,
//! RetrieveAndGenerate and its stream, flows.

use agent_sdk::operation::retrieve_and_generate::RetrieveAndGenerateOutput;
use agent_sdk::operation::start_flow_execution::StartFlowExecutionOutput;
use agent_sdk::primitives::Blob;
use agent_sdk::types::{
    Attribution, Citation, CitationEvent, FlowCompletionEvent, FlowCompletionReason, FlowOutputContent,
    FlowOutputEvent, FlowResponseStream, GeneratedResponsePart, InlineAgentPayloadPart, InlineAgentResponseStream,
    NodeType, PayloadPart, ResponseStream, RetrievalResultContent, RetrievalResultLocation,
    RetrievalResultLocationType, RetrievalResultS3Location, RetrieveAndGenerateOutputEvent,
    RetrieveAndGenerateStreamResponseOutput, RetrievedReference, TextResponsePart,
};
use aws_sdk_bedrockagentruntime as agent_sdk;
use aws_smithy_types::Document;

use super::{Answer, Cited, built};
use crate::Result;
use crate::agent::{
    RawAgentStream, RawFlowStream, RawInlineAgentStream, RawInvokeAgentStream, RawRetrieveAndGenerateStream,
};
use crate::call::WithRequestId;
use crate::vocab::Operation;

/// A StartFlowExecution answer (`expect_start_flow_execution`): the
/// execution's ARN.
pub fn start_flow_execution(execution_arn: impl Into<String>) -> Result<WithRequestId<StartFlowExecutionOutput>> {
    let out = StartFlowExecutionOutput::builder().execution_arn(execution_arn).build();
    Ok(WithRequestId::new(out, None))
}

impl Answer {
    /// The events of an InvokeInlineAgent answer: one completion chunk per
    /// text chunk, the citations on the last one.
    pub fn inline_agent_events(&self) -> Result<Vec<InlineAgentResponseStream>> {
        self.completion_chunks(|bytes, attribution| {
            InlineAgentResponseStream::Chunk(
                InlineAgentPayloadPart::builder()
                    .bytes(bytes)
                    .set_attribution(attribution)
                    .build(),
            )
        })
    }

    /// An InvokeInlineAgent answer (`expect_invoke_inline_agent`): the
    /// events of [`inline_agent_events`](Self::inline_agent_events), and the
    /// session id as the response header.
    pub fn inline_agent(&self) -> Result<RawInlineAgentStream> {
        Ok(self.agent_stream(Operation::InlineAgent, self.inline_agent_events()?))
    }

    /// The events of an InvokeAgent answer, as
    /// [`inline_agent_events`](Self::inline_agent_events) in InvokeAgent's
    /// event type.
    pub fn invoke_agent_events(&self) -> Result<Vec<ResponseStream>> {
        self.completion_chunks(|bytes, attribution| {
            ResponseStream::Chunk(PayloadPart::builder().bytes(bytes).set_attribution(attribution).build())
        })
    }

    /// An InvokeAgent answer (`expect_invoke_agent`).
    pub fn invoke_agent(&self) -> Result<RawInvokeAgentStream> {
        Ok(self.agent_stream(Operation::InvokeAgent, self.invoke_agent_events()?))
    }

    /// One completion chunk per text chunk, made by `chunk` from the bytes
    /// and the attribution (the citations, on the last chunk only).
    fn completion_chunks<T>(&self, chunk: impl Fn(Blob, Option<Attribution>) -> T) -> Result<Vec<T>> {
        let attribution = self.attribution()?;
        let last = self.chunks.len().saturating_sub(1);
        Ok(self
            .chunks
            .iter()
            .enumerate()
            .map(|(i, c)| chunk(Blob::new(c.as_bytes()), attribution.clone().filter(|_| i == last)))
            .collect())
    }

    /// A RetrieveAndGenerate answer (`expect_retrieve_and_generate`): the
    /// text, the citations and the session id.
    pub fn retrieve_and_generate(&self) -> Result<WithRequestId<RetrieveAndGenerateOutput>> {
        let output = built(
            agent_sdk::types::RetrieveAndGenerateOutput::builder()
                .text(self.full_text())
                .build(),
        )?;
        let out = RetrieveAndGenerateOutput::builder()
            .session_id(self.session_id.clone().unwrap_or_default())
            .output(output)
            .set_citations(Some(self.sdk_citations()?))
            .build();
        Ok(WithRequestId::new(built(out)?, self.request_id.clone()))
    }

    /// The events of a RetrieveAndGenerateStream answer: one output event
    /// per text chunk, then one citation event per citation.
    pub fn retrieve_and_generate_stream_events(&self) -> Result<Vec<RetrieveAndGenerateStreamResponseOutput>> {
        let mut events = Vec::with_capacity(self.chunks.len() + self.citations.len());
        for c in &self.chunks {
            let ev = built(RetrieveAndGenerateOutputEvent::builder().text(c.clone()).build())?;
            events.push(RetrieveAndGenerateStreamResponseOutput::Output(ev));
        }
        for c in self.sdk_citations()? {
            let ev = CitationEvent::builder()
                .set_generated_response_part(c.generated_response_part)
                .set_retrieved_references(c.retrieved_references)
                .build();
            events.push(RetrieveAndGenerateStreamResponseOutput::Citation(ev));
        }
        Ok(events)
    }

    /// A RetrieveAndGenerateStream answer (`expect_retrieve_and_generate_stream`).
    pub fn retrieve_and_generate_stream(&self) -> Result<RawRetrieveAndGenerateStream> {
        let events = self.retrieve_and_generate_stream_events()?;
        Ok(self.agent_stream(Operation::RetrieveAndGenerateStream, events))
    }

    /// The events of an InvokeFlow answer: one output event of the flow's
    /// output node per text chunk, then the completion (`SUCCESS`).
    pub fn invoke_flow_events(&self) -> Result<Vec<FlowResponseStream>> {
        let mut events = Vec::with_capacity(self.chunks.len() + 1);
        for c in &self.chunks {
            let ev = FlowOutputEvent::builder()
                .node_name("FlowOutputNode")
                .node_type(NodeType::FlowOutputNode)
                .content(FlowOutputContent::Document(Document::String(c.clone())))
                .build();
            events.push(FlowResponseStream::FlowOutputEvent(built(ev)?));
        }
        let done = FlowCompletionEvent::builder()
            .completion_reason(FlowCompletionReason::Success)
            .build();
        events.push(FlowResponseStream::FlowCompletionEvent(built(done)?));
        Ok(events)
    }

    /// An InvokeFlow answer (`expect_invoke_flow`); the session id is the
    /// execution id.
    pub fn invoke_flow(&self) -> Result<RawFlowStream> {
        Ok(self.agent_stream(Operation::InvokeFlow, self.invoke_flow_events()?))
    }

    fn agent_stream<T: Send + 'static>(&self, operation: Operation, events: Vec<T>) -> RawAgentStream<T> {
        RawAgentStream::new(
            self.stream_of(operation, events),
            self.session_id.clone(),
            self.request_id.clone(),
        )
    }

    fn attribution(&self) -> Result<Option<Attribution>> {
        if self.citations.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            Attribution::builder()
                .set_citations(Some(self.sdk_citations()?))
                .build(),
        ))
    }

    fn sdk_citations(&self) -> Result<Vec<Citation>> {
        self.citations.iter().map(sdk_citation).collect()
    }
}

/// A citation as the SDK gives it: the cited text, and one S3 reference
/// whose retrieved content is that text.
fn sdk_citation(c: &Cited) -> Result<Citation> {
    let part = GeneratedResponsePart::builder()
        .text_response_part(TextResponsePart::builder().text(c.text.clone()).build())
        .build();
    let location = RetrievalResultLocation::builder()
        .r#type(RetrievalResultLocationType::S3)
        .s3_location(RetrievalResultS3Location::builder().uri(c.uri.clone()).build())
        .build();
    let reference = RetrievedReference::builder()
        .content(RetrievalResultContent::builder().text(c.text.clone()).build())
        .location(built(location)?)
        .build();
    Ok(Citation::builder()
        .generated_response_part(part)
        .retrieved_references(reference)
        .build())
}
