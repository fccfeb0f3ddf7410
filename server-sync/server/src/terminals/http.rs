//! The terminals' HTTP listener: every request goes to [`super::handle`], which routes by the
//! protocol crate's table (`/iclock/cdata`, `getrequest`, `devicecmd`, `ping`, and their
//! `.aspx` aliases). Served on a listener of its own (`[zkteco] listen`), apart from the
//! dashboard and the device API, because terminals speak plain HTTP and need no other path.
//!
//! It owns the axum glue only: the body cap (a larger body is answered `413` before it is
//! read whole), `text/plain` answers, and `500` when the store fails (the terminal resends
//! after `ErrorDelay`, so nothing is lost). It must not decide anything about terminals.

use super::{TerminalsState, handle};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// The listener's router, with its state applied.
pub fn router(state: TerminalsState) -> Router {
    let cap = state.limits.max_body_bytes;
    Router::new()
        .fallback(terminal_request)
        .layer(DefaultBodyLimit::max(cap))
        .with_state(state)
        .layer(axum::middleware::from_fn(log_request))
}

async fn terminal_request(State(st): State<TerminalsState>, method: Method, uri: Uri, body: Bytes) -> Response {
    let answer = handle(&st, method.as_str(), uri.path(), uri.query().unwrap_or(""), &body).await;
    match answer {
        Ok(a) => {
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], a.body).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, path = uri.path(), "terminal request failed; the terminal will resend");
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{e}\n")).into_response()
        }
    }
}

async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    if status >= 400 {
        tracing::warn!(%method, path, status, "terminal request");
    } else {
        tracing::debug!(%method, path, status, "terminal request");
    }
    response
}
