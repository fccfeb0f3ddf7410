//! # hadir-client: the device-side uploader
//!
//! Drains the kiosk's outbox to the central server in batches, in sequence order, with retries.
//!
//! It never deletes a record the server did not acknowledge.
