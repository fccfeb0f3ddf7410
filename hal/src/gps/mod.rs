//! GPS: position fixes from an NMEA 0183 receiver.
//!
//! [`NmeaDecoder`] turns sentences into fixes (see its module for the rules; the fields of
//! each sentence type are read in `sentence`); [`FixTracker`] keeps the latest one and says
//! when it is too old to count; the [`Gps`] trait is what the kiosk holds. Implementations:
//! [`ReplayGps`] (a capture file, at its own pace or as fast as possible) and, with the
//! `serial` feature, [`SerialGps`] (a receiver on a serial port). [`plausibility`] flags
//! decoded fixes that a real receiver would not send (teleports, frozen positions, uniform
//! signal strengths, zero HDOP, a clock far from the device's).
//!
//! # Units and limits
//! Latitude and longitude in degrees (WGS-84, south and west negative), altitude in metres
//! above mean sea level, HDOP unitless (also kept in hundredths exactly as the receiver sent
//! it), time UTC as the receiver reported it. A fix older than the configured maximum age is
//! not a fix: [`Gps::fix`] returns `None`.
//!
//! # Troubleshooting
//! - *No fix ever, `sentences` stays 0*: wrong baud rate (try 4800 and 9600) or wrong device.
//! - *`bad_checksum` grows*: electrical noise or two programs reading the same port.
//! - *Sentences but no fix*: the receiver has no sky view yet, or has not sent a valid RMC or
//!   ZDA (a fix needs the date).
//! - *`malformed` grows*: sentences of a type a fix uses whose fields break the standard;
//!   `own_parser` counts those the `nmea` crate refused and the decoder's own reader took.

mod decoder;
pub mod plausibility;
mod replay;
mod sentence;
#[cfg(feature = "serial")]
mod serial;

pub use decoder::{DecodedFix, MAX_LINE_LEN, NmeaDecoder, SatelliteInView};
pub use sentence::GnssSystem;
pub use replay::{ReplayGps, ReplayPace};
#[cfg(feature = "serial")]
pub use serial::{SerialConfig, SerialGps};

use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Fix dimension, as the receiver reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FixMode {
    /// No position (kept for completeness: [`Gps::fix`] never returns such a fix).
    #[serde(rename = "none")]
    None,
    /// Latitude and longitude only.
    #[serde(rename = "2d")]
    TwoD,
    /// Latitude, longitude and altitude.
    #[serde(rename = "3d")]
    ThreeD,
}

/// One position fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// UTC time of the measurement, as the receiver reported it: the epoch's time of day with
    /// the date from its RMC or ZDA (carried over midnight when the epoch had neither).
    pub time: OffsetDateTime,
    /// Degrees north (negative: south).
    pub lat: f64,
    /// Degrees east (negative: west).
    pub lon: f64,
    /// Metres above mean sea level (3D fixes only).
    pub alt: Option<f64>,
    /// 2D or 3D.
    pub mode: FixMode,
    /// Satellites used in the solution.
    pub sats: Option<u32>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f32>,
    /// Horizontal dilution of precision in hundredths, as the receiver wrote it (`1.1` → 110);
    /// the same value as `hdop` without the float.
    pub hdop_centi: Option<u16>,
    /// How long ago the fix was received.
    pub age: Duration,
    /// What the receiver's recent stream says against it (set by [`FixTracker`]).
    pub doubts: plausibility::ReceiverDoubts,
}

/// What the decoder saw, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NmeaStats {
    /// Sentences with a good checksum that were decoded.
    pub sentences: u64,
    /// Of those, sentences the `nmea` crate refused that the decoder's own strict field reader
    /// read (NMEA 4.10/4.11 fields, long sentences; see the `sentence` module).
    pub own_parser: u64,
    /// Lines whose checksum did not match.
    pub bad_checksum: u64,
    /// Lines that were not NMEA at all (noise, wrong baud rate, over-long lines).
    pub garbage: u64,
    /// Sentences with a good checksum whose fields did not parse.
    pub malformed: u64,
    /// Proprietary, unknown or unused sentence types (skipped, not an error).
    pub unsupported: u64,
}

/// Errors of the GPS devices.
#[derive(Debug, thiserror::Error)]
pub enum GpsError {
    /// The serial port could not be opened.
    #[error("cannot open GPS serial port {device} at {baud} baud: {reason} (check the device path in the config and that the user is in the `dialout` group)")]
    Open {
        /// The device path.
        device: String,
        /// The configured baud rate.
        baud: u32,
        /// The operating system's reason.
        reason: String,
    },
    /// Reading from the receiver failed (unplugged?).
    #[error("reading GPS {device} failed: {source} (is the receiver still connected?)")]
    Read {
        /// The device path.
        device: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A capture file could not be read.
    #[error("cannot read NMEA capture {path}: {source}")]
    Capture {
        /// The capture file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A GPS receiver as the kiosk sees it.
pub trait Gps: Send {
    /// Takes in whatever the receiver sent since the last call (without blocking for long) and
    /// returns the latest fix if it is younger than the configured maximum age.
    fn fix(&mut self) -> Result<Option<Fix>, GpsError>;

    /// Counts of sentences, bad checksums and garbage so far.
    fn stats(&self) -> NmeaStats;
}

impl<G: Gps + ?Sized> Gps for Box<G> {
    fn fix(&mut self) -> Result<Option<Fix>, GpsError> {
        (**self).fix()
    }
    fn stats(&self) -> NmeaStats {
        (**self).stats()
    }
}

/// Holds the latest fix and ages it, and watches the receiver's stream for what a real
/// receiver does not send (every fix it hands out carries those doubts).
#[derive(Debug, Clone)]
pub struct FixTracker {
    latest: Option<DecodedFix>,
    max_age: Duration,
    watch: plausibility::Watch,
}

impl FixTracker {
    /// A tracker for which fixes older than `max_age` do not count.
    pub fn new(max_age: Duration) -> Self {
        Self { latest: None, max_age, watch: plausibility::Watch::default() }
    }

    /// Records a newly decoded fix.
    pub fn update(&mut self, fix: DecodedFix) {
        self.watch.see(&fix);
        self.latest = Some(fix);
    }

    /// The latest fix with its age and doubts, unless it is older than the maximum age.
    pub fn current(&self, now: Instant) -> Option<Fix> {
        let latest = self.latest.as_ref()?;
        let age = now.saturating_duration_since(latest.received);
        (age <= self.max_age).then(|| Fix { age, doubts: self.watch.doubts(latest.fix.time), ..latest.fix.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_fixes_are_not_fixes() {
        let t0 = Instant::now();
        let fix = Fix {
            time: OffsetDateTime::UNIX_EPOCH,
            lat: 1.0,
            lon: 2.0,
            alt: None,
            mode: FixMode::TwoD,
            sats: Some(5),
            hdop: Some(1.0),
            hdop_centi: Some(100),
            age: Duration::ZERO,
            doubts: plausibility::ReceiverDoubts::default(),
        };
        let mut tracker = FixTracker::new(Duration::from_secs(5));
        assert_eq!(tracker.current(t0), None);
        tracker.update(DecodedFix { fix, received: t0, speed_mps: None, sky: Vec::new() });
        let cases = [(0, Some(0)), (5, Some(5)), (6, None)];
        for (after, age) in cases {
            let got = tracker.current(t0 + Duration::from_secs(after)).map(|f| f.age.as_secs());
            assert_eq!(got, age, "after {after} s");
        }
    }
}
