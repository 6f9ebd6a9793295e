//! `bedrock-latency-local`: the local Bedrock-compatible endpoint of
//! `bedrock_latency::testkit` as a standalone process, for clients written in
//! other languages (boto3, the JavaScript SDK, ...).
//!
//! Prints the endpoint URL as its first line of standard output, then serves
//! until Ctrl-C (SIGINT) or until it is killed.

use std::io::Write as _;
use std::process::ExitCode;

use bedrock_latency::testkit::{LocalBedrock, LocalBedrockConfig, TimingMillis};

const USAGE: &str = "\
bedrock-latency-local: a local Amazon Bedrock-compatible endpoint for tests

USAGE:
    bedrock-latency-local [OPTIONS]

Serves bedrock-runtime and bedrock-agent-runtime over HTTP/1.1 and HTTP/2
(prior knowledge) on 127.0.0.1. The first line printed is the endpoint URL
(http://127.0.0.1:PORT); give it to the SDK as its endpoint URL, with any
static credentials. Stop with Ctrl-C.

OPTIONS (flags override the --config file):
    --config FILE            Behaviour file, JSON or .toml (same keys as below;
                             see README, \"The local endpoint from other languages\")
    --port PORT              Port on 127.0.0.1 (default: 0, a free port)
    --region REGION          Treat every call as made from REGION (default: the
                             region of each request's SigV4 credential scope)
    --default-region REGION  Region of unsigned calls (default: us-east-1)
    --catalog FILE           Catalog file (JSON or TOML) merged into the built-in
                             catalog: which model serves optimized latency and
                             which service tier where
    --seed N                 Seed of the request IDs, the only randomness
                             (default: from the clock)
    --answer-tokens N        Output tokens of an answer (default: 16)

  Timing (default: standard 250 ms + 12 ms/token, optimized 100 ms + 5 ms/token,
  as the Rust quickstart, so optimized is measurably faster):
    --standard-ttft MS       Standard tier: time to first token
    --standard-per-token MS  Standard tier: delay between tokens
    --optimized-ttft MS      Optimized tier: time to first token
    --optimized-per-token MS Optimized tier: delay between tokens
    --no-delay               No simulated delay at all

  Latency-optimized limits:
    --quota MODEL=N          Allow N more optimized requests for MODEL, then serve
                             standard (repeatable)
    --token-cap MODEL=N      Optimized token cap of MODEL (estimated input + max
                             tokens), replacing the catalog's (Llama 3.1 405B:
                             11000); past it, served standard (repeatable)

  Service tiers (which model offers which tier from where: the catalog):
    --reservation MODEL=N    Serve N reserved-tier requests for MODEL, then
                             overflow to the default tier; without one,
                             reserved requests get \"Reservation not found.\"
                             (repeatable)

  Faults (repeatable; queued in order, each used once unless *TIMES):
    --fault FAULT[@OPERATION][*TIMES]
                             FAULT: throttling (429), unavailable (503), reset,
                             stall:MS, cut-stream:N, malformed-frame:N,
                             stream-error:N (N = frames sent before the fault);
                             OPERATION: converse, converse-stream, invoke-model,
                             invoke-model-stream, inline-agent, invoke-agent,
                             retrieve-and-generate(-stream), invoke-flow

  Tails (per region and tier, seeded by --seed; repeatable):
    --ttft [REGION][/TIER]=DIST
                             Time to first token from a distribution instead of
                             the tier's fixed one: fixed:MS, lognormal:MEDIAN_MS:SIGMA,
                             or a mixture W*DIST+W*DIST, e.g. a heavy tail:
                             '*=95*lognormal:20:0.25+5*lognormal:300:0.3'
    --throttle REGION[,from=MS][,for=MS][,fraction=F]
                             429 ThrottlingException for every request (or the
                             fraction F) to REGION, from MS after the start, for MS
    --outage REGION[,from=MS][,for=MS][,kind=unavailable|reset]
                             REGION answers 503, or closes connections (reset)
    --connect-delay [REGION=]MS
                             The first request of each new connection waits MS
                             (a TCP + TLS handshake); without REGION, every region

  Limits:
    --record-limit N         Recorded requests kept (default: 10000)
    --record-budget BYTES    Byte budget of the recorded requests (default: 64 MiB)
    --max-body BYTES         Largest request body (default: 25 MiB)
    --read-timeout MS        Time for a request's headers, then its body (10000)
    --idle-timeout MS        Close connections idle this long (default: 120000)
    --max-connections N      Connections served at once (default: 256)

    -h, --help               Print this help

CONTROL (same port, for tests in any language):
    GET  /_bedrock_latency/requests?limit=N   recorded requests as JSON
    GET  /_bedrock_latency/state              timing, quotas, pending faults
    POST /_bedrock_latency/reset              back to the configured state
    POST /_bedrock_latency/faults             {\"faults\": [\"throttling@converse\"]}
";

/// Default timing of the binary (the Rust quickstart's): optimized answers
/// are measurably faster than standard ones.
const DEFAULT_STANDARD: TimingMillis = TimingMillis {
    time_to_first_token_ms: 250,
    per_token_ms: 12,
};
const DEFAULT_OPTIMIZED: TimingMillis = TimingMillis {
    time_to_first_token_ms: 100,
    per_token_ms: 5,
};

#[derive(Debug, Default, PartialEq)]
struct Args {
    help: bool,
    config_file: Option<String>,
    /// What the flags set, on top of the file.
    flags: LocalBedrockConfig,
    /// `[standard ttft, standard per token, optimized ttft, optimized per token]`.
    timing: [Option<u64>; 4],
    no_delay: bool,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str, what: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag}: {:?} is not {what}", short(v)))
}

/// At most 60 characters of user input, for error messages.
fn short(v: &str) -> String {
    v.chars().take(60).collect()
}

fn model_value<T: std::str::FromStr>(flag: &str, v: &str) -> Result<(String, T), String> {
    let (model, n) = v
        .rsplit_once('=')
        .filter(|(m, _)| !m.is_empty())
        .ok_or_else(|| format!("{flag}: expected MODEL=N, got {:?}", short(v)))?;
    Ok((model.to_owned(), number(flag, n, "a non-negative number")?))
}

fn non_empty(flag: &str, v: String) -> Result<String, String> {
    if v.is_empty() {
        Err(format!("{flag}: empty value"))
    } else {
        Ok(v)
    }
}

/// Applies one flag that takes a value.
fn apply_flag(a: &mut Args, flag: &str, v: String) -> Result<(), String> {
    let f = &mut a.flags;
    let ms = "a number of milliseconds";
    match flag {
        "--config" => a.config_file = Some(non_empty(flag, v)?),
        "--port" => f.port = Some(number(flag, &v, "a port number (0-65535)")?),
        "--region" => f.region = Some(non_empty(flag, v)?),
        "--default-region" => f.default_region = Some(non_empty(flag, v)?),
        "--catalog" => f.catalog = Some(non_empty(flag, v)?),
        "--seed" => f.seed = Some(number(flag, &v, "a number")?),
        "--answer-tokens" => f.answer_tokens = Some(number(flag, &v, "a number of tokens")?),
        "--standard-ttft" => a.timing[0] = Some(number(flag, &v, ms)?),
        "--standard-per-token" => a.timing[1] = Some(number(flag, &v, ms)?),
        "--optimized-ttft" => a.timing[2] = Some(number(flag, &v, ms)?),
        "--optimized-per-token" => a.timing[3] = Some(number(flag, &v, ms)?),
        "--quota" => {
            let (model, n) = model_value(flag, &v)?;
            f.optimized_quota.insert(model, n);
        }
        "--token-cap" => {
            let (model, n) = model_value(flag, &v)?;
            f.token_cap.insert(model, n);
        }
        "--reservation" => {
            let (model, n) = model_value(flag, &v)?;
            f.reservations.insert(model, n);
        }
        "--fault" => f.faults.push(v),
        "--ttft" => f.latency.push(v),
        "--throttle" => f.throttle.push(v),
        "--outage" => f.outage.push(v),
        "--connect-delay" => {
            let (region, millis) = v.rsplit_once('=').unwrap_or(("*", v.as_str()));
            let region = if region.is_empty() { "*" } else { region };
            f.connect_delay_ms.insert(region.to_owned(), number(flag, millis, ms)?);
        }
        "--record-limit" => f.limits.record_limit = Some(number(flag, &v, "a number")?),
        "--record-budget" => f.limits.record_budget_bytes = Some(number(flag, &v, "a number of bytes")?),
        "--max-body" => f.limits.max_body_bytes = Some(number(flag, &v, "a number of bytes")?),
        "--read-timeout" => f.limits.read_timeout_ms = Some(number(flag, &v, ms)?),
        "--idle-timeout" => f.limits.idle_timeout_ms = Some(number(flag, &v, ms)?),
        "--max-connections" => f.limits.max_connections = Some(number(flag, &v, "a number")?),
        other => return Err(format!("unknown argument {:?} (see --help)", short(other))),
    }
    Ok(())
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => parsed.help = true,
            "--no-delay" => parsed.no_delay = true,
            _ => {
                let (name, value) = match arg.split_once('=') {
                    Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
                    _ => (arg.clone(), None),
                };
                if !name.starts_with("--") {
                    return Err(format!("unknown argument {:?} (see --help)", short(&name)));
                }
                let value = value
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{} needs a value", short(&name)))?;
                apply_flag(&mut parsed, &name, value)?;
            }
        }
    }
    Ok(parsed)
}

/// The file's settings with the flags on top, and the binary's default
/// timing where neither sets one.
fn effective(args: &Args, file: LocalBedrockConfig) -> LocalBedrockConfig {
    let f = &args.flags;
    let mut c = file;
    macro_rules! over {
        ($($field:ident).+) => {
            if f.$($field).+.is_some() {
                c.$($field).+.clone_from(&f.$($field).+);
            }
        };
    }
    over!(port);
    over!(region);
    over!(default_region);
    over!(seed);
    over!(answer_tokens);
    over!(catalog);
    over!(limits.record_limit);
    over!(limits.record_budget_bytes);
    over!(limits.max_body_bytes);
    over!(limits.read_timeout_ms);
    over!(limits.idle_timeout_ms);
    over!(limits.max_connections);
    c.optimized_quota.extend(f.optimized_quota.clone());
    c.token_cap.extend(f.token_cap.clone());
    c.reservations.extend(f.reservations.clone());
    c.faults.extend(f.faults.iter().cloned());
    c.latency.extend(f.latency.iter().cloned());
    c.throttle.extend(f.throttle.iter().cloned());
    c.outage.extend(f.outage.iter().cloned());
    c.connect_delay_ms.extend(f.connect_delay_ms.clone());
    let mut standard = c.timing.standard.unwrap_or(DEFAULT_STANDARD);
    let mut optimized = c.timing.optimized.unwrap_or(DEFAULT_OPTIMIZED);
    let [st, sp, ot, op] = args.timing;
    standard.time_to_first_token_ms = st.unwrap_or(standard.time_to_first_token_ms);
    standard.per_token_ms = sp.unwrap_or(standard.per_token_ms);
    optimized.time_to_first_token_ms = ot.unwrap_or(optimized.time_to_first_token_ms);
    optimized.per_token_ms = op.unwrap_or(optimized.per_token_ms);
    if args.no_delay {
        (standard, optimized) = (TimingMillis::default(), TimingMillis::default());
    }
    c.timing.standard = Some(standard);
    c.timing.optimized = Some(optimized);
    c
}

fn config_of(args: &Args) -> Result<LocalBedrockConfig, String> {
    let file = match &args.config_file {
        Some(path) => LocalBedrockConfig::load(path).map_err(|e| e.to_string())?,
        None => LocalBedrockConfig::default(),
    };
    Ok(effective(args, file))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bedrock-latency-local: {message}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = config_of(&args);
    let builder = config.and_then(|c| c.apply(LocalBedrock::builder()).map_err(|e| e.to_string()));
    let builder = match builder {
        Ok(b) => b,
        Err(message) => {
            eprintln!("bedrock-latency-local: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bedrock-latency-local: cannot start the Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match builder.start().await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("bedrock-latency-local: cannot listen on 127.0.0.1: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Written, not println!ed: a closed or full standard output is
        // reported (or, for a closed pipe, ends quietly) instead of panicking.
        let url = format!("{}\n", server.endpoint_url());
        let printed = std::io::stdout()
            .lock()
            .write_all(url.as_bytes())
            .and_then(|()| std::io::stdout().flush());
        if let Err(e) = printed {
            server.shutdown().await;
            // A closed pipe: quiet, with the status a shell shows for a
            // process killed by SIGPIPE (128 + 13), as bedrock-latency does.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return ExitCode::from(141);
            }
            let _ = writeln!(
                std::io::stderr(),
                "bedrock-latency-local: cannot write the endpoint URL: {e}"
            );
            return ExitCode::FAILURE;
        }
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("bedrock-latency-local: cannot wait for Ctrl-C: {e}");
        }
        eprintln!(
            "bedrock-latency-local: stopping after {} requests",
            server.requests().len()
        );
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn args() {
        assert_eq!(parse(&[]), Ok(Args::default()));
        let a = parse(&["--port", "8080", "--region=us-east-2", "--quota", "us.x:0=3"]).unwrap();
        assert_eq!(a.flags.port, Some(8080));
        assert_eq!(a.flags.region.as_deref(), Some("us-east-2"));
        assert_eq!(a.flags.optimized_quota.get("us.x:0"), Some(&3));
        let a = parse(&["--reservation", "us.anthropic.claude-sonnet-4-5-20250929-v1:0=2"]).unwrap();
        assert_eq!(
            a.flags.reservations.get("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            Some(&2)
        );
        assert!(parse(&["--reservation", "x=many"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "99999"]).is_err());
        assert!(parse(&["--nope"]).is_err());
        assert!(parse(&["stray"]).is_err());
        assert!(parse(&["--quota", "=3"]).is_err());
        assert!(parse(&["-h"]).is_ok_and(|a| a.help));
        let a = parse(&[
            "--connect-delay",
            "200",
            "--connect-delay",
            "us-east-1=50",
            "--throttle",
            "us-east-1,for=10",
        ])
        .unwrap();
        assert_eq!(a.flags.connect_delay_ms.get("*"), Some(&200));
        assert_eq!(a.flags.connect_delay_ms.get("us-east-1"), Some(&50));
        assert_eq!(a.flags.throttle, vec!["us-east-1,for=10".to_owned()]);
        assert!(parse(&["--connect-delay", "x"]).is_err());
    }

    #[test]
    fn flags_override_the_file_and_defaults_fill_in() {
        let a = parse(&["--optimized-ttft", "7", "--seed", "9"]).unwrap();
        let file: LocalBedrockConfig =
            serde_json::from_str(r#"{"seed": 1, "timing": {"standard": {"time_to_first_token_ms": 50}}}"#).unwrap();
        let c = effective(&a, file);
        assert_eq!(c.seed, Some(9));
        assert_eq!(c.timing.standard.map(|t| t.time_to_first_token_ms), Some(50));
        assert_eq!(c.timing.optimized.map(|t| t.time_to_first_token_ms), Some(7));
        assert_eq!(c.timing.optimized.map(|t| t.per_token_ms), Some(5));
        let c = effective(&parse(&["--no-delay"]).unwrap(), LocalBedrockConfig::default());
        assert_eq!(c.timing.standard, Some(TimingMillis::default()));
    }
}
