//! What InvokeInlineAgent and InvokeAgent requests share: the session
//! fields, their setters, and how they reach either SDK input builder.

use agent_sdk::operation::invoke_agent::builders::InvokeAgentInputBuilder;
use agent_sdk::operation::invoke_inline_agent::builders::InvokeInlineAgentInputBuilder;
use agent_sdk::types::StreamingConfigurations;
use aws_sdk_bedrockagentruntime as agent_sdk;

use super::new_session_id;

/// The session fields of an agent request.
#[derive(Debug, Default)]
pub(crate) struct SessionParts {
    pub(crate) input_text: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) end_session: Option<bool>,
    pub(crate) enable_trace: Option<bool>,
    pub(crate) stream_final: Option<bool>,
}

/// The session fields on an SDK input builder (the same fields on two SDK
/// types).
pub(crate) trait SessionInput: Sized {
    fn set_input_text(self, v: Option<String>) -> Self;
    fn set_session_id(self, v: Option<String>) -> Self;
    fn set_end_session(self, v: Option<bool>) -> Self;
    fn set_enable_trace(self, v: Option<bool>) -> Self;
    fn set_streaming_configurations(self, v: Option<StreamingConfigurations>) -> Self;
    fn get_session_id(&self) -> &Option<String>;
}

macro_rules! session_input {
    ($($t:ty),*) => {$(
        impl SessionInput for $t {
            fn set_input_text(self, v: Option<String>) -> Self { <$t>::set_input_text(self, v) }
            fn set_session_id(self, v: Option<String>) -> Self { <$t>::set_session_id(self, v) }
            fn set_end_session(self, v: Option<bool>) -> Self { <$t>::set_end_session(self, v) }
            fn set_enable_trace(self, v: Option<bool>) -> Self { <$t>::set_enable_trace(self, v) }
            fn set_streaming_configurations(self, v: Option<StreamingConfigurations>) -> Self {
                <$t>::set_streaming_configurations(self, v)
            }
            fn get_session_id(&self) -> &Option<String> { <$t>::get_session_id(self) }
        }
    )*};
}

session_input!(InvokeInlineAgentInputBuilder, InvokeAgentInputBuilder);

impl SessionParts {
    /// Sets the session fields on the input builder (before the user's
    /// `map_input` closures).
    pub(crate) fn fill<B: SessionInput>(self, b: B) -> B {
        b.set_input_text(self.input_text)
            .set_session_id(self.session_id)
            .set_end_session(self.end_session)
            .set_enable_trace(self.enable_trace)
            .set_streaming_configurations(
                self.stream_final
                    .map(|f| StreamingConfigurations::builder().stream_final_response(f).build()),
            )
    }
}

/// After the user's closures: a fresh session id when none is set. Returns
/// the builder and the session id it sends.
pub(crate) fn with_session_id<B: SessionInput>(b: B) -> (B, Option<String>) {
    let b = match b.get_session_id() {
        Some(_) => b,
        None => b.set_session_id(Some(new_session_id())),
    };
    let sent = b.get_session_id().clone();
    (b, sent)
}

/// The session setters of an agent request whose [`SessionParts`] sit at
/// `self.session` (an item macro: it writes methods, no control flow).
macro_rules! session_setters {
    () => {
        /// The user's prompt.
        pub fn input_text(mut self, text: impl Into<String>) -> Self {
            self.session.input_text = Some(text.into());
            self
        }

        /// Continues a session. Without it, a fresh session id is generated.
        pub fn session_id(mut self, id: impl Into<String>) -> Self {
            self.session.session_id = Some(id.into());
            self
        }

        /// Ends the session after this request.
        pub fn end_session(mut self, end: bool) -> Self {
            self.session.end_session = Some(end);
            self
        }

        /// Streams the final answer in chunks as it is generated
        /// (`streamingConfigurations.streamFinalResponse`). Without it the
        /// service sends the final answer in one chunk at the end, so time to
        /// first token is the whole generation.
        pub fn stream_final_response(mut self, stream: bool) -> Self {
            self.session.stream_final = Some(stream);
            self
        }

        /// Asks for trace events (passed on as [`AgentEvent::Event`](super::AgentEvent::Event)).
        pub fn enable_trace(mut self, enable: bool) -> Self {
            self.session.enable_trace = Some(enable);
            self
        }
    };
}

pub(crate) use session_setters;
