//! A declarative tail-latency policy: what matters (the median or the
//! tail of time to first token) and what it may cost, turned into
//! latency-optimized inference, the priority tier, hedging and failover
//! for one model and operation.
//!
//! ```
//! use bedrock_latency::policy::TailPolicy;
//! let policy: TailPolicy = serde_json::from_str(
//!     r#"{"target_percentile": 99, "max_extra_cost_percent": 40}"#,
//! )?;
//! assert!(policy.failover);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! The levers, and what each trades (also in the README):
//!
//! | lever | moves | costs | where |
//! |---|---|---|---|
//! | optimized latency | the whole distribution, median included | the catalog's premium (about +25 %) | some models, some regions (preview); a used-up quota quietly serves standard |
//! | priority tier | faster under load | about +75 % (secondary sources; set `priority_premium_percent`) | per-model support |
//! | hedging | the tail only (p99), not the median | at most `hedge_max_extra_percent` more requests; the loser's tokens may be billed | anywhere the request is served as asked |
//! | failover | availability under throttling and outages | nothing for a failed attempt (no answer, no tokens) | the client's permitted regions |
//!
//! [`TailPolicy::decide`] picks, within `max_extra_cost_percent`: optimized
//! latency first when the catalog says the client can be served it (it
//! moves the median and the tail); else the priority tier when its premium
//! fits; then hedging when the target is a tail percentile (90 or more) and
//! its worst-case extra fits what is left. Failover costs nothing extra and
//! is on unless turned off.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::client::Client;
use crate::model_id::ModelId;
use crate::tail::{Decision, Failover, Hedge};
use crate::vocab::{Latency, LatencyPolicy, Operation, ServiceTier};

/// What matters and what it may cost. Every field has a default, so a
/// configuration file names only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TailPolicy {
    /// The time-to-first-token percentile to improve: 50 is the median, 99
    /// the tail (default 99).
    pub target_percentile: f64,
    /// The most extra cost accepted, in percent of the same request at
    /// standard latency on the default tier (default 40: optimized latency
    /// and hedging together).
    pub max_extra_cost_percent: f64,
    /// The priority tier's premium in percent. Default 75: reported by
    /// secondary sources (bedrock-facts.md section 3, read 2026-11-26); AWS
    /// publishes per-model prices, set yours.
    pub priority_premium_percent: f64,
    /// Whether the priority tier may be chosen (default true). Support is
    /// per model and region: it is chosen only where the catalog says it is
    /// served (the check every request goes through).
    pub allow_priority: bool,
    /// Hedge at this percentile of observed time to first token (default 95).
    pub hedge_at_percentile: f64,
    /// At most this many extra requests, in percent, for hedging (default 10).
    pub hedge_max_extra_percent: f64,
    /// Regional failover (default true).
    pub failover: bool,
    /// Failover attempts in all (default 3).
    pub failover_attempts: u32,
}

impl Default for TailPolicy {
    fn default() -> Self {
        TailPolicy {
            target_percentile: 99.0,
            max_extra_cost_percent: 40.0,
            priority_premium_percent: 75.0,
            allow_priority: true,
            hedge_at_percentile: 95.0,
            hedge_max_extra_percent: 10.0,
            failover: true,
            failover_attempts: 3,
        }
    }
}

impl TailPolicy {
    /// Reads a policy from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| crate::Error::Config {
            reason: format!("tail policy: {e}"),
        })
    }

    /// Reads a policy from TOML text (feature `toml`).
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| crate::Error::Config {
            reason: format!("tail policy: {}", e.message()),
        })
    }

    /// The hedge this policy asks for.
    pub fn hedge(&self) -> Hedge {
        Hedge::at_percentile(self.hedge_at_percentile).max_extra(self.hedge_max_extra_percent / 100.0)
    }

    /// The failover this policy asks for, if on.
    pub fn failover(&self) -> Option<Failover> {
        self.failover.then(|| Failover::new().attempts(self.failover_attempts))
    }

    /// What to send for `model` on `operation` from `client` (its region,
    /// routes and catalog): see the module docs for the rule. Fails only
    /// when the model cannot be planned at all.
    pub fn decide<R, A>(&self, client: &Client<R, A>, model: &ModelId, operation: Operation) -> Result<Decision> {
        let mut reasons = Vec::new();
        let mut left = finite_or(self.max_extra_cost_percent, 0.0).max(0.0);
        // Standard must be plannable, or nothing is.
        client.plan(model, operation, LatencyPolicy::Standard)?;
        let optimized = client.plan(model, operation, LatencyPolicy::Optimized).ok();
        let premium = optimized_premium(client, model);
        let mut latency = LatencyPolicy::Standard;
        match (&optimized, premium) {
            (Some(plan), Some(p)) if p <= left => {
                latency = LatencyPolicy::Optimized;
                left -= p;
                reasons.push(format!(
                    "optimized latency: served from {} at +{p:.0} % (moves the median and the tail)",
                    plan.region
                ));
            }
            (Some(_), Some(p)) => {
                reasons.push(format!("optimized latency off: +{p:.0} % is over the {left:.0} % left"))
            }
            (Some(_), None) => reasons.push("optimized latency off: the catalog has no prices for it".to_owned()),
            (None, _) => {
                reasons.push("optimized latency off: not served for this model, operation and region".to_owned())
            }
        }
        let mut tier = None;
        let priority = finite_or(self.priority_premium_percent, f64::INFINITY);
        if latency == LatencyPolicy::Standard && self.allow_priority {
            // The catalog's word on the tier, as the request would get it.
            let offered = client
                .plan_with_tier(model, operation, LatencyPolicy::Standard, ServiceTier::Priority)
                .is_ok();
            if !offered {
                reasons.push("priority tier off: not offered for this model, operation and region".to_owned());
            } else if priority <= left {
                tier = Some(ServiceTier::Priority);
                left -= priority;
                reasons.push(format!("priority tier: +{priority:.0} % (faster under load)"));
            } else {
                reasons.push(format!(
                    "priority tier off: +{priority:.0} % is over the {left:.0} % left"
                ));
            }
        }
        let hedge_cost = finite_or(self.hedge_max_extra_percent, 0.0).max(0.0);
        let hedge = if self.target_percentile >= 90.0 && hedge_cost <= left && hedge_cost > 0.0 {
            reasons.push(format!(
                "hedging at the observed p{:.0}: at most +{hedge_cost:.0} % requests (cuts the tail)",
                self.hedge_at_percentile
            ));
            Some(self.hedge())
        } else {
            reasons.push(format!(
                "hedging off: {}",
                if self.target_percentile < 90.0 {
                    "the target is not a tail percentile (hedging does not move the median)".to_owned()
                } else {
                    format!("+{hedge_cost:.0} % requests is over the {left:.0} % left")
                }
            ));
            None
        };
        let failover = self.failover();
        reasons.push(if failover.is_some() {
            "failover: on (a failed attempt costs nothing)".to_owned()
        } else {
            "failover: off".to_owned()
        });
        Ok(Decision {
            latency,
            tier,
            hedge,
            failover,
            reasons,
        })
    }

    /// Sets the policy's hedging and failover as the client's defaults.
    pub fn configure<R, A>(&self, builder: crate::ClientBuilder<R, A>) -> crate::ClientBuilder<R, A> {
        let b = if self.target_percentile >= 90.0 && self.hedge_max_extra_percent > 0.0 {
            builder.hedge(self.hedge())
        } else {
            builder
        };
        match self.failover() {
            Some(f) => b.failover(f),
            None => b,
        }
    }
}

fn finite_or(v: f64, or: f64) -> f64 {
    if v.is_finite() { v } else { or }
}

/// Optimized over standard, in percent, for a request of 1,000 input and
/// 1,000 output tokens, from the catalog's prices.
fn optimized_premium<R, A>(client: &Client<R, A>, model: &ModelId) -> Option<f64> {
    let prices = client.catalog().model(model)?.prices.as_ref()?;
    let cost = |l: Latency| prices.for_latency(l).map(|p| p.cost(1000, 1000));
    let (standard, optimized) = (cost(Latency::Standard)?, cost(Latency::Optimized)?);
    (standard > 0.0).then(|| (optimized / standard - 1.0) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(region: &str) -> Client<crate::runtime::SdkRuntime> {
        let conf = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        Client::new(&conf)
    }

    fn nova() -> ModelId {
        ModelId::parse("us.amazon.nova-pro-v1:0").unwrap()
    }

    #[test]
    fn optimized_first_then_hedging_within_the_budget() {
        let d = TailPolicy::default()
            .decide(&client("us-east-1"), &nova(), Operation::ConverseStream)
            .unwrap();
        assert_eq!(d.latency, LatencyPolicy::Optimized, "{:?}", d.reasons);
        assert_eq!(d.tier, None);
        assert!(d.hedge.is_some() && d.failover.is_some(), "{:?}", d.reasons);
        // Where optimized is not served, priority if it fits, else nothing.
        let p = TailPolicy {
            max_extra_cost_percent: 100.0,
            ..TailPolicy::default()
        };
        let d = p
            .decide(&client("us-west-2"), &nova(), Operation::ConverseStream)
            .unwrap();
        assert_eq!(
            (d.latency, d.tier),
            (LatencyPolicy::Standard, Some(ServiceTier::Priority))
        );
        let d = TailPolicy::default()
            .decide(&client("us-west-2"), &nova(), Operation::Converse)
            .unwrap();
        assert_eq!((d.latency, d.tier), (LatencyPolicy::Standard, None));
        assert!(d.hedge.is_some(), "10 % fits in 40 %");
        // A model without the priority tier (catalog) is not given it.
        let llama = ModelId::parse("us.meta.llama3-1-70b-instruct-v1:0").unwrap();
        let d = p.decide(&client("us-east-1"), &llama, Operation::Converse).unwrap();
        assert_eq!((d.latency, d.tier), (LatencyPolicy::Standard, None));
        assert!(
            d.reasons.iter().any(|r| r.contains("priority tier off: not offered")),
            "{:?}",
            d.reasons
        );
    }

    #[test]
    fn a_median_target_does_not_hedge_and_a_tight_budget_buys_nothing() {
        let p = TailPolicy {
            target_percentile: 50.0,
            ..TailPolicy::default()
        };
        let d = p.decide(&client("us-east-1"), &nova(), Operation::Converse).unwrap();
        assert!(d.hedge.is_none());
        assert!(d.reasons.iter().any(|r| r.contains("median")), "{:?}", d.reasons);
        let p = TailPolicy {
            max_extra_cost_percent: 5.0,
            failover: false,
            ..TailPolicy::default()
        };
        let d = p.decide(&client("us-east-1"), &nova(), Operation::Converse).unwrap();
        assert_eq!(
            (d.latency, d.tier, d.hedge.is_some(), d.failover.is_some()),
            (LatencyPolicy::Standard, None, false, false)
        );
        assert!(TailPolicy::from_json(r#"{"target_percentile": 99, "nope": 1}"#).is_err());
    }
}
