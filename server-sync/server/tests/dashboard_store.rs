//! The dashboard's data through the one store, on SQLite and on PostgreSQL: append-only logs,
//! final decisions, the latest correction wins, calendars and settings round-trip, the month
//! read groups punches by employee.

#[macro_use]
mod dashboard_fixture;

use dashboard_fixture::{Db, fixture_on};
use hadir_rules::{Decision, Excused, RuleSettings, WeeklySchedule, WorkHours};
use hadir_server::storage::calendar::{Holiday, HolidayKind};
use hadir_server::storage::portable::params;
use time::macros::{date, datetime, time};

async fn logs_are_append_only_and_decisions_final(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let s = &f.storage;
    let now = datetime!(2026-03-02 10:00 UTC);
    s.add_correction("E1", date!(2026 - 03 - 02), Some(Excused::Sakit), "surat dokter", "admin", now).await.unwrap();
    s.audit("admin", "x", "y", now).await.unwrap();
    assert!(s.decide(f.pending_bm, true, "ok", "spv", now).await.unwrap());
    assert!(!s.decide(f.pending_bm, false, "again", "spv", now).await.unwrap(), "a second decision is refused");
    assert_eq!(s.record(f.pending_bm).await.unwrap().unwrap().punch.decision, Decision::Confirmed);
    for (sql, what) in [
        ("UPDATE dash_corrections SET reason = 'x'", "update a correction"),
        ("DELETE FROM dash_corrections", "delete corrections"),
        ("UPDATE dash_audit SET detail = 'x'", "update the audit log"),
        ("DELETE FROM dash_audit", "delete the audit log"),
        ("UPDATE dash_decisions SET decision = 'rejected'", "change a decision"),
        ("DELETE FROM dash_decisions", "delete a decision"),
    ] {
        assert!(s.write("test: tamper", sql, params![]).await.is_err(), "{}: {what} must fail", db.name());
    }
    if let Db::Postgres(..) = db {
        assert!(s.write("test: tamper", "TRUNCATE dash_audit", params![]).await.is_err(), "truncate the audit log must fail");
    }
    assert_eq!(s.audit_lines(None, None, None, 10).await.unwrap().len(), 1);
    assert_eq!(s.pending_records().await.unwrap().len(), 1, "Dewi's record still waits");
}

async fn latest_correction_wins_and_cancel_removes(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let s = &f.storage;
    let now = datetime!(2026-03-02 10:00 UTC);
    let d = date!(2026 - 03 - 02);
    s.add_correction("E1", d, Some(Excused::Izin), "a", "admin", now).await.unwrap();
    s.add_correction("E1", d, Some(Excused::Sakit), "b", "admin", now).await.unwrap();
    s.add_correction("E2", d, Some(Excused::Cuti), "c", "admin", now).await.unwrap();
    s.add_correction("E2", d, None, "d", "admin", now).await.unwrap();
    let ex = s.excused_between(d, d).await.unwrap();
    assert_eq!(ex["E1"].get(&d), Some(&Excused::Sakit));
    assert!(ex["E2"].is_empty());
    let log = s.corrections(10).await.unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!((log[0].kind.as_str(), log[0].reason.as_str()), ("cancel", "d"), "newest first");
}

async fn sections_holidays_and_settings_round_trip(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let s = &f.storage;
    let h = WorkHours::new(time!(07:00), time!(15:30)).unwrap();
    s.put_section("BM", "Bina Marga Baru", &WeeklySchedule::weekdays(h)).await.unwrap();
    s.put_exception("BM", date!(2026 - 03 - 20), None, "Kerja bakti").await.unwrap();
    s.put_holiday(&Holiday::everywhere(date!(2026 - 03 - 19), "Nyepi", HolidayKind::National)).await.unwrap();
    s.put_holiday(&Holiday::everywhere(date!(2026 - 03 - 19), "Hari Suci Nyepi", HolidayKind::Regional)).await.unwrap();
    let secs = s.sections().await.unwrap();
    assert_eq!(secs.len(), 3);
    let bm = secs.iter().find(|x| x.id == "BM").unwrap();
    assert_eq!((bm.name.as_str(), &bm.calendar.weekly), ("Bina Marga Baru", &WeeklySchedule::weekdays(h)));
    assert_eq!(bm.calendar.exceptions.len(), 1);
    assert_eq!(s.holidays().await.unwrap().iter().count(), 1);
    assert_eq!(
        s.holiday_list().await.unwrap(),
        [Holiday::everywhere(date!(2026 - 03 - 19), "Hari Suci Nyepi", HolidayKind::Regional)],
        "the second write changed the date's name and kind"
    );
    assert_eq!(s.settings().await.unwrap(), RuleSettings::default(), "defaults before anything is saved");
    let mut rs = RuleSettings::default();
    rs.late_bp[3] = 200;
    rs.daily_cap_bp = 450;
    s.put_settings(&rs).await.unwrap();
    assert_eq!(s.settings().await.unwrap(), rs);
    let u = s.user_by_name("kabid_bm").await.unwrap().unwrap();
    assert_eq!(u.sections, ["BM"]);
    assert!(s.add_user("kabid_bm", "x", u.role, &[]).await.is_err(), "names are unique");
}

async fn the_month_read_groups_punches_by_employee(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let s = &f.storage;
    s.decide(f.pending_sda, false, "bukan dia", "admin", datetime!(2026-03-02 10:00 UTC)).await.unwrap();
    let from = datetime!(2026-03-01 00:00 UTC);
    let p = s.punches_by_employee(from, from + time::Duration::days(2)).await.unwrap();
    assert_eq!(p.values().map(Vec::len).sum::<usize>(), 6);
    let dewi = &p["198704042011014004"][0];
    assert_eq!((dewi.decision, dewi.at.offset().whole_hours()), (Decision::Rejected, 7));
    assert_eq!(p["198502022010012002"][0].decision, Decision::Pending);
    assert_eq!(&*p["198001012005011001"][0].device_id, "K-01");
    // A supervisor's read by employee gives the same punches as the whole month's read.
    let bm = ["198001012005011001", "198502022010012002", "199003032015013003", "no-such-employee"];
    let scoped = s.punches_of(&bm, from, from + time::Duration::days(2)).await.unwrap();
    let want: std::collections::HashMap<_, _> = p.iter().filter(|(k, _)| bm.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(scoped, want);
    let views = s.records_between(from, from + time::Duration::days(2)).await.unwrap();
    assert_eq!(views.len(), 6);
    assert!(views.windows(2).all(|w| w[0].punch.at <= w[1].punch.at), "oldest first");
    assert_eq!(s.max_record_id().await.unwrap(), views.iter().map(|v| v.punch.record_id).max().unwrap());
}

/// The template key is rotated on a database holding templates, sealed photos, a photo in
/// clear from an older release and one damaged row, after an interrupted run that had re-sealed
/// one template: the rotation takes up the interrupted run's new key, re-seals the rest, swaps
/// the key files and keeps the old key; everything opens under the new key as before, a row
/// sealed with a key nobody holds stops it before anything changes.
async fn the_template_key_rotates_and_an_interrupted_rotation_resumes(db: &Db<'_>) {
    use hadir_protocol::Digest;
    use hadir_server::storage::TemplateKey;
    use hadir_server::storage::rotation::{RotationError, next_key_path, rotate};
    let (store, dir) = db.open().await;
    let key_path = dir.path().join("template.key");
    let old = TemplateKey::load_or_create(&key_path).unwrap();
    let s = store.clone().with_template_key(old.clone());
    let (employees, per_employee) = (30usize, 3usize);
    let mut embeddings = std::collections::BTreeMap::new();
    for e in 0..employees {
        let id = format!("E{e:03}");
        s.write("test: employee", "INSERT INTO employees (employee_id, name, site_id, revision) VALUES ($1, $1, 'KANTOR', 1)", params![id.clone()])
            .await
            .unwrap();
        for t in 0..per_employee {
            let embedding: Vec<f32> = (0..512).map(|i| ((e * 7 + t * 13 + i) % 97) as f32 / 97.0).collect();
            s.add_template(&id, "m1", &embedding, 0).await.unwrap();
            embeddings.entry(id.clone()).or_insert_with(Vec::new).push(embedding);
        }
    }
    let photos: Vec<Vec<u8>> = (0..40).map(|i| format!("\u{ff}\u{d8} evidence {i}").repeat(200).into_bytes()).collect();
    for (i, jpeg) in photos.iter().enumerate() {
        let sha = Digest::of(jpeg);
        // The last photo as an older release stored it: in clear.
        let (blob, key_id) = if i == photos.len() - 1 { (jpeg.clone(), None) } else { (old.seal_photo(sha, jpeg), Some(old.id().to_owned())) };
        s.write("test: photo", "INSERT INTO photos (sha256, jpeg, received_at_ms, key_id) VALUES ($1, $2, 0, $3)", params![sha.to_hex(), blob, key_id])
            .await
            .unwrap();
    }
    let damaged = Digest::of(b"damaged");
    s.write("test: damaged photo", "INSERT INTO photos (sha256, jpeg, received_at_ms, key_id) VALUES ($1, $2, 0, $3)", params![damaged.to_hex(), vec![1u8; 40], old.id()])
        .await
        .unwrap();

    // A row sealed with a key that neither file holds: nothing changes.
    s.write("test: foreign", "UPDATE face_templates SET key_id = 'ffffffffffffffff' WHERE template_id = (SELECT MIN(template_id) FROM face_templates)", params![])
        .await
        .unwrap();
    match rotate(&s, &key_path).await {
        Err(RotationError::ForeignKey { table: "face_templates", rows: 1, .. }) => {}
        other => panic!("{}: a foreign key's row must stop the rotation: {other:?}", db.name()),
    }
    assert_eq!(TemplateKey::load(&key_path).unwrap().id(), old.id(), "the key file is untouched");
    s.write("test: foreign", "UPDATE face_templates SET key_id = $1 WHERE key_id = 'ffffffffffffffff'", params![old.id()]).await.unwrap();

    // An interrupted run: its new key file is there and one template is under it already.
    let new = TemplateKey::load(&next_key_path(&key_path)).expect("the new key is made before any row changes");
    let first = s.query_opt("test: first", "SELECT MIN(template_id) FROM face_templates", params![], |r| r.i64(0)).await.unwrap().unwrap();
    let (employee, clear) = ("E000".to_owned(), embeddings["E000"][0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
    s.write(
        "test: half-done",
        "UPDATE face_templates SET embedding = $1, key_id = $2, content_digest = $3 WHERE template_id = $4",
        params![new.seal(&employee, "m1", &clear), new.id(), new.content_digest(&employee, "m1", &clear), first],
    )
    .await
    .unwrap();

    let started = std::time::Instant::now();
    let done = rotate(&s, &key_path).await.expect("rotate");
    println!(
        "{}: template_key_rotate templates={} photos={} photos_from_clear={} unreadable={} ms={:.0}",
        db.name(),
        done.resealed.templates,
        done.resealed.photos,
        done.resealed.photos_from_clear,
        done.resealed.unreadable,
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!((done.old_id.as_str(), done.new_id.as_str()), (old.id(), new.id()), "the interrupted run's key is taken up");
    assert_eq!(done.resealed.templates as usize, employees * per_employee - 1, "the row done before is skipped");
    assert_eq!((done.resealed.photos, done.resealed.photos_from_clear, done.resealed.unreadable), (photos.len() as u64 - 1, 1, 1));
    assert_eq!(TemplateKey::load(&key_path).unwrap().id(), new.id(), "the key file holds the new key");
    assert_eq!(TemplateKey::load(&done.retired).unwrap().id(), old.id(), "the old key is kept");
    assert!(!next_key_path(&key_path).exists());

    // Everything opens under the new key as it was; nothing is left under the old one but the
    // damaged photo.
    let after = store.clone().with_template_key(TemplateKey::load(&key_path).unwrap());
    for (id, want) in &embeddings {
        let got: Vec<Vec<f32>> = after.templates(id).await.unwrap().into_iter().map(|t| t.embedding).collect();
        assert_eq!(&got, want, "{}: {id}'s templates", db.name());
    }
    for jpeg in &photos {
        assert_eq!(after.photo(Digest::of(jpeg)).await.unwrap().as_ref(), Some(jpeg));
    }
    let left = |table: &'static str| {
        let (after, old) = (after.clone(), old.id().to_owned());
        async move {
            after.query_opt("test: left", format!("SELECT COUNT(*) FROM {table} WHERE key_id IS NULL OR key_id = $1"), params![old], |r| r.i64(0)).await.unwrap()
        }
    };
    assert_eq!((left("face_templates").await, left("photos").await), (Some(0), Some(1)));
    // The same upload again is known under the new key's digest: not stored twice.
    let again = after.add_template("E001", "m1", &embeddings["E001"][1], 0).await.unwrap();
    assert_eq!(after.templates("E001").await.unwrap().len(), per_employee);
    assert!(after.templates("E001").await.unwrap().iter().any(|t| t.template_id == again));
}

/// Two administrators give Budi overlapping weeks of his own at the same moment: exactly one
/// is saved, the other is told which range it overlaps.
async fn overlapping_schedules_saved_at_once_keep_one(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let night = WeeklySchedule::weekdays(WorkHours::new(time!(22:00), time!(06:00)).unwrap());
    let budi = "198001012005011001";
    for round in 0..5 {
        let base = date!(2026 - 04 - 01) + time::Duration::days(round * 20);
        let (a, b) = (f.storage.clone(), f.storage.clone());
        let (w1, w2) = (night.clone(), night.clone());
        let one = tokio::spawn(async move { a.add_employee_schedule(budi, base, base + time::Duration::days(9), &w1, "jaga malam", "admin", 1).await.unwrap() });
        let two = tokio::spawn(async move { b.add_employee_schedule(budi, base + time::Duration::days(5), base + time::Duration::days(14), &w2, "jaga malam", "admin2", 1).await.unwrap() });
        let (one, two) = (one.await.unwrap(), two.await.unwrap());
        assert!(one.is_ok() != two.is_ok(), "round {round}: exactly one saved ({one:?}, {two:?})");
    }
    let mine: Vec<_> = f.storage.employee_schedules().await.unwrap().into_iter().filter(|s| s.employee_id == budi).collect();
    assert_eq!(mine.len(), 5);
    for (i, x) in mine.iter().enumerate() {
        for y in &mine[i + 1..] {
            assert!(x.to < y.from || y.to < x.from, "{}..{} overlaps {}..{}", x.from, x.to, y.from, y.to);
        }
    }
}

/// A record is judged at the site's clock, never at the offset it claims: Budi's IN, made at
/// 07:20 by a kiosk on WIB (+7), is on time for a WIB office and 50 minutes late for an office
/// on WITA (+8), whatever the record says.
async fn records_are_judged_at_the_sites_offset(db: &Db<'_>) {
    use hadir_server::reports::month::{Context, Scope, month_recaps};
    let f = fixture_on(db, true).await;
    let budi = |rows: &[(hadir_server::reports::EmployeeInfo, Vec<hadir_rules::DayResult>, hadir_rules::MonthRecap)]| {
        rows.iter().find(|(e, _, _)| e.id == "198001012005011001").map(|(_, days, _)| days[1].clone()).unwrap()
    };
    let zone = |name: &str| hadir_rules::SiteZone::parse(name).unwrap();
    let site = f.storage.employees().await.unwrap().into_iter().find(|e| e.id == "198001012005011001").unwrap().site_id;
    let mut seen = Vec::new();
    // The server's zone for every site; then the server on WIB with Budi's site on WITA of
    // its own; then the site back on the server's zone.
    let own_zone = [(None, "Asia/Jakarta"), (None, "Asia/Makassar"), (Some("Asia/Makassar"), "Asia/Jakarta"), (None, "Asia/Jakarta")];
    for (own, server) in own_zone {
        f.storage.put_site(&site, "Kantor", own, "admin", dashboard_fixture::NOW).await.unwrap();
        let zones = f.storage.site_zones(&zone(server)).await.unwrap();
        let ctx = Context::load(&f.storage, &Scope::All, zones).await.unwrap();
        let day = budi(&month_recaps(&f.storage, &ctx, 2026, time::Month::March).await.unwrap());
        let first_in = day.first_in.expect("Budi's IN");
        seen.push((first_in.at.offset().whole_hours(), first_in.at.hour(), first_in.at.minute(), day.late_minutes));
    }
    assert_eq!(seen, [(7, 7, 20, 0), (8, 8, 20, 50), (8, 8, 20, 50), (7, 7, 20, 0)]);
    let rows = f.storage.site_rows().await.unwrap();
    assert_eq!(rows.iter().find(|r| r.id == site).map(|r| r.time_zone.clone()), Some(None), "back on the server's zone");
}

/// A month closes by each site's clock: a record awaiting a decision made at 22:30 on the last
/// evening of February in WIB is already 1 March at a site on WIT, so it holds March back, not
/// February.
async fn a_month_closes_by_each_sites_clock(db: &Db<'_>) {
    let f = fixture_on(db, true).await;
    let budi = f.storage.employees().await.unwrap().into_iter().find(|e| e.id == "198001012005011001").unwrap();
    let at = datetime!(2026-02-28 15:30 UTC).unix_timestamp() * 1000;
    f.storage
        .write(
            "test: a record awaiting a decision",
            "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                 match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                 clock_jumped, record_hash, signature, canonical, received_at_ms)
             VALUES ('K-01', 90, $1, 'out', $2, 540, 'office', 6000, 9500, 'needs_confirmation', $3, '0.1.0', 'm1', $4, 0, 'K-01-90', 'sig', $5, $2)",
            params![budi.id.clone(), at, dashboard_fixture::evidence_sha(), "00".repeat(32), vec![0u8]],
        )
        .await
        .unwrap();
    let wib = hadir_rules::SiteZone::parse("Asia/Jakarta").unwrap();
    let pending = |zones: hadir_rules::SiteZones| {
        let st = f.storage.clone();
        async move { (st.pending_in_month(2026, time::Month::February, &zones).await.unwrap(), st.pending_in_month(2026, time::Month::March, &zones).await.unwrap()) }
    };
    let (feb, march) = pending(f.storage.site_zones(&wib).await.unwrap()).await;
    assert_eq!(feb, 1, "in WIB it is February's");
    f.storage.put_site(&budi.site_id, "Kantor", Some("Asia/Jayapura"), "admin", dashboard_fixture::NOW).await.unwrap();
    let (feb_wit, march_wit) = pending(f.storage.site_zones(&wib).await.unwrap()).await;
    assert_eq!((feb_wit, march_wit), (0, march + 1), "in WIT it is March's");
    let closed = f.storage.close_month(2026, time::Month::February, &f.storage.site_zones(&wib).await.unwrap(), "admin", dashboard_fixture::NOW).await.unwrap();
    assert_eq!(closed, Ok(()), "February closes");
}

on_both_backends!(
    records_are_judged_at_the_sites_offset,
    a_month_closes_by_each_sites_clock,
    overlapping_schedules_saved_at_once_keep_one,
    the_template_key_rotates_and_an_interrupted_rotation_resumes,
    logs_are_append_only_and_decisions_final,
    latest_correction_wins_and_cancel_removes,
    sections_holidays_and_settings_round_trip,
    the_month_read_groups_punches_by_employee,
);
