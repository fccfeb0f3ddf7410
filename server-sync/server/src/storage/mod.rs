//! The repository layer: one [`Store`] API over two backends, SQLite (the embedded default)
//! and PostgreSQL (scale-out).
//!
//! Everything the device API persists goes through [`Store`]; handlers never see SQL. Each
//! backend module holds the SQL for its dialect; the decisions (what a record's chain position
//! means, see [`crate::ingest::decide`]) are shared, pure code, so both backends answer alike.
//!
//! # Extending (the dashboard)
//!
//! Other components add tables through their own [`Migration`] list (component name other than
//! `core`), registered in [`crate::migrations`], and run their own queries through
//! [`Store::sqlite`] / [`Store::postgres`]. The core tables are documented in [`migrations`].
//!
//! # Troubleshooting
//!
//! - `database is locked`: another process holds a write transaction for more than 5 s; only
//!   one `hadir-server` should serve one SQLite file.
//! - `database holds migration core/N unknown to this build`: a newer server migrated this
//!   database; run that version (downgrades are not supported).

pub mod migrations;
pub mod pg_cluster;
pub mod postgres;
pub mod sqlite;

pub use migrations::Migration;

use crate::ingest::Verified;
use hadir_protocol::api::{RosterEmployee, RosterResponse};
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
    Postgres(postgres::PgStore),
}

/// The server's database, either backend; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store(Arc<Backend>);

impl Store {
    /// Opens (creating if needed) an SQLite database file (WAL, `synchronous=FULL`).
    pub fn open_sqlite(path: &std::path::Path) -> Result<Store> {
        Ok(Store(Arc::new(Backend::Sqlite(sqlite::SqliteStore::open(path)?))))
    }

    /// Connects to PostgreSQL (`host=… user=… dbname=…` or a `postgresql://` URL).
    pub async fn connect_postgres(url: &str) -> Result<Store> {
        Ok(Store(Arc::new(Backend::Postgres(postgres::PgStore::connect(url).await?))))
    }

    /// The SQLite backend, for components that run their own queries.
    pub fn sqlite(&self) -> Option<&sqlite::SqliteStore> {
        match &*self.0 {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL backend, for components that run their own queries.
    pub fn postgres(&self) -> Option<&postgres::PgStore> {
        match &*self.0 {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// `sqlite` or `postgres`, for logs and benchmarks.
    pub fn backend_name(&self) -> &'static str {
        match &*self.0 {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies missing migrations in order; returns how many were applied.
    pub async fn migrate(&self, list: &[Migration]) -> Result<usize> {
        migrations::check_order(list).map_err(StorageError::Migration)?;
        match &*self.0 {
            Backend::Sqlite(s) => {
                let list = list.to_vec();
                s.run(move |c| sqlite::migrate(c, &list)).await
            }
            Backend::Postgres(p) => p.migrate(list).await,
        }
    }

    /// Stores a new enrolment token (only its SHA-256 is kept).
    pub async fn create_enrol_token(&self, token: &str, new: &NewToken, now_ms: i64) -> Result<()> {
        let hash = Digest::of(token.as_bytes()).to_hex();
        match &*self.0 {
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
        match &*self.0 {
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
        match &*self.0 {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::revoke_device(c, &id, now_ms)).await
            }
            Backend::Postgres(p) => p.revoke_device(device_id, now_ms).await,
        }
    }

    /// The devices with these ids (unknown ids are left out).
    pub async fn devices(&self, ids: &[String]) -> Result<HashMap<String, DeviceInfo>> {
        match &*self.0 {
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
        if verified.is_empty() {
            return Ok(Vec::new());
        }
        match &*self.0 {
            Backend::Sqlite(s) => s.store_verified(verified, now_ms).await,
            Backend::Postgres(p) => p.store_verified(&verified, now_ms).await,
        }
    }

    /// Stores an evidence photo if a record (stored or quarantined) of `device_id` names its
    /// hash. `Ok(None)`: no such record; `Ok(Some(false))`: it was there already.
    pub async fn put_photo(&self, device_id: &str, sha256: Digest, jpeg: Vec<u8>, now_ms: i64) -> Result<Option<bool>> {
        match &*self.0 {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::put_photo(c, &id, sha256, &jpeg, now_ms)).await
            }
            Backend::Postgres(p) => p.put_photo(device_id, sha256, &jpeg, now_ms).await,
        }
    }

    /// An evidence photo by hash.
    pub async fn photo(&self, sha256: Digest) -> Result<Option<Vec<u8>>> {
        match &*self.0 {
            Backend::Sqlite(s) => s.run(move |c| sqlite::photo(c, sha256)).await,
            Backend::Postgres(p) => p.photo(sha256).await,
        }
    }

    /// Adds or changes an employee; bumps the roster revision. Returns the new revision.
    pub async fn upsert_employee(&self, e: &EmployeeInput) -> Result<i64> {
        match &*self.0 {
            Backend::Sqlite(s) => {
                let e = e.clone();
                s.run(move |c| sqlite::upsert_employee(c, &e)).await
            }
            Backend::Postgres(p) => p.upsert_employee(e).await,
        }
    }

    /// Adds a face template; bumps the roster revision. Returns the template id.
    pub async fn add_template(&self, employee_id: &str, model_version: &str, embedding: &[f32], now_ms: i64) -> Result<i64> {
        let bytes: Vec<u8> = embedding.iter().flat_map(|v| v.to_le_bytes()).collect();
        match &*self.0 {
            Backend::Sqlite(s) => {
                let (e, m) = (employee_id.to_owned(), model_version.to_owned());
                s.run(move |c| sqlite::add_template(c, &e, &m, &bytes, now_ms)).await
            }
            Backend::Postgres(p) => p.add_template(employee_id, model_version, &bytes, now_ms).await,
        }
    }

    /// Removes an employee: deletes the PIN hash and every face template (personal data), keeps
    /// a tombstone so devices delete their copies; bumps the roster revision. `false` if unknown.
    pub async fn remove_employee(&self, employee_id: &str, now_ms: i64) -> Result<bool> {
        match &*self.0 {
            Backend::Sqlite(s) => {
                let e = employee_id.to_owned();
                s.run(move |c| sqlite::remove_employee(c, &e, now_ms)).await
            }
            Backend::Postgres(p) => p.remove_employee(employee_id, now_ms).await,
        }
    }

    /// The roster changes of a site since `since` (0: everything).
    pub async fn roster_since(&self, site_id: &str, since: i64) -> Result<RosterResponse> {
        let (revision, rows) = match &*self.0 {
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
                RosterRow::Present(e) => changed.push(e),
            }
        }
        Ok(RosterResponse { site_id: site_id.to_owned(), revision, changed, removed })
    }

    /// Notes that a device called (for the dashboard's device page).
    pub async fn touch_device(&self, device_id: &str, now_ms: i64) -> Result<()> {
        match &*self.0 {
            Backend::Sqlite(s) => {
                let id = device_id.to_owned();
                s.run(move |c| sqlite::touch_device(c, &id, now_ms)).await
            }
            Backend::Postgres(p) => p.touch_device(device_id, now_ms).await,
        }
    }

    /// Row counts.
    pub async fn counts(&self) -> Result<Counts> {
        match &*self.0 {
            Backend::Sqlite(s) => s.run(sqlite::counts).await,
            Backend::Postgres(p) => p.counts().await,
        }
    }

    /// The `(seq, record_hash)` of every stored record of a device, in order.
    pub async fn device_records(&self, device_id: &str) -> Result<Vec<(u64, Digest)>> {
        match &*self.0 {
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
    /// A present employee with templates.
    Present(RosterEmployee),
    /// A removed employee's id.
    Removed(String),
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
