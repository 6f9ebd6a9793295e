//! A local Bedrock-compatible endpoint for tests (feature `testkit`).
//!
//! [`LocalBedrock`] is an in-process HTTP/1.1 server on 127.0.0.1 that speaks
//! the wire format of Amazon Bedrock's `bedrock-runtime` (Converse,
//! ConverseStream, InvokeModel, InvokeModelWithResponseStream) and
//! `bedrock-agent-runtime` (InvokeInlineAgent, InvokeAgent,
//! RetrieveAndGenerate, RetrieveAndGenerateStream): the same paths (with
//! percent-encoded model IDs), JSON shapes, `x-amzn-RequestId`,
//! `x-amzn-ErrorType` + `{"message": ...}` errors and
//! `application/vnd.amazon.eventstream` streams. Point the real AWS SDK
//! clients at [`LocalBedrock::endpoint_url`].
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
//! - The served latency and service tier come back where Bedrock reports them:
//!   Converse body `performanceConfig`/`serviceTier`, the ConverseStream
//!   `metadata` event, the InvokeModel response headers. They are echoed only
//!   when the request set them (as the AWS captures show).
//! - A per-model optimized quota: once used up, optimized requests are served
//!   standard and say so. Llama 3.1 405B falls back to standard when estimated
//!   input tokens + requested max tokens (or the answer length) exceed 11,000.
//!   Token estimate: all request text, one token per 4 characters, rounded up.
//! - Answers are deterministic (same request, same text); InvokeModel answers
//!   in the family's native shape (Anthropic Messages, Nova `output.message`,
//!   Llama `generation`).
//! - Per-tier [`Timing`] (time to first token, per-token gap), reported as
//!   `metrics.latencyMs`.
//! - Injectable [`Fault`]s: throttling, 503, connection reset, stall, stream
//!   cut, malformed frame, model stream error.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bedrock_latency::testkit::{Fault, LocalBedrock};
//!
//! let server = LocalBedrock::builder().region("us-east-2").start().await?;
//! server.inject(Fault::Throttling); // the next request gets a 429
//! let url = server.endpoint_url(); // give it to the SDK's `endpoint_url`
//! # let _ = url;
//! // ... run the client ...
//! for request in server.requests() {
//!     println!("{:?} {:?} -> {:?}", request.operation, request.model_id, request.served_latency);
//! }
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod behaviour;
mod eventstream;
mod faults;
mod ops;
mod server;
mod types;

pub use faults::{Fault, FaultRule};
pub use server::{DEFAULT_RECORD_LIMIT, LocalBedrock, LocalBedrockBuilder};
pub use types::{RecordedRequest, StandardFallback, TierTiming, Timing};
