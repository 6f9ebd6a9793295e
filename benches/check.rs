//! The cost of the catalog check: it must stay well under a microsecond, so
//! that checking every request before sending it costs nothing measurable.
//!
//! Run: `cargo bench --bench check`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use bedrock_latency::{Catalog, CheckRequest, LatencyPolicy, ModelId, Operation};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let haiku = ModelId::parse("us.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
    let nova_base = ModelId::parse("amazon.nova-pro-v1:0").unwrap();
    let mut g = c.benchmark_group("check");
    g.bench_function("optimized_honored", |b| {
        b.iter(|| {
            catalog.check(black_box(&CheckRequest::new(
                &haiku,
                "us-east-2",
                Operation::Converse,
                LatencyPolicy::Optimized,
            )))
        })
    });
    g.bench_function("optimized_refused_region", |b| {
        b.iter(|| {
            catalog.check(black_box(&CheckRequest::new(
                &haiku,
                "us-east-1",
                Operation::Converse,
                LatencyPolicy::Optimized,
            )))
        })
    });
    g.bench_function("optimized_base_id_substituted", |b| {
        b.iter(|| {
            catalog.check(black_box(&CheckRequest::new(
                &nova_base,
                "us-east-1",
                Operation::Converse,
                LatencyPolicy::Optimized,
            )))
        })
    });
    g.bench_function("standard", |b| {
        b.iter(|| {
            catalog.check(black_box(&CheckRequest::new(
                &haiku,
                "us-east-1",
                Operation::InvokeModel,
                LatencyPolicy::Standard,
            )))
        })
    });
    g.bench_function("parse_and_check", |b| {
        b.iter(|| {
            let id = ModelId::parse(black_box("us.anthropic.claude-3-5-haiku-20241022-v1:0")).unwrap();
            catalog
                .check(&CheckRequest::new(
                    &id,
                    "us-east-2",
                    Operation::Converse,
                    LatencyPolicy::Optimized,
                ))
                .is_ok()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
