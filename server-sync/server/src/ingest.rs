//! Record ingest: from an upload body to one answer per record.
//!
//! 1. [`hadir_protocol::decode_batch`] splits the body; malformed entries are answered
//!    [`RefusalReason::Malformed`] and the rest go on.
//! 2. The devices named are looked up once; unknown and revoked devices are refused.
//! 3. Signatures are verified each with the strict check ([`verify_many`], which shares only
//!    the final inversion among them), spread over the cores. Not in an Ed25519 batch: a
//!    batch checks the cofactored equation, which accepts signatures whose `R` carries a
//!    small-order component that the strict check refuses, and a record the server stores
//!    must verify for anyone who checks it later.
//! 4. The time is judged ([`IngestPolicy`]); an implausible one sends the record to
//!    quarantine, where it still holds its chain position. What the server doubts about the
//!    rest (another site's employee, a claim its scores do not support, an untrusted clock:
//!    [`crate::doubts`]) is kept with the record as flags; such a record waits for a
//!    supervisor.
//! 5. [`crate::storage::Store::store_batch`] decides each record's chain position with
//!    [`decide`] inside one transaction and writes; in the same transaction it keeps the
//!    entries refused in steps 1–3 in `refused_uploads` (with the peer's address) and moves the
//!    device's sync watermark when the batch carries a verified drain claim ([`watermark`]).
//!
//! Uploads are idempotent: a record already stored (same device, sequence number and hash) is
//! answered [`Outcome::AlreadyStored`], so a device that lost an answer simply sends again.
//! It must not: store anything whose signature did not verify with the device's enrolled key.

use crate::storage::areas::FixesOf;
use crate::storage::{BatchExtras, DeviceInfo, RefusedUpload, StorageError, Store, Watermark, Write};
use hadir_protocol::batch::DrainClaim;
use hadir_protocol::{
    BatchDecodeError, ChainError, ChainHead, Digest, Outcome, Record, RecordResult,
    RefusalReason, UploadResponse, decode_batch,
};
use hadir_protocol::keytable::{KeyTables, PreparedKey, verify_many};
use std::collections::HashMap;
use std::sync::Arc;

/// What the server accepts from devices: plausible record times, and templates of its model;
/// and what it doubts: records against the sites' zone and the time rules.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestPolicy {
    /// How far a record may be in the server's future, ms (device clocks drift a little).
    pub max_future_ms: i64,
    /// Records before this instant (UTC ms) are implausible (a device clock reset to 1970).
    pub earliest_ms: i64,
    /// What an uploaded face template must be.
    pub templates: crate::roster::TemplatePolicy,
    /// The server's zone (`[site] time_zone`), of every site without its own: a record's UTC
    /// offset must be its device's site's zone's.
    pub zone: hadir_rules::SiteZone,
    /// When a record's time is trusted.
    pub clock: hadir_rules::ClockRules,
    /// How good a GPS fix must be to place a record.
    pub fix: hadir_rules::place::FixLimits,
    /// Which positions no person or receiver could produce.
    pub plausibility: hadir_rules::plausibility::PlausibilityRules,
}

impl Default for IngestPolicy {
    fn default() -> Self {
        // 10 minutes of drift; nothing before 2024-01-01T00:00:00Z.
        IngestPolicy {
            max_future_ms: 10 * 60 * 1000,
            earliest_ms: 1_704_067_200_000,
            templates: crate::roster::TemplatePolicy::default(),
            zone: hadir_rules::SiteZone::default(),
            clock: hadir_rules::ClockRules::default(),
            fix: hadir_rules::place::FixLimits::default(),
            plausibility: hadir_rules::plausibility::PlausibilityRules::default(),
        }
    }
}

impl IngestPolicy {
    /// Why `recorded_at_ms` is implausible at server time `now_ms`, or `None`.
    pub fn judge(&self, recorded_at_ms: i64, now_ms: i64) -> Option<String> {
        if recorded_at_ms > now_ms.saturating_add(self.max_future_ms) {
            return Some(format!(
                "recorded_at_ms {recorded_at_ms} is {} s ahead of server time",
                (recorded_at_ms - now_ms) / 1000
            ));
        }
        if recorded_at_ms < self.earliest_ms {
            return Some(format!("recorded_at_ms {recorded_at_ms} is before {}", self.earliest_ms));
        }
        None
    }
}

/// A record from a known, active device whose signature verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its position in the batch.
    pub index: u32,
    /// The record.
    pub record: Record,
    /// Its hash.
    pub hash: Digest,
    /// Its canonical bytes (stored for audit).
    pub canonical: Vec<u8>,
    /// Why its time is implausible, if it is.
    pub implausible: Option<String>,
    /// What the server doubts about it (stored with it; empty for most).
    pub flags: Vec<crate::doubts::Flag>,
}

/// What the server knows about a batch's employees and months, looked up before
/// [`prepare`] (which does no I/O).
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Each employee's site on the roster (missing: not on it).
    pub employee_sites: HashMap<String, String>,
    /// Months closed for payroll, as (year, month number).
    pub closed_months: std::collections::HashSet<(i32, u8)>,
    /// The sites' areas (sites without one are not judged by place).
    pub site_areas: HashMap<String, hadir_rules::SiteArea>,
    /// The batch's employees' field assignments (a field record of a day with one is judged
    /// against it instead of the site's area).
    pub assignments: HashMap<String, Vec<hadir_rules::FieldArea>>,
    /// Each employee's earlier GPS fixes (of the last [`TRACK_DAYS`] days, before the batch).
    pub tracks: HashMap<String, hadir_rules::plausibility::Track>,
    /// Each device's earlier GPS fixes, whoever recorded them (same days).
    pub device_tracks: HashMap<String, hadir_rules::plausibility::Track>,
    /// Every site's zone: a record's day and offset are its device's site's.
    pub zones: hadir_rules::SiteZones,
}

/// How far back an employee's fixes are compared with a new one, days.
pub const TRACK_DAYS: i64 = 35;

/// A record's fix as the plausibility checks read it (its day in its device's site's zone).
pub fn fix_point(b: &hadir_protocol::RecordBody, zone: &hadir_rules::SiteZone) -> Option<hadir_rules::plausibility::FixPoint> {
    let g = b.fix()?;
    let offset_ms = i64::from(zone.offset().whole_seconds()) * 1000;
    Some(hadir_rules::plausibility::FixPoint {
        at_ms: b.recorded_at_ms,
        lat_e7: g.lat_e7,
        lon_e7: g.lon_e7,
        hdop_centi: g.hdop_centi,
        day: (b.recorded_at_ms + offset_ms).div_euclid(86_400_000),
    })
}

/// The local date of an instant in a site's zone.
fn local_date(at_ms: i64, zone: &hadir_rules::SiteZone) -> Option<time::Date> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000).ok()?;
    Some(zone.local(t).date())
}

/// The (year, month) of an instant at a site's offset.
pub fn month_of(at_ms: i64, offset: time::UtcOffset) -> Option<(i32, u8)> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000).ok()?;
    let local = t.to_offset(offset);
    Some((local.year(), u8::from(local.month())))
}

/// What is already stored at a record's sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// A stored record with this hash.
    Stored(Digest),
    /// A quarantined record with this hash and reason.
    Quarantined(Digest, String),
}

/// Decides one verified record's fate from the device's chain head and, when the record is at
/// or before the head, what is stored at its sequence number. Pure; both backends use it.
pub fn decide(head: ChainHead, v: &Verified, existing: Option<&Existing>) -> (Outcome, Write) {
    let b = &v.record.body;
    let refuse = |reason: RefusalReason, detail: String| Outcome::Refused { reason, detail };
    match head.accept(b.seq, b.prev_hash, v.hash) {
        Ok(_) => match &v.implausible {
            None => (Outcome::Stored, Write::Record),
            Some(why) => (
                refuse(RefusalReason::TimestampImplausible, format!("{why}; kept in quarantine")),
                Write::Quarantine(why.clone()),
            ),
        },
        Err(ChainError::Gap { expected, got }) => {
            let detail = format!("expected seq {expected}, got {got}: earlier records are missing");
            (refuse(RefusalReason::SequenceGap, detail.clone()), Write::ChainEvent("sequence_gap", detail))
        }
        Err(ChainError::Behind { .. }) => match existing {
            Some(Existing::Stored(h)) if *h == v.hash => (Outcome::AlreadyStored, Write::Nothing),
            Some(Existing::Quarantined(h, why)) if *h == v.hash => (
                refuse(RefusalReason::TimestampImplausible, format!("{why}; kept in quarantine")),
                Write::Nothing,
            ),
            Some(_) => {
                let detail = format!("fork: seq {} already holds a different record", b.seq);
                (refuse(RefusalReason::BrokenChain, detail.clone()), Write::ChainEvent("fork", detail))
            }
            None => {
                let detail = format!("seq {} is at or before the chain head {} but not stored", b.seq, head.seq);
                (refuse(RefusalReason::BrokenChain, detail.clone()), Write::ChainEvent("broken_chain", detail))
            }
        },
        Err(e @ (ChainError::WrongPrevHash { .. } | ChainError::OtherDevice { .. })) => {
            let detail = e.to_string();
            (refuse(RefusalReason::BrokenChain, detail.clone()), Write::ChainEvent("broken_chain", detail))
        }
    }
}

/// Why a whole upload failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body is not a batch.
    #[error(transparent)]
    Decode(#[from] BatchDecodeError),
    /// The database failed; nothing of the batch was stored.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The thread verifying the signatures stopped; nothing of the batch was stored.
    #[error("signature verification stopped: {0}")]
    Verifier(String),
}

/// Where an upload came from (for `refused_uploads`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// The TCP peer, `ip:port`.
    pub remote_addr: Option<String>,
    /// `X-Forwarded-For` as sent (untrusted).
    pub forwarded_for: Option<String>,
}

/// Steps 1–4 done: what is answered already and what is left to store.
#[derive(Debug)]
pub struct Prepared {
    /// Answers known already, by index (`None`: decided when stored).
    pub answers: Vec<Option<RecordResult>>,
    /// The records to store, in batch order.
    pub verified: Vec<Verified>,
    /// The entries refused so far, for `refused_uploads` (peer not yet filled in).
    pub refusals: Vec<RefusedUpload>,
    /// The drain claim's watermark, if the batch carried a claim that verifies.
    pub watermark: Option<Watermark>,
}

/// The watermark a drain claim sets: verified with the device's key, never past `now_ms`.
/// `Err` holds the refusal to keep when the claim is forged or its device unusable.
pub fn watermark(claim: &DrainClaim, devices: &HashMap<String, DeviceInfo>, now_ms: i64) -> Result<Watermark, RefusedUpload> {
    let refuse = |reason: RefusalReason, detail: &str| RefusedUpload {
        device_id: Some(claim.device_id.clone()),
        seq: Some(claim.last_seq),
        reason: reason.as_str().to_owned(),
        detail: format!("drain claim: {detail}"),
        record_hash: None,
        remote_addr: None,
        forwarded_for: None,
        at_ms: now_ms,
    };
    match devices.get(&claim.device_id) {
        None => Err(refuse(RefusalReason::UnknownDevice, "device is not enrolled")),
        Some(d) if d.revoked_at_ms.is_some() => Err(refuse(RefusalReason::RevokedDevice, "device was revoked")),
        Some(d) => match claim.verify(&d.public_key) {
            Err(_) => Err(refuse(RefusalReason::BadSignature, "signature does not verify with the device's enrolled key")),
            Ok(()) => Ok(Watermark {
                device_id: claim.device_id.clone(),
                last_seq: claim.last_seq,
                // The device's clock estimate is trusted only up to the server's own clock.
                until_ms: claim.drained_at_ms.min(now_ms),
            }),
        },
    }
}

/// The one answer to a record whose device is not enrolled, or whose signature does not
/// verify with its device's key (active or revoked): a stranger trying device ids cannot
/// tell which exist, which were revoked, or that a signature failed. What it was is kept
/// with the refused upload for administrators.
pub const STRANGER: &str = "unknown device, or a signature that does not verify with the device's key";

/// Steps 1–4: decode, look up devices, verify signatures, judge times, check the drain claim.
pub fn prepare(
    decoded: hadir_protocol::DecodedBatch,
    devices: &HashMap<String, DeviceInfo>,
    known: &Known,
    now_ms: i64,
    policy: &IngestPolicy,
    keys: &KeyTables,
) -> Prepared {
    let mut answers: Vec<Option<RecordResult>> = Vec::with_capacity(decoded.entries.len());
    let mut refusals = Vec::new();
    let mut candidates: Vec<(Verified, Arc<PreparedKey>)> = Vec::new();
    let mut prepared: HashMap<&str, Arc<PreparedKey>> = HashMap::new();
    let mut tracks = known.tracks.clone();
    let mut device_tracks = known.device_tracks.clone();
    let mut keep = |device_id: Option<String>, seq: Option<u64>, reason: RefusalReason, detail: &str, hash: Option<Digest>| {
        refusals.push(RefusedUpload {
            device_id,
            seq,
            reason: reason.as_str().to_owned(),
            detail: detail.to_owned(),
            record_hash: hash.map(Digest::to_hex),
            remote_addr: None,
            forwarded_for: None,
            at_ms: now_ms,
        });
    };
    let (watermark, claim_refusal) = match &decoded.drained {
        None => (None, None),
        Some(claim) => match watermark(claim, devices, now_ms) {
            Ok(w) => (Some(w), None),
            Err(r) => (None, Some(r)),
        },
    };
    for (i, entry) in decoded.entries.into_iter().enumerate() {
        let index = i as u32;
        let refused = |device_id: Option<String>, seq: Option<u64>, reason, detail: String| RecordResult {
            index,
            device_id,
            seq,
            outcome: Outcome::Refused { reason, detail },
        };
        let record = match entry {
            Ok(r) => r,
            Err(m) => {
                keep(m.device_id.clone(), m.seq, RefusalReason::Malformed, &m.detail, None);
                answers.push(Some(refused(m.device_id, m.seq, RefusalReason::Malformed, m.detail)));
                continue;
            }
        };
        let (id, seq) = (Some(record.body.device_id.clone()), Some(record.body.seq));
        match devices.get(&record.body.device_id) {
            None => {
                let detail = format!("device {} is not enrolled", record.body.device_id);
                keep(id.clone(), seq, RefusalReason::UnknownDevice, &detail, Some(record.hash()));
                answers.push(Some(refused(id, seq, RefusalReason::UnknownDevice, STRANGER.into())));
            }
            // Only the holder of the device's key learns that it was revoked.
            Some(d) if d.revoked_at_ms.is_some() && d.public_key.verify(&record.body.canonical_bytes(), &record.signature).is_ok() => {
                let detail = format!("device {} was revoked", d.device_id);
                keep(id.clone(), seq, RefusalReason::RevokedDevice, &detail, Some(record.hash()));
                answers.push(Some(refused(id, seq, RefusalReason::RevokedDevice, detail)));
            }
            Some(d) if d.revoked_at_ms.is_some() => {
                let detail = format!("device {} was revoked, and the signature does not verify with its key", d.device_id);
                keep(id.clone(), seq, RefusalReason::BadSignature, &detail, Some(record.hash()));
                answers.push(Some(refused(id, seq, RefusalReason::UnknownDevice, STRANGER.into())));
            }
            Some(d) => {
                answers.push(None);
                let canonical = record.body.canonical_bytes();
                let hash = Digest::of(&canonical);
                let b = &record.body;
                let zone = known.zones.of(&d.site_id);
                let month = month_of(b.recorded_at_ms, zone.offset());
                // A record into a month closed for payroll would change a paid recap: it waits
                // in quarantine for an administrator, like a record whose time is implausible.
                let implausible = policy.judge(b.recorded_at_ms, now_ms).or_else(|| {
                    month.filter(|m| known.closed_months.contains(m)).map(|(y, m)| {
                        format!("recorded in {y}-{m:02}, a month already closed for payroll: an administrator decides")
                    })
                });
                // A field record is expected at the employee's assignment of that day, as the
                // kiosk's notice before the face step judged it.
                let site_area = known.site_areas.get(&d.site_id);
                let expected = match local_date(b.recorded_at_ms, zone) {
                    Some(day) => {
                        let assigned = known.assignments.get(&b.employee_id).map(Vec::as_slice).unwrap_or_default();
                        hadir_rules::expected_area(b.mode == hadir_protocol::Mode::Field, assigned, site_area, day)
                    }
                    None => site_area.map(|s| (s, None)),
                };
                let expected_area = expected.map(|(a, _)| a.area());
                let context = crate::doubts::Context {
                    device_site: &d.site_id,
                    device_mode: d.mode,
                    employee_site: known.employee_sites.get(&b.employee_id).map(String::as_str),
                    site_offset_min: i32::from(zone.offset().whole_minutes()),
                    received_at_ms: now_ms,
                    clock: &policy.clock,
                    area: expected_area.as_ref(),
                    area_label: expected.and_then(|(_, label)| label),
                    fix: &policy.fix,
                };
                let mut flags = crate::doubts::doubts(b, &context);
                if let Some(point) = fix_point(b, zone) {
                    let track = tracks.entry(b.employee_id.clone()).or_default();
                    let own = track.next(point, &policy.plausibility);
                    // The device's path across the people who used it: a unit handed 30 km in
                    // five minutes, or a position replayed for someone else. What the person's
                    // own path already says is not said twice.
                    let device = device_tracks.entry(d.device_id.clone()).or_default().next(point, &policy.plausibility);
                    let new: Vec<_> = device
                        .iter()
                        .filter(|i| !matches!(i, hadir_rules::plausibility::Implausible::ZeroHdop))
                        .filter(|i| !own.iter().any(|o| o.code() == i.code()))
                        .map(crate::doubts::Flag::implausible_on_device)
                        .collect();
                    flags.extend(own.iter().map(crate::doubts::Flag::implausible));
                    flags.extend(new);
                }
                let key = prepared.entry(d.device_id.as_str()).or_insert_with(|| keys.get(&d.public_key)).clone();
                candidates.push((Verified { index, record, hash, canonical, implausible, flags }, key));
            }
        }
    }
    let good = verify_all(&candidates);
    let mut verified = Vec::with_capacity(candidates.len());
    for ((v, _), ok) in candidates.into_iter().zip(good) {
        if ok {
            verified.push(v);
        } else {
            let detail = "signature does not verify with the device's enrolled key";
            let (id, seq) = (v.record.body.device_id.clone(), v.record.body.seq);
            keep(Some(id.clone()), Some(seq), RefusalReason::BadSignature, detail, Some(v.hash));
            answers[v.index as usize] = Some(RecordResult {
                index: v.index,
                device_id: Some(id),
                seq: Some(seq),
                outcome: Outcome::Refused { reason: RefusalReason::UnknownDevice, detail: STRANGER.into() },
            });
        }
    }
    refusals.extend(claim_refusal);
    Prepared { answers, verified, refusals, watermark }
}

/// Which signatures verify, strictly; large uploads are split over the machine's cores.
fn verify_all(candidates: &[(Verified, Arc<PreparedKey>)]) -> Vec<bool> {
    let check = |part: &[(Verified, Arc<PreparedKey>)]| {
        let items: Vec<_> = part.iter().map(|(v, k)| (k.as_ref(), v.canonical.as_slice(), &v.record.signature)).collect();
        verify_many(&items).iter().map(Result::is_ok).collect::<Vec<bool>>()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below this many signatures a thread costs more than it saves.
    const PER_THREAD: usize = 64;
    if threads < 2 || candidates.len() < 2 * PER_THREAD {
        return check(candidates);
    }
    let chunk = candidates.len().div_ceil(threads).max(PER_THREAD);
    std::thread::scope(|scope| {
        let parts: Vec<_> = candidates.chunks(chunk).map(|part| scope.spawn(move || check(part))).collect();
        // A verifying thread cannot panic short of a bug; then the record is refused, not kept.
        parts
            .into_iter()
            .zip(candidates.chunks(chunk))
            .flat_map(|(h, part)| h.join().unwrap_or_else(|_| vec![false; part.len()]))
            .collect()
    })
}

/// The roster sites of the batch's employees and which of its months are closed.
pub async fn known(store: &Store, decoded: &hadir_protocol::DecodedBatch, policy: &IngestPolicy) -> Result<Known, StorageError> {
    let zones = store.site_zones(&policy.zone).await?;
    let bodies = || decoded.entries.iter().filter_map(|e| e.as_ref().ok()).map(|r| &r.body);
    let mut employees: Vec<&str> = bodies().map(|b| b.employee_id.as_str()).collect();
    employees.sort_unstable();
    employees.dedup();
    // A record's month at any of the sites' clocks: the device's site is looked up later, and
    // a month that is not closed costs nothing here.
    let offsets = zones.offsets();
    let mut months: Vec<(i32, u8)> = bodies().flat_map(|b| offsets.iter().filter_map(|o| month_of(b.recorded_at_ms, *o))).collect();
    months.sort_unstable();
    months.dedup();
    let closed = async {
        let mut closed_months = std::collections::HashSet::new();
        for (year, month) in months {
            let Ok(m) = time::Month::try_from(month) else { continue };
            if store.month_close(year, m).await?.is_some() {
                closed_months.insert((year, month));
            }
        }
        Ok::<_, StorageError>(closed_months)
    };
    // Earlier fixes of the employees whose records carry one, up to the batch's first record.
    let mut with_fix: Vec<&str> = bodies().filter(|b| b.gps.is_some()).map(|b| b.employee_id.as_str()).collect();
    with_fix.sort_unstable();
    with_fix.dedup();
    let mut devices: Vec<&str> = bodies().filter(|b| b.gps.is_some()).map(|b| b.device_id.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    let tracks = async {
        let (mut tracks, mut device_tracks) = (HashMap::new(), HashMap::new());
        if let Some(first) = bodies().filter(|b| b.gps.is_some()).map(|b| b.recorded_at_ms).min() {
            let from = first - TRACK_DAYS * 86_400_000;
            for (by, keys, into) in [(FixesOf::Employees, &with_fix, &mut tracks), (FixesOf::Devices, &devices, &mut device_tracks)] {
                for (key, points) in store.fix_history(by, keys, from, first, &zones).await? {
                    let mut t = hadir_rules::plausibility::Track::default();
                    for p in points {
                        // Earlier records were judged when they came; here they only build the track.
                        let _ = t.next(p, &policy.plausibility);
                    }
                    into.insert(key, t);
                }
            }
        }
        Ok::<_, StorageError>((tracks, device_tracks))
    };
    // The lookups are independent: asked at once, on the store's read connections.
    let (closed_months, site_areas, (tracks, device_tracks), assignments, employee_sites) = tokio::try_join!(
        closed,
        store.site_areas(),
        tracks,
        store.field_areas_of(&employees, None),
        store.employee_sites(&employees),
    )?;
    Ok(Known { employee_sites, closed_months, site_areas, assignments, tracks, device_tracks, zones })
}

/// The whole ingest of one upload body (no peer address known).
pub async fn ingest(store: &Store, body: &[u8], now_ms: i64, policy: &IngestPolicy, keys: &Arc<KeyTables>) -> Result<UploadResponse, IngestError> {
    Ok(ingest_from(store, body, now_ms, policy, keys, &Peer::default()).await?.answer)
}

/// One upload ingested: the answer, and how many rows it left in `refused_uploads` (what the
/// device API's refusal budget charges its sender).
#[derive(Debug)]
pub struct Ingested {
    /// The answer to the device.
    pub answer: UploadResponse,
    /// Entries (and a drain claim) refused and kept.
    pub refusals_kept: usize,
}

/// The whole ingest of one upload body from `peer`.
pub async fn ingest_from(
    store: &Store,
    body: &[u8],
    now_ms: i64,
    policy: &IngestPolicy,
    keys: &Arc<KeyTables>,
    peer: &Peer,
) -> Result<Ingested, IngestError> {
    let decoded = decode_batch(body)?;
    let mut ids: Vec<String> = decoded
        .entries
        .iter()
        .filter_map(|e| e.as_ref().ok().map(|r| r.body.device_id.clone()))
        .chain(decoded.drained.as_ref().map(|c| c.device_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    let (devices, known) = tokio::try_join!(store.devices(&ids), known(store, &decoded, policy))?;
    // Verifying is CPU work (tens of µs a signature): off the async workers, so a large upload
    // does not stall the other requests.
    let policy_owned = policy.clone();
    let keys = keys.clone();
    let Prepared { mut answers, verified, mut refusals, watermark } =
        tokio::task::spawn_blocking(move || prepare(decoded, &devices, &known, now_ms, &policy_owned, &keys))
            .await
            .map_err(|e| IngestError::Verifier(e.to_string()))?;
    for r in &mut refusals {
        r.remote_addr.clone_from(&peer.remote_addr);
        r.forwarded_for.clone_from(&peer.forwarded_for);
        // What it really was: the answer may only say "unknown device" (see [`STRANGER`]).
        tracing::warn!(device = ?r.device_id, seq = ?r.seq, reason = %r.reason, detail = %r.detail, peer = ?r.remote_addr, "record refused");
    }
    let meta: Vec<(u32, String, u64)> = verified
        .iter()
        .map(|v| (v.index, v.record.body.device_id.clone(), v.record.body.seq))
        .collect();
    let refusals_kept = refusals.len();
    let outcomes = store.store_batch(verified, BatchExtras { refusals, watermark }, now_ms).await?;
    for ((index, device_id, seq), outcome) in meta.into_iter().zip(outcomes) {
        if let Outcome::Refused { reason, detail } = &outcome {
            tracing::warn!(device = %device_id, seq, reason = reason.as_str(), detail = %detail, peer = ?peer.remote_addr, "record refused");
        }
        answers[index as usize] = Some(RecordResult { index, device_id: Some(device_id), seq: Some(seq), outcome });
    }
    let results = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            a.unwrap_or_else(|| RecordResult {
                index: i as u32,
                device_id: None,
                seq: None,
                // Unreachable by construction (every index is answered above); answering
                // "malformed" keeps the device's record parked rather than acknowledged.
                outcome: Outcome::Refused { reason: RefusalReason::Malformed, detail: "internal: no answer".into() },
            })
        })
        .collect();
    Ok(Ingested { answer: UploadResponse { results, server_time_ms: now_ms }, refusals_kept })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hadir_protocol::{ClockEvidence, Decision, DeviceKey, Direction, Mode, RecordBody, Score};

    fn verified(seq: u64, prev: Digest, implausible: Option<&str>) -> Verified {
        let body = RecordBody {
            format: hadir_protocol::CANONICAL_VERSION,
            device_id: "K1".into(),
            seq,
            employee_id: "E1".into(),
            direction: Direction::In,
            recorded_at_ms: 1_780_000_000_000,
            utc_offset_min: 420,
            mode: Mode::Office,
            match_score: Score(9000),
            liveness_score: Score(9000),
            decision: Decision::Valid,
            gps: None,
            photo_sha256: Digest::of(b"p"),
            app_version: "a".into(),
            model_version: "m".into(),
            prev_hash: prev,
            clock: ClockEvidence::default(),
        };
        let record = body.sign(&DeviceKey::from_seed(&[1; 32]));
        let canonical = record.body.canonical_bytes();
        Verified { index: 0, hash: Digest::of(&canonical), record, canonical, implausible: implausible.map(String::from), flags: Vec::new() }
    }

    fn reason(o: &Outcome) -> Option<RefusalReason> {
        match o {
            Outcome::Refused { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    #[test]
    fn decision_table() {
        let first = verified(1, Digest::ZERO, None);
        let head1 = ChainHead { seq: 1, hash: first.hash };
        let second = verified(2, first.hash, None);
        let late = verified(2, first.hash, Some("ahead"));
        let bad_link = verified(2, Digest::of(b"x"), None);
        let third = verified(3, second.hash, None);
        let mut other_first = verified(1, Digest::ZERO, None);
        other_first.record.body.employee_id = "E2".into();
        other_first.hash = other_first.record.body.hash();
        // (head, record, existing, expected outcome reason (None = acknowledged), expected write)
        let cases: Vec<(ChainHead, &Verified, Option<Existing>, Option<RefusalReason>, Write)> = vec![
            (ChainHead::GENESIS, &first, None, None, Write::Record),
            (head1, &second, None, None, Write::Record),
            (head1, &late, None, Some(RefusalReason::TimestampImplausible), Write::Quarantine("ahead".into())),
            (head1, &bad_link, None, Some(RefusalReason::BrokenChain), Write::ChainEvent("broken_chain", String::new())),
            (head1, &third, None, Some(RefusalReason::SequenceGap), Write::ChainEvent("sequence_gap", String::new())),
            (head1, &first, Some(Existing::Stored(first.hash)), None, Write::Nothing),
            (head1, &first, Some(Existing::Quarantined(first.hash, "q".into())), Some(RefusalReason::TimestampImplausible), Write::Nothing),
            (head1, &other_first, Some(Existing::Stored(first.hash)), Some(RefusalReason::BrokenChain), Write::ChainEvent("fork", String::new())),
            (head1, &first, None, Some(RefusalReason::BrokenChain), Write::ChainEvent("broken_chain", String::new())),
        ];
        for (i, (head, v, existing, want_reason, want_write)) in cases.into_iter().enumerate() {
            let (outcome, write) = decide(head, v, existing.as_ref());
            assert_eq!(reason(&outcome), want_reason, "case {i}: {outcome:?}");
            if want_reason.is_none() {
                assert!(outcome.is_acknowledged(), "case {i}");
            }
            match (&write, &want_write) {
                (Write::ChainEvent(a, _), Write::ChainEvent(b, _)) => assert_eq!(a, b, "case {i}"),
                _ => assert_eq!(write, want_write, "case {i}"),
            }
        }
    }

    #[test]
    fn policy_table() {
        let p = IngestPolicy::default();
        let now = 1_780_000_000_000;
        assert_eq!(p.judge(now, now), None);
        assert_eq!(p.judge(now + p.max_future_ms, now), None);
        assert!(p.judge(now + p.max_future_ms + 1, now).is_some());
        assert!(p.judge(0, now).is_some());
        assert_eq!(p.judge(now - 30 * 86_400_000, now), None, "a month-old offline record is fine");
    }
}
