//! What the public API promises, each shown at the local endpoint: the
//! region a request is checked against is the region it is sent to (even
//! through `map_sdk_config`); one form of "unknown model"; every error names
//! the operation actually called; the advice after a fallback reads right;
//! no public type name is used twice.

use crate::support::Request as _;

use std::collections::BTreeMap;
use std::path::Path;

use bedrock_latency::models::{Llama31Instruct70b, NovaPro};
use bedrock_latency::testkit::{Fault, FaultRule, LocalBedrock};
use bedrock_latency::{
    Catalog, Client, DowngradeReason, Error, Latency, LatencyPolicy, ModelId, Operation, Result, Warning,
};

/// A local endpoint and a client of it from us-east-1, without SDK retries
/// (so a fault is the answer).
async fn east1() -> (LocalBedrock, Client) {
    let s = LocalBedrock::start().await.unwrap();
    let c = Client::new(&east1_conf(&s));
    (s, c)
}

/// The SDK configuration of [`east1`]'s client: us-east-1 on `s`, without
/// retries.
fn east1_conf(s: &LocalBedrock) -> aws_config::SdkConfig {
    s.sdk_config("us-east-1")
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

fn oregon() -> aws_config::Region {
    aws_config::Region::new("us-west-2")
}

/// The error of a call whose `map_sdk_config` moved it from us-east-1 to
/// us-west-2: refused before sending, saying so.
#[track_caller]
fn assert_region_move_refused(e: &Error) {
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    assert!(e.to_string().contains("us-east-1 to us-west-2"), "{e}");
}

#[tokio::test]
async fn a_per_call_sdk_configuration_cannot_move_the_region() {
    let (s, c) = east1().await;
    // Checked against us-east-1 (where Nova Pro is served optimized); a
    // closure that sends it to us-west-2 instead is refused, nothing sent.
    let e = c
        .converse(NovaPro)
        .optimized()
        .user("q")
        .map_sdk_config(|conf| conf.region(oregon()))
        .error()
        .await;
    assert_region_move_refused(&e);
    let e = c
        .inline_agent(NovaPro)
        .optimized()
        .instruction("i")
        .input_text("q")
        .map_sdk_config(|conf| conf.region(oregon()))
        .error()
        .await;
    assert_region_move_refused(&e);
    assert!(s.requests().is_empty(), "{:?}", s.requests());

    // Anything else a closure changes applies, and the region is the client's.
    let timeout = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(20))
        .build();
    let t2 = timeout.clone();
    c.converse(NovaPro)
        .optimized()
        .user("q")
        .map_sdk_config(move |conf| conf.timeout_config(timeout))
        .answer()
        .await;
    c.invoke_agent("AGENT12345", "ALIAS12345")
        .input_text("q")
        .map_sdk_config(move |conf| conf.timeout_config(t2))
        .answer()
        .await;
    let regions: Vec<_> = s.requests().iter().map(|r| r.region.clone()).collect();
    assert_eq!(regions, ["us-east-1", "us-east-1"]);
}

#[tokio::test]
async fn an_unknown_model_is_one_typed_error_with_suggestions() {
    let (s, c) = east1().await;
    // A misspelt version of Nova Pro.
    let typo: ModelId = "us.amazon.nova-pro-v2:0".parse().unwrap();
    let optimized = LatencyPolicy::Optimized;
    let errors = [
        c.converse(&typo).latency(optimized).user("q").error().await,
        c.invoke_model_stream(&typo)
            .latency(optimized)
            .prompt("q", 10)
            .error()
            .await,
        c.inline_agent(&typo)
            .latency(optimized)
            .instruction("i")
            .input_text("q")
            .error()
            .await,
        c.retrieve_and_generate("KB12345678", &typo)
            .latency(optimized)
            .query("q")
            .error()
            .await,
        c.plan(&typo, Operation::Converse, optimized).unwrap_err(),
        Catalog::builtin().lookup("us.amazon.nova-pro-v2:0").unwrap_err(),
    ];
    for e in &errors {
        match e {
            Error::UnknownModel { id, suggestions } => {
                assert!(id.contains("nova-pro-v2"), "{e}");
                assert!(suggestions.iter().any(|s| s.contains("nova-pro-v1")), "{e}");
                assert!(e.to_string().contains("did you mean"), "{e}");
            }
            other => panic!("not the one form: {other:?}"),
        }
    }
    assert!(s.requests().is_empty());
    // Prefer-optimized falls back to standard, with the same suggestion as
    // the reason; standard needs no catalog word. Both are sent as given,
    // with a warning.
    let r = c
        .converse(&typo)
        .latency(LatencyPolicy::PreferOptimized)
        .user("q")
        .answer()
        .await;
    let why = r.report.downgrade.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(why.contains("did you mean amazon.nova-pro-v1:0"), "{why}");
    assert!(
        r.report.warnings.contains(&Warning::NotInCatalog),
        "{:?}",
        r.report.warnings
    );
    let r = c.converse(&typo).user("q").answer().await;
    assert!(
        r.report.warnings.contains(&Warning::NotInCatalog),
        "{:?}",
        r.report.warnings
    );
    assert_eq!(s.requests().len(), 2);
}

/// Calls `operation` once (the endpoint answers 503) and returns the error.
async fn failing_call(c: &Client, operation: Operation) -> Error {
    async fn collect<T, S: futures::Stream<Item = Result<T>> + Unpin>(mut s: S) -> Result<()> {
        use futures::StreamExt;
        while let Some(ev) = s.next().await {
            ev?;
        }
        Ok(())
    }
    let r: Result<()> = match operation {
        Operation::Converse => c.converse(NovaPro).user("q").send().await.map(drop),
        Operation::ConverseStream => match c.converse_stream(NovaPro).user("q").send().await {
            Ok(s) => collect(s).await,
            Err(e) => Err(e),
        },
        Operation::InvokeModel => c.invoke_model(NovaPro).prompt("q", 9).send().await.map(drop),
        Operation::InvokeModelStream => match c.invoke_model_stream(NovaPro).prompt("q", 9).send().await {
            Ok(s) => collect(s).await,
            Err(e) => Err(e),
        },
        Operation::InlineAgent => match c.inline_agent(NovaPro).instruction("i").input_text("q").send().await {
            Ok(s) => collect(s).await,
            Err(e) => Err(e),
        },
        Operation::RetrieveAndGenerate => c
            .retrieve_and_generate("KB12345678", NovaPro)
            .query("q")
            .send()
            .await
            .map(drop),
        Operation::RetrieveAndGenerateStream => {
            match c
                .retrieve_and_generate_stream("KB12345678", NovaPro)
                .query("q")
                .send()
                .await
            {
                Ok(s) => collect(s).await,
                Err(e) => Err(e),
            }
        }
        Operation::InvokeAgent => match c.invoke_agent("AGENT12345", "ALIAS12345").input_text("q").send().await {
            Ok(s) => collect(s).await,
            Err(e) => Err(e),
        },
        Operation::InvokeFlow => match c.invoke_flow("FLOW123456", "ALIAS12345").text_input("q").send().await {
            Ok(s) => collect(s).await,
            Err(e) => Err(e),
        },
        Operation::StartFlowExecution => c
            .start_flow_execution("FLOW123456", "ALIAS12345")
            .text_input("q")
            .send()
            .await
            .map(drop),
    };
    match r {
        Err(e) => e,
        Ok(()) => panic!("{operation:?} succeeded although the endpoint answered 503"),
    }
}

#[tokio::test]
async fn every_error_names_the_operation_actually_called() {
    let (s, c) = east1().await;
    for op in Operation::ALL {
        s.inject(FaultRule::new(Fault::ServiceUnavailable).on(op));
        let e = failing_call(&c, op).await;
        let service = e.service_error().unwrap_or_else(|| panic!("{op:?}: {e:?}"));
        assert_eq!(service.operation(), op, "{e}");
        let text = e.to_string();
        assert!(text.starts_with(op.aws_name()), "{op:?}: {text}");
        // No other operation's AWS name in it (InvokeModel is a prefix of
        // InvokeModelWithResponseStream, and so on: compare whole words).
        for other in Operation::ALL.into_iter().filter(|o| *o != op) {
            let word = format!("{} ", other.aws_name());
            assert!(!text.contains(&word), "{op:?} error names {other:?}: {text}");
        }
    }
    assert_eq!(s.requests().len(), Operation::ALL.len());
}

#[tokio::test]
async fn the_advice_after_a_fallback_reads_right() {
    // Llama 3.1 70B is not served optimized from us-east-1: prefer-optimized
    // sends standard and says why, without advising what was done.
    let (_s, c) = east1().await;
    let llama = |policy| c.converse(Llama31Instruct70b).latency(policy).user("q");
    let r = llama(LatencyPolicy::PreferOptimized).answer().await;
    let agent = c
        .invoke_agent("AGENT12345", "ALIAS12345")
        .latency(LatencyPolicy::PreferOptimized)
        .input_text("q")
        .answer()
        .await;
    for (report, why) in [
        (&r.report, "only from us-east-2, us-west-2"),
        (&agent.report, "does not honor it"),
    ] {
        assert_eq!(report.sent, Latency::Standard);
        let Some(d @ DowngradeReason::NotSent(_)) = &report.downgrade else {
            panic!("{:?}", report.downgrade);
        };
        let text = d.to_string();
        assert!(text.starts_with("sent standard because"), "{text}");
        assert!(text.contains(why), "{text}");
        assert!(!text.contains("request standard latency"), "{text}");
        assert!(!report.to_string().contains("request standard latency"), "{report}");
    }
    // The refusal itself (policy optimized) does give the advice.
    let e = llama(LatencyPolicy::Optimized).error().await;
    assert!(e.to_string().contains("request standard latency"), "{e}");
    assert!(e.to_string().contains("route_optimized_to"), "{e}");
}

/// `pub struct|enum|type|trait NAME` in `text`, skipping `pub(crate)`.
fn public_type_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim_start) {
        for kind in ["pub struct ", "pub enum ", "pub type ", "pub trait "] {
            if let Some(rest) = line.strip_prefix(kind) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

fn collect_names(dir: &Path, names: &mut BTreeMap<String, Vec<String>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                collect_names(&path, names);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            for name in public_type_names(&std::fs::read_to_string(&path).unwrap()) {
                names.entry(name).or_default().push(path.display().to_string());
            }
        }
    }
}

#[test]
fn no_public_type_name_is_used_twice() {
    let mut names = BTreeMap::new();
    collect_names(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut names);
    assert!(
        names.contains_key("Timing") && names.contains_key("TokenTiming"),
        "{names:?}"
    );
    let twice: Vec<_> = names.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(twice.is_empty(), "public type names used twice: {twice:?}");
}

/// A request builder's `Debug` names the model, the policy and the tier (and
/// an InvokeModel body's length), never the prompt: builders end up in logs.
#[tokio::test]
async fn a_request_builders_debug_shows_the_settings_and_never_the_prompt() {
    let (_s, c) = east1().await;
    let secret = "my secret prompt";
    let converse = format!("{:?}", c.converse(NovaPro).optimized().user(secret));
    assert_eq!(
        converse,
        "ConverseRequest { model: ModelId(\"amazon.nova-pro-v1:0\"), policy: Optimized, tier: Unset, .. }"
    );
    let stream = format!("{:?}", c.converse_stream(NovaPro).system(secret).user(secret));
    assert!(stream.starts_with("ConverseStreamRequest { model: "), "{stream}");
    assert!(!stream.contains(secret), "{stream}");
    let invoke = format!("{:?}", c.invoke_model(NovaPro).prompt(secret, 10));
    assert!(!invoke.contains(secret), "{invoke}");
    assert!(
        invoke.starts_with("InvokeModelRequest { model: ")
            && invoke.contains("policy: Standard, tier: Unset, body_bytes: Some("),
        "{invoke}"
    );
}

/// A per-call SDK configuration takes effect on both halves (Converse,
/// RetrieveAndGenerate), also when the SDK implementation is given behind an
/// `Arc`: an operation timeout shorter than the endpoint's answer makes the
/// call time out, and the same call without it is served.
#[tokio::test]
async fn a_per_call_sdk_configuration_takes_effect_on_both_halves() {
    use bedrock_latency::agent::SdkAgentRuntime;
    use bedrock_latency::runtime::SdkRuntime;
    use bedrock_latency::testkit::{Distribution, LatencyRule};
    use std::sync::Arc;
    use std::time::Duration;

    let s = LocalBedrock::builder()
        .latency(LatencyRule::new(Distribution::Fixed(Duration::from_millis(400))))
        .start()
        .await
        .unwrap();
    let conf = east1_conf(&s);
    let plain = Client::new(&conf);
    let behind_arcs = Client::builder()
        .runtime(Arc::new(SdkRuntime::new(aws_sdk_bedrockruntime::Client::new(&conf))))
        .agent_runtime(Arc::new(SdkAgentRuntime::new(
            aws_sdk_bedrockagentruntime::Client::new(&conf),
        )))
        .build()
        .unwrap();
    times_out_with_and_is_served_without("plain", &plain).await;
    times_out_with_and_is_served_without("behind Arc", &behind_arcs).await;
}

async fn times_out_with_and_is_served_without<R, A>(name: &str, c: &Client<R, A>)
where
    R: bedrock_latency::runtime::BedrockRuntimeApi,
    A: bedrock_latency::agent::BedrockAgentRuntimeApi,
{
    let short = || {
        aws_config::timeout::TimeoutConfig::builder()
            .operation_timeout(std::time::Duration::from_millis(50))
            .build()
    };
    let e = c
        .converse(NovaPro)
        .user("q")
        .map_sdk_config(move |b| b.timeout_config(short()))
        .error()
        .await;
    assert!(e.is_timeout(), "{name}: {e:?}");
    let e = c
        .retrieve_and_generate("KB12345678", NovaPro)
        .query("q")
        .map_sdk_config(move |b| b.timeout_config(short()))
        .error()
        .await;
    assert!(e.is_timeout(), "{name}: {e:?}");
    // Without the change the same calls are served.
    c.converse(NovaPro).user("q").answer().await;
    c.invoke_agent("AGENT12345", "ALIAS12345")
        .input_text("q")
        .answer()
        .await;
}
