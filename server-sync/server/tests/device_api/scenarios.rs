//! Scenarios run against both backends (see `sqlite.rs` and `postgres.rs`).

use crate::harness::{T0, batch_json, json, photo, start};
use hadir_client::{ClientError, MemoryOutbox, ServerTrust, Uploader};
use hadir_protocol::auth::{HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, RequestAuth};
use hadir_protocol::{DeviceKey, Digest, Mode, Outcome, RefusalReason, UploadResponse};
use hadir_server::storage::{EmployeeInput, Store};

fn summary(answer: &UploadResponse) -> Vec<Option<RefusalReason>> {
    answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Stored | Outcome::AlreadyStored => None,
            Outcome::Refused { reason, .. } => Some(*reason),
        })
        .collect()
}

fn statuses(answer: &UploadResponse) -> Vec<&'static str> {
    answer
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Stored => "stored",
            Outcome::AlreadyStored => "already",
            Outcome::Refused { reason, .. } => reason.as_str(),
        })
        .collect()
}

/// Every kind of bad record in one batch: each is answered with its reason and the valid
/// records around it are stored; replaying and reordering are handled.
pub async fn refusals_are_named_and_valid_records_stored(store: Store) {
    let server = start(store).await;
    let mut a = server.enrol("KIOSK-A", "S1", Mode::Office).await;
    let b = server.enrol("KIOSK-B", "S1", Mode::Office).await;
    assert!(server.store().revoke_device("KIOSK-B", T0).await.unwrap());

    let r1 = a.chain.next();
    // A record claiming to be A's seq 2, signed by another key.
    let mut forged = a.chain.next_body();
    forged.employee_id = "197001012000031999".into();
    let forged = forged.sign(&DeviceKey::generate());
    let r2 = a.chain.next();
    let r3 = a.chain.next();
    let mut altered = r3.clone();
    altered.body.recorded_at_ms -= 3_600_000; // moved an hour earlier after signing
    let mut late = a.chain.next_body();
    late.recorded_at_ms = T0 + 86_400_000; // a day in the future
    let r4 = a.chain.push(late);
    let r5 = a.chain.next();
    let r6 = a.chain.next();
    let r7 = a.chain.next();
    let mut b_chain = b.chain.clone();
    let b1 = b_chain.next();
    let mut stranger = crate::harness::Chain::new("KIOSK-UNKNOWN", DeviceKey::generate());
    let u1 = stranger.next();
    let mut missing_field = json(&r5);
    missing_field["body"].as_object_mut().unwrap().remove("employee_id");

    let entries = vec![
        json(&r1),
        json(&forged),
        json(&r2),
        json(&altered),
        json(&r3),
        serde_json::json!(42),
        json(&b1),
        json(&u1),
        json(&r4),
        missing_field,
        json(&r5),
        json(&r7),
    ];
    let answer = a.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    assert_eq!(
        statuses(&answer),
        [
            "stored",
            "unknown_device",
            "stored",
            "unknown_device",
            "stored",
            "malformed",
            "revoked_device",
            "unknown_device",
            "timestamp_implausible",
            "malformed",
            "stored",
            "sequence_gap",
        ]
    );
    assert_eq!(answer.server_time_ms, T0);
    // The malformed record with a readable body is named, so the device can park it.
    assert_eq!((answer.results[9].device_id.as_deref(), answer.results[9].seq), (Some("KIOSK-A"), Some(5)));
    assert_eq!(answer.results[5].seq, None);

    // Replay of the whole batch: nothing is duplicated, the answers are the same or "already".
    let again = a.uploader.post_batch_raw(batch_json(&entries)).await.expect("replay");
    assert_eq!(
        statuses(&again),
        [
            "already",
            "unknown_device",
            "already",
            "unknown_device",
            "already",
            "malformed",
            "revoked_device",
            "unknown_device",
            "timestamp_implausible",
            "malformed",
            "already",
            "sequence_gap",
        ]
    );

    // Reordered: r7 before r6. r7 is a gap until r6 is in; r6 is stored; r7 then goes in.
    let reordered = a.uploader.post_batch_raw(batch_json(&[json(&r7), json(&r6)])).await.expect("reordered");
    assert_eq!(statuses(&reordered), ["sequence_gap", "stored"]);
    let retry = a.uploader.post_batch_raw(batch_json(&[json(&r7)])).await.expect("retry");
    assert_eq!(statuses(&retry), ["stored"]);

    // A properly signed record whose prev_hash is wrong, and a fork at seq 2.
    let mut wrong_link = a.chain.next_body();
    wrong_link.prev_hash = Digest::of(b"not the previous record");
    let wrong_link = wrong_link.sign(&a.chain.key);
    let mut fork = r2.body.clone();
    fork.employee_id = "199001012015011001".into();
    let fork = fork.sign(&a.chain.key);
    let chain_answer = a.uploader.post_batch_raw(batch_json(&[json(&wrong_link), json(&fork)])).await.expect("chain");
    assert_eq!(summary(&chain_answer), [Some(RefusalReason::BrokenChain), Some(RefusalReason::BrokenChain)]);
    match &chain_answer.results[1].outcome {
        Outcome::Refused { detail, .. } => assert!(detail.contains("fork"), "{detail}"),
        other => panic!("{other:?}"),
    }

    // A body that is not a batch at all.
    match a.uploader.post_batch_raw(b"{\"records\": [".to_vec()).await {
        Err(ClientError::Status { status: 400, code, .. }) => assert_eq!(code, "malformed"),
        other => panic!("expected 400 malformed, got {other:?}"),
    }

    // Exactly r1, r2, r3, r5, r6, r7 are stored, once each, with their hashes; r4 is in quarantine.
    let stored = server.store().device_records("KIOSK-A").await.unwrap();
    let want: Vec<(u64, Digest)> = [&r1, &r2, &r3, &r5, &r6, &r7].iter().map(|r| (r.body.seq, r.hash())).collect();
    assert_eq!(stored, want);
    let counts = server.store().counts().await.unwrap();
    assert_eq!((counts.records, counts.quarantined), (6, 1));
    assert!(counts.chain_events >= 3, "gap, broken link and fork are visible to admins: {counts:?}");
    assert!(server.store().device_records("KIOSK-B").await.unwrap().is_empty());
}

/// Enrolment tokens work once; signed calls; roster changes by revision; evidence by hash.
pub async fn enrolment_roster_and_evidence(store: Store) {
    let server = start(store).await;
    let st = server.store();
    // Tokens: one use only; unknown tokens refused.
    let token = hadir_server::enrolment::issue_token(st, "FIELD-1", "S1", Mode::Field, 1, T0).await.unwrap();
    let key = DeviceKey::generate();
    let ok = hadir_client::enrol(&server.url(), &ServerTrust::InsecureLan, &token, &key, "t").await.unwrap();
    assert_eq!(ok.mode, Mode::Field);
    // The same device asking again (answer lost, power cut before it saved it) gets the same
    // answer; another key with the spent token is refused below.
    let again = hadir_client::enrol(&server.url(), &ServerTrust::InsecureLan, &token, &key, "t").await.unwrap();
    assert_eq!((again.device_id.as_str(), again.site_id.as_str(), again.mode), (ok.device_id.as_str(), ok.site_id.as_str(), ok.mode));
    for (tok, code) in [(token.as_str(), "token_used"), ("0000-1111", "unknown_token")] {
        match hadir_client::enrol(&server.url(), &ServerTrust::InsecureLan, tok, &DeviceKey::generate(), "t").await {
            Err(ClientError::Status { status: 403, code: c, .. }) => assert_eq!(c, code),
            other => panic!("{tok}: {other:?}"),
        }
    }
    let expired = hadir_server::enrolment::issue_token(st, "LATE-1", "S1", Mode::Field, 1, T0 - 2 * 3_600_000).await.unwrap();
    match hadir_client::enrol(&server.url(), &ServerTrust::InsecureLan, &expired, &DeviceKey::generate(), "t").await {
        Err(ClientError::Status { status: 403, code, .. }) => assert_eq!(code, "token_expired"),
        other => panic!("{other:?}"),
    }
    let up = Uploader::new(server.client_config(&server.url()), "FIELD-1", key.clone()).unwrap();
    assert_eq!(up.status().await.unwrap().last_seq, 0);
    assert_eq!(up.server_time().await.unwrap(), T0);
    // A request signed by the wrong key is refused.
    let impostor = Uploader::new(server.client_config(&server.url()), "FIELD-1", DeviceKey::generate()).unwrap();
    match impostor.roster(0).await {
        Err(ClientError::Status { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    // An unknown device and a forged signature get the same answer (#18): a stranger learns
    // nothing about which device ids exist.
    let stranger = Uploader::new(server.client_config(&server.url()), "NO-SUCH-DEVICE", DeviceKey::generate()).unwrap();
    let message = |r: Result<hadir_protocol::api::DeviceStatus, ClientError>, id: &str| match r {
        Err(ClientError::Status { status: 401, code, message, .. }) => format!("{code}: {}", message.replace(id, "ID")),
        other => panic!("{other:?}"),
    };
    assert_eq!(message(impostor.status().await, "FIELD-1"), message(stranger.status().await, "NO-SUCH-DEVICE"));
    // A captured signed request cannot be sent again (#18).
    let auth = RequestAuth::sign(&key, "FIELD-1", "GET", "/api/v1/devices/self", T0, b"");
    let http = hadir_client::trust::client_builder(&ServerTrust::InsecureLan).unwrap().build().unwrap();
    let send = || {
        http.get(format!("{}/api/v1/devices/self", server.url()))
            .header(HEADER_DEVICE, "FIELD-1")
            .header(HEADER_TIMESTAMP, T0.to_string())
            .header(HEADER_NONCE, &auth.nonce)
            .header(HEADER_SIGNATURE, auth.signature.to_hex())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200, "the request as the device sent it");
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 401);
    let text = replay.text().await.unwrap();
    assert!(text.contains("replay"), "{text}");

    // Roster: only the device's site, changes only, removals with templates deleted.
    let emp = |id: &str, site: &str| EmployeeInput {
        employee_id: id.into(),
        name: format!("Pegawai {id}"),
        site_id: site.into(),
        section_id: Some("BINA-MARGA".into()),
        pin_hash: Some(hadir_server::roster::hash_pin("1234").unwrap()),
    };
    st.upsert_employee(&emp("E1", "S1")).await.unwrap();
    st.upsert_employee(&emp("E2", "S1")).await.unwrap();
    st.upsert_employee(&emp("E3", "S2")).await.unwrap();
    st.add_template("E1", "m1", &[0.5, -0.25], T0).await.unwrap();
    let full = up.roster(0).await.unwrap();
    let ids: Vec<&str> = full.changed.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["E1", "E2"]);
    assert_eq!(full.changed[0].templates[0].embedding(), Some(vec![0.5, -0.25]));
    assert!(hadir_server::roster::verify_pin("1234", full.changed[0].pin_hash.as_deref().unwrap()));
    assert!(full.removed.is_empty());
    let none = up.roster(full.revision).await.unwrap();
    assert!(none.changed.is_empty() && none.removed.is_empty());
    assert_eq!(none.revision, full.revision);
    let mut e2 = emp("E2", "S1");
    e2.name = "Pegawai Dua".into();
    st.upsert_employee(&e2).await.unwrap();
    st.upsert_employee(&emp("E3", "S2")).await.unwrap(); // another site: not sent
    assert!(st.remove_employee("E1", T0).await.unwrap());
    assert!(!st.remove_employee("NOBODY", T0).await.unwrap());
    let delta = up.roster(full.revision).await.unwrap();
    assert_eq!(delta.changed.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Pegawai Dua"]);
    assert_eq!(delta.removed, ["E1"]);
    assert!(delta.revision > full.revision);
    let after = up.roster(0).await.unwrap();
    assert!(after.changed.iter().all(|e| e.id != "E1"), "removed employees are not sent");

    // Evidence: only for a record of this device, hash must match, idempotent.
    let mut chain = crate::harness::Chain::new("FIELD-1", key);
    let r1 = chain.next();
    let jpeg = photo("FIELD-1", 1);
    let mut outbox = MemoryOutbox::default();
    outbox.photos.insert(Digest::of(&jpeg), (jpeg.clone(), false));
    // The photo before its record: the server does not take it.
    outbox.acknowledged.push(r1.clone());
    match up.upload_photos(&mut outbox, 10).await {
        Err(ClientError::Status { status: 404, code, .. }) => assert_eq!(code, "no_record"),
        other => panic!("{other:?}"),
    }
    outbox.acknowledged.clear();
    outbox.push(r1.clone(), None);
    let report = up.drain(&mut outbox).await.unwrap();
    assert_eq!((report.acknowledged, report.photos), (1, 1));
    assert_eq!(st.photo(Digest::of(&jpeg)).await.unwrap(), Some(jpeg.clone()));
    // At rest it is sealed (#18): the stored bytes are not the photo and name the key.
    let stored = st
        .query_rows("read a stored photo", "SELECT jpeg, key_id FROM photos", vec![], |r| Ok((r.opt_bytes(0)?.unwrap_or_default(), r.opt_text(1)?)))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].0 != jpeg && !stored[0].0.windows(16).any(|w| w == &jpeg[..16]), "photo stored in clear");
    assert_eq!(stored[0].1.as_deref(), st.template_key().map(|k| k.id()));
    assert_eq!(st.counts().await.unwrap().photos, 1);

    // Revoked: signed calls and records are refused.
    assert!(st.revoke_device("FIELD-1", T0).await.unwrap());
    match up.roster(0).await {
        Err(ClientError::Status { status: 403, code, .. }) => assert_eq!(code, "revoked_device"),
        other => panic!("{other:?}"),
    }
    outbox.push(chain.next(), None);
    let report = up.drain(&mut outbox).await.unwrap();
    assert_eq!(report.parked, 1);
    assert_eq!(outbox.parked[0].reason, RefusalReason::RevokedDevice);
}

/// The uploader drains an outbox in batches; refused records are parked, never lost.
pub async fn client_drains_and_parks(store: Store) {
    let server = start(store).await;
    let mut dev = server.enrol("KIOSK-C", "S1", Mode::Office).await;
    let mut outbox = MemoryOutbox::default();
    for _ in 0..250 {
        let r = dev.chain.next();
        let seq = r.body.seq;
        outbox.push(r, Some(photo("KIOSK-C", seq)));
    }
    let report = dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!((report.batches, report.acknowledged, report.parked, report.photos), (3, 250, 0, 250));
    assert!(outbox.pending.is_empty());
    // Acknowledged records re-queued (e.g. a store restored from backup) are "already stored".
    let replay: Vec<_> = outbox.acknowledged.drain(..60).collect();
    for r in replay {
        outbox.push(r, None);
    }
    let report = dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!((report.acknowledged, report.parked), (60, 0));
    // A record altered in the device's store is parked with its reason; later ones that depend
    // on it are parked as gaps, visible to the admin, and nothing is deleted.
    let mut bad = dev.chain.next();
    bad.body.match_score = hadir_protocol::Score(10_000);
    let after = dev.chain.next();
    outbox.push(bad, None);
    outbox.push(after, None);
    let report = dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!(report.parked, 2);
    let reasons: Vec<RefusalReason> = outbox.parked.iter().map(|p| p.reason).collect();
    // A failed signature is answered like an unknown device (a stranger learns nothing).
    assert_eq!(reasons, [RefusalReason::UnknownDevice, RefusalReason::SequenceGap]);
    assert_eq!(server.store().device_records("KIOSK-C").await.unwrap().len(), 250);
}

/// The dashboard's report cache over the device API's store: a month judged once is served
/// from the cache until one employee's record arrives, which has only that employee's month
/// judged again; a supervisor's decision has everyone's judged again. Every answer equals the
/// month computed straight from the store.
pub async fn the_report_cache_follows_uploads_and_decisions(store: Store) {
    use hadir_server::reports::cache::{CacheStats, ReportCache};
    use hadir_server::reports::month::{Context, Scope, month_recaps};
    let server = start(store).await;
    let (a, b) = ("198001012005011001", "198502022010012002");
    for id in [a, b] {
        let e = EmployeeInput { employee_id: id.into(), name: format!("Pegawai {id}"), site_id: "S1".into(), section_id: None, pin_hash: None };
        server.store().upsert_employee(&e).await.unwrap();
    }
    let mut dev = server.enrol("KIOSK-C", "S1", Mode::Office).await;
    async fn upload(dev: &mut crate::harness::Device, employee: &str, score: u16) {
        let mut body = dev.chain.next_body();
        body.employee_id = employee.into();
        body.utc_offset_min = 480;
        body.direction = hadir_protocol::Direction::In;
        body.match_score = hadir_protocol::Score(score);
        if score < 8000 {
            body.decision = hadir_protocol::Decision::NeedsConfirmation;
        }
        let entry = json(&dev.chain.push(body));
        let answer = dev.uploader.post_batch_raw(batch_json(&[entry])).await.expect("upload");
        assert!(answer.results.iter().all(|r| r.outcome == Outcome::Stored), "{answer:?}");
    }
    upload(&mut dev, a, 9000).await;
    let st = server.store();
    let zones = || hadir_rules::SiteZones::single(hadir_rules::SiteZone::parse("Asia/Makassar").unwrap());
    let cache = ReportCache::default();
    let cache = &cache;
    let july = || async move {
        let ctx = cache.context(st, &Scope::All, zones()).await.unwrap();
        let cached = cache.month(st, &ctx, 2026, time::Month::July).await.unwrap();
        let direct = month_recaps(st, &Context::load(st, &Scope::All, zones()).await.unwrap(), 2026, time::Month::July).await.unwrap();
        assert_eq!(cached, direct, "the cache answers as the store does");
        cached
    };
    let day_6 = |rows: &[(hadir_server::reports::EmployeeInfo, Vec<hadir_rules::DayResult>, hadir_rules::MonthRecap)], who: &str| {
        rows.iter().find(|(e, _, _)| e.id == who).map(|(_, days, _)| days[5].clone()).unwrap()
    };
    let first = july().await;
    assert!(day_6(&first, a).first_in.is_some() && day_6(&first, b).first_in.is_none());
    assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 2 });
    july().await;
    assert_eq!(cache.stats(), CacheStats { hits: 2, misses: 2 }, "nothing changed: both months from the cache");
    // B's record awaiting confirmation arrives: only B's month is judged again.
    upload(&mut dev, b, 6500).await;
    let third = july().await;
    assert_eq!(day_6(&third, b).pending, 1);
    assert_eq!(cache.stats(), CacheStats { hits: 3, misses: 3 });
    // The supervisor confirms it: a decision may change any day, every month is judged again.
    let pending = st.pending_records().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(st.decide(pending[0].punch.record_id, true, "ok", "kabid", time::OffsetDateTime::now_utc()).await.unwrap());
    let fourth = july().await;
    assert!(day_6(&fourth, b).first_in.is_some() && day_6(&fourth, b).pending == 0);
    assert_eq!(cache.stats(), CacheStats { hits: 3, misses: 5 });
}
