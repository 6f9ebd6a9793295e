//! `application/vnd.amazon.eventstream` frames, written with
//! `aws-smithy-eventstream`. Header order follows the AWS capture
//! `converse-stream-nova-micro.bin`: `:event-type`, `:content-type`,
//! `:message-type`.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

fn encode(message: &Message) -> Bytes {
    let mut buf: Vec<u8> = Vec::new();
    match write_message_to(message, &mut buf) {
        Ok(()) => Bytes::from(buf),
        // Only oversized headers/payloads (> 16 MiB) fail; our payloads are
        // small. Return an empty frame rather than panicking: the client then
        // sees a truncated stream.
        Err(_) => Bytes::new(),
    }
}

fn string_header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_owned().into()))
}

/// An event frame (`:message-type` `event`) with a JSON payload.
pub(crate) fn event(event_type: &str, payload: &serde_json::Value) -> Bytes {
    json_frame("event", (":event-type", event_type), payload)
}

/// A frame of `message_type` with a JSON payload and its type header
/// (`:event-type` or `:exception-type`).
fn json_frame(message_type: &str, type_header: (&'static str, &str), payload: &serde_json::Value) -> Bytes {
    let message = Message::new(Bytes::from(payload.to_string()))
        .add_header(string_header(type_header.0, type_header.1))
        .add_header(string_header(":content-type", "application/json"))
        .add_header(string_header(":message-type", message_type));
    encode(&message)
}

/// The padding alphabet of the `p` field.
const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// An event frame of a bedrock-runtime stream: the JSON payload gets the `p`
/// padding field Bedrock adds to hide payload lengths (a prefix of the
/// alphabet, 1-62 characters, as in the AWS captures
/// `converse-stream-nova-micro.bin` and `invoke-model-stream-nova-micro`).
pub(crate) fn padded_event(event_type: &str, payload: &serde_json::Value) -> Bytes {
    let mut payload = payload.clone();
    if let Some(obj) = payload.as_object_mut() {
        let len = 1 + payload_len_hint(obj) % PAD.len();
        obj.insert("p".to_owned(), serde_json::Value::from(PAD.get(..len).unwrap_or(PAD)));
    }
    event(event_type, &payload)
}

fn payload_len_hint(obj: &serde_json::Map<String, serde_json::Value>) -> usize {
    obj.iter().map(|(k, v)| k.len() + v.to_string().len()).sum()
}

/// An exception frame (`:message-type` `exception`) with a
/// `{"message": ...}` JSON payload.
pub(crate) fn exception(exception_type: &str, payload: &serde_json::Value) -> Bytes {
    json_frame("exception", (":exception-type", exception_type), payload)
}

/// The same frame with its trailing message CRC corrupted.
pub(crate) fn corrupt(frame: &Bytes) -> Bytes {
    let mut bytes = frame.to_vec();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xff;
    }
    Bytes::from(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn frames_round_trip_and_corruption_is_detected() {
        let frame = event("messageStart", &serde_json::json!({"role": "assistant"}));
        let message = read_message_from(frame.clone()).expect("valid frame");
        assert_eq!(&message.payload()[..], br#"{"role":"assistant"}"#);
        assert_eq!(message.headers()[0].name().as_str(), ":event-type");
        assert!(read_message_from(corrupt(&frame)).is_err());
    }
}
