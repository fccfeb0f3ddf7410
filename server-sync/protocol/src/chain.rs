//! The per-device hash chain.
//!
//! Each device numbers its records 1, 2, 3 … and puts the hash of record *n − 1* into record
//! *n* (`prev_hash`; record 1 carries [`Digest::ZERO`]). A record removed, inserted or altered
//! anywhere after signing breaks the chain at that point, so a gap or a fork is visible.
//!
//! This module is pure: [`ChainHead::accept`] says whether one record extends a chain, and
//! [`verify_chain`] checks a run of records. The server keeps one [`ChainHead`] per device.

use crate::keys::Digest;
use crate::record::Record;

/// The end of a device's chain: the last accepted sequence number and that record's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// The last accepted sequence number (0 before the first record).
    pub seq: u64,
    /// The last accepted record's hash ([`Digest::ZERO`] before the first record).
    pub hash: Digest,
}

impl ChainHead {
    /// The head of an empty chain.
    pub const GENESIS: ChainHead = ChainHead { seq: 0, hash: Digest::ZERO };

    /// Checks that `record` (with hash `hash`) is the next link, and returns the new head.
    pub fn accept(&self, seq: u64, prev_hash: Digest, hash: Digest) -> Result<ChainHead, ChainError> {
        let expected = self.seq + 1;
        if seq > expected {
            return Err(ChainError::Gap { expected, got: seq });
        }
        if seq < expected {
            return Err(ChainError::Behind { head: self.seq, got: seq });
        }
        if prev_hash != self.hash {
            return Err(ChainError::WrongPrevHash { seq, expected: self.hash, got: prev_hash });
        }
        Ok(ChainHead { seq, hash })
    }
}

/// Why a record does not extend a chain.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    /// Records are missing between the head and this record.
    #[error("sequence gap: expected {expected}, got {got}")]
    Gap {
        /// The sequence number that should come next.
        expected: u64,
        /// The sequence number found.
        got: u64,
    },
    /// The record is at or before the head (a replay, or a fork if its hash differs).
    #[error("sequence {got} is at or before the chain head {head}")]
    Behind {
        /// The current head.
        head: u64,
        /// The sequence number found.
        got: u64,
    },
    /// The record's `prev_hash` is not the hash of the record before it.
    #[error("record {seq}: prev_hash {got:?} does not match the previous record's hash {expected:?}")]
    WrongPrevHash {
        /// The record's sequence number.
        seq: u64,
        /// The hash of the previous record.
        expected: Digest,
        /// The `prev_hash` the record carries.
        got: Digest,
    },
    /// Records of different devices were mixed in one chain.
    #[error("record {seq} belongs to device {got}, not {expected}")]
    OtherDevice {
        /// The record's sequence number.
        seq: u64,
        /// The chain's device.
        expected: String,
        /// The record's device.
        got: String,
    },
}

/// Checks that `records` (all from one device) extend the chain at `head` link by link, and
/// returns the new head. Signatures are not checked here.
pub fn verify_chain(head: ChainHead, records: &[Record]) -> Result<ChainHead, ChainError> {
    let mut head = head;
    let device = records.first().map(|r| r.body.device_id.as_str());
    for r in records {
        if Some(r.body.device_id.as_str()) != device {
            return Err(ChainError::OtherDevice {
                seq: r.body.seq,
                expected: device.unwrap_or_default().to_owned(),
                got: r.body.device_id.clone(),
            });
        }
        head = head.accept(r.body.seq, r.body.prev_hash, r.hash())?;
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use crate::record::tests::body;

    fn chain(n: u64) -> Vec<Record> {
        let key = DeviceKey::from_seed(&[3; 32]);
        let mut prev = Digest::ZERO;
        (1..=n)
            .map(|seq| {
                let r = body(seq, prev).sign(&key);
                prev = r.hash();
                r
            })
            .collect()
    }

    #[test]
    fn a_good_chain_verifies() {
        let recs = chain(4);
        let head = verify_chain(ChainHead::GENESIS, &recs).unwrap();
        assert_eq!(head, ChainHead { seq: 4, hash: recs[3].hash() });
        // Continuing from the middle works too.
        let mid = ChainHead { seq: 2, hash: recs[1].hash() };
        assert_eq!(verify_chain(mid, &recs[2..]).unwrap(), head);
    }

    #[test]
    fn breaks_are_named() {
        let recs = chain(4);
        let gap = [recs[0].clone(), recs[2].clone()];
        assert_eq!(verify_chain(ChainHead::GENESIS, &gap), Err(ChainError::Gap { expected: 2, got: 3 }));
        let swapped = [recs[1].clone(), recs[0].clone()];
        assert_eq!(verify_chain(ChainHead::GENESIS, &swapped), Err(ChainError::Gap { expected: 1, got: 2 }));
        let replay = [recs[0].clone(), recs[0].clone()];
        assert_eq!(verify_chain(ChainHead::GENESIS, &replay), Err(ChainError::Behind { head: 1, got: 1 }));
        let mut forked = recs.clone();
        forked[1].body.prev_hash = Digest::of(b"elsewhere");
        assert!(matches!(verify_chain(ChainHead::GENESIS, &forked), Err(ChainError::WrongPrevHash { seq: 2, .. })));
        let mut mixed = recs;
        mixed[2].body.device_id = "OTHER".into();
        assert!(matches!(verify_chain(ChainHead::GENESIS, &mixed), Err(ChainError::OtherDevice { seq: 3, .. })));
    }
}
