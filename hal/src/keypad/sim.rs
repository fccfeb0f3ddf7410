//! The simulated keypad: a script of key presses, each due at a time after the start.

use super::{Key, Keypad, KeypadError};
use crate::clock::Clock;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Plays scripted key presses as the injected clock reaches them.
pub struct ScriptedKeypad {
    script: VecDeque<(Duration, Key)>,
    start: Instant,
    clock: Arc<dyn Clock>,
}

impl ScriptedKeypad {
    /// Presses at offsets from now (offsets must not decrease).
    pub fn new(script: Vec<(Duration, Key)>, clock: Arc<dyn Clock>) -> Self {
        Self { script: script.into(), start: clock.now(), clock }
    }

    /// Presses typed as text (`0-9`, `*`, `#`, `A-D`; other characters are ignored), one every
    /// `gap`, the first after one gap.
    pub fn typed(text: &str, gap: Duration, clock: Arc<dyn Clock>) -> Self {
        let keys = text.chars().filter_map(|c| match c {
            '0'..='9' => Some(Key::Digit(c as u8 - b'0')),
            '*' => Some(Key::Star),
            '#' => Some(Key::Hash),
            'A'..='D' => Some(Key::Letter(c)),
            _ => None,
        });
        let script = keys.enumerate().map(|(i, k)| (gap * (i as u32 + 1), k)).collect();
        Self::new(script, clock)
    }

    /// Whether every scripted key has been delivered.
    pub fn finished(&self) -> bool {
        self.script.is_empty()
    }
}

impl Keypad for ScriptedKeypad {
    fn poll(&mut self) -> Result<Option<Key>, KeypadError> {
        let elapsed = self.clock.now().duration_since(self.start);
        match self.script.front() {
            Some((at, _)) if *at <= elapsed => Ok(self.script.pop_front().map(|(_, k)| k)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn keys_arrive_when_due() {
        let clock = ManualClock::new();
        let mut kp = ScriptedKeypad::typed("A12#", Duration::from_millis(300), Arc::new(clock.clone()));
        assert_eq!(kp.poll().unwrap(), None);
        clock.advance(Duration::from_millis(650));
        let got: Vec<_> = std::iter::from_fn(|| kp.poll().unwrap()).collect();
        assert_eq!(got, [Key::Letter('A'), Key::Digit(1)]);
        clock.advance(Duration::from_secs(1));
        let got: Vec<_> = std::iter::from_fn(|| kp.poll().unwrap()).collect();
        assert_eq!(got, [Key::Digit(2), Key::Hash]);
        assert!(kp.finished());
    }
}
