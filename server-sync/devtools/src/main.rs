//! `hadir-dev`: the development tools' command line.
//!
//! - `hadir-dev --config server.toml seed-demo …`: the demo department, into the database the
//!   server's configuration names (`cargo xtask demo` and the QEMU test run it).
//! - `hadir-dev bench …`: the ingest benchmarks (`cargo xtask bench` runs it).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hadir_devtools::{bench, demo};
use hadir_server::config::Config;
use hadir_server::migrations;
use hadir_server::storage::Store;
use std::path::PathBuf;

/// Hadir's development tools (not for production servers).
#[derive(Parser)]
#[command(name = "hadir-dev", version)]
struct Args {
    /// The server's configuration file (the database `seed-demo` fills).
    #[arg(long, global = true, default_value = "/etc/hadir/server.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Seed the demo department into a fresh database (SQLite or PostgreSQL) (`cargo xtask demo` runs this):
    /// sections, schedules, employees with PINs, dashboard logins, a board token and a month of
    /// signed records; writes the logins, PINs and board token to `--secrets`. Run again, it
    /// keeps the data and only adds what is asked (face templates) or shows today's records.
    SeedDemo {
        /// Where the demo's clear-text secrets (JSON) are written on first seeding.
        #[arg(long)]
        secrets: PathBuf,
        /// Employees to create.
        #[arg(long, default_value_t = 40)]
        employees: usize,
        /// Past days of records.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// A JPEG stored as the evidence photo of the records awaiting confirmation.
        #[arg(long)]
        evidence: Option<PathBuf>,
        /// A template set from `hadir-face enroll` to add to `--face-employee`.
        #[arg(long, requires = "face_employee")]
        face_templates: Option<PathBuf>,
        /// The employee the face templates belong to.
        #[arg(long)]
        face_employee: Option<String>,
        /// Print today's records (JSON) and change nothing.
        #[arg(long)]
        show_today: bool,
    },
    /// Measure, for SQLite and PostgreSQL: ingest throughput (signed records/s, batches of 100;
    /// `--records 0` skips it), the ZKTeco terminals' ATTLOG ingest (zk_lines_per_s) and the
    /// time to import 10,000 employees (employees_import_10k_ms).
    Bench {
        /// Records per backend.
        #[arg(long, default_value_t = 20_000)]
        records: usize,
        /// Devices uploading at once.
        #[arg(long, default_value_t = 8)]
        devices: usize,
        /// `sqlite`, `postgres` or `both`.
        #[arg(long, default_value = "both")]
        backend: String,
        /// ATTLOG lines per backend for the ZKTeco terminals' ingest (0: skip).
        #[arg(long, default_value_t = 20_000)]
        zk_lines: usize,
        /// Employees in the import benchmark (prints employees_import_10k_ms for 10,000).
        #[arg(long, default_value_t = 10_000)]
        employees: usize,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    match args.command {
        Cmd::Bench { records, devices, backend, zk_lines, employees } => {
            let (sqlite, postgres) = match backend.as_str() {
                "sqlite" => (true, false),
                "postgres" => (false, true),
                "both" => (true, true),
                other => bail!("--backend {other:?}: expected sqlite, postgres or both"),
            };
            let opts = bench::BenchOptions { records, devices, sqlite, postgres, ..Default::default() };
            let v = bench::verify_speed(5);
            println!(
                "signatures: {} each way, interleaved; building a prepared key {:.0} µs verify_strict_us={:.1} verify_prepared_us={:.1} verify_many_us={:.1}",
                v.signatures, v.prepare_us, v.strict_us, v.prepared_us, v.many_us
            );
            if records > 0 {
                for r in bench::run(&opts).await.context("ingest benchmark")? {
                    print!("{}", r.report());
                }
            }
            if zk_lines > 0 {
                for r in bench::run_zk(&opts, zk_lines).await.context("ZKTeco terminals' ingest benchmark")? {
                    print!("{}", r.report());
                }
            }
            let p = bench::plausibility_month();
            println!(
                "plausibility: {} records of 38 devices' month (359 employees, {} flagged) in {:.1} ms plausibility_records_per_s={:.0}",
                p.records,
                p.flagged,
                p.elapsed.as_secs_f64() * 1000.0,
                p.records as f64 / p.elapsed.as_secs_f64().max(1e-9)
            );
            let label = if employees == 10_000 { "employees_import_10k_ms".to_owned() } else { format!("employees_import_{employees}_ms") };
            for (backend, took) in bench::employees_import(employees, sqlite, postgres).await.context("employee import benchmark")? {
                println!("employees import {backend} {label}={}", took.as_millis());
            }
        }
        Cmd::SeedDemo { secrets, employees, days, evidence, face_templates, face_employee, show_today } => {
            let cfg = Config::load(&args.config)?;
            let store = cfg.open_store().await?;
            seed_demo(&store, SeedDemoArgs { secrets, employees, days, evidence, face_templates, face_employee, show_today }).await?;
        }
    }
    Ok(())
}

/// The arguments of `seed-demo`.
struct SeedDemoArgs {
    secrets: PathBuf,
    employees: usize,
    days: u32,
    evidence: Option<PathBuf>,
    face_templates: Option<PathBuf>,
    face_employee: Option<String>,
    show_today: bool,
}

async fn seed_demo(store: &Store, a: SeedDemoArgs) -> Result<()> {
    store.migrate(&migrations()).await.context("migrating")?;
    let opts = demo::DemoOptions { employees: a.employees, days: a.days, ..Default::default() };
    let now = time::OffsetDateTime::now_utc();
    if a.show_today {
        let today = demo::today_records(store, now, opts.utc_offset).await?;
        println!("{}", serde_json::to_string_pretty(&today)?);
        return Ok(());
    }
    if demo::seeded(store).await? {
        if !a.secrets.exists() {
            bail!("the database holds the demo but {} is missing: delete the demo's data folder and run again", a.secrets.display());
        }
        eprintln!("demo data already seeded; keeping it");
    } else {
        let evidence_jpeg = match &a.evidence {
            Some(p) => Some(std::fs::read(p).with_context(|| format!("reading --evidence {}", p.display()))?),
            None => None,
        };
        let secrets = demo::seed(store, &demo::DemoOptions { evidence_jpeg, ..opts }, now).await.context("seeding the demo")?;
        let text = serde_json::to_string_pretty(&secrets)?;
        write_private(&a.secrets, &text).with_context(|| format!("writing {}", a.secrets.display()))?;
        eprintln!("demo seeded: {} employees, {} records; secrets in {}", secrets.pins.len(), secrets.records, a.secrets.display());
    }
    if let (Some(path), Some(employee)) = (&a.face_templates, &a.face_employee) {
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let added = demo::add_face_templates(store, employee, path, now_ms).await?;
        let what = if added == 0 { "already on the server, kept".to_owned() } else { format!("{added} added") };
        eprintln!("face templates of {employee}: {what}");
    }
    Ok(())
}

/// Writes a file readable only by its owner (it holds passwords and PINs).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}
