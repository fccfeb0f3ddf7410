//! Leave requests: cuti, sakit, izin or dinas luar for a range of dates, filed for an employee
//! with an optional attachment (a doctor's letter, a travel order), approved or refused by the
//! employee's supervisor with a reason.
//!
//! It owns `dash_leave_requests`. Approval writes the request's days into the corrections log
//! ([`super::corrections`]) in the same transaction, so an approved request excuses its days in
//! every recap exactly as an administrator's entry does; a refused request changes nothing.
//! What a valid request is ([`check_request`], [`attachment_type`]) is plain code.

use super::calendar::{date_str, parse_date};
use super::portable::{Stmt, params};
use super::{Result, StorageError, Store, dt_to_ms, ms_to_dt};
use hadir_rules::Excused;
use time::{Date, OffsetDateTime};

/// The largest attachment, bytes (a scanned letter).
pub const MAX_ATTACHMENT_BYTES: usize = 2 << 20;
/// The longest request, days.
pub const MAX_DAYS: i64 = 92;

/// Why a request cannot be filed; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveProblem {
    /// The range ends before it starts.
    #[error("to: the request ends ({to}) before it starts ({from})")]
    EndsBeforeStart {
        /// First day.
        from: Date,
        /// Last day.
        to: Date,
    },
    /// The range is too long.
    #[error("to: at most {MAX_DAYS} days in one request, this one has {0}")]
    TooLong(i64),
    /// No reason.
    #[error("reason: a reason is required")]
    NoReason,
    /// The attachment is not a PDF, JPEG or PNG.
    #[error("attachment: {0} is not a PDF, JPEG or PNG file")]
    AttachmentType(String),
    /// The attachment is too big.
    #[error("attachment: {name} has {bytes} bytes, at most {MAX_ATTACHMENT_BYTES} are accepted")]
    AttachmentSize {
        /// Its file name.
        name: String,
        /// Its size.
        bytes: usize,
    },
}

/// The attachment's media type, read from its first bytes (never from its name).
pub fn attachment_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// An attachment as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name given (shown, never used as a path).
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Checks a request before anything is written; returns the attachment's media type.
pub fn check_request(from: Date, to: Date, reason: &str, attachment: Option<&Attachment>) -> Result<Option<&'static str>, LeaveProblem> {
    if to < from {
        return Err(LeaveProblem::EndsBeforeStart { from, to });
    }
    let days = (to - from).whole_days() + 1;
    if days > MAX_DAYS {
        return Err(LeaveProblem::TooLong(days));
    }
    if reason.trim().is_empty() {
        return Err(LeaveProblem::NoReason);
    }
    attachment.map(check_attachment).transpose()
}

/// Checks an attachment (a leave request's or a manual entry's): its size, and that it is a
/// PDF, JPEG or PNG by its content; returns its media type.
pub fn check_attachment(a: &Attachment) -> Result<&'static str, LeaveProblem> {
    if a.bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(LeaveProblem::AttachmentSize { name: a.name.clone(), bytes: a.bytes.len() });
    }
    attachment_type(&a.bytes).ok_or_else(|| LeaveProblem::AttachmentType(a.name.clone()))
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveState {
    /// Waiting for the supervisor.
    Pending,
    /// Approved: its days are excused.
    Approved,
    /// Refused.
    Refused,
}

impl LeaveState {
    fn parse(s: &str) -> Option<LeaveState> {
        Some(match s {
            "pending" => LeaveState::Pending,
            "approved" => LeaveState::Approved,
            "refused" => LeaveState::Refused,
            _ => return None,
        })
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveRequest {
    /// Id.
    pub id: i64,
    /// Employee.
    pub employee_id: String,
    /// Cuti, sakit, izin or dinas luar.
    pub kind: Excused,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Why.
    pub reason: String,
    /// The attachment's file name, when there is one.
    pub attachment_name: Option<String>,
    /// State.
    pub state: LeaveState,
    /// Who filed it.
    pub filed_by: String,
    /// When.
    pub filed_at: OffsetDateTime,
    /// Who decided, when and why.
    pub decided: Option<(String, OffsetDateTime, String)>,
}

const COLS: &str = "id, employee_id, kind, from_date, to_date, reason, attachment_name, state, filed_by, filed_at_ms, decided_by, decided_at_ms, decision_reason";

fn request(r: &dyn super::portable::Row) -> Result<LeaveRequest> {
    let id = r.i64(0)?;
    let bad = |what: &str| StorageError::Corrupt(format!("dash_leave_requests {id}: {what}"));
    let decided = match (r.opt_text(10)?, r.opt_i64(11)?, r.opt_text(12)?) {
        (Some(by), Some(at), Some(why)) => Some((by, ms_to_dt(at).ok_or_else(|| bad("decided_at"))?, why)),
        _ => None,
    };
    Ok(LeaveRequest {
        id,
        employee_id: r.text(1)?,
        kind: Excused::parse(&r.text(2)?).ok_or_else(|| bad("kind"))?,
        from: parse_date(&r.text(3)?).ok_or_else(|| bad("from"))?,
        to: parse_date(&r.text(4)?).ok_or_else(|| bad("to"))?,
        reason: r.text(5)?,
        attachment_name: r.opt_text(6)?,
        state: LeaveState::parse(&r.text(7)?).ok_or_else(|| bad("state"))?,
        filed_by: r.text(8)?,
        filed_at: ms_to_dt(r.i64(9)?).ok_or_else(|| bad("filed_at"))?,
        decided,
    })
}

impl Store {
    /// Files a request (checked by [`check_request`] first); returns its id.
    pub async fn file_leave(
        &self,
        employee_id: &str,
        kind: Excused,
        from: Date,
        to: Date,
        reason: &str,
        attachment: Option<(&Attachment, &str)>,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let (name, media, bytes) = match attachment {
            Some((a, media)) => (Some(a.name.as_str()), Some(media), Some(a.bytes.clone())),
            None => (None, None, None),
        };
        self.insert_returning(
            "file a leave request",
            "INSERT INTO dash_leave_requests (employee_id, kind, from_date, to_date, reason, attachment_name,
                 attachment_type, attachment, state, filed_by, filed_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) RETURNING id",
            params![employee_id, kind.as_str(), date_str(from), date_str(to), reason, name, media, bytes, by, dt_to_ms(now)],
        )
        .await
    }

    /// One employee's requests, newest first (their own page).
    pub async fn leave_requests_of(&self, employee_id: &str, limit: i64) -> Result<Vec<LeaveRequest>> {
        self.query_rows(
            "read an employee's leave requests",
            format!("SELECT {COLS} FROM dash_leave_requests WHERE employee_id = $1 ORDER BY id DESC LIMIT $2"),
            params![employee_id, limit],
            request,
        )
        .await
    }

    /// Requests, newest first.
    pub async fn leave_requests(&self, limit: i64) -> Result<Vec<LeaveRequest>> {
        self.query_rows("read leave requests", format!("SELECT {COLS} FROM dash_leave_requests ORDER BY id DESC LIMIT $1"), params![limit], request)
            .await
    }

    /// One request.
    pub async fn leave_request(&self, id: i64) -> Result<Option<LeaveRequest>> {
        self.query_opt("read a leave request", format!("SELECT {COLS} FROM dash_leave_requests WHERE id = $1"), params![id], request).await
    }

    /// A request's attachment: media type and bytes.
    pub async fn leave_attachment(&self, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        self.query_opt(
            "read a leave attachment",
            "SELECT attachment_type, attachment FROM dash_leave_requests WHERE id = $1 AND attachment IS NOT NULL",
            params![id],
            |r| Ok((r.text(0)?, r.opt_bytes(1)?.unwrap_or_default())),
        )
        .await
    }

    /// Approves or refuses a pending request; approval excuses its days through the
    /// corrections log in the same transaction. `false` when it was not pending.
    pub async fn decide_leave(&self, id: i64, approve: bool, reason: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        let Some(req) = self.leave_request(id).await? else { return Ok(false) };
        let at = dt_to_ms(now);
        let mut stmts = vec![Stmt::new(
            "UPDATE dash_leave_requests SET state = $2, decided_by = $3, decided_at_ms = $4, decision_reason = $5
             WHERE id = $1 AND state = 'pending'",
            params![id, if approve { "approved" } else { "refused" }, by, at, reason],
        )];
        if approve {
            let mut d = req.from;
            loop {
                // Only if the state change above took: a request decided twice at once adds nothing.
                stmts.push(Stmt::new(
                    "INSERT INTO dash_corrections (employee_id, date, kind, reason, by_user, at_ms)
                     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS
                         (SELECT 1 FROM dash_leave_requests WHERE id = $7 AND decided_at_ms = $6 AND decided_by = $5)",
                    params![req.employee_id.as_str(), date_str(d), req.kind.as_str(), format!("leave request {id}: {}", req.reason), by, at, id],
                ));
                match d.next_day() {
                    Some(next) if next <= req.to => d = next,
                    _ => break,
                }
            }
        }
        let n = self.write_all("decide a leave request", stmts).await?;
        Ok(n.first() == Some(&1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn requests_are_checked_by_field() {
        let pdf = Attachment { name: "surat.pdf".into(), bytes: b"%PDF-1.7 ...".to_vec() };
        let exe = Attachment { name: "surat.pdf".into(), bytes: b"MZ\x90\x00".to_vec() };
        let big = Attachment { name: "scan.jpg".into(), bytes: [&[0xff, 0xd8, 0xff][..], &vec![0; MAX_ATTACHMENT_BYTES]].concat() };
        let png = Attachment { name: "foto".into(), bytes: b"\x89PNG\r\n\x1a\n....".to_vec() };
        let d = |day| Date::from_calendar_date(2026, time::Month::March, day).unwrap();
        let cases: Vec<(&str, Date, Date, &str, Option<&Attachment>, Result<Option<&str>, &str>)> = vec![
            ("one day, no attachment", d(2), d(2), "demam", None, Ok(None)),
            ("a PDF", d(2), d(4), "demam", Some(&pdf), Ok(Some("application/pdf"))),
            ("a PNG named without extension", d(2), d(4), "demam", Some(&png), Ok(Some("image/png"))),
            ("ends before it starts", d(4), d(2), "demam", None, Err("to: the request ends")),
            ("too long", date!(2026 - 01 - 01), date!(2026 - 04 - 30), "x", None, Err("to: at most 92 days")),
            ("no reason", d(2), d(2), "  ", None, Err("reason: a reason is required")),
            ("a program named .pdf", d(2), d(2), "x", Some(&exe), Err("attachment: surat.pdf is not a PDF, JPEG or PNG")),
            ("over the limit", d(2), d(2), "x", Some(&big), Err("attachment: scan.jpg has")),
        ];
        for (name, from, to, reason, a, want) in cases {
            match (check_request(from, to, reason, a), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(e), Err(want)) => assert!(e.to_string().starts_with(want), "{name}: {e}"),
                (got, want) => panic!("{name}: {got:?} vs {want:?}"),
            }
        }
        assert_eq!(check_request(d(1), d(31), "x", None).map(|_| ()), Ok(()), "a whole month is fine");
    }
}
