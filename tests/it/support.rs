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
    /// A failed `send` panics naming the test's line (not this helper's)
    /// and the error.
    #[track_caller]
    fn collected(self) -> impl Future<Output = Result<S::Response>> {
        let at = std::panic::Location::caller();
        async move {
            match self.await {
                Ok(sent) => sent.collect().await,
                Err(e) => panic!("{at}: the call was expected to be sent and served: {e}"),
            }
        }
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
    // The three below are plain functions marked `#[track_caller]` that
    // return the future, so that a failure names the test's line (an
    // `async fn` would name this file's), with the value that explains it.

    /// Sent, served (the test panics otherwise) and read to its end.
    #[track_caller]
    fn answer(self) -> impl Future<Output = <Self::Sent as Collect>::Response> {
        let at = std::panic::Location::caller();
        // `collected` is `#[track_caller]` too: it names the same line.
        let collected = self.send_request().collected();
        async move {
            collected
                .await
                .unwrap_or_else(|e| panic!("{at}: the answer was expected to read to its end: {e}"))
        }
    }
    /// Sent, which must fail: the error.
    #[track_caller]
    fn error(self) -> impl Future<Output = Error>
    where
        Self::Sent: std::fmt::Debug,
    {
        let at = std::panic::Location::caller();
        async move {
            match self.send_request().await {
                Ok(sent) => panic!("{at}: the call was expected to fail: {sent:?}"),
                Err(e) => e,
            }
        }
    }
    /// Sent, which must be refused before anything goes out: the refusal.
    #[track_caller]
    fn refusal(self) -> impl Future<Output = Refusal>
    where
        Self::Sent: std::fmt::Debug,
    {
        let at = std::panic::Location::caller();
        // `error` is `#[track_caller]` too: a call that was served names
        // the same line.
        let error = self.error();
        async move {
            let e = error.await;
            e.refusal()
                .cloned()
                .unwrap_or_else(|| panic!("{at}: not refused before sending: {e}"))
        }
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
