//! Update signing: Ed25519 keys and signatures in OpenBSD signify's file format, so that the
//! device verifies bundles with Debian's small `signify-openbsd` (no OpenSSL in the image)
//! while the host signs with the `openssl` it already has.
//!
//! signify's files are one comment line and one base64 line: a public key is
//! `"Ed" || keynum[8] || pubkey[32]`, a signature `"Ed" || keynum[8] || sig[64]`, where the
//! signature is plain Ed25519 over the message bytes. The key number ties a signature to its
//! key; we take the first 8 bytes of the public key.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The public key file for a raw 32-byte Ed25519 public key.
pub fn public_key_file(public: &[u8; 32], comment: &str) -> String {
    let mut blob = b"Ed".to_vec();
    blob.extend_from_slice(&public[..8]);
    blob.extend_from_slice(public);
    format!("untrusted comment: {comment}\n{}\n", base64(&blob))
}

/// The signature file for a raw 64-byte Ed25519 signature made by `public`'s key.
pub fn signature_file(public: &[u8; 32], signature: &[u8; 64], comment: &str) -> String {
    let mut blob = b"Ed".to_vec();
    blob.extend_from_slice(&public[..8]);
    blob.extend_from_slice(signature);
    format!("untrusted comment: {comment}\n{}\n", base64(&blob))
}

/// The raw public key from the DER `SubjectPublicKeyInfo` that `openssl pkey -pubout
/// -outform DER` prints for an Ed25519 key (a fixed 12-byte prefix, then the key).
pub fn public_from_spki_der(der: &[u8]) -> Option<[u8; 32]> {
    const PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    if der.len() != 44 || der[..12] != PREFIX {
        return None;
    }
    der[12..].try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output, "{input:?}");
        }
    }

    #[test]
    fn key_and_signature_files_have_signify_layout() {
        let public: [u8; 32] = std::array::from_fn(|i| i as u8);
        let key = public_key_file(&public, "hadir test key");
        let mut lines = key.lines();
        assert_eq!(lines.next(), Some("untrusted comment: hadir test key"));
        // 2 + 8 + 32 = 42 bytes -> 56 base64 characters.
        assert_eq!(lines.next().map(str::len), Some(56));
        let sig = signature_file(&public, &[7; 64], "c");
        // 2 + 8 + 64 = 74 bytes -> 100 base64 characters, starting with "Ed" + keynum.
        let line = sig.lines().nth(1).unwrap();
        assert_eq!(line.len(), 100);
        assert_eq!(&line[..4], &base64(b"Ed\x00\x01")[..4]);
    }

    #[test]
    fn spki_prefix_is_checked() {
        let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        der.extend_from_slice(&[9; 32]);
        assert_eq!(public_from_spki_der(&der), Some([9; 32]));
        der[7] = 0x6e; // an X25519 key, not Ed25519
        assert_eq!(public_from_spki_der(&der), None);
        assert_eq!(public_from_spki_der(&der[..40]), None);
    }
}
