//! # The server's answers, as the terminal expects them
//!
//! Every answer of the PUSH protocol is `text/plain`. This module writes them:
//!
//! | request | answer | function |
//! | --- | --- | --- |
//! | handshake | the options block: `GET OPTION FROM: <SN>` then `key=value` lines, CRLF line ends | [`handshake_answer`] |
//! | upload | `OK: <n>`, n = every line processed (decoded, duplicate or refused) | [`upload_answer`] |
//! | getrequest | `OK` when nothing is queued, else one `C:<id>:<command>` line a command | [`poll_answer`], [`command_line`] |
//! | devicecmd, ping | `OK` | [`OK`] |
//!
//! Commands ([`Command`]) push the site's roster to the terminal (`DATA UPDATE USERINFO`),
//! delete a deactivated employee (`DATA DELETE USERINFO`), set the terminal's clock
//! (`SET OPTION DateTime=`), and reboot it (`REBOOT`). Fields inside a command are separated
//! by tabs; command lines end in LF (a CR could end up inside the last field on firmware
//! that splits on LF only).
//!
//! It owns the answer grammar and the validation of what goes into a command (a PIN, a card
//! number, a name with no tab or line break); it must not choose stamps, ids or which
//! commands to send (the server does, from its store), nor read the clock (the caller passes
//! the time to set).
//!
//! ## Why `OK: n` and never a bare `OK` for uploads
//! Firmware takes `OK: n` as "n records received" and moves its stamp past them; with a
//! bare `OK` (or a wrong count) some firmware resends the same batch forever. Count
//! duplicates and refused lines too: they were received, and the server keeps the refused
//! ones' raw lines for the administrator.
//!
//! ## Handshake options
//! - `ATTLOGStamp`, `OPERLOGStamp`, `ATTPHOTOStamp`: the server's last stamp per table; the
//!   terminal sends what is newer. 0 asks for everything it holds.
//! - `ErrorDelay`: seconds before retrying after a failed request; `Delay`: seconds between
//!   `getrequest` polls.
//! - `TransTimes`: times of day (`HH:MM;HH:MM`) at which the terminal uploads regardless;
//!   `TransInterval`: minutes between checks for new data.
//! - `TransFlag`: which tables to upload (`TransData AttLog OpLog EnrollUser ChgUser` …);
//!   by default no photos and no fingerprint templates.
//! - `TimeZone`: the site's UTC offset in whole hours ([`TerminalZone`]).
//! - `Realtime=1`: upload each record as it is made; `Encrypt=0`: plain text.

use crate::attlog::MAX_PIN_LEN;
use crate::localtime;
use crate::request::SerialNumber;
use std::fmt::Write as _;
use thiserror::Error;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The answer to a `devicecmd` result post, a ping, or a poll with nothing queued.
pub const OK: &str = "OK";

/// The longest name sent to a terminal, in characters (terminal displays hold 24).
pub const MAX_NAME_CHARS: usize = 24;

/// The longest card number sent to a terminal, in digits.
pub const MAX_CARD_DIGITS: usize = 20;

/// Why an answer or command could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    /// `TimeZone` takes whole hours; the offset has minutes.
    #[error("UTC offset {offset} is not a whole number of hours; terminals take TimeZone in hours (set the clock with SET OPTION DateTime instead)")]
    ZoneNotWholeHours {
        /// The offset.
        offset: UtcOffset,
    },
    /// An extra handshake option whose key or value would break the block.
    #[error("handshake option {key:?}: keys are letters and digits, values have no line breaks")]
    BadOption {
        /// The key as given.
        key: String,
    },
    /// A PIN a terminal would not take.
    #[error("PIN {0:?} is not 1 to {MAX_PIN_LEN} letters or digits")]
    BadPin(String),
    /// A card number a terminal would not take.
    #[error("card number {0:?} is not 1 to {MAX_CARD_DIGITS} digits")]
    BadCard(String),
    /// A time the terminal's clock encoding cannot hold (years 2000–2099).
    #[error("{0} cannot be set on a terminal (years 2000 to 2099)")]
    TimeOutOfRange(PrimitiveDateTime),
}

/// The site's UTC offset as the handshake's `TimeZone` option: whole hours, -12 to +14.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalZone {
    hours: i8,
}

impl TerminalZone {
    /// The zone of an offset; refused when it has minutes or seconds.
    pub fn from_offset(offset: UtcOffset) -> Result<Self, AnswerError> {
        let (h, m, s) = offset.as_hms();
        if m != 0 || s != 0 || !(-12..=14).contains(&h) {
            return Err(AnswerError::ZoneNotWholeHours { offset });
        }
        Ok(TerminalZone { hours: h })
    }

    /// The option's value: `7`, `8`, `9`, `-5`.
    pub fn value(self) -> String {
        self.hours.to_string()
    }
}

/// The options the handshake sends. [`Default`] is what Hadir sends a new terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeOptions {
    /// `ATTLOGStamp`: the last ATTLOG stamp stored for this terminal (0: none yet).
    pub attlog_stamp: u64,
    /// `OPERLOGStamp`: likewise for OPERLOG.
    pub operlog_stamp: u64,
    /// `ATTPHOTOStamp`: likewise for ATTPHOTO.
    pub attphoto_stamp: u64,
    /// `ErrorDelay`, seconds (default 30).
    pub error_delay_s: u32,
    /// `Delay`, seconds between polls (default 10).
    pub delay_s: u32,
    /// `TransTimes`, (hour, minute) pairs (default 00:00 and 14:05).
    pub trans_times: Vec<(u8, u8)>,
    /// `TransInterval`, minutes (default 1).
    pub trans_interval_min: u32,
    /// `TransFlag` (default `TransData AttLog OpLog EnrollUser ChgUser`).
    pub trans_flag: String,
    /// `Realtime` (default on).
    pub realtime: bool,
    /// More `key=value` lines after the standard ones (default none).
    pub extra: ExtraOptions,
}

/// Extra handshake options (for firmware that wants e.g. `ServerVer`), checked so that they
/// cannot break the block: keys are ASCII letters and digits, values have no line breaks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraOptions(Vec<(String, String)>);

impl ExtraOptions {
    /// Adds one `key=value` line.
    pub fn push(&mut self, key: &str, value: &str) -> Result<(), AnswerError> {
        let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !key_ok || value.contains(['\r', '\n']) {
            return Err(AnswerError::BadOption { key: key.to_string() });
        }
        self.0.push((key.to_string(), value.to_string()));
        Ok(())
    }

    /// The options, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl Default for HandshakeOptions {
    fn default() -> Self {
        HandshakeOptions {
            attlog_stamp: 0,
            operlog_stamp: 0,
            attphoto_stamp: 0,
            error_delay_s: 30,
            delay_s: 10,
            trans_times: vec![(0, 0), (14, 5)],
            trans_interval_min: 1,
            trans_flag: "TransData AttLog OpLog EnrollUser ChgUser".into(),
            realtime: true,
            extra: ExtraOptions::default(),
        }
    }
}

impl HandshakeOptions {
    /// These options with one more `key=value` line ([`ExtraOptions::push`]).
    pub fn with_option(mut self, key: &str, value: &str) -> Result<Self, AnswerError> {
        self.extra.push(key, value)?;
        Ok(self)
    }
}

/// The handshake answer: the options block for one terminal, CRLF line ends.
pub fn handshake_answer(serial: &SerialNumber, zone: TerminalZone, options: &HandshakeOptions) -> String {
    let times: Vec<String> = options.trans_times.iter().map(|(h, m)| format!("{h:02}:{m:02}")).collect();
    let mut lines = vec![
        format!("GET OPTION FROM: {serial}"),
        format!("ATTLOGStamp={}", options.attlog_stamp),
        format!("OPERLOGStamp={}", options.operlog_stamp),
        format!("ATTPHOTOStamp={}", options.attphoto_stamp),
        format!("ErrorDelay={}", options.error_delay_s),
        format!("Delay={}", options.delay_s),
        format!("TransTimes={}", times.join(";")),
        format!("TransInterval={}", options.trans_interval_min),
        format!("TransFlag={}", options.trans_flag.replace(['\r', '\n'], " ")),
        format!("TimeZone={}", zone.value()),
        format!("Realtime={}", u8::from(options.realtime)),
        "Encrypt=0".to_string(),
    ];
    lines.extend(options.extra.iter().map(|(k, v)| format!("{k}={v}")));
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

/// The upload answer: `OK: n`, n = every line processed (see the module documentation).
pub fn upload_answer(processed: usize) -> String {
    format!("OK: {processed}")
}

/// A terminal user number, checked: 1 to [`MAX_PIN_LEN`] ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin(String);

impl Pin {
    /// Checks a PIN.
    pub fn new(text: &str) -> Result<Self, AnswerError> {
        if text.is_empty() || text.len() > MAX_PIN_LEN || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AnswerError::BadPin(text.to_string()));
        }
        Ok(Pin(text.to_string()))
    }

    /// The PIN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as pushed to a terminal: PIN, display name and optional card. Never a password
/// (Hadir does not keep employees' PINs in clear) and never administrator rights (`Pri=0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pin: Pin,
    name: String,
    card: Option<String>,
}

impl UserInfo {
    /// A user with a name. The name is made safe for the terminal: control characters
    /// (tabs, line breaks) become spaces, and it is cut to [`MAX_NAME_CHARS`] characters.
    pub fn new(pin: &str, name: &str) -> Result<Self, AnswerError> {
        let name: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
        Ok(UserInfo { pin: Pin::new(pin)?, name: name.trim_end().to_string(), card: None })
    }

    /// This user with a card number (1 to [`MAX_CARD_DIGITS`] digits).
    pub fn with_card(mut self, card: &str) -> Result<Self, AnswerError> {
        if card.is_empty() || card.len() > MAX_CARD_DIGITS || !card.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AnswerError::BadCard(card.to_string()));
        }
        self.card = Some(card.to_string());
        Ok(self)
    }

    /// The PIN.
    pub fn pin(&self) -> &Pin {
        &self.pin
    }

    /// The name as it will be sent.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A time for the terminal's clock, in the terminal's packed encoding:
/// `((year-2000)*12*31 + (month-1)*31 + (day-1)) * 86400 + hour*3600 + minute*60 + second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZkDateTime(PrimitiveDateTime);

impl ZkDateTime {
    /// A wall-clock time to set (years 2000–2099).
    pub fn new(local: PrimitiveDateTime) -> Result<Self, AnswerError> {
        if !(2000..=2099).contains(&local.year()) {
            return Err(AnswerError::TimeOutOfRange(local));
        }
        Ok(ZkDateTime(local))
    }

    /// The wall-clock time, in the site's offset, of a UTC instant (the caller's "now").
    pub fn at(instant: OffsetDateTime, site_offset: UtcOffset) -> Result<Self, AnswerError> {
        Self::new(localtime::to_local(instant, site_offset))
    }

    /// The wall-clock time.
    pub fn local(self) -> PrimitiveDateTime {
        self.0
    }

    /// The packed value sent in `SET OPTION DateTime=`.
    pub fn encoded(self) -> u32 {
        let t = self.0;
        // Years 2000–2099: every term is small and non-negative.
        let days = (t.year() as u32 - 2000) * 12 * 31 + (u32::from(u8::from(t.month())) - 1) * 31 + (u32::from(t.day()) - 1);
        days * 86_400 + u32::from(t.hour()) * 3600 + u32::from(t.minute()) * 60 + u32::from(t.second())
    }

    /// Unpacks a value (what a terminal does with `SET OPTION DateTime=`).
    pub fn decode(value: u32) -> Option<PrimitiveDateTime> {
        let (days, secs) = (value / 86_400, value % 86_400);
        let year = 2000 + (days / (12 * 31)) as i32;
        let month = time::Month::try_from((days / 31 % 12 + 1) as u8).ok()?;
        let day = (days % 31 + 1) as u8;
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        let time = time::Time::from_hms((secs / 3600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8).ok()?;
        Some(PrimitiveDateTime::new(date, time))
    }
}

/// A command for a terminal, sent in a `getrequest` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Add or change a user: `DATA UPDATE USERINFO PIN=…\tName=…\tPri=0\tPasswd=\tCard=…\tGrp=1\tTZ=0000000100000000`.
    UpdateUser(UserInfo),
    /// Remove a user (with their templates): `DATA DELETE USERINFO PIN=…`.
    DeleteUser(Pin),
    /// Set the clock: `SET OPTION DateTime=<packed>`.
    SetTime(ZkDateTime),
    /// Restart the terminal: `REBOOT`.
    Reboot,
}

impl Command {
    /// The command text after `C:<id>:`.
    pub fn wire(&self) -> String {
        match self {
            Command::UpdateUser(user) => format!(
                "DATA UPDATE USERINFO PIN={}\tName={}\tPri=0\tPasswd=\tCard={}\tGrp=1\tTZ=0000000100000000",
                user.pin.as_str(),
                user.name,
                user.card.as_deref().unwrap_or("")
            ),
            Command::DeleteUser(pin) => format!("DATA DELETE USERINFO PIN={}", pin.as_str()),
            Command::SetTime(at) => format!("SET OPTION DateTime={}", at.encoded()),
            Command::Reboot => "REBOOT".to_string(),
        }
    }

    /// The word the terminal reports back as `CMD=` in its result (`DATA`, `SET`, `REBOOT`).
    pub fn word(&self) -> &'static str {
        match self {
            Command::UpdateUser(_) | Command::DeleteUser(_) => "DATA",
            Command::SetTime(_) => "SET",
            Command::Reboot => "REBOOT",
        }
    }
}

/// One command line: `C:<id>:<command>`.
pub fn command_line(id: u64, command: &Command) -> String {
    format!("C:{id}:{}", command.wire())
}

/// The `getrequest` answer: `OK` when nothing is queued, else one LF-terminated command
/// line for each queued command, in order.
pub fn poll_answer(queued: &[(u64, Command)]) -> String {
    if queued.is_empty() {
        return OK.to_string();
    }
    let mut out = String::new();
    for (id, command) in queued {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}", command_line(*id, command));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn zones_in_whole_hours() {
        let ok = [(offset!(+7), "7"), (offset!(+8), "8"), (offset!(+9), "9"), (offset!(-5), "-5"), (offset!(UTC), "0")];
        for (zone, value) in ok {
            assert_eq!(TerminalZone::from_offset(zone).map(TerminalZone::value), Ok(value.to_string()), "{zone}");
        }
        for zone in [offset!(+5:30), offset!(+9:30), offset!(-3:30), offset!(+15), offset!(-13)] {
            assert_eq!(TerminalZone::from_offset(zone), Err(AnswerError::ZoneNotWholeHours { offset: zone }), "{zone}");
        }
    }

    #[test]
    fn writes_the_options_block() {
        let serial = SerialNumber::new("CKUH203360017").expect("valid");
        let zone = TerminalZone::from_offset(offset!(+8)).expect("whole hours");
        let options = HandshakeOptions { attlog_stamp: 42, operlog_stamp: 7, ..HandshakeOptions::default() }
            .with_option("ServerVer", "2.4.1")
            .expect("valid option");
        let want = "GET OPTION FROM: CKUH203360017\r\nATTLOGStamp=42\r\nOPERLOGStamp=7\r\nATTPHOTOStamp=0\r\n\
ErrorDelay=30\r\nDelay=10\r\nTransTimes=00:00;14:05\r\nTransInterval=1\r\n\
TransFlag=TransData AttLog OpLog EnrollUser ChgUser\r\nTimeZone=8\r\nRealtime=1\r\nEncrypt=0\r\nServerVer=2.4.1\r\n";
        assert_eq!(handshake_answer(&serial, zone, &options), want);
        for (key, value) in [("", "1"), ("Bad Key", "1"), ("A=B", "1"), ("Ok", "a\r\nDelay=0")] {
            assert_eq!(HandshakeOptions::default().with_option(key, value), Err(AnswerError::BadOption { key: key.into() }));
        }
    }

    #[test]
    fn answers_uploads_and_polls() {
        assert_eq!(upload_answer(0), "OK: 0");
        assert_eq!(upload_answer(1234), "OK: 1234");
        assert_eq!(poll_answer(&[]), "OK");
        let user = UserInfo::new("1002", "Ni Made\tAyu\r\nWidiastuti Pratiwi Dewi").expect("valid");
        let queued = vec![
            (1, Command::UpdateUser(user)),
            (2, Command::UpdateUser(UserInfo::new("7", "Budi").and_then(|u| u.with_card("12345678")).expect("valid"))),
            (3, Command::DeleteUser(Pin::new("88").expect("valid"))),
            (4, Command::SetTime(ZkDateTime::new(datetime!(2026-12-02 08:30:15)).expect("in range"))),
            (5, Command::Reboot),
        ];
        let want = "C:1:DATA UPDATE USERINFO PIN=1002\tName=Ni Made Ayu  Widiastuti\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\n\
C:2:DATA UPDATE USERINFO PIN=7\tName=Budi\tPri=0\tPasswd=\tCard=12345678\tGrp=1\tTZ=0000000100000000\n\
C:3:DATA DELETE USERINFO PIN=88\n\
C:4:SET OPTION DateTime=865240215\n\
C:5:REBOOT\n";
        assert_eq!(poll_answer(&queued), want);
        let words: Vec<&str> = queued.iter().map(|(_, c)| c.word()).collect();
        assert_eq!(words, ["DATA", "DATA", "DATA", "SET", "REBOOT"]);
    }

    #[test]
    fn packs_terminal_times() {
        let cases = [
            (datetime!(2000-01-01 00:00:00), 0),
            (datetime!(2000-01-01 00:00:59), 59),
            (datetime!(2000-01-02 00:00:00), 86_400),
            (datetime!(2000-02-01 00:00:00), 31 * 86_400),
            (datetime!(2001-01-01 00:00:00), 372 * 86_400),
            (datetime!(2026-12-02 08:30:15), 865_240_215),
        ];
        for (local, packed) in cases {
            let at = ZkDateTime::new(local).expect("in range");
            assert_eq!(at.encoded(), packed, "{local}");
            assert_eq!(ZkDateTime::decode(packed), Some(local), "{packed}");
        }
        assert_eq!(ZkDateTime::new(datetime!(1999-12-31 23:59:59)), Err(AnswerError::TimeOutOfRange(datetime!(1999-12-31 23:59:59))));
        // The caller's "now" in UTC, set as WITA wall-clock time.
        let at = ZkDateTime::at(datetime!(2026-12-02 00:30:15 UTC), offset!(+8)).expect("in range");
        assert_eq!(at.local(), datetime!(2026-12-02 08:30:15));
    }

    #[test]
    fn refuses_bad_pins_and_cards() {
        for pin in ["", "12 3", "1\t2", "ÄB", &"9".repeat(25)] {
            assert_eq!(Pin::new(pin), Err(AnswerError::BadPin(pin.to_string())), "{pin:?}");
        }
        for card in ["", "12a", &"1".repeat(21)] {
            let got = UserInfo::new("1", "x").and_then(|u| u.with_card(card));
            assert_eq!(got, Err(AnswerError::BadCard(card.to_string())), "{card:?}");
        }
    }
}
