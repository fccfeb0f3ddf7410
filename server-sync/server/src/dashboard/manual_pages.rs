//! Manual IN and OUT entries on an employee's month page: the month's entries with their
//! reasons and state, and for administrators the form that adds one (with the supporting
//! letter) and the one that cancels a mistaken one (with its reason).
//!
//! Owns the form and its checks (a date, a time, IN or OUT, the rules' mode, a reason, an
//! optional PDF/JPEG/PNG); the entry itself is [`crate::storage::manual`]'s. An entry in a
//! closed month is flagged in the month's exports like every later change.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use hadir_rules::{Direction, Mode};
use time::{Date, Month, PrimitiveDateTime, Time};

use super::auth::Page;
use super::html::{csrf_field, esc};
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
pub async fn card(st: &AppState, s: &Session, employee_id: &str, year: i32, month: Month) -> Result<String, AppError> {
    let lang = s.lang;
    let e = employee_in_scope(st, s, employee_id).await?;
    let offset = st.zones().await?.of(&e.site_id).offset();
    let Some((from, to)) = month_bounds(offset, year, month) else { return Ok(String::new()) };
    let mut rows = String::new();
    for e in st.store.manual_entries(from, to).await?.into_iter().filter(|e| e.employee_id == employee_id) {
        let letter = match &e.attachment_name {
            Some(name) => format!(r#"<a href="/manual/{id}/attachment">{n}</a>"#, id = e.id, n = esc(name)),
            None => "-".into(),
        };
        let state = match (&e.cancelled, s.user.role == Role::Admin) {
            (Some((by, _, why)), _) => format!(r#"<span class="bad">{}</span> ({}: {})"#, lang.tr("Cancelled"), esc(by), esc(why)),
            (None, true) => format!(
                r#"<form method="post" action="/manual/{id}/cancel" class="inline" data-confirm="{q}">{c}<input name="reason" required maxlength="{MAX_REASON_CHARS}" placeholder="{ph}" aria-label="{ph}"><button class="reject">{b}</button></form>"#,
                id = e.id,
                q = lang.tr("Cancel this manual entry? It stays listed but counts no more."),
                c = csrf_field(&s.csrf),
                ph = lang.tr("Why it is cancelled"),
                b = lang.tr("Cancel"),
            ),
            (None, false) => format!(r#"<span class="ok">{}</span>"#, lang.tr("In force")),
        };
        let _ = write!(
            rows,
            r#"<tr data-manual="{id}"><td>{d} {hh:02}:{mm:02}</td><td>{dir}</td><td>{mode}</td><td>{reason}</td><td>{letter}</td><td>{by}</td><td class="state">{state}</td></tr>"#,
            id = e.id,
            d = date_str(e.at.date()),
            hh = e.at.hour(),
            mm = e.at.minute(),
            dir = if e.direction == Direction::In { lang.tr("In") } else { lang.tr("Out") },
            mode = if e.mode == Mode::Field { lang.tr("Field") } else { lang.tr("Office") },
            reason = esc(&e.reason),
            by = esc(&e.by),
        );
    }
    let mut out = format!(r#"<section class="card" id="manual"><h2>{}</h2>"#, lang.tr("Manual entries"));
    if rows.is_empty() {
        let _ = write!(out, r#"<p class="muted">{}</p>"#, lang.tr("No manual entries this month."));
    } else {
        let _ = write!(
            out,
            r#"<div class="scroll"><table><thead><tr><th>{w}</th><th>{d}</th><th>{m}</th><th>{r}</th><th>{l}</th><th>{b}</th><th>{st}</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
            w = lang.tr("Time"),
            d = lang.tr("Direction"),
            m = lang.tr("Rules"),
            r = lang.tr("Reason"),
            l = lang.tr("Attachment"),
            b = lang.tr("By"),
            st = lang.tr("State"),
        );
    }
    if s.user.role == Role::Admin {
        let _ = write!(
            out,
            r#"<p class="muted">{help}</p><form method="post" action="/manual" enctype="multipart/form-data" class="inline" id="manual-add">{c}<input type="hidden" name="employee" value="{e}">
<label>{dl}<input type="date" name="date" required></label><label>{tl}<input type="time" name="time" required></label>
<label>{dirl}<select name="direction"><option value="in">{in_}</option><option value="out">{out_}</option></select></label>
<label>{ml}<select name="mode"><option value="office">{office}</option><option value="field">{field}</option></select></label>
<label>{rl}<input name="reason" required maxlength="{MAX_REASON_CHARS}"></label><label>{al}<input type="file" name="attachment" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"></label><button>{add}</button></form>"#,
            help = lang.tr("For a punch that could not be made on a device (a forgotten OUT, a broken kiosk). A manual entry counts in the recaps, marked \"Manual\", and changes no device record. A mistaken entry is cancelled with a reason, never deleted."),
            c = csrf_field(&s.csrf),
            e = esc(employee_id),
            dl = lang.tr("Date"),
            tl = lang.tr_in("clock", "Time"),
            dirl = lang.tr("Direction"),
            in_ = lang.tr("In"),
            out_ = lang.tr("Out"),
            ml = lang.tr("Rules"),
            office = lang.tr("Office"),
            field = lang.tr("Field"),
            rl = lang.tr("Reason"),
            al = lang.tr("Attachment (PDF, JPEG, PNG; max. 2 MB)"),
            add = lang.tr("Add"),
        );
    }
    out.push_str("</section>");
    Ok(out)
}

type Fields = HashMap<String, String>;

/// Adds a manual entry (administrators; audited). A bad field is named and nothing is written.
pub async fn add(State(st): State<AppState>, s: Session, form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    let lang = s.lang;
    let (fields, attachment): (Fields, _) = form_with_attachment(lang, form).await?;
    s.check_csrf(fields.get("csrf"))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("manual entry: administrators only".into()));
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim()).unwrap_or("");
    let e = employee_in_scope(&st, &s, get("employee")).await?;
    let back_to = |date: Option<Date>| {
        let today = st.now().date();
        let d = date.unwrap_or(today);
        format!("/reports/employee?id={}&year={}&month={}", e.id, d.year(), u8::from(d.month()))
    };
    let date = parse_date(get("date"));
    let time = Time::parse(get("time"), time::macros::format_description!("[hour]:[minute]")).ok();
    let (Some(date), Some(time)) = (date, time) else {
        return Ok(redirect_err(&back_to(date), lang.tr("Date/time: give a date and a time (HH:MM).")));
    };
    let direction = match get("direction") {
        "in" => Direction::In,
        "out" => Direction::Out,
        _ => return Ok(redirect_err(&back_to(Some(date)), lang.tr("Direction: in or out."))),
    };
    let Some(mode) = Mode::parse(get("mode")) else {
        return Ok(redirect_err(&back_to(Some(date)), lang.tr("Rules: office or field.")));
    };
    let reason = get("reason");
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
pub async fn cancel(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    s.check_csrf(f.get("csrf"))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("manual entry: administrators only".into()));
    }
    let lang = s.lang;
    let e = st.store.manual_entry(id).await?.ok_or(AppError::NotFound)?;
    employee_in_scope(&st, &s, &e.employee_id).await?;
    let date = e.at.date();
    let back = format!("/reports/employee?id={}&year={}&month={}", e.employee_id, date.year(), u8::from(date.month()));
    let reason = f.get("reason").map_or("", |r| r.trim());
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
