//! People through the one store, on SQLite and PostgreSQL: the first administrator and the
//! dashboard before it exists, the employee import (preview, commit, re-import, all or nothing,
//! export round trip, the kiosks' roster), deactivation and erasure.

#[macro_use]
mod dashboard_fixture;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dashboard_fixture::Db;
use hadir_server::dashboard::{Dashboard, DashboardConfig};
use hadir_server::people::first_admin::{self, FirstAdminError};
use hadir_server::people::import::{Change, Column, Outcome};
use hadir_server::people::password::Weakness;
use hadir_server::storage::people::ImportError;
use hadir_server::storage::portable::params;
use hadir_server::storage::{EmployeeInput, Store};
use time::macros::datetime;
use tower::ServiceExt as _;

const NOW: time::OffsetDateTime = datetime!(2026-03-02 10:00 UTC);

async fn status_and_body(store: &Store, path: &str) -> (StatusCode, String) {
    let dash = Dashboard::new(store.clone(), DashboardConfig { secure_cookies: false, ..DashboardConfig::default() });
    let r = hadir_server::dashboard::router(dash).oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn first_admin_then_dashboard(db: &Db<'_>) {
    let (store, _dir) = db.open().await;
    let (status, body) = status_and_body(&store, "/login").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{}: no administrator, no dashboard", db.name());
    assert!(body.contains("hadir-server init-admin") && body.contains("Belum ada administrator"), "{body}");
    for (pw, weak) in [("pendek", Weakness::TooShort), ("Password1234", Weakness::Common)] {
        let e = first_admin::create(&store, "admin", pw, NOW).await.unwrap_err();
        assert!(matches!(e, FirstAdminError::Weak(w) if w == weak), "{pw}: {e}");
    }
    assert!(matches!(first_admin::create(&store, "a b", "kopi-tubruk-di-pasar", NOW).await, Err(FirstAdminError::BadUsername(_))));
    assert!(store.admin_names().await.unwrap().is_empty(), "nothing written by a refusal");
    first_admin::create(&store, "kepala", "kopi-tubruk-di-pasar", NOW).await.unwrap();
    let user = store.user_by_name("kepala").await.unwrap().unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(hadir_server::dashboard::auth::verify_password("kopi-tubruk-di-pasar", &user.password_hash));
    let e = first_admin::create(&store, "admin2", "kopi-tubruk-di-pasar", NOW).await.unwrap_err();
    assert!(matches!(e, FirstAdminError::Exists(ref n) if n == "kepala"), "{e}");
    let audit = store.audit_lines(Some("init_admin"), None, None, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    let (status, body) = status_and_body(&store, "/login").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Sections UM and BM, site PU.
async fn office(db: &Db<'_>) -> (Store, tempfile::TempDir) {
    let (store, dir) = db.open().await;
    let h = hadir_rules::WeeklySchedule::weekdays(hadir_rules::WorkHours::new(time::macros::time!(7:30), time::macros::time!(16:00)).unwrap());
    store.put_section("UM", "Umum", &h).await.unwrap();
    store.put_section("BM", "Bina Marga", &h).await.unwrap();
    store.write("test: site", "INSERT INTO sites (site_id, name) VALUES ('PU', 'Kantor PU')", params![]).await.unwrap();
    (store, dir)
}

fn nip(i: usize) -> String {
    format!("19850315201001{:04}", 1000 + i)
}

fn csv(rows: &[(String, &str, &str)]) -> Vec<u8> {
    let mut s = String::from("NIP;Nama;Jabatan;Bidang;Lokasi;Jenis Pegawai\n");
    for (n, name, section) in rows {
        s.push_str(&format!("{n};{name};Staf;{section};Kantor PU;PNS\n"));
    }
    s.into_bytes()
}

async fn import_preview_commit_reimport(db: &Db<'_>) {
    let (store, _dir) = office(db).await;
    let file = csv(&[(nip(1), "Budi", "Umum"), (nip(2), "Ani", "BM"), (nip(3), "Dewi", "Bina Marga")]);
    let preview = store.import_employees(&file, false, "admin", NOW).await.unwrap();
    assert_eq!(preview.tally().added, 3);
    assert!(store.people().await.unwrap().is_empty(), "{}: a preview writes nothing", db.name());
    let rev0 = store.roster_since("PU", 0).await.unwrap().revision;
    let done = store.import_employees(&file, true, "admin", NOW).await.unwrap();
    assert_eq!(done.tally().added, 3);
    let roster = store.roster_since("PU", 0).await.unwrap();
    assert_eq!(roster.revision, rev0 + 1, "one roster revision for the whole file");
    let mut ids: Vec<_> = roster.changed.iter().map(|e| (e.id.clone(), e.name.clone(), e.section_id.clone())).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            (nip(1), "Budi".to_owned(), Some("UM".to_owned())),
            (nip(2), "Ani".to_owned(), Some("BM".to_owned())),
            (nip(3), "Dewi".to_owned(), Some("BM".to_owned()))
        ],
        "the kiosks' roster holds the imported employees"
    );
    let listed = store.employees().await.unwrap();
    assert_eq!(listed.len(), 3);
    // The same file again: nothing changes, the roster does not move.
    let again = store.import_employees(&file, true, "admin", NOW).await.unwrap();
    assert_eq!(again.tally().unchanged, 3);
    assert_eq!(store.roster_since("PU", 0).await.unwrap().revision, rev0 + 1);
    // One changed row and one refused row: nothing written.
    let bad = csv(&[(nip(1), "Budi Santoso", "Umum"), (nip(2), "Ani", "Antah Berantah")]);
    match store.import_employees(&bad, true, "admin", NOW).await {
        Err(ImportError::Refused(1, plan)) => {
            assert_eq!(plan.rows[0].outcome, Outcome::Changed(vec![Change::Field(Column::Name)]));
            assert_eq!(plan.refusal_lines(hadir_server::dashboard::i18n::Lang::En), "row 3: unknown section \"Antah Berantah\"\n");
        }
        other => panic!("{}: expected a refusal, got {other:?}", db.name()),
    }
    assert_eq!(store.people().await.unwrap()[&nip(1)].person.name, "Budi", "all or nothing");
    // Export → import changes nothing, in both formats.
    let people = store.active_people().await.unwrap();
    for bytes in [hadir_server::people::export::to_csv(&people), hadir_server::people::export::to_xlsx(&people).unwrap()] {
        let t = store.import_employees(&bytes, true, "admin", NOW).await.unwrap().tally();
        assert_eq!((t.unchanged, t.added, t.updated, t.refused), (3, 0, 0, 0));
    }
    assert_eq!(store.audit_lines(Some("employees_import"), None, None, 10).await.unwrap().len(), 4);
    // A file that is not a spreadsheet.
    assert!(matches!(store.import_employees(b"\x89PNG\r\n\x1a\n\0\0", true, "admin", NOW).await, Err(ImportError::File(_))));
}

async fn deactivate_and_erase(db: &Db<'_>) {
    let (store, _dir) = office(db).await;
    store.import_employees(&csv(&[(nip(1), "Budi", "Umum"), (nip(2), "Ani", "BM")]), true, "admin", NOW).await.unwrap();
    for (n, name) in [(nip(1), "Budi"), (nip(2), "Ani")] {
        let pin = hadir_server::roster::hash_pin("482915").unwrap();
        store
            .upsert_employee(&EmployeeInput { employee_id: n.clone(), name: name.into(), site_id: "PU".into(), section_id: None, pin_hash: Some(pin) })
            .await
            .unwrap();
        store.add_template(&n, "test-model", &[0.5; 8], 1).await.unwrap();
    }
    dashboard_fixture::insert_record(&store, "K1", 1, &nip(2), "in", 1_000, 9000, &"ab".repeat(32)).await;
    store.write("test: photo", "INSERT INTO photos (sha256, jpeg, received_at_ms) VALUES ($1, $2, 1)", params![&"ab".repeat(32), vec![1u8, 2, 3]]).await.unwrap();
    let rev = store.roster_since("PU", 0).await.unwrap().revision;

    assert!(store.deactivate_employee(&nip(1), "admin", NOW).await.unwrap());
    assert!(!store.deactivate_employee(&nip(1), "admin", NOW).await.unwrap(), "already deactivated");
    let pin: Option<String> = store
        .query_opt("test: pin", "SELECT pin_hash FROM employees WHERE employee_id = $1", params![&nip(1)], |r| r.opt_text(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pin, None, "{}: a deactivated employee's PIN hash is gone", db.name());
    assert!(store.templates(&nip(1)).await.unwrap().is_empty());
    let roster = store.roster_since("PU", rev).await.unwrap();
    assert_eq!(roster.removed, vec![nip(1)], "gone from the roster at the next sync");
    assert!(store.roster_since("PU", 0).await.unwrap().changed.iter().all(|e| e.id != nip(1)));
    assert!(!store.people().await.unwrap()[&nip(1)].active, "kept for history");

    let erased = store.erase_employee(&nip(2), "admin", NOW).await.unwrap().unwrap();
    assert_eq!((erased.templates, erased.photos), (1, 1));
    assert_eq!(store.counts().await.unwrap().records, 1, "records stay");
    assert_eq!(store.counts().await.unwrap().photos, 0, "evidence photos gone");
    assert!(store.roster_entry(&nip(2)).await.unwrap().is_none());
    assert!(store.erase_employee("nobody", "admin", NOW).await.unwrap().is_none());
    assert_eq!(store.audit_lines(Some("employee_erase"), None, None, 10).await.unwrap().len(), 1);
    assert_eq!(store.audit_lines(Some("employee_deactivate"), None, None, 10).await.unwrap().len(), 1);
    // Importing a deactivated employee again brings them back.
    let back = store.import_employees(&csv(&[(nip(1), "Budi", "Umum")]), true, "admin", NOW).await.unwrap();
    assert_eq!(back.rows[0].outcome, Outcome::Changed(vec![Change::Reactivated]));
    assert!(store.roster_entry(&nip(1)).await.unwrap().is_some());
}

on_both_backends!(first_admin_then_dashboard, import_preview_commit_reimport, deactivate_and_erase);
