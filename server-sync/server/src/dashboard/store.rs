//! The dashboard's storage: its own tables (`dash_*`) beside the device store's, in SQLite.
//!
//! The dashboard owns users, sessions, sections and their schedules, holidays, the decisions on
//! records awaiting confirmation, the append-only corrections and audit logs, the rule settings
//! and the late-board tokens. Records, employees, devices and evidence photos belong to the
//! device store (the sync half of this server); the dashboard only reads them, through the
//! tables below, and never changes a record.
//!
//! ## Contract with the device store
//! The device store's core migrations (`crate::storage::migrations::CORE`, applied by
//! `hadir-server migrate`) must have run on the same SQLite file first; [`Store::open`] refuses
//! a database without them. The dashboard reads these columns of the core schema:
//! - `employees(employee_id, name, site_id, section_id, removed_at_ms)`; the dashboard's own
//!   `dash_employee_sections` overrides `section_id` when an admin assigns a section here.
//! - `devices(device_id, site_id, mode, last_seen_ms, synced_until_ms, revoked_at_ms)`:
//!   `synced_until_ms` is the device's watermark (everything recorded before it is on the
//!   server); revoking sets `revoked_at_ms`, as the device API's own revoke does.
//! - `records(id, device_id, seq, employee_id, direction 'in'|'out', recorded_at_ms,
//!   utc_offset_min, mode 'office'|'field', match_score_bp, decision 'valid'|'needs_confirmation',
//!   photo_sha256)`, indexed by `recorded_at_ms`.
//! - `photos(sha256, jpeg)`.
//!
//! The dashboard's tables are created here (`IF NOT EXISTS`, SQLite only for now: with the
//! PostgreSQL backend the dashboard is not available yet).
//!
//! All SQL of the dashboard is in this module, so adapting to a change of those tables is a
//! change here only.
//!
//! ## PostgreSQL: what a port would take (not started)
//! With `storage.backend = "postgres"` the server serves no dashboard, because everything here
//! is rusqlite on the SQLite file. The roster writes (templates, PINs) already go through the
//! backend-neutral [`crate::storage::Store`]; the rest would need:
//! 1. the `dash_*` schema as a [`crate::storage::Migration`] list (component `dashboard`, SQLite
//!    and PostgreSQL texts) registered in `crate::migrations()`, instead of `IF NOT EXISTS` here;
//! 2. this `Store` as an enum over the two backends with `async` methods (PostgreSQL through
//!    [`crate::storage::Store::postgres`]), so handlers await instead of locking a connection;
//! 3. dialect: `?N` → `$N`, `INSERT OR REPLACE/IGNORE` → `ON CONFLICT`, `AUTOINCREMENT` →
//!    `BIGSERIAL`, the append-only triggers → a trigger function raising an exception (or
//!    `REVOKE UPDATE, DELETE` from the server's role), `sqlite_master` probes →
//!    `information_schema`;
//! 4. the recap's month read ([`Store::punches_by_employee`], 600,000 rows) streamed with
//!    `query_raw` and the covering index as `CREATE INDEX … (recorded_at_ms) INCLUDE (…)`;
//! 5. the HTTP and browser tests run against both, with `storage::pg_cluster::TempCluster`.
//!
//! About a day and a half of work; a partial port would leave pages that fail at run time.
//!
//! ## Append-only logs
//! `dash_corrections`, `dash_audit` and `dash_decisions` refuse UPDATE and DELETE by triggers: a
//! wrong correction is corrected by a newer one, with its reason.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use time::{Date, OffsetDateTime, Time, UtcOffset};

use hadir_rules::{
    Decision, DayException, DeviceWatermark, Direction, Excused, Holidays, Mode, Punch, RuleSettings,
    SectionCalendar, WeeklySchedule, WorkHours,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("dashboard database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The device store's schema is missing.
    #[error("the database has no `records` table: run `hadir-server migrate` on it first")]
    CoreSchemaMissing,
    /// Stored data that cannot be read back (a bad schedule, a bad settings value).
    #[error("dashboard database holds an invalid value in {what}: {detail}")]
    Invalid {
        /// Which table/column.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// A dashboard role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Only the sections assigned to them.
    Supervisor,
    /// Enrolment and devices.
    Operator,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Operator => "operator",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Sections a supervisor may see.
    pub sections: Vec<String>,
}

/// A section of the department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Short id, e.g. `BM` for Bina Marga.
    pub id: String,
    /// Name shown.
    pub name: String,
    /// The calendar.
    pub calendar: SectionCalendar,
}

/// An employee, with the section the dashboard assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// NIP or roster id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Site (whose devices' watermarks decide when a day is known).
    pub site_id: String,
    /// Section id, if assigned.
    pub section: Option<String>,
}

/// An employee's roster entry (the device store's row, not the dashboard's section override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// NIP.
    pub id: String,
    /// Name.
    pub name: String,
    /// Site.
    pub site_id: String,
    /// Section in the roster.
    pub section_id: Option<String>,
    /// Whether a PIN is set.
    pub has_pin: bool,
    /// Face templates stored.
    pub templates: i64,
    /// When the last template was stored.
    pub last_template: Option<OffsetDateTime>,
}

/// A device as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Id.
    pub id: String,
    /// Site.
    pub site_id: String,
    /// `office` or `field`.
    pub mode: String,
    /// Last contact.
    pub last_seen: Option<OffsetDateTime>,
    /// Sync watermark.
    pub synced_until: Option<OffsetDateTime>,
    /// When revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Records stored from it.
    pub records: i64,
    /// Highest sequence number stored, and whether 1..=max are all present (chain health).
    pub max_seq: i64,
    /// Chain events (refused forks, gaps, broken links) and the latest one's reason and time.
    pub chain_events: i64,
    /// The latest chain event.
    pub last_chain_event: Option<(String, OffsetDateTime)>,
    /// Records kept in quarantine (implausible time; not attendance).
    pub quarantined: i64,
    /// Upload entries naming this device that were refused before reaching its chain.
    pub refused: i64,
    /// The latest refusal's reason and time.
    pub last_refused: Option<(String, OffsetDateTime)>,
}

/// An upload entry refused before it reached a device's chain (forged, altered, unknown or
/// revoked device, malformed), as the device API keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUpload {
    /// The device id the entry names, if readable.
    pub device_id: Option<String>,
    /// The sequence number, if readable.
    pub seq: Option<i64>,
    /// `malformed`, `unknown_device`, `revoked_device` or `bad_signature`.
    pub reason: String,
    /// For a technician.
    pub detail: String,
    /// The peer's address.
    pub remote_addr: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A record with what the dashboard shows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// The rules' view (decision already merged with the supervisor's).
    pub punch: Punch,
    /// Employee.
    pub employee_id: String,
    /// Device sequence number.
    pub seq: i64,
    /// Match score, basis points.
    pub match_score_bp: i64,
    /// Evidence photo hash.
    pub photo_sha256: String,
    /// The supervisor's reason for a confirmation or rejection.
    pub reason: Option<String>,
}

/// One line of the corrections log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// Row id (order of entry).
    pub id: i64,
    /// Employee.
    pub employee_id: String,
    /// Date concerned.
    pub date: Date,
    /// `cuti`, `sakit`, `izin`, `dinas_luar` or `cancel` (withdraws an earlier entry).
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Who entered it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

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

/// A late-board token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardToken {
    /// Label (which TV).
    pub label: String,
    /// Show initials only.
    pub initials_only: bool,
}

fn ms_to_dt(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

fn dt_to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Parses `HH:MM-HH:MM` into working hours.
pub fn parse_hours(s: &str) -> Option<WorkHours> {
    WorkHours::parse(s)
}

/// `HH:MM-HH:MM`.
pub fn format_hours(h: WorkHours) -> String {
    h.to_string()
}

/// Date as `YYYY-MM-DD`.
pub fn date_str(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

const SCHEMA: &str = r#"
-- Covering index for the month's read of the recaps (no table lookups per record).
CREATE INDEX IF NOT EXISTS dash_records_by_time ON records (
    recorded_at_ms, employee_id, direction, utc_offset_min, mode, decision, device_id);
CREATE TABLE IF NOT EXISTS dash_users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','supervisor','operator')));
CREATE TABLE IF NOT EXISTS dash_user_sections (
    user_id INTEGER NOT NULL REFERENCES dash_users(id), section_id TEXT NOT NULL,
    PRIMARY KEY (user_id, section_id));
CREATE TABLE IF NOT EXISTS dash_sessions (
    token_sha256 TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES dash_users(id),
    csrf TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dash_sections (
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    mon TEXT, tue TEXT, wed TEXT, thu TEXT, fri TEXT, sat TEXT, sun TEXT);
CREATE TABLE IF NOT EXISTS dash_section_exceptions (
    section_id TEXT NOT NULL, date TEXT NOT NULL, hours TEXT, reason TEXT NOT NULL,
    PRIMARY KEY (section_id, date));
CREATE TABLE IF NOT EXISTS dash_holidays (date TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_employee_sections (
    employee_id TEXT PRIMARY KEY, section_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_decisions (
    record_id INTEGER PRIMARY KEY, decision TEXT NOT NULL CHECK (decision IN ('confirmed','rejected')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dash_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT, employee_id TEXT NOT NULL, date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cuti','sakit','izin','dinas_luar','cancel')),
    reason TEXT NOT NULL, by_user TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dash_corrections_date ON dash_corrections (date);
CREATE TABLE IF NOT EXISTS dash_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, by_user TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dash_board_tokens (
    token_sha256 TEXT PRIMARY KEY, label TEXT NOT NULL, initials_only INTEGER NOT NULL);

CREATE TRIGGER IF NOT EXISTS dash_corrections_no_update BEFORE UPDATE ON dash_corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_corrections_no_delete BEFORE DELETE ON dash_corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_audit_no_update BEFORE UPDATE ON dash_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_audit_no_delete BEFORE DELETE ON dash_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS dash_decisions_no_update BEFORE UPDATE ON dash_decisions
BEGIN SELECT RAISE(ABORT, 'a decision on a record is final'); END;
CREATE TRIGGER IF NOT EXISTS dash_decisions_no_delete BEFORE DELETE ON dash_decisions
BEGIN SELECT RAISE(ABORT, 'a decision on a record is final'); END;
"#;

/// The dashboard's database handle (one connection behind a mutex; SQLite serialises writes
/// anyway and the dashboard's load is a handful of people).
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

fn parse_direction(s: &str) -> Direction {
    if s == "out" { Direction::Out } else { Direction::In }
}
fn parse_mode(s: &str) -> Mode {
    if s == "field" { Mode::Field } else { Mode::Office }
}
fn merge_decision(device: &str, dash: Option<&str>) -> Decision {
    match (device, dash) {
        (_, Some("rejected")) => Decision::Rejected,
        (_, Some("confirmed")) => Decision::Confirmed,
        ("valid", _) => Decision::Valid,
        _ => Decision::Pending,
    }
}

impl Store {
    /// Opens (or creates) the database file and applies the dashboard's schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory database with the device store's core schema (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()?;
        for m in crate::storage::migrations::CORE {
            conn.execute_batch(m.sqlite)?;
        }
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let core: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'employees', 'devices', 'photos')",
            [],
            |r| r.get(0),
        )?;
        if core != 4 {
            return Err(StoreError::CoreSchemaMissing);
        }
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    /// The connection (for the device-side writers in tests and the benchmark).
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock means a panic mid-statement; SQLite rolled back, so go on.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    // ---- users and sessions ----

    /// Adds a user with an Argon2 hash; returns the id.
    pub fn add_user(&self, username: &str, password_hash: &str, role: Role, sections: &[&str]) -> Result<i64, StoreError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO dash_users (username, password_hash, role) VALUES (?1, ?2, ?3)",
            params![username, password_hash, role.as_str()],
        )?;
        let id = c.last_insert_rowid();
        for s in sections {
            c.execute("INSERT INTO dash_user_sections (user_id, section_id) VALUES (?1, ?2)", params![id, s])?;
        }
        Ok(id)
    }

    /// Replaces a user's password hash.
    pub fn set_password(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        self.conn().execute("UPDATE dash_users SET password_hash = ?2 WHERE id = ?1", params![user_id, hash])?;
        Ok(())
    }

    fn user_where(&self, clause: &str, key: &dyn rusqlite::ToSql) -> Result<Option<User>, StoreError> {
        let c = self.conn();
        let row = c
            .query_row(
                &format!("SELECT id, username, password_hash, role FROM dash_users WHERE {clause}"),
                &[key],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)),
            )
            .optional()?;
        let Some((id, username, password_hash, role)) = row else { return Ok(None) };
        let role = Role::parse(&role).ok_or(StoreError::Invalid { what: "dash_users.role", detail: role })?;
        let mut st = c.prepare("SELECT section_id FROM dash_user_sections WHERE user_id = ?1 ORDER BY section_id")?;
        let sections = st.query_map([id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(Some(User { id, username, password_hash, role, sections }))
    }

    /// A user by login name.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.user_where("username = ?1", &username)
    }

    /// All users.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let ids: Vec<i64> = {
            let c = self.conn();
            let mut st = c.prepare("SELECT id FROM dash_users ORDER BY username")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(u) = self.user_where("id = ?1", &id)? {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Stores a session (by the token's hash) with its CSRF token.
    pub fn create_session(&self, token_sha256: &str, user_id: i64, csrf: &str, expires: OffsetDateTime) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO dash_sessions (token_sha256, user_id, csrf, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![token_sha256, user_id, csrf, dt_to_ms(expires)],
        )?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub fn session(&self, token_sha256: &str, now: OffsetDateTime) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn()
            .query_row(
                "SELECT user_id, csrf FROM dash_sessions WHERE token_sha256 = ?1 AND expires_at_ms > ?2",
                params![token_sha256, dt_to_ms(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((uid, csrf)) = row else { return Ok(None) };
        Ok(self.user_where("id = ?1", &uid)?.map(|u| (u, csrf)))
    }

    /// Ends a session.
    pub fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.conn().execute("DELETE FROM dash_sessions WHERE token_sha256 = ?1", [token_sha256])?;
        Ok(())
    }

    // ---- audit ----

    /// Appends to the audit log.
    pub fn audit(&self, by: &str, action: &str, detail: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![dt_to_ms(now), by, action, detail],
        )?;
        Ok(())
    }

    /// The last `limit` audit lines, newest first: (when, who, action, detail).
    pub fn audit_log(&self, limit: i64) -> Result<Vec<(OffsetDateTime, String, String, String)>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT at_ms, by_user, action, detail FROM dash_audit ORDER BY id DESC LIMIT ?1")?;
        let rows = st
            .query_map([limit], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .filter_map(|r| r.ok().and_then(|(ms, a, b, c)| Some((ms_to_dt(ms)?, a, b, c))))
            .collect();
        Ok(rows)
    }

    /// Audit lines newest first, at most `limit`, optionally only one action and/or one user,
    /// and only older than line `before` (paging).
    pub fn audit_lines(&self, action: Option<&str>, by: Option<&str>, before: Option<i64>, limit: i64) -> Result<Vec<AuditLine>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT id, at_ms, by_user, action, detail FROM dash_audit
             WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR by_user = ?2) AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4",
        )?;
        let rows = st
            .query_map(params![action, by, before, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(|(id, ms, by, action, detail)| Some(AuditLine { id, at: ms_to_dt(ms)?, by, action, detail }))
            .collect();
        Ok(rows)
    }

    /// The actions that occur in the audit log, sorted.
    pub fn audit_actions(&self) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT DISTINCT action FROM dash_audit ORDER BY action")?;
        let rows = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    // ---- sections, calendars, settings ----

    /// Adds or replaces a section and its weekly schedule.
    pub fn put_section(&self, id: &str, name: &str, weekly: &WeeklySchedule) -> Result<(), StoreError> {
        let d: Vec<Option<String>> = weekly.days().iter().map(|h| h.map(format_hours)).collect();
        self.conn().execute(
            "INSERT OR REPLACE INTO dash_sections (id, name, mon, tue, wed, thu, fri, sat, sun)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, name, d[0], d[1], d[2], d[3], d[4], d[5], d[6]],
        )?;
        Ok(())
    }

    /// Adds or replaces a section's exception for a date (`hours` None: day off).
    pub fn put_exception(&self, section: &str, date: Date, hours: Option<WorkHours>, reason: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO dash_section_exceptions (section_id, date, hours, reason) VALUES (?1, ?2, ?3, ?4)",
            params![section, date_str(date), hours.map(format_hours), reason],
        )?;
        Ok(())
    }

    /// All sections with their calendars, by id.
    pub fn sections(&self) -> Result<Vec<Section>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT id, name, mon, tue, wed, thu, fri, sat, sun FROM dash_sections ORDER BY id")?;
        let raw = st
            .query_map([], |r| {
                let mut days: [Option<String>; 7] = Default::default();
                for (i, d) in days.iter_mut().enumerate() {
                    *d = r.get(2 + i)?;
                }
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, days))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut ex_st = c.prepare("SELECT section_id, date, hours, reason FROM dash_section_exceptions")?;
        let mut exceptions: HashMap<String, BTreeMap<Date, DayException>> = HashMap::new();
        for row in ex_st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
        })? {
            let (sid, d, hours, reason) = row?;
            let date = parse_date(&d).ok_or(StoreError::Invalid { what: "dash_section_exceptions.date", detail: d })?;
            let ex = match hours {
                Some(h) => DayException::Hours(
                    parse_hours(&h).ok_or(StoreError::Invalid { what: "dash_section_exceptions.hours", detail: h })?,
                ),
                None => DayException::Off(reason),
            };
            exceptions.entry(sid).or_default().insert(date, ex);
        }
        raw.into_iter()
            .map(|(id, name, days)| {
                let mut w = [None; 7];
                for (i, d) in days.iter().enumerate() {
                    if let Some(s) = d {
                        w[i] = Some(parse_hours(s).ok_or_else(|| StoreError::Invalid {
                            what: "dash_sections weekly hours",
                            detail: format!("{id}: {s}"),
                        })?);
                    }
                }
                let mut calendar = SectionCalendar::new(WeeklySchedule::new(w));
                calendar.exceptions = exceptions.remove(&id).unwrap_or_default();
                Ok(Section { id, name, calendar })
            })
            .collect()
    }

    /// Adds or renames a holiday.
    pub fn put_holiday(&self, date: Date, name: &str) -> Result<(), StoreError> {
        self.conn().execute("INSERT OR REPLACE INTO dash_holidays (date, name) VALUES (?1, ?2)", params![date_str(date), name])?;
        Ok(())
    }

    /// All holidays.
    pub fn holidays(&self) -> Result<Holidays, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT date, name FROM dash_holidays")?;
        let mut h = Holidays::new();
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (d, n) = row?;
            h.insert(parse_date(&d).ok_or(StoreError::Invalid { what: "dash_holidays.date", detail: d })?, n);
        }
        Ok(h)
    }

    /// The rule settings (defaults for keys never set).
    pub fn settings(&self) -> Result<RuleSettings, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT key, value FROM dash_settings")?;
        let mut s = RuleSettings::default();
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (k, v) = row?;
            let bad = || StoreError::Invalid { what: "dash_settings", detail: format!("{k} = {v}") };
            let num = |v: &str| v.parse::<u32>().map_err(|_| bad());
            match k.as_str() {
                "tolerance_office_min" => s.tolerance_office_min = num(&v)?,
                "tolerance_field_min" => s.tolerance_field_min = num(&v)?,
                "overtime_after_min" => s.overtime_after_min = num(&v)?,
                "absent_bp" => s.absent_bp = num(&v)?,
                "daily_cap_bp" => s.daily_cap_bp = num(&v)?,
                k if k.starts_with("late_bp_") || k.starts_with("early_bp_") => {
                    let i: usize = k.rsplit('_').next().and_then(|x| x.parse().ok()).filter(|i| (1..=4).contains(i)).ok_or_else(bad)?;
                    let arr = if k.starts_with("late") { &mut s.late_bp } else { &mut s.early_bp };
                    arr[i - 1] = num(&v)?;
                }
                _ => {}
            }
        }
        s.validate().map_err(|e| StoreError::Invalid { what: "dash_settings", detail: e.to_string() })?;
        Ok(s)
    }

    /// Saves the rule settings (validated by the caller).
    pub fn put_settings(&self, s: &RuleSettings) -> Result<(), StoreError> {
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
        let mut c = self.conn();
        let tx = c.transaction()?;
        for (k, v) in pairs {
            tx.execute("INSERT OR REPLACE INTO dash_settings (key, value) VALUES (?1, ?2)", params![k, v.to_string()])?;
        }
        tx.commit()?;
        Ok(())
    }

    // ---- employees and devices ----

    /// Assigns an employee to a section.
    pub fn set_employee_section(&self, employee_id: &str, section: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO dash_employee_sections (employee_id, section_id) VALUES (?1, ?2)",
            params![employee_id, section],
        )?;
        Ok(())
    }

    /// Employees not removed, with their sections, by name.
    pub fn employees(&self) -> Result<Vec<Employee>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT e.employee_id, e.name, e.site_id, coalesce(s.section_id, e.section_id) FROM employees e
             LEFT JOIN dash_employee_sections s ON s.employee_id = e.employee_id
             WHERE e.removed_at_ms IS NULL ORDER BY e.name, e.employee_id",
        )?;
        let rows = st
            .query_map([], |r| Ok(Employee { id: r.get(0)?, name: r.get(1)?, site_id: r.get(2)?, section: r.get(3)? }))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// An employee as the roster (core table) holds them, for writes through the device store:
    /// `None` if unknown or removed.
    pub fn roster_entry(&self, employee_id: &str) -> Result<Option<RosterEntry>, StoreError> {
        let c = self.conn();
        let row = c
            .query_row(
                "SELECT e.employee_id, e.name, e.site_id, e.section_id, e.pin_hash IS NOT NULL,
                        (SELECT count(*) FROM face_templates t WHERE t.employee_id = e.employee_id),
                        (SELECT max(created_at_ms) FROM face_templates t WHERE t.employee_id = e.employee_id)
                 FROM employees e WHERE e.employee_id = ?1 AND e.removed_at_ms IS NULL",
                [employee_id],
                |r| {
                    Ok(RosterEntry {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        site_id: r.get(2)?,
                        section_id: r.get(3)?,
                        has_pin: r.get(4)?,
                        templates: r.get(5)?,
                        last_template: r.get::<_, Option<i64>>(6)?.and_then(ms_to_dt),
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Face templates stored per present employee (counts only; the templates stay sealed).
    pub fn template_counts(&self) -> Result<HashMap<String, i64>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT employee_id, count(*) FROM face_templates GROUP BY employee_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The sites of present employees (every roster the duplicate-face check must read).
    pub fn sites(&self) -> Result<Vec<String>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare("SELECT DISTINCT site_id FROM employees WHERE removed_at_ms IS NULL ORDER BY site_id")?;
        let rows = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Whether the device store keeps refused uploads (its migration core/2).
    fn has_refused_uploads(c: &Connection) -> Result<bool, StoreError> {
        let n: i64 =
            c.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'refused_uploads'", [], |r| r.get(0))?;
        Ok(n == 1)
    }

    /// All devices with record counts, chain health, quarantine and refused uploads.
    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let c = self.conn();
        let refused = if Self::has_refused_uploads(&c)? {
            "(SELECT count(*) FROM refused_uploads u WHERE u.device_id = d.device_id),
             (SELECT reason || ' ' || at_ms FROM refused_uploads u WHERE u.device_id = d.device_id ORDER BY at_ms DESC, id DESC LIMIT 1)"
        } else {
            "0, NULL"
        };
        let mut st = c.prepare(&format!(
            "SELECT d.device_id, d.site_id, d.mode, d.last_seen_ms, d.synced_until_ms, d.revoked_at_ms,
                    (SELECT count(*) FROM records r WHERE r.device_id = d.device_id),
                    (SELECT coalesce(max(seq), 0) FROM records r WHERE r.device_id = d.device_id),
                    (SELECT count(*) FROM chain_events e WHERE e.device_id = d.device_id),
                    (SELECT reason || ' ' || at_ms FROM chain_events e WHERE e.device_id = d.device_id ORDER BY at_ms DESC, id DESC LIMIT 1),
                    (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id),
                    {refused}
             FROM devices d ORDER BY d.site_id, d.device_id"
        ))?;
        // "reason at_ms" → (reason, time).
        let split = |v: Option<String>| {
            v.and_then(|s| {
                let (reason, ms) = s.rsplit_once(' ')?;
                Some((reason.to_owned(), ms_to_dt(ms.parse().ok()?)?))
            })
        };
        let rows = st
            .query_map([], |r| {
                Ok(Device {
                    id: r.get(0)?,
                    site_id: r.get(1)?,
                    mode: r.get(2)?,
                    last_seen: r.get::<_, Option<i64>>(3)?.and_then(ms_to_dt),
                    synced_until: r.get::<_, Option<i64>>(4)?.and_then(ms_to_dt),
                    revoked_at: r.get::<_, Option<i64>>(5)?.and_then(ms_to_dt),
                    records: r.get(6)?,
                    max_seq: r.get(7)?,
                    chain_events: r.get(8)?,
                    last_chain_event: split(r.get(9)?),
                    quarantined: r.get(10)?,
                    refused: r.get(11)?,
                    last_refused: split(r.get(12)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The latest refused upload entries, newest first (empty before the device store keeps
    /// them).
    pub fn refused_uploads(&self, limit: i64) -> Result<Vec<RefusedUpload>, StoreError> {
        let c = self.conn();
        if !Self::has_refused_uploads(&c)? {
            return Ok(Vec::new());
        }
        let mut st = c.prepare(
            "SELECT device_id, seq, reason, detail, remote_addr, at_ms FROM refused_uploads ORDER BY at_ms DESC, id DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)?))
            })?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter_map(|(device_id, seq, reason, detail, remote_addr, ms)| {
                Some(RefusedUpload { device_id, seq, reason, detail, remote_addr, at: ms_to_dt(ms)? })
            })
            .collect();
        Ok(rows)
    }

    /// Revokes a device (the device API refuses its uploads from then on).
    pub fn revoke_device(&self, device_id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE devices SET revoked_at_ms = ?2 WHERE device_id = ?1 AND revoked_at_ms IS NULL",
            params![device_id, dt_to_ms(now)],
        )?;
        Ok(n == 1)
    }

    /// The last known date per site at `offset` (every active device synced past it).
    pub fn known_through_by_site(&self, offset: UtcOffset) -> Result<HashMap<String, Option<Date>>, StoreError> {
        let mut by_site: HashMap<String, Vec<DeviceWatermark>> = HashMap::new();
        for d in self.devices()? {
            if d.revoked_at.is_some() {
                continue;
            }
            by_site.entry(d.site_id).or_default().push(DeviceWatermark { device_id: d.id, synced_until: d.synced_until });
        }
        Ok(by_site.into_iter().map(|(s, w)| (s, hadir_rules::known_through(&w, offset))).collect())
    }

    // ---- records, decisions, corrections ----

    fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordView> {
        let at_ms: i64 = r.get(4)?;
        let off_min: i64 = r.get(5)?;
        let offset = UtcOffset::from_whole_seconds((off_min * 60) as i32).unwrap_or(UtcOffset::UTC);
        let at = ms_to_dt(at_ms).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(offset);
        let device_decision: String = r.get(7)?;
        let dash: Option<String> = r.get(10)?;
        Ok(RecordView {
            punch: Punch {
                record_id: r.get(0)?,
                direction: parse_direction(&r.get::<_, String>(3)?),
                at,
                mode: parse_mode(&r.get::<_, String>(6)?),
                decision: merge_decision(&device_decision, dash.as_deref()),
                device_id: r.get::<_, String>(1)?.into(),
            },
            employee_id: r.get(2)?,
            seq: r.get(8)?,
            match_score_bp: r.get(9)?,
            photo_sha256: r.get(11)?,
            reason: r.get(12)?,
        })
    }

    const RECORD_COLS: &'static str = "r.id, r.device_id, r.employee_id, r.direction, r.recorded_at_ms, \
        r.utc_offset_min, r.mode, r.decision, r.seq, r.match_score_bp, d.decision, r.photo_sha256, d.reason";

    /// Records made between two instants (half-open), oldest first.
    pub fn records_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<RecordView>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(&format!(
            "SELECT {} FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id
             WHERE r.recorded_at_ms >= ?1 AND r.recorded_at_ms < ?2 ORDER BY r.recorded_at_ms",
            Self::RECORD_COLS
        ))?;
        let rows = st.query_map(params![dt_to_ms(from), dt_to_ms(to)], Self::record_from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Streams the punches made between two instants, grouped by employee (the monthly recap's
    /// path: no per-record allocation beyond the punch itself).
    pub fn punches_by_employee(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<HashMap<String, Vec<Punch>>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT r.id, r.device_id, r.employee_id, r.direction, r.recorded_at_ms, r.utc_offset_min, r.mode,
                    r.decision, d.decision
             FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id
             WHERE r.recorded_at_ms >= ?1 AND r.recorded_at_ms < ?2",
        )?;
        let mut rows = st.query(params![dt_to_ms(from), dt_to_ms(to)])?;
        let mut out: HashMap<String, Vec<Punch>> = HashMap::new();
        let mut offsets: HashMap<i64, UtcOffset> = HashMap::new();
        let mut devices: HashMap<String, std::sync::Arc<str>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let off_min: i64 = r.get(5)?;
            let offset = *offsets
                .entry(off_min)
                .or_insert_with(|| UtcOffset::from_whole_seconds((off_min * 60) as i32).unwrap_or(UtcOffset::UTC));
            let at = ms_to_dt(r.get(4)?).unwrap_or(OffsetDateTime::UNIX_EPOCH).to_offset(offset);
            let dir = r.get_ref(3)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?;
            let mode = r.get_ref(6)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e)))?;
            let dev_dec = r.get_ref(7)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))?;
            let dash: Option<String> = r.get(8)?;
            let dev = r.get_ref(1)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?;
            let device_id = match devices.get(dev) {
                Some(d) => d.clone(),
                None => {
                    let d: std::sync::Arc<str> = dev.into();
                    devices.insert(dev.to_owned(), d.clone());
                    d
                }
            };
            let punch = Punch {
                record_id: r.get(0)?,
                direction: parse_direction(dir),
                at,
                mode: parse_mode(mode),
                decision: merge_decision(dev_dec, dash.as_deref()),
                device_id,
            };
            let emp = r.get_ref(2)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
            match out.get_mut(emp) {
                Some(v) => v.push(punch),
                None => {
                    out.insert(emp.to_owned(), vec![punch]);
                }
            }
        }
        Ok(out)
    }

    /// One record.
    pub fn record(&self, id: i64) -> Result<Option<RecordView>, StoreError> {
        let c = self.conn();
        let row = c
            .query_row(
                &format!(
                    "SELECT {} FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id WHERE r.id = ?1",
                    Self::RECORD_COLS
                ),
                [id],
                Self::record_from_row,
            )
            .optional()?;
        Ok(row)
    }

    /// Records awaiting confirmation (device said so, no supervisor decision yet), oldest first.
    pub fn pending_records(&self) -> Result<Vec<RecordView>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(&format!(
            "SELECT {} FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id
             WHERE r.decision = 'needs_confirmation' AND d.record_id IS NULL ORDER BY r.recorded_at_ms",
            Self::RECORD_COLS
        ))?;
        let rows = st.query_map([], Self::record_from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Highest record id (the late board polls it to notice new records).
    pub fn max_record_id(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row("SELECT coalesce(max(id), 0) FROM records", [], |r| r.get(0))?)
    }

    /// Records a supervisor's decision; false when the record was already decided.
    pub fn decide(&self, record_id: i64, confirmed: bool, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO dash_decisions (record_id, decision, reason, by_user, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![record_id, if confirmed { "confirmed" } else { "rejected" }, reason, by, dt_to_ms(now)],
        )?;
        Ok(n == 1)
    }

    /// An evidence photo.
    pub fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.conn().query_row("SELECT jpeg FROM photos WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?)
    }

    /// Appends a correction (leave, travel, or a cancel of an earlier one).
    pub fn add_correction(&self, employee_id: &str, date: Date, kind: &str, reason: &str, by: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO dash_corrections (employee_id, date, kind, reason, by_user, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![employee_id, date_str(date), kind, reason, by, dt_to_ms(now)],
        )?;
        Ok(())
    }

    /// The corrections log, newest first.
    pub fn corrections(&self, limit: i64) -> Result<Vec<Correction>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT id, employee_id, date, kind, reason, by_user, at_ms FROM dash_corrections ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map([limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get::<_, i64>(6)?))
            })?
            .filter_map(Result::ok)
            .filter_map(|(id, employee_id, d, kind, reason, by, at)| {
                Some(Correction { id, employee_id, date: parse_date(&d)?, kind, reason, by, at: ms_to_dt(at)? })
            })
            .collect();
        Ok(rows)
    }

    /// The leave and travel in force per employee and date between two dates (inclusive): the
    /// latest correction for each (employee, date) wins; a `cancel` removes the day.
    pub fn excused_between(&self, from: Date, to: Date) -> Result<HashMap<String, BTreeMap<Date, Excused>>, StoreError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT employee_id, date, kind FROM dash_corrections WHERE date >= ?1 AND date <= ?2 ORDER BY id",
        )?;
        let mut out: HashMap<String, BTreeMap<Date, Excused>> = HashMap::new();
        for row in st.query_map(params![date_str(from), date_str(to)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })? {
            let (e, d, kind) = row?;
            let Some(date) = parse_date(&d) else { continue };
            let m = out.entry(e).or_default();
            match kind.as_str() {
                "cuti" => m.insert(date, Excused::Cuti),
                "sakit" => m.insert(date, Excused::Sakit),
                "izin" => m.insert(date, Excused::Izin),
                "dinas_luar" => m.insert(date, Excused::DinasLuar),
                _ => m.remove(&date),
            };
        }
        Ok(out)
    }

    // ---- board tokens ----

    /// Stores a board token (by hash).
    pub fn add_board_token(&self, token_sha256: &str, label: &str, initials_only: bool) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO dash_board_tokens (token_sha256, label, initials_only) VALUES (?1, ?2, ?3)",
            params![token_sha256, label, initials_only],
        )?;
        Ok(())
    }

    /// A board token's settings.
    pub fn board_token(&self, token_sha256: &str) -> Result<Option<BoardToken>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT label, initials_only FROM dash_board_tokens WHERE token_sha256 = ?1", [token_sha256], |r| {
                Ok(BoardToken { label: r.get(0)?, initials_only: r.get(1)? })
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    #[test]
    fn logs_are_append_only_and_decisions_final() {
        let s = Store::open_in_memory().unwrap();
        let now = datetime!(2026-03-02 10:00 UTC);
        s.add_correction("E1", date!(2026 - 03 - 02), "sakit", "surat dokter", "admin", now).unwrap();
        s.audit("admin", "x", "y", now).unwrap();
        let c = s.conn();
        assert!(c.execute("UPDATE dash_corrections SET reason = 'x'", []).is_err());
        assert!(c.execute("DELETE FROM dash_corrections", []).is_err());
        assert!(c.execute("DELETE FROM dash_audit", []).is_err());
        drop(c);
        assert!(s.decide(7, true, "ok", "spv", now).unwrap());
        assert!(!s.decide(7, false, "again", "spv", now).unwrap(), "a second decision is refused");
    }

    #[test]
    fn latest_correction_wins_and_cancel_removes() {
        let s = Store::open_in_memory().unwrap();
        let now = datetime!(2026-03-02 10:00 UTC);
        let d = date!(2026 - 03 - 02);
        s.add_correction("E1", d, "izin", "a", "admin", now).unwrap();
        s.add_correction("E1", d, "sakit", "b", "admin", now).unwrap();
        s.add_correction("E2", d, "cuti", "c", "admin", now).unwrap();
        s.add_correction("E2", d, "cancel", "d", "admin", now).unwrap();
        let ex = s.excused_between(d, d).unwrap();
        assert_eq!(ex["E1"].get(&d), Some(&Excused::Sakit));
        assert!(ex["E2"].is_empty());
        assert_eq!(s.corrections(10).unwrap().len(), 4);
    }

    #[test]
    fn sections_settings_round_trip() {
        let s = Store::open_in_memory().unwrap();
        let h = WorkHours::new(time!(07:30), time!(16:00)).unwrap();
        s.put_section("BM", "Bina Marga", &WeeklySchedule::weekdays(h)).unwrap();
        s.put_exception("BM", date!(2026 - 03 - 20), None, "Kerja bakti").unwrap();
        let secs = s.sections().unwrap();
        assert_eq!(secs[0].calendar.weekly, WeeklySchedule::weekdays(h));
        assert_eq!(secs[0].calendar.exceptions.len(), 1);
        let mut rs = RuleSettings::default();
        rs.late_bp[3] = 200;
        rs.daily_cap_bp = 450;
        s.put_settings(&rs).unwrap();
        assert_eq!(s.settings().unwrap(), rs);
    }
}
