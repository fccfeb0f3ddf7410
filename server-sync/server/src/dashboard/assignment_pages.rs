//! Field assignments on an employee's month page: where a field employee works from one date to
//! another (a circle: centre and radius, with a label), listed with the form that adds one and
//! the button that removes one (administrators). The rules of a typed area are
//! [`crate::storage::areas::SiteArea::new`]'s; the assignments themselves are
//! [`crate::storage::assignments`]'s.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use time::Date;

use super::auth::Page;
use super::html::{csrf_field, esc};
use super::i18n::tr;
use super::pages::{Fields, field, redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::accounts::Role;
use crate::storage::areas::SiteArea;
use crate::storage::assignments::MAX_LABEL_CHARS;
use crate::storage::calendar::{date_str, parse_date};

fn month_page(employee: &str, d: Date) -> String {
    format!("/reports/employee?id={employee}&year={}&month={}", d.year(), u8::from(d.month()))
}

/// The card: the employee's assignments and, for administrators, the forms.
pub async fn card(st: &AppState, s: &Session, employee_id: &str) -> Result<String, AppError> {
    let lang = s.lang;
    let admin = s.user.role == Role::Admin;
    let csrf = csrf_field(&s.csrf);
    let mut rows = String::new();
    for a in st.store.field_assignments_of(&[employee_id]).await?.remove(employee_id).unwrap_or_default() {
        let remove = if admin {
            format!(r#"<form class="inline" method="post" action="/assignments/{}/remove">{csrf}<button class="reject">{}</button></form>"#, a.id, lang.tr("Remove"))
        } else {
            String::new()
        };
        let _ = write!(
            rows,
            r#"<tr data-assignment="{id}"><td>{f} – {t}</td><td>{label}</td><td>{lat:.6}, {lon:.6} ± {r} m</td><td>{remove}</td></tr>"#,
            id = a.id,
            f = date_str(a.from),
            t = date_str(a.to),
            label = esc(&a.label),
            lat = a.area.lat_e7 as f64 / 1e7,
            lon = a.area.lon_e7 as f64 / 1e7,
            r = a.area.radius_m,
        );
    }
    let mut out = format!(
        r#"<section class="card" id="assignments"><h2>{}</h2><p class="muted">{}</p>"#,
        lang.tr("Field assignments"),
        lang.tr("A field record on an assignment's day is compared with the assignment's area (not the site's); outside it, or with a poor GPS fix, it waits for the supervisor's confirmation.")
    );
    if !rows.is_empty() {
        let _ = write!(out, r#"<div class="scroll"><table><tbody>{rows}</tbody></table></div>"#);
    }
    if admin {
        let _ = write!(
            out,
            r#"<form method="post" action="/assignments" class="inline">{csrf}<input type="hidden" name="employee" value="{e}">
<label>{pf}<input type="date" name="from" required></label><label>{pto}<input type="date" name="to" required></label>
<label>{ll}<input name="label" required maxlength="{MAX_LABEL_CHARS}"></label>
<label>{lat}<input name="lat" required inputmode="decimal" placeholder="-8.5819"></label><label>{lon}<input name="lon" required inputmode="decimal" placeholder="115.1771"></label>
<label>{r}<input name="radius" type="number" min="10" max="50000" value="500" required></label><button>{save}</button></form>"#,
            e = esc(employee_id),
            pf = lang.tr("From"),
            pto = lang.tr("To"),
            ll = lang.tr("Work and place"),
            lat = lang.tr("Latitude"),
            lon = lang.tr("Longitude"),
            r = lang.tr("Radius (m)"),
            save = lang.tr("Save"),
        );
    }
    out.push_str("</section>");
    Ok(out)
}

/// `POST /assignments`: gives an employee an assignment (administrators; audited). A bad field
/// is named and nothing is written.
pub async fn add(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let lang = s.lang;
    let e = super::leave_pages::employee_in_scope(&st, &s, field(&f, "employee")).await?;
    let back = |d: Option<Date>| month_page(&e.id, d.unwrap_or_else(|| st.now().date()));
    let (Some(from), Some(to)) = (parse_date(field(&f, "from")), parse_date(field(&f, "to"))) else {
        return Ok(redirect_err(&back(None), lang.tr("From/to: not a date.")));
    };
    let label = field(&f, "label");
    if to < from || label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Ok(redirect_err(
            &back(Some(from)),
            lang.tr("To: cannot be before from; the work and place are required."),
        ));
    }
    let number = |k: &str| field(&f, k).replace(',', ".").parse::<f64>().ok();
    let radius = field(&f, "radius").parse::<i64>().ok();
    let Some(area) = number("lat").zip(number("lon")).zip(radius).and_then(|((lat, lon), r)| SiteArea::new(lat, lon, r)) else {
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
pub async fn remove(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let a = st.store.remove_field_assignment(id).await?.ok_or(AppError::NotFound)?;
    st.store.audit(&s.user.username, "field_assignment_removed", &format!("assignment {id}: {} {}..{}: {}", a.employee_id, date_str(a.from), date_str(a.to), a.label), (st.clock)()).await?;
    Ok(redirect_ok(&month_page(&a.employee_id, a.from), s.lang.tr("Assignment removed")))
}
