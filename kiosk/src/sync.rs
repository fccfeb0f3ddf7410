//! # Sync with the central server: roster in, records out
//!
//! - Roster: [`apply_roster`] applies the server's roster changes (employees, PIN hashes,
//!   templates, removals, the site's rules with its employees' excused days) to the store in one
//!   go and remembers the revision, so the next fetch
//!   asks only for what changed. Templates of another model version are kept out (they cannot
//!   be compared) and counted.
//! - Records: the outbox is drained in sequence order by `hadir-client`'s uploader through the
//!   store (acknowledged records are marked, never deleted).
//! - Time: each successful exchange gives a server time sample; [`SyncHandle::last_time_sync`]
//!   is what the records' clock evidence uses.
//! - The idle screen shows the queue length and [`LAST_SYNC_KEY`].
//!
//! It must not decide attendance, and never deletes a record.

use crate::config::KioskConfig;
use crate::identity::Identity;
use crate::store::{EmployeeRow, Store, StoreError};
use hadir_protocol::api::RosterResponse;
use hadir_rules::SiteRules;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// kv key: the last successful sync, ms since the epoch.
pub const LAST_SYNC_KEY: &str = "last_sync_ms";
/// kv key: the roster revision the device has.
pub const ROSTER_REVISION_KEY: &str = "roster_revision";

/// What a roster update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RosterApplied {
    /// Employees added or changed.
    pub changed: usize,
    /// Employees removed (with their templates).
    pub removed: usize,
    /// Templates skipped: made by another model, or undecodable.
    pub skipped_templates: usize,
    /// The site's rules changed (zone, schedules, holidays, tolerances).
    pub rules_updated: bool,
}

/// Applies a roster answer to the store. Rules that do not read (a zone or hours this build
/// cannot use) are not applied: the kiosk keeps its previous rules and the error says why.
pub fn apply_roster(store: &mut Store, roster: &RosterResponse, model_version: &str, now_ms: i64) -> Result<RosterApplied, StoreError> {
    let mut applied = RosterApplied::default();
    if let Some(rules) = &roster.rules {
        match SiteRules::from_wire(rules) {
            Ok(_) => {
                store.set_site_rules(rules)?;
                applied.rules_updated = true;
            }
            Err(e) => tracing::error!(error = %e, "the roster's site rules are unusable; keeping the previous ones"),
        }
    }
    for e in &roster.changed {
        let mut templates = Vec::new();
        for t in &e.templates {
            match t.embedding() {
                Some(emb) if t.model_version == model_version => templates.push((t.model_version.clone(), emb)),
                _ => applied.skipped_templates += 1,
            }
        }
        // A template enrolled here and not yet taken by the server is not in the roster yet:
        // keep it until the server has it (the roster then brings it back).
        if templates.is_empty() && store.template_upload_state(&e.id)? == Some(crate::store::TemplateUploadState::Pending) {
            templates = store.templates(&e.id)?.into_iter().filter(|(m, _)| m == model_version).collect();
        }
        let row = EmployeeRow { id: e.id.clone(), name: e.name.clone(), section_id: e.section_id.clone(), pin_hash: e.pin_hash.clone() };
        store.upsert_employee(&row, &templates)?;
        applied.changed += 1;
    }
    for id in &roster.removed {
        store.remove_employee(id)?;
        applied.removed += 1;
    }
    store.set_kv(ROSTER_REVISION_KEY, &roster.revision.to_string())?;
    store.set_kv(LAST_SYNC_KEY, &now_ms.to_string())?;
    Ok(applied)
}

/// The roster revision to ask changes since (0 when the device has none).
pub fn roster_revision(store: &Store) -> Result<i64, StoreError> {
    Ok(store.kv(ROSTER_REVISION_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// A server time sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSync {
    /// When, on this process's monotonic clock.
    pub at: Instant,
    /// Device wall time then, ms since the epoch.
    pub device_wall_ms: i64,
    /// Server minus device, ms.
    pub offset_ms: i64,
}

/// Why the sync worker should run a round before its timer says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WakeReasons {
    /// A record was saved: send it now (push, not poll).
    pub record: bool,
    /// The administrator's "sync now" or a fresh enrolment: roster too.
    pub everything: bool,
}

/// The doorbell between the kiosk's loop and the sync worker: a saved record rings it and the
/// worker, asleep on the condition variable, starts its round at once.
#[derive(Debug, Default)]
pub struct Wake {
    reasons: Mutex<WakeReasons>,
    bell: Condvar,
}

impl Wake {
    /// Rings for `reasons` (merged with those not yet taken).
    pub fn ring(&self, reasons: WakeReasons) {
        if let Ok(mut r) = self.reasons.lock() {
            r.record |= reasons.record;
            r.everything |= reasons.everything;
        }
        self.bell.notify_all();
    }

    /// Waits up to `timeout` for a ring and takes the reasons (default when none came).
    pub fn wait(&self, timeout: Duration) -> WakeReasons {
        let Ok(guard) = self.reasons.lock() else { return WakeReasons::default() };
        let waited = self.bell.wait_timeout_while(guard, timeout, |r| *r == WakeReasons::default());
        match waited {
            Ok((mut r, _)) => std::mem::take(&mut *r),
            Err(_) => WakeReasons::default(),
        }
    }
}

/// The running sync worker.
#[derive(Debug)]
pub struct SyncHandle {
    time: Arc<Mutex<Option<TimeSync>>>,
    enrolled: Arc<Mutex<Option<String>>>,
    wake: Arc<Wake>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SyncHandle {
    /// The last server time sample.
    pub fn last_time_sync(&self) -> Option<TimeSync> {
        self.time.lock().ok().and_then(|t| *t)
    }

    /// The device id the server gave, once enrolled.
    pub fn device_id(&self) -> Option<String> {
        self.enrolled.lock().ok().and_then(|t| t.clone())
    }

    /// Starts a round now (roster, templates, outbox), without waiting for the schedule: the
    /// administrator's "sync now", and a fresh enrolment.
    pub fn sync_now(&self) {
        self.wake.ring(WakeReasons { record: true, everything: true });
    }

    /// A record was saved: the worker sends it now instead of at its next timer.
    pub fn record_saved(&self) {
        self.wake.ring(WakeReasons { record: true, everything: false });
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        // The worker sleeps on the bell: ring it so that it sees the shutdown flag at once.
        self.wake.ring(WakeReasons { record: false, everything: true });
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the sync worker when a server is configured (`server.url`): enrols the device with
/// the one-time token when it is not enrolled yet, then fetches the roster every
/// `server.roster_interval_s`, drains the outbox and samples the server time, retrying after
/// `server.upload_retry_s` when offline. Returns `None` without a server (records queue).
#[cfg(feature = "sync")]
pub fn spawn(
    cfg: &KioskConfig,
    identity: Identity,
    model_version: String,
    vitals: crate::health::SharedVitals,
    shutdown: Arc<AtomicBool>,
) -> Option<SyncHandle> {
    let url = cfg.server.url.clone()?;
    let trust = match server_trust(&cfg.server) {
        Ok(trust) => trust,
        Err(e) => {
            tracing::error!(error = %e, "the server's certificate setting is unusable: records stay queued");
            return None;
        }
    };
    let time = Arc::new(Mutex::new(None));
    let enrolled = Arc::new(Mutex::new(None));
    let wake = Arc::new(Wake::default());
    let worker = worker::Worker {
        wake: wake.clone(),
        url,
        trust,
        token: cfg.server.enrol_token.clone(),
        db: cfg.db_file(),
        identity,
        model_version,
        roster_every: std::time::Duration::from_secs(cfg.server.roster_interval_s.into()),
        retry_every: std::time::Duration::from_secs(cfg.server.upload_retry_s.into()),
        time: time.clone(),
        enrolled: enrolled.clone(),
        shutdown,
        vitals,
        data_dir: cfg.device.data_dir.clone(),
    };
    let thread = std::thread::Builder::new().name("sync".into()).spawn(move || worker.run());
    match thread {
        Ok(t) => Some(SyncHandle { time, enrolled, wake, thread: Some(t) }),
        Err(e) => {
            tracing::error!(error = %e, "sync worker not started: records stay queued");
            None
        }
    }
}

/// How the settings say to trust the server ([`crate::config::KioskConfig::validate`] has
/// checked that the keys go together).
#[cfg(feature = "sync")]
fn server_trust(s: &crate::config::ServerSection) -> Result<hadir_client::ServerTrust, hadir_client::TrustError> {
    use hadir_client::ServerTrust;
    match (&s.cert_sha256, &s.ca_file) {
        (Some(fp), _) => ServerTrust::pinned(fp),
        (None, Some(ca)) => {
            let name = ca.display().to_string();
            let pem = std::fs::read(ca).map_err(|e| hadir_client::TrustError::Ca { source_name: name.clone(), detail: e.to_string() })?;
            ServerTrust::ca_pem(&pem, &name)
        }
        (None, None) => Ok(ServerTrust::InsecureLan),
    }
}

/// Without the `sync` feature there is no uploader: records stay queued (nothing is lost).
#[cfg(not(feature = "sync"))]
pub fn spawn(
    cfg: &KioskConfig,
    _identity: Identity,
    _model_version: String,
    _vitals: crate::health::SharedVitals,
    _shutdown: Arc<AtomicBool>,
) -> Option<SyncHandle> {
    let url = cfg.server.url.as_ref()?;
    tracing::warn!(%url, "built without the `sync` feature: records stay queued in the outbox");
    None
}

#[cfg(feature = "sync")]
mod worker {
    use super::*;
    use crate::store::Store;
    use hadir_client::{Backoff, Outbox, OutboxError, Parked, Uploader, UploaderConfig};
    use hadir_protocol::{Digest, Record, RefusalReason};
    use std::sync::atomic::Ordering;

    /// Between rounds when all is well: the roster's and the heartbeat's timers are checked
    /// this often; records do not wait for it (they ring the [`Wake`]).
    const IDLE_POLL: Duration = Duration::from_secs(5);
    /// How often the device reports its health when nothing new is to be told.
    const HEALTH_EVERY: Duration = Duration::from_secs(60);
    /// The longest the worker sleeps without looking at the shutdown flag.
    const SHUTDOWN_CHECK: Duration = Duration::from_millis(250);

    fn now_ms() -> i64 {
        i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    }

    impl Outbox for Store {
        fn pending(&mut self, limit: usize) -> Result<Vec<Record>, OutboxError> {
            let limit = u32::try_from(limit).unwrap_or(u32::MAX);
            Ok(Store::pending(self, limit).map_err(OutboxError::new)?.into_iter().map(|p| p.record).collect())
        }

        fn acknowledge(&mut self, seqs: &[u64]) -> Result<(), OutboxError> {
            self.mark_acked(seqs, now_ms()).map_err(OutboxError::new)
        }

        fn park(&mut self, seq: u64, reason: RefusalReason, detail: &str) -> Result<(), OutboxError> {
            self.mark_refused(seq, &format!("{}: {detail}", reason.as_str()), now_ms()).map_err(OutboxError::new)
        }

        fn head_seq(&mut self) -> Result<Option<u64>, OutboxError> {
            Ok(Some(self.head().map_err(OutboxError::new)?.seq))
        }

        fn parked(&mut self) -> Result<Vec<Parked>, OutboxError> {
            let rows = self.refused().map_err(OutboxError::new)?;
            Ok(rows
                .into_iter()
                .map(|(record, text)| {
                    // Stored as "<wire name>: <detail>"; an unknown name (older kiosks wrote
                    // Rust's debug names) is read as malformed with the whole text as detail.
                    let (name, detail) = text.split_once(": ").unwrap_or((text.as_str(), ""));
                    match RefusalReason::parse(name) {
                        Some(reason) => Parked { record, reason, detail: detail.to_owned() },
                        None => Parked { record, reason: RefusalReason::Malformed, detail: text.clone() },
                    }
                })
                .collect())
        }

        fn requeue(&mut self, seqs: &[u64]) -> Result<usize, OutboxError> {
            self.requeue_refused(seqs).map_err(OutboxError::new)
        }

        fn pending_photos(&mut self, limit: usize) -> Result<Vec<Digest>, OutboxError> {
            self.photos_to_upload(u32::try_from(limit).unwrap_or(u32::MAX)).map_err(OutboxError::new)
        }

        fn photo(&mut self, sha256: Digest) -> Result<Option<Vec<u8>>, OutboxError> {
            self.photo_by_hash(&sha256).map_err(OutboxError::new)
        }

        fn photo_done(&mut self, sha256: Digest) -> Result<(), OutboxError> {
            self.photo_uploaded_by_hash(&sha256).map_err(OutboxError::new)
        }
    }

    /// Sends the template sets enrolled at this kiosk. `false` when the server was not reached
    /// (they stay queued); a refusal is final and kept for the administrator.
    async fn upload_templates(up: &Uploader, store: &mut Store) -> bool {
        let pending = match store.template_uploads_pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "template uploads unreadable");
                return false;
            }
        };
        for row in pending {
            let templates = match store.templates(&row.employee_id) {
                Ok(t) => t.into_iter().filter(|(m, _)| *m == row.model_version).map(|(_, e)| e).collect::<Vec<_>>(),
                Err(e) => {
                    tracing::error!(error = %e, "enrolled templates unreadable");
                    return false;
                }
            };
            let mut refused = None;
            for emb in &templates {
                match up.upload_template(&row.employee_id, &row.model_version, emb, row.enrolled_at_ms).await {
                    Ok(answer) => tracing::info!(employee = %row.employee_id, template = answer.template_id, "template sent"),
                    Err(e) if e.is_refusal() => {
                        refused = Some(e.to_string());
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "template upload failed; will retry");
                        return false;
                    }
                }
            }
            if let Some(why) = &refused {
                tracing::warn!(employee = %row.employee_id, reason = %why, "server refused the enrolled template; kept on the device");
            }
            if let Err(e) = store.template_upload_done(&row.employee_id, refused.as_deref(), now_ms()) {
                tracing::error!(error = %e, "template upload state not stored");
            }
        }
        true
    }

    pub(super) struct Worker {
        pub url: String,
        pub trust: hadir_client::ServerTrust,
        pub token: Option<String>,
        pub db: std::path::PathBuf,
        pub identity: Identity,
        pub model_version: String,
        pub roster_every: Duration,
        pub retry_every: Duration,
        pub time: Arc<Mutex<Option<TimeSync>>>,
        pub enrolled: Arc<Mutex<Option<String>>>,
        pub shutdown: Arc<AtomicBool>,
        pub wake: Arc<Wake>,
        pub vitals: crate::health::SharedVitals,
        pub data_dir: std::path::PathBuf,
    }

    impl Worker {
        pub fn run(self) {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "sync worker: no runtime; records stay queued");
                    return;
                }
            };
            let mut store = match Store::open(&self.db, &self.identity) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "sync worker: store not opened; records stay queued");
                    return;
                }
            };
            let mut uploader: Option<Uploader> = None;
            let mut next_roster = Instant::now();
            let mut next_health = (Instant::now(), false);
            // The uploader's own backoff: doubling from 1 s up to `server.upload_retry_s`, with
            // jitter, so 38 kiosks that lost the server together do not return together.
            let mut backoff = Backoff::new(Duration::from_secs(1), self.retry_every);
            while !self.shutdown.load(Ordering::Relaxed) {
                let mut ok = rt.block_on(self.round(&mut store, &mut uploader, &mut next_roster));
                if let Some(up) = uploader.as_ref() {
                    ok &= rt.block_on(self.report_health(up, &store, &mut next_health));
                }
                let wait = if ok {
                    backoff.reset();
                    IDLE_POLL
                } else {
                    backoff.next_delay(rand::random::<f64>())
                };
                let until = Instant::now() + wait;
                loop {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() || self.shutdown.load(Ordering::Relaxed) {
                        break;
                    }
                    let why = self.wake.wait(left.min(SHUTDOWN_CHECK));
                    if why.everything {
                        next_roster = Instant::now();
                        break;
                    }
                    // While the server is unreachable a new record waits for the backoff: it is
                    // safe in the outbox, and retrying per record would hammer a server that is
                    // coming back.
                    if why.record && backoff.failures() == 0 {
                        break;
                    }
                }
            }
        }

        /// Sends the health report when due, or at once when a tamper event waits (unless the
        /// server refused the last one: then at the next due time, not every round); forgets
        /// the events the server acknowledged. `false` when the server could not be reached.
        async fn report_health(&self, up: &Uploader, store: &Store, next: &mut (Instant, bool)) -> bool {
            let events_wait = !next.1 && store.unacked_events(1).map(|e| !e.is_empty()).unwrap_or(false);
            if Instant::now() < next.0 && !events_wait {
                return true;
            }
            let vitals = self.vitals.lock().map(|v| *v).unwrap_or_default();
            let report = match crate::health::report(store, vitals, &self.data_dir, now_ms()) {
                Ok(r) => hadir_protocol::health::HealthReport { server_link: Some(up.server_link()), ..r },
                Err(e) => {
                    tracing::error!(error = %e, "health report not assembled");
                    return false;
                }
            };
            match up.report_health(&report).await {
                Ok(answer) => {
                    if let Some(why) = &answer.refused {
                        tracing::error!(reason = %why, "server refused a device event");
                    }
                    if let Err(e) = store.ack_events(answer.events_through) {
                        tracing::error!(error = %e, "event acknowledgement not stored");
                    }
                    *next = (Instant::now() + HEALTH_EVERY, answer.refused.is_some());
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %e, "health report not sent");
                    false
                }
            }
        }

        /// One round: enrol if needed, roster when due, drain, time. `false` on a failure.
        async fn round(&self, store: &mut Store, uploader: &mut Option<Uploader>, next_roster: &mut Instant) -> bool {
            if uploader.is_none() {
                let device_id = match store.device() {
                    Ok(Some((id, _))) => id,
                    Ok(None) => match &self.token {
                        None => {
                            tracing::warn!("device not enrolled and no server.enrol_token: records stay queued");
                            return false;
                        }
                        Some(token) => {
                            match hadir_client::enrol(&self.url, &self.trust, token, &self.identity.key, env!("CARGO_PKG_VERSION")).await {
                                Ok(r) => {
                                    if let Err(e) = store.set_device(&r.device_id, &r.site_id, &self.identity.key.public().to_hex(), r.server_time_ms) {
                                        tracing::error!(error = %e, "enrolment not stored");
                                        return false;
                                    }
                                    tracing::info!(device = %r.device_id, site = %r.site_id, "device enrolled");
                                    r.device_id
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "enrolment failed; will retry");
                                    return false;
                                }
                            }
                        }
                    },
                    Err(e) => {
                        tracing::error!(error = %e, "device identity unreadable");
                        return false;
                    }
                };
                if let Ok(mut slot) = self.enrolled.lock() {
                    *slot = Some(device_id.clone());
                }
                match Uploader::new(UploaderConfig::new(self.url.clone(), self.trust.clone()), device_id, self.identity.key.clone()) {
                    Ok(u) => *uploader = Some(u),
                    Err(e) => {
                        tracing::error!(error = %e, "uploader not made");
                        return false;
                    }
                }
            }
            let Some(up) = uploader.as_ref() else { return false };
            let mut ok = true;
            if Instant::now() >= *next_roster {
                let since = roster_revision(store).unwrap_or(0);
                match up.roster(since).await {
                    Ok(r) => match apply_roster(store, &r, &self.model_version, now_ms()) {
                        Ok(a) => {
                            tracing::info!(?a, revision = r.revision, "roster applied");
                            *next_roster = Instant::now() + self.roster_every;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "roster not applied");
                            ok = false;
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "roster fetch failed");
                        ok = false;
                    }
                }
            }
            let sent = now_ms();
            match up.server_time().await {
                Ok(server_ms) => {
                    let back = now_ms();
                    let device_mid = sent + (back - sent) / 2;
                    if let Ok(mut t) = self.time.lock() {
                        *t = Some(TimeSync { at: Instant::now(), device_wall_ms: device_mid, offset_ms: server_ms - device_mid });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "server time not sampled");
                    ok = false;
                }
            }
            if !upload_templates(up, store).await {
                ok = false;
            }
            match up.drain(store).await {
                Ok(report) => {
                    if report.batches > 0 {
                        tracing::info!(?report, "outbox drained");
                    }
                    if let Err(e) = store.set_kv(LAST_SYNC_KEY, &now_ms().to_string()) {
                        tracing::warn!(error = %e, "last sync not stored");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "upload failed; records stay queued");
                    ok = false;
                }
            }
            ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_protocol::api::{FaceTemplate, RosterEmployee};

    #[test]
    fn the_wake_bell_rings_at_once_and_merges_reasons() {
        let wake = Arc::new(Wake::default());
        assert_eq!(wake.wait(Duration::from_millis(20)), WakeReasons::default(), "no ring: the timeout");
        wake.ring(WakeReasons { record: true, everything: false });
        wake.ring(WakeReasons { record: false, everything: true });
        assert_eq!(wake.wait(Duration::from_secs(60)), WakeReasons { record: true, everything: true });
        assert_eq!(wake.wait(Duration::from_millis(1)), WakeReasons::default(), "taken once");
        // A ring from another thread ends a long wait early.
        let ringer = wake.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            ringer.ring(WakeReasons { record: true, everything: false });
        });
        let started = Instant::now();
        let why = wake.wait(Duration::from_secs(600));
        t.join().unwrap();
        assert!(why.record && started.elapsed() < Duration::from_secs(600));
    }

    #[test]
    fn roster_changes_and_removals_apply() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("k.db"), &Identity::from_seed([1; 32])).unwrap();
        let emb = vec![0.5f32; 4];
        let t = |id, model: &str| FaceTemplate { id, model_version: model.into(), embedding_b64: FaceTemplate::encode_embedding(&emb) };
        let mut rules = SiteRules::default();
        rules.holidays.insert(time::macros::date!(2026 - 03 - 19), "Nyepi");
        let monday = time::macros::date!(2026 - 03 - 02);
        rules.excused.entry("E1".into()).or_default().insert(monday, hadir_rules::Excused::Cuti);
        let roster = RosterResponse {
            site_id: "S".into(),
            revision: 7,
            changed: vec![
                RosterEmployee {
                    id: "E1".into(),
                    name: "Ani".into(),
                    section_id: Some("B1".into()),
                    pin_hash: Some("$argon2id$x".into()),
                    templates: vec![t(1, "m1"), t(2, "old")],
                },
                RosterEmployee { id: "E2".into(), name: "Budi".into(), section_id: None, pin_hash: None, templates: vec![] },
            ],
            removed: vec![],
            rules: Some(rules.to_wire()),
        };
        let a = apply_roster(&mut store, &roster, "m1", 99).unwrap();
        assert_eq!(a, RosterApplied { changed: 2, removed: 0, skipped_templates: 1, rules_updated: true });
        assert_eq!(store.templates("E1").unwrap(), vec![("m1".to_string(), emb.clone())]);
        let kept = store.site_rules().unwrap().unwrap();
        assert_eq!(kept.excused_on("E1", monday), Some(hadir_rules::Excused::Cuti), "excused days come with the rules");
        assert_eq!(store.site_rules().unwrap(), Some(rules.clone()));
        assert_eq!(roster_revision(&store).unwrap(), 7);

        // Unusable rules are not applied: the previous ones stay.
        let mut bad = rules.to_wire();
        bad.time_zone = "Europe/Berlin".into();
        let removal = RosterResponse { site_id: "S".into(), revision: 8, changed: vec![], removed: vec!["E1".into()], rules: Some(bad) };
        let a = apply_roster(&mut store, &removal, "m1", 100).unwrap();
        assert!(!a.rules_updated);
        assert_eq!(store.site_rules().unwrap(), Some(rules));
        assert_eq!(store.employee("E1").unwrap(), None);
        assert!(store.templates("E1").unwrap().is_empty());
        assert_eq!(store.kv(LAST_SYNC_KEY).unwrap().as_deref(), Some("100"));
    }
}
