//! The field staff's day (`/field`): for a date, each employee who recorded in field mode, on
//! one map — every record's position with its accuracy, joined in time order, over the area
//! the employee was expected in that day (the field assignment, else the site's area) — and
//! under it the records with the receiver's view of each fix and the server's doubts; then who
//! had an assignment that day and has recorded nothing yet.
//!
//! A supervisor reads here where a team went, not only whether one record was inside.
//! It must not: judge records (the ingest flagged them) or decide anything.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, html};

use super::auth::{Page, scope};
use super::html::page;
use super::map::{Circle, svg};
use super::pages::{DayQuery, narrowed};
use super::record_pages::{fix_quality, flag_list};
use super::webmap::{Mark, map_data, script_tags};
use super::{AppError, AppState, Session};
use crate::storage::calendar::date_str;
use crate::storage::employees::Employee;
use crate::storage::records_view::RecordView;

/// One employee's field day as the page shows it.
struct Day<'a> {
    employee: &'a Employee,
    drawing: Option<Markup>,
    map: Option<String>,
    rows: Vec<(i64, String, &'a RecordView)>,
}

/// `GET /field?date=YYYY-MM-DD&section=ID`
pub async fn field_day(State(st): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let date = q.date_or(st.now().date());
    let sc = narrowed(scope(&s.user), &q.section)?;
    let ctx = st.context(&scope(&s.user)).await?;
    let in_view: HashMap<&str, &Employee> = ctx.employees.iter().filter(|e| sc.includes(e.section.as_deref())).map(|e| (e.id.as_str(), e)).collect();
    let (from, to) = ctx.zones.date_bounds(date);
    // Each field employee's records of the date at their site's clock, in time order.
    let mut days: BTreeMap<String, Vec<RecordView>> = BTreeMap::new();
    for r in st.store.records_between(from, to).await? {
        let Some(e) = in_view.get(r.employee_id.as_str()) else { continue };
        if r.punch.at.to_offset(ctx.offset_of(e)).date() == date {
            days.entry(e.id.clone()).or_default().push(r);
        }
    }
    days.retain(|_, records| records.iter().any(|r| r.punch.mode == hadir_rules::Mode::Field));
    // Everyone in view with an assignment that day, so that whoever has not recorded yet shows.
    let ids: Vec<&str> = in_view.keys().copied().collect();
    let assignments = st.store.field_areas_of(&ids, Some(date)).await?;
    let site_areas = st.store.site_areas().await?;
    let mut shown = Vec::new();
    for (id, records) in &days {
        let Some(e) = in_view.get(id.as_str()) else { continue };
        let offset = ctx.offset_of(e);
        let assigned = assignments.get(id).map(Vec::as_slice).unwrap_or_default();
        let site = records.iter().find_map(|r| r.device_site.as_ref()).and_then(|s| site_areas.get(s));
        let expected = hadir_rules::expected_area(true, assigned, site, date);
        let area_label = match expected {
            Some((_, Some(label))) => format!("{}: {label}", lang.tr("Assignment's area")),
            Some((_, None)) => lang.tr("Site area").to_owned(),
            None => String::new(),
        };
        let area = expected.map(|(a, _)| Circle { lat: a.lat_e7 as f64 / 1e7, lon: a.lon_e7 as f64 / 1e7, radius_m: a.radius_m as f64 });
        let mut fixes = Vec::new();
        let mut rows = Vec::new();
        for r in records {
            let at = r.punch.at.to_offset(offset);
            let when = format!("{:02}:{:02} {}", at.hour(), at.minute(), super::pages::direction_label(lang, r.punch.direction));
            if let Some(g) = &r.gps {
                fixes.push(Mark { lat: g.lat_e7 as f64 / 1e7, lon: g.lon_e7 as f64 / 1e7, radius_m: g.accuracy_dm as f64 / 10.0, label: when.clone() });
            }
            rows.push((r.punch.record_id, when, r));
        }
        // The drawing shows the area and the last position; the map shows them all.
        let last = fixes.last().map(|m| Circle { lat: m.lat, lon: m.lon, radius_m: m.radius_m });
        let drawing = svg(area, last, (&area_label, lang.tr("Last position")));
        let areas: Vec<Mark> = area.map(|a| Mark { lat: a.lat, lon: a.lon, radius_m: a.radius_m, label: area_label.clone() }).into_iter().collect();
        let map = map_data(&st, &areas, &fixes, lang.tr("Records' positions, in time order"), true);
        shown.push(Day { employee: e, drawing, map, rows });
    }
    let silent: Vec<(&Employee, &str)> = ctx
        .employees
        .iter()
        .filter(|e| in_view.contains_key(e.id.as_str()) && !days.contains_key(&e.id))
        .filter_map(|e| {
            let today = assignments.get(&e.id).into_iter().flatten().find(|a| a.from <= date && date <= a.to)?;
            Some((e, today.label.as_str()))
        })
        .collect();
    let body = html! {
        form.inline.card method="get" {
            label { (lang.tr("Date")) input type="date" name="date" value=(date_str(date)); }
            label { (lang.tr("Section")) select name="section" { (super::pages::section_options(&ctx, &scope(&s.user), &q.section, lang)) } }
            button { (lang.tr("Show")) }
        }
        @for day in &shown {
            section.card data-field-day=(day.employee.id) {
                h2 { (day.employee.name) " " span.muted { (day.employee.id) } }
                div.place data-map=[day.map.as_deref()] { @if let Some(d) = &day.drawing { (d) } }
                div.scroll { table {
                    thead { tr { th { (lang.tr("Time")) } th { (lang.tr("Device")) } th { (lang.tr("Position")) } th { (lang.tr("Doubts")) } } }
                    tbody {
                        @for (rid, when, r) in &day.rows {
                            tr data-record=(rid) {
                                td { a href=(format!("/records/{rid}")) { (when) } }
                                td { (r.punch.device_id) }
                                td { @match &r.gps { Some(g) => (fix_quality(lang, g)), None => (lang.tr("no position")) } }
                                td { (flag_list(lang, &r.flags)) }
                            }
                        }
                    }
                } }
            }
        }
        @if shown.is_empty() {
            p.muted id="empty" { (lang.tr("No field records on this date.")) }
        }
        @if !silent.is_empty() {
            section.card id="assigned-without-records" {
                h2 { (lang.tr("Assigned today, no record yet")) }
                ul { @for (e, label) in &silent { li data-no-record=(e.id) { b { (e.name) } " " span.muted { (e.id) } ": " (label) } } }
            }
        }
        (script_tags(&st))
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Field staff's day"), body)))
}
