// Bedrock accepts performanceConfig on InvokeAgent and serves standard anyway.
use bedrock_latency::models::{NovaPro, SupportsOptimized, op};

fn needs_optimized<M: SupportsOptimized<op::InvokeAgent>>(_: M) {}

fn main() {
    needs_optimized(NovaPro);
}
