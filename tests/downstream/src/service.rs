//! A small service of the kind users write: it answers from a knowledge
//! base, then has the answer shortened, fast where the region serves it.

use bedrock_latency::agent::BedrockAgentRuntimeApi;
use bedrock_latency::models::Llama31Instruct70b;
use bedrock_latency::runtime::BedrockRuntimeApi;
use bedrock_latency::{Client, DynClient, Latency, LatencyPolicy, Result};

/// What the service answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Briefing {
    /// The short answer.
    pub answer: String,
    /// The sources the knowledge base cited.
    pub sources: Vec<String>,
    /// Whether the short answer was served latency-optimized.
    pub fast: bool,
}

/// Answers `question` from knowledge base `kb` (RetrieveAndGenerate,
/// optimized) and shortens the answer with Converse (optimized where
/// served, standard with the reason in the report elsewhere).
///
/// Generic over both halves of the client: the AWS SDK, mocks, or trait
/// objects.
pub async fn briefing<R, A>(client: &Client<R, A>, kb: &str, question: &str) -> Result<Briefing>
where
    R: BedrockRuntimeApi,
    A: BedrockAgentRuntimeApi,
{
    let found = client
        .retrieve_and_generate(kb, Llama31Instruct70b)
        .optimized()
        .query(question)
        .send()
        .await?;
    let short = client
        .converse(Llama31Instruct70b)
        .latency(LatencyPolicy::PreferOptimized)
        .max_tokens(100)
        .system("Answer in one sentence.")
        .user(found.text.as_str())
        .send()
        .await?;
    Ok(Briefing {
        answer: short.text,
        sources: found
            .citations
            .iter()
            .flat_map(|c| c.references.iter().filter_map(|r| r.uri.clone()))
            .collect(),
        fast: short.report.served.latency() == Some(Latency::Optimized),
    })
}

/// A service that holds "a real or a mock client" in one field: the same
/// type in production and in unit tests.
#[derive(Debug, Clone)]
pub struct Assistant {
    client: DynClient,
    kb: String,
}

impl Assistant {
    /// An assistant over `client` and knowledge base `kb`.
    pub fn new(client: DynClient, kb: impl Into<String>) -> Self {
        Assistant { client, kb: kb.into() }
    }

    /// Answers `question` (see [`briefing`]).
    pub async fn ask(&self, question: &str) -> Result<Briefing> {
        briefing(&self.client, &self.kb, question).await
    }

    /// The client's region.
    pub fn region(&self) -> Option<&str> {
        self.client.region()
    }
}
