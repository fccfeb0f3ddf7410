//! Where each site's records are expected: a circle around the office (or the field base), set
//! by an administrator. The ingest compares a record's GPS fix with it
//! ([`crate::doubts`]); a site without an area is not judged by place.
//!
//! It owns `site_areas` (migration `core/5`), and reads the records' GPS fixes for the
//! plausibility checks ([`Store::fix_history`]).

use super::portable::params;
use super::{Result, Store};
use hadir_rules::plausibility::FixPoint;
use std::collections::HashMap;

pub use hadir_rules::place::SiteArea;

/// Whose earlier fixes [`Store::fix_history`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixesOf {
    /// By employee id: one person's path across devices.
    Employees,
    /// By device id: one receiver's path across the people who used it.
    Devices,
}

impl Store {
    /// Every site's area.
    pub async fn site_areas(&self) -> Result<HashMap<String, SiteArea>> {
        let rows = self
            .query_rows("read site areas", "SELECT site_id, lat_e7, lon_e7, radius_m FROM site_areas", params![], |r| {
                Ok((r.text(0)?, SiteArea { lat_e7: r.i64(1)?, lon_e7: r.i64(2)?, radius_m: r.i64(3)? }))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The GPS fixes of the records made in `[from_ms, to_ms)` by these employees (or on
    /// these devices, `by`), oldest first, for the plausibility checks (each day at the clock
    /// of its device's site, in `zones`).
    pub async fn fix_history(
        &self,
        by: FixesOf,
        keys: &[&str],
        from_ms: i64,
        to_ms: i64,
        zones: &hadir_rules::SiteZones,
    ) -> Result<HashMap<String, Vec<FixPoint>>> {
        // The rows are read on the store's own thread: the zones go with them.
        let zones = zones.clone();
        let column = match by {
            FixesOf::Employees => "employee_id",
            FixesOf::Devices => "device_id",
        };
        let rows = self
            .query_rows_in(
                "read earlier GPS fixes",
                &format!(
                    "SELECT {column}, recorded_at_ms, gps_lat_e7, gps_lon_e7, gps_hdop_centi,
                            (SELECT d.site_id FROM devices d WHERE d.device_id = records.device_id) FROM records
                     WHERE recorded_at_ms >= $1 AND recorded_at_ms < $2 AND gps_lat_e7 IS NOT NULL AND {column} IN ({{keys}})
                     ORDER BY recorded_at_ms, id"
                ),
                params![from_ms, to_ms],
                keys,
                move |r| {
                    let at_ms = r.i64(1)?;
                    let site = r.opt_text(5)?.unwrap_or_default();
                    let offset_ms = i64::from(zones.of(&site).offset().whole_seconds()) * 1000;
                    let narrow = |i: usize| -> Result<i32> {
                        let v = r.i64(i)?;
                        i32::try_from(v).map_err(|_| super::StorageError::Corrupt(format!("records GPS column {i}: {v}")))
                    };
                    Ok((
                        r.text(0)?,
                        FixPoint {
                            at_ms,
                            lat_e7: narrow(2)?,
                            lon_e7: narrow(3)?,
                            hdop_centi: r.opt_i64(4)?.map(|h| u16::try_from(h).unwrap_or(u16::MAX)),
                            day: (at_ms + offset_ms).div_euclid(86_400_000),
                        },
                    ))
                },
            )
            .await?;
        let mut out: HashMap<String, Vec<FixPoint>> = HashMap::new();
        for (key, p) in rows {
            out.entry(key).or_default().push(p);
        }
        Ok(out)
    }

    /// Sets (or replaces) a site's area.
    pub async fn put_site_area(&self, site_id: &str, a: SiteArea, by: &str, now_ms: i64) -> Result<()> {
        self.write(
            "set site area",
            "INSERT INTO site_areas (site_id, lat_e7, lon_e7, radius_m, updated_at_ms, by_user) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (site_id) DO UPDATE SET lat_e7 = excluded.lat_e7, lon_e7 = excluded.lon_e7,
                 radius_m = excluded.radius_m, updated_at_ms = excluded.updated_at_ms, by_user = excluded.by_user",
            params![site_id, a.lat_e7, a.lon_e7, a.radius_m, now_ms, by],
        )
        .await?;
        Ok(())
    }
}
