//! # hadir-protocol: records on the wire
//!
//! The record and batch types, the canonical byte encoding that is signed, Ed25519 signatures
//! and the per-device hash chain.
//!
//! It owns the format; it performs no I/O.
