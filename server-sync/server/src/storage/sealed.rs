//! Face templates sealed at rest: ChaCha20-Poly1305 with a key file the server makes at its
//! first start.
//!
//! Face templates are personal data of the most sensitive kind (Indonesia's personal-data
//! law), so the database never holds them in clear: a dump or a backup of the database alone
//! reveals nothing. Each template is sealed on its own with a random 96-bit nonce; the
//! associated data binds it to its employee and model, so a sealed blob moved to another
//! employee's row does not open.
//!
//! Evidence photos are faces too: they are sealed with the same key ([`TemplateKey::seal_photo`]),
//! their associated data binding each to the SHA-256 that the signed record names.
//!
//! # Formats
//!
//! - Key file: 64 hex digits (32 bytes) and a newline, mode 0600, made with
//!   [`TemplateKey::load_or_create`] (written to a temporary file, synced, then linked into
//!   place, so a crash never leaves half a key and two starting servers agree on one key).
//! - Sealed blob: `nonce (12 bytes) || ciphertext || tag (16 bytes)`.
//! - Key id (stored beside each template): 16 hex digits of SHA-256 over a label and the key,
//!   so a server started with the wrong key file says so instead of failing to decrypt.
//! - Content digest (for idempotent uploads): SHA-256 over the key, employee, model and clear
//!   embedding; without the key it says nothing about the embedding.
//!
//! # Troubleshooting
//!
//! - "key file … is readable by group or others": `chmod 600` the file.
//! - "sealed with key X, this server holds key Y": the key file was replaced; restore the
//!   original (keep it in the server's backup, separately from database backups). Without it
//!   the templates are lost: re-enrol the faces. Keys are changed only by
//!   `hadir-server template-key rotate` ([`super::rotation`]), which re-seals every row first.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hadir_protocol::Digest;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The key file's name when the configuration names none (next to the SQLite file).
pub const DEFAULT_KEY_FILE: &str = "hadir-template.key";

const NONCE_LEN: usize = 12;

/// Why the key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("template key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not 64 hex digits.
    #[error("template key file {path} is not 64 hex digits; restore it from the backup (deleting it loses every face template)")]
    Format {
        /// The file.
        path: PathBuf,
    },
    /// Other users may read it.
    #[error("template key file {path} is readable by group or others (mode {mode:o}): run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
}

/// Why a sealed template did not open.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    /// Sealed with another key.
    #[error("template sealed with key {sealed_with}, this server holds key {held}: restore the original template key file")]
    WrongKey {
        /// The key id stored with the template.
        sealed_with: String,
        /// This server's key id.
        held: String,
    },
    /// The blob is damaged or belongs to another employee or model.
    #[error("sealed template does not authenticate (damaged, or moved to another employee)")]
    Damaged,
}

/// The key that seals templates.
#[derive(Clone)]
pub struct TemplateKey {
    bytes: [u8; 32],
    id: String,
}

impl std::fmt::Debug for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("TemplateKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl TemplateKey {
    /// A key from its bytes (tests; servers use [`TemplateKey::load_or_create`]).
    pub fn from_bytes(bytes: [u8; 32]) -> TemplateKey {
        let mut label = b"hadir-template-key-id/1".to_vec();
        label.extend_from_slice(&bytes);
        let id = Digest::of(&label).to_hex()[..16].to_owned();
        TemplateKey { bytes, id }
    }

    /// Reads the key file, or makes one (mode 0600) if there is none.
    pub fn load_or_create(path: &Path) -> Result<TemplateKey, KeyFileError> {
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        match std::fs::metadata(path) {
            Ok(_) => return TemplateKey::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let bytes: [u8; 32] = rand::random();
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())?;
            f.sync_all()
        };
        write().map_err(io)?;
        // A link fails if another process made the key meanwhile: then both use that one.
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    // Make the new directory entry durable too.
                    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
                }
                tracing::info!(path = %path.display(), "made a new face-template key; back it up apart from the database");
                Ok(TemplateKey::from_bytes(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => TemplateKey::load(path),
            Err(e) => Err(io(e)),
        }
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<TemplateKey, KeyFileError> {
        let io = |source| KeyFileError::Io { path: path.to_owned(), source };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions { path: path.to_owned(), mode });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| KeyFileError::Format { path: path.to_owned() })?;
        Ok(TemplateKey::from_bytes(bytes))
    }

    /// The key's id (not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn aad(employee_id: &str, model_version: &str) -> Vec<u8> {
        format!("hadir-template/1\n{employee_id}\n{model_version}").into_bytes()
    }

    /// Seals a clear embedding (`f32` little-endian bytes).
    pub fn seal(&self, employee_id: &str, model_version: &str, clear: &[u8]) -> Vec<u8> {
        self.seal_with(&TemplateKey::aad(employee_id, model_version), clear)
    }

    /// Opens a sealed blob stored with `key_id`.
    pub fn open(&self, employee_id: &str, model_version: &str, key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        self.open_with(&TemplateKey::aad(employee_id, model_version), key_id, sealed)
    }

    fn photo_aad(sha256: Digest) -> Vec<u8> {
        format!("hadir-photo/1\n{}", sha256.to_hex()).into_bytes()
    }

    /// Seals an evidence photo whose SHA-256 (of the clear JPEG) is `sha256`.
    pub fn seal_photo(&self, sha256: Digest, jpeg: &[u8]) -> Vec<u8> {
        self.seal_with(&TemplateKey::photo_aad(sha256), jpeg)
    }

    /// Opens an evidence photo sealed with `key_id`; the result hashes to `sha256`.
    pub fn open_photo(&self, sha256: Digest, key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        self.open_with(&TemplateKey::photo_aad(sha256), key_id, sealed)
    }

    fn seal_with(&self, aad: &[u8], clear: &[u8]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new((&self.bytes).into());
        let nonce: [u8; NONCE_LEN] = rand::random();
        // Encryption with a fresh cipher cannot fail for a message under 256 GiB.
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: clear, aad })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    fn open_with(&self, aad: &[u8], key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if key_id != self.id {
            return Err(OpenError::WrongKey { sealed_with: key_id.to_owned(), held: self.id.clone() });
        }
        if sealed.len() < NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        ChaCha20Poly1305::new((&self.bytes).into())
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
            .map_err(|_| OpenError::Damaged)
    }

    /// The keyed digest of a clear template, hex (finds the same upload twice).
    pub fn content_digest(&self, employee_id: &str, model_version: &str, clear: &[u8]) -> String {
        let mut data = b"hadir-template-content/1".to_vec();
        data.extend_from_slice(&self.bytes);
        data.extend_from_slice(TemplateKey::aad(employee_id, model_version).as_slice());
        data.push(0);
        data.extend_from_slice(clear);
        Digest::of(&data).to_hex()
    }
}

/// Where the key file is when the configuration names none: beside the SQLite file.
pub fn default_key_path(sqlite_path: &Path) -> PathBuf {
    sqlite_path.parent().unwrap_or(Path::new("")).join(DEFAULT_KEY_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let a = TemplateKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = TemplateKey::load_or_create(&path).unwrap();
        assert_eq!(a.id(), b.id(), "the second start reads the same key");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(TemplateKey::load(&path), Err(KeyFileError::Permissions { .. })));
        std::fs::write(&path, "short").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(TemplateKey::load(&path), Err(KeyFileError::Format { .. })));
    }

    #[test]
    fn seal_open_and_refusals() {
        let key = TemplateKey::from_bytes([3; 32]);
        let clear: Vec<u8> = (0..2048u32).map(|i| i as u8).collect();
        let sealed = key.seal("E1", "m", &clear);
        assert_eq!(sealed.len(), 12 + clear.len() + 16);
        assert!(!sealed.windows(64).any(|w| w == &clear[..64]), "no clear text in the blob");
        assert_eq!(key.open("E1", "m", key.id(), &sealed), Ok(clear.clone()));
        assert_eq!(key.open("E2", "m", key.id(), &sealed), Err(OpenError::Damaged), "bound to its employee");
        assert_eq!(key.open("E1", "m2", key.id(), &sealed), Err(OpenError::Damaged), "bound to its model");
        let mut flipped = sealed.clone();
        flipped[40] ^= 1;
        assert_eq!(key.open("E1", "m", key.id(), &flipped), Err(OpenError::Damaged));
        let other = TemplateKey::from_bytes([4; 32]);
        assert!(matches!(other.open("E1", "m", key.id(), &sealed), Err(OpenError::WrongKey { .. })));
        assert_ne!(key.seal("E1", "m", &clear), sealed, "fresh nonce each time");
        assert_eq!(key.content_digest("E1", "m", &clear), key.content_digest("E1", "m", &clear));
        assert_ne!(key.content_digest("E1", "m", &clear), other.content_digest("E1", "m", &clear));
        assert_ne!(key.content_digest("E1", "m", &clear), key.content_digest("E2", "m", &clear));
    }

    #[test]
    fn photos_are_bound_to_their_hash() {
        let key = TemplateKey::from_bytes([3; 32]);
        let (a, b) = (b"\xff\xd8 photo A".to_vec(), b"\xff\xd8 photo B".to_vec());
        let sealed = key.seal_photo(Digest::of(&a), &a);
        assert_eq!(key.open_photo(Digest::of(&a), key.id(), &sealed), Ok(a.clone()));
        // Moved onto another photo's row (or opened as a template), it does not open.
        assert_eq!(key.open_photo(Digest::of(&b), key.id(), &sealed), Err(OpenError::Damaged));
        assert_eq!(key.open(&Digest::of(&a).to_hex(), "m", key.id(), &sealed), Err(OpenError::Damaged));
    }
}
