//! # hadir-server: the central server
//!
//! The device API (enrolment, ingest, roster sync), the dashboard, reports and the late board.
//!
//! # Layout
//!
//! - [`api`]: the device API under `/api/v1` (axum handlers, thin).
//! - [`ingest`]: from an upload body to one answer per record (signatures, chain, time).
//! - [`storage`]: the repository layer, SQLite and PostgreSQL, versioned migrations.
//! - [`enrolment`]: one-time device enrolment tokens.
//! - [`roster`]: PIN hashing, template wire form.
//! - [`config`]: the TOML configuration, validated.
//! - [`client`]: who a request came from, as the throttles count it.
//! - [`limits`]: each listener's request time limit and bound on requests at once.
//! - [`holiday_file`]: a year of holidays read from CSV or iCalendar (pure).
//! - [`terminals`]: ZKTeco terminals (attendance PUSH protocol) on a listener of their own.
//! - [`people`]: the first administrator, the employee import and export (pure parsing).
//! - `dashboard`, `reports`: the office side; the rules they apply are the `hadir-rules` crate,
//!   the same rulebook the kiosks use.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`app`] / [`serve`]. The demo
//! department, the ingest benchmark and the throw-away PostgreSQL cluster of the tests are
//! development tools outside this crate (`hadir-devtools`, `hadir-pg-cluster`).
//!
//! # Plugging in another router
//!
//! [`app`] merges sub-routers, each with its own state already applied; a new component adds
//! one `.merge(...)` line there and its migrations to [`migrations`].

pub mod api;
pub mod client;
pub mod config;
pub mod limits;
pub mod doubts;
pub mod enrolment;
pub mod face_checks;
pub mod holiday_file;
pub mod ingest;
pub mod people;
pub mod roster;
pub mod storage;
pub mod terminals;

pub mod dashboard;
pub mod reports;

use axum::Router;
use std::future::Future;
use std::sync::Arc;

/// Milliseconds since the Unix epoch, UTC; injectable so tests can fix "now".
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    })
}

/// What the device API's handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: storage::Store,
    /// What the ingest accepts and doubts; its `zone` is the sites' time zone, also sent to the
    /// kiosks with their rules.
    pub policy: ingest::IngestPolicy,
    /// The enrolled devices' keys, prepared for fast verification.
    pub keys: Arc<hadir_protocol::keytable::KeyTables>,
    /// Now.
    pub clock: Clock,
    /// The largest upload body, bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies in front: a request from one is counted by the client address it
    /// appended to `X-Forwarded-For` (the dashboard's `trusted_proxies`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// What each client address may still cause to be refused.
    pub refusals: Arc<api::throttle::RefusalBudget>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store.backend_name())
            .field("policy", &self.policy)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State with the default policy and body limit and the system clock.
    pub fn new(store: storage::Store) -> AppState {
        AppState {
            store,
            policy: ingest::IngestPolicy::default(),
            keys: Arc::default(),
            clock: system_clock(),
            max_body_bytes: config::IngestConfig::default().max_body_bytes,
            trusted_proxies: Vec::new(),
            refusals: Arc::default(),
        }
    }
}

/// Every migration this build knows, in order: the core schema first, then the dashboard's,
/// then the ZKTeco terminals'.
pub fn migrations() -> Vec<storage::Migration> {
    let mut all = storage::migrations::CORE.to_vec();
    all.extend_from_slice(storage::migrations::DASHBOARD);
    all.extend_from_slice(storage::migrations::TERMINALS);
    all.extend_from_slice(storage::migrations::PEOPLE);
    all
}

/// The whole HTTP application: the device API (and the components merged here), with request
/// logging.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router(state))
        .layer(axum::middleware::from_fn(log_request))
}

/// The HTTP service of the main listener: the device API and the dashboard over one store,
/// each under its own request limits ([`limits`]), so that a flood of dashboard requests —
/// or of device calls — cannot take the slots that the other needs.
pub fn service(state: AppState, dash: std::sync::Arc<dashboard::Dashboard>, limits: limits::HttpLimits) -> Router {
    limits::limited(app(state), limits).merge(limits::limited(dashboard::router(dash), limits))
}

/// Logs each request's method, path, status and time. A late-board link's path is its secret:
/// it is logged as `/board/…`.
pub(crate) async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// The path as logged: secrets in it (a late-board token) are cut out.
pub(crate) fn redact_path(path: &str) -> String {
    match path.strip_prefix("/board/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/board/…/{tail}"),
            None => "/board/…".to_owned(),
        },
        None => path.to_owned(),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address reaches handlers (refused uploads keep it).
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn board_tokens_are_cut_from_logged_paths() {
        for (path, want) in [
            ("/board/s3cr3t", "/board/…"),
            ("/board/s3cr3t/events", "/board/…/events"),
            ("/api/v1/records", "/api/v1/records"),
            ("/today", "/today"),
        ] {
            assert_eq!(super::redact_path(path), want);
        }
    }
}
