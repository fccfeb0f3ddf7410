//! The repository layer: one [`Store`] API over two backends, SQLite (the embedded default)
//! and PostgreSQL (scale-out).
//!
//! Everything the server persists (the device API's data and the dashboard's) goes through
//! [`Store`]; handlers never see SQL. The SQL is per dialect where it is hand-tuned and written
//! once where it is plain ([`portable`]); the decisions (what a record's chain position means,
//! see [`crate::ingest::decide`]; a record's decision, [`decisions::merge_decision`]; which
//! correction is in force, [`corrections::in_force`]) are shared, pure code, so both backends
//! answer alike.
//!
//! # Layout
//!
//! - [`sqlite`], [`postgres`]: the device API's statements, hand-written per dialect (ingest,
//!   enrolment, roster).
//! - [`migrations`]: the one migration system: the `core` and `dashboard` schemas, both
//!   backends.
//! - [`portable`]: statements written once for both dialects (the dashboard's).
//! - The dashboard's data, one module per idea: [`accounts`] (users, sessions, board tokens),
//!   [`calendar`] (sections, schedules, holidays), [`rule_settings`], [`employees`] (the
//!   roster as the office sees it), [`fleet`] (devices, their health), [`records_view`]
//!   (records as the rules see them, the recap's month read), [`decisions`] (supervisors'
//!   decisions, final), [`corrections`] (leave and travel, latest wins), [`audit`] (the audit
//!   log), [`health`] (devices' health reports and signed tamper events), [`month_close`]
//!   (closed months and the changes made to them), [`leave`] (leave requests and their
//!   approval), [`sites`] (the office's sites and their names), [`assignments`] (field
//!   employees' dated assignments).
//!
//! # Extending
//!
//! A new component adds tables through its own [`Migration`] list (component name other than
//! `core`), registered in [`crate::migrations`], and its queries as [`Store`] methods in a
//! module here. Nothing outside this module opens the database.
//!
//! # Troubleshooting
//!
//! - `database is locked`: another process holds a write transaction for more than 5 s; only
//!   one `hadir-server` should serve one SQLite file.
//! - `database holds migration core/N unknown to this build`: a newer server migrated this
//!   database; run that version (downgrades are not supported).

pub mod accounts;
pub mod areas;
pub mod assignments;
pub mod audit;
pub mod calendar;
pub mod changes;
pub mod corrections;
pub mod decisions;
pub mod employees;
pub mod fleet;
pub mod leave;
pub mod letterhead;
pub mod manual;
pub mod health;
pub mod migrations;
pub mod month_close;
pub mod people;
pub mod portable;
pub mod postgres;
pub mod records_view;
pub mod retention;
pub mod rotation;
pub mod rule_settings;
pub mod sealed;
pub mod sites;
pub mod sqlite;
pub mod terminals;

pub use migrations::Migration;
pub use sealed::TemplateKey;

use crate::ingest::Verified;
use hadir_protocol::api::{FaceTemplate, RosterEmployee, RosterResponse, TemplateUploadResponse};
use hadir_protocol::{Digest, Mode, Outcome, PublicKey};
use std::collections::HashMap;
use std::sync::Arc;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite failed.
    #[error("SQLite: {context}: {source}")]
    Sqlite {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// PostgreSQL failed.
    #[error("PostgreSQL: {context}: {source}")]
    Postgres {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The schema cannot be brought up to date.
    #[error("migration: {0}")]
    Migration(String),
    /// A stored value cannot be read back (someone edited the database by hand?).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A worker thread running SQLite panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
    /// The face-template key file cannot be used.
    #[error(transparent)]
    TemplateKey(#[from] sealed::KeyFileError),
    /// The database file cannot be made private (created or narrowed to mode 0600).
    #[error("database file {path}: {source}")]
    FileMode {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Templates are to be written or read but the store was given no key.
    #[error("no face-template key: open the store with a key file (storage.template_key_path)")]
    NoTemplateKey,
    /// A stored template does not open.
    #[error("face template {template_id}: {source}")]
    Sealed {
        /// The template.
        template_id: i64,
        /// Why.
        #[source]
        source: sealed::OpenError,
    },
}

/// The result type of this module.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// An enrolled device as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The id records carry.
    pub device_id: String,
    /// Its site (roster).
    pub site_id: String,
    /// Office or field.
    pub mode: Mode,
    /// Its public key.
    pub public_key: PublicKey,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
    /// The last stored sequence number (0 for none).
    pub last_seq: u64,
}

/// Keeps a just-stored record's flags (`$1` time, `$2` JSON, `$3` device, `$4` seq).
pub(crate) const INSERT_FLAGS: &str = "INSERT INTO record_flags (record_id, recorded_at_ms, flags)
     SELECT id, $1, $2 FROM records WHERE device_id = $3 AND seq = $4";

/// The flags as stored (a JSON array).
pub(crate) fn flags_json(flags: &[crate::doubts::Flag]) -> String {
    serde_json::to_string(flags).unwrap_or_else(|_| "[]".into())
}

/// The flags as stored; a row that does not read is shown as one `unreadable` flag, never
/// dropped (it still keeps its record waiting).
pub(crate) fn parse_flags(json: &str) -> Vec<crate::doubts::Flag> {
    serde_json::from_str(json)
        .unwrap_or_else(|_| vec![crate::doubts::Flag { code: "unreadable".into(), value: None, note: json.chars().take(200).collect() }])
}

/// A one-time enrolment token, as created by an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The device id the token enrols.
    pub device_id: String,
    /// The device's site.
    pub site_id: String,
    /// The device's mode.
    pub mode: Mode,
    /// Until when the token may be used (UTC ms).
    pub expires_at_ms: i64,
}

/// Why an enrolment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrolRefusal {
    /// No such token.
    #[error("unknown enrolment token")]
    UnknownToken,
    /// The token was used before.
    #[error("enrolment token already used")]
    TokenUsed,
    /// The token expired.
    #[error("enrolment token expired")]
    TokenExpired,
    /// The device id is enrolled already (revoke and re-issue a token for a new id instead).
    #[error("device already enrolled")]
    DeviceExists,
}

/// An employee as an admin (or the dashboard) writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeInput {
    /// The employee id (NIP).
    pub employee_id: String,
    /// Full name.
    pub name: String,
    /// The site whose devices get this employee.
    pub site_id: String,
    /// The section.
    pub section_id: Option<String>,
    /// Argon2 PHC string of the PIN (see [`crate::roster::hash_pin`]).
    pub pin_hash: Option<String>,
}

/// What a chain decision writes to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store in `records`, advance the chain.
    Record,
    /// Store in `quarantine` with the reason, advance the chain.
    Quarantine(String),
    /// Nothing to store.
    Nothing,
    /// Record a chain event (reason, detail) for admins.
    ChainEvent(&'static str, String),
}

/// Counts for tests, benchmarks and the dashboard's device page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Rows in `records`.
    pub records: u64,
    /// Rows in `quarantine`.
    pub quarantined: u64,
    /// Rows in `chain_events`.
    pub chain_events: u64,
    /// Rows in `photos`.
    pub photos: u64,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    // Boxed: two connections and their locks are much larger than the SQLite handle.
    Postgres(Box<postgres::PgStore>),
}

/// The server's database, either backend, and the key that seals face templates; cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Arc<Backend>,
    key: Option<Arc<TemplateKey>>,
    changes: Arc<changes::Changes>,
}

/// A face template as an admin or a kiosk adds it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    /// The employee.
    pub employee_id: String,
    /// When set, the employee must belong to this site (a kiosk's upload).
    pub site_id: Option<String>,
    /// The model that made the embedding.
    pub model_version: String,
    /// The embedding.
    pub embedding: Vec<f32>,
    /// The kiosk that enrolled it (`None`: the dashboard or an admin).
    pub source_device_id: Option<String>,
    /// When the kiosk enrolled it (device clock).
    pub enrolled_at_ms: Option<i64>,
}

/// A template sealed for storage (what the backends write).
#[derive(Debug, Clone)]
pub struct SealedTemplate {
    /// The employee.
    pub employee_id: String,
    /// Required site, if any.
    pub site_id: Option<String>,
    /// The model.
    pub model_version: String,
    /// The sealed embedding.
    pub sealed: Vec<u8>,
    /// The sealing key's id.
    pub key_id: String,
    /// The keyed content digest.
    pub content_digest: String,
    /// The enrolling kiosk.
    pub source_device_id: Option<String>,
    /// When the kiosk enrolled it.
    pub enrolled_at_ms: Option<i64>,
    /// Now.
    pub created_at_ms: i64,
}

/// A stored template row as the backends read it (still sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// The template id.
    pub template_id: i64,
    /// The employee.
    pub employee_id: String,
    /// The model.
    pub model_version: String,
    /// The stored bytes (sealed unless `key_id` is `None`).
    pub blob: Vec<u8>,
    /// The sealing key's id; `None` for rows written before templates were sealed.
    pub key_id: Option<String>,
    /// The enrolling kiosk.
    pub source_device_id: Option<String>,
    /// When it was stored.
    pub created_at_ms: i64,
}

/// A stored template, opened.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    /// The template id.
    pub template_id: i64,
    /// The model.
    pub model_version: String,
    /// The embedding.
    pub embedding: Vec<f32>,
    /// The kiosk that enrolled it (`None`: the dashboard or an admin).
    pub source_device_id: Option<String>,
    /// When it was stored (server clock).
    pub created_at_ms: i64,
}

/// Why a template was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateRefusal {
    /// No present employee with that id (at the required site).
    #[error("no present employee with this id at the device's site")]
    UnknownEmployee,
}

/// An upload entry refused before it reached a chain, kept for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUpload {
    /// The device id the entry names, if readable.
    pub device_id: Option<String>,
    /// The sequence number, if readable.
    pub seq: Option<u64>,
    /// `malformed`, `unknown_device`, `revoked_device` or `bad_signature`.
    pub reason: String,
    /// For a technician.
    pub detail: String,
    /// The record's hash (hex), if it decoded.
    pub record_hash: Option<String>,
    /// The peer's address (`ip:port`), if known.
    pub remote_addr: Option<String>,
    /// `X-Forwarded-For` as sent (untrusted), if any.
    pub forwarded_for: Option<String>,
    /// When (server clock).
    pub at_ms: i64,
}

/// A verified "outbox drained" claim to apply with a batch (see
/// [`hadir_protocol::batch::DrainClaim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The device.
    pub device_id: String,
    /// The chain must reach this sequence number on the server.
    pub last_seq: u64,
    /// The new `synced_until_ms` (already capped at the server's clock).
    pub until_ms: i64,
}

/// What one upload writes besides its records.
#[derive(Debug, Clone, Default)]
pub struct BatchExtras {
    /// Refused entries to keep.
    pub refusals: Vec<RefusedUpload>,
    /// The watermark to move, if the batch carried a verified claim.
    pub watermark: Option<Watermark>,
}

impl Store {
    fn new(backend: Backend, key: Option<TemplateKey>) -> Store {
        Store { backend: Arc::new(backend), key: key.map(Arc::new), changes: Arc::default() }
    }

    /// Opens (creating if needed) an SQLite database file (WAL, `synchronous=FULL`), with the
    /// template key file beside it ([`sealed::default_key_path`]; made if missing).
    pub fn open_sqlite(path: &std::path::Path) -> Result<Store> {
        let key = TemplateKey::load_or_create(&sealed::default_key_path(path))?;
        Store::open_sqlite_with_key(path, key)
    }

    /// Opens an SQLite database with a given template key.
    pub fn open_sqlite_with_key(path: &std::path::Path, key: TemplateKey) -> Result<Store> {
        Ok(Store::new(Backend::Sqlite(sqlite::SqliteStore::open(path)?), Some(key)))
    }

    /// Connects to PostgreSQL (`host=… user=… dbname=…` or a `postgresql://` URL). Give it a
    /// template key ([`Store::with_template_key`]) before templates are written or read.
    pub async fn connect_postgres(url: &str) -> Result<Store> {
        Ok(Store::new(Backend::Postgres(Box::new(postgres::PgStore::connect(url).await?)), None))
    }

    /// The same store with another template key.
    pub fn with_template_key(self, key: TemplateKey) -> Store {
        Store { backend: self.backend, key: Some(Arc::new(key)), changes: self.changes }
    }

    /// What changed through this store since a reader looked (for the report cache).
    pub fn changes(&self) -> &changes::Changes {
        &self.changes
    }

    /// The template key, if the store has one.
    pub fn template_key(&self) -> Option<&TemplateKey> {
        self.key.as_deref()
    }

    fn key(&self) -> Result<&TemplateKey> {
        self.key.as_deref().ok_or(StorageError::NoTemplateKey)
    }

    fn seal(&self, t: &NewTemplate, now_ms: i64) -> Result<SealedTemplate> {
        let key = self.key()?;
        let clear: Vec<u8> = t.embedding.iter().flat_map(|v| v.to_le_bytes()).collect();
        Ok(SealedTemplate {
            employee_id: t.employee_id.clone(),
            site_id: t.site_id.clone(),
            model_version: t.model_version.clone(),
            sealed: key.seal(&t.employee_id, &t.model_version, &clear),
            key_id: key.id().to_owned(),
            content_digest: key.content_digest(&t.employee_id, &t.model_version, &clear),
            source_device_id: t.source_device_id.clone(),
            enrolled_at_ms: t.enrolled_at_ms,
            created_at_ms: now_ms,
        })
    }

    fn open_row(&self, row: &TemplateRow) -> Result<Vec<u8>> {
        match &row.key_id {
            // Written before sealing and not yet sealed (no key at the last migration).
            None => Ok(row.blob.clone()),
            Some(id) => self
                .key()?
                .open(&row.employee_id, &row.model_version, id, &row.blob)
                .map_err(|source| StorageError::Sealed { template_id: row.template_id, source }),
        }
    }

    /// The SQLite backend, for components that run their own queries.
    pub fn sqlite(&self) -> Option<&sqlite::SqliteStore> {
        match &*self.backend {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL backend, for components that run their own queries.
    pub fn postgres(&self) -> Option<&postgres::PgStore> {
        match &*self.backend {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// `sqlite` or `postgres`, for logs and benchmarks.
    pub fn backend_name(&self) -> &'static str {
        match &*self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies missing migrations in order; returns how many were applied.
    /// Templates stored in clear by an older server are sealed here (when the store has a key).
    pub async fn migrate(&self, list: &[Migration]) -> Result<usize> {
        migrations::check_order(list).map_err(StorageError::Migration)?;
        let n = match &*self.backend {
            Backend::Sqlite(s) => {
                let list = list.to_vec();
                s.run(move |c| sqlite::migrate(c, &list)).await?
            }
            Backend::Postgres(p) => p.migrate(list).await?,
        };
        self.changes.everything();
        if self.key.is_some() && list.iter().any(|m| m.component == "core" && m.version == 2) {
            let sealed = self.seal_clear_templates().await?;
            if sealed > 0 {
                tracing::info!(templates = sealed, "sealed face templates stored in clear by an older server");
            }
        }
        Ok(n)
    }

    async fn seal_clear_templates(&self) -> Result<usize> {
        let key = self.key()?;
        let rows = match &*self.backend {
            Backend::Sqlite(s) => s.run(sqlite::clear_templates).await?,
            Backend::Postgres(p) => p.clear_templates().await?,
        };
        let n = rows.len();
        for row in rows {
            let sealed = key.seal(&row.employee_id, &row.model_version, &row.blob);
            let digest = key.content_digest(&row.employee_id, &row.model_version, &row.blob);
            let key_id = key.id().to_owned();
            match &*self.backend {
                Backend::Sqlite(s) => {
                    s.run(move |c| sqlite::reseal_template(c, row.template_id, &sealed, &key_id, &digest)).await?
                }
                Backend::Postgres(p) => p.reseal_template(row.template_id, &sealed, &key_id, &digest).await?,
            }
        }
        Ok(n)
    }

    /// Stores a new enrolment token (only its SHA-256 is kept).
    pub async fn create_enrol_token(&self, token: &str, new: &NewToken, now_ms: i64) -> Result<()> {
        let hash = Digest::of(token.as_bytes()).to_hex();
        match &*self.backend {
            Backend::Sqlite(s) => {
                let new = new.clone();
                s.run(move |c| sqlite::create_enrol_token(c, &hash, &new, now_ms)).await
            }
            Backend::Postgres(p) => p.create_enrol_token(&hash, new, now_ms).await,
        }
    }

    /// Uses a token once: records the device and its key.
    pub async fn enrol(
        &self,
        token: &str,
        key: PublicKey,
        app_version: &str,
        now_ms: i64,
    ) -> Result<std::result::Result<DeviceInfo, EnrolRefusal>> {
        let hash = Digest::of(token.as_bytes()).to_hex();
        match &*self.backend {
            Backend::Sqlite(s) => {
                let app = app_version.to_owned();
                s.run(move |c| sqlite::enrol(c, &hash, key, &app, now_ms)).await
            }
            Backend::Postgres(p) => p.enrol(&hash, key, app_version, now_ms).await,
        }
    }

    /// Revokes a device; `false` if there is no such device (revoking twice keeps the first
    /// time).
    pub async fn revoke_device(&self, device_id: &str, now_ms: i64) -> Result<bool> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::revoke_device(c, &id, now_ms)).await
            }
            Backend::Postgres(p) => p.revoke_device(device_id, now_ms).await,
        }
    }

    /// The devices with these ids (unknown ids are left out).
    pub async fn devices(&self, ids: &[String]) -> Result<HashMap<String, DeviceInfo>> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                let ids = ids.to_vec();
                s.read(move |c| sqlite::devices(c, &ids)).await
            }
            Backend::Postgres(p) => p.devices(ids).await,
        }
    }

    /// Stores verified records in one transaction, deciding chain positions in order; returns
    /// one outcome per input, in order.
    pub async fn store_verified(&self, verified: Vec<Verified>, now_ms: i64) -> Result<Vec<Outcome>> {
        self.store_batch(verified, BatchExtras::default(), now_ms).await
    }

    /// [`Store::store_verified`] plus, in the same transaction, the batch's refused entries and
    /// its watermark (applied after the records, so a claim covering this batch's records
    /// counts).
    pub async fn store_batch(&self, verified: Vec<Verified>, extras: BatchExtras, now_ms: i64) -> Result<Vec<Outcome>> {
        if verified.is_empty() && extras.refusals.is_empty() && extras.watermark.is_none() {
            return Ok(Vec::new());
        }
        let employees: Vec<String> = verified.iter().map(|v| v.record.body.employee_id.clone()).collect();
        let out = match &*self.backend {
            Backend::Sqlite(s) => s.store_verified(verified, extras, now_ms).await,
            Backend::Postgres(p) => p.store_verified(&verified, &extras, now_ms).await,
        };
        self.changes.employees(employees.iter().map(String::as_str));
        out
    }

    /// The latest refused upload entries, newest first (all devices, or one).
    pub async fn refused_uploads(&self, device_id: Option<&str>, limit: u32) -> Result<Vec<RefusedUpload>> {
        let device = device_id.map(str::to_owned);
        match &*self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::refused_uploads(c, device.as_deref(), limit)).await,
            Backend::Postgres(p) => p.refused_uploads(device.as_deref(), limit).await,
        }
    }

    /// A device's sync watermark (`devices.synced_until_ms`), `None` for none yet or an unknown
    /// device.
    pub async fn synced_until(&self, device_id: &str) -> Result<Option<i64>> {
        let id = device_id.to_owned();
        match &*self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite::synced_until(c, &id)).await,
            Backend::Postgres(p) => p.synced_until(&id).await,
        }
    }

    /// Takes a signed call's nonce for `device_id`; `false` when the device used it already
    /// within `window_ms` (a replay). Nonces older than the window are forgotten here.
    pub async fn claim_nonce(&self, device_id: &str, nonce: &str, now_ms: i64, window_ms: i64) -> Result<bool> {
        self.write("forget old request nonces", "DELETE FROM request_nonces WHERE seen_at_ms < $1", portable::params![now_ms - window_ms])
            .await?;
        let n = self
            .write(
                "take a request nonce",
                "INSERT INTO request_nonces (device_id, nonce, seen_at_ms) VALUES ($1, $2, $3) ON CONFLICT (device_id, nonce) DO NOTHING",
                portable::params![device_id, nonce, now_ms],
            )
            .await?;
        Ok(n == 1)
    }

    /// Stores an evidence photo if a record (stored or quarantined) of `device_id` names its
    /// hash, sealed with the template key (a photo is a face, as personal as a template).
    /// `Ok(None)`: no such record; `Ok(Some(false))`: it was there already.
    pub async fn put_photo(&self, device_id: &str, sha256: Digest, jpeg: Vec<u8>, now_ms: i64) -> Result<Option<bool>> {
        let key = self.key()?;
        let (blob, key_id) = (key.seal_photo(sha256, &jpeg), Some(key.id().to_owned()));
        match &*self.backend {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::put_photo(c, &id, sha256, &blob, key_id.as_deref(), now_ms)).await
            }
            Backend::Postgres(p) => p.put_photo(device_id, sha256, &blob, key_id.as_deref(), now_ms).await,
        }
    }

    /// An evidence photo by hash, opened (and checked against its hash).
    pub async fn photo(&self, sha256: Digest) -> Result<Option<Vec<u8>>> {
        let stored = match &*self.backend {
            Backend::Sqlite(s) => s.run(move |c| sqlite::photo(c, sha256)).await?,
            Backend::Postgres(p) => p.photo(sha256).await?,
        };
        let Some((blob, key_id)) = stored else { return Ok(None) };
        let jpeg = match key_id {
            Some(id) => self.key()?.open_photo(sha256, &id, &blob).map_err(|e| StorageError::Corrupt(format!("evidence photo {sha256}: {e}")))?,
            None => blob,
        };
        if Digest::of(&jpeg) != sha256 {
            return Err(StorageError::Corrupt(format!("evidence photo {sha256}: its bytes do not hash to it")));
        }
        Ok(Some(jpeg))
    }

    /// Adds or changes an employee; bumps the roster revision. Returns the new revision.
    pub async fn upsert_employee(&self, e: &EmployeeInput) -> Result<i64> {
        let out = match &*self.backend {
            Backend::Sqlite(s) => {
                let e = e.clone();
                s.run(move |c| sqlite::upsert_employee(c, &e)).await
            }
            Backend::Postgres(p) => p.upsert_employee(e).await,
        };
        self.changes.everything();
        out
    }

    /// Adds a face template; bumps the roster revision. Returns the template id.
    /// The template is sealed with the store's key; adding the same embedding again returns
    /// the existing id.
    pub async fn add_template(&self, employee_id: &str, model_version: &str, embedding: &[f32], now_ms: i64) -> Result<i64> {
        let t = NewTemplate {
            employee_id: employee_id.to_owned(),
            site_id: None,
            model_version: model_version.to_owned(),
            embedding: embedding.to_vec(),
            source_device_id: None,
            enrolled_at_ms: None,
        };
        match self.insert_template(&t, now_ms).await? {
            Ok(answer) => Ok(answer.template_id),
            Err(_) => Err(StorageError::Corrupt(format!("no present employee {employee_id} for a template"))),
        }
    }

    /// Stores a template (sealed), bumping the roster revision unless the same template was
    /// stored before. Refused when the employee is not present (at `t.site_id`, if set).
    pub async fn insert_template(
        &self,
        t: &NewTemplate,
        now_ms: i64,
    ) -> Result<std::result::Result<TemplateUploadResponse, TemplateRefusal>> {
        let sealed = self.seal(t, now_ms)?;
        match &*self.backend {
            Backend::Sqlite(s) => s.run(move |c| sqlite::insert_template(c, &sealed)).await,
            Backend::Postgres(p) => p.insert_template(&sealed).await,
        }
    }

    /// An employee's templates, opened, oldest first.
    pub async fn templates(&self, employee_id: &str) -> Result<Vec<StoredTemplate>> {
        let id = employee_id.to_owned();
        let rows = match &*self.backend {
            Backend::Sqlite(s) => s.run(move |c| sqlite::templates_of(c, &id)).await?,
            Backend::Postgres(p) => p.templates_of(&id).await?,
        };
        rows.iter()
            .map(|r| {
                let clear = self.open_row(r)?;
                Ok(StoredTemplate {
                    template_id: r.template_id,
                    model_version: r.model_version.clone(),
                    embedding: clear.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
                    source_device_id: r.source_device_id.clone(),
                    created_at_ms: r.created_at_ms,
                })
            })
            .collect()
    }

    /// Removes an employee: deletes the PIN hash and every face template (personal data), keeps
    /// a tombstone so devices delete their copies; bumps the roster revision. `false` if unknown.
    pub async fn remove_employee(&self, employee_id: &str, now_ms: i64) -> Result<bool> {
        let out = match &*self.backend {
            Backend::Sqlite(s) => {
                let e = employee_id.to_owned();
                s.run(move |c| sqlite::remove_employee(c, &e, now_ms)).await
            }
            Backend::Postgres(p) => p.remove_employee(employee_id, now_ms).await,
        };
        self.changes.everything();
        out
    }

    /// The roster changes of a site since `since` (0: everything).
    pub async fn roster_since(&self, site_id: &str, since: i64) -> Result<RosterResponse> {
        let (revision, rows) = match &*self.backend {
            Backend::Sqlite(s) => {
                let site = site_id.to_owned();
                s.run(move |c| sqlite::roster_since(c, &site, since)).await?
            }
            Backend::Postgres(p) => p.roster_since(site_id, since).await?,
        };
        let mut changed = Vec::new();
        let mut removed = Vec::new();
        for row in rows {
            match row {
                RosterRow::Removed(id) => removed.push(id),
                RosterRow::Present(mut e, templates) => {
                    for t in &templates {
                        let clear = self.open_row(t)?;
                        e.templates.push(FaceTemplate {
                            id: t.template_id,
                            model_version: t.model_version.clone(),
                            embedding_b64: crate::roster::embedding_b64(&clear),
                        });
                    }
                    changed.push(e)
                }
            }
        }
        Ok(RosterResponse { site_id: site_id.to_owned(), revision, changed, removed, rules: None })
    }

    /// Notes that a device called (for the dashboard's device page).
    pub async fn touch_device(&self, device_id: &str, now_ms: i64) -> Result<()> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::touch_device(c, &id, now_ms)).await
            }
            Backend::Postgres(p) => p.touch_device(device_id, now_ms).await,
        }
    }

    /// Row counts.
    pub async fn counts(&self) -> Result<Counts> {
        match &*self.backend {
            Backend::Sqlite(s) => s.run(sqlite::counts).await,
            Backend::Postgres(p) => p.counts().await,
        }
    }

    /// The `(seq, record_hash)` of every stored record of a device, in order.
    pub async fn device_records(&self, device_id: &str) -> Result<Vec<(u64, Digest)>> {
        match &*self.backend {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::device_records(c, &id)).await
            }
            Backend::Postgres(p) => p.device_records(device_id).await,
        }
    }
}

/// One roster row as a backend reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum RosterRow {
    /// A present employee (`templates` left empty) and their stored, still sealed, templates.
    Present(RosterEmployee, Vec<TemplateRow>),
    /// A removed employee's id.
    Removed(String),
}

/// Nanoseconds spent committing ingest transactions (the fsync), for the benchmark's table.
static COMMIT_NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn note_commit(started: std::time::Instant) {
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    COMMIT_NANOS.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
}

/// Time spent committing ingest transactions (both backends, this process) since the last call.
pub fn take_commit_time() -> std::time::Duration {
    std::time::Duration::from_nanos(COMMIT_NANOS.swap(0, std::sync::atomic::Ordering::Relaxed))
}

/// A stored instant (UTC milliseconds) as a time; `None` when out of range.
pub fn ms_to_dt(ms: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// A time as stored (UTC milliseconds).
pub fn dt_to_ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn parse_mode(text: &str) -> Result<Mode> {
    Mode::parse(text).ok_or_else(|| StorageError::Corrupt(format!("device mode {text:?}")))
}

pub(crate) fn parse_key(text: &str) -> Result<PublicKey> {
    PublicKey::from_hex(text).map_err(|e| StorageError::Corrupt(format!("public key: {e}")))
}

pub(crate) fn parse_digest(text: &str) -> Result<Digest> {
    Digest::from_hex(text).map_err(|e| StorageError::Corrupt(format!("hash: {e}")))
}

/// How a direction is spelled in the database (`in`/`out`, as on the wire).
pub fn direction_text(d: hadir_protocol::Direction) -> &'static str {
    match d {
        hadir_protocol::Direction::In => "in",
        hadir_protocol::Direction::Out => "out",
    }
}

/// How a decision is spelled in the database (`valid`/`needs_confirmation`, as on the wire).
pub fn decision_text(d: hadir_protocol::Decision) -> &'static str {
    match d {
        hadir_protocol::Decision::Valid => "valid",
        hadir_protocol::Decision::NeedsConfirmation => "needs_confirmation",
    }
}
