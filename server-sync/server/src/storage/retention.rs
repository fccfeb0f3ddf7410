//! What the server forgets, and when: refused uploads older than the retention an
//! administrator sets (Settings; `dash_settings` key `refused_uploads_retention_days`).
//!
//! Refused uploads are kept for investigation (who sent what, from where); a stranger can
//! make many of them, so they must not grow without end. Records, chain events, quarantine
//! and the audit log are never pruned here.

use super::portable::params;
use super::{Result, StorageError, Store};

/// Days refused uploads are kept when no administrator set it.
pub const DEFAULT_REFUSED_RETENTION_DAYS: u32 = 90;
/// The settings page's range, days.
pub const REFUSED_RETENTION_RANGE: std::ops::RangeInclusive<u32> = 7..=3650;
const KEY: &str = "refused_uploads_retention_days";

impl Store {
    /// Days refused uploads are kept.
    pub async fn refused_retention_days(&self) -> Result<u32> {
        let stored = self
            .query_opt("read the refused uploads' retention", "SELECT value FROM dash_settings WHERE key = $1", params![KEY], |r| r.text(0))
            .await?;
        match stored {
            None => Ok(DEFAULT_REFUSED_RETENTION_DAYS),
            Some(v) => v
                .parse()
                .ok()
                .filter(|d| REFUSED_RETENTION_RANGE.contains(d))
                .ok_or_else(|| StorageError::Corrupt(format!("dash_settings: {KEY} = {v}"))),
        }
    }

    /// Sets the retention (the caller checked [`REFUSED_RETENTION_RANGE`]).
    pub async fn set_refused_retention_days(&self, days: u32) -> Result<()> {
        self.write(
            "save the refused uploads' retention",
            "INSERT INTO dash_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![KEY, days.to_string()],
        )
        .await?;
        Ok(())
    }

    /// Deletes refused uploads older than the retention at `now_ms`; returns how many.
    pub async fn prune_refused_uploads(&self, now_ms: i64) -> Result<u64> {
        let days = i64::from(self.refused_retention_days().await?);
        self.write("prune refused uploads", "DELETE FROM refused_uploads WHERE at_ms < $1", params![now_ms - days * 86_400_000]).await
    }
}
