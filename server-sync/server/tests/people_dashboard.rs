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

/// Posts the employee form.
async fn save(c: &mut Client, fields: Vec<(&'static str, String)>) -> dashboard_fixture::client::Resp {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post("/employees/save", &refs).await
}

/// An administrator makes a field site; an operator adds a new hire through the form (the
/// checks of an import's row: a taken NIP, a short NIP for a civil servant, a formula) and
/// moves Budi to the field site and another section: each reaches the kiosks' roster.
async fn an_operator_adds_a_new_hire_and_moves_an_employee(db: &Db<'_>) {
    let f = fixture_on(db, false).await;
    let budi = "198001012005011001";
    let mut admin = Client::new(&f);
    admin.login("admin", PASSWORD).await;
    let csrf = admin.csrf("/settings").await;
    let r = admin.post("/settings/site", &[("csrf", &csrf), ("id", "LAPANGAN 1"), ("name", "Lapangan")]).await;
    assert!(r.location.unwrap_or_default().contains("err="), "a space in an id");
    let r = admin.post("/settings/site", &[("csrf", &csrf), ("id", "LAP"), ("name", "Lapangan"), ("time_zone", "Europe/Berlin")]).await;
    let err = r.location.unwrap_or_default();
    assert!(err.contains("err=") && err.contains("Asia%2FJayapura"), "an unknown zone is refused with the choices: {err}");
    assert!(f.storage.site_rows().await.unwrap().iter().all(|r| r.id != "LAP"), "nothing of the refused form was written");
    let r = admin.post("/settings/site", &[("csrf", &csrf), ("id", "LAP"), ("name", "Lapangan Utara"), ("time_zone", "Asia/Jayapura")]).await;
    assert!(r.location.unwrap_or_default().contains("ok="));
    let page = admin.get("/settings").await.text();
    let row = |page: &str| page.split(r#"<tr data-site="LAP">"#).nth(1).and_then(|r| r.split("</tr>").next()).map(str::to_owned).expect("LAP's row");
    let lap = row(&page);
    assert!(lap.contains(r#"value="Lapangan Utara""#) && lap.contains(r#"data-zone="Asia/Jayapura""#), "{lap}");
    assert!(lap.contains(r#"<option value="Asia/Jayapura" selected>Asia/Jayapura (WIT)</option>"#), "the row shows its zone: {lap}");
    assert_eq!(f.storage.site_zones(&hadir_rules::SiteZone::default()).await.unwrap().of("LAP").name(), "Asia/Jayapura");

    let mut op = Client::new(&f);
    op.login("operator", PASSWORD).await;
    let form = op.get("/employees/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(r#"<option value="LAP">Lapangan Utara</option>"#), "the new site is offered");
    let csrf = hidden(&form.text(), "csrf");
    let hire = |nip: &'static str, name: &'static str| {
        vec![("csrf", csrf.clone()), ("nip", nip.to_owned()), ("name", name.to_owned()), ("position", "Pengawas Jalan".to_owned()), ("grade", "III/a".to_owned()), ("section", "BM".to_owned()), ("site", "KANTOR".to_owned()), ("employment_type", "PNS".to_owned()), ("supervisor", String::new())]
    };
    let before = f.storage.roster_since("KANTOR", 0).await.unwrap().revision;
    for (fields, why) in [
        (hire(budi, "Budi Santoso"), "sudah terdaftar"),
        (hire("19951212202012100", "Ketut Widiasa"), "18"),
        (hire(NEW1, "=HYPERLINK(\"http://x\")"), "rumus"),
    ] {
        let r = save(&mut op, fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(r.text().contains(why), "{why}: {}", r.text());
    }
    assert_eq!(f.storage.roster_since("KANTOR", 0).await.unwrap().revision, before, "nothing written");
    let r = save(&mut op, hire(NEW1, "Ketut Widiasa")).await;
    assert_eq!(r.location.as_deref().map(|l| l.starts_with(&format!("/employees/{NEW1}?ok="))), Some(true), "{:?}", r.location);
    let roster = f.storage.roster_since("KANTOR", before).await.unwrap();
    assert!(roster.changed.iter().any(|e| e.id == NEW1 && e.name == "Ketut Widiasa"), "the kiosks get the new hire");

    let edit = op.get(&format!("/employees/{budi}/edit")).await.text();
    assert!(edit.contains(&format!(r#"<input name="employee_id" value="{budi}" readonly>"#)) && edit.contains("Budi Santoso"));
    let mut moved = hire(budi, "Budi Santoso");
    moved.retain(|(k, _)| !matches!(*k, "site" | "section"));
    moved.extend([("site", "LAP".to_owned()), ("section", "SDA".to_owned()), ("employee_id", budi.to_owned()), ("editing", "1".to_owned())]);
    let r = save(&mut op, moved).await;
    assert!(r.location.unwrap_or_default().contains("ok="));
    assert!(f.storage.roster_since("LAP", 0).await.unwrap().changed.iter().any(|e| e.id == budi), "his new site's kiosks get him");
    let people = f.storage.people().await.unwrap();
    assert_eq!((people[budi].person.site.as_deref(), people[budi].person.section.as_deref()), (Some("LAP"), Some("SDA")));
    assert_eq!(f.storage.audit_lines(Some("employee_saved"), Some("operator"), None, 5).await.unwrap().len(), 2);

    let mut spv = Client::new(&f);
    spv.login("kabid_bm", PASSWORD).await;
    assert_eq!(spv.get("/employees/new").await.status, StatusCode::FORBIDDEN);
}

on_both_backends!(operator_imports_exports_and_deactivates, an_operator_adds_a_new_hire_and_moves_an_employee);
