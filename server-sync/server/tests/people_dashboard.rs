//! The people pages over HTTP, on SQLite and PostgreSQL: an operator imports a file (a refused
//! row blocks it; the fixed file shows every row's outcome and the confirm button saves it),
//! exports the list, deactivates an employee; only an administrator erases one; a supervisor
//! opens none of it.

#[macro_use]
mod dashboard_fixture;

use axum::http::StatusCode;
use dashboard_fixture::client::{Client, hidden};
use dashboard_fixture::{Db, PASSWORD, fixture_on};

const NEW1: &str = "199512122020121001";
const NEW2: &str = "199612122021122002";

fn file(rows: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut s = String::from("\u{feff}NIP;Nama;Bidang;Lokasi;Jenis Pegawai\r\n");
    for (nip, name, section) in rows {
        s.push_str(&format!("{nip};{name};{section};KANTOR;PNS\r\n"));
    }
    s.into_bytes()
}

async fn operator_imports_exports_and_deactivates(db: &Db<'_>) {
    let f = fixture_on(db, false).await;
    let mut c = Client::new(&f);
    c.login("operator", PASSWORD).await;
    let page = c.get("/employees/import").await;
    assert_eq!(page.status, StatusCode::OK, "{}", db.name());
    assert!(page.text().contains("Impor pegawai dari CSV atau XLSX"));
    let csrf = hidden(&page.text(), "csrf");

    let bad = file(&[(NEW1, "Wayan Sudana", "Bina Marga"), (NEW2, "Made Ayu", "Bidang Antah")]);
    let r = c.upload("/employees/import", &[("csrf", &csrf)], &[("file", "pegawai.csv", &bad)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let t = r.text();
    assert!(t.contains("bidang tidak dikenal &quot;Bidang Antah&quot;"), "{t}");
    assert!(!t.contains("import-confirm"), "no confirm button with a refused row");

    let good = file(&[(NEW1, "Wayan Sudana", "Bina Marga"), (NEW2, "Made Ayu", "SDA"), ("198001012005011001", "Budi Santoso", "BM")]);
    let r = c.upload("/employees/import", &[("csrf", &csrf)], &[("file", "pegawai.csv", &good)]).await;
    let t = r.text();
    // Budi was in the roster before the personnel fields: his NIP and type are new.
    assert!(t.contains("ditambah 2 · diubah 1 · tetap 0 · ditolak 0"), "{t}");
    assert!(t.contains("diubah: NIP, jenis pegawai"), "{t}");
    assert_eq!(f.storage.employees().await.unwrap().len(), 6, "a preview writes nothing");
    let upload = hidden(&t, "upload");
    let r = c.post("/employees/import/confirm", &[("csrf", &csrf), ("upload", &upload)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.location.unwrap().starts_with("/employees/import?ok="));
    assert_eq!(f.storage.employees().await.unwrap().len(), 8);
    let roster = f.storage.roster_since("KANTOR", 0).await.unwrap();
    assert!(roster.changed.iter().any(|e| e.id == NEW1 && e.section_id.as_deref() == Some("BM")), "the kiosks' roster holds them");
    // The same confirmation again finds nothing waiting.
    let r = c.post("/employees/import/confirm", &[("csrf", &csrf), ("upload", &upload)]).await;
    assert!(r.location.unwrap().contains("err="));
    // Not a spreadsheet.
    let r = c.upload("/employees/import", &[("csrf", &csrf)], &[("file", "foto.jpg", &dashboard_fixture::evidence_jpeg())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Berkas bukan CSV atau XLSX."));

    let csv = c.get("/employees/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text().contains(NEW2));
    let xlsx = c.get("/employees/export.xlsx").await;
    assert!(xlsx.body.starts_with(b"PK\x03\x04"));
    let again = f.storage.import_employees(&xlsx.body, false, "t", dashboard_fixture::NOW).await.unwrap().tally();
    assert_eq!((again.unchanged, again.added, again.updated, again.refused), (8, 0, 0, 0), "export → import changes nothing");

    let page = c.get(&format!("/employees/{NEW1}")).await.text();
    assert!(page.contains("deactivate-confirm") && !page.contains("erase-confirm"), "operators deactivate, only admins erase");
    let r = c.post(&format!("/employees/{NEW1}/deactivate"), &[("csrf", &csrf), ("confirm", "salah")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.post(&format!("/employees/{NEW1}/deactivate"), &[("csrf", &csrf), ("confirm", NEW1)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(f.storage.roster_entry(NEW1).await.unwrap().is_none());
    let r = c.post(&format!("/employees/{NEW2}/erase"), &[("csrf", &csrf), ("confirm", NEW2)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/today").await;
    let r = admin.post(&format!("/employees/{NEW2}/erase"), &[("csrf", &csrf), ("confirm", NEW2)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(f.storage.audit_lines(Some("employee_erase"), Some("admin"), None, 5).await.unwrap().len(), 1);

    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    assert_eq!(spv.get("/employees/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(spv.get("/employees/export.csv").await.status, StatusCode::FORBIDDEN);
}

on_both_backends!(operator_imports_exports_and_deactivates);
