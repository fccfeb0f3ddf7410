//! One employee's personnel fields, typed in (administrators and operators): the form that
//! adds a new hire and the one that changes an employee (name, NIP, position, grade, section,
//! site, employment type, supervisor). Moving between sections and sites is a change like any
//! other, and reaches the kiosks through the roster.
//!
//! The form is a one-row import ([`crate::people::import::one`]): the same checks (NIP form and
//! length by employment type, known section and site, lengths, formulas) and the same write, so
//! a typed employee and a file's employee can never disagree.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::auth::Page;
use super::html::{csrf_field, esc, page};
use super::i18n::tr;
use super::pages::{field, redirect_ok};
use super::{AppError, AppState, Session};
use crate::people::import::{self, COLUMNS, Column, EmploymentType, Outcome};
use crate::storage::people::ImportError;

type Fields = HashMap<String, String>;

/// The form's field name for a column.
fn name_of(c: Column) -> &'static str {
    match c {
        Column::EmployeeId => "employee_id",
        Column::Nip => "nip",
        Column::Name => "name",
        Column::Position => "position",
        Column::Grade => "grade",
        Column::Section => "section",
        Column::Site => "site",
        Column::EmploymentType => "employment_type",
        Column::Supervisor => "supervisor",
    }
}

/// The form, filled with `values` (by field name); `editing` fixes the roster id.
async fn form(st: &AppState, s: &Session, values: &Fields, editing: bool, notice: &str) -> Result<String, AppError> {
    let lang = s.lang;
    let catalog = st.store.import_catalog().await?;
    let value = |c: Column| values.get(name_of(c)).map_or("", |v| v.trim());
    let select = |c: Column, options: &[(String, String)], blank: bool| {
        let mut o = if blank { format!(r#"<option value="">{}</option>"#, lang.tr("(none)")) } else { String::new() };
        for (id, label) in options {
            let _ = write!(o, r#"<option value="{v}"{sel}>{l}</option>"#, v = esc(id), sel = if id == value(c) { " selected" } else { "" }, l = esc(label));
        }
        format!(r#"<select name="{}">{o}</select>"#, name_of(c))
    };
    let types: Vec<(String, String)> =
        [EmploymentType::Pns, EmploymentType::Pppk, EmploymentType::NonAsn].iter().map(|t| (t.as_str().to_owned(), t.as_str().to_owned())).collect();
    let mut inputs = String::new();
    for c in COLUMNS {
        let control = match c {
            Column::EmployeeId if editing => format!(r#"<input name="employee_id" value="{}" readonly>"#, esc(value(c))),
            Column::Section => select(c, &catalog.sections, true),
            Column::Site => select(c, &catalog.sites, catalog.sites.len() != 1),
            Column::EmploymentType => select(c, &types, true),
            Column::Name => format!(r#"<input name="name" value="{}" required maxlength="200">"#, esc(value(c))),
            Column::Nip => format!(r#"<input name="nip" value="{}" inputmode="numeric" maxlength="18">"#, esc(value(c))),
            _ => format!(r#"<input name="{}" value="{}" maxlength="200">"#, name_of(c), esc(value(c))),
        };
        let label = c.label(lang);
        let hint = match c {
            Column::EmployeeId if !editing => lang.tr(" (only without a NIP)"),
            _ => "",
        };
        let _ = write!(inputs, "<label>{}{hint}{control}</label>", upper_first(label));
    }
    Ok(format!(
        r#"{notice}<form method="post" action="/employees/save" class="card inline" id="employee-form">{c}<input type="hidden" name="editing" value="{e}">{inputs}<button id="save-employee">{save}</button></form>
<p class="muted">{help}</p>"#,
        c = csrf_field(&s.csrf),
        e = if editing { "1" } else { "" },
        save = lang.tr("Save"),
        help = lang.tr("PNS and PPPK need an 18-digit NIP. A change of site or section reaches the kiosks at their next sync; faces and PINs are set on the employee's page."),
    ))
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `GET /employees/new`
pub async fn new_form(State(st): State<AppState>, s: Session) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let body = form(&st, &s, &Fields::new(), false, "").await?;
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, s.lang.tr("Add an employee"), &body)))
}

/// `GET /employees/{id}/edit`
pub async fn edit_form(State(st): State<AppState>, s: Session, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let people = st.store.people().await?;
    let e = people.get(&id).filter(|e| e.active).ok_or(AppError::NotFound)?;
    let p = &e.person;
    let mut values = Fields::new();
    for (c, v) in [
        (Column::EmployeeId, Some(p.employee_id.clone())),
        (Column::Nip, p.nip.clone()),
        (Column::Name, Some(p.name.clone())),
        (Column::Position, p.position.clone()),
        (Column::Grade, p.grade.clone()),
        (Column::Section, p.section.clone()),
        (Column::Site, p.site.clone()),
        (Column::EmploymentType, p.employment_type.map(|t| t.as_str().to_owned())),
        (Column::Supervisor, p.supervisor.clone()),
    ] {
        values.insert(name_of(c).to_owned(), v.unwrap_or_default());
    }
    let body = form(&st, &s, &values, true, "").await?;
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, &p.name, &body)))
}

/// `POST /employees/save`: adds or changes one employee, or shows the form again with why not.
pub async fn save(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let editing = field(&f, "editing") == "1";
    match saved(&st, &s, &f, editing).await? {
        Ok((id, msg)) => Ok(redirect_ok(&format!("/employees/{id}"), msg)),
        Err(why) => {
            let notice = format!(r#"<div class="flash error" id="employee-error">{}</div>"#, esc(&why));
            let body = form(&st, &s, &f, editing, &notice).await?;
            let title = lang.tr("Employee's details");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page(lang, &s.user, &s.csrf, Page::Employees, title, &body))).into_response())
        }
    }
}

/// Saves the form: the employee's id and the message, or why it was refused.
async fn saved(st: &AppState, s: &Session, f: &Fields, editing: bool) -> Result<Result<(String, &'static str), String>, AppError> {
    let lang = s.lang;
    let fields: Vec<(Column, &str)> = COLUMNS.iter().map(|c| (*c, field(f, name_of(*c)))).collect();
    let sheet = match import::one(&fields) {
        Ok(sheet) => sheet,
        Err(e) => return Ok(Err(e.text(lang))),
    };
    let id = match sheet.rows.first().map(|r| &r.person) {
        Some(Ok(p)) => p.employee_id.clone(),
        Some(Err(why)) => return Ok(Err(why.text(lang))),
        None => return Ok(Err(String::new())),
    };
    // A new employee must be new: the add form never overwrites someone by their NIP.
    if !editing && st.store.people().await?.contains_key(&id) {
        return Ok(Err(tr!(lang, "NIP/id {id} is already on the roster; change that employee from their page.", id = id)));
    }
    match st.store.save_employee(&sheet, &s.user.username, (st.clock)()).await {
        Ok(plan) => {
            let msg = match plan.rows.first().map(|r| &r.outcome) {
                Some(Outcome::Unchanged) => lang.tr("Nothing changed."),
                _ => lang.tr("Saved; kiosks receive it at their next sync."),
            };
            Ok(Ok((id, msg)))
        }
        Err(ImportError::Refused(_, plan)) => {
            Ok(Err(plan.rows.iter().find_map(|r| if let Outcome::Refused(w) = &r.outcome { Some(w.text(lang)) } else { None }).unwrap_or_default()))
        }
        Err(ImportError::File(e)) => Ok(Err(e.text(lang))),
        Err(ImportError::Storage(e)) => Err(e.into()),
    }
}
