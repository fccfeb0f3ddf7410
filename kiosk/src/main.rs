//! `hadir-kiosk`: the kiosk program. Thin: parses arguments, loads the configuration and
//! calls [`hadir_kiosk::run`]; test-support and benchmark modes call the library too.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hadir_kiosk::KioskConfig;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The Hadir attendance kiosk.
#[derive(Parser, Debug)]
#[command(name = "hadir-kiosk", version)]
struct Args {
    /// The TOML configuration file (every key has a default).
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    /// Simulated devices (a folder of face photos, scripted keys, replayed GPS).
    #[arg(long)]
    sim: bool,
    /// No screen: log what the screen would show (servers, tests, the device image's service).
    #[arg(long)]
    headless: bool,
    /// Render the touchscreen without a display and save it as `screen.png` in this folder on
    /// every change (used automatically, with a temporary folder, when no display exists).
    #[arg(long, value_name = "DIR", conflicts_with = "headless")]
    screens_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the benchmark figures (decision time, peak memory, record rate).
    Bench {
        /// Decision runs.
        #[arg(long, default_value_t = 20)]
        runs: u32,
        /// Records for the signing + storing rate.
        #[arg(long, default_value_t = 500)]
        records: u32,
        /// Enrolment photo (default: the shared faces' obama/obama.jpg).
        #[arg(long)]
        enrol: Option<PathBuf>,
        /// What the simulated camera shows (default: the shared faces' hard/obama-480p.jpg; the
        /// quality gate refuses obama2.jpg).
        #[arg(long)]
        probe: Option<PathBuf>,
    },
    /// Enrol an employee's face from photos (administrator; the kiosk's camera flow uses the
    /// same checks).
    Enrol {
        /// The employee id (must be in the roster).
        #[arg(long)]
        employee: String,
        /// Photos of the employee (three or more).
        photos: Vec<PathBuf>,
    },
    /// Print the Argon2 hash of a PIN read from standard input (for `device.admin_pin_hash`).
    HashPin,
    /// Check the store (integrity, hash chain, signatures) and print one line:
    /// `store_check integrity=.. chain=ok|<error> records=N unsent=N`; exit 1 unless both are ok.
    StoreCheck,
    /// Test support: make records in a loop, printing `saved seq=N` after each commit.
    #[command(hide = true)]
    CrashWriter {
        /// Data directory (store and device key).
        #[arg(long)]
        data: PathBuf,
        /// Stop after this many records.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Kill the crash writer at random points and check the store afterwards.
    CrashTest {
        /// Number of kills.
        #[arg(long, default_value_t = 200)]
        runs: u32,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Data directory (default: a new temporary directory).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

fn main() {
    #[cfg(feature = "ui")]
    if std::env::var_os(hadir_ui::fonts::FONTCONFIG_ENV).is_none() {
        // SAFETY: the first statement of `main`, before any thread exists, so nothing can read
        // the environment concurrently. fontconfig must see the UI's font or text panics.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(hadir_ui::fonts::FONTCONFIG_ENV, hadir_ui::fonts::fontconfig_file());
        }
    }
    if let Err(err) = real_main() {
        eprintln!("hadir-kiosk: error: {err:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args = Args::parse();
    match args.command {
        Some(Cmd::CrashWriter { data, limit }) => {
            std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
            let stdout = std::io::stdout();
            hadir_kiosk::crash::writer(&data, limit, &mut stdout.lock()).context("crash writer")
        }
        Some(Cmd::CrashTest { runs, seed, data }) => {
            let exe = std::env::current_exe().context("locating this binary")?;
            let tmp;
            let dir = match data {
                Some(d) => d,
                None => {
                    tmp = std::env::temp_dir().join(format!("hadir-crash-{}", std::process::id()));
                    tmp
                }
            };
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let report = hadir_kiosk::crash::run(&exe, &dir, runs, seed, hadir_kiosk::crash::DEFAULT_MAX_DELAY)?;
            println!("{report}");
            if !report.passed() {
                anyhow::bail!("crash test failed: {report}");
            }
            Ok(())
        }
        Some(Cmd::Bench { runs, records, enrol, probe }) => bench(runs, records, enrol, probe),
        Some(Cmd::Enrol { employee, photos }) => enrol(&load_config(args.config.as_deref())?, &employee, &photos),
        Some(Cmd::StoreCheck) => store_check(&load_config(args.config.as_deref())?),
        Some(Cmd::HashPin) => {
            let mut pin = String::new();
            std::io::stdin().read_line(&mut pin).context("reading the PIN from standard input")?;
            println!("{}", hadir_kiosk::runtime::hash_pin(pin.trim()));
            Ok(())
        }
        None if args.headless => run(&load_config(args.config.as_deref())?, args.sim),
        None => touch::run(load_config(args.config.as_deref())?, args.sim, args.screens_dir),
    }
}

fn load_config(path: Option<&std::path::Path>) -> Result<KioskConfig> {
    let mut cfg = match path {
        Some(p) => KioskConfig::load(p)?,
        None => KioskConfig::default(),
    };
    if let Some(ready) = std::env::var_os("HADIR_READY_FILE") {
        cfg.device.ready_file = Some(PathBuf::from(ready));
    }
    Ok(cfg)
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn models_dir(cfg: &KioskConfig) -> PathBuf {
    cfg.models
        .dir
        .clone()
        .or_else(|| std::env::var_os("HADIR_MODELS_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/onnx")))
}

#[cfg(feature = "models")]
fn face(cfg: &KioskConfig) -> Result<Box<dyn hadir_kiosk::face::FaceCheck>> {
    let dir = models_dir(cfg);
    let face = hadir_kiosk::face::ModelsFace::load_with_threads(&dir, cfg.models.threads)
        .with_context(|| format!("loading the face models from {} (run `cargo xtask setup`, or set models.dir)", dir.display()))?;
    Ok(Box::new(face))
}

#[cfg(not(feature = "models"))]
fn face(cfg: &KioskConfig) -> Result<Box<dyn hadir_kiosk::face::FaceCheck>> {
    anyhow::bail!(
        "this build has no face models (feature `models` off); rebuild with default features (models dir would be {})",
        models_dir(cfg).display()
    )
}

/// Headless: no screen, what it would show is logged.
fn run(cfg: &KioskConfig, sim: bool) -> Result<()> {
    init_logs();
    let display: Box<dyn hadir_kiosk::runtime::Display> =
        Box::new(hadir_kiosk::runtime::LogDisplay { language: cfg.device.language, shown: Vec::new() });
    let face = face(cfg)?;
    let devices = open_devices(cfg, sim, face, display)?;
    let shutdown = Arc::new(AtomicBool::new(false));
    stop_on_signals(shutdown.clone())?;
    hadir_kiosk::run(devices, cfg, shutdown)?;
    Ok(())
}

fn open_devices(
    cfg: &KioskConfig,
    sim: bool,
    face: Box<dyn hadir_kiosk::face::FaceCheck>,
    display: Box<dyn hadir_kiosk::runtime::Display>,
) -> Result<hadir_kiosk::Devices> {
    if sim {
        hadir_kiosk::devices::simulated(cfg, face, display).context("opening the simulated devices")
    } else {
        real_devices(cfg, face, display)
    }
}

/// The touchscreen: the Slint UI on this (the main) thread, the kiosk's loop on another.
#[cfg(feature = "ui")]
mod touch {
    use super::*;
    use hadir_ui::{ErrorKind, Screen, Ui};

    /// Whether a window can be opened: a windowing feature and (for winit) a display.
    fn has_display() -> bool {
        if cfg!(feature = "board") {
            return true;
        }
        cfg!(feature = "desktop") && (std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some())
    }

    pub fn run(cfg: KioskConfig, sim: bool, screens_dir: Option<PathBuf>) -> Result<()> {
        init_logs();
        let headless = match screens_dir {
            Some(dir) => Some(dir),
            None if has_display() => None,
            None => Some(std::env::temp_dir().join(format!("hadir-kiosk-screens-{}", std::process::id()))),
        };
        let rendering = match &headless {
            Some(dir) => {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                Some((hadir_ui::headless::install(800, 480).context("headless screen")?, dir.join("screen.png")))
            }
            None => None,
        };
        let ui = Ui::new().context("creating the touchscreen (with `desktop`, is a display reachable?)")?;
        ui.set_language(match cfg.device.language {
            hadir_kiosk::config::Language::Indonesian => hadir_ui::Language::Indonesian,
            hadir_kiosk::config::Language::English => hadir_ui::Language::English,
        })?;
        if let Some((display, path)) = &rendering {
            display.save_on_redraw(path.clone());
            println!("hadir-kiosk: no display: the screen is saved to {} on every change", path.display());
        }
        let display = hadir_kiosk::touch::UiDisplay::new(&ui, cfg.device.language);
        let remote = ui.remote();
        let shutdown = Arc::new(AtomicBool::new(false));
        stop_on_signals(shutdown.clone())?;
        let worker = {
            let shutdown = shutdown.clone();
            let remote = remote.clone();
            std::thread::Builder::new().name("kiosk".into()).spawn(move || {
                let result = kiosk_loop(&cfg, sim, display, &remote, &shutdown);
                if let Err(e) = &result {
                    tracing::error!(error = %format!("{e:#}"), "the kiosk cannot work; its error screen stays until it is stopped");
                    while !shutdown.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                    }
                }
                let _ = remote.quit();
                result
            })?
        };
        ui.run().context("the touchscreen's event loop")?;
        shutdown.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some((display, _)) = &rendering {
            if let Some(e) = display.last_save_error() {
                tracing::warn!(error = %e, "screen PNG not saved");
            }
        }
        worker.join().map_err(|_| anyhow::anyhow!("the kiosk thread panicked"))?
    }

    /// Opens models and devices (showing the error screen when one is missing) and runs.
    fn kiosk_loop(
        cfg: &KioskConfig,
        sim: bool,
        display: hadir_kiosk::touch::UiDisplay,
        remote: &hadir_ui::UiRemote,
        shutdown: &Arc<AtomicBool>,
    ) -> Result<()> {
        let error_screen = |kind, detail: String| {
            if let Err(e) = remote.set_screen(Screen::Error { kind, detail }) {
                tracing::error!(error = %e, "error screen not shown");
            }
        };
        let face = match face(cfg) {
            Ok(f) => f,
            Err(e) => {
                error_screen(ErrorKind::ModelsMissing, models_dir(cfg).display().to_string());
                return Err(e);
            }
        };
        let devices = match open_devices(cfg, sim, face, Box::new(display)) {
            Ok(d) => d,
            Err(e) => {
                error_screen(ErrorKind::CameraMissing, format!("{e:#}"));
                return Err(e);
            }
        };
        hadir_kiosk::run(devices, cfg, shutdown.clone()).map_err(|e| {
            error_screen(ErrorKind::StorageFailed, cfg.db_file().display().to_string());
            anyhow::Error::new(e)
        })
    }
}

/// Without the `ui` feature there is no touchscreen in this build.
#[cfg(not(feature = "ui"))]
mod touch {
    use super::*;

    /// A device whose kiosk was built without a screen still takes records (keypad, buzzer,
    /// LEDs): said once, then the same as `--headless`.
    pub fn run(cfg: KioskConfig, sim: bool, screens_dir: Option<PathBuf>) -> Result<()> {
        if screens_dir.is_some() {
            anyhow::bail!("this build has no touchscreen (feature `ui` off), so no screens to save: rebuild with `--features ui`");
        }
        eprintln!("hadir-kiosk: this build has no touchscreen (feature `ui` off): running without a screen, as with --headless");
        super::run(&cfg, sim)
    }
}

/// SIGTERM (init stopping the kiosk) and Ctrl-C set the shutdown flag; the loop then stops
/// between two events, so no record is cut in half (a record is one transaction anyway).
fn stop_on_signals(flag: Arc<AtomicBool>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("signal runtime")?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        rt.block_on(async {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        });
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    })?;
    Ok(())
}

#[cfg(feature = "devices")]
fn real_devices(
    cfg: &KioskConfig,
    face: Box<dyn hadir_kiosk::face::FaceCheck>,
    display: Box<dyn hadir_kiosk::runtime::Display>,
) -> Result<hadir_kiosk::Devices> {
    hadir_kiosk::devices::real(cfg, face, display).context("opening the devices (use --sim on a desktop)")
}

#[cfg(not(feature = "devices"))]
fn real_devices(
    _cfg: &KioskConfig,
    _face: Box<dyn hadir_kiosk::face::FaceCheck>,
    _display: Box<dyn hadir_kiosk::runtime::Display>,
) -> Result<hadir_kiosk::Devices> {
    anyhow::bail!("this build has no real device drivers (feature `devices` off); use --sim")
}

fn store_check(cfg: &KioskConfig) -> Result<()> {
    let identity = hadir_kiosk::identity::Identity::load_or_create(&cfg.key_file())?;
    let store = hadir_kiosk::store::Store::open(&cfg.db_file(), &identity)?;
    let integrity = store.integrity_check()?.replace(char::is_whitespace, "_");
    let (chain, records) = match store.verify_chain(&identity.key.public()) {
        Ok(n) => ("ok".to_string(), n),
        Err(e) => (e.to_string().replace(char::is_whitespace, "_"), store.record_count().unwrap_or(0)),
    };
    let unsent = store.queue_len()?;
    println!("store_check integrity={integrity} chain={chain} records={records} unsent={unsent}");
    if integrity != "ok" || chain != "ok" {
        anyhow::bail!("the store at {} failed its check", cfg.db_file().display());
    }
    Ok(())
}

fn enrol(cfg: &KioskConfig, employee: &str, photos: &[PathBuf]) -> Result<()> {
    init_logs();
    let mut face = face(cfg)?;
    let identity = hadir_kiosk::identity::Identity::load_or_create(&cfg.key_file())?;
    let mut store = hadir_kiosk::store::Store::open(&cfg.db_file(), &identity)?;
    let mut images = Vec::new();
    for p in photos {
        images.push(image::open(p).with_context(|| format!("reading {}", p.display()))?.to_rgb8());
    }
    let done = hadir_kiosk::enrol::enrol(&mut store, face.as_mut(), employee, &images)?;
    let now_ms = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    store.queue_template_upload(employee, &face.model_version(), now_ms)?;
    println!("enrolled {} with {} templates (queued for the server; the kiosk's sync sends them)", done.employee_id, done.templates);
    Ok(())
}

fn bench(runs: u32, records: u32, enrol: Option<PathBuf>, probe: Option<PathBuf>) -> Result<()> {
    use hadir_kiosk::bench;
    let dir = std::env::temp_dir().join(format!("hadir-kiosk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cfg = KioskConfig::default();
    let shared = std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let enrol_photo = enrol.unwrap_or_else(|| shared.join("faces/people/obama/obama.jpg"));
    let probe_photo = probe.unwrap_or_else(|| shared.join("faces/hard/obama-480p.jpg"));
    let read = |p: &PathBuf| -> Result<image::RgbImage> {
        Ok(image::open(p).with_context(|| format!("reading {} (set HADIR_SHARED_DIR to the shared test data)", p.display()))?.to_rgb8())
    };
    let (enrol_img, probe_img) = (read(&enrol_photo)?, read(&probe_photo)?);
    let face = face(&cfg)?;
    let (times, outcome) = bench::decision_ms(&dir, face, &enrol_img, &probe_img, runs)?;
    eprintln!("decision: {outcome}");
    if !outcome.starts_with("IN recorded") {
        anyhow::bail!("the benchmark's attempt made no record ({outcome}): use photos the quality gate accepts (--enrol, --probe)");
    }
    println!("kiosk decision_ms_median={:.0}", bench::median(&times.total));
    println!("kiosk decision_pin_ms_median={:.1}", bench::median(&times.pin));
    println!("kiosk decision_frames={}", times.frames);
    if let Some(mb) = bench::peak_rss_mb() {
        println!("kiosk peak_rss_mb={mb:.0}");
    }
    let rate = bench::records_per_s(&dir, records)?;
    println!("kiosk records_per_s={rate:.0}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
