// A model ID string is parsed first: request builders take a typed model or
// a `ModelId`, so an unparsed ID never reaches the check.
use bedrock_latency::Client;

fn build(client: &Client) {
    let _request = client.converse("us.amazon.nova-pro-v1:0");
}

fn main() {}
