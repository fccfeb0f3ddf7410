//! # Policy: the device's mode, the late mark on the result screen and the GPS rule
//!
//! Pure functions over plain data. The device's mode (office or field) comes from the
//! configuration. The late mark is the rulebook's (`hadir-rules`), over the site's rules that
//! the server's roster carries (zone, section schedules, holidays, tolerances, the employee's
//! excused days): the kiosk asks [`hadir_rules::SiteRules::arrival_at`] the same question the
//! monthly recap asks of the same record, so "terlambat N menit" is the recap's figure.
//!
//! A field record needs a GPS fix unless the configuration allows without; every record says
//! whether it had one ([`GpsEvidence`]). Before the face step, [`place_verdict`] compares the
//! latest fix with where the employee is expected today, as the server will judge the record.
//!
//! It must not read clocks or devices: the caller passes the time and the latest fix.

use crate::flow::PlaceVerdict;
use hadir_rules::Arrival;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Office kiosk or field unit (configuration, not a separate build): the protocol's mode, so
/// configuration, records and the server agree on one type.
pub use hadir_protocol::Mode;

/// The mode and the GPS rule, from the configuration. Tolerances are not here: they are the
/// site's rules and come from the server with the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Office or field.
    pub mode: Mode,
    /// Field mode: allow a record without a GPS fix (it says so).
    pub field_allow_without_fix: bool,
    /// A fix older than this (seconds) is no fix.
    pub max_fix_age_s: u32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig { mode: Mode::Office, field_allow_without_fix: false, max_fix_age_s: 120 }
    }
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
    /// Horizontal dilution of precision in hundredths, as the receiver wrote it; `None` when
    /// it gave none.
    pub hdop_centi: Option<u16>,
    /// 2D or 3D, as the receiver said (`None`: it did not say).
    pub mode: Option<hadir_protocol::FixMode>,
    /// What the receiver's stream said against it (hal's watch; the record carries it).
    pub receiver_doubts: hadir_protocol::ReceiverDoubts,
    /// When the receiver made the fix (UTC, from the GPS).
    pub fix_time: OffsetDateTime,
    /// When the kiosk received it, on its monotonic clock (ms). Freshness is measured with it
    /// when known: a wall clock set wrong would otherwise make every fix look stale, and the
    /// unit could not record at all (the record carries both times; the server compares them).
    pub received_mono_ms: Option<u64>,
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

/// The GPS evidence of a record made at wall time `now` (monotonic `now_mono_ms`) with the
/// latest fix, or refusal in field mode. An office record carries a fresh fix when there is
/// one (a GPS on an office kiosk is fine).
pub fn gps_evidence(cfg: &PolicyConfig, latest: Option<GpsFix>, now: OffsetDateTime, now_mono_ms: u64) -> Result<GpsEvidence, NeedsFix> {
    let fresh = latest.filter(|f| {
        let age = match f.received_mono_ms {
            Some(at) => i64::try_from(now_mono_ms.saturating_sub(at) / 1000).unwrap_or(i64::MAX),
            None => (now - f.fix_time).whole_seconds(),
        };
        (-5..=i64::from(cfg.max_fix_age_s)).contains(&age)
    });
    match (fresh, cfg.mode) {
        (Some(fix), _) => Ok(GpsEvidence::Fix(fix)),
        (None, Mode::Office) => Ok(GpsEvidence::NoFix),
        (None, Mode::Field) if cfg.field_allow_without_fix => Ok(GpsEvidence::NoFix),
        (None, Mode::Field) => Err(NeedsFix { max_age_s: cfg.max_fix_age_s }),
    }
}

/// Where the device stands against where `employee` is expected at `now` (the site's area, or a
/// field employee's assignment of the day, from the roster), judged as the server judges the
/// record ([`hadir_rules::check_place`] with the same limits). A fix's age is not judged here:
/// [`gps_evidence`] has already dropped fixes older than the configuration allows, by the
/// monotonic clock, which a wrong wall clock cannot fool.
pub fn place_verdict(
    cfg: &PolicyConfig,
    latest: Option<GpsFix>,
    rules: &hadir_rules::SiteRules,
    employee: &str,
    now: OffsetDateTime,
    now_mono_ms: u64,
) -> PlaceVerdict {
    use hadir_rules::PlaceDoubt;
    let evidence = match gps_evidence(cfg, latest, now, now_mono_ms) {
        Ok(e) => e,
        Err(_) => return PlaceVerdict::NoFix { can_continue: false },
    };
    let fix = match evidence {
        GpsEvidence::Fix(f) => Some(crate::records::wire_fix(f)),
        // The server judges an office record's place only when it carries a fix.
        GpsEvidence::NoFix if cfg.mode == Mode::Office => return PlaceVerdict::Fine,
        GpsEvidence::NoFix => None,
    };
    let field = cfg.mode == Mode::Field;
    let Some((area, label)) = rules.expected_area(employee, field, rules.zone.local(now).date()) else {
        return PlaceVerdict::Fine;
    };
    let at_ms = fix.map_or(0, |f| f.fix_at_ms);
    let check = hadir_rules::check_place(fix.as_ref(), at_ms, &area.area(), &hadir_rules::FixLimits::default());
    let whole = |x: f64| x.round().clamp(0.0, f64::from(u32::MAX)) as u32;
    // The most basic doubt is told: without a good fix the distance means little.
    let rank = |v: &PlaceVerdict| match v {
        PlaceVerdict::NoFix { .. } => 0,
        PlaceVerdict::PoorFix { .. } => 1,
        PlaceVerdict::Outside { .. } | PlaceVerdict::Fine => 2,
    };
    let verdicts = check.doubts.into_iter().filter_map(|doubt| match doubt {
        PlaceDoubt::NoFix => Some(PlaceVerdict::NoFix { can_continue: true }),
        PlaceDoubt::PoorFix { hdop_centi, satellites, accuracy_m } => {
            Some(PlaceVerdict::PoorFix { hdop_centi, satellites, accuracy_m: whole(accuracy_m) })
        }
        PlaceDoubt::Outside { distance_m } => Some(PlaceVerdict::Outside { distance_m: whole(distance_m), label: label.map(str::to_owned) }),
        PlaceDoubt::StaleFix { .. } => None,
    });
    verdicts.min_by_key(rank).unwrap_or(PlaceVerdict::Fine)
}

/// What the result screen says of an IN: whole minutes after the scheduled start (`None` when
/// on time, or when the day has no scheduled start) and whether the day is marked late.
pub fn late_mark(arrival: Option<Arrival>) -> (Option<u32>, bool) {
    match arrival {
        Some(a) if a.late_minutes > 0 => (Some(a.late_minutes), a.marked_late()),
        _ => (None, false),
    }
}

/// The result screen's lateness text, Bahasa Indonesia or English.
pub fn late_text(minutes: Option<u32>, marked_late: bool, english: bool) -> Option<String> {
    let m = minutes?;
    Some(match (english, marked_late) {
        (false, true) => format!("terlambat {m} menit"),
        (false, false) => format!("terlambat {m} menit (dalam toleransi)"),
        (true, true) => format!("late {m} minutes"),
        (true, false) => format!("late {m} minutes (within tolerance)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn late_mark_and_text() {
        let marked = Arrival { late_minutes: 12, late_band: Some(hadir_rules::Band::B1) };
        let within = Arrival { late_minutes: 12, late_band: None };
        let cases = [
            (Some(marked), false, Some("terlambat 12 menit")),
            (Some(marked), true, Some("late 12 minutes")),
            (Some(within), false, Some("terlambat 12 menit (dalam toleransi)")),
            (Some(within), true, Some("late 12 minutes (within tolerance)")),
            (Some(Arrival::default()), false, None),
            (None, false, None),
        ];
        for (arrival, en, want) in cases {
            let (minutes, marked) = late_mark(arrival);
            assert_eq!(late_text(minutes, marked, en).as_deref(), want, "{arrival:?} en={en}");
        }
    }

    #[test]
    fn gps_table() {
        let now = datetime!(2026-03-02 00:42 UTC);
        let fix = |age_s: i64| GpsFix {
            lat: -7.8,
            lon: 110.36,
            accuracy_m: 4.0,
            satellites: 9,
            hdop_centi: Some(90),
            mode: Some(hadir_protocol::FixMode::ThreeD),
            receiver_doubts: Default::default(),
            fix_time: now - time::Duration::seconds(age_s),
            received_mono_ms: None,
        };
        // Received 3 s before (monotonic 100 s), its GPS time 40 minutes after the wall clock.
        let wrong_clock = GpsFix { received_mono_ms: Some(97_000), fix_time: now + time::Duration::minutes(40), ..fix(0) };
        let received_long_ago = GpsFix { received_mono_ms: Some(0), ..fix(0) };
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
            ("field, wall clock 40 min off, fix received 3 s ago", &field, Some(wrong_clock), Ok(true)),
            ("field, fix received 100 s ago by the monotonic clock", &field, Some(received_long_ago), Ok(true)),
        ];
        for (name, cfg, latest, want) in cases {
            let got = gps_evidence(cfg, latest, now, 100_000).map(|e| matches!(e, GpsEvidence::Fix(_))).map_err(|_| ());
            assert_eq!(got, want, "{name}");
        }
        assert!(gps_evidence(&field, Some(received_long_ago), now, 200_000).is_err(), "received 200 s ago: stale");
    }

    #[test]
    fn place_table() {
        use hadir_rules::{FieldArea, SiteArea, SiteRules};
        use time::macros::date;
        let now = datetime!(2026-03-02 00:42 UTC);
        // The office, and a road project about 5.5 km north-west of it.
        let (office, road) = ((-8.5920, 115.1790), (-8.5500, 115.1450));
        let at = |p: (f64, f64), hdop_centi: Option<u16>, satellites: u8| GpsFix {
            lat: p.0,
            lon: p.1,
            accuracy_m: 4.0,
            satellites,
            hdop_centi,
            mode: Some(hadir_protocol::FixMode::ThreeD),
            receiver_doubts: Default::default(),
            fix_time: now,
            received_mono_ms: Some(99_000),
        };
        let rules = SiteRules {
            site_area: SiteArea::new(office.0, office.1, 200),
            field_areas: [(
                "F1".to_owned(),
                vec![FieldArea {
                    from: date!(2026 - 03 - 01),
                    to: date!(2026 - 03 - 05),
                    label: "Jalan Mengwi km 12".into(),
                    area: SiteArea::new(road.0, road.1, 300).unwrap(),
                }],
            )]
            .into(),
            ..SiteRules::default()
        };
        let field = PolicyConfig { mode: Mode::Field, ..PolicyConfig::default() };
        let field_lax = PolicyConfig { field_allow_without_fix: true, ..field.clone() };
        let office_kiosk = PolicyConfig::default();
        type Check = Box<dyn Fn(&PlaceVerdict) -> bool>;
        // Outside by more than 4 km (the two places are about 5.5 km apart), with this label.
        let outside = |label: Option<&'static str>| -> Check {
            Box::new(move |v| matches!(v, PlaceVerdict::Outside { label: l, distance_m } if l.as_deref() == label && *distance_m > 4_000))
        };
        let is = |want: PlaceVerdict| -> Check { Box::new(move |v| *v == want) };
        // (name, configuration, employee, latest fix, what the notice must say)
        let cases: Vec<(&str, &PolicyConfig, &str, Option<GpsFix>, Check)> = vec![
            ("field, at the assignment", &field, "F1", Some(at(road, Some(90), 9)), is(PlaceVerdict::Fine)),
            ("field, at the office on an assigned day", &field, "F1", Some(at(office, Some(90), 9)), outside(Some("Jalan Mengwi km 12"))),
            ("field, unassigned, at the office", &field, "F2", Some(at(office, Some(90), 9)), is(PlaceVerdict::Fine)),
            ("field, unassigned, at the road", &field, "F2", Some(at(road, Some(90), 9)), outside(None)),
            ("field, no fix", &field, "F1", None, is(PlaceVerdict::NoFix { can_continue: false })),
            ("field allowed without a fix, no fix", &field_lax, "F1", None, is(PlaceVerdict::NoFix { can_continue: true })),
            (
                "field, HDOP 9.9 far away: the fix first",
                &field,
                "F1",
                Some(at(office, Some(990), 9)),
                is(PlaceVerdict::PoorFix { hdop_centi: Some(990), satellites: 9, accuracy_m: 4 }),
            ),
            ("field, three satellites", &field, "F1", Some(at(road, Some(90), 3)), is(PlaceVerdict::PoorFix { hdop_centi: Some(90), satellites: 3, accuracy_m: 4 })),
            ("field, no HDOP reported", &field, "F1", Some(at(road, None, 9)), is(PlaceVerdict::Fine)),
            ("office kiosk without a receiver", &office_kiosk, "F1", None, is(PlaceVerdict::Fine)),
            ("office kiosk, its fix at the road", &office_kiosk, "F1", Some(at(road, Some(90), 9)), outside(None)),
        ];
        for (name, cfg, employee, latest, want) in cases {
            let got = place_verdict(cfg, latest, &rules, employee, now, 100_000);
            assert!(want(&got), "{name}: {got:?}");
        }
        let no_area = SiteRules::default();
        assert_eq!(place_verdict(&field, Some(at(road, Some(90), 9)), &no_area, "F1", now, 100_000), PlaceVerdict::Fine, "no area: not judged");
        assert!(!PlaceVerdict::NoFix { can_continue: false }.can_continue());
        assert!(PlaceVerdict::Outside { distance_m: 1, label: None }.can_continue());
    }
}
