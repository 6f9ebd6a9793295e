//! Bounded reading of request bodies: a size cap enforced while reading, a
//! read timeout, and permits of the shared body budget for what is kept.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use tokio::sync::SemaphorePermit;

use super::state::Shared;
use super::wire::ApiError;

/// Why a request body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the cap (HTTP 413).
    TooLarge,
    /// Not complete within the read timeout (HTTP 408).
    Timeout,
    /// The endpoint holds too many request bytes already (HTTP 503).
    Busy,
    /// The client went away.
    Gone,
}

/// Reads a body of at most `cap` bytes within the read timeout, holding
/// permits of the shared body budget for what it keeps.
///
/// A body of announced length reserves its whole share up front, so that
/// concurrent large uploads are refused at once rather than all starved
/// halfway.
pub(crate) async fn read_body<'a>(
    shared: &'a Shared,
    mut body: Incoming,
    cap: usize,
) -> Result<(Bytes, Option<SemaphorePermit<'a>>), BodyError> {
    let deadline = tokio::time::Instant::now() + shared.limits.read_timeout;
    let announced = hyper::body::Body::size_hint(&body).exact();
    let mut held: Option<SemaphorePermit<'a>> = match announced {
        Some(0) | None => None,
        Some(len) if len > cap as u64 => return Err(BodyError::TooLarge),
        Some(len) => Some(acquire(shared, usize::try_from(len).unwrap_or(cap))?),
    };
    let mut buf = BytesMut::with_capacity(announced.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(None) => return Ok((buf.freeze(), held)),
            Ok(Some(Err(_))) => return Err(BodyError::Gone),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        if buf.len() + data.len() > cap {
            return Err(BodyError::TooLarge);
        }
        if announced.is_none() {
            let permit = acquire(shared, data.len())?;
            match &mut held {
                Some(h) => h.merge(permit),
                None => held = Some(permit),
            }
        }
        buf.extend_from_slice(&data);
    }
}

/// Permits of the body budget for `bytes` of body: three a byte, for the
/// raw body, its parsed JSON and the prompt text taken from it.
fn acquire(shared: &Shared, bytes: usize) -> Result<SemaphorePermit<'_>, BodyError> {
    let n = u32::try_from(bytes.saturating_mul(3)).map_err(|_| BodyError::TooLarge)?;
    shared.body_budget.try_acquire_many(n).map_err(|_| BodyError::Busy)
}

impl BodyError {
    /// The answer for a body that could not be read.
    pub(crate) fn api_error(&self) -> ApiError {
        match self {
            BodyError::TooLarge => ApiError::too_large(),
            BodyError::Timeout => ApiError::read_timeout(),
            BodyError::Busy | BodyError::Gone => ApiError::busy(),
        }
    }
}
