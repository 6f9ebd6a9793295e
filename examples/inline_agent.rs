//! An inline agent (InvokeInlineAgent) asked for latency-optimized
//! inference, next to the same agent at standard latency.
//!
//! Offline (default): the crate's local Bedrock-compatible endpoint, where
//! optimized answers come about twice as fast (made-up figures).
//!
//! ```sh
//! cargo run --example inline_agent
//! ```
//!
//! Against AWS (default credential chain; Amazon Nova Pro is served
//! optimized from us-east-1 and us-east-2; a preview feature that costs
//! more):
//!
//! ```sh
//! AWS_REGION=us-east-2 cargo run --example inline_agent -- --aws
//! ```

mod common;

use std::time::Duration;

use bedrock_latency::LatencyPolicy;
use bedrock_latency::agent::AgentEvent;
use bedrock_latency::models::NovaPro;
use futures::StreamExt;

const QUESTION: &str = "桃太郎はどこで生まれましたか?";
const INSTRUCTION: &str = "You are an expert on Japanese folk tales. Answer in Japanese, in two sentences.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let client = &setup.client;
    println!("Question: {QUESTION}\n");

    for policy in [LatencyPolicy::Standard, LatencyPolicy::Optimized] {
        let request = client
            .inline_agent(NovaPro)
            .instruction(INSTRUCTION)
            .input_text(QUESTION)
            // Stream the answer as it is generated, so that time to first
            // token means something.
            .stream_final_response(true)
            .end_session(true);
        // `.optimized()` compiles because Amazon Nova Pro offers it on
        // InvokeInlineAgent; the region is checked before sending.
        let request = if policy == LatencyPolicy::Optimized {
            request.optimized()
        } else {
            request
        };
        let mut stream = request.send().await?;
        let mut text = String::new();
        while let Some(event) = stream.next().await {
            if let AgentEvent::Text(t) = event? {
                text.push_str(&t);
            }
        }
        let r = stream.report();
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3));
        println!("== inline agent, {policy}");
        println!("answer:       {}", text.trim());
        println!("sent:         {} ({})", r.sent, r.model_id.as_deref().unwrap_or("-"));
        println!(
            "served:       {} (verify in the model invocation logs: performanceConfig.latency)",
            r.served
        );
        println!("session:      {}", stream.session_id().unwrap_or("-"));
        println!("first chunk:  {}", ms(r.timing.time_to_first_token));
        println!("total:        {}", ms(Some(r.timing.total)));
        for w in &r.warnings {
            println!("warning:      {w}");
        }
        println!();
    }

    setup.print_served("What the local endpoint served:", "model");
    Ok(())
}
