//! What the dashboard's pages share: the query map, the flash message a redirect carries, the
//! redirects themselves, the section filter and scope, and how a time, a direction and a
//! record's source read. The pages themselves are their own modules (`login_pages`,
//! `today_pages`, `record_pages`, `device_pages`, `settings_pages` …).

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use time::OffsetDateTime;

use super::i18n::Lang;
use super::{AppError, lang_of};
use crate::reports::month::{Context, Scope};
use hadir_rules::Direction;

pub(crate) type Fields = HashMap<String, String>;

pub(crate) fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map_or("", |s| s.trim())
}

/// A time of day as the pages show it, "07:45".
pub(crate) fn hm(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The message a redirect carried (`?ok=` or `?err=`), or nothing.
pub(crate) fn flash(q: &Fields) -> Markup {
    html! {
        @if let Some(m) = q.get("ok") {
            div.flash { (m) }
        } @else if let Some(m) = q.get("err") {
            div.flash.error { (m) }
        }
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
