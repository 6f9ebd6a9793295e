//! The crate's one error type.

use std::fmt;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api_shim::{RawResponse, StatusAndBody};

use crate::check::Refusal;
use crate::model_id::truncate;
use crate::vocab::Operation;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Errors that come from AWS keep the SDK error as their
/// [`source`](std::error::Error::source), together with the request id and
/// what the service said ([`ServiceError`]). Refusals made before any request
/// was sent say why and what would work ([`Refusal`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model identifier could not be parsed.
    #[error("invalid model identifier {input:?}: {reason}")]
    InvalidModelId {
        /// What was given (shortened if long).
        input: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A well-formed model identifier that the catalog does not know, for a
    /// request whose latency policy needs the catalog's word (nothing was
    /// sent). Standard requests for unknown models are sent as given, with
    /// a [`Warning::NotInCatalog`](crate::Warning::NotInCatalog).
    #[error("unknown model {id:?}: not in the latency catalog{}", suggest(.suggestions))]
    UnknownModel {
        /// The identifier as given.
        id: String,
        /// Known models whose IDs resemble it.
        suggestions: Vec<String>,
    },

    /// The request would not be honored as asked, so nothing was sent.
    #[error(transparent)]
    Refused(Box<Refusal>),

    /// A value (region, operation, latency, date ...) could not be parsed.
    #[error("invalid {what} {value:?}: expected {expected}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The value given (shortened if long).
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },

    /// A catalog file could not be read or is not a valid catalog.
    #[error("catalog {origin}: {reason}")]
    Catalog {
        /// The file path, or `builtin`.
        origin: String,
        /// What is wrong, with the line where known.
        reason: String,
    },

    /// The call reached AWS (or the network) and failed.
    #[error(transparent)]
    Service(Box<ServiceError>),

    /// A streamed answer failed midway; what had arrived is kept.
    #[error("{operation} stream failed after {} characters of text: {source}", .partial_text.chars().count())]
    StreamInterrupted {
        /// The operation whose stream failed.
        operation: Operation,
        /// The text received before the failure.
        partial_text: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },

    /// Every attempt of a call with regional failover failed; the last
    /// attempt's error is the source (so `is_throttling()` and friends
    /// still answer), and the call's report is not made.
    #[error("{operation} failed in every attempt (regions {}): {source}", .regions.join(", "))]
    FailedOver {
        /// The operation called.
        operation: Operation,
        /// The region of each attempt, in order.
        regions: Vec<String>,
        /// The last attempt's error.
        #[source]
        source: Box<Error>,
    },

    /// The client could not be configured (no region, say).
    #[error("configuration: {reason}")]
    Config {
        /// What is missing or wrong.
        reason: String,
    },

    /// The request could not be built (a missing body, an invalid field).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },

    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        "; run `bedrock-latency matrix` for the known models, or load a catalog file that adds it".to_owned()
    } else {
        format!("; did you mean {}?", s.join(" or "))
    }
}

impl Error {
    pub(crate) fn parse(what: &'static str, value: impl AsRef<str>, expected: &'static str) -> Self {
        Error::Parse {
            what,
            value: truncate(value.as_ref()),
            expected,
        }
    }

    /// The [`ServiceError`], if this error came from the service or network
    /// (also inside an interrupted stream).
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            Error::StreamInterrupted { source, .. } | Error::FailedOver { source, .. } => source.service_error(),
            _ => None,
        }
    }

    /// The refusal, if the request was refused before sending.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// The AWS request id, when the service answered.
    pub fn request_id(&self) -> Option<&str> {
        self.service_error().and_then(ServiceError::request_id)
    }

    /// What the service said (its `message`), when it answered.
    pub fn service_message(&self) -> Option<&str> {
        self.service_error().and_then(ServiceError::message)
    }

    /// Whether the service throttled the call (HTTP 429 / `ThrottlingException`).
    pub fn is_throttling(&self) -> bool {
        self.service_error()
            .is_some_and(|e| e.kind() == ServiceErrorKind::Throttling)
    }

    /// Whether the call timed out on the client side.
    pub fn is_timeout(&self) -> bool {
        self.service_error()
            .is_some_and(|e| e.kind() == ServiceErrorKind::Timeout)
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.service_error().is_some_and(|e| {
            matches!(
                e.kind(),
                ServiceErrorKind::Throttling
                    | ServiceErrorKind::ServiceUnavailable
                    | ServiceErrorKind::InternalServer
                    | ServiceErrorKind::ModelNotReady
                    | ServiceErrorKind::Timeout
                    | ServiceErrorKind::Connection
            )
        })
    }
}

impl Error {
    /// Gives a service error that carries no request id the one of the
    /// HTTP response it came in: an exception inside an event stream
    /// (`:message-type exception`) has none of its own, the response
    /// headers do.
    pub(crate) fn or_request_id(self, id: Option<&str>) -> Self {
        match (self, id) {
            (Error::Service(mut e), Some(id)) if e.request_id.is_none() => {
                e.request_id = Some(id.to_owned());
                Error::Service(e)
            }
            (other, _) => other,
        }
    }
}

impl From<Refusal> for Error {
    /// A refusal for an unknown model becomes [`Error::UnknownModel`]: the
    /// one form of "unknown model" (with its did-you-mean suggestions).
    fn from(r: Refusal) -> Self {
        match r.reason {
            crate::check::RefusalReason::UnknownModel { suggestions } => Error::UnknownModel {
                id: r.model.unwrap_or_default(),
                suggestions,
            },
            _ => Error::Refused(Box::new(r)),
        }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// What kind of failure a [`ServiceError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// `ValidationException` (HTTP 400), including unsupported latency settings.
    Validation,
    /// `ThrottlingException` (HTTP 429).
    Throttling,
    /// `ServiceUnavailableException` (HTTP 503).
    ServiceUnavailable,
    /// `InternalServerException` (HTTP 500).
    InternalServer,
    /// `AccessDeniedException` (HTTP 403).
    AccessDenied,
    /// `ResourceNotFoundException` (HTTP 404).
    ResourceNotFound,
    /// `ServiceQuotaExceededException`.
    ServiceQuotaExceeded,
    /// `ModelTimeoutException`.
    ModelTimeout,
    /// `ModelNotReadyException`.
    ModelNotReady,
    /// `ModelErrorException` or `ModelStreamErrorException`.
    ModelError,
    /// The client gave up waiting (operation or attempt timeout).
    Timeout,
    /// The connection failed or was reset.
    Connection,
    /// The response could not be read or parsed.
    Response,
    /// The request could not be built.
    Construction,
    /// Anything else the service answered.
    Other,
}

impl ServiceErrorKind {
    /// Classifies an AWS error code (`ThrottlingException`, ...) and HTTP status.
    pub fn from_code(code: Option<&str>, status: Option<u16>) -> Self {
        let code = code.unwrap_or("");
        let code = code.rsplit('#').next().unwrap_or(code);
        let code = code.split(':').next().unwrap_or(code);
        match code {
            "ValidationException" => Self::Validation,
            "ThrottlingException" | "TooManyRequestsException" => Self::Throttling,
            "ServiceUnavailableException" => Self::ServiceUnavailable,
            "InternalServerException" => Self::InternalServer,
            "AccessDeniedException" => Self::AccessDenied,
            "ResourceNotFoundException" => Self::ResourceNotFound,
            "ServiceQuotaExceededException" => Self::ServiceQuotaExceeded,
            "ModelTimeoutException" => Self::ModelTimeout,
            "ModelNotReadyException" => Self::ModelNotReady,
            "ModelErrorException" | "ModelStreamErrorException" => Self::ModelError,
            _ => match status {
                Some(400) => Self::Validation,
                Some(403) => Self::AccessDenied,
                Some(404) => Self::ResourceNotFound,
                Some(429) => Self::Throttling,
                Some(503) => Self::ServiceUnavailable,
                Some(500) => Self::InternalServer,
                _ => Self::Other,
            },
        }
    }
}

/// An error from AWS or the network, with everything the service said.
///
/// The SDK error is kept as the [`source`](std::error::Error::source), boxed
/// so that an SDK upgrade does not change this type.
pub struct ServiceError {
    operation: Operation,
    kind: ServiceErrorKind,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    status: Option<u16>,
    raw_body: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ServiceError {
    /// A service error of `kind` for `operation`; add details with the
    /// `with_*` methods. Useful to script failures in mocks.
    pub fn new(operation: Operation, kind: ServiceErrorKind) -> Self {
        Self {
            operation,
            kind,
            code: None,
            message: None,
            request_id: None,
            status: None,
            raw_body: None,
            source: None,
        }
    }

    /// Sets the AWS error code (`ThrottlingException`, ...).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    /// Sets what the service said.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
    /// Sets the AWS request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }
    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    /// Sets the underlying error.
    pub fn with_source(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Converts an AWS SDK error, keeping it as the source.
    ///
    /// For errors the SDK does not model (no `x-amzn-ErrorType`), the
    /// message is read from the raw response body, which is also kept.
    pub fn from_sdk<E, R>(operation: Operation, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: RawResponse + fmt::Debug + Send + Sync + 'static,
    {
        let mut out = ServiceError::new(operation, ServiceErrorKind::Other);
        match &err {
            SdkError::ConstructionFailure(_) => out.kind = ServiceErrorKind::Construction,
            SdkError::TimeoutError(_) => out.kind = ServiceErrorKind::Timeout,
            SdkError::DispatchFailure(d) => {
                out.kind = if d.is_timeout() {
                    ServiceErrorKind::Timeout
                } else {
                    ServiceErrorKind::Connection
                };
            }
            SdkError::ResponseError(r) => {
                out.kind = ServiceErrorKind::Response;
                out.fill_raw(r.raw());
            }
            SdkError::ServiceError(s) => {
                let e = s.err();
                // Event-stream exceptions carry no code in their metadata;
                // the modeled variant's name is the code.
                out.code = e.code().map(str::to_owned).or_else(|| variant_code(&format!("{e:?}")));
                out.message = e.message().map(str::to_owned);
                out.request_id = e.meta().extra("aws_request_id").map(str::to_owned);
                out.fill_raw(s.raw());
                out.kind = ServiceErrorKind::from_code(out.code.as_deref(), out.status);
            }
            _ => {}
        }
        if out.kind == ServiceErrorKind::Response {
            // A body cut midway surfaces as a response error whose cause is a
            // connection failure.
            let text = aws_sdk_bedrockruntime::error::DisplayErrorContext(&err).to_string();
            if text.contains("connection") || text.contains("IncompleteMessage") || text.contains("reset") {
                out.kind = ServiceErrorKind::Connection;
            }
        }
        out.source = Some(Box::new(err));
        out
    }

    fn fill_raw<R: RawResponse>(&mut self, raw: &R) {
        let StatusAndBody {
            status,
            request_id,
            body,
        } = raw.status_and_body();
        self.status = self.status.or(status);
        if self.request_id.is_none() {
            self.request_id = request_id;
        }
        if let Some(body) = body {
            if self.message.is_none() {
                self.message = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| {
                    v.get("message")
                        .or_else(|| v.get("Message"))
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                });
            }
            self.raw_body = Some(truncate_body(body));
        }
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }
    /// What kind of failure this is.
    pub fn kind(&self) -> ServiceErrorKind {
        self.kind
    }
    /// The AWS error code, when the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// What the service said.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// The AWS request id (`x-amzn-RequestId`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// The raw response body (first 4 KiB), for errors the SDK did not model.
    pub fn raw_body(&self) -> Option<&str> {
        self.raw_body.as_deref()
    }
}

/// `ModelStreamErrorException(...)` -> `ModelStreamErrorException`.
fn variant_code(debug: &str) -> Option<String> {
    let name: String = debug.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    name.ends_with("Exception").then_some(name)
}

fn truncate_body(mut body: String) -> String {
    const MAX: usize = 4096;
    if body.len() > MAX {
        let mut end = MAX;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    body
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("operation", &self.operation)
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation.aws_name())?;
        match (&self.code, self.status) {
            (Some(c), Some(s)) => write!(f, " with {c} (HTTP {s})")?,
            (Some(c), None) => write!(f, " with {c}")?,
            (None, Some(s)) => write!(f, " with HTTP {s}")?,
            (None, None) => write!(f, ": {:?}", self.kind)?,
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        } else if let Some(src) = &self.source {
            write!(
                f,
                ": {}",
                aws_sdk_bedrockruntime::error::DisplayErrorContext(src.as_ref())
            )?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

mod aws_smithy_runtime_api_shim {
    //! Reading status, request id and body from the raw responses that the
    //! SDK attaches to its errors (HTTP responses and event-stream messages).

    use aws_sdk_bedrockruntime::config::http::HttpResponse;
    use aws_smithy_types::event_stream::RawMessage;

    /// What a raw response can tell.
    #[derive(Debug, Default)]
    pub struct StatusAndBody {
        pub status: Option<u16>,
        pub request_id: Option<String>,
        pub body: Option<String>,
    }

    /// A raw response attached to an SDK error.
    pub trait RawResponse {
        /// Status, request id and body, where present.
        fn status_and_body(&self) -> StatusAndBody;
    }

    impl RawResponse for HttpResponse {
        fn status_and_body(&self) -> StatusAndBody {
            let headers = self.headers();
            StatusAndBody {
                status: Some(self.status().as_u16()),
                request_id: headers
                    .get("x-amzn-requestid")
                    .or_else(|| headers.get("x-amz-request-id"))
                    .map(str::to_owned),
                body: self
                    .body()
                    .bytes()
                    .filter(|b| !b.is_empty())
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
            }
        }
    }

    impl RawResponse for RawMessage {
        fn status_and_body(&self) -> StatusAndBody {
            match self {
                RawMessage::Decoded(m) => StatusAndBody {
                    body: Some(String::from_utf8_lossy(m.payload()).into_owned()),
                    ..Default::default()
                },
                RawMessage::Invalid(bytes) => StatusAndBody {
                    body: bytes.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
                    ..Default::default()
                },
                _ => StatusAndBody::default(),
            }
        }
    }
}
