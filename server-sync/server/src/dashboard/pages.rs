//! What the dashboard's pages share: the typed queries they read from their address (the flash
//! message a redirect carries, the day filters), the redirects themselves, the section filter and
//! scope, and how a time, a direction and a record's source read. The pages themselves are their
//! own modules (`login_pages`, `today_pages`, `record_pages`, `device_pages`, `settings_pages` …).

use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::forms::trimmed;
use super::i18n::Lang;
use super::{AppError, lang_of};
use crate::reports::month::{Context, Scope};
use crate::storage::calendar::parse_date;
use hadir_rules::Direction;

/// A time of day as the pages show it, "07:45".
pub(crate) fn hm(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The message a redirect carried (`?ok=` or `?err=`, see [`redirect_ok`]): read by every page
/// that an action returns to.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    ok: Option<String>,
    err: Option<String>,
}

/// The flash message at the top of a page, or nothing.
pub(crate) fn flash(q: &Flash) -> Markup {
    html! {
        @if let Some(m) = &q.ok {
            div.flash { (m) }
        } @else if let Some(m) = &q.err {
            div.flash.error { (m) }
        }
    }
}

/// What the pages about one day read from their address: the date (today when absent or not
/// a date), a section (all in view when empty), the records' decision filter, and the flash.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    /// `YYYY-MM-DD`; see [`DayQuery::date_or`].
    #[serde(default, deserialize_with = "trimmed")]
    pub date: String,
    /// A section's id, or empty for every section in view.
    #[serde(default, deserialize_with = "trimmed")]
    pub section: String,
    /// `pending` for the records awaiting confirmation only.
    #[serde(default, deserialize_with = "trimmed")]
    pub decision: String,
    /// The message of the action that led here.
    #[serde(flatten)]
    pub flash: Flash,
}

impl DayQuery {
    /// The date asked for, or `today`.
    pub fn date_or(&self, today: Date) -> Date {
        parse_date(&self.date).unwrap_or(today)
    }
}

pub(crate) fn redirect_ok(path: &str, msg: &str) -> Response {
    redirect_flash(path, "ok", msg)
}

/// Back to `path` with an error shown at the top (nothing was changed).
pub(crate) fn redirect_err(path: &str, msg: &str) -> Response {
    redirect_flash(path, "err", msg)
}

fn redirect_flash(path: &str, key: &str, msg: &str) -> Response {
    let q: String = msg.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}{key}={q}")).into_response()
}

// ---- today ----

/// The options of a section filter: every section in the user's scope, `selected` chosen.
pub(crate) fn section_options(ctx: &Context, user_scope: &Scope, selected: &str, lang: Lang) -> Markup {
    let mut ids: Vec<&String> = ctx.sections.keys().filter(|id| user_scope.includes(Some(id))).collect();
    ids.sort();
    html! {
        option value="" { (lang.tr("All sections")) }
        @for id in ids { option value=(id) selected[id == selected] { (ctx.sections[id].name) } }
    }
}

/// Narrows the user's scope to one section when asked (and allowed).
pub(crate) fn narrowed(user_scope: Scope, section: &str) -> Result<Scope, AppError> {
    if section.is_empty() {
        return Ok(user_scope);
    }
    if !user_scope.includes(Some(section)) {
        return Err(AppError::Forbidden(format!("section {section} is outside the user's sections")));
    }
    Ok(Scope::Sections(vec![section.to_owned()]))
}

/// The source marker of a punch that is not a kiosk's signed record: a ZKTeco terminal's
/// (unsigned, no face score or photo) or an administrator's manual entry.
pub(crate) fn source_mark(lang: Lang, p: &hadir_rules::Punch) -> Option<Markup> {
    if crate::storage::manual::manual_entry_id(&p.device_id).is_some() {
        return Some(html! { span.src { (lang.tr("Manual")) } });
    }
    crate::storage::terminals::terminal_serial(&p.device_id).map(|sn| html! { span.src title=(sn) { (lang.tr("Terminal")) } })
}

pub(crate) fn direction_label(lang: Lang, d: Direction) -> &'static str {
    match d {
        Direction::In => lang.tr("IN"),
        Direction::Out => lang.tr("OUT"),
    }
}

/// The language of a request without a session (used by the board).
pub fn request_lang(parts: &axum::http::request::Parts) -> Lang {
    lang_of(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queries as a browser sends them, read the way `Query` reads them.
    #[test]
    fn day_query_table() {
        let today = Date::from_calendar_date(2026, time::Month::December, 5).unwrap();
        let day = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        // (query, date, section, decision, flash shown)
        let cases: &[(&str, Date, &str, &str, Option<&str>)] = &[
            ("", today, "", "", None),
            ("date=2026-11-30", day, "", "", None),
            ("date=+2026-11-30+&section=+ops+", day, "ops", "", None),
            ("date=30%2F11%2F2026", today, "", "", None),
            ("decision=pending&ok=Tersimpan", today, "", "pending", Some("Tersimpan")),
            ("err=Gagal&lang=en&page=2", today, "", "", Some("Gagal")),
        ];
        for (text, date, section, decision, shown) in cases {
            let q: DayQuery = serde_urlencoded::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(q.date_or(today), *date, "{text}");
            assert_eq!(q.section, *section, "{text}");
            assert_eq!(q.decision, *decision, "{text}");
            let html = flash(&q.flash).into_string();
            match shown {
                Some(m) => assert!(html.contains(m), "{text}: {html}"),
                None => assert!(html.is_empty(), "{text}: {html}"),
            }
        }
    }
}
