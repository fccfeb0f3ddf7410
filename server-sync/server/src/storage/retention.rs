//! What the server forgets, and when: the traces strangers leave — refused uploads and the
//! audit log's failed sign-ins — older than the retention an administrator sets (Settings;
//! `dash_settings` key `refused_uploads_retention_days`, one retention for both).
//!
//! Both are kept for investigation (who sent what, who tried which name, from where); a
//! stranger can make any number of them, so they must not grow without end. Records, chain
//! events, quarantine and every other audit line are never pruned (the audit log's triggers
//! refuse to delete any line but a failed sign-in).

use super::portable::params;
use super::{Result, StorageError, Store};

/// What one prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Rows of `refused_uploads`.
    pub refused_uploads: u64,
    /// `login_failed` lines of the audit log.
    pub failed_logins: u64,
}

/// Days refused uploads and failed sign-ins are kept when no administrator set it.
pub const DEFAULT_REFUSED_RETENTION_DAYS: u32 = 90;
/// The settings page's range, days.
pub const REFUSED_RETENTION_RANGE: std::ops::RangeInclusive<u32> = 7..=3650;
const KEY: &str = "refused_uploads_retention_days";

impl Store {
    /// Days refused uploads and failed sign-ins are kept.
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

    /// Deletes refused uploads and failed sign-ins older than the retention at `now_ms`.
    pub async fn prune_past_retention(&self, now_ms: i64) -> Result<Pruned> {
        let before = now_ms - i64::from(self.refused_retention_days().await?) * 86_400_000;
        Ok(Pruned {
            refused_uploads: self.write("prune refused uploads", "DELETE FROM refused_uploads WHERE at_ms < $1", params![before]).await?,
            failed_logins: self
                .write(
                    "prune failed sign-ins from the audit log",
                    "DELETE FROM dash_audit WHERE action = 'login_failed' AND at_ms < $1",
                    params![before],
                )
                .await?,
        })
    }
}
