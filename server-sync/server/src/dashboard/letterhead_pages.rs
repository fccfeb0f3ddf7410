//! The settings card for the recap's letterhead (kop surat) and signatories, and its form.
//!
//! Administrators only (the settings page's role). Owns the form's field names; the limits are
//! [`crate::reports::signoff::Letterhead::check`]'s, so a form with one bad field saves nothing
//! and names that field.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

use super::auth::Page;
use super::html::csrf_input;
use super::i18n::{Lang, tr};
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::reports::signoff::{Letterhead, MAX_FIELD_CHARS, MAX_LINE_CHARS, MAX_LINES, MAX_NIP_CHARS, Signatory};

type Fields = HashMap<String, String>;

/// Inputs for one signatory, named `{prefix}_title`, `{prefix}_name`, `{prefix}_nip`.
fn person_inputs(lang: Lang, prefix: &str, p: &Signatory) -> Markup {
    html! {
        label { (lang.tr("Title")) input name=(format!("{prefix}_title")) value=(p.title) maxlength=(MAX_FIELD_CHARS); }
        label { (lang.tr("Name")) input name=(format!("{prefix}_name")) value=(p.name) maxlength=(MAX_FIELD_CHARS); }
        label { "NIP" input name=(format!("{prefix}_nip")) value=(p.nip) maxlength=(MAX_NIP_CHARS) inputmode="numeric"; }
    }
}

/// The card on the settings page; `csrf` is the session's token for the form.
pub async fn card(st: &AppState, lang: Lang, csrf: &str) -> Result<Markup, AppError> {
    let l = st.store.letterhead().await?;
    let sections = st.store.sections().await?;
    let card = html! {
        section.card id="letterhead" {
            h2 { (lang.tr("Report letterhead and signatures")) }
            p.muted { (lang.tr("Printed on the XLSX and PDF recaps: the letterhead on top, the signatures below. Leave a name empty to print no signature for it.")) }
            form method="post" action="/settings/letterhead" {
                (csrf_input(csrf))
                label {
                    (tr!(lang, "Letterhead (at most {max_lines} lines)", max_lines = MAX_LINES))
                    textarea name="lines" rows=(MAX_LINES) maxlength=(MAX_LINES * (MAX_LINE_CHARS + 1)) { (l.lines.join("\n")) }
                }
                label { (lang.tr("Place of signing")) input name="place" value=(l.place) maxlength=(MAX_FIELD_CHARS); }
                fieldset { legend { (lang.tr("Acknowledged by (head of office)")) } (person_inputs(lang, "approver", &l.approver)) }
                fieldset { legend { (lang.tr("Prepared by (whole office)")) } (person_inputs(lang, "preparer", &l.preparer)) }
                p.muted { (lang.tr("A recap of one section is signed by its head when given.")) }
                @for sec in &sections {
                    fieldset data-section-head=(sec.id) {
                        legend { (sec.name) }
                        (person_inputs(lang, &format!("head.{}", sec.id), &l.section_heads.get(&sec.id).cloned().unwrap_or_default()))
                    }
                }
                button { (lang.tr("Save")) }
            }
        }
    };
    Ok(card)
}

/// Saves the letterhead and signatories (administrators; audited). The form stays a map: a
/// field per section head, named by the section's id.
pub async fn put_letterhead(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let person = |prefix: &str| Signatory { title: get(&format!("{prefix}_title")), name: get(&format!("{prefix}_name")), nip: get(&format!("{prefix}_nip")) };
    let mut section_heads = std::collections::BTreeMap::new();
    for sec in st.store.sections().await? {
        let p = person(&format!("head.{}", sec.id));
        if p != Signatory::default() {
            section_heads.insert(sec.id, p);
        }
    }
    let letterhead = Letterhead {
        lines: get("lines").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        place: get("place"),
        approver: person("approver"),
        preparer: person("preparer"),
        section_heads,
    };
    if let Err(problem) = letterhead.check() {
        return Ok(redirect_err("/settings", &problem.message(s.lang)));
    }
    st.store.set_letterhead(&letterhead).await?;
    let detail = format!(
        "{} letterhead lines; approver {:?}, preparer {:?}, {} section heads",
        letterhead.lines.len(),
        letterhead.approver.name,
        letterhead.preparer.name,
        letterhead.section_heads.len()
    );
    st.store.audit(&s.user.username, "letterhead", &detail, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Letterhead saved")))
}
