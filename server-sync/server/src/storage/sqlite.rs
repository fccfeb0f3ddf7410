//! The SQLite backend (the embedded default).
//!
//! One connection behind a mutex: SQLite has one writer at a time anyway, and a batch of 100
//! records is one short transaction. Calls run on tokio's blocking pool ([`SqliteStore::run`])
//! so they never stall the async workers. The file is opened in WAL mode with
//! `synchronous=FULL`: an acknowledged record survives a power cut.

use super::{
    BatchExtras, Counts, DeviceInfo, EmployeeInput, EnrolRefusal, Migration, NewToken, RefusedUpload,
    Result, RosterRow, SealedTemplate, StorageError, TemplateRefusal, TemplateRow, Write, parse_digest,
    parse_key, parse_mode,
};
use crate::ingest::{Existing, Verified, decide};
use hadir_protocol::api::{RosterEmployee, TemplateUploadResponse};
use hadir_protocol::{ChainHead, Digest, FixMode, Outcome, PublicKey};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

fn err(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> StorageError {
    let context = context.into();
    move |source| StorageError::Sqlite { context, source }
}

/// An open SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: std::path::PathBuf,
    writer: std::sync::mpsc::Sender<IngestJob>,
    /// A second connection for the per-batch device lookup, so it never waits behind a
    /// commit (WAL lets readers run beside the writer).
    reader: Arc<Mutex<Connection>>,
}

/// One batch waiting for the ingest writer.
#[derive(Debug)]
struct IngestJob {
    verified: Vec<Verified>,
    extras: BatchExtras,
    now_ms: i64,
    reply: tokio::sync::oneshot::Sender<Result<Vec<Outcome>>>,
}

/// Group commit: the writer thread takes every batch that queued up while the previous commit
/// was syncing to disk and stores them in one transaction (one fsync), in arrival order. A
/// device's batches arrive one after the other, so its chain order is kept. If the group's
/// transaction fails, each batch is retried alone so one bad batch cannot fail the others.
fn writer_loop(conn: Arc<Mutex<Connection>>, rx: std::sync::mpsc::Receiver<IngestJob>) {
    const MAX_GROUP: usize = 64;
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let now_ms = jobs.iter().map(|j| j.now_ms).max().unwrap_or(0);
        let lens: Vec<usize> = jobs.iter().map(|j| j.verified.len()).collect();
        let all: Vec<Verified> = jobs.iter_mut().flat_map(|j| std::mem::take(&mut j.verified)).collect();
        let extras: Vec<&BatchExtras> = jobs.iter().map(|j| &j.extras).collect();
        let result = {
            let mut c = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            store_verified(&mut c, &all, &extras, now_ms)
        };
        match result {
            Ok(outcomes) => {
                let mut rest = outcomes.into_iter();
                for (job, n) in jobs.into_iter().zip(lens) {
                    // A caller that went away (client disconnected) needs no answer.
                    let _ = job.reply.send(Ok(rest.by_ref().take(n).collect()));
                }
            }
            Err(e) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, batches = jobs.len(), "group commit failed; storing batches one by one");
                let mut rest = all.into_iter();
                for (job, n) in jobs.into_iter().zip(lens) {
                    let mine: Vec<Verified> = rest.by_ref().take(n).collect();
                    let r = {
                        let mut c = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        store_verified(&mut c, &mine, &[&job.extras], job.now_ms)
                    };
                    let _ = job.reply.send(r);
                }
            }
        }
    }
}

/// Creates `path` with mode 0600, or narrows an existing file to it (`:memory:` aside).
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777), "database file readable by others; narrowed to 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map(drop)
        }
        Err(e) => Err(e),
    }
}

impl SqliteStore {
    /// Opens or creates the file (mode 0600: it holds PIN hashes, sealed templates and every
    /// record; a wider mode left by an older release is narrowed) and sets the pragmas. SQLite
    /// gives its `-wal` and `-shm` files the database file's mode.
    pub fn open(path: &std::path::Path) -> Result<SqliteStore> {
        private_file(path).map_err(|source| StorageError::FileMode { path: path.to_owned(), source })?;
        let context = format!("open {}", path.display());
        let conn = Connection::open(path).map_err(err(context.clone()))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err(context.clone()))?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(err(context.clone()))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err(context.clone()))?;
        // The writer keeps 64 MB of pages (SQLite's default is 2 MB: every insert then read
        // index pages back through the kernel), and copies the log into the file every 4,000
        // pages (16 MB) instead of 1,000, so a hot index page is written back a quarter as
        // often. Together ingest went from about 29,000 to 35,000 records a second
        // (`hadir-dev bench`, 40,000 records, four interleaved rounds).
        conn.pragma_update(None, "cache_size", -65_536).map_err(err(context.clone()))?;
        conn.pragma_update(None, "wal_autocheckpoint", 4000).map_err(err(context.clone()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err(context))?;
        let reader = Connection::open(path).map_err(err(format!("open reader on {}", path.display())))?;
        reader.busy_timeout(std::time::Duration::from_secs(5)).map_err(err("reader busy timeout"))?;
        let reader = Arc::new(Mutex::new(reader));
        let conn = Arc::new(Mutex::new(conn));
        let (writer, rx) = std::sync::mpsc::channel();
        let writer_conn = Arc::clone(&conn);
        // The thread ends when the last clone of this store (the last sender) is dropped.
        std::thread::Builder::new()
            .name("hadir-sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StorageError::Task(format!("start the SQLite writer thread: {e}")))?;
        Ok(SqliteStore { conn, path: path.to_owned(), writer, reader })
    }

    /// Runs a read-only `f` on the reader connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// Stores verified records through the group-commit writer.
    pub(super) async fn store_verified(&self, verified: Vec<Verified>, extras: BatchExtras, now_ms: i64) -> Result<Vec<Outcome>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer
            .send(IngestJob { verified, extras, now_ms, reply })
            .map_err(|_| StorageError::Task("the SQLite writer thread stopped".into()))?;
        answer.await.map_err(|_| StorageError::Task("the SQLite writer dropped a batch".into()))?
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The connection, for synchronous callers (other components' queries, tests). Keep the
    /// guard briefly: the device API waits for it.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock means a panic mid-statement; SQLite rolled the transaction back.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` with the connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }
}

pub(super) fn migrate(c: &mut Connection, list: &[Migration]) -> Result<usize> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,
            applied_at_ms BIGINT NOT NULL, PRIMARY KEY (component, version))",
    )
    .map_err(err("create schema_migrations"))?;
    let applied: Vec<(String, i64)> = {
        let mut st = c
            .prepare("SELECT component, version FROM schema_migrations")
            .map_err(err("read schema_migrations"))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(err("read schema_migrations"))?
    };
    for (component, version) in &applied {
        let known = list.iter().any(|m| m.component == component && m.version == *version);
        // Only components this build knows are checked: another program may own others.
        if !known && list.iter().any(|m| m.component == component) {
            return Err(StorageError::Migration(format!(
                "database holds migration {component}/{version} unknown to this build (a newer server migrated it)"
            )));
        }
    }
    let mut count = 0;
    for m in list {
        if applied.iter().any(|(c, v)| c == m.component && *v == m.version) {
            continue;
        }
        let ctx = format!("migration {}/{} ({})", m.component, m.version, m.name);
        let tx = c.transaction().map_err(err(ctx.clone()))?;
        tx.execute_batch(m.sqlite).map_err(err(ctx.clone()))?;
        tx.execute(
            "INSERT INTO schema_migrations (component, version, name, applied_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![m.component, m.version, m.name, now_wall_ms()],
        )
        .map_err(err(ctx.clone()))?;
        tx.commit().map_err(err(ctx))?;
        tracing::info!(component = m.component, version = m.version, name = m.name, "applied migration");
        count += 1;
    }
    Ok(count)
}

/// Wall-clock time for bookkeeping columns that no decision depends on.
fn now_wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn create_enrol_token(c: &mut Connection, hash: &str, t: &NewToken, now_ms: i64) -> Result<()> {
    c.execute(
        "INSERT INTO enrol_tokens (token_sha256, device_id, site_id, mode, created_at_ms, expires_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![hash, t.device_id, t.site_id, t.mode.as_str(), now_ms, t.expires_at_ms],
    )
    .map_err(err(format!("create enrolment token for {}", t.device_id)))?;
    Ok(())
}

pub(super) fn enrol(
    c: &mut Connection,
    hash: &str,
    key: PublicKey,
    app_version: &str,
    now_ms: i64,
) -> Result<std::result::Result<DeviceInfo, EnrolRefusal>> {
    let tx = c.transaction().map_err(err("enrol"))?;
    let token: Option<(String, String, String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT device_id, site_id, mode, expires_at_ms, used_at_ms FROM enrol_tokens WHERE token_sha256 = ?1",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(err("enrol: read token"))?;
    let Some((device_id, site_id, mode, expires, used)) = token else {
        return Ok(Err(EnrolRefusal::UnknownToken));
    };
    if used.is_some() {
        // The same device asking again (its answer was lost, or power was cut before it saved
        // the enrolment) gets the same answer; any other key is refused.
        let same: Option<u64> = tx
            .query_row(
                "SELECT last_seq FROM devices WHERE device_id = ?1 AND public_key = ?2 AND revoked_at_ms IS NULL",
                params![device_id, key.to_hex()],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("enrol: read device"))?;
        return Ok(match same {
            Some(last_seq) => {
                let mode = parse_mode(&mode)?;
                Ok(DeviceInfo { device_id, site_id, mode, public_key: key, revoked_at_ms: None, last_seq })
            }
            None => Err(EnrolRefusal::TokenUsed),
        });
    }
    if now_ms > expires {
        return Ok(Err(EnrolRefusal::TokenExpired));
    }
    let exists: bool = tx
        .query_row("SELECT 1 FROM devices WHERE device_id = ?1", [&device_id], |_| Ok(()))
        .optional()
        .map_err(err("enrol: read device"))?
        .is_some();
    if exists {
        return Ok(Err(EnrolRefusal::DeviceExists));
    }
    tx.execute("UPDATE enrol_tokens SET used_at_ms = ?1 WHERE token_sha256 = ?2", params![now_ms, hash])
        .map_err(err("enrol: use token"))?;
    tx.execute(
        "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seq, last_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
        params![device_id, site_id, mode, key.to_hex(), app_version, now_ms, Digest::ZERO.to_hex()],
    )
    .map_err(err(format!("enrol: insert device {device_id}")))?;
    tx.commit().map_err(err("enrol: commit"))?;
    let mode = parse_mode(&mode)?;
    Ok(Ok(DeviceInfo { device_id, site_id, mode, public_key: key, revoked_at_ms: None, last_seq: 0 }))
}

pub(super) fn revoke_device(c: &mut Connection, id: &str, now_ms: i64) -> Result<bool> {
    let n = c
        .execute(
            "UPDATE devices SET revoked_at_ms = COALESCE(revoked_at_ms, ?1) WHERE device_id = ?2",
            params![now_ms, id],
        )
        .map_err(err(format!("revoke {id}")))?;
    Ok(n > 0)
}

pub(super) fn devices(c: &mut Connection, ids: &[String]) -> Result<HashMap<String, DeviceInfo>> {
    let mut st = c
        .prepare_cached(
            "SELECT device_id, site_id, mode, public_key, revoked_at_ms, last_seq FROM devices WHERE device_id = ?1",
        )
        .map_err(err("read devices"))?;
    let mut out = HashMap::new();
    for id in ids {
        let row: Option<(String, String, String, String, Option<i64>, i64)> = st
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .optional()
            .map_err(err(format!("read device {id}")))?;
        if let Some((device_id, site_id, mode, key, revoked_at_ms, last_seq)) = row {
            let info = DeviceInfo {
                device_id,
                site_id,
                mode: parse_mode(&mode)?,
                public_key: parse_key(&key)?,
                revoked_at_ms,
                last_seq: last_seq as u64,
            };
            out.insert(id.clone(), info);
        }
    }
    Ok(out)
}

macro_rules! insert_columns {
    () => {
        "device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
        match_score_bp, liveness_score_bp, decision, gps_lat_e7, gps_lon_e7, gps_accuracy_dm,
        gps_hdop_centi, gps_satellites, gps_fix_at_ms, photo_sha256, app_version, model_version,
        prev_hash, clock_since_sync_ms, clock_sync_offset_ms, clock_gps_time_ms, clock_jumped,
        record_hash, signature, canonical, received_at_ms, gps_fix_mode"
    };
}

const INSERT_RECORD: &str = concat!(
    "INSERT INTO records (",
    insert_columns!(),
    ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29)"
);

const INSERT_QUARANTINE: &str = concat!(
    "INSERT INTO quarantine (",
    insert_columns!(),
    ", reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30)"
);

fn insert(tx: &Transaction<'_>, v: &Verified, now_ms: i64, quarantine: Option<&str>) -> Result<()> {
    let b = &v.record.body;
    let sql = match quarantine {
        None => INSERT_RECORD,
        Some(_) => INSERT_QUARANTINE,
    };
    let mut st = tx.prepare_cached(sql).map_err(err("prepare record insert"))?;
    let fix = b.fix();
    let gps = fix.as_ref();
    // Bound by reference: no copies of the strings and the canonical bytes.
    let (photo, prev, hash, sig) = (b.photo_sha256.to_hex(), b.prev_hash.to_hex(), v.hash.to_hex(), v.record.signature.to_hex());
    let values: [&dyn rusqlite::ToSql; 29] = [
        &b.device_id,
        &(b.seq as i64),
        &b.employee_id,
        &super::direction_text(b.direction),
        &b.recorded_at_ms,
        &b.utc_offset_min,
        &b.mode.as_str(),
        &b.match_score.0,
        &b.liveness_score.0,
        &super::decision_text(b.decision),
        &gps.map(|g| g.lat_e7),
        &gps.map(|g| g.lon_e7),
        &gps.map(|g| i64::from(g.accuracy_dm)),
        &gps.map(|g| g.hdop_centi),
        &gps.map(|g| g.satellites),
        &gps.map(|g| g.fix_at_ms),
        &photo,
        &b.app_version,
        &b.model_version,
        &prev,
        &b.clock.since_sync_monotonic_ms.map(|v| v as i64),
        &b.clock.last_sync_offset_ms,
        &b.clock.gps_time_ms,
        &b.clock.clock_jumped,
        &hash,
        &sig,
        &v.canonical,
        &now_ms,
        &gps.and_then(|g| g.fix_mode).map(FixMode::as_str),
    ];
    let done = match quarantine {
        None => st.execute(values.as_slice()),
        Some(reason) => {
            let mut all: Vec<&dyn rusqlite::ToSql> = values.to_vec();
            all.push(&reason);
            st.execute(all.as_slice())
        }
    };
    done.map_err(err(format!("store record {}/{}", b.device_id, b.seq)))?;
    if quarantine.is_none() && !v.flags.is_empty() {
        tx.prepare_cached(&super::portable::sqlite_text(super::INSERT_FLAGS))
            .and_then(|mut st| st.execute(params![b.recorded_at_ms, super::flags_json(&v.flags), b.device_id, b.seq as i64]))
            .map_err(err(format!("store flags of record {}/{}", b.device_id, b.seq)))?;
    }
    Ok(())
}

fn existing(tx: &Transaction<'_>, device: &str, seq: u64) -> Result<Option<Existing>> {
    let ctx = || format!("look up {device}/{seq}");
    let stored: Option<String> = tx
        .prepare_cached("SELECT record_hash FROM records WHERE device_id = ?1 AND seq = ?2")
        .and_then(|mut st| st.query_row(params![device, seq as i64], |r| r.get(0)).optional())
        .map_err(err(ctx()))?;
    if let Some(h) = stored {
        return Ok(Some(Existing::Stored(parse_digest(&h)?)));
    }
    let quarantined: Option<(String, String)> = tx
        .prepare_cached("SELECT record_hash, reason FROM quarantine WHERE device_id = ?1 AND seq = ?2")
        .and_then(|mut st| st.query_row(params![device, seq as i64], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(err(ctx()))?;
    match quarantined {
        Some((h, why)) => Ok(Some(Existing::Quarantined(parse_digest(&h)?, why))),
        None => Ok(None),
    }
}

pub(super) fn store_verified(c: &mut Connection, verified: &[Verified], extras: &[&BatchExtras], now_ms: i64) -> Result<Vec<Outcome>> {
    let tx = c.transaction().map_err(err("begin ingest"))?;
    let mut heads: HashMap<String, (ChainHead, bool)> = HashMap::new();
    let mut outcomes = Vec::with_capacity(verified.len());
    for v in verified {
        let b = &v.record.body;
        if !heads.contains_key(&b.device_id) {
            let (seq, hash): (i64, String) = tx
                .prepare_cached("SELECT last_seq, last_hash FROM devices WHERE device_id = ?1")
                .and_then(|mut st| st.query_row([&b.device_id], |r| Ok((r.get(0)?, r.get(1)?))))
                .map_err(err(format!("read chain head of {}", b.device_id)))?;
            heads.insert(b.device_id.clone(), (ChainHead { seq: seq as u64, hash: parse_digest(&hash)? }, false));
        }
        let (head, changed) = heads.get_mut(&b.device_id).ok_or_else(|| StorageError::Corrupt("head".into()))?;
        let found = if b.seq <= head.seq { existing(&tx, &b.device_id, b.seq)? } else { None };
        let (outcome, write) = decide(*head, v, found.as_ref());
        match &write {
            Write::Record | Write::Quarantine(_) => {
                let reason = match &write {
                    Write::Quarantine(r) => Some(r.as_str()),
                    _ => None,
                };
                insert(&tx, v, now_ms, reason)?;
                *head = ChainHead { seq: b.seq, hash: v.hash };
                *changed = true;
            }
            Write::ChainEvent(reason, detail) => {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO chain_events (device_id, seq, reason, detail, record_hash, at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut st| st.execute(params![b.device_id, b.seq as i64, reason, detail, v.hash.to_hex(), now_ms]))
                .map_err(err("record chain event"))?;
            }
            Write::Nothing => {}
        }
        outcomes.push(outcome);
    }
    for (device, (head, changed)) in &heads {
        if *changed {
            tx.prepare_cached(
                "UPDATE devices SET last_seq = ?1, last_hash = ?2, last_seen_ms = ?3 WHERE device_id = ?4",
            )
            .and_then(|mut st| st.execute(params![head.seq as i64, head.hash.to_hex(), now_ms, device]))
            .map_err(err(format!("advance chain head of {device}")))?;
        }
    }
    for x in extras {
        for r in &x.refusals {
            tx.prepare_cached(
                "INSERT INTO refused_uploads (device_id, seq, reason, detail, record_hash, remote_addr, forwarded_for, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    r.device_id,
                    r.seq.map(|s| s as i64),
                    r.reason,
                    r.detail,
                    r.record_hash,
                    r.remote_addr,
                    r.forwarded_for,
                    r.at_ms
                ])
            })
            .map_err(err("keep refused upload"))?;
        }
        if let Some(w) = &x.watermark {
            // Only forward, only when the server holds the chain up to the claim, never for a
            // revoked device.
            tx.prepare_cached(
                "UPDATE devices SET synced_until_ms = MAX(COALESCE(synced_until_ms, ?1), ?1)
                 WHERE device_id = ?2 AND last_seq >= ?3 AND revoked_at_ms IS NULL",
            )
            .and_then(|mut st| st.execute(params![w.until_ms, w.device_id, w.last_seq as i64]))
            .map_err(err(format!("advance sync watermark of {}", w.device_id)))?;
        }
    }
    let started = std::time::Instant::now();
    tx.commit().map_err(err("commit ingest"))?;
    super::note_commit(started);
    Ok(outcomes)
}

pub(super) fn refused_uploads(c: &mut Connection, device: Option<&str>, limit: u32) -> Result<Vec<RefusedUpload>> {
    let mut st = c
        .prepare(
            "SELECT device_id, seq, reason, detail, record_hash, remote_addr, forwarded_for, at_ms FROM refused_uploads
             WHERE ?1 IS NULL OR device_id = ?1 ORDER BY at_ms DESC, id DESC LIMIT ?2",
        )
        .map_err(err("read refused uploads"))?;
    st.query_map(params![device, limit], |r| {
        Ok(RefusedUpload {
            device_id: r.get(0)?,
            seq: r.get::<_, Option<i64>>(1)?.map(|s| s as u64),
            reason: r.get(2)?,
            detail: r.get(3)?,
            record_hash: r.get(4)?,
            remote_addr: r.get(5)?,
            forwarded_for: r.get(6)?,
            at_ms: r.get(7)?,
        })
    })
    .and_then(|rows| rows.collect())
    .map_err(err("read refused uploads"))
}

pub(super) fn synced_until(c: &mut Connection, id: &str) -> Result<Option<i64>> {
    Ok(c
        .query_row("SELECT synced_until_ms FROM devices WHERE device_id = ?1", [id], |r| r.get::<_, Option<i64>>(0))
        .optional()
        .map_err(err(format!("read watermark of {id}")))?
        .flatten())
}

/// Digits of a photo hash that the records' photo index keeps (migration core/11).
const PHOTO_PREFIX: usize = 8;

/// Whether device ?1 holds a record or a quarantined one with photo ?2 (?3: its first
/// [`PHOTO_PREFIX`] digits). The unary `+` keeps SQLite's planner off the (device, seq) index
/// and on the photo index, which its expression only matches so.
const PHOTO_OF_DEVICE: &str = "SELECT 1 FROM records WHERE substr(photo_sha256, 1, 8) = ?3 AND +device_id = ?1 AND +photo_sha256 = ?2
     UNION ALL SELECT 1 FROM quarantine WHERE device_id = ?1 AND photo_sha256 = ?2 LIMIT 1";

pub(super) fn put_photo(c: &mut Connection, device: &str, sha: Digest, blob: &[u8], key_id: Option<&str>, now_ms: i64) -> Result<Option<bool>> {
    let hex = sha.to_hex();
    let named = c
        .query_row(
            PHOTO_OF_DEVICE,
            params![device, hex, &hex[..PHOTO_PREFIX]],
            |_| Ok(()),
        )
        .optional()
        .map_err(err("look up photo's record"))?
        .is_some();
    if !named {
        return Ok(None);
    }
    let n = c
        .execute(
            "INSERT OR IGNORE INTO photos (sha256, jpeg, received_at_ms, key_id) VALUES (?1, ?2, ?3, ?4)",
            params![hex, blob, now_ms, key_id],
        )
        .map_err(err(format!("store photo {hex}")))?;
    Ok(Some(n > 0))
}

pub(super) fn photo(c: &mut Connection, sha: Digest) -> Result<Option<(Vec<u8>, Option<String>)>> {
    c.query_row("SELECT jpeg, key_id FROM photos WHERE sha256 = ?1", [sha.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(err("read photo"))
}

fn bump_revision(tx: &Transaction<'_>) -> Result<i64> {
    tx.query_row("UPDATE roster_state SET revision = revision + 1 WHERE id = 1 RETURNING revision", [], |r| r.get(0))
        .map_err(err("bump roster revision"))
}

pub(super) fn upsert_employee(c: &mut Connection, e: &EmployeeInput) -> Result<i64> {
    let tx = c.transaction().map_err(err("upsert employee"))?;
    let rev = bump_revision(&tx)?;
    tx.execute(
        "INSERT INTO employees (employee_id, name, site_id, section_id, pin_hash, revision, removed_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)
         ON CONFLICT (employee_id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id,
           section_id = excluded.section_id, pin_hash = excluded.pin_hash,
           revision = excluded.revision, removed_at_ms = NULL",
        params![e.employee_id, e.name, e.site_id, e.section_id, e.pin_hash, rev],
    )
    .map_err(err(format!("upsert employee {}", e.employee_id)))?;
    tx.commit().map_err(err("upsert employee: commit"))?;
    Ok(rev)
}

pub(super) fn insert_template(c: &mut Connection, t: &SealedTemplate) -> Result<std::result::Result<TemplateUploadResponse, TemplateRefusal>> {
    let tx = c.transaction().map_err(err("add template"))?;
    let present = tx
        .query_row(
            "SELECT 1 FROM employees WHERE employee_id = ?1 AND removed_at_ms IS NULL AND (?2 IS NULL OR site_id = ?2)",
            params![t.employee_id, t.site_id],
            |_| Ok(()),
        )
        .optional()
        .map_err(err("add template: read employee"))?
        .is_some();
    if !present {
        return Ok(Err(TemplateRefusal::UnknownEmployee));
    }
    let existing: Option<i64> = tx
        .query_row(
            "SELECT template_id FROM face_templates WHERE employee_id = ?1 AND content_digest = ?2",
            params![t.employee_id, t.content_digest],
            |r| r.get(0),
        )
        .optional()
        .map_err(err("add template: look for the same template"))?;
    if let Some(template_id) = existing {
        let revision: i64 = tx
            .query_row("SELECT revision FROM employees WHERE employee_id = ?1", [&t.employee_id], |r| r.get(0))
            .map_err(err("add template: read revision"))?;
        return Ok(Ok(TemplateUploadResponse { template_id, stored_now: false, roster_revision: revision }));
    }
    let rev = bump_revision(&tx)?;
    tx.execute("UPDATE employees SET revision = ?1 WHERE employee_id = ?2", params![rev, t.employee_id])
        .map_err(err("add template: touch employee"))?;
    tx.execute(
        "INSERT INTO face_templates (employee_id, model_version, embedding, created_at_ms, key_id, content_digest,
           source_device_id, enrolled_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            t.employee_id,
            t.model_version,
            t.sealed,
            t.created_at_ms,
            t.key_id,
            t.content_digest,
            t.source_device_id,
            t.enrolled_at_ms
        ],
    )
    .map_err(err(format!("add template for {}", t.employee_id)))?;
    let id = tx.last_insert_rowid();
    tx.commit().map_err(err("add template: commit"))?;
    Ok(Ok(TemplateUploadResponse { template_id: id, stored_now: true, roster_revision: rev }))
}

const TEMPLATE_COLUMNS: &str = "template_id, employee_id, model_version, embedding, key_id, source_device_id, created_at_ms";

fn template_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        template_id: r.get(0)?,
        employee_id: r.get(1)?,
        model_version: r.get(2)?,
        blob: r.get(3)?,
        key_id: r.get(4)?,
        source_device_id: r.get(5)?,
        created_at_ms: r.get(6)?,
    })
}

pub(super) fn templates_of(c: &mut Connection, employee: &str) -> Result<Vec<TemplateRow>> {
    c.prepare_cached(&format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE employee_id = ?1 ORDER BY template_id"))
        .and_then(|mut st| st.query_map([employee], template_row)?.collect())
        .map_err(err(format!("read templates of {employee}")))
}

pub(super) fn clear_templates(c: &mut Connection) -> Result<Vec<TemplateRow>> {
    c.prepare(&format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE key_id IS NULL ORDER BY template_id"))
        .and_then(|mut st| st.query_map([], template_row)?.collect())
        .map_err(err("read templates stored in clear"))
}

pub(super) fn reseal_template(c: &mut Connection, id: i64, sealed: &[u8], key_id: &str, digest: &str) -> Result<()> {
    c.execute(
        "UPDATE face_templates SET embedding = ?1, key_id = ?2, content_digest = ?3 WHERE template_id = ?4 AND key_id IS NULL",
        params![sealed, key_id, digest, id],
    )
    .map_err(err(format!("seal template {id}")))?;
    Ok(())
}

pub(super) fn remove_employee(c: &mut Connection, employee: &str, now_ms: i64) -> Result<bool> {
    let tx = c.transaction().map_err(err("remove employee"))?;
    let rev = bump_revision(&tx)?;
    tx.execute("DELETE FROM face_templates WHERE employee_id = ?1", [employee])
        .map_err(err(format!("delete templates of {employee}")))?;
    let n = tx
        .execute(
            "UPDATE employees SET pin_hash = NULL, removed_at_ms = ?1, revision = ?2 WHERE employee_id = ?3",
            params![now_ms, rev, employee],
        )
        .map_err(err(format!("remove employee {employee}")))?;
    if n == 0 {
        // Nothing changed: do not spend a revision.
        return Ok(false);
    }
    tx.commit().map_err(err("remove employee: commit"))?;
    Ok(true)
}

pub(super) fn roster_since(c: &mut Connection, site: &str, since: i64) -> Result<(i64, Vec<RosterRow>)> {
    let tx = c.transaction().map_err(err("roster"))?;
    // The counter first: rows changed after this read carry a higher revision and come again.
    let revision: i64 = tx
        .query_row("SELECT revision FROM roster_state WHERE id = 1", [], |r| r.get(0))
        .map_err(err("read roster revision"))?;
    let mut rows = Vec::new();
    {
        let mut st = tx
            .prepare(
                "SELECT employee_id, name, section_id, pin_hash, removed_at_ms FROM employees
                 WHERE site_id = ?1 AND revision > ?2 ORDER BY employee_id",
            )
            .map_err(err("read roster"))?;
        let people: Vec<(String, String, Option<String>, Option<String>, Option<i64>)> = st
            .query_map(params![site, since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .and_then(|rows| rows.collect())
            .map_err(err("read roster"))?;
        let mut tpl = tx
            .prepare(&format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE employee_id = ?1 ORDER BY template_id"))
            .map_err(err("read templates"))?;
        for (id, name, section_id, pin_hash, removed) in people {
            if removed.is_some() {
                rows.push(RosterRow::Removed(id));
                continue;
            }
            let templates: Vec<TemplateRow> = tpl
                .query_map([&id], template_row)
                .and_then(|rows| rows.collect())
                .map_err(err(format!("read templates of {id}")))?;
            rows.push(RosterRow::Present(RosterEmployee { id, name, section_id, pin_hash, templates: Vec::new() }, templates));
        }
    }
    tx.commit().map_err(err("roster: end"))?;
    Ok((revision, rows))
}

pub(super) fn touch_device(c: &mut Connection, id: &str, now_ms: i64) -> Result<()> {
    c.prepare_cached("UPDATE devices SET last_seen_ms = ?1 WHERE device_id = ?2")
        .and_then(|mut st| st.execute(params![now_ms, id]))
        .map_err(err(format!("touch {id}")))?;
    Ok(())
}

pub(super) fn counts(c: &mut Connection) -> Result<Counts> {
    let n = |table: &str| -> Result<u64> {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
            .map(|v| v as u64)
            .map_err(err(format!("count {table}")))
    };
    Ok(Counts { records: n("records")?, quarantined: n("quarantine")?, chain_events: n("chain_events")?, photos: n("photos")? })
}

pub(super) fn device_records(c: &mut Connection, id: &str) -> Result<Vec<(u64, Digest)>> {
    let mut st = c
        .prepare("SELECT seq, record_hash FROM records WHERE device_id = ?1 ORDER BY seq")
        .map_err(err("read device records"))?;
    let rows: Vec<(i64, String)> = st
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(err("read device records"))?;
    rows.into_iter().map(|(s, h)| Ok((s as u64, parse_digest(&h)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn database_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hadir.db");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "a new database file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "an older release's world-readable file is narrowed");
    }

    #[test]
    fn a_photo_is_found_through_the_photo_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hadir.db")).unwrap();
        let mut c = store.lock();
        migrate(&mut c, &crate::migrations()).unwrap();
        let plan: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {PHOTO_OF_DEVICE}"))
            .unwrap()
            .query_map(params!["D", "ab", "cd"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step == "SEARCH records USING INDEX records_photo_prefix (<expr>=?)"),
            "the lookup must not scan a device's records: {plan:?}"
        );
    }
}
