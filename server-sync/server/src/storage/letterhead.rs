//! The recap's letterhead and signatories ([`crate::reports::signoff::Letterhead`]), kept as
//! one JSON value in `dash_settings` (key `report_letterhead`): one administrator's form, read
//! at every XLSX and PDF export. It must not check the limits (the caller does, before saving).

use super::portable::params;
use super::{Result, StorageError, Store};
use crate::reports::signoff::Letterhead;

const KEY: &str = "report_letterhead";

impl Store {
    /// The letterhead and signatories (empty when no administrator set them).
    pub async fn letterhead(&self) -> Result<Letterhead> {
        let stored = self
            .query_opt("read the report letterhead", "SELECT value FROM dash_settings WHERE key = $1", params![KEY], |r| r.text(0))
            .await?;
        match stored {
            None => Ok(Letterhead::default()),
            Some(v) => serde_json::from_str(&v).map_err(|e| StorageError::Corrupt(format!("dash_settings: {KEY}: {e}"))),
        }
    }

    /// Saves the letterhead and signatories.
    pub async fn set_letterhead(&self, letterhead: &Letterhead) -> Result<()> {
        let value = serde_json::to_string(letterhead).map_err(|e| StorageError::Corrupt(format!("{KEY}: {e}")))?;
        self.write(
            "save the report letterhead",
            "INSERT INTO dash_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![KEY, value],
        )
        .await?;
        Ok(())
    }
}
