// `HonorsOptimized` is sealed: no crate can declare that another operation
// honors latency-optimized inference.
use bedrock_latency::models::op::HonorsOptimized;

struct MyOp;

impl HonorsOptimized for MyOp {}

fn main() {}
