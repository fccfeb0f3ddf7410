//! The monthly recap per employee and the recap per date, over records.
//!
//! The monthly recap is what the personnel office hands to finance: days present, late
//! arrivals and minutes per TL band, early departures per PSW band, absences, leave, travel,
//! overtime, records still awaiting confirmation and the month's deduction of the allowance.

use std::collections::BTreeMap;

use time::{Date, Month, Time};

use super::day::{DayInput, DayResult, DayStatus, Excused, Punch, evaluate_day};
use super::schedule::{Holidays, SectionCalendar};
use super::settings::RuleSettings;

/// One employee's month, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthRecap {
    /// Working days in the month by the calendar.
    pub days_scheduled: u32,
    /// Working days with at least one counting record.
    pub days_present: u32,
    /// Days with counting records on a holiday or day off.
    pub days_worked_off: u32,
    /// Late days per TL band.
    pub late_count: [u32; 4],
    /// Late minutes per TL band (minutes from the scheduled start, of days marked late).
    pub late_minutes: [u32; 4],
    /// Every minute after the scheduled start of the month's first INs, within the tolerance
    /// too: the same figure as the recap per date, summed.
    pub late_minutes_total: u32,
    /// Of those, the minutes past the mode's tolerance on days marked late.
    pub late_minutes_over_tolerance: u32,
    /// Early departures per PSW band.
    pub early_count: [u32; 4],
    /// Early minutes per PSW band.
    pub early_minutes: [u32; 4],
    /// Days with an IN but no OUT.
    pub missing_out: u32,
    /// Absent without reason (TK).
    pub absent: u32,
    /// Annual leave days.
    pub cuti: u32,
    /// Sick days.
    pub sakit: u32,
    /// Permitted absence days.
    pub izin: u32,
    /// Official travel days.
    pub travel: u32,
    /// Overtime, minutes.
    pub overtime_minutes: u32,
    /// Records awaiting confirmation.
    pub pending: u32,
    /// Working days not yet known (a device has not synced past them).
    pub not_yet_known: u32,
    /// Deduction of the allowance for the month, basis points (at most 100 %).
    pub deduction_bp: u32,
}

impl MonthRecap {
    /// Late days in all bands.
    pub fn late_days(&self) -> u32 {
        self.late_count.iter().sum()
    }

    /// Early departures in all bands.
    pub fn early_days(&self) -> u32 {
        self.early_count.iter().sum()
    }

    /// Adds one judged day.
    pub fn add(&mut self, day: &DayResult, scheduled: bool) {
        if scheduled {
            self.days_scheduled += 1;
        }
        match day.status {
            DayStatus::Present => self.days_present += 1,
            DayStatus::WorkedDayOff => self.days_worked_off += 1,
            DayStatus::Absent => self.absent += 1,
            DayStatus::Leave(Excused::Cuti) => self.cuti += 1,
            DayStatus::Leave(Excused::Sakit) => self.sakit += 1,
            DayStatus::Leave(Excused::Izin) => self.izin += 1,
            DayStatus::Leave(Excused::DinasLuar) | DayStatus::Travel => self.travel += 1,
            DayStatus::NotYetKnown => self.not_yet_known += 1,
            DayStatus::Holiday | DayStatus::DayOff | DayStatus::AwaitingConfirmation => {}
        }
        self.late_minutes_total += day.late_minutes;
        self.late_minutes_over_tolerance += day.late_over_tolerance;
        if let Some(b) = day.late_band {
            self.late_count[b.index()] += 1;
            self.late_minutes[b.index()] += day.late_minutes;
        }
        if let Some(b) = day.early_band {
            self.early_count[b.index()] += 1;
            self.early_minutes[b.index()] += day.early_minutes;
        }
        self.missing_out += u32::from(day.missing_out);
        self.overtime_minutes += day.overtime_minutes;
        self.pending += day.pending;
        self.deduction_bp = (self.deduction_bp + day.deduction_bp).min(10_000);
    }
}

/// What the monthly recap of one employee needs.
#[derive(Debug, Clone)]
pub struct MonthInput<'a> {
    /// Year.
    pub year: i32,
    /// Month.
    pub month: Month,
    /// The employee's section calendar.
    pub calendar: &'a SectionCalendar,
    /// Public holidays.
    pub holidays: &'a Holidays,
    /// The employee's records; any order, other months ignored (give the first day of the next
    /// month too when the month may end on a night shift).
    pub punches: &'a [Punch],
    /// Leave and travel entered by admins.
    pub excused: &'a BTreeMap<Date, Excused>,
    /// The last date known for the employee's site (see [`super::watermark::known_through`]).
    pub known_through: Option<Date>,
}

/// Judges every day of the month and counts them: the days in order, then the recap.
pub fn recap_month(input: &MonthInput<'_>, settings: &RuleSettings) -> (Vec<DayResult>, MonthRecap) {
    let days_in_month = input.month.length(input.year);
    // Each day needs its own records as one slice: sorted by local date they are contiguous
    // (callers that pass sorted records, like the store's month query, save the copy).
    let sorted: std::borrow::Cow<'_, [Punch]> = if input.punches.is_sorted_by_key(Punch::local_date) {
        std::borrow::Cow::Borrowed(input.punches)
    } else {
        let mut v = input.punches.to_vec();
        v.sort_by_key(Punch::local_date);
        std::borrow::Cow::Owned(v)
    };
    // The records of dates `from..=to`, one contiguous slice of the sorted records.
    let dates = |from: Date, to: Date| {
        let a = sorted.partition_point(|p| p.local_date() < from);
        let b = sorted.partition_point(|p| p.local_date() <= to);
        &sorted[a..b]
    };
    let mut recap = MonthRecap::default();
    let mut days = Vec::with_capacity(usize::from(days_in_month));
    let Ok(first) = Date::from_calendar_date(input.year, input.month, 1) else { return (days, recap) };
    let mut previous = first.previous_day().map(|d| input.calendar.plan(input.holidays, d));
    for day in 1..=days_in_month {
        let Ok(date) = Date::from_calendar_date(input.year, input.month, day) else { continue };
        let plan = input.calendar.plan(input.holidays, date);
        // A night shift's records run into the next morning.
        let last = if plan.is_night() { date.next_day().unwrap_or(date) } else { date };
        let result = evaluate_day(
            &DayInput {
                date,
                plan: &plan,
                punches: dates(date, last),
                previous: previous.as_ref(),
                excused: input.excused.get(&date).copied(),
                known: input.known_through.is_some_and(|k| last <= k),
            },
            settings,
        );
        recap.add(&result, plan.hours().is_some());
        days.push(result);
        previous = Some(plan);
    }
    (days, recap)
}

/// One line of the recap per date: an employee's IN, OUT, status and devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRow {
    /// The date.
    pub date: Date,
    /// Local time of the first counting IN.
    pub in_time: Option<Time>,
    /// Device of the first IN.
    pub in_device: Option<String>,
    /// Local time of the last counting OUT.
    pub out_time: Option<Time>,
    /// Device of the last OUT.
    pub out_device: Option<String>,
    /// Status of the day.
    pub status: DayStatus,
    /// "TL3", "PSW1" … labels of the day's bands, empty when none.
    pub bands: Vec<&'static str>,
    /// Minutes late from the scheduled start.
    pub late_minutes: u32,
    /// Minutes of early leave.
    pub early_minutes: u32,
    /// Overtime minutes.
    pub overtime_minutes: u32,
    /// Records awaiting confirmation.
    pub pending: u32,
}

/// The recap-per-date line of a judged day.
pub fn recap_date_row(day: &DayResult) -> DateRow {
    let mut bands = Vec::new();
    if let Some(b) = day.late_band {
        bands.push(b.tl_label());
    }
    if let Some(b) = day.early_band {
        bands.push(b.psw_label());
    }
    DateRow {
        date: day.date,
        in_time: day.first_in.as_ref().map(|p| p.at.time()),
        in_device: day.first_in.as_ref().map(|p| p.device_id.to_string()),
        out_time: day.last_out.as_ref().map(|p| p.at.time()),
        out_device: day.last_out.as_ref().map(|p| p.device_id.to_string()),
        status: day.status,
        bands,
        late_minutes: day.late_minutes,
        early_minutes: day.early_minutes,
        overtime_minutes: day.overtime_minutes,
        pending: day.pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::{Decision, Direction, Mode};
    use crate::schedule::{DayException, WeeklySchedule, WorkHours};
    use time::macros::{date, offset, time};

    fn punch(date: Date, t: Time, direction: Direction, decision: Decision) -> Punch {
        Punch {
            record_id: 1,
            direction,
            at: date.with_time(t).assume_offset(offset!(+7)),
            mode: Mode::Office,
            decision,
            device_id: "K-01".into(),
        }
    }

    /// March 2026: 22 weekdays; the 19th is a holiday (Nyepi), the 20th a section day off.
    fn setup() -> (SectionCalendar, Holidays) {
        let hours = WorkHours::new(time!(08:00), time!(16:00)).unwrap();
        let mut cal = SectionCalendar::new(WeeklySchedule::weekdays(hours));
        cal.exceptions.insert(date!(2026 - 03 - 20), DayException::Off("Kerja bakti".into()));
        let mut h = Holidays::new();
        h.insert(date!(2026 - 03 - 19), "Nyepi");
        (cal, h)
    }

    /// March 2026 recapped, the devices known through `known_through`.
    fn recap_march(
        cal: &SectionCalendar,
        holidays: &Holidays,
        punches: &[Punch],
        excused: &BTreeMap<Date, Excused>,
        known_through: Date,
        settings: &RuleSettings,
    ) -> (Vec<DayResult>, MonthRecap) {
        let input = MonthInput { year: 2026, month: Month::March, calendar: cal, holidays, punches, excused, known_through: Some(known_through) };
        recap_month(&input, settings)
    }

    #[test]
    fn a_month_counted() {
        let (cal, holidays) = setup();
        let v = Decision::Valid;
        let mut punches = Vec::new();
        // Mon 2 – Fri 6: on time every day.
        for d in 2..=6 {
            let date = Date::from_calendar_date(2026, Month::March, d).unwrap();
            punches.push(punch(date, time!(07:50), Direction::In, v));
            punches.push(punch(date, time!(16:05), Direction::Out, v));
        }
        // Mon 9: 70 minutes late (TL3), stays until 19:30 (30 min overtime).
        punches.push(punch(date!(2026 - 03 - 09), time!(09:10), Direction::In, v));
        punches.push(punch(date!(2026 - 03 - 09), time!(19:30), Direction::Out, v));
        // Tue 10: 25 minutes late, within the tolerance; leaves 40 minutes early (PSW2).
        punches.push(punch(date!(2026 - 03 - 10), time!(08:25), Direction::In, v));
        punches.push(punch(date!(2026 - 03 - 10), time!(15:20), Direction::Out, v));
        // Wed 11: IN but no OUT (PSW4, missing OUT).
        punches.push(punch(date!(2026 - 03 - 11), time!(08:00), Direction::In, v));
        // Thu 12: only a pending IN.
        punches.push(punch(date!(2026 - 03 - 12), time!(08:00), Direction::In, Decision::Pending));
        // Fri 13: absent (no records). Mon 16–Wed 18: sick. Tue 24: travel.
        // Thu 19 holiday, Fri 20 day off: a record on the holiday.
        punches.push(punch(date!(2026 - 03 - 19), time!(09:00), Direction::In, v));
        // Records of another month are ignored.
        punches.push(punch(date!(2026 - 04 - 01), time!(09:00), Direction::In, v));
        let mut excused = BTreeMap::new();
        for d in 16..=18 {
            excused.insert(Date::from_calendar_date(2026, Month::March, d).unwrap(), Excused::Sakit);
        }
        excused.insert(date!(2026 - 03 - 24), Excused::DinasLuar);
        // Devices synced up to the 24th: 25th onwards not yet known.
        let (days, r) = recap_march(&cal, &holidays, &punches, &excused, date!(2026 - 03 - 24), &RuleSettings::default());
        assert_eq!(days.len(), 31);
        // 22 weekdays minus the holiday and the day off.
        assert_eq!(r.days_scheduled, 20);
        assert_eq!(r.days_present, 8, "2–6, 9, 10, 11");
        assert_eq!(r.days_worked_off, 1);
        assert_eq!(r.late_count, [0, 0, 1, 0]);
        assert_eq!(r.late_minutes, [0, 0, 70, 0]);
        // One figure, one meaning: the month's minutes late are the per-date page's, summed
        // (70 + 25); only the 10 past the 60-minute tolerance are over it.
        assert_eq!((r.late_minutes_total, r.late_minutes_over_tolerance), (95, 10));
        assert_eq!(days.iter().map(|d| d.late_minutes).sum::<u32>(), r.late_minutes_total);
        assert_eq!(r.early_count, [0, 1, 0, 1]);
        assert_eq!(r.early_minutes, [0, 40, 0, 0]);
        assert_eq!(r.missing_out, 1);
        assert_eq!(r.overtime_minutes, 30);
        assert_eq!(r.pending, 1);
        // Absent: 13th and the 23rd (Mon, known, no records).
        assert_eq!(r.absent, 2);
        assert_eq!(r.sakit, 3);
        assert_eq!(r.travel, 1);
        // 25, 26, 27, 30, 31 are working days not yet known.
        assert_eq!(r.not_yet_known, 5);
        // TL3 125 + PSW2 100 + PSW4 150 + 2 × TK 300.
        assert_eq!(r.deduction_bp, 125 + 100 + 150 + 600);
        assert_eq!(r.late_days(), 1);
        assert_eq!(r.early_days(), 2);
    }

    /// Leave for the second half of the month (cuti from Mon 16 to Tue 31), working in the
    /// first: the excused days are neither absent nor deducted, and a record on a leave day
    /// neither counts as presence nor as lateness.
    #[test]
    fn an_excused_half_month() {
        let (cal, holidays) = setup();
        let v = Decision::Valid;
        let mut punches = Vec::new();
        // Mon 2 – Fri 13: present, the 9th 70 minutes late (TL3); Thu 12 absent.
        for d in [2, 3, 4, 5, 6, 9, 10, 11, 13] {
            let date = Date::from_calendar_date(2026, Month::March, d).unwrap();
            punches.push(punch(date, if d == 9 { time!(09:10) } else { time!(07:55) }, Direction::In, v));
            punches.push(punch(date, time!(16:00), Direction::Out, v));
        }
        // On leave, yet a late IN on Tue 17 (came in for an hour): not a late day.
        punches.push(punch(date!(2026 - 03 - 17), time!(10:00), Direction::In, v));
        let excused: BTreeMap<Date, Excused> =
            (16..=31).map(|d| (Date::from_calendar_date(2026, Month::March, d).unwrap(), Excused::Cuti)).collect();
        let (days, r) = recap_march(&cal, &holidays, &punches, &excused, date!(2026 - 03 - 31), &RuleSettings::default());
        assert_eq!(r.days_scheduled, 20);
        assert_eq!(r.days_present, 9);
        // Weekdays 16–31 less the holiday (19th) and the day off (20th): 10 days of leave.
        assert_eq!(r.cuti, 10);
        assert_eq!(r.absent, 1, "only the 12th");
        assert_eq!((r.late_count, r.late_minutes_total), ([0, 0, 1, 0], 70));
        assert_eq!(r.not_yet_known, 0);
        assert_eq!(r.deduction_bp, 125 + 300, "TL3 and one absence; nothing for the leave");
        let leave_day = days.iter().find(|d| d.date == date!(2026 - 03 - 17)).unwrap();
        assert_eq!((leave_day.late_band, leave_day.deduction_bp), (None, 0));
    }

    #[test]
    fn monthly_deduction_is_capped_at_100_percent() {
        let (cal, holidays) = setup();
        let s = RuleSettings { absent_bp: 10_000, daily_cap_bp: 10_000, ..RuleSettings::default() };
        let (_, r) = recap_march(&cal, &holidays, &[], &BTreeMap::new(), date!(2026 - 03 - 31), &s);
        assert_eq!(r.absent, 20);
        assert_eq!(r.deduction_bp, 10_000);
    }

    #[test]
    fn date_rows() {
        let (cal, holidays) = setup();
        let d = date!(2026 - 03 - 09);
        let punches = [
            punch(d, time!(09:10), Direction::In, Decision::Valid),
            punch(d, time!(15:00), Direction::Out, Decision::Valid),
        ];
        let plan = cal.plan(&holidays, d);
        let day = evaluate_day(
            &DayInput { date: d, plan: &plan, punches: &punches, previous: None, excused: None, known: true },
            &RuleSettings::default(),
        );
        let row = recap_date_row(&day);
        assert_eq!(row.in_time, Some(time!(09:10)));
        assert_eq!(row.out_time, Some(time!(15:00)));
        assert_eq!(row.in_device.as_deref(), Some("K-01"));
        assert_eq!(row.status, DayStatus::Present);
        assert_eq!(row.bands, vec!["TL3", "PSW2"]);
        assert_eq!((row.late_minutes, row.early_minutes), (70, 60));
    }
}
