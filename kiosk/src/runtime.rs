//! # The runtime: the flow wired to devices, the face pipeline, the policy and the store
//!
//! [`Kiosk`] owns the store, the device identity, the face pipeline and the flow state, and
//! carries out the flow's [`Effect`]s: PIN checks (Argon2, with a device-keyed index so a known
//! PIN costs one hash), template decryption, record making (policy, clock evidence, evidence
//! photo, signature, durable save), audit entries and signals. [`Kiosk::dispatch`] takes the
//! times as arguments, so tests and benchmarks drive it without real clocks.
//!
//! [`run`] is the loop of the device program: poll keypad and screen, feed camera frames while
//! capturing, tick the flow, feed the watchdog, until `shutdown` is set.
//!
//! ## PIN lockouts and the admin entry
//! The flow decides the lockouts ([`crate::flow`], "Rules it owns"); the runtime keeps them:
//! whenever a step changes [`flow::Lockouts`] it saves them in the store in wall-clock time
//! ([`Store::set_lockouts`]), and the first event after start restores them
//! ([`flow::SavedLockouts::restore`]), so a restart or a power cut lifts no lock and clears no
//! failure, and a wall clock set back does not shorten a lock.
//!
//! The administrator's menu has its own entry: the touchscreen's admin button
//! ([`Input::AdminMenu`]) or, on the keypad, `#` on an empty PIN screen (from idle: `*` or `A`,
//! then `#`). Only there is the PIN compared with `device.admin_pin_hash`
//! ([`Effect::VerifyAdminPin`]). On the attendance PIN screen the administrator's PIN is an
//! unknown PIN: it fails (device-wide lockout) and is audited `unknown_pin`; if it is also an
//! employee's PIN, that employee cannot record with it and the conflict is audited
//! `pin_conflicts_with_admin` (naming the employee) so that an operator changes one of the two.
//! The roster cannot catch this earlier: it carries only PIN hashes.
//!
//! It must not contain decisions: those are in [`crate::flow`] and [`crate::policy`].

use crate::admin::{Admin, AdminEffect, AdminEvent};
use crate::clock::{ClockInputs, ClockPolicy, SyncPoint, assess};
use crate::config::{KioskConfig, Language};
use crate::face::{FaceCheck, FaceResult};
use crate::flow::{
    self, Audit, Direction, Effect, Event, FlowConfig, Frame, FrameId, Mono, NotSaved, Phase, PinCheck, Saved,
    Screen, State,
};
use crate::identity::Identity;
use crate::policy::{self, GpsEvidence, GpsFix, Mode, PolicyConfig};
use hadir_rules::{SiteRules, SiteZone};
use crate::records::{Decided, DeviceInfo, evidence_jpeg, save};
use crate::store::{Store, StoreError};
use image::RgbImage;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// What the screens show besides the flow's screen: the device's state and the moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Records waiting for upload.
    pub queue: u64,
    /// Last successful sync with the server, ms since the epoch.
    pub last_sync_ms: Option<i64>,
    /// Device id from the server's enrolment; empty while the device is not enrolled.
    pub device_id: String,
    /// Office or field.
    pub mode: Mode,
    /// The office's name (configuration), or the site id from enrolment.
    pub office: String,
    /// The firmware version.
    pub app_version: String,
    /// Wall time now, ms since the epoch (UTC).
    pub now_ms: i64,
    /// Monotonic time now (locks are kept in it).
    pub mono: Mono,
    /// The device's UTC offset, minutes.
    pub utc_offset_min: i16,
    /// IN or OUT of the attempt under way, if any.
    pub direction: Option<Direction>,
    /// Whether the PIN being typed is the administrator's (the admin entry).
    pub admin_pin: bool,
    /// PIN length.
    pub pin_length: usize,
    /// The evidence photo of the last record (the result screen shows it).
    pub photo: Option<RgbImage>,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            queue: 0,
            last_sync_ms: None,
            device_id: String::new(),
            mode: Mode::Office,
            office: String::new(),
            app_version: String::new(),
            now_ms: 0,
            mono: Mono(0),
            utc_offset_min: 0,
            direction: None,
            admin_pin: false,
            pin_length: 6,
            photo: None,
        }
    }
}

impl Status {
    /// Whether records reached the server recently (the idle screen's online mark).
    pub fn online(&self) -> bool {
        self.last_sync_ms.is_some_and(|t| (self.now_ms - t).abs() <= ONLINE_WITHIN_MS)
    }
}

/// A sync this recent counts as online (the worker syncs every few seconds when reachable).
pub const ONLINE_WITHIN_MS: i64 = 60_000;

/// What the person did, from the keypad or the touchscreen.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A key (physical keypad; the touchscreen's PIN pad sends the same).
    Key(hadir_hal::keypad::Key),
    /// A flow event straight from the screen (MASUK/PULANG, cancel, retry).
    Flow(Event),
    /// The admin button: ask for the administrator's PIN.
    AdminMenu,
    /// A choice in the admin menu.
    Admin(AdminChoice),
}

pub use crate::admin::AdminChoice;

/// The screen: shows what the flow says and reports touches.
pub trait Display: Send {
    /// Shows a screen.
    fn show(&mut self, screen: &Screen, status: &Status);
    /// A touch since the last call.
    fn poll(&mut self) -> Option<Input>;
    /// A camera frame for the live preview while capturing (a display without one ignores it).
    fn preview(&mut self, _frame: &RgbImage) {}
}

/// A display for headless runs: logs each screen (in the configured language).
#[derive(Debug, Default)]
pub struct LogDisplay {
    /// Language of the texts logged.
    pub language: Language,
    /// Every screen shown (tests read it).
    pub shown: Vec<Screen>,
}

impl Display for LogDisplay {
    fn show(&mut self, screen: &Screen, status: &Status) {
        tracing::info!(screen = %crate::text::screen_text(screen, self.language), queue = status.queue, "screen");
        self.shown.push(screen.clone());
    }

    fn poll(&mut self) -> Option<Input> {
        None
    }
}

/// Why the kiosk could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The device key.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data directory.
    #[error("data directory {path}: {source} (create it, owned by the kiosk user)")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The kiosk: flow state plus everything its effects need.
pub struct Kiosk {
    /// The local store.
    pub store: Store,
    identity: Identity,
    device: DeviceInfo,
    flow_cfg: FlowConfig,
    policy: PolicyConfig,
    language: Language,
    /// The zone from the configuration, until the server's roster names the site's.
    configured_zone: SiteZone,
    photo_quality: u8,
    admin_pin_hash: Option<String>,
    face: Box<dyn FaceCheck>,
    state: State,
    templates: Vec<Vec<f32>>,
    faces: VecDeque<(FrameId, RgbImage)>,
    next_frame: u64,
    /// Latest GPS fix (the runtime's GPS poll sets it).
    pub gps: Option<GpsFix>,
    /// The last server time sync on this boot.
    pub last_sync: Option<SyncPoint>,
    clock_policy: ClockPolicy,
    admin: Option<Admin>,
    /// The lockouts read from the store at start, restored at the first event (which brings
    /// the time they need).
    saved_locks: Option<flow::SavedLockouts>,
    sync_requested: bool,
    /// A record was saved since the loop last asked: the sync worker sends it at once.
    record_saved: bool,
    office: String,
    last_now: Option<Now>,
    last_photo: Option<RgbImage>,
    notice_since: Option<Mono>,
    idle_shown: Option<(i64, u64, Option<i64>)>,
}

/// How long a notice (device not enrolled, sync started) stays before the idle screen, ms.
const NOTICE_MS: u64 = 5_000;

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk").field("device", &self.device).field("phase", &self.state.phase).finish_non_exhaustive()
    }
}

/// Wall time and monotonic time of one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic.
    pub mono: Mono,
    /// Wall clock, UTC.
    pub wall: OffsetDateTime,
}

impl Kiosk {
    /// Opens the identity and store named by the configuration and builds a kiosk.
    pub fn open(cfg: &KioskConfig, face: Box<dyn FaceCheck>) -> Result<Kiosk, StartError> {
        std::fs::create_dir_all(&cfg.device.data_dir)
            .map_err(|source| StartError::DataDir { path: cfg.device.data_dir.clone(), source })?;
        let identity = Identity::load_or_create(&cfg.key_file())?;
        let store = Store::open(&cfg.db_file(), &identity)?;
        Ok(Kiosk::new(store, identity, cfg, face)?)
    }

    /// A kiosk over an open store.
    pub fn new(store: Store, identity: Identity, cfg: &KioskConfig, face: Box<dyn FaceCheck>) -> Result<Kiosk, StoreError> {
        // Records carry the id the server gave at enrolment, never a placeholder: until the
        // device is enrolled it refuses attendance (see `enrolled`).
        let (device_id, site) = store.device()?.unwrap_or_default();
        let office = if cfg.device.office.is_empty() { site } else { cfg.device.office.clone() };
        let saved_locks = match store.lockouts() {
            Ok(saved) => saved,
            Err(e) => {
                // Attendance must still work; the lockouts start afresh, and the technician
                // sees why in the log.
                tracing::error!(error = %e, "saved PIN lockouts unreadable; starting without them");
                None
            }
        };
        let device = DeviceInfo {
            device_id,
            app_version: env!("CARGO_PKG_VERSION").into(),
            model_version: face.model_version(),
            mode: cfg.policy.mode,
        };
        Ok(Kiosk {
            store,
            identity,
            device,
            flow_cfg: cfg.flow.to_flow(),
            policy: cfg.policy.clone(),
            language: cfg.device.language,
            configured_zone: SiteZone::parse(&cfg.device.time_zone).unwrap_or_default(),
            photo_quality: cfg.device.photo_quality,
            admin_pin_hash: cfg.device.admin_pin_hash.clone(),
            face,
            state: State::default(),
            templates: Vec::new(),
            faces: VecDeque::new(),
            next_frame: 1,
            gps: None,
            last_sync: None,
            clock_policy: ClockPolicy::default(),
            admin: None,
            saved_locks,
            sync_requested: false,
            record_saved: false,
            office,
            last_now: None,
            last_photo: None,
            notice_since: None,
            idle_shown: None,
        })
    }

    /// The device identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The device facts records carry.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// The device id from the server's enrolment (records made after carry it).
    pub fn set_device_id(&mut self, id: String) {
        if self.device.device_id != id {
            tracing::info!(%id, "device id from enrolment");
            self.device.device_id = id;
        }
    }

    /// The face pipeline (enrolment uses it between attempts).
    pub fn face_mut(&mut self) -> &mut dyn FaceCheck {
        self.face.as_mut()
    }

    /// The flow's current phase.
    pub fn phase(&self) -> &Phase {
        &self.state.phase
    }

    /// Whether the flow is capturing (the loop then feeds camera frames).
    pub fn capturing(&self) -> bool {
        matches!(self.state.phase, Phase::Capture { .. })
    }

    /// Whether the device is enrolled with the server (it records attendance only then).
    pub fn enrolled(&self) -> bool {
        !self.device.device_id.is_empty()
    }

    /// The enclosure opened or closed: a signed event in the device's event chain (sent with
    /// the next health report), and an audit entry. Before the device is enrolled there is no
    /// id to sign for: the audit entry only.
    pub fn tamper(&mut self, event: hadir_hal::tamper::TamperEvent, now: Now) -> Option<hadir_protocol::health::DeviceEvent> {
        use hadir_protocol::health::{DeviceEvent, EventKind};
        let kind = match event {
            hadir_hal::tamper::TamperEvent::Opened => EventKind::TamperOpened,
            hadir_hal::tamper::TamperEvent::Closed => EventKind::TamperClosed,
        };
        let at = wall_ms(now.wall);
        tracing::warn!(event = kind.as_str(), "enclosure");
        let signed = if self.enrolled() {
            let (key, id) = (self.identity.key.clone(), self.device.device_id.clone());
            match self.store.append_event(|head| DeviceEvent::sign(&key, &id, head, kind, at)) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::error!(error = %e, "tamper event not stored");
                    None
                }
            }
        } else {
            tracing::warn!("device not enrolled: the tamper event is only audited");
            None
        };
        let detail = serde_json::json!({ "event": kind.as_str(), "seq": signed.as_ref().map(|e| e.seq) }).to_string();
        if let Err(e) = self.store.audit(at, "tamper", None, &detail) {
            tracing::error!(error = %e, "audit entry not written");
        }
        signed
    }

    /// Whether the administrator's menu or an enrolment is open (keys and frames go to it).
    pub fn enrolling(&self) -> bool {
        self.admin.is_some()
    }

    /// Whether enrolment wants camera frames.
    pub fn enrol_capturing(&self) -> bool {
        matches!(&self.admin, Some(Admin::Enrol(s)) if s.capturing())
    }

    /// Whether the administrator asked for a sync (or an enrolment queued a template) since the
    /// last call; the loop then wakes the sync worker.
    pub fn take_sync_request(&mut self) -> bool {
        std::mem::take(&mut self.sync_requested)
    }

    /// Whether a record was saved since the last call; the loop then rings the sync worker so
    /// that the record leaves the kiosk at once.
    pub fn take_record_saved(&mut self) -> bool {
        std::mem::take(&mut self.record_saved)
    }

    /// One input from the keypad or the touchscreen.
    pub fn input(&mut self, input: Input, now: Now, display: &mut dyn Display) -> Vec<Effect> {
        self.last_now = Some(now);
        if let Some(event) = match (&self.admin, &input) {
            (None, _) => None,
            (Some(_), Input::Key(key)) => Some(AdminEvent::Key(*key)),
            (Some(_), Input::Admin(choice)) => Some(AdminEvent::Choice(*choice)),
            (Some(_), Input::Flow(Event::Cancel)) => Some(AdminEvent::Cancel),
            (Some(_), _) => return Vec::new(),
        } {
            self.admin_step(event, now, display);
            return Vec::new();
        }
        match input {
            Input::AdminMenu => {
                if matches!(self.state.phase, Phase::Idle | Phase::Choose { .. }) {
                    return self.dispatch(Event::AdminEntry, now, display);
                }
            }
            Input::Admin(_) => {}
            Input::Key(key) => {
                if let Some(ev) = key_event(&self.state.phase, key) {
                    return self.dispatch(ev, now, display);
                }
            }
            Input::Flow(ev) => return self.dispatch(ev, now, display),
        }
        Vec::new()
    }

    /// One step of the administrator's session ([`crate::admin::step`]), its effects applied.
    fn admin_step(&mut self, event: AdminEvent, now: Now, display: &mut dyn Display) {
        let Some(admin) = self.admin.take() else { return };
        let (next, effects) = crate::admin::step(admin, event, now.mono);
        self.admin = next;
        for effect in effects {
            match effect {
                AdminEffect::ShowMenu => display.show(&Screen::Admin, &self.status()),
                AdminEffect::ShowEnrol => {
                    if let Some(Admin::Enrol(s)) = &self.admin {
                        display.show(&Screen::Enrol(s.view().clone()), &self.status());
                    }
                }
                AdminEffect::ShowSyncStarted => display.show(&Screen::SyncStarted, &self.status()),
                AdminEffect::RequestSync => {
                    self.sync_requested = true;
                    tracing::info!("sync requested by the administrator");
                }
                AdminEffect::ShowIdle => self.show_idle(now, display),
            }
        }
    }

    /// A key during enrolment (digits: employee number, `#`/Enter: start, `*`/Escape: leave).
    pub fn enrol_key(&mut self, key: hadir_hal::keypad::Key, now: Now, display: &mut dyn Display) {
        self.last_now = Some(now);
        if matches!(self.admin, Some(Admin::Enrol(_))) {
            self.admin_step(AdminEvent::Key(key), now, display);
        }
    }

    /// A camera frame during enrolment: the quality gate guides the person; good frames are
    /// taken, and once all are in the enrolment runs (one person, no duplicate, stored, queued
    /// for the server).
    pub fn enrol_frame(&mut self, image: &RgbImage, now: Now, display: &mut dyn Display) {
        self.last_now = Some(now);
        let Some(Admin::Enrol(session)) = self.admin.as_mut() else { return };
        if !session.due(now.mono) {
            return;
        }
        match self.face.check(image, &[]) {
            Ok(FaceResult::Face { liveness, .. }) if liveness >= self.flow_cfg.liveness_min => {
                session.frame(image, now.mono);
            }
            Ok(FaceResult::Face { .. }) => session.guide(flow::Guidance::LookStraight, now.mono),
            Ok(FaceResult::Guide(g)) => session.guide(g, now.mono),
            Err(e) => {
                tracing::warn!(error = %e, "face pipeline failed on an enrolment frame; skipped");
                return;
            }
        }
        if let Some((employee, images)) = session.take_ready() {
            let outcome = self.enrol_now(&employee, &images, now);
            if let Some(Admin::Enrol(s)) = self.admin.as_mut() {
                s.finish(outcome, now.mono);
            }
        }
        if let Some(Admin::Enrol(s)) = self.admin.as_ref() {
            let view = s.view().clone();
            display.show(&Screen::Enrol(view), &self.status());
        }
    }

    fn enrol_now(&mut self, employee: &str, images: &[RgbImage], now: Now) -> flow::EnrolOutcome {
        let result = crate::enrol::enrol(&mut self.store, self.face.as_mut(), employee, images);
        let (kind, detail, outcome) = match result {
            Ok(done) => {
                let model = self.device.model_version.clone();
                if let Err(e) = self.store.queue_template_upload(employee, &model, wall_ms(now.wall)) {
                    tracing::error!(error = %e, "enrolled template not queued for the server");
                }
                self.sync_requested = true;
                (
                    "enrolled",
                    serde_json::json!({ "templates": done.templates, "nearest_other_percent": done.nearest_other.map(|(_, p)| p) })
                        .to_string(),
                    flow::EnrolOutcome::Enrolled { name: done.name, sent: false },
                )
            }
            Err(e) => {
                let (reason, mut detail) = e.refusal();
                if reason == flow::EnrolRefusal::Duplicate {
                    // The administrator needs the other employee's name, not only the number.
                    if let Ok(Some(other)) = self.store.employee(&detail) {
                        detail = format!("{} ({})", other.name, other.id);
                    }
                }
                let audit = serde_json::json!({ "reason": e.to_string() }).to_string();
                ("enrol_refused", audit, flow::EnrolOutcome::Refused { reason, detail })
            }
        };
        if let Err(e) = self.store.audit(wall_ms(now.wall), kind, Some(employee), &detail) {
            tracing::error!(error = %e, "audit entry not written");
        }
        outcome
    }

    /// Time passes: ends the admin menu or an enrolment after inactivity or once its outcome
    /// was shown, notices after a few seconds, and keeps the idle screen's clock and queue
    /// current.
    pub fn admin_tick(&mut self, now: Now, display: &mut dyn Display) {
        self.last_now = Some(now);
        match self.admin.as_mut() {
            Some(Admin::Enrol(s)) => {
                if let Some(flow::EnrolOutcome::Enrolled { sent: false, .. }) = &s.view().done {
                    let employee = s.view().employee.clone();
                    if let Ok(Some(crate::store::TemplateUploadState::Sent)) = self.store.template_upload_state(&employee) {
                        s.set_sent();
                        let view = s.view().clone();
                        display.show(&Screen::Enrol(view), &self.status());
                        return;
                    }
                }
                self.admin_step(AdminEvent::Tick, now, display);
            }
            Some(Admin::Menu(_)) => self.admin_step(AdminEvent::Tick, now, display),
            None => {
                if self.notice_since.is_some_and(|t| now.mono.since(t) >= NOTICE_MS) {
                    self.show_idle(now, display);
                } else if matches!(self.state.phase, Phase::Idle) && self.notice_since.is_none() {
                    let status = self.status();
                    let key = (status.now_ms / 60_000, status.queue, status.last_sync_ms);
                    if self.idle_shown != Some(key) {
                        self.show_idle(now, display);
                    }
                }
            }
        }
    }

    /// Kept for callers of the earlier API: [`Kiosk::admin_tick`].
    pub fn enrol_tick(&mut self, now: Now, display: &mut dyn Display) {
        self.admin_tick(now, display);
    }

    /// Shows the idle screen (clock, queue, last sync as of now).
    pub fn show_idle(&mut self, now: Now, display: &mut dyn Display) {
        self.last_now = Some(now);
        self.notice_since = None;
        let status = self.status();
        self.idle_shown = Some((status.now_ms / 60_000, status.queue, status.last_sync_ms));
        display.show(&Screen::Idle, &status);
    }

    /// What the screens show besides the flow's screen, as of the last event.
    pub fn status(&self) -> Status {
        let direction = match &self.state.phase {
            Phase::Idle | Phase::Choose { .. } | Phase::AdminPin { .. } | Phase::CheckingAdminPin { .. } => None,
            Phase::Pin { direction, .. }
            | Phase::CheckingPin { direction, .. }
            | Phase::CheckingPlace { direction, .. }
            | Phase::PlaceNotice { direction, .. }
            | Phase::Capture { direction, .. }
            | Phase::Recording { direction, .. } => Some(*direction),
            Phase::Result { outcome, .. } => Some(match outcome {
                flow::Outcome::Recorded { direction, .. } | flow::Outcome::Refused { direction, .. } => *direction,
            }),
        };
        let now = self.last_now.unwrap_or(Now { mono: Mono(0), wall: OffsetDateTime::now_utc() });
        Status {
            queue: self.store.queue_len().unwrap_or(0),
            last_sync_ms: self.store.kv(crate::sync::LAST_SYNC_KEY).ok().flatten().and_then(|v| v.parse().ok()),
            device_id: self.device.device_id.clone(),
            mode: self.device.mode,
            office: self.office.clone(),
            app_version: self.device.app_version.clone(),
            now_ms: wall_ms(now.wall),
            mono: now.mono,
            utc_offset_min: self.zone_offset_min(),
            direction,
            admin_pin: matches!(self.state.phase, Phase::AdminPin { .. } | Phase::CheckingAdminPin { .. }),
            pin_length: self.flow_cfg.pin_length,
            photo: match &self.state.phase {
                Phase::Result { outcome: flow::Outcome::Recorded { .. }, .. } => self.last_photo.clone(),
                _ => None,
            },
        }
    }

    /// Runs the face pipeline on a camera frame and dispatches the result at `now`.
    pub fn frame(&mut self, image: &RgbImage, now: Now, display: &mut dyn Display) -> Vec<Effect> {
        match self.analyse(image) {
            Some(frame) => self.dispatch(Event::Frame(frame), now, display),
            None => Vec::new(),
        }
    }

    /// Runs the face pipeline on a camera frame: what the flow is told of it (`None` when the
    /// pipeline failed on it). The loop dispatches it with the time after the analysis, which
    /// can take seconds on a slow board: a result shown then must stay up its full time.
    pub fn analyse(&mut self, image: &RgbImage) -> Option<Frame> {
        Some(match self.face.check(image, &self.templates) {
            Ok(FaceResult::Guide(g)) => Frame::Guide(g),
            Ok(FaceResult::Face { score, liveness, aligned, .. }) => {
                let id = FrameId(self.next_frame);
                self.next_frame += 1;
                // Keep the aligned faces of this capture for the evidence photo (bounded).
                if self.faces.len() >= 64 {
                    self.faces.pop_front();
                }
                self.faces.push_back((id, aligned));
                Frame::Face { id, score, liveness }
            }
            Err(e) => {
                tracing::warn!(error = %e, "face pipeline failed on a frame; skipped");
                return None;
            }
        })
    }

    /// Feeds one event to the flow and carries out the effects (and the events they answer
    /// with) until the flow waits again. Returns every effect, for tests and benchmarks.
    pub fn dispatch(&mut self, event: Event, now: Now, display: &mut dyn Display) -> Vec<Effect> {
        self.last_now = Some(now);
        let idle = matches!(self.state.phase, Phase::Idle);
        if let Some(saved) = self.saved_locks.take() {
            self.state.locks = saved.restore(now.mono, wall_ms(now.wall));
            tracing::info!(locked = self.state.locks.device.locked(now.mono).is_some(), "PIN lockouts restored");
        }
        // The admin entry stays open on a device not yet enrolled: the administrator may need it.
        if idle && !self.enrolled() && matches!(event, Event::Wake | Event::Choose(_)) {
            // No record may carry a made-up device id: until the server enrols this device, an
            // attempt gets a clear screen instead of a record.
            self.notice_since = Some(now.mono);
            display.show(&Screen::NotEnrolled, &self.status());
            return vec![Effect::Show(Screen::NotEnrolled)];
        }
        if idle && !matches!(event, Event::Tick) {
            self.notice_since = None;
        }
        let mut queue = VecDeque::from([event]);
        let mut all = Vec::new();
        while let Some(ev) = queue.pop_front() {
            let state = std::mem::take(&mut self.state);
            let before = state.locks.clone();
            let (next, effects) = flow::step(state, ev, now.mono, &self.flow_cfg);
            self.state = next;
            if self.state.locks != before {
                // Saved before the effects run (the refusal is shown after): a power cut now
                // keeps the lock.
                if let Err(e) = self.store.set_lockouts(&self.state.locks.save(now.mono, wall_ms(now.wall))) {
                    tracing::error!(error = %e, "PIN lockouts not saved; they hold until a restart");
                }
            }
            for fx in effects {
                if let Some(answer) = self.effect(&fx, now, display) {
                    queue.push_back(answer);
                }
                all.push(fx);
            }
        }
        all
    }

    fn effect(&mut self, fx: &Effect, now: Now, display: &mut dyn Display) -> Option<Event> {
        match fx {
            Effect::Show(Screen::Idle) => {
                self.show_idle(now, display);
                None
            }
            Effect::Show(screen) => {
                display.show(screen, &self.status());
                None
            }
            Effect::VerifyPin { pin } => Some(Event::PinChecked(self.check_pin(pin))),
            Effect::VerifyAdminPin { pin } => Some(Event::PinChecked(self.check_admin_pin(pin))),
            Effect::CheckPlace { employee } => {
                let rules = self.site_rules();
                let verdict = policy::place_verdict(&self.policy, self.gps, &rules, employee, now.wall, now.mono.0);
                if verdict != flow::PlaceVerdict::Fine {
                    tracing::info!(employee, ?verdict, "place notice before the face step");
                }
                Some(Event::PlaceChecked(verdict))
            }
            Effect::StartCapture { employee } => {
                self.faces.clear();
                self.templates = match self.store.templates(employee) {
                    Ok(t) => t.into_iter().filter(|(m, _)| *m == self.device.model_version).map(|(_, e)| e).collect(),
                    Err(e) => {
                        tracing::error!(error = %e, "templates unreadable");
                        Vec::new()
                    }
                };
                if self.templates.is_empty() {
                    tracing::warn!(employee, "no usable templates for this model: every attempt will be refused");
                }
                None
            }
            Effect::StopCapture => None,
            Effect::MakeRecord { employee, direction, band, best } => {
                let result = self.make_record(employee, *direction, *band, best, now);
                self.templates.clear();
                self.faces.clear();
                Some(Event::Recorded(result))
            }
            Effect::Audit(a) => {
                let (kind, employee, detail) = audit_row(a);
                if let Err(e) = self.store.audit(wall_ms(now.wall), kind, employee.as_deref(), &detail) {
                    tracing::error!(error = %e, kind, "audit entry not written");
                }
                None
            }
            Effect::Signal(_) => None,
            Effect::StartAdmin => {
                self.admin = Some(Admin::Menu(now.mono));
                None
            }
        }
    }

    /// Checks the administrator's PIN (the admin entry only).
    pub fn check_admin_pin(&self, pin: &str) -> PinCheck {
        if self.admin_pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) {
            PinCheck::Admin
        } else {
            PinCheck::Unknown
        }
    }

    /// Checks a PIN on the attendance screen: the PIN index (one Argon2 check), then every
    /// employee's hash (first use of a PIN on this device, or an unknown PIN). Never answers
    /// [`PinCheck::Admin`]: the administrator's PIN is unknown here, and an employee whose PIN
    /// equals it is refused and audited (`pin_conflicts_with_admin`).
    pub fn check_pin(&mut self, pin: &str) -> PinCheck {
        let found = match self.find_employee(pin) {
            Ok(found) => found,
            Err(e) => return PinCheck::Error(e.to_string()),
        };
        // One more Argon2 run when an administrator PIN is configured: the only way to tell the
        // administrator's PIN apart, since both sides are hashes.
        if self.admin_pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) {
            if let Some(e) = &found {
                tracing::warn!(employee = %e.id, "an employee's PIN equals the administrator's: refused until one is changed");
                let detail = serde_json::json!({ "fix": "change the employee's PIN or the administrator's (device.admin_pin_hash)" });
                let at = wall_ms(self.last_now.map_or_else(OffsetDateTime::now_utc, |n| n.wall));
                if let Err(err) = self.store.audit(at, "pin_conflicts_with_admin", Some(&e.id), &detail.to_string()) {
                    tracing::error!(error = %err, "audit entry not written");
                }
            }
            return PinCheck::Unknown;
        }
        match found {
            Some(e) => PinCheck::Employee(e),
            None => PinCheck::Unknown,
        }
    }

    /// The employee whose PIN this is, if any.
    fn find_employee(&mut self, pin: &str) -> Result<Option<flow::Employee>, StoreError> {
        // An index entry is written only after this PIN passed the employee's Argon2 hash, is
        // keyed with the device's secret, and is dropped when the PIN hash changes or the
        // employee is removed: a hit needs no second Argon2 run (about 40 ms per decision here;
        // the brute-force cost for someone holding the store and the key is the same either
        // way, since the index exists).
        if let Some(id) = self.store.pin_index_lookup(pin)? {
            if let Some(e) = self.store.employee(&id)?.filter(|e| e.pin_hash.is_some()) {
                return Ok(Some(flow::Employee { id: e.id, name: e.name }));
            }
        }
        for e in self.store.employees_with_pin()? {
            if e.pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) {
                if let Err(err) = self.store.pin_index_put(pin, &e.id) {
                    tracing::warn!(error = %err, "PIN index not updated");
                }
                return Ok(Some(flow::Employee { id: e.id, name: e.name }));
            }
        }
        Ok(None)
    }

    fn make_record(
        &mut self,
        employee: &str,
        direction: Direction,
        band: flow::Band,
        best: &flow::Best,
        now: Now,
    ) -> Result<Saved, NotSaved> {
        if !self.enrolled() {
            return Err(NotSaved::Store("device not enrolled with the server: no record without a device id".into()));
        }
        let gps = match policy::gps_evidence(&self.policy, self.gps, now.wall, now.mono.0) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "record refused by policy");
                return Err(NotSaved::NoGpsFix);
            }
        };
        let store_err = |e: &dyn std::fmt::Display| NotSaved::Store(e.to_string());
        let last_record_ms = self
            .store
            .records_after(self.store.head().map_err(|e| store_err(&e))?.seq.saturating_sub(1), 1)
            .map_err(|e| store_err(&e))?
            .first()
            .map(|r| r.body.recorded_at_ms);
        let (clock, problems) = assess(
            ClockInputs {
                wall_ms: wall_ms(now.wall),
                mono_ms: now.mono.0,
                last_sync: self.last_sync,
                last_record_ms,
                gps_ms: match gps {
                    GpsEvidence::Fix(f) => Some(wall_ms(f.fix_time)),
                    GpsEvidence::NoFix => None,
                },
            },
            self.clock_policy,
        );
        if !problems.is_empty() {
            let detail = serde_json::json!({ "problems": problems.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>() }).to_string();
            if let Err(e) = self.store.audit(wall_ms(now.wall), "clock_flagged", Some(employee), &detail) {
                tracing::error!(error = %e, "audit entry not written");
            }
        }
        let face = self
            .faces
            .iter()
            .find(|(id, _)| *id == best.id)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| RgbImage::new(112, 112));
        let jpeg = evidence_jpeg(&face, self.photo_quality).map_err(|e| store_err(&e))?;
        self.last_photo = Some(face);
        let rules = self.site_rules();
        let decided = Decided {
            employee_id: employee.to_owned(),
            direction,
            band,
            score: best.score,
            liveness: best.liveness,
            recorded_at_ms: wall_ms(now.wall),
            utc_offset_min: offset_minutes(&rules.zone),
            gps,
            clock,
        };
        let record = save(&mut self.store, &self.identity, &self.device, &decided, jpeg).map_err(|e| store_err(&e))?;
        let (late_minutes, marked_late) = match direction {
            Direction::In => policy::late_mark(self.arrival(&rules, employee, now.wall)),
            Direction::Out => (None, false),
        };
        tracing::info!(seq = record.body.seq, employee, ?direction, ?band, late = ?late_minutes, "record saved");
        self.record_saved = true;
        Ok(Saved { seq: record.body.seq, late_minutes, marked_late })
    }

    /// The site's rules from the last roster; before the first, the configured zone and the
    /// rulebook's defaults (no employee is known then either).
    fn site_rules(&self) -> SiteRules {
        match self.store.site_rules() {
            Ok(Some(rules)) => rules,
            Ok(None) => SiteRules { zone: self.configured_zone.clone(), ..SiteRules::default() },
            Err(e) => {
                tracing::error!(error = %e, "site rules unreadable; using the configured zone and default rules");
                SiteRules { zone: self.configured_zone.clone(), ..SiteRules::default() }
            }
        }
    }

    /// How an IN by `employee` at `at` stands under the site's rules, as the recap counts it.
    pub fn arrival(&self, rules: &SiteRules, employee: &str, at: OffsetDateTime) -> Option<hadir_rules::Arrival> {
        let section = self.store.employee(employee).ok().flatten().and_then(|e| e.section_id);
        rules.arrival_at(employee, section.as_deref(), self.device.mode, at)
    }

    fn zone_offset_min(&self) -> i16 {
        offset_minutes(&self.site_rules().zone)
    }

    /// The user-facing language.
    pub fn language(&self) -> Language {
        self.language
    }
}

fn pin_matches(pin: &str, phc: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::PasswordHash::new(phc)
        .is_ok_and(|h| argon2::Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// An Argon2id PHC string for a PIN (tests, benchmarks and the admin tool; the server makes
/// the employees' hashes).
pub fn hash_pin(pin: &str) -> String {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

/// The zone's offset as records carry it: minutes east of UTC.
fn offset_minutes(zone: &SiteZone) -> i16 {
    i16::try_from(zone.offset().whole_minutes()).unwrap_or(0)
}

fn wall_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// An audit entry as stored: its kind, the employee it concerns and its details as JSON.
fn audit_row(a: &Audit) -> (&'static str, Option<String>, String) {
    use serde_json::json;
    let (kind, employee, detail) = match a {
        Audit::UnknownPin => ("unknown_pin", None, json!({})),
        Audit::FaceRefused { employee, direction, reason, score } => (
            "face_refused",
            Some(employee.clone()),
            // A NaN score becomes null: the detail stays valid JSON.
            json!({ "direction": format!("{direction:?}"), "reason": format!("{reason:?}"), "score": score }),
        ),
        Audit::PinLocked { employee, failures } => ("pin_locked", Some(employee.clone()), json!({ "failures": failures })),
        Audit::LockedPinUsed { employee } => ("locked_pin_used", Some(employee.clone()), json!({})),
        Audit::Locked { scope, lock } => (
            match scope {
                flow::LockScope::Device => "device_locked",
                flow::LockScope::Admin => "admin_locked",
            },
            None,
            json!({ "failures": lock.failures, "lock_in_a_row": lock.strikes, "seconds": lock.seconds }),
        ),
        Audit::AdminPinFailed => ("admin_pin_failed", None, json!({})),
        Audit::AdminLogin => ("admin_login", None, json!({})),
        Audit::StoreTimeout { phase } => ("store_timeout", None, json!({ "phase": phase })),
    };
    (kind, employee, detail.to_string())
}

/// A key of the keypad as a flow event, given the phase (`A`/`*` MASUK and `B`/`#` PULANG
/// on the choice screen; `#` on an empty PIN screen opens the administrator's entry, so from
/// idle the admin gesture is `*` `#`; Enter retries or wakes; on the place notice Enter goes
/// on and `#` checks again; Escape cancels).
pub fn key_event(phase: &Phase, key: hadir_hal::keypad::Key) -> Option<Event> {
    use hadir_hal::keypad::Key;
    let choosing = matches!(phase, Phase::Idle | Phase::Choose { .. });
    match key {
        Key::Escape => Some(Event::Cancel),
        Key::Backspace => Some(Event::Backspace),
        Key::Letter('A') | Key::Star if choosing => Some(Event::Choose(Direction::In)),
        Key::Letter('B') | Key::Hash if choosing => Some(Event::Choose(Direction::Out)),
        Key::Star => Some(Event::Cancel),
        // `#` has no other use on the PIN screen (digits submit themselves at full length).
        Key::Hash if matches!(phase, Phase::Pin { digits, .. } if digits.is_empty()) => Some(Event::AdminEntry),
        Key::Digit(d) if matches!(phase, Phase::Idle) => {
            let _ = d;
            Some(Event::Wake)
        }
        Key::Digit(d) => char::from_digit(u32::from(d), 10).map(Event::Digit),
        Key::Enter | Key::Hash if matches!(phase, Phase::Result { .. }) => Some(Event::Retry),
        Key::Enter if matches!(phase, Phase::PlaceNotice { .. }) => Some(Event::Proceed),
        Key::Hash if matches!(phase, Phase::PlaceNotice { .. }) => Some(Event::Retry),
        Key::Enter => Some(Event::Wake),
        _ => None,
    }
}

/// The devices the kiosk owns while it runs.
pub struct Devices {
    /// The camera.
    pub camera: Box<dyn hadir_hal::camera::Camera>,
    /// The keypad.
    pub keypad: Box<dyn hadir_hal::keypad::Keypad>,
    /// The GPS receiver, on field units.
    pub gps: Option<Box<dyn hadir_hal::gps::Gps>>,
    /// Buzzer, LEDs, door relay.
    pub outputs: Box<dyn hadir_hal::outputs::Outputs>,
    /// The hardware watchdog.
    pub watchdog: Option<Box<dyn hadir_hal::watchdog::Watchdog>>,
    /// The enclosure's tamper switch, where the board has one.
    pub tamper: Option<Box<dyn hadir_hal::tamper::TamperSwitch>>,
    /// The screen.
    pub display: Box<dyn Display>,
    /// The face pipeline.
    pub face: Box<dyn FaceCheck>,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices").field("gps", &self.gps.is_some()).finish_non_exhaustive()
    }
}

/// Runs the kiosk until `shutdown` is set: the device program's loop.
pub fn run(devices: Devices, cfg: &KioskConfig, shutdown: Arc<AtomicBool>) -> Result<(), StartError> {
    let Devices { mut camera, mut keypad, mut gps, mut outputs, mut watchdog, mut tamper, mut display, face } = devices;
    let mut kiosk = Kiosk::open(cfg, face)?;
    let vitals = crate::health::SharedVitals::default();
    let sync = crate::sync::spawn(cfg, kiosk.identity().clone(), kiosk.device().model_version.clone(), vitals.clone(), shutdown.clone());
    let mut frames = crate::health::FrameRate::default();
    // The watchdog is fed only while the loop runs and the camera and the store are healthy.
    let mut keeper = watchdog.take().map(|w| hadir_hal::watchdog::WatchdogKeeper::new(w, Duration::from_secs(1)));
    let mut liveness = crate::health::Liveness { starving_since: None, store_ok: true };
    let mut sick: Option<crate::health::Sick> = None;
    let mut frames_this_tick = 0u32;
    let mut wanted_since: Option<Instant> = None;
    if tamper.is_some() {
        // Closed until the switch says otherwise (an open enclosure at start is reported by
        // the switch's first poll).
        set_vitals(&vitals, |v| v.tamper_open = Some(false));
    }
    let start = Instant::now();
    let now = || Now {
        mono: Mono(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)),
        wall: OffsetDateTime::now_utc(),
    };
    kiosk.show_idle(now(), display.as_mut());
    if !kiosk.enrolled() {
        tracing::warn!("device not enrolled with the server yet: attendance is refused until it is (server.url + server.enrol_token)");
    }
    if let Some(ready) = &cfg.device.ready_file {
        // Best effort: the kiosk works without it; the init script only times the boot.
        let made = ready.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(ready, b"ready\n"));
        if let Err(e) = made {
            tracing::warn!(path = %ready.display(), error = %e, "ready file not written");
        }
    }
    tracing::info!(device = %kiosk.device().device_id, mode = kiosk.device().mode.as_str(), "kiosk ready");
    let mut last_tick = Instant::now();
    while !shutdown.load(Ordering::Relaxed) {
        let mut busy = false;
        match keypad.poll() {
            Ok(Some(key)) => {
                busy = true;
                let fx = kiosk.input(Input::Key(key), now(), display.as_mut());
                signal(outputs.as_mut(), &fx);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "keypad"),
        }
        if let Some(input) = display.poll() {
            busy = true;
            let fx = kiosk.input(input, now(), display.as_mut());
            signal(outputs.as_mut(), &fx);
        }
        if kiosk.enrol_capturing() || kiosk.capturing() {
            wanted_since.get_or_insert_with(Instant::now);
            match camera.frame() {
                Ok(frame) => {
                    busy = true;
                    frames_this_tick += 1;
                    liveness.starving_since = None;
                    // The preview first: the person sees the frame while it is analysed.
                    display.preview(&frame.image);
                    if kiosk.enrol_capturing() {
                        kiosk.enrol_frame(&frame.image, now(), display.as_mut());
                    } else {
                        let fx = match kiosk.analyse(&frame.image) {
                            Some(f) => kiosk.dispatch(Event::Frame(f), now(), display.as_mut()),
                            None => Vec::new(),
                        };
                        signal(outputs.as_mut(), &fx);
                    }
                }
                Err(e) => {
                    liveness.starving_since.get_or_insert(now().mono.0);
                    tracing::warn!(error = %e, "camera frame skipped");
                }
            }
        } else {
            liveness.starving_since = None;
        }
        if kiosk.take_sync_request() {
            match sync.as_ref() {
                Some(s) => s.sync_now(),
                None => tracing::warn!("sync requested but no server is configured (server.url)"),
            }
        }
        if kiosk.take_record_saved()
            && let Some(s) = sync.as_ref()
        {
            s.record_saved();
        }
        if last_tick.elapsed() >= Duration::from_millis(100) {
            last_tick = Instant::now();
            if let Some(g) = gps.as_mut() {
                match g.fix() {
                    Ok(fix) => kiosk.gps = fix.map(|f| from_hal_fix(&f, now().mono.0)),
                    Err(e) => tracing::warn!(error = %e, "gps"),
                }
            }
            if let Some(id) = sync.as_ref().and_then(|s| s.device_id()) {
                kiosk.set_device_id(id);
            }
            if let Some(s) = sync.as_ref().and_then(|s| s.last_time_sync()) {
                kiosk.last_sync = Some(SyncPoint {
                    mono_ms: u64::try_from(s.at.saturating_duration_since(start).as_millis()).unwrap_or(0),
                    wall_ms: s.device_wall_ms,
                    offset_ms: s.offset_ms,
                });
            }
            if !kiosk.enrolling() {
                let fx = kiosk.dispatch(Event::Tick, now(), display.as_mut());
                signal(outputs.as_mut(), &fx);
            }
            if let Err(e) = outputs.update() {
                tracing::warn!(error = %e, "outputs");
            }
            if let Some(k) = keeper.as_mut() {
                liveness.store_ok = kiosk.store.queue_len().is_ok();
                let health = crate::health::check(liveness, now().mono.0);
                match (&health, &sick) {
                    (Err(why), None) => tracing::error!(reason = %why, "kiosk unhealthy: the watchdog is no longer fed"),
                    (Ok(()), Some(_)) => tracing::info!("kiosk healthy again: feeding the watchdog"),
                    _ => {}
                }
                sick = health.err();
                if let Err(e) = k.tick(sick.is_none(), Instant::now()) {
                    tracing::warn!(error = %e, "watchdog");
                }
            }
            if let Some(t) = tamper.as_mut() {
                match t.poll() {
                    Ok(Some(ev)) => {
                        let open = ev == hadir_hal::tamper::TamperEvent::Opened;
                        set_vitals(&vitals, |v| v.tamper_open = Some(open));
                        if open {
                            // The long low beep and red light of a refusal: someone is at the bracket.
                            if let Err(e) = outputs.signal(hadir_hal::outputs::Signal::Reject) {
                                tracing::warn!(error = %e, "outputs");
                            }
                        }
                        kiosk.tamper(ev, now());
                        if let Some(s) = sync.as_ref() {
                            s.record_saved();
                        }
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "tamper switch"),
                }
            }
            // Frame rate over the time frames were wanted (an idle kiosk asks for none).
            if let Some(since) = wanted_since.take() {
                frames.add(u64::try_from(since.elapsed().as_millis()).unwrap_or(0), std::mem::take(&mut frames_this_tick));
                if let Some(fps) = frames.take() {
                    set_vitals(&vitals, |v| v.camera_fps_centi = Some(fps));
                }
            }
            kiosk.admin_tick(now(), display.as_mut());
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    if let Some(k) = keeper {
        let _ = k.shutdown();
    }
    drop(sync);
    Ok(())
}

fn set_vitals(vitals: &crate::health::SharedVitals, change: impl FnOnce(&mut crate::health::Vitals)) {
    if let Ok(mut v) = vitals.lock() {
        change(&mut v);
    }
}

fn signal(outputs: &mut dyn hadir_hal::outputs::Outputs, fx: &[Effect]) {
    use hadir_hal::outputs::Signal as Hw;
    for e in fx {
        let s = match e {
            Effect::Signal(flow::Signal::Ok) => Hw::Ok,
            Effect::Signal(flow::Signal::Warn) => Hw::Confirm,
            Effect::Signal(flow::Signal::Error) => Hw::Reject,
            _ => continue,
        };
        if let Err(err) = outputs.signal(s) {
            tracing::warn!(error = %err, "outputs");
        }
    }
}

/// The kiosk's fix from the hal's, polled at monotonic `now_mono_ms`.
pub fn from_hal_fix(f: &hadir_hal::gps::Fix, now_mono_ms: u64) -> GpsFix {
    GpsFix {
        lat: f.lat,
        lon: f.lon,
        // HDOP × a typical receiver error of 5 m when the receiver gives no accuracy.
        accuracy_m: f.hdop.map_or(50.0, |h| h * 5.0),
        satellites: f.sats.map_or(0, |s| u8::try_from(s).unwrap_or(u8::MAX)),
        hdop_centi: f.hdop_centi,
        mode: match f.mode {
            hadir_hal::gps::FixMode::TwoD => Some(hadir_protocol::FixMode::TwoD),
            hadir_hal::gps::FixMode::ThreeD => Some(hadir_protocol::FixMode::ThreeD),
            hadir_hal::gps::FixMode::None => None,
        },
        receiver_doubts: hadir_protocol::ReceiverDoubts {
            teleport: f.doubts.teleport,
            frozen_position: f.doubts.frozen_position,
            uniform_signal: f.doubts.uniform_signal,
        },
        fix_time: f.time,
        received_mono_ms: Some(now_mono_ms.saturating_sub(u64::try_from(f.age.as_millis()).unwrap_or(u64::MAX))),
    }
}
