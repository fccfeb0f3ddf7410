//! One employee's page (admins and operators): face enrolment from uploaded photos, PIN
//! reset, and the employee's user number on the ZKTeco terminals. The first two write the
//! roster through the store ([`crate::storage::Store`]), so the roster revision moves and the
//! kiosks of the employee's site fetch the change; the terminals get a new number at their next
//! poll. All are audited (`enrol_face`, `enrol_refused`, `pin_reset`, `terminal_user_number`).
//!
//! The enrolment decision is [`super::enrol`]'s; this module parses the upload, answers with
//! the page and its message, and writes the audit line.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::Page;
use super::enrol::{self, EnrolError, MAX_PHOTOS, MIN_PHOTOS, Photo};
use super::forms::{CsrfOnly, trimmed};
use super::html::{csrf_input, page};
use super::i18n::{Lang, tr};
use super::pages::{Flash, flash, redirect_ok};
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
async fn body(st: &AppState, s: &Session, e: &RosterEntry, notice: Markup) -> Result<Markup, AppError> {
    let lang = s.lang;
    let section_id = st.store.employees().await?.into_iter().find(|x| x.id == e.id).and_then(|x| x.section);
    let section = match section_id {
        Some(sid) => st.store.sections().await?.into_iter().find(|sec| sec.id == sid).map(|sec| sec.name),
        None => None,
    }
    .unwrap_or_else(|| "-".into());
    let off = st.offset();
    let templates = st.store.templates(&e.id).await?;
    let self_service = super::user_pages::self_service_card(st, s, &e.id).await?;
    let terminal_user = terminal_user_card(st, s, &e.id).await?;
    let body = html! {
        (notice)
        div.card {
            table { tbody {
                tr { th { "NIP" } td { (e.id) } }
                tr { th { (lang.tr("Site")) } td { (e.site_id) } }
                tr { th { (lang.tr("Section")) } td { (section) } }
                tr { th { (lang.tr("Face")) } td id="face-state" {
                    @if e.templates == 0 {
                        span.bad { (lang.tr("not enrolled")) }
                    } @else {
                        span.ok { (e.templates) " " (lang.tr("templates")) }
                        @if let Some(t) = e.last_template {
                            " (" (lang.tr("latest")) " " (date_str(t.to_offset(off).date())) ")"
                        }
                    }
                } }
                tr { th { "PIN" } td id="pin-state" {
                    @if e.has_pin { span.ok { (lang.tr("set")) } } @else { span.bad { (lang.tr("not set")) } }
                } }
            } }
            p { a href=(format!("/employees/{}/edit", e.id)) id="edit-employee" { (lang.tr("Edit the employee's details")) } }
        }
        section.card {
            h2 { (lang.tr("Face enrolment from photos")) }
            p.muted { (tr!(lang, "Upload {min_photos}–{max_photos} face photos of this employee: one person per photo, looking straight at the camera, good light, JPEG/PNG/WebP. They are checked as at the kiosk; a face already enrolled as another employee is refused. Photos are not kept, only the (encrypted) face templates.", min_photos = MIN_PHOTOS, max_photos = MAX_PHOTOS)) }
            form method="post" action=(format!("/employees/{}/enrol", e.id)) enctype="multipart/form-data" class="inline" {
                (csrf_input(&s.csrf))
                label { (lang.tr("Photos")) input type="file" name="photos" id="photos" multiple accept="image/jpeg,image/png,image/webp" required; }
                button id="enrol" { (lang.tr("Enrol face")) }
            }
        }
        section.card {
            h2 { (lang.tr("Attendance PIN")) }
            p.muted { (tr!(lang, "Resetting makes a random {pin_length}-digit PIN not used at this site. The new PIN is shown once only; the old PIN stops working once the devices sync.", pin_length = st.config.pin_length)) }
            form method="post" action=(format!("/employees/{}/pin", e.id)) class="inline" data-confirm=(lang.tr("Reset this employee's PIN?")) {
                (csrf_input(&s.csrf))
                button id="reset-pin" class="reject" { (lang.tr("Reset PIN")) }
            }
        }
        (template_forms(s, &e.id, &templates, off))
        (super::people_pages::leave_forms(s, &e.id))
        (self_service)
        (terminal_user)
    };
    Ok(body)
}

/// The employee's user number on the ZKTeco terminals, and the form that sets it.
async fn terminal_user_card(st: &AppState, s: &Session, id: &str) -> Result<Markup, AppError> {
    let lang = s.lang;
    let current = st.store.terminal_user_of(id).await?;
    Ok(html! {
        section.card id="terminal-user" {
            h2 { (lang.tr("User number on the ZKTeco terminals")) }
            p.muted { (lang.tr("The number the employee types at a fingerprint or face terminal. Unset: the employee's NIP/id. Terminals receive it at their next poll.")) }
            form method="post" action=(format!("/employees/{id}/terminal-user")) class="inline" {
                (csrf_input(&s.csrf))
                label { (lang.tr("Number")) input name="number" value=(current.as_deref().unwrap_or(id)) required maxlength=(hadir_zkteco::attlog::MAX_PIN_LEN) pattern="[A-Za-z0-9]+"; }
                button { (lang.tr("Save")) }
            }
        }
    })
}

/// The form of `POST /employees/{id}/terminal-user`.
#[derive(Debug, Deserialize)]
pub struct TerminalUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    number: String,
}

/// Sets the employee's terminal user number (operators and administrators; audited); one
/// another employee has is refused, naming them.
pub async fn set_terminal_user(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<TerminalUserForm>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let e = entry(&st, &id).await?;
    let back = format!("/employees/{}", e.id);
    let number = f.number.as_str();
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
fn template_forms(s: &Session, id: &str, templates: &[crate::storage::StoredTemplate], off: time::UtcOffset) -> Markup {
    let lang = s.lang;
    if templates.is_empty() {
        return html! {};
    }
    html! {
        section.card id="templates" {
            h2 { (lang.tr("Face templates")) }
            p.muted { (lang.tr("Remove a wrong template (a bad enrolment, or a face a stolen kiosk added); kiosks forget it at their next sync.")) }
            table {
                thead { tr { th { "ID" } th { (lang.tr("Enrolled")) } th { (lang.tr("From")) } th {} } }
                tbody {
                    @for t in templates {
                        tr data-template=(t.template_id) {
                            td { (t.template_id) }
                            td { (crate::storage::ms_to_dt(t.created_at_ms).map(|d| date_str(d.to_offset(off).date())).unwrap_or_default()) }
                            td { (t.source_device_id.as_deref().unwrap_or(lang.tr("dashboard"))) }
                            td { form method="post" action=(format!("/employees/{id}/templates/{}/remove", t.template_id)) class="inline" data-confirm=(lang.tr("Remove this face template?")) {
                                (csrf_input(&s.csrf))
                                button.reject { (lang.tr("Remove")) }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// Removes one face template (administrators and operators).
pub async fn remove_template(State(st): State<AppState>, s: Session, Path((id, template_id)): Path<(String, i64)>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    if !st.store.remove_template(&id, template_id, &s.user.username, (st.clock)()).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect_ok(
        &format!("/employees/{id}"),
        s.lang.tr("Face template removed; kiosks forget it at their next sync."),
    ))
}

pub(super) async fn render(st: &AppState, s: &Session, e: &RosterEntry, notice: Markup) -> Result<Html<String>, AppError> {
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, &e.name, body(st, s, e, notice).await?)))
}

/// One employee: facts, enrolment from photos, PIN reset.
pub async fn employee(State(st): State<AppState>, s: Session, Path(id): Path<String>, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let e = entry(&st, &id).await?;
    render(&st, &s, &e, flash(&q)).await
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
            let notice = html! { div.flash.error id="enrol-error" { (r.message(lang)) } };
            let mut resp = render(&st, &s, &e, notice).await?.into_response();
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(EnrolError::Models(m)) => Err(AppError::Models(m)),
        Err(EnrolError::Storage(x)) => Err(AppError::Storage(x)),
        Err(other) => Err(AppError::Internal(other.to_string())),
    }
}

/// Sets a new random PIN, unique at the employee's site, and shows it once.
pub async fn reset_pin(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
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
    let notice = html! {
        div.flash id="new-pin-box" {
            p { (lang.tr("New PIN for")) " " (e.name) ":" }
            p.new-pin id="new-pin" { (new_pin) }
            p { (lang.tr("Write it down and hand it to the employee now: it is shown only once and is not stored readably.")) }
        }
    };
    let mut resp = render(&st, &s, &e, notice).await?.into_response();
    // Shown once: no cache may keep the page.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
