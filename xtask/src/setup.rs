//! `cargo xtask setup`: everything the project needs on a fresh Debian machine, installed from
//! the package registries by package name, idempotently.
//!
//! Each step checks first and installs only what is missing, so `test` and `demo` call it on
//! every run at the cost of a few `dpkg-query` calls. As root it installs; as another user it
//! prints the exact commands to run and stops.
//!
//! It must not download anything except through the ordinary clients (`apt-get`, `npm`,
//! `cargo`), and must not install anything that the project does not use.

use crate::shell::{self, Steps};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages, each with the reason the project needs it.
const PACKAGES: &[(&str, &str)] = &[
    // The aarch64 cross toolchain: rustup cannot add targets on these machines.
    ("rustc-web", "Debian's rustc, which has an aarch64 standard library"),
    ("cargo-web", "Debian's cargo, paired with rustc-web"),
    ("libstd-rust-web-dev:arm64", "the aarch64 Rust standard library"),
    ("gcc-aarch64-linux-gnu", "the aarch64 linker and C compiler (SQLite, ring)"),
    ("libc6-dev-arm64-cross", "the aarch64 C library headers"),
    ("libclang-dev", "bindgen for the v4l crate"),
    ("pkg-config", "finding system libraries for -sys crates"),
    ("qemu-user-static", "running aarch64 unit tests on this machine"),
    ("file", "checking that cross-built binaries are aarch64 ELF"),
    // The user interface.
    ("libfontconfig-dev", "Slint's text rendering finds fonts through fontconfig"),
    ("fonts-dejavu-core", "a font fontconfig always sees"),
    ("libudev-dev:arm64", "the board's touchscreen build (`cargo xtask cross --board`)"),
    ("libinput-dev:arm64", "the board's touchscreen build (`cargo xtask cross --board`)"),
    ("libxkbcommon-dev:arm64", "the board's touchscreen build (`cargo xtask cross --board`)"),
    ("libfontconfig-dev:arm64", "the board's touchscreen build (`cargo xtask cross --board`)"),
    // The central server's scale-out store, tested for real.
    ("postgresql", "the PostgreSQL server for the server's store tests"),
    // The kiosk's TLS tests make their certificates as an operator would.
    ("openssl", "certificates for the kiosk's HTTPS tests (pinned and CA-signed)"),
    // The dashboard's browser tests.
    ("chromium", "a real browser for the dashboard's tests"),
    ("chromium-driver", "WebDriver for that browser"),
    // The firmware image, built from Debian's arm64 packages and booted under QEMU.
    ("qemu-system-arm", "booting the aarch64 image (qemu-system-aarch64)"),
    ("ipxe-qemu", "the virtio-net-pci option ROM that QEMU loads for the guest's network"),
    ("genimage", "the GPT disk image with A/B root slots"),
    ("squashfs-tools", "the read-only root filesystem"),
    ("kmod", "depmod for the kernel modules of the image"),
    ("e2fsprogs", "the ext4 data partition (mke2fs, debugfs)"),
    ("openssl", "signing and checking update bundles"),
    ("sqlite3", "qemu-test reads the kiosk's store out of the data partition after a power cut"),
];

/// The face models: an npm package, pinned by the SHA-256 of its tarball and of each model.
pub mod face_models {
    /// `npm pack` argument.
    pub const PACKAGE: &str = "faceplugin-face-recognition-js@0.0.1";
    /// The tarball `npm pack` writes.
    pub const TARBALL: &str = "faceplugin-face-recognition-js-0.0.1.tgz";
    /// SHA-256 of the tarball.
    pub const TARBALL_SHA256: &str =
        "7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba";
    /// Each model file under `package/model/` and its SHA-256.
    pub const FILES: &[(&str, &str)] = &[
        ("fr_detect.onnx", "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854"),
        ("fr_landmark.onnx", "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"),
        ("fr_feature.onnx", "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"),
        ("fr_liveness.onnx", "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d"),
        ("fr_eye.onnx", "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de"),
        ("fr_pose.onnx", "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d"),
    ];
}

/// Runs every setup step.
pub fn run(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.step("setup: arm64 architecture and Debian packages", debian)?;
    steps.step("setup: face models", || models(root))?;
    steps.step("setup: cargo-fuzz for the nightly toolchain", cargo_fuzz)
}

/// The fuzz targets run on the nightly toolchain that these machines carry, with cargo-fuzz.
fn cargo_fuzz() -> Result<()> {
    if shell::output(Command::new("cargo").args(["+nightly", "--version"])).is_err() {
        bail!("the nightly toolchain is missing: run `rustup toolchain install nightly --profile minimal`");
    }
    if shell::output(Command::new("cargo").args(["+nightly", "fuzz", "--version"])).is_ok() {
        println!("  cargo-fuzz is installed");
        return Ok(());
    }
    shell::run(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))
}

fn is_root() -> bool {
    shell::output(Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}

fn installed(package: &str) -> bool {
    shell::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .map(|status| status.contains("install ok installed"))
        .unwrap_or(false)
}

fn debian() -> Result<()> {
    let arch_missing = !shell::output(Command::new("dpkg").arg("--print-foreign-architectures"))?
        .lines()
        .any(|arch| arch.trim() == "arm64");
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(name, _)| !installed(name))
        .map(|(name, _)| *name)
        .collect();
    for (name, why) in PACKAGES {
        let state = if missing.contains(name) { "missing" } else { "ok" };
        println!("  {state:>7}  {name:<28} {why}");
    }
    if !arch_missing && missing.is_empty() {
        println!("  every Debian package is installed");
        return Ok(());
    }
    if !is_root() {
        let mut text = String::from("run these as root, then run the command again:\n");
        if arch_missing {
            text.push_str("  sudo dpkg --add-architecture arm64\n");
        }
        text.push_str("  sudo apt-get update\n");
        text.push_str(&format!(
            "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}\n",
            missing.join(" ")
        ));
        bail!(text);
    }
    if arch_missing {
        shell::run(Command::new("dpkg").args(["--add-architecture", "arm64"]))?;
    }
    shell::run(Command::new("apt-get").args(["update", "-q"]))?;
    println!("  installing {} packages: {}", missing.len(), missing.join(" "));
    shell::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing),
    )
}

/// Where the verified models live (git-ignored).
pub fn models_dir(root: &Path) -> PathBuf {
    root.join("models").join("onnx")
}

fn sha256(path: &Path) -> Result<String> {
    let out = shell::output(Command::new("sha256sum").arg(path))?;
    out.split_whitespace()
        .next()
        .map(str::to_string)
        .with_context(|| format!("sha256sum printed nothing for {}", path.display()))
}

fn models_ok(dir: &Path) -> bool {
    face_models::FILES.iter().all(|(name, sum)| {
        let path = dir.join(name);
        path.is_file() && sha256(&path).is_ok_and(|got| got == *sum)
    })
}

fn models(root: &Path) -> Result<()> {
    let dir = models_dir(root);
    if models_ok(&dir) {
        println!("  all {} models present and verified in {}", face_models::FILES.len(), dir.display());
        return Ok(());
    }
    if !shell::have("npm") {
        bail!("npm is needed to fetch the face models: run `sudo apt-get install -y npm`, then again");
    }
    let work = root.join("target").join("face-models-download");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    println!("  fetching {} with npm pack", face_models::PACKAGE);
    shell::run(
        Command::new("npm")
            .args(["pack", "--silent", face_models::PACKAGE])
            .current_dir(&work),
    )?;
    let tarball = work.join(face_models::TARBALL);
    let got = sha256(&tarball)?;
    if got != face_models::TARBALL_SHA256 {
        bail!(
            "{} has SHA-256 {got}, expected {}: the package changed or the download is corrupt; nothing was installed",
            tarball.display(),
            face_models::TARBALL_SHA256
        );
    }
    shell::run(Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&work))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, sum) in face_models::FILES {
        let from = work.join("package").join("model").join(name);
        let got = sha256(&from).with_context(|| format!("{name} is missing from the package"))?;
        if got != *sum {
            bail!("{name} has SHA-256 {got}, expected {sum}; nothing was installed");
        }
        // Copy to a temporary name first so that a cut leaves no half-written model behind.
        let partial = dir.join(format!("{name}.partial"));
        std::fs::copy(&from, &partial).with_context(|| format!("copying {name}"))?;
        std::fs::rename(&partial, dir.join(name)).with_context(|| format!("installing {name}"))?;
        println!("  verified and installed {name}");
    }
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}
