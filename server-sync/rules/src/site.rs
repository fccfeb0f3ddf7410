//! One site's rules as a whole — zone, settings, holidays, section calendars — and their wire
//! form in the roster ([`RosterRules`]).
//!
//! The server builds a [`SiteRules`] from its tables and sends it with the roster; a kiosk keeps
//! the last one it received and asks it, for an IN at the wall, the same question the monthly
//! recap asks of the same record ([`SiteRules::arrival_at`] → [`crate::day::arrival`]).
//!
//! An employee without a section (or with a section the rules do not know) has no working days,
//! as on the server's recap: nothing is late and nothing is deducted until a section is set.
//!
//! It must not: fetch or store the rules (the kiosk's store and the server's store do).

use std::collections::BTreeMap;

use hadir_protocol::api::{
    RosterArea, RosterAssignment, RosterExcuse, RosterException, RosterFieldArea, RosterHoliday, RosterRules, RosterSection, RosterWeekChange,
};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::day::{Arrival, Excused, Mode, arrival};
use crate::place::{FieldArea, SiteArea, expected_area};
use crate::schedule::{DayException, DayPlan, Holidays, SectionCalendar, WeeklySchedule, WorkHours};
use crate::settings::{RuleSettings, SettingsError};
use crate::zone::{SiteZone, ZoneError};

/// Why a roster's rules cannot be used; the kiosk keeps its previous rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The time zone is not one the rules know.
    #[error(transparent)]
    Zone(#[from] ZoneError),
    /// A tolerance or threshold out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A date that is not `YYYY-MM-DD`.
    #[error("{what}: {value:?} is not a date (YYYY-MM-DD)")]
    Date {
        /// Where it was.
        what: String,
        /// The text.
        value: String,
    },
    /// An excuse kind that is not `cuti`, `sakit`, `izin` or `dinas_luar`.
    #[error("{what}: {value:?} is not a kind of excuse (cuti, sakit, izin, dinas_luar)")]
    Kind {
        /// Where it was.
        what: String,
        /// The text.
        value: String,
    },
    /// Hours that are not `HH:MM-HH:MM` with the end after the start.
    #[error("{what}: {value:?} are not working hours (HH:MM-HH:MM, end after start)")]
    Hours {
        /// Where they were.
        what: String,
        /// The text.
        value: String,
    },
    /// An area off the Earth, or with a radius outside 10 m – 50 km.
    #[error("{what}: not an area (latitude ±90°, longitude ±180°, radius 10 m to 50 km)")]
    Area {
        /// Where it was.
        what: String,
    },
    /// A date range that ends before it starts.
    #[error("{what}: ends ({to}) before it starts ({from})")]
    Range {
        /// Where it was.
        what: String,
        /// First day.
        from: Date,
        /// Last day.
        to: Date,
    },
}

/// Everything the rules need to know about one site, besides the records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteRules {
    /// The site's time zone.
    pub zone: SiteZone,
    /// Tolerances, overtime threshold, bands, deductions.
    pub settings: RuleSettings,
    /// Public holidays.
    pub holidays: Holidays,
    /// Calendars by section id.
    pub sections: BTreeMap<String, SectionCalendar>,
    /// Excused days by employee id (leave, sick, permitted absence, official travel).
    pub excused: BTreeMap<String, BTreeMap<Date, Excused>>,
    /// Each employee's section as the recaps see it, by employee id.
    pub assignments: BTreeMap<String, String>,
    /// Where the site's records are expected.
    pub site_area: Option<SiteArea>,
    /// Field employees' assignments by employee id, oldest first.
    pub field_areas: BTreeMap<String, Vec<FieldArea>>,
}

impl SiteRules {
    /// What `date` is for an employee of `section`.
    pub fn plan(&self, section: Option<&str>, date: Date) -> DayPlan {
        match section.and_then(|s| self.sections.get(s)) {
            Some(calendar) => calendar.plan(&self.holidays, date),
            None => DayPlan::Off(None),
        }
    }

    /// Whether `employee` is excused on `date`.
    pub fn excused_on(&self, employee: &str, date: Date) -> Option<Excused> {
        self.excused.get(employee).and_then(|days| days.get(&date)).copied()
    }

    /// Where a record by `employee` on `date` is expected, with the assignment's label
    /// ([`expected_area`]); `None` when it is not judged by place.
    pub fn expected_area(&self, employee: &str, field: bool, date: Date) -> Option<(&SiteArea, Option<&str>)> {
        let assigned = self.field_areas.get(employee).map(Vec::as_slice).unwrap_or_default();
        expected_area(field, assigned, self.site_area.as_ref(), date)
    }

    /// How an IN by `employee` of `section` made at `at` stands, as the recap will count it:
    /// `None` when the shift it belongs to has no scheduled start for the employee (day off,
    /// holiday, no section) or the employee is excused that day. After midnight it may belong
    /// to the night shift that started the day before.
    pub fn arrival_at(&self, employee: &str, section: Option<&str>, mode: Mode, at: OffsetDateTime) -> Option<Arrival> {
        let section = self.assignments.get(employee).map(String::as_str).or(section);
        let local = self.zone.local(at);
        let local = PrimitiveDateTime::new(local.date(), local.time());
        let today = local.date();
        let yesterday = today.previous_day()?;
        let before = self.plan(section, yesterday.previous_day()?);
        let previous = self.plan(section, yesterday);
        let current = self.plan(section, today);
        let (date, plan) = if within(previous.window(yesterday, Some(&before)), local) {
            (yesterday, previous)
        } else if within(current.window(today, Some(&previous)), local) {
            (today, current)
        } else {
            return None;
        };
        if self.excused_on(employee, date).is_some() {
            return None;
        }
        Some(arrival(plan.hours()?, date, local, mode, &self.settings))
    }

    /// The roster's form. Deductions stay on the server: kiosks show minutes and the late mark.
    pub fn to_wire(&self) -> RosterRules {
        let sections = self
            .sections
            .iter()
            .map(|(id, c)| RosterSection {
                id: id.clone(),
                week: (*c.weekly.days()).map(|d| d.map(|h| h.to_string())),
                changes: c
                    .changes
                    .iter()
                    .map(|(from, w)| RosterWeekChange { from: from.to_string(), week: (*w.days()).map(|d| d.map(|h| h.to_string())) })
                    .collect(),
                exceptions: c
                    .exceptions
                    .iter()
                    .map(|(date, ex)| match ex {
                        DayException::Hours(h) => {
                            RosterException { date: date.to_string(), hours: Some(h.to_string()), reason: String::new() }
                        }
                        DayException::Off(reason) => {
                            RosterException { date: date.to_string(), hours: None, reason: reason.clone() }
                        }
                    })
                    .collect(),
            })
            .collect();
        RosterRules {
            time_zone: self.zone.name().to_owned(),
            tolerance_office_min: self.settings.tolerance_office_min,
            tolerance_field_min: self.settings.tolerance_field_min,
            overtime_after_min: self.settings.overtime_after_min,
            holidays: self.holidays.iter().map(|(d, n)| RosterHoliday { date: d.to_string(), name: n.to_owned() }).collect(),
            sections,
            excused: self
                .excused
                .iter()
                .flat_map(|(id, days)| {
                    days.iter().map(|(d, e)| RosterExcuse { employee_id: id.clone(), date: d.to_string(), kind: e.as_str().to_owned() })
                })
                .collect(),
            assignments: self
                .assignments
                .iter()
                .map(|(e, s)| RosterAssignment { employee_id: e.clone(), section_id: s.clone() })
                .collect(),
            site_area: self.site_area.map(wire_area),
            field_areas: self
                .field_areas
                .iter()
                .flat_map(|(id, areas)| {
                    areas.iter().map(|a| RosterFieldArea {
                        employee_id: id.clone(),
                        from: a.from.to_string(),
                        to: a.to.to_string(),
                        label: a.label.clone(),
                        area: wire_area(a.area),
                    })
                })
                .collect(),
        }
    }

    /// Reads the roster's form; refuses it whole when any part is wrong.
    pub fn from_wire(w: &RosterRules) -> Result<SiteRules, WireError> {
        let settings = RuleSettings {
            tolerance_office_min: w.tolerance_office_min,
            tolerance_field_min: w.tolerance_field_min,
            overtime_after_min: w.overtime_after_min,
            ..RuleSettings::default()
        };
        settings.validate()?;
        let mut holidays = Holidays::new();
        for h in &w.holidays {
            holidays.insert(parse_date(&h.date, "holiday")?, h.name.clone());
        }
        let mut sections = BTreeMap::new();
        for s in &w.sections {
            let week = |texts: &[Option<String>; 7]| -> Result<WeeklySchedule, WireError> {
                let mut days = [None; 7];
                for (day, text) in days.iter_mut().zip(texts) {
                    *day = text.as_deref().map(|t| parse_hours(t, &s.id)).transpose()?;
                }
                Ok(WeeklySchedule::new(days))
            };
            let mut calendar = SectionCalendar::new(week(&s.week)?);
            for c in &s.changes {
                calendar.changes.insert(parse_date(&c.from, &s.id)?, week(&c.week)?);
            }
            for e in &s.exceptions {
                let date = parse_date(&e.date, &s.id)?;
                let ex = match &e.hours {
                    Some(h) => DayException::Hours(parse_hours(h, &s.id)?),
                    None => DayException::Off(e.reason.clone()),
                };
                calendar.exceptions.insert(date, ex);
            }
            sections.insert(s.id.clone(), calendar);
        }
        let mut excused: BTreeMap<String, BTreeMap<Date, Excused>> = BTreeMap::new();
        for x in &w.excused {
            let what = format!("excused day of {}", x.employee_id);
            let kind = Excused::parse(&x.kind).ok_or_else(|| WireError::Kind { what: what.clone(), value: x.kind.clone() })?;
            excused.entry(x.employee_id.clone()).or_default().insert(parse_date(&x.date, &what)?, kind);
        }
        let assignments = w.assignments.iter().map(|a| (a.employee_id.clone(), a.section_id.clone())).collect();
        let site_area = w.site_area.map(|a| area_of(a, "site area")).transpose()?;
        let mut field_areas: BTreeMap<String, Vec<FieldArea>> = BTreeMap::new();
        for f in &w.field_areas {
            let what = format!("field assignment of {}", f.employee_id);
            let (from, to) = (parse_date(&f.from, &what)?, parse_date(&f.to, &what)?);
            if to < from {
                return Err(WireError::Range { what, from, to });
            }
            let area = area_of(f.area, &what)?;
            field_areas.entry(f.employee_id.clone()).or_default().push(FieldArea { from, to, label: f.label.clone(), area });
        }
        Ok(SiteRules { zone: SiteZone::parse(&w.time_zone)?, settings, holidays, sections, excused, assignments, site_area, field_areas })
    }
}

fn wire_area(a: SiteArea) -> RosterArea {
    RosterArea { lat_e7: a.lat_e7, lon_e7: a.lon_e7, radius_m: a.radius_m }
}

fn area_of(a: RosterArea, what: &str) -> Result<SiteArea, WireError> {
    let area = SiteArea { lat_e7: a.lat_e7, lon_e7: a.lon_e7, radius_m: a.radius_m };
    area.is_valid().then_some(area).ok_or_else(|| WireError::Area { what: what.to_owned() })
}

fn within((from, to): (PrimitiveDateTime, PrimitiveDateTime), t: PrimitiveDateTime) -> bool {
    (from..to).contains(&t)
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str, what: &str) -> Result<Date, WireError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format).map_err(|_| WireError::Date { what: what.to_owned(), value: text.to_owned() })
}

fn parse_hours(text: &str, what: &str) -> Result<WorkHours, WireError> {
    WorkHours::parse(text).ok_or_else(|| WireError::Hours { what: format!("section {what}"), value: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Band;
    use time::macros::{date, datetime, time};

    fn rules() -> SiteRules {
        let day = WorkHours::new(time!(07:30), time!(16:00)).unwrap();
        let friday = WorkHours::new(time!(07:30), time!(11:30)).unwrap();
        let mut office = SectionCalendar::new(WeeklySchedule::new([Some(day), Some(day), Some(day), Some(day), Some(friday), None, None]));
        office.exceptions.insert(date!(2026 - 03 - 18), DayException::Hours(WorkHours::new(time!(08:00), time!(14:00)).unwrap()));
        office.exceptions.insert(date!(2026 - 03 - 20), DayException::Off("Banjir".into()));
        office.changes.insert(date!(2026 - 03 - 23), WeeklySchedule::weekdays(WorkHours::new(time!(07:00), time!(15:00)).unwrap()));
        let mut holidays = Holidays::new();
        holidays.insert(date!(2026 - 03 - 19), "Nyepi");
        let night = Some(WorkHours::new(time!(22:00), time!(06:00)).unwrap());
        let guards = SectionCalendar::new(WeeklySchedule::new([night, night, night, night, night, None, None]));
        SiteRules {
            zone: SiteZone::parse("Asia/Makassar").unwrap(),
            settings: RuleSettings::default(),
            holidays,
            sections: BTreeMap::from([("BM".to_owned(), office), ("SATPAM".to_owned(), guards)]),
            excused: BTreeMap::from([("E2".to_owned(), BTreeMap::from([(date!(2026 - 03 - 03), Excused::Cuti)]))]),
            assignments: BTreeMap::from([("E3".to_owned(), "BM".to_owned())]),
            site_area: SiteArea::new(-8.592, 115.179, 200),
            field_areas: BTreeMap::from([(
                "E4".to_owned(),
                vec![FieldArea {
                    from: date!(2026 - 03 - 02),
                    to: date!(2026 - 03 - 06),
                    label: "Jalan Mengwi km 12".into(),
                    area: SiteArea::new(-8.55, 115.12, 500).unwrap(),
                }],
            )]),
        }
    }

    #[test]
    fn arrival_table() {
        let r = rules();
        let b1 = Some(Band::B1);
        // (name, employee, section, mode, UTC instant, late minutes and band, or no schedule)
        let cases: Vec<(&str, &str, Option<&str>, Mode, OffsetDateTime, Option<(u32, Option<Band>)>)> = vec![
            ("WITA 07:42 office, within tolerance", "E1", Some("BM"), Mode::Office, datetime!(2026-03-02 23:42 UTC), Some((12, None))),
            ("WITA 07:42 field, marked", "E1", Some("BM"), Mode::Field, datetime!(2026-03-02 23:42 UTC), Some((12, b1))),
            ("office exactly at tolerance", "E1", Some("BM"), Mode::Office, datetime!(2026-03-03 00:30 UTC), Some((60, None))),
            ("office one minute past", "E1", Some("BM"), Mode::Office, datetime!(2026-03-03 00:31 UTC), Some((61, Some(Band::B3)))),
            ("early is 0", "E1", Some("BM"), Mode::Field, datetime!(2026-03-02 23:00 UTC), Some((0, None))),
            ("Friday hours", "E1", Some("BM"), Mode::Field, datetime!(2026-03-05 23:31 UTC), Some((1, b1))),
            ("exception hours start 08:00", "E1", Some("BM"), Mode::Field, datetime!(2026-03-18 00:10 UTC), Some((10, b1))),
            ("holiday", "E1", Some("BM"), Mode::Field, datetime!(2026-03-19 00:10 UTC), None),
            ("section day off", "E1", Some("BM"), Mode::Field, datetime!(2026-03-20 00:10 UTC), None),
            ("weekend", "E1", Some("BM"), Mode::Field, datetime!(2026-03-07 00:10 UTC), None),
            ("excused that local day", "E2", Some("BM"), Mode::Field, datetime!(2026-03-02 23:42 UTC), None),
            ("not excused the day before", "E2", Some("BM"), Mode::Field, datetime!(2026-03-01 23:42 UTC), Some((12, b1))),
            ("night shift, early", "G1", Some("SATPAM"), Mode::Office, datetime!(2026-03-02 13:50 UTC), Some((0, None))),
            ("night shift, 00:30 is the night before", "G1", Some("SATPAM"), Mode::Field, datetime!(2026-03-02 16:30 UTC), Some((150, Some(Band::B4)))),
            ("Saturday 00:30 ends Friday's night", "G1", Some("SATPAM"), Mode::Field, datetime!(2026-03-06 16:30 UTC), Some((150, Some(Band::B4)))),
            ("Saturday evening: no night shift", "G1", Some("SATPAM"), Mode::Field, datetime!(2026-03-07 14:00 UTC), None),
            ("the week changed from the 23rd: 07:12 is 12 past 07:00", "E1", Some("BM"), Mode::Field, datetime!(2026-03-22 23:12 UTC), Some((12, b1))),
            ("the week before the change: the old week", "E1", Some("BM"), Mode::Field, datetime!(2026-03-16 23:12 UTC), Some((0, None))),
            ("no section", "E1", None, Mode::Field, datetime!(2026-03-02 23:42 UTC), None),
            ("the rules' assignment wins", "E3", Some("SATPAM"), Mode::Field, datetime!(2026-03-02 23:42 UTC), Some((12, b1))),
            ("unknown section", "E1", Some("XX"), Mode::Field, datetime!(2026-03-02 23:42 UTC), None),
        ];
        for (name, employee, section, mode, at, want) in cases {
            let got = r.arrival_at(employee, section, mode, at).map(|a| (a.late_minutes, a.late_band));
            assert_eq!(got, want, "{name}");
        }
    }

    /// One office, one schedule (07:30 start, 60 minutes of tolerance), in each of Indonesia's
    /// three zones: the same UTC instant is a different local time, so a different lateness.
    #[test]
    fn wib_wita_and_wit_sites() {
        // 00:45 UTC on Monday 2 March 2026: 07:45 WIB, 08:45 WITA, 09:45 WIT.
        let at = datetime!(2026-03-02 00:45 UTC);
        let cases = [
            ("Asia/Jakarta", Some((15, None))),
            ("WIB", Some((15, None))),
            ("Asia/Makassar", Some((75, Some(Band::B3)))),
            ("WITA", Some((75, Some(Band::B3)))),
            ("Asia/Jayapura", Some((135, Some(Band::B4)))),
            ("WIT", Some((135, Some(Band::B4)))),
        ];
        for (zone, want) in cases {
            let r = SiteRules { zone: SiteZone::parse(zone).unwrap(), ..rules() };
            let got = r.arrival_at("E1", Some("BM"), Mode::Office, at).map(|a| (a.late_minutes, a.late_band));
            assert_eq!(got, want, "{zone}");
        }
        // 16:30 UTC on Sunday is still Sunday in WIB (23:30: no office day) and already Monday
        // in WIT (01:30: an early arrival of Monday's office day).
        for (zone, want) in [("WIB", None), ("WIT", Some((0, None)))] {
            let r = SiteRules { zone: SiteZone::parse(zone).unwrap(), ..rules() };
            let got = r.arrival_at("E1", Some("BM"), Mode::Office, datetime!(2026-03-01 16:30 UTC)).map(|a| (a.late_minutes, a.late_band));
            assert_eq!(got, want, "{zone}");
        }
    }

    #[test]
    fn wire_round_trip_and_refusals() {
        let r = rules();
        let wire = r.to_wire();
        assert_eq!(SiteRules::from_wire(&wire), Ok(r.clone()));

        let mut bad_zone = wire.clone();
        bad_zone.time_zone = "Mars/Olympus".into();
        assert!(matches!(SiteRules::from_wire(&bad_zone), Err(WireError::Zone(_))));
        let mut bad_hours = wire.clone();
        bad_hours.sections[0].week[0] = Some("07:30-07:30".into());
        assert!(matches!(SiteRules::from_wire(&bad_hours), Err(WireError::Hours { .. })));
        let mut bad_date = wire.clone();
        bad_date.holidays[0].date = "19-03-2026".into();
        assert!(matches!(SiteRules::from_wire(&bad_date), Err(WireError::Date { .. })));
        let mut bad_change = wire.clone();
        bad_change.sections[0].changes[0].from = "2026-02-30".into();
        assert!(matches!(SiteRules::from_wire(&bad_change), Err(WireError::Date { .. })));
        let mut bad_kind = wire.clone();
        bad_kind.excused[0].kind = "libur".into();
        assert!(matches!(SiteRules::from_wire(&bad_kind), Err(WireError::Kind { .. })));
        let mut bad_area = wire.clone();
        bad_area.field_areas[0].area.radius_m = 0;
        assert!(matches!(SiteRules::from_wire(&bad_area), Err(WireError::Area { .. })));
        let mut off_earth = wire.clone();
        off_earth.site_area.as_mut().unwrap().lat_e7 = 950_000_000;
        assert!(matches!(SiteRules::from_wire(&off_earth), Err(WireError::Area { .. })));
        let mut backwards = wire.clone();
        backwards.field_areas[0].to = "2026-03-01".into();
        assert!(matches!(SiteRules::from_wire(&backwards), Err(WireError::Range { .. })));
        let mut bad_tolerance = wire;
        bad_tolerance.tolerance_office_min = 5000;
        assert!(matches!(SiteRules::from_wire(&bad_tolerance), Err(WireError::Settings(_))));
        // A roster from a server that sends no places reads as "not judged by place".
        let old: RosterRules = serde_json::from_value({
            let mut v = serde_json::to_value(r.to_wire()).unwrap();
            v.as_object_mut().unwrap().retain(|k, _| k != "site_area" && k != "field_areas");
            v
        })
        .unwrap();
        let read = SiteRules::from_wire(&old).unwrap();
        assert_eq!((read.site_area, read.field_areas.len()), (None, 0));
        assert_eq!(r.expected_area("E4", true, date!(2026 - 03 - 03)).and_then(|a| a.1), Some("Jalan Mengwi km 12"));
    }
}
