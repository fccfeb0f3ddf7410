//! The PUSH protocol end to end, without sockets: request bodies written from the protocol's
//! description, a fake server made of this crate's own functions, and the simulated terminal.

use hadir_zkteco::answer::{self, Command, HandshakeOptions, Pin, TerminalZone, UserInfo, ZkDateTime};
use hadir_zkteco::sim::{SimOutcome, SimTerminal};
use hadir_zkteco::{
    attlog, devicecmd, operlog, request, CommandResult, Direction, LineError, LineErrorKind, Limits, Request, RequestError, SerialNumber,
    StatusMeaning, StatusRule, Table, TextEncoding, VerifyMode,
};
use std::collections::BTreeMap;
use std::time::Instant;
use time::macros::{datetime, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A stored terminal record, as the server would keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    utc: OffsetDateTime,
    meaning: StatusMeaning,
    verify: VerifyMode,
    raw: String,
}

/// How the fake server answers uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UploadAnswer {
    /// `OK: n`, as Hadir does.
    Counted,
    /// A bare `OK`, as a careless server does.
    Bare,
}

/// A tiny ADMS server: this crate's parsers and answers around a map standing in for the store.
struct FakeServer {
    limits: Limits,
    zone: UtcOffset,
    rule: StatusRule,
    upload_answer: UploadAnswer,
    down: bool,
    records: BTreeMap<(String, String, PrimitiveDateTime), Stored>,
    refused: Vec<LineError>,
    request_errors: Vec<RequestError>,
    queue: Vec<(u64, Command)>,
    results: Vec<CommandResult>,
    uploads: usize,
}

impl FakeServer {
    fn new(zone: UtcOffset) -> Self {
        FakeServer {
            limits: Limits::default(),
            zone,
            rule: StatusRule::standard(),
            upload_answer: UploadAnswer::Counted,
            down: false,
            records: BTreeMap::new(),
            refused: Vec::new(),
            request_errors: Vec::new(),
            queue: Vec::new(),
            results: Vec::new(),
            uploads: 0,
        }
    }

    fn handle(&mut self, method: &str, path: &str, query: &str, body: &[u8]) -> (u16, String) {
        let req = match request::parse(method, path, query, body, &self.limits) {
            Ok(req) => req,
            Err(error) => {
                self.request_errors.push(error);
                return (400, "ERROR".into());
            }
        };
        let serial = req.serial().clone();
        match req {
            Request::Handshake(_) => {
                let zone = TerminalZone::from_offset(self.zone).expect("Indonesian zones are whole hours");
                let options = HandshakeOptions { attlog_stamp: self.records.len() as u64, ..HandshakeOptions::default() };
                (200, answer::handshake_answer(&serial, zone, &options))
            }
            Request::Upload(upload) if upload.table == Table::AttLog => {
                let batch = attlog::parse(upload.body, &self.limits).expect("under the cap: checked by request::parse");
                for entry in &batch.entries {
                    let key = (serial.to_string(), entry.pin.clone(), entry.local_time);
                    let stored = Stored { utc: entry.utc(self.zone), meaning: entry.meaning(&self.rule), verify: entry.verify, raw: entry.raw.clone() };
                    self.records.entry(key).or_insert(stored);
                }
                self.refused.extend(batch.errors.iter().cloned());
                self.uploads += 1;
                match self.upload_answer {
                    UploadAnswer::Counted => (200, answer::upload_answer(batch.processed())),
                    UploadAnswer::Bare => (200, answer::OK.into()),
                }
            }
            Request::Upload(upload) => {
                let batch = operlog::parse(upload.body, &self.limits).expect("under the cap");
                (200, answer::upload_answer(batch.processed()))
            }
            Request::Poll(_) => {
                let queued = std::mem::take(&mut self.queue);
                (200, answer::poll_answer(&queued))
            }
            Request::CommandResults { body, .. } => {
                let parsed = devicecmd::parse(body, &self.limits).expect("under the cap");
                self.results.extend(parsed.results);
                (200, answer::OK.into())
            }
            Request::Ping { .. } => (200, answer::OK.into()),
        }
    }

    /// One request of the terminal, delivered to this server (or lost when it is down).
    fn exchange(&mut self, terminal: &mut SimTerminal) -> SimOutcome {
        let req = terminal.next_request();
        if self.down {
            return terminal.connection_failed();
        }
        let (status, body) = self.handle(req.method, &req.path, &req.query, &req.body);
        terminal.take_answer(status, &body)
    }
}

fn serial(text: &str) -> SerialNumber {
    SerialNumber::new(text).expect("valid serial")
}

#[test]
fn handshake_sends_the_sites_options() {
    let mut server = FakeServer::new(offset!(+8));
    let (status, body) = server.handle("GET", "/iclock/cdata", "SN=CKUH203360017&options=all&pushver=2.4.1&language=69", b"");
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines[0], "GET OPTION FROM: CKUH203360017");
    for option in ["ATTLOGStamp=0", "OPERLOGStamp=0", "ATTPHOTOStamp=0", "ErrorDelay=30", "Delay=10", "TransTimes=00:00;14:05", "TransInterval=1", "TimeZone=8", "Realtime=1", "Encrypt=0"] {
        assert!(lines.contains(&option), "{option} missing from {body:?}");
    }
    assert!(body.ends_with("\r\n") && !body.replace("\r\n", "").contains('\n'), "CRLF line ends only");
}

#[test]
fn attlog_with_crlf_and_trailing_tabs() {
    // Two records as a ZKTeco terminal writes them: CRLF, reserved fields, trailing tabs.
    let body = b"1002\t2026-12-02 07:58:12\t0\t15\t0\t0\t0\t\t\r\n1003\t2026-12-02 08:01:40\t0\t1\t0\t0\t0\r\n";
    let limits = Limits::default();
    let Request::Upload(upload) = request::parse("POST", "/iclock/cdata", "SN=CKUH203360017&table=ATTLOG&Stamp=9999", body, &limits).expect("valid")
    else {
        panic!("not an upload");
    };
    assert_eq!((upload.table, upload.stamp.as_deref()), (Table::AttLog, Some("9999")));
    let batch = attlog::parse(upload.body, &limits).expect("under the cap");
    assert_eq!(batch.errors, vec![]);
    let got: Vec<(&str, PrimitiveDateTime, VerifyMode, OffsetDateTime)> =
        batch.entries.iter().map(|e| (e.pin.as_str(), e.local_time, e.verify, e.utc(offset!(+8)))).collect();
    assert_eq!(
        got,
        vec![
            ("1002", datetime!(2026-12-02 07:58:12), VerifyMode::Face, datetime!(2026-12-01 23:58:12 UTC)),
            ("1003", datetime!(2026-12-02 08:01:40), VerifyMode::Fingerprint, datetime!(2026-12-02 00:01:40 UTC)),
        ]
    );
    assert_eq!(batch.entries[0].raw, "1002\t2026-12-02 07:58:12\t0\t15\t0\t0\t0\t\t");
    assert_eq!(answer::upload_answer(batch.processed()), "OK: 2");
}

#[test]
fn operlog_with_a_user_line() {
    let body = b"OPLOG 6\t0\t2026-12-02 07:02:00\t1002\t6\t0\t0\nUSER PIN=1002\tName=I Gusti Ayu Kade\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\nFP PIN=1002\tFID=6\tSize=4\tValid=1\tTMP=AAAA\n";
    let mut server = FakeServer::new(offset!(+8));
    let (status, answer) = server.handle("POST", "/iclock/cdata", "SN=CKUH203360017&table=OPERLOG&OpStamp=3", body);
    assert_eq!((status, answer.as_str()), (200, "OK: 3"));
    let batch = operlog::parse(body, &Limits::default()).expect("under the cap");
    assert_eq!(batch.users.len(), 1);
    assert_eq!((batch.users[0].pin.as_str(), batch.users[0].name.as_str()), ("1002", "I Gusti Ayu Kade"));
    assert_eq!((batch.operations.len(), batch.skipped.get("FP")), (1, Some(&1)));
}

#[test]
fn a_malformed_line_among_good_ones() {
    let body = b"1\t2026-12-02 07:50:00\t0\t1\t0\t0\t0\n1\t2026-13-02 07:51:00\t0\t1\t0\t0\t0\n2\t2026-12-02 07:52:00\t0\t15\t0\t0\t0\n";
    let mut server = FakeServer::new(offset!(+8));
    let (status, answer) = server.handle("POST", "/iclock/cdata", "SN=A1&table=ATTLOG&Stamp=0", body);
    assert_eq!((status, answer.as_str()), (200, "OK: 3"), "every line processed, the refused one included");
    assert_eq!(server.records.len(), 2);
    assert_eq!(server.refused.len(), 1);
    let refused = &server.refused[0];
    assert_eq!((refused.line, refused.raw.as_str()), (2, "1\t2026-13-02 07:51:00\t0\t1\t0\t0\t0"));
    assert!(matches!(refused.kind, LineErrorKind::BadTime { .. }));
    assert!(refused.to_string().starts_with("line 2: time \"2026-13-02 07:51:00\""), "{refused}");
}

#[test]
fn a_repeated_batch_is_stored_once_and_acknowledged_each_time() {
    let body = b"1\t2026-12-02 07:50:00\t0\t1\t0\t0\t0\n2\t2026-12-02 07:52:00\t0\t15\t0\t0\t0\n";
    let mut server = FakeServer::new(offset!(+8));
    for _ in 0..2 {
        let (_, answer) = server.handle("POST", "/iclock/cdata", "SN=A1&table=ATTLOG&Stamp=0", body);
        assert_eq!(answer, "OK: 2", "duplicates are counted");
    }
    assert_eq!(server.records.len(), 2);
}

#[test]
fn a_five_megabyte_body_is_refused_with_a_clear_error() {
    let line = b"1\t2026-12-02 07:50:00\t0\t1\t0\t0\t0\n";
    let body: Vec<u8> = line.iter().copied().cycle().take(5 * 1024 * 1024).collect();
    let got = request::parse("POST", "/iclock/cdata", "SN=A1&table=ATTLOG", &body, &Limits::default());
    let error = got.expect_err("over the default cap");
    assert_eq!(error, RequestError::BodyTooLarge { serial: serial("A1"), len: 5_242_880, cap: 2_097_152 });
    assert_eq!(error.to_string(), "terminal A1: body of 5242880 bytes is over the limit of 2097152 bytes");
    assert!(matches!(attlog::parse(&body, &Limits::default()), Err(attlog::BatchError::BodyTooLarge { len: 5_242_880, .. })));

    // The cap is the server's setting.
    let roomy = Limits { max_body_bytes: 8 * 1024 * 1024, ..Limits::default() };
    assert!(request::parse("POST", "/iclock/cdata", "SN=A1&table=ATTLOG", &body, &roomy).is_ok());
    let batch = attlog::parse(&body, &roomy).expect("under the raised cap");
    assert_eq!(body.len() % line.len(), 0, "5 MiB of whole lines");
    assert_eq!((batch.processed(), batch.errors.len()), (body.len() / line.len(), 0));
}

#[test]
fn a_name_in_gb18030() {
    // "USER PIN=8\tName=王伟\tPri=0": 王伟 is CD F5 CE B0 in GB18030.
    let mut body = b"USER PIN=8\tName=".to_vec();
    body.extend_from_slice(&[0xCD, 0xF5, 0xCE, 0xB0]);
    body.extend_from_slice(b"\tPri=0\tPasswd=\tCard=\tGrp=1\r\n");
    let batch = operlog::parse(&body, &Limits::default()).expect("under the cap");
    assert_eq!(batch.errors, vec![]);
    assert_eq!((batch.users[0].name.as_str(), batch.users[0].name_encoding), ("王伟", TextEncoding::Gb18030));
}

#[test]
fn the_aspx_aliases_carry_a_whole_session() {
    let mut server = FakeServer::new(offset!(+7));
    let mut terminal = SimTerminal::new("OEM0001").with_aspx_paths();
    terminal.punch("42", datetime!(2026-12-02 07:30:00), 0, 4);
    server.queue.push((1, Command::Reboot));
    let outcomes: Vec<SimOutcome> = (0..6).map(|_| server.exchange(&mut terminal)).collect();
    assert_eq!(
        outcomes,
        vec![
            SimOutcome::Handshaken,
            SimOutcome::Acknowledged(1),
            SimOutcome::Executed(1),
            SimOutcome::Handshaken,
            SimOutcome::ResultsDelivered,
            SimOutcome::Idle,
        ]
    );
    assert_eq!(server.request_errors, vec![]);
    assert_eq!(terminal.options().get("TimeZone").map(String::as_str), Some("7"));
    for (method, path) in [("GET", "/iclock/cdata.aspx"), ("POST", "/iclock/cdata.aspx"), ("GET", "/iclock/getrequest.aspx"), ("POST", "/iclock/devicecmd.aspx")] {
        let (status, _) = server.handle(method, path, "SN=OEM0001&table=ATTLOG", b"");
        assert_eq!(status, 200, "{method} {path}");
    }
}

#[test]
fn an_unknown_table_is_a_typed_error() {
    let mut server = FakeServer::new(offset!(+8));
    let (status, _) = server.handle("POST", "/iclock/cdata", "SN=A1&table=FINGERTMP&Stamp=1", b"PIN=1\tFID=0");
    assert_eq!(status, 400);
    assert_eq!(server.request_errors, vec![RequestError::UnknownTable { serial: serial("A1"), table: "FINGERTMP".into() }]);
    let (status, _) = server.handle("GET", "/iclock/fdata", "SN=A1", b"");
    assert_eq!(status, 400);
    assert!(matches!(&server.request_errors[1], RequestError::UnknownPath { path, .. } if path == "/iclock/fdata"));
}

#[test]
fn status_and_verify_codes_are_kept_and_mapped() {
    let body = b"1\t2026-12-02 07:00:00\t0\t15\n1\t2026-12-02 12:00:00\t2\t1\n1\t2026-12-02 13:00:00\t3\t3\n1\t2026-12-02 16:00:00\t1\t4\n1\t2026-12-02 18:00:00\t4\t0\n1\t2026-12-02 21:00:00\t5\t9\n2\t2026-12-02 07:00:00\t255\t15\n";
    let cases = [
        (StatusRule::standard(), [StatusMeaning::In, StatusMeaning::Other(2), StatusMeaning::Other(3), StatusMeaning::Out, StatusMeaning::In, StatusMeaning::Out, StatusMeaning::Other(255)]),
        (
            StatusRule::standard().with(255, Direction::In).with(2, Direction::Out).with(3, Direction::In),
            [StatusMeaning::In, StatusMeaning::Out, StatusMeaning::In, StatusMeaning::Out, StatusMeaning::In, StatusMeaning::Out, StatusMeaning::In],
        ),
    ];
    for (rule, meanings) in cases {
        let mut server = FakeServer::new(offset!(+8));
        server.rule = rule;
        let (_, answer) = server.handle("POST", "/iclock/cdata", "SN=A1&table=ATTLOG", body);
        assert_eq!(answer, "OK: 7");
        let got: Vec<StatusMeaning> = server.records.values().map(|s| s.meaning).collect();
        assert_eq!(got, meanings);
        let verify: Vec<VerifyMode> = server.records.values().map(|s| s.verify).collect();
        assert_eq!(verify[..6], [VerifyMode::Face, VerifyMode::Fingerprint, VerifyMode::Password, VerifyMode::Card, VerifyMode::Any, VerifyMode::Other(9)]);
    }
}

#[test]
fn device_local_times_convert_in_each_indonesian_zone() {
    let body = b"7\t2026-12-02 08:00:00\t0\t15\t0\t0\t0\n";
    let cases = [
        ("WIB", offset!(+7), datetime!(2026-12-02 01:00:00 UTC), "7"),
        ("WITA", offset!(+8), datetime!(2026-12-02 00:00:00 UTC), "8"),
        ("WIT", offset!(+9), datetime!(2026-12-01 23:00:00 UTC), "9"),
    ];
    for (name, zone, utc, option) in cases {
        let mut server = FakeServer::new(zone);
        server.handle("POST", "/iclock/cdata", "SN=A1&table=ATTLOG", body);
        let stored: Vec<OffsetDateTime> = server.records.values().map(|s| s.utc).collect();
        assert_eq!(stored, vec![utc], "{name}");
        let (_, handshake) = server.handle("GET", "/iclock/cdata", "SN=A1&options=all", b"");
        assert!(handshake.contains(&format!("\r\nTimeZone={option}\r\n")), "{name}: {handshake}");
    }
}

#[test]
fn the_terminal_resends_until_it_gets_ok_n() {
    let mut server = FakeServer::new(offset!(+8));
    server.upload_answer = UploadAnswer::Bare;
    let mut terminal = SimTerminal::new("A1");
    terminal.punch("1", datetime!(2026-12-02 07:50:00), 0, 15);
    terminal.punch("2", datetime!(2026-12-02 07:51:00), 0, 15);
    assert_eq!(server.exchange(&mut terminal), SimOutcome::Handshaken);
    for _ in 0..3 {
        assert_eq!(server.exchange(&mut terminal), SimOutcome::WillResend, "a bare OK is not an acknowledgement");
    }
    assert_eq!((terminal.stamp(), terminal.pending().len(), server.records.len()), (0, 2, 2));
    server.upload_answer = UploadAnswer::Counted;
    assert_eq!(server.exchange(&mut terminal), SimOutcome::Acknowledged(2));
    assert_eq!((terminal.stamp(), terminal.pending().len(), server.records.len(), server.uploads), (2, 0, 2, 4));
}

#[test]
fn a_server_that_was_down_gets_the_backlog_on_the_next_upload() {
    let mut server = FakeServer::new(offset!(+8));
    let mut terminal = SimTerminal::new("A1");
    terminal.batch_size = 50;
    assert_eq!(server.exchange(&mut terminal), SimOutcome::Handshaken);
    server.down = true;
    for minute in 0..120u8 {
        let at = datetime!(2026-12-02 07:00:00) + time::Duration::minutes(i64::from(minute));
        terminal.punch(&format!("{}", 100 + u32::from(minute)), at, 0, 15);
        assert_eq!(server.exchange(&mut terminal), SimOutcome::WillResend);
    }
    assert_eq!((terminal.pending().len(), server.records.len()), (120, 0));
    server.down = false;
    let outcomes: Vec<SimOutcome> = (0..4).map(|_| server.exchange(&mut terminal)).collect();
    assert_eq!(outcomes, vec![SimOutcome::Acknowledged(50), SimOutcome::Acknowledged(50), SimOutcome::Acknowledged(20), SimOutcome::Idle]);
    assert_eq!((terminal.stamp(), server.records.len()), (120, 120));
}

#[test]
fn roster_changes_reach_the_terminal_as_commands() {
    let mut server = FakeServer::new(offset!(+8));
    let mut terminal = SimTerminal::new("A1");
    assert_eq!(server.exchange(&mut terminal), SimOutcome::Handshaken);
    let now = datetime!(2026-12-02 00:30:15 UTC);
    server.queue = vec![
        (11, Command::UpdateUser(UserInfo::new("1002", "Ni Made Ayu").expect("valid"))),
        (12, Command::UpdateUser(UserInfo::new("1003", "Komang Tri").expect("valid"))),
        (13, Command::DeleteUser(Pin::new("1002").expect("valid"))),
        (14, Command::SetTime(ZkDateTime::at(now, server.zone).expect("in range"))),
    ];
    assert_eq!(server.exchange(&mut terminal), SimOutcome::Executed(4));
    assert_eq!(server.exchange(&mut terminal), SimOutcome::ResultsDelivered);
    assert_eq!(terminal.users(), &BTreeMap::from([("1003".to_string(), "Komang Tri".to_string())]));
    assert_eq!(terminal.clock(), Some(datetime!(2026-12-02 08:30:15)));
    let results: Vec<(u64, bool, Option<&str>)> = server.results.iter().map(|r| (r.id, r.succeeded(), r.cmd.as_deref())).collect();
    assert_eq!(results, vec![(11, true, Some("DATA")), (12, true, Some("DATA")), (13, true, Some("DATA")), (14, true, Some("SET"))]);
}

/// Prints `zk_lines_per_s` for decoding 100,000 ATTLOG lines (a figure, not an assertion).
#[test]
fn zk_lines_per_s() {
    let mut body = Vec::with_capacity(100_000 * 48);
    for i in 0..100_000u32 {
        let (h, m, s) = (6 + i / 3600 % 12, i / 60 % 60, i % 60);
        body.extend_from_slice(format!("{}\t2026-12-02 {h:02}:{m:02}:{s:02}\t{}\t15\t0\t0\t0\r\n", 1000 + i % 359, i % 2).as_bytes());
    }
    let limits = Limits { max_body_bytes: body.len(), ..Limits::default() };
    let started = Instant::now();
    let batch = attlog::parse(&body, &limits).expect("under the cap");
    let elapsed = started.elapsed();
    assert_eq!((batch.entries.len(), batch.errors.len()), (100_000, 0));
    let per_s = 100_000.0 / elapsed.as_secs_f64();
    let profile = if cfg!(debug_assertions) { "dev build" } else { "release build" };
    println!("zk_lines_per_s {per_s:.0} (100000 ATTLOG lines decoded in {:.1} ms, {profile}, no store)", elapsed.as_secs_f64() * 1000.0);
}
