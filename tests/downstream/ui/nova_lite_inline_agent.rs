// Amazon Nova Lite has no latency-optimized inference: `.optimized()` on
// inline_agent does not compile.
use bedrock_latency::Client;
use bedrock_latency::models::NovaLite;

fn build(client: &Client) {
    let _request = client.inline_agent(NovaLite).optimized();
}

fn main() {}
