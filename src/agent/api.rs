//! The bedrock-agent-runtime service behind a trait, so that it can be mocked.

use aws_sdk_bedrockagentruntime as agent_sdk;

/// The bedrock-agent-runtime service over the AWS SDK client.
#[derive(Debug, Clone)]
pub struct SdkAgentRuntime {
    client: agent_sdk::Client,
}

impl SdkAgentRuntime {
    /// Wraps an SDK client.
    pub fn new(client: agent_sdk::Client) -> Self {
        Self { client }
    }

    /// The SDK client.
    pub fn sdk(&self) -> &agent_sdk::Client {
        &self.client
    }
}
