//! `bedrock-latency-local`: the local Bedrock-compatible endpoint of
//! `bedrock_latency::testkit` as a standalone process, for clients written in
//! other languages (boto3, the JavaScript SDK, ...).
//!
//! Prints the endpoint URL as its first line of standard output, then serves
//! until Ctrl-C (SIGINT) or until it is killed.

use std::io::Write as _;
use std::process::ExitCode;

use bedrock_latency::testkit::LocalBedrock;

const USAGE: &str = "\
bedrock-latency-local: a local Amazon Bedrock-compatible endpoint for tests

USAGE:
    bedrock-latency-local [--port PORT] [--region REGION]

OPTIONS:
    --port PORT        Port to listen on, on 127.0.0.1 (default: 0, a free port)
    --region REGION    Treat every call as made from REGION (default: the region
                       of the SigV4 credential scope of each request)
    -h, --help         Print this help

The first line printed is the endpoint URL (http://127.0.0.1:PORT); give it to
the SDK as its endpoint URL, with any static credentials. Stop with Ctrl-C.
";

#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    port: u16,
    region: Option<String>,
    help: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => parsed.help = true,
            "--port" => {
                let v = value("--port")?;
                parsed.port = v
                    .parse()
                    .map_err(|_| format!("--port: {v:?} is not a port number (0-65535)"))?;
            }
            "--region" => {
                let v = value("--region")?;
                if v.is_empty() {
                    return Err("--region: empty region".into());
                }
                parsed.region = Some(v);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(parsed)
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
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bedrock-latency-local: cannot start the Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let mut builder = LocalBedrock::builder().port(args.port);
        if let Some(region) = args.region {
            builder = builder.region(region);
        }
        let server = match builder.start().await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("bedrock-latency-local: cannot listen on 127.0.0.1:{}: {e}", args.port);
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
        assert_eq!(
            parse(&["--port", "8080", "--region=us-east-2"]),
            Ok(Args {
                port: 8080,
                region: Some("us-east-2".into()),
                help: false
            })
        );
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "99999"]).is_err());
        assert!(parse(&["--nope"]).is_err());
        assert!(parse(&["-h"]).is_ok_and(|a| a.help));
    }
}
