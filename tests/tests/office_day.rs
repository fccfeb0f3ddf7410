//! The office day, end to end: the central server (device API and dashboard over SQLite, real
//! HTTP on 127.0.0.1:0) and 38 simulated kiosks built from the kiosk library, at the seed's
//! scale, over Monday 2 March 2026 in Badung (WITA, `Asia/Makassar`) with a frozen clock the
//! test advances. One employee guards the office that night (his own week, 22:00–06:00, his
//! OUT on Tuesday morning counting for Monday); one is on approved sick leave.
//!
//! Every record goes through the kiosk's flow (keypad keys, PIN check against the roster the
//! kiosk fetched, camera frame, face decision, policy, signed record, outbox) and the uploader.
//! Ordinary records replay the real engine's result on a shared photo of the person (computed
//! once per identity); the doubtful face and the impostor run the real pipeline on the frame.
//!
//! At the end the recap per date and per employee, exported as CSV by the dashboard, equal an
//! expectation computed here from the scenario alone.

use hadir_e2e::dash::DashClient;
use hadir_e2e::department::{self as dept, EMPLOYEES, Faces};
use hadir_e2e::face::{FaceMode, analyse};
use hadir_e2e::kiosk::SimKiosk;
use hadir_e2e::server::{Db, FrozenClock, Server, ms};
use hadir_kiosk::flow::{Band, Outcome, PlaceVerdict, Refusal};
use image::RgbImage;
use std::collections::BTreeMap;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// 00:00 WITA on the day.
const DAY: OffsetDateTime = datetime!(2026-03-02 00:00 +8);
/// The device that is offline from 07:00 to 09:00 (K-02).
const OFFLINE_DEVICE: usize = 1;
/// Employees with special parts (all at K-01 or F-05, see `script`).
const DOUBTFUL: usize = 0;
const IMPOSTOR_VICTIM: usize = 38;
const NO_FIX_THEN_FIX: usize = 34;
/// The night guard (an office employee with his own week for the day).
const GUARD: usize = 9;
/// On approved sick leave for the day: makes no record.
const ON_LEAVE: usize = 19;

fn at(h: i64, m: i64) -> OffsetDateTime {
    DAY + Duration::minutes(h * 60 + m)
}

/// What happens at a kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// A genuine attempt (replayed real result); `gps` says whether the unit has a fix.
    Genuine { gps: bool },
    /// The real pipeline on a morphed photo that scores in the doubtful band.
    Doubtful,
    /// Someone else's face with this employee's PIN, through the real pipeline.
    Impostor,
    /// A field unit that requires a fix, without one.
    NoFix,
}

#[derive(Debug, Clone, Copy)]
struct Step {
    at: OffsetDateTime,
    employee: usize,
    direction_in: bool,
    act: Act,
}

/// The day's script: who does what when. Pure data from the employee index.
fn script() -> Vec<Step> {
    let mut steps = Vec::new();
    for i in 0..EMPLOYEES {
        let d = dept::device_of(i);
        let gps = !dept::allows_without_fix(d) || i % 2 == 0;
        let (arrive, leave) = match i % 10 {
            0..=5 => (at(7, 0) + Duration::minutes((i % 29) as i64), at(16, 0) + Duration::minutes((i % 40) as i64)),
            6 => (at(7, 30) + Duration::minutes(1 + (i * 7 % 59) as i64), at(16, 0) + Duration::minutes((i % 40) as i64)),
            7 => (at(8, 31) + Duration::minutes((i % 50) as i64), at(16, 10)),
            8 => (at(7, 20), at(19, 1) + Duration::minutes((i % 90) as i64)),
            _ => (at(7, 25), at(15, 0) + Duration::minutes((i % 50) as i64)),
        };
        let genuine = Act::Genuine { gps };
        match i {
            ON_LEAVE => continue,
            GUARD => {
                steps.push(Step { at: at(22, 10), employee: i, direction_in: true, act: genuine });
                steps.push(Step { at: at(24 + 6, 5), employee: i, direction_in: false, act: genuine });
                continue;
            }
            DOUBTFUL => steps.push(Step { at: at(7, 10), employee: i, direction_in: true, act: Act::Doubtful }),
            IMPOSTOR_VICTIM => {
                steps.push(Step { at: arrive - Duration::minutes(15), employee: i, direction_in: true, act: Act::Impostor });
                steps.push(Step { at: arrive, employee: i, direction_in: true, act: genuine });
            }
            NO_FIX_THEN_FIX => {
                steps.push(Step { at: arrive - Duration::minutes(3), employee: i, direction_in: true, act: Act::NoFix });
                steps.push(Step { at: arrive, employee: i, direction_in: true, act: genuine });
            }
            _ => steps.push(Step { at: arrive, employee: i, direction_in: true, act: genuine }),
        }
        steps.push(Step { at: leave, employee: i, direction_in: false, act: genuine });
    }
    steps.sort_by_key(|s| (s.at, s.employee));
    steps
}

/// One line of the expected recap per date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Expected {
    in_time: String,
    in_device: String,
    out_time: String,
    out_device: String,
    bands: String,
    late: u32,
    early: u32,
    overtime: u32,
    pending: u32,
}

fn band(minutes: u32) -> Option<usize> {
    match minutes {
        0 => None,
        1..=30 => Some(1),
        31..=60 => Some(2),
        61..=90 => Some(3),
        _ => Some(4),
    }
}

fn hhmm(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The recap the script implies, by the department's rules (tolerance 60 minutes in the office
/// and none in the field, lateness from the scheduled start — 07:30, the guard's 22:00 — early
/// leave before the scheduled end — 16:00, the guard's 06:00 the next morning — overtime from
/// three hours after it, nothing counted against a day on approved leave), computed without the
/// server's rules engine.
fn expectation(steps: &[Step]) -> BTreeMap<String, Expected> {
    let mut out = BTreeMap::new();
    for i in 0..EMPLOYEES {
        let d = dept::device_of(i);
        let counting = |dir_in: bool| {
            steps.iter().filter(move |s| {
                s.employee == i && s.direction_in == dir_in && matches!(s.act, Act::Genuine { gps } if gps || dept::allows_without_fix(d))
            })
        };
        let first_in = counting(true).map(|s| s.at).min();
        let last_out = counting(false).map(|s| s.at).max();
        let pending = steps.iter().filter(|s| s.employee == i && s.act == Act::Doubtful).count() as u32;
        let mut e = Expected { pending, ..Expected::default() };
        let dev = dept::device_id(d);
        e.in_time = first_in.map_or("-".into(), hhmm);
        e.in_device = first_in.map_or("-".into(), |_| dev.clone());
        e.out_time = last_out.map_or("-".into(), hhmm);
        e.out_device = last_out.map_or("-".into(), |_| dev.clone());
        let mut bands = Vec::new();
        let (start, end) = if i == GUARD { (at(22, 0), at(24 + 6, 0)) } else { (at(7, 30), at(16, 0)) };
        if i == ON_LEAVE {
            out.insert(dept::nip(i), e);
            continue;
        }
        if let Some(t) = first_in {
            e.late = ((t - start).whole_minutes()).max(0) as u32;
            let tolerance = if dept::is_field(d) { 0 } else { 60 };
            if e.late > tolerance
                && let Some(b) = band(e.late)
            {
                bands.push(format!("TL{b}"));
            }
        }
        if let Some(t) = last_out {
            e.early = ((end - t).whole_minutes()).max(0) as u32;
            if let Some(b) = band(e.early) {
                bands.push(format!("PSW{b}"));
            }
            e.overtime = ((t - (end + Duration::minutes(180))).whole_minutes()).max(0) as u32;
        }
        e.bands = bands.join(" ");
        out.insert(dept::nip(i), e);
    }
    out
}

/// A blend of two photos (a morph): the real engine's score against the first person lands
/// between impostor and genuine. Searched once over the shared identities.
fn doubtful_probe(faces: &Faces, identity: usize, liveness_min: f32) -> Option<RgbImage> {
    let a = &faces.probes[identity];
    for other in (0..faces.probes.len()).filter(|o| *o != identity) {
        let b = image::imageops::resize(&faces.probes[other], a.width(), a.height(), image::imageops::FilterType::Triangle);
        for alpha in [0.55f32, 0.45, 0.65, 0.35] {
            let mut m = a.clone();
            for (p, q) in m.pixels_mut().zip(b.pixels()) {
                for c in 0..3 {
                    p.0[c] = (alpha * f32::from(p.0[c]) + (1.0 - alpha) * f32::from(q.0[c])).round() as u8;
                }
            }
            let r = analyse(&faces.engine, &m, std::slice::from_ref(&faces.templates[identity]));
            if let hadir_kiosk::face::FaceResult::Face { score, liveness, .. } = r {
                eprintln!("doubtful search: identity {identity} × {other} at {alpha}: {score:.1}% (liveness {liveness:.1})");
                if (52.0..78.0).contains(&score) && liveness >= liveness_min {
                    return Some(m);
                }
            }
        }
    }
    None
}

async fn an_office_day_at_the_seeds_scale(db: Db) {
    let started = std::time::Instant::now();
    let faces = dept::faces();
    let tmp = tempfile::tempdir().expect("temp dir");
    let clock = FrozenClock::at(ms(at(6, 0)));
    let wita = hadir_rules::SiteZone::parse("Asia/Makassar").expect("zone");
    let server = Server::start_in(db, clock.clone(), "127.0.0.1:0", wita).await;
    dept::seed(&server, &faces, clock.now_ms()).await;
    // Before the kiosks fetch their rosters: the guard's night and the approved sick day.
    let night = hadir_rules::WorkHours::new(time::macros::time!(22:00), time::macros::time!(06:00)).expect("night hours");
    let store = &server.dash.store;
    store
        .add_employee_schedule(&dept::nip(GUARD), DAY.date(), DAY.date(), &hadir_rules::WeeklySchedule::new([Some(night); 7]), "Satpam malam", "admin", clock.now_ms())
        .await
        .expect("store")
        .expect("no overlap");
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(clock.now_ms()) * 1_000_000).expect("now");
    let leave = store
        .file_leave(&dept::nip(ON_LEAVE), hadir_rules::Excused::Sakit, DAY.date(), DAY.date(), "Demam", None, "admin", now)
        .await
        .expect("file the leave");
    let supervisor = format!("kabid_{}", dept::section(ON_LEAVE).to_lowercase());
    assert!(store.decide_leave(leave, true, "Surat dokter menyusul", &supervisor, now).await.expect("decide"), "approved");
    let mut kiosks: Vec<SimKiosk> = dept::kiosks(&server, &faces, tmp.path(), &clock).await;
    for k in &kiosks {
        let field = k.device_id.starts_with('F');
        let same_site = (0..EMPLOYEES).filter(|i| dept::is_field(dept::device_of(*i)) == field).count();
        assert_eq!(k.kiosk.store.employee_count().unwrap() as usize, same_site, "{}: roster of its site", k.device_id);
    }
    eprintln!("set-up (models, seed, 38 enrolments and rosters): {:.1} s", started.elapsed().as_secs_f64());

    let doubtful_identity = DOUBTFUL % dept::IDENTITIES.len();
    let liveness_min = kiosks[0].cfg.flow.liveness_min;
    let morph = doubtful_probe(&faces, doubtful_identity, liveness_min)
        .expect("no morph of the shared photos scored in the doubtful band (50–80 %); the face models changed?");
    // The impostor: another identity's face with the victim's PIN.
    let impostor_face = faces.probes[(IMPOSTOR_VICTIM + 1) % dept::IDENTITIES.len()].clone();

    let steps = script();
    let mut offline_caught_up = false;
    let mut made = 0usize;
    for (i, s) in steps.iter().enumerate() {
        let d = dept::device_of(s.employee);
        if !offline_caught_up && s.at >= at(9, 0) {
            // K-02 comes back after two hours offline: its queue reaches the server.
            clock.set(ms(at(9, 0)));
            let queued = kiosks[OFFLINE_DEVICE].kiosk.store.queue_len().unwrap();
            assert!(queued > 0, "the offline kiosk queued its morning");
            let on_server = server.count("SELECT COUNT(*) FROM records WHERE device_id = $1", vec![dept::device_id(OFFLINE_DEVICE).into()]).await;
            assert_eq!(on_server, 0, "nothing of the offline kiosk reached the server while offline");
            let r = kiosks[OFFLINE_DEVICE].drain().await.expect("catch-up upload");
            assert_eq!(r.acknowledged as u64, queued);
            offline_caught_up = true;
        }
        clock.set(ms(s.at));
        let identity = s.employee % dept::IDENTITIES.len();
        let k = &mut kiosks[d];
        let pin = dept::pin(s.employee);
        let outcome = match s.act {
            Act::Genuine { gps } => {
                // Each unit stays where it is (the server flags a unit that moves faster than a
                // car between two people's records); a receiver never repeats a fix to the last
                // digit (the server flags one that does): each fix is a few centimetres from the
                // unit's previous one.
                let drift = i as f64 * 3e-7;
                let g = gps.then(|| k.fix_at(-7.80 + d as f64 * 1e-3 + drift, 110.36 + d as f64 * 1e-3, s.at));
                k.attempt(s.direction_in, &pin, &faces.probes[identity], FaceMode::Replay(faces.genuine[identity].clone()), g, s.at)
            }
            Act::Doubtful => k.attempt(s.direction_in, &pin, &morph, FaceMode::Real, None, s.at),
            Act::Impostor => k.attempt(s.direction_in, &pin, &impostor_face, FaceMode::Real, None, s.at),
            Act::NoFix => {
                // A field unit that needs a fix says so before the face step: nobody looks at
                // the camera for a record that cannot be made.
                let seen = k.stopped_at_place_notice(s.direction_in, &pin, None, s.at);
                assert_eq!(seen, PlaceVerdict::NoFix { can_continue: false }, "{}", dept::device_id(d));
                continue;
            }
        };
        let nip = dept::nip(s.employee);
        match (s.act, &outcome) {
            (Act::Genuine { gps }, Outcome::Recorded { band: Band::Valid, employee, .. }) if gps || dept::allows_without_fix(d) => {
                assert_eq!(employee.id, nip);
                made += 1;
            }
            (Act::Doubtful, Outcome::Recorded { band: Band::NeedsConfirmation, score, .. }) => {
                assert!((50.0..80.0).contains(score), "{score}");
                made += 1;
            }
            (Act::Impostor, Outcome::Refused { reason: Refusal::FaceMismatch, .. }) => {}
            (act, o) => panic!("{nip} at {} ({act:?}): unexpected outcome {o:?}", dept::device_id(d)),
        }
        let offline = d == OFFLINE_DEVICE && s.at >= at(7, 0) && s.at < at(9, 0);
        if !offline {
            clock.set(ms(s.at) + 1_000);
            k.drain().await.unwrap_or_else(|e| panic!("{}: upload: {e}", k.device_id));
        }
    }
    eprintln!("{} records made in {:.1} s", made, started.elapsed().as_secs_f64());

    // Tuesday morning, after the guard's OUT: every kiosk drains whatever is left.
    clock.set(ms(at(24 + 6, 30)));
    for k in &mut kiosks {
        k.drain().await.expect("evening upload");
        assert_eq!(k.kiosk.store.queue_len().unwrap(), 0, "{}: queue empty", k.device_id);
    }

    // On the server: every record once, signed chains without gaps, nothing quarantined.
    let stored = server.count("SELECT COUNT(*) FROM records", vec![]).await;
    assert_eq!(stored as usize, made, "each record stored exactly once");
    let events = server.count("SELECT COUNT(*) FROM chain_events", vec![]).await;
    assert_eq!(events, 0, "a normal day raises no chain events");
    let quarantined = server.count("SELECT COUNT(*) FROM quarantine", vec![]).await;
    assert_eq!(quarantined, 0);
    let photos = server.count("SELECT COUNT(*) FROM photos", vec![]).await;
    assert!(photos > 0, "evidence photos uploaded");
    // Field records say whether they had a fix.
    let with_fix = server.count("SELECT COUNT(*) FROM records WHERE mode = 'field' AND gps_lat_e7 IS NOT NULL", vec![]).await;
    let without_fix = server.count("SELECT COUNT(*) FROM records WHERE mode = 'field' AND gps_lat_e7 IS NULL", vec![]).await;
    let field_steps: Vec<&Step> = steps
        .iter()
        .filter(|s| dept::is_field(dept::device_of(s.employee)) && matches!(s.act, Act::Genuine { .. }))
        .collect();
    let no_fix_expected = field_steps.iter().filter(|s| matches!(s.act, Act::Genuine { gps: false })).count();
    assert_eq!(without_fix as usize, no_fix_expected, "records made without a fix say so");
    assert_eq!((with_fix + without_fix) as usize, field_steps.len());

    // The impostor is refused and audited on the kiosk; nothing was recorded for it.
    let k01 = &kiosks[0];
    let audit = k01.kiosk.store.audit_log().unwrap();
    assert!(
        audit.iter().any(|a| a.kind == "face_refused" && a.employee_id.as_deref() == Some(dept::nip(IMPOSTOR_VICTIM).as_str())),
        "impostor attempt audited: {audit:?}"
    );
    // The doubtful face waits in the confirmation queue.
    let pending = server.dash.store.pending_records().await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:#?}");
    assert_eq!(pending[0].employee_id, dept::nip(DOUBTFUL));

    // The recaps from the dashboard equal the script's expectation.
    let expected = expectation(&steps);
    let mut admin = DashClient::new(&server.url);
    admin.login("admin", dept::PASSWORD).await;
    let rows = admin.csv("/reports/date.csv?date=2026-03-02").await;
    assert_eq!(rows[0][1], "NIP");
    let mut got = BTreeMap::new();
    for r in &rows[1..] {
        got.insert(
            r[1].clone(),
            Expected {
                in_time: r[4].clone(),
                in_device: r[5].clone(),
                out_time: r[6].clone(),
                out_device: r[7].clone(),
                bands: r[9].clone(),
                late: r[10].parse().unwrap(),
                early: r[11].parse().unwrap(),
                overtime: r[12].parse().unwrap(),
                pending: r[13].parse().unwrap(),
            },
        );
    }
    assert_eq!(got.len(), EMPLOYEES);
    for (nip, e) in &expected {
        assert_eq!(got.get(nip), Some(e), "recap per date of {nip}");
    }
    let guard = &got[&dept::nip(GUARD)];
    assert_eq!((guard.in_time.as_str(), guard.out_time.as_str(), guard.late, guard.bands.as_str()), ("22:10", "06:05", 10, ""), "the night counts for Monday");
    assert_eq!(got[&dept::nip(ON_LEAVE)].bands, "", "an approved sick day is not absence");
    // Sanity of the scenario itself: every case is represented.
    let count = |f: &dyn Fn(&Expected) -> bool| expected.values().filter(|e| f(e)).count();
    assert!(count(&|e| e.late == 0 && e.in_time != "-") > 100, "on time");
    assert!(count(&|e| (1..=60).contains(&e.late) && !e.bands.contains("TL")) > 10, "late within tolerance");
    assert!(count(&|e| e.bands.contains("TL3") || e.bands.contains("TL4")) > 10, "late past tolerance");
    assert!(count(&|e| e.overtime > 0) > 10, "overtime");

    let tolerance: BTreeMap<String, u32> =
        (0..EMPLOYEES).map(|i| (dept::nip(i), if dept::is_field(dept::device_of(i)) { 0 } else { 60 })).collect();
    let rows = admin.csv("/reports/month.csv?year=2026&month=3").await;
    assert_eq!((rows[0][10].as_str(), rows[0][11].as_str()), ("Menit terlambat", "Menit lewat toleransi"));
    for r in &rows[1..] {
        let e = &expected[&r[1]];
        let tl: Vec<u32> = r[6..10].iter().map(|c| c.parse().unwrap()).collect();
        let psw: Vec<u32> = r[12..16].iter().map(|c| c.parse().unwrap()).collect();
        let mut want_tl = vec![0; 4];
        let mut want_psw = vec![0; 4];
        for b in e.bands.split_whitespace() {
            let n: usize = b[b.len() - 1..].parse().unwrap();
            if b.starts_with("TL") { want_tl[n - 1] += 1 } else { want_psw[n - 1] += 1 }
        }
        let marked_late = e.bands.contains("TL");
        let sick = r[1] == dept::nip(ON_LEAVE);
        assert_eq!(r[5], if sick { "0" } else { "1" }, "{}: present", r[1]);
        assert_eq!((r[18].as_str(), r[20].as_str()), ("0", if sick { "1" } else { "0" }), "{}: absent, sick", r[1]);
        assert_eq!(tl, want_tl, "{}: TL", r[1]);
        // One figure, one meaning: every minute from the scheduled start, as the per-date
        // recap says; past the mode's tolerance only on days marked late.
        assert_eq!(r[10], e.late.to_string(), "{}: minutes late", r[1]);
        let over = if marked_late && e.in_time != "-" { e.late - tolerance[&r[1]] } else { 0 };
        assert_eq!(r[11], over.to_string(), "{}: minutes past the tolerance", r[1]);
        assert_eq!(psw, want_psw, "{}: PSW", r[1]);
        assert_eq!(r[23], format!("{:.1}", f64::from(e.overtime) / 60.0), "{}: overtime hours", r[1]);
        assert_eq!(r[24], e.pending.to_string(), "{}: awaiting confirmation", r[1]);
    }
    assert_eq!(rows.len() - 1, EMPLOYEES);
    eprintln!("office day done in {:.1} s", started.elapsed().as_secs_f64());
}

hadir_e2e::on_both_backends!(an_office_day_at_the_seeds_scale);
