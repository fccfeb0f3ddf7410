//! Issue 14 (one store): a database made by the release before the one store, whose dashboard
//! created its `dash_*` tables itself outside the migrations, migrates forward without loss.
//!
//! `tests/data/pre-one-store.sqlite` was made by that release (see `tests/data/README.md`).
//! The test works on a copy, counts every table's rows with plain SQL before and after
//! `migrate`, and reads the data back through the one store and the dashboard's router.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hadir_server::dashboard::{Dashboard, DashboardConfig};
use hadir_server::storage::Store;
use tower::ServiceExt as _;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Rows per table (every table of the file).
fn row_counts(path: &Path) -> BTreeMap<String, i64> {
    let c = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = c.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap();
            (t, n)
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
    password: String,
}

#[derive(serde::Deserialize)]
struct Secrets {
    logins: Vec<Login>,
}

/// Logs in through the dashboard's form; returns the session cookie.
async fn login(app: &axum::Router, user: &str, password: &str) -> Option<String> {
    let page = app.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let pre = page.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned)).collect::<Vec<_>>().join("; ");
    let html = String::from_utf8(axum::body::to_bytes(page.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    let needle = r#"name="csrf" value=""#;
    let i = html.find(needle).unwrap() + needle.len();
    let csrf = &html[i..i + html[i..].find('"').unwrap()];
    let body = format!("csrf={csrf}&username={user}&password={password}");
    let req = Request::post("/login")
        .header(header::COOKIE, pre)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    if res.status() != StatusCode::SEE_OTHER || res.headers().get(header::LOCATION).is_none_or(|l| l == "/login") {
        return None;
    }
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hadir_session="))
        .and_then(|v| v.split(';').next().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_release_before_the_one_store_migrates_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hadir.db");
    std::fs::copy(data("pre-one-store.sqlite"), &path).unwrap();
    let secrets: Secrets = serde_json::from_str(&std::fs::read_to_string(data("pre-one-store-secrets.json")).unwrap()).unwrap();
    let before = row_counts(&path);
    for t in ["dash_users", "dash_sections", "dash_holidays", "dash_settings", "dash_decisions", "dash_corrections", "dash_audit", "dash_board_tokens", "records"] {
        assert!(before.get(t).copied().unwrap_or(0) > 0, "the old database has rows in {t}: {before:?}");
    }

    let store = Store::open_sqlite(&path).unwrap();
    let applied = store.migrate(&hadir_server::migrations()).await.unwrap();
    let mut expected = before.clone();
    let old_steps = expected.remove("schema_migrations").unwrap();
    let all_steps = hadir_server::migrations().len() as i64;
    assert_eq!(applied as i64, all_steps - old_steps, "the old database had the core steps of its release; every later step is applied");
    assert_eq!(store.migrate(&hadir_server::migrations()).await.unwrap(), 0, "and they are recorded");

    // Every table keeps every row (schema_migrations gains the new steps); tables made since
    // start empty, except the decision history, which starts with every decision made.
    let mut after = row_counts(&path);
    let steps = after.remove("schema_migrations").unwrap();
    assert_eq!(steps, all_steps);
    for (table, n) in &after {
        match expected.get(table) {
            Some(old) => assert_eq!(n, old, "{table} keeps its rows"),
            None if table == "dash_decision_history" => assert_eq!(*n, before["dash_decisions"], "every decision is in the history"),
            None => assert_eq!(*n, 0, "{table} is new and empty"),
        }
    }
    assert!(expected.keys().all(|t| after.contains_key(t)), "no table is lost");

    // Read back through the one store.
    assert_eq!(store.users().await.unwrap().len() as i64, before["dash_users"]);
    assert_eq!(store.sections().await.unwrap().len() as i64, before["dash_sections"]);
    assert_eq!(store.holidays().await.unwrap().iter().count() as i64, before["dash_holidays"]);
    assert_ne!(store.settings().await.unwrap(), hadir_rules::RuleSettings::default(), "the changed settings are read");
    assert_eq!(store.corrections(1000).await.unwrap().len() as i64, before["dash_corrections"]);
    assert_eq!(store.audit_lines(None, None, None, 10_000).await.unwrap().len() as i64, before["dash_audit"]);
    assert_eq!(store.counts().await.unwrap().records as i64, before["records"]);
    let decided: Vec<i64> = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut st = c.prepare("SELECT record_id FROM dash_decisions").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    for id in decided {
        let r = store.record(id).await.unwrap().unwrap();
        assert!(matches!(r.punch.decision, hadir_rules::Decision::Confirmed | hadir_rules::Decision::Rejected), "record {id}");
        assert!(r.reason.is_some());
    }

    // The logs are still append-only, and the rebuilt account tables (dashboard/10) still
    // point at their users.
    let c = rusqlite::Connection::open(&path).unwrap();
    let dangling: i64 = c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(dangling, 0, "no row refers to a missing user");
    assert!(c.execute("DELETE FROM dash_audit", []).is_err());
    assert!(c.execute("UPDATE dash_corrections SET reason = 'x'", []).is_err());
    assert!(c.execute("DELETE FROM dash_decisions", []).is_err());
    drop(c);

    // Every user can still log in with the password of the old release.
    let dash = Dashboard::with_clock(store.clone(), DashboardConfig { secure_cookies: false, ..DashboardConfig::default() }, Arc::new(time::OffsetDateTime::now_utc));
    let app = hadir_server::dashboard::router(dash);
    for l in &secrets.logins {
        assert!(login(&app, &l.username, &l.password).await.is_some(), "{} logs in", l.username);
    }
    assert!(login(&app, &secrets.logins[0].username, "wrong-password").await.is_none());
}
