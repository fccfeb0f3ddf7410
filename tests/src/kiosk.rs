//! A simulated kiosk: the kiosk library's [`Kiosk`] over its own store and key in a temporary
//! folder, enrolled at the server over HTTP with a one-time token, fed the server's roster
//! through `hadir_kiosk::sync::apply_roster`, driven by keypad keys (mapped by the kiosk's own
//! `key_event`), camera frames and GPS fixes, and drained by `hadir_client::Uploader` through
//! the store's outbox.
//!
//! Times are arguments: the test's frozen day gives each attempt its wall time and the kiosk's
//! monotonic clock, so nothing sleeps.

use crate::face::{E2eFace, FaceMode};
use crate::server::FrozenClock;
use hadir_client::{ClientError, DrainReport, ServerTrust, Uploader, UploaderConfig};
use hadir_hal::keypad::Key;
use hadir_kiosk::KioskConfig;
use hadir_kiosk::flow::{Event, Mono, Outcome, Phase, PlaceVerdict};
use hadir_kiosk::identity::Identity;
use hadir_kiosk::policy::{GpsFix, Mode};
use hadir_kiosk::runtime::{Kiosk, LogDisplay, Now, key_event};
use hadir_kiosk::store::Store;
use image::RgbImage;
use std::path::PathBuf;
use time::OffsetDateTime;

/// One simulated kiosk.
pub struct SimKiosk {
    /// The device id the server gave.
    pub device_id: String,
    /// The kiosk.
    pub kiosk: Kiosk,
    /// Its screen (what the person saw).
    pub display: LogDisplay,
    /// Its face pipeline's switch.
    pub face: E2eFace,
    /// The uploader (None while the device is "offline").
    pub uploader: Uploader,
    /// The configuration it was built from.
    pub cfg: KioskConfig,
    /// Its data folder.
    pub dir: PathBuf,
    /// Milliseconds of the day at boot, for the monotonic clock.
    boot_ms: i64,
    /// How far the kiosk's wall clock is off true time, ms (a clock jump); the monotonic clock
    /// follows true time.
    pub skew_ms: i64,
    /// The test's true time (the server's clock).
    clock: FrozenClock,
    /// The place notice shown before the face step in the last attempt, if one was.
    pub place_notice: Option<PlaceVerdict>,
}

/// How a kiosk is set up.
#[derive(Debug, Clone)]
pub struct KioskSpec {
    /// Device id asked for in the enrolment token.
    pub device_id: String,
    /// Site (whose roster it gets).
    pub site: String,
    /// Office or field.
    pub mode: Mode,
    /// Field: records without a fix allowed (they say so).
    pub allow_without_fix: bool,
}

impl SimKiosk {
    /// Creates the kiosk's key and store in `dir`, enrols it with a token issued now on the
    /// server's store, and fetches its roster.
    pub async fn enrol(
        server: &crate::server::Server,
        spec: &KioskSpec,
        dir: PathBuf,
        face: E2eFace,
        clock: &FrozenClock,
    ) -> SimKiosk {
        let mut cfg = KioskConfig::default();
        cfg.device.data_dir = dir.clone();
        // Provisioned with its site's zone, as `cargo xtask provision` does.
        cfg.device.time_zone = server.zone.name().into();
        cfg.flow.pin_length = 6;
        cfg.policy.mode = spec.mode;
        cfg.policy.field_allow_without_fix = spec.allow_without_fix;
        let mode = match spec.mode {
            Mode::Office => hadir_protocol::Mode::Office,
            Mode::Field => hadir_protocol::Mode::Field,
        };
        let token = hadir_server::enrolment::issue_token(&server.store, &spec.device_id, &spec.site, mode, 24, clock.now_ms())
            .await
            .expect("issue an enrolment token");
        std::fs::create_dir_all(&dir).expect("create the kiosk's data folder");
        let identity = Identity::load_or_create(&cfg.key_file()).expect("device key");
        let enrolled = hadir_client::enrol(&server.url, &ServerTrust::InsecureLan, &token, &identity.key, "0.1.0").await.expect("enrolment over HTTP");
        assert_eq!(enrolled.device_id, spec.device_id);
        let store = Store::open(&cfg.db_file(), &identity).expect("kiosk store");
        store
            .set_device(&enrolled.device_id, &enrolled.site_id, &identity.key.public().to_hex(), clock.now_ms())
            .expect("remember enrolment");
        let kiosk = Kiosk::new(store, identity.clone(), &cfg, Box::new(face.clone())).expect("kiosk");
        let mut k = SimKiosk::booted(enrolled.device_id, kiosk, identity, face, cfg, dir, &server.url, clock);
        // Enrolment is an exchange with the server: the first time sync.
        k.synced();
        k.sync_roster(clock.now_ms()).await.expect("roster");
        k
    }

    /// Reopens the kiosk from its folder, as after a crash or power cut: same key and store.
    pub fn reopen(self, server_url: &str, clock: &FrozenClock) -> SimKiosk {
        let SimKiosk { device_id, kiosk, face, cfg, dir, .. } = self;
        drop(kiosk);
        let identity = Identity::load_or_create(&cfg.key_file()).expect("device key after restart");
        let store = Store::open(&cfg.db_file(), &identity).expect("kiosk store after restart");
        let kiosk = Kiosk::new(store, identity.clone(), &cfg, Box::new(face.clone())).expect("kiosk after restart");
        assert_eq!(kiosk.device().device_id, device_id, "the device id survives a restart");
        SimKiosk::booted(device_id, kiosk, identity, face, cfg, dir, server_url, clock)
    }

    /// The kiosk just booted now: its monotonic clock starts, its wall clock is right, and it
    /// has no time sync until its first exchange with the server.
    #[allow(clippy::too_many_arguments)]
    fn booted(
        device_id: String,
        kiosk: Kiosk,
        identity: Identity,
        face: E2eFace,
        cfg: KioskConfig,
        dir: PathBuf,
        server_url: &str,
        clock: &FrozenClock,
    ) -> SimKiosk {
        let uploader = uploader(server_url, &device_id, identity, clock);
        SimKiosk {
            device_id,
            kiosk,
            display: LogDisplay::default(),
            face,
            uploader,
            cfg,
            dir,
            boot_ms: clock.now_ms(),
            skew_ms: 0,
            clock: clock.clone(),
            place_notice: None,
        }
    }

    /// Notes a time sync with the server now, as the run loop does from the sync worker's
    /// sample: the kiosk's wall and monotonic clocks and the server's offset from it.
    fn synced(&mut self) {
        let t = self.clock.now_ms();
        self.kiosk.last_sync = Some(hadir_kiosk::clock::SyncPoint {
            mono_ms: (t - self.boot_ms).max(0) as u64,
            wall_ms: t + self.skew_ms,
            offset_ms: -self.skew_ms,
        });
    }

    /// Points the uploader at another URL (a proxy).
    pub fn use_url(&mut self, url: &str, clock: &FrozenClock) {
        let identity = self.kiosk.identity().clone();
        self.uploader = uploader(url, &self.device_id, identity, clock);
    }

    /// Fetches roster changes from the server and applies them.
    pub async fn sync_roster(&mut self, now_ms: i64) -> Result<(), ClientError> {
        let since = hadir_kiosk::sync::roster_revision(&self.kiosk.store).map_err(|e| ClientError::Config(e.to_string()))?;
        let roster = self.uploader.roster(since).await?;
        self.synced();
        let model = self.kiosk.device().model_version.clone();
        hadir_kiosk::sync::apply_roster(&mut self.kiosk.store, &roster, &model, now_ms)
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(())
    }

    /// Uploads everything pending (records, then photos).
    pub async fn drain(&mut self) -> Result<DrainReport, ClientError> {
        let report = self.uploader.drain(&mut self.kiosk.store).await?;
        if report.batches > 0 {
            self.synced();
        }
        Ok(report)
    }

    /// A good 3D fix at (`lat`, `lon`) from the simulated receiver, made two seconds before true
    /// time `when` and received then (through hal's fix type, as the run loop polls it).
    pub fn fix_at(&self, lat: f64, lon: f64, when: OffsetDateTime) -> GpsFix {
        let f = hadir_hal::gps::Fix {
            time: when - time::Duration::seconds(2),
            lat,
            lon,
            alt: None,
            mode: hadir_hal::gps::FixMode::ThreeD,
            sats: Some(9),
            hdop: Some(0.9),
            hdop_centi: Some(90),
            age: std::time::Duration::from_secs(2),
            doubts: Default::default(),
        };
        hadir_kiosk::runtime::from_hal_fix(&f, self.mono_at(when))
    }

    /// The kiosk's monotonic milliseconds at true time `t`.
    pub fn mono_at(&self, t: OffsetDateTime) -> u64 {
        (crate::server::ms(t) - self.boot_ms).max(0) as u64
    }

    /// The kiosk's clocks at true time `t`.
    fn now(&self, t: OffsetDateTime) -> Now {
        Now { mono: Mono(self.mono_at(t)), wall: t + time::Duration::milliseconds(self.skew_ms) }
    }

    fn key(&mut self, key: Key, wall: OffsetDateTime) {
        let now = self.now(wall);
        if let Some(ev) = key_event(self.kiosk.phase(), key) {
            self.kiosk.dispatch(ev, now, &mut self.display);
        }
    }

    /// MASUK (`A`) or PULANG (`B`) and the PIN on the keypad, from idle; notes the place
    /// notice if one appears ([`SimKiosk::place_notice`]).
    fn choose_and_type(&mut self, direction_in: bool, pin: &str, gps: Option<GpsFix>, wall: OffsetDateTime) {
        self.kiosk.gps = gps;
        self.place_notice = None;
        // Back to idle from whatever the last person left.
        let now = self.now(wall);
        self.kiosk.dispatch(Event::Cancel, now, &mut self.display);
        self.key(Key::Letter(if direction_in { 'A' } else { 'B' }), wall);
        for d in pin.chars() {
            self.key(Key::Digit(d.to_digit(10).expect("PIN digit") as u8), wall);
        }
        if let Phase::PlaceNotice { verdict, .. } = self.kiosk.phase() {
            self.place_notice = Some(verdict.clone());
        }
    }

    /// An attempt that must stop at the place notice (a field unit without the fix it needs):
    /// returns what the notice said, after the person gave up (Escape).
    pub fn stopped_at_place_notice(&mut self, direction_in: bool, pin: &str, gps: Option<GpsFix>, wall: OffsetDateTime) -> PlaceVerdict {
        self.choose_and_type(direction_in, pin, gps, wall);
        let seen = self.place_notice.clone().unwrap_or_else(|| panic!("{}: no place notice, phase {:?}", self.device_id, self.kiosk.phase()));
        // Going on is refused where the notice allows no record; the person gives up.
        self.key(Key::Enter, wall);
        assert!(matches!(self.kiosk.phase(), Phase::PlaceNotice { .. }) || seen.can_continue(), "{}: went past {seen:?}", self.device_id);
        self.key(Key::Escape, wall);
        seen
    }

    /// One attempt at the kiosk: MASUK (`A`) or PULANG (`B`), the PIN on the keypad, past the
    /// place notice if one appears (Enter: the person goes on, as they may), then camera frames
    /// until the flow decides (ticking past the capture window if it keeps looking). `wall` is
    /// true time; the kiosk's wall clock reads it plus [`SimKiosk::skew_ms`]. Returns the result
    /// screen's outcome.
    pub fn attempt(
        &mut self,
        direction_in: bool,
        pin: &str,
        frame: &RgbImage,
        face: FaceMode,
        gps: Option<GpsFix>,
        wall: OffsetDateTime,
    ) -> Outcome {
        self.face.set(face);
        self.choose_and_type(direction_in, pin, gps, wall);
        if self.place_notice.is_some() {
            self.key(Key::Enter, wall);
        }
        let mut t = wall;
        for _ in 0..12 {
            if !self.kiosk.capturing() {
                break;
            }
            let now = self.now(t);
            self.kiosk.frame(frame, now, &mut self.display);
            t += time::Duration::milliseconds(200);
        }
        if self.kiosk.capturing() {
            let window = i64::from(self.cfg.flow.capture_window_ms) + 1000;
            let now = self.now(t + time::Duration::milliseconds(window));
            self.kiosk.dispatch(Event::Tick, now, &mut self.display);
        }
        match self.kiosk.phase() {
            Phase::Result { outcome, .. } => outcome.clone(),
            other => panic!("{}: no result after the attempt, phase {other:?}", self.device_id),
        }
    }
}

fn uploader(url: &str, device_id: &str, identity: Identity, clock: &FrozenClock) -> Uploader {
    let mut cfg = UploaderConfig::new(url, ServerTrust::InsecureLan);
    cfg.clock = clock.client_clock();
    cfg.batch_size = 50;
    cfg.request_timeout = std::time::Duration::from_secs(20);
    Uploader::new(cfg, device_id, identity.key).expect("uploader")
}
