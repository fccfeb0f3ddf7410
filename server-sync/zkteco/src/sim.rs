//! # A simulated terminal (test aid)
//!
//! [`SimTerminal`] behaves as ZKTeco PUSH firmware does, so the server's PUSH endpoints can be
//! tested end to end without a terminal on the desk. It is transport-agnostic: it says which
//! request to send next ([`SimTerminal::next_request`]), the test delivers it however it likes
//! (a fake server in the same process, or a real HTTP client), and hands back the answer
//! ([`SimTerminal::take_answer`]) or the failure ([`SimTerminal::connection_failed`]).
//!
//! What it does, in order of priority:
//! 1. **Handshake** first (`GET /iclock/cdata?SN=…&options=all…`), again after a reboot or
//!    until an answer starting `GET OPTION FROM` comes back.
//! 2. **Command results**: results of executed commands are posted to `devicecmd` until the
//!    server answers `OK`.
//! 3. **Upload** its pending ATTLOG lines, at most [`SimTerminal::batch_size`] a request, with
//!    its stamp. Only `OK: n` with n equal to the lines sent marks them sent and advances the
//!    stamp by n; anything else (a bare `OK`, a wrong count, an error status, no answer)
//!    leaves the batch pending and the *same* batch is sent again next time.
//! 4. **Poll** `getrequest` when there is nothing to upload; `C:<id>:<command>` lines are
//!    executed (users added or deleted, clock set, reboot) and their results queued.
//!
//! It owns its little state (pending lines, stamp, users, clock); it must not open sockets,
//! read the clock or sleep (a test decides when the next request happens). Not a full
//! firmware: no photos, templates, encryption or `TransTimes` schedule.

use crate::answer::ZkDateTime;
use crate::operlog::key_values;
use std::collections::BTreeMap;
use time::PrimitiveDateTime;

/// A request the simulated terminal wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, e.g. `/iclock/cdata` (or `/iclock/cdata.aspx` for an OEM terminal).
    pub path: String,
    /// The query string, without `?`.
    pub query: String,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

/// What the terminal made of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimOutcome {
    /// The handshake succeeded.
    Handshaken,
    /// The upload was acknowledged: this many lines are now sent.
    Acknowledged(usize),
    /// The upload was not acknowledged as sent; the same batch will be sent again.
    WillResend,
    /// A poll with no commands.
    Idle,
    /// A poll with commands: this many were executed (results are queued).
    Executed(usize),
    /// The server took the queued command results.
    ResultsDelivered,
    /// The answer was not what the firmware expects; the request will be made again.
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum InFlight {
    Handshake,
    Upload(usize),
    Poll,
    Results(usize),
}

/// A simulated ZKTeco terminal. See the module documentation.
#[derive(Debug, Clone)]
pub struct SimTerminal {
    serial: String,
    suffix: &'static str,
    /// The most ATTLOG lines sent in one upload.
    pub batch_size: usize,
    handshaken: bool,
    pending: Vec<String>,
    sent: Vec<String>,
    stamp: u64,
    in_flight: Option<InFlight>,
    results: Vec<String>,
    users: BTreeMap<String, String>,
    clock: Option<PrimitiveDateTime>,
    reboots: u32,
    options: BTreeMap<String, String>,
}

impl SimTerminal {
    /// A terminal with this serial number, using the plain paths (`/iclock/cdata`).
    pub fn new(serial: &str) -> Self {
        SimTerminal {
            serial: serial.to_string(),
            suffix: "",
            batch_size: 100,
            handshaken: false,
            pending: Vec::new(),
            sent: Vec::new(),
            stamp: 0,
            in_flight: None,
            results: Vec::new(),
            users: BTreeMap::new(),
            clock: None,
            reboots: 0,
            options: BTreeMap::new(),
        }
    }

    /// This terminal using the `.aspx` paths of some OEM firmware.
    pub fn with_aspx_paths(mut self) -> Self {
        self.suffix = ".aspx";
        self
    }

    /// Records a punch as the firmware writes it: `PIN\ttime\tstatus\tverify\t0\t0\t0`.
    pub fn punch(&mut self, pin: &str, local: PrimitiveDateTime, status: u32, verify: u32) {
        let time = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute(),
            local.second()
        );
        self.pending.push(format!("{pin}\t{time}\t{status}\t{verify}\t0\t0\t0"));
    }

    /// Queues any ATTLOG line as it is (to test malformed lines).
    pub fn push_line(&mut self, line: &str) {
        self.pending.push(line.to_string());
    }

    /// The next request the terminal makes.
    pub fn next_request(&mut self) -> SimRequest {
        let sn = &self.serial;
        let (flight, request) = if !self.handshaken {
            let query = format!("SN={sn}&options=all&pushver=2.4.1&language=69");
            (InFlight::Handshake, self.request("GET", "cdata", query, Vec::new()))
        } else if !self.results.is_empty() {
            let body = self.results.join("\n").into_bytes();
            (InFlight::Results(self.results.len()), self.request("POST", "devicecmd", format!("SN={sn}"), body))
        } else if !self.pending.is_empty() {
            let n = self.pending.len().min(self.batch_size.max(1));
            let mut body = self.pending[..n].join("\n");
            body.push('\n');
            let query = format!("SN={sn}&table=ATTLOG&Stamp={}", self.stamp);
            (InFlight::Upload(n), self.request("POST", "cdata", query, body.into_bytes()))
        } else {
            (InFlight::Poll, self.request("GET", "getrequest", format!("SN={sn}"), Vec::new()))
        };
        self.in_flight = Some(flight);
        request
    }

    fn request(&self, method: &'static str, name: &str, query: String, body: Vec<u8>) -> SimRequest {
        SimRequest { method, path: format!("/iclock/{name}{}", self.suffix), query, body }
    }

    /// Takes the server's answer to the last request.
    pub fn take_answer(&mut self, status: u16, body: &str) -> SimOutcome {
        let Some(flight) = self.in_flight.take() else {
            return SimOutcome::Retry;
        };
        let body = body.trim();
        if status != 200 {
            return if matches!(flight, InFlight::Upload(_)) { SimOutcome::WillResend } else { SimOutcome::Retry };
        }
        match flight {
            InFlight::Handshake => {
                let Some(rest) = body.strip_prefix("GET OPTION FROM") else {
                    return SimOutcome::Retry;
                };
                self.options = rest.lines().skip(1).filter_map(|l| l.trim().split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
                self.handshaken = true;
                SimOutcome::Handshaken
            }
            InFlight::Upload(n) => {
                let count = body.strip_prefix("OK:").and_then(|c| c.trim().parse::<usize>().ok());
                if count != Some(n) {
                    return SimOutcome::WillResend;
                }
                self.sent.extend(self.pending.drain(..n));
                self.stamp += n as u64;
                SimOutcome::Acknowledged(n)
            }
            InFlight::Poll => {
                if body == "OK" || body.is_empty() {
                    return SimOutcome::Idle;
                }
                let lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                for line in &lines {
                    self.execute(line);
                }
                SimOutcome::Executed(lines.len())
            }
            InFlight::Results(n) => {
                if body != "OK" {
                    return SimOutcome::Retry;
                }
                self.results.drain(..n.min(self.results.len()));
                SimOutcome::ResultsDelivered
            }
        }
    }

    /// The last request got no answer (server down, connection refused): nothing is lost,
    /// the request is made again later.
    pub fn connection_failed(&mut self) -> SimOutcome {
        match self.in_flight.take() {
            Some(InFlight::Upload(_)) => SimOutcome::WillResend,
            _ => SimOutcome::Retry,
        }
    }

    fn execute(&mut self, line: &str) {
        let mut parts = line.splitn(3, ':');
        let (Some("C"), Some(id), Some(command)) = (parts.next(), parts.next(), parts.next()) else {
            return; // not a command line: firmware ignores it
        };
        let word = command.split([' ', '\t']).next().unwrap_or("");
        let code = self.run(command);
        self.results.push(format!("ID={id}&Return={code}&CMD={word}"));
    }

    /// Runs one command; the `Return` code: 0 done, -1 bad parameters, -1002 unknown command.
    fn run(&mut self, command: &str) -> i64 {
        if let Some(rest) = command.strip_prefix("DATA UPDATE USERINFO ") {
            let fields: BTreeMap<&str, &str> = key_values(rest).collect();
            let Some(pin) = fields.get("PIN").filter(|p| !p.is_empty()) else {
                return -1;
            };
            self.users.insert(pin.to_string(), fields.get("Name").unwrap_or(&"").to_string());
            0
        } else if let Some(rest) = command.strip_prefix("DATA DELETE USERINFO ") {
            let fields: BTreeMap<&str, &str> = key_values(rest).collect();
            match fields.get("PIN") {
                Some(pin) => {
                    self.users.remove(*pin);
                    0
                }
                None => -1,
            }
        } else if let Some(value) = command.strip_prefix("SET OPTION DateTime=") {
            match value.trim().parse::<u32>().ok().and_then(ZkDateTime::decode) {
                Some(local) => {
                    self.clock = Some(local);
                    0
                }
                None => -1,
            }
        } else if command == "REBOOT" {
            self.reboots += 1;
            self.handshaken = false;
            0
        } else {
            -1002
        }
    }

    /// Lines not yet acknowledged.
    pub fn pending(&self) -> &[String] {
        &self.pending
    }

    /// Lines acknowledged with `OK: n`, in order.
    pub fn sent(&self) -> &[String] {
        &self.sent
    }

    /// The ATTLOG stamp: how many lines were acknowledged.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// Whether the last handshake succeeded (and no reboot happened since).
    pub fn is_handshaken(&self) -> bool {
        self.handshaken
    }

    /// The options of the last handshake answer.
    pub fn options(&self) -> &BTreeMap<String, String> {
        &self.options
    }

    /// The users on the terminal, PIN → name.
    pub fn users(&self) -> &BTreeMap<String, String> {
        &self.users
    }

    /// The last time its clock was set to.
    pub fn clock(&self) -> Option<PrimitiveDateTime> {
        self.clock
    }

    /// How many times it rebooted.
    pub fn reboots(&self) -> u32 {
        self.reboots
    }

    /// Command results not yet delivered.
    pub fn queued_results(&self) -> &[String] {
        &self.results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn follows_the_firmware_sequence() {
        let mut t = SimTerminal::new("A1");
        t.punch("1", datetime!(2026-12-02 07:58:12), 0, 1);
        let steps: Vec<(&str, &str, u16, &str, SimOutcome)> = vec![
            ("GET", "/iclock/cdata", 200, "OK", SimOutcome::Retry),
            ("GET", "/iclock/cdata", 200, "GET OPTION FROM: A1\r\nDelay=10\r\n", SimOutcome::Handshaken),
            ("POST", "/iclock/cdata", 200, "OK", SimOutcome::WillResend),
            ("POST", "/iclock/cdata", 500, "", SimOutcome::WillResend),
            ("POST", "/iclock/cdata", 200, "OK: 2", SimOutcome::WillResend),
            ("POST", "/iclock/cdata", 200, "OK: 1", SimOutcome::Acknowledged(1)),
            ("GET", "/iclock/getrequest", 200, "C:9:REBOOT\nC:10:FROB\n", SimOutcome::Executed(2)),
            ("GET", "/iclock/cdata", 200, "GET OPTION FROM: A1\r\n", SimOutcome::Handshaken),
            ("POST", "/iclock/devicecmd", 200, "OK", SimOutcome::ResultsDelivered),
            ("GET", "/iclock/getrequest", 200, "OK", SimOutcome::Idle),
        ];
        let mut bodies = Vec::new();
        for (method, path, status, answer, outcome) in steps {
            let req = t.next_request();
            assert_eq!((req.method, req.path.as_str()), (method, path), "before {answer:?}");
            if req.path.ends_with("cdata") && method == "POST" {
                bodies.push(req.body.clone());
                assert_eq!(req.query, format!("SN=A1&table=ATTLOG&Stamp={}", t.stamp()));
            }
            if req.path.ends_with("devicecmd") {
                assert_eq!(String::from_utf8_lossy(&req.body), "ID=9&Return=0&CMD=REBOOT\nID=10&Return=-1002&CMD=FROB");
            }
            assert_eq!(t.take_answer(status, answer), outcome, "answer {answer:?}");
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the same batch is resent");
        assert_eq!((t.stamp(), t.sent().len(), t.pending().len(), t.reboots()), (1, 1, 0, 1));
        assert_eq!(t.options().get("Delay").map(String::as_str), None, "options of the last handshake");
    }

    #[test]
    fn executes_user_and_clock_commands() {
        let mut t = SimTerminal::new("A1");
        t.next_request();
        t.take_answer(200, "GET OPTION FROM: A1");
        t.next_request();
        let answer = "C:1:DATA UPDATE USERINFO PIN=5\tName=Budi\tPri=0\nC:2:DATA UPDATE USERINFO PIN=6\tName=Wayan\nC:3:DATA DELETE USERINFO PIN=5\nC:4:SET OPTION DateTime=865240215\n";
        assert_eq!(t.take_answer(200, answer), SimOutcome::Executed(4));
        assert_eq!(t.users(), &BTreeMap::from([("6".to_string(), "Wayan".to_string())]));
        assert_eq!(t.clock(), Some(datetime!(2026-12-02 08:30:15)));
        assert_eq!(t.queued_results().len(), 4);
        assert_eq!(t.connection_failed(), SimOutcome::Retry);
    }
}
