//! Signing in and out: the login form (with a pre-session CSRF token), the password and the
//! second factor checked off the async workers and rate-limited per name and address, the
//! session cookie, and the language switch. Each handler's refusals are audited.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::auth;
use super::forms::{CsrfOnly, trimmed};
use super::html::csrf_input;
use super::i18n::{Lang, tr};
use super::{AppError, AppState, SESSION_COOKIE, Session};

const PRELOGIN_COOKIE: &str = "hadir_prelogin";

/// The login form, with a pre-session CSRF token in a cookie and the form.
pub async fn login_form(State(st): State<AppState>, headers: HeaderMap) -> Response {
    st.warm_reports();
    let parts_lang = lang_from_headers(&headers);
    login_page(&st, parts_lang, None)
}

fn lang_from_headers(h: &HeaderMap) -> Lang {
    h.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|c| auth::cookie(c, "hadir_lang")).map(Lang::parse).unwrap_or_default()
}

fn login_page(st: &AppState, lang: Lang, error: Option<&str>) -> Response {
    let token = auth::random_token();
    let body = html! {
        @if let Some(e) = error { div.flash.error { (e) } }
        form method="post" action="/login" class="card" {
            (csrf_input(&token))
            label { (lang.tr("User name")) input name="username" autocomplete="username" required autofocus; } br;
            label { (lang.tr("Password")) input name="password" type="password" autocomplete="current-password" required; } br;
            label { (lang.tr("Verification code (when turned on)")) input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}"; } br;
            button type="submit" id="login" { (lang.tr("Sign in")) }
        }
        p { @if lang == Lang::Id { a href="/lang/en" { "English" } } @else { a href="/lang/id" { "Bahasa Indonesia" } } }
    };
    let mut r = Html(super::html::bare(lang, lang.tr("Sign in to Hadir"), body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(PRELOGIN_COOKIE, &token, 900, st.config.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    if error.is_some() {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    r
}

/// The login form. The password is taken as typed (spaces included), as it was set.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, deserialize_with = "trimmed")]
    code: String,
}

/// Checks the password, rate-limited per user name, and starts a session.
pub async fn login(
    State(st): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_from_headers(&headers);
    let pre = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|c| auth::cookie(c, PRELOGIN_COOKIE));
    if !pre.is_some_and(|p| auth::constant_time_eq(p, &f.csrf)) {
        return AppError::Csrf.into_response();
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let addr = st.config.client_address(peer.map(|p| p.0.0.ip()), forwarded);
    let typed = f.username.as_str();
    // Names are short; a longer one is nobody's and is neither looked up nor stored whole.
    let username: String = typed.chars().take(auth::MAX_USERNAME_CHARS).collect();
    let too_long = typed.chars().count() > auth::MAX_USERNAME_CHARS;
    let now = (st.clock)();
    let begun = st.limiter.lock().map_or(Err(Duration::seconds(auth::ACCOUNT_MAX_DELAY_S)), |mut l| l.begin(&username, addr, now));
    if let Err(wait) = begun {
        let seconds = wait.whole_seconds().max(1);
        let text = tr!(lang, "Too many failed attempts. Try again in {seconds} seconds.", seconds = seconds);
        let mut r = login_page(&st, lang, Some(&text));
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let user = if too_long {
        None
    } else {
        match st.store.user_by_name(&username).await {
            Ok(u) => u,
            Err(e) => return AppError::Storage(e).into_response(),
        }
    };
    // Verify against a fixed hash when the user does not exist, so timing does not tell.
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let password: String = f.password.chars().take(crate::people::password::MAX_LENGTH + 1).collect();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => auth::verify_password(&password, &hash),
        None => {
            let _ = auth::verify_password(&password, DUMMY_HASH);
            false
        }
    })
    .await;
    let ok = match verified {
        Ok(ok) => ok,
        Err(e) => return AppError::Internal(format!("password check task: {e}")).into_response(),
    };
    // With a second factor, a wrong or missing code fails like a wrong password (the answer
    // never tells that the password was right), and a code is good once.
    let second = match (&user, ok) {
        (Some(u), true) => match second_factor(&st, u, &f.code, now).await {
            Ok(passed) => passed,
            Err(e) => return e.into_response(),
        },
        _ => true,
    };
    let (true, true, Some(user)) = (ok, second, user) else {
        // The failure was counted when the attempt began.
        let from = addr.map(|a| a.to_string()).unwrap_or_default();
        let detail = if ok { format!("{from} (verification code)") } else { from };
        let _ = st.store.audit(&username, "login_failed", &detail, now).await;
        return login_page(&st, lang, Some(lang.tr("Wrong user name, password or verification code.")));
    };
    if let Ok(mut l) = st.limiter.lock() {
        l.succeeded(&username, addr);
    }
    // Said only to whoever knows the password: to anyone else the account looks like any other.
    let now_ms = crate::storage::dt_to_ms(now);
    let refused = if user.disabled_at_ms.is_some() {
        Some(("login_disabled", lang.tr("This account is disabled. Ask an administrator.")))
    } else if user.temporary_until_ms.is_some_and(|until| until <= now_ms) {
        Some((
            "login_code_expired",
            lang.tr("This temporary password has expired. Ask for a new one."),
        ))
    } else {
        None
    };
    if let Some((action, text)) = refused {
        let _ = st.store.audit(&user.username, action, "", now).await;
        return login_page(&st, lang, Some(text));
    }
    let token = auth::random_token();
    let csrf = auth::random_token();
    let hours = st.config.session_hours;
    if let Err(e) = st.store.create_session(&auth::token_hash(&token), user.id, &csrf, now + Duration::hours(hours)).await {
        return AppError::Storage(e).into_response();
    }
    let _ = st.store.audit(&user.username, "login", "", now).await;
    let mut r = Redirect::to(auth::home(&user)).into_response();
    for c in [
        auth::set_cookie(SESSION_COOKIE, &token, hours * 3600, st.config.secure_cookies),
        auth::set_cookie(PRELOGIN_COOKIE, "", 0, st.config.secure_cookies),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// Whether `typed` passes the account's second factor (always, when it has none); the step
/// is marked used.
async fn second_factor(st: &AppState, user: &crate::storage::accounts::User, typed: &str, now: OffsetDateTime) -> Result<bool, AppError> {
    let Some(secret) = user.totp_secret.as_deref() else { return Ok(true) };
    let Some(secret) = super::totp::from_base32(secret) else {
        return Err(AppError::Internal(format!("account {}: the second factor's secret is not base32", user.username)));
    };
    match super::totp::verify(&secret, typed, now.unix_timestamp(), user.totp_last_step) {
        Some(step) => Ok(st.store.use_totp_step(user.id, step).await?),
        None => Ok(false),
    }
}

/// A valid Argon2 hash of a random string, verified against when the user name is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Qb0yqQkq5m9yRkq9j8o8m3bYk9c0c3lH7Hq3bJrFQmI";

/// Ends the session.
pub async fn logout(State(st): State<AppState>, s: Session, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.check_csrf(Some(&f.csrf))?;
    if let Some(t) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|c| auth::cookie(c, SESSION_COOKIE)) {
        st.store.delete_session(&auth::token_hash(t)).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(SESSION_COOKIE, "", 0, st.config.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Switches the language (a cookie; no other effect).
pub async fn set_lang(State(st): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::parse(&code);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/today".into());
    let mut r = Redirect::to(&back).into_response();
    let c = format!("hadir_lang={}; Path=/; Max-Age=31536000; SameSite=Lax{}", lang.code(), if st.config.secure_cookies { "; Secure" } else { "" });
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
