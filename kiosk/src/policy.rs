//! # Policy: the device's mode, today's schedule, the late mark and the GPS rule
//!
//! Pure functions over plain data. The device's mode (office or field) comes from the
//! configuration; the weekly schedule comes from the server's roster (per section), with a
//! sane default when the roster has none. The late mark follows DESIGN.md:
//! - lateness in minutes is always measured from the scheduled start (whole minutes, rounded
//!   down, as the server's rules engine does);
//! - the tolerance (office 60 min, field 0) decides only whether the day is marked late:
//!   marked late when the lateness is more than the tolerance.
//!
//! A field record needs a GPS fix unless the configuration allows without; every record says
//! whether it had one ([`GpsEvidence`]).
//!
//! It must not read clocks or devices: the caller passes local time and the latest fix.

use crate::flow::Direction;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time, Weekday};

/// Office kiosk or field unit (configuration, not a separate build): the protocol's mode, so
/// configuration, records and the server agree on one type.
pub use hadir_protocol::Mode;

/// One working day: scheduled start and end, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Scheduled start.
    pub start: Time,
    /// Scheduled end.
    pub end: Time,
}

/// A weekly schedule: Monday first; `None` is a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekSchedule {
    /// Monday … Sunday.
    pub days: [Option<Shift>; 7],
}

impl Default for WeekSchedule {
    /// Five working days: Monday–Thursday 07:30–16:00, Friday 07:30–16:30 (the usual
    /// full-time hours of a regency office), weekend off.
    fn default() -> Self {
        let t = |h, m| Time::from_hms(h, m, 0).unwrap_or(Time::MIDNIGHT);
        let day = Some(Shift { start: t(7, 30), end: t(16, 0) });
        let friday = Some(Shift { start: t(7, 30), end: t(16, 30) });
        WeekSchedule { days: [day, day, day, day, friday, None, None] }
    }
}

/// Tolerances and the GPS rule, from the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Office or field.
    pub mode: Mode,
    /// Late-mark tolerance in office mode, minutes.
    pub office_tolerance_min: u32,
    /// Late-mark tolerance in field mode, minutes.
    pub field_tolerance_min: u32,
    /// Field mode: allow a record without a GPS fix (it says so).
    pub field_allow_without_fix: bool,
    /// A fix older than this (seconds) is no fix.
    pub max_fix_age_s: u32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            mode: Mode::Office,
            office_tolerance_min: 60,
            field_tolerance_min: 0,
            field_allow_without_fix: false,
            max_fix_age_s: 120,
        }
    }
}

impl PolicyConfig {
    /// The tolerance of the configured mode, minutes.
    pub fn tolerance(&self) -> u32 {
        match self.mode {
            Mode::Office => self.office_tolerance_min,
            Mode::Field => self.field_tolerance_min,
        }
    }
}

/// Today's shift: `None` on a day off or a holiday. Uses the roster's schedule for the
/// employee's section, or the default schedule when the roster has none.
pub fn shift_for(schedule: Option<&WeekSchedule>, holidays: &[Date], date: Date) -> Option<Shift> {
    if holidays.contains(&date) {
        return None;
    }
    let default = WeekSchedule::default();
    let week = schedule.unwrap_or(&default);
    let index = match date.weekday() {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    };
    week.days[index]
}

/// The late mark of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lateness {
    /// Whole minutes after the scheduled start (IN on a working day, after the start only).
    pub minutes: Option<u32>,
    /// Whether the day is marked late (minutes over the tolerance).
    pub marked_late: bool,
}

/// The late mark of a record made at local time `at` (the device's offset applied).
pub fn lateness(direction: Direction, at: OffsetDateTime, shift: Option<Shift>, tolerance_min: u32) -> Lateness {
    let Some(shift) = shift else { return Lateness::default() };
    if direction != Direction::In {
        return Lateness::default();
    }
    let start = at.replace_time(shift.start);
    let late_s = (at - start).whole_seconds();
    if late_s < 60 {
        return Lateness::default();
    }
    let minutes = u32::try_from(late_s / 60).unwrap_or(u32::MAX);
    Lateness { minutes: Some(minutes), marked_late: minutes > tolerance_min }
}

/// A GPS position fix as the record carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsFix {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Horizontal accuracy, metres (from HDOP when the receiver gives no better).
    pub accuracy_m: f32,
    /// Satellites used.
    pub satellites: u8,
    /// When the receiver made the fix (UTC, from the GPS).
    pub fix_time: OffsetDateTime,
}

/// What a record says about GPS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GpsEvidence {
    /// Made with this fix.
    Fix(GpsFix),
    /// Made without a fix (office mode, or field mode where the configuration allows it).
    NoFix,
}

/// Field mode needs a fix and there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field mode needs a GPS fix; none fresher than {max_age_s} s (set policy.field_allow_without_fix = true to allow records without one)")]
pub struct NeedsFix {
    /// The configured maximum fix age, seconds.
    pub max_age_s: u32,
}

/// The GPS evidence of a record made at `now` with the latest fix, or refusal in field mode.
/// An office record carries a fresh fix when there is one (a GPS on an office kiosk is fine).
pub fn gps_evidence(cfg: &PolicyConfig, latest: Option<GpsFix>, now: OffsetDateTime) -> Result<GpsEvidence, NeedsFix> {
    let fresh = latest.filter(|f| {
        let age = (now - f.fix_time).whole_seconds();
        (-5..=i64::from(cfg.max_fix_age_s)).contains(&age)
    });
    match (fresh, cfg.mode) {
        (Some(fix), _) => Ok(GpsEvidence::Fix(fix)),
        (None, Mode::Office) => Ok(GpsEvidence::NoFix),
        (None, Mode::Field) if cfg.field_allow_without_fix => Ok(GpsEvidence::NoFix),
        (None, Mode::Field) => Err(NeedsFix { max_age_s: cfg.max_fix_age_s }),
    }
}

/// The result screen's lateness text, Bahasa Indonesia or English.
pub fn late_text(l: Lateness, english: bool) -> Option<String> {
    let m = l.minutes?;
    Some(match (english, l.marked_late) {
        (false, true) => format!("terlambat {m} menit"),
        (false, false) => format!("terlambat {m} menit (dalam toleransi)"),
        (true, true) => format!("late {m} minutes"),
        (true, false) => format!("late {m} minutes (within tolerance)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn shift() -> Option<Shift> {
        Some(Shift { start: time!(07:30), end: time!(16:00) })
    }

    #[test]
    fn lateness_table() {
        let cases = [
            // (name, direction, local time, tolerance, minutes, marked)
            ("early", Direction::In, datetime!(2026-03-02 07:10 +7), 60, None, false),
            ("exactly on time", Direction::In, datetime!(2026-03-02 07:30 +7), 60, None, false),
            ("59 s late is on time", Direction::In, datetime!(2026-03-02 07:30:59 +7), 0, None, false),
            ("12 min, office", Direction::In, datetime!(2026-03-02 07:42 +7), 60, Some(12), false),
            ("12 min, field", Direction::In, datetime!(2026-03-02 07:42 +7), 0, Some(12), true),
            ("1 min, field", Direction::In, datetime!(2026-03-02 07:31 +7), 0, Some(1), true),
            ("office at tolerance", Direction::In, datetime!(2026-03-02 08:30 +7), 60, Some(60), false),
            ("office 59 s past tolerance", Direction::In, datetime!(2026-03-02 08:30:59 +7), 60, Some(60), false),
            ("office past tolerance", Direction::In, datetime!(2026-03-02 08:31 +7), 60, Some(61), true),
            ("out is never late", Direction::Out, datetime!(2026-03-02 16:30 +7), 0, None, false),
        ];
        for (name, dir, at, tol, minutes, marked) in cases {
            let l = lateness(dir, at, shift(), tol);
            assert_eq!(l, Lateness { minutes, marked_late: marked }, "{name}");
        }
        assert_eq!(lateness(Direction::In, datetime!(2026-03-07 09:00 +7), None, 0), Lateness::default(), "day off");
    }

    #[test]
    fn late_text_says_minutes() {
        let l = lateness(Direction::In, datetime!(2026-03-02 07:42 +7), shift(), 0);
        assert_eq!(late_text(l, false).as_deref(), Some("terlambat 12 menit"));
        assert_eq!(late_text(l, true).as_deref(), Some("late 12 minutes"));
        assert_eq!(late_text(Lateness::default(), false), None);
    }

    #[test]
    fn schedule_table() {
        let custom = WeekSchedule {
            days: [None, None, None, None, None, Some(Shift { start: time!(08:00), end: time!(12:00) }), None],
        };
        let cases = [
            ("default monday", None, date!(2026 - 03 - 02), Some(time!(07:30))),
            ("default saturday off", None, date!(2026 - 03 - 07), None),
            ("holiday", None, date!(2026 - 03 - 19), None),
            ("roster saturday", Some(&custom), date!(2026 - 03 - 07), Some(time!(08:00))),
            ("roster monday off", Some(&custom), date!(2026 - 03 - 02), None),
        ];
        let holidays = [date!(2026 - 03 - 19)];
        for (name, sched, d, want) in cases {
            assert_eq!(shift_for(sched, &holidays, d).map(|s| s.start), want, "{name}");
        }
        assert_eq!(shift_for(None, &[], date!(2026 - 03 - 06)).map(|s| s.end), Some(time!(16:30)), "friday");
    }

    #[test]
    fn gps_table() {
        let now = datetime!(2026-03-02 00:42 UTC);
        let fix = |age_s: i64| GpsFix {
            lat: -7.8,
            lon: 110.36,
            accuracy_m: 4.0,
            satellites: 9,
            fix_time: now - time::Duration::seconds(age_s),
        };
        let field = PolicyConfig { mode: Mode::Field, ..PolicyConfig::default() };
        let field_lax = PolicyConfig { field_allow_without_fix: true, ..field.clone() };
        let office = PolicyConfig::default();
        let cases = [
            ("field fresh fix", &field, Some(fix(3)), Ok(true)),
            ("field no fix", &field, None, Err(())),
            ("field stale fix", &field, Some(fix(121)), Err(())),
            ("field fix from the future", &field, Some(fix(-60)), Err(())),
            ("field lax no fix", &field_lax, None, Ok(false)),
            ("office no fix", &office, None, Ok(false)),
            ("office with fix keeps it", &office, Some(fix(1)), Ok(true)),
        ];
        for (name, cfg, latest, want) in cases {
            let got = gps_evidence(cfg, latest, now).map(|e| matches!(e, GpsEvidence::Fix(_))).map_err(|_| ());
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(field.tolerance(), 0);
        assert_eq!(office.tolerance(), 60);
    }
}
