//! The employee list (with the administrators' section picker) and one employee's personnel
//! fields, typed in (administrators and operators): the form that adds a new hire and the one
//! that changes an employee (name, NIP, position, grade, section,
//! site, employment type, supervisor). Moving between sections and sites is a change like any
//! other, and reaches the kiosks through the roster.
//!
//! The form is a one-row import ([`crate::people::import::one`]): the same checks (NIP form and
//! length by employment type, known section and site, lengths, formulas) and the same write, so
//! a typed employee and a file's employee can never disagree.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{self, Page, scope};
use super::forms::trimmed;
use super::html::{csrf_input, page};
use super::i18n::tr;
use super::pages::{Flash, flash, redirect_ok};
use crate::storage::accounts::Role;
use super::{AppError, AppState, Session};
use crate::people::import::{self, COLUMNS, Column, EmploymentType, Outcome};
use crate::storage::people::ImportError;

/// The form of `POST /employees/save`: one employee's fields, named as [`name_of`] names the
/// columns; `editing` ("1") when the roster id is fixed.
#[derive(Debug, Default, Deserialize)]
pub struct EmployeeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    editing: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    nip: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    position: String,
    #[serde(default, deserialize_with = "trimmed")]
    grade: String,
    #[serde(default, deserialize_with = "trimmed")]
    section: String,
    #[serde(default, deserialize_with = "trimmed")]
    site: String,
    #[serde(default, deserialize_with = "trimmed")]
    employment_type: String,
    #[serde(default, deserialize_with = "trimmed")]
    supervisor: String,
}

impl EmployeeForm {
    /// The value typed for a column.
    fn value(&self, c: Column) -> &str {
        match c {
            Column::EmployeeId => &self.employee_id,
            Column::Nip => &self.nip,
            Column::Name => &self.name,
            Column::Position => &self.position,
            Column::Grade => &self.grade,
            Column::Section => &self.section,
            Column::Site => &self.site,
            Column::EmploymentType => &self.employment_type,
            Column::Supervisor => &self.supervisor,
        }
    }
}

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

/// The form, filled with `values`; `editing` fixes the roster id.
async fn form(st: &AppState, s: &Session, values: &EmployeeForm, editing: bool, notice: Markup) -> Result<Markup, AppError> {
    let lang = s.lang;
    let catalog = st.store.import_catalog().await?;
    let select = |c: Column, options: &[(String, String)], blank: bool| {
        html! {
            select name=(name_of(c)) {
                @if blank { option value="" { (lang.tr("(none)")) } }
                @for (id, label) in options { option value=(id) selected[id == values.value(c)] { (label) } }
            }
        }
    };
    let types: Vec<(String, String)> =
        [EmploymentType::Pns, EmploymentType::Pppk, EmploymentType::NonAsn].iter().map(|t| (t.as_str().to_owned(), t.as_str().to_owned())).collect();
    let control = |c: Column| match c {
        Column::EmployeeId if editing => html! { input name="employee_id" value=(values.value(c)) readonly; },
        Column::Section => select(c, &catalog.sections, true),
        Column::Site => select(c, &catalog.sites, catalog.sites.len() != 1),
        Column::EmploymentType => select(c, &types, true),
        Column::Name => html! { input name="name" value=(values.value(c)) required maxlength="200"; },
        Column::Nip => html! { input name="nip" value=(values.value(c)) inputmode="numeric" maxlength="18"; },
        _ => html! { input name=(name_of(c)) value=(values.value(c)) maxlength="200"; },
    };
    let body = html! {
        (notice)
        form method="post" action="/employees/save" class="card inline" id="employee-form" {
            (csrf_input(&s.csrf))
            input type="hidden" name="editing" value=(if editing { "1" } else { "" });
            @for c in COLUMNS {
                label {
                    (upper_first(c.label(lang)))
                    @if c == Column::EmployeeId && !editing { (lang.tr(" (only without a NIP)")) }
                    (control(c))
                }
            }
            button id="save-employee" { (lang.tr("Save")) }
        }
        p.muted { (lang.tr("PNS and PPPK need an 18-digit NIP. A change of site or section reaches the kiosks at their next sync; faces and PINs are set on the employee's page.")) }
    };
    Ok(body)
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `GET /employees/new`
pub async fn new_form(State(st): State<AppState>, s: Session) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let body = form(&st, &s, &EmployeeForm::default(), false, html! {}).await?;
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, s.lang.tr("Add an employee"), body)))
}

/// `GET /employees/{id}/edit`
pub async fn edit_form(State(st): State<AppState>, s: Session, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    s.require(Page::Enrolment)?;
    let people = st.store.people().await?;
    let e = people.get(&id).filter(|e| e.active).ok_or(AppError::NotFound)?;
    let p = &e.person;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let values = EmployeeForm {
        employee_id: p.employee_id.clone(),
        nip: text(&p.nip),
        name: p.name.clone(),
        position: text(&p.position),
        grade: text(&p.grade),
        section: text(&p.section),
        site: text(&p.site),
        employment_type: p.employment_type.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        supervisor: text(&p.supervisor),
        ..EmployeeForm::default()
    };
    let body = form(&st, &s, &values, true, html! {}).await?;
    Ok(Html(page(s.lang, &s.user, &s.csrf, Page::Employees, &p.name, body)))
}

/// `POST /employees/save`: adds or changes one employee, or shows the form again with why not.
pub async fn save(State(st): State<AppState>, s: Session, Form(f): Form<EmployeeForm>) -> Result<Response, AppError> {
    s.require(Page::Enrolment)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let editing = f.editing == "1";
    match saved(&st, &s, &f, editing).await? {
        Ok((id, msg)) => Ok(redirect_ok(&format!("/employees/{id}"), msg)),
        Err(why) => {
            let notice = html! { div.flash.error id="employee-error" { (why) } };
            let body = form(&st, &s, &f, editing, notice).await?;
            let title = lang.tr("Employee's details");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page(lang, &s.user, &s.csrf, Page::Employees, title, body))).into_response())
        }
    }
}

/// Saves the form: the employee's id and the message, or why it was refused.
async fn saved(st: &AppState, s: &Session, f: &EmployeeForm, editing: bool) -> Result<Result<(String, &'static str), String>, AppError> {
    let lang = s.lang;
    let fields: Vec<(Column, &str)> = COLUMNS.iter().map(|c| (*c, f.value(*c))).collect();
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

/// Employees in scope; admins assign sections here; admins and operators open an employee to
/// enrol the face or reset the PIN.
pub async fn employees(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Employees)?;
    let lang = s.lang;
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let admin = s.user.role == Role::Admin;
    let enrols = auth::allowed(s.user.role, Page::Enrolment);
    let faces = if enrols { st.store.template_counts().await? } else { HashMap::new() };
    let mut all_sections: Vec<&String> = ctx.sections.keys().collect();
    all_sections.sort();
    let body = html! {
        (flash(&q))
        div.card.scroll { table id="employees" {
            thead { tr { th { "NIP" } th { (lang.tr("Name")) } th { (lang.tr("Site")) } th { (lang.tr("Section")) } @if enrols { th { (lang.tr("Face")) } } } }
            tbody {
                @for e in &ctx.employees {
                    tr {
                        td { (e.id) }
                        td { @if enrols { a href=(format!("/employees/{}", e.id)) { (e.name) } } @else { (e.name) } }
                        td { (e.site_id) }
                        td { @if admin {
                            form method="post" action="/employees/section" class="inline" {
                                (csrf_input(&s.csrf))
                                input type="hidden" name="employee" value=(e.id);
                                select name="section" { @for id in &all_sections { option value=(id) selected[Some(*id) == e.section.as_ref()] { (ctx.sections[*id].name) } } }
                                button { (lang.tr("Save")) }
                            }
                        } @else {
                            (ctx.info(e).section_name)
                        } }
                        @if enrols {
                            @let n = faces.get(&e.id).copied().unwrap_or(0);
                            @if n > 0 { td.ok { (n) } } @else { td.bad { (lang.tr("none")) } }
                        }
                    }
                }
            }
        } }
        p.muted { (if enrols {
            lang.tr("Choose an employee to enrol the face from photos or reset the PIN. Faces can also be enrolled at a kiosk.")
        } else {
            lang.tr("Faces and PINs are enrolled by an admin or operator.")
        }) }
        @if enrols {
            p {
                a href="/employees/new" id="add-employee" { (lang.tr("Add an employee")) } " · "
                a href="/employees/import" id="import-link" { (lang.tr("Import employees (CSV/XLSX)")) } " · "
                a href="/employees/export.xlsx" { (lang.tr("Export XLSX")) }
            }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Employees, lang.tr("Employees"), body)))
}

/// The form that moves an employee to a section.
#[derive(Debug, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    section: String,
}

/// Assigns an employee to a section (admin).
pub async fn assign_section(State(st): State<AppState>, s: Session, Form(f): Form<SectionForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let (emp, sec) = (f.employee.as_str(), f.section.as_str());
    if !st.store.sections().await?.iter().any(|x| x.id == sec) {
        return Err(AppError::BadRequest("bidang tidak dikenal / unknown section".into()));
    }
    st.store.set_employee_section(emp, sec).await?;
    st.store.audit(&s.user.username, "assign_section", &format!("{emp} -> {sec}"), (st.clock)()).await?;
    Ok(redirect_ok("/employees", s.lang.tr("Section saved")))
}
