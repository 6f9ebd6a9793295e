//! The summary of a set of records: counts per tier and model, latency
//! percentiles per model and tier, calls that ran in another region.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{Location, LogRecord, LoggedLatency};
use crate::compare::Percentiles;

/// Counts and figures over a set of records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogSummary {
    /// Records.
    pub total: usize,
    /// Records served latency-optimized.
    pub optimized: usize,
    /// Records served standard.
    pub standard: usize,
    /// Records without a latency setting.
    pub unspecified: usize,
    /// Lines that were not records.
    pub bad_lines: usize,
    /// Per model (by base model ID), in ID order.
    pub models: Vec<ModelSummary>,
    /// Server latency percentiles per model and tier, for records that log it.
    pub latency: Vec<LatencyPercentiles>,
    /// Records whose model ran in another region than the call was made from.
    pub cross_region: Vec<CrossRegion>,
    /// Estimated cost in USD of the records whose cost is known.
    pub cost_usd: f64,
    /// Records whose cost is unknown (model, price or token count missing).
    pub records_without_cost: usize,
}

/// One model's records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// The base model ID (or the logged ID when it does not parse).
    pub model: String,
    /// The model's name, when the catalog knows it.
    pub name: Option<String>,
    /// Records.
    pub records: usize,
    /// Records served latency-optimized.
    pub optimized: usize,
    /// Records served standard.
    pub standard: usize,
    /// Records without a latency setting.
    pub unspecified: usize,
    /// Input tokens of the records that log them.
    pub input_tokens: u64,
    /// Output tokens of the records that log them.
    pub output_tokens: u64,
    /// Estimated cost in USD of the records whose cost is known; `None` when
    /// no record's is.
    pub cost_usd: Option<f64>,
}

/// Server latency percentiles (nearest-rank) of one model and tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LatencyPercentiles {
    /// The base model ID (or the logged ID).
    pub model: String,
    /// The tier.
    pub latency: LoggedLatency,
    /// Records with a server latency.
    pub count: usize,
    /// Median, in milliseconds.
    pub p50_ms: u64,
    /// 90th percentile, in milliseconds.
    pub p90_ms: u64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: u64,
}

/// A record whose model ran in another region than the call was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossRegion {
    /// `requestId`.
    pub request_id: Option<String>,
    /// The base model ID (or the logged ID).
    pub model: String,
    /// The tier.
    pub latency: LoggedLatency,
    /// Where the call was made.
    pub region: String,
    /// Where the model ran.
    pub inference_region: String,
    /// Where the record was read.
    #[serde(flatten)]
    pub location: Location,
}

impl LogSummary {
    /// Summarizes `records`; `bad_lines` is carried over as is.
    pub fn of(records: &[LogRecord], bad_lines: usize) -> Self {
        let count = |tier: LoggedLatency| records.iter().filter(|r| r.latency == tier).count();
        let mut models: BTreeMap<&str, ModelSummary> = BTreeMap::new();
        let mut latencies: BTreeMap<(&str, LoggedLatency), Vec<Duration>> = BTreeMap::new();
        for r in records {
            let key = r.model_key();
            let m = models.entry(key).or_insert_with(|| ModelSummary {
                model: key.to_owned(),
                name: None,
                records: 0,
                optimized: 0,
                standard: 0,
                unspecified: 0,
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: None,
            });
            if m.name.is_none() {
                m.name.clone_from(&r.model_name);
            }
            m.records += 1;
            *match r.latency {
                LoggedLatency::Optimized => &mut m.optimized,
                LoggedLatency::Standard => &mut m.standard,
                LoggedLatency::Unspecified => &mut m.unspecified,
            } += 1;
            m.input_tokens = m.input_tokens.saturating_add(r.input_tokens.unwrap_or(0));
            m.output_tokens = m.output_tokens.saturating_add(r.output_tokens.unwrap_or(0));
            if let Some(c) = r.cost_usd {
                m.cost_usd = Some(m.cost_usd.unwrap_or(0.0) + c);
            }
            if let Some(ms) = r.latency_ms {
                latencies
                    .entry((key, r.latency))
                    .or_default()
                    .push(Duration::from_millis(ms));
            }
        }
        let latency = latencies
            .into_iter()
            .filter_map(|((model, tier), values)| {
                let p = Percentiles::of(&values)?;
                let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                Some(LatencyPercentiles {
                    model: model.to_owned(),
                    latency: tier,
                    count: values.len(),
                    p50_ms: ms(p.p50),
                    p90_ms: ms(p.p90),
                    p99_ms: ms(p.p99),
                })
            })
            .collect();
        let cross_region = records
            .iter()
            .filter_map(|r| match (&r.region, &r.inference_region) {
                (Some(region), Some(inference)) if region != inference => Some(CrossRegion {
                    request_id: r.request_id.clone(),
                    model: r.model_key().to_owned(),
                    latency: r.latency,
                    region: region.clone(),
                    inference_region: inference.clone(),
                    location: r.location.clone(),
                }),
                _ => None,
            })
            .collect();
        LogSummary {
            total: records.len(),
            optimized: count(LoggedLatency::Optimized),
            standard: count(LoggedLatency::Standard),
            unspecified: count(LoggedLatency::Unspecified),
            bad_lines,
            models: models.into_values().collect(),
            latency,
            cross_region,
            cost_usd: records.iter().filter_map(|r| r.cost_usd).sum(),
            records_without_cost: records.iter().filter(|r| r.cost_usd.is_none()).count(),
        }
    }
}
