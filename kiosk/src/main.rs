//! `hadir-kiosk`: the kiosk program. Thin: parses arguments, loads the configuration and
//! calls [`hadir_kiosk::run`]; test-support and benchmark modes call the library too.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The Hadir attendance kiosk.
#[derive(Parser, Debug)]
#[command(name = "hadir-kiosk", version)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
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
        None => anyhow::bail!("the kiosk runtime is not wired yet"),
    }
}
