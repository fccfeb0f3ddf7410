//! One's own account, for every role: change the password (the current one asked again), and
//! sign out of every session on every device; for administrators, two-step verification.
//!
//! Owns the form and its checks; the policy is [`crate::people::password`]'s and the hashing
//! [`super::auth`]'s, both off the async workers. A changed password ends every session of the
//! account, this one included: whoever held one must sign in again with the new password.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Response};

use super::auth::{self, Page};
use super::html::{csrf_field, esc, page};
use super::totp;
use crate::storage::accounts::Role;
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
            lang.tr("You signed in with a temporary password. Choose your own password to go on.")
        )
    } else {
        flash(&q)
    };
    let cur = if temporary { lang.tr("Temporary password") } else { lang.tr("Current password") };
    let body = format!(
        r#"{flash}<section class="card" id="password"><h2>{t}</h2><p class="muted">{help}</p>
<form method="post" action="/account/password">{c}<label>{cur}<input type="password" name="current" required autocomplete="current-password" maxlength="{max}"></label>
<label>{new}<input type="password" name="new" required autocomplete="new-password" minlength="{min}" maxlength="{max}"></label>
<label>{again}<input type="password" name="again" required autocomplete="new-password" maxlength="{max}"></label><button>{save}</button></form></section>
<section class="card" id="sessions"><h2>{st}</h2><p class="muted">{shelp}</p><form method="post" action="/account/sessions/end">{c}<button class="reject">{end}</button></form></section>"#,
        t = lang.tr("Change the password"),
        help = lang.tr("At least 12 characters and not a common password. Once changed, every session of this account ends; sign in again with the new password."),
        new = lang.tr("New password"),
        again = lang.tr("New password again"),
        min = crate::people::password::MIN_LENGTH,
        save = lang.tr("Change"),
        st = lang.tr("Sessions"),
        shelp = lang.tr("Sign out on every device this account is signed in on (a lost phone, say)."),
        end = lang.tr("Sign out everywhere"),
    ) + &second_factor_card(&s);
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Account, lang.tr("My account"), &body)))
}

/// An administrator's second factor: how to turn it on (a new secret for the app, confirmed
/// with a code and the password), or the form that turns it off. Empty for other roles.
fn second_factor_card(s: &Session) -> String {
    if s.user.role != Role::Admin {
        return String::new();
    }
    let lang = s.lang;
    let c = csrf_field(&s.csrf);
    let pw = lang.tr("Current password");
    let max = crate::people::password::MAX_LENGTH;
    if s.user.totp_secret.is_some() {
        return format!(
            r#"<section class="card" id="totp"><h2>{t}</h2><p class="ok">{on}</p><form method="post" action="/account/totp" class="inline">{c}<input type="hidden" name="action" value="off">
<label>{pw}<input type="password" name="current" required autocomplete="current-password" maxlength="{max}"></label><button class="reject">{off}</button></form></section>"#,
            t = lang.tr("Two-step verification"),
            on = lang.tr("On: every sign-in asks for a code from the authenticator app."),
            off = lang.tr("Turn off"),
        );
    }
    let secret = totp::new_secret();
    let key = totp::base32(&secret);
    let grouped: Vec<String> = key.as_bytes().chunks(4).map(|g| String::from_utf8_lossy(g).into_owned()).collect();
    format!(
        r#"<section class="card" id="totp"><h2>{t}</h2><p class="muted">{help}</p><p class="new-pin" id="totp-key">{grouped}</p><p class="muted"><code id="totp-uri">{uri}</code></p>
<form method="post" action="/account/totp" class="inline">{c}<input type="hidden" name="action" value="on"><input type="hidden" name="secret" value="{key}">
<label>{code}<input name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{{6}}"></label>
<label>{pw}<input type="password" name="current" required autocomplete="current-password" maxlength="{max}"></label><button>{on}</button></form></section>"#,
        t = lang.tr("Two-step verification"),
        help = lang.tr("For administrator accounts: add this key to an authenticator app (Google Authenticator, Aegis, FreeOTP …), then type the 6-digit code it shows. Once on, every sign-in asks for that code. If the phone is lost, another administrator resets this account's password (which also turns two-step verification off)."),
        grouped = grouped.join(" "),
        uri = esc(&totp::uri("Hadir", &s.user.username, &secret)),
        code = lang.tr("Code from the app"),
        on = lang.tr("Turn on"),
    )
}

/// Turns an administrator's second factor on (the new secret confirmed by a code from the app)
/// or off; the current password is asked again either way; audited.
pub async fn set_second_factor(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(f.get("csrf"))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("two-step verification: administrators".into()));
    }
    let lang = s.lang;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let current: String = get("current").chars().take(crate::people::password::MAX_LENGTH + 1).collect();
    let stored = s.user.password_hash.clone();
    let right = tokio::task::spawn_blocking(move || auth::verify_password(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(format!("password task: {e}")))?;
    let now = (st.clock)();
    if !right {
        st.store.audit(&s.user.username, "totp_refused", "the current password was wrong", now).await?;
        return Ok(redirect_err("/account", lang.tr("The current password is wrong.")));
    }
    match get("action") {
        "off" => {
            st.store.set_totp(s.user.id, None).await?;
            st.store.audit(&s.user.username, "totp_off", "", now).await?;
            Ok(redirect_ok("/account", lang.tr("Two-step verification turned off")))
        }
        "on" => {
            let key = get("secret");
            let secret = totp::from_base32(key).filter(|b| b.len() == totp::SECRET_BYTES).ok_or_else(|| AppError::BadRequest("secret".into()))?;
            let Some(step) = totp::verify(&secret, get("code"), now.unix_timestamp(), None) else {
                return Ok(redirect_err(
                    "/account",
                    lang.tr("The code does not match: check the phone's clock and type the code shown now, with the new key below."),
                ));
            };
            st.store.set_totp(s.user.id, Some((&totp::base32(&secret), step))).await?;
            st.store.audit(&s.user.username, "totp_on", "", now).await?;
            Ok(redirect_ok("/account", lang.tr("Two-step verification turned on")))
        }
        _ => Err(AppError::BadRequest("action".into())),
    }
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
        return Ok(redirect_err("/account", lang.tr("The new password and its repetition differ.")));
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
        return Ok(redirect_err("/account", lang.tr("The current password is wrong.")));
    };
    let hash = hash.map_err(|e| AppError::Internal(e.to_string()))?;
    st.store.set_password(s.user.id, &hash).await?;
    let ended = st.store.delete_sessions_of(s.user.id).await?;
    st.store.audit(&s.user.username, "password_changed", &format!("{ended} sessions ended"), now).await?;
    Ok(redirect_ok("/login", lang.tr("Password changed; sign in again with the new one")))
}

/// Ends every session of one's account (audited).
pub async fn end_sessions(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(f.get("csrf"))?;
    let ended = st.store.delete_sessions_of(s.user.id).await?;
    st.store.audit(&s.user.username, "sessions_ended", &format!("{ended} sessions ended"), (st.clock)()).await?;
    Ok(redirect_ok("/login", s.lang.tr("Every session ended")))
}
