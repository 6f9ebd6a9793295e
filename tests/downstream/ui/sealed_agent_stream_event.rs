// `AgentStreamEvent` is sealed: agent streams read the SDK's own event
// types only.
use bedrock_latency::agent::AgentStreamEvent;

struct MyEvent;

impl AgentStreamEvent for MyEvent {}

fn main() {}
