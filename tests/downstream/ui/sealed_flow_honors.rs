// `FlowHonorsOptimized` is sealed: `.optimized()` on flows cannot be
// unlocked from outside (whether flows honor it is unverified).
use bedrock_latency::agent::{FlowHonorsOptimized, InvokeFlowRequest};

struct MyApi;

impl FlowHonorsOptimized<MyApi> for InvokeFlowRequest<MyApi> {}

fn main() {}
