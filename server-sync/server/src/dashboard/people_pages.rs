//! Employees in bulk and leaving employees (administrators and operators): the import page
//! (upload → every row's outcome → confirm), the export, deactivation, and erasure on a
//! data-protection request (administrators only).
//!
//! The confirm button commits the file that was previewed: the upload is kept in memory under
//! its SHA-256 for [`UPLOAD_TTL_MIN`] minutes, for the user who sent it, and the commit reads
//! and checks it again against the store as it is then ([`crate::storage::Store::import_employees`]),
//! all or nothing. What a file means is [`crate::people::import`]; nothing here parses it.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::auth::Page;
use super::forms::trimmed;
use super::html::{csrf_input, page};
use super::i18n::{Lang, tr};
use super::pages::{Flash, flash, redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::people::import::{self, MAX_FILE_BYTES, Outcome, Plan};
use crate::storage::people::ImportError;

/// How long a previewed file waits for its confirmation.
pub const UPLOAD_TTL_MIN: i64 = 30;
/// Previewed files kept at once (the oldest goes first).
const MAX_UPLOADS: usize = 16;

/// Previewed files waiting for confirmation, by SHA-256 (hex).
#[derive(Debug, Default)]
pub struct Uploads(Mutex<HashMap<String, Upload>>);

#[derive(Debug)]
struct Upload {
    user: String,
    bytes: Vec<u8>,
    at: OffsetDateTime,
}

impl Uploads {
    fn put(&self, user: &str, bytes: Vec<u8>, now: OffsetDateTime) -> String {
        let key = hadir_protocol::Digest::of(&bytes).to_hex();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, u| now - u.at < Duration::minutes(UPLOAD_TTL_MIN));
        while map.len() >= MAX_UPLOADS {
            let Some(oldest) = map.iter().min_by_key(|(_, u)| u.at).map(|(k, _)| k.clone()) else { break };
            map.remove(&oldest);
        }
        map.insert(key.clone(), Upload { user: user.to_owned(), bytes, at: now });
        key
    }

    fn get(&self, key: &str, user: &str, now: OffsetDateTime) -> Option<Vec<u8>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|u| u.user == user && now - u.at < Duration::minutes(UPLOAD_TTL_MIN)).map(|u| u.bytes.clone())
    }

    fn remove(&self, key: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// The upload form and the export links.
fn form_html(s: &Session) -> Markup {
    let lang = s.lang;
    html! {
        section.card {
            h2 { (lang.tr("Import employees from CSV or XLSX")) }
            p.muted { (lang.tr("One header row (e.g. NIP, Name, Position, Grade, Section, Site, Employment type, Supervisor), then one row per employee; format the NIP column as text. You see every row's outcome before anything is saved; if any row is refused, nothing is saved. At most 10 MB.")) }
            form method="post" action="/employees/import" enctype="multipart/form-data" class="inline" {
                (csrf_input(&s.csrf))
                label { (lang.tr("File")) input type="file" name="file" id="import-file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required; }
                button id="import-preview" { (lang.tr("Preview")) }
            }
        }
        section.card {
            h2 { (lang.tr("Export the employee list (same format)")) }
            p { a href="/employees/export.xlsx" id="export-xlsx" { "XLSX" } " · " a href="/employees/export.csv" id="export-csv" { "CSV" } }
        }
    }
}

/// The import page: the upload form and the export links.
pub async fn import_page(s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let body = html! { (flash(&q)) (form_html(&s)) };
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, s.lang.tr("Import employees"), body)))
}

fn outcome_cell(lang: Lang, o: &Outcome) -> Markup {
    match o {
        Outcome::Added => html! { td.ok { (lang.tr("added")) } },
        Outcome::Changed(fields) => html! { td { (lang.tr("changed")) ": " (fields.iter().map(|c| c.label(lang)).collect::<Vec<_>>().join(", ")) } },
        Outcome::Unchanged => html! { td.muted { (lang.tr("unchanged")) } },
        Outcome::Refused(why) => html! { td.bad { (lang.tr("refused")) ": " (why.text(lang)) } },
    }
}

/// The preview: counts, every row's outcome, and the confirm button when nothing is refused.
fn preview_html(s: &Session, plan: &Plan, upload: &str) -> Markup {
    let lang = s.lang;
    let t = plan.tally();
    // Refused rows first: they are what the person has to act on.
    let mut rows: Vec<_> = plan.rows.iter().collect();
    rows.sort_by_key(|r| (!matches!(r.outcome, Outcome::Refused(_)), r.row));
    html! {
        div.flash.error[t.refused > 0] id="import-summary" {
            (lang.tr("added")) " " (t.added) " · " (lang.tr("changed")) " " (t.updated) " · "
            (lang.tr("unchanged")) " " (t.unchanged) " · " (lang.tr("refused")) " " (t.refused)
        }
        @if t.refused > 0 {
            p { (lang.tr("Some rows are refused: nothing is saved. Fix those rows in the file and upload it again.")) }
        } @else if t.added + t.updated > 0 {
            form method="post" action="/employees/import/confirm" class="inline" {
                (csrf_input(&s.csrf))
                input type="hidden" name="upload" value=(upload);
                button id="import-confirm" { (lang.tr("Save all")) }
            }
        }
        div.card.scroll { table id="import-rows" {
            thead { tr { th { (lang.tr("Row")) } th { "NIP / ID" } th { (lang.tr("Name")) } th { (lang.tr("Outcome")) } } }
            tbody {
                @for r in rows {
                    tr { td { (r.row) } td { (r.employee_id.as_deref().unwrap_or("")) } td { (r.name.as_deref().unwrap_or("")) } (outcome_cell(lang, &r.outcome)) }
                }
            }
        } }
    }
}

fn import_error(lang: Lang, e: impl std::fmt::Display) -> AppError {
    tracing::info!(error = %e, "import upload not readable");
    AppError::BadRequest(
        lang.tr("The upload could not be read (cut off or over 10 MB).")
        .into(),
    )
}

/// Reads the uploaded file and shows every row's outcome; writes nothing.
pub async fn import_preview(State(st): State<AppState>, s: Session, mut form: Multipart) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    let lang = s.lang;
    let mut csrf = None;
    let mut file = None;
    while let Some(f) = form.next_field().await.map_err(|e| import_error(lang, e))? {
        match f.name() {
            Some("csrf") => csrf = Some(f.text().await.map_err(|e| import_error(lang, e))?),
            Some("file") => file = Some(f.bytes().await.map_err(|e| import_error(lang, e))?.to_vec()),
            _ => {}
        }
    }
    s.check_csrf(csrf.as_ref())?;
    let bytes = file.unwrap_or_default();
    let title = lang.tr("Import preview");
    let sheet = match import::parse(&bytes) {
        Ok(sheet) => sheet,
        Err(e) => {
            let body = html! { div.flash.error id="import-error" { (e.text(lang)) } (form_html(&s)) };
            let mut r = Html(page(lang, &s.user, &s.csrf, Page::Employees, title, body)).into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
    };
    let plan = st.store.plan_import(&sheet).await?;
    let key = st.uploads.put(&s.user.username, bytes, (st.clock)());
    let body = html! { (preview_html(&s, &plan, &key)) (form_html(&s)) };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Employees, title, body)).into_response())
}

/// The form of `POST /employees/import/confirm`: which previewed file.
#[derive(Debug, Deserialize)]
pub struct ImportConfirmForm {
    #[serde(default)]
    csrf: String,
    /// The file's SHA-256 (hex), as the preview gave it.
    #[serde(default, deserialize_with = "trimmed")]
    upload: String,
}

/// Commits the previewed file, checked again; all or nothing.
pub async fn import_confirm(State(st): State<AppState>, s: Session, Form(f): Form<ImportConfirmForm>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let key = f.upload.as_str();
    let now = (st.clock)();
    let Some(bytes) = st.uploads.get(key, &s.user.username, now) else {
        return Ok(redirect_err(
            "/employees/import",
            lang.tr("The preview expired; upload the file again."),
        ));
    };
    match st.store.import_employees(&bytes, true, &s.user.username, now).await {
        Ok(plan) => {
            st.uploads.remove(key);
            let t = plan.tally();
            let msg = tr!(lang, "Import saved: {added} added, {updated} changed, {unchanged} unchanged. Kiosks receive it at their next sync.", added = t.added, updated = t.updated, unchanged = t.unchanged);
            Ok(redirect_ok("/employees/import", &msg))
        }
        Err(ImportError::Refused(_, plan)) => {
            // The store changed since the preview (a section removed …): show why.
            let body = html! { (preview_html(&s, &plan, key)) (form_html(&s)) };
            let mut r = Html(page(lang, &s.user, &s.csrf, Page::Employees, lang.tr("Import preview"), body)).into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(ImportError::File(e)) => Ok(redirect_err("/employees/import", &e.text(lang))),
        Err(ImportError::Storage(e)) => Err(AppError::Storage(e)),
    }
}

/// The present employees as `employees.csv` or `employees.xlsx`, in the import's format.
pub async fn export(State(st): State<AppState>, s: Session, Path(fmt): Path<String>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    let people = st.store.active_people().await?;
    let (bytes, mime) = match fmt.as_str() {
        "csv" => (crate::people::export::to_csv(&people), "text/csv; charset=utf-8"),
        "xlsx" => (
            crate::people::export::to_xlsx(&people).map_err(|e| AppError::Export(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => return Err(AppError::NotFound),
    };
    st.store.audit(&s.user.username, "employees_export", &format!("{} employees as {fmt}", people.len()), (st.clock)()).await?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disposition = format!("attachment; filename=\"pegawai.{fmt}\"");
    r.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| AppError::Internal(e.to_string()))?);
    Ok(r)
}

/// The employee page's last card: deactivate (administrators and operators) and erase
/// (administrators), each confirmed by typing the employee's id.
pub fn leave_forms(s: &Session, id: &str) -> Markup {
    let lang = s.lang;
    let confirm = lang.tr("Type the employee's NIP/id to confirm");
    html! {
        section.card {
            h2 { (lang.tr("Deactivate employee")) }
            p.muted { (lang.tr("The employee leaves every kiosk's roster at the next sync; PIN and face templates are erased. Past records and reports stay.")) }
            form method="post" action=(format!("/employees/{id}/deactivate")) class="inline" {
                (csrf_input(&s.csrf))
                label { (confirm) input name="confirm" id="deactivate-confirm" required autocomplete="off"; }
                button id="deactivate" class="reject" { (lang.tr("Deactivate")) }
            }
        }
        @if super::auth::allowed(s.user.role, Page::Settings) {
            section.card {
                h2 { (lang.tr("Erase personal data (data-protection request)")) }
                p.muted { (lang.tr("Face templates, evidence photos and the PIN are deleted for good; attendance records stay without photos; the employee is deactivated. This is audited and cannot be undone.")) }
                form method="post" action=(format!("/employees/{id}/erase")) class="inline" {
                    (csrf_input(&s.csrf))
                    label { (confirm) input name="confirm" id="erase-confirm" required autocomplete="off"; }
                    button id="erase" class="reject" { (lang.tr("Erase data")) }
                }
            }
        }
    }
}

/// The form that deactivates or erases an employee: the id typed again.
#[derive(Debug, Deserialize)]
pub struct LeaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    confirm: String,
}

fn confirmed(f: &LeaveForm, id: &str, lang: Lang) -> Result<(), AppError> {
    if f.confirm == id {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            lang.tr("The confirmation does not match the employee's NIP/id; nothing changed.").into(),
        ))
    }
}

/// Deactivates an employee (administrators and operators).
pub async fn deactivate(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<LeaveForm>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    confirmed(&f, &id, s.lang)?;
    if !st.store.deactivate_employee(&id, &s.user.username, (st.clock)()).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect_ok(
        "/employees",
        s.lang.tr("Employee deactivated; kiosks remove them at their next sync."),
    ))
}

/// Erases an employee's biometric data on a data-protection request (administrators).
pub async fn erase(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<LeaveForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    confirmed(&f, &id, s.lang)?;
    let Some(done) = st.store.erase_employee(&id, &s.user.username, (st.clock)()).await? else { return Err(AppError::NotFound) };
    let msg = tr!(s.lang, "Personal data erased: {templates} face templates, {photos} evidence photos, the PIN.", templates = done.templates, photos = done.photos);
    Ok(redirect_ok("/employees", &msg))
}

/// The largest import request body: the file cap and room for the form.
pub const MAX_IMPORT_BODY: usize = MAX_FILE_BYTES + (1 << 20);
