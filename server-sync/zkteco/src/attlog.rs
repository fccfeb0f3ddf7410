//! # ATTLOG: the terminal's attendance records, one punch a line
//!
//! An ATTLOG upload (`POST /iclock/cdata?table=ATTLOG`) is text, one record a line, fields
//! separated by tabs:
//!
//! ```text
//! PIN <TAB> YYYY-MM-DD HH:MM:SS <TAB> status <TAB> verify <TAB> workcode <TAB> reserved <TAB> reserved [<TAB> later fields…]
//! ```
//!
//! - `PIN`: the user number on the terminal (the employee's "terminal user number").
//! - the time on the terminal's wall clock, no zone ([`crate::localtime`]).
//! - `status`: the state key pressed: 0 check-in, 1 check-out, 2 break-out, 3 break-in,
//!   4 overtime-in, 5 overtime-out, 255 no state chosen ([`StatusRule::meaning`]).
//! - `verify`: how the person was verified ([`VerifyMode`]).
//! - `workcode`, then reserved fields; newer firmware appends more (mask flag, temperature
//!   …), which are kept as [`AttlogEntry::extra`] without being interpreted.
//!
//! Lines end in CRLF or LF; trailing tabs, blank lines and unknown trailing fields are
//! accepted. Each line is decoded on its own: a malformed line becomes a [`LineError`] with
//! its line number and the other lines are still decoded. Every entry and every error keeps
//! its raw line.
//!
//! It owns the line grammar, the status and verify codes and the size limits; it must not
//! deduplicate (the store does: same terminal, PIN and time), map a PIN to an employee, or
//! decide lateness (the rulebook does).
//!
//! ## Units and limits
//! - A PIN is 1 to [`MAX_PIN_LEN`] ASCII letters or digits (spaces around it are trimmed).
//! - The body cap and line cap come from [`Limits`]; a body over the cap is refused whole
//!   ([`BatchError::BodyTooLarge`]), a line over the cap is one [`LineErrorKind::TooLong`].
//! - [`AttlogBatch::processed`] is the `n` of the `OK: n` answer: every non-blank line,
//!   decoded or refused.

use crate::limits::Limits;
use crate::localtime::{self, TimeError};
use crate::text;
use std::collections::BTreeMap;
use thiserror::Error;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The longest PIN accepted (newer firmware allows 24 characters; older ones 9 digits).
pub const MAX_PIN_LEN: usize = 24;

/// IN or OUT: what an attendance record says the person did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Arriving (MASUK).
    In,
    /// Leaving (PULANG).
    Out,
}

/// What a status code means for attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusMeaning {
    /// Counts as an IN record.
    In,
    /// Counts as an OUT record.
    Out,
    /// Kept as sent, not counted as IN or OUT (break out/in, "no state", unknown codes).
    Other(u32),
}

/// How status codes map to IN/OUT at a site: the standard mapping plus the administrator's
/// rule for the other codes.
///
/// Standard: 0 (check-in) and 4 (overtime-in) are IN, 1 (check-out) and 5 (overtime-out)
/// are OUT, everything else (2 break-out, 3 break-in, 255 none, unknown codes) is
/// [`StatusMeaning::Other`]. An administrator may map any code, standard ones included
/// (for example 255 → IN on terminals that have no state keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusRule {
    overrides: BTreeMap<u32, Direction>,
}

impl StatusRule {
    /// The standard mapping, with no administrator rule.
    pub fn standard() -> Self {
        StatusRule::default()
    }

    /// This rule with `code` mapped to `direction`.
    pub fn with(mut self, code: u32, direction: Direction) -> Self {
        self.overrides.insert(code, direction);
        self
    }

    /// The administrator's mappings, by code.
    pub fn overrides(&self) -> &BTreeMap<u32, Direction> {
        &self.overrides
    }

    /// What `code` means under this rule.
    pub fn meaning(&self, code: u32) -> StatusMeaning {
        match self.overrides.get(&code) {
            Some(Direction::In) => StatusMeaning::In,
            Some(Direction::Out) => StatusMeaning::Out,
            None => standard_meaning(code),
        }
    }
}

/// The standard meaning of a status code (see [`StatusRule`]).
pub fn standard_meaning(code: u32) -> StatusMeaning {
    match code {
        0 | 4 => StatusMeaning::In,
        1 | 5 => StatusMeaning::Out,
        other => StatusMeaning::Other(other),
    }
}

/// How the person was verified at the terminal. Unknown codes are kept as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyMode {
    /// 0: any method (or password on some firmware).
    Any,
    /// 1: fingerprint.
    Fingerprint,
    /// 3: password.
    Password,
    /// 4: card.
    Card,
    /// 15: face.
    Face,
    /// Any other code (combinations, palm, …), as sent.
    Other(u32),
}

impl VerifyMode {
    /// The mode of a code.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => VerifyMode::Any,
            1 => VerifyMode::Fingerprint,
            3 => VerifyMode::Password,
            4 => VerifyMode::Card,
            15 => VerifyMode::Face,
            other => VerifyMode::Other(other),
        }
    }

    /// The code as the terminal sends it.
    pub fn code(self) -> u32 {
        match self {
            VerifyMode::Any => 0,
            VerifyMode::Fingerprint => 1,
            VerifyMode::Password => 3,
            VerifyMode::Card => 4,
            VerifyMode::Face => 15,
            VerifyMode::Other(code) => code,
        }
    }

    /// A short English name (`"face"`, `"verify 9"` for unknown codes), for logs and exports.
    pub fn name(self) -> String {
        match self {
            VerifyMode::Any => "any".into(),
            VerifyMode::Fingerprint => "fingerprint".into(),
            VerifyMode::Password => "password".into(),
            VerifyMode::Card => "card".into(),
            VerifyMode::Face => "face".into(),
            VerifyMode::Other(code) => format!("verify {code}"),
        }
    }
}

/// One decoded ATTLOG line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttlogEntry {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The line as sent, without its line end.
    pub raw: String,
    /// The terminal user number.
    pub pin: String,
    /// The time on the terminal's wall clock.
    pub local_time: PrimitiveDateTime,
    /// The status code as sent ([`StatusRule::meaning`]).
    pub status: u32,
    /// The verify mode.
    pub verify: VerifyMode,
    /// The work code as sent (often `0` or empty).
    pub work_code: String,
    /// The fields after the work code (reserved and later fields), as sent; trailing empty
    /// fields (trailing tabs) left out.
    pub extra: Vec<String>,
}

impl AttlogEntry {
    /// The record's UTC instant, reading its time in the site's offset.
    pub fn utc(&self, site_offset: UtcOffset) -> OffsetDateTime {
        localtime::to_utc(self.local_time, site_offset)
    }

    /// What its status means under a site's rule.
    pub fn meaning(&self, rule: &StatusRule) -> StatusMeaning {
        rule.meaning(self.status)
    }
}

/// Why one line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineErrorKind {
    /// Longer than [`Limits::max_line_bytes`].
    #[error("line of {len} bytes is over the limit of {cap} bytes")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        cap: usize,
    },
    /// A required field is missing or empty.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// The PIN is not 1 to [`MAX_PIN_LEN`] ASCII letters or digits.
    #[error("PIN {0:?} is not 1 to {MAX_PIN_LEN} letters or digits")]
    BadPin(String),
    /// The time is unreadable.
    #[error("time {text:?}: {reason}")]
    BadTime {
        /// The field as sent.
        text: String,
        /// Why.
        reason: TimeError,
    },
    /// The status is not a number.
    #[error("status {0:?} is not a number")]
    BadStatus(String),
    /// The verify mode is not a number.
    #[error("verify mode {0:?} is not a number")]
    BadVerify(String),
    /// Another numeric field is not a number (an OPERLOG operation code …).
    #[error("{field} {text:?} is not a number")]
    BadNumber {
        /// Which field.
        field: &'static str,
        /// The field as sent.
        text: String,
    },
    /// An OPERLOG line that starts with a word this crate does not know.
    #[error("unknown line kind {0:?}")]
    UnknownKind(String),
}

/// A refused line: its number, its raw text and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind} (line: {raw:?})")]
pub struct LineError {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The line as sent (decoded by [`crate::text::decode`]), without its line end.
    pub raw: String,
    /// Why it was refused.
    pub kind: LineErrorKind,
}

/// Why a whole body was refused (nothing in it was decoded).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    /// The body is over [`Limits::max_body_bytes`].
    #[error("body of {len} bytes is over the limit of {cap} bytes")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        cap: usize,
    },
}

/// A decoded ATTLOG body: the good lines and the refused ones, in line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttlogBatch {
    /// The decoded lines.
    pub entries: Vec<AttlogEntry>,
    /// The refused lines.
    pub errors: Vec<LineError>,
}

impl AttlogBatch {
    /// How many lines were processed, decoded or refused: the `n` of `OK: n`.
    pub fn processed(&self) -> usize {
        self.entries.len() + self.errors.len()
    }
}

/// Decodes an ATTLOG body line by line.
pub fn parse(body: &[u8], limits: &Limits) -> Result<AttlogBatch, BatchError> {
    if body.len() > limits.max_body_bytes {
        return Err(BatchError::BodyTooLarge { len: body.len(), cap: limits.max_body_bytes });
    }
    let mut batch = AttlogBatch::default();
    for (line, bytes) in text::lines(body) {
        match parse_line(line, bytes, limits) {
            Ok(entry) => batch.entries.push(entry),
            Err(error) => batch.errors.push(error),
        }
    }
    Ok(batch)
}

/// Decodes one ATTLOG line (without its line end); `line` is its number, for the result.
pub fn parse_line(line: usize, bytes: &[u8], limits: &Limits) -> Result<AttlogEntry, LineError> {
    let raw = text::decode(bytes).0.into_owned();
    let fail = |raw: String, kind| Err(LineError { line, raw, kind });
    if bytes.len() > limits.max_line_bytes {
        return fail(raw, LineErrorKind::TooLong { len: bytes.len(), cap: limits.max_line_bytes });
    }
    let mut fields = raw.split('\t').map(|f| f.trim_matches(' '));
    let mut required = |name: &'static str| match fields.next() {
        Some(f) if !f.is_empty() => Ok(f),
        _ => Err(LineErrorKind::MissingField(name)),
    };
    let parsed = (|| {
        let pin = required("PIN")?;
        let time = required("time")?;
        let status = required("status")?;
        let verify = required("verify")?;
        if pin.len() > MAX_PIN_LEN || !pin.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(LineErrorKind::BadPin(pin.to_string()));
        }
        let local_time = localtime::parse_local(time).map_err(|reason| LineErrorKind::BadTime { text: time.to_string(), reason })?;
        let status = status.parse::<u32>().map_err(|_| LineErrorKind::BadStatus(status.to_string()))?;
        let verify = verify.parse::<u32>().map_err(|_| LineErrorKind::BadVerify(verify.to_string()))?;
        Ok((pin.to_string(), local_time, status, VerifyMode::from_code(verify)))
    })();
    let (pin, local_time, status, verify) = match parsed {
        Ok(fields) => fields,
        Err(kind) => return fail(raw, kind),
    };
    let work_code = fields.next().unwrap_or("").to_string();
    let mut extra: Vec<String> = fields.map(str::to_string).collect();
    while extra.last().is_some_and(String::is_empty) {
        extra.pop();
    }
    Ok(AttlogEntry { line, raw, pin, local_time, status, verify, work_code, extra })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn maps_status_codes() {
        let admin = StatusRule::standard().with(255, Direction::In).with(3, Direction::In).with(2, Direction::Out);
        let cases = [
            (0, StatusMeaning::In, StatusMeaning::In),
            (1, StatusMeaning::Out, StatusMeaning::Out),
            (2, StatusMeaning::Other(2), StatusMeaning::Out),
            (3, StatusMeaning::Other(3), StatusMeaning::In),
            (4, StatusMeaning::In, StatusMeaning::In),
            (5, StatusMeaning::Out, StatusMeaning::Out),
            (255, StatusMeaning::Other(255), StatusMeaning::In),
            (7, StatusMeaning::Other(7), StatusMeaning::Other(7)),
        ];
        for (code, standard, with_rule) in cases {
            assert_eq!(StatusRule::standard().meaning(code), standard, "standard {code}");
            assert_eq!(standard_meaning(code), standard, "standard fn {code}");
            assert_eq!(admin.meaning(code), with_rule, "admin rule {code}");
        }
    }

    #[test]
    fn names_verify_codes() {
        let cases = [
            (0, VerifyMode::Any, "any"),
            (1, VerifyMode::Fingerprint, "fingerprint"),
            (3, VerifyMode::Password, "password"),
            (4, VerifyMode::Card, "card"),
            (15, VerifyMode::Face, "face"),
            (9, VerifyMode::Other(9), "verify 9"),
            (25, VerifyMode::Other(25), "verify 25"),
        ];
        for (code, mode, name) in cases {
            assert_eq!(VerifyMode::from_code(code), mode);
            assert_eq!(mode.code(), code);
            assert_eq!(mode.name(), name);
        }
    }

    #[test]
    fn decodes_lines() {
        let limits = Limits::default();
        // line, PIN, time, status, verify, work code, extra fields
        type Case<'a> = (&'a str, &'a str, PrimitiveDateTime, u32, VerifyMode, &'a str, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            ("1\t2026-12-02 07:58:12\t0\t1\t0\t0\t0", "1", datetime!(2026-12-02 07:58:12), 0, VerifyMode::Fingerprint, "0", &["0", "0"]),
            ("1002\t2026-12-02 16:01:00\t1\t15\t\t\t\t\t", "1002", datetime!(2026-12-02 16:01:00), 1, VerifyMode::Face, "", &[]),
            ("77\t2026-12-02 12:00:00\t255\t4", "77", datetime!(2026-12-02 12:00:00), 255, VerifyMode::Card, "", &[]),
            (" 5 \t2026-12-02 08:00:00\t0\t3\t7\t0\t0\t1\t36.5\t\t", "5", datetime!(2026-12-02 08:00:00), 0, VerifyMode::Password, "7", &["0", "0", "1", "36.5"]),
        ];
        for (line, pin, time, status, verify, work_code, extra) in cases {
            let entry = parse_line(4, line.as_bytes(), &limits).expect(line);
            assert_eq!(entry.line, 4);
            assert_eq!(entry.raw, *line);
            assert_eq!((entry.pin.as_str(), entry.local_time, entry.status, entry.verify), (*pin, *time, *status, *verify), "{line}");
            assert_eq!(entry.work_code, *work_code, "{line}");
            assert_eq!(entry.extra, extra.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{line}");
        }
    }

    #[test]
    fn refuses_lines_with_reasons() {
        let limits = Limits { max_line_bytes: 64, ..Limits::default() };
        let long = format!("1\t2026-12-02 07:58:12\t0\t1\t{}", "0".repeat(60));
        let cases: Vec<(&str, LineErrorKind)> = vec![
            ("1", LineErrorKind::MissingField("time")),
            ("\t2026-12-02 07:58:12\t0\t1", LineErrorKind::MissingField("PIN")),
            ("1\t2026-12-02 07:58:12", LineErrorKind::MissingField("status")),
            ("1\t2026-12-02 07:58:12\t0", LineErrorKind::MissingField("verify")),
            ("1\t2026-12-02 07:58:12\t\t1", LineErrorKind::MissingField("status")),
            ("1;2\t2026-12-02 07:58:12\t0\t1", LineErrorKind::BadPin("1;2".into())),
            ("1234567890123456789012345\t2026-12-02 07:58:12\t0\t1", LineErrorKind::BadPin("1234567890123456789012345".into())),
            ("1\t02/12/2026 07:58\t0\t1", LineErrorKind::BadTime { text: "02/12/2026 07:58".into(), reason: TimeError::Shape }),
            ("1\t2026-12-02 07:58:12\tIN\t1", LineErrorKind::BadStatus("IN".into())),
            ("1\t2026-12-02 07:58:12\t0\tFP", LineErrorKind::BadVerify("FP".into())),
            ("1\t2026-12-02 07:58:12\t-1\t1", LineErrorKind::BadStatus("-1".into())),
            (&long, LineErrorKind::TooLong { len: long.len(), cap: 64 }),
        ];
        for (line, kind) in cases {
            let got = parse_line(9, line.as_bytes(), &limits);
            assert_eq!(got, Err(LineError { line: 9, raw: line.to_string(), kind }), "{line}");
        }
    }

    #[test]
    fn a_bad_line_does_not_stop_the_others() {
        let body = b"1\t2026-12-02 07:58:12\t0\t1\t0\t0\t0\r\nrubbish\r\n\r\n2\t2026-12-02 07:59:00\t0\t15\t0\t0\t0\r\n";
        let batch = parse(body, &Limits::default()).expect("under the cap");
        assert_eq!(batch.entries.iter().map(|e| (e.line, e.pin.as_str())).collect::<Vec<_>>(), vec![(1, "1"), (4, "2")]);
        assert_eq!(batch.errors.len(), 1);
        assert_eq!((batch.errors[0].line, batch.errors[0].raw.as_str()), (2, "rubbish"));
        assert_eq!(batch.processed(), 3);
    }

    #[test]
    fn refuses_a_body_over_the_cap() {
        let limits = Limits { max_body_bytes: 10, ..Limits::default() };
        assert_eq!(parse(&[b'1'; 11], &limits), Err(BatchError::BodyTooLarge { len: 11, cap: 10 }));
        assert!(parse(&[b'1'; 10], &limits).is_ok());
    }

    #[test]
    fn converts_with_the_site_offset() {
        let entry = parse_line(1, b"1\t2026-12-02 08:00:00\t0\t1", &Limits::default()).expect("valid");
        assert_eq!(entry.utc(offset!(+8)), datetime!(2026-12-02 00:00:00 UTC));
        assert_eq!(entry.utc(offset!(+7)), datetime!(2026-12-02 01:00:00 UTC));
        assert_eq!(entry.utc(offset!(+9)), datetime!(2026-12-01 23:00:00 UTC));
    }
}
