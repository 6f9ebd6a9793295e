//! The README's and the examples' code as a user writes it, one function
//! per pattern, over an SDK configuration (the tests pass the local
//! endpoint's; in production it is `aws_config::load_defaults(..)`'s).

use std::time::Duration;

use aws_config::SdkConfig;
use bedrock_latency::agent::AgentEvent;
use bedrock_latency::models::{Llama31Instruct70b, NovaPro};
use bedrock_latency::runtime::{ConverseResponse, StreamEvent};
use bedrock_latency::testkit::LocalBedrock;
use bedrock_latency::{
    Catalog, CheckRequest, Client, LatencyPolicy, LatencyReport, ModelId, Operation, Result, cost, logs,
};
use futures_util::StreamExt;

/// README, first example: `Client::new`, `.optimized()`, the report.
pub async fn readme_first(conf: &SdkConfig) -> Result<ConverseResponse> {
    let client = Client::new(conf); // the region of `conf` is the region of every call
    client
        .converse(NovaPro)
        .optimized() // does not compile for models without optimized latency
        .user("What is the capital of France?")
        .send()
        .await // refused before sending if the region does not serve it
}

/// README, routing: Nova Pro optimized from an Oregon configuration.
pub async fn readme_routing(oregon: &SdkConfig) -> Result<LatencyReport> {
    let client = Client::builder()
        .sdk_config(oregon)
        .route_optimized_to(["us-east-2"]) // tried in order, only where the catalog says it is served
        .build()?;
    let answer = client.converse(NovaPro).optimized().user("Hello").send().await?;
    Ok(answer.report)
}

/// README, escape hatches: a field the builder does not model, and a
/// per-call SDK configuration (timeouts).
pub async fn readme_escape_hatches(conf: &SdkConfig) -> Result<ConverseResponse> {
    Client::new(conf)
        .converse(NovaPro)
        .user("Hello")
        .map_input(|b| b.request_metadata("team", "search"))
        .map_sdk_config(|c| {
            c.timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
        })
        .send()
        .await
}

/// README, the check on its own: what would be sent from where.
pub fn readme_check() -> Result<Vec<String>> {
    let model: ModelId = "meta.llama3-1-70b-instruct-v1:0".parse()?;
    let mut out = Vec::new();
    for region in ["us-east-2", "us-east-1"] {
        let checked = Catalog::builtin().check(&CheckRequest::new(
            &model,
            region,
            Operation::Converse,
            LatencyPolicy::Optimized,
        ));
        out.push(match checked {
            Ok(plan) => plan.model_id.unwrap_or_default(),
            Err(refusal) => refusal.to_string(),
        });
    }
    Ok(out)
}

/// README, the log reader: records as they are read, then the summary.
pub fn readme_logs(record: &[u8]) -> Result<(Vec<Option<u64>>, usize)> {
    let mut reader = logs::LogReader::new(Catalog::builtin());
    let mut latencies = Vec::new();
    reader.read("invocations.jsonl", record, |entry| {
        if let logs::LogEntry::Record(r) = entry {
            latencies.push(r.latency_ms);
        }
        Ok(())
    })?;
    Ok((latencies, reader.summary().standard))
}

/// Example `quickstart`: ConverseStream, standard then optimized, the text
/// as it arrives and the report at the end.
pub async fn example_quickstart(conf: &SdkConfig) -> Result<Vec<(String, LatencyReport)>> {
    let client = Client::new(conf);
    let mut out = Vec::new();
    for policy in [LatencyPolicy::Standard, LatencyPolicy::Optimized] {
        let mut stream = client
            .converse_stream(NovaPro)
            .latency(policy)
            .max_tokens(200)
            .user("Where was Momotaro born?")
            .send()
            .await?;
        let mut text = String::new();
        while let Some(event) = stream.next().await {
            if let StreamEvent::TextDelta(t) = event? {
                text.push_str(&t);
            }
        }
        out.push((text, stream.report().clone()));
    }
    Ok(out)
}

/// Examples `invoke_model` and `invoke_model_stream`: model-native bodies.
pub async fn example_invoke_model(conf: &SdkConfig) -> Result<(Option<String>, Option<String>)> {
    let client = Client::new(conf);
    let whole = client
        .invoke_model(Llama31Instruct70b)
        .optimized()
        .prompt("What is the capital of France?", 128)
        .send()
        .await?;
    let streamed = client
        .invoke_model_stream(Llama31Instruct70b)
        .optimized()
        .prompt("What is the capital of France?", 128)
        .send()
        .await?
        .collect_response()
        .await?;
    Ok((whole.text, streamed.text))
}

/// Examples `inline_agent`, `knowledge_base` and `invoke_agent`: the agent
/// runtime, optimized where it is honored and standard where it is not.
pub async fn example_agents(conf: &SdkConfig) -> Result<Vec<LatencyReport>> {
    let client = Client::new(conf);
    let mut stream = client
        .inline_agent(NovaPro)
        .optimized()
        .instruction("Answer briefly.")
        .input_text("Where was Momotaro born?")
        .stream_final_response(true)
        .send()
        .await?;
    while let Some(event) = stream.next().await {
        if let AgentEvent::Text(t) = event? {
            debug_assert!(!t.is_empty());
        }
    }
    let inline = stream.report().clone();
    let kb = client
        .retrieve_and_generate("KB12345678", NovaPro)
        .optimized()
        .query("Where was Momotaro born?")
        .send()
        .await?;
    let agent = client
        .invoke_agent("AGENT12345", "ALIAS12345")
        .latency(LatencyPolicy::PreferOptimized)
        .input_text("Where was Momotaro born?")
        .send()
        .await?
        .collect_response()
        .await?;
    let flow = client
        .invoke_flow("FLOW123456", "ALIAS12345")
        .text_input("Where was Momotaro born?")
        .unverified_optimized_latency()
        .send()
        .await?
        .collect_response()
        .await?;
    Ok(vec![inline, kb.report, agent.report, flow.report])
}

/// Example `analyze_logs`: costs of one call standard and optimized.
pub fn example_cost() -> Result<cost::CostComparison> {
    cost::compare_costs(Catalog::builtin(), "us.meta.llama3-1-70b-instruct-v1:0", 1_000, 1_000)
}

/// The testkit's shortest path: a local endpoint, and a client on it.
pub async fn testkit_shortest_path() -> std::io::Result<(LocalBedrock, Client)> {
    let server = LocalBedrock::start().await?;
    let client = Client::new(&server.sdk_config("us-east-2"));
    Ok((server, client))
}
