// The same for the streamed variant, over external sources.
use bedrock_latency::Client;
use bedrock_latency::models::NovaLite;

fn build(client: &Client) {
    let _request = client.retrieve_and_generate_external_stream(NovaLite).optimized();
}

fn main() {}
