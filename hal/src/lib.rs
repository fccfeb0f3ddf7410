//! # hadir-hal: the kiosk's devices
//!
//! One small trait per device (camera, keypad, GPS, outputs, tamper switch, watchdog), in the
//! embedded-hal manner: fallible methods, no paths or pin numbers in the API. Each trait has a
//! real implementation behind a Cargo feature and a simulated one for desktops and tests.
//!
//! This crate owns the hardware and nothing else: it never decides attendance.
//!
//! # Layout
//!
//! - [`clock`]: `Clock` (`SystemClock`, `ManualClock`), injected wherever time matters.
//! - [`gps`]: trait `Gps` (`fix()`, `stats()`), `Fix`, `FixMode`; `NmeaDecoder` (pure);
//!   `ReplayGps::open(path, ReplayPace, max_age, clock)`; `SerialGps::open(SerialConfig, clock)`
//!   (feature `serial`).
pub mod clock;
pub mod gps;
