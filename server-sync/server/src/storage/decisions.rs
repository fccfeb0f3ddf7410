//! Supervisors' decisions on records awaiting confirmation, and what a record's decision is.
//!
//! It owns `dash_decisions` (the decision in force, one per record) and
//! `dash_decision_history` (every decision ever made, append-only). The first decision is made
//! once ([`Store::decide`]); a decision is changed only by a new one with its reason
//! ([`Store::reverse_decision`]), written to the history in the same transaction — the
//! database's trigger refuses any other change — so the old decision stays visible. A record
//! itself is never changed: its decision as the rules see it is [`merge_decision`] of the
//! device's decision and the supervisor's, one function for both backends.

use super::portable::{Stmt, params};
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use hadir_rules::Decision;
use std::collections::HashMap;
use time::OffsetDateTime;

/// One decision of a record's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLine {
    /// `confirmed` or `rejected`.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

fn word(confirmed: bool) -> &'static str {
    if confirmed { "confirmed" } else { "rejected" }
}

/// A record's decision: the device's (`valid` / `needs_confirmation`) merged with a
/// supervisor's (`confirmed` / `rejected`), which wins when there is one. A record the server
/// flagged ([`crate::doubts`]) waits for the supervisor even when the device said valid.
pub fn merge_decision(device: &str, supervisor: Option<&str>, flagged: bool) -> Decision {
    match (device, supervisor) {
        (_, Some("rejected")) => Decision::Rejected,
        (_, Some("confirmed")) => Decision::Confirmed,
        ("valid", _) if !flagged => Decision::Valid,
        _ => Decision::Pending,
    }
}

impl Store {
    /// Records a supervisor's first decision on a record; `false` when the record was decided
    /// before (a change is [`Store::reverse_decision`]).
    pub async fn decide(&self, record_id: i64, confirmed: bool, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let at = dt_to_ms(now);
        let n = self
            .write_all(
                "record decision",
                vec![
                    Stmt::new(
                        "INSERT INTO dash_decisions (record_id, decision, reason, by_user, at_ms) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (record_id) DO NOTHING",
                        params![record_id, word(confirmed), reason, by, at],
                    ),
                    Stmt::new(
                        "INSERT INTO dash_decision_history (record_id, decision, reason, by_user, at_ms)
                         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM dash_decision_history WHERE record_id = $1)",
                        params![record_id, word(confirmed), reason, by, at],
                    ),
                ],
            )
            .await?;
        Ok(n.first() == Some(&1))
    }

    /// Reverses a record's decision by a new one with its reason (the history keeps the old);
    /// `false` when the record has no decision or already has this one.
    pub async fn reverse_decision(&self, record_id: i64, confirmed: bool, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let at = dt_to_ms(now);
        let n = self
            .write_all(
                "reverse decision",
                vec![
                    Stmt::new(
                        "INSERT INTO dash_decision_history (record_id, decision, reason, by_user, at_ms)
                         SELECT $1, $2, $3, $4, $5 WHERE EXISTS
                             (SELECT 1 FROM dash_decisions WHERE record_id = $1 AND decision <> $2)",
                        params![record_id, word(confirmed), reason, by, at],
                    ),
                    Stmt::new(
                        "UPDATE dash_decisions SET decision = $2, reason = $3, by_user = $4, at_ms = $5
                         WHERE record_id = $1 AND decision <> $2",
                        params![record_id, word(confirmed), reason, by, at],
                    ),
                ],
            )
            .await?;
        Ok(n.get(1) == Some(&1))
    }

    /// The decision histories of these records, oldest decision first (records without a
    /// decision are left out).
    pub async fn decision_history(&self, record_ids: &[i64]) -> Result<HashMap<i64, Vec<DecisionLine>>> {
        let mut out: HashMap<i64, Vec<DecisionLine>> = HashMap::new();
        // In slices, so that the statement's parameter count stays small on both backends.
        for ids in record_ids.chunks(500) {
            let list = ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            let rows = self
                .query_rows(
                    "read decision history",
                    format!(
                        "SELECT record_id, decision, reason, by_user, at_ms FROM dash_decision_history
                         WHERE record_id IN ({list}) ORDER BY record_id, id"
                    ),
                    params![],
                    |r| {
                        let at = r.i64(4)?;
                        Ok((
                            r.i64(0)?,
                            DecisionLine {
                                decision: r.text(1)?,
                                reason: r.text(2)?,
                                by: r.text(3)?,
                                at: ms_to_dt(at).ok_or_else(|| StorageError::Corrupt(format!("dash_decision_history: time {at}")))?,
                            },
                        ))
                    },
                )
                .await?;
            for (id, line) in rows {
                out.entry(id).or_default().push(line);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supervisor_decides_pending_records() {
        let cases = [
            ("valid", None, false, Decision::Valid),
            ("needs_confirmation", None, false, Decision::Pending),
            ("needs_confirmation", Some("confirmed"), false, Decision::Confirmed),
            ("needs_confirmation", Some("rejected"), false, Decision::Rejected),
            ("valid", Some("rejected"), false, Decision::Rejected),
            ("valid", None, true, Decision::Pending),
            ("valid", Some("confirmed"), true, Decision::Confirmed),
            ("needs_confirmation", Some("rejected"), true, Decision::Rejected),
        ];
        for (device, supervisor, flagged, want) in cases {
            assert_eq!(merge_decision(device, supervisor, flagged), want, "{device} {supervisor:?} flagged={flagged}");
        }
    }
}
