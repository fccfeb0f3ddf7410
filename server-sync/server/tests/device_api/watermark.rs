//! The sync watermark (`devices.synced_until_ms`) and the refused-uploads table, through HTTP.

use crate::harness::{T0, batch_json, json, start};
use hadir_client::{DRAIN_MARGIN_MS, MemoryOutbox};
use hadir_protocol::batch::DrainClaim;
use hadir_protocol::{DeviceKey, Mode, UploadBatch};
use hadir_server::storage::Store;
use std::sync::atomic::Ordering;

fn claim_body(claim: DrainClaim) -> Vec<u8> {
    serde_json::to_vec(&UploadBatch { records: vec![], drained: Some(claim) }).unwrap()
}

/// The watermark moves only on a verified claim whose records the server holds, never past
/// the server's clock, never backwards; an idle kiosk moves it with heartbeats.
pub async fn watermark_follows_drained_outboxes(store: Store) {
    let server = start(store).await;
    let mut dev = server.enrol("KIOSK-W", "S1", Mode::Office).await;
    let st = server.store();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), None, "nothing synced yet");

    // 150 records: the first batch (100) does not empty the outbox, the second does and
    // carries the claim; the watermark is the drain time less the margin.
    let mut outbox = MemoryOutbox::default();
    for _ in 0..150 {
        outbox.push(dev.chain.next(), None);
    }
    let report = dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!((report.batches, report.acknowledged), (2, 150));
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(T0 - DRAIN_MARGIN_MS));

    // Idle: within the heartbeat interval nothing is sent; after it, an empty batch with a
    // claim moves the watermark to the new "now".
    server.now.store(T0 + 30_000, Ordering::SeqCst);
    dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(T0 - DRAIN_MARGIN_MS));
    let later = T0 + 10 * 60_000;
    server.now.store(later, Ordering::SeqCst);
    dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later - DRAIN_MARGIN_MS));

    // Claims that must not move it:
    let key = dev.chain.key.clone();
    let post = |body: Vec<u8>| dev.uploader.post_batch_raw(body);
    // - beyond the records the server holds (record 151 never arrived),
    post(claim_body(DrainClaim::sign(&key, "KIOSK-W", 151, later + 1000))).await.unwrap();
    // - an old claim replayed,
    post(claim_body(DrainClaim::sign(&key, "KIOSK-W", 150, T0 - 86_400_000))).await.unwrap();
    // - a forged one (another key).
    post(claim_body(DrainClaim::sign(&DeviceKey::generate(), "KIOSK-W", 150, later + 1000))).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later - DRAIN_MARGIN_MS));
    // A claim from a clock ahead of the server's counts only up to the server's clock.
    post(claim_body(DrainClaim::sign(&key, "KIOSK-W", 150, later + 3_600_000))).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later));

    // A claim riding on the batch that completes the chain counts (records stored first).
    let r151 = dev.chain.next();
    let body = UploadBatch { records: vec![r151], drained: Some(DrainClaim::sign(&key, "KIOSK-W", 151, later)) };
    server.now.store(later + 5_000, Ordering::SeqCst);
    post(serde_json::to_vec(&body).unwrap()).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later));
    post(claim_body(DrainClaim::sign(&key, "KIOSK-W", 151, later + 4_000))).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later + 4_000));

    // A revoked device's claims move nothing.
    assert!(st.revoke_device("KIOSK-W", later).await.unwrap());
    post(claim_body(DrainClaim::sign(&key, "KIOSK-W", 151, later + 5_000))).await.unwrap();
    assert_eq!(st.synced_until("KIOSK-W").await.unwrap(), Some(later + 4_000));

    // The forged claim is visible to admins.
    let refused = st.refused_uploads(Some("KIOSK-W"), 10).await.unwrap();
    assert!(refused.iter().any(|r| r.reason == "bad_signature" && r.detail.contains("drain claim")), "{refused:?}");
    assert!(refused.iter().any(|r| r.reason == "revoked_device" && r.detail.contains("drain claim")), "{refused:?}");
}

/// Entries refused before reaching a chain are kept with device, seq, reason, time and the
/// peer's address; chain refusals are not (they are chain events).
pub async fn refused_uploads_are_kept(store: Store) {
    let server = start(store).await;
    let mut dev = server.enrol("KIOSK-R", "S1", Mode::Office).await;
    let r1 = dev.chain.next();
    let mut altered = dev.chain.next();
    altered.body.employee_id = "199001012015011001".into();
    let mut forged_body = dev.chain.next_body();
    forged_body.seq = 3;
    let forged = forged_body.sign(&DeviceKey::generate());
    let mut stranger = crate::harness::Chain::new("KIOSK-NOBODY", DeviceKey::generate());
    let u1 = stranger.next();
    let gap = {
        let mut c = dev.chain.clone();
        c.next();
        c.next()
    };
    server.now.store(T0 + 1234, Ordering::SeqCst);
    let entries = [json(&r1), json(&altered), json(&forged), json(&u1), serde_json::json!("junk"), json(&gap)];
    dev.uploader.post_batch_raw(batch_json(&entries)).await.unwrap();
    let rows = server.store().refused_uploads(None, 100).await.unwrap();
    let mut got: Vec<(Option<&str>, Option<u64>, &str)> =
        rows.iter().map(|r| (r.device_id.as_deref(), r.seq, r.reason.as_str())).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (None, None, "malformed"),
            (Some("KIOSK-NOBODY"), Some(1), "unknown_device"),
            (Some("KIOSK-R"), Some(2), "bad_signature"),
            (Some("KIOSK-R"), Some(3), "bad_signature"),
        ]
    );
    for r in &rows {
        assert_eq!(r.at_ms, T0 + 1234);
        let addr = r.remote_addr.as_deref().unwrap_or_default();
        assert!(addr.starts_with("127.0.0.1:"), "peer address kept: {r:?}");
        assert!(r.record_hash.is_some() || r.reason == "malformed", "{r:?}");
    }
    let altered_row = rows.iter().find(|r| r.seq == Some(2)).unwrap();
    assert_eq!(altered_row.record_hash.as_deref(), Some(altered.hash().to_hex().as_str()));
    assert_eq!(server.store().refused_uploads(Some("KIOSK-R"), 100).await.unwrap().len(), 2);
    assert_eq!(server.store().refused_uploads(None, 1).await.unwrap().len(), 1);
}
