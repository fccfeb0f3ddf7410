//! The sites card of the settings page (administrators): every site with its employees, and
//! the form that adds one or renames one. The rules of an id and a name are
//! [`crate::storage::sites`]'s.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::auth::Page;
use super::html::esc;
use super::i18n::Lang;
use super::pages::{Fields, field, redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::sites;

/// The card; `csrf` is the form's hidden field.
pub async fn card(st: &AppState, lang: Lang, csrf: &str) -> Result<String, AppError> {
    let mut rows = String::new();
    for site in st.store.site_rows().await? {
        let _ = write!(
            rows,
            r#"<tr data-site="{id}"><td>{id}</td><td>{name}</td><td>{n}</td></tr>"#,
            id = esc(&site.id),
            name = esc(&site.name),
            n = site.employees
        );
    }
    Ok(format!(
        r#"<section class="card" id="sites"><h2>{t}</h2><p class="muted">{help}</p><div class="scroll"><table><thead><tr><th>ID</th><th>{n}</th><th>{e}</th></tr></thead><tbody>{rows}</tbody></table></div>
<form method="post" action="/settings/site" class="inline">{csrf}<label>ID<input name="id" required maxlength="{max_id}" pattern="[A-Za-z0-9_\-]+" placeholder="KANTOR"></label><label>{n}<input name="name" required maxlength="{max_name}"></label><button>{save}</button></form></section>"#,
        t = lang.pick("Lokasi", "Sites"),
        help = lang.pick(
            "Setiap kantor atau lokasi lapangan yang punya perangkat. ID dipakai saat menyiapkan perangkat dan di kolom Lokasi berkas impor pegawai; ID yang sudah ada diganti namanya.",
            "Every office or field location with devices. The id is used when provisioning a device and in the Lokasi column of an employee file; an existing id is renamed.",
        ),
        n = lang.pick("Nama", "Name"),
        e = lang.pick("Pegawai", "Employees"),
        max_id = sites::MAX_ID_CHARS,
        max_name = sites::MAX_NAME_CHARS,
        save = lang.pick("Tambahkan / ganti", "Add / rename"),
    ))
}

/// `POST /settings/site`: adds or renames a site (audited).
pub async fn put_site(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let (id, name) = (field(&f, "id"), field(&f, "name"));
    if let Err(e) = sites::check(id, name) {
        let text = match (s.lang, e) {
            (Lang::Id, sites::SiteError::BadId(_)) => "ID lokasi: 1 sampai 32 huruf, angka, '-' atau '_'.",
            (Lang::Id, sites::SiteError::BadName) => "Nama lokasi: 1 sampai 100 karakter.",
            (Lang::En, sites::SiteError::BadId(_)) => "Site id: 1 to 32 letters, digits, '-' or '_'.",
            (Lang::En, sites::SiteError::BadName) => "Site name: 1 to 100 characters.",
        };
        return Ok(redirect_err("/settings", text));
    }
    st.store.put_site(id, name, &s.user.username, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.pick("Lokasi disimpan", "Site saved")))
}
