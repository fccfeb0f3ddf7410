//! Place trust: whether a field record was made where the employee was supposed to be, and
//! whether the position fix is good enough to say so.
//!
//! A site or a field assignment has an [`Area`]: a point with a radius, or a polygon. A record's
//! fix is compared with it: the distance from the area (0 inside), and the fix's quality (HDOP,
//! satellites, age against the record's time, the receiver's accuracy). Outside the area, or a
//! fix too poor to tell, makes a [`PlaceDoubt`]: the record needs a supervisor's confirmation,
//! with the distance and the quality shown.
//!
//! ## Units and limits
//! Degrees (WGS 84) in, metres out. Distances are great-circle (haversine on a sphere of the
//! mean Earth radius, error under 0.5 %); a polygon's edges are measured on a local flat
//! projection around the point, which is exact enough for areas of a few tens of kilometres.
//!
//! It must not: fetch assignments or decide who confirms.

use hadir_protocol::GpsFix;
use time::Date;

/// Mean Earth radius, metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Where an employee is supposed to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    /// Within `radius_m` of a point.
    Circle {
        /// Latitude, degrees.
        lat: f64,
        /// Longitude, degrees.
        lon: f64,
        /// Radius, metres.
        radius_m: f64,
    },
    /// Inside a polygon of (latitude, longitude) corners, in order, not closed (the last corner
    /// joins the first).
    Polygon(Vec<(f64, f64)>),
}

/// A circle in whole units, as the server stores it and the roster carries it: degrees × 10⁷
/// and metres. The site's area, and each field assignment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteArea {
    /// Centre latitude, degrees × 10⁷.
    pub lat_e7: i64,
    /// Centre longitude, degrees × 10⁷.
    pub lon_e7: i64,
    /// Radius, metres.
    pub radius_m: i64,
}

impl SiteArea {
    /// The area it describes.
    pub fn area(&self) -> Area {
        Area::Circle { lat: self.lat_e7 as f64 / 1e7, lon: self.lon_e7 as f64 / 1e7, radius_m: self.radius_m as f64 }
    }

    /// Checks a typed area: a latitude and longitude on Earth, a radius of 10 m to 50 km.
    pub fn new(lat: f64, lon: f64, radius_m: i64) -> Option<SiteArea> {
        let ok = lat.is_finite() && lon.is_finite();
        ok.then(|| SiteArea { lat_e7: (lat * 1e7).round() as i64, lon_e7: (lon * 1e7).round() as i64, radius_m }).filter(SiteArea::is_valid)
    }

    /// Whether it lies on Earth with a radius of 10 m to 50 km (a roster's area is checked so).
    pub fn is_valid(&self) -> bool {
        (-900_000_000..=900_000_000).contains(&self.lat_e7)
            && (-1_800_000_000..=1_800_000_000).contains(&self.lon_e7)
            && (10..=50_000).contains(&self.radius_m)
    }
}

/// Where a field employee is expected from one date to another (a road project, a river bank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldArea {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// What and where, as the supervisor typed it.
    pub label: String,
    /// The area.
    pub area: SiteArea,
}

/// Where a record made on `date` is expected: a field record (`field`) at the employee's
/// assignment covering the day (with its label), otherwise — and for every office record — at
/// the site's area; `None` when the record is not judged by place. The server's ingest and the
/// kiosk's notice before the face step ask the same question.
pub fn expected_area<'a>(field: bool, assignments: &'a [FieldArea], site: Option<&'a SiteArea>, date: Date) -> Option<(&'a SiteArea, Option<&'a str>)> {
    let assigned = assignments.iter().filter(|_| field).find(|a| a.from <= date && date <= a.to);
    match assigned {
        Some(a) => Some((&a.area, Some(a.label.as_str()))),
        None => site.map(|s| (s, None)),
    }
}

/// How good a fix must be to place a record.
#[derive(Debug, Clone, PartialEq)]
pub struct FixLimits {
    /// Largest HDOP × 100 (500: HDOP 5, a poor but usable fix).
    pub max_hdop_centi: u16,
    /// Fewest satellites in the solution.
    pub min_satellites: u8,
    /// Largest accuracy radius the receiver may report, metres.
    pub max_accuracy_m: f64,
    /// Oldest fix against the record's time, ms.
    pub max_age_ms: i64,
}

impl Default for FixLimits {
    fn default() -> Self {
        FixLimits { max_hdop_centi: 500, min_satellites: 4, max_accuracy_m: 100.0, max_age_ms: 120_000 }
    }
}

/// Why a record's place is doubted.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceDoubt {
    /// The record carries no fix.
    NoFix,
    /// The fix is outside the area.
    Outside {
        /// Distance from the area's edge, metres.
        distance_m: f64,
    },
    /// The fix is too poor to place the record.
    PoorFix {
        /// HDOP × 100 (`None`: the receiver gave none).
        hdop_centi: Option<u16>,
        /// Satellites used.
        satellites: u8,
        /// The receiver's accuracy radius, metres.
        accuracy_m: f64,
    },
    /// The fix is older than the record by too much.
    StaleFix {
        /// Age at the record's time, ms (negative: from the record's future).
        age_ms: i64,
    },
}

impl PlaceDoubt {
    /// A stable name for storage, filters and translations.
    pub fn code(&self) -> &'static str {
        match self {
            PlaceDoubt::NoFix => "no_fix",
            PlaceDoubt::Outside { .. } => "outside_area",
            PlaceDoubt::PoorFix { .. } => "poor_fix",
            PlaceDoubt::StaleFix { .. } => "stale_fix",
        }
    }
}

/// What the comparison found.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCheck {
    /// Distance from the area (0 inside), metres; `None` without a fix.
    pub distance_m: Option<f64>,
    /// Every doubt found (empty: the place is trusted).
    pub doubts: Vec<PlaceDoubt>,
}

/// Great-circle distance between two points, metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

impl Area {
    /// Distance of a point from the area, metres (0 inside).
    pub fn distance_m(&self, p: (f64, f64)) -> f64 {
        match self {
            Area::Circle { lat, lon, radius_m } => (distance_m(p, (*lat, *lon)) - radius_m).max(0.0),
            Area::Polygon(corners) if corners.len() < 3 => f64::INFINITY,
            Area::Polygon(corners) => {
                // Local flat projection in metres around the point: x east, y north.
                let k = EARTH_RADIUS_M.to_radians();
                let local = |(lat, lon): (f64, f64)| ((lon - p.1) * k * p.0.to_radians().cos(), (lat - p.0) * k);
                let pts: Vec<(f64, f64)> = corners.iter().copied().map(local).collect();
                let mut inside = false;
                let mut nearest = f64::INFINITY;
                for i in 0..pts.len() {
                    let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                    // Ray to the east from the origin (the point) crossing edge a–b.
                    if (a.1 > 0.0) != (b.1 > 0.0) && a.0 + (0.0 - a.1) * (b.0 - a.0) / (b.1 - a.1) > 0.0 {
                        inside = !inside;
                    }
                    nearest = nearest.min(segment_distance(a, b));
                }
                if inside { 0.0 } else { nearest }
            }
        }
    }
}

/// Distance from the origin to the segment a–b on the plane.
fn segment_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0) };
    (a.0 + t * dx).hypot(a.1 + t * dy)
}

/// Compares a record made at `recorded_at_ms` with `fix` against the employee's `area`.
pub fn check_place(fix: Option<&GpsFix>, recorded_at_ms: i64, area: &Area, limits: &FixLimits) -> PlaceCheck {
    let Some(fix) = fix else { return PlaceCheck { distance_m: None, doubts: vec![PlaceDoubt::NoFix] } };
    let mut doubts = Vec::new();
    let accuracy_m = f64::from(fix.accuracy_dm) / 10.0;
    let hdop_too_high = fix.hdop_centi.is_some_and(|h| h > limits.max_hdop_centi);
    if hdop_too_high || fix.satellites < limits.min_satellites || accuracy_m > limits.max_accuracy_m {
        doubts.push(PlaceDoubt::PoorFix { hdop_centi: fix.hdop_centi, satellites: fix.satellites, accuracy_m });
    }
    let age_ms = recorded_at_ms - fix.fix_at_ms;
    if !(-5_000..=limits.max_age_ms).contains(&age_ms) {
        doubts.push(PlaceDoubt::StaleFix { age_ms });
    }
    let distance = area.distance_m((fix.lat_deg(), fix.lon_deg()));
    if distance > 0.0 {
        doubts.push(PlaceDoubt::Outside { distance_m: distance });
    }
    PlaceCheck { distance_m: Some(distance), doubts }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kantor Dinas PUPR Badung, Mangupura (approximately).
    const OFFICE: (f64, f64) = (-8.5920, 115.1790);

    /// A 3D fix; `hdop_centi` 0: the receiver gave none.
    fn fix(lat: f64, lon: f64, hdop_centi: u16, satellites: u8, accuracy_dm: u32, fix_at_ms: i64) -> GpsFix {
        GpsFix {
            lat_e7: GpsFix::degrees_to_e7(lat),
            lon_e7: GpsFix::degrees_to_e7(lon),
            accuracy_dm,
            hdop_centi: (hdop_centi != 0).then_some(hdop_centi),
            satellites,
            fix_at_ms,
            fix_mode: Some(hadir_protocol::FixMode::ThreeD),
            receiver_doubts: hadir_protocol::ReceiverDoubts::default(),
        }
    }

    /// `metres` north of a point.
    fn north(p: (f64, f64), metres: f64) -> (f64, f64) {
        (p.0 + metres / EARTH_RADIUS_M.to_radians(), p.1)
    }

    #[test]
    fn distances() {
        // One degree of latitude is 111.2 km on the mean sphere.
        let d = distance_m((0.0, 0.0), (1.0, 0.0));
        assert!((d - 111_195.0).abs() < 1.0, "{d}");
        let d = distance_m(OFFICE, north(OFFICE, 30_000.0));
        assert!((d - 30_000.0).abs() < 1.0, "{d}");
        assert_eq!(distance_m(OFFICE, OFFICE), 0.0);
    }

    #[test]
    fn place_table() {
        let t = 1_780_000_000_000i64;
        let circle = Area::Circle { lat: OFFICE.0, lon: OFFICE.1, radius_m: 200.0 };
        // A square of about 1 km around the office.
        let d = 0.0045;
        let square = Area::Polygon(vec![
            (OFFICE.0 - d, OFFICE.1 - d),
            (OFFICE.0 - d, OFFICE.1 + d),
            (OFFICE.0 + d, OFFICE.1 + d),
            (OFFICE.0 + d, OFFICE.1 - d),
        ]);
        let at = |p: (f64, f64)| fix(p.0, p.1, 90, 9, 45, t - 2_000);
        let codes = |c: &PlaceCheck| c.doubts.iter().map(PlaceDoubt::code).collect::<Vec<_>>();
        // (name, fix, area, doubts, distance from the area (m) within 1 m)
        let cases: Vec<(&str, Option<GpsFix>, &Area, Vec<&str>, Option<f64>)> = vec![
            ("at the office", Some(at(OFFICE)), &circle, vec![], Some(0.0)),
            ("on the circle's edge", Some(at(north(OFFICE, 199.5))), &circle, vec![], Some(0.0)),
            ("30 km away", Some(at(north(OFFICE, 30_000.0))), &circle, vec!["outside_area"], Some(29_800.0)),
            ("inside the square", Some(at(north(OFFICE, 300.0))), &square, vec![], Some(0.0)),
            ("1 km north of the square", Some(at(north(OFFICE, 1_500.3))), &square, vec!["outside_area"], Some(1_000.0)),
            ("no fix", None, &circle, vec!["no_fix"], None),
            ("HDOP 9.9", Some(fix(OFFICE.0, OFFICE.1, 990, 9, 45, t)), &circle, vec!["poor_fix"], Some(0.0)),
            ("three satellites", Some(fix(OFFICE.0, OFFICE.1, 90, 3, 45, t)), &circle, vec!["poor_fix"], Some(0.0)),
            ("no HDOP reported, else fine", Some(fix(OFFICE.0, OFFICE.1, 0, 8, 45, t)), &circle, vec![], Some(0.0)),
            ("fix ten minutes old", Some(fix(OFFICE.0, OFFICE.1, 90, 9, 45, t - 600_000)), &circle, vec!["stale_fix"], Some(0.0)),
        ];
        for (name, f, area, want, distance) in cases {
            let c = check_place(f.as_ref(), t, area, &FixLimits::default());
            assert_eq!(codes(&c), want, "{name}");
            match (c.distance_m, distance) {
                (Some(got), Some(want)) => assert!((got - want).abs() < 1.0, "{name}: {got} m, expected {want} m"),
                (got, want) => assert_eq!(got, want, "{name}"),
            }
        }
    }

    #[test]
    fn typed_areas_are_checked() {
        assert_eq!(SiteArea::new(-8.58, 115.17, 300), Some(SiteArea { lat_e7: -85_800_000, lon_e7: 1_151_700_000, radius_m: 300 }));
        for (lat, lon, r) in [(91.0, 0.0, 100), (0.0, 181.0, 100), (f64::NAN, 0.0, 100), (0.0, 0.0, 5), (0.0, 0.0, 60_000)] {
            assert_eq!(SiteArea::new(lat, lon, r), None, "{lat} {lon} {r}");
        }
    }

    #[test]
    fn the_expected_area_of_a_day() {
        use time::macros::date;
        let site = SiteArea::new(OFFICE.0, OFFICE.1, 200).unwrap();
        let road = SiteArea::new(-8.55, 115.12, 500).unwrap();
        let assignments =
            [FieldArea { from: date!(2026 - 12 - 01), to: date!(2026 - 12 - 04), label: "Jalan Mengwi km 12".into(), area: road }];
        // (name, field record, assignments, site area, day, expected area, label)
        let cases: Vec<(&str, bool, &[FieldArea], Option<&SiteArea>, Date, Option<&SiteArea>, Option<&str>)> = vec![
            ("field, first day", true, &assignments, Some(&site), date!(2026 - 12 - 01), Some(&road), Some("Jalan Mengwi km 12")),
            ("field, last day", true, &assignments, Some(&site), date!(2026 - 12 - 04), Some(&road), Some("Jalan Mengwi km 12")),
            ("field, day after", true, &assignments, Some(&site), date!(2026 - 12 - 05), Some(&site), None),
            ("office record on an assigned day", false, &assignments, Some(&site), date!(2026 - 12 - 02), Some(&site), None),
            ("no area anywhere", true, &[], None, date!(2026 - 12 - 02), None, None),
        ];
        for (name, field, assigned, site, day, want, label) in cases {
            let got = expected_area(field, assigned, site, day);
            assert_eq!(got.map(|g| g.0), want, "{name}");
            assert_eq!(got.and_then(|g| g.1), label, "{name}");
        }
    }
}
