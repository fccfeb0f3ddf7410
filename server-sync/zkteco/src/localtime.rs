//! # The terminal's clock: device-local timestamps and their UTC instants
//!
//! Terminals write times as `YYYY-MM-DD HH:MM:SS` on their own wall clock, with no zone.
//! Hadir stores UTC instants, so every terminal time is read here and converted with the
//! UTC offset of the site the terminal belongs to (WIB +7, WITA +8, WIT +9; Indonesia has
//! no daylight saving, so one offset holds all year).
//!
//! It owns the timestamp grammar and the conversion; it must not read the clock or guess a
//! zone (the caller passes the site's offset).
//!
//! ## Troubleshooting
//! - *Records are hours off.* The terminal's own clock or zone is wrong, or the terminal was
//!   approved for the wrong site. The handshake sends `TimeZone` and the server can send a
//!   `SET OPTION DateTime` command ([`crate::answer::Command::SetTime`]).

use thiserror::Error;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Why a timestamp could not be read. The failing text is in the error of the caller
/// (the line it came from).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// Not of the shape `YYYY-MM-DD HH:MM:SS` (a `T` is accepted in place of the space).
    #[error("expected YYYY-MM-DD HH:MM:SS")]
    Shape,
    /// The shape is right but the date or time does not exist (month 13, 24:00, 31 April …).
    #[error("no such date or time ({0})")]
    Range(String),
}

/// Reads a device-local timestamp, `YYYY-MM-DD HH:MM:SS` (or with `T` for the space).
pub fn parse_local(text: &str) -> Result<PrimitiveDateTime, TimeError> {
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(TimeError::Shape);
    }
    let num = |range: std::ops::Range<usize>| -> Result<u32, TimeError> {
        b[range].iter().try_fold(0u32, |acc, &d| {
            if d.is_ascii_digit() { Ok(acc * 10 + u32::from(d - b'0')) } else { Err(TimeError::Shape) }
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let range = |e: time::error::ComponentRange| TimeError::Range(e.to_string());
    let month = Month::try_from(month as u8).map_err(range)?;
    // Four digits and two-digit fields: the casts cannot overflow.
    let date = Date::from_calendar_date(year as i32, month, day as u8).map_err(range)?;
    let time = Time::from_hms(hour as u8, minute as u8, second as u8).map_err(range)?;
    Ok(PrimitiveDateTime::new(date, time))
}

/// The UTC instant of a device-local time read in the site's offset.
pub fn to_utc(local: PrimitiveDateTime, site_offset: UtcOffset) -> OffsetDateTime {
    local.assume_offset(site_offset).to_offset(UtcOffset::UTC)
}

/// The device-local wall-clock time of a UTC instant in the site's offset (what the
/// terminal's clock should show).
pub fn to_local(instant: OffsetDateTime, site_offset: UtcOffset) -> PrimitiveDateTime {
    let local = instant.to_offset(site_offset);
    PrimitiveDateTime::new(local.date(), local.time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn parses_timestamps() {
        let ok = [
            ("2026-12-02 07:58:12", datetime!(2026-12-02 07:58:12)),
            ("2026-12-02T07:58:12", datetime!(2026-12-02 07:58:12)),
            ("2024-02-29 23:59:59", datetime!(2024-02-29 23:59:59)),
        ];
        for (text, want) in ok {
            assert_eq!(parse_local(text), Ok(want), "{text}");
        }
        let shape = ["", "2026-12-02", "2026/12/02 07:58:12", "2026-12-02 7:58:12", "2026-12-02 07:58:1x", "2026-12-02 07:58:12 "];
        for text in shape {
            assert_eq!(parse_local(text), Err(TimeError::Shape), "{text:?}");
        }
        for text in ["2026-13-02 07:58:12", "2026-04-31 07:58:12", "2026-12-02 24:00:00", "2025-02-29 10:00:00"] {
            assert!(matches!(parse_local(text), Err(TimeError::Range(_))), "{text}");
        }
    }

    #[test]
    fn converts_indonesian_zones() {
        // 07:30 on the wall in each zone; WIB +7, WITA +8, WIT +9.
        let local = datetime!(2026-12-02 07:30:00);
        let cases = [
            (offset!(+7), datetime!(2026-12-02 00:30:00 UTC)),
            (offset!(+8), datetime!(2026-12-01 23:30:00 UTC)),
            (offset!(+9), datetime!(2026-12-01 22:30:00 UTC)),
        ];
        for (zone, utc) in cases {
            assert_eq!(to_utc(local, zone), utc, "{zone}");
            assert_eq!(to_local(utc, zone), local, "{zone}");
        }
    }
}
