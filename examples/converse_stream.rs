//! ConverseStream: print text as it arrives, then time to first token and
//! the served tier from the final metadata event.
//!
//! `cargo run --example converse_stream` (offline) or `-- --aws`.

mod common;

use std::io::Write;

use bedrock_latency::models::NovaPro;
use bedrock_latency::runtime::StreamEvent;
use futures::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let mut stream = setup
        .client
        .converse_stream(NovaPro)
        .optimized()
        .user("Tell me about Momotaro in three sentences.")
        .max_tokens(300)
        .send()
        .await?;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::TextDelta(t) => {
                print!("{t}");
                std::io::stdout().flush()?;
            }
            StreamEvent::Stop { reason } => println!("\n[stop: {reason}]"),
            StreamEvent::Metadata { served, usage, .. } => println!("[served {served}, usage {usage:?}]"),
            _ => {}
        }
    }
    let r = stream.report();
    println!("time to first token: {:?}", r.timing.time_to_first_token);
    println!("total:               {:?}", r.timing.total);
    println!("server latency:      {:?}", r.timing.server_latency);
    Ok(())
}
