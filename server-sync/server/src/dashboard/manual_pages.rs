//! Manual IN and OUT entries on an employee's month page: the month's entries with their
//! reasons and state, and for administrators the form that adds one (with the supporting
//! letter) and the one that cancels a mistaken one (with its reason).
//!
//! Owns the form and its checks (a date, a time, IN or OUT, the rules' mode, a reason, an
//! optional PDF/JPEG/PNG); the entry itself is [`crate::storage::manual`]'s. An entry in a
//! closed month is flagged in the month's exports like every later change.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use hadir_rules::{Direction, Mode};
use maud::{Markup, html};
use serde::Deserialize;
use time::{Date, Month, PrimitiveDateTime, Time};

use super::auth::Page;
use super::forms::trimmed;
use super::html::csrf_input;
use super::i18n::tr;
use super::leave_pages::{attachment_response, employee_in_scope, form_with_attachment};
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::accounts::Role;
use crate::storage::calendar::{date_str, parse_date};
use crate::storage::leave::check_attachment;
use crate::storage::manual::NewManualPunch;

/// The longest reason kept, characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The instants bounding a month at the employee's site's `offset`.
fn month_bounds(offset: time::UtcOffset, year: i32, month: Month) -> Option<(time::OffsetDateTime, time::OffsetDateTime)> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let next = first.checked_add(time::Duration::days(i64::from(month.length(year))))?;
    Some((first.midnight().assume_offset(offset), next.midnight().assume_offset(offset)))
}

/// The employee's manual entries of the month, and the form (administrators).
pub async fn card(st: &AppState, s: &Session, employee_id: &str, year: i32, month: Month) -> Result<Markup, AppError> {
    let lang = s.lang;
    let e = employee_in_scope(st, s, employee_id).await?;
    let offset = st.zones().await?.of(&e.site_id).offset();
    let Some((from, to)) = month_bounds(offset, year, month) else { return Ok(html! {}) };
    let entries: Vec<_> = st.store.manual_entries(from, to).await?.into_iter().filter(|e| e.employee_id == employee_id).collect();
    let admin = s.user.role == Role::Admin;
    let card = html! {
        section.card id="manual" {
            h2 { (lang.tr("Manual entries")) }
            @if entries.is_empty() {
                p.muted { (lang.tr("No manual entries this month.")) }
            } @else {
                div.scroll { table {
                    thead { tr {
                        th { (lang.tr("Time")) } th { (lang.tr("Direction")) } th { (lang.tr("Rules")) } th { (lang.tr("Reason")) }
                        th { (lang.tr("Attachment")) } th { (lang.tr("By")) } th { (lang.tr("State")) }
                    } }
                    tbody {
                        @for e in &entries {
                            tr data-manual=(e.id) {
                                td { (date_str(e.at.date())) " " (format!("{:02}:{:02}", e.at.hour(), e.at.minute())) }
                                td { (if e.direction == Direction::In { lang.tr("In") } else { lang.tr("Out") }) }
                                td { (if e.mode == Mode::Field { lang.tr("Field") } else { lang.tr("Office") }) }
                                td { (e.reason) }
                                td { @match &e.attachment_name {
                                    Some(name) => a href=(format!("/manual/{}/attachment", e.id)) { (name) },
                                    None => "-",
                                } }
                                td { (e.by) }
                                td.state { @match &e.cancelled {
                                    Some((by, _, why)) => { span.bad { (lang.tr("Cancelled")) } " (" (by) ": " (why) ")" },
                                    None if admin => {
                                        form method="post" action=(format!("/manual/{}/cancel", e.id)) class="inline" data-confirm=(lang.tr("Cancel this manual entry? It stays listed but counts no more.")) {
                                            (csrf_input(&s.csrf))
                                            input name="reason" required maxlength=(MAX_REASON_CHARS) placeholder=(lang.tr("Why it is cancelled")) aria-label=(lang.tr("Why it is cancelled"));
                                            button.reject { (lang.tr("Cancel")) }
                                        }
                                    },
                                    None => span.ok { (lang.tr("In force")) },
                                } }
                            }
                        }
                    }
                } }
            }
            @if admin {
                p.muted { (lang.tr("For a punch that could not be made on a device (a forgotten OUT, a broken kiosk). A manual entry counts in the recaps, marked \"Manual\", and changes no device record. A mistaken entry is cancelled with a reason, never deleted.")) }
                form method="post" action="/manual" enctype="multipart/form-data" class="inline" id="manual-add" {
                    (csrf_input(&s.csrf))
                    input type="hidden" name="employee" value=(employee_id);
                    label { (lang.tr("Date")) input type="date" name="date" required; }
                    label { (lang.tr_in("clock", "Time")) input type="time" name="time" required; }
                    label { (lang.tr("Direction")) select name="direction" { option value="in" { (lang.tr("In")) } option value="out" { (lang.tr("Out")) } } }
                    label { (lang.tr("Rules")) select name="mode" { option value="office" { (lang.tr("Office")) } option value="field" { (lang.tr("Field")) } } }
                    label { (lang.tr("Reason")) input name="reason" required maxlength=(MAX_REASON_CHARS); }
                    label { (lang.tr("Attachment (PDF, JPEG, PNG; max. 2 MB)")) input type="file" name="attachment" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"; }
                    button { (lang.tr("Add")) }
                }
            }
        }
    };
    Ok(card)
}

/// The fields of `POST /manual` (multipart, beside its `attachment`).
#[derive(Debug, Deserialize)]
pub struct ManualForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    date: String,
    #[serde(default, deserialize_with = "trimmed")]
    time: String,
    #[serde(default, deserialize_with = "trimmed")]
    direction: String,
    #[serde(default, deserialize_with = "trimmed")]
    mode: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// The form that cancels a manual entry: why.
#[derive(Debug, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// Adds a manual entry (administrators; audited). A bad field is named and nothing is written.
pub async fn add(State(st): State<AppState>, s: Session, form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    let lang = s.lang;
    let (f, attachment): (ManualForm, _) = form_with_attachment(lang, form).await?;
    s.check_csrf(Some(&f.csrf))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("manual entry: administrators only".into()));
    }
    let e = employee_in_scope(&st, &s, &f.employee).await?;
    let back_to = |date: Option<Date>| {
        let today = st.now().date();
        let d = date.unwrap_or(today);
        format!("/reports/employee?id={}&year={}&month={}", e.id, d.year(), u8::from(d.month()))
    };
    let date = parse_date(&f.date);
    let time = Time::parse(&f.time, time::macros::format_description!("[hour]:[minute]")).ok();
    let (Some(date), Some(time)) = (date, time) else {
        return Ok(redirect_err(&back_to(date), lang.tr("Date/time: give a date and a time (HH:MM).")));
    };
    let direction = match f.direction.as_str() {
        "in" => Direction::In,
        "out" => Direction::Out,
        _ => return Ok(redirect_err(&back_to(Some(date)), lang.tr("Direction: in or out."))),
    };
    let Some(mode) = Mode::parse(&f.mode) else {
        return Ok(redirect_err(&back_to(Some(date)), lang.tr("Rules: office or field.")));
    };
    let reason = f.reason.as_str();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        let msg = tr!(lang, "Reason: required, at most {max_reason_chars} characters.", max_reason_chars = MAX_REASON_CHARS);
        return Ok(redirect_err(&back_to(Some(date)), &msg));
    }
    let media = match attachment.as_ref().map(check_attachment).transpose() {
        Ok(m) => m,
        Err(problem) => return Ok(redirect_err(&back_to(Some(date)), &problem.to_string())),
    };
    let now = (st.clock)();
    // The time as the employee's site's clock showed it.
    let at = PrimitiveDateTime::new(date, time).assume_offset(st.zones().await?.of(&e.site_id).offset());
    if at > now {
        return Ok(redirect_err(&back_to(Some(date)), lang.tr("Date/time: a manual entry cannot be in the future.")));
    }
    let new = NewManualPunch { employee_id: &e.id, direction, at, mode, reason, attachment: attachment.as_ref().zip(media), by: &s.user.username };
    let id = st.store.add_manual_punch(&new, now).await?;
    let what = format!("manual {} {} {:02}:{:02}", if direction == Direction::In { "IN" } else { "OUT" }, date_str(date), time.hour(), time.minute());
    st.store.note_closed_change(&e.id, date, &what, reason, &s.user.username, now).await?;
    st.store.audit(&s.user.username, "manual_punch", &format!("entry {id}: {} {what}: {reason}", e.id), now).await?;
    Ok(redirect_ok(&back_to(Some(date)), lang.tr("Manual entry recorded")))
}

/// Cancels a manual entry (administrators; audited, flagged when its month is closed).
pub async fn cancel(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<CancelForm>) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    s.check_csrf(Some(&f.csrf))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("manual entry: administrators only".into()));
    }
    let lang = s.lang;
    let e = st.store.manual_entry(id).await?.ok_or(AppError::NotFound)?;
    employee_in_scope(&st, &s, &e.employee_id).await?;
    let date = e.at.date();
    let back = format!("/reports/employee?id={}&year={}&month={}", e.employee_id, date.year(), u8::from(date.month()));
    let reason = f.reason.as_str();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Ok(redirect_err(&back, lang.tr("A reason for the cancellation is required.")));
    }
    let now = (st.clock)();
    if !st.store.cancel_manual_punch(id, reason, &s.user.username, now).await? {
        return Ok(redirect_err(&back, lang.tr("This entry was cancelled already.")));
    }
    let what = format!("manual {} {} {:02}:{:02} cancelled", if e.direction == Direction::In { "IN" } else { "OUT" }, date_str(date), e.at.hour(), e.at.minute());
    st.store.note_closed_change(&e.employee_id, date, &what, reason, &s.user.username, now).await?;
    st.store.audit(&s.user.username, "manual_punch_cancelled", &format!("entry {id}: {} {what}: {reason}", e.employee_id), now).await?;
    Ok(redirect_ok(&back, lang.tr("Manual entry cancelled")))
}

/// A manual entry's attachment (whoever may see the employee).
pub async fn attachment(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, AppError> {
    s.require(Page::Reports)?;
    let (employee, name, media, bytes) = st.store.manual_attachment(id).await?.ok_or(AppError::NotFound)?;
    employee_in_scope(&st, &s, &employee).await?;
    Ok(attachment_response(media, &name, bytes))
}
