//! `cargo xtask demo`: the main job for a new user — the central server with its embedded
//! SQLite, a kiosk with simulated devices, and the dashboard at a printed address.
//!
//! ## What it does
//! 1. Setup (packages, face models), then builds `hadir-server`, `hadir-kiosk` and `hadir-face`.
//! 2. `demo-data/` at the workspace root: the server's configuration and SQLite file, seeded
//!    once by `hadir-dev seed-demo` (sections, schedules, employees with PINs, dashboard
//!    logins, a board token, a month of signed records); its clear-text secrets in
//!    `demo-data/demo.json`. Running again reuses all of it.
//! 3. One demo employee gets a face: `hadir-face enroll` on photos of one person from
//!    `../shared/faces/people/`, added to the server's roster by `seed-demo --face-templates`,
//!    so the kiosk receives it with the roster like any template.
//! 4. The kiosk (`demo-data/kiosk/`): enrolled with a one-time token from
//!    `hadir-server enrol-token`, office mode, simulated camera (a folder with another photo of
//!    that person) and a scripted keypad that makes a MASUK and a PULANG for that employee.
//! 5. Starts both, prints the addresses, logins, PIN hints and log files; Ctrl-C stops both.
//!    The kiosk shows its touchscreen in a window when a display exists (`DISPLAY` or
//!    `WAYLAND_DISPLAY`; built with `hadir-kiosk/desktop`), and otherwise renders it headless
//!    and saves it as `demo-data/kiosk/screens/screen.png` on every change.
//!
//! `cargo xtask demo --check` does the same without waiting for a person: it waits until a
//! record made by the kiosk in this run is stored by the server, logs in to the dashboard with
//! the admin login and looks for it on today's page, checks that the kiosk's screen was saved,
//! prints what it saw, stops both programs and exits 0 (seen) or 1. It never opens a window.
//!
//! `HADIR_DEMO_BIN_DIR=DIR` takes `hadir-server`, `hadir-dev`, `hadir-kiosk` and `hadir-face` from DIR
//! instead of building them.
//!
//! It must not hold product logic: seeding is the development tools' (`hadir-dev seed-demo`), the kiosk is the
//! kiosk's; this file only writes configuration, runs programs and reads their answers.

use crate::setup;
use crate::shell::{self, Steps};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The kiosk's device id on the demo server.
const KIOSK_ID: &str = "KIOSK-DEMO-01";
/// The person whose photos play the demo employee's face.
const FACE_PERSON: &str = "obama";
/// How long `--check` waits for the kiosk's record.
const CHECK_TIMEOUT: Duration = Duration::from_secs(600);

/// Where everything of the demo lives.
struct Layout {
    data: PathBuf,
    server_toml: PathBuf,
    db: PathBuf,
    secrets: PathBuf,
    templates: PathBuf,
    logs: PathBuf,
    kiosk: PathBuf,
    kiosk_toml: PathBuf,
    kiosk_data: PathBuf,
    camera: PathBuf,
    token: PathBuf,
    ready: PathBuf,
    screens: PathBuf,
}

impl Layout {
    fn new(root: &Path) -> Layout {
        let data = root.join("demo-data");
        let kiosk = data.join("kiosk");
        Layout {
            server_toml: data.join("server.toml"),
            db: data.join("hadir.db"),
            secrets: data.join("demo.json"),
            templates: data.join("face-templates.json"),
            logs: data.join("logs"),
            kiosk_toml: kiosk.join("kiosk.toml"),
            kiosk_data: kiosk.join("data"),
            camera: kiosk.join("camera"),
            token: kiosk.join("enrol-token"),
            ready: kiosk.join("ready"),
            screens: kiosk.join("screens"),
            kiosk,
            data,
        }
    }
}

/// The built programs.
struct Bins {
    server: PathBuf,
    /// The development tools (`hadir-dev seed-demo`).
    dev: PathBuf,
    kiosk: PathBuf,
    face: PathBuf,
    /// Whether the kiosk opens a window (else it saves its screen as PNG).
    window: bool,
}

/// Whether a desktop session is there for the kiosk's window.
fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Sets up what is missing, seeds the demo once, then runs the server and a kiosk.
pub fn run(root: &Path) -> Result<()> {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let check = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => false,
        ["--check"] => true,
        _ => bail!("usage: cargo xtask demo [--check]"),
    };
    demo(root, check)
}

/// `cargo xtask demo --check`, as a step of `cargo xtask test`.
pub fn check(root: &Path) -> Result<()> {
    demo(root, true)
}

fn demo(root: &Path, check: bool) -> Result<()> {
    let mut steps = Steps::default();
    setup::run(root, &mut steps)?;
    let bins = build(root, &mut steps, !check && has_display())?;
    let l = Layout::new(root);
    let shared = shell::shared_dir(root);
    let person = shared.join("faces/people").join(FACE_PERSON);
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&person)
        .with_context(|| format!("reading {} (set HADIR_SHARED_DIR to the shared test data)", person.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "jpeg" || x == "png"))
        .collect();
    photos.sort();
    if photos.len() < 2 {
        bail!("{} needs at least two photos (enrolment and camera)", person.display());
    }
    // The camera shows the photo whose face fills most of its frame (a kiosk's camera sees a
    // face at arm's length, and the kiosk's quality gate asks a small face to come closer);
    // the others are the enrolment photos.
    let camera_photo = photos.remove(camera_choice(&bins, &root.join("models/onnx"), &photos)?);
    let evidence = shared.join("faces/people/biden/biden.jpg");

    let port = free_port()?;
    let mut secrets = Value::Null;
    steps.step("demo data (seeded once, then reused)", || {
        for d in [&l.data, &l.logs, &l.kiosk, &l.kiosk_data, &l.camera] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        write(&l.server_toml, &server_toml(&l, port))?;
        let mut seed = Command::new(&bins.dev);
        seed.arg("--config").arg(&l.server_toml).arg("seed-demo").arg("--secrets").arg(&l.secrets);
        if evidence.is_file() {
            seed.arg("--evidence").arg(&evidence);
        }
        shell::run(&mut seed)?;
        secrets = read_json(&l.secrets)?;
        let face_employee = text(&secrets, "face_employee")?;
        if !l.templates.is_file() {
            let mut enrol = Command::new(&bins.face);
            enrol.arg("--models").arg(root.join("models/onnx")).arg("enroll").arg("--name").arg(&face_employee);
            enrol.arg("--out").arg(&l.templates).args(&photos);
            shell::run(&mut enrol)?;
        }
        shell::run(
            Command::new(&bins.dev)
                .arg("--config")
                .arg(&l.server_toml)
                .arg("seed-demo")
                .arg("--secrets")
                .arg(&l.secrets)
                .arg("--face-templates")
                .arg(&l.templates)
                .arg("--face-employee")
                .arg(&face_employee),
        )?;
        if !l.token.is_file() {
            let token = shell::output(
                Command::new(&bins.server)
                    .arg("--config")
                    .arg(&l.server_toml)
                    .args(["enrol-token", "--device-id", KIOSK_ID, "--site", "DEMO", "--mode", "office"]),
            )?;
            write(&l.token, token.trim())?;
        }
        let shown = l.camera.join(camera_photo.file_name().context("camera photo has no name")?);
        std::fs::copy(&camera_photo, &shown).with_context(|| format!("copying {} to {}", camera_photo.display(), shown.display()))?;
        let pin = pin_of(&secrets, &face_employee)?;
        let token = std::fs::read_to_string(&l.token).with_context(|| format!("reading {}", l.token.display()))?;
        write(&l.kiosk_toml, &kiosk_toml(root, &l, port, token.trim(), &pin))?;
        Ok(())
    })?;
    steps.summary();
    if check { run_check(&l, &bins, port, &secrets) } else { run_interactive(&l, &bins, port, &secrets) }
}

/// Builds the programs, or takes them from `HADIR_DEMO_BIN_DIR` (prebuilt, e.g. release
/// builds) without building.
fn build(root: &Path, steps: &mut Steps, window: bool) -> Result<Bins> {
    if let Some(dir) = std::env::var_os("HADIR_DEMO_BIN_DIR").map(PathBuf::from) {
        let bins =
            Bins { server: dir.join("hadir-server"), dev: dir.join("hadir-dev"), kiosk: dir.join("hadir-kiosk"), face: dir.join("hadir-face"), window };
        for b in [&bins.server, &bins.dev, &bins.kiosk, &bins.face] {
            if !b.is_file() {
                bail!("HADIR_DEMO_BIN_DIR={}: {} is missing", dir.display(), b.display());
            }
        }
        println!("using the programs in HADIR_DEMO_BIN_DIR={} (not building)", dir.display());
        return Ok(bins);
    }
    // Exactly the test suite's build (same targets, so the same features unify), so that after
    // `cargo xtask test` nothing is compiled again and `demo --check` in the suite builds
    // nothing; a window adds Slint's winit backend.
    let mut args = HOST_BUILD.to_vec();
    if window {
        args.extend(["--features", "hadir-kiosk/desktop"]);
    }
    steps.step(&format!("build the workspace (hadir-server, hadir-kiosk{}, hadir-face)", if window { " with a window" } else { "" }), || {
        shell::run(crate::suite::cargo(root).args(&args))
    })?;
    let bin = |name: &str| debug_binary(root, name);
    Ok(Bins { server: bin("hadir-server"), dev: bin("hadir-dev"), kiosk: bin("hadir-kiosk"), face: bin("hadir-face"), window })
}

/// The one host build: every crate and test target of the workspace. The test suite, the demo
/// and `cargo xtask screenshots` all run it, so they share one set of compiled dependencies
/// (a build of `--bins` alone unifies features differently and compiles a second copy).
pub const HOST_BUILD: &[&str] = &["build", "--locked", "--workspace", "--all-targets"];

/// A binary of the host's debug build.
pub fn debug_binary(root: &Path, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() { target } else { root.join(target) };
    target.join("debug").join(name)
}

/// Index of the photo whose main face, free of quality issues, is widest relative to the
/// photo, as `hadir-face detect` sees it.
fn camera_choice(bins: &Bins, models: &Path, photos: &[PathBuf]) -> Result<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, photo) in photos.iter().enumerate() {
        let out = shell::output(Command::new(&bins.face).arg("--models").arg(models).arg("detect").arg(photo))?;
        let v: Value = serde_json::from_str(&out).with_context(|| format!("parsing `hadir-face detect {}`", photo.display()))?;
        let clean = v["issues"].as_array().is_some_and(Vec::is_empty);
        let face = v["subject"]["index"].as_u64().and_then(|k| v["faces"].get(k as usize)).map(|f| &f["box"]);
        let (Some(face), Some(width)) = (face, v["width"].as_f64()) else { continue };
        let share = (face["x2"].as_f64().unwrap_or(0.0) - face["x1"].as_f64().unwrap_or(0.0)) / width;
        if clean && best.is_none_or(|(_, b)| share > b) {
            best = Some((i, share));
        }
    }
    best.map(|(i, _)| i).context("no photo of the demo person has a clean face for the simulated camera")
}

/// 8080 when it is free, another free port otherwise.
fn free_port() -> Result<u16> {
    if TcpListener::bind(("127.0.0.1", 8080)).is_ok() {
        return Ok(8080);
    }
    let l = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port on 127.0.0.1")?;
    Ok(l.local_addr()?.port())
}

fn server_toml(l: &Layout, port: u16) -> String {
    format!(
        "# Written by `cargo xtask demo` on every run (the data is in hadir.db, kept).\n\
         listen = \"127.0.0.1:{port}\"\n\n[storage]\nbackend = \"sqlite\"\nsqlite_path = {}\n\n[log]\nfilter = \"info\"\n\n\
         # Plain HTTP on this machine only: cookies cannot be `Secure` here.\n\
         [dashboard]\nsecure_cookies = false\n",
        toml_str(&l.db)
    )
}

/// The kiosk's configuration: office mode, the server, simulated camera and keypad.
fn kiosk_toml(root: &Path, l: &Layout, port: u16, token: &str, pin: &str) -> String {
    // The scripted keypad types one key every 400 ms from start. A digit outside PIN entry
    // only wakes the choice screen (and is ignored there), so runs of `0` are pauses. First a
    // pause for the enrolment and the roster, then MASUK with the PIN, a retry a little later
    // (in case the roster was late), and PULANG.
    let pause = |secs: usize| "0".repeat(secs * 10 / 4);
    let keys = format!("{} A{pin} {} A{pin} {} B{pin}", pause(15), pause(40), pause(60));
    format!(
        "# Written by `cargo xtask demo` on every run (the kiosk's data is in data/, kept).\n\
         [device]\ndata_dir = {}\ntime_zone = \"Asia/Makassar\"\nlanguage = \"id\"\n\n\
         [policy]\nmode = \"office\"\n\n\
         [server]\nurl = \"http://127.0.0.1:{port}/\"\ninsecure_lan = true\nenrol_token = \"{token}\"\nroster_interval_s = 30\nupload_retry_s = 5\n\n\
         [sim]\nfaces_dir = {}\nkeys = \"{keys}\"\n\n\
         [models]\ndir = {}\n",
        toml_str(&l.kiosk_data),
        toml_str(&l.camera),
        toml_str(&root.join("models/onnx")),
    )
}

fn toml_str(p: &Path) -> String {
    Value::String(p.display().to_string()).to_string()
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn text(v: &Value, key: &str) -> Result<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned).with_context(|| format!("demo.json has no `{key}`"))
}

fn pin_of(secrets: &Value, employee: &str) -> Result<String> {
    secrets["pins"]
        .as_array()
        .and_then(|pins| pins.iter().find(|p| p["employee_id"] == employee))
        .and_then(|p| p["pin"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("demo.json has no PIN for {employee}"))
}

fn name_of(secrets: &Value, employee: &str) -> String {
    secrets["pins"]
        .as_array()
        .and_then(|pins| pins.iter().find(|p| p["employee_id"] == employee))
        .and_then(|p| p["name"].as_str())
        .unwrap_or("?")
        .to_owned()
}

/// What the user reads: addresses, logins, PIN hints, logs, and what does not work yet.
fn banner(l: &Layout, bins: &Bins, port: u16, secrets: &Value) -> String {
    let base = format!("http://127.0.0.1:{port}");
    let mut out = String::from("\n================ Hadir demo ================\n");
    out += &format!("Dashboard:   {base}/  (open it in a browser)\n");
    out += "Logins:\n";
    for login in secrets["logins"].as_array().into_iter().flatten() {
        let sections = login["sections"].as_array().map(|s| s.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","));
        out += &format!(
            "  {:<10} password {:<16} ({}{})\n",
            login["username"].as_str().unwrap_or("?"),
            login["password"].as_str().unwrap_or("?"),
            login["role"].as_str().unwrap_or("?"),
            sections.filter(|s| !s.is_empty()).map(|s| format!(", sections {s}")).unwrap_or_default()
        );
    }
    out += &format!("Late board:  {base}/board/{}\n", secrets["board_token"].as_str().unwrap_or("?"));
    let face = secrets["face_employee"].as_str().unwrap_or("?");
    out += &format!(
        "Kiosk ({KIOSK_ID}, office mode): the simulated camera shows {FACE_PERSON}'s photo; the face is enrolled for\n  \
         {} (NIP {face}), PIN {}. The scripted keypad makes a MASUK after ~15 s (again after ~55 s) and a PULANG after ~2 min.\n  \
         Other PINs (no face enrolled, so the kiosk refuses them with this camera):\n",
        name_of(secrets, face),
        pin_of(secrets, face).unwrap_or_default()
    );
    for p in secrets["pins"].as_array().into_iter().flatten().skip(1).take(3) {
        out += &format!(
            "    {} {} ({}): PIN {}\n",
            p["employee_id"].as_str().unwrap_or("?"),
            p["name"].as_str().unwrap_or("?"),
            p["section"].as_str().unwrap_or("?"),
            p["pin"].as_str().unwrap_or("?")
        );
    }
    out += &format!("  All PINs and passwords: {}\n", l.secrets.display());
    out += &if bins.window {
        "  The kiosk's touchscreen is a window on this display: click MASUK or PULANG and type a PIN.\n".to_owned()
    } else {
        format!(
            "  No display, so the kiosk's touchscreen is rendered headless and saved on every change to\n    {}\n",
            l.screens.join("screen.png").display()
        )
    };
    out += &format!(
        "Logs:        server {}\n             kiosk  {}\nData:        {} (delete it to start over)\n",
        l.logs.join("server.log").display(),
        l.logs.join("kiosk.log").display(),
        l.data.display()
    );
    out += "============================================\n";
    out
}

fn log_file(l: &Layout, name: &str) -> Result<std::fs::File> {
    let path = l.logs.join(name);
    std::fs::OpenOptions::new().create(true).append(true).open(&path).with_context(|| format!("opening {}", path.display()))
}

fn server_cmd(l: &Layout, bins: &Bins) -> Command {
    let mut c = Command::new(&bins.server);
    c.arg("--config").arg(&l.server_toml).arg("serve");
    c
}

fn kiosk_cmd(l: &Layout, bins: &Bins) -> Command {
    let mut c = Command::new(&bins.kiosk);
    c.arg("--config").arg(&l.kiosk_toml).arg("--sim").env("HADIR_READY_FILE", &l.ready);
    if !bins.window {
        c.arg("--screens-dir").arg(&l.screens);
    }
    c
}

/// Runs until Ctrl-C. xtask has no signal handling of its own (no libc), so it hands over to a
/// small shell that starts both programs, forwards SIGINT/SIGTERM to them and waits for both.
fn run_interactive(l: &Layout, bins: &Bins, port: u16, secrets: &Value) -> Result<()> {
    print!("{}", banner(l, bins, port, secrets));
    println!("Starting hadir-server and hadir-kiosk; Ctrl-C stops both.");
    std::io::stdout().flush().ok();
    let sh = format!(
        "trap 'kill -INT $s $k 2>/dev/null' INT TERM\n\
         {server} >>{slog} 2>&1 & s=$!\n\
         HADIR_READY_FILE={ready} {kiosk} >>{klog} 2>&1 & k=$!\n\
         echo \"hadir-server pid $s, hadir-kiosk pid $k\"\n\
         wait\n\
         while kill -0 $s 2>/dev/null || kill -0 $k 2>/dev/null; do wait; done\n\
         echo 'demo stopped (both programs exited); run `cargo xtask demo` again to continue with the same data'\n",
        server = shell_line(&server_cmd(l, bins)),
        ready = sh_quote(&l.ready.display().to_string()),
        kiosk = shell_line(&kiosk_cmd(l, bins)),
        slog = sh_quote(&l.logs.join("server.log").display().to_string()),
        klog = sh_quote(&l.logs.join("kiosk.log").display().to_string()),
    );
    use std::os::unix::process::CommandExt as _;
    let err = Command::new("sh").arg("-c").arg(sh).exec();
    Err(err).context("starting the demo's supervising shell (sh)")
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn shell_line(c: &Command) -> String {
    std::iter::once(c.get_program().to_string_lossy().into_owned())
        .chain(c.get_args().map(|a| a.to_string_lossy().into_owned()))
        .map(|a| sh_quote(&a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A child that is stopped with SIGINT (then killed) when dropped.
struct Managed {
    name: &'static str,
    child: Option<Child>,
}

impl Managed {
    fn spawn(name: &'static str, mut cmd: Command, log: std::fs::File) -> Result<Managed> {
        let err = log.try_clone()?;
        let child = cmd.stdin(Stdio::null()).stdout(log).stderr(err).spawn().with_context(|| format!("starting {name}"))?;
        Ok(Managed { name, child: Some(child) })
    }

    fn alive(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGINT, up to 20 s for a clean exit, then SIGKILL.
    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").arg("-INT").arg(child.id().to_string()).status();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop within 20 s of SIGINT; killing it", self.name);
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server run just long enough to ask it something.
struct Probe {
    server: Managed,
    port: u16,
}

impl Probe {
    fn start(l: &Layout, bins: &Bins, port: u16) -> Result<Probe> {
        Ok(Probe { server: Managed::spawn("hadir-server", server_cmd(l, bins), log_file(l, "server.log")?)?, port })
    }

    fn wait_ready(&mut self) -> Result<()> {
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if http_get(self.port, "/api/v1/time", None).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if !self.server.alive() {
                bail!("hadir-server exited at start (see demo-data/logs/server.log)");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("hadir-server did not answer on port {} within 60 s", self.port)
    }

    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.server.stop()
    }
}

/// Today's records of the kiosk, read by `hadir-dev seed-demo --show-today`.
fn kiosk_records_today(l: &Layout, bins: &Bins) -> Result<Vec<Value>> {
    let out = shell::output(Command::new(&bins.dev).arg("--config").arg(&l.server_toml).args([
        "seed-demo",
        "--secrets",
        &l.secrets.display().to_string(),
        "--show-today",
    ]))?;
    let all: Value = serde_json::from_str(&out).context("parsing seed-demo --show-today")?;
    Ok(all.as_array().into_iter().flatten().filter(|r| r["device_id"] == KIOSK_ID).cloned().collect())
}

fn run_check(l: &Layout, bins: &Bins, port: u16, secrets: &Value) -> Result<()> {
    let before = kiosk_records_today(l, bins)?.len();
    let _ = std::fs::remove_file(&l.ready);
    let _ = std::fs::remove_file(l.screens.join("screen.png"));
    let mut probe = Probe::start(l, bins, port)?;
    probe.wait_ready()?;
    print!("{}", banner(l, bins, port, secrets));
    let mut kiosk = Managed::spawn("hadir-kiosk", kiosk_cmd(l, bins), log_file(l, "kiosk.log")?)?;
    println!("check: waiting up to {} s for a new record from {KIOSK_ID} (today it had {before})", CHECK_TIMEOUT.as_secs());
    let started = Instant::now();
    let mut ready_at = None;
    let seen = loop {
        if ready_at.is_none() && l.ready.exists() {
            ready_at = Some(started.elapsed());
            println!("check: kiosk ready after {:.0} s", started.elapsed().as_secs_f64());
        }
        let records = kiosk_records_today(l, bins)?;
        if records.len() > before {
            break Some(records);
        }
        if !kiosk.alive() {
            println!("check: hadir-kiosk exited early (see {})", l.logs.join("kiosk.log").display());
            break None;
        }
        if !probe.server.alive() {
            println!("check: hadir-server exited early (see {})", l.logs.join("server.log").display());
            break None;
        }
        if started.elapsed() > CHECK_TIMEOUT {
            println!("check: no new record from the kiosk within {} s", CHECK_TIMEOUT.as_secs());
            break None;
        }
        std::thread::sleep(Duration::from_secs(3));
    };
    let mut ok = false;
    if let Some(records) = &seen {
        println!("check: the server stored the kiosk's record(s) after {:.0} s:", started.elapsed().as_secs_f64());
        for r in &records[before..] {
            println!("  {r}");
        }
        ok = true;
        let screen = l.screens.join("screen.png");
        match std::fs::read(&screen) {
            Ok(png) if png.starts_with(b"\x89PNG") => {
                println!("check: the kiosk's screen was saved ({} bytes): {}", png.len(), screen.display())
            }
            _ => {
                println!("check: FAILED: the kiosk's touchscreen was not saved to {}", screen.display());
                ok = false;
            }
        }
        match dashboard_today(port, secrets) {
            Ok(found) if found.is_empty() => {
                println!("check: FAILED: the admin's today page does not show the kiosk employee");
                ok = false;
            }
            Ok(found) => println!("check: the dashboard's today page (admin) shows: {found}"),
            Err(e) => {
                println!("check: FAILED: dashboard login or today page: {e:#}");
                ok = false;
            }
        }
    }
    let k = kiosk.stop();
    let s = probe.stop();
    println!("check: stopped hadir-kiosk ({}) and hadir-server ({})", status_text(k), status_text(s));
    for (name, st) in [("hadir-kiosk", k), ("hadir-server", s)] {
        if !st.is_some_and(|s| s.success()) {
            println!("check: FAILED: {name} did not exit cleanly on SIGINT");
            ok = false;
        }
    }
    if !ok {
        println!("check: logs in {}", l.logs.display());
        bail!("demo check failed");
    }
    println!("check: OK");
    Ok(())
}

fn status_text(s: Option<std::process::ExitStatus>) -> String {
    s.map_or("not waited".into(), |s| s.to_string())
}

/// Logs in as admin and returns the face employee's name if today's page shows it (empty if
/// not).
fn dashboard_today(port: u16, secrets: &Value) -> Result<String> {
    let admin = secrets["logins"]
        .as_array()
        .and_then(|ls| ls.iter().find(|x| x["role"] == "admin"))
        .context("demo.json has no admin login")?;
    let form = http_get(port, "/login", None)?;
    let pre = form.cookies.join("; ");
    let csrf = hidden_field(&form.body, "csrf").context("the login page has no csrf field")?;
    let body = format!(
        "username={}&password={}&csrf={}",
        form_escape(admin["username"].as_str().unwrap_or_default()),
        form_escape(admin["password"].as_str().unwrap_or_default()),
        form_escape(&csrf)
    );
    let login = http(port, "POST", "/login", Some(&pre), Some(&body))?;
    let session = login.cookies.iter().find(|c| c.starts_with("hadir_session=")).context(format!(
        "login as {} gave no session cookie (status {})",
        admin["username"], login.status
    ))?;
    let today = http_get(port, "/today", Some(session))?;
    if today.status != 200 {
        bail!("GET /today answered {}", today.status);
    }
    let face = secrets["face_employee"].as_str().unwrap_or_default();
    let name = name_of(secrets, face);
    Ok(if today.body.contains(&name) || today.body.contains(face) { format!("{name} ({face})") } else { String::new() })
}

fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..].split('"').next()?.to_owned())
}

fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A small HTTP/1.1 answer.
struct Reply {
    status: u16,
    cookies: Vec<String>,
    body: String,
}

fn http_get(port: u16, path: &str, cookie: Option<&str>) -> Result<Reply> {
    http(port, "GET", path, cookie, None)
}

/// One HTTP/1.0 request (so the answer is not chunked) over a fresh connection, enough for the demo's checks
/// without an HTTP client dependency.
fn http(port: u16, method: &str, path: &str, cookie: Option<&str>, form: Option<&str>) -> Result<Reply> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req += &format!("Cookie: {c}\r\n");
    }
    if let Some(f) = form {
        req += &format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", f.len());
    }
    req += "\r\n";
    req += form.unwrap_or_default();
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status")?;
    let cookies = head
        .lines()
        .filter_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case("set-cookie").then(|| v.trim().split(';').next().unwrap_or_default().to_owned())
        })
        .collect();
    Ok(Reply { status, cookies, body: body.to_owned() })
}
