//! Security headers on every dashboard response: a content security policy that allows only
//! the server's own script and style (no inline code, no framing, forms only to itself),
//! `nosniff` (a photo is never run as a page), and `no-store` on pages, which carry personal
//! data that must not stay in a shared office PC's cache.
//! It must not: change bodies or status codes.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The policy: everything from this server only; images also as `data:`/`blob:` (previews of
/// photos chosen for enrolment); no plugins, no framing, no `<base>` rewriting.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers with the policy `csp` (this one, or with a map's tile source:
/// [`super::webmap::csp`]); a response that set its own `Cache-Control` (the static files)
/// keeps it.
pub async fn add(axum::extract::State(csp): axum::extract::State<HeaderValue>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
