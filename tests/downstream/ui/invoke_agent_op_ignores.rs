// The marker says the same: no model offers optimized latency on InvokeAgent.
use bedrock_latency::models::{NovaPro, SupportsOptimized, op};

fn needs_optimized<M: SupportsOptimized<op::InvokeAgentOp>>(_: M) {}

fn main() {
    needs_optimized(NovaPro);
}
