//! Every listener's request limits: a time limit for each request and a bound on the requests
//! handled at once, so that a flood of slow or many requests cannot take the memory and the
//! workers that the kiosks' uploads need. The device API and the dashboard each get their own
//! ([`crate::service`]): a dashboard flood leaves the kiosks their slots.
//!
//! The time runs until the response's head is ready (reading the body is part of it); a
//! stream that follows (the late board's events) is not cut. A request over the time limit is
//! answered `408` and one over the bound `503` with `Retry-After`; the kiosk's uploader retries
//! both, and the ingest's answers are idempotent, so a cut upload is sent again and answered
//! "already stored".

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The limits of one listener (`[http]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The longest a request may take until its response's head.
    pub request_timeout: Duration,
    /// Requests handled at once; more are answered 503 at once.
    pub max_in_flight: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        // 38 kiosks and a few dozen dashboard users are far below 512; a batch of 1,000
        // records or a month's export takes seconds, far below 60.
        HttpLimits { request_timeout: Duration::from_secs(60), max_in_flight: 512 }
    }
}

/// `app` with `limits` applied to every request.
pub fn limited(app: Router, limits: HttpLimits) -> Router {
    let state = Arc::new((Semaphore::new(limits.max_in_flight), limits.request_timeout));
    app.layer(axum::middleware::from_fn_with_state(state, limit))
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json"), (header::RETRY_AFTER, "1")], body).into_response()
}

async fn limit(State(state): State<Arc<(Semaphore, Duration)>>, req: Request, next: Next) -> Response {
    let (slots, timeout) = (&state.0, state.1);
    let Ok(_slot) = slots.try_acquire() else {
        // Redacted like the request log: a late board's path holds its secret token.
        tracing::warn!(path = %crate::redact_path(req.uri().path()), "too many requests at once; answered 503");
        return refusal(StatusCode::SERVICE_UNAVAILABLE, "busy", "the server is handling too many requests; try again");
    };
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => refusal(StatusCode::REQUEST_TIMEOUT, "timeout", "the request took too long"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn app(release: Arc<tokio::sync::Notify>, limits: HttpLimits) -> Router {
        let slow = Router::new()
            .route("/slow", get(move || async move { release.notified().await; "done" }))
            .route("/fast", get(|| async { "fast" }));
        limited(slow, limits)
    }

    async fn status(app: &Router, path: &str) -> StatusCode {
        app.clone().oneshot(Request::builder().uri(path).body(Body::empty()).unwrap()).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_slow_request_is_cut_and_a_full_server_says_busy() {
        let release = Arc::new(tokio::sync::Notify::new());
        let app = app(release.clone(), HttpLimits { request_timeout: Duration::from_millis(100), max_in_flight: 1 });
        assert_eq!(status(&app, "/slow").await, StatusCode::REQUEST_TIMEOUT);
        // The cut request gave its slot back.
        assert_eq!(status(&app, "/fast").await, StatusCode::OK);

        let app_long = self::app(release.clone(), HttpLimits { request_timeout: Duration::from_secs(30), max_in_flight: 1 });
        let held = tokio::spawn({
            let app = app_long.clone();
            async move { status(&app, "/slow").await }
        });
        // Wait until the slow request holds the only slot.
        let mut busy = StatusCode::OK;
        for _ in 0..200 {
            busy = status(&app_long, "/fast").await;
            if busy == StatusCode::SERVICE_UNAVAILABLE {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(busy, StatusCode::SERVICE_UNAVAILABLE);
        release.notify_one();
        assert_eq!(held.await.unwrap(), StatusCode::OK);
        assert_eq!(status(&app_long, "/fast").await, StatusCode::OK, "the slot is free again");
    }
}
