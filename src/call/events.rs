//! An SDK event receiver as an [`EventStream`]: one function for every
//! streaming operation of both services (each SDK crate has its own
//! `EventReceiver` type, with the same `recv`).

use std::future::Future;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::event_stream::RawMessage;

use super::EventStream;
use crate::error::{Error, ServiceError};
use crate::vocab::Operation;

/// The result of one `EventReceiver::recv`, with the receiver handed back.
type Received<T, E, R> = (Result<Option<T>, SdkError<E, RawMessage>>, Box<R>);

/// Turns the receiver `rx` into a stream of events: `recv` takes the
/// receiver, awaits its next event and hands it back
/// (`|mut rx| async move { (rx.recv().await, rx) }`). The stream ends after
/// the last event or the first error (an [`Error::Service`] naming `op`).
pub(crate) fn receiver_stream<R, T, E, F, Fut>(op: Operation, rx: R, recv: F) -> EventStream<T>
where
    R: Send + 'static,
    T: Send + 'static,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: Fn(Box<R>) -> Fut + Send + 'static,
    Fut: Future<Output = Received<T, E, R>> + Send + 'static,
{
    // The receiver is boxed: each event moves it into `recv`'s future and
    // back, and an SDK `EventReceiver` is large enough for those moves to
    // show in a profile (callgrind of the overhead bench).
    Box::pin(futures_util::stream::unfold(Some(Box::new(rx)), move |rx| {
        let next = rx.map(&recv);
        async move {
            let (got, rx) = next?.await;
            match got {
                Ok(Some(ev)) => Some((Ok(ev), Some(rx))),
                Ok(None) => None,
                Err(e) => Some((Err(Error::from(ServiceError::from_sdk(op, e))), None)),
            }
        }
    }))
}
