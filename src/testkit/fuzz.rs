//! Entry points for the property test of the endpoint's request parsing
//! (`tests/testkit_parse_props.rs`): not part of the public API.

use hyper::HeaderMap;

use super::ops;
use super::wire;
use crate::Catalog;

/// Routes `method` + `path` and, when it names an operation, parses `body`
/// with `headers` as the endpoint does (no I/O, no state). Returns whether
/// the request was accepted.
pub fn parse_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8], region: &str) -> bool {
    let _ = wire::percent_decode(path);
    let Some((operation, params)) = wire::route(method, path) else {
        return false;
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(value),
        ) {
            map.append(n, v);
        }
    }
    let _ = super::behaviour::region_from_authorization(headers.first().map_or("", |h| h.1));
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    ops::prepare(
        operation,
        &params,
        &map,
        body,
        json.as_ref(),
        region,
        Catalog::builtin(),
    )
    .is_ok()
}
