//! One's own account, for every role: change the password (the current one asked again), and
//! sign out of every session on every device.
//!
//! Owns the form and its checks; the policy is [`crate::people::password`]'s and the hashing
//! [`super::auth`]'s, both off the async workers. A changed password ends every session of the
//! account, this one included: whoever held one must sign in again with the new password.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Response};

use super::auth::{self, Page};
use super::html::{csrf_field, page};
use super::pages::{flash, redirect_err, redirect_ok};
use super::{AppError, AppState, Session};

type Fields = HashMap<String, String>;

/// The account page.
pub async fn account(State(_st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Account)?;
    let lang = s.lang;
    let c = csrf_field(&s.csrf);
    let max = crate::people::password::MAX_LENGTH;
    // A password someone else chose opens only this page until it is replaced.
    let temporary = s.user.temporary_until_ms.is_some();
    let flash = if temporary {
        format!(
            r#"<div class="flash" id="choose-password">{}</div>"#,
            lang.pick(
                "Anda masuk dengan kata sandi sementara. Pilih kata sandi Anda sendiri untuk melanjutkan.",
                "You signed in with a temporary password. Choose your own password to go on.",
            )
        )
    } else {
        flash(&q)
    };
    let cur = if temporary { lang.pick("Kata sandi sementara", "Temporary password") } else { lang.pick("Kata sandi sekarang", "Current password") };
    let body = format!(
        r#"{flash}<section class="card" id="password"><h2>{t}</h2><p class="muted">{help}</p>
<form method="post" action="/account/password">{c}<label>{cur}<input type="password" name="current" required autocomplete="current-password" maxlength="{max}"></label>
<label>{new}<input type="password" name="new" required autocomplete="new-password" minlength="{min}" maxlength="{max}"></label>
<label>{again}<input type="password" name="again" required autocomplete="new-password" maxlength="{max}"></label><button>{save}</button></form></section>
<section class="card" id="sessions"><h2>{st}</h2><p class="muted">{shelp}</p><form method="post" action="/account/sessions/end">{c}<button class="reject">{end}</button></form></section>"#,
        t = lang.pick("Ganti kata sandi", "Change the password"),
        help = lang.pick(
            "Minimal 12 karakter dan bukan kata sandi umum. Setelah diganti, semua sesi akun ini berakhir; masuk lagi dengan kata sandi baru.",
            "At least 12 characters and not a common password. Once changed, every session of this account ends; sign in again with the new password.",
        ),
        new = lang.pick("Kata sandi baru", "New password"),
        again = lang.pick("Ulangi kata sandi baru", "New password again"),
        min = crate::people::password::MIN_LENGTH,
        save = lang.pick("Ganti", "Change"),
        st = lang.pick("Sesi", "Sessions"),
        shelp = lang.pick("Keluar dari semua perangkat tempat akun ini masuk (misalnya ponsel yang hilang).", "Sign out on every device this account is signed in on (a lost phone, say)."),
        end = lang.pick("Keluar dari semua sesi", "Sign out everywhere"),
    );
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Account, lang.pick("Akun saya", "My account"), &body)))
}

/// Changes one's own password (audited); every session of the account ends.
pub async fn change_password(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let max = crate::people::password::MAX_LENGTH;
    let (current, new) = (get("current").chars().take(max + 1).collect::<String>(), get("new").to_owned());
    if new != get("again") {
        return Ok(redirect_err("/account", lang.pick("Kata sandi baru dan ulangannya tidak sama.", "The new password and its repetition differ.")));
    }
    if let Err(weak) = crate::people::password::check(&new) {
        return Ok(redirect_err("/account", weak.text(lang)));
    }
    let now = (st.clock)();
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let stored = s.user.password_hash.clone();
    let hashed = tokio::task::spawn_blocking(move || auth::verify_password(&current, &stored).then(|| auth::hash_password(&new)))
        .await
        .map_err(|e| AppError::Internal(format!("password task: {e}")))?;
    let Some(hash) = hashed else {
        st.store.audit(&s.user.username, "password_change_refused", "the current password was wrong", now).await?;
        return Ok(redirect_err("/account", lang.pick("Kata sandi sekarang salah.", "The current password is wrong.")));
    };
    let hash = hash.map_err(|e| AppError::Internal(e.to_string()))?;
    st.store.set_password(s.user.id, &hash).await?;
    let ended = st.store.delete_sessions_of(s.user.id).await?;
    st.store.audit(&s.user.username, "password_changed", &format!("{ended} sessions ended"), now).await?;
    Ok(redirect_ok("/login", lang.pick("Kata sandi diganti; masuk lagi dengan kata sandi baru", "Password changed; sign in again with the new one")))
}

/// Ends every session of one's account (audited).
pub async fn end_sessions(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(f.get("csrf"))?;
    let ended = st.store.delete_sessions_of(s.user.id).await?;
    st.store.audit(&s.user.username, "sessions_ended", &format!("{ended} sessions ended"), (st.clock)()).await?;
    Ok(redirect_ok("/login", s.lang.pick("Semua sesi berakhir", "Every session ended")))
}
