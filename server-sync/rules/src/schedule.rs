//! Working hours, weekly schedules per section, holidays and per-day exceptions.
//!
//! A section works to a weekly schedule (hours per weekday, or no work). Holidays (hari libur)
//! apply to everyone; a section may have exceptions for single dates (shorter hours in Ramadan,
//! an emergency shift on a holiday, a day off for a local event). Precedence for a date:
//! exception, then holiday, then the weekly schedule.
//!
//! ## Night shifts
//! Hours whose end is not after their start cross midnight (a guard's 22:00–06:00): the shift
//! belongs to the day it starts. Its records are those from noon of that day to noon of the
//! next ([`DayPlan::window`]); the morning after a night shift belongs to the night, not to
//! the next day.

use std::collections::BTreeMap;

use time::{Date, PrimitiveDateTime, Time, Weekday};

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Start and end are the same time: no hours at all.
    #[error("working hours {start}–{start} are empty; give an end after the start (or before it for a night shift)")]
    Empty {
        /// The start (and end).
        start: Time,
    },
}

/// Scheduled working hours of one day; an end not after the start means the shift ends the
/// next morning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkHours {
    start: Time,
    end: Time,
}

/// Where a night shift's day ends and the next begins: records before noon after a night shift
/// belong to the night.
pub const NIGHT_CUTOFF: Time = time::macros::time!(12:00);

impl WorkHours {
    /// Hours from `start` to `end`; across midnight when `end` is before `start`.
    pub fn new(start: Time, end: Time) -> Result<Self, ScheduleError> {
        if end == start {
            return Err(ScheduleError::Empty { start });
        }
        Ok(Self { start, end })
    }

    /// Whether the shift ends the next day.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// The scheduled start on the shift's day.
    pub fn start_on(&self, date: Date) -> PrimitiveDateTime {
        date.with_time(self.start)
    }

    /// The scheduled end of the shift that starts on `date` (the next day for a night shift).
    pub fn end_on(&self, date: Date) -> PrimitiveDateTime {
        let day = if self.crosses_midnight() { date.next_day().unwrap_or(date) } else { date };
        day.with_time(self.end)
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

    /// Whether this is a night shift.
    pub fn is_night(&self) -> bool {
        self.hours().is_some_and(|h| h.crosses_midnight())
    }

    /// The local times whose records belong to `date` with this plan, when the day before had
    /// `previous`: a night shift takes noon to noon; any other day its calendar date, less the
    /// morning that a night shift the day before takes.
    pub fn window(&self, date: Date, previous: Option<&DayPlan>) -> (PrimitiveDateTime, PrimitiveDateTime) {
        let next = date.next_day().unwrap_or(date);
        if self.is_night() {
            return (date.with_time(NIGHT_CUTOFF), next.with_time(NIGHT_CUTOFF));
        }
        let from = if previous.is_some_and(DayPlan::is_night) { NIGHT_CUTOFF } else { Time::MIDNIGHT };
        (date.with_time(from), next.with_time(Time::MIDNIGHT))
    }
}

/// A section's calendar: the weekly schedule, its dated changes and its per-date exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCalendar {
    /// The usual week, until the first of `changes`.
    pub weekly: WeeklySchedule,
    /// Weeks that take effect from a date, each until the next: a schedule change never
    /// rewrites the days before it (a month already paid stays as it was).
    pub changes: BTreeMap<Date, WeeklySchedule>,
    /// Exceptions by date; they win over holidays and the weekly schedule.
    pub exceptions: BTreeMap<Date, DayException>,
}

impl SectionCalendar {
    /// A calendar with no changes or exceptions.
    pub fn new(weekly: WeeklySchedule) -> Self {
        Self { weekly, changes: BTreeMap::new(), exceptions: BTreeMap::new() }
    }

    /// The week in effect on `date`.
    pub fn weekly_on(&self, date: Date) -> &WeeklySchedule {
        self.changes.range(..=date).next_back().map_or(&self.weekly, |(_, w)| w)
    }

    /// The calendar as it stands on `date`: the week in effect then as the usual week, the
    /// changes after it kept (what a kiosk needs from today on).
    pub fn as_of(&self, date: Date) -> SectionCalendar {
        SectionCalendar {
            weekly: self.weekly_on(date).clone(),
            changes: self.changes.range(date.next_day().unwrap_or(date)..).map(|(d, w)| (*d, w.clone())).collect(),
            exceptions: self.exceptions.clone(),
        }
    }

    /// This calendar for one employee whose own week is `week` from `from` to `to` (a night
    /// guard in a day section, a part-time arrangement): inside the range the employee's week
    /// wins over the section's and its changes; before and after it the section's applies.
    /// The section's dated exceptions (a special period) and the holidays still apply.
    pub fn with_override(&self, from: Date, to: Date, week: &WeeklySchedule) -> SectionCalendar {
        let mut out = self.clone();
        let after = to.next_day();
        if let Some(after) = after {
            out.changes.insert(after, self.weekly_on(after).clone());
        }
        out.changes.retain(|d, _| *d < from || after.is_some_and(|a| *d >= a));
        out.changes.insert(from, week.clone());
        out
    }

    /// What `date` is for this section: exception, then holiday, then the week in effect.
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
        match self.weekly_on(date).hours(date.weekday()) {
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
    fn hours_and_night_shifts() {
        use time::macros::datetime;
        let d = date!(2026 - 03 - 02);
        // (start, end, crosses midnight, end of the shift that starts on `d`)
        let cases = [
            (time!(07:30), time!(16:00), false, datetime!(2026-03-02 16:00)),
            (time!(22:00), time!(06:00), true, datetime!(2026-03-03 06:00)),
            (time!(23:59), time!(00:00), true, datetime!(2026-03-03 00:00)),
            (time!(00:00), time!(23:59), false, datetime!(2026-03-02 23:59)),
        ];
        for (start, end, night, end_on) in cases {
            let h = WorkHours::new(start, end).unwrap();
            assert_eq!((h.crosses_midnight(), h.end_on(d), h.start_on(d)), (night, end_on, d.with_time(start)), "{start}–{end}");
        }
        assert_eq!(WorkHours::new(time!(08:00), time!(08:00)), Err(ScheduleError::Empty { start: time!(08:00) }));
    }

    #[test]
    fn windows_give_the_morning_after_a_night_to_the_night() {
        use time::macros::datetime;
        let d = date!(2026 - 03 - 02);
        let night = DayPlan::Work(WorkHours::new(time!(22:00), time!(06:00)).unwrap());
        let day = DayPlan::Work(office());
        let off = DayPlan::Off(None);
        let cases = [
            ("day after a day", &day, Some(&day), (datetime!(2026-03-02 00:00), datetime!(2026-03-03 00:00))),
            ("day after a night", &day, Some(&night), (datetime!(2026-03-02 12:00), datetime!(2026-03-03 00:00))),
            ("night", &night, Some(&day), (datetime!(2026-03-02 12:00), datetime!(2026-03-03 12:00))),
            ("day off after a night", &off, Some(&night), (datetime!(2026-03-02 12:00), datetime!(2026-03-03 00:00))),
            ("first day of a report", &day, None, (datetime!(2026-03-02 00:00), datetime!(2026-03-03 00:00))),
        ];
        for (name, plan, previous, want) in cases {
            assert_eq!(plan.window(d, previous), want, "{name}");
        }
    }

    #[test]
    fn hours_text_round_trips() {
        let cases = [
            ("07:30-16:00", Some((time!(07:30), time!(16:00)))),
            (" 7:30 - 16:30 ", Some((time!(07:30), time!(16:30)))),
            ("22:00-06:00", Some((time!(22:00), time!(06:00)))),
            ("08:00-08:00", None),
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
    fn a_schedule_change_takes_effect_from_its_date_and_never_before() {
        let mut cal = SectionCalendar::new(WeeklySchedule::weekdays(office()));
        let longer = WorkHours::new(time!(07:00), time!(16:30)).unwrap();
        let ramadan = WorkHours::new(time!(08:00), time!(14:00)).unwrap();
        cal.changes.insert(date!(2026 - 03 - 16), WeeklySchedule::weekdays(longer));
        cal.changes.insert(date!(2026 - 04 - 01), WeeklySchedule::new([Some(ramadan), Some(ramadan), Some(ramadan), Some(ramadan), Some(ramadan), Some(ramadan), None]));
        let h = Holidays::new();
        // (date, plan): before the first change, from it, from the second (a Saturday at work).
        let cases = [
            (date!(2026 - 03 - 13), DayPlan::Work(office())),
            (date!(2026 - 03 - 14), DayPlan::Off(None)),
            (date!(2026 - 03 - 16), DayPlan::Work(longer)),
            (date!(2026 - 03 - 31), DayPlan::Work(longer)),
            (date!(2026 - 04 - 01), DayPlan::Work(ramadan)),
            (date!(2026 - 04 - 04), DayPlan::Work(ramadan)),
            (date!(2026 - 04 - 05), DayPlan::Off(None)),
        ];
        for (d, want) in cases.clone() {
            assert_eq!(cal.plan(&h, d), want, "{d}");
        }
        let today = cal.as_of(date!(2026 - 03 - 20));
        assert_eq!(today.weekly, WeeklySchedule::weekdays(longer), "a kiosk gets the week in effect");
        assert_eq!(today.changes.keys().copied().collect::<Vec<_>>(), [date!(2026 - 04 - 01)], "and the changes still to come");
        for (d, _) in cases.iter().filter(|(d, _)| *d >= date!(2026 - 03 - 20)) {
            assert_eq!(today.plan(&h, *d), cal.plan(&h, *d), "{d}");
        }
    }

    #[test]
    fn an_employees_own_week_wins_inside_its_range_only() {
        let night = WorkHours::new(time!(22:00), time!(06:00)).unwrap();
        let later = WorkHours::new(time!(08:00), time!(16:30)).unwrap();
        let mut section = SectionCalendar::new(WeeklySchedule::weekdays(office()));
        // The section changes its week in the middle of the employee's range and after it.
        section.changes.insert(date!(2026 - 03 - 10), WeeklySchedule::weekdays(later));
        section.changes.insert(date!(2026 - 04 - 01), WeeklySchedule::weekdays(office()));
        section.exceptions.insert(date!(2026 - 03 - 12), DayException::Off("Kerja bakti".into()));
        let guard = section.with_override(date!(2026 - 03 - 05), date!(2026 - 03 - 20), &WeeklySchedule::new([Some(night); 7]));
        let h = Holidays::new();
        let cases = [
            (date!(2026 - 03 - 04), DayPlan::Work(office())),
            (date!(2026 - 03 - 05), DayPlan::Work(night)),
            (date!(2026 - 03 - 08), DayPlan::Work(night)), // a Sunday: the guard's week works
            (date!(2026 - 03 - 11), DayPlan::Work(night)), // the section's change does not reach in
            (date!(2026 - 03 - 12), DayPlan::Off(Some("Kerja bakti".into()))),
            (date!(2026 - 03 - 20), DayPlan::Work(night)),
            (date!(2026 - 03 - 23), DayPlan::Work(later)), // after it: the section's week of that day
            (date!(2026 - 04 - 01), DayPlan::Work(office())),
        ];
        for (d, want) in cases {
            assert_eq!(guard.plan(&h, d), want, "{d}");
        }
        assert_eq!(section.plan(&h, date!(2026 - 03 - 11)), DayPlan::Work(later), "the section itself is untouched");
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
