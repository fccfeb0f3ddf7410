//! # Device identity: the Ed25519 key file and the keys derived from it
//!
//! The device key is made at first start and kept in a file only the kiosk user can read
//! (mode 0600). It holds the 32-byte Ed25519 seed as 64 hex digits and a newline. The same
//! secret, hashed with a domain tag, keys the encryption of face templates at rest and the PIN
//! index, so one file is the whole device secret.
//!
//! ## Troubleshooting
//! - "readable by group or others": `chmod 600 <file>` and check the owner is the kiosk user.
//! - "malformed": the file was edited or truncated; the device must be re-enrolled with a new
//!   key (move the file away, restart, enrol with a fresh token).

use hadir_protocol::DeviceKey;
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the device key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the key file failed.
    #[error("device key file {path}: {source} (check the directory exists and is writable by the kiosk user)")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file can be read by other users.
    #[error("device key file {path} has mode {mode:o}, readable by group or others; run `chmod 600 {path}`")]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not 64 hex digits.
    #[error("device key file {path} is malformed (expected 64 hex digits); move it away and re-enrol the device")]
    Malformed {
        /// The key file.
        path: PathBuf,
    },
}

/// The device's secrets: the signing key and the symmetric keys derived from it.
#[derive(Clone)]
pub struct Identity {
    /// The Ed25519 signing key.
    pub key: DeviceKey,
    seed: [u8; 32],
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("key", &self.key).finish_non_exhaustive()
    }
}

impl Identity {
    /// An identity from a seed (tests and benchmarks).
    pub fn from_seed(seed: [u8; 32]) -> Identity {
        Identity { key: DeviceKey::from_seed(&seed), seed }
    }

    /// Loads the key file, or makes it (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Identity, IdentityError> {
        let io = |source| IdentityError::Io { path: path.to_owned(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_mode(path)?;
                let mut seed = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut seed)
                    .map_err(|_| IdentityError::Malformed { path: path.to_owned() })?;
                Ok(Identity::from_seed(seed))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = DeviceKey::generate();
                let seed = key.to_seed();
                write_new(path, format!("{}\n", hex::encode(seed)).as_bytes()).map_err(io)?;
                tracing::info!(path = %path.display(), public = %key.public().to_hex(), "made a new device key");
                Ok(Identity { key, seed })
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A 32-byte key for `purpose`, derived from the device secret.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"hadir-kiosk derive\0");
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(self.seed);
        h.finalize().into()
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), IdentityError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| IdentityError::Io { path: path.to_owned(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(IdentityError::Permissions { path: path.to_owned(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), IdentityError> {
    Ok(())
}

/// Writes a new file with mode 0600 through a temporary name, synced, then renamed, so a power
/// cut leaves either no key or a whole key.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_mode_0600_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        let a = Identity::load_or_create(&path).unwrap();
        let b = Identity::load_or_create(&path).unwrap();
        assert_eq!(a.key.public(), b.key.public());
        assert_eq!(a.derive("templates"), b.derive("templates"));
        assert_ne!(a.derive("templates"), a.derive("pin-index"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = Identity::load_or_create(&path).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn malformed_key_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        write_new(&path, b"not hex\n").unwrap();
        let err = Identity::load_or_create(&path).unwrap_err();
        assert!(matches!(err, IdentityError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("re-enrol"));
    }
}
