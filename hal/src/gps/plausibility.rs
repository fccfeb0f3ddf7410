//! Receiver-side plausibility checks: decoded fixes that a real receiver would not send.
//!
//! # Purpose
//! A field record carries the GPS fix as evidence of where it was made. A cheap GPS simulator,
//! a replayed capture or a tampered receiver produces NMEA that decodes into good-looking
//! fixes; what gives them away is what a real receiver never does. [`Checker`] looks at the
//! fixes of one receiver in order and raises a [`Flag`] for:
//! - [`Flag::Teleport`]: consecutive fixes farther apart than any believable speed allows
//!   (great-circle distance over the time between them, after an allowance for position
//!   noise);
//! - [`Flag::FrozenPosition`]: the same coordinates to the last digit over consecutive fixes
//!   while the receiver says it is moving, or for a very long time;
//! - [`Flag::UniformSignal`]: every satellite in view at the same signal strength (GSV) over
//!   several epochs: real signals differ by elevation, obstruction and antenna pattern;
//! - [`Flag::ZeroHdop`]: an HDOP of zero, which no satellite geometry gives;
//! - [`Flag::ClockSkew`]: the receiver's UTC far from the device clock (only when the caller
//!   gives the device clock).
//!
//! # What real receivers do (why the thresholds are what they are)
//! - A stationary receiver jitters in the last digits; with static hold (SiRF's static
//!   navigation, u-blox static hold) it freezes its position while standing still and reports
//!   a speed near zero. Identical positions are therefore only suspicious with a reported
//!   speed that should have moved the position by more than its resolution (two decimals of
//!   minutes are 18.5 m), or over half an hour.
//! - Position noise with poor geometry (HDOP 10–20 after a cold start) moves a fix by tens of
//!   metres between seconds; the teleport check forgives `jump_allowance_m` before it divides
//!   by the time.
//! - Signal strengths in GSV are whole dB-Hz and cluster around 40–45 under open sky; a
//!   receiver that sends only part of its GSV group per epoch can show four or five
//!   satellites at one value for several epochs (a GP-320FW does). Six or more at one value
//!   for five epochs is a simulator's flat signal. Zero means "not tracked" in several
//!   receivers and is not a strength.
//! - Receiver time never runs backwards; when a capture's does (two recordings joined, a
//!   receiver restarted with a stale clock) the checker starts afresh instead of comparing
//!   across the break.
//!
//! # What reaches a record
//! Every receiver's [`super::FixTracker`] keeps a [`Watch`] over its stream, and each fix it
//! hands out carries the [`ReceiverDoubts`] of that moment: a frozen position or a flat signal
//! still going on, a teleport in the last [`TELEPORT_MEMORY`]. The record carries them to the
//! server (a zero HDOP and a skewed clock the server sees from the record itself).
//!
//! # What it owns, what it must not do
//! Pure functions over decoded fixes ([`DecodedFix`]): no I/O, no clock of its own (the device
//! time is an argument), no printing. It flags; it never drops or changes a fix: deciding what
//! a flag means for a record is the kiosk's business.

use super::DecodedFix;
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Limits of what a real receiver does. [`Default`] suits a person on foot or in a vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// Fastest believable ground speed between consecutive fixes, m/s (default 100: 360 km/h).
    pub max_speed_mps: f64,
    /// Distance consecutive fixes may differ by from noise alone, m (default 100).
    pub jump_allowance_m: f64,
    /// Reported speed over ground from which a receiver counts as moving, m/s (default 2).
    pub moving_speed_mps: f64,
    /// Distance the reported speeds must add up to, over identical fixes, before the
    /// position counts as frozen while moving, m (default 30: above two-decimal resolution).
    pub frozen_travel_m: f64,
    /// Seconds of identical positions that count as frozen whatever the speed (default 1800;
    /// `None`: off, for receivers with static hold that stand still for long).
    pub frozen_still_secs: Option<f64>,
    /// Satellites with a signal an epoch needs before its strengths are judged (default 6).
    pub uniform_min_sats: usize,
    /// Consecutive epochs with GSV, all satellites at one strength, that raise the flag
    /// (default 5).
    pub uniform_epochs: u32,
    /// Largest believable difference between the receiver's UTC and the device clock, s
    /// (default 10).
    pub max_clock_skew_s: f64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            max_speed_mps: 100.0,
            jump_allowance_m: 100.0,
            moving_speed_mps: 2.0,
            frozen_travel_m: 30.0,
            frozen_still_secs: Some(1800.0),
            uniform_min_sats: 6,
            uniform_epochs: 5,
            max_clock_skew_s: 10.0,
        }
    }
}

/// A configuration value that cannot be a limit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plausibility limit {name} = {value} must be a positive number")]
pub struct ConfigError {
    /// The field of [`CheckConfig`].
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

impl CheckConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let limits = [
            ("max_speed_mps", self.max_speed_mps),
            ("jump_allowance_m", self.jump_allowance_m),
            ("moving_speed_mps", self.moving_speed_mps),
            ("frozen_travel_m", self.frozen_travel_m),
            ("frozen_still_secs", self.frozen_still_secs.unwrap_or(1.0)),
            ("uniform_min_sats", self.uniform_min_sats as f64),
            ("uniform_epochs", f64::from(self.uniform_epochs)),
            ("max_clock_skew_s", self.max_clock_skew_s),
        ];
        match limits.into_iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            Some((name, value)) => Err(ConfigError { name, value }),
            None => Ok(()),
        }
    }
}

/// Something a real receiver would not send, with its figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// Consecutive fixes farther apart than `max_speed_mps` allows.
    Teleport {
        /// Great-circle distance from the previous fix, m.
        distance_m: f64,
        /// Time since the previous fix, s (zero: no time between).
        seconds: f64,
        /// Distance over time, m/s (`None` when no time passed).
        speed_mps: Option<f64>,
    },
    /// The same coordinates, to the last digit, over `fixes` consecutive fixes.
    FrozenPosition {
        /// The frozen latitude.
        lat: f64,
        /// The frozen longitude.
        lon: f64,
        /// Consecutive fixes at it so far.
        fixes: u32,
        /// Time from the first of them to this one, s.
        seconds: f64,
        /// The distance the receiver's own speed reports add up to over that time, m.
        reported_travel_m: f64,
    },
    /// Every satellite in view at one signal strength, over consecutive epochs.
    UniformSignal {
        /// The one strength, dB-Hz.
        snr_db: u8,
        /// Satellites with a signal in this epoch.
        satellites: usize,
        /// Consecutive epochs like this.
        epochs: u32,
    },
    /// HDOP reported as zero.
    ZeroHdop {
        /// Satellites the receiver says it used.
        sats: Option<u32>,
    },
    /// The receiver's UTC far from the device clock.
    ClockSkew {
        /// The device clock when the fix was received.
        device: OffsetDateTime,
        /// Receiver time minus device time, s.
        seconds: f64,
    },
}

impl Flag {
    /// The flag's name, as the CLI prints it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Teleport { .. } => "teleport",
            Self::FrozenPosition { .. } => "frozen_position",
            Self::UniformSignal { .. } => "uniform_signal",
            Self::ZeroHdop { .. } => "zero_hdop",
            Self::ClockSkew { .. } => "clock_skew",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        match self {
            Self::Teleport { distance_m, seconds, speed_mps } => {
                write!(f, " distance_m={distance_m:.1} seconds={seconds:.3} speed_mps=")?;
                match speed_mps {
                    Some(v) => write!(f, "{v:.1}"),
                    None => write!(f, "inf"),
                }
            }
            Self::FrozenPosition { lat, lon, fixes, seconds, reported_travel_m } => write!(
                f,
                " lat={lat:.9} lon={lon:.9} fixes={fixes} seconds={seconds:.3} reported_travel_m={reported_travel_m:.1}"
            ),
            Self::UniformSignal { snr_db, satellites, epochs } => {
                write!(f, " snr_db={snr_db} satellites={satellites} epochs={epochs}")
            }
            Self::ZeroHdop { sats } => match sats {
                Some(n) => write!(f, " sats={n}"),
                None => write!(f, " sats=unknown"),
            },
            Self::ClockSkew { device, seconds } => {
                let device = device.format(&Rfc3339).map_err(|_| fmt::Error)?;
                write!(f, " device={device} seconds={seconds:.3}")
            }
        }
    }
}

/// A flag and the time of the fix that raised it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The fix's UTC time (the receiver's).
    pub time: OffsetDateTime,
    /// What is wrong.
    pub flag: Flag,
}

/// Great-circle distance between two points given in degrees, metres (haversine).
pub fn great_circle_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A stretch of consecutive fixes at identical coordinates.
#[derive(Debug, Clone)]
struct Frozen {
    position: (f64, f64),
    first: OffsetDateTime,
    fixes: u32,
    /// The last fix of the stretch: its time, and its speed if it counted as moving.
    last: (OffsetDateTime, Option<f64>),
    /// The distance the speeds of the trailing moving part of the stretch add up to.
    travel_m: f64,
    flagged: bool,
}

/// What a receiver's recent stream says against its current fix (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReceiverDoubts {
    /// A jump no vehicle makes, within the last [`TELEPORT_MEMORY`] of receiver time.
    pub teleport: bool,
    /// The position frozen to the last digit while the receiver reports moving, or for very
    /// long: now.
    pub frozen_position: bool,
    /// Every satellite at one signal strength: now.
    pub uniform_signal: bool,
}

impl ReceiverDoubts {
    /// Whether any doubt is raised.
    pub fn any(&self) -> bool {
        self.teleport || self.frozen_position || self.uniform_signal
    }
}

/// How long after a teleport the receiver's fixes stay doubted (receiver time): a simulator
/// that jumped once does not become a receiver by standing still.
pub const TELEPORT_MEMORY: time::Duration = time::Duration::minutes(15);

/// A [`Checker`] over one receiver's stream that answers what its fixes are doubted for.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    checker: Checker,
    last_teleport: Option<OffsetDateTime>,
}

impl Watch {
    /// Checks the next decoded fix.
    pub fn see(&mut self, decoded: &DecodedFix) {
        for finding in self.checker.check(decoded, None) {
            if matches!(finding.flag, Flag::Teleport { .. }) {
                self.last_teleport = Some(finding.time);
            }
        }
    }

    /// The doubts about the fix of receiver time `at` (the last one seen).
    pub fn doubts(&self, at: OffsetDateTime) -> ReceiverDoubts {
        ReceiverDoubts {
            teleport: self.last_teleport.is_some_and(|t| t <= at && at - t <= TELEPORT_MEMORY),
            frozen_position: self.checker.frozen.as_ref().is_some_and(|run| run.flagged),
            uniform_signal: self.checker.uniform.is_some_and(|(_, _, flagged)| flagged),
        }
    }
}

/// Looks at one receiver's fixes in order. Feed it every decoded fix.
#[derive(Debug, Clone)]
pub struct Checker {
    config: CheckConfig,
    previous: Option<(OffsetDateTime, (f64, f64))>,
    frozen: Option<Frozen>,
    /// The uniform strength of the current run of epochs, its length, and whether it was flagged.
    uniform: Option<(u8, u32, bool)>,
    zero_hdop: bool,
    skewed: bool,
}

impl Default for Checker {
    /// A checker with the default limits (those of the module docs).
    fn default() -> Self {
        Self::fresh()
    }
}

impl Checker {
    /// A checker with these limits.
    pub fn new(config: CheckConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self { config, ..Self::fresh() })
    }

    fn fresh() -> Self {
        Self {
            config: CheckConfig::default(),
            previous: None,
            frozen: None,
            uniform: None,
            zero_hdop: false,
            skewed: false,
        }
    }

    /// Checks the next fix; `device_time` is the device clock when it was received, if known.
    /// A condition that lasts is flagged once, when it is first seen, until it ends.
    pub fn check(&mut self, decoded: &DecodedFix, device_time: Option<OffsetDateTime>) -> Vec<Finding> {
        let fix = &decoded.fix;
        let position = (fix.lat, fix.lon);
        let mut flags = Vec::new();
        if let Some((time, from)) = self.previous {
            let seconds = (fix.time - time).as_seconds_f64();
            if seconds < 0.0 {
                // A new stream (see the module docs): nothing to compare with.
                *self = Self { config: self.config.clone(), ..Self::fresh() };
            } else {
                flags.extend(self.teleport(from, position, seconds));
            }
        }
        flags.extend(self.frozen(decoded));
        flags.extend(self.uniform(decoded));
        let zero = fix.hdop_centi == Some(0);
        if zero && !self.zero_hdop {
            flags.push(Flag::ZeroHdop { sats: fix.sats });
        }
        self.zero_hdop = zero;
        let skew = device_time.map(|device| (device, (fix.time - device).as_seconds_f64()));
        let skewed = skew.filter(|(_, s)| s.abs() > self.config.max_clock_skew_s);
        if let Some((device, seconds)) = skewed
            && !self.skewed
        {
            flags.push(Flag::ClockSkew { device, seconds });
        }
        self.skewed = skewed.is_some();
        self.previous = Some((fix.time, position));
        flags.into_iter().map(|flag| Finding { time: fix.time, flag }).collect()
    }

    fn teleport(&self, from: (f64, f64), to: (f64, f64), seconds: f64) -> Option<Flag> {
        let distance_m = great_circle_m(from, to);
        let beyond_noise = distance_m - self.config.jump_allowance_m;
        if beyond_noise <= 0.0 {
            return None;
        }
        if seconds == 0.0 {
            return Some(Flag::Teleport { distance_m, seconds, speed_mps: None });
        }
        (beyond_noise / seconds > self.config.max_speed_mps).then(|| Flag::Teleport {
            distance_m,
            seconds,
            speed_mps: Some(distance_m / seconds),
        })
    }

    fn frozen(&mut self, decoded: &DecodedFix) -> Option<Flag> {
        let fix = &decoded.fix;
        let position = (fix.lat, fix.lon);
        let moving = decoded.speed_mps.filter(|v| *v >= self.config.moving_speed_mps);
        // Identical to the last digit: the same decimal decodes to the same bits.
        let Some(run) = self.frozen.as_mut().filter(|run| run.position == position) else {
            self.frozen = Some(Frozen {
                position,
                first: fix.time,
                fixes: 1,
                last: (fix.time, moving),
                travel_m: 0.0,
                flagged: false,
            });
            return None;
        };
        run.fixes += 1;
        run.travel_m = match (run.last.1, moving) {
            // The receiver's own account of how far it went since the last fix (trapezoid).
            (Some(before), Some(now)) => {
                run.travel_m + (fix.time - run.last.0).as_seconds_f64().max(0.0) * (before + now) / 2.0
            }
            _ => 0.0,
        };
        run.last = (fix.time, moving);
        let seconds = (fix.time - run.first).as_seconds_f64();
        let moving_frozen = moving.is_some() && run.travel_m >= self.config.frozen_travel_m;
        let still_frozen = self.config.frozen_still_secs.is_some_and(|limit| seconds >= limit);
        if run.flagged || !(moving_frozen || still_frozen) {
            return None;
        }
        run.flagged = true;
        Some(Flag::FrozenPosition {
            lat: position.0,
            lon: position.1,
            fixes: run.fixes,
            seconds,
            reported_travel_m: run.travel_m,
        })
    }

    fn uniform(&mut self, decoded: &DecodedFix) -> Option<Flag> {
        if decoded.sky.is_empty() {
            // No GSV this epoch (many receivers send it every few seconds): nothing to judge.
            return None;
        }
        let strengths: Vec<u8> = decoded.sky.iter().filter_map(|s| s.snr_db).filter(|v| *v > 0).collect();
        let one = strengths.first().copied().filter(|first| {
            strengths.len() >= self.config.uniform_min_sats && strengths.iter().all(|v| v == first)
        });
        let Some(snr_db) = one else {
            self.uniform = None;
            return None;
        };
        let (epochs, flagged) = match self.uniform {
            Some((value, epochs, flagged)) if value == snr_db => (epochs + 1, flagged),
            _ => (1, false),
        };
        let raise = !flagged && epochs >= self.config.uniform_epochs;
        self.uniform = Some((snr_db, epochs, flagged || raise));
        raise.then_some(Flag::UniformSignal { snr_db, satellites: strengths.len(), epochs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gps::{Fix, FixMode, GnssSystem, SatelliteInView};
    use std::time::{Duration, Instant};
    use time::macros::datetime;

    /// A fix `secs` after a fixed start, at (lat, lon), with speed and GSV strengths.
    fn fix(secs: f64, lat: f64, lon: f64, speed_mps: Option<f64>, snrs: &[u8]) -> DecodedFix {
        let sky = snrs
            .iter()
            .enumerate()
            .map(|(i, snr)| SatelliteInView {
                system: GnssSystem::Gps,
                prn: u16::try_from(i + 1).unwrap_or(0),
                signal: None,
                snr_db: Some(*snr),
            })
            .collect();
        DecodedFix {
            fix: Fix {
                time: datetime!(2026-01-05 01:00 UTC) + time::Duration::seconds_f64(secs),
                lat,
                lon,
                alt: Some(10.0),
                mode: FixMode::ThreeD,
                sats: Some(8),
                hdop: Some(1.0),
                hdop_centi: Some(100),
                age: Duration::ZERO,
                doubts: ReceiverDoubts::default(),
            },
            received: Instant::now(),
            speed_mps,
            sky,
        }
    }

    fn names(fixes: &[DecodedFix]) -> Vec<String> {
        let mut checker = Checker::new(CheckConfig::default()).unwrap();
        fixes.iter().flat_map(|f| checker.check(f, None)).map(|f| f.flag.name().to_string()).collect()
    }

    /// About 1.1 m in latitude: the last digit of four-decimal minutes is 0.18 m.
    const STEP: f64 = 1e-5;

    #[test]
    fn the_watch_tells_each_fix_what_is_going_on() {
        let varied = [38, 41, 44, 35, 47, 40, 42];
        let flat = [45; 7];
        let none = ReceiverDoubts::default();
        // (what the receiver sends, second by second; what the last fix carries)
        type Stream = Vec<DecodedFix>;
        let walk = |from: u32, to: u32, snrs: &[u8]| -> Stream {
            (from..to).map(|s| fix(f64::from(s), -8.5 + f64::from(s) * 1e-5, 115.2, Some(1.0), snrs)).collect()
        };
        let jump_then = |after_s: u32| -> Stream {
            let mut v = walk(0, 3, &varied);
            v.push(fix(3.0, -7.5, 115.2, Some(1.0), &varied));
            v.extend((4..after_s).step_by(30).map(|s| fix(f64::from(s), -7.5 + f64::from(s) * 1e-5, 115.2, Some(1.0), &varied)));
            v
        };
        let cases: Vec<(&str, Stream, ReceiverDoubts)> = vec![
            ("a clean walk", walk(0, 20, &varied), none),
            ("a flat signal, still going", walk(0, 20, &flat), ReceiverDoubts { uniform_signal: true, ..none }),
            ("a flat signal that ended", [walk(0, 20, &flat), walk(20, 25, &varied)].concat(), none),
            ("111 km in a second, just now", jump_then(10), ReceiverDoubts { teleport: true, ..none }),
            ("the jump 14 minutes ago", jump_then(14 * 60), ReceiverDoubts { teleport: true, ..none }),
            ("the jump 16 minutes ago", jump_then(16 * 60 + 30), none),
            (
                "frozen while reporting 30 m/s",
                (0..30).map(|s| fix(f64::from(s), -8.5, 115.2, Some(30.0), &varied)).collect(),
                ReceiverDoubts { frozen_position: true, ..none },
            ),
        ];
        for (name, stream, want) in cases {
            let mut watch = Watch::default();
            for f in &stream {
                watch.see(f);
            }
            let last = stream.last().map(|f| f.fix.time).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            assert_eq!(watch.doubts(last), want, "{name}");
            assert_eq!(watch.doubts(last).any(), want != none, "{name}");
        }
    }

    #[test]
    fn great_circle_distances() {
        let cases = [
            ((0.0, 0.0), (0.0, 1.0), 111_195.08),
            ((0.0, 0.0), (1.0, 0.0), 111_195.08),
            ((-8.65, 115.22), (-8.65, 115.22), 0.0),
            ((0.0, 0.0), (0.0, 180.0), 20_015_115.07),
            ((0.0, 0.0), (90.0, 0.0), 10_007_557.18),
            ((-8.65, 115.22), (-8.65, 115.22 + 1e-5), 1.0996),
        ];
        for (a, b, want) in cases {
            let got = great_circle_m(a, b);
            assert!((got - want).abs() < want.max(1.0) * 1e-3, "{a:?} {b:?}: {got}");
        }
    }

    #[test]
    fn flags_table() {
        let walk = |n: usize, speed: Option<f64>| -> Vec<DecodedFix> {
            (0..n).map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, speed, &[])).collect()
        };
        let still_jitter: Vec<DecodedFix> =
            (0..600).map(|i| fix(i as f64, -8.65 + (i % 3) as f64 * STEP, 115.22, Some(0.1), &[])).collect();
        let static_hold: Vec<DecodedFix> = (0..600).map(|i| fix(i as f64, -8.65, 115.22, Some(0.0), &[])).collect();
        let frozen_moving: Vec<DecodedFix> = (0..10).map(|i| fix(i as f64, -8.65, 115.22, Some(10.0), &[])).collect();
        let frozen_long: Vec<DecodedFix> = (0..40).map(|i| fix(i as f64 * 60.0, -8.65, 115.22, None, &[])).collect();
        let coarse_walk: Vec<DecodedFix> =
            (0..10).map(|i| fix(i as f64, -8.65 + (i / 10) as f64 * 3e-4, 115.22, Some(2.5), &[])).collect();
        let mut teleport = walk(5, Some(1.0));
        teleport.push(fix(5.0, -7.65, 115.22, Some(1.0), &[]));
        let mut same_time = walk(3, None);
        same_time.push(fix(2.0, -8.0, 115.22, None, &[]));
        let drive: Vec<DecodedFix> = (0..30).map(|i| fix(i as f64, -8.65 + i as f64 * 3e-4, 115.22, Some(33.0), &[])).collect();
        let cold_start_noise = vec![
            fix(0.0, -8.65, 115.22, None, &[]),
            fix(1.0, -8.6508, 115.2206, None, &[]), // ~110 m in a second, HDOP 20 territory
            fix(2.0, -8.65, 115.22, None, &[]),
        ];
        let gap = vec![fix(0.0, -8.65, 115.22, None, &[]), fix(600.0, -8.55, 115.22, None, &[])];
        let real_sky = [45, 38, 41, 29, 33, 47, 22];
        let sky_ok: Vec<DecodedFix> = (0..10).map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, &real_sky)).collect();
        let sky_flat: Vec<DecodedFix> = (0..10).map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, &[40; 8])).collect();
        let sky_flat_once: Vec<DecodedFix> = (0..10)
            .map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, if i % 4 == 3 { &[40; 8] } else { &real_sky }))
            .collect();
        // A GP-320FW sending part of its GSV group: four or five satellites at 40 dB-Hz.
        let sky_five_alike: Vec<DecodedFix> =
            (0..10).map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, &[40; 5])).collect();
        let mut sky_with_gaps = Vec::new();
        for i in 0..12 {
            let f = fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, if i % 2 == 0 { &[44; 9] } else { &[] });
            sky_with_gaps.push(f);
        }
        let mut backwards = walk(5, None);
        backwards.push(fix(-3000.0, -8.60, 115.22, None, &[]));
        backwards.push(fix(-2999.0, -8.60 + STEP, 115.22, None, &[]));
        let sky_untracked: Vec<DecodedFix> = (0..10).map(|i| fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, &[0; 8])).collect();
        let mut zero_hdop = walk(6, None);
        for f in &mut zero_hdop[2..5] {
            f.fix.hdop_centi = Some(0);
            f.fix.hdop = Some(0.0);
        }

        let cases: Vec<(&str, Vec<DecodedFix>, Vec<&str>)> = vec![
            ("walking", walk(20, Some(1.2)), vec![]),
            ("stationary jitter", still_jitter, vec![]),
            ("static hold, ten minutes", static_hold, vec![]),
            ("frozen while moving", frozen_moving, vec!["frozen_position"]),
            ("frozen for 39 minutes", frozen_long, vec!["frozen_position"]),
            ("two-decimal minutes walking", coarse_walk, vec![]),
            ("teleport", teleport, vec!["teleport"]),
            ("jump with no time between", same_time, vec!["teleport"]),
            ("driving at 120 km/h", drive, vec![]),
            ("cold-start noise", cold_start_noise, vec![]),
            ("ten minutes without fix", gap, vec![]),
            ("real signal strengths", sky_ok, vec![]),
            ("uniform strengths", sky_flat, vec!["uniform_signal"]),
            ("uniform now and then", sky_flat_once, vec![]),
            ("five satellites alike", sky_five_alike, vec![]),
            ("uniform, GSV every other epoch", sky_with_gaps, vec!["uniform_signal"]),
            ("time runs backwards (two recordings)", backwards, vec![]),
            ("untracked satellites", sky_untracked, vec![]),
            ("zero HDOP", zero_hdop, vec!["zero_hdop"]),
        ];
        for (what, fixes, want) in cases {
            assert_eq!(names(&fixes), want, "{what}");
        }
    }

    #[test]
    fn figures_of_the_flags() {
        let mut checker = Checker::new(CheckConfig::default()).unwrap();
        let a = fix(0.0, 0.0, 0.0, None, &[]);
        let b = fix(2.0, 0.0, 1.0, None, &[]);
        checker.check(&a, None);
        let found = checker.check(&b, None);
        assert_eq!(found.len(), 1);
        match &found[0].flag {
            Flag::Teleport { distance_m, seconds, speed_mps } => {
                assert!((distance_m - 111_195.08).abs() < 1.0);
                assert_eq!(*seconds, 2.0);
                assert!((speed_mps.unwrap() - 55_597.5).abs() < 1.0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(found[0].time, b.fix.time);
        assert_eq!(found[0].flag.to_string(), "teleport distance_m=111195.1 seconds=2.000 speed_mps=55597.5");

        let mut checker = Checker::new(CheckConfig::default()).unwrap();
        let frozen: Vec<Finding> =
            (0..6).flat_map(|i| checker.check(&fix(i as f64, -8.65, 115.22, Some(10.0), &[]), None)).collect();
        assert_eq!(frozen.len(), 1);
        assert_eq!(
            frozen[0].flag,
            Flag::FrozenPosition { lat: -8.65, lon: 115.22, fixes: 4, seconds: 3.0, reported_travel_m: 30.0 }
        );
    }

    #[test]
    fn clock_skew_only_with_a_device_clock() {
        let cases: &[(Option<f64>, usize)] = &[(None, 0), (Some(0.8), 0), (Some(-9.0), 0), (Some(11.0), 1), (Some(-3600.0), 1)];
        for (skew, want) in cases {
            let mut checker = Checker::new(CheckConfig::default()).unwrap();
            let found: Vec<Finding> = (0..5)
                .flat_map(|i| {
                    let f = fix(i as f64, -8.65 + i as f64 * STEP, 115.22, None, &[]);
                    let device = skew.map(|s| f.fix.time - time::Duration::seconds_f64(s));
                    checker.check(&f, device)
                })
                .collect();
            assert_eq!(found.len(), *want, "{skew:?}");
            if let Some(Finding { flag: Flag::ClockSkew { seconds, .. }, .. }) = found.first() {
                assert!((seconds - skew.unwrap_or_default()).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn limits_must_be_positive() {
        let cases = [
            (CheckConfig { max_speed_mps: 0.0, ..Default::default() }, Some("max_speed_mps")),
            (CheckConfig { frozen_still_secs: Some(-1.0), ..Default::default() }, Some("frozen_still_secs")),
            (CheckConfig { max_clock_skew_s: f64::NAN, ..Default::default() }, Some("max_clock_skew_s")),
            (CheckConfig { frozen_still_secs: None, ..Default::default() }, None),
        ];
        for (config, bad) in cases {
            assert_eq!(Checker::new(config).err().map(|e| e.name), bad);
        }
    }
}
