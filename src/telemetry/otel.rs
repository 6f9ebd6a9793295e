//! Feature `otel`: spans and metrics recorded directly on the tracer and
//! meter the user gave.

use std::borrow::Cow;
use std::time::Duration;

use opentelemetry::global::{BoxedSpan, BoxedTracer};
use opentelemetry::metrics::{Counter, Histogram, HistogramBuilder, Meter};
use opentelemetry::trace::{Span as _, SpanBuilder, SpanKind, Status, Tracer as _};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};

use super::Conventions;
use super::names::{self as n, Kind, metrics as m};
use super::sink::{self, Sink};
use crate::report::LatencyReport;

/// The most chunk intervals one stream keeps for
/// `time_per_output_chunk` (recorded when the stream ends, with what served
/// it): 16,384 values, 64 KiB. Later chunks are not recorded.
const MAX_CHUNKS: usize = 16 * 1024;

/// The user's tracer and the instruments made on the user's meter.
pub(crate) struct Otel {
    tracer: Option<BoxedTracer>,
    metrics: Option<Instruments>,
}

impl std::fmt::Debug for Otel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Otel")
            .field("tracer", &self.tracer.is_some())
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}

impl Otel {
    pub(crate) fn new(tracer: Option<BoxedTracer>, meter: Option<Meter>, conventions: Conventions) -> Option<Self> {
        if tracer.is_none() && meter.is_none() {
            return None;
        }
        Some(Otel {
            tracer,
            metrics: meter.map(|meter| Instruments::new(&meter, conventions)),
        })
    }

    /// Starts the span of a call (CLIENT), with what is known before sending.
    pub(crate) fn start(&self, name: Cow<'static, str>, start: Vec<KeyValue>) -> OtelCall {
        let span = self.tracer.as_ref().map(|t| {
            let builder = SpanBuilder::from_name(name)
                .with_kind(SpanKind::Client)
                .with_attributes(start);
            t.build_with_context(builder, &Context::current())
        });
        OtelCall {
            span,
            chunks: self.metrics.as_ref().map(|_| Vec::new()),
            last_chunk: None,
        }
    }

    pub(crate) fn has_tracer(&self) -> bool {
        self.tracer.is_some()
    }

    /// Records the call's metrics.
    pub(crate) fn record(
        &self,
        call: &OtelCall,
        kind: Kind,
        op_name: &'static str,
        r: &LatencyReport,
        error: Option<&str>,
    ) {
        let Some(ins) = &self.metrics else { return };
        // One attribute list for every point of the call, in one order (the
        // SDK finds a series by the list as given before sorting it).
        let mut attrs: Vec<KeyValue> = Vec::with_capacity(11);
        sink::metric(&mut attrs, op_name, r);
        if let Some(e) = error {
            attrs.push(KeyValue::new(n::ERROR_TYPE, e.to_owned()));
        }
        ins.record(call, kind, r, attrs);
    }
}

/// The conventions' instruments, with their units and advised boundaries.
struct Instruments {
    /// `gen_ai.client.operation.duration`.
    operation_duration: Histogram<f64>,
    /// `gen_ai.client.inference.duration` (latest).
    inference_duration: Option<Histogram<f64>>,
    time_to_first_chunk: Histogram<f64>,
    time_per_output_chunk: Histogram<f64>,
    tokens: Tokens,
}

enum Tokens {
    /// `gen_ai.client.token.usage` with `gen_ai.token.type` (v1.41.0).
    Histogram(Histogram<u64>),
    /// Counters and per-operation histograms (latest).
    Latest {
        input: Counter<u64>,
        output: Counter<u64>,
        input_per_call: Histogram<u64>,
        output_per_call: Histogram<u64>,
    },
}

/// A histogram with the conventions' unit, description and advised bucket
/// boundaries.
fn advised<'a, T>(
    b: HistogramBuilder<'a, T>,
    unit: &'static str,
    description: &'static str,
    bounds: &[f64],
) -> HistogramBuilder<'a, T> {
    b.with_unit(unit)
        .with_description(description)
        .with_boundaries(bounds.to_vec())
}

fn counter(meter: &Meter, name: &'static str, description: &'static str) -> Counter<u64> {
    meter
        .u64_counter(name)
        .with_unit(m::UNIT_TOKENS)
        .with_description(description)
        .build()
}

impl Instruments {
    fn new(meter: &Meter, conventions: Conventions) -> Self {
        let seconds = |name: &'static str, description| {
            advised(
                meter.f64_histogram(name),
                m::UNIT_SECONDS,
                description,
                &m::DURATION_BUCKETS,
            )
            .build()
        };
        let tokens = |name: &'static str, description| {
            advised(
                meter.u64_histogram(name),
                m::UNIT_TOKENS,
                description,
                &m::TOKEN_BUCKETS,
            )
            .build()
        };
        let latest = conventions == Conventions::LatestExperimental;
        let (ttfc, tpoc) = if latest {
            (m::INFERENCE_TIME_TO_FIRST_CHUNK, m::INFERENCE_TIME_PER_OUTPUT_CHUNK)
        } else {
            (m::TIME_TO_FIRST_CHUNK, m::TIME_PER_OUTPUT_CHUNK)
        };
        Instruments {
            operation_duration: seconds(m::OPERATION_DURATION, "GenAI operation duration."),
            inference_duration: latest
                .then(|| seconds(m::INFERENCE_DURATION, "GenAI client inference operation duration.")),
            time_to_first_chunk: seconds(ttfc, "Time to receive the first chunk of a streamed answer."),
            time_per_output_chunk: seconds(tpoc, "Time per output chunk after the first one."),
            tokens: if latest {
                Tokens::Latest {
                    input: counter(meter, m::INFERENCE_USAGE_INPUT_TOKENS, "Input tokens used."),
                    output: counter(meter, m::INFERENCE_USAGE_OUTPUT_TOKENS, "Output tokens used."),
                    input_per_call: tokens(m::INFERENCE_OPERATION_INPUT_TOKENS, "Input tokens per call."),
                    output_per_call: tokens(m::INFERENCE_OPERATION_OUTPUT_TOKENS, "Output tokens per call."),
                }
            } else {
                Tokens::Histogram(tokens(m::TOKEN_USAGE, "Number of input and output tokens used."))
            },
        }
    }

    fn record(&self, call: &OtelCall, kind: Kind, r: &LatencyReport, mut attrs: Vec<KeyValue>) {
        let inference = kind == Kind::Inference;
        let duration = match (&self.inference_duration, inference) {
            (Some(h), true) => h,
            _ => &self.operation_duration,
        };
        duration.record(r.timing.total.as_secs_f64(), &attrs);
        // v1.41.0's chunk metrics are `gen_ai.client.operation.*`, for every
        // streamed operation; the latest ones are `gen_ai.client.inference.*`,
        // for inference only (an agent's stream has none).
        let chunks = n::is_stream(r.operation) && (inference || self.inference_duration.is_none());
        if let Some(t) = r.timing.time_to_first_token.filter(|_| chunks) {
            self.time_to_first_chunk.record(t.as_secs_f64(), &attrs);
        }
        for c in call.chunks.iter().flatten().filter(|_| chunks) {
            self.time_per_output_chunk.record(f64::from(*c), &attrs);
        }
        self.record_tokens(inference, r, &mut attrs);
    }

    /// v1.41.0: the histogram, when the service reported usage ("Otherwise
    /// it MUST NOT report usage metric"). Latest: for every inference call,
    /// `0` with modality `unknown` when no usage came back.
    fn record_tokens(&self, inference: bool, r: &LatencyReport, attrs: &mut Vec<KeyValue>) {
        match &self.tokens {
            Tokens::Histogram(h) => {
                if let Some(u) = r.usage {
                    attrs.push(KeyValue::new(n::TOKEN_TYPE, "input"));
                    h.record(u64::from(u.input_tokens), attrs);
                    attrs.pop();
                    attrs.push(KeyValue::new(n::TOKEN_TYPE, "output"));
                    h.record(u64::from(u.output_tokens), attrs);
                }
            }
            Tokens::Latest {
                input,
                output,
                input_per_call,
                output_per_call,
            } if inference => {
                let (i, o) = r
                    .usage
                    .map_or((0, 0), |u| (u64::from(u.input_tokens), u64::from(u.output_tokens)));
                if r.usage.is_some() {
                    input_per_call.record(i, attrs);
                    output_per_call.record(o, attrs);
                }
                attrs.push(KeyValue::new(n::TOKEN_MODALITY, "unknown"));
                input.add(i, attrs);
                output.add(o, attrs);
            }
            Tokens::Latest { .. } => {}
        }
    }
}

/// One call's OpenTelemetry span and stream timing.
pub(crate) struct OtelCall {
    span: Option<BoxedSpan>,
    /// Seconds between chunks after the first (when metrics are on).
    chunks: Option<Vec<f32>>,
    last_chunk: Option<Duration>,
}

impl std::fmt::Debug for OtelCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtelCall")
            .field("span", &self.span.is_some())
            .finish_non_exhaustive()
    }
}

impl OtelCall {
    pub(crate) fn span(&mut self) -> Option<&mut BoxedSpan> {
        self.span.as_mut()
    }

    /// A chunk of a stream arrived `at` after the start.
    /// Whether chunk times are recorded (metrics are on).
    pub(crate) fn wants_chunks(&self) -> bool {
        self.chunks.is_some()
    }

    pub(crate) fn chunk(&mut self, at: Duration) {
        let Some(chunks) = &mut self.chunks else { return };
        if let Some(last) = self.last_chunk
            && chunks.len() < MAX_CHUNKS
        {
            chunks.push(at.saturating_sub(last).as_secs_f32());
        }
        self.last_chunk = Some(at);
    }

    /// Ends the span; ERROR status with `description` when the call failed.
    pub(crate) fn end(&mut self, error: Option<&str>) {
        if let Some(mut span) = self.span.take() {
            if let Some(d) = error {
                span.set_status(Status::error(d.to_owned()));
            }
            span.end();
        }
    }
}

/// Where OpenTelemetry attributes go: a list (span start, metric points)
/// or a started span.
trait Put {
    fn put(&mut self, kv: KeyValue);
}

impl Put for Vec<KeyValue> {
    fn put(&mut self, kv: KeyValue) {
        self.push(kv);
    }
}

impl Put for BoxedSpan {
    fn put(&mut self, kv: KeyValue) {
        self.set_attribute(kv);
    }
}

impl<P: Put> Sink for P {
    fn word(&mut self, key: &'static str, value: &'static str) {
        self.put(KeyValue::new(key, value));
    }
    fn text(&mut self, key: &'static str, value: &str) {
        self.put(KeyValue::new(key, value.to_owned()));
    }
    fn int(&mut self, key: &'static str, value: i64) {
        self.put(KeyValue::new(key, value));
    }
    fn float(&mut self, key: &'static str, value: f64) {
        self.put(KeyValue::new(key, value));
    }
    fn flag(&mut self, key: &'static str, value: bool) {
        self.put(KeyValue::new(key, value));
    }
    fn list(&mut self, key: &'static str, values: &[&str]) {
        self.put(KeyValue::new(key, list(values)));
    }
}

fn list(values: &[&str]) -> Value {
    Value::Array(Array::String(
        values.iter().map(|v| StringValue::from((*v).to_owned())).collect(),
    ))
}
