//! `hadir-hal`: a technician's tool to try the devices one by one.
//!
//! Argument parsing and printing only; the devices live in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hadir_hal::clock::SystemClock;
use hadir_hal::camera::{Camera, FolderCamera};
use hadir_hal::gps::{Fix, Gps, ReplayGps, ReplayPace};
use hadir_hal::keypad::{Keypad, ScriptedKeypad};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "hadir-hal", about = "Try the kiosk's devices: GPS, camera, keypad")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GPS receiver and captures.
    Gps {
        #[command(subcommand)]
        command: GpsCommand,
    },
    /// Cameras.
    Camera {
        #[command(subcommand)]
        command: CameraCommand,
    },
    /// Keypads.
    Keypad {
        #[command(subcommand)]
        command: KeypadCommand,
    },
    /// Publishes the screen's touch and pointer devices in udev's database for libinput, on a
    /// board without udevd (run at start and by mdev when an input device appears).
    TouchInput {
        /// The kernel's input class in sysfs.
        #[arg(long, default_value = "/sys/class/input")]
        sys: PathBuf,
        /// udev's database directory.
        #[arg(long, default_value = "/run/udev/data")]
        db: PathBuf,
    },
    /// Measures frame conversion speed (YUYV and MJPEG to RGB) and prints a table.
    Bench {
        /// Frame width.
        #[arg(long, default_value_t = 640)]
        width: u32,
        /// Frame height.
        #[arg(long, default_value_t = 480)]
        height: u32,
        /// Conversions per measurement.
        #[arg(long, default_value_t = 200)]
        iterations: u32,
    },
}

#[derive(Subcommand)]
enum CameraCommand {
    /// Lists the video capture devices and the pixel formats they offer.
    List,
    /// Grabs one frame and saves it as PNG.
    Grab {
        /// Output file (.png).
        #[arg(long)]
        out: PathBuf,
        /// Video device.
        #[arg(long, default_value = "/dev/video0")]
        device: String,
        /// Take the frame from a folder of images instead (simulated camera).
        #[arg(long, conflicts_with = "device")]
        folder: Option<PathBuf>,
        /// Requested width.
        #[arg(long, default_value_t = 640)]
        width: u32,
        /// Requested height.
        #[arg(long, default_value_t = 480)]
        height: u32,
        /// Frames to skip first (auto-exposure settles).
        #[arg(long, default_value_t = 5)]
        skip: u32,
        /// Draw the guide oval on the saved frame.
        #[arg(long)]
        guide: bool,
    },
}

#[derive(Subcommand)]
enum KeypadCommand {
    /// Prints keys as they are pressed (Ctrl-C to stop).
    Watch {
        /// A USB keypad's input device, e.g. /dev/input/event0.
        #[arg(long, conflicts_with_all = ["rows", "script"])]
        evdev: Option<String>,
        /// Matrix row pins (BCM), comma-separated, e.g. 5,6,13,19.
        #[arg(long, value_delimiter = ',', requires = "cols")]
        rows: Vec<u8>,
        /// Matrix column pins (BCM), comma-separated, e.g. 12,16,20.
        #[arg(long, value_delimiter = ',')]
        cols: Vec<u8>,
        /// Simulated keypad: type these keys, one every 300 ms.
        #[arg(long)]
        script: Option<String>,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long)]
        seconds: Option<u64>,
    },
}

#[derive(Subcommand)]
enum GpsCommand {
    /// Prints one JSON line per fix of an NMEA capture (or, with --check, what is implausible).
    Replay {
        /// The capture file.
        file: PathBuf,
        /// Release fixes at the capture's own pace instead of as fast as possible.
        #[arg(long)]
        realtime: bool,
        /// Check the fixes for what a real receiver would not send: one line per flag (fix
        /// time, flag, figures), then `gps_check fixes=N flags=M`.
        #[arg(long, conflicts_with = "realtime")]
        check: bool,
        /// With --check: fastest believable speed between fixes, m/s.
        #[arg(long, requires = "check")]
        max_speed_mps: Option<f64>,
        /// With --check: the device clock (RFC 3339) when the capture's first fix arrived; the
        /// capture is taken as recorded in real time from there.
        #[arg(long, requires = "check")]
        device_time: Option<String>,
    },
}

/// The JSON line of one fix.
#[derive(serde::Serialize)]
struct FixLine {
    time: String,
    lat: f64,
    lon: f64,
    alt: Option<f64>,
    mode: hadir_hal::gps::FixMode,
    sats: Option<u32>,
    hdop: Option<f32>,
    hdop_centi: Option<u16>,
}

fn fix_line(fix: &Fix) -> Result<String> {
    let time = fix.time.format(&time::format_description::well_known::Rfc3339)?;
    Ok(serde_json::to_string(&FixLine {
        time,
        lat: fix.lat,
        lon: fix.lon,
        alt: fix.alt,
        mode: fix.mode,
        sats: fix.sats,
        hdop: fix.hdop,
        hdop_centi: fix.hdop_centi,
    })?)
}

/// `gps replay --check`: runs every fix of the capture through the plausibility checker.
fn gps_check(file: PathBuf, max_speed_mps: Option<f64>, device_time: Option<String>) -> Result<()> {
    use hadir_hal::gps::plausibility::{CheckConfig, Checker};
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let device_start = device_time
        .map(|t| time::OffsetDateTime::parse(&t, rfc3339).with_context(|| format!("--device-time {t:?} is not RFC 3339")))
        .transpose()?;
    let defaults = CheckConfig::default();
    let config = CheckConfig { max_speed_mps: max_speed_mps.unwrap_or(defaults.max_speed_mps), ..defaults };
    let mut checker = Checker::new(config)?;
    let mut gps = ReplayGps::open(&file, ReplayPace::AsFastAsPossible, Duration::from_secs(5), Arc::new(SystemClock))
        .with_context(|| format!("opening {}", file.display()))?;
    let mut out = std::io::stdout().lock();
    let (mut fixes, mut flags) = (0u64, 0u64);
    let mut first = None;
    while let Some(decoded) = gps.next_epoch()? {
        fixes += 1;
        let first_time = *first.get_or_insert(decoded.fix.time);
        let device = device_start.map(|start| start + (decoded.fix.time - first_time));
        for finding in checker.check(&decoded, device) {
            flags += 1;
            writeln!(out, "{} {}", finding.time.format(rfc3339)?, finding.flag)?;
        }
    }
    writeln!(out, "gps_check fixes={fixes} flags={flags}")?;
    eprintln!("{}: {:?}", file.display(), gps.stats());
    Ok(())
}

fn gps_replay(file: PathBuf, realtime: bool) -> Result<()> {
    let pace = if realtime { ReplayPace::Recorded } else { ReplayPace::AsFastAsPossible };
    let mut gps = ReplayGps::open(&file, pace, Duration::from_secs(5), Arc::new(SystemClock))
        .with_context(|| format!("opening {}", file.display()))?;
    let mut out = std::io::stdout().lock();
    if realtime {
        let mut last = None;
        while !gps.finished() {
            if let Some(fix) = gps.fix()?
                && last.as_ref() != Some(&fix.time)
            {
                writeln!(out, "{}", fix_line(&fix)?)?;
                out.flush()?;
                last = Some(fix.time);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    } else {
        while let Some(fix) = gps.next_decoded()? {
            writeln!(out, "{}", fix_line(&fix)?)?;
        }
    }
    eprintln!("{}: {:?}", file.display(), gps.stats());
    Ok(())
}

#[cfg(feature = "v4l")]
fn camera_list() -> Result<()> {
    let devices = hadir_hal::camera::list_devices();
    if devices.is_empty() {
        println!("no video devices (is the camera plugged in? is the `vivid` module loaded?)");
    }
    for d in devices {
        println!("{}\t{}\t{}", d.path, d.name, d.formats.join(","));
    }
    Ok(())
}

#[cfg(not(feature = "v4l"))]
fn camera_list() -> Result<()> {
    anyhow::bail!("this hadir-hal was built without the `v4l` feature")
}

#[cfg(feature = "v4l")]
fn open_v4l(device: String, width: u32, height: u32) -> Result<Box<dyn Camera>> {
    let config = hadir_hal::camera::CameraConfig { device, width, height, ..Default::default() };
    Ok(Box::new(hadir_hal::camera::V4lCamera::open(config)?))
}

#[cfg(not(feature = "v4l"))]
fn open_v4l(_device: String, _width: u32, _height: u32) -> Result<Box<dyn Camera>> {
    anyhow::bail!("this hadir-hal was built without the `v4l` feature; use --folder")
}

#[allow(clippy::too_many_arguments)]
fn camera_grab(
    out: PathBuf,
    device: String,
    folder: Option<PathBuf>,
    width: u32,
    height: u32,
    skip: u32,
    guide: bool,
) -> Result<()> {
    let mut camera: Box<dyn Camera> = match folder {
        Some(dir) => Box::new(FolderCamera::open(&dir, width, height)?),
        None => open_v4l(device, width, height)?,
    };
    for _ in 0..skip {
        camera.frame().context("skipping warm-up frames")?;
    }
    let mut frame = camera.frame().context("grabbing a frame")?;
    if guide {
        hadir_hal::overlay::draw_guide_oval(&mut frame.image, [255, 255, 255], 3);
    }
    frame.image.save(&out).with_context(|| format!("saving {}", out.display()))?;
    let (w, h) = frame.image.dimensions();
    println!("{}: {w}x{h}, frame {} at {:?}", out.display(), frame.sequence, frame.timestamp);
    Ok(())
}

fn keypad_watch(
    evdev: Option<String>,
    rows: Vec<u8>,
    cols: Vec<u8>,
    script: Option<String>,
    seconds: Option<u64>,
) -> Result<()> {
    let clock: Arc<dyn hadir_hal::clock::Clock> = Arc::new(SystemClock);
    let mut keypad: Box<dyn Keypad> = if let Some(text) = script {
        Box::new(ScriptedKeypad::typed(&text, Duration::from_millis(300), clock.clone()))
    } else if let Some(path) = evdev {
        open_evdev(&path)?
    } else if !rows.is_empty() {
        open_matrix(rows, cols, clock.clone())?
    } else {
        anyhow::bail!("choose a keypad: --evdev /dev/input/eventN, --rows .. --cols .., or --script KEYS")
    };
    let start = std::time::Instant::now();
    let mut out = std::io::stdout().lock();
    while seconds.is_none_or(|s| start.elapsed() < Duration::from_secs(s)) {
        while let Some(key) = keypad.poll()? {
            writeln!(out, "{key}")?;
            out.flush()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

#[cfg(feature = "evdev")]
fn open_evdev(path: &str) -> Result<Box<dyn Keypad>> {
    Ok(Box::new(hadir_hal::keypad::EvdevKeypad::open(path)?))
}

#[cfg(not(feature = "evdev"))]
fn open_evdev(_path: &str) -> Result<Box<dyn Keypad>> {
    anyhow::bail!("this hadir-hal was built without the `evdev` feature")
}

#[cfg(feature = "gpio")]
fn open_matrix(rows: Vec<u8>, cols: Vec<u8>, clock: Arc<dyn hadir_hal::clock::Clock>) -> Result<Box<dyn Keypad>> {
    use hadir_hal::keypad::{GpioPinBank, MatrixConfig, MatrixKeypad};
    let config = MatrixConfig { rows, cols, ..Default::default() };
    let bank = GpioPinBank::open(&config)?;
    Ok(Box::new(MatrixKeypad::new(bank, config.layout()?, config.debounce(), clock)?))
}

#[cfg(not(feature = "gpio"))]
fn open_matrix(_rows: Vec<u8>, _cols: Vec<u8>, _clock: Arc<dyn hadir_hal::clock::Clock>) -> Result<Box<dyn Keypad>> {
    anyhow::bail!("this hadir-hal was built without the `gpio` feature")
}

/// Times `f` `n` times; returns (min, median, mean) in milliseconds.
fn measure(n: u32, mut f: impl FnMut()) -> (f64, f64, f64) {
    let mut times: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (times[0], times[times.len() / 2], mean)
}

fn bench(width: u32, height: u32, iterations: u32) -> Result<()> {
    use hadir_hal::camera::convert;
    // A frame with texture (gradients and a noise-like pattern), not a flat colour.
    let scene = image::RgbImage::from_fn(width, height, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 24;
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, n as u8])
    });
    let yuyv = convert::rgb_to_yuyv(&scene);
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&scene)?;
    let mut failures = 0u32;
    let rows = [
        ("YUYV -> RGB (into buffer)", measure(iterations, || {
            if convert::yuyv_to_rgb_into(std::hint::black_box(&yuyv), width, height, &mut rgb).is_err() {
                failures += 1;
            }
        })),
        ("MJPEG -> RGB (decode)", measure(iterations.div_ceil(4), || {
            if convert::mjpeg_to_rgb(std::hint::black_box(&jpeg)).is_err() {
                failures += 1;
            }
        })),
    ];
    anyhow::ensure!(failures == 0, "{failures} conversions failed");
    let profile = if cfg!(debug_assertions) { "debug build: use --release for real figures" } else { "release build" };
    println!("frame {width}x{height}, one core, {profile}; MJPEG frame {} bytes", jpeg.len());
    println!("{:<28} {:>9} {:>9} {:>9}", "conversion", "min ms", "median ms", "mean ms");
    for (name, (min, median, mean)) in rows {
        println!("{name:<28} {min:>9.3} {median:>9.3} {mean:>9.3}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let result = run(cli);
    // A closed pipe (`hadir-hal gps replay F | head`) is the reader's choice, not a failure.
    if let Err(e) = &result
        && e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return Ok(());
    }
    result
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Gps { command: GpsCommand::Replay { file, check: true, max_speed_mps, device_time, .. } } => {
            gps_check(file, max_speed_mps, device_time)
        }
        Command::Gps { command: GpsCommand::Replay { file, realtime, .. } } => gps_replay(file, realtime),
        Command::Camera { command: CameraCommand::List } => camera_list(),
        Command::Camera { command: CameraCommand::Grab { out, device, folder, width, height, skip, guide } } => {
            camera_grab(out, device, folder, width, height, skip, guide)
        }
        Command::Keypad { command: KeypadCommand::Watch { evdev, rows, cols, script, seconds } } => {
            keypad_watch(evdev, rows, cols, script, seconds)
        }
        Command::TouchInput { sys, db } => {
            let published = hadir_hal::touchinput::publish(&sys, &db).with_context(|| format!("publishing touch input into {}", db.display()))?;
            for p in &published {
                println!("{} ({}): {:?}", p.name, p.device_name, p.kind);
            }
            if published.is_empty() {
                println!("no touchscreen or pointer among {}", sys.display());
            }
            Ok(())
        }
        Command::Bench { width, height, iterations } => bench(width, height, iterations),
    }
}
