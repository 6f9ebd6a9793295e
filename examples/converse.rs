//! Converse with latency-optimized inference and what served it.
//!
//! `cargo run --example converse` (offline) or `-- --aws` (Amazon Bedrock,
//! Nova Pro from us-east-1 or us-east-2).

mod common;

use bedrock_latency::models::NovaPro;
use bedrock_latency::{LatencyPolicy, ModelId};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-1").await?;
    let client = &setup.client;

    // A typed model: `.optimized()` compiles because Nova Pro offers it.
    let r = client
        .converse(NovaPro)
        .optimized()
        .system("Answer in one sentence.")
        .user("What is the capital of France?")
        .max_tokens(100)
        .send()
        .await?;
    println!("answer:   {}", r.text);
    println!("report:   {}", r.report);
    println!("usage:    {:?}", r.report.usage);

    // A model from configuration: the policy is checked before sending.
    let from_config: ModelId = "amazon.nova-lite-v1:0".parse()?;
    let r = client
        .converse(&from_config)
        .latency(LatencyPolicy::PreferOptimized)
        .user("What is the capital of France?")
        .send()
        .await?;
    println!(
        "\nNova Lite with prefer-optimized: sent {}, downgraded: {}",
        r.report.sent,
        r.report.downgraded()
    );
    if let Some(why) = &r.report.downgrade {
        println!("why:      {why}");
    }
    Ok(())
}
