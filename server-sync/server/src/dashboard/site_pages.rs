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
    let server_zone = st.config.zone.name();
    let zone_options = |current: Option<&str>| -> String {
        let server = format!(r#"<option value="">{server_zone} ({})</option>"#, lang.tr("server's zone"));
        // A zone stored by its other name (WITA, Asia/Ujung_Pandang) stays offered as it is.
        let other = current.filter(|c| !hadir_rules::zone::CHOICES.contains(c));
        let own = hadir_rules::zone::CHOICES.iter().copied().chain(other).map(|z| {
            let selected = if Some(z) == current { " selected" } else { "" };
            format!(r#"<option value="{z}"{selected}>{z} ({})</option>"#, zone_label(z))
        });
        std::iter::once(server).chain(own).collect()
    };
    // Each row is its own form (the inputs name it with `form=`): a site's name and zone are
    // changed where they are read, and a rename never resets the zone.
    let mut rows = String::new();
    for site in st.store.site_rows().await? {
        let _ = write!(
            rows,
            r#"<tr data-site="{id}"><td>{id}</td><td><input form="site-{id}" name="name" value="{name}" required maxlength="{max_name}" aria-label="{nl}"></td><td data-zone="{zone_value}"><select form="site-{id}" name="time_zone" aria-label="{zl}">{zones}</select></td><td>{n}</td><td><form id="site-{id}" method="post" action="/settings/site" class="inline">{csrf}<input type="hidden" name="id" value="{id}"><button>{save}</button></form></td></tr>"#,
            id = esc(&site.id),
            name = esc(&site.name),
            zone_value = esc(site.time_zone.as_deref().unwrap_or("")),
            zones = zone_options(site.time_zone.as_deref()),
            n = site.employees,
            nl = lang.tr("Name"),
            zl = lang.tr("Time zone"),
            max_name = sites::MAX_NAME_CHARS,
            save = lang.tr("Save"),
        );
    }
    let zones = zone_options(None);
    Ok(format!(
        r#"<section class="card" id="sites"><h2>{t}</h2><p class="muted">{help}</p><div class="scroll"><table><thead><tr><th>ID</th><th>{n}</th><th>{zl}</th><th>{e}</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>
<form method="post" action="/settings/site" class="inline">{csrf}<label>ID<input name="id" required maxlength="{max_id}" pattern="[A-Za-z0-9_\-]+" placeholder="KANTOR"></label><label>{n}<input name="name" required maxlength="{max_name}"></label><label>{zl}<select name="time_zone">{zones}</select></label><button>{save}</button></form></section>"#,
        t = lang.tr("Sites"),
        help = lang.tr("Every office or field location with devices. The id is used when provisioning a device and in the Lokasi column of an employee file; an existing site's name and zone are changed on its row. The time zone decides the day and time of every record of the site: on the kiosk's screen, in the recaps and on the board."),
        n = lang.tr("Name"),
        zl = lang.tr("Time zone"),
        e = lang.tr("Employees"),
        max_id = sites::MAX_ID_CHARS,
        max_name = sites::MAX_NAME_CHARS,
        save = lang.tr("Add"),
    ))
}

/// The everyday name of a zone people know it by.
fn zone_label(iana: &str) -> &'static str {
    match hadir_rules::SiteZone::parse(iana).map(|z| z.offset().whole_hours()) {
        Ok(7) => "WIB",
        Ok(8) => "WITA",
        Ok(9) => "WIT",
        _ => "UTC",
    }
}

/// `POST /settings/site`: adds a site or changes its name and zone (audited).
pub async fn put_site(State(st): State<AppState>, s: Session, Form(f): Form<Fields>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(f.get("csrf"))?;
    let (id, name) = (field(&f, "id"), field(&f, "name"));
    let checked = sites::check(id, name).and_then(|()| sites::check_zone(field(&f, "time_zone")));
    let zone = match checked {
        Ok(zone) => zone,
        Err(e) => {
            let text = match e {
                sites::SiteError::BadId(_) => s.lang.tr("Site id: 1 to 32 letters, digits, '-' or '_'."),
                sites::SiteError::BadName => s.lang.tr("Site name: 1 to 100 characters."),
                sites::SiteError::BadZone(_) => {
                    s.lang.tr("Site time zone: pick Asia/Jakarta (WIB), Asia/Pontianak (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT) or UTC.")
                }
            };
            return Ok(redirect_err("/settings", text));
        }
    };
    st.store.put_site(id, name, zone.as_deref(), &s.user.username, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Site saved")))
}
