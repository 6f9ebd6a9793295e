// The same for an asynchronous flow run.
use bedrock_latency::Client;

fn build(client: &Client) {
    let _request = client.start_flow_execution("FLOW123456", "ALIAS12345").optimized();
}

fn main() {}
