//! Keys, digests and signatures: thin, serde-friendly wrappers over Ed25519 (ed25519-dalek 2)
//! and SHA-256.
//!
//! On the wire all three travel as lowercase hex strings. A device's private key never leaves
//! the device; only [`PublicKey`] is sent at enrolment.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// Why a key, digest or signature could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The hex text was not valid hex or had the wrong length.
    #[error("{what}: expected {expected} bytes as hex, got {got:?}")]
    BadHex {
        /// What was being read ("public key", "digest" …).
        what: &'static str,
        /// How many bytes were expected.
        expected: usize,
        /// The offending text (truncated to 80 characters).
        got: String,
    },
    /// The bytes are not a usable Ed25519 public key (not a curve point, or of small order).
    #[error("not a usable Ed25519 public key (invalid point or weak key)")]
    BadPublicKey,
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
#[error("signature does not verify")]
pub struct VerifyError;

fn parse_hex<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N], KeyError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| KeyError::BadHex {
        what,
        expected: N,
        got: text.chars().take(80).collect(),
    })?;
    Ok(out)
}

/// Lowercase hex through `hex::encode_to_slice` (`hex::encode` builds its string a `char` at
/// a time, which showed in the ingest's profile: four hashes and a signature per stored record).
fn lower_hex<const N: usize>(bytes: &[u8; N]) -> String {
    let mut text = vec![0u8; 2 * N];
    // Neither can fail: the buffer is exactly twice the input, and only ASCII digits are written.
    let _ = hex::encode_to_slice(bytes, &mut text);
    String::from_utf8(text).unwrap_or_default()
}

/// Reads a hex string in place (a `String` or `Cow` would copy every hash of an upload first).
struct FromHex<T>(std::marker::PhantomData<T>);

impl<T: std::str::FromStr<Err = KeyError>> serde::de::Visitor<'_> for FromHex<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string of hex digits")
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

macro_rules! hex_serde {
    ($ty:ident, $n:expr, $what:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&lower_hex(&self.to_bytes()))
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(FromHex(std::marker::PhantomData))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.to_bytes()))
            }
        }
        impl std::str::FromStr for $ty {
            type Err = KeyError;
            fn from_str(s: &str) -> Result<Self, KeyError> {
                $ty::from_hex(s)
            }
        }
    };
}

/// A SHA-256 digest (record hashes, evidence photo hashes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The all-zero digest: the `prev_hash` of a device's first record.
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of `data`.
    pub fn of(data: &[u8]) -> Digest {
        Digest(Sha256::digest(data).into())
    }

    /// The raw 32 bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Digest, KeyError> {
        parse_hex::<32>("SHA-256 digest", text).map(Digest)
    }

    /// A digest as people copy a certificate's fingerprint (`openssl x509 -fingerprint
    /// -sha256` prints `AB:CD:…`): hex in any case, colons and spaces ignored.
    pub fn from_fingerprint(text: &str) -> Result<Digest, KeyError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
        Digest::from_hex(&digits)
    }

    /// Lowercase hex.
    pub fn to_hex(self) -> String {
        lower_hex(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", hex::encode(self.0))
    }
}
hex_serde!(Digest, 32, "SHA-256 digest");

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    /// The raw 64 bytes.
    pub fn to_bytes(self) -> [u8; 64] {
        self.0
    }

    /// Reads 128 hex digits.
    pub fn from_hex(text: &str) -> Result<Signature, KeyError> {
        parse_hex::<64>("Ed25519 signature", text).map(Signature)
    }

    /// Lowercase hex.
    pub fn to_hex(self) -> String {
        lower_hex(&self.0)
    }

    fn dalek(self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}
hex_serde!(Signature, 64, "Ed25519 signature");

/// A device's Ed25519 public key, recorded by the server at enrolment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads 32 raw bytes; refuses points off the curve and weak (small-order) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::BadPublicKey)?;
        if key.is_weak() {
            return Err(KeyError::BadPublicKey);
        }
        Ok(PublicKey(key))
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_bytes(&parse_hex::<32>("Ed25519 public key", text)?)
    }

    /// The raw 32 bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Lowercase hex.
    pub fn to_hex(self) -> String {
        lower_hex(&self.to_bytes())
    }

    /// Verifies `signature` over `message` (strict: refuses malleable signatures).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), VerifyError> {
        self.0
            .verify_strict(message, &signature.dalek())
            .map_err(|_| VerifyError)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}
hex_serde!(PublicKey, 32, "Ed25519 public key");

/// A device's private signing key. It never leaves the device; `Debug` does not print it.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> DeviceKey {
        DeviceKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// The key for a 32-byte seed (the form in which the kiosk stores it).
    pub fn from_seed(seed: &[u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for the kiosk's (encrypted) key store.
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half, sent to the server at enrolment.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic: the same message always gives the same signature).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey(public {})", self.public().to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_the_hex_crates() {
        let all: [u8; 256] = std::array::from_fn(|i| i as u8);
        for chunk in all.chunks_exact(32) {
            let bytes: [u8; 32] = chunk.try_into().expect("32 bytes");
            assert_eq!(lower_hex(&bytes), hex::encode(bytes));
            assert_eq!(Digest(bytes).to_hex(), hex::encode(bytes));
        }
        assert_eq!(lower_hex(&[0u8; 0]), "");
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_lengths() {
        let key = DeviceKey::from_seed(&[7; 32]);
        let pk = key.public();
        assert_eq!(PublicKey::from_hex(&pk.to_hex()), Ok(pk));
        assert!(matches!(Digest::from_hex("abcd"), Err(KeyError::BadHex { expected: 32, .. })));
        assert!(Signature::from_hex(&"zz".repeat(64)).is_err());
        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), pk);
    }

    #[test]
    fn weak_public_keys_are_refused() {
        // The identity point (small order) encoded as y = 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::BadPublicKey));
    }
}
