//! A local Bedrock-compatible endpoint for tests (feature `testkit`).
//!
//! The shortest path: start it, and build a client from the SDK
//! configuration it gives for a region (endpoint, static credentials and
//! that region; the endpoint reads the region from the request's signature,
//! as Bedrock does):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bedrock_latency::Client;
//! use bedrock_latency::models::NovaPro;
//! use bedrock_latency::testkit::LocalBedrock;
//!
//! let server = LocalBedrock::start().await?;
//! let client = Client::new(&server.sdk_config("us-east-2"));
//! let answer = client.converse(NovaPro).optimized().user("Hi").send().await?;
//! assert_eq!(server.requests().len(), 1);
//! # let _ = answer;
//! # Ok(()) }
//! ```
//!
//! [`LocalBedrock`] is an in-process HTTP server on 127.0.0.1 (HTTP/1.1 and
//! HTTP/2 with prior knowledge on the same port) that speaks
//! the wire format of Amazon Bedrock's `bedrock-runtime` (Converse,
//! ConverseStream, InvokeModel, InvokeModelWithResponseStream) and
//! `bedrock-agent-runtime` (InvokeInlineAgent, InvokeAgent,
//! RetrieveAndGenerate, RetrieveAndGenerateStream, InvokeFlow,
//! StartFlowExecution): the same paths (with
//! percent-encoded model IDs), JSON shapes, `x-amzn-RequestId`,
//! `x-amzn-ErrorType` + `{"message": ...}` errors and
//! `application/vnd.amazon.eventstream` streams. SDK clients of your own
//! take [`LocalBedrock::sdk_config`] too; clients in other languages take
//! [`LocalBedrock::endpoint_url`].
//!
//! It behaves like the service where latency-optimized inference is concerned:
//!
//! - The caller's region is read from the SigV4 credential scope of the
//!   `Authorization` header (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`),
//!   unless the builder overrides it.
//! - Asking for `optimized` (Converse `performanceConfig.latency`, the
//!   InvokeModel header `X-Amzn-Bedrock-PerformanceConfig-Latency`, inline agent
//!   `bedrockModelConfigurations.performanceConfig`, RetrieveAndGenerate
//!   `generationConfiguration`/`orchestrationConfiguration.performanceConfig`)
//!   for a model or region that does not serve it, or with a base model ID
//!   instead of the `us.` inference profile, gives HTTP 400 `ValidationException`
//!   `Latency performance configuration is not supported for <modelId> in <region>`.
//! - InvokeAgent ignores the setting: served standard, never reported.
//! - Service tiers from the catalog it serves: a tier the model does not
//!   offer from the caller's region (`default` is every model's) gives HTTP
//!   400 `ValidationException`; reserved without a reservation
//!   ([`LocalBedrockBuilder::reservation`]) gives "Reservation not found.",
//!   and once the reservation is used up reserved requests overflow to the
//!   default tier; a tier the catalog marks `ignored` is served default.
//! - The served latency and service tier come back where Bedrock reports them:
//!   Converse body `performanceConfig`/`serviceTier`, the ConverseStream
//!   `metadata` event, the InvokeModel response headers
//!   (`X-Amzn-Bedrock-PerformanceConfig-Latency`, `X-Amzn-Bedrock-Service-Tier`).
//!   They are echoed only when the request set them (as the AWS captures
//!   show), with what served it ([`RecordedRequest::served_tier`]).
//! - A per-model optimized quota: once used up, optimized requests are served
//!   standard and say so. Llama 3.1 405B falls back to standard when estimated
//!   input tokens + requested max tokens (or the answer length) exceed 11,000.
//!   Token estimate: all request text, one token per 4 characters, rounded up.
//! - Answers are deterministic (same request, same text); InvokeModel answers
//!   in the family's native shape (Anthropic Messages, Nova `output.message`,
//!   Llama `generation`).
//! - Per-tier [`TokenTiming`] (time to first token, per-token gap), reported as
//!   `metrics.latencyMs`.
//! - Injectable [`Fault`]s: throttling, 503, connection reset, stall, stream
//!   cut, malformed frame, model stream error.
//! - Tails, per region and tier, seeded: a time-to-first-token
//!   [`Distribution`] (log-normal, with a heavy tail as a mixture),
//!   [`ThrottleWindow`]s (429 for a period or for a fraction of requests),
//!   [`Outage`]s (503 or closed connections) and a connect delay (the first
//!   request of each new connection waits, as a handshake would);
//!   [`LocalBedrock::connection_stats`] counts connections, requests in
//!   flight, abandoned requests and stream tasks.
//! - RetrieveAndGenerate(Stream) answers carry citations with retrieved
//!   references, InvokeAgent answers `attribution.citations` and, with
//!   `enableTrace`, `trace` events; InvokeFlow streams a `flowOutputEvent` and
//!   a `flowCompletionEvent`, StartFlowExecution returns an `executionArn`.
//!   The flow's `modelPerformanceConfiguration` is recorded
//!   ([`RecordedRequest::requested_latency`]); the endpoint serves flows
//!   standard, since whether Bedrock honours the setting is unverified.
//! - Bounded under abuse: a body-size cap enforced while reading, a read
//!   timeout, a connection limit, idle connections closed, a byte budget for
//!   bodies being read and for the recorded requests (long bodies kept as a
//!   prefix and SHA-256), unknown paths answered without reading the body.
//! - A control surface for tests in other languages, on the same port under
//!   `/_bedrock_latency/` (recorded requests, reset, faults): see the README.
//! - The behaviour can be given as data ([`LocalBedrockConfig`], the file
//!   format of the standalone `bedrock-latency-local --config`).
//!
//! Faults, and what the endpoint saw:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bedrock_latency::testkit::{Fault, LocalBedrock};
//!
//! let server = LocalBedrock::builder().region("us-east-2").start().await?;
//! server.inject(Fault::Throttling); // the next request gets a 429
//! let conf = server.sdk_config("us-east-2"); // `Client::new(&conf)`
//! # let _ = conf;
//! // ... run the client ...
//! for request in server.requests() {
//!     println!("{:?} {:?} -> {:?}", request.operation, request.model_id, request.served_latency);
//! }
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

// Layout: `types`, `faults` and `config` are the public vocabulary; `wire`
// (routing, errors, frames), `parse` and `prepared` (the parsed request and
// its answer) sit below `runtime_ops` and `agent_ops`, to which `ops`
// dispatches; `state` holds what a request may change. From the top:
// `server` (the public handle) starts `transport` (connections), which hands
// each request to `handler`; `handler` and `control` (the
// `/_bedrock_latency/` paths) read bodies with `body` and answer with
// `response`, whose bodies hold an `activity` guard of their connection.
mod activity;
mod agent_ops;
mod behaviour;
mod body;
mod config;
mod control;
mod counters;
mod eventstream;
mod faults;
mod handler;
mod ops;
mod parse;
mod prepared;
mod response;
mod runtime_ops;
mod server;
mod state;
mod tail_state;
mod tails;
mod transport;
mod types;
mod wire;

#[doc(hidden)]
pub mod fuzz;

pub use config::{LimitsConfig, LocalBedrockConfig, TimingConfig, TimingMillis};
pub use counters::ConnectionStats;
pub use faults::{Fault, FaultRule};
pub use server::{DEFAULT_RECORD_BUDGET, DEFAULT_RECORD_LIMIT, LocalBedrock, LocalBedrockBuilder};
pub use tails::{Distribution, LatencyRule, MAX_SAMPLE, Outage, OutageKind, ThrottleWindow};
pub use types::{RecordedRequest, StandardFallback, TierTiming, TokenTiming};
