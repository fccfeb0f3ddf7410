//! Device health and device events: what a kiosk reports about itself besides attendance.
//!
//! A device posts a [`HealthReport`] (`POST /api/v1/health`, a signed request, see
//! [`crate::auth`]) at every heartbeat: its firmware, uptime, free space on the data partition,
//! outbox length and the age of its oldest unsent record, camera frame rate, CPU temperature,
//! tamper switch and how it trusts the server ([`ServerLink`]), plus the [`DeviceEvent`]s not
//! yet acknowledged.
//!
//! A [`DeviceEvent`] (the enclosure opened or closed) is signed one by one and chained like
//! attendance records, in a chain of its own (sequence numbers 1, 2, 3 …, each carrying the
//! previous event's hash; see [`crate::chain::ChainHead`]): an event cannot be forged, altered
//! or silently dropped by anyone between the device and the server, and a thief who removes
//! the device's storage cannot make the server forget an opening it already holds. The
//! server answers with the last event it holds ([`HealthResponse::events_through`]); the device
//! forgets events up to there.
//!
//! The signed message of an event (version 1) is the UTF-8 text
//! `"HADIR-EVENT/1\n{device_id}\n{seq}\n{kind}\n{at_ms}\n{prev_hash hex}"`; its hash is the
//! SHA-256 of the same bytes.

use crate::chain::{ChainError, ChainHead};
use crate::keys::{DeviceKey, Digest, PublicKey, Signature, VerifyError};
use serde::{Deserialize, Serialize};

/// The most events one report may carry (more wait for the next report).
pub const MAX_EVENTS_PER_REPORT: usize = 100;
/// The longest firmware version text.
pub const MAX_FIRMWARE_CHARS: usize = 64;

/// How a device reaches the server, from its provisioning: the dashboard shows a device on
/// plain HTTP in red, since anyone on its network could read and answer in the server's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerLink {
    /// HTTPS, the server's certificate pinned by its SHA-256 fingerprint.
    PinnedCertificate,
    /// HTTPS, the server's certificate checked against a CA given at provisioning.
    ProvisionedCa,
    /// Plain HTTP, allowed by `insecure_lan = true` in the device's settings.
    InsecureLan,
}

impl ServerLink {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerLink::PinnedCertificate => "pinned_certificate",
            ServerLink::ProvisionedCa => "provisioned_ca",
            ServerLink::InsecureLan => "insecure_lan",
        }
    }

    /// The link named `s` by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<ServerLink> {
        [ServerLink::PinnedCertificate, ServerLink::ProvisionedCa, ServerLink::InsecureLan].into_iter().find(|l| l.as_str() == s)
    }
}

/// What happened to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The enclosure's tamper switch opened.
    TamperOpened,
    /// The enclosure's tamper switch closed again.
    TamperClosed,
}

impl EventKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TamperOpened => "tamper_opened",
            EventKind::TamperClosed => "tamper_closed",
        }
    }

    /// Reads a wire name.
    pub fn parse(s: &str) -> Option<EventKind> {
        [EventKind::TamperOpened, EventKind::TamperClosed].into_iter().find(|k| k.as_str() == s)
    }
}

/// A signed, chained device event (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    /// The device.
    pub device_id: String,
    /// Its number in the device's event chain (1, 2, 3 …).
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
    /// When, UTC ms by the device's clock.
    pub at_ms: i64,
    /// The previous event's hash ([`Digest::ZERO`] for the first).
    pub prev_hash: Digest,
    /// Ed25519 by the device key over [`DeviceEvent::message`].
    pub signature: Signature,
}

impl DeviceEvent {
    /// The bytes the signature covers (and the hash is taken of).
    pub fn message(device_id: &str, seq: u64, kind: EventKind, at_ms: i64, prev_hash: Digest) -> Vec<u8> {
        format!("HADIR-EVENT/1\n{device_id}\n{seq}\n{}\n{at_ms}\n{}", kind.as_str(), prev_hash.to_hex()).into_bytes()
    }

    /// Signs the event that follows `head` in the device's event chain.
    pub fn sign(key: &DeviceKey, device_id: &str, head: ChainHead, kind: EventKind, at_ms: i64) -> DeviceEvent {
        let seq = head.seq + 1;
        let signature = key.sign(&DeviceEvent::message(device_id, seq, kind, at_ms, head.hash));
        DeviceEvent { device_id: device_id.to_owned(), seq, kind, at_ms, prev_hash: head.hash, signature }
    }

    /// The event's hash (the next event's `prev_hash`).
    pub fn hash(&self) -> Digest {
        Digest::of(&DeviceEvent::message(&self.device_id, self.seq, self.kind, self.at_ms, self.prev_hash))
    }

    /// Checks the signature against the device's enrolled key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), VerifyError> {
        key.verify(&DeviceEvent::message(&self.device_id, self.seq, self.kind, self.at_ms, self.prev_hash), &self.signature)
    }
}

/// Why an event of a report was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// It names another device than the one that signed the request.
    #[error("event {seq} names device {named}")]
    OtherDevice {
        /// The event.
        seq: u64,
        /// The device it names.
        named: String,
    },
    /// The signature does not verify with the device's key.
    #[error("event {seq}: signature does not verify")]
    BadSignature {
        /// The event.
        seq: u64,
    },
    /// It does not extend the device's event chain.
    #[error("event {seq}: {source}")]
    Chain {
        /// The event.
        seq: u64,
        /// How.
        #[source]
        source: ChainError,
    },
}

/// The events of a report that extend the chain at `head`, in order: events the server already
/// holds are skipped, the first that is forged or breaks the chain stops the run (later ones
/// cannot be linked). Returns the accepted events, the new head and the error that stopped the
/// run, if any.
pub fn accept_events<'a>(
    device_id: &str,
    key: &PublicKey,
    head: ChainHead,
    events: &'a [DeviceEvent],
) -> (Vec<&'a DeviceEvent>, ChainHead, Option<EventError>) {
    let mut head = head;
    let mut accepted = Vec::new();
    for e in events {
        if e.device_id != device_id {
            return (accepted, head, Some(EventError::OtherDevice { seq: e.seq, named: e.device_id.clone() }));
        }
        if e.verify(key).is_err() {
            return (accepted, head, Some(EventError::BadSignature { seq: e.seq }));
        }
        match head.accept(e.seq, e.prev_hash, e.hash()) {
            Ok(next) => {
                head = next;
                accepted.push(e);
            }
            // Sent again after a lost answer: already held.
            Err(ChainError::Behind { .. }) => {}
            Err(source) => return (accepted, head, Some(EventError::Chain { seq: e.seq, source })),
        }
    }
    (accepted, head, None)
}

/// A device's report about itself (the request body of `POST /api/v1/health`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HealthReport {
    /// Firmware (kiosk program) version.
    pub firmware: String,
    /// Seconds since the device booted.
    pub uptime_s: u64,
    /// Free bytes on the data partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_free_bytes: Option<u64>,
    /// Records waiting in the outbox.
    pub outbox_len: u64,
    /// Age of the oldest record waiting in the outbox, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_unsent_s: Option<u64>,
    /// Camera frames per second over the last interval, hundredths (0: the camera gives none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_fps_centi: Option<u32>,
    /// CPU temperature, thousandths of a degree Celsius, where the board has a sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_temp_milli_c: Option<i32>,
    /// The tamper switch: `true` open, `false` closed, absent when the device has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tamper_open: Option<bool>,
    /// How the device reaches the server (absent from devices older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_link: Option<ServerLink>,
    /// Events not yet acknowledged, ascending by sequence number.
    #[serde(default)]
    pub events: Vec<DeviceEvent>,
}

impl HealthReport {
    /// Checks the sizes a server accepts; the error says which field.
    pub fn check(&self) -> Result<(), String> {
        if self.firmware.chars().count() > MAX_FIRMWARE_CHARS || self.firmware.chars().any(char::is_control) {
            return Err(format!("firmware: at most {MAX_FIRMWARE_CHARS} printable characters"));
        }
        if self.events.len() > MAX_EVENTS_PER_REPORT {
            return Err(format!("events: at most {MAX_EVENTS_PER_REPORT} per report, got {}", self.events.len()));
        }
        Ok(())
    }
}

/// The server's answer to a health report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// The last event of the device's chain the server holds (0: none); the device forgets
    /// its events up to here.
    pub events_through: u64,
    /// Why the first event not accepted was refused, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Server time, UTC ms.
    pub server_time_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(key: &DeviceKey, kinds: &[EventKind]) -> Vec<DeviceEvent> {
        let mut head = ChainHead::GENESIS;
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let e = DeviceEvent::sign(key, "K-1", head, *k, 1_000 + i as i64);
                head = ChainHead { seq: e.seq, hash: e.hash() };
                e
            })
            .collect()
    }

    #[test]
    fn events_are_accepted_in_chain_order() {
        let key = DeviceKey::from_seed(&[3; 32]);
        let pk = key.public();
        let evs = chain(&key, &[EventKind::TamperOpened, EventKind::TamperClosed, EventKind::TamperOpened]);
        let head_after = |n: usize| ChainHead { seq: evs[n - 1].seq, hash: evs[n - 1].hash() };

        let mut forged = evs.clone();
        forged[1].kind = EventKind::TamperOpened; // altered after signing
        let mut other = evs.clone();
        other[0].device_id = "K-2".into();
        let cases: Vec<(&str, ChainHead, Vec<DeviceEvent>, u64, usize, Option<&str>)> = vec![
            ("all new", ChainHead::GENESIS, evs.clone(), 3, 3, None),
            ("sent again after a lost answer", head_after(2), evs.clone(), 3, 1, None),
            ("all held already", head_after(3), evs.clone(), 3, 0, None),
            ("an altered event stops the run", ChainHead::GENESIS, forged, 1, 1, Some("event 2: signature does not verify")),
            ("a gap", ChainHead::GENESIS, evs[1..].to_vec(), 0, 0, Some("event 2: sequence gap")),
            ("another device's event", ChainHead::GENESIS, other, 0, 0, Some("event 1 names device K-2")),
        ];
        for (name, head, events, through, n, err) in cases {
            let (accepted, head, e) = accept_events("K-1", &pk, head, &events);
            assert_eq!((head.seq, accepted.len()), (through, n), "{name}");
            match (e, err) {
                (None, None) => {}
                (Some(e), Some(want)) => assert!(e.to_string().starts_with(want), "{name}: {e}"),
                (e, want) => panic!("{name}: {e:?} vs {want:?}"),
            }
        }
        // A stranger's key signs nothing for K-1.
        let (accepted, _, e) = accept_events("K-1", &DeviceKey::from_seed(&[4; 32]).public(), ChainHead::GENESIS, &evs);
        assert!(accepted.is_empty() && matches!(e, Some(EventError::BadSignature { seq: 1 })));
    }

    #[test]
    fn reports_are_checked_and_round_trip() {
        let key = DeviceKey::from_seed(&[3; 32]);
        let r = HealthReport {
            firmware: "0.2.0".into(),
            uptime_s: 3600,
            data_free_bytes: Some(1 << 30),
            outbox_len: 2,
            oldest_unsent_s: Some(40),
            camera_fps_centi: Some(1500),
            cpu_temp_milli_c: Some(51_300),
            tamper_open: Some(false),
            server_link: Some(ServerLink::InsecureLan),
            events: chain(&key, &[EventKind::TamperOpened]),
        };
        assert_eq!(r.check(), Ok(()));
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<HealthReport>(&json).unwrap(), r);
        assert!(json.contains("\"kind\":\"tamper_opened\"") && json.contains("\"server_link\":\"insecure_lan\""), "{json}");
        for link in [ServerLink::PinnedCertificate, ServerLink::ProvisionedCa, ServerLink::InsecureLan] {
            assert_eq!(ServerLink::parse(link.as_str()), Some(link));
            assert_eq!(serde_json::to_string(&link).unwrap(), format!("\"{}\"", link.as_str()));
        }
        let long = HealthReport { firmware: "x".repeat(65), ..HealthReport::default() };
        assert!(long.check().unwrap_err().starts_with("firmware"));
        let many = HealthReport { events: vec![r.events[0].clone(); MAX_EVENTS_PER_REPORT + 1], ..HealthReport::default() };
        assert!(many.check().unwrap_err().starts_with("events"));
        // A device without sensors sends only what it has.
        let bare: HealthReport = serde_json::from_str(r#"{"firmware":"0.1","uptime_s":5,"outbox_len":0}"#).unwrap();
        assert_eq!((bare.tamper_open, bare.server_link, bare.events.len()), (None, None, 0));
    }
}
