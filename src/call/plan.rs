//! The one planner: every operation, agents and flows included, is checked
//! here against the client's catalog, region, lifecycle policy and
//! permitted routes (latency, service tier and lifecycle alike: all of it is
//! [`Catalog::check`]), with a memo of recent checks.
//!
//! A check's answer depends only on its inputs, the client's catalog (fixed
//! once the client is built) and the date. Repeating it on every call is
//! cheap in a tight loop (about 0.5 us with parsing) but costs several
//! microseconds inside a real call, where its code and the catalog's data
//! have left the CPU caches (measured in `benches/overhead.rs`). So the
//! runtime side keeps the plans it made, keyed by those inputs and the day.

use std::sync::{Arc, PoisonError, RwLock};

use crate::catalog::Catalog;
use crate::check::{CheckRequest, Plan, Refusal, RefusalReason};
use crate::date::Date;
use crate::model_id::ModelId;
use crate::vocab::{LatencyPolicy, LifecyclePolicy, Operation, Service, TierPolicy};
use crate::{Error, Result};

/// Where a planned request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The client's own region.
    Home,
    /// The permitted route with this index (bedrock-runtime only).
    Routed(usize),
}

/// A plan and where to send it.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) plan: Arc<Plan>,
    pub(crate) route: Route,
}

/// What a request asks of the planner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Question<'a> {
    pub(crate) model: Option<&'a ModelId>,
    pub(crate) operation: Operation,
    pub(crate) policy: LatencyPolicy,
    pub(crate) tier: TierPolicy,
    pub(crate) total_tokens: Option<u32>,
    pub(crate) allow_unverified: bool,
    pub(crate) allow_unverified_tier: bool,
}

impl<'a> Question<'a> {
    /// A question about `model` on `operation`.
    pub(crate) fn model(model: &'a ModelId, operation: Operation, policy: LatencyPolicy) -> Self {
        Question {
            model: Some(model),
            ..Question::without_model(operation, policy)
        }
    }

    /// A question about an operation that names no model.
    pub(crate) fn without_model(operation: Operation, policy: LatencyPolicy) -> Self {
        Question {
            model: None,
            operation,
            policy,
            tier: TierPolicy::Unset,
            total_tokens: None,
            allow_unverified: false,
            allow_unverified_tier: false,
        }
    }

    /// The same question with a tier policy.
    pub(crate) fn tier(mut self, tier: TierPolicy) -> Self {
        self.tier = tier;
        self
    }
}

/// Checks requests for one client: its catalog, its region (the region its
/// services send to) and the regions it may route optimized requests to.
#[derive(Debug)]
pub(crate) struct Planner {
    catalog: Arc<Catalog>,
    region: Option<String>,
    routes: Vec<String>,
    lifecycle: LifecyclePolicy,
    cache: PlanCache,
}

impl Planner {
    pub(crate) fn new(catalog: Arc<Catalog>, region: Option<String>, routes: Vec<String>) -> Self {
        Planner {
            catalog,
            region,
            routes,
            lifecycle: LifecyclePolicy::Warn,
            cache: PlanCache::default(),
        }
    }

    /// The same planner with another lifecycle policy.
    pub(crate) fn with_lifecycle(mut self, lifecycle: LifecyclePolicy) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// The lifecycle policy every request is checked under.
    pub(crate) fn lifecycle(&self) -> LifecyclePolicy {
        self.lifecycle
    }

    /// The catalog in use.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The client's region, if it has one.
    pub(crate) fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The client's region, or the configuration error of a client without one.
    pub(crate) fn home(&self) -> Result<&str> {
        self.region().ok_or_else(|| Error::Config {
            reason: "the client has no region: the AWS configuration named none (set AWS_REGION, or \
                     `ClientBuilder::region` for services that are not the AWS SDK)"
                .to_owned(),
        })
    }

    /// The regions optimized requests may be routed to.
    pub(crate) fn routes(&self) -> &[String] {
        &self.routes
    }

    /// Plans a request: the client's own region, or a permitted route where
    /// the client's region does not serve the model optimized (bedrock-runtime
    /// operations only). A refusal is an error; nothing is sent.
    pub(crate) fn plan(&self, q: Question<'_>) -> Result<Planned> {
        let home = self.home()?;
        let check =
            |region: &str, policy: LatencyPolicy| self.cache.check(&self.catalog, q, self.lifecycle, region, policy);
        let routable = q.operation.service() == Service::BedrockRuntime && !self.routes.is_empty();
        match check(home, q.policy) {
            Ok(plan) if plan.fallback.is_none() || !routable => Ok(Planned {
                plan,
                route: Route::Home,
            }),
            own => {
                // Optimized is not served from here: try the permitted routes.
                let region_refused = match &own {
                    Ok(p) => matches!(p.fallback, Some(RefusalReason::RegionNotServed { .. })),
                    Err(r) => matches!(r.reason, RefusalReason::RegionNotServed { .. }),
                };
                if routable && region_refused {
                    for (i, region) in self.routes.iter().enumerate() {
                        if let Ok(plan) = check(region, LatencyPolicy::Optimized) {
                            return Ok(Planned {
                                plan,
                                route: Route::Routed(i),
                            });
                        }
                    }
                }
                match own {
                    Ok(plan) => Ok(Planned {
                        plan,
                        route: Route::Home,
                    }),
                    Err(refusal) => Err(refusal.into()),
                }
            }
        }
    }
}

impl Planner {
    /// The other regions that serve `q` the way `primary` does (the same
    /// latency and service tier sent), each checked by the catalog like any request: the
    /// client's own region first (when `primary` is routed), then the
    /// routes in order. Hedge backups and failover attempts go only there;
    /// agent-runtime operations have none (they are never routed).
    pub(crate) fn alternatives(&self, q: Question<'_>, primary: &Planned) -> Vec<Planned> {
        let (Ok(home), true) = (self.home(), q.operation.service() == Service::BedrockRuntime) else {
            return Vec::new();
        };
        let regions = std::iter::once((home, Route::Home)).chain(
            self.routes
                .iter()
                .enumerate()
                .map(|(i, r)| (r.as_str(), Route::Routed(i))),
        );
        regions
            .filter(|(_, route)| *route != primary.route)
            .filter_map(|(region, route)| {
                let plan = self
                    .cache
                    .check(&self.catalog, q, self.lifecycle, region, q.policy)
                    .ok()?;
                let same_way = plan.latency == primary.plan.latency && plan.service_tier == primary.plan.service_tier;
                (same_way && plan.region == region).then_some(Planned { plan, route })
            })
            .collect()
    }
}

/// How many plans are kept; a service calls a handful of models.
const CAPACITY: usize = 32;

#[derive(Debug)]
struct Entry {
    model: Option<String>,
    allow_unverified: bool,
    allow_unverified_tier: bool,
    region: String,
    operation: Operation,
    policy: LatencyPolicy,
    tier: TierPolicy,
    lifecycle: LifecyclePolicy,
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
        q: Question<'_>,
        lifecycle: LifecyclePolicy,
        region: &str,
        policy: LatencyPolicy,
    ) -> std::result::Result<Arc<Plan>, Refusal> {
        let Question {
            model,
            operation,
            tier,
            total_tokens,
            allow_unverified,
            allow_unverified_tier,
            ..
        } = q;
        // The day as a number: the calendar date is needed only on a miss.
        let day = Date::today_days();
        let same = |e: &Entry| {
            e.operation == operation
                && e.policy == policy
                && e.tier == tier
                && e.day == day
                && e.allow_unverified == allow_unverified
                && e.allow_unverified_tier == allow_unverified_tier
                && e.lifecycle == lifecycle
                && e.model.as_deref() == model.map(ModelId::as_str)
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
        let mut req = match model {
            Some(m) => CheckRequest::new(m, region, operation, policy),
            None => CheckRequest::without_model(region, operation, policy),
        }
        .on(Date::from_days_since_epoch(day))
        .service_tier(tier)
        .lifecycle(lifecycle);
        if let Some(n) = total_tokens {
            req = req.total_tokens(n);
        }
        if allow_unverified {
            req = req.allow_unverified();
        }
        if allow_unverified_tier {
            req = req.allow_unverified_tier();
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
            model: model.map(|m| m.as_str().to_owned()),
            allow_unverified,
            allow_unverified_tier,
            region: region.to_owned(),
            operation,
            policy,
            tier,
            lifecycle,
            day,
            plan: Arc::clone(&plan),
        });
        Ok(plan)
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
    ) -> std::result::Result<Arc<Plan>, Refusal> {
        let model = ModelId::parse(model).unwrap();
        let mut q = Question::model(&model, op, policy);
        q.total_tokens = tokens;
        cache.check(Catalog::builtin(), q, LifecyclePolicy::Warn, region, policy)
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
        assert_eq!(base.model_id.as_deref(), Some("us.amazon.nova-pro-v1:0"));
        // Another policy, operation, region or model: another plan.
        let standard = ask(&cache, NOVA, "us-east-1", (Converse, Standard), None).unwrap();
        assert_eq!(standard.model_id.as_deref(), Some(NOVA));
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
    fn the_tier_and_the_lifecycle_policy_are_part_of_the_key() {
        use crate::ServiceTier::Flex;
        let cache = PlanCache::default();
        let catalog = Catalog::builtin();
        let nova = ModelId::parse(NOVA).unwrap();
        let q = Question::model(&nova, Converse, Standard);
        let warn = LifecyclePolicy::Warn;
        let none = cache.check(catalog, q, warn, "us-east-1", Standard).unwrap();
        let flex = cache
            .check(catalog, q.tier(TierPolicy::Require(Flex)), warn, "us-east-1", Standard)
            .unwrap();
        assert_eq!((none.service_tier, flex.service_tier), (None, Some(Flex)));
        let prefer = cache
            .check(catalog, q.tier(TierPolicy::Prefer(Flex)), warn, "us-east-1", Standard)
            .unwrap();
        assert!(!Arc::ptr_eq(&flex, &prefer), "another policy, another plan");
        assert_eq!(prefer.tier_policy, TierPolicy::Prefer(Flex));
        // Not offered from sa-east-1: refused, however often asked.
        for _ in 0..2 {
            assert!(
                cache
                    .check(catalog, q.tier(TierPolicy::Require(Flex)), warn, "sa-east-1", Standard)
                    .is_err()
            );
        }
        // Past end of life: the strict answer is not the memo of the warning one.
        let haiku = ModelId::parse("us.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
        let q = Question::model(&haiku, Converse, Optimized);
        let warned = cache.check(catalog, q, warn, "us-east-2", Optimized).unwrap();
        assert!(warned.past_end_of_life());
        let strict = cache.check(catalog, q, LifecyclePolicy::Strict, "us-east-2", Optimized);
        assert!(matches!(
            strict.map_err(|r| r.reason),
            Err(RefusalReason::PastEndOfLife { .. })
        ));
        let again = cache.check(catalog, q, warn, "us-east-2", Optimized).unwrap();
        assert!(Arc::ptr_eq(&warned, &again));
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
    fn the_memo_stays_bounded() {
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
    }

    #[test]
    fn agents_and_flows_are_planned_by_the_same_check() {
        let planner = Planner::new(Arc::new(Catalog::builtin().clone()), Some("us-east-2".into()), vec![]);
        // InvokeAgent ignores the setting: optimized is refused, prefer falls back.
        let q = Question::without_model(Operation::InvokeAgent, Optimized);
        let e = planner.plan(q).unwrap_err();
        assert!(e.refusal().is_some_and(|r| r.model.is_none()), "{e}");
        let p = planner
            .plan(Question::without_model(Operation::InvokeAgent, PreferOptimized))
            .unwrap();
        assert_eq!(p.plan.latency, Latency::Standard);
        assert!(matches!(p.plan.fallback, Some(RefusalReason::OperationIgnores { .. })));
        // Flows: unverified, so refused unless the caller opted in.
        assert!(
            planner
                .plan(Question::without_model(Operation::InvokeFlow, Optimized))
                .is_err()
        );
        let mut q = Question::without_model(Operation::StartFlowExecution, Optimized);
        q.allow_unverified = true;
        let p = planner.plan(q).unwrap();
        assert_eq!(p.plan.latency, Latency::Optimized);
        assert_eq!(p.plan.treatment, Some(crate::Treatment::Unverified));
        assert_eq!(p.plan.model_id, None);
    }

    #[test]
    fn a_client_without_a_region_plans_nothing() {
        let planner = Planner::new(Arc::new(Catalog::builtin().clone()), None, vec![]);
        let model = ModelId::parse(NOVA).unwrap();
        let e = planner.plan(Question::model(&model, Converse, Standard)).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }

    /// A planner over the built-in catalog at `home`, with `routes`.
    fn routed(home: &str, routes: [&str; 2]) -> Planner {
        let routes = routes.iter().map(|r| (*r).to_owned()).collect();
        Planner::new(Arc::new(Catalog::builtin().clone()), Some(home.to_owned()), routes)
    }

    #[test]
    fn optimized_requests_take_a_permitted_route_where_home_does_not_serve_them() {
        let planner = routed("us-west-1", ["eu-west-1", "us-east-2"]);
        let model = ModelId::parse(NOVA).unwrap();
        let p = planner.plan(Question::model(&model, Converse, Optimized)).unwrap();
        assert_eq!(p.route, Route::Routed(1));
        assert_eq!(p.plan.region, "us-east-2");
        // A route is taken only where the whole check passes, the tier included.
        let q = Question::model(&model, Converse, Optimized).tier(TierPolicy::Require(crate::ServiceTier::Default));
        let p = planner.plan(q).unwrap();
        assert_eq!(
            (p.route, p.plan.service_tier),
            (Route::Routed(1), Some(crate::ServiceTier::Default))
        );
        let q = Question::model(&model, Converse, Optimized).tier(TierPolicy::Require(crate::ServiceTier::Flex));
        let e = planner.plan(q).unwrap_err();
        assert!(
            matches!(
                e.refusal().map(|r| &r.reason),
                Some(RefusalReason::RegionNotServed { .. })
            ),
            "flex with optimized is unverified in us-east-2 too: {e}"
        );
        // Agent-runtime operations are never routed.
        let p = planner.plan(Question::model(&model, Operation::InlineAgent, PreferOptimized));
        assert_eq!(p.unwrap().route, Route::Home);
    }

    #[test]
    fn alternatives_are_the_other_regions_that_serve_the_request_as_planned() {
        let planner = routed("us-east-1", ["us-west-2", "us-east-2"]);
        let model = ModelId::parse("us.amazon.nova-pro-v1:0").unwrap();
        // Optimized from us-east-1: only us-east-2 also serves Nova Pro optimized.
        let q = Question::model(&model, Converse, Optimized);
        let primary = planner.plan(q).unwrap();
        let alt = planner.alternatives(q, &primary);
        let regions: Vec<&str> = alt.iter().map(|p| p.plan.region.as_str()).collect();
        assert_eq!(regions, vec!["us-east-2"]);
        assert_eq!(alt[0].route, Route::Routed(1));
        // Standard: every other region.
        let q = Question::model(&model, Converse, Standard);
        let primary = planner.plan(q).unwrap();
        assert_eq!(planner.alternatives(q, &primary).len(), 2);
        // Prefer-optimized served optimized at home: the backups are optimized too.
        let q = Question::model(&model, Converse, PreferOptimized);
        let primary = planner.plan(q).unwrap();
        let alt = planner.alternatives(q, &primary);
        assert!(
            alt.iter()
                .all(|p| p.plan.latency == Latency::Optimized && p.plan.region == "us-east-2")
        );
        // Agent-runtime operations: none.
        let q = Question::model(&model, Operation::InlineAgent, Standard);
        let primary = planner.plan(q).unwrap();
        assert!(planner.alternatives(q, &primary).is_empty());
    }
}
