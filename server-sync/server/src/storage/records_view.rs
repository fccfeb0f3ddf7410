//! Records as the dashboard and the recaps see them: the device's record with the supervisor's
//! decision merged in ([`super::decisions::merge_decision`]), by time, by id, awaiting
//! confirmation, and the recap's month read.
//!
//! Terminal punches ([`super::terminals`]) are merged into the month read, marked by their
//! negative ids and `ZK:` device ids.
//!
//! It owns no table: it reads the core `records` (never writes one: a record is never changed
//! after it is made) joined with `dash_decisions`.
//!
//! # The month read
//!
//! [`Store::punches_by_employee`] reads a month of a department (600,000 rows for 10,000
//! employees) through the covering index `dash_records_by_time` (migration `dashboard/1`; on
//! PostgreSQL `INCLUDE (…)`), so no table row is visited. Per row it allocates only the punch
//! itself: text columns are borrowed from the row, device ids are shared (`Arc<str>`), offsets
//! cached. On SQLite it runs on the reader connection off the async workers; on PostgreSQL the
//! rows are streamed (`query_raw`), never collected first.

use super::decisions::merge_decision;
use super::portable::{Row, params};
use super::{Backend, Result, StorageError, Store, dt_to_ms, ms_to_dt};
use hadir_rules::{Direction, Mode, Punch};
use std::collections::HashMap;
use std::sync::Arc;
use time::{OffsetDateTime, UtcOffset};

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
    /// What the server doubts about it ([`crate::doubts`]); empty for most.
    pub flags: Vec<crate::doubts::Flag>,
    /// Its GPS fix, with the receiver's own view of its quality.
    pub gps: Option<RecordFix>,
    /// The site of the device that made it.
    pub device_site: Option<String>,
}

/// A stored record's GPS fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFix {
    /// Latitude, degrees × 10⁷.
    pub lat_e7: i64,
    /// Longitude, degrees × 10⁷.
    pub lon_e7: i64,
    /// The accuracy radius, decimetres.
    pub accuracy_dm: i64,
    /// HDOP × 100 (`None`: the receiver gave none).
    pub hdop_centi: Option<i64>,
    /// Satellites used.
    pub satellites: Option<i64>,
    /// 2D or 3D (`None`: not said, or a record of format 1).
    pub fix_mode: Option<hadir_protocol::FixMode>,
}

fn parse_direction(s: &str) -> Direction {
    if s == "out" { Direction::Out } else { Direction::In }
}

fn parse_mode(s: &str) -> Mode {
    if s == "field" { Mode::Field } else { Mode::Office }
}

/// A stored `utc_offset_min` as an offset (UTC when out of range).
pub(super) fn offset_of(minutes: i64) -> UtcOffset {
    i32::try_from(minutes * 60).ok().and_then(|s| UtcOffset::from_whole_seconds(s).ok()).unwrap_or(UtcOffset::UTC)
}

fn local_time(at_ms: i64, offset: UtcOffset) -> Result<OffsetDateTime> {
    ms_to_dt(at_ms)
        .map(|t| t.to_offset(offset))
        .ok_or_else(|| StorageError::Corrupt(format!("records.recorded_at_ms {at_ms}")))
}

const RECORD_COLS: &str = "r.id, r.device_id, r.employee_id, r.direction, r.recorded_at_ms, \
    r.utc_offset_min, r.mode, r.decision, r.seq, r.match_score_bp, d.decision, r.photo_sha256, d.reason, f.flags, \
    r.gps_lat_e7, r.gps_lon_e7, r.gps_accuracy_dm, v.site_id, r.gps_hdop_centi, r.gps_satellites, r.gps_fix_mode";

const RECORD_FROM: &str = "FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id \
    LEFT JOIN record_flags f ON f.record_id = r.id LEFT JOIN devices v ON v.device_id = r.device_id";

fn record_view(r: &dyn Row) -> Result<RecordView> {
    let at = local_time(r.i64(4)?, offset_of(r.i64(5)?))?;
    let supervisor = r.opt_text(10)?;
    let flags = r.opt_text(13)?.map(|j| super::parse_flags(&j)).unwrap_or_default();
    Ok(RecordView {
        punch: Punch {
            record_id: r.i64(0)?,
            direction: parse_direction(&r.text(3)?),
            at,
            mode: parse_mode(&r.text(6)?),
            decision: merge_decision(&r.text(7)?, supervisor.as_deref(), !flags.is_empty()),
            device_id: r.text(1)?.into(),
        },
        employee_id: r.text(2)?,
        seq: r.i64(8)?,
        match_score_bp: r.i64(9)?,
        photo_sha256: r.text(11)?,
        reason: r.opt_text(12)?,
        flags,
        gps: match (r.opt_i64(14)?, r.opt_i64(15)?) {
            (Some(lat_e7), Some(lon_e7)) => Some(RecordFix {
                lat_e7,
                lon_e7,
                accuracy_dm: r.opt_i64(16)?.unwrap_or(0),
                hdop_centi: r.opt_i64(18)?,
                satellites: r.opt_i64(19)?,
                fix_mode: r.opt_text(20)?.as_deref().and_then(hadir_protocol::FixMode::parse),
            }),
            _ => None,
        },
        device_site: r.opt_text(17)?,
    })
}

/// The month read's columns, in this order.
const PUNCH_SQL: &str = "SELECT r.id, r.device_id, r.employee_id, r.direction, r.recorded_at_ms, r.utc_offset_min,
        r.mode, r.decision, d.decision, f.record_id
     FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id LEFT JOIN record_flags f ON f.record_id = r.id
     WHERE r.recorded_at_ms >= $1 AND r.recorded_at_ms < $2";

/// One row of the month read, borrowed from the backend's row.
struct PunchRow<'a> {
    id: i64,
    device: &'a str,
    employee: &'a str,
    direction: &'a str,
    at_ms: i64,
    offset_min: i64,
    mode: &'a str,
    device_decision: &'a str,
    supervisor: Option<&'a str>,
    flagged: bool,
}

/// Groups the month's rows by employee; shared by both backends.
#[derive(Default)]
struct PunchesByEmployee {
    out: HashMap<String, Vec<Punch>>,
    offsets: HashMap<i64, UtcOffset>,
    devices: HashMap<String, Arc<str>>,
}

impl PunchesByEmployee {
    fn push(&mut self, r: &PunchRow<'_>) -> Result<()> {
        let offset = *self.offsets.entry(r.offset_min).or_insert_with(|| offset_of(r.offset_min));
        let device_id = match self.devices.get(r.device) {
            Some(d) => Arc::clone(d),
            None => {
                let d: Arc<str> = r.device.into();
                self.devices.insert(r.device.to_owned(), Arc::clone(&d));
                d
            }
        };
        let punch = Punch {
            record_id: r.id,
            direction: parse_direction(r.direction),
            at: local_time(r.at_ms, offset)?,
            mode: parse_mode(r.mode),
            decision: merge_decision(r.device_decision, r.supervisor, r.flagged),
            device_id,
        };
        match self.out.get_mut(r.employee) {
            Some(v) => v.push(punch),
            None => {
                self.out.insert(r.employee.to_owned(), vec![punch]);
            }
        }
        Ok(())
    }
}

fn sqlite_str<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<Option<&'a str>> {
    let err = |source| StorageError::Sqlite { context: format!("read the month's punches, column {i}"), source };
    match r.get_ref(i).map_err(err)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        v => v.as_str().map(Some).map_err(|e| StorageError::Corrupt(format!("records column {i}: {e}"))),
    }
}

fn sqlite_text_col<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str> {
    sqlite_str(r, i)?.ok_or_else(|| StorageError::Corrupt(format!("records column {i} is NULL")))
}

fn sqlite_punches(c: &mut rusqlite::Connection, from: i64, to: i64) -> Result<HashMap<String, Vec<Punch>>> {
    let err = |source| StorageError::Sqlite { context: "read the month's punches".into(), source };
    let mut st = c.prepare_cached(&super::portable::sqlite_text(PUNCH_SQL)).map_err(err)?;
    let mut rows = st.query(rusqlite::params![from, to]).map_err(err)?;
    let mut acc = PunchesByEmployee::default();
    while let Some(r) = rows.next().map_err(err)? {
        acc.push(&PunchRow {
            id: r.get(0).map_err(err)?,
            device: sqlite_text_col(r, 1)?,
            employee: sqlite_text_col(r, 2)?,
            direction: sqlite_text_col(r, 3)?,
            at_ms: r.get(4).map_err(err)?,
            offset_min: r.get(5).map_err(err)?,
            mode: sqlite_text_col(r, 6)?,
            device_decision: sqlite_text_col(r, 7)?,
            supervisor: sqlite_str(r, 8)?,
            flagged: r.get_ref(9).map_err(err)? != rusqlite::types::ValueRef::Null,
        })?;
    }
    Ok(acc.out)
}

async fn pg_punches(p: &super::postgres::PgStore, from: i64, to: i64) -> Result<HashMap<String, Vec<Punch>>> {
    use tokio_stream::StreamExt as _;
    let err = |source| StorageError::Postgres { context: "read the month's punches".into(), source };
    let mut c = p.lock_reader().await;
    let super::postgres::PgConn { client: c, statements } = &mut *c;
    let st = statements.get(c, PUNCH_SQL).await.map_err(err)?;
    let rows = c.query_raw(&st, [from, to]).await.map_err(err)?;
    let mut rows = std::pin::pin!(rows);
    let mut acc = PunchesByEmployee::default();
    while let Some(r) = rows.next().await {
        let r = r.map_err(err)?;
        acc.push(&PunchRow {
            id: r.try_get(0).map_err(err)?,
            device: r.try_get(1).map_err(err)?,
            employee: r.try_get(2).map_err(err)?,
            direction: r.try_get(3).map_err(err)?,
            at_ms: r.try_get(4).map_err(err)?,
            offset_min: i64::from(r.try_get::<_, i32>(5).map_err(err)?),
            mode: r.try_get(6).map_err(err)?,
            device_decision: r.try_get(7).map_err(err)?,
            supervisor: r.try_get(8).map_err(err)?,
            flagged: r.try_get::<_, Option<i64>>(9).map_err(err)?.is_some(),
        })?;
    }
    Ok(acc.out)
}

impl Store {
    /// Records made between two instants (half-open), oldest first.
    pub async fn records_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<RecordView>> {
        self.query_rows(
            "read records",
            format!("SELECT {RECORD_COLS} {RECORD_FROM} WHERE r.recorded_at_ms >= $1 AND r.recorded_at_ms < $2 ORDER BY r.recorded_at_ms, r.id"),
            params![dt_to_ms(from), dt_to_ms(to)],
            record_view,
        )
        .await
    }

    /// One record.
    pub async fn record(&self, id: i64) -> Result<Option<RecordView>> {
        self.query_opt("read record", format!("SELECT {RECORD_COLS} {RECORD_FROM} WHERE r.id = $1"), params![id], record_view)
            .await
    }

    /// Records awaiting confirmation (the device said so or the server flagged them, no
    /// supervisor decision yet), oldest first.
    pub async fn pending_records(&self) -> Result<Vec<RecordView>> {
        self.query_rows(
            "read records awaiting confirmation",
            format!(
                "SELECT {RECORD_COLS} {RECORD_FROM}
                 WHERE (r.decision = 'needs_confirmation' OR f.record_id IS NOT NULL) AND d.record_id IS NULL
                 ORDER BY r.recorded_at_ms, r.id"
            ),
            params![],
            record_view,
        )
        .await
    }

    /// Highest record id (the late board polls it to notice new records).
    pub async fn max_record_id(&self) -> Result<i64> {
        let id = self.query_opt("read last record id", "SELECT coalesce(max(id), 0) FROM records", params![], |r| r.i64(0)).await?;
        // Grows when a terminal's record arrives too (the board only compares it).
        Ok(id.unwrap_or(0) + self.max_terminal_record_id().await?)
    }

    /// The punches of these employees only, between two instants: a supervisor's sections are
    /// a few hundred people, and reading them through the `records_employee` index costs a
    /// fraction of the whole department's month (what [`Store::punches_by_employee`] reads).
    pub async fn punches_of(&self, employees: &[&str], from: OffsetDateTime, to: OffsetDateTime) -> Result<HashMap<String, Vec<Punch>>> {
        let wanted: std::collections::HashSet<&str> = employees.iter().copied().collect();
        let mut terminal = self.terminal_punches(from, to).await?;
        terminal.retain(|e, _| wanted.contains(e.as_str()));
        let (from_ms, to_ms) = (dt_to_ms(from), dt_to_ms(to));
        let rows = self
            .query_rows_in(
                "read punches of employees",
                "SELECT r.id, r.device_id, r.employee_id, r.direction, r.recorded_at_ms, r.utc_offset_min,
                        r.mode, r.decision, d.decision, f.record_id
                 FROM records r LEFT JOIN dash_decisions d ON d.record_id = r.id
                      LEFT JOIN record_flags f ON f.record_id = r.id
                 WHERE r.recorded_at_ms >= $1 AND r.recorded_at_ms < $2 AND r.employee_id IN ({keys})",
                params![from_ms, to_ms],
                employees,
                |r| Ok((r.i64(0)?, r.text(1)?, r.text(2)?, r.text(3)?, r.i64(4)?, r.i64(5)?, r.text(6)?, r.text(7)?, r.opt_text(8)?, r.opt_i64(9)?)),
            )
            .await?;
        let mut acc = PunchesByEmployee::default();
        for (id, device, employee, direction, at_ms, offset_min, mode, device_decision, supervisor, flag) in &rows {
            acc.push(&PunchRow {
                id: *id,
                device,
                employee,
                direction,
                at_ms: *at_ms,
                offset_min: *offset_min,
                mode,
                device_decision,
                supervisor: supervisor.as_deref(),
                flagged: flag.is_some(),
            })?;
        }
        let mut manual = self.manual_punches(from, to).await?;
        manual.retain(|e, _| wanted.contains(e.as_str()));
        let mut out = acc.out;
        merge(&mut out, terminal);
        merge(&mut out, manual);
        Ok(out)
    }

    /// The punches made between two instants, grouped by employee (the monthly recap's path;
    /// see the module docs).
    pub async fn punches_by_employee(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<HashMap<String, Vec<Punch>>> {
        let terminal = self.terminal_punches(from, to).await?;
        let manual = self.manual_punches(from, to).await?;
        let (from, to) = (dt_to_ms(from), dt_to_ms(to));
        let mut out = match &*self.backend {
            Backend::Sqlite(s) => s.read(move |c| sqlite_punches(c, from, to)).await?,
            Backend::Postgres(p) => pg_punches(p, from, to).await?,
        };
        merge(&mut out, terminal);
        merge(&mut out, manual);
        Ok(out)
    }
}

/// Adds punches from another source — ZKTeco terminals ([`super::terminals`]), manual entries
/// ([`super::manual`]) — which count like the kiosks' records; each employee's stay in time order.
fn merge(out: &mut HashMap<String, Vec<Punch>>, more: HashMap<String, Vec<Punch>>) {
    for (employee, punches) in more {
        let v = out.entry(employee).or_default();
        v.extend(punches);
        v.sort_by_key(|p| (p.at, p.record_id));
    }
}
