//! # Sync with the central server: roster in, records out
//!
//! - Roster: [`apply_roster`] applies the server's roster changes (employees, PIN hashes,
//!   templates, removals) to the store in one go and remembers the revision, so the next fetch
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
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
}

/// Applies a roster answer to the store.
pub fn apply_roster(store: &mut Store, roster: &RosterResponse, model_version: &str, now_ms: i64) -> Result<RosterApplied, StoreError> {
    let mut applied = RosterApplied::default();
    for e in &roster.changed {
        let mut templates = Vec::new();
        for t in &e.templates {
            match t.embedding() {
                Some(emb) if t.model_version == model_version => templates.push((t.model_version.clone(), emb)),
                _ => applied.skipped_templates += 1,
            }
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

/// The running sync worker.
#[derive(Debug)]
pub struct SyncHandle {
    time: Arc<Mutex<Option<TimeSync>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SyncHandle {
    /// The last server time sample.
    pub fn last_time_sync(&self) -> Option<TimeSync> {
        self.time.lock().ok().and_then(|t| *t)
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the sync worker when a server is configured. Without `hadir-client`'s uploader in
/// this build, records stay queued in the outbox (nothing is lost) and this says so once.
pub fn spawn(cfg: &KioskConfig, _identity: Identity, _shutdown: Arc<AtomicBool>) -> Option<SyncHandle> {
    let url = cfg.server.url.as_ref()?;
    tracing::warn!(%url, "server sync is not available in this build yet: records stay queued in the outbox");
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_protocol::api::{FaceTemplate, RosterEmployee};

    #[test]
    fn roster_changes_and_removals_apply() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("k.db"), &Identity::from_seed([1; 32])).unwrap();
        let emb = vec![0.5f32; 4];
        let t = |id, model: &str| FaceTemplate { id, model_version: model.into(), embedding_b64: FaceTemplate::encode_embedding(&emb) };
        let roster = RosterResponse {
            site_id: "S".into(),
            revision: 7,
            changed: vec![
                RosterEmployee { id: "E1".into(), name: "Ani".into(), section_id: Some("B1".into()), pin_hash: Some("$argon2id$x".into()), templates: vec![t(1, "m1"), t(2, "old")] },
                RosterEmployee { id: "E2".into(), name: "Budi".into(), section_id: None, pin_hash: None, templates: vec![] },
            ],
            removed: vec![],
        };
        let a = apply_roster(&mut store, &roster, "m1", 99).unwrap();
        assert_eq!(a, RosterApplied { changed: 2, removed: 0, skipped_templates: 1 });
        assert_eq!(store.templates("E1").unwrap(), vec![("m1".to_string(), emb.clone())]);
        assert_eq!(roster_revision(&store).unwrap(), 7);
        let removal = RosterResponse { site_id: "S".into(), revision: 8, changed: vec![], removed: vec!["E1".into()] };
        apply_roster(&mut store, &removal, "m1", 100).unwrap();
        assert_eq!(store.employee("E1").unwrap(), None);
        assert!(store.templates("E1").unwrap().is_empty());
        assert_eq!(store.kv(LAST_SYNC_KEY).unwrap().as_deref(), Some("100"));
    }
}
