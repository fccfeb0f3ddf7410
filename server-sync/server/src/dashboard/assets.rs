//! The dashboard's static files: the style sheets and the one small script, served from the
//! binary so that pages carry no inline style or script and the content security policy
//! ([`super::headers`]) can forbid both — markup slipped into a name then cannot run.
//!
//! The script does two things: asks before a form marked `data-confirm` is sent (revoking a
//! device, resetting a PIN), and keeps the late board current from its event stream.
//! It must not: hold page-specific logic or data.

use axum::http::header;
use axum::response::IntoResponse;

/// The script every page loads (`defer`).
pub const SCRIPT: &str = r#""use strict";
document.addEventListener("submit", function (e) {
  var q = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (q && !window.confirm(q)) { e.preventDefault(); }
}, true);
(function () {
  var board = document.getElementById("board");
  if (!board || !board.dataset.events) { return; }
  var es = new EventSource(location.pathname + "/" + board.dataset.events);
  es.addEventListener("board", function (e) { board.innerHTML = e.data; });
})();
"#;

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    // Short caching: a new release's files reach the browsers within the hour.
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
}

/// `GET /assets/hadir.css`
pub async fn css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", super::html::CSS)
}

/// `GET /assets/board.css`
pub async fn board_css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", super::board::BOARD_CSS)
}

/// `GET /assets/hadir.js`
pub async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}
