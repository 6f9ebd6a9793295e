// The markers are sealed: a downstream crate cannot claim support for a model
// of its own.
use bedrock_latency::models::{SupportsOptimized, op};

#[derive(Debug, Clone, Copy, Default)]
struct MyModel;

impl SupportsOptimized<op::Converse> for MyModel {}

fn main() {}
