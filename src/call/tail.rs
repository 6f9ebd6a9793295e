//! What a client keeps for hedging and failover (its defaults, the times it
//! observed, its budget of backups), what a request asks for, and how a
//! call's [`TailReport`] is finished once the answer's usage is known.

use crate::catalog::TokenPrice;
use crate::report::{LatencyReport, Usage};
use crate::tail::{Failover, Hedge, TailReport};

use super::hedge::{Budget, Observed};

/// A client's hedging and failover: its defaults and shared state.
#[derive(Debug, Default)]
pub(crate) struct TailShared {
    pub(crate) hedge: Option<Hedge>,
    pub(crate) failover: Option<Failover>,
    pub(crate) observed: Observed,
    pub(crate) budget: Budget,
}

/// What one request asks for: `None` leaves the client's default, `Some`
/// sets it for this call (`Some(None)` turns it off).
#[derive(Debug, Clone, Default)]
pub(crate) struct TailChoice {
    pub(crate) hedge: Option<Option<Hedge>>,
    pub(crate) failover: Option<Option<Failover>>,
}

/// The settings a call runs with.
#[derive(Debug, Clone)]
pub(crate) struct TailSettings {
    pub(crate) hedge: Option<Hedge>,
    pub(crate) failover: Option<Failover>,
}

impl TailChoice {
    /// The call's settings over the client's defaults; `None` when neither
    /// hedging nor failover is on (the plain path).
    pub(crate) fn settings(&self, shared: &TailShared) -> Option<TailSettings> {
        let hedge = self.hedge.clone().unwrap_or_else(|| shared.hedge.clone());
        let failover = self.failover.clone().unwrap_or_else(|| shared.failover.clone());
        (hedge.is_some() || failover.is_some()).then_some(TailSettings { hedge, failover })
    }
}

/// A call's tail report, waiting for the answer's usage to price the
/// hedge's loser.
#[derive(Debug, Clone)]
pub(crate) struct PendingTail {
    pub(crate) report: TailReport,
    /// The loser's price (the catalog's, for its latency), when a backup
    /// was sent and the catalog has prices.
    pub(crate) loser_price: Option<TokenPrice>,
}

impl PendingTail {
    /// Puts the tail report into `report`, with the loser's tokens
    /// estimated from the answer's usage.
    pub(crate) fn settle(mut self, report: &mut LatencyReport) {
        if let (Some(h), Some(u)) = (&mut self.report.hedge, report.usage)
            && h.backup_sent()
        {
            let extra = Usage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
            };
            h.extra_cost_usd = self
                .loser_price
                .map(|p| p.cost(u64::from(extra.input_tokens), u64::from(extra.output_tokens)));
            h.extra_tokens = Some(extra);
        }
        report.tail = Some(self.report);
    }
}
