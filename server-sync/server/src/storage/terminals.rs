//! ZKTeco terminals in the store: the terminals themselves (pending, approved, revoked), the
//! uploads held while a terminal waits for approval, its attendance records, refused lines,
//! operation log and command queue (migration component `terminals`, see
//! [`super::migrations::TERMINALS`]).
//!
//! It owns the `zk_*` tables and the SQL over them, written once for both backends
//! ([`super::portable`]). Every batch is written in one transaction, so the listener can answer
//! `OK: n` only after the batch is committed. It must not parse HTTP requests or decide answers
//! (the server's `terminals` module does), and it never writes the kiosks' signed `records`.
//!
//! # Records and the rulebook
//!
//! A terminal record counts like a kiosk record: [`Store::terminal_punches`] gives the same
//! [`Punch`] type. To keep the two apart without changing that type, a terminal punch has a
//! *negative* `record_id` (`-zk_records.id`) and a `device_id` of `ZK:<serial>`
//! ([`terminal_device_id`], [`terminal_serial`]); that is the source marker the pages and
//! exports show.
//!
//! # Which employee a PIN is
//!
//! An employee's "terminal user number" is a row of `zk_user_numbers (employee_id,
//! terminal_user)`; without a row the PIN is the employee id itself. The employee is resolved
//! when the line is stored (a record whose PIN matches no one keeps `employee_id` NULL and does
//! not count).

use super::portable::{Row, Stmt, Val, params};
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use hadir_rules::{Decision, Direction, Mode, Punch};
use hadir_zkteco::{AttlogBatch, OperlogBatch, StatusMeaning, StatusRule};
use std::collections::HashMap;
use std::sync::Arc;
use time::{OffsetDateTime, UtcOffset};

/// The `device_id` prefix of a terminal's punches.
pub const TERMINAL_PREFIX: &str = "ZK:";

/// The `device_id` a terminal's punches carry.
pub fn terminal_device_id(serial: &str) -> String {
    format!("{TERMINAL_PREFIX}{serial}")
}

/// The terminal's serial when a punch came from a terminal.
pub fn terminal_serial(device_id: &str) -> Option<&str> {
    device_id.strip_prefix(TERMINAL_PREFIX)
}

/// Where a terminal stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalState {
    /// Seen, not approved: its uploads are held.
    Pending,
    /// Approved for a site: its uploads are records.
    Approved,
    /// Revoked: its uploads are refused.
    Revoked,
}

impl TerminalState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TerminalState::Pending => "pending",
            TerminalState::Approved => "approved",
            TerminalState::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "pending" => Ok(TerminalState::Pending),
            "approved" => Ok(TerminalState::Approved),
            "revoked" => Ok(TerminalState::Revoked),
            other => Err(StorageError::Corrupt(format!("zk_terminals.state {other:?}"))),
        }
    }
}

/// A terminal as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    /// Serial number.
    pub serial: String,
    /// Pending, approved or revoked.
    pub state: TerminalState,
    /// The site it is approved for.
    pub site_id: Option<String>,
    /// First contact.
    pub first_seen: Option<OffsetDateTime>,
    /// Last contact.
    pub last_seen: Option<OffsetDateTime>,
    /// The last ATTLOG stamp stored.
    pub attlog_stamp: i64,
    /// The last OPERLOG stamp stored.
    pub operlog_stamp: i64,
    /// What the terminal said about itself (`options=`, `INFO=`).
    pub options: Option<String>,
    /// Its PUSH protocol version.
    pub push_version: Option<String>,
    /// Records stored from it.
    pub records: i64,
    /// Uploads held (while pending).
    pub held_uploads: i64,
    /// Commands queued or sent and not yet answered.
    pub open_commands: i64,
    /// Lines refused (malformed).
    pub refused_lines: i64,
}

const TERMINAL_SQL: &str = "SELECT t.serial, t.state, t.site_id, t.first_seen_ms, t.last_seen_ms, t.attlog_stamp, t.operlog_stamp,
        t.options, t.push_version,
        (SELECT count(*) FROM zk_records r WHERE r.serial = t.serial),
        (SELECT count(*) FROM zk_held_uploads h WHERE h.serial = t.serial),
        (SELECT count(*) FROM zk_commands c WHERE c.serial = t.serial AND c.state <> 'done'),
        (SELECT count(*) FROM zk_refused_lines l WHERE l.serial = t.serial)
     FROM zk_terminals t";

fn terminal(r: &dyn Row) -> Result<Terminal> {
    Ok(Terminal {
        serial: r.text(0)?,
        state: TerminalState::parse(&r.text(1)?)?,
        site_id: r.opt_text(2)?,
        first_seen: r.opt_i64(3)?.and_then(ms_to_dt),
        last_seen: r.opt_i64(4)?.and_then(ms_to_dt),
        attlog_stamp: r.i64(5)?,
        operlog_stamp: r.i64(6)?,
        options: r.opt_text(7)?,
        push_version: r.opt_text(8)?,
        records: r.i64(9)?,
        held_uploads: r.i64(10)?,
        open_commands: r.i64(11)?,
        refused_lines: r.i64(12)?,
    })
}

/// A held upload of a pending terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldUpload {
    /// Id.
    pub id: i64,
    /// `ATTLOG`, `OPERLOG` …
    pub table: String,
    /// The stamp as sent.
    pub stamp: Option<String>,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// What storing an ATTLOG batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttlogStored {
    /// New records.
    pub stored: usize,
    /// Lines already stored (same terminal, PIN and time).
    pub duplicates: usize,
    /// Malformed lines (kept in `zk_refused_lines`).
    pub refused: usize,
}

/// A stored terminal record, as tests and the administrator see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    /// Id (the punch's `record_id` is its negative).
    pub id: i64,
    /// Terminal.
    pub serial: String,
    /// PIN as sent.
    pub pin: String,
    /// The employee the PIN maps to.
    pub employee_id: Option<String>,
    /// The terminal's wall-clock time, as sent.
    pub local_time: String,
    /// UTC instant.
    pub recorded_at: OffsetDateTime,
    /// Status code as sent.
    pub status: i64,
    /// Verify code as sent.
    pub verify: i64,
    /// `in`, `out`, or `None` (not counted).
    pub direction: Option<String>,
    /// The raw line.
    pub raw: String,
    /// `terminal_unsigned`.
    pub provenance: String,
}

/// A command in a terminal's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalCommand {
    /// Id (the `C:<id>:` of the command line).
    pub id: i64,
    /// Terminal.
    pub serial: String,
    /// The command text after `C:<id>:`.
    pub command: String,
    /// `queued`, `sent` or `done`.
    pub state: String,
    /// `Return=` of the result.
    pub return_code: Option<i64>,
    /// The result line(s) as the terminal sent them.
    pub result: Option<String>,
    /// When queued.
    pub queued_at: Option<OffsetDateTime>,
}

fn command(r: &dyn Row) -> Result<TerminalCommand> {
    Ok(TerminalCommand {
        id: r.i64(0)?,
        serial: r.text(1)?,
        command: r.text(2)?,
        state: r.text(3)?,
        return_code: r.opt_i64(4)?,
        result: r.opt_text(5)?,
        queued_at: r.opt_i64(6)?.and_then(ms_to_dt),
    })
}

/// A stamp as sent, when it is a number.
fn stamp_number(stamp: Option<&str>) -> Option<i64> {
    stamp.and_then(|s| s.trim().parse::<i64>().ok()).filter(|n| *n >= 0)
}

/// Rows per `INSERT` of terminal records: one statement a chunk keeps PostgreSQL at one round
/// trip per chunk, and the parameters (11 a row) well under both backends' limits.
const RECORD_CHUNK: usize = 200;

/// The `INSERT` of `rows` terminal records; row `i` takes parameters `11 i + 1 ..= 11 i + 11`
/// (serial, PIN, local time, UTC ms, offset, status, verify, work code, direction, raw,
/// received). The employee is resolved in the statement (see the module docs).
fn insert_records_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO zk_records (serial, pin, employee_id, local_time, recorded_at_ms, utc_offset_min,
        status, verify, work_code, direction, raw, provenance, received_at_ms) VALUES ",
    );
    for i in 0..rows {
        let p = |k: usize| format!("${}", 11 * i + k);
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "({s}, {pin}, COALESCE((SELECT u.employee_id FROM zk_user_numbers u WHERE u.terminal_user = {pin}),
                (SELECT e.employee_id FROM employees e WHERE e.employee_id = {pin}
                    AND NOT EXISTS (SELECT 1 FROM zk_user_numbers m WHERE m.employee_id = e.employee_id))),
             {}, {}, {}, {}, {}, {}, {}, {}, 'terminal_unsigned', {})",
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8),
            p(9),
            p(10),
            p(11),
            s = p(1),
            pin = p(2),
        ));
    }
    sql.push_str(" ON CONFLICT (serial, pin, local_time) DO NOTHING");
    sql
}

/// `dash_settings` key of the administrator's status-code rule, as `code=in|out` pairs
/// separated by commas (`255=in,2=out`).
const STATUS_RULE_KEY: &str = "zk_status_rule";

/// The rule's stored text.
pub fn status_rule_text(rule: &StatusRule) -> String {
    rule.overrides()
        .iter()
        .map(|(code, d)| format!("{code}={}", if *d == hadir_zkteco::attlog::Direction::In { "in" } else { "out" }))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a rule's stored text; `None` when a pair is not `code=in` or `code=out`.
pub fn parse_status_rule(text: &str) -> Option<StatusRule> {
    let mut rule = StatusRule::standard();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, direction) = pair.split_once('=')?;
        let direction = match direction.trim() {
            "in" => hadir_zkteco::attlog::Direction::In,
            "out" => hadir_zkteco::attlog::Direction::Out,
            _ => return None,
        };
        rule = rule.with(code.trim().parse().ok()?, direction);
    }
    Some(rule)
}

const INSERT_REFUSED: &str = "INSERT INTO zk_refused_lines (serial, table_name, line_no, raw, reason, received_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// The statements storing an ATTLOG batch: inserts of [`RECORD_CHUNK`] lines (duplicates do
/// nothing), one a refused line, then the stamp. Returns the statements and how many of them
/// are record inserts (they come first).
pub fn attlog_stmts(serial: &str, batch: &AttlogBatch, rule: &StatusRule, offset: UtcOffset, stamp: Option<&str>, now_ms: i64) -> (Vec<Stmt>, usize) {
    let offset_min = i64::from(offset.whole_minutes());
    let mut stmts = Vec::with_capacity(batch.entries.len() / RECORD_CHUNK + batch.errors.len() + 2);
    for chunk in batch.entries.chunks(RECORD_CHUNK) {
        let mut values = Vec::with_capacity(chunk.len() * 11);
        for e in chunk {
            let direction = match e.meaning(rule) {
                StatusMeaning::In => Some("in"),
                StatusMeaning::Out => Some("out"),
                StatusMeaning::Other(_) => None,
            };
            values.extend(params![
                serial,
                e.pin.as_str(),
                local_text(e.local_time),
                dt_to_ms(e.utc(offset)),
                offset_min,
                i64::from(e.status),
                i64::from(e.verify.code()),
                e.work_code.as_str(),
                direction,
                e.raw.as_str(),
                now_ms
            ]);
        }
        stmts.push(Stmt::new(insert_records_sql(chunk.len()), values));
    }
    let inserts = stmts.len();
    for err in &batch.errors {
        stmts.push(Stmt::new(INSERT_REFUSED, params![serial, "ATTLOG", err.line as i64, err.raw.as_str(), err.kind.to_string(), now_ms]));
    }
    if let Some(n) = stamp_number(stamp) {
        stmts.push(Stmt::new("UPDATE zk_terminals SET attlog_stamp = $2 WHERE serial = $1", params![serial, n]));
    }
    (stmts, inserts)
}

/// The statements storing an OPERLOG batch: operations and users (no passwords, no
/// templates), refused lines, then the stamp.
pub fn operlog_stmts(serial: &str, batch: &OperlogBatch, stamp: Option<&str>, now_ms: i64) -> Vec<Stmt> {
    const INSERT: &str = "INSERT INTO zk_operlog (serial, kind, pin, name, local_time, raw, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let mut stmts = Vec::new();
    for op in &batch.operations {
        let local = local_text(op.local_time);
        stmts.push(Stmt::new(INSERT, params![serial, "OPLOG", None::<String>, None::<String>, local, op.raw.as_str(), now_ms]));
    }
    for u in &batch.users {
        // The raw USER line holds the terminal's password field: keep only PIN and name.
        let raw = format!("USER PIN={}\tName={}", u.pin, u.name);
        stmts.push(Stmt::new(INSERT, params![serial, "USER", u.pin.as_str(), u.name.as_str(), None::<String>, raw, now_ms]));
    }
    for err in &batch.errors {
        stmts.push(Stmt::new(INSERT_REFUSED, params![serial, "OPERLOG", err.line as i64, err.raw.as_str(), err.kind.to_string(), now_ms]));
    }
    if let Some(n) = stamp_number(stamp) {
        stmts.push(Stmt::new("UPDATE zk_terminals SET operlog_stamp = $2 WHERE serial = $1", params![serial, n]));
    }
    stmts
}

/// A terminal wall-clock time as stored (`YYYY-MM-DD HH:MM:SS`, as the terminal writes it).
fn local_text(t: time::PrimitiveDateTime) -> String {
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

fn count_stored(counts: &[u64], inserts: usize, lines: usize, refused: usize) -> AttlogStored {
    let stored = counts.iter().take(inserts).sum::<u64>() as usize;
    AttlogStored { stored, duplicates: lines.saturating_sub(stored), refused }
}

impl Store {
    /// The administrator's status-code rule for terminals (the standard mapping when none).
    pub async fn terminal_status_rule(&self) -> Result<StatusRule> {
        let stored = self
            .query_opt("read the terminals' status rule", "SELECT value FROM dash_settings WHERE key = $1", params![STATUS_RULE_KEY], |r| r.text(0))
            .await?;
        match stored {
            None => Ok(StatusRule::standard()),
            Some(text) => parse_status_rule(&text).ok_or_else(|| StorageError::Corrupt(format!("dash_settings: {STATUS_RULE_KEY} = {text}"))),
        }
    }

    /// Sets the status-code rule for the lines stored from now on (stored records keep the
    /// direction they were given; a paid month never changes); audited.
    pub async fn set_terminal_status_rule(&self, rule: &StatusRule, by: &str, now_ms: i64) -> Result<()> {
        let text = status_rule_text(rule);
        self.write_all(
            "set the terminals' status rule",
            vec![
                Stmt::new(
                    "INSERT INTO dash_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![STATUS_RULE_KEY, text.as_str()],
                ),
                Stmt::new("INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES ($1, $2, 'zk_status_rule', $3)", params![now_ms, by, text.as_str()]),
            ],
        )
        .await?;
        Ok(())
    }

    /// A terminal made contact: registers it as pending on first contact, notes the time (and
    /// what it said about itself, when it said something). Returns it as it now stands.
    pub async fn terminal_contact(&self, serial: &str, now_ms: i64, options: Option<&str>, push_version: Option<&str>) -> Result<Terminal> {
        self.write_all(
            "note a terminal's contact",
            vec![
                Stmt::new(
                    "INSERT INTO zk_terminals (serial, state, first_seen_ms, last_seen_ms) VALUES ($1, 'pending', $2, $2)
                     ON CONFLICT (serial) DO UPDATE SET last_seen_ms = $2",
                    params![serial, now_ms],
                ),
                Stmt::new(
                    "UPDATE zk_terminals SET options = COALESCE(CAST($2 AS TEXT), options), push_version = COALESCE(CAST($3 AS TEXT), push_version)
                     WHERE serial = $1",
                    params![serial, options, push_version],
                ),
            ],
        )
        .await?;
        self.terminal(serial).await?.ok_or_else(|| StorageError::Corrupt(format!("terminal {serial} vanished after its contact")))
    }

    /// One terminal.
    pub async fn terminal(&self, serial: &str) -> Result<Option<Terminal>> {
        self.query_opt("read a terminal", format!("{TERMINAL_SQL} WHERE t.serial = $1"), params![serial], terminal).await
    }

    /// Every terminal: pending first, then by site and serial.
    pub async fn terminals(&self) -> Result<Vec<Terminal>> {
        self.query_rows(
            "read terminals",
            format!("{TERMINAL_SQL} ORDER BY CASE t.state WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END, t.site_id, t.serial"),
            params![],
            terminal,
        )
        .await
    }

    /// Keeps an upload of a pending terminal as sent (not counted until approval).
    pub async fn hold_terminal_upload(&self, serial: &str, table: &str, stamp: Option<&str>, body: &[u8], lines: usize, now_ms: i64) -> Result<()> {
        let mut stmts = vec![Stmt::new(
            "INSERT INTO zk_held_uploads (serial, table_name, stamp, body, lines, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            params![serial, table, stamp, body.to_vec(), lines as i64, now_ms],
        )];
        // The stamp advances as for an approved terminal: a handshake must not ask for the
        // held lines again (they are kept).
        let column = if table.eq_ignore_ascii_case("ATTLOG") { Some("attlog_stamp") } else if table.eq_ignore_ascii_case("OPERLOG") { Some("operlog_stamp") } else { None };
        if let (Some(column), Some(n)) = (column, stamp_number(stamp)) {
            stmts.push(Stmt::new(format!("UPDATE zk_terminals SET {column} = $2 WHERE serial = $1"), params![serial, n]));
        }
        self.write_all("hold a pending terminal's upload", stmts).await?;
        Ok(())
    }

    /// The uploads held for a terminal, oldest first.
    pub async fn held_terminal_uploads(&self, serial: &str) -> Result<Vec<HeldUpload>> {
        self.query_rows(
            "read held uploads",
            "SELECT id, table_name, stamp, body FROM zk_held_uploads WHERE serial = $1 ORDER BY id",
            params![serial],
            |r| Ok(HeldUpload { id: r.i64(0)?, table: r.text(1)?, stamp: r.opt_text(2)?, body: r.opt_bytes(3)?.unwrap_or_default() }),
        )
        .await
    }

    /// Stores an approved terminal's ATTLOG batch in one transaction, its status codes read
    /// under the administrator's rule of the moment.
    pub async fn store_terminal_attlog(&self, serial: &str, batch: &AttlogBatch, offset: UtcOffset, stamp: Option<&str>, now_ms: i64) -> Result<AttlogStored> {
        let rule = self.terminal_status_rule().await?;
        let (stmts, inserts) = attlog_stmts(serial, batch, &rule, offset, stamp, now_ms);
        // A line counts for the employee whose terminal user number its PIN is, or whose id
        // it is: only their months change.
        let mut pins: Vec<&str> = batch.entries.iter().map(|e| e.pin.as_str()).collect();
        pins.sort_unstable();
        pins.dedup();
        let mut employees: Vec<String> = pins.iter().map(|p| (*p).to_owned()).collect();
        employees.extend(
            self.query_rows_in("read the owners of terminal user numbers", "SELECT employee_id FROM zk_user_numbers WHERE terminal_user IN ({keys})", Vec::new(), &pins, |r| r.text(0))
                .await?,
        );
        let counts = self.write_all_unmarked("store a terminal's ATTLOG batch", stmts).await;
        self.changes().employees(employees.iter().map(String::as_str));
        let counts = counts?;
        Ok(count_stored(&counts, inserts, batch.entries.len(), batch.errors.len()))
    }

    /// Stores an approved terminal's OPERLOG batch in one transaction.
    pub async fn store_terminal_operlog(&self, serial: &str, batch: &OperlogBatch, stamp: Option<&str>, now_ms: i64) -> Result<()> {
        self.write_all("store a terminal's OPERLOG batch", operlog_stmts(serial, batch, stamp, now_ms)).await?;
        Ok(())
    }

    /// Approves a terminal for a site and, in the same transaction, turns the held uploads
    /// `held` (already decoded by the caller into `stmts`) into records and forgets them.
    /// Returns false when the terminal is unknown.
    pub async fn approve_terminal(&self, serial: &str, site: &str, held_ids: &[i64], stmts: Vec<Stmt>, now_ms: i64) -> Result<bool> {
        if self.terminal(serial).await?.is_none() {
            return Ok(false);
        }
        let mut all = vec![Stmt::new(
            "UPDATE zk_terminals SET state = 'approved', site_id = $2, approved_at_ms = $3, revoked_at_ms = NULL WHERE serial = $1",
            params![serial, site, now_ms],
        )];
        all.extend(stmts);
        for id in held_ids {
            all.push(Stmt::new("DELETE FROM zk_held_uploads WHERE id = $1", params![*id]));
        }
        self.write_all("approve a terminal", all).await?;
        Ok(true)
    }

    /// Revokes a terminal (its uploads are refused from now on). False when unknown.
    pub async fn revoke_terminal(&self, serial: &str, now_ms: i64) -> Result<bool> {
        let n = self
            .write("revoke a terminal", "UPDATE zk_terminals SET state = 'revoked', revoked_at_ms = $2 WHERE serial = $1", params![serial, now_ms])
            .await?;
        Ok(n > 0)
    }

    /// An employee's terminal user number, when one is set (else the terminals know them by
    /// their employee id).
    pub async fn terminal_user_of(&self, employee_id: &str) -> Result<Option<String>> {
        self.query_opt("read a terminal user number", "SELECT terminal_user FROM zk_user_numbers WHERE employee_id = $1", params![employee_id], |r| r.text(0))
            .await
    }

    /// The employee who has terminal user number `number`, if anyone.
    pub async fn terminal_user_owner(&self, number: &str) -> Result<Option<String>> {
        self.query_opt("read a terminal user number's owner", "SELECT employee_id FROM zk_user_numbers WHERE terminal_user = $1", params![number], |r| r.text(0))
            .await
    }

    /// Sets an employee's terminal user number (the PIN on the terminals).
    pub async fn set_terminal_user(&self, employee_id: &str, terminal_user: &str) -> Result<()> {
        self.write_all(
            "set a terminal user number",
            vec![
                Stmt::new("DELETE FROM zk_user_numbers WHERE employee_id = $1 OR terminal_user = $2", params![employee_id, terminal_user]),
                Stmt::new("INSERT INTO zk_user_numbers (employee_id, terminal_user) VALUES ($1, $2)", params![employee_id, terminal_user]),
            ],
        )
        .await?;
        Ok(())
    }

    /// The terminal users of a site's roster: (PIN, name, employee id) of every employee not
    /// removed, PIN being the terminal user number or else the employee id.
    pub async fn terminal_roster(&self, site: &str) -> Result<Vec<(String, String, String)>> {
        self.query_rows(
            "read a site's roster for terminals",
            "SELECT COALESCE(u.terminal_user, e.employee_id), e.name, e.employee_id FROM employees e
             LEFT JOIN zk_user_numbers u ON u.employee_id = e.employee_id
             WHERE e.site_id = $1 AND e.removed_at_ms IS NULL ORDER BY e.employee_id",
            params![site],
            |r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)),
        )
        .await
    }

    /// The users the server pushed to a terminal and did not delete since: (PIN, name), in
    /// the order of their last `DATA UPDATE USERINFO` command.
    pub async fn terminal_pushed_users(&self, serial: &str) -> Result<Vec<(String, String)>> {
        let cmds = self
            .query_rows(
                "read commands pushed to a terminal",
                "SELECT command FROM zk_commands WHERE serial = $1 AND command LIKE 'DATA % USERINFO %' ORDER BY id",
                params![serial],
                |r| r.text(0),
            )
            .await?;
        let mut present: Vec<(String, String)> = Vec::new();
        for c in cmds {
            let (deleted, rest) = match c.strip_prefix("DATA UPDATE USERINFO ") {
                Some(rest) => (false, rest),
                None => (true, c.strip_prefix("DATA DELETE USERINFO ").unwrap_or_default()),
            };
            let field = |key: &str| rest.split('\t').find_map(|kv| kv.strip_prefix(key)).unwrap_or_default().to_owned();
            let pin = field("PIN=");
            present.retain(|(p, _)| *p != pin);
            if !deleted && !pin.is_empty() {
                present.push((pin, field("Name=")));
            }
        }
        Ok(present)
    }

    /// Queues commands (texts after `C:<id>:`) for a terminal, in order; returns their ids.
    pub async fn queue_terminal_commands(&self, serial: &str, commands: &[String], now_ms: i64) -> Result<usize> {
        let stmts = commands
            .iter()
            .map(|c| {
                Stmt::new(
                    "INSERT INTO zk_commands (serial, command, state, queued_at_ms) VALUES ($1, $2, 'queued', $3)",
                    params![serial, c.as_str(), now_ms],
                )
            })
            .collect();
        Ok(self.write_all("queue terminal commands", stmts).await?.len())
    }

    /// The queued commands of a terminal, marked sent (they go out in this poll's answer).
    pub async fn take_terminal_commands(&self, serial: &str, max: usize, now_ms: i64) -> Result<Vec<(i64, String)>> {
        let queued = self
            .query_rows(
                "read queued terminal commands",
                format!("SELECT id, command FROM zk_commands WHERE serial = $1 AND state = 'queued' ORDER BY id LIMIT {max}"),
                params![serial],
                |r| Ok((r.i64(0)?, r.text(1)?)),
            )
            .await?;
        if queued.is_empty() {
            return Ok(queued);
        }
        let stmts = queued
            .iter()
            .map(|(id, _)| Stmt::new("UPDATE zk_commands SET state = 'sent', sent_at_ms = $2 WHERE id = $1 AND state = 'queued'", params![*id, now_ms]))
            .collect();
        let counts = self.write_all("mark terminal commands sent", stmts).await?;
        // A concurrent poll of the same terminal may have taken some: send only ours.
        Ok(queued.into_iter().zip(counts).filter(|(_, n)| *n > 0).map(|(c, _)| c).collect())
    }

    /// Stores a terminal's command results (id, return code, result text); results for
    /// another terminal's ids are ignored. Returns how many matched a command.
    pub async fn store_terminal_results(&self, serial: &str, results: &[(i64, i64, String)], now_ms: i64) -> Result<usize> {
        let stmts = results
            .iter()
            .map(|(id, code, text)| {
                Stmt::new(
                    "UPDATE zk_commands SET state = 'done', return_code = $3, result = $4, done_at_ms = $5 WHERE id = $1 AND serial = $2",
                    params![*id, serial, *code, text.as_str(), now_ms],
                )
            })
            .collect();
        let counts = self.write_all("store terminal command results", stmts).await?;
        Ok(counts.iter().filter(|n| **n > 0).count())
    }

    /// A terminal's commands (or every terminal's), newest first.
    pub async fn terminal_commands(&self, serial: Option<&str>, limit: u32) -> Result<Vec<TerminalCommand>> {
        self.query_rows(
            "read terminal commands",
            format!(
                "SELECT id, serial, command, state, return_code, result, queued_at_ms FROM zk_commands
                 WHERE CAST($1 AS TEXT) IS NULL OR serial = $1 ORDER BY id DESC LIMIT {limit}"
            ),
            params![serial],
            command,
        )
        .await
    }

    /// A terminal's stored records, oldest first.
    pub async fn terminal_records(&self, serial: &str) -> Result<Vec<TerminalRecord>> {
        self.query_rows(
            "read terminal records",
            "SELECT id, serial, pin, employee_id, local_time, recorded_at_ms, status, verify, direction, raw, provenance
             FROM zk_records WHERE serial = $1 ORDER BY recorded_at_ms, id",
            params![serial],
            |r| {
                Ok(TerminalRecord {
                    id: r.i64(0)?,
                    serial: r.text(1)?,
                    pin: r.text(2)?,
                    employee_id: r.opt_text(3)?,
                    local_time: r.text(4)?,
                    recorded_at: ms_to_dt(r.i64(5)?).ok_or_else(|| StorageError::Corrupt("zk_records.recorded_at_ms".into()))?,
                    status: r.i64(6)?,
                    verify: r.i64(7)?,
                    direction: r.opt_text(8)?,
                    raw: r.text(9)?,
                    provenance: r.text(10)?,
                })
            },
        )
        .await
    }

    /// Lines refused from a terminal: (table, line number, raw line, reason), oldest first.
    pub async fn terminal_refused_lines(&self, serial: &str) -> Result<Vec<(String, i64, String, String)>> {
        self.query_rows(
            "read refused terminal lines",
            "SELECT table_name, line_no, raw, reason FROM zk_refused_lines WHERE serial = $1 ORDER BY id",
            params![serial],
            |r| Ok((r.text(0)?, r.i64(1)?, r.text(2)?, r.text(3)?)),
        )
        .await
    }

    /// Users a terminal reported in its OPERLOG: (PIN, name), latest first.
    pub async fn terminal_users(&self, serial: &str) -> Result<Vec<(String, String)>> {
        self.query_rows(
            "read users reported by a terminal",
            "SELECT pin, name FROM zk_operlog WHERE serial = $1 AND kind = 'USER' ORDER BY id DESC",
            params![serial],
            |r| Ok((r.text(0)?, r.text(1)?)),
        )
        .await
    }

    /// The counted terminal punches (an employee and IN/OUT) of approved or revoked terminals
    /// made between two instants, by employee; see the module docs for the source marker.
    pub async fn terminal_punches(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<HashMap<String, Vec<Punch>>> {
        let rows = self
            .query_rows(
                "read terminal punches",
                "SELECT id, serial, employee_id, direction, recorded_at_ms, utc_offset_min FROM zk_records
                 WHERE recorded_at_ms >= $1 AND recorded_at_ms < $2 AND employee_id IS NOT NULL AND direction IS NOT NULL",
                vec![Val::Int(dt_to_ms(from)), Val::Int(dt_to_ms(to))],
                |r| Ok((r.i64(0)?, r.text(1)?, r.text(2)?, r.text(3)?, r.i64(4)?, r.i64(5)?)),
            )
            .await?;
        let mut out: HashMap<String, Vec<Punch>> = HashMap::new();
        let mut devices: HashMap<String, Arc<str>> = HashMap::new();
        for (id, serial, employee, direction, at_ms, offset_min) in rows {
            let offset = super::records_view::offset_of(offset_min);
            let at = ms_to_dt(at_ms).ok_or_else(|| StorageError::Corrupt(format!("zk_records.recorded_at_ms {at_ms}")))?.to_offset(offset);
            let device_id = Arc::clone(devices.entry(serial.clone()).or_insert_with(|| terminal_device_id(&serial).into()));
            out.entry(employee).or_default().push(Punch {
                record_id: -id,
                direction: if direction == "out" { Direction::Out } else { Direction::In },
                at,
                mode: Mode::Office,
                decision: Decision::Valid,
                device_id,
            });
        }
        Ok(out)
    }

    /// Highest terminal record id (the late board adds it to notice new records).
    pub async fn max_terminal_record_id(&self) -> Result<i64> {
        Ok(self.query_opt("read last terminal record id", "SELECT coalesce(max(id), 0) FROM zk_records", params![], |r| r.i64(0)).await?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rules_read_back_and_bad_text_is_refused() {
        use hadir_zkteco::Direction::{In, Out};
        let cases: [(&str, Option<StatusRule>); 6] = [
            ("", Some(StatusRule::standard())),
            ("255=in", Some(StatusRule::standard().with(255, In))),
            (" 2=out , 255=in ", Some(StatusRule::standard().with(2, Out).with(255, In))),
            ("255=masuk", None),
            ("x=in", None),
            ("255", None),
        ];
        for (text, want) in cases {
            let got = parse_status_rule(text);
            assert_eq!(got, want, "{text:?}");
            if let Some(rule) = got {
                assert_eq!(parse_status_rule(&status_rule_text(&rule)), Some(rule), "{text:?} round trip");
            }
        }
    }

    #[test]
    fn stamps_and_markers() {
        let cases = [(Some("42"), Some(42)), (Some(" 7 "), Some(7)), (Some("x"), None), (Some("-1"), None), (None, None)];
        for (text, want) in cases {
            assert_eq!(stamp_number(text), want, "{text:?}");
        }
        assert_eq!(terminal_device_id("CKUH203360017"), "ZK:CKUH203360017");
        assert_eq!(terminal_serial("ZK:CKUH203360017"), Some("CKUH203360017"));
        assert_eq!(terminal_serial("KIOSK-01"), None);
    }

    #[test]
    fn record_inserts_number_their_parameters() {
        let two = insert_records_sql(2);
        assert!(two.contains("($1, $2, COALESCE(") && two.contains("($12, $13, COALESCE("), "{two}");
        assert!(two.contains("'terminal_unsigned', $22)") && !two.contains("$23"), "{two}");
        assert_eq!(count_stored(&[150, 3, 1], 2, 200, 1), AttlogStored { stored: 153, duplicates: 47, refused: 1 });
    }
}
