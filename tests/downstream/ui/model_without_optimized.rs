// Nova Lite has no latency-optimized inference on any operation.
use bedrock_latency::models::{NovaLite, SupportsOptimized, op};

fn needs_optimized<M: SupportsOptimized<op::ConverseOp>>(_: M) {}

fn main() {
    needs_optimized(NovaLite);
}
