//! The late board: a full-screen page for a TV behind a read-only board token, listing today's
//! late arrivals by section, refreshed over server-sent events within about a second of a new
//! record (the watcher polls for new rows every `board_poll_ms`; the device API may also call
//! [`super::Dashboard::records_arrived`]). With the privacy option it shows initials only.
//!
//! The token opens this page and its event stream and nothing else. A link made as the admin
//! view also shows the devices in trouble (an open enclosure first), refreshed when a device
//! reports a tamper event as well as when a record arrives.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;

use super::auth::token_hash;
use super::i18n::Lang;
use crate::storage::accounts::BoardToken;
use crate::storage::calendar::date_str;
use super::{AppError, AppState, ensure_watcher};
use crate::reports::month::{Scope, date_results};

/// "Budi Santoso" → "B. S."
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).map(|c| format!("{}.", c.to_uppercase())).collect::<Vec<_>>().join(" ")
}

async fn token(st: &AppState, t: &str) -> Result<BoardToken, AppError> {
    st.store.board_token(&token_hash(t), crate::storage::dt_to_ms((st.clock)())).await?.ok_or(AppError::NotFound)
}

fn lang(headers: &HeaderMap) -> Lang {
    headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| super::auth::cookie(c, "hadir_lang"))
        .map(Lang::parse)
        .unwrap_or_default()
}

/// Today's late arrivals by section, as the board's inner HTML. A site's board shows that
/// site's people on that site's date; the others every site's, on the server's date.
pub async fn board_fragment(st: &AppState, tok: &BoardToken, lang: Lang) -> Result<String, AppError> {
    let ctx = st.context(&Scope::All).await?;
    let today = match &tok.site {
        Some(site) => (st.clock)().to_offset(ctx.zones.of(site).offset()).date(),
        None => st.now().date(),
    };
    let at_site: std::collections::HashSet<&str> = match &tok.site {
        Some(site) => ctx.employees.iter().filter(|e| e.site_id == *site).map(|e| e.id.as_str()).collect(),
        None => ctx.employees.iter().map(|e| e.id.as_str()).collect(),
    };
    let mut by_section: BTreeMap<String, Vec<(String, u32, String, String)>> = BTreeMap::new();
    for (e, d) in date_results(&st.store, &ctx, today).await? {
        if !at_site.contains(e.id.as_str()) {
            continue;
        }
        let (Some(band), Some(p)) = (d.late_band, d.first_in.as_ref()) else { continue };
        let name = if tok.initials_only { initials(&e.name) } else { e.name.clone() };
        // A terminal's record and a manual entry are marked as such (no face evidence).
        let src = if crate::storage::manual::manual_entry_id(&p.device_id).is_some() {
            " · Manual"
        } else if crate::storage::terminals::terminal_serial(&p.device_id).is_some() {
            " · Terminal"
        } else {
            ""
        };
        let t = format!("{:02}:{:02}{src}", p.at.hour(), p.at.minute());
        by_section.entry(e.section_name).or_default().push((name, d.late_minutes, t, band.tl_label().to_owned()));
    }
    let total: usize = by_section.values().map(Vec::len).sum();
    for v in by_section.values_mut() {
        v.sort_by(|a, b| a.2.cmp(&b.2));
    }
    let alerts = if tok.device_alerts { device_alerts(st, lang).await? } else { html! {} };
    let fragment = html! {
        (alerts)
        div.top {
            span { (lang.tr("Late today")) @if let Some(site) = &tok.site { " · " (site) } }
            span { (date_str(today)) }
            span.count id="late-count" { (total) }
        }
        @if total == 0 {
            p.none { (lang.tr("Nobody late yet.")) }
        }
        div.cols {
            @for (sec, v) in &by_section {
                section {
                    h2 { (sec) }
                    ol {
                        @for (n, m, t, b) in v {
                            li.late-entry { span.n { (n) } span.t { (t) } span.m { "+" (m) " " (lang.tr("min")) " · " (b) } }
                        }
                    }
                }
            }
        }
    };
    Ok(fragment.into_string())
}

/// The admin view's strip: every device in trouble with what is wrong, an open enclosure
/// first; nothing when all is well.
async fn device_alerts(st: &AppState, lang: Lang) -> Result<Markup, AppError> {
    let now = (st.clock)();
    let mut troubled: Vec<(crate::storage::health::Trouble, String, String)> = Vec::new();
    for (device, h) in st.store.device_health().await? {
        let troubles = crate::storage::health::trouble(&h, now, Default::default());
        if let Some(worst) = troubles.first() {
            let what: Vec<&str> = troubles.iter().map(|t| super::device_pages::trouble_label(lang, *t)).collect();
            troubled.push((*worst, device, what.join(", ")));
        }
    }
    if troubled.is_empty() {
        return Ok(html! {});
    }
    troubled.sort_by(|a, b| (a.0 as u8, &a.1).cmp(&(b.0 as u8, &b.1)));
    Ok(html! {
        div.alerts id="device-alerts" {
            b { (lang.tr("Devices in trouble")) }
            @for (worst, device, what) in &troubled {
                span class=(if *worst == crate::storage::health::Trouble::TamperOpen { "alert tamper" } else { "alert" }) data-device=(device) { (device) ": " (what) }
            }
        }
    })
}

pub(crate) const BOARD_CSS: &str = r#"
html,body{margin:0;height:100%;background:#0d1b24;color:#f4f6f8;font-family:system-ui,sans-serif}
#board{padding:2vw 3vw}.top{display:flex;justify-content:space-between;align-items:center;font-size:3.2vw;font-weight:700;border-bottom:.3vw solid #e74c3c;padding-bottom:1vw}
.count{background:#e74c3c;border-radius:1vw;padding:0 1.5vw}.none{font-size:3vw;color:#9fb3c1}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(28vw,1fr));gap:2vw;margin-top:2vw}
h2{font-size:2.4vw;margin:0 0 1vw;color:#f5b041}ol{list-style:none;margin:0;padding:0}
li{display:flex;gap:1.5vw;align-items:baseline;font-size:2.3vw;padding:.6vw 0;border-bottom:1px solid #ffffff22}
.n{flex:1;font-weight:600}.t{font-variant-numeric:tabular-nums}.m{color:#f1948a;font-size:1.8vw}
.alerts{display:flex;flex-wrap:wrap;gap:1vw;align-items:center;font-size:2vw;background:#3b1d1d;border-radius:1vw;padding:1vw 1.5vw;margin-bottom:1.5vw}
.alert{background:#7b2d26;border-radius:.6vw;padding:.3vw 1vw}.alert.tamper{background:#e74c3c;font-weight:700}
"#;

/// The full-screen board page.
pub async fn board_page(State(st): State<AppState>, Path(t): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let tok = token(&st, &t).await?;
    let lang = lang(&headers);
    let inner = board_fragment(&st, &tok, lang).await?;
    let html = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (lang.tr("Late board")) " · " (tok.label) }
                link rel="stylesheet" href="/assets/board.css";
                script src="/assets/hadir.js" defer {}
            }
            body { div id="board" data-events="events" { (PreEscaped(inner)) } }
        }
    };
    Ok(Html(html.into_string()).into_response())
}

/// The event stream: the board's fragment now and after every new record.
pub async fn board_events(State(st): State<AppState>, Path(t): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let tok = token(&st, &t).await?;
    let lang = lang(&headers);
    ensure_watcher(&st);
    let first = board_fragment(&st, &tok, lang).await?;
    let rx = BroadcastStream::new(st.board_tx.subscribe());
    let st2 = st.clone();
    // Each update looks the link up again: a revoked or expired link ends the stream.
    let updates = rx
        .then(move |_| {
            let (st, t) = (st2.clone(), t.clone());
            async move {
                let tok = token(&st, &t).await.ok()?;
                let html = board_fragment(&st, &tok, lang).await.unwrap_or_else(|_| String::from("…"));
                Some(Ok::<_, Infallible>(Event::default().event("board").data(html)))
            }
        })
        .take_while(Option::is_some)
        .filter_map(|e| e);
    let stream = tokio_stream::once(Ok::<_, Infallible>(Event::default().event("board").data(first))).chain(updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Budi Santoso"), "B. S.");
        assert_eq!(initials("  ni luh  putu ayu "), "N. L. P. A.");
        assert_eq!(initials(""), "");
    }
}
