//! `error.type`: one low-cardinality name per failure.

use std::borrow::Cow;

use super::names::{ERROR_OTHER, ERROR_REFUSED};
use crate::error::{Error, ServiceErrorKind};

/// The `error.type` this crate records for an error.
///
/// The conventions: "SHOULD match the error code returned by the Generative
/// AI provider or the client library ... or another low-cardinality error
/// identifier. Instrumentations SHOULD document the list of errors they
/// report." The list:
///
/// - an error answered by Bedrock: its error code as AWS names it
///   (`ThrottlingException`, `ValidationException`,
///   `ServiceUnavailableException`, `ModelTimeoutException`, ...), or, when
///   the answer had no code, the code of its kind;
/// - `timeout` (operation or attempt timeout), `connection_error` (the
///   connection failed or was reset), `response_error` (the answer could not
///   be read), `construction_error` (the SDK could not build the request);
/// - a stream that failed midway: the type of what made it fail;
/// - `bedrock_latency.refused`: the check refused the request, nothing was
///   sent (an unknown model with a latency policy included);
/// - `invalid_request`, `configuration`: the request or the client's
///   configuration was invalid, nothing was sent;
/// - `_OTHER`: anything else.
pub fn error_type(e: &Error) -> Cow<'static, str> {
    match e {
        Error::Service(s) => match s.code().and_then(aws_code) {
            Some(code) => Cow::Owned(code.to_owned()),
            None => Cow::Borrowed(kind_name(s.kind())),
        },
        Error::StreamInterrupted { source, .. } => error_type(source),
        Error::Refused(_) | Error::UnknownModel { .. } => Cow::Borrowed(ERROR_REFUSED),
        Error::InvalidRequest { .. } => Cow::Borrowed("invalid_request"),
        Error::Config { .. } => Cow::Borrowed("configuration"),
        _ => Cow::Borrowed(ERROR_OTHER),
    }
}

/// An AWS error code (`ThrottlingException`,
/// `com.amazon.coral#ThrottlingException:http://...`) as its bare name, when
/// it looks like one: letters only, at most 64 of them. Anything else is not
/// used, so that `error.type` stays low-cardinality.
fn aws_code(code: &str) -> Option<&str> {
    let code = code.rsplit('#').next().unwrap_or(code);
    let code = code.split(':').next().unwrap_or(code);
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphabetic())).then_some(code)
}

fn kind_name(kind: ServiceErrorKind) -> &'static str {
    match kind {
        ServiceErrorKind::Validation => "ValidationException",
        ServiceErrorKind::Throttling => "ThrottlingException",
        ServiceErrorKind::ServiceUnavailable => "ServiceUnavailableException",
        ServiceErrorKind::InternalServer => "InternalServerException",
        ServiceErrorKind::AccessDenied => "AccessDeniedException",
        ServiceErrorKind::ResourceNotFound => "ResourceNotFoundException",
        ServiceErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
        ServiceErrorKind::ModelTimeout => "ModelTimeoutException",
        ServiceErrorKind::ModelNotReady => "ModelNotReadyException",
        ServiceErrorKind::ModelError => "ModelErrorException",
        ServiceErrorKind::Timeout => "timeout",
        ServiceErrorKind::Connection => "connection_error",
        ServiceErrorKind::Response => "response_error",
        ServiceErrorKind::Construction => "construction_error",
        ServiceErrorKind::Other => ERROR_OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::vocab::Operation;

    fn service(kind: ServiceErrorKind, code: Option<&str>) -> Error {
        let mut e = ServiceError::new(Operation::Converse, kind);
        if let Some(c) = code {
            e = e.with_code(c);
        }
        e.into()
    }

    #[test]
    fn service_errors_are_named_by_their_aws_code() {
        assert_eq!(
            error_type(&service(ServiceErrorKind::Throttling, Some("ThrottlingException"))),
            "ThrottlingException"
        );
        assert_eq!(
            error_type(&service(
                ServiceErrorKind::Validation,
                Some("com.amazon.coral.validate#ValidationException:http://internal")
            )),
            "ValidationException"
        );
        // No code: the kind's code. A code that is not a name: not echoed.
        assert_eq!(
            error_type(&service(ServiceErrorKind::ModelTimeout, None)),
            "ModelTimeoutException"
        );
        assert_eq!(
            error_type(&service(ServiceErrorKind::Other, Some("<script>1</script>"))),
            "_OTHER"
        );
        assert_eq!(error_type(&service(ServiceErrorKind::Timeout, None)), "timeout");
    }

    #[test]
    fn streams_take_the_type_of_their_cause() {
        let e = Error::StreamInterrupted {
            operation: Operation::ConverseStream,
            partial_text: "partial".into(),
            source: Box::new(service(ServiceErrorKind::ModelError, Some("ModelStreamErrorException"))),
        };
        assert_eq!(error_type(&e), "ModelStreamErrorException");
        let e = Error::InvalidRequest { reason: "x".into() };
        assert_eq!(error_type(&e), "invalid_request");
    }
}
