#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod agent;
mod call;
mod catalog;
mod check;
mod client;
#[cfg(feature = "compare")]
#[cfg_attr(docsrs, doc(cfg(feature = "compare")))]
pub mod compare;
pub mod cost;
mod date;
mod error;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub mod logs;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
mod model_id;
pub mod models;
pub mod policy;
#[cfg(feature = "probe")]
#[cfg_attr(docsrs, doc(cfg(feature = "probe")))]
pub mod probe;
mod report;
pub mod runtime;
mod stats;
pub mod tail;
pub mod telemetry;
mod vocab;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

pub use catalog::{
    Catalog, Lifecycle, LifecycleStatus, ModelEntry, OptimizedSupport, Prices, Source, TierOffer, TierRules, TokenPrice,
};
pub use check::{CheckRequest, Plan, Refusal, RefusalReason, Warning};
pub use client::{Client, ClientBuilder, DynClient};
pub use date::Date;
pub use error::{Error, Result, ServiceError, ServiceErrorKind};
pub use model_id::{Geography, IdForm, ModelId};
pub use models::IntoModel;
pub use report::{DowngradeReason, LatencyReport, ServedLatency, Target, TierDowngrade, Timing, Usage};
pub use vocab::{Latency, LatencyPolicy, LifecyclePolicy, Operation, Service, ServiceTier, TierPolicy, Treatment};
