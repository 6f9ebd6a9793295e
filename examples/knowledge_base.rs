//! A knowledge base (RetrieveAndGenerate and its stream) asked for
//! latency-optimized generation, with citations.
//!
//! Offline (default): the crate's local Bedrock-compatible endpoint.
//!
//! ```sh
//! cargo run --example knowledge_base
//! ```
//!
//! Against AWS (default credential chain; your knowledge base):
//!
//! ```sh
//! AWS_REGION=us-east-2 BEDROCK_KB_ID=... cargo run --example knowledge_base -- --aws
//! ```

mod common;

use std::time::Duration;

use bedrock_latency::agent::AgentEvent;
use bedrock_latency::models::NovaPro;
use futures::StreamExt;

const QUESTION: &str = "桃太郎はどこで生まれましたか?";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let client = &setup.client;
    let kb = if common::aws() {
        std::env::var("BEDROCK_KB_ID").map_err(|_| "set BEDROCK_KB_ID for --aws")?
    } else {
        "KB12345678".to_owned()
    };
    let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3));
    println!("Question: {QUESTION}\n");

    // Standard, then optimized: generationConfiguration.performanceConfig.
    for optimized in [false, true] {
        let request = client.retrieve_and_generate(&kb, NovaPro).query(QUESTION);
        let request = if optimized { request.optimized() } else { request };
        let answer = request.send().await?;
        let r = &answer.report;
        println!("== RetrieveAndGenerate, {}", r.sent);
        println!("answer:       {}", answer.text.trim());
        println!("model:        {}", r.model_id.as_deref().unwrap_or("-"));
        println!(
            "served:       {} (verify in the model invocation logs: performanceConfig.latency)",
            r.served
        );
        println!("total:        {}", ms(Some(r.timing.total)));
        println!("session:      {}", answer.session_id.as_deref().unwrap_or("-"));
        for c in &answer.citations {
            for reference in &c.references {
                println!(
                    "citation:     {:?} <- {}",
                    c.text.as_deref().unwrap_or(""),
                    reference.uri.as_deref().unwrap_or("-")
                );
            }
        }
        println!();
    }

    // The stream: time to first token.
    let mut stream = client
        .retrieve_and_generate_stream(&kb, NovaPro)
        .optimized()
        .query(QUESTION)
        .send()
        .await?;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let AgentEvent::Text(t) = event? {
            text.push_str(&t);
        }
    }
    let r = stream.report();
    println!("== RetrieveAndGenerateStream, {}", r.sent);
    println!("answer:       {}", text.trim());
    println!("first chunk:  {}", ms(r.timing.time_to_first_token));
    println!("total:        {}", ms(Some(r.timing.total)));
    println!("citations:    {}", stream.citations().len());

    setup.print_served("\nWhat the local endpoint received and served:", "modelArn");
    Ok(())
}
