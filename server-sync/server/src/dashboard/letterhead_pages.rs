//! The settings card for the recap's letterhead (kop surat) and signatories, and its form.
//!
//! Administrators only (the settings page's role). Owns the form's field names; the limits are
//! [`crate::reports::signoff::Letterhead::check`]'s, so a form with one bad field saves nothing
//! and names that field.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::auth::Page;
use super::html::esc;
use super::i18n::{Lang, tr};
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::reports::signoff::{Letterhead, MAX_FIELD_CHARS, MAX_LINE_CHARS, MAX_LINES, MAX_NIP_CHARS, Signatory};

type Fields = HashMap<String, String>;

/// Inputs for one signatory, named `{prefix}_title`, `{prefix}_name`, `{prefix}_nip`.
fn person_inputs(lang: Lang, prefix: &str, p: &Signatory) -> String {
    format!(
        r#"<label>{tl}<input name="{prefix}_title" value="{t}" maxlength="{MAX_FIELD_CHARS}"></label><label>{nl}<input name="{prefix}_name" value="{n}" maxlength="{MAX_FIELD_CHARS}"></label><label>NIP<input name="{prefix}_nip" value="{nip}" maxlength="{MAX_NIP_CHARS}" inputmode="numeric"></label>"#,
        prefix = esc(prefix),
        tl = lang.tr("Title"),
        t = esc(&p.title),
        nl = lang.tr("Name"),
        n = esc(&p.name),
        nip = esc(&p.nip),
    )
}

/// The card on the settings page.
pub async fn card(st: &AppState, lang: Lang, csrf_field: &str) -> Result<String, AppError> {
    let l = st.store.letterhead().await?;
    let mut heads = String::new();
    for sec in st.store.sections().await? {
        let p = l.section_heads.get(&sec.id).cloned().unwrap_or_default();
        let _ = write!(heads, r#"<fieldset data-section-head="{id}"><legend>{name}</legend>{inputs}</fieldset>"#, id = esc(&sec.id), name = esc(&sec.name), inputs = person_inputs(lang, &format!("head.{}", sec.id), &p));
    }
    Ok(format!(
        r#"<section class="card" id="letterhead"><h2>{t}</h2><p class="muted">{p}</p>
<form method="post" action="/settings/letterhead">{csrf_field}
<label>{lines_l}<textarea name="lines" rows="{MAX_LINES}" maxlength="{max_text}">{lines}</textarea></label>
<label>{place_l}<input name="place" value="{place}" maxlength="{MAX_FIELD_CHARS}"></label>
<fieldset><legend>{approver_l}</legend>{approver}</fieldset>
<fieldset><legend>{preparer_l}</legend>{preparer}</fieldset>
<p class="muted">{heads_help}</p>{heads}
<button>{save}</button></form></section>"#,
        t = lang.tr("Report letterhead and signatures"),
        p = lang.tr("Printed on the XLSX and PDF recaps: the letterhead on top, the signatures below. Leave a name empty to print no signature for it."),
        lines_l = tr!(lang, "Letterhead (at most {max_lines} lines)", max_lines = MAX_LINES),
        max_text = MAX_LINES * (MAX_LINE_CHARS + 1),
        lines = esc(&l.lines.join("\n")),
        place_l = lang.tr("Place of signing"),
        place = esc(&l.place),
        approver_l = lang.tr("Acknowledged by (head of office)"),
        approver = person_inputs(lang, "approver", &l.approver),
        preparer_l = lang.tr("Prepared by (whole office)"),
        preparer = person_inputs(lang, "preparer", &l.preparer),
        heads_help = lang.tr("A recap of one section is signed by its head when given."),
        save = lang.tr("Save"),
    ))
}

/// Saves the letterhead and signatories (administrators; audited).
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
