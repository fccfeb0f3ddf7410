//! One's own account, for every role: change the password (the current one asked again), and
//! sign out of every session on every device; for administrators, two-step verification.
//!
//! Owns the form and its checks; the policy is [`crate::people::password`]'s and the hashing
//! [`super::auth`]'s, both off the async workers. A changed password ends every session of the
//! account, this one included: whoever held one must sign in again with the new password.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{self, Page};
use super::html::{csrf_input, page};
use super::forms::{CsrfOnly, trimmed};
use super::pages::{Flash, flash, redirect_err, redirect_ok};
use super::totp;
use super::{AppError, AppState, Session};
use crate::storage::accounts::Role;

/// The account page.
pub async fn account(State(_st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Account)?;
    let lang = s.lang;
    let max = crate::people::password::MAX_LENGTH;
    // A password someone else chose opens only this page until it is replaced.
    let temporary = s.user.temporary_until_ms.is_some();
    let cur = if temporary { lang.tr("Temporary password") } else { lang.tr("Current password") };
    let body = html! {
        @if temporary {
            div.flash id="choose-password" { (lang.tr("You signed in with a temporary password. Choose your own password to go on.")) }
        } @else {
            (flash(&q))
        }
        section.card id="password" {
            h2 { (lang.tr("Change the password")) }
            p.muted { (lang.tr("At least 12 characters and not a common password. Once changed, every session of this account ends; sign in again with the new password.")) }
            form method="post" action="/account/password" {
                (csrf_input(&s.csrf))
                label { (cur) input type="password" name="current" required autocomplete="current-password" maxlength=(max); }
                label { (lang.tr("New password")) input type="password" name="new" required autocomplete="new-password" minlength=(crate::people::password::MIN_LENGTH) maxlength=(max); }
                label { (lang.tr("New password again")) input type="password" name="again" required autocomplete="new-password" maxlength=(max); }
                button { (lang.tr("Change")) }
            }
        }
        section.card id="sessions" {
            h2 { (lang.tr("Sessions")) }
            p.muted { (lang.tr("Sign out on every device this account is signed in on (a lost phone, say).")) }
            form method="post" action="/account/sessions/end" {
                (csrf_input(&s.csrf))
                button.reject { (lang.tr("Sign out everywhere")) }
            }
        }
        (second_factor_card(&s))
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Account, lang.tr("My account"), body)))
}

/// An administrator's second factor: how to turn it on (a new secret for the app, confirmed
/// with a code and the password), or the form that turns it off. Empty for other roles.
fn second_factor_card(s: &Session) -> Markup {
    if s.user.role != Role::Admin {
        return html! {};
    }
    let lang = s.lang;
    let pw = lang.tr("Current password");
    let max = crate::people::password::MAX_LENGTH;
    if s.user.totp_secret.is_some() {
        return html! {
            section.card id="totp" {
                h2 { (lang.tr("Two-step verification")) }
                p.ok { (lang.tr("On: every sign-in asks for a code from the authenticator app.")) }
                form method="post" action="/account/totp" class="inline" {
                    (csrf_input(&s.csrf))
                    input type="hidden" name="action" value="off";
                    label { (pw) input type="password" name="current" required autocomplete="current-password" maxlength=(max); }
                    button.reject { (lang.tr("Turn off")) }
                }
            }
        };
    }
    let secret = totp::new_secret();
    let key = totp::base32(&secret);
    let grouped: Vec<String> = key.as_bytes().chunks(4).map(|g| String::from_utf8_lossy(g).into_owned()).collect();
    html! {
        section.card id="totp" {
            h2 { (lang.tr("Two-step verification")) }
            p.muted { (lang.tr("For administrator accounts: add this key to an authenticator app (Google Authenticator, Aegis, FreeOTP …), then type the 6-digit code it shows. Once on, every sign-in asks for that code. If the phone is lost, another administrator resets this account's password (which also turns two-step verification off).")) }
            p.new-pin id="totp-key" { (grouped.join(" ")) }
            p.muted { code id="totp-uri" { (totp::uri("Hadir", &s.user.username, &secret)) } }
            form method="post" action="/account/totp" class="inline" {
                (csrf_input(&s.csrf))
                input type="hidden" name="action" value="on";
                input type="hidden" name="secret" value=(key);
                label { (lang.tr("Code from the app")) input name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}"; }
                label { (pw) input type="password" name="current" required autocomplete="current-password" maxlength=(max); }
                button { (lang.tr("Turn on")) }
            }
        }
    }
}

/// The form of `POST /account/totp`: turn the second factor on (with the new secret and a code
/// from the app) or off; the current password either way.
#[derive(Debug, Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    current: String,
    #[serde(default, deserialize_with = "trimmed")]
    secret: String,
    #[serde(default, deserialize_with = "trimmed")]
    code: String,
}

/// The form of `POST /account/password`; passwords are taken as typed, spaces included.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

/// Turns an administrator's second factor on (the new secret confirmed by a code from the app)
/// or off; the current password is asked again either way; audited.
pub async fn set_second_factor(State(st): State<AppState>, s: Session, Form(f): Form<SecondFactorForm>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(Some(&f.csrf))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("two-step verification: administrators".into()));
    }
    let lang = s.lang;
    let current: String = f.current.chars().take(crate::people::password::MAX_LENGTH + 1).collect();
    let stored = s.user.password_hash.clone();
    let right = tokio::task::spawn_blocking(move || auth::verify_password(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(format!("password task: {e}")))?;
    let now = (st.clock)();
    if !right {
        st.store.audit(&s.user.username, "totp_refused", "the current password was wrong", now).await?;
        return Ok(redirect_err("/account", lang.tr("The current password is wrong.")));
    }
    match f.action.as_str() {
        "off" => {
            st.store.set_totp(s.user.id, None).await?;
            st.store.audit(&s.user.username, "totp_off", "", now).await?;
            Ok(redirect_ok("/account", lang.tr("Two-step verification turned off")))
        }
        "on" => {
            let secret = totp::from_base32(&f.secret).filter(|b| b.len() == totp::SECRET_BYTES).ok_or_else(|| AppError::BadRequest("secret".into()))?;
            let Some(step) = totp::verify(&secret, &f.code, now.unix_timestamp(), None) else {
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
pub async fn change_password(State(st): State<AppState>, s: Session, Form(f): Form<PasswordForm>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let max = crate::people::password::MAX_LENGTH;
    let (current, new) = (f.current.chars().take(max + 1).collect::<String>(), f.new);
    if new != f.again {
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
pub async fn end_sessions(State(st): State<AppState>, s: Session, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Account)?;
    s.check_csrf(Some(&f.csrf))?;
    let ended = st.store.delete_sessions_of(s.user.id).await?;
    st.store.audit(&s.user.username, "sessions_ended", &format!("{ended} sessions ended"), (st.clock)()).await?;
    Ok(redirect_ok("/login", s.lang.tr("Every session ended")))
}
