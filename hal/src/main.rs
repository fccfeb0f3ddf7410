//! `hadir-hal`: a technician's tool to try the devices one by one.
//!
//! Argument parsing and printing only; the devices live in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hadir_hal::clock::SystemClock;
use hadir_hal::gps::{Fix, Gps, ReplayGps, ReplayPace};
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
}

#[derive(Subcommand)]
enum GpsCommand {
    /// Prints one JSON line per fix of an NMEA capture.
    Replay {
        /// The capture file.
        file: PathBuf,
        /// Release fixes at the capture's own pace instead of as fast as possible.
        #[arg(long)]
        realtime: bool,
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
    })?)
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Gps { command: GpsCommand::Replay { file, realtime } } => gps_replay(file, realtime),
    }
}
