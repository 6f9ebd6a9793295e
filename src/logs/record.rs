//! One JSON value of a log, read straight into borrowed, typed fields: no
//! `serde_json::Value` is built, request and response bodies are skipped
//! (only a response's metrics and usage are read), and a field of an
//! unexpected type reads as absent, as [`LogRecord::from_json`] has it,
//! except `performanceConfig`, whose wrong type is a reported bad field.
//!
//! The tests below hold this reader to `LogRecord::from_json` (the
//! `serde_json::Value` reading) on generated records: both give the same
//! record, or both refuse it.
//!
//! [`LogRecord::from_json`]: super::LogRecord::from_json

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Fields, LatencySource};

/// A present, non-null JSON value: of the expected type, or not (then the
/// JSON type found, e.g. "a string").
#[derive(Debug)]
pub(super) enum Typed<T> {
    Is(T),
    Not(&'static str),
}

impl<T> Typed<T> {
    fn as_ref(&self) -> Option<&T> {
        match self {
            Typed::Is(v) => Some(v),
            Typed::Not(_) => None,
        }
    }
}

/// What a lenient field takes; anything else is consumed and remembered
/// only by its JSON type.
trait Accept<'de>: Sized {
    fn borrowed(s: &'de str) -> Option<Self> {
        Self::transient(s)
    }
    fn transient(_s: &str) -> Option<Self> {
        None
    }
    fn unsigned(_n: u64) -> Option<Self> {
        None
    }
    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de: 'a, 'a> Accept<'de> for Cow<'a, str> {
    fn borrowed(s: &'de str) -> Option<Self> {
        Some(Cow::Borrowed(s))
    }
    fn transient(s: &str) -> Option<Self> {
        Some(Cow::Owned(s.to_owned()))
    }
}

impl Accept<'_> for u64 {
    fn unsigned(n: u64) -> Option<Self> {
        Some(n)
    }
}

/// Reads an object into `T` (whose own fields are all lenient).
fn object<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<Option<T>, A::Error> {
    T::deserialize(MapAccessDeserializer::new(map)).map(Some)
}

/// A part of a record read as an object, by its derived `Deserialize`
/// (anything else in its place is remembered by its JSON type).
trait WholeObject {}

impl<'de, T: WholeObject + Deserialize<'de>> Accept<'de> for T {
    fn map<A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        object(map)
    }
}

/// The visitor of a lenient field: `None` for `null`.
struct Lenient<T>(PhantomData<T>);

impl<T> Lenient<T> {
    fn is(v: Option<T>, found: &'static str) -> Option<Typed<T>> {
        Some(v.map_or(Typed::Not(found), Typed::Is))
    }
}

impl<'de, T: Accept<'de>> Visitor<'de> for Lenient<T> {
    type Value = Option<Typed<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some(Typed::Not("a boolean")))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Some(Typed::Not("a number")))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Self::is(T::unsigned(n), "a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Some(Typed::Not("a number")))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Self::is(T::borrowed(s), "a string"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Self::is(T::transient(s), "a string"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok(Self::is(T::seq(seq)?, "an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(Self::is(T::map(map)?, "an object"))
    }
}

impl<'de, T: Accept<'de>> DeserializeSeed<'de> for Lenient<T> {
    type Value = Option<Typed<T>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A field of any type: `None` when `null` (or absent, with `default`).
fn lenient<'de, D: Deserializer<'de>, T: Accept<'de>>(d: D) -> Result<Option<Typed<T>>, D::Error> {
    d.deserialize_any(Lenient(PhantomData))
}

/// Like [`lenient`], but `Some` whenever the key is there, `null` included.
#[allow(clippy::option_option)]
fn present<'de, D: Deserializer<'de>, T: Accept<'de>>(d: D) -> Result<Option<Option<Typed<T>>>, D::Error> {
    lenient(d).map(Some)
}

/// A top-level JSON object of a log: a record, a CloudWatch Logs event, or
/// an event list. Duplicate keys are refused (serde's "duplicate field").
#[derive(Deserialize)]
pub(super) struct Object<'a> {
    #[serde(rename = "schemaType", default, borrow, deserialize_with = "present")]
    schema_type: Option<Option<Typed<Cow<'a, str>>>>,
    #[serde(rename = "requestId", default, borrow, deserialize_with = "lenient")]
    request_id: Option<Typed<Cow<'a, str>>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    timestamp: Option<Typed<Cow<'a, str>>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    operation: Option<Typed<Cow<'a, str>>>,
    #[serde(rename = "modelId", default, borrow, deserialize_with = "present")]
    model_id: Option<Option<Typed<Cow<'a, str>>>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    region: Option<Typed<Cow<'a, str>>>,
    #[serde(rename = "inferenceRegion", default, borrow, deserialize_with = "lenient")]
    inference_region: Option<Typed<Cow<'a, str>>>,
    #[serde(rename = "performanceConfig", default, borrow, deserialize_with = "lenient")]
    performance: Option<Typed<Performance<'a>>>,
    #[serde(default, deserialize_with = "lenient")]
    input: Option<Typed<Input>>,
    #[serde(default, deserialize_with = "lenient")]
    output: Option<Typed<Output>>,
    #[serde(default, borrow)]
    events: Option<&'a RawValue>,
    #[serde(rename = "logEvents", default, borrow)]
    log_events: Option<&'a RawValue>,
    #[serde(default, borrow)]
    message: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Performance<'a> {
    #[serde(default, borrow, deserialize_with = "lenient")]
    latency: Option<Typed<Cow<'a, str>>>,
}

impl WholeObject for Performance<'_> {}

#[derive(Deserialize)]
struct Input {
    #[serde(rename = "inputTokenCount", default, deserialize_with = "lenient")]
    count: Option<Typed<u64>>,
}

impl WholeObject for Input {}

#[derive(Deserialize)]
struct Output {
    #[serde(rename = "outputTokenCount", default, deserialize_with = "lenient")]
    count: Option<Typed<u64>>,
    #[serde(rename = "outputBodyJson", default, deserialize_with = "lenient")]
    body: Option<Typed<Body>>,
}

impl WholeObject for Output {}

/// A response body: an object (Converse, InvokeModel), or an array of
/// events or chunks (a logged stream), of which the last one that has
/// each figure counts.
enum Body {
    Object(Box<Part>),
    Stream {
        latency: Option<(u64, LatencySource)>,
        input: Option<u64>,
        output: Option<u64>,
    },
}

impl<'de> Accept<'de> for Body {
    fn map<A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        Ok(object(map)?.map(|p| Body::Object(Box::new(p))))
    }

    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let (mut latency, mut input, mut output) = (None, None, None);
        while let Some(event) = seq.next_element_seed(Lenient::<Part>(PhantomData))? {
            let Some(Typed::Is(event)) = event else { continue };
            latency = event.event_latency().or(latency);
            input = event.usage(Counts::input).or(input);
            output = event.usage(Counts::output).or(output);
        }
        Ok(Some(Body::Stream { latency, input, output }))
    }
}

/// The parts of a response body (or of one event of a stream) that carry
/// metrics and usage.
#[derive(Deserialize)]
struct Part {
    #[serde(default, deserialize_with = "lenient")]
    metrics: Option<Typed<Metrics>>,
    #[serde(default, deserialize_with = "lenient")]
    usage: Option<Typed<Counts>>,
    #[serde(default, deserialize_with = "present")]
    metadata: Option<Option<Typed<Metadata>>>,
    #[serde(rename = "amazon-bedrock-invocationMetrics", default, deserialize_with = "lenient")]
    invocation: Option<Typed<Counts>>,
}

impl WholeObject for Part {}

fn is<T>(field: &Option<Typed<T>>) -> Option<&T> {
    field.as_ref().and_then(Typed::as_ref)
}

fn text<'o>(field: &'o Option<Typed<Cow<'_, str>>>) -> Option<&'o str> {
    is(field).map(Cow::as_ref)
}

impl Part {
    fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref().and_then(|m| is(m))
    }

    fn invocation_latency(&self) -> Option<u64> {
        is(&self.invocation).and_then(|i| is(&i.latency)).copied()
    }

    /// A body object's latency: `metrics.latencyMs` (Converse), else the
    /// invocation metrics.
    fn object_latency(&self) -> Option<(u64, LatencySource)> {
        let converse = is(&self.metrics).and_then(|m| is(&m.latency_ms)).copied();
        converse
            .map(|ms| (ms, LatencySource::ConverseMetrics))
            .or_else(|| Some((self.invocation_latency()?, LatencySource::InvocationMetrics)))
    }

    /// An event's latency: `metadata.metrics.latencyMs` when the event has
    /// `metadata` (ConverseStream), else its own `metrics.latencyMs`; then
    /// the invocation metrics (InvokeModelWithResponseStream).
    fn event_latency(&self) -> Option<(u64, LatencySource)> {
        let metrics = match &self.metadata {
            Some(_) => self.metadata().and_then(|m| is(&m.metrics)),
            None => is(&self.metrics),
        };
        match metrics.and_then(|m| is(&m.latency_ms)) {
            Some(&ms) => Some((ms, LatencySource::StreamMetadata)),
            None => Some((self.invocation_latency()?, LatencySource::InvocationMetrics)),
        }
    }

    /// A token count from `usage`, `metadata.usage` or the invocation
    /// metrics, the first that has one.
    fn usage(&self, pick: fn(&Counts) -> Option<u64>) -> Option<u64> {
        [
            is(&self.usage),
            self.metadata().and_then(|m| is(&m.usage)),
            is(&self.invocation),
        ]
        .into_iter()
        .flatten()
        .find_map(pick)
    }
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(rename = "latencyMs", default, deserialize_with = "lenient")]
    latency_ms: Option<Typed<u64>>,
}

impl WholeObject for Metrics {}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default, deserialize_with = "lenient")]
    metrics: Option<Typed<Metrics>>,
    #[serde(default, deserialize_with = "lenient")]
    usage: Option<Typed<Counts>>,
}

impl WholeObject for Metadata {}

/// Token counts under every name they go by (Converse, Anthropic messages,
/// invocation metrics), and the stream latency.
#[derive(Deserialize)]
struct Counts {
    #[serde(rename = "inputTokens", default, deserialize_with = "lenient")]
    input_camel: Option<Typed<u64>>,
    #[serde(rename = "input_tokens", default, deserialize_with = "lenient")]
    input_snake: Option<Typed<u64>>,
    #[serde(rename = "inputTokenCount", default, deserialize_with = "lenient")]
    input_count: Option<Typed<u64>>,
    #[serde(rename = "outputTokens", default, deserialize_with = "lenient")]
    output_camel: Option<Typed<u64>>,
    #[serde(rename = "output_tokens", default, deserialize_with = "lenient")]
    output_snake: Option<Typed<u64>>,
    #[serde(rename = "outputTokenCount", default, deserialize_with = "lenient")]
    output_count: Option<Typed<u64>>,
    #[serde(rename = "invocationLatency", default, deserialize_with = "lenient")]
    latency: Option<Typed<u64>>,
}

impl WholeObject for Counts {}

impl Counts {
    fn input(&self) -> Option<u64> {
        [&self.input_camel, &self.input_snake, &self.input_count]
            .into_iter()
            .find_map(|c| is(c).copied())
    }
    fn output(&self) -> Option<u64> {
        [&self.output_camel, &self.output_snake, &self.output_count]
            .into_iter()
            .find_map(|c| is(c).copied())
    }
}

/// What a top-level object is.
pub(super) enum Shape<'o, 'a> {
    /// A CloudWatch Logs event list: the `events` and `logEvents` arrays.
    EventList(Vec<&'a RawValue>),
    /// One CloudWatch Logs event: its `message`, a JSON string.
    Event(&'a RawValue),
    /// A record, or why it is not one.
    Record(Result<Fields<'o>, String>),
}

/// The longest part of a logged value quoted in a reason.
const QUOTED: usize = 64;

/// `s` as a JSON string, cut to [`QUOTED`] characters.
fn quoted(s: &str) -> String {
    match s.char_indices().nth(QUOTED) {
        Some((cut, _)) => format!("{}...", serde_json::Value::from(&s[..cut])),
        None => serde_json::Value::from(s).to_string(),
    }
}

/// The reason given for a `performanceConfig` that is not an object.
pub(super) fn bad_performance(found: &str) -> String {
    format!("bad field performanceConfig: {found}, where an object such as {{\"latency\":\"OPTIMIZED\"}} belongs")
}

/// The reason given for a `performanceConfig.latency` that is not a string.
pub(super) fn bad_latency(found: &str) -> String {
    format!("bad field performanceConfig.latency: {found}, where a string such as \"OPTIMIZED\" belongs")
}

/// The reason given for a record without a usable `modelId`.
pub(super) const NO_MODEL_ID: &str = "no modelId: not a model invocation log record";

impl<'a> Object<'a> {
    /// Parses a JSON object.
    pub(super) fn parse(json: &'a [u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(json)
    }

    /// What the object is: the same decision, in the same order, as
    /// `LogRecord::from_json` and the reader's dispatch on a `Value`.
    pub(super) fn shape(&self) -> Shape<'_, 'a> {
        if self.model_id.is_none() {
            let arrays: Vec<&'a RawValue> = [self.events, self.log_events]
                .into_iter()
                .flatten()
                .filter(|raw| raw.get().starts_with('['))
                .collect();
            if !arrays.is_empty() {
                return Shape::EventList(arrays);
            }
            if let Some(message) = self.message.filter(|m| m.get().starts_with('"')) {
                return Shape::Event(message);
            }
        }
        Shape::Record(self.fields())
    }

    fn fields(&self) -> Result<Fields<'_>, String> {
        match &self.schema_type {
            None => {}
            Some(Some(Typed::Is(t))) if t == "ModelInvocationLog" => {}
            Some(Some(Typed::Is(t))) => return Err(format!("schemaType {} is not \"ModelInvocationLog\"", quoted(t))),
            Some(Some(Typed::Not(found))) => return Err(format!("schemaType is {found}, not \"ModelInvocationLog\"")),
            Some(None) => return Err("schemaType null is not \"ModelInvocationLog\"".to_owned()),
        }
        let model_id = match &self.model_id {
            Some(Some(Typed::Is(id))) if !id.trim().is_empty() => id.as_ref(),
            _ => return Err(NO_MODEL_ID.to_owned()),
        };
        let latency_as_logged = match &self.performance {
            None => None,
            Some(Typed::Not(found)) => return Err(bad_performance(found)),
            Some(Typed::Is(p)) => match &p.latency {
                None => None,
                Some(Typed::Is(l)) => Some(l.as_ref()),
                Some(Typed::Not(found)) => return Err(bad_latency(found)),
            },
        };
        let output = is(&self.output);
        let body = output.and_then(|o| is(&o.body));
        let (latency_ms, body_input, body_output) = match body {
            None => (None, None, None),
            Some(Body::Object(part)) => (
                part.object_latency(),
                part.usage(Counts::input),
                part.usage(Counts::output),
            ),
            Some(Body::Stream { latency, input, output }) => (*latency, *input, *output),
        };
        Ok(Fields {
            request_id: text(&self.request_id),
            timestamp: text(&self.timestamp),
            operation: text(&self.operation),
            model_id,
            region: text(&self.region),
            inference_region: text(&self.inference_region),
            latency_as_logged,
            latency_ms,
            input_tokens: is(&self.input).and_then(|i| is(&i.count)).copied().or(body_input),
            output_tokens: output.and_then(|o| is(&o.count)).copied().or(body_output),
        })
    }
}

/// A CloudWatch Logs event: only its `message` matters.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    message: Option<&'a RawValue>,
}

/// The `message` of an event (`None`: not an object, or no message).
pub(super) fn event_message(event: &RawValue) -> Option<&RawValue> {
    serde_json::from_str::<Event<'_>>(event.get()).ok()?.message
}

/// The text of a JSON string (`None`: not a string).
pub(super) fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str(raw.get()).ok()
}

/// Calls `each` on every element of the JSON array `json`, as the elements
/// are parsed (no list of them is built). `each` returns `false` to stop;
/// then this returns `Ok(false)`.
pub(super) fn each_element<'a>(json: &'a [u8], each: &mut dyn FnMut(&'a RawValue) -> bool) -> serde_json::Result<bool> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut stopped = false;
    let result = de.deserialize_seq(Each {
        each,
        stopped: &mut stopped,
    });
    if stopped {
        return Ok(false);
    }
    result?;
    de.end()?;
    Ok(true)
}

struct Each<'e, 'a> {
    each: &'e mut dyn FnMut(&'a RawValue) -> bool,
    stopped: &'e mut bool,
}

impl<'a> Visitor<'a> for Each<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'a RawValue>()? {
            if !(self.each)(raw) {
                *self.stopped = true;
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
