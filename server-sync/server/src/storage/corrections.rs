//! Leave and official travel entered by admins (cuti, sakit, izin, dinas luar), per employee and
//! date, and their withdrawal.
//!
//! It owns `dash_corrections`, an append-only log (the migration's triggers refuse UPDATE and
//! DELETE): a wrong entry is corrected by a newer one with its reason, and `cancel` withdraws
//! the day. Which entry is in force is [`in_force`], one function for both backends: the
//! latest entry for an (employee, date) wins.

use super::calendar::{date_str, parse_date};
use super::portable::params;
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use hadir_rules::Excused;
use std::collections::{BTreeMap, HashMap};
use time::{Date, OffsetDateTime};

/// The kind that withdraws an earlier entry for the day.
pub const CANCEL: &str = "cancel";

/// One line of the corrections log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// Row id (order of entry).
    pub id: i64,
    /// Employee.
    pub employee_id: String,
    /// Date concerned.
    pub date: Date,
    /// `cuti`, `sakit`, `izin`, `dinas_luar` ([`Excused::as_str`]) or [`CANCEL`].
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Who entered it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// What is in force after reading log entries `(employee, date, kind)` in the order they were
/// written: the latest entry for each (employee, date) wins; a `cancel` (or any kind that is
/// not an [`Excused`]) removes the day.
pub fn in_force(entries: impl IntoIterator<Item = (String, Date, String)>) -> HashMap<String, BTreeMap<Date, Excused>> {
    let mut out: HashMap<String, BTreeMap<Date, Excused>> = HashMap::new();
    for (employee, date, kind) in entries {
        let days = out.entry(employee).or_default();
        match Excused::parse(&kind) {
            Some(e) => days.insert(date, e),
            None => days.remove(&date),
        };
    }
    out
}

impl Store {
    /// Appends a correction (an [`Excused`] kind, or `None` for a cancel of an earlier one).
    pub async fn add_correction(
        &self,
        employee_id: &str,
        date: Date,
        kind: Option<Excused>,
        reason: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.write(
            "add correction",
            "INSERT INTO dash_corrections (employee_id, date, kind, reason, by_user, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            params![employee_id, date_str(date), kind.map_or(CANCEL, Excused::as_str), reason, by, dt_to_ms(now)],
        )
        .await?;
        Ok(())
    }

    /// The corrections log, newest first.
    pub async fn corrections(&self, limit: i64) -> Result<Vec<Correction>> {
        self.query_rows(
            "read corrections",
            "SELECT id, employee_id, date, kind, reason, by_user, at_ms FROM dash_corrections ORDER BY id DESC LIMIT $1",
            params![limit],
            |r| {
                let (d, ms) = (r.text(2)?, r.i64(6)?);
                let bad = || StorageError::Corrupt(format!("dash_corrections: date {d:?} at {ms}"));
                Ok(Correction {
                    id: r.i64(0)?,
                    employee_id: r.text(1)?,
                    date: parse_date(&d).ok_or_else(bad)?,
                    kind: r.text(3)?,
                    reason: r.text(4)?,
                    by: r.text(5)?,
                    at: ms_to_dt(ms).ok_or_else(bad)?,
                })
            },
        )
        .await
    }

    /// The leave and travel in force per employee and date between two dates (inclusive), see
    /// [`in_force`].
    pub async fn excused_between(&self, from: Date, to: Date) -> Result<HashMap<String, BTreeMap<Date, Excused>>> {
        let rows = self
            .query_rows(
                "read corrections in force",
                "SELECT employee_id, date, kind FROM dash_corrections WHERE date >= $1 AND date <= $2 ORDER BY id",
                params![date_str(from), date_str(to)],
                |r| {
                    let d = r.text(1)?;
                    let date = parse_date(&d).ok_or_else(|| StorageError::Corrupt(format!("dash_corrections: date {d:?}")))?;
                    Ok((r.text(0)?, date, r.text(2)?))
                },
            )
            .await?;
        Ok(in_force(rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn latest_entry_wins_and_cancel_removes() {
        let d = date!(2026 - 03 - 02);
        let e = |who: &str, kind: &str| (who.to_owned(), d, kind.to_owned());
        let ex = in_force([e("E1", "izin"), e("E1", "sakit"), e("E2", "cuti"), e("E2", CANCEL)]);
        assert_eq!(ex["E1"].get(&d), Some(&Excused::Sakit));
        assert!(ex["E2"].is_empty());
    }
}
