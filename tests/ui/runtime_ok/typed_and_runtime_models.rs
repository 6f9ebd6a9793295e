// What does compile: optimized on a typed model that offers it, on all four
// operations, and a policy on a run-time model.
use bedrock_latency::models::{Claude35Haiku, NovaPro};
use bedrock_latency::{Client, LatencyPolicy, ModelId};

fn build(client: &Client, model: ModelId) {
    let _a = client.converse(NovaPro).optimized().user("hi");
    let _b = client.converse_stream(Claude35Haiku).optimized().user("hi");
    let _c = client.invoke_model(NovaPro).optimized().prompt("hi", 10);
    let _d = client.invoke_model_stream(Claude35Haiku).optimized().prompt("hi", 10);
    let _e = client.converse(model).latency(LatencyPolicy::PreferOptimized);
}

fn main() {}
