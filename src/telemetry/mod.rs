//! Telemetry the OpenTelemetry way: every call as a span and as metrics
//! named by the OpenTelemetry GenAI semantic conventions, split by the
//! latency and service tier that served it.
//!
//! **Which conventions.** This crate follows the GenAI semantic conventions
//! of [`SEMCONV_VERSION`] (semantic-conventions v1.41.0, the last release
//! that carried them; status: development). The conventions have since
//! moved to their own repository, which has renamed the inference metrics
//! and replaced the token histogram, and has cut no release: set
//! `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` (the
//! conventions' own switch, read by [`Conventions::from_env`], which
//! [`Telemetry::default`] uses) to get those names instead
//! ([`Conventions::LatestExperimental`]). What differs:
//!
//! | | v1.41.0 (default) | latest experimental |
//! |---|---|---|
//! | duration of an inference call (`chat`) | `gen_ai.client.operation.duration` | `gen_ai.client.inference.duration` |
//! | duration of an agent or flow call | `gen_ai.client.operation.duration` | `gen_ai.client.operation.duration` |
//! | streams | `gen_ai.client.operation.time_to_first_chunk`, `..time_per_output_chunk` (every streamed operation, agents too) | `gen_ai.client.inference.time_to_first_chunk`, `..time_per_output_chunk` (inference streams only) |
//! | tokens | `gen_ai.client.token.usage` histogram with `gen_ai.token.type` | counters `gen_ai.client.inference.usage.{input,output}_tokens` (`gen_ai.token.modality` = `unknown`) and histograms `gen_ai.client.inference.operation.{input,output}_tokens` |
//!
//! **Two ways out.**
//! - Through [`tracing`]: every call is a `bedrock_call` span whose fields
//!   are the conventions' attribute keys, with `otel.name` ("chat
//!   us.amazon.nova-pro-v1:0"), `otel.kind` (`client`) and
//!   `otel.status_code`, so a `tracing-opentelemetry` layer turns it into
//!   the conventions' span. Always on, no feature needed.
//! - Feature `otel`: spans and metrics recorded directly on an
//!   `opentelemetry` tracer and meter you give
//!   (`TelemetryBuilder::tracer`, `TelemetryBuilder::meter`): the
//!   conventions' metrics with their units and advised bucket boundaries.
//!   Only the `opentelemetry` API crate is added; which SDK and exporter
//!   (OTLP, stdout, in-memory) is yours to choose.
//!
//! **Content** (prompts, completions, system instructions) is never
//! recorded unless you opt in with [`TelemetryBuilder::capture_content`],
//! as the conventions ask ("SHOULD NOT capture them by default, but SHOULD
//! provide an option for users to opt in").
//!
//! The names are in [`names`]; README's "Telemetry" section lists the
//! series a dashboard needs.

mod content;
mod errors;
pub mod names;
#[cfg(feature = "otel")]
mod otel;
mod record;
mod sink;
mod span;

use std::sync::Arc;

pub use errors::error_type;

pub(crate) use content::{Input, Message, Part};
pub(crate) use record::{CallTelemetry, Refused, RequestInfo, refused};

/// The GenAI semantic conventions this crate follows by default.
pub const SEMCONV_VERSION: &str = "1.41.0";
/// Their schema URL.
pub const SEMCONV_SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.41.0";
/// The schema URL of the latest experimental conventions
/// (github.com/open-telemetry/semantic-conventions-genai, unreleased; the
/// names this crate emits under [`Conventions::LatestExperimental`] were
/// read at [`LATEST_EXPERIMENTAL_REVISION`]).
pub const LATEST_EXPERIMENTAL_SCHEMA_URL: &str = "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev";
/// The revision of semantic-conventions-genai whose names
/// [`Conventions::LatestExperimental`] follows (`client-inference.md`).
pub const LATEST_EXPERIMENTAL_REVISION: &str = "024a4f944a1291fcb627c9c47da69e79868dd15e";
/// The environment variable the conventions name for choosing a version.
pub const STABILITY_OPT_IN_ENV: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";
/// The value in [`STABILITY_OPT_IN_ENV`] that asks for the latest
/// experimental GenAI conventions.
pub const LATEST_EXPERIMENTAL_OPT_IN: &str = "gen_ai_latest_experimental";
/// The instrumentation scope name of this crate's spans and metrics.
pub const SCOPE_NAME: &str = "bedrock-latency";

/// Which version of the GenAI conventions the metric names follow (the span
/// attributes this crate emits are the same in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conventions {
    /// semantic-conventions v1.41.0 ([`SEMCONV_VERSION`]).
    #[default]
    V1_41,
    /// The latest experimental GenAI conventions
    /// ([`LATEST_EXPERIMENTAL_REVISION`]).
    LatestExperimental,
}

impl Conventions {
    /// The version `OTEL_SEMCONV_STABILITY_OPT_IN` asks for: the latest
    /// experimental one when its comma-separated list holds
    /// `gen_ai_latest_experimental`, v1.41.0 otherwise.
    pub fn from_env() -> Self {
        Self::from_opt_in(std::env::var(STABILITY_OPT_IN_ENV).ok().as_deref().unwrap_or(""))
    }

    /// The version a value of `OTEL_SEMCONV_STABILITY_OPT_IN` asks for
    /// (`"http,gen_ai_latest_experimental"` -> the latest).
    pub fn from_opt_in(value: &str) -> Self {
        if value.split(',').any(|v| v.trim() == LATEST_EXPERIMENTAL_OPT_IN) {
            Conventions::LatestExperimental
        } else {
            Conventions::V1_41
        }
    }

    /// The schema URL of this version.
    pub fn schema_url(self) -> &'static str {
        match self {
            Conventions::V1_41 => SEMCONV_SCHEMA_URL,
            Conventions::LatestExperimental => LATEST_EXPERIMENTAL_SCHEMA_URL,
        }
    }
}

/// How a client records its calls: which conventions, whether content is
/// captured, and (feature `otel`) the tracer and meter to record on.
/// Cheap to clone. Give it to [`ClientBuilder::telemetry`](crate::ClientBuilder::telemetry).
///
/// ```
/// use bedrock_latency::telemetry::{Conventions, Telemetry};
///
/// let telemetry = Telemetry::builder()
///     .conventions(Conventions::V1_41)
///     .capture_content(false) // the default: no prompt or completion text
///     .build();
/// assert!(!telemetry.captures_content());
/// ```
#[derive(Clone, Debug)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conventions: Conventions,
    capture_content: bool,
    #[cfg(feature = "otel")]
    otel: Option<otel::Otel>,
}

impl Default for Telemetry {
    /// `tracing` spans only, conventions from `OTEL_SEMCONV_STABILITY_OPT_IN`,
    /// no content.
    fn default() -> Self {
        Telemetry::builder().build()
    }
}

impl Telemetry {
    /// A builder; `build()` without settings gives [`Telemetry::default`].
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder {
            conventions: None,
            capture_content: false,
            #[cfg(feature = "otel")]
            tracer: None,
            #[cfg(feature = "otel")]
            meter: None,
        }
    }

    /// The conventions the metric names follow.
    pub fn conventions(&self) -> Conventions {
        self.inner.conventions
    }

    /// Whether prompts and completions are recorded.
    pub fn captures_content(&self) -> bool {
        self.inner.capture_content
    }

    #[cfg(feature = "otel")]
    fn otel(&self) -> Option<&otel::Otel> {
        self.inner.otel.as_ref()
    }
}

/// The most characters of one message part kept when content is captured
/// (longer text is cut, the JSON structure kept).
pub const MAX_CONTENT_CHARS: usize = 16 * 1024;

/// Builds a [`Telemetry`].
#[must_use = "a builder does nothing until `.build()`"]
pub struct TelemetryBuilder {
    conventions: Option<Conventions>,
    capture_content: bool,
    #[cfg(feature = "otel")]
    tracer: Option<opentelemetry::global::BoxedTracer>,
    #[cfg(feature = "otel")]
    meter: Option<opentelemetry::metrics::Meter>,
}

impl std::fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("conventions", &self.conventions)
            .field("capture_content", &self.capture_content)
            .finish_non_exhaustive()
    }
}

impl TelemetryBuilder {
    /// The conventions to follow; by default, what
    /// `OTEL_SEMCONV_STABILITY_OPT_IN` asks for ([`Conventions::from_env`]).
    pub fn conventions(self, conventions: Conventions) -> Self {
        Self {
            conventions: Some(conventions),
            ..self
        }
    }

    /// Records prompts, system instructions and completions
    /// (`gen_ai.input.messages`, `gen_ai.system_instructions`,
    /// `gen_ai.output.messages`, as JSON in the conventions' message schema):
    /// on the OpenTelemetry span (feature `otel`), and on the `tracing` path
    /// as a `gen_ai.client.inference.operation.details` event inside the
    /// call's span. Off by default. They are likely to hold personal data:
    /// turn this on only where your telemetry storage may keep them.
    ///
    /// Captured: Converse and ConverseStream (messages, system prompt,
    /// answer), inline agents and InvokeAgent (input text, instruction,
    /// answer), RetrieveAndGenerate (query, answer). Not captured:
    /// InvokeModel bodies (model-native JSON) and flow documents. Each text
    /// part is cut to [`MAX_CONTENT_CHARS`] characters.
    pub fn capture_content(self, on: bool) -> Self {
        Self {
            capture_content: on,
            ..self
        }
    }

    /// Records a span per call on `tracer` (feature `otel`), with span kind
    /// CLIENT, the conventions' name and attributes, and status ERROR with
    /// `error.type` on failure. Make the tracer with this crate's scope:
    /// `provider.tracer_with_scope(telemetry::instrumentation_scope())`.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn tracer<T>(mut self, tracer: T) -> Self
    where
        T: opentelemetry::trace::Tracer + Send + Sync + 'static,
        T::Span: Send + Sync + 'static,
    {
        self.tracer = Some(opentelemetry::global::BoxedTracer::new(Box::new(tracer)));
        self
    }

    /// Records the conventions' metrics on `meter` (feature `otel`). Make it
    /// with this crate's scope:
    /// `provider.meter_with_scope(telemetry::instrumentation_scope())`.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn meter(mut self, meter: opentelemetry::metrics::Meter) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Builds it.
    pub fn build(self) -> Telemetry {
        let conventions = self.conventions.unwrap_or_else(Conventions::from_env);
        Telemetry {
            inner: Arc::new(Inner {
                conventions,
                capture_content: self.capture_content,
                #[cfg(feature = "otel")]
                otel: otel::Otel::new(self.tracer, self.meter, conventions),
            }),
        }
    }
}

/// This crate's instrumentation scope, for `tracer_with_scope` and
/// `meter_with_scope`: name [`SCOPE_NAME`], the crate's version, and the
/// schema URL of the conventions `OTEL_SEMCONV_STABILITY_OPT_IN` asks for
/// ([`Conventions::instrumentation_scope`] for a given version).
#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
pub fn instrumentation_scope() -> opentelemetry::InstrumentationScope {
    Conventions::from_env().instrumentation_scope()
}

#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
impl Conventions {
    /// This crate's instrumentation scope with the schema URL of this
    /// version.
    pub fn instrumentation_scope(self) -> opentelemetry::InstrumentationScope {
        opentelemetry::InstrumentationScope::builder(SCOPE_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .with_schema_url(self.schema_url())
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opt_in_is_a_comma_separated_list() {
        assert_eq!(Conventions::from_opt_in(""), Conventions::V1_41);
        assert_eq!(Conventions::from_opt_in("http"), Conventions::V1_41);
        assert_eq!(
            Conventions::from_opt_in("http, gen_ai_latest_experimental"),
            Conventions::LatestExperimental
        );
        assert_eq!(
            Conventions::from_opt_in("gen_ai_latest_experimental"),
            Conventions::LatestExperimental
        );
        // A prefix or a longer word is not the value.
        assert_eq!(Conventions::from_opt_in("gen_ai_latest"), Conventions::V1_41);
        assert_eq!(
            Conventions::from_opt_in("gen_ai_latest_experimental_x"),
            Conventions::V1_41
        );
    }

    #[test]
    fn content_is_off_unless_asked() {
        let t = Telemetry::builder().conventions(Conventions::V1_41).build();
        assert!(!t.captures_content());
        assert!(Telemetry::builder().capture_content(true).build().captures_content());
    }
}
