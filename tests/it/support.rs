//! Sending the crate's requests and reading their streams to the end
//! (shared with the tracing binary, which includes this file).

use std::future::Future;

use bedrock_latency::agent::{
    AgentResponse, AgentStream, AgentStreamEvent, BedrockAgentRuntimeApi, InlineAgentRequest, InlineAgentStream,
    InvokeAgentRequest, InvokeAgentStream, InvokeFlowRequest, InvokeFlowStream, RetrieveAndGenerateRequest,
    RetrieveAndGenerateStream, RetrieveAndGenerateStreamRequest, StartFlowExecutionRequest, StartFlowExecutionResponse,
};
use bedrock_latency::runtime::{
    BedrockRuntimeApi, ConverseRequest, ConverseResponse, ConverseStream, ConverseStreamRequest, InvokeModelRequest,
    InvokeModelResponse, InvokeModelStream, InvokeModelStreamRequest,
};
use bedrock_latency::{Error, Refusal, Result};

/// One of the crate's streams, read to its end by its `collect_response`.
pub(crate) trait Collect {
    type Response;
    fn collect(self) -> impl Future<Output = Result<Self::Response>>;
}

impl Collect for ConverseStream {
    type Response = ConverseResponse;
    fn collect(self) -> impl Future<Output = Result<ConverseResponse>> {
        self.collect_response()
    }
}

impl Collect for InvokeModelStream {
    type Response = InvokeModelResponse;
    fn collect(self) -> impl Future<Output = Result<InvokeModelResponse>> {
        self.collect_response()
    }
}

/// An answer that is not a stream is already collected (so one test body
/// can serve an operation and its stream).
macro_rules! already_collected {
    ($($answer:ty),+) => {$(
        impl Collect for $answer {
            type Response = $answer;
            async fn collect(self) -> Result<$answer> {
                Ok(self)
            }
        }
    )+};
}

already_collected!(
    AgentResponse,
    StartFlowExecutionResponse,
    ConverseResponse,
    InvokeModelResponse
);

impl<E: AgentStreamEvent> Collect for AgentStream<E> {
    type Response = AgentResponse;
    fn collect(self) -> impl Future<Output = Result<AgentResponse>> {
        self.collect_response()
    }
}

/// `request.send().collected().await`: the stream, which must start (the
/// test panics when `send` fails), read to its end.
pub(crate) trait Collected<S: Collect>: Future<Output = Result<S>> + Sized {
    async fn collected(self) -> Result<S::Response> {
        self.await.expect("the stream starts").collect().await
    }
}

impl<S: Collect, F: Future<Output = Result<S>>> Collected<S> for F {}

/// One of the crate's request builders: `request.answer().await` sends it,
/// which must succeed, and reads the answer to its end.
pub(crate) trait Request: Sized {
    /// What the builder's `send` gives.
    type Sent: Collect;
    /// The builder's own `send`.
    fn send_request(self) -> impl Future<Output = Result<Self::Sent>>;
    /// Sent, served (the test panics otherwise) and read to its end.
    async fn answer(self) -> <Self::Sent as Collect>::Response {
        self.send_request()
            .collected()
            .await
            .expect("the answer reads to its end")
    }
    /// Sent, which must fail: the error.
    async fn error(self) -> Error {
        match self.send_request().await {
            Ok(_) => panic!("the call was expected to fail"),
            Err(e) => e,
        }
    }
    /// Sent, which must be refused before anything goes out: the refusal.
    async fn refusal(self) -> Refusal {
        self.error().await.refusal().cloned().expect("refused before sending")
    }
}

/// Each builder's `send`.
macro_rules! requests {
    ($([$($generics:tt)*] $request:ty => $sent:ty),+ $(,)?) => {$(
        impl<$($generics)*> Request for $request {
            type Sent = $sent;
            fn send_request(self) -> impl Future<Output = Result<$sent>> {
                self.send()
            }
        }
    )+};
}

requests!(
    [R: BedrockRuntimeApi, M] ConverseRequest<R, M> => ConverseResponse,
    [R: BedrockRuntimeApi, M] ConverseStreamRequest<R, M> => ConverseStream,
    [R: BedrockRuntimeApi, M] InvokeModelRequest<R, M> => InvokeModelResponse,
    [R: BedrockRuntimeApi, M] InvokeModelStreamRequest<R, M> => InvokeModelStream,
    [A: BedrockAgentRuntimeApi, M, S] RetrieveAndGenerateRequest<A, M, S> => AgentResponse,
    [A: BedrockAgentRuntimeApi, M, S] RetrieveAndGenerateStreamRequest<A, M, S> => RetrieveAndGenerateStream,
    [A: BedrockAgentRuntimeApi, M] InlineAgentRequest<A, M> => InlineAgentStream,
    [A: BedrockAgentRuntimeApi] InvokeAgentRequest<A> => InvokeAgentStream,
    [A: BedrockAgentRuntimeApi] InvokeFlowRequest<A> => InvokeFlowStream,
    [A: BedrockAgentRuntimeApi] StartFlowExecutionRequest<A> => StartFlowExecutionResponse,
);
