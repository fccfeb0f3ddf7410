//! The dashboard in a real headless Chromium, driven over WebDriver (chromedriver):
//! a supervisor signs in and sees only their section, confirms a pending record, downloads the
//! monthly XLSX recap (read back cell by cell), and a late board updates live after a record
//! arrives; an operator enrols an employee's face by uploading photos (real face models) and
//! an admin reads refused requests in the audit log; markup typed into every free-text field
//! is shown as text on every page and never runs. Screenshots of the main pages go to
//! `docs/screenshots/dashboard-*.png`.
//!
//! Each scenario runs on SQLite and on PostgreSQL (`on_both_backends!`).
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by `cargo xtask setup`); the
//! paths can be overridden with `HADIR_CHROMIUM` and `HADIR_CHROMEDRIVER`.

#[macro_use]
mod dashboard_fixture;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use dashboard_fixture::{Db, PASSWORD, evidence_sha, face_path, fixture_on, insert_record, wib_ms};
use hadir_server::storage::portable::params;
use fantoccini::{Client, ClientBuilder, Locator};
use hadir_server::dashboard::auth::token_hash;
use hadir_server::dashboard::router;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(env: &str, default: &str) -> PathBuf {
    let p = std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        p.exists(),
        "{} not found: install Debian's chromium and chromium-driver (`cargo xtask setup` does), or set {env}",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_browser(download_dir: &Path, profile: &Path) -> (Driver, Client) {
    let chromium = tool("HADIR_CHROMIUM", "/usr/bin/chromium");
    let driver_bin = tool("HADIR_CHROMEDRIVER", "/usr/bin/chromedriver");
    let port = free_port();
    let driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900"
            ],
            "prefs": {
                "download.default_directory": download_dir,
                "download.prompt_for_download": false
            }
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    // chromedriver takes a moment to listen; retry for up to 20 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let conn = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(conn).capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return (driver, c),
            Err(e) if Instant::now() > deadline => panic!("chromedriver on port {port} did not start a session: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn screenshots_dir() -> PathBuf {
    let d = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("dashboard-{name}.png")), png).unwrap();
}

/// Serves the fixture's dashboard on a free port; its base URL. "localhost" is a secure
/// context, so the Secure session cookie works over plain HTTP.
async fn serve(f: &dashboard_fixture::Fixture) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = router(f.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://localhost:{port}")
}

/// A headless browser on the fixture's dashboard, served on a free port: the driver and its
/// client, the base URL, and the folders it downloads to and keeps its profile in (both
/// removed with it).
struct Browser {
    base: String,
    c: Client,
    downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
    _driver: Driver,
}

impl Browser {
    async fn open(f: &dashboard_fixture::Fixture) -> Browser {
        let base = serve(f).await;
        let downloads = tempfile::tempdir().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let (driver, c) = start_browser(downloads.path(), profile.path()).await;
        Browser { base, c, downloads, _profile: profile, _driver: driver }
    }
}

/// Signs `user` in through the login form (a screenshot of the form when `shoot`) and waits
/// for the signed-in page.
async fn sign_in(c: &Client, base: &str, user: &str, shoot: bool) {
    c.goto(&format!("{base}/login")).await.unwrap();
    if shoot {
        shot(c, "login").await;
    }
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    click_and_load(c, Locator::Id("login")).await;
    c.wait().for_element(Locator::Css("header nav")).await.unwrap();
}

/// Clicks what `locator` finds and waits until the browser has replaced the page: waiting
/// for an element alone can find it on the page being left (a second submission of the same
/// form) and then read a document that is half gone.
async fn click_and_load(c: &Client, locator: Locator<'_>) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(locator).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while old.tag_name().await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the page was not replaced within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    c.wait().for_element(Locator::Css("body")).await.unwrap();
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

async fn supervisor_confirms_exports_and_the_board_follows(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let b = Browser::open(&f).await;
    let (base, c, downloads) = (&b.base, &b.c, &b.downloads);

    // Sign in as the head of Bina Marga.
    sign_in(&c, &base, "kabid_bm", true).await;
    c.wait().for_element(Locator::Css("section[data-section]")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/today"));
    let sections: Vec<String> = {
        let mut v = Vec::new();
        for e in c.find_all(Locator::Css("section[data-section]")).await.unwrap() {
            v.push(e.attr("data-section").await.unwrap().unwrap());
        }
        v
    };
    assert_eq!(sections, vec!["Bina Marga"], "a supervisor sees only their section");
    let text = body_text(&c).await;
    assert!(text.contains("Agus Pratama") && !text.contains("Dewi Lestari") && !text.contains("Nyoman Arta"));
    shot(&c, "today").await;

    // Confirm Sri's pending record.
    c.goto(&format!("{base}/confirmations")).await.unwrap();
    let card = c.find(Locator::Css(&format!("div[data-record=\"{}\"]", f.pending_bm))).await.unwrap();
    assert!(c.find_all(Locator::Css(&format!("div[data-record=\"{}\"]", f.pending_sda))).await.unwrap().is_empty());
    // The evidence photo loads (natural width > 0).
    let loaded = c
        .execute("const i = document.querySelector('div[data-record] img'); return i.complete && i.naturalWidth > 0;", vec![])
        .await
        .unwrap();
    assert_eq!(loaded, serde_json::Value::Bool(true));
    shot(&c, "confirmations").await;
    card.find(Locator::Css("input[name=reason]")).await.unwrap().send_keys("Wajah sesuai foto pendaftaran").await.unwrap();
    card.find(Locator::Css("button.confirm")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css(".flash")).await.unwrap();
    assert!(body_text(&c).await.contains("Rekaman dikonfirmasi"));
    let rec = f.state.store.record(f.pending_bm).await.unwrap().unwrap();
    assert_eq!(rec.punch.decision, hadir_rules::Decision::Confirmed);
    assert_eq!(rec.reason.as_deref(), Some("Wajah sesuai foto pendaftaran"));

    // The monthly recap and its XLSX download.
    c.goto(&format!("{base}/reports?year=2026&month=3")).await.unwrap();
    assert!(c.find(Locator::Css("svg.chart")).await.is_ok(), "lateness chart");
    shot(&c, "report-month").await;
    c.find(Locator::Id("export-xlsx")).await.unwrap().click().await.unwrap();
    let file = wait_for_download(downloads.path(), "xlsx").await;
    let mut wb: Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let range = wb.worksheet_range("Rekap").unwrap();
    let headers: Vec<String> = (0..range.width() as u32).map(|col| range.get_value((2, col)).unwrap().to_string()).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap() as u32;
    let names: Vec<String> = (3..range.height() as u32).map(|r| range.get_value((r, col("Nama"))).unwrap().to_string()).collect();
    assert_eq!(names, vec!["Agus Pratama", "Budi Santoso", "Sri Wahyuni"], "only Bina Marga, by name");
    let sri = 3 + 2;
    assert_eq!(range.get_value((sri, col("Hadir"))), Some(&Data::Float(1.0)), "confirmed record counts");
    assert_eq!(range.get_value((sri, col("TL3"))), Some(&Data::Float(1.0)));
    assert_eq!(range.get_value((sri, col("Menit terlambat"))), Some(&Data::Float(75.0)));
    assert_eq!(range.get_value((sri, col("Menunggu konfirmasi"))), Some(&Data::Float(0.0)));

    c.goto(&format!("{base}/reports/date?date=2026-03-02")).await.unwrap();
    shot(&c, "report-date").await;

    // The same pages on a phone.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/today")).await.unwrap();
    shot(&c, "today-phone").await;
    c.set_window_size(1280, 900).await.unwrap();

    // The late board on the lobby TV.
    let token = "papan-lobi-uji";
    f.state.store.add_board_token(&token_hash(token), &hadir_server::storage::accounts::BoardToken { label: "Lobi".into(), initials_only: false, device_alerts: false, site: None }, 0, i64::MAX).await.unwrap();
    c.set_window_size(1920, 1080).await.unwrap();
    c.goto(&format!("{base}/board/{token}")).await.unwrap();
    // Read in one script call: the event stream replaces the board's markup at any moment, so
    // a found element can go stale before its text is read.
    let count = || async {
        match c.execute("const e = document.getElementById('late-count'); return e ? e.textContent : '';", vec![]).await.unwrap() {
            serde_json::Value::String(s) => s,
            other => panic!("late count: {other}"),
        }
    };
    // Agus, Rudi and (now confirmed) Sri.
    assert_eq!(count().await, "3");
    // Let the event stream connect before the record arrives.
    wait_until(Duration::from_secs(5), || async {
        c.execute("return document.readyState", vec![]).await.unwrap() == serde_json::Value::String("complete".into())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A record arrives as the device API stores it: Dewi, valid, 09:00 (90 minutes late, TL3).
    let t0 = Instant::now();
    insert_record(&f.state.store, "K-02", 10, "198704042011014004", "in", wib_ms(9, 0), 9400, &evidence_sha()).await;
    wait_until(Duration::from_secs(5), || async { count().await == "4" }).await;
    let latency = t0.elapsed();
    println!("late board updated {} ms after the record was stored", latency.as_millis());
    let board = match c.execute("return document.body.innerText", vec![]).await.unwrap() {
        serde_json::Value::String(s) => s,
        other => panic!("board text: {other}"),
    };
    assert!(board.contains("Dewi Lestari") && board.contains("+90"), "{board}");
    shot(&c, "board").await;
    c.clone().close().await.unwrap();
}

async fn wait_until<F, Fut>(limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "condition not met within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The file of `ext` downloaded into `dir`, once the browser has finished it: Chromium reserves
/// the final name with an empty file while it writes a `.crdownload` beside it.
async fn wait_for_download(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
        let writing = files.iter().any(|p| p.extension().is_some_and(|e| e == "crdownload"));
        let found = files.iter().find(|p| p.extension().is_some_and(|e| e == ext) && std::fs::metadata(p).is_ok_and(|m| m.len() > 0));
        if let (Some(p), false) = (found, writing) {
            return p.clone();
        }
        assert!(Instant::now() < deadline, "no .{ext} downloaded into {}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn operator_enrols_a_face_by_uploading_photos(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let b = Browser::open(&f).await;
    let (base, c) = (&b.base, &b.c);
    let budi = "198001012005011001";

    sign_in(&c, &base, "operator", false).await;
    c.wait().for_element(Locator::Css("table#employees")).await.unwrap();
    shot(&c, "employees").await;
    c.find(Locator::LinkText("Budi Santoso")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("photos")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with(&format!("/employees/{budi}")));

    // A photo with two people is refused with the reason, naming the file.
    let employee_url = format!("{base}/employees/{budi}");
    let upload = |files: Vec<PathBuf>| {
        let (c, url) = (c.clone(), employee_url.clone());
        async move {
            // From a fresh page, so the flash waited for is the answer to this upload.
            c.goto(&url).await.unwrap();
            let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            c.find(Locator::Id("photos")).await.unwrap().send_keys(&paths.join("\n")).await.unwrap();
            c.find(Locator::Id("enrol")).await.unwrap().click().await.unwrap();
            c.wait().for_element(Locator::Css(".flash")).await.unwrap();
            body_text(&c).await
        }
    };
    let text = upload(vec![face_path("people/obama/obama.jpg"), face_path("people/obama/obama3.jpg"), face_path("groups/two_people.jpg")]).await;
    assert!(text.contains("two_people.jpg: ada lebih dari satu wajah"), "{text}");
    assert!(f.storage.templates(budi).await.unwrap().is_empty());

    // Three good photos of one person: enrolled.
    let text = upload(vec![face_path("people/obama/obama.jpg"), face_path("people/obama/obama3.jpg"), face_path("people/obama/obama4.jpg")]).await;
    assert!(text.contains("Wajah terdaftar dari 3 foto"), "{text}");
    assert_eq!(f.storage.templates(budi).await.unwrap().len(), 3);
    shot(&c, "employee").await;
    c.set_window_size(390, 844).await.unwrap();
    shot(&c, "employee-phone").await;
    c.set_window_size(1280, 900).await.unwrap();

    // The operator reaches for reports: refused, and the admin reads it in the audit log.
    c.goto(&format!("{base}/reports")).await.unwrap();
    assert!(body_text(&c).await.contains("Akses ditolak"));
    // A forged upload was refused by the device API earlier this morning.
    f.state
        .store
        .write(
            "test: refused upload",
            "INSERT INTO refused_uploads (device_id, seq, reason, detail, remote_addr, at_ms)
             VALUES ('K-02', 4, 'bad_signature', 'signature does not verify with the enrolled key', '10.20.1.17:50412', $1)",
            params![wib_ms(8, 12)],
        )
        .await
        .unwrap();
    c.goto(&format!("{base}/devices")).await.unwrap();
    c.wait().for_element(Locator::Css("table#refused")).await.unwrap();
    assert!(body_text(&c).await.contains("tanda tangan tidak sah"));
    shot(&c, "devices").await;
    c.find(Locator::Css("header form button")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("login")).await.unwrap();
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("admin").await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("section[data-section]")).await.unwrap();
    c.find(Locator::LinkText("Log audit")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("table#audit")).await.unwrap();
    let text = body_text(&c).await;
    assert!(text.contains("Akses ditolak") && text.contains("GET /reports: role operator may not use Reports"), "{text}");
    assert!(text.contains("Pendaftaran wajah ditolak") && text.contains("Pendaftaran wajah"), "{text}");
    shot(&c, "audit").await;
    c.clone().close().await.unwrap();
}

/// An administrator opens Budi's February, where his kiosk failed on Friday the 27th, and adds
/// the IN and the late OUT from the paper list, the list attached: the day turns present with
/// its overtime, both punches marked "Manual".
async fn an_administrator_adds_a_missing_out_in_the_browser(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let b = Browser::open(&f).await;
    let (base, c, downloads) = (&b.base, &b.c, &b.downloads);
    sign_in(&c, &base, "admin", false).await;
    let month = format!("{base}/reports/employee?id=198001012005011001&year=2026&month=2");
    let letter = downloads.path().join("daftar-hadir.pdf");
    std::fs::write(&letter, b"%PDF-1.4 daftar hadir manual").unwrap();
    for (time, direction, attach) in [("07:15", "in", false), ("19:30", "out", true)] {
        c.goto(&month).await.unwrap();
        c.wait().for_element(Locator::Css("#manual-add")).await.unwrap();
        // Date and time inputs take their value as the page's script would set it (typed
        // keys depend on the browser's locale).
        c.execute(
            "const f = document.querySelector('#manual-add'); f.date.value = arguments[0]; f.time.value = arguments[1]; f.direction.value = arguments[2];",
            vec![serde_json::json!("2026-02-27"), serde_json::json!(time), serde_json::json!(direction)],
        )
        .await
        .unwrap();
        c.find(Locator::Css("#manual-add input[name=reason]")).await.unwrap().send_keys("Kios rusak; daftar hadir kertas").await.unwrap();
        if attach {
            c.find(Locator::Css("#manual-add input[name=attachment]")).await.unwrap().send_keys(&letter.display().to_string()).await.unwrap();
        }
        click_and_load(&c, Locator::Css("#manual-add button")).await;
        c.wait().for_element(Locator::Css("#manual table")).await.unwrap();
        assert!(body_text(&c).await.contains("Entri manual dicatat"), "the flash says it was recorded");
    }
    let row = c.find(Locator::XPath("//tr[td[1]='2026-02-27']")).await.unwrap().text().await.unwrap();
    for cell in ["07:15 Manual 19:30 Manual Hadir", " 30 "] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    let entries = c.find_all(Locator::Css("#manual tr[data-manual]")).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(c.find(Locator::LinkText("daftar-hadir.pdf")).await.is_ok(), "the letter is linked");
    shot(&c, "manual-entry").await;
    c.clone().close().await.unwrap();
}

/// Markup in every free-text field that reaches a page — an employee's name, a section's name,
/// a device id, a supervisor's and an administrator's reasons, a leave request's reason and
/// file name, a holiday, a board label, a name typed at a failed login — is shown as text: the
/// browser builds none of its elements and runs none of its code.
async fn markup_in_free_text_never_runs(db: &Db<'_>) {
    use hadir_server::storage::portable::Stmt;
    const MARK: &str = r#"Tes<script>window.__xss=1</script><img src="x" onerror="window.__xss=2">"'><svg onload="window.__xss=3"></svg>"#;
    let f = fixture_on(db, true).await;
    let now = dashboard_fixture::NOW;
    let evil_id = "199912312020121999";
    let s = &f.storage;
    s.write_all(
        "test: markup everywhere",
        vec![
            Stmt::new(
                "INSERT INTO employees (employee_id, name, site_id, section_id, revision) VALUES ($1, $2, 'KANTOR', 'BM', 1)",
                params![evil_id, format!("Nama {MARK}")],
            ),
            Stmt::new(
                "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                     synced_until_ms, last_seq, last_hash) VALUES ($1, 'KANTOR', 'office', 'pk', '0.1.0', 0, $2, $2, 0, '')",
                params![format!("K-{MARK}"), wib_ms(9, 0)],
            ),
        ],
    )
    .await
    .unwrap();
    let h = hadir_rules::WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).unwrap();
    s.put_section("XSS", &format!("Bidang {MARK}"), &hadir_rules::WeeklySchedule::weekdays(h)).await.unwrap();
    let sha = evidence_sha();
    insert_record(s, &format!("K-{MARK}"), 1, evil_id, "in", wib_ms(8, 10), 6600, &sha).await;
    s.decide(f.pending_bm, false, &format!("Alasan {MARK}"), "admin", now).await.unwrap();
    let day = now.date();
    s.add_correction(evil_id, day, Some(hadir_rules::Excused::Sakit), &format!("Koreksi {MARK}"), "admin", now).await.unwrap();
    let letter = hadir_server::storage::leave::Attachment { name: format!("surat {MARK}.pdf"), bytes: b"%PDF-1.4 test".to_vec() };
    s.file_leave(evil_id, hadir_rules::Excused::Cuti, day, day, &format!("Cuti {MARK}"), Some((&letter, "application/pdf")), "admin", now)
        .await
        .unwrap();
    s.put_holidays(&[hadir_server::storage::calendar::Holiday::everywhere(day + time::Duration::days(3), format!("Libur {MARK}"), hadir_server::storage::calendar::HolidayKind::National)]).await.unwrap();
    let signer = hadir_server::reports::signoff::Signatory { title: format!("Jabatan {MARK}"), name: format!("Nama {MARK}"), nip: String::new() };
    let letterhead = hadir_server::reports::signoff::Letterhead {
        lines: vec![format!("Kop {MARK}")],
        place: format!("Tempat {MARK}"),
        approver: signer.clone(),
        preparer: signer.clone(),
        section_heads: [("BM".to_owned(), signer)].into_iter().collect(),
    };
    s.set_letterhead(&letterhead).await.unwrap();
    s.add_board_token(&token_hash("papan-xss"), &hadir_server::storage::accounts::BoardToken { label: format!("TV {MARK}"), initials_only: false, device_alerts: false, site: None }, 0, i64::MAX).await.unwrap();
    s.audit(MARK, "login_failed", "", now).await.unwrap();

    let b = Browser::open(&f).await;
    let (base, c) = (&b.base, &b.c);
    sign_in(&c, &base, "admin", false).await;
    let pages = [
        "/today".to_owned(),
        "/employees".to_owned(),
        format!("/employees/{evil_id}"),
        "/records?date=2026-03-02".to_owned(),
        "/confirmations".to_owned(),
        "/corrections".to_owned(),
        "/leave".to_owned(),
        "/devices".to_owned(),
        "/settings".to_owned(),
        "/audit".to_owned(),
        "/reports?year=2026&month=3".to_owned(),
        "/reports/date?date=2026-03-02".to_owned(),
        format!("/reports/employee?id={evil_id}&year=2026&month=3"),
        "/board/papan-xss".to_owned(),
    ];
    let mut shown = 0;
    for path in &pages {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let ran = c.execute("return window.__xss || 0", vec![]).await.unwrap();
        assert_eq!(ran, serde_json::json!(0), "{path}: the page ran injected code");
        let built = c
            .execute(r#"return document.querySelectorAll('img[src="x"], svg[onload], script:not([src])').length"#, vec![])
            .await
            .unwrap();
        assert_eq!(built, serde_json::json!(0), "{path}: injected markup became elements");
        if body_text(&c).await.contains("<script>window.__xss=1</script>") {
            shown += 1;
        }
    }
    assert!(shown >= 8, "the markup is shown as text on the pages that name it ({shown} of {})", pages.len());
}

/// Sri's supervisor approves her sick leave on the leave page and her month turns those days
/// into "Sakit"; then, on the records page, he reverses a decision he made with a reason, and
/// both decisions stay visible.
async fn a_supervisor_approves_leave_and_reverses_a_decision(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let sri = "198502022010012002";
    let (from, to) = (time::macros::date!(2026 - 02 - 23), time::macros::date!(2026 - 02 - 24));
    let letter = hadir_server::storage::leave::Attachment { name: "surat-dokter.pdf".into(), bytes: b"%PDF-1.4 surat".to_vec() };
    let request = f
        .storage
        .file_leave(sri, hadir_rules::Excused::Sakit, from, to, "Demam berdarah", Some((&letter, "application/pdf")), sri, dashboard_fixture::NOW)
        .await
        .unwrap();
    let b = Browser::open(&f).await;
    let (base, c) = (&b.base, &b.c);
    sign_in(&c, &base, "kabid_bm", false).await;
    let month = format!("{base}/reports/employee?id={sri}&year=2026&month=2");
    let day_row = |c: Client| async move { c.find(Locator::XPath("//tr[td[1]='2026-02-23']")).await.unwrap().text().await.unwrap() };
    c.goto(&month).await.unwrap();
    assert!(!day_row(c.clone()).await.contains("Sakit"), "not excused before the approval");

    c.goto(&format!("{base}/leave")).await.unwrap();
    let row = c.find(Locator::Css(&format!("tr[data-leave=\"{request}\"]"))).await.unwrap();
    assert!(row.text().await.unwrap().contains("Menunggu persetujuan"));
    row.find(Locator::Css("input[name=reason]")).await.unwrap().send_keys("Surat dokter terlampir").await.unwrap();
    click_and_load(&c, Locator::Css(&format!("tr[data-leave=\"{request}\"] button[value=approve]"))).await;
    let state = c.find(Locator::Css(&format!("tr[data-leave=\"{request}\"] td.state"))).await.unwrap().text().await.unwrap();
    assert!(state.contains("Disetujui") && state.contains("kabid_bm"), "{state}");
    c.goto(&month).await.unwrap();
    let day = day_row(c.clone()).await;
    assert!(day.contains("Sakit"), "the recap excuses the day: {day}");

    // A decision, then its reversal with a reason: both shown.
    c.goto(&format!("{base}/confirmations")).await.unwrap();
    let card = c.find(Locator::Css(&format!("div[data-record=\"{}\"]", f.pending_bm))).await.unwrap();
    card.find(Locator::Css("input[name=reason]")).await.unwrap().send_keys("Wajah sesuai").await.unwrap();
    click_and_load(&c, Locator::Css(&format!("div[data-record=\"{}\"] button.confirm", f.pending_bm))).await;
    c.goto(&format!("{base}/records?date=2026-03-02")).await.unwrap();
    let reverse = format!("form[action=\"/confirmations/{}/reverse\"]", f.pending_bm);
    c.find(Locator::Css(&format!("{reverse} input[name=reason]"))).await.unwrap().send_keys("Orang lain di foto").await.unwrap();
    click_and_load(&c, Locator::Css(&format!("{reverse} button"))).await;
    let text = body_text(&c).await;
    assert!(text.contains("Keputusan diubah") && text.contains("Orang lain di foto"), "{text}");
    let old = c.find(Locator::Css("del.decision-old")).await.unwrap().text().await.unwrap();
    assert!(old.contains("Dikonfirmasi: Wajah sesuai (kabid_bm"), "the first decision stays visible: {old}");
}

/// A field record made 3 km north of the office, outside its area, waits for the supervisor:
/// in the confirmation queue she sees the map (the area, the position with its accuracy, a
/// scale) and the reason, in Bahasa Indonesia.
async fn a_supervisor_sees_where_a_doubted_record_was_made(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let area = hadir_server::storage::areas::SiteArea::new(-8.58, 115.17, 300).unwrap();
    f.storage.put_site_area("KANTOR", area, "admin", 0).await.unwrap();
    let at = wib_ms(7, 55);
    f.storage
        .write(
            "test: a field record with its fix",
            "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                 match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                 clock_jumped, record_hash, signature, canonical, received_at_ms, gps_lat_e7, gps_lon_e7, gps_accuracy_dm, gps_hdop_centi)
             VALUES ('K-01', 20, '199003032015013003', 'in', $1, 420, 'field', 9300, 9500, 'valid', $2, '0.1.0', 'm1', $3, 0, 'K-01-20', 'sig', $4, $1,
                 -85530000, 1151700000, 150, 120)",
            params![at, evidence_sha(), "00".repeat(32), vec![0u8]],
        )
        .await
        .unwrap();
    let id: i64 = f.storage.query_opt("test: id", "SELECT id FROM records WHERE record_hash = 'K-01-20'", params![], |r| r.i64(0)).await.unwrap().unwrap();
    f.storage
        .write("test: its doubt", "INSERT INTO record_flags (record_id, recorded_at_ms, flags) VALUES ($1, $2, $3)", params![id, at, r#"[{"code":"place_outside_area","value":2702}]"#])
        .await
        .unwrap();
    let b = Browser::open(&f).await;
    let (base, c) = (&b.base, &b.c);
    sign_in(&c, &base, "kabid_bm", false).await;
    c.goto(&format!("{base}/confirmations")).await.unwrap();
    let card = format!("div[data-record=\"{id}\"]");
    let reason = c.find(Locator::Css(&format!("{card} li[data-flag=place_outside_area]"))).await.unwrap().text().await.unwrap();
    assert_eq!(reason, "di luar area lokasi, 2,7 km dari batasnya");
    // The map (Leaflet, served by the dashboard, no tiles in tests): each part has a size and
    // lies inside the map.
    let drawn = map_parts(c, &card, &["path.map-area", "path.map-accuracy", "path.map-fix", ".leaflet-control-scale-line"]).await;
    assert_eq!(drawn, serde_json::json!([true, true, true, true]), "area, accuracy circle, position and scale on the map");
    let scale = c.find(Locator::Css(&format!("{card} .leaflet-control-scale-line"))).await.unwrap().text().await.unwrap();
    assert!(["200 m", "300 m", "500 m", "1 km", "2 km", "3 km"].contains(&scale.as_str()), "a scale for 3 km: {scale}");
    // The drawing stays in the page for a browser without script, with its labels.
    let labels = c.execute("return document.querySelector(arguments[0] + ' svg.map').textContent", vec![serde_json::json!(card)]).await.unwrap();
    let labels = labels.as_str().unwrap_or_default();
    assert!(labels.contains("Area lokasi") && labels.contains("Posisi rekaman"), "{labels}");
    shot(&c, "confirmation-map").await;

    // The record's own page: the same map, the reason, the decision still open.
    c.goto(&format!("{base}/records/{id}")).await.unwrap();
    let own = map_parts(c, &card, &["path.map-area", "path.map-accuracy", "path.map-fix"]).await;
    assert_eq!(own, serde_json::json!([true, true, true]), "the record's page shows its map");
    let text = c.find(Locator::Css(&card)).await.unwrap().text().await.unwrap();
    assert!(text.contains("MASUK 2026-03-02 07:55") && text.contains("di luar area lokasi") && text.contains("Menunggu konfirmasi"), "{text}");

    // The field staff's day: the employee's records of the date on one map, over the area.
    c.goto(&format!("{base}/field?date=2026-03-02")).await.unwrap();
    let day = "section[data-field-day=\"199003032015013003\"]".to_owned();
    let shown = map_parts(c, &day, &["path.map-area", "path.map-fix", ".leaflet-control-scale-line"]).await;
    assert_eq!(shown, serde_json::json!([true, true, true]), "the day's map");
    shot(&c, "field-day").await;
    let row = c.find(Locator::Css(&format!("{day} tr[data-record=\"{id}\"]"))).await.unwrap().text().await.unwrap();
    assert!(row.contains("07:55 MASUK") && row.contains("HDOP 1.2") && row.contains("di luar area lokasi"), "{row}");
}

/// For each of `parts` (selectors) of the Leaflet map inside `within`: whether it has a size and
/// lies inside the map (else why not), once all are or after 10 s.
async fn map_parts(c: &Client, within: &str, parts: &[&str]) -> serde_json::Value {
    const INSIDE: &str = r#"const map = document.querySelector(arguments[0] + ' .leaflet-map');
if (!map) { return 'no map: the map library is not installed (cargo xtask setup) or did not run'; }
const box = map.getBoundingClientRect();
return arguments[1].map(sel => { const e = map.querySelector(sel); if (!e) { return sel + ' missing'; } const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1; });"#;
    let all = serde_json::json!(vec![true; parts.len()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = c.execute(INSIDE, vec![serde_json::json!(within), serde_json::json!(parts)]).await.unwrap();
        if got == all || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A personnel file of `n` employees (CSV, `;`), at the fixture's site and sections; with
/// `bad`, five rows that cannot be imported (their row numbers returned, header = row 1).
fn personnel_file(n: usize, bad: bool) -> (String, Vec<usize>) {
    let mut text = String::from("NIP;Nama;Jabatan;Bidang;Lokasi;Jenis Pegawai\n");
    let mut refused = Vec::new();
    for i in 0..n {
        let nip = format!("19{:02}0101{:04}01{:04}", 60 + i % 40, 2000 + i % 25, 1000 + i);
        let (nip, name, section, kind) = match (bad, i) {
            (true, 10) => (nip[..17].to_owned(), format!("Pegawai {i}"), "BM", "PNS"),
            (true, 50) => (format!("19{:02}0101{:04}01{:04}", 60 + 49 % 40, 2000 + 49 % 25, 1049), format!("Pegawai {i}"), "BM", "PNS"),
            (true, 100) => (nip, format!("Pegawai {i}"), "Bidang Antah", "PNS"),
            (true, 200) => (nip, "=HYPERLINK(\"http://x\")".to_owned(), "SDA", "PNS"),
            (true, 300) => (nip, format!("Pegawai {i}"), "CK", "Pegawai Bulan"),
            _ => (nip, format!("Pegawai {i}"), ["BM", "SDA", "CK"][i % 3], "PNS"),
        };
        if bad && [10, 50, 100, 200, 300].contains(&i) {
            refused.push(i + 2);
        }
        text.push_str(&format!("{nip};{name};Staf;{section};KANTOR;{kind}\n"));
    }
    (text, refused)
}

/// An administrator imports the office's 359 employees from a file with five bad rows: the
/// preview names each row and why, nothing is saved and no save button is offered; the fixed
/// file shows 359 added and is saved; the kiosks' roster holds them.
async fn an_administrator_imports_359_employees(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let b = Browser::open(&f).await;
    let (base, c, downloads) = (&b.base, &b.c, &b.downloads);
    sign_in(&c, &base, "admin", false).await;
    let before = f.storage.roster_since("KANTOR", 0).await.unwrap().changed.len();

    let upload = |name: &str, text: String| {
        let path = downloads.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (bad, bad_rows) = personnel_file(359, true);
    c.goto(&format!("{base}/employees/import")).await.unwrap();
    c.find(Locator::Id("import-file")).await.unwrap().send_keys(&upload("pegawai.csv", bad).display().to_string()).await.unwrap();
    click_and_load(&c, Locator::Id("import-preview")).await;
    let summary = c.find(Locator::Id("import-summary")).await.unwrap().text().await.unwrap();
    assert_eq!(summary, "ditambah 354 · diubah 0 · tetap 0 · ditolak 5");
    let refused = c.find_all(Locator::Css("#import-rows td.bad")).await.unwrap();
    assert_eq!(refused.len(), 5);
    let rows = c.find_all(Locator::Css("#import-rows tbody tr")).await.unwrap();
    let mut shown = Vec::new();
    for r in rows.iter().take(5) {
        shown.push(r.text().await.unwrap());
    }
    for (line, row) in shown.iter().zip(&bad_rows) {
        assert!(line.starts_with(&format!("{row} ")), "row {row} first: {line}");
    }
    let all = shown.join("\n");
    for why in ["18", "sudah ada di baris", "Bidang Antah", "rumus", "jenis pegawai"] {
        assert!(all.contains(why), "{why} in {all}");
    }
    assert!(c.find(Locator::Id("import-confirm")).await.is_err(), "no save button with a refused row");
    assert_eq!(f.storage.roster_since("KANTOR", 0).await.unwrap().changed.len(), before, "nothing saved");
    shot(&c, "import-refused").await;

    let (good, _) = personnel_file(359, false);
    c.goto(&format!("{base}/employees/import")).await.unwrap();
    c.find(Locator::Id("import-file")).await.unwrap().send_keys(&upload("pegawai-benar.csv", good).display().to_string()).await.unwrap();
    click_and_load(&c, Locator::Id("import-preview")).await;
    assert_eq!(c.find(Locator::Id("import-summary")).await.unwrap().text().await.unwrap(), "ditambah 359 · diubah 0 · tetap 0 · ditolak 0");
    click_and_load(&c, Locator::Id("import-confirm")).await;
    assert!(body_text(&c).await.contains("359"), "the saved counts are shown");
    assert_eq!(f.storage.roster_since("KANTOR", 0).await.unwrap().changed.len(), before + 359, "the kiosks' roster holds them");
}

/// On a phone (390×844): the page does not scroll sideways, and the menu's links and every
/// button are at least 44 px tall (a thumb's target). Returns what was wrong, if anything.
async fn phone_problems(c: &Client) -> Vec<String> {
    let found = c
        .execute(
            r#"const out = [];
const doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth) out.push(`page ${doc.scrollWidth}px wide in a ${window.innerWidth}px screen`);
for (const el of document.querySelectorAll('header a, header button, main button')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.height < 44) out.push(`${el.tagName} "${el.textContent.trim()}" is ${Math.round(r.height)}px tall`);
}
return out;"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// Budi signs in on his phone with his NIP and the first-time code an operator gave him,
/// chooses his password, and reads his March: the days as cards, nothing wider than the
/// screen; another employee's month is not found. The staff pages fit a phone too.
async fn an_employee_reads_his_month_on_a_phone(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let budi = "198001012005011001";
    let code = "abcd-efgh-jkmn";
    let hash = hadir_server::dashboard::auth::hash_password(code).unwrap();
    f.storage.set_employee_code(budi, &hash, i64::MAX).await.unwrap();
    let b = Browser::open(&f).await;
    let (base, c) = (&b.base, &b.c);
    c.set_window_size(390, 844).await.unwrap();
    assert_eq!(c.execute("return window.innerWidth", vec![]).await.unwrap(), serde_json::json!(390), "a phone's width");

    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(budi).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(code).await.unwrap();
    click_and_load(&c, Locator::Id("login")).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/account"), "a code opens only the password form");
    assert!(body_text(&c).await.contains("Pilih kata sandi Anda sendiri"));
    let mine = "sepeda-motor-merah-99";
    for (name, value) in [("current", code), ("new", mine), ("again", mine)] {
        c.find(Locator::Css(&format!("#password input[name={name}]"))).await.unwrap().send_keys(value).await.unwrap();
    }
    click_and_load(&c, Locator::Css("#password button")).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(budi).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(mine).await.unwrap();
    click_and_load(&c, Locator::Id("login")).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/me"));

    c.goto(&format!("{base}/me?year=2026&month=3")).await.unwrap();
    let text = body_text(&c).await;
    assert!(text.contains("Budi Santoso") && text.contains("Kehadiran saya — Maret 2026"), "{text}");
    assert!(!text.contains("Sri Wahyuni"), "nobody else");
    let present = c.find(Locator::Css(r#"[data-stat="present"] b"#)).await.unwrap().text().await.unwrap();
    assert_eq!(present, "1 / 22");
    let header_shown = c.execute("return getComputedStyle(document.querySelector('table.stack thead')).display", vec![]).await.unwrap();
    assert_eq!(header_shown, serde_json::json!("none"), "the days are cards, not a wide table");
    let day = c.find(Locator::XPath("//tr[td[1]='2026-03-02']")).await.unwrap();
    let rect = c.execute("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", vec![serde_json::to_value(&day).unwrap()]).await.unwrap();
    let (left, right) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
    assert!(left >= 0.0 && right <= 390.0, "the day's card fits the screen: {left}..{right}");
    assert_eq!(phone_problems(&c).await, Vec::<String>::new(), "/me");
    shot(&c, "own-month-phone").await;

    c.goto(&format!("{base}/reports/employee?id=198502022010012002&year=2026&month=3")).await.unwrap();
    assert!(body_text(&c).await.contains("Tidak ditemukan"), "another employee's month does not exist for him");

    // The staff pages on the same phone.
    c.delete_all_cookies().await.unwrap();
    sign_in(&c, &base, "admin", false).await;
    for path in dashboard_fixture::ADMIN_PAGES {
        c.goto(&format!("{base}{path}")).await.unwrap();
        assert_eq!(phone_problems(&c).await, Vec::<String>::new(), "{path}");
    }
    c.goto(&format!("{base}/today")).await.unwrap();
    shot(&c, "today-phone").await;
}

on_both_backends!(
    a_supervisor_sees_where_a_doubted_record_was_made,
    a_supervisor_approves_leave_and_reverses_a_decision,
    an_administrator_imports_359_employees,
    an_employee_reads_his_month_on_a_phone,
    an_administrator_adds_a_missing_out_in_the_browser,
    supervisor_confirms_exports_and_the_board_follows,
    operator_enrols_a_face_by_uploading_photos,
    markup_in_free_text_never_runs,
);
