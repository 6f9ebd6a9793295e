//! bedrock-agent-runtime: inline agents, knowledge bases
//! (RetrieveAndGenerate), InvokeAgent and flows.

mod api;

pub use api::SdkAgentRuntime;
