//! The PostgreSQL backend (scale-out).
//!
//! One connection (tokio-postgres) behind an async mutex for writes, and [`READERS`] more for
//! the dashboard's reads ([`PgStore::lock_reader`]), so a month's recap never holds up ingest
//! and pages read beside each other. Each connection keeps the statements prepared on it
//! ([`PgConn`]): a statement is parsed and planned by the server once per connection, not once
//! per request. A batch is one transaction, and the device row is locked (`SELECT … FOR
//! UPDATE`) while its chain head moves, so two servers (or
//! two requests) can never store two records at one chain position.
//!
//! # Troubleshooting
//!
//! - `connection refused` / `No such file or directory`: PostgreSQL is not running or the
//!   `host=` (a socket directory or a host name) is wrong.
//! - `role "…" does not exist`: create the role, or set `user=` in `storage.postgres_url`.

use super::{
    BatchExtras, Counts, DeviceInfo, EmployeeInput, EnrolRefusal, Migration, NewToken, RefusedUpload,
    Result, RosterRow, SealedTemplate, StorageError, TemplateRefusal, TemplateRow, Write, decision_text,
    direction_text, parse_digest, parse_key, parse_mode,
};
use crate::ingest::{Existing, Verified, decide};
use hadir_protocol::api::{RosterEmployee, TemplateUploadResponse};
use hadir_protocol::{ChainHead, Digest, FixMode, GpsFix, Outcome, PublicKey};
use std::collections::HashMap;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Transaction};

fn err(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> StorageError {
    let context = context.into();
    move |source| StorageError::Postgres { context, source }
}

/// A PostgreSQL connection.
#[derive(Debug)]
pub struct PgStore {
    client: Mutex<PgConn>,
    readers: Vec<Mutex<PgConn>>,
    next_reader: std::sync::atomic::AtomicUsize,
    ingesters: Vec<Mutex<PgConn>>,
    next_ingester: std::sync::atomic::AtomicUsize,
}

/// Read connections: pages read beside each other (PostgreSQL runs each connection's
/// statements one after another).
const READERS: usize = 3;

/// Connections that store devices' uploads: uploads of different devices are stored beside
/// each other and their commits share a WAL flush. Each transaction locks its devices' rows,
/// so two uploads of one device still follow each other.
const INGESTERS: usize = 3;

/// Statements kept per connection at most; past it the cache starts again (a statement with
/// `IN (…)` lists has one text per list length).
const MAX_STATEMENTS: usize = 512;

/// One connection and the statements prepared on it, by SQL text. Derefs to the client.
#[derive(Debug)]
pub struct PgConn {
    pub(super) client: Client,
    pub(super) statements: Statements,
}

/// Prepared statements by SQL text, valid on the connection that prepared them.
#[derive(Debug, Default)]
pub struct Statements(HashMap<String, tokio_postgres::Statement>);

impl Statements {
    /// The statement for `sql`, prepared through `client` (the connection or a transaction on
    /// it) the first time.
    pub async fn get<C: tokio_postgres::GenericClient>(&mut self, client: &C, sql: &str) -> std::result::Result<tokio_postgres::Statement, tokio_postgres::Error> {
        if let Some(st) = self.0.get(sql) {
            return Ok(st.clone());
        }
        let st = client.prepare(sql).await?;
        if self.0.len() >= MAX_STATEMENTS {
            self.0.clear();
        }
        self.0.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// Forgets every statement (after a migration changed the tables they read).
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::ops::Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

async fn open_client(url: &str, what: &'static str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(err(format!("connect ({what})")))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, connection = what, "PostgreSQL connection ended");
        }
    });
    Ok(client)
}

impl PgStore {
    /// Connects (no TLS: use a local socket or a trusted network).
    pub async fn connect(url: &str) -> Result<PgStore> {
        let client = open_client(url, "writer").await?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_client(url, "reader").await?);
        }
        let mut ingesters = Vec::with_capacity(INGESTERS);
        for _ in 0..INGESTERS {
            ingesters.push(open_client(url, "ingest").await?);
        }
        let conn = |client| Mutex::new(PgConn { client, statements: Statements::default() });
        Ok(PgStore {
            client: conn(client),
            readers: readers.into_iter().map(conn).collect(),
            next_reader: Default::default(),
            ingesters: ingesters.into_iter().map(conn).collect(),
            next_ingester: Default::default(),
        })
    }

    /// A free connection of `pool`, else the next one in turn.
    async fn any<'a>(pool: &'a [Mutex<PgConn>], next: &std::sync::atomic::AtomicUsize) -> tokio::sync::MutexGuard<'a, PgConn> {
        if let Some(free) = pool.iter().find_map(|r| r.try_lock().ok()) {
            return free;
        }
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % pool.len();
        pool[i].lock().await
    }

    /// The client, for other components' queries. Hold the guard briefly.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, PgConn> {
        self.client.lock().await
    }

    /// The read connection (reads only: the dashboard's pages and recaps). Hold the guard
    /// briefly.
    pub async fn lock_reader(&self) -> tokio::sync::MutexGuard<'_, PgConn> {
        Self::any(&self.readers, &self.next_reader).await
    }

    pub(super) async fn migrate(&self, list: &[Migration]) -> Result<usize> {
        let mut c = self.client.lock().await;
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,
                applied_at_ms BIGINT NOT NULL, PRIMARY KEY (component, version))",
        )
        .await
        .map_err(err("create schema_migrations"))?;
        let tx = c.transaction().await.map_err(err("migrate"))?;
        // One migrating server at a time.
        tx.execute("SELECT pg_advisory_xact_lock(7230001)", &[]).await.map_err(err("migration lock"))?;
        let applied: Vec<(String, i64)> = tx
            .query("SELECT component, version FROM schema_migrations", &[])
            .await
            .map_err(err("read schema_migrations"))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for (component, version) in &applied {
            let known = list.iter().any(|m| m.component == component && m.version == *version);
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
            tx.batch_execute(m.postgres).await.map_err(err(ctx.clone()))?;
            tx.execute(
                "INSERT INTO schema_migrations (component, version, name, applied_at_ms) VALUES ($1, $2, $3, $4)",
                &[&m.component, &m.version, &m.name, &wall_ms()],
            )
            .await
            .map_err(err(ctx))?;
            tracing::info!(component = m.component, version = m.version, name = m.name, "applied migration");
            count += 1;
        }
        tx.commit().await.map_err(err("migrate: commit"))?;
        drop(c);
        if count > 0 {
            self.client.lock().await.statements.clear();
            for r in self.readers.iter().chain(&self.ingesters) {
                r.lock().await.statements.clear();
            }
        }
        Ok(count)
    }

    pub(super) async fn create_enrol_token(&self, hash: &str, t: &NewToken, now_ms: i64) -> Result<()> {
        let c = self.client.lock().await;
        c.execute(
            "INSERT INTO enrol_tokens (token_sha256, device_id, site_id, mode, created_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&hash, &t.device_id, &t.site_id, &t.mode.as_str(), &now_ms, &t.expires_at_ms],
        )
        .await
        .map_err(err(format!("create enrolment token for {}", t.device_id)))?;
        Ok(())
    }

    pub(super) async fn enrol(
        &self,
        hash: &str,
        key: PublicKey,
        app_version: &str,
        now_ms: i64,
    ) -> Result<std::result::Result<DeviceInfo, EnrolRefusal>> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("enrol"))?;
        let row = tx
            .query_opt(
                "SELECT device_id, site_id, mode, expires_at_ms, used_at_ms FROM enrol_tokens
                 WHERE token_sha256 = $1 FOR UPDATE",
                &[&hash],
            )
            .await
            .map_err(err("enrol: read token"))?;
        let Some(row) = row else { return Ok(Err(EnrolRefusal::UnknownToken)) };
        let (device_id, site_id, mode): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let (expires, used): (i64, Option<i64>) = (row.get(3), row.get(4));
        if used.is_some() {
            // The same device asking again gets the same answer (see the SQLite backend).
            let same = tx
                .query_opt(
                    "SELECT last_seq FROM devices WHERE device_id = $1 AND public_key = $2 AND revoked_at_ms IS NULL",
                    &[&device_id, &key.to_hex()],
                )
                .await
                .map_err(err("enrol: read device"))?;
            return Ok(match same {
                Some(row) => {
                    let last_seq: i64 = row.get(0);
                    let mode = parse_mode(&mode)?;
                    let last_seq = u64::try_from(last_seq).unwrap_or(0);
                    Ok(DeviceInfo { device_id, site_id, mode, public_key: key, revoked_at_ms: None, last_seq })
                }
                None => Err(EnrolRefusal::TokenUsed),
            });
        }
        if now_ms > expires {
            return Ok(Err(EnrolRefusal::TokenExpired));
        }
        let exists = tx
            .query_opt("SELECT 1 FROM devices WHERE device_id = $1", &[&device_id])
            .await
            .map_err(err("enrol: read device"))?
            .is_some();
        if exists {
            return Ok(Err(EnrolRefusal::DeviceExists));
        }
        tx.execute("UPDATE enrol_tokens SET used_at_ms = $1 WHERE token_sha256 = $2", &[&now_ms, &hash])
            .await
            .map_err(err("enrol: use token"))?;
        tx.execute(
            "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seq, last_hash)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            &[&device_id, &site_id, &mode, &key.to_hex(), &app_version, &now_ms, &Digest::ZERO.to_hex()],
        )
        .await
        .map_err(err(format!("enrol: insert device {device_id}")))?;
        tx.commit().await.map_err(err("enrol: commit"))?;
        let mode = parse_mode(&mode)?;
        Ok(Ok(DeviceInfo { device_id, site_id, mode, public_key: key, revoked_at_ms: None, last_seq: 0 }))
    }

    pub(super) async fn revoke_device(&self, id: &str, now_ms: i64) -> Result<bool> {
        let c = self.client.lock().await;
        let n = c
            .execute(
                "UPDATE devices SET revoked_at_ms = COALESCE(revoked_at_ms, $1) WHERE device_id = $2",
                &[&now_ms, &id],
            )
            .await
            .map_err(err(format!("revoke {id}")))?;
        Ok(n > 0)
    }

    pub(super) async fn devices(&self, ids: &[String]) -> Result<HashMap<String, DeviceInfo>> {
        let c = self.client.lock().await;
        let rows = c
            .query(
                "SELECT device_id, site_id, mode, public_key, revoked_at_ms, last_seq FROM devices
                 WHERE device_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(err("read devices"))?;
        let mut out = HashMap::new();
        for r in rows {
            let info = DeviceInfo {
                device_id: r.get(0),
                site_id: r.get(1),
                mode: parse_mode(r.get(2))?,
                public_key: parse_key(r.get(3))?,
                revoked_at_ms: r.get(4),
                last_seq: r.get::<_, i64>(5) as u64,
            };
            out.insert(info.device_id.clone(), info);
        }
        Ok(out)
    }

    pub(super) async fn store_verified(&self, verified: &[Verified], extras: &BatchExtras, now_ms: i64) -> Result<Vec<Outcome>> {
        let mut c = Self::any(&self.ingesters, &self.next_ingester).await;
        let PgConn { client, statements } = &mut *c;
        let tx = client.transaction().await.map_err(err("begin ingest"))?;
        // Lock every device row of the batch at once, in id order (two servers never wait on
        // each other crosswise), and read the chain heads: one round trip.
        let mut ids: Vec<&str> = verified.iter().map(|v| v.record.body.device_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut heads: HashMap<String, (ChainHead, bool)> = HashMap::new();
        if !ids.is_empty() {
            let st = statements
                .get(&tx, "SELECT device_id, last_seq, last_hash FROM devices WHERE device_id = ANY($1) ORDER BY device_id FOR UPDATE")
                .await
                .map_err(err("prepare chain heads"))?;
            let rows = tx
                .query(&st, &[&ids])
                .await
                .map_err(err("read chain heads"))?;
            for row in rows {
                let head = ChainHead { seq: row.get::<_, i64>(1) as u64, hash: parse_digest(row.get(2))? };
                heads.insert(row.get(0), (head, false));
            }
        }
        // Decide every record first (records decided in this batch count as stored), then write
        // the records in one multi-row statement.
        let mut outcomes = Vec::with_capacity(verified.len());
        let mut to_insert: Vec<&Verified> = Vec::with_capacity(verified.len());
        let mut decided: HashMap<(&str, u64), Existing> = HashMap::new();
        for v in verified {
            let b = &v.record.body;
            let (head, changed) = heads
                .get_mut(&b.device_id)
                .ok_or_else(|| StorageError::Corrupt(format!("device {} vanished during ingest", b.device_id)))?;
            let found = if b.seq > head.seq {
                None
            } else if let Some(e) = decided.get(&(b.device_id.as_str(), b.seq)) {
                Some(e.clone())
            } else {
                existing(&tx, statements, &b.device_id, b.seq).await?
            };
            let (outcome, write) = decide(*head, v, found.as_ref());
            match &write {
                Write::Record => {
                    to_insert.push(v);
                    decided.insert((b.device_id.as_str(), b.seq), Existing::Stored(v.hash));
                    *head = ChainHead { seq: b.seq, hash: v.hash };
                    *changed = true;
                }
                Write::Quarantine(reason) => {
                    let st = tx.prepare(&insert_sql(true)).await.map_err(err("prepare quarantine"))?;
                    insert(&tx, &st, v, now_ms, Some(reason)).await?;
                    decided.insert((b.device_id.as_str(), b.seq), Existing::Quarantined(v.hash, reason.clone()));
                    *head = ChainHead { seq: b.seq, hash: v.hash };
                    *changed = true;
                }
                Write::ChainEvent(reason, detail) => {
                    tx.execute(
                        "INSERT INTO chain_events (device_id, seq, reason, detail, record_hash, at_ms)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        &[&b.device_id, &(b.seq as i64), reason, detail, &v.hash.to_hex(), &now_ms],
                    )
                    .await
                    .map_err(err("record chain event"))?;
                }
                Write::Nothing => {}
            }
            outcomes.push(outcome);
        }
        if !to_insert.is_empty() {
            insert_records(&tx, statements, &to_insert, now_ms).await?;
            for v in to_insert.iter().filter(|v| !v.flags.is_empty()) {
                let b = &v.record.body;
                tx.execute(super::INSERT_FLAGS, &[&b.recorded_at_ms, &super::flags_json(&v.flags), &b.device_id, &(b.seq as i64)])
                    .await
                    .map_err(err("store record flags"))?;
            }
        }
        for (device, (head, changed)) in &heads {
            if *changed {
                let st = statements
                    .get(&tx, "UPDATE devices SET last_seq = $1, last_hash = $2, last_seen_ms = $3 WHERE device_id = $4")
                    .await
                    .map_err(err("prepare chain head update"))?;
                tx.execute(
                    &st,
                    &[&(head.seq as i64), &head.hash.to_hex(), &now_ms, device],
                )
                .await
                .map_err(err(format!("advance chain head of {device}")))?;
            }
        }
        for r in &extras.refusals {
            tx.execute(
                "INSERT INTO refused_uploads (device_id, seq, reason, detail, record_hash, remote_addr, forwarded_for, at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &r.device_id,
                    &r.seq.map(|s| s as i64),
                    &r.reason,
                    &r.detail,
                    &r.record_hash,
                    &r.remote_addr,
                    &r.forwarded_for,
                    &r.at_ms,
                ],
            )
            .await
            .map_err(err("keep refused upload"))?;
        }
        if let Some(w) = &extras.watermark {
            tx.execute(
                "UPDATE devices SET synced_until_ms = GREATEST(COALESCE(synced_until_ms, $1), $1)
                 WHERE device_id = $2 AND last_seq >= $3 AND revoked_at_ms IS NULL",
                &[&w.until_ms, &w.device_id, &(w.last_seq as i64)],
            )
            .await
            .map_err(err(format!("advance sync watermark of {}", w.device_id)))?;
        }
        let started = std::time::Instant::now();
        tx.commit().await.map_err(err("commit ingest"))?;
        super::note_commit(started);
        Ok(outcomes)
    }

    pub(super) async fn refused_uploads(&self, device: Option<&str>, limit: u32) -> Result<Vec<RefusedUpload>> {
        let c = self.client.lock().await;
        let rows = c
            .query(
                "SELECT device_id, seq, reason, detail, record_hash, remote_addr, forwarded_for, at_ms FROM refused_uploads
                 WHERE $1::TEXT IS NULL OR device_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
                &[&device, &i64::from(limit)],
            )
            .await
            .map_err(err("read refused uploads"))?;
        Ok(rows
            .iter()
            .map(|r| RefusedUpload {
                device_id: r.get(0),
                seq: r.get::<_, Option<i64>>(1).map(|s| s as u64),
                reason: r.get(2),
                detail: r.get(3),
                record_hash: r.get(4),
                remote_addr: r.get(5),
                forwarded_for: r.get(6),
                at_ms: r.get(7),
            })
            .collect())
    }

    pub(super) async fn synced_until(&self, id: &str) -> Result<Option<i64>> {
        let c = self.client.lock().await;
        let row = c
            .query_opt("SELECT synced_until_ms FROM devices WHERE device_id = $1", &[&id])
            .await
            .map_err(err(format!("read watermark of {id}")))?;
        Ok(row.and_then(|r| r.get::<_, Option<i64>>(0)))
    }

    pub(super) async fn put_photo(&self, device: &str, sha: Digest, blob: &[u8], key_id: Option<&str>, now_ms: i64) -> Result<Option<bool>> {
        let c = self.client.lock().await;
        let hex = sha.to_hex();
        let named = c
            .query_opt(
                "SELECT 1 FROM records WHERE device_id = $1 AND photo_sha256 = $2
                 UNION ALL SELECT 1 FROM quarantine WHERE device_id = $1 AND photo_sha256 = $2 LIMIT 1",
                &[&device, &hex],
            )
            .await
            .map_err(err("look up photo's record"))?
            .is_some();
        if !named {
            return Ok(None);
        }
        let n = c
            .execute(
                "INSERT INTO photos (sha256, jpeg, received_at_ms, key_id) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
                &[&hex, &blob, &now_ms, &key_id],
            )
            .await
            .map_err(err(format!("store photo {hex}")))?;
        Ok(Some(n > 0))
    }

    pub(super) async fn photo(&self, sha: Digest) -> Result<Option<(Vec<u8>, Option<String>)>> {
        let c = self.client.lock().await;
        let row = c
            .query_opt("SELECT jpeg, key_id FROM photos WHERE sha256 = $1", &[&sha.to_hex()])
            .await
            .map_err(err("read photo"))?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    pub(super) async fn upsert_employee(&self, e: &EmployeeInput) -> Result<i64> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("upsert employee"))?;
        let rev = bump_revision(&tx).await?;
        tx.execute(
            "INSERT INTO employees (employee_id, name, site_id, section_id, pin_hash, revision, removed_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, NULL)
             ON CONFLICT (employee_id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id,
               section_id = excluded.section_id, pin_hash = excluded.pin_hash,
               revision = excluded.revision, removed_at_ms = NULL",
            &[&e.employee_id, &e.name, &e.site_id, &e.section_id, &e.pin_hash, &rev],
        )
        .await
        .map_err(err(format!("upsert employee {}", e.employee_id)))?;
        tx.commit().await.map_err(err("upsert employee: commit"))?;
        Ok(rev)
    }

    pub(super) async fn insert_template(&self, t: &SealedTemplate) -> Result<std::result::Result<TemplateUploadResponse, TemplateRefusal>> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("add template"))?;
        // Lock the employee row: a removal cannot slip between the check and the insert.
        let present = tx
            .query_opt(
                "SELECT revision FROM employees WHERE employee_id = $1 AND removed_at_ms IS NULL
                 AND ($2::TEXT IS NULL OR site_id = $2) FOR UPDATE",
                &[&t.employee_id, &t.site_id],
            )
            .await
            .map_err(err("add template: read employee"))?;
        let Some(present) = present else { return Ok(Err(TemplateRefusal::UnknownEmployee)) };
        let existing = tx
            .query_opt(
                "SELECT template_id FROM face_templates WHERE employee_id = $1 AND content_digest = $2",
                &[&t.employee_id, &t.content_digest],
            )
            .await
            .map_err(err("add template: look for the same template"))?;
        if let Some(row) = existing {
            return Ok(Ok(TemplateUploadResponse { template_id: row.get(0), stored_now: false, roster_revision: present.get(0) }));
        }
        let rev = bump_revision(&tx).await?;
        tx.execute("UPDATE employees SET revision = $1 WHERE employee_id = $2", &[&rev, &t.employee_id])
            .await
            .map_err(err("add template: touch employee"))?;
        let row = tx
            .query_one(
                "INSERT INTO face_templates (employee_id, model_version, embedding, created_at_ms, key_id, content_digest,
                   source_device_id, enrolled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING template_id",
                &[
                    &t.employee_id,
                    &t.model_version,
                    &t.sealed,
                    &t.created_at_ms,
                    &t.key_id,
                    &t.content_digest,
                    &t.source_device_id,
                    &t.enrolled_at_ms,
                ],
            )
            .await
            .map_err(err(format!("add template for {}", t.employee_id)))?;
        tx.commit().await.map_err(err("add template: commit"))?;
        Ok(Ok(TemplateUploadResponse { template_id: row.get(0), stored_now: true, roster_revision: rev }))
    }

    pub(super) async fn templates_of(&self, employee: &str) -> Result<Vec<TemplateRow>> {
        let c = self.client.lock().await;
        let rows = c
            .query(
                &format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE employee_id = $1 ORDER BY template_id"),
                &[&employee],
            )
            .await
            .map_err(err(format!("read templates of {employee}")))?;
        Ok(rows.iter().map(template_row).collect())
    }

    pub(super) async fn clear_templates(&self) -> Result<Vec<TemplateRow>> {
        let c = self.client.lock().await;
        let rows = c
            .query(&format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE key_id IS NULL ORDER BY template_id"), &[])
            .await
            .map_err(err("read templates stored in clear"))?;
        Ok(rows.iter().map(template_row).collect())
    }

    pub(super) async fn reseal_template(&self, id: i64, sealed: &[u8], key_id: &str, digest: &str) -> Result<()> {
        let c = self.client.lock().await;
        c.execute(
            "UPDATE face_templates SET embedding = $1, key_id = $2, content_digest = $3 WHERE template_id = $4 AND key_id IS NULL",
            &[&sealed, &key_id, &digest, &id],
        )
        .await
        .map_err(err(format!("seal template {id}")))?;
        Ok(())
    }

    pub(super) async fn remove_employee(&self, employee: &str, now_ms: i64) -> Result<bool> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("remove employee"))?;
        let rev = bump_revision(&tx).await?;
        tx.execute("DELETE FROM face_templates WHERE employee_id = $1", &[&employee])
            .await
            .map_err(err(format!("delete templates of {employee}")))?;
        let n = tx
            .execute(
                "UPDATE employees SET pin_hash = NULL, removed_at_ms = $1, revision = $2 WHERE employee_id = $3",
                &[&now_ms, &rev, &employee],
            )
            .await
            .map_err(err(format!("remove employee {employee}")))?;
        if n == 0 {
            return Ok(false);
        }
        tx.commit().await.map_err(err("remove employee: commit"))?;
        Ok(true)
    }

    pub(super) async fn roster_since(&self, site: &str, since: i64) -> Result<(i64, Vec<RosterRow>)> {
        let mut c = self.client.lock().await;
        // Repeatable read: the counter and the rows come from one snapshot.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(err("roster"))?;
        let revision: i64 = tx
            .query_one("SELECT revision FROM roster_state WHERE id = 1", &[])
            .await
            .map_err(err("read roster revision"))?
            .get(0);
        let people = tx
            .query(
                "SELECT employee_id, name, section_id, pin_hash, removed_at_ms FROM employees
                 WHERE site_id = $1 AND revision > $2 ORDER BY employee_id",
                &[&site, &since],
            )
            .await
            .map_err(err("read roster"))?;
        let mut rows = Vec::new();
        for p in people {
            let id: String = p.get(0);
            if p.get::<_, Option<i64>>(4).is_some() {
                rows.push(RosterRow::Removed(id));
                continue;
            }
            let templates = tx
                .query(
                    &format!("SELECT {TEMPLATE_COLUMNS} FROM face_templates WHERE employee_id = $1 ORDER BY template_id"),
                    &[&id],
                )
                .await
                .map_err(err(format!("read templates of {id}")))?
                .iter()
                .map(template_row)
                .collect();
            rows.push(RosterRow::Present(
                RosterEmployee { id, name: p.get(1), section_id: p.get(2), pin_hash: p.get(3), templates: Vec::new() },
                templates,
            ));
        }
        tx.commit().await.map_err(err("roster: end"))?;
        Ok((revision, rows))
    }

    pub(super) async fn touch_device(&self, id: &str, now_ms: i64) -> Result<()> {
        let c = self.client.lock().await;
        c.execute("UPDATE devices SET last_seen_ms = $1 WHERE device_id = $2", &[&now_ms, &id])
            .await
            .map_err(err(format!("touch {id}")))?;
        Ok(())
    }

    pub(super) async fn counts(&self) -> Result<Counts> {
        let c = self.client.lock().await;
        let row = c
            .query_one(
                "SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM quarantine),
                        (SELECT COUNT(*) FROM chain_events), (SELECT COUNT(*) FROM photos)",
                &[],
            )
            .await
            .map_err(err("counts"))?;
        Ok(Counts {
            records: row.get::<_, i64>(0) as u64,
            quarantined: row.get::<_, i64>(1) as u64,
            chain_events: row.get::<_, i64>(2) as u64,
            photos: row.get::<_, i64>(3) as u64,
        })
    }

    pub(super) async fn device_records(&self, id: &str) -> Result<Vec<(u64, Digest)>> {
        let c = self.client.lock().await;
        let rows = c
            .query("SELECT seq, record_hash FROM records WHERE device_id = $1 ORDER BY seq", &[&id])
            .await
            .map_err(err("read device records"))?;
        rows.iter().map(|r| Ok((r.get::<_, i64>(0) as u64, parse_digest(r.get(1))?))).collect()
    }
}

const TEMPLATE_COLUMNS: &str = "template_id, employee_id, model_version, embedding, key_id, source_device_id, created_at_ms";

fn template_row(r: &tokio_postgres::Row) -> TemplateRow {
    TemplateRow {
        template_id: r.get(0),
        employee_id: r.get(1),
        model_version: r.get(2),
        blob: r.get(3),
        key_id: r.get(4),
        source_device_id: r.get(5),
        created_at_ms: r.get(6),
    }
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn bump_revision(tx: &Transaction<'_>) -> Result<i64> {
    Ok(tx
        .query_one("UPDATE roster_state SET revision = revision + 1 WHERE id = 1 RETURNING revision", &[])
        .await
        .map_err(err("bump roster revision"))?
        .get(0))
}

fn insert_sql(quarantine: bool) -> String {
    let cols = "device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
        match_score_bp, liveness_score_bp, decision, gps_lat_e7, gps_lon_e7, gps_accuracy_dm,
        gps_hdop_centi, gps_satellites, gps_fix_at_ms, photo_sha256, app_version, model_version,
        prev_hash, clock_since_sync_ms, clock_sync_offset_ms, clock_gps_time_ms, clock_jumped,
        record_hash, signature, canonical, received_at_ms, gps_fix_mode";
    let n = if quarantine { 30 } else { 29 };
    let params: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    let (table, extra) = if quarantine { ("quarantine", ", reason") } else { ("records", "") };
    format!("INSERT INTO {table} ({cols}{extra}) VALUES ({})", params.join(", "))
}

async fn insert(
    tx: &Transaction<'_>,
    st: &tokio_postgres::Statement,
    v: &Verified,
    now_ms: i64,
    reason: Option<&String>,
) -> Result<()> {
    let b = &v.record.body;
    let fix = b.fix();
    let gps = fix.as_ref();
    let seq = b.seq as i64;
    let utc = i32::from(b.utc_offset_min);
    let (ms, ls) = (i32::from(b.match_score.0), i32::from(b.liveness_score.0));
    let lat = gps.map(|g| g.lat_e7);
    let lon = gps.map(|g| g.lon_e7);
    let acc = gps.map(|g| i64::from(g.accuracy_dm));
    let hdop = gps.and_then(|g| g.hdop_centi).map(i32::from);
    let fix_mode = gps.and_then(|g| g.fix_mode).map(FixMode::as_str);
    let sats = gps.map(|g| i32::from(g.satellites));
    let fix = gps.map(|g| g.fix_at_ms);
    let photo = b.photo_sha256.to_hex();
    let prev = b.prev_hash.to_hex();
    let since = b.clock.since_sync_monotonic_ms.map(|v| v as i64);
    let jumped = i32::from(b.clock.clock_jumped);
    let hash = v.hash.to_hex();
    let sig = v.record.signature.to_hex();
    let (direction, mode, decision) = (direction_text(b.direction), b.mode.as_str(), decision_text(b.decision));
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &b.device_id,
        &seq,
        &b.employee_id,
        &direction,
        &b.recorded_at_ms,
        &utc,
        &mode,
        &ms,
        &ls,
        &decision,
        &lat,
        &lon,
        &acc,
        &hdop,
        &sats,
        &fix,
        &photo,
        &b.app_version,
        &b.model_version,
        &prev,
        &since,
        &b.clock.last_sync_offset_ms,
        &b.clock.gps_time_ms,
        &jumped,
        &hash,
        &sig,
        &v.canonical,
        &now_ms,
        &fix_mode,
    ];
    if let Some(r) = &reason {
        params.push(r);
    }
    tx.execute(st, &params).await.map_err(err(format!("store record {}/{}", b.device_id, b.seq)))?;
    Ok(())
}

/// Inserts many records with one statement (`INSERT … SELECT * FROM UNNEST(arrays)`): one
/// round trip for a whole batch instead of one per record.
async fn insert_records(tx: &Transaction<'_>, statements: &mut Statements, rows: &[&Verified], now_ms: i64) -> Result<()> {
    let n = rows.len();
    let bodies: Vec<&hadir_protocol::RecordBody> = rows.iter().map(|v| &v.record.body).collect();
    let device: Vec<&str> = bodies.iter().map(|b| b.device_id.as_str()).collect();
    let seq: Vec<i64> = bodies.iter().map(|b| b.seq as i64).collect();
    let employee: Vec<&str> = bodies.iter().map(|b| b.employee_id.as_str()).collect();
    let direction: Vec<&str> = bodies.iter().map(|b| direction_text(b.direction)).collect();
    let recorded: Vec<i64> = bodies.iter().map(|b| b.recorded_at_ms).collect();
    let utc: Vec<i32> = bodies.iter().map(|b| i32::from(b.utc_offset_min)).collect();
    let mode: Vec<&str> = bodies.iter().map(|b| b.mode.as_str()).collect();
    let ms: Vec<i32> = bodies.iter().map(|b| i32::from(b.match_score.0)).collect();
    let ls: Vec<i32> = bodies.iter().map(|b| i32::from(b.liveness_score.0)).collect();
    let decision: Vec<&str> = bodies.iter().map(|b| decision_text(b.decision)).collect();
    let fixes: Vec<Option<GpsFix>> = bodies.iter().map(|b| b.fix()).collect();
    let lat: Vec<Option<i32>> = fixes.iter().map(|g| g.map(|g| g.lat_e7)).collect();
    let lon: Vec<Option<i32>> = fixes.iter().map(|g| g.map(|g| g.lon_e7)).collect();
    let acc: Vec<Option<i64>> = fixes.iter().map(|g| g.map(|g| i64::from(g.accuracy_dm))).collect();
    let hdop: Vec<Option<i32>> = fixes.iter().map(|g| g.and_then(|g| g.hdop_centi).map(i32::from)).collect();
    let sats: Vec<Option<i32>> = fixes.iter().map(|g| g.map(|g| i32::from(g.satellites))).collect();
    let fix: Vec<Option<i64>> = fixes.iter().map(|g| g.map(|g| g.fix_at_ms)).collect();
    let fix_mode: Vec<Option<&str>> = fixes.iter().map(|g| g.and_then(|g| g.fix_mode).map(FixMode::as_str)).collect();
    let photo: Vec<String> = bodies.iter().map(|b| b.photo_sha256.to_hex()).collect();
    let app: Vec<&str> = bodies.iter().map(|b| b.app_version.as_str()).collect();
    let model: Vec<&str> = bodies.iter().map(|b| b.model_version.as_str()).collect();
    let prev: Vec<String> = bodies.iter().map(|b| b.prev_hash.to_hex()).collect();
    let since: Vec<Option<i64>> = bodies.iter().map(|b| b.clock.since_sync_monotonic_ms.map(|v| v as i64)).collect();
    let offset: Vec<Option<i64>> = bodies.iter().map(|b| b.clock.last_sync_offset_ms).collect();
    let gps_time: Vec<Option<i64>> = bodies.iter().map(|b| b.clock.gps_time_ms).collect();
    let jumped: Vec<i32> = bodies.iter().map(|b| i32::from(b.clock.clock_jumped)).collect();
    let hash: Vec<String> = rows.iter().map(|v| v.hash.to_hex()).collect();
    let sig: Vec<String> = rows.iter().map(|v| v.record.signature.to_hex()).collect();
    let canonical: Vec<&[u8]> = rows.iter().map(|v| v.canonical.as_slice()).collect();
    let received: Vec<i64> = vec![now_ms; n];
    let sql = "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
        match_score_bp, liveness_score_bp, decision, gps_lat_e7, gps_lon_e7, gps_accuracy_dm,
        gps_hdop_centi, gps_satellites, gps_fix_at_ms, photo_sha256, app_version, model_version,
        prev_hash, clock_since_sync_ms, clock_sync_offset_ms, clock_gps_time_ms, clock_jumped,
        record_hash, signature, canonical, received_at_ms, gps_fix_mode)
        SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::INT[], $7::TEXT[],
            $8::INT[], $9::INT[], $10::TEXT[], $11::INT[], $12::INT[], $13::BIGINT[], $14::INT[], $15::INT[],
            $16::BIGINT[], $17::TEXT[], $18::TEXT[], $19::TEXT[], $20::TEXT[], $21::BIGINT[], $22::BIGINT[],
            $23::BIGINT[], $24::INT[], $25::TEXT[], $26::TEXT[], $27::BYTEA[], $28::BIGINT[], $29::TEXT[])";
    let st = statements.get(tx, sql).await.map_err(err("prepare the records' insert"))?;
    tx.execute(
        &st,
        &[
            &device, &seq, &employee, &direction, &recorded, &utc, &mode, &ms, &ls, &decision, &lat, &lon, &acc, &hdop,
            &sats, &fix, &photo, &app, &model, &prev, &since, &offset, &gps_time, &jumped, &hash, &sig, &canonical,
            &received, &fix_mode,
        ],
    )
    .await
    .map_err(err(format!("store {n} records")))?;
    Ok(())
}

async fn existing(tx: &Transaction<'_>, statements: &mut Statements, device: &str, seq: u64) -> Result<Option<Existing>> {
    let s = seq as i64;
    let st = statements.get(tx, "SELECT record_hash FROM records WHERE device_id = $1 AND seq = $2").await.map_err(err("prepare a record's lookup"))?;
    let stored = tx
        .query_opt(&st, &[&device, &s])
        .await
        .map_err(err(format!("look up {device}/{seq}")))?;
    if let Some(r) = stored {
        return Ok(Some(Existing::Stored(parse_digest(r.get(0))?)));
    }
    let q = tx
        .query_opt("SELECT record_hash, reason FROM quarantine WHERE device_id = $1 AND seq = $2", &[&device, &s])
        .await
        .map_err(err(format!("look up {device}/{seq}")))?;
    match q {
        Some(r) => Ok(Some(Existing::Quarantined(parse_digest(r.get(0))?, r.get(1)))),
        None => Ok(None),
    }
}
