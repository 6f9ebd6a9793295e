//! Sending one SDK input, the same way for both halves: with the AWS SDK
//! as the service, the SDK's future is awaited in place (with the call's
//! own SDK configuration, if any); any other service goes through its
//! trait. Either way inside the call's span when a subscriber wants it.
//!
//! The halves implement [`SendInput`] for their SDK input builders (one row
//! per operation in `runtime_input!` and `agent_input!`) and
//! [`SdkClient`] for their SDK clients (`sdk_client!`); this module names
//! no SDK type.

use std::borrow::Cow;
use std::future::Future;

use tracing::Instrument;

use super::escape::ConfigChange;
use crate::Result;

/// What sending an input gives back.
pub(crate) trait Sent {
    /// What the crate gets back.
    type Output: Send;
}

/// An SDK input builder this crate sends through service `S`: with the
/// SDK itself when `S` is (or holds) the AWS SDK implementation, else
/// through `S`'s trait.
pub(crate) trait SendInput<S>: Sent + Sized + Send {
    /// The AWS SDK implementation of the service.
    type Sdk: Sync + 'static;
    /// A per-call change to the SDK client's configuration.
    type Config: Send;
    /// The AWS SDK implementation, when `api` is it (see
    /// [`as_impl`](super::as_impl)).
    fn as_sdk(api: &S) -> Option<&Self::Sdk>;
    /// Sends with the SDK (`send_with`: the input goes out as built), with
    /// `config` applied to a copy of the SDK client.
    fn send_sdk(
        self,
        sdk: &Self::Sdk,
        config: Option<Self::Config>,
    ) -> impl Future<Output = Result<Self::Output>> + Send;
    /// Sends through the service's trait (mocks, wrappers).
    fn send_api(self, api: &S) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Sends `input` through `api` inside the call's span. With the AWS SDK as
/// the service the SDK's future is awaited in place; `config` applies only
/// then (a mock has no SDK configuration).
pub(crate) async fn send<S: Sync, I: SendInput<S>>(
    api: &S,
    input: I,
    config: Option<I::Config>,
    span: &tracing::Span,
) -> Result<I::Output> {
    // The span is entered only when a subscriber wants it: the wrapper
    // would otherwise only move the SDK's large future once more.
    match (I::as_sdk(api), span.is_disabled()) {
        (Some(sdk), true) => input.send_sdk(sdk, config).await,
        (Some(sdk), false) => input.send_sdk(sdk, config).instrument(span.clone()).await,
        // The trait method is called inside the span too (an implementation
        // may do work before its future).
        (None, _) => async move { input.send_api(api).await }.instrument(span.clone()).await,
    }
}

/// [`Sent`] and [`SendInput`] for one SDK input builder of a half: what it
/// gives back, the half's service trait and its method for this input, the
/// half's SDK implementation (`as_sdk` finds it behind a service) and
/// configuration change, the function that gives the SDK client to send
/// with, then three functions (paths or closures, called by the generated
/// code):
/// - `wrap` (optional) takes the SDK's future (`send_with` on that client)
///   and gives the future to await instead (InvokeModel: the headers too);
/// - `from_sdk` turns what that future gave into the crate's result;
/// - `from_api` turns the service method's future into the future of it.
///
/// The generated `send_sdk` awaits once, in the open: `from_sdk(wrap(sent).await)`.
macro_rules! send_input {
    (
        $input:ty => $out:ty,
        $service:path, $method:ident,
        $sdk_ty:ty, $config:ty, $as_sdk:path,
        client: $client:expr,
        $(wrap: $wrap:path,)?
        from_sdk: $from_sdk:expr,
        from_api: $from_api:expr $(,)?
    ) => {
        impl $crate::call::Sent for $input {
            type Output = $out;
        }

        impl<S: $service> $crate::call::SendInput<S> for $input {
            type Sdk = $sdk_ty;
            type Config = $config;
            fn as_sdk(api: &S) -> Option<&$sdk_ty> {
                $as_sdk(api)
            }
            async fn send_sdk(self, sdk: &$sdk_ty, config: Option<$config>) -> $crate::Result<$out> {
                let client = $crate::call::client_for(($client)(sdk), config)?;
                let sent = self.send_with(&client);
                $(let sent = $wrap(sent);)?
                $crate::call::apply(sent.await, $from_sdk)
            }
            fn send_api(self, api: &S) -> impl std::future::Future<Output = $crate::Result<$out>> + Send {
                $crate::call::apply(api.$method(self), $from_api)
            }
        }
    };
}
pub(crate) use send_input;

/// `f(t)`: the rows of [`send_input!`] give closures whose argument type
/// comes from `t` (a closure called in place could not name it).
#[inline(always)]
pub(crate) fn apply<T, U>(t: T, f: impl FnOnce(T) -> U) -> U {
    f(t)
}

/// An AWS SDK client that one call may send with a changed configuration.
pub(crate) trait SdkClient: Clone {
    /// The client's configuration builder.
    type Builder;
    /// A client with `f` applied to a copy of this one's configuration
    /// (same HTTP client, so the same connection pool). The region must
    /// stay this client's (see [`same_region`](super::same_region)).
    fn with_config(&self, f: ConfigChange<Self::Builder>) -> Result<Self>;
}

/// [`SdkClient`] for an SDK crate's `Client` (the crate's path given, e.g.
/// `aws_sdk_bedrockruntime`).
macro_rules! sdk_client {
    ($sdk:ident) => {
        impl $crate::call::SdkClient for $sdk::Client {
            type Builder = $sdk::config::Builder;
            fn with_config(&self, f: $crate::call::ConfigChange<Self::Builder>) -> $crate::Result<Self> {
                let conf = f(self.config().to_builder()).build();
                $crate::call::same_region(
                    self.config().region().map(|r| r.as_ref()),
                    conf.region().map(|r| r.as_ref()),
                )?;
                Ok(Self::from_conf(conf))
            }
        }
    };
}
pub(crate) use sdk_client;

/// The SDK client for one call: `base`, or a copy with the call's own
/// configuration.
pub(crate) fn client_for<C: SdkClient>(base: &C, config: Option<ConfigChange<C::Builder>>) -> Result<Cow<'_, C>> {
    match config {
        None => Ok(Cow::Borrowed(base)),
        Some(f) => Ok(Cow::Owned(base.with_config(f)?)),
    }
}
