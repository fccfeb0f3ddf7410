//! ZKTeco terminals through the real HTTP stack (a listener on 127.0.0.1:0), on SQLite and on
//! PostgreSQL: handshake, ATTLOG with CRLF and trailing tabs, OPERLOG with a GB18030 name, a
//! malformed line among good ones, a repeated batch, an unknown serial held then approved, a
//! revoked terminal, a 5 MB body, roster commands and their results, and the simulated
//! terminal's backlog after the server was down. Request bodies are written from the
//! protocol's description.

#[macro_use]
mod dashboard_fixture;

use dashboard_fixture::{Db, fixture_on};
use hadir_server::storage::Store;
use hadir_server::storage::terminals::TerminalState;
use hadir_server::terminals::{self, TerminalsState};
use hadir_zkteco::Limits;
use hadir_zkteco::sim::{SimOutcome, SimTerminal};
use std::net::SocketAddr;
use std::sync::Arc;
use time::macros::datetime;

const BUDI: &str = "198001012005011001";
const SRI: &str = "198502022010012002";
const AGUS: &str = "199003032015013003";

fn zone() -> hadir_rules::SiteZone {
    hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap()
}

/// 2026-03-02 10:00 WIB, in ms.
const NOW_MS: i64 = 1_772_420_400_000;

fn state(store: &Store) -> TerminalsState {
    TerminalsState::new(store.clone(), zone(), Arc::new(|| NOW_MS), Limits::default()).unwrap()
}

/// Serves the terminals' router on `listener` until the returned sender is dropped or fired.
fn serve_on(listener: tokio::net::TcpListener, st: TerminalsState) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = terminals::http::router(st);
    tokio::spawn(hadir_server::serve(listener, router, async move {
        let _ = rx.await;
    }));
    tx
}

async fn start(store: &Store) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, serve_on(listener, state(store)))
}

async fn send(addr: SocketAddr, method: &str, path_query: &str, body: Vec<u8>) -> (u16, String) {
    let client = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap();
    let url = format!("http://{addr}{path_query}");
    let req = if method == "GET" { client.get(url) } else { client.post(url).body(body) };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// GB18030 bytes of "张伟" (Zhang Wei).
const ZHANG_WEI_GB18030: &[u8] = &[0xD5, 0xC5, 0xCE, 0xB0];

async fn unknown_terminal_is_held_then_approved(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let store = &f.storage;
    let (addr, _stop) = start(store).await;

    // Handshake of a terminal never seen: registered as pending, answered with its options.
    let (status, body) = send(addr, "GET", "/iclock/cdata?SN=CKUH203360017&options=all&pushver=2.4.1&language=69", vec![]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("GET OPTION FROM: CKUH203360017\r\n"), "{body}");
    for line in ["ATTLOGStamp=0", "OPERLOGStamp=0", "TimeZone=7", "Realtime=1", "Delay=10", "ErrorDelay=30", "TransInterval=1"] {
        assert!(body.contains(&format!("{line}\r\n")), "{}: {line} missing in {body}", db.name());
    }
    let t = store.terminal("CKUH203360017").await.unwrap().unwrap();
    assert_eq!((t.state, t.push_version.as_deref()), (TerminalState::Pending, Some("2.4.1")));

    // ATTLOG with CRLF, trailing tabs, a later field and one malformed line: held, answered
    // with every line, nothing counted yet.
    let batch = format!(
        "{BUDI}\t2026-03-02 07:20:11\t0\t15\t0\t0\t0\t\t\r\n\
         {AGUS}\t2026-03-02 08:40:00\t0\t1\t0\t0\t0\t0\t36.5\r\n\
         {SRI}\t2026-03-02 25:61:00\t0\t1\t0\t0\t0\r\n\
         {BUDI}\t2026-03-02 12:00:00\t2\t15\t0\t0\t0\r\n\
         {BUDI}\t2026-03-02 16:05:00\t1\t15\t0\t0\t0\r\n"
    );
    let (status, body) = send(addr, "POST", "/iclock/cdata?SN=CKUH203360017&table=ATTLOG&Stamp=5", batch.clone().into_bytes()).await;
    assert_eq!((status, body.as_str()), (200, "OK: 5"), "{}", db.name());
    let t = store.terminal("CKUH203360017").await.unwrap().unwrap();
    assert_eq!((t.held_uploads, t.records, t.attlog_stamp), (1, 0, 5));
    let day = (datetime!(2026-03-02 00:00 +7), datetime!(2026-03-03 00:00 +7));
    let before = store.punches_by_employee(day.0, day.1).await.unwrap();
    assert!(before.get(BUDI).is_none_or(|v| v.iter().all(|p| p.record_id > 0)), "held lines do not count");
    // A pending terminal gets no commands.
    assert_eq!(send(addr, "GET", "/iclock/getrequest?SN=CKUH203360017", vec![]).await, (200, "OK".to_owned()));

    // Approval: the held batch becomes records, the site's roster is queued.
    let a = terminals::approve(store, "CKUH203360017", "KANTOR", &hadir_rules::SiteZones::single(zone()), &Limits::default(), NOW_MS).await.unwrap();
    assert_eq!((a.held_uploads, a.records, a.roster.updated, a.roster.deleted, a.roster.skipped), (1, 4, 6, 0, 0), "{}", db.name());
    let recs = store.terminal_records("CKUH203360017").await.unwrap();
    let got: Vec<(&str, &str, Option<&str>, i64, i64)> =
        recs.iter().map(|r| (r.pin.as_str(), r.local_time.as_str(), r.direction.as_deref(), r.status, r.verify)).collect();
    assert_eq!(
        got,
        [
            (BUDI, "2026-03-02 07:20:11", Some("in"), 0, 15),
            (AGUS, "2026-03-02 08:40:00", Some("in"), 0, 1),
            (BUDI, "2026-03-02 12:00:00", None, 2, 15),
            (BUDI, "2026-03-02 16:05:00", Some("out"), 1, 15),
        ]
    );
    assert_eq!(recs[0].recorded_at, datetime!(2026-03-02 00:20:11 UTC), "device-local time read in the site's zone");
    assert_eq!(recs[0].employee_id.as_deref(), Some(BUDI));
    assert_eq!(recs[0].provenance, "terminal_unsigned");
    assert_eq!(recs[1].raw, format!("{AGUS}\t2026-03-02 08:40:00\t0\t1\t0\t0\t0\t0\t36.5"));
    let refused = store.terminal_refused_lines("CKUH203360017").await.unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0].0.as_str(), refused[0].1), ("ATTLOG", 3));

    // The recap's read: Budi's IN and OUT and Agus's IN from the terminal, marked as such; the
    // status-2 line is not counted.
    let punches = store.punches_by_employee(day.0, day.1).await.unwrap();
    let budi: Vec<_> = punches[BUDI].iter().filter(|p| p.record_id < 0).collect();
    assert_eq!(budi.len(), 2, "{}", db.name());
    assert!(budi.iter().all(|p| &*p.device_id == "ZK:CKUH203360017"));
    assert_eq!(budi[0].at, datetime!(2026-03-02 07:20:11 +7));
    assert_eq!(punches[AGUS].iter().filter(|p| p.record_id < 0).count(), 1);

    // The same batch again (the terminal did not get our answer): answered the same, stored once.
    let (status, body) = send(addr, "POST", "/iclock/cdata.aspx?SN=CKUH203360017&table=ATTLOG&Stamp=5", batch.into_bytes()).await;
    assert_eq!((status, body.as_str()), (200, "OK: 5"));
    assert_eq!(store.terminal_records("CKUH203360017").await.unwrap().len(), 4, "duplicates stored once");

    // OPERLOG: an operation, a user with a GB18030 name, a fingerprint template.
    let mut operlog = b"OPLOG 4\t0\t2026-03-02 09:00:00\t0\t0\t0\t0\r\nUSER PIN=7\tName=".to_vec();
    operlog.extend_from_slice(ZHANG_WEI_GB18030);
    operlog.extend_from_slice(b"\tPri=0\tPasswd=123\tCard=\tGrp=1\tTZ=0000000100000000\r\nFP PIN=7\tFID=1\tSize=4\tValid=1\tTMP=AAAA\r\n");
    let (status, body) = send(addr, "POST", "/iclock/cdata?SN=CKUH203360017&table=OPERLOG&OpStamp=3", operlog).await;
    assert_eq!((status, body.as_str()), (200, "OK: 3"));
    assert_eq!(store.terminal_users("CKUH203360017").await.unwrap(), [("7".to_owned(), "张伟".to_owned())]);
    assert_eq!(store.terminal("CKUH203360017").await.unwrap().unwrap().operlog_stamp, 3);

    // The handshake now carries the stamps.
    let (_, body) = send(addr, "GET", "/iclock/cdata?SN=CKUH203360017&options=all", vec![]).await;
    assert!(body.contains("ATTLOGStamp=5\r\n") && body.contains("OPERLOGStamp=3\r\n"), "{body}");

    // Poll: the roster goes out as commands; results come back on devicecmd.
    let (status, body) = send(addr, "GET", "/iclock/getrequest.aspx?SN=CKUH203360017", vec![]).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 6, "{body}");
    assert!(lines[0].starts_with("C:") && lines[0].contains(&format!(":DATA UPDATE USERINFO PIN={BUDI}\tName=Budi Santoso\t")), "{body}");
    let results: String = lines.iter().map(|l| format!("ID={}&Return=0&CMD=DATA\n", l.split(':').nth(1).unwrap())).collect();
    assert_eq!(send(addr, "POST", "/iclock/devicecmd?SN=CKUH203360017", results.into_bytes()).await, (200, "OK".to_owned()));
    let cmds = store.terminal_commands(Some("CKUH203360017"), 50).await.unwrap();
    assert!(cmds.iter().all(|c| c.state == "done" && c.return_code == Some(0)), "{cmds:?}");
    // Nothing more to send: the roster is on the terminal.
    assert_eq!(send(addr, "GET", "/iclock/getrequest?SN=CKUH203360017", vec![]).await, (200, "OK".to_owned()));

    // A reboot from the administrator, answered with an error code: shown as sent.
    terminals::queue_reboot(store, "CKUH203360017", NOW_MS).await.unwrap();
    let (_, body) = send(addr, "GET", "/iclock/getrequest?SN=CKUH203360017", vec![]).await;
    assert!(body.ends_with(":REBOOT\n"), "{body}");
    let id = body.split(':').nth(1).unwrap();
    send(addr, "POST", "/iclock/devicecmd?SN=CKUH203360017", format!("ID={id}&Return=-1002&CMD=REBOOT\n").into_bytes()).await;
    let last = &store.terminal_commands(Some("CKUH203360017"), 1).await.unwrap()[0];
    assert_eq!((last.return_code, last.result.as_deref()), (Some(-1002), Some("Return=-1002&CMD=REBOOT")));

    // A 5 MB body: refused whole, nothing stored.
    let big = format!("{BUDI}\t2026-03-02 17:00:00\t1\t15\t0\t0\t0\n").repeat(5 * 1024 * 1024 / 40);
    assert!(big.len() > 5_000_000);
    // The server answers 413 from the Content-Length without reading the body and closes the
    // connection; a client still writing may see that as a broken pipe instead of the answer.
    let url = format!("http://{addr}/iclock/cdata?SN=CKUH203360017&table=ATTLOG&Stamp=99");
    match hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap().post(url).body(big.into_bytes()).send().await {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413, "{}", db.name()),
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{}: {e:?}", db.name()),
    }
    assert_eq!(store.terminal_records("CKUH203360017").await.unwrap().len(), 4);

    // Revoked: refused and its records untouched.
    assert!(terminals::revoke(store, "CKUH203360017", NOW_MS).await.unwrap());
    let late = format!("{BUDI}\t2026-03-02 17:30:00\t1\t15\t0\t0\t0\n");
    let (status, body) = send(addr, "POST", "/iclock/cdata?SN=CKUH203360017&table=ATTLOG&Stamp=6", late.into_bytes()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("revoked"), "{body}");
    assert_eq!(send(addr, "GET", "/iclock/getrequest?SN=CKUH203360017", vec![]).await.0, 403);
    assert_eq!(store.terminal_records("CKUH203360017").await.unwrap().len(), 4);

    // Not the protocol: clear refusals.
    assert_eq!(send(addr, "GET", "/iclock/cdata?options=all", vec![]).await.0, 400);
    assert_eq!(send(addr, "GET", "/api/v1/time?SN=A1", vec![]).await.0, 404);
}

async fn terminal_user_numbers_map_pins(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let store = &f.storage;
    let (addr, _stop) = start(store).await;
    send(addr, "GET", "/iclock/cdata?SN=A8N5230560001&options=all", vec![]).await;
    store.set_terminal_user(SRI, "1002").await.unwrap();
    terminals::approve(store, "A8N5230560001", "KANTOR", &hadir_rules::SiteZones::single(zone()), &Limits::default(), NOW_MS).await.unwrap();
    // PIN 1002 is Sri; Sri's own id no longer maps (she has a number); 999 is no one.
    let body = format!("1002\t2026-03-02 07:10:00\t0\t4\t0\t0\t0\n{SRI}\t2026-03-02 07:11:00\t0\t4\t0\t0\t0\n999\t2026-03-02 07:12:00\t0\t4\t0\t0\t0\n");
    assert_eq!(send(addr, "POST", "/iclock/cdata?SN=A8N5230560001&table=ATTLOG&Stamp=3", body.into_bytes()).await, (200, "OK: 3".to_owned()));
    let recs = store.terminal_records("A8N5230560001").await.unwrap();
    let who: Vec<Option<&str>> = recs.iter().map(|r| r.employee_id.as_deref()).collect();
    assert_eq!(who, [Some(SRI), None, None], "{}", db.name());
    // The roster pushed Sri as 1002.
    let (_, polled) = send(addr, "GET", "/iclock/getrequest?SN=A8N5230560001", vec![]).await;
    assert!(polled.contains("DATA UPDATE USERINFO PIN=1002\tName=Sri Wahyuni\t"), "{polled}");
    // An operator gives Budi his number on his page; Sri's is not his to take.
    {
        use dashboard_fixture::client::Client;
        let mut op = Client::new(&f);
        op.login("operator", dashboard_fixture::PASSWORD).await;
        let page = op.get(&format!("/employees/{BUDI}")).await.text();
        assert!(page.contains(&format!(r#"name="number" value="{BUDI}""#)), "unset: his id");
        let csrf = op.csrf(&format!("/employees/{BUDI}")).await;
        let taken = op.post(&format!("/employees/{BUDI}/terminal-user"), &[("csrf", &csrf), ("number", "1002")]).await.location.unwrap_or_default();
        assert!(op.get(&taken).await.text().contains(&format!("Nomor 1002 sudah dipakai pegawai {SRI}")), "{taken}");
        let bad = op.post(&format!("/employees/{BUDI}/terminal-user"), &[("csrf", &csrf), ("number", "10 03")]).await.location.unwrap_or_default();
        assert!(bad.contains("err="), "{bad}");
        let ok = op.post(&format!("/employees/{BUDI}/terminal-user"), &[("csrf", &csrf), ("number", "1003")]).await.location.unwrap_or_default();
        assert!(ok.contains("ok="), "{ok}");
        assert_eq!(store.terminal_user_of(BUDI).await.unwrap().as_deref(), Some("1003"));
        assert_eq!(store.terminal_user_of(SRI).await.unwrap().as_deref(), Some("1002"), "Sri keeps hers");
        let (_, polled) = send(addr, "GET", "/iclock/getrequest?SN=A8N5230560001", vec![]).await;
        assert!(polled.contains("DATA UPDATE USERINFO PIN=1003\tName=Budi Santoso\t"), "{polled}");
    }
    // Sri leaves the roster: her user is deleted from the terminal at the next poll.
    store.remove_employee(SRI, NOW_MS).await.unwrap();
    let (_, polled) = send(addr, "GET", "/iclock/getrequest?SN=A8N5230560001", vec![]).await;
    assert!(polled.trim_end().ends_with(":DATA DELETE USERINFO PIN=1002") && polled.lines().count() == 1, "{polled}");
}

/// The simulated terminal: the server is down at first (connection refused), the punches
/// wait on the terminal; once up, handshake, upload (held, then approved), poll, commands.
async fn simulated_terminal_backlog(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let store = &f.storage;
    // Reserve a port, then close it: the server is down.
    let addr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let mut sim = SimTerminal::new("CQZ7231160058").with_aspx_paths();
    sim.batch_size = 2;
    for (pin, m) in [(BUDI, 20), (AGUS, 40), (SRI, 45)] {
        sim.punch(pin, datetime!(2026-03-02 07:00).replace_minute(m).unwrap(), 0, 15);
    }
    let client = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap();
    let deliver = |sim: &mut SimTerminal| {
        let r = sim.next_request();
        let url = format!("http://{addr}{}?{}", r.path, r.query);
        let req = if r.method == "GET" { client.get(url) } else { client.post(url).body(r.body) };
        async move { req.send().await }
    };
    for _ in 0..3 {
        assert!(deliver(&mut sim).await.is_err(), "the server is down");
        sim.connection_failed();
    }
    assert_eq!(sim.pending().len(), 3);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let _stop = serve_on(listener, state(store));
    let mut outcomes = Vec::new();
    // Up to the first idle poll: handshake, two uploads, a poll.
    while outcomes.last() != Some(&SimOutcome::Idle) {
        assert!(outcomes.len() < 10, "{outcomes:?}");
        let resp = deliver(&mut sim).await.unwrap();
        let status = resp.status().as_u16();
        outcomes.push(sim.take_answer(status, &resp.text().await.unwrap()));
    }
    assert_eq!(outcomes, [SimOutcome::Handshaken, SimOutcome::Acknowledged(2), SimOutcome::Acknowledged(1), SimOutcome::Idle], "{}", db.name());
    assert_eq!(sim.options().get("TimeZone").map(String::as_str), Some("7"));
    assert!(store.terminal_records("CQZ7231160058").await.unwrap().is_empty(), "held while pending");
    terminals::approve(store, "CQZ7231160058", "KANTOR", &hadir_rules::SiteZones::single(zone()), &Limits::default(), NOW_MS).await.unwrap();
    assert_eq!(store.terminal_records("CQZ7231160058").await.unwrap().len(), 3, "the backlog arrived");
    // Poll → roster executed → results delivered → idle.
    let mut outcomes = Vec::new();
    while outcomes.last() != Some(&SimOutcome::Idle) {
        assert!(outcomes.len() < 10, "{outcomes:?}");
        let resp = deliver(&mut sim).await.unwrap();
        let status = resp.status().as_u16();
        outcomes.push(sim.take_answer(status, &resp.text().await.unwrap()));
    }
    assert_eq!(outcomes, [SimOutcome::Executed(6), SimOutcome::ResultsDelivered, SimOutcome::Idle]);
    assert_eq!(sim.users().get(BUDI).map(String::as_str), Some("Budi Santoso"));
    assert!(store.terminal_commands(Some("CQZ7231160058"), 50).await.unwrap().iter().all(|c| c.state == "done"));
    // A punch after approval arrives as a record straight away.
    sim.punch(BUDI, datetime!(2026-03-02 16:02), 1, 15);
    let resp = deliver(&mut sim).await.unwrap();
    assert_eq!(sim.take_answer(resp.status().as_u16(), &resp.text().await.unwrap()), SimOutcome::Acknowledged(1));
    assert_eq!(store.terminal_records("CQZ7231160058").await.unwrap().len(), 4);
}

/// The dashboard: the devices page lists a pending terminal, an administrator approves it
/// there; its records count on the today page, the late board's data and the date export,
/// marked as the terminal's.
async fn dashboard_approves_and_marks_terminal_records(db: &Db<'_>) {
    use dashboard_fixture::PASSWORD;
    use dashboard_fixture::client::Client;
    let f = fixture_on(db, true).await;
    let store = &f.storage;
    let (addr, _stop) = start(store).await;
    send(addr, "GET", "/iclock/cdata?SN=BJ2C201560003&options=all", vec![]).await;
    // Sri (no kiosk record counted yet: hers awaits confirmation) punches at 07:15 on the terminal.
    let line = format!("{SRI}\t2026-03-02 07:15:00\t0\t1\t0\t0\t0\r\n");
    assert_eq!(send(addr, "POST", "/iclock/cdata?SN=BJ2C201560003&table=ATTLOG&Stamp=1", line.into_bytes()).await, (200, "OK: 1".to_owned()));

    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let page = c.get("/devices").await.text();
    assert!(page.contains(r#"data-terminal="BJ2C201560003""#) && page.contains("Menunggu persetujuan"), "{page}");
    assert!(page.contains("/devices/terminals/BJ2C201560003/approve"), "administrators get the button");
    let csrf = c.csrf("/devices").await;
    let r = c.post("/devices/terminals/BJ2C201560003/approve", &[("csrf", &csrf), ("site", "KANTOR")]).await;
    assert!(r.status.is_redirection(), "{:?} {}", r.status, r.text());
    let t = store.terminal("BJ2C201560003").await.unwrap().unwrap();
    assert_eq!((t.state, t.site_id.as_deref(), t.records), (TerminalState::Approved, Some("KANTOR"), 1), "{}", db.name());
    let page = c.get("/devices").await.text();
    assert!(page.contains("Disetujui") && page.contains("DATA UPDATE USERINFO PIN="), "queued roster shown: {page}");
    assert_eq!(store.audit_lines(None, None, None, 50).await.unwrap().iter().filter(|l| l.action == "approve_terminal").count(), 1);

    // Today: Sri is present at 07:15 from the terminal.
    let today = c.get("/today").await.text();
    assert!(today.contains(r#"07:15 <span class="src" title="BJ2C201560003">Terminal</span>"#), "{today}");
    let records = c.get("/records?date=2026-03-02").await.text();
    assert!(
        records.contains(r#"<tr data-source="terminal"><td>07:15</td><td>Sri Wahyuni</td><td>MASUK</td><td><span class="src" title="BJ2C201560003">Terminal</span></td>"#),
        "the records page lists it, marked: {records}"
    );
    let csv = c.get("/reports/date.csv?date=2026-03-02").await.text();
    let sri = csv.lines().find(|l| l.contains("Sri Wahyuni")).unwrap();
    assert!(sri.contains("07:15") && sri.contains("Terminal BJ2C201560003"), "{sri}");

    // An operator sees the terminals but gets no buttons, and cannot post.
    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let page = op.get("/devices").await.text();
    assert!(page.contains(r#"data-terminal="BJ2C201560003""#) && !page.contains("/devices/terminals/BJ2C201560003/revoke"));
    let csrf = op.csrf("/devices").await;
    assert_eq!(op.post("/devices/terminals/BJ2C201560003/revoke", &[("csrf", &csrf)]).await.status.as_u16(), 403);
    // The terminal has no state keys: every punch comes as 255. The administrator counts 255
    // as IN from now on; 2 (break out) stays not counted. Lines stored before keep theirs.
    let before = format!("{SRI}\t2026-03-02 12:00:00\t255\t1\t0\t0\t0\n");
    assert_eq!(send(addr, "POST", "/iclock/cdata?SN=BJ2C201560003&table=ATTLOG&Stamp=2", before.into_bytes()).await, (200, "OK: 1".to_owned()));
    let page = c.get("/devices").await.text();
    assert!(page.contains(r#"id="status-rule""#) && !op.get("/devices").await.text().contains(r#"id="status-rule""#), "administrators only");
    let csrf = c.csrf("/devices").await;
    let r = c.post("/devices/terminals/status-rule", &[("csrf", &csrf), ("code_2", ""), ("code_3", ""), ("code_255", "in")]).await;
    assert!(r.location.unwrap_or_default().contains("ok="));
    assert!(c.get("/devices").await.text().contains(r#"<option value="in" selected>masuk</option>"#), "the rule is shown");
    let o_csrf = op.csrf("/devices").await;
    assert_eq!(op.post("/devices/terminals/status-rule", &[("csrf", &o_csrf), ("code_255", "out")]).await.status.as_u16(), 403);
    let after = format!("{SRI}\t2026-03-02 13:00:00\t255\t1\t0\t0\t0\n{SRI}\t2026-03-02 13:05:00\t2\t1\t0\t0\t0\n");
    assert_eq!(send(addr, "POST", "/iclock/cdata?SN=BJ2C201560003&table=ATTLOG&Stamp=3", after.into_bytes()).await, (200, "OK: 2".to_owned()));
    let directions: Vec<(String, Option<String>)> =
        store.terminal_records("BJ2C201560003").await.unwrap().into_iter().map(|r| (r.local_time, r.direction)).collect();
    assert_eq!(
        directions[1..],
        [("2026-03-02 12:00:00".to_owned(), None), ("2026-03-02 13:00:00".to_owned(), Some("in".to_owned())), ("2026-03-02 13:05:00".to_owned(), None)],
        "{directions:?}"
    );
    assert_eq!(store.audit_lines(Some("zk_status_rule"), Some("admin"), None, 5).await.unwrap()[0].detail, "255=in");
    // The administrator revokes it.
    let csrf = c.csrf("/devices").await;
    assert!(c.post("/devices/terminals/BJ2C201560003/revoke", &[("csrf", &csrf)]).await.status.is_redirection());
    assert_eq!(store.terminal("BJ2C201560003").await.unwrap().unwrap().state, TerminalState::Revoked);
}

on_both_backends!(
    unknown_terminal_is_held_then_approved,
    terminal_user_numbers_map_pins,
    simulated_terminal_backlog,
    dashboard_approves_and_marks_terminal_records
);
