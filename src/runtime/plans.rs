//! A client's memo of its recent checks.
//!
//! A check's answer depends only on its inputs, the client's catalog (fixed
//! once the client is built) and the date. Repeating it on every call is
//! cheap in a tight loop (about 0.5 us with parsing) but costs several
//! microseconds inside a real call, where its code and the catalog's data
//! have left the CPU caches (measured in `benches/overhead.rs`). So the
//! runtime side keeps the plans it made, keyed by those inputs and the day.

use std::sync::{Arc, PoisonError, RwLock};

use crate::catalog::Catalog;
use crate::check::{CheckRequest, Plan, Refusal};
use crate::date::Date;
use crate::model_id::ModelId;
use crate::vocab::{LatencyPolicy, Operation};

/// How many plans are kept; a service calls a handful of models.
const CAPACITY: usize = 32;

#[derive(Debug)]
struct Entry {
    model: String,
    region: String,
    operation: Operation,
    policy: LatencyPolicy,
    /// Days since 1970-01-01 (UTC) when the plan was made.
    day: i64,
    plan: Arc<Plan>,
}

/// Whether a plan is the same whatever the expected token count: the check
/// uses the count only for the [`Warning::TokenCap`](crate::Warning::TokenCap)
/// of an optimized plan on a model with a cap.
fn holds_for_any_count(plan: &Plan) -> bool {
    plan.token_cap().is_none()
}

/// Plans already made by one client, the oldest dropped first.
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    entries: RwLock<Vec<Entry>>,
}

impl PlanCache {
    /// `catalog.check` for these inputs, from the memo when it was made
    /// today. Refusals are not kept (they are not the path to make fast).
    /// The token count matters only to optimized plans of models with a
    /// token cap: those are made afresh for each count.
    pub(crate) fn check(
        &self,
        catalog: &Catalog,
        model: &ModelId,
        region: &str,
        operation: Operation,
        policy: LatencyPolicy,
        total_tokens: Option<u32>,
    ) -> Result<Arc<Plan>, Refusal> {
        // The day as a number: the calendar date is needed only on a miss.
        let day = Date::today_days();
        let same = |e: &Entry| {
            e.operation == operation
                && e.policy == policy
                && e.day == day
                && e.model == model.as_str()
                && e.region == region
        };
        let found = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|e| same(e) && (total_tokens.is_none() || holds_for_any_count(&e.plan)))
            .map(|e| Arc::clone(&e.plan));
        if let Some(plan) = found {
            return Ok(plan);
        }
        let mut req = CheckRequest::new(model, region, operation, policy).on(Date::from_days_since_epoch(day));
        if let Some(n) = total_tokens {
            req = req.total_tokens(n);
        }
        let plan = Arc::new(catalog.check(&req)?);
        if total_tokens.is_some() && !holds_for_any_count(&plan) {
            return Ok(plan);
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        // Another caller may have made it meanwhile; one copy is enough.
        entries.retain(|e| !same(e));
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push(Entry {
            model: model.as_str().to_owned(),
            region: region.to_owned(),
            operation,
            policy,
            day,
            plan: Arc::clone(&plan),
        });
        Ok(plan)
    }

    /// Forgets every plan (the catalog changed).
    pub(crate) fn clear(&self) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Latency, Warning};

    use LatencyPolicy::{Optimized, PreferOptimized, Standard};
    use Operation::{Converse, ConverseStream, InvokeModel};

    /// `cache.check` with the built-in catalog.
    fn ask(
        cache: &PlanCache,
        model: &str,
        region: &str,
        (op, policy): (Operation, LatencyPolicy),
        tokens: Option<u32>,
    ) -> Result<Arc<Plan>, Refusal> {
        let model = ModelId::parse(model).unwrap();
        cache.check(Catalog::builtin(), &model, region, op, policy, tokens)
    }

    /// The same question asked of the catalog itself.
    fn fresh(model: &str, region: &str, (op, policy): (Operation, LatencyPolicy), tokens: Option<u32>) -> Plan {
        let model = ModelId::parse(model).unwrap();
        let mut req = CheckRequest::new(&model, region, op, policy);
        if let Some(n) = tokens {
            req = req.total_tokens(n);
        }
        Catalog::builtin().check(&req).unwrap()
    }

    const NOVA: &str = "amazon.nova-pro-v1:0";

    #[test]
    fn a_repeated_check_is_answered_from_the_memo_and_equals_a_fresh_one() {
        let cache = PlanCache::default();
        let first = ask(&cache, NOVA, "us-east-1", (Converse, Optimized), None).unwrap();
        let again = ask(&cache, NOVA, "us-east-1", (Converse, Optimized), None).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second answer comes from the memo");
        assert_eq!(*again, fresh(NOVA, "us-east-1", (Converse, Optimized), None));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn every_input_is_part_of_the_key() {
        let cache = PlanCache::default();
        let base = ask(&cache, NOVA, "us-east-1", (Converse, Optimized), None).unwrap();
        assert_eq!(base.model_id, "us.amazon.nova-pro-v1:0");
        // Another policy, operation, region or model: another plan.
        let standard = ask(&cache, NOVA, "us-east-1", (Converse, Standard), None).unwrap();
        assert_eq!(standard.model_id, NOVA);
        let stream = ask(&cache, NOVA, "us-east-1", (ConverseStream, Optimized), None).unwrap();
        assert_eq!(stream.operation, ConverseStream);
        let east2 = ask(&cache, NOVA, "us-east-2", (Converse, Optimized), None).unwrap();
        assert_eq!(east2.region, "us-east-2");
        let lite = "amazon.nova-lite-v1:0";
        assert!(
            ask(&cache, lite, "us-east-1", (Converse, Optimized), None).is_err(),
            "no optimized latency"
        );
        assert_eq!(cache.len(), 4, "refusals are not kept");
        // A refusal stays a refusal when asked again.
        assert!(ask(&cache, lite, "us-east-1", (Converse, Optimized), None).is_err());
    }

    #[test]
    fn token_counts_matter_only_for_models_with_a_cap() {
        let cache = PlanCache::default();
        // Llama 3.1 405B is served optimized up to 11K total tokens. Over
        // the cap the plan still sends optimized (the service decides), with
        // a warning that carries the expected count.
        let llama = "meta.llama3-1-405b-instruct-v1:0";
        let q = (Converse, PreferOptimized);
        let expected = |n: Option<u32>| {
            let plan = ask(&cache, llama, "us-east-2", q, n).unwrap();
            assert_eq!(*plan, fresh(llama, "us-east-2", q, n));
            plan.warnings.iter().find_map(|w| match w {
                Warning::TokenCap { expected, .. } => Some(*expected),
                _ => None,
            })
        };
        assert_eq!(expected(Some(100)), Some(Some(100)));
        assert_eq!(expected(Some(20_000)), Some(Some(20_000)));
        assert_eq!(expected(Some(100)), Some(Some(100)));
        assert_eq!(expected(None), Some(None));
        assert_eq!(expected(Some(20_000)), Some(Some(20_000)), "not the memo of None");
        assert_eq!(cache.len(), 1, "only the plan without a count is kept");

        // Nova Pro has no cap: the count does not change the plan, so one is kept.
        let a = ask(&cache, NOVA, "us-east-1", (InvokeModel, Optimized), Some(10)).unwrap();
        let b = ask(&cache, NOVA, "us-east-1", (InvokeModel, Optimized), Some(50_000)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.latency, Latency::Optimized);
        assert_eq!(cache.len(), 2, "the Llama plan without a count and this one");
    }

    #[test]
    fn the_memo_stays_bounded_and_can_be_cleared() {
        let cache = PlanCache::default();
        // Unknown models are planned standard (with a warning): each is a new key.
        for i in 0..(CAPACITY + 10) {
            ask(
                &cache,
                &format!("example.model-{i}-v1:0"),
                "us-east-1",
                (Converse, Standard),
                None,
            )
            .unwrap();
        }
        assert_eq!(cache.len(), CAPACITY);
        ask(&cache, NOVA, "us-east-1", (Converse, Optimized), None).unwrap();
        assert_eq!(cache.len(), CAPACITY);
        cache.clear();
        assert_eq!(cache.len(), 0);
    }
}
