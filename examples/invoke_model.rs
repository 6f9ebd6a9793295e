//! InvokeModel with a model-native body; the served latency comes back in a
//! response header.
//!
//! `cargo run --example invoke_model` (offline) or `-- --aws`.

mod common;

use bedrock_latency::models::Llama31Instruct70b;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-west-2").await?;
    // `.prompt` writes the body in the model family's dialect (Llama here);
    // `.body_json(...)` takes any body.
    let r = setup
        .client
        .invoke_model(Llama31Instruct70b)
        .optimized()
        .prompt("What is the capital of France?", 128)
        .send()
        .await?;
    println!("answer:  {}", r.text.as_deref().unwrap_or("(no text)"));
    println!("report:  {}", r.report);
    println!(
        "body:    {} bytes of {}",
        r.body.len(),
        r.content_type.as_deref().unwrap_or("?")
    );
    Ok(())
}
