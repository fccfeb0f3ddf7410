//! `hadir-server`: the central server binary. It parses arguments, reads the configuration and
//! calls the library; nothing here is worth testing on its own.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hadir_server::config::{Config, LogFormat, Validated};
use hadir_server::storage::Store;
use hadir_server::{AppState, enrolment, migrations, serve, system_clock};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "hadir-server", about = "Hadir central server: device API, ingest, dashboard")]
struct Args {
    /// The configuration file (TOML).
    #[arg(short, long, global = true, default_value = "/etc/hadir/server.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve HTTP (migrates the database first).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Create a one-time enrolment token for a new device and print it.
    EnrolToken {
        /// The device id its records will carry (e.g. KIOSK-PU-01).
        #[arg(long)]
        device_id: String,
        /// The site whose roster the device gets.
        #[arg(long)]
        site: String,
        /// `office` or `field`.
        #[arg(long)]
        mode: String,
    },
    /// Create the first administrator on a database that has none: the password is read from
    /// standard input (one line; asked twice, unseen, on a terminal).
    InitAdmin {
        /// The administrator's user name.
        #[arg(long, default_value = hadir_server::people::first_admin::DEFAULT_USERNAME)]
        username: String,
    },
    /// The office's sites: list them, add or rename one (before importing employees).
    #[command(subcommand)]
    Sites(SitesCmd),
    /// Employees: import from or export to a CSV or XLSX file.
    #[command(subcommand)]
    Employees(EmployeesCmd),
    /// The face-template key (`storage.template_key_path`).
    #[command(subcommand)]
    TemplateKey(TemplateKeyCmd),
    /// Revoke a device: its records are refused from now on.
    Revoke {
        /// The device id.
        device_id: String,
    },
    /// ZKTeco terminals: list, approve, revoke, set the clock, reboot.
    Zk {
        #[command(subcommand)]
        command: ZkCmd,
    },
}

#[derive(Subcommand)]
enum ZkCmd {
    /// List the terminals that made contact (pending ones first).
    List,
    /// Approve a terminal for a site: its held uploads become records, the site's roster is
    /// queued for it.
    Approve {
        /// The terminal's serial number.
        serial: String,
        /// The site it stands at.
        #[arg(long)]
        site: String,
    },
    /// Revoke a terminal: its uploads are refused from now on.
    Revoke {
        /// The terminal's serial number.
        serial: String,
    },
    /// Queue setting the terminal's clock to the server's time (site zone).
    SetTime {
        /// The terminal's serial number.
        serial: String,
    },
    /// Queue a reboot.
    Reboot {
        /// The terminal's serial number.
        serial: String,
    },
    /// Show a terminal's commands and their results.
    Commands {
        /// The terminal's serial number.
        serial: String,
    },
    /// Set an employee's terminal user number (the PIN on the terminals; default: the id).
    UserNumber {
        /// The employee id.
        employee: String,
        /// The PIN on the terminals.
        pin: String,
    },
}

#[derive(Subcommand)]
enum TemplateKeyCmd {
    /// Seal every face template and evidence photo again under a new key, then make it the key
    /// file's (the old key is kept as `<key file>.retired-<id>` for older backups). Stop the
    /// server first. Interrupted, run it again: it goes on where it stopped.
    Rotate,
}

#[derive(Subcommand)]
enum SitesCmd {
    /// Print every site: id, name, time zone, present employees.
    List,
    /// Add a site, or change its name and zone when the id exists.
    Put {
        /// The id (letters, digits, `-`, `_`): what kiosks are provisioned for and files name.
        id: String,
        /// The name people read.
        name: String,
        /// The site's IANA zone when it differs from `[site] time_zone` (Asia/Jakarta WIB,
        /// Asia/Makassar WITA, Asia/Jayapura WIT); left out: the server's.
        #[arg(long)]
        time_zone: Option<String>,
    },
}

#[derive(Subcommand)]
enum EmployeesCmd {
    /// Import a CSV or XLSX file (header row, one employee per row): prints `row N: reason`
    /// for each refused row and a last line with the counts. With a refused row nothing is
    /// written and the exit status is non-zero.
    Import {
        /// The file.
        file: PathBuf,
        /// Only show what would happen.
        #[arg(long)]
        dry_run: bool,
        /// Language of the reasons: `id` or `en`.
        #[arg(long, default_value = "id")]
        lang: String,
    },
    /// Export the present employees to FILE (`.xlsx` or `.csv`, by the name's extension), in
    /// the import's format.
    Export {
        /// The file to write.
        file: PathBuf,
    },
}

fn init_logs(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let cfg = Config::load(&args.config)?;
    init_logs(cfg.raw.log.format, &cfg.raw.log.filter);
    let store = cfg.open_store().await?;
    let clock = system_clock();
    match args.command {
        Cmd::Migrate => {
            let n = store.migrate(&migrations()).await.context("migrating")?;
            tracing::info!(applied = n, backend = store.backend_name(), "schema up to date");
        }
        Cmd::Serve => {
            store.migrate(&migrations()).await.context("migrating")?;
            if store.admin_names().await.context("looking for an administrator")?.is_empty() {
                tracing::warn!(
                    "no administrator account: the dashboard only explains how to make one; run `hadir-server init-admin` (the device API serves as usual)"
                );
            }
            let http_limits = cfg.http_limits();
            let mut dash_config = hadir_server::dashboard::DashboardConfig::from_table(&cfg.raw.dashboard)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("config {}", args.config.display()))?;
            let state = AppState {
                store: store.clone(),
                policy: cfg.policy,
                keys: Default::default(),
                clock: clock.clone(),
                max_body_bytes: cfg.raw.ingest.max_body_bytes,
                trusted_proxies: dash_config.trusted_proxies.clone(),
                refusals: Default::default(),
            };
            let listener = tokio::net::TcpListener::bind(cfg.listen)
                .await
                .with_context(|| format!("binding {} (config key `listen`)", cfg.listen))?;
            tracing::info!(addr = %cfg.listen, backend = state.store.backend_name(), "serving");
            // The zone of sites without their own, and of the dashboard's "today".
            dash_config.zone = cfg.zone.clone();
            let store_for_terminals = store.clone();
            // Refused uploads and failed sign-ins older than the administrator's retention go, hourly.
            let (pruning, prune_clock) = (store.clone(), clock.clone());
            tokio::spawn(async move {
                loop {
                    match pruning.prune_past_retention(prune_clock()).await {
                        Ok(p) if p == Default::default() => {}
                        Ok(p) => tracing::info!(refused_uploads = p.refused_uploads, failed_logins = p.failed_logins, "past their retention, deleted"),
                        Err(e) => tracing::error!(error = %e, "refused uploads and failed sign-ins not pruned"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                }
            });
            // One store for the device API and the dashboard, on either backend.
            let dash = hadir_server::dashboard::Dashboard::new(store, dash_config);
            let router = hadir_server::service(state, dash, http_limits);
            tracing::info!(addr = %cfg.listen, "dashboard at /");
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            let terminals = match (cfg.zkteco_listen, &cfg.raw.zkteco) {
                (Some(addr), Some(z)) => {
                    let limits = hadir_zkteco::Limits { max_body_bytes: z.max_body_bytes, ..Default::default() };
                    let zk_state = hadir_server::terminals::TerminalsState::new(store_for_terminals, cfg.zone.clone(), clock.clone(), limits)
                        .context("ZKTeco terminals ([zkteco])")?;
                    let zk_listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding {addr} (config key `zkteco.listen`)"))?;
                    tracing::info!(%addr, "ZKTeco terminals at /iclock/");
                    let router = hadir_server::limits::limited(hadir_server::terminals::http::router(zk_state), http_limits);
                    Some(tokio::spawn(serve(zk_listener, router, stopped(stop_rx.clone()))))
                }
                _ => None,
            };
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = stop_tx.send(true);
            });
            serve(listener, router, stopped(stop_rx)).await.context("serving HTTP")?;
            if let Some(t) = terminals {
                t.await.context("ZKTeco listener task")?.context("serving ZKTeco terminals")?;
            }
        }
        Cmd::EnrolToken { device_id, site, mode } => {
            let mode = hadir_protocol::Mode::parse(&mode).with_context(|| format!("--mode {mode:?}: expected office or field"))?;
            store.migrate(&migrations()).await.context("migrating")?;
            let ttl = cfg.raw.enrolment.token_ttl_hours;
            let token = enrolment::issue_token(&store, &device_id, &site, mode, ttl, clock()).await?;
            println!("{token}");
            eprintln!("one-time token for device {device_id} (site {site}, {}), valid {ttl} h", mode.as_str());
        }
        Cmd::InitAdmin { username } => {
            store.migrate(&migrations()).await.context("migrating")?;
            init_admin(&store, &username).await?;
        }
        Cmd::Sites(cmd) => {
            store.migrate(&migrations()).await.context("migrating")?;
            if let SitesCmd::Put { id, name, time_zone } = &cmd {
                hadir_server::storage::sites::check(id, name)?;
                let zone = hadir_server::storage::sites::check_zone(time_zone.as_deref().unwrap_or_default())?;
                store.put_site(id, name, zone.as_deref(), "command line", time::OffsetDateTime::now_utc()).await.context("saving the site")?;
            }
            for site in store.site_rows().await.context("reading the sites")? {
                let zone = site.time_zone.unwrap_or_else(|| format!("{} (server)", cfg.zone.name()));
                println!("{}\t{}\t{zone}\temployees={}", site.id, site.name, site.employees);
            }
        }
        Cmd::Employees(cmd) => {
            store.migrate(&migrations()).await.context("migrating")?;
            employees(&store, cmd).await?;
        }
        Cmd::TemplateKey(TemplateKeyCmd::Rotate) => {
            store.migrate(&migrations()).await.context("migrating")?;
            let key_path = cfg.raw.storage.template_key_path();
            let started = std::time::Instant::now();
            let done = hadir_server::storage::rotation::rotate(&store, &key_path)
                .await
                .with_context(|| format!("rotating the face-template key {}", key_path.display()))?;
            let r = done.resealed;
            let detail = format!(
                "key {} → {}: templates={} photos={} photos_from_clear={} unreadable={}",
                done.old_id, done.new_id, r.templates, r.photos, r.photos_from_clear, r.unreadable
            );
            store.audit("command line", "template_key_rotate", &detail, time::OffsetDateTime::now_utc()).await.context("writing the audit line")?;
            if r.unreadable > 0 {
                eprintln!("{} rows did not open with the old key (damaged before); they were left as they are", r.unreadable);
            }
            println!("old key kept as {}: keep it with the backups made before now, destroy it when they expire", done.retired.display());
            println!("template-key rotate: {detail} seconds={:.1}", started.elapsed().as_secs_f64());
        }
        Cmd::Revoke { device_id } => {
            if !store.revoke_device(&device_id, clock()).await? {
                bail!("no enrolled device {device_id:?}");
            }
            tracing::info!(device = %device_id, "device revoked");
        }
        Cmd::Zk { command } => zk(&store, &cfg, command, clock()).await?,
    }
    Ok(())
}

/// `hadir-server zk …`: thin glue over [`hadir_server::terminals`].
async fn zk(store: &Store, cfg: &Validated, command: ZkCmd, now: i64) -> Result<()> {
    use hadir_server::terminals;
    store.migrate(&migrations()).await.context("migrating")?;
    let limits = hadir_zkteco::Limits {
        max_body_bytes: cfg.raw.zkteco.as_ref().map_or(hadir_zkteco::Limits::DEFAULT_MAX_BODY_BYTES, |z| z.max_body_bytes),
        ..Default::default()
    };
    match command {
        ZkCmd::List => {
            let fmt = |t: Option<time::OffsetDateTime>| t.map_or_else(|| "-".to_owned(), |t| cfg.zone.local(t).to_string());
            for t in store.terminals().await? {
                println!(
                    "{}\t{}\tsite={}\tlast contact={}\tATTLOG={}\tOPERLOG={}\trecords={}\theld={}\tcommands={}\trefused lines={}",
                    t.serial,
                    t.state.as_str(),
                    t.site_id.as_deref().unwrap_or("-"),
                    fmt(t.last_seen),
                    t.attlog_stamp,
                    t.operlog_stamp,
                    t.records,
                    t.held_uploads,
                    t.open_commands,
                    t.refused_lines
                );
            }
        }
        ZkCmd::Approve { serial, site } => {
            let a = terminals::approve(store, &serial, &site, &store.site_zones(&cfg.zone).await?, &limits, now).await?;
            eprintln!(
                "terminal {serial} approved for site {site}: {} held upload(s) processed, {} record(s); roster: {} user(s) queued, {} deletion(s), {} skipped",
                a.held_uploads, a.records, a.roster.updated, a.roster.deleted, a.roster.skipped
            );
        }
        ZkCmd::Revoke { serial } => {
            if !terminals::revoke(store, &serial, now).await? {
                bail!("no terminal {serial:?} has contacted the server");
            }
            eprintln!("terminal {serial} revoked");
        }
        ZkCmd::SetTime { serial } => {
            terminals::queue_set_time(store, &serial, &store.site_zones(&cfg.zone).await?, now).await?;
            eprintln!("clock setting queued for {serial} (sent at its next poll)");
        }
        ZkCmd::Reboot { serial } => {
            terminals::queue_reboot(store, &serial, now).await?;
            eprintln!("reboot queued for {serial} (sent at its next poll)");
        }
        ZkCmd::Commands { serial } => {
            for c in store.terminal_commands(Some(&serial), 200).await? {
                println!("{}\t{}\t{}\t{}", c.id, c.state, c.command.replace('\t', " "), c.result.unwrap_or_default());
            }
        }
        ZkCmd::UserNumber { employee, pin } => {
            hadir_zkteco::Pin::new(&pin).with_context(|| format!("PIN {pin:?}"))?;
            store.set_terminal_user(&employee, &pin).await?;
            eprintln!("employee {employee} is user {pin} on the terminals");
        }
    }
    Ok(())
}

/// Reads the first administrator's password (twice and unseen on a terminal, else one line)
/// and makes the account.
async fn init_admin(store: &Store, username: &str) -> Result<()> {
    use hadir_server::people::first_admin;
    use std::io::{BufRead as _, IsTerminal as _};
    if let Some(existing) = store.admin_names().await?.into_iter().next() {
        bail!("an administrator account exists already ({existing}); add further accounts in the dashboard (Settings)");
    }
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = read_hidden("Kata sandi administrator / Administrator password: ")?;
        let again = read_hidden("Ulangi / Again: ")?;
        if first != again {
            bail!("the two passwords differ; nothing created");
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).context("reading the password from standard input")?;
        first_admin::password_line(&line).to_owned()
    };
    first_admin::create(store, username, &password, time::OffsetDateTime::now_utc()).await?;
    eprintln!("administrator {username} created; sign in to the dashboard");
    Ok(())
}

/// Reads a line from the terminal without echoing it (`stty -echo` around the read).
fn read_hidden(prompt: &str) -> Result<String> {
    use std::io::{BufRead as _, Write as _};
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let stty = |arg: &str| std::process::Command::new("stty").arg(arg).stdin(std::process::Stdio::inherit()).status();
    let hidden = stty("-echo").is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        let _ = stty("echo");
    }
    eprintln!();
    read.context("reading the password")?;
    Ok(hadir_server::people::first_admin::password_line(&line).to_owned())
}

/// `employees import` / `employees export`.
async fn employees(store: &Store, cmd: EmployeesCmd) -> Result<()> {
    use hadir_server::dashboard::i18n::Lang;
    use hadir_server::storage::people::ImportError;
    match cmd {
        EmployeesCmd::Import { file, dry_run, lang } => {
            let lang = Lang::parse(&lang);
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let by = "command line";
            let plan = match store.import_employees(&bytes, !dry_run, by, time::OffsetDateTime::now_utc()).await {
                Ok(plan) => plan,
                Err(ImportError::Refused(_, plan)) => {
                    print_import(&plan, lang);
                    bail!("rows refused: nothing written (fix the rows above and import again)");
                }
                Err(ImportError::File(e)) => bail!("{}: {}", file.display(), e.text(lang)),
                Err(e) => return Err(e).context("importing employees"),
            };
            print_import(&plan, lang);
        }
        EmployeesCmd::Export { file } => {
            use hadir_server::people::export;
            let people = store.active_people().await?;
            let xlsx = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let bytes = if xlsx { export::to_xlsx(&people)? } else { export::to_csv(&people) };
            std::fs::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("{} employees written to {}", people.len(), file.display());
        }
    }
    Ok(())
}

fn print_import(plan: &hadir_server::people::import::Plan, lang: hadir_server::dashboard::i18n::Lang) {
    print!("{}", plan.refusal_lines(lang));
    let t = plan.tally();
    println!("employees import: added={} updated={} unchanged={} refused={}", t.added, t.updated, t.unchanged, t.refused);
}

