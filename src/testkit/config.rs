//! Behaviour configuration of the endpoint as data: the file format of
//! `bedrock-latency-local --config` (JSON, or TOML with the `toml` feature),
//! and the text form of fault rules used by flags, files and the control
//! path.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::{Fault, FaultRule, LatencyRule, LocalBedrockBuilder, Outage, ThrottleWindow, TokenTiming};
use crate::{Error, Latency, Operation};

/// Largest configuration file read (bytes).
const MAX_CONFIG_FILE: u64 = 1024 * 1024;

/// What a configuration file (or the standalone binary's flags) can set.
/// Every field is optional; absent fields keep the builder's defaults.
///
/// ```toml
/// region = "us-east-2"          # treat every call as made from us-east-2
/// seed = 42                     # deterministic request IDs
/// answer_tokens = 16
/// faults = ["throttling@converse*2", "stall:5000"]
///
/// [timing.standard]
/// time_to_first_token_ms = 250
/// per_token_ms = 12
///
/// [timing.optimized]
/// time_to_first_token_ms = 100
/// per_token_ms = 5
///
/// [optimized_quota]
/// "us.amazon.nova-pro-v1:0" = 3
///
/// [token_cap]
/// "us.meta.llama3-1-405b-instruct-v1:0" = 11000
///
/// [reservations]                # reserved-tier requests, then default
/// "us.anthropic.claude-sonnet-4-5-20250929-v1:0" = 100
///
/// [limits]
/// max_connections = 64
/// read_timeout_ms = 5000
///
/// # tails: a heavy-tailed time to first token, a throttled region, an
/// # outage and a connect delay (text forms of LatencyRule, ThrottleWindow,
/// # Outage)
/// latency = ["us-east-1/standard=95*lognormal:20:0.25+5*lognormal:300:0.3"]
/// throttle = ["us-east-1,for=10000"]
/// outage = ["us-west-2,from=5000,for=2000,kind=reset"]
///
/// [connect_delay_ms]
/// "*" = 200
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LocalBedrockConfig {
    /// Port on 127.0.0.1 (0: a free one).
    pub port: Option<u16>,
    /// Treat every call as made from this region.
    pub region: Option<String>,
    /// Region of calls without a SigV4 `Authorization` header.
    pub default_region: Option<String>,
    /// Seed of the request IDs (the only randomness of the endpoint).
    pub seed: Option<u64>,
    /// Output tokens of an answer before `maxTokens`.
    pub answer_tokens: Option<u32>,
    /// A catalog file (JSON or TOML) merged into the built-in catalog.
    pub catalog: Option<String>,
    /// Per-tier timing.
    #[serde(default)]
    pub timing: TimingConfig,
    /// Remaining optimized requests per model (any form of its ID).
    #[serde(default)]
    pub optimized_quota: BTreeMap<String, u64>,
    /// Optimized token cap per model (estimated input + max tokens), in
    /// place of the catalog's (Llama 3.1 405B: 11,000).
    #[serde(default)]
    pub token_cap: BTreeMap<String, u32>,
    /// Reserved-tier requests per model before they overflow to the default
    /// tier ([`LocalBedrockBuilder::reservation`]); a model without one
    /// answers reserved requests "Reservation not found.".
    #[serde(default)]
    pub reservations: BTreeMap<String, u64>,
    /// Fault rules, in the text form of [`FaultRule`]'s `FromStr`.
    #[serde(default)]
    pub faults: Vec<String>,
    /// Resource limits.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Time-to-first-token distributions, in the text form of
    /// [`LatencyRule`] (`[REGION][/TIER]=DIST`).
    #[serde(default)]
    pub latency: Vec<String>,
    /// Throttling windows, in the text form of [`ThrottleWindow`]
    /// (`REGION[,from=MS][,for=MS][,fraction=F]`).
    #[serde(default)]
    pub throttle: Vec<String>,
    /// Outages, in the text form of [`Outage`]
    /// (`REGION[,from=MS][,for=MS][,kind=unavailable|reset]`).
    #[serde(default)]
    pub outage: Vec<String>,
    /// Connect delay in milliseconds per region; `"*"` for every other
    /// region.
    #[serde(default)]
    pub connect_delay_ms: BTreeMap<String, u64>,
}

/// Timing of both tiers in a configuration file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TimingConfig {
    /// Requests served standard.
    pub standard: Option<TimingMillis>,
    /// Requests served optimized.
    pub optimized: Option<TimingMillis>,
}

/// One tier's timing in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingMillis {
    /// Delay before the first output token.
    #[serde(default)]
    pub time_to_first_token_ms: u64,
    /// Delay between two output tokens.
    #[serde(default)]
    pub per_token_ms: u64,
}

impl From<TimingMillis> for TokenTiming {
    fn from(t: TimingMillis) -> TokenTiming {
        TokenTiming::new(
            Duration::from_millis(t.time_to_first_token_ms),
            Duration::from_millis(t.per_token_ms),
        )
    }
}

/// Resource limits in a configuration file (see the builder methods of the
/// same names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsConfig {
    /// [`LocalBedrockBuilder::record_limit`].
    pub record_limit: Option<usize>,
    /// [`LocalBedrockBuilder::record_budget_bytes`].
    pub record_budget_bytes: Option<usize>,
    /// [`LocalBedrockBuilder::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// [`LocalBedrockBuilder::read_timeout`], in milliseconds.
    pub read_timeout_ms: Option<u64>,
    /// [`LocalBedrockBuilder::idle_timeout`], in milliseconds.
    pub idle_timeout_ms: Option<u64>,
    /// [`LocalBedrockBuilder::max_connections`].
    pub max_connections: Option<usize>,
}

impl LocalBedrockConfig {
    /// Reads a configuration file: TOML when its name ends in `.toml` (needs
    /// the `toml` feature), JSON otherwise. At most 1 MiB.
    pub fn load(path: impl AsRef<Path>) -> Result<LocalBedrockConfig, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_CONFIG_FILE {
            return Err(config_error(path, "larger than 1 MiB"));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            Self::from_toml(text).map_err(|e| config_error(path, &e))
        } else {
            serde_json::from_str(text).map_err(|e| config_error(path, &e.to_string()))
        }
    }

    #[cfg(feature = "toml")]
    fn from_toml(text: &str) -> Result<LocalBedrockConfig, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }

    #[cfg(not(feature = "toml"))]
    fn from_toml(_: &str) -> Result<LocalBedrockConfig, String> {
        Err("TOML files need the `toml` feature; use JSON".to_owned())
    }

    /// Applies the configuration to a builder. The catalog file is loaded
    /// here; fault texts are parsed here.
    pub fn apply(&self, mut b: LocalBedrockBuilder) -> Result<LocalBedrockBuilder, Error> {
        if let Some(port) = self.port {
            b = b.port(port);
        }
        if let Some(region) = &self.region {
            b = b.region(region.clone());
        }
        if let Some(region) = &self.default_region {
            b = b.default_region(region.clone());
        }
        if let Some(seed) = self.seed {
            b = b.seed(seed);
        }
        if let Some(tokens) = self.answer_tokens {
            b = b.answer_tokens(tokens);
        }
        if let Some(path) = &self.catalog {
            b = b.catalog(std::sync::Arc::new(crate::Catalog::load(path)?));
        }
        if let Some(t) = self.timing.standard {
            b = b.timing(Latency::Standard, t.into());
        }
        if let Some(t) = self.timing.optimized {
            b = b.timing(Latency::Optimized, t.into());
        }
        for (model, n) in &self.optimized_quota {
            b = b.optimized_quota(model.clone(), *n);
        }
        for (model, cap) in &self.token_cap {
            b = b.token_cap(model.clone(), *cap);
        }
        for (model, n) in &self.reservations {
            b = b.reservation(model.clone(), *n);
        }
        for text in &self.faults {
            b = b.fault(text.parse::<FaultRule>()?);
        }
        Ok(self.limits.apply(self.apply_tails(b)?))
    }

    fn apply_tails(&self, mut b: LocalBedrockBuilder) -> Result<LocalBedrockBuilder, Error> {
        for text in &self.latency {
            b = b.latency(text.parse::<LatencyRule>()?);
        }
        for text in &self.throttle {
            b = b.throttle(text.parse::<ThrottleWindow>()?);
        }
        for text in &self.outage {
            b = b.outage(text.parse::<Outage>()?);
        }
        for (region, ms) in &self.connect_delay_ms {
            let d = Duration::from_millis(*ms);
            b = if region == "*" {
                b.connect_delay(d)
            } else {
                b.connect_delay_in(region.clone(), d)
            };
        }
        Ok(b)
    }
}

impl LimitsConfig {
    fn apply(&self, mut b: LocalBedrockBuilder) -> LocalBedrockBuilder {
        if let Some(n) = self.record_limit {
            b = b.record_limit(n);
        }
        if let Some(n) = self.record_budget_bytes {
            b = b.record_budget_bytes(n);
        }
        if let Some(n) = self.max_body_bytes {
            b = b.max_body_bytes(n);
        }
        if let Some(ms) = self.read_timeout_ms {
            b = b.read_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = self.idle_timeout_ms {
            b = b.idle_timeout(Duration::from_millis(ms));
        }
        if let Some(n) = self.max_connections {
            b = b.max_connections(n);
        }
        b
    }
}

fn config_error(path: &Path, reason: &str) -> Error {
    // One line, and not the offending input echoed whole.
    let mut reason = reason.replace(['\n', '\r'], " ");
    if reason.len() > 300 {
        let cut = (0..=300).rev().find(|&i| reason.is_char_boundary(i)).unwrap_or(0);
        reason.truncate(cut);
        reason.push_str("...");
    }
    Error::Config {
        reason: format!("{}: {reason}", path.display()),
    }
}

const FAULT_SYNTAX: &str = "FAULT[@OPERATION][*TIMES] with FAULT one of throttling, unavailable, reset, \
                            stall:MS, cut-stream:N, malformed-frame:N, stream-error:N";

fn fault_from_text(text: &str) -> Option<Fault> {
    let (name, arg) = match text.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (text, None),
    };
    let number = || arg.and_then(|a| a.parse::<u64>().ok());
    let frames = || number().and_then(|n| usize::try_from(n).ok());
    match (name, arg) {
        ("throttling", None) => Some(Fault::Throttling),
        ("unavailable" | "5xx" | "503", None) => Some(Fault::ServiceUnavailable),
        ("reset", None) => Some(Fault::ConnectionReset),
        ("stall", Some(_)) => number().map(|ms| Fault::Stall(Duration::from_millis(ms))),
        ("cut-stream", Some(_)) => frames().map(|after_frames| Fault::CutStream { after_frames }),
        ("malformed-frame", Some(_)) => frames().map(|after_frames| Fault::MalformedFrame { after_frames }),
        ("stream-error", Some(_)) => frames().map(|after_frames| Fault::ModelStreamError { after_frames }),
        _ => None,
    }
}

/// The text form of a fault rule: `FAULT[@OPERATION][*TIMES]`, e.g.
/// `throttling`, `unavailable@converse*3`, `stall:5000`,
/// `cut-stream:2@converse-stream`. FAULT is one of `throttling`,
/// `unavailable` (HTTP 503), `reset`, `stall:MS`, `cut-stream:N`,
/// `malformed-frame:N`, `stream-error:N` (N = frames sent before);
/// OPERATION is any name [`Operation`] parses.
impl FromStr for FaultRule {
    type Err = Error;

    fn from_str(s: &str) -> Result<FaultRule, Error> {
        let bad = || Error::parse("fault", s, FAULT_SYNTAX);
        let (rest, times) = match s.rsplit_once('*') {
            Some((rest, n)) => (rest, Some(n.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(bad)?)),
            None => (s, None),
        };
        let (fault, operation) = match rest.split_once('@') {
            Some((f, op)) => (f, Some(op.parse::<Operation>().map_err(|_| bad())?)),
            None => (rest, None),
        };
        let mut rule = FaultRule::new(fault_from_text(fault.trim()).ok_or_else(bad)?);
        if let Some(op) = operation {
            rule = rule.on(op);
        }
        if let Some(n) = times {
            rule = rule.times(n);
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_texts() {
        let rule: FaultRule = "unavailable@converse*3".parse().unwrap();
        assert_eq!(rule.fault(), &Fault::ServiceUnavailable);
        assert_eq!(rule.operation(), Some(Operation::Converse));
        assert_eq!(rule.remaining(), 3);
        let rule: FaultRule = "stall:250".parse().unwrap();
        assert_eq!(rule.fault(), &Fault::Stall(Duration::from_millis(250)));
        let rule: FaultRule = "cut-stream:2@ConverseStream".parse().unwrap();
        assert_eq!(rule.fault(), &Fault::CutStream { after_frames: 2 });
        for bad in [
            "",
            "nope",
            "stall",
            "stall:x",
            "throttling*0",
            "throttling@nowhere",
            "reset:1",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_config() {
        let c: LocalBedrockConfig = serde_json::from_str(
            r#"{"seed": 7, "timing": {"optimized": {"time_to_first_token_ms": 5}},
                "optimized_quota": {"us.amazon.nova-pro-v1:0": 1}, "faults": ["throttling"]}"#,
        )
        .unwrap();
        assert_eq!(c.seed, Some(7));
        assert_eq!(c.timing.optimized.map(|t| t.time_to_first_token_ms), Some(5));
        assert!(serde_json::from_str::<LocalBedrockConfig>(r#"{"sede": 7}"#).is_err());
        assert!(c.apply(LocalBedrockBuilder::default()).is_ok());
    }
}
