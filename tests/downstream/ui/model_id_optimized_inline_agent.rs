// The same on the agent runtime.
use bedrock_latency::{Client, ModelId};

fn build(client: &Client, model: ModelId) {
    let _request = client.inline_agent(model).optimized();
}

fn main() {}
