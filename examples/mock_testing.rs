//! Unit-testing your own service without AWS: both services mocked with
//! mockall (feature `mock`), canned answers from `bedrock_latency::mock`,
//! and no SDK dependency of your own (the SDK types, where a test wants
//! one, come from `bedrock_latency::runtime::sdk` / `agent::sdk`).
//!
//! The service holds a `DynClient`: the same type over the AWS SDK in
//! production and over mocks in tests.
//!
//! Run: `cargo run --example mock_testing` (prints the
//! scenarios), or `cargo test --example mock_testing` (the
//! tests below).

use bedrock_latency::agent::MockBedrockAgentRuntimeApi;
use bedrock_latency::mock::Answer;
use bedrock_latency::models::Llama31Instruct70b;
use bedrock_latency::runtime::MockBedrockRuntimeApi;
use bedrock_latency::runtime::sdk::types::PerformanceConfigLatency;
use bedrock_latency::{Client, DynClient, Latency, LatencyPolicy, Result};

/// The code under test: a help desk that looks the answer up in a
/// knowledge base, then has it shortened, fast where it can be.
#[derive(Debug, Clone)]
struct HelpDesk {
    client: DynClient,
    knowledge_base: String,
}

/// What the help desk answers.
#[derive(Debug, PartialEq)]
struct Reply {
    text: String,
    sources: Vec<String>,
    /// Set when the short answer was not served latency-optimized.
    slow_because: Option<String>,
}

impl HelpDesk {
    async fn reply(&self, question: &str) -> Result<Reply> {
        let found = self
            .client
            .retrieve_and_generate(&self.knowledge_base, Llama31Instruct70b)
            .latency(LatencyPolicy::PreferOptimized)
            .query(question)
            .send()
            .await?;
        let short = self
            .client
            .converse(Llama31Instruct70b)
            .latency(LatencyPolicy::PreferOptimized)
            .system("Shorten this to one sentence.")
            .user(found.text.as_str())
            .max_tokens(100)
            .send()
            .await?;
        let r = &short.report;
        Ok(Reply {
            text: short.text.clone(),
            sources: found
                .citations
                .iter()
                .flat_map(|c| c.references.iter().filter_map(|s| s.uri.clone()))
                .collect(),
            slow_because: (r.served.latency() != Some(Latency::Optimized)).then(|| {
                r.downgrade
                    .as_ref()
                    .map_or("not reported".to_owned(), ToString::to_string)
            }),
        })
    }
}

/// A knowledge base that finds one passage and cites it.
fn knowledge_base() -> MockBedrockAgentRuntimeApi {
    let found = Answer::text("Momotaro was born from a giant peach found in a river in Okayama.")
        .session_id("kb-session-1")
        .citation("born from a giant peach", "s3://help-desk/momotaro.md");
    let mut agent = MockBedrockAgentRuntimeApi::new();
    agent
        .expect_retrieve_and_generate()
        .returning(move |_| found.retrieve_and_generate());
    agent
}

/// A runtime whose Converse answer was served `served`; it checks that the
/// request asked for optimized latency with the model's inference profile.
fn runtime(served: Latency) -> MockBedrockRuntimeApi {
    let short = Answer::text("Momotaro was born from a peach.")
        .usage(40, 8)
        .server_latency_ms(180)
        .served(served)
        .request_id("req-1");
    let mut rt = MockBedrockRuntimeApi::new();
    rt.expect_converse()
        .withf(|input| {
            input.get_model_id().as_deref() == Some("us.meta.llama3-1-70b-instruct-v1:0")
                && input.get_performance_config().as_ref().map(|p| p.latency())
                    == Some(&PerformanceConfigLatency::Optimized)
        })
        .returning(move |_| short.converse());
    rt
}

fn help_desk(region: &str, rt: MockBedrockRuntimeApi, agent: MockBedrockAgentRuntimeApi) -> HelpDesk {
    let client = Client::builder()
        .runtime(rt)
        .agent_runtime(agent)
        .region(region) // the region the mocks stand for: what the catalog checks
        .build_dyn()
        .expect("a valid region");
    HelpDesk {
        client,
        knowledge_base: "KB12345678".to_owned(),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let q = "Where was Momotaro born?";
    let fast = help_desk("us-east-2", runtime(Latency::Optimized), knowledge_base());
    println!("served optimized:      {:?}", fast.reply(q).await?);
    let slow = help_desk("us-east-2", runtime(Latency::Standard), knowledge_base());
    println!("quota used up:         {:?}", slow.reply(q).await?);
    // From us-east-1 Llama 3.1 70B is not served optimized: prefer-optimized
    // sends standard, and the mock (which wants optimized) is not called.
    let mut rt = MockBedrockRuntimeApi::new();
    rt.expect_converse().returning(|_| {
        Answer::text("Momotaro was born from a peach.")
            .served(Latency::Standard)
            .converse()
    });
    let virginia = help_desk("us-east-1", rt, knowledge_base());
    println!("from us-east-1:        {:?}", virginia.reply(q).await?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fast_answer_with_its_sources() {
        let desk = help_desk("us-west-2", runtime(Latency::Optimized), knowledge_base());
        assert_eq!(
            desk.reply("q").await.unwrap(),
            Reply {
                text: "Momotaro was born from a peach.".to_owned(),
                sources: vec!["s3://help-desk/momotaro.md".to_owned()],
                slow_because: None,
            }
        );
    }

    #[tokio::test]
    async fn says_why_when_served_standard() {
        let desk = help_desk("us-east-2", runtime(Latency::Standard), knowledge_base());
        let reason = desk.reply("q").await.unwrap().slow_because.expect("a reason");
        assert!(reason.contains("served standard"), "{reason}");
    }

    #[tokio::test]
    async fn from_a_region_without_it_standard_is_sent_and_said() {
        let mut rt = MockBedrockRuntimeApi::new();
        rt.expect_converse()
            .times(1)
            .withf(|input| {
                input.get_performance_config().as_ref().map(|p| p.latency())
                    == Some(&PerformanceConfigLatency::Standard)
            })
            .returning(|_| Answer::text("short").served(Latency::Standard).converse());
        let desk = help_desk("us-east-1", rt, knowledge_base());
        let reason = desk.reply("q").await.unwrap().slow_because.expect("a reason");
        assert!(reason.contains("us-east-2"), "{reason}");
    }
}
