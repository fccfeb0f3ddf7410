//! An employee's own pages (self-service): their month, as the recap that pays their
//! allowance computes it — days, lateness, early leave, overtime, excused days, the deduction
//! that follows, and what still waits for their supervisor — and their leave requests: filed
//! here, decided by their supervisor on the leave page, the state shown here.
//!
//! The employee comes only from the session's account, never from the request: there is no
//! parameter that names someone else, so no one else's month can be asked for. Built for a
//! phone first (the tables stack into cards there).

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, Response};
use maud::{Markup, html};

use super::auth::Page;
use super::html::page;
use super::i18n::tr;
use super::leave_pages::{LeaveForm, attachment_response, file_checked, filing_form, form_with_attachment, kind_label, state_html};
use super::pages::{flash, redirect_err, redirect_ok};
use super::report_pages::{MonthQuery, month_of, table_html};
use super::{AppError, AppState, Session};
use crate::reports::employee_month_table;
use crate::storage::calendar::date_str;
use crate::reports::month::{Scope, employee_month};

/// `GET /me?year=&month=`: the signed-in employee's month.
pub async fn own_month(State(st): State<AppState>, s: Session, Query(q): Query<MonthQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Own)?;
    let lang = s.lang;
    let id = s.user.employee_id.clone().ok_or(AppError::NotFound)?;
    let (year, month) = month_of(&st, &q)?;
    let ctx = st.context(&Scope::All).await?;
    let (info, days, recap) = employee_month(&st.store, &ctx, &id, year, month).await?.ok_or(AppError::NotFound)?;
    let table = employee_month_table(lang, &info, year, month, &days, &recap);
    let excused = recap.cuti + recap.sakit + recap.izin + recap.travel;
    let stats = [
        ("present", lang.tr("Present"), format!("{} / {}", recap.days_present, recap.days_scheduled)),
        ("late", lang.tr("Minutes late"), recap.late_minutes_total.to_string()),
        ("early", lang.tr("Minutes left early"), recap.early_minutes.iter().sum::<u32>().to_string()),
        ("overtime", lang.tr("Overtime (hours)"), format!("{:.1}", f64::from(recap.overtime_minutes) / 60.0)),
        ("excused", lang.tr("Leave, sick, permitted, travel"), excused.to_string()),
        ("absent", lang.tr("Absent"), recap.absent.to_string()),
        ("pending", lang.tr("Awaiting confirmation"), recap.pending.to_string()),
        ("deduction", lang.tr("Allowance deduction"), format!("{:.2}%", f64::from(recap.deduction_bp) / 100.0)),
    ];
    let (prev, next) = (neighbour(year, month, -1), neighbour(year, month, 1));
    let leave = leave_card(&st, &s, &id).await?;
    let body = html! {
        (flash(&q.flash))
        p.muted id="own-name" { (info.name) " · NIP " (info.id) " · " (info.section_name) }
        div.grid id="own-stats" {
            @for (key, label, value) in &stats { div.stat data-stat=(key) { b { (value) } (label) } }
        }
        @if recap.pending > 0 {
            p.card.warn { (tr!(lang, "{pending} of your records await your supervisor's confirmation; those days count once decided.", pending = recap.pending)) }
        }
        p.months {
            a href=(format!("/me?year={}&month={}", prev.0, u8::from(prev.1))) rel="prev" { "‹ " (lang.month(prev.1)) }
            " "
            a href=(format!("/me?year={}&month={}", next.0, u8::from(next.1))) rel="next" { (lang.month(next.1)) " ›" }
        }
        (table_html(&table))
        (leave)
    };
    let title = format!("{} — {} {year}", lang.tr("My attendance"), lang.month(month));
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Own, &title, body)))
}

/// The employee's leave requests with their state, and the form that files one.
async fn leave_card(st: &AppState, s: &Session, id: &str) -> Result<Markup, AppError> {
    let lang = s.lang;
    let requests = st.store.leave_requests_of(id, 100).await?;
    Ok(html! {
        section.card id="leave" {
            h2 { (lang.tr("Leave, sick, permitted absence, travel")) }
            p.muted { (lang.tr("File for one day or several, with a letter if you have one (PDF or photo). Your supervisor approves or refuses; approved days do not count as absence.")) }
            (filing_form(lang, &s.csrf, "/me/leave", html! {}))
            @if requests.is_empty() {
                p.muted { (lang.tr("No requests yet.")) }
            } @else {
                table.stack id="own-leave" { tbody {
                    @for req in &requests {
                        tr data-leave=(req.id) {
                            td data-label=(lang.tr("Kind")) { (kind_label(lang, req.kind)) }
                            td data-label=(lang.tr("Dates")) { (date_str(req.from)) " – " (date_str(req.to)) }
                            td data-label=(lang.tr("Reason")) {
                                (req.reason)
                                @if let Some(name) = &req.attachment_name { br; a href=(format!("/me/leave/{}/attachment", req.id)) { (name) } }
                            }
                            td.state data-label=(lang.tr("State")) { (state_html(lang, req)) }
                        }
                    }
                } }
            }
        }
    })
}

/// `POST /me/leave` (multipart): the employee files their own request.
pub async fn file_own_leave(State(st): State<AppState>, s: Session, form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Own)?;
    let id = s.user.employee_id.clone().ok_or(AppError::NotFound)?;
    let (fields, attachment): (LeaveForm, _) = form_with_attachment(s.lang, form).await?;
    s.check_csrf(Some(&fields.csrf))?;
    Ok(match file_checked(&st, &s, &id, &fields, attachment.as_ref()).await? {
        Ok(msg) => redirect_ok("/me", msg),
        Err(why) => redirect_err("/me", &why),
    })
}

/// `GET /me/leave/{id}/attachment`: the letter of one of the employee's own requests (anyone
/// else's is not found).
pub async fn own_attachment(State(st): State<AppState>, s: Session, Path(request): Path<i64>) -> Result<Response, AppError> {
    s.require(Page::Own)?;
    let req = st.store.leave_request(request).await?.ok_or(AppError::NotFound)?;
    if s.user.employee_id.as_deref() != Some(req.employee_id.as_str()) {
        return Err(AppError::NotFound);
    }
    let (media, bytes) = st.store.leave_attachment(request).await?.ok_or(AppError::NotFound)?;
    Ok(attachment_response(media, &req.attachment_name.unwrap_or_default(), bytes))
}

/// The month `step` months from (`year`, `month`).
fn neighbour(year: i32, month: time::Month, step: i32) -> (i32, time::Month) {
    let index = year * 12 + i32::from(u8::from(month)) - 1 + step;
    let m = u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    (index.div_euclid(12), time::Month::try_from(m).unwrap_or(time::Month::January))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month::*;

    #[test]
    fn neighbouring_months_cross_years() {
        let cases = [((2026, January), -1, (2025, December)), ((2026, December), 1, (2027, January)), ((2026, June), 1, (2026, July)), ((2026, June), -1, (2026, May))];
        for ((y, m), step, want) in cases {
            assert_eq!(neighbour(y, m, step), want, "{y}-{m} {step}");
        }
    }
}
