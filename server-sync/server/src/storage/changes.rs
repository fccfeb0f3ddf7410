//! What changed in the store since a report was computed, so that a cached monthly recap is
//! used only while everything it was computed from is unchanged.
//!
//! Two kinds of change are told apart because they come at very different rates:
//!
//! - an employee's own punches (a kiosk's records, a terminal's lines), many per minute in the
//!   morning: they make only that employee's months stale ([`Changes::employees`]);
//! - everything else a recap reads (decisions, corrections, leave, manual entries, schedules,
//!   holidays, sections, settings, employees), a few times an hour at human pace: they make
//!   every cached month stale ([`Changes::everything`]).
//!
//! The store marks a change after the write's transaction returns, and a reader takes its
//! [`Stamp`] before it reads: a recap computed while a write was committing carries the older
//! stamp and is recomputed at the next look, never kept as current.
//!
//! A write through the portable statements is classified by the table it writes
//! ([`touches_reports`]): writes to the tables listed as read by no report (sessions, audit,
//! device health, photos …) change nothing here; any other table, a table not listed, or a
//! statement this module cannot read, changes everything, so a new table is safe by default.
//!
//! It only counts changes made through this process's [`super::Store`]: another process
//! writing the same database (the command-line tools, a second server on one PostgreSQL) is
//! not seen, which is why the report cache also bounds an entry's age.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tables no report reads: writes to them leave every recap as it was.
const QUIET_TABLES: &[&str] = &[
    "chain_events",
    "dash_audit",
    "dash_board_tokens",
    "dash_closed_changes",
    "dash_month_closes",
    "dash_sessions",
    "dash_user_sections",
    "dash_users",
    "device_events",
    "device_health",
    "devices",
    "enrol_tokens",
    "face_templates",
    "photos",
    "quarantine",
    "refused_uploads",
    "request_nonces",
    "roster_state",
    "zk_commands",
    "zk_held_uploads",
    "zk_operlog",
    "zk_refused_lines",
    "zk_terminals",
];

/// The change counters of one store.
#[derive(Debug, Default)]
pub struct Changes {
    /// Bumped by every change that may alter any recap.
    all: AtomicU64,
    /// A sequence for the per-employee marks.
    tick: AtomicU64,
    /// The tick of each employee's last punch change.
    employees: Mutex<HashMap<String, u64>>,
}

/// Where the store stood for one employee when a reader looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    /// The store-wide counter.
    pub all: u64,
    /// The employee's own counter.
    pub employee: u64,
}

impl Changes {
    /// The store-wide counter alone (for what depends on no one employee's punches).
    pub fn all(&self) -> u64 {
        self.all.load(Ordering::Acquire)
    }

    /// The stamps of `ids`, in order, read together.
    pub fn stamps<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<Stamp> {
        let all = self.all();
        let map = self.employees.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ids.into_iter().map(|id| Stamp { all, employee: map.get(id).copied().unwrap_or(0) }).collect()
    }

    /// Marks a change that may alter any recap.
    pub fn everything(&self) {
        self.all.fetch_add(1, Ordering::AcqRel);
    }

    /// Marks a change of these employees' punches.
    pub fn employees<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut map = self.employees.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            let t = self.tick.fetch_add(1, Ordering::AcqRel) + 1;
            map.insert(id.to_owned(), t);
        }
    }
}

/// Whether a write statement may change a recap: `false` only for a plain `INSERT INTO`,
/// `UPDATE` or `DELETE FROM` of a table in the quiet list.
pub fn touches_reports(sql: &str) -> bool {
    let words: Vec<String> = sql.split_whitespace().take(3).map(str::to_ascii_lowercase).collect();
    let table = match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["insert", "into", t] | ["delete", "from", t] | ["update", t, ..] => *t,
        _ => return true,
    };
    // `INSERT INTO t (a, b)` may be written without a space before the column list.
    let table = table.split('(').next().unwrap_or(table);
    !QUIET_TABLES.contains(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_classified_by_the_table_they_write() {
        let cases = [
            ("INSERT INTO dash_audit (at_ms, user) VALUES ($1, $2)", false),
            ("insert into dash_sessions(token) values ($1)", false),
            ("UPDATE dash_sessions SET last_ms = $1", false),
            ("DELETE FROM refused_uploads WHERE at_ms < $1", false),
            ("  UPDATE\n devices SET last_seen_ms = $1", false),
            ("INSERT INTO dash_decisions (record_id) VALUES ($1)", true),
            ("UPDATE dash_settings SET value = $1", true),
            ("DELETE FROM dash_holidays WHERE date = $1", true),
            ("INSERT INTO a_table_added_later (x) VALUES (1)", true),
            ("WITH x AS (SELECT 1) INSERT INTO dash_audit SELECT * FROM x", true),
            ("", true),
        ];
        for (sql, expected) in cases {
            assert_eq!(touches_reports(sql), expected, "{sql}");
        }
    }

    #[test]
    fn an_employees_change_moves_only_their_stamp() {
        let c = Changes::default();
        let before = c.stamps(["a", "b"]);
        c.employees(["a"]);
        let after = c.stamps(["a", "b"]);
        assert_ne!(before[0], after[0]);
        assert_eq!(before[1], after[1]);
        c.everything();
        let last = c.stamps(["a", "b"]);
        assert_ne!(after[1], last[1]);
        assert_eq!(last[0].employee, after[0].employee, "the store-wide counter moved, not the employee's");
    }
}
