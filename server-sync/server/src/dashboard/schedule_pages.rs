//! The settings card for sections and their schedules: each section's week in effect today
//! and its dated changes, the form that adds a section or changes its week from a date, and the
//! form for a special period (Ramadan hours) written as the section's dated exceptions.
//!
//! Owns the forms and their checks; what a day is stays `hadir_rules`'s. A change never reaches
//! into a closed month: a month paid from stays as it was paid.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use hadir_rules::{WeeklySchedule, WorkHours};
use maud::{Markup, html};
use serde::Deserialize;
use time::{Date, Weekday};

use super::auth::Page;
use super::forms::{CsrfOnly, trimmed};
use super::html::csrf_input;
use super::i18n::{Lang, tr};
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::calendar::{date_str, parse_date};

/// The longest special period, days (a Ramadan month with margin).
pub const MAX_PERIOD_DAYS: i64 = 45;

fn week_text(w: &WeeklySchedule) -> String {
    w.days().iter().map(|h| h.map(|h| h.to_string()).unwrap_or_else(|| "-".into())).collect::<Vec<_>>().join(" · ")
}

/// The card on the settings page; `csrf` is the session's token for the forms.
pub async fn card(st: &AppState, lang: Lang, csrf: &str) -> Result<Markup, AppError> {
    let today = st.now().date();
    let sections = st.store.sections().await?;
    let (wd, fr, save) = (lang.tr("Mon–Thu"), lang.tr("Friday"), lang.tr("Save"));
    let name = lang.tr("Name");
    let card = html! {
        section.card id="sections" {
            h2 { (lang.tr("Sections and schedules")) }
            div.scroll { table {
                thead { tr { th { "ID" } th { (name) } th { (lang.tr("Schedule Mon–Sun (in effect today)")) } th { (lang.tr("Schedule changes")) } } }
                tbody {
                    @for sec in &sections {
                        tr data-section-row=(sec.id) {
                            td { (sec.id) }
                            td { (sec.name) }
                            td { (week_text(sec.calendar.weekly_on(today))) }
                            td { ul { @for (from, w) in &sec.calendar.changes {
                                li data-change=(date_str(*from)) { (lang.tr("from")) " " (date_str(*from)) ": " (week_text(w)) }
                            } } }
                        }
                    }
                }
            } }
            p.muted { (lang.tr("A new schedule takes effect from the date given (empty: from today) and changes no day before it; a closed month cannot be changed.")) }
            form method="post" action="/settings/section" class="inline" {
                (csrf_input(csrf))
                label { "ID" input name="id" required; }
                label { (name) input name="name" required; }
                label { (wd) input name="weekdays" value="07:30-16:00" pattern="\\d\\d:\\d\\d-\\d\\d:\\d\\d"; }
                label { (fr) input name="friday" value="07:30-16:30"; }
                label { (lang.tr("Saturday (empty: off)")) input name="saturday" value=""; }
                label { (lang.tr("Effective from")) input type="date" name="from"; }
                button { (save) }
            }
            h3 { (lang.tr("Special hours (e.g. Ramadan)")) }
            p.muted { (lang.tr("Other hours for a range of dates, on the section's working days only (holidays and weekends stay off).")) }
            form method="post" action="/settings/section/period" class="inline" {
                (csrf_input(csrf))
                label { "ID" input name="id" required; }
                label { (lang.tr("From")) input type="date" name="from" required; }
                label { (lang.tr("To")) input type="date" name="to" required; }
                label { (wd) input name="weekdays" required placeholder="08:00-14:00"; }
                label { (fr) input name="friday" placeholder="08:00-11:30"; }
                label { (lang.tr_in("description", "Reason")) input name="reason" value="Ramadan" required maxlength="120"; }
                button { (save) }
            }
        }
    };
    Ok(card)
}

/// The form of `POST /settings/section`: a section's id and name, and its week (Monday to
/// Thursday, Friday, Saturday) from a date on.
#[derive(Debug, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    id: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    weekdays: String,
    #[serde(default, deserialize_with = "trimmed")]
    friday: String,
    #[serde(default, deserialize_with = "trimmed")]
    saturday: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
}

/// The form of `POST /settings/section/period`: special hours for a section's dates.
#[derive(Debug, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    id: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    weekdays: String,
    #[serde(default, deserialize_with = "trimmed")]
    friday: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// The form of `POST /schedules`: an employee's own week for a range of dates.
#[derive(Debug, Deserialize)]
pub struct EmployeeScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    weekdays: String,
    #[serde(default, deserialize_with = "trimmed")]
    friday: String,
    #[serde(default, deserialize_with = "trimmed")]
    saturday: String,
    #[serde(default, deserialize_with = "trimmed")]
    sunday: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// The hours typed in the field `key` (empty: a day off).
fn hours(v: &str, key: &str, lang: Lang) -> Result<Option<WorkHours>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    WorkHours::parse(v).map(Some).ok_or_else(|| tr!(lang, "{key}: {v} is not working hours (HH:MM-HH:MM).", key = key, v = v))
}

/// Refuses a date in a closed month.
async fn open_month(st: &AppState, date: Date, lang: Lang) -> Result<Result<(), String>, AppError> {
    Ok(match st.store.month_close(date.year(), date.month()).await? {
        Some(_) => Err(tr!(lang, "{date}: that month is closed; its schedule cannot change.", date = date_str(date))),
        None => Ok(()),
    })
}

/// Adds a section, or changes its week from a date on (administrators; audited).
pub async fn put_section(State(st): State<AppState>, s: Session, Form(f): Form<SectionForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let (wd, fri, sat) = match (hours(&f.weekdays, "weekdays", lang), hours(&f.friday, "friday", lang), hours(&f.saturday, "saturday", lang)) {
        (Ok(wd), Ok(fri), Ok(sat)) => (wd, fri.or(wd), sat),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Ok(redirect_err("/settings", &e)),
    };
    let (id, name) = (f.id.as_str(), f.name.as_str());
    if id.is_empty() || name.is_empty() {
        return Ok(redirect_err("/settings", lang.tr("A section needs an ID and a name.")));
    }
    let week = WeeklySchedule::new([wd, wd, wd, wd, fri, sat, None]);
    let now = (st.clock)();
    let existing = st.store.sections().await?.into_iter().find(|x| x.id == id);
    let Some(existing) = existing else {
        st.store.put_section(id, name, &week).await?;
        st.store.audit(&s.user.username, "section", &format!("{id} {name}: {}", week_text(&week)), now).await?;
        return Ok(redirect_ok("/settings", lang.tr("Section saved")));
    };
    let from = match f.from.as_str() {
        "" => st.now().date(),
        text => match parse_date(text) {
            Some(d) => d,
            None => return Ok(redirect_err("/settings", lang.tr("Effective from: not a date."))),
        },
    };
    if let Err(e) = open_month(&st, from, lang).await? {
        return Ok(redirect_err("/settings", &e));
    }
    st.store.put_section(id, name, &existing.calendar.weekly).await?;
    st.store.put_section_change(id, from, &week).await?;
    st.store.audit(&s.user.username, "section", &format!("{id} {name}: from {}: {}", date_str(from), week_text(&week)), now).await?;
    Ok(redirect_ok("/settings", lang.tr("Section schedule saved")))
}

/// Sets special hours for a range of a section's working days (administrators; audited): one
/// dated exception a day, all or none.
pub async fn put_special_period(State(st): State<AppState>, s: Session, Form(f): Form<PeriodForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let (id, reason) = (f.id.as_str(), f.reason.as_str());
    let Some(section) = st.store.sections().await?.into_iter().find(|x| x.id == id) else {
        return Ok(redirect_err("/settings", lang.tr("ID: no section has that ID.")));
    };
    let (Some(from), Some(to)) = (parse_date(&f.from), parse_date(&f.to)) else {
        return Ok(redirect_err("/settings", lang.tr("From/to: not a date.")));
    };
    let days = (to - from).whole_days() + 1;
    if !(1..=MAX_PERIOD_DAYS).contains(&days) || reason.is_empty() {
        let msg = tr!(lang, "To: the period cannot end before it starts and lasts at most {max_period_days} days; a reason is required.", max_period_days = MAX_PERIOD_DAYS);
        return Ok(redirect_err("/settings", &msg));
    }
    let (wd, fri) = match (hours(&f.weekdays, "weekdays", lang), hours(&f.friday, "friday", lang)) {
        (Ok(Some(wd)), Ok(fri)) => (wd, fri.unwrap_or(wd)),
        (Ok(None), _) => return Ok(redirect_err("/settings", lang.tr("Mon–Thu: hours are required."))),
        (Err(e), _) | (_, Err(e)) => return Ok(redirect_err("/settings", &e)),
    };
    for d in [from, to] {
        if let Err(e) = open_month(&st, d, lang).await? {
            return Ok(redirect_err("/settings", &e));
        }
    }
    // The holidays of the sites where the section's people work (a regional holiday of
    // another site does not take a day out of the period).
    let site_holidays = st.store.site_holidays().await?;
    let mut sites: Vec<String> = st.store.employees().await?.into_iter().filter(|e| e.section.as_deref() == Some(id)).map(|e| e.site_id).collect();
    sites.sort();
    sites.dedup();
    let holiday = |day: Date| if sites.is_empty() { site_holidays.of("").get(day).is_some() } else { sites.iter().any(|s| site_holidays.of(s).get(day).is_some()) };
    let mut set = Vec::new();
    let mut day = from;
    loop {
        // Only the days the section works: a weekend or a holiday stays off.
        if !holiday(day) && section.calendar.weekly_on(day).hours(day.weekday()).is_some() {
            set.push((day, Some(if day.weekday() == Weekday::Friday { fri } else { wd })));
        }
        match day.next_day() {
            Some(next) if day < to => day = next,
            _ => break,
        }
    }
    st.store.put_exceptions(id, &set, reason).await?;
    let detail = format!("{id}: {reason} {}..{}: {} days at {wd} (Friday {fri})", date_str(from), date_str(to), set.len());
    st.store.audit(&s.user.username, "section_period", &detail, (st.clock)()).await?;
    let msg = tr!(lang, "Special hours saved for {days} working days", days = set.len());
    Ok(redirect_ok("/settings", &msg))
}

/// The employee's own schedules on their month page, with the forms (administrators).
pub async fn employee_card(st: &AppState, s: &Session, employee_id: &str) -> Result<Markup, AppError> {
    let lang = s.lang;
    let admin = s.user.role == crate::storage::accounts::Role::Admin;
    let schedules: Vec<_> = st.store.employee_schedules().await?.into_iter().filter(|x| x.employee_id == employee_id).collect();
    let card = html! {
        section.card id="own-schedules" {
            h2 { (lang.tr("The employee's own schedule")) }
            @if !schedules.is_empty() {
                div.scroll { table { tbody {
                    @for x in &schedules {
                        tr data-own-schedule=(x.id) {
                            td { (date_str(x.from)) " – " (date_str(x.to)) }
                            td { (week_text(&x.week)) }
                            td { (x.reason) }
                            td { @if admin {
                                form.inline method="post" action=(format!("/schedules/{}/remove", x.id)) {
                                    (csrf_input(&s.csrf))
                                    button.reject { (lang.tr("Remove")) }
                                }
                            } }
                        }
                    }
                } } }
            }
            @if admin {
                p.muted { (lang.tr("This employee's own week for a range of dates (e.g. a night guard, 22:00-06:00), instead of their section's; an empty day is off. Ranges cannot overlap, and a closed month cannot change.")) }
                form method="post" action="/schedules" class="inline" {
                    (csrf_input(&s.csrf))
                    input type="hidden" name="employee" value=(employee_id);
                    label { (lang.tr("From")) input type="date" name="from" required; }
                    label { (lang.tr("To")) input type="date" name="to" required; }
                    label { (lang.tr("Mon–Thu")) input name="weekdays" placeholder="22:00-06:00"; }
                    label { (lang.tr("Friday (empty: as Mon–Thu)")) input name="friday"; }
                    label { (lang.tr("Saturday")) input name="saturday"; }
                    label { (lang.tr("Sunday")) input name="sunday"; }
                    label { (lang.tr_in("description", "Reason")) input name="reason" required maxlength="120"; }
                    button { (lang.tr("Save")) }
                }
            }
        }
    };
    Ok(card)
}

fn month_page(employee: &str, d: Date) -> String {
    format!("/reports/employee?id={employee}&year={}&month={}", d.year(), u8::from(d.month()))
}

/// Gives an employee their own week for a range of dates (administrators; audited).
pub async fn add_employee_schedule(State(st): State<AppState>, s: Session, Form(f): Form<EmployeeScheduleForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let e = super::leave_pages::employee_in_scope(&st, &s, &f.employee).await?;
    let back = |d: Option<Date>| month_page(&e.id, d.unwrap_or_else(|| st.now().date()));
    let (from, to) = (parse_date(&f.from), parse_date(&f.to));
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(redirect_err(&back(from), lang.tr("From/to: not a date.")));
    };
    let reason = f.reason.as_str();
    if to < from || reason.is_empty() {
        return Ok(redirect_err(&back(Some(from)), lang.tr("To: cannot be before from; a reason is required.")));
    }
    let days = [(&f.weekdays, "weekdays"), (&f.friday, "friday"), (&f.saturday, "saturday"), (&f.sunday, "sunday")].map(|(v, k)| hours(v, k, lang));
    let [wd, fri, sat, sun] = match days {
        [Ok(a), Ok(b), Ok(c), Ok(d)] => [a, b.or(a), c, d],
        [Err(e), ..] | [_, Err(e), ..] | [_, _, Err(e), _] | [.., Err(e)] => return Ok(redirect_err(&back(Some(from)), &e)),
    };
    let week = WeeklySchedule::new([wd, wd, wd, wd, fri, sat, sun]);
    for d in [from, to] {
        if let Err(msg) = open_month(&st, d, lang).await? {
            return Ok(redirect_err(&back(Some(from)), &msg));
        }
    }
    let now = (st.clock)();
    match st.store.add_employee_schedule(&e.id, from, to, &week, reason, &s.user.username, crate::storage::dt_to_ms(now)).await? {
        Err(overlap) => {
            let msg = tr!(lang, "From/to: overlaps the schedule {from} – {to}.", from = date_str(overlap.from), to = date_str(overlap.to));
            Ok(redirect_err(&back(Some(from)), &msg))
        }
        Ok(id) => {
            let detail = format!("schedule {id}: {} {}..{}: {}: {reason}", e.id, date_str(from), date_str(to), week_text(&week));
            st.store.audit(&s.user.username, "employee_schedule", &detail, now).await?;
            Ok(redirect_ok(&back(Some(from)), lang.tr("Employee's schedule saved")))
        }
    }
}

/// Removes an employee's own schedule (administrators; audited), unless it reaches into a
/// closed month.
pub async fn remove_employee_schedule(State(st): State<AppState>, s: Session, axum::extract::Path(id): axum::extract::Path<i64>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let x = st.store.employee_schedules().await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
    for d in [x.from, x.to] {
        if let Err(msg) = open_month(&st, d, lang).await? {
            return Ok(redirect_err(&month_page(&x.employee_id, x.from), &msg));
        }
    }
    st.store.remove_employee_schedule(id).await?;
    let detail = format!("schedule {id} removed: {} {}..{}: {}", x.employee_id, date_str(x.from), date_str(x.to), week_text(&x.week));
    st.store.audit(&s.user.username, "employee_schedule", &detail, (st.clock)()).await?;
    Ok(redirect_ok(&month_page(&x.employee_id, x.from), lang.tr("Employee's schedule removed")))
}
