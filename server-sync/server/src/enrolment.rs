//! One-time enrolment tokens.
//!
//! An admin runs `hadir-server enrol-token --device-id … --site … --mode …`; the token is
//! printed once (only its SHA-256 is stored) and typed or scanned into the new device, which
//! sends it with its public key to `POST /api/v1/devices/enrol`. A token works once, until it
//! expires.

use crate::storage::{NewToken, StorageError, Store};
use hadir_protocol::Mode;
use rand::RngCore;

/// Creates a token for `device_id` and returns it (the only time it is visible).
pub async fn issue_token(
    store: &Store,
    device_id: &str,
    site_id: &str,
    mode: Mode,
    ttl_hours: u32,
    now_ms: i64,
) -> Result<String, StorageError> {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // Groups of four hex digits: easy to read out over the phone and to type on a keypad.
    let hex = hex::encode(bytes);
    let token = hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-");
    let new = NewToken {
        device_id: device_id.to_owned(),
        site_id: site_id.to_owned(),
        mode,
        expires_at_ms: now_ms + i64::from(ttl_hours) * 3_600_000,
    };
    store.create_enrol_token(&token, &new, now_ms).await?;
    Ok(token)
}
