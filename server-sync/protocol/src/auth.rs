//! Request signatures for device calls that carry no signed record (evidence upload, roster
//! sync, revocation checks).
//!
//! Records are signed one by one, so a batch upload needs no further authentication. Other
//! calls from an enrolled device carry four headers:
//!
//! ```text
//! x-hadir-device:    the device id
//! x-hadir-timestamp: the device's estimate of server time, UTC ms since the Unix epoch
//! x-hadir-nonce:     32 random hex digits, new for every request
//! x-hadir-signature: Ed25519 over request_message(...), hex
//! ```
//!
//! The signed message (version 2) is the UTF-8 text
//! `"HADIR-REQUEST/2\n{device id}\n{nonce}\n{METHOD}\n{path and query}\n{timestamp}\n{hex
//! SHA-256 of the body}"`. The server refuses a timestamp further than [`MAX_SKEW_MS`] from its
//! own clock (the device corrects its clock with `GET /api/v1/time` first) and a nonce it has
//! seen from the device within that window: a captured request cannot be sent again.

use crate::keys::{DeviceKey, Digest, PublicKey, Signature};

/// Header carrying the device id.
pub const HEADER_DEVICE: &str = "x-hadir-device";
/// Header carrying the timestamp (ms).
pub const HEADER_TIMESTAMP: &str = "x-hadir-timestamp";
/// Header carrying the request's nonce (hex).
pub const HEADER_NONCE: &str = "x-hadir-nonce";
/// Header carrying the signature (hex).
pub const HEADER_SIGNATURE: &str = "x-hadir-signature";
/// How far a request timestamp may be from the server's clock.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;

/// Why a request signature was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// A header is missing or unreadable.
    #[error("missing or unreadable header {0}")]
    BadHeader(&'static str),
    /// The timestamp is too far from the server's clock (sync the clock with /api/v1/time).
    #[error("request timestamp {timestamp_ms} is {skew_ms} ms from server time")]
    Skew {
        /// The request's timestamp.
        timestamp_ms: i64,
        /// Its distance from server time.
        skew_ms: i64,
    },
    /// The signature does not verify.
    #[error("request signature does not verify")]
    BadSignature,
}

/// The bytes a request signature covers.
pub fn request_message(device_id: &str, nonce: &str, method: &str, path_and_query: &str, timestamp_ms: i64, body: &[u8]) -> Vec<u8> {
    format!(
        "HADIR-REQUEST/2\n{}\n{}\n{}\n{}\n{}\n{}",
        device_id,
        nonce,
        method.to_ascii_uppercase(),
        path_and_query,
        timestamp_ms,
        Digest::of(body).to_hex()
    )
    .into_bytes()
}

/// The three authentication header values of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// The device id.
    pub device_id: String,
    /// The timestamp (ms).
    pub timestamp_ms: i64,
    /// The nonce (16 to 64 hex digits).
    pub nonce: String,
    /// The signature.
    pub signature: Signature,
}

impl RequestAuth {
    /// Signs a request.
    pub fn sign(
        key: &DeviceKey,
        device_id: &str,
        method: &str,
        path_and_query: &str,
        timestamp_ms: i64,
        body: &[u8],
    ) -> RequestAuth {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signature = key.sign(&request_message(device_id, &nonce, method, path_and_query, timestamp_ms, body));
        RequestAuth { device_id: device_id.to_owned(), timestamp_ms, nonce, signature }
    }

    /// Reads the header values (as text); `None` for a missing header.
    pub fn from_headers(
        device: Option<&str>,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&str>,
    ) -> Result<RequestAuth, AuthError> {
        let device_id = device.filter(|d| !d.is_empty()).ok_or(AuthError::BadHeader(HEADER_DEVICE))?;
        let timestamp_ms = timestamp
            .and_then(|t| t.parse().ok())
            .ok_or(AuthError::BadHeader(HEADER_TIMESTAMP))?;
        let nonce = nonce
            .filter(|n| (16..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(AuthError::BadHeader(HEADER_NONCE))?;
        let signature = signature
            .and_then(|s| Signature::from_hex(s).ok())
            .ok_or(AuthError::BadHeader(HEADER_SIGNATURE))?;
        Ok(RequestAuth { device_id: device_id.to_owned(), timestamp_ms, nonce: nonce.to_owned(), signature })
    }

    /// Checks the signature against `key`, then the timestamp against `now_ms`: only the
    /// key's holder hears that its clock is off, so a stranger's stale request is answered
    /// like any bad signature (and cannot tell an enrolled device id from an unknown one).
    pub fn verify(
        &self,
        key: &PublicKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(), AuthError> {
        key.verify(&request_message(&self.device_id, &self.nonce, method, path_and_query, self.timestamp_ms, body), &self.signature)
            .map_err(|_| AuthError::BadSignature)?;
        let skew_ms = self.timestamp_ms.saturating_sub(now_ms).saturating_abs();
        if skew_ms > MAX_SKEW_MS {
            return Err(AuthError::Skew { timestamp_ms: self.timestamp_ms, skew_ms });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_refusals() {
        let key = DeviceKey::from_seed(&[5; 32]);
        let now = 1_780_000_000_000;
        let auth = RequestAuth::sign(&key, "K1", "put", "/api/v1/evidence/ab", now, b"jpeg");
        let sig = auth.signature.to_hex();
        let ts = now.to_string();
        let read = RequestAuth::from_headers(Some("K1"), Some(&ts), Some(&auth.nonce), Some(&sig)).unwrap();
        assert_eq!(read, auth);
        assert_ne!(RequestAuth::sign(&key, "K1", "put", "/api/v1/evidence/ab", now, b"jpeg").nonce, auth.nonce, "a new nonce each time");
        let pk = key.public();
        assert_eq!(auth.verify(&pk, "PUT", "/api/v1/evidence/ab", b"jpeg", now + 1000), Ok(()));
        assert_eq!(auth.verify(&pk, "PUT", "/api/v1/evidence/ab", b"jpg", now), Err(AuthError::BadSignature));
        assert_eq!(auth.verify(&pk, "GET", "/api/v1/evidence/ab", b"jpeg", now), Err(AuthError::BadSignature));
        assert!(matches!(
            auth.verify(&pk, "PUT", "/api/v1/evidence/ab", b"jpeg", now + MAX_SKEW_MS + 1),
            Err(AuthError::Skew { .. })
        ));
        // A stale request that is not the key's own is a bad signature, not a clock problem.
        let stranger = DeviceKey::from_seed(&[6; 32]).public();
        assert_eq!(auth.verify(&stranger, "PUT", "/api/v1/evidence/ab", b"jpeg", now + MAX_SKEW_MS + 1), Err(AuthError::BadSignature));
        // The device id and the nonce are signed: neither can be swapped.
        let other_device = RequestAuth { device_id: "K2".into(), ..auth.clone() };
        assert_eq!(other_device.verify(&pk, "PUT", "/api/v1/evidence/ab", b"jpeg", now), Err(AuthError::BadSignature));
        let other_nonce = RequestAuth { nonce: "0".repeat(32), ..auth.clone() };
        assert_eq!(other_nonce.verify(&pk, "PUT", "/api/v1/evidence/ab", b"jpeg", now), Err(AuthError::BadSignature));
        let header = |ts: &str, nonce: Option<&str>| RequestAuth::from_headers(Some("K1"), Some(ts), nonce, Some(&sig));
        assert_eq!(header("soon", Some(&auth.nonce)), Err(AuthError::BadHeader(HEADER_TIMESTAMP)));
        for nonce in [None, Some("abc"), Some("zz".repeat(16).as_str()), Some("a".repeat(65).as_str())] {
            assert_eq!(header(&ts, nonce), Err(AuthError::BadHeader(HEADER_NONCE)), "{nonce:?}");
        }
    }
}
