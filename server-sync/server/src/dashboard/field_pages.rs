//! The field staff's day (`/field`): for a date, each employee who recorded in field mode, on
//! one map — every record's position with its accuracy, joined in time order, over the area
//! the employee was expected in that day (the field assignment, else the site's area) — and
//! under it the records with the receiver's view of each fix and the server's doubts; then who
//! had an assignment that day and has recorded nothing yet.
//!
//! A supervisor reads here where a team went, not only whether one record was inside.
//! It must not: judge records (the ingest flagged them) or decide anything.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Html;

use super::auth::{Page, scope};
use super::html::{esc, page};
use super::map::{Circle, svg};
use super::pages::{Fields, field, flag_list, fix_quality, narrowed};
use super::webmap::{Mark, data_attribute, script_tags};
use super::{AppError, AppState, Session};
use crate::storage::calendar::{date_str, parse_date};
use crate::storage::employees::Employee;
use crate::storage::records_view::RecordView;

/// `GET /field?date=YYYY-MM-DD&section=ID`
pub async fn field_day(State(st): State<AppState>, s: Session, Query(q): Query<Fields>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let date = parse_date(field(&q, "date")).unwrap_or_else(|| st.now().date());
    let sc = narrowed(scope(&s.user), field(&q, "section"))?;
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
    let mut body = format!(
        r#"<form class="inline card" method="get"><label>{l}<input type="date" name="date" value="{d}"></label><label>{sl}<select name="section">{opts}</select></label><button>{show}</button></form>"#,
        l = lang.tr("Date"),
        d = date_str(date),
        sl = lang.tr("Section"),
        opts = super::pages::section_options(&ctx, &scope(&s.user), field(&q, "section"), lang),
        show = lang.tr("Show"),
    );
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
        let mut rows = String::new();
        for r in records {
            let at = r.punch.at.to_offset(offset);
            let when = format!("{:02}:{:02} {}", at.hour(), at.minute(), super::pages::direction_label(lang, r.punch.direction));
            if let Some(g) = &r.gps {
                fixes.push(Mark { lat: g.lat_e7 as f64 / 1e7, lon: g.lon_e7 as f64 / 1e7, radius_m: g.accuracy_dm as f64 / 10.0, label: when.clone() });
            }
            let _ = write!(
                rows,
                r#"<tr data-record="{rid}"><td><a href="/records/{rid}">{when}</a></td><td>{dev}</td><td>{fix}</td><td>{flags}</td></tr>"#,
                rid = r.punch.record_id,
                when = esc(&when),
                dev = esc(&r.punch.device_id),
                fix = r.gps.as_ref().map_or_else(|| lang.tr("no position").to_owned(), |g| esc(&fix_quality(lang, g))),
                flags = flag_list(lang, &r.flags),
            );
        }
        // The drawing shows the area and the last position; the map shows them all.
        let last = fixes.last().map(|m| Circle { lat: m.lat, lon: m.lon, radius_m: m.radius_m });
        let drawing = svg(area, last, (&area_label, lang.tr("Last position"))).unwrap_or_default();
        let areas: Vec<Mark> = area.map(|a| Mark { lat: a.lat, lon: a.lon, radius_m: a.radius_m, label: area_label.clone() }).into_iter().collect();
        let _ = write!(
            body,
            r#"<section class="card" data-field-day="{id}"><h2>{name} <span class="muted">{id}</span></h2><div class="place"{data}>{drawing}</div>
<div class="scroll"><table><thead><tr><th>{t}</th><th>{dev}</th><th>{fq}</th><th>{dl}</th></tr></thead><tbody>{rows}</tbody></table></div></section>"#,
            id = esc(id),
            name = esc(&e.name),
            data = data_attribute(&st, &areas, &fixes, lang.tr("Records' positions, in time order"), true),
            t = lang.tr("Time"),
            dev = lang.tr("Device"),
            fq = lang.tr("Position"),
            dl = lang.tr("Doubts"),
        );
    }
    if days.is_empty() {
        let _ = write!(body, r#"<p class="muted" id="empty">{}</p>"#, lang.tr("No field records on this date."));
    }
    let mut silent = String::new();
    for e in ctx.employees.iter().filter(|e| in_view.contains_key(e.id.as_str()) && !days.contains_key(&e.id)) {
        let today = assignments.get(&e.id).into_iter().flatten().find(|a| a.from <= date && date <= a.to);
        if let Some(a) = today {
            let _ = write!(silent, r#"<li data-no-record="{id}"><b>{name}</b> <span class="muted">{id}</span>: {label}</li>"#, id = esc(&e.id), name = esc(&e.name), label = esc(&a.label));
        }
    }
    if !silent.is_empty() {
        let _ = write!(
            body,
            r#"<section class="card" id="assigned-without-records"><h2>{t}</h2><ul>{silent}</ul></section>"#,
            t = lang.tr("Assigned today, no record yet"),
        );
    }
    body.push_str(script_tags(&st));
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Field staff's day"), &body)))
}
