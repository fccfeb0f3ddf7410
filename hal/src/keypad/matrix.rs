//! Matrix keypad scanning: rows driven one at a time, columns read, debounced.
//!
//! The scanning logic ([`MatrixScanner`]) knows nothing about GPIO: it talks to a [`PinBank`],
//! so it runs against [`SimPinBank`] in tests and against the board's pins in the kiosk.
//!
//! Rules: a key's reading must stay the same for the debounce time before it counts; a press is
//! reported once, however long the key is held (no auto-repeat); when more than two keys read as
//! pressed at once, a matrix without diodes cannot tell which ones are real (ghosting), so that
//! scan reports nothing new.

use super::{Key, Keypad, KeypadError};
use serde::Deserialize;
use crate::clock::Clock;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Pins and layout of a matrix keypad (BCM numbering).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatrixConfig {
    /// Row pins, top to bottom.
    pub rows: Vec<u8>,
    /// Column pins, left to right.
    pub cols: Vec<u8>,
    /// Debounce time in milliseconds.
    pub debounce_ms: u64,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        Self { rows: vec![5, 6, 13, 19], cols: vec![12, 16, 20], debounce_ms: 20 }
    }
}

impl MatrixConfig {
    /// The highest BCM pin on the board's 40-pin header.
    pub const MAX_PIN: u8 = 27;

    /// Checks the pins (4 rows and 3 or 4 columns, each pin once, on the header) and the
    /// debounce (1 to 200 ms); the error names what is wrong.
    pub fn check(&self) -> Result<Layout, KeypadError> {
        let layout = self.layout()?;
        let mut seen = std::collections::HashSet::new();
        for &pin in self.rows.iter().chain(&self.cols) {
            if pin > Self::MAX_PIN {
                return Err(KeypadError::Config(format!("pin {pin}: the header has BCM pins 0 to {}", Self::MAX_PIN)));
            }
            if !seen.insert(pin) {
                return Err(KeypadError::Config(format!("pin {pin} is named twice (rows and columns need a pin each)")));
            }
        }
        if !(1..=200).contains(&self.debounce_ms) {
            return Err(KeypadError::Config(format!("debounce_ms {}: use 1 to 200 (20 is usual)", self.debounce_ms)));
        }
        Ok(layout)
    }

    /// The layout that matches the pins: 4×3 or 4×4.
    pub fn layout(&self) -> Result<Layout, KeypadError> {
        match (self.rows.len(), self.cols.len()) {
            (4, 3) => Ok(Layout::phone_4x3()),
            (4, 4) => Ok(Layout::phone_4x4()),
            (r, c) => Err(KeypadError::Config(format!(
                "{r} row pins and {c} column pins: a 4x3 keypad needs 4 and 3, a 4x4 needs 4 and 4"
            ))),
        }
    }

    /// The debounce time.
    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }
}

/// The physical lines of a matrix keypad.
pub trait PinBank: Send {
    /// Number of rows and columns.
    fn dimensions(&self) -> (usize, usize);
    /// Activates one row (all others inactive), or none.
    fn select_row(&mut self, row: Option<usize>) -> Result<(), KeypadError>;
    /// Whether a key connects the active row to this column.
    fn column_active(&mut self, col: usize) -> Result<bool, KeypadError>;
}

impl<P: PinBank + ?Sized> PinBank for Box<P> {
    fn dimensions(&self) -> (usize, usize) {
        (**self).dimensions()
    }
    fn select_row(&mut self, row: Option<usize>) -> Result<(), KeypadError> {
        (**self).select_row(row)
    }
    fn column_active(&mut self, col: usize) -> Result<bool, KeypadError> {
        (**self).column_active(col)
    }
}

/// Key legends of a matrix, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout(pub Vec<Vec<Key>>);

impl Layout {
    /// The common 4×3 phone layout: `123 / 456 / 789 / *0#`.
    pub fn phone_4x3() -> Self {
        Self::from_rows(&["123", "456", "789", "*0#"])
    }

    /// The common 4×4 layout: `123A / 456B / 789C / *0#D`.
    pub fn phone_4x4() -> Self {
        Self::from_rows(&["123A", "456B", "789C", "*0#D"])
    }

    fn from_rows(rows: &[&str]) -> Self {
        Self(
            rows.iter()
                .map(|r| {
                    r.chars()
                        .map(|c| match c {
                            '0'..='9' => Key::Digit(c as u8 - b'0'),
                            '*' => Key::Star,
                            '#' => Key::Hash,
                            other => Key::Letter(other),
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// Rows and columns.
    pub fn dimensions(&self) -> (usize, usize) {
        (self.0.len(), self.0.first().map_or(0, Vec::len))
    }
}

#[derive(Debug, Clone, Copy)]
struct Debounced {
    stable: bool,
    raw: bool,
    since: Instant,
}

/// Scans a matrix and turns readings into debounced key presses.
#[derive(Debug)]
pub struct MatrixScanner {
    layout: Layout,
    debounce: Duration,
    keys: Vec<Debounced>,
}

impl MatrixScanner {
    /// A scanner for a layout; `now` starts every key as released.
    pub fn new(layout: Layout, debounce: Duration, now: Instant) -> Self {
        let (rows, cols) = layout.dimensions();
        let keys = vec![Debounced { stable: false, raw: false, since: now }; rows * cols];
        Self { layout, debounce, keys }
    }

    /// One scan of every row; returns the keys whose press became stable in this scan.
    pub fn scan(&mut self, bank: &mut dyn PinBank, now: Instant) -> Result<Vec<Key>, KeypadError> {
        let (rows, cols) = self.layout.dimensions();
        if bank.dimensions() != (rows, cols) {
            return Err(KeypadError::Config(format!(
                "layout is {rows}x{cols} but the pins are {:?}",
                bank.dimensions()
            )));
        }
        let mut raw = vec![false; rows * cols];
        for row in 0..rows {
            bank.select_row(Some(row))?;
            for col in 0..cols {
                raw[row * cols + col] = bank.column_active(col)?;
            }
        }
        bank.select_row(None)?;
        let ghosting = raw.iter().filter(|&&r| r).count() > 2;
        let mut pressed = Vec::new();
        for (i, (state, &reading)) in self.keys.iter_mut().zip(&raw).enumerate() {
            if reading != state.raw {
                state.raw = reading;
                state.since = now;
            }
            if state.raw != state.stable && now.duration_since(state.since) >= self.debounce {
                state.stable = state.raw;
                if state.stable && !ghosting {
                    pressed.push(self.layout.0[i / cols][i % cols]);
                }
            }
        }
        Ok(pressed)
    }
}

/// A matrix keypad: a pin bank, a scanner and a clock.
pub struct MatrixKeypad<B: PinBank> {
    bank: B,
    scanner: MatrixScanner,
    clock: Arc<dyn Clock>,
    queue: VecDeque<Key>,
}

impl<B: PinBank> MatrixKeypad<B> {
    /// A keypad over `bank` with the given layout and debounce time.
    pub fn new(bank: B, layout: Layout, debounce: Duration, clock: Arc<dyn Clock>) -> Result<Self, KeypadError> {
        if bank.dimensions() != layout.dimensions() {
            return Err(KeypadError::Config(format!(
                "layout is {:?} but the pins are {:?}",
                layout.dimensions(),
                bank.dimensions()
            )));
        }
        let scanner = MatrixScanner::new(layout, debounce, clock.now());
        Ok(Self { bank, scanner, clock, queue: VecDeque::new() })
    }

    /// The pin bank (tests press keys through it).
    pub fn bank_mut(&mut self) -> &mut B {
        &mut self.bank
    }
}

impl<B: PinBank> Keypad for MatrixKeypad<B> {
    fn poll(&mut self) -> Result<Option<Key>, KeypadError> {
        let now = self.clock.now();
        let pressed = self.scanner.scan(&mut self.bank, now)?;
        self.queue.extend(pressed);
        Ok(self.queue.pop_front())
    }
}

/// A simulated pin bank: a set of held (row, column) contacts, with optional contact bounce.
#[derive(Debug, Clone, Default)]
pub struct SimPinBank {
    rows: usize,
    cols: usize,
    held: HashSet<(usize, usize)>,
    active_row: Option<usize>,
    /// Row selections seen, to check that scanning drives one row at a time.
    pub selections: Vec<Option<usize>>,
}

impl SimPinBank {
    /// A bank of `rows` × `cols` with no key held.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self { rows, cols, ..Self::default() }
    }

    /// Holds or releases the key at (row, col).
    pub fn set(&mut self, row: usize, col: usize, held: bool) {
        if held {
            self.held.insert((row, col));
        } else {
            self.held.remove(&(row, col));
        }
    }
}

impl PinBank for SimPinBank {
    fn dimensions(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn select_row(&mut self, row: Option<usize>) -> Result<(), KeypadError> {
        self.active_row = row;
        self.selections.push(row);
        Ok(())
    }

    fn column_active(&mut self, col: usize) -> Result<bool, KeypadError> {
        Ok(self.active_row.is_some_and(|r| self.held.contains(&(r, col))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn keypad() -> (MatrixKeypad<SimPinBank>, ManualClock) {
        let clock = ManualClock::new();
        let kp = MatrixKeypad::new(
            SimPinBank::new(4, 3),
            Layout::phone_4x3(),
            Duration::from_millis(20),
            Arc::new(clock.clone()),
        )
        .unwrap();
        (kp, clock)
    }

    /// Polls every 5 ms for `ms` milliseconds, collecting keys.
    fn run(kp: &mut MatrixKeypad<SimPinBank>, clock: &ManualClock, ms: u64) -> Vec<Key> {
        let mut keys = Vec::new();
        for _ in 0..ms / 5 {
            clock.advance(Duration::from_millis(5));
            keys.extend(kp.poll().unwrap());
        }
        keys
    }

    #[test]
    fn press_is_reported_once_after_debounce() {
        let (mut kp, clock) = keypad();
        kp.bank_mut().set(0, 1, true); // "2"
        assert_eq!(run(&mut kp, &clock, 15), []);
        assert_eq!(run(&mut kp, &clock, 10), [Key::Digit(2)]);
        // Held for a second: no repeat.
        assert_eq!(run(&mut kp, &clock, 1000), []);
        kp.bank_mut().set(0, 1, false);
        assert_eq!(run(&mut kp, &clock, 50), []);
        kp.bank_mut().set(0, 1, true);
        assert_eq!(run(&mut kp, &clock, 50), [Key::Digit(2)]);
    }

    #[test]
    fn bounce_shorter_than_debounce_is_ignored() {
        let (mut kp, clock) = keypad();
        for _ in 0..5 {
            kp.bank_mut().set(3, 0, true);
            assert_eq!(run(&mut kp, &clock, 10), []);
            kp.bank_mut().set(3, 0, false);
            assert_eq!(run(&mut kp, &clock, 10), []);
        }
    }

    #[test]
    fn every_key_of_both_layouts() {
        for (layout, rows, cols, legend) in [
            (Layout::phone_4x3(), 4, 3, "123456789*0#"),
            (Layout::phone_4x4(), 4, 4, "123A456B789C*0#D"),
        ] {
            let clock = ManualClock::new();
            let mut kp = MatrixKeypad::new(
                SimPinBank::new(rows, cols),
                layout,
                Duration::from_millis(20),
                Arc::new(clock.clone()),
            )
            .unwrap();
            let mut typed = String::new();
            for r in 0..rows {
                for c in 0..cols {
                    kp.bank_mut().set(r, c, true);
                    typed.extend(run(&mut kp, &clock, 40).iter().map(ToString::to_string));
                    kp.bank_mut().set(r, c, false);
                    run(&mut kp, &clock, 40);
                }
            }
            assert_eq!(typed, legend);
            // Rows are driven one at a time and released after each scan.
            assert!(kp.bank_mut().selections.windows(2).any(|w| w == [Some(rows - 1), None]));
        }
    }

    #[test]
    fn ghosting_and_mismatched_pins() {
        let (mut kp, clock) = keypad();
        for (r, c) in [(0, 0), (0, 1), (1, 0)] {
            kp.bank_mut().set(r, c, true);
        }
        assert_eq!(run(&mut kp, &clock, 100), []);
        let bad = MatrixKeypad::new(SimPinBank::new(4, 4), Layout::phone_4x3(), Duration::ZERO, Arc::new(clock));
        assert!(matches!(bad, Err(KeypadError::Config(_))));
    }

    #[test]
    fn matrix_config_is_checked() {
        let ok = MatrixConfig::default();
        assert_eq!(ok.check().map(|l| l.dimensions()).ok(), Some((4, 3)));
        let cases = [
            ("three rows", MatrixConfig { rows: vec![5, 6, 13], ..MatrixConfig::default() }, "3 row pins and 3 column pins"),
            ("a pin twice", MatrixConfig { cols: vec![12, 16, 5], ..MatrixConfig::default() }, "pin 5 is named twice"),
            ("off the header", MatrixConfig { cols: vec![12, 16, 40], ..MatrixConfig::default() }, "pin 40: the header has BCM pins 0 to 27"),
            ("no debounce", MatrixConfig { debounce_ms: 0, ..MatrixConfig::default() }, "debounce_ms 0"),
        ];
        for (name, cfg, want) in cases {
            let err = cfg.check().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(want), "{name}: {err}");
        }
        let four = MatrixConfig { cols: vec![12, 16, 20, 21], ..MatrixConfig::default() };
        assert_eq!(four.check().map(|l| l.dimensions()).ok(), Some((4, 4)));
    }
}
