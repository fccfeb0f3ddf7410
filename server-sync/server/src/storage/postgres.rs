//! The PostgreSQL backend (scale-out).
//!
//! One connection (tokio-postgres) behind an async mutex; a batch is one transaction, and the
//! device row is locked (`SELECT … FOR UPDATE`) while its chain head moves, so two servers (or
//! two requests) can never store two records at one chain position.
//!
//! # Troubleshooting
//!
//! - `connection refused` / `No such file or directory`: PostgreSQL is not running or the
//!   `host=` (a socket directory or a host name) is wrong.
//! - `role "…" does not exist`: create the role, or set `user=` in `storage.postgres_url`.

use super::{
    Counts, DeviceInfo, EmployeeInput, EnrolRefusal, Migration, NewToken, Result, RosterRow,
    StorageError, Write, decision_text, direction_text, parse_digest, parse_key, parse_mode,
};
use crate::ingest::{Existing, Verified, decide};
use hadir_protocol::api::{FaceTemplate, RosterEmployee};
use hadir_protocol::{ChainHead, Digest, Outcome, PublicKey};
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
    client: Mutex<Client>,
}

impl PgStore {
    /// Connects (no TLS: use a local socket or a trusted network).
    pub async fn connect(url: &str) -> Result<PgStore> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(err("connect"))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::error!(error = %e, "PostgreSQL connection ended");
            }
        });
        Ok(PgStore { client: Mutex::new(client) })
    }

    /// The client, for other components' queries. Hold the guard briefly.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Client> {
        self.client.lock().await
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
            return Ok(Err(EnrolRefusal::TokenUsed));
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

    pub(super) async fn store_verified(&self, verified: &[Verified], now_ms: i64) -> Result<Vec<Outcome>> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("begin ingest"))?;
        let mut heads: HashMap<String, (ChainHead, bool)> = HashMap::new();
        let mut outcomes = Vec::with_capacity(verified.len());
        let insert_record = tx.prepare(&insert_sql(false)).await.map_err(err("prepare insert"))?;
        for v in verified {
            let b = &v.record.body;
            if !heads.contains_key(&b.device_id) {
                let row = tx
                    .query_one("SELECT last_seq, last_hash FROM devices WHERE device_id = $1 FOR UPDATE", &[&b.device_id])
                    .await
                    .map_err(err(format!("read chain head of {}", b.device_id)))?;
                let head = ChainHead { seq: row.get::<_, i64>(0) as u64, hash: parse_digest(row.get(1))? };
                heads.insert(b.device_id.clone(), (head, false));
            }
            let (head, changed) = heads.get_mut(&b.device_id).ok_or_else(|| StorageError::Corrupt("head".into()))?;
            let found = if b.seq <= head.seq { existing(&tx, &b.device_id, b.seq).await? } else { None };
            let (outcome, write) = decide(*head, v, found.as_ref());
            match &write {
                Write::Record => {
                    insert(&tx, &insert_record, v, now_ms, None).await?;
                    *head = ChainHead { seq: b.seq, hash: v.hash };
                    *changed = true;
                }
                Write::Quarantine(reason) => {
                    let st = tx.prepare(&insert_sql(true)).await.map_err(err("prepare quarantine"))?;
                    insert(&tx, &st, v, now_ms, Some(reason)).await?;
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
        for (device, (head, changed)) in &heads {
            if *changed {
                tx.execute(
                    "UPDATE devices SET last_seq = $1, last_hash = $2, last_seen_ms = $3 WHERE device_id = $4",
                    &[&(head.seq as i64), &head.hash.to_hex(), &now_ms, device],
                )
                .await
                .map_err(err(format!("advance chain head of {device}")))?;
            }
        }
        tx.commit().await.map_err(err("commit ingest"))?;
        Ok(outcomes)
    }

    pub(super) async fn put_photo(&self, device: &str, sha: Digest, jpeg: &[u8], now_ms: i64) -> Result<Option<bool>> {
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
                "INSERT INTO photos (sha256, jpeg, received_at_ms) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                &[&hex, &jpeg, &now_ms],
            )
            .await
            .map_err(err(format!("store photo {hex}")))?;
        Ok(Some(n > 0))
    }

    pub(super) async fn photo(&self, sha: Digest) -> Result<Option<Vec<u8>>> {
        let c = self.client.lock().await;
        let row = c
            .query_opt("SELECT jpeg FROM photos WHERE sha256 = $1", &[&sha.to_hex()])
            .await
            .map_err(err("read photo"))?;
        Ok(row.map(|r| r.get(0)))
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

    pub(super) async fn add_template(&self, employee: &str, model: &str, bytes: &[u8], now_ms: i64) -> Result<i64> {
        let mut c = self.client.lock().await;
        let tx = c.transaction().await.map_err(err("add template"))?;
        let rev = bump_revision(&tx).await?;
        let n = tx
            .execute(
                "UPDATE employees SET revision = $1 WHERE employee_id = $2 AND removed_at_ms IS NULL",
                &[&rev, &employee],
            )
            .await
            .map_err(err("add template: touch employee"))?;
        if n == 0 {
            return Err(StorageError::Corrupt(format!("no present employee {employee} for a template")));
        }
        let row = tx
            .query_one(
                "INSERT INTO face_templates (employee_id, model_version, embedding, created_at_ms)
                 VALUES ($1, $2, $3, $4) RETURNING template_id",
                &[&employee, &model, &bytes, &now_ms],
            )
            .await
            .map_err(err(format!("add template for {employee}")))?;
        tx.commit().await.map_err(err("add template: commit"))?;
        Ok(row.get(0))
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
                    "SELECT template_id, model_version, embedding FROM face_templates WHERE employee_id = $1 ORDER BY template_id",
                    &[&id],
                )
                .await
                .map_err(err(format!("read templates of {id}")))?
                .iter()
                .map(|t| FaceTemplate {
                    id: t.get(0),
                    model_version: t.get(1),
                    embedding_b64: crate::roster::embedding_b64(t.get::<_, &[u8]>(2)),
                })
                .collect();
            rows.push(RosterRow::Present(RosterEmployee {
                id,
                name: p.get(1),
                section_id: p.get(2),
                pin_hash: p.get(3),
                templates,
            }));
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
        record_hash, signature, canonical, received_at_ms";
    let n = if quarantine { 29 } else { 28 };
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
    let gps = b.gps.as_ref();
    let seq = b.seq as i64;
    let utc = i32::from(b.utc_offset_min);
    let (ms, ls) = (i32::from(b.match_score.0), i32::from(b.liveness_score.0));
    let lat = gps.map(|g| g.lat_e7);
    let lon = gps.map(|g| g.lon_e7);
    let acc = gps.map(|g| i64::from(g.accuracy_dm));
    let hdop = gps.map(|g| i32::from(g.hdop_centi));
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
    ];
    if let Some(r) = &reason {
        params.push(r);
    }
    tx.execute(st, &params).await.map_err(err(format!("store record {}/{}", b.device_id, b.seq)))?;
    Ok(())
}

async fn existing(tx: &Transaction<'_>, device: &str, seq: u64) -> Result<Option<Existing>> {
    let s = seq as i64;
    let stored = tx
        .query_opt("SELECT record_hash FROM records WHERE device_id = $1 AND seq = $2", &[&device, &s])
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
