//! The attendance rules' settings an admin may change (tolerances, overtime, deduction bands).
//!
//! It owns `dash_settings` (one `key = value` row per setting; keys never set keep
//! [`RuleSettings::default`]). Validation is the rulebook's ([`RuleSettings::validate`]): a
//! stored set that does not validate is reported as corrupt, never silently used.

use super::portable::{Stmt, params};
use super::{Result, StorageError, Store};
use hadir_rules::RuleSettings;

/// The settings as stored `(key, value)` pairs.
fn pairs(s: &RuleSettings) -> Vec<(String, u32)> {
    let mut pairs: Vec<(String, u32)> = vec![
        ("tolerance_office_min".into(), s.tolerance_office_min),
        ("tolerance_field_min".into(), s.tolerance_field_min),
        ("overtime_after_min".into(), s.overtime_after_min),
        ("absent_bp".into(), s.absent_bp),
        ("daily_cap_bp".into(), s.daily_cap_bp),
    ];
    for i in 0..4 {
        pairs.push((format!("late_bp_{}", i + 1), s.late_bp[i]));
        pairs.push((format!("early_bp_{}", i + 1), s.early_bp[i]));
    }
    pairs
}

/// Applies one stored pair to `s` (unknown keys are ignored: a newer server may add some).
fn apply(s: &mut RuleSettings, k: &str, v: &str) -> Result<()> {
    let bad = || StorageError::Corrupt(format!("dash_settings: {k} = {v}"));
    let num = |v: &str| v.parse::<u32>().map_err(|_| bad());
    match k {
        "tolerance_office_min" => s.tolerance_office_min = num(v)?,
        "tolerance_field_min" => s.tolerance_field_min = num(v)?,
        "overtime_after_min" => s.overtime_after_min = num(v)?,
        "absent_bp" => s.absent_bp = num(v)?,
        "daily_cap_bp" => s.daily_cap_bp = num(v)?,
        k if k.starts_with("late_bp_") || k.starts_with("early_bp_") => {
            let i: usize = k.rsplit('_').next().and_then(|x| x.parse().ok()).filter(|i| (1..=4).contains(i)).ok_or_else(bad)?;
            let arr = if k.starts_with("late") { &mut s.late_bp } else { &mut s.early_bp };
            arr[i - 1] = num(v)?;
        }
        _ => {}
    }
    Ok(())
}

impl Store {
    /// The rule settings (defaults for keys never set).
    pub async fn settings(&self) -> Result<RuleSettings> {
        let rows = self
            .query_rows("read rule settings", "SELECT key, value FROM dash_settings", params![], |r| Ok((r.text(0)?, r.text(1)?)))
            .await?;
        let mut s = RuleSettings::default();
        for (k, v) in rows {
            apply(&mut s, &k, &v)?;
        }
        s.validate().map_err(|e| StorageError::Corrupt(format!("dash_settings: {e}")))?;
        Ok(s)
    }

    /// Saves the rule settings (validated by the caller), in one transaction.
    pub async fn put_settings(&self, s: &RuleSettings) -> Result<()> {
        let stmts = pairs(s)
            .into_iter()
            .map(|(k, v)| {
                Stmt::new(
                    "INSERT INTO dash_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![k, v.to_string()],
                )
            })
            .collect();
        self.write_all("save rule settings", stmts).await?;
        Ok(())
    }
}
