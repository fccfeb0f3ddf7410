//! # hadir-kiosk: the device program
//!
//! The attendance flow (a state machine of plain data), the policy (mode, schedule, tolerance),
//! the local store, record signing, and the wiring of hal, models and ui.
//!
//! It owns what happens at the device; the wire format belongs to `hadir-protocol`.
//!
//! ## Features
//! - `models` (default): the real face pipeline through `hadir-models` (tract).
//! - `devices` (default): hal's real drivers (V4L2, GPIO, serial GPS, evdev).
//! - `sync` (default): the uploader through `hadir-client` (roster, outbox, enrolment).
//! - `ui`: the touchscreen (`hadir-ui`, Slint's software renderer): a window needs `desktop`
//!   (winit) or `board` (DRM/KMS); without either the screen is rendered headless to PNG.
//!   The device build (`cargo xtask cross`) turns on `board`; the workspace's test build `ui`.
//!   Without `ui` the kiosk runs without a screen, as with `--headless`.
//!
//! With no features the library (flow, policy, store, records, runtime with a scripted face
//! pipeline, crash test) builds and tests without tract, reqwest or Slint.
//!
//! ## Binary
//! `hadir-kiosk [--config FILE] [--sim] [--headless | --screens-dir DIR]` runs the kiosk ([`run`])
//! on the touchscreen (a window when a display exists, else PNGs in DIR), or with `--headless`
//! without a screen (logged);
//! `hadir-kiosk bench` prints the benchmark lines; `hadir-kiosk crash-test [--runs N]` runs the
//! crash test and prints its line; `hadir-kiosk enrol --employee ID PHOTO...` and
//! `hadir-kiosk hash-pin` are administrator tools.
//!
//! ## Layout
//! - [`flow`]: the state machine: idle → IN/OUT → PIN → capture → decision → result.
//! - [`admin`]: the administrator's menu and enrolment session as transitions.
//! - [`clock`]: clock sanity, the evidence each record carries about the wall clock.
//! - [`crash`]: the crash test (SIGKILL while recording) and its writer mode.
//! - [`config`]: the TOML configuration, one typed struct validated at start.
//! - [`devices`]: the simulated (`--sim`) and real devices from the configuration.
//! - [`enrol`]: enrolment of an employee's face by an administrator, with duplicate check.
//! - [`bench`]: the benchmark figures (decision time, peak memory, record rate).
//! - [`health`]: what the kiosk reports about itself (uptime, free space, queue, frame rate, tamper).
//! - [`face`]: the face pipeline as the kiosk needs it (`FaceCheck`; real one with `models`).
//! - [`runtime`]: the flow wired to devices, face pipeline, policy and store; [`run`].
//! - [`sync`]: roster in, outbox out, server time.
//! - [`text`]: what the person reads, Bahasa Indonesia or English (logs, headless).
//! - `touch` (feature `ui`): the flow's screens on the Slint touchscreen, touches back as inputs.
//! - [`identity`]: the device key file (0600) and the keys derived from it.
//! - [`store`]: SQLite: roster, templates (encrypted), records (append-only), outbox, audit.
//! - [`records`]: building and signing records that extend the device's chain.
//! - [`policy`]: office/field mode, today's schedule, the late mark, the GPS rule.

pub mod admin;
pub mod clock;
pub mod config;
pub mod crash;
pub mod devices;
pub mod enrol;
pub mod bench;
pub mod face;
pub mod flow;
pub mod health;
pub mod identity;
pub mod policy;
pub mod records;
pub mod runtime;
pub mod store;
pub mod sync;
pub mod text;
#[cfg(feature = "ui")]
pub mod touch;

pub use config::KioskConfig;
pub use runtime::{Devices, Input, Kiosk, run};
