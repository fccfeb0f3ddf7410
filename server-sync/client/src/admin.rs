//! What an admin does with parked records, over any [`Outbox`]: list them, put them back in
//! the queue, or dismiss them with a name and a reason.
//!
//! A record is parked when the server refused it (bad signature, unknown or revoked device,
//! broken chain …). Some refusals end once an admin acts (the device is re-enrolled, the server's
//! database restored): then [`requeue_where`] sends them again, in sequence order, and the
//! server's answer decides anew. A record is never deleted: [`dismiss`] only sets it aside for
//! good, with who decided and why, and refuses to do so without both.

use crate::outbox::{Outbox, OutboxError, Parked};
use hadir_protocol::RefusalReason;

/// Why a dismissal was not done.
#[derive(Debug, thiserror::Error)]
pub enum DismissError {
    /// No name or no reason given: a dismissal must be acknowledged by someone, for a reason.
    #[error("dismissing parked record {seq} needs the admin's name and a reason")]
    NotAcknowledged {
        /// The record.
        seq: u64,
    },
    /// The record is not parked (never was, or was re-queued or dismissed already).
    #[error("record {seq} is not parked")]
    NotParked {
        /// The record.
        seq: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// Re-queues the parked records `keep` selects; returns their sequence numbers.
pub fn requeue_where(outbox: &mut dyn Outbox, keep: impl Fn(&Parked) -> bool) -> Result<Vec<u64>, OutboxError> {
    let seqs: Vec<u64> = outbox.parked()?.iter().filter(|p| keep(p)).map(|p| p.record.body.seq).collect();
    if !seqs.is_empty() {
        let n = outbox.requeue(&seqs)?;
        tracing::info!(records = n, first = seqs.first(), last = seqs.last(), "parked records re-queued by an admin");
    }
    Ok(seqs)
}

/// Re-queues every record parked for `reason` (e.g. [`RefusalReason::UnknownDevice`] after the
/// device was enrolled again).
pub fn requeue_reason(outbox: &mut dyn Outbox, reason: RefusalReason) -> Result<Vec<u64>, OutboxError> {
    requeue_where(outbox, |p| p.reason == reason)
}

/// Dismisses one parked record for good, acknowledged by `by` with `note`; the record is kept.
pub fn dismiss(outbox: &mut dyn Outbox, seq: u64, by: &str, note: &str) -> Result<(), DismissError> {
    if by.trim().is_empty() || note.trim().is_empty() {
        return Err(DismissError::NotAcknowledged { seq });
    }
    if !outbox.dismiss_parked(seq, by.trim(), note.trim())? {
        return Err(DismissError::NotParked { seq });
    }
    tracing::warn!(seq, by = by.trim(), note = note.trim(), "parked record dismissed by an admin");
    Ok(())
}
