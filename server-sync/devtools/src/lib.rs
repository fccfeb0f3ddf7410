//! # hadir-devtools: the development tools around the server
//!
//! What a developer or a demonstration needs and a production server must not carry:
//!
//! - [`demo`]: the demo department `cargo xtask demo` and the QEMU test seed into a fresh
//!   database (`hadir-dev seed-demo`), made of records signed by a demo device key and sent
//!   through the server's real ingest path.
//! - [`bench`]: the ingest benchmark (`hadir-dev bench`), the ZKTeco terminals' ingest, the
//!   employee import and the plausibility checks, on SQLite and on PostgreSQL (a throw-away
//!   cluster from `hadir-pg-cluster`).
//!
//! It only calls the server library's public API (the store, ingest, the dashboard's password
//! hashing); it holds no product logic of its own.

pub mod bench;
pub mod demo;
