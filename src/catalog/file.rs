//! The catalog file format (JSON or TOML) and how a file is merged.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read as _;
use std::marker::PhantomData;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::validate::validate_entry;
use super::{
    Catalog, Lifecycle, LifecycleStatus, ModelEntry, OptimizedSupport, Prices, Source, TierOffer, TierRules, TokenPrice,
};
use crate::date::Date;
use crate::model_id::{IdForm, ModelId, one_line};
use crate::vocab::{Operation, ServiceTier, Treatment};
use crate::{Error, Result};

/// A catalog document: every field optional but each model's `id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) schema_version: Option<u32>,
    #[serde(default)]
    pub(crate) as_of: Option<Date>,
    #[serde(default)]
    pub(crate) operations: Option<OperationsFile>,
    #[serde(default)]
    pub(crate) service_tiers: Option<TierRulesFile>,
    #[serde(default)]
    pub(crate) models: Vec<ModelPatch>,
}

/// The catalog-wide tier rules as a file gives them: each tier given
/// replaces the catalog's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierRulesFile {
    #[serde(default)]
    with_optimized: BTreeMap<ServiceTier, Treatment>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperationsFile {
    treatments: BTreeMap<Operation, Treatment>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelPatch {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    inference_profiles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "removable")]
    optimized: Option<Option<OptimizedPatch>>,
    #[serde(default)]
    lifecycle: Option<LifecyclePatch>,
    #[serde(default, deserialize_with = "removable")]
    prices: Option<Option<PricesPatch>>,
    #[serde(default)]
    service_tiers: Option<BTreeMap<ServiceTier, Removable<TierPatch>>>,
    #[serde(default)]
    source: Option<Source>,
}

/// One service tier of a model, field by field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierPatch {
    #[serde(default)]
    treatment: Option<Treatment>,
    #[serde(default)]
    regions: Option<Vec<String>>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptimizedPatch {
    #[serde(default)]
    profile: Option<String>,
    regions: Vec<String>,
    #[serde(default)]
    operations: Option<BTreeMap<Operation, Treatment>>,
    #[serde(default)]
    max_total_tokens: Option<u32>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecyclePatch {
    status: LifecycleStatus,
    #[serde(default)]
    legacy_since: Option<Date>,
    #[serde(default)]
    end_of_life: Option<Date>,
    #[serde(default)]
    source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesPatch {
    standard: TokenPrice,
    #[serde(default)]
    optimized: Option<TokenPrice>,
    #[serde(default)]
    source: Option<Source>,
}

/// A fact a file may remove: a table sets it, `false` (TOML has no null)
/// or `null` removes it.
#[derive(Debug, Clone)]
pub(crate) struct Removable<T>(Option<T>);

struct RemovableVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for RemovableVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table, or `false` to remove it")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Option<T>, E> {
        if v {
            Err(E::invalid_value(de::Unexpected::Bool(true), &self))
        } else {
            Ok(None)
        }
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Option<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Removable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(RemovableVisitor(PhantomData)).map(Removable)
    }
}

/// Distinguishes an absent field (`None`) from one removed with `false` or
/// `null` (`Some(None)`).
fn removable<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Removable::<T>::deserialize(d).map(|r| Some(r.0))
}

/// The operation table and tier rules of the built-in catalog, read without
/// building it.
pub(super) fn builtin_tables() -> (BTreeMap<Operation, Treatment>, Source, TierRules) {
    let file: CatalogFile = serde_json::from_str(super::BUILTIN_JSON).expect("builtin.json is valid (tested)");
    let ops = file.operations.expect("builtin.json has an operation table (tested)");
    let tiers = file.service_tiers.expect("builtin.json has tier rules (tested)");
    (
        ops.treatments,
        ops.source.expect("builtin operation table has a source (tested)"),
        TierRules {
            with_optimized: tiers.with_optimized,
            source: tiers.source.expect("builtin tier rules have a source (tested)"),
        },
    )
}

/// The largest catalog file read. The built-in catalog is about 14 KB; a
/// file a thousand times larger is a mistake (or `/dev/zero`), not a catalog.
pub(super) const MAX_FILE_BYTES: u64 = 16 << 20;

/// Longest piece of a parser message kept (they quote field names and values
/// from the file).
const MAX_MESSAGE_CHARS: usize = 200;

/// Reads a catalog file: at most [`MAX_FILE_BYTES`], UTF-8.
fn read_capped(path: &Path, origin: &str) -> Result<String> {
    let io = |source| Error::Io {
        path: one_line(&path.display().to_string(), 1000),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Catalog {
            origin: origin.to_owned(),
            reason: format!(
                "the file is larger than {} MiB; a catalog file is a few KB",
                MAX_FILE_BYTES >> 20
            ),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = std::str::from_utf8(valid).unwrap_or_default();
        Error::Catalog {
            origin: origin.to_owned(),
            reason: format!("{}: the file is not UTF-8 text", position(text, text.len())),
        }
    })
}

/// `line L, column C` (both from 1, columns in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> String {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    format!("line {line}, column {column}")
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

impl Catalog {
    /// Reads and merges a JSON or TOML file (TOML by the `.toml` extension).
    pub(super) fn merge_path(&mut self, path: &Path) -> Result<&mut Self> {
        let origin = format!("file {}", one_line(&path.display().to_string(), 1000));
        let text = read_capped(path, &origin)?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            self.merge_toml_named(&text, &origin)
        } else {
            self.merge_json_named(&text, &origin)
        }
    }

    /// Merges a JSON document; `origin` names it in errors (`file x.json`).
    pub(super) fn merge_json_named(&mut self, json: &str, origin: &str) -> Result<&mut Self> {
        let file: CatalogFile = serde_json::from_str(strip_bom(json)).map_err(|e| {
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = message.strip_suffix(&suffix).unwrap_or(&message);
            Error::Catalog {
                origin: origin.to_owned(),
                reason: format!(
                    "line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    one_line(message, MAX_MESSAGE_CHARS)
                ),
            }
        })?;
        self.apply(file, origin)?;
        Ok(self)
    }

    /// Merges a TOML document; `origin` names it in errors.
    pub(super) fn merge_toml_named(&mut self, text: &str, origin: &str) -> Result<&mut Self> {
        #[cfg(feature = "toml")]
        {
            let text = strip_bom(text);
            // The error's Display quotes the whole offending line (a long
            // line makes a long message): use its message and position only.
            let file: CatalogFile = toml::from_str(text).map_err(|e| Error::Catalog {
                origin: origin.to_owned(),
                reason: format!(
                    "{}: {}",
                    e.span()
                        .map_or_else(|| "line ?".to_owned(), |s| position(text, s.start)),
                    one_line(e.message().trim_end(), MAX_MESSAGE_CHARS)
                ),
            })?;
            self.apply(file, origin)?;
            Ok(self)
        }
        #[cfg(not(feature = "toml"))]
        {
            let _ = text;
            Err(Error::Catalog {
                origin: origin.to_owned(),
                reason: "TOML catalogs need the `toml` feature of bedrock-latency".to_owned(),
            })
        }
    }

    /// Merges a parsed file; on error the catalog is left unchanged.
    /// `origin` names the file in errors (`file x.json`, `JSON`); facts
    /// without a source get `catalog <origin>`.
    pub(super) fn apply(&mut self, file: CatalogFile, origin: &str) -> Result<()> {
        let bad = |reason: String| Error::Catalog {
            origin: origin.to_owned(),
            reason,
        };
        let file_date = file.as_of.unwrap_or_else(Date::today);
        let default_source = Source::new(format!("catalog {origin}"), file_date);
        let mut next = self.clone();
        if let Some(ops) = file.operations {
            for op in Operation::ALL {
                next.operations
                    .insert(op, ops.treatments.get(&op).copied().unwrap_or(Treatment::Unverified));
            }
            next.operations_source = ops.source.unwrap_or_else(|| default_source.clone());
        }
        if let Some(rules) = file.service_tiers {
            next.tier_rules.with_optimized.extend(rules.with_optimized);
            next.tier_rules.source = rules.source.unwrap_or_else(|| default_source.clone());
        }
        // Base model ID -> (index, ID as written) of the models in this file.
        let mut seen: HashMap<String, (usize, String)> = HashMap::new();
        for (i, patch) in file.models.into_iter().enumerate() {
            let quoted = one_line(&patch.id, 120);
            let id = ModelId::parse(&patch.id).map_err(|e| bad(format!("models[{i}] {quoted:?}: {e}")))?;
            if id.form() != IdForm::BaseModel {
                return Err(bad(format!(
                    "models[{i}] {quoted:?}: `id` must be a base model ID such as `amazon.nova-pro-v1:0`, not a profile or ARN"
                )));
            }
            if let Some((first, first_id)) = seen.insert(id.as_str().to_owned(), (i, quoted.clone())) {
                return Err(bad(format!(
                    "models[{first}] {first_id:?} and models[{i}] {quoted:?} are the same model; \
                     merge them into one entry"
                )));
            }
            let existing = next.index.get(id.as_str()).map(|&i| next.models[i].clone());
            let entry = patch_entry(existing, patch, &default_source, &next.operations);
            validate_entry(&entry, origin).map_err(|e| match e {
                Error::Catalog { origin, reason } => Error::Catalog {
                    origin,
                    reason: format!("models[{i}]: {reason}"),
                },
                other => other,
            })?;
            match next.index.get(&entry.id) {
                Some(&i) => next.models[i] = entry,
                None => {
                    next.index.insert(entry.id.clone(), next.models.len());
                    next.models.push(entry);
                }
            }
        }
        next.as_of = next.as_of.max(file_date);
        *self = next;
        Ok(())
    }

    /// The catalog as a JSON document in the file format (what
    /// `bedrock-latency matrix --json` prints); it merges back unchanged.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema_version": 1,
            "as_of": self.as_of,
            "operations": { "treatments": self.operations, "source": self.operations_source },
            "service_tiers": self.tier_rules,
            "models": self.models,
        })
    }
}

fn patch_entry(
    existing: Option<ModelEntry>,
    p: ModelPatch,
    default_source: &Source,
    operations: &BTreeMap<Operation, Treatment>,
) -> ModelEntry {
    let source = p.source.clone().unwrap_or_else(|| default_source.clone());
    let mut e = existing.unwrap_or_else(|| ModelEntry::bare(p.id.trim(), source.clone()));
    if let Some(n) = p.name {
        e.name = n;
    }
    if let Some(v) = p.provider {
        e.provider = v;
    }
    if let Some(v) = p.inference_profiles {
        e.inference_profiles = v;
    }
    if let Some(s) = p.source {
        e.source = s;
    }
    if let Some(l) = p.lifecycle {
        e.lifecycle = Lifecycle {
            status: l.status,
            legacy_since: l.legacy_since,
            end_of_life: l.end_of_life,
            source: l.source.unwrap_or_else(|| source.clone()),
        };
    }
    // Absent: kept; `null`: removed; given: replaced.
    if let Some(prices) = p.prices {
        e.prices = prices.map(|pr| Prices {
            standard: pr.standard,
            optimized: pr.optimized,
            source: pr.source.unwrap_or_else(|| source.clone()),
        });
    }
    if let Some(optimized) = p.optimized {
        e.optimized = optimized.map(|o| optimized_support(&mut e, o, &source, operations));
    }
    if let Some(tiers) = p.service_tiers {
        patch_tiers(&mut e, tiers, &source);
    }
    e
}

/// The optimized support a patch gives (its profile added to the entry's
/// profiles when new).
fn optimized_support(
    e: &mut ModelEntry,
    o: OptimizedPatch,
    source: &Source,
    operations: &BTreeMap<Operation, Treatment>,
) -> OptimizedSupport {
    let profile = o.profile.or_else(|| {
        o.regions
            .first()
            .and_then(|r| e.profile_for_region(r))
            .map(str::to_owned)
    });
    let profile = profile.unwrap_or_default();
    if !profile.is_empty() && !e.inference_profiles.contains(&profile) {
        e.inference_profiles.push(profile.clone());
    }
    OptimizedSupport {
        profile,
        regions: o.regions,
        operations: o.operations.unwrap_or_else(|| operations.clone()),
        max_total_tokens: o.max_total_tokens,
        source: o.source.unwrap_or_else(|| source.clone()),
    }
}

/// Each tier given replaces the entry's field by field (a new one is
/// `honored` unless the file says otherwise); `false` removes it.
fn patch_tiers(e: &mut ModelEntry, tiers: BTreeMap<ServiceTier, Removable<TierPatch>>, source: &Source) {
    for (tier, patch) in tiers {
        let Some(t) = patch.0 else {
            e.service_tiers.remove(&tier);
            continue;
        };
        let offer = e.service_tiers.entry(tier).or_insert_with(|| TierOffer {
            treatment: Treatment::Honored,
            regions: None,
            source: source.clone(),
        });
        if let Some(treatment) = t.treatment {
            offer.treatment = treatment;
        }
        if let Some(regions) = t.regions {
            offer.regions = Some(regions);
        }
        offer.source = t.source.unwrap_or_else(|| source.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge_json(json: &str) -> Result<Catalog> {
        let mut c = Catalog::builtin().clone();
        c.merge_json(json)?;
        Ok(c)
    }

    const PREMIER: &str = r#"{"models": [{"id": "amazon.nova-premier-v1:0"}]}"#;

    #[test]
    fn a_bom_is_accepted() {
        let c = merge_json(&format!("\u{feff}{PREMIER}")).unwrap();
        assert!(c.lookup("amazon.nova-premier-v1:0").is_ok());
        #[cfg(feature = "toml")]
        {
            let mut c = Catalog::builtin().clone();
            c.merge_toml("\u{feff}[[models]]\nid = \"amazon.nova-premier-v1:0\"\n")
                .unwrap();
            assert!(c.lookup("amazon.nova-premier-v1:0").is_ok());
        }
    }

    #[test]
    fn duplicate_ids_name_both_entries() {
        let e = merge_json(
            r#"{"models": [{"id": "amazon.nova-premier-v1:0"}, {"id": "x.y"}, {"id": "amazon.nova-premier-v1%3A0"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("models[0] \"amazon.nova-premier-v1:0\""), "{e}");
        assert!(e.contains("models[2] \"amazon.nova-premier-v1%3A0\""), "{e}");
        assert!(e.contains("same model"), "{e}");
        // The same model in two files is an update, not a duplicate.
        let mut c = Catalog::builtin().clone();
        c.merge_json(PREMIER).unwrap().merge_json(PREMIER).unwrap();
    }

    #[test]
    fn prices_are_bounded() {
        let priced = |v: &str| {
            merge_json(&format!(
                r#"{{"models": [{{"id": "x.y", "prices": {{"standard": {{"input_per_1k": {v}, "output_per_1k": 0.1}}}}}}]}}"#
            ))
        };
        assert!(priced("0").is_ok());
        assert!(priced("1000").is_ok());
        for v in ["1000.0001", "1e308", "-0.001"] {
            let e = priced(v).unwrap_err().to_string();
            assert!(e.contains("at most 1000 USD"), "{v}: {e}");
        }
        // 1e309 is not a JSON number serde_json reads as finite.
        assert!(priced("1e309").is_err());
    }

    type Merge = for<'c> fn(&'c mut Catalog, &str) -> Result<&'c mut Catalog>;

    /// Merging `text` into the built-in catalog fails with one line of fewer
    /// than 400 bytes that starts with `start` and names `named`.
    fn fails_in_one_short_line(merge: Merge, text: &str, start: &str, named: &str) {
        let mut c = Catalog::builtin().clone();
        let e = merge(&mut c, text).unwrap_err().to_string();
        assert!(e.starts_with(start) && e.contains(named), "{e:.300}");
        assert!(e.len() < 400 && !e.contains('\n'), "{} bytes: {e:.300}", e.len());
    }

    #[test]
    fn syntax_errors_are_one_short_line_with_line_and_column() {
        let long = "x".repeat(200_000);
        let text = format!("{{\n  \"models\": [\n    {{\"id\": \"x.y\", \"{long}\": 1}}]}}");
        fails_in_one_short_line(
            Catalog::merge_json,
            &text,
            "catalog JSON: line 3, column ",
            "unknown field",
        );
        let e = merge_json("{\"models\": [\u{1b}]}").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e}");
        assert!(!e.contains("catalog catalog"), "{e}");
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_errors_do_not_quote_the_line() {
        let long = "y".repeat(200_000);
        let text = format!("as_of = \"2026-12-01\"\n[[models]]\nid = \"x.y\"\ncolour = \"{long}\"\n");
        fails_in_one_short_line(Catalog::merge_toml, &text, "catalog TOML: line 4, column 1: ", "colour");
    }

    #[test]
    fn position_counts_lines_and_characters() {
        let text = "ab\ncé\nd";
        for (offset, at) in [
            (0, "line 1, column 1"),
            (3, "line 2, column 1"),
            (6, "line 2, column 3"),
        ] {
            assert_eq!(position(text, offset), at, "{offset}");
        }
        // Inside `é` (bytes 4 and 5): the character it is in; past the end: the end.
        assert_eq!(position(text, 5), "line 2, column 2");
        assert_eq!(position("ab", 99), "line 1, column 3");
    }
}
