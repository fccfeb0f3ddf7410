//! Plausibility across records: positions that no honest receiver and no person could produce,
//! found by comparing a record's GPS fix with the same employee's earlier ones.
//!
//! - **Impossible travel**: two fixes whose straight-line distance needs a speed above
//!   [`PlausibilityRules::max_speed_kmh`] (no road is straighter than a great circle, so the
//!   bound is generous to the person).
//! - **A jump with no time between**: two fixes at the same instant (or out of order) farther
//!   apart than [`PlausibilityRules::jump_m`].
//! - **A repeated position**: the same coordinates to the last digit (10⁻⁷ degrees, about a
//!   centimetre) as a fix of an earlier day. A receiver's noise alone moves a standing person
//!   by metres; an identical fix days apart is a replayed or frozen position.
//! - **Zero HDOP** with a position: a receiver that computes a solution reports its dilution;
//!   a fix with HDOP 0 was typed, not measured.
//!
//! Pure and incremental: [`Track`] holds what one employee's earlier fixes say and judges the
//! next one; a month of records is judged by feeding them in time order. It must not: read
//! a store or decide who confirms.

use crate::place::distance_m;
use std::collections::HashMap;

/// Limits (defaults for people on foot, motorbikes and cars in a regency).
#[derive(Debug, Clone, PartialEq)]
pub struct PlausibilityRules {
    /// The fastest believable straight-line speed between two records, km/h.
    pub max_speed_kmh: f64,
    /// Below this distance no speed is judged (two fixes' noise), metres.
    pub noise_m: f64,
    /// Two fixes at the same instant farther apart than this are a jump, metres.
    pub jump_m: f64,
}

impl Default for PlausibilityRules {
    fn default() -> Self {
        PlausibilityRules { max_speed_kmh: 150.0, noise_m: 200.0, jump_m: 1_000.0 }
    }
}

/// A record's position as the check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixPoint {
    /// The record's time, UTC ms.
    pub at_ms: i64,
    /// Latitude, degrees × 10⁷.
    pub lat_e7: i32,
    /// Longitude, degrees × 10⁷.
    pub lon_e7: i32,
    /// HDOP × 100 as the receiver wrote it (`None`: it wrote none, which is no doubt).
    pub hdop_centi: Option<u16>,
    /// The record's local day (any day numbering; only equality matters).
    pub day: i64,
}

impl FixPoint {
    fn degrees(&self) -> (f64, f64) {
        (f64::from(self.lat_e7) / 1e7, f64::from(self.lon_e7) / 1e7)
    }
}

/// What does not add up about a fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Implausible {
    /// Reaching it from the previous fix needs this speed.
    Travel {
        /// km/h.
        speed_kmh: f64,
        /// Straight-line distance, metres.
        distance_m: f64,
    },
    /// Far from the previous fix with no time between.
    Jump {
        /// Metres.
        distance_m: f64,
    },
    /// Identical to a fix of an earlier day.
    Repeated {
        /// Days since that day.
        days: i64,
    },
    /// A position with HDOP 0.
    ZeroHdop,
}

impl Implausible {
    /// A stable name for storage and translation.
    pub fn code(&self) -> &'static str {
        match self {
            Implausible::Travel { .. } => "travel_impossible",
            Implausible::Jump { .. } => "position_jump",
            Implausible::Repeated { .. } => "position_repeated",
            Implausible::ZeroHdop => "hdop_zero",
        }
    }
}

/// One employee's (or one device's) earlier fixes, as far as the checks need them.
#[derive(Debug, Clone, Default)]
pub struct Track {
    last: Option<FixPoint>,
    /// Each exact position seen, with the first day it was seen.
    seen: HashMap<(i32, i32), i64>,
}

impl Track {
    /// Judges `p` against the earlier fixes, then remembers it. Feed fixes in time order.
    pub fn next(&mut self, p: FixPoint, rules: &PlausibilityRules) -> Vec<Implausible> {
        let mut out = Vec::new();
        if let Some(prev) = self.last {
            let distance = distance_m(prev.degrees(), p.degrees());
            let dt_ms = p.at_ms - prev.at_ms;
            if dt_ms <= 0 {
                if distance > rules.jump_m {
                    out.push(Implausible::Jump { distance_m: distance });
                }
            } else if distance > rules.noise_m {
                let speed_kmh = distance / 1000.0 / (dt_ms as f64 / 3_600_000.0);
                if speed_kmh > rules.max_speed_kmh {
                    out.push(Implausible::Travel { speed_kmh, distance_m: distance });
                }
            }
        }
        match self.seen.get(&(p.lat_e7, p.lon_e7)) {
            Some(first) if *first < p.day => out.push(Implausible::Repeated { days: p.day - first }),
            Some(_) => {}
            None => {
                self.seen.insert((p.lat_e7, p.lon_e7), p.day);
            }
        }
        if p.hdop_centi == Some(0) {
            out.push(Implausible::ZeroHdop);
        }
        self.last = Some(p);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_780_000_000_000;
    const MIN: i64 = 60_000;

    /// A point `north_m` metres north of a base at minute `minute` of `day`.
    fn p(day: i64, minute: i64, north_m: f64) -> FixPoint {
        let lat = -8.58 + north_m / 111_195.08;
        FixPoint { at_ms: T + day * 86_400_000 + minute * MIN, lat_e7: (lat * 1e7).round() as i32, lon_e7: 1_151_700_000, hdop_centi: Some(90), day }
    }

    #[test]
    fn plausibility_table() {
        let rules = PlausibilityRules::default();
        // (name, earlier fixes, the fix judged, expected codes)
        let cases: Vec<(&str, Vec<FixPoint>, FixPoint, Vec<&str>)> = vec![
            ("first fix", vec![], p(0, 0, 0.0), vec![]),
            ("walked 300 m in 10 min", vec![p(0, 0, 0.0)], p(0, 10, 300.0), vec![]),
            ("30 km in 15 min (120 km/h): a car on the bypass", vec![p(0, 0, 0.0)], p(0, 15, 30_000.0), vec![]),
            ("30 km in 10 min (180 km/h)", vec![p(0, 0, 0.0)], p(0, 10, 30_000.0), vec!["travel_impossible"]),
            ("150 m at once: noise", vec![p(0, 5, 0.0)], p(0, 5, 150.0), vec![]),
            ("2 km at once", vec![p(0, 5, 0.0)], p(0, 5, 2_000.0), vec!["position_jump"]),
            ("out of order by a minute, 5 km away", vec![p(0, 6, 0.0)], p(0, 5, 5_000.0), vec!["position_jump"]),
            ("the same spot the same day", vec![p(0, 0, 0.0)], p(0, 480, 0.0), vec![]),
            ("the same spot to the last digit, next day", vec![p(0, 0, 0.0)], p(1, 0, 0.0), vec!["position_repeated"]),
            ("a centimetre off, next day", vec![p(0, 0, 0.0)], FixPoint { lat_e7: p(1, 0, 0.0).lat_e7 + 1, ..p(1, 0, 0.0) }, vec![]),
            ("HDOP 0", vec![], FixPoint { hdop_centi: Some(0), ..p(0, 0, 0.0) }, vec!["hdop_zero"]),
            ("no HDOP given", vec![], FixPoint { hdop_centi: None, ..p(0, 0, 0.0) }, vec![]),
        ];
        for (name, before, judged, want) in cases {
            let mut t = Track::default();
            for b in before {
                t.next(b, &rules);
            }
            let got: Vec<&str> = t.next(judged, &rules).iter().map(Implausible::code).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn speed_figures_at_the_edge() {
        let rules = PlausibilityRules::default();
        let mut t = Track::default();
        t.next(p(0, 0, 0.0), &rules);
        // 10 minutes at the limit of 150 km/h is 25 km: 24.99 km is allowed, 25.1 km is not.
        assert!(t.clone().next(p(0, 10, 24_990.0), &rules).is_empty());
        match t.next(p(0, 10, 25_100.0), &rules).as_slice() {
            [Implausible::Travel { speed_kmh, distance_m }] => {
                assert!((speed_kmh - 150.6).abs() < 0.1, "{speed_kmh}");
                assert!((distance_m - 25_100.0).abs() < 2.0, "{distance_m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
