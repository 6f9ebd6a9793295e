//! Shared by the examples: a client that talks to the embedded local
//! endpoint by default, or to Amazon Bedrock with `--aws`.

#![allow(dead_code)] // each example uses part of it

use std::time::Duration;

use bedrock_latency::Client;
use bedrock_latency::Latency;
use bedrock_latency::testkit::{LocalBedrock, TokenTiming};

/// The client, and the local endpoint when offline (keep it alive).
pub(crate) struct Setup {
    pub(crate) client: Client,
    pub(crate) server: Option<LocalBedrock>,
}

impl Setup {
    /// Offline: under `heading`, what the local endpoint was asked and what
    /// served each request (the model as `model_label`). Only a local
    /// endpoint can say what served: AWS does not.
    pub(crate) fn print_served(&self, heading: &str, model_label: &str) {
        let Some(server) = &self.server else { return };
        println!("{heading}");
        for req in server.requests() {
            let model = req.model_id.as_deref().unwrap_or("-");
            let asked = req.requested_latency.map_or("(none)".to_owned(), |l| l.to_string());
            let served = req.served_latency.map_or("-".to_owned(), |l| l.to_string());
            println!("  {} {model_label} {model}  asked {asked}  served {served}", req.path);
        }
    }
}

/// Whether `--aws` was given.
pub(crate) fn aws() -> bool {
    std::env::args().any(|a| a == "--aws")
}

/// Offline: a local endpoint where optimized is about twice as fast, seen
/// from `region`; with `--aws`: the default credential chain.
pub(crate) async fn setup(region: &str) -> Result<Setup, Box<dyn std::error::Error>> {
    if aws() {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        return Ok(Setup {
            client: Client::new(&conf),
            server: None,
        });
    }
    let server = LocalBedrock::builder()
        .timing(
            Latency::Standard,
            TokenTiming::new(Duration::from_millis(120), Duration::from_millis(6)),
        )
        .timing(
            Latency::Optimized,
            TokenTiming::new(Duration::from_millis(60), Duration::from_millis(3)),
        )
        .start()
        .await?;
    let conf = server.sdk_config(region);
    let client = Client::new(&conf);
    println!(
        "(offline: local Bedrock-compatible endpoint at {}, region {region}; --aws for AWS)\n",
        server.endpoint_url()
    );
    Ok(Setup {
        client,
        server: Some(server),
    })
}
