// Amazon Nova Lite has no latency-optimized inference: `.optimized()` on
// RetrieveAndGenerate does not compile.
use bedrock_latency::Client;
use bedrock_latency::models::NovaLite;

fn build(client: &Client) {
    let _request = client.retrieve_and_generate("KB12345678", NovaLite).optimized();
}

fn main() {}
