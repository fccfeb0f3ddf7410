//! The dashboard through its router (no socket): login, CSRF, rate limit, roles and sections,
//! confirmations, corrections, exports read back.

mod dashboard_fixture;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use dashboard_fixture::{Fixture, PASSWORD, fixture};
use hadir_server::dashboard::router;
use tower::ServiceExt as _;

struct Client {
    app: axum::Router,
    cookies: Vec<(String, String)>,
}

struct Resp {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
    content_type: String,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let i = html.find(&needle).unwrap_or_else(|| panic!("no {name} field in {html}")) + needle.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc: String = v.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Client {
    fn new(f: &Fixture) -> Self {
        Self { app: router(f.state.clone()), cookies: Vec::new() }
    }

    async fn send(&mut self, req: Request<Body>) -> Resp {
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, _) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !s.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let content_type = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let body = axum::body::to_bytes(res.into_body(), 50 << 20).await.unwrap().to_vec();
        Resp { status, location, body, content_type }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(fields)))
            .unwrap();
        self.send(req).await
    }

    async fn login(&mut self, user: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        let csrf = hidden(&page.text(), "csrf");
        self.post("/login", &[("csrf", &csrf), ("username", user), ("password", password)]).await
    }

    /// The CSRF token of the current session (from any page's logout form).
    async fn csrf(&mut self, page: &str) -> String {
        hidden(&self.get(page).await.text(), "csrf")
    }
}

#[tokio::test]
async fn login_sets_a_secure_session_and_pages_need_it() {
    let f = fixture(true);
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

#[tokio::test]
async fn session_cookie_flags() {
    let f = fixture(true);
    let app = router(f.state.clone());
    let page = app.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let pre = page.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Strict") && pre.contains("Secure"), "{pre}");
}

#[tokio::test]
async fn wrong_password_then_rate_limit() {
    let f = fixture(true);
    let mut c = Client::new(&f);
    for _ in 0..5 {
        let r = c.login("kabid_bm", "salah").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text().contains("salah"));
    }
    // The sixth attempt is refused even with the right password.
    let r = c.login("kabid_bm", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another user is not affected.
    assert_eq!(c.login("admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    let f = fixture(true);
    let mut c = Client::new(&f);
    let r = c.post("/login", &[("csrf", "forged"), ("username", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn supervisor_sees_only_their_sections_everywhere() {
    let f = fixture(true);
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

#[tokio::test]
async fn operator_manages_devices_but_sees_no_attendance() {
    let f = fixture(true);
    let mut c = Client::new(&f);
    assert_eq!(c.login("operator", PASSWORD).await.location.as_deref(), Some("/employees"));
    for path in ["/today", "/records", "/confirmations", "/reports", "/reports/month.xlsx", "/settings"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(c.get("/devices").await.text().contains("K-01"));
    let csrf = c.csrf("/devices").await;
    let r = c.post("/devices/K-02/revoke", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(f.state.store.devices().unwrap().iter().any(|d| d.id == "K-02" && d.revoked_at.is_some()));
    // A form without the token changes nothing.
    let r = c.post("/devices/K-01/revoke", &[("csrf", "nope")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(f.state.store.devices().unwrap().iter().any(|d| d.id == "K-01" && d.revoked_at.is_none()));
}

#[tokio::test]
async fn confirm_and_reject_are_audited_and_change_the_day() {
    let f = fixture(true);
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
    let log = f.state.store.audit_log(10).unwrap();
    assert!(log.iter().any(|(_, by, action, detail)| by == "kabid_bm" && action == "confirm_record" && detail.contains("Wajah sesuai")));
}

#[tokio::test]
async fn corrections_are_appended_and_excuse_the_day() {
    let f = fixture(true);
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

#[tokio::test]
async fn monthly_xlsx_cells_read_back() {
    let f = fixture(true);
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

#[tokio::test]
async fn csv_and_pdf_exports() {
    let f = fixture(true);
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

#[tokio::test]
async fn board_needs_its_token_and_shows_initials_when_asked() {
    let f = fixture(true);
    let app = router(f.state.clone());
    let get = |p: String| app.clone().oneshot(Request::get(p).body(Body::empty()).unwrap());
    assert_eq!(get("/board/not-a-token".into()).await.unwrap().status(), StatusCode::NOT_FOUND);
    let tok = "papan-lobi-1";
    f.state.store.add_board_token(&hadir_server::dashboard::auth::token_hash(tok), "Lobi", true).unwrap();
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
