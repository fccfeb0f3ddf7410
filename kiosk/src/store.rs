//! # The local store (SQLite)
//!
//! One database file holds the roster (employees with section, Argon2 PIN hashes, face
//! templates encrypted at rest), the schedules, the signed records, the outbox state of each
//! record, the evidence photos, the audit log and the device's identity and sync state.
//!
//! ## Durability
//! WAL journal with `synchronous=FULL`: when [`Store::append_record`] returns, the record is on
//! disk and survives a power cut. A record is written in one `BEGIN IMMEDIATE` transaction
//! together with its outbox row and photo, and its `seq` and `prev_hash` are read inside that
//! transaction, so the chain cannot fork even with two writers.
//!
//! ## Append-only records
//! Triggers refuse every `UPDATE` and `DELETE` on `records`: once signed, a record never
//! changes here. Upload state lives in `outbox`, photos in `evidence`, sealed like templates
//! (a photo may be dropped after the server has it; its hash stays in the signed record).
//!
//! ## Schema versions
//! `PRAGMA user_version` is the schema version; [`MIGRATIONS`] are applied in order, each in a
//! transaction, on open. A database from a newer build is refused rather than guessed at.
//!
//! ## Templates at rest
//! Embeddings are encrypted with ChaCha20-Poly1305 under a key derived from the device secret
//! (see [`crate::identity`]); the employee id is the associated data, so a template moved to
//! another employee's row does not decrypt.

use crate::identity::Identity;
use hadir_protocol::api::RosterRules;
use hadir_rules::SiteRules;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hadir_protocol::health::DeviceEvent;
use hadir_protocol::{ChainError, ChainHead, Digest, Record};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};

/// kv key: the site's rules as the last roster carried them (JSON of the wire form).
pub const SITE_RULES_KEY: &str = "site_rules";

/// kv key: the PIN lockouts in wall-clock time (JSON of [`crate::flow::SavedLockouts`]).
pub const LOCKOUTS_KEY: &str = "lockouts";

/// Schema migrations; index + 1 is the version after applying it.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        device_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        enrolled_at_ms INTEGER NOT NULL
    );
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE employees (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        section_id TEXT,
        pin_hash TEXT
    );
    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        employee_id TEXT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
        model_version TEXT NOT NULL,
        sealed BLOB NOT NULL
    );
    CREATE INDEX templates_employee ON templates(employee_id);
    CREATE TABLE pin_index (
        tag BLOB PRIMARY KEY,
        employee_id TEXT NOT NULL REFERENCES employees(id) ON DELETE CASCADE
    );
    CREATE TABLE schedules (section_id TEXT PRIMARY KEY, week_json TEXT NOT NULL);
    CREATE TABLE holidays (date TEXT PRIMARY KEY);
    CREATE TABLE records (
        seq INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        prev_hash BLOB NOT NULL,
        employee_id TEXT NOT NULL,
        recorded_at_ms INTEGER NOT NULL,
        record_json TEXT NOT NULL
    );
    CREATE TRIGGER records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
    CREATE TRIGGER records_no_delete BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'records are append-only'); END;
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY REFERENCES records(seq),
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        done_at_ms INTEGER
    );
    CREATE INDEX outbox_pending ON outbox(state, seq);
    CREATE TABLE evidence (
        seq INTEGER PRIMARY KEY REFERENCES records(seq),
        jpeg BLOB NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        employee_id TEXT,
        detail TEXT NOT NULL
    );
    "#,
    // 2: photos found by their hash (the uploader asks by hash); rows from version 1 are
    // filled in by `Store::open` after the migration.
    r#"
    ALTER TABLE evidence ADD COLUMN sha256 BLOB;
    CREATE INDEX evidence_sha256 ON evidence(sha256);
    "#,
    // 3: templates enrolled at this kiosk that the server has not taken yet (the embeddings
    // stay in `templates`, encrypted; this only says which employee's set to send).
    r#"
    CREATE TABLE template_outbox (
        employee_id TEXT PRIMARY KEY,
        model_version TEXT NOT NULL,
        enrolled_at_ms INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        detail TEXT NOT NULL DEFAULT '',
        done_at_ms INTEGER
    );
    "#,
    // 4: the site's rules come whole from the server's roster (the rulebook's wire form, kept
    // in `kv`); the kiosk's own schedule and holiday tables, which nothing filled, go.
    r#"
    DROP TABLE schedules;
    DROP TABLE holidays;
    "#,
    // 5: the device's own signed event chain (tamper), kept after the server acknowledged it.
    r#"
    CREATE TABLE device_events (
        seq INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        event_json TEXT NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TRIGGER device_events_no_delete BEFORE DELETE ON device_events
        BEGIN SELECT RAISE(ABORT, 'device events are kept'); END;
    "#,
    // 6: evidence photos sealed like templates (a photo is a face); rows from before are
    // sealed by `Store::open` after the migration, in one transaction.
    r#"
    ALTER TABLE evidence ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
    "#,
];

/// Seals `plain` with the device's store key: `nonce (12) || ciphertext || tag (16)`, bound to
/// `aad` (a template's employee id, a photo's [`photo_aad`]).
fn seal_with(cipher: &ChaCha20Poly1305, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    // Encryption of an in-memory buffer cannot fail.
    let ct = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad }).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend(ct);
    out
}

/// Opens what [`seal_with`] sealed with the same `aad`; `None` when it does not authenticate.
fn open_with(cipher: &ChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(12);
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).ok()
}

/// Creates `path` with mode 0600, or narrows an existing file to it: the store holds PIN
/// hashes, templates and photos (sealed, but the key sits beside it). SQLite gives its `-wal`
/// and `-shm` files the database file's mode.
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map(drop)
        }
        Err(e) => Err(e),
    }
}

/// A photo's associated data: its record's sequence number (an employee id, the templates'
/// associated data, never holds a newline, so the two cannot meet).
fn photo_aad(seq: u64) -> Vec<u8> {
    format!("hadir-photo/1\n{seq}").into_bytes()
}

/// Where a template enrolled at this kiosk is on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateUploadState {
    /// Waiting for the sync worker.
    Pending,
    /// The server stored it.
    Sent,
    /// The server refused it (the reason, for the administrator); kept on the device.
    Refused(String),
}

/// A template set waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateUploadRow {
    /// The employee.
    pub employee_id: String,
    /// The model the templates were made with.
    pub model_version: String,
    /// When they were enrolled, ms since the epoch.
    pub enrolled_at_ms: i64,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("store {path}: {op}: {source}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database is from a newer kiosk build.
    #[error("store {path} has schema version {found}, this build knows up to {known}; install the newer kiosk build or restore a backup")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A stored record or template could not be read back.
    #[error("store {path}: {what} is corrupt: {detail}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// Which row.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// The database file cannot be made private (created or narrowed to mode 0600).
    #[error("store {path}: cannot make it private (mode 0600): {source}")]
    FileMode {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The caller's record builder refused.
    #[error("record not made: {0}")]
    Build(String),
}

/// An employee as the kiosk knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRow {
    /// The employee id (NIP).
    pub id: String,
    /// Name for the greeting.
    pub name: String,
    /// Section (bidang/seksi).
    pub section_id: Option<String>,
    /// Argon2 PHC string of the PIN.
    pub pin_hash: Option<String>,
}

/// A record waiting in the outbox, with its photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The signed record.
    pub record: Record,
    /// The evidence photo, if still stored.
    pub jpeg: Option<Vec<u8>>,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Wall time, ms since the epoch.
    pub at_ms: i64,
    /// Kind (`face_refused`, `pin_locked` …).
    pub kind: String,
    /// The employee, when known.
    pub employee_id: Option<String>,
    /// Details (JSON or text).
    pub detail: String,
}

/// The local store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    cipher: ChaCha20Poly1305,
    pin_key: [u8; 32],
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`, applies pragmas and migrations.
    pub fn open(path: &Path, identity: &Identity) -> Result<Store, StoreError> {
        let sql = |op| move |source| StoreError::Sql { path: path.to_owned(), op, source };
        private_file(path).map_err(|source| StoreError::FileMode { path: path.to_owned(), source })?;
        let conn = Connection::open(path).map_err(sql("open"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sql("busy_timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql("journal_mode=WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sql("synchronous=FULL"))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sql("foreign_keys"))?;
        let cipher = ChaCha20Poly1305::new(&identity.derive("templates").into());
        let mut store = Store { conn, path: path.to_owned(), cipher, pin_key: identity.derive("pin-index") };
        store.migrate()?;
        store.backfill_photo_hashes()?;
        store.seal_clear_photos()?;
        Ok(store)
    }

    fn sql(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sql { path: self.path.clone(), op, source }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 =
            self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(self.sql("user_version"))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema { path: self.path.clone(), found: version, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let path = self.path.clone();
            let err = |source| StoreError::Sql { path: path.clone(), op: "migration", source };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64).map_err(err)?;
            tx.commit().map_err(err)?;
            tracing::info!(version = i + 1, "store schema migrated");
        }
        Ok(())
    }

    fn backfill_photo_hashes(&mut self) -> Result<(), StoreError> {
        let rows: Vec<(u64, Vec<u8>)> = {
            let mut st = self
                .conn
                .prepare("SELECT seq, jpeg FROM evidence WHERE sha256 IS NULL")
                .map_err(self.sql("backfill photo hashes"))?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.sql("backfill photo hashes"))?;
            rows.collect::<Result<_, _>>().map_err(self.sql("backfill photo hashes"))?
        };
        for (seq, jpeg) in rows {
            self.conn
                .execute("UPDATE evidence SET sha256 = ?2 WHERE seq = ?1", params![seq, &Digest::of(&jpeg).0[..]])
                .map_err(self.sql("backfill photo hashes"))?;
        }
        Ok(())
    }

    fn seal_clear_photos(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = move |source| StoreError::Sql { path: path.clone(), op: "seal stored photos", source };
        let tx = self.conn.transaction().map_err(err.clone())?;
        let rows: Vec<(u64, Vec<u8>)> = {
            let mut st = tx.prepare("SELECT seq, jpeg FROM evidence WHERE sealed = 0").map_err(err.clone())?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err.clone())?;
            rows.collect::<Result<_, _>>().map_err(err.clone())?
        };
        for (seq, jpeg) in &rows {
            tx.execute("UPDATE evidence SET jpeg = ?2, sealed = 1 WHERE seq = ?1", params![seq, seal_with(&self.cipher, &photo_aad(*seq), jpeg)])
                .map_err(err.clone())?;
        }
        tx.commit().map_err(err)?;
        if !rows.is_empty() {
            tracing::info!(photos = rows.len(), "evidence photos sealed");
        }
        Ok(())
    }

    /// A stored photo opened; a photo that does not open is damaged (or another device's).
    fn open_photo(&self, seq: u64, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        open_with(&self.cipher, &photo_aad(seq), sealed).ok_or_else(|| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("evidence photo of record {seq}"),
            detail: "does not decrypt with this device's key (another device's database, or tampered)".into(),
        })
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(self.sql("user_version"))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    // ---- device identity and key-value state ----

    /// Records the enrolment (device id and site from the server).
    pub fn set_device(&self, device_id: &str, site_id: &str, public_key: &str, at_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO device (id, device_id, site_id, public_key, enrolled_at_ms) VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET device_id = ?1, site_id = ?2, public_key = ?3, enrolled_at_ms = ?4",
                params![device_id, site_id, public_key, at_ms],
            )
            .map_err(self.sql("set device"))?;
        Ok(())
    }

    /// The enrolled device id and site, if enrolled.
    pub fn device(&self) -> Result<Option<(String, String)>, StoreError> {
        self.conn
            .query_row("SELECT device_id, site_id FROM device WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql("read device"))
    }

    /// Sets a small piece of state (roster revision, last sync …).
    pub fn set_kv(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
                params![key, value],
            )
            .map_err(self.sql("set kv"))?;
        Ok(())
    }

    /// Reads a small piece of state.
    pub fn kv(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sql("read kv"))
    }

    /// The PIN lockouts as last saved, if any (see [`crate::flow::SavedLockouts::restore`]).
    pub fn lockouts(&self) -> Result<Option<crate::flow::SavedLockouts>, StoreError> {
        let Some(json) = self.kv(LOCKOUTS_KEY)? else { return Ok(None) };
        serde_json::from_str(&json).map(Some).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("kv `{LOCKOUTS_KEY}`"),
            detail: e.to_string(),
        })
    }

    /// Saves the PIN lockouts (durable when it returns, like every write here: a power cut
    /// right after a lock does not lift it).
    pub fn set_lockouts(&self, saved: &crate::flow::SavedLockouts) -> Result<(), StoreError> {
        let json = serde_json::to_string(saved).map_err(|e| StoreError::Build(e.to_string()))?;
        self.set_kv(LOCKOUTS_KEY, &json)
    }

    // ---- roster ----

    /// Adds or replaces an employee and their whole template set.
    pub fn upsert_employee(&mut self, e: &EmployeeRow, templates: &[(String, Vec<f32>)]) -> Result<(), StoreError> {
        let sealed: Vec<(String, Vec<u8>)> =
            templates.iter().map(|(model, emb)| (model.clone(), self.seal(&e.id, emb))).collect();
        let path = self.path.clone();
        let err = move |source| StoreError::Sql { path: path.clone(), op: "upsert employee", source };
        let tx = self.conn.transaction().map_err(&err)?;
        let old_pin: Option<Option<String>> = tx
            .query_row("SELECT pin_hash FROM employees WHERE id = ?1", [&e.id], |r| r.get(0))
            .optional()
            .map_err(&err)?;
        tx.execute(
            "INSERT INTO employees (id, name, section_id, pin_hash) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = ?2, section_id = ?3, pin_hash = ?4",
            params![e.id, e.name, e.section_id, e.pin_hash],
        )
        .map_err(&err)?;
        if old_pin.is_some_and(|p| p != e.pin_hash) {
            // The PIN changed: the cached index entry would point at the old PIN.
            tx.execute("DELETE FROM pin_index WHERE employee_id = ?1", [&e.id]).map_err(&err)?;
        }
        tx.execute("DELETE FROM templates WHERE employee_id = ?1", [&e.id]).map_err(&err)?;
        for (model, blob) in &sealed {
            tx.execute(
                "INSERT INTO templates (employee_id, model_version, sealed) VALUES (?1, ?2, ?3)",
                params![e.id, model, blob],
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(())
    }

    // ---- templates enrolled here, on their way to the server ----

    /// Queues the employee's templates of `model_version` for upload (replacing an earlier entry).
    pub fn queue_template_upload(&self, employee_id: &str, model_version: &str, at_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO template_outbox (employee_id, model_version, enrolled_at_ms, state, detail, done_at_ms)
                 VALUES (?1, ?2, ?3, 'pending', '', NULL)",
                params![employee_id, model_version, at_ms],
            )
            .map_err(self.sql("queue template upload"))?;
        Ok(())
    }

    /// Template sets waiting for upload, oldest first.
    pub fn template_uploads_pending(&self) -> Result<Vec<TemplateUploadRow>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT employee_id, model_version, enrolled_at_ms FROM template_outbox WHERE state = 'pending' ORDER BY enrolled_at_ms")
            .map_err(self.sql("pending template uploads"))?;
        let rows = st
            .query_map([], |r| Ok(TemplateUploadRow { employee_id: r.get(0)?, model_version: r.get(1)?, enrolled_at_ms: r.get(2)? }))
            .map_err(self.sql("pending template uploads"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql("pending template uploads"))
    }

    /// Marks an employee's template upload as done: sent, or refused with the reason.
    pub fn template_upload_done(&self, employee_id: &str, refused: Option<&str>, at_ms: i64) -> Result<(), StoreError> {
        let (state, detail) = match refused {
            None => ("sent", ""),
            Some(why) => ("refused", why),
        };
        self.conn
            .execute(
                "UPDATE template_outbox SET state = ?2, detail = ?3, done_at_ms = ?4 WHERE employee_id = ?1",
                params![employee_id, state, detail, at_ms],
            )
            .map_err(self.sql("template upload done"))?;
        Ok(())
    }

    /// Where an employee's enrolled templates are on their way to the server, if queued.
    pub fn template_upload_state(&self, employee_id: &str) -> Result<Option<TemplateUploadState>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT state, detail FROM template_outbox WHERE employee_id = ?1", [employee_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql("template upload state"))?;
        Ok(row.map(|(state, detail)| match state.as_str() {
            "sent" => TemplateUploadState::Sent,
            "refused" => TemplateUploadState::Refused(detail),
            _ => TemplateUploadState::Pending,
        }))
    }

    /// Removes an employee; their templates and PIN index entries go with them.
    pub fn remove_employee(&self, id: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM employees WHERE id = ?1", [id]).map_err(self.sql("remove employee"))?;
        // Nothing of a removed employee's face may be sent later either.
        self.conn.execute("DELETE FROM template_outbox WHERE employee_id = ?1", [id]).map_err(self.sql("remove employee"))?;
        Ok(())
    }

    /// One employee.
    pub fn employee(&self, id: &str) -> Result<Option<EmployeeRow>, StoreError> {
        self.conn
            .query_row("SELECT id, name, section_id, pin_hash FROM employees WHERE id = ?1", [id], employee_row)
            .optional()
            .map_err(self.sql("read employee"))
    }

    /// All employees with a PIN, for the slow PIN scan.
    pub fn employees_with_pin(&self) -> Result<Vec<EmployeeRow>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, section_id, pin_hash FROM employees WHERE pin_hash IS NOT NULL ORDER BY id")
            .map_err(self.sql("list employees"))?;
        let rows = st.query_map([], employee_row).map_err(self.sql("list employees"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("list employees"))
    }

    /// Number of employees.
    pub fn employee_count(&self) -> Result<u64, StoreError> {
        self.conn.query_row("SELECT COUNT(*) FROM employees", [], |r| r.get(0)).map_err(self.sql("count employees"))
    }

    /// The device-keyed tag of a PIN for the PIN index.
    pub fn pin_tag(&self, pin: &str) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        h.update(self.pin_key);
        h.update(pin.as_bytes());
        h.finalize().into()
    }

    /// The employee the PIN index names for this PIN (to be confirmed with the Argon2 hash).
    pub fn pin_index_lookup(&self, pin: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT employee_id FROM pin_index WHERE tag = ?1", [&self.pin_tag(pin)[..]], |r| r.get(0))
            .optional()
            .map_err(self.sql("pin index lookup"))
    }

    /// Remembers that this PIN belongs to this employee (after an Argon2 check succeeded).
    pub fn pin_index_put(&self, pin: &str, employee_id: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO pin_index (tag, employee_id) VALUES (?1, ?2)
                 ON CONFLICT(tag) DO UPDATE SET employee_id = ?2",
                params![&self.pin_tag(pin)[..], employee_id],
            )
            .map_err(self.sql("pin index put"))?;
        Ok(())
    }

    /// The decrypted templates of one employee: (model version, embedding).
    pub fn templates(&self, employee_id: &str) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, model_version, sealed FROM templates WHERE employee_id = ?1 ORDER BY id")
            .map_err(self.sql("read templates"))?;
        let rows = st
            .query_map([employee_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(self.sql("read templates"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, model, sealed) = row.map_err(self.sql("read templates"))?;
            out.push((model, self.open_sealed(employee_id, id, &sealed)?));
        }
        Ok(out)
    }

    /// Every employee's decrypted templates (for the duplicate-face check at enrolment).
    pub fn all_templates(&self) -> Result<Vec<(String, String, Vec<f32>)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT id, employee_id, model_version, sealed FROM templates ORDER BY id")
            .map_err(self.sql("read templates"))?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .map_err(self.sql("read templates"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, employee, model, sealed) = row.map_err(self.sql("read templates"))?;
            let emb = self.open_sealed(&employee, id, &sealed)?;
            out.push((employee, model, emb));
        }
        Ok(out)
    }

    /// The raw sealed bytes of templates (tests check nothing readable is stored).
    pub fn sealed_templates(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut st = self.conn.prepare("SELECT sealed FROM templates").map_err(self.sql("read templates"))?;
        let rows = st.query_map([], |r| r.get(0)).map_err(self.sql("read templates"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("read templates"))
    }

    fn seal(&self, employee_id: &str, embedding: &[f32]) -> Vec<u8> {
        let plain: Vec<u8> = embedding.iter().flat_map(|v| v.to_le_bytes()).collect();
        seal_with(&self.cipher, employee_id.as_bytes(), &plain)
    }

    fn open_sealed(&self, employee_id: &str, id: i64, sealed: &[u8]) -> Result<Vec<f32>, StoreError> {
        let corrupt = |detail: &str| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("template {id} of {employee_id}"),
            detail: detail.to_owned(),
        };
        let plain = open_with(&self.cipher, employee_id.as_bytes(), sealed)
            .ok_or_else(|| corrupt("does not decrypt with this device's key (another device's database, or tampered)"))?;
        if plain.len() % 4 != 0 {
            return Err(corrupt("length is not a whole number of f32"));
        }
        Ok(plain.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Keeps the site's rules as the roster carried them (the wire form, checked first).
    pub fn set_site_rules(&self, rules: &RosterRules) -> Result<(), StoreError> {
        let json = serde_json::to_string(rules).map_err(|e| StoreError::Build(e.to_string()))?;
        self.set_kv(SITE_RULES_KEY, &json)
    }

    /// The site's rules from the last roster, or `None` before the first one.
    pub fn site_rules(&self) -> Result<Option<SiteRules>, StoreError> {
        let Some(json) = self.kv(SITE_RULES_KEY)? else { return Ok(None) };
        let corrupt = |detail: String| StoreError::Corrupt { path: self.path.clone(), what: "site rules".into(), detail };
        let wire: RosterRules = serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?;
        SiteRules::from_wire(&wire).map(Some).map_err(|e| corrupt(e.to_string()))
    }

    // ---- records ----

    /// The head of this device's chain (last seq and hash).
    pub fn head(&self) -> Result<ChainHead, StoreError> {
        let row: Option<(u64, Vec<u8>)> = self
            .conn
            .query_row("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql("read chain head"))?;
        match row {
            None => Ok(ChainHead::GENESIS),
            Some((seq, hash)) => Ok(ChainHead { seq, hash: self.digest(&hash, seq)? }),
        }
    }

    fn digest(&self, bytes: &[u8], seq: u64) -> Result<Digest, StoreError> {
        <[u8; 32]>::try_from(bytes).map(Digest).map_err(|_| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("record {seq}"),
            detail: "hash is not 32 bytes".into(),
        })
    }

    /// Makes and saves the next record atomically: `build` gets the chain head (inside the
    /// write transaction) and returns the signed record and the evidence photo. When this
    /// returns `Ok`, the record is durable.
    pub fn append_record<F>(&mut self, build: F) -> Result<Record, StoreError>
    where
        F: FnOnce(ChainHead) -> Result<(Record, Vec<u8>), String>,
    {
        let path = self.path.clone();
        let err = move |op: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sql { path: path.clone(), op, source }
        };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err("begin record"))?;
        let row: Option<(u64, Vec<u8>)> = tx
            .query_row("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(err("read chain head"))?;
        let head = match row {
            None => ChainHead::GENESIS,
            Some((seq, hash)) => ChainHead {
                seq,
                hash: <[u8; 32]>::try_from(hash.as_slice()).map(Digest).map_err(|_| StoreError::Corrupt {
                    path: self.path.clone(),
                    what: format!("record {seq}"),
                    detail: "hash is not 32 bytes".into(),
                })?,
            },
        };
        let (record, jpeg) = build(head).map_err(StoreError::Build)?;
        if record.body.seq != head.seq + 1 || record.body.prev_hash != head.hash {
            return Err(StoreError::Build(format!(
                "record seq {} / prev_hash does not extend the chain head {}",
                record.body.seq, head.seq
            )));
        }
        let json = serde_json::to_string(&record).map_err(|e| StoreError::Build(e.to_string()))?;
        let hash = record.hash();
        tx.execute(
            "INSERT INTO records (seq, hash, prev_hash, employee_id, recorded_at_ms, record_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.body.seq,
                &hash.0[..],
                &record.body.prev_hash.0[..],
                record.body.employee_id,
                record.body.recorded_at_ms,
                json
            ],
        )
        .map_err(err("insert record"))?;
        tx.execute("INSERT INTO outbox (seq) VALUES (?1)", [record.body.seq]).map_err(err("insert outbox"))?;
        tx.execute(
            "INSERT INTO evidence (seq, jpeg, sha256, sealed) VALUES (?1, ?2, ?3, 1)",
            params![record.body.seq, seal_with(&self.cipher, &photo_aad(record.body.seq), &jpeg), &Digest::of(&jpeg).0[..]],
        )
        .map_err(err("insert evidence"))?;
        tx.commit().map_err(err("commit record"))?;
        Ok(record)
    }

    /// Records with `seq > after`, oldest first, at most `limit`.
    pub fn records_after(&self, after: u64, limit: u32) -> Result<Vec<Record>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, record_json FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(self.sql("read records"))?;
        let rows = st
            .query_map(params![after, limit], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sql("read records"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json) = row.map_err(self.sql("read records"))?;
            out.push(self.parse_record(seq, &json)?);
        }
        Ok(out)
    }

    fn parse_record(&self, seq: u64, json: &str) -> Result<Record, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("record {seq}"),
            detail: e.to_string(),
        })
    }

    /// Number of records.
    pub fn record_count(&self) -> Result<u64, StoreError> {
        self.conn.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).map_err(self.sql("count records"))
    }

    /// Checks the whole chain: sequence without gaps from 1, each `prev_hash` the previous
    /// hash, each stored hash the hash of the stored record, each signature valid for `key`.
    /// Returns the number of records checked.
    pub fn verify_chain(&self, key: &hadir_protocol::PublicKey) -> Result<u64, ChainCheckError> {
        self.verify_chain_after(key, ChainHead::GENESIS).map(|head| head.seq)
    }

    /// [`Self::verify_chain`] from an already checked `start` onwards (the crash test checks
    /// each run's new records; a full pass each time would make it quadratic). Returns the head.
    pub fn verify_chain_after(&self, key: &hadir_protocol::PublicKey, start: ChainHead) -> Result<ChainHead, ChainCheckError> {
        let mut head = start;
        let mut after = start.seq;
        loop {
            let batch = self.records_after(after, 500).map_err(ChainCheckError::Store)?;
            if batch.is_empty() {
                return Ok(head);
            }
            for r in batch {
                let hash = r.hash();
                head = head.accept(r.body.seq, r.body.prev_hash, hash).map_err(ChainCheckError::Chain)?;
                r.verify(key).map_err(|_| ChainCheckError::Signature { seq: r.body.seq })?;
                let stored: Vec<u8> = self
                    .conn
                    .query_row("SELECT hash FROM records WHERE seq = ?1", [r.body.seq], |row| row.get(0))
                    .map_err(|e| ChainCheckError::Store(self.sql("read hash")(e)))?;
                if stored != hash.0 {
                    return Err(ChainCheckError::StoredHash { seq: r.body.seq });
                }
                after = r.body.seq;
            }
        }
    }

    // ---- outbox ----

    /// Records not yet acknowledged, oldest first, with their photos.
    pub fn pending(&self, limit: u32) -> Result<Vec<Pending>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT r.seq, r.record_json, e.jpeg FROM outbox o JOIN records r ON r.seq = o.seq
                 LEFT JOIN evidence e ON e.seq = o.seq WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?1",
            )
            .map_err(self.sql("read outbox"))?;
        let rows = st
            .query_map([limit], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Vec<u8>>>(2)?))
            })
            .map_err(self.sql("read outbox"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json, sealed) = row.map_err(self.sql("read outbox"))?;
            let jpeg = sealed.map(|s| self.open_photo(seq, &s)).transpose()?;
            out.push(Pending { record: self.parse_record(seq, &json)?, jpeg });
        }
        Ok(out)
    }

    /// The evidence photo of a record, if still stored.
    pub fn photo(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT jpeg FROM evidence WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()
            .map_err(self.sql("read photo"))?;
        sealed.map(|s| self.open_photo(seq, &s)).transpose()
    }

    /// A photo by its SHA-256.
    pub fn photo_by_hash(&self, sha256: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(u64, Vec<u8>)> = self
            .conn
            .query_row("SELECT seq, jpeg FROM evidence WHERE sha256 = ?1 LIMIT 1", [&sha256.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql("read photo"))?;
        row.map(|(seq, s)| self.open_photo(seq, &s)).transpose()
    }

    /// Hashes of photos of acknowledged records not yet uploaded, oldest first.
    pub fn photos_to_upload(&self, limit: u32) -> Result<Vec<Digest>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT e.seq, e.sha256 FROM evidence e JOIN outbox o ON o.seq = e.seq
                 WHERE e.uploaded = 0 AND o.state = 'acked' ORDER BY e.seq LIMIT ?1",
            )
            .map_err(self.sql("photos to upload"))?;
        let rows = st.query_map([limit], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(self.sql("photos to upload"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, h) = row.map_err(self.sql("photos to upload"))?;
            out.push(self.digest(&h, seq)?);
        }
        Ok(out)
    }

    /// The server has the photo with this hash.
    pub fn photo_uploaded_by_hash(&self, sha256: &Digest) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE evidence SET uploaded = 1 WHERE sha256 = ?1", [&sha256.0[..]])
            .map_err(self.sql("photo uploaded"))?;
        Ok(())
    }

    /// The server acknowledged these records (stored or already had them).
    pub fn mark_acked(&self, seqs: &[u64], at_ms: i64) -> Result<(), StoreError> {
        for seq in seqs {
            self.conn
                .execute(
                    "UPDATE outbox SET state = 'acked', done_at_ms = ?2, attempts = attempts + 1 WHERE seq = ?1",
                    params![seq, at_ms],
                )
                .map_err(self.sql("ack outbox"))?;
        }
        Ok(())
    }

    /// The server refused a record for good (kept, visible to a technician, not retried).
    pub fn mark_refused(&self, seq: u64, reason: &str, at_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'refused', last_error = ?2, done_at_ms = ?3, attempts = attempts + 1
                 WHERE seq = ?1",
                params![seq, reason, at_ms],
            )
            .map_err(self.sql("refuse outbox"))?;
        Ok(())
    }

    /// The records the server refused, oldest first, each with the reason it was parked with.
    pub fn refused(&self) -> Result<Vec<(Record, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT r.seq, r.record_json, COALESCE(o.last_error, '') FROM outbox o JOIN records r ON r.seq = o.seq
                 WHERE o.state = 'refused' ORDER BY o.seq",
            )
            .map_err(self.sql("read refused records"))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(self.sql("read refused records"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json, reason) = row.map_err(self.sql("read refused records"))?;
            out.push((self.parse_record(seq, &json)?, reason));
        }
        Ok(out)
    }

    /// Puts refused records back in the queue (an admin's decision, e.g. after the device was
    /// enrolled again); returns how many were refused. Other sequence numbers are ignored.
    pub fn requeue_refused(&self, seqs: &[u64]) -> Result<usize, StoreError> {
        let mut n = 0;
        for seq in seqs {
            n += self
                .conn
                .execute("UPDATE outbox SET state = 'pending', done_at_ms = NULL WHERE seq = ?1 AND state = 'refused'", [seq])
                .map_err(self.sql("re-queue outbox"))?;
        }
        Ok(n)
    }

    /// A transient upload failure (will be retried).
    pub fn mark_attempt_failed(&self, seq: u64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1", params![seq, error])
            .map_err(self.sql("outbox attempt"))?;
        Ok(())
    }

    /// The server has the photo: it need not stay on the device.
    pub fn mark_photo_uploaded(&self, seq: u64) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE evidence SET uploaded = 1 WHERE seq = ?1", [seq])
            .map_err(self.sql("photo uploaded"))?;
        Ok(())
    }

    /// When the oldest record waiting for upload was recorded (UTC ms), if one waits.
    pub fn oldest_pending_ms(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT MIN(r.recorded_at_ms) FROM outbox o JOIN records r ON r.seq = o.seq WHERE o.state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql("oldest pending record"))
    }

    // ---- device events ----

    /// Appends the next event of the device's event chain: `build` gets the chain's head and
    /// signs the event that follows it, in one transaction with reading the head.
    pub fn append_event<F>(&mut self, build: F) -> Result<DeviceEvent, StoreError>
    where
        F: FnOnce(ChainHead) -> DeviceEvent,
    {
        let path = self.path.clone();
        let err = move |op: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sql { path: path.clone(), op, source }
        };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err("begin event"))?;
        let row: Option<(u64, Vec<u8>)> = tx
            .query_row("SELECT seq, hash FROM device_events ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(err("read event chain head"))?;
        let head = match row {
            None => ChainHead::GENESIS,
            Some((seq, hash)) => ChainHead {
                seq,
                hash: <[u8; 32]>::try_from(hash.as_slice()).map(Digest).map_err(|_| StoreError::Corrupt {
                    path: self.path.clone(),
                    what: format!("device event {seq}"),
                    detail: "hash is not 32 bytes".into(),
                })?,
            },
        };
        let event = build(head);
        if event.seq != head.seq + 1 || event.prev_hash != head.hash {
            return Err(StoreError::Build(format!("device event {} does not extend the chain head {}", event.seq, head.seq)));
        }
        let json = serde_json::to_string(&event).map_err(|e| StoreError::Build(e.to_string()))?;
        tx.execute(
            "INSERT INTO device_events (seq, hash, event_json) VALUES (?1, ?2, ?3)",
            params![event.seq, &event.hash().0[..], json],
        )
        .map_err(err("store device event"))?;
        tx.commit().map_err(err("commit device event"))?;
        Ok(event)
    }

    /// Events the server has not acknowledged yet, oldest first.
    pub fn unacked_events(&self, limit: u32) -> Result<Vec<DeviceEvent>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, event_json FROM device_events WHERE acked = 0 ORDER BY seq LIMIT ?1")
            .map_err(self.sql("read device events"))?;
        let rows = st
            .query_map([limit], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.sql("read device events"))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, json) = row.map_err(self.sql("read device events"))?;
            out.push(serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("device event {seq}"),
                detail: e.to_string(),
            })?);
        }
        Ok(out)
    }

    /// The server holds the event chain up to `through`.
    pub fn ack_events(&self, through: u64) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE device_events SET acked = 1 WHERE seq <= ?1 AND acked = 0", [through])
            .map_err(self.sql("acknowledge device events"))?;
        Ok(())
    }

    /// Records waiting for upload (the idle screen's queue length).
    pub fn queue_len(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE state = 'pending'", [], |r| r.get(0))
            .map_err(self.sql("queue length"))
    }

    // ---- audit ----

    /// Appends an audit entry.
    pub fn audit(&self, at_ms: i64, kind: &str, employee_id: Option<&str>, detail: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO audit (at_ms, kind, employee_id, detail) VALUES (?1, ?2, ?3, ?4)",
                params![at_ms, kind, employee_id, detail],
            )
            .map_err(self.sql("audit"))?;
        Ok(())
    }

    /// The audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditRow>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT at_ms, kind, employee_id, detail FROM audit ORDER BY id")
            .map_err(self.sql("read audit"))?;
        let rows = st
            .query_map([], |r| Ok(AuditRow { at_ms: r.get(0)?, kind: r.get(1)?, employee_id: r.get(2)?, detail: r.get(3)? }))
            .map_err(self.sql("read audit"))?;
        rows.collect::<Result<_, _>>().map_err(self.sql("read audit"))
    }

    /// `PRAGMA integrity_check`: `Ok("ok")` on a sound database.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check").map_err(self.sql("integrity_check"))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(self.sql("integrity_check"))?;
        let lines: Vec<String> = rows.collect::<Result<_, _>>().map_err(self.sql("integrity_check"))?;
        Ok(lines.join("\n"))
    }

    /// Direct SQL for tests that check the store refuses changes.
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> Result<usize, rusqlite::Error> {
        self.conn.execute(sql, [])
    }
}

/// Why [`Store::verify_chain`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainCheckError {
    /// Reading failed.
    #[error(transparent)]
    Store(StoreError),
    /// A gap, a fork or a wrong `prev_hash`.
    #[error("chain broken: {0}")]
    Chain(ChainError),
    /// A signature does not verify with the device key.
    #[error("record {seq}: signature does not verify with the device key")]
    Signature {
        /// The record.
        seq: u64,
    },
    /// The stored hash column does not match the stored record.
    #[error("record {seq}: stored hash does not match the record")]
    StoredHash {
        /// The record.
        seq: u64,
    },
}

fn employee_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EmployeeRow> {
    Ok(EmployeeRow { id: r.get(0)?, name: r.get(1)?, section_id: r.get(2)?, pin_hash: r.get(3)? })
}

#[cfg(test)]
mod tests;
