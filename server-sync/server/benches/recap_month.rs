//! Benchmark: the monthly recap of 10,000 employees over 600,000 records, in SQLite and then in
//! PostgreSQL (a temporary cluster; skipped when its binaries are missing).
//!
//! Builds a department in a temporary SQLite file (20 sections, 10,000 employees on 5 sites,
//! 40 devices, March 2026 with a holiday, 600,000 records with late arrivals, early departures,
//! overtime and some awaiting confirmation), then times what the monthly recap page does:
//! load the context, read the month's records, judge every day of every employee, and build
//! the recap table. Prints one line per stage and, for scripts, `recap_month_10k_ms=N`.
//!
//! Then, on the same department, the dashboard under load: 50 supervisors (one section each,
//! signed in through the login form) request their today page and their month recap at once,
//! over real HTTP on 127.0.0.1; prints requests per second and the latency percentiles, and
//! `dashboard_load_<backend>_p99_ms=N`, and how many employee-months the report cache served
//! and judged (the server judges the current month at its first request, as in production).
//!
//! Run: `cargo bench -p hadir-server --bench recap_month`

use std::time::Instant;

use hadir_server::dashboard::i18n::Lang;
use hadir_server::storage::Store;
use hadir_pg_cluster::TempCluster;
use hadir_server::reports::month::{Context, Scope, month_recaps};
use hadir_server::reports::{month_table, xlsx};
use hadir_rules::{WeeklySchedule, WorkHours};
use rusqlite::params;
use time::macros::{date, time};
use time::{Month, UtcOffset};

const EMPLOYEES: usize = 10_000;
const RECORDS: usize = 600_000;

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bench.sqlite");
    // Multi-threaded: the load test runs the server and its 50 clients at once.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let store = rt.block_on(async {
        let st = Store::open_sqlite(&path).expect("open store");
        st.migrate(&hadir_server::migrations()).await.expect("migrate");
        st
    });
    let t0 = Instant::now();
    populate(&rt, &store);
    println!("populate: {EMPLOYEES} employees, {RECORDS} records in {:.1} s", t0.elapsed().as_secs_f64());
    let zones = || hadir_rules::SiteZones::single(hadir_rules::SiteZone::parse("Asia/Jakarta").expect("WIB"));

    // One warm-up (page cache), then three timed runs; the best is reported.
    let mut best = f64::MAX;
    for run in 0..4 {
        let t = Instant::now();
        let ctx = rt.block_on(Context::load(&store, &Scope::All, zones())).expect("context");
        let t_ctx = t.elapsed();
        let months = rt.block_on(month_recaps(&store, &ctx, 2026, Month::March)).expect("recap");
        let t_recap = t.elapsed();
        let rows: Vec<_> = months.into_iter().map(|(e, _, r)| (e, r)).collect();
        let table = month_table(Lang::Id, 2026, Month::March, &rows, &Default::default());
        let total = t.elapsed();
        assert_eq!(table.rows.len(), EMPLOYEES);
        if run > 0 {
            println!(
                "run {run}: context {:.0} ms, records + rules {:.0} ms, table {:.0} ms, total {:.0} ms",
                t_ctx.as_secs_f64() * 1e3,
                (t_recap - t_ctx).as_secs_f64() * 1e3,
                (total - t_recap).as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3
            );
            best = best.min(total.as_secs_f64() * 1e3);
        }
        if run == 3 {
            // Where the time goes: the SQLite read alone.
            let from = date!(2026 - 02 - 28).midnight().assume_utc();
            let to = date!(2026 - 04 - 02).midnight().assume_utc();
            let t = Instant::now();
            let p = rt.block_on(store.punches_by_employee(from, to)).expect("read");
            println!(
                "of which reading {} records from SQLite: {:.0} ms",
                p.values().map(Vec::len).sum::<usize>(),
                t.elapsed().as_secs_f64() * 1e3
            );
            let t = Instant::now();
            let bytes = xlsx::to_xlsx(&table, "Rekap", &Default::default()).expect("xlsx");
            println!("xlsx export of the recap: {:.0} ms, {} KiB", t.elapsed().as_secs_f64() * 1e3, bytes.len() / 1024);
        }
    }
    println!("recap_month_10k_ms={best:.0}");

    // What the dashboard's covering index costs the device API, and what it buys the recap:
    // 20,000 more records (April, out of the recap's month) inserted in one transaction as the
    // group-commit writer does, with the index and then without it; then the recap again.
    const EXTRA: usize = 20_000;
    let with = insert_extra(&store, "XA", EXTRA);
    sqlite(&store).execute_batch("DROP INDEX dash_records_by_time").expect("drop index");
    let without = insert_extra(&store, "XB", EXTRA);
    println!(
        "insert {EXTRA} records: {:.1} µs/record with dash_records_by_time, {:.1} µs/record without",
        with.as_secs_f64() * 1e6 / EXTRA as f64,
        without.as_secs_f64() * 1e6 / EXTRA as f64
    );
    let mut best_plain = f64::MAX;
    for run in 0..3 {
        let t = Instant::now();
        let ctx = rt.block_on(Context::load(&store, &Scope::All, zones())).expect("context");
        let months = rt.block_on(month_recaps(&store, &ctx, 2026, Month::March)).expect("recap");
        let rows: Vec<_> = months.into_iter().map(|(e, _, r)| (e, r)).collect();
        let table = month_table(Lang::Id, 2026, Month::March, &rows, &Default::default());
        assert_eq!(table.rows.len(), EMPLOYEES);
        if run > 0 {
            best_plain = best_plain.min(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!("recap_month_10k_no_covering_index_ms={best_plain:.0}");
    dashboard_load(&rt, &store, "sqlite");

    postgres(&rt, &store, zones);
}

/// The same department on PostgreSQL (copied from the SQLite file: the March records only, so
/// the covering index is there), then the recap again. Skipped when PostgreSQL's server binaries
/// are not installed.
fn postgres(rt: &tokio::runtime::Runtime, sqlite_store: &Store, zones: impl Fn() -> hadir_rules::SiteZones) {
    let cluster = match TempCluster::start(true) {
        Ok(c) => c,
        Err(e) => {
            println!("postgres: skipped ({e})");
            return;
        }
    };
    // Column vectors, as PostgreSQL's unnest() takes them.
    type Rows = (Vec<String>, Vec<i64>, Vec<String>, Vec<String>, Vec<i64>, Vec<String>, Vec<i32>, Vec<String>);
    type People = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);
    type Devices = (Vec<String>, Vec<String>, Vec<String>, Vec<i64>);
    let (people, devices, records): (People, Devices, Rows) = {
        let c = sqlite(sqlite_store);
        let mut p = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut st = c.prepare("SELECT employee_id, name, site_id, section_id FROM employees").expect("employees");
        let mut rows = st.query([]).expect("employees");
        while let Some(r) = rows.next().expect("employee") {
            p.0.push(r.get(0).expect("id"));
            p.1.push(r.get(1).expect("name"));
            p.2.push(r.get(2).expect("site"));
            p.3.push(r.get(3).expect("section"));
        }
        drop(rows);
        let mut d = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut st = c.prepare("SELECT device_id, site_id, mode, synced_until_ms FROM devices").expect("devices");
        let mut rows = st.query([]).expect("devices");
        while let Some(r) = rows.next().expect("device") {
            d.0.push(r.get(0).expect("id"));
            d.1.push(r.get(1).expect("site"));
            d.2.push(r.get(2).expect("mode"));
            d.3.push(r.get(3).expect("watermark"));
        }
        drop(rows);
        let mut x: Rows = Default::default();
        let mut st = c
            .prepare(
                "SELECT device_id, seq, employee_id, direction, recorded_at_ms, mode, match_score_bp, decision FROM records
                 WHERE device_id LIKE 'D%'",
            )
            .expect("records");
        let mut rows = st.query([]).expect("records");
        while let Some(r) = rows.next().expect("record") {
            x.0.push(r.get(0).expect("device"));
            x.1.push(r.get(1).expect("seq"));
            x.2.push(r.get(2).expect("employee"));
            x.3.push(r.get(3).expect("direction"));
            x.4.push(r.get(4).expect("at"));
            x.5.push(r.get(5).expect("mode"));
            x.6.push(r.get(6).expect("score"));
            x.7.push(r.get(7).expect("decision"));
        }
        (p, d, x)
    };
    let pg = rt.block_on(async {
        let url = cluster.create_database("recap").await.expect("database");
        let pg = Store::connect_postgres(&url).await.expect("connect");
        pg.migrate(&hadir_server::migrations()).await.expect("migrate");
        for sec in sqlite_store.sections().await.expect("sections") {
            pg.put_section(&sec.id, &sec.name, &sec.calendar.weekly).await.expect("section");
        }
        for (d, n) in sqlite_store.holidays().await.expect("holidays").iter() {
            pg.put_holiday(&hadir_server::storage::calendar::Holiday::everywhere(d, n, hadir_server::storage::calendar::HolidayKind::National)).await.expect("holiday");
        }
        let t = Instant::now();
        let c = pg.postgres().expect("postgres").lock().await;
        c.execute(
            "INSERT INTO employees (employee_id, name, site_id, section_id, revision)
             SELECT t.*, 1 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t",
            &[&people.0, &people.1, &people.2, &people.3],
        )
        .await
        .expect("employees");
        c.execute(
            "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                 synced_until_ms, last_seq, last_hash)
             SELECT d, s, m, 'pk', '0.1.0', 0, w, w, 0, '' FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS t(d, s, m, w)",
            &[&devices.0, &devices.1, &devices.2, &devices.3],
        )
        .await
        .expect("devices");
        const CHUNK: usize = 100_000;
        for i in (0..records.0.len()).step_by(CHUNK) {
            let j = (i + CHUNK).min(records.0.len());
            c.execute(
                "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                     match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                     clock_jumped, record_hash, signature, canonical, received_at_ms)
                 SELECT d, s, e, dir, a, 420, m, sc, 9500, dc, 'p', '0.1.0', 'm1', 'p', 0, d || '-' || s, 'sig', '\\x00'::bytea, a
                 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[], $8::text[])
                   AS t(d, s, e, dir, a, m, sc, dc)",
                &[
                    &&records.0[i..j],
                    &&records.1[i..j],
                    &&records.2[i..j],
                    &&records.3[i..j],
                    &&records.4[i..j],
                    &&records.5[i..j],
                    &&records.6[i..j],
                    &&records.7[i..j],
                ],
            )
            .await
            .expect("records");
        }
        c.batch_execute("VACUUM ANALYZE").await.expect("vacuum");
        println!("postgres: copied {} records in {:.1} s", records.0.len(), t.elapsed().as_secs_f64());
        drop(c);
        pg
    });
    let mut best = f64::MAX;
    for run in 0..4 {
        let t = Instant::now();
        let ctx = rt.block_on(Context::load(&pg, &Scope::All, zones())).expect("context");
        let months = rt.block_on(month_recaps(&pg, &ctx, 2026, Month::March)).expect("recap");
        let rows: Vec<_> = months.into_iter().map(|(e, _, r)| (e, r)).collect();
        let table = month_table(Lang::Id, 2026, Month::March, &rows, &Default::default());
        assert_eq!(table.rows.len(), EMPLOYEES);
        if run > 0 {
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let from = date!(2026 - 02 - 28).midnight().assume_utc();
    let to = date!(2026 - 04 - 02).midnight().assume_utc();
    let t = Instant::now();
    let p = rt.block_on(pg.punches_by_employee(from, to)).expect("read");
    println!(
        "postgres: of which reading {} records: {:.0} ms",
        p.values().map(Vec::len).sum::<usize>(),
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("recap_month_10k_pg_ms={best:.0}");
    dashboard_load(rt, &pg, "postgres");
}

/// Inserts `n` April records of a new device in one transaction; returns the time taken.
/// The SQLite connection (this benchmark writes records as the device API's writer does).
fn sqlite(store: &Store) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
    store.sqlite().expect("the benchmark's store is SQLite").lock()
}

fn insert_extra(store: &Store, device: &str, n: usize) -> std::time::Duration {
    let april = date!(2026 - 04 - 06).midnight().assume_offset(UtcOffset::from_hms(7, 0, 0).expect("offset"));
    let base_ms = (april.unix_timestamp_nanos() / 1_000_000) as i64;
    let photo = "00".repeat(32);
    let mut c = sqlite(store);
    let t = Instant::now();
    let tx = c.transaction().expect("tx");
    {
        let mut st = tx
            .prepare(
                "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                     match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                     clock_jumped, record_hash, signature, canonical, received_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 420, 'office', 9200, 9500, 'valid', ?6, '0.1.0', 'm1', ?6, 0, ?6, 'sig', x'00', ?5)",
            )
            .expect("prepare");
        for i in 0..n {
            let at = base_ms + (i as i64 % 10_000) * 7_000 + (i as i64 / 10_000) * 86_400_000;
            st.execute(params![device, i as i64 + 1, format!("E{:05}", i % EMPLOYEES), if i % 2 == 0 { "in" } else { "out" }, at, photo])
                .expect("record");
        }
    }
    tx.commit().expect("commit");
    t.elapsed()
}

fn populate(rt: &tokio::runtime::Runtime, store: &Store) {
    let h = WorkHours::new(time!(07:30), time!(16:00)).expect("hours");
    let fri = WorkHours::new(time!(07:30), time!(16:30)).expect("hours");
    for s in 0..20 {
        rt.block_on(store.put_section(
            &format!("S{s:02}"),
            &format!("Bidang {s}"),
            &WeeklySchedule::new([Some(h), Some(h), Some(h), Some(h), Some(fri), None, None]),
        ))
        .expect("section");
    }
    rt.block_on(store.put_holiday(&hadir_server::storage::calendar::Holiday::everywhere(date!(2026 - 03 - 19), "Nyepi", hadir_server::storage::calendar::HolidayKind::National))).expect("holiday");
    let mut c = sqlite(store);
    let tx = c.transaction().expect("tx");
    let base = date!(2026 - 03 - 01).midnight().assume_offset(UtcOffset::from_hms(7, 0, 0).expect("offset"));
    let base_ms = (base.unix_timestamp_nanos() / 1_000_000) as i64;
    for d in 0..40 {
        tx.execute(
            "INSERT INTO devices (device_id, site_id, mode, public_key, app_version, enrolled_at_ms, last_seen_ms,
                 synced_until_ms, last_seq, last_hash) VALUES (?1, ?2, ?3, 'pk', '0.1.0', 0, ?4, ?4, 0, '')",
            params![format!("D{d:02}"), format!("SITE{}", d % 5), if d % 4 == 0 { "field" } else { "office" }, base_ms + 40 * 86_400_000],
        )
        .expect("device");
    }
    for e in 0..EMPLOYEES {
        tx.execute(
            "INSERT INTO employees (employee_id, name, site_id, section_id, revision) VALUES (?1, ?2, ?3, ?4, 1)",
            params![format!("E{e:05}"), format!("Pegawai {e}"), format!("SITE{}", e % 5), format!("S{:02}", e % 20)],
        )
        .expect("employee");
    }
    // Working days of March 2026 except the holiday: 21. 60 records per employee: IN and OUT
    // every working day, and on 9 of them a lunch OUT and a second IN.
    let working: Vec<i64> = (1..=31)
        .filter(|d| {
            let wd = (d + 5) % 7; // 1 March 2026 is a Sunday
            wd < 5 && *d != 19
        })
        .collect();
    let mut st = tx
        .prepare(
            "INSERT INTO records (device_id, seq, employee_id, direction, recorded_at_ms, utc_offset_min, mode,
                 match_score_bp, liveness_score_bp, decision, photo_sha256, app_version, model_version, prev_hash,
                 clock_jumped, record_hash, signature, canonical, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 420, ?6, ?7, 9500, ?8, ?9, '0.1.0', 'm1', ?9, 0, ?9, 'sig', x'00', ?5)",
        )
        .expect("prepare");
    let mut seq = [0i64; 40];
    let mut n = 0;
    let photo = "00".repeat(32);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for e in 0..EMPLOYEES {
        let dev = (e % 5) + 5 * ((e / 5) % 8);
        let field = dev % 4 == 0;
        for (k, day) in working.iter().enumerate() {
            let r = rnd();
            let in_min = 7 * 60 + (r % 150) as i64; // 07:00–09:29
            let out_min = 15 * 60 + ((r >> 8) % 360) as i64; // 15:00–20:59
            let score = if (r >> 20) % 50 == 0 { 7000 } else { 9200 };
            let mut punches = vec![("in", in_min), ("out", out_min)];
            if k < 9 {
                punches.extend([("out", 12 * 60), ("in", 13 * 60)]);
            }
            for (dir, m) in punches {
                seq[dev] += 1;
                st.execute(params![
                    format!("D{dev:02}"),
                    seq[dev],
                    format!("E{e:05}"),
                    dir,
                    base_ms + (day - 1) * 86_400_000 + m * 60_000,
                    if field { "field" } else { "office" },
                    score,
                    if score >= 8000 { "valid" } else { "needs_confirmation" },
                    photo
                ])
                .expect("record");
                n += 1;
            }
        }
    }
    assert_eq!(n, RECORDS, "the bench promises {RECORDS} records");
    drop(st);
    tx.commit().expect("commit");
}

/// Supervisors signed in at once.
const SUPERVISORS: usize = 50;
/// Page pairs (today + month recap) each supervisor requests.
const ROUNDS: usize = 5;

/// 50 supervisors, one section each, request their today page and month recap at once over
/// HTTP; prints throughput and latency percentiles.
fn dashboard_load(rt: &tokio::runtime::Runtime, store: &Store, backend: &str) {
    use hadir_server::dashboard::auth::hash_password;
    use hadir_server::dashboard::{Dashboard, DashboardConfig};
    use hadir_server::storage::accounts::Role;
    const PASSWORD: &str = "beban-uji-dasbor-50";
    let pw = hash_password(PASSWORD).expect("hash");
    // An office has an administrator: without one the dashboard only says how to make one.
    rt.block_on(store.add_user("admin", &pw, Role::Admin, &[])).expect("administrator");
    for i in 0..SUPERVISORS {
        rt.block_on(store.add_user(&format!("kabid{i:02}"), &pw, Role::Supervisor, &[format!("S{:02}", i % 20).as_str()])).expect("user");
    }
    let config = DashboardConfig { secure_cookies: false, zone: hadir_rules::SiteZone::parse("Asia/Jakarta").expect("WIB"), ..DashboardConfig::default() };
    let now = date!(2026 - 03 - 31).with_hms(10, 0, 0).expect("time").assume_offset(config.zone.offset());
    let dash = Dashboard::with_clock(store.clone(), config, std::sync::Arc::new(move || now));
    let app = hadir_server::dashboard::router(std::sync::Arc::clone(&dash));
    let (mut latencies, wall) = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        // Sign everyone in first (Argon2 is not what is measured).
        let mut sessions = Vec::new();
        for i in 0..SUPERVISORS {
            sessions.push(sign_in(&base, &format!("kabid{i:02}"), PASSWORD).await);
        }
        let t = Instant::now();
        let mut tasks = Vec::new();
        for (client, cookie) in sessions {
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..ROUNDS {
                    for path in ["/today?date=2026-03-16", "/reports?year=2026&month=3"] {
                        let t = Instant::now();
                        let r = client.get(format!("{base}{path}")).header("cookie", &cookie).send().await.expect("request");
                        assert!(r.status().is_success(), "{path}: {}", r.status());
                        let body = r.text().await.expect("body");
                        assert!(body.contains("Bidang"), "{path} shows the section");
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                }
                times
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("client"));
        }
        (all, t.elapsed())
    });
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    println!(
        "dashboard load ({backend}): {SUPERVISORS} supervisors, {} requests in {:.1} s = {:.0} requests/s; latency p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    // The first request (a login page) started judging the month ahead, as in production.
    let cache = dash.reports.stats();
    println!("dashboard load ({backend}): report cache {} employee-months served, {} judged", cache.hits, cache.misses);
    println!("dashboard_load_{backend}_requests_per_s={:.0}", latencies.len() as f64 / wall.as_secs_f64());
    println!("dashboard_load_{backend}_p99_ms={:.0}", pct(0.99));
}

/// Signs in through the login form (pre-login cookie and token, then the session cookie).
async fn sign_in(base: &str, user: &str, password: &str) -> (reqwest::Client, String) {
    let client = hadir_client::trust::client_builder(&hadir_client::ServerTrust::InsecureLan).expect("HTTP client").build().expect("client");
    let page = client.get(format!("{base}/login")).send().await.expect("login page");
    let cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned)).collect()
    };
    let pre = cookies(&page).join("; ");
    let html = page.text().await.expect("login html");
    let csrf = html.split(r#"name="csrf" value=""#).nth(1).and_then(|t| t.split('"').next()).expect("csrf field").to_owned();
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str()), ("username", user), ("password", password)]))
        .send()
        .await
        .expect("login");
    let session = cookies(&r).into_iter().find(|c| c.starts_with("hadir_session=")).unwrap_or_else(|| panic!("{user}: no session ({})", r.status()));
    (client, session)
}

/// An `application/x-www-form-urlencoded` body.
fn form(fields: &[(&str, &str)]) -> String {
    let enc = |v: &str| -> String {
        v.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}
