//! The settings page (administrators): the rules and deductions, holidays (one by one or a
//! file), site areas, retention, late-board links, and the cards other modules own (sections
//! and schedules, sites, letterhead, users).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{self, Page};
use super::forms::{CsrfOnly, trimmed};
use super::html::{csrf_input, page};
use super::i18n::{Lang, tr};
use crate::storage::calendar::{Holiday, HolidayKind, date_str, parse_date};
use crate::storage::{dt_to_ms, ms_to_dt};
use super::{AppError, AppState, Session};
use hadir_rules::{Band, RuleSettings};
use super::pages::{Flash, flash, redirect_err, redirect_ok};

/// Settings: rules, holidays, sections, users, board tokens, and links to the audit log.
pub async fn settings(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Settings)?;
    let lang = s.lang;
    let r = st.store.settings().await?;
    let c = csrf_input(&s.csrf);
    let num = |name: &str, label: &str, v: u32| html! { label { (label) input type="number" min="0" name=(name) value=(v); } };
    let sites = st.store.sites().await?;
    // Each holiday is its own small form: its name, kind and sites are changed where they are
    // read. No site ticked: every site.
    let kind_and_sites = |kind: HolidayKind, chosen: &[String]| {
        html! {
            select name="kind" aria-label=(lang.tr("Kind")) {
                @for k in HolidayKind::ALL.iter() { option value=(k.as_str()) selected[*k == kind] { (holiday_kind_label(lang, *k)) } }
            }
            @for site in &sites {
                label.check { input type="checkbox" name=(format!("site:{site}")) checked[chosen.contains(site)]; (site) }
            }
        }
    };
    let holidays = st.store.holiday_list().await?;
    let schedules = super::schedule_pages::card(&st, lang, &s.csrf).await?;
    let site_card = super::site_pages::card(&st, lang, &s.csrf).await?;
    let mut areas: Vec<_> = st.store.site_areas().await?.into_iter().collect();
    areas.sort_by(|a, b| a.0.cmp(&b.0));
    let letterhead = super::letterhead_pages::card(&st, lang, &s.csrf).await?;
    let range = crate::storage::retention::REFUSED_RETENTION_RANGE;
    let retention_days = st.store.refused_retention_days().await?;
    let users = super::user_pages::card(&st, &s).await?;
    let links = board_links_table(lang, &st.store.board_links().await?, &s.csrf, crate::storage::dt_to_ms((st.clock)()));
    let body = html! {
        (flash(&q))
        section.card {
            h2 { (lang.tr("Rules and allowance deductions")) }
            form method="post" action="/settings/rules" class="inline" {
                (c)
                (num("tolerance_office_min", lang.tr("Office tolerance (min)"), r.tolerance_office_min))
                (num("tolerance_field_min", lang.tr("Field tolerance (min)"), r.tolerance_field_min))
                (num("overtime_after_min", lang.tr("Overtime after (min)"), r.overtime_after_min))
                @for b in Band::ALL { (num(&format!("late_bp_{}", b.index() + 1), &format!("{} (0,01%)", b.tl_label()), r.late_bp[b.index()])) }
                @for b in Band::ALL { (num(&format!("early_bp_{}", b.index() + 1), &format!("{} (0,01%)", b.psw_label()), r.early_bp[b.index()])) }
                (num("absent_bp", lang.tr("Absent (0.01%)"), r.absent_bp))
                (num("daily_cap_bp", lang.tr("Daily cap (0.01%)"), r.daily_cap_bp))
                button { (lang.tr("Save")) }
            }
        }
        section.card {
            h2 { (lang.tr("Holidays")) }
            p.muted { (lang.tr("National holidays, joint leave days and regional holidays: all of them days off in the recap, at the sites ticked (none ticked: every site). An existing date gets the new name, kind and sites. Import a year for every site from a CSV (date,name,kind: nasional, cuti bersama or daerah) or iCalendar (.ics) file: every line or none.")) }
            ul id="holidays" {
                @for h in &holidays {
                    @let ds = date_str(h.date);
                    li data-holiday=(ds) data-kind=(h.kind.as_str()) data-sites=(h.sites.join(" ")) {
                        form.inline method="post" action="/settings/holiday" {
                            (c)
                            input type="hidden" name="date" value=(ds);
                            b { (ds) } " "
                            input name="name" value=(h.name) required maxlength="120" aria-label=(lang.tr("Name"));
                            (kind_and_sites(h.kind, &h.sites))
                            button { (lang.tr("Save")) }
                        }
                        " "
                        form.inline method="post" action=(format!("/settings/holiday/{ds}/remove")) {
                            (c)
                            button.reject { (lang.tr("Remove")) }
                        }
                    }
                }
            }
            form method="post" action="/settings/holiday" class="inline" {
                (c)
                label { (lang.tr("Date")) input type="date" name="date" required; }
                label { (lang.tr("Name")) input name="name" required maxlength="120"; }
                (kind_and_sites(HolidayKind::National, &[]))
                button { (lang.tr("Add / change")) }
            }
            form method="post" action="/settings/holidays/import" enctype="multipart/form-data" class="inline" {
                (c)
                label { (lang.tr("Holiday file")) input type="file" name="file" accept=".csv,.ics,text/csv,text/calendar" required; }
                button { (lang.tr("Import")) }
            }
        }
        (schedules)
        (site_card)
        section.card {
            h2 { (lang.tr("Site areas (GPS)")) }
            p.muted { (lang.tr("Field records outside their site's area, or with a poor GPS fix, wait for a supervisor's confirmation.")) }
            div.scroll { table {
                thead { tr { th { (lang.tr("Site")) } th { (lang.tr("Centre")) } th { (lang.tr("Radius")) } } }
                tbody { @for (site, a) in &areas {
                    tr data-area=(site) {
                        td { (site) }
                        td { (format!("{:.6}, {:.6}", a.lat_e7 as f64 / 1e7, a.lon_e7 as f64 / 1e7)) }
                        td { (a.radius_m) " m" }
                    }
                } }
            } }
            form method="post" action="/settings/site-area" class="inline" {
                (c)
                label { (lang.tr("Site")) input name="site" required; }
                label { (lang.tr("Latitude")) input name="lat" required inputmode="decimal" placeholder="-8.5819"; }
                label { (lang.tr("Longitude")) input name="lon" required inputmode="decimal" placeholder="115.1771"; }
                label { (lang.tr("Radius")) " (m)" input name="radius_m" type="number" min="10" max="50000" value="300"; }
                button { (lang.tr("Save")) }
            }
        }
        (letterhead)
        section.card id="retention" {
            h2 { (lang.tr("Retention of refused uploads and failed sign-ins")) }
            p.muted { (lang.tr("Refused uploads (unknown or revoked devices, bad signatures, malformed data) and the audit log's failed sign-ins are kept for investigation, then deleted hourly after this many days. Records, quarantine and every other audit line are never deleted.")) }
            form method="post" action="/settings/retention" class="inline" {
                (c)
                label { (lang.tr("Days")) input name="days" type="number" min=(range.start()) max=(range.end()) value=(retention_days) required; }
                button { (lang.tr("Save")) }
            }
        }
        (users)
        section.card {
            h2 { (lang.tr("Late board (TV)")) }
            (links)
            form method="post" action="/settings/board" class="inline" {
                (c)
                label { (lang.tr("Screen name")) input name="label" required; }
                label { (lang.tr("Valid (days)")) input name="days" type="number" min="1" max="3650" value=(super::BOARD_LINK_DAYS); }
                label { span { input type="checkbox" name="initials_only" value="1"; " " (lang.tr("Initials only")) } }
                label { (lang.tr("Site")) select name="site" {
                    option value="" { (lang.tr("Every site")) }
                    @for site in &sites { option value=(site) { (site) } }
                } }
                label { span { input type="checkbox" name="device_alerts" value="1"; " " (lang.tr("Device alerts (the admins' room screen)")) } }
                button { (lang.tr("Create link")) }
            }
        }
        section.card {
            h2 { (lang.tr("Audit log")) }
            p {
                a href="/audit" { (lang.tr("Open the audit log")) } " · "
                a href="/audit?action=access_denied" { (lang.tr("Refused access")) }
            }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Settings, lang.tr("Settings"), body)))
}

/// The form of `POST /settings/rules`: every figure of [`RuleSettings`], as typed.
#[derive(Debug, Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    figures: HashMap<String, String>,
}

/// Saves the rule settings.
pub async fn save_rules(State(st): State<AppState>, s: Session, Form(f): Form<RulesForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let mut r = RuleSettings::default();
    let get = |k: &str| {
        f.figures.get(k).map_or("", |v| v.trim()).parse::<u32>().map_err(|_| AppError::BadRequest(format!("{k}: angka / number")))
    };
    r.tolerance_office_min = get("tolerance_office_min")?;
    r.tolerance_field_min = get("tolerance_field_min")?;
    r.overtime_after_min = get("overtime_after_min")?;
    for i in 0..4 {
        r.late_bp[i] = get(&format!("late_bp_{}", i + 1))?;
        r.early_bp[i] = get(&format!("early_bp_{}", i + 1))?;
    }
    r.absent_bp = get("absent_bp")?;
    r.daily_cap_bp = get("daily_cap_bp")?;
    r.validate().map_err(|e| AppError::BadRequest(e.to_string()))?;
    st.store.put_settings(&r).await?;
    st.store.audit(&s.user.username, "settings", &format!("{r:?}"), (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Settings saved")))
}

/// How a holiday's kind reads.
pub(crate) fn holiday_kind_label(lang: Lang, kind: HolidayKind) -> &'static str {
    match kind {
        HolidayKind::National => lang.tr("National holiday"),
        HolidayKind::JointLeave => lang.tr("Joint leave"),
        HolidayKind::Regional => lang.tr("Regional holiday"),
    }
}

/// The form of `POST /settings/holiday`: a date, its name and kind, and a `site:ID` box for
/// each site ticked.
#[derive(Debug, Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    date: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(flatten)]
    boxes: HashMap<String, String>,
}

/// Adds a holiday, or changes an existing date's name, kind and sites (audited).
pub async fn add_holiday(State(st): State<AppState>, s: Session, Form(f): Form<HolidayForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let lang = s.lang;
    let d = parse_date(&f.date).ok_or_else(|| AppError::BadRequest(lang.tr("Not a valid date.").into()))?;
    let name = crate::holiday_file::checked_name(&f.name).map_err(|_| {
        AppError::BadRequest(lang.tr("The holiday's name: required, at most 120 characters.").into())
    })?;
    let kind = match f.kind.as_str() {
        "" => HolidayKind::National,
        k => HolidayKind::parse(k).ok_or_else(|| AppError::BadRequest(lang.tr("Unknown kind of holiday.").into()))?,
    };
    let known = st.store.sites().await?;
    let mut sites: Vec<String> = f.boxes.keys().filter_map(|k| k.strip_prefix("site:")).map(str::to_owned).collect();
    sites.sort();
    if let Some(unknown) = sites.iter().find(|s| !known.contains(s)) {
        return Err(AppError::BadRequest(format!("{}: {unknown}", lang.tr("Unknown site"))));
    }
    let holiday = Holiday { date: d, name, kind, sites };
    st.store.put_holiday(&holiday).await?;
    let detail = format!("{} {} ({}; {})", date_str(d), holiday.name, kind.as_str(), if holiday.sites.is_empty() { "all sites".to_owned() } else { holiday.sites.join(" ") });
    st.store.audit(&s.user.username, "holiday", &detail, (st.clock)()).await?;
    Ok(redirect_ok("/settings", lang.tr("Holiday saved")))
}

/// Removes a holiday (audited).
pub async fn remove_holiday(State(st): State<AppState>, s: Session, Path(date): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let d = parse_date(&date).ok_or_else(|| AppError::BadRequest("date".into()))?;
    if !st.store.remove_holiday(d).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "holiday_removed", &date_str(d), (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Holiday removed")))
}

/// Imports a holiday file (multipart: `csrf`, `file`): every holiday of it in one transaction,
/// or, when a line is wrong, nothing and the lines named.
pub async fn import_holidays(State(st): State<AppState>, s: Session, mut form: axum::extract::Multipart) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    let lang = s.lang;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        tracing::info!(error = %e, "holiday upload not readable");
        AppError::BadRequest(lang.tr("The upload could not be read (cut off or too large).").into())
    };
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(unreadable)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("").chars().filter(|c| !c.is_control()).take(80).collect::<String>();
                file = Some((name, field.bytes().await.map_err(unreadable)?));
            }
            _ => {}
        }
    }
    s.check_csrf(csrf.as_ref())?;
    let Some((name, bytes)) = file else { return Err(AppError::BadRequest("file".into())) };
    let holidays = match crate::holiday_file::parse(&bytes) {
        Ok(h) => h,
        Err(e) => {
            let detail = match &e {
                crate::holiday_file::HolidayFileError::Lines(lines) if lines.len() > 10 => {
                    format!("{}; … ({} {})", lines[..10].iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), lines.len(), lang.tr("bad lines"))
                }
                other => other.to_string(),
            };
            let msg = format!("{} {name}: {detail}", lang.tr("Nothing imported from"));
            return Ok(redirect_err("/settings", &msg));
        }
    };
    let rows = holidays;
    st.store.put_holidays(&rows).await?;
    st.store.audit(&s.user.username, "holidays_imported", &format!("{name}: {} dates", rows.len()), (st.clock)()).await?;
    let msg = tr!(lang, "{n} holidays imported from {name}", n = rows.len(), name = name);
    Ok(redirect_ok("/settings", &msg))
}

/// The form of `POST /settings/site-area`: a site and its circle (a decimal comma is read).
#[derive(Debug, Deserialize)]
pub struct SiteAreaForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    site: String,
    #[serde(default, deserialize_with = "trimmed")]
    lat: String,
    #[serde(default, deserialize_with = "trimmed")]
    lon: String,
    #[serde(default, deserialize_with = "trimmed")]
    radius_m: String,
}

/// Sets a site's area (a circle; audited).
pub async fn put_site_area(State(st): State<AppState>, s: Session, Form(f): Form<SiteAreaForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let site = f.site.as_str();
    let number = |v: &str| v.replace(',', ".").parse::<f64>().ok();
    let radius = f.radius_m.parse::<i64>().ok();
    let area = match (site.is_empty(), number(&f.lat), number(&f.lon), radius) {
        (false, Some(lat), Some(lon), Some(r)) => crate::storage::areas::SiteArea::new(lat, lon, r),
        _ => None,
    };
    let Some(area) = area else {
        return Ok(redirect_err(
            "/settings",
            s.lang.tr("Not an area: latitude −90 to 90, longitude −180 to 180, radius 10 to 50,000 m."),
        ));
    };
    let now = (st.clock)();
    st.store.put_site_area(site, area, &s.user.username, dt_to_ms(now)).await?;
    let detail = format!("{site}: {:.6}, {:.6}, {} m", area.lat_e7 as f64 / 1e7, area.lon_e7 as f64 / 1e7, area.radius_m);
    st.store.audit(&s.user.username, "site_area", &detail, now).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Site area saved")))
}

/// The form of `POST /settings/retention`.
#[derive(Debug, Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    days: String,
}

/// Sets how long refused uploads are kept (administrators), and prunes at once.
pub async fn put_retention(State(st): State<AppState>, s: Session, Form(f): Form<RetentionForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let range = crate::storage::retention::REFUSED_RETENTION_RANGE;
    let Some(days) = f.days.parse::<u32>().ok().filter(|d| range.contains(d)) else {
        let msg = tr!(s.lang, "The retention must be {start} to {end} days.", start = range.start(), end = range.end());
        return Ok(redirect_err("/settings", &msg));
    };
    let now = (st.clock)();
    st.store.set_refused_retention_days(days).await?;
    let pruned = st.store.prune_past_retention(dt_to_ms(now)).await?;
    let detail = format!(
        "refused uploads and failed sign-ins kept {days} days; older deleted: {} refused uploads, {} failed sign-ins",
        pruned.refused_uploads, pruned.failed_logins
    );
    st.store.audit(&s.user.username, "retention", &detail, now).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Retention saved")))
}

/// The late-board links with their state and a revoke button for the live ones.
fn board_links_table(lang: Lang, links: &[crate::storage::accounts::BoardLink], csrf: &str, now_ms: i64) -> Markup {
    let day = |ms: i64| ms_to_dt(ms).map_or_else(|| "-".to_owned(), |t| date_str(t.date()));
    let state = |l: &crate::storage::accounts::BoardLink| match (l.revoked_at_ms, l.expires_at_ms) {
        (Some(at), _) => (format!("{} {}", lang.tr("revoked"), day(at)), false),
        (None, Some(exp)) if exp <= now_ms => (format!("{} {}", lang.tr("expired"), day(exp)), false),
        (None, Some(exp)) => (format!("{} {}", lang.tr("valid until"), day(exp)), true),
        (None, None) => (lang.tr("no expiry").to_owned(), true),
    };
    html! {
        @if !links.is_empty() {
            div.scroll { table {
                thead { tr { th { (lang.tr("Screen")) } th { (lang.tr("Made")) } th { (lang.tr("State")) } th {} } }
                tbody { @for l in links {
                    @let (text, live) = state(l);
                    tr data-board=(l.token_sha256) {
                        td {
                            (l.label)
                            @if let Some(site) = &l.site { " " span.muted { "· " (site) } }
                            @if l.device_alerts { " " span.muted { "(" (lang.tr("with device alerts")) ")" } }
                        }
                        td { (if l.created_at_ms > 0 { day(l.created_at_ms) } else { "-".to_owned() }) }
                        td { (text) }
                        td { @if live {
                            form method="post" action=(format!("/settings/board/{}/revoke", l.token_sha256)) class="inline" data-confirm=(lang.tr("Revoke this board link?")) {
                                (csrf_input(csrf))
                                button.reject { (lang.tr("Revoke")) }
                            }
                        } }
                    }
                } }
            } }
        }
    }
}

/// The form of `POST /settings/board`: a screen's name, validity and options.
#[derive(Debug, Deserialize)]
pub struct BoardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    label: String,
    #[serde(default, deserialize_with = "trimmed")]
    days: String,
    #[serde(default)]
    initials_only: String,
    #[serde(default, deserialize_with = "trimmed")]
    site: String,
    #[serde(default)]
    device_alerts: String,
}

/// Creates a late-board token and shows its link once.
pub async fn add_board_token(State(st): State<AppState>, s: Session, Form(f): Form<BoardForm>) -> Result<Html<String>, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let token = auth::random_token();
    let label = f.label.as_str();
    let initials = f.initials_only == "1";
    let days = match f.days.as_str() {
        "" => super::BOARD_LINK_DAYS,
        d => d.parse::<i64>().ok().filter(|d| (1..=3650).contains(d)).ok_or_else(|| {
            AppError::BadRequest(s.lang.tr("Validity is 1 to 3650 days.").into())
        })?,
    };
    let now = crate::storage::dt_to_ms((st.clock)());
    let site = match f.site.as_str() {
        "" => None,
        site if st.store.sites().await?.iter().any(|s| s == site) => Some(site.to_owned()),
        site => return Err(AppError::BadRequest(format!("{} {site}", s.lang.tr("Unknown site:")))),
    };
    let settings = crate::storage::accounts::BoardToken {
        label: label.to_owned(),
        initials_only: initials,
        device_alerts: f.device_alerts == "1",
        site,
    };
    st.store.add_board_token(&auth::token_hash(&token), &settings, now, now + days * 86_400_000).await?;
    st.store.audit(&s.user.username, "board_token", &format!("{label}, {days} days"), (st.clock)()).await?;
    let lang = s.lang;
    let link = format!("/board/{token}");
    let body = html! {
        div.card {
            p { (lang.tr("Open this link on the TV. It is shown only once.")) }
            p { a id="board-link" href=(link) { (link) } }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Settings, lang.tr("Late board link"), body)))
}

/// Revokes a late-board link: the TV showing it goes blank at its next update.
pub async fn revoke_board_token(State(st): State<AppState>, s: Session, Path(hash): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let now = (st.clock)();
    if !st.store.revoke_board_token(&hash, crate::storage::dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    let label = st.store.board_links().await?.into_iter().find(|l| l.token_sha256 == hash).map(|l| l.label).unwrap_or_default();
    st.store.audit(&s.user.username, "board_token_revoked", &label, now).await?;
    st.records_arrived();
    Ok(redirect_ok("/settings", s.lang.tr("Board link revoked")))
}
