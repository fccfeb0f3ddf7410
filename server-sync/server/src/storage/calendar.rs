//! When people work: sections with their weekly schedules and dated exceptions, and holidays.
//!
//! It owns `dash_sections` (each section's first week), `dash_section_changes` (weeks that
//! take effect from a date), `dash_section_exceptions`, `dash_employee_schedules` (an
//! employee's own week for a range of dates, never two overlapping) and `dash_holidays` (date,
//! name, [`HolidayKind`], sites: space-separated site ids, empty for every site). Hours are
//! stored as
//! `HH:MM-HH:MM` text ([`WorkHours`]'s `Display` and [`WorkHours::parse`]) and dates as
//! `YYYY-MM-DD` ([`date_str`], [`parse_date`]). The rules that use a calendar are
//! `hadir_rules`; nothing here decides lateness.

use super::portable::{Stmt, params};
use super::{Result, StorageError, Store};
use hadir_rules::{DayException, Holidays, SectionCalendar, WeeklySchedule, WorkHours};
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// Adds a holiday or changes the date's name, kind and sites.
const PUT_HOLIDAY: &str = "INSERT INTO dash_holidays (date, name, kind, sites) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (date) DO UPDATE SET name = excluded.name, kind = excluded.kind, sites = excluded.sites";

fn holiday_params(h: &Holiday) -> Vec<super::portable::Val> {
    params![date_str(h.date), h.name.as_str(), h.kind.as_str(), h.sites.join(" ")]
}

/// One holiday: a date off, for every site or the sites named (a regional holiday of a
/// department with offices in two provinces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The date.
    pub date: Date,
    /// Its name, as the decree gives it.
    pub name: String,
    /// National, joint leave or regional.
    pub kind: HolidayKind,
    /// The sites it applies to; empty: every site.
    pub sites: Vec<String>,
}

impl Holiday {
    /// A holiday of every site.
    pub fn everywhere(date: Date, name: impl Into<String>, kind: HolidayKind) -> Holiday {
        Holiday { date, name: name.into(), kind, sites: Vec::new() }
    }
}

/// Each site's holidays: those of every site, and a site's own on top; and the list they were
/// made from (what the month views show, from the same read the recaps judged by).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteHolidays {
    everywhere: Holidays,
    by_site: HashMap<String, Holidays>,
    list: Vec<Holiday>,
}

impl SiteHolidays {
    /// From the holiday list.
    pub fn new(list: Vec<Holiday>) -> SiteHolidays {
        let mut out = SiteHolidays::default();
        for h in list.iter().filter(|h| h.sites.is_empty()) {
            out.everywhere.insert(h.date, h.name.clone());
        }
        for h in list.iter().filter(|h| !h.sites.is_empty()) {
            for site in &h.sites {
                out.by_site.entry(site.clone()).or_insert_with(|| out.everywhere.clone()).insert(h.date, h.name.clone());
            }
        }
        out.list = list;
        out
    }

    /// Every holiday, by date.
    pub fn list(&self) -> &[Holiday] {
        &self.list
    }

    /// The holidays of `site`.
    pub fn of(&self, site: &str) -> &Holidays {
        self.by_site.get(site).unwrap_or(&self.everywhere)
    }
}

/// What a holiday is, as the decree that makes it says. Every kind is a day off for the recap
/// (the rules see only the date); the kind is what the month views and the settings show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HolidayKind {
    /// A national holiday (libur nasional).
    #[default]
    National,
    /// A joint leave day (cuti bersama), decreed beside a national holiday.
    JointLeave,
    /// A regional holiday (libur daerah), e.g. Galungan in Bali by the governor's decree.
    Regional,
}

impl HolidayKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [HolidayKind; 3] = [HolidayKind::National, HolidayKind::JointLeave, HolidayKind::Regional];

    /// As stored and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::National => "national",
            HolidayKind::JointLeave => "joint_leave",
            HolidayKind::Regional => "regional",
        }
    }

    /// The kind a word names, as forms send it or people write it in a holiday file
    /// (`nasional`, `cuti bersama`, `daerah`, or the English words; any case, `_`/`-` for spaces).
    pub fn parse(word: &str) -> Option<HolidayKind> {
        let w = word.trim().to_lowercase().replace(['_', '-'], " ");
        match w.as_str() {
            "national" | "nasional" | "libur nasional" => Some(HolidayKind::National),
            "joint leave" | "cuti bersama" => Some(HolidayKind::JointLeave),
            "regional" | "daerah" | "libur daerah" => Some(HolidayKind::Regional),
            _ => None,
        }
    }
}

/// A section of the department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Short id, e.g. `BM` for Bina Marga.
    pub id: String,
    /// Name shown.
    pub name: String,
    /// The calendar.
    pub calendar: SectionCalendar,
}

/// Date as `YYYY-MM-DD` (as stored).
pub fn date_str(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

fn stored_date(what: &str, d: &str) -> Result<Date> {
    parse_date(d).ok_or_else(|| StorageError::Corrupt(format!("{what}: date {d:?}")))
}

fn stored_hours(what: &str, h: &str) -> Result<WorkHours> {
    WorkHours::parse(h).ok_or_else(|| StorageError::Corrupt(format!("{what}: hours {h:?}")))
}

/// A week stored as seven `HH:MM-HH:MM` columns (Monday first) from `first`.
fn week_of(r: &dyn super::portable::Row, first: usize, what: &str) -> Result<WeeklySchedule> {
    let mut w = [None; 7];
    for (i, day) in w.iter_mut().enumerate() {
        if let Some(h) = r.opt_text(first + i)? {
            *day = Some(stored_hours(what, &h)?);
        }
    }
    Ok(WeeklySchedule::new(w))
}

/// An employee's own week for a range of dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeSchedule {
    /// Its id.
    pub id: i64,
    /// The employee.
    pub employee_id: String,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// The week.
    pub week: WeeklySchedule,
    /// Why (shown).
    pub reason: String,
}

impl EmployeeSchedule {
    /// The section's calendar as it applies to this employee.
    pub fn over(&self, section: &SectionCalendar) -> SectionCalendar {
        section.with_override(self.from, self.to, &self.week)
    }
}

/// The calendar of each employee with schedules of their own: their section's (or `none`)
/// with each of their ranges laid over it.
pub fn employee_calendars(
    schedules: &[EmployeeSchedule],
    section_of: impl Fn(&str) -> Option<SectionCalendar>,
) -> HashMap<String, SectionCalendar> {
    let mut out: HashMap<String, SectionCalendar> = HashMap::new();
    for s in schedules {
        let base = match out.remove(&s.employee_id) {
            Some(c) => c,
            None => section_of(&s.employee_id).unwrap_or_else(|| SectionCalendar::new(WeeklySchedule::new([None; 7]))),
        };
        out.insert(s.employee_id.clone(), s.over(&base));
    }
    out
}

impl Store {
    /// Every employee's own schedules, by first day.
    pub async fn employee_schedules(&self) -> Result<Vec<EmployeeSchedule>> {
        self.query_rows(
            "read employees' schedules",
            "SELECT id, employee_id, from_date, to_date, mon, tue, wed, thu, fri, sat, sun, reason FROM dash_employee_schedules ORDER BY employee_id, from_date",
            params![],
            |r| {
                let id = r.i64(0)?;
                let what = format!("dash_employee_schedules {id}");
                Ok(EmployeeSchedule {
                    id,
                    employee_id: r.text(1)?,
                    from: stored_date(&what, &r.text(2)?)?,
                    to: stored_date(&what, &r.text(3)?)?,
                    week: week_of(r, 4, &what)?,
                    reason: r.text(11)?,
                })
            },
        )
        .await
    }

    /// Gives an employee their own week from `from` to `to`; refused (with the overlapping
    /// one) when another of theirs overlaps it. The check and the insert are one transaction
    /// that first locks the employee's row, so two administrators saving overlapping ranges
    /// at the same moment cannot both succeed (on PostgreSQL too).
    pub async fn add_employee_schedule(
        &self,
        employee_id: &str,
        from: Date,
        to: Date,
        week: &WeeklySchedule,
        reason: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<std::result::Result<i64, EmployeeSchedule>> {
        let mut p = params![employee_id, date_str(from), date_str(to)];
        p.extend(week.days().iter().map(|h| h.map(|h| h.to_string()).into()));
        p.extend(params![reason, by, now_ms]);
        let n = self
            .write_all(
                "add an employee's schedule",
                vec![
                    Stmt::new("UPDATE employees SET revision = revision WHERE employee_id = $1", params![employee_id]),
                    Stmt::new(
                        "INSERT INTO dash_employee_schedules (employee_id, from_date, to_date, mon, tue, wed, thu, fri, sat, sun, reason, by_user, created_at_ms)
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
                         WHERE NOT EXISTS (SELECT 1 FROM dash_employee_schedules WHERE employee_id = $1 AND from_date <= $3 AND $2 <= to_date)",
                        p,
                    ),
                ],
            )
            .await?;
        let theirs: Vec<EmployeeSchedule> = self.employee_schedules().await?.into_iter().filter(|s| s.employee_id == employee_id).collect();
        if n[1] == 0 {
            let overlap = theirs.into_iter().find(|s| s.from <= to && from <= s.to);
            return overlap.map(Err).ok_or_else(|| StorageError::Corrupt(format!("schedule of {employee_id} neither saved nor overlapping")));
        }
        theirs
            .into_iter()
            .find(|s| s.from == from && s.to == to)
            .map(|s| Ok(s.id))
            .ok_or_else(|| StorageError::Corrupt(format!("schedule of {employee_id} vanished after insert")))
    }

    /// Removes an employee's schedule; `false` when there is none with that id.
    pub async fn remove_employee_schedule(&self, id: i64) -> Result<bool> {
        Ok(self.write("remove an employee's schedule", "DELETE FROM dash_employee_schedules WHERE id = $1", params![id]).await? == 1)
    }

    /// Adds or replaces a section and its weekly schedule.
    pub async fn put_section(&self, id: &str, name: &str, weekly: &WeeklySchedule) -> Result<()> {
        let mut p = params![id, name];
        p.extend(weekly.days().iter().map(|h| h.map(|h| h.to_string()).into()));
        self.write(
            "put section",
            "INSERT INTO dash_sections (id, name, mon, tue, wed, thu, fri, sat, sun) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, mon = excluded.mon, tue = excluded.tue,
               wed = excluded.wed, thu = excluded.thu, fri = excluded.fri, sat = excluded.sat, sun = excluded.sun",
            p,
        )
        .await?;
        Ok(())
    }

    /// Sets a section's week from `from` on (replacing a change of the same date); the days
    /// before keep the week they had.
    pub async fn put_section_change(&self, id: &str, from: Date, weekly: &WeeklySchedule) -> Result<()> {
        let mut p = params![id, date_str(from)];
        p.extend(weekly.days().iter().map(|h| h.map(|h| h.to_string()).into()));
        self.write(
            "put section schedule change",
            "INSERT INTO dash_section_changes (section_id, effective_from, mon, tue, wed, thu, fri, sat, sun)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (section_id, effective_from) DO UPDATE SET mon = excluded.mon, tue = excluded.tue,
               wed = excluded.wed, thu = excluded.thu, fri = excluded.fri, sat = excluded.sat, sun = excluded.sun",
            p,
        )
        .await?;
        Ok(())
    }

    /// Adds or replaces a section's exception for a date (`hours` None: day off).
    pub async fn put_exception(&self, section: &str, date: Date, hours: Option<WorkHours>, reason: &str) -> Result<()> {
        self.put_exceptions(section, &[(date, hours)], reason).await
    }

    /// Adds or replaces a section's exceptions for several dates, all or none (a special
    /// period such as Ramadan hours).
    pub async fn put_exceptions(&self, section: &str, days: &[(Date, Option<WorkHours>)], reason: &str) -> Result<()> {
        let stmts = days
            .iter()
            .map(|(date, hours)| {
                Stmt::new(
                    "INSERT INTO dash_section_exceptions (section_id, date, hours, reason) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (section_id, date) DO UPDATE SET hours = excluded.hours, reason = excluded.reason",
                    params![section, date_str(*date), hours.map(|h| h.to_string()), reason],
                )
            })
            .collect();
        self.write_all("put section exceptions", stmts).await?;
        Ok(())
    }

    /// All sections with their calendars, by id.
    pub async fn sections(&self) -> Result<Vec<Section>> {
        let raw = self
            .query_rows(
                "read sections",
                "SELECT id, name, mon, tue, wed, thu, fri, sat, sun FROM dash_sections ORDER BY id",
                params![],
                |r| {
                    let id = r.text(0)?;
                    let week = week_of(r, 2, &format!("dash_sections {id}"))?;
                    Ok((id, r.text(1)?, week))
                },
            )
            .await?;
        let rows = self
            .query_rows(
                "read section exceptions",
                "SELECT section_id, date, hours, reason FROM dash_section_exceptions",
                params![],
                |r| {
                    let date = stored_date("dash_section_exceptions", &r.text(1)?)?;
                    let ex = match r.opt_text(2)? {
                        Some(h) => DayException::Hours(stored_hours("dash_section_exceptions", &h)?),
                        None => DayException::Off(r.text(3)?),
                    };
                    Ok((r.text(0)?, date, ex))
                },
            )
            .await?;
        let mut exceptions: HashMap<String, BTreeMap<Date, DayException>> = HashMap::new();
        for (sid, date, ex) in rows {
            exceptions.entry(sid).or_default().insert(date, ex);
        }
        let changed = self
            .query_rows(
                "read section schedule changes",
                "SELECT section_id, effective_from, mon, tue, wed, thu, fri, sat, sun FROM dash_section_changes",
                params![],
                |r| {
                    let id = r.text(0)?;
                    let week = week_of(r, 2, &format!("dash_section_changes {id}"))?;
                    Ok((id, stored_date("dash_section_changes", &r.text(1)?)?, week))
                },
            )
            .await?;
        let mut changes: HashMap<String, BTreeMap<Date, WeeklySchedule>> = HashMap::new();
        for (sid, from, weekly) in changed {
            changes.entry(sid).or_default().insert(from, weekly);
        }
        Ok(raw
            .into_iter()
            .map(|(id, name, weekly)| {
                let mut calendar = SectionCalendar::new(weekly);
                calendar.exceptions = exceptions.remove(&id).unwrap_or_default();
                calendar.changes = changes.remove(&id).unwrap_or_default();
                Section { id, name, calendar }
            })
            .collect())
    }

    /// Adds a holiday, or changes the date's name, kind and sites.
    pub async fn put_holiday(&self, h: &Holiday) -> Result<()> {
        self.write("put holiday", PUT_HOLIDAY, holiday_params(h)).await?;
        Ok(())
    }

    /// Removes a holiday; `false` when the date had none.
    pub async fn remove_holiday(&self, date: Date) -> Result<bool> {
        Ok(self.write("remove holiday", "DELETE FROM dash_holidays WHERE date = $1", params![date_str(date)]).await? == 1)
    }

    /// Adds or changes every holiday of a file in one transaction: all of them or none.
    pub async fn put_holidays(&self, holidays: &[Holiday]) -> Result<()> {
        let stmts = holidays.iter().map(|h| Stmt::new(PUT_HOLIDAY, holiday_params(h))).collect();
        self.write_all("put holidays", stmts).await?;
        Ok(())
    }

    /// Every holiday, by date (what the settings and the month views list).
    pub async fn holiday_list(&self) -> Result<Vec<Holiday>> {
        self.query_rows("list holidays", "SELECT date, name, kind, sites FROM dash_holidays ORDER BY date", params![], |r| {
            let kind = r.text(2)?;
            Ok(Holiday {
                date: stored_date("dash_holidays", &r.text(0)?)?,
                name: r.text(1)?,
                kind: HolidayKind::parse(&kind).ok_or_else(|| StorageError::Corrupt(format!("dash_holidays.kind `{kind}`")))?,
                sites: r.text(3)?.split_whitespace().map(str::to_owned).collect(),
            })
        })
        .await
    }

    /// Every site's holidays, as the rules read them.
    pub async fn site_holidays(&self) -> Result<SiteHolidays> {
        Ok(SiteHolidays::new(self.holiday_list().await?))
    }

    /// Every holiday of any site (a date that is a holiday somewhere).
    pub async fn holidays(&self) -> Result<Holidays> {
        let mut h = Holidays::new();
        for row in self.holiday_list().await? {
            h.insert(row.date, row.name);
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_sites_holidays_are_everyones_and_its_own() {
        let list = vec![
            Holiday::everywhere(date!(2026 - 03 - 19), "Nyepi", HolidayKind::National),
            Holiday { date: date!(2026 - 06 - 24), name: "Galungan".into(), kind: HolidayKind::Regional, sites: vec!["BADUNG".into(), "TABANAN".into()] },
            Holiday { date: date!(2026 - 07 - 01), name: "HUT Kota".into(), kind: HolidayKind::Regional, sites: vec!["SURABAYA".into()] },
        ];
        let h = SiteHolidays::new(list);
        let dates = |site: &str| h.of(site).iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>();
        let cases: [(&str, &[&str]); 4] = [
            ("BADUNG", &["2026-03-19", "2026-06-24"]),
            ("TABANAN", &["2026-03-19", "2026-06-24"]),
            ("SURABAYA", &["2026-03-19", "2026-07-01"]),
            ("a site with no holiday of its own", &["2026-03-19"]),
        ];
        for (site, want) in cases {
            assert_eq!(dates(site), want, "{site}");
        }
    }
}
