// Whether flows honor latency-optimized inference is unverified: no
// `.optimized()`; the compiler points to the explicit opt-in.
use bedrock_latency::Client;

fn build(client: &Client) {
    let _request = client.invoke_flow("FLOW123456", "ALIAS12345").optimized();
}

fn main() {}
