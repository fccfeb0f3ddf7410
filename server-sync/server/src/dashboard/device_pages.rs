//! The devices page: each kiosk's state, health, chain and refused uploads, the sites' sync
//! watermark, tamper alerts, and the silent devices that hold days back (with the
//! administrator's release and the revoke button). The terminals' part is [`super::terminal_pages`].

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use maud::{Markup, PreEscaped, html};
use time::{Date, Duration, OffsetDateTime};

use super::auth::Page;
use super::forms::CsrfOnly;
use super::html::{csrf_input, page};
use super::i18n::{Lang, tr};
use crate::storage::accounts::Role;
use crate::storage::calendar::date_str;
use crate::storage::{dt_to_ms, ms_to_dt};
use super::{AppError, AppState, Session};
use super::pages::{Flash, flash, hm, redirect_ok};

fn refusal_label(lang: Lang, reason: &str) -> String {
    let text = match reason {
        "malformed" => lang.tr("malformed"),
        "unknown_device" => lang.tr("unknown device"),
        "revoked_device" => lang.tr("revoked device"),
        "bad_signature" => lang.tr("bad signature"),
        other => return other.to_owned(),
    };
    text.to_owned()
}

/// A chain event's reason, as people read it.
fn chain_label(lang: Lang, reason: &str) -> String {
    let text = match reason {
        "sequence_gap" => lang.tr("sequence gap"),
        "fork" => lang.tr("chain fork"),
        "broken_chain" => lang.tr("broken chain"),
        other => return other.to_owned(),
    };
    text.to_owned()
}

/// The devices silent for longer than `dashboard.silent_device_hours`, named with the sites
/// whose days they hold back (empty when none). With `release`, each gets the administrator's
/// button that releases its days up to now (retiring it is the revoke button).
pub async fn silent_devices_notice(st: &AppState, lang: Lang, csrf: Option<&str>) -> Result<Markup, AppError> {
    let silence = Duration::hours(st.config.silent_device_hours);
    let mut by_site: Vec<_> = st.store.silent_devices_by_site(st.now(), silence).await?.into_iter().collect();
    if by_site.is_empty() {
        return Ok(html! {});
    }
    by_site.sort_by(|a, b| a.0.cmp(&b.0));
    let zones = st.zones().await?;
    Ok(html! {
        section.card.warn id="silent-devices" {
            h2 { (lang.tr("Silent devices hold days back")) }
            p { (tr!(lang, "These devices have not synced for more than {silent_device_hours} hours; later days of their sites are not final (absences are not counted). An administrator can revoke the device or release its days.", silent_device_hours = st.config.silent_device_hours)) }
            ul {
                @for (site, devices) in &by_site {
                    @let off = zones.of(site).offset();
                    @for d in devices {
                        li data-silent=(d.device_id) {
                            b { (d.device_id) } " (" (site) "): "
                            @match d.effective() {
                                Some(t) => { @let t = t.to_offset(off); (lang.tr("last synced up to")) " " (date_str(t.date())) " " (hm(t)) },
                                None => (lang.tr("never synced")),
                            }
                            @if let Some(c) = csrf {
                                " "
                                form.inline method="post" action=(format!("/devices/{}/release", d.device_id)) data-confirm=(lang.tr("Release the days this device holds back, up to now?")) {
                                    (csrf_input(c))
                                    button { (lang.tr("Release days")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// A device's trouble, as people read it.
pub(crate) fn trouble_label(lang: Lang, t: crate::storage::health::Trouble) -> &'static str {
    use crate::storage::health::Trouble::*;
    match t {
        TamperOpen => lang.tr("enclosure open"),
        InsecureLan => lang.tr("plain HTTP, unencrypted (insecure_lan)"),
        CameraDead => lang.tr("camera dead"),
        DiskNearlyFull => lang.tr("disk nearly full"),
        QueueGrowing => lang.tr("queue growing"),
        Offline => lang.tr("not reporting"),
    }
}

/// The devices page's health cell: the troubles first (red), then the last report's figures.
fn health_cell(lang: Lang, h: Option<&crate::storage::health::DeviceHealth>, now: OffsetDateTime) -> Markup {
    let Some(h) = h else { return html! { span.muted { (lang.tr("no report yet")) } } };
    let mib = |b: i64| b / (1 << 20);
    html! {
        @for t in crate::storage::health::trouble(h, now, Default::default()) {
            span.bad.trouble { (trouble_label(lang, t)) } br;
        }
        span.muted {
            "v" (h.firmware) " · " (h.uptime_s / 3600) " " (lang.tr("h up")) " · " (h.outbox_len) " " (lang.tr("queued"))
            @if let Some(s) = h.oldest_unsent_s { " (" (s / 60) " " (lang.tr("min")) ")" }
            @if let Some(b) = h.data_free_bytes { " · " (mib(b)) " MiB " (lang.tr("free")) }
            @if let Some(f) = h.camera_fps_centi { (format!(" · {:.1} fps", f as f64 / 100.0)) }
            @if let Some(t) = h.cpu_temp_milli_c { (format!(" · {:.0} °C", t as f64 / 1000.0)) }
        }
    }
}

/// The latest signed tamper events, when there are any: who opened which device, when.
fn tamper_alerts(lang: Lang, events: &[crate::storage::health::StoredEvent], fmt: &dyn Fn(Option<OffsetDateTime>) -> String) -> Markup {
    use hadir_protocol::health::EventKind;
    html! {
        @if !events.is_empty() {
            section.card.warn id="tamper-alerts" {
                h2 { (lang.tr("Tamper alerts")) }
                p.muted { (lang.tr("Signed events from the devices' enclosure switches, newest first.")) }
                ul { @for e in events {
                    li data-event=(format!("{}/{}", e.device_id, e.seq)) {
                        b { (e.device_id) } ": "
                        @match e.kind {
                            EventKind::TamperOpened => span.bad { (lang.tr("enclosure opened")) },
                            EventKind::TamperClosed => span.ok { (lang.tr("enclosure closed")) },
                        }
                        " " (fmt(Some(e.at)))
                    }
                } }
            }
        }
    }
}

/// Devices: status, last seen, sync watermark, chain health, quarantine, refused uploads,
/// revoke; per site, the last day every device has synced past (absences are final up to it).
pub async fn devices(State(st): State<AppState>, s: Session, Query(q): Query<Flash>) -> Result<Html<String>, AppError> {
    s.require(Page::Devices)?;
    let lang = s.lang;
    let off = st.offset();
    let now = st.now();
    let fmt = |t: Option<OffsetDateTime>| t.map(|t| { let t = t.to_offset(off); format!("{} {}", date_str(t.date()), hm(t)) }).unwrap_or_else(|| "-".into());
    let admin = s.user.role == Role::Admin;
    let silent = silent_devices_notice(&st, lang, admin.then_some(s.csrf.as_str())).await?;
    let mut known: Vec<(String, Option<Date>)> = st.store.known_through_by_site(&st.zones().await?).await?.into_iter().collect();
    known.sort();
    let events = st.store.device_events(20).await?;
    let health = st.store.device_health().await?;
    let statuses = st.store.device_statuses().await?;
    let terminals = super::terminal_pages::section(&st, lang, admin.then_some(s.csrf.as_str()), &fmt).await?;
    let refusals = st.store.refused_uploads(None, 50).await?;
    let body = html! {
        (flash(&q))
        (silent)
        section.card {
            h2 { (lang.tr("Sync per site")) }
            p.muted { (lang.tr("A day becomes final (absences are counted) once every active device of the site has synced past it.")) }
            ul id="known-through" {
                @for (site, day) in &known {
                    li data-site=(site) {
                        b { (site) } ": "
                        @match day {
                            // The catalogue's text marks the date up; the date is digits and dashes.
                            Some(d) => (PreEscaped(tr!(lang, "complete through <span class=\"known\">{date}</span> — later days are provisional (no absences yet)", date = date_str(*d)))),
                            None => (lang.tr("no device has synced yet; no day is final")),
                        }
                    }
                }
            }
        }
        (tamper_alerts(lang, &events, &fmt))
        div.card.scroll { table id="devices" {
            thead { tr {
                th { (lang.tr("Device")) } th { (lang.tr("Site")) } th { (lang.tr("Mode")) } th { (lang.tr("Status")) } th { (lang.tr("Health")) }
                th { (lang.tr("Last seen")) } th { (lang.tr("Synced until")) } th { (lang.tr("Records")) } th { (lang.tr("Chain")) }
                th { (lang.tr("Quarantine")) } th { (lang.tr("Doubted by the server")) } th { (lang.tr("Refused uploads")) } th {}
            } }
            tbody {
                @for d in &statuses {
                    tr data-device=(d.id) {
                        td { (d.id) }
                        td { (d.site_id) }
                        td { (if d.mode == "field" { lang.tr("Field") } else { lang.tr("Office") }) }
                        td {
                            @if d.revoked_at.is_some() {
                                span.bad { (lang.tr("Revoked")) }
                            } @else if d.last_seen.is_some_and(|t| now - t < Duration::minutes(15)) {
                                span.ok { (lang.tr("Online")) }
                            } @else {
                                span.muted { (lang.tr("Offline")) }
                            }
                        }
                        td.health { (health_cell(lang, health.get(&d.id), now)) }
                        td { (fmt(d.last_seen)) }
                        td.synced { (fmt(d.synced_until)) }
                        td { (d.records) }
                        td {
                            @if d.records == d.max_seq {
                                span.ok { (lang.tr("intact")) }
                            } @else {
                                span.bad { (d.max_seq - d.records) " " (lang.tr("missing")) }
                            }
                            @if let Some((reason, at)) = &d.last_chain_event {
                                br; span.bad { (d.chain_events) " " (lang.tr("events")) }
                                br; span.muted { (chain_label(lang, reason)) ", " (fmt(Some(*at))) }
                            }
                        }
                        td { (d.quarantined) }
                        td.flagged { @if d.flagged > 0 { span.pending { (d.flagged) } } @else { "0" } }
                        td.refused {
                            @match &d.last_refused {
                                Some((reason, at)) => { span.bad { (d.refused) } br; span.muted { (refusal_label(lang, reason)) ", " (fmt(Some(*at))) } },
                                None => "0",
                            }
                        }
                        td { @if d.revoked_at.is_none() {
                            form method="post" action=(format!("/devices/{}/revoke", d.id)) data-confirm=(lang.tr("Revoke this device?")) {
                                (csrf_input(&s.csrf))
                                button.reject { (lang.tr("Revoke")) }
                            }
                        } }
                    }
                }
            }
        } }
        (terminals)
        @if !refusals.is_empty() {
            section.card {
                h2 { (lang.tr_in("heading", "Refused uploads")) }
                p.muted { (lang.tr("Entries refused before they reached a device's chain: forged, altered, from an unknown or revoked device.")) }
                div.scroll { table id="refused" {
                    thead { tr { th { (lang.tr("Time")) } th { (lang.tr("Device")) } th { (lang.tr("Seq")) } th { (lang.tr("Reason")) } th { (lang.tr("Address")) } th { (lang.tr("Details")) } } }
                    tbody {
                        @for r in &refusals {
                            tr {
                                td { (fmt(ms_to_dt(r.at_ms))) }
                                td { (r.device_id.as_deref().unwrap_or("?")) }
                                td { (r.seq.map_or_else(|| "-".to_owned(), |v| v.to_string())) }
                                td.bad { (refusal_label(lang, &r.reason)) }
                                td { (r.remote_addr.as_deref().unwrap_or("-")) }
                                td { (r.detail) }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(Html(page(lang, &s.user, &s.csrf, Page::Devices, lang.tr("Devices"), body)))
}

/// Revokes a device (admin, operator; audited).
pub async fn revoke_device(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(Some(&f.csrf))?;
    let now = (st.clock)();
    if !st.store.revoke_device(&id, dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "revoke_device", &id, now).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Device revoked")))
}

/// Releases a silent device's days up to now (administrators only; audited): its site's days
/// become final without it. Records it brings later still arrive, as late records.
pub async fn release_device(State(st): State<AppState>, s: Session, Path(id): Path<String>, Form(f): Form<CsrfOnly>) -> Result<Response, AppError> {
    s.require(Page::Devices)?;
    s.check_csrf(Some(&f.csrf))?;
    if s.user.role != Role::Admin {
        return Err(AppError::Forbidden("release_device_days: administrators only".into()));
    }
    let now = (st.clock)();
    if !st.store.release_device_days(&id, dt_to_ms(now)).await? {
        return Err(AppError::NotFound);
    }
    st.store.audit(&s.user.username, "release_device_days", &format!("{id} until {}", dt_to_ms(now)), now).await?;
    Ok(redirect_ok("/devices", s.lang.tr("Device's days released")))
}
