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
    let (id, en) = match action {
        "login" => ("Masuk", "Sign-in"),
        "login_failed" => ("Gagal masuk", "Failed sign-in"),
        "access_denied" => ("Akses ditolak", "Access denied"),
        "enrol_face" => ("Pendaftaran wajah", "Face enrolment"),
        "enrol_refused" => ("Pendaftaran wajah ditolak", "Face enrolment refused"),
        "pin_reset" => ("PIN diatur ulang", "PIN reset"),
        "confirm_record" => ("Rekaman dikonfirmasi", "Record confirmed"),
        "reject_record" => ("Rekaman ditolak", "Record rejected"),
        "correction" => ("Koreksi", "Correction"),
        "revoke_device" => ("Perangkat dicabut", "Device revoked"),
        "settings" => ("Pengaturan aturan", "Rule settings"),
        "holiday" => ("Hari libur", "Holiday"),
        "section" => ("Bidang", "Section"),
        "site" => ("Lokasi", "Site"),
        "zk_status_rule" => ("Arti kode status terminal", "Terminals' status codes"),
        "terminal_user_number" => ("Nomor pengguna terminal", "Terminal user number"),
        "employee_saved" => ("Data pegawai disimpan", "Employee's details saved"),
        "section_period" => ("Jadwal khusus", "Special hours"),
        "employee_schedule" => ("Jadwal pegawai", "Employee's schedule"),
        "field_assignment" => ("Penugasan lapangan", "Field assignment"),
        "field_assignment_removed" => ("Penugasan lapangan dihapus", "Field assignment removed"),
        "add_user" => ("Pengguna baru", "New user"),
        "board_token" => ("Tautan papan", "Board link"),
        "assign_section" => ("Pindah bidang", "Section assigned"),
        "letterhead" => ("Kop laporan", "Report letterhead"),
        "password_changed" => ("Kata sandi diganti", "Password changed"),
        "password_change_refused" => ("Ganti kata sandi ditolak", "Password change refused"),
        "sessions_ended" => ("Semua sesi diakhiri", "Every session ended"),
        "user_role_changed" => ("Peran pengguna diubah", "User's role changed"),
        "user_disabled" => ("Akun dinonaktifkan", "Account disabled"),
        "user_enabled" => ("Akun diaktifkan", "Account enabled"),
        "password_reset" => ("Kata sandi diatur ulang", "Password reset"),
        "totp_on" => ("Verifikasi dua langkah diaktifkan", "Two-step verification on"),
        "totp_off" => ("Verifikasi dua langkah dimatikan", "Two-step verification off"),
        "totp_refused" => ("Verifikasi dua langkah ditolak", "Two-step verification refused"),
        "employee_code_issued" => ("Kode masuk pegawai dibuat", "Employee sign-in code made"),
        "login_disabled" => ("Masuk ditolak: akun nonaktif", "Sign-in refused: account disabled"),
        "login_code_expired" => ("Masuk ditolak: kata sandi sementara kedaluwarsa", "Sign-in refused: temporary password expired"),
        "manual_punch" => ("Entri manual", "Manual entry"),
        "manual_punch_cancelled" => ("Entri manual dibatalkan", "Manual entry cancelled"),
        "export_employee" => ("Ekspor rekap harian pegawai", "Employee's daily recap exported"),
        "export_month" => ("Ekspor rekap bulanan", "Monthly recap exported"),
        "export_date" => ("Ekspor rekap per tanggal", "Recap per date exported"),
        "template_key_rotate" => ("Kunci templat wajah diganti", "Face-template key rotated"),
        other => return esc(other),
    };
    lang.pick(id, en).to_owned()
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
    let mut opts = format!(r#"<option value="">{}</option>"#, lang.pick("Semua tindakan", "All actions"));
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
        al = lang.pick("Tindakan", "Action"),
        ul = lang.pick("Pengguna", "User"),
        u = esc(by.unwrap_or("")),
        show = lang.pick("Tampilkan", "Show"),
        when = lang.pick("Waktu", "Time"),
        who = lang.pick("Pengguna", "User"),
        what = lang.pick("Tindakan", "Action"),
        detail = lang.pick("Rincian", "Details"),
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
        let _ = write!(body, r#"<p class="muted">{}</p>"#, lang.pick("Tidak ada baris log.", "No log lines."));
    } else if lines.len() as i64 == PAGE_LINES {
        let oldest = lines.last().map_or(0, |l| l.id);
        let mut qs = format!("before={oldest}");
        if let Some(a) = action {
            let _ = write!(qs, "&action={}", url_escape(a));
        }
        if let Some(u) = by {
            let _ = write!(qs, "&user={}", url_escape(u));
        }
        let _ = write!(body, r#"<p><a href="/audit?{qs}">{}</a></p>"#, lang.pick("Lebih lama »", "Older »"));
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Audit, lang.pick("Log audit", "Audit log"), &body)))
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
