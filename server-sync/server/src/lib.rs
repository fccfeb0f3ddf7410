//! # hadir-server: the central server
//!
//! The device API (enrolment, ingest, roster sync), the dashboard, reports and the late board.

pub mod dashboard;
pub mod reports;
pub mod rules;
