//! Supervisors' decisions on records awaiting confirmation, and what a record's decision is.
//!
//! It owns `dash_decisions`: at most one decision per record, final (the migration's triggers
//! refuse UPDATE and DELETE; a second decision is not stored). A record itself is never
//! changed: its decision as the rules see it is [`merge_decision`] of the device's decision and
//! the supervisor's, one function for both backends.

use super::portable::params;
use super::{Result, Store, dt_to_ms};
use hadir_rules::Decision;
use time::OffsetDateTime;

/// A record's decision: the device's (`valid` / `needs_confirmation`) merged with a
/// supervisor's (`confirmed` / `rejected`), which wins when there is one.
pub fn merge_decision(device: &str, supervisor: Option<&str>) -> Decision {
    match (device, supervisor) {
        (_, Some("rejected")) => Decision::Rejected,
        (_, Some("confirmed")) => Decision::Confirmed,
        ("valid", _) => Decision::Valid,
        _ => Decision::Pending,
    }
}

impl Store {
    /// Records a supervisor's decision; `false` when the record was decided before (the first
    /// decision is final).
    pub async fn decide(&self, record_id: i64, confirmed: bool, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let n = self
            .write(
                "record decision",
                "INSERT INTO dash_decisions (record_id, decision, reason, by_user, at_ms) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (record_id) DO NOTHING",
                params![record_id, if confirmed { "confirmed" } else { "rejected" }, reason, by, dt_to_ms(now)],
            )
            .await?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supervisor_decides_pending_records() {
        let cases = [
            ("valid", None, Decision::Valid),
            ("needs_confirmation", None, Decision::Pending),
            ("needs_confirmation", Some("confirmed"), Decision::Confirmed),
            ("needs_confirmation", Some("rejected"), Decision::Rejected),
            ("valid", Some("rejected"), Decision::Rejected),
        ];
        for (device, supervisor, want) in cases {
            assert_eq!(merge_decision(device, supervisor), want, "{device} {supervisor:?}");
        }
    }
}
