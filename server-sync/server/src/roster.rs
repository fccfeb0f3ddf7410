//! Roster helpers: PIN hashing and the wire form of face templates.
//!
//! PINs are stored only as Argon2id hashes (PHC strings, random salt); the server never keeps
//! or logs a PIN. Devices receive the hash and verify PINs offline with the same function.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;

/// Why a PIN could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash PIN: {0}")]
pub struct PinError(String);

/// Hashes a PIN with Argon2id (default parameters) and a random salt.
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError(e.to_string()))
}

/// Whether `pin` matches a PHC hash made by [`hash_pin`].
pub fn verify_pin(pin: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// Stored template bytes (`f32` little-endian) as the wire's base64.
pub fn embedding_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_hash_and_verify() {
        let h = hash_pin("2468").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_pin("2468", &h));
        assert!(!verify_pin("2469", &h));
        assert!(!verify_pin("2468", "not a hash"));
        assert_ne!(hash_pin("2468").unwrap(), h, "salted");
    }
}
