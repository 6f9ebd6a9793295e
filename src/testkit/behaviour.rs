//! How the simulated service behaves: which model/region serves latency-optimized
//! inference, the caller's region, token estimates and the deterministic answers.
//!
//! Which model serves optimized where comes from the crate's [`Catalog`]
//! (sources and "as of" dates live there); the rest (region, token estimate,
//! answers) is documented here.

use std::sync::Arc;

use crate::{Catalog, ServiceTier, Treatment};

/// The region assumed when a request carries no SigV4 `Authorization` header
/// and the builder sets none.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// Cross-region inference profile prefixes (`us.`, `eu.`, ...).
const PROFILE_GEOS: &[&str] = &["us", "eu", "apac", "us-gov", "jp", "au", "ca", "global"];

/// Model providers whose IDs the endpoint accepts. Other IDs get Bedrock's
/// `ValidationException` "The provided model identifier is invalid." (see the
/// `converse-error` AWS capture).
const PROVIDERS: &[&str] = &[
    "ai21",
    "amazon",
    "anthropic",
    "cohere",
    "deepseek",
    "google",
    "luma",
    "meta",
    "minimax",
    "mistral",
    "moonshot",
    "nvidia",
    "openai",
    "qwen",
    "stability",
    "twelvelabs",
    "writer",
];

/// What a model identifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelRef {
    /// A base model ID (`anthropic.claude-...`), bare or as a foundation-model ARN.
    Base {
        /// The base model ID.
        base: String,
    },
    /// A system-defined cross-region inference profile (`us.anthropic....`),
    /// bare or as an inference-profile ARN.
    Profile {
        /// The geography prefix, e.g. `us`.
        geo: String,
        /// The base model ID inside the profile.
        base: String,
    },
    /// An application inference profile ARN: the model behind it is unknown.
    Application,
}

impl ModelRef {
    /// The base model ID, if known.
    pub(crate) fn base(&self) -> Option<&str> {
        match self {
            ModelRef::Base { base } | ModelRef::Profile { base, .. } => Some(base),
            ModelRef::Application => None,
        }
    }

    /// The model provider (`anthropic`, `meta`, `amazon`, ...), if known.
    pub(crate) fn provider(&self) -> Option<&str> {
        self.base().and_then(|b| b.split('.').next())
    }
}

/// Parses a model identifier (base ID, profile ID, foundation-model ARN,
/// inference-profile ARN, application-inference-profile ARN). `None` means
/// Bedrock would call it invalid.
pub(crate) fn parse_model_ref(id: &str) -> Option<ModelRef> {
    let id = id.trim();
    if let Some(rest) = id.strip_prefix("arn:") {
        // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE-TYPE/RESOURCE
        let mut parts = rest.splitn(5, ':');
        let _partition = parts.next()?;
        let service = parts.next()?;
        let _region = parts.next()?;
        let _account = parts.next()?;
        let resource = parts.next()?;
        if service != "bedrock" {
            return None;
        }
        let (kind, name) = resource.split_once('/')?;
        return match kind {
            "foundation-model" => parse_model_ref(name).filter(|r| matches!(r, ModelRef::Base { .. })),
            "inference-profile" => parse_model_ref(name).filter(|r| matches!(r, ModelRef::Profile { .. })),
            "application-inference-profile" if !name.is_empty() => Some(ModelRef::Application),
            _ => None,
        };
    }
    if let Some((first, rest)) = id.split_once('.')
        && PROFILE_GEOS.contains(&first)
    {
        let base = valid_base(rest)?;
        return Some(ModelRef::Profile {
            geo: first.to_owned(),
            base,
        });
    }
    Some(ModelRef::Base { base: valid_base(id)? })
}

fn valid_base(id: &str) -> Option<String> {
    let (provider, name) = id.split_once('.')?;
    if !PROVIDERS.contains(&provider) || name.is_empty() {
        return None;
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'));
    ok.then(|| id.to_owned())
}

/// Is latency-optimized inference available for a model called from a region?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptimizedVerdict {
    /// Served optimized (unless quota or token cap say otherwise).
    Available {
        /// The model's cap on input + output tokens for optimized serving.
        max_total_tokens: Option<u32>,
    },
    /// HTTP 400 `ValidationException`: `Latency performance configuration is
    /// not supported for <modelId> in <region>`.
    Unavailable,
}

/// The catalog the endpoint consults: the built-in one or the builder's.
#[derive(Debug, Clone, Default)]
pub(crate) enum CatalogRef {
    /// [`Catalog::builtin`].
    #[default]
    Builtin,
    /// A catalog given to the builder.
    Custom(Arc<Catalog>),
}

impl CatalogRef {
    pub(crate) fn get(&self) -> &Catalog {
        match self {
            CatalogRef::Builtin => Catalog::builtin(),
            CatalogRef::Custom(catalog) => catalog,
        }
    }
}

/// THE decision of which model/region serves latency-optimized inference,
/// read from the catalog (built-in: bedrock-facts.md section 1, AWS table read
/// 2026-11).
///
/// Available only when the model has an `optimized` entry, the identifier
/// names that entry's inference profile (`us.` ID or inference-profile ARN;
/// a base model ID or foundation-model ARN is rejected, as Bedrock answers
/// ValidationException), and the call is made from one of its regions.
pub(crate) fn optimized_verdict(catalog: &Catalog, model_id: &str, region: &str) -> OptimizedVerdict {
    let Ok((entry, id)) = catalog.lookup(model_id) else {
        return OptimizedVerdict::Unavailable;
    };
    let Some(optimized) = &entry.optimized else {
        return OptimizedVerdict::Unavailable;
    };
    let profile_ok = id.is_inference_profile() && id.profile_id() == Some(optimized.profile.as_str());
    if !profile_ok || !optimized.serves_region(region) {
        return OptimizedVerdict::Unavailable;
    }
    OptimizedVerdict::Available {
        max_total_tokens: optimized.max_total_tokens,
    }
}

/// How the endpoint serves a requested service tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TierVerdict {
    /// Served by this tier.
    Serve(ServiceTier),
    /// Served reserved while the model's reservation lasts, then default
    /// (overflow); without a reservation, "Reservation not found.".
    Reserved,
    /// The catalog says the tier is accepted and another serves it
    /// (`ignored`): served default, and reported so.
    ServeDefault,
    /// HTTP 400 `ValidationException`.
    Unavailable,
}

/// THE decision of which model/region serves a service tier, read from the
/// catalog: the tiers it lists for the model (`honored` and `unverified`
/// offers alike: the endpoint plays the service as reported) from the
/// regions it lists; `default` everywhere.
pub(crate) fn tier_verdict(catalog: &Catalog, model_id: &str, region: &str, tier: ServiceTier) -> TierVerdict {
    if tier == ServiceTier::Default {
        return TierVerdict::Serve(tier);
    }
    let offer = catalog
        .lookup(model_id)
        .ok()
        .and_then(|(entry, _)| entry.service_tiers.get(&tier));
    match offer {
        Some(o) if !o.serves_region(region) => TierVerdict::Unavailable,
        Some(o) if o.treatment == Treatment::Ignored => TierVerdict::ServeDefault,
        Some(_) if tier == ServiceTier::Reserved => TierVerdict::Reserved,
        Some(_) => TierVerdict::Serve(tier),
        None => TierVerdict::Unavailable,
    }
}

/// The key under which the optimized quota of a model is counted: its base
/// model ID (so `us.` profile, ARN and base ID share one quota), or the
/// identifier itself when the base is unknown.
pub(crate) fn quota_key(model_id: &str) -> String {
    match parse_model_ref(model_id) {
        Some(r) => r.base().map_or_else(|| model_id.to_owned(), str::to_owned),
        None => model_id.to_owned(),
    }
}

/// The region of a SigV4 `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`.
pub(crate) fn region_from_authorization(value: &str) -> Option<&str> {
    let start = value.find("Credential=")? + "Credential=".len();
    let credential = value.get(start..)?.split([',', ' ']).next()?;
    let mut parts = credential.split('/');
    let _access_key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let _service = parts.next()?;
    let valid = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid.then_some(region)
}

/// Token estimate of text: one token per 4 characters (Unicode scalar
/// values), rounded up; at least 1 for a request. All text of the request
/// (system prompts and every message) is counted together.
pub(crate) fn estimate_tokens(chars: usize) -> u32 {
    let tokens = chars.div_ceil(4).max(1);
    u32::try_from(tokens).unwrap_or(u32::MAX)
}

const FILLER: &[&str] = &[
    "latency",
    "tokens",
    "stream",
    "optimized",
    "inference",
    "region",
    "profile",
    "model",
    "answer",
    "deterministic",
    "local",
    "endpoint",
    "frame",
    "metadata",
    "standard",
    "quickly",
    "measured",
    "served",
    "request",
    "response",
    "simulated",
    "usage",
    "service",
    "tier",
    "bedrock",
    "quota",
    "first",
    "token",
    "time",
    "result",
    "clearly",
    "again",
];

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The deterministic answer to a prompt, as `tokens` output tokens: the first
/// token has no leading space, every other one starts with a space, so the
/// concatenation is the answer text. Same model and prompt → same text.
///
/// The text is `Local answer to "<first words of the prompt>":` followed by
/// words picked by an FNV-1a hash of model and prompt, ending with a period.
pub(crate) fn answer_tokens(model: &str, prompt: &str, tokens: u32) -> Vec<String> {
    let tokens = usize::try_from(tokens.max(1)).unwrap_or(1);
    let mut words: Vec<String> = vec!["Local".into(), "answer".into(), "to".into()];
    let quoted: Vec<&str> = prompt.split_whitespace().take(6).collect();
    if !quoted.is_empty() {
        let last = quoted.len() - 1;
        for (i, w) in quoted.iter().enumerate() {
            let mut word = String::new();
            if i == 0 {
                word.push('"');
            }
            word.push_str(w);
            if i == last {
                word.push_str("\":");
            }
            words.push(word);
        }
    }
    let mut state = fnv1a(&[model.as_bytes(), b"\n", prompt.as_bytes()]) | 1;
    while words.len() < tokens {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pick = usize::try_from(state % FILLER.len() as u64).unwrap_or(0);
        words.push(FILLER.get(pick).copied().unwrap_or("token").to_owned());
    }
    words.truncate(tokens);
    if let Some(last) = words.last_mut() {
        last.push('.');
    }
    words
        .into_iter()
        .enumerate()
        .map(|(i, w)| if i == 0 { w } else { format!(" {w}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs() {
        assert_eq!(
            parse_model_ref("us.amazon.nova-pro-v1:0"),
            Some(ModelRef::Profile {
                geo: "us".into(),
                base: "amazon.nova-pro-v1:0".into()
            })
        );
        assert_eq!(
            parse_model_ref("arn:aws:bedrock:us-east-2::foundation-model/meta.llama3-1-70b-instruct-v1:0"),
            Some(ModelRef::Base {
                base: "meta.llama3-1-70b-instruct-v1:0".into()
            })
        );
        assert_eq!(
            parse_model_ref(
                "arn:aws:bedrock:us-east-2:123456789012:inference-profile/us.meta.llama3-1-70b-instruct-v1:0"
            )
            .and_then(|r| r.base().map(str::to_owned)),
            Some("meta.llama3-1-70b-instruct-v1:0".into())
        );
        assert_eq!(parse_model_ref("us.does-not-exist-model-v1:0"), None);
        assert_eq!(parse_model_ref(""), None);
        assert_eq!(parse_model_ref("arn:aws:s3:::x"), None);
    }

    #[test]
    fn verdicts() {
        use OptimizedVerdict::*;
        let optimized_verdict = |id: &str, region: &str| super::optimized_verdict(Catalog::builtin(), id, region);
        assert_eq!(
            optimized_verdict("us.amazon.nova-pro-v1:0", "us-east-1"),
            Available { max_total_tokens: None }
        );
        assert_eq!(optimized_verdict("amazon.nova-pro-v1:0", "us-east-1"), Unavailable);
        assert_eq!(optimized_verdict("us.amazon.nova-pro-v1:0", "eu-west-1"), Unavailable);
        assert_eq!(
            optimized_verdict("us.anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1"),
            Unavailable
        );
        assert_eq!(
            optimized_verdict("us.meta.llama3-1-405b-instruct-v1:0", "us-east-2"),
            Available {
                max_total_tokens: Some(11_000)
            }
        );
        assert_eq!(optimized_verdict("eu.amazon.nova-pro-v1:0", "us-east-1"), Unavailable);
    }

    #[test]
    fn tier_verdicts() {
        use ServiceTier::*;
        let v = |id: &str, region: &str, tier| super::tier_verdict(Catalog::builtin(), id, region, tier);
        assert_eq!(v("amazon.nova-pro-v1:0", "us-east-1", Flex), TierVerdict::Serve(Flex));
        assert_eq!(
            v("us.amazon.nova-pro-v1:0", "eu-west-2", Priority),
            TierVerdict::Serve(Priority)
        );
        assert_eq!(v("amazon.nova-pro-v1:0", "sa-east-1", Flex), TierVerdict::Unavailable);
        assert_eq!(
            v("meta.llama3-1-70b-instruct-v1:0", "us-east-2", Flex),
            TierVerdict::Unavailable
        );
        assert_eq!(
            v("meta.llama3-1-70b-instruct-v1:0", "us-east-2", Default),
            TierVerdict::Serve(Default)
        );
        let sonnet = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(v(sonnet, "us-east-1", Reserved), TierVerdict::Reserved);
        assert_eq!(
            v(sonnet, "us-east-1", Priority),
            TierVerdict::Serve(Priority),
            "unverified: served"
        );
        assert_eq!(
            v("amazon.nova-pro-v1:0", "us-east-1", Reserved),
            TierVerdict::Unavailable
        );
    }

    #[test]
    fn regions() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-east-2/bedrock/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(region_from_authorization(h), Some("us-east-2"));
        assert_eq!(region_from_authorization("Bearer x"), None);
        assert_eq!(region_from_authorization("Credential=a/b"), None);
    }

    #[test]
    fn answers_are_deterministic() {
        let a = answer_tokens("m", "What is the capital of France?", 12);
        assert_eq!(a, answer_tokens("m", "What is the capital of France?", 12));
        assert_eq!(a.len(), 12);
        assert!(
            a.concat()
                .starts_with("Local answer to \"What is the capital of France?\":")
        );
        assert!(a.concat().ends_with('.'));
        assert_eq!(answer_tokens("m", "", 1).concat(), "Local.");
        assert_eq!(estimate_tokens(0), 1);
        assert_eq!(estimate_tokens(9), 3);
    }
}
