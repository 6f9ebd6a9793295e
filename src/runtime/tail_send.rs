//! Sending one bedrock-runtime input with hedging and failover: the
//! targets (the planned region, then every other permitted region the
//! planner says serves the request the same way), a hedged race per
//! attempt, and failover across the targets.
//!
//! Only the plain path (`call/send.rs`) runs when neither is on; this one is
//! boxed by the builders, so that it adds nothing to their futures.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_bedrockruntime as sdk;
use futures_util::StreamExt;
use sdk::operation::converse::ConverseOutput;

use super::api::{RawConverseStream, RawInvokeModelStream, as_sdk};
use super::send::{InvokeModelSent, RuntimeInput, RuntimeSend, SdkConfigMap, send};
use super::{BedrockRuntimeApi, RuntimeSide};
use crate::call::{
    Backup, Call, EventStream, PendingTail, Question, TailSettings, TimeKey, WithRequestId, race, run_with_failover,
    same_region,
};
use crate::catalog::TokenPrice;
use crate::check::Plan;
use crate::report::{Attempt, AttemptOutcome, HedgeReport, HedgeSkipped, HedgeWinner, TailReport};
use crate::tail::{Hedge, HedgeDelay, HedgeTarget};
use crate::vocab::Latency;
use crate::{Error, Result};

/// Events read into memory while waiting for the first token, at most.
const MAX_BUFFERED: usize = 64;

/// An SDK input builder that hedging and failover can send more than once.
pub(crate) trait TailInput: RuntimeInput<Output: Answer> + Clone {
    /// The input for another plan: its model ID, latency and service tier
    /// (set last, as the plain path does; a plan that sends no tier clears
    /// the first plan's).
    fn for_plan(self, plan: &Plan) -> Self;
}

/// [`TailInput`] for input builders whose `for_plan` is `$for_plan`
/// (one function per family of builders).
macro_rules! tail_input {
    ($for_plan:ident: $($input:ty),*) => {$(
        impl $crate::runtime::tail_send::TailInput for $input {
            fn for_plan(self, plan: &$crate::check::Plan) -> Self {
                $for_plan(self, plan)
            }
        }
    )*};
}
pub(super) use tail_input;

/// What a request answers with, as hedging sees it: whole (in at once) or a
/// stream (in once its first token is).
pub(crate) trait Answer: Sized + Send {
    /// Whether the answer is a stream (first token wins) or whole.
    const STREAM: bool = false;
    /// Resolves once the answer's first token is in (streams; the events
    /// read are kept) or at once (whole answers).
    fn first_token(self) -> impl Future<Output = Result<Self>> + Send {
        std::future::ready(Ok(self))
    }
}

impl Answer for WithRequestId<ConverseOutput> {}

impl Answer for InvokeModelSent {}

/// [`Answer`] for the streams: the events up to the first that matches
/// the row's pattern (the first token) are read and kept.
macro_rules! streamed_answer {
    ($($raw:ty => $token:pat,)*) => {$(
        impl Answer for $raw {
            const STREAM: bool = true;
            async fn first_token(mut self) -> Result<Self> {
                self.events = until_first(self.events, |e| matches!(e, $token)).await?;
                Ok(self)
            }
        }
    )*};
}

streamed_answer! {
    RawConverseStream => sdk::types::ConverseStreamOutput::ContentBlockDelta(_),
    RawInvokeModelStream => sdk::types::ResponseStream::Chunk(_),
}

/// Reads `events` until the first one that `is_token` (or an error, or
/// [`MAX_BUFFERED`] events), and gives back a stream of the same events.
async fn until_first<T: Send + 'static>(
    mut events: EventStream<T>,
    is_token: impl Fn(&T) -> bool + Send,
) -> Result<EventStream<T>> {
    let mut seen = Vec::new();
    while let Some(ev) = events.next().await {
        let ev = ev?;
        let token = is_token(&ev);
        seen.push(ev);
        if token || seen.len() >= MAX_BUFFERED {
            break;
        }
    }
    Ok(Box::pin(
        futures_util::stream::iter(seen.into_iter().map(Ok)).chain(events),
    ))
}

/// A tail-managed call: where its request may go and how.
pub(crate) struct TailCall<'a, R> {
    pub(crate) side: &'a RuntimeSide<R>,
    /// The question (its tier policy included: each target's plan says
    /// which tier it sends).
    pub(crate) question: Question<'a>,
    pub(crate) settings: TailSettings,
}

impl<'a, R> TailCall<'a, R> {
    pub(crate) fn new(side: &'a RuntimeSide<R>, question: Question<'a>, settings: TailSettings) -> Self {
        TailCall {
            side,
            question,
            settings,
        }
    }
}

/// The tail branch of a builder's `send`: boxed, so that the plain path's
/// future stays as small as it was; `call` learns which plan served.
pub(crate) async fn send_for_call<R: BedrockRuntimeApi, I: TailInput + RuntimeSend<R>>(
    tc: TailCall<'_, R>,
    input: I,
    config: Option<SdkConfigMap>,
    call: &mut Call,
) -> Result<I::Output> {
    let region = tc.side.region().to_owned();
    let sent = Box::pin(send_tail(tc, input, config, &call.span)).await?;
    call.served_by(&sent.plan, &region, sent.tail);
    Ok(sent.output)
}

/// What a tail-managed call answered with, and what it did.
pub(crate) struct TailSent<O> {
    pub(crate) output: O,
    /// The plan of the request that answered.
    pub(crate) plan: Arc<Plan>,
    pub(crate) tail: PendingTail,
}

/// The configuration change of one request: the caller's
/// `map_sdk_config` (applied once, to the first target's configuration)
/// with the target's region, and the bound on the SDK's own retries.
fn leg_config(derived: Option<&sdk::config::Builder>, region: &str, sdk_attempts: Option<u32>) -> Option<SdkConfigMap> {
    let retry = sdk_attempts.map(|n| sdk::config::retry::RetryConfig::standard().with_max_attempts(n));
    match (derived, retry) {
        (None, None) => None,
        (Some(b), retry) => {
            let b = b.clone().region(sdk::config::Region::new(region.to_owned()));
            Some(Box::new(move |_| match retry {
                Some(r) => b.retry_config(r),
                None => b,
            }))
        }
        (None, Some(r)) => Some(Box::new(move |b: sdk::config::Builder| b.retry_config(r))),
    }
}

/// The hedge's delay for `key`, or why there is none yet.
fn hedge_delay(h: &Hedge, side: &RuntimeSide<impl Sized>, key: &TimeKey) -> Result<std::time::Duration, HedgeSkipped> {
    match h.delay() {
        HedgeDelay::Fixed(d) => Ok(d),
        HedgeDelay::Percentile(p) => side
            .tail
            .observed
            .percentile(key, p, h.samples_needed())
            .ok_or(HedgeSkipped::TooFewSamples),
    }
}

/// Where the backup of an attempt on target `i` goes.
fn backup_target(h: &Hedge, i: usize, targets: usize) -> usize {
    match h.hedge_target() {
        HedgeTarget::SameRegion => i,
        HedgeTarget::PreferOtherRegion => (1..targets).map(|k| (i + k) % targets).next().unwrap_or(i),
    }
}

/// Where a request may go: the plans and their services, the planned one
/// first.
type Targets<'a, R> = [(Arc<Plan>, &'a R)];

/// What one attempt answered with: the output, the target that served it,
/// and with hedging the hedge's report and the target that lost.
type Attempted<O> = (O, usize, Option<(HedgeReport, usize)>);

/// The caller's `map_sdk_config` applied to the first target's SDK
/// configuration (each request then sets its own region on it), when the
/// first target is the AWS SDK.
fn derived_config<R: BedrockRuntimeApi, I: TailInput>(
    config: Option<SdkConfigMap>,
    targets: &Targets<'_, R>,
) -> Result<Option<sdk::config::Builder>> {
    let (Some(f), Some(s)) = (config, targets.first().and_then(|(_, api)| as_sdk(*api))) else {
        return Ok(None);
    };
    let base = I::sdk_client(s).config();
    let b = f(base.to_builder());
    // As on the plain path: a per-call configuration keeps the region.
    same_region(
        base.region().map(|r| r.as_ref()),
        b.clone().build().region().map(|r| r.as_ref()),
    )?;
    Ok(Some(b))
}

/// Sends `input` (filled for the first target's plan) with the call's
/// hedging and failover. See the module docs.
pub(crate) async fn send_tail<R: BedrockRuntimeApi, I: TailInput + RuntimeSend<R>>(
    tc: TailCall<'_, R>,
    input: I,
    config: Option<SdkConfigMap>,
    span: &tracing::Span,
) -> Result<TailSent<I::Output>> {
    let TailCall {
        side,
        question: q,
        settings,
    } = tc;
    let start = tokio::time::Instant::now();
    let targets = side.targets(q)?;
    let derived = derived_config::<R, I>(config, &targets)?;
    let sdk_attempts = settings.failover.as_ref().map(|f| f.sdk_attempts());
    let (targets, derived, input) = (&targets, derived.as_ref(), &input);
    let leg = move |k: usize| {
        let (plan, api) = &targets[k];
        let input = input.clone().for_plan(plan);
        let config = leg_config(derived, &plan.region, sdk_attempts);
        async move { send(*api, input, config, span).await?.first_token().await }
    };
    let backups = AtomicU32::new(0);
    let model = q.model.map(|m| m.as_str().to_owned()).unwrap_or_default();
    let attempt = |i: usize| {
        let plan = &targets[i].0;
        let key = TimeKey {
            model: model.clone(),
            region: plan.region.clone(),
            latency: plan.latency,
            tier: plan.service_tier,
            stream: <I::Output as Answer>::STREAM,
        };
        let (hedge, backups) = (settings.hedge.as_ref(), &backups);
        async move {
            match hedge {
                None => leg(i).await.map(|out| (out, i, None)),
                Some(h) => {
                    hedged(
                        Hedged {
                            h,
                            side,
                            targets,
                            i,
                            key,
                        },
                        backups,
                        leg,
                    )
                    .await
                }
            }
        }
    };
    let regions: Vec<(&str, Latency)> = targets.iter().map(|(p, _)| (p.region.as_str(), p.latency)).collect();
    let ended = run_with_failover(settings.failover.as_ref(), &regions, attempt).await;
    let attempts = ended.failures;
    match ended.result {
        Ok((attempted, _)) => {
            let done = Done {
                side,
                q,
                targets,
                elapsed: start.elapsed(),
                backups: backups.load(Ordering::Relaxed),
            };
            Ok(done.served(attempted, attempts))
        }
        Err(e) if attempts.len() > 1 => Err(Error::FailedOver {
            operation: q.operation,
            regions: attempts.into_iter().map(|a| a.region).collect(),
            source: Box::new(e),
        }),
        Err(e) => Err(e),
    }
}

/// A tail-managed call that has ended.
struct Done<'a, 't, R> {
    side: &'a RuntimeSide<R>,
    q: Question<'a>,
    targets: &'a Targets<'t, R>,
    elapsed: std::time::Duration,
    backups: u32,
}

impl<R> Done<'_, '_, R> {
    /// The answer of the attempt that served, with the tail's report: the
    /// failed `attempts` and the served one, the hedge's report, and the
    /// price of the losing request when a backup was sent.
    fn served<O>(self, (output, won, hedge): Attempted<O>, mut attempts: Vec<Attempt>) -> TailSent<O> {
        let plan = Arc::clone(&self.targets[won].0);
        attempts.push(Attempt {
            region: plan.region.clone(),
            latency: plan.latency,
            outcome: AttemptOutcome::Served,
            elapsed: self.elapsed,
        });
        let loser_price = hedge
            .as_ref()
            .filter(|(h, _)| h.backup_sent())
            .and_then(|(_, lost)| price(self.side, self.q, self.targets[*lost].0.latency));
        let tail = PendingTail {
            report: TailReport {
                attempts,
                hedge: hedge.map(|(h, _)| h),
                backups_sent: self.backups,
            },
            loser_price,
        };
        TailSent { output, plan, tail }
    }
}

/// One hedged attempt: hedge `h`, on target `i` of `targets`, timed under
/// `key`.
struct Hedged<'a, 't, R> {
    h: &'a Hedge,
    side: &'a RuntimeSide<R>,
    targets: &'a Targets<'t, R>,
    i: usize,
    key: TimeKey,
}

/// Sends the request to target `i` (`leg(i)`) and, once the hedge's delay
/// has passed without an answer and the budget admits it, its backup;
/// the first answer wins. `backups` counts the backups sent.
async fn hedged<R, O, F, Fut>(a: Hedged<'_, '_, R>, backups: &AtomicU32, leg: F) -> Result<Attempted<O>>
where
    F: Fn(usize) -> Fut + Copy,
    Fut: Future<Output = Result<O>>,
{
    let Hedged {
        h,
        side,
        targets,
        i,
        key,
    } = a;
    side.tail.budget.request();
    let j = backup_target(h, i, targets.len());
    let (delay, skipped) = match hedge_delay(h, side, &key) {
        Ok(d) => (Some(d), None),
        Err(why) => (None, Some(why)),
    };
    let backup = delay.map(|delay| Backup {
        delay,
        send: move || leg(j),
        admit: || side.tail.budget.try_backup(h.cap_window(), h.max_extra_fraction()),
    });
    let raced = race(leg(i), backup).await;
    if let Some(t) = raced.primary_time {
        side.tail.observed.record(&key, t);
    }
    if raced.backup_sent {
        backups.fetch_add(1, Ordering::Relaxed);
    }
    let (won, lost) = match raced.winner {
        HedgeWinner::Primary => (i, j),
        HedgeWinner::Backup => (j, i),
    };
    let report = HedgeReport {
        delay,
        backup_region: raced.backup_sent.then(|| targets[j].0.region.clone()),
        skipped: skipped.or(raced.skipped),
        winner: raced.winner,
        extra_tokens: None,
        extra_cost_usd: None,
    };
    raced.result.map(|out| (out, won, Some((report, lost))))
}

/// The catalog's price of the request's model at `latency`.
fn price<R>(side: &RuntimeSide<R>, q: Question<'_>, latency: Latency) -> Option<TokenPrice> {
    let entry = side.planner.catalog().model(q.model?)?;
    entry.prices.as_ref()?.for_latency(latency)
}
