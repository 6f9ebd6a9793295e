//! InvokeModelWithResponseStream: model-native chunks turned into text.
//!
//! `cargo run --example invoke_model_stream` (offline) or `-- --aws`.

mod common;

use bedrock_latency::models::Llama31Instruct70b;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let r = setup
        .client
        .invoke_model_stream(Llama31Instruct70b)
        .optimized()
        .prompt("桃太郎はどこで生まれましたか?", 256)
        .send()
        .await?
        .collect_response()
        .await?;
    println!("answer:  {}", r.text.as_deref().unwrap_or(""));
    println!("report:  {}", r.report);
    for w in &r.report.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
