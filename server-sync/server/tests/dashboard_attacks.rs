//! Attacks on the dashboard (issue 18), each performed through the real stack and failing if it
//! succeeds: a stranger keeping the administrator out, a login flood with long names (memory,
//! audit rows and the device API during it), pages without their security headers. Each on
//! SQLite and on PostgreSQL.

#[macro_use]
mod dashboard_fixture;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use dashboard_fixture::client::{Client, form, hidden};
use dashboard_fixture::{Db, NOW, PASSWORD, fixture_on};
use hadir_server::dashboard::auth::{ACCOUNT_MAX_DELAY_S, FREE_FAILURES, MAX_USERNAME_CHARS};
use hadir_server::dashboard::{Dashboard, DashboardConfig, router};
use tower::ServiceExt as _;

on_both_backends!(
    a_stranger_cannot_keep_the_administrator_out,
    a_login_flood_with_long_names_is_bounded,
    pages_carry_the_security_headers_and_no_inline_code,
    a_tile_source_may_serve_images_only,
    the_device_api_answers_during_a_login_flood,
    a_leaked_board_link_opens_nothing_after_revocation,
);

/// A login attempt from `from`, with the pre-login cookie and token of `c`; the status and,
/// when refused for coming too soon, the seconds to wait.
async fn attempt(app: &axum::Router, c: &mut Client, from: &str, user: &str, password: &str) -> (StatusCode, Option<i64>) {
    let page = c.get("/login").await;
    let csrf = hidden(&page.text(), "csrf");
    let mut req = Request::post("/login")
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("csrf", &csrf), ("username", user), ("password", password)])))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(from.parse::<SocketAddr>().unwrap()));
    let res = app.clone().oneshot(req).await.unwrap();
    let retry = res.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
    (res.status(), retry)
}

async fn a_stranger_cannot_keep_the_administrator_out(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let now = Arc::new(AtomicI64::new(NOW.unix_timestamp()));
    let clock_now = Arc::clone(&now);
    let config = DashboardConfig { secure_cookies: true, zone: hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap(), ..DashboardConfig::default() };
    let state = Dashboard::with_clock(
        f.storage.clone(),
        config,
        Arc::new(move || time::OffsetDateTime::from_unix_timestamp(clock_now.load(Ordering::SeqCst)).unwrap()),
    );
    let app = router(state);
    let mut stranger = Client { app: app.clone(), cookies: Vec::new() };
    let mut owner = Client { app: app.clone(), cookies: Vec::new() };
    let started = now.load(Ordering::SeqCst);
    // The stranger guesses as fast as he is let, for a simulated hour.
    let (mut guesses, mut refused) = (0, 0);
    while now.load(Ordering::SeqCst) - started < 3600 {
        match attempt(&app, &mut stranger, "203.0.113.9:40000", "admin", "tebakan-ke-sekian").await {
            (StatusCode::TOO_MANY_REQUESTS, Some(wait)) => {
                refused += 1;
                now.fetch_add(wait, Ordering::SeqCst);
            }
            (status, _) => {
                assert_eq!(status, StatusCode::UNAUTHORIZED);
                guesses += 1;
            }
        }
    }
    println!("login_guesses_per_hour_from_one_address={guesses} (refused_early={refused})");
    assert!(guesses < 20, "{guesses} password guesses in an hour from one address");
    // The owner, at his desk, right after the stranger's latest failure: a wait of seconds.
    let (status, wait) = attempt(&app, &mut owner, "10.20.30.40:50000", "admin", PASSWORD).await;
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = wait.expect("Retry-After");
        assert!(wait <= ACCOUNT_MAX_DELAY_S, "the owner was told to wait {wait} s");
        now.fetch_add(wait, Ordering::SeqCst);
    } else {
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let (status, _) = attempt(&app, &mut owner, "10.20.30.40:50000", "admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the owner signs in");
}

async fn a_login_flood_with_long_names_is_bounded(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let app = router(f.state.clone());
    let mut c = Client { app: app.clone(), cookies: Vec::new() };
    let page = c.get("/login").await;
    let csrf = hidden(&page.text(), "csrf");
    let long = "a".repeat(8_000);
    let started = std::time::Instant::now();
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..10_000u32 {
        // A few addresses, as a small botnet would have.
        let from: SocketAddr = format!("198.51.100.{}:1234", i % 8).parse().unwrap();
        let user = format!("{i}{long}");
        let mut req = Request::post("/login")
            .header(header::COOKIE, c.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[("csrf", &csrf), ("username", &user), ("password", "x")])))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(from));
        let res = app.clone().oneshot(req).await.unwrap();
        *statuses.entry(res.status().as_u16()).or_insert(0u32) += 1;
    }
    let elapsed = started.elapsed();
    let (accounts, addresses) = f.state.limiter.lock().unwrap().tracked();
    let failed = f.storage.audit_lines(Some("login_failed"), None, None, 100_000).await.unwrap();
    println!(
        "login_flood requests=10000 seconds={:.1} statuses={statuses:?} tracked_accounts={accounts} tracked_addresses={addresses} audit_rows={}",
        elapsed.as_secs_f64(),
        failed.len()
    );
    assert!(addresses <= 8 && accounts <= 8 * FREE_FAILURES as usize, "{accounts} accounts, {addresses} addresses remembered");
    assert!(failed.len() <= 8 * FREE_FAILURES as usize, "{} audit rows", failed.len());
    assert!(failed.iter().all(|a| a.by.chars().count() <= MAX_USERNAME_CHARS), "names are cut");
    assert_eq!(statuses.get(&429).copied().unwrap_or(0) as usize + failed.len(), 10_000);
}

/// With a tile source set, its origin may serve images and nothing else; the map library is
/// served by the dashboard itself (a missing one fails here with how to install it).
async fn a_tile_source_may_serve_images_only(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let table: toml::Table = toml::from_str(
        r#"map_tiles = "https://{s}.tiles.example.net/{z}/{x}/{y}.png"
map_attribution = "© peta contoh""#,
    )
    .unwrap();
    let config = DashboardConfig { secure_cookies: false, ..DashboardConfig::from_table(&table).unwrap() };
    for bad in [r#"map_tiles = "https://tiles.example.net/{z}/{x}.png""#, r#"map_tiles = "https://x.example.net/{z}/{x}/{y}.png; script-src *""#] {
        let e = DashboardConfig::from_table(&toml::from_str(bad).unwrap()).unwrap_err();
        assert!(e.contains("dashboard.map_tiles"), "{bad}: {e}");
    }
    let state = Dashboard::with_clock(f.storage.clone(), config, Arc::new(|| NOW));
    assert!(state.map_library.is_some(), "the map library is not installed: run `cargo xtask setup`");
    let app = router(state);
    let mut c = Client { app: app.clone(), cookies: Vec::new() };
    c.login("admin", PASSWORD).await;
    let req = Request::get("/field").header(header::COOKIE, c.cookie_header()).body(Body::empty()).unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("img-src 'self' https://*.tiles.example.net data:"), "{csp}");
    assert!(csp.contains("script-src 'self';") && csp.contains("default-src 'self';") && csp.matches("tiles.example.net").count() == 1, "{csp}");
    let page = String::from_utf8(axum::body::to_bytes(res.into_body(), 10 << 20).await.unwrap().to_vec()).unwrap();
    assert!(page.contains(r#"<script src="/assets/leaflet.js" defer></script>"#), "the page loads the served library");
    for (path, kind) in [("/assets/leaflet.js", "text/javascript"), ("/assets/leaflet.css", "text/css")] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.content_type.starts_with(kind), "{path}");
        let text = r.text();
        assert!(text.contains("Leaflet 1.9") || text.contains(".leaflet-pane"), "{path} is the library: {} bytes, {:?}", text.len(), &text[..text.len().min(80)]);
    }
}

async fn pages_carry_the_security_headers_and_no_inline_code(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    assert_eq!(c.login("admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let app = router(f.state.clone());
    // An evidence photo too: a browser must not sniff it into something that runs.
    let photo = format!("/records/{}/photo", f.pending_bm);
    for path in ["/login", "/today", "/employees", "/devices", "/settings", "/records", "/field", "/reports", "/assets/hadir.css", "/assets/hadir-map.js", photo.as_str()] {
        let req = Request::get(path).header(header::COOKIE, c.cookie_header()).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let cache = h[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        let html = h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html");
        if html {
            assert_eq!(cache, "no-store", "{path}: personal data stays out of caches");
            let body = String::from_utf8(axum::body::to_bytes(res.into_body(), 10 << 20).await.unwrap().to_vec()).unwrap();
            for inline in ["<script>", "<style", " style=\"", "onsubmit=", "onclick=", "javascript:"] {
                assert!(!body.contains(inline), "{path} has inline code: {inline}");
            }
        }
    }
}

/// Over a real socket: 10,000 logins with 8 kB names from 16 connections at once, while a
/// device asks the device API for the time and uploads an (empty) batch every 50 ms; each of
/// its requests must be answered within 1 s (the device's own timeout here).
async fn the_device_api_answers_during_a_login_flood(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let api = hadir_server::AppState::new(f.storage.clone());
    let app = hadir_server::app(api).merge(router(f.state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { hadir_server::serve(listener, app, std::future::pending()).await });

    let client = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let long = "a".repeat(8_000);
    let flood_done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let probe = {
        let (base, done) = (base.clone(), Arc::clone(&flood_done));
        tokio::spawn(async move {
            let device = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").timeout(std::time::Duration::from_secs(1)).build().unwrap();
            let mut took = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let t = std::time::Instant::now();
                let time = device.get(format!("{base}/api/v1/time")).send().await.expect("the device API answers within 1 s");
                assert!(time.status().is_success());
                let upload = device
                    .post(format!("{base}/api/v1/records"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(r#"{"records":[]}"#)
                    .send()
                    .await
                    .expect("the device API answers within 1 s");
                assert!(upload.status().is_success(), "{}", upload.status());
                took.push(t.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            took
        })
    };
    let started = std::time::Instant::now();
    let mut workers = Vec::new();
    for w in 0..16u32 {
        let (client, base, cookie, csrf, long) = (client.clone(), base.clone(), cookie.clone(), csrf.clone(), long.clone());
        workers.push(tokio::spawn(async move {
            let mut refused = 0u32;
            for i in 0..625u32 {
                let user = format!("{w}-{i}{long}");
                let r = client
                    .post(format!("{base}/login"))
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form(&[("csrf", &csrf), ("username", &user), ("password", "x")]))
                    .send()
                    .await
                    .unwrap();
                refused += u32::from(r.status() == StatusCode::TOO_MANY_REQUESTS);
            }
            refused
        }));
    }
    let mut refused = 0;
    for w in workers {
        refused += w.await.unwrap();
    }
    let flood_s = started.elapsed().as_secs_f64();
    flood_done.store(true, Ordering::SeqCst);
    let mut took = probe.await.unwrap();
    took.sort_by(f64::total_cmp);
    let (p50, max) = (took[took.len() / 2], took[took.len() - 1]);
    println!(
        "login_flood_socket requests=10000 seconds={flood_s:.1} refused_early={refused} device_api_probes={} p50_ms={p50:.1} max_ms={max:.1}",
        took.len()
    );
    assert!(!took.is_empty());
    let failed = f.storage.audit_lines(Some("login_failed"), None, None, 100_000).await.unwrap();
    assert!(failed.len() <= FREE_FAILURES as usize, "{} audit rows from one address", failed.len());
    server.abort();
}

/// A board link copied off the TV keeps working only until an administrator revokes it; an
/// expired link opens nothing either.
async fn a_leaked_board_link_opens_nothing_after_revocation(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    assert_eq!(c.login("admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let csrf = c.csrf("/settings").await;
    let made = c.post("/settings/board", &[("csrf", &csrf), ("label", "TV lobi"), ("days", "30")]).await;
    assert_eq!(made.status, StatusCode::OK);
    let html = made.text();
    let start = html.find("href=\"/board/").expect("the link is shown once") + "href=\"".len();
    let link = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let mut tv = Client::new(&f);
    assert_eq!(tv.get(&link).await.status, StatusCode::OK, "the TV opens its link");
    let token = link.trim_start_matches("/board/");
    let hash = hadir_server::dashboard::auth::token_hash(token);
    let settings = c.get("/settings").await.text();
    assert!(settings.contains(&format!("data-board=\"{hash}\"")) && settings.contains("TV lobi"), "the link is listed");
    assert!(!settings.contains(token), "the token itself is never shown again");
    let r = c.post(&format!("/settings/board/{hash}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(tv.get(&link).await.status, StatusCode::NOT_FOUND, "a revoked link opens nothing");
    assert_eq!(tv.get(&format!("{link}/events")).await.status, StatusCode::NOT_FOUND);
    assert!(c.get("/settings").await.text().contains("dicabut"));
    let lines = f.storage.audit_lines(Some("board_token_revoked"), None, None, 10).await.unwrap();
    assert_eq!(lines.len(), 1);
    // A link past its date.
    let old = "papan-kedaluwarsa";
    let now_ms = NOW.unix_timestamp() * 1000;
    f.storage.add_board_token(&hadir_server::dashboard::auth::token_hash(old), &hadir_server::storage::accounts::BoardToken { label: "TV lama".into(), initials_only: false, device_alerts: false, site: None }, now_ms - 10, now_ms - 1).await.unwrap();
    assert_eq!(tv.get(&format!("/board/{old}")).await.status, StatusCode::NOT_FOUND, "an expired link opens nothing");
}
