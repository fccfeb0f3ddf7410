//! The sites card of the settings page (administrators): every site with its employees, and
//! the form that adds one or renames one. The rules of an id and a name are
//! [`crate::storage::sites`]'s.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::Page;
use super::forms::trimmed;
use super::html::csrf_input;
use super::i18n::Lang;
use super::pages::{redirect_err, redirect_ok};
use super::{AppError, AppState, Session};
use crate::storage::sites;

/// The card; `csrf` is the session's token for the forms.
pub async fn card(st: &AppState, lang: Lang, csrf: &str) -> Result<Markup, AppError> {
    let server_zone = st.config.zone.name();
    // A zone stored by its other name (WITA, Asia/Ujung_Pandang) stays offered as it is.
    let zone_options = |current: Option<&str>| -> Markup {
        let other = current.filter(|c| !hadir_rules::zone::CHOICES.contains(c));
        html! {
            option value="" { (server_zone) " (" (lang.tr("server's zone")) ")" }
            @for z in hadir_rules::zone::CHOICES.iter().copied().chain(other) {
                option value=(z) selected[Some(z) == current] { (z) " (" (zone_label(z)) ")" }
            }
        }
    };
    let rows = st.store.site_rows().await?;
    let card = html! {
        section.card id="sites" {
            h2 { (lang.tr("Sites")) }
            p.muted { (lang.tr("Every office or field location with devices. The id is used when provisioning a device and in the Lokasi column of an employee file; an existing site's name and zone are changed on its row. The time zone decides the day and time of every record of the site: on the kiosk's screen, in the recaps and on the board.")) }
            div.scroll { table {
                thead { tr { th { "ID" } th { (lang.tr("Name")) } th { (lang.tr("Time zone")) } th { (lang.tr("Employees")) } th {} } }
                tbody {
                    // Each row is its own form (the inputs name it with `form=`): a site's name
                    // and zone are changed where they are read, and a rename never resets the zone.
                    @for site in &rows {
                        @let form = format!("site-{}", site.id);
                        tr data-site=(site.id) {
                            td { (site.id) }
                            td { input form=(form) name="name" value=(site.name) required maxlength=(sites::MAX_NAME_CHARS) aria-label=(lang.tr("Name")); }
                            td data-zone=(site.time_zone.as_deref().unwrap_or("")) {
                                select form=(form) name="time_zone" aria-label=(lang.tr("Time zone")) { (zone_options(site.time_zone.as_deref())) }
                            }
                            td { (site.employees) }
                            td { form id=(form) method="post" action="/settings/site" class="inline" {
                                (csrf_input(csrf))
                                input type="hidden" name="id" value=(site.id);
                                button { (lang.tr("Save")) }
                            } }
                        }
                    }
                }
            } }
            form method="post" action="/settings/site" class="inline" {
                (csrf_input(csrf))
                label { "ID" input name="id" required maxlength=(sites::MAX_ID_CHARS) pattern="[A-Za-z0-9_\\-]+" placeholder="KANTOR"; }
                label { (lang.tr("Name")) input name="name" required maxlength=(sites::MAX_NAME_CHARS); }
                label { (lang.tr("Time zone")) select name="time_zone" { (zone_options(None)) } }
                button { (lang.tr("Add")) }
            }
        }
    };
    Ok(card)
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

/// The form of `POST /settings/site`: a site's id, name and zone (empty: the server's).
#[derive(Debug, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    id: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    time_zone: String,
}

/// `POST /settings/site`: adds a site or changes its name and zone (audited).
pub async fn put_site(State(st): State<AppState>, s: Session, Form(f): Form<SiteForm>) -> Result<Response, AppError> {
    s.require(Page::Settings)?;
    s.check_csrf(Some(&f.csrf))?;
    let checked = sites::check(&f.id, &f.name).and_then(|()| sites::check_zone(&f.time_zone));
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
    st.store.put_site(&f.id, &f.name, zone.as_deref(), &s.user.username, (st.clock)()).await?;
    Ok(redirect_ok("/settings", s.lang.tr("Site saved")))
}
