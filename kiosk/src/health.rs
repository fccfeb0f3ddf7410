//! # What the kiosk reports about itself
//!
//! The sync worker sends a [`HealthReport`] with every heartbeat (see
//! [`hadir_protocol::health`]): firmware, uptime, free space on the data partition, the outbox's
//! length and oldest record, the camera's frame rate, the CPU temperature, the tamper switch,
//! and the signed tamper events the server has not acknowledged.
//!
//! The loop and the sync worker share [`Vitals`] (what only the loop sees: frames, the switch);
//! the rest is read here from the store and the system. Parsing the kernel's files is pure and
//! tested; a board without a sensor (no thermal zone, no switch) reports nothing for it rather
//! than a made-up value.
//!
//! It must not decide anything: the server marks a device in trouble.

use crate::store::{Store, StoreError};
use hadir_protocol::health::{HealthReport, MAX_EVENTS_PER_REPORT};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the loop knows and the sync worker reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vitals {
    /// Camera frames per second, hundredths, over the last interval the kiosk wanted frames.
    pub camera_fps_centi: Option<u32>,
    /// The tamper switch (None: the device has none).
    pub tamper_open: Option<bool>,
}

/// [`Vitals`] shared between the loop and the sync worker.
pub type SharedVitals = Arc<Mutex<Vitals>>;

/// Counts camera frames while the kiosk wants them: a camera that gives none for a whole
/// interval of wanting reads 0 fps (dead), an idle kiosk that wanted none reads nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameRate {
    frames: u32,
    wanted_ms: u64,
}

impl FrameRate {
    /// The least wanting time that gives a rate, ms.
    pub const MIN_WANTED_MS: u64 = 2_000;

    /// The loop wanted frames for `ms` and got `frames`.
    pub fn add(&mut self, ms: u64, frames: u32) {
        self.wanted_ms += ms;
        self.frames += frames;
    }

    /// The rate in hundredths of a frame per second once enough wanting time is in (and
    /// starts a new interval), else `None`.
    pub fn take(&mut self) -> Option<u32> {
        if self.wanted_ms < Self::MIN_WANTED_MS {
            return None;
        }
        let rate = u64::from(self.frames) * 100_000 / self.wanted_ms;
        *self = FrameRate::default();
        Some(u32::try_from(rate).unwrap_or(u32::MAX))
    }
}

/// Frames wanted for this long without one: the camera is dead, ms. Long enough for a USB
/// camera to re-enumerate, short against the watchdog's reboot as the cure.
pub const CAMERA_DEAD_AFTER_MS: u64 = 30_000;

/// What the loop knows about its own health, for the watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Liveness {
    /// Since when (loop ms) frames are wanted without a frame having come; `None` when not
    /// wanted or a frame came.
    pub starving_since: Option<u64>,
    /// The store answered its last check.
    pub store_ok: bool,
}

/// Why the kiosk is not healthy (the watchdog then stops being fed and the board resets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Sick {
    /// The camera gave no frame while frames were wanted.
    #[error("the camera gave no frame for {0} ms while frames were wanted")]
    CameraDead(u64),
    /// The store does not answer.
    #[error("the store does not answer")]
    Store,
}

/// Whether the kiosk is healthy at loop time `now_ms`. A hung loop never asks, so it is not
/// fed either: the three ways a kiosk stops taking attendance all end in a reset.
pub fn check(l: Liveness, now_ms: u64) -> Result<(), Sick> {
    if !l.store_ok {
        return Err(Sick::Store);
    }
    match l.starving_since {
        Some(t) if now_ms.saturating_sub(t) > CAMERA_DEAD_AFTER_MS => Err(Sick::CameraDead(now_ms - t)),
        _ => Ok(()),
    }
}

/// Seconds since boot from `/proc/uptime` (`"12345.67 54321.00"`).
pub fn parse_uptime(text: &str) -> Option<u64> {
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then_some(secs as u64)
}

/// Milli-degrees Celsius from a thermal zone's `temp` file (`"51300"`); values outside
/// −40 °C..150 °C are a sensor fault, not a temperature.
pub fn parse_temp(text: &str) -> Option<i32> {
    let t: i32 = text.trim().parse().ok()?;
    (-40_000..=150_000).contains(&t).then_some(t)
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// The report to send now: the store's outbox and events, the loop's vitals, the system's
/// uptime, temperature and free space.
pub fn report(store: &Store, vitals: Vitals, data_dir: &Path, now_ms: i64) -> Result<HealthReport, StoreError> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    Ok(HealthReport {
        firmware: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_s: read("/proc/uptime").as_deref().and_then(parse_uptime).unwrap_or(0),
        data_free_bytes: free_bytes(data_dir),
        outbox_len: store.queue_len()?,
        oldest_unsent_s: store.oldest_pending_ms()?.map(|t| u64::try_from((now_ms - t).max(0) / 1000).unwrap_or(0)),
        camera_fps_centi: vitals.camera_fps_centi,
        cpu_temp_milli_c: read("/sys/class/thermal/thermal_zone0/temp").as_deref().and_then(parse_temp),
        tamper_open: vitals.tamper_open,
        // The sync worker knows the link; it fills this in.
        server_link: None,
        events: store.unacked_events(MAX_EVENTS_PER_REPORT as u32)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_for_the_watchdog() {
        let ok = Liveness { starving_since: None, store_ok: true };
        let cases = [
            ("all well", ok, 100_000, Ok(())),
            ("store down", Liveness { store_ok: false, ..ok }, 100_000, Err(Sick::Store)),
            ("starving exactly the limit", Liveness { starving_since: Some(70_000), ..ok }, 100_000, Ok(())),
            ("one ms more", Liveness { starving_since: Some(69_999), ..ok }, 100_000, Err(Sick::CameraDead(30_001))),
        ];
        for (name, l, now, want) in cases {
            assert_eq!(check(l, now), want, "{name}");
        }
    }

    #[test]
    fn kernel_files_parse() {
        let uptime = [("12345.67 54321.00\n", Some(12345)), ("0.40 0.10", Some(0)), ("", None), ("-3 1", None), ("abc", None)];
        for (text, want) in uptime {
            assert_eq!(parse_uptime(text), want, "{text:?}");
        }
        let temps = [("51300\n", Some(51_300)), ("-5000", Some(-5_000)), ("200000", None), ("-273000", None), ("", None)];
        for (text, want) in temps {
            assert_eq!(parse_temp(text), want, "{text:?}");
        }
    }

    #[test]
    fn frame_rate_over_the_time_frames_were_wanted() {
        let cases: &[(&str, &[(u64, u32)], Option<u32>)] = &[
            ("idle: no frames wanted", &[], None),
            ("too short to tell", &[(1_000, 15)], None),
            ("15 fps", &[(1_000, 15), (1_000, 15)], Some(1500)),
            ("a dead camera", &[(3_000, 0)], Some(0)),
            ("7.5 fps", &[(4_000, 30)], Some(750)),
        ];
        for (name, adds, want) in cases {
            let mut r = FrameRate::default();
            for (ms, frames) in *adds {
                r.add(*ms, *frames);
            }
            assert_eq!(r.take(), *want, "{name}");
        }
        let mut r = FrameRate::default();
        r.add(2_000, 30);
        assert_eq!(r.take(), Some(1500));
        assert_eq!(r.take(), None, "a new interval starts after a rate is taken");
    }

    #[test]
    fn free_space_of_a_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).is_some_and(|b| b > 0));
        assert_eq!(free_bytes(&dir.path().join("missing")), None);
    }
}
