//! The devices as the office sees them: status, sync watermark, chain health, quarantine and
//! refused uploads per device, and per site the last day every active device has synced past.
//!
//! It owns no table: it reads the core `devices`, `records`, `chain_events`, `quarantine` and
//! `refused_uploads`. Revoking is the device API's [`Store::revoke_device`]; when a day becomes
//! final is the rulebook's [`hadir_rules::known_through`].

use super::portable::{Row, params};
use super::{Result, Store, ms_to_dt};
use hadir_rules::DeviceWatermark;
use std::collections::HashMap;
use time::{Date, OffsetDateTime, UtcOffset};

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
                     ORDER BY at_ms DESC, id DESC LIMIT 1)
             FROM devices d ORDER BY d.site_id, d.device_id",
            params![],
            device_status,
        )
        .await
    }

    /// The last known date per site at `offset` (every active device synced past it).
    pub async fn known_through_by_site(&self, offset: UtcOffset) -> Result<HashMap<String, Option<Date>>> {
        let rows = self
            .query_rows(
                "read sync watermarks",
                "SELECT device_id, site_id, synced_until_ms FROM devices WHERE revoked_at_ms IS NULL",
                params![],
                |r| Ok((r.text(0)?, r.text(1)?, r.opt_i64(2)?)),
            )
            .await?;
        let mut by_site: HashMap<String, Vec<DeviceWatermark>> = HashMap::new();
        for (device_id, site, until) in rows {
            by_site.entry(site).or_default().push(DeviceWatermark { device_id, synced_until: until.and_then(ms_to_dt) });
        }
        Ok(by_site.into_iter().map(|(s, w)| (s, hadir_rules::known_through(&w, offset))).collect())
    }
}
