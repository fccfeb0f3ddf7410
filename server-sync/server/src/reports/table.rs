//! The recap tables: headers and typed cells in the reader's language.

use time::{Date, Month};

use crate::dashboard::i18n::{Lang, tr};
use hadir_rules::{DateRow, DayPlan, DayResult, MonthRecap, recap_date_row};

/// Who a recap row is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeInfo {
    /// Employee id (NIP).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Section id.
    pub section: String,
    /// Section name as shown.
    pub section_name: String,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number shown with the given decimals.
    Num(f64, u8),
}

impl Cell {
    /// The cell as text (CSV and PDF).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(x, d) => format!("{x:.prec$}", prec = usize::from(*d)),
        }
    }
}

/// A titled table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Title (also the sheet's first line).
    pub title: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Rows of cells, as many as headers.
    pub rows: Vec<Vec<Cell>>,
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}
fn n(x: u32) -> Cell {
    Cell::Int(i64::from(x))
}

/// The monthly recap per employee.
/// `changed`: per employee, the changes made after the month was closed (flagged in the last
/// column).
pub fn month_table(lang: Lang, year: i32, month: Month, rows: &[(EmployeeInfo, MonthRecap)], changed: &std::collections::HashMap<String, i64>) -> Table {
    let headers = vec![
        lang.tr("No"),
        lang.tr("Employee ID"),
        lang.tr("Name"),
        lang.tr("Section"),
        lang.tr("Working days"),
        lang.tr("Present"),
        "TL1",
        "TL2",
        "TL3",
        "TL4",
        lang.tr("Minutes late"),
        lang.tr("Minutes past tolerance"),
        "PSW1",
        "PSW2",
        "PSW3",
        "PSW4",
        lang.tr("Minutes left early"),
        lang.tr("Missing OUT"),
        lang.tr_in("report column", "Absent"),
        lang.tr("Leave"),
        lang.tr("Sick"),
        lang.tr("Permitted"),
        lang.tr("Travel"),
        lang.tr("Overtime (hours)"),
        lang.tr("Awaiting confirmation"),
        lang.tr("Not yet known"),
        lang.tr("Allowance deduction (%)"),
        lang.tr("Changed after closing"),
    ];
    let body = rows
        .iter()
        .enumerate()
        .map(|(i, (e, r))| {
            let mut row = vec![
                Cell::Int(i as i64 + 1),
                t(&e.id),
                t(&e.name),
                t(&e.section_name),
                n(r.days_scheduled),
                n(r.days_present),
            ];
            row.extend(r.late_count.iter().map(|c| n(*c)));
            row.push(n(r.late_minutes_total));
            row.push(n(r.late_minutes_over_tolerance));
            row.extend(r.early_count.iter().map(|c| n(*c)));
            row.push(n(r.early_minutes.iter().sum()));
            row.extend([
                n(r.missing_out),
                n(r.absent),
                n(r.cuti),
                n(r.sakit),
                n(r.izin),
                n(r.travel),
                Cell::Num(f64::from(r.overtime_minutes) / 60.0, 1),
                n(r.pending),
                n(r.not_yet_known),
                Cell::Num(f64::from(r.deduction_bp) / 100.0, 2),
                n(u32::try_from(changed.get(&e.id).copied().unwrap_or(0)).unwrap_or(u32::MAX)),
            ]);
            row
        })
        .collect();
    Table {
        title: format!(
            "{} {} {year}",
            lang.tr("Attendance recap"),
            lang.month(month)
        ),
        headers,
        rows: body,
    }
}

/// What a day's plan was, as the recap prints it: the hours, or the holiday or day off.
pub fn plan_label(lang: Lang, plan: &DayPlan) -> String {
    match plan {
        DayPlan::Work(h) => h.to_string(),
        DayPlan::Holiday(name) => format!("{}: {name}", lang.tr_in("report column", "Holiday")),
        DayPlan::Off(Some(reason)) => format!("{}: {reason}", lang.tr("Day off")),
        DayPlan::Off(None) => lang.tr("Day off").to_owned(),
    }
}

/// One employee's month, day by day: the schedule that applied, the records, lateness, early
/// leave, overtime, the day's status and deduction, and a last row of totals.
pub fn employee_month_table(lang: Lang, e: &EmployeeInfo, year: i32, month: Month, days: &[(DayPlan, DayResult)], recap: &MonthRecap) -> Table {
    let mut headers = vec![lang.tr("Date"), lang.tr("Day"), lang.tr("Schedule")];
    headers.extend(day_headers(lang));
    headers.push(lang.tr("Allowance deduction (%)"));
    let mut rows: Vec<Vec<Cell>> = days
        .iter()
        .map(|(plan, day)| {
            let mut row = vec![t(crate::storage::calendar::date_str(day.date)), t(lang.weekday(day.date.weekday())), t(plan_label(lang, plan))];
            row.extend(day_cells(lang, &recap_date_row(day)));
            row.push(Cell::Num(f64::from(day.deduction_bp) / 100.0, 2));
            row
        })
        .collect();
    let blank = || t("");
    rows.push(vec![
        t(lang.tr("Total")),
        blank(),
        t(tr!(lang, "{n} working days", n = recap.days_scheduled)),
        blank(),
        blank(),
        blank(),
        blank(),
        t(tr!(lang, "{present} present, {absent} absent", present = recap.days_present, absent = recap.absent)),
        blank(),
        n(recap.late_minutes_total),
        n(recap.early_minutes.iter().sum()),
        n(recap.overtime_minutes),
        Cell::Num(f64::from(recap.deduction_bp) / 100.0, 2),
    ]);
    Table {
        title: format!(
            "{} {} ({}) — {} {year}",
            lang.tr("Daily recap of"),
            e.name,
            e.id,
            lang.month(month)
        ),
        headers,
        rows,
    }
}

fn hhmm(t: Option<time::Time>) -> Cell {
    match t {
        Some(t) => Cell::Text(format!("{:02}:{:02}", t.hour(), t.minute())),
        None => Cell::Text(String::from("-")),
    }
}

/// The columns of one judged day, shared by the recap per date and an employee's month.
fn day_headers(lang: Lang) -> [&'static str; 9] {
    [
        lang.tr("In"),
        lang.tr("In device"),
        lang.tr("Out"),
        lang.tr("Out device"),
        lang.tr("Status"),
        lang.tr("Bands"),
        lang.tr("Minutes late"),
        lang.tr("Minutes left early"),
        lang.tr("Overtime (minutes)"),
    ]
}

/// One judged day's cells, under [`day_headers`].
fn day_cells(lang: Lang, r: &DateRow) -> [Cell; 9] {
    [
        hhmm(r.in_time),
        t(device_label(lang, r.in_device.as_deref())),
        hhmm(r.out_time),
        t(device_label(lang, r.out_device.as_deref())),
        t(lang.status(r.status)),
        t(r.bands.join(" ")),
        n(r.late_minutes),
        n(r.early_minutes),
        n(r.overtime_minutes),
    ]
}

/// A record's source for the exports: the kiosk's id, "Terminal <serial>" for a ZKTeco
/// terminal's (unsigned) record, "Manual" for an administrator's entry.
fn device_label(lang: Lang, device: Option<&str>) -> String {
    match device {
        None => "-".into(),
        Some(d) if crate::storage::manual::manual_entry_id(d).is_some() => lang.tr_in("report column", "Manual entry").to_owned(),
        Some(d) => match crate::storage::terminals::terminal_serial(d) {
            Some(sn) => format!("{} {sn}", lang.tr("Terminal")),
            None => d.to_owned(),
        },
    }
}

/// The recap per date: every employee's IN, OUT, status and device.
pub fn date_table(lang: Lang, date: Date, rows: &[(EmployeeInfo, DateRow)]) -> Table {
    let mut headers = vec![lang.tr("No"), lang.tr("Employee ID"), lang.tr("Name"), lang.tr("Section")];
    headers.extend(day_headers(lang));
    headers.push(lang.tr("Awaiting confirmation"));
    let body = rows
        .iter()
        .enumerate()
        .map(|(i, (e, r))| {
            let mut row = vec![Cell::Int(i as i64 + 1), t(&e.id), t(&e.name), t(&e.section_name)];
            row.extend(day_cells(lang, r));
            row.push(n(r.pending));
            row
        })
        .collect();
    Table {
        title: format!(
            "{} {:02}-{:02}-{}",
            lang.tr("Recap for"),
            date.day(),
            u8::from(date.month()),
            date.year()
        ),
        headers,
        rows: body,
    }
}
