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
//! It must not contain decisions: those are in [`crate::flow`] and [`crate::policy`].

use crate::clock::{ClockInputs, ClockPolicy, SyncPoint, assess};
use crate::config::{KioskConfig, Language};
use crate::face::{FaceCheck, FaceResult};
use crate::flow::{
    self, Audit, Direction, Effect, Event, FlowConfig, Frame, FrameId, Mono, NotSaved, Phase, PinCheck, Saved,
    Screen, State,
};
use crate::identity::Identity;
use crate::policy::{self, GpsEvidence, GpsFix, PolicyConfig};
use crate::records::{Decided, DeviceInfo, evidence_jpeg, save};
use crate::store::{Store, StoreError};
use image::RgbImage;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// What the idle screen shows besides the clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status {
    /// Records waiting for upload.
    pub queue: u64,
    /// Last successful sync with the server, ms since the epoch.
    pub last_sync_ms: Option<i64>,
    /// Device id.
    pub device_id: String,
}

/// The screen: shows what the flow says and reports touches as flow events.
pub trait Display: Send {
    /// Shows a screen.
    fn show(&mut self, screen: &Screen, status: &Status);
    /// A touch since the last call, as a flow event.
    fn poll(&mut self) -> Option<Event>;
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

    fn poll(&mut self) -> Option<Event> {
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
    utc_offset_min: i16,
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
    enrolment: Option<crate::enrol::Session>,
}

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
        let device_id = store.device()?.map(|(id, _)| id).unwrap_or_else(|| cfg.device.device_id.clone());
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
            utc_offset_min: cfg.device.utc_offset_min,
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
            enrolment: None,
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

    /// Whether an administrator enrolment is under way (keys and frames go to it).
    pub fn enrolling(&self) -> bool {
        self.enrolment.is_some()
    }

    /// Whether enrolment wants camera frames.
    pub fn enrol_capturing(&self) -> bool {
        self.enrolment.as_ref().is_some_and(|s| s.capturing())
    }

    /// A key during enrolment (digits: employee number, `#`/Enter: start, `*`/Escape: leave).
    pub fn enrol_key(&mut self, key: hadir_hal::keypad::Key, now: Now, display: &mut dyn Display) {
        use crate::enrol::SessionKey;
        use hadir_hal::keypad::Key;
        let Some(session) = self.enrolment.as_mut() else { return };
        let k = match key {
            Key::Digit(d) => match char::from_digit(u32::from(d), 10) {
                Some(c) => SessionKey::Digit(c),
                None => return,
            },
            Key::Backspace => SessionKey::Backspace,
            Key::Hash | Key::Enter => SessionKey::Confirm,
            Key::Star | Key::Escape => SessionKey::Cancel,
            _ => return,
        };
        if session.key(k, now.mono) {
            display.show(&Screen::Enrol(session.view().clone()), &self.status());
        } else {
            self.enrolment = None;
            display.show(&Screen::Idle, &self.status());
        }
    }

    /// A camera frame during enrolment; runs the enrolment when all images are in.
    pub fn enrol_frame(&mut self, image: &RgbImage, now: Now, display: &mut dyn Display) {
        let Some(session) = self.enrolment.as_mut() else { return };
        if !session.frame(image, now.mono) {
            return;
        }
        let ready = session.take_ready();
        if let Some((employee, images)) = ready {
            let result = crate::enrol::enrol(&mut self.store, self.face.as_mut(), &employee, &images);
            let (kind, detail, outcome) = match result {
                Ok(done) => (
                    "enrolled",
                    format!(r#"{{"templates":{},"nearest_other":{:?}}}"#, done.templates, done.nearest_other.map(|(_, p)| p)),
                    Ok(employee.clone()),
                ),
                Err(e) => ("enrol_refused", format!("{{\"reason\":{:?}}}", e.to_string()), Err(e.to_string())),
            };
            if let Err(e) = self.store.audit(wall_ms(now.wall), kind, Some(&employee), &detail) {
                tracing::error!(error = %e, "audit entry not written");
            }
            if let Some(s) = self.enrolment.as_mut() {
                s.finish(outcome, now.mono);
            }
        }
        if let Some(s) = self.enrolment.as_ref() {
            display.show(&Screen::Enrol(s.view().clone()), &self.status());
        }
    }

    /// Time passes during enrolment: ends it after inactivity or once the outcome was shown.
    pub fn enrol_tick(&mut self, now: Now, display: &mut dyn Display) {
        if self.enrolment.as_ref().is_some_and(|s| s.over(now.mono)) {
            self.enrolment = None;
            display.show(&Screen::Idle, &self.status());
        }
    }

    /// The idle screen's status.
    pub fn status(&self) -> Status {
        Status {
            queue: self.store.queue_len().unwrap_or(0),
            last_sync_ms: self.store.kv(crate::sync::LAST_SYNC_KEY).ok().flatten().and_then(|v| v.parse().ok()),
            device_id: self.device.device_id.clone(),
        }
    }

    /// Runs the face pipeline on a camera frame and dispatches the result.
    pub fn frame(&mut self, image: &RgbImage, now: Now, display: &mut dyn Display) -> Vec<Effect> {
        let frame = match self.face.check(image, &self.templates) {
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
                return Vec::new();
            }
        };
        self.dispatch(Event::Frame(frame), now, display)
    }

    /// Feeds one event to the flow and carries out the effects (and the events they answer
    /// with) until the flow waits again. Returns every effect, for tests and benchmarks.
    pub fn dispatch(&mut self, event: Event, now: Now, display: &mut dyn Display) -> Vec<Effect> {
        let mut queue = VecDeque::from([event]);
        let mut all = Vec::new();
        while let Some(ev) = queue.pop_front() {
            let state = std::mem::take(&mut self.state);
            let (next, effects) = flow::step(state, ev, now.mono, &self.flow_cfg);
            self.state = next;
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
            Effect::Show(screen) => {
                display.show(screen, &self.status());
                None
            }
            Effect::VerifyPin { pin } => Some(Event::PinChecked(self.check_pin(pin))),
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
            Effect::StartEnrolment => {
                self.enrolment = Some(crate::enrol::Session::new(now.mono));
                None
            }
        }
    }

    /// Checks a PIN: the administrator's, then the PIN index (one Argon2 check), then every
    /// employee's hash (first use of a PIN on this device, or an unknown PIN).
    pub fn check_pin(&mut self, pin: &str) -> PinCheck {
        match self.store.pin_index_lookup(pin) {
            Ok(Some(id)) => match self.store.employee(&id) {
                Ok(Some(e)) if e.pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) => {
                    return PinCheck::Employee(flow::Employee { id: e.id, name: e.name });
                }
                Ok(_) => {}
                Err(e) => return PinCheck::Error(e.to_string()),
            },
            Ok(None) => {}
            Err(e) => return PinCheck::Error(e.to_string()),
        }
        if self.admin_pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) {
            return PinCheck::Admin;
        }
        let employees = match self.store.employees_with_pin() {
            Ok(e) => e,
            Err(e) => return PinCheck::Error(e.to_string()),
        };
        for e in employees {
            if e.pin_hash.as_deref().is_some_and(|h| pin_matches(pin, h)) {
                if let Err(err) = self.store.pin_index_put(pin, &e.id) {
                    tracing::warn!(error = %err, "PIN index not updated");
                }
                return PinCheck::Employee(flow::Employee { id: e.id, name: e.name });
            }
        }
        PinCheck::Unknown
    }

    fn make_record(
        &mut self,
        employee: &str,
        direction: Direction,
        band: flow::Band,
        best: &flow::Best,
        now: Now,
    ) -> Result<Saved, NotSaved> {
        let gps = match policy::gps_evidence(&self.policy, self.gps, now.wall) {
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
            let detail = format!("{problems:?}");
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
        let offset = time::UtcOffset::from_whole_seconds(i32::from(self.utc_offset_min) * 60).unwrap_or(time::UtcOffset::UTC);
        let local = now.wall.to_offset(offset);
        let decided = Decided {
            employee_id: employee.to_owned(),
            direction,
            band,
            score: best.score,
            liveness: best.liveness,
            recorded_at_ms: wall_ms(now.wall),
            utc_offset_min: self.utc_offset_min,
            gps,
            clock,
        };
        let record = save(&mut self.store, &self.identity, &self.device, &decided, jpeg).map_err(|e| store_err(&e))?;
        let schedule = self.store.schedule_of(employee).unwrap_or(None);
        let holidays = self.store.holidays().unwrap_or_default();
        let shift = policy::shift_for(schedule.as_ref(), &holidays, local.date());
        let late = policy::lateness(direction, local, shift, self.policy.tolerance());
        tracing::info!(seq = record.body.seq, employee, ?direction, ?band, late = ?late.minutes, "record saved");
        Ok(Saved { seq: record.body.seq, late_minutes: late.minutes, marked_late: late.marked_late })
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

fn wall_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn audit_row(a: &Audit) -> (&'static str, Option<String>, String) {
    match a {
        Audit::UnknownPin => ("unknown_pin", None, "{}".into()),
        Audit::FaceRefused { employee, direction, reason, score } => (
            "face_refused",
            Some(employee.clone()),
            format!(r#"{{"direction":"{direction:?}","reason":"{reason:?}","score":{}}}"#, score.map_or("null".into(), |s| s.to_string())),
        ),
        Audit::PinLocked { employee, failures } => ("pin_locked", employee.clone(), format!(r#"{{"failures":{failures}}}"#)),
        Audit::LockedPinUsed => ("locked_pin_used", None, "{}".into()),
        Audit::AdminLogin => ("admin_login", None, "{}".into()),
        Audit::StoreTimeout { phase } => ("store_timeout", None, format!(r#"{{"phase":"{phase}"}}"#)),
    }
}

/// A key of the keypad as a flow event, given the phase (`A`/`*` MASUK and `B`/`#` PULANG
/// on the choice screen; Enter retries or wakes; Escape cancels).
pub fn key_event(phase: &Phase, key: hadir_hal::keypad::Key) -> Option<Event> {
    use hadir_hal::keypad::Key;
    let choosing = matches!(phase, Phase::Idle | Phase::Choose { .. });
    match key {
        Key::Escape => Some(Event::Cancel),
        Key::Backspace => Some(Event::Backspace),
        Key::Letter('A') | Key::Star if choosing => Some(Event::Choose(Direction::In)),
        Key::Letter('B') | Key::Hash if choosing => Some(Event::Choose(Direction::Out)),
        Key::Star => Some(Event::Cancel),
        Key::Digit(d) if matches!(phase, Phase::Idle) => {
            let _ = d;
            Some(Event::Wake)
        }
        Key::Digit(d) => char::from_digit(u32::from(d), 10).map(Event::Digit),
        Key::Enter | Key::Hash if matches!(phase, Phase::Result { .. }) => Some(Event::Retry),
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
    let Devices { mut camera, mut keypad, mut gps, mut outputs, mut watchdog, mut display, face } = devices;
    let mut kiosk = Kiosk::open(cfg, face)?;
    let sync = crate::sync::spawn(cfg, kiosk.identity().clone(), kiosk.device().model_version.clone(), shutdown.clone());
    let start = Instant::now();
    let now = || Now {
        mono: Mono(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)),
        wall: OffsetDateTime::now_utc(),
    };
    display.show(&Screen::Idle, &kiosk.status());
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
            Ok(Some(key)) if kiosk.enrolling() => {
                busy = true;
                kiosk.enrol_key(key, now(), display.as_mut());
            }
            Ok(Some(key)) => {
                busy = true;
                if let Some(ev) = key_event(kiosk.phase(), key) {
                    let fx = kiosk.dispatch(ev, now(), display.as_mut());
                    signal(outputs.as_mut(), &fx);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "keypad"),
        }
        if let Some(ev) = display.poll() {
            busy = true;
            let fx = kiosk.dispatch(ev, now(), display.as_mut());
            signal(outputs.as_mut(), &fx);
        }
        if kiosk.enrol_capturing() {
            match camera.frame() {
                Ok(frame) => {
                    busy = true;
                    kiosk.enrol_frame(&frame.image, now(), display.as_mut());
                }
                Err(e) => tracing::warn!(error = %e, "camera frame skipped"),
            }
        } else if kiosk.capturing() {
            match camera.frame() {
                Ok(frame) => {
                    busy = true;
                    let fx = kiosk.frame(&frame.image, now(), display.as_mut());
                    signal(outputs.as_mut(), &fx);
                }
                Err(e) => tracing::warn!(error = %e, "camera frame skipped"),
            }
        }
        if last_tick.elapsed() >= Duration::from_millis(100) {
            last_tick = Instant::now();
            if let Some(g) = gps.as_mut() {
                match g.fix() {
                    Ok(fix) => kiosk.gps = fix.map(|f| from_hal_fix(&f)),
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
            if let Some(w) = watchdog.as_mut() {
                if let Err(e) = w.feed() {
                    tracing::warn!(error = %e, "watchdog");
                }
            }
            kiosk.enrol_tick(now(), display.as_mut());
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    if let Some(w) = watchdog.as_mut() {
        let _ = w.disarm();
    }
    drop(sync);
    Ok(())
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

/// The policy's fix from hal's.
pub fn from_hal_fix(f: &hadir_hal::gps::Fix) -> GpsFix {
    GpsFix {
        lat: f.lat,
        lon: f.lon,
        // HDOP × a typical receiver error of 5 m when the receiver gives no accuracy.
        accuracy_m: f.hdop.map_or(50.0, |h| h * 5.0),
        satellites: f.sats.map_or(0, |s| u8::try_from(s).unwrap_or(u8::MAX)),
        fix_time: f.time,
    }
}
