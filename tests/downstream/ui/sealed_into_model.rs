// `IntoModel` is sealed: a model of your own cannot be handed to a request
// builder as if the crate knew it.
use bedrock_latency::{IntoModel, ModelId};

struct MyModel;

impl IntoModel for MyModel {
    type Marker = MyModel;
    fn into_model_id(self) -> ModelId {
        "amazon.nova-premier-v1:0".parse().unwrap()
    }
}

fn main() {}
