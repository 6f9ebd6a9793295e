// `InvokeAgentHonorsOptimized` is sealed: `.optimized()` on InvokeAgent
// cannot be unlocked from outside (the service ignores the setting there).
use bedrock_latency::agent::{InvokeAgentHonorsOptimized, InvokeAgentRequest};

struct MyApi;

impl InvokeAgentHonorsOptimized<MyApi> for InvokeAgentRequest<MyApi> {}

fn main() {}
