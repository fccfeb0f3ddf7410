//! Report pages and exports: the monthly recap per employee (with the lateness chart of the
//! section) and the recap per date, as HTML, XLSX, CSV and PDF. Only employees in the user's
//! sections are ever included.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use time::Month;

use super::auth::{Page, scope};
use super::html::{csrf_input, page, url_escape};
use super::i18n::{Lang, tr};
use super::forms::trimmed;
use super::pages::{DayQuery, Flash, narrowed};
use crate::storage::calendar::{Holiday, date_str};
use super::{AppError, AppState, Session};
use crate::reports::chart::late_chart_svg;
use crate::reports::month::{Context, date_rows, employee_month, late_per_day};
use crate::reports::{Table, csv, date_table, employee_month_table, month_table, pdf, xlsx};

/// What the month pages read from their address: the year and month (this month when absent),
/// a section (all in view when empty), an employee (the employee's month), and the flash.
#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default, deserialize_with = "trimmed")]
    year: String,
    #[serde(default, deserialize_with = "trimmed")]
    month: String,
    #[serde(default, deserialize_with = "trimmed")]
    section: String,
    #[serde(default, deserialize_with = "trimmed")]
    id: String,
    /// The message of the action that led here.
    #[serde(flatten)]
    pub flash: Flash,
}

/// The month a page asks for (this month by default).
pub(super) fn month_of(st: &AppState, q: &MonthQuery) -> Result<(i32, Month), AppError> {
    month_from(st, &q.year, &q.month)
}

/// The month of `year` and `month` as typed (empty or not a number: this one's).
fn month_from(st: &AppState, year: &str, month: &str) -> Result<(i32, Month), AppError> {
    let today = st.now().date();
    let year = year.trim().parse().unwrap_or(today.year());
    let month = match month.trim().parse::<u8>().ok() {
        Some(m) => Month::try_from(m).map_err(|_| AppError::BadRequest("month".into()))?,
        None => today.month(),
    };
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("year".into()));
    }
    Ok((year, month))
}

/// A report table; on a phone each row becomes a card of labelled lines (`data-label`, see
/// the style sheet), so no page scrolls sideways.
pub(super) fn table_html(t: &Table) -> Markup {
    html! {
        div.card.scroll { table.report.stack {
            thead { tr { @for h in &t.headers { th { (h) } } } }
            tbody {
                @for r in &t.rows {
                    tr { @for (i, c) in r.iter().enumerate() { td data-label=(t.headers.get(i).copied().unwrap_or("")) { (c.display()) } } }
                }
            }
        } }
    }
}

/// The filter above a report: `inner` (the period's fields), the section, and the button.
fn filter_form(lang: Lang, ctx: &Context, user: &crate::storage::accounts::User, inner: Markup, section: &str, action: &str) -> Markup {
    let sc = scope(user);
    let mut ids: Vec<&String> = ctx.sections.keys().filter(|id| sc.includes(Some(id))).collect();
    ids.sort();
    html! {
        form.inline.card method="get" action=(action) {
            (inner)
            label { (lang.tr("Section")) select name="section" {
                option value="" { (lang.tr("All sections")) }
                @for id in ids { option value=(id) selected[id == section] { (ctx.sections[id].name) } }
            } }
            button { (lang.tr("Show")) }
        }
    }
}

/// The download links of a report; `query` is the report's query string, unescaped.
fn exports(base: &str, query: &str, lang: Lang) -> Markup {
    html! {
        p.card {
            (lang.tr("Download")) ": "
            a id="export-xlsx" href=(format!("{base}.xlsx?{query}")) { "XLSX" } " · "
            a id="export-csv" href=(format!("{base}.csv?{query}")) { "CSV" } " · "
            a id="export-pdf" href=(format!("{base}.pdf?{query}")) { "PDF" }
        }
    }
}

/// The year and month fields of a report's filter.
fn month_fields(lang: Lang, year: i32, month: Month) -> Markup {
    html! {
        label { (lang.tr("Year")) input type="number" name="year" value=(year) min="2000" max="2100"; }
        label { (lang.tr("Month")) input type="number" name="month" value=(u8::from(month)) min="1" max="12"; }
    }
}

/// The monthly recap per employee, with the lateness chart.
pub async fn month_page(State(st): State<AppState>, s: Session, Query(q): Query<MonthQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let (year, month) = month_of(&st, &q)?;
    let section = q.section.as_str();
    let sc = narrowed(scope(&s.user), section)?;
    let full = st.context(&scope(&s.user)).await?;
    let ctx = full.narrowed_to(&sc);
    let months = st.reports.month(&st.store, &ctx, year, month).await?;
    let rows: Vec<_> = months.iter().map(|(e, _, r)| (e.clone(), r.clone())).collect();
    let table = month_table(lang, year, month, &rows, &st.store.closed_changes(year, month).await?);
    // The recap names the devices that keep its later days "not yet known".
    let silent = super::device_pages::silent_devices_notice(&st, lang, None).await?;
    let close = close_card(&st, &s, year, month).await?;
    let chart_title = format!("{} — {} {year}", lang.tr("Late arrivals per day"), lang.month(month));
    let body = html! {
        (super::pages::flash(&q.flash))
        (filter_form(lang, &full, &s.user, month_fields(lang, year, month), section, "/reports"))
        (silent)
        (close)
        (holidays_card(lang, ctx.holidays.list(), year, month))
        (employee_picker(lang, &ctx, year, month))
        (exports("/reports/month", &format!("year={year}&month={}&section={}", u8::from(month), url_escape(section)), lang))
        section.card {
            h2 { (chart_title) }
            (PreEscaped(late_chart_svg(&chart_title, &late_per_day(&months, year, month))))
        }
        (table_html(&table))
        p { a href="/reports/date" { (lang.tr("Recap per date")) } }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, body)))
}

/// The month's holidays with their kinds, so that a reader sees why those days count as off.
fn holidays_card(lang: Lang, holidays: &[Holiday], year: i32, month: Month) -> Markup {
    let of_month: Vec<&Holiday> = holidays.iter().filter(|h| h.date.year() == year && h.date.month() == month).collect();
    html! {
        @if !of_month.is_empty() {
            section.card id="month-holidays" {
                h2 { (lang.tr("Holidays this month")) }
                ul { @for h in of_month {
                    @let kind = super::settings_pages::holiday_kind_label(lang, h.kind);
                    li data-holiday=(date_str(h.date)) {
                        (h.date.day()) " " (lang.month(month)) " — " (h.name) " "
                        span.muted { "(" (kind) @if !h.sites.is_empty() { ": " (h.sites.join(", ")) } ")" }
                    }
                } }
            }
        }
    }
}

/// A form that opens one employee's month, day by day.
fn employee_picker(lang: Lang, ctx: &Context, year: i32, month: Month) -> Markup {
    html! {
        form.inline.card method="get" action="/reports/employee" {
            input type="hidden" name="year" value=(year);
            input type="hidden" name="month" value=(u8::from(month));
            label { (lang.tr("An employee's daily recap")) select name="id" {
                @for e in &ctx.employees { option value=(e.id) { (e.name) " (" (e.id) ")" } }
            } }
            button { (lang.tr("Show")) }
        }
    }
}

/// One employee's month in `q` (`id`, `year`, `month`), when the user may see them.
async fn employee_table(st: &AppState, s: &Session, q: &MonthQuery) -> Result<(Table, String), AppError> {
    let (year, month) = month_of(st, q)?;
    let id = q.id.as_str();
    let ctx = st.context(&scope(&s.user)).await?;
    let (info, days, recap) = employee_month(&st.store, &ctx, id, year, month).await?.ok_or(AppError::NotFound)?;
    Ok((employee_month_table(s.lang, &info, year, month, &days, &recap), info.section))
}

/// One employee's month, day by day: the schedule that applied, the records, lateness, early
/// leave, overtime, status and deduction, with totals and the exports.
pub async fn employee_page(State(st): State<AppState>, s: Session, Query(q): Query<MonthQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let (year, month) = month_of(&st, &q)?;
    let (table, _) = employee_table(&st, &s, &q).await?;
    let id = q.id.as_str();
    let manual = super::manual_pages::card(&st, &s, id, year, month).await?;
    let schedules = super::schedule_pages::employee_card(&st, &s, id).await?;
    let assignments = super::assignment_pages::card(&st, &s, id).await?;
    let body = html! {
        (super::pages::flash(&q.flash))
        form.inline.card method="get" action="/reports/employee" {
            input type="hidden" name="id" value=(id);
            (month_fields(lang, year, month))
            button { (lang.tr("Show")) }
        }
        (exports("/reports/employee", &format!("id={}&year={year}&month={}", url_escape(id), u8::from(month)), lang))
        (table_html(&table))
        (manual)
        (schedules)
        (assignments)
        p { a href=(format!("/reports?year={year}&month={}", u8::from(month))) { (lang.tr("Monthly recap")) } }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, body)))
}

/// One employee's month as XLSX, CSV or PDF (signed by the head of their section when set).
pub async fn employee_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let (year, month) = month_of(&st, &q)?;
    let (table, section) = employee_table(&st, &s, &q).await?;
    let id = q.id.as_str();
    st.store.audit(&s.user.username, "export_employee", &format!("{id} {year}-{:02} {fmt}", u8::from(month)), st.now()).await?;
    let name: String = format!("rekap-{year}-{:02}-{id}", u8::from(month)).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    respond(&st, &s, &table, &fmt, &name, &section).await
}

/// Writes `table` as `fmt`; the XLSX and the PDF carry the letterhead and the signatures of
/// `section` (the whole office when empty), dated `today`.
async fn respond(st: &AppState, s: &Session, table: &Table, fmt: &str, filename: &str, section: &str) -> Result<Response, AppError> {
    let today = st.now().date();
    let footer = format!("Hadir · {} {} {}", s.lang.tr("printed by"), s.user.username, date_str(today));
    let signoff = match fmt {
        "xlsx" | "pdf" => st.store.letterhead().await?.signoff(s.lang, Some(section).filter(|s| !s.is_empty()), today),
        _ => Default::default(),
    };
    let disp = |ext: &str| format!("attachment; filename=\"{filename}.{ext}\"");
    match fmt {
        "xlsx" => {
            let bytes = xlsx::to_xlsx(table, s.lang.tr("Recap"), &signoff).map_err(|e| AppError::Export(e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
                    (header::CONTENT_DISPOSITION, disp("xlsx")),
                ],
                bytes,
            )
                .into_response())
        }
        "csv" => Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disp("csv"))], csv::to_csv(table)).into_response()),
        "pdf" => Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disp("pdf"))], pdf::to_pdf(table, &footer, &signoff)).into_response()),
        _ => Err(AppError::NotFound),
    }
}

/// Whether the month is closed (by whom, when), and for an administrator the button that closes
/// it — refused while a record of the month awaits a decision.
async fn close_card(st: &AppState, s: &Session, year: i32, month: time::Month) -> Result<Markup, AppError> {
    let lang = s.lang;
    let closed = st.store.month_close(year, month).await?;
    let admin = s.user.role == crate::storage::accounts::Role::Admin;
    Ok(html! {
        @if let Some(c) = &closed {
            section.card id="month-close" {
                (tr!(lang, "This month was closed by {by} on {date}. Later changes need a reason and are flagged in the last column.", by = c.by, date = date_str(c.at.date())))
            }
        } @else if admin {
            section.card id="month-close" {
                form method="post" action="/reports/close" class="inline" {
                    (csrf_input(&s.csrf))
                    input type="hidden" name="year" value=(year);
                    input type="hidden" name="month" value=(u8::from(month));
                    button { (lang.tr("Close the month")) }
                }
                " "
                span.muted { (lang.tr("Once closed, every change needs a reason and is flagged in the next export.")) }
            }
        }
    })
}

/// The form that closes a month.
#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    month: String,
}

/// Closes a month (administrators; audited), refused while a record of it awaits a decision.
pub async fn close_month(State(st): State<AppState>, s: Session, Form(f): Form<CloseForm>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    s.check_csrf(Some(&f.csrf))?;
    if s.user.role != crate::storage::accounts::Role::Admin {
        return Err(AppError::Forbidden("close_month: administrators only".into()));
    }
    let lang = s.lang;
    let (year, month) = month_from(&st, &f.year, &f.month)?;
    let back = format!("/reports?year={year}&month={}", u8::from(month));
    let now = (st.clock)();
    match st.store.close_month(year, month, &st.zones().await?, &s.user.username, now).await? {
        Ok(()) => {
            st.store.audit(&s.user.username, "close_month", &crate::storage::month_close::month_key(year, month), now).await?;
            Ok(super::pages::redirect_ok(&back, lang.tr("Month closed")))
        }
        Err(crate::storage::month_close::CloseRefusal::Pending(n)) => Ok(super::pages::redirect_err(
            &back,
            &tr!(lang, "The month cannot be closed yet: {n} records await confirmation.", n = n),
        )),
        Err(crate::storage::month_close::CloseRefusal::AlreadyClosed) => {
            Ok(super::pages::redirect_err(&back, lang.tr("This month is closed already.")))
        }
    }
}

/// The monthly recap as XLSX, CSV or PDF.
pub async fn month_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<MonthQuery>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let (year, month) = month_of(&st, &q)?;
    let section = q.section.as_str();
    let sc = narrowed(scope(&s.user), section)?;
    let ctx = st.context(&sc).await?;
    let rows: Vec<_> = st.reports.month(&st.store, &ctx, year, month).await?.into_iter().map(|(e, _, r)| (e, r)).collect();
    let table = month_table(s.lang, year, month, &rows, &st.store.closed_changes(year, month).await?);
    let now = st.now();
    st.store.audit(&s.user.username, "export_month", &format!("{year}-{:02} {section} {fmt}", u8::from(month)), now).await?;
    let name = format!("rekap-{year}-{:02}{}", u8::from(month), if section.is_empty() { String::new() } else { format!("-{section}") });
    respond(&st, &s, &table, &fmt, &name, section).await
}

/// The recap per date.
pub async fn date_page(State(st): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let date = q.date_or(st.now().date());
    let section = q.section.as_str();
    let sc = narrowed(scope(&s.user), section)?;
    let full = st.context(&scope(&s.user)).await?;
    let ctx = full.narrowed_to(&sc);
    let table = date_table(lang, date, &date_rows(&st.store, &ctx, date).await?);
    let inner = html! { label { (lang.tr("Date")) input type="date" name="date" value=(date_str(date)); } };
    let body = html! {
        (filter_form(lang, &full, &s.user, inner, section, "/reports/date"))
        (exports("/reports/date", &format!("date={}&section={}", date_str(date), url_escape(section)), lang))
        (table_html(&table))
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, body)))
}

/// The recap per date as XLSX, CSV or PDF.
pub async fn date_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<DayQuery>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let date = q.date_or(st.now().date());
    let section = q.section.as_str();
    let sc = narrowed(scope(&s.user), section)?;
    let ctx = st.context(&sc).await?;
    let table = date_table(s.lang, date, &date_rows(&st.store, &ctx, date).await?);
    let now = st.now();
    st.store.audit(&s.user.username, "export_date", &format!("{} {section} {fmt}", date_str(date)), now).await?;
    respond(&st, &s, &table, &fmt, &format!("rekap-{}", date_str(date)), section).await
}
