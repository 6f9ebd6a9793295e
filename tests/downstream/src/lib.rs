//! bedrock-latency as a downstream crate uses it: by path, features
//! `testkit` and `mock`, and no AWS SDK service crate of its own.
//!
//! - [`service`]: a small service of the kind users write, generic over
//!   both halves of the client, and one that holds a [`DynClient`]
//!   (a real or a mock client in one field).
//! - [`patterns`]: the README's and the examples' code, as functions over
//!   an SDK configuration, so the tests run them against the local endpoint.
//! - The tests (`src/tests.rs`): the service unit-tested with both mocks
//!   and the crate's canned answers; the patterns against the local
//!   endpoint; and the compile-fail suite (`ui/`, trybuild), whose committed
//!   messages say what to do instead.
//!
//! [`DynClient`]: bedrock_latency::DynClient

#![forbid(unsafe_code)]

pub mod patterns;
pub mod service;

#[cfg(test)]
mod tests;
