//! The employee page through the dashboard's router: face enrolment from uploaded photos with
//! the real face models (quality gate, one person, duplicate faces) and PIN reset, both
//! written through the device store so the roster revision moves.
//!
//! Needs the face models (`cargo xtask setup`, or `HADIR_MODELS_DIR`) and the shared photos
//! (`../shared/faces`, or `HADIR_SHARED_DIR`).

#[macro_use]
mod dashboard_fixture;

use std::io::Cursor;

use axum::http::StatusCode;
use dashboard_fixture::client::Client;
use dashboard_fixture::{PASSWORD, face_file, Db, fixture_on};

const BUDI: &str = "198001012005011001";
const SRI: &str = "198502022010012002";

fn no_face_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 200) as u8, 120, (y % 200) as u8]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

async fn revision(f: &dashboard_fixture::Fixture) -> i64 {
    f.storage.roster_since("KANTOR", 0).await.unwrap().revision
}

async fn enrolment_from_photos_refuses_bad_sets_and_duplicates(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("operator", PASSWORD).await;
    let list = c.get("/employees").await.text();
    assert!(list.contains(&format!(r#"<a href="/employees/{BUDI}">Budi Santoso</a>"#)), "{list}");
    let page = c.get(&format!("/employees/{BUDI}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Pendaftaran wajah dari foto") && page.text().contains("belum terdaftar"));
    let csrf = c.csrf(&format!("/employees/{BUDI}")).await;
    let enrol = |who: &str| format!("/employees/{who}/enrol");
    let (obama1, obama3, obama4) = (face_file("people/obama/obama.jpg"), face_file("people/obama/obama3.jpg"), face_file("people/obama/obama4.jpg"));
    let rev0 = revision(&f).await;

    // Too few photos.
    let r = c.upload(&enrol(BUDI), &[("csrf", &csrf)], &[("photos", "a.jpg", &obama1), ("photos", "b.jpg", &obama3)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Unggah minimal 3 foto wajah pegawai (baru 2)"), "{}", r.text());

    // Each unusable photo is named with its reason.
    let (group, tiny, none) = (face_file("groups/two_people.jpg"), face_file("hard/obama-240p.jpg"), no_face_png());
    let files: [(&str, &str, &[u8]); 5] = [
        ("photos", "obama.jpg", &obama1),
        ("photos", "two_people.jpg", &group),
        ("photos", "obama-240p.jpg", &tiny),
        ("photos", "dinding.png", &none),
        ("photos", "catatan.txt", b"bukan foto"),
    ];
    let r = c.upload(&enrol(BUDI), &[("csrf", &csrf)], &files).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = r.text();
    for want in [
        "two_people.jpg: ada lebih dari satu wajah",
        "obama-240p.jpg: wajah terlalu kecil",
        "dinding.png: tidak ada wajah yang terlihat",
        "catatan.txt: bukan foto JPEG/PNG",
    ] {
        assert!(t.contains(want), "{want} in {t}");
    }
    assert!(!t.contains("obama.jpg: "), "the good photo is not blamed");

    // Two people in one set.
    let biden = face_file("people/biden/biden.jpg");
    let r = c.upload(&enrol(BUDI), &[("csrf", &csrf)], &[("photos", "obama.jpg", &obama1), ("photos", "obama3.jpg", &obama3), ("photos", "biden.jpg", &biden)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("tidak tampak seperti orang yang sama") && r.text().contains("biden.jpg"), "{}", r.text());

    // A form without its token stores nothing.
    let r = c.upload(&enrol(BUDI), &[("csrf", "palsu")], &[("photos", "1.jpg", &obama1), ("photos", "3.jpg", &obama3), ("photos", "4.jpg", &obama4)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(f.storage.templates(BUDI).await.unwrap().is_empty(), "nothing stored by refusals");
    assert_eq!(revision(&f).await, rev0, "refusals leave the roster alone");

    // A good set: stored (sealed) through the device store, the roster revision moves.
    let r = c.upload(&enrol(BUDI), &[("csrf", &csrf)], &[("photos", "1.jpg", &obama1), ("photos", "3.jpg", &obama3), ("photos", "4.jpg", &obama4)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = c.get(r.location.as_deref().unwrap()).await.text();
    assert!(page.contains("Wajah terdaftar dari 3 foto") && page.contains("3 templat"), "{page}");
    let stored = f.storage.templates(BUDI).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|t| t.model_version == hadir_models::MODEL_VERSION && t.embedding.len() == 512 && t.source_device_id.is_none()));
    let rev1 = revision(&f).await;
    assert!(rev1 > rev0);
    let roster = f.storage.roster_since("KANTOR", rev0).await.unwrap();
    let budi = roster.changed.iter().find(|e| e.id == BUDI).expect("kiosks get Budi's new templates");
    assert_eq!(budi.templates.len(), 3);

    // Another person's photos under Budi's NIP are refused: they do not match his enrolled face.
    let (j1, j2, j3) = (face_file("people/kit_harington/john1.jpeg"), face_file("people/kit_harington/john2.jpeg"), face_file("people/kit_harington/john3.jpg"));
    let r = c.upload(&enrol(BUDI), &[("csrf", &csrf)], &[("photos", "j1.jpeg", &j1), ("photos", "j2.jpeg", &j2), ("photos", "j3.jpg", &j3)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("tidak cocok dengan wajah yang sudah terdaftar untuk pegawai ini"), "{}", r.text());
    assert_eq!(f.storage.templates(BUDI).await.unwrap().len(), 3);

    // The same face under another NIP is refused, naming who has it.
    let (hd480, hd720, small) = (face_file("hard/obama-480p.jpg"), face_file("hard/obama-720p.jpg"), face_file("hard/obama_small.jpg"));
    let r = c.upload(&enrol(SRI), &[("csrf", &csrf)], &[("photos", "a.jpg", &hd480), ("photos", "b.jpg", &hd720), ("photos", "c.jpg", &small)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains(&format!("sudah terdaftar sebagai Budi Santoso (NIP {BUDI})")), "{}", r.text());
    assert!(f.storage.templates(SRI).await.unwrap().is_empty());
    assert_eq!(revision(&f).await, rev1);

    // Another person enrols fine, in English too.
    c.cookies.push(("hadir_lang".into(), "en".into()));
    let r = c.upload(&enrol(SRI), &[("csrf", &csrf)], &[("photos", "j1.jpeg", &j1), ("photos", "j2.jpeg", &j2), ("photos", "j3.jpg", &j3)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(c.get(r.location.as_deref().unwrap()).await.text().contains("Face enrolled from 3 photos"));
    assert_eq!(f.storage.templates(SRI).await.unwrap().len(), 3);

    // Audited: successes and refusals, by the operator.
    let log = f.state.store.audit_lines(None, Some("operator"), None, 50).await.unwrap();
    let count = |a: &str| log.iter().filter(|l| l.action == a).count();
    assert_eq!(count("enrol_face"), 2);
    assert_eq!(count("enrol_refused"), 5);
    assert!(log.iter().any(|l| l.action == "enrol_refused" && l.detail.contains(&format!("already enrolled as {BUDI}"))));
}

async fn only_admins_and_operators_enrol(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("kabid_bm", PASSWORD).await;
    assert_eq!(c.get(&format!("/employees/{BUDI}")).await.status, StatusCode::FORBIDDEN);
    let csrf = c.csrf("/today").await;
    let r = c.post(&format!("/employees/{BUDI}/pin"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let list = c.get("/employees").await.text();
    assert!(!list.contains("/employees/1980"), "supervisors get no enrolment links");

    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    assert_eq!(c.get("/employees/nobody").await.status, StatusCode::NOT_FOUND);
}

async fn pin_reset_shows_the_new_pin_once_and_kiosks_get_its_hash(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let mut c = Client::new(&f);
    c.login("admin", PASSWORD).await;
    assert!(c.get(&format!("/employees/{BUDI}")).await.text().contains("belum diatur"));
    let csrf = c.csrf("/today").await;
    // Sri has a PIN already; the new one must differ from every other PIN of the site.
    let sri_pin_hash = hadir_server::roster::hash_pin("482913").unwrap();
    f.storage
        .upsert_employee(&hadir_server::storage::EmployeeInput {
            employee_id: SRI.into(),
            name: "Sri Wahyuni".into(),
            site_id: "KANTOR".into(),
            section_id: Some("BM".into()),
            pin_hash: Some(sri_pin_hash),
        })
        .await
        .unwrap();
    let rev0 = revision(&f).await;
    let r = c.post(&format!("/employees/{BUDI}/pin"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.cache_control, "no-store");
    let html = r.text();
    let start = html.find(r#"id="new-pin">"#).expect("the new PIN is shown") + r#"id="new-pin">"#.len();
    let pin = &html[start..start + html[start..].find('<').unwrap()];
    assert_eq!(pin.len(), 6);
    assert!(pin.bytes().all(|b| b.is_ascii_digit()) && !hadir_server::dashboard::pin::is_trivial(pin), "{pin}");
    assert_ne!(pin, "482913");
    assert!(html.contains("sudah diatur"));

    // The kiosks' roster carries only its Argon2 hash, at a new revision.
    let roster = f.storage.roster_since("KANTOR", rev0).await.unwrap();
    assert!(roster.revision > rev0);
    let budi = roster.changed.iter().find(|e| e.id == BUDI).expect("Budi changed");
    let hash = budi.pin_hash.as_deref().unwrap();
    assert!(hash.starts_with("$argon2id$") && hadir_server::roster::verify_pin(pin, hash));
    assert_eq!(budi.section_id.as_deref(), Some("BM"), "the rest of the entry is kept");

    // Shown once: the page does not show it again, and the audit log never holds it.
    assert!(!c.get(&format!("/employees/{BUDI}")).await.text().contains(pin));
    let log = f.state.store.audit_lines(Some("pin_reset"), None, None, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].by, "admin");
    assert!(log[0].detail.contains(BUDI) && !log[0].detail.contains(pin), "{}", log[0].detail);

    // A second reset replaces it.
    let r = c.post(&format!("/employees/{BUDI}/pin"), &[("csrf", &csrf)]).await;
    let html = r.text();
    let start = html.find(r#"id="new-pin">"#).unwrap() + r#"id="new-pin">"#.len();
    let pin2 = html[start..start + 6].to_owned();
    let latest = f.storage.roster_since("KANTOR", 0).await.unwrap();
    let hash2 = latest.changed.iter().find(|e| e.id == BUDI).unwrap().pin_hash.clone().unwrap();
    assert!(hadir_server::roster::verify_pin(&pin2, &hash2));
    assert!(pin2 == pin || !hadir_server::roster::verify_pin(pin, &hash2), "the old PIN no longer opens");
}

/// An operator removes one face template (#18): the page lists each with its source, the
/// kiosks' roster loses it at a new revision, the removal is audited; a supervisor cannot.
async fn an_operator_removes_one_template(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let keep = f.storage.add_template(BUDI, "m1", &[0.6, 0.8], 0).await.unwrap();
    let bad = f.storage.add_template(BUDI, "m1", &[0.8, -0.6], 0).await.unwrap();
    let mut sup = Client::new(&f);
    sup.login("kabid_bm", PASSWORD).await;
    let csrf = sup.csrf("/today").await;
    let remove = format!("/employees/{BUDI}/templates/{bad}/remove");
    assert_eq!(sup.post(&remove, &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);

    let mut c = Client::new(&f);
    c.login("operator", PASSWORD).await;
    let page = c.get(&format!("/employees/{BUDI}")).await.text();
    assert!(page.contains(&format!(r#"<tr data-template="{bad}">"#)) && page.contains(&format!(r#"action="{remove}""#)), "{page}");
    let rev0 = revision(&f).await;
    let csrf = c.csrf(&format!("/employees/{BUDI}")).await;
    let r = c.post(&remove, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.get(r.location.as_deref().unwrap()).await.text().contains("Templat wajah dihapus"));
    let ids: Vec<i64> = f.storage.templates(BUDI).await.unwrap().iter().map(|t| t.template_id).collect();
    assert_eq!(ids, [keep]);
    let roster = f.storage.roster_since("KANTOR", rev0).await.unwrap();
    let budi = roster.changed.iter().find(|e| e.id == BUDI).expect("Budi is sent again");
    assert_eq!(budi.templates.iter().map(|t| t.id).collect::<Vec<_>>(), [keep]);
    let log = f.state.store.audit_lines(Some("template_remove"), None, None, 10).await.unwrap();
    assert_eq!((log.len(), log[0].by.as_str()), (1, "operator"));
    // Gone is gone: again, or another employee's template, is not found.
    assert_eq!(c.post(&remove, &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.post(&format!("/employees/{SRI}/templates/{keep}/remove"), &[("csrf", &csrf)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.storage.templates(BUDI).await.unwrap().len(), 1);
}

on_both_backends!(
    enrolment_from_photos_refuses_bad_sets_and_duplicates,
    only_admins_and_operators_enrol,
    pin_reset_shows_the_new_pin_once_and_kiosks_get_its_hash,
    an_operator_removes_one_template,
);
