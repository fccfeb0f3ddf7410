//! Upload batches, the tolerant batch decoder and the per-record answers.
//!
//! A device uploads `POST /api/v1/records` with an [`UploadBatch`] as JSON:
//! `{"records": [record, record, …]}`. The server answers with an [`UploadResponse`] holding
//! one [`RecordResult`] per entry, in the same order.
//!
//! [`decode_batch`] is tolerant by design: one malformed entry does not spoil the batch. Only
//! a body that is not a JSON batch at all (or holds more than [`MAX_BATCH_RECORDS`] entries) is
//! refused as a whole; every other entry is decoded on its own and either becomes a
//! [`Record`] or a [`MalformedRecord`] saying what was wrong, so the server can answer it with
//! [`RefusalReason::Malformed`] and still store the valid records around it.
//!
//! # The sync watermark ([`DrainClaim`])
//!
//! A batch may carry the device's signed statement that its outbox is empty up to a point:
//! "at `drained_at_ms` (server time, as the device estimates it), every record I had signed,
//! up to `last_seq`, is in this upload or an earlier one". The server moves the device's
//! `synced_until_ms` only when the claim's signature verifies with the device's key and the
//! server holds the device's chain up to `last_seq`; it never moves it past its own clock and
//! never backwards, so a replayed (old) claim changes nothing. A batch may hold no records and
//! only a claim: an idle kiosk's heartbeat, so days without records still become final.

use crate::keys::{DeviceKey, PublicKey, Signature, VerifyError};
use crate::record::Record;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The most entries one batch may hold.
pub const MAX_BATCH_RECORDS: usize = 1000;

/// A batch of records as the device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatch {
    /// Records in upload order (per device, ascending sequence numbers).
    pub records: Vec<Record>,
    /// The device's signed "outbox drained" statement, when this upload empties its outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drained: Option<DrainClaim>,
}

impl UploadBatch {
    /// A batch of records without a drain claim.
    pub fn of(records: Vec<Record>) -> UploadBatch {
        UploadBatch { records, drained: None }
    }
}

/// A device's signed statement that its outbox held nothing beyond `last_seq` at
/// `drained_at_ms` (see the module docs).
///
/// The signed message (version 1) is the UTF-8 text
/// `"HADIR-DRAINED/1\n{device_id}\n{last_seq}\n{drained_at_ms}"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrainClaim {
    /// The device.
    pub device_id: String,
    /// The highest sequence number the device had signed (0: none yet).
    pub last_seq: u64,
    /// When the outbox was seen empty, UTC ms, in server time as the device estimates it.
    pub drained_at_ms: i64,
    /// Ed25519 by the device key over [`DrainClaim::message`].
    pub signature: Signature,
}

impl DrainClaim {
    /// The bytes the signature covers.
    pub fn message(device_id: &str, last_seq: u64, drained_at_ms: i64) -> Vec<u8> {
        format!("HADIR-DRAINED/1\n{device_id}\n{last_seq}\n{drained_at_ms}").into_bytes()
    }

    /// Signs a claim.
    pub fn sign(key: &DeviceKey, device_id: &str, last_seq: u64, drained_at_ms: i64) -> DrainClaim {
        let signature = key.sign(&DrainClaim::message(device_id, last_seq, drained_at_ms));
        DrainClaim { device_id: device_id.to_owned(), last_seq, drained_at_ms, signature }
    }

    /// Checks the signature against the device's enrolled key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), VerifyError> {
        key.verify(&DrainClaim::message(&self.device_id, self.last_seq, self.drained_at_ms), &self.signature)
    }
}

/// Why the server refused a record. Stable names on the wire (`snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// The signature does not verify with the device's enrolled key (forged or altered).
    BadSignature,
    /// No device with that id is enrolled.
    UnknownDevice,
    /// The device was revoked.
    RevokedDevice,
    /// The record's `prev_hash` does not match, or a different record already holds its
    /// sequence number (a fork).
    BrokenChain,
    /// Earlier sequence numbers of this device are missing on the server.
    SequenceGap,
    /// The entry is not a well-formed record (bad JSON, missing field, value out of range).
    Malformed,
    /// The record's time is implausible (e.g. far in the future); it is kept in quarantine for
    /// an admin, and it still counts as its device's chain link.
    TimestampImplausible,
}

impl RefusalReason {
    /// Every reason, for tables and tests.
    pub const ALL: [RefusalReason; 7] = [
        RefusalReason::BadSignature,
        RefusalReason::UnknownDevice,
        RefusalReason::RevokedDevice,
        RefusalReason::BrokenChain,
        RefusalReason::SequenceGap,
        RefusalReason::Malformed,
        RefusalReason::TimestampImplausible,
    ];

    /// The wire name (`bad_signature` …), also used in the server's database.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::BadSignature => "bad_signature",
            RefusalReason::UnknownDevice => "unknown_device",
            RefusalReason::RevokedDevice => "revoked_device",
            RefusalReason::BrokenChain => "broken_chain",
            RefusalReason::SequenceGap => "sequence_gap",
            RefusalReason::Malformed => "malformed",
            RefusalReason::TimestampImplausible => "timestamp_implausible",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<RefusalReason> {
        RefusalReason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// What happened to one entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// The same record (same hash) was stored before: success, nothing duplicated.
    AlreadyStored,
    /// Not stored (or, for [`RefusalReason::TimestampImplausible`], quarantined).
    Refused {
        /// Why, machine-readable.
        reason: RefusalReason,
        /// Why, for a technician (English).
        detail: String,
    },
}

impl Outcome {
    /// Stored now or before: the device may mark the record acknowledged.
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Outcome::Stored | Outcome::AlreadyStored)
    }
}

/// The answer for one entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// The entry's position in the batch (0-based).
    pub index: u32,
    /// The entry's device id, when it could be read.
    pub device_id: Option<String>,
    /// The entry's sequence number, when it could be read.
    pub seq: Option<u64>,
    /// What happened.
    pub outcome: Outcome,
}

/// The server's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// One result per entry, in batch order.
    pub results: Vec<RecordResult>,
    /// The server's clock when it answered (UTC ms), a free clock check for the device.
    pub server_time_ms: i64,
}

/// The most characters of a decoding error kept: serde's messages quote the offending value,
/// which in a hostile upload is megabytes long, and the error goes back to the sender, into the
/// log and into the server's `refused_uploads`.
pub const MAX_DETAIL_CHARS: usize = 300;

/// `text` cut to [`MAX_DETAIL_CHARS`], with `…` where it was cut.
pub fn cut_detail(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// An entry that is not a well-formed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRecord {
    /// The device id, if the entry has a readable `body.device_id`.
    pub device_id: Option<String>,
    /// The sequence number, if the entry has a readable `body.seq`.
    pub seq: Option<u64>,
    /// What was wrong.
    pub detail: String,
}

/// A decoded batch: one entry per element of `records`, well-formed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBatch {
    /// The entries, in batch order.
    pub entries: Vec<Result<Record, MalformedRecord>>,
    /// The drain claim, if the batch carried a well-formed one (a malformed claim is dropped:
    /// it only ever delays the watermark).
    pub drained: Option<DrainClaim>,
}

/// Why a whole body is not a batch.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BatchDecodeError {
    /// The body is not a JSON object with a `records` array.
    #[error("body is not a JSON batch {{\"records\": [...]}}: {0}")]
    NotABatch(String),
    /// Too many entries.
    #[error("batch holds {got} records, at most {max} are allowed")]
    TooLarge {
        /// Entries found.
        got: usize,
        /// [`MAX_BATCH_RECORDS`].
        max: usize,
    },
}

#[derive(Deserialize)]
struct RawBatch<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    drained: Option<&'a RawValue>,
}

/// Decodes an upload body; see the module docs for what is tolerated.
pub fn decode_batch(body: &[u8]) -> Result<DecodedBatch, BatchDecodeError> {
    let raw: RawBatch<'_> =
        serde_json::from_slice(body).map_err(|e| BatchDecodeError::NotABatch(cut_detail(&e.to_string())))?;
    if raw.records.len() > MAX_BATCH_RECORDS {
        return Err(BatchDecodeError::TooLarge { got: raw.records.len(), max: MAX_BATCH_RECORDS });
    }
    let entries = raw.records.into_iter().map(decode_entry).collect();
    let drained = raw.drained.and_then(|d| serde_json::from_str(d.get()).ok());
    Ok(DecodedBatch { entries, drained })
}

fn decode_entry(raw: &RawValue) -> Result<Record, MalformedRecord> {
    let malformed = |detail: String| {
        // Best effort: say which record it was, so the device can park the right one.
        let value: Option<serde_json::Value> = serde_json::from_str(raw.get()).ok();
        let body = value.as_ref().and_then(|v| v.get("body"));
        MalformedRecord {
            device_id: body
                .and_then(|b| b.get("device_id"))
                .and_then(|d| d.as_str())
                .map(|d| d.chars().take(64).collect()),
            seq: body.and_then(|b| b.get("seq")).and_then(|s| s.as_u64()),
            detail: cut_detail(&detail),
        }
    };
    let record: Record = serde_json::from_str(raw.get()).map_err(|e| malformed(e.to_string()))?;
    record.body.validate().map_err(|e| malformed(e.to_string()))?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DeviceKey, Digest};
    use crate::record::tests::body;

    #[test]
    fn malformed_entries_do_not_spoil_the_batch() {
        let key = DeviceKey::from_seed(&[4; 32]);
        let good = body(1, Digest::ZERO).sign(&key);
        let good_json = serde_json::to_string(&good).unwrap();
        let mut bad_score = serde_json::to_value(&good).unwrap();
        bad_score["body"]["match_score"] = 20000.into();
        let text = format!(
            r#"{{"records": [{good_json}, 17, {{"body": {{"device_id": "K9", "seq": 4}}}}, {bad_score}]}}"#
        );
        let batch = decode_batch(text.as_bytes()).unwrap();
        assert_eq!(batch.entries.len(), 4);
        assert_eq!(batch.entries[0].as_ref().unwrap(), &good);
        let e1 = batch.entries[1].as_ref().unwrap_err();
        assert_eq!((e1.device_id.as_deref(), e1.seq), (None, None));
        let e2 = batch.entries[2].as_ref().unwrap_err();
        assert_eq!((e2.device_id.as_deref(), e2.seq), (Some("K9"), Some(4)));
        let e3 = batch.entries[3].as_ref().unwrap_err();
        assert!(e3.detail.contains("match_score"), "{}", e3.detail);
        assert_eq!(e3.seq, Some(1));
    }

    #[test]
    fn drain_claims_sign_verify_and_travel() {
        let key = DeviceKey::from_seed(&[6; 32]);
        let claim = DrainClaim::sign(&key, "K1", 42, 1_780_000_000_000);
        assert_eq!(claim.verify(&key.public()), Ok(()));
        let forged = DrainClaim { last_seq: 43, ..claim.clone() };
        assert!(forged.verify(&key.public()).is_err());
        let other = DeviceKey::from_seed(&[7; 32]);
        assert!(claim.verify(&other.public()).is_err());
        let batch = UploadBatch { records: vec![], drained: Some(claim.clone()) };
        let text = serde_json::to_vec(&batch).unwrap();
        assert_eq!(decode_batch(&text).unwrap().drained, Some(claim));
        // Old devices send no claim; a malformed claim is dropped, the records still count.
        assert_eq!(serde_json::to_string(&UploadBatch::of(vec![])).unwrap(), r#"{"records":[]}"#);
        let bad = decode_batch(br#"{"records": [], "drained": {"device_id": 5}}"#).unwrap();
        assert_eq!(bad.drained, None);
    }

    #[test]
    fn whole_body_errors() {
        assert!(matches!(decode_batch(b"not json"), Err(BatchDecodeError::NotABatch(_))));
        assert!(matches!(decode_batch(b"{\"recs\": []}"), Err(BatchDecodeError::NotABatch(_))));
        let many = format!("{{\"records\": [{}]}}", vec!["1"; MAX_BATCH_RECORDS + 1].join(","));
        assert!(matches!(decode_batch(many.as_bytes()), Err(BatchDecodeError::TooLarge { .. })));
        assert_eq!(decode_batch(b"{\"records\": []}").unwrap().entries.len(), 0);
    }

    #[test]
    fn outcome_wire_form_is_stable() {
        let o = Outcome::Refused { reason: RefusalReason::SequenceGap, detail: "x".into() };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"status":"refused","reason":"sequence_gap","detail":"x"}"#
        );
        assert_eq!(serde_json::to_string(&Outcome::AlreadyStored).unwrap(), r#"{"status":"already_stored"}"#);
        for r in RefusalReason::ALL {
            assert_eq!(RefusalReason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
    }
}
