//! Tail-latency realism: seeded time-to-first-token distributions per region
//! and tier, throttling windows, region outages and a connect delay.
//!
//! Everything here is seeded by the endpoint's seed
//! ([`LocalBedrockBuilder::seed`](super::LocalBedrockBuilder::seed)): the
//! same seed gives the same samples in the same order of arrival. Windows
//! are measured from the endpoint's start (or its last reset).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::stats::Rng;
use crate::{Error, Latency};

/// The longest sampled time to first token: longer samples are cut to it.
pub const MAX_SAMPLE: Duration = Duration::from_secs(60);
/// Most parts of a mixture.
const MAX_PARTS: usize = 16;

const DIST_SYNTAX: &str = "fixed:MS, lognormal:MEDIAN_MS:SIGMA, or a mixture W*DIST+W*DIST (e.g. \
                           95*lognormal:20:0.25+5*lognormal:300:0.3)";

/// A seeded distribution of time to first token.
///
/// Text form (flags and configuration files): `fixed:MS`,
/// `lognormal:MEDIAN_MS:SIGMA`, or a mixture of those, `W*DIST+W*DIST`
/// with relative weights: `95*lognormal:20:0.25+5*lognormal:300:0.3` is a
/// log-normal body with a median of 20 ms and a 5 % heavy tail around
/// 300 ms.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always this long.
    Fixed(Duration),
    /// Log-normal: `median * exp(sigma * Z)` with `Z` standard normal.
    LogNormal {
        /// The median.
        median: Duration,
        /// The spread of `ln(time)`; 0 is fixed, 1 is very wide.
        sigma: f64,
    },
    /// One of the parts, picked with probability proportional to its weight.
    Mixture(Vec<(f64, Distribution)>),
}

impl Distribution {
    /// A log-normal body around `median` with a heavy tail: a fraction
    /// `tail_fraction` (0 to 1) of the samples come from a second log-normal
    /// around `tail_median`, with the same `sigma`.
    pub fn heavy_tail(median: Duration, sigma: f64, tail_fraction: f64, tail_median: Duration) -> Self {
        let f = if tail_fraction.is_finite() {
            tail_fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Distribution::Mixture(vec![
            (1.0 - f, Distribution::LogNormal { median, sigma }),
            (
                f,
                Distribution::LogNormal {
                    median: tail_median,
                    sigma,
                },
            ),
        ])
    }

    /// One sample, at most [`MAX_SAMPLE`]. Bad parameters (a negative or
    /// non-finite sigma or weight) are treated as 0.
    pub(crate) fn sample(&self, rng: &mut Rng) -> Duration {
        match self {
            Distribution::Fixed(d) => (*d).min(MAX_SAMPLE),
            Distribution::LogNormal { median, sigma } => {
                let sigma = if sigma.is_finite() { sigma.max(0.0) } else { 0.0 };
                let factor = (sigma * rng.normal()).exp();
                let secs = median.as_secs_f64() * factor;
                Duration::try_from_secs_f64(secs.min(MAX_SAMPLE.as_secs_f64())).unwrap_or(MAX_SAMPLE)
            }
            Distribution::Mixture(parts) => {
                let weight = |w: f64| if w.is_finite() { w.max(0.0) } else { 0.0 };
                let total: f64 = parts.iter().map(|(w, _)| weight(*w)).sum();
                let mut pick = rng.unit() * total;
                for (w, part) in parts {
                    pick -= weight(*w);
                    if pick < 0.0 {
                        return part.sample(rng);
                    }
                }
                parts.last().map_or(Duration::ZERO, |(_, p)| p.sample(rng))
            }
        }
    }
}

fn parse_ms(s: &str) -> Option<Duration> {
    let ms: f64 = s.trim().parse().ok()?;
    (ms.is_finite() && ms >= 0.0 && ms <= MAX_SAMPLE.as_secs_f64() * 1e3).then(|| Duration::from_secs_f64(ms / 1e3))
}

fn simple(s: &str) -> Option<Distribution> {
    let mut it = s.trim().split(':');
    match (it.next()?, it.next(), it.next(), it.next()) {
        ("fixed", Some(ms), None, None) => Some(Distribution::Fixed(parse_ms(ms)?)),
        ("lognormal", Some(ms), Some(sigma), None) => {
            let sigma: f64 = sigma.trim().parse().ok()?;
            (sigma.is_finite() && (0.0..=5.0).contains(&sigma)).then_some(())?;
            Some(Distribution::LogNormal {
                median: parse_ms(ms)?,
                sigma,
            })
        }
        _ => None,
    }
}

impl FromStr for Distribution {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::parse("time-to-first-token distribution", s, DIST_SYNTAX);
        if !s.contains('+') && !s.contains('*') {
            return simple(s).ok_or_else(bad);
        }
        let mut parts = Vec::new();
        for part in s.split('+') {
            let (w, d) = part.split_once('*').ok_or_else(bad)?;
            let w: f64 = w.trim().parse().map_err(|_| bad())?;
            if !w.is_finite() || w <= 0.0 || parts.len() >= MAX_PARTS {
                return Err(bad());
            }
            parts.push((w, simple(d).ok_or_else(bad)?));
        }
        Ok(Distribution::Mixture(parts))
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        match self {
            Distribution::Fixed(d) => write!(f, "fixed:{}", ms(d)),
            Distribution::LogNormal { median, sigma } => write!(f, "lognormal:{}:{sigma}", ms(median)),
            Distribution::Mixture(parts) => {
                for (i, (w, d)) in parts.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "+" };
                    write!(f, "{sep}{w}*{d}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where a distribution applies: a region (or every region) and a tier (or
/// both).
///
/// Text form: `[REGION][/TIER]=DIST`, e.g. `us-east-1/standard=lognormal:20:0.3`,
/// `*=fixed:30` (every region, both tiers).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRule {
    region: Option<String>,
    tier: Option<Latency>,
    pub(super) ttft: Distribution,
}

impl LatencyRule {
    /// `ttft` in every region, for both tiers.
    pub fn new(ttft: Distribution) -> Self {
        LatencyRule {
            region: None,
            tier: None,
            ttft,
        }
    }

    /// Only in `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Only for requests served with `tier`.
    pub fn tier(mut self, tier: Latency) -> Self {
        self.tier = Some(tier);
        self
    }

    pub(super) fn applies(&self, region: &str, tier: Latency) -> bool {
        self.region.as_deref().is_none_or(|r| r == region) && self.tier.is_none_or(|t| t == tier)
    }
}

impl FromStr for LatencyRule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::parse(
                "latency rule",
                s,
                "[REGION][/TIER]=DIST, e.g. us-east-1/standard=lognormal:20:0.3",
            )
        };
        let (scope, dist) = s.split_once('=').ok_or_else(bad)?;
        let mut rule = LatencyRule::new(dist.parse()?);
        let (region, tier) = match scope.split_once('/') {
            Some((r, t)) => (r, Some(t)),
            None => (scope, None),
        };
        if let Some(t) = tier {
            rule = rule.tier(t.parse().map_err(|_| bad())?);
        }
        let region = region.trim();
        if !region.is_empty() && region != "*" {
            rule = rule.region(region);
        }
        Ok(rule)
    }
}

/// A period in which a region answers HTTP 429 `ThrottlingException` to
/// every request, or to a fraction of them (seeded).
///
/// Text form: `REGION[,from=MS][,for=MS][,fraction=F]`, e.g.
/// `us-east-1,for=10000` (every request for 10 s from the start),
/// `us-west-2,fraction=0.3` (30 % of requests, always).
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleWindow {
    pub(super) region: String,
    pub(super) window: Window,
    pub(super) fraction: f64,
}

/// When a rule is active, from the endpoint's start or last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Window {
    from: Duration,
    lasting: Option<Duration>,
}

impl Window {
    pub(super) fn contains(&self, since_start: Duration) -> bool {
        since_start >= self.from && self.lasting.is_none_or(|l| since_start < self.from.saturating_add(l))
    }
}

/// The setters of a rule's [`Window`], the same on every rule that has one.
macro_rules! window_setters {
    ($($rule:ty),*) => {$(
        impl $rule {
            /// Starts `after` the endpoint's start (or reset).
            pub fn from(mut self, after: Duration) -> Self {
                self.window.from = after;
                self
            }

            /// Lasts this long.
            pub fn lasting(mut self, d: Duration) -> Self {
                self.window.lasting = Some(d);
                self
            }
        }
    )*};
}

window_setters!(ThrottleWindow, Outage);

impl ThrottleWindow {
    /// Every request to `region` is throttled, from the start, for ever.
    pub fn new(region: impl Into<String>) -> Self {
        ThrottleWindow {
            region: region.into(),
            window: Window::default(),
            fraction: 1.0,
        }
    }

    /// Throttles only this fraction (0 to 1) of the requests.
    pub fn fraction(mut self, f: f64) -> Self {
        self.fraction = if f.is_finite() { f.clamp(0.0, 1.0) } else { 0.0 };
        self
    }
}

/// What a region in an outage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageKind {
    /// HTTP 503 `ServiceUnavailableException`.
    Unavailable,
    /// The connection is closed without an answer (a connect failure, as
    /// the client sees it).
    Reset,
}

/// A period in which a region answers nothing useful.
///
/// Text form: `REGION[,from=MS][,for=MS][,kind=unavailable|reset]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub(super) region: String,
    pub(super) window: Window,
    pub(super) kind: OutageKind,
}

impl Outage {
    /// `region` answers 503 to everything, from the start, for ever.
    pub fn new(region: impl Into<String>) -> Self {
        Outage {
            region: region.into(),
            window: Window::default(),
            kind: OutageKind::Unavailable,
        }
    }

    /// What the region does meanwhile.
    pub fn kind(mut self, kind: OutageKind) -> Self {
        self.kind = kind;
        self
    }
}

/// A rule's region and its `key=value` pairs.
type RegionPairs<'a> = (&'a str, Vec<(&'a str, &'a str)>);

/// `REGION,key=value,...` into the region and its pairs.
fn region_and_pairs<'a>(s: &'a str, what: &'static str, expected: &'static str) -> Result<RegionPairs<'a>, Error> {
    let mut it = s.split(',');
    let region = it.next().unwrap_or_default().trim();
    if region.is_empty() {
        return Err(Error::parse(what, s, expected));
    }
    let pairs = it
        .map(|kv| kv.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::parse(what, s, expected))?;
    Ok((region, pairs))
}

fn window_key(window: &mut Window, key: &str, value: &str) -> Option<bool> {
    let ms = || value.parse::<u64>().ok().map(Duration::from_millis);
    match key {
        "from" => window.from = ms()?,
        "for" => window.lasting = Some(ms()?),
        _ => return Some(false),
    }
    Some(true)
}

/// The region of a rule from its text form `REGION,key=value,...`, setting
/// `window` from its keys and the rule's other pairs by `key` (`None`: not
/// a pair of this rule, or a bad value).
fn parse_rule(
    s: &str,
    (what, expected): RuleText,
    window: &mut Window,
    mut key: impl FnMut(&str, &str) -> Option<()>,
) -> Result<String, Error> {
    let (region, pairs) = region_and_pairs(s, what, expected)?;
    for (k, v) in pairs {
        let set = match window_key(window, k, v) {
            Some(true) => Some(()),
            Some(false) => key(k, v),
            None => None,
        };
        set.ok_or_else(|| Error::parse(what, s, expected))?;
    }
    Ok(region.to_owned())
}

/// A rule's name and its text form, for parse errors.
type RuleText = (&'static str, &'static str);
const THROTTLE_TEXT: RuleText = ("throttle window", "REGION[,from=MS][,for=MS][,fraction=F]");
const OUTAGE_TEXT: RuleText = ("outage", "REGION[,from=MS][,for=MS][,kind=unavailable|reset]");

impl FromStr for ThrottleWindow {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut w = ThrottleWindow::new("");
        w.region = parse_rule(s, THROTTLE_TEXT, &mut w.window, |k, v| {
            w.fraction = v.parse().ok().filter(|f| k == "fraction" && (0.0..=1.0).contains(f))?;
            Some(())
        })?;
        Ok(w)
    }
}

impl FromStr for Outage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let mut o = Outage::new("");
        o.region = parse_rule(s, OUTAGE_TEXT, &mut o.window, |k, v| {
            o.kind = match (k, v) {
                ("kind", "unavailable" | "503") => OutageKind::Unavailable,
                ("kind", "reset") => OutageKind::Reset,
                _ => return None,
            };
            Some(())
        })?;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        let d: Distribution = "95*lognormal:20:0.25+5*lognormal:300:0.3".parse().unwrap();
        assert_eq!(d.to_string(), "95*lognormal:20:0.25+5*lognormal:300:0.3");
        assert_eq!(
            "fixed:30".parse::<Distribution>().unwrap(),
            Distribution::Fixed(Duration::from_millis(30))
        );
        for bad in [
            "",
            "fixed",
            "fixed:-1",
            "lognormal:20",
            "lognormal:20:9",
            "0*fixed:1",
            "x*fixed:1",
            "1*fixed:1+",
        ] {
            assert!(bad.parse::<Distribution>().is_err(), "{bad:?}");
        }
        let r: LatencyRule = "us-east-1/optimized=fixed:5".parse().unwrap();
        assert!(r.applies("us-east-1", Latency::Optimized) && !r.applies("us-east-1", Latency::Standard));
        assert!(
            "*=fixed:5"
                .parse::<LatencyRule>()
                .unwrap()
                .applies("eu-west-1", Latency::Standard)
        );
        assert!("us-east-1/fast=fixed:5".parse::<LatencyRule>().is_err());
        let t: ThrottleWindow = "us-east-1,from=100,for=10000,fraction=0.5".parse().unwrap();
        assert_eq!(t.window.from, Duration::from_millis(100));
        assert_eq!(t.window.lasting, Some(Duration::from_secs(10)));
        assert_eq!(t.fraction, 0.5);
        for bad in [
            "",
            ",for=1",
            "us-east-1,for",
            "us-east-1,fraction=2",
            "us-east-1,nope=1",
        ] {
            assert!(bad.parse::<ThrottleWindow>().is_err(), "{bad:?}");
        }
        assert_eq!(t.region, "us-east-1");
        let o: Outage = "us-west-2,kind=reset".parse().unwrap();
        assert_eq!((o.region.as_str(), o.kind), ("us-west-2", OutageKind::Reset));
        let o: Outage = " eu-west-1 , for=5 , kind=503".parse().unwrap();
        assert_eq!((o.region.as_str(), o.kind), ("eu-west-1", OutageKind::Unavailable));
        assert_eq!(o.window.lasting, Some(Duration::from_millis(5)));
        let e = "us-west-2,kind=down".parse::<Outage>().unwrap_err().to_string();
        assert!(e.contains("outage") && e.contains("kind=unavailable|reset"), "{e}");
        let e = "us-east-1,fraction=x"
            .parse::<ThrottleWindow>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("throttle window") && e.contains("fraction=F"), "{e}");
    }

    #[test]
    fn samples_are_seeded_bounded_and_heavy_tailed() {
        let d = Distribution::heavy_tail(Duration::from_millis(20), 0.2, 0.05, Duration::from_millis(400));
        let draw = |seed| {
            let mut rng = Rng::seeded(seed);
            let mut v: Vec<Duration> = (0..4000).map(|_| d.sample(&mut rng)).collect();
            v.sort();
            v
        };
        let v = draw(7);
        assert_eq!(v, draw(7), "same seed, same samples");
        assert_ne!(v, draw(8));
        let (p50, p99) = (v[2000].as_secs_f64(), v[3960].as_secs_f64());
        assert!(p99 / p50 > 5.0, "p50 {p50} p99 {p99}");
        assert!((0.017..0.023).contains(&p50), "{p50}");
        let huge = Distribution::LogNormal {
            median: Duration::from_secs(50),
            sigma: 3.0,
        };
        let mut rng = Rng::seeded(1);
        assert!((0..1000).all(|_| huge.sample(&mut rng) <= MAX_SAMPLE));
    }
}
