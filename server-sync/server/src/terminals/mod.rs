//! # ZKTeco terminals: the server side of the attendance PUSH ("ADMS") protocol
//!
//! Offices keep their ZKTeco fingerprint and face terminals beside Hadir's kiosks; those
//! terminals push their logs over plain HTTP to an "ADMS" server, and this module is that
//! server. The protocol itself (requests, lines, answers, commands) is the pure
//! `hadir-zkteco` crate; this module decides what a request does to the store and what the
//! terminal is answered:
//!
//! | terminal | request | what happens | answer |
//! | --- | --- | --- | --- |
//! | any | unknown serial, first contact | registered as `pending` | as below |
//! | pending | handshake | contact noted | the options block |
//! | pending | upload | the body is **held**, raw, not counted; stamps advance | `OK: n` |
//! | pending | poll | contact noted | `OK` (no commands before approval) |
//! | approved | handshake | contact noted | options (stamps, `TimeZone` of the terminal's site) |
//! | approved | ATTLOG / OPERLOG upload | lines stored in one transaction, then answered | `OK: n` (every line: new, duplicate or refused) |
//! | approved | poll | roster differences queued as commands, queued commands sent | `OK` or `C:<id>:<command>` lines |
//! | approved | devicecmd | results stored | `OK` |
//! | revoked | any but ping | refused, logged (`warn`) | `403` with the reason |
//! | any | body over the cap (2 MiB) | nothing read | `413` |
//!
//! ## Why a pending terminal is answered `OK: n`
//! The terminal moves its stamp past what the server acknowledged with `OK: n`; anything else
//! makes it resend the same batch every `ErrorDelay` seconds for ever. Its uploads are kept
//! whole in `zk_held_uploads`, so acknowledging them loses nothing: approving the terminal
//! ([`approve`]) turns them into records. They count for attendance only from then on.
//!
//! ## Roster on the terminal
//! An approved terminal gets its site's roster as `DATA UPDATE USERINFO` commands (PIN: the
//! employee's terminal user number, default the employee id), and `DATA DELETE USERINFO` for
//! someone pushed before and no longer on the roster. The difference is worked out at every
//! poll ([`sync_roster`]), so roster changes reach the terminal without anyone asking.
//!
//! It owns the decisions above; it must not parse protocol text itself (the crate does) or
//! write SQL (the store's [`crate::storage::terminals`] does). [`http`] is the axum glue.

pub mod http;

use crate::Clock;
use crate::storage::portable::Stmt;
use crate::storage::terminals::{TerminalState, attlog_stmts, operlog_stmts};
use crate::storage::{StorageError, Store};
use hadir_zkteco::answer::{self, Command, HandshakeOptions, Pin, TerminalZone, UserInfo, ZkDateTime};
use hadir_zkteco::{Limits, Request, RequestError, Table, attlog, devicecmd, operlog, request};
use std::collections::BTreeMap;
use thiserror::Error;

/// The most commands sent in one poll answer (the rest go out at the next poll).
pub const MAX_COMMANDS_PER_POLL: usize = 64;

/// What the terminal listener shares.
#[derive(Clone)]
pub struct TerminalsState {
    /// The one store.
    pub store: Store,
    /// The server's zone (`[site] time_zone`): the zone of sites without their own, and of a
    /// terminal not yet approved for a site. A terminal's times are read in its site's zone,
    /// which is also sent to it as `TimeZone`.
    pub zone: hadir_rules::SiteZone,
    /// Now.
    pub clock: Clock,
    /// Body and line caps.
    pub limits: Limits,
}

impl std::fmt::Debug for TerminalsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalsState").field("zone", &self.zone.name()).field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl TerminalsState {
    /// The listener's state; refused when the zone is not whole hours (terminals take
    /// `TimeZone` in hours).
    pub fn new(store: Store, zone: hadir_rules::SiteZone, clock: Clock, limits: Limits) -> Result<Self, TerminalError> {
        TerminalZone::from_offset(zone.offset()).map_err(TerminalError::Answer)?;
        Ok(TerminalsState { store, zone, clock, limits })
    }

    /// The zone of `site` (the server's for a terminal not yet approved).
    async fn zone_of(&self, site: Option<&str>) -> Result<hadir_rules::SiteZone, TerminalError> {
        Ok(self.store.site_zones(&self.zone).await?.of(site.unwrap_or_default()).clone())
    }
}

/// Why a terminal operation failed.
#[derive(Debug, Error)]
pub enum TerminalError {
    /// The store failed (nothing was half-written: each step is one transaction).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No terminal with this serial has made contact.
    #[error("no terminal {0:?} has contacted the server (it must connect once before it can be approved)")]
    UnknownTerminal(String),
    /// The site is not in the roster.
    #[error("no site {0:?} in the roster (known sites: {1})")]
    UnknownSite(String, String),
    /// An answer or command could not be written.
    #[error("{0}")]
    Answer(hadir_zkteco::AnswerError),
}

/// An answer to a terminal: HTTP status and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// `text/plain` body.
    pub body: String,
}

impl Answer {
    fn ok(body: impl Into<String>) -> Answer {
        Answer { status: 200, body: body.into() }
    }
}

/// The answer to a request the protocol crate refused.
pub fn refusal(e: &RequestError) -> Answer {
    let status = match e {
        RequestError::BodyTooLarge { .. } => 413,
        RequestError::UnknownPath { .. } => 404,
        RequestError::WrongMethod { .. } => 405,
        _ => 400,
    };
    Answer { status, body: format!("{e}\n") }
}

/// Handles one terminal request (method, path, raw query, body) end to end. The batch an
/// upload carries is committed before the answer is returned.
pub async fn handle(st: &TerminalsState, method: &str, path: &str, query: &str, body: &[u8]) -> Result<Answer, TerminalError> {
    let req = match request::parse(method, path, query, body, &st.limits) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "terminal request refused");
            return Ok(refusal(&e));
        }
    };
    let now = (st.clock)();
    let serial = req.serial().as_str().to_owned();
    let (options, push_version) = match &req {
        Request::Handshake(h) => (h.options.clone(), h.push_version.clone()),
        Request::Poll(p) => (p.info.as_ref().map(|i| format!("INFO={i}")), None),
        _ => (None, None),
    };
    let t = st.store.terminal_contact(&serial, now, options.as_deref(), push_version.as_deref()).await?;
    if t.state == TerminalState::Revoked && !matches!(req, Request::Ping { .. }) {
        tracing::warn!(terminal = %serial, path, "request of a revoked terminal refused");
        return Ok(Answer { status: 403, body: format!("terminal {serial} is revoked\n") });
    }
    let approved = t.state == TerminalState::Approved;
    match req {
        Request::Handshake(_) => {
            let options = HandshakeOptions {
                attlog_stamp: u64::try_from(t.attlog_stamp).unwrap_or(0),
                operlog_stamp: u64::try_from(t.operlog_stamp).unwrap_or(0),
                ..HandshakeOptions::default()
            };
            if !approved {
                tracing::info!(terminal = %serial, "handshake of a terminal awaiting approval (hadir-server zk approve {serial} --site SITE)");
            }
            let serial = hadir_zkteco::SerialNumber::new(&serial).map_err(|e| TerminalError::UnknownTerminal(e.to_string()))?;
            let zone = TerminalZone::from_offset(st.zone_of(t.site_id.as_deref()).await?.offset()).map_err(TerminalError::Answer)?;
            Ok(Answer::ok(answer::handshake_answer(&serial, zone, &options)))
        }
        Request::Upload(up) => {
            let offset = st.zone_of(t.site_id.as_deref()).await?.offset();
            upload(st, &serial, approved, offset, up.table, up.stamp.as_deref(), up.body, now).await
        }
        Request::Poll(_) => {
            if !approved {
                return Ok(Answer::ok(answer::OK));
            }
            sync_roster(&st.store, &serial, now).await?;
            let taken = st.store.take_terminal_commands(&serial, MAX_COMMANDS_PER_POLL, now).await?;
            if taken.is_empty() {
                return Ok(Answer::ok(answer::OK));
            }
            // Stored text, sent as is: it was written by `Command::wire` when queued.
            let lines: String = taken.iter().map(|(id, text)| format!("C:{id}:{text}\n")).collect();
            Ok(Answer::ok(lines))
        }
        Request::CommandResults { body, .. } => {
            let parsed = match devicecmd::parse(body, &st.limits) {
                Ok(p) => p,
                Err(e) => return Ok(Answer { status: 413, body: format!("{e}\n") }),
            };
            for e in &parsed.errors {
                tracing::warn!(terminal = %serial, error = %e, "unreadable command result line");
            }
            let results: Vec<(i64, i64, String)> = parsed
                .results
                .iter()
                .map(|r| {
                    let mut text = format!("Return={}", r.return_code);
                    if let Some(c) = &r.cmd {
                        text.push_str(&format!("&CMD={c}"));
                    }
                    for (k, v) in &r.detail {
                        text.push_str(&format!("&{k}={v}"));
                    }
                    (i64::try_from(r.id).unwrap_or(i64::MAX), r.return_code, text)
                })
                .collect();
            let matched = st.store.store_terminal_results(&serial, &results, now).await?;
            if matched < results.len() {
                tracing::warn!(terminal = %serial, results = results.len(), matched, "command results for unknown command ids");
            }
            Ok(Answer::ok(answer::OK))
        }
        Request::Ping { .. } => Ok(Answer::ok(answer::OK)),
    }
}

/// Stores (or, before approval, holds) an upload; `offset` is the terminal's site's, in which
/// its local times are read.
#[allow(clippy::too_many_arguments)]
async fn upload(
    st: &TerminalsState,
    serial: &str,
    approved: bool,
    offset: time::UtcOffset,
    table: Table,
    stamp: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Answer, TerminalError> {
    let too_large = |e: attlog::BatchError| Answer { status: 413, body: format!("{e}\n") };
    match table {
        Table::AttLog => {
            let batch = match attlog::parse(body, &st.limits) {
                Ok(b) => b,
                Err(e) => return Ok(too_large(e)),
            };
            if approved {
                let stored = st.store.store_terminal_attlog(serial, &batch, offset, stamp, now).await?;
                if stored.refused > 0 {
                    tracing::warn!(terminal = %serial, refused = stored.refused, "malformed ATTLOG lines kept as refused");
                }
                tracing::debug!(terminal = %serial, stored = stored.stored, duplicates = stored.duplicates, "ATTLOG batch stored");
            } else {
                st.store.hold_terminal_upload(serial, table.as_str(), stamp, body, batch.processed(), now).await?;
                tracing::info!(terminal = %serial, lines = batch.processed(), "ATTLOG upload held until the terminal is approved");
            }
            Ok(Answer::ok(answer::upload_answer(batch.processed())))
        }
        Table::OperLog => {
            let batch = match operlog::parse(body, &st.limits) {
                Ok(b) => b,
                Err(e) => return Ok(too_large(e)),
            };
            if approved {
                st.store.store_terminal_operlog(serial, &batch, stamp, now).await?;
            } else {
                st.store.hold_terminal_upload(serial, table.as_str(), stamp, body, batch.processed(), now).await?;
            }
            Ok(Answer::ok(answer::upload_answer(batch.processed())))
        }
        // Photos and templates are not asked for (TransFlag) and not kept; the terminal's own
        // options table carries nothing the server uses.
        Table::AttPhoto | Table::BioData | Table::Options => {
            tracing::debug!(terminal = %serial, table = table.as_str(), bytes = body.len(), "upload of a table not kept");
            Ok(Answer::ok(answer::OK))
        }
    }
}

/// What approving a terminal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Approval {
    /// Held uploads turned into records.
    pub held_uploads: usize,
    /// Records of the terminal after approval.
    pub records: i64,
    /// Roster commands queued.
    pub roster: RosterPush,
}

/// Approves a terminal for a site: its held uploads become records (one transaction with the
/// approval, their times read in the site's zone of `zones`), and its site's roster is queued
/// for it.
pub async fn approve(store: &Store, serial: &str, site: &str, zones: &hadir_rules::SiteZones, limits: &Limits, now: i64) -> Result<Approval, TerminalError> {
    if store.terminal(serial).await?.is_none() {
        return Err(TerminalError::UnknownTerminal(serial.to_owned()));
    }
    let sites = store.sites().await?;
    if !sites.iter().any(|s| s == site) {
        return Err(TerminalError::UnknownSite(site.to_owned(), sites.join(", ")));
    }
    let offset = zones.of(site).offset();
    let held = store.held_terminal_uploads(serial).await?;
    // Held bodies were within the listener's cap when they came (which may be set above the
    // default): only the line cap applies now.
    let limits = &Limits { max_body_bytes: usize::MAX, ..*limits };
    let rule = store.terminal_status_rule().await?;
    let mut stmts: Vec<Stmt> = Vec::new();
    for h in &held {
        let stamp = h.stamp.as_deref();
        // Held bodies were within the cap when they came; a body the parser refuses now
        // is dropped with a warning rather than blocking the approval.
        match Table::from_param(&h.table) {
            Some(Table::AttLog) => match attlog::parse(&h.body, limits) {
                Ok(batch) => stmts.extend(attlog_stmts(serial, &batch, &rule, offset, stamp, now).0),
                Err(e) => tracing::warn!(terminal = %serial, held = h.id, error = %e, "held ATTLOG upload unreadable, dropped"),
            },
            Some(Table::OperLog) => match operlog::parse(&h.body, limits) {
                Ok(batch) => stmts.extend(operlog_stmts(serial, &batch, stamp, now)),
                Err(e) => tracing::warn!(terminal = %serial, held = h.id, error = %e, "held OPERLOG upload unreadable, dropped"),
            },
            _ => {}
        }
    }
    let ids: Vec<i64> = held.iter().map(|h| h.id).collect();
    store.approve_terminal(serial, site, &ids, stmts, now).await?;
    let roster = sync_roster(store, serial, now).await?;
    let records = store.terminal(serial).await?.map_or(0, |t| t.records);
    tracing::info!(terminal = %serial, site, held = held.len(), records, "terminal approved");
    Ok(Approval { held_uploads: held.len(), records, roster })
}

/// Revokes a terminal. False when no such terminal made contact.
pub async fn revoke(store: &Store, serial: &str, now: i64) -> Result<bool, TerminalError> {
    Ok(store.revoke_terminal(serial, now).await?)
}

/// Roster commands queued by [`sync_roster`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RosterPush {
    /// `DATA UPDATE USERINFO` queued (new or renamed users).
    pub updated: usize,
    /// `DATA DELETE USERINFO` queued (users no longer on the roster).
    pub deleted: usize,
    /// Employees whose PIN a terminal cannot take (set a terminal user number for them).
    pub skipped: usize,
}

/// Queues the commands that bring an approved terminal's users in line with its site's
/// roster, as far as the server pushed them before (users enrolled at the terminal by hand
/// are left alone).
pub async fn sync_roster(store: &Store, serial: &str, now: i64) -> Result<RosterPush, TerminalError> {
    let Some(t) = store.terminal(serial).await? else {
        return Err(TerminalError::UnknownTerminal(serial.to_owned()));
    };
    let (TerminalState::Approved, Some(site)) = (t.state, t.site_id) else {
        return Ok(RosterPush::default());
    };
    let pushed: BTreeMap<String, String> = store.terminal_pushed_users(serial).await?.into_iter().collect();
    let mut push = RosterPush::default();
    let mut commands = Vec::new();
    let mut on_roster = std::collections::BTreeSet::new();
    for (pin, name, employee) in store.terminal_roster(&site).await? {
        let user = match UserInfo::new(&pin, &name) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(terminal = %serial, employee, error = %e, "employee not pushed to the terminal (set a terminal user number)");
                push.skipped += 1;
                continue;
            }
        };
        on_roster.insert(pin.clone());
        if pushed.get(&pin).map(String::as_str) != Some(user.name()) {
            commands.push(Command::UpdateUser(user).wire());
            push.updated += 1;
        }
    }
    for pin in pushed.keys().filter(|p| !on_roster.contains(*p)) {
        if let Ok(pin) = Pin::new(pin) {
            commands.push(Command::DeleteUser(pin).wire());
            push.deleted += 1;
        }
    }
    if !commands.is_empty() {
        store.queue_terminal_commands(serial, &commands, now).await?;
    }
    Ok(push)
}

/// Queues setting a terminal's clock to now in its site's zone of `zones`.
pub async fn queue_set_time(store: &Store, serial: &str, zones: &hadir_rules::SiteZones, now: i64) -> Result<(), TerminalError> {
    let site = store.terminal(serial).await?.ok_or_else(|| TerminalError::UnknownTerminal(serial.to_owned()))?.site_id;
    let offset = zones.of(site.as_deref().unwrap_or_default()).offset();
    let at = crate::storage::ms_to_dt(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let cmd = Command::SetTime(ZkDateTime::at(at, offset).map_err(TerminalError::Answer)?);
    queue(store, serial, cmd, now).await
}

/// Queues a reboot.
pub async fn queue_reboot(store: &Store, serial: &str, now: i64) -> Result<(), TerminalError> {
    queue(store, serial, Command::Reboot, now).await
}

async fn queue(store: &Store, serial: &str, cmd: Command, now: i64) -> Result<(), TerminalError> {
    if store.terminal(serial).await?.is_none() {
        return Err(TerminalError::UnknownTerminal(serial.to_owned()));
    }
    store.queue_terminal_commands(serial, &[cmd.wire()], now).await?;
    Ok(())
}
