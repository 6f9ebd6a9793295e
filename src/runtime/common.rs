//! What every bedrock-runtime request builder keeps alike, whatever its
//! operation: what is asked of latency and tier, hedging and failover, the
//! escape hatch and the first building error.

use aws_sdk_bedrockruntime as sdk;

use crate::Error;
use crate::call::{Escape, Question, TailChoice};
use crate::model_id::ModelId;
use crate::vocab::{LatencyPolicy, Operation, TierPolicy};

/// The settings every bedrock-runtime request builder has (set by
/// `request_methods!` and the escape hatch), for SDK input builder `B`.
pub(crate) struct Common<B> {
    pub(super) policy: LatencyPolicy,
    pub(super) tier: TierPolicy,
    pub(super) allow_unverified_tier: bool,
    pub(super) tail: TailChoice,
    pub(super) escape: Escape<B, sdk::config::Builder>,
    /// The first error met while building the request: the send returns it
    /// before anything is checked or sent.
    pub(super) error: Option<Error>,
}

impl<B> Default for Common<B> {
    fn default() -> Self {
        Self {
            policy: LatencyPolicy::Standard,
            tier: TierPolicy::Unset,
            allow_unverified_tier: false,
            tail: TailChoice::default(),
            escape: Escape::default(),
            error: None,
        }
    }
}

impl<B> Common<B> {
    /// The planner's question for `model` on `op`: the latency and tier
    /// asked for (the caller adds a token count where the model has a cap).
    pub(super) fn question<'a>(&self, model: &'a ModelId, op: Operation) -> Question<'a> {
        let mut q = Question::model(model, op, self.policy).tier(self.tier);
        q.allow_unverified_tier = self.allow_unverified_tier;
        q
    }

    /// Keeps the first building error (later ones follow from it).
    pub(super) fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }
}
