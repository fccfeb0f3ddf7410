//! `cargo xtask image`: the firmware image for QEMU's `virt` board, built here from Debian's
//! arm64 packages and the cross-built device binaries, with no other download.
//!
//! What it makes, in `target/image/out/`:
//! - `rootfs.squashfs`: the read-only root (busybox, glibc, signify, CA bundle, a few kernel
//!   modules, `buildroot/overlay`, the device binaries, the face models when the kiosk is in);
//! - `initramfs.cpio.gz`: busybox, `buildroot/initramfs/init` and the modules the root needs
//!   (virtio, squashfs, ext4), which picks the A/B slot and switches to it;
//! - `vmlinuz.gz`: Debian's arm64 kernel, which QEMU loads with `-kernel`;
//! - `disk.img`: GPT with `rootfs-a` (the root), `rootfs-b` (empty until the first update) and
//!   `data` (ext4: store, keys, configuration, logs), assembled by genimage.
//!
//! Downloads (`apt-get download PKG:arm64`) and their unpacked trees are cached in
//! `target/image/debs` and `target/image/unpacked`; nothing is installed on the host.
//!
//! It must not hold device logic: what runs on the device is in `buildroot/overlay` and
//! `buildroot/initramfs`, shared with the Buildroot tree.

#[cfg(test)]
pub mod br_external;
pub mod bundle;
pub mod cpio;
pub mod gpt;
pub mod modules;
pub mod provision;
pub mod signify;

use crate::cross;
use crate::shell::{self, Steps};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The device binary that is the kiosk; the image boots it when it exists.
pub const KIOSK_BINARY: &str = "hadir-kiosk";

/// Debian's meta package that names the current arm64 kernel.
const KERNEL_META: &str = "linux-image-arm64";

/// arm64 userland taken from Debian, each with the reason.
const USERLAND: &[(&str, &str)] = &[
    ("busybox-static", "init, shell, mdev, udhcpc, ntpd, syslogd, watchdog"),
    ("libc6", "glibc for the Rust device binaries"),
    ("libgcc-s1", "unwinding for the Rust device binaries"),
    ("signify-openbsd", "Ed25519 verification of update bundles"),
    ("libbsd0", "needed by signify-openbsd"),
    ("libmd0", "needed by libbsd0"),
    ("kexec-tools", "kexec: boots the kernel of the root slot (kernel updates)"),
    ("e2fsprogs", "resize2fs: the data filesystem grows into a card larger than the image"),
];

/// Architecture-independent packages.
const INDEP: &[(&str, &str)] = &[("ca-certificates", "the CA bundle rustls needs")];

/// Shared libraries a device binary may need, with the Debian package that has each. A
/// library missing here fails the build with its name, so that it is added deliberately.
const SONAME_PACKAGES: &[(&str, &str)] = &[
    ("libc.so.6", "libc6"),
    ("libm.so.6", "libc6"),
    ("libdl.so.2", "libc6"),
    ("libpthread.so.0", "libc6"),
    ("librt.so.1", "libc6"),
    ("ld-linux-aarch64.so.1", "libc6"),
    ("libgcc_s.so.1", "libgcc-s1"),
    ("libbsd.so.0", "libbsd0"),
    ("libmd.so.0", "libmd0"),
    ("libudev.so.1", "libudev1"),
    ("libinput.so.10", "libinput10"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libfreetype.so.6", "libfreetype6"),
    ("libexpat.so.1", "libexpat1"),
    ("libz.so.1", "zlib1g"),
    ("libpng16.so.16", "libpng16-16"),
    ("libbrotlidec.so.1", "libbrotli1"),
    ("libbrotlicommon.so.1", "libbrotli1"),
    ("libmtdev.so.1", "libmtdev1"),
    ("libevdev.so.2", "libevdev2"),
    ("libwacom.so.9", "libwacom9"),
    ("libgudev-1.0.so.0", "libgudev-1.0-0"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libgobject-2.0.so.0", "libglib2.0-0"),
    ("libpcre2-8.so.0", "libpcre2-8-0"),
    ("libffi.so.8", "libffi8"),
    // glib's package holds gio too, which the loop checks like every library in the image.
    ("libmount.so.1", "libmount1"),
    ("libblkid.so.1", "libblkid1"),
    ("libselinux.so.1", "libselinux1"),
    ("libdrm.so.2", "libdrm2"),
    ("libgbm.so.1", "libgbm1"),
    // kexec (Debian builds it with Xen support; only these libraries are taken, not the
    // whole packages).
    ("libxenctrl.so.4.17", "libxenmisc4.17"),
    ("libxentoollog.so.1", "libxentoollog1"),
    ("libxencall.so.1", "libxencall1"),
    ("libxenevtchn.so.1", "libxenevtchn1"),
    ("libxengnttab.so.1", "libxengnttab1"),
    ("libxenforeignmemory.so.1", "libxenforeignmemory1"),
    ("libxendevicemodel.so.1", "libxendevicemodel1"),
    ("libxentoolcore.so.1", "libxentoolcore1"),
    // resize2fs (only it is taken from e2fsprogs).
    ("libext2fs.so.2", "libext2fs2"),
    ("libe2p.so.2", "libext2fs2"),
    ("libcom_err.so.2", "libcom-err2"),
    ("libuuid.so.1", "libuuid1"),
];

/// Data a library reads at run time and its package ships apart: (library's package, data
/// package, path, why).
const LIBRARY_DATA: &[(&str, &str, &str, &str)] =
    &[("libinput10", "libinput-bin", "usr/share/libinput", "libinput's device quirks: calibrations and fixes per device")];

/// Modules the initramfs loads before it can mount the root and the data partition.
const INITRAMFS_MODULES: &[&str] =
    &["virtio_pci", "virtio_blk", "squashfs", "ext4", "crc32c_generic"];

/// Modules the root carries for `modprobe` at start (see `MODULES` in image.conf): a USB
/// keypad needs the host controller, HID and the event interface; the touchscreen under QEMU
/// is a virtio GPU and a virtio tablet; a switch wired as `gpio-keys` (the tamper switch) needs
/// its driver.
const ROOT_MODULES: &[&str] =
    &["virtio_net", "i6300esb", "vivid", "virtio_rng", "xhci_pci", "usbhid", "hid_generic", "evdev", "virtio_gpu", "virtio_input", "gpio_keys"];

/// Size of the data partition in the image (provisioning may write a larger one).
pub const DATA_MIB: u64 = 128;

/// Choices for one build.
pub struct Options {
    /// Build without a kiosk (a base system that boots to `HADIR-SYSTEM-READY`), explicitly.
    pub without_kiosk: bool,
    /// Where the aarch64 device binaries are: `--bin-dir`, else `HADIR_DEVICE_BIN_DIR`, else
    /// where `cargo xtask cross` puts them.
    pub bin_dir: Option<PathBuf>,
}

impl Options {
    /// Parses `image` arguments.
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self::from_env();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--without-kiosk" => options.without_kiosk = true,
                "--bin-dir" => options.bin_dir = Some(PathBuf::from(it.next().context("--bin-dir needs a directory")?)),
                other => bail!("unknown argument `{other}` (image takes: --without-kiosk, --bin-dir DIR)"),
            }
        }
        Ok(options)
    }

    /// Defaults, with `HADIR_DEVICE_BIN_DIR` when set.
    pub fn from_env() -> Self {
        Self { without_kiosk: false, bin_dir: std::env::var_os("HADIR_DEVICE_BIN_DIR").map(PathBuf::from) }
    }

    /// The path of device binary `name`.
    pub fn binary(&self, root: &Path, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(dir) => dir.join(name),
            None => cross::binary_path(root, name),
        }
    }
}

/// Paths of one image build.
pub struct Layout {
    /// `target/image`.
    pub base: PathBuf,
}

impl Layout {
    /// The layout under the workspace's target directory.
    pub fn new(root: &Path) -> Self {
        Self { base: root.join("target").join("image") }
    }
    fn debs(&self) -> PathBuf {
        self.base.join("debs")
    }
    fn unpacked(&self, package: &str) -> PathBuf {
        self.base.join("unpacked").join(package)
    }
    /// Where the products go.
    pub fn out(&self) -> PathBuf {
        self.base.join("out")
    }
    /// The disk image.
    pub fn disk(&self) -> PathBuf {
        self.out().join("disk.img")
    }
    /// The compressed kernel.
    pub fn kernel(&self) -> PathBuf {
        self.out().join("vmlinuz.gz")
    }
    /// The initramfs.
    pub fn initramfs(&self) -> PathBuf {
        self.out().join("initramfs.cpio.gz")
    }
    /// The root filesystem image (also the payload of update bundles).
    pub fn rootfs(&self) -> PathBuf {
        self.out().join("rootfs.squashfs")
    }
    /// The face models alone, squashed like the root (only for the size report).
    pub fn models_squashfs(&self) -> PathBuf {
        self.base.join("models-only.squashfs")
    }
    /// The update signing key: `HADIR_UPDATE_KEY` (a PEM Ed25519 private key), else a
    /// development key made on first use.
    pub fn update_key(&self) -> PathBuf {
        std::env::var_os("HADIR_UPDATE_KEY")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.base.join("keys").join("update-dev.pem"))
    }
}

/// What a build made, for the summary and the QEMU test.
pub struct Built {
    /// The kiosk binary went in.
    pub has_kiosk: bool,
    /// Device binaries included.
    pub binaries: Vec<String>,
    /// Kernel version string (`6.1.0-56-arm64`).
    pub kernel_version: String,
}

/// `cargo xtask image`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let mut steps = Steps::default();
    let result = build(root, &options, &mut steps);
    steps.summary();
    result.map(|_| ())
}

/// Builds every part; each step is printed and timed.
pub fn build(root: &Path, options: &Options, steps: &mut Steps) -> Result<Built> {
    for tool in ["apt-get", "apt-cache", "dpkg-deb", "depmod", "mksquashfs", "mke2fs", "genimage", "gzip", "openssl", "tar", "qemu-aarch64-static", "aarch64-linux-gnu-readelf"] {
        if !shell::have(tool) {
            bail!("{tool} is missing: run `cargo xtask setup` (as root) to install the image tools");
        }
    }
    let layout = Layout::new(root);
    let present: Vec<String> = cross::DEVICE_BINARIES
        .iter()
        .map(|(bin, _)| bin.to_string())
        .filter(|bin| options.binary(root, bin).is_file())
        .collect();
    let has_kiosk = present.iter().any(|b| b == KIOSK_BINARY);
    println!("device binaries (from {}):", options.binary(root, "").display());
    for (bin, _) in cross::DEVICE_BINARIES {
        let state = if present.iter().any(|b| b == bin) { "found" } else { "not built" };
        println!("  {bin:<24} {state}");
    }
    if !has_kiosk && !options.without_kiosk {
        bail!(
            "no kiosk binary: {} does not exist. Build it with `cargo xtask cross` (it must be in \
             cross::DEVICE_BINARIES), or pass --without-kiosk for a base image that boots to a \
             system without the kiosk",
            options.binary(root, KIOSK_BINARY).display()
        );
    }
    if !has_kiosk {
        println!("  building a BASE image WITHOUT the kiosk (--without-kiosk)");
    }

    let mut kernel_version = String::new();
    steps.step("image: fetch and unpack Debian arm64 packages", || {
        kernel_version = fetch_packages(&layout)?;
        Ok(())
    })?;
    let out = layout.out();
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    steps.step("image: kernel and initramfs", || {
        kernel(&layout, &kernel_version)?;
        initramfs(root, &layout, &kernel_version)
    })?;
    let mut extra_packages = BTreeSet::new();
    steps.step("image: root filesystem (squashfs)", || {
        let binaries: Vec<(String, PathBuf)> = present.iter().map(|b| (b.clone(), options.binary(root, b))).collect();
        extra_packages = rootfs(root, &layout, &kernel_version, &binaries, has_kiosk)?;
        Ok(())
    })?;
    steps.step("image: data partition and GPT disk (genimage)", || disk(&layout))?;
    print_sizes(&layout, root, has_kiosk)?;
    Ok(Built { has_kiosk, binaries: present, kernel_version })
}

// ---------------------------------------------------------------------------------------------
// Packages

fn cached_deb(dir: &Path, package: &str) -> Option<PathBuf> {
    let prefix = format!("{}_", package.split(':').next().unwrap_or(package));
    fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
    })
}

/// Downloads `package` (e.g. `busybox-static:arm64`) into the cache unless it is there, and
/// unpacks it (no maintainer scripts) into its own tree. Returns that tree.
fn fetch(layout: &Layout, package: &str) -> Result<PathBuf> {
    let debs = layout.debs();
    fs::create_dir_all(&debs).with_context(|| format!("creating {}", debs.display()))?;
    let deb = match cached_deb(&debs, package) {
        Some(deb) => deb,
        None => {
            shell::run(Command::new("apt-get").args(["download", "-q", package]).current_dir(&debs))
                .with_context(|| format!("downloading {package}: is `dpkg --add-architecture arm64` done and `apt-get update` run? (`cargo xtask setup`)"))?;
            cached_deb(&debs, package).with_context(|| format!("apt-get download {package} left no .deb in {}", debs.display()))?
        }
    };
    let name = package.split(':').next().unwrap_or(package);
    let tree = layout.unpacked(name);
    let stamp = tree.join(".unpacked-from");
    let deb_name = deb.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if fs::read_to_string(&stamp).ok().as_deref() != Some(deb_name.as_str()) {
        if tree.exists() {
            fs::remove_dir_all(&tree).with_context(|| format!("removing {}", tree.display()))?;
        }
        fs::create_dir_all(&tree)?;
        shell::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&tree))?;
        fs::write(&stamp, &deb_name)?;
    }
    Ok(tree)
}

/// Fetches everything; returns the kernel version.
fn fetch_packages(layout: &Layout) -> Result<String> {
    let depends = shell::output(Command::new("apt-cache").args(["depends", &format!("{KERNEL_META}:arm64")]))?;
    let image_pkg = depends
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .map(|p| p.trim_end_matches(":arm64").to_string())
        .with_context(|| format!("`apt-cache depends {KERNEL_META}:arm64` names no kernel package: run `apt-get update`"))?;
    let version = image_pkg.trim_start_matches("linux-image-").to_string();
    println!("  kernel package {image_pkg} (version {version})");
    let tree = fetch(layout, &format!("{image_pkg}:arm64"))?;
    let moddir = tree.join("lib/modules").join(&version);
    if !moddir.join("modules.dep").is_file() {
        // Debian's package ships no modules.dep; depmod -b writes it into our unpacked copy.
        shell::run(Command::new("depmod").arg("-b").arg(&tree).arg(&version))?;
    }
    for (package, why) in USERLAND {
        println!("  {package:<20} {why}");
        fetch(layout, &format!("{package}:arm64"))?;
    }
    for (package, why) in INDEP {
        println!("  {package:<20} {why}");
        fetch(layout, package)?;
    }
    Ok(version)
}

fn kernel_tree(layout: &Layout, version: &str) -> PathBuf {
    layout.unpacked(&format!("linux-image-{version}"))
}

// ---------------------------------------------------------------------------------------------
// Kernel and initramfs

fn kernel(layout: &Layout, version: &str) -> Result<()> {
    let vmlinuz = kernel_tree(layout, version).join("boot").join(format!("vmlinuz-{version}"));
    let stamp = layout.out().join("vmlinuz.gz.version");
    if layout.kernel().is_file() && fs::read_to_string(&stamp).ok().as_deref() == Some(version) {
        println!("  kernel {version}: compressed copy is up to date");
        return Ok(());
    }
    let gz = output_bytes(Command::new("gzip").args(["-9", "-n", "-c"]).arg(&vmlinuz))?;
    write_atomic(&layout.kernel(), &gz)?;
    fs::write(&stamp, version).context("writing the kernel stamp")
}

fn module_deps(layout: &Layout, version: &str) -> Result<modules::ModuleDeps> {
    let path = kernel_tree(layout, version).join("lib/modules").join(version).join("modules.dep");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(modules::ModuleDeps::parse(&text))
}

/// Copies the modules `wanted` (and their dependencies) into `dest_root/lib/modules/VERSION`
/// and runs depmod there. Returns the module paths.
fn install_modules(layout: &Layout, version: &str, wanted: &[&str], dest_root: &Path) -> Result<BTreeSet<String>> {
    let deps = module_deps(layout, version)?;
    let (paths, missing) = deps.closure(wanted);
    if !missing.is_empty() {
        bail!("kernel {version} has no module(s) {missing:?} (built in, renamed, or misspelt?)");
    }
    let from = kernel_tree(layout, version).join("lib/modules").join(version);
    let to = dest_root.join("lib/modules").join(version);
    for path in &paths {
        let target = to.join(path);
        fs::create_dir_all(target.parent().context("module path has no parent")?)?;
        fs::copy(from.join(path), &target).with_context(|| format!("copying module {path}"))?;
    }
    for file in ["modules.builtin", "modules.builtin.modinfo", "modules.order"] {
        if from.join(file).is_file() {
            fs::copy(from.join(file), to.join(file))?;
        }
    }
    shell::run(Command::new("depmod").arg("-b").arg(dest_root).arg(version))?;
    Ok(paths)
}

fn initramfs(root: &Path, layout: &Layout, version: &str) -> Result<()> {
    let stage = layout.base.join("initramfs-stage");
    recreate_dir(&stage)?;
    let paths = install_modules(layout, version, INITRAMFS_MODULES, &stage)?;
    // modprobe loads dependencies itself; the init loads these names in this order.
    let mut archive = cpio::Archive::default();
    for dir in ["bin", "dev", "etc", "lib", "proc", "sys", "run", "data", "newroot", "sbin", "tmp", "usr", "usr/bin", "usr/sbin"] {
        archive.add(dir, &cpio::Entry::Dir { mode: 0o755 });
    }
    archive.add("dev/console", &cpio::Entry::CharDev { mode: 0o600, major: 5, minor: 1 });
    archive.add("dev/null", &cpio::Entry::CharDev { mode: 0o666, major: 1, minor: 3 });
    let busybox = fs::read(layout.unpacked("busybox-static").join("bin/busybox"))?;
    archive.add("bin/busybox", &cpio::Entry::File { mode: 0o755, data: busybox });
    archive.add("bin/sh", &cpio::Entry::Symlink { target: "busybox".into() });
    let init = fs::read(root.join("buildroot/initramfs/init")).context("reading buildroot/initramfs/init")?;
    archive.add("init", &cpio::Entry::File { mode: 0o755, data: init });
    archive.add("etc/modules", &cpio::Entry::File { mode: 0o644, data: (INITRAMFS_MODULES.join("\n") + "\n").into_bytes() });
    // The id of the kernel this initramfs boots with (the boot medium's); the root compares it
    // with its slot's own kernel and kexecs into that one when they differ.
    archive.add("etc/loader-kernel.sha256", &cpio::Entry::File { mode: 0o644, data: format!("{}\n", sha256_file(&layout.kernel())?).into_bytes() });
    add_tree(&mut archive, &stage, "lib")?;
    let raw = archive.finish();
    let gz = output_bytes_stdin(Command::new("gzip").args(["-9", "-n", "-c"]), &raw)?;
    write_atomic(&layout.initramfs(), &gz)?;
    println!("  initramfs: busybox, init, {} modules ({} KiB uncompressed)", paths.len(), raw.len() / 1024);
    Ok(())
}

/// Adds `base/rel` and everything below it, directories first, in sorted order.
fn add_tree(archive: &mut cpio::Archive, base: &Path, rel: &str) -> Result<()> {
    let path = base.join(rel);
    let meta = fs::symlink_metadata(&path).with_context(|| format!("reading {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_dir() {
        archive.add(rel, &cpio::Entry::Dir { mode });
        let mut names: Vec<_> = fs::read_dir(&path)?.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        for name in names {
            add_tree(archive, base, &format!("{rel}/{name}"))?;
        }
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(&path)?.to_string_lossy().into_owned();
        archive.add(rel, &cpio::Entry::Symlink { target });
    } else {
        archive.add(rel, &cpio::Entry::File { mode, data: fs::read(&path)? });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Root filesystem

/// Paths of a package tree that the image never needs.
const PRUNE: &[&str] = &[
    "usr/share/doc",
    "usr/share/man",
    "usr/share/lintian",
    "usr/share/locale",
    "usr/share/bug",
    "usr/lib/aarch64-linux-gnu/gconv",
    "usr/bin",
    "usr/sbin",
    "sbin",
    "usr/libexec",
    "etc",
    "var",
];

fn rootfs(root: &Path, layout: &Layout, version: &str, binaries: &[(String, PathBuf)], has_kiosk: bool) -> Result<BTreeSet<String>> {
    let stage = layout.base.join("rootfs-stage");
    recreate_dir(&stage)?;
    for dir in ["proc", "sys", "dev", "run", "tmp", "data", "root", "mnt", "etc/ssl/certs", "usr/bin", "usr/sbin", "usr/share/hadir", "var"] {
        fs::create_dir_all(stage.join(dir))?;
    }
    for (link, target) in [("var/log", "/data/log"), ("var/run", "/run"), ("var/lock", "/run/lock"), ("var/tmp", "/tmp")] {
        std::os::unix::fs::symlink(target, stage.join(link))?;
    }
    // Libraries and tools from the packages, without docs, locales or package tooling.
    let mut packages: BTreeSet<String> = ["libc6", "libgcc-s1", "libbsd0", "libmd0"].iter().map(|s| s.to_string()).collect();
    for package in &packages {
        copy_package(layout, package, &stage)?;
    }
    let busybox_tree = layout.unpacked("busybox-static");
    fs::create_dir_all(stage.join("bin"))?;
    fs::copy(busybox_tree.join("bin/busybox"), stage.join("bin/busybox"))?;
    fs::copy(layout.unpacked("signify-openbsd").join("usr/bin/signify-openbsd"), stage.join("usr/bin/signify-openbsd"))
        .or_else(|_| fs::copy(layout.unpacked("signify-openbsd").join("bin/signify-openbsd"), stage.join("usr/bin/signify-openbsd")))
        .context("signify-openbsd binary not found in its package")?;
    // kexec (the Xen packages it needs hold much more than its libraries), and resize2fs for
    // rcS to grow the data filesystem into a partition provisioning grew.
    install_program(layout, &stage, "kexec-tools", "kexec")?;
    install_program(layout, &stage, "e2fsprogs", "resize2fs")?;
    // The slot's own kernel and initramfs: an update bundle carries them with the root, and
    // rcS kexecs into them when the boot medium's kernel is another one.
    fs::create_dir_all(stage.join("boot"))?;
    fs::copy(layout.kernel(), stage.join("boot/vmlinuz")).context("copying the kernel into the root")?;
    fs::copy(layout.initramfs(), stage.join("boot/initramfs.cpio.gz")).context("copying the initramfs into the root")?;
    fs::write(stage.join("boot/kernel.sha256"), format!("{}\n", sha256_file(&layout.kernel())?))?;
    // Busybox applet links, listed by the arm64 busybox itself under qemu-user.
    let list = shell::output(Command::new("qemu-aarch64-static").arg(stage.join("bin/busybox")).arg("--list-full"))?;
    let mut applets = 0;
    for path in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let link = stage.join(path);
        if fs::symlink_metadata(&link).is_ok() {
            continue;
        }
        fs::create_dir_all(link.parent().context("applet path has no parent")?)?;
        std::os::unix::fs::symlink("/bin/busybox", &link)?;
        applets += 1;
    }
    println!("  busybox: {applets} applet links");
    // The CA bundle that update-ca-certificates would make (no maintainer scripts run).
    let mozilla = layout.unpacked("ca-certificates").join("usr/share/ca-certificates/mozilla");
    let mut certs: Vec<PathBuf> = fs::read_dir(&mozilla)?.flatten().map(|e| e.path()).collect();
    certs.sort();
    let mut bundle = String::new();
    for cert in &certs {
        bundle.push_str(&fs::read_to_string(cert)?);
        if !bundle.ends_with('\n') {
            bundle.push('\n');
        }
    }
    fs::write(stage.join("etc/ssl/certs/ca-certificates.crt"), bundle)?;
    println!("  CA bundle: {} certificates", certs.len());
    // Kernel modules for the running system.
    let mut wanted: Vec<&str> = INITRAMFS_MODULES.to_vec();
    wanted.extend_from_slice(ROOT_MODULES);
    let modules = install_modules(layout, version, &wanted, &stage)?;
    println!("  kernel modules: {}", modules.len());
    // The overlay shared with the Buildroot tree.
    shell::run(Command::new("cp").arg("-a").arg(root.join("buildroot/overlay/.")).arg(&stage))?;
    // Device binaries.
    for (bin, from) in binaries {
        let kind = shell::output(Command::new("file").arg("-b").arg(from))?;
        if !kind.contains("ARM aarch64") {
            bail!("{} is not an aarch64 binary: {}", from.display(), kind.trim());
        }
        fs::copy(from, stage.join("usr/bin").join(bin)).with_context(|| format!("copying {bin}"))?;
    }
    // Their libraries: every DT_NEEDED must be in the image.
    let mut elf: Vec<PathBuf> = binaries.iter().map(|(b, _)| stage.join("usr/bin").join(b)).collect();
    elf.push(stage.join("usr/bin/signify-openbsd"));
    loop {
        let missing = missing_libraries(&stage, &elf)?;
        if missing.is_empty() {
            break;
        }
        let mut added = false;
        for (soname, needed_by) in &missing {
            let package = SONAME_PACKAGES
                .iter()
                .find(|(s, _)| s == soname)
                .map(|(_, p)| *p)
                .with_context(|| format!("{needed_by} needs {soname}, which no known Debian package provides: add it to SONAME_PACKAGES in xtask/src/image.rs"))?;
            if packages.insert(package.to_string()) {
                println!("  {needed_by} needs {soname}: adding {package}:arm64");
                fetch(layout, &format!("{package}:arm64"))?;
                copy_package(layout, package, &stage)?;
                added = true;
            }
        }
        if !added {
            bail!("libraries still missing after adding their packages: {missing:?}");
        }
        elf = shared_objects(&stage)?;
    }
    // Data files some libraries read at run time, from the package that ships them.
    for (library, package, dir, why) in LIBRARY_DATA {
        if packages.contains(*library) {
            let from = fetch(layout, &format!("{package}:arm64"))?.join(dir);
            fs::create_dir_all(stage.join(dir).parent().context("data path has no parent")?)?;
            shell::run(Command::new("cp").arg("-a").arg(&from).arg(stage.join(dir)))
                .with_context(|| format!("{package} has no {dir} ({why})"))?;
            println!("  {library}: {dir} from {package} ({why})");
        }
    }
    // Face models go with the kiosk that reads them.
    if has_kiosk {
        let models = crate::setup::models_dir(root);
        let dest = stage.join("usr/share/hadir/models");
        fs::create_dir_all(&dest)?;
        for (name, _) in crate::setup::face_models::FILES {
            fs::copy(models.join(name), dest.join(name))
                .with_context(|| format!("face model {name} missing in {}: run `cargo xtask setup`", models.display()))?;
        }
        // The touchscreen's font and the fontconfig file that shows fontconfig only it
        // (`KIOSK_FONTCONFIG` in image.conf; without a font, text layout panics).
        let ui = stage.join("usr/share/hadir/ui");
        fs::create_dir_all(ui.join("fonts"))?;
        fs::copy(root.join("ui/fonts.conf"), ui.join("fonts.conf")).context("copying ui/fonts.conf")?;
        for entry in fs::read_dir(root.join("ui/fonts")).context("reading ui/fonts")?.flatten() {
            fs::copy(entry.path(), ui.join("fonts").join(entry.file_name())).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    // Identity and the update key.
    let commit = shell::output(Command::new("git").args(["-C"]).arg(root).args(["describe", "--always", "--dirty"]))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    fs::write(
        stage.join("etc/os-release"),
        format!("NAME=Hadir\nID=hadir\nPRETTY_NAME=\"Hadir firmware ({commit})\"\nVERSION_ID={commit}\n"),
    )?;
    fs::write(stage.join("etc/hadir/version"), format!("{commit}\n"))?;
    let public = bundle::public_key(&layout.update_key())?;
    fs::write(stage.join("etc/hadir/update.pub"), signify::public_key_file(&public, "hadir update key"))?;
    // Squashfs: gzip loads models faster than xz (measured), root-owned files.
    let image = layout.rootfs();
    let _ = fs::remove_file(&image);
    shell::run(
        Command::new("mksquashfs")
            .arg(&stage)
            .arg(&image)
            .args(["-comp", "gzip", "-all-root", "-noappend", "-no-progress", "-quiet", "-b", "256K"]),
    )?;
    // The models' share of the root, for the size report: the same compression on the models
    // alone (squashfs compresses file by file, so this is their cost in the root to a few KiB).
    let models_only = layout.models_squashfs();
    let _ = fs::remove_file(&models_only);
    if has_kiosk {
        shell::run(
            Command::new("mksquashfs")
                .arg(stage.join("usr/share/hadir/models"))
                .arg(&models_only)
                .args(["-comp", "gzip", "-all-root", "-noappend", "-no-progress", "-quiet", "-b", "256K"]),
        )?;
    }
    Ok(packages)
}

/// SHA-256 (hex) of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let out = shell::output(Command::new("sha256sum").arg(path))?;
    out.split_whitespace().next().map(str::to_string).context("sha256sum printed nothing")
}

/// Copies one program of `package` (from its `sbin/`, or `usr/sbin/` once Debian merges them)
/// into the stage's `usr/sbin/`, with the libraries it needs one by one rather than whole
/// packages.
fn install_program(layout: &Layout, stage: &Path, package: &str, program: &str) -> Result<()> {
    let tree = layout.unpacked(package);
    let from = ["sbin", "usr/sbin"]
        .iter()
        .map(|dir| tree.join(dir).join(program))
        .find(|p| p.exists())
        .with_context(|| format!("{program} not found in {package}"))?;
    let to = stage.join("usr/sbin").join(program);
    fs::copy(&from, &to).with_context(|| format!("copying {program} into the root"))?;
    let added = install_needed(layout, stage, &to)?;
    println!("  {program}: {added} libraries added");
    Ok(())
}

/// Copies into the stage each library `elf` needs that the stage lacks (and theirs), one
/// file per soname from the Debian package `SONAME_PACKAGES` names. Returns how many.
fn install_needed(layout: &Layout, stage: &Path, elf: &Path) -> Result<usize> {
    let mut added = 0;
    let mut todo = vec![elf.to_path_buf()];
    while let Some(file) = todo.pop() {
        for (soname, needed_by) in missing_libraries(stage, std::slice::from_ref(&file))? {
            let package = SONAME_PACKAGES
                .iter()
                .find(|(s, _)| *s == soname)
                .map(|(_, p)| *p)
                .with_context(|| format!("{needed_by} needs {soname}, which no known Debian package provides: add it to SONAME_PACKAGES in xtask/src/image.rs"))?;
            let tree = fetch(layout, &format!("{package}:arm64"))?;
            let from = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu"]
                .iter()
                .map(|d| tree.join(d).join(&soname))
                .find(|p| p.exists())
                .with_context(|| format!("{package} has no {soname}"))?;
            let to = stage.join("usr/lib/aarch64-linux-gnu").join(&soname);
            fs::create_dir_all(to.parent().context("library path has no parent")?)?;
            fs::copy(&from, &to).with_context(|| format!("copying {soname}"))?;
            added += 1;
            todo.push(to);
        }
    }
    Ok(added)
}

/// A root filesystem like [`Layout::rootfs`] whose kernel is the same kernel compressed
/// differently, so that it is another kernel to the boot logic: the QEMU test's update
/// bundle carries it to show that an update brings its own kernel. Returns its path.
pub fn rootfs_with_other_kernel(layout: &Layout) -> Result<PathBuf> {
    let stage = layout.base.join("rootfs-stage");
    let original = fs::read(stage.join("boot/vmlinuz")).context("no rootfs stage: run `cargo xtask image` first")?;
    let raw = output_bytes_stdin(Command::new("gzip").args(["-d", "-c"]), &original)?;
    let other = output_bytes_stdin(Command::new("gzip").args(["-1", "-n", "-c"]), &raw)?;
    let out = layout.out().join("rootfs-other-kernel.squashfs");
    let result = (|| -> Result<()> {
        fs::write(stage.join("boot/vmlinuz"), &other)?;
        fs::write(stage.join("boot/kernel.sha256"), format!("{}\n", sha256_file(&stage.join("boot/vmlinuz"))?))?;
        let _ = fs::remove_file(&out);
        shell::run(
            Command::new("mksquashfs")
                .arg(&stage)
                .arg(&out)
                .args(["-comp", "gzip", "-all-root", "-noappend", "-no-progress", "-quiet", "-b", "256K"]),
        )
    })();
    fs::write(stage.join("boot/vmlinuz"), &original)?;
    fs::write(stage.join("boot/kernel.sha256"), format!("{}\n", sha256_file(&stage.join("boot/vmlinuz"))?))?;
    result.map(|()| out)
}

fn copy_package(layout: &Layout, package: &str, stage: &Path) -> Result<()> {
    let tree = layout.unpacked(package);
    let scratch = layout.base.join("pkg-scratch");
    recreate_dir(&scratch)?;
    shell::run(Command::new("cp").arg("-a").arg(tree.join(".")).arg(&scratch))?;
    let _ = fs::remove_file(scratch.join(".unpacked-from"));
    for prune in PRUNE {
        let path = scratch.join(prune);
        if path.is_dir() {
            fs::remove_dir_all(&path)?;
        }
    }
    shell::run(Command::new("cp").arg("-a").arg(scratch.join(".")).arg(stage))
}

/// Every ELF shared object and binary in the stage, for the DT_NEEDED walk.
fn shared_objects(stage: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut dirs = vec![stage.join("usr/bin"), stage.join("lib"), stage.join("usr/lib")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                if !path.ends_with("modules") {
                    dirs.push(path);
                }
            } else if meta.is_file() && fs::read(&path).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// (soname, needed-by) pairs for libraries that `elf` files need and the stage lacks.
fn missing_libraries(stage: &Path, elf: &[PathBuf]) -> Result<Vec<(String, String)>> {
    let lib_dirs = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib"];
    let mut missing = Vec::new();
    for file in elf {
        let dynamic = shell::output(Command::new("aarch64-linux-gnu-readelf").arg("-d").arg(file))?;
        for line in dynamic.lines().filter(|l| l.contains("(NEEDED)")) {
            let Some(soname) = line.split('[').nth(1).and_then(|s| s.split(']').next()) else { continue };
            if !lib_dirs.iter().any(|d| stage.join(d).join(soname).exists()) {
                let by = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                missing.push((soname.to_string(), by));
            }
        }
    }
    missing.sort();
    missing.dedup_by(|a, b| a.0 == b.0);
    Ok(missing)
}

// ---------------------------------------------------------------------------------------------
// Disk

/// Slot size: the root image with room to grow by half, in whole MiB, at least 16 MiB.
pub fn slot_mib(rootfs_bytes: u64) -> u64 {
    let mib = 1024 * 1024;
    (rootfs_bytes * 3 / 2).div_ceil(mib).max(16)
}

/// genimage's configuration for the disk.
pub fn genimage_config(slot_mib: u64) -> String {
    format!(
        r#"# Written by `cargo xtask image`: the Hadir disk for QEMU's virt board.
image disk.img {{
	hdimage {{
		partition-table-type = "gpt"
		align = 1M
	}}
	partition rootfs-a {{
		image = "rootfs.squashfs"
		size = {slot_mib}M
	}}
	partition rootfs-b {{
		size = {slot_mib}M
	}}
	partition data {{
		image = "data.ext4"
	}}
}}
"#
    )
}

/// Makes the ext4 data partition image from `content` (its files become the partition's).
pub fn make_data_partition(content: &Path, image: &Path, mib: u64) -> Result<()> {
    let _ = fs::remove_file(image);
    shell::run(
        Command::new("mke2fs")
            .args(["-q", "-t", "ext4", "-L", "hadir-data", "-E", "root_owner=0:0", "-O", "^metadata_csum_seed", "-d"])
            .arg(content)
            .arg(image)
            .arg(format!("{mib}M")),
    )
}

fn disk(layout: &Layout) -> Result<()> {
    let out = layout.out();
    let content = layout.base.join("data-stage");
    recreate_dir(&content)?;
    for dir in ["boot", "config", "log", "kiosk"] {
        fs::create_dir_all(content.join(dir))?;
    }
    fs::write(content.join("boot/committed"), "a\n")?;
    make_data_partition(&content, &out.join("data.ext4"), DATA_MIB)?;
    let rootfs_bytes = fs::metadata(layout.rootfs())?.len();
    let slot = slot_mib(rootfs_bytes);
    let config = layout.base.join("genimage.cfg");
    fs::write(&config, genimage_config(slot))?;
    let tmp = layout.base.join("genimage-tmp");
    let empty = layout.base.join("genimage-root");
    let _ = fs::remove_dir_all(&tmp);
    recreate_dir(&empty)?;
    let _ = fs::remove_file(layout.disk());
    shell::run(
        Command::new("genimage")
            .arg("--config").arg(&config)
            .arg("--inputpath").arg(&out)
            .arg("--outputpath").arg(&out)
            .arg("--tmppath").arg(&tmp)
            .arg("--rootpath").arg(&empty),
    )?;
    println!("  slots rootfs-a and rootfs-b: {slot} MiB each; data: {DATA_MIB} MiB");
    Ok(())
}

/// Bytes of a file, 0 when missing.
pub fn file_bytes(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The compressed face models' share of [`image_bytes`] (0 without the kiosk).
pub fn models_squashfs_bytes(layout: &Layout) -> u64 {
    file_bytes(&layout.models_squashfs())
}

/// The firmware's size: kernel + initramfs + root filesystem, the bytes that make one
/// installed slot (the disk file adds an empty second slot and the empty data partition).
pub fn image_bytes(layout: &Layout) -> u64 {
    file_bytes(&layout.rootfs()) + file_bytes(&layout.kernel()) + file_bytes(&layout.initramfs())
}

fn print_sizes(layout: &Layout, root: &Path, has_kiosk: bool) -> Result<()> {
    let mib = |b: u64| b as f64 / 1048576.0;
    println!("\nimage parts ({}):", layout.out().display());
    for (name, path) in [
        ("kernel (vmlinuz.gz)", layout.kernel()),
        ("initramfs (initramfs.cpio.gz)", layout.initramfs()),
        ("root (rootfs.squashfs)", layout.rootfs()),
        ("data partition (data.ext4)", layout.out().join("data.ext4")),
        ("disk (disk.img: GPT, A/B, data)", layout.disk()),
    ] {
        println!("  {name:<34} {:>8.1} MiB", mib(file_bytes(&path)));
    }
    if has_kiosk {
        let models: u64 = crate::setup::face_models::FILES
            .iter()
            .map(|(n, _)| file_bytes(&crate::setup::models_dir(root).join(n)))
            .sum();
        println!("  of which face models (uncompressed) {:>8.1} MiB", mib(models));
    }
    let total = image_bytes(layout);
    println!("  {:<34} {:>8.1} MiB", "firmware (kernel + initramfs + root)", mib(total));
    let models = models_squashfs_bytes(layout);
    if has_kiosk {
        println!("  {:<34} {:>8.1} MiB", "  of which face models (compressed)", mib(models));
        println!("  {:<34} {:>8.1} MiB", "firmware without the models", mib(total.saturating_sub(models)));
    }
    println!("image_bytes={total}");
    if has_kiosk {
        println!("image_bytes_without_models={}", total.saturating_sub(models));
    }
    println!("disk_bytes={}", file_bytes(&layout.disk()));
    Ok(())
}

/// Runs a command and returns its raw standard output.
pub fn output_bytes(cmd: &mut Command) -> Result<Vec<u8>> {
    let line = shell::describe(cmd);
    let out = cmd.output().with_context(|| format!("could not start `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(out.stdout)
}

/// Runs a command with `input` on its standard input and returns its raw standard output.
pub fn output_bytes_stdin(cmd: &mut Command, input: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    use std::process::Stdio;
    let line = shell::describe(cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{line}`"))?;
    let mut stdin = child.stdin.take().context("child has no stdin")?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    writer.join().map_err(|_| anyhow::anyhow!("stdin writer panicked"))??;
    if !out.status.success() {
        bail!("`{line}` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(out.stdout)
}

pub(crate) fn recreate_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let partial = path.with_extension("partial");
    fs::write(&partial, bytes).with_context(|| format!("writing {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("renaming to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_leave_room_to_grow() {
        let mib = 1024 * 1024;
        for (rootfs, slot) in [(1, 16), (10 * mib, 16), (11 * mib, 17), (20 * mib, 30), (40 * mib + 1, 61)] {
            assert_eq!(slot_mib(rootfs), slot, "{rootfs} bytes");
        }
    }

    #[test]
    fn genimage_config_names_the_partitions_the_initramfs_looks_for() {
        let config = genimage_config(24);
        let init = include_str!("../../buildroot/initramfs/init");
        for name in ["rootfs-a", "rootfs-b", "data"] {
            assert!(config.contains(&format!("partition {name} {{")), "{name} in genimage config");
            assert!(init.contains(&format!("part {name}")) || init.contains("part rootfs-$slot"), "{name} in init");
        }
        assert!(config.contains("size = 24M"));
        assert!(config.contains("partition-table-type = \"gpt\""));
    }
}
