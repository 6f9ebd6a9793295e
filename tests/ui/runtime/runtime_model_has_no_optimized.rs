// A model known only at run time takes a LatencyPolicy, checked before
// sending; `.optimized()` needs a typed model.
use bedrock_latency::{Client, ModelId};

fn build(client: &Client, model: ModelId) {
    let _request = client.converse(model).optimized();
}

fn main() {}
