//! `cargo xtask cross`: the device binaries for `aarch64-unknown-linux-gnu`, built with
//! Debian's `/usr/bin/cargo` and `/usr/bin/rustc` (rustup cannot add targets on these
//! machines) into their own target directory, and the aarch64 unit tests of the pure-logic
//! crates run under `qemu-aarch64-static`.
//!
//! Measured facts this relies on: the runner needs `-L /` (with `-L /usr/aarch64-linux-gnu`
//! the cross ld.so meets the multiarch libc and threaded programs hang); bundled SQLite and
//! ring pick `aarch64-linux-gnu-gcc` themselves; the linker is set in `.cargo/config.toml`.

use crate::shell::{self, Steps};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The board's target triple.
pub const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The kiosk's binary (and package).
const KIOSK: &str = "hadir-kiosk";

/// The binaries that run on the device, with the package that builds each.
pub const DEVICE_BINARIES: &[(&str, &str)] = &[
    ("hadir-kiosk", "hadir-kiosk"),
    ("hadir-hal", "hadir-hal"),
    ("hadir-face", "hadir-models"),
];

/// Crates whose library unit tests run on aarch64 under QEMU user-mode: the protocol, the
/// rulebook, the device layer (NMEA, frame conversion, drivers) and the kiosk (flow, policy,
/// store), with the features of the device build.
pub const AARCH64_TESTED: &[&str] = &["hadir-protocol", "hadir-rules", "hadir-hal", "hadir-kiosk"];

/// The target directory of the aarch64 build, apart from the host's.
pub fn target_dir(root: &Path) -> PathBuf {
    root.join("target").join("aarch64")
}

/// Where `cargo xtask cross` leaves a device binary.
pub fn binary_path(root: &Path, name: &str) -> PathBuf {
    target_dir(root).join(TARGET).join("device").join(name)
}

/// Debian's cargo with the environment of the rustup cargo that started us removed.
fn debian_cargo(root: &Path) -> Command {
    let mut cmd = shell::without_toolchain_env("/usr/bin/cargo");
    cmd.env("RUSTC", "/usr/bin/rustc")
        .env("RUSTDOC", "/usr/bin/rustdoc")
        .env("CARGO_TARGET_DIR", target_dir(root))
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER",
            "qemu-aarch64-static -L /",
        )
        .current_dir(root);
    cmd
}

/// Debian's cargo with pkg-config pointed at the arm64 libraries that the touchscreen links.
fn device_cargo(root: &Path) -> Command {
    let mut cmd = debian_cargo(root);
    cmd.env("PKG_CONFIG_ALLOW_CROSS", "1")
        .env("PKG_CONFIG_aarch64_unknown_linux_gnu", "/usr/bin/aarch64-linux-gnu-pkg-config");
    cmd
}

/// Builds the device binaries and runs the aarch64 unit tests.
pub fn run(root: &Path) -> Result<()> {
    if std::env::args().nth(2).is_some() {
        bail!("usage: cargo xtask cross");
    }
    let mut steps = Steps::default();
    let result = build_and_test(root, &mut steps);
    steps.summary();
    result
}

/// The cross steps, recorded in the caller's step list.
pub fn build_and_test(root: &Path, steps: &mut Steps) -> Result<()> {
    for tool in ["/usr/bin/cargo", "/usr/bin/rustc", "aarch64-linux-gnu-gcc", "qemu-aarch64-static"] {
        if !shell::have(tool) {
            bail!("{tool} is missing: run `cargo xtask setup` (as root) to install the cross toolchain");
        }
    }
    steps.step("cross: aarch64 device binaries with the touchscreen (profile device)", || {
        // One build for the three, so that their dependencies are compiled once. The kiosk has
        // its touchscreen (Slint's linuxkms backend: DRM/KMS, libinput, xkbcommon, fontconfig
        // and udev, linked from Debian's arm64 packages that setup installs) and runs without a
        // screen where the board has no display. `--features board` names the kiosk's feature
        // (the other two have none of that name); `hadir-kiosk/board` would name the kiosk's
        // dev-dependency on itself instead, and leave the kiosk without its screen.
        // `--timings`: the report of a cold build's minutes, in target/aarch64/cargo-timings/.
        let mut cmd = device_cargo(root);
        cmd.args(["build", "--locked", "--target", TARGET, "--profile", "device", "--features", "board", "--timings"]);
        for (bin, package) in DEVICE_BINARIES {
            cmd.args(["--package", package, "--bin", bin]);
        }
        shell::run(&mut cmd)?;
        for (bin, _) in DEVICE_BINARIES {
            let path = binary_path(root, bin);
            let kind = shell::output(Command::new("file").arg("-b").arg(&path))?;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            println!("  {} ({:.1} MB): {}", path.display(), size as f64 / 1e6, kind.trim());
            if !kind.contains("ARM aarch64") {
                bail!("{} is not an aarch64 binary: {}", path.display(), kind.trim());
            }
        }
        // The shipped kiosk must be the one with the screen, never silently the smaller one.
        let kiosk = binary_path(root, KIOSK);
        let dynamic = shell::output(Command::new("aarch64-linux-gnu-readelf").arg("-d").arg(&kiosk))?;
        if !dynamic.contains("libinput.so") {
            bail!("{} has no touchscreen (it does not link libinput): the feature `board` did not reach it", kiosk.display());
        }
        Ok(())
    })?;
    steps.step("cross: aarch64 unit tests under qemu-aarch64-static", || {
        // The device build's profile and features, so that the tests reuse every dependency the
        // binaries were just built with and compile only the four crates under test (with other
        // features, cargo resolves the graph anew and rebuilds some 70 crates: 1.5 minutes).
        let mut cmd = device_cargo(root);
        cmd.args(["test", "--locked", "--target", TARGET, "--profile", "device", "--features", "board", "--lib"]);
        for package in AARCH64_TESTED {
            cmd.args(["--package", package]);
        }
        shell::run(&mut cmd)
    })
}
