//! `bedrock-latency matrix`: the support table.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{Catalog, Date, LifecycleStatus, ModelEntry, Operation, Result, Treatment};

use crate::output::{self, field};

/// Arguments of `matrix`.
#[derive(Debug, clap::Args)]
pub(crate) struct MatrixArgs {
    /// Print the whole catalog as JSON (the catalog file format).
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print the table as Markdown (as in the README).
    #[arg(long)]
    markdown: bool,
    /// A JSON or TOML catalog file that adds or overrides models.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

pub(crate) fn run(args: MatrixArgs) -> Result<ExitCode> {
    let catalog = crate::load_catalog(args.catalog)?;
    if args.json {
        output::print_json(&catalog.to_json())?;
    } else if args.markdown {
        output::print(&markdown_table(&catalog))?;
    } else {
        output::print(&text_table(&catalog))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn lifecycle(m: &ModelEntry) -> String {
    let status = m.lifecycle.status_on(Date::today());
    let name = match status {
        LifecycleStatus::Active => "active",
        LifecycleStatus::Legacy => "legacy",
        LifecycleStatus::EndOfLife => "end of life",
    };
    match m.lifecycle.end_of_life {
        Some(d) => format!("{name} (EOL {d})"),
        None => name.to_owned(),
    }
}

/// Profile, regions and limits of a model's optimized offer. Profiles and
/// regions were checked when the catalog was loaded (IDs and region names).
fn optimized_cells(m: &ModelEntry) -> (String, String, String) {
    match &m.optimized {
        Some(o) => {
            let mut limits = String::new();
            if let Some(t) = o.max_total_tokens {
                limits = format!("standard above {t} tokens");
            }
            (o.profile.clone(), o.regions.join(", "), limits)
        }
        None => ("-".into(), "not offered".into(), String::new()),
    }
}

fn operation_lines(catalog: &Catalog) -> Vec<String> {
    Operation::ALL
        .iter()
        .map(|op| {
            let t = catalog.operations().get(op).copied().unwrap_or(Treatment::Unverified);
            format!("{:<30} {:<30} {t}", op.as_str(), op.aws_name())
        })
        .collect()
}

fn text_table(catalog: &Catalog) -> String {
    let mut out = format!(
        "Latency-optimized inference on Amazon Bedrock (catalog as of {})\n\n",
        catalog.as_of()
    );
    out += &format!(
        "{:<30} {:<45} {:<22} {:<30} {}\n",
        "MODEL", "OPTIMIZED PROFILE", "OPTIMIZED FROM", "LIFECYCLE", "LIMITS"
    );
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        out += &format!(
            "{:<30} {:<45} {:<22} {:<30} {limits}\n",
            field(&m.name),
            profile,
            regions,
            lifecycle(m)
        );
    }
    out += "\nOperations (for models that offer optimized latency):\n";
    for line in operation_lines(catalog) {
        out += &format!("  {line}\n");
    }
    for m in catalog.optimized_models() {
        if let Some(o) = &m.optimized
            && &o.operations != catalog.operations()
        {
            out += &format!("  ({} differs: {:?})\n", field(&m.name), o.operations);
        }
    }
    out += "\nSources: `bedrock-latency matrix --json`.\n";
    out
}

fn markdown_table(catalog: &Catalog) -> String {
    let mut out =
        String::from("| Model | Optimized profile | Optimized from | Lifecycle | Limits |\n|---|---|---|---|---|\n");
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        let profile = if profile == "-" {
            profile
        } else {
            format!("`{profile}`")
        };
        out += &format!(
            "| {} | {profile} | {regions} | {} | {limits} |\n",
            field(&m.name),
            lifecycle(m)
        );
    }
    out += "\n| Operation | AWS API | Optimized latency |\n|---|---|---|\n";
    for op in Operation::ALL {
        let t = catalog.operations().get(&op).copied().unwrap_or(Treatment::Unverified);
        out += &format!("| `{}` | {} | {t} |\n", op.as_str(), op.aws_name());
    }
    out
}
