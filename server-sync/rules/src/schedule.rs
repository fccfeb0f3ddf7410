//! Working hours, weekly schedules per section, holidays and per-day exceptions.
//!
//! A section works to a weekly schedule (hours per weekday, or no work). Holidays (hari libur)
//! apply to everyone; a section may have exceptions for single dates (shorter hours in Ramadan,
//! an emergency shift on a holiday, a day off for a local event). Precedence for a date:
//! exception, then holiday, then the weekly schedule.

use std::collections::BTreeMap;

use time::{Date, Time, Weekday};

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The end is not after the start: a night shift across midnight is not supported.
    #[error(
        "working hours {start}–{end} cross midnight or are empty; a working day must end after it \
         starts on the same date (split a night shift into two days)"
    )]
    CrossesMidnight {
        /// Scheduled start.
        start: Time,
        /// Scheduled end.
        end: Time,
    },
}

/// Scheduled working hours of one day, start before end on the same date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkHours {
    start: Time,
    end: Time,
}

impl WorkHours {
    /// Hours from `start` to `end`; refused when `end` is not after `start` (across midnight).
    pub fn new(start: Time, end: Time) -> Result<Self, ScheduleError> {
        if end <= start {
            return Err(ScheduleError::CrossesMidnight { start, end });
        }
        Ok(Self { start, end })
    }

    /// Scheduled start.
    pub fn start(&self) -> Time {
        self.start
    }

    /// Scheduled end.
    pub fn end(&self) -> Time {
        self.end
    }

    /// Hours written `HH:MM-HH:MM` (as the dashboard's forms and the roster carry them).
    pub fn parse(text: &str) -> Option<WorkHours> {
        let (a, b) = text.split_once('-')?;
        let t = |x: &str| {
            let (h, m) = x.trim().split_once(':')?;
            Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
        };
        WorkHours::new(t(a)?, t(b)?).ok()
    }
}

impl std::fmt::Display for WorkHours {
    /// `HH:MM-HH:MM`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, e) = (self.start, self.end);
        write!(f, "{:02}:{:02}-{:02}:{:02}", s.hour(), s.minute(), e.hour(), e.minute())
    }
}

/// Hours for each weekday, Monday first; `None` is a day without work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySchedule {
    days: [Option<WorkHours>; 7],
}

impl WeeklySchedule {
    /// A schedule from hours per weekday, Monday first.
    pub fn new(days: [Option<WorkHours>; 7]) -> Self {
        Self { days }
    }

    /// The same hours Monday to Friday, weekends off.
    pub fn weekdays(hours: WorkHours) -> Self {
        let mut days = [None; 7];
        for d in days.iter_mut().take(5) {
            *d = Some(hours);
        }
        Self { days }
    }

    /// Hours on a weekday.
    pub fn hours(&self, day: Weekday) -> Option<WorkHours> {
        self.days[usize::from(day.number_days_from_monday())]
    }

    /// All seven days, Monday first.
    pub fn days(&self) -> &[Option<WorkHours>; 7] {
        &self.days
    }
}

/// Public holidays, with their names (shown on the recap).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    days: BTreeMap<Date, String>,
}

impl Holidays {
    /// No holidays.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or renames) a holiday.
    pub fn insert(&mut self, date: Date, name: impl Into<String>) {
        self.days.insert(date, name.into());
    }

    /// The holiday's name on `date`, if it is one.
    pub fn get(&self, date: Date) -> Option<&str> {
        self.days.get(&date).map(String::as_str)
    }

    /// All holidays in date order.
    pub fn iter(&self) -> impl Iterator<Item = (Date, &str)> {
        self.days.iter().map(|(d, n)| (*d, n.as_str()))
    }
}

/// A section's exception for one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayException {
    /// Different hours that day (also makes a holiday a working day for the section).
    Hours(WorkHours),
    /// No work that day, with the reason shown on the recap.
    Off(String),
}

/// What a date is for an employee: a working day with its hours, a holiday, or a day off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayPlan {
    /// A working day.
    Work(WorkHours),
    /// A public holiday, by name.
    Holiday(String),
    /// Not a working day (weekend, or a section's day off with its reason).
    Off(Option<String>),
}

impl DayPlan {
    /// The hours when this is a working day.
    pub fn hours(&self) -> Option<WorkHours> {
        match self {
            DayPlan::Work(h) => Some(*h),
            _ => None,
        }
    }
}

/// A section's calendar: the weekly schedule and its per-date exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCalendar {
    /// The usual week.
    pub weekly: WeeklySchedule,
    /// Exceptions by date; they win over holidays and the weekly schedule.
    pub exceptions: BTreeMap<Date, DayException>,
}

impl SectionCalendar {
    /// A calendar with no exceptions.
    pub fn new(weekly: WeeklySchedule) -> Self {
        Self { weekly, exceptions: BTreeMap::new() }
    }

    /// What `date` is for this section: exception, then holiday, then the weekly schedule.
    pub fn plan(&self, holidays: &Holidays, date: Date) -> DayPlan {
        if let Some(ex) = self.exceptions.get(&date) {
            return match ex {
                DayException::Hours(h) => DayPlan::Work(*h),
                DayException::Off(reason) => DayPlan::Off(Some(reason.clone())),
            };
        }
        if let Some(name) = holidays.get(date) {
            return DayPlan::Holiday(name.to_owned());
        }
        match self.weekly.hours(date.weekday()) {
            Some(h) => DayPlan::Work(h),
            None => DayPlan::Off(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    fn office() -> WorkHours {
        WorkHours::new(time!(07:30), time!(16:00)).unwrap()
    }

    #[test]
    fn night_shift_across_midnight_is_refused() {
        let cases = [
            (time!(22:00), time!(06:00)),
            (time!(08:00), time!(08:00)),
            (time!(23:59), time!(00:00)),
        ];
        for (start, end) in cases {
            assert_eq!(
                WorkHours::new(start, end),
                Err(ScheduleError::CrossesMidnight { start, end }),
                "{start}–{end}"
            );
        }
        assert!(WorkHours::new(time!(00:00), time!(23:59)).is_ok());
    }

    #[test]
    fn hours_text_round_trips() {
        let cases = [
            ("07:30-16:00", Some((time!(07:30), time!(16:00)))),
            (" 7:30 - 16:30 ", Some((time!(07:30), time!(16:30)))),
            ("16:00-07:30", None),
            ("24:00-25:00", None),
            ("0730-1600", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = WorkHours::parse(text);
            assert_eq!(got.map(|h| (h.start(), h.end())), want, "{text:?}");
            if let Some(h) = got {
                assert_eq!(WorkHours::parse(&h.to_string()), Some(h), "{text:?} round trip");
            }
        }
    }

    #[test]
    fn plan_precedence_exception_holiday_weekly() {
        let mut holidays = Holidays::new();
        holidays.insert(date!(2026 - 08 - 17), "Hari Kemerdekaan");
        holidays.insert(date!(2026 - 08 - 18), "Cuti bersama");
        let mut cal = SectionCalendar::new(WeeklySchedule::weekdays(office()));
        let short = WorkHours::new(time!(08:00), time!(12:00)).unwrap();
        cal.exceptions.insert(date!(2026 - 08 - 18), DayException::Hours(short));
        cal.exceptions.insert(date!(2026 - 08 - 19), DayException::Off("Banjir".into()));

        let cases = [
            (date!(2026 - 08 - 14), DayPlan::Work(office())), // Friday
            (date!(2026 - 08 - 15), DayPlan::Off(None)),      // Saturday
            (date!(2026 - 08 - 16), DayPlan::Off(None)),      // Sunday
            (date!(2026 - 08 - 17), DayPlan::Holiday("Hari Kemerdekaan".into())),
            (date!(2026 - 08 - 18), DayPlan::Work(short)), // exception beats holiday
            (date!(2026 - 08 - 19), DayPlan::Off(Some("Banjir".into()))),
            (date!(2026 - 08 - 20), DayPlan::Work(office())),
        ];
        for (d, want) in cases {
            assert_eq!(cal.plan(&holidays, d), want, "{d}");
        }
    }
}
