//! The devices as the office sees them: status, sync watermark, chain health, quarantine and
//! refused uploads per device, and per site the last day every active device has synced past.
//!
//! It owns no table: it reads the core `devices`, `records`, `chain_events`, `quarantine` and
//! `refused_uploads`. Revoking is the device API's [`Store::revoke_device`]; when a day becomes
//! final is the rulebook's [`hadir_rules::known_through`], and which devices hold days back is
//! its [`hadir_rules::silent`]. [`Store::release_device_days`] writes an administrator's
//! release of a silent device's days (`devices.released_until_ms`).

use super::portable::{Row, params};
use super::{Result, Store, ms_to_dt};
use hadir_rules::DeviceWatermark;
use std::collections::HashMap;
use time::{Date, Duration, OffsetDateTime};

/// A device as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    /// Id.
    pub id: String,
    /// Site.
    pub site_id: String,
    /// `office` or `field`.
    pub mode: String,
    /// Last contact.
    pub last_seen: Option<OffsetDateTime>,
    /// Sync watermark.
    pub synced_until: Option<OffsetDateTime>,
    /// An administrator released its days up to here (a silent device).
    pub released_until: Option<OffsetDateTime>,
    /// When revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Records stored from it.
    pub records: i64,
    /// Highest sequence number stored (the chain is whole when it equals `records`).
    pub max_seq: i64,
    /// Chain events (refused forks, gaps, broken links).
    pub chain_events: i64,
    /// The latest chain event's reason and time.
    pub last_chain_event: Option<(String, OffsetDateTime)>,
    /// Records kept in quarantine (implausible time; not attendance).
    pub quarantined: i64,
    /// Upload entries naming this device that were refused before reaching its chain.
    pub refused: i64,
    /// The latest refusal's reason and time.
    pub last_refused: Option<(String, OffsetDateTime)>,
    /// Its stored records the server doubted ([`crate::doubts`]).
    pub flagged: i64,
}

/// `"reason at_ms"` (as the query builds it) → (reason, time).
fn reason_at(v: Option<String>) -> Option<(String, OffsetDateTime)> {
    let s = v?;
    let (reason, ms) = s.rsplit_once(' ')?;
    Some((reason.to_owned(), ms_to_dt(ms.parse().ok()?)?))
}

fn device_status(r: &dyn Row) -> Result<DeviceStatus> {
    Ok(DeviceStatus {
        id: r.text(0)?,
        site_id: r.text(1)?,
        mode: r.text(2)?,
        last_seen: r.opt_i64(3)?.and_then(ms_to_dt),
        synced_until: r.opt_i64(4)?.and_then(ms_to_dt),
        revoked_at: r.opt_i64(5)?.and_then(ms_to_dt),
        records: r.i64(6)?,
        max_seq: r.i64(7)?,
        chain_events: r.i64(8)?,
        last_chain_event: reason_at(r.opt_text(9)?),
        quarantined: r.i64(10)?,
        refused: r.i64(11)?,
        last_refused: reason_at(r.opt_text(12)?),
        released_until: r.opt_i64(13)?.and_then(ms_to_dt),
        flagged: r.i64(14)?,
    })
}

impl Store {
    /// All devices with record counts, chain health, quarantine and refused uploads, by site
    /// and id.
    pub async fn device_statuses(&self) -> Result<Vec<DeviceStatus>> {
        self.query_rows(
            "read device statuses",
            "SELECT d.device_id, d.site_id, d.mode, d.last_seen_ms, d.synced_until_ms, d.revoked_at_ms,
                    (SELECT count(*) FROM records r WHERE r.device_id = d.device_id),
                    (SELECT coalesce(max(seq), 0) FROM records r WHERE r.device_id = d.device_id),
                    (SELECT count(*) FROM chain_events e WHERE e.device_id = d.device_id),
                    (SELECT reason || ' ' || at_ms FROM chain_events e WHERE e.device_id = d.device_id
                     ORDER BY at_ms DESC, id DESC LIMIT 1),
                    (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id),
                    (SELECT count(*) FROM refused_uploads u WHERE u.device_id = d.device_id),
                    (SELECT reason || ' ' || at_ms FROM refused_uploads u WHERE u.device_id = d.device_id
                     ORDER BY at_ms DESC, id DESC LIMIT 1),
                    d.released_until_ms,
                    (SELECT count(*) FROM record_flags f JOIN records r ON r.id = f.record_id WHERE r.device_id = d.device_id)
             FROM devices d ORDER BY d.site_id, d.device_id",
            params![],
            device_status,
        )
        .await
    }

    /// The active devices' watermarks, by site.
    async fn watermarks_by_site(&self) -> Result<HashMap<String, Vec<DeviceWatermark>>> {
        let rows = self
            .query_rows(
                "read sync watermarks",
                "SELECT device_id, site_id, synced_until_ms, released_until_ms, enrolled_at_ms
                 FROM devices WHERE revoked_at_ms IS NULL",
                params![],
                |r| {
                    let w = DeviceWatermark {
                        device_id: r.text(0)?,
                        synced_until: r.opt_i64(2)?.and_then(ms_to_dt),
                        released_until: r.opt_i64(3)?.and_then(ms_to_dt),
                        enrolled_at: ms_to_dt(r.i64(4)?).unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    };
                    Ok((r.text(1)?, w))
                },
            )
            .await?;
        let mut by_site: HashMap<String, Vec<DeviceWatermark>> = HashMap::new();
        for (site, w) in rows {
            by_site.entry(site).or_default().push(w);
        }
        Ok(by_site)
    }

    /// The last known date per site in its zone (every active device synced past it, or
    /// released by an administrator).
    pub async fn known_through_by_site(&self, zones: &hadir_rules::SiteZones) -> Result<HashMap<String, Option<Date>>> {
        let by_site = self.watermarks_by_site().await?;
        Ok(by_site
            .into_iter()
            .map(|(s, w)| {
                let known = hadir_rules::known_through(&w, zones.of(&s).offset());
                (s, known)
            })
            .collect())
    }

    /// Per site, the active devices silent for longer than `silence` at `now`, oldest first
    /// (sites with none are left out): the devices holding the site's days back.
    pub async fn silent_devices_by_site(&self, now: OffsetDateTime, silence: Duration) -> Result<HashMap<String, Vec<DeviceWatermark>>> {
        let by_site = self.watermarks_by_site().await?;
        Ok(by_site
            .into_iter()
            .filter_map(|(site, w)| {
                let silent: Vec<DeviceWatermark> = hadir_rules::silent(&w, now, silence).into_iter().cloned().collect();
                (!silent.is_empty()).then_some((site, silent))
            })
            .collect())
    }

    /// Releases an active device's days up to `until_ms`: the device counts as synced up to
    /// there (never moved backwards). `false` when there is no such active device.
    pub async fn release_device_days(&self, device_id: &str, until_ms: i64) -> Result<bool> {
        let n = self
            .write(
                "release a silent device's days",
                "UPDATE devices SET released_until_ms = CASE
                     WHEN released_until_ms IS NULL OR released_until_ms < $1 THEN $1 ELSE released_until_ms END
                 WHERE device_id = $2 AND revoked_at_ms IS NULL",
                params![until_ms, device_id],
            )
            .await?;
        Ok(n == 1)
    }
}
