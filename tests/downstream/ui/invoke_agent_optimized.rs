// Bedrock accepts performanceConfig on InvokeAgent and serves standard
// anyway: `.optimized()` does not compile, and the compiler says why.
use bedrock_latency::Client;

fn build(client: &Client) {
    let _request = client.invoke_agent("AGENT12345", "ALIAS12345").optimized();
}

fn main() {}
