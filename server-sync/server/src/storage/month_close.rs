//! Closed months: once the treasurer's recap of a month is paid from, an administrator closes
//! the month; a later change to one of its days (a decision, a reversal, leave) is still
//! possible, with its reason, and is logged against the employee so the next export of the
//! month flags it.
//!
//! It owns `dash_month_closes` (one row per closed month) and `dash_closed_changes` (every
//! change to a closed month, append-only). A month cannot be closed while a record of it awaits
//! a decision ([`CloseRefusal::Pending`]). It decides nothing about attendance.

use super::portable::{Stmt, params};
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use std::collections::HashMap;
use hadir_rules::SiteZones;
use time::{Date, Month, OffsetDateTime};

/// A month as the store keys it: `"2026-03"`.
pub fn month_key(year: i32, month: Month) -> String {
    format!("{year:04}-{:02}", u8::from(month))
}

/// The month of a date, as [`month_key`].
pub fn month_of(date: Date) -> String {
    month_key(date.year(), date.month())
}

/// A closed month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthClose {
    /// Who closed it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// Why a month was not closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseRefusal {
    /// Records of the month still await a supervisor's decision.
    #[error("{0} records of the month await a decision")]
    Pending(i64),
    /// It is closed already.
    #[error("the month is closed already")]
    AlreadyClosed,
}

impl Store {
    /// Records of the month that await a supervisor's decision, each in its month at the clock
    /// of its employee's site (`zones`).
    pub async fn pending_in_month(&self, year: i32, month: Month, zones: &SiteZones) -> Result<i64> {
        // Read from the easternmost zone's start to the westernmost's end, then keep a record
        // when its own site's clock puts it in the month: pending records are few.
        let bad = || StorageError::Corrupt(format!("month {year}-{month}"));
        let first = Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
        let last = Date::from_calendar_date(year, month, month.length(year)).map_err(|_| bad())?;
        let (from, to) = (dt_to_ms(zones.date_bounds(first).0), dt_to_ms(zones.date_bounds(last).1));
        let pending = self
            .query_rows(
                "read pending records of a month",
                "SELECT r.recorded_at_ms, coalesce(e.site_id, '') FROM records r
                      LEFT JOIN employees e ON e.employee_id = r.employee_id
                      LEFT JOIN dash_decisions d ON d.record_id = r.id
                      LEFT JOIN record_flags f ON f.record_id = r.id
                 WHERE r.recorded_at_ms >= $1 AND r.recorded_at_ms < $2
                   AND (r.decision = 'needs_confirmation' OR f.record_id IS NOT NULL) AND d.record_id IS NULL",
                params![from, to],
                |r| Ok((r.i64(0)?, r.text(1)?)),
            )
            .await?;
        let in_month = pending.iter().filter(|(at, site)| {
            let local = ms_to_dt(*at).map(|t| t.to_offset(zones.of(site).offset()));
            local.is_some_and(|t| t.year() == year && t.month() == month)
        });
        Ok(i64::try_from(in_month.count()).unwrap_or(i64::MAX))
    }

    /// Closes a month, unless a record of it awaits a decision or it is closed.
    pub async fn close_month(&self, year: i32, month: Month, zones: &SiteZones, by: &str, now: OffsetDateTime) -> Result<Result<(), CloseRefusal>> {
        let pending = self.pending_in_month(year, month, zones).await?;
        if pending > 0 {
            return Ok(Err(CloseRefusal::Pending(pending)));
        }
        let n = self
            .write(
                "close a month",
                "INSERT INTO dash_month_closes (month, by_user, at_ms) VALUES ($1, $2, $3) ON CONFLICT (month) DO NOTHING",
                params![month_key(year, month), by, dt_to_ms(now)],
            )
            .await?;
        Ok(if n == 1 { Ok(()) } else { Err(CloseRefusal::AlreadyClosed) })
    }

    /// The month's close, if it is closed.
    pub async fn month_close(&self, year: i32, month: Month) -> Result<Option<MonthClose>> {
        self.query_opt(
            "read a month's close",
            "SELECT by_user, at_ms FROM dash_month_closes WHERE month = $1",
            params![month_key(year, month)],
            |r| {
                let at = r.i64(1)?;
                Ok(MonthClose { by: r.text(0)?, at: ms_to_dt(at).ok_or_else(|| StorageError::Corrupt(format!("dash_month_closes: time {at}")))? })
            },
        )
        .await
    }

    /// Logs a change to a day of a closed month (nothing when the month is open); `true`
    /// when the month was closed.
    pub async fn note_closed_change(&self, employee_id: &str, date: Date, what: &str, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let n = self
            .write_all(
                "note a change to a closed month",
                vec![Stmt::new(
                    "INSERT INTO dash_closed_changes (month, employee_id, date, what, reason, by_user, at_ms)
                     SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM dash_month_closes WHERE month = $1)",
                    params![month_of(date), employee_id, super::calendar::date_str(date), what, reason, by, dt_to_ms(now)],
                )],
            )
            .await?;
        Ok(n.first() == Some(&1))
    }

    /// Changes made to a closed month after it was closed, counted per employee.
    pub async fn closed_changes(&self, year: i32, month: Month) -> Result<HashMap<String, i64>> {
        let rows = self
            .query_rows(
                "read changes to a closed month",
                "SELECT employee_id, count(*) FROM dash_closed_changes WHERE month = $1 GROUP BY employee_id",
                params![month_key(year, month)],
                |r| Ok((r.text(0)?, r.i64(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_keyed() {
        assert_eq!(month_key(2026, Month::March), "2026-03");
        assert_eq!(month_of(time::macros::date!(2026 - 12 - 31)), "2026-12");
    }
}
