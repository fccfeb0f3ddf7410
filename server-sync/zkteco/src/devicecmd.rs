//! # Command results: what the terminal says it did with the server's commands
//!
//! After it runs commands from `getrequest` ([`crate::answer::Command`]), the terminal posts
//! their results to `POST /iclock/devicecmd`, one result a line:
//!
//! ```text
//! ID=<command id>&Return=<code>&CMD=<command word>
//! ```
//!
//! `ID` is the id the server gave in `C:<id>:…`; `Return` is 0 (or a positive count) on
//! success and negative on failure; `CMD` is the command's first word (`DATA`, `SET`,
//! `REBOOT` …). Several results may come in one body. Commands that report data (`INFO`,
//! `CHECK` …) follow their result line with `key=value` lines; those are kept as
//! [`CommandResult::detail`] of the result before them.
//!
//! It owns this body's grammar; it must not match results to queued commands or decide
//! what a failure means for the administrator (the server does).

use crate::attlog::BatchError;
use crate::limits::Limits;
use crate::request::query_pairs;
use crate::text;
use thiserror::Error;

/// One command's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The command id the server gave.
    pub id: u64,
    /// `Return=`: 0 or positive is success, negative is failure.
    pub return_code: i64,
    /// `CMD=`: the command's word, when sent.
    pub cmd: Option<String>,
    /// Other `key=value` pairs on the result line and on the lines after it.
    pub detail: Vec<(String, String)>,
}

impl CommandResult {
    /// Whether the terminal reports success (`Return` 0 or positive).
    pub fn succeeded(&self) -> bool {
        self.return_code >= 0
    }
}

/// Why a result line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResultErrorKind {
    /// The line is not `&`-separated `key=value` pairs with valid percent-encoding.
    #[error("not key=value pairs")]
    Malformed,
    /// `ID=` is missing or not a number.
    #[error("ID {0:?} is not a command id")]
    BadId(String),
    /// `Return=` is missing or not a number.
    #[error("Return {0:?} is not a number")]
    BadReturn(String),
    /// A `key=value` line before any result line.
    #[error("detail line before any ID= line")]
    Orphan,
}

/// A refused result line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind} (line: {raw:?})")]
pub struct ResultError {
    /// Its line number in the body (1-based).
    pub line: usize,
    /// The line as sent.
    pub raw: String,
    /// Why.
    pub kind: ResultErrorKind,
}

/// A decoded `devicecmd` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandResults {
    /// The results, in body order.
    pub results: Vec<CommandResult>,
    /// Refused lines.
    pub errors: Vec<ResultError>,
}

/// Decodes a `devicecmd` body.
pub fn parse(body: &[u8], limits: &Limits) -> Result<CommandResults, BatchError> {
    if body.len() > limits.max_body_bytes {
        return Err(BatchError::BodyTooLarge { len: body.len(), cap: limits.max_body_bytes });
    }
    let mut out = CommandResults::default();
    for (line, bytes) in text::lines(body) {
        let raw = text::decode(bytes).0.trim().to_string();
        let fail = |kind| ResultError { line, raw: raw.clone(), kind };
        let is_result = raw.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ID="));
        if !is_result {
            // Detail lines (`~SerialNumber=…`, `UserCount=…`): split on the first '=' only,
            // values may contain '&' or '='.
            match out.results.last_mut() {
                Some(last) => {
                    let (k, v) = raw.split_once('=').unwrap_or((raw.as_str(), ""));
                    last.detail.push((k.to_string(), v.to_string()));
                }
                None => out.errors.push(fail(ResultErrorKind::Orphan)),
            }
            continue;
        }
        let Some(pairs) = query_pairs(&raw) else {
            out.errors.push(fail(ResultErrorKind::Malformed));
            continue;
        };
        let get = |name: &str| pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
        let id = get("ID").unwrap_or("");
        let Ok(id) = id.parse::<u64>() else {
            out.errors.push(fail(ResultErrorKind::BadId(id.to_string())));
            continue;
        };
        let code = get("Return").unwrap_or("");
        let Ok(return_code) = code.parse::<i64>() else {
            out.errors.push(fail(ResultErrorKind::BadReturn(code.to_string())));
            continue;
        };
        let cmd = get("CMD").map(str::to_string);
        let detail = pairs
            .iter()
            .filter(|(k, _)| !["ID", "Return", "CMD"].iter().any(|n| n.eq_ignore_ascii_case(k)))
            .cloned()
            .collect();
        out.results.push(CommandResult { line, id, return_code, cmd, detail });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_several_results() {
        let body = b"ID=1&Return=0&CMD=DATA\nID=2&Return=0&CMD=DATA\r\nID=3&Return=-1002&CMD=SET\nID=4&Return=0&CMD=INFO\n~SerialNumber=CKUH203360017\nUserCount=12\n";
        let got = parse(body, &Limits::default()).expect("under the cap");
        assert_eq!(got.errors, vec![]);
        let summary: Vec<(usize, u64, i64, Option<&str>, bool)> =
            got.results.iter().map(|r| (r.line, r.id, r.return_code, r.cmd.as_deref(), r.succeeded())).collect();
        assert_eq!(
            summary,
            vec![
                (1, 1, 0, Some("DATA"), true),
                (2, 2, 0, Some("DATA"), true),
                (3, 3, -1002, Some("SET"), false),
                (4, 4, 0, Some("INFO"), true),
            ]
        );
        assert_eq!(got.results[3].detail, vec![("~SerialNumber".into(), "CKUH203360017".into()), ("UserCount".into(), "12".into())]);
    }

    #[test]
    fn refuses_bad_lines_with_their_numbers() {
        let body = b"Hello=1\nID=x&Return=0\nID=5&Return=ok\nID=6\nID=7&Return=0&CMD=%ZZ\nID=8&Return=1&CMD=DATA&Extra=y\n";
        let got = parse(body, &Limits::default()).expect("under the cap");
        let errors: Vec<(usize, ResultErrorKind)> = got.errors.iter().map(|e| (e.line, e.kind.clone())).collect();
        assert_eq!(
            errors,
            vec![
                (1, ResultErrorKind::Orphan),
                (2, ResultErrorKind::BadId("x".into())),
                (3, ResultErrorKind::BadReturn("ok".into())),
                (4, ResultErrorKind::BadReturn("".into())),
                (5, ResultErrorKind::Malformed),
            ]
        );
        assert_eq!(got.results.len(), 1);
        assert_eq!(got.results[0].detail, vec![("Extra".into(), "y".into())]);
    }

    #[test]
    fn refuses_a_body_over_the_cap() {
        let limits = Limits { max_body_bytes: 4, ..Limits::default() };
        assert_eq!(parse(b"ID=1&Return=0", &limits), Err(BatchError::BodyTooLarge { len: 13, cap: 4 }));
    }
}
