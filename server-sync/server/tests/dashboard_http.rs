//! The dashboard through its router (no socket): login, CSRF, rate limit, roles and sections,
//! confirmations, corrections, exports read back, absences once the devices' heartbeats
//! (through the device API) have moved the sync watermark, the devices page.

#[macro_use]
mod dashboard_fixture;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use dashboard_fixture::client::{Client, hidden};
use dashboard_fixture::{PASSWORD, Db, fixture_on};
use hadir_server::dashboard::router;
use hadir_server::storage::portable::{Stmt, params};
use tower::ServiceExt as _;

async fn login_sets_a_secure_session_and_pages_need_it(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    let r = c.get("/today").await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let r = c.login("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/today"));
    let r = c.get("/today").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("Hari ini"), "Indonesian by default");
    assert!(html.contains("Bina Marga") && html.contains("Sumber Daya Air") && html.contains("Cipta Karya"));
    // English on request.
    c.cookies.push(("hadir_lang".into(), "en".into()));
    assert!(c.get("/today").await.text().contains("Late"));
}

async fn session_cookie_flags(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let app = router(f.state.clone());
    let page = app.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let pre = page.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict") && pre.contains("Secure"), "{pre}");
}

async fn wrong_password_then_rate_limit(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    for _ in 0..hadir_server::dashboard::auth::FREE_FAILURES {
        let r = c.login("kabid_bm", "salah").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text().contains("salah"));
    }
    // The next attempt comes too soon (the clock has not moved): refused before the password
    // is looked at, with the seconds to wait.
    let r = c.login("kabid_bm", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("1 detik"), "{}", r.text());
    // Another user is not affected.
    assert_eq!(c.login("admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn login_without_the_form_token_is_refused(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    let r = c.post("/login", &[("csrf", "forged"), ("username", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn supervisor_sees_only_their_sections_everywhere(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("kabid_bm", PASSWORD).await;
    for path in ["/today", "/records?date=2026-03-02", "/confirmations", "/employees", "/reports?year=2026&month=3", "/reports/date?date=2026-03-02"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let html = r.text();
        assert!(html.contains("Bina Marga") || html.contains("Sri Wahyuni"), "{path} shows the own section");
        for other in ["Dewi Lestari", "Rudi Hartono", "Nyoman Arta", "Sumber Daya Air", "Cipta Karya"] {
            assert!(!html.contains(other), "{path} leaks {other}");
        }
    }
    // Asking for another section is refused, not silently widened.
    assert_eq!(c.get("/reports?section=SDA").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/reports/month.csv?year=2026&month=3&section=CK").await.status, StatusCode::FORBIDDEN);
    // Exports contain only the own section.
    let csv = c.get("/reports/date.csv?date=2026-03-02").await.text();
    assert!(csv.contains("Agus Pratama") && !csv.contains("Dewi Lestari"));
    // Another section's record and photo do not exist for them.
    assert_eq!(c.get(&format!("/records/{}/photo", f.pending_sda)).await.status, StatusCode::NOT_FOUND);
    let csrf = c.csrf("/today").await;
    let r = c.post(&format!("/confirmations/{}", f.pending_sda), &[("csrf", &csrf), ("action", "confirm"), ("reason", "x")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Admin-only pages are forbidden.
    for path in ["/settings", "/devices", "/corrections"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

async fn operator_manages_devices_but_sees_no_attendance(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    assert_eq!(c.login("operator", PASSWORD).await.location.as_deref(), Some("/employees"));
    for path in ["/today", "/records", "/confirmations", "/reports", "/reports/month.xlsx", "/settings"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(c.get("/devices").await.text().contains("K-01"));
    let csrf = c.csrf("/devices").await;
    let r = c.post("/devices/K-02/revoke", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(f.state.store.device_statuses().await.unwrap().iter().any(|d| d.id == "K-02" && d.revoked_at.is_some()));
    // A form without the token changes nothing.
    let r = c.post("/devices/K-01/revoke", &[("csrf", "nope")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(f.state.store.device_statuses().await.unwrap().iter().any(|d| d.id == "K-01" && d.revoked_at.is_none()));
}

async fn confirm_and_reject_are_audited_and_change_the_day(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("kabid_bm", PASSWORD).await;
    assert!(c.get("/today").await.text().contains("menunggu"));
    let csrf = c.csrf("/confirmations").await;
    // Rejecting needs a reason.
    let r = c.post(&format!("/confirmations/{}", f.pending_bm), &[("csrf", &csrf), ("action", "reject"), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.post(&format!("/confirmations/{}", f.pending_bm), &[("csrf", &csrf), ("action", "confirm"), ("reason", "Wajah sesuai")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Decided once only.
    let r = c.post(&format!("/confirmations/{}", f.pending_bm), &[("csrf", &csrf), ("action", "reject"), ("reason", "ubah")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(c.get("/confirmations").await.text().contains("id=\"empty\""));
    // Sri now counts: 75 minutes late, TL3.
    let today = c.get("/today").await.text();
    assert!(today.contains("75 menit (TL3)"), "{today}");
    let log = f.state.store.audit_lines(None, None, None, 10).await.unwrap();
    assert!(log.iter().any(|l| l.by == "kabid_bm" && l.action == "confirm_record" && l.detail.contains("Wajah sesuai")));
}

async fn corrections_are_appended_and_excuse_the_day(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let csrf = c.csrf("/corrections").await;
    let r = c
        .post("/corrections", &[("csrf", &csrf), ("employee", "198704042011014004"), ("from", "2026-03-02"), ("to", "2026-03-03"), ("kind", "dinas_luar"), ("reason", "SPT 12/2026")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get("/corrections").await.text();
    assert_eq!(page.matches("SPT 12/2026").count(), 2, "one line per date");
    let csv = c.get("/reports/date.csv?date=2026-03-02&section=SDA").await.text();
    let dewi = csv.lines().find(|l| l.contains("Dewi Lestari")).unwrap();
    assert!(dewi.contains("Dinas luar"), "{dewi}");
}

async fn monthly_xlsx_cells_read_back(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let r = c.get("/reports/month.xlsx?year=2026&month=3").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.contains("spreadsheetml"));
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.body)).unwrap();
    let range = wb.worksheet_range("Rekap").unwrap();
    assert_eq!(range.get_value((0, 0)), Some(&Data::String("Rekapitulasi kehadiran Maret 2026".into())));
    let headers: Vec<String> = (0..26).map(|col| range.get_value((2, col)).unwrap().to_string()).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {headers:?}")) as u32;
    let row_of = |nip: &str| (3..range.height() as u32).find(|r| range.get_value((*r, 1)) == Some(&Data::String(nip.into()))).unwrap();
    let agus = row_of("199003032015013003");
    assert_eq!(range.get_value((agus, col("TL3"))), Some(&Data::Float(1.0)));
    assert_eq!(range.get_value((agus, col("Menit terlambat"))), Some(&Data::Float(70.0)));
    assert_eq!(range.get_value((agus, col("Hadir"))), Some(&Data::Float(1.0)));
    let rudi = row_of("199205052016015005");
    assert_eq!(range.get_value((rudi, col("TL4"))), Some(&Data::Float(1.0)));
    // 1 March (Sunday) is known and off; 2 March is today, so still provisional: no absences.
    assert_eq!(range.get_value((rudi, col("TK"))), Some(&Data::Float(0.0)));
    let sri = row_of("198502022010012002");
    assert_eq!(range.get_value((sri, col("Menunggu konfirmasi"))), Some(&Data::Float(1.0)));
    assert_eq!(range.get_value((sri, col("Hadir"))), Some(&Data::Float(0.0)));
    assert_eq!(range.height() as u32, 3 + 6, "title, blank, header and six employees");
}

async fn csv_and_pdf_exports(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let r = c.get("/reports/date.csv?date=2026-03-02").await;
    let csv = r.text();
    assert!(csv.starts_with("\u{feff}No,NIP,Nama,Bidang,Masuk"));
    let agus = csv.lines().find(|l| l.contains("Agus Pratama")).unwrap();
    assert!(agus.contains(",08:40,K-01,") && agus.contains("TL3"), "{agus}");
    let r = c.get("/reports/month.pdf?year=2026&month=3").await;
    assert_eq!(r.content_type, "application/pdf");
    assert!(r.body.starts_with(b"%PDF-1.4") && r.body.ends_with(b"%%EOF\n"));
    assert!(r.text().contains("(Agus Pratama) Tj"));
}

async fn board_needs_its_token_and_shows_initials_when_asked(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let app = router(f.state.clone());
    let get = |p: String| app.clone().oneshot(Request::get(p).body(Body::empty()).unwrap());
    assert_eq!(get("/board/not-a-token".into()).await.unwrap().status(), StatusCode::NOT_FOUND);
    let tok = "papan-lobi-1";
    f.state.store.add_board_token(&hadir_server::dashboard::auth::token_hash(tok), &hadir_server::storage::accounts::BoardToken { label: "Lobi".into(), initials_only: true, device_alerts: false, site: None }, 0, i64::MAX).await.unwrap();
    let r = get(format!("/board/{tok}")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = String::from_utf8(axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(html.contains("A. P.") && html.contains("R. H."), "initials of the late");
    assert!(!html.contains("Agus Pratama"));
    assert!(!html.contains("B. S."), "Budi was on time");
    // The token opens nothing else.
    let r = app.clone().oneshot(Request::get("/today").header(header::COOKIE, format!("hadir_session={tok}")).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// A site's late board: the office's TV shows its own people on its own date; the link is made
/// on the settings page with the site (an unknown one is refused), and the list names it.
async fn a_sites_board_shows_its_own_people(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    // Rudi (late) works at the field office, on WIT: 09:05 WIB is 11:05 there, the same date.
    f.storage.put_site("LAPANGAN", "Kantor lapangan", Some("Asia/Jayapura"), "admin", dashboard_fixture::NOW).await.unwrap();
    f.storage
        .write_all("test: Rudi to the field office", vec![Stmt::new("UPDATE employees SET site_id = 'LAPANGAN' WHERE employee_id = $1", params!["199205052016015005"])])
        .await
        .unwrap();
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let settings = c.get("/settings").await.text();
    assert!(settings.contains(r#"<option value="LAPANGAN">LAPANGAN</option>"#), "the sites to choose from");
    let csrf = hidden(&settings, "csrf");
    let r = c.post("/settings/board", &[("csrf", &csrf), ("label", "TV X"), ("site", "NOWHERE")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Lokasi tidak dikenal: NOWHERE"), "{}", r.text());
    assert!(!c.get("/settings").await.text().contains("TV X"), "nothing made");
    let r = c.post("/settings/board", &[("csrf", &csrf), ("label", "TV lapangan"), ("site", "LAPANGAN")]).await;
    let made = r.text();
    let link = made.split(r#"href="/board/"#).nth(1).and_then(|s| s.split('"').next()).unwrap_or_else(|| panic!("{made}")).to_owned();
    let field = c.get(&format!("/board/{link}")).await.text();
    assert!(field.contains("Terlambat hari ini · LAPANGAN") && field.contains("Rudi Hartono"), "{field}");
    assert!(!field.contains("Agus Pratama"), "the main office's people are on its own TV");
    // The main office's TV, and one for every site.
    let board = |site: Option<&str>| hadir_server::storage::accounts::BoardToken { label: "TV".into(), initials_only: false, device_alerts: false, site: site.map(str::to_owned) };
    f.storage.add_board_token(&hadir_server::dashboard::auth::token_hash("papan-kantor"), &board(Some("KANTOR")), 0, i64::MAX).await.unwrap();
    f.storage.add_board_token(&hadir_server::dashboard::auth::token_hash("papan-semua"), &board(None), 0, i64::MAX).await.unwrap();
    let office = c.get("/board/papan-kantor").await.text();
    assert!(office.contains("Agus Pratama") && !office.contains("Rudi Hartono"), "{office}");
    let every = c.get("/board/papan-semua").await.text();
    assert!(every.contains("Agus Pratama") && every.contains("Rudi Hartono") && !every.contains("Terlambat hari ini ·"), "{every}");
    assert!(c.get("/settings").await.text().contains(r#"TV lapangan <span class="muted">· LAPANGAN</span>"#), "the list names the site");
}

/// The device API of the fixture's database, its clock at `now`.
fn device_api(f: &dashboard_fixture::Fixture, now: time::OffsetDateTime) -> axum::Router {
    let mut state = hadir_server::AppState::new(f.storage.clone());
    let ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    state.clock = std::sync::Arc::new(move || ms);
    hadir_server::app(state)
}

/// An idle kiosk's heartbeat: an upload with no records and its signed "outbox drained at"
/// claim, which moves the device's sync watermark on the server.
async fn heartbeat(api: &axum::Router, key: &hadir_protocol::DeviceKey, device: &str, drained_at: time::OffsetDateTime) {
    let ms = (drained_at.unix_timestamp_nanos() / 1_000_000) as i64;
    let batch = hadir_protocol::batch::UploadBatch {
        records: vec![],
        drained: Some(hadir_protocol::batch::DrainClaim::sign(key, device, 0, ms)),
    };
    let req = Request::post("/api/v1/records")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(&batch).unwrap()))
        .unwrap();
    let res = api.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "heartbeat of {device}");
}

async fn absences_appear_once_every_device_has_synced_past_the_day(db: &Db<'_>) {
    use time::macros::datetime;
    let f = fixture_on(db, true).await;
    // The fixture's kiosks get real keys, so their signed claims verify.
    let keys: Vec<(&str, hadir_protocol::DeviceKey)> =
        vec![("K-01", hadir_protocol::DeviceKey::from_seed(&[1; 32])), ("K-02", hadir_protocol::DeviceKey::from_seed(&[2; 32]))];
    for (id, key) in &keys {
        f.state
            .store
            .write("test: device key", "UPDATE devices SET public_key = $2 WHERE device_id = $1", params![*id, key.public().to_hex()])
            .await
            .unwrap();
    }
    // Two days later: Tuesday 3 March had no records at all.
    let now = datetime!(2026-03-04 10:00 +7);
    let api = device_api(&f, now);
    let later = hadir_server::dashboard::Dashboard::with_clock(
        f.state.store.clone(),
        hadir_server::dashboard::DashboardConfig { zone: hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap(), ..Default::default() },
        std::sync::Arc::new(move || now),
    );
    let mut c = Client { app: router(later), cookies: Vec::new() };
    c.login("admin", PASSWORD).await;
    let tk_on_3rd = |csv: &str| csv.lines().filter(|l| l.contains("Tanpa keterangan")).count();
    let day = "/reports/date.csv?date=2026-03-03";

    // Both kiosks synced only up to Monday morning: Tuesday is not final, nobody is absent.
    let csv = c.get(day).await.text();
    assert_eq!(tk_on_3rd(&csv), 0, "{csv}");
    assert_eq!(csv.lines().filter(|l| l.contains("Belum diketahui")).count(), 6, "{csv}");
    let devices = c.get("/devices").await.text();
    assert!(devices.contains(r#"lengkap sampai <span class="known">2026-03-01</span>"#), "{devices}");

    // One kiosk past Tuesday is not enough: the other may still hold Tuesday's records.
    heartbeat(&api, &keys[0].1, "K-01", datetime!(2026-03-04 00:30 +7)).await;
    assert_eq!(tk_on_3rd(&c.get(day).await.text()), 0);
    // A claim that does not verify (another key) moves nothing.
    heartbeat(&api, &keys[0].1, "K-02", datetime!(2026-03-04 08:00 +7)).await;
    assert_eq!(tk_on_3rd(&c.get(day).await.text()), 0);

    // Both past Tuesday: every employee without a record that day is absent (TK).
    heartbeat(&api, &keys[1].1, "K-02", datetime!(2026-03-04 08:00 +7)).await;
    let csv = c.get(day).await.text();
    assert_eq!(tk_on_3rd(&csv), 6, "{csv}");
    let today = c.get("/today?date=2026-03-03").await.text();
    assert!(today.contains("Tanpa keterangan (TK)"), "{today}");
    let devices = c.get("/devices").await.text();
    assert!(devices.contains(r#"lengkap sampai <span class="known">2026-03-03</span>"#), "{devices}");
    assert!(devices.contains("2026-03-04 08:00"), "K-02's watermark is shown");
    // The forged claim is kept for admins.
    assert!(devices.contains("drain claim: signature does not verify") && devices.contains("tanda tangan tidak sah"), "{devices}");
    // The month's recap counts it, per employee.
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(c.get("/reports/month.xlsx?year=2026&month=3").await.body)).unwrap();
    let range = wb.worksheet_range("Rekap").unwrap();
    let headers: Vec<String> = (0..range.width() as u32).map(|col| range.get_value((2, col)).unwrap().to_string()).collect();
    let tk = headers.iter().position(|h| h == "TK").unwrap() as u32;
    for r in 3..range.height() as u32 {
        assert_eq!(range.get_value((r, tk)), Some(&Data::Float(1.0)), "row {r}: Tuesday is the only final day without a record");
    }
}

async fn devices_page_shows_refused_uploads_chain_events_and_quarantine(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let at = dashboard_fixture::wib_ms(9, 30);
    f.state
        .store
        .write_all(
            "test: refusals and chain events",
            vec![
                Stmt::new(
                    "INSERT INTO refused_uploads (device_id, seq, reason, detail, record_hash, remote_addr, forwarded_for, at_ms)
                     VALUES ('K-01', 7, 'bad_signature', 'signature does not verify', NULL, '10.0.0.9:51000', NULL, $1),
                            (NULL, NULL, 'malformed', 'entry 3: missing field seq', NULL, '10.0.0.9:51000', NULL, $1)",
                    params![at],
                ),
                Stmt::new(
                    "INSERT INTO chain_events (device_id, seq, reason, detail, record_hash, at_ms)
                     VALUES ('K-02', 5, 'sequence_gap', 'expected 4', 'ab', $1)",
                    params![at],
                ),
            ],
        )
        .await
        .unwrap();
    let mut c = Client::new(&f);
    c.login("operator", PASSWORD).await;
    let page = c.get("/devices").await.text();
    let row = |id: &str| {
        let i = page.find(&format!(r#"<tr data-device="{id}">"#)).unwrap();
        page[i..i + page[i..].find("</tr>").unwrap()].to_owned()
    };
    let k1 = row("K-01");
    assert!(k1.contains(r#"<td class="refused"><span class="bad">1</span>"#) && k1.contains("tanda tangan tidak sah") && k1.contains("2026-03-02 09:30"), "{k1}");
    let k2 = row("K-02");
    assert!(k2.contains("1 peristiwa") && k2.contains("celah urutan") && k2.contains(r#"<td class="refused">0</td>"#), "{k2}");
    // The list of refusals, unreadable device ids included.
    assert!(page.contains(r#"<table id="refused">"#) && page.contains("format rusak") && page.contains("entry 3: missing field seq") && page.contains("10.0.0.9:51000"));
    c.cookies.push(("hadir_lang".into(), "en".into()));
    assert!(c.get("/devices").await.text().contains("bad signature"));
}

/// One device that stops syncing (#16): after `silent_device_hours` the devices page and the
/// month recap name it as holding its site's days back; only an administrator releases them,
/// audited, and the site's days then become final without it.
async fn a_silent_device_is_named_and_its_days_released(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let three_days_ago = dashboard_fixture::wib_ms(9, 0) - 3 * 86_400_000;
    f.storage
        .write(
            "test: a silent device",
            "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                 synced_until_ms, last_seq, last_hash) VALUES ('K-ARSIP', 'KANTOR', 'office', 'pk', '0.1.0', 0, $1, $1, 0, '')",
            params![three_days_ago],
        )
        .await
        .unwrap();
    let known = |m: std::collections::HashMap<String, Option<time::Date>>| m.get("KANTOR").copied().flatten();
    let off = hadir_rules::SiteZones::single(hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap());
    assert_eq!(known(f.state.store.known_through_by_site(&off).await.unwrap()), Some(time::macros::date!(2026 - 02 - 26)));

    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let page = op.get("/devices").await.text();
    assert!(page.contains(r#"<li data-silent="K-ARSIP">"#) && page.contains("Perangkat diam menahan hari"), "{page}");
    assert!(!page.contains(r#"data-silent="K-01""#), "K-01 synced this morning");
    assert!(!page.contains("/devices/K-ARSIP/release"), "an operator gets no release button");
    let csrf = op.csrf("/devices").await;
    assert_eq!(op.post("/devices/K-ARSIP/release", &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);

    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let recap = admin.get("/reports").await.text();
    assert!(recap.contains(r#"<li data-silent="K-ARSIP">"#), "the recap names the device: {recap}");
    let csrf = admin.csrf("/devices").await;
    assert_eq!(admin.post("/devices/K-ARSIP/release", &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.post("/devices/NO-SUCH/release", &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    // Released up to now (10:00 on the 2nd): the 1st is final, as the other devices allow.
    assert_eq!(known(f.state.store.known_through_by_site(&off).await.unwrap()), Some(time::macros::date!(2026 - 03 - 01)));
    assert!(!admin.get("/devices").await.text().contains("data-silent"), "nothing holds days back any more");
    let audit = f.state.store.audit_lines(Some("release_device_days"), None, None, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "the release is audited");
}

/// Holidays (#16): a year imported from iCalendar, all or nothing from a CSV with a bad line
/// (named), one removed; every step audited; supervisors cannot.
async fn holidays_are_imported_whole_and_removed(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260319\r\nSUMMARY:Hari Suci Nyepi\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260320\r\nDTEND;VALUE=DATE:20260322\r\nSUMMARY:Cuti bersama <b>Idul Fitri</b>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let csrf = c.csrf("/settings").await;
    let r = c.upload("/settings/holidays/import", &[("csrf", &csrf)], &[("file", "libur-2026.ics", ics.as_bytes())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let dates = |h: hadir_rules::Holidays| h.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>();
    assert_eq!(dates(f.state.store.holidays().await.unwrap()), ["2026-03-19", "2026-03-20", "2026-03-21"]);
    let page = c.get("/settings").await.text();
    assert!(page.contains("Cuti bersama &lt;b&gt;Idul Fitri&lt;/b&gt;"), "names are escaped: {page}");

    // A CSV with one bad line writes nothing, and says which line.
    let csv = "tanggal,nama\n2026-08-17,HUT RI\n2026-13-01,Salah\n";
    let r = c.upload("/settings/holidays/import", &[("csrf", &csrf)], &[("file", "libur.csv", csv.as_bytes())]).await;
    let back = r.location.expect("back to settings");
    assert!(back.starts_with("/settings?err="), "{back}");
    let page = c.get(&back).await.text();
    assert!(page.contains("line 3: `2026-13-01` is not a date"), "{page}");
    assert_eq!(f.state.store.holidays().await.unwrap().iter().count(), 3, "nothing of the bad file written");

    let r = c.post("/settings/holiday/2026-03-21/remove", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(dates(f.state.store.holidays().await.unwrap()), ["2026-03-19", "2026-03-20"]);
    assert_eq!(c.post("/settings/holiday/2026-03-21/remove", &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    for action in ["holidays_imported", "holiday_removed"] {
        assert_eq!(f.state.store.audit_lines(Some(action), None, None, 10).await.unwrap().len(), 1, "{action} audited");
    }

    // Kinds: a CSV's third column; the form adds one and changes another where it is listed.
    let csv = "tanggal,nama,jenis\n2026-06-24,Galungan,daerah\n2026-08-17,HUT RI,\n";
    let r = c.upload("/settings/holidays/import", &[("csrf", &csrf)], &[("file", "libur-bali.csv", csv.as_bytes())]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/settings?ok=")), "{:?}", r.location);
    let r = c.post("/settings/holiday", &[("csrf", &csrf), ("date", "2026-07-04"), ("name", "Kuningan"), ("kind", "regional"), ("site:KANTOR", "on")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.post("/settings/holiday", &[("csrf", &csrf), ("date", "2026-03-20"), ("name", "Cuti bersama Idul Fitri"), ("kind", "joint_leave")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    use hadir_server::storage::calendar::HolidayKind::{JointLeave, National, Regional};
    let kinds: Vec<(String, String, _, String)> =
        f.state.store.holiday_list().await.unwrap().into_iter().map(|h| (h.date.to_string(), h.name, h.kind, h.sites.join(" "))).collect();
    let row = |d: &str, n: &str, k, s: &str| (d.to_owned(), n.to_owned(), k, s.to_owned());
    assert_eq!(
        kinds,
        [
            row("2026-03-19", "Hari Suci Nyepi", National, ""),
            row("2026-03-20", "Cuti bersama Idul Fitri", JointLeave, ""),
            row("2026-06-24", "Galungan", Regional, ""),
            row("2026-07-04", "Kuningan", Regional, "KANTOR"),
            row("2026-08-17", "HUT RI", National, ""),
        ]
    );
    let page = c.get("/settings").await.text();
    assert!(page.contains(r#"<li data-holiday="2026-06-24" data-kind="regional" data-sites="">"#), "{page}");
    assert!(page.contains(r#"<li data-holiday="2026-07-04" data-kind="regional" data-sites="KANTOR">"#), "{page}");
    assert!(page.contains(r#"<option value="joint_leave" selected>Cuti bersama</option>"#), "the listed kind is selected");
    assert!(page.contains(r#"<input type="checkbox" name="site:KANTOR" checked>"#), "the listed site is ticked");
    // Bad input is refused by name and writes nothing.
    for (fields, why) in [
        (vec![("date", "2026-09-01"), ("name", "X"), ("kind", "penting")], "Jenis hari libur tidak dikenal."),
        (vec![("date", "2026-09-01"), ("name", "   "), ("kind", "national")], "Nama hari libur: wajib diisi"),
        (vec![("date", "2026-02-30"), ("name", "X"), ("kind", "national")], "Tanggal tidak valid."),
        (vec![("date", "2026-09-01"), ("name", "X"), ("kind", "regional"), ("site:BALI-99", "on")], "Lokasi tidak dikenal: BALI-99"),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let r = c.post("/settings/holiday", &form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(r.text().contains(why), "{why}: {}", r.text());
    }
    assert_eq!(f.state.store.holiday_list().await.unwrap().len(), 5, "nothing of the bad forms written");
    // A regional holiday of another office is not this site's: its kiosks and recaps work that day.
    let elsewhere = hadir_server::storage::calendar::Holiday {
        date: time::macros::date!(2026 - 07 - 01),
        name: "HUT Kabupaten Lain".into(),
        kind: Regional,
        sites: vec!["KANTOR-LAIN".into()],
    };
    f.state.store.put_holiday(&elsewhere).await.unwrap();
    let zone = hadir_rules::SiteZone::parse("Asia/Makassar").unwrap();
    let rules = hadir_server::roster::site_rules(&f.storage, "KANTOR", &zone, time::macros::date!(2026 - 06 - 01)).await.unwrap();
    let theirs: Vec<String> = rules.holidays.iter().map(|(d, _)| d.to_string()).collect();
    assert_eq!(theirs, ["2026-03-19", "2026-03-20", "2026-06-24", "2026-07-04", "2026-08-17"], "KANTOR's kiosks: not 2026-07-01");
    let other = hadir_server::roster::site_rules(&f.storage, "KANTOR-LAIN", &zone, time::macros::date!(2026 - 06 - 01)).await.unwrap();
    assert!(other.holidays.get(time::macros::date!(2026 - 07 - 01)).is_some() && other.holidays.get(time::macros::date!(2026 - 07 - 04)).is_none());

    let mut sup = Client::new(&f);
    sup.login("kabid_bm", PASSWORD).await;
    let r = sup.upload("/settings/holidays/import", &[("csrf", "x")], &[("file", "x.csv", b"2026-01-01,X\n")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Health and tamper (#17): the devices page marks a device whose enclosure is open, whose
/// disk is nearly full and which talks plain HTTP, shows its figures, and lists the signed
/// tamper events.
async fn devices_page_shows_health_and_tamper_alerts(db: &Db<'_>) {
    use hadir_protocol::chain::ChainHead;
    use hadir_protocol::health::{DeviceEvent, EventKind, HealthReport};
    let f = fixture_on(db, true).await;
    let key = hadir_protocol::DeviceKey::from_seed(&[9; 32]);
    let opened = DeviceEvent::sign(&key, "K-01", ChainHead::GENESIS, EventKind::TamperOpened, dashboard_fixture::wib_ms(9, 40));
    let report = HealthReport {
        firmware: "0.2.0".into(),
        uptime_s: 3 * 3600,
        data_free_bytes: Some(50 << 20),
        outbox_len: 2,
        oldest_unsent_s: Some(120),
        camera_fps_centi: Some(1490),
        cpu_temp_milli_c: Some(58_000),
        tamper_open: Some(true),
        server_link: Some(hadir_protocol::health::ServerLink::InsecureLan),
        events: vec![opened.clone()],
    };
    f.storage.record_health("K-01", &report, &[&opened], dashboard_fixture::wib_ms(9, 58)).await.unwrap();
    let mut c = Client::new(&f);
    c.login("operator", PASSWORD).await;
    let page = c.get("/devices").await.text();
    let row = page.split(r#"<tr data-device="K-01">"#).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default();
    assert!(row.contains("casing terbuka") && row.contains("penyimpanan hampir penuh"), "{row}");
    // A kiosk on plain HTTP (#18) is marked in red.
    assert!(row.contains(r#"<span class="bad trouble">HTTP tanpa enkripsi (insecure_lan)</span>"#), "{row}");
    assert!(row.contains("v0.2.0") && row.contains("50 MiB") && row.contains("14.9 fps") && row.contains("58 °C"), "{row}");
    let k2 = page.split(r#"<tr data-device="K-02">"#).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or_default();
    assert!(k2.contains("belum ada laporan"), "{k2}");
    assert!(page.contains(r#"id="tamper-alerts""#) && page.contains(r#"<li data-event="K-01/1"><b>K-01</b>: <span class="bad">casing dibuka</span> 2026-03-02 09:40"#), "{page}");

    // The late board's admin view names the open enclosure first; the lobby's board does not.
    let board = |label: &str, device_alerts: bool| hadir_server::storage::accounts::BoardToken { label: label.into(), initials_only: false, device_alerts, site: None };
    f.storage.add_board_token(&hadir_server::dashboard::auth::token_hash("papan-admin"), &board("Ruang admin", true), 0, i64::MAX).await.unwrap();
    f.storage.add_board_token(&hadir_server::dashboard::auth::token_hash("papan-lobi"), &board("Lobi", false), 0, i64::MAX).await.unwrap();
    let admin_view = c.get("/board/papan-admin").await.text();
    let strip = admin_view.split(r#"id="device-alerts""#).nth(1).and_then(|r| r.split("</div>").next()).unwrap_or_default();
    assert!(strip.contains(r#"<span class="alert tamper" data-device="K-01">K-01: casing terbuka, HTTP tanpa enkripsi (insecure_lan), penyimpanan hampir penuh"#), "{strip}");
    assert!(admin_view.contains("Terlambat hari ini"), "the late arrivals below it");
    assert!(!c.get("/board/papan-lobi").await.text().contains("device-alerts"), "the lobby's TV shows no device state");
}

/// A decision is reversed only by a new one with its reason (#16): the day changes back, both
/// decisions show on the records page, the history keeps both, the database refuses a change
/// that bypasses the history, and another section's supervisor cannot reverse.
async fn a_reversed_decision_shows_both_decisions(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("kabid_bm", PASSWORD).await;
    let csrf = c.csrf("/confirmations").await;
    let id = f.pending_bm;
    let r = c.post(&format!("/confirmations/{id}"), &[("csrf", &csrf), ("action", "confirm"), ("reason", "Wajah sesuai")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.get("/today").await.text().contains("75 menit (TL3)"));
    // No reason, no change.
    let r = c.post(&format!("/confirmations/{id}/reverse"), &[("csrf", &csrf), ("action", "reject"), ("reason", " ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.post(&format!("/confirmations/{id}/reverse"), &[("csrf", &csrf), ("action", "reject"), ("reason", "Orang lain di foto")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/records?date=2026-03-02&ok=Keputusan%20diubah"));
    // The same decision again changes nothing.
    let r = c.post(&format!("/confirmations/{id}/reverse"), &[("csrf", &csrf), ("action", "reject"), ("reason", "lagi")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Sri's IN no longer counts.
    assert!(!c.get("/today").await.text().contains("75 menit (TL3)"));
    let page = c.get("/records?date=2026-03-02").await.text();
    assert!(page.contains("Orang lain di foto") && page.contains(r#"<del class="muted decision-old">Dikonfirmasi: Wajah sesuai (kabid_bm, 2026-03-02)</del>"#), "{page}");
    let h = f.state.store.decision_history(&[id]).await.unwrap();
    assert_eq!(h[&id].iter().map(|l| l.decision.as_str()).collect::<Vec<_>>(), ["confirmed", "rejected"]);
    let log = f.state.store.audit_lines(Some("reverse_to_rejected"), None, None, 10).await.unwrap();
    assert!(log.len() == 1 && log[0].detail.contains("Orang lain di foto"));
    // Bypassing the history is refused by the database itself.
    let bypass = f.storage.write("test: bypass", "UPDATE dash_decisions SET decision = 'confirmed', at_ms = 1 WHERE record_id = $1", params![id]).await;
    assert!(bypass.is_err(), "an update without a history row must fail");
    // A supervisor of another section gets 404 for the record.
    f.state.store.add_user("kabid_sda", &hadir_server::dashboard::auth::hash_password(PASSWORD).unwrap(), hadir_server::storage::accounts::Role::Supervisor, &["SDA"]).await.unwrap();
    let mut other = Client::new(&f);
    other.login("kabid_sda", PASSWORD).await;
    let csrf = other.csrf("/confirmations").await;
    let r = other.post(&format!("/confirmations/{id}/reverse"), &[("csrf", &csrf), ("action", "confirm"), ("reason", "x")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Closing a month (#16): refused while records await a decision, administrators only; once
/// closed, a change needs a reason and is flagged per employee in the month's export.
async fn a_closed_month_flags_later_changes(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/reports?year=2026&month=3").await;
    let close = [("csrf", csrf.as_str()), ("year", "2026"), ("month", "3")];
    let r = admin.post("/reports/close", &close).await;
    let back = r.location.expect("back to the recap");
    assert!(back.contains("err="), "{back}");
    assert!(admin.get(&back).await.text().contains("2 rekaman masih menunggu konfirmasi"));
    assert!(f.state.store.month_close(2026, time::Month::March).await.unwrap().is_none());

    let mut sup = Client::new(&f);
    sup.login("kabid_bm", PASSWORD).await;
    let sup_csrf = sup.csrf("/confirmations").await;
    assert_eq!(sup.post("/reports/close", &[("csrf", &sup_csrf), ("year", "2026"), ("month", "3")]).await.status, StatusCode::FORBIDDEN);
    for id in [f.pending_bm, f.pending_sda] {
        let r = admin.post(&format!("/confirmations/{id}"), &[("csrf", &csrf), ("action", "confirm"), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let r = admin.post("/reports/close", &close).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=")), "{:?}", r.location);
    assert!(admin.get("/reports?year=2026&month=3").await.text().contains("Bulan ini ditutup oleh admin"));
    assert!(admin.post("/reports/close", &close).await.location.is_some_and(|l| l.contains("err=")), "closed once");

    // A change afterwards: allowed with a reason, flagged in the export for that employee only.
    let r = sup.post(&format!("/confirmations/{}/reverse", f.pending_bm), &[("csrf", &sup_csrf), ("action", "reject"), ("reason", "Salah orang")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let csv = String::from_utf8(admin.get("/reports/month.csv?year=2026&month=3").await.body).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("Diubah setelah ditutup"), "{header}");
    let flag = |name: &str| csv.lines().find(|l| l.contains(name)).and_then(|l| l.rsplit(',').next().map(str::to_owned)).unwrap();
    assert_eq!((flag("Sri Wahyuni").as_str(), flag("Budi Santoso").as_str()), ("1", "0"), "{csv}");
}

/// Leave requests (#16): an operator files sick leave with a letter; bad files and ranges are
/// refused by field with nothing written; the employee's supervisor approves and the days are
/// excused in the recap; another section's supervisor cannot see or decide it.
async fn a_supervisor_approves_a_leave_request_and_the_recap_changes(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let sri = "198502022010012002";
    let png: &[u8] = b"\x89PNG\r\n\x1a\n-a-scanned-letter";
    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let csrf = op.csrf("/leave").await;
    let fields = |from: &'static str, to: &'static str| -> Vec<(&'static str, String)> {
        vec![("employee", sri.into()), ("kind", "sakit".into()), ("from", from.into()), ("to", to.into()), ("reason", "Demam berdarah".into())]
    };
    let send = |fs: &Vec<(&'static str, String)>, csrf: &str| {
        let mut v: Vec<(&str, String)> = fs.iter().map(|(k, v)| (*k, v.clone())).collect();
        v.push(("csrf", csrf.to_owned()));
        v
    };
    // Refused by field, nothing written.
    for (fs, file, want) in [
        (fields("2026-03-03", "2026-03-02"), ("surat.png", png), "to: the request ends"),
        (fields("2026-03-02", "2026-03-03"), ("surat.pdf", &b"MZ\x90\x00 not a pdf"[..]), "attachment: surat.pdf is not a PDF, JPEG or PNG"),
    ] {
        let v = send(&fs, &csrf);
        let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = op.upload("/leave", &refs, &[("attachment", file.0, file.1)]).await;
        let back = r.location.expect("back to the list");
        assert!(op.get(&back).await.text().contains(want), "{want}");
    }
    assert!(f.state.store.leave_requests(10).await.unwrap().is_empty(), "nothing written");

    let v = send(&fields("2026-03-02", "2026-03-03"), &csrf);
    let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = op.upload("/leave", &refs, &[("attachment", "surat.png", png)]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=")), "{:?}", r.location);
    let req = f.state.store.leave_requests(10).await.unwrap().remove(0);
    assert_eq!((req.employee_id.as_str(), req.attachment_name.as_deref()), (sri, Some("surat.png")));
    // An operator files but does not decide.
    let r = op.post(&format!("/leave/{}/decide", req.id), &[("csrf", &csrf), ("action", "approve")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Another section's supervisor neither sees nor decides it.
    f.state.store.add_user("kabid_sda", &hadir_server::dashboard::auth::hash_password(PASSWORD).unwrap(), hadir_server::storage::accounts::Role::Supervisor, &["SDA"]).await.unwrap();
    let mut other = Client::new(&f);
    other.login("kabid_sda", PASSWORD).await;
    assert!(!other.get("/leave").await.text().contains(&format!("data-leave=\"{}\"", req.id)));
    let oc = other.csrf("/leave").await;
    assert_eq!(other.post(&format!("/leave/{}/decide", req.id), &[("csrf", &oc), ("action", "approve")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/leave/{}/attachment", req.id)).await.status, StatusCode::NOT_FOUND);

    let mut sup = Client::new(&f);
    sup.login("kabid_bm", PASSWORD).await;
    let sc = sup.csrf("/leave").await;
    let a = sup.get(&format!("/leave/{}/attachment", req.id)).await;
    assert_eq!((a.status, a.content_type.as_str(), a.body.as_slice()), (StatusCode::OK, "image/png", png));
    // Refusing needs a reason; approving does not.
    let r = sup.post(&format!("/leave/{}/decide", req.id), &[("csrf", &sc), ("action", "refuse"), ("reason", "")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("err=")));
    let r = sup.post(&format!("/leave/{}/decide", req.id), &[("csrf", &sc), ("action", "approve"), ("reason", "")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=")), "{:?}", r.location);
    let page = sup.get("/leave").await.text();
    assert!(page.contains("Disetujui"), "{page}");
    let excused = f.state.store.excused_between(time::macros::date!(2026 - 03 - 01), time::macros::date!(2026 - 03 - 31)).await.unwrap();
    assert_eq!(excused[sri].len(), 2, "both days excused: {excused:?}");
    assert!(sup.get("/today").await.text().contains("Sakit"), "the day shows as sick");
    // Decided once.
    let r = sup.post(&format!("/leave/{}/decide", req.id), &[("csrf", &sc), ("action", "refuse"), ("reason", "ubah")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("err=")));
    for action in ["leave_filed", "leave_approved"] {
        assert_eq!(f.state.store.audit_lines(Some(action), None, None, 10).await.unwrap().len(), 1, "{action} audited");
    }
}

/// Refused uploads and failed sign-ins are kept as long as an administrator says (#18), then
/// deleted, and no other audit line with them; an operator cannot change it, and a value out
/// of range changes nothing.
async fn refused_uploads_are_kept_for_the_set_retention(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let now = dashboard_fixture::NOW.unix_timestamp() * 1000;
    let day = 86_400_000;
    for (device, at) in [("OLD-40", now - 40 * day), ("NEW-10", now - 10 * day)] {
        f.storage
            .write(
                "test: refused upload",
                "INSERT INTO refused_uploads (device_id, seq, reason, detail, at_ms) VALUES ($1, 1, 'unknown_device', 'test', $2)",
                params![device, at],
            )
            .await
            .unwrap();
    }
    let days_ago = |d: i64| dashboard_fixture::NOW - time::Duration::days(d);
    for (by, action, ago) in [("old-guess", "login_failed", 40), ("new-guess", "login_failed", 10), ("admin", "login", 40)] {
        f.storage.audit(by, action, "", days_ago(ago)).await.unwrap();
    }
    let kept = |f: &dashboard_fixture::Fixture| {
        let storage = f.storage.clone();
        async move { storage.refused_uploads(None, 10).await.unwrap().into_iter().map(|r| r.device_id.unwrap_or_default()).collect::<Vec<_>>() }
    };
    let audited = |f: &dashboard_fixture::Fixture| {
        let storage = f.storage.clone();
        async move {
            let lines = storage.audit_lines(None, None, None, 1000).await.unwrap();
            let old = |l: &&hadir_server::storage::audit::AuditLine| l.at < days_ago(30);
            lines.iter().filter(old).map(|l| format!("{} {}", l.by, l.action)).collect::<Vec<_>>()
        }
    };
    assert_eq!(f.storage.refused_retention_days().await.unwrap(), 90);
    assert_eq!(f.storage.prune_past_retention(now).await.unwrap(), Default::default(), "all are within the default 90 days");

    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let csrf = op.csrf("/devices").await;
    assert_eq!(op.post("/settings/retention", &[("csrf", &csrf), ("days", "7")]).await.status, StatusCode::FORBIDDEN);

    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let r = admin.post("/settings/retention", &[("csrf", &csrf), ("days", "3")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("err=")), "{:?}", r.location);
    assert_eq!(kept(&f).await.len(), 2);
    let r = admin.post("/settings/retention", &[("csrf", &csrf), ("days", "30")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=")), "{:?}", r.location);
    assert_eq!(kept(&f).await, ["NEW-10"], "the 40-day-old upload is gone at once");
    assert_eq!(audited(&f).await, ["admin login"], "the old failed sign-in is gone, the old sign-in stays");
    assert_eq!(f.storage.audit_lines(Some("login_failed"), Some("new-guess"), None, 5).await.unwrap().len(), 1);
    assert!(admin.get("/settings").await.text().contains(r#"name="days" type="number" min="7" max="3650" value="30""#));
    let log = f.state.store.audit_lines(Some("retention"), None, None, 5).await.unwrap();
    assert!(log[0].detail.contains("30 days; older deleted: 1 refused uploads, 1 failed sign-ins"), "{}", log[0].detail);
    // Only failed sign-ins can leave: the rest of the log is still append-only.
    let delete = "DELETE FROM dash_audit WHERE action <> 'login_failed'";
    assert!(f.storage.write("test: tamper", delete, params![]).await.is_err(), "{}: other audit lines are never deleted", db.name());
}

/// An administrator enters the office's letterhead and who signs; the PDF and XLSX recaps print
/// them (a section's recap with its head's signature), the CSV does not; a bad NIP saves
/// nothing and names the field; a supervisor cannot change them.
async fn recaps_carry_the_letterhead_and_signatures(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    let csrf = spv.csrf("/reports").await;
    assert_eq!(spv.post("/settings/letterhead", &[("csrf", &csrf), ("lines", "X")]).await.status, StatusCode::FORBIDDEN);

    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let form = |nip: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("lines", "PEMERINTAH KABUPATEN BADUNG\r\nDINAS PEKERJAAN UMUM DAN PENATAAN RUANG\r\n\r\nJl. Raya Sempidi, Mangupura".to_owned()),
            ("place", "Mangupura".to_owned()),
            ("approver_title", "Kepala Dinas".to_owned()),
            ("approver_name", "Ir. I Made Sutama, M.T.".to_owned()),
            ("approver_nip", nip.to_owned()),
            ("preparer_title", "Kepala Sub Bagian Umum".to_owned()),
            ("preparer_name", "Ni Luh Sari, S.E.".to_owned()),
            ("preparer_nip", "198001012005012001".to_owned()),
            ("head.BM_title", "Kepala Bidang Bina Marga".to_owned()),
            ("head.BM_name", "I Wayan Darma, S.T.".to_owned()),
            ("head.BM_nip", "".to_owned()),
        ]
    };
    let err = send(&mut admin, "/settings/letterhead", &form("1970-01-01")).await;
    assert!(err.contains("err=") && err.contains("NIP"), "{err}");
    assert_eq!(f.storage.letterhead().await.unwrap(), Default::default(), "nothing saved");

    let ok = send(&mut admin, "/settings/letterhead", &form("19700101 199503 1 001")).await;
    assert!(ok.contains("ok="), "{ok}");
    let settings = admin.get("/settings").await.text();
    assert!(settings.contains(r#"name="head.BM_name" value="I Wayan Darma, S.T.""#), "the form shows what was saved");
    assert_eq!(f.storage.audit_lines(Some("letterhead"), None, None, 5).await.unwrap().len(), 1);

    let pdf = admin.get("/reports/month.pdf?year=2026&month=3").await.text();
    for needle in ["(PEMERINTAH KABUPATEN BADUNG) Tj", "(Jl. Raya Sempidi, Mangupura) Tj", "(Mengetahui,) Tj", "(NIP. 19700101 199503 1 001) Tj", "(Ni Luh Sari, S.E.) Tj"] {
        assert!(pdf.contains(needle), "{needle}");
    }
    assert!(pdf.contains("(Mangupura, 2 Maret 2026) Tj"), "dated the day it is printed");
    let bm = admin.get("/reports/month.pdf?year=2026&month=3&section=BM").await.text();
    assert!(bm.contains("(I Wayan Darma, S.T.) Tj") && !bm.contains("Ni Luh Sari"), "a section's recap is signed by its head");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(admin.get("/reports/date.xlsx?date=2026-03-02").await.body)).unwrap();
    let range = wb.worksheet_range("Rekap").unwrap();
    let cells: Vec<String> = range.rows().flat_map(|r| r.iter().map(|c| c.to_string())).filter(|c| !c.is_empty()).collect();
    assert_eq!(cells[0], "PEMERINTAH KABUPATEN BADUNG");
    for want in ["Mengetahui,", "Ir. I Made Sutama, M.T.", "Mangupura, 2 Maret 2026", "Ni Luh Sari, S.E."] {
        assert!(cells.iter().any(|c| c == want), "{want} in the XLSX");
    }
    let csv = admin.get("/reports/date.csv?date=2026-03-02").await.text();
    assert!(csv.starts_with("\u{feff}No,NIP") && !csv.contains("BADUNG"), "the CSV is data only");
}

/// The recap a treasurer checks: one employee's month day by day (schedule, records, lateness,
/// status, deduction, totals), holidays named on the month views, exports signed by the
/// section's head; a supervisor cannot open another section's employee.
async fn an_employees_month_shows_every_day_and_its_schedule(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    f.storage.put_holiday(&hadir_server::storage::calendar::Holiday::everywhere(time::macros::date!(2026 - 03 - 19), "Hari Suci Nyepi", hadir_server::storage::calendar::HolidayKind::National)).await.unwrap();
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let month = admin.get("/reports?year=2026&month=3").await.text();
    assert!(month.contains(r#"<li data-holiday="2026-03-19">19 Maret — Hari Suci Nyepi <span class="muted">(Libur nasional)</span></li>"#), "the month names its holidays and their kinds");
    assert!(month.contains(r#"<option value="199003032015013003">Agus Pratama (199003032015013003)</option>"#));

    let agus = admin.get("/reports/employee?id=199003032015013003&year=2026&month=3").await;
    assert_eq!(agus.status, StatusCode::OK);
    let html = agus.report_text();
    let row = |date: &str| {
        let at = html.find(&format!("<td>{date}</td>")).unwrap_or_else(|| panic!("a row for {date}"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
    };
    let monday = row("2026-03-02");
    for cell in ["<td>Senin</td>", "<td>07:30-16:00</td>", "<td>08:40</td>", "<td>K-01</td>", "<td>TL3</td>", "<td>70</td>"] {
        assert!(monday.contains(cell), "{cell} in {monday}");
    }
    assert!(row("2026-03-19").contains("<td>Libur nasional: Hari Suci Nyepi</td>"), "{}", row("2026-03-19"));
    assert!(row("2026-03-01").contains("<td>Minggu</td><td>Libur</td>"), "{}", row("2026-03-01"));
    assert_eq!(html.matches("<tr><td>2026-03-").count(), 31, "every day of March");
    assert!(html.contains("<td>Jumlah</td>"), "a totals row");

    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(admin.get("/reports/employee.xlsx?id=199003032015013003&year=2026&month=3").await.body)).unwrap();
    let range = wb.worksheet_range("Rekap").unwrap();
    let total = (0..range.height() as u32).find(|r| range.get_value((*r, 0)) == Some(&Data::String("Jumlah".into()))).expect("the totals row");
    assert_eq!(range.get_value((total, 9)), Some(&Data::Float(70.0)), "minutes late in the month");
    let pdf = admin.get("/reports/employee.pdf?id=199003032015013003&year=2026&month=3").await.text();
    assert!(pdf.contains("(Rekap harian Agus Pratama \\(199003032015013003\\)"), "the PDF's title");

    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    assert_eq!(spv.get("/reports/employee?id=199003032015013003&year=2026&month=3").await.status, StatusCode::OK);
    assert_eq!(spv.get("/reports/employee?id=198704042011014004&year=2026&month=3").await.status, StatusCode::NOT_FOUND, "another section's employee");
    assert_eq!(spv.get("/reports/employee.csv?id=198704042011014004&year=2026&month=3").await.status, StatusCode::NOT_FOUND);
}

/// Budi's kiosk was out of order on Friday 27 February: an administrator enters his IN and a
/// late OUT with the letter. The day counts as present with its overtime, marked "Manual" on
/// the month page and in the exports; bad fields are named and write nothing; only an
/// administrator may add one, and none can be deleted.
async fn an_administrator_adds_a_missing_out_and_the_overtime_appears(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let budi = "198001012005011001";
    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let csrf = op.csrf("/devices").await;
    let r = op.upload("/manual", &[("csrf", &csrf), ("employee", budi), ("date", "2026-02-27"), ("time", "07:15"), ("direction", "in"), ("mode", "office"), ("reason", "x")], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let entry = |date: &'static str, time: &'static str, direction: &'static str| {
        vec![("csrf", csrf.clone()), ("employee", budi.to_owned()), ("date", date.to_owned()), ("time", time.to_owned()), ("direction", direction.to_owned()), ("mode", "office".to_owned()), ("reason", "Kios rusak, dicatat dari daftar hadir manual".to_owned())]
    };
    let pdf: &[u8] = b"%PDF-1.4 daftar hadir";
    for (fields, file, want) in [
        (entry("2026-02-27", "7.15", "in"), None, "Tanggal/jam"),
        (entry("2026-03-02", "23:00", "out"), None, "masa depan"),
        (entry("2026-02-27", "19:30", "out"), Some(("daftar.pdf", &b"MZ not a pdf"[..])), "daftar.pdf is not a PDF, JPEG or PNG"),
    ] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let files: Vec<(&str, &str, &[u8])> = file.map(|(n, b)| vec![("attachment", n, b)]).unwrap_or_default();
        let r = admin.upload("/manual", &refs, &files).await;
        let back = r.location.expect("back to the month");
        assert!(back.contains("err="), "{back}");
        assert!(admin.get(&back).await.text().contains(want), "{want}");
    }
    let all_time = (time::OffsetDateTime::UNIX_EPOCH, dashboard_fixture::NOW + time::Duration::days(1));
    assert!(f.storage.manual_entries(all_time.0, all_time.1).await.unwrap().is_empty(), "nothing written");

    for (fields, files) in [(entry("2026-02-27", "07:15", "in"), vec![]), (entry("2026-02-27", "19:30", "out"), vec![("attachment", "daftar.pdf", pdf)])] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = admin.upload("/manual", &refs, &files).await;
        assert!(r.location.as_deref().is_some_and(|l| l.contains("ok=") && l.contains("month=2")), "{:?}", r.location);
    }
    let html = admin.get(&format!("/reports/employee?id={budi}&year=2026&month=2")).await.report_text();
    let at = html.find("<td>2026-02-27</td>").expect("27 February's row");
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    for cell in ["<td>07:15</td><td>Manual</td><td>19:30</td><td>Manual</td><td>Hadir</td>", "<td>30</td>"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert_eq!(html.matches("<tr data-manual=").count(), 2, "both entries listed");
    assert!(html.contains("Kios rusak, dicatat dari daftar hadir manual"));
    let id = f.storage.manual_entries(all_time.0, all_time.1).await.unwrap().into_iter().find(|e| e.attachment_name.is_some()).unwrap().id;
    let letter = admin.get(&format!("/manual/{id}/attachment")).await;
    assert_eq!((letter.status, letter.content_type.as_str(), letter.body.as_slice()), (StatusCode::OK, "application/pdf", pdf));
    let records = admin.get("/records?date=2026-02-27").await.text();
    assert_eq!(records.matches(r#"<tr data-source="manual">"#).count(), 2, "the records page lists both, marked: {records}");
    let csv = admin.get("/reports/date.csv?date=2026-02-27").await.text();
    let line = csv.lines().find(|l| l.contains("Budi Santoso")).unwrap();
    assert!(line.contains(",07:15,Manual,19:30,Manual,"), "{line}");
    assert_eq!(f.storage.audit_lines(Some("manual_punch"), None, None, 5).await.unwrap().len(), 2);
    for sql in ["DELETE FROM dash_manual_punches", "UPDATE dash_manual_punches SET reason = 'x'"] {
        assert!(f.storage.write("test: tamper", sql, params![]).await.is_err(), "{}: {sql} must fail", db.name());
    }
    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    assert_eq!(spv.get(&format!("/manual/{id}/attachment")).await.status, StatusCode::OK, "Budi is in BM");
    assert!(!spv.get(&format!("/reports/employee?id={budi}&year=2026&month=2")).await.text().contains(r#"action="/manual""#), "no form for a supervisor");

    // The OUT was typed for the wrong day: it is cancelled with a reason, stays listed, and
    // counts no more.
    let s_csrf = spv.csrf("/today").await;
    assert_eq!(spv.post(&format!("/manual/{id}/cancel"), &[("csrf", &s_csrf), ("reason", "salah")]).await.status, StatusCode::FORBIDDEN);
    let cancel = |reason: &'static str| vec![("csrf", csrf.clone()), ("reason", reason.to_owned())];
    for (fields, want) in [(cancel(""), "Alasan pembatalan wajib"), (cancel("Salah tanggal; pulangnya tanggal 26"), "Entri manual dibatalkan"), (cancel("lagi"), "sudah dibatalkan")] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let back = admin.post(&format!("/manual/{id}/cancel"), &refs).await.location.expect("back to the month");
        assert!(admin.get(&back).await.text().contains(want), "{want}");
    }
    let html = admin.get(&format!("/reports/employee?id={budi}&year=2026&month=2")).await.report_text();
    let at = html.find("<td>2026-02-27</td>").expect("27 February's row");
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    assert!(row.contains("<td>07:15</td><td>Manual</td><td>-</td>") && !row.contains("19:30"), "the OUT no longer counts: {row}");
    assert!(html.contains(r#"<span class="bad">Dibatalkan</span> (admin: Salah tanggal; pulangnya tanggal 26)"#), "listed as cancelled");
    assert_eq!(admin.get("/records?date=2026-02-27").await.text().matches(r#"<tr data-source="manual">"#).count(), 1, "a cancelled entry is no record");
    assert_eq!(f.storage.audit_lines(Some("manual_punch_cancelled"), Some("admin"), None, 5).await.unwrap().len(), 1);
    for sql in ["DELETE FROM dash_manual_cancels", "UPDATE dash_manual_cancels SET reason = 'x'"] {
        assert!(f.storage.write("test: tamper", sql, params![]).await.is_err(), "{}: {sql} must fail", db.name());
    }
}

/// Bina Marga starts at 07:00 from 2 March and works shorter hours in a Ramadan week: the new
/// week counts from its date (February keeps 07:30, a closed month cannot be changed), the
/// special hours land on working days only (not on the holiday or the weekend), the kiosks get
/// the week in effect, and bad fields write nothing.
async fn a_schedule_change_counts_from_its_date_and_ramadan_hours_only_on_working_days(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let agus = "199003032015013003";
    f.storage.put_holiday(&hadir_server::storage::calendar::Holiday::everywhere(time::macros::date!(2026 - 03 - 19), "Hari Suci Nyepi", hadir_server::storage::calendar::HolidayKind::National)).await.unwrap();
    f.storage.close_month(2026, time::Month::January, &f.state.zones().await.unwrap(), "admin", dashboard_fixture::NOW).await.unwrap().unwrap();
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let change = |from: &'static str| {
        vec![("csrf", csrf.clone()), ("id", "BM".into()), ("name", "Bina Marga".into()), ("weekdays", "07:00-15:00".into()), ("friday", "07:00-11:00".into()), ("from", from.into())]
    };
    for (fields, want) in [(change("2026-01-15"), "ditutup"), (change("15-01-2026"), "tanggal tidak sah")] {
        let back = send(&mut admin, "/settings/section", &fields).await;
        assert!(back.contains("err=") && admin.get(&back).await.text().contains(want), "{want}: {back}");
    }
    assert!(send(&mut admin, "/settings/section", &change("2026-03-02")).await.contains("ok="));
    let bm = f.storage.sections().await.unwrap().into_iter().find(|s| s.id == "BM").unwrap();
    assert_eq!(bm.calendar.changes.len(), 1, "one dated change, the first week kept");

    let row_of = |html: &str, date: &str| {
        let at = html.find(&format!("<td>{date}</td>")).unwrap_or_else(|| panic!("{date}"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
    };
    let march = admin.get(&format!("/reports/employee?id={agus}&year=2026&month=3")).await.report_text();
    let monday = row_of(&march, "2026-03-02");
    assert!(monday.contains("<td>07:00-15:00</td>") && monday.contains("<td>100</td>"), "late from 07:00 now: {monday}");
    let february = admin.get(&format!("/reports/employee?id={agus}&year=2026&month=2")).await.report_text();
    assert!(row_of(&february, "2026-02-27").contains("<td>07:30-16:00</td>"), "the month before keeps its week");
    let rules = hadir_server::roster::site_rules(&f.storage, "KANTOR", &hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap(), time::macros::date!(2026 - 03 - 02)).await.unwrap();
    assert_eq!(rules.to_wire().sections.iter().find(|s| s.id == "BM").unwrap().week[0].as_deref(), Some("07:00-15:00"), "the kiosks get the week in effect");

    let period = |from: &'static str, to: &'static str, weekdays: &'static str| {
        vec![("csrf", csrf.clone()), ("id", "BM".into()), ("from", from.into()), ("to", to.into()), ("weekdays", weekdays.into()), ("friday", "08:00-11:30".into()), ("reason", "Ramadan".into())]
    };
    for fields in [period("2026-03-22", "2026-03-16", "08:00-14:00"), period("2026-03-16", "2026-03-22", "8 sampai 2")] {
        assert!(send(&mut admin, "/settings/section/period", &fields).await.contains("err="));
    }
    let exceptions = |f: &dashboard_fixture::Fixture| {
        let storage = f.storage.clone();
        async move { storage.sections().await.unwrap().into_iter().find(|s| s.id == "BM").unwrap().calendar.exceptions.len() }
    };
    assert_eq!(exceptions(&f).await, 0, "nothing written");
    // A regional holiday of a site where nobody of the section works takes no day out.
    use hadir_server::storage::calendar::{Holiday, HolidayKind};
    let elsewhere = Holiday { date: time::macros::date!(2026 - 03 - 18), name: "Hari raya daerah".into(), kind: HolidayKind::Regional, sites: vec!["DENPASAR".into()] };
    f.storage.put_holiday(&elsewhere).await.unwrap();
    let back = send(&mut admin, "/settings/section/period", &period("2026-03-16", "2026-03-22", "08:00-14:00")).await;
    assert!(back.contains("ok="), "{back}");
    assert_eq!(exceptions(&f).await, 4, "Monday to Wednesday and Friday; not the holiday nor the weekend");
    let march = admin.get(&format!("/reports/employee?id={agus}&year=2026&month=3")).await.report_text();
    for (date, plan) in [("2026-03-16", "08:00-14:00"), ("2026-03-19", "Libur nasional: Hari Suci Nyepi"), ("2026-03-20", "08:00-11:30"), ("2026-03-21", "Libur"), ("2026-03-23", "07:00-15:00")] {
        assert!(row_of(&march, date).contains(&format!("<td>{plan}</td>")), "{date}: {}", row_of(&march, date));
    }
    assert!(admin.get("/settings").await.text().contains(r#"<li data-change="2026-03-02">mulai 2026-03-02: 07:00-15:00"#));
}

/// Posts owned form fields; the redirect's target.
async fn send(c: &mut Client, path: &str, fields: &[(&str, String)]) -> String {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post(path, &refs).await.location.unwrap_or_default()
}

/// Nyoman guards the office at night through March: his own week (22:00-06:00 every day)
/// wins over his section's in its range only, reaches the kiosks as a section of his own, and
/// goes when removed; an overlapping range, one that ends before it starts and one in a closed
/// month write nothing.
async fn a_night_guard_has_his_own_schedule_for_a_range_of_dates(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let nyoman = "198806062012016006";
    f.storage.close_month(2026, time::Month::January, &f.state.zones().await.unwrap(), "admin", dashboard_fixture::NOW).await.unwrap().unwrap();
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let own = |from: &str, to: &str| {
        let night = "22:00-06:00";
        vec![("csrf", csrf.clone()), ("employee", nyoman.to_owned()), ("from", from.to_owned()), ("to", to.to_owned()), ("weekdays", night.to_owned()), ("saturday", night.to_owned()), ("sunday", night.to_owned()), ("reason", "Satpam shift malam".to_owned())]
    };
    let back = send(&mut admin, "/schedules", &own("2026-03-01", "2026-03-31")).await;
    assert!(back.contains("ok="), "{back}");
    for (fields, want) in [(own("2026-03-20", "2026-04-10"), "tumpang tindih"), (own("2026-04-10", "2026-04-01"), "sebelum"), (own("2026-01-20", "2026-02-10"), "ditutup")] {
        let back = send(&mut admin, "/schedules", &fields).await;
        assert!(back.contains("err=") && admin.get(&back).await.text().contains(want), "{want}: {back}");
    }
    assert_eq!(f.storage.employee_schedules().await.unwrap().len(), 1, "nothing else written");

    let row_of = |html: &str, date: &str| {
        let at = html.find(&format!("<td>{date}</td>")).unwrap_or_else(|| panic!("{date}"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
    };
    let march = admin.get(&format!("/reports/employee?id={nyoman}&year=2026&month=3")).await.report_text();
    assert!(row_of(&march, "2026-03-01").contains("<td>Minggu</td><td>22:00-06:00</td>"), "a Sunday at work");
    assert!(march.contains("Satpam shift malam"), "the range is listed with its reason");
    let february = admin.get(&format!("/reports/employee?id={nyoman}&year=2026&month=2")).await.report_text();
    assert!(row_of(&february, "2026-02-27").contains("<td>07:30-16:00</td>"), "his section's week before the range");
    let budi = admin.get("/reports/employee?id=198001012005011001&year=2026&month=3").await.report_text();
    assert!(row_of(&budi, "2026-03-03").contains("<td>07:30-16:00</td>"), "nobody else changes");

    let zone = hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap();
    let rules = hadir_server::roster::site_rules(&f.storage, "KANTOR", &zone, time::macros::date!(2026 - 03 - 02)).await.unwrap().to_wire();
    let assigned = rules.assignments.iter().find(|a| a.employee_id == nyoman).unwrap();
    assert_eq!(assigned.section_id, format!("@{nyoman}"));
    let section = rules.sections.iter().find(|s| s.id == assigned.section_id).unwrap();
    assert_eq!(section.week[6].as_deref(), Some("22:00-06:00"), "the kiosks know his week");

    let id = f.storage.employee_schedules().await.unwrap()[0].id;
    let r = admin.post(&format!("/schedules/{id}/remove"), &[("csrf", &csrf)]).await;
    assert!(r.location.unwrap_or_default().contains("ok="));
    let march = admin.get(&format!("/reports/employee?id={nyoman}&year=2026&month=3")).await.report_text();
    assert!(row_of(&march, "2026-03-01").contains("<td>Minggu</td><td>Libur</td>"), "back to his section's week");
    assert_eq!(f.storage.audit_lines(Some("employee_schedule"), None, None, 5).await.unwrap().len(), 2);
    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    let v = own("2026-05-01", "2026-05-31");
    let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(spv.post("/schedules", &refs).await.status, StatusCode::FORBIDDEN);
}

/// A supervisor changes her own password: the current one is asked again, a weak or
/// mistyped new one is refused, and a change ends every session of the account (her phone's
/// too); "sign out everywhere" ends them without a change.
async fn a_user_changes_her_password_and_every_session_ends(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let (mut desk, mut phone) = (Client::new(&f), Client::new(&f));
    desk.login("kabid_bm", PASSWORD).await;
    phone.login("kabid_bm", PASSWORD).await;
    assert!(desk.get("/today").await.text().contains(r#"<a href="/account" id="account">kabid_bm</a>"#));
    assert_eq!(desk.get("/account").await.status, StatusCode::OK);
    let csrf = desk.csrf("/account").await;
    let new = "kopi-tubruk-pagi-hari";
    let change = |current: &str, new: &str, again: &str| vec![("csrf", csrf.clone()), ("current", current.to_owned()), ("new", new.to_owned()), ("again", again.to_owned())];
    for (fields, want) in [
        (change("salah-sekali-123", new, new), "Kata sandi sekarang salah"),
        (change(PASSWORD, new, "kopi-tubruk-sore-hari"), "tidak sama"),
        (change(PASSWORD, "123456789012", "123456789012"), "terlalu umum"),
    ] {
        let back = send(&mut desk, "/account/password", &fields).await;
        assert!(back.contains("err=") && desk.get(&back).await.text().contains(want), "{want}: {back}");
    }
    assert_eq!(phone.get("/today").await.status, StatusCode::OK, "nothing changed yet");
    let back = send(&mut desk, "/account/password", &change(PASSWORD, new, new)).await;
    assert!(back.starts_with("/login") && back.contains("ok="), "{back}");
    for c in [&mut desk, &mut phone] {
        assert_eq!(c.get("/today").await.location.as_deref(), Some("/login"), "every session ended");
    }
    let mut again = Client::new(&f);
    assert_ne!(again.login("kabid_bm", PASSWORD).await.location.as_deref(), Some("/today"), "the old password no longer opens");
    assert_eq!(again.login("kabid_bm", new).await.location.as_deref(), Some("/today"));
    let mut other = Client::new(&f);
    other.login("kabid_bm", new).await;
    let csrf = again.csrf("/account").await;
    assert!(again.post("/account/sessions/end", &[("csrf", &csrf)]).await.location.unwrap_or_default().starts_with("/login"));
    assert_eq!(other.get("/today").await.location.as_deref(), Some("/login"), "signed out everywhere");
    let audited: Vec<String> = f.storage.audit_lines(None, Some("kabid_bm"), None, 20).await.unwrap().into_iter().map(|l| l.action).collect();
    for action in ["password_change_refused", "password_changed", "sessions_ended"] {
        assert!(audited.iter().any(|a| a == action), "{action} in {audited:?}");
    }
}

/// The text of the element with `id` in `html` (a shown-once password).
fn text_of_id(html: &str, id: &str) -> String {
    let start = html.find(&format!(r#"id="{id}">"#)).unwrap_or_else(|| panic!("#{id} in {html}")) + id.len() + 6;
    html[start..].split('<').next().unwrap().to_owned()
}

/// An administrator runs the staff accounts: a read-only head of office is added and reads
/// every section but changes nothing; a change of role ends the account's sessions; a
/// disabled account is out at once and cannot sign in; a reset password is shown once, works
/// only to choose a new one; the administrator cannot disable themselves.
async fn an_administrator_runs_the_staff_accounts(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let id = |name: &'static str| {
        let store = f.storage.clone();
        async move { store.user_by_name(name).await.unwrap().unwrap().id }
    };
    // A read-only head of office.
    let added = admin.post("/settings/user", &[("csrf", &csrf), ("username", "kadis"), ("password", "sekretariat-dinas-pu"), ("role", "leadership"), ("sections", "")]).await;
    assert!(added.location.unwrap_or_default().contains("ok="));
    let mut kadis = Client::new(&f);
    assert_eq!(kadis.login("kadis", "sekretariat-dinas-pu").await.location.as_deref(), Some("/today"));
    let today = kadis.get("/today").await.text();
    assert!(today.contains("Agus Pratama") && today.contains("Dewi Lestari") && today.contains("Nyoman Arta"), "every section");
    assert!(today.contains("(pimpinan)"), "the role is named");
    assert_eq!(kadis.get("/reports/employee?id=198806062012016006&year=2026&month=3").await.status, StatusCode::OK);
    for page in ["/settings", "/confirmations", "/devices", "/audit", "/me"] {
        assert_eq!(kadis.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    let k_csrf = kadis.csrf("/account").await;
    let decide = format!("/confirmations/{}", f.pending_bm);
    let r = kadis.post(&decide, &[("csrf", &k_csrf), ("decision", "confirmed"), ("reason", "ok")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "read-only, whatever the handler allows");
    assert!(f.storage.audit_lines(Some("access_denied"), Some("kadis"), None, 10).await.unwrap().iter().any(|l| l.detail.contains("read-only")));
    // A change of role ends the account's sessions; the new rights apply at the next sign-in.
    let mut kabid = Client::new(&f);
    kabid.login("kabid_bm", PASSWORD).await;
    let r = admin.post(&format!("/settings/user/{}/role", id("kabid_bm").await), &[("csrf", &csrf), ("role", "supervisor"), ("sections", "BM, SDA")]).await;
    assert!(r.location.unwrap_or_default().contains("ok="));
    assert_eq!(kabid.get("/today").await.location.as_deref(), Some("/login"));
    kabid.login("kabid_bm", PASSWORD).await;
    assert!(kabid.get("/today").await.text().contains("Dewi Lestari"), "SDA now in her sections");
    // Disabled: out at once, and the right password says why.
    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let operator = id("operator").await;
    assert!(admin.post(&format!("/settings/user/{operator}/disable"), &[("csrf", &csrf)]).await.location.unwrap_or_default().contains("ok="));
    assert_eq!(op.get("/employees").await.location.as_deref(), Some("/login"), "the session ended");
    let refused = op.login("operator", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.text().contains("dinonaktifkan"), "{}", refused.text());
    assert!(admin.get("/settings").await.text().contains("dinonaktifkan"));
    admin.post(&format!("/settings/user/{operator}/enable"), &[("csrf", &csrf)]).await;
    assert_eq!(op.login("operator", PASSWORD).await.location.as_deref(), Some("/employees"));
    // A reset password: shown once (never cached), the old one void, good only for choosing.
    let reset = admin.post(&format!("/settings/user/{}/reset", id("kabid_bm").await), &[("csrf", &csrf)]).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(reset.cache_control, "no-store");
    let temporary = text_of_id(&reset.text(), "temporary-password");
    assert_eq!(temporary.len(), 14, "{temporary}");
    assert_eq!(kabid.get("/today").await.location.as_deref(), Some("/login"), "sessions ended");
    assert_ne!(kabid.login("kabid_bm", PASSWORD).await.location.as_deref(), Some("/today"), "the old password is void");
    assert_eq!(kabid.login("kabid_bm", &temporary).await.location.as_deref(), Some("/account"));
    assert_eq!(kabid.get("/today").await.location.as_deref(), Some("/account"), "only the form that replaces it");
    assert!(kabid.get("/account").await.text().contains("kata sandi sementara"));
    let b_csrf = kabid.csrf("/account").await;
    let new = "teh-manis-di-sore-hari";
    let done = kabid.post("/account/password", &[("csrf", &b_csrf), ("current", &temporary), ("new", new), ("again", new)]).await;
    assert!(done.location.unwrap_or_default().starts_with("/login"));
    assert_eq!(kabid.login("kabid_bm", new).await.location.as_deref(), Some("/today"));
    assert_eq!(kabid.get("/today").await.status, StatusCode::OK);
    // Not one's own rights, and never the last administrator.
    let own = admin.post(&format!("/settings/user/{}/disable", id("admin").await), &[("csrf", &csrf)]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
    assert_eq!(admin.get("/settings").await.status, StatusCode::OK);
    let audited: Vec<String> = f.storage.audit_lines(None, Some("admin"), None, 50).await.unwrap().into_iter().map(|l| l.action).collect();
    for action in ["add_user", "user_role_changed", "user_disabled", "user_enabled", "password_reset"] {
        assert!(audited.iter().any(|a| a == action), "{action} in {audited:?}");
    }
    assert!(f.storage.audit_lines(Some("login_disabled"), Some("operator"), None, 5).await.unwrap().len() == 1);
}

/// Everything the users read is in Bahasa Indonesia by default: every page an administrator
/// opens, with the markup and the data left out, holds none of the English words the pages
/// use in English (the language switch's own name excepted).
async fn every_page_speaks_indonesian_by_default(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let pages = dashboard_fixture::ADMIN_PAGES;
    let english = [
        "Sign out", "Save", "Remove", "Reason", "Approve", "Refuse", "Cancel", "Employees", "Settings", "Records", "Devices",
        "Reports", "Today", "Add ", "Import", "Export", "Password", "Section", "Name", "Date", "State", "Users", "Role", "Sites",
        "Holidays", "Confirm", "Reject", "Show", "Month", "Year", "Manual entries", "Field assignments", "Late board", "Leave",
        "awaiting", "Awaiting", "not counted", "Two-step", "My account", "Sessions", "Change",
    ];
    // The text people read: tags removed, the language link (named in its own language) too.
    let readable = |html: String| {
        let mut text = String::new();
        let mut in_tag = false;
        for ch in html.replace(r#"<a href="/lang/en">English</a>"#, "").chars() {
            match ch {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    };
    for path in pages {
        let r = admin.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let text = readable(r.text());
        let found: Vec<&str> = english.iter().copied().filter(|w| text.contains(w)).collect();
        assert!(found.is_empty(), "{path} shows English: {found:?}");
    }
    // The words are the English pages' own: chosen, English shows them on every page.
    admin.get("/lang/en").await;
    for path in pages {
        let text = readable(admin.get(path).await.text());
        assert!(english.iter().any(|w| text.contains(w)), "{path} in English shows none of the words");
    }
}

/// Field assignments (#19): an administrator dates one for Nyoman; an overlapping one, a point
/// off the Earth or a missing label is refused by name and nothing is written; a supervisor
/// cannot set one; removing it is audited.
async fn field_assignments_are_dated_and_checked(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let nyoman = "198806062012016006";
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let assign = |from: &str, to: &str, label: &str, lat: &str| {
        vec![("csrf", csrf.clone()), ("employee", nyoman.to_owned()), ("from", from.to_owned()), ("to", to.to_owned()), ("label", label.to_owned()), ("lat", lat.to_owned()), ("lon", "115.1771".to_owned()), ("radius", "500".to_owned())]
    };
    let first = assign("2026-03-09", "2026-03-20", "Jembatan Tukad Mati", "-8,6512");
    let refs: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(admin.post("/assignments", &refs).await.location.unwrap_or_default().contains("ok="));
    for (fields, want) in [
        (assign("2026-03-15", "2026-03-25", "Jalan Kuta", "-8.7"), "tumpang tindih dengan penugasan 2026-03-09 – 2026-03-20 (Jembatan Tukad Mati)"),
        (assign("2026-03-23", "2026-03-25", "Jalan Kuta", "-98.7"), "Lintang/bujur/radius"),
        (assign("2026-03-23", "2026-03-25", " ", "-8.7"), "wajib diisi"),
        (assign("2026-03-25", "2026-03-23", "Jalan Kuta", "-8.7"), "tidak boleh sebelum"),
    ] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let back = admin.post("/assignments", &refs).await.location.unwrap_or_default();
        assert!(back.contains("err=") && admin.get(&back).await.text().contains(want), "{want}: {back}");
    }
    let stored = f.storage.field_assignments_of(&[nyoman]).await.unwrap().remove(nyoman).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].area.lat_e7, stored[0].area.radius_m, stored[0].label.as_str()), (-86_512_000, 500, "Jembatan Tukad Mati"), "a decimal comma is read");
    let page = admin.get(&format!("/reports/employee?id={nyoman}&year=2026&month=3")).await.text();
    assert!(page.contains(&format!(r#"<tr data-assignment="{}"><td>2026-03-09 – 2026-03-20</td><td>Jembatan Tukad Mati</td>"#, stored[0].id)), "{page}");
    // The field staff's day names him while he has recorded nothing on an assigned day, and
    // not on a day outside the assignment.
    let listed = format!(r#"<li data-no-record="{nyoman}"><b>"#);
    let day = admin.get("/field?date=2026-03-10").await.text();
    assert!(day.contains(&listed) && day.contains("Ditugaskan hari ini, belum ada rekaman") && day.contains("Jembatan Tukad Mati"), "{day}");
    assert!(!admin.get("/field?date=2026-03-21").await.text().contains(&listed), "the day after the assignment");
    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    let s_csrf = spv.csrf("/today").await;
    assert_eq!(spv.post(&format!("/assignments/{}/remove", stored[0].id), &[("csrf", &s_csrf)]).await.status, StatusCode::FORBIDDEN);
    assert!(admin.post(&format!("/assignments/{}/remove", stored[0].id), &[("csrf", &csrf)]).await.location.unwrap_or_default().contains("ok="));
    assert!(f.storage.field_assignments_of(&[nyoman]).await.unwrap().is_empty());
    let audited: Vec<String> = f.storage.audit_lines(None, Some("admin"), None, 10).await.unwrap().into_iter().map(|l| l.action).collect();
    assert!(audited.contains(&"field_assignment".to_owned()) && audited.contains(&"field_assignment_removed".to_owned()), "{audited:?}");
}

/// An administrator turns on two-step verification: confirmed with a code from the app and
/// the password; then a sign-in without the code, or with a code used before, fails like a
/// wrong password; another administrator's reset turns it off (a lost phone).
async fn an_administrator_signs_in_with_a_second_factor(db: &Db<'_>) {
    use hadir_server::dashboard::totp;
    let f = fixture_on(db, true).await;
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let page = admin.get("/account").await.text();
    assert!(page.contains(r#"id="totp-key""#) && page.contains("otpauth://totp/Hadir:admin?secret="), "{page}");
    let (csrf, key) = (hidden(&page, "csrf"), hidden(&page, "secret"));
    let secret = totp::from_base32(&key).unwrap();
    let step = totp::step_of(dashboard_fixture::NOW.unix_timestamp());
    let code_at = |s: i64| format!("{:06}", totp::code(&secret, s, 6));
    let turn_on = |code: String, password: &'static str| vec![("csrf", csrf.clone()), ("action", "on".to_owned()), ("secret", key.clone()), ("code", code), ("current", password.to_owned())];
    for (fields, want) in [(turn_on("000000".into(), PASSWORD), "Kode tidak cocok"), (turn_on(code_at(step), "salah-sekali-123"), "Kata sandi sekarang salah")] {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let back = admin.post("/account/totp", &refs).await.location.unwrap();
        assert!(admin.get(&back).await.text().contains(want), "{want}");
    }
    let on = turn_on(code_at(step), PASSWORD);
    let refs: Vec<(&str, &str)> = on.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(admin.post("/account/totp", &refs).await.location.unwrap_or_default().contains("ok="));
    assert!(admin.get("/account").await.text().contains("Aktif: setiap masuk meminta kode"));

    let sign_in = |code: String| {
        let f = &f;
        async move {
            let mut c = Client::new(f);
            let page = c.get("/login").await.text();
            let r = c.post("/login", &[("csrf", &hidden(&page, "csrf")), ("username", "admin"), ("password", PASSWORD), ("code", &code)]).await;
            (r.status, r.location)
        }
    };
    let refused = (StatusCode::UNAUTHORIZED, None);
    assert_eq!(sign_in(String::new()).await, refused, "the password alone opens nothing");
    assert_eq!(sign_in(code_at(step)).await, refused, "the code that confirmed it was used");
    assert_eq!(sign_in(code_at(step + 1)).await, (StatusCode::SEE_OTHER, Some("/today".to_owned())), "the next step's code (a phone a little ahead)");
    assert_eq!(sign_in(code_at(step + 1)).await, refused, "a code is good once");
    assert_eq!(sign_in(code_at(step + 3)).await, refused, "too far ahead");
    assert!(f.storage.audit_lines(Some("login_failed"), Some("admin"), None, 10).await.unwrap().iter().any(|l| l.detail.contains("verification code")));

    // Another administrator resets the account (a lost phone): the second factor is off.
    let pw = hadir_server::dashboard::auth::hash_password(PASSWORD).unwrap();
    f.storage.add_user("admin2", &pw, hadir_server::storage::accounts::Role::Admin, &[]).await.unwrap();
    let mut admin2 = Client::new(&f);
    admin2.login("admin2", PASSWORD).await;
    let csrf2 = admin2.csrf("/settings").await;
    let id = f.storage.user_by_name("admin").await.unwrap().unwrap().id;
    let reset = admin2.post(&format!("/settings/user/{id}/reset"), &[("csrf", &csrf2)]).await.text();
    let temporary = text_of_id(&reset, "temporary-password");
    let mut again = Client::new(&f);
    assert_eq!(again.login("admin", &temporary).await.location.as_deref(), Some("/account"), "no code asked after the reset");

    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    assert!(!op.get("/account").await.text().contains(r#"id="totp""#), "administrators only");
    let o_csrf = op.csrf("/account").await;
    assert_eq!(op.post("/account/totp", &[("csrf", &o_csrf), ("action", "off"), ("current", PASSWORD)]).await.status, StatusCode::FORBIDDEN);
    let audited: Vec<String> = f.storage.audit_lines(None, Some("admin"), None, 30).await.unwrap().into_iter().map(|l| l.action).collect();
    assert!(audited.iter().any(|a| a == "totp_on") && audited.iter().any(|a| a == "totp_refused"), "{audited:?}");
}

/// An employee gets a first-time code from an operator, signs in with their NIP, chooses a
/// password and sees their own month — and nothing of anyone else's (404, not 403: nothing
/// says what exists). Deactivated, they are out at once.
async fn an_employee_sees_only_their_own_month(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let budi = "198001012005011001";
    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let page = op.get(&format!("/employees/{budi}")).await.text();
    assert!(page.contains("belum ada akun"), "no account yet");
    let csrf = hidden(&page, "csrf");
    let issued = op.post(&format!("/employees/{budi}/sign-in-code"), &[("csrf", &csrf)]).await;
    assert_eq!(issued.cache_control, "no-store");
    let code = text_of_id(&issued.text(), "sign-in-code-value");
    let mut phone = Client::new(&f);
    assert_eq!(phone.login(budi, &code).await.location.as_deref(), Some("/account"));
    let p_csrf = phone.csrf("/account").await;
    let mine = "sepeda-motor-merah-99";
    assert!(phone.post("/account/password", &[("csrf", &p_csrf), ("current", &code), ("new", mine), ("again", mine)]).await.location.unwrap_or_default().starts_with("/login"));
    assert_ne!(phone.login(budi, &code).await.location.as_deref(), Some("/me"), "the code worked once");
    assert_eq!(phone.login(budi, mine).await.location.as_deref(), Some("/me"));
    let month = phone.get("/me?year=2026&month=3").await;
    assert_eq!(month.status, StatusCode::OK);
    let text = month.text();
    assert!(text.contains("Budi Santoso") && text.contains("Kehadiran saya — Maret 2026"), "{text}");
    assert!(text.contains(r#"data-stat="present"><b>1 / 22</b>"#), "present on the 2nd, of 22 working days: {text}");
    assert!(text.contains(r#"data-label="Tanggal">2026-03-02</td>"#), "the day as a labelled card line");
    assert!(!text.contains("Sri Wahyuni") && !text.contains(r#"href="/today""#), "nothing of anyone else, no staff menu");
    for other in [
        "/reports/employee?id=198502022010012002&year=2026&month=3",
        "/reports/employee?id=198001012005011001&year=2026&month=3",
        "/reports/employee.csv?id=198502022010012002&year=2026&month=3",
        "/employees/198502022010012002",
        "/today",
        "/records",
        "/settings",
    ] {
        assert_eq!(phone.get(other).await.status, StatusCode::NOT_FOUND, "{other}");
    }
    let me_csrf = phone.csrf("/me").await;
    let r = phone.post(&format!("/confirmations/{}", f.pending_bm), &[("csrf", &me_csrf), ("decision", "confirmed"), ("reason", "saya sendiri")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(op.get(&format!("/employees/{budi}")).await.text().contains(r#"<span class="ok">aktif</span>"#));
    // He files two sick days with the doctor's letter; his supervisor approves; he sees it.
    let letter = b"%PDF-1.4 surat dokter";
    let filed = phone
        .upload(
            "/me/leave",
            &[("csrf", &me_csrf), ("kind", "sakit"), ("from", "2026-03-03"), ("to", "2026-03-04"), ("reason", "Demam")],
            &[("attachment", "surat-dokter.pdf", letter)],
        )
        .await;
    assert!(filed.location.unwrap_or_default().contains("ok="), "filed");
    let month_page = phone.get("/me?year=2026&month=3").await.text();
    assert!(month_page.contains("Menunggu persetujuan") && month_page.contains("surat-dokter.pdf"), "{month_page}");
    let request = f.storage.leave_requests_of(budi, 5).await.unwrap()[0].clone();
    assert_eq!((request.filed_by.as_str(), request.kind.as_str()), (budi, "sakit"));
    assert_eq!(phone.get(&format!("/me/leave/{}/attachment", request.id)).await.body, letter.to_vec());
    let mut kabid = Client::new(&f);
    kabid.login("kabid_bm", PASSWORD).await;
    let k_csrf = kabid.csrf("/leave").await;
    let decided = kabid.post(&format!("/leave/{}/decide", request.id), &[("csrf", &k_csrf), ("action", "approve"), ("reason", "")]).await;
    assert!(decided.location.unwrap_or_default().contains("ok="));
    let month_page = phone.get("/me?year=2026&month=3").await.text();
    assert!(month_page.contains(r#"<span class="ok">Disetujui</span> (kabid_bm"#), "{month_page}");
    assert!(month_page.contains(r#"data-stat="excused"><b>2</b>"#), "two excused days in his month");
    // Someone else's letter is not found for him.
    let sri = f.storage.file_leave("198502022010012002", hadir_rules::Excused::Cuti, dashboard_fixture::NOW.date(), dashboard_fixture::NOW.date(), "Cuti", None, "operator", dashboard_fixture::NOW).await.unwrap();
    assert_eq!(phone.get(&format!("/me/leave/{sri}/attachment")).await.status, StatusCode::NOT_FOUND);
    assert!(!phone.get("/me").await.text().contains(&format!(r#"data-leave="{sri}""#)), "nor her request");
    // Deactivated: the account goes with him.
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let a_csrf = admin.csrf("/employees").await;
    let gone = admin.post(&format!("/employees/{budi}/deactivate"), &[("csrf", &a_csrf), ("confirm", budi)]).await;
    assert!(gone.location.unwrap_or_default().contains("ok="));
    assert_eq!(phone.get("/me").await.location.as_deref(), Some("/login"), "his session ended");
    assert!(phone.login(budi, mine).await.text().contains("dinonaktifkan"));
    assert_eq!(f.storage.audit_lines(Some("employee_code_issued"), Some("operator"), None, 5).await.unwrap().len(), 1);
}

on_both_backends!(
    every_page_speaks_indonesian_by_default,
    field_assignments_are_dated_and_checked,
    an_administrator_signs_in_with_a_second_factor,
    an_administrator_runs_the_staff_accounts,
    an_employee_sees_only_their_own_month,
    a_user_changes_her_password_and_every_session_ends,
    a_night_guard_has_his_own_schedule_for_a_range_of_dates,
    a_schedule_change_counts_from_its_date_and_ramadan_hours_only_on_working_days,
    an_administrator_adds_a_missing_out_and_the_overtime_appears,
    an_employees_month_shows_every_day_and_its_schedule,
    recaps_carry_the_letterhead_and_signatures,
    login_sets_a_secure_session_and_pages_need_it,
    refused_uploads_are_kept_for_the_set_retention,
    session_cookie_flags,
    wrong_password_then_rate_limit,
    login_without_the_form_token_is_refused,
    supervisor_sees_only_their_sections_everywhere,
    operator_manages_devices_but_sees_no_attendance,
    confirm_and_reject_are_audited_and_change_the_day,
    corrections_are_appended_and_excuse_the_day,
    monthly_xlsx_cells_read_back,
    csv_and_pdf_exports,
    board_needs_its_token_and_shows_initials_when_asked,
    a_sites_board_shows_its_own_people,
    absences_appear_once_every_device_has_synced_past_the_day,
    devices_page_shows_refused_uploads_chain_events_and_quarantine,
    a_silent_device_is_named_and_its_days_released,
    holidays_are_imported_whole_and_removed,
    devices_page_shows_health_and_tamper_alerts,
    a_reversed_decision_shows_both_decisions,
    a_closed_month_flags_later_changes,
    a_supervisor_approves_a_leave_request_and_the_recap_changes,
);
