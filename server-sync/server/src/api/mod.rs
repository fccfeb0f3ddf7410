//! The device API, versioned under `/api/v1` (see [`hadir_protocol::api`] for the table of
//! calls and bodies).
//!
//! Handlers are thin: they read the request, call [`crate::ingest`] or the
//! [`crate::storage::Store`], and answer JSON. Errors are [`ApiError`]s: the device gets a short
//! [`ErrorBody`] and the details are logged once, here.
//!
//! Device calls other than enrolment, time and record upload are authenticated with request
//! signatures ([`hadir_protocol::auth`]); record uploads need none because every record is
//! signed on its own. Every call passes the sender's refusal budget first ([`throttle`]): an
//! address that keeps being refused is answered 429 before anything is looked up.

pub mod throttle;

use crate::AppState;
use crate::storage::{DeviceInfo, EnrolRefusal, StorageError};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hadir_protocol::api::{
    DeviceStatus, EnrolRequest, EnrolResponse, ErrorBody, EvidenceResponse, RosterResponse, ServerTime,
    TemplateUpload, TemplateUploadResponse,
};
use hadir_protocol::auth::{HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SKEW_MS, RequestAuth};
use hadir_protocol::Digest;
use serde::Deserialize;

/// The largest evidence photo accepted, bytes.
pub const MAX_PHOTO_BYTES: usize = 4 << 20;

/// The largest template upload accepted, bytes (a 512-value embedding is about 3 KiB).
pub const MAX_TEMPLATE_BYTES: usize = 64 << 10;

/// The largest health report accepted, bytes (100 events of about 300 bytes each).
pub const MAX_HEALTH_BYTES: usize = 64 << 10;

/// Where a request came from: the TCP peer (when served by [`crate::serve`]) and the
/// `X-Forwarded-For` header as sent.
fn peer(extensions: &axum::http::Extensions, headers: &HeaderMap) -> crate::ingest::Peer {
    crate::ingest::Peer {
        remote_addr: extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.to_string()),
        forwarded_for: headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect()),
    }
}

/// The device API's routes, with the state and the refusal budget applied.
pub fn router(state: AppState) -> Router {
    let body_limit = state.max_body_bytes;
    let budget = state.clone();
    Router::new()
        .route("/api/v1/time", get(time))
        .route("/api/v1/devices/enrol", post(enrol))
        .route("/api/v1/devices/self", get(device_self))
        .route("/api/v1/records", post(upload).layer(DefaultBodyLimit::max(body_limit)))
        .route("/api/v1/evidence/{sha256}", put(evidence).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES)))
        .route("/api/v1/roster", get(roster))
        .route("/api/v1/templates", post(upload_template).layer(DefaultBodyLimit::max(MAX_TEMPLATE_BYTES)))
        .route("/api/v1/health", post(health).layer(DefaultBodyLimit::max(MAX_HEALTH_BYTES)))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(budget, refusal_budget))
}

/// Answers 429 to an address whose refusal budget is spent, before the handler (and the
/// store) sees the request; otherwise runs it and charges what it refused: one for a 4xx
/// answer, one for each upload entry kept in `refused_uploads`. A request without a peer
/// address (called in process, not over the network) is not counted.
async fn refusal_budget(State(s): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let Some(key) = crate::client::client_address(&s.trusted_proxies, peer, forwarded).map(crate::client::throttle_key) else {
        return next.run(req).await;
    };
    if let Err(wait_ms) = s.refusals.admit(key, (s.clock)()) {
        let retry_after_s = (wait_ms + 999) / 1000;
        tracing::debug!(client = %key, retry_after_s, "refusal budget spent; answered 429");
        let body = ErrorBody {
            code: "throttled".into(),
            message: format!("too many refused requests from this address; try again in {retry_after_s} s"),
        };
        // The body is never read: the connection cannot carry another request, and the client
        // is told so rather than finding out on its next one.
        let headers = [(axum::http::header::RETRY_AFTER, retry_after_s.to_string()), (axum::http::header::CONNECTION, "close".to_owned())];
        return (StatusCode::TOO_MANY_REQUESTS, headers, Json(body)).into_response();
    }
    let response = next.run(req).await;
    let kept = response.extensions().get::<throttle::RefusalsKept>().map_or(0, |k| k.0);
    let refusals = kept + usize::from(response.status().is_client_error());
    s.refusals.settle(key, refusals, (s.clock)());
    response
}

/// An error answer: status, a machine-readable code and a short message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        // The device learns nothing about the database; the log gets everything.
        tracing::error!(error = %e, "storage failure");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "server storage failure; retry later")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(status = self.status.as_u16(), code = self.code, message = %self.message, "request refused");
        }
        (self.status, Json(ErrorBody { code: self.code.into(), message: self.message })).into_response()
    }
}

async fn time(State(s): State<AppState>) -> Json<ServerTime> {
    Json(ServerTime { server_time_ms: (s.clock)() })
}

async fn enrol(State(s): State<AppState>, body: Bytes) -> Result<Json<EnrolResponse>, ApiError> {
    let req: EnrolRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", format!("enrolment request: {e}")))?;
    let now = (s.clock)();
    match s.store.enrol(req.token.trim(), req.public_key, &req.app_version, now).await? {
        Ok(d) => {
            tracing::info!(device = %d.device_id, site = %d.site_id, mode = d.mode.as_str(), "device enrolled");
            Ok(Json(EnrolResponse { device_id: d.device_id, site_id: d.site_id, mode: d.mode, server_time_ms: now }))
        }
        Err(refusal) => {
            let status = match refusal {
                EnrolRefusal::DeviceExists => StatusCode::CONFLICT,
                _ => StatusCode::FORBIDDEN,
            };
            let code = match refusal {
                EnrolRefusal::UnknownToken => "unknown_token",
                EnrolRefusal::TokenUsed => "token_used",
                EnrolRefusal::TokenExpired => "token_expired",
                EnrolRefusal::DeviceExists => "device_exists",
            };
            Err(ApiError::new(status, code, refusal.to_string()))
        }
    }
}

/// Checks a signed request and returns the (active) device.
async fn authenticate(s: &AppState, headers: &HeaderMap, method: &Method, uri: &Uri, body: &[u8]) -> Result<DeviceInfo, ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let unauthorised = |m: String| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", m);
    let auth = RequestAuth::from_headers(header(HEADER_DEVICE), header(HEADER_TIMESTAMP), header(HEADER_NONCE), header(HEADER_SIGNATURE))
        .map_err(|e| unauthorised(e.to_string()))?;
    // An unknown device and a bad signature get the same answer: a stranger learns nothing
    // about which device ids exist.
    let unknown_or_forged = || unauthorised(format!("device {}: not enrolled, or the signature does not verify", auth.device_id));
    let devices = s.store.devices(std::slice::from_ref(&auth.device_id)).await?;
    let device = devices.get(&auth.device_id).ok_or_else(unknown_or_forged)?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let now = (s.clock)();
    auth.verify(&device.public_key, method.as_str(), path, body, now).map_err(|e| match e {
        hadir_protocol::auth::AuthError::BadSignature => unknown_or_forged(),
        e => unauthorised(e.to_string()),
    })?;
    // A timestamp is accepted MAX_SKEW_MS either side of now: a nonce is remembered for both.
    if !s.store.claim_nonce(&device.device_id, &auth.nonce, now, 2 * MAX_SKEW_MS).await? {
        return Err(unauthorised(format!("device {}: this signed request was sent before (a replay)", auth.device_id)));
    }
    if device.revoked_at_ms.is_some() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "revoked_device", format!("device {} was revoked", device.device_id)));
    }
    Ok(device.clone())
}

async fn device_self(State(s): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Result<Json<DeviceStatus>, ApiError> {
    let d = authenticate(&s, &headers, &method, &uri, b"").await?;
    s.store.touch_device(&d.device_id, (s.clock)()).await?;
    Ok(Json(DeviceStatus { device_id: d.device_id, site_id: d.site_id, mode: d.mode, last_seq: d.last_seq }))
}

async fn upload(
    State(s): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let now = (s.clock)();
    let from = peer(&extensions, &headers);
    match crate::ingest::ingest_from(&s.store, &body, now, &s.policy, &s.keys, &from).await {
        Ok(crate::ingest::Ingested { answer, refusals_kept }) => {
            let stored = answer.results.iter().filter(|r| r.outcome == hadir_protocol::Outcome::Stored).count();
            let refused = answer.results.iter().filter(|r| !r.outcome.is_acknowledged()).count();
            // Each refusal was logged by the ingest, with what it really was.
            tracing::debug!(entries = answer.results.len(), stored, refused, "batch ingested");
            let mut response = Json(answer).into_response();
            response.extensions_mut().insert(throttle::RefusalsKept(refusals_kept));
            Ok(response)
        }
        Err(crate::ingest::IngestError::Decode(e)) => Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed", e.to_string())),
        Err(crate::ingest::IngestError::Storage(e)) => Err(e.into()),
        Err(e @ crate::ingest::IngestError::Verifier(_)) => {
            tracing::error!(error = %e, "upload not stored");
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "server failure; retry later"))
        }
    }
}

async fn evidence(
    State(s): State<AppState>,
    Path(sha): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<EvidenceResponse>), ApiError> {
    let d = authenticate(&s, &headers, &method, &uri, &body).await?;
    let want = Digest::from_hex(&sha).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", e.to_string()))?;
    if Digest::of(&body) != want {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "hash_mismatch", "body's SHA-256 differs from the path"));
    }
    match s.store.put_photo(&d.device_id, want, body.to_vec(), (s.clock)()).await? {
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_record",
            "no record of this device names this photo; upload the record first",
        )),
        Some(true) => Ok((StatusCode::CREATED, Json(EvidenceResponse { stored_now: true }))),
        Some(false) => Ok((StatusCode::OK, Json(EvidenceResponse { stored_now: false }))),
    }
}

#[derive(Debug, Deserialize)]
struct RosterQuery {
    #[serde(default)]
    since: i64,
}

async fn roster(
    State(s): State<AppState>,
    Query(q): Query<RosterQuery>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<RosterResponse>, ApiError> {
    let d = authenticate(&s, &headers, &method, &uri, b"").await?;
    let now_ms = (s.clock)();
    s.store.touch_device(&d.device_id, now_ms).await?;
    let mut roster = s.store.roster_since(&d.site_id, q.since.max(0)).await?;
    // The device's site's own zone: its result screen and its records' offset follow it.
    let zones = s.store.site_zones(&s.policy.zone).await?;
    let zone = zones.of(&d.site_id);
    let today = zone.local(time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)).date();
    roster.rules = Some(crate::roster::site_rules(&s.store, &d.site_id, zone, today).await?.to_wire());
    Ok(Json(roster))
}

async fn upload_template(
    State(s): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<TemplateUploadResponse>), ApiError> {
    let d = authenticate(&s, &headers, &method, &uri, &body).await?;
    let up: TemplateUpload = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", format!("template upload: {e}")))?;
    let embedding = s.policy.templates.check(&up).map_err(|e| match e {
        crate::roster::TemplateProblem::ModelMismatch { .. } => ApiError::new(StatusCode::CONFLICT, "model_mismatch", e.to_string()),
        crate::roster::TemplateProblem::Malformed(_) => ApiError::new(StatusCode::BAD_REQUEST, "malformed", e.to_string()),
    })?;
    // The dashboard's enrolment rule, across all sites: a kiosk cannot put another face under
    // an employee, nor one employee's face under another.
    if let Err(refusal) = crate::face_checks::check_upload(&s.store, &up.employee_id, &up.model_version, &embedding).await? {
        tracing::warn!(device = %d.device_id, employee = %up.employee_id, %refusal, "face template refused");
        return Err(ApiError::new(StatusCode::CONFLICT, "face_refused", refusal.to_string()));
    }
    let now = (s.clock)();
    let new = crate::storage::NewTemplate {
        employee_id: up.employee_id.clone(),
        site_id: Some(d.site_id.clone()),
        model_version: up.model_version,
        embedding,
        source_device_id: Some(d.device_id.clone()),
        enrolled_at_ms: Some(up.enrolled_at_ms),
    };
    match s.store.insert_template(&new, now).await? {
        Ok(answer) => {
            s.store.touch_device(&d.device_id, now).await?;
            tracing::info!(
                device = %d.device_id,
                employee = %up.employee_id,
                template = answer.template_id,
                stored_now = answer.stored_now,
                "face template uploaded"
            );
            let status = if answer.stored_now { StatusCode::CREATED } else { StatusCode::OK };
            Ok((status, Json(answer)))
        }
        Err(refusal) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_employee",
            format!("employee {}: {refusal} ({})", up.employee_id, d.site_id),
        )),
    }
}

/// A device's health report: stored as its last, with the events that extend its event chain
/// (a forged or unlinked event is refused, logged, and stops the run; the device keeps it).
async fn health(
    State(s): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<hadir_protocol::health::HealthResponse>, ApiError> {
    let d = authenticate(&s, &headers, &method, &uri, &body).await?;
    let report: hadir_protocol::health::HealthReport = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", format!("health report: {e}")))?;
    report.check().map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed", format!("health report: {e}")))?;
    let head = s.store.event_head(&d.device_id).await?;
    let (accepted, head, refused) = hadir_protocol::health::accept_events(&d.device_id, &d.public_key, head, &report.events);
    let now = (s.clock)();
    s.store.record_health(&d.device_id, &report, &accepted, now).await?;
    for e in &accepted {
        tracing::warn!(device = %d.device_id, seq = e.seq, kind = e.kind.as_str(), at_ms = e.at_ms, "device event");
    }
    if let Some(e) = &refused {
        tracing::warn!(device = %d.device_id, error = %e, "device event refused");
    }
    Ok(Json(hadir_protocol::health::HealthResponse {
        events_through: head.seq,
        refused: refused.map(|e| e.to_string()),
        server_time_ms: now,
    }))
}
