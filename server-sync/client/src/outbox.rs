//! The outbox: what the uploader needs from the device's record store.
//!
//! The kiosk's SQLite store implements [`Outbox`]; tests use [`MemoryOutbox`]. The contract:
//!
//! - a record is *pending* from the moment it is signed until it is acknowledged or parked;
//! - [`Outbox::pending`] returns pending records in ascending sequence order;
//! - [`Outbox::acknowledge`] is called only for records the server answered `stored` or
//!   `already_stored` — only then may the store forget or archive them;
//! - [`Outbox::park`] sets a refused record aside with the server's reason, for the admin to
//!   see; it is not sent again unless an admin puts it back;
//! - all state is in the store, so an uploader restarted after a power cut resumes where the
//!   store says (the server is idempotent, so re-sending an unacknowledged record is harmless).

use hadir_protocol::{Digest, Record, RefusalReason};

/// A failure of the device's store.
#[derive(Debug, thiserror::Error)]
#[error("outbox: {message}")]
pub struct OutboxError {
    /// What failed.
    pub message: String,
}

impl OutboxError {
    /// Wraps any error.
    pub fn new(e: impl std::fmt::Display) -> OutboxError {
        OutboxError { message: e.to_string() }
    }
}

/// The device store as the uploader sees it.
pub trait Outbox: Send {
    /// Up to `limit` pending records, ascending by sequence number.
    fn pending(&mut self, limit: usize) -> Result<Vec<Record>, OutboxError>;

    /// The server stored these records (by sequence number).
    fn acknowledge(&mut self, seqs: &[u64]) -> Result<(), OutboxError>;

    /// The server refused this record; keep it, set aside, with the reason.
    fn park(&mut self, seq: u64, reason: RefusalReason, detail: &str) -> Result<(), OutboxError>;

    /// Up to `limit` evidence photos of acknowledged records not yet uploaded.
    fn pending_photos(&mut self, _limit: usize) -> Result<Vec<Digest>, OutboxError> {
        Ok(Vec::new())
    }

    /// The JPEG with this hash, if the store still has it.
    fn photo(&mut self, _sha256: Digest) -> Result<Option<Vec<u8>>, OutboxError> {
        Ok(None)
    }

    /// The server has the photo (or will never want it: `gone` when the store lost it).
    fn photo_done(&mut self, _sha256: Digest) -> Result<(), OutboxError> {
        Ok(())
    }
}

/// A parked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    /// The record.
    pub record: Record,
    /// Why the server refused it.
    pub reason: RefusalReason,
    /// The server's detail.
    pub detail: String,
}

/// An in-memory outbox (tests, simulations). Acknowledged records move to `acknowledged`, so
/// tests can check nothing was lost.
#[derive(Debug, Default, Clone)]
pub struct MemoryOutbox {
    /// Pending records by sequence number.
    pub pending: std::collections::BTreeMap<u64, Record>,
    /// Acknowledged records.
    pub acknowledged: Vec<Record>,
    /// Parked records.
    pub parked: Vec<Parked>,
    /// Photos by hash, with "uploaded" flags.
    pub photos: std::collections::BTreeMap<Digest, (Vec<u8>, bool)>,
}

impl MemoryOutbox {
    /// Adds a signed record (and optionally its photo).
    pub fn push(&mut self, record: Record, photo: Option<Vec<u8>>) {
        if let Some(jpeg) = photo {
            self.photos.insert(record.body.photo_sha256, (jpeg, false));
        }
        self.pending.insert(record.body.seq, record);
    }
}

impl Outbox for MemoryOutbox {
    fn pending(&mut self, limit: usize) -> Result<Vec<Record>, OutboxError> {
        Ok(self.pending.values().take(limit).cloned().collect())
    }

    fn acknowledge(&mut self, seqs: &[u64]) -> Result<(), OutboxError> {
        for s in seqs {
            if let Some(r) = self.pending.remove(s) {
                self.acknowledged.push(r);
            }
        }
        Ok(())
    }

    fn park(&mut self, seq: u64, reason: RefusalReason, detail: &str) -> Result<(), OutboxError> {
        if let Some(record) = self.pending.remove(&seq) {
            self.parked.push(Parked { record, reason, detail: detail.to_owned() });
        }
        Ok(())
    }

    fn pending_photos(&mut self, limit: usize) -> Result<Vec<Digest>, OutboxError> {
        let acked: std::collections::HashSet<Digest> = self.acknowledged.iter().map(|r| r.body.photo_sha256).collect();
        Ok(self
            .photos
            .iter()
            .filter(|(h, (_, done))| !done && acked.contains(h))
            .map(|(h, _)| *h)
            .take(limit)
            .collect())
    }

    fn photo(&mut self, sha256: Digest) -> Result<Option<Vec<u8>>, OutboxError> {
        Ok(self.photos.get(&sha256).map(|(j, _)| j.clone()))
    }

    fn photo_done(&mut self, sha256: Digest) -> Result<(), OutboxError> {
        if let Some(p) = self.photos.get_mut(&sha256) {
            p.1 = true;
        }
        Ok(())
    }
}
