//! Health reports and the signed tamper events through the real HTTP stack: the chain is
//! accepted once, a resend after a lost answer changes nothing, a forged or unlinked event is
//! refused (and everything before it kept), and another device cannot speak for this one.

use crate::harness::{T0, start};
use hadir_protocol::Mode;
use hadir_protocol::chain::ChainHead;
use hadir_protocol::health::{DeviceEvent, EventKind, HealthReport};
use hadir_server::storage::Store;
use hadir_server::storage::health::{Trouble, trouble};

fn events(key: &hadir_protocol::DeviceKey, device: &str, kinds: &[EventKind]) -> Vec<DeviceEvent> {
    let mut head = ChainHead::GENESIS;
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let e = DeviceEvent::sign(key, device, head, *k, T0 + i as i64 * 1000);
            head = ChainHead { seq: e.seq, hash: e.hash() };
            e
        })
        .collect()
}

pub async fn health_reports_and_tamper_events(store: Store) {
    let server = start(store).await;
    let kiosk = server.enrol("KIOSK-H1", "S1", Mode::Office).await;
    let other = server.enrol("KIOSK-H2", "S1", Mode::Office).await;
    let chain = events(&kiosk.chain.key, "KIOSK-H1", &[EventKind::TamperOpened, EventKind::TamperClosed, EventKind::TamperOpened]);
    let report = |events: Vec<DeviceEvent>| HealthReport {
        firmware: "0.2.0".into(),
        uptime_s: 7200,
        data_free_bytes: Some(150 << 20),
        outbox_len: 3,
        oldest_unsent_s: Some(30),
        camera_fps_centi: Some(1480),
        cpu_temp_milli_c: Some(61_500),
        tamper_open: Some(true),
        server_link: Some(kiosk.uploader.server_link()),
        events,
    };

    // Two events arrive; the answer lost, the device sends them again with the third.
    let a = kiosk.uploader.report_health(&report(chain[..2].to_vec())).await.unwrap();
    assert_eq!((a.events_through, a.refused.as_deref()), (2, None));
    let a = kiosk.uploader.report_health(&report(chain.clone())).await.unwrap();
    assert_eq!((a.events_through, a.refused.as_deref()), (3, None));
    let stored = server.store().device_events(10).await.unwrap();
    assert_eq!(stored.iter().map(|e| (e.seq, e.kind)).collect::<Vec<_>>(), [(3, EventKind::TamperOpened), (2, EventKind::TamperClosed), (1, EventKind::TamperOpened)]);

    // An event altered after signing is refused; nothing after it is stored.
    let mut more = events(&kiosk.chain.key, "KIOSK-H1", &[EventKind::TamperOpened; 5]);
    more.drain(..3);
    let mut forged = more.clone();
    forged[0].kind = EventKind::TamperClosed;
    let a = kiosk.uploader.report_health(&report(forged)).await.unwrap();
    assert_eq!(a.events_through, 3);
    assert!(a.refused.as_deref().is_some_and(|r| r.contains("event 4: signature does not verify")), "{a:?}");
    // A gap (event 5 without 4) is refused too.
    let a = kiosk.uploader.report_health(&report(more[1..].to_vec())).await.unwrap();
    assert!(a.refused.as_deref().is_some_and(|r| r.contains("sequence gap")), "{a:?}");
    // Another device sending this device's events (signed by this device's key) is refused.
    let a = other.uploader.report_health(&report(more.clone())).await.unwrap();
    assert_eq!(a.events_through, 0);
    assert!(a.refused.as_deref().is_some_and(|r| r.contains("names device KIOSK-H1")), "{a:?}");
    assert_eq!(server.store().device_events(10).await.unwrap().len(), 3, "nothing forged was stored");

    // The last report is what the devices page reads: open enclosure, plain HTTP, disk nearly
    // full.
    let health = server.store().device_health().await.unwrap();
    let h = &health["KIOSK-H1"];
    assert_eq!((h.firmware.as_str(), h.outbox_len, h.tamper_open, h.cpu_temp_milli_c), ("0.2.0", 3, Some(true), Some(61_500)));
    assert_eq!(h.server_link, Some(hadir_protocol::health::ServerLink::InsecureLan), "the test server speaks plain HTTP");
    assert_eq!(trouble(h, h.reported_at, Default::default()), [Trouble::TamperOpen, Trouble::InsecureLan, Trouble::DiskNearlyFull]);

    // A report too big to be a report is refused as malformed.
    let huge = report(vec![chain[0].clone(); hadir_protocol::health::MAX_EVENTS_PER_REPORT + 1]);
    let err = kiosk.uploader.report_health(&huge).await.unwrap_err().to_string();
    assert!(err.contains("events: at most"), "{err}");
}
