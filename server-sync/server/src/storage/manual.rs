//! Manual IN and OUT entries: an administrator records the punch an employee could not make (a
//! forgotten OUT, a kiosk out of order), with a reason and, when there is one, the letter that
//! supports it.
//!
//! It owns `dash_manual_punches` and `dash_manual_cancels`, both append-only (triggers refuse
//! UPDATE and DELETE on both backends, and TRUNCATE on PostgreSQL): a mistaken entry is
//! cancelled with a reason, never erased, and a cancelled entry counts in no recap. A manual entry counts in every recap like a device's
//! record, through the same [`Punch`] type; to keep the two apart it carries the device id
//! `MANUAL:<id>` ([`manual_device_id`], [`manual_entry_id`]), which the pages and exports show as
//! "Manual". It never writes the signed `records`: a device's record is evidence, a manual entry
//! is an administrator's statement, and both stay visible as what they are.

use std::collections::HashMap;
use std::sync::Arc;

use hadir_rules::{Decision, Direction, Mode, Punch};
use time::OffsetDateTime;

use super::leave::Attachment;
use super::portable::params;
use super::records_view::offset_of;
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};

/// The `device_id` prefix of a manual entry's punch.
pub const MANUAL_PREFIX: &str = "MANUAL:";

/// The `device_id` a manual entry's punch carries.
pub fn manual_device_id(id: i64) -> String {
    format!("{MANUAL_PREFIX}{id}")
}

/// The manual entry's id when `device_id` is one's.
pub fn manual_entry_id(device_id: &str) -> Option<i64> {
    device_id.strip_prefix(MANUAL_PREFIX)?.parse().ok()
}

/// The columns [`entry_row`] reads, a cancellation joined.
const ENTRY_SELECT: &str = "SELECT m.id, m.employee_id, m.direction, m.recorded_at_ms, m.utc_offset_min, m.mode, m.reason,
        m.attachment_name, m.by_user, m.created_at_ms, c.by_user, c.at_ms, c.reason
    FROM dash_manual_punches m LEFT JOIN dash_manual_cancels c ON c.manual_id = m.id";

fn entry_row(r: &dyn super::portable::Row) -> Result<ManualEntry> {
    let id = r.i64(0)?;
    let corrupt = |what: &str| StorageError::Corrupt(format!("dash_manual_punches {id}: {what}"));
    let cancelled = match (r.opt_text(10)?, r.opt_i64(11)?, r.opt_text(12)?) {
        (Some(by), Some(at), Some(why)) => Some((by, ms_to_dt(at).ok_or_else(|| corrupt("cancellation time"))?, why)),
        _ => None,
    };
    Ok(ManualEntry {
        id,
        employee_id: r.text(1)?,
        direction: direction_of(&r.text(2)?),
        at: ms_to_dt(r.i64(3)?).ok_or_else(|| corrupt("time"))?.to_offset(offset_of(r.i64(4)?)),
        mode: Mode::parse(&r.text(5)?).ok_or_else(|| corrupt("mode"))?,
        reason: r.text(6)?,
        attachment_name: r.opt_text(7)?,
        by: r.text(8)?,
        created_at: ms_to_dt(r.i64(9)?).ok_or_else(|| corrupt("entry time"))?,
        cancelled,
    })
}

/// A manual entry to write.
#[derive(Debug, Clone)]
pub struct NewManualPunch<'a> {
    /// The employee.
    pub employee_id: &'a str,
    /// IN or OUT.
    pub direction: Direction,
    /// When, at the site's offset.
    pub at: OffsetDateTime,
    /// Office or field rules (the tolerance that applies).
    pub mode: Mode,
    /// Why (required).
    pub reason: &'a str,
    /// The supporting letter and its media type.
    pub attachment: Option<(&'a Attachment, &'static str)>,
    /// The administrator.
    pub by: &'a str,
}

/// A manual entry as the records page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEntry {
    /// Its id.
    pub id: i64,
    /// The employee.
    pub employee_id: String,
    /// IN or OUT.
    pub direction: Direction,
    /// When, at its offset.
    pub at: OffsetDateTime,
    /// Office or field rules.
    pub mode: Mode,
    /// Why.
    pub reason: String,
    /// The attachment's file name, if any.
    pub attachment_name: Option<String>,
    /// Who entered it.
    pub by: String,
    /// When it was entered.
    pub created_at: OffsetDateTime,
    /// Cancelled: by whom, when, why.
    pub cancelled: Option<(String, OffsetDateTime, String)>,
}

fn direction_of(text: &str) -> Direction {
    if text == "out" { Direction::Out } else { Direction::In }
}

impl Store {
    /// Writes a manual entry; returns its id.
    pub async fn add_manual_punch(&self, new: &NewManualPunch<'_>, now: OffsetDateTime) -> Result<i64> {
        let (name, media, bytes) = match new.attachment {
            Some((a, media)) => (Some(a.name.clone()), Some(media), Some(a.bytes.clone())),
            None => (None, None, None),
        };
        self.insert_returning(
            "write a manual entry",
            "INSERT INTO dash_manual_punches (employee_id, direction, recorded_at_ms, utc_offset_min, mode, reason,
                 attachment_name, attachment_type, attachment, by_user, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            params![
                new.employee_id,
                if new.direction == Direction::Out { "out" } else { "in" },
                dt_to_ms(new.at),
                i64::from(new.at.offset().whole_minutes()),
                new.mode.as_str(),
                new.reason,
                name,
                media,
                bytes,
                new.by,
                dt_to_ms(now)
            ],
        )
        .await
    }

    /// Manual entries between two instants, as punches grouped by employee (the recaps' path).
    pub async fn manual_punches(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<HashMap<String, Vec<Punch>>> {
        let mut out: HashMap<String, Vec<Punch>> = HashMap::new();
        for e in self.manual_entries(from, to).await?.into_iter().filter(|e| e.cancelled.is_none()) {
            out.entry(e.employee_id).or_default().push(Punch {
                record_id: 0,
                direction: e.direction,
                at: e.at,
                mode: e.mode,
                // An administrator's entry needs no one's confirmation.
                decision: Decision::Valid,
                device_id: Arc::from(manual_device_id(e.id)),
            });
        }
        Ok(out)
    }

    /// Manual entries between two instants, oldest first, cancelled ones included (marked).
    pub async fn manual_entries(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<ManualEntry>> {
        self.query_rows(
            "read manual entries",
            format!("{ENTRY_SELECT} WHERE m.recorded_at_ms >= $1 AND m.recorded_at_ms < $2 ORDER BY m.recorded_at_ms, m.id"),
            params![dt_to_ms(from), dt_to_ms(to)],
            entry_row,
        )
        .await
    }

    /// One manual entry.
    pub async fn manual_entry(&self, id: i64) -> Result<Option<ManualEntry>> {
        self.query_opt("read a manual entry", format!("{ENTRY_SELECT} WHERE m.id = $1"), params![id], entry_row).await
    }

    /// Cancels a manual entry with a reason: it stays listed, marked, and counts no more.
    /// `false` when it was cancelled already (or does not exist).
    pub async fn cancel_manual_punch(&self, id: i64, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let n = self
            .write(
                "cancel a manual entry",
                "INSERT INTO dash_manual_cancels (manual_id, reason, by_user, at_ms)
                 SELECT id, $2, $3, $4 FROM dash_manual_punches WHERE id = $1
                 ON CONFLICT (manual_id) DO NOTHING",
                params![id, reason, by, dt_to_ms(now)],
            )
            .await?;
        Ok(n == 1)
    }

    /// A manual entry's attachment: employee, file name, media type and bytes.
    pub async fn manual_attachment(&self, id: i64) -> Result<Option<(String, String, String, Vec<u8>)>> {
        Ok(self
            .query_opt(
                "read a manual entry's attachment",
                "SELECT employee_id, attachment_name, attachment_type, attachment FROM dash_manual_punches WHERE id = $1 AND attachment IS NOT NULL",
                params![id],
                |r| Ok((r.text(0)?, r.opt_text(1)?.unwrap_or_default(), r.opt_text(2)?.unwrap_or_default(), r.opt_bytes(3)?.unwrap_or_default())),
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_marker_round_trips_and_is_nobody_elses() {
        assert_eq!(manual_entry_id(&manual_device_id(42)), Some(42));
        for other in ["K-01", "ZK:CKUH203360017", "MANUAL:", "MANUAL:x", "manual:3"] {
            assert_eq!(manual_entry_id(other), None, "{other}");
        }
    }
}
