//! The audit log as admins read it, and the recording of every refused request.
//!
//! [`log_denied`] wraps the whole dashboard router: whenever a response is `403 Forbidden` (a
//! role reaching for a page it may not use, a supervisor asking for another section, a form
//! without its CSRF token) it logs a `tracing` warning with the user, method, path and reason,
//! and appends an `access_denied` line to the audit log. The reason travels from the handler in
//! the response's [`Denied`] extension, so the handler that refuses does not need the store.
//!
//! Requests without a session are logged with tracing only: an anonymous flood of forged forms
//! must not grow the audit table (the login form's own failures are audited as `login_failed`).
//!
//! [`audit`] is the admin's page: newest first, filtered by action or user, paged.

use std::fmt::Write as _;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, Response};
use maud::html;
use serde::Deserialize;

use super::auth::{self, Page};
use super::forms::trimmed;
use super::html::{page, url_escape};
use super::i18n::Lang;
use crate::storage::calendar::date_str;
use super::{AppError, AppState, Denied, SESSION_COOKIE, Session};

/// Page size of the audit page.
pub const PAGE_LINES: i64 = 100;

/// Logs and audits every 403 of the dashboard (see the module documentation).
pub async fn log_denied(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| auth::cookie(c, SESSION_COOKIE))
        .map(auth::token_hash);
    let response = next.run(req).await;
    if response.status() != StatusCode::FORBIDDEN {
        return response;
    }
    let reason = response.extensions().get::<Denied>().map_or_else(|| "forbidden".to_owned(), |d| d.0.clone());
    let now = (st.clock)();
    let user = match token {
        Some(t) => st.store.session(&t, now).await.ok().flatten().map(|(u, _)| u),
        None => None,
    };
    match user {
        Some(u) => {
            tracing::warn!(user = %u.username, role = u.role.as_str(), %method, path, reason, "dashboard: access denied");
            if let Err(e) = st.store.audit(&u.username, "access_denied", &format!("{method} {path}: {reason}"), now).await {
                tracing::error!(error = %e, "access denial not written to the audit log");
            }
        }
        None => tracing::warn!(%method, path, reason, "dashboard: access denied without a session"),
    }
    response
}

/// A machine action name as people read it (an unknown one as it is, escaped by the page).
pub fn action_label(lang: Lang, action: &str) -> String {
    let text = match action {
        "login" => lang.tr("Sign-in"),
        "login_failed" => lang.tr("Failed sign-in"),
        "access_denied" => lang.tr("Access denied"),
        "enrol_face" => lang.tr("Face enrolment"),
        "enrol_refused" => lang.tr("Face enrolment refused"),
        "pin_reset" => lang.tr("PIN reset"),
        "confirm_record" => lang.tr("Record confirmed"),
        "reject_record" => lang.tr("Record rejected"),
        "correction" => lang.tr("Correction"),
        "revoke_device" => lang.tr("Device revoked"),
        "settings" => lang.tr("Rule settings"),
        "holiday" => lang.tr("Holiday"),
        "section" => lang.tr("Section"),
        "site" => lang.tr("Site"),
        "zk_status_rule" => lang.tr("Terminals' status codes"),
        "terminal_user_number" => lang.tr("Terminal user number"),
        "employee_saved" => lang.tr("Employee's details saved"),
        "section_period" => lang.tr("Special hours"),
        "employee_schedule" => lang.tr("Employee's schedule"),
        "field_assignment" => lang.tr("Field assignment"),
        "field_assignment_removed" => lang.tr("Field assignment removed"),
        "add_user" => lang.tr("New user"),
        "board_token" => lang.tr("Board link"),
        "assign_section" => lang.tr("Section assigned"),
        "letterhead" => lang.tr("Report letterhead"),
        "password_changed" => lang.tr("Password changed"),
        "password_change_refused" => lang.tr("Password change refused"),
        "sessions_ended" => lang.tr_in("audit action", "Every session ended"),
        "user_role_changed" => lang.tr("User's role changed"),
        "user_disabled" => lang.tr("Account disabled"),
        "user_enabled" => lang.tr("Account enabled"),
        "password_reset" => lang.tr("Password reset"),
        "totp_on" => lang.tr("Two-step verification on"),
        "totp_off" => lang.tr("Two-step verification off"),
        "totp_refused" => lang.tr("Two-step verification refused"),
        "employee_code_issued" => lang.tr("Employee sign-in code made"),
        "login_disabled" => lang.tr("Sign-in refused: account disabled"),
        "login_code_expired" => lang.tr("Sign-in refused: temporary password expired"),
        "manual_punch" => lang.tr("Manual entry"),
        "manual_punch_cancelled" => lang.tr("Manual entry cancelled"),
        "export_employee" => lang.tr("Employee's daily recap exported"),
        "export_month" => lang.tr("Monthly recap exported"),
        "export_date" => lang.tr("Recap per date exported"),
        "template_key_rotate" => lang.tr("Face-template key rotated"),
        other => return other.to_owned(),
    };
    text.to_owned()
}

/// The query of the audit page: the filters and where the page starts.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    user: String,
    /// The id below which the page starts (older lines); anything but a number is ignored.
    #[serde(default, deserialize_with = "trimmed")]
    before: String,
}

/// The audit log (admins): newest first, filter by action and user, older lines by paging.
pub async fn audit(State(st): State<AppState>, s: Session, Query(q): Query<AuditQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Audit)?;
    let lang = s.lang;
    let action = Some(q.action.as_str()).filter(|v| !v.is_empty());
    let by = Some(q.user.as_str()).filter(|v| !v.is_empty());
    let before = q.before.parse::<i64>().ok();
    let lines = st.store.audit_lines(action, by, before, PAGE_LINES).await?;
    let actions = st.store.audit_actions().await?;
    let off = st.offset();
    let older = (lines.len() as i64 == PAGE_LINES).then(|| {
        let oldest = lines.last().map_or(0, |l| l.id);
        let mut qs = format!("before={oldest}");
        if let Some(a) = action {
            let _ = write!(qs, "&action={}", url_escape(a));
        }
        if let Some(u) = by {
            let _ = write!(qs, "&user={}", url_escape(u));
        }
        format!("/audit?{qs}")
    });
    let body = html! {
        form.inline.card method="get" {
            label { (lang.tr("Action")) select name="action" {
                option value="" { (lang.tr("All actions")) }
                @for a in &actions {
                    option value=(a) selected[Some(a.as_str()) == action] { (action_label(lang, a)) }
                }
            } }
            label { (lang.tr("User")) input name="user" value=(by.unwrap_or("")); }
            button { (lang.tr("Show")) }
        }
        div.card.scroll { table id="audit" {
            thead { tr { th { (lang.tr("Time")) } th { (lang.tr("User")) } th { (lang.tr("Action")) } th { (lang.tr("Details")) } } }
            tbody {
                @for l in &lines {
                    @let at = l.at.to_offset(off);
                    @let refused = l.action == "access_denied" || l.action.ends_with("_refused") || l.action == "login_failed";
                    tr data-action=(l.action) class=[refused.then_some("late")] {
                        td { (date_str(at.date())) " " (format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())) }
                        td { (l.by) }
                        td { (action_label(lang, &l.action)) }
                        td { (l.detail) }
                    }
                }
            }
        } }
        @if lines.is_empty() {
            p.muted { (lang.tr("No log lines.")) }
        }
        @if let Some(href) = older {
            p { a href=(href) { (lang.tr("Older »")) } }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Audit, lang.tr("Audit log"), body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_translate_known_actions_and_keep_unknown_ones() {
        assert_eq!(action_label(Lang::Id, "access_denied"), "Akses ditolak");
        assert_eq!(action_label(Lang::En, "pin_reset"), "PIN reset");
        assert_eq!(action_label(Lang::Id, "<x>"), "<x>");
    }
}
