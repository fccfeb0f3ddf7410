//! # hadir-e2e: end-to-end tests
//!
//! Helpers shared by the workspace's end-to-end tests in `tests/tests/`.
