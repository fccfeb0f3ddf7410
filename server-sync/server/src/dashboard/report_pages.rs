//! Report pages and exports: the monthly recap per employee (with the lateness chart of the
//! section) and the recap per date, as HTML, XLSX, CSV and PDF. Only employees in the user's
//! sections are ever included.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use time::{Date, Month};

use super::auth::{Page, scope};
use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, tr};
use super::pages::narrowed;
use crate::storage::calendar::{Holiday, date_str, parse_date};
use super::{AppError, AppState, Session};
use crate::reports::chart::late_chart_svg;
use crate::reports::month::{Context, date_rows, employee_month, late_per_day};
use crate::reports::{Table, csv, date_table, employee_month_table, month_table, pdf, xlsx};

type Fields = HashMap<String, String>;

pub(super) fn month_of(st: &AppState, q: &Fields) -> Result<(i32, Month), AppError> {
    let today = st.now().date();
    let year = q.get("year").and_then(|y| y.parse().ok()).unwrap_or(today.year());
    let month = match q.get("month").and_then(|m| m.parse::<u8>().ok()) {
        Some(m) => Month::try_from(m).map_err(|_| AppError::BadRequest("month".into()))?,
        None => today.month(),
    };
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest("year".into()));
    }
    Ok((year, month))
}

fn section_param(q: &Fields) -> &str {
    q.get("section").map_or("", |s| s.trim())
}

/// A report table; on a phone each row becomes a card of labelled lines (`data-label`, see
/// the style sheet), so no page scrolls sideways.
pub(super) fn table_html(t: &Table) -> String {
    let mut s = String::from(r#"<div class="card scroll"><table class="report stack"><thead><tr>"#);
    for h in &t.headers {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let label = t.headers.get(i).copied().unwrap_or("");
            let _ = write!(s, r#"<td data-label="{}">{}</td>"#, esc(label), esc(&c.display()));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

fn filter_form(lang: Lang, ctx: &Context, user: &crate::storage::accounts::User, inner: &str, section: &str, action: &str) -> String {
    let sc = scope(user);
    let mut opts = format!(r#"<option value="">{}</option>"#, lang.tr("All sections"));
    let mut ids: Vec<&String> = ctx.sections.keys().filter(|id| sc.includes(Some(id))).collect();
    ids.sort();
    for id in ids {
        let _ = write!(opts, r#"<option value="{v}"{sel}>{n}</option>"#, v = esc(id), sel = if id == section { " selected" } else { "" }, n = esc(&ctx.sections[id].name));
    }
    format!(
        r#"<form class="inline card" method="get" action="{action}">{inner}<label>{sl}<select name="section">{opts}</select></label><button>{show}</button></form>"#,
        sl = lang.tr("Section"),
        show = lang.tr("Show")
    )
}

fn exports(base: &str, query: &str, lang: Lang) -> String {
    format!(
        r#"<p class="card">{l}: <a id="export-xlsx" href="{base}.xlsx?{query}">XLSX</a> · <a id="export-csv" href="{base}.csv?{query}">CSV</a> · <a id="export-pdf" href="{base}.pdf?{query}">PDF</a></p>"#,
        l = lang.tr("Download")
    )
}

/// The monthly recap per employee, with the lateness chart.
pub async fn month_page(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let (year, month) = month_of(&st, &q)?;
    let section = section_param(&q);
    let sc = narrowed(scope(&s.user), section)?;
    let full = st.context(&scope(&s.user)).await?;
    let ctx = full.narrowed_to(&sc);
    let months = st.reports.month(&st.store, &ctx, year, month).await?;
    let rows: Vec<_> = months.iter().map(|(e, _, r)| (e.clone(), r.clone())).collect();
    let table = month_table(lang, year, month, &rows, &st.store.closed_changes(year, month).await?);
    let inner = format!(
        r#"<label>{y}<input type="number" name="year" value="{year}" min="2000" max="2100"></label><label>{m}<input type="number" name="month" value="{mn}" min="1" max="12"></label>"#,
        y = lang.tr("Year"),
        m = lang.tr("Month"),
        mn = u8::from(month)
    );
    let mut body = super::pages::flash(&q);
    body.push_str(&filter_form(lang, &full, &s.user, &inner, section, "/reports"));
    // The recap names the devices that keep its later days "not yet known".
    body.push_str(&super::pages::silent_devices_notice(&st, lang, None).await?);
    body.push_str(&close_card(&st, &s, year, month).await?);
    body.push_str(&holidays_card(lang, ctx.holidays.list(), year, month));
    body.push_str(&employee_picker(lang, &ctx, year, month));
    let query = format!("year={year}&month={}&section={}", u8::from(month), esc(section));
    body.push_str(&exports("/reports/month", &query, lang));
    let chart_title = format!("{} — {} {year}", lang.tr("Late arrivals per day"), lang.month(month));
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2>{svg}</section>"#,
        t = esc(&chart_title),
        svg = late_chart_svg(&chart_title, &late_per_day(&months, year, month))
    );
    body.push_str(&table_html(&table));
    let _ = write!(
        body,
        r#"<p><a href="/reports/date">{}</a></p>"#,
        lang.tr("Recap per date")
    );
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, &body)))
}

/// The month's holidays with their kinds, so that a reader sees why those days count as off.
fn holidays_card(lang: Lang, holidays: &[Holiday], year: i32, month: Month) -> String {
    let items: Vec<String> = holidays
        .iter()
        .filter(|h| h.date.year() == year && h.date.month() == month)
        .map(|h| {
            let kind = super::pages::holiday_kind_label(lang, h.kind);
            let what = if h.sites.is_empty() { kind.to_owned() } else { format!("{kind}: {}", h.sites.join(", ")) };
            format!(
                r#"<li data-holiday="{ds}">{day} {m} — {n} <span class="muted">({w})</span></li>"#,
                ds = date_str(h.date),
                day = h.date.day(),
                m = lang.month(month),
                n = esc(&h.name),
                w = esc(&what)
            )
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(r#"<section class="card" id="month-holidays"><h2>{t}</h2><ul>{l}</ul></section>"#, t = lang.tr("Holidays this month"), l = items.concat())
}

/// A form that opens one employee's month, day by day.
fn employee_picker(lang: Lang, ctx: &Context, year: i32, month: Month) -> String {
    let mut opts = String::new();
    for e in &ctx.employees {
        let _ = write!(opts, r#"<option value="{v}">{n} ({v})</option>"#, v = esc(&e.id), n = esc(&e.name));
    }
    format!(
        r#"<form class="inline card" method="get" action="/reports/employee"><input type="hidden" name="year" value="{year}"><input type="hidden" name="month" value="{m}"><label>{l}<select name="id">{opts}</select></label><button>{show}</button></form>"#,
        m = u8::from(month),
        l = lang.tr("An employee's daily recap"),
        show = lang.tr("Show"),
    )
}

/// One employee's month in `q` (`id`, `year`, `month`), when the user may see them.
async fn employee_table(st: &AppState, s: &Session, q: &Fields) -> Result<(Table, String), AppError> {
    let (year, month) = month_of(st, q)?;
    let id = q.get("id").map_or("", |v| v.trim());
    let ctx = st.context(&scope(&s.user)).await?;
    let (info, days, recap) = employee_month(&st.store, &ctx, id, year, month).await?.ok_or(AppError::NotFound)?;
    Ok((employee_month_table(s.lang, &info, year, month, &days, &recap), info.section))
}

/// One employee's month, day by day: the schedule that applied, the records, lateness, early
/// leave, overtime, status and deduction, with totals and the exports.
pub async fn employee_page(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let (year, month) = month_of(&st, &q)?;
    let (table, _) = employee_table(&st, &s, &q).await?;
    let id = q.get("id").map_or("", |v| v.trim());
    let mut body = super::pages::flash(&q);
    let _ = write!(
        body,
        r#"<form class="inline card" method="get" action="/reports/employee"><input type="hidden" name="id" value="{id}"><label>{y}<input type="number" name="year" value="{year}" min="2000" max="2100"></label><label>{m}<input type="number" name="month" value="{mn}" min="1" max="12"></label><button>{show}</button></form>"#,
        id = esc(id),
        y = lang.tr("Year"),
        m = lang.tr("Month"),
        mn = u8::from(month),
        show = lang.tr("Show"),
    );
    body.push_str(&exports("/reports/employee", &format!("id={}&year={year}&month={}", esc(id), u8::from(month)), lang));
    body.push_str(&table_html(&table));
    body.push_str(&super::manual_pages::card(&st, &s, id, year, month).await?);
    body.push_str(&super::schedule_pages::employee_card(&st, &s, id).await?);
    body.push_str(&super::assignment_pages::card(&st, &s, id).await?);
    let _ = write!(body, r#"<p><a href="/reports?year={year}&month={}">{}</a></p>"#, u8::from(month), lang.tr("Monthly recap"));
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, &body)))
}

/// One employee's month as XLSX, CSV or PDF (signed by the head of their section when set).
pub async fn employee_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<Fields>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let (year, month) = month_of(&st, &q)?;
    let (table, section) = employee_table(&st, &s, &q).await?;
    let id = q.get("id").map_or("", |v| v.trim());
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
async fn close_card(st: &AppState, s: &Session, year: i32, month: time::Month) -> Result<String, AppError> {
    let lang = s.lang;
    let text = match st.store.month_close(year, month).await? {
        Some(c) => tr!(lang, "This month was closed by {by} on {date}. Later changes need a reason and are flagged in the last column.", by = esc(&c.by), date = date_str(c.at.date())),
        None if s.user.role == crate::storage::accounts::Role::Admin => format!(
            r#"<form method="post" action="/reports/close" class="inline">{c}<input type="hidden" name="year" value="{year}"><input type="hidden" name="month" value="{m}"><button>{l}</button></form> <span class="muted">{h}</span>"#,
            c = csrf_field(&s.csrf),
            m = u8::from(month),
            l = lang.tr("Close the month"),
            h = lang.tr("Once closed, every change needs a reason and is flagged in the next export."),
        ),
        None => return Ok(String::new()),
    };
    Ok(format!(r#"<section class="card" id="month-close">{text}</section>"#))
}

/// Closes a month (administrators; audited), refused while a record of it awaits a decision.
pub async fn close_month(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    s.check_csrf(f.get("csrf"))?;
    if s.user.role != crate::storage::accounts::Role::Admin {
        return Err(AppError::Forbidden("close_month: administrators only".into()));
    }
    let lang = s.lang;
    let (year, month) = month_of(&st, &f)?;
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
pub async fn month_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<Fields>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let (year, month) = month_of(&st, &q)?;
    let section = section_param(&q);
    let sc = narrowed(scope(&s.user), section)?;
    let ctx = st.context(&sc).await?;
    let rows: Vec<_> = st.reports.month(&st.store, &ctx, year, month).await?.into_iter().map(|(e, _, r)| (e, r)).collect();
    let table = month_table(s.lang, year, month, &rows, &st.store.closed_changes(year, month).await?);
    let now = st.now();
    st.store.audit(&s.user.username, "export_month", &format!("{year}-{:02} {section} {fmt}", u8::from(month)), now).await?;
    let name = format!("rekap-{year}-{:02}{}", u8::from(month), if section.is_empty() { String::new() } else { format!("-{section}") });
    respond(&st, &s, &table, &fmt, &name, section).await
}

fn date_of(st: &AppState, q: &Fields) -> Date {
    q.get("date").and_then(|d| parse_date(d)).unwrap_or_else(|| st.now().date())
}

/// The recap per date.
pub async fn date_page(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Reports)?;
    let lang = s.lang;
    let date = date_of(&st, &q);
    let section = section_param(&q);
    let sc = narrowed(scope(&s.user), section)?;
    let full = st.context(&scope(&s.user)).await?;
    let ctx = full.narrowed_to(&sc);
    let table = date_table(lang, date, &date_rows(&st.store, &ctx, date).await?);
    let inner = format!(r#"<label>{l}<input type="date" name="date" value="{d}"></label>"#, l = lang.tr("Date"), d = date_str(date));
    let mut body = filter_form(lang, &full, &s.user, &inner, section, "/reports/date");
    body.push_str(&exports("/reports/date", &format!("date={}&section={}", date_str(date), esc(section)), lang));
    body.push_str(&table_html(&table));
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Reports, &table.title, &body)))
}

/// The recap per date as XLSX, CSV or PDF.
pub async fn date_export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>, Query(q): Query<Fields>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let date = date_of(&st, &q);
    let section = section_param(&q);
    let sc = narrowed(scope(&s.user), section)?;
    let ctx = st.context(&sc).await?;
    let table = date_table(s.lang, date, &date_rows(&st.store, &ctx, date).await?);
    let now = st.now();
    st.store.audit(&s.user.username, "export_date", &format!("{} {section} {fmt}", date_str(date)), now).await?;
    respond(&st, &s, &table, &fmt, &format!("rekap-{}", date_str(date)), section).await
}
