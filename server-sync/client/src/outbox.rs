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
//!   store says (the server is idempotent, so re-sending an unacknowledged record is harmless);
//! - a parked record is never deleted: an admin either puts it back in the queue
//!   ([`Outbox::requeue`], e.g. after the device was re-enrolled) or dismisses it with a name and
//!   a reason ([`Outbox::dismiss_parked`]), and a dismissed record is kept, set aside, for audit.
//!   [`crate::admin`] holds the admin's operations over any outbox.
//!
//! The admin methods and [`Outbox::head_seq`] have defaults (unsupported / unknown) so a store
//! can adopt them one at a time.

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

    /// The highest sequence number the device ever signed (pending, acknowledged or parked),
    /// `None` if unknown. Lets an idle device tell the server its outbox is empty (the sync
    /// watermark's heartbeat).
    fn head_seq(&mut self) -> Result<Option<u64>, OutboxError> {
        Ok(None)
    }

    /// Every parked record, ascending by sequence number.
    fn parked(&mut self) -> Result<Vec<Parked>, OutboxError> {
        Err(OutboxError::new("this outbox does not list parked records"))
    }

    /// Puts parked records back in the queue (they are sent again in sequence order); returns
    /// how many were parked. Unknown or not-parked sequence numbers are ignored.
    fn requeue(&mut self, _seqs: &[u64]) -> Result<usize, OutboxError> {
        Err(OutboxError::new("this outbox cannot re-queue parked records"))
    }

    /// Sets a parked record aside for good, keeping it with who decided and why; `false` if it
    /// was not parked. Callers go through [`crate::admin::dismiss`], which checks `by` and
    /// `note` are given.
    fn dismiss_parked(&mut self, _seq: u64, _by: &str, _note: &str) -> Result<bool, OutboxError> {
        Err(OutboxError::new("this outbox cannot dismiss parked records"))
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

/// A parked record an admin dismissed (kept, never deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dismissed {
    /// The record and why the server refused it.
    pub parked: Parked,
    /// Who dismissed it.
    pub by: String,
    /// Why.
    pub note: String,
}

/// An in-memory outbox (tests, simulations). Acknowledged records move to `acknowledged`, so
/// tests can check nothing was lost.
#[derive(Debug, Default, Clone)]
pub struct MemoryOutbox {
    /// Dismissed parked records.
    pub dismissed: Vec<Dismissed>,
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

    fn head_seq(&mut self) -> Result<Option<u64>, OutboxError> {
        let seqs = self
            .pending
            .keys()
            .copied()
            .chain(self.acknowledged.iter().map(|r| r.body.seq))
            .chain(self.parked.iter().map(|p| p.record.body.seq))
            .chain(self.dismissed.iter().map(|d| d.parked.record.body.seq));
        Ok(seqs.max())
    }

    fn parked(&mut self) -> Result<Vec<Parked>, OutboxError> {
        let mut all = self.parked.clone();
        all.sort_by_key(|p| p.record.body.seq);
        Ok(all)
    }

    fn requeue(&mut self, seqs: &[u64]) -> Result<usize, OutboxError> {
        let (back, keep): (Vec<Parked>, Vec<Parked>) =
            std::mem::take(&mut self.parked).into_iter().partition(|p| seqs.contains(&p.record.body.seq));
        self.parked = keep;
        let n = back.len();
        for p in back {
            self.pending.insert(p.record.body.seq, p.record);
        }
        Ok(n)
    }

    fn dismiss_parked(&mut self, seq: u64, by: &str, note: &str) -> Result<bool, OutboxError> {
        let Some(i) = self.parked.iter().position(|p| p.record.body.seq == seq) else { return Ok(false) };
        let parked = self.parked.remove(i);
        self.dismissed.push(Dismissed { parked, by: by.to_owned(), note: note.to_owned() });
        Ok(true)
    }
}
