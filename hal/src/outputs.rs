//! Outputs: the status LEDs (green, red), the buzzer and the optional door relay.
//!
//! The kiosk asks for a [`Signal`] (ok / confirm / reject); each has a fixed [`pattern`] of
//! steps. [`PatternPlayer`] (pure) says what the lines should be at any instant; the
//! implementations apply that whenever [`Outputs::update`] is called, so nothing blocks and
//! nothing sleeps. [`GpioOutputs`] (feature `gpio`) drives pins, [`SimOutputs`] records.
//!
//! [`pattern`]: Signal::pattern

use crate::clock::Clock;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What a person should be told by light and sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Recorded: one short beep, green.
    Ok,
    /// Recorded, awaiting a supervisor's confirmation: two beeps, green and red together.
    Confirm,
    /// Not recorded: a long low beep, red.
    Reject,
}

/// The state of the output lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lines {
    /// Green LED on.
    pub green: bool,
    /// Red LED on.
    pub red: bool,
    /// Buzzer sounding.
    pub buzzer: bool,
}

/// One step of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The lines during the step.
    pub lines: Lines,
    /// How long the step lasts.
    pub duration: Duration,
}

const fn step(green: bool, red: bool, buzzer: bool, ms: u64) -> Step {
    Step { lines: Lines { green, red, buzzer }, duration: Duration::from_millis(ms) }
}

const OK: [Step; 2] = [step(true, false, true, 120), step(true, false, false, 1380)];
const CONFIRM: [Step; 4] = [
    step(true, true, true, 100),
    step(true, true, false, 100),
    step(true, true, true, 100),
    step(true, true, false, 1700),
];
const REJECT: [Step; 2] = [step(false, true, true, 600), step(false, true, false, 1400)];

impl Signal {
    /// The steps of this signal; after the last step every line is off.
    pub fn pattern(self) -> &'static [Step] {
        match self {
            Signal::Ok => &OK,
            Signal::Confirm => &CONFIRM,
            Signal::Reject => &REJECT,
        }
    }
}

/// Plays one pattern at a time; a new signal replaces the one playing.
#[derive(Debug, Clone, Default)]
pub struct PatternPlayer {
    playing: Option<(Signal, Instant)>,
}

impl PatternPlayer {
    /// Starts a signal at `now`.
    pub fn start(&mut self, signal: Signal, now: Instant) {
        self.playing = Some((signal, now));
    }

    /// The lines at `now` (all off when nothing plays or the pattern is over).
    pub fn lines(&self, now: Instant) -> Lines {
        let Some((signal, started)) = self.playing else { return Lines::default() };
        let mut t = now.saturating_duration_since(started);
        for s in signal.pattern() {
            if t < s.duration {
                return s.lines;
            }
            t -= s.duration;
        }
        Lines::default()
    }
}

/// Output errors, naming the pin.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A pin could not be claimed.
    #[error("cannot use GPIO {pin} for the {what}: {reason}")]
    Pin {
        /// BCM pin number.
        pin: u8,
        /// LED, buzzer or relay.
        what: &'static str,
        /// The cause.
        reason: String,
    },
    /// The door was asked to open but no relay is configured.
    #[error("no door relay is configured (set `relay` in the outputs configuration)")]
    NoRelay,
}

/// The kiosk's outputs.
pub trait Outputs: Send {
    /// Starts a signal pattern (replacing one that is playing).
    fn signal(&mut self, signal: Signal) -> Result<(), OutputError>;
    /// Applies the pattern's current step; call it often (every frame is fine).
    fn update(&mut self) -> Result<(), OutputError>;
    /// Opens (energises) or closes the door relay.
    fn set_door(&mut self, open: bool) -> Result<(), OutputError>;
}

impl<O: Outputs + ?Sized> Outputs for Box<O> {
    fn signal(&mut self, signal: Signal) -> Result<(), OutputError> {
        (**self).signal(signal)
    }
    fn update(&mut self) -> Result<(), OutputError> {
        (**self).update()
    }
    fn set_door(&mut self, open: bool) -> Result<(), OutputError> {
        (**self).set_door(open)
    }
}

/// Everything a [`SimOutputs`] did, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputEvent {
    /// A signal was started.
    Signal(Signal),
    /// The lines changed to this state.
    Lines(Lines),
    /// The door relay was set (true = open).
    Door(bool),
}

/// Simulated outputs: records every signal, line change and door command.
#[derive(Clone)]
pub struct SimOutputs {
    player: PatternPlayer,
    clock: Arc<dyn Clock>,
    last: Lines,
    has_relay: bool,
    log: Arc<Mutex<Vec<OutputEvent>>>,
}

impl SimOutputs {
    /// Simulated outputs with or without a door relay.
    pub fn new(clock: Arc<dyn Clock>, has_relay: bool) -> Self {
        Self { player: PatternPlayer::default(), clock, last: Lines::default(), has_relay, log: Arc::default() }
    }

    /// What happened so far (shared by clones, so a test can keep one and give one away).
    pub fn events(&self) -> Vec<OutputEvent> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn record(&self, e: OutputEvent) {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).push(e);
    }
}

impl Outputs for SimOutputs {
    fn signal(&mut self, signal: Signal) -> Result<(), OutputError> {
        self.player.start(signal, self.clock.now());
        self.record(OutputEvent::Signal(signal));
        self.update()
    }

    fn update(&mut self) -> Result<(), OutputError> {
        let lines = self.player.lines(self.clock.now());
        if lines != self.last {
            self.last = lines;
            self.record(OutputEvent::Lines(lines));
        }
        Ok(())
    }

    fn set_door(&mut self, open: bool) -> Result<(), OutputError> {
        if !self.has_relay {
            return Err(OutputError::NoRelay);
        }
        self.record(OutputEvent::Door(open));
        Ok(())
    }
}

#[cfg(feature = "gpio")]
pub use gpio::{GpioOutputs, OutputsConfig};

#[cfg(feature = "gpio")]
mod gpio {
    //! Outputs on GPIO pins (`rppal`): active-high LEDs, buzzer (active buzzer module) and relay.
    use super::{Lines, OutputError, Outputs, PatternPlayer, Signal};
    use crate::clock::Clock;
    use rppal::gpio::{Gpio, OutputPin};
    use serde::Deserialize;
    use std::sync::Arc;

    /// Output pins (BCM numbering).
    #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct OutputsConfig {
        /// Green LED.
        pub green: u8,
        /// Red LED.
        pub red: u8,
        /// Buzzer.
        pub buzzer: u8,
        /// Door relay, if fitted.
        pub relay: Option<u8>,
    }

    impl Default for OutputsConfig {
        fn default() -> Self {
            Self { green: 23, red: 24, buzzer: 18, relay: None }
        }
    }

    /// LEDs, buzzer and relay on GPIO.
    pub struct GpioOutputs {
        green: OutputPin,
        red: OutputPin,
        buzzer: OutputPin,
        relay: Option<OutputPin>,
        player: PatternPlayer,
        clock: Arc<dyn Clock>,
    }

    impl GpioOutputs {
        /// Claims the pins, all off.
        pub fn open(config: &OutputsConfig, clock: Arc<dyn Clock>) -> Result<Self, OutputError> {
            let claim = |pin: u8, what: &'static str| {
                Gpio::new()
                    .and_then(|g| g.get(pin))
                    .map(|p| p.into_output_low())
                    .map_err(|e| OutputError::Pin { pin, what, reason: e.to_string() })
            };
            Ok(Self {
                green: claim(config.green, "green LED")?,
                red: claim(config.red, "red LED")?,
                buzzer: claim(config.buzzer, "buzzer")?,
                relay: config.relay.map(|p| claim(p, "door relay")).transpose()?,
                player: PatternPlayer::default(),
                clock,
            })
        }
    }

    fn write(pin: &mut OutputPin, on: bool) {
        if on { pin.set_high() } else { pin.set_low() }
    }

    impl Outputs for GpioOutputs {
        fn signal(&mut self, signal: Signal) -> Result<(), OutputError> {
            self.player.start(signal, self.clock.now());
            self.update()
        }

        fn update(&mut self) -> Result<(), OutputError> {
            let Lines { green, red, buzzer } = self.player.lines(self.clock.now());
            write(&mut self.green, green);
            write(&mut self.red, red);
            write(&mut self.buzzer, buzzer);
            Ok(())
        }

        fn set_door(&mut self, open: bool) -> Result<(), OutputError> {
            let relay = self.relay.as_mut().ok_or(OutputError::NoRelay)?;
            write(relay, open);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn patterns_play_their_steps_then_stop() {
        let t0 = Instant::now();
        let mut p = PatternPlayer::default();
        assert_eq!(p.lines(t0), Lines::default());
        p.start(Signal::Confirm, t0);
        let at = |ms| p.lines(t0 + Duration::from_millis(ms));
        let cases = [(0, true), (99, true), (100, false), (200, true), (300, false), (1999, false)];
        for (ms, buzzer) in cases {
            assert_eq!(at(ms), Lines { green: true, red: true, buzzer }, "{ms} ms");
        }
        assert_eq!(at(2000), Lines::default());
        for s in [Signal::Ok, Signal::Confirm, Signal::Reject] {
            let total: Duration = s.pattern().iter().map(|s| s.duration).sum();
            assert!(total <= Duration::from_secs(2), "{s:?} is short enough not to hold up the next person");
        }
    }

    #[test]
    fn sim_outputs_record_what_happened() {
        let clock = ManualClock::new();
        let mut out = SimOutputs::new(Arc::new(clock.clone()), false);
        out.signal(Signal::Reject).unwrap();
        clock.advance(Duration::from_millis(700));
        out.update().unwrap();
        clock.advance(Duration::from_secs(2));
        out.update().unwrap();
        assert!(matches!(out.set_door(true), Err(OutputError::NoRelay)));
        let red = |buzzer| OutputEvent::Lines(Lines { green: false, red: true, buzzer });
        assert_eq!(
            out.events(),
            [OutputEvent::Signal(Signal::Reject), red(true), red(false), OutputEvent::Lines(Lines::default())]
        );
        let mut with_relay = SimOutputs::new(Arc::new(clock), true);
        with_relay.set_door(true).unwrap();
        assert_eq!(with_relay.events(), [OutputEvent::Door(true)]);
    }
}
