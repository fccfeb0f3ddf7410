//! One employee's day: first IN / last OUT, lateness, early leave, overtime, status, deduction.
//!
//! Only records whose decision is valid or confirmed count. Records awaiting confirmation are
//! counted and shown as pending; they never make a day present, late or early until a supervisor
//! confirms them. Rejected records are ignored.
//!
//! Lateness is always measured in minutes from the scheduled start; the tolerance of the first
//! IN's mode (office 60, field 0 by default) decides only whether the day is *marked* late and
//! so gets a TL band. Early leave (PSW) has no tolerance. Overtime counts only from
//! `overtime_after_min` after the scheduled end, never from early arrival.
//!
//! Whatever depends on a record being absent (absent, no IN → TL4, no OUT → PSW4, missing OUT)
//! is decided only once the day is *known*: every device of the employee's site has synced past
//! it (see [`super::watermark`]). Before that the day is provisional.

use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::schedule::{DayPlan, WorkHours};
use super::settings::{Band, RuleSettings};

/// IN (MASUK) or OUT (PULANG), and the device's mode: the protocol's own types, so a record
/// and the rules never translate between two copies.
pub use hadir_protocol::{Direction, Mode};

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Face match of 80 % or more.
    Valid,
    /// Needed confirmation and a supervisor confirmed it.
    Confirmed,
    /// Needs a supervisor's confirmation (menunggu konfirmasi).
    Pending,
    /// A supervisor rejected it (ditolak).
    Rejected,
}

impl Decision {
    /// Valid or confirmed: the record counts.
    pub fn counts(self) -> bool {
        matches!(self, Decision::Valid | Decision::Confirmed)
    }
}

/// Leave or official travel entered by an admin for a whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Excused {
    /// Annual leave.
    Cuti,
    /// Sick.
    Sakit,
    /// Permitted absence.
    Izin,
    /// Official duty away from the office.
    DinasLuar,
}

impl Excused {
    /// All kinds, in the order forms list them.
    pub const ALL: [Excused; 4] = [Excused::Cuti, Excused::Sakit, Excused::Izin, Excused::DinasLuar];

    /// As stored and sent: `cuti`, `sakit`, `izin`, `dinas_luar`.
    pub fn as_str(self) -> &'static str {
        match self {
            Excused::Cuti => "cuti",
            Excused::Sakit => "sakit",
            Excused::Izin => "izin",
            Excused::DinasLuar => "dinas_luar",
        }
    }

    /// The kind named by [`Excused::as_str`].
    pub fn parse(text: &str) -> Option<Excused> {
        Excused::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// One attendance record as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Punch {
    /// The record's id in the store, to link to its evidence.
    pub record_id: i64,
    /// IN or OUT.
    pub direction: Direction,
    /// When, at the device's UTC offset (so `.date()` and `.time()` are local).
    pub at: OffsetDateTime,
    /// The device's mode.
    pub mode: Mode,
    /// Valid, confirmed, pending or rejected.
    pub decision: Decision,
    /// The device that made it (shared: a month of records names few devices).
    pub device_id: std::sync::Arc<str>,
}

impl Punch {
    /// The local date the record belongs to.
    pub fn local_date(&self) -> Date {
        self.at.date()
    }
}

/// What the rules need to judge one day of one employee.
#[derive(Debug, Clone)]
pub struct DayInput<'a> {
    /// The date.
    pub date: Date,
    /// Working day, holiday or day off.
    pub plan: &'a DayPlan,
    /// The employee's records around `date`, in any order: those outside the day's window
    /// ([`DayPlan::window`]) are ignored.
    pub punches: &'a [Punch],
    /// The day before's plan (a night shift then takes this morning's records); `None` when
    /// unknown, as for the first day of a report.
    pub previous: Option<&'a DayPlan>,
    /// Leave or travel entered by an admin.
    pub excused: Option<Excused>,
    /// Every device of the employee's site has synced past this day.
    pub known: bool,
}

/// What a day was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayStatus {
    /// Present (at least one counting record on a working day).
    Present,
    /// Absent without reason (TK); only once the day is known.
    Absent,
    /// Leave entered by an admin (cuti, sakit, izin).
    Leave(Excused),
    /// Official travel (dinas luar).
    Travel,
    /// Public holiday without records.
    Holiday,
    /// Weekend or section day off without records.
    DayOff,
    /// Counting records on a holiday or day off.
    WorkedDayOff,
    /// Only records awaiting confirmation so far.
    AwaitingConfirmation,
    /// No counting record yet, and a device of the site has not synced past the day.
    NotYetKnown,
}

/// The judgement of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayResult {
    /// The date.
    pub date: Date,
    /// What the day was.
    pub status: DayStatus,
    /// First counting IN.
    pub first_in: Option<Punch>,
    /// Last counting OUT (not before the first IN).
    pub last_out: Option<Punch>,
    /// Records awaiting confirmation that day.
    pub pending: u32,
    /// Minutes after the scheduled start of the first IN (0 when on time or no IN).
    pub late_minutes: u32,
    /// The TL band when the day is marked late (past tolerance, or no IN on a known day).
    pub late_band: Option<Band>,
    /// Of `late_minutes`, those past the mode's tolerance (0 unless the IN is marked late).
    pub late_over_tolerance: u32,
    /// Minutes before the scheduled end of the last OUT.
    pub early_minutes: u32,
    /// The PSW band when leaving early (or no OUT on a known day).
    pub early_band: Option<Band>,
    /// Minutes of overtime (after the overtime threshold past the scheduled end).
    pub overtime_minutes: u32,
    /// Present with an IN but no OUT, on a known day with no pending OUT.
    pub missing_out: bool,
    /// Everything is decided: the day is known and nothing awaits confirmation.
    pub is_final: bool,
    /// Allowance deduction for the day, basis points, capped at the daily cap.
    pub deduction_bp: u32,
}

/// How an IN at a local time of day stands against the scheduled start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Arrival {
    /// Whole minutes after the scheduled start (0 when on time or early).
    pub late_minutes: u32,
    /// The TL band when the day is marked late: the minutes are over the mode's tolerance.
    pub late_band: Option<Band>,
}

impl Arrival {
    /// Whether the day is marked late.
    pub fn marked_late(&self) -> bool {
        self.late_band.is_some()
    }
}

/// The lateness of an IN made at local time `at` for the shift of `date` with `hours`: minutes
/// are always counted from the scheduled start, the mode's tolerance decides only the late
/// mark. The kiosk's result screen and the server's day both call this, so they cannot disagree.
pub fn arrival(hours: WorkHours, date: Date, at: PrimitiveDateTime, mode: Mode, settings: &RuleSettings) -> Arrival {
    let late_minutes = minutes_between(hours.start_on(date), at);
    let late_band = if late_minutes > settings.tolerance(mode) { Band::of_minutes(late_minutes) } else { None };
    Arrival { late_minutes, late_band }
}

/// Whole minutes from `from` to `to`, rounded down; 0 when `to` is not later.
fn minutes_between(from: PrimitiveDateTime, to: PrimitiveDateTime) -> u32 {
    let secs = (to - from).whole_seconds();
    if secs <= 0 { 0 } else { u32::try_from(secs / 60).unwrap_or(u32::MAX) }
}

/// Judges one day of one employee.
pub fn evaluate_day(input: &DayInput<'_>, settings: &RuleSettings) -> DayResult {
    let mut first_in: Option<&Punch> = None;
    let mut last_out: Option<&Punch> = None;
    let mut pending = 0u32;
    let mut pending_out = false;
    let (from, to) = input.plan.window(input.date, input.previous);
    let local = |p: &Punch| PrimitiveDateTime::new(p.at.date(), p.at.time());
    for p in input.punches.iter().filter(|p| (from..to).contains(&local(p))) {
        if p.decision == Decision::Pending {
            pending += 1;
            pending_out |= p.direction == Direction::Out;
            continue;
        }
        if !p.decision.counts() {
            continue;
        }
        match p.direction {
            Direction::In => {
                if first_in.is_none_or(|f| p.at < f.at) {
                    first_in = Some(p);
                }
            }
            Direction::Out => {
                if last_out.is_none_or(|l| p.at > l.at) {
                    last_out = Some(p);
                }
            }
        }
    }
    // An OUT before the first IN cannot close the day.
    if let (Some(i), Some(o)) = (first_in, last_out)
        && o.at < i.at
    {
        last_out = None;
    }
    let any_counting = first_in.is_some() || last_out.is_some();

    let mut r = DayResult {
        date: input.date,
        status: DayStatus::NotYetKnown,
        first_in: first_in.cloned(),
        last_out: last_out.cloned(),
        pending,
        late_minutes: 0,
        late_band: None,
        late_over_tolerance: 0,
        early_minutes: 0,
        early_band: None,
        overtime_minutes: 0,
        missing_out: false,
        is_final: input.known && pending == 0,
        deduction_bp: 0,
    };

    // Admin entries win: a working day excused is excused whatever was recorded. Leave is
    // counted in working days: on a holiday or a day off inside a leave range the plan stands
    // (two weeks of cuti are ten days of leave, not fourteen).
    if let Some(ex) = input.excused.filter(|_| input.plan.hours().is_some()) {
        r.status = if ex == Excused::DinasLuar { DayStatus::Travel } else { DayStatus::Leave(ex) };
        r.is_final = true;
        return r;
    }

    let Some(hours) = input.plan.hours() else {
        r.status = if any_counting {
            DayStatus::WorkedDayOff
        } else {
            match input.plan {
                DayPlan::Holiday(_) => DayStatus::Holiday,
                _ => DayStatus::DayOff,
            }
        };
        // Nothing to deduct or measure on a day without work; pending records still show.
        return r;
    };

    if !any_counting {
        r.status = if pending > 0 {
            DayStatus::AwaitingConfirmation
        } else if input.known {
            DayStatus::Absent
        } else {
            DayStatus::NotYetKnown
        };
        if r.status == DayStatus::Absent {
            r.deduction_bp = settings.absent_bp.min(settings.daily_cap_bp);
        }
        return r;
    }
    r.status = DayStatus::Present;

    match first_in {
        Some(i) => {
            let a = arrival(hours, input.date, local(i), i.mode, settings);
            r.late_minutes = a.late_minutes;
            r.late_band = a.late_band;
            if a.marked_late() {
                r.late_over_tolerance = a.late_minutes.saturating_sub(settings.tolerance(i.mode));
            }
        }
        None if r.is_final => r.late_band = Some(Band::B4),
        None => {}
    }

    match last_out {
        Some(o) => {
            let end = hours.end_on(input.date);
            r.early_minutes = minutes_between(local(o), end);
            r.early_band = Band::of_minutes(r.early_minutes);
            // Whole minutes on both sides, as the schedule is written: an OUT at 19:01:30
            // after a 16:00 end is one minute of overtime past the 180-minute threshold.
            let threshold = end + time::Duration::minutes(i64::from(settings.overtime_after_min));
            let out = local(o).replace_second(0).unwrap_or(local(o)).replace_nanosecond(0).unwrap_or(local(o));
            r.overtime_minutes = minutes_between(threshold, out);
        }
        None if input.known && !pending_out => {
            r.missing_out = first_in.is_some();
            r.early_band = Some(Band::B4);
        }
        None => {}
    }

    let late = r.late_band.map_or(0, |b| settings.late_bp[b.index()]);
    let early = r.early_band.map_or(0, |b| settings.early_bp[b.index()]);
    r.deduction_bp = (late + early).min(settings.daily_cap_bp);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
        use time::Time;
    use time::macros::{date, datetime, offset, time};

    const D: Date = date!(2026 - 03 - 02); // a Monday

    fn plan() -> DayPlan {
        DayPlan::Work(WorkHours::new(time!(08:00), time!(16:00)).unwrap())
    }

    fn p(direction: Direction, at: OffsetDateTime, mode: Mode, decision: Decision) -> Punch {
        Punch { record_id: 0, direction, at, mode, decision, device_id: "K-01".into() }
    }
    fn inn(t: Time) -> Punch {
        p(Direction::In, D.with_time(t).assume_offset(offset!(+7)), Mode::Office, Decision::Valid)
    }
    fn out(t: Time) -> Punch {
        p(Direction::Out, D.with_time(t).assume_offset(offset!(+7)), Mode::Office, Decision::Valid)
    }
    fn field_in(t: Time) -> Punch {
        Punch { mode: Mode::Field, ..inn(t) }
    }
    fn pending(mut x: Punch) -> Punch {
        x.decision = Decision::Pending;
        x
    }

    fn run(punches: &[Punch], known: bool) -> DayResult {
        let plan = plan();
        evaluate_day(
            &DayInput { date: D, plan: &plan, punches, previous: None, excused: None, known },
            &RuleSettings::default(),
        )
    }

    /// (name, punches, known, status, late min, TL, early min, PSW, overtime, missing OUT, deduction bp)
    #[test]
    fn day_table() {
        use Band::*;
        use DayStatus::*;
        type Case = (
            &'static str,
            Vec<Punch>,
            bool,
            DayStatus,
            u32,
            Option<Band>,
            u32,
            Option<Band>,
            u32,
            bool,
            u32,
        );
        let cases: Vec<Case> = vec![
            ("on time", vec![inn(time!(07:45)), out(time!(16:05))], true, Present, 0, None, 0, None, 0, false, 0),
            ("office exactly at tolerance (60)", vec![inn(time!(09:00)), out(time!(16:00))], true, Present, 60, None, 0, None, 0, false, 0),
            ("office 59 s past tolerance rounds down", vec![inn(time!(09:00:59)), out(time!(16:00))], true, Present, 60, None, 0, None, 0, false, 0),
            ("office one minute past tolerance", vec![inn(time!(09:01)), out(time!(16:00))], true, Present, 61, Some(B3), 0, None, 0, false, 125),
            ("office 91 min late", vec![inn(time!(09:31)), out(time!(16:00))], true, Present, 91, Some(B4), 0, None, 0, false, 150),
            ("field exactly at start", vec![field_in(time!(08:00)), out(time!(16:00))], true, Present, 0, None, 0, None, 0, false, 0),
            ("field one minute late", vec![field_in(time!(08:01)), out(time!(16:00))], true, Present, 1, Some(B1), 0, None, 0, false, 50),
            ("field 31 min late", vec![field_in(time!(08:31)), out(time!(16:00))], true, Present, 31, Some(B2), 0, None, 0, false, 100),
            ("earliest IN counts", vec![inn(time!(09:30)), inn(time!(07:50)), out(time!(16:00))], true, Present, 0, None, 0, None, 0, false, 0),
            ("leaves 30 min early", vec![inn(time!(08:00)), out(time!(15:30))], true, Present, 0, None, 30, Some(B1), 0, false, 50),
            ("leaves 61 min early", vec![inn(time!(08:00)), out(time!(14:59))], true, Present, 0, None, 61, Some(B3), 0, false, 125),
            ("last OUT counts", vec![inn(time!(08:00)), out(time!(12:00)), out(time!(16:10))], true, Present, 0, None, 0, None, 0, false, 0),
            ("overtime exactly at 180 min", vec![inn(time!(08:00)), out(time!(19:00))], true, Present, 0, None, 0, None, 0, false, 0),
            ("overtime 181 min after end", vec![inn(time!(08:00)), out(time!(19:01))], true, Present, 0, None, 0, None, 1, false, 0),
            ("overtime 5 h after end", vec![inn(time!(08:00)), out(time!(21:00))], true, Present, 0, None, 0, None, 120, false, 0),
            ("early arrival is not overtime", vec![inn(time!(05:00)), out(time!(16:00))], true, Present, 0, None, 0, None, 0, false, 0),
            ("missing OUT on a known day", vec![inn(time!(08:00))], true, Present, 0, None, 0, Some(B4), 0, true, 150),
            ("missing OUT while a device has not synced", vec![inn(time!(08:00))], false, Present, 0, None, 0, None, 0, false, 0),
            ("no IN on a known day: TL4", vec![out(time!(16:00))], true, Present, 0, Some(B4), 0, None, 0, false, 150),
            ("no IN, device not synced", vec![out(time!(16:00))], false, Present, 0, None, 0, None, 0, false, 0),
            ("late and early hit the daily cap", vec![inn(time!(10:00)), out(time!(13:00))], true, Present, 120, Some(B4), 180, Some(B4), 0, false, 300),
            ("absent on a known day", vec![], true, Absent, 0, None, 0, None, 0, false, 300),
            ("device not synced: not yet known", vec![], false, NotYetKnown, 0, None, 0, None, 0, false, 0),
            ("only pending records", vec![pending(inn(time!(08:00)))], true, AwaitingConfirmation, 0, None, 0, None, 0, false, 0),
            ("pending OUT is not a missing OUT", vec![inn(time!(08:00)), pending(out(time!(16:00)))], true, Present, 0, None, 0, None, 0, false, 0),
            ("pending IN does not make on time", vec![pending(inn(time!(07:50))), inn(time!(09:10)), out(time!(16:00))], true, Present, 70, Some(B3), 0, None, 0, false, 125),
            ("rejected records are ignored", vec![Punch { decision: Decision::Rejected, ..inn(time!(07:00)) }], true, Absent, 0, None, 0, None, 0, false, 300),
            ("confirmed records count", vec![Punch { decision: Decision::Confirmed, ..inn(time!(08:00)) }, out(time!(16:00))], true, Present, 0, None, 0, None, 0, false, 0),
            ("OUT before IN does not close the day", vec![out(time!(07:00)), inn(time!(08:00))], true, Present, 0, None, 0, Some(B4), 0, true, 150),
        ];
        for (name, punches, known, status, late, tl, early, psw, ot, missing, bp) in cases {
            let r = run(&punches, known);
            assert_eq!(r.status, status, "{name}: status");
            assert_eq!(r.late_minutes, late, "{name}: late minutes");
            assert_eq!(r.late_band, tl, "{name}: TL band");
            assert_eq!(r.early_minutes, early, "{name}: early minutes");
            assert_eq!(r.early_band, psw, "{name}: PSW band");
            assert_eq!(r.overtime_minutes, ot, "{name}: overtime");
            assert_eq!(r.missing_out, missing, "{name}: missing OUT");
            assert_eq!(r.deduction_bp, bp, "{name}: deduction");
        }
    }

    #[test]
    fn a_day_shift_ends_at_midnight() {
        // A day shift's IN in the morning, OUT after midnight: the OUT is the next date's
        // record (only a night shift takes the next morning). The first day has a missing OUT
        // and no overtime; the next day has an OUT without IN.
        let evening = p(Direction::In, datetime!(2026-03-02 07:55 +7), Mode::Office, Decision::Valid);
        let night = p(Direction::Out, datetime!(2026-03-03 00:30 +7), Mode::Office, Decision::Valid);
        let punches = [evening, night];
        let plan = plan();
        let s = RuleSettings::default();
        let day1 = evaluate_day(&DayInput { date: D, plan: &plan, punches: &punches, previous: None, excused: None, known: true }, &s);
        assert_eq!(day1.status, DayStatus::Present);
        assert!(day1.missing_out);
        assert_eq!(day1.overtime_minutes, 0);
        assert!(day1.last_out.is_none());
        let d2 = date!(2026 - 03 - 03);
        let day2 = evaluate_day(&DayInput { date: d2, plan: &plan, punches: &punches, previous: Some(&plan), excused: None, known: true }, &s);
        assert_eq!(day2.status, DayStatus::Present);
        assert!(day2.first_in.is_none());
        assert_eq!(day2.late_band, Some(Band::B4), "OUT without IN is TL4");
        assert_eq!(day2.early_minutes, 930, "00:30 is 15.5 h before the 08:00–16:00 day's end");
        assert_eq!(day2.early_band, Some(Band::B4));
    }

    /// A guard's 22:00–06:00 shift belongs to the day it starts.
    #[test]
    fn night_shift_table() {
        let night = DayPlan::Work(WorkHours::new(time!(22:00), time!(06:00)).unwrap());
        let s = RuleSettings::default();
        let at = |d: u8, t: Time| Date::from_calendar_date(2026, time::Month::March, d).unwrap().with_time(t).assume_offset(offset!(+8));
        let i = |d, t| p(Direction::In, at(d, t), Mode::Office, Decision::Valid);
        let o = |d, t| p(Direction::Out, at(d, t), Mode::Office, Decision::Valid);
        // (name, punches, late, early, overtime, missing OUT)
        let cases: Vec<(&str, Vec<Punch>, u32, u32, u32, bool)> = vec![
            ("on time, out in the morning", vec![i(2, time!(21:50)), o(3, time!(06:05))], 0, 0, 0, false),
            ("late by 15 minutes", vec![i(2, time!(22:15)), o(3, time!(06:00))], 15, 0, 0, false),
            ("late past midnight", vec![i(3, time!(00:30)), o(3, time!(06:00))], 150, 0, 0, false),
            ("leaves at 05:00", vec![i(2, time!(22:00)), o(3, time!(05:00))], 0, 60, 0, false),
            ("overtime exactly at end + 180", vec![i(2, time!(22:00)), o(3, time!(09:00))], 0, 0, 0, false),
            ("overtime one minute past", vec![i(2, time!(22:00)), o(3, time!(09:01))], 0, 0, 1, false),
            ("the previous night's OUT is not this night's", vec![o(2, time!(06:00)), i(2, time!(22:00))], 0, 0, 0, true),
        ];
        for (name, punches, late, early, ot, missing) in cases {
            let r = evaluate_day(&DayInput { date: D, plan: &night, punches: &punches, previous: Some(&night), excused: None, known: true }, &s);
            assert_eq!(
                (r.status, r.late_minutes, r.early_minutes, r.overtime_minutes, r.missing_out),
                (DayStatus::Present, late, early, ot, missing),
                "{name}"
            );
        }
        // The morning after: a day off that only holds the night's OUT is not worked.
        let off = DayPlan::Off(None);
        let punches = [i(2, time!(22:00)), o(3, time!(06:00))];
        let next = date!(2026 - 03 - 03);
        let r = evaluate_day(&DayInput { date: next, plan: &off, punches: &punches, previous: Some(&night), excused: None, known: true }, &s);
        assert_eq!(r.status, DayStatus::DayOff, "the 06:00 OUT belongs to the night");
    }

    #[test]
    fn local_date_follows_the_device_offset() {
        // 2026-03-02 23:30 UTC is 06:30 on 2026-03-03 in WIB (+7).
        let at = datetime!(2026-03-02 23:30 UTC).to_offset(offset!(+7));
        let x = p(Direction::In, at, Mode::Office, Decision::Valid);
        assert_eq!(x.local_date(), date!(2026 - 03 - 03));
        assert_eq!(x.at.time(), time!(06:30));
    }

    #[test]
    fn holidays_days_off_and_excused_days() {
        let s = RuleSettings::default();
        let holiday = DayPlan::Holiday("Nyepi".into());
        let off = DayPlan::Off(None);
        let work = plan();
        let worked = [inn(time!(08:00)), out(time!(12:00))];
        let cases: Vec<(&str, &DayPlan, &[Punch], Option<Excused>, bool, DayStatus, u32)> = vec![
            ("holiday without records", &holiday, &[], None, true, DayStatus::Holiday, 0),
            ("holiday not yet synced is still a holiday", &holiday, &[], None, false, DayStatus::Holiday, 0),
            ("weekend", &off, &[], None, true, DayStatus::DayOff, 0),
            ("worked on a holiday", &holiday, &worked, None, true, DayStatus::WorkedDayOff, 0),
            ("sick", &work, &[], Some(Excused::Sakit), true, DayStatus::Leave(Excused::Sakit), 0),
            ("leave before sync", &work, &[], Some(Excused::Cuti), false, DayStatus::Leave(Excused::Cuti), 0),
            ("travel with a record", &work, &worked, Some(Excused::DinasLuar), true, DayStatus::Travel, 0),
            ("izin", &work, &[], Some(Excused::Izin), true, DayStatus::Leave(Excused::Izin), 0),
            ("a weekend inside a leave range is a weekend", &off, &[], Some(Excused::Cuti), true, DayStatus::DayOff, 0),
            ("a holiday inside sick leave is a holiday", &holiday, &[], Some(Excused::Sakit), true, DayStatus::Holiday, 0),
        ];
        for (name, plan, punches, excused, known, status, bp) in cases {
            let r = evaluate_day(&DayInput { date: D, plan, punches, previous: None, excused, known }, &s);
            assert_eq!(r.status, status, "{name}");
            assert_eq!(r.deduction_bp, bp, "{name}");
            assert_eq!(r.late_band, None, "{name}");
        }
    }

    #[test]
    fn settings_change_tolerance_and_overtime() {
        let s = RuleSettings { tolerance_office_min: 15, overtime_after_min: 60, ..RuleSettings::default() };
        let plan = plan();
        let punches = [inn(time!(08:16)), out(time!(17:30))];
        let r = evaluate_day(&DayInput { date: D, plan: &plan, punches: &punches, previous: None, excused: None, known: true }, &s);
        assert_eq!(r.late_band, Some(Band::B1));
        assert_eq!(r.overtime_minutes, 30);
    }
}
