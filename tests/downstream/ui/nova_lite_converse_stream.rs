// Amazon Nova Lite has no latency-optimized inference: `.optimized()` on
// converse_stream does not compile.
use bedrock_latency::Client;
use bedrock_latency::models::NovaLite;

fn build(client: &Client) {
    let _request = client.converse_stream(NovaLite).optimized();
}

fn main() {}
