//! Tracing tests, in their own binary: tracing's callsite interest cache is
//! process-wide, so span assertions made while other tests of the same
//! process run (and register callsites) can flake.

mod support;
// The request-sending and stream-collecting helpers of the `it` binary.
#[path = "../it/support.rs"]
mod collect;

mod agent_tracing;
#[cfg(feature = "otel")]
mod otel_conventions;
#[cfg(feature = "otel")]
mod otel_support;
mod runtime_tracing;
mod tracing_otel;
