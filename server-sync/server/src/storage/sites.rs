//! The office's sites (`sites`): where kiosks stand and employees work, each with an id (the
//! one kiosks are provisioned for and files name in their "Lokasi" column) and a name people
//! read. A new office makes its sites before it imports its employees: an import only accepts
//! sites it knows.
//!
//! Each site has a time zone: its own (an office with sites in WIB, WITA and WIT) or the
//! server's `[site] time_zone`; [`Store::site_zones`] gives every reader the same answer.
//!
//! It owns the `sites` rows; a site's area is [`super::areas`], its employees the roster's.
//! A site is never deleted: records and devices keep pointing at it.

use super::portable::{Stmt, params};
use super::{Result, Store};

/// Longest site id (it travels in every roster request and record).
pub const MAX_ID_CHARS: usize = 32;
/// Longest site name.
pub const MAX_NAME_CHARS: usize = 100;

/// A site as the settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Present employees at the site.
    pub employees: i64,
    /// The site's own zone (IANA name); `None`: the server's.
    pub time_zone: Option<String>,
}

/// Why a site was not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// The id is empty, too long, or has other characters than letters, digits, `-` and `_`.
    #[error("site id {0:?}: 1 to 32 letters, digits, '-' or '_'")]
    BadId(String),
    /// The name is empty or too long.
    #[error("site name: 1 to 100 characters")]
    BadName,
    /// A zone the rules do not know.
    #[error("site time zone: {0}")]
    BadZone(#[from] hadir_rules::ZoneError),
}

/// A site's zone as a person typed or picked it: empty is the server's, anything else must be
/// a zone the rules know (returned as IANA writes it).
pub fn check_zone(text: &str) -> std::result::Result<Option<String>, SiteError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(hadir_rules::SiteZone::parse(text)?.name().to_owned()))
}

/// Checks a site id and name.
pub fn check(id: &str, name: &str) -> std::result::Result<(), SiteError> {
    let id_ok = !id.is_empty() && id.chars().count() <= MAX_ID_CHARS && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !id_ok {
        return Err(SiteError::BadId(id.to_owned()));
    }
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(SiteError::BadName);
    }
    Ok(())
}

impl Store {
    /// Every site, by id, with its present employees (sites employees name that have no row
    /// of their own are listed under their id).
    pub async fn site_rows(&self) -> Result<Vec<SiteRow>> {
        self.query_rows(
            "read sites",
            "SELECT s.site_id, max(s.name), count(e.employee_id), max(s.time_zone) FROM
                 (SELECT site_id, name, time_zone FROM sites UNION SELECT DISTINCT site_id, site_id, NULL FROM employees
                  WHERE site_id NOT IN (SELECT site_id FROM sites)) s
             LEFT JOIN employees e ON e.site_id = s.site_id AND e.removed_at_ms IS NULL
             GROUP BY s.site_id ORDER BY s.site_id",
            params![],
            |r| Ok(SiteRow { id: r.text(0)?, name: r.text(1)?, employees: r.i64(2)?, time_zone: r.opt_text(3)? }),
        )
        .await
    }

    /// Every site's zone: its own, or `default` (the server's `[site] time_zone`). A stored
    /// name the rules no longer know reads as the default, logged: writes are checked, so only
    /// a hand-edited database has one.
    pub async fn site_zones(&self, default: &hadir_rules::SiteZone) -> Result<hadir_rules::SiteZones> {
        let rows = self
            .query_rows("read sites' zones", "SELECT site_id, time_zone FROM sites WHERE time_zone IS NOT NULL", params![], |r| {
                Ok((r.text(0)?, r.text(1)?))
            })
            .await?;
        let mut by_site = std::collections::BTreeMap::new();
        for (site, name) in rows {
            match hadir_rules::SiteZone::parse(&name) {
                Ok(zone) => {
                    by_site.insert(site, zone);
                }
                Err(e) => tracing::error!(site, error = %e, "a site's stored zone is unknown; using the server's"),
            }
        }
        Ok(hadir_rules::SiteZones::new(default.clone(), by_site))
    }

    /// Adds a site or changes its name and zone (checked with [`check`] and [`check_zone`] by
    /// the caller; `None`: the server's zone); audited.
    pub async fn put_site(&self, id: &str, name: &str, time_zone: Option<&str>, by: &str, now: time::OffsetDateTime) -> Result<()> {
        let detail = format!("{id}: {} ({})", name.trim(), time_zone.unwrap_or("zona server"));
        self.write_all(
            "save site",
            vec![
                Stmt::new(
                    "INSERT INTO sites (site_id, name, time_zone) VALUES ($1, $2, $3)
                     ON CONFLICT (site_id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
                    params![id, name.trim(), time_zone],
                ),
                Stmt::new(
                    "INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES ($1, $2, 'site', $3)",
                    params![super::dt_to_ms(now), by, detail],
                ),
            ],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_and_names() {
        let cases = [
            ("KANTOR", "Kantor Dinas PUPR", true),
            ("lap-01_b", "Lapangan", true),
            ("", "Kantor", false),
            ("KANTOR UTAMA", "Kantor", false),
            ("KÄNTOR", "Kantor", false),
            (&"X".repeat(33), "Kantor", false),
            ("KANTOR", " ", false),
            ("KANTOR", "Kantor\nlain", false),
            ("KANTOR", &"n".repeat(101), false),
        ];
        for (id, name, ok) in cases {
            assert_eq!(check(id, name).is_ok(), ok, "{id:?} {name:?}");
        }
    }

    #[test]
    fn site_zones_as_typed() {
        let cases = [
            ("", Ok(None)),
            ("  ", Ok(None)),
            ("Asia/Jakarta", Ok(Some("Asia/Jakarta"))),
            (" asia/jayapura ", Ok(Some("Asia/Jayapura"))),
            ("WITA", Ok(Some("WITA"))),
            ("Europe/Berlin", Err(())),
            ("+08:00", Err(())),
        ];
        for (text, want) in cases {
            let got = check_zone(text).map_err(|_| ());
            assert_eq!(got, want.map(|z| z.map(str::to_owned)), "{text:?}");
        }
    }
}
