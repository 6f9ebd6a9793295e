//! Typed models and the compile-time markers that say which operations
//! honor latency-optimized inference for which model.
//!
//! Request builders offer `.optimized()` only where
//! `M: SupportsOptimized<Op>`; anything else does not compile, and the
//! compiler's message says why:
//!
//! ```compile_fail
//! use bedrock_latency::models::{NovaLite, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::Converse>>(_: M) {}
//! needs_optimized(NovaLite); // error: `NovaLite` does not offer latency-optimized inference on `Converse`
//! ```
//!
//! ```compile_fail
//! use bedrock_latency::models::{NovaPro, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::InvokeAgent>>(_: M) {}
//! needs_optimized(NovaPro); // error: `InvokeAgent` does not honor latency-optimized inference
//! ```
//!
//! ```
//! use bedrock_latency::models::{NovaPro, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::Converse>>(_: M) {}
//! needs_optimized(NovaPro);
//! ```
//!
//! Which region serves the model stays a run-time question (the client's
//! region is not known at compile time); the catalog answers it before any
//! request is sent. The markers agree with the built-in catalog: a test
//! compares them.

use crate::model_id::ModelId;
use crate::vocab::Operation;

mod sealed {
    pub trait Sealed {}
}

/// Zero-sized operation markers.
pub mod op {
    use super::sealed::Sealed;
    use crate::vocab::Operation;

    /// An operation marker.
    pub trait OperationKind: Sealed + Send + Sync + 'static {
        /// The operation it stands for.
        const OPERATION: Operation;
    }

    /// Operations on which the service honors latency-optimized inference
    /// (for models that offer it).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` does not honor latency-optimized inference",
        label = "the service does not honor optimized latency on this operation",
        note = "on InvokeAgent, Bedrock accepts `performanceConfig` but serves standard; use an inline agent (InvokeInlineAgent) for optimized latency",
        note = "InvokeFlow is unverified: use `.unverified_optimized_latency()` on the flow builders"
    )]
    pub trait HonorsOptimized: OperationKind {}

    macro_rules! ops {
        ($($(#[$doc:meta])* $name:ident => $op:ident, $honors:tt;)*) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            pub struct $name;
            impl Sealed for $name {}
            impl OperationKind for $name {
                const OPERATION: Operation = Operation::$op;
            }
            ops!(@honors $name $honors);
        )*};
        (@honors $name:ident yes) => { impl HonorsOptimized for $name {} };
        (@honors $name:ident no) => {};
    }

    ops! {
        /// bedrock-runtime `Converse`.
        Converse => Converse, yes;
        /// bedrock-runtime `ConverseStream`.
        ConverseStream => ConverseStream, yes;
        /// bedrock-runtime `InvokeModel`.
        InvokeModel => InvokeModel, yes;
        /// bedrock-runtime `InvokeModelWithResponseStream`.
        InvokeModelStream => InvokeModelStream, yes;
        /// bedrock-agent-runtime `InvokeInlineAgent`.
        InlineAgent => InlineAgent, yes;
        /// bedrock-agent-runtime `RetrieveAndGenerate`.
        RetrieveAndGenerate => RetrieveAndGenerate, yes;
        /// bedrock-agent-runtime `RetrieveAndGenerateStream`.
        RetrieveAndGenerateStream => RetrieveAndGenerateStream, yes;
        /// bedrock-agent-runtime `InvokeAgent` (does not honor the setting).
        InvokeAgent => InvokeAgent, no;
        /// bedrock-agent-runtime `InvokeFlow` (unverified).
        InvokeFlow => InvokeFlow, no;
    }
}

/// A model known at compile time.
pub trait TypedModel: sealed::Sealed + Copy + Default + Send + Sync + std::fmt::Debug + 'static {
    /// Its base model ID.
    const BASE_MODEL_ID: &'static str;
    /// Its name.
    const NAME: &'static str;

    /// Its base model ID, parsed.
    fn model_id(self) -> ModelId {
        ModelId::parse(Self::BASE_MODEL_ID).expect("typed model IDs are valid (tested)")
    }
}

/// Marks a model that offers latency-optimized inference on operation `Op`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not offer latency-optimized inference on `{Op}`",
    label = "no latency-optimized inference for this model here",
    note = "models with latency-optimized inference: NovaPro, Claude35Haiku, Llama31Instruct70b, Llama31Instruct405b (see `bedrock-latency matrix`)",
    note = "drop `.optimized()` to send standard latency, or use `.latency(LatencyPolicy::PreferOptimized)` to decide at run time"
)]
pub trait SupportsOptimized<Op: op::HonorsOptimized>: TypedModel {}

/// A typed model and the operations on which it offers optimized latency.
#[derive(Debug, Clone, Copy)]
pub struct TypedModelInfo {
    /// The type's name.
    pub type_name: &'static str,
    /// Its base model ID.
    pub base_model_id: &'static str,
    /// Operations with a [`SupportsOptimized`] marker.
    pub optimized_operations: &'static [Operation],
}

macro_rules! typed_models {
    ($($(#[$doc:meta])* $ty:ident => $id:literal, $name:literal, [$($op:ident),*];)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            pub struct $ty;
            impl sealed::Sealed for $ty {}
            impl TypedModel for $ty {
                const BASE_MODEL_ID: &'static str = $id;
                const NAME: &'static str = $name;
                fn model_id(self) -> ModelId {
                    // Parsed once: every request builder starts from it.
                    static ID: std::sync::OnceLock<ModelId> = std::sync::OnceLock::new();
                    ID.get_or_init(|| ModelId::parse($id).expect("typed model IDs are valid (tested)"))
                        .clone()
                }
            }
            $(impl SupportsOptimized<op::$op> for $ty {})*
        )*

        /// Every typed model, with its markers (kept equal to the catalog by a test).
        pub const TYPED_MODELS: &[TypedModelInfo] = &[$(TypedModelInfo {
            type_name: stringify!($ty),
            base_model_id: $id,
            optimized_operations: &[$(Operation::$op),*],
        }),*];
    };
}

typed_models! {
    /// Amazon Nova Pro: latency-optimized from us-east-1 and us-east-2.
    NovaPro => "amazon.nova-pro-v1:0", "Amazon Nova Pro",
        [Converse, ConverseStream, InvokeModel, InvokeModelStream, InlineAgent, RetrieveAndGenerate, RetrieveAndGenerateStream];
    /// Anthropic Claude 3.5 Haiku: latency-optimized from us-east-2 and us-west-2 (legacy).
    Claude35Haiku => "anthropic.claude-3-5-haiku-20241022-v1:0", "Anthropic Claude 3.5 Haiku",
        [Converse, ConverseStream, InvokeModel, InvokeModelStream, InlineAgent, RetrieveAndGenerate, RetrieveAndGenerateStream];
    /// Meta Llama 3.1 70B Instruct: latency-optimized from us-east-2 and us-west-2.
    Llama31Instruct70b => "meta.llama3-1-70b-instruct-v1:0", "Meta Llama 3.1 70B Instruct",
        [Converse, ConverseStream, InvokeModel, InvokeModelStream, InlineAgent, RetrieveAndGenerate, RetrieveAndGenerateStream];
    /// Meta Llama 3.1 405B Instruct: latency-optimized from us-east-2, up to
    /// 11K total tokens (legacy).
    Llama31Instruct405b => "meta.llama3-1-405b-instruct-v1:0", "Meta Llama 3.1 405B Instruct",
        [Converse, ConverseStream, InvokeModel, InvokeModelStream, InlineAgent, RetrieveAndGenerate, RetrieveAndGenerateStream];
    /// Anthropic Claude Sonnet 4.5 (no latency-optimized inference).
    ClaudeSonnet45 => "anthropic.claude-sonnet-4-5-20250929-v1:0", "Anthropic Claude Sonnet 4.5", [];
    /// Anthropic Claude Haiku 4.5 (no latency-optimized inference).
    ClaudeHaiku45 => "anthropic.claude-haiku-4-5-20251001-v1:0", "Anthropic Claude Haiku 4.5", [];
    /// Anthropic Claude Sonnet 4 (no latency-optimized inference; legacy).
    ClaudeSonnet4 => "anthropic.claude-sonnet-4-20250514-v1:0", "Anthropic Claude Sonnet 4", [];
    /// Amazon Nova Lite (no latency-optimized inference).
    NovaLite => "amazon.nova-lite-v1:0", "Amazon Nova Lite", [];
    /// Amazon Nova Micro (no latency-optimized inference).
    NovaMicro => "amazon.nova-micro-v1:0", "Amazon Nova Micro", [];
    /// Meta Llama 3.3 70B Instruct (no latency-optimized inference; legacy).
    Llama33Instruct70b => "meta.llama3-3-70b-instruct-v1:0", "Meta Llama 3.3 70B Instruct", [];
}
