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
    ("libudev-dev:arm64", "the kiosk's touchscreen in the device build (`cargo xtask cross`)"),
    ("libinput-dev:arm64", "the kiosk's touchscreen in the device build (`cargo xtask cross`)"),
    ("libxkbcommon-dev:arm64", "the kiosk's touchscreen in the device build (`cargo xtask cross`)"),
    ("libfontconfig-dev:arm64", "the kiosk's touchscreen in the device build (`cargo xtask cross`)"),
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

/// The dashboard's map library (Leaflet): an npm package, pinned by the SHA-256 of its tarball
/// and of each file the server serves. Installed into a git-ignored folder beside the server.
pub mod map_library {
    /// `npm pack` argument.
    pub const PACKAGE: &str = "leaflet@1.9.4";
    /// The tarball `npm pack` writes.
    pub const TARBALL: &str = "leaflet-1.9.4.tgz";
    /// SHA-256 of the tarball.
    pub const TARBALL_SHA256: &str =
        "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77";
    /// Each file under `package/` that is installed (by its base name) and its SHA-256.
    pub const FILES: &[(&str, &str)] = &[
        ("dist/leaflet.js", "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a"),
        ("dist/leaflet.css", "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"),
        ("LICENSE", ""),
    ];
}

/// Runs every setup step.
pub fn run(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.step("setup: arm64 architecture and Debian packages", debian)?;
    steps.step("setup: face models", || models(root))?;
    steps.step("setup: the dashboard's map library", || map(root))?;
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

/// Where the verified map library lives (git-ignored); the server's default
/// `dashboard.map_library_dir`.
pub fn map_dir(root: &Path) -> PathBuf {
    root.join("server-sync").join("server").join("web").join("leaflet")
}

/// Every `(name under package/, SHA-256)` present in `dir` by its base name, with its sum
/// (an empty sum: present is enough, as for a licence text).
fn files_ok(dir: &Path, files: &[(&str, &str)]) -> bool {
    files.iter().all(|(name, sum)| {
        let path = dir.join(base_name(name));
        path.is_file() && (sum.is_empty() || sha256(&path).is_ok_and(|got| got == *sum))
    })
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Fetches `package` with `npm pack` into a fresh folder under `target/`, checks the tarball's
/// SHA-256, and installs each of `files` (under `package/within/`, checked likewise) into `dir`
/// by its base name. Nothing is installed from a package whose sums do not match.
fn npm_install(root: &Path, package: &str, tarball: &str, tarball_sha256: &str, within: &str, files: &[(&str, &str)], dir: &Path) -> Result<()> {
    if !shell::have("npm") {
        bail!("npm is needed to fetch {package}: run `sudo apt-get install -y npm`, then again");
    }
    let work = root.join("target").join(format!("npm-{}", tarball.trim_end_matches(".tgz")));
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    println!("  fetching {package} with npm pack");
    shell::run(Command::new("npm").args(["pack", "--silent", package]).current_dir(&work))?;
    let tgz = work.join(tarball);
    let got = sha256(&tgz)?;
    if got != tarball_sha256 {
        bail!(
            "{} has SHA-256 {got}, expected {tarball_sha256}: the package changed or the download is corrupt; nothing was installed",
            tgz.display()
        );
    }
    shell::run(Command::new("tar").arg("-xzf").arg(&tgz).arg("-C").arg(&work))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, sum) in files {
        let from = work.join("package").join(within).join(name);
        let got = sha256(&from).with_context(|| format!("{name} is missing from {package}"))?;
        if !sum.is_empty() && got != *sum {
            bail!("{name} has SHA-256 {got}, expected {sum}; nothing more was installed");
        }
        // Copy to a temporary name first so that a cut leaves no half-written file behind.
        let installed = dir.join(base_name(name));
        let partial = dir.join(format!("{}.partial", base_name(name)));
        std::fs::copy(&from, &partial).with_context(|| format!("copying {name}"))?;
        std::fs::rename(&partial, &installed).with_context(|| format!("installing {name}"))?;
        println!("  verified and installed {}", installed.display());
    }
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}

fn models(root: &Path) -> Result<()> {
    let dir = models_dir(root);
    if files_ok(&dir, face_models::FILES) {
        println!("  all {} models present and verified in {}", face_models::FILES.len(), dir.display());
        return Ok(());
    }
    npm_install(root, face_models::PACKAGE, face_models::TARBALL, face_models::TARBALL_SHA256, "model", face_models::FILES, &dir)
}

fn map(root: &Path) -> Result<()> {
    let dir = map_dir(root);
    if files_ok(&dir, map_library::FILES) {
        println!("  {} present and verified in {}", map_library::PACKAGE, dir.display());
        return Ok(());
    }
    npm_install(root, map_library::PACKAGE, map_library::TARBALL, map_library::TARBALL_SHA256, "", map_library::FILES, &dir)
}
