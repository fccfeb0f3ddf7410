//! Every refused request (403) of the dashboard is logged with tracing and written to the
//! audit log that admins read on `/audit`: tested through the real HTTP stack — the server's
//! whole application (`hadir_server::app` with the dashboard merged, as `hadir-server serve`
//! mounts it) on a TCP socket, and an HTTP client.

mod dashboard_fixture;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dashboard_fixture::client::{form, hidden};
use dashboard_fixture::{PASSWORD, Db, fixture_on};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

/// Collects the tracing output of the whole process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A browser-like session: one cookie jar over reqwest, redirects not followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new(base: &str) -> Self {
        let http = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap();
        Self { http, base: base.to_owned(), cookies: Vec::new() }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> (StatusCode, Option<String>, String) {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let res = req.header(COOKIE, cookie).send().await.unwrap();
        for v in res.headers().get_all(SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, _) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !s.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        let status = res.status();
        let location = res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (status, location, res.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let req = self.http.get(format!("{}{path}", self.base));
        let (s, _, body) = self.send(req).await;
        (s, body)
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> StatusCode {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(fields));
        self.send(req).await.0
    }

    async fn login(&mut self, user: &str) {
        let (_, page) = self.get("/login").await;
        let csrf = hidden(&page, "csrf");
        assert_eq!(self.post("/login", &[("csrf", &csrf), ("username", user), ("password", PASSWORD)]).await, StatusCode::SEE_OTHER);
    }
}

/// One test for both backends, one after the other: the tracing log is the whole process's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_logged_and_audited_for_admins_on_both_backends() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_ansi(false).with_writer(move || writer.clone()).finish(),
    )
    .unwrap();
    every_refusal_is_logged_and_audited_for_admins(&Db::Sqlite, &logs).await;
    logs.0.lock().unwrap().clear();
    let cluster = Db::cluster();
    every_refusal_is_logged_and_audited_for_admins(&Db::Postgres(&cluster, "access"), &logs).await;
}

async fn every_refusal_is_logged_and_audited_for_admins(db: &Db<'_>, logs: &Captured) {
    let f = fixture_on(db, false).await;
    let state = hadir_server::AppState::new(f.storage.clone());
    let app = hadir_server::app(state).merge(hadir_server::dashboard::router(f.state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hadir_server::serve(listener, app, async move {
        let _ = stopped.await;
    }));

    // The head of Bina Marga reaches for admin pages and another section.
    let mut spv = Browser::new(&base);
    spv.login("kabid_bm").await;
    for path in ["/settings", "/records?section=SDA", "/reports/month.csv?year=2026&month=3&section=CK", "/audit"] {
        assert_eq!(spv.get(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(spv.get("/records?section=BM").await.0, StatusCode::OK, "their own section is fine");
    // The operator reaches for reports, and posts a form without its token.
    let mut op = Browser::new(&base);
    op.login("operator").await;
    assert_eq!(op.get("/reports").await.0, StatusCode::FORBIDDEN);
    assert_eq!(op.post("/devices/K-01/revoke", &[("csrf", "palsu")]).await, StatusCode::FORBIDDEN);
    // Without a session, a forged login form: logged, not audited.
    let mut anon = Browser::new(&base);
    assert_eq!(anon.post("/login", &[("csrf", "x"), ("username", "admin"), ("password", "x")]).await, StatusCode::FORBIDDEN);

    // The admin reads them on the audit page.
    let mut admin = Browser::new(&base);
    admin.login("admin").await;
    let (status, page) = admin.get("/audit?action=access_denied").await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = page.split("<tr data-action=").skip(1).collect();
    assert_eq!(rows.len(), 6, "{page}");
    assert!(rows.iter().all(|r| r.contains("Akses ditolak")));
    for (who, what) in [
        ("kabid_bm", "GET /settings: role supervisor may not use Settings"),
        ("kabid_bm", "GET /records: section SDA is outside the user's sections"),
        ("kabid_bm", "GET /reports/month.csv: section CK is outside the user's sections"),
        ("kabid_bm", "GET /audit: role supervisor may not use Audit"),
        ("operator", "GET /reports: role operator may not use Reports"),
        ("operator", "POST /devices/K-01/revoke: CSRF token missing or wrong"),
    ] {
        assert!(rows.iter().any(|r| r.contains(&format!("<td>{who}</td>")) && r.contains(what)), "{who}: {what} in {page}");
    }
    // The filter works and the page is admin-only in the navigation.
    let (_, all) = admin.get("/audit").await;
    assert!(all.contains(r#"data-action="login""#) && all.contains(r#"href="/audit""#));
    let (_, spv_today) = spv.get("/today").await;
    assert!(!spv_today.contains(r#"href="/audit""#));
    // Nothing was revoked by the forged form.
    assert!(f.state.store.device_statuses().await.unwrap().iter().all(|d| d.revoked_at.is_none()));

    // The tracing log has one warning per refusal, with user, path and reason.
    let text = logs.text();
    let denied: Vec<&str> = text.lines().filter(|l| l.contains("WARN") && l.contains("access denied")).collect();
    assert_eq!(denied.len(), 7, "{text}");
    assert!(denied.iter().any(|l| l.contains("user=operator") && l.contains("path=\"/reports\"") && l.contains("role=\"operator\"")), "{text}");
    assert!(denied.iter().any(|l| l.contains("without a session") && l.contains("/login")), "{text}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

