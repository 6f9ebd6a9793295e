//! Reading the crate's streams to their end (shared with the tracing
//! binary, which includes this file).

use std::future::Future;

use bedrock_latency::Result;
use bedrock_latency::agent::{AgentResponse, AgentStream, AgentStreamEvent, StartFlowExecutionResponse};
use bedrock_latency::runtime::{ConverseResponse, ConverseStream, InvokeModelResponse, InvokeModelStream};

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

already_collected!(AgentResponse, StartFlowExecutionResponse);

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
