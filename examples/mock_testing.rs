//! Unit-testing your own service without AWS: mock the bedrock-runtime
//! trait with mockall (feature `mock`) and assert both what your code sends
//! and how it handles what comes back.
//!
//! Run: `cargo run --example mock_testing` (prints the scenario), or
//! `cargo test --example mock_testing` (the tests below).

use bedrock_latency::Client;
use bedrock_latency::models::Claude35Haiku;
use bedrock_latency::runtime::{BedrockRuntimeApi, MockBedrockRuntimeApi, WithRequestId};

use aws_sdk_bedrockruntime::operation::converse::ConverseOutput;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseMetrics, ConverseOutput as Out, Message, PerformanceConfigLatency,
    PerformanceConfiguration, StopReason, TokenUsage,
};

/// The downstream code under test: a tiny "answer service" that wants the
/// fast tier and tells its caller when it did not get it.
async fn answer<R: BedrockRuntimeApi>(client: &Client<R>, question: &str) -> bedrock_latency::Result<String> {
    let r = client
        .converse(Claude35Haiku)
        .optimized()
        .max_tokens(200)
        .user(question)
        .send()
        .await?;
    Ok(if r.report.downgraded() {
        format!("{} (served at standard latency)", r.text)
    } else {
        r.text
    })
}

/// A Converse output as Bedrock would return it.
fn output(text: &str, served: PerformanceConfigLatency) -> ConverseOutput {
    ConverseOutput::builder()
        .output(Out::Message(
            Message::builder()
                .role(ConversationRole::Assistant)
                .content(ContentBlock::Text(text.to_owned()))
                .build()
                .expect("role and content are set"),
        ))
        .stop_reason(StopReason::EndTurn)
        .usage(
            TokenUsage::builder()
                .input_tokens(12)
                .output_tokens(8)
                .total_tokens(20)
                .build()
                .expect("all set"),
        )
        .metrics(ConverseMetrics::builder().latency_ms(180).build().expect("latency set"))
        .performance_config(PerformanceConfiguration::builder().latency(served).build())
        .build()
        .expect("required fields are set")
}

fn mock_serving(served: PerformanceConfigLatency) -> MockBedrockRuntimeApi {
    let mut mock = MockBedrockRuntimeApi::new();
    mock.expect_converse()
        .times(1)
        .withf(|input| {
            // Assert on what the service would receive.
            input.get_model_id().as_deref() == Some("us.anthropic.claude-3-5-haiku-20241022-v1:0")
                && input.get_performance_config().as_ref().map(|p| p.latency().clone())
                    == Some(PerformanceConfigLatency::Optimized)
        })
        .returning(move |_| {
            Ok(WithRequestId::new(
                output("Okayama.", served.clone()),
                Some("req-1".into()),
            ))
        });
    mock
}

#[tokio::main]
async fn main() -> bedrock_latency::Result<()> {
    let fast = Client::builder()
        .runtime(mock_serving(PerformanceConfigLatency::Optimized))
        .region("us-east-2")
        .build()?;
    println!(
        "optimized served:  {}",
        answer(&fast, "Where was Momotaro born?").await?
    );
    let slow = Client::builder()
        .runtime(mock_serving(PerformanceConfigLatency::Standard))
        .region("us-east-2")
        .build()?;
    println!(
        "quota used up:     {}",
        answer(&slow, "Where was Momotaro born?").await?
    );

    // From a region that does not serve it, nothing reaches the mock.
    let mut never = MockBedrockRuntimeApi::new();
    never.expect_converse().times(0);
    let refused = Client::builder().runtime(never).region("us-east-1").build()?;
    let err = answer(&refused, "Where was Momotaro born?").await.unwrap_err();
    println!("from us-east-1:    {err}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn says_when_served_standard() {
        let client = Client::builder()
            .runtime(mock_serving(PerformanceConfigLatency::Standard))
            .region("us-east-2")
            .build()
            .unwrap();
        assert_eq!(
            answer(&client, "q").await.unwrap(),
            "Okayama. (served at standard latency)"
        );
    }

    #[tokio::test]
    async fn plain_answer_when_optimized() {
        let client = Client::builder()
            .runtime(mock_serving(PerformanceConfigLatency::Optimized))
            .region("us-west-2")
            .build()
            .unwrap();
        assert_eq!(answer(&client, "q").await.unwrap(), "Okayama.");
    }

    #[tokio::test]
    async fn refused_before_sending_from_virginia() {
        let mut never = MockBedrockRuntimeApi::new();
        never.expect_converse().times(0);
        let client = Client::builder().runtime(never).region("us-east-1").build().unwrap();
        let err = answer(&client, "q").await.unwrap_err();
        assert!(err.refusal().is_some(), "{err}");
    }
}
