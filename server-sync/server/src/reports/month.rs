//! Recaps over the store: a month for many employees, one date for many employees, and the
//! lateness per day of a section. The monthly recap page, its exports and the benchmark all go
//! through [`month_recaps`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use time::{Date, Month, OffsetDateTime, UtcOffset};

use super::chart::LateDay;
use super::table::EmployeeInfo;
use crate::storage::calendar::{Section, SiteHolidays};
use crate::storage::employees::Employee;
use crate::storage::{StorageError, Store};
use hadir_rules::{
    DateRow, DayInput, DayPlan, DayResult, MonthRecap, Punch, SectionCalendar, SiteZones, WeeklySchedule, evaluate_day,
    recap_date_row, recap_month, recap::MonthInput,
};

/// Which employees a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everyone (admin).
    All,
    /// Only these sections (a supervisor's, or a filter).
    Sections(Vec<String>),
}

impl Scope {
    /// Whether an employee of `section` is in scope.
    pub fn includes(&self, section: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Sections(s) => section.is_some_and(|x| s.iter().any(|y| y == x)),
        }
    }
}

/// What every report reads besides the records and the sites' watermarks: the whole office's
/// employees, sections, schedules, holidays and rule settings. The report cache keeps one
/// while the store's change counter stands still ([`super::cache`]).
#[derive(Clone)]
pub struct Office {
    /// Every employee.
    pub employees: Vec<Employee>,
    /// Sections by id.
    pub sections: Arc<HashMap<String, Section>>,
    /// Holidays, by site.
    pub holidays: Arc<SiteHolidays>,
    /// Rule settings.
    pub settings: hadir_rules::RuleSettings,
    /// The calendars of employees with schedules of their own, by employee id.
    pub own: Arc<HashMap<String, SectionCalendar>>,
    /// The store's change counter, read before anything else was.
    pub changes: u64,
}

impl Office {
    /// Reads the office from the store.
    pub async fn load(store: &Store) -> Result<Self, StorageError> {
        let changes = store.changes().all();
        let employees = store.employees().await?;
        let sections: HashMap<String, Section> = store.sections().await?.into_iter().map(|s| (s.id.clone(), s)).collect();
        let section_of: HashMap<&str, &str> = employees.iter().filter_map(|e| Some((e.id.as_str(), e.section.as_deref()?))).collect();
        let own = crate::storage::calendar::employee_calendars(&store.employee_schedules().await?, |id| {
            section_of.get(id).and_then(|s| sections.get(*s)).map(|s| s.calendar.clone())
        });
        Ok(Self {
            employees,
            sections: Arc::new(sections),
            holidays: Arc::new(store.site_holidays().await?),
            settings: store.settings().await?,
            own: Arc::new(own),
            changes,
        })
    }

    /// The context of `scope`'s employees in their sites' `zones`, with their known dates.
    pub fn scoped(&self, scope: &Scope, zones: Arc<SiteZones>, known: HashMap<String, Option<Date>>) -> Context {
        Context {
            zones,
            employees: self.employees.iter().filter(|e| scope.includes(e.section.as_deref())).cloned().collect(),
            sections: Arc::clone(&self.sections),
            holidays: Arc::clone(&self.holidays),
            settings: self.settings.clone(),
            known,
            no_section: SectionCalendar::new(WeeklySchedule::new([None; 7])),
            own: Arc::clone(&self.own),
            changes: self.changes,
        }
    }
}

/// Everything the reports need besides the records, for the employees of one scope.
#[derive(Clone)]
pub struct Context {
    /// The sites' zones: every record is judged at the clock of its employee's site, never at
    /// the offset the record claims (a record whose offset disagrees waits for a supervisor,
    /// and once confirmed still counts at the site's time).
    pub zones: Arc<SiteZones>,
    /// Employees in scope.
    pub employees: Vec<Employee>,
    /// Sections by id.
    pub sections: Arc<HashMap<String, Section>>,
    /// Holidays, by site.
    pub holidays: Arc<SiteHolidays>,
    /// Rule settings.
    pub settings: hadir_rules::RuleSettings,
    /// Last known date per site.
    pub known: HashMap<String, Option<Date>>,
    /// The calendar for employees without a section: no working days, so nothing is deducted.
    pub no_section: SectionCalendar,
    /// The calendars of employees with schedules of their own, by employee id.
    pub own: Arc<HashMap<String, SectionCalendar>>,
    /// The store's change counter when the office was read.
    pub changes: u64,
}

impl Context {
    /// Loads the context for `scope` in the sites' zones, straight from the store (the
    /// dashboard goes through [`super::cache::ReportCache::context`]).
    pub async fn load(store: &Store, scope: &Scope, zones: SiteZones) -> Result<Self, StorageError> {
        let office = Office::load(store).await?;
        let known = store.known_through_by_site(&zones).await?;
        Ok(office.scoped(scope, Arc::new(zones), known))
    }

    /// The same context for the employees of `scope` only (a section chosen on a page).
    pub fn narrowed_to(&self, scope: &Scope) -> Context {
        Context {
            zones: Arc::clone(&self.zones),
            employees: self.employees.iter().filter(|e| scope.includes(e.section.as_deref())).cloned().collect(),
            sections: Arc::clone(&self.sections),
            holidays: Arc::clone(&self.holidays),
            settings: self.settings.clone(),
            known: self.known.clone(),
            no_section: self.no_section.clone(),
            own: Arc::clone(&self.own),
            changes: self.changes,
        }
    }

    /// The employee's calendar: their own schedules over their section's.
    pub fn calendar(&self, e: &Employee) -> &SectionCalendar {
        if let Some(own) = self.own.get(&e.id) {
            return own;
        }
        e.section.as_ref().and_then(|s| self.sections.get(s)).map_or(&self.no_section, |s| &s.calendar)
    }

    /// The row header of an employee.
    pub fn info(&self, e: &Employee) -> EmployeeInfo {
        let section_name = e
            .section
            .as_ref()
            .and_then(|s| self.sections.get(s))
            .map_or_else(|| String::from("-"), |s| s.name.clone());
        EmployeeInfo { id: e.id.clone(), name: e.name.clone(), section: e.section.clone().unwrap_or_default(), section_name }
    }

    /// The offset of the employee's site: their records' local times and days.
    pub fn offset_of(&self, e: &Employee) -> UtcOffset {
        self.zones.of(&e.site_id).offset()
    }

    /// The last known date of the employee's site.
    pub fn known_for(&self, e: &Employee) -> Option<Date> {
        self.known.get(&e.site_id).copied().flatten()
    }
}

/// The instants bounding local dates `from..=to` at any Indonesian offset, with margin: records
/// are filtered by their own local date afterwards. The margin also brings the morning after
/// `to` until past noon, which a night shift on `to` needs.
fn bounds(from: Date, to: Date) -> (OffsetDateTime, OffsetDateTime) {
    let start = from.midnight().assume_utc() - time::Duration::hours(14);
    let end = to.next_day().unwrap_or(to).midnight().assume_utc() + time::Duration::hours(14);
    (start, end)
}

/// Up to this many employees the month's records are read per employee (index on employee and
/// time) rather than the whole month by time.
pub const SCOPED_READ_MAX: usize = 2_000;

/// The punches of the context's employees around local dates `from..=to`: a supervisor's few
/// sections are read by employee, a whole department by time.
async fn punches(store: &Store, ctx: &Context, from: Date, to: Date) -> Result<HashMap<String, Vec<Punch>>, StorageError> {
    let (from, to) = bounds(from, to);
    let mut punches = if ctx.employees.len() <= SCOPED_READ_MAX {
        let ids: Vec<&str> = ctx.employees.iter().map(|e| e.id.as_str()).collect();
        store.punches_of(&ids, from, to).await?
    } else {
        store.punches_by_employee(from, to).await?
    };
    for e in &ctx.employees {
        let offset = ctx.offset_of(e);
        for p in punches.get_mut(&e.id).into_iter().flatten() {
            p.at = p.at.to_offset(offset);
        }
    }
    Ok(punches)
}

/// The recap of every employee in the context for a month, with each employee's days.
pub async fn month_recaps(
    store: &Store,
    ctx: &Context,
    year: i32,
    month: Month,
) -> Result<Vec<(EmployeeInfo, Vec<DayResult>, MonthRecap)>, StorageError> {
    let first = Date::from_calendar_date(year, month, 1)
        .map_err(|e| StorageError::Corrupt(format!("report month {year}-{month}: {e}")))?;
    let last = Date::from_calendar_date(year, month, month.length(year))
        .map_err(|e| StorageError::Corrupt(format!("report month {year}-{month}: {e}")))?;
    let mut punches = punches(store, ctx, first, last).await?;
    let excused = store.excused_between(first, last).await?;
    let empty_ex = BTreeMap::new();
    let mut out = Vec::with_capacity(ctx.employees.len());
    for e in &ctx.employees {
        let mut p = punches.remove(&e.id).unwrap_or_default();
        p.sort_by_key(|x| x.at);
        let input = MonthInput {
            year,
            month,
            calendar: ctx.calendar(e),
            holidays: ctx.holidays.of(&e.site_id),
            punches: &p,
            excused: excused.get(&e.id).unwrap_or(&empty_ex),
            known_through: ctx.known_for(e),
        };
        let (days, recap) = recap_month(&input, &ctx.settings);
        out.push((ctx.info(e), days, recap));
    }
    Ok(out)
}

/// One employee's month (when in the context), each day with the plan that applied.
pub async fn employee_month(
    store: &Store,
    ctx: &Context,
    employee_id: &str,
    year: i32,
    month: Month,
) -> Result<Option<(EmployeeInfo, Vec<(DayPlan, DayResult)>, MonthRecap)>, StorageError> {
    let Some(e) = ctx.employees.iter().find(|e| e.id == employee_id) else { return Ok(None) };
    let one = Context { employees: vec![e.clone()], ..ctx.clone() };
    let Some((info, days, recap)) = month_recaps(store, &one, year, month).await?.into_iter().next() else { return Ok(None) };
    let calendar = ctx.calendar(e);
    let holidays = ctx.holidays.of(&e.site_id);
    let planned = days.into_iter().map(|d| (calendar.plan(holidays, d.date), d)).collect();
    Ok(Some((info, planned, recap)))
}

/// Every employee's day on `date`.
pub async fn date_results(store: &Store, ctx: &Context, date: Date) -> Result<Vec<(EmployeeInfo, DayResult)>, StorageError> {
    let punches = punches(store, ctx, date, date).await?;
    let excused = store.excused_between(date, date).await?;
    let none: Vec<Punch> = Vec::new();
    Ok(ctx
        .employees
        .iter()
        .map(|e| {
            let calendar = ctx.calendar(e);
            let holidays = ctx.holidays.of(&e.site_id);
            let plan = calendar.plan(holidays, date);
            // A night shift the day before takes this morning's records.
            let previous = date.previous_day().map(|d| calendar.plan(holidays, d));
            let day = evaluate_day(
                &DayInput {
                    date,
                    plan: &plan,
                    punches: punches.get(&e.id).unwrap_or(&none),
                    previous: previous.as_ref(),
                    excused: excused.get(&e.id).and_then(|m| m.get(&date)).copied(),
                    known: ctx.known_for(e).is_some_and(|k| date <= k),
                },
                &ctx.settings,
            );
            (ctx.info(e), day)
        })
        .collect())
}

/// The recap-per-date rows.
pub async fn date_rows(store: &Store, ctx: &Context, date: Date) -> Result<Vec<(EmployeeInfo, DateRow)>, StorageError> {
    Ok(date_results(store, ctx, date).await?.into_iter().map(|(e, d)| (e, recap_date_row(&d))).collect())
}

/// Late arrivals per day of the month, from judged months.
pub fn late_per_day(months: &[(EmployeeInfo, Vec<DayResult>, MonthRecap)], year: i32, month: Month) -> Vec<LateDay> {
    let mut days: Vec<LateDay> = (1..=month.length(year))
        .filter_map(|d| Date::from_calendar_date(year, month, d).ok())
        .map(|date| LateDay { date, late: 0, minutes: 0 })
        .collect();
    for (_, ds, _) in months {
        for d in ds {
            if d.late_band.is_some() && d.first_in.is_some() {
                let i = usize::from(d.date.day()) - 1;
                days[i].late += 1;
                days[i].minutes += d.late_minutes;
            }
        }
    }
    days
}
