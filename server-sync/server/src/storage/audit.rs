//! The audit log: who did what in the dashboard, and every refused request.
//!
//! It owns `dash_audit`, which is append-only: the migration's triggers refuse UPDATE and
//! DELETE on both backends, so nothing here (or anywhere) can rewrite history. Details are
//! English, for admins.

use super::portable::{Row, params};
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use time::OffsetDateTime;

/// The most characters of a name kept in an audit line.
pub const MAX_BY_CHARS: usize = 64;
/// The most characters of a detail kept in an audit line.
pub const MAX_DETAIL_CHARS: usize = 2000;

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    /// Row id (order of writing).
    pub id: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who (a user name, or the name tried at a failed login).
    pub by: String,
    /// What (`login`, `access_denied`, `enrol_face`, `pin_reset`, …).
    pub action: String,
    /// Details (English, for admins).
    pub detail: String,
}

fn audit_line(r: &dyn Row) -> Result<AuditLine> {
    let ms = r.i64(1)?;
    let at = ms_to_dt(ms).ok_or_else(|| StorageError::Corrupt(format!("dash_audit.at_ms {ms}")))?;
    Ok(AuditLine { id: r.i64(0)?, at, by: r.text(2)?, action: r.text(3)?, detail: r.text(4)? })
}

impl Store {
    /// Appends to the audit log. Who and what are cut to [`MAX_BY_CHARS`] and
    /// [`MAX_DETAIL_CHARS`]: a line records an act, and text a stranger typed must not grow the
    /// table without bound.
    pub async fn audit(&self, by: &str, action: &str, detail: &str, now: OffsetDateTime) -> Result<()> {
        let by: String = by.chars().take(MAX_BY_CHARS).collect();
        let detail: String = detail.chars().take(MAX_DETAIL_CHARS).collect();
        self.write(
            "append to the audit log",
            "INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES ($1, $2, $3, $4)",
            params![dt_to_ms(now), by, action, detail],
        )
        .await?;
        Ok(())
    }

    /// Audit lines newest first, at most `limit`, optionally only one action and/or one user,
    /// and only older than line `before` (paging).
    pub async fn audit_lines(&self, action: Option<&str>, by: Option<&str>, before: Option<i64>, limit: i64) -> Result<Vec<AuditLine>> {
        self.query_rows(
            "read the audit log",
            "SELECT id, at_ms, by_user, action, detail FROM dash_audit
             WHERE (CAST($1 AS TEXT) IS NULL OR action = $1) AND (CAST($2 AS TEXT) IS NULL OR by_user = $2)
               AND (CAST($3 AS BIGINT) IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4",
            params![action, by, before, limit],
            audit_line,
        )
        .await
    }

    /// The actions that occur in the audit log, sorted.
    pub async fn audit_actions(&self) -> Result<Vec<String>> {
        self.query_rows("read audit actions", "SELECT DISTINCT action FROM dash_audit ORDER BY action", params![], |r| r.text(0))
            .await
    }
}
