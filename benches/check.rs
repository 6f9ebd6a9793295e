//! The cost of the catalog check: it must stay well under a microsecond, so
//! that checking every request before sending it costs nothing measurable.
//!
//! Run: `cargo bench --bench check`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use LatencyPolicy::{Optimized, Standard};
use Operation::{Converse, InvokeModel};
use bedrock_latency::{Catalog, CheckRequest, LatencyPolicy, ModelId, Operation};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let haiku = ModelId::parse("us.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
    let nova_base = ModelId::parse("amazon.nova-pro-v1:0").unwrap();
    let mut g = c.benchmark_group("check");
    // (name, model, region, operation, latency): one check each.
    #[rustfmt::skip]
    let cases = [
        ("optimized_honored", &haiku, "us-east-2", Converse, Optimized),
        ("optimized_refused_region", &haiku, "us-east-1", Converse, Optimized),
        ("optimized_base_id_substituted", &nova_base, "us-east-1", Converse, Optimized),
        ("standard", &haiku, "us-east-1", InvokeModel, Standard),
    ];
    for (name, model, region, operation, policy) in cases {
        g.bench_function(name, |b| {
            b.iter(|| catalog.check(black_box(&CheckRequest::new(model, region, operation, policy))))
        });
    }
    g.bench_function("parse_and_check", |b| {
        b.iter(|| {
            let id = ModelId::parse(black_box("us.anthropic.claude-3-5-haiku-20241022-v1:0")).unwrap();
            catalog
                .check(&CheckRequest::new(&id, "us-east-2", Converse, Optimized))
                .is_ok()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
