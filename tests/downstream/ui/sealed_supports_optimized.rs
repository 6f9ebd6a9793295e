// `SupportsOptimized` is sealed: a downstream crate cannot claim
// latency-optimized support for a model of its own.
use bedrock_latency::models::{SupportsOptimized, op};

#[derive(Debug, Clone, Copy, Default)]
struct MyModel;

impl SupportsOptimized<op::ConverseOp> for MyModel {}

fn main() {}
