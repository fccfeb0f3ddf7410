//! Store tests: migrations, append-only records, chain, outbox, templates at rest, audit.

use super::*;
use crate::flow::{Band, Direction};
use crate::policy::{GpsEvidence, Mode};
use crate::records::{Decided, DeviceInfo, save};

fn identity() -> Identity {
    Identity::from_seed([42; 32])
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("kiosk.db"), &identity()).unwrap()
}

fn device() -> DeviceInfo {
    DeviceInfo {
        device_id: "KIOSK-01".into(),
        app_version: "0.1.0".into(),
        model_version: "faceplugin-0.0.1".into(),
        mode: Mode::Office,
    }
}

fn decided(n: i64) -> Decided {
    Decided {
        employee_id: "198001012005011001".into(),
        direction: Direction::In,
        band: Band::Valid,
        score: 91.25,
        liveness: 97.0,
        recorded_at_ms: 1_780_000_000_000 + n * 1000,
        utc_offset_min: 420,
        gps: GpsEvidence::NoFix,
        clock: hadir_protocol::ClockEvidence::default(),
    }
}

#[test]
fn fresh_store_has_the_latest_schema_and_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let mode: String = s.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = s.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    drop(s);
    // Reopening applies nothing twice.
    let s = open(&dir);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
}

#[test]
fn a_version_1_store_migrates_and_backfills_photo_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    {
        // A store as version 1 of this build left it, with one record and its photo.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO records (seq, hash, prev_hash, employee_id, recorded_at_ms, record_json) VALUES (1, x'00', x'00', 'E', 0, '{}')",
            [],
        )
        .unwrap();
        conn.execute("INSERT INTO evidence (seq, jpeg) VALUES (1, x'FFD8')", []).unwrap();
    }
    let s = Store::open(&path, &identity()).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    assert_eq!(s.photo_by_hash(&Digest::of(&[0xFF, 0xD8])).unwrap(), Some(vec![0xFF, 0xD8]));
    // The clear photo of the old release is sealed now (#18).
    let (stored, sealed): (Vec<u8>, i64) = s.conn.query_row("SELECT jpeg, sealed FROM evidence WHERE seq = 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((stored.len(), sealed), (12 + 2 + 16, 1));
}

#[test]
fn photos_are_sealed_at_rest_and_the_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let id = identity();
    let jpeg = b"\xff\xd8 an employee's face".to_vec();
    let r = save(&mut s, &id, &device(), &decided(1), jpeg.clone()).unwrap();
    let stored: Vec<u8> = s.conn.query_row("SELECT jpeg FROM evidence WHERE seq = 1", [], |r| r.get(0)).unwrap();
    assert!(!stored.windows(8).any(|w| w == &jpeg[2..10]), "photo stored in clear");
    assert_eq!(s.photo(r.body.seq).unwrap(), Some(jpeg.clone()));
    assert_eq!(s.photo_by_hash(&Digest::of(&jpeg)).unwrap(), Some(jpeg.clone()));
    assert_eq!(s.pending(10).unwrap()[0].jpeg, Some(jpeg));
    let mode = std::fs::metadata(dir.path().join("kiosk.db")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Moved onto another record's row, a sealed photo does not open.
    s.conn.execute("INSERT INTO records (seq, hash, prev_hash, employee_id, recorded_at_ms, record_json) VALUES (9, x'09', x'00', 'E', 0, '{}')", []).unwrap();
    s.conn.execute("INSERT INTO evidence (seq, jpeg, sha256, sealed) VALUES (9, ?1, x'09', 1)", [&stored]).unwrap();
    assert!(matches!(s.photo(9), Err(StoreError::Corrupt { .. })));
    // Another device's key does not open this store's photos.
    drop(s);
    let other = Store::open(&dir.path().join("kiosk.db"), &Identity::from_seed([7; 32])).unwrap();
    assert!(matches!(other.photo(1), Err(StoreError::Corrupt { .. })));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir);
    s.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(s);
    let err = Store::open(&dir.path().join("kiosk.db"), &identity()).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }), "{err}");
}

#[test]
fn records_chain_and_are_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let id = identity();
    let r1 = save(&mut s, &id, &device(), &decided(1), b"jpeg-1".to_vec()).unwrap();
    let r2 = save(&mut s, &id, &device(), &decided(2), b"jpeg-2".to_vec()).unwrap();
    assert_eq!((r1.body.seq, r2.body.seq), (1, 2));
    assert_eq!(r1.body.prev_hash, Digest::ZERO);
    assert_eq!(r2.body.prev_hash, r1.hash());
    assert_eq!(r2.body.photo_sha256, Digest::of(b"jpeg-2"));
    assert!(r2.verify(&id.key.public()).is_ok());
    assert_eq!(s.verify_chain(&id.key.public()).unwrap(), 2);
    assert_eq!(s.head().unwrap(), ChainHead { seq: 2, hash: r2.hash() });

    for sql in [
        "UPDATE records SET employee_id = 'someone else' WHERE seq = 1",
        "DELETE FROM records WHERE seq = 2",
        "DELETE FROM records",
    ] {
        let err = s.execute_raw(sql).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(s.record_count().unwrap(), 2);
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn a_builder_that_breaks_the_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let id = identity();
    save(&mut s, &id, &device(), &decided(1), vec![1]).unwrap();
    let err = s
        .append_record(|head| {
            let mut body = crate::records::body(head, &device(), &decided(2), Digest::ZERO);
            body.prev_hash = Digest::of(b"fork");
            Ok((body.sign(&id.key), vec![]))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Build(_)), "{err}");
    assert_eq!(s.record_count().unwrap(), 1);
    let err = s.append_record(|_| Err("no GPS fix".into())).unwrap_err();
    assert!(err.to_string().contains("no GPS fix"));
}

#[test]
fn outbox_states_and_queue_length() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let id = identity();
    for n in 1..=3 {
        save(&mut s, &id, &device(), &decided(n), vec![n as u8]).unwrap();
    }
    assert_eq!(s.queue_len().unwrap(), 3);
    let p = s.pending(10).unwrap();
    assert_eq!(p.iter().map(|p| p.record.body.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(p[1].jpeg.as_deref(), Some(&[2u8][..]));
    s.mark_acked(&[1], 5).unwrap();
    s.mark_refused(2, "bad signature", 5).unwrap();
    s.mark_attempt_failed(3, "connection refused").unwrap();
    assert_eq!(s.queue_len().unwrap(), 1);
    assert_eq!(s.pending(10).unwrap()[0].record.body.seq, 3);
    assert_eq!(s.photos_to_upload(10).unwrap(), vec![Digest::of(&[1u8])]);
    assert_eq!(s.photo_by_hash(&Digest::of(&[1u8])).unwrap(), Some(vec![1u8]));
    s.photo_uploaded_by_hash(&Digest::of(&[1u8])).unwrap();
    assert!(s.photos_to_upload(10).unwrap().is_empty());
    s.mark_photo_uploaded(1).unwrap();
    // A refused record is listed with its reason and goes back to the queue only when asked.
    let refused = s.refused().unwrap();
    assert_eq!(refused.iter().map(|(r, why)| (r.body.seq, why.as_str())).collect::<Vec<_>>(), vec![(2, "bad signature")]);
    assert_eq!(s.requeue_refused(&[1, 2, 3]).unwrap(), 1);
    assert_eq!(s.pending(10).unwrap().iter().map(|p| p.record.body.seq).collect::<Vec<_>>(), vec![2, 3]);
    assert!(s.refused().unwrap().is_empty());
    // The record itself is untouched by outbox changes.
    assert_eq!(s.verify_chain(&id.key.public()).unwrap(), 3);
}

#[test]
fn templates_are_encrypted_at_rest_and_bound_to_the_employee() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let emb: Vec<f32> = (0..512).map(|i| i as f32 / 512.0).collect();
    let ani = EmployeeRow { id: "E1".into(), name: "Ani".into(), section_id: Some("S1".into()), pin_hash: None };
    let budi = EmployeeRow { id: "E2".into(), name: "Budi".into(), section_id: None, pin_hash: None };
    s.upsert_employee(&ani, &[("m1".into(), emb.clone())]).unwrap();
    s.upsert_employee(&budi, &[]).unwrap();
    assert_eq!(s.templates("E1").unwrap(), vec![("m1".to_string(), emb.clone())]);
    // Nothing in the database contains the plain embedding bytes.
    let plain: Vec<u8> = emb.iter().flat_map(|v| v.to_le_bytes()).collect();
    for sealed in s.sealed_templates().unwrap() {
        assert!(!sealed.windows(16).any(|w| w == &plain[64..80]));
    }
    // Moving the template to another employee's row makes it unreadable.
    s.execute_raw("UPDATE templates SET employee_id = 'E2'").unwrap();
    assert!(matches!(s.templates("E2"), Err(StoreError::Corrupt { .. })));
    // Another device's key cannot read them either.
    s.execute_raw("UPDATE templates SET employee_id = 'E1'").unwrap();
    drop(s);
    let other = Store::open(&dir.path().join("kiosk.db"), &Identity::from_seed([7; 32])).unwrap();
    assert!(matches!(other.templates("E1"), Err(StoreError::Corrupt { .. })));
}

#[test]
fn removing_an_employee_deletes_templates_and_pin_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let ani = EmployeeRow { id: "E1".into(), name: "Ani".into(), section_id: None, pin_hash: Some("$argon2id$x".into()) };
    s.upsert_employee(&ani, &[("m1".into(), vec![1.0, 2.0])]).unwrap();
    s.pin_index_put("123456", "E1").unwrap();
    assert_eq!(s.pin_index_lookup("123456").unwrap().as_deref(), Some("E1"));
    assert_eq!(s.pin_index_lookup("654321").unwrap(), None);
    // A changed PIN hash drops the cached index entry.
    let changed = EmployeeRow { pin_hash: Some("$argon2id$y".into()), ..ani.clone() };
    s.upsert_employee(&changed, &[("m1".into(), vec![1.0, 2.0])]).unwrap();
    assert_eq!(s.pin_index_lookup("123456").unwrap(), None);
    s.pin_index_put("123456", "E1").unwrap();
    s.remove_employee("E1").unwrap();
    assert_eq!(s.pin_index_lookup("123456").unwrap(), None);
    assert!(s.templates("E1").unwrap().is_empty());
    assert_eq!(s.sealed_templates().unwrap().len(), 0);
}

#[test]
fn site_rules_kv_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let ani = EmployeeRow { id: "E1".into(), name: "Ani".into(), section_id: Some("S1".into()), pin_hash: None };
    s.upsert_employee(&ani, &[]).unwrap();
    assert_eq!(s.site_rules().unwrap(), None, "none before the first roster");
    let mut rules = hadir_rules::SiteRules::default();
    rules.holidays.insert(time::macros::date!(2026 - 08 - 17), "Hari Kemerdekaan");
    rules.excused.entry("E1".into()).or_default().insert(time::macros::date!(2026 - 08 - 18), hadir_rules::Excused::Sakit);
    s.set_site_rules(&rules.to_wire()).unwrap();
    assert_eq!(s.site_rules().unwrap(), Some(rules));
    s.set_kv(crate::store::SITE_RULES_KEY, "{not json").unwrap();
    assert!(matches!(s.site_rules(), Err(StoreError::Corrupt { .. })), "a damaged copy is an error, not silently other rules");
    s.set_kv("roster_revision", "12").unwrap();
    assert_eq!(s.kv("roster_revision").unwrap().as_deref(), Some("12"));
    s.audit(5, "pin_locked", Some("E1"), "{}").unwrap();
    assert_eq!(s.audit_log().unwrap()[0].kind, "pin_locked");
    s.set_device("KIOSK-01", "SITE-1", "ab", 1).unwrap();
    assert_eq!(s.device().unwrap(), Some(("KIOSK-01".into(), "SITE-1".into())));
}

#[test]
fn lockouts_survive_reopening_and_corruption_is_reported() {
    use crate::flow::{SavedLockout, SavedLockouts};
    let dir = tempfile::tempdir().unwrap();
    let saved = SavedLockouts {
        saved_at_ms: 1_780_000_000_000,
        device: SavedLockout { failures_ms: vec![1_779_999_999_000], strikes: 2, locked_for_ms: 60_000 },
        admin: SavedLockout::default(),
        employees: [("77".to_owned(), SavedLockout { failures_ms: vec![], strikes: 0, locked_for_ms: 5 })].into(),
    };
    {
        let store = open(&dir);
        assert_eq!(store.lockouts().unwrap(), None);
        store.set_lockouts(&saved).unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.lockouts().unwrap(), Some(saved));
    store.set_kv(LOCKOUTS_KEY, "{not json").unwrap();
    let err = store.lockouts().unwrap_err().to_string();
    assert!(err.contains("lockouts") && err.contains("corrupt"), "{err}");
}
