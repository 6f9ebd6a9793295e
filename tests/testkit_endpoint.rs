//! The local endpoint as other languages see it: HTTP/2, the control surface,
//! answers shaped like the real AWS captures, the standalone binary's flags,
//! and bounded memory under abuse (issues 12 and 13).

mod shared_fixtures;
mod testkit_common;

#[path = "testkit_common/endpoint/support.rs"]
mod support;

#[path = "testkit_common/endpoint/http2.rs"]
mod http2;

#[path = "testkit_common/endpoint/control.rs"]
mod control;

#[path = "testkit_common/endpoint/shapes.rs"]
mod shapes;

#[path = "testkit_common/endpoint/local_bin.rs"]
mod local_bin;

#[path = "testkit_common/endpoint/abuse.rs"]
mod abuse;
