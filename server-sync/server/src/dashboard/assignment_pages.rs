//! Field assignments on an employee's month page: where a field employee works from one date to
//! another (a circle: centre and radius, with a label), listed with the form that adds one and
//! the button that removes one (administrators). The rules of a typed area are
//! [`crate::storage::areas::SiteArea::new`]'s; the assignments themselves are
//! [`crate::storage::assignments`]'s.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use time::Date;

use super::auth::Page;
use super::forms::{CsrfOnly, trimmed};
use super::html::csrf_input;
use super::i18n::tr;
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::accounts::Role;
use crate::storage::areas::SiteArea;
use crate::storage::assignments::MAX_LABEL_CHARS;
use crate::storage::calendar::{date_str, parse_date};

fn month_page(employee: &str, d: Date) -> String {
    format!("/reports/employee?id={employee}&year={}&month={}", d.year(), u8::from(d.month()))
}

/// The card: the employee's assignments and, for administrators, the forms.
pub async fn card(st: &AppState, s: &Session, employee_id: &str) -> Result<Markup, AppError> {
    let lang = s.lang;
    let admin = s.user.role == Role::Admin;
    let assignments = st.store.field_assignments_of(&[employee_id]).await?.remove(employee_id).unwrap_or_default();
    let card = html! {
        section.card id="assignments" {
            h2 { (lang.tr("Field assignments")) }
            p.muted { (lang.tr("A field record on an assignment's day is compared with the assignment's area (not the site's); outside it, or with a poor GPS fix, it waits for the supervisor's confirmation.")) }
            @if !assignments.is_empty() {
                div.scroll { table { tbody {
                    @for a in &assignments {
                        tr data-assignment=(a.id) {
                            td { (date_str(a.from)) " – " (date_str(a.to)) }
                            td { (a.label) }
                            td { (format!("{:.6}, {:.6} ± {} m", a.area.lat_e7 as f64 / 1e7, a.area.lon_e7 as f64 / 1e7, a.area.radius_m)) }
                            td { @if admin {
                                form.inline method="post" action=(format!("/assignments/{}/remove", a.id)) {
                                    (csrf_input(&s.csrf))
                                    button.reject { (lang.tr("Remove")) }
                                }
                            } }
                        }
                    }
                } } }
            }
            @if admin {
                form method="post" action="/assignments" class="inline" {
                    (csrf_input(&s.csrf))
                    input type="hidden" name="employee" value=(employee_id);
                    label { (lang.tr("From")) input type="date" name="from" required; }
                    label { (lang.tr("To")) input type="date" name="to" required; }
                    label { (lang.tr("Work and place")) input name="label" required maxlength=(MAX_LABEL_CHARS); }
                    label { (lang.tr("Latitude")) input name="lat" required inputmode="decimal" placeholder="-8.5819"; }
                    label { (lang.tr("Longitude")) input name="lon" required inputmode="decimal" placeholder="115.1771"; }
                    label { (lang.tr("Radius (m)")) input name="radius" type="number" min="10" max="50000" value="500" required; }
                    button { (lang.tr("Save")) }
                }
            }
        }
    };
    Ok(card)
}

/// The form of `POST /assignments`: whose, when, what and where (numbers as typed, a comma
/// accepted as the decimal sign).
#[derive(Debug, Deserialize)]
pub struct AssignmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    label: String,
    #[serde(default, deserialize_with = "trimmed")]
    lat: String,
    #[serde(default, deserialize_with = "trimmed")]
    lon: String,
    #[serde(default, deserialize_with = "trimmed")]
    radius: String,
}

/// `POST /assignments`: gives an employee an assignment (administrators; audited). A bad field
/// is named and nothing is written.
pub async fn add(State(st): State<AppState>, s: Session, Form(f): Form<AssignmentForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let e = super::leave_pages::employee_in_scope(&st, &s, &f.employee).await?;
    let back = |d: Option<Date>| month_page(&e.id, d.unwrap_or_else(|| st.now().date()));
    let (Some(from), Some(to)) = (parse_date(&f.from), parse_date(&f.to)) else {
        return Ok(redirect_err(&back(None), lang.tr("From/to: not a date.")));
    };
    let label = f.label.as_str();
    if to < from || label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Ok(redirect_err(
            &back(Some(from)),
            lang.tr("To: cannot be before from; the work and place are required."),
        ));
    }
    let number = |v: &str| v.replace(',', ".").parse::<f64>().ok();
    let radius = f.radius.parse::<i64>().ok();
    let Some(area) = number(&f.lat).zip(number(&f.lon)).zip(radius).and_then(|((lat, lon), r)| SiteArea::new(lat, lon, r)) else {
        return Ok(redirect_err(
            &back(Some(from)),
            lang.tr("Latitude/longitude/radius: a point on Earth and a radius of 10 m to 50 km."),
        ));
    };
    let now = (st.clock)();
    match st.store.add_field_assignment(&e.id, from, to, label, area, &s.user.username, crate::storage::dt_to_ms(now)).await? {
        Err(overlap) => {
            let msg = tr!(lang, "From/to: overlaps the assignment {from} – {to} ({label}).", from = date_str(overlap.from), to = date_str(overlap.to), label = overlap.label);
            Ok(redirect_err(&back(Some(from)), &msg))
        }
        Ok(id) => {
            let detail = format!("assignment {id}: {} {}..{}: {label} ({:.6}, {:.6} ± {} m)", e.id, date_str(from), date_str(to), area.lat_e7 as f64 / 1e7, area.lon_e7 as f64 / 1e7, area.radius_m);
            st.store.audit(&s.user.username, "field_assignment", &detail, now).await?;
            Ok(redirect_ok(&back(Some(from)), lang.tr("Assignment saved")))
        }
    }
}

/// `POST /assignments/{id}/remove` (administrators; audited).
pub async fn remove(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let a = st.store.remove_field_assignment(id).await?.ok_or(AppError::NotFound)?;
    st.store.audit(&s.user.username, "field_assignment_removed", &format!("assignment {id}: {} {}..{}: {}", a.employee_id, date_str(a.from), date_str(a.to), a.label), (st.clock)()).await?;
    Ok(redirect_ok(&month_page(&a.employee_id, a.from), s.lang.tr("Assignment removed")))
}
