//! Devices' health reports and their signed event chains (the enclosure's tamper switch).
//!
//! It owns `device_health` (each device's last report) and `device_events` (every event a
//! device signed, in its chain order). Which events of a report extend the chain is the
//! protocol's pure [`hadir_protocol::health::accept_events`]; this module only reads the chain's
//! head and writes a report and its accepted events in one transaction. When a device is in
//! trouble is [`trouble`], one function for the devices page and its tests.

use super::portable::{Stmt, params};
use super::{Result, StorageError, Store, ms_to_dt};
use hadir_protocol::chain::ChainHead;
use hadir_protocol::health::{DeviceEvent, EventKind, HealthReport, ServerLink};
use hadir_protocol::Digest;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A device's last health report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHealth {
    /// When the report arrived.
    pub reported_at: OffsetDateTime,
    /// Firmware version.
    pub firmware: String,
    /// Seconds since boot.
    pub uptime_s: i64,
    /// Free bytes on the data partition.
    pub data_free_bytes: Option<i64>,
    /// Records in the outbox.
    pub outbox_len: i64,
    /// Age of the oldest unsent record, seconds.
    pub oldest_unsent_s: Option<i64>,
    /// Camera frames per second, hundredths.
    pub camera_fps_centi: Option<i64>,
    /// CPU temperature, milli-degrees Celsius.
    pub cpu_temp_milli_c: Option<i64>,
    /// Tamper switch open (None: no switch).
    pub tamper_open: Option<bool>,
    /// How the device trusts the server (None: not reported).
    pub server_link: Option<ServerLink>,
}

/// A stored device event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The device.
    pub device_id: String,
    /// Its number in the device's event chain.
    pub seq: i64,
    /// What happened.
    pub kind: EventKind,
    /// When, by the device's clock.
    pub at: OffsetDateTime,
}

/// What is wrong with a device, worst first, as the devices page marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The enclosure is open.
    TamperOpen,
    /// The device talks to the server over plain HTTP (`insecure_lan`): anyone on its
    /// network can read its records and answer in the server's place.
    InsecureLan,
    /// The camera gives no frames.
    CameraDead,
    /// Less than [`Limits::min_free_bytes`] left on the data partition.
    DiskNearlyFull,
    /// A record has waited longer than [`Limits::max_unsent_s`] in the outbox.
    QueueGrowing,
    /// No report for longer than [`Limits::offline_after_s`].
    Offline,
}

/// Where the devices page draws its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A device silent for longer is offline, seconds.
    pub offline_after_s: i64,
    /// An outbox whose oldest record waits longer is growing, seconds.
    pub max_unsent_s: i64,
    /// Less free space than this is nearly full, bytes.
    pub min_free_bytes: i64,
}

impl Default for Limits {
    fn default() -> Self {
        // A kiosk reports at every heartbeat (a minute); three missed ones is offline. A record
        // that waits an hour means the upload is failing. 200 MB is about two weeks of photos.
        Limits { offline_after_s: 15 * 60, max_unsent_s: 60 * 60, min_free_bytes: 200 << 20 }
    }
}

/// The troubles of a device with this last report at `now`, worst first.
pub fn trouble(h: &DeviceHealth, now: OffsetDateTime, limits: Limits) -> Vec<Trouble> {
    let mut out = Vec::new();
    if h.tamper_open == Some(true) {
        out.push(Trouble::TamperOpen);
    }
    if h.server_link == Some(ServerLink::InsecureLan) {
        out.push(Trouble::InsecureLan);
    }
    if h.camera_fps_centi == Some(0) {
        out.push(Trouble::CameraDead);
    }
    if h.data_free_bytes.is_some_and(|b| b < limits.min_free_bytes) {
        out.push(Trouble::DiskNearlyFull);
    }
    if h.oldest_unsent_s.is_some_and(|s| s > limits.max_unsent_s) {
        out.push(Trouble::QueueGrowing);
    }
    if (now - h.reported_at).whole_seconds() > limits.offline_after_s {
        out.push(Trouble::Offline);
    }
    out
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// The end of a device's event chain ([`ChainHead::GENESIS`] before its first event).
    pub async fn event_head(&self, device_id: &str) -> Result<ChainHead> {
        let head = self
            .query_opt(
                "read event chain head",
                "SELECT seq, hash FROM device_events WHERE device_id = $1 ORDER BY seq DESC LIMIT 1",
                params![device_id],
                |r| {
                    let (seq, hash) = (r.i64(0)?, r.text(1)?);
                    let bad = || StorageError::Corrupt(format!("device_events: seq {seq} hash {hash:?}"));
                    Ok(ChainHead { seq: u64::try_from(seq).map_err(|_| bad())?, hash: Digest::from_hex(&hash).map_err(|_| bad())? })
                },
            )
            .await?;
        Ok(head.unwrap_or(ChainHead::GENESIS))
    }

    /// Stores a report and the events it brought that extend the chain, in one transaction,
    /// and marks the device seen.
    pub async fn record_health(&self, device_id: &str, report: &HealthReport, events: &[&DeviceEvent], now_ms: i64) -> Result<()> {
        let mut stmts = vec![
            Stmt::new(
                "INSERT INTO device_health (device_id, reported_at_ms, firmware, uptime_s, data_free_bytes, outbox_len,
                     oldest_unsent_s, camera_fps_centi, cpu_temp_milli_c, tamper_open, server_link)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (device_id) DO UPDATE SET reported_at_ms = excluded.reported_at_ms,
                     firmware = excluded.firmware, uptime_s = excluded.uptime_s,
                     data_free_bytes = excluded.data_free_bytes, outbox_len = excluded.outbox_len,
                     oldest_unsent_s = excluded.oldest_unsent_s, camera_fps_centi = excluded.camera_fps_centi,
                     cpu_temp_milli_c = excluded.cpu_temp_milli_c, tamper_open = excluded.tamper_open,
                     server_link = excluded.server_link",
                params![
                    device_id,
                    now_ms,
                    report.firmware.as_str(),
                    clamp(report.uptime_s),
                    report.data_free_bytes.map(clamp),
                    clamp(report.outbox_len),
                    report.oldest_unsent_s.map(clamp),
                    report.camera_fps_centi.map(i64::from),
                    report.cpu_temp_milli_c.map(i64::from),
                    report.tamper_open.map(i64::from),
                    report.server_link.map(ServerLink::as_str)
                ],
            ),
            Stmt::new(
                "UPDATE devices SET last_seen_ms = CASE WHEN last_seen_ms IS NULL OR last_seen_ms < $2 THEN $2 ELSE last_seen_ms END
                 WHERE device_id = $1",
                params![device_id, now_ms],
            ),
        ];
        for e in events {
            stmts.push(Stmt::new(
                "INSERT INTO device_events (device_id, seq, kind, at_ms, prev_hash, hash, signature, received_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    device_id,
                    clamp(e.seq),
                    e.kind.as_str(),
                    e.at_ms,
                    e.prev_hash.to_hex(),
                    e.hash().to_hex(),
                    e.signature.to_hex(),
                    now_ms
                ],
            ));
        }
        self.write_all("record device health", stmts).await?;
        Ok(())
    }

    /// Every device's last health report, by device id.
    pub async fn device_health(&self) -> Result<HashMap<String, DeviceHealth>> {
        let rows = self
            .query_rows(
                "read device health",
                "SELECT device_id, reported_at_ms, firmware, uptime_s, data_free_bytes, outbox_len, oldest_unsent_s,
                        camera_fps_centi, cpu_temp_milli_c, tamper_open, server_link FROM device_health",
                params![],
                |r| {
                    let at = r.i64(1)?;
                    let health = DeviceHealth {
                        reported_at: ms_to_dt(at).ok_or_else(|| StorageError::Corrupt(format!("device_health: time {at}")))?,
                        firmware: r.text(2)?,
                        uptime_s: r.i64(3)?,
                        data_free_bytes: r.opt_i64(4)?,
                        outbox_len: r.i64(5)?,
                        oldest_unsent_s: r.opt_i64(6)?,
                        camera_fps_centi: r.opt_i64(7)?,
                        cpu_temp_milli_c: r.opt_i64(8)?,
                        tamper_open: r.opt_i64(9)?.map(|v| v != 0),
                        // A name this release does not know reads as not reported.
                        server_link: r.opt_text(10)?.as_deref().and_then(ServerLink::parse),
                    };
                    Ok((r.text(0)?, health))
                },
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// How many signed device events are stored (grows with every tamper opening or closing;
    /// the late board's watcher compares it).
    pub async fn device_event_count(&self) -> Result<i64> {
        Ok(self.query_opt("count device events", "SELECT count(*) FROM device_events", params![], |r| r.i64(0)).await?.unwrap_or(0))
    }

    /// The latest device events of every device, newest first.
    pub async fn device_events(&self, limit: i64) -> Result<Vec<StoredEvent>> {
        self.query_rows(
            "read device events",
            "SELECT device_id, seq, kind, at_ms FROM device_events ORDER BY received_at_ms DESC, seq DESC LIMIT $1",
            params![limit],
            |r| {
                let (kind, at) = (r.text(2)?, r.i64(3)?);
                let bad = || StorageError::Corrupt(format!("device_events: kind {kind:?} at {at}"));
                Ok(StoredEvent {
                    device_id: r.text(0)?,
                    seq: r.i64(1)?,
                    kind: EventKind::parse(&kind).ok_or_else(bad)?,
                    at: ms_to_dt(at).ok_or_else(bad)?,
                })
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn troubles_at_their_edges() {
        let now = datetime!(2026-03-02 10:00 UTC);
        let ok = DeviceHealth {
            reported_at: now,
            firmware: "0.2.0".into(),
            uptime_s: 60,
            data_free_bytes: Some(1 << 30),
            outbox_len: 0,
            oldest_unsent_s: None,
            camera_fps_centi: Some(1500),
            cpu_temp_milli_c: Some(50_000),
            tamper_open: Some(false),
            server_link: Some(ServerLink::PinnedCertificate),
        };
        let l = Limits::default();
        let cases: Vec<(&str, DeviceHealth, Vec<Trouble>)> = vec![
            ("healthy", ok.clone(), vec![]),
            ("no sensors reported", DeviceHealth { data_free_bytes: None, camera_fps_centi: None, tamper_open: None, ..ok.clone() }, vec![]),
            ("open enclosure", DeviceHealth { tamper_open: Some(true), ..ok.clone() }, vec![Trouble::TamperOpen]),
            ("plain HTTP", DeviceHealth { server_link: Some(ServerLink::InsecureLan), ..ok.clone() }, vec![Trouble::InsecureLan]),
            ("CA-checked HTTPS", DeviceHealth { server_link: Some(ServerLink::ProvisionedCa), ..ok.clone() }, vec![]),
            ("dead camera", DeviceHealth { camera_fps_centi: Some(0), ..ok.clone() }, vec![Trouble::CameraDead]),
            ("exactly the free-space limit", DeviceHealth { data_free_bytes: Some(l.min_free_bytes), ..ok.clone() }, vec![]),
            ("one byte less", DeviceHealth { data_free_bytes: Some(l.min_free_bytes - 1), ..ok.clone() }, vec![Trouble::DiskNearlyFull]),
            ("a record an hour old", DeviceHealth { oldest_unsent_s: Some(l.max_unsent_s), ..ok.clone() }, vec![]),
            ("a second more", DeviceHealth { oldest_unsent_s: Some(l.max_unsent_s + 1), ..ok.clone() }, vec![Trouble::QueueGrowing]),
            ("15 minutes silent", DeviceHealth { reported_at: now - time::Duration::minutes(15), ..ok.clone() }, vec![]),
            (
                "16 minutes silent, open and full",
                DeviceHealth { reported_at: now - time::Duration::minutes(16), tamper_open: Some(true), data_free_bytes: Some(0), ..ok.clone() },
                vec![Trouble::TamperOpen, Trouble::DiskNearlyFull, Trouble::Offline],
            ),
        ];
        for (name, h, want) in cases {
            assert_eq!(trouble(&h, now, l), want, "{name}");
        }
    }
}
