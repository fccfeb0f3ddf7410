//! `hadir-ui-bench [SECONDS]`: the camera preview path under load.
//!
//! A capture thread makes 640×480 RGB frames at 15 fps (a moving synthetic face) and pushes
//! them through `PreviewFeed`; the UI thread runs the headless event loop on the capture screen
//! at 800×480 with the software renderer (partial redraws, as on the board). Printed: frames
//! shown per second, frames dropped, the UI thread's CPU use (from the kernel's per-thread
//! scheduler statistics, so a busy machine does not inflate it), render wall time per frame,
//! and the capture thread's wall time per push. On a loaded machine fps drops (frames are
//! dropped, never queued) while CPU per frame stays put.
//! Target (issue 6): 15 fps with under 25 % of one core for UI work.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hadir_ui::{FaceBox, Guidance, RecordKind, Screen, Ui, fonts, gallery, headless};

const FPS: u32 = 15;
const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

fn main() -> Result<()> {
    let seconds: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse().with_context(|| format!("SECONDS must be a whole number, not {s:?}"))?,
        None => 10,
    };
    if seconds == 0 {
        bail!("SECONDS must be at least 1");
    }
    if std::env::var_os(fonts::FONTCONFIG_ENV).is_none() {
        // SAFETY: first thing in `main`, before any other thread exists.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
        }
    }

    let display = headless::install(800, 480)?;
    let ui = Ui::new()?;
    ui.set_screen(&Screen::Capture {
        kind: RecordKind::In,
        guidance: Guidance::HoldStill,
        face: Some(FaceBox { x: 0.36, y: 0.2, width: 0.28, height: 0.5, ok: true }),
    })?;
    display.render();

    // Frames are made before timing so that drawing them does not count as capture cost.
    let frames: Vec<_> = (0..30).map(|i| gallery::face_picture_at(WIDTH, HEIGHT, i)).collect();
    let feed = ui.preview_feed();
    let feed_counters = feed.clone();
    let remote = ui.remote();
    let total = seconds * u64::from(FPS);
    let capture = std::thread::spawn(move || -> Result<Duration> {
        let period = Duration::from_secs(1) / FPS;
        let start = Instant::now();
        let mut push_time = Duration::ZERO;
        for n in 0..total {
            let due = start + period * u32::try_from(n)?;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let t = Instant::now();
            feed.push(&frames[(n % frames.len() as u64) as usize])?;
            push_time += t.elapsed();
        }
        // Let the last frame be drawn, then stop the loop.
        std::thread::sleep(period);
        remote.quit()?;
        Ok(push_time)
    });

    let stats_before = display.stats();
    let cpu_before = thread_cpu_time()?;
    let wall = Instant::now();
    ui.run()?;
    let wall = wall.elapsed();
    let cpu = thread_cpu_time()? - cpu_before;
    let push_time = capture.join().map_err(|_| anyhow::anyhow!("capture thread panicked"))??;
    let render = display.stats();
    let redraws = render.redraws - stats_before.redraws;
    let render_time = render.render_time - stats_before.render_time;
    let feed_stats = feed_counters.stats();

    println!("ui preview benchmark: {WIDTH}x{HEIGHT} frames at {FPS} fps for {seconds} s, screen 800x480, software renderer");
    println!("ui frames_pushed={total}");
    println!("ui frames_shown={}", feed_stats.shown);
    println!("ui frames_dropped={}", feed_stats.dropped);
    println!("ui preview_fps={:.1}", redraws as f64 / wall.as_secs_f64());
    println!("ui ui_thread_cpu_pct={:.1}", 100.0 * cpu.as_secs_f64() / wall.as_secs_f64());
    println!("ui ui_thread_cpu_ms_per_frame={:.2}", cpu.as_secs_f64() * 1000.0 / feed_stats.shown.max(1) as f64);
    println!("ui render_wall_ms_per_frame={:.2}", render_time.as_secs_f64() * 1000.0 / redraws.max(1) as f64);
    println!("ui push_wall_ms_per_frame={:.3}", push_time.as_secs_f64() * 1000.0 / total as f64);
    Ok(())
}

/// CPU time of the calling thread, from `/proc/thread-self/schedstat` (nanoseconds on CPU).
fn thread_cpu_time() -> Result<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .context("reading /proc/thread-self/schedstat (Linux only)")?;
    let ns: u64 = text
        .split_whitespace()
        .next()
        .context("empty /proc/thread-self/schedstat")?
        .parse()
        .context("parsing /proc/thread-self/schedstat")?;
    Ok(Duration::from_nanos(ns))
}
