//! # The attendance flow: a state machine of plain data
//!
//! idle → choose IN (MASUK) / OUT (PULANG) → PIN → place check → face capture → decision →
//! result → idle.
//!
//! Everything here is pure: [`step`] takes the current [`State`], one [`Event`] and the monotonic
//! time `now`, and returns the next state and the [`Effect`]s the runtime must carry out (show a
//! screen, verify a PIN against the store, make a record, write the audit log, sound the buzzer).
//! The flow never touches a device, the clock or the store itself, so every transition is a row
//! in a table test.
//!
//! ## Rules it owns
//! - Every waiting phase has a timeout (from [`FlowConfig`]); `Cancel` returns to idle from any
//!   phase.
//! - Capture watches frames for up to [`FlowConfig::capture_window`] and keeps the best match
//!   score among live frames; it decides early once [`FlowConfig::capture_min_frames`] frames
//!   were seen and the best is already valid.
//! - **Place before face**: once the PIN names an employee, the runtime compares the device's
//!   GPS fix with where the employee is expected today ([`Effect::CheckPlace`]). Outside the
//!   area or with a poor fix, a notice says so before the face step: the person may move and
//!   check again, or go on (the server flags such a record for a supervisor anyway); without
//!   a fix a field unit that needs one offers only checking again, so nobody looks at the
//!   camera for a record that cannot be made. A check that does not answer in time lets the
//!   person go on.
//! - Score bands ([`Band::of`]): ≥ 80 valid, 50 to < 80 needs confirmation, < 50 not recorded
//!   (audited; the person may retry).
//! - **Device-wide lockout** ([`FlowConfig::device_lockout`]): every failure on the attendance
//!   PIN screen counts against the device, whatever PIN was typed: a PIN that matches nobody
//!   (the administrator's PIN included, see below) and a refused face (mismatch or not live; no
//!   face at all is not a failure). [`LockoutRule::max_failures`] failures within
//!   [`LockoutRule::window`] lock the PIN screen for the next of [`LockoutRule::delays`]
//!   (default 5 in 10 min → 30 s, 1 min, 2 min, 5 min, then 15 min each time): choosing
//!   MASUK/PULANG while locked shows [`Refusal::Locked`] with the lock's end. The failures are
//!   forgotten at each lock, the escalation is not; a successful record resets the escalation
//!   (not the failures still in the window, so an accomplice's record buys no fresh guesses).
//!   Trying many different PINs is therefore slowed exactly as trying one.
//! - **Per-employee lock** ([`FlowConfig::max_failures`] within [`FlowConfig::failure_window`]
//!   → [`FlowConfig::lockout`]): refused faces under one employee's PIN lock that employee's
//!   PIN (someone who knows a PIN and tries faces or photos), audited; a record by that employee
//!   clears their count. It is checked once the store has named the employee (a locked PIN
//!   still costs one PIN check, and is audited `locked_pin_used`).
//! - **The administrator's entry** is its own path: [`Event::AdminEntry`] (the touchscreen's
//!   admin button, or `#` on an empty PIN screen of the keypad) asks for the administrator's
//!   PIN ([`Phase::AdminPin`], checked with [`Effect::VerifyAdminPin`]) under its own, stricter
//!   lockout ([`FlowConfig::admin_lockout`], default 3 in 60 min → 5 min, 15 min, 1 h, then
//!   4 h); a login resets it. On the attendance PIN screen [`PinCheck::Admin`] is treated as
//!   [`PinCheck::Unknown`]: the admin PIN never opens the menu from there and counts as a failure.
//! - All of this lives in [`Lockouts`], plain data in monotonic time; the runtime keeps it
//!   across restarts in wall-clock time ([`Lockouts::save`], [`SavedLockouts::restore`]), where
//!   a lock keeps at least its remaining duration even if the wall clock jumps back.
//!
//! ## What it must not do
//! Hash or store PINs (the runtime verifies them), compute lateness (that is `policy`) or block.
//! PIN digits live only in the state of the current attempt; failures are counted per device
//! and per employee id, never per PIN (a PIN's hash would be easy to reverse if it were kept).

use std::collections::BTreeMap;
use std::time::Duration;

/// Monotonic time in milliseconds since an arbitrary origin (boot, or a test's zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(pub u64);

impl Mono {
    /// This instant plus a duration (saturating).
    pub fn after(self, d: Duration) -> Mono {
        Mono(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// Milliseconds from `earlier` to `self` (0 if `earlier` is later).
    pub fn since(self, earlier: Mono) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// IN (MASUK) or OUT (PULANG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    /// Arriving: MASUK.
    In,
    /// Going home: PULANG.
    Out,
}

/// A match score band of the users' rules (DESIGN.md, face thresholds): the protocol's, shared
/// with the models and the server.
pub use hadir_protocol::Band;

/// What the person should change so the camera sees them well (from the quality gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guidance {
    /// No face in view.
    NoFace,
    /// More than one face in view.
    SeveralFaces,
    /// Face too small: come closer.
    ComeCloser,
    /// Face too large: step back.
    StepBack,
    /// Head turned or tilted: look straight at the camera.
    LookStraight,
    /// Too dark: move to better light.
    TooDark,
    /// Too bright (backlight, sun): move out of the glare.
    TooBright,
    /// Face partly out of the frame: move to the centre.
    Centre,
    /// Blurred: hold still.
    HoldStill,
    /// Eyes closed: open your eyes.
    OpenEyes,
    /// Good: keep looking.
    Good,
}

/// A face frame's handle: the runtime keeps the aligned face and the photo under this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId(pub u64);

/// One camera frame as the flow sees it, after the face pipeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Frame {
    /// The quality gate refused the frame; tell the person what to change.
    Guide(Guidance),
    /// A usable face, compared with the employee's templates.
    Face {
        /// The frame's handle (for the evidence photo).
        id: FrameId,
        /// 1:1 match score in percent, 0–100.
        score: f32,
        /// Liveness score in percent, 0–100.
        liveness: f32,
    },
}

/// Opaque tag of an entered PIN, kept by the attempt's phases instead of the digits (see
/// [`key_of`]); a refused face may be retried only with one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PinKey(pub String);

/// The employee a PIN belongs to, as the store found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// The employee id (NIP).
    pub id: String,
    /// The name shown on screen.
    pub name: String,
}

/// Timeouts, windows and limits of the flow. Validated by the configuration loader.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowConfig {
    /// How long the IN/OUT choice waits for a touch.
    pub choose_timeout: Duration,
    /// How long PIN entry waits for the next key.
    pub pin_timeout: Duration,
    /// Number of digits of a PIN; the last one submits it.
    pub pin_length: usize,
    /// How long the store may take to verify a PIN or save a record before the flow gives up.
    pub store_timeout: Duration,
    /// How long capture looks at frames before deciding with the best one.
    pub capture_window: Duration,
    /// Frames to see before an early decision on an already valid score.
    pub capture_min_frames: u32,
    /// Minimum liveness (percent) for a frame to count.
    pub liveness_min: f32,
    /// How long the result stays on screen.
    pub result_timeout: Duration,
    /// Refused faces under one employee's PIN that lock that employee's PIN ...
    pub max_failures: usize,
    /// ... when they happen within this window ...
    pub failure_window: Duration,
    /// ... for this long.
    pub lockout: Duration,
    /// The device-wide lockout of the attendance PIN screen (every failure, any PIN).
    pub device_lockout: LockoutRule,
    /// The lockout of the administrator's PIN entry.
    pub admin_lockout: LockoutRule,
}

/// When failures lock, and for how long: `max_failures` within `window` lock for the next of
/// `delays`, escalating with each lock; the last delay repeats (the cap).
#[derive(Debug, Clone, PartialEq)]
pub struct LockoutRule {
    /// Failures that lock ...
    pub max_failures: usize,
    /// ... when they happen within this window ...
    pub window: Duration,
    /// ... for the first, second, ... of these (the last one repeats).
    pub delays: Vec<Duration>,
}

impl LockoutRule {
    /// The length of the lock after `strikes` earlier locks.
    pub fn delay(&self, strikes: u32) -> Duration {
        let i = usize::try_from(strikes).unwrap_or(usize::MAX);
        self.delays.get(i).or(self.delays.last()).copied().unwrap_or(Duration::ZERO)
    }

    /// The attendance screen's default: 5 failures in 10 min; 30 s, 1, 2, 5, then 15 min.
    pub fn device_default() -> LockoutRule {
        LockoutRule {
            max_failures: 5,
            window: Duration::from_secs(10 * 60),
            delays: [30, 60, 120, 300, 900].map(Duration::from_secs).to_vec(),
        }
    }

    /// The admin entry's default: 3 failures in 60 min; 5 min, 15 min, 1 h, then 4 h. Stricter
    /// than the attendance screen: the administrator is one person who knows the PIN, and the
    /// menu enrols faces.
    pub fn admin_default() -> LockoutRule {
        LockoutRule {
            max_failures: 3,
            window: Duration::from_secs(60 * 60),
            delays: [5 * 60, 15 * 60, 60 * 60, 4 * 60 * 60].map(Duration::from_secs).to_vec(),
        }
    }
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            choose_timeout: Duration::from_secs(15),
            pin_timeout: Duration::from_secs(15),
            pin_length: 6,
            store_timeout: Duration::from_secs(10),
            capture_window: Duration::from_secs(4),
            // A live, gate-passing frame that already scores valid decides at once (the person
            // waits less); lower scores keep looking for the whole window.
            capture_min_frames: 1,
            liveness_min: 50.0,
            result_timeout: Duration::from_secs(5),
            max_failures: 5,
            failure_window: Duration::from_secs(10 * 60),
            lockout: Duration::from_secs(15 * 60),
            device_lockout: LockoutRule::device_default(),
            admin_lockout: LockoutRule::admin_default(),
        }
    }
}

/// The best live frame seen so far in a capture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    /// Its handle.
    pub id: FrameId,
    /// Its match score (percent).
    pub score: f32,
    /// Its liveness score (percent).
    pub liveness: f32,
}

/// Why an attempt ended without a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The PIN matches nobody.
    UnknownPin,
    /// The PIN screen (device-wide, the admin entry, or this employee's PIN) is locked after
    /// too many failures.
    Locked,
    /// The best face scored under 50 %.
    FaceMismatch,
    /// Faces were seen but none passed the liveness check.
    NotLive,
    /// No usable face was seen in the capture window.
    NoFace,
    /// The store did not answer or failed.
    StoreError,
    /// A field record needs a GPS fix and there is none.
    NoGpsFix,
}

/// Why the runtime could not make a record (the answer to [`Effect::MakeRecord`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSaved {
    /// Field mode needs a GPS fix and there is none (policy).
    NoGpsFix,
    /// The store or signing failed; the text is for the technician's log.
    Store(String),
}

/// What the result screen reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A record was saved.
    Recorded {
        /// Who.
        employee: Employee,
        /// IN or OUT.
        direction: Direction,
        /// Valid or needs confirmation.
        band: Band,
        /// Its match score (percent).
        score: f32,
        /// The record's sequence number.
        seq: u64,
        /// Minutes after the scheduled start (IN only, `None` if on time or not applicable).
        late_minutes: Option<u32>,
        /// Whether the day is marked late (tolerance applied).
        marked_late: bool,
    },
    /// Nothing was recorded.
    Refused {
        /// Why.
        reason: Refusal,
        /// The employee when known (face refusals), so a retry keeps them.
        employee: Option<Employee>,
        /// The direction chosen.
        direction: Direction,
        /// Until when the PIN screen or PIN is locked, if it is.
        locked_until: Option<Mono>,
    },
}

/// The phase of the flow: what the kiosk is waiting for.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// The idle screen.
    Idle,
    /// Waiting for IN or OUT.
    Choose {
        /// When the phase began (for the timeout).
        since: Mono,
    },
    /// Waiting for PIN digits.
    Pin {
        /// IN or OUT.
        direction: Direction,
        /// Digits so far.
        digits: String,
        /// The last key press (for the timeout).
        since: Mono,
    },
    /// Waiting for the administrator's PIN digits (the admin entry).
    AdminPin {
        /// Digits so far.
        digits: String,
        /// The last key press (for the timeout).
        since: Mono,
    },
    /// The runtime is checking the administrator's PIN.
    CheckingAdminPin {
        /// When the check was asked for.
        since: Mono,
    },
    /// The runtime is checking the PIN against the store.
    CheckingPin {
        /// IN or OUT.
        direction: Direction,
        /// The key of the PIN entered.
        key: PinKey,
        /// When the check was asked for.
        since: Mono,
    },
    /// The runtime is checking where the device is against where the employee is expected.
    CheckingPlace {
        /// IN or OUT.
        direction: Direction,
        /// The employee whose PIN it was.
        employee: Employee,
        /// Tag of the PIN used.
        key: PinKey,
        /// When the check was asked for.
        since: Mono,
    },
    /// The place notice before the face step: the person may move, wait for a better fix, or
    /// go on (the record is then flagged for a supervisor, as the server would flag it).
    PlaceNotice {
        /// IN or OUT.
        direction: Direction,
        /// The employee whose PIN it was.
        employee: Employee,
        /// Tag of the PIN used.
        key: PinKey,
        /// What the check found.
        verdict: PlaceVerdict,
        /// When the notice appeared.
        since: Mono,
    },
    /// Watching camera frames.
    Capture {
        /// IN or OUT.
        direction: Direction,
        /// The employee being verified.
        employee: Employee,
        /// Tag of the PIN used (a retry needs it).
        key: PinKey,
        /// Capture start.
        since: Mono,
        /// Frames with a face seen so far.
        frames: u32,
        /// Whether any face was seen (even not live).
        saw_face: bool,
        /// Best live frame so far.
        best: Option<Best>,
        /// Guidance last shown (to avoid repeating the same effect each frame).
        guidance: Option<Guidance>,
    },
    /// The runtime is making the record.
    Recording {
        /// IN or OUT.
        direction: Direction,
        /// Who.
        employee: Employee,
        /// The deciding frame.
        best: Best,
        /// Its band (valid or needs confirmation).
        band: Band,
        /// When the record was asked for.
        since: Mono,
    },
    /// The result screen.
    Result {
        /// What happened.
        outcome: Outcome,
        /// Key of the PIN used, for a retry.
        key: Option<PinKey>,
        /// When the result appeared.
        since: Mono,
    },
}

/// The whole flow state: the phase and the failure history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// What the kiosk is waiting for now.
    pub phase: Phase,
    /// Recent failures and locks (the runtime keeps them across restarts).
    pub locks: Lockouts,
}

impl Default for Phase {
    fn default() -> Self {
        Phase::Idle
    }
}

/// Failure history of one employee's PIN (refused faces).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failures {
    /// Times of failures within the window (oldest first).
    pub times: Vec<Mono>,
    /// Locked until this instant, if locked.
    pub locked_until: Option<Mono>,
}

/// A failure counter with escalating locks (the attendance PIN screen, the admin entry).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lockout {
    /// Failures since the last lock within the window (oldest first).
    pub times: Vec<Mono>,
    /// Locks since the escalation was last reset: the next lock uses delay number `strikes`.
    pub strikes: u32,
    /// Locked until this instant, if locked.
    pub locked_until: Option<Mono>,
}

/// A lock that has just begun (for the audit entry and the screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLock {
    /// Its end.
    pub until: Mono,
    /// The failures that caused it.
    pub failures: usize,
    /// Which lock in a row this is (1 for the first since the last reset).
    pub strikes: u32,
    /// Its length, seconds.
    pub seconds: u64,
}

impl Lockout {
    /// The lock's end if locked at `now`.
    pub fn locked(&self, now: Mono) -> Option<Mono> {
        self.locked_until.filter(|u| now < *u)
    }

    /// Counts a failure at `now`; returns the lock it starts, if it reaches the limit.
    pub fn fail(&mut self, now: Mono, rule: &LockoutRule) -> Option<NewLock> {
        self.prune(now, rule);
        self.times.push(now);
        if self.times.len() < rule.max_failures.max(1) {
            return None;
        }
        let delay = rule.delay(self.strikes);
        let until = now.after(delay);
        let failures = self.times.len();
        // The failures are spent on this lock: the next lock needs as many again, but comes
        // with the next, longer delay.
        self.times.clear();
        self.strikes = self.strikes.saturating_add(1);
        // A lock never shortens one already running.
        self.locked_until = Some(self.locked_until.map_or(until, |u| u.max(until)));
        Some(NewLock { until, failures, strikes: self.strikes, seconds: delay.as_secs() })
    }

    /// Forgets failures older than the window and a lock that has run out (the escalation stays).
    pub fn prune(&mut self, now: Mono, rule: &LockoutRule) {
        let window = millis(rule.window);
        self.times.retain(|t| now.since(*t) < window);
        if self.locked_until.is_some_and(|u| now >= u) {
            self.locked_until = None;
        }
    }
}

/// Everything the flow remembers about failed attempts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lockouts {
    /// The attendance PIN screen, device-wide.
    pub device: Lockout,
    /// The administrator's PIN entry.
    pub admin: Lockout,
    /// Per employee id: refused faces under their PIN.
    pub employees: BTreeMap<String, Failures>,
}

impl Lockouts {
    fn prune(&mut self, now: Mono, cfg: &FlowConfig) {
        self.device.prune(now, &cfg.device_lockout);
        self.admin.prune(now, &cfg.admin_lockout);
        let window = millis(cfg.failure_window);
        self.employees.retain(|_, f| {
            f.times.retain(|t| now.since(*t) < window);
            if f.locked_until.is_some_and(|u| now >= u) {
                f.locked_until = None;
            }
            !f.times.is_empty() || f.locked_until.is_some()
        });
    }

    /// The lockouts in wall-clock time, for the store: `now` and `wall_ms` are one moment.
    pub fn save(&self, now: Mono, wall_ms: i64) -> SavedLockouts {
        let wall = |t: Mono| wall_ms.saturating_sub(i64::try_from(now.since(t)).unwrap_or(i64::MAX));
        let one = |times: &[Mono], strikes: u32, until: Option<Mono>| SavedLockout {
            failures_ms: times.iter().map(|t| wall(*t)).collect(),
            strikes,
            locked_for_ms: until.map_or(0, |u| u.since(now)),
        };
        SavedLockouts {
            saved_at_ms: wall_ms,
            device: one(self.device.times.as_slice(), self.device.strikes, self.device.locked(now)),
            admin: one(self.admin.times.as_slice(), self.admin.strikes, self.admin.locked(now)),
            employees: self
                .employees
                .iter()
                .map(|(id, f)| (id.clone(), one(f.times.as_slice(), 0, f.locked_until.filter(|u| now < *u))))
                .collect(),
        }
    }
}

/// [`Lockouts`] in wall-clock time, as the store keeps them across restarts (the monotonic
/// clock starts again at boot).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedLockouts {
    /// Wall time of the save, ms since the epoch.
    pub saved_at_ms: i64,
    /// The attendance PIN screen.
    pub device: SavedLockout,
    /// The admin entry.
    pub admin: SavedLockout,
    /// Per employee id.
    pub employees: BTreeMap<String, SavedLockout>,
}

/// One [`Lockout`] in wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedLockout {
    /// Failure times, wall ms since the epoch.
    pub failures_ms: Vec<i64>,
    /// The escalation level.
    pub strikes: u32,
    /// What was left of the lock at the save, ms (0: not locked). A duration, not an end: a
    /// wall clock that jumps back must not end the lock early.
    pub locked_for_ms: u64,
}

impl SavedLockouts {
    /// The lockouts at `now` (monotonic) and `wall_ms` (the same moment on the wall clock),
    /// after a restart. Time since the save counts only as far as the wall clock moved forward:
    /// a clock set back leaves locks and failures as they were at the save, never younger
    /// than then.
    pub fn restore(&self, now: Mono, wall_ms: i64) -> Lockouts {
        let elapsed = u64::try_from(wall_ms.saturating_sub(self.saved_at_ms)).unwrap_or(0);
        let mono = |t_ms: i64| {
            let age_at_save = u64::try_from(self.saved_at_ms.saturating_sub(t_ms)).unwrap_or(0);
            // Before this boot's origin the monotonic clock has no instant: such failures are
            // placed at 0, i.e. they look younger and stay in the window longer (the safe side).
            Mono(now.0.saturating_sub(age_at_save.saturating_add(elapsed)))
        };
        let until = |s: &SavedLockout| {
            let left = s.locked_for_ms.saturating_sub(elapsed);
            (left > 0).then(|| Mono(now.0.saturating_add(left)))
        };
        let one = |s: &SavedLockout| Lockout {
            times: s.failures_ms.iter().map(|t| mono(*t)).collect(),
            strikes: s.strikes,
            locked_until: until(s),
        };
        Lockouts {
            device: one(&self.device),
            admin: one(&self.admin),
            employees: self
                .employees
                .iter()
                .map(|(id, s)| (id.clone(), Failures { times: s.failures_ms.iter().map(|t| mono(*t)).collect(), locked_until: until(s) }))
                .filter(|(_, f)| !f.times.is_empty() || f.locked_until.is_some())
                .collect(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Something that happened: a touch, a key, a frame, the store's answer, a clock tick.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Any touch or key on the idle screen: wake up.
    Wake,
    /// IN or OUT was chosen (from idle this also wakes).
    Choose(Direction),
    /// The administrator's entry (admin button, or `#` on an empty PIN screen): ask for the
    /// administrator's PIN.
    AdminEntry,
    /// A PIN digit ('0'–'9').
    Digit(char),
    /// Delete the last PIN digit.
    Backspace,
    /// Cancel: back to idle from anywhere.
    Cancel,
    /// The store's answer to [`Effect::VerifyPin`].
    PinChecked(PinCheck),
    /// A camera frame after the face pipeline.
    Frame(Frame),
    /// The store's answer to [`Effect::MakeRecord`].
    Recorded(Result<Saved, NotSaved>),
    /// The runtime's answer to [`Effect::CheckPlace`].
    PlaceChecked(PlaceVerdict),
    /// Go on to the face step despite the place notice.
    Proceed,
    /// Try the face again from a refused result, or the place check from its notice.
    Retry,
    /// Time passes (the runtime sends this a few times a second).
    Tick,
}

/// The store's answer to a PIN check.
#[derive(Debug, Clone, PartialEq)]
pub enum PinCheck {
    /// The PIN belongs to this employee.
    Employee(Employee),
    /// The PIN belongs to nobody.
    Unknown,
    /// The PIN is the administrator's (an answer to [`Effect::VerifyAdminPin`] only; on the
    /// attendance screen it counts as [`PinCheck::Unknown`]).
    Admin,
    /// The store failed.
    Error(String),
}

/// Where the device is against where the employee is expected today, before the face step
/// (the same comparison the server makes of the record: [`hadir_rules::check_place`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceVerdict {
    /// Inside the area with a good fix, or nothing to compare (no area, office kiosk without
    /// a receiver).
    Fine,
    /// No usable fix. `can_continue`: the configuration lets field records go without one.
    NoFix {
        /// Whether the person may go on without a fix.
        can_continue: bool,
    },
    /// A fix too poor (or too old) to place the person.
    PoorFix {
        /// HDOP × 100 (`None`: the receiver gave none).
        hdop_centi: Option<u16>,
        /// Satellites used.
        satellites: u8,
        /// The receiver's accuracy radius, metres.
        accuracy_m: u32,
    },
    /// Outside the expected area.
    Outside {
        /// Distance from the area's edge, metres.
        distance_m: u32,
        /// The field assignment's label; `None` for the site's own area.
        label: Option<String>,
    },
}

impl PlaceVerdict {
    /// Whether the person may go on to the face step from the notice.
    pub fn can_continue(&self) -> bool {
        !matches!(self, PlaceVerdict::NoFix { can_continue: false })
    }
}

/// A saved record, as the result screen needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The record's sequence number.
    pub seq: u64,
    /// Minutes late (IN only).
    pub late_minutes: Option<u32>,
    /// Whether the day is marked late.
    pub marked_late: bool,
}

/// What the person sees, as plain data (the ui crate renders it).
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// The idle screen (clock, queue length and last sync come from the runtime).
    Idle,
    /// MASUK or PULANG?
    Choose,
    /// PIN entry with this many digits typed.
    Pin {
        /// IN or OUT.
        direction: Direction,
        /// Digits typed (shown as dots).
        typed: usize,
    },
    /// Checking the PIN or saving: a short wait.
    Busy,
    /// The place notice before the face step.
    PlaceNotice {
        /// Whose attempt it is.
        employee: Employee,
        /// What the check found (never [`PlaceVerdict::Fine`]).
        verdict: PlaceVerdict,
    },
    /// Look at the camera.
    Capture {
        /// Whom we are verifying.
        employee: Employee,
        /// What to change.
        guidance: Guidance,
    },
    /// The result.
    Result(Outcome),
    /// The administrator's menu (enrol, device info, sync now).
    Admin,
    /// Administrator enrolment.
    Enrol(EnrolView),
    /// The device is not enrolled with the server: no attendance can be recorded.
    NotEnrolled,
    /// The administrator asked for a sync now.
    SyncStarted,
}

/// What the enrolment screen shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnrolView {
    /// The employee id typed so far.
    pub employee: String,
    /// Images captured so far (0 while typing the id).
    pub captured: usize,
    /// Images needed (0 while typing the id).
    pub needed: usize,
    /// What the person in front of the camera should change.
    pub guidance: Option<Guidance>,
    /// The outcome once done.
    pub done: Option<EnrolOutcome>,
}

/// How an enrolment at the kiosk ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolOutcome {
    /// Stored on the device.
    Enrolled {
        /// The employee's name.
        name: String,
        /// Whether the server has the template already (otherwise it is sent when online).
        sent: bool,
    },
    /// Refused; nothing stored.
    Refused {
        /// Why.
        reason: EnrolRefusal,
        /// For the administrator: who the face belongs to (duplicate) or the technical cause.
        detail: String,
    },
}

/// Why an enrolment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolRefusal {
    /// Too few usable, live faces among the photos.
    TooFewImages,
    /// The photos are not of one person.
    NotOnePerson,
    /// The face already verifies as another employee.
    Duplicate,
    /// The employee number is not in the roster.
    UnknownEmployee,
    /// The store or the face pipeline failed.
    Fault,
}

/// Audit entries the flow asks for (the store writes them with the wall time).
#[derive(Debug, Clone, PartialEq)]
pub enum Audit {
    /// A PIN matched nobody.
    UnknownPin,
    /// A face attempt was refused (< 50 %, not live, or no face).
    FaceRefused {
        /// Who.
        employee: String,
        /// IN or OUT.
        direction: Direction,
        /// Why.
        reason: Refusal,
        /// Best score seen, if any.
        score: Option<f32>,
    },
    /// An employee's PIN was locked after refused faces.
    PinLocked {
        /// The employee.
        employee: String,
        /// Failures that caused it.
        failures: usize,
    },
    /// Someone entered an employee's locked PIN.
    LockedPinUsed {
        /// The employee.
        employee: String,
    },
    /// The attendance PIN screen or the admin entry was locked.
    Locked {
        /// Which.
        scope: LockScope,
        /// The lock.
        lock: NewLock,
    },
    /// A wrong PIN on the administrator's entry.
    AdminPinFailed,
    /// The administrator PIN was used (on the admin entry).
    AdminLogin,
    /// A timeout in a phase that was waiting for the store.
    StoreTimeout {
        /// Which wait.
        phase: &'static str,
    },
}

/// Which PIN screen a [`Audit::Locked`] locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// The attendance PIN screen, for everyone.
    Device,
    /// The administrator's entry.
    Admin,
}

/// Buzzer/LED signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A key click.
    Key,
    /// Success.
    Ok,
    /// Needs confirmation / warning.
    Warn,
    /// Refused.
    Error,
}

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Show this screen.
    Show(Screen),
    /// Check this PIN against the employees; answer with [`Event::PinChecked`] (never
    /// [`PinCheck::Admin`]: the administrator's PIN is not an employee's).
    VerifyPin {
        /// The digits.
        pin: String,
    },
    /// Check this PIN against the administrator's; answer with [`Event::PinChecked`]
    /// ([`PinCheck::Admin`] or [`PinCheck::Unknown`]).
    VerifyAdminPin {
        /// The digits.
        pin: String,
    },
    /// Compare the device's position with where this employee is expected now; answer with
    /// [`Event::PlaceChecked`].
    CheckPlace {
        /// Who.
        employee: String,
    },
    /// Start sending frames for this employee's templates.
    StartCapture {
        /// Whose templates to compare with.
        employee: String,
    },
    /// Stop the camera.
    StopCapture,
    /// Make and save the record; answer with [`Event::Recorded`].
    MakeRecord {
        /// Who.
        employee: String,
        /// IN or OUT.
        direction: Direction,
        /// Valid or needs confirmation.
        band: Band,
        /// The deciding frame (evidence photo, scores).
        best: Best,
    },
    /// Write an audit entry.
    Audit(Audit),
    /// Sound/blink.
    Signal(Signal),
    /// The administrator PIN was entered on the admin entry: hand over to the admin menu.
    StartAdmin,
}

/// Which phases time out, and after how long.
fn deadline(phase: &Phase, cfg: &FlowConfig) -> Option<Mono> {
    match phase {
        Phase::Idle => None,
        Phase::Choose { since } => Some(since.after(cfg.choose_timeout)),
        Phase::Pin { since, .. } | Phase::AdminPin { since, .. } => Some(since.after(cfg.pin_timeout)),
        Phase::CheckingPin { since, .. } | Phase::CheckingAdminPin { since } | Phase::CheckingPlace { since, .. } => {
            Some(since.after(cfg.store_timeout))
        }
        Phase::PlaceNotice { since, .. } => Some(since.after(cfg.pin_timeout)),
        Phase::Capture { since, .. } => Some(since.after(cfg.capture_window)),
        Phase::Recording { since, .. } => Some(since.after(cfg.store_timeout)),
        Phase::Result { since, .. } => Some(since.after(cfg.result_timeout)),
    }
}

/// The flow's transition function.
pub fn step(state: State, event: Event, now: Mono, cfg: &FlowConfig) -> (State, Vec<Effect>) {
    let State { phase, mut locks } = state;
    let mut fx = Vec::new();
    locks.prune(now, cfg);

    // Cancel works everywhere.
    if event == Event::Cancel {
        if matches!(phase, Phase::Capture { .. }) {
            fx.push(Effect::StopCapture);
        }
        fx.push(Effect::Show(Screen::Idle));
        return (State { phase: Phase::Idle, locks }, fx);
    }

    // Timeouts are checked on every event, so a late event never acts on a stale phase.
    if let Some(due) = deadline(&phase, cfg) {
        if now >= due {
            let next = on_timeout(phase, &mut locks, now, cfg, &mut fx);
            let state = State { phase: next, locks };
            // The event that noticed the timeout still applies to the new phase (e.g. a
            // touch on the idle screen), except for stale answers and ticks.
            return match event {
                Event::Wake | Event::Choose(_) | Event::AdminEntry if state.phase == Phase::Idle => {
                    let (s, mut more) = step(state, event, now, cfg);
                    fx.append(&mut more);
                    (s, fx)
                }
                _ => (state, fx),
            };
        }
    }

    let phase = match (phase, event) {
        (Phase::Idle, Event::Wake) => {
            fx.push(Effect::Show(Screen::Choose));
            Phase::Choose { since: now }
        }
        (Phase::Idle | Phase::Choose { .. }, Event::Choose(direction)) => match locks.device.locked(now) {
            // Refused before a digit is typed: the person need not type a PIN to learn it.
            // Not audited per touch (the lock itself is), so tapping cannot flood the log.
            Some(until) => refused(Refusal::Locked, None, direction, Some(until), None, now, &mut fx),
            None => {
                fx.push(Effect::Signal(Signal::Key));
                fx.push(Effect::Show(Screen::Pin { direction, typed: 0 }));
                Phase::Pin { direction, digits: String::new(), since: now }
            }
        },
        (Phase::Idle | Phase::Choose { .. }, Event::AdminEntry) => admin_entry(&locks, now, &mut fx),
        (Phase::Pin { digits, .. }, Event::AdminEntry) if digits.is_empty() => admin_entry(&locks, now, &mut fx),
        (Phase::Pin { direction, mut digits, .. }, Event::Digit(d)) if d.is_ascii_digit() => {
            digits.push(d);
            fx.push(Effect::Signal(Signal::Key));
            if digits.len() >= cfg.pin_length {
                let key = key_of(&digits);
                match locks.device.locked(now) {
                    // Only reachable if a lock began while this PIN was typed; kept so that no
                    // PIN is ever checked while the screen is locked.
                    Some(until) => refused(Refusal::Locked, None, direction, Some(until), None, now, &mut fx),
                    None => {
                        fx.push(Effect::Show(Screen::Busy));
                        fx.push(Effect::VerifyPin { pin: digits });
                        Phase::CheckingPin { direction, key, since: now }
                    }
                }
            } else {
                fx.push(Effect::Show(Screen::Pin { direction, typed: digits.len() }));
                Phase::Pin { direction, digits, since: now }
            }
        }
        (Phase::Pin { direction, mut digits, .. }, Event::Backspace) => {
            digits.pop();
            fx.push(Effect::Show(Screen::Pin { direction, typed: digits.len() }));
            Phase::Pin { direction, digits, since: now }
        }
        (Phase::AdminPin { mut digits, .. }, Event::Digit(d)) if d.is_ascii_digit() => {
            digits.push(d);
            fx.push(Effect::Signal(Signal::Key));
            if digits.len() >= cfg.pin_length {
                fx.push(Effect::Show(Screen::Busy));
                fx.push(Effect::VerifyAdminPin { pin: digits });
                Phase::CheckingAdminPin { since: now }
            } else {
                fx.push(Effect::Show(Screen::Pin { direction: Direction::In, typed: digits.len() }));
                Phase::AdminPin { digits, since: now }
            }
        }
        (Phase::AdminPin { mut digits, .. }, Event::Backspace) => {
            digits.pop();
            fx.push(Effect::Show(Screen::Pin { direction: Direction::In, typed: digits.len() }));
            Phase::AdminPin { digits, since: now }
        }
        (Phase::CheckingAdminPin { .. }, Event::PinChecked(check)) => match check {
            PinCheck::Admin => {
                // The administrator proved the PIN: the escalation starts over.
                locks.admin = Lockout::default();
                fx.push(Effect::Audit(Audit::AdminLogin));
                fx.push(Effect::StartAdmin);
                fx.push(Effect::Show(Screen::Admin));
                Phase::Idle
            }
            PinCheck::Unknown | PinCheck::Employee(_) => {
                fx.push(Effect::Audit(Audit::AdminPinFailed));
                let lock = locks.admin.fail(now, &cfg.admin_lockout);
                if let Some(lock) = lock {
                    fx.push(Effect::Audit(Audit::Locked { scope: LockScope::Admin, lock }));
                }
                refused(Refusal::UnknownPin, None, Direction::In, lock.map(|l| l.until), None, now, &mut fx)
            }
            PinCheck::Error(_) => refused(Refusal::StoreError, None, Direction::In, None, None, now, &mut fx),
        },
        (Phase::CheckingPin { direction, key, .. }, Event::PinChecked(check)) => match check {
            PinCheck::Employee(employee) => {
                match locks.employees.get(&employee.id).and_then(|f| f.locked_until).filter(|u| now < *u) {
                    Some(until) => {
                        fx.push(Effect::Audit(Audit::LockedPinUsed { employee: employee.id }));
                        refused(Refusal::Locked, None, direction, Some(until), None, now, &mut fx)
                    }
                    None => check_place(direction, employee, key, now, &mut fx),
                }
            }
            // The administrator's PIN is no employee's: on this screen it is a wrong PIN like
            // any other, so it cannot be guessed here without the device-wide lockout.
            PinCheck::Unknown | PinCheck::Admin => {
                fx.push(Effect::Audit(Audit::UnknownPin));
                let until = fail_device(&mut locks, now, cfg, &mut fx);
                refused(Refusal::UnknownPin, None, direction, until, Some(key), now, &mut fx)
            }
            PinCheck::Error(_) => refused(Refusal::StoreError, None, direction, None, None, now, &mut fx),
        },
        (Phase::CheckingPlace { direction, employee, key, .. }, Event::PlaceChecked(verdict)) => match verdict {
            PlaceVerdict::Fine => start_capture(direction, employee, key, now, &mut fx),
            verdict => {
                fx.push(Effect::Signal(Signal::Warn));
                fx.push(Effect::Show(Screen::PlaceNotice { employee: employee.clone(), verdict: verdict.clone() }));
                Phase::PlaceNotice { direction, employee, key, verdict, since: now }
            }
        },
        (Phase::PlaceNotice { direction, employee, key, verdict, since }, Event::Proceed) => {
            if verdict.can_continue() {
                start_capture(direction, employee, key, now, &mut fx)
            } else {
                Phase::PlaceNotice { direction, employee, key, verdict, since }
            }
        }
        (Phase::PlaceNotice { direction, employee, key, .. }, Event::Retry) => check_place(direction, employee, key, now, &mut fx),
        (
            Phase::Capture { direction, employee, key, since, frames, saw_face, best, guidance },
            Event::Frame(frame),
        ) => on_frame(
            CaptureState { direction, employee, key, since, frames, saw_face, best, guidance },
            frame,
            &mut locks,
            now,
            cfg,
            &mut fx,
        ),
        (Phase::Recording { direction, employee, best, band, .. }, Event::Recorded(result)) => {
            match result {
                Ok(saved) => {
                    // A record resets the escalation (a busy office is not punished for an
                    // earlier burst of typos) and clears the employee's own failures; the
                    // device's failures in the window stay (see the module's rules).
                    locks.device.strikes = 0;
                    locks.employees.remove(&employee.id);
                    fx.push(Effect::Signal(if band == Band::Valid { Signal::Ok } else { Signal::Warn }));
                    let outcome = Outcome::Recorded {
                        employee,
                        direction,
                        band,
                        score: best.score,
                        seq: saved.seq,
                        late_minutes: saved.late_minutes,
                        marked_late: saved.marked_late,
                    };
                    fx.push(Effect::Show(Screen::Result(outcome.clone())));
                    Phase::Result { outcome, key: None, since: now }
                }
                Err(NotSaved::NoGpsFix) => {
                    refused(Refusal::NoGpsFix, Some(employee), direction, None, None, now, &mut fx)
                }
                Err(NotSaved::Store(_)) => {
                    refused(Refusal::StoreError, Some(employee), direction, None, None, now, &mut fx)
                }
            }
        }
        (Phase::Result { outcome, key, since }, Event::Retry) => match (&outcome, key) {
            (
                Outcome::Refused {
                    reason: Refusal::FaceMismatch | Refusal::NotLive | Refusal::NoFace,
                    employee: Some(employee),
                    direction,
                    locked_until: None,
                },
                Some(key),
            ) if locks.device.locked(now).is_none() => start_capture(*direction, employee.clone(), key, now, &mut fx),
            (_, key) => Phase::Result { outcome, key, since },
        },
        (Phase::Result { .. }, Event::Wake) => {
            fx.push(Effect::Show(Screen::Idle));
            Phase::Idle
        }
        // Anything else leaves the phase as it is (stale answers, keys in the wrong phase).
        (phase, _) => phase,
    };
    (State { phase, locks }, fx)
}

/// The admin entry: the administrator's PIN screen, unless that entry is locked.
fn admin_entry(locks: &Lockouts, now: Mono, fx: &mut Vec<Effect>) -> Phase {
    match locks.admin.locked(now) {
        Some(until) => refused(Refusal::Locked, None, Direction::In, Some(until), None, now, fx),
        None => {
            fx.push(Effect::Signal(Signal::Key));
            fx.push(Effect::Show(Screen::Pin { direction: Direction::In, typed: 0 }));
            Phase::AdminPin { digits: String::new(), since: now }
        }
    }
}

/// The tag of an entered PIN: a truncated SHA-256 of a domain tag and the digits. It lives only
/// in memory, in the attempt's phases (a 6-digit PIN's hash is easy to reverse, so it is never
/// written anywhere; failures are counted per device and per employee id instead).
pub fn key_of(digits: &str) -> PinKey {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"hadir-pin-key\0");
    h.update(digits.as_bytes());
    PinKey(hex::encode(&h.finalize()[..8]))
}

struct CaptureState {
    direction: Direction,
    employee: Employee,
    key: PinKey,
    since: Mono,
    frames: u32,
    saw_face: bool,
    best: Option<Best>,
    guidance: Option<Guidance>,
}

fn check_place(direction: Direction, employee: Employee, key: PinKey, now: Mono, fx: &mut Vec<Effect>) -> Phase {
    fx.push(Effect::Show(Screen::Busy));
    fx.push(Effect::CheckPlace { employee: employee.id.clone() });
    Phase::CheckingPlace { direction, employee, key, since: now }
}

fn start_capture(direction: Direction, employee: Employee, key: PinKey, now: Mono, fx: &mut Vec<Effect>) -> Phase {
    fx.push(Effect::StartCapture { employee: employee.id.clone() });
    fx.push(Effect::Show(Screen::Capture { employee: employee.clone(), guidance: Guidance::NoFace }));
    Phase::Capture {
        direction,
        employee,
        key,
        since: now,
        frames: 0,
        saw_face: false,
        best: None,
        guidance: Some(Guidance::NoFace),
    }
}

fn on_frame(
    mut c: CaptureState,
    frame: Frame,
    locks: &mut Lockouts,
    now: Mono,
    cfg: &FlowConfig,
    fx: &mut Vec<Effect>,
) -> Phase {
    let guidance = match frame {
        Frame::Guide(g) => g,
        Frame::Face { id, score, liveness } => {
            c.frames += 1;
            c.saw_face = true;
            let score = if score.is_nan() { 0.0 } else { score.clamp(0.0, 100.0) };
            if liveness >= cfg.liveness_min && c.best.is_none_or(|b| score > b.score) {
                c.best = Some(Best { id, score, liveness });
            }
            Guidance::Good
        }
    };
    if c.guidance != Some(guidance) {
        fx.push(Effect::Show(Screen::Capture { employee: c.employee.clone(), guidance }));
        c.guidance = Some(guidance);
    }
    let early = c.frames >= cfg.capture_min_frames && c.best.is_some_and(|b| Band::of(b.score) == Band::Valid);
    if early {
        return decide(c, locks, now, cfg, fx);
    }
    Phase::Capture {
        direction: c.direction,
        employee: c.employee,
        key: c.key,
        since: c.since,
        frames: c.frames,
        saw_face: c.saw_face,
        best: c.best,
        guidance: c.guidance,
    }
}

/// The decision at the end of a capture.
fn decide(c: CaptureState, locks: &mut Lockouts, now: Mono, cfg: &FlowConfig, fx: &mut Vec<Effect>) -> Phase {
    fx.push(Effect::StopCapture);
    let (reason, score) = match c.best {
        Some(best) => match Band::of(best.score) {
            band @ (Band::Valid | Band::NeedsConfirmation) => {
                fx.push(Effect::Show(Screen::Busy));
                fx.push(Effect::MakeRecord { employee: c.employee.id.clone(), direction: c.direction, band, best });
                return Phase::Recording { direction: c.direction, employee: c.employee, best, band, since: now };
            }
            Band::Rejected => (Refusal::FaceMismatch, Some(best.score)),
        },
        None if c.saw_face => (Refusal::NotLive, None),
        None => (Refusal::NoFace, None),
    };
    fx.push(Effect::Audit(Audit::FaceRefused {
        employee: c.employee.id.clone(),
        direction: c.direction,
        reason,
        score,
    }));
    // No face at all is not a failed match; a mismatch or a spoof is, against the employee and
    // the device both.
    let until = if reason == Refusal::NoFace {
        None
    } else {
        let employee = fail_employee(locks, &c.employee.id, now, cfg, fx);
        let device = fail_device(locks, now, cfg, fx);
        employee.max(device)
    };
    refused(reason, Some(c.employee), c.direction, until, Some(c.key), now, fx)
}

fn refused(
    reason: Refusal,
    employee: Option<Employee>,
    direction: Direction,
    locked_until: Option<Mono>,
    key: Option<PinKey>,
    now: Mono,
    fx: &mut Vec<Effect>,
) -> Phase {
    fx.push(Effect::Signal(Signal::Error));
    let outcome = Outcome::Refused { reason, employee, direction, locked_until };
    fx.push(Effect::Show(Screen::Result(outcome.clone())));
    Phase::Result { outcome, key, since: now }
}

/// Counts a failure on the attendance PIN screen; returns the lock's end if it locks.
fn fail_device(locks: &mut Lockouts, now: Mono, cfg: &FlowConfig, fx: &mut Vec<Effect>) -> Option<Mono> {
    let lock = locks.device.fail(now, &cfg.device_lockout)?;
    fx.push(Effect::Audit(Audit::Locked { scope: LockScope::Device, lock }));
    Some(lock.until)
}

/// Counts a refused face against the employee; locks their PIN at the limit. Returns the
/// lock's end if locked.
fn fail_employee(locks: &mut Lockouts, employee: &str, now: Mono, cfg: &FlowConfig, fx: &mut Vec<Effect>) -> Option<Mono> {
    let entry = locks.employees.entry(employee.to_owned()).or_default();
    entry.times.push(now);
    if entry.times.len() >= cfg.max_failures {
        let until = now.after(cfg.lockout);
        entry.locked_until = Some(until);
        fx.push(Effect::Audit(Audit::PinLocked { employee: employee.to_owned(), failures: entry.times.len() }));
        entry.times.clear();
        Some(until)
    } else {
        None
    }
}

fn on_timeout(phase: Phase, locks: &mut Lockouts, now: Mono, cfg: &FlowConfig, fx: &mut Vec<Effect>) -> Phase {
    match phase {
        Phase::Capture { direction, employee, key, since, frames, saw_face, best, guidance } => decide(
            CaptureState { direction, employee, key, since, frames, saw_face, best, guidance },
            locks,
            now,
            cfg,
            fx,
        ),
        Phase::CheckingPin { direction, .. } => {
            fx.push(Effect::Audit(Audit::StoreTimeout { phase: "pin" }));
            refused(Refusal::StoreError, None, direction, None, None, now, fx)
        }
        // The server judges the place of every record anyway: a check that does not answer
        // must not keep the person from recording.
        Phase::CheckingPlace { direction, employee, key, .. } => start_capture(direction, employee, key, now, fx),
        Phase::CheckingAdminPin { .. } => {
            fx.push(Effect::Audit(Audit::StoreTimeout { phase: "admin pin" }));
            refused(Refusal::StoreError, None, Direction::In, None, None, now, fx)
        }
        Phase::Recording { direction, employee, .. } => {
            fx.push(Effect::Audit(Audit::StoreTimeout { phase: "record" }));
            refused(Refusal::StoreError, Some(employee), direction, None, None, now, fx)
        }
        Phase::Idle => Phase::Idle,
        Phase::Choose { .. } | Phase::Pin { .. } | Phase::AdminPin { .. } | Phase::PlaceNotice { .. } | Phase::Result { .. } => {
            fx.push(Effect::Show(Screen::Idle));
            Phase::Idle
        }
    }
}

#[cfg(test)]
mod tests;
