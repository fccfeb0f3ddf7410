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

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, Response};

use super::auth::{self, Page};
use super::html::{esc, page};
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

/// A machine action name as people read it.
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
        other => return esc(other),
    };
    text.to_owned()
}

type Fields = HashMap<String, String>;

/// The audit log (admins): newest first, filter by action and user, older lines by paging.
pub async fn audit(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Audit)?;
    let lang = s.lang;
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let action = get("action");
    let by = get("user");
    let before = get("before").and_then(|v| v.parse::<i64>().ok());
    let lines = st.store.audit_lines(action, by, before, PAGE_LINES).await?;
    let mut opts = format!(r#"<option value="">{}</option>"#, lang.tr("All actions"));
    for a in st.store.audit_actions().await? {
        let _ = write!(
            opts,
            r#"<option value="{v}"{sel}>{l}</option>"#,
            v = esc(&a),
            sel = if Some(a.as_str()) == action { " selected" } else { "" },
            l = action_label(lang, &a)
        );
    }
    let mut body = format!(
        r#"<form class="inline card" method="get"><label>{al}<select name="action">{opts}</select></label>
<label>{ul}<input name="user" value="{u}"></label><button>{show}</button></form>
<div class="card scroll"><table id="audit"><thead><tr><th>{when}</th><th>{who}</th><th>{what}</th><th>{detail}</th></tr></thead><tbody>"#,
        al = lang.tr("Action"),
        ul = lang.tr("User"),
        u = esc(by.unwrap_or("")),
        show = lang.tr("Show"),
        when = lang.tr("Time"),
        who = lang.tr("User"),
        what = lang.tr("Action"),
        detail = lang.tr("Details"),
    );
    let off = st.offset();
    for l in &lines {
        let at = l.at.to_offset(off);
        let _ = write!(
            body,
            r#"<tr data-action="{a}"{cls}><td>{d} {h:02}:{m:02}:{sec:02}</td><td>{by}</td><td>{label}</td><td>{detail}</td></tr>"#,
            a = esc(&l.action),
            cls = if l.action == "access_denied" || l.action.ends_with("_refused") || l.action == "login_failed" { r#" class="late""# } else { "" },
            d = date_str(at.date()),
            h = at.hour(),
            m = at.minute(),
            sec = at.second(),
            by = esc(&l.by),
            label = action_label(lang, &l.action),
            detail = esc(&l.detail),
        );
    }
    body.push_str("</tbody></table></div>");
    if lines.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, lang.tr("No log lines."));
    } else if lines.len() as i64 == PAGE_LINES {
        let oldest = lines.last().map_or(0, |l| l.id);
        let mut qs = format!("before={oldest}");
        if let Some(a) = action {
            let _ = write!(qs, "&action={}", url_escape(a));
        }
        if let Some(u) = by {
            let _ = write!(qs, "&user={}", url_escape(u));
        }
        let _ = write!(body, r#"<p><a href="/audit?{qs}">{}</a></p>"#, lang.tr("Older »"));
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Audit, lang.tr("Audit log"), &body)))
}

fn url_escape(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_translate_known_actions_and_escape_unknown_ones() {
        assert_eq!(action_label(Lang::Id, "access_denied"), "Akses ditolak");
        assert_eq!(action_label(Lang::En, "pin_reset"), "PIN reset");
        assert_eq!(action_label(Lang::Id, "<x>"), "&lt;x&gt;");
        assert_eq!(url_escape("a b&c"), "a%20b%26c");
    }
}
