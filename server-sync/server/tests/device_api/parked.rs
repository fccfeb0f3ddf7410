//! Parked records: re-queued by an admin after the device is enrolled, never deleted.

use crate::harness::{Chain, start};
use hadir_client::admin::{self, DismissError};
use hadir_client::{MemoryOutbox, Outbox, Uploader};
use hadir_protocol::{DeviceKey, Mode, RefusalReason};
use hadir_server::storage::Store;

pub async fn parked_records_are_requeued_after_enrolment(store: Store) {
    let server = start(store).await;
    // A kiosk whose enrolment the server lost (or that recorded before it was enrolled):
    // everything it sends is refused as unknown and parked.
    let key = DeviceKey::generate();
    let mut chain = Chain::new("KIOSK-P", key.clone());
    let mut outbox = MemoryOutbox::default();
    for _ in 0..30 {
        outbox.push(chain.next(), None);
    }
    let early = Uploader::new(server.client_config(&server.url()), "KIOSK-P", key.clone()).unwrap();
    let report = early.drain(&mut outbox).await.unwrap();
    assert_eq!((report.acknowledged, report.parked), (0, 30));
    assert!(outbox.pending.is_empty());
    assert!(outbox.parked.iter().all(|p| p.reason == RefusalReason::UnknownDevice));

    // Dismissing needs a name and a reason; the record is kept either way.
    assert!(matches!(admin::dismiss(&mut outbox, 30, "", "duplicate"), Err(DismissError::NotAcknowledged { seq: 30 })));
    assert!(matches!(admin::dismiss(&mut outbox, 30, "admin", "  "), Err(DismissError::NotAcknowledged { .. })));
    assert!(matches!(admin::dismiss(&mut outbox, 99, "admin", "x"), Err(DismissError::NotParked { seq: 99 })));
    assert_eq!(outbox.parked().unwrap().len(), 30);

    // The device is enrolled (same id and key); the admin re-queues what was parked as unknown.
    let dev = server.enrol_with_key("KIOSK-P", "S1", Mode::Office, key).await;
    let seqs = admin::requeue_reason(&mut outbox, RefusalReason::UnknownDevice).unwrap();
    assert_eq!(seqs, (1..=30).collect::<Vec<u64>>());
    assert!(outbox.parked.is_empty());
    let report = dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!((report.acknowledged, report.parked), (30, 0));
    let stored = server.store().device_records("KIOSK-P").await.unwrap();
    assert_eq!(stored.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=30).collect::<Vec<u64>>());

    // A record the server refuses for good (altered in the kiosk's store) can be dismissed by
    // an admin with a reason: it leaves the parked list but is kept, with who and why.
    let mut bad = chain.next();
    bad.body.match_score = hadir_protocol::Score(10_000);
    outbox.push(bad.clone(), None);
    dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!(outbox.parked.len(), 1);
    // Re-queued, it is refused again and parked again: nothing lost, nothing forced in.
    admin::requeue_where(&mut outbox, |p| p.reason == RefusalReason::UnknownDevice).unwrap();
    dev.uploader.drain(&mut outbox).await.unwrap();
    assert_eq!(outbox.parked.len(), 1);
    admin::dismiss(&mut outbox, 31, "Budi (admin)", "altered in the kiosk store; reported").unwrap();
    assert!(outbox.parked.is_empty());
    assert_eq!(outbox.dismissed.len(), 1);
    assert_eq!(outbox.dismissed[0].parked.record, bad);
    assert_eq!(outbox.dismissed[0].by, "Budi (admin)");
    assert_eq!(outbox.head_seq().unwrap(), Some(31));
}
