//! Tracing tests, in their own binary: tracing's callsite interest cache is
//! process-wide, so span assertions made while other tests of the same
//! process run (and register callsites) can flake.

mod support;

mod agent_tracing;
mod runtime_tracing;
