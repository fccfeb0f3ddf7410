//! What the server doubts about a record whose signature verified.
//!
//! A device's key proves which device made a record, not that the record is true: a stolen or
//! tampered device can sign attendance for another site's employee, claim "valid" for a face
//! that scored 60 %, or carry a clock set back to look on time. The server checks each record
//! against what it knows — the device's enrolled site and mode, the roster, the score bands,
//! the site's UTC offset, the time evidence ([`hadir_rules::clock`]), the site's area against
//! the GPS fix ([`hadir_rules::place`]) — and
//! keeps every doubt as a [`Flag`] with the record. A flagged record is stored (it holds its
//! chain position, and nothing is lost) but counts only after a supervisor confirms it; the
//! confirmation queue shows why. (A record into a month closed for payroll is not a doubt: the
//! ingest quarantines it for an administrator.)
//!
//! Pure: the caller looks up the context. It must not refuse or alter a record.

use hadir_protocol::{Band, Decision, Mode, RecordBody};
use hadir_rules::clock::{ClockRules, TimeDoubt, TimeTrust, judge_time};
use hadir_rules::place::{Area, FixLimits, PlaceDoubt, check_place};
use serde::{Deserialize, Serialize};

/// The lowest liveness (percent) a record may have and still be valid on its own (the kiosks'
/// default threshold).
pub const LIVENESS_MIN_PERCENT: f32 = 50.0;

/// One doubt, with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// What is doubted (`other_site`, `time_drifted`, …), stable for storage and translation.
    pub code: String,
    /// The figure that matters, in the unit the code implies (minutes, percent × 100), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// Names involved (sites, modes), not translated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Flag {
    /// A plausibility finding ([`hadir_rules::plausibility`]) as a flag with its figure.
    pub fn implausible(i: &hadir_rules::plausibility::Implausible) -> Flag {
        use hadir_rules::plausibility::Implausible;
        let value = match i {
            Implausible::Travel { speed_kmh, .. } => Some(speed_kmh.round() as i64),
            Implausible::Jump { distance_m } => Some(distance_m.round() as i64),
            Implausible::Repeated { days } => Some(*days),
            Implausible::ZeroHdop => None,
        };
        let note = match i {
            Implausible::Travel { distance_m, .. } => format!("{:.1} km", distance_m / 1000.0),
            _ => String::new(),
        };
        Flag { code: i.code().to_owned(), value, note }
    }

    /// A plausibility finding on the device's path (across the people who used it): the same
    /// figure, its code prefixed `device_`.
    pub fn implausible_on_device(i: &hadir_rules::plausibility::Implausible) -> Flag {
        let own = Flag::implausible(i);
        Flag { code: format!("device_{}", own.code), ..own }
    }

    fn new(code: &str, value: Option<i64>, note: impl Into<String>) -> Flag {
        Flag { code: code.to_owned(), value, note: note.into() }
    }
}

/// What the server knows about the record's device, employee and month.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The device's enrolled site.
    pub device_site: &'a str,
    /// The device's enrolled mode.
    pub device_mode: Mode,
    /// The employee's site on the roster; `None` when not on it.
    pub employee_site: Option<&'a str>,
    /// The site's UTC offset at the record's time, minutes.
    pub site_offset_min: i32,
    /// When the server received it, ms.
    pub received_at_ms: i64,
    /// The time rules.
    pub clock: &'a ClockRules,
    /// Where the record is expected: the employee's field assignment of that day, else the
    /// site's area, if an administrator set one.
    pub area: Option<&'a Area>,
    /// The assignment's label when `area` is an assignment's (named in the flag).
    pub area_label: Option<&'a str>,
    /// How good a fix must be.
    pub fix: &'a FixLimits,
}

fn minutes(ms: i64) -> i64 {
    // Rounded away from zero: "0 minutes off" would read as no reason at all.
    let m = ms / 60_000;
    if ms % 60_000 == 0 { m } else { m + ms.signum() }
}

/// Every doubt about `b`, in a fixed order (place and roster first, then the claim, then time).
pub fn doubts(b: &RecordBody, cx: &Context<'_>) -> Vec<Flag> {
    let mut out = Vec::new();
    match cx.employee_site {
        None => out.push(Flag::new("unknown_employee", None, &b.employee_id)),
        Some(site) if site != cx.device_site => out.push(Flag::new("other_site", None, format!("{site} ≠ {}", cx.device_site))),
        Some(_) => {}
    }
    if b.mode != cx.device_mode {
        out.push(Flag::new("mode_mismatch", None, format!("{} ≠ {}", b.mode.as_str(), cx.device_mode.as_str())));
    }
    if b.decision == Decision::Valid {
        let band = Band::of(b.match_score.percent());
        if band != Band::Valid {
            out.push(Flag::new("decision_mismatch", Some(i64::from(b.match_score.0)), band.as_str()));
        }
        if b.liveness_score.percent() < LIVENESS_MIN_PERCENT {
            out.push(Flag::new("liveness_low", Some(i64::from(b.liveness_score.0)), ""));
        }
    }
    if i32::from(b.utc_offset_min) != cx.site_offset_min {
        out.push(Flag::new("offset_mismatch", Some(i64::from(b.utc_offset_min)), format!("site {}", cx.site_offset_min)));
    }
    if let TimeTrust::Doubted(list) = judge_time(b.recorded_at_ms, &b.clock, cx.received_at_ms, cx.clock) {
        for d in list {
            let value = match d {
                TimeDoubt::NeverSynced | TimeDoubt::JumpedBack => None,
                TimeDoubt::StaleSync { since_sync_ms } => Some(minutes(i64::try_from(since_sync_ms).unwrap_or(i64::MAX))),
                TimeDoubt::Drifted { offset_ms } => Some(minutes(offset_ms)),
                TimeDoubt::JumpedForward { ahead_ms } => Some(minutes(ahead_ms)),
                TimeDoubt::DisagreesWithGps { diff_ms } => Some(minutes(diff_ms)),
            };
            out.push(Flag::new(&format!("time_{}", d.code()), value, ""));
        }
    }
    // Place: field records always (a field unit must have a fix), office records when they
    // carry one; only where the site has an area.
    if let Some(area) = cx.area.filter(|_| b.mode == Mode::Field || b.gps.is_some()) {
        let check = check_place(b.fix().as_ref(), b.recorded_at_ms, area, cx.fix);
        // A fix "stale" against a clock already found to disagree with GPS time says nothing
        // more about the fix: the clock is what is wrong.
        let clock_off_gps = out.iter().any(|f| f.code == "time_disagrees_with_gps");
        for d in check.doubts.into_iter().filter(|d| !(clock_off_gps && matches!(d, PlaceDoubt::StaleFix { .. }))) {
            out.push(match d {
                PlaceDoubt::NoFix => Flag::new("place_no_fix", None, ""),
                PlaceDoubt::Outside { distance_m } => Flag::new("place_outside_area", Some(distance_m.round() as i64), cx.area_label.unwrap_or("")),
                PlaceDoubt::PoorFix { hdop_centi, satellites, accuracy_m } => {
                    Flag::new("place_poor_fix", hdop_centi.map(i64::from), format!("{satellites} sat, ±{accuracy_m:.0} m"))
                }
                PlaceDoubt::StaleFix { age_ms } => Flag::new("place_stale_fix", Some(age_ms / 1000), ""),
            });
        }
    }
    // What the kiosk saw in its receiver's stream (the server never sees the NMEA).
    if let Some(d) = b.fix().map(|g| g.receiver_doubts) {
        for (raised, code) in [(d.teleport, "receiver_teleport"), (d.frozen_position, "receiver_frozen_position"), (d.uniform_signal, "receiver_uniform_signal")] {
            if raised {
                out.push(Flag::new(code, None, ""));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_protocol::{ClockEvidence, Digest, Direction, Score};

    const T: i64 = 1_780_000_000_000;

    fn body() -> RecordBody {
        RecordBody {
            format: hadir_protocol::CANONICAL_VERSION,
            device_id: "K-01".into(),
            seq: 1,
            employee_id: "198001012005011001".into(),
            direction: Direction::In,
            recorded_at_ms: T,
            utc_offset_min: 480,
            mode: Mode::Office,
            match_score: Score(8800),
            liveness_score: Score(9500),
            decision: Decision::Valid,
            gps: None,
            photo_sha256: Digest::ZERO,
            app_version: "t".into(),
            model_version: "t".into(),
            prev_hash: Digest::ZERO,
            clock: ClockEvidence { since_sync_monotonic_ms: Some(60_000), last_sync_offset_ms: Some(-200), gps_time_ms: None, clock_jumped: false },
        }
    }

    #[test]
    fn doubts_table() {
        let rules = ClockRules::default();
        let limits = FixLimits::default();
        let cx = Context {
            device_site: "KANTOR",
            device_mode: Mode::Office,
            employee_site: Some("KANTOR"),
            site_offset_min: 480,
            received_at_ms: T + 5_000,
            clock: &rules,
            area: None,
            area_label: None,
            fix: &limits,
        };
        let office = Area::Circle { lat: -8.58, lon: 115.17, radius_m: 300.0 };
        let fix = |lat: f64, hdop_centi: u16| hadir_protocol::GpsFix {
            lat_e7: (lat * 1e7) as i32,
            lon_e7: 1_151_700_000,
            accuracy_dm: 50,
            hdop_centi: Some(hdop_centi),
            satellites: 8,
            fix_at_ms: T - 1_000,
            fix_mode: Some(hadir_protocol::FixMode::ThreeD),
            receiver_doubts: hadir_protocol::ReceiverDoubts::default(),
        };
        let cases: Vec<(&str, RecordBody, Context<'_>, Vec<(&str, Option<i64>)>)> = vec![
            ("clean", body(), cx.clone(), vec![]),
            ("another site's employee", body(), Context { employee_site: Some("GUDANG"), ..cx.clone() }, vec![("other_site", None)]),
            ("not on the roster", body(), Context { employee_site: None, ..cx.clone() }, vec![("unknown_employee", None)]),
            ("field record from an office kiosk", RecordBody { mode: Mode::Field, ..body() }, cx.clone(), vec![("mode_mismatch", None)]),
            ("valid claimed at 79.99 %", RecordBody { match_score: Score(7999), ..body() }, cx.clone(), vec![("decision_mismatch", Some(7999))]),
            ("valid at exactly 80 %", RecordBody { match_score: Score(8000), ..body() }, cx.clone(), vec![]),
            (
                "confirmation asked at 60 %: nothing claimed",
                RecordBody { match_score: Score(6000), decision: Decision::NeedsConfirmation, ..body() },
                cx.clone(),
                vec![],
            ),
            ("valid with liveness 49.99 %", RecordBody { liveness_score: Score(4999), ..body() }, cx.clone(), vec![("liveness_low", Some(4999))]),
            ("valid with liveness 50 %", RecordBody { liveness_score: Score(5000), ..body() }, cx.clone(), vec![]),
            ("WIB offset at a WITA site", RecordBody { utc_offset_min: 420, ..body() }, cx.clone(), vec![("offset_mismatch", Some(420))]),
            (
                "clock set back 40 minutes",
                RecordBody {
                    clock: ClockEvidence { since_sync_monotonic_ms: Some(3_600_000), last_sync_offset_ms: Some(2_400_000), gps_time_ms: None, clock_jumped: false },
                    ..body()
                },
                cx.clone(),
                vec![("time_drifted", Some(40))],
            ),
            (
                "never synced",
                RecordBody { clock: ClockEvidence { since_sync_monotonic_ms: None, last_sync_offset_ms: None, gps_time_ms: None, clock_jumped: false }, ..body() },
                cx.clone(),
                vec![("time_never_synced", None)],
            ),
            ("office record without GPS: place not judged", body(), Context { area: Some(&office), ..cx.clone() }, vec![]),
            ("field record without a fix", RecordBody { mode: Mode::Field, ..body() }, Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() }, vec![("place_no_fix", None)]),
            (
                "field record inside the area",
                RecordBody { mode: Mode::Field, gps: Some(fix(-8.5801, 90)), ..body() },
                Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() },
                vec![],
            ),
            (
                "field record 30 km south",
                RecordBody { mode: Mode::Field, gps: Some(fix(-8.85, 90)), ..body() },
                Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() },
                vec![("place_outside_area", Some(29_723))],
            ),
            (
                "a fix with HDOP 9",
                RecordBody { mode: Mode::Field, gps: Some(fix(-8.58, 900)), ..body() },
                Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() },
                vec![("place_poor_fix", Some(900))],
            ),
            (
                "clock 40 min behind GPS: the clock is doubted, not the fix",
                RecordBody {
                    mode: Mode::Field,
                    gps: Some(hadir_protocol::GpsFix { fix_at_ms: T + 2_400_000, ..fix(-8.58, 90) }),
                    clock: ClockEvidence { since_sync_monotonic_ms: Some(60_000), last_sync_offset_ms: Some(-200), gps_time_ms: Some(T + 2_400_000), clock_jumped: false },
                    ..body()
                },
                Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() },
                vec![("time_disagrees_with_gps", Some(-40))],
            ),
            ("field record, site without an area", RecordBody { mode: Mode::Field, ..body() }, Context { device_mode: Mode::Field, ..cx.clone() }, vec![]),
            (
                "the receiver's signal was flat and it had jumped",
                RecordBody {
                    mode: Mode::Field,
                    gps: Some(hadir_protocol::GpsFix {
                        receiver_doubts: hadir_protocol::ReceiverDoubts { teleport: true, frozen_position: false, uniform_signal: true },
                        ..fix(-8.58, 90)
                    }),
                    ..body()
                },
                Context { area: Some(&office), device_mode: Mode::Field, ..cx.clone() },
                vec![("receiver_teleport", None), ("receiver_uniform_signal", None)],
            ),
        ];
        for (name, b, cx, want) in cases {
            let got: Vec<(String, Option<i64>)> = doubts(&b, &cx).into_iter().map(|f| (f.code, f.value)).collect();
            let want: Vec<(String, Option<i64>)> = want.into_iter().map(|(c, v)| (c.to_owned(), v)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn minutes_round_away_from_zero() {
        for (ms, want) in [(0, 0), (1, 1), (60_000, 1), (60_001, 2), (-1, -1), (-2_400_000, -40)] {
            assert_eq!(minutes(ms), want, "{ms}");
        }
    }
}
