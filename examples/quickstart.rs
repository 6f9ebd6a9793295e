//! The same question asked standard and optimized, with what served each
//! answer and how long it took.
//!
//! Offline (default): starts the crate's local Bedrock-compatible endpoint
//! (`bedrock_latency::testkit`), tells it to serve optimized answers faster,
//! and points the real AWS SDK client at it. No AWS account needed:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Against AWS (default credential chain; Amazon Nova Pro, served optimized
//! from us-east-1 and us-east-2; a preview feature that costs more):
//!
//! ```sh
//! AWS_REGION=us-east-2 cargo run --example quickstart -- --aws
//! ```

use std::time::Duration;

use bedrock_latency::models::NovaPro;
use bedrock_latency::testkit::{LocalBedrock, TokenTiming};
use bedrock_latency::{Client, Latency, LatencyPolicy};
use futures::StreamExt;

const QUESTION: &str = "Where was Momotaro born? Answer in two sentences.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aws = std::env::args().any(|a| a == "--aws");
    let (client, server) = if aws {
        println!("Against Amazon Bedrock (default credential chain).");
        let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        (Client::new(&conf), None)
    } else {
        // Standard: 250 ms to the first token, then 12 ms a token; optimized:
        // 100 ms, then 5 ms (made-up figures for the demo, not measurements).
        let server = LocalBedrock::builder()
            .timing(
                Latency::Standard,
                TokenTiming::new(Duration::from_millis(250), Duration::from_millis(12)),
            )
            .timing(
                Latency::Optimized,
                TokenTiming::new(Duration::from_millis(100), Duration::from_millis(5)),
            )
            .answer_tokens(40)
            .start()
            .await?;
        println!(
            "Offline: local Bedrock-compatible endpoint at {}",
            server.endpoint_url()
        );
        let conf = server.sdk_config("us-east-2");
        (Client::new(&conf), Some(server))
    };
    println!(
        "Region: {}\nQuestion: {QUESTION}\n",
        client.region().unwrap_or("(none configured)")
    );

    for policy in [LatencyPolicy::Standard, LatencyPolicy::Optimized] {
        let mut stream = client
            .converse_stream(NovaPro)
            .latency(policy)
            .max_tokens(200)
            .user(QUESTION)
            .send()
            .await?;
        let mut text = String::new();
        while let Some(event) = stream.next().await {
            if let bedrock_latency::runtime::StreamEvent::TextDelta(t) = event? {
                text.push_str(&t);
            }
        }
        let r = stream.report();
        println!("== {policy}");
        println!("answer:        {}", text.trim());
        println!("sent as:       {} ({})", r.sent, r.model_id.as_deref().unwrap_or("-"));
        println!(
            "served:        {}{}",
            r.served,
            if r.downgraded() { "  DOWNGRADED" } else { "" }
        );
        if let Some(d) = &r.downgrade {
            println!("why:           {d}");
        }
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3));
        println!("first token:   {}", ms(r.timing.time_to_first_token));
        println!("total:         {}", ms(Some(r.timing.total)));
        println!("server:        {}", ms(r.timing.server_latency));
        if let Some(tps) = r.timing.output_tokens_per_second {
            println!("tokens/s:      {tps:.0}");
        }
        for w in &r.warnings {
            println!("warning:       {w}");
        }
        println!();
    }

    // From Oregon, Nova Pro is not served optimized: refused before
    // anything is sent ...
    let oregon = match &server {
        Some(s) => s.sdk_config("us-west-2"),
        None => {
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-west-2"))
                .load()
                .await
        }
    };
    match Client::new(&oregon)
        .converse(NovaPro)
        .optimized()
        .user(QUESTION)
        .send()
        .await
    {
        Err(e) => println!("from us-west-2: {e}"),
        Ok(r) => println!("from us-west-2 unexpectedly served: {}", r.report),
    }
    // ... unless the client may route optimized requests to a region that
    // serves them: then it goes to us-east-2 and the report says so.
    let routed = Client::builder()
        .sdk_config(&oregon)
        .route_optimized_to(["us-east-2"])
        .build()?;
    let r = routed.converse(NovaPro).optimized().user(QUESTION).send().await?;
    println!(
        "from us-west-2 with routing: sent to {} (routed from {}), served {}",
        r.report.region,
        r.report.routed_from.as_deref().unwrap_or("-"),
        r.report.served
    );
    Ok(())
}
