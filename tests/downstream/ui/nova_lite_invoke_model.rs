// Amazon Nova Lite has no latency-optimized inference: `.optimized()` on
// invoke_model does not compile.
use bedrock_latency::Client;
use bedrock_latency::models::NovaLite;

fn build(client: &Client) {
    let _request = client.invoke_model(NovaLite).optimized();
}

fn main() {}
