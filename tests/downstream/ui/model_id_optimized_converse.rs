// A model known only at run time takes a `LatencyPolicy`, not `.optimized()`.
use bedrock_latency::{Client, ModelId};

fn build(client: &Client, model: &ModelId) {
    let _request = client.converse(model).optimized();
}

fn main() {}
