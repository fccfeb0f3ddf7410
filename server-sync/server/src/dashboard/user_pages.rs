//! Who may sign in: the staff accounts on the settings page (add, change role and sections,
//! disable and enable, reset a password) and an employee's self-service account on their page
//! (a first-time sign-in code).
//!
//! A password someone else sets — a reset, a first-time code — is random, shown once on the
//! answer to the request that made it (never in a URL, never cached), works for
//! [`auth::TEMPORARY_PASSWORD_HOURS`] and only to choose a new one. Every change ends the
//! account's sessions, so new rights apply at once and a disabled account is out at once; each
//! is audited. An administrator cannot take their own rights or the last administrator's.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{self, Page};
use super::forms::{CsrfOnly, trimmed};
use super::html::{csrf_input, page, role_label};
use super::i18n::{Lang, tr};
use super::pages::redirect_ok;
use super::{AppError, AppState, Session};
use crate::storage::accounts::{Role, User};
use crate::storage::calendar::date_str;

/// The roles an administrator can give a staff account, in the order offered.
const STAFF_ROLES: [Role; 4] = [Role::Supervisor, Role::Operator, Role::Leadership, Role::Admin];

/// An account's state, as the users table shows it.
fn state_label(lang: Lang, u: &User, now_ms: i64, off: time::UtcOffset) -> Markup {
    let day = |ms: i64| crate::storage::ms_to_dt(ms).map(|t| date_str(t.to_offset(off).date())).unwrap_or_default();
    match (u.disabled_at_ms, u.temporary_until_ms) {
        (Some(at), _) => html! { span.bad { (lang.tr("disabled")) " " (day(at)) } },
        (None, Some(until)) if until <= now_ms => html! { span.bad { (lang.tr("temporary password expired")) } },
        (None, Some(until)) => html! { span.pending { (lang.tr("temporary password until")) " " (day(until)) } },
        (None, None) => html! { span.ok { (lang.tr("active")) } },
    }
}

/// The users card of the settings page: every staff account with its actions, and the form
/// that adds one.
pub async fn card(st: &AppState, s: &Session) -> Result<Markup, AppError> {
    let lang = s.lang;
    let now_ms = crate::storage::dt_to_ms((st.clock)());
    let role_options = |current: Option<Role>| {
        html! { @for r in STAFF_ROLES { option value=(r.as_str()) selected[Some(r) == current] { (role_label(lang, r)) } } }
    };
    let users = st.store.users().await?;
    let (user_name, role_and_sections, state) = (lang.tr("User name"), lang.tr("Role and sections"), lang.tr_in("account", "State"));
    let card = html! {
        section.card id="users" {
            h2 { (lang.tr("Users")) }
            p.muted { (lang.tr("Supervisors see and decide for their sections; operators enrol employees and devices; leadership sees every section and changes nothing; admins everything. A change of role ends the account's sessions.")) }
            table.stack {
                thead { tr { th { (user_name) } th { (role_and_sections) } th { (state) } th {} } }
                tbody {
                    @for u in &users {
                        @let own = u.id == s.user.id;
                        tr data-user=(u.username) {
                            td data-label=(user_name) { (u.username) }
                            td data-label=(role_and_sections) {
                                @if own {
                                    (role_label(lang, u.role))
                                } @else {
                                    form method="post" action=(format!("/settings/user/{}/role", u.id)) class="inline" {
                                        (csrf_input(&s.csrf))
                                        select name="role" aria-label=(lang.tr("Role")) { (role_options(Some(u.role))) }
                                        input name="sections" value=(u.sections.join(", ")) placeholder="BM, SDA" aria-label=(lang.tr("Sections (supervisor)")) size="10";
                                        button { (lang.tr("Save")) }
                                    }
                                }
                            }
                            td data-label=(state) { (state_label(lang, u, now_ms, st.offset())) }
                            td {
                                @if !own {
                                    @if u.disabled_at_ms.is_some() {
                                        form method="post" action=(format!("/settings/user/{}/enable", u.id)) class="inline" {
                                            (csrf_input(&s.csrf))
                                            button { (lang.tr("Enable")) }
                                        }
                                    } @else {
                                        form method="post" action=(format!("/settings/user/{}/disable", u.id)) class="inline" data-confirm=(lang.tr("Disable this account? All its sessions end at once.")) {
                                            (csrf_input(&s.csrf))
                                            button.reject { (lang.tr("Disable")) }
                                        }
                                    }
                                }
                                form method="post" action=(format!("/settings/user/{}/reset", u.id)) class="inline" data-confirm=(lang.tr("Make a temporary password for this account? Its old password stops working at once.")) {
                                    (csrf_input(&s.csrf))
                                    button { (lang.tr("Reset password")) }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action="/settings/user" class="inline" {
                (csrf_input(&s.csrf))
                label { (user_name) input name="username" required; }
                label { (lang.tr("Password (min. 12)")) input type="password" name="password" minlength=(crate::people::password::MIN_LENGTH) required autocomplete="new-password"; }
                label { (lang.tr("Role")) select name="role" { (role_options(None)) } }
                label { (lang.tr("Sections (supervisor)")) input name="sections" placeholder="BM, SDA"; }
                button { (lang.tr("Add")) }
            }
        }
    };
    Ok(card)
}

/// The form of `POST /settings/user` (a new staff account) and of a role change (without the
/// name and password).
#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    username: String,
    /// As typed: spaces in a password are the password's.
    #[serde(default)]
    password: String,
    #[serde(default, deserialize_with = "trimmed")]
    role: String,
    /// Section ids, comma-separated (a supervisor's).
    #[serde(default)]
    sections: String,
}

impl UserForm {
    fn sections(&self) -> Vec<&str> {
        self.sections.split(',').map(str::trim).filter(|x| !x.is_empty()).collect()
    }

    fn staff_role(&self) -> Result<Role, AppError> {
        Role::parse(&self.role).filter(|r| STAFF_ROLES.contains(r)).ok_or_else(|| AppError::BadRequest("role".into()))
    }
}

/// Argon2 takes tens of milliseconds of CPU: off the async workers.
async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("password hashing task: {e}")))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Adds a staff account (the password under the policy of `init-admin`'s).
pub async fn add_user(State(st): State<AppState>, s: Session, Form(f): Form<UserForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let role = f.staff_role()?;
    let pw = f.password.as_str();
    if let Err(weak) = crate::people::password::check(pw) {
        return Err(AppError::BadRequest(weak.text(s.lang).into()));
    }
    let hash = hash(pw.to_owned()).await?;
    let name = f.username.as_str();
    st.store
        .add_user(name, &hash, role, &f.sections())
        .await
        .map_err(|_| AppError::BadRequest(s.lang.tr("User name taken.").into()))?;
    st.store.audit(&s.user.username, "add_user", &format!("{name} {}", role.as_str()), (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("User added")))
}

/// The staff account `id`, refused when it is the administrator's own (nobody takes their own
/// rights by mistake) or when the change would leave no enabled administrator.
async fn other_account(st: &AppState, s: &Session, id: i64, keeps_admin: bool) -> Result<User, AppError> {
    let target = st.store.user_by_id(id).await?.filter(|u| u.role != Role::Employee).ok_or(AppError::NotFound)?;
    if target.id == s.user.id {
        return Err(AppError::BadRequest(s.lang.tr("Your own account cannot be changed here.").into()));
    }
    let enabled_admin = |u: &User| u.role == Role::Admin && u.disabled_at_ms.is_none();
    if enabled_admin(&target) && !keeps_admin && !st.store.users().await?.iter().any(|u| u.id != target.id && enabled_admin(u)) {
        return Err(AppError::BadRequest(s.lang.tr("One enabled administrator must remain.").into()));
    }
    Ok(target)
}

/// Changes a staff account's role and sections; its sessions end.
pub async fn set_role(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<UserForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let role = f.staff_role()?;
    let target = other_account(&st, &s, id, role == Role::Admin).await?;
    let sections = f.sections();
    st.store.set_user_role(id, role, &sections).await?;
    let detail = format!("{}: {} -> {} [{}]", target.username, target.role.as_str(), role.as_str(), sections.join(","));
    st.store.audit(&s.user.username, "user_role_changed", &detail, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Role saved; the account's sessions ended")))
}

/// Disables a staff account: it signs in nowhere and its sessions end at once.
pub async fn disable(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let now = (st.clock)();
    let target = other_account(&st, &s, id, false).await?;
    st.store.set_user_disabled(id, Some(crate::storage::dt_to_ms(now))).await?;
    st.store.audit(&s.user.username, "user_disabled", &target.username, now).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Account disabled; all its sessions ended")))
}

/// Enables a disabled staff account again.
pub async fn enable(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let target = other_account(&st, &s, id, true).await?;
    st.store.set_user_disabled(id, None).await?;
    st.store.audit(&s.user.username, "user_enabled", &target.username, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Account enabled")))
}

/// What a page that shows a temporary password needs: never cached, never kept.
fn shown_once(html: String) -> Response {
    let mut r = Html(html).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The box that shows a temporary password once.
fn password_box(lang: Lang, whom: &str, password: &str, id: &str) -> Markup {
    html! {
        div.flash id=(format!("{id}-box")) {
            p { (lang.tr("Temporary password for")) " " (whom) ":" }
            p.new-pin id=(id) { (password) }
            p { (tr!(lang, "Hand it over now: it is shown only once, works for {temporary_password_hours} hours, and only to sign in and choose one's own password.", temporary_password_hours = auth::TEMPORARY_PASSWORD_HOURS)) }
        }
    }
}

/// Resets a staff account's password to a temporary one, shown once; its sessions end.
pub async fn reset_password(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let now = (st.clock)();
    let target = other_account(&st, &s, id, true).await?;
    let password = auth::temporary_password();
    let until = crate::storage::dt_to_ms(now + time::Duration::hours(auth::TEMPORARY_PASSWORD_HOURS));
    st.store.set_temporary_password(id, &hash(password.clone()).await?, until).await?;
    st.store.audit(&s.user.username, "password_reset", &target.username, now).await?;
    let body = html! {
        (password_box(s.lang, &target.username, &password, "temporary-password"))
        p { a href="/settings" { (s.lang.tr("Back to settings")) } }
    };
    Ok(shown_once(page(s.lang, &s.user, &s.csrf, Page::Settings, s.lang.tr("Password reset"), body)))
}

/// The self-service card of an employee's page: whether they have an account, and the button
/// that gives them a first-time code (or a new one).
pub async fn self_service_card(st: &AppState, s: &Session, employee_id: &str) -> Result<Markup, AppError> {
    let lang = s.lang;
    let now_ms = crate::storage::dt_to_ms((st.clock)());
    let (state, button) = match st.store.employee_account(employee_id).await? {
        Some(u) => (state_label(lang, &u, now_ms, st.offset()), lang.tr("Make a new sign-in code")),
        None => (html! { span.muted { (lang.tr("no account yet")) } }, lang.tr("Make a first-time sign-in code")),
    };
    let card = html! {
        section.card id="self-service" {
            h2 { (lang.tr("Employee self-service")) }
            p.muted { (lang.tr("The employee signs in on their phone with their NIP and this code, then chooses their own password, to see their own attendance month by month.")) }
            p { (lang.tr_in("account", "State")) ": " span id="self-service-state" { (state) } }
            form method="post" action=(format!("/employees/{employee_id}/sign-in-code")) class="inline" data-confirm=(lang.tr("Make a sign-in code? The employee's old password stops working at once.")) {
                (csrf_input(&s.csrf))
                button id="sign-in-code" { (button) }
            }
        }
    };
    Ok(card)
}

/// Gives an employee a first-time sign-in code (or a new one), shown once on their page.
pub async fn issue_code(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    let e = super::roster_pages::entry(&st, &id).await?;
    let now = (st.clock)();
    let code = auth::temporary_password();
    let until = crate::storage::dt_to_ms(now + time::Duration::hours(auth::TEMPORARY_PASSWORD_HOURS));
    st.store.set_employee_code(&e.id, &hash(code.clone()).await?, until).await.map_err(|err| {
        tracing::warn!(employee = %e.id, error = %err, "self-service account not made");
        AppError::BadRequest(s.lang.tr("This NIP is already a staff account's user name.").into())
    })?;
    st.store.audit(&s.user.username, "employee_code_issued", &e.id, now).await?;
    let notice = password_box(s.lang, &format!("{} (NIP {})", e.name, e.id), &code, "sign-in-code-value");
    Ok(shown_once(super::roster_pages::render(&st, &s, &e, notice).await?.0))
}
