// `TypedModel` is sealed: only the crate's typed models are known at
// compile time.
use bedrock_latency::models::TypedModel;

#[derive(Debug, Clone, Copy, Default)]
struct MyModel;

impl TypedModel for MyModel {
    const BASE_MODEL_ID: &'static str = "amazon.nova-premier-v1:0";
    const NAME: &'static str = "Amazon Nova Premier";
}

fn main() {}
