//! The dashboard's pages: login, today, employees, records, confirmations, corrections,
//! devices, settings. Each handler checks role (and, for employee data, sections) first.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use time::{Date, Duration, OffsetDateTime};

use super::auth::{self, Page, scope};
use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, tr};
use crate::storage::accounts::Role;
use crate::storage::calendar::{Holiday, HolidayKind, date_str, parse_date};
use crate::storage::corrections::CANCEL;
use crate::storage::{dt_to_ms, ms_to_dt};
use super::{AppError, AppState, SESSION_COOKIE, Session, lang_of};
use crate::reports::month::{Context, Scope};
use hadir_rules::{Band, Decision, DayStatus, Direction, Excused, RuleSettings};

pub(crate) type Fields = HashMap<String, String>;

pub(crate) fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map_or("", |s| s.trim())
}

fn hm(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

pub(crate) fn flash(q: &Fields) -> String {
    match (q.get("ok"), q.get("err")) {
        (Some(m), _) => format!(r#"<div class="flash">{}</div>"#, esc(m)),
        (_, Some(m)) => format!(r#"<div class="flash error">{}</div>"#, esc(m)),
        _ => String::new(),
    }
}

pub(crate) fn redirect_ok(path: &str, msg: &str) -> Response {
    redirect_flash(path, "ok", msg)
}

/// Back to `path` with an error shown at the top (nothing was changed).
pub(crate) fn redirect_err(path: &str, msg: &str) -> Response {
    redirect_flash(path, "err", msg)
}

fn redirect_flash(path: &str, key: &str, msg: &str) -> Response {
    let q: String = msg.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}{key}={q}")).into_response()
}

// ---- login ----

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
    let body = format!(
        r#"{err}<form method="post" action="/login" class="card">
<input type="hidden" name="csrf" value="{token}">
<label>{u}<input name="username" autocomplete="username" required autofocus></label><br>
<label>{p}<input name="password" type="password" autocomplete="current-password" required></label><br>
<label>{c}<input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{{6}}"></label><br>
<button type="submit" id="login">{go}</button></form>
<p><a href="/lang/{other}">{other_name}</a></p>"#,
        err = error.map(|e| format!(r#"<div class="flash error">{}</div>"#, esc(e))).unwrap_or_default(),
        u = lang.tr("User name"),
        p = lang.tr("Password"),
        c = lang.tr("Verification code (when turned on)"),
        go = lang.tr("Sign in"),
        other = if lang == Lang::Id { "en" } else { "id" },
        other_name = if lang == Lang::Id { "English" } else { "Bahasa Indonesia" },
    );
    let mut r = Html(super::html::bare(lang, lang.tr("Sign in to Hadir"), &body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(PRELOGIN_COOKIE, &token, 900, st.config.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    if error.is_some() {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    r
}

/// Checks the password, rate-limited per user name, and starts a session.
pub async fn login(
    State(st): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let lang = lang_from_headers(&headers);
    let pre = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|c| auth::cookie(c, PRELOGIN_COOKIE));
    if !pre.is_some_and(|p| auth::constant_time_eq(p, field(&f, "csrf"))) {
        return AppError::Csrf.into_response();
    }
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let addr = st.config.client_address(peer.map(|p| p.0.0.ip()), forwarded);
    let typed = field(&f, "username");
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
    let password: String = field(&f, "password").chars().take(crate::people::password::MAX_LENGTH + 1).collect();
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
        (Some(u), true) => match second_factor(&st, u, field(&f, "code"), now).await {
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
pub async fn logout(State(st): State<AppState>, s: Session, headers: HeaderMap, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.check_csrf(f.get("csrf"))?;
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

// ---- today ----

pub(crate) fn section_options(ctx: &Context, user_scope: &Scope, selected: &str, lang: Lang) -> String {
    let mut s = format!(r#"<option value="">{}</option>"#, lang.tr("All sections"));
    let mut ids: Vec<&String> = ctx.sections.keys().filter(|id| user_scope.includes(Some(id))).collect();
    ids.sort();
    for id in ids {
        let _ = write!(
            s,
            r#"<option value="{v}"{sel}>{n}</option>"#,
            v = esc(id),
            sel = if id == selected { " selected" } else { "" },
            n = esc(&ctx.sections[id].name)
        );
    }
    s
}

/// Narrows the user's scope to one section when asked (and allowed).
pub(crate) fn narrowed(user_scope: Scope, section: &str) -> Result<Scope, AppError> {
    if section.is_empty() {
        return Ok(user_scope);
    }
    if !user_scope.includes(Some(section)) {
        return Err(AppError::Forbidden(format!("section {section} is outside the user's sections")));
    }
    Ok(Scope::Sections(vec![section.to_owned()]))
}

/// Today per section: present, late, absent, awaiting confirmation, not yet known.
pub async fn today(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Today)?;
    let lang = s.lang;
    let date = parse_date(field(&q, "date")).unwrap_or_else(|| st.now().date());
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let days = st.reports.day(&st.store, &ctx, date).await?;
    let mut by_section: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (e, d) in &days {
        by_section.entry(e.section_name.clone()).or_default().push((e, d));
    }
    let mut body = format!(
        r#"<form class="inline card" method="get"><label>{l}<input type="date" name="date" value="{d}"></label><button>{show}</button></form>"#,
        l = lang.tr("Date"),
        d = date_str(date),
        show = lang.tr("Show")
    );
    let count = |v: &[(&crate::reports::EmployeeInfo, &hadir_rules::DayResult)], f: &dyn Fn(&hadir_rules::DayResult) -> bool| {
        v.iter().filter(|(_, d)| f(d)).count()
    };
    for (section, v) in &by_section {
        let present = count(v, &|d| matches!(d.status, DayStatus::Present | DayStatus::WorkedDayOff));
        let late = count(v, &|d| d.late_band.is_some() && d.first_in.is_some());
        let absent = count(v, &|d| d.status == DayStatus::Absent);
        let pending = count(v, &|d| d.pending > 0);
        let unknown = count(v, &|d| d.status == DayStatus::NotYetKnown);
        let away = count(v, &|d| matches!(d.status, DayStatus::Leave(_) | DayStatus::Travel));
        let _ = write!(
            body,
            r#"<section class="card" data-section="{sec}"><h2>{sec}</h2><div class="grid">
<div class="stat"><b>{present}</b>{lp}</div><div class="stat"><b class="bad">{late}</b>{ll}</div>
<div class="stat"><b>{absent}</b>{la}</div><div class="stat"><b class="pending">{pending}</b>{lpe}</div>
<div class="stat"><b>{away}</b>{law}</div><div class="stat"><b class="muted">{unknown}</b>{lu}</div></div>
<div class="scroll"><table><thead><tr><th>{nm}</th><th>{inn}</th><th>{out}</th><th>{stt}</th><th>{late_h}</th></tr></thead><tbody>"#,
            sec = esc(section),
            lp = lang.tr("Present"),
            ll = lang.tr("Late"),
            la = lang.tr("Absent"),
            lpe = lang.tr("Awaiting confirmation"),
            law = lang.tr("Leave / travel"),
            lu = lang.tr("Not yet known"),
            nm = lang.tr("Name"),
            inn = lang.tr("In"),
            out = lang.tr("Out"),
            stt = lang.tr("Status"),
            late_h = lang.tr("Late"),
        );
        for (e, d) in v {
            let late_txt = match d.late_band {
                Some(b) if d.first_in.is_some() => format!("{} {} ({})", d.late_minutes, lang.tr_in("long", "min"), b.tl_label()),
                Some(b) => b.tl_label().to_owned(),
                None => String::new(),
            };
            let _ = write!(
                body,
                r#"<tr{cls}><td>{n}</td><td>{i}</td><td>{o}</td><td>{st}{p}</td><td>{late_txt}</td></tr>"#,
                cls = if d.late_band.is_some() { r#" class="late""# } else { "" },
                n = esc(&e.name),
                i = d.first_in.as_ref().map(|p| format!("{}{}", hm(p.at), source_mark(lang, p))).unwrap_or_else(|| "-".into()),
                o = d.last_out.as_ref().map(|p| format!("{}{}", hm(p.at), source_mark(lang, p))).unwrap_or_else(|| "-".into()),
                st = lang.status(d.status),
                p = if d.pending > 0 { format!(r#" <span class="pending">({} {})</span>"#, d.pending, lang.tr("pending")) } else { String::new() },
            );
        }
        body.push_str("</tbody></table></div></section>");
    }
    if by_section.is_empty() {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, lang.tr("No employees in your sections yet."));
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Today, &format!("{} — {}", lang.tr("Today"), date_str(date)), &body)))
}

/// The source marker of a punch that is not a kiosk's signed record: a ZKTeco terminal's
/// (unsigned, no face score or photo) or an administrator's manual entry.
pub(crate) fn source_mark(lang: Lang, p: &hadir_rules::Punch) -> String {
    if crate::storage::manual::manual_entry_id(&p.device_id).is_some() {
        return format!(r#" <span class="src">{}</span>"#, lang.tr("Manual"));
    }
    match crate::storage::terminals::terminal_serial(&p.device_id) {
        Some(sn) => format!(r#" <span class="src" title="{sn}">{}</span>"#, lang.tr("Terminal"), sn = esc(sn)),
        None => String::new(),
    }
}

// ---- employees ----

/// Employees in scope; admins assign sections here; admins and operators open an employee to
/// enrol the face or reset the PIN.
pub async fn employees(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Employees)?;
    let lang = s.lang;
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let admin = s.user.role == Role::Admin;
    let enrols = auth::allowed(s.user.role, Page::Enrolment);
    let faces = if enrols { st.store.template_counts().await? } else { HashMap::new() };
    let mut body = flash(&q);
    let _ = write!(
        body,
        r#"<div class="card scroll"><table id="employees"><thead><tr><th>NIP</th><th>{n}</th><th>{site}</th><th>{sec}</th>{face}</tr></thead><tbody>"#,
        n = lang.tr("Name"),
        site = lang.tr("Site"),
        sec = lang.tr("Section"),
        face = if enrols { format!("<th>{}</th>", lang.tr("Face")) } else { String::new() },
    );
    for e in &ctx.employees {
        let info = ctx.info(e);
        let sec_cell = if admin {
            let mut opts = String::new();
            let mut ids: Vec<&String> = ctx.sections.keys().collect();
            ids.sort();
            for id in ids {
                let _ = write!(opts, r#"<option value="{v}"{sel}>{n}</option>"#, v = esc(id), sel = if Some(id) == e.section.as_ref() { " selected" } else { "" }, n = esc(&ctx.sections[id].name));
            }
            format!(
                r#"<form method="post" action="/employees/section" class="inline">{c}<input type="hidden" name="employee" value="{id}"><select name="section">{opts}</select><button>{save}</button></form>"#,
                c = csrf_field(&s.csrf),
                id = esc(&e.id),
                save = lang.tr("Save")
            )
        } else {
            esc(&info.section_name)
        };
        let (name, face) = if enrols {
            let n = faces.get(&e.id).copied().unwrap_or(0);
            (
                format!(r#"<a href="/employees/{id}">{name}</a>"#, id = esc(&e.id), name = esc(&e.name)),
                if n > 0 { format!(r#"<td class="ok">{n}</td>"#) } else { format!(r#"<td class="bad">{}</td>"#, lang.tr("none")) },
            )
        } else {
            (esc(&e.name), String::new())
        };
        let _ = write!(body, "<tr><td>{}</td><td>{name}</td><td>{}</td><td>{sec_cell}</td>{face}</tr>", esc(&e.id), esc(&e.site_id));
    }
    body.push_str("</tbody></table></div>");
    let _ = write!(
        body,
        r#"<p class="muted">{}</p>"#,
        if enrols {
            lang.tr("Choose an employee to enrol the face from photos or reset the PIN. Faces can also be enrolled at a kiosk.")
        } else {
            lang.tr("Faces and PINs are enrolled by an admin or operator.")
        }
    );
    if enrols {
        let _ = write!(
            body,
            r#"<p><a href="/employees/new" id="add-employee">{}</a> · <a href="/employees/import" id="import-link">{}</a> · <a href="/employees/export.xlsx">{}</a></p>"#,
            lang.tr("Add an employee"),
            lang.tr("Import employees (CSV/XLSX)"),
            lang.tr("Export XLSX"),
        );
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Employees, lang.tr("Employees"), &body)))
}

/// Assigns an employee to a section (admin).
pub async fn assign_section(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let (emp, sec) = (field(&f, "employee"), field(&f, "section"));
    if !st.store.sections().await?.iter().any(|x| x.id == sec) {
        return Err(AppError::BadRequest("bidang tidak dikenal / unknown section".into()));
    }
    st.store.set_employee_section(emp, sec).await?;
    st.store.audit(&s.user.username, "assign_section", &format!("{emp} -> {sec}"), (st.clock)()).await?;
    Ok(redirect_ok("/employees", s.lang.tr("Section saved")))
}

// ---- records ----

fn decision_label(lang: Lang, d: Decision) -> String {
    let (cls, t) = match d {
        Decision::Valid => ("ok", lang.tr("Valid")),
        Decision::Confirmed => ("ok", lang.tr("Confirmed")),
        Decision::Pending => ("pending", lang.tr("Awaiting confirmation")),
        Decision::Rejected => ("bad", lang.tr("Rejected")),
    };
    format!(r#"<span class="{cls}">{t}</span>"#)
}

/// A record's decision with the decisions it replaced (newest first, struck through) and, for
/// those who decide, the form that reverses it with a reason.
fn decision_cell(
    lang: Lang,
    r: &crate::storage::records_view::RecordView,
    history: Option<&[crate::storage::decisions::DecisionLine]>,
    csrf: Option<&str>,
) -> String {
    let mut out = decision_label(lang, r.punch.decision);
    if let Some(reason) = &r.reason {
        let _ = write!(out, r#"<br><span class="muted">{}</span>"#, esc(reason));
    }
    let history = history.unwrap_or_default();
    for old in history.iter().rev().skip(1) {
        let was = if old.decision == "confirmed" { lang.tr("Confirmed") } else { lang.tr("Rejected") };
        let _ = write!(
            out,
            r#"<br><del class="muted decision-old">{was}: {why} ({by}, {at})</del>"#,
            why = esc(&old.reason),
            by = esc(&old.by),
            at = date_str(old.at.date()),
        );
    }
    if let Some(c) = csrf.filter(|_| matches!(r.punch.decision, Decision::Confirmed | Decision::Rejected)) {
        let (to, label) = if r.punch.decision == Decision::Confirmed {
            ("reject", lang.tr("Change: reject"))
        } else {
            ("confirm", lang.tr("Change: confirm"))
        };
        let _ = write!(
            out,
            r#"<form class="inline" method="post" action="/confirmations/{id}/reverse">{c}<input type="hidden" name="action" value="{to}"><input name="reason" required maxlength="500" placeholder="{ph}"><button>{label}</button></form>"#,
            id = r.punch.record_id,
            c = csrf_field(c),
            ph = lang.tr("Reason for the change"),
        );
    }
    out
}

pub(crate) fn direction_label(lang: Lang, d: Direction) -> &'static str {
    match d {
        Direction::In => lang.tr("IN"),
        Direction::Out => lang.tr("OUT"),
    }
}

/// Records of a date, filtered by section and decision, with evidence photos.
pub async fn records(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let date = parse_date(field(&q, "date")).unwrap_or_else(|| st.now().date());
    let sc = narrowed(scope(&s.user), field(&q, "section"))?;
    let ctx = st.context(&scope(&s.user)).await?;
    let names: HashMap<&str, &crate::storage::employees::Employee> =
        ctx.employees.iter().filter(|e| sc.includes(e.section.as_deref())).map(|e| (e.id.as_str(), e)).collect();
    // The date at every site's clock: read from the easternmost site's midnight to the
    // westernmost's, then each record kept when it falls on the date at its employee's site.
    let (from, to) = ctx.zones.date_bounds(date);
    let local = |e: &crate::storage::employees::Employee, at: OffsetDateTime| at.to_offset(ctx.offset_of(e));
    let recs = st.store.records_between(from, to).await?;
    let only = field(&q, "decision");
    let mut body = format!(
        r#"{flash}<form class="inline card" method="get"><label>{l}<input type="date" name="date" value="{d}"></label>
<label>{sl}<select name="section">{opts}</select></label><label>{dl}<select name="decision"><option value="">{all}</option><option value="pending"{ps}>{pl}</option></select></label><button>{show}</button></form>
<p><a href="/field?date={d}">{field_day}</a></p>
<div class="card scroll"><table><thead><tr><th>{t}</th><th>{n}</th><th></th><th>{dev}</th><th>{score}</th><th>{dec}</th><th>{ph}</th></tr></thead><tbody>"#,
        flash = flash(&q),
        l = lang.tr("Date"),
        d = date_str(date),
        sl = lang.tr("Section"),
        opts = section_options(&ctx, &scope(&s.user), field(&q, "section"), lang),
        dl = lang.tr("Decision"),
        all = lang.tr("All"),
        ps = if only == "pending" { " selected" } else { "" },
        pl = lang.tr("Awaiting confirmation"),
        show = lang.tr("Show"),
        field_day = lang.tr("Field staff's day: positions on a map"),
        t = lang.tr("Time"),
        n = lang.tr("Name"),
        dev = lang.tr("Device"),
        score = lang.tr("Face score"),
        dec = lang.tr("Decision"),
        ph = lang.tr("Photo"),
    );
    let decided: Vec<i64> =
        recs.iter().filter(|r| matches!(r.punch.decision, Decision::Confirmed | Decision::Rejected)).map(|r| r.punch.record_id).collect();
    let history = st.store.decision_history(&decided).await?;
    let may_decide = s.require(Page::Confirmations).is_ok();
    let mut rows: Vec<(OffsetDateTime, String)> = Vec::new();
    for r in &recs {
        let Some(e) = names.get(r.employee_id.as_str()) else { continue };
        let at = local(e, r.punch.at);
        if at.date() != date || (only == "pending" && r.punch.decision != Decision::Pending) {
            continue;
        }
        let dec = decision_cell(lang, r, history.get(&r.punch.record_id).map(Vec::as_slice), may_decide.then_some(s.csrf.as_str()));
        rows.push((
            r.punch.at,
            format!(
                r#"<tr><td><a href="/records/{id}">{t}</a></td><td>{n}</td><td>{dir}</td><td>{dev}</td><td>{sc:.1}%</td><td>{dec}</td><td><a href="/records/{id}/photo"><img src="/records/{id}/photo" alt="{alt}" width="48" height="48" loading="lazy"></a></td></tr>"#,
                t = hm(at),
                n = esc(&e.name),
                dir = direction_label(lang, r.punch.direction),
                dev = esc(&r.punch.device_id),
                sc = r.match_score_bp as f64 / 100.0,
                id = r.punch.record_id,
                alt = lang.tr("Evidence photo"),
            ),
        ));
    }
    // Terminals' records and manual entries of the day, marked as what they are: no signature,
    // no face score, no photo; nothing of theirs awaits a decision.
    if only != "pending" {
        let mut others = st.store.terminal_punches(from, to).await?;
        for (employee, punches) in st.store.manual_punches(from, to).await? {
            others.entry(employee).or_default().extend(punches);
        }
        for (employee, punches) in &others {
            let Some(e) = names.get(employee.as_str()) else { continue };
            for p in punches {
                let at = local(e, p.at);
                if at.date() != date {
                    continue;
                }
                rows.push((
                    p.at,
                    format!(
                        r#"<tr data-source="{src}"><td>{t}</td><td>{n}</td><td>{dir}</td><td>{mark}</td><td class="muted">—</td><td class="muted">{why}</td><td></td></tr>"#,
                        src = if crate::storage::manual::manual_entry_id(&p.device_id).is_some() { "manual" } else { "terminal" },
                        t = hm(at),
                        n = esc(&e.name),
                        dir = direction_label(lang, p.direction),
                        mark = source_mark(lang, p).trim_start(),
                        why = lang.tr("no signature, no face score"),
                    ),
                ));
            }
        }
    }
    rows.sort_by_key(|(at, _)| *at);
    let shown = rows.len();
    for (_, row) in rows {
        body.push_str(&row);
    }
    body.push_str("</tbody></table></div>");
    if shown == 0 {
        let _ = write!(body, r#"<p class="muted">{}</p>"#, lang.tr("No records."));
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Attendance records"), &body)))
}

/// Loads a record and refuses unless the user may see its employee.
async fn visible_record(st: &AppState, s: &Session, id: i64) -> Result<(crate::storage::records_view::RecordView, Option<String>), AppError> {
    let r = st.store.record(id).await?.ok_or(AppError::NotFound)?;
    let section = st.store.employees().await?.into_iter().find(|e| e.id == r.employee_id).and_then(|e| e.section);
    if !scope(&s.user).includes(section.as_deref()) {
        // Not "forbidden": do not confirm that the record exists.
        return Err(AppError::NotFound);
    }
    Ok((r, section))
}

/// One record: its evidence photo, who and when (at the employee's site's clock), the device
/// and the scores, the decision with the ones it replaced, the server's doubts and, for a
/// record with a position, the map.
pub async fn record_page(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let (r, _) = visible_record(&st, &s, id).await?;
    let ctx = st.context(&scope(&s.user)).await?;
    let e = ctx.employees.iter().find(|e| e.id == r.employee_id).ok_or(AppError::NotFound)?;
    let at = r.punch.at.to_offset(ctx.offset_of(e));
    let areas = st.store.site_areas().await?;
    let assignments = st.store.field_areas_of(&[r.employee_id.as_str()], None).await?;
    let history = st.store.decision_history(&[r.punch.record_id]).await?;
    let may_decide = s.require(Page::Confirmations).is_ok();
    let decision = decision_cell(lang, &r, history.get(&r.punch.record_id).map(Vec::as_slice), may_decide.then_some(s.csrf.as_str()));
    let mode = if r.punch.mode == hadir_rules::Mode::Field { lang.tr("field") } else { lang.tr("office") };
    let body = format!(
        r#"<div class="card" data-record="{id}"><div class="ev"><figure><img src="/records/{id}/photo" alt="{ev}"><figcaption>{ev}</figcaption></figure>
<div><b>{name}</b> <span class="muted">{nip} · {sec}</span><br>{dir} {date} {time} · {mode} · {dev} #{seq} · {score_l} {score:.1}%<p>{dec_l}: {decision}</p>{flags}{map}</div></div></div>
<p><a href="/records?date={date}">{back}</a></p>{scripts}"#,
        ev = lang.tr("Photo at recording"),
        name = esc(&e.name),
        nip = esc(&e.id),
        sec = esc(&ctx.info(e).section_name),
        dir = direction_label(lang, r.punch.direction),
        date = date_str(at.date()),
        time = hm(at),
        dev = esc(&r.punch.device_id),
        seq = r.seq,
        score_l = lang.tr("face score"),
        score = r.match_score_bp as f64 / 100.0,
        dec_l = lang.tr("Decision"),
        flags = flag_list(lang, &r.flags),
        map = record_map(&st, lang, &r, &areas, &assignments),
        back = lang.tr("This date's records"),
        scripts = super::webmap::script_tags(&st),
    );
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Record"), &body)))
}

/// The evidence photo of a record.
pub async fn record_photo(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, AppError> {
    s.require(Page::Records)?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let sha = hadir_protocol::Digest::from_hex(&r.photo_sha256).map_err(|_| AppError::NotFound)?;
    let jpeg = st.store.photo(sha).await?.ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=3600")], jpeg).into_response())
}

// ---- confirmations ----

/// The queue of records awaiting confirmation in the user's sections.
pub async fn confirmations(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Confirmations)?;
    let lang = s.lang;
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let emps: HashMap<&str, _> = ctx.employees.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut body = flash(&q);
    let mut n = 0;
    let areas = st.store.site_areas().await?;
    let pending = st.store.pending_records().await?;
    let waiting: Vec<&str> = pending.iter().map(|r| r.employee_id.as_str()).collect();
    let assignments = st.store.field_areas_of(&waiting, None).await?;
    for r in pending {
        let Some(e) = emps.get(r.employee_id.as_str()) else { continue };
        n += 1;
        let info = ctx.info(e);
        let _ = write!(
            body,
            r#"<div class="card" data-record="{id}"><div class="ev"><figure><img src="/records/{id}/photo" alt="{ev}"><figcaption>{ev}</figcaption></figure>
<div><b>{name}</b> <span class="muted">{nip} · {sec}</span><br>{dir} <a href="/records/{id}">{date} {time}</a> · {dev} · {score_l} {score:.1}%{flags}{map}
<form method="post" action="/confirmations/{id}" class="inline decide">{c}
<label>{reason_l}<input name="reason" placeholder="{ph}"></label>
<button name="action" value="confirm" class="confirm">{yes}</button><button name="action" value="reject" class="reject">{no}</button></form></div></div></div>"#,
            id = r.punch.record_id,
            ev = lang.tr("Photo at recording"),
            name = esc(&e.name),
            nip = esc(&e.id),
            sec = esc(&info.section_name),
            dir = direction_label(lang, r.punch.direction),
            date = date_str(r.punch.at.date()),
            time = hm(r.punch.at),
            dev = esc(&r.punch.device_id),
            score_l = lang.tr("score"),
            score = r.match_score_bp as f64 / 100.0,
            flags = flag_list(lang, &r.flags),
            map = record_map(&st, lang, &r, &areas, &assignments),
            c = csrf_field(&s.csrf),
            reason_l = lang.tr("Reason"),
            ph = lang.tr("required to reject"),
            yes = lang.tr("Confirm"),
            no = lang.tr("Reject"),
        );
    }
    if n == 0 {
        let _ = write!(body, r#"<p class="muted" id="empty">{}</p>"#, lang.tr("No records await confirmation."));
    }
    body.push_str(super::webmap::script_tags(&st));
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Confirmations, lang.tr("Confirmation queue"), &body)))
}

/// Where a record with a GPS fix was made, against the area it was judged by: the employee's
/// field assignment of that day, else the site's area (nothing for records without a fix).
fn record_map(
    st: &AppState,
    lang: Lang,
    r: &crate::storage::records_view::RecordView,
    areas: &HashMap<String, hadir_rules::SiteArea>,
    assignments: &HashMap<String, Vec<hadir_rules::FieldArea>>,
) -> String {
    use super::map::{Circle, svg};
    let Some(g) = &r.gps else { return String::new() };
    let fix = Circle { lat: g.lat_e7 as f64 / 1e7, lon: g.lon_e7 as f64 / 1e7, radius_m: g.accuracy_dm as f64 / 10.0 };
    let field = r.punch.mode == hadir_rules::Mode::Field;
    let assigned = assignments.get(&r.employee_id).map(Vec::as_slice).unwrap_or_default();
    let site = r.device_site.as_ref().and_then(|s| areas.get(s));
    let expected = hadir_rules::expected_area(field, assigned, site, r.punch.at.date());
    let area = expected.map(|(a, _)| Circle { lat: a.lat_e7 as f64 / 1e7, lon: a.lon_e7 as f64 / 1e7, radius_m: a.radius_m as f64 });
    let assignment = expected.is_some_and(|(_, label)| label.is_some());
    let area_label = if assignment { lang.tr("Assignment's area") } else { lang.tr("Site area") };
    let labels = (area_label, lang.tr("Record's position"));
    let map = svg(area, Some(fix), labels).unwrap_or_default();
    let mark = |c: Circle, label: &str| super::webmap::Mark { lat: c.lat, lon: c.lon, radius_m: c.radius_m, label: label.to_owned() };
    let areas: Vec<_> = area.map(|a| mark(a, area_label)).into_iter().collect();
    let data = super::webmap::data_attribute(st, &areas, &[mark(fix, labels.1)], labels.1, false);
    format!(r#"<div class="place"{data}>{map}<p class="fix-quality">{}</p></div>"#, esc(&fix_quality(lang, g)))
}

/// The receiver's own view of a fix, as the supervisor reads it: "GPS 3D · 9 satelit · HDOP
/// 0.9 · ±4.5 m" (what the receiver did not say is left out).
pub(crate) fn fix_quality(lang: Lang, g: &crate::storage::records_view::RecordFix) -> String {
    let mut parts = vec![match g.fix_mode {
        Some(m) => format!("GPS {}", m.as_str().to_uppercase()),
        None => "GPS".to_owned(),
    }];
    if let Some(n) = g.satellites {
        parts.push(format!("{n} {}", lang.tr("satellites")));
    }
    parts.push(match g.hdop_centi {
        Some(h) => format!("HDOP {:.1}", h as f64 / 100.0),
        None => lang.tr("no HDOP").to_owned(),
    });
    parts.push(format!("±{:.1} m", g.accuracy_dm as f64 / 10.0));
    parts.join(" · ")
}

/// The server's doubts as a list under the record ("Diragukan server: …"), or nothing.
pub(crate) fn flag_list(lang: Lang, flags: &[crate::doubts::Flag]) -> String {
    if flags.is_empty() {
        return String::new();
    }
    let items: String = flags.iter().map(|f| format!(r#"<li data-flag="{}">{}</li>"#, esc(&f.code), esc(&flag_text(lang, f)))).collect();
    format!(r#"<div class="flags"><b>{}</b><ul>{items}</ul></div>"#, lang.tr("Doubted by the server:"))
}

/// Confirms or rejects a record (with a reason; audited).
pub async fn decide(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Confirmations)?;
    s.check_csrf(f.get("csrf"))?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let lang = s.lang;
    let confirm = match field(&f, "action") {
        "confirm" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("action".into())),
    };
    let mut reason = field(&f, "reason").trim().to_owned();
    let date = r.punch.at.date();
    if reason.is_empty() {
        if !confirm {
            return Err(AppError::BadRequest(lang.tr("A reason is required to reject.").into()));
        }
        if st.store.month_close(date.year(), date.month()).await?.is_some() {
            return Err(closed_needs_reason(lang));
        }
        reason = lang.tr("Face matches").into();
    }
    if r.punch.decision != Decision::Pending {
        return Err(AppError::BadRequest(lang.tr("This record was already decided.").into()));
    }
    let now = (st.clock)();
    if !st.store.decide(id, confirm, &reason, &s.user.username, now).await? {
        return Err(AppError::BadRequest(lang.tr("This record was already decided.").into()));
    }
    st.store.audit(&s.user.username, if confirm { "confirm_record" } else { "reject_record" }, &format!("record {id} ({}): {reason}", r.employee_id), now).await?;
    st.store.note_closed_change(&r.employee_id, date, &format!("record {id} {}", if confirm { "confirmed" } else { "rejected" }), &reason, &s.user.username, now).await?;
    st.records_arrived();
    Ok(redirect_ok("/confirmations", if confirm { lang.tr("Record confirmed") } else { lang.tr("Record rejected") }))
}

/// A confirmation in a closed month needs a reason of the person's own.
fn closed_needs_reason(lang: Lang) -> AppError {
    AppError::BadRequest(lang.tr("This month is closed: a reason is required.").into())
}

/// Reverses a decided record's decision by a new one (a reason is required; audited; the old
/// decision stays in the history and on the records page).
pub async fn reverse_decision(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Confirmations)?;
    s.check_csrf(f.get("csrf"))?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let lang = s.lang;
    let confirm = match field(&f, "action") {
        "confirm" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("action".into())),
    };
    let reason = field(&f, "reason").trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest(lang.tr("A reason is required to change a decision.").into()));
    }
    let now = (st.clock)();
    if !st.store.reverse_decision(id, confirm, reason, &s.user.username, now).await? {
        return Err(AppError::BadRequest(
            lang.tr("This record is not decided yet, or already has that decision.").into(),
        ));
    }
    st.store.audit(&s.user.username, if confirm { "reverse_to_confirmed" } else { "reverse_to_rejected" }, &format!("record {id} ({}): {reason}", r.employee_id), now).await?;
    let what = format!("record {id} changed to {}", if confirm { "confirmed" } else { "rejected" });
    st.store.note_closed_change(&r.employee_id, r.punch.at.date(), &what, reason, &s.user.username, now).await?;
    st.records_arrived();
    let date = date_str(r.punch.at.date());
    Ok(redirect_ok(&format!("/records?date={date}"), lang.tr("Decision changed")))
}

// ---- corrections ----

/// The corrections log and the form for leave and official travel (admin).
pub async fn corrections(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Corrections)?;
    let lang = s.lang;
    let today = date_str(st.now().date());
    let mut body = flash(&q);
    let _ = write!(
        body,
        r#"<form method="post" action="/corrections" class="inline card">{c}
<label>NIP<input name="employee" required></label><label>{from}<input type="date" name="from" value="{today}" required></label>
<label>{to}<input type="date" name="to" value="{today}" required></label>
<label>{kind}<select name="kind">{kinds}<option value="{cancel_value}">{cancel}</option></select></label>
<label>{reason}<input name="reason" required></label><button>{add}</button></form>
<div class="card scroll"><table><thead><tr><th>#</th><th>{when}</th><th>NIP</th><th>{date}</th><th>{kind}</th><th>{reason}</th><th>{by}</th></tr></thead><tbody>"#,
        c = csrf_field(&s.csrf),
        from = lang.tr("From"),
        to = lang.tr("To"),
        kind = lang.tr("Kind"),
        kinds = Excused::ALL.iter().map(|e| format!(r#"<option value="{}">{}</option>"#, e.as_str(), lang.excused(*e))).collect::<String>(),
        cancel_value = CANCEL,
        cancel = lang.tr("Cancel an earlier entry"),
        reason = lang.tr("Reason"),
        add = lang.tr("Add"),
        when = lang.tr("Entered"),
        date = lang.tr("Date"),
        by = lang.tr("By"),
    );
    let off = st.offset();
    for c in st.store.corrections(500).await? {
        let at = c.at.to_offset(off);
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.id,
            date_str(at.date()),
            hm(at),
            esc(&c.employee_id),
            date_str(c.date),
            esc(&c.kind),
            esc(&c.reason),
            esc(&c.by)
        );
    }
    body.push_str("</tbody></table></div>");
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Corrections, lang.tr("Corrections, leave and travel"), &body)))
}

/// Appends corrections for each date of a range.
pub async fn add_correction(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let bad = |m: &str| AppError::BadRequest(m.to_owned());
    let emp = field(&f, "employee");
    if !st.store.employees().await?.iter().any(|e| e.id == emp) {
        return Err(bad(lang.tr("Unknown employee.")));
    }
    let (Some(from), Some(to)) = (parse_date(field(&f, "from")), parse_date(field(&f, "to"))) else {
        return Err(bad(lang.tr("Invalid date.")));
    };
    if to < from || (to - from).whole_days() > 366 {
        return Err(bad(lang.tr("Invalid date range.")));
    }
    let kind = field(&f, "kind");
    let excused = match kind {
        CANCEL => None,
        k => Some(Excused::parse(k).ok_or_else(|| bad("kind"))?),
    };
    let reason = field(&f, "reason");
    if reason.is_empty() {
        return Err(bad(lang.tr("A reason is required.")));
    }
    let now = (st.clock)();
    let mut d: Date = from;
    loop {
        st.store.add_correction(emp, d, excused, reason, &s.user.username, now).await?;
        st.store.note_closed_change(emp, d, &format!("correction {kind}"), reason, &s.user.username, now).await?;
        if d >= to {
            break;
        }
        d = d.next_day().ok_or_else(|| bad("date"))?;
    }
    st.store.audit(&s.user.username, "correction", &format!("{emp} {kind} {}..{}: {reason}", date_str(from), date_str(to)), now).await?;
    Ok(redirect_ok("/corrections", lang.tr("Correction recorded")))
}

// ---- devices ----

/// Why the server doubts a record ([`crate::doubts`]), as a supervisor reads it: the reason
/// and its figures, escaped.
pub(crate) fn flag_text(lang: Lang, f: &crate::doubts::Flag) -> String {
    let v = f.value.unwrap_or(0);
    let pct = v as f64 / 100.0;
    let note = f.note.as_str();
    // Distances and speeds in the note are written with a decimal point; Indonesian reads a comma.
    let decimal_note = match lang {
        Lang::Id => note.replace('.', ","),
        Lang::En => note.to_owned(),
    };
    let distance = distance_text(lang, v);
    let (days, minutes, offset) = (v / 1440, v.abs(), format!("{v:+}"));
    let pct = format!("{pct:.1}");
    let text = match f.code.as_str() {
        "unknown_employee" => tr!(lang, "employee not on the roster"),
        "other_site" => tr!(lang, "another site's employee ({note})", note = note),
        "mode_mismatch" => tr!(lang, "record's mode is not the device's ({note})", note = note),
        "decision_mismatch" => tr!(lang, "claimed valid, but the face score {pct}% is under 80%", pct = pct),
        "liveness_low" => tr!(lang, "claimed valid, but liveness is only {pct}%", pct = pct),
        "offset_mismatch" => tr!(lang, "record's zone is UTC{offset} minutes, not the site's", offset = offset),
        "time_never_synced" => tr!(lang, "the device's clock was never synced with the server"),
        "time_stale_sync" => tr!(lang, "last clock sync {days} days before", days = days),
        "time_drifted" => tr!(lang, "the device's clock was {minutes} minutes off at its sync", minutes = minutes),
        "time_jumped_back" => tr!(lang, "the device's clock was set back"),
        "time_jumped_forward" => tr!(lang, "recorded {v} minutes after the server received it", v = v),
        "time_disagrees_with_gps" => tr!(lang, "the device's clock differs {minutes} minutes from GPS time", minutes = minutes),
        "place_no_fix" => tr!(lang, "field record without a GPS position"),
        "place_outside_area" if !note.is_empty() => {
            tr!(lang, "outside the assignment “{note}”, {distance} from its edge", note = note, distance = distance)
        }
        "place_outside_area" => tr!(lang, "outside the site's area, {distance} from its edge", distance = distance),
        "place_poor_fix" if f.value.is_none() => tr!(lang, "poor GPS fix ({note}, no HDOP)", note = note),
        "place_poor_fix" => tr!(lang, "poor GPS fix (HDOP {pct}, {note})", pct = pct, note = note),
        "place_stale_fix" => tr!(lang, "GPS position {v} seconds old", v = v),
        "travel_impossible" => tr!(lang, "impossible travel: {note} at {v} km/h", note = decimal_note, v = v),
        "position_jump" => tr!(lang, "position jumped {distance} with no time between", distance = distance),
        "position_repeated" => tr!(lang, "exactly the position of {v} days before", v = v),
        "device_travel_impossible" => {
            tr!(lang, "this device moved impossibly since its previous record: {note} at {v} km/h", note = decimal_note, v = v)
        }
        "device_position_jump" => tr!(lang, "this device's position jumped {distance} with no time between", distance = distance),
        "device_position_repeated" => tr!(lang, "exactly the position of this device's record {v} days before", v = v),
        "receiver_teleport" => tr!(lang, "the GPS receiver jumped far in an instant before the record (a simulator's sign)"),
        "receiver_frozen_position" => tr!(lang, "the GPS receiver's position frozen to the last digit while it reported moving"),
        "receiver_uniform_signal" => tr!(lang, "every satellite at exactly one signal strength (a GPS simulator's sign)"),
        "hdop_zero" => tr!(lang, "GPS position with HDOP 0 (a value no real receiver reports)"),
        "closed_month" => tr!(lang, "arrived for a month already closed"),
        other => format!("{other} {note}"),
    };
    esc(&text)
}

/// Metres as people read them: "850 m", "29,7 km" (a decimal comma in Indonesian).
fn distance_text(lang: Lang, m: i64) -> String {
    if m < 1000 {
        return format!("{m} m");
    }
    let km = format!("{:.1} km", m as f64 / 1000.0);
    match lang {
        Lang::Id => km.replace('.', ","),
        Lang::En => km,
    }
}

fn refusal_label(lang: Lang, reason: &str) -> String {
    let text = match reason {
        "malformed" => lang.tr("malformed"),
        "unknown_device" => lang.tr("unknown device"),
        "revoked_device" => lang.tr("revoked device"),
        "bad_signature" => lang.tr("bad signature"),
        other => return esc(other),
    };
    text.to_owned()
}

/// A chain event's reason, as people read it.
fn chain_label(lang: Lang, reason: &str) -> String {
    let text = match reason {
        "sequence_gap" => lang.tr("sequence gap"),
        "fork" => lang.tr("chain fork"),
        "broken_chain" => lang.tr("broken chain"),
        other => return esc(other),
    };
    text.to_owned()
}

/// The devices silent for longer than `dashboard.silent_device_hours`, named with the sites
/// whose days they hold back (empty when none). With `release`, each gets the administrator's
/// button that releases its days up to now (retiring it is the revoke button).
pub async fn silent_devices_notice(st: &AppState, lang: Lang, csrf: Option<&str>) -> Result<String, AppError> {
    let silence = Duration::hours(st.config.silent_device_hours);
    let mut by_site: Vec<_> = st.store.silent_devices_by_site(st.now(), silence).await?.into_iter().collect();
    if by_site.is_empty() {
        return Ok(String::new());
    }
    by_site.sort_by(|a, b| a.0.cmp(&b.0));
    let zones = st.zones().await?;
    let mut items = String::new();
    for (site, devices) in &by_site {
        let off = zones.of(site).offset();
        for d in devices {
            let since = match d.effective() {
                Some(t) => {
                    let t = t.to_offset(off);
                    format!("{} {} {}", lang.tr("last synced up to"), date_str(t.date()), hm(t))
                }
                None => lang.tr("never synced").to_owned(),
            };
            let button = match csrf {
                Some(c) => format!(
                    r#" <form class="inline" method="post" action="/devices/{id}/release" data-confirm="{q}">{c}<button>{l}</button></form>"#,
                    id = esc(&d.device_id),
                    q = lang.tr("Release the days this device holds back, up to now?"),
                    c = csrf_field(c),
                    l = lang.tr("Release days"),
                ),
                None => String::new(),
            };
            let _ = write!(
                items,
                r#"<li data-silent="{id}"><b>{id}</b> ({site}): {since}{button}</li>"#,
                id = esc(&d.device_id),
                site = esc(site),
            );
        }
    }
    Ok(format!(
        r#"<section class="card warn" id="silent-devices"><h2>{t}</h2><p>{p}</p><ul>{items}</ul></section>"#,
        t = lang.tr("Silent devices hold days back"),
        p = tr!(lang, "These devices have not synced for more than {silent_device_hours} hours; later days of their sites are not final (absences are not counted). An administrator can revoke the device or release its days.", silent_device_hours = st.config.silent_device_hours),
    ))
}

/// A device's trouble, as people read it.
pub(crate) fn trouble_label(lang: Lang, t: crate::storage::health::Trouble) -> &'static str {
    use crate::storage::health::Trouble::*;
    match t {
        TamperOpen => lang.tr("enclosure open"),
        InsecureLan => lang.tr("plain HTTP, unencrypted (insecure_lan)"),
        CameraDead => lang.tr("camera dead"),
        DiskNearlyFull => lang.tr("disk nearly full"),
        QueueGrowing => lang.tr("queue growing"),
        Offline => lang.tr("not reporting"),
    }
}

/// The devices page's health cell: the troubles first (red), then the last report's figures.
fn health_cell(lang: Lang, h: Option<&crate::storage::health::DeviceHealth>, now: OffsetDateTime) -> String {
    let Some(h) = h else { return format!(r#"<span class="muted">{}</span>"#, lang.tr("no report yet")) };
    let mut out: String = crate::storage::health::trouble(h, now, Default::default())
        .into_iter()
        .map(|t| format!(r#"<span class="bad trouble">{}</span><br>"#, trouble_label(lang, t)))
        .collect();
    let mib = |b: i64| b / (1 << 20);
    let _ = write!(
        out,
        r#"<span class="muted">v{fw} · {up} {hours} · {q} {queue}{oldest}{disk}{fps}{temp}</span>"#,
        fw = esc(&h.firmware),
        up = h.uptime_s / 3600,
        hours = lang.tr("h up"),
        q = h.outbox_len,
        queue = lang.tr("queued"),
        oldest = h.oldest_unsent_s.map_or(String::new(), |s| format!(" ({} {})", s / 60, lang.tr("min"))),
        disk = h.data_free_bytes.map_or(String::new(), |b| format!(" · {} MiB {}", mib(b), lang.tr("free"))),
        fps = h.camera_fps_centi.map_or(String::new(), |f| format!(" · {:.1} fps", f as f64 / 100.0)),
        temp = h.cpu_temp_milli_c.map_or(String::new(), |t| format!(" · {:.0} °C", t as f64 / 1000.0)),
    );
    out
}

/// The latest signed tamper events, when there are any: who opened which device, when.
fn tamper_alerts(lang: Lang, events: &[crate::storage::health::StoredEvent], fmt: &dyn Fn(Option<OffsetDateTime>) -> String) -> String {
    use hadir_protocol::health::EventKind;
    if events.is_empty() {
        return String::new();
    }
    let mut items = String::new();
    for e in events {
        let (cls, what) = match e.kind {
            EventKind::TamperOpened => ("bad", lang.tr("enclosure opened")),
            EventKind::TamperClosed => ("ok", lang.tr("enclosure closed")),
        };
        let _ = write!(
            items,
            r#"<li data-event="{id}/{seq}"><b>{id}</b>: <span class="{cls}">{what}</span> {t}</li>"#,
            id = esc(&e.device_id),
            seq = e.seq,
            t = fmt(Some(e.at)),
        );
    }
    format!(
        r#"<section class="card warn" id="tamper-alerts"><h2>{t}</h2><p class="muted">{p}</p><ul>{items}</ul></section>"#,
        t = lang.tr("Tamper alerts"),
        p = lang.tr("Signed events from the devices' enclosure switches, newest first."),
    )
}

/// Devices: status, last seen, sync watermark, chain health, quarantine, refused uploads,
/// revoke; per site, the last day every device has synced past (absences are final up to it).
pub async fn devices(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Devices)?;
    let lang = s.lang;
    let off = st.offset();
    let now = st.now();
    let mut body = flash(&q);
    let fmt = |t: Option<OffsetDateTime>| t.map(|t| { let t = t.to_offset(off); format!("{} {}", date_str(t.date()), hm(t)) }).unwrap_or_else(|| "-".into());
    let admin = s.user.role == Role::Admin;
    body.push_str(&silent_devices_notice(&st, lang, admin.then_some(s.csrf.as_str())).await?);
    let mut known: Vec<(String, Option<Date>)> = st.store.known_through_by_site(&st.zones().await?).await?.into_iter().collect();
    known.sort();
    let mut sites = String::new();
    for (site, day) in &known {
        let _ = write!(
            sites,
            r#"<li data-site="{s}"><b>{s}</b>: {txt}</li>"#,
            s = esc(site),
            txt = match day {
                Some(d) => tr!(lang, "complete through <span class=\"known\">{date}</span> — later days are provisional (no absences yet)", date = date_str(*d)),
                None => lang.tr("no device has synced yet; no day is final").to_owned(),
            }
        );
    }
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2><p class="muted">{p}</p><ul id="known-through">{sites}</ul></section>"#,
        t = lang.tr("Sync per site"),
        p = lang.tr("A day becomes final (absences are counted) once every active device of the site has synced past it."),
    );
    body.push_str(&tamper_alerts(lang, &st.store.device_events(20).await?, &fmt));
    let _ = write!(
        body,
        r#"<div class="card scroll"><table id="devices"><thead><tr><th>{id}</th><th>{site}</th><th>{mode}</th><th>{status}</th><th>{health}</th><th>{seen}</th><th>{sync}</th><th>{recs}</th><th>{chain}</th><th>{quar}</th><th>{flagged}</th><th>{refused}</th><th></th></tr></thead><tbody>"#,
        health = lang.tr("Health"),
        id = lang.tr("Device"),
        site = lang.tr("Site"),
        mode = lang.tr("Mode"),
        status = lang.tr("Status"),
        seen = lang.tr("Last seen"),
        sync = lang.tr("Synced until"),
        recs = lang.tr("Records"),
        chain = lang.tr("Chain"),
        quar = lang.tr("Quarantine"),
        flagged = lang.tr("Doubted by the server"),
        refused = lang.tr("Refused uploads"),
    );
    let health = st.store.device_health().await?;
    for d in st.store.device_statuses().await? {
        let health_cell = health_cell(lang, health.get(&d.id), now);
        let status = if d.revoked_at.is_some() {
            format!(r#"<span class="bad">{}</span>"#, lang.tr("Revoked"))
        } else if d.last_seen.is_some_and(|t| now - t < Duration::minutes(15)) {
            format!(r#"<span class="ok">{}</span>"#, lang.tr("Online"))
        } else {
            format!(r#"<span class="muted">{}</span>"#, lang.tr("Offline"))
        };
        let mut chain = if d.records == d.max_seq {
            format!(r#"<span class="ok">{}</span>"#, lang.tr("intact"))
        } else {
            format!(r#"<span class="bad">{} {}</span>"#, d.max_seq - d.records, lang.tr("missing"))
        };
        if let Some((reason, at)) = &d.last_chain_event {
            let _ = write!(
                chain,
                r#"<br><span class="bad">{n} {ev}</span><br><span class="muted">{r}, {t}</span>"#,
                n = d.chain_events,
                ev = lang.tr("events"),
                r = chain_label(lang, reason),
                t = fmt(Some(*at)),
            );
        }
        let refused = match &d.last_refused {
            Some((reason, at)) => format!(
                r#"<span class="bad">{}</span><br><span class="muted">{}, {}</span>"#,
                d.refused,
                refusal_label(lang, reason),
                fmt(Some(*at))
            ),
            None => "0".into(),
        };
        let revoke = if d.revoked_at.is_none() {
            format!(
                r#"<form method="post" action="/devices/{id}/revoke" data-confirm="{q}">{c}<button class="reject">{l}</button></form>"#,
                id = esc(&d.id),
                q = lang.tr("Revoke this device?"),
                c = csrf_field(&s.csrf),
                l = lang.tr("Revoke")
            )
        } else {
            String::new()
        };
        let _ = write!(
            body,
            r#"<tr data-device="{id}"><td>{id}</td><td>{}</td><td>{}</td><td>{status}</td><td class="health">{health_cell}</td><td>{}</td><td class="synced">{}</td><td>{}</td><td>{chain}</td><td>{}</td><td class="flagged">{flagged}</td><td class="refused">{refused}</td><td>{revoke}</td></tr>"#,
            esc(&d.site_id),
            if d.mode == "field" { lang.tr("Field") } else { lang.tr("Office") },
            fmt(d.last_seen),
            fmt(d.synced_until),
            d.records,
            d.quarantined,
            id = esc(&d.id),
            flagged = if d.flagged > 0 { format!(r#"<span class="pending">{}</span>"#, d.flagged) } else { "0".into() },
        );
    }
    body.push_str("</tbody></table></div>");
    body.push_str(&super::terminal_pages::section(&st, lang, admin.then_some(s.csrf.as_str()), &fmt).await?);
    let refusals = st.store.refused_uploads(None, 50).await?;
    if !refusals.is_empty() {
        let _ = write!(
            body,
            r#"<section class="card"><h2>{t}</h2><p class="muted">{p}</p><div class="scroll"><table id="refused"><thead><tr><th>{when}</th><th>{dev}</th><th>{seq}</th><th>{why}</th><th>{from}</th><th>{detail}</th></tr></thead><tbody>"#,
            t = lang.tr_in("heading", "Refused uploads"),
            p = lang.tr("Entries refused before they reached a device's chain: forged, altered, from an unknown or revoked device."),
            when = lang.tr("Time"),
            dev = lang.tr("Device"),
            seq = lang.tr("Seq"),
            why = lang.tr("Reason"),
            from = lang.tr("Address"),
            detail = lang.tr("Details"),
        );
        for r in &refusals {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"bad\">{}</td><td>{}</td><td>{}</td></tr>",
                fmt(ms_to_dt(r.at_ms)),
                esc(r.device_id.as_deref().unwrap_or("?")),
                r.seq.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                refusal_label(lang, &r.reason),
                esc(r.remote_addr.as_deref().unwrap_or("-")),
                esc(&r.detail),
            );
        }
        body.push_str("</tbody></table></div></section>");
    }
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Devices, lang.tr("Devices"), &body)))
}

/// Revokes a device (admin, operator; audited).
pub async fn revoke_device(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(f.get("csrf"))?;
    let now = (st.clock)();
    if !st.store.revoke_device(&id, dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "revoke_device", &id, now).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Device revoked")))
}

/// Releases a silent device's days up to now (administrators only; audited): its site's days
/// become final without it. Records it brings later still arrive, as late records.
pub async fn release_device(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(f.get("csrf"))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("release_device_days: administrators only".into()));
    }
    let now = (st.clock)();
    if !st.store.release_device_days(&id, dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "release_device_days", &format!("{id} until {}", dt_to_ms(now)), now).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Device's days released")))
}

// ---- settings ----

/// Settings: rules, holidays, sections, users, board tokens, and links to the audit log.
pub async fn settings(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Settings)?;
    let lang = s.lang;
    let r = st.store.settings().await?;
    let c = csrf_field(&s.csrf);
    let mut body = flash(&q);
    let num = |name: &str, label: &str, v: u32| format!(r#"<label>{label}<input type="number" min="0" name="{name}" value="{v}"></label>"#);
    let mut rules = String::new();
    rules.push_str(&num("tolerance_office_min", lang.tr("Office tolerance (min)"), r.tolerance_office_min));
    rules.push_str(&num("tolerance_field_min", lang.tr("Field tolerance (min)"), r.tolerance_field_min));
    rules.push_str(&num("overtime_after_min", lang.tr("Overtime after (min)"), r.overtime_after_min));
    for b in Band::ALL {
        rules.push_str(&num(&format!("late_bp_{}", b.index() + 1), &format!("{} (0,01%)", b.tl_label()), r.late_bp[b.index()]));
    }
    for b in Band::ALL {
        rules.push_str(&num(&format!("early_bp_{}", b.index() + 1), &format!("{} (0,01%)", b.psw_label()), r.early_bp[b.index()]));
    }
    rules.push_str(&num("absent_bp", lang.tr("Absent (0.01%)"), r.absent_bp));
    rules.push_str(&num("daily_cap_bp", lang.tr("Daily cap (0.01%)"), r.daily_cap_bp));
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2><form method="post" action="/settings/rules" class="inline">{c}{rules}<button>{save}</button></form></section>"#,
        t = lang.tr("Rules and allowance deductions"),
        save = lang.tr("Save")
    );
    // Each holiday is its own small form: its name, kind and sites are changed where they are
    // read. No site ticked: every site.
    let mut hol = String::new();
    let sites = st.store.sites().await?;
    let kind_and_sites = |kind: HolidayKind, chosen: &[String]| -> String {
        let options: String = HolidayKind::ALL
            .iter()
            .map(|k| format!(r#"<option value="{}"{}>{}</option>"#, k.as_str(), if *k == kind { " selected" } else { "" }, holiday_kind_label(lang, *k)))
            .collect();
        let boxes: String = sites
            .iter()
            .map(|s| format!(r#"<label class="check"><input type="checkbox" name="site:{s}"{}>{s}</label>"#, if chosen.contains(s) { " checked" } else { "" }, s = esc(s)))
            .collect();
        format!(r#"<select name="kind" aria-label="{}">{options}</select>{boxes}"#, lang.tr("Kind"))
    };
    for h in st.store.holiday_list().await? {
        let _ = write!(
            hol,
            r#"<li data-holiday="{ds}" data-kind="{k}" data-sites="{where_}"><form class="inline" method="post" action="/settings/holiday">{c}<input type="hidden" name="date" value="{ds}"><b>{ds}</b> <input name="name" value="{n}" required maxlength="120" aria-label="{nl}">{sel}<button>{save}</button></form> <form class="inline" method="post" action="/settings/holiday/{ds}/remove">{c}<button class="reject">{rm}</button></form></li>"#,
            ds = date_str(h.date),
            k = h.kind.as_str(),
            where_ = esc(&h.sites.join(" ")),
            n = esc(&h.name),
            nl = lang.tr("Name"),
            sel = kind_and_sites(h.kind, &h.sites),
            save = lang.tr("Save"),
            rm = lang.tr("Remove"),
        );
    }
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2><p class="muted">{help}</p><ul id="holidays">{hol}</ul><form method="post" action="/settings/holiday" class="inline">{c}<label>{d}<input type="date" name="date" required></label><label>{n}<input name="name" required maxlength="120"></label>{sel}<button>{add}</button></form>
<form method="post" action="/settings/holidays/import" enctype="multipart/form-data" class="inline">{c}<label>{file}<input type="file" name="file" accept=".csv,.ics,text/csv,text/calendar" required></label><button>{import}</button></form></section>"#,
        t = lang.tr("Holidays"),
        help = lang.tr("National holidays, joint leave days and regional holidays: all of them days off in the recap, at the sites ticked (none ticked: every site). An existing date gets the new name, kind and sites. Import a year for every site from a CSV (date,name,kind: nasional, cuti bersama or daerah) or iCalendar (.ics) file: every line or none."),
        d = lang.tr("Date"),
        n = lang.tr("Name"),
        sel = kind_and_sites(HolidayKind::National, &[]),
        add = lang.tr("Add / change"),
        file = lang.tr("Holiday file"),
        import = lang.tr("Import"),
    );
    body.push_str(&super::schedule_pages::card(&st, lang, &c).await?);
    body.push_str(&super::site_pages::card(&st, lang, &s.csrf).await?);
    let mut areas = String::new();
    let mut by_site: Vec<_> = st.store.site_areas().await?.into_iter().collect();
    by_site.sort_by(|a, b| a.0.cmp(&b.0));
    for (site, a) in by_site {
        let _ = write!(
            areas,
            r#"<tr data-area="{s}"><td>{s}</td><td>{lat:.6}, {lon:.6}</td><td>{r} m</td></tr>"#,
            s = esc(&site),
            lat = a.lat_e7 as f64 / 1e7,
            lon = a.lon_e7 as f64 / 1e7,
            r = a.radius_m,
        );
    }
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2><p class="muted">{p}</p><div class="scroll"><table><thead><tr><th>{site}</th><th>{centre}</th><th>{radius}</th></tr></thead><tbody>{areas}</tbody></table></div>
<form method="post" action="/settings/site-area" class="inline">{c}<label>{site}<input name="site" required></label><label>{lat_l}<input name="lat" required inputmode="decimal" placeholder="-8.5819"></label>
<label>{lon_l}<input name="lon" required inputmode="decimal" placeholder="115.1771"></label><label>{radius} (m)<input name="radius_m" type="number" min="10" max="50000" value="300"></label><button>{save}</button></form></section>"#,
        t = lang.tr("Site areas (GPS)"),
        p = lang.tr("Field records outside their site's area, or with a poor GPS fix, wait for a supervisor's confirmation."),
        site = lang.tr("Site"),
        centre = lang.tr("Centre"),
        radius = lang.tr("Radius"),
        lat_l = lang.tr("Latitude"),
        lon_l = lang.tr("Longitude"),
        save = lang.tr("Save"),
    );
    body.push_str(&super::letterhead_pages::card(&st, lang, &s.csrf).await?);
    let range = crate::storage::retention::REFUSED_RETENTION_RANGE;
    let _ = write!(
        body,
        r#"<section class="card" id="retention"><h2>{t}</h2><p class="muted">{p}</p>
<form method="post" action="/settings/retention" class="inline">{c}<label>{l}<input name="days" type="number" min="{min}" max="{max}" value="{days}" required></label><button>{save}</button></form></section>"#,
        t = lang.tr("Retention of refused uploads and failed sign-ins"),
        p = lang.tr("Refused uploads (unknown or revoked devices, bad signatures, malformed data) and the audit log's failed sign-ins are kept for investigation, then deleted hourly after this many days. Records, quarantine and every other audit line are never deleted."),
        l = lang.tr("Days"),
        min = range.start(),
        max = range.end(),
        days = st.store.refused_retention_days().await?,
        save = lang.tr("Save"),
    );
    body.push_str(&super::user_pages::card(&st, &s).await?);
    let _ = write!(
        body,
        r#"<section class="card"><h2>{t}</h2>{links}<form method="post" action="/settings/board" class="inline">{c}<label>{l}<input name="label" required></label>
<label>{d}<input name="days" type="number" min="1" max="3650" value="{days}"></label>
<label><span><input type="checkbox" name="initials_only" value="1"> {i}</span></label>
<label>{sl}<select name="site"><option value="">{all}</option>{sites}</select></label>
<label><span><input type="checkbox" name="device_alerts" value="1"> {a}</span></label><button>{add}</button></form></section>"#,
        t = lang.tr("Late board (TV)"),
        sl = lang.tr("Site"),
        all = lang.tr("Every site"),
        sites = st.store.sites().await?.iter().map(|s| format!(r#"<option value="{s}">{s}</option>"#, s = esc(s))).collect::<String>(),
        links = board_links_table(lang, &st.store.board_links().await?, &s.csrf, crate::storage::dt_to_ms((st.clock)())),
        l = lang.tr("Screen name"),
        d = lang.tr("Valid (days)"),
        days = super::BOARD_LINK_DAYS,
        i = lang.tr("Initials only"),
        a = lang.tr("Device alerts (the admins' room screen)"),
        add = lang.tr("Create link"),
    );
    let _ = write!(
        body,
        r#"<section class="card"><h2>{}</h2><p><a href="/audit">{}</a> · <a href="/audit?action=access_denied">{}</a></p></section>"#,
        lang.tr("Audit log"),
        lang.tr("Open the audit log"),
        lang.tr("Refused access"),
    );
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Settings, lang.tr("Settings"), &body)))
}

/// Saves the rule settings.
pub async fn save_rules(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let mut r = RuleSettings::default();
    let get = |k: &str| field(&f, k).parse::<u32>().map_err(|_| AppError::BadRequest(format!("{k}: angka / number")));
    r.tolerance_office_min = get("tolerance_office_min")?;
    r.tolerance_field_min = get("tolerance_field_min")?;
    r.overtime_after_min = get("overtime_after_min")?;
    for i in 0..4 {
        r.late_bp[i] = get(&format!("late_bp_{}", i + 1))?;
        r.early_bp[i] = get(&format!("early_bp_{}", i + 1))?;
    }
    r.absent_bp = get("absent_bp")?;
    r.daily_cap_bp = get("daily_cap_bp")?;
    r.validate().map_err(|e| AppError::BadRequest(e.to_string()))?;
    st.store.put_settings(&r).await?;
    st.store.audit(&s.user.username, "settings", &format!("{r:?}"), (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Settings saved")))
}

/// How a holiday's kind reads.
pub(crate) fn holiday_kind_label(lang: Lang, kind: HolidayKind) -> &'static str {
    match kind {
        HolidayKind::National => lang.tr("National holiday"),
        HolidayKind::JointLeave => lang.tr("Joint leave"),
        HolidayKind::Regional => lang.tr("Regional holiday"),
    }
}

/// Adds a holiday, or changes an existing date's name, kind and sites (audited).
pub async fn add_holiday(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let d = parse_date(field(&f, "date")).ok_or_else(|| AppError::BadRequest(lang.tr("Not a valid date.").into()))?;
    let name = crate::holiday_file::checked_name(field(&f, "name")).map_err(|_| {
        AppError::BadRequest(lang.tr("The holiday's name: required, at most 120 characters.").into())
    })?;
    let kind = match field(&f, "kind") {
        "" => HolidayKind::National,
        k => HolidayKind::parse(k).ok_or_else(|| AppError::BadRequest(lang.tr("Unknown kind of holiday.").into()))?,
    };
    let known = st.store.sites().await?;
    let mut sites: Vec<String> = f.keys().filter_map(|k| k.strip_prefix("site:")).map(str::to_owned).collect();
    sites.sort();
    if let Some(unknown) = sites.iter().find(|s| !known.contains(s)) {
        return Err(AppError::BadRequest(format!("{}: {unknown}", lang.tr("Unknown site"))));
    }
    let holiday = Holiday { date: d, name, kind, sites };
    st.store.put_holiday(&holiday).await?;
    let detail = format!("{} {} ({}; {})", date_str(d), holiday.name, kind.as_str(), if holiday.sites.is_empty() { "all sites".to_owned() } else { holiday.sites.join(" ") });
    st.store.audit(&s.user.username, "holiday", &detail, (st.clock)()).await?;
    Ok(redirect_ok("/settings", lang.tr("Holiday saved")))
}

/// Removes a holiday (audited).
pub async fn remove_holiday(State(st): State<AppState>, s: Session, Path(date): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let d = parse_date(&date).ok_or_else(|| AppError::BadRequest("date".into()))?;
    if !st.store.remove_holiday(d).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "holiday_removed", &date_str(d), (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Holiday removed")))
}

/// Imports a holiday file (multipart: `csrf`, `file`): every holiday of it in one transaction,
/// or, when a line is wrong, nothing and the lines named.
pub async fn import_holidays(State(st): State<AppState>, s: Session, mut form: axum::extract::Multipart) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    let lang = s.lang;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        tracing::info!(error = %e, "holiday upload not readable");
        AppError::BadRequest(lang.tr("The upload could not be read (cut off or too large).").into())
    };
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(unreadable)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("").chars().filter(|c| !c.is_control()).take(80).collect::<String>();
                file = Some((name, field.bytes().await.map_err(unreadable)?));
            }
            _ => {}
        }
    }
    s.check_csrf(csrf.as_ref())?;
    let Some((name, bytes)) = file else { return Err(AppError::BadRequest("file".into())) };
    let holidays = match crate::holiday_file::parse(&bytes) {
        Ok(h) => h,
        Err(e) => {
            let detail = match &e {
                crate::holiday_file::HolidayFileError::Lines(lines) if lines.len() > 10 => {
                    format!("{}; … ({} {})", lines[..10].iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), lines.len(), lang.tr("bad lines"))
                }
                other => other.to_string(),
            };
            let msg = format!("{} {name}: {detail}", lang.tr("Nothing imported from"));
            return Ok(redirect_err("/settings", &msg));
        }
    };
    let rows = holidays;
    st.store.put_holidays(&rows).await?;
    st.store.audit(&s.user.username, "holidays_imported", &format!("{name}: {} dates", rows.len()), (st.clock)()).await?;
    let msg = tr!(lang, "{n} holidays imported from {name}", n = rows.len(), name = name);
    Ok(redirect_ok("/settings", &msg))
}


/// Sets a site's area (a circle; audited).
pub async fn put_site_area(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let site = field(&f, "site").trim();
    let number = |k: &str| field(&f, k).trim().replace(',', ".").parse::<f64>().ok();
    let radius = field(&f, "radius_m").trim().parse::<i64>().ok();
    let area = match (site.is_empty(), number("lat"), number("lon"), radius) {
        (false, Some(lat), Some(lon), Some(r)) => crate::storage::areas::SiteArea::new(lat, lon, r),
        _ => None,
    };
    let Some(area) = area else {
        return Ok(redirect_err(
            "/settings",
            s.lang.tr("Not an area: latitude −90 to 90, longitude −180 to 180, radius 10 to 50,000 m."),
        ));
    };
    let now = (st.clock)();
    st.store.put_site_area(site, area, &s.user.username, dt_to_ms(now)).await?;
    let detail = format!("{site}: {:.6}, {:.6}, {} m", area.lat_e7 as f64 / 1e7, area.lon_e7 as f64 / 1e7, area.radius_m);
    st.store.audit(&s.user.username, "site_area", &detail, now).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Site area saved")))
}

/// Sets how long refused uploads are kept (administrators), and prunes at once.
pub async fn put_retention(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let range = crate::storage::retention::REFUSED_RETENTION_RANGE;
    let Some(days) = field(&f, "days").trim().parse::<u32>().ok().filter(|d| range.contains(d)) else {
        let msg = tr!(s.lang, "The retention must be {start} to {end} days.", start = range.start(), end = range.end());
        return Ok(redirect_err("/settings", &msg));
    };
    let now = (st.clock)();
    st.store.set_refused_retention_days(days).await?;
    let pruned = st.store.prune_past_retention(dt_to_ms(now)).await?;
    let detail = format!(
        "refused uploads and failed sign-ins kept {days} days; older deleted: {} refused uploads, {} failed sign-ins",
        pruned.refused_uploads, pruned.failed_logins
    );
    st.store.audit(&s.user.username, "retention", &detail, now).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Retention saved")))
}

/// The late-board links with their state and a revoke button for the live ones.
fn board_links_table(lang: Lang, links: &[crate::storage::accounts::BoardLink], csrf: &str, now_ms: i64) -> String {
    if links.is_empty() {
        return String::new();
    }
    let day = |ms: i64| ms_to_dt(ms).map_or_else(|| "-".to_owned(), |t| date_str(t.date()));
    let mut rows = String::new();
    for l in links {
        let (state, live) = match (l.revoked_at_ms, l.expires_at_ms) {
            (Some(at), _) => (format!("{} {}", lang.tr("revoked"), day(at)), false),
            (None, Some(exp)) if exp <= now_ms => (format!("{} {}", lang.tr("expired"), day(exp)), false),
            (None, Some(exp)) => (format!("{} {}", lang.tr("valid until"), day(exp)), true),
            (None, None) => (lang.tr("no expiry").to_owned(), true),
        };
        let action = if live {
            format!(
                r#"<form method="post" action="/settings/board/{h}/revoke" class="inline" data-confirm="{q}">{c}<button class="reject">{b}</button></form>"#,
                h = esc(&l.token_sha256),
                q = lang.tr("Revoke this board link?"),
                c = csrf_field(csrf),
                b = lang.tr("Revoke"),
            )
        } else {
            String::new()
        };
        let _ = write!(
            rows,
            r#"<tr data-board="{h}"><td>{label}{alerts}</td><td>{made}</td><td>{state}</td><td>{action}</td></tr>"#,
            h = esc(&l.token_sha256),
            label = esc(&l.label),
            alerts = format!(
                "{}{}",
                l.site.as_ref().map(|s| format!(r#" <span class="muted">· {}</span>"#, esc(s))).unwrap_or_default(),
                if l.device_alerts { format!(r#" <span class="muted">({})</span>"#, lang.tr("with device alerts")) } else { String::new() }
            ),
            made = if l.created_at_ms > 0 { day(l.created_at_ms) } else { "-".to_owned() },
        );
    }
    format!(
        r#"<div class="scroll"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        lang.tr("Screen"),
        lang.tr("Made"),
        lang.tr("State"),
    )
}

/// Creates a late-board token and shows its link once.
pub async fn add_board_token(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let token = auth::random_token();
    let label = field(&f, "label");
    let initials = field(&f, "initials_only") == "1";
    let days = match field(&f, "days").trim() {
        "" => super::BOARD_LINK_DAYS,
        d => d.parse::<i64>().ok().filter(|d| (1..=3650).contains(d)).ok_or_else(|| {
            AppError::BadRequest(s.lang.tr("Validity is 1 to 3650 days.").into())
        })?,
    };
    let now = crate::storage::dt_to_ms((st.clock)());
    let site = match field(&f, "site").trim() {
        "" => None,
        site if st.store.sites().await?.iter().any(|s| s == site) => Some(site.to_owned()),
        site => return Err(AppError::BadRequest(format!("{} {site}", s.lang.tr("Unknown site:")))),
    };
    let settings = crate::storage::accounts::BoardToken {
        label: label.to_owned(),
        initials_only: initials,
        device_alerts: field(&f, "device_alerts") == "1",
        site,
    };
    st.store.add_board_token(&auth::token_hash(&token), &settings, now, now + days * 86_400_000).await?;
    st.store.audit(&s.user.username, "board_token", &format!("{label}, {days} days"), (st.clock)()).await?;
    let lang = s.lang;
    let body = format!(
        r#"<div class="card"><p>{p}</p><p><a id="board-link" href="/board/{token}">/board/{token}</a></p></div>"#,
        p = lang.tr("Open this link on the TV. It is shown only once."),
    );
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Settings, lang.tr("Late board link"), &body)))
}

/// Revokes a late-board link: the TV showing it goes blank at its next update.
pub async fn revoke_board_token(State(st): State<AppState>, s: Session, Path(hash): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let now = (st.clock)();
    if !st.store.revoke_board_token(&hash, crate::storage::dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    let label = st.store.board_links().await?.into_iter().find(|l| l.token_sha256 == hash).map(|l| l.label).unwrap_or_default();
    st.store.audit(&s.user.username, "board_token_revoked", &label, now).await?;
    st.records_arrived();
    Ok(redirect_ok("/settings", s.lang.tr("Board link revoked")))
}

/// The language of a request without a session (used by the board).
pub fn request_lang(parts: &axum::http::request::Parts) -> Lang {
    lang_of(parts)
}
