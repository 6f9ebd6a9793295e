//! `bedrock-latency matrix`: the support table.

use std::path::PathBuf;
use std::process::ExitCode;

use bedrock_latency::{
    Catalog, Date, LifecycleStatus, ModelEntry, Operation, Result, ServiceTier, TierOffer, Treatment,
};

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

/// The tiers a model offers besides default, one word each: `flex`, or
/// `flex?` for an unverified offer.
fn tiers_cell(m: &ModelEntry) -> String {
    let tiers: Vec<String> = m
        .service_tiers
        .iter()
        .map(|(t, o)| match o.treatment {
            Treatment::Honored => t.to_string(),
            Treatment::Unverified => format!("{t}?"),
            Treatment::Ignored => format!("{t} (ignored)"),
        })
        .collect();
    if tiers.is_empty() {
        "-".to_owned()
    } else {
        tiers.join(", ")
    }
}

/// Where an offer is served, as a cell: its regions (checked region names),
/// or what its source left out.
fn tier_regions(o: &TierOffer) -> String {
    match &o.regions {
        Some(rs) => format!("{} ({} regions)", rs.join(", "), rs.len()),
        None => "regions not stated".to_owned(),
    }
}

/// Every model's tier offers: (model name, tier, regions, treatment and date).
fn tier_rows(catalog: &Catalog) -> Vec<(String, ServiceTier, String, String)> {
    let mut rows = Vec::new();
    for m in catalog.models() {
        for (tier, o) in &m.service_tiers {
            let evidence = format!("{} (as of {})", o.treatment, o.source.as_of);
            rows.push((field(&m.name), *tier, tier_regions(o), evidence));
        }
    }
    rows
}

fn combination_cells(catalog: &Catalog) -> Vec<(ServiceTier, Treatment)> {
    ServiceTier::ALL
        .into_iter()
        .filter(|t| *t != ServiceTier::Default)
        .map(|t| (t, catalog.tier_rules().with_optimized(t)))
        .collect()
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
        "{:<30} {:<45} {:<22} {:<30} {:<28} {}\n",
        "MODEL", "OPTIMIZED PROFILE", "OPTIMIZED FROM", "LIFECYCLE", "SERVICE TIERS", "LIMITS"
    );
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        out += &format!(
            "{:<30} {:<45} {:<22} {:<30} {:<28} {limits}\n",
            field(&m.name),
            profile,
            regions,
            lifecycle(m),
            tiers_cell(m)
        );
    }
    out += "\nService tiers (default: every model, every region; flex is the slow, cheap tier; \
            ? = unverified, only secondary sources):\n";
    for (name, tier, regions, evidence) in tier_rows(catalog) {
        out += &format!("  {name:<30} {:<9} {evidence:<26} {regions}\n", tier.as_str());
    }
    let combos: Vec<String> = combination_cells(catalog)
        .iter()
        .map(|(t, tr)| format!("{t} {tr}"))
        .collect();
    out += &format!("  with optimized latency: {}\n", combos.join(", "));
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
    let mut out = String::from(
        "| Model | Optimized profile | Optimized from | Lifecycle | Limits | Service tiers |\n|---|---|---|---|---|---|\n",
    );
    for m in catalog.models() {
        let (profile, regions, limits) = optimized_cells(m);
        let profile = if profile == "-" {
            profile
        } else {
            format!("`{profile}`")
        };
        out += &format!(
            "| {} | {profile} | {regions} | {} | {limits} | {} |\n",
            field(&m.name),
            lifecycle(m),
            tiers_cell(m)
        );
    }
    out += "\n| Model | Service tier | From | Evidence |\n|---|---|---|---|\n";
    for (name, tier, regions, evidence) in tier_rows(catalog) {
        out += &format!("| {name} | `{tier}` | {regions} | {evidence} |\n");
    }
    out += "| every model | `default` | every region it is served from | honored |\n";
    out += "\n| Service tier | With optimized latency |\n|---|---|\n";
    for (tier, treatment) in combination_cells(catalog) {
        out += &format!("| `{tier}` | {treatment} |\n");
    }
    out += "\n| Operation | AWS API | Optimized latency |\n|---|---|---|\n";
    for op in Operation::ALL {
        let t = catalog.operations().get(&op).copied().unwrap_or(Treatment::Unverified);
        out += &format!("| `{}` | {} | {t} |\n", op.as_str(), op.aws_name());
    }
    out
}
