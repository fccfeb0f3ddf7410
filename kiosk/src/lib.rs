//! # hadir-kiosk: the device program
//!
//! The attendance flow (a state machine of plain data), the policy (mode, schedule, tolerance),
//! the local store, record signing, and the wiring of hal, models and ui.
//!
//! It owns what happens at the device; the wire format belongs to `hadir-protocol`.
//!
//! ## Layout
//! - [`flow`]: the state machine: idle → IN/OUT → PIN → capture → decision → result.
//! - [`policy`]: office/field mode, today's schedule, the late mark, the GPS rule.

pub mod flow;
pub mod policy;
