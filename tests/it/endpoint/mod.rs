//! The local endpoint as other languages see it: HTTP/2, the control surface,
//! answers shaped like the real AWS captures, the standalone binary's flags,
//! and bounded memory under abuse.

mod support;

mod abuse;
mod control;
mod http2;
mod local_bin;
mod shapes;
