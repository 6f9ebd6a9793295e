//! The summary of a set of records: counts per tier and model, latency
//! percentiles per model and tier, calls that ran in another region. Built
//! record by record in bounded memory: at most [`MAX_MODELS`] model rows
//! (the rest are counted together as [`OTHER_MODELS`]), an HDR histogram per
//! model and tier, and the first [`MAX_CROSS_REGION`] cross-region calls.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Location, LogRecord, LoggedLatency};
use crate::stats::LatencyHistogram;

/// The most models summarized one by one; records of further models are
/// counted under [`OTHER_MODELS`].
pub const MAX_MODELS: usize = 256;

/// The row that counts the records of the models beyond [`MAX_MODELS`].
pub const OTHER_MODELS: &str = "(other models)";

/// The most cross-region calls listed ([`LogSummary::cross_region_count`]
/// counts them all).
pub const MAX_CROSS_REGION: usize = 100;

/// The longest model key or logged value a summary keeps, in bytes; longer
/// ones are cut (at a character boundary) and marked with `...`.
const MAX_KEPT: usize = 256;

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
    /// Per model (by base model ID), in ID order; at most [`MAX_MODELS`]
    /// rows plus one [`OTHER_MODELS`] row.
    pub models: Vec<ModelSummary>,
    /// Server latency percentiles per model and tier, for records that log it.
    pub latency: Vec<LatencyPercentiles>,
    /// The first [`MAX_CROSS_REGION`] records whose model ran in another
    /// region than the call was made from.
    pub cross_region: Vec<CrossRegion>,
    /// All records whose model ran in another region.
    pub cross_region_count: usize,
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

/// Server latency percentiles of one model and tier: nearest-rank over an
/// HDR histogram, exact below 2,048 ms and within 0.1% above.
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
        let mut builder = SummaryBuilder::default();
        records.iter().for_each(|r| builder.add(r));
        builder.summary(bad_lines)
    }
}

/// `s`, cut to [`MAX_KEPT`] bytes.
fn kept(s: &str) -> String {
    crate::model_id::truncate_to(s, MAX_KEPT)
}

/// One model's row and latency histograms (optimized, standard, unspecified).
#[derive(Debug)]
struct ModelState {
    summary: ModelSummary,
    latency: [Option<LatencyHistogram>; 3],
}

fn tier_index(tier: LoggedLatency) -> usize {
    match tier {
        LoggedLatency::Optimized => 0,
        LoggedLatency::Standard => 1,
        LoggedLatency::Unspecified => 2,
    }
}

/// A summary built record by record, in bounded memory.
#[derive(Debug, Default)]
pub(crate) struct SummaryBuilder {
    total: usize,
    tiers: [usize; 3],
    models: BTreeMap<String, ModelState>,
    other: Option<ModelState>,
    cross_region: Vec<CrossRegion>,
    cross_region_count: usize,
    cost_usd: f64,
    records_without_cost: usize,
}

impl SummaryBuilder {
    /// Counts one record.
    pub(crate) fn add(&mut self, r: &LogRecord) {
        self.total += 1;
        self.tiers[tier_index(r.latency)] += 1;
        let key = r.model_key();
        let new = |model: String| ModelState {
            summary: ModelSummary {
                model,
                name: None,
                records: 0,
                optimized: 0,
                standard: 0,
                unspecified: 0,
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: None,
            },
            latency: [None, None, None],
        };
        let state = if key.len() <= MAX_KEPT && self.models.contains_key(key) {
            self.models.get_mut(key)
        } else if self.models.len() < MAX_MODELS {
            Some(self.models.entry(kept(key)).or_insert_with_key(|k| new(k.clone())))
        } else {
            None
        };
        let state = match state {
            Some(state) => state,
            None => self.other.get_or_insert_with(|| new(OTHER_MODELS.to_owned())),
        };
        let m = &mut state.summary;
        if m.name.is_none() && m.model != OTHER_MODELS {
            m.name = r.model_name.as_deref().map(kept);
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
            state.latency[tier_index(r.latency)]
                .get_or_insert_with(LatencyHistogram::new)
                .record(ms);
        }
        if let (Some(region), Some(inference)) = (&r.region, &r.inference_region)
            && region != inference
        {
            self.cross_region_count += 1;
            if self.cross_region.len() < MAX_CROSS_REGION {
                self.cross_region.push(CrossRegion {
                    request_id: r.request_id.as_deref().map(kept),
                    model: kept(r.model_key()),
                    latency: r.latency,
                    region: kept(region),
                    inference_region: kept(inference),
                    location: r.location.clone(),
                });
            }
        }
        match r.cost_usd {
            Some(c) => self.cost_usd += c,
            None => self.records_without_cost += 1,
        }
    }

    /// The summary so far; `bad_lines` is carried over as is.
    pub(crate) fn summary(&self, bad_lines: usize) -> LogSummary {
        let states = self.models.values().chain(self.other.as_ref());
        let mut latency = Vec::new();
        for state in states.clone() {
            for tier in LoggedLatency::ALL {
                let Some(p) = state.latency[tier_index(tier)]
                    .as_ref()
                    .and_then(LatencyHistogram::percentiles)
                else {
                    continue;
                };
                latency.push(LatencyPercentiles {
                    model: state.summary.model.clone(),
                    latency: tier,
                    count: usize::try_from(p.count).unwrap_or(usize::MAX),
                    p50_ms: p.p50,
                    p90_ms: p.p90,
                    p99_ms: p.p99,
                });
            }
        }
        LogSummary {
            total: self.total,
            optimized: self.tiers[0],
            standard: self.tiers[1],
            unspecified: self.tiers[2],
            bad_lines,
            models: states.map(|s| s.summary.clone()).collect(),
            latency,
            cross_region: self.cross_region.clone(),
            cross_region_count: self.cross_region_count,
            cost_usd: self.cost_usd,
            records_without_cost: self.records_without_cost,
        }
    }
}
