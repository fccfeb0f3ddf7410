//! Attacks on the record path through the real HTTP stack (issue 18): each test performs the
//! attack and fails if it succeeds.

use crate::harness::{Chain, batch_json, json, start, start_with};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use hadir_protocol::{DeviceKey, Mode, Outcome, Record, RecordBody, Signature};

use hadir_server::storage::Store;
use sha2::{Digest as _, Sha512};

/// A signature over `body` whose `R` carries a component of order 2: the cofactored equation
/// that batch verification checks holds, the strict (cofactorless) one does not. Only the
/// holder of the key can make one, and a server that stored it would hold a record that an
/// auditor's strict check calls forged.
fn mixed_order_signature(seed: &[u8; 32], body: &RecordBody) -> (Signature, bool) {
    let message = body.canonical_bytes();
    let h = Sha512::digest(seed);
    let mut a_bytes: [u8; 32] = h[..32].try_into().expect("32 bytes");
    a_bytes[0] &= 248;
    a_bytes[31] &= 127;
    a_bytes[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a_bytes);
    let public = EdwardsPoint::mul_base(&a).compress();
    // (0, −1): the point of order 2, encoded as y = p − 1 with the sign bit clear.
    let mut order_two = [0xffu8; 32];
    order_two[0] = 0xec;
    order_two[31] = 0x7f;
    let torsion = CompressedEdwardsY(order_two).decompress().expect("the order-2 point");
    let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest([&h[32..], message.as_slice()].concat()).into());
    let big_r = EdwardsPoint::mul_base(&r) + torsion;
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::digest([big_r.compress().as_bytes().as_slice(), public.as_bytes(), &message].concat()).into(),
    );
    let s = r + k * a;
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(big_r.compress().as_bytes());
    bytes[32..].copy_from_slice(s.as_bytes());
    let a_point = public.decompress().expect("public key");
    let residue = EdwardsPoint::mul_base(&s) - big_r - k * a_point;
    let cofactored_holds = residue.mul_by_cofactor() == EdwardsPoint::default();
    (Signature::from_hex(&hex_of(&bytes)).expect("64 bytes"), cofactored_holds)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A batch of good records with one mixed-order signature among them: the batch is large
/// enough for the server to spread verification over its cores; the forged one is refused.
pub async fn mixed_order_signature_is_refused(store: Store) {
    let server = start(store).await;
    let seed = [42u8; 32];
    let key = DeviceKey::from_seed(&seed);
    let dev = server.enrol_with_key("KIOSK-M", "S1", Mode::Office, key.clone()).await;
    let mut chain = Chain::new("KIOSK-M", key);
    let mut entries = Vec::new();
    for _ in 0..199 {
        entries.push(json(&chain.next()));
    }
    let body = chain.next_body();
    let (signature, cofactored_holds) = mixed_order_signature(&seed, &body);
    assert!(cofactored_holds, "the crafted signature passes the cofactored (batch) equation");
    let crafted = Record { body, signature };
    entries.push(json(&crafted));
    let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    let stored = answer.results.iter().filter(|r| matches!(r.outcome, Outcome::Stored)).count();
    assert_eq!(stored, 199, "the good records are stored");
    match &answer.results[199].outcome {
        // Answered like an unknown device; kept as what it was.
        Outcome::Refused { reason, .. } => assert_eq!(reason.as_str(), "unknown_device"),
        other => panic!("a mixed-order signature was answered {other:?}"),
    }
    assert_eq!(server.store().device_records("KIOSK-M").await.unwrap().len(), 199);
}

/// A device's key signs whatever the device says: records for another site's employee, a
/// "valid" that its scores do not support, the wrong mode or zone, a clock set back, a month
/// already paid. Each is stored (its chain position kept) but waits for a supervisor with its
/// reasons; the clean record counts at once.
pub async fn doubtful_records_wait_for_a_supervisor(store: Store) {
    let server = start(store).await;
    for (id, site) in [("198001012005011001", "S1"), ("198502022010012002", "S2")] {
        let e = hadir_server::storage::EmployeeInput {
            employee_id: id.into(),
            name: format!("Pegawai {id}"),
            site_id: site.into(),
            section_id: None,
            pin_hash: None,
        };
        server.store().upsert_employee(&e).await.unwrap();
    }
    let dev = server.enrol("KIOSK-D", "S1", Mode::Office).await;
    let mut chain = dev.chain.clone();
    // Each record is the next of the chain with one thing changed (a clean one first).
    let changes: [fn(&mut RecordBody); 6] = [
        |_| {},
        |b| b.employee_id = "198502022010012002".into(),
        |b| b.match_score = hadir_protocol::Score(6200),
        |b| b.mode = Mode::Field,
        |b| b.utc_offset_min = 420,
        |b| b.clock.last_sync_offset_ms = Some(40 * 60_000),
    ];
    let mut entries = Vec::new();
    for change in changes {
        let mut b = chain.next_body();
        b.employee_id = "198001012005011001".into();
        b.utc_offset_min = 480;
        change(&mut b);
        entries.push(json(&chain.push(b)));
    }
    let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    assert!(answer.results.iter().all(|r| r.outcome == Outcome::Stored), "every record is stored: {answer:?}");
    let pending = server.store().pending_records().await.unwrap();
    let got: Vec<(i64, Vec<String>)> =
        pending.iter().map(|r| (r.seq, r.flags.iter().map(|f| f.code.clone()).collect())).collect();
    let want: Vec<(i64, Vec<String>)> = [
        (2, vec!["other_site"]),
        (3, vec!["decision_mismatch"]),
        (4, vec!["mode_mismatch"]),
        (5, vec!["offset_mismatch"]),
        (6, vec!["time_drifted"]),
    ]
    .into_iter()
    .map(|(seq, codes)| (seq, codes.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(got, want, "the clean record (seq 1) counts; each other waits with its reason");
    let drifted = &pending[4].flags[0];
    assert_eq!(drifted.value, Some(40), "the figure goes with the reason");
}

/// An office spread over two zones (#16): the server on WITA, one site on WIB of its own. The
/// WIB site's kiosk gets its zone with the roster, its records at +7 count as they are, and a
/// record at the server's +8 from it is the one that waits; the WITA site is unchanged.
pub async fn each_site_keeps_its_own_zone(store: Store) {
    let server = start(store).await;
    let st = server.store();
    let now = time::OffsetDateTime::now_utc();
    st.put_site("PONTIANAK", "UPT Pontianak", Some("Asia/Pontianak"), "admin", now).await.unwrap();
    st.put_site("S1", "Kantor Badung", None, "admin", now).await.unwrap();
    for (id, site) in [("198001012005011001", "PONTIANAK"), ("198502022010012002", "S1")] {
        let e = hadir_server::storage::EmployeeInput { employee_id: id.into(), name: format!("Pegawai {id}"), site_id: site.into(), section_id: None, pin_hash: None };
        st.upsert_employee(&e).await.unwrap();
    }
    let mut zones = Vec::new();
    for (device, site, employee, offsets) in
        [("KIOSK-WIB", "PONTIANAK", "198001012005011001", [420, 480]), ("KIOSK-WITA", "S1", "198502022010012002", [480, 420])]
    {
        let dev = server.enrol(device, site, Mode::Office).await;
        let rules = dev.uploader.roster(0).await.unwrap().rules.expect("the roster carries the site's rules");
        zones.push(rules.time_zone.clone());
        let mut chain = dev.chain.clone();
        let mut entries = Vec::new();
        for offset in offsets {
            let mut b = chain.next_body();
            b.employee_id = employee.into();
            b.utc_offset_min = offset;
            entries.push(json(&chain.push(b)));
        }
        let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
        assert!(answer.results.iter().all(|r| r.outcome == Outcome::Stored), "{answer:?}");
    }
    assert_eq!(zones, ["Asia/Pontianak", "Asia/Makassar"], "each kiosk gets its site's zone");
    let pending = st.pending_records().await.unwrap();
    let got: Vec<(String, i64, Vec<String>, Option<i64>)> = pending
        .iter()
        .map(|r| (r.punch.device_id.to_string(), r.seq, r.flags.iter().map(|f| f.code.clone()).collect(), r.flags.first().and_then(|f| f.value)))
        .collect();
    let want = [("KIOSK-WIB", 2, "offset_mismatch", 480), ("KIOSK-WITA", 2, "offset_mismatch", 420)];
    let want: Vec<_> = want.iter().map(|(d, seq, code, v)| ((*d).to_owned(), *seq, vec![(*code).to_owned()], Some(*v))).collect();
    assert_eq!(got, want, "only the record at the other site's offset waits");
}

/// A device sends a record into a month already closed for payroll (#18): it is not
/// attendance (the paid recap stays as it was) but waits in quarantine for an administrator.
pub async fn a_record_into_a_closed_month_waits_in_quarantine(store: Store) {
    let server = start(store).await;
    let dev = server.enrol("KIOSK-M", "S1", Mode::Office).await;
    let mut chain = dev.chain.clone();
    let closed = chain.next_body();
    let at = time::OffsetDateTime::from_unix_timestamp(closed.recorded_at_ms / 1000).unwrap();
    let done = server.store().close_month(at.year(), at.month(), &hadir_rules::SiteZones::single(hadir_rules::SiteZone::parse("UTC").unwrap()), "admin", time::OffsetDateTime::now_utc()).await.unwrap();
    assert!(done.is_ok(), "{done:?}");
    let first = json(&chain.push(closed));
    let answer = dev.uploader.post_batch_raw(batch_json(&[first])).await.expect("upload");
    match &answer.results[0].outcome {
        Outcome::Refused { reason: hadir_protocol::RefusalReason::TimestampImplausible, detail } => {
            assert!(detail.contains("closed for payroll") && detail.contains("kept in quarantine"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    let counts = server.store().counts().await.unwrap();
    assert_eq!((counts.records, counts.quarantined), (0, 1));
}

/// A stranger sends an upload of almost 8 MiB whose one entry is a megabytes-long string where
/// a number belongs (and a device id of a megabyte): it is answered, and neither the answer nor
/// `refused_uploads` holds more than a few hundred characters of it.
pub async fn an_8_mib_malformed_batch_is_answered_briefly(store: Store) {
    let server = start(store).await;
    let dev = server.enrol("KIOSK-8", "S1", Mode::Office).await;
    let huge = "9".repeat((7 << 20) - 4096);
    let id = "K".repeat(1 << 20);
    let body = format!(r#"{{"records":[{{"body":{{"device_id":"{id}","seq":"{huge}"}},"signature":"00"}}]}}"#);
    assert!(body.len() < 8 << 20, "under the body limit: {} bytes", body.len());
    let started = std::time::Instant::now();
    let answer = dev.uploader.post_batch_raw(body.into_bytes()).await.expect("answered");
    let text = serde_json::to_string(&answer).unwrap();
    println!("malformed_8mib answer_bytes={} ms={:.0}", text.len(), started.elapsed().as_secs_f64() * 1000.0);
    assert!(text.len() < 2_000, "the answer is short: {} bytes", text.len());
    match &answer.results[0].outcome {
        Outcome::Refused { reason, detail } => {
            assert_eq!(reason.as_str(), "malformed");
            assert!(detail.chars().count() <= hadir_protocol::batch::MAX_DETAIL_CHARS + 1, "{} chars", detail.len());
        }
        other => panic!("{other:?}"),
    }
    let kept = server.store().refused_uploads(None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].detail.len() < 1_000 && kept[0].device_id.as_ref().is_some_and(|d| d.len() <= 64), "{:?}", kept[0].device_id.as_ref().map(String::len));
}

/// A field officer of site S1 on the roster, and a field unit of that site enrolled as `device`.
async fn field_officer_and_unit(store: Store, device: &str) -> (crate::harness::Server, hadir_server::storage::EmployeeInput, crate::harness::Device) {
    let server = start(store).await;
    let e = hadir_server::storage::EmployeeInput {
        employee_id: "198001012005011001".into(),
        name: "Petugas".into(),
        site_id: "S1".into(),
        section_id: None,
        pin_hash: None,
    };
    server.store().upsert_employee(&e).await.unwrap();
    let dev = server.enrol(device, "S1", Mode::Field).await;
    (server, e, dev)
}

/// Positions no person could produce: a field employee 30 km away five minutes after his last
/// record, and the next morning a fix identical to the last digit to an earlier one. Both wait
/// for the supervisor with the figures; the honest records around them do not.
pub async fn a_teleport_and_a_replayed_position_are_flagged(store: Store) {
    let (server, e, dev) = field_officer_and_unit(store, "FIELD-P").await;
    let mut chain = dev.chain.clone();
    let t0 = crate::harness::T0 - 3 * 86_400_000;
    // (minutes after t0, metres north of the base); 10⁻⁷ degree of latitude is 1.1 cm.
    let plan: [(i64, i32); 5] = [(0, 0), (20, 900), (25, 30_000), (1440 + 5, 0), (1440 + 30, 1_200)];
    // A field record of `employee` at `minute` after t0, `north_m` metres north of the base.
    let mut field_record = |employee: &str, minute: i64, north_m: i32| {
        let mut b = chain.next_body();
        b.employee_id = employee.into();
        b.utc_offset_min = 480;
        b.mode = Mode::Field;
        b.recorded_at_ms = t0 + minute * 60_000;
        b.gps = Some(hadir_protocol::GpsFix {
            lat_e7: -85_819_000 + north_m * 90,
            lon_e7: 1_151_771_000,
            accuracy_dm: 45,
            hdop_centi: Some(90),
            satellites: 9,
            fix_at_ms: b.recorded_at_ms - 2_000,
            fix_mode: Some(hadir_protocol::FixMode::ThreeD),
            receiver_doubts: hadir_protocol::ReceiverDoubts::default(),
        });
        json(&chain.push(b))
    };
    let entries: Vec<_> = plan.iter().map(|&(minute, north_m)| field_record("198001012005011001", minute, north_m)).collect();
    let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    assert!(answer.results.iter().all(|r| r.outcome == Outcome::Stored), "{answer:?}");
    let pending = server.store().pending_records().await.unwrap();
    let got: Vec<(i64, Vec<(String, Option<i64>)>)> =
        pending.iter().map(|r| (r.seq, r.flags.iter().map(|f| (f.code.clone(), f.value)).collect())).collect();
    println!("plausibility flags: {got:?}");
    let codes: Vec<(i64, Vec<&str>)> = got.iter().map(|(seq, f)| (*seq, f.iter().map(|(c, _)| c.as_str()).collect())).collect();
    assert_eq!(codes, [(3, vec!["travel_impossible"]), (4, vec!["position_repeated"])], "only the teleport and the replay");
    // 29.1 km in 5 minutes: about 349 km/h.
    assert!(got[0].1[0].1.is_some_and(|kmh| (340..360).contains(&kmh)), "{:?}", got[0].1);
    assert_eq!(got[1].1[0].1, Some(1), "the first record's position, one day later");

    // The same unit handed to a colleague: ten minutes after the last record it is 30 km away
    // for her (her own path has no earlier fix: only the device's path says so), and the next
    // day her position is, to the last digit, the one the device gave her colleague the day
    // before (her own path never was there).
    let colleague = hadir_server::storage::EmployeeInput { employee_id: "198502022010012002".into(), name: "Rekan".into(), ..e };
    server.store().upsert_employee(&colleague).await.unwrap();
    let entries: Vec<_> =
        [(1440 + 40, 31_200), (2 * 1440 + 30, 1_200)].iter().map(|&(minute, north_m)| field_record(&colleague.employee_id, minute, north_m)).collect();
    let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    assert!(answer.results.iter().all(|r| r.outcome == Outcome::Stored), "{answer:?}");
    let pending = server.store().pending_records().await.unwrap();
    let hers: Vec<(i64, Vec<(String, Option<i64>)>)> = pending
        .iter()
        .filter(|r| r.employee_id == colleague.employee_id)
        .map(|r| (r.seq, r.flags.iter().map(|f| (f.code.clone(), f.value)).collect()))
        .collect();
    println!("device path flags: {hers:?}");
    let codes: Vec<(i64, Vec<&str>)> = hers.iter().map(|(seq, f)| (*seq, f.iter().map(|(c, _)| c.as_str()).collect())).collect();
    assert_eq!(codes, [(6, vec!["device_travel_impossible"]), (7, vec!["device_position_repeated"])]);
    // 30 km (1.2 km north of the base to 31.2 km) in 10 minutes: about 180 km/h.
    assert!(hers[0].1[0].1.is_some_and(|kmh| (170..190).contains(&kmh)), "{:?}", hers[0].1);
    assert_eq!(hers[1].1[0].1, Some(1), "the device's position of one day before");
}

/// An older kiosk (record format 1: HDOP 0 for "the receiver gave none", no fix mode) and a
/// current one (format 2) at one site: both are stored and verify; only a receiver that really
/// said HDOP 0 is doubted, and one whose kiosk saw a flat signal; a format-1 record claiming a
/// fix mode is refused as malformed (its format has no place to sign it).
pub async fn both_record_formats_keep_what_the_receiver_said(store: Store) {
    use hadir_protocol::{FixMode, GpsFix};
    use hadir_server::storage::portable::{Row, Val};
    let (server, e, dev) = field_officer_and_unit(store, "FIELD-F").await;
    let mut chain = dev.chain.clone();
    let t0 = crate::harness::T0 - 86_400_000;
    let fix = GpsFix { lat_e7: -85_819_000, lon_e7: 1_151_771_000, accuracy_dm: 45, hdop_centi: None, satellites: 9, fix_at_ms: 0, fix_mode: None, receiver_doubts: Default::default() };
    // 30 minutes and 50 m apart.
    let flat = hadir_protocol::ReceiverDoubts { uniform_signal: true, ..Default::default() };
    let none = hadir_protocol::ReceiverDoubts::default();
    // (format, HDOP, fix mode, what the kiosk's receiver watch saw); the last one's format
    // cannot carry its fix mode.
    let plan = [
        (1, Some(0), None, none),
        (2, Some(0), Some(FixMode::ThreeD), none),
        (2, None, Some(FixMode::TwoD), flat),
        (1, Some(120), Some(FixMode::ThreeD), none),
    ];
    let entries: Vec<_> = plan
        .iter()
        .enumerate()
        .map(|(i, &(format, hdop_centi, fix_mode, receiver_doubts))| {
            let mut b = chain.next_body();
            b.format = format;
            b.employee_id = e.employee_id.clone();
            b.mode = Mode::Field;
            b.utc_offset_min = 480;
            b.recorded_at_ms = t0 + i as i64 * 1_800_000;
            b.gps = Some(GpsFix { lat_e7: fix.lat_e7 + i as i32 * 450, hdop_centi, fix_mode, receiver_doubts, fix_at_ms: b.recorded_at_ms - 2_000, ..fix });
            json(&chain.push(b))
        })
        .collect();
    let answer = dev.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    let outcomes: Vec<&Outcome> = answer.results.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes[..3], [&Outcome::Stored, &Outcome::Stored, &Outcome::Stored], "{answer:?}");
    assert!(
        matches!(outcomes[3], Outcome::Refused { detail, .. } if detail.contains("gps.fix_mode (not in format 1)")),
        "a format-1 record with a fix mode: {:?}",
        outcomes[3]
    );
    let stored = server
        .store()
        .query_rows(
            "test: stored fixes",
            "SELECT seq, gps_hdop_centi, gps_fix_mode, canonical FROM records WHERE device_id = $1 ORDER BY seq",
            vec![Val::Text("FIELD-F".into())],
            |r: &dyn Row| Ok((r.i64(0)?, r.opt_i64(1)?, r.opt_text(2)?, r.opt_bytes(3)?.unwrap_or_default())),
        )
        .await
        .unwrap();
    let columns: Vec<(i64, Option<i64>, Option<String>)> = stored.iter().map(|(s, h, m, _)| (*s, *h, m.clone())).collect();
    assert_eq!(columns, [(1, None, None), (2, Some(0), Some("3d".into())), (3, None, Some("2d".into()))]);
    // Each stored record's signed bytes are in its own format and decode to what was sent.
    for (seq, _, _, canonical) in &stored {
        let body = hadir_protocol::canonical::decode(canonical).unwrap();
        assert_eq!(body.format, plan[*seq as usize - 1].0, "seq {seq}");
        assert_eq!(body.canonical_bytes(), *canonical, "seq {seq}");
    }
    let pending = server.store().pending_records().await.unwrap();
    let flagged: Vec<(i64, Vec<&str>)> = pending.iter().map(|r| (r.seq, r.flags.iter().map(|f| f.code.as_str()).collect())).collect();
    assert_eq!(flagged, [(2, vec!["hdop_zero"]), (3, vec!["receiver_uniform_signal"])], "the receiver that said HDOP 0, the flat signal");
}

/// A stranger behind the office's TLS proxy sends batch after batch of forged records (a
/// device nobody enrolled) and guesses enrolment tokens. His refusals spend his address's
/// budget: after it, every request is answered 429 with `Retry-After` before anything is looked
/// up or kept, while a kiosk (another address) goes on storing its records. Once the wait has
/// passed he is let in again.
pub async fn a_stranger_refused_again_and_again_is_throttled(store: Store) {
    use hadir_server::api::throttle::BURST;
    let server = start_with(store, |s| s.trusted_proxies = vec![std::net::Ipv4Addr::LOCALHOST.into()]).await;
    let mut kiosk = server.enrol("KIOSK-T", "S1", Mode::Office).await;
    let mut forger = Chain::new("NOT-ENROLLED", DeviceKey::generate());
    let forged: Vec<_> = (0..50).map(|_| json(&forger.next())).collect();
    let forged = batch_json(&forged);
    let http = hadir_client::trust::http_client(&server.url(), &hadir_client::ServerTrust::InsecureLan, std::time::Duration::from_secs(20)).expect("client");
    let stranger = "203.0.113.7";
    let kept_from = |rows: &[hadir_server::storage::RefusedUpload], who: &str| {
        rows.iter().filter(|r| r.forwarded_for.as_deref() == Some(who)).count()
    };
    let (mut answered, mut throttled, mut retry_after_s, mut kiosk_stored) = (0usize, 0usize, 0i64, 0usize);
    let started = std::time::Instant::now();
    let requests = 400;
    for i in 0..requests {
        let post = if i % 2 == 0 {
            http.post(format!("{}/api/v1/records", server.url())).body(forged.clone())
        } else {
            http.post(format!("{}/api/v1/devices/enrol", server.url()))
                .body(format!(r#"{{"token":"guess-{i}","public_key":"{}","app_version":"x"}}"#, "00".repeat(32)))
        };
        let response = post.header("x-forwarded-for", stranger).send().await.expect("answered");
        match response.status().as_u16() {
            429 => {
                throttled += 1;
                retry_after_s = response.headers()["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
                let body: hadir_protocol::api::ErrorBody = response.json().await.expect("an error body");
                assert_eq!(body.code, "throttled");
            }
            status => {
                answered += 1;
                assert!(throttled == 0, "request {i} answered {status} after a 429: the budget came back with no time passing");
            }
        }
        if i % 50 == 25 {
            let record = kiosk.chain.next();
            let answer = kiosk.uploader.post_batch_raw(batch_json(&[json(&record)])).await.expect("the kiosk is answered");
            assert!(matches!(answer.results[0].outcome, Outcome::Stored), "the kiosk's record during the flood: {:?}", answer.results[0].outcome);
            kiosk_stored += 1;
        }
    }
    let rows = server.store().refused_uploads(None, 100_000).await.unwrap();
    let kept = kept_from(&rows, stranger);
    println!(
        "refusal_flood requests={requests} answered={answered} throttled={throttled} refused_rows_kept={kept} retry_after_s={retry_after_s} kiosk_records_stored={kiosk_stored} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    // Each forged batch keeps 50 rows and costs 50; each guessed token costs 1. The budget is
    // spent by the sixth pair, and nothing more is kept however long he goes on.
    assert!(kept <= BURST as usize + 50, "{kept} rows kept for the stranger");
    assert!(throttled >= requests - 20, "only {throttled} of {requests} throttled");
    assert_eq!(kiosk_stored, requests / 50);
    assert!(retry_after_s > 0);
    // Another address is untouched by his debt.
    let other = http
        .post(format!("{}/api/v1/records", server.url()))
        .header("x-forwarded-for", "203.0.113.8")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200, "another address is answered");
    // After the wait he is let in again (and refused on the merits).
    server.now.fetch_add(retry_after_s * 1000, std::sync::atomic::Ordering::SeqCst);
    let again = http
        .post(format!("{}/api/v1/devices/enrol", server.url()))
        .header("x-forwarded-for", stranger)
        .body(r#"{"token":"late","public_key":"00","app_version":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_ne!(again.status().as_u16(), 429, "after Retry-After the stranger is answered on the merits");
}

/// A stranger signing records with a key of their own cannot tell an active device id, a
/// revoked one and one never enrolled apart: the three answers are the same. The genuine
/// holder of the revoked key still learns that it was revoked, and the refused uploads keep
/// what each really was for administrators.
pub async fn a_stranger_cannot_tell_devices_apart(store: Store) {
    let server = start(store).await;
    let active = server.enrol("KIOSK-ACTIVE", "S1", Mode::Office).await;
    let revoked = server.enrol("KIOSK-REVOKED", "S1", Mode::Office).await;
    assert!(server.store().revoke_device("KIOSK-REVOKED", crate::harness::T0).await.unwrap());
    let stranger = DeviceKey::generate();
    let forged = |chain: &Chain| chain.next_body().sign(&stranger);
    let never = Chain::new("KIOSK-NEVER", DeviceKey::generate());
    let entries = [json(&forged(&active.chain)), json(&forged(&revoked.chain)), json(&forged(&never))];
    let answer = active.uploader.post_batch_raw(batch_json(&entries)).await.expect("upload");
    let outcomes: Vec<&Outcome> = answer.results.iter().map(|r| &r.outcome).collect();
    assert!(matches!(outcomes[0], Outcome::Refused { reason: hadir_protocol::RefusalReason::UnknownDevice, .. }), "{outcomes:?}");
    assert!(outcomes.iter().all(|o| *o == outcomes[0]), "the answers differ: {outcomes:?}");
    // The revoked device's own key: told that it was revoked.
    let genuine = revoked.chain.clone().next();
    let answer = active.uploader.post_batch_raw(batch_json(&[json(&genuine)])).await.expect("upload");
    assert!(matches!(answer.results[0].outcome, Outcome::Refused { reason: hadir_protocol::RefusalReason::RevokedDevice, .. }), "{answer:?}");
    let mut kept: Vec<(String, String)> =
        server.store().refused_uploads(None, 10).await.unwrap().into_iter().map(|r| (r.device_id.unwrap_or_default(), r.reason)).collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            ("KIOSK-ACTIVE".into(), "bad_signature".into()),
            ("KIOSK-NEVER".into(), "unknown_device".into()),
            ("KIOSK-REVOKED".into(), "bad_signature".into()),
            ("KIOSK-REVOKED".into(), "revoked_device".into()),
        ]
    );
}
