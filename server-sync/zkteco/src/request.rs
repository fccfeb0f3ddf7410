//! # The terminal's HTTP requests, typed
//!
//! A terminal speaking the attendance PUSH protocol makes four kinds of request, all under
//! `/iclock/`. This module turns the parts of an HTTP request the server's router already
//! has (method, path, raw query string, body bytes) into a [`Request`]:
//!
//! | request | what the terminal means | typed as |
//! | --- | --- | --- |
//! | `GET /iclock/cdata?SN=…&options=all&pushver=…&language=…` | "here I am, send my options" | [`Request::Handshake`] |
//! | `POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…` (body: lines) | "here are new records" | [`Request::Upload`] |
//! | `GET /iclock/getrequest?SN=…` | "any commands for me?" | [`Request::Poll`] |
//! | `POST /iclock/devicecmd?SN=…` (body: `ID=…&Return=…&CMD=…` lines) | "results of your commands" | [`Request::CommandResults`] |
//! | `GET /iclock/ping?SN=…` | "still here" (newer firmware, during long uploads) | [`Request::Ping`] |
//!
//! Every path also has the `.aspx` alias some OEM firmware uses (`/iclock/cdata.aspx` …).
//! Query keys are matched without regard to case (`SN`, `sn`); values are percent-decoded.
//!
//! It owns the routing table, the serial-number rule and the body cap; it must not decode the
//! bodies' lines (see [`crate::attlog`], [`crate::operlog`], [`crate::devicecmd`]), decide
//! whether a terminal is approved, or answer (see [`crate::answer`]).
//!
//! ## Units and limits
//! - A serial number is 1 to [`SerialNumber::MAX_LEN`] characters from `A–Z a–z 0–9 - _`.
//! - A body over [`Limits::max_body_bytes`] is refused whole ([`RequestError::BodyTooLarge`]).
//!
//! ## Troubleshooting
//! - [`RequestError::UnknownPath`]: the terminal's "server path" setting is wrong, or the
//!   firmware speaks another protocol (a `/pub/` or JSON path is not this protocol).
//! - [`RequestError::UnknownTable`]: the firmware uploads a table this server does not take;
//!   turn it off in `TransFlag` ([`crate::answer::HandshakeOptions::trans_flag`]).

use crate::limits::Limits;
use std::fmt;
use thiserror::Error;

/// A terminal's serial number, checked: the identity the server keys a terminal by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SerialNumber(String);

impl SerialNumber {
    /// The longest serial number accepted. ZKTeco serials are 13–16 characters; OEM ones
    /// are longer but well under this.
    pub const MAX_LEN: usize = 32;

    /// Checks a serial number: 1 to [`Self::MAX_LEN`] characters from `A–Z a–z 0–9 - _`.
    pub fn new(text: &str) -> Result<Self, SerialError> {
        if text.is_empty() {
            return Err(SerialError::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return Err(SerialError::TooLong { len: text.len() });
        }
        if let Some(c) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(SerialError::BadCharacter(c));
        }
        Ok(SerialNumber(text.to_string()))
    }

    /// The serial number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a serial number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SerialError {
    /// `SN=` with nothing after it.
    #[error("the serial number is empty")]
    Empty,
    /// Longer than [`SerialNumber::MAX_LEN`].
    #[error("the serial number has {len} characters, at most {} are accepted", SerialNumber::MAX_LEN)]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside `A–Z a–z 0–9 - _`.
    #[error("the serial number contains {0:?}; only letters, digits, '-' and '_' are accepted")]
    BadCharacter(char),
}

/// The tables a terminal uploads with `POST /iclock/cdata?table=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Attendance records (one punch a line): [`crate::attlog`].
    AttLog,
    /// Operation log, user and template lines: [`crate::operlog`].
    OperLog,
    /// Photos taken at a punch (a header and JPEG bytes); kept raw by this crate.
    AttPhoto,
    /// Biometric templates of newer firmware; kept raw by this crate (the server may drop them).
    BioData,
    /// The terminal's own settings and counters (`table=options`), `key=value` text.
    Options,
}

impl Table {
    /// Reads the `table` parameter (case-insensitive).
    pub fn from_param(text: &str) -> Option<Table> {
        const NAMES: [(&str, Table); 5] = [
            ("ATTLOG", Table::AttLog),
            ("OPERLOG", Table::OperLog),
            ("ATTPHOTO", Table::AttPhoto),
            ("BIODATA", Table::BioData),
            ("OPTIONS", Table::Options),
        ];
        NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|(_, t)| *t)
    }

    /// The name as terminals write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Table::AttLog => "ATTLOG",
            Table::OperLog => "OPERLOG",
            Table::AttPhoto => "ATTPHOTO",
            Table::BioData => "BIODATA",
            Table::Options => "options",
        }
    }
}

/// `GET /iclock/cdata`: the terminal announces itself and asks for its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Who is asking.
    pub serial: SerialNumber,
    /// `options=` (firmware sends `all`).
    pub options: Option<String>,
    /// `pushver=`: the firmware's PUSH protocol version, e.g. `2.4.1`.
    pub push_version: Option<String>,
    /// `language=`: the terminal's language code (e.g. `69` English, `83` Chinese).
    pub language: Option<String>,
}

/// `POST /iclock/cdata?table=…`: a batch of lines (or a photo) from the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload<'a> {
    /// Who sent it.
    pub serial: SerialNumber,
    /// Which table.
    pub table: Table,
    /// `Stamp=` (or `OpStamp=` / `PhotoStamp=` on older firmware): the terminal's position
    /// in that table after this batch, as sent (usually a number).
    pub stamp: Option<String>,
    /// The body, undecoded and within [`Limits::max_body_bytes`].
    pub body: &'a [u8],
}

/// `GET /iclock/getrequest`: the terminal polls for commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    /// Who is asking.
    pub serial: SerialNumber,
    /// `INFO=`: some firmware reports firmware version and counters here, comma-separated.
    pub info: Option<String>,
}

/// A typed terminal request. See the module documentation for the table of requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `GET /iclock/cdata`.
    Handshake(Handshake),
    /// `POST /iclock/cdata?table=…`.
    Upload(Upload<'a>),
    /// `GET /iclock/getrequest`.
    Poll(Poll),
    /// `POST /iclock/devicecmd`: read the body with [`crate::devicecmd::parse`].
    CommandResults {
        /// Who sent them.
        serial: SerialNumber,
        /// `ID=…&Return=…&CMD=…` lines, undecoded.
        body: &'a [u8],
    },
    /// `GET /iclock/ping`: a keep-alive; answer `OK`.
    Ping {
        /// Who is asking.
        serial: SerialNumber,
    },
}

impl Request<'_> {
    /// The terminal that made the request.
    pub fn serial(&self) -> &SerialNumber {
        match self {
            Request::Handshake(h) => &h.serial,
            Request::Upload(u) => &u.serial,
            Request::Poll(p) => &p.serial,
            Request::CommandResults { serial, .. } | Request::Ping { serial } => serial,
        }
    }
}

/// Why a request is not a PUSH request this server takes. Each variant carries what failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// A path outside the routing table.
    #[error("{method} {path}: not a PUSH protocol path (expected /iclock/cdata, /iclock/getrequest, /iclock/devicecmd or /iclock/ping, optionally with .aspx)")]
    UnknownPath {
        /// The HTTP method.
        method: String,
        /// The path as received.
        path: String,
    },
    /// A known path with the wrong method (e.g. `POST /iclock/getrequest`).
    #[error("{method} {path}: method not used by the PUSH protocol on this path")]
    WrongMethod {
        /// The HTTP method.
        method: String,
        /// The path as received.
        path: String,
    },
    /// A required query parameter is missing (`SN`, or `table` on an upload).
    #[error("{path}: missing query parameter {name}")]
    MissingParameter {
        /// The path as received.
        path: String,
        /// The missing parameter.
        name: &'static str,
    },
    /// The query string is not valid percent-encoding of UTF-8 text.
    #[error("{path}: malformed query string {query:?}")]
    BadQuery {
        /// The path as received.
        path: String,
        /// The raw query string.
        query: String,
    },
    /// The serial number is refused.
    #[error("serial number {serial:?}: {reason}")]
    BadSerial {
        /// The serial number as sent.
        serial: String,
        /// Why.
        reason: SerialError,
    },
    /// An upload of a table this server does not take.
    #[error("terminal {serial}: unknown table {table:?} (known: ATTLOG, OPERLOG, ATTPHOTO, BIODATA, options)")]
    UnknownTable {
        /// Who sent it.
        serial: SerialNumber,
        /// The `table` parameter as sent.
        table: String,
    },
    /// The body is over [`Limits::max_body_bytes`].
    #[error("terminal {serial}: body of {len} bytes is over the limit of {cap} bytes")]
    BodyTooLarge {
        /// Who sent it.
        serial: SerialNumber,
        /// The body's length.
        len: usize,
        /// The limit.
        cap: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    CData,
    GetRequest,
    DeviceCmd,
    Ping,
}

fn endpoint(path: &str) -> Option<Endpoint> {
    let rest = path.strip_prefix("/iclock/")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let name = rest.strip_suffix(".aspx").unwrap_or(rest);
    match name {
        "cdata" => Some(Endpoint::CData),
        "getrequest" => Some(Endpoint::GetRequest),
        "devicecmd" => Some(Endpoint::DeviceCmd),
        "ping" => Some(Endpoint::Ping),
        _ => None,
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`%XX`, `+` as space).
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains(['%', '+']) {
        return Some(text.to_string());
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The query's `key=value` pairs, decoded. A key without `=` has an empty value.
pub fn query_pairs(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn param<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Types one terminal request.
///
/// `path` is the request path without the query; `query` is the raw query string without
/// the `?`. The body cap of `limits` applies to every request that has a body.
pub fn parse<'a>(method: &str, path: &str, query: &str, body: &'a [u8], limits: &Limits) -> Result<Request<'a>, RequestError> {
    let Some(endpoint) = endpoint(path) else {
        return Err(RequestError::UnknownPath { method: method.to_string(), path: path.to_string() });
    };
    let wrong_method = || RequestError::WrongMethod { method: method.to_string(), path: path.to_string() };
    let is_get = method.eq_ignore_ascii_case("GET");
    let is_post = method.eq_ignore_ascii_case("POST");
    if !(is_get || is_post) {
        return Err(wrong_method());
    }
    let pairs = query_pairs(query).ok_or_else(|| RequestError::BadQuery { path: path.to_string(), query: query.to_string() })?;
    let sn = param(&pairs, "SN").ok_or(RequestError::MissingParameter { path: path.to_string(), name: "SN" })?;
    let serial = SerialNumber::new(sn).map_err(|reason| RequestError::BadSerial { serial: sn.to_string(), reason })?;
    if body.len() > limits.max_body_bytes {
        return Err(RequestError::BodyTooLarge { serial, len: body.len(), cap: limits.max_body_bytes });
    }
    let owned = |name: &str| param(&pairs, name).map(str::to_string);
    match (endpoint, is_get) {
        (Endpoint::CData, true) => Ok(Request::Handshake(Handshake {
            serial,
            options: owned("options"),
            push_version: owned("pushver"),
            language: owned("language"),
        })),
        (Endpoint::CData, false) => {
            let table = param(&pairs, "table").ok_or(RequestError::MissingParameter { path: path.to_string(), name: "table" })?;
            let Some(table) = Table::from_param(table) else {
                return Err(RequestError::UnknownTable { serial, table: table.to_string() });
            };
            let stamp = owned("Stamp").or_else(|| owned("OpStamp")).or_else(|| owned("PhotoStamp"));
            Ok(Request::Upload(Upload { serial, table, stamp, body }))
        }
        (Endpoint::GetRequest, true) => Ok(Request::Poll(Poll { serial, info: owned("INFO") })),
        (Endpoint::DeviceCmd, false) => Ok(Request::CommandResults { serial, body }),
        // Firmware is known to ping with either method.
        (Endpoint::Ping, _) => Ok(Request::Ping { serial }),
        (Endpoint::GetRequest, false) | (Endpoint::DeviceCmd, true) => Err(wrong_method()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sn(text: &str) -> SerialNumber {
        SerialNumber::new(text).expect("valid serial")
    }

    #[test]
    fn routes_every_request_and_alias() {
        let limits = Limits::default();
        let body = b"1\t2026-12-02 07:58:12\t0\t1\t0\t0\t0\n";
        let handshake = Request::Handshake(Handshake {
            serial: sn("CKUH203360017"),
            options: Some("all".into()),
            push_version: Some("2.4.1".into()),
            language: Some("69".into()),
        });
        let upload = Request::Upload(Upload { serial: sn("CKUH203360017"), table: Table::AttLog, stamp: Some("9999".into()), body });
        let poll = Request::Poll(Poll { serial: sn("CKUH203360017"), info: None });
        let results = Request::CommandResults { serial: sn("CKUH203360017"), body };
        let hs_query = "SN=CKUH203360017&options=all&pushver=2.4.1&language=69";
        let cases: Vec<(&str, &str, &str, Request<'_>)> = vec![
            ("GET", "/iclock/cdata", hs_query, handshake.clone()),
            ("GET", "/iclock/cdata.aspx", hs_query, handshake.clone()),
            ("GET", "/iclock/cdata/", hs_query, handshake),
            ("POST", "/iclock/cdata", "SN=CKUH203360017&table=ATTLOG&Stamp=9999", upload.clone()),
            ("POST", "/iclock/cdata.aspx", "sn=CKUH203360017&table=attlog&Stamp=9999", upload),
            ("GET", "/iclock/getrequest", "SN=CKUH203360017", poll.clone()),
            ("GET", "/iclock/getrequest.aspx", "SN=CKUH203360017", poll),
            ("POST", "/iclock/devicecmd", "SN=CKUH203360017", results.clone()),
            ("POST", "/iclock/devicecmd.aspx", "SN=CKUH203360017", results),
            ("GET", "/iclock/ping", "SN=CKUH203360017", Request::Ping { serial: sn("CKUH203360017") }),
        ];
        for (method, path, query, want) in cases {
            let got = parse(method, path, query, body, &limits);
            assert_eq!(got, Ok(want), "{method} {path}?{query}");
        }
    }

    #[test]
    fn reads_tables_and_stamps() {
        let limits = Limits::default();
        let cases = [
            ("SN=A1&table=OPERLOG&OpStamp=12", Table::OperLog, Some("12")),
            ("SN=A1&table=ATTPHOTO&Stamp=3", Table::AttPhoto, Some("3")),
            ("SN=A1&table=BIODATA", Table::BioData, None),
            ("SN=A1&table=options", Table::Options, None),
        ];
        for (query, table, stamp) in cases {
            let Ok(Request::Upload(up)) = parse("POST", "/iclock/cdata", query, b"", &limits) else {
                panic!("{query}: not an upload");
            };
            assert_eq!((up.table, up.stamp.as_deref()), (table, stamp), "{query}");
        }
    }

    #[test]
    fn refuses_with_context() {
        let limits = Limits { max_body_bytes: 8, ..Limits::default() };
        let cases: Vec<(&str, &str, &str, &[u8], RequestError)> = vec![
            ("GET", "/iclock/registry", "SN=A1", b"", RequestError::UnknownPath { method: "GET".into(), path: "/iclock/registry".into() }),
            ("GET", "/api/records", "SN=A1", b"", RequestError::UnknownPath { method: "GET".into(), path: "/api/records".into() }),
            ("POST", "/iclock/getrequest", "SN=A1", b"", RequestError::WrongMethod { method: "POST".into(), path: "/iclock/getrequest".into() }),
            ("PUT", "/iclock/cdata", "SN=A1", b"", RequestError::WrongMethod { method: "PUT".into(), path: "/iclock/cdata".into() }),
            ("GET", "/iclock/cdata", "options=all", b"", RequestError::MissingParameter { path: "/iclock/cdata".into(), name: "SN" }),
            ("POST", "/iclock/cdata", "SN=A1", b"", RequestError::MissingParameter { path: "/iclock/cdata".into(), name: "table" }),
            ("POST", "/iclock/cdata", "SN=A1&table=FINGERTMP", b"", RequestError::UnknownTable { serial: sn("A1"), table: "FINGERTMP".into() }),
            ("GET", "/iclock/cdata", "SN=A1%ZZ", b"", RequestError::BadQuery { path: "/iclock/cdata".into(), query: "SN=A1%ZZ".into() }),
            ("GET", "/iclock/cdata", "SN=", b"", RequestError::BadSerial { serial: "".into(), reason: SerialError::Empty }),
            ("GET", "/iclock/cdata", "SN=A1%2F..", b"", RequestError::BadSerial { serial: "A1/..".into(), reason: SerialError::BadCharacter('/') }),
            ("GET", "/iclock/cdata", "SN=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", b"", RequestError::BadSerial { serial: "A".repeat(33), reason: SerialError::TooLong { len: 33 } }),
            ("POST", "/iclock/cdata", "SN=A1&table=ATTLOG", b"123456789", RequestError::BodyTooLarge { serial: sn("A1"), len: 9, cap: 8 }),
        ];
        for (method, path, query, body, want) in cases {
            assert_eq!(parse(method, path, query, body, &limits), Err(want), "{method} {path}?{query}");
        }
    }

    #[test]
    fn decodes_query_values() {
        assert_eq!(
            query_pairs("SN=A1&INFO=Ver+6.60%2C12&flag"),
            Some(vec![("SN".into(), "A1".into()), ("INFO".into(), "Ver 6.60,12".into()), ("flag".into(), "".into())])
        );
        assert_eq!(query_pairs("a=%4"), None);
        assert_eq!(query_pairs("a=%FF"), None);
    }
}
