//! # hadir-protocol: records on the wire
//!
//! The record and batch types, the canonical byte encoding that is signed, Ed25519 signatures,
//! the per-device hash chain and the messages of the device API (`/api/v1`).
//!
//! It owns the format; it performs no I/O. Both ends (the kiosk's uploader in `hadir-client`
//! and the central `hadir-server`) use these types, so a change here is a protocol change:
//! bump [`canonical::CANONICAL_VERSION`] and add test vectors rather than editing old ones.
//!
//! # Layout
//!
//! - [`record`]: what a record says ([`RecordBody`]) and the signed record ([`Record`]).
//! - [`canonical`]: the documented, versioned byte encoding that is hashed and signed.
//! - [`keys`]: device keys, public keys, digests and signatures (Ed25519, SHA-256).
//! - [`keytable`]: keys prepared for the server's many strict checks; under it `comb` (tables
//!   of a point's multiples) and `field` (arithmetic mod 2²⁵⁵ − 19), both private.
//! - [`chain`]: the per-device hash chain (`prev_hash`, sequence numbers).
//! - [`batch`]: upload batches, the tolerant batch decoder and the per-record answers.
//! - [`auth`]: request signatures for device calls that carry no signed record.
//! - [`health`]: the device's health report and its signed, chained events (tamper).
//! - [`api`]: the other request/response bodies (enrolment, roster sync, server time).
//!
//! # Test vectors
//!
//! `test-vectors/*.json` (next to this crate's `Cargo.toml`) hold inputs, canonical bytes in
//! hex, record hashes and signatures; `tests/vectors.rs` checks them, so another
//! implementation can check itself against the same files.

pub mod api;
pub mod auth;
pub mod band;
pub mod batch;
pub mod canonical;
pub mod chain;
pub mod health;
pub mod keys;
pub mod keytable;
mod comb;
mod field;
pub mod record;

pub use band::Band;
pub use batch::{
    BatchDecodeError, DecodedBatch, MalformedRecord, Outcome, RecordResult, RefusalReason,
    UploadBatch, UploadResponse, decode_batch,
};
pub use canonical::{CANONICAL_VERSION, CanonicalError, SUPPORTED_VERSIONS};
pub use chain::{ChainError, ChainHead, verify_chain};
pub use keys::{DeviceKey, Digest, KeyError, PublicKey, Signature, VerifyError};
pub use record::{
    ClockEvidence, Decision, Direction, FixMode, GpsFix, Mode, ReceiverDoubts, Record, RecordBody, Score, ValidationError,
};
