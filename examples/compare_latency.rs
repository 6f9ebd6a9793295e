//! Standard against optimized on your own prompt: interleaved requests,
//! percentiles, the speed-up with its 95% interval, downgrades and cost; the
//! chart goes to `target/compare-latency.svg`.
//!
//! `cargo run --example compare_latency` (offline: the local endpoint serves
//! optimized about twice as fast) or `-- --aws` (Amazon Bedrock; it sends
//! 3 x 12 requests and a few hedge backups, billed).

mod common;

use bedrock_latency::ModelId;
use bedrock_latency::compare::{Arm, CompareConfig, chart_svg, compare};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = common::setup("us-east-2").await?;
    let model: ModelId = "us.amazon.nova-pro-v1:0".parse()?;
    let config = CompareConfig {
        requests_per_arm: 12,
        // Standard, optimized, and standard with hedged requests (a backup at
        // the observed p95; with the endpoint's steady timing few are sent).
        arms: vec![Arm::Standard, Arm::Optimized, Arm::Hedged],
        ..CompareConfig::default()
    };
    let c = compare(
        &setup.client,
        &model,
        "Summarize the tale of Momotaro.",
        &config,
        |done, total| {
            eprint!("\r{done}/{total}");
        },
    )
    .await?;
    eprintln!();
    for a in &c.arms {
        let p = |x: Option<bedrock_latency::compare::Percentiles>| {
            x.map_or("-".to_owned(), |p| {
                format!("p50 {:?} p90 {:?} p99 {:?}", p.p50, p.p90, p.p99)
            })
        };
        println!("{:<10} total {}", a.arm.as_str(), p(a.total));
        println!("{:<10} ttft  {}", "", p(a.ttft));
        println!(
            "{:<10} downgraded {}, errors {}, cost ${:.5}",
            "",
            a.downgraded,
            a.errors,
            a.cost_usd.unwrap_or(0.0)
        );
    }
    for s in &c.speedups {
        println!(
            "{} is {:.2}x faster at the median (95% interval {:.2}-{:.2})",
            s.arm, s.total_p50, s.total_interval.0, s.total_interval.1
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("compare-latency.svg");
    std::fs::write(&path, chart_svg(&c))?;
    println!("chart: {}", path.display());
    Ok(())
}
