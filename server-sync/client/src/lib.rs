//! # hadir-client: the device-side uploader
//!
//! Drains the kiosk's outbox to the central server in batches, in sequence order, with retries.
//!
//! It never deletes a record the server did not acknowledge: the [`Outbox`] is told
//! `acknowledge` only for records answered `stored` or `already_stored`, and `park` (with the
//! server's reason) for refused ones; everything else stays pending and is sent again.
//!
//! # Layout
//!
//! - [`outbox`]: the [`Outbox`] trait the kiosk's store implements, and [`MemoryOutbox`].
//! - [`admin`]: re-queue or dismiss parked records.
//! - [`backoff`]: exponential backoff with jitter.
//! - [`trust`]: how the device trusts the server (pinned certificate, provisioned CA, or plain
//!   HTTP on a closed LAN), no redirects, capped answers.
//! - [`Uploader`] (here): HTTP calls of the device API over `reqwest`.
//!
//! # Retries and restarts
//!
//! [`Uploader::run`] loops: drain the outbox batch by batch, upload evidence photos, then wait
//! for new records (or a poll interval). Any network or server failure waits a backoff delay
//! and starts again; the server's answers are idempotent, so a batch whose answer was lost is
//! simply sent again and answered `already_stored`. State lives only in the outbox, so a restart
//! resumes where it stopped.
//!
//! # The sync watermark
//!
//! When a batch empties the outbox, it carries a signed [`DrainClaim`]: "at this time (server
//! time, minus [`DRAIN_MARGIN_MS`] for records still being written) I had nothing older left
//! to send". The server uses it to know which days are complete for this device. An idle
//! device sends the claim alone (an empty batch) at most every
//! [`UploaderConfig::heartbeat_every`], when the outbox can say its head
//! ([`Outbox::head_seq`]).
//!
//! # Face templates
//!
//! [`Uploader::upload_template`] sends a template enrolled at the kiosk; the server answers it
//! idempotently and the site's kiosks get it with the next roster.

pub mod admin;
pub mod backoff;
pub mod outbox;
pub mod trust;

pub use backoff::Backoff;
pub use outbox::{Dismissed, MemoryOutbox, Outbox, OutboxError, Parked};
pub use trust::{ServerTrust, TrustError};

use hadir_protocol::api::{
    DeviceStatus, EnrolRequest, EnrolResponse, ErrorBody, EvidenceResponse, FaceTemplate, RosterResponse, ServerTime,
    TemplateUpload, TemplateUploadResponse,
};
use hadir_protocol::batch::DrainClaim;
use hadir_protocol::auth::{HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, RequestAuth};
use hadir_protocol::{DeviceKey, Outcome, PublicKey, UploadResponse};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connection refused or cut, timeout, TLS).
    #[error("{url}: {source}")]
    Transport {
        /// The URL called.
        url: String,
        /// The error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}: {code}: {message}")]
    Status {
        /// The URL called.
        url: String,
        /// The status.
        status: u16,
        /// The server's error code (`malformed`, `unauthorised`, `revoked_device` …).
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server's answer was not what the protocol says.
    #[error("{url}: unexpected answer: {detail}")]
    Protocol {
        /// The URL called.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The device's store failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The configuration is unusable.
    #[error("uploader configuration: {0}")]
    Config(String),
    /// The server URL and the trust setting do not go together, or the TLS setup failed.
    #[error(transparent)]
    Trust(#[from] TrustError),
}

impl ClientError {
    /// The server refused the request itself (a 4xx answer other than 401, 408 and 429):
    /// sending it again unchanged will not help. Transport failures, 5xx, an unauthorised
    /// request (often a clock off by more than 15 minutes: sample [`Uploader::server_time`]) and
    /// rate limits are worth retrying.
    pub fn is_refusal(&self) -> bool {
        matches!(self, ClientError::Status { status, .. } if (400..500).contains(status) && ![401, 408, 429].contains(status))
    }
}

/// How far before "now" a drain claim is dated, ms: a record whose capture began before the
/// claim but which is committed to the outbox just after it must still fall after the claim.
pub const DRAIN_MARGIN_MS: i64 = 60_000;

/// The largest answer read from the server other than a roster, bytes (a batch's answer for
/// [`hadir_protocol::batch::MAX_BATCH_RECORDS`] records is far below it).
pub const MAX_ANSWER_BYTES: usize = 1 << 20;
/// The largest roster answer read, bytes: a site of a few thousand employees with their face
/// templates, with room to spare.
pub const MAX_ROSTER_ANSWER_BYTES: usize = 64 << 20;

/// Device wall clock in ms since the Unix epoch (injectable for tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The uploader's settings.
#[derive(Clone)]
pub struct UploaderConfig {
    /// The server's base URL, e.g. `https://hadir.example.go.id` (no trailing `/api/v1`).
    pub server_url: String,
    /// How the server is trusted; must go with the URL's scheme ([`ServerTrust::check_url`]).
    pub trust: ServerTrust,
    /// Records per batch.
    pub batch_size: usize,
    /// First retry delay.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How often [`Uploader::run`] looks at the outbox when it is idle.
    pub poll_interval: Duration,
    /// How often an idle device tells the server its outbox is empty (the watermark's
    /// heartbeat; needs [`Outbox::head_seq`]).
    pub heartbeat_every: Duration,
    /// The device clock.
    pub clock: Clock,
}

impl std::fmt::Debug for UploaderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploaderConfig")
            .field("server_url", &self.server_url)
            .field("trust", &self.trust)
            .field("batch_size", &self.batch_size)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("request_timeout", &self.request_timeout)
            .field("poll_interval", &self.poll_interval)
            .field("heartbeat_every", &self.heartbeat_every)
            .finish_non_exhaustive()
    }
}

impl UploaderConfig {
    /// Defaults for a server URL and its trust: batches of 100, backoff 1 s … 5 min, 30 s
    /// timeout.
    pub fn new(server_url: impl Into<String>, trust: ServerTrust) -> UploaderConfig {
        UploaderConfig {
            server_url: server_url.into(),
            trust,
            batch_size: 100,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
            heartbeat_every: Duration::from_secs(60),
            clock: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0)
            }),
        }
    }
}

/// What one drain did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrainReport {
    /// Batches sent.
    pub batches: usize,
    /// Records acknowledged (stored now or before).
    pub acknowledged: usize,
    /// Records parked.
    pub parked: usize,
    /// Photos uploaded.
    pub photos: usize,
}

/// The answer's body as `T`, at most `cap` bytes of it; an error status (a redirect included:
/// none is followed) becomes [`ClientError::Status`].
async fn answer<T: serde::de::DeserializeOwned>(url: &str, resp: reqwest::Response, cap: usize) -> Result<T, ClientError> {
    let status = resp.status();
    let bytes = trust::read_capped(resp, cap).await.map_err(|e| match e {
        trust::ReadError::Transport(source) => ClientError::Transport { url: url.to_owned(), source },
        e @ trust::ReadError::TooLarge { .. } => ClientError::Protocol { url: url.to_owned(), detail: e.to_string() },
    })?;
    if !status.is_success() {
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        return Err(ClientError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            code: body.as_ref().map(|b| b.code.clone()).unwrap_or_default(),
            message: body.map(|b| b.message).unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect()),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol { url: url.to_owned(), detail: e.to_string() })
}

/// Enrols a new device with a one-time token (before an [`Uploader`] exists).
pub async fn enrol(
    server_url: &str,
    trust: &ServerTrust,
    token: &str,
    key: &DeviceKey,
    app_version: &str,
) -> Result<EnrolResponse, ClientError> {
    let http = trust::http_client(server_url, trust, Duration::from_secs(30))?;
    let url = format!("{}/api/v1/devices/enrol", server_url.trim_end_matches('/'));
    let req = EnrolRequest { token: token.to_owned(), public_key: key.public(), app_version: app_version.to_owned() };
    let resp = http
        .post(&url)
        .json(&req)
        .send()
        .await
        .map_err(|source| ClientError::Transport { url: url.clone(), source })?;
    answer(&url, resp, MAX_ANSWER_BYTES).await
}

/// The uploader of one enrolled device.
pub struct Uploader {
    http: reqwest::Client,
    cfg: UploaderConfig,
    base: String,
    device_id: String,
    key: DeviceKey,
    /// Server time minus device time, ms, from the last answer that carried server time.
    offset_ms: AtomicI64,
    batch_size: std::sync::atomic::AtomicUsize,
    /// Device time of the last drain claim the server accepted an upload with (`i64::MIN`: none).
    last_claim_ms: AtomicI64,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader").field("device_id", &self.device_id).field("cfg", &self.cfg).finish_non_exhaustive()
    }
}

impl Uploader {
    /// An uploader for `device_id` signing requests with `key`.
    pub fn new(cfg: UploaderConfig, device_id: impl Into<String>, key: DeviceKey) -> Result<Uploader, ClientError> {
        if cfg.batch_size == 0 || cfg.batch_size > hadir_protocol::batch::MAX_BATCH_RECORDS {
            return Err(ClientError::Config(format!(
                "batch_size {} must be 1 to {}",
                cfg.batch_size,
                hadir_protocol::batch::MAX_BATCH_RECORDS
            )));
        }
        let http = trust::http_client(&cfg.server_url, &cfg.trust, cfg.request_timeout)?;
        let base = cfg.server_url.trim_end_matches('/').to_owned();
        let batch_size = std::sync::atomic::AtomicUsize::new(cfg.batch_size);
        Ok(Uploader {
            http,
            cfg,
            base,
            device_id: device_id.into(),
            key,
            offset_ms: AtomicI64::new(0),
            batch_size,
            last_claim_ms: AtomicI64::new(i64::MIN),
        })
    }

    /// The device's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// Server time minus device time (ms), as last measured.
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    fn note_server_time(&self, server_ms: i64, sent_ms: i64) {
        // Half the round trip is the best single-sample estimate of the one-way delay.
        let now = (self.cfg.clock)();
        let mid = sent_ms + (now - sent_ms) / 2;
        self.offset_ms.store(server_ms - mid, Ordering::Relaxed);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn signed(&self, method: reqwest::Method, path_and_query: &str, body: &[u8]) -> reqwest::RequestBuilder {
        let ts = (self.cfg.clock)() + self.clock_offset_ms();
        let auth = RequestAuth::sign(&self.key, &self.device_id, method.as_str(), path_and_query, ts, body);
        self.http
            .request(method, self.url(path_and_query))
            .header(HEADER_DEVICE, &self.device_id)
            .header(HEADER_TIMESTAMP, ts.to_string())
            .header(HEADER_NONCE, &auth.nonce)
            .header(HEADER_SIGNATURE, auth.signature.to_hex())
    }

    async fn send<T: serde::de::DeserializeOwned>(&self, path: &str, req: reqwest::RequestBuilder) -> Result<T, ClientError> {
        self.send_capped(path, req, MAX_ANSWER_BYTES).await
    }

    async fn send_capped<T: serde::de::DeserializeOwned>(&self, path: &str, req: reqwest::RequestBuilder, cap: usize) -> Result<T, ClientError> {
        let url = self.url(path);
        let resp = req.send().await.map_err(|source| ClientError::Transport { url: url.clone(), source })?;
        answer(&url, resp, cap).await
    }

    /// How this uploader trusts the server (reported in the device's health).
    pub fn server_link(&self) -> hadir_protocol::health::ServerLink {
        self.cfg.trust.link()
    }

    /// Asks the server's time and updates the clock offset; returns server time (ms).
    pub async fn server_time(&self) -> Result<i64, ClientError> {
        let sent = (self.cfg.clock)();
        let t: ServerTime = self.send("/api/v1/time", self.http.get(self.url("/api/v1/time"))).await?;
        self.note_server_time(t.server_time_ms, sent);
        Ok(t.server_time_ms)
    }

    /// What the server knows about this device (last stored sequence number …).
    pub async fn status(&self) -> Result<DeviceStatus, ClientError> {
        let path = "/api/v1/devices/self";
        self.send(path, self.signed(reqwest::Method::GET, path, b"")).await
    }

    /// Roster changes since `since` (0 for all).
    pub async fn roster(&self, since: i64) -> Result<RosterResponse, ClientError> {
        let path = format!("/api/v1/roster?since={since}");
        self.send_capped(&path, self.signed(reqwest::Method::GET, &path, b""), MAX_ROSTER_ANSWER_BYTES).await
    }

    /// Uploads one batch of records as they are and returns the server's answer, unchecked
    /// (tests and tools; [`Uploader::upload_batch`] is what the device uses).
    pub async fn post_batch_raw(&self, body: Vec<u8>) -> Result<UploadResponse, ClientError> {
        let path = "/api/v1/records";
        let sent = (self.cfg.clock)();
        let req = self.http.post(self.url(path)).header("content-type", "application/json").body(body);
        let answer: UploadResponse = self.send(path, req).await?;
        self.note_server_time(answer.server_time_ms, sent);
        Ok(answer)
    }

    /// Uploads a face template enrolled at this kiosk (`POST /api/v1/templates`). Idempotent:
    /// the same template again is answered with the same id. A refusal
    /// ([`ClientError::is_refusal`]: unknown employee, other model, malformed) will not change
    /// on retry; keep the template locally and tell the operator.
    pub async fn upload_template(
        &self,
        employee_id: &str,
        model_version: &str,
        embedding: &[f32],
        enrolled_at_ms: i64,
    ) -> Result<TemplateUploadResponse, ClientError> {
        let path = "/api/v1/templates";
        let up = TemplateUpload {
            employee_id: employee_id.to_owned(),
            model_version: model_version.to_owned(),
            embedding_b64: FaceTemplate::encode_embedding(embedding),
            enrolled_at_ms,
        };
        let body = serde_json::to_vec(&up).map_err(|e| ClientError::Config(format!("serialising a template: {e}")))?;
        let req = self.signed(reqwest::Method::POST, path, &body).header("content-type", "application/json").body(body);
        self.send(path, req).await
    }

    /// Sends the device's health report and its unacknowledged events (`POST /api/v1/health`);
    /// the answer says up to which event the server holds the chain.
    pub async fn report_health(&self, report: &hadir_protocol::health::HealthReport) -> Result<hadir_protocol::health::HealthResponse, ClientError> {
        let path = "/api/v1/health";
        let body = serde_json::to_vec(report).map_err(|e| ClientError::Config(format!("serialising a health report: {e}")))?;
        let sent = (self.cfg.clock)();
        let req = self.signed(reqwest::Method::POST, path, &body).header("content-type", "application/json").body(body);
        let answer: hadir_protocol::health::HealthResponse = self.send(path, req).await?;
        self.note_server_time(answer.server_time_ms, sent);
        Ok(answer)
    }

    /// A drain claim dated now (server time estimate) minus [`DRAIN_MARGIN_MS`].
    fn claim(&self, last_seq: u64, device_now_ms: i64) -> DrainClaim {
        let at = device_now_ms + self.clock_offset_ms() - DRAIN_MARGIN_MS;
        DrainClaim::sign(&self.key, &self.device_id, last_seq, at)
    }

    /// Sends the next batch from the outbox and applies the answers. `Ok(None)`: nothing
    /// pending. The batch that empties the outbox carries a drain claim.
    pub async fn upload_batch(&self, outbox: &mut dyn Outbox) -> Result<Option<DrainReport>, ClientError> {
        let size = self.batch_size.load(Ordering::Relaxed);
        // Time and head first: anything signed later has a higher sequence number.
        let device_now = (self.cfg.clock)();
        let head = outbox.head_seq()?;
        let records = outbox.pending(size)?;
        let Some(last) = records.last().map(|r| r.body.seq) else {
            return Ok(None);
        };
        let drained = (records.len() < size && head.is_none_or(|h| h <= last)).then(|| self.claim(last, device_now));
        // Same wire form as `UploadBatch`, without copying the records.
        #[derive(serde::Serialize)]
        struct BatchRef<'a> {
            records: &'a [hadir_protocol::Record],
            #[serde(skip_serializing_if = "Option::is_none")]
            drained: Option<&'a DrainClaim>,
        }
        let body = serde_json::to_vec(&BatchRef { records: &records, drained: drained.as_ref() })
            .map_err(|e| ClientError::Config(format!("serialising a batch: {e}")))?;
        let answer = match self.post_batch_raw(body).await {
            Err(ClientError::Status { status: 413, .. }) if size > 1 => {
                // The server's body limit is smaller than our batch: halve and retry at once.
                self.batch_size.store((size / 2).max(1), Ordering::Relaxed);
                tracing::warn!(batch = size / 2, "server refused the batch size; halving");
                return Ok(Some(DrainReport { batches: 1, ..Default::default() }));
            }
            other => other?,
        };
        let url = self.url("/api/v1/records");
        if answer.results.len() != records.len() {
            return Err(ClientError::Protocol {
                url,
                detail: format!("{} answers for {} records", answer.results.len(), records.len()),
            });
        }
        let mut report = DrainReport { batches: 1, ..Default::default() };
        let mut acked = Vec::new();
        for (i, r) in answer.results.iter().enumerate() {
            let record = &records[i];
            // An answer must name the record it answers; otherwise trust none of them.
            if r.index as usize != i || r.seq.is_some_and(|s| s != record.body.seq) {
                return Err(ClientError::Protocol { url, detail: format!("answer {i} does not match its record") });
            }
            match &r.outcome {
                Outcome::Stored | Outcome::AlreadyStored => acked.push(record.body.seq),
                Outcome::Refused { reason, detail } => {
                    tracing::warn!(seq = record.body.seq, reason = reason.as_str(), detail = %detail, "record refused; parked");
                    outbox.park(record.body.seq, *reason, detail)?;
                    report.parked += 1;
                }
            }
        }
        outbox.acknowledge(&acked)?;
        report.acknowledged = acked.len();
        if drained.is_some() {
            self.last_claim_ms.store(device_now, Ordering::Relaxed);
        }
        Ok(Some(report))
    }

    /// Tells the server the outbox is empty (an empty batch with a drain claim), when the
    /// outbox knows its head and the last claim is older than `heartbeat_every`. `Ok(false)`:
    /// not due or not possible.
    pub async fn heartbeat(&self, outbox: &mut dyn Outbox) -> Result<bool, ClientError> {
        let device_now = (self.cfg.clock)();
        let every = i64::try_from(self.cfg.heartbeat_every.as_millis()).unwrap_or(i64::MAX);
        let last = self.last_claim_ms.load(Ordering::Relaxed);
        if last != i64::MIN && device_now.saturating_sub(last) < every {
            return Ok(false);
        }
        let Some(head) = outbox.head_seq()? else { return Ok(false) };
        if !outbox.pending(1)?.is_empty() {
            return Ok(false);
        }
        let batch = hadir_protocol::UploadBatch { records: Vec::new(), drained: Some(self.claim(head, device_now)) };
        let body = serde_json::to_vec(&batch).map_err(|e| ClientError::Config(format!("serialising a heartbeat: {e}")))?;
        self.post_batch_raw(body).await?;
        self.last_claim_ms.store(device_now, Ordering::Relaxed);
        Ok(true)
    }

    /// Uploads pending evidence photos; a photo the store lost is marked done with a warning.
    pub async fn upload_photos(&self, outbox: &mut dyn Outbox, limit: usize) -> Result<usize, ClientError> {
        let mut n = 0;
        for sha in outbox.pending_photos(limit)? {
            let Some(jpeg) = outbox.photo(sha)? else {
                tracing::warn!(photo = %sha, "evidence photo missing from the store; not uploaded");
                outbox.photo_done(sha)?;
                continue;
            };
            let path = format!("/api/v1/evidence/{sha}");
            let req = self.signed(reqwest::Method::PUT, &path, &jpeg).header("content-type", "image/jpeg").body(jpeg);
            let _: EvidenceResponse = self.send(&path, req).await?;
            outbox.photo_done(sha)?;
            n += 1;
        }
        Ok(n)
    }

    /// Sends batches until the outbox has nothing pending, then the photos. Stops at the first
    /// failure (the caller retries; see [`Uploader::run`]).
    pub async fn drain(&self, outbox: &mut dyn Outbox) -> Result<DrainReport, ClientError> {
        let mut total = DrainReport::default();
        while let Some(r) = self.upload_batch(outbox).await? {
            total.batches += r.batches;
            total.acknowledged += r.acknowledged;
            total.parked += r.parked;
        }
        total.photos = self.upload_photos(outbox, 1000).await?;
        // Due only when no claim went out for a while (a drained batch carries one).
        self.heartbeat(outbox).await?;
        Ok(total)
    }

    /// Runs until `shutdown` resolves: drains, waits for `wake` (new records) or the poll
    /// interval, and on failure waits a backoff delay with jitter.
    pub async fn run(
        &self,
        outbox: &mut dyn Outbox,
        wake: &tokio::sync::Notify,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut backoff = Backoff::new(self.cfg.backoff_initial, self.cfg.backoff_max);
        tokio::pin!(shutdown);
        loop {
            let wait = match self.drain(outbox).await {
                Ok(report) => {
                    if report.batches > 0 {
                        tracing::info!(?report, "outbox drained");
                    }
                    backoff.reset();
                    self.cfg.poll_interval
                }
                Err(e) => {
                    let d = backoff.next_delay(rand::random::<f64>());
                    tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, failures = backoff.failures(), "upload failed");
                    d
                }
            };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = wake.notified(), if backoff.failures() == 0 => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
