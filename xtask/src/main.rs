//! # xtask: the project's automation
//!
//! `cargo xtask <command>` in the cargo-xtask manner: the README's two commands (`demo`, `test`)
//! and the steps behind them. Each command prints what it runs and how long it took.
//!
//! ## Layout
//! - [`setup`]: installs what the project needs (Debian packages, face models), idempotently.
//! - [`cross`]: the aarch64 build of the device binaries with Debian's toolchain.
//! - [`suite`]: `cargo xtask test`, every test in the order fast to slow.
//! - [`demo`]: the main job for a new user.
//! - [`fuzz`]: the fuzz targets, bounded in time.
//! - [`bench`], [`crash`], [`screenshots`]: benchmarks, the kiosk's crash test and the kiosk's
//!   screens as PNG, on demand.
//! - [`image`], [`qemu`]: the firmware image and its QEMU boot test.
//! - [`crate_map`]: keeps the README's crate map true to `cargo metadata`.
//!
//! It must not hold product logic: everything here is orchestration of cargo and system tools.

mod bench;
mod crash;
mod crate_map;
mod cross;
mod demo;
mod fuzz;
mod image;
mod qemu;
mod screenshots;
mod setup;
mod shell;
mod suite;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

  demo        start the system with simulated devices (sets up what is missing)
  test        run every test (sets up what is missing)
  setup       install the Debian packages and face models the project needs
  cross       build the device binaries for aarch64 (the kiosk with its touchscreen) and run
              aarch64 unit tests under QEMU
  crate-map   check that the README's crate map and Cargo.toml's dev profiles match cargo metadata
  fuzz [S]    run every fuzz target for S seconds each (default 40)
  bench       run every benchmark (release profile) and print the figures
  crash-test  kill the kiosk's record writer at random points and check its store [--runs N]
  screenshots render every kiosk screen to docs/screenshots/
  image       build the aarch64 firmware image (kernel, initramfs, A/B GPT disk) [--without-kiosk]
  bundle      sign an update bundle from the built image [--version V] [--out FILE]
  provision   write the image and a device's settings to a disk or file (--target, --site, ...)
  qemu-test   boot the image under qemu-system-aarch64 and test it [--without-kiosk]
";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: error: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = shell::workspace_root()?;
    match args.first().map(String::as_str) {
        Some("demo") => demo::run(&root),
        Some("test") => suite::run(&root),
        Some("setup") => setup::run(&root, &mut shell::Steps::default()),
        Some("cross") => cross::run(&root),
        Some("crate-map") => crate_map::check(&root),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("bench") => bench::run(&root),
        Some("crash-test") => crash::run(&root, &args[1..]),
        Some("screenshots") => screenshots::run(&root),
        Some("image") => image::run(&root, &args[1..]),
        Some("bundle") => image::bundle::run(&root, &args[1..]),
        Some("provision") => image::provision::run(&root, &args[1..]),
        Some("qemu-test") => qemu::run(&root, &args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}
