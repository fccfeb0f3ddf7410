//! Today per section (present, late, absent, awaiting confirmation, away, not yet known), with
//! each employee's first IN and last OUT. Supervisors see their sections only.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::html;

use super::auth::{Page, scope};
use super::html::page;
use crate::storage::calendar::date_str;
use super::{AppError, AppState, Session};
use hadir_rules::DayStatus;
use super::pages::{DayQuery, hm, source_mark};

/// Today per section: present, late, absent, awaiting confirmation, not yet known.
pub async fn today(State(st): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Today)?;
    let lang = s.lang;
    let date = q.date_or(st.now().date());
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let days = st.reports.day(&st.store, &ctx, date).await?;
    let mut by_section: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (e, d) in &days {
        by_section.entry(e.section_name.clone()).or_default().push((e, d));
    }
    let count = |v: &[(&crate::reports::EmployeeInfo, &hadir_rules::DayResult)], f: &dyn Fn(&hadir_rules::DayResult) -> bool| {
        v.iter().filter(|(_, d)| f(d)).count()
    };
    let punch = |p: Option<&hadir_rules::Punch>| html! { @match p { Some(p) => { (hm(p.at)) @if let Some(m) = source_mark(lang, p) { " " (m) } }, None => "-" } };
    let body = html! {
        form.inline.card method="get" {
            label { (lang.tr("Date")) input type="date" name="date" value=(date_str(date)); }
            button { (lang.tr("Show")) }
        }
        @for (section, v) in &by_section {
            section.card data-section=(section) {
                h2 { (section) }
                div.grid {
                    div.stat { b { (count(v, &|d| matches!(d.status, DayStatus::Present | DayStatus::WorkedDayOff))) } (lang.tr("Present")) }
                    div.stat { b.bad { (count(v, &|d| d.late_band.is_some() && d.first_in.is_some())) } (lang.tr("Late")) }
                    div.stat { b { (count(v, &|d| d.status == DayStatus::Absent)) } (lang.tr("Absent")) }
                    div.stat { b.pending { (count(v, &|d| d.pending > 0)) } (lang.tr("Awaiting confirmation")) }
                    div.stat { b { (count(v, &|d| matches!(d.status, DayStatus::Leave(_) | DayStatus::Travel))) } (lang.tr("Leave / travel")) }
                    div.stat { b.muted { (count(v, &|d| d.status == DayStatus::NotYetKnown)) } (lang.tr("Not yet known")) }
                }
                div.scroll { table {
                    thead { tr { th { (lang.tr("Name")) } th { (lang.tr("In")) } th { (lang.tr("Out")) } th { (lang.tr("Status")) } th { (lang.tr("Late")) } } }
                    tbody {
                        @for (e, d) in v {
                            tr class=[d.late_band.is_some().then_some("late")] {
                                td { (e.name) }
                                td { (punch(d.first_in.as_ref())) }
                                td { (punch(d.last_out.as_ref())) }
                                td { (lang.status(d.status)) @if d.pending > 0 { " " span.pending { "(" (d.pending) " " (lang.tr("pending")) ")" } } }
                                td { @match d.late_band {
                                    Some(b) if d.first_in.is_some() => { (d.late_minutes) " " (lang.tr_in("long", "min")) " (" (b.tl_label()) ")" },
                                    Some(b) => (b.tl_label()),
                                    None => {},
                                } }
                            }
                        }
                    }
                } }
            }
        }
        @if by_section.is_empty() {
            p.muted { (lang.tr("No employees in your sections yet.")) }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Today, &format!("{} — {}", lang.tr("Today"), date_str(date)), body)))
}
