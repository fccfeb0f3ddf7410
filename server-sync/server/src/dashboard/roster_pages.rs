//! One employee's page (admins and operators): face enrolment from uploaded photos, PIN
//! reset, and the employee's user number on the ZKTeco terminals. The first two write the
//! roster through the store ([`crate::storage::Store`]), so the roster revision moves and the
//! kiosks of the employee's site fetch the change; the terminals get a new number at their next
//! poll. All are audited (`enrol_face`, `enrol_refused`, `pin_reset`, `terminal_user_number`).
//!
//! The enrolment decision is [`super::enrol`]'s; this module parses the upload, answers with
//! the page and its message, and writes the audit line.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Page;
use super::enrol::{self, EnrolError, MAX_PHOTOS, MIN_PHOTOS, Photo};
use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, tr};
use super::pages::{Fields, flash, redirect_ok};
use crate::storage::calendar::date_str;
use crate::storage::employees::RosterEntry;
use super::{AppError, AppState, Session, pin};
use crate::storage::EmployeeInput;

pub(super) async fn entry(st: &AppState, id: &str) -> Result<RosterEntry, AppError> {
    st.store.roster_entry(id).await?.ok_or(AppError::NotFound)
}

fn now_ms(st: &AppState) -> i64 {
    ((st.clock)().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The page body: the employee's facts, the enrolment form and the PIN form; `notice` goes on
/// top (a flash, an error, or the new PIN).
async fn body(st: &AppState, s: &Session, e: &RosterEntry, notice: &str) -> Result<String, AppError> {
    let lang = s.lang;
    let section_id = st.store.employees().await?.into_iter().find(|x| x.id == e.id).and_then(|x| x.section);
    let section = match section_id {
        Some(sid) => st.store.sections().await?.into_iter().find(|sec| sec.id == sid).map(|sec| sec.name),
        None => None,
    }
    .unwrap_or_else(|| "-".into());
    let off = st.offset();
    let faces = match (e.templates, e.last_template) {
        (0, _) => format!(r#"<span class="bad">{}</span>"#, lang.tr("not enrolled")),
        (n, Some(t)) => {
            let t = t.to_offset(off);
            format!(r#"<span class="ok">{n} {}</span> ({} {})"#, lang.tr("templates"), lang.tr("latest"), date_str(t.date()))
        }
        (n, None) => format!(r#"<span class="ok">{n} {}</span>"#, lang.tr("templates")),
    };
    let pin_state = if e.has_pin {
        format!(r#"<span class="ok">{}</span>"#, lang.tr("set"))
    } else {
        format!(r#"<span class="bad">{}</span>"#, lang.tr("not set"))
    };
    let id = esc(&e.id);
    let c = csrf_field(&s.csrf);
    let mut b = String::from(notice);
    let _ = write!(
        b,
        r#"<div class="card"><table><tbody>
<tr><th>NIP</th><td>{id}</td></tr><tr><th>{site_l}</th><td>{site}</td></tr><tr><th>{sec_l}</th><td>{sec}</td></tr>
<tr><th>{face_l}</th><td id="face-state">{faces}</td></tr><tr><th>PIN</th><td id="pin-state">{pin_state}</td></tr></tbody></table>
<p><a href="/employees/{id}/edit" id="edit-employee">{edit}</a></p></div>
<section class="card"><h2>{enrol_h}</h2><p class="muted">{enrol_p}</p>
<form method="post" action="/employees/{id}/enrol" enctype="multipart/form-data" class="inline">{c}
<label>{photos_l}<input type="file" name="photos" id="photos" multiple accept="image/jpeg,image/png,image/webp" required></label>
<button id="enrol">{enrol_b}</button></form></section>
<section class="card"><h2>{pin_h}</h2><p class="muted">{pin_p}</p>
<form method="post" action="/employees/{id}/pin" class="inline" data-confirm="{pin_q}">{c}<button id="reset-pin" class="reject">{pin_b}</button></form></section>"#,
        site_l = lang.tr("Site"),
        site = esc(&e.site_id),
        sec_l = lang.tr("Section"),
        sec = esc(&section),
        face_l = lang.tr("Face"),
        edit = lang.tr("Edit the employee's details"),
        enrol_h = lang.tr("Face enrolment from photos"),
        enrol_p = tr!(lang, "Upload {min_photos}–{max_photos} face photos of this employee: one person per photo, looking straight at the camera, good light, JPEG/PNG/WebP. They are checked as at the kiosk; a face already enrolled as another employee is refused. Photos are not kept, only the (encrypted) face templates.", min_photos = MIN_PHOTOS, max_photos = MAX_PHOTOS),
        photos_l = lang.tr("Photos"),
        enrol_b = lang.tr("Enrol face"),
        pin_h = lang.tr("Attendance PIN"),
        pin_p = tr!(lang, "Resetting makes a random {pin_length}-digit PIN not used at this site. The new PIN is shown once only; the old PIN stops working once the devices sync.", pin_length = st.config.pin_length),
        pin_q = lang.tr("Reset this employee's PIN?"),
        pin_b = lang.tr("Reset PIN"),
    );
    b.push_str(&template_forms(s, &e.id, &st.store.templates(&e.id).await?, off));
    b.push_str(&super::people_pages::leave_forms(s, &e.id));
    b.push_str(&super::user_pages::self_service_card(st, s, &e.id).await?);
    b.push_str(&terminal_user_card(st, s, &e.id).await?);
    Ok(b)
}

/// The employee's user number on the ZKTeco terminals, and the form that sets it.
async fn terminal_user_card(st: &AppState, s: &Session, id: &str) -> Result<String, AppError> {
    let lang = s.lang;
    let current = st.store.terminal_user_of(id).await?;
    Ok(format!(
        r#"<section class="card" id="terminal-user"><h2>{h}</h2><p class="muted">{p}</p>
<form method="post" action="/employees/{id}/terminal-user" class="inline">{c}<label>{l}<input name="number" value="{v}" required maxlength="{max}" pattern="[A-Za-z0-9]+"></label><button>{save}</button></form></section>"#,
        h = lang.tr("User number on the ZKTeco terminals"),
        p = lang.tr("The number the employee types at a fingerprint or face terminal. Unset: the employee's NIP/id. Terminals receive it at their next poll."),
        id = esc(id),
        c = csrf_field(&s.csrf),
        l = lang.tr("Number"),
        v = esc(current.as_deref().unwrap_or(id)),
        max = hadir_zkteco::attlog::MAX_PIN_LEN,
        save = lang.tr("Save"),
    ))
}

/// Sets the employee's terminal user number (operators and administrators; audited); one
/// another employee has is refused, naming them.
pub async fn set_terminal_user(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let e = entry(&st, &id).await?;
    let back = format!("/employees/{}", e.id);
    let number = f.get("number").map_or("", |v| v.trim());
    if hadir_zkteco::Pin::new(number).is_err() {
        let msg = tr!(lang, "Number: 1 to {max_pin_len} letters or digits.", max_pin_len = hadir_zkteco::attlog::MAX_PIN_LEN);
        return Ok(super::pages::redirect_err(&back, &msg));
    }
    if let Some(owner) = st.store.terminal_user_owner(number).await?.filter(|o| *o != e.id) {
        let msg = tr!(lang, "Number {number} is already employee {owner}'s.", number = number, owner = owner);
        return Ok(super::pages::redirect_err(&back, &msg));
    }
    st.store.set_terminal_user(&e.id, number).await?;
    st.store.audit(&s.user.username, "terminal_user_number", &format!("{}: {number}", e.id), (st.clock)()).await?;
    Ok(redirect_ok(&back, lang.tr("Terminal number saved; terminals receive it at their next poll")))
}

/// The employee's face templates, each with where it came from and a remove button.
fn template_forms(s: &Session, id: &str, templates: &[crate::storage::StoredTemplate], off: time::UtcOffset) -> String {
    let lang = s.lang;
    if templates.is_empty() {
        return String::new();
    }
    let c = csrf_field(&s.csrf);
    let id = esc(id);
    let mut rows = String::new();
    for t in templates {
        let when = crate::storage::ms_to_dt(t.created_at_ms).map(|d| date_str(d.to_offset(off).date())).unwrap_or_default();
        let from = t.source_device_id.as_deref().map(esc).unwrap_or_else(|| lang.tr("dashboard").into());
        let _ = write!(
            rows,
            r#"<tr data-template="{tid}"><td>{tid}</td><td>{when}</td><td>{from}</td><td><form method="post" action="/employees/{id}/templates/{tid}/remove" class="inline" data-confirm="{q}">{c}<button class="reject">{b}</button></form></td></tr>"#,
            tid = t.template_id,
            q = lang.tr("Remove this face template?"),
            b = lang.tr("Remove"),
        );
    }
    format!(
        r#"<section class="card" id="templates"><h2>{h}</h2><p class="muted">{p}</p><table><thead><tr><th>ID</th><th>{w}</th><th>{f}</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        h = lang.tr("Face templates"),
        p = lang.tr("Remove a wrong template (a bad enrolment, or a face a stolen kiosk added); kiosks forget it at their next sync."),
        w = lang.tr("Enrolled"),
        f = lang.tr("From"),
    )
}

/// Removes one face template (administrators and operators).
pub async fn remove_template(State(st): State<AppState>, s: Session, Path((id, template_id)): Path<(String, i64)>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(f.get("csrf"))?;
    if !st.store.remove_template(&id, template_id, &s.user.username, (st.clock)()).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect_ok(
        &format!("/employees/{id}"),
        s.lang.tr("Face template removed; kiosks forget it at their next sync."),
    ))
}

pub(super) async fn render(st: &AppState, s: &Session, e: &RosterEntry, notice: &str) -> Result<Html<String>, AppError> {
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, &e.name, &body(st, s, e, notice).await?)))
}

/// One employee: facts, enrolment from photos, PIN reset.
pub async fn employee(State(st): State<AppState>, s: Session, Path(id): Path<String>, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let e = entry(&st, &id).await?;
    render(&st, &s, &e, &flash(&q)).await
}

fn bad_upload(lang: Lang, e: impl std::fmt::Display) -> AppError {
    tracing::info!(error = %e, "enrolment upload not readable");
    AppError::BadRequest(
        lang.tr("The upload could not be read (cut off or too large). Try again with smaller photos.")
        .into(),
    )
}

/// Enrols the employee's face from the uploaded photos (multipart: `csrf`, `photos`…).
pub async fn enrol_photos(State(st): State<AppState>, s: Session, Path(id): Path<String>, mut form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    let lang = s.lang;
    let mut csrf = None;
    let mut photos = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad_upload(lang, e))? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(|e| bad_upload(lang, e))?),
            Some("photos") => {
                let file_name = field.file_name().unwrap_or("").chars().filter(|c| !c.is_control()).take(80).collect::<String>();
                let bytes = field.bytes().await.map_err(|e| bad_upload(lang, e))?;
                // A file input left empty still sends one nameless, empty part.
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                let file_name = if file_name.is_empty() { format!("foto {}", photos.len() + 1) } else { file_name };
                photos.push(Photo { file_name, bytes: bytes.to_vec() });
            }
            _ => {}
        }
    }
    s.check_csrf(csrf.as_ref())?;
    let e = entry(&st, &id).await?;
    let storage = st.store.clone();
    let sites = st.store.sites().await?;
    let now = (st.clock)();
    let given = photos.len();
    match enrol::enrol(st.faces.clone(), &storage, &sites, &e.id, photos, now_ms(&st)).await {
        Ok(done) => {
            let nearest = done.nearest_other.as_ref().map_or_else(|| "none".to_owned(), |(o, p)| format!("{o} {p:.1}%"));
            st.store.audit(&s.user.username, "enrol_face", &format!("{}: {} templates from {given} photos; nearest other {nearest}", e.id, done.templates), now).await?;
            tracing::info!(employee = %e.id, templates = done.templates, by = %s.user.username, "face enrolled from photos");
            let msg = tr!(lang, "Face enrolled from {templates} photos; devices receive it at their next sync.", templates = done.templates);
            Ok(redirect_ok(&format!("/employees/{}", e.id), &msg))
        }
        Err(EnrolError::Refused(r)) => {
            st.store.audit(&s.user.username, "enrol_refused", &format!("{}: {}", e.id, r.summary()), now).await?;
            tracing::info!(employee = %e.id, reason = %r.summary(), "face enrolment refused");
            let notice = format!(r#"<div class="flash error" id="enrol-error">{}</div>"#, esc(&r.message(lang)));
            let mut resp = render(&st, &s, &e, &notice).await?.into_response();
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(EnrolError::Models(m)) => Err(AppError::Models(m)),
        Err(EnrolError::Storage(x)) => Err(AppError::Storage(x)),
        Err(other) => Err(AppError::Internal(other.to_string())),
    }
}

/// Sets a new random PIN, unique at the employee's site, and shows it once.
pub async fn reset_pin(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let e = entry(&st, &id).await?;
    let storage = st.store.clone();
    let others: Vec<String> =
        storage.roster_since(&e.site_id, 0).await?.changed.into_iter().filter(|x| x.id != e.id).filter_map(|x| x.pin_hash).collect();
    let len = st.config.pin_length;
    let (new_pin, hash) = tokio::task::spawn_blocking(move || pin::unique_pin(len, &others, || pin::random_pin(len)))
        .await
        .map_err(|x| AppError::Internal(x.to_string()))?
        .map_err(|x| AppError::Internal(x.to_string()))?;
    let revision = storage
        .upsert_employee(&EmployeeInput {
            employee_id: e.id.clone(),
            name: e.name.clone(),
            site_id: e.site_id.clone(),
            section_id: e.section_id.clone(),
            pin_hash: Some(hash),
        })
        .await?;
    st.store.audit(&s.user.username, "pin_reset", &format!("{} ({}); roster revision {revision}", e.id, e.name), (st.clock)()).await?;
    tracing::info!(employee = %e.id, by = %s.user.username, revision, "PIN reset");
    let e = entry(&st, &id).await?;
    let notice = format!(
        r#"<div class="flash" id="new-pin-box"><p>{p}</p><p class="new-pin" id="new-pin">{pin}</p><p>{n}</p></div>"#,
        p = lang.tr("New PIN for").to_owned() + " " + &esc(&e.name) + ":",
        pin = new_pin,
        n = lang.tr("Write it down and hand it to the employee now: it is shown only once and is not stored readably."),
    );
    let mut resp = render(&st, &s, &e, &notice).await?.into_response();
    // Shown once: no cache may keep the page.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
