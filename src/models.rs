//! Typed models and the compile-time markers that say which operations
//! honor latency-optimized inference for which model.
//!
//! Request builders offer `.optimized()` only where
//! `M: SupportsOptimized<Op>`; anything else does not compile, and the
//! compiler's message says why:
//!
//! ```compile_fail
//! use bedrock_latency::models::{NovaLite, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::ConverseOp>>(_: M) {}
//! needs_optimized(NovaLite); // error: `NovaLite` has no `.optimized()` on `ConverseOp`: ...
//! ```
//!
//! ```compile_fail
//! use bedrock_latency::models::{NovaPro, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::InvokeAgentOp>>(_: M) {}
//! needs_optimized(NovaPro); // error: `InvokeAgentOp` does not honor latency-optimized inference
//! ```
//!
//! ```
//! use bedrock_latency::models::{NovaPro, SupportsOptimized, op};
//! fn needs_optimized<M: SupportsOptimized<op::ConverseOp>>(_: M) {}
//! needs_optimized(NovaPro);
//! ```
//!
//! Every trait here is sealed: no crate but this one can add a marker, so
//! `.optimized()` compiles exactly where the catalog says it is honored.
//!
//! Which region serves the model stays a run-time question (the client's
//! region is not known at compile time); the catalog answers it before any
//! request is sent. The markers agree with the built-in catalog: a test
//! compares them.

use crate::model_id::ModelId;
use crate::vocab::Operation;

/// The seals of the public marker traits: implemented only in this crate,
/// each with a compiler message that says what to do instead.
pub(crate) mod sealed {
    /// Seals the model traits ([`IntoModel`](super::IntoModel),
    /// [`TypedModel`](super::TypedModel)).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a model this crate knows: its model traits are sealed",
        note = "use a typed model of `bedrock_latency::models`, or parse a `ModelId` (`let model: ModelId = \"amazon.nova-premier-v1:0\".parse()?;`) and give the request `.latency(LatencyPolicy::Optimized)` or `.latency(LatencyPolicy::PreferOptimized)`, checked against the catalog before sending; a model or region that AWS added since this release goes into a catalog file (`Catalog::load(path)`, then `Client::builder().catalog(..)`)"
    )]
    pub trait ModelMarker {}

    /// Seals the operation markers ([`op::OperationKind`](super::op::OperationKind)).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an operation of this crate: the operation markers are sealed",
        label = "not one of `bedrock_latency::models::op`",
        note = "which operations honor latency-optimized inference is the catalog's word (see `bedrock-latency matrix`), and the markers follow it"
    )]
    pub trait OperationMarker {}

    /// Seals the builder markers that are never implemented
    /// (`InvokeAgentHonorsOptimized`, `FlowHonorsOptimized`).
    #[diagnostic::on_unimplemented(
        message = "`.optimized()` cannot be unlocked on `{Self}` from outside this crate: the builder markers are sealed",
        label = "InvokeAgent and flows offer no `.optimized()`",
        note = "InvokeAgent serves standard whatever it is sent: use an inline agent, `client.inline_agent(model).optimized()`; flows: opt in explicitly with `.unverified_optimized_latency()`"
    )]
    pub trait BuilderMarker {}
}

/// A model for a request builder: a typed model (checked at compile time)
/// or a [`ModelId`] known only at run time (checked before sending).
/// Sealed: implemented for the typed models, `ModelId` and `&ModelId`.
pub trait IntoModel: sealed::ModelMarker {
    /// The compile-time marker: the typed model, or [`ModelId`] for models
    /// known only at run time (they take `.latency(LatencyPolicy::...)`).
    type Marker;
    /// The model ID.
    fn into_model_id(self) -> ModelId;
}

impl<M: TypedModel> IntoModel for M {
    type Marker = M;
    fn into_model_id(self) -> ModelId {
        self.model_id()
    }
}

impl sealed::ModelMarker for ModelId {}
impl IntoModel for ModelId {
    type Marker = ModelId;
    fn into_model_id(self) -> ModelId {
        self
    }
}

impl sealed::ModelMarker for &ModelId {}
impl IntoModel for &ModelId {
    type Marker = ModelId;
    fn into_model_id(self) -> ModelId {
        self.clone()
    }
}

/// Zero-sized operation markers.
pub mod op {
    use super::sealed;
    use crate::vocab::Operation;

    /// An operation marker.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an operation marker of this crate (`bedrock_latency::models::op`, sealed)",
        note = "which operations honor latency-optimized inference follows the catalog (see `bedrock-latency matrix`)"
    )]
    pub trait OperationKind: sealed::OperationMarker + Send + Sync + 'static {
        /// The operation it stands for.
        const OPERATION: Operation;
    }

    /// Operations on which the service honors latency-optimized inference
    /// (for models that offer it).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` does not honor latency-optimized inference",
        label = "the service does not honor optimized latency on this operation",
        note = "on InvokeAgent, Bedrock accepts `performanceConfig` but serves standard; use an inline agent (InvokeInlineAgent) for optimized latency",
        note = "on flows it is unverified: use `.unverified_optimized_latency()` on the flow builders"
    )]
    pub trait HonorsOptimized: OperationKind {}

    macro_rules! ops {
        ($($(#[$doc:meta])* $name:ident => $op:ident, $honors:tt;)*) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            pub struct $name;
            impl sealed::OperationMarker for $name {}
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
        ConverseOp => Converse, yes;
        /// bedrock-runtime `ConverseStream`.
        ConverseStreamOp => ConverseStream, yes;
        /// bedrock-runtime `InvokeModel`.
        InvokeModelOp => InvokeModel, yes;
        /// bedrock-runtime `InvokeModelWithResponseStream`.
        InvokeModelStreamOp => InvokeModelStream, yes;
        /// bedrock-agent-runtime `InvokeInlineAgent`.
        InlineAgentOp => InlineAgent, yes;
        /// bedrock-agent-runtime `RetrieveAndGenerate`.
        RetrieveAndGenerateOp => RetrieveAndGenerate, yes;
        /// bedrock-agent-runtime `RetrieveAndGenerateStream`.
        RetrieveAndGenerateStreamOp => RetrieveAndGenerateStream, yes;
        /// bedrock-agent-runtime `InvokeAgent` (does not honor the setting).
        InvokeAgentOp => InvokeAgent, no;
        /// bedrock-agent-runtime `InvokeFlow` (unverified).
        InvokeFlowOp => InvokeFlow, no;
        /// bedrock-agent-runtime `StartFlowExecution` (unverified).
        StartFlowExecutionOp => StartFlowExecution, no;
    }
}

/// A model known at compile time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not one of this crate's typed models (`bedrock_latency::models`), which are sealed",
    label = "a typed model, or a `ModelId` parsed from a string, goes here",
    note = "for a model without a typed marker, parse a `ModelId` (`let model: ModelId = \"amazon.nova-premier-v1:0\".parse()?;`) and give the request `.latency(LatencyPolicy::Optimized)` or `.latency(LatencyPolicy::PreferOptimized)`: it is checked against the catalog before sending",
    note = "a model or region that AWS added since this release goes into a catalog file: `Catalog::load(path)`, then `Client::builder().catalog(..)`"
)]
pub trait TypedModel: sealed::ModelMarker + Copy + Default + Send + Sync + std::fmt::Debug + 'static {
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
/// Sealed (through [`TypedModel`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `.optimized()` on `{Op}`: only typed models that offer latency-optimized inference there have it",
    label = "only typed models that offer it here have `.optimized()`; a `ModelId` from configuration takes `.latency(LatencyPolicy::Optimized)`",
    note = "`.latency(LatencyPolicy::Optimized)` is checked against the catalog before sending (refused where it would not be honored); `.latency(LatencyPolicy::PreferOptimized)` falls back to standard, with the reason in the report",
    note = "typed models with latency-optimized inference: NovaPro, Claude35Haiku, Llama31Instruct70b, Llama31Instruct405b (see `bedrock-latency matrix`); otherwise drop `.optimized()` to send standard latency"
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
            impl sealed::ModelMarker for $ty {}
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
            optimized_operations: &[$(<op::$op as op::OperationKind>::OPERATION),*],
        }),*];
    };
}

typed_models! {
    /// Amazon Nova Pro: latency-optimized from us-east-1 and us-east-2.
    NovaPro => "amazon.nova-pro-v1:0", "Amazon Nova Pro",
        [ConverseOp, ConverseStreamOp, InvokeModelOp, InvokeModelStreamOp, InlineAgentOp, RetrieveAndGenerateOp, RetrieveAndGenerateStreamOp];
    /// Anthropic Claude 3.5 Haiku: latency-optimized from us-east-2 and
    /// us-west-2; end of life 2026-06-19 by AWS's model card (the catalog
    /// warns on every call).
    Claude35Haiku => "anthropic.claude-3-5-haiku-20241022-v1:0", "Anthropic Claude 3.5 Haiku",
        [ConverseOp, ConverseStreamOp, InvokeModelOp, InvokeModelStreamOp, InlineAgentOp, RetrieveAndGenerateOp, RetrieveAndGenerateStreamOp];
    /// Meta Llama 3.1 70B Instruct: latency-optimized from us-east-2 and us-west-2.
    Llama31Instruct70b => "meta.llama3-1-70b-instruct-v1:0", "Meta Llama 3.1 70B Instruct",
        [ConverseOp, ConverseStreamOp, InvokeModelOp, InvokeModelStreamOp, InlineAgentOp, RetrieveAndGenerateOp, RetrieveAndGenerateStreamOp];
    /// Meta Llama 3.1 405B Instruct: latency-optimized from us-east-2, up to
    /// 11K total tokens; end of life 2026-07-07 by AWS's model card (the
    /// catalog warns on every call).
    Llama31Instruct405b => "meta.llama3-1-405b-instruct-v1:0", "Meta Llama 3.1 405B Instruct",
        [ConverseOp, ConverseStreamOp, InvokeModelOp, InvokeModelStreamOp, InlineAgentOp, RetrieveAndGenerateOp, RetrieveAndGenerateStreamOp];
    /// Anthropic Claude Sonnet 4.5 (no latency-optimized inference).
    ClaudeSonnet45 => "anthropic.claude-sonnet-4-5-20250929-v1:0", "Anthropic Claude Sonnet 4.5", [];
    /// Anthropic Claude Haiku 4.5 (no latency-optimized inference).
    ClaudeHaiku45 => "anthropic.claude-haiku-4-5-20251001-v1:0", "Anthropic Claude Haiku 4.5", [];
    /// Anthropic Claude Sonnet 4 (no latency-optimized inference; end of
    /// life 2026-10-14 in the catalog).
    ClaudeSonnet4 => "anthropic.claude-sonnet-4-20250514-v1:0", "Anthropic Claude Sonnet 4", [];
    /// Amazon Nova Lite (no latency-optimized inference).
    NovaLite => "amazon.nova-lite-v1:0", "Amazon Nova Lite", [];
    /// Amazon Nova Micro (no latency-optimized inference).
    NovaMicro => "amazon.nova-micro-v1:0", "Amazon Nova Micro", [];
    /// Meta Llama 3.3 70B Instruct (no latency-optimized inference; legacy).
    Llama33Instruct70b => "meta.llama3-3-70b-instruct-v1:0", "Meta Llama 3.3 70B Instruct", [];
}
