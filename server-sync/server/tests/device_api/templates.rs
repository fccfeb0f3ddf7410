//! A face template enrolled at one kiosk reaches the other kiosks of its site, sealed at rest.

use crate::harness::{T0, start};
use hadir_client::ClientError;
use hadir_protocol::Mode;
use hadir_server::roster::{DEFAULT_EMBEDDING_LEN, DEFAULT_TEMPLATE_MODEL};
use hadir_server::storage::{EmployeeInput, Store};

fn embedding(seed: u32) -> Vec<f32> {
    (0..DEFAULT_EMBEDDING_LEN as u32).map(|i| ((i * 7 + seed * 13) % 101) as f32 / 101.0 - 0.5).collect()
}

fn employee(id: &str, site: &str) -> EmployeeInput {
    EmployeeInput { employee_id: id.into(), name: format!("Pegawai {id}"), site_id: site.into(), section_id: None, pin_hash: None }
}

/// The raw `face_templates.embedding` bytes of every row, from either backend.
async fn raw_template_columns(store: &Store) -> Vec<Vec<u8>> {
    if let Some(s) = store.sqlite() {
        let c = s.lock();
        let mut st = c.prepare("SELECT embedding FROM face_templates ORDER BY template_id").unwrap();
        return st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    }
    let p = store.postgres().expect("a backend");
    let c = p.lock().await;
    c.query("SELECT embedding FROM face_templates ORDER BY template_id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub async fn kiosk_template_reaches_the_site(store: Store) {
    let server = start(store).await;
    let enrolling = server.enrol("KIOSK-T1", "S1", Mode::Office).await;
    let neighbour = server.enrol("KIOSK-T2", "S1", Mode::Office).await;
    let elsewhere = server.enrol("KIOSK-T3", "S2", Mode::Field).await;
    let st = server.store();
    st.upsert_employee(&employee("198503302010011001", "S1")).await.unwrap();
    st.upsert_employee(&employee("198503302010011002", "S2")).await.unwrap();
    let before = neighbour.uploader.roster(0).await.unwrap();
    let other_before = elsewhere.uploader.roster(0).await.unwrap();

    // The enrolling kiosk uploads; the answer names the template and the revision holding it.
    let e = embedding(1);
    let up = enrolling.uploader.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &e, T0 - 5_000).await.unwrap();
    assert!(up.stored_now);
    assert!(up.roster_revision > before.revision, "{up:?} vs {}", before.revision);

    // The other kiosk of the site fetches only the change, with the template, bit for bit.
    let changes = neighbour.uploader.roster(before.revision).await.unwrap();
    assert_eq!(changes.changed.len(), 1, "{changes:?}");
    let got = &changes.changed[0];
    assert_eq!(got.id, "198503302010011001");
    assert_eq!(got.templates.len(), 1);
    assert_eq!(got.templates[0].id, up.template_id);
    assert_eq!(got.templates[0].model_version, DEFAULT_TEMPLATE_MODEL);
    assert_eq!(got.templates[0].embedding(), Some(e.clone()));
    // A kiosk of another site sees nothing of it.
    let other = elsewhere.uploader.roster(other_before.revision).await.unwrap();
    assert!(other.changed.iter().all(|c| c.id != "198503302010011001"), "{other:?}");

    // The same upload again (the answer was lost): same id, no new revision.
    let again = enrolling.uploader.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &e, T0 - 5_000).await.unwrap();
    assert_eq!((again.template_id, again.stored_now), (up.template_id, false));
    assert_eq!(neighbour.uploader.roster(changes.revision).await.unwrap().changed.len(), 0);

    // Refusals, each with its code; none is stored.
    let refused = |r: Result<_, ClientError>, want_status: u16, want_code: &str| match r {
        Err(e @ ClientError::Status { .. }) => {
            assert!(e.is_refusal(), "{e}");
            let ClientError::Status { status, code, message, .. } = e else { unreachable!() };
            assert_eq!((status, code.as_str()), (want_status, want_code), "{message}");
            message
        }
        other => panic!("expected {want_status} {want_code}, got {other:?}"),
    };
    // An employee of another site, and one the server does not know.
    let u = &enrolling.uploader;
    refused(u.upload_template("198503302010011002", DEFAULT_TEMPLATE_MODEL, &embedding(2), T0).await, 404, "unknown_employee");
    refused(u.upload_template("199901012020011999", DEFAULT_TEMPLATE_MODEL, &embedding(3), T0).await, 404, "unknown_employee");
    // Another model: the message names the server's.
    let m = refused(u.upload_template("198503302010011001", "other-model@1", &embedding(4), T0).await, 409, "model_mismatch");
    assert!(m.contains(DEFAULT_TEMPLATE_MODEL), "{m}");
    // Not an embedding of the model's length, or not finite.
    refused(u.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &e[..100], T0).await, 400, "malformed");
    let mut nan = embedding(5);
    nan[3] = f32::NAN;
    refused(u.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &nan, T0).await, 400, "malformed");
    // A removed employee takes no templates.
    st.upsert_employee(&employee("198503302010011003", "S1")).await.unwrap();
    assert!(st.remove_employee("198503302010011003", T0).await.unwrap());
    refused(u.upload_template("198503302010011003", DEFAULT_TEMPLATE_MODEL, &embedding(6), T0).await, 404, "unknown_employee");
    assert_eq!(st.templates("198503302010011001").await.unwrap().len(), 1);
    // The dashboard's enrolment rule holds for kiosks too: another face under an enrolled
    // employee, and an enrolled employee's face under someone else, are refused.
    let stranger: Vec<f32> = (0..DEFAULT_EMBEDDING_LEN).map(|i| if i % 2 == 0 { 0.5 } else { -0.5 }).collect();
    let m = refused(u.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &stranger, T0).await, 409, "face_refused");
    assert!(m.contains("does not match"), "{m}");
    st.upsert_employee(&employee("198503302010011004", "S1")).await.unwrap();
    let m = refused(u.upload_template("198503302010011004", DEFAULT_TEMPLATE_MODEL, &e, T0).await, 409, "face_refused");
    assert!(m.contains("198503302010011001"), "names whose face it is: {m}");
    assert_eq!(st.templates("198503302010011004").await.unwrap().len(), 0);
    assert_eq!(st.templates("198503302010011001").await.unwrap().len(), 1);

    // Sealed at rest: the column holds no clear value of the embedding; the store opens it.
    let clear: Vec<u8> = e.iter().flat_map(|v| v.to_le_bytes()).collect();
    let raw = raw_template_columns(st).await;
    assert_eq!(raw.len(), 1);
    assert!(!contains(&raw[0], &clear[..32]) && !contains(&raw[0], &clear[1000..1032]), "embedding stored in clear");
    let stored = st.templates("198503302010011001").await.unwrap();
    assert_eq!(stored[0].embedding, e);
    assert_eq!(stored[0].source_device_id.as_deref(), Some("KIOSK-T1"));
    // An admin's template for the same employee (no device) is sealed too and synced.
    let admin = st.add_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &embedding(7), T0).await.unwrap();
    assert_ne!(admin, up.template_id);
    let all = neighbour.uploader.roster(0).await.unwrap();
    let person = all.changed.iter().find(|c| c.id == "198503302010011001").unwrap();
    assert_eq!(person.templates.len(), 2);

    // At most MAX_TEMPLATES_PER_EMPLOYEE per employee: a kiosk fills them for a new employee,
    // one more is refused and nothing is stored.
    use hadir_server::face_checks::MAX_TEMPLATES_PER_EMPLOYEE as MAX;
    let id = "198503302010011005";
    st.upsert_employee(&employee(id, "S1")).await.unwrap();
    for i in 0..MAX {
        let mut v = stranger.clone();
        v[i] += 0.001;
        assert!(u.upload_template(id, DEFAULT_TEMPLATE_MODEL, &v, T0).await.unwrap().stored_now, "template {}", i + 1);
    }
    let mut one_more = stranger.clone();
    one_more[500] += 0.001;
    let m = refused(u.upload_template(id, DEFAULT_TEMPLATE_MODEL, &one_more, T0).await, 409, "face_refused");
    assert!(m.contains(&format!("at most {MAX}")), "{m}");
    assert_eq!(st.templates(id).await.unwrap().len(), MAX);

    // A revoked kiosk uploads nothing.
    assert!(st.revoke_device("KIOSK-T1", T0).await.unwrap());
    refused(u.upload_template("198503302010011001", DEFAULT_TEMPLATE_MODEL, &embedding(8), T0).await, 403, "revoked_device");
}

/// Templates written in clear by the session-1 server are sealed at the next migration, and
/// a store with another key refuses to open them instead of returning garbage.
pub async fn sqlite_clear_templates_are_sealed_and_the_key_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hadir.db");
    let store = Store::open_sqlite(&db).unwrap();
    let key_file = dir.path().join(hadir_server::storage::sealed::DEFAULT_KEY_FILE);
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the key file is made at first start, private");
    // Migrate only core/1 and write a template the old way (clear bytes, no key id).
    let core1 = &hadir_server::migrations()[..1];
    store.migrate(core1).await.unwrap();
    store.upsert_employee(&employee("198503302010011001", "S1")).await.unwrap();
    let e = embedding(9);
    let clear: Vec<u8> = e.iter().flat_map(|v| v.to_le_bytes()).collect();
    {
        let c = store.sqlite().unwrap().lock();
        c.execute(
            "INSERT INTO face_templates (employee_id, model_version, embedding, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params!["198503302010011001", DEFAULT_TEMPLATE_MODEL, clear, T0],
        )
        .unwrap();
    }
    store.migrate(&hadir_server::migrations()).await.unwrap();
    let raw = raw_template_columns(&store).await;
    assert!(!contains(&raw[0], &clear[..32]), "still in clear after migrating");
    assert_eq!(store.templates("198503302010011001").await.unwrap()[0].embedding, e);
    drop(store);
    // The same database opened with another key: a clear error naming the fix.
    let wrong = Store::open_sqlite_with_key(&db, hadir_server::storage::TemplateKey::from_bytes([9; 32])).unwrap();
    let err = wrong.templates("198503302010011001").await.unwrap_err().to_string();
    assert!(err.contains("restore the original template key file"), "{err}");
    // Reopened with its own key file, it still opens.
    let again = Store::open_sqlite(&db).unwrap();
    assert_eq!(again.templates("198503302010011001").await.unwrap()[0].embedding, e);
}
