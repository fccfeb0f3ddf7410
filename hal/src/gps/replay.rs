//! The simulated GPS: replay of an NMEA capture file.
//!
//! Lines starting with `#` are annotations of the capture format and are skipped. At
//! [`ReplayPace::Recorded`] fixes are released as the capture's own timeline says (a fix
//! 3 s after the first one appears 3 s after the first call, by the injected clock); at
//! [`ReplayPace::AsFastAsPossible`] every call releases the next fix.

use super::{DecodedFix, Fix, FixTracker, Gps, GpsError, NmeaDecoder, NmeaStats};
use crate::clock::Clock;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How fast a capture is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayPace {
    /// At the pace the fixes were recorded.
    Recorded,
    /// One fix per call, no waiting.
    AsFastAsPossible,
}

/// A GPS that replays a capture.
pub struct ReplayGps {
    reader: Box<dyn BufRead + Send>,
    name: PathBuf,
    decoder: NmeaDecoder,
    tracker: FixTracker,
    pace: ReplayPace,
    clock: Arc<dyn Clock>,
    pending: VecDeque<DecodedFix>,
    /// The instant the first fix was released and its UTC time: the replay's time origin.
    origin: Option<(Instant, OffsetDateTime)>,
    eof: bool,
}

impl ReplayGps {
    /// Opens a capture file.
    pub fn open(
        path: &Path,
        pace: ReplayPace,
        max_age: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, GpsError> {
        let file = std::fs::File::open(path)
            .map_err(|source| GpsError::Capture { path: path.to_path_buf(), source })?;
        Ok(Self::from_reader(BufReader::new(file), path, pace, max_age, clock))
    }

    /// Replays from any reader; `name` is used in errors.
    pub fn from_reader(
        reader: impl BufRead + Send + 'static,
        name: &Path,
        pace: ReplayPace,
        max_age: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            reader: Box::new(reader),
            name: name.to_path_buf(),
            decoder: NmeaDecoder::new(),
            tracker: FixTracker::new(max_age),
            pace,
            clock,
            pending: VecDeque::new(),
            origin: None,
            eof: false,
        }
    }

    /// Decodes until the next fix of the capture, ignoring pace; `None` at the end.
    pub fn next_decoded(&mut self) -> Result<Option<Fix>, GpsError> {
        Ok(self.next_pending()?.map(|d| d.fix))
    }

    /// Like [`ReplayGps::next_decoded`], with what else the fix's epoch said (speed,
    /// satellites in view): the input of [`super::plausibility::Checker`].
    pub fn next_epoch(&mut self) -> Result<Option<DecodedFix>, GpsError> {
        self.next_pending()
    }

    /// Whether the whole capture has been read and released.
    pub fn finished(&self) -> bool {
        self.eof && self.pending.is_empty()
    }

    fn next_pending(&mut self) -> Result<Option<DecodedFix>, GpsError> {
        while self.pending.is_empty() && !self.eof {
            self.read_line()?;
        }
        Ok(self.pending.pop_front())
    }

    fn read_line(&mut self) -> Result<(), GpsError> {
        let mut line = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut line)
            .map_err(|source| GpsError::Capture { path: self.name.clone(), source })?;
        let now = self.clock.now();
        if n == 0 {
            self.eof = true;
            self.pending.extend(self.decoder.finish());
            return Ok(());
        }
        if line.first() == Some(&b'#') {
            return Ok(());
        }
        if line.last() != Some(&b'\n') {
            line.push(b'\n');
        }
        let mut out = Vec::new();
        self.decoder.push_bytes(&line, now, &mut out);
        self.pending.extend(out);
        Ok(())
    }
}

impl Gps for ReplayGps {
    fn fix(&mut self) -> Result<Option<Fix>, GpsError> {
        let now = self.clock.now();
        match self.pace {
            ReplayPace::AsFastAsPossible => {
                if let Some(next) = self.next_pending()? {
                    self.tracker.update(DecodedFix { received: now, ..next });
                }
            }
            ReplayPace::Recorded => loop {
                if self.pending.is_empty() && !self.eof {
                    self.read_line()?;
                    continue;
                }
                let Some(next) = self.pending.front() else { break };
                let (start, first_time) = *self.origin.get_or_insert((now, next.fix.time));
                let offset = next.fix.time - first_time;
                let due = start + offset.try_into().unwrap_or(Duration::ZERO);
                if due > now {
                    break;
                }
                if let Some(next) = self.pending.pop_front() {
                    self.tracker.update(DecodedFix { received: due, ..next });
                }
            },
        }
        Ok(self.tracker.current(now))
    }

    fn stats(&self) -> NmeaStats {
        self.decoder.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::io::Cursor;

    fn capture() -> Cursor<Vec<u8>> {
        let mut text = String::from("# a comment\n");
        for s in 0..3 {
            let body = format!("GPRMC,10000{s},A,0610.0000,S,10649.0000,E,0.0,,010126,,,A");
            let sum = body.bytes().fold(0u8, |a, b| a ^ b);
            text.push_str(&format!("${body}*{sum:02X}\r\n"));
        }
        Cursor::new(text.into_bytes())
    }

    #[test]
    fn recorded_pace_follows_the_capture_clock() {
        let clock = ManualClock::new();
        let mut gps = ReplayGps::from_reader(
            capture(),
            Path::new("test"),
            ReplayPace::Recorded,
            Duration::from_secs(2),
            Arc::new(clock.clone()),
        );
        let second = |gps: &mut ReplayGps| gps.fix().unwrap().map(|f| f.time.second());
        assert_eq!(second(&mut gps), Some(0));
        clock.advance(Duration::from_millis(999));
        assert_eq!(second(&mut gps), Some(0));
        clock.advance(Duration::from_millis(1));
        assert_eq!(second(&mut gps), Some(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(second(&mut gps), Some(2));
        assert!(gps.finished());
        // The last fix ages out: no fix is better than a stale one.
        clock.advance(Duration::from_secs(3));
        assert_eq!(second(&mut gps), None);
    }

    #[test]
    fn fast_pace_releases_one_fix_per_call() {
        let clock = ManualClock::new();
        let mut gps = ReplayGps::from_reader(
            capture(),
            Path::new("test"),
            ReplayPace::AsFastAsPossible,
            Duration::from_secs(2),
            Arc::new(clock),
        );
        let seconds: Vec<_> = (0..4).map(|_| gps.fix().unwrap().map(|f| f.time.second())).collect();
        assert_eq!(seconds, [Some(0), Some(1), Some(2), Some(2)]);
        assert_eq!(gps.stats().sentences, 3);
    }
}
