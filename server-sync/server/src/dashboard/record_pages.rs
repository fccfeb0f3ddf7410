//! The records: a date's records with their evidence photos, one record with its doubts and
//! map, the confirmation queue and its decisions (and reversals, with a reason), and the
//! corrections log for leave and official travel. What the server doubts reads as text here
//! ([`flag_text`]); the doubts themselves are [`crate::doubts`]'.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::auth::{Page, scope};
use super::forms::trimmed;
use super::html::{csrf_input, page};
use super::i18n::{Lang, tr};
use crate::storage::calendar::{date_str, parse_date};
use crate::storage::corrections::CANCEL;
use super::{AppError, AppState, Session};
use hadir_rules::{Decision, Excused};
use super::pages::{DayQuery, Flash, direction_label, flash, hm, narrowed, redirect_ok, section_options, source_mark};

fn decision_label(lang: Lang, d: Decision) -> Markup {
    let (cls, t) = match d {
        Decision::Valid => ("ok", lang.tr("Valid")),
        Decision::Confirmed => ("ok", lang.tr("Confirmed")),
        Decision::Pending => ("pending", lang.tr("Awaiting confirmation")),
        Decision::Rejected => ("bad", lang.tr("Rejected")),
    };
    html! { span class=(cls) { (t) } }
}

/// A record's decision with the decisions it replaced (newest first, struck through) and, for
/// those who decide, the form that reverses it with a reason.
fn decision_cell(
    lang: Lang,
    r: &crate::storage::records_view::RecordView,
    history: Option<&[crate::storage::decisions::DecisionLine]>,
    csrf: Option<&str>,
) -> Markup {
    let history = history.unwrap_or_default();
    let reversible = csrf.filter(|_| matches!(r.punch.decision, Decision::Confirmed | Decision::Rejected));
    let (to, label) = if r.punch.decision == Decision::Confirmed {
        ("reject", lang.tr("Change: reject"))
    } else {
        ("confirm", lang.tr("Change: confirm"))
    };
    html! {
        (decision_label(lang, r.punch.decision))
        @if let Some(reason) = &r.reason { br; span.muted { (reason) } }
        @for old in history.iter().rev().skip(1) {
            br;
            del.muted.decision-old {
                (if old.decision == "confirmed" { lang.tr("Confirmed") } else { lang.tr("Rejected") })
                ": " (old.reason) " (" (old.by) ", " (date_str(old.at.date())) ")"
            }
        }
        @if let Some(c) = reversible {
            form.inline method="post" action=(format!("/confirmations/{}/reverse", r.punch.record_id)) {
                (csrf_input(c))
                input type="hidden" name="action" value=(to);
                input name="reason" required maxlength="500" placeholder=(lang.tr("Reason for the change"));
                button { (label) }
            }
        }
    }
}

/// Records of a date, filtered by section and decision, with evidence photos.
pub async fn records(State(st): State<AppState>, s: Session, Query(q): Query<DayQuery>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let date = q.date_or(st.now().date());
    let sc = narrowed(scope(&s.user), &q.section)?;
    let ctx = st.context(&scope(&s.user)).await?;
    let names: HashMap<&str, &crate::storage::employees::Employee> =
        ctx.employees.iter().filter(|e| sc.includes(e.section.as_deref())).map(|e| (e.id.as_str(), e)).collect();
    // The date at every site's clock: read from the easternmost site's midnight to the
    // westernmost's, then each record kept when it falls on the date at its employee's site.
    let (from, to) = ctx.zones.date_bounds(date);
    let local = |e: &crate::storage::employees::Employee, at: OffsetDateTime| at.to_offset(ctx.offset_of(e));
    let recs = st.store.records_between(from, to).await?;
    let only = q.decision.as_str();
    let decided: Vec<i64> =
        recs.iter().filter(|r| matches!(r.punch.decision, Decision::Confirmed | Decision::Rejected)).map(|r| r.punch.record_id).collect();
    let history = st.store.decision_history(&decided).await?;
    let may_decide = s.require(Page::Confirmations).is_ok();
    let mut rows: Vec<(OffsetDateTime, Markup)> = Vec::new();
    for r in &recs {
        let Some(e) = names.get(r.employee_id.as_str()) else { continue };
        let at = local(e, r.punch.at);
        if at.date() != date || (only == "pending" && r.punch.decision != Decision::Pending) {
            continue;
        }
        let id = r.punch.record_id;
        let dec = decision_cell(lang, r, history.get(&id).map(Vec::as_slice), may_decide.then_some(s.csrf.as_str()));
        rows.push((
            r.punch.at,
            html! {
                tr {
                    td { a href=(format!("/records/{id}")) { (hm(at)) } }
                    td { (e.name) }
                    td { (direction_label(lang, r.punch.direction)) }
                    td { (r.punch.device_id) }
                    td { (format!("{:.1}%", r.match_score_bp as f64 / 100.0)) }
                    td { (dec) }
                    td { a href=(format!("/records/{id}/photo")) { img src=(format!("/records/{id}/photo")) alt=(lang.tr("Evidence photo")) width="48" height="48" loading="lazy"; } }
                }
            },
        ));
    }
    // Terminals' records and manual entries of the day, marked as what they are: no signature,
    // no face score, no photo; nothing of theirs awaits a decision.
    if only != "pending" {
        let mut others = st.store.terminal_punches(from, to).await?;
        for (employee, punches) in st.store.manual_punches(from, to).await? {
            others.entry(employee).or_default().extend(punches);
        }
        for (employee, punches) in &others {
            let Some(e) = names.get(employee.as_str()) else { continue };
            for p in punches {
                let at = local(e, p.at);
                if at.date() != date {
                    continue;
                }
                let src = if crate::storage::manual::manual_entry_id(&p.device_id).is_some() { "manual" } else { "terminal" };
                rows.push((
                    p.at,
                    html! {
                        tr data-source=(src) {
                            td { (hm(at)) }
                            td { (e.name) }
                            td { (direction_label(lang, p.direction)) }
                            td { @if let Some(m) = source_mark(lang, p) { (m) } }
                            td.muted { "—" }
                            td.muted { (lang.tr("no signature, no face score")) }
                            td {}
                        }
                    },
                ));
            }
        }
    }
    rows.sort_by_key(|(at, _)| *at);
    let d = date_str(date);
    let body = html! {
        (flash(&q.flash))
        form.inline.card method="get" {
            label { (lang.tr("Date")) input type="date" name="date" value=(d); }
            label { (lang.tr("Section")) select name="section" { (section_options(&ctx, &scope(&s.user), &q.section, lang)) } }
            label { (lang.tr("Decision")) select name="decision" {
                option value="" { (lang.tr("All")) }
                option value="pending" selected[only == "pending"] { (lang.tr("Awaiting confirmation")) }
            } }
            button { (lang.tr("Show")) }
        }
        p { a href=(format!("/field?date={d}")) { (lang.tr("Field staff's day: positions on a map")) } }
        div.card.scroll { table {
            thead { tr {
                th { (lang.tr("Time")) } th { (lang.tr("Name")) } th {} th { (lang.tr("Device")) }
                th { (lang.tr("Face score")) } th { (lang.tr("Decision")) } th { (lang.tr("Photo")) }
            } }
            tbody { @for (_, row) in &rows { (row) } }
        } }
        @if rows.is_empty() {
            p.muted { (lang.tr("No records.")) }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Attendance records"), body)))
}

/// Loads a record and refuses unless the user may see its employee.
async fn visible_record(st: &AppState, s: &Session, id: i64) -> Result<(crate::storage::records_view::RecordView, Option<String>), AppError> {
    let r = st.store.record(id).await?.ok_or(AppError::NotFound)?;
    let section = st.store.employees().await?.into_iter().find(|e| e.id == r.employee_id).and_then(|e| e.section);
    if !scope(&s.user).includes(section.as_deref()) {
        // Not "forbidden": do not confirm that the record exists.
        return Err(AppError::NotFound);
    }
    Ok((r, section))
}

/// One record: its evidence photo, who and when (at the employee's site's clock), the device
/// and the scores, the decision with the ones it replaced, the server's doubts and, for a
/// record with a position, the map.
pub async fn record_page(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    s.require(Page::Records)?;
    let lang = s.lang;
    let (r, _) = visible_record(&st, &s, id).await?;
    let ctx = st.context(&scope(&s.user)).await?;
    let e = ctx.employees.iter().find(|e| e.id == r.employee_id).ok_or(AppError::NotFound)?;
    let at = r.punch.at.to_offset(ctx.offset_of(e));
    let areas = st.store.site_areas().await?;
    let assignments = st.store.field_areas_of(&[r.employee_id.as_str()], None).await?;
    let history = st.store.decision_history(&[r.punch.record_id]).await?;
    let may_decide = s.require(Page::Confirmations).is_ok();
    let decision = decision_cell(lang, &r, history.get(&r.punch.record_id).map(Vec::as_slice), may_decide.then_some(s.csrf.as_str()));
    let mode = if r.punch.mode == hadir_rules::Mode::Field { lang.tr("field") } else { lang.tr("office") };
    let date = date_str(at.date());
    let body = html! {
        div.card data-record=(id) { div.ev {
            figure { img src=(format!("/records/{id}/photo")) alt=(lang.tr("Photo at recording")); figcaption { (lang.tr("Photo at recording")) } }
            div {
                b { (e.name) } " " span.muted { (e.id) " · " (ctx.info(e).section_name) } br;
                (direction_label(lang, r.punch.direction)) " " (date) " " (hm(at)) " · " (mode) " · " (r.punch.device_id) " #" (r.seq)
                " · " (lang.tr("face score")) " " (format!("{:.1}%", r.match_score_bp as f64 / 100.0))
                p { (lang.tr("Decision")) ": " (decision) }
                (flag_list(lang, &r.flags))
                (record_map(&st, lang, &r, &areas, &assignments))
            }
        } }
        p { a href=(format!("/records?date={date}")) { (lang.tr("This date's records")) } }
        (super::webmap::script_tags(&st))
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Records, lang.tr("Record"), body)))
}

/// The evidence photo of a record.
pub async fn record_photo(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> Result<Response, AppError> {
    s.require(Page::Records)?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let sha = hadir_protocol::Digest::from_hex(&r.photo_sha256).map_err(|_| AppError::NotFound)?;
    let jpeg = st.store.photo(sha).await?.ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=3600")], jpeg).into_response())
}

/// The queue of records awaiting confirmation in the user's sections.
pub async fn confirmations(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Confirmations)?;
    let lang = s.lang;
    let sc = scope(&s.user);
    let ctx = st.context(&sc).await?;
    let emps: HashMap<&str, _> = ctx.employees.iter().map(|e| (e.id.as_str(), e)).collect();
    let areas = st.store.site_areas().await?;
    let pending = st.store.pending_records().await?;
    let waiting: Vec<&str> = pending.iter().map(|r| r.employee_id.as_str()).collect();
    let assignments = st.store.field_areas_of(&waiting, None).await?;
    let shown: Vec<_> = pending.iter().filter_map(|r| Some((r, *emps.get(r.employee_id.as_str())?))).collect();
    let body = html! {
        (flash(&q))
        @for (r, e) in &shown {
            @let id = r.punch.record_id;
            div.card data-record=(id) { div.ev {
                figure { img src=(format!("/records/{id}/photo")) alt=(lang.tr("Photo at recording")); figcaption { (lang.tr("Photo at recording")) } }
                div {
                    b { (e.name) } " " span.muted { (e.id) " · " (ctx.info(e).section_name) } br;
                    (direction_label(lang, r.punch.direction)) " "
                    a href=(format!("/records/{id}")) { (date_str(r.punch.at.date())) " " (hm(r.punch.at)) }
                    " · " (r.punch.device_id) " · " (lang.tr("score")) " " (format!("{:.1}%", r.match_score_bp as f64 / 100.0))
                    (flag_list(lang, &r.flags))
                    (record_map(&st, lang, r, &areas, &assignments))
                    form method="post" action=(format!("/confirmations/{id}")) class="inline decide" {
                        (csrf_input(&s.csrf))
                        label { (lang.tr("Reason")) input name="reason" placeholder=(lang.tr("required to reject")); }
                        button name="action" value="confirm" class="confirm" { (lang.tr("Confirm")) }
                        button name="action" value="reject" class="reject" { (lang.tr("Reject")) }
                    }
                }
            } }
        }
        @if shown.is_empty() {
            p.muted id="empty" { (lang.tr("No records await confirmation.")) }
        }
        (super::webmap::script_tags(&st))
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Confirmations, lang.tr("Confirmation queue"), body)))
}

/// Where a record with a GPS fix was made, against the area it was judged by: the employee's
/// field assignment of that day, else the site's area (nothing for records without a fix).
fn record_map(
    st: &AppState,
    lang: Lang,
    r: &crate::storage::records_view::RecordView,
    areas: &HashMap<String, hadir_rules::SiteArea>,
    assignments: &HashMap<String, Vec<hadir_rules::FieldArea>>,
) -> Markup {
    use super::map::{Circle, svg};
    let Some(g) = &r.gps else { return html! {} };
    let fix = Circle { lat: g.lat_e7 as f64 / 1e7, lon: g.lon_e7 as f64 / 1e7, radius_m: g.accuracy_dm as f64 / 10.0 };
    let field = r.punch.mode == hadir_rules::Mode::Field;
    let assigned = assignments.get(&r.employee_id).map(Vec::as_slice).unwrap_or_default();
    let site = r.device_site.as_ref().and_then(|s| areas.get(s));
    let expected = hadir_rules::expected_area(field, assigned, site, r.punch.at.date());
    let area = expected.map(|(a, _)| Circle { lat: a.lat_e7 as f64 / 1e7, lon: a.lon_e7 as f64 / 1e7, radius_m: a.radius_m as f64 });
    let assignment = expected.is_some_and(|(_, label)| label.is_some());
    let area_label = if assignment { lang.tr("Assignment's area") } else { lang.tr("Site area") };
    let labels = (area_label, lang.tr("Record's position"));
    let map = svg(area, Some(fix), labels);
    let mark = |c: Circle, label: &str| super::webmap::Mark { lat: c.lat, lon: c.lon, radius_m: c.radius_m, label: label.to_owned() };
    let areas: Vec<_> = area.map(|a| mark(a, area_label)).into_iter().collect();
    let data = super::webmap::map_data(st, &areas, &[mark(fix, labels.1)], labels.1, false);
    html! {
        div.place data-map=[data] {
            @if let Some(m) = map { (m) }
            p.fix-quality { (fix_quality(lang, g)) }
        }
    }
}

/// The receiver's own view of a fix, as the supervisor reads it: "GPS 3D · 9 satelit · HDOP
/// 0.9 · ±4.5 m" (what the receiver did not say is left out).
pub(crate) fn fix_quality(lang: Lang, g: &crate::storage::records_view::RecordFix) -> String {
    let mut parts = vec![match g.fix_mode {
        Some(m) => format!("GPS {}", m.as_str().to_uppercase()),
        None => "GPS".to_owned(),
    }];
    if let Some(n) = g.satellites {
        parts.push(format!("{n} {}", lang.tr("satellites")));
    }
    parts.push(match g.hdop_centi {
        Some(h) => format!("HDOP {:.1}", h as f64 / 100.0),
        None => lang.tr("no HDOP").to_owned(),
    });
    parts.push(format!("±{:.1} m", g.accuracy_dm as f64 / 10.0));
    parts.join(" · ")
}

/// The server's doubts as a list under the record ("Diragukan server: …"), or nothing.
pub(crate) fn flag_list(lang: Lang, flags: &[crate::doubts::Flag]) -> Markup {
    html! {
        @if !flags.is_empty() {
            div.flags {
                b { (lang.tr("Doubted by the server:")) }
                ul { @for f in flags { li data-flag=(f.code) { (flag_text(lang, f)) } } }
            }
        }
    }
}

/// The form that decides a record, or changes its decision: confirm or reject, and why.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

impl DecideForm {
    /// Whether the button pressed confirms (else it rejects).
    fn confirms(&self) -> Result<bool, AppError> {
        match self.action.as_str() {
            "confirm" => Ok(true),
            "reject" => Ok(false),
            _ => Err(AppError::BadRequest("action".into())),
        }
    }
}

/// Confirms or rejects a record (with a reason; audited).
pub async fn decide(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> Result<Response, AppError> {
    s.require(Page::Confirmations)?;
    s.check_csrf(Some(&f.csrf))?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let lang = s.lang;
    let confirm = f.confirms()?;
    let mut reason = f.reason;
    let date = r.punch.at.date();
    if reason.is_empty() {
        if !confirm {
            return Err(AppError::BadRequest(lang.tr("A reason is required to reject.").into()));
        }
        if st.store.month_close(date.year(), date.month()).await?.is_some() {
            return Err(closed_needs_reason(lang));
        }
        reason = lang.tr("Face matches").into();
    }
    if r.punch.decision != Decision::Pending {
        return Err(AppError::BadRequest(lang.tr("This record was already decided.").into()));
    }
    let now = (st.clock)();
    if !st.store.decide(id, confirm, &reason, &s.user.username, now).await? {
        return Err(AppError::BadRequest(lang.tr("This record was already decided.").into()));
    }
    st.store.audit(&s.user.username, if confirm { "confirm_record" } else { "reject_record" }, &format!("record {id} ({}): {reason}", r.employee_id), now).await?;
    st.store.note_closed_change(&r.employee_id, date, &format!("record {id} {}", if confirm { "confirmed" } else { "rejected" }), &reason, &s.user.username, now).await?;
    st.records_arrived();
    Ok(redirect_ok("/confirmations", if confirm { lang.tr("Record confirmed") } else { lang.tr("Record rejected") }))
}

/// A confirmation in a closed month needs a reason of the person's own.
fn closed_needs_reason(lang: Lang) -> AppError {
    AppError::BadRequest(lang.tr("This month is closed: a reason is required.").into())
}

/// Reverses a decided record's decision by a new one (a reason is required; audited; the old
/// decision stays in the history and on the records page).
pub async fn reverse_decision(State(st): State<AppState>, s: Session, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> Result<Response, AppError> {
    s.require(Page::Confirmations)?;
    s.check_csrf(Some(&f.csrf))?;
    let (r, _) = visible_record(&st, &s, id).await?;
    let lang = s.lang;
    let confirm = f.confirms()?;
    let reason = f.reason.as_str();
    if reason.is_empty() {
        return Err(AppError::BadRequest(lang.tr("A reason is required to change a decision.").into()));
    }
    let now = (st.clock)();
    if !st.store.reverse_decision(id, confirm, reason, &s.user.username, now).await? {
        return Err(AppError::BadRequest(
            lang.tr("This record is not decided yet, or already has that decision.").into(),
        ));
    }
    st.store.audit(&s.user.username, if confirm { "reverse_to_confirmed" } else { "reverse_to_rejected" }, &format!("record {id} ({}): {reason}", r.employee_id), now).await?;
    let what = format!("record {id} changed to {}", if confirm { "confirmed" } else { "rejected" });
    st.store.note_closed_change(&r.employee_id, r.punch.at.date(), &what, reason, &s.user.username, now).await?;
    st.records_arrived();
    let date = date_str(r.punch.at.date());
    Ok(redirect_ok(&format!("/records?date={date}"), lang.tr("Decision changed")))
}

/// The corrections log and the form for leave and official travel (admin).
pub async fn corrections(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Corrections)?;
    let lang = s.lang;
    let today = date_str(st.now().date());
    let off = st.offset();
    let corrections = st.store.corrections(500).await?;
    let (kind, reason) = (lang.tr("Kind"), lang.tr("Reason"));
    let body = html! {
        (flash(&q))
        form method="post" action="/corrections" class="inline card" {
            (csrf_input(&s.csrf))
            label { "NIP" input name="employee" required; }
            label { (lang.tr("From")) input type="date" name="from" value=(today) required; }
            label { (lang.tr("To")) input type="date" name="to" value=(today) required; }
            label { (kind) select name="kind" {
                @for e in Excused::ALL.iter() { option value=(e.as_str()) { (lang.excused(*e)) } }
                option value=(CANCEL) { (lang.tr("Cancel an earlier entry")) }
            } }
            label { (reason) input name="reason" required; }
            button { (lang.tr("Add")) }
        }
        div.card.scroll { table {
            thead { tr { th { "#" } th { (lang.tr("Entered")) } th { "NIP" } th { (lang.tr("Date")) } th { (kind) } th { (reason) } th { (lang.tr("By")) } } }
            tbody {
                @for c in &corrections {
                    @let at = c.at.to_offset(off);
                    tr { td { (c.id) } td { (date_str(at.date())) " " (hm(at)) } td { (c.employee_id) } td { (date_str(c.date)) } td { (c.kind) } td { (c.reason) } td { (c.by) } }
                }
            }
        } }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Corrections, lang.tr("Corrections, leave and travel"), body)))
}

/// The form of `POST /corrections`: an excused kind (or the cancellation) for a range of an
/// employee's dates, and why.
#[derive(Debug, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    employee: String,
    #[serde(default, deserialize_with = "trimmed")]
    from: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

/// Appends corrections for each date of a range.
pub async fn add_correction(State(st): State<AppState>, s: Session, Form(f): Form<CorrectionForm>) -> Result<Response, AppError> {
    s.require(Page::Corrections)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let bad = |m: &str| AppError::BadRequest(m.to_owned());
    let emp = f.employee.as_str();
    if !st.store.employees().await?.iter().any(|e| e.id == emp) {
        return Err(bad(lang.tr("Unknown employee.")));
    }
    let (Some(from), Some(to)) = (parse_date(&f.from), parse_date(&f.to)) else {
        return Err(bad(lang.tr("Invalid date.")));
    };
    if to < from || (to - from).whole_days() > 366 {
        return Err(bad(lang.tr("Invalid date range.")));
    }
    let kind = f.kind.as_str();
    let excused = match kind {
        CANCEL => None,
        k => Some(Excused::parse(k).ok_or_else(|| bad("kind"))?),
    };
    let reason = f.reason.as_str();
    if reason.is_empty() {
        return Err(bad(lang.tr("A reason is required.")));
    }
    let now = (st.clock)();
    let mut d: Date = from;
    loop {
        st.store.add_correction(emp, d, excused, reason, &s.user.username, now).await?;
        st.store.note_closed_change(emp, d, &format!("correction {kind}"), reason, &s.user.username, now).await?;
        if d >= to {
            break;
        }
        d = d.next_day().ok_or_else(|| bad("date"))?;
    }
    st.store.audit(&s.user.username, "correction", &format!("{emp} {kind} {}..{}: {reason}", date_str(from), date_str(to)), now).await?;
    Ok(redirect_ok("/corrections", lang.tr("Correction recorded")))
}

/// Why the server doubts a record ([`crate::doubts`]), as a supervisor reads it: the reason
/// and its figures (text: the page escapes it).
pub(crate) fn flag_text(lang: Lang, f: &crate::doubts::Flag) -> String {
    let v = f.value.unwrap_or(0);
    let pct = v as f64 / 100.0;
    let note = f.note.as_str();
    // Distances and speeds in the note are written with a decimal point; Indonesian reads a comma.
    let decimal_note = match lang {
        Lang::Id => note.replace('.', ","),
        Lang::En => note.to_owned(),
    };
    let distance = distance_text(lang, v);
    let (days, minutes, offset) = (v / 1440, v.abs(), format!("{v:+}"));
    let pct = format!("{pct:.1}");
    let text = match f.code.as_str() {
        "unknown_employee" => tr!(lang, "employee not on the roster"),
        "other_site" => tr!(lang, "another site's employee ({note})", note = note),
        "mode_mismatch" => tr!(lang, "record's mode is not the device's ({note})", note = note),
        "decision_mismatch" => tr!(lang, "claimed valid, but the face score {pct}% is under 80%", pct = pct),
        "liveness_low" => tr!(lang, "claimed valid, but liveness is only {pct}%", pct = pct),
        "offset_mismatch" => tr!(lang, "record's zone is UTC{offset} minutes, not the site's", offset = offset),
        "time_never_synced" => tr!(lang, "the device's clock was never synced with the server"),
        "time_stale_sync" => tr!(lang, "last clock sync {days} days before", days = days),
        "time_drifted" => tr!(lang, "the device's clock was {minutes} minutes off at its sync", minutes = minutes),
        "time_jumped_back" => tr!(lang, "the device's clock was set back"),
        "time_jumped_forward" => tr!(lang, "recorded {v} minutes after the server received it", v = v),
        "time_disagrees_with_gps" => tr!(lang, "the device's clock differs {minutes} minutes from GPS time", minutes = minutes),
        "place_no_fix" => tr!(lang, "field record without a GPS position"),
        "place_outside_area" if !note.is_empty() => {
            tr!(lang, "outside the assignment “{note}”, {distance} from its edge", note = note, distance = distance)
        }
        "place_outside_area" => tr!(lang, "outside the site's area, {distance} from its edge", distance = distance),
        "place_poor_fix" if f.value.is_none() => tr!(lang, "poor GPS fix ({note}, no HDOP)", note = note),
        "place_poor_fix" => tr!(lang, "poor GPS fix (HDOP {pct}, {note})", pct = pct, note = note),
        "place_stale_fix" => tr!(lang, "GPS position {v} seconds old", v = v),
        "travel_impossible" => tr!(lang, "impossible travel: {note} at {v} km/h", note = decimal_note, v = v),
        "position_jump" => tr!(lang, "position jumped {distance} with no time between", distance = distance),
        "position_repeated" => tr!(lang, "exactly the position of {v} days before", v = v),
        "device_travel_impossible" => {
            tr!(lang, "this device moved impossibly since its previous record: {note} at {v} km/h", note = decimal_note, v = v)
        }
        "device_position_jump" => tr!(lang, "this device's position jumped {distance} with no time between", distance = distance),
        "device_position_repeated" => tr!(lang, "exactly the position of this device's record {v} days before", v = v),
        "receiver_teleport" => tr!(lang, "the GPS receiver jumped far in an instant before the record (a simulator's sign)"),
        "receiver_frozen_position" => tr!(lang, "the GPS receiver's position frozen to the last digit while it reported moving"),
        "receiver_uniform_signal" => tr!(lang, "every satellite at exactly one signal strength (a GPS simulator's sign)"),
        "hdop_zero" => tr!(lang, "GPS position with HDOP 0 (a value no real receiver reports)"),
        "closed_month" => tr!(lang, "arrived for a month already closed"),
        other => format!("{other} {note}"),
    };
    text
}

/// Metres as people read them: "850 m", "29,7 km" (a decimal comma in Indonesian).
fn distance_text(lang: Lang, m: i64) -> String {
    if m < 1000 {
        return format!("{m} m");
    }
    let km = format!("{:.1} km", m as f64 / 1000.0);
    match lang {
        Lang::Id => km.replace('.', ","),
        Lang::En => km,
    }
}
