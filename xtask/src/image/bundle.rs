//! `cargo xtask bundle`: a signed update bundle from the last `cargo xtask image`, and the
//! update key it is signed with.
//!
//! A bundle is a ustar archive of `manifest` (key=value lines), `manifest.sig` (Ed25519 over
//! the manifest, signify format) and `rootfs.squashfs`. The device side is
//! `buildroot/overlay/usr/sbin/hadir-update`: it checks the signature against the key baked
//! into its running slot, the image hash against the manifest, writes the inactive slot, reads
//! it back and arms a trial boot.
//!
//! Keys: `HADIR_UPDATE_KEY` names a PEM Ed25519 private key (production keys live with
//! whoever signs releases, never in the repository); without it a development key is made in
//! `target/image/keys/` on first use, and images built with it accept only its bundles.

use super::{Layout, signify};
use crate::shell;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The raw public key of the PEM private key at `key`, making a development key there if
/// nothing exists and `HADIR_UPDATE_KEY` is not set.
pub fn public_key(key: &Path) -> Result<[u8; 32]> {
    if !key.is_file() {
        if std::env::var_os("HADIR_UPDATE_KEY").is_some() {
            bail!("HADIR_UPDATE_KEY names {}, which does not exist", key.display());
        }
        fs::create_dir_all(key.parent().context("key path has no parent")?)?;
        println!("  making a DEVELOPMENT update key {} (set HADIR_UPDATE_KEY for releases)", key.display());
        shell::run(Command::new("openssl").args(["genpkey", "-algorithm", "ed25519", "-out"]).arg(key))?;
    }
    let der = super::output_bytes(
        Command::new("openssl").args(["pkey", "-pubout", "-outform", "DER", "-in"]).arg(key),
    )?;
    signify::public_from_spki_der(&der)
        .with_context(|| format!("{} is not an Ed25519 private key", key.display()))
}

/// Signs `message` with the PEM key; returns the raw 64-byte signature.
pub fn sign(key: &Path, message: &Path) -> Result<[u8; 64]> {
    let sig = super::output_bytes(
        Command::new("openssl")
            .args(["pkeyutl", "-sign", "-rawin", "-inkey"])
            .arg(key)
            .arg("-in")
            .arg(message),
    )?;
    sig.as_slice()
        .try_into()
        .with_context(|| format!("openssl made a {}-byte signature, expected 64", sig.len()))
}

/// The manifest text for a root image.
pub fn manifest(version: &str, rootfs_sha256: &str, rootfs_bytes: u64) -> String {
    format!("format=1\nversion={version}\nrootfs_sha256={rootfs_sha256}\nrootfs_bytes={rootfs_bytes}\n")
}

/// Makes `out` from the built root image, signed with the update key. Returns its path.
pub fn make(layout: &Layout, version: &str, out: Option<PathBuf>) -> Result<PathBuf> {
    make_from(layout, &layout.rootfs(), version, out)
}

/// [`make`] with another root filesystem image as the payload.
pub fn make_from(layout: &Layout, rootfs: &Path, version: &str, out: Option<PathBuf>) -> Result<PathBuf> {
    let rootfs = rootfs.to_path_buf();
    if !rootfs.is_file() {
        bail!("{} does not exist: run `cargo xtask image` first", rootfs.display());
    }
    let key = layout.update_key();
    let public = public_key(&key)?;
    let work = layout.base.join("bundle-stage");
    super::recreate_dir(&work)?;
    let sum = shell::output(Command::new("sha256sum").arg(&rootfs))?;
    let sum = sum.split_whitespace().next().context("sha256sum printed nothing")?.to_string();
    let bytes = fs::metadata(&rootfs)?.len();
    fs::write(work.join("manifest"), manifest(version, &sum, bytes))?;
    let signature = sign(&key, &work.join("manifest"))?;
    fs::write(
        work.join("manifest.sig"),
        signify::signature_file(&public, &signature, "verify with hadir update key"),
    )?;
    fs::copy(&rootfs, work.join("rootfs.squashfs"))?;
    let out = out.unwrap_or_else(|| layout.out().join(format!("hadir-update-{version}.bundle")));
    shell::run(
        Command::new("tar")
            .args(["--format=ustar", "--owner=0", "--group=0", "-cf"])
            .arg(&out)
            .arg("-C")
            .arg(&work)
            .args(["manifest", "manifest.sig", "rootfs.squashfs"]),
    )?;
    println!("  bundle {} (version {version}, root {bytes} bytes, sha256 {sum})", out.display());
    Ok(out)
}

/// `cargo xtask bundle [--version V] [--out FILE]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut version = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--version" => version = Some(it.next().context("--version needs a value")?.clone()),
            "--out" => out = Some(PathBuf::from(it.next().context("--out needs a path")?)),
            other => bail!("unknown argument `{other}` (bundle takes --version V, --out FILE)"),
        }
    }
    let layout = Layout::new(root);
    let version = match version {
        Some(v) => v,
        None => fs::read_to_string(layout.base.join("rootfs-stage/etc/hadir/version"))
            .map(|v| v.trim().to_string())
            .context("no version given and no built image to take it from")?,
    };
    make(&layout, &version, out).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_has_the_fields_hadir_update_reads() {
        let text = manifest("v1.2", "ab12", 4096);
        let script = include_str!("../../../buildroot/overlay/usr/sbin/hadir-update");
        for key in ["format", "version", "rootfs_sha256", "rootfs_bytes"] {
            assert!(text.lines().any(|l| l.starts_with(&format!("{key}="))), "{key} in manifest");
            assert!(script.contains(&format!("field {key}")), "hadir-update reads {key}");
        }
        assert!(text.starts_with("format=1\n"));
    }

    /// Signs with openssl and verifies the way `hadir-update` does on boards without
    /// signify (raw key from the signify-format file, rebuilt as DER, `openssl pkeyutl`).
    /// The device's signify-openbsd path is exercised in the guest by `cargo xtask qemu-test`.
    #[test]
    fn signatures_verify_from_the_signify_files_and_tampering_is_refused() {
        let dir = std::env::temp_dir().join(format!("hadir-sign-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let key = dir.join("k.pem");
        shell::run(Command::new("openssl").args(["genpkey", "-algorithm", "ed25519", "-out"]).arg(&key)).unwrap();
        let public = public_key(&key).unwrap();
        fs::write(dir.join("m"), manifest("t", "00", 1)).unwrap();
        let sig = sign(&key, &dir.join("m")).unwrap();
        let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        der.extend_from_slice(&public);
        fs::write(dir.join("pub.der"), &der).unwrap();
        fs::write(dir.join("sig"), sig).unwrap();
        let verify = |message: &str| {
            Command::new("openssl")
                .args(["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-rawin", "-inkey"])
                .arg(dir.join("pub.der"))
                .arg("-in")
                .arg(dir.join(message))
                .arg("-sigfile")
                .arg(dir.join("sig"))
                .output()
                .unwrap()
                .status
                .success()
        };
        assert!(verify("m"), "a good signature was refused");
        fs::write(dir.join("bad"), manifest("t", "01", 1)).unwrap();
        assert!(!verify("bad"), "a tampered manifest was accepted");
        fs::remove_dir_all(&dir).ok();
    }
}
