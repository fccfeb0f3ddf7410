//! # OPERLOG: the terminal's operation log and user list
//!
//! An OPERLOG upload (`POST /iclock/cdata?table=OPERLOG`) mixes several kinds of line, each
//! introduced by a word:
//!
//! | line | what it is | kept here |
//! | --- | --- | --- |
//! | `OPLOG code<TAB>admin<TAB>YYYY-MM-DD HH:MM:SS<TAB>object<TAB>v1<TAB>v2<TAB>v3` | an operation on the terminal (enrolment, menu access, alarm …) | [`OperEntry`] |
//! | `USER PIN=…<TAB>Name=…<TAB>Pri=…<TAB>Passwd=…<TAB>Card=…<TAB>Grp=…<TAB>TZ=…` | a user added or changed at the terminal | [`UserEntry`] (no password) |
//! | `FP PIN=…<TAB>FID=…<TAB>Size=…<TAB>Valid=…<TAB>TMP=…` | a fingerprint template | counted in [`OperlogBatch::skipped`] |
//! | `BIODATA …`, `FACE …`, `FVEIN …`, `USERPIC …`, `BIOPHOTO …` | other biometric data or photos | counted in [`OperlogBatch::skipped`] |
//!
//! Decoded enough to count every line (for `OK: n`), keep the operations and keep the names
//! of users enrolled at the terminal, so an administrator can match terminal users to
//! employees.
//!
//! It owns the line grammar of this table; it must not keep biometric templates or the
//! terminal's user passwords (personal data Hadir has no use for: they are counted and
//! dropped), nor decide who a user is.
//!
//! ## Names and encodings
//! A user's name is whatever the terminal's keypad or software stored, in the firmware's
//! encoding. Each line is decoded by [`crate::text::decode`]: UTF-8, else GB18030, else
//! Latin-1; the encoding used is kept in [`UserEntry::name_encoding`].
//!
//! ## Units and limits
//! - The line cap of [`Limits`] applies to `OPLOG` and `USER` lines; skipped biometric
//!   lines may be longer (templates are kilobytes) and are counted without being read.

use crate::attlog::{LineError, LineErrorKind, MAX_PIN_LEN};
use crate::limits::Limits;
use crate::localtime;
use crate::text::{self, TextEncoding};
use std::collections::BTreeMap;
use time::PrimitiveDateTime;

pub use crate::attlog::BatchError;

/// The line words that carry biometric data or photos: counted, never kept.
pub const SKIPPED_KINDS: [&str; 6] = ["FP", "BIODATA", "FACE", "FVEIN", "USERPIC", "BIOPHOTO"];

/// An `OPLOG` line: one operation on the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperEntry {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The line as sent, without its line end.
    pub raw: String,
    /// The operation code (e.g. 0 power on, 3 alarm, 4 menu access, 6 fingerprint enrolled …).
    pub code: u32,
    /// Who did it (the administrator's PIN, `0` for none).
    pub admin: String,
    /// When, on the terminal's wall clock.
    pub local_time: PrimitiveDateTime,
    /// The operation's object and values, as sent (trailing empty fields left out).
    pub values: Vec<String>,
}

/// A `USER` line: a user added or changed at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The user number on the terminal.
    pub pin: String,
    /// The name, decoded (empty when the terminal has none).
    pub name: String,
    /// The encoding the line was decoded from.
    pub name_encoding: TextEncoding,
    /// `Pri=`: 0 user, 14 administrator (others are firmware-specific).
    pub privilege: Option<u32>,
    /// `Card=`: the card number, when one is set.
    pub card: Option<String>,
}

/// A decoded OPERLOG body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperlogBatch {
    /// `OPLOG` lines.
    pub operations: Vec<OperEntry>,
    /// `USER` lines.
    pub users: Vec<UserEntry>,
    /// Biometric and photo lines counted by their word (`FP` → 3).
    pub skipped: BTreeMap<String, usize>,
    /// Refused lines (unknown words included), with their line numbers.
    pub errors: Vec<LineError>,
}

impl OperlogBatch {
    /// How many lines were processed (kept, skipped or refused): the `n` of `OK: n`.
    pub fn processed(&self) -> usize {
        self.operations.len() + self.users.len() + self.skipped.values().sum::<usize>() + self.errors.len()
    }
}

/// Decodes an OPERLOG body line by line.
pub fn parse(body: &[u8], limits: &Limits) -> Result<OperlogBatch, BatchError> {
    if body.len() > limits.max_body_bytes {
        return Err(BatchError::BodyTooLarge { len: body.len(), cap: limits.max_body_bytes });
    }
    let mut batch = OperlogBatch::default();
    for (line, bytes) in text::lines(body) {
        let word_end = bytes.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(bytes.len());
        let word = &bytes[..word_end];
        if let Some(kind) = SKIPPED_KINDS.iter().find(|k| k.as_bytes().eq_ignore_ascii_case(word)) {
            *batch.skipped.entry((*kind).to_string()).or_default() += 1;
            continue;
        }
        let (raw, encoding) = text::decode(bytes);
        let raw = raw.into_owned();
        if bytes.len() > limits.max_line_bytes {
            let kind = LineErrorKind::TooLong { len: bytes.len(), cap: limits.max_line_bytes };
            batch.errors.push(LineError { line, raw, kind });
            continue;
        }
        let rest = raw.get(word_end..).unwrap_or("").trim_start_matches([' ', '\t']);
        let result = if word.eq_ignore_ascii_case(b"OPLOG") {
            oplog(line, rest).map(|op| batch.operations.push(OperEntry { raw: raw.clone(), ..op }))
        } else if word.eq_ignore_ascii_case(b"USER") {
            user(line, rest, encoding).map(|u| batch.users.push(u))
        } else {
            Err(LineErrorKind::UnknownKind(String::from_utf8_lossy(word).into_owned()))
        };
        if let Err(kind) = result {
            batch.errors.push(LineError { line, raw, kind });
        }
    }
    Ok(batch)
}

fn oplog(line: usize, rest: &str) -> Result<OperEntry, LineErrorKind> {
    let mut fields = rest.split('\t').map(|f| f.trim_matches(' '));
    let mut required = |name: &'static str| match fields.next() {
        Some(f) if !f.is_empty() => Ok(f),
        _ => Err(LineErrorKind::MissingField(name)),
    };
    let code = required("operation code")?;
    let admin = required("administrator")?.to_string();
    let time = required("time")?;
    let code = code.parse::<u32>().map_err(|_| LineErrorKind::BadNumber { field: "operation code", text: code.to_string() })?;
    let local_time = localtime::parse_local(time).map_err(|reason| LineErrorKind::BadTime { text: time.to_string(), reason })?;
    let mut values: Vec<String> = fields.map(str::to_string).collect();
    while values.last().is_some_and(String::is_empty) {
        values.pop();
    }
    Ok(OperEntry { line, raw: String::new(), code, admin, local_time, values })
}

/// The `key=value` fields of a `USER` (or similar) line, split on tabs.
pub(crate) fn key_values(rest: &str) -> impl Iterator<Item = (&str, &str)> {
    rest.split('\t').filter(|f| !f.is_empty()).map(|f| f.split_once('=').unwrap_or((f, "")))
}

fn user(line: usize, rest: &str, encoding: TextEncoding) -> Result<UserEntry, LineErrorKind> {
    let mut entry = UserEntry { line, pin: String::new(), name: String::new(), name_encoding: encoding, privilege: None, card: None };
    for (key, value) in key_values(rest) {
        match key.trim() {
            k if k.eq_ignore_ascii_case("PIN") => entry.pin = value.trim().to_string(),
            k if k.eq_ignore_ascii_case("Name") => entry.name = value.trim_end_matches('\0').trim().to_string(),
            k if k.eq_ignore_ascii_case("Pri") => entry.privilege = value.trim().parse().ok(),
            k if k.eq_ignore_ascii_case("Card") => entry.card = Some(value.trim().to_string()).filter(|c| !c.is_empty() && c != "0"),
            // Passwd, Grp, TZ, Verify, ViceCard …: not kept.
            _ => {}
        }
    }
    if entry.pin.is_empty() {
        return Err(LineErrorKind::MissingField("PIN"));
    }
    if entry.pin.len() > MAX_PIN_LEN || !entry.pin.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(LineErrorKind::BadPin(entry.pin));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn decodes_operations_users_and_skips_templates() {
        let body = b"OPLOG 4\t0\t2026-12-02 07:00:01\t0\t0\t0\t0\r\n\
USER PIN=1002\tName=Ni Made Ayu\tPri=0\tPasswd=1234\tCard=0\tGrp=1\tTZ=0000000100000000\tVerify=0\r\n\
FP PIN=1002\tFID=6\tSize=1184\tValid=1\tTMP=TXNTUzIxAAAE\r\n\
FP PIN=1002\tFID=7\tSize=1184\tValid=1\tTMP=TXNTUzIxAAAF\r\n\
BIODATA Pin=1002\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=39\tMinorVer=3\tFormat=0\tTmp=AAAA\r\n\
USER PIN=7\tName=Admin\tPri=14\tCard=12345678\r\n\
OPLOG 6\t0\t2026-12-02 07:02:00\t1002\t6\t0\t0\t\t\r\n";
        let batch = parse(body, &Limits::default()).expect("under the cap");
        assert_eq!(batch.errors, vec![]);
        assert_eq!(batch.processed(), 7);
        assert_eq!(batch.skipped, BTreeMap::from([("BIODATA".to_string(), 1), ("FP".to_string(), 2)]));
        let ops: Vec<(usize, u32, &str, PrimitiveDateTime, Vec<String>)> =
            batch.operations.iter().map(|o| (o.line, o.code, o.admin.as_str(), o.local_time, o.values.clone())).collect();
        assert_eq!(
            ops,
            vec![
                (1, 4, "0", datetime!(2026-12-02 07:00:01), vec!["0".into(), "0".into(), "0".into(), "0".into()]),
                (7, 6, "0", datetime!(2026-12-02 07:02:00), vec!["1002".into(), "6".into(), "0".into(), "0".into()]),
            ]
        );
        assert_eq!(batch.operations[0].raw, "OPLOG 4\t0\t2026-12-02 07:00:01\t0\t0\t0\t0");
        assert_eq!(
            batch.users,
            vec![
                UserEntry { line: 2, pin: "1002".into(), name: "Ni Made Ayu".into(), name_encoding: TextEncoding::Utf8, privilege: Some(0), card: None },
                UserEntry { line: 6, pin: "7".into(), name: "Admin".into(), name_encoding: TextEncoding::Utf8, privilege: Some(14), card: Some("12345678".into()) },
            ]
        );
    }

    #[test]
    fn decodes_names_in_each_encoding() {
        // "王伟" in GB18030: CD F5 CE B0. "Bébé" in Latin-1: 42 E9 62 E9.
        let cases: Vec<(Vec<u8>, &str, TextEncoding)> = vec![
            ([&b"USER PIN=1\tName="[..], "Ketut Ñoman".as_bytes(), b"\tPri=0"].concat(), "Ketut Ñoman", TextEncoding::Utf8),
            ([&b"USER PIN=1\tName="[..], &[0xCD, 0xF5, 0xCE, 0xB0], b"\tPri=0"].concat(), "王伟", TextEncoding::Gb18030),
            ([&b"USER PIN=1\tName="[..], &[0x42, 0xE9, 0x62, 0xE9], b"\tPri=0"].concat(), "Bébé", TextEncoding::Latin1),
        ];
        for (line, name, encoding) in cases {
            let batch = parse(&line, &Limits::default()).expect("under the cap");
            assert_eq!(batch.errors, vec![], "{name}");
            assert_eq!((batch.users[0].name.as_str(), batch.users[0].name_encoding), (name, encoding));
        }
    }

    #[test]
    fn refuses_bad_lines_and_counts_them() {
        let limits = Limits { max_line_bytes: 100, ..Limits::default() };
        let long_fp = format!("FP PIN=1\tFID=0\tTMP={}", "A".repeat(500));
        let body = format!(
            "OPLOG x\t0\t2026-12-02 07:00:01\nOPLOG 4\t0\tyesterday\nUSER Name=NoPin\nUSER PIN=a b\nATTLOG 1\t2\nOPLOG 4\t0\t2026-12-02 07:00:01\t{}\n{long_fp}\n",
            "9".repeat(100)
        );
        let batch = parse(body.as_bytes(), &limits).expect("under the cap");
        let lines: Vec<usize> = batch.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(batch.errors[0].kind, LineErrorKind::BadNumber { field: "operation code", text: "x".into() });
        assert!(matches!(batch.errors[1].kind, LineErrorKind::BadTime { .. }));
        assert_eq!(batch.errors[2].kind, LineErrorKind::MissingField("PIN"));
        assert_eq!(batch.errors[3].kind, LineErrorKind::BadPin("a b".into()));
        assert_eq!(batch.errors[4].kind, LineErrorKind::UnknownKind("ATTLOG".into()));
        assert!(matches!(batch.errors[5].kind, LineErrorKind::TooLong { cap: 100, .. }));
        assert_eq!(batch.skipped.get("FP"), Some(&1));
        assert_eq!(batch.processed(), 7);
    }
}
