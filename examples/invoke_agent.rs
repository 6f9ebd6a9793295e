//! InvokeAgent: standard latency only. The same question as the inline
//! agent and knowledge base examples, and what happens when configuration
//! asks for optimized.
//!
//! Offline (default): the crate's local Bedrock-compatible endpoint.
//!
//! ```sh
//! cargo run --example invoke_agent
//! ```
//!
//! Against AWS (default credential chain; your agent and alias):
//!
//! ```sh
//! AWS_REGION=us-east-2 BEDROCK_AGENT_ID=... BEDROCK_AGENT_ALIAS_ID=... \
//!     cargo run --example invoke_agent -- --aws
//! ```

mod common;

use std::time::Duration;

use bedrock_latency::LatencyPolicy;

const QUESTION: &str = "桃太郎はどこで生まれましたか?";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let client = &setup.client;
    let env = |k: &str, offline: &str| {
        if common::aws() {
            std::env::var(k).map_err(|_| format!("set {k} for --aws"))
        } else {
            Ok(offline.to_owned())
        }
    };
    let agent_id = env("BEDROCK_AGENT_ID", "AGENT12345")?;
    let alias_id = env("BEDROCK_AGENT_ALIAS_ID", "ALIAS12345")?;
    println!("Question: {QUESTION}\n");

    // Standard: the only latency InvokeAgent serves.
    let answer = client
        .invoke_agent(&agent_id, &alias_id)
        .input_text(QUESTION)
        .stream_final_response(true)
        .send()
        .await?
        .collect_response()
        .await?;
    let r = &answer.report;
    let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3));
    println!("== InvokeAgent (standard)");
    println!("answer:       {}", answer.text.trim());
    println!("session:      {}", answer.session_id.as_deref().unwrap_or("-"));
    println!("sent:         {}", r.sent);
    println!(
        "served:       {} (agent-runtime responses do not say; see the invocation logs)",
        r.served
    );
    println!("first chunk:  {}", ms(r.timing.time_to_first_token));
    println!("total:        {}", ms(Some(r.timing.total)));
    println!("request id:   {}\n", r.request_id.as_deref().unwrap_or("-"));

    // `.optimized()` does not compile on InvokeAgent. A policy from
    // configuration is checked at run time:
    println!("== latency = optimized (from configuration)");
    match client
        .invoke_agent(&agent_id, &alias_id)
        .latency(LatencyPolicy::Optimized)
        .input_text(QUESTION)
        .send()
        .await
    {
        Err(e) => println!("refused before sending: {e}\n"),
        Ok(_) => println!("unexpectedly sent\n"),
    }

    println!("== latency = prefer-optimized (from configuration)");
    let answer = client
        .invoke_agent(&agent_id, &alias_id)
        .latency(LatencyPolicy::PreferOptimized)
        .input_text(QUESTION)
        .send()
        .await?
        .collect_response()
        .await?;
    println!("sent:         {}", answer.report.sent);
    if let Some(d) = &answer.report.downgrade {
        println!("why:          {d}");
    }

    if let Some(server) = &setup.server {
        println!("\nWhat the local endpoint received:");
        for req in server.requests() {
            println!(
                "  {} {}  performanceConfig: {}",
                req.method,
                req.path,
                req.requested_latency.map_or("(none)".to_owned(), |l| l.to_string())
            );
        }
    }
    Ok(())
}
