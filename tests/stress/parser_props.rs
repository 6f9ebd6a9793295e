//! Property tests: the identifier parser and the check never panic, whatever
//! string they are given.

use bedrock_latency::{Catalog, CheckRequest, LatencyPolicy, ModelId, Operation};
use proptest::prelude::*;

use crate::support;

fn config() -> ProptestConfig {
    support::proptest_config(100_000)
}

/// Strings near the real thing: pieces of real IDs and ARNs glued together.
fn id_like() -> impl Strategy<Value = String> {
    support::glued(ID_LIKE_PIECES, "\\PC{0,6}", 8)
}

#[rustfmt::skip]
const ID_LIKE_PIECES: &[&str] = &[
    "arn:", "aws:", "bedrock:", "us-east-2:", "123456789012:", "::", "foundation-model/",
    "inference-profile/", "us.", "us-gov.", "global.", "anthropic.", "claude-3-5-haiku-20241022-v1:0",
    "amazon.nova-pro-v1:0", "%3A", ".", "/"
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_and_check_never_panic(s in prop_oneof![any::<String>(), id_like()], region in prop_oneof![Just("us-east-2".to_owned()), "\\PC{0,12}"], op in 0usize..9, policy in 0usize..3) {
        let policy = [LatencyPolicy::Standard, LatencyPolicy::Optimized, LatencyPolicy::PreferOptimized][policy];
        if let Ok(id) = ModelId::parse(&s) {
            // Parsed parts are consistent with each other.
            prop_assert!(id.as_str().ends_with(id.base_model_id()));
            if let Some(p) = id.profile_id() {
                prop_assert!(p.ends_with(id.base_model_id()));
            }
            let answer = Catalog::builtin().check(&CheckRequest::new(&id, &region, Operation::ALL[op], policy));
            match answer {
                Ok(plan) => { let _ = plan.to_string(); }
                Err(refusal) => { prop_assert!(!refusal.to_string().is_empty()); }
            }
        }
        let _ = Catalog::builtin().lookup(&s);
        let _ = s.parse::<Operation>();
        let _ = s.parse::<LatencyPolicy>();
        let _ = s.parse::<bedrock_latency::Date>();
    }
}
