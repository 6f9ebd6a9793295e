//! The integration tests, in one binary: every test binary links both AWS
//! SDKs (about 45 MB each), so the suites are modules of this one.
//!
//! - `agent_*`: the bedrock-agent-runtime builders (HTTP replay, the local
//!   endpoint, mocks);
//! - `e2e_runtime`, `runtime_fixtures`: the bedrock-runtime builders against
//!   the local endpoint and real AWS captures;
//! - `testkit_*`: the local endpoint itself, through the real SDK clients;
//! - `logs_*`: the tools (the timing-sensitive `compare` tests are in `stress`);
//! - `tiers`, `probe`: service tiers and lifecycle through the client and the
//!   endpoint, and probing the catalog against the endpoint.
//!
//! Shared helpers: `sdk_clients` (SDK clients pointed at a `LocalBedrock`,
//! the SDK requests the tests send, a raw HTTP client), `replay` (the
//! crate's client over SDK clients with a replay connector, what was sent),
//! `support` (sending the crate's requests: `answer`, `error`, `refusal`;
//! reading streams to their end) and `shared_fixtures` (where the recorded
//! captures are).

mod replay;
mod sdk_clients;
#[path = "../shared_fixtures/mod.rs"]
mod shared_fixtures;
mod support;

mod agent_every_field;
mod agent_http;
mod agent_local;
mod agent_mock;
mod api_guarantees;
mod aws_captures;
mod client_construction;
mod e2e_runtime;
mod endpoint;
mod logs_analyzer;
mod logs_cost;
mod logs_streaming;
mod mock_answers;
mod probe;
mod runtime_fixtures;
mod tail_local;
mod tail_props;
mod testkit_behaviour;
mod testkit_faults;
mod testkit_operations;
mod tiers;
